//! The `response_headers` tool: fixed headers on every response of a subtree (security
//! headers on HTML pages, say), set unless the handler set them: handler answers, cache
//! hits, and the dispatcher's own 404, 405 and 406 alike.
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

use super::{Exchange, Tool};

/// The `response_headers` tool.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
/// }
/// let app = App::builder(Root)
///     .tool(drupe::tools::ResponseHeaders)
///     .set("/", "tools.response_headers.on", true)
///     .set("/", "tools.response_headers.headers.X-Content-Type-Options", "nosniff")
///     .build()
///     .unwrap();
/// let c = drupe::testing::TestClient::new(app).await;
/// c.get("/").send().await.assert_header("x-content-type-options", "nosniff");
/// // The dispatcher's own 404 carries it too.
/// c.get("/nope/nope").send().await.assert_status(404)
///     .assert_header("x-content-type-options", "nosniff");
/// # });
/// ```
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

    fn on_response(&self, cfg: &ResponseHeadersConfig, _: &Exchange, res: &mut HttpResponse) {
        for (k, v) in &cfg.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) && !res.headers().contains_key(&name)
            {
                res.headers_mut().insert(name, value);
            }
        }
    }
}
