//! One request's session: loaded on first use, changed in memory, saved as the keys it
//! changed once the handler has answered.
//!
//! The tool's before-hook only records the id the cookie named and the store; the first
//! `get`, `insert`, `remove`, `renew` or `purge` loads the record. A record past its idle or
//! absolute timeout is removed and the request starts a fresh session, as it does for an id
//! the store does not know: a fresh session gets a new id of its own the first time something
//! is written to it (never the one the client sent), and one nobody writes to is neither
//! stored nor given a cookie.
//!
//! Last-seen is kept fresh without a write on every request: a request that changes nothing
//! saves only when the stored time is older than a tenth of the idle timeout (a minute at
//! most), so the idle timeout holds within that margin while a busy session writes its store
//! once a minute, not once a request.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use super::cookie::{self, CookieUpdate};
use super::store::{Changes, Record, SessionStore, StoreError, apply_keys};
use crate::HttpError;
use crate::tools::SessionAccess;

/// `Retry-After` of a 503 for an unreachable store, in seconds.
const RETRY_AFTER: u32 = 5;

/// The 503 for a store's failure (the detail goes to the log).
pub(super) fn unavailable(e: &StoreError) -> HttpError {
    HttpError::unavailable(RETRY_AFTER, e)
}

/// How long sessions last.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    pub(super) idle: Duration,
    pub(super) absolute: Duration,
}

impl Timeouts {
    /// When a session created at `created` and last seen at `seen` ends.
    fn deadline(self, created: SystemTime, seen: SystemTime) -> SystemTime {
        let far = || SystemTime::now() + Duration::from_secs(365 * 24 * 3600);
        let idle = seen.checked_add(self.idle).unwrap_or_else(far);
        let absolute = created.checked_add(self.absolute).unwrap_or_else(far);
        idle.min(absolute)
    }

    /// How old a stored last-seen may grow before a request that changes nothing refreshes
    /// it: a tenth of the idle timeout, a minute at most.
    fn refresh_after(self) -> Duration {
        (self.idle / 10).min(Duration::from_secs(60))
    }
}

/// The session as this request sees it.
struct Inner {
    /// Its id; `None` for a fresh session nothing was written to yet.
    id: Option<String>,
    /// Whether the store holds a record under `id` (false: the save creates it).
    stored: bool,
    created: SystemTime,
    /// The values as the store gave them (shared with it, never copied for a read).
    stored_data: Option<Arc<Record>>,
    /// This request's changes, over `stored_data`, for the save.
    changes: BTreeMap<String, Option<Value>>,
    /// Whether the save refreshes last-seen though nothing changed.
    touch: bool,
    /// Whether the response sets the cookie to `id`.
    new_cookie: bool,
    /// Whether the session was purged (the response expires the cookie).
    purged: bool,
}

impl Inner {
    /// A session nothing is stored for, begun at `now`.
    fn fresh(now: SystemTime) -> Self {
        Self {
            id: None,
            stored: false,
            created: now,
            stored_data: None,
            changes: BTreeMap::new(),
            touch: false,
            new_cookie: false,
            purged: false,
        }
    }

    /// The value of `key`: this request's change, else the stored one.
    fn value(&self, key: &str) -> Option<Value> {
        match self.changes.get(key) {
            Some(changed) => changed.clone(),
            None => self.stored_data.as_ref()?.data.get(key).cloned(),
        }
    }

    /// Every value, the changes applied.
    fn values(&self) -> BTreeMap<String, Value> {
        let mut all = self
            .stored_data
            .as_ref()
            .map(|r| r.data.clone())
            .unwrap_or_default();
        apply_keys(&mut all, &self.changes);
        all
    }
}

