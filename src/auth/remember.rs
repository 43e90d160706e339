//! Verifications that held, remembered for a short while: a Basic client sends its password
//! with every request, and an argon2 check costs tens of milliseconds by design.
//!
//! The key is SHA-256 over a random key drawn at start, the user's length, the user and the
//! password: a hit needs the same user and the same password, nothing stored reveals either,
//! and the key differs in every process, so a dump of one is useless to another.

use std::future::Future;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::HttpError;
use crate::tools::Identity;

/// Up to this many verifications are remembered (the least recently used go first).
const CAPACITY: u64 = 10_000;
/// No setting keeps one longer.
const LONGEST: Duration = Duration::from_secs(3600);

pub(super) struct Remembered {
    key: [u8; 32],
    held: moka::future::Cache<[u8; 32], (Identity, Instant)>,
}

impl Remembered {
    pub(super) fn new() -> Self {
        let mut key = [0u8; 32];
        // Without randomness the key is zero: hits still need the same user and password,
        // only a dump of the memory would be comparable across processes.
        if let Err(e) = getrandom::fill(&mut key) {
            tracing::warn!("no randomness for the verification cache's key: {e}");
        }
        Self {
            key,
            held: moka::future::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(LONGEST)
                .build(),
        }
    }

    fn digest(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update((user.len() as u64).to_le_bytes());
        h.update(user.as_bytes());
        h.update(password.as_bytes());
        h.finalize().into()
    }

    /// The identity verified for `user` and `password` less than `within` ago.
    #[cfg(test)]
    async fn get(&self, user: &str, password: &str, within: Duration) -> Option<Identity> {
        if within.is_zero() {
            return None;
        }
        let (id, at) = self.held.get(&self.digest(user, password)).await?;
        (at.elapsed() < within).then_some(id)
    }

    /// The identity `user` and `password` prove: remembered if verified less than `within`
    /// ago, else from `verify`, remembered when it holds. Concurrent requests with the same
    /// credentials share one verification: a client opening 64 connections at once would
    /// otherwise start 64 argon2 checks, each tens of milliseconds of a core, and none would
    /// finish before the next 64. A failure (`Ok(None)`, or the verifier's error) is never
    /// remembered.
    pub(super) async fn verified<F>(
        &self,
        user: &str,
        password: &str,
        within: Duration,
        verify: impl FnOnce() -> F,
    ) -> Result<Option<Identity>, HttpError>
    where
        F: Future<Output = Result<Option<Identity>, HttpError>>,
    {
        if within.is_zero() {
            return verify().await;
        }
        let key = self.digest(user, password);
        if let Some((id, at)) = self.held.get(&key).await {
            if at.elapsed() < within {
                return Ok(Some(id));
            }
            self.held.invalidate(&key).await;
        }
        let shared = self
            .held
            .try_get_with(key, async {
                match verify().await {
                    Ok(Some(id)) => Ok((id, Instant::now())),
                    Ok(None) => Err(None),
                    Err(e) => Err(Some(e)),
                }
            })
            .await;
        match shared {
            Ok((id, _)) => Ok(Some(id)),
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
    async fn a_hit_needs_the_same_user_and_password_and_a_recent_check() {
        let r = Remembered::new();
        let id = Identity::new("admin", Scheme::Basic);
        let a_minute = Duration::from_secs(60);
        let ok = || std::future::ready(Ok(Some(id.clone())));
        let unused = || std::future::ready(Err(HttpError::internal("not asked")));
        let got = r.verified("admin", "secret", a_minute, ok).await;
        assert_eq!(got.unwrap(), Some(id.clone()));
        let again = r.verified("admin", "secret", a_minute, unused).await;
        assert_eq!(again.unwrap(), Some(id.clone()));
        assert_eq!(r.get("admin", "secret", a_minute).await, Some(id));
        assert_eq!(r.get("admin", "secreT", a_minute).await, None);
        // The length prefix: "ad" + "minsecret" is another pair.
        assert_eq!(r.get("ad", "minsecret", a_minute).await, None);
        assert_eq!(r.get("admin", "secret", Duration::ZERO).await, None);
        assert_eq!(
            r.get("admin", "secret", Duration::from_nanos(1)).await,
            None
        );
    }

    #[actix_web::test]
    async fn failures_are_never_remembered_and_concurrent_checks_share_one() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let r = Remembered::new();
        let a_minute = Duration::from_secs(60);
        let calls = AtomicUsize::new(0);
        let wrong = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(None)
        };
        assert_eq!(
            r.verified("admin", "guess", a_minute, wrong).await.unwrap(),
            None
        );
        assert_eq!(
            r.verified("admin", "guess", a_minute, wrong).await.unwrap(),
            None
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let slow = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            Ok(Some(Identity::new("admin", Scheme::Basic)))
        };
        let (a, b) = futures_util::join!(
            r.verified("admin", "secret", a_minute, slow),
            r.verified("admin", "secret", a_minute, slow)
        );
        assert!(a.unwrap().is_some() && b.unwrap().is_some());
        assert_eq!(calls.load(Ordering::SeqCst), 3, "one verification for both");
    }
}
