//! What the cache does when the application is built: its `[global] cache.*` section, the
//! backend of the default cache, and the endpoint of its counters.
//!
//! An application that registers no cache of its own gets one whose backend `[global]
//! cache.backend` names: `"memory"` (the default, bounded by `cache.max_entries`, default 1000,
//! and `cache.max_bytes`, default 10 MB) or a `redis://` URL. Where caching is on for some
//! path, its counters are served as JSON to operators at `cache.stats_path` (default
//! `/_cache/stats`; `""` for none).

use std::sync::{Arc, OnceLock};

use actix_web::HttpResponse;
use actix_web::http::header;
use futures_util::future::BoxFuture;
use serde::Deserialize;

use super::{Backend, BackendError, BackendStats, Caching, Lookup, Memory, Stored};
use crate::ConfigError;
use crate::config::Size;
use crate::tools::{Access, Build};

/// `[global] cache.*`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CacheGlobal {
    /// `memory` or a `redis://` URL (the default cache only).
    backend: Option<String>,
    /// URIs the default in-process cache holds (1000).
    max_entries: Option<u64>,
    /// Bytes the default in-process cache holds (10 MB).
    max_bytes: Option<Size>,
    /// Where operators read the counters (`/_cache/stats`; `""` for none).
    stats_path: Option<String>,
}

/// The backend of the default cache, made from the settings when the application is built.
#[derive(Default)]
pub(super) struct Deferred(OnceLock<Arc<dyn Backend>>);

impl Deferred {
    fn get(&self) -> Result<&Arc<dyn Backend>, BackendError> {
        self.0
            .get()
            .ok_or_else(|| BackendError("the cache is not built into an application".into()))
    }
}

impl Backend for Deferred {
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>> {
        Box::pin(async move { self.get()?.lookup(uri, variant_of).await })
    }

    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
        max_variants: usize,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            self.get()?
                .store(uri, vary, variant, entry, max_variants)
                .await
        })
    }

    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move { self.get()?.invalidate(uri).await })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move { self.get()?.clear().await })
    }

    fn stats(&self) -> BoxFuture<'_, BackendStats> {
        Box::pin(async move {
            match self.get() {
                Ok(b) => b.stats().await,
                Err(_) => BackendStats::default(),
            }
        })
    }
}

impl Caching {
    /// The cache the application's `[global] cache.*` settings describe (what every
    /// application gets unless it registers its own).
    pub fn from_settings() -> Self {
        let deferred = Arc::new(Deferred::default());
        Self::with_shared_backend(deferred.clone(), Some(deferred))
    }

    /// Reads `[global] cache.*`, makes the default cache's backend, publishes the counters.
    pub(super) fn build(&self, build: &mut Build<'_>) -> Result<(), ConfigError> {
        let g: CacheGlobal = build.global("cache")?;
        match &self.inner.deferred {
            Some(deferred) => {
                let backend = backend(&g, build)?;
                let _ = deferred.0.set(backend);
            }
            None => {
                let own = [
                    ("cache.backend", g.backend.is_some()),
                    ("cache.max_entries", g.max_entries.is_some()),
                    ("cache.max_bytes", g.max_bytes.is_some()),
                ];
                if let Some((key, _)) = own.iter().find(|(_, set)| *set) {
                    return Err(build.global_error(
                        key,
                        "the application registers its own cache, which this setting does not \
                         change: remove it, or let the settings make the cache",
                    ));
                }
            }
        }
        let path = g.stats_path.unwrap_or_else(|| "/_cache/stats".to_owned());
        if path.is_empty() || !build.is_on_somewhere() {
            return Ok(());
        }
        if !path.starts_with('/') {
            return Err(build.global_error(
                "cache.stats_path",
                format!("expected a path starting with / (or \"\" for none), got {path:?}"),
            ));
        }
        let caching = self.clone();
        build.endpoint(path, Access::Operator, move |_req, _payload| {
            let caching = caching.clone();
            Box::pin(async move {
                let stats = caching.stats().await;
                HttpResponse::Ok()
                    .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
                    .json(stats)
            })
        })
    }
}

/// The default cache's backend, from the settings.
fn backend(g: &CacheGlobal, build: &Build<'_>) -> Result<Arc<dyn Backend>, ConfigError> {
    let entries = g.max_entries.unwrap_or(1000);
    let bytes = g.max_bytes.map_or(10_000_000, |s| s.get() as u64);
    match g.backend.as_deref().unwrap_or("memory") {
        "memory" => Ok(Arc::new(Memory::new(entries, bytes))),
        #[cfg(feature = "redis")]
        url if url.starts_with("redis://") || url.starts_with("rediss://") => {
            Ok(Arc::new(super::redis::Lazy::new(url)))
        }
        other => Err(build.global_error(
            "cache.backend",
            format!(
                "expected \"memory\" or a redis:// URL (with the `redis` feature), got {other:?}"
            ),
        )),
    }
}
