//! What the sessions tool does when the application is built: its `[global] sessions.*`
//! section and the store of the tool every application gets.
//!
//! `sessions.storage` is `"memory"` (the default: in process, at most `sessions.max_sessions`,
//! default 100 000) or `"redis"` (at `sessions.redis_url`, keys under `sessions.redis_prefix`,
//! default `sess:`). An application that registers its own tool ([`Sessions::memory`],
//! [`Sessions::redis`], [`Sessions::with_store`]) may not set them: they would not change it.

use std::sync::{Arc, OnceLock};

use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::store::{Changes, Record, SessionStore, StoreError};
use super::{MemoryStore, Sessions};
use crate::ConfigError;
use crate::tools::Build;

/// Sessions the default in-process store holds.
pub(super) const DEFAULT_MAX_SESSIONS: u64 = 100_000;

/// `[global] sessions.storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Storage {
    Memory,
    Redis,
}

/// `[global] sessions.*`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct SessionsGlobal {
    /// `memory` (default) or `redis`.
    storage: Option<Storage>,
    /// The Redis server, for `redis`.
    redis_url: Option<String>,
    /// The prefix of the Redis keys (`sess:`).
    redis_prefix: Option<String>,
    /// Sessions the in-process store holds (100 000).
    max_sessions: Option<u64>,
}

/// The store of the tool made from the settings, set when the application is built.
#[derive(Default)]
pub(super) struct Deferred(OnceLock<Arc<dyn SessionStore>>);

impl Deferred {
    /// The store, once the application is built.
    pub(super) fn built(&self) -> Option<&Arc<dyn SessionStore>> {
        self.0.get()
    }

    fn get(&self) -> Result<&Arc<dyn SessionStore>, StoreError> {
        self.0
            .get()
            .ok_or_else(|| StoreError("the sessions tool is not built into an application".into()))
    }
}

impl SessionStore for Deferred {
    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Arc<Record>>, StoreError>> {
        Box::pin(async move { self.get()?.load(id).await })
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        changes: &'a Changes,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.get()?.save(id, changes).await })
    }

    fn remove<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.get()?.remove(id).await })
    }
}

impl Sessions {
    /// Reads `[global] sessions.*` and, for the tool made from the settings, makes its store.
    pub(super) fn build(&self, build: &mut Build<'_>) -> Result<(), ConfigError> {
        let g: SessionsGlobal = build.global("sessions")?;
        let Some(deferred) = &self.deferred else {
            let set = [
                ("sessions.storage", g.storage.is_some()),
                ("sessions.redis_url", g.redis_url.is_some()),
                ("sessions.redis_prefix", g.redis_prefix.is_some()),
                ("sessions.max_sessions", g.max_sessions.is_some()),
            ];
            if let Some((key, _)) = set.iter().find(|(_, set)| *set) {
                return Err(build.global_error(
                    key,
                    "the application registers its own sessions tool, which this setting does \
                     not change: remove it, or let the settings make the store",
                ));
            }
            return Ok(());
        };
        let _ = deferred.0.set(store(&g, build)?);
        Ok(())
    }
}

/// The store `[global] sessions.*` describes.
fn store(g: &SessionsGlobal, build: &Build<'_>) -> Result<Arc<dyn SessionStore>, ConfigError> {
    let redis_only = [
        ("sessions.redis_url", g.redis_url.is_some()),
        ("sessions.redis_prefix", g.redis_prefix.is_some()),
    ];
    match g.storage.unwrap_or(Storage::Memory) {
        Storage::Memory => {
            if let Some((key, _)) = redis_only.iter().find(|(_, set)| *set) {
                return Err(build.global_error(key, "read only with sessions.storage = \"redis\""));
            }
            let max = g.max_sessions.unwrap_or(DEFAULT_MAX_SESSIONS);
            if max == 0 {
                return Err(build.global_error("sessions.max_sessions", "expected at least 1"));
            }
            Ok(Arc::new(MemoryStore::new(max)))
        }
        Storage::Redis => {
            if g.max_sessions.is_some() {
                return Err(build.global_error(
                    "sessions.max_sessions",
                    "read only with sessions.storage = \"memory\" (Redis bounds itself: maxmemory)",
                ));
            }
            redis_store(g, build)
        }
    }
}

#[cfg(feature = "redis")]
fn redis_store(
    g: &SessionsGlobal,
    build: &Build<'_>,
) -> Result<Arc<dyn SessionStore>, ConfigError> {
    let Some(url) = &g.redis_url else {
        return Err(build.global_error(
            "sessions.redis_url",
            "sessions.storage = \"redis\" needs the server's URL (redis://host:port/db)",
        ));
    };
    if let Err(e) = super::RedisStore::check_url(url) {
        return Err(build.global_error("sessions.redis_url", format!("{url:?}: {e}")));
    }
    let mut store = super::RedisStore::new(url);
    if let Some(prefix) = &g.redis_prefix {
        store = store.with_prefix(prefix);
    }
    Ok(Arc::new(store))
}

#[cfg(not(feature = "redis"))]
fn redis_store(
    _: &SessionsGlobal,
    build: &Build<'_>,
) -> Result<Arc<dyn SessionStore>, ConfigError> {
    Err(build.global_error(
        "sessions.storage",
        "drupe was built without its `redis` feature",
    ))
}
