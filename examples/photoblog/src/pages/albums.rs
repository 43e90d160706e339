//! The album pages and their forms: `/album/new`, `/album/<id>` (the album, its films, their
//! thumbnails), `/album/<id>/edit`, `/album/<id>/delete`, `/album/<id>/upload`.
//!
//! The forms are the owner's: each handler takes `SignedIn`, so a visitor asking for a form
//! page is sent to the login (a browser) or answered 401, and never reaches the database;
//! `tools.session_auth` refuses a visitor's post before any handler runs. `tools.csrf` checks
//! each post's token (the templates write `{{ csrf_field }}`) and takes it out of the form.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, Responder};
use drupe::auth::SignedIn;
use drupe::cache::Invalidate;
use drupe::{HttpError, Page, State, Upload, VirtualPath, controller, resource};
use minijinja::{Value, context};

use super::render;
use crate::error::AppError;
use crate::images::megapixels;
use crate::model::AlbumFields;
use crate::services::{AlbumIn, album_tag, invalidate_album, legend};
use crate::shared::Photoblog;
use crate::views::book_date;
use drupe::cache::Tags;

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", to.to_owned()))
        .finish()
}

/// A form page. It carries a CSRF token (the tool makes it `private`) and the owner's data:
/// `no-store` keeps it out of every cache, the browser's included.
fn form_page(req: &HttpRequest, template: &str, ctx: Value, status: StatusCode) -> HttpResponse {
    let mut res = render(template, ctx).with_status(status).respond_to(req);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `/album/new` and `/album/<id>/...`.
#[controller]
#[derive(Default)]
pub(super) struct AlbumPages {
    /// The form that creates an album.
    #[mount]
    new: NewAlbum,
    /// `/album/<id>/...`, reached through `popargs`.
    #[mount(hidden)]
    one: AlbumOne,
}

#[controller(popargs(album_id, then = one))]
impl AlbumPages {}

/// What an album form shows in its fields (empty for a missing one).
fn form_values(input: &AlbumIn) -> Value {
    let shown = |v: &Option<String>| v.clone().unwrap_or_default();
    context! {
        title => input.title.clone(),
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
            context! { values => values, errors => vec![e.to_string()], ..form },
            StatusCode::BAD_REQUEST,
        ))
    })
}

/// `/album/new`.
#[derive(Default)]
struct NewAlbum;

#[resource]
impl NewAlbum {
    /// The empty form.
    fn get(&self, _owner: SignedIn, req: HttpRequest) -> HttpResponse {
        let values = form_values(&AlbumIn::default());
        form_page(
            &req,
            "album_form.html",
            context! { mode => "new", action => "/album/new", values => values, errors => Vec::<String>::new() },
            StatusCode::OK,
        )
    }

    /// Creates the album, then shows it.
    // One argument per form field reads better than a struct built for one handler.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &self,
        _owner: SignedIn,
        req: HttpRequest,
        #[param(named)] title: Option<String>,
        #[param(named)] author: Option<String>,
        #[param(named)] description: Option<String>,
        #[param(named)] content: Option<String>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, AppError> {
        let input = AlbumIn {
            title: title.unwrap_or_default(),
            author,
            description,
            content,
        };
        let form = context! { mode => "new", action => "/album/new" };
        let fields = match album_form_fields(&req, input, form) {
            Ok(f) => f,
            Err(page) => return Ok(*page),
        };
        let album = blog.db.create_album(&fields).await?;
        invalidate_album(&invalidate, album.id);
        Ok(see_other(&format!("/album/{}", album.id)))
    }
}

/// `/album/<id>`: the album page, and its forms below it.
#[controller]
#[derive(Default)]
struct AlbumOne {
    /// `/album/<id>/edit`
    #[mount]
    edit: EditAlbum,
    /// `/album/<id>/delete`
    #[mount]
    delete: DeleteAlbum,
    /// `/album/<id>/upload`
    #[mount]
    upload: UploadPhoto,
}

/// A film of the album page: its title and its thumbnails.
async fn film_card(blog: &Photoblog, f: crate::model::Film) -> Result<Value, AppError> {
    let photos: Vec<Value> = blog
        .db
        .photos(Some(f.id))
        .await?
        .into_iter()
        .map(|p| context! { id => p.id, legend => p.legend, thumb => format!("/photos/thumbs/{}", p.filename), width => p.width, height => p.height })
        .collect();
    Ok(context! { id => f.id, title => f.title, photos => photos })
}