/// One request's session, shared by the [`Session`](super::Session) extractor, the tools that
/// use it through [`SessionAccess`], and the tool's after-hook.
pub(crate) struct SessionState {
    store: Arc<dyn SessionStore>,
    /// The well-formed id the request's cookie named.
    sent: Option<String>,
    /// Whether the request carried a cookie of the session's name, well-formed or not.
    had_cookie: bool,
    timeouts: Timeouts,
    loaded: tokio::sync::OnceCell<()>,
    /// Whether the after-hook saved it: later changes would be lost, and are refused.
    saved: Cell<bool>,
    inner: RefCell<Inner>,
}

impl SessionState {
    pub(super) fn new(
        store: Arc<dyn SessionStore>,
        sent: Option<String>,
        had_cookie: bool,
        timeouts: Timeouts,
    ) -> Self {
        Self {
            store,
            sent,
            had_cookie,
            timeouts,
            loaded: tokio::sync::OnceCell::new(),
            saved: Cell::new(false),
            inner: RefCell::new(Inner::fresh(SystemTime::UNIX_EPOCH)),
        }
    }

    /// Whether something used the session (then the response may depend on it).
    pub(super) fn used(&self) -> bool {
        self.loaded.initialized()
    }

    /// Whether the session used was blank: nothing stored under an id, nothing written. What
    /// the response shows then, every visitor without a session would see: a shared cache may
    /// keep it (for requests with the same `Cookie`).
    pub(super) fn blank(&self) -> bool {
        let inner = self.inner.borrow();
        // Without an id nothing is stored (a stored session has one).
        inner.id.is_none() && !inner.purged && inner.changes.is_empty()
    }

    /// Loads the session once: the record the cookie's id names if it is alive, else a fresh
    /// session (an expired record is removed).
    async fn load(&self) -> Result<(), HttpError> {
        self.loaded
            .get_or_try_init(|| async {
                let now = SystemTime::now();
                let mut inner = Inner::fresh(now);
                if let Some(id) = &self.sent
                    && let Some(record) = self.store.load(id).await.map_err(|e| unavailable(&e))?
                {
                    if now < self.timeouts.deadline(record.created, record.seen) {
                        inner = self.resumed(id.clone(), record, now);
                    } else {
                        self.store.remove(id).await.map_err(|e| unavailable(&e))?;
                    }
                }
                *self.inner.borrow_mut() = inner;
                Ok(())
            })
            .await
            .map(drop)
    }

    /// The session `record` holds, used at `now`.
    fn resumed(&self, id: String, record: Arc<Record>, now: SystemTime) -> Inner {
        let idle_for = now.duration_since(record.seen).unwrap_or(Duration::ZERO);
        Inner {
            id: Some(id),
            stored: true,
            created: record.created,
            stored_data: Some(record),
            changes: BTreeMap::new(),
            touch: idle_for >= self.timeouts.refresh_after(),
            new_cookie: false,
            purged: false,
        }
    }

    /// Loads the session for a change, refused once it is saved.
    async fn load_to_change(&self) -> Result<(), HttpError> {
        if self.saved.get() {
            return Err(HttpError::internal(
                "a session was changed after the sessions tool saved it (in the after-hook of \
                 a tool that runs after it): change it in a before-hook or in the handler",
            ));
        }
        self.load().await
    }

    pub(super) async fn get(&self, key: &str) -> Result<Option<Value>, HttpError> {
        self.load().await?;
        Ok(self.inner.borrow().value(key))
    }

    pub(super) async fn insert(&self, key: &str, value: Value) -> Result<(), HttpError> {
        self.load_to_change().await?;
        let mut inner = self.inner.borrow_mut();
        if inner.id.is_none() {
            inner.id = Some(fresh_id()?);
            inner.new_cookie = true;
        }
        inner.changes.insert(key.to_owned(), Some(value));
        Ok(())
    }

    pub(super) async fn remove(&self, key: &str) -> Result<(), HttpError> {
        self.load_to_change().await?;
        let mut inner = self.inner.borrow_mut();
        // Removed even if this request did not see it: another may have set it since. A
        // session without an id has nothing stored, and nothing else to remove.
        if inner.id.is_some() {
            inner.changes.insert(key.to_owned(), None);
        }
        Ok(())
    }

