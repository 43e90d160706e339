//! Albums: `/services/rest/album/` (the collection), `/services/rest/album/<id>` (one), and
//! `/services/rest/albums/<start>-<end>` (a range).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::HttpRequest;
use actix_web::http::{StatusCode, header};
use drupe::cache::Invalidate;
use drupe::represent::Validators;
use drupe::{
    Body, Collection, Created, ErrorStatus, HttpError, Negotiated, NoContent, State, resource,
};

use super::input::AlbumIn;
use super::{LISTS, album_tag, all, invalidate_album};
use crate::error::AppError;
use crate::model::{Changed, Deleted};
use crate::shared::Photoblog;
use crate::views::{AlbumView, OneOrAll};
use drupe::cache::Tags;

/// An album, or a 404.
async fn album(blog: &Photoblog, id: i64) -> Result<AlbumView, AppError> {
    let a = blog.album(id).await?;
    Ok(a.into())
}

/// When an album last changed, for `Last-Modified`.
fn modified_at(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap_or(0))
}

/// The 412 of a change made from a version the album is no longer at.
fn stale() -> AppError {
    HttpError::new(
        ErrorStatus::new(StatusCode::PRECONDITION_FAILED).expect("an error status"),
        "The album changed since that version was read; nothing was changed.",
    )
    .into()
}

/// The versions a change may be made from: those the request's `If-Match` names (`"7-json"`,
/// `"7-xml-gzip"`: version 7); `None` without `If-Match` or with `*`. An item that names no
/// version is left out, so a list that names none allows nothing (`Some(vec![])`: 412). The
/// ETag tool has already refused a request none of whose tags is current; the UPDATE compares
/// again, so that of two writers of one version only the first lands.
fn if_match_versions(req: &HttpRequest) -> Option<Vec<i64>> {
    let fields: Vec<&str> = req
        .headers()
        .get_all(header::IF_MATCH)
        .map(|v| v.to_str().unwrap_or(""))
        .collect();
    if fields.is_empty() || fields.iter().any(|f| f.trim() == "*") {
        return None;
    }
    let mut versions: Vec<i64> = fields
        .iter()
        .flat_map(|f| f.split(','))
        .filter_map(|item| {
            let tag = item.trim().strip_prefix('"')?;
            tag.split(['-', '"']).next()?.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    versions.dedup();
    versions.truncate(16);
    Some(versions)
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
    /// The album; its `ETag` is its version (`"7-json"`), with its `Last-Modified`.
    async fn get(
        &self,
        album_id: i64,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<AlbumView>, AppError> {
        tags.add(&album_tag(album_id));
        let a = blog.album(album_id).await?;
        let (version, modified) = (a.version, a.modified);
        Ok(Negotiated::new(AlbumView::from(a))
            .version(version)
            .last_modified(modified_at(modified)))
    }

    /// The album's validators alone, from its version column: what HEAD answers and what a
    /// change's `If-Match` is checked against.
    async fn head(&self, album_id: i64, blog: State<Photoblog>) -> Result<Validators, AppError> {
        let (version, modified) = blog
            .db
            .album_version(album_id)
            .await?
            .ok_or(AppError::NoAlbum(album_id))?;
        Ok(Validators::new()
            .version(version)
            .last_modified(modified_at(modified)))
    }

    /// Replaces the album's fields; an unknown album is a 404 (PUT never creates). With
    /// `If-Match`, only if the album is still at that version (412 otherwise: nothing
    /// changes).
    async fn put(
        &self,
        album_id: i64,
        body: Body<AlbumIn>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
        req: HttpRequest,
    ) -> Result<Negotiated<AlbumView>, AppError> {
        let fields = body.into_inner().validated()?;
        let from = if_match_versions(&req);
        let album = match blog
            .db
            .update_album_from(album_id, &fields, from.as_deref())
            .await?
        {
            Changed::Done(a) => a,
            Changed::Missing => return Err(AppError::NoAlbum(album_id)),
            Changed::Stale => return Err(stale()),
        };
        invalidate_album(&invalidate, album_id);
        let (version, modified) = (album.version, album.modified);
        Ok(Negotiated::new(AlbumView::from(album))
            .version(version)
            .last_modified(modified_at(modified)))
    }

    /// Deletes the album with its films and photos (204); a second delete is a 404.
    #[produces(none)]
    async fn delete(
        &self,
        album_id: i64,
        blog: State<Photoblog>,
        invalidate: Invalidate,
        req: HttpRequest,
    ) -> Result<NoContent, AppError> {
        let from = if_match_versions(&req);
        match blog
            .delete_album_from(album_id, from.as_deref(), &invalidate)
            .await?
        {
            Deleted::Done(_) => Ok(NoContent),
            Deleted::Missing => Err(AppError::NoAlbum(album_id)),
            Deleted::Stale => Err(stale()),
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
