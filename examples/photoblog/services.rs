//! The REST services under `/services/rest/` (method dispatcher; reference A8.2 with B8).
//!
//! | URI | methods |
//! |---|---|
//! | `/services/rest/album/`, `/services/rest/album/<id>` (or `?album_id=<id>`) | GET, POST, PUT, DELETE |
//! | `/services/rest/albums/<start>-<end>` | GET: albums in creation order, `end` exclusive |
//! | `/services/rest/film/`, `/services/rest/film/<id>` | GET (`?album_id=` filters), POST, PUT, DELETE |
//! | `/services/rest/photo/`, `/services/rest/photo/<id>` | GET (`?film_id=` filters; `Accept: image/*` gives the image), POST (multipart upload), PUT, DELETE |
//!
//! JSON is the default; XML, Atom, `text/json` and `text/x-json` on request.

use std::sync::Arc;

use drupe::cache::Invalidate;
use drupe::represent::ChosenMedia;
use drupe::{
    Body, Collection, Created, HttpError, Negotiated, NoContent, Upload, controller, resource,
};
use serde::Deserialize;

use super::Shared;
use super::model::AlbumFields;
use super::views::{AlbumView, FilmView, OneOrAll, PhotoImage, PhotoView};

/// A text field, trimmed: present when `required`, at most `max` characters, no NUL (which
/// PostgreSQL refuses to store).
pub(crate) fn text(
    field: &str,
    value: Option<String>,
    required: bool,
    max: usize,
) -> Result<String, HttpError> {
    let v = value.unwrap_or_default().trim().to_owned();
    if required && v.is_empty() {
        return Err(HttpError::bad_request(format!("{field} is required.")));
    }
    if v.contains('\0') {
        return Err(HttpError::bad_request(format!(
            "{field} contains a NUL character."
        )));
    }
    if v.chars().count() > max {
        return Err(HttpError::bad_request(format!(
            "{field} is longer than {max} characters."
        )));
    }
    Ok(v)
}

/// An album as a client sends it: `title` (required, 1–200 characters), `author`,
/// `description`, `content`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename = "album")]
pub(crate) struct AlbumIn {
    pub(crate) title: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) content: Option<String>,
}

impl AlbumIn {
    pub(crate) fn validated(self) -> Result<AlbumFields, HttpError> {
        Ok(AlbumFields {
            title: text("title", self.title, true, 200)?,
            author: text("author", self.author, false, 100)?,
            description: text("description", self.description, false, 2_000)?,
            content: text("content", self.content, false, 100_000)?,
        })
    }
}

/// A film as a client sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename = "film")]
pub(crate) struct FilmIn {
    title: Option<String>,
    /// The album it belongs to (POST only).
    album_id: Option<i64>,
}

/// A photo's legend.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename = "photo")]
pub(crate) struct PhotoIn {
    legend: Option<String>,
}

/// The answer for an album that does not exist.
pub(crate) fn no_album(id: i64) -> HttpError {
    HttpError::not_found(format!("No album {id}."))
}

/// A list answer: the rows as views, under `title`.
fn all<R, V: From<R>>(title: &str, rows: Vec<R>) -> Negotiated<OneOrAll<V>> {
    Negotiated::new(OneOrAll::All(Collection::new(
        title,
        rows.into_iter().map(V::from).collect(),
    )))
}

/// The most home pages a write drops from the cache.
pub(crate) const MAX_CACHED_PAGES: i64 = 1000;

/// URIs whose cached copies show an album (its pages, feeds, lists): `pages` home pages.
pub(crate) fn invalidate_album(inv: &Invalidate, id: i64, pages: i64) {
    for p in [
        "/",
        "/feed",
        "/services/rest/album",
        "/services/rest/album/",
        "/services/rest/film",
        "/services/rest/film/",
        "/services/rest/photo",
        "/services/rest/photo/",
    ] {
        inv.path(p);
    }
    for n in 1..=pages.clamp(1, MAX_CACHED_PAGES) + 1 {
        inv.path(&format!("/?page={n}"));
    }
    for p in [
        format!("/album/{id}"),
        format!("/feed/album/{id}"),
        format!("/services/rest/album/{id}"),
        format!("/services/rest/album?album_id={id}"),
        format!("/services/rest/film?album_id={id}"),
    ] {
        inv.path(&p);
    }
}

/// `/services/`: not a resource (404), holds `rest`.
#[controller]
pub(crate) struct Services {
    #[mount]
    pub(crate) rest: Rest,
}

#[controller]
impl Services {}

/// `/services/rest/`: not a resource (404), holds the resources.
#[controller]
pub(crate) struct Rest {
    #[mount]
    pub(crate) album: AlbumResource,
    #[mount]
    pub(crate) albums: AlbumRange,
    #[mount]
    pub(crate) film: FilmResource,
    #[mount]
    pub(crate) photo: PhotoResource,
}

#[controller]
impl Rest {}

