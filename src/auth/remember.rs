//! Verifications that held, remembered for a short while: a Basic client sends its password
//! with every request, and an argon2 check costs tens of milliseconds by design.
//!
//! The key is SHA-256 over a random 64-byte key drawn at start and the credentials as the
//! header carries them (the base64 token after `Basic`, whatever the scheme's case or the
//! spaces around it): a hit needs the same user and password, decodes nothing, nothing
//! stored reveals the password, and the key differs in every process, so a dump of one is
//! useless to another. The key fills SHA-256's first block, which is absorbed once at start:
//! a request then hashes one block of its own (a token under 56 bytes). Hits are looked up
//! without waiting (`moka::sync`); a verification under way is shared by every request with
//! the same credentials (`moka::future`'s single flight).

use std::future::Future;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::HttpError;
use crate::tools::Identity;

/// Up to this many verifications are remembered (the least recently used go first).
const CAPACITY: u64 = 10_000;
/// No setting keeps one longer.
const LONGEST: Duration = Duration::from_secs(3600);

/// A verification under way leaves its result this long for the requests that waited on it.
const SHARED_FOR: Duration = Duration::from_secs(1);

/// What a remembered verification is found by: see the module's documentation.
pub(super) type Key = [u8; 32];

/// A verification that held: who, the user the credentials named (the rate limiter's
/// account), and when.
#[derive(Clone)]
pub(super) struct Held {
    pub(super) id: Identity,
    pub(super) user: std::sync::Arc<str>,
    at: Instant,
}

pub(super) struct Remembered {
    /// SHA-256 with the process's key absorbed.
    keyed: Sha256,
    held: moka::sync::Cache<Key, Held>,
    /// Verifications under way: requests with the same credentials wait for the same one.
    running: moka::future::Cache<Key, Identity>,
}

impl Remembered {
    pub(super) fn new() -> Self {
        let mut key = [0u8; 64];
        // Without randomness the key is zero: hits still need the same token, only a dump of
        // the memory would be comparable across processes.
        if let Err(e) = getrandom::fill(&mut key) {
            tracing::warn!("no randomness for the verification cache's key: {e}");
        }
        let mut keyed = Sha256::new();
        keyed.update(key);
        Self {
            keyed,
            held: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(LONGEST)
                .build(),
            // Short-lived: an entry a cancelled request left behind must not stand for a
            // verification later.
            running: moka::future::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(SHARED_FOR)
                .build(),
        }
    }

    /// The key of a Basic token (the base64 after the scheme).
    pub(super) fn key(&self, token: &[u8]) -> Key {
        let mut h = self.keyed.clone();
        h.update(token);
        h.finalize().into()
    }

    /// The verification of `key` that held less than `within` ago, without waiting.
    pub(super) fn recall(&self, key: &Key, within: Duration) -> Option<Held> {
        if within.is_zero() {
            return None;
        }
        let held = self.held.get(key)?;
        if held.at.elapsed() < within {
            return Some(held);
        }
        self.held.invalidate(key);
        None
    }

    /// The identity `verify` proves for the token of `key` (which names `user`), remembered
    /// when it holds (unless `within` is zero). Concurrent requests with the same token share
    /// one verification: a client opening 64 connections at once would otherwise start 64 argon2
    /// checks, each tens of milliseconds of a core, and none would finish before the next 64.
    /// A failure (`Ok(None)`, or the verifier's error) is never remembered.
    pub(super) async fn verified<F>(
        &self,
        key: Key,
        user: &str,
        within: Duration,
        verify: impl FnOnce() -> F,
    ) -> Result<Option<Identity>, HttpError>
    where
        F: Future<Output = Result<Option<Identity>, HttpError>>,
    {
        if within.is_zero() {
            return verify().await;
        }
        let shared = self
            .running
            .try_get_with(key, async {
                match verify().await {
                    Ok(Some(id)) => Ok(id),
                    Ok(None) => Err(None),
                    Err(e) => Err(Some(e)),
                }
            })
            .await;
        match shared {
            Ok(id) => {
                let held = Held {
                    id: id.clone(),
                    user: user.into(),
                    at: Instant::now(),
                };
                self.held.insert(key, held);
                self.running.invalidate(&key).await;
                Ok(Some(id))
            }
            Err(e) => match &*e {
                None => Ok(None),
                Some(e) => Err(e.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::Scheme;

    #[actix_web::test]
    async fn a_hit_needs_the_same_token_and_a_recent_check() {
        let r = Remembered::new();
        let id = Identity::new("admin", Scheme::Basic);
        let a_minute = Duration::from_secs(60);
        let ok = || std::future::ready(Ok(Some(id.clone())));
        let key = r.key(b"YWRtaW46c2VjcmV0");
        assert!(r.recall(&key, a_minute).is_none());
        let got = r.verified(key, "admin", a_minute, ok).await;
        assert_eq!(got.unwrap(), Some(id.clone()));
        let held = r.recall(&key, a_minute).expect("remembered");
        assert_eq!((held.id, &*held.user), (id, "admin"));
        assert!(r.recall(&r.key(b"YWRtaW46c2VjcmVU"), a_minute).is_none());
        assert!(r.recall(&key, Duration::ZERO).is_none());
        assert!(r.recall(&key, Duration::from_nanos(1)).is_none());
        // Another process (another key) finds nothing.
        assert_ne!(Remembered::new().key(b"YWRtaW46c2VjcmV0"), key);
        // A token longer than one block hashes as well.
        let long = vec![b'a'; 300];
        assert_eq!(r.key(&long), r.key(&long));
        assert_ne!(r.key(&long), r.key(&long[1..]));
    }

    #[actix_web::test]
    async fn failures_are_never_remembered_and_concurrent_checks_share_one() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let r = Remembered::new();
        let a_minute = Duration::from_secs(60);
        let calls = AtomicUsize::new(0);
        let guess = r.key(b"Z3Vlc3M=");
        let wrong = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(None)
        };
        assert_eq!(r.verified(guess, "a", a_minute, wrong).await.unwrap(), None);
        assert_eq!(r.verified(guess, "a", a_minute, wrong).await.unwrap(), None);
        assert!(r.recall(&guess, a_minute).is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let slow = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            Ok(Some(Identity::new("admin", Scheme::Basic)))
        };
        let key = r.key(b"cmlnaHQ=");
        let (a, b) = futures_util::join!(
            r.verified(key, "admin", a_minute, slow),
            r.verified(key, "admin", a_minute, slow)
        );
        assert!(a.unwrap().is_some() && b.unwrap().is_some());
        assert_eq!(calls.load(Ordering::SeqCst), 3, "one verification for both");
        assert!(r.recall(&key, a_minute).is_some());
    }
}
