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

/// Settings of [`ResponseHeaders`]: `headers`, a table of header names and values, checked
/// when the settings are read (an invalid name or value is a configuration error).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct ResponseHeadersConfig {
    headers: Vec<(HeaderName, HeaderValue)>,
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    headers: BTreeMap<String, String>,
}

impl TryFrom<RawConfig> for ResponseHeadersConfig {
    type Error = String;

    fn try_from(raw: RawConfig) -> Result<Self, String> {
        let headers = raw
            .headers
            .into_iter()
            .map(|(k, v)| -> Result<_, String> {
                let name = HeaderName::from_bytes(k.as_bytes())
                    .map_err(|_| format!("invalid header name {k:?}"))?;
                let value = HeaderValue::from_str(&v)
                    .map_err(|_| format!("invalid value for header {k}: {v:?}"))?;
                Ok((name, value))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { headers })
    }
}

impl Tool for ResponseHeaders {
    type Config = ResponseHeadersConfig;
    const NAME: &'static str = "response_headers";

    fn on_response(&self, cfg: &ResponseHeadersConfig, _: &Exchange, res: &mut HttpResponse) {
        for (name, value) in &cfg.headers {
            if !res.headers().contains_key(name) {
                res.headers_mut().insert(name.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<ResponseHeadersConfig, String> {
        let table: toml::Table = text.parse().expect("TOML");
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned())
    }

    #[test]
    fn headers_are_checked_when_the_settings_are_read() {
        let ok = read(r#"headers = { "X-A" = "1" }"#).unwrap();
        assert_eq!(ok.headers.len(), 1);
        assert_eq!(ok.headers[0].0.as_str(), "x-a");
        assert_eq!(ok.headers[0].1, "1");
        let bad = read(r#"headers = { "X A" = "1" }"#).unwrap_err();
        assert!(bad.contains("invalid header name"), "{bad}");
        let bad = read(r#"headers = { "X-A" = "a\nb" }"#).unwrap_err();
        assert!(bad.contains("invalid value"), "{bad}");
        assert!(read("header = {}").is_err());
    }
}
