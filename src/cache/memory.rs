//! The in-process backend, on `moka::future::Cache`.
//!
//! One moka entry per URI holds that URI's variants in a map keyed by variant. A weigher
//! counts their bytes, so the total stays under `max_bytes` (moka evicts the least useful
//! URIs) and invalidated bytes are freed with the entry; each URI expires when its freshest
//! variant does. A store changes the URI's map in place (no variant is copied) and keeps at
//! most `max_variants` of them, dropping the oldest: a client cycling the values of a header
//! the URI varies on cannot grow it without bound.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use foldhash::SharedSeed;
use foldhash::quality::{RandomState, SeedableRandomState};
use futures_util::future::BoxFuture;
use moka::Expiry;
use moka::future::Cache;
use moka::ops::compute::Op;

use super::entry::Stored;
use super::{Backend, BackendError, BackendStats, Lookup};

/// One URI: the header names its responses vary on, and its variants.
#[derive(Debug)]
struct UriRecord {
    vary: Arc<[String]>,
    variants: Mutex<Variants>,
}

impl UriRecord {
    fn variants(&self) -> MutexGuard<'_, Variants> {
        self.variants.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Debug, Default)]
struct Variants {
    /// At most `max_variants` keys: foldhash's own seeding is enough here, collisions could
    /// cost a few comparisons at most.
    by_key: HashMap<String, Arc<Stored>, RandomState>,
    /// Bytes held (keys and entries), as the weigher reports them.
    weight: usize,
    /// When the freshest variant expires.
    expires_at: Option<SystemTime>,
}

impl Variants {
    fn weight_of(key: &str, s: &Stored) -> usize {
        key.len() + s.weight()
    }

    /// Adds (or replaces) a variant, then keeps at most `max` of them: stale ones go first,
    /// then the oldest.
    fn insert(&mut self, key: String, entry: Arc<Stored>, max: usize, now: SystemTime) {
        self.weight += Self::weight_of(&key, &entry);
        self.expires_at = self.expires_at.max(Some(entry.expires_at));
        if let Some(old) = self.by_key.insert(key.clone(), entry) {
            self.weight -= Self::weight_of(&key, &old);
        }
        if self.by_key.len() <= max {
            return;
        }
        let before = self.by_key.len();
        let mut freed = 0;
        self.by_key.retain(|k, s| {
            let keep = s.fresh(now);
            if !keep {
                freed += Self::weight_of(k, s);
            }
            keep
        });
        while self.by_key.len() > max.max(1) {
            let Some(oldest) = self
                .by_key
                .iter()
                .min_by_key(|(_, s)| s.stored_at)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(s) = self.by_key.remove(&oldest) {
                freed += Self::weight_of(&oldest, &s);
            }
        }
        self.weight -= freed;
        if self.by_key.len() != before {
            self.expires_at = self.by_key.values().map(|s| s.expires_at).max();
        }
    }
}

struct RecordExpiry;

