//! Request bodies: forms as named parameters, typed bodies, uploads, and their limit.
//!
//! This module owns everything read from a request body. For `POST`, `PUT` and `PATCH`, a
//! `application/x-www-form-urlencoded` or `multipart/form-data` body is parsed into named
//! parameters (CherryPy's body params), files becoming [`Upload`] values: in memory up to
//! `request.body.spool_above` bytes (256 KiB), written to a temporary file as they arrive
//! beyond (see [`spool`] and [`upload`]). [`Body<T>`] reads one typed value from JSON, XML, a
//! urlencoded or a multipart form, chosen by `Content-Type` (415 for anything else). Every
//! read is bounded (see [`limits`]): `request.body.max_size` bytes (1 MiB by default, per
//! subtree) and `request.max_fields` fields or parts (1000), beyond which the answer is 413,
//! and `server.body_timeout` of silence (10 s), after which it is 408; a malformed body is a
//! 400 whose message says where the error is.

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::HttpError;

mod form;
mod limits;
mod spool;
mod upload;

pub(crate) use form::{FormData, has_parked_form, park_form, parked_form, take_form_field};
pub(crate) use limits::{BodyLimits, Stalled, guard, has_body, read_bytes, stalled_error};
pub use limits::{DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_MAX_FIELDS};
pub use spool::DEFAULT_SPOOL_ABOVE;
pub(crate) use spool::Spool;
pub use upload::{Upload, UploadReader};

use form::{parse_urlencoded, read_multipart};
use limits::limits_of;

/// The kinds of body drupe reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Xml,
    UrlEncoded,
    Multipart,
}

/// The kind of a request's body from its `Content-Type`; `None` when absent or unknown.
pub(crate) fn body_kind(req: &HttpRequest) -> Option<BodyKind> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let m: mime::Mime = ct.parse().ok()?;
    let (ty, sub, suffix) = (m.type_(), m.subtype(), m.suffix());
    Some(match (ty.as_str(), sub.as_str()) {
        ("application", "json") | ("text", "json") | ("text", "x-json") => BodyKind::Json,
        ("application", "xml") | ("text", "xml") => BodyKind::Xml,
        ("application", "x-www-form-urlencoded") => BodyKind::UrlEncoded,
        ("multipart", "form-data") => BodyKind::Multipart,
        _ if suffix.is_some_and(|s| s == mime::JSON) => BodyKind::Json,
        _ if suffix.is_some_and(|s| s == mime::XML) => BodyKind::Xml,
        _ => return None,
    })
}

/// Whether drupe reads a form body of this request into named parameters (CherryPy reads
/// bodies of `POST`, `PUT` and `PATCH` only).
pub(crate) fn has_form_body(req: &HttpRequest) -> bool {
    matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH)
        && matches!(
            body_kind(req),
            Some(BodyKind::UrlEncoded | BodyKind::Multipart)
        )
}

/// A typed request body, read from JSON, XML, a urlencoded form or a multipart form's text
/// fields according to `Content-Type`.
///
/// Anything else is a 415 naming what is accepted; a body that does not parse into `T` is a
/// 400 whose message locates the error (line and column for JSON); a body over the limit is
/// a 413.
///
/// ```
/// use drupe::{Body, Created, HttpError, resource};
///
/// #[derive(serde::Deserialize)]
/// struct NewUser { name: String }
///
/// struct Users;
///
/// #[resource]
/// impl Users {
///     async fn post(&self, body: Body<NewUser>) -> Result<String, HttpError> {
///         Ok(body.into_inner().name)
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body<T>(pub T);

