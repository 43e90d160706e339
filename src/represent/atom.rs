//! Atom (RFC 4287): an entry for one value, a feed for a [`Collection`].
//!
//! A type opts into Atom by implementing [`AtomEntry`]: it returns an [`Entry`] (id, title,
//! updated, authors, links, summary, content). The [`Atom`] representation writes an
//! `<entry>` document for such a value and a `<feed>` document for a `Collection` of them,
//! with the feed's `id` and `rel="self"` link taken from the request URL unless given.
//! The XML is written through quick-xml's serde support, which escapes text and attributes.

use std::borrow::Cow;

use bytes::Bytes;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{MediaTypes, RenderContext, Representation};
use crate::HttpError;

const NS: &str = "http://www.w3.org/2005/Atom";

/// A link of an entry or a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// `self`, `alternate`, `enclosure`, `edit`, ...
    pub rel: String,
    /// The target (absolute).
    pub href: String,
    /// The target's media type.
    pub media_type: Option<String>,
}

impl Link {
    /// A link of relation `rel` to `href`.
    pub fn new(rel: impl Into<String>, href: impl Into<String>) -> Self {
        Self {
            rel: rel.into(),
            href: href.into(),
            media_type: None,
        }
    }

    /// With the target's media type.
    pub fn typed(mut self, media_type: impl Into<String>) -> Self {
        self.media_type = Some(media_type.into());
        self
    }
}

/// An entry's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// HTML, escaped in the document (`type="html"`).
    Html(String),
    /// Out-of-line content: a URL and its media type (a photo).
    Src {
        /// The content's URL.
        src: String,
        /// Its media type.
        media_type: String,
    },
}

/// One Atom entry.
///
/// ```
/// use drupe::represent::atom::{Entry, Link};
/// let e = Entry::new("urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6", "Hello",
///                    time::macros::datetime!(2024-05-01 12:00 UTC))
///     .author("ada")
///     .link(Link::new("alternate", "http://example.org/users/1").typed("text/html"));
/// assert_eq!(e.links.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// A permanent, universally unique IRI (`urn:uuid:…`, or a tag URI).
    pub id: String,
    /// The title.
    pub title: String,
    /// When it last changed.
    pub updated: OffsetDateTime,
    /// When it was first published.
    pub published: Option<OffsetDateTime>,
    /// Author names.
    pub authors: Vec<String>,
    /// Links (`self`, `alternate`, ...).
    pub links: Vec<Link>,
    /// A summary.
    pub summary: Option<String>,
    /// The content.
    pub content: Option<Content>,
}

impl Entry {
    /// An entry with the three elements RFC 4287 requires.
    pub fn new(id: impl Into<String>, title: impl Into<String>, updated: OffsetDateTime) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            updated,
            published: None,
            authors: Vec::new(),
            links: Vec::new(),
            summary: None,
            content: None,
        }
    }

    /// Adds an author.
    pub fn author(mut self, name: impl Into<String>) -> Self {
        self.authors.push(name.into());
        self
    }

    /// Adds a link.
    pub fn link(mut self, link: Link) -> Self {
        self.links.push(link);
        self
    }

    /// Sets the publication time.
    pub fn published(mut self, at: OffsetDateTime) -> Self {
        self.published = Some(at);
        self
    }

    /// Sets the summary.
    pub fn summary(mut self, text: impl Into<String>) -> Self {
        self.summary = Some(text.into());
        self
    }

    /// Sets the content.
    pub fn content(mut self, content: Content) -> Self {
        self.content = Some(content);
        self
    }
}

/// A type that can be written as an Atom entry.
///
/// ```
/// use drupe::represent::atom::{AtomEntry, Entry};
/// use drupe::represent::RenderContext;
/// struct User { id: u64, name: String }
/// impl AtomEntry for User {
///     fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry {
///         Entry::new(cx.url(&format!("/users/{}", self.id)), &self.name, time::OffsetDateTime::UNIX_EPOCH)
///     }
/// }
/// ```
pub trait AtomEntry {
    /// The entry for this value.
    fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry;
}

/// A list of values with the metadata a feed needs. JSON and XML write its items as a list;
/// Atom writes a feed.
///
/// ```
/// use drupe::Collection;
/// let c = Collection::new("Users", vec![1, 2, 3]);
/// assert_eq!(serde_json::to_string(&c).unwrap(), "[1,2,3]");
/// ```
#[derive(Debug, Clone)]
pub struct Collection<T> {
    /// The feed title.
    pub title: String,
    /// The items.
    pub items: Vec<T>,
    /// The feed id (default: the request URL).
    pub id: Option<String>,
    /// Further feed links (`alternate` to an HTML page, ...).
    pub links: Vec<Link>,
    /// When the collection last changed, when known even if it is empty.
    pub updated: Option<OffsetDateTime>,
}

impl<T> Collection<T> {
    /// A collection titled `title`.
    pub fn new(title: impl Into<String>, items: Vec<T>) -> Self {
        Self {
            title: title.into(),
            items,
            id: None,
            links: Vec::new(),
            updated: None,
        }
    }

    /// With a feed link.
    pub fn link(mut self, link: Link) -> Self {
        self.links.push(link);
        self
    }

