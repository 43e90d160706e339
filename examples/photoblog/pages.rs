//! The photoblog's HTML pages (default dispatcher, templates in `templates/photoblog/`), its
//! Atom feeds, its static files and photo files. The album pages and their forms are in
//! `album_pages.rs`, the forms' CSRF token in `csrf.rs`.
//!
//! | path | page |
//! |---|---|
//! | `/`, `/?page=N` | the albums, newest first |
//! | `/album/<id>` | an album, its films, their thumbnails |
//! | `/photo/<id>` | a photo |
//! | `/album/new`, `/album/<id>/edit`, `/album/<id>/delete`, `/album/<id>/upload` | forms (CSRF-protected) |
//! | `/feed`, `/feed/album/<id>` | Atom: the albums; an album's photos |
//! | `/static/style.css`, `/static/favicon.svg`, `/photos/<file>`, `/photos/thumbs/<file>` | files |

use std::sync::Arc;

use actix_web::HttpResponse;
use drupe::represent::RenderContext;
use drupe::represent::atom::AtomDocument;
use drupe::{Collection, HttpError, Negotiated, Page, controller};
use minijinja::{Value, context};

use super::Shared;
use super::album_pages::{AlbumPages, album_pages};
use super::images::media_type;
use super::services::{Services, no_album};
use super::views::{AlbumView, PhotoView, at, book_date};

fn site_info() -> Value {
    context! {
        title => "A drupe photoblog",
        tagline => "Albums, films and photos, served by drupe.",
    }
}

/// A page of the site: the template with `site` in its context.
pub(crate) fn render(template: &str, ctx: Value) -> Page {
    Page::new(
        format!("photoblog/{template}"),
        context! { site => site_info(), ..ctx },
    )
}

/// The site's root.
#[controller]
pub(crate) struct Site {
    shared: Arc<Shared>,
    /// `/album/...`
    #[mount]
    album: AlbumPages,
    /// `/services/rest/...`
    #[mount]
    services: Services,
}

pub(crate) fn site(shared: Arc<Shared>) -> Site {
    use super::services::{AlbumRange, AlbumResource, FilmResource, PhotoResource, Rest};
    Site {
        album: album_pages(&shared),
        services: Services {
            rest: Rest {
                album: AlbumResource(shared.clone()),
                albums: AlbumRange(shared.clone()),
                film: FilmResource(shared.clone()),
                photo: PhotoResource(shared.clone()),
            },
        },
        shared,
    }
}

/// A feed: the albums, or an album's photos.
enum Feed {
    Albums(Collection<AlbumView>),
    Photos(Collection<PhotoView>),
}

impl AtomDocument for Feed {
    fn atom_document(&self, cx: &RenderContext<'_>) -> Result<String, HttpError> {
        match self {
            Feed::Albums(c) => c.atom_document(cx),
            Feed::Photos(c) => c.atom_document(cx),
        }
    }
}

#[controller]
impl Site {
    /// The albums, newest first, six a page.
    #[expose]
    #[status(404)]
    async fn index(&self, #[param(default = 1)] page: u32) -> Result<Page, HttpError> {
        let db = &self.shared.db;
        let pages = self.shared.pages().await?;
        let page_no = i64::from(page);
        if page_no < 1 || page_no > pages {
            return Err(HttpError::not_found(format!(
                "There is no page {page}: pages go from 1 to {pages}."
            )));
        }
        let albums = db
            .albums_newest((page_no - 1) * super::PER_PAGE, super::PER_PAGE)
            .await?;
        let mut cards = Vec::new();
        for a in albums {
            let photos = db.photos_of_album(a.id).await?;
            cards.push(context! {
                id => a.id,
                title => a.title,
                author => a.author,
                description => a.description,
                created => book_date(a.created),
                cover => photos.first().map(|p| format!("/photos/thumbs/{}", p.filename)),
                photos => photos.len(),
            });
        }
        Ok(render(
            "home.html",
            context! {
                albums => cards,
                page => page_no,
                pages => pages,
                prev => (page_no > 1).then_some(page_no - 1),
                next => (page_no < pages).then_some(page_no + 1),
            },
        ))
    }

