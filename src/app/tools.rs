//! The tools every application starts with: the only place that names them.
//!
//! Each reads its own settings and publishes its own endpoints; an application replaces one by
//! registering another under its name (`AppBuilder::tool`).

use std::sync::Arc;

use crate::tools::{Erased, ErasedTool};

/// The trailing-slash redirect (on), the output cache (off until `tools.caching.on`; its
/// backend from `[global] cache.*`), the coverage recorder (off until `tools.coverage.on`),
/// the OpenAPI document (`[global] openapi.*`), the response headers (off until
/// `tools.response_headers.on`), the static files (off until `tools.staticdir.on`,
/// `tools.staticfile.on`), validators and preconditions (on: `tools.etags`), compression (on:
/// `tools.encode`), freshness (off until `tools.expires.on`), request
/// timeouts (off until `tools.timeout.on`), authentication (off, and
/// without a verifier until the application registers one: `tools.auth_basic`,
/// `tools.auth_bearer`, `tools.session_auth`), sessions (off until `tools.sessions.on`; their store from
/// `[global] sessions.*`), CORS (off until `tools.cors.on`), the rate limits (on:
/// `tools.rate_limit`) and the CSRF check (off until `tools.csrf.on`).
pub(super) fn stock() -> Vec<Arc<dyn ErasedTool>> {
    vec![
        Arc::new(Erased(crate::trailing_slash::TrailingSlash)),
        Arc::new(Erased(crate::cache::Caching::from_settings())),
        Arc::new(Erased(crate::coverage::Coverage::new())),
        Arc::new(Erased(crate::openapi::ApiDocs)),
        Arc::new(Erased(crate::response_headers::ResponseHeaders::new())),
        Arc::new(Erased(crate::files::StaticDir::default())),
        Arc::new(Erased(crate::files::StaticFile::default())),
        Arc::new(Erased(crate::etags::ETags)),
        Arc::new(Erased(crate::encode::Encode)),
        Arc::new(Erased(crate::expires::Expires)),
        Arc::new(Erased(crate::timeout::Timeout)),
        Arc::new(Erased(crate::auth::AuthBasic::default())),
        Arc::new(Erased(crate::auth::AuthBearer::default())),
        Arc::new(Erased(crate::auth::SessionAuth::default())),
        Arc::new(Erased(crate::sessions::Sessions::from_settings())),
        Arc::new(Erased(crate::cors::Cors::new())),
        Arc::new(Erased(crate::rate_limit::RateLimit::new())),
        Arc::new(Erased(crate::csrf::Csrf)),
    ]
}