    /// A new id for the session, its values kept: the record is written under the new id
    /// before the old one is removed, so a failure leaves the session as it was.
    pub(super) async fn renew(&self) -> Result<(), HttpError> {
        self.load_to_change().await?;
        let new = fresh_id()?;
        let (old, whole) = {
            let inner = self.inner.borrow();
            let whole = inner.stored.then(|| {
                let now = SystemTime::now();
                let mut record = Record::new(inner.created);
                record.data = inner.values();
                record.seen = now;
                let mut c = Changes::new(now, self.timeouts.deadline(inner.created, now));
                c.created = Some(inner.created);
                c.keys = record
                    .data
                    .iter()
                    .map(|(k, v)| (k.clone(), Some(v.clone())))
                    .collect();
                (record, c)
            });
            (inner.id.clone(), whole)
        };
        if let (Some(old), Some((record, whole))) = (old, whole) {
            self.store
                .save(&new, &whole)
                .await
                .map_err(|e| unavailable(&e))?;
            self.store.remove(&old).await.map_err(|e| unavailable(&e))?;
            let mut inner = self.inner.borrow_mut();
            // What is stored now, under the new id.
            inner.stored_data = Some(Arc::new(record));
            inner.changes.clear();
            inner.touch = false;
        }
        let mut inner = self.inner.borrow_mut();
        inner.id = Some(new);
        inner.new_cookie = true;
        Ok(())
    }

    /// Ends the session: its record is removed and the response expires the cookie. What is
    /// written afterwards starts a new session, with a new id.
    pub(super) async fn purge(&self) -> Result<(), HttpError> {
        self.load_to_change().await?;
        let stored = {
            let inner = self.inner.borrow();
            inner.id.clone().filter(|_| inner.stored)
        };
        if let Some(id) = stored {
            self.store.remove(&id).await.map_err(|e| unavailable(&e))?;
        }
        let mut inner = self.inner.borrow_mut();
        *inner = Inner::fresh(SystemTime::now());
        inner.purged = true;
        Ok(())
    }

    /// Once the handler has answered: what the store must save (its changes to the
    /// session's id), if anything. Changes made afterwards are refused.
    pub(super) fn to_save(&self) -> Option<(Arc<dyn SessionStore>, String, Changes)> {
        self.saved.set(true);
        let inner = self.inner.borrow();
        match &inner.id {
            Some(id) if !inner.stored || !inner.changes.is_empty() || inner.touch => {
                let now = SystemTime::now();
                let mut c = Changes::new(now, self.timeouts.deadline(inner.created, now));
                c.keys = inner.changes.clone();
                c.created = (!inner.stored).then_some(inner.created);
                Some((self.store.clone(), id.clone(), c))
            }
            _ => None,
        }
    }

    /// Once saved: what the cookie becomes.
    pub(super) fn cookie_update(&self) -> CookieUpdate {
        let inner = self.inner.borrow();
        match &inner.id {
            Some(id) if inner.new_cookie => CookieUpdate::Set {
                id: id.clone(),
                max_age: inner
                    .created
                    .checked_add(self.timeouts.absolute)
                    .and_then(|end| end.duration_since(SystemTime::now()).ok())
                    .unwrap_or(Duration::ZERO),
            },
            None if inner.purged && self.had_cookie => CookieUpdate::Expire,
            _ => CookieUpdate::Keep,
        }
    }
}

/// A new id, or a 500 if the operating system has no random source.
fn fresh_id() -> Result<String, HttpError> {
    cookie::new_id().map_err(|e| HttpError::internal(format!("no session id: {e}")))
}

impl SessionAccess for SessionState {
    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<Value>, HttpError>> {
        Box::pin(SessionState::get(self, key))
    }