/// Albums.
pub(crate) struct AlbumResource(pub(crate) Arc<Shared>);

/// Every verb but DELETE answers JSON, XML or Atom.
#[resource(produces(json, xml, atom))]
impl AlbumResource {
    /// The albums, or the album `album_id`.
    #[status(404)]
    async fn get(
        &self,
        album_id: Option<i64>,
    ) -> Result<Negotiated<OneOrAll<AlbumView>>, HttpError> {
        let db = &self.0.db;
        match album_id {
            Some(id) => match db.album(id).await? {
                Some(a) => Ok(Negotiated::new(OneOrAll::One(a.into()))),
                None => Err(no_album(id)),
            },
            None => Ok(all("Albums", db.all_albums().await?)),
        }
    }

    /// Creates an album (form, JSON or XML) with two films.
    async fn post(
        &self,
        body: Body<AlbumIn>,
        invalidate: Invalidate,
    ) -> Result<Created<AlbumView>, HttpError> {
        let fields = body.into_inner().validated()?;
        let album = self
            .0
            .db
            .create_album(&fields, &["First film", "Second film"])
            .await?;
        invalidate_album(&invalidate, album.id, self.0.pages_to_invalidate().await);
        let location = format!("/services/rest/album/{}", album.id);
        Ok(Created::new(location, album.into()))
    }

    /// Replaces an album's fields; an unknown album is a 404 (PUT never creates).
    #[status(404)]
    async fn put(
        &self,
        album_id: i64,
        body: Body<AlbumIn>,
        invalidate: Invalidate,
    ) -> Result<Negotiated<AlbumView>, HttpError> {
        let fields = body.into_inner().validated()?;
        match self.0.db.update_album(album_id, &fields).await? {
            Some(a) => {
                invalidate_album(&invalidate, album_id, self.0.pages_to_invalidate().await);
                Ok(Negotiated::new(a.into()))
            }
            None => Err(no_album(album_id)),
        }
    }

    /// Deletes an album with its films and photos (204); a second delete is a 404.
    #[produces(none)]
    #[status(404)]
    async fn delete(&self, album_id: i64, invalidate: Invalidate) -> Result<NoContent, HttpError> {
        if self.0.delete_album(album_id, &invalidate).await? {
            Ok(NoContent)
        } else {
            Err(no_album(album_id))
        }
    }
}

/// `/services/rest/albums/<start>-<end>`.
pub(crate) struct AlbumRange(pub(crate) Arc<Shared>);

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
    async fn get(&self, range: String) -> Result<Negotiated<Collection<AlbumView>>, HttpError> {
        let (start, end) =
            parse_range(&range).ok_or_else(|| HttpError::bad_request("Invalid range"))?;
        let albums = self.0.db.albums_range(start, end).await?;
        Ok(Negotiated::new(Collection::new(
            format!("Albums {start} to {end}"),
            albums.into_iter().map(AlbumView::from).collect(),
        )))
    }
}

/// Films.
pub(crate) struct FilmResource(pub(crate) Arc<Shared>);

/// Every verb but DELETE answers JSON, XML or Atom; every verb answers 404 for an unknown id.
#[resource(produces(json, xml, atom), status(404))]
impl FilmResource {
    /// The films (of `album_id`), or the film `film_id`.
    async fn get(
        &self,
        film_id: Option<i64>,
        #[param(named)] album_id: Option<i64>,
    ) -> Result<Negotiated<OneOrAll<FilmView>>, HttpError> {
        let db = &self.0.db;
        match film_id {
            Some(id) => match db.film(id).await? {
                Some(f) => Ok(Negotiated::new(OneOrAll::One(f.into()))),
                None => Err(HttpError::not_found(format!("No film {id}."))),
            },
            None => Ok(all("Films", db.films(album_id).await?)),
        }
    }

    /// Creates a film in an album.
    async fn post(
        &self,
        body: Body<FilmIn>,
        invalidate: Invalidate,
    ) -> Result<Created<FilmView>, HttpError> {
        let f = body.into_inner();
        let title = text("title", f.title, true, 200)?;
        let album_id = f
            .album_id
            .ok_or_else(|| HttpError::bad_request("album_id is required."))?;
        match self.0.db.create_film(album_id, &title).await? {
            Some(film) => {
                invalidate_album(&invalidate, album_id, self.0.pages_to_invalidate().await);
                Ok(Created::new(
                    format!("/services/rest/film/{}", film.id),
                    film.into(),
                ))
            }
            None => Err(no_album(album_id)),
        }
    }

    /// Renames a film.
    async fn put(
        &self,
        film_id: i64,
        body: Body<FilmIn>,
        invalidate: Invalidate,
    ) -> Result<Negotiated<FilmView>, HttpError> {
        let title = text("title", body.into_inner().title, true, 200)?;
        match self.0.db.update_film(film_id, &title).await? {
            Some(f) => {
                invalidate_album(&invalidate, f.album_id, self.0.pages_to_invalidate().await);
                Ok(Negotiated::new(f.into()))
            }
            None => Err(HttpError::not_found(format!("No film {film_id}."))),
        }
    }

