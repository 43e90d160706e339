//! The in-process store, on `moka::future::Cache`: one entry per session, at most
//! `max_sessions` of them (moka evicts the least useful beyond), each dropped at its deadline.
//!
//! A save replaces the entry with the stored record plus the request's changes inside moka's
//! `and_compute_with`, which runs the computations of one key one after another: two requests
//! of one session that save at once each apply their keys to what the other left. Removals go
//! through the same per-key lock, so a save that was waiting behind a removal finds no record
//! and, unless it creates the session, leaves it gone.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::LocalBoxFuture;
use moka::Expiry;
use moka::future::Cache;
use moka::ops::compute::Op;

use super::store::{Changes, Record, SessionStore, StoreError};

/// A record and when the store may drop it.
#[derive(Debug)]
struct Entry {
    record: Arc<Record>,
    expires_at: SystemTime,
}

/// Each entry lives until its own deadline.
struct Deadline;

impl Expiry<String, Arc<Entry>> for Deadline {
    fn expire_after_create(&self, _: &String, v: &Arc<Entry>, _: Instant) -> Option<Duration> {
        Some(
            v.expires_at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }

    fn expire_after_update(
        &self,
        k: &String,
        v: &Arc<Entry>,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.expire_after_create(k, v, now)
    }
}

/// Sessions in this process, at most `max_sessions` of them: what `[global] sessions.storage
/// = "memory"` (the default) makes. Every instance of an application has its own: behind a
/// load balancer, use [`RedisStore`](super::RedisStore).
///
/// ```
/// use std::sync::Arc;
/// use drupe::sessions::{MemoryStore, Sessions};
/// let sessions = Sessions::with_store(Arc::new(MemoryStore::new(50_000)));
/// ```
pub struct MemoryStore {
    cache: Cache<String, Arc<Entry>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("sessions", &self.cache.entry_count())
            .finish()
    }
}

impl MemoryStore {
    /// A store of at most `max_sessions` sessions.
    pub fn new(max_sessions: u64) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(max_sessions)
                .expire_after(Deadline)
                .build(),
        }
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Arc<Record>>, StoreError>> {
        Box::pin(async move { Ok(self.cache.get(id).await.map(|e| e.record.clone())) })
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        changes: &'a Changes,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.cache
                .entry(id.to_owned())
                .and_compute_with(|old| {
                    let op = match (old, changes.created) {
                        (Some(old), _) => {
                            let old = old.into_value();
                            let mut record = Record::clone(&old.record);
                            record.apply(changes);
                            Op::Put(Arc::new(Entry {
                                record: Arc::new(record),
                                expires_at: old.expires_at.max(changes.expires_at),
                            }))
                        }
                        (None, Some(created)) => {
                            let mut record = Record::new(created);
                            record.apply(changes);
                            Op::Put(Arc::new(Entry {
                                record: Arc::new(record),
                                expires_at: changes.expires_at,
                            }))
                        }
                        // Renewed, purged or expired meanwhile: it stays gone.
                        (None, None) => Op::Nop,
                    };
                    std::future::ready(op)
                })
                .await;
            Ok(())
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            // Through the key's lock, so that a save waiting behind it sees the removal.
            self.cache
                .entry(id.to_owned())
                .and_compute_with(|_| std::future::ready(Op::Remove))
                .await;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(key: &str, value: Option<serde_json::Value>) -> Changes {
        let now = SystemTime::now();
        let mut c = Changes::new(now, now + Duration::from_secs(60));
        c.keys.insert(key.to_owned(), value);
        c
    }

    #[actix_web::test]
    async fn saves_apply_their_keys_and_never_bring_a_removed_session_back() {
        let store = MemoryStore::new(10);
        let mut first = changes("a", Some(json!(1)));
        first.created = Some(SystemTime::now());
        store.save("s", &first).await.unwrap();
        store
            .save("s", &changes("b", Some(json!(2))))
            .await
            .unwrap();
        store.save("s", &changes("a", None)).await.unwrap();
        let r = store.load("s").await.unwrap().unwrap();
        assert_eq!(serde_json::to_value(&r.data).unwrap(), json!({"b": 2}));
        store.remove("s").await.unwrap();
        store
            .save("s", &changes("c", Some(json!(3))))
            .await
            .unwrap();
        assert_eq!(store.load("s").await.unwrap(), None);
    }

    #[actix_web::test]
    async fn a_record_goes_at_its_deadline() {
        let store = MemoryStore::new(10);
        let now = SystemTime::now();
        let mut c = Changes::new(now, now + Duration::from_millis(50));
        c.created = Some(now);
        store.save("s", &c).await.unwrap();
        assert!(store.load("s").await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(store.load("s").await.unwrap(), None);
    }
}