    /// One photo.
    #[expose]
    #[status(404)]
    async fn photo(&self, id: i64) -> Result<Page, HttpError> {
        let db = &self.shared.db;
        let not_found = || HttpError::not_found(format!("No photo {id}."));
        let p = db.photo(id).await?.ok_or_else(not_found)?;
        let film = db.film(p.film_id).await?.ok_or_else(not_found)?;
        let album = db.album(film.album_id).await?.ok_or_else(not_found)?;
        Ok(render(
            "photo.html",
            context! {
                photo => context! {
                    id => p.id,
                    legend => p.legend,
                    url => format!("/photos/{}", p.filename),
                    width => p.width,
                    height => p.height,
                    filesize => p.filesize,
                    created => book_date(p.created),
                },
                film => context! { id => film.id, title => film.title },
                album => context! { id => album.id, title => album.title },
            },
        ))
    }

    /// Atom feeds: `/feed` (the albums) and `/feed/album/<id>` (an album's photos).
    #[expose]
    #[produces(atom)]
    #[status(404)]
    async fn feed(
        &self,
        kind: Option<String>,
        id: Option<i64>,
    ) -> Result<Negotiated<Feed>, HttpError> {
        let db = &self.shared.db;
        match (kind.as_deref(), id) {
            (None, None) => {
                let albums = db.all_albums().await?;
                Ok(Negotiated::new(Feed::Albums(
                    Collection::new(
                        "A drupe photoblog: albums",
                        albums.into_iter().map(AlbumView::from).collect(),
                    )
                    .link(drupe::represent::atom::Link::new("alternate", "/").typed("text/html")),
                )))
            }
            (Some("album"), Some(id)) => {
                let album = db.album(id).await?.ok_or_else(|| no_album(id))?;
                let photos = db.photos_of_album(id).await?;
                Ok(Negotiated::new(Feed::Photos(
                    Collection::new(
                        format!("{}: photos", album.title),
                        photos.into_iter().map(PhotoView::from).collect(),
                    )
                    .updated(at(album.modified)),
                )))
            }
            _ => Err(HttpError::not_found(
                "No such feed: /feed or /feed/album/<id>.",
            )),
        }
    }

    /// The stylesheet and the icon: a fixed list, so no request names another file.
    #[expose]
    fn r#static(&self, name: String) -> Result<HttpResponse, HttpError> {
        let (file, media_type) = match name.as_str() {
            "style.css" => ("style.css", "text/css; charset=utf-8"),
            "favicon.svg" => ("favicon.svg", "image/svg+xml"),
            _ => return Err(HttpError::not_found(format!("No static file {name}."))),
        };
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/photoblog/static");
        let bytes = std::fs::read(format!("{dir}/{file}")).map_err(HttpError::internal)?;
        Ok(HttpResponse::Ok()
            .content_type(media_type)
            .insert_header(("cache-control", "public, max-age=300"))
            .body(bytes))
    }

    /// Photo files (`/photos/<file>`) and thumbnails (`/photos/thumbs/<file>`): only stored
    /// names are ever read.
    #[expose]
    async fn photos(
        &self,
        file: String,
        thumbnail: Option<String>,
    ) -> Result<HttpResponse, HttpError> {
        let store = &self.shared.store;
        let (path, media) = match (file.as_str(), thumbnail.as_deref()) {
            ("thumbs", Some(name)) => (store.thumbnail(name), "image/jpeg"),
            (name, None) => (store.original(name), media_type(name)),
            _ => (None, ""),
        };
        let Some(path) = path else {
            return Err(HttpError::not_found("No such photo file."));
        };
        let bytes = actix_web::web::block(move || std::fs::read(path))
            .await
            .map_err(HttpError::internal)?
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => HttpError::not_found("No such photo file."),
                _ => HttpError::internal(format!("reading a photo file: {e}")),
            })?;
        Ok(HttpResponse::Ok()
            .content_type(media)
            .insert_header(("cache-control", "public, max-age=31536000, immutable"))
            .body(bytes))
    }
}
