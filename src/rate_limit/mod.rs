//! Rate limits: the `rate_limit` tool, which bounds how often a client may call and how often
//! a client, or anyone on an account, may fail to sign in.
//!
//! This module owns two budgets per path, each `{ rate = N, per = "second" | "minute" |
//! "hour", burst = M }` ([`Budget`]):
//!
//! - `requests` (off unless set): every request of a client draws on its bucket; an empty
//!   bucket answers 429 with `Retry-After` before any other tool or the handler runs;
//! - `failures` (on wherever the tool is, 5 a minute after a burst of 10 by default): failed
//!   credentials, counted per client *and* per account. The tool does not see credentials
//!   itself: for a request that may carry them — one with an `Authorization` header, or with
//!   an unsafe method (a login form's `POST`) — it puts an [`Attempts`] for the request's
//!   client into the request ([`tools::set_attempts`](crate::tools::set_attempts)). The
//!   authentication tools call [`Attempts::check`] with the account before verifying a
//!   password and answer [`too_many_attempts`](crate::tools::too_many_attempts) when it says
//!   wait, and call [`Attempts::failed`] when the password was wrong. A handler checking
//!   passwords itself does the same with [`tools::attempts`](crate::tools::attempts).
//!
//! That explicit call is the whole contract: the tool does not count the 401s it sees. A 401
//! does not say which account was tried (the per-account budget could not be charged), it
//! is also the normal first answer to a client that has not sent credentials yet (a browser
//! asks for them only after it), and a tool that both reports a failure and answers 401
//! would be charged twice.
//!
//! The client is the request's address after the trusted proxies (`[global]
//! server.trusted_proxies`), an IPv6 client its /64 (see `key.rs`). A client whose address
//! cannot be known — a Unix socket peer without `"unix"` among the trusted proxies, an
//! obfuscated forwarded entry — is not limited per client (it would share one bucket with
//! everyone else such), but still per account.
//!
//! It is on by default: a `GET` without `Authorization` costs it one header lookup, and
//! nothing else unless `requests` is set. It runs first among the tools (priority -10, the
//! authentication tools run at 1 to 5), so a client out of requests costs no other work and
//! the authentication tools find the request's [`Attempts`] in place.
//!
//! The buckets are written here (`bucket.rs`, the GCRA arithmetic, a dozen lines) rather than
//! taken from `governor`, which was tried: it builds here and its keyed limiter takes an
//! injectable clock, but it has no way to ask whether a key may go *without* counting it,
//! which [`Attempts::check`] needs (attempts are free, only failures count); its keyed store
//! has no bound on the number of keys (it shrinks only when `retain_recent` is called); and it
//! holds one quota per limiter. moka, already the memory cache's store, gives the bounded
//! store that drops idle keys. Buckets of equal budgets are shared by every path that sets
//! them, so an account's failures count the same through `/login` and `/admin/login`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Deserialize;

use crate::HttpError;
use crate::tools::{Attempts, Before, Exchange, Placement, Tool, set_attempts};

mod bucket;
mod key;

use bucket::{Buckets, Gcra};
pub use bucket::{Budget, MAX_KEYS, Per};
use key::{AccountKey, AccountNames, ClientKey};

/// The `rate_limit` tool (on by default; see the module's documentation).
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use drupe::{App, Config, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
/// }
/// let config = Config::from_toml(r#"
///     ["/"]
///     tools.rate_limit.requests = { rate = 1, per = "minute", burst = 2 }
/// "#).unwrap();
/// let app = App::builder(Root).config(config).build().unwrap();
/// let c = drupe::testing::TestClient::new(app).await;
/// c.get("/").send().await.assert_status(200);
/// c.get("/").send().await.assert_status(200);
/// c.get("/").send().await.assert_status(429).assert_header("retry-after", "60");
/// # });
/// ```
pub struct RateLimit {
    names: AccountNames,
    /// The buckets of every budget some path sets, shared by the paths that set it.
    registry: Mutex<Registry>,
}

#[derive(Default)]
struct Registry {
    requests: Vec<Arc<Buckets<ClientKey>>>,
    failures: Vec<Arc<Failures>>,
}

impl RateLimit {
    /// The tool.
    pub fn new() -> Self {
        Self {
            names: AccountNames::new(),
            registry: Mutex::default(),
        }
    }

    fn requests_buckets(&self, gcra: Gcra) -> Arc<Buckets<ClientKey>> {
        let mut reg = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(b) = reg.requests.iter().find(|b| b.gcra() == gcra) {
            return b.clone();
        }
        let b = Arc::new(Buckets::new(gcra));
        reg.requests.push(b.clone());
        b
    }

    fn failure_buckets(&self, gcra: Gcra) -> Arc<Failures> {
        let mut reg = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(f) = reg.failures.iter().find(|f| f.clients.gcra() == gcra) {
            return f.clone();
        }
        let f = Arc::new(Failures {
            clients: Buckets::new(gcra),
            accounts: Buckets::new(gcra),
            names: self.names,
        });
        reg.failures.push(f.clone());
        f
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit").finish_non_exhaustive()
    }
}

/// The settings of `tools.rate_limit` at a path.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RateLimitConfig {
    /// Every request of a client (none: not limited).
    pub requests: Option<Budget>,
    /// Failed credentials of a client, and on an account (5 a minute, 10 at once).
    pub failures: Budget,
    #[serde(skip)]
    requests_buckets: Option<Arc<Buckets<ClientKey>>>,
    #[serde(skip)]
    failure_buckets: Option<Arc<Failures>>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            requests: None,
            failures: Budget {
                rate: 5,
                per: Per::Minute,
                burst: Some(10),
            },
            requests_buckets: None,
            failure_buckets: None,
        }
    }
}

