//! # drupe
//!
//! A REST application framework in the spirit of CherryPy, on actix-web: write a struct,
//! expose its methods, get a correct HTTP service.
//!
//! ```
//! use drupe::{App, VirtualPath, controller};
//!
//! /// The root; its `#[mount]` fields are its children.
//! #[controller]
//! struct Root {
//!     /// `/blog/...`
//!     #[mount]
//!     blog: Blog,
//! }
//! struct Blog;
//!
//! #[controller]
//! impl Root {
//!     /// `GET /` and `GET /?name=bob`.
//!     #[expose]
//!     async fn index(&self, name: Option<String>) -> String {
//!         format!("hello {}", name.as_deref().unwrap_or("world"))
//!     }
//!
//!     /// Anything nothing else answers.
//!     #[expose]
//!     fn default(&self, rest: VirtualPath) -> actix_web::web::Json<Vec<String>> {
//!         actix_web::web::Json(rest.0)
//!     }
//! }
//!
//! #[controller]
//! impl Blog {
//!     /// `/blog/post/2024/hello-world`: typed positional arguments from the path.
//!     #[expose]
//!     fn post(&self, year: u16, slug: String) -> String {
//!         format!("{year}: {slug}")
//!     }
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let client = drupe::testing::TestClient::new(App::new(Root { blog: Blog }).unwrap()).await;
//! client.get("/blog/post/2024/hi").send().await.assert_text("2024: hi");
//! client.get("/blog/post/year/hi").send().await.assert_status(404);
//! client.get("/a/b").send().await.assert_json(serde_json::json!(["a", "b"]));
//! # });
//! ```
//!
//! The [`guide`] walks through the object tree, the method dispatcher, negotiation, tools
//! and settings, caching, coverage, serving, OpenAPI and testing, and lists every setting;
//! `examples/tour/` runs every rule of the default dispatcher, and `examples/photoblog/` is a
//! whole application.

#![deny(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Generated code names the runtime crate `::drupe`; inside it, that is this crate.
#[allow(unused_extern_crates)]
extern crate self as drupe;

mod app;
pub mod auth;
mod body;
pub mod cache;
mod config;
mod context;
pub mod cors;
pub mod coverage;
pub mod csrf;
mod dispatch;
pub mod encode;
pub mod engine;
mod error;
pub mod etags;
pub mod expires;
pub mod files;
mod http;
pub mod net;
pub mod openapi;
mod pipeline;
pub mod rate_limit;
pub mod represent;
pub mod response_headers;
pub mod sessions;
mod templates;
pub mod testing;
pub mod timeout;
pub mod tools;
pub mod trailing_slash;

pub use app::{App, AppBuilder, BuildError};
pub use body::{
    BODY_TYPES, Body, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_FIELDS, DEFAULT_SPOOL_ABOVE, Upload,
    UploadReader,
};
pub use config::{
    AutoreloadSettings, Config, ConfigError, DEFAULT_MAX_BODY, EngineSettings, Environment,
    GlobalSettings, Seconds, ServerSettings, Size, TemplatesSettings, TlsSettings,
};
pub use context::State;
pub use cors::Cors;
pub use csrf::Csrf;
pub use dispatch::hook::{Cursor, Next};
pub use dispatch::param::{Kwargs, VirtualPath};
pub use dispatch::reverse::{Route, UrlArg};
pub use dispatch::tree::{
    Controller, HandlerId, HandlerInfo, NodeId, NodeInfo, NodeKind, Tree, TreeError,
};
pub use drupe_macros::url_for;
pub use drupe_macros::{controller, resource};
pub use error::{
    BadParameter, ErrorStatus, HttpError, INTERNAL_MESSAGE, MethodNotAllowed, MissingParameters,
    MultipleValues, NotAcceptable, NotFound, UnexpectedParameters,
};
pub use http::client::TrustedProxies;
pub use http::encoding;
pub use http::negotiate;
pub use rate_limit::RateLimit;
pub use represent::html::Page;
pub use represent::{Collection, Created, InternalRedirect, Negotiated, NoContent, Redirect, Urls};
pub use response_headers::ResponseHeaders;
pub use templates::Templates;

// The guide is a page of the documentation (read where the API is), and its examples are
// doctests, so it cannot drift from the API.
#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

/// Lower-level plumbing: what generated code and custom parameter types use.
pub mod dev {
    pub use crate::app::resolve_and_bind;
    pub use crate::dispatch::bind::Bound;
    pub use crate::dispatch::doc::Answers;
    pub use crate::dispatch::param::{
        FromParam, ParamError, ParamInput, ParamKind, ParamSchema, ParamSpec, Value,
    };
    pub use crate::dispatch::path::Origin;
    pub use crate::dispatch::tree::{HandlerDecl, Invoke, NodeBuilder};
    pub use crate::dispatch::{Call, Extract, HandlerResult};
}

/// The parsers that read what clients and shared caches send, for the fuzz targets in
/// `fuzz/`: each checks its own invariants and panics when one breaks.
#[doc(hidden)]
pub mod fuzzing {
    use actix_web::http::header::HeaderMap;

