//! Password hashes for an application's verifier: argon2id with the `argon2` crate's default
//! parameters, in the PHC string format (the parameters and the salt travel with the hash,
//! so they can be raised later without invalidating stored ones).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::HttpError;

/// The argon2id hash of `password` with a fresh random salt, as a PHC string
/// (`$argon2id$v=19$...`) to store.
///
/// ```
/// let hash = drupe::auth::hash_password("correct horse").unwrap();
/// assert!(hash.starts_with("$argon2id$"));
/// # actix_web::rt::System::new().block_on(async {
/// assert!(drupe::auth::verify_password(&hash, "correct horse").await.unwrap());
/// assert!(!drupe::auth::verify_password(&hash, "wrong").await.unwrap());
/// # });
/// ```
pub fn hash_password(password: &str) -> Result<String, HttpError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HttpError::internal(format!("no randomness: {e}")))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| HttpError::internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HttpError::internal(format!("argon2: {e}")))
}

/// Whether `password` matches the PHC `hash`, computed on the blocking threads (an argon2
/// verification takes tens of milliseconds: on a worker it would stall every request the
/// worker holds). The comparison is argon2's own, in constant time. A hash that cannot be
/// read is an error (500, with the reason in the log), not a mismatch.
pub async fn verify_password(hash: &str, password: &str) -> Result<bool, HttpError> {
    let (hash, password) = (hash.to_owned(), password.to_owned());
    actix_web::web::block(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| {
            HttpError::internal(format!("a stored password hash is unreadable: {e}"))
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| HttpError::internal(format!("password check: {e}")))?
}
