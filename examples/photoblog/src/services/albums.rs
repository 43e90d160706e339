//! Albums: `/services/rest/album/` (the collection), `/services/rest/album/<id>` (one), and
//! `/services/rest/albums/<start>-<end>` (a range).

use drupe::cache::Invalidate;
use drupe::{Body, Collection, Created, HttpError, Negotiated, NoContent, State, resource};

use super::input::AlbumIn;
use super::{LISTS, album_tag, all, invalidate_album};
use crate::error::AppError;
use crate::shared::Photoblog;
use crate::views::{AlbumView, OneOrAll};
use drupe::cache::Tags;

/// An album, or a 404.
async fn album(blog: &Photoblog, id: i64) -> Result<AlbumView, AppError> {
    let a = blog.album(id).await?;
    Ok(a.into())
}

/// `/services/rest/album/`: every album; one below it.
#[resource]
#[derive(Default)]
pub(super) struct Albums {
    /// One album: `/services/rest/album/<id>`.
    #[mount(hidden)]
    item: AlbumItem,
}

#[resource(popargs(album_id, then = item), produces(json, xml, atom))]
impl Albums {
    /// The albums, or the album `?album_id=` (the item's URI in CherryPy's photoblog).
    #[status(404)]
    async fn get(
        &self,
        #[param(named)] album_id: Option<i64>,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<OneOrAll<AlbumView>>, AppError> {
        tags.add(LISTS);
        if let Some(id) = album_id {
            tags.add(&album_tag(id));
        }
        match album_id {
            Some(id) => Ok(Negotiated::new(OneOrAll::One(album(&blog, id).await?))),
            None => Ok(all("Albums", blog.db.all_albums().await?)),
        }
    }

    /// Creates an album (form, JSON or XML) with two films.
    async fn post(
        &self,
        body: Body<AlbumIn>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<Created<AlbumView>, AppError> {
        let fields = body.into_inner().validated()?;
        let album = blog.db.create_album(&fields).await?;
        invalidate_album(&invalidate, album.id);
        let location = format!("/services/rest/album/{}", album.id);
        Ok(Created::new(location, album.into()))
    }
}

/// `/services/rest/album/<id>`: one album.
#[derive(Default)]
pub(super) struct AlbumItem;

/// Every verb but DELETE answers JSON, XML or Atom; every verb answers 404 for an unknown id.
#[resource(produces(json, xml, atom), status(404))]
impl AlbumItem {
    /// The album.
    async fn get(
        &self,
        album_id: i64,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<AlbumView>, AppError> {
        tags.add(&album_tag(album_id));
        Ok(Negotiated::new(album(&blog, album_id).await?))
    }

    /// Replaces the album's fields; an unknown album is a 404 (PUT never creates).
    async fn put(
        &self,
        album_id: i64,
        body: Body<AlbumIn>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<Negotiated<AlbumView>, AppError> {
        let fields = body.into_inner().validated()?;
        let updated = blog.db.update_album(album_id, &fields).await?;
        let album = updated.ok_or(AppError::NoAlbum(album_id))?;
        invalidate_album(&invalidate, album_id);
        Ok(Negotiated::new(album.into()))
    }

    /// Deletes the album with its films and photos (204); a second delete is a 404.
    #[produces(none)]
    async fn delete(
        &self,
        album_id: i64,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<NoContent, AppError> {
        if blog.delete_album(album_id, &invalidate).await? {
            Ok(NoContent)
        } else {
            Err(AppError::NoAlbum(album_id))
        }
    }
}

/// `/services/rest/albums/<start>-<end>`.
#[derive(Default)]
pub(super) struct AlbumRange;

/// `start-end`, both at most 12 digits, `start <= end`.
fn parse_range(r: &str) -> Option<(i64, i64)> {
    let (a, b) = r.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 12 && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    let (a, b) = (a.parse().ok()?, b.parse().ok()?);
    (a <= b).then_some((a, b))
}

#[resource]
impl AlbumRange {
    /// Albums in creation order, `start` inclusive, `end` exclusive (`/albums/0-3`).
    #[produces(json, xml, atom)]
    #[status(404)]
    async fn get(
        &self,
        range: String,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<Collection<AlbumView>>, AppError> {
        // Not a range: no resource has this URI.
        let (start, end) = parse_range(&range).ok_or_else(|| {
            HttpError::not_found(format!(
                "No albums {range}: a range is <start>-<end>, e.g. 0-3."
            ))
        })?;
        tags.add(LISTS);
        let albums = blog.db.albums_range(start, end).await?;
        Ok(Negotiated::new(Collection::new(
            format!("Albums {start} to {end}"),
            albums.into_iter().map(AlbumView::from).collect(),
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ranges() {
        assert_eq!(super::parse_range("0-3"), Some((0, 3)));
        assert_eq!(super::parse_range("2-2"), Some((2, 2)));
        for bad in [
            "3",
            "a",
            "0-",
            "a+3",
            "3-a",
            "0+3",
            "5-2",
            "-1-3",
            "1-99999999999999",
        ] {
            assert_eq!(super::parse_range(bad), None, "{bad}");
        }
    }
}
