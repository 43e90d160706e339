//! Validators and preconditions: the `etags` tool (on by default).
//!
//! This module owns what RFC 9110 §13 asks of an origin server around its handlers:
//!
//! - **a validator for GET answers**: a `200` to a GET or HEAD gets a strong `ETag` made from
//!   its bytes when the handler set none (`autotags`: by default for negotiated handlers,
//!   `true` for every handler, `false` for none); a handler that knows its resource's version
//!   sets it instead ([`Negotiated::version`](crate::Negotiated::version)), which costs no
//!   hashing and names each representation (`"7-json"`);
//! - **conditional GETs**: once the response is final (compressed, stored by the output
//!   cache), `If-None-Match` and `If-Modified-Since` turn it into a `304` carrying the fields of
//!   §15.4.5, and a failed `If-Match` or `If-Unmodified-Since` into a `412`;
//! - **lost-update protection**: before a PUT, PATCH or DELETE runs — after every other
//!   tool's before-hook, so that the resource is read only for a caller the authentication
//!   tools let through ([`Tool::before_call`]) — `If-Match`,
//!   `If-Unmodified-Since` and `If-None-Match` are compared with the resource's *current*
//!   validators, read by calling its `head` verb (a [`Validators`](crate::represent::Validators)
//!   answer) or else its `get`, in each media type it answers: a tag a GET returned in any
//!   representation, compressed or not, satisfies `If-Match`; otherwise `412` carrying the
//!   current `ETag`, and the handler never runs. `require_if_match = true` makes a missing
//!   `If-Match` a `428` (RFC 6585 §3). Only resources (the method dispatcher) are checked:
//!   a controller's handler answers every method and cannot be asked to read without changing.
//!
//! Priority 35: after the sessions (30), whose answers it may tag, and before compression
//! (40), so that the tag is made from the identity bytes and the encoder derives the encoded
//! variant's tag from it.

use actix_web::HttpResponse;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use serde::Deserialize;

use crate::HttpError;
use crate::http::conditional::{self, Current, Outcome};
use crate::tools::{After, Before, Exchange, Tool};

/// The `etags` tool.
///
/// ```
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hello" }
/// }
/// // Tag every GET answer, not only negotiated ones; a PUT under /api needs If-Match.
/// let app = App::builder(Root)
///     .set("/", "tools.etags.autotags", true)
///     .set("/api", "tools.etags.require_if_match", true)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct ETags;

/// The settings of `tools.etags` at a path.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ETagsConfig {
    /// Whether a GET answer without an `ETag` gets one from its bytes: unset, for negotiated
    /// handlers (`#[produces]`); `true`, for every handler; `false`, never.
    pub autotags: Option<bool>,
    /// A PUT, PATCH or DELETE without `If-Match` answers `428 Precondition Required`.
    pub require_if_match: bool,
}

/// The methods whose change the tool guards.
fn changes(m: &Method) -> bool {
    matches!(*m, Method::PUT | Method::PATCH | Method::DELETE)
}

/// Whether the request carries a precondition (`If-*`): one pass over its header names
/// instead of a lookup for each, since most requests have none.
fn conditional(req: &actix_web::HttpRequest) -> bool {
    req.headers().keys().any(|k| k.as_str().starts_with("if-"))
}

impl Tool for ETags {
    type Config = ETagsConfig;
    const NAME: &'static str = "etags";
    const ON_BY_DEFAULT: bool = true;
    const CHECKS_BEFORE_CALL: bool = true;

    /// See the module's documentation.
    fn priority(&self) -> i32 {
        35
    }

