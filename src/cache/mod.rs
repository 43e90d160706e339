//! The output cache: a tool that answers repeated `GET`s from stored responses (RFC 9111).
//!
//! This module owns the `caching` tool ([`Caching`]), its per-path settings
//! ([`CachingConfig`]), the [`Backend`] trait with its in-process ([`Memory`], moka) and Redis
//! (feature `redis`) implementations, the stored response and its keys, and the
//! [`Invalidate`] and [`Tags`] extractors handlers use to drop other URIs (by URI, by prefix,
//! by tag).
//!
//! Its rooms: `config` (the settings), `hooks` (the tool's before and after hooks), `policy`
//! (who may be served and store what), `state` (what a request carries between the hooks,
//! and the stampede loaders), `respond` (hits and 304s),
//! `invalidate` (the extractors), `control` (reading `Cache-Control` and validators), `entry`
//! (the stored response and its keys), `memory` and `redis` (the backends).
//!
//! What it does (RFC 9111, as a shared cache):
//! - lookups only for `GET` and `HEAD`; a successful `POST`, `PUT`, `PATCH` or `DELETE`
//!   invalidates every variant of its URI and of the `Location`/`Content-Location` it returns
//!   (and what its handler named with [`Invalidate`]: URIs, prefixes, tags given with
//!   [`Tags`]), all together, delaying the response by `invalidate_timeout` (2 s) at most;
//! - key: the absolute URI, plus the request's values of the headers the stored response's
//!   `Vary` names, paired with their names; `Vary: *` is never stored;
//! - stored: 200, 203, 204, 300, 301, 308, 404, 410 — never 5xx, `Set-Cookie`, `private`,
//!   `no-store`; only `GET` stores (a `HEAD` is answered from stored `GET`s);
//! - requests with credentials: one with `Cookie` is answered only from entries marked
//!   `public` and stores only a `public` answer; one with `Authorization` the same with
//!   `public`, `s-maxage` or `must-revalidate` (RFC 9111 §3.5); neither waits for nor holds
//!   up other requests (the rules and their reasons are in `policy`);
//! - freshness from `s-maxage`/`max-age`/`Expires`, else `delay` (600 s); request `no-cache`
//!   (or `Pragma: no-cache`) refreshes, `max-age=N` bounds the age, a malformed
//!   `Cache-Control` is a 400;
//! - hits carry `Age`, a fresh `Date` and a strong `ETag` (computed from the body when the
//!   handler set none) and answer `If-None-Match`/`If-Modified-Since` with 304;
//! - at most `max_variants` (32) variants per URI, so a client cycling the values of a
//!   header the URI varies on cannot grow it without bound;
//! - one handler call per key under a stampede: concurrent misses wait (up to
//!   `stampede_timeout`) for the first one's result, and are released at once if it stores
//!   nothing;
//! - a backend that fails (Redis down) makes the tool pass requests through, logged once per
//!   outage and counted.
//!
//! ```
//! use drupe::cache::Caching;
//! use drupe::{App, controller};
//! struct Root;
//! #[controller]
//! impl Root {
//!     #[expose]
//!     fn index(&self) -> &'static str { "cached" }
//! }
//! let cache = Caching::memory(1000, 10 << 20);
//! let app = App::builder(Root)
//!     .tool(cache.clone())
//!     .set("/", "tools.caching.on", true)
//!     .set("/", "tools.caching.delay", 60)
//!     .build()
//!     .unwrap();
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use futures_util::future::BoxFuture;
use tokio::sync::watch;

mod build;
mod config;
pub(crate) mod control;
mod entry;
mod hooks;
mod invalidate;
mod memory;
mod policy;
#[cfg(feature = "redis")]
mod redis;
mod respond;
mod state;

pub use crate::tools::CacheOutcome;
pub use config::CachingConfig;
pub use entry::Stored;
pub use invalidate::{Invalidate, Tags};
pub use memory::Memory;
#[cfg(feature = "redis")]
pub use redis::Redis;

use state::LoadState;

/// A backend failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cache backend: {0}")]
pub struct BackendError(pub String);

/// What a lookup found.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A fresh stored response for this variant.
    Hit(Arc<Stored>),
    /// Nothing fresh; the URI's `Vary` names when it has stored variants.
    Miss(Option<Arc<[String]>>),
}

/// Sizes a backend reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BackendStats {
    /// Stored URIs (memory) or variants (Redis), when known.
    pub entries: Option<u64>,
    /// Weighted bytes, when known.
    pub bytes: Option<u64>,
    /// Entries evicted for room.
    pub evictions: u64,
    /// The bound on `bytes`, when the backend keeps one.
    pub max_bytes: Option<u64>,
}