impl<T> Body<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Body<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What `Body<T>` accepts, for the 415 message.
pub const BODY_TYPES: &str =
    "application/json, application/xml, application/x-www-form-urlencoded, multipart/form-data";

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let kind = body_kind(&req).ok_or_else(|| {
                HttpError::unsupported_media_type(match req.headers().get(header::CONTENT_TYPE) {
                    Some(ct) => format!(
                        "The body's Content-Type ({}) is not supported; send one of: {BODY_TYPES}.",
                        ct.to_str().unwrap_or("?")
                    ),
                    None => format!("The request has no Content-Type; send one of: {BODY_TYPES}."),
                })
            })?;
            let limits = limits_of(&req);
            let limit = limits.bytes;
            let value = match kind {
                BodyKind::UrlEncoded => {
                    let bytes = read_bytes(&req, &mut payload, limit).await?;
                    from_pairs(&parse_urlencoded(&bytes, limits.fields)?)?
                }
                BodyKind::Multipart => {
                    from_pairs(&read_multipart(&req, payload, &limits).await?.fields)?
                }
                BodyKind::Json => {
                    let bytes = read_bytes(&req, &mut payload, limit).await?;
                    from_json(&bytes)?
                }
                BodyKind::Xml => {
                    let bytes = read_bytes(&req, &mut payload, limit).await?;
                    crate::represent::xml::from_bytes(&bytes)?
                }
            };
            Ok(Body(value))
        })
    }
}

/// A JSON body as `T`. JSON has one kind of number: `3.0` is the number `3`, and JSON Schema
/// (so the OpenAPI document) counts it as an integer; serde does not, so a body that fails on
/// a number with a fractional part is read again with its whole numbers made integers.
fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    let invalid = |e: serde_json::Error| HttpError::bad_request(format!("Invalid JSON body: {e}."));
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(e) if e.to_string().starts_with("invalid type: floating point") => {
            let mut value: serde_json::Value = serde_json::from_slice(bytes).map_err(invalid)?;
            whole_numbers_as_integers(&mut value);
            serde_json::from_value(value).map_err(invalid)
        }
        Err(e) => Err(invalid(e)),
    }
}

/// Every number of `v` that is whole and fits an `i64` or a `u64` becomes an integer.
fn whole_numbers_as_integers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                // `as` saturates; the bounds keep only what converts exactly.
                if f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
                    *n = (f as i64).into();
                } else if f >= 0.0 && f < 2f64.powi(64) {
                    *n = (f as u64).into();
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

fn from_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, HttpError> {
    let encoded = serde_urlencoded::to_string(pairs)
        .map_err(|e| HttpError::bad_request(format!("Invalid form body: {e}.")))?;
    serde_urlencoded::from_str(&encoded)
        .map_err(|e| HttpError::bad_request(format!("Invalid form body: {e}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct T {
            id: i64,
            n: u64,
            ratio: f64,
            ids: Vec<i32>,
        }
        let t: T =
            from_json(br#"{"id": -7097124.0, "n": 3e0, "ratio": 2.0, "ids": [1.0, 2]}"#).unwrap();
        assert_eq!(
            t,
            T {
                id: -7_097_124,
                n: 3,
                ratio: 2.0,
                ids: vec![1, 2]
            }
        );
        for (body, says) in [
            (
                &br#"{"id": 1.5, "n": 1, "ratio": 1, "ids": []}"#[..],
                "floating point `1.5`",
            ),
            (
                br#"{"id": 1e30, "n": 1, "ratio": 1, "ids": []}"#,
                "floating point",
            ),
            (
                br#"{"id": 1, "n": -1.0, "ratio": 1, "ids": []}"#,
                "invalid value: integer `-1`",
            ),
        ] {
            let e = from_json::<T>(body).unwrap_err();
            assert!(e.message().contains(says), "{}", e.message());
        }
    }
    use actix_web::test::TestRequest;

    #[test]
    fn kinds() {
        let k = |ct: &str| {
            body_kind(
                &TestRequest::default()
                    .insert_header(("content-type", ct))
                    .to_http_request(),
            )
        };
        assert_eq!(k("application/json"), Some(BodyKind::Json));
        assert_eq!(k("application/json; charset=utf-8"), Some(BodyKind::Json));
        assert_eq!(k("application/problem+json"), Some(BodyKind::Json));
        assert_eq!(k("text/xml"), Some(BodyKind::Xml));
        assert_eq!(k("application/atom+xml"), Some(BodyKind::Xml));
        assert_eq!(
            k("multipart/form-data; boundary=x"),
            Some(BodyKind::Multipart)
        );
        assert_eq!(k("text/plain"), None);
        assert_eq!(k("garbage"), None);
    }
}
