//! The in-process backend, on `moka::future::Cache`.
//!
//! One moka entry per URI holds that URI's variants. A weigher counts their bytes, so the
//! total stays under `max_bytes` (moka evicts the least useful URIs) and invalidated bytes are
//! freed with the entry; each URI expires when its freshest variant does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::BoxFuture;
use moka::Expiry;
use moka::future::Cache;
use moka::ops::compute::Op;

use super::entry::Stored;
use super::{Backend, BackendError, BackendStats, Lookup};

#[derive(Debug)]
struct UriRecord {
    vary: Arc<[String]>,
    variants: Vec<(String, Arc<Stored>)>,
    weight: u32,
    expires_at: SystemTime,
}

struct RecordExpiry;

impl Expiry<String, Arc<UriRecord>> for RecordExpiry {
    fn expire_after_create(&self, _: &String, v: &Arc<UriRecord>, _: Instant) -> Option<Duration> {
        Some(
            v.expires_at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }

    fn expire_after_update(
        &self,
        k: &String,
        v: &Arc<UriRecord>,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(k, v, now)
    }
}

/// The in-process backend.
///
/// ```
/// let backend = drupe::cache::Memory::new(1000, 10 << 20);
/// assert_eq!(backend.max_bytes(), 10 << 20);
/// ```
pub struct Memory {
    cache: Cache<String, Arc<UriRecord>>,
    max_entries: u64,
    max_bytes: u64,
    evictions: Arc<AtomicU64>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl Memory {
    /// At most `max_entries` URIs and `max_bytes` bytes in all.
    pub fn new(max_entries: u64, max_bytes: u64) -> Self {
        let evictions = Arc::new(AtomicU64::new(0));
        let ev = evictions.clone();
        let cache = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_: &String, v: &Arc<UriRecord>| v.weight)
            .expire_after(RecordExpiry)
            .eviction_listener(move |_, _, cause| {
                if cause.was_evicted() {
                    ev.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        Self {
            cache,
            max_entries,
            max_bytes,
            evictions,
        }
    }

    /// The byte bound.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }
}

impl Backend for Memory {
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>> {
        Box::pin(async move {
            let Some(rec) = self.cache.get(uri).await else {
                return Ok(Lookup::Miss(None));
            };
            let key = variant_of(&rec.vary);
            let now = SystemTime::now();
            Ok(
                match rec.variants.iter().find(|(k, s)| *k == key && s.fresh(now)) {
                    Some((_, s)) => Lookup::Hit(s.clone()),
                    None => Lookup::Miss(Some(rec.vary.clone())),
                },
            )
        })
    }

    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            if entry.weight() as u64 > self.max_bytes {
                return Ok(false);
            }
            let is_new = self.cache.get(uri).await.is_none();
            if is_new && self.cache.entry_count() >= self.max_entries {
                return Ok(false);
            }
            let now = SystemTime::now();
            self.cache
                .entry(uri.to_owned())
                .and_compute_with(|old| {
                    let mut variants: Vec<(String, Arc<Stored>)> = match old {
                        // Another Vary for the URI replaces its variants.
                        Some(e) if *e.value().vary == *vary => e
                            .value()
                            .variants
                            .iter()
                            .filter(|(k, s)| *k != variant && s.fresh(now))
                            .cloned()
                            .collect(),
                        _ => Vec::new(),
                    };
                    variants.push((variant, entry));
                    let weight = variants
                        .iter()
                        .map(|(k, s)| k.len() + s.weight())
                        .sum::<usize>()
                        .min(u32::MAX as usize) as u32;
                    let expires_at = variants
                        .iter()
                        .map(|(_, s)| s.expires_at)
                        .max()
                        .unwrap_or(now);
                    let rec = Arc::new(UriRecord {
                        vary: vary.into(),
                        variants,
                        weight,
                        expires_at,
                    });
                    std::future::ready(Op::Put(rec))
                })
                .await;
            Ok(true)
        })
    }

    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move { Ok(self.cache.remove(uri).await.is_some()) })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            self.cache.invalidate_all();
            self.cache.run_pending_tasks().await;
            Ok(())
        })
    }

    fn stats(&self) -> BoxFuture<'_, BackendStats> {
        Box::pin(async move {
            // moka counts lazily: apply what is pending so the sizes are exact.
            self.cache.run_pending_tasks().await;
            BackendStats {
                entries: Some(self.cache.entry_count()),
                bytes: Some(self.cache.weighted_size()),
                evictions: self.evictions.load(Ordering::Relaxed),
                max_bytes: Some(self.max_bytes),
            }
        })
    }
}
