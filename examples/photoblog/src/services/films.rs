//! Films: `/services/rest/film/` (the collection, `?album_id=` filters) and
//! `/services/rest/film/<id>` (one).

use drupe::cache::Invalidate;
use drupe::{Body, Created, Negotiated, NoContent, State, resource};

use super::input::{FilmIn, NewFilm, title};
use super::{LISTS, album_tag, all, invalidate_album};
use crate::error::AppError;
use crate::shared::Photoblog;
use crate::views::{FilmView, OneOrAll};
use drupe::cache::Tags;

/// A film, or a 404; the answer is tagged with its album.
async fn film(blog: &Photoblog, id: i64, tags: &Tags) -> Result<FilmView, AppError> {
    let f = blog.db.film(id).await?.ok_or(AppError::NoFilm(id))?;
    tags.add(&album_tag(f.album_id));
    Ok(f.into())
}

/// `/services/rest/film/`: the films; one below it.
#[resource]
#[derive(Default)]
pub(super) struct Films {
    /// One film: `/services/rest/film/<id>`.
    #[mount(hidden)]
    item: FilmItem,
}

/// Each verb answers JSON, XML or Atom, and 404 for an unknown id.
#[resource(popargs(film_id, then = item), produces(json, xml, atom), status(404))]
impl Films {
    /// The films (of `album_id`), or the film `?film_id=`.
    async fn get(
        &self,
        #[param(named)] film_id: Option<i64>,
        #[param(named)] album_id: Option<i64>,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<OneOrAll<FilmView>>, AppError> {
        tags.add(LISTS);
        match film_id {
            Some(id) => Ok(Negotiated::new(OneOrAll::One(
                film(&blog, id, &tags).await?,
            ))),
            None => Ok(all("Films", blog.db.films(album_id).await?)),
        }
    }

    /// Creates a film in an album.
    async fn post(
        &self,
        body: Body<NewFilm>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<Created<FilmView>, AppError> {
        let f = body.into_inner();
        let title = title(f.title)?;
        let album_id = f.album_id;
        let created = blog.db.create_film(album_id, &title).await?;
        let film = created.ok_or(AppError::NoAlbum(album_id))?;
        invalidate_album(&invalidate, album_id);
        let location = format!("/services/rest/film/{}", film.id);
        Ok(Created::new(location, film.into()))
    }
}

/// `/services/rest/film/<id>`: one film.
#[derive(Default)]
pub(super) struct FilmItem;

/// Every verb but DELETE answers JSON, XML or Atom; every verb answers 404 for an unknown id.
#[resource(produces(json, xml, atom), status(404))]
impl FilmItem {
    /// The film.
    async fn get(
        &self,
        film_id: i64,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<FilmView>, AppError> {
        Ok(Negotiated::new(film(&blog, film_id, &tags).await?))
    }

    /// Renames the film.
    async fn put(
        &self,
        film_id: i64,
        body: Body<FilmIn>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<Negotiated<FilmView>, AppError> {
        let title = title(body.into_inner().title)?;
        let updated = blog.db.update_film(film_id, &title).await?;
        let f = updated.ok_or(AppError::NoFilm(film_id))?;
        invalidate_album(&invalidate, f.album_id);
        Ok(Negotiated::new(f.into()))
    }

    /// Deletes the film and its photos.
    #[produces(none)]
    async fn delete(
        &self,
        film_id: i64,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<NoContent, AppError> {
        let deleted = blog.db.delete_film(film_id).await?;
        let (film, files) = deleted.ok_or(AppError::NoFilm(film_id))?;
        blog.forget_files(files).await;
        invalidate_album(&invalidate, film.album_id);
        Ok(NoContent)
    }
}