#[controller]
impl AlbumOne {
    /// The album, its films and their thumbnails.
    #[expose]
    #[status(404)]
    async fn default(
        &self,
        album_id: i64,
        rest: VirtualPath,
        blog: State<Photoblog>,
        tags: Tags,
    ) -> Result<Page, AppError> {
        tags.add(&album_tag(album_id));
        if !rest.is_empty() {
            return Err(HttpError::not_found(format!(
                "The path '/album/{album_id}/{}' was not found.",
                rest.join("/")
            ))
            .into());
        }
        let a = blog.album(album_id).await?;
        let mut films = Vec::new();
        for f in blog.db.films(Some(a.id)).await? {
            films.push(film_card(&blog, f).await?);
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
}

/// `/album/<id>/edit`.
#[derive(Default)]
struct EditAlbum;

#[resource]
impl EditAlbum {
    /// The form, filled in.
    #[status(404)]
    async fn get(
        &self,
        album_id: i64,
        _owner: SignedIn,
        req: HttpRequest,
        blog: State<Photoblog>,
    ) -> Result<HttpResponse, AppError> {
        let a = blog.album(album_id).await?;
        let fields = AlbumIn {
            title: a.title.clone(),
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
        _owner: SignedIn,
        req: HttpRequest,
        #[param(named)] title: Option<String>,
        #[param(named)] author: Option<String>,
        #[param(named)] description: Option<String>,
        #[param(named)] content: Option<String>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, AppError> {
        let form = context! {
            mode => "edit",
            action => format!("/album/{album_id}/edit"),
            album => context! { id => album_id, title => title.clone().unwrap_or_default() },
        };
        let input = AlbumIn {
            title: title.unwrap_or_default(),
            author,
            description,
            content,
        };
        let fields = match album_form_fields(&req, input, form) {
            Ok(f) => f,
            Err(page) => return Ok(*page),
        };
        let updated = blog.db.update_album(album_id, &fields).await?;
        updated.ok_or(AppError::NoAlbum(album_id))?;
        invalidate_album(&invalidate, album_id);
        Ok(see_other(&format!("/album/{album_id}")))
    }
}

/// `/album/<id>/delete`.
#[derive(Default)]
struct DeleteAlbum;

#[resource]
impl DeleteAlbum {
    /// The confirmation: what the album holds, and the button that deletes it.
    #[status(404)]
    async fn get(
        &self,
        album_id: i64,
        _owner: SignedIn,
        req: HttpRequest,
        blog: State<Photoblog>,
    ) -> Result<HttpResponse, AppError> {
        let a = blog.album(album_id).await?;
        let films = blog.db.films(Some(album_id)).await?.len();
        let photos = blog.db.photos_of_album(album_id).await?.len();
        Ok(form_page(
            &req,
            "delete.html",
            context! { album => context! { id => a.id, title => a.title }, films => films, photos => photos },
            StatusCode::OK,
        ))
    }

    /// Deletes the album, its films and photos, then goes home.
    #[status(404)]
    async fn post(
        &self,
        album_id: i64,
        _owner: SignedIn,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, AppError> {
        if blog.delete_album(album_id, &invalidate).await? {
            Ok(see_other("/"))
        } else {
            Err(AppError::NoAlbum(album_id))
        }
    }
}

/// `/album/<id>/upload`.
#[derive(Default)]
struct UploadPhoto;

/// The upload form of an album, with `errors` above it.
async fn upload_form(
    req: &HttpRequest,
    blog: &Photoblog,
    album_id: i64,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let a = blog.album(album_id).await?;
    let films: Vec<Value> = blog
        .db
        .films(Some(album_id))
        .await?
        .into_iter()
        .map(|f| context! { id => f.id, title => f.title })
        .collect();
    Ok(form_page(
        req,
        "upload.html",
        context! { album => context! { id => a.id, title => a.title }, films => films, errors => errors, max_mb => blog.max_upload / (1 << 20), max_mp => megapixels(blog.store.max_pixels()) },
        status,
    ))
}

/// The upload form again, with the error of a refused upload (its status kept).
async fn refused(
    req: &HttpRequest,
    blog: &Photoblog,
    album_id: i64,
    e: HttpError,
) -> Result<HttpResponse, AppError> {
    upload_form(
        req,
        blog,
        album_id,
        vec![e.message().to_owned()],
        e.status(),
    )
    .await
}

#[resource]
impl UploadPhoto {
    /// The upload form.
    #[status(404)]
    async fn get(
        &self,
        album_id: i64,
        _owner: SignedIn,
        req: HttpRequest,
        blog: State<Photoblog>,
    ) -> Result<HttpResponse, AppError> {
        upload_form(&req, &blog, album_id, Vec::new(), StatusCode::OK).await
    }

    /// Stores the photo in one of the album's films, then shows the album.
    #[status(404, 413, 415, 422)]
    // One argument per form field reads better than a struct built for one handler.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &self,
        album_id: i64,
        _owner: SignedIn,
        req: HttpRequest,
        #[param(named)] film_id: i64,
        #[param(named)] legend: Option<String>,
        #[param(named)] file: Option<Upload>,
        blog: State<Photoblog>,
        invalidate: Invalidate,
    ) -> Result<HttpResponse, AppError> {
        let Some(file) = file.filter(|f| !f.is_empty()) else {
            let errors = vec!["Choose a photo to upload.".into()];
            return upload_form(&req, &blog, album_id, errors, StatusCode::BAD_REQUEST).await;
        };
        let legend = match self::legend(legend) {
            Ok(l) => l,
            Err(e) => return refused(&req, &blog, album_id, e.into()).await,
        };
        if blog.album_of_film(film_id).await? != Some(album_id) {
            return Err(
                HttpError::not_found(format!("Album {album_id} has no film {film_id}.")).into(),
            );
        }
        match blog
            .add_photo(film_id, &legend, file)
            .await
            .map_err(HttpError::from)
        {
            Ok(_) => {
                invalidate_album(&invalidate, album_id);
                Ok(see_other(&format!("/album/{album_id}#film-{film_id}")))
            }
            Err(e) if e.status().is_client_error() => refused(&req, &blog, album_id, e).await,
            Err(e) => Err(e.into()),
        }
    }
}
