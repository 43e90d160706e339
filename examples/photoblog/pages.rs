//! The photoblog's HTML pages (default dispatcher, templates in `templates/photoblog/`), its
//! Atom feeds, its static files and photo files.
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

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use drupe::cache::Invalidate;
use drupe::represent::RenderContext;
use drupe::represent::atom::AtomDocument;
use drupe::{Collection, HttpError, Negotiated, Page, Upload, VirtualPath, controller, resource};
use minijinja::{Value, context};

use super::Shared;
use super::images::media_type;
use super::model::{AlbumFields, db_error};
use super::services::{AlbumIn, Services, invalidate_album, no_album, text};
use super::views::{AlbumView, PhotoView, at, book_date};

const CSRF_COOKIE: &str = "photoblog_csrf";

fn site_info() -> Value {
    context! {
        title => "A drupe photoblog",
        tagline => "Albums, films and photos, served by drupe.",
    }
}

/// A page of the site: the template with `site` in its context.
fn render(template: &str, ctx: Value) -> Page {
    Page::new(
        format!("photoblog/{template}"),
        context! { site => site_info(), ..ctx },
    )
}

/// The CSRF token for a form: the one the browser holds, or a new one it is given.
fn csrf_token(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(CSRF_COOKIE) {
        Some(c) if c.value().len() == 32 => (c.value().to_owned(), None),
        _ => {
            let t = uuid::Uuid::new_v4().simple().to_string();
            let cookie = Cookie::build(CSRF_COOKIE, t.clone())
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .finish();
            (t, Some(cookie))
        }
    }
}

/// A form page, with its token cookie when it is new.
fn form_page(req: &HttpRequest, template: &str, ctx: Value, status: StatusCode) -> HttpResponse {
    let (token, cookie) = csrf_token(req);
    let mut res = actix_web::Responder::respond_to(
        render(template, context! { csrf => token, ..ctx }).with_status(status),
        req,
    );
    if let Some(c) = cookie {
        let _ = res.add_cookie(&c);
    }
    res
}

/// A posted form must carry the token its page set (double-submit).
fn check_csrf(req: &HttpRequest, token: Option<&str>) -> Result<(), HttpError> {
    let token = token.unwrap_or("");
    let cookie = req.cookie(CSRF_COOKIE);
    let expected = cookie.as_ref().map(|c| c.value()).unwrap_or("");
    let same = expected.len() == token.len()
        && !expected.is_empty()
        && expected
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(())
    } else {
        Err(HttpError::forbidden(
            "This form was not sent by this site, or it expired (CSRF check). Reload the page and try again.",
        ))
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", to.to_owned()))
        .finish()
}

/// The site's root.
pub(crate) struct Site {
    shared: Arc<Shared>,
    album: AlbumPages,
    services: Services,
}

