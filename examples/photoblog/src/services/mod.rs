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
//! | `/services/rest/token` | POST: a bearer token for the caller |
//!
//! Reads are public; every write needs the owner: Basic credentials, or a bearer token from
//! `/services/rest/token`.
//! JSON is the default; XML, Atom, `text/json` and `text/x-json` on request.

mod albums;
mod films;
mod input;
mod photos;
mod tokens;

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
    #[mount]
    token: tokens::Token,
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

/// The tag of every cached answer that lists albums, films or photos (the home pages, the
/// feed, the collections): any write changes some list.
pub(crate) const LISTS: &str = "lists";

/// The tag of every cached answer that shows album `id` or something in it (its page, its
/// feed, the album and its films as resources, the pages of its photos).
pub(crate) fn album_tag(id: i64) -> String {
    format!("album:{id}")
}

/// The tag of the answers that show photo `id` alone (the photo as a resource).
pub(crate) fn photo_tag(id: i64) -> String {
    format!("photo:{id}")
}

/// Drops what a write to album `id` (or to a film or photo of it) makes stale: every list,
/// and every answer that shows the album. Two tags, however many pages the cache holds.
pub(crate) fn invalidate_album(inv: &Invalidate, id: i64) {
    inv.tag(LISTS);
    inv.tag(&album_tag(id));
}
