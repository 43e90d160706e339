//! The `sessions` tool's per-path settings (`tools.sessions.*`): the cookie and the timeouts.
//!
//! Every value is checked when the application is built, with the key and what it expects: a
//! cookie name or path that would make an invalid header, `samesite = "none"` without
//! `secure = true` (browsers refuse such a cookie), a timeout of zero.

use std::time::Duration;

use serde::Deserialize;

use crate::tools::Placement;

/// The longest timeout, in seconds (a year).
const MAX_TIMEOUT: u64 = 365 * 24 * 3600;

/// The cookie's `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    /// Sent with top-level navigations from other sites, not with their subrequests (the
    /// default).
    #[default]
    Lax,
    /// Never sent with a request another site started.
    Strict,
    /// Sent with every request (needs `secure = true`).
    None,
}

/// Per-path settings of the `sessions` tool (`tools.sessions.*`).
///
/// ```toml
/// ["/account"]
/// tools.sessions.on = true
/// tools.sessions.samesite = "strict"
/// tools.sessions.idle_timeout = 900
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SessionsConfig {
    /// The cookie's name (`session_id`).
    pub name: String,
    /// The cookie's `Path` (`/`).
    pub path: String,
    /// The cookie's `Domain` (none: the host that set it, without its subdomains).
    pub domain: Option<String>,
    /// Whether the cookie is `Secure` (none: when the request came over HTTPS, as the
    /// scheme reads behind `server.trusted_proxies`).
    pub secure: Option<bool>,
    /// Whether the cookie is `HttpOnly`, out of reach of scripts (true).
    pub httponly: bool,
    /// The cookie's `SameSite` (`lax`).
    pub samesite: SameSite,
    /// Whether the cookie carries `Max-Age` (the time left until the absolute timeout) and
    /// so outlives the browser's session (true); false makes it a browser-session cookie.
    pub persistent: bool,
    /// Seconds a session may go unused before it ends (1800).
    pub idle_timeout: u64,
    /// Seconds a session may last at all, however busy (86400).
    pub absolute_timeout: u64,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        Self {
            name: "session_id".to_owned(),
            path: "/".to_owned(),
            domain: None,
            secure: None,
            httponly: true,
            samesite: SameSite::Lax,
            persistent: true,
            idle_timeout: 1800,
            absolute_timeout: 86400,
        }
    }
}

impl SessionsConfig {
    /// The idle timeout.
    pub(super) fn idle(&self) -> Duration {
        Duration::from_secs(self.idle_timeout)
    }

    /// The absolute timeout.
    pub(super) fn absolute(&self) -> Duration {
        Duration::from_secs(self.absolute_timeout)
    }

    /// Checks the settings read at `at`.
    pub(super) fn check(&self, at: &Placement<'_>) -> Result<(), crate::ConfigError> {
        // RFC 6265 §4.1.1: a cookie name is an RFC 2616 token.
        let token = |b: u8| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b);
        if self.name.is_empty() || !self.name.bytes().all(token) {
            return Err(at.error(
                "name",
                format!(
                    "{:?} is not a cookie name (letters, digits and !#$%&'*+-.^_`|~)",
                    self.name
                ),
            ));
        }
        // Attribute values may not hold `;` or control characters.
        let attribute = |s: &str| s.bytes().all(|b| b.is_ascii_graphic() && b != b';');
        if !self.path.starts_with('/') || !attribute(&self.path) {
            return Err(at.error(
                "path",
                format!(
                    "{:?} is not a cookie path (it starts with /, without ; or spaces)",
                    self.path
                ),
            ));
        }
        if let Some(d) = &self.domain
            && (d.contains(':') || !crate::http::url::valid_host(d.trim_start_matches('.')))
        {
            return Err(at.error("domain", format!("{d:?} is not a domain name")));
        }
        if self.samesite == SameSite::None && self.secure != Some(true) {
            return Err(at.error(
                "samesite",
                "samesite = \"none\" needs secure = true (browsers refuse the cookie otherwise)",
            ));
        }
        for (key, secs) in [
            ("idle_timeout", self.idle_timeout),
            ("absolute_timeout", self.absolute_timeout),
        ] {
            if !(1..=MAX_TIMEOUT).contains(&secs) {
                return Err(at.error(
                    key,
                    format!("expected whole seconds from 1 to {MAX_TIMEOUT}, got {secs}"),
                ));
            }
        }
        Ok(())
    }
}