pub(crate) fn site(shared: Arc<Shared>) -> Site {
    use super::services::{AlbumRange, AlbumResource, FilmResource, PhotoResource, Rest};
    Site {
        album: AlbumPages {
            new: NewAlbum(shared.clone()),
            one: AlbumOne {
                shared: shared.clone(),
                edit: EditAlbum(shared.clone()),
                delete: DeleteAlbum(shared.clone()),
                upload: UploadPhoto(shared.clone()),
            },
        },
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
        let pages = self.shared.pages().await;
        let page_no = i64::from(page);
        if page_no < 1 || page_no > pages {
            return Err(HttpError::not_found(format!(
                "There is no page {page}: pages go from 1 to {pages}."
            )));
        }
        let albums = db
            .albums_newest((page_no - 1) * super::PER_PAGE, super::PER_PAGE)
            .await
            .map_err(db_error)?;
        let mut cards = Vec::new();
        for a in albums {
            let photos = db.photos_of_album(a.id).await.map_err(db_error)?;
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
        let p = db
            .photo(id)
            .await
            .map_err(db_error)?
            .ok_or_else(not_found)?;
        let film = db
            .film(p.film_id)
            .await
            .map_err(db_error)?
            .ok_or_else(not_found)?;
        let album = db
            .album(film.album_id)
            .await
            .map_err(db_error)?
            .ok_or_else(not_found)?;
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
                let albums = db.all_albums().await.map_err(db_error)?;
                Ok(Negotiated::new(Feed::Albums(
                    Collection::new(
                        "A drupe photoblog: albums",
                        albums.into_iter().map(AlbumView::from).collect(),
                    )
                    .link(drupe::represent::atom::Link::new("alternate", "/").typed("text/html")),
                )))
            }
            (Some("album"), Some(id)) => {
                let album = db
                    .album(id)
                    .await
                    .map_err(db_error)?
                    .ok_or_else(|| no_album(id))?;
                let photos = db.photos_of_album(id).await.map_err(db_error)?;
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
            .map_err(|_| HttpError::not_found("No such photo file."))?;
        Ok(HttpResponse::Ok()
            .content_type(media)
            .insert_header(("cache-control", "public, max-age=31536000, immutable"))
            .body(bytes))
    }

    /// `/album/...`
    #[mount]
    fn album(&self) -> &AlbumPages {
        &self.album
    }

    /// `/services/rest/...`
    #[mount]
    fn services(&self) -> &Services {
        &self.services
    }
}

/// `/album/new` and `/album/<id>/...`.
pub(crate) struct AlbumPages {
    new: NewAlbum,
    one: AlbumOne,
}

#[controller(popargs(album_id, then = one))]
impl AlbumPages {
    /// The form that creates an album.
    // The method's name is the URL segment `/album/new`, not a constructor.
    #[allow(clippy::new_ret_no_self, clippy::wrong_self_convention)]
    #[mount]
    fn new(&self) -> &NewAlbum {
        &self.new
    }

    #[mount(hidden)]
    fn one(&self) -> &AlbumOne {
        &self.one
    }
}

/// What an album form shows in its fields (empty for a missing one).
fn form_values(input: &AlbumIn) -> Value {
    let shown = |v: &Option<String>| v.clone().unwrap_or_default();
    context! {
        title => shown(&input.title),
        author => shown(&input.author),
        description => shown(&input.description),
        content => shown(&input.content),
    }
}

/// The fields of an album form; on a bad one, the form again (400) with what was typed and
/// the error. `form` holds the page's own context (`mode`, `action`...).
fn album_form_fields(
    req: &HttpRequest,
    input: AlbumIn,
    form: Value,
) -> Result<AlbumFields, Box<HttpResponse>> {
    let values = form_values(&input);
    input.validated().map_err(|e| {
        Box::new(form_page(
            req,
            "album_form.html",
            context! { values => values, errors => vec![e.message().to_owned()], ..form },
            StatusCode::BAD_REQUEST,
        ))
    })
}

/// `/album/new`.
pub(crate) struct NewAlbum(Arc<Shared>);

#[resource]
impl NewAlbum {
    /// The empty form.
    fn get(&self, req: HttpRequest) -> HttpResponse {
        form_page(
            &req,
            "album_form.html",
            context! { mode => "new", action => "/album/new", values => form_values(&AlbumIn::default()), errors => Vec::<String>::new() },
            StatusCode::OK,
        )
    }

    /// Creates the album, then shows it.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &self,
        req: HttpRequest,
        #[param(named)] csrf: Option<String>,
        #[param(named)] title: Option<String>,
        #[param(named)] author: Option<String>,
        #[param(named)] description: Option<String>,
        #[param(named)] content: Option<String>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, HttpError> {
        check_csrf(&req, csrf.as_deref())?;
        let input = AlbumIn {
            title,
            author,
            description,
            content,
        };
        let form = context! { mode => "new", action => "/album/new" };
        let fields = match album_form_fields(&req, input, form) {
            Ok(f) => f,
            Err(page) => return Ok(*page),
        };
        let album = self
            .0
            .db
            .create_album(&fields, &["First film", "Second film"])
            .await
            .map_err(db_error)?;
        invalidate_album(&invalidate, album.id, self.0.pages().await);
        Ok(see_other(&format!("/album/{}", album.id)))
    }
}