    /// After every other tool's before-hook: the resource is read only for a caller every
    /// access check let through.
    fn before_call<'a>(&'a self, cfg: &'a ETagsConfig, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        if ex.handler.is_none() || !changes(ex.method()) {
            return Before::Continue;
        }
        if cfg.require_if_match && !req.headers().contains_key(header::IF_MATCH) {
            return Before::Respond(HttpResponse::from_error(HttpError::new(
                crate::ErrorStatus::new(StatusCode::PRECONDITION_REQUIRED)
                    .expect("428 is an error status"),
                "This change must be conditional: send If-Match with the ETag of the representation it replaces.",
            )));
        }
        if !conditional(req) {
            return Before::Continue;
        }
        Before::Pending(Box::pin(async move {
            let current = match ex.current().await? {
                Ok(c) => c,
                Err(answer) => return Some(answer),
            };
            match conditional::evaluate(ex.method(), req.headers(), &current) {
                Outcome::Failed(why) => Some(failed(ex, &current, why)),
                Outcome::Proceed | Outcome::NotModified => None,
            }
        }))
    }

    fn after_handler<'a>(
        &'a self,
        cfg: &'a ETagsConfig,
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a> {
        let tag = match cfg.autotags {
            None => ex.chosen_media().is_some(),
            Some(on) => on,
        };
        if !tag
            || !matches!(*ex.method(), Method::GET | Method::HEAD)
            || res.status() != StatusCode::OK
            || res.headers().contains_key(header::ETAG)
            || matches!(res.body().size(), BodySize::None | BodySize::Stream)
            || res
                .extensions()
                .contains::<conditional::NotARepresentation>()
            || crate::tools::has_per_request_body(&res)
        {
            return After::Done(res);
        }
        let (mut res, body) = res.into_parts();
        match body.try_into_bytes() {
            Ok(bytes) => {
                res.headers_mut()
                    .insert(header::ETAG, conditional::strong_etag(&bytes));
                After::Done(res.set_body(BoxBody::new(bytes)))
            }
            // A stream is not read to tag it.
            Err(body) => After::Done(res.set_body(body)),
        }
    }

    fn on_response(&self, _: &ETagsConfig, ex: &Exchange, res: &mut HttpResponse) {
        let req = ex.request();
        if !matches!(*ex.method(), Method::GET | Method::HEAD) || res.status() != StatusCode::OK {
            return;
        }
        if !conditional(req) {
            return;
        }
        // A representation without a validator still exists: `If-Match: "x"` fails on it,
        // `If-None-Match: *` matches it (§13.1.1, §13.1.2).
        let current = Current::of_response(res.headers());
        match conditional::evaluate(ex.method(), req.headers(), &current) {
            Outcome::Proceed => {}
            Outcome::NotModified => {
                let full = std::mem::replace(res, HttpResponse::new(StatusCode::OK));
                *res = crate::http::into_not_modified(full);
            }
            Outcome::Failed(why) => {
                let mut out = crate::error::render(req, &precondition_failed(why));
                // The validators, and what other tools added for this client.
                for (name, v) in res.headers() {
                    let n = name.as_str();
                    let keep = matches!(n, "etag" | "last-modified" | "set-cookie" | "allow")
                        || n.starts_with("access-control-");
                    if keep {
                        out.headers_mut().append(name.clone(), v.clone());
                    }
                }
                for v in res.headers().get_all(header::VARY) {
                    for name in v.to_str().unwrap_or("").split(',').map(str::trim) {
                        if let Ok(n) = header::HeaderName::from_bytes(name.as_bytes()) {
                            crate::http::add_vary_name(&mut out, n);
                        }
                    }
                }
                *res = out;
            }
        }
    }

    fn responses(&self, cfg: &ETagsConfig, method: &str) -> Vec<(u16, &'static str)> {
        match method {
            "GET" | "HEAD" => vec![
                (
                    304,
                    "Not Modified: If-None-Match or If-Modified-Since names the current representation.",
                ),
                (
                    412,
                    "Precondition Failed: If-Match or If-Unmodified-Since does not hold.",
                ),
            ],
            "PUT" | "PATCH" | "DELETE" => {
                let mut v = vec![(
                    412,
                    "Precondition Failed: the resource changed since the If-Match tag was read; nothing was changed.",
                )];
                if cfg.require_if_match {
                    v.push((428, "Precondition Required: send If-Match."));
                }
                v
            }
            _ => Vec::new(),
        }
    }
}

fn precondition_failed(why: &'static str) -> HttpError {
    HttpError::new(
        crate::ErrorStatus::new(StatusCode::PRECONDITION_FAILED).expect("412 is an error status"),
        why,
    )
}

/// The 412 of a change refused: it carries the current `ETag` (of the representation the
/// client's `Accept` chose), so the client can read again and retry.
fn failed(ex: &Exchange, current: &Current, why: &'static str) -> HttpResponse {
    let mut e = precondition_failed(why);
    if let Some(tag) = ex.current_tag_for_client(current) {
        e = e.with_header(header::ETAG, tag);
    }
    if let Some(lm) = current.last_modified
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(lm))
    {
        e = e.with_header(header::LAST_MODIFIED, v);
    }
    HttpResponse::from_error(e)
}
