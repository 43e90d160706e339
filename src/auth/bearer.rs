//! `tools.auth_bearer`: a token in every request (RFC 6750), checked by the application.

use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::header::{Credentials, credentials};
use crate::HttpError;
use crate::tools::{Before, Exchange, Identity, Placement, Security, Tool};

/// Checks a bearer token: the application's (a table of tokens it issued, a signed token's
/// signature). `Ok(None)` means the token is not valid: 401 and a failure counted against
/// the client. Compare secrets in constant time (store a hash of each token and compare
/// hashes, say).
pub trait TokenVerifier: Send + Sync + 'static {
    /// The identity `token` stands for, if it is valid.
    fn verify<'a>(
        &'a self,
        token: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Identity>, HttpError>>;
}

/// A [`TokenVerifier`] from an async function of the token.
///
/// ```
/// use drupe::auth::{TokenVerifier, token_verifier_fn};
/// use drupe::tools::{Identity, Scheme};
/// let v = token_verifier_fn(|token| async move {
///     Ok((token == "t0k3n").then(|| Identity::new("robot", Scheme::Bearer)))
/// });
/// # actix_web::rt::System::new().block_on(async {
/// assert!(v.verify("t0k3n").await.unwrap().is_some());
/// # });
/// ```
pub fn token_verifier_fn<F, Fut>(f: F) -> impl TokenVerifier
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Option<Identity>, HttpError>> + 'static,
{
    struct FnVerifier<F>(F);
    impl<F, Fut> TokenVerifier for FnVerifier<F>
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Option<Identity>, HttpError>> + 'static,
    {
        fn verify<'a>(
            &'a self,
            token: &'a str,
        ) -> LocalBoxFuture<'a, Result<Option<Identity>, HttpError>> {
            Box::pin((self.0)(token.to_owned()))
        }
    }
    FnVerifier(f)
}

/// The account name failures of bearer tokens count against (a token names no account
/// until it is valid): with the client's own budget, this bounds guessing from one client.
const TOKEN_ACCOUNT: &str = "(bearer token)";

/// The `auth_bearer` tool: `Authorization: Bearer <token>` checked by the application's
/// [`TokenVerifier`]. With `auth_basic` on at the same path, either scheme is accepted
/// (give both the same `methods`), and a 401 carries both challenges.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use drupe::auth::{AuthBearer, token_verifier_fn};
/// use drupe::tools::{Identity, Scheme};
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self, who: Identity) -> String { format!("hello {}", who.name()) }
/// }
/// let check = token_verifier_fn(|token| async move {
///     Ok((token == "t0k3n").then(|| Identity::new("robot", Scheme::Bearer)))
/// });
/// let app = App::builder(Root).tool_at("/", AuthBearer::new(check)).build().unwrap();
/// let c = drupe::testing::TestClient::new(app).await;
/// c.get("/").header("authorization", "Bearer nope").send().await
///     .assert_status(401)
///     .assert_header("www-authenticate", r#"Bearer realm="drupe", error="invalid_token""#);
/// c.get("/").header("authorization", "Bearer t0k3n").send().await
///     .assert_text("hello robot");
/// # });
/// ```
pub struct AuthBearer {
    verifier: Option<Arc<dyn TokenVerifier>>,
    settings: toml::Table,
}

impl Default for AuthBearer {
    /// The tool without a verifier, as every application registers it: switching it on at a
    /// path is then a build error saying to register [`AuthBearer::new`].
    fn default() -> Self {
        Self {
            verifier: None,
            settings: toml::Table::new(),
        }
    }
}

impl AuthBearer {
    /// The tool, checking tokens with `verifier`.
    pub fn new(verifier: impl TokenVerifier) -> Self {
        Self {
            verifier: Some(Arc::new(verifier)),
            settings: toml::Table::new(),
        }
    }

    /// The realm of the challenge; `tools.auth_bearer.realm`.
    pub fn realm(mut self, realm: &str) -> Self {
        self.settings.insert("realm".into(), realm.into());
        self
    }

    /// Only these methods need a token there; `tools.auth_bearer.methods`.
    pub fn methods(mut self, methods: &[&str]) -> Self {
        self.settings
            .insert("methods".into(), methods.to_vec().into());
        self
    }

