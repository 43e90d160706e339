//! Form bodies: urlencoded and multipart, read into fields and files within their limits.
//!
//! This module owns the reading of `application/x-www-form-urlencoded` and
//! `multipart/form-data` bodies. Both stop at `request.max_fields` values (413 naming the
//! limit) and `request.body.max_size` bytes (413). A multipart body is parsed as it arrives
//! (actix-multipart reads the payload stream): a text part's bytes are copied once, from the
//! parser's buffer into the value, and a part that arrives in one chunk not at all; a file
//! part goes to an [`Upload`], in memory or spooled to disk (see [`super::spool`]).
//!
//! A form body the handler will get as named values is parked in the request before the
//! tools' before-hooks run ([`park_form`]) and read by the first who needs it: a tool that
//! reads a field of it ([`take_form_field`]: the CSRF check's token) or the handler call
//! ([`parked_form`]). It is read once; a tool that answers first leaves it unread.

use std::cell::Cell;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{HttpMessage, HttpRequest};
use futures_util::StreamExt;

use super::limits::{BodyLimits, declared_over, read_bytes, too_large, too_many_fields};
use super::spool::{PartError, read_file, read_text};
use super::{BodyKind, Upload, body_kind};
use crate::HttpError;
use crate::dispatch::path::decode_form_component;

/// The fields and files of a form body.
#[derive(Debug, Default)]
pub(crate) struct FormData {
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<(String, Upload)>,
}

/// Reads a form body (urlencoded or multipart) into fields and files.
pub(crate) async fn read_form(
    req: &HttpRequest,
    payload: &mut Payload,
    limits: &BodyLimits,
) -> Result<FormData, HttpError> {
    match body_kind(req) {
        Some(BodyKind::UrlEncoded) => {
            let bytes = read_bytes(req, payload, limits.bytes).await?;
            Ok(FormData {
                fields: parse_urlencoded(&bytes, limits.fields)?,
                files: Vec::new(),
            })
        }
        Some(BodyKind::Multipart) => read_multipart(req, payload.take(), limits).await,
        _ => Ok(FormData::default()),
    }
}

/// A form body parked in the request, read or not.
enum Parked {
    Unread(Payload, BodyLimits),
    Read(FormData),
    Failed(HttpError),
}

/// Parks `payload`, a form body (see [`super::has_form_body`]), in the request, to be read
/// within `limits` by the first who needs it.
pub(crate) fn park_form(req: &HttpRequest, payload: Payload, limits: BodyLimits) {
    req.extensions_mut().insert(Parked::Unread(payload, limits));
}

/// Whether a form body is parked in the request.
pub(crate) fn has_parked_form(req: &HttpRequest) -> bool {
    req.extensions().contains::<Parked>()
}

/// Reads the parked form if it is still unread; the error of reading it, now or before.
async fn read_parked(req: &HttpRequest) -> Result<(), HttpError> {
    let parked = req.extensions_mut().remove::<Parked>();
    let read = match parked {
        None => return Ok(()),
        Some(Parked::Unread(mut payload, limits)) => {
            match read_form(req, &mut payload, &limits).await {
                Ok(form) => Parked::Read(form),
                Err(e) => Parked::Failed(e),
            }
        }
        Some(read) => read,
    };
    let result = match &read {
        Parked::Failed(e) => Err(e.clone()),
        _ => Ok(()),
    };
    req.extensions_mut().insert(read);
    result
}

/// Takes the fields named `name` out of the parked form (reading it first if needed), so the
/// handler never sees them: the values, in order (none when no form is parked).
pub(crate) async fn take_form_field(
    req: &HttpRequest,
    name: &str,
) -> Result<Vec<String>, HttpError> {
    read_parked(req).await?;
    let mut ext = req.extensions_mut();
    let Some(Parked::Read(form)) = ext.get_mut::<Parked>() else {
        return Ok(Vec::new());
    };
    let mut taken = Vec::new();
    form.fields.retain_mut(|(k, v)| {
        if k == name {
            taken.push(std::mem::take(v));
            false
        } else {
            true
        }
    });
    Ok(taken)
}

