//! The owner: the account `admin`, whose password is set at start-up, and the verifiers the
//! authentication tools check passwords and bearer tokens with.

use std::sync::OnceLock;

use drupe::HttpError;
use drupe::auth::{TokenVerifier, hash_password, verify_password};
use drupe::tools::{Identity, LocalBoxFuture, Scheme, Verifier};

use crate::error::AppError;
use crate::model::Db;
use crate::settings::Settings;

/// The owner's account name.
pub(crate) const OWNER: &str = "admin";

/// Sets the owner's password from the settings, or on a first run without one, makes one up
/// and prints it once (on the terminal, not in the log).
pub(crate) async fn set_up(db: &Db, settings: &Settings) -> Result<(), AppError> {
    let password = match &settings.admin_password {
        Some(p) => p.0.clone(),
        None if db.password_hash(OWNER).await?.is_some() => return Ok(()),
        None => {
            let p = random_secret(18);
            eprintln!(
                "photoblog: created the user `{OWNER}` with the password {p}\n\
                 photoblog: it is shown once; set another with --admin-password or \
                 PHOTOBLOG_ADMIN_PASSWORD"
            );
            p
        }
    };
    let hash = hash_password(&password).map_err(|e| AppError::Start(e.to_string()))?;
    db.set_password(OWNER, &hash).await?;
    Ok(())
}

/// `bytes` random bytes, base64url: a password or a token.
pub(crate) fn random_secret(bytes: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).expect("the operating system gives random bytes");
    // Six bits per character: 64 divides 256, so every character is uniform.
    raw.iter()
        .map(|b| ALPHABET[usize::from(b & 63)] as char)
        .collect()
}

/// A database failure as the verifiers answer it (a 503 when it is unreachable, as any
/// request's).
fn answer(e: sqlx::Error) -> HttpError {
    AppError::from(e).into()
}

/// Checks passwords against the `users` table.
#[derive(Clone)]
pub(crate) struct Passwords(pub(crate) Db);

/// A hash no password matches, checked for unknown users so that they cost what known ones
/// do: otherwise the response time tells which accounts exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_secret(18)).unwrap_or_default())
}

impl Verifier for Passwords {
    fn verify<'a>(
        &'a self,
        user: &'a str,
        password: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Identity>, HttpError>> {
        Box::pin(async move {
            let stored = self.0.password_hash(user).await.map_err(answer)?;
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| dummy_hash().to_owned());
            let ok = verify_password(&hash, password).await? && known;
            Ok(ok.then(|| Identity::new(user, Scheme::Basic)))
        })
    }
}

/// Checks bearer tokens against the `tokens` table.
#[derive(Clone)]
pub(crate) struct Tokens(pub(crate) Db);

impl TokenVerifier for Tokens {
    fn verify<'a>(
        &'a self,
        token: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Identity>, HttpError>> {
        Box::pin(async move {
            let user = self.0.token_user(token).await.map_err(answer)?;
            Ok(user.map(|u| Identity::new(u, Scheme::Bearer)))
        })
    }
}
