//! HTML from minijinja templates in `templates/`.
//!
//! This module owns the [`Html`] representation of a negotiated value, and [`Page`], a
//! response rendered from a template by a handler of the default dispatcher, both from the
//! application's [`Templates`]. Templates are auto-escaped by file extension (`.html`), so values from a
//! request cannot inject markup.

use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::{HttpRequest, HttpResponse, Responder};
use bytes::Bytes;
use minijinja::value::{Serde, merge_maps};
use minijinja::{Value, context};
use serde::Serialize;

use super::{MediaTypes, RenderContext, Representation};
use crate::HttpError;
pub use crate::templates::Templates;

fn request_context(req: &HttpRequest) -> Value {
    context! {
        path => req.path(),
        query => req.query_string(),
        method => req.method().as_str(),
    }
}

fn templates(req: &HttpRequest) -> Result<Arc<Templates>, HttpError> {
    crate::context::templates(req)
        .ok_or_else(|| HttpError::internal("no templates are configured for this application"))
}

/// The HTML representation: a template rendered with the value's fields, the value itself as
/// `value`, `request` (`path`, `query`, `method`), and the values tools added to the request
/// ([`add_template_value`](crate::tools::add_template_value): the CSRF tool's `csrf_field`).
#[derive(Debug, Clone, Copy)]
pub struct Html {
    template: &'static str,
}

impl Html {
    /// With template `name` (a path inside the templates folder).
    pub const fn new(template: &'static str) -> Self {
        Self { template }
    }
}

impl MediaTypes for Html {
    const MEDIA_TYPES: &'static [&'static str] = &["text/html"];
}

impl<T: Serialize + ?Sized> Representation<T> for Html {
    fn render(&self, value: &T, cx: &RenderContext<'_>) -> Result<Bytes, HttpError> {
        let v = Value::from(Serde(value));
        let req = cx.request();
        let tools = crate::templates::request_values(req);
        // The later wins: the named values, the value's fields, the tools' values.
        let named = context! { value => v.clone(), request => request_context(req) };
        let ctx = merge_maps([tools, v, named]);
        templates(cx.request())?
            .render(self.template, ctx)
            .map(Bytes::from)
    }
}

/// An HTML page rendered from a template, for handlers of the default dispatcher.
///
/// ```
/// use drupe::{controller, Page};
/// struct Site;
/// #[controller]
/// impl Site {
///     #[expose]
///     fn index(&self) -> Page {
///         Page::new("site/home.html", minijinja::context! { title => "Home" })
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Page {
    template: String,
    context: Value,
    status: actix_web::http::StatusCode,
}

impl Page {
    /// The page `template` rendered with `context`, `request`, and the values tools added to
    /// the request ([`add_template_value`](crate::tools::add_template_value)).
    pub fn new(template: impl Into<String>, context: impl Serialize) -> Self {
        Self {
            template: template.into(),
            context: Value::from(Serde(context)),
            status: actix_web::http::StatusCode::OK,
        }
    }

    /// With another status (a form shown again with its errors: 400 or 422).
    pub fn with_status(mut self, status: actix_web::http::StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl Responder for Page {
    type Body = BoxBody;
    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        let tools = crate::templates::request_values(req);
        let named = context! { request => request_context(req) };
        let ctx = merge_maps([tools, self.context, named]);
        match templates(req).and_then(|t| t.render(&self.template, ctx)) {
            Ok(body) => HttpResponse::build(self.status)
                .content_type(mime::TEXT_HTML_UTF_8)
                .body(body),
            Err(e) => HttpResponse::from_error(e),
        }
    }
}
