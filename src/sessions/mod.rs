//! Sessions: values kept for a visitor between requests, named by a cookie.
//!
//! This module owns the `sessions` tool ([`Sessions`]), its per-path settings
//! ([`SessionsConfig`]), the [`Session`] extractor handlers take, and the [`SessionStore`]
//! trait with its in-process ([`MemoryStore`], moka) and Redis ([`RedisStore`], feature
//! `redis`) implementations. Other tools reach the session through the neutral
//! [`SessionAccess`](crate::tools::SessionAccess) it puts in each request.
//!
//! Its rooms: `config` (the settings), `build` (`[global] sessions.*`), `store` (the trait,
//! the record and the changes a request makes), `memory` and `redis` (the stores), `state`
//! (one request's session: lazy load, changes, what to save), `session` (the extractor), `cookie`
//! (ids and the `Set-Cookie`).
//!
//! What it does:
//! - **lazily**: the before-hook only notes the cookie's id; the first use loads the record.
//!   A request that never touches its session never reaches the store and gets no
//!   `Set-Cookie`, nor the headers below;
//! - **no lost updates**: a request saves only the keys it set or removed, applied to the
//!   stored record in one atomic step (in memory under the entry's lock, in Redis one
//!   script), so two requests of one session writing different keys both land. Writing the
//!   *same* key, the request saved last wins;
//! - **fixation**: an id is 256 bits from the OS's random source; a cookie that is
//!   malformed, unknown or expired starts a fresh session with a new id, never the client's.
//!   [`Session::renew`] changes the id (after signing in), [`Session::purge`] ends the
//!   session and expires the cookie;
//! - **timeouts** held by the server: `idle_timeout` (1800 s) since the last use and
//!   `absolute_timeout` (86400 s) since the start, from the times the record keeps; the
//!   store drops a record at its deadline too;
//! - **the cookie** is set only when the id changes: `session_id`, `Path=/`, `HttpOnly`,
//!   `SameSite=Lax`, `Secure` when the request came over HTTPS (behind
//!   `server.trusted_proxies`, the forwarded scheme), `Max-Age` the time left to the
//!   absolute timeout unless `persistent = false`;
//! - **shared caches**: a response of a request that used its session gets
//!   `Cache-Control: private` (unless it says `private` or `no-store`) and `Vary: Cookie`,
//!   so neither the output cache nor any proxy hands it to another visitor. The tool's
//!   priority, 30, puts its after-hook (the save and these headers) before the output
//!   cache's (90), and its before-hook before the authentication tools' (50), which read the
//!   session;
//! - a store that fails makes the request a 503 with `Retry-After`, logged.
//!
//! ```
//! use drupe::sessions::{Session, Sessions};
//! use drupe::{App, HttpError, controller};
//! struct Root;
//! #[controller]
//! impl Root {
//!     #[expose]
//!     async fn hello(&self, session: Session, name: Option<String>) -> Result<String, HttpError> {
//!         if let Some(name) = name {
//!             session.insert("name", &name).await?;
//!         }
//!         let name: Option<String> = session.get("name").await?;
//!         Ok(format!("hello {}", name.as_deref().unwrap_or("stranger")))
//!     }
//! }
//! let app = App::builder(Root)
//!     .tool(Sessions::memory())
//!     .set("/", "tools.sessions.on", true)
//!     .set("/", "tools.sessions.idle_timeout", 900)
//!     .build()
//!     .unwrap();
//! ```
//!
//! # Why not actix-session
//!
//! actix-session is well made, but it does not fit here:
//! - it is a middleware wrapped around a whole `App` or scope, not a tool switched on and
//!   configured per path (`tools.sessions.*`) beside the others, ordered by priority;
//! - it loads the session of every request that carries the cookie, used or not;
//! - its `SessionStore::update` writes the whole state back: two requests of one session
//!   that change different keys at once lose one of the changes;
//! - the cookie's `Secure` is fixed when the middleware is built, not read from the scheme
//!   of each request behind trusted proxies;
//! - one TTL (with an extension policy) where sessions need an idle and an absolute
//!   timeout, both enforced by the server.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};

mod build;
mod config;
mod cookie;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod session;
mod state;
mod store;

pub use config::{SameSite, SessionsConfig};
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
pub use session::Session;
pub use store::{Changes, Record, SessionStore, StoreError};

use session::state_of;
use state::{SessionState, Timeouts, unavailable};

use crate::tools::{After, Before, Exchange, Placement, Tool};

/// The `sessions` tool. Clones share the store.
///
/// ```
/// use drupe::sessions::Sessions;
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
/// }
/// // Several instances behind a load balancer share their sessions in Redis.
/// let app = App::builder(Root)
///     .tool(Sessions::redis("redis://127.0.0.1:6379/"))
///     .set("/account", "tools.sessions.on", true)
///     .build()
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    /// The store made at build from `[global] sessions.*`, for the tool every application gets.
    deferred: Option<Arc<build::Deferred>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions in process, at most 100 000 (the least useful go beyond; for another bound,
    /// `Sessions::with_store(Arc::new(MemoryStore::new(n)))`).
    pub fn memory() -> Self {
        Self::with_store(Arc::new(MemoryStore::new(build::DEFAULT_MAX_SESSIONS)))
    }

    /// Sessions in Redis at `url`, shared by every instance that uses it, connected on first
    /// use (until Redis answers, the requests that use their session get 503).
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Self {
        Self::with_store(Arc::new(RedisStore::new(url)))
    }

    /// Sessions in any store.
    pub fn with_store(store: Arc<dyn SessionStore>) -> Self {
        Self {
            store,
            deferred: None,
        }
    }

    /// The tool `[global] sessions.*` describes (what every application gets unless it
    /// registers its own).
    pub fn from_settings() -> Self {
        let deferred = Arc::new(build::Deferred::default());
        Self {
            store: deferred.clone(),
            deferred: Some(deferred),
        }
    }
}

