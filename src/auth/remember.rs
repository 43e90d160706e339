//! Verifications that held, remembered for a short while: a Basic client sends its password
//! with every request, and an argon2 check costs tens of milliseconds by design.
//!
//! The key is SHA-256 over a random key drawn at start, the user's length, the user and the
//! password: a hit needs the same user and the same password, nothing stored reveals either,
//! and the key differs in every process, so a dump of one is useless to another.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

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
    pub(super) async fn get(
        &self,
        user: &str,
        password: &str,
        within: Duration,
    ) -> Option<Identity> {
        if within.is_zero() {
            return None;
        }
        let (id, at) = self.held.get(&self.digest(user, password)).await?;
        (at.elapsed() < within).then_some(id)
    }

    /// Remembers that `user` and `password` proved `id`.
    pub(super) async fn put(&self, user: &str, password: &str, id: Identity, within: Duration) {
        if !within.is_zero() {
            self.held
                .insert(self.digest(user, password), (id, Instant::now()))
                .await;
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
        r.put("admin", "secret", id.clone(), a_minute).await;
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
}
