//! The framework's own `[global]` settings, typed: `server.*`, `engine.*`, `templates.*`.
//!
//! This module owns [`GlobalSettings`], read once when the application is built. Every
//! section refuses keys it does not know, and every value is checked (a number of seconds a
//! clock holds, a size, an address): a mistake is a start-up error naming the key, never a
//! silent default. Tools read their own sections (`cache.*`, `coverage.*`, `openapi.*`) the
//! same way; a `[global]` section nobody reads is an error too.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// The framework's `[global]` settings.
///
/// ```
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
/// }
/// let app = App::builder(Root)
///     .set_global("server.workers", 2)
///     .set_global("server.shutdown_timeout", 2.5)
///     .build()
///     .unwrap();
/// let s = app.settings();
/// assert_eq!(s.server.workers, Some(2));
/// assert_eq!(s.server.shutdown_timeout.get(), std::time::Duration::from_millis(2500));
/// // A key that does not exist is an error that names it.
/// let err = App::builder(Root).set_global("server.wokers", 2).build().unwrap_err();
/// assert!(err.to_string().contains("server.wokers"), "{err}");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct GlobalSettings {
    /// `server.*`: the HTTP server.
    pub server: ServerSettings,
    /// `engine.*`: the process.
    pub engine: EngineSettings,
    /// `templates.*`: HTML templates.
    pub templates: TemplatesSettings,
}

impl GlobalSettings {
    /// The sections this type reads.
    pub(crate) const SECTIONS: [&'static str; 3] = ["server", "engine", "templates"];

    pub(crate) fn read(config: &super::Config) -> Result<Self, super::ConfigError> {
        let server: ServerSettings = config.global_section("server")?;
        server.check(config)?;
        Ok(Self {
            server,
            engine: config.global_section("engine")?,
            templates: config.global_section("templates")?,
        })
    }
}

/// `[global] server.*`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerSettings {
    /// Worker threads (default: one per CPU).
    pub workers: Option<usize>,
    /// How long a stop waits for requests in flight (5 s); requests still running then are
    /// abandoned and the process exits non-zero.
    pub shutdown_timeout: Seconds,
    /// How long to wait for a busy port to free before failing (1 s).
    pub port_wait: Seconds,
    /// How long a client may take to send a request head before 408 (5 s).
    pub request_timeout: Seconds,
    /// How long an idle keep-alive connection stays open (5 s; 0 closes each connection after
    /// its response).
    pub keep_alive: Seconds,
    /// How long a request body may stall between two chunks before 408 (10 s).
    pub body_timeout: Seconds,
    /// The longest request target (8 KiB; 414 beyond).
    pub max_uri_length: Size,
    /// The largest request head: target and header fields (16 KiB; 431 beyond).
    pub max_header_size: Size,
    /// One line per request to the `drupe::access` tracing target (off).
    pub access_log: bool,
    /// Addresses, CIDR blocks and `unix` (peers on a Unix socket) of the proxies whose
    /// `Forwarded` / `X-Forwarded-*` headers count.
    pub trusted_proxies: Vec<String>,
    /// Names besides `localhost`, `127.0.0.1` and `[::1]` that operator pages answer for.
    pub allowed_hosts: Vec<String>,
    /// `server.tls.*`: HTTPS.
    pub tls: TlsSettings,
}

/// `[global] server.tls.*`: the PEM files of HTTPS (both, or neither).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TlsSettings {
    /// The certificate chain, leaf first.
    pub cert: Option<PathBuf>,
    /// Its private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            workers: None,
            shutdown_timeout: Seconds::from_secs(5),
            port_wait: Seconds::from_secs(1),
            request_timeout: Seconds::from_secs(5),
            keep_alive: Seconds::from_secs(5),
            body_timeout: Seconds(crate::body::DEFAULT_BODY_TIMEOUT),
            max_uri_length: Size(8 << 10),
            max_header_size: Size(16 << 10),
            access_log: false,
            trusted_proxies: Vec::new(),
            allowed_hosts: Vec::new(),
            tls: TlsSettings::default(),
        }
    }
}

impl ServerSettings {
    /// Checks what one value alone cannot: values that must not be zero, the proxies' form.
    fn check(&self, config: &super::Config) -> Result<(), super::ConfigError> {
        let err = |key: &str, m: &str| config.error("global", &format!("server.{key}"), m);
        if self.workers == Some(0) {
            return Err(err("workers", "expected at least one worker, got 0"));
        }
        for (key, s) in [
            ("request_timeout", self.request_timeout),
            ("body_timeout", self.body_timeout),
        ] {
            if s.get().is_zero() {
                return Err(err(key, "expected seconds above 0, got 0"));
            }
        }
        for (key, s) in [
            ("max_uri_length", self.max_uri_length),
            ("max_header_size", self.max_header_size),
        ] {
            if s.get() == 0 {
                return Err(err(key, "expected a size above 0, got 0"));
            }
        }
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), None) => {
                return Err(err("tls.key", "server.tls.cert is set: set its key too"));
            }
            (None, Some(_)) => {
                return Err(err(
                    "tls.cert",
                    "server.tls.key is set: set its certificate too",
                ));
            }
            _ => {}
        }
        crate::http::client::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|m| err("trusted_proxies", &m))?;
        Ok(())
    }
}

