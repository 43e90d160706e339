//! The photoblog's HTML pages (default dispatcher, templates in `templates/`), its Atom
//! feeds, its static files and photo files. The album pages and their forms are in
//! `albums.rs`.
//!
//! Reading is for everyone; the forms are the owner's. `tools.session_auth` (set up in
//! `app.rs`) answers `/login` and `/logout` and sends a visitor's form post to the login; a
//! form page takes `SignedIn`, so a visitor asking for it is sent there too. `tools.csrf`
//! checks every post: the templates write `{{ csrf_field }}` in each form.
//!
//! | path | page |
//! |---|---|
//! | `/`, `/?page=N` | the albums, newest first |
//! | `/album/<id>` | an album, its films, their thumbnails |
//! | `/photo/<id>` | a photo |
//! | `/album/new`, `/album/<id>/edit`, `/album/<id>/delete`, `/album/<id>/upload` | the owner's forms (`GET`: the form, `POST`: the change) |
//! | `/login` (`GET`, `POST`), `/logout` (`POST`) | signing in and out (`tools.session_auth`, `templates/login.html`) |
//! | `/feed`, `/feed/album/<id>` | Atom: the albums; an album's photos |
//! | `/static/style.css`, `/static/favicon.svg` (`tools.staticdir`), `/photos/<file>`, `/photos/thumbs/<file>` | files |

mod albums;

use drupe::represent::RenderContext;
use drupe::represent::atom::{AtomDocument, Link};
use drupe::{Collection, HttpError, Negotiated, Page, State, Templates, controller};
use minijinja::{Value, context};

use crate::error::AppError;
use crate::images::media_type;
use crate::services::{LISTS, Services, album_tag, photo_tag};
use crate::shared::{PER_PAGE, Photoblog};
use crate::views::{AlbumView, PhotoView, at, book_date};
use albums::AlbumPages;
use drupe::cache::Tags;
use drupe::files::ServeFile;

/// The site's templates, with `site` (its title and tagline) in every one: the pages' and
/// the login form `tools.session_auth` renders.
pub(crate) fn templates() -> Templates {
    let mut t = Templates::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/templates"));
    let site = context! {
        title => "A drupe photoblog",
        tagline => "Albums, films and photos, served by drupe.",
    };
    t.environment_mut().add_global("site", site);
    t
}

/// A page of the site.
fn render(template: &str, ctx: Value) -> Page {
    Page::new(template, ctx)
}

/// The site's root.
#[controller]
#[derive(Default)]
pub(crate) struct Site {
    /// `/album/...`
    #[mount]
    album: AlbumPages,
    /// `/services/rest/...`
    #[mount]
    services: Services,
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

/// The card of an album on the home page.
async fn album_card(blog: &Photoblog, a: crate::model::Album) -> Result<Value, AppError> {
    let photos = blog.db.photos_of_album(a.id).await?;
    Ok(context! {
        id => a.id,
        title => a.title,
        author => a.author,
        description => a.description,
        created => book_date(a.created),
        cover => photos.first().map(|p| format!("/photos/thumbs/{}", p.filename)),
        photos => photos.len(),
    })
}

#[controller]
impl Site {
    /// The albums, newest first, six a page.
    #[expose]
    #[status(404)]
    async fn index(
        &self,
        #[param(default = 1)] page: u32,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Page, AppError> {
        tags.add(LISTS);
        let pages = blog.pages().await?;
        let page_no = i64::from(page);
        if page_no < 1 || page_no > pages {
            return Err(HttpError::not_found(format!(
                "There is no page {page}: pages go from 1 to {pages}."
            ))
            .into());
        }
        let albums = blog
            .db
            .albums_newest((page_no - 1) * PER_PAGE, PER_PAGE)
            .await?;
        let mut cards = Vec::new();
        for a in albums {
            cards.push(album_card(&blog, a).await?);
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
    async fn photo(&self, id: i64, blog: State<Photoblog>, tags: Tags) -> Result<Page, AppError> {
        let db = &blog.db;
        let p = db.photo(id).await?.ok_or(AppError::NoPhoto(id))?;
        let film = db.film(p.film_id).await?.ok_or(AppError::NoPhoto(id))?;
        let album = db
            .album(film.album_id)
            .await?
            .ok_or(AppError::NoPhoto(id))?;
        // It shows the album's title: renaming the album drops it.
        tags.add(&album_tag(album.id));
        tags.add(&photo_tag(id));
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
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Negotiated<Feed>, AppError> {
        let db = &blog.db;
        match (kind.as_deref(), id) {
            (None, None) => {
                tags.add(LISTS);
                let albums = db.all_albums().await?;
                let albums = albums.into_iter().map(AlbumView::from).collect();
                let feed = Collection::new("A drupe photoblog: albums", albums)
                    .link(Link::new("alternate", "/").typed("text/html"));
                Ok(Negotiated::new(Feed::Albums(feed)))
            }
            (Some("album"), Some(id)) => {
                tags.add(&album_tag(id));
                let album = db.album(id).await?.ok_or(AppError::NoAlbum(id))?;
                let photos = db.photos_of_album(id).await?;
                let photos = photos.into_iter().map(PhotoView::from).collect();
                let feed = Collection::new(format!("{}: photos", album.title), photos)
                    .updated(at(album.modified));
                Ok(Negotiated::new(Feed::Photos(feed)))
            }
            _ => Err(HttpError::not_found("No such feed: /feed or /feed/album/<id>.").into()),
        }
    }

    /// Photo files (`/photos/<file>`) and thumbnails (`/photos/thumbs/<file>`): only stored
    /// names are ever read. A stored name is its content's hash, so the file never changes:
    /// clients keep it for a year (`immutable`), and ranges and validators are
    /// [`ServeFile`]'s.
    #[expose]
    async fn photos(
        &self,
        file: String,
        thumbnail: Option<String>,
        blog: State<Photoblog>,
    ) -> Result<ServeFile, HttpError> {
        let store = &blog.store;
        let (path, media) = match (file.as_str(), thumbnail.as_deref()) {
            ("thumbs", Some(name)) => (store.thumbnail(name), "image/jpeg"),
            (name, None) => (store.original(name), media_type(name)),
            _ => (None, ""),
        };
        let Some(path) = path else {
            return Err(HttpError::not_found("No such photo file."));
        };
        Ok(ServeFile::new(path)
            .content_type(media)
            .cache_control("public, max-age=31536000, immutable"))
    }
}
