//! Dispatch: from a request to a handler call.
//!
//! This module owns the object tree ([`tree`]), the default dispatcher's walk ([`walk`]) and
//! its hooks ([`hook`]), the parameter model ([`param`]) and the binding of request values to
//! parameters ([`bind`]), and what a handler's declaration tells about it ([`doc`]). [`Call`]
//! is what a generated handler entry point receives; the request pipeline (`crate::pipeline`)
//! builds it.

use std::borrow::Cow;
use std::ops::Range;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use smallvec::SmallVec;

use crate::HttpError;
use crate::body::FormData;

pub(crate) mod bind;
pub(crate) mod doc;
pub(crate) mod field_mounts;
pub(crate) mod hook;
pub(crate) mod param;
pub(crate) mod path;
pub(crate) mod tree;
pub(crate) mod walk;

use bind::{Bound, Named, Offered};
use hook::HookParams;
use param::ParamSpec;
use path::{Origin, Segments};

/// What a handler entry point returns.
pub type HandlerResult = Result<HttpResponse, actix_web::Error>;

/// One handler call: the request, its body, and the values the dispatcher routed to it.
pub struct Call {
    pub(crate) req: HttpRequest,
    pub(crate) payload: Payload,
    pub(crate) segs: Segments,
    pub(crate) path_start: usize,
    pub(crate) vpath: Range<usize>,
    pub(crate) hook_params: HookParams,
    pub(crate) form: Option<FormData>,
    pub(crate) show_mismatched: bool,
    /// `request.max_fields`, for the query string.
    pub(crate) max_fields: usize,
}

/// The extractor side of a call: the request and its payload.
pub struct Extract<'c> {
    req: &'c HttpRequest,
    payload: &'c mut Payload,
}

impl Extract<'_> {
    /// Runs an actix-web extractor.
    pub async fn extract<T: FromRequest>(&mut self) -> Result<T, actix_web::Error> {
        T::from_request(self.req, self.payload)
            .await
            .map_err(Into::into)
    }

    /// The request.
    pub fn request(&self) -> &HttpRequest {
        self.req
    }
}

impl Call {
    /// Binds the request's values to `spec` (the mismatch table applies) and hands out the
    /// extractor side.
    pub fn parts(
        &mut self,
        spec: &'static [ParamSpec],
    ) -> Result<(Bound<'_>, Extract<'_>), HttpError> {
        let req = &self.req;
        let path = &req.path()[self.path_start..];
        let mut offered = Offered::default();
        for s in &self.segs.list[self.vpath.clone()] {
            offered.positional.push(s.value(path));
        }
        for (k, v) in &self.hook_params {
            offered.named.push((
                Cow::Borrowed(&**k),
                Named::Text(Cow::Borrowed(v)),
                Origin::Path,
            ));
        }
        let mut query = SmallVec::new();
        path::parse_query(req.query_string(), &mut query)?;
        if query.len() > self.max_fields {
            return Err(HttpError::bad_request(format!(
                "The query string has more than {} parameters (request.max_fields).",
                self.max_fields
            )));
        }
        for (k, v) in query {
            offered.named.push((k, Named::Text(v), Origin::Query));
        }
        if let Some(form) = &self.form {
            for (k, v) in &form.fields {
                offered.named.push((
                    Cow::Borrowed(k),
                    Named::Text(Cow::Borrowed(v)),
                    Origin::Body,
                ));
            }
            for (k, f) in &form.files {
                offered
                    .named
                    .push((Cow::Borrowed(k), Named::File(f), Origin::Body));
            }
        }
        let bound = Bound::new(spec, offered, self.show_mismatched)?;
        Ok((
            bound,
            Extract {
                req,
                payload: &mut self.payload,
            },
        ))
    }
}
