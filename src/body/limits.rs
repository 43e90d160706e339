//! What bounds a request body: bytes, fields, and time.
//!
//! This module owns the limits the pipeline puts on every body before anything reads it:
//! `request.body.max_size` (bytes, 413 beyond), `request.max_fields` (form fields and
//! multipart parts, 413 beyond) — both per path, carried to extractors in the request's
//! extensions as [`BodyLimits`], beside where large files go (see [`super::spool`]) — and
//! `[global] server.body_timeout`: a body that stalls longer than it between two chunks ends
//! the request with 408 and closes the connection, so a client that declares 1000 bytes and
//! sends 9 cannot hold a worker's connection.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::spool::Spool;
use crate::HttpError;

/// The default number of form fields or multipart parts a request may send.
pub const DEFAULT_MAX_FIELDS: usize = 1000;

/// The default `[global] server.body_timeout`: how long a body may stall.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The default request body limit (`request.body.max_size`): 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1 << 20;

/// The limits in force for a request's body, and where its large files go (compiled once
/// per path from its settings, set on each request by the dispatcher).
#[derive(Debug, Clone)]
pub(crate) struct BodyLimits {
    /// `request.body.max_size`.
    pub(crate) bytes: usize,
    /// `request.max_fields`.
    pub(crate) fields: usize,
    /// `request.body.spool_above` and `request.body.spool_dir`.
    pub(crate) spool: Spool,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            bytes: super::DEFAULT_MAX_BODY,
            fields: DEFAULT_MAX_FIELDS,
            spool: Spool::default(),
        }
    }
}

/// The limits of `req` (the defaults where the dispatcher set none).
pub(crate) fn limits_of(req: &HttpRequest) -> BodyLimits {
    req.extensions()
        .get::<BodyLimits>()
        .cloned()
        .unwrap_or_default()
}

pub(crate) fn too_large(limit: usize) -> HttpError {
    HttpError::payload_too_large(format!(
        "The request body is larger than the limit of {limit} bytes (request.body.max_size)."
    ))
}

pub(crate) fn too_many_fields(limit: usize) -> HttpError {
    HttpError::payload_too_large(format!(
        "The form has more than {limit} fields (request.max_fields)."
    ))
}

/// The body's declared length over `limit`: refused before a byte is read.
pub(crate) fn declared_over(req: &HttpRequest, limit: usize) -> bool {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > limit as u64)
}

/// Reads the whole body, at most `limit` bytes.
pub(crate) async fn read_bytes(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<Bytes, HttpError> {
    if declared_over(req, limit) {
        return Err(too_large(limit));
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(unreadable)?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

pub(crate) fn unreadable(e: PayloadError) -> HttpError {
    HttpError::bad_request(format!("The request body could not be read: {e}"))
}

/// Set when a request's body stalled past `server.body_timeout` (the pipeline then answers
/// 408 and closes the connection, whatever the reader made of the error).
#[derive(Debug, Clone, Default)]
pub(crate) struct Stalled(Rc<Cell<bool>>);

impl Stalled {
    pub(crate) fn get(&self) -> bool {
        self.0.get()
    }
}

/// Whether a request carries a body at all (a length above zero, or chunked).
pub(crate) fn has_body(req: &HttpRequest) -> bool {
    let h = req.headers();
    h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// `payload`, ending with an error (and `stalled` set) when no chunk arrives for `idle`.
/// tokio-stream's `timeout` restarts its clock at every chunk.
pub(crate) fn guard(payload: Payload, idle: Duration, stalled: &Stalled) -> Payload {
    let flag = stalled.0.clone();
    let stream = tokio_stream::StreamExt::timeout(payload, idle).map(move |item| match item {
        Ok(chunk) => chunk,
        Err(_elapsed) => {
            flag.set(true);
            Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body stalled",
            )))
        }
    });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}

/// The answer to a request whose body stalled.
pub(crate) fn stalled_error(idle: Duration) -> HttpError {
    HttpError::new(
        crate::error::ErrorStatus::new(actix_web::http::StatusCode::REQUEST_TIMEOUT)
            .expect("408 is an error status"),
        format!(
            "The request body stalled for more than {} s (server.body_timeout).",
            secs(idle)
        ),
    )
}

/// Seconds as a person writes them: `10`, `0.5`.
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_written() {
        assert_eq!(secs(Duration::from_secs(10)), "10");
        assert_eq!(secs(Duration::from_millis(500)), "0.5");
    }
}