    /// Only these accounts may pass (others get 403); `tools.auth_bearer.allow`.
    pub fn allow(mut self, accounts: &[&str]) -> Self {
        self.settings
            .insert("allow".into(), accounts.to_vec().into());
        self
    }
}

/// Settings of [`AuthBearer`] at a path: `realm` (`"drupe"`), `methods` (every method when
/// empty), `allow` (any account when empty).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct AuthBearerConfig {
    policy: super::Policy,
    challenge: HeaderValue,
    invalid: HeaderValue,
    /// `auth_basic` is on at the path too: it answers requests without a bearer token.
    with_basic: bool,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    realm: String,
    methods: Vec<String>,
    allow: Vec<String>,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            realm: "drupe".to_owned(),
            methods: Vec::new(),
            allow: Vec::new(),
        }
    }
}

impl TryFrom<RawConfig> for AuthBearerConfig {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        super::check_realm(&raw.realm)?;
        let invalid = HeaderValue::from_str(&format!(
            r#"Bearer realm="{}", error="invalid_token""#,
            raw.realm
        ))
        .map_err(|_| format!("{:?} cannot be sent in a header", raw.realm))?;
        Ok(Self {
            policy: super::Policy::parse(&raw.methods, raw.allow)?,
            challenge: super::basic::bearer_challenge(&raw.realm)?,
            invalid,
            with_basic: false,
        })
    }
}

impl Tool for AuthBearer {
    type Config = AuthBearerConfig;
    const NAME: &'static str = "auth_bearer";

    /// Before `auth_basic` (2), after the rate limiter.
    fn priority(&self) -> i32 {
        1
    }

    fn settings_at(&self) -> toml::Table {
        self.settings.clone()
    }

    fn prepare(
        &self,
        cfg: &mut AuthBearerConfig,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        if at.is_on() && self.verifier.is_none() {
            return Err(at.error(
                "on",
                "tools.auth_bearer needs the application's token verifier: register \
                 `AuthBearer::new(verifier)` with `AppBuilder::tool` or `tool_at`",
            ));
        }
        cfg.with_basic = at.tool_is_on("auth_basic");
        Ok(())
    }

    fn security(&self, cfg: &AuthBearerConfig, method: &str) -> Option<Security> {
        cfg.policy.covers_named(method).then_some(Security::Bearer)
    }

    fn responses(&self, cfg: &AuthBearerConfig, method: &str) -> Vec<(u16, &'static str)> {
        cfg.policy.responses(
            method,
            &[
                (400, "The bearer token is malformed."),
                (401, "No token, or one that is not valid."),
                (429, "Too many invalid tokens from this client."),
            ],
        )
    }

    fn before_handler<'a>(&'a self, cfg: &'a AuthBearerConfig, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        if !cfg.policy.covers(ex.method()) || Identity::is_attached(req) {
            return Before::Continue;
        }
        if cfg.with_basic && super::header::basic_token(req).is_some() {
            // Basic credentials are auth_basic's: not decoded here too.
            return Before::Continue;
        }
        let token = match credentials(req) {
            Credentials::Bearer(token) => token,
            Credentials::MalformedBearer(why) => {
                return Before::Respond(actix_web::HttpResponse::from_error(
                    HttpError::bad_request(why),
                ));
            }
            // auth_basic answers the rest, with both challenges.
            _ if cfg.with_basic => return Before::Continue,
            _ => {
                return Before::Respond(super::unauthorized(
                    "This needs a bearer token.",
                    std::slice::from_ref(&cfg.challenge),
                ));
            }
        };
        let Some(verifier) = &self.verifier else {
            return Before::Respond(actix_web::HttpResponse::from_error(HttpError::internal(
                "tools.auth_bearer runs without a verifier",
            )));
        };
        Before::Pending(Box::pin(async move {
            let attempts = match super::gate(req, TOKEN_ACCOUNT) {
                Ok(a) => a,
                Err(res) => return Some(*res),
            };
            let id = match verifier.verify(&token).await {
                Ok(Some(id)) => id,
                Ok(None) => {
                    if let Some(a) = attempts {
                        a.failed(TOKEN_ACCOUNT);
                    }
                    return Some(super::unauthorized(
                        "This bearer token is not valid.",
                        std::slice::from_ref(&cfg.invalid),
                    ));
                }
                Err(e) => return Some(actix_web::HttpResponse::from_error(e)),
            };
            cfg.policy.admit(id, req)
        }))
    }
}
