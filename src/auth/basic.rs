//! `tools.auth_basic`: a user and a password in every request (RFC 7617).

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderValue;
use serde::Deserialize;

use super::header::{Credentials, basic_token, credentials};
use super::remember::Remembered;
use crate::tools::{Before, Exchange, Identity, Placement, Security, Tool, Verifier};

/// The `auth_basic` tool: HTTP Basic authentication against the application's
/// [`Verifier`]. Off until a path switches it on; registering it gives it the verifier.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use drupe::auth::AuthBasic;
/// use drupe::tools::{Identity, Scheme, verifier_fn};
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self, who: Identity) -> String { format!("hello {}", who.name()) }
/// }
/// let check = verifier_fn(|user, password| async move {
///     Ok((user == "admin" && password == "secret").then(|| Identity::new(user, Scheme::Basic)))
/// });
/// let app = App::builder(Root)
///     .tool_at("/", AuthBasic::new(check).realm("example"))
///     .build()
///     .unwrap();
/// let c = drupe::testing::TestClient::new(app).await;
/// c.get("/").send().await.assert_status(401)
///     .assert_header("www-authenticate", r#"Basic realm="example", charset="UTF-8""#);
/// c.get("/").header("authorization", "Basic YWRtaW46c2VjcmV0").send().await
///     .assert_text("hello admin");
/// # });
/// ```
pub struct AuthBasic {
    verifier: Option<Arc<dyn Verifier>>,
    remembered: Remembered,
    settings: toml::Table,
}

impl Default for AuthBasic {
    /// The tool without a verifier, as every application registers it: switching it on at a
    /// path is then a build error saying to register [`AuthBasic::new`].
    fn default() -> Self {
        Self {
            verifier: None,
            remembered: Remembered::new(),
            settings: toml::Table::new(),
        }
    }
}

impl AuthBasic {
    /// The tool, checking passwords with `verifier`.
    pub fn new(verifier: impl Verifier) -> Self {
        Self {
            verifier: Some(Arc::new(verifier)),
            ..Self::default()
        }
    }

    /// The realm of the challenge, for the path the tool is registered at
    /// ([`AppBuilder::tool_at`](crate::AppBuilder::tool_at)); `tools.auth_basic.realm`.
    pub fn realm(mut self, realm: &str) -> Self {
        self.settings.insert("realm".into(), realm.into());
        self
    }

    /// Only these methods need credentials there (`["POST", "PUT", "DELETE"]` keeps reads
    /// public); `tools.auth_basic.methods`.
    pub fn methods(mut self, methods: &[&str]) -> Self {
        self.settings
            .insert("methods".into(), methods.to_vec().into());
        self
    }

    /// Only these accounts may pass (others get 403); `tools.auth_basic.allow`.
    pub fn allow(mut self, accounts: &[&str]) -> Self {
        self.settings
            .insert("allow".into(), accounts.to_vec().into());
        self
    }
}

/// Settings of [`AuthBasic`] at a path: `realm` (`"drupe"`), `methods` (every method when
/// empty), `allow` (any account when empty), `remember_secs` (60; 0 checks every request).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct AuthBasicConfig {
    policy: super::Policy,
    remember: Duration,
    realm: String,
    challenges: Vec<HeaderValue>,
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    realm: String,
    methods: Vec<String>,
    allow: Vec<String>,
    remember_secs: u64,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            realm: "drupe".to_owned(),
            methods: Vec::new(),
            allow: Vec::new(),
            remember_secs: 60,
        }
    }
}

impl TryFrom<RawConfig> for AuthBasicConfig {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        super::check_realm(&raw.realm)?;
        Ok(Self {
            policy: super::Policy::parse(&raw.methods, raw.allow)?,
            remember: Duration::from_secs(raw.remember_secs),
            challenges: vec![basic_challenge(&raw.realm)?],
            realm: raw.realm,
        })
    }
}