impl Expiry<String, Arc<UriRecord>> for RecordExpiry {
    fn expire_after_create(&self, _: &String, v: &Arc<UriRecord>, _: Instant) -> Option<Duration> {
        let expires_at = v.variants().expires_at?;
        Some(
            expires_at
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

/// A foldhash state seeded from the OS's random source (foldhash seeds itself from addresses
/// only, which is not enough for keys a client chooses).
fn os_seeded() -> SeedableRandomState {
    static SHARED: std::sync::OnceLock<SharedSeed> = std::sync::OnceLock::new();
    // Without a random source (never seen), the process's addresses are all there is.
    let random = || getrandom::u64().unwrap_or_else(|_| RandomState::default().hash_one(0u8));
    let shared = SHARED.get_or_init(|| SharedSeed::from_u64(random()));
    SeedableRandomState::with_seed(random(), shared)
}

/// The in-process backend.
///
/// ```
/// let backend = drupe::cache::Memory::new(1000, 10 << 20);
/// assert_eq!(backend.max_bytes(), 10 << 20);
/// ```
pub struct Memory {
    /// Hashed with foldhash rather than the default SipHash-1-3 (every cached request hashes
    /// its URI here, and SipHash was a tenth of a hit's instructions), with seeds from the
    /// OS's random source ([`os_seeded`]), so that a client cannot choose URIs that collide.
    cache: Cache<String, Arc<UriRecord>, SeedableRandomState>,
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
            .weigher(|_: &String, v: &Arc<UriRecord>| {
                u32::try_from(v.variants().weight).unwrap_or(u32::MAX)
            })
            .expire_after(RecordExpiry)
            .eviction_listener(move |_, _, cause| {
                if cause.was_evicted() {
                    ev.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build_with_hasher(os_seeded());
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

    /// Removes the URIs `matches` picks; whether there were any. A walk over every stored
    /// URI: invalidations are writes, rarer than the lookups an index would slow down.
    async fn remove_where(
        &self,
        matches: impl Fn(&str, &UriRecord) -> bool,
    ) -> Result<bool, BackendError> {
        let picked: Vec<Arc<String>> = self
            .cache
            .iter()
            .filter(|(uri, rec)| matches(uri, rec))
            .map(|(uri, _)| uri)
            .collect();
        let mut found = false;
        for uri in picked {
            found |= self.cache.remove(uri.as_str()).await.is_some();
        }
        Ok(found)
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
            let found = rec
                .variants()
                .by_key
                .get(&key)
                .filter(|s| s.fresh(now))
                .cloned();
            Ok(match found {
                Some(s) => Lookup::Hit(s),
                None => Lookup::Miss(Some(rec.vary.clone())),
            })
        })
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
            if entry.weight() as u64 > self.max_bytes {
                return Ok(false);
            }
            let is_new = !self.cache.contains_key(uri);
            if is_new && self.cache.entry_count() >= self.max_entries {
                return Ok(false);
            }
            let now = SystemTime::now();
            self.cache
                .entry(uri.to_owned())
                .and_compute_with(|old| {
                    let rec = match old {
                        // The URI's map changes in place; moka weighs it again on the put.
                        Some(e) if *e.value().vary == *vary => e.into_value(),
                        // Another Vary for the URI replaces its variants.
                        _ => Arc::new(UriRecord {
                            vary: vary.into(),
                            variants: Mutex::default(),
                        }),
                    };
                    rec.variants().insert(variant, entry, max_variants, now);
                    std::future::ready(Op::Put(rec))
                })
                .await;
            Ok(true)
        })
    }

    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move { Ok(self.cache.remove(uri).await.is_some()) })
    }

    fn invalidate_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.remove_where(move |uri, _| super::entry::under_prefix(uri, prefix)))
    }

    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(
            self.remove_where(move |_, rec| rec.variants().by_key.values().any(|s| s.has_tag(tag))),
        )
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderMap;
    use bytes::Bytes;

    fn stored(at: u64, lifetime: u64, body: &'static str) -> Arc<Stored> {
        Arc::new(Stored::new(
            200,
            &HeaderMap::new(),
            Bytes::from_static(body.as_bytes()),
            SystemTime::UNIX_EPOCH + Duration::from_secs(at),
            Duration::from_secs(lifetime),
        ))
    }

    fn recount(v: &Variants) -> usize {
        v.by_key
            .iter()
            .map(|(k, s)| Variants::weight_of(k, s))
            .sum()
    }

    #[test]
    fn variants_keep_the_newest_and_their_weight() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let mut v = Variants::default();
        for (i, body) in ["a", "bb", "ccc", "dddd", "eeeee"].into_iter().enumerate() {
            v.insert(format!("k{i}"), stored(50 + i as u64, 600, body), 3, now);
            assert_eq!(v.weight, recount(&v));
        }
        let mut keys: Vec<_> = v.by_key.keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["k2", "k3", "k4"]);
        // Replacing one keeps the count and the weight right.
        v.insert("k3".into(), stored(60, 900, "x"), 3, now);
        assert_eq!((v.by_key.len(), v.weight), (3, recount(&v)));
        assert_eq!(
            v.expires_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(960))
        );
        // Stale ones go before any fresh one, however young.
        v.insert("k5".into(), stored(1, 2, "stale"), 3, now);
        assert!(!v.by_key.contains_key("k5") && v.by_key.contains_key("k2"));
        assert_eq!(v.weight, recount(&v));
        v.insert("k6".into(), stored(61, 600, "new"), 3, now);
        assert!(!v.by_key.contains_key("k2") && v.by_key.contains_key("k6"));
        assert_eq!(v.weight, recount(&v));
    }
}
