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
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CachingConfig {
    /// Freshness when the response sets none, in whole seconds (600; at most 2^31, RFC 9111
    /// §1.2.2).
    #[serde(deserialize_with = "delay")]
    pub delay: u64,
    /// Largest body stored, in bytes (100 000).
    pub max_entry_bytes: usize,
    /// Most variants kept per URI (32; at least 1): beyond it, storing one drops another
    /// (the oldest in memory, the closest to expiry in Redis).
    #[serde(deserialize_with = "max_variants")]
    pub max_variants: usize,
    /// Statuses stored (RFC 9110's heuristically cacheable ones).
    pub cacheable: Vec<u16>,
    /// Methods whose success invalidates (POST, PUT, PATCH, DELETE).
    pub invalidating: Vec<String>,
    /// How long concurrent misses wait for the first one's result, in seconds (5; from 0 to
    /// 3600).
    #[serde(deserialize_with = "stampede_timeout")]
    pub stampede_timeout: f64,
    /// How long the invalidations an unsafe request causes may delay its response, in
    /// seconds (2; from 0 to 3600). They run together; those unfinished by then count as
    /// backend failures.
    #[serde(deserialize_with = "invalidate_timeout")]
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

/// A number of seconds from 0 to `max` (an integer or a float) for the setting `key`.
fn seconds<'de, D: Deserializer<'de>>(d: D, key: &str, max: f64) -> Result<f64, D::Error> {
    let v = toml::Value::deserialize(d)?;
    let secs = match v {
        toml::Value::Float(f) => f,
        toml::Value::Integer(i) => i as f64,
        _ => f64::NAN,
    };
    if (0.0..=max).contains(&secs) {
        Ok(secs)
    } else {
        Err(serde::de::Error::custom(format!(
            "{key}: expected seconds from 0 to {max}, got {v}"
        )))
    }
}

fn stampede_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    seconds(d, "stampede_timeout", MAX_WAIT_SECS)
}

fn invalidate_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    seconds(d, "invalidate_timeout", MAX_WAIT_SECS)
}

fn max_variants<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let v = toml::Value::deserialize(d)?;
    match v {
        toml::Value::Integer(i) if i >= 1 => Ok(usize::try_from(i).unwrap_or(usize::MAX)),
        _ => Err(serde::de::Error::custom(format!(
            "max_variants: expected a count of at least 1, got {v}"
        ))),
    }
}

fn delay<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let max = MAX_LIFETIME.as_secs();
    let v = toml::Value::deserialize(d)?;
    match v {
        toml::Value::Integer(i) if u64::try_from(i).is_ok_and(|s| s <= max) => Ok(i as u64),
        _ => Err(serde::de::Error::custom(format!(
            "delay: expected whole seconds from 0 to {max}, got {v}"
        ))),
    }
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
