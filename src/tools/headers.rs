//! The `response_headers` tool: fixed headers on every response of a subtree (security
//! headers on HTML pages, say), set unless the handler set them.
//!
//! ```toml
//! ["/"]
//! tools.response_headers.on = true
//! tools.response_headers.headers = { "X-Content-Type-Options" = "nosniff" }
//! ```

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use serde::Deserialize;

use super::{After, Exchange, Tool};

/// The `response_headers` tool.
#[derive(Debug, Default, Clone, Copy)]
pub struct ResponseHeaders;

/// Settings of [`ResponseHeaders`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseHeadersConfig {
    /// Header names and values.
    pub headers: BTreeMap<String, String>,
}

impl Tool for ResponseHeaders {
    type Config = ResponseHeadersConfig;
    const NAME: &'static str = "response_headers";

    fn priority(&self) -> i32 {
        // Before the cache (90) stores the response, so hits carry the headers too.
        80
    }

    fn after_handler<'a>(
        &'a self,
        cfg: &'a ResponseHeadersConfig,
        _: &'a Exchange,
        mut res: HttpResponse,
    ) -> After<'a> {
        for (k, v) in &cfg.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) && !res.headers().contains_key(&name)
            {
                res.headers_mut().insert(name, value);
            }
        }
        After::Done(res)
    }
}
