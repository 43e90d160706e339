//! Where sessions live: the [`SessionStore`] trait a backend implements, the [`Record`] it
//! keeps per session and the [`Changes`] a request applies to it.
//!
//! A store never receives a whole session to write back: a request hands it only the keys it
//! set or removed, and the store applies them to the record as one atomic step. Two requests
//! of one session that write different keys at the same time therefore both land; two that
//! write the same key leave the value of the one that saved last (last write wins).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use futures_util::future::LocalBoxFuture;
use serde_json::Value;

/// A store's failure (Redis unreachable): the request answers 503 with `Retry-After`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// One session as a store keeps it.
///
/// ```
/// use std::time::SystemTime;
/// use drupe::sessions::Record;
/// let mut r = Record::new(SystemTime::now());
/// r.data.insert("count".to_owned(), serde_json::json!(1));
/// assert_eq!(r.created, r.seen);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The values, by key, as JSON.
    pub data: BTreeMap<String, Value>,
    /// When the session began: the absolute timeout counts from here.
    pub created: SystemTime,
    /// When it was last used, as far as the store knows: the idle timeout counts from here.
    pub seen: SystemTime,
}

impl Record {
    /// An empty session created (and seen) at `at`.
    pub fn new(at: SystemTime) -> Self {
        Self {
            data: BTreeMap::new(),
            created: at,
            seen: at,
        }
    }

    /// Applies `changes` (what [`SessionStore::save`] does to the stored record): the keys,
    /// then the later of the two last-seen times.
    pub fn apply(&mut self, changes: &Changes) {
        apply_keys(&mut self.data, &changes.keys);
        self.seen = self.seen.max(changes.seen);
    }
}

/// Sets the keys `keys` sets (`Some`) and removes those it removes (`None`).
pub(super) fn apply_keys(
    data: &mut BTreeMap<String, Value>,
    keys: &BTreeMap<String, Option<Value>>,
) {
    for (key, value) in keys {
        match value {
            Some(v) => {
                data.insert(key.clone(), v.clone());
            }
            None => {
                data.remove(key);
            }
        }
    }
}

/// What one request changed in a session, for [`SessionStore::save`].
///
/// ```
/// use drupe::sessions::{Changes, Record};
/// use std::time::{Duration, SystemTime};
/// let now = SystemTime::now();
/// let mut stored = Record::new(now);
/// stored.data.insert("a".into(), 1.into());
/// stored.data.insert("b".into(), 2.into());
/// let mut c = Changes::new(now + Duration::from_secs(1), now + Duration::from_secs(60));
/// c.keys.insert("b".into(), None);
/// c.keys.insert("c".into(), Some(3.into()));
/// stored.apply(&c);
/// assert_eq!(serde_json::to_value(&stored.data).unwrap(), serde_json::json!({"a": 1, "c": 3}));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Changes {
    /// The keys the request set (`Some`) or removed (`None`), each with its final value.
    pub keys: BTreeMap<String, Option<Value>>,
    /// `Some(created)` for a session the store does not hold yet: the store creates its
    /// record. `None`: the changes apply only to a record that still exists — one renewed,
    /// purged or expired meanwhile stays gone (a save must never bring an id back).
    pub created: Option<SystemTime>,
    /// When the session was used: the store keeps the later of this and the stored value.
    pub seen: SystemTime,
    /// When the store may drop the record (the earlier of the idle and absolute deadlines);
    /// the store keeps the later of this and the deadline it already has, so that a request
    /// that loaded the session earlier does not shorten it.
    pub expires_at: SystemTime,
}

impl Changes {
    /// No change to the keys of an existing session, seen at `seen`, kept until `expires_at`.
    pub fn new(seen: SystemTime, expires_at: SystemTime) -> Self {
        Self {
            keys: BTreeMap::new(),
            created: None,
            seen,
            expires_at,
        }
    }
}

/// Where sessions live: in process ([`MemoryStore`](super::MemoryStore)), in Redis
/// ([`RedisStore`](super::RedisStore)), or wherever an application implements it.
///
/// Ids reach a store already checked (43 characters of base64url); the tool enforces the
/// timeouts from the record's `created` and `seen`, so the store's own expiry (`expires_at`)
/// only frees room. An `Err` makes the request answer 503 with `Retry-After`.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use futures_util::future::LocalBoxFuture;
/// use drupe::sessions::{Changes, Record, SessionStore, StoreError};
///
/// /// Sessions in a map, never expired: a sketch. The records are shared with the requests
/// /// that read them; a save copies one only while a request still holds it.
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<String, Arc<Record>>>);
///
/// impl SessionStore for MapStore {
///     fn load<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<Option<Arc<Record>>, StoreError>> {
///         Box::pin(async move { Ok(self.0.lock().unwrap().get(id).cloned()) })
///     }
///     fn save<'a>(&'a self, id: &'a str, changes: &'a Changes) -> LocalBoxFuture<'a, Result<(), StoreError>> {
///         Box::pin(async move {
///             let mut map = self.0.lock().unwrap();
///             let record = match (map.get_mut(id), changes.created) {
///                 (Some(r), _) => r,
///                 (None, Some(created)) => {
///                     map.entry(id.to_owned()).or_insert(Arc::new(Record::new(created)))
///                 }
///                 // Renewed, purged or expired meanwhile: stays gone.
///                 (None, None) => return Ok(()),
///             };
///             Arc::make_mut(record).apply(changes);
///             Ok(())
///         })
///     }
///     fn remove<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
///         Box::pin(async move { self.0.lock().unwrap().remove(id); Ok(()) })
///     }
/// }
/// let sessions = drupe::sessions::Sessions::with_store(std::sync::Arc::new(MapStore::default()));
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// The record of session `id`, if the store holds one. Shared: a store that keeps
    /// records in memory hands out its own, and the request reads it without a copy.
    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Arc<Record>>, StoreError>>;

    /// Applies `changes` to the record of `id`, atomically with respect to the other saves
    /// and removals of `id`: only the keys named change (see [`Changes`]).
    fn save<'a>(
        &'a self,
        id: &'a str,
        changes: &'a Changes,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>>;

    /// Removes the record of `id` (nothing if there is none).
    fn remove<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>>;
}
