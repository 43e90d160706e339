//! What the photoblog's resources answer with: one value per entity, written as JSON, XML,
//! Atom (an entry for one, a feed for a list), `text/json`, `text/x-json`, or — for a photo —
//! the image itself. Times are RFC 3339 (`2026-11-30T18:03:35Z`) in every representation;
//! the HTML pages show them for people (`book_date`).

use bytes::Bytes;
use drupe::represent::atom::{AtomDocument, AtomEntry, Content, Entry, Link};
use drupe::represent::{MediaTypes, RenderContext, Representation};
use drupe::{Collection, HttpError};
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::model::{Album, Film, Photo};

/// The pages' date format: `13 Aug. 2006, 11:18` (UTC). A time the calendar cannot hold
/// (never one this application stored) shows as nothing rather than failing the page.
pub(crate) fn book_date(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(format_description!(
                "[day] [month repr:short]. [year], [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// A Unix time as a date (the epoch for one out of range).
pub(crate) fn at(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// An album as the services show it (the keys CherryPy's photoblog used: `id, uuid, title, author, description,
/// content, created, modified`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename = "album")]
pub(crate) struct AlbumView {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) description: String,
    pub(crate) content: String,
    /// RFC 3339: `2026-11-30T18:03:35Z`
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created: OffsetDateTime,
    /// RFC 3339
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) modified: OffsetDateTime,
}

impl From<Album> for AlbumView {
    fn from(a: Album) -> Self {
        Self {
            created: at(a.created),
            modified: at(a.modified),
            id: a.id,
            uuid: a.uuid,
            title: a.title,
            author: a.author,
            description: a.description,
            content: a.content,
        }
    }
}

impl AtomEntry for AlbumView {
    fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry {
        let mut e = Entry::new(
            format!("urn:uuid:{}", self.uuid),
            &self.title,
            self.modified,
        )
        .published(self.created)
        .link(
            Link::new("self", cx.url(&format!("/feed/album/{}", self.id)))
                .typed("application/atom+xml"),
        )
        .link(Link::new("alternate", cx.url(&format!("/album/{}", self.id))).typed("text/html"));
        if !self.author.is_empty() {
            e = e.author(&self.author);
        }
        if !self.description.is_empty() {
            e = e.summary(&self.description);
        }
        e.content(Content::Text(self.content.clone()))
    }
}

/// A film.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename = "film")]
pub(crate) struct FilmView {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) album_id: i64,
    /// RFC 3339
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created: OffsetDateTime,
    /// RFC 3339
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) modified: OffsetDateTime,
}

impl From<Film> for FilmView {
    fn from(f: Film) -> Self {
        Self {
            created: at(f.created),
            modified: at(f.modified),
            id: f.id,
            title: f.title,
            album_id: f.album_id,
        }
    }
}

impl AtomEntry for FilmView {
    fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry {
        Entry::new(
            cx.url(&format!("/services/rest/film/{}", self.id)),
            &self.title,
            self.modified,
        )
        .link(
            Link::new("alternate", cx.url(&format!("/album/{}", self.album_id))).typed("text/html"),
        )
    }
}

/// A photo.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename = "photo")]
pub(crate) struct PhotoView {
    pub(crate) id: i64,
    pub(crate) legend: String,
    pub(crate) film_id: i64,
    /// The image.
    pub(crate) url: String,
    /// Its thumbnail.
    pub(crate) thumbnail: String,
    pub(crate) media_type: String,
    pub(crate) filesize: i64,
    pub(crate) width: i64,
    pub(crate) height: i64,
    /// RFC 3339
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) created: OffsetDateTime,
    /// RFC 3339
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(crate) modified: OffsetDateTime,
    /// The image's bytes, loaded when the client asked for the image.
    #[serde(skip)]
    #[schema(ignore)]
    pub(crate) image: Option<Bytes>,
}

impl From<Photo> for PhotoView {
    fn from(p: Photo) -> Self {
        Self {
            url: format!("/photos/{}", p.filename),
            thumbnail: format!("/photos/thumbs/{}", p.filename),
            created: at(p.created),
            modified: at(p.modified),
            id: p.id,
            legend: p.legend,
            film_id: p.film_id,
            media_type: p.media_type,
            filesize: p.filesize,
            width: p.width,
            height: p.height,
            image: None,
        }
    }
}

impl AtomEntry for PhotoView {
    fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry {
        Entry::new(
            cx.url(&format!("/services/rest/photo/{}", self.id)),
            if self.legend.is_empty() {
                "Untitled photo"
            } else {
                &self.legend
            },
            self.modified,
        )
        .link(Link::new("alternate", cx.url(&format!("/photo/{}", self.id))).typed("text/html"))
        .link(Link::new("enclosure", cx.url(&self.url)).typed(&self.media_type))
        .content(Content::Src {
            src: cx.url(&self.url),
            media_type: self.media_type.clone(),
        })
    }
}

/// One or all: what a `GET` of a resource without or with an id answers.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum OneOrAll<T> {
    One(T),
    All(Collection<T>),
}

impl<T: utoipa::ToSchema> utoipa::PartialSchema for OneOrAll<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name(T::name()))
            .item(
                utoipa::openapi::schema::ArrayBuilder::new()
                    .items(utoipa::openapi::Ref::from_schema_name(T::name())),
            )
            .into()
    }
}

impl<T: utoipa::ToSchema> utoipa::ToSchema for OneOrAll<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("{}OrList", T::name()).into()
    }
    fn schemas(
        s: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        s.push((T::name().into_owned(), T::schema()));
        T::schemas(s);
    }
}

impl<T: AtomEntry> AtomDocument for OneOrAll<T> {
    fn atom_document(&self, cx: &RenderContext<'_>) -> Result<String, HttpError> {
        match self {
            OneOrAll::One(x) => x.atom_document(cx),
            OneOrAll::All(c) => c.atom_document(cx),
        }
    }
}

/// A photo's image: its own bytes and type, whichever `image/*` the client accepted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PhotoImage;

impl MediaTypes for PhotoImage {
    const MEDIA_TYPES: &'static [&'static str] =
        &["image/jpeg", "image/png", "image/gif", "image/webp"];
}

impl Representation<PhotoView> for PhotoImage {
    fn render(&self, value: &PhotoView, _: &RenderContext<'_>) -> Result<Bytes, HttpError> {
        value
            .image
            .clone()
            .ok_or_else(|| HttpError::internal("the image was not loaded"))
    }

    fn content_type(&self, value: &PhotoView) -> Option<String> {
        Some(value.media_type.clone())
    }
}

impl Representation<OneOrAll<PhotoView>> for PhotoImage {
    fn render(
        &self,
        value: &OneOrAll<PhotoView>,
        cx: &RenderContext<'_>,
    ) -> Result<Bytes, HttpError> {
        match value {
            OneOrAll::One(p) => Representation::<PhotoView>::render(self, p, cx),
            OneOrAll::All(_) => Err(HttpError::internal("a list has no image")),
        }
    }

    fn content_type(&self, value: &OneOrAll<PhotoView>) -> Option<String> {
        match value {
            OneOrAll::One(p) => Representation::<PhotoView>::content_type(self, p),
            OneOrAll::All(_) => None,
        }
    }
}