/// The failure buckets of one budget: per client and per account.
struct Failures {
    clients: Buckets<ClientKey>,
    accounts: Buckets<AccountKey>,
    names: AccountNames,
}

impl std::fmt::Debug for Failures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Failures")
            .field("clients", &self.clients)
            .field("accounts", &self.accounts)
            .finish()
    }
}

/// The [`Attempts`] of one request's client.
struct ClientAttempts {
    failures: Arc<Failures>,
    /// `None` when the client's address is unknown: per account only.
    client: Option<ClientKey>,
}

impl Attempts for ClientAttempts {
    fn check(&self, account: &str) -> Result<(), Duration> {
        let f = &self.failures;
        let t = std::time::Instant::now();
        let (for_accounts, for_clients) = (f.accounts.at(t), f.clients.at(t));
        // Nobody failed lately (the usual case): no account to hash, no bucket to find.
        if f.accounts.all_full(for_accounts) && f.clients.all_full(for_clients) {
            return Ok(());
        }
        let by_account = f.accounts.peek(&f.names.key(account), for_accounts);
        let by_client = match self.client {
            Some(c) => f.clients.peek(&c, for_clients),
            None => Ok(()),
        };
        match by_account.err().into_iter().chain(by_client.err()).max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    fn failed(&self, account: &str) {
        let f = &self.failures;
        // A failure past an empty bucket (two attempts checked at once) is not counted
        // again: the bucket is empty already, and the wait stays one interval.
        let _ = f.accounts.take(f.names.key(account), f.accounts.now());
        if let Some(c) = self.client {
            let _ = f.clients.take(c, f.clients.now());
        }
    }
}

impl Tool for RateLimit {
    type Config = RateLimitConfig;
    const NAME: &'static str = "rate_limit";
    const ON_BY_DEFAULT: bool = true;

    /// First of all: see the module's documentation.
    fn priority(&self) -> i32 {
        -10
    }

    fn prepare(
        &self,
        cfg: &mut RateLimitConfig,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        if let Some(b) = &cfg.requests {
            b.check().map_err(|m| at.error("requests", m))?;
        }
        cfg.failures.check().map_err(|m| at.error("failures", m))?;
        if at.is_on() {
            cfg.requests_buckets = cfg.requests.map(|b| self.requests_buckets(Gcra::new(&b)));
            cfg.failure_buckets = Some(self.failure_buckets(Gcra::new(&cfg.failures)));
        }
        Ok(())
    }

    fn before_handler<'a>(&'a self, cfg: &'a RateLimitConfig, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        let credentials =
            !ex.method().is_safe() || req.headers().contains_key(header::AUTHORIZATION);
        if !credentials && cfg.requests_buckets.is_none() {
            return Before::Continue;
        }
        let client = crate::context::client_ip(req).map(ClientKey::from);
        if let (Some(buckets), Some(client)) = (&cfg.requests_buckets, client)
            && let Err(wait) = buckets.take(client, buckets.now())
        {
            return Before::Respond(HttpResponse::from_error(HttpError::too_many_requests(
                wait,
                "Too many requests; wait before sending more.",
            )));
        }
        if credentials && let Some(failures) = &cfg.failure_buckets {
            set_attempts(
                req,
                Arc::new(ClientAttempts {
                    failures: failures.clone(),
                    client,
                }),
            );
        }
        Before::Continue
    }

    fn responses(&self, cfg: &RateLimitConfig, _method: &str) -> Vec<(u16, &'static str)> {
        match cfg.requests {
            Some(_) => vec![(
                429,
                "the client sent more requests than tools.rate_limit.requests allows",
            )],
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_of(ip: &str) -> ClientKey {
        ClientKey::from(ip.parse::<std::net::IpAddr>().expect("an address"))
    }

    #[test]
    fn attempts_wait_for_the_client_or_the_account_whichever_is_longer() {
        let tool = RateLimit::new();
        let failures = tool.failure_buckets(Gcra::new(&Budget {
            rate: 1,
            per: Per::Minute,
            burst: Some(2),
        }));
        let a = ClientAttempts {
            failures: failures.clone(),
            client: Some(client_of("192.0.2.1")),
        };
        let b = ClientAttempts {
            failures: failures.clone(),
            client: Some(client_of("192.0.2.2")),
        };
        assert!(a.check("alice").is_ok());
        a.failed("alice");
        b.failed("alice");
        // Alice's account is out, for everyone; bob's is not, but client a has one left.
        let wait = a.check("alice").unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert!(b.check("alice").is_err());
        assert!(a.check("bob").is_ok());
        a.failed("bob");
        assert!(a.check("carol").is_err());
        assert!(b.check("carol").is_ok());
        // The same budget elsewhere shares the buckets.
        let again = tool.failure_buckets(Gcra::new(&Budget {
            rate: 1,
            per: Per::Minute,
            burst: Some(2),
        }));
        assert!(Arc::ptr_eq(&failures, &again));
        // An unknown client is limited per account only.
        let unknown = ClientAttempts {
            failures,
            client: None,
        };
        assert!(unknown.check("dave").is_ok());
        assert!(unknown.check("alice").is_err());
    }
}
