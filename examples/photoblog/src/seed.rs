//! The demo content of a first run: three albums of two films of three photos.

use drupe::Upload;

use crate::error::AppError;
use crate::images::demo_png;
use crate::model::AlbumFields;
use crate::shared::Photoblog;

/// The demo albums: title, author, description, content.
const ALBUMS: [(&str, &str, &str, &str); 3] = [
    (
        "Holidays in Brittany",
        "ada",
        "Granite coasts, lighthouses and crêpes.",
        "Ten days along the Pink Granite Coast.\nWe walked from Perros-Guirec to Ploumanac'h twice.",
    ),
    (
        "Autumn in the park",
        "grace",
        "The maples turning, one week at a time.",
        "Every Sunday morning in October, the same three trees.",
    ),
    (
        "City lights",
        "linus",
        "Night walks with a small camera.",
        "Long exposures from bridges and rooftops.",
    ),
];

/// Creates the demo content when the blog has no album yet.
pub(crate) async fn seed(blog: &Photoblog) -> Result<(), AppError> {
    if blog.db.album_count().await? > 0 {
        return Ok(());
    }
    let mut n = 0;
    for (title, author, description, content) in ALBUMS {
        let fields = AlbumFields {
            title: title.into(),
            author: author.into(),
            description: description.into(),
            content: content.into(),
        };
        let album = blog.db.create_album(&fields).await?;
        for film in blog.db.films(Some(album.id)).await? {
            for i in 0..3 {
                n += 1;
                let png = demo_png(n).map_err(std::io::Error::other)?;
                let upload =
                    Upload::new(Some("demo.png".into()), Some(mime::IMAGE_PNG), png.into());
                let legend = format!("{title}, {} #{}", film.title.to_lowercase(), i + 1);
                blog.add_photo(film.id, &legend, upload).await?;
            }
        }
    }
    tracing::info!("seeded the demo content: 3 albums, 6 films, {n} photos");
    Ok(())
}