/// `/album/<id>`: the album page, and its forms below it.
pub(crate) struct AlbumOne {
    shared: Arc<Shared>,
    edit: EditAlbum,
    delete: DeleteAlbum,
    upload: UploadPhoto,
}

#[controller]
impl AlbumOne {
    /// The album, its films and their thumbnails.
    #[expose]
    #[status(404)]
    async fn default(&self, album_id: i64, rest: VirtualPath) -> Result<Page, HttpError> {
        if !rest.is_empty() {
            return Err(HttpError::not_found(format!(
                "The path '/album/{album_id}/{}' was not found.",
                rest.join("/")
            )));
        }
        let db = &self.shared.db;
        let a = db
            .album(album_id)
            .await
            .map_err(db_error)?
            .ok_or_else(|| no_album(album_id))?;
        let mut films = Vec::new();
        for f in db.films(Some(a.id)).await.map_err(db_error)? {
            let photos: Vec<Value> = db
                .photos(Some(f.id))
                .await
                .map_err(db_error)?
                .into_iter()
                .map(|p| context! { id => p.id, legend => p.legend, thumb => format!("/photos/thumbs/{}", p.filename), width => p.width, height => p.height })
                .collect();
            films.push(context! { id => f.id, title => f.title, photos => photos });
        }
        Ok(render(
            "album.html",
            context! {
                album => context! {
                    id => a.id, uuid => a.uuid, title => a.title, author => a.author,
                    description => a.description, content => a.content,
                    created => book_date(a.created), modified => book_date(a.modified),
                },
                films => films,
            },
        ))
    }

    /// `/album/<id>/edit`
    #[mount]
    fn edit(&self) -> &EditAlbum {
        &self.edit
    }

    /// `/album/<id>/delete`
    #[mount]
    fn delete(&self) -> &DeleteAlbum {
        &self.delete
    }

    /// `/album/<id>/upload`
    #[mount]
    fn upload(&self) -> &UploadPhoto {
        &self.upload
    }
}

/// `/album/<id>/edit`.
pub(crate) struct EditAlbum(Arc<Shared>);

#[resource]
impl EditAlbum {
    /// The form, filled in.
    #[status(404)]
    async fn get(&self, album_id: i64, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let a = self
            .0
            .db
            .album(album_id)
            .await
            .map_err(db_error)?
            .ok_or_else(|| no_album(album_id))?;
        let fields = AlbumIn {
            title: Some(a.title.clone()),
            author: Some(a.author),
            description: Some(a.description),
            content: Some(a.content),
        };
        Ok(form_page(
            &req,
            "album_form.html",
            context! { mode => "edit", action => format!("/album/{album_id}/edit"), values => form_values(&fields), errors => Vec::<String>::new(), album => context! { id => a.id, title => a.title } },
            StatusCode::OK,
        ))
    }

    /// Saves the album, then shows it.
    #[allow(clippy::too_many_arguments)]
    #[status(404)]
    async fn post(
        &self,
        album_id: i64,
        req: HttpRequest,
        #[param(named)] csrf: Option<String>,
        #[param(named)] title: Option<String>,
        #[param(named)] author: Option<String>,
        #[param(named)] description: Option<String>,
        #[param(named)] content: Option<String>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, HttpError> {
        check_csrf(&req, csrf.as_deref())?;
        let form = context! {
            mode => "edit",
            action => format!("/album/{album_id}/edit"),
            album => context! { id => album_id, title => title.clone().unwrap_or_default() },
        };
        let input = AlbumIn {
            title,
            author,
            description,
            content,
        };
        let fields = match album_form_fields(&req, input, form) {
            Ok(f) => f,
            Err(page) => return Ok(*page),
        };
        match self
            .0
            .db
            .update_album(album_id, &fields)
            .await
            .map_err(db_error)?
        {
            Some(_) => {
                invalidate_album(&invalidate, album_id, self.0.pages().await);
                Ok(see_other(&format!("/album/{album_id}")))
            }
            None => Err(no_album(album_id)),
        }
    }
}