/// Where responses are stored.
pub trait Backend: Send + Sync + 'static {
    /// The stored response for the variant `variant_of(vary)` of `uri`.
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>>;
    /// Stores a variant, then keeps at most `max_variants` variants of `uri` (a client that
    /// cycles the values of a header the URI varies on must not grow it without bound; the
    /// backend chooses which go: [`Memory`] drops the oldest, Redis those closest to
    /// expiry). `false` when refused (bounds).
    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
        max_variants: usize,
    ) -> BoxFuture<'a, Result<bool, BackendError>>;
    /// Removes every variant of `uri`; `true` if something was stored.
    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>>;
    /// Removes every variant of every URI under the absolute `prefix`, segment by segment
    /// (`http://h/album/7` covers `http://h/album/7/photos` and `http://h/album/7?page=2`,
    /// not `http://h/album/70`); `true` if something was stored.
    ///
    /// The default clears the whole cache: never stale, only slower to fill again. [`Memory`]
    /// and Redis remove exactly what lies under the prefix.
    fn invalidate_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        let _ = prefix;
        Box::pin(async move { self.clear().await.map(|()| true) })
    }
    /// Removes every URI one of whose stored responses was tagged `tag` (see [`Tags`]);
    /// `true` if something was stored. The default clears the whole cache, as for
    /// [`Backend::invalidate_prefix`].
    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        let _ = tag;
        Box::pin(async move { self.clear().await.map(|()| true) })
    }
    /// Removes everything.
    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>>;
    /// Sizes.
    fn stats(&self) -> BoxFuture<'_, BackendStats>;
}

/// Counters of a [`Caching`] tool.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing.
    pub misses: u64,
    /// Responses stored.
    pub stores: u64,
    /// Requests that did not use the cache.
    pub bypasses: u64,
    /// Invalidations done (of a URI, a prefix or a tag).
    pub invalidations: u64,
    /// Backend failures (each a pass-through).
    pub backend_errors: u64,
    /// What the backend reports.
    pub backend: BackendStats,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    stores: AtomicU64,
    bypasses: AtomicU64,
    invalidations: AtomicU64,
    backend_errors: AtomicU64,
}

struct Inner {
    backend: Arc<dyn Backend>,
    /// The backend made at build from the settings, for the default cache.
    deferred: Option<Arc<build::Deferred>>,
    counters: Counters,
    loaders: Mutex<HashMap<String, watch::Sender<LoadState>>>,
    healthy: AtomicBool,
}

/// The `caching` tool. Clones share the cache.
#[derive(Clone)]
pub struct Caching {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Caching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caching").finish_non_exhaustive()
    }
}

impl Caching {
    /// An in-process cache of at most `max_entries` URIs and `max_bytes` bytes.
    pub fn memory(max_entries: u64, max_bytes: u64) -> Self {
        Self::with_backend(Memory::new(max_entries, max_bytes))
    }

    /// A cache on any backend.
    pub fn with_backend(backend: impl Backend) -> Self {
        Self::with_shared_backend(Arc::new(backend), None)
    }

    fn with_shared_backend(
        backend: Arc<dyn Backend>,
        deferred: Option<Arc<build::Deferred>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend,
                deferred,
                counters: Counters::default(),
                loaders: Mutex::new(HashMap::new()),
                healthy: AtomicBool::new(true),
            }),
        }
    }

    /// A cache on Redis at `url`, connected in the background (until it is reachable,
    /// requests pass through).
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Self {
        Self::with_backend(redis::Lazy::new(url))
    }

    /// Counters and sizes. The application also serves them as JSON to loopback clients at
    /// `[global] cache.stats_path` (default `/_cache/stats`).
    pub async fn stats(&self) -> CacheStats {
        let c = &self.inner.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            stores: c.stores.load(Ordering::Relaxed),
            bypasses: c.bypasses.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            backend_errors: c.backend_errors.load(Ordering::Relaxed),
            backend: self.inner.backend.stats().await,
        }
    }

    /// Invalidates every variant of the absolute `uri` (`http://host/path?query`).
    pub async fn invalidate(&self, uri: &str) -> Result<bool, BackendError> {
        self.inner.invalidate(&Target::Uri(uri.to_owned())).await
    }

    /// Invalidates every URI under the absolute `prefix` (`http://host/album/7` covers
    /// `http://host/album/7/photos`, not `http://host/album/70`).
    pub async fn invalidate_prefix(&self, prefix: &str) -> Result<bool, BackendError> {
        self.inner
            .invalidate(&Target::Prefix(prefix.to_owned()))
            .await
    }

    /// Invalidates every URI whose stored response was tagged `tag` with [`Tags`].
    pub async fn invalidate_tag(&self, tag: &str) -> Result<bool, BackendError> {
        self.inner.invalidate(&Target::Tag(tag.to_owned())).await
    }

    /// Removes everything.
    pub async fn clear(&self) -> Result<(), BackendError> {
        self.inner.backend.clear().await
    }
}

impl Inner {
    fn failed(&self, e: &BackendError) {
        self.counters.backend_errors.fetch_add(1, Ordering::Relaxed);
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!("the cache backend failed; requests pass through until it is back: {e}");
        }
    }

    fn succeeded(&self) {
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("the cache backend is back");
        }
    }

    async fn invalidate(&self, target: &Target) -> Result<bool, BackendError> {
        let done = match target {
            Target::Uri(uri) => self.backend.invalidate(uri).await,
            Target::Prefix(prefix) => self.backend.invalidate_prefix(prefix).await,
            Target::Tag(tag) => self.backend.invalidate_tag(tag).await,
        };
        match done {
            Ok(found) => {
                self.succeeded();
                self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
                Ok(found)
            }
            Err(e) => {
                self.failed(&e);
                Err(e)
            }
        }
    }
}

/// What an invalidation removes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Target {
    /// Every variant of one absolute URI.
    Uri(String),
    /// Every URI under an absolute prefix.
    Prefix(String),
    /// Every URI whose stored response carries a tag.
    Tag(String),
}

/// The variant key of a request's `headers` for a response's `vary` names.
pub(crate) fn entry_variant_key(vary: &[String], headers: &header::HeaderMap) -> String {
    entry::variant_key(vary, headers)
}