/// `[global] engine.*`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct EngineSettings {
    /// Whether SIGHUP re-executes the process instead of stopping it (false).
    pub restart_on_sighup: bool,
    /// What the process is run for: presets filled in under the explicit settings (none).
    pub environment: Option<super::Environment>,
    /// Whether the engine logs warnings and errors only (false; the `test` environment's).
    pub quiet: bool,
    /// `engine.autoreload.*`: rebuilding and re-executing on a change of the sources.
    pub autoreload: AutoreloadSettings,
}

/// `[global] engine.autoreload.*`: CherryPy's Autoreloader, for development.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AutoreloadSettings {
    /// Whether it runs (false; the `development` environment's true).
    pub on: bool,
    /// How often the files are looked at (1 s).
    pub frequency: Seconds,
    /// The files and folders watched (`src`, `templates`, `Cargo.toml` of the current folder
    /// when empty; folders are walked, `target` and hidden ones skipped).
    pub files: Vec<PathBuf>,
    /// The command that rebuilds the program before it is re-executed (`cargo build --bin
    /// NAME`, or `--example NAME`, for this program, with `--release` in a release build; an
    /// empty list: none).
    pub build: Option<Vec<String>>,
}

impl Default for AutoreloadSettings {
    fn default() -> Self {
        Self {
            on: false,
            frequency: Seconds::from_secs(1),
            files: Vec::new(),
            build: None,
        }
    }
}

/// `[global] templates.*`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TemplatesSettings {
    /// The folder of minijinja templates (when the builder was given none).
    pub dir: Option<PathBuf>,
}

/// A number of seconds in a setting: an integer or a float, from 0 to a day.
///
/// ```
/// let s: drupe::Seconds = toml::Value::Float(0.25).try_into().unwrap();
/// assert_eq!(s.get(), std::time::Duration::from_millis(250));
/// assert!(toml::Value::Float(f64::NAN).try_into::<drupe::Seconds>().is_err());
/// assert!(toml::Value::Integer(-1).try_into::<drupe::Seconds>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seconds(Duration);

impl Seconds {
    /// The longest value a setting may hold: a day.
    pub const MAX: Duration = Duration::from_secs(86_400);

    /// Whole seconds.
    pub const fn from_secs(s: u64) -> Self {
        Self(Duration::from_secs(s))
    }

    /// As a duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Other(toml::Value),
        }
        let secs = match Raw::deserialize(d)? {
            Raw::Int(i) => i as f64,
            Raw::Float(f) => f,
            Raw::Other(v) => {
                return Err(serde::de::Error::custom(format!(
                    "expected a number of seconds, got {v}"
                )));
            }
        };
        if !(0.0..=Self::MAX.as_secs_f64()).contains(&secs) {
            return Err(serde::de::Error::custom(format!(
                "expected seconds from 0 to 86400, got {secs}"
            )));
        }
        Ok(Self(Duration::from_secs_f64(secs)))
    }
}

/// A size in a setting: a byte count (`1048576`) or text with a unit (`"512 KiB"`, `"1 MiB"`,
/// `"10MB"`).
///
/// ```
/// let s: drupe::Size = toml::Value::from("2 MiB").try_into().unwrap();
/// assert_eq!(s.get(), 2 << 20);
/// assert!(toml::Value::from("lots").try_into::<drupe::Size>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Size(usize);

impl Size {
    /// Bytes.
    pub const fn bytes(n: usize) -> Self {
        Self(n)
    }

    /// The number of bytes.
    pub fn get(self) -> usize {
        self.0
    }

    /// Reads `1048576`, `"512 KiB"`, `"1 MiB"`, `"10MB"`.
    pub(crate) fn parse(v: &toml::Value) -> Option<usize> {
        match v {
            toml::Value::Integer(i) => usize::try_from(*i).ok(),
            toml::Value::String(s) => {
                let s = s.trim();
                let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
                let (num, unit) = s.split_at(split);
                let n: usize = num.parse().ok()?;
                let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
                    "" | "b" => 1,
                    "kb" => 1_000,
                    "kib" | "k" => 1 << 10,
                    "mb" => 1_000_000,
                    "mib" | "m" => 1 << 20,
                    "gb" => 1_000_000_000,
                    "gib" | "g" => 1 << 30,
                    _ => return None,
                };
                n.checked_mul(mult)
            }
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        Self::parse(&v).map(Size).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a byte count such as 1048576 or \"1 MiB\", got {v}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(Size::parse(&toml::Value::Integer(10)), Some(10));
        assert_eq!(Size::parse(&"1 MiB".into()), Some(1 << 20));
        assert_eq!(Size::parse(&"10MB".into()), Some(10_000_000));
        assert_eq!(Size::parse(&"ten".into()), None);
        assert_eq!(Size::parse(&toml::Value::Integer(-1)), None);
    }
}