/// The parked form, read (if no tool read it before), taken out of the request for the
/// handler call; `None` when none was parked.
pub(crate) async fn parked_form(req: &HttpRequest) -> Result<Option<FormData>, HttpError> {
    read_parked(req).await?;
    Ok(match req.extensions_mut().remove::<Parked>() {
        Some(Parked::Read(form)) => Some(form),
        _ => None,
    })
}

/// Parses a urlencoded body into at most `max_fields` pairs.
pub(crate) fn parse_urlencoded(
    bytes: &[u8],
    max_fields: usize,
) -> Result<Vec<(String, String)>, HttpError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| HttpError::bad_request("The form body is not valid UTF-8."))?;
    let mut out = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        if out.len() == max_fields {
            return Err(too_many_fields(max_fields));
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode_form_component(k)
            .map_err(|e| e.with_message("Invalid percent-encoding in the form body."))?;
        let v = decode_form_component(v)
            .map_err(|e| e.with_message("Invalid percent-encoding in the form body."))?;
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

/// Parses a multipart body from its payload, as it arrives: at most `limits.bytes` bytes and
/// `limits.fields` parts.
pub(crate) async fn read_multipart(
    req: &HttpRequest,
    payload: Payload,
    limits: &BodyLimits,
) -> Result<FormData, HttpError> {
    if declared_over(req, limits.bytes) {
        return Err(too_large(limits.bytes));
    }
    let over = Rc::new(Cell::new(false));
    let counted = {
        let (over, mut seen, limit) = (over.clone(), 0usize, limits.bytes);
        payload.map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len();
            if seen > limit {
                over.set(true);
                return Err(PayloadError::Overflow);
            }
            Ok(chunk)
        })
    };
    let mut mp = actix_multipart::Multipart::new(req.headers(), counted);
    let mut form = FormData::default();
    let bad = |e: actix_multipart::MultipartError| {
        if over.get() {
            too_large(limits.bytes)
        } else {
            HttpError::bad_request(format!("Malformed multipart body: {e}"))
        }
    };
    let mut parts = 0usize;
    while let Some(field) = mp.next().await {
        let field = field.map_err(bad)?;
        parts += 1;
        if parts > limits.fields {
            return Err(HttpError::payload_too_large(format!(
                "The multipart body has more than {} parts (request.max_fields).",
                limits.fields
            )));
        }
        let name = field
            .name()
            .ok_or_else(|| HttpError::bad_request("Malformed multipart body: a part has no name."))?
            .to_owned();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let content_type = field.content_type().cloned();
        if filename.is_some() {
            let content = read_file(field, &limits.spool).await.map_err(|e| match e {
                PartError::Multipart(e) => bad(e),
                PartError::Spool(e) => {
                    HttpError::internal(format!("cannot spool the upload '{name}': {e}"))
                }
            })?;
            form.files
                .push((name, Upload::with_content(filename, content_type, content)));
        } else {
            let data = read_text(field).await.map_err(bad)?;
            let text = String::from_utf8(Vec::from(data)).map_err(|_| {
                HttpError::bad_request(format!("Form field '{name}' is not valid UTF-8."))
            })?;
            form.fields.push((name, text));
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded() {
        let p = parse_urlencoded(b"a=1&b=x+y&c=%C3%A9&d", 10).unwrap();
        assert_eq!(
            p,
            [("a", "1"), ("b", "x y"), ("c", "é"), ("d", "")]
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(parse_urlencoded(b"a=%zz", 10).unwrap_err().status(), 400);
        assert_eq!(parse_urlencoded(b"a=\xff", 10).unwrap_err().status(), 400);
    }

    #[test]
    fn fields_are_counted() {
        assert_eq!(parse_urlencoded(b"a&b&c", 3).unwrap().len(), 3);
        let e = parse_urlencoded(b"a&b&c&d", 3).unwrap_err();
        assert_eq!(e.status(), 413);
        assert_eq!(
            e.message(),
            "The form has more than 3 fields (request.max_fields)."
        );
    }
}