    /// With a feed id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// With the time the collection last changed.
    pub fn updated(mut self, at: OffsetDateTime) -> Self {
        self.updated = Some(at);
        self
    }
}

impl<T: Serialize> Serialize for Collection<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(s)
    }
}

/// Something the [`Atom`] representation can write: an entry or a feed.
pub trait AtomDocument {
    /// The XML document.
    fn atom_document(&self, cx: &RenderContext<'_>) -> Result<String, HttpError>;
}

impl<T: AtomEntry> AtomDocument for T {
    fn atom_document(&self, cx: &RenderContext<'_>) -> Result<String, HttpError> {
        write(&XEntry::from_entry(self.atom_entry(cx), true))
    }
}

impl<T: AtomEntry> AtomDocument for Collection<T> {
    fn atom_document(&self, cx: &RenderContext<'_>) -> Result<String, HttpError> {
        let entries: Vec<Entry> = self.items.iter().map(|i| i.atom_entry(cx)).collect();
        let updated = entries
            .iter()
            .map(|e| e.updated)
            .max()
            .or(self.updated)
            .unwrap_or_else(OffsetDateTime::now_utc);
        let url = cx.request_url();
        let mut links = vec![XLink::from_link(
            Link::new("self", url.clone()).typed("application/atom+xml"),
        )];
        // Links given as paths are made absolute on this request's host.
        links.extend(self.links.iter().cloned().map(|mut l| {
            if l.href.starts_with('/') {
                l.href = cx.url(&l.href);
            }
            XLink::from_link(l)
        }));
        let feed = XFeed {
            ns: NS,
            id: self.id.clone().unwrap_or(url),
            title: XText::text(self.title.clone()),
            updated: rfc3339(updated),
            links,
            entries: entries
                .into_iter()
                .map(|e| XEntry::from_entry(e, false))
                .collect(),
        };
        write(&feed)
    }
}

/// The Atom representation (`application/atom+xml`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Atom;

impl MediaTypes for Atom {
    const MEDIA_TYPES: &'static [&'static str] = &["application/atom+xml"];
}

impl<T: AtomDocument + ?Sized> Representation<T> for Atom {
    fn render(&self, value: &T, cx: &RenderContext<'_>) -> Result<Bytes, HttpError> {
        value.atom_document(cx).map(Bytes::from)
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    // Atom dates are RFC 3339; whole seconds keep them readable and stable.
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

fn write<T: Serialize>(doc: &T) -> Result<String, HttpError> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    quick_xml::se::to_writer(&mut out, doc)
        .map_err(|e| HttpError::internal(format!("Atom encoding: {e}")))?;
    Ok(out)
}

#[derive(Serialize)]
#[serde(rename = "feed")]
struct XFeed {
    #[serde(rename = "@xmlns")]
    ns: &'static str,
    id: String,
    title: XText,
    updated: String,
    #[serde(rename = "link")]
    links: Vec<XLink>,
    #[serde(rename = "entry")]
    entries: Vec<XEntry>,
}

#[derive(Serialize)]
#[serde(rename = "entry")]
struct XEntry {
    #[serde(rename = "@xmlns", skip_serializing_if = "Option::is_none")]
    ns: Option<&'static str>,
    id: String,
    title: XText,
    updated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(rename = "author")]
    authors: Vec<XPerson>,
    #[serde(rename = "link")]
    links: Vec<XLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<XText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<XContent>,
}

impl XEntry {
    fn from_entry(e: Entry, root: bool) -> Self {
        Self {
            ns: root.then_some(NS),
            id: e.id,
            title: XText::text(e.title),
            updated: rfc3339(e.updated),
            published: e.published.map(rfc3339),
            authors: e.authors.into_iter().map(|name| XPerson { name }).collect(),
            links: e.links.into_iter().map(XLink::from_link).collect(),
            summary: e.summary.map(XText::text),
            content: e.content.map(|c| match c {
                Content::Text(t) => XContent {
                    ty: Cow::Borrowed("text"),
                    src: None,
                    text: Some(t),
                },
                Content::Html(t) => XContent {
                    ty: Cow::Borrowed("html"),
                    src: None,
                    text: Some(t),
                },
                Content::Src { src, media_type } => XContent {
                    ty: Cow::Owned(media_type),
                    src: Some(src),
                    text: None,
                },
            }),
        }
    }
}

#[derive(Serialize)]
struct XPerson {
    name: String,
}

#[derive(Serialize)]
struct XText {
    #[serde(rename = "@type")]
    ty: &'static str,
    #[serde(rename = "$text")]
    text: String,
}

impl XText {
    fn text(text: String) -> Self {
        Self { ty: "text", text }
    }
}

#[derive(Serialize)]
struct XLink {
    #[serde(rename = "@rel")]
    rel: String,
    #[serde(rename = "@href")]
    href: String,
    #[serde(rename = "@type", skip_serializing_if = "Option::is_none")]
    ty: Option<String>,
}

impl XLink {
    fn from_link(l: Link) -> Self {
        Self {
            rel: l.rel,
            href: l.href,
            ty: l.media_type,
        }
    }
}

#[derive(Serialize)]
struct XContent {
    #[serde(rename = "@type")]
    ty: Cow<'static, str>,
    #[serde(rename = "@src", skip_serializing_if = "Option::is_none")]
    src: Option<String>,
    #[serde(rename = "$text", skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}