    /// Selection by the general parse agrees with [`negotiate::select`](crate::http::negotiate::select)
    /// (which answers a bare type without it), and picks an index in range.
    pub fn accept(accept: &str, produces: &[crate::http::negotiate::MediaRange]) {
        let fast = crate::http::negotiate::select(accept, produces);
        let general = crate::http::negotiate::select_general(accept, produces);
        assert_eq!(fast, general, "{accept:?}");
        if let Ok(Some(i)) = fast {
            assert!(i < produces.len());
        }
    }

    /// Reads a request's cache directives and `If-None-Match`, and a response's caching
    /// policy, from any headers.
    pub fn cache_headers(request: &HeaderMap, response: &HeaderMap) {
        let _ = crate::cache::control::request(request);
        if let Ok(Some(inm)) = crate::cache::control::if_none_match(request) {
            let _ = crate::cache::control::none_match_hits(&inm, "\"x\"");
        }
        let _ = crate::cache::control::response(response, std::time::SystemTime::now());
    }

    /// Two requests share a variant key exactly when they agree on every header `vary` names
    /// (present or not, and its field lines combined with `, `, as RFC 9110 §5.3 reads them).
    pub fn variant_key(vary: &[String], a: &HeaderMap, b: &HeaderMap) {
        let same = vary.iter().all(|n| {
            let combined = |h: &HeaderMap| {
                let lines: Vec<&[u8]> = h.get_all(n.as_str()).map(|v| v.as_bytes()).collect();
                (!lines.is_empty()).then(|| lines.join(&b", "[..]))
            };
            combined(a) == combined(b)
        });
        let (ka, kb) = (
            crate::cache::entry_variant_key(vary, a),
            crate::cache::entry_variant_key(vary, b),
        );
        if ka == kb {
            assert!(same, "{ka:?} for different values");
        }
        if same {
            assert_eq!(ka, kb);
        }
    }

    /// The per-path settings a request path gets: those of the deepest configured section
    /// whose segments each equal the request's under the dispatcher's translation
    /// (punctuation reads as `_`), checked against a plain reading of that rule. Each
    /// configured path sets its own `request.max_fields` (its index + 1).
    pub fn settings_lookup(configured: &[String], request: &str) {
        let mut config = crate::Config::new();
        // The plain reading: section → its value (a later `set` of one section wins).
        let mut sections: std::collections::BTreeMap<String, usize> = Default::default();
        for (i, p) in configured.iter().enumerate() {
            if !p.starts_with('/') || p.len() > 200 {
                continue;
            }
            config.set(p, "request.max_fields", (i + 1) as i64);
            let trimmed = p.trim_end_matches('/');
            sections.insert(
                if trimmed.is_empty() { "/" } else { trimmed }.to_owned(),
                i + 1,
            );
        }
        let Ok(trie) = crate::tools::settings::SettingsTrie::build(&config, &[]) else {
            return;
        };
        let Ok(segs) = crate::dispatch::path::Segments::parse(request) else {
            return;
        };
        let got = trie
            .lookup(segs.list.iter().map(|s| s.lookup(request)))
            .request
            .max_fields;
        let req: Vec<&str> = segs.list.iter().map(|s| s.lookup(request)).collect();
        let mut best: Option<(usize, usize)> = None;
        // In section order: at one depth, the later section wins (the merge's order).
        for (p, value) in &sections {
            let conf: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
            let covers = conf.len() <= req.len()
                && conf
                    .iter()
                    .zip(&req)
                    .all(|(a, b)| crate::dispatch::path::same_name(a, b));
            if covers && best.is_none_or(|(depth, _)| conf.len() >= depth) {
                best = Some((conf.len(), *value));
            }
        }
        let expected = best.map_or(crate::body::DEFAULT_MAX_FIELDS, |(_, v)| v);
        assert_eq!(got, expected, "{request:?} in {sections:?}");
    }

    /// A stored response read back from a shared backend: anything but our encoding is
    /// refused, and what is read encodes back to the same bytes.
    pub fn stored(data: &[u8]) {
        if let Some(s) = crate::cache::Stored::decode(bytes::Bytes::copy_from_slice(data)) {
            let again = s.encode();
            let twice = crate::cache::Stored::decode(again.clone().into()).expect("re-read");
            assert_eq!(twice.encode(), again);
        }
    }
}

#[doc(hidden)]
pub mod __private {
    pub use crate::dev::*;
    pub use crate::dispatch::doc::{
        AnswersOf, NoAnswersOf, NoSchemaOf, OperationDoc, Probe, SchemaOf,
    };
    pub use crate::dispatch::field_mounts::{
        FieldMounts, FieldMountsOf, MountProbe, NoFieldMounts,
    };
    pub use crate::represent::output::{IntoHttpError, KeepOutput, Output};
    pub use crate::represent::{Finish, MediaTypes, Reply, ReplyOf};
    pub use actix_web::{HttpRequest, Responder};
    pub use futures_util::future::LocalBoxFuture;

    /// The response of a handler without `#[produces]`.
    pub fn respond<R: Responder>(out: R, req: &HttpRequest) -> HandlerResult {
        Ok(out.respond_to(req).map_into_boxed_body())
    }

    /// The response of a handler with `#[produces]`: rendered by the chosen representation.
    pub fn negotiated<O: Finish, S: crate::represent::RenderSet<O::Value>>(
        out: O,
        req: &HttpRequest,
        set: &S,
    ) -> HandlerResult {
        crate::represent::finish(out, req, set)
    }
}

/// The README's example, compiled with the doctests so that it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
