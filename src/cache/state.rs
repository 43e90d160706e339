//! What the tool remembers about a request between its hooks, and the stampede loaders: the
//! one request per key that computes a response while concurrent misses wait for it.

use std::sync::Arc;

use super::entry::Stored;
use super::{CacheOutcome, Inner};

#[derive(Clone)]
pub(super) enum LoadState {
    Pending,
    /// The stored response, its `Vary` names and the variant it was stored under.
    Stored(Arc<Stored>, Arc<[String]>, String),
    Released,
}

/// Per-request state, in the request's extensions.
pub(super) struct RequestState {
    pub(super) uri: String,
    pub(super) outcome: CacheOutcome,
    /// Set when this request is the one computing a key others wait for.
    pub(super) loader: Option<LoaderSlot>,
    /// Whether the response may be stored (a `GET` miss, or a `GET` with credentials whose
    /// response may say it can be shared).
    pub(super) may_store: bool,
}

impl RequestState {
    /// Lets requests waiting for this one's result compute their own (nothing was stored).
    pub(super) fn release_waiters(&mut self) {
        if let Some(l) = self.loader.as_mut() {
            l.resolve(LoadState::Released);
        }
    }
}

/// Releases waiters if the loading request ends without storing (error, panic, disconnect).
pub(super) struct LoaderSlot {
    pub(super) key: String,
    pub(super) inner: Arc<Inner>,
    pub(super) done: bool,
}

impl LoaderSlot {
    pub(super) fn resolve(&mut self, state: LoadState) {
        if self.done {
            return;
        }
        self.done = true;
        let mut loaders = self.inner.loaders.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = loaders.remove(&self.key) {
            let _ = tx.send(state);
        }
    }
}

impl Drop for LoaderSlot {
    fn drop(&mut self) {
        self.resolve(LoadState::Released);
    }
}
