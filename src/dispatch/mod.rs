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
pub(crate) mod reverse;
pub(crate) mod tree;
pub(crate) mod walk;

use bind::{Bound, Named, Offered};
use hook::HookParams;
use param::ParamSpec;
use path::{Origin, Segments};

/// What a handler entry point returns.
pub type HandlerResult = Result<HttpResponse, actix_web::Error>;

/// What the walk decided for a request, moved into the handler call (and lent, cloned, to
/// a tool that calls another verb of the same resource first: the ETag tool reading the
/// current representation before a PUT).
#[derive(Clone)]
pub(crate) struct Routed {
    pub(crate) segs: Segments,
    pub(crate) path_start: usize,
    pub(crate) vpath: Range<usize>,
    pub(crate) hook_params: HookParams,
    /// `request.show_mismatched_params` and `request.max_fields` of the path.
    pub(crate) show_mismatched: bool,
    pub(crate) max_fields: usize,
    /// The path and query an internal redirect dispatched instead of the request's.
    pub(crate) retarget: Option<std::rc::Rc<Retarget>>,
}

/// The path (below the mount prefix, as sent) and query string an
/// [`InternalRedirect`](crate::InternalRedirect) dispatches instead of the request's own.
#[derive(Debug)]
pub(crate) struct Retarget {
    pub(crate) path: String,
    pub(crate) query: String,
}

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
    /// The path and query of an internal redirect, instead of the request's.
    pub(crate) retarget: Option<std::rc::Rc<Retarget>>,
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
        let (path, query) = match &self.retarget {
            Some(t) => (t.path.as_str(), t.query.as_str()),
            None => (&req.path()[self.path_start..], req.query_string()),
        };
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
        let mut query_pairs = SmallVec::new();
        path::parse_query(query, &mut query_pairs)?;
        if query_pairs.len() > self.max_fields {
            return Err(HttpError::bad_request(format!(
                "The query string has more than {} parameters (request.max_fields).",
                self.max_fields
            )));
        }
        for (k, v) in query_pairs {
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