    fn insert<'a>(
        &'a self,
        key: &'a str,
        value: Value,
    ) -> LocalBoxFuture<'a, Result<(), HttpError>> {
        Box::pin(SessionState::insert(self, key, value))
    }

    fn remove<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), HttpError>> {
        Box::pin(SessionState::remove(self, key))
    }

    fn renew(&self) -> LocalBoxFuture<'_, Result<(), HttpError>> {
        Box::pin(SessionState::renew(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::MemoryStore;
    use serde_json::json;

    fn state(store: &Arc<dyn SessionStore>, sent: Option<&str>) -> SessionState {
        let timeouts = Timeouts {
            idle: Duration::from_secs(600),
            absolute: Duration::from_secs(6000),
        };
        SessionState::new(store.clone(), sent.map(str::to_owned), false, timeouts)
    }

    /// What the after-hook saves; the session's id when it saved something.
    async fn save(s: &SessionState) -> Option<String> {
        let (store, id, changes) = s.to_save()?;
        store.save(&id, &changes).await.expect("saved");
        Some(id)
    }

    #[actix_web::test]
    async fn a_request_reads_its_own_changes_over_the_stored_record() {
        let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new(10));
        let first = state(&store, None);
        first.insert("a", json!(1)).await.unwrap();
        first.insert("b", json!(2)).await.unwrap();
        let id = save(&first).await.expect("a new session is saved");

        let second = state(&store, Some(&id));
        assert_eq!(second.get("a").await.unwrap(), Some(json!(1)));
        second.remove("a").await.unwrap();
        second.insert("b", json!(3)).await.unwrap();
        assert_eq!(second.get("a").await.unwrap(), None);
        assert_eq!(second.get("b").await.unwrap(), Some(json!(3)));
        // Renewed: the values as this request sees them, under a new id, the old one gone.
        second.renew().await.unwrap();
        assert_eq!(second.get("a").await.unwrap(), None);
        assert_eq!(second.get("b").await.unwrap(), Some(json!(3)));
        second.insert("c", json!(4)).await.unwrap();
        let renewed = save(&second).await.expect("saved");
        assert_ne!(renewed, id);
        assert!(store.load(&id).await.unwrap().is_none());
        let record = store.load(&renewed).await.unwrap().expect("stored");
        let expected = BTreeMap::from([("b".to_owned(), json!(3)), ("c".to_owned(), json!(4))]);
        assert_eq!(record.data, expected);

        // Purged: nothing to read, nothing to save, nothing stored.
        let third = state(&store, Some(&renewed));
        assert_eq!(third.get("c").await.unwrap(), Some(json!(4)));
        third.purge().await.unwrap();
        assert_eq!(third.get("b").await.unwrap(), None);
        assert_eq!(save(&third).await, None);
        assert!(store.load(&renewed).await.unwrap().is_none());
    }

    #[actix_web::test]
    async fn a_read_saves_nothing_and_an_unwritten_fresh_session_is_blank() {
        let store: Arc<dyn SessionStore> = Arc::new(MemoryStore::new(10));
        let fresh = state(&store, None);
        assert_eq!(fresh.get("a").await.unwrap(), None);
        fresh.remove("a").await.unwrap();
        assert!(fresh.blank());
        assert!(fresh.to_save().is_none());
        assert_eq!(fresh.cookie_update(), CookieUpdate::Keep);

        let writer = state(&store, None);
        writer.insert("a", json!(1)).await.unwrap();
        assert!(!writer.blank());
        let id = save(&writer).await.expect("saved");
        assert!(
            matches!(writer.cookie_update(), CookieUpdate::Set { id: ref set, .. } if *set == id)
        );

        // A read of a session seen a moment ago: no save, no cookie, not blank.
        let reader = state(&store, Some(&id));
        assert_eq!(reader.get("a").await.unwrap(), Some(json!(1)));
        assert!(!reader.blank());
        assert!(reader.to_save().is_none());
        assert_eq!(reader.cookie_update(), CookieUpdate::Keep);
        // A change after the save is refused (it would be lost).
        assert!(reader.insert("b", json!(2)).await.is_err());
    }
}
