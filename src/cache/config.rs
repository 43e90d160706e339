//! The `caching` tool's per-path settings (`tools.caching.*`) and their defaults.

use serde::Deserialize;

/// Per-path settings of the `caching` tool (`tools.caching.*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CachingConfig {
    /// Freshness when the response sets none, in seconds (600).
    pub delay: u64,
    /// Largest body stored, in bytes (100 000).
    pub max_entry_bytes: usize,
    /// Statuses stored (RFC 9110's heuristically cacheable ones).
    pub cacheable: Vec<u16>,
    /// Methods whose success invalidates (POST, PUT, PATCH, DELETE).
    pub invalidating: Vec<String>,
    /// How long concurrent misses wait for the first one's result, in seconds (5).
    pub stampede_timeout: f64,
    /// Whether responses say `X-Cache: HIT|MISS|BYPASS` (on in debug builds).
    pub debug_header: Option<bool>,
}

impl Default for CachingConfig {
    fn default() -> Self {
        Self {
            delay: 600,
            max_entry_bytes: 100_000,
            cacheable: vec![200, 203, 204, 300, 301, 308, 404, 410],
            invalidating: ["POST", "PUT", "PATCH", "DELETE"]
                .map(str::to_owned)
                .to_vec(),
            stampede_timeout: 5.0,
            debug_header: None,
        }
    }
}

impl CachingConfig {
    /// Whether responses carry `X-Cache`.
    pub(super) fn x_cache(&self) -> bool {
        self.debug_header.unwrap_or(cfg!(debug_assertions))
    }
}