fn basic_challenge(realm: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(&format!(r#"Basic realm="{realm}", charset="UTF-8""#))
        .map_err(|_| format!("{realm:?} cannot be sent in a header"))
}

/// The Bearer challenge for the same realm, when `auth_bearer` shares the path.
pub(super) fn bearer_challenge(realm: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(&format!(r#"Bearer realm="{realm}""#))
        .map_err(|_| format!("{realm:?} cannot be sent in a header"))
}

impl Tool for AuthBasic {
    type Config = AuthBasicConfig;
    const NAME: &'static str = "auth_basic";

    /// Before everything but the rate limiter (CherryPy runs it at 1).
    fn priority(&self) -> i32 {
        2
    }

    fn settings_at(&self) -> toml::Table {
        self.settings.clone()
    }

    fn prepare(
        &self,
        cfg: &mut AuthBasicConfig,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        if at.is_on() && self.verifier.is_none() {
            return Err(at.error(
                "on",
                "tools.auth_basic needs the application's verifier: register \
                 `AuthBasic::new(verifier)` with `AppBuilder::tool` or `tool_at`",
            ));
        }
        if at.tool_is_on("auth_bearer") {
            let c = bearer_challenge(&cfg.realm).map_err(|m| at.error("realm", m))?;
            cfg.challenges.push(c);
        }
        Ok(())
    }

    fn security(&self, cfg: &AuthBasicConfig, method: &str) -> Option<Security> {
        cfg.policy.covers_named(method).then_some(Security::Basic)
    }

    fn responses(&self, cfg: &AuthBasicConfig, method: &str) -> Vec<(u16, &'static str)> {
        cfg.policy.responses(
            method,
            &[
                (400, "The Authorization header cannot be read."),
                (
                    401,
                    "No credentials, or wrong ones (`WWW-Authenticate` says how to send them).",
                ),
                (
                    429,
                    "Too many failed attempts from this client or on this account.",
                ),
            ],
        )
    }

    fn before_handler<'a>(&'a self, cfg: &'a AuthBasicConfig, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        if !cfg.policy.covers(ex.method()) || Identity::is_attached(req) {
            return Before::Continue;
        }
        // Credentials verified a moment ago are found without decoding them nor waiting. The
        // rate limiter still has its say: a client or an account out of attempts is answered
        // 429 whatever it sends, or a guesser could tell the right password by its 200.
        let key = match basic_token(req) {
            Some(token) if !cfg.remember.is_zero() => {
                let key = self.remembered.key(token);
                if let Some(held) = self.remembered.recall(&key, cfg.remember) {
                    if let Err(res) = super::gate(req, &held.user) {
                        return Before::Respond(*res);
                    }
                    return match cfg.policy.admit(held.id, req) {
                        Some(res) => Before::Respond(res),
                        None => Before::Continue,
                    };
                }
                Some(key)
            }
            _ => None,
        };
        let (user, password) = match credentials(req) {
            Credentials::Basic { user, password } => (user, password),
            Credentials::MalformedBasic(why) => {
                return Before::Respond(actix_web::HttpResponse::from_error(
                    crate::HttpError::bad_request(why),
                ));
            }
            _ => {
                return Before::Respond(super::unauthorized(
                    "This needs credentials: a user and a password (HTTP Basic).",
                    &cfg.challenges,
                ));
            }
        };
        let Some(verifier) = &self.verifier else {
            // prepare() refuses a path that switches the tool on without one.
            return Before::Respond(actix_web::HttpResponse::from_error(
                crate::HttpError::internal("tools.auth_basic runs without a verifier"),
            ));
        };
        Before::Pending(Box::pin(async move {
            let attempts = match super::gate(req, &user) {
                Ok(a) => a,
                Err(res) => return Some(*res),
            };
            let check = || verifier.verify(&user, &password);
            let verified = match key {
                Some(key) => {
                    let remembered = &self.remembered;
                    remembered.verified(key, &user, cfg.remember, check).await
                }
                None => check().await,
            };
            let id = match verified {
                Ok(Some(id)) => id,
                Ok(None) => {
                    if let Some(a) = attempts {
                        a.failed(&user);
                    }
                    tracing::info!(user = %user.escape_debug(), "wrong Basic credentials");
                    return Some(super::unauthorized(
                        "These credentials are not valid.",
                        &cfg.challenges,
                    ));
                }
                Err(e) => return Some(actix_web::HttpResponse::from_error(e)),
            };
            cfg.policy.admit(id, req)
        }))
    }
}