impl Tool for Sessions {
    type Config = SessionsConfig;
    const NAME: &'static str = "sessions";

    /// 30: the before-hook (which notes the cookie) runs before the authentication tools'
    /// (50), which read the session; the after-hook (the save, `Cache-Control: private`,
    /// `Vary: Cookie`) before the output cache's (90), which must see them.
    fn priority(&self) -> i32 {
        30
    }

    fn prepare(
        &self,
        cfg: &mut SessionsConfig,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        cfg.check(at)
    }

    fn on_build(&self, build: &mut crate::tools::Build<'_>) -> Result<(), crate::ConfigError> {
        self.build(build)
    }

    fn responses(&self, _: &SessionsConfig, _: &str) -> Vec<(u16, &'static str)> {
        vec![(
            503,
            "The session store is unreachable; Retry-After says when to try again",
        )]
    }

    /// Also for a path the tree does not have: a tool may answer it with the session (the
    /// login form of `session_auth`).
    fn before_handler<'a>(&'a self, cfg: &'a SessionsConfig, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        let (sent, had_cookie) = cookie::sent(req, &cfg.name);
        let timeouts = Timeouts {
            idle: cfg.idle(),
            absolute: cfg.absolute(),
        };
        // The settings' store, resolved once built: not through `Deferred` on every call.
        let store = self.deferred.as_deref().and_then(build::Deferred::built);
        let state = std::rc::Rc::new(SessionState::new(
            store.unwrap_or(&self.store).clone(),
            sent,
            had_cookie,
            timeouts,
        ));
        crate::tools::set_session_access(req, state);
        Before::Continue
    }

    fn after_handler<'a>(
        &'a self,
        cfg: &'a SessionsConfig,
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a> {
        let req = ex.request();
        let Some(state) = state_of(req).filter(|s| s.used()) else {
            return After::Done(res);
        };
        // Most requests change nothing the store must hear of: answered without waiting.
        match state.to_save() {
            None => After::Done(settled(cfg, ex, &state, Ok(()), res)),
            Some((store, id, changes)) => After::Pending(Box::pin(async move {
                let saved = store.save(&id, &changes).await;
                settled(cfg, ex, &state, saved, res)
            })),
        }
    }
}

/// The response once the session is saved (or failed to be): its cookie, and the headers
/// that keep a shared cache from giving it to another visitor.
fn settled(
    cfg: &SessionsConfig,
    ex: &Exchange,
    state: &SessionState,
    saved: Result<(), StoreError>,
    mut res: HttpResponse,
) -> HttpResponse {
    let req = ex.request();
    match saved {
        Ok(()) => {
            let update = state.cookie_update();
            if update != cookie::CookieUpdate::Keep {
                let secure = cfg
                    .secure
                    .unwrap_or_else(|| ex.base_url().starts_with("https://"));
                cookie::write(cfg, secure, update, &mut res);
            }
        }
        Err(e) => {
            tracing::error!(path = req.path(), "the session could not be saved: {e}");
            res = crate::error::render(req, &unavailable(&e));
        }
    }
    if state.blank() {
        crate::http::add_vary(&mut res, "Cookie");
    } else {
        private(&mut res);
    }
    res
}

/// Marks a response that depends on the session: `Cache-Control: private` (unless it says
/// `private` or `no-store` already) and `Vary: Cookie`.
fn private(res: &mut HttpResponse) {
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
        crate::http::add_vary(res, "Cookie");
        return;
    }
    let existing: Vec<String> = res
        .headers()
        .get_all(header::CACHE_CONTROL)
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    let says = |directive: &str| {
        existing
            .iter()
            .flat_map(|v| v.split(','))
            .any(|d| d.trim().eq_ignore_ascii_case(directive))
    };
    if !says("private") && !says("no-store") {
        let value = if existing.is_empty() {
            HeaderValue::from_static("private")
        } else {
            // The handler's directives stay; `private` keeps shared caches out whatever they
            // say (`public` included).
            HeaderValue::from_str(&format!("{}, private", existing.join(", ")))
                .unwrap_or(HeaderValue::from_static("private"))
        };
        res.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    crate::http::add_vary(res, "Cookie");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_control(existing: &[&str]) -> Option<String> {
        let mut res = HttpResponse::Ok().finish();
        for v in existing {
            res.headers_mut()
                .append(header::CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
        }
        private(&mut res);
        assert_eq!(res.headers().get(header::VARY).unwrap(), "Cookie");
        let all: Vec<&str> = res
            .headers()
            .get_all(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap())
            .collect();
        (!all.is_empty()).then(|| all.join(" | "))
    }

    #[test]
    fn session_responses_are_private() {
        assert_eq!(cache_control(&[]).as_deref(), Some("private"));
        assert_eq!(
            cache_control(&["public, max-age=60"]).as_deref(),
            Some("public, max-age=60, private")
        );
        assert_eq!(cache_control(&["no-store"]).as_deref(), Some("no-store"));
        assert_eq!(
            cache_control(&["max-age=0", "Private"]).as_deref(),
            Some("max-age=0 | Private")
        );
    }
}
