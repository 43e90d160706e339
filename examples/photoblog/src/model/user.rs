//! Accounts and their bearer tokens: who may change the blog. Passwords are kept as argon2id
//! hashes (`drupe::auth::hash_password`), tokens as their SHA-256.

use sha2::{Digest, Sha256};

use super::{Db, Result, now};

/// The SHA-256 of a token, hex: what the table keeps.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Db {
    /// The password hash of `name`, if the account exists.
    pub(crate) async fn password_hash(&self, name: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Creates `name` with `hash`, or replaces its hash.
    pub(crate) async fn set_password(&self, name: &str, hash: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let changed = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(hash)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            sqlx::query("INSERT INTO users (name, password_hash, created) VALUES ($1, $2, $3)")
                .bind(name)
                .bind(hash)
                .bind(now())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// Keeps a token `name` issued (its hash only).
    pub(crate) async fn add_token(&self, name: &str, token: &str) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO tokens (hash, user_name, created) VALUES ($1, $2, $3)")
            .bind(token_hash(token))
            .bind(name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// The account a token stands for, if it was issued (compared by hash: an index lookup
    /// on a SHA-256 leaks nothing useful through timing).
    pub(crate) async fn token_user(&self, token: &str) -> Result<Option<String>> {
        sqlx::query_scalar("SELECT user_name FROM tokens WHERE hash = $1")
            .bind(token_hash(token))
            .fetch_optional(&self.pool)
            .await
    }
}
