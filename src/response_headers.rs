//! The `response_headers` tool: fixed headers on every response of a subtree (security
//! headers on HTML pages, say), set unless the handler set them: handler answers, cache
//! hits, and the dispatcher's own 404, 405 and 406 alike. Registered with every application,
//! off until a path switches it on.
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

use crate::tools::{Exchange, Tool};

/// The `response_headers` tool.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use drupe::{App, ResponseHeaders, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
/// }
/// let app = App::builder(Root)
///     .tool_at("/", ResponseHeaders::new().header("X-Content-Type-Options", "nosniff"))
///     .build()
///     .unwrap();
/// let c = drupe::testing::TestClient::new(app).await;
/// c.get("/").send().await.assert_header("x-content-type-options", "nosniff");
/// // The dispatcher's own 404 carries it too.
/// c.get("/nope/nope").send().await.assert_status(404)
///     .assert_header("x-content-type-options", "nosniff");
/// # });
/// ```
///
/// In a TOML file the same reads `tools.response_headers.headers = { "X-Content-Type-Options" =
/// "nosniff" }` under the path's section.
#[derive(Debug, Default, Clone)]
pub struct ResponseHeaders {
    /// Headers for the path the tool is registered at ([`AppBuilder::tool_at`](crate::AppBuilder::tool_at)).
    headers: BTreeMap<String, String>,
}

impl ResponseHeaders {
    /// The tool, with no header of its own.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header for the path the tool is registered at with
    /// [`AppBuilder::tool_at`](crate::AppBuilder::tool_at) (checked when the application is
    /// built: an invalid name or value is a configuration error).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_owned(), value.to_owned());
        self
    }
}

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

    fn settings_at(&self) -> toml::Table {
        let mut headers = toml::Table::new();
        for (k, v) in &self.headers {
            headers.insert(k.clone(), toml::Value::from(v.as_str()));
        }
        let mut t = toml::Table::new();
        if !headers.is_empty() {
            t.insert("headers".into(), toml::Value::Table(headers));
        }
        t
    }

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