    /// Deletes a film and its photos.
    #[produces(none)]
    async fn delete(&self, film_id: i64, invalidate: Invalidate) -> Result<NoContent, HttpError> {
        match self.0.db.delete_film(film_id).await? {
            Some((film, files)) => {
                self.0.forget_files(files).await;
                invalidate_album(
                    &invalidate,
                    film.album_id,
                    self.0.pages_to_invalidate().await,
                );
                Ok(NoContent)
            }
            None => Err(HttpError::not_found(format!("No film {film_id}."))),
        }
    }
}

/// Photos.
pub(crate) struct PhotoResource(pub(crate) Arc<Shared>);

/// Every verb but DELETE answers JSON, XML or Atom; every verb answers 404 for an unknown id.
#[resource(produces(json, xml, atom), status(404))]
impl PhotoResource {
    /// The photos (of `film_id`), or the photo `photo_id`; with `Accept: image/*`, its image.
    #[produces(json, xml, atom, PhotoImage)]
    async fn get(
        &self,
        photo_id: Option<i64>,
        #[param(named)] film_id: Option<i64>,
        media: ChosenMedia,
    ) -> Result<Negotiated<OneOrAll<PhotoView>>, HttpError> {
        let db = &self.0.db;
        let wants_image = media.as_str().starts_with("image/");
        match photo_id {
            Some(id) => {
                let p = db
                    .photo(id)
                    .await?
                    .ok_or_else(|| HttpError::not_found(format!("No photo {id}.")))?;
                let image = if wants_image {
                    Some(self.0.read_original(&p.filename).await?)
                } else {
                    None
                };
                Ok(Negotiated::new(OneOrAll::One(PhotoView {
                    image,
                    ..PhotoView::from(p)
                })))
            }
            None if wants_image => Err(drupe::NotAcceptable::new(
                Some("image/*"),
                [
                    "application/json",
                    "application/xml",
                    "application/atom+xml",
                ],
            )
            .into()),
            None => Ok(all("Photos", db.photos(film_id).await?)),
        }
    }

    /// Uploads a photo (multipart: `file`, `film_id`, `legend`): the content must be a PNG,
    /// JPEG, GIF or WebP image.
    #[status(404, 413, 415, 422)]
    async fn post(
        &self,
        #[param(named)] file: Upload,
        #[param(named)] film_id: i64,
        #[param(named)] legend: Option<String>,
        invalidate: Invalidate,
    ) -> Result<Created<PhotoView>, HttpError> {
        let legend = text("legend", legend, false, 200)?;
        let (photo, album_id) = self.0.add_photo(film_id, &legend, file).await?;
        invalidate_album(&invalidate, album_id, self.0.pages_to_invalidate().await);
        Ok(Created::new(
            format!("/services/rest/photo/{}", photo.id),
            PhotoView::from(photo),
        ))
    }

    /// Changes a photo's legend.
    async fn put(
        &self,
        photo_id: i64,
        body: Body<PhotoIn>,
        invalidate: Invalidate,
    ) -> Result<Negotiated<OneOrAll<PhotoView>>, HttpError> {
        let legend = text("legend", body.into_inner().legend, false, 200)?;
        match self.0.db.update_photo(photo_id, &legend).await? {
            Some((p, album)) => {
                invalidate_album(&invalidate, album, self.0.pages_to_invalidate().await);
                invalidate.path(&format!("/photo/{photo_id}"));
                Ok(Negotiated::new(OneOrAll::One(p.into())))
            }
            None => Err(HttpError::not_found(format!("No photo {photo_id}."))),
        }
    }

    /// Deletes a photo (its file goes when no other photo shares it).
    #[produces(none)]
    async fn delete(&self, photo_id: i64, invalidate: Invalidate) -> Result<NoContent, HttpError> {
        match self.0.db.delete_photo(photo_id).await? {
            Some((p, album)) => {
                self.0.forget_files(vec![p.filename]).await;
                invalidate_album(&invalidate, album, self.0.pages_to_invalidate().await);
                invalidate.path(&format!("/photo/{photo_id}"));
                Ok(NoContent)
            }
            None => Err(HttpError::not_found(format!("No photo {photo_id}."))),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_fields() {
        let field = |v: &str, required| super::text("title", Some(v.to_owned()), required, 5);
        assert_eq!(field("  ab ", true).unwrap(), "ab");
        assert_eq!(field("", false).unwrap(), "");
        for (bad, required, says) in [
            ("", true, "title is required."),
            ("   ", true, "title is required."),
            ("abcdef", false, "title is longer than 5 characters."),
            ("a\0b", false, "title contains a NUL character."),
        ] {
            let e = field(bad, required).unwrap_err();
            assert_eq!(e.status().as_u16(), 400, "{bad:?}");
            assert_eq!(e.message(), says, "{bad:?}");
        }
    }

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