/// `/album/<id>/delete`.
pub(crate) struct DeleteAlbum(Arc<Shared>);

#[resource]
impl DeleteAlbum {
    /// Deletes the album, its films and photos, then goes home.
    #[status(403, 404)]
    async fn post(
        &self,
        album_id: i64,
        req: HttpRequest,
        #[param(named)] csrf: Option<String>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, HttpError> {
        check_csrf(&req, csrf.as_deref())?;
        match self.0.db.delete_album(album_id).await.map_err(db_error)? {
            Some(files) => {
                self.0.forget_files(files).await;
                invalidate_album(&invalidate, album_id, self.0.pages().await + 1);
                Ok(see_other("/"))
            }
            None => Err(no_album(album_id)),
        }
    }
}

/// `/album/<id>/upload`.
pub(crate) struct UploadPhoto(Arc<Shared>);

impl UploadPhoto {
    async fn form(
        &self,
        req: &HttpRequest,
        album_id: i64,
        errors: Vec<String>,
        status: StatusCode,
    ) -> Result<HttpResponse, HttpError> {
        let db = &self.0.db;
        let a = db
            .album(album_id)
            .await
            .map_err(db_error)?
            .ok_or_else(|| no_album(album_id))?;
        let films: Vec<Value> = db
            .films(Some(album_id))
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|f| context! { id => f.id, title => f.title })
            .collect();
        Ok(form_page(
            req,
            "upload.html",
            context! { album => context! { id => a.id, title => a.title }, films => films, errors => errors, max_mb => self.0.max_upload / (1 << 20) },
            status,
        ))
    }
}

#[resource]
impl UploadPhoto {
    /// The upload form.
    #[status(404)]
    async fn get(&self, album_id: i64, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.form(&req, album_id, Vec::new(), StatusCode::OK).await
    }

    /// Stores the photo in one of the album's films, then shows the album.
    #[status(403, 404, 413, 415, 422)]
    // One argument per form field reads better than a struct built for one handler.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &self,
        album_id: i64,
        req: HttpRequest,
        #[param(named)] csrf: Option<String>,
        #[param(named)] film_id: i64,
        #[param(named)] legend: Option<String>,
        #[param(named)] file: Option<Upload>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, HttpError> {
        check_csrf(&req, csrf.as_deref())?;
        let Some(file) = file.filter(|f| !f.bytes().is_empty()) else {
            return self
                .form(
                    &req,
                    album_id,
                    vec!["Choose a photo to upload.".into()],
                    StatusCode::BAD_REQUEST,
                )
                .await;
        };
        let legend = match text("legend", legend, false, 200) {
            Ok(l) => l,
            Err(e) => {
                return self
                    .form(&req, album_id, vec![e.message().to_owned()], e.status())
                    .await;
            }
        };
        if self.0.album_of_film(film_id).await != Some(album_id) {
            return Err(HttpError::not_found(format!(
                "Album {album_id} has no film {film_id}."
            )));
        }
        match self.0.add_photo(film_id, &legend, file).await {
            Ok(_) => {
                invalidate_album(&invalidate, album_id, self.0.pages().await);
                Ok(see_other(&format!("/album/{album_id}#film-{film_id}")))
            }
            Err(e) if e.status().is_client_error() => {
                self.form(&req, album_id, vec![e.message().to_owned()], e.status())
                    .await
            }
            Err(e) => Err(e),
        }
    }
}
