//! The `caching` tool's per-path settings (`tools.caching.*`), their defaults and their bounds.
//!
//! Settings out of range are refused when the application is built, with the key and what it
//! expects; none is left to fail (or panic) on a request.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::control::MAX_LIFETIME;

/// The longest `stampede_timeout` and `invalidate_timeout`, in seconds.
const MAX_WAIT_SECS: f64 = 3600.0;

/// Per-path settings of the `caching` tool (`tools.caching.*`).
#[derive(Debug, Clone)]
pub struct CachingConfig {
    /// Freshness when the response sets none, in whole seconds (600; at most 2^31, RFC 9111
    /// §1.2.2).
    pub delay: u64,
    /// Largest body stored, in bytes (100 000).
    pub max_entry_bytes: usize,
    /// Most variants kept per URI (32; at least 1): beyond it, storing one drops another
    /// (the oldest in memory, the closest to expiry in Redis).
    pub max_variants: usize,
    /// Statuses stored (RFC 9110's heuristically cacheable ones; each from 100 to 599).
    pub cacheable: Vec<u16>,
    /// Methods whose success invalidates (POST, PUT, PATCH, DELETE).
    pub invalidating: Vec<String>,
    /// How long concurrent misses wait for the first one's result, in seconds (5; from 0 to
    /// 3600).
    pub stampede_timeout: f64,
    /// How long the invalidations an unsafe request causes may delay its response, in
    /// seconds (2; from 0 to 3600). They run together; those unfinished by then count as
    /// backend failures.
    pub invalidate_timeout: f64,
    /// Whether responses say `X-Cache: HIT|MISS|BYPASS` (on in debug builds).
    pub debug_header: Option<bool>,
}

impl Default for CachingConfig {
    fn default() -> Self {
        Self {
            delay: 600,
            max_entry_bytes: 100_000,
            max_variants: 32,
            cacheable: vec![200, 203, 204, 300, 301, 308, 404, 410],
            invalidating: ["POST", "PUT", "PATCH", "DELETE"]
                .map(str::to_owned)
                .to_vec(),
            stampede_timeout: 5.0,
            invalidate_timeout: 2.0,
            debug_header: None,
        }
    }
}

impl CachingConfig {
    /// Whether responses carry `X-Cache`.
    pub(super) fn x_cache(&self) -> bool {
        self.debug_header.unwrap_or(cfg!(debug_assertions))
    }

    /// The freshness of a response that sets none.
    pub(super) fn default_lifetime(&self) -> Duration {
        Duration::from_secs(self.delay).min(MAX_LIFETIME)
    }

    /// How long a miss waits for the key's loader.
    pub(super) fn stampede_wait(&self) -> Duration {
        wait(self.stampede_timeout)
    }

    /// How long invalidations may delay a response.
    pub(super) fn invalidate_wait(&self) -> Duration {
        wait(self.invalidate_timeout)
    }
}

/// `secs` as a wait: within 0..=3600 s, and zero for what is no number of seconds (settings
/// read from TOML are checked; a `CachingConfig` built in code is not).
fn wait(secs: f64) -> Duration {
    let max = Duration::from_secs_f64(MAX_WAIT_SECS);
    match Duration::try_from_secs_f64(secs) {
        Ok(d) => d.min(max),
        // Too large for a Duration, or infinite.
        Err(_) if secs > 0.0 => max,
        // Negative, or NaN.
        Err(_) => Duration::ZERO,
    }
}

/// The keys, in the order of the documentation.
const KEYS: [&str; 8] = [
    "delay",
    "max_entry_bytes",
    "max_variants",
    "cacheable",
    "invalidating",
    "stampede_timeout",
    "invalidate_timeout",
    "debug_header",
];

impl<'de> Deserialize<'de> for CachingConfig {
    /// Reads `tools.caching.*`; an error names the key and says what it expects.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let table = toml::Table::deserialize(d)?;
        let mut cfg = Self::default();
        for (key, v) in table {
            let bad = |expected: &str| {
                serde::de::Error::custom(format!("{key}: expected {expected}, got {v}"))
            };
            match key.as_str() {
                "delay" => {
                    let max = MAX_LIFETIME.as_secs();
                    cfg.delay = v
                        .as_integer()
                        .and_then(|i| u64::try_from(i).ok())
                        .filter(|s| *s <= max)
                        .ok_or_else(|| bad(&format!("whole seconds from 0 to {max}")))?;
                }
                "max_entry_bytes" => {
                    cfg.max_entry_bytes = v
                        .as_integer()
                        .and_then(|i| usize::try_from(i).ok())
                        .ok_or_else(|| bad("a number of bytes"))?;
                }
                "max_variants" => {
                    cfg.max_variants = v
                        .as_integer()
                        .and_then(|i| usize::try_from(i).ok())
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad("a count of at least 1"))?;
                }
                "cacheable" => {
                    cfg.cacheable = list(&v, |s| {
                        s.as_integer()
                            .and_then(|i| u16::try_from(i).ok())
                            .filter(|c| (100..=599).contains(c))
                    })
                    .ok_or_else(|| bad("a list of status codes (100 to 599)"))?;
                }
                "invalidating" => {
                    cfg.invalidating = list(&v, |m| {
                        m.as_str()
                            .filter(|m| actix_web::http::Method::from_bytes(m.as_bytes()).is_ok())
                            .map(str::to_owned)
                    })
                    .ok_or_else(|| bad("a list of method names"))?;
                }
                "stampede_timeout" | "invalidate_timeout" => {
                    let secs = match v {
                        toml::Value::Float(f) => f,
                        toml::Value::Integer(i) => i as f64,
                        _ => f64::NAN,
                    };
                    if !(0.0..=MAX_WAIT_SECS).contains(&secs) {
                        return Err(bad(&format!("seconds from 0 to {MAX_WAIT_SECS}")));
                    }
                    if key == "stampede_timeout" {
                        cfg.stampede_timeout = secs;
                    } else {
                        cfg.invalidate_timeout = secs;
                    }
                }
                "debug_header" => {
                    cfg.debug_header = Some(v.as_bool().ok_or_else(|| bad("true or false"))?);
                }
                _ => {
                    return Err(serde::de::Error::custom(format!(
                        "unknown setting `{key}`, expected one of: {}",
                        KEYS.join(", ")
                    )));
                }
            }
        }
        Ok(cfg)
    }
}

/// The items of an array, each read by `item`; `None` if `v` is no array or an item is bad.
fn list<T>(v: &toml::Value, item: impl Fn(&toml::Value) -> Option<T>) -> Option<Vec<T>> {
    v.as_array()?.iter().map(item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_bounded_whatever_the_number() {
        assert_eq!(wait(2.5), Duration::from_millis(2500));
        assert_eq!(wait(1e12), Duration::from_secs(3600));
        for nonsense in [f64::NAN, -1.0, f64::NEG_INFINITY] {
            assert_eq!(wait(nonsense), Duration::ZERO, "{nonsense}");
        }
        assert_eq!(wait(f64::INFINITY), Duration::from_secs(3600));
    }
}
