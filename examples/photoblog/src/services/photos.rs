//! Photos: `/services/rest/photo/` (the collection, `?film_id=` filters; POST uploads) and
//! `/services/rest/photo/<id>` (one; `Accept: image/*` gives the image itself).

use drupe::cache::Invalidate;
use drupe::represent::ChosenMedia;
use drupe::{
    Body, Created, HttpError, Negotiated, NoContent, NotAcceptable, State, Upload, resource,
};

use super::input::{PhotoIn, legend};
use super::{LISTS, all, invalidate_album, photo_tag};
use crate::error::AppError;
use crate::shared::Photoblog;
use crate::views::{OneOrAll, PhotoImage, PhotoView};
use drupe::cache::Tags;

/// A photo, with its image's bytes when the client asked for the image; or a 404.
async fn photo(blog: &Photoblog, id: i64, media: &ChosenMedia) -> Result<PhotoView, AppError> {
    let p = blog.db.photo(id).await?.ok_or(AppError::NoPhoto(id))?;
    let image = if media.as_str().starts_with("image/") {
        Some(blog.read_original(&p.filename).await?)
    } else {
        None
    };
    Ok(PhotoView {
        image,
        ..PhotoView::from(p)
    })
}

/// `/services/rest/photo/`: the photos; one below it.
#[resource]
#[derive(Default)]
pub(super) struct Photos {
    /// One photo: `/services/rest/photo/<id>`.
    #[mount(hidden)]
    item: PhotoItem,
}

/// Each verb answers JSON, XML or Atom, and 404 for an unknown id.
#[resource(popargs(photo_id, then = item), produces(json, xml, atom), status(404))]
impl Photos {
    /// The photos (of `film_id`), or the photo `?photo_id=` (with `Accept: image/*`, its
    /// image).
    #[produces(json, xml, atom, PhotoImage)]
    async fn get(
        &self,
        #[param(named)] photo_id: Option<i64>,
        #[param(named)] film_id: Option<i64>,
        media: ChosenMedia,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<OneOrAll<PhotoView>>, AppError> {
        tags.add(LISTS);
        if let Some(id) = photo_id {
            tags.add(&photo_tag(id));
        }
        match photo_id {
            Some(id) => Ok(Negotiated::new(OneOrAll::One(
                photo(&blog, id, &media).await?,
            ))),
            None if media.as_str().starts_with("image/") => {
                let lists = [
                    "application/json",
                    "application/xml",
                    "application/atom+xml",
                ];
                Err(HttpError::from(NotAcceptable::new(Some("image/*"), lists)).into())
            }
            None => Ok(all("Photos", blog.db.photos(film_id).await?)),
        }
    }

    /// Uploads a photo (multipart: `file`, `film_id`, `legend`): the content must be a PNG,
    /// JPEG, GIF or WebP image.
    #[status(413, 415, 422)]
    async fn post(
        &self,
        #[param(named)] file: Upload,
        #[param(named)] film_id: i64,
        #[param(named)] legend: Option<String>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<Created<PhotoView>, AppError> {
        let legend = self::legend(legend)?;
        let (photo, album_id) = blog.add_photo(film_id, &legend, file).await?;
        invalidate_album(&invalidate, album_id);
        let location = format!("/services/rest/photo/{}", photo.id);
        Ok(Created::new(location, PhotoView::from(photo)))
    }
}

/// `/services/rest/photo/<id>`: one photo.
#[derive(Default)]
pub(super) struct PhotoItem;

/// Every verb but DELETE answers JSON, XML or Atom; every verb answers 404 for an unknown id.
#[resource(produces(json, xml, atom), status(404))]
impl PhotoItem {
    /// The photo; with `Accept: image/*`, its image.
    #[produces(json, xml, atom, PhotoImage)]
    async fn get(
        &self,
        photo_id: i64,
        media: ChosenMedia,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<PhotoView>, AppError> {
        tags.add(&photo_tag(photo_id));
        Ok(Negotiated::new(photo(&blog, photo_id, &media).await?))
    }

    /// Changes the photo's legend.
    async fn put(
        &self,
        photo_id: i64,
        body: Body<PhotoIn>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<Negotiated<PhotoView>, AppError> {
        let legend = legend(body.into_inner().legend)?;
        let updated = blog.db.update_photo(photo_id, &legend).await?;
        let (p, album) = updated.ok_or(AppError::NoPhoto(photo_id))?;
        invalidate_album(&invalidate, album);
        invalidate.tag(&photo_tag(photo_id));
        Ok(Negotiated::new(p.into()))
    }

    /// Deletes the photo (its file goes when no other photo shares it).
    #[produces(none)]
    async fn delete(
        &self,
        photo_id: i64,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<NoContent, AppError> {
        let deleted = blog.db.delete_photo(photo_id).await?;
        let (p, album) = deleted.ok_or(AppError::NoPhoto(photo_id))?;
        blog.forget_files(vec![p.filename]).await;
        invalidate_album(&invalidate, album);
        invalidate.tag(&photo_tag(photo_id));
        Ok(NoContent)
    }
}
