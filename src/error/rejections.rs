//! The named rejections the dispatcher raises: each a typed wrapper of an [`HttpError`] with
//! the message CherryPy's dispatcher gives, so handlers and tests can name them.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};

use super::HttpError;

macro_rules! rejection {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub(crate) HttpError);

        impl From<$name> for HttpError {
            fn from(r: $name) -> HttpError {
                r.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::error::Error for $name {}

        impl ResponseError for $name {
            fn status_code(&self) -> StatusCode {
                self.0.status()
            }
            fn error_response(&self) -> HttpResponse {
                self.0.error_response()
            }
        }
    };
}

rejection! {
    /// 404: nothing in the tree answers this path.
    ///
    /// ```
    /// let e: drupe::HttpError = drupe::NotFound::path("/x").into();
    /// assert_eq!(e.message(), "The path '/x' was not found.");
    /// ```
    NotFound
}

impl NotFound {
    /// The dispatcher's 404 for `path` (script name + path info, as requested).
    pub fn path(path: &str) -> Self {
        Self(HttpError::not_found(format!(
            "The path '{path}' was not found."
        )))
    }
}

rejection! {
    /// 405: the resource exists but does not implement the method. Carries `Allow`.
    ///
    /// ```
    /// let e: drupe::HttpError = drupe::MethodNotAllowed::new("GET, HEAD, OPTIONS").into();
    /// assert_eq!(e.status().as_u16(), 405);
    /// ```
    MethodNotAllowed
}

impl MethodNotAllowed {
    /// A 405 whose `Allow` header is `allow` (already sorted and joined).
    pub fn new(allow: &str) -> Self {
        let mut e = HttpError::of(
            StatusCode::METHOD_NOT_ALLOWED,
            "Specified method is invalid for this resource",
        );
        if let Ok(v) = HeaderValue::from_str(allow) {
            e = e.with_header(header::ALLOW, v);
        }
        Self(e.with_extension(
            "allow",
            allow.split(", ").filter(|s| !s.is_empty()).collect(),
        ))
    }
}

rejection! {
    /// 406: no media type the resource produces is acceptable to the client. The body lists
    /// the types it produces.
    ///
    /// ```
    /// let e: drupe::HttpError =
    ///     drupe::NotAcceptable::new(Some("image/png"), ["application/json"]).into();
    /// assert!(e.message().contains("application/json"));
    /// ```
    NotAcceptable
}

impl NotAcceptable {
    /// The 406 for a raw `Accept` header (`None` when absent) and what is available.
    pub fn new<'a>(accept: Option<&str>, available: impl IntoIterator<Item = &'a str>) -> Self {
        let available: Vec<&str> = available.into_iter().collect();
        let said = match accept {
            Some(a) => format!("Your client sent this Accept header: {a}."),
            None => "Your client did not send an Accept header.".to_owned(),
        };
        let msg = format!(
            "{said} But this resource only emits these media types: {}.",
            available.join(", ")
        );
        Self(
            HttpError::of(StatusCode::NOT_ACCEPTABLE, msg)
                .with_extension("available", available.into()),
        )
    }
}

rejection! {
    /// 404: a required parameter of the handler got no value (`Missing parameters: a,b`).
    MissingParameters
}

impl MissingParameters {
    /// The rejection naming the parameters, in declaration order.
    pub fn new(names: &[&str]) -> Self {
        Self(HttpError::not_found(format!(
            "Missing parameters: {}",
            names.join(",")
        )))
    }
}

rejection! {
    /// Named parameters the handler does not take: 404 when any came from the query string
    /// (`Unexpected query string parameters: x, y`), else 400
    /// (`Unexpected body parameters: x, y`).
    UnexpectedParameters
}

impl UnexpectedParameters {
    /// The rejection; `from_query` selects 404 and the query wording.
    pub fn new(names: &[&str], from_query: bool) -> Self {
        let list = listed(names);
        Self(if from_query {
            HttpError::not_found(format!("Unexpected query string parameters: {list}"))
        } else {
            HttpError::bad_request(format!("Unexpected body parameters: {list}"))
        })
    }
}

/// Names for a message: the first [`LISTED`] of them, then how many more (a form of a
/// thousand unknown fields gets a message, not a page of names).
fn listed(names: &[&str]) -> String {
    // An empty name (`?=x`) would leave the message ending in nothing.
    let shown: Vec<&str> = names[..names.len().min(LISTED)]
        .iter()
        .map(|n| {
            if n.is_empty() {
                "\"\" (an empty name)"
            } else {
                n
            }
        })
        .collect();
    let mut list = shown.join(", ");
    if names.len() > LISTED {
        use std::fmt::Write;
        let _ = write!(list, " and {} more", names.len() - LISTED);
    }
    list
}

const LISTED: usize = 10;

rejection! {
    /// A parameter received a value from the path and by name: 404 when any of those names
    /// came from the query string, else 400 (`Multiple values for parameters: a,b`).
    MultipleValues
}

impl MultipleValues {
    /// The rejection; `from_query` selects 404.
    pub fn new(names: &[&str], from_query: bool) -> Self {
        let msg = format!("Multiple values for parameters: {}", names.join(","));
        Self(if from_query {
            HttpError::not_found(msg)
        } else {
            HttpError::bad_request(msg)
        })
    }
}

rejection! {
    /// A value that does not parse into the parameter's type: 404 when it came from the path,
    /// 400 when it came from the query or the body. The message names the parameter and type.
    BadParameter
}

impl BadParameter {
    /// The rejection for parameter `name` of type `ty`; `from_path` selects 404.
    pub fn new(name: &str, ty: &str, from_path: bool) -> Self {
        let msg = format!("Invalid value for parameter '{name}': expected {ty}.");
        Self(if from_path {
            HttpError::not_found(msg)
        } else {
            HttpError::bad_request(msg)
        })
    }
}
