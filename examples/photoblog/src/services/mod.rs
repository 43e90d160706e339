//! The REST services under `/services/rest/` (the method dispatcher). Each
//! entity is a collection resource and, below it, an item resource (`popargs`), as the tour's
//! users are.
//!
//! | URI | methods |
//! |---|---|
//! | `/services/rest/album/` (`?album_id=<id>`: one) | GET, POST |
//! | `/services/rest/album/<id>` | GET, PUT, DELETE |
//! | `/services/rest/albums/<start>-<end>` | GET: albums in creation order, `end` exclusive |
//! | `/services/rest/film/` (`?album_id=` filters) | GET, POST |
//! | `/services/rest/film/<id>` | GET, PUT, DELETE |
//! | `/services/rest/photo/` (`?film_id=` filters) | GET, POST (multipart upload) |
//! | `/services/rest/photo/<id>` (`Accept: image/*` gives the image) | GET, PUT, DELETE |
//!
//! JSON is the default; XML, Atom, `text/json` and `text/x-json` on request.

mod albums;
mod films;
mod input;
mod photos;

use drupe::cache::Invalidate;
use drupe::{Collection, Negotiated, controller};

use crate::views::OneOrAll;

pub(crate) use input::{AlbumIn, legend};

/// `/services/`: not a resource (404), holds `rest`.
#[controller]
#[derive(Default)]
pub(crate) struct Services {
    #[mount]
    rest: Rest,
}

#[controller]
impl Services {}

/// `/services/rest/`: not a resource (404), holds the resources.
#[controller]
#[derive(Default)]
struct Rest {
    #[mount]
    album: albums::Albums,
    #[mount]
    albums: albums::AlbumRange,
    #[mount]
    film: films::Films,
    #[mount]
    photo: photos::Photos,
}

#[controller]
impl Rest {}

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
