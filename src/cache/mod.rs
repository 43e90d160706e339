//! The output cache: a tool that answers repeated `GET`s from stored responses (RFC 9111).
//!
//! This module owns the `caching` tool ([`Caching`]), its per-path settings
//! ([`CachingConfig`]), the [`Backend`] trait with its in-process ([`Memory`], moka) and Redis
//! (feature `redis`) implementations, the stored response and its keys, and the
//! [`Invalidate`] extractor handlers use to drop other URIs.
//!
//! What it does, per reference B4:
//! - lookups only for `GET` and `HEAD`; a successful `POST`, `PUT`, `PATCH` or `DELETE`
//!   invalidates every variant of its URI and of the `Location`/`Content-Location` it returns;
//! - key: the absolute URI, plus the request's values of the headers the stored response's
//!   `Vary` names, paired with their names; `Vary: *` is never stored;
//! - stored: 200, 203, 204, 300, 301, 308, 404, 410 — never 5xx, `Set-Cookie`, `private`,
//!   `no-store`, nor answers to `Authorization` requests unless `public`;
//! - freshness from `s-maxage`/`max-age`/`Expires`, else `delay` (600 s); request `no-cache`
//!   (or `Pragma: no-cache`) refreshes, `max-age=N` bounds the age, a malformed
//!   `Cache-Control` is a 400;
//! - hits carry `Age`, a fresh `Date` and a strong `ETag` (computed from the body when the
//!   handler set none) and answer `If-None-Match`/`If-Modified-Since` with 304;
//! - one handler call per key under a stampede: concurrent misses wait (up to
//!   `stampede_timeout`) for the first one's result, and are released at once if it stores
//!   nothing;
//! - a backend that fails (Redis down) makes the tool pass requests through, logged once per
//!   outage and counted.
//!
//! ```
//! use drupe::cache::Caching;
//! use drupe::{App, controller};
//! struct Root;
//! #[controller]
//! impl Root {
//!     #[expose]
//!     fn index(&self) -> &'static str { "cached" }
//! }
//! let cache = Caching::memory(1000, 10 << 20);
//! let app = App::builder(Root)
//!     .tool(cache.clone())
//!     .set("/", "tools.caching.on", true)
//!     .set("/", "tools.caching.delay", 60)
//!     .build()
//!     .unwrap();
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use tokio::sync::watch;

use crate::HttpError;
use crate::tools::{After, Before, Exchange, Tool};

pub(crate) mod control;
mod entry;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use entry::Stored;
pub use memory::Memory;
#[cfg(feature = "redis")]
pub use redis::Redis;

/// A backend failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cache backend: {0}")]
pub struct BackendError(pub String);

/// What a lookup found.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A fresh stored response for this variant.
    Hit(Arc<Stored>),
    /// Nothing fresh; the URI's `Vary` names when it has stored variants.
    Miss(Option<Arc<[String]>>),
}

/// Sizes a backend reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BackendStats {
    /// Stored URIs (memory) or variants (Redis), when known.
    pub entries: Option<u64>,
    /// Weighted bytes, when known.
    pub bytes: Option<u64>,
    /// Entries evicted for room.
    pub evictions: u64,
    /// The bound on `bytes`, when the backend keeps one.
    pub max_bytes: Option<u64>,
}

/// Where responses are stored.
pub trait Backend: Send + Sync + 'static {
    /// The stored response for the variant `variant_of(vary)` of `uri`.
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>>;
    /// Stores a variant; `false` when refused (bounds).
    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
    ) -> BoxFuture<'a, Result<bool, BackendError>>;
    /// Removes every variant of `uri`; `true` if something was stored.
    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>>;
    /// Removes everything.
    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>>;
    /// Sizes.
    fn stats(&self) -> BoxFuture<'_, BackendStats>;
}

/// Per-path settings of the `caching` tool (`tools.caching.*`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CachingConfig {
    /// Freshness when the response sets none, in seconds (600).
    pub delay: u64,
    /// Largest body stored, in bytes (100 000).
    pub max_entry_bytes: usize,
    /// Statuses stored (RFC 9110's heuristically cacheable ones).
    pub cacheable: Vec<u16>,
    /// Methods whose success invalidates (POST, PUT, PATCH, DELETE).
    pub invalidating: Vec<String>,
    /// How long concurrent misses wait for the first one's result, in seconds (5).
    pub stampede_timeout: f64,
    /// Whether responses say `X-Cache: HIT|MISS|BYPASS` (on in debug builds).
    pub debug_header: Option<bool>,
}

impl Default for CachingConfig {
    fn default() -> Self {
        Self {
            delay: 600,
            max_entry_bytes: 100_000,
            cacheable: vec![200, 203, 204, 300, 301, 308, 404, 410],
            invalidating: ["POST", "PUT", "PATCH", "DELETE"]
                .map(str::to_owned)
                .to_vec(),
            stampede_timeout: 5.0,
            debug_header: None,
        }
    }
}

/// What the cache did for a request (the coverage report counts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheOutcome {
    /// Answered from the cache.
    Hit,
    /// Not in the cache: the handler ran.
    Miss,
    /// The cache was not used (method, directives, backend down).
    Bypass,
}

impl CacheOutcome {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            CacheOutcome::Hit => "HIT",
            CacheOutcome::Miss => "MISS",
            CacheOutcome::Bypass => "BYPASS",
        })
    }
}

/// Counters of a [`Caching`] tool.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Requests answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing.
    pub misses: u64,
    /// Responses stored.
    pub stores: u64,
    /// Requests that did not use the cache.
    pub bypasses: u64,
    /// URIs invalidated.
    pub invalidations: u64,
    /// Backend failures (each a pass-through).
    pub backend_errors: u64,
    /// What the backend reports.
    pub backend: BackendStats,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    stores: AtomicU64,
    bypasses: AtomicU64,
    invalidations: AtomicU64,
    backend_errors: AtomicU64,
}

#[derive(Clone)]
enum LoadState {
    Pending,
    /// The stored response, its `Vary` names and the variant it was stored under.
    Stored(Arc<Stored>, Arc<[String]>, String),
    Released,
}

struct Inner {
    backend: Arc<dyn Backend>,
    counters: Counters,
    loaders: Mutex<HashMap<String, watch::Sender<LoadState>>>,
    healthy: AtomicBool,
}

/// The `caching` tool. Clones share the cache.
#[derive(Clone)]
pub struct Caching {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Caching {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caching").finish_non_exhaustive()
    }
}

/// Per-request state, in the request's extensions.
struct RequestState {
    uri: String,
    outcome: CacheOutcome,
    /// Set when this request is the one computing a key others wait for.
    loader: Option<LoaderSlot>,
    /// Whether the response may be stored (a miss, or a request with credentials whose
    /// response may turn out `public`).
    may_store: bool,
}

impl RequestState {
    /// Lets requests waiting for this one's result compute their own (nothing was stored).
    fn release_waiters(&mut self) {
        if let Some(l) = self.loader.as_mut() {
            l.resolve(LoadState::Released);
        }
    }
}

/// Releases waiters if the loading request ends without storing (error, panic, disconnect).
struct LoaderSlot {
    key: String,
    inner: Arc<Inner>,
    done: bool,
}

impl LoaderSlot {
    fn resolve(&mut self, state: LoadState) {
        if self.done {
            return;
        }
        self.done = true;
        let mut loaders = self.inner.loaders.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = loaders.remove(&self.key) {
            let _ = tx.send(state);
        }
    }
}

impl Drop for LoaderSlot {
    fn drop(&mut self) {
        self.resolve(LoadState::Released);
    }
}

/// URIs a handler asked to invalidate, applied when its response succeeds.
#[derive(Default)]
struct PendingInvalidations(Vec<String>);

/// Invalidates other URIs than the request's own, once the response succeeds: an extractor.
///
/// ```
/// use drupe::cache::Invalidate;
/// use drupe::{Created, HttpError, resource};
/// struct Photos;
/// #[resource]
/// impl Photos {
///     fn post(&self, album: u64, invalidate: Invalidate) -> Result<Created<u64>, HttpError> {
///         invalidate.path(&format!("/albums/{album}"));
///         invalidate.path("/feed");
///         Ok(Created::new("/photos/1", 1))
///     }
/// }
/// ```
pub struct Invalidate(HttpRequest);

impl Invalidate {
    /// Invalidates `path` (`/feed`, with its query if any) on this request's host.
    pub fn path(&self, path: &str) {
        let uri = crate::url::absolute(&self.0, crate::app::behind_proxy(&self.0), path);
        self.0
            .extensions_mut()
            .get_or_insert_with(PendingInvalidations::default)
            .0
            .push(uri);
    }
}

impl FromRequest for Invalidate {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Invalidate(req.clone())))
    }
}

impl Caching {
    /// An in-process cache of at most `max_entries` URIs and `max_bytes` bytes.
    pub fn memory(max_entries: u64, max_bytes: u64) -> Self {
        Self::with_backend(Memory::new(max_entries, max_bytes))
    }

    /// A cache on any backend.
    pub fn with_backend(backend: impl Backend) -> Self {
        Self {
            inner: Arc::new(Inner {
                backend: Arc::new(backend),
                counters: Counters::default(),
                loaders: Mutex::new(HashMap::new()),
                healthy: AtomicBool::new(true),
            }),
        }
    }

    /// A cache on Redis at `url`, connected in the background (until it is reachable,
    /// requests pass through).
    #[cfg(feature = "redis")]
    pub fn redis(url: &str) -> Self {
        Self::with_backend(redis::Lazy::new(url))
    }

    /// Counters and sizes. The application also serves them as JSON to loopback clients at
    /// `[global] cache.stats_path` (default `/_cache/stats`).
    pub async fn stats(&self) -> CacheStats {
        let c = &self.inner.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            stores: c.stores.load(Ordering::Relaxed),
            bypasses: c.bypasses.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            backend_errors: c.backend_errors.load(Ordering::Relaxed),
            backend: self.inner.backend.stats().await,
        }
    }

    /// Invalidates every variant of the absolute `uri` (`http://host/path?query`).
    pub async fn invalidate(&self, uri: &str) -> Result<bool, BackendError> {
        self.inner.invalidate(uri).await
    }

    /// Removes everything.
    pub async fn clear(&self) -> Result<(), BackendError> {
        self.inner.backend.clear().await
    }
}

impl Inner {
    fn failed(&self, e: &BackendError) {
        self.counters.backend_errors.fetch_add(1, Ordering::Relaxed);
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!("the cache backend failed; requests pass through until it is back: {e}");
        }
    }

    fn succeeded(&self) {
        if !self.healthy.swap(true, Ordering::Relaxed) {
            tracing::info!("the cache backend is back");
        }
    }

    async fn invalidate(&self, uri: &str) -> Result<bool, BackendError> {
        match self.backend.invalidate(uri).await {
            Ok(found) => {
                self.succeeded();
                self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
                Ok(found)
            }
            Err(e) => {
                self.failed(&e);
                Err(e)
            }
        }
    }
}

fn request_uri(ex: &Exchange) -> String {
    let req = ex.request();
    let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
    crate::url::base_url_then(req, ex.behind_proxy, pq)
}

fn debug_header(cfg: &CachingConfig) -> bool {
    cfg.debug_header.unwrap_or(cfg!(debug_assertions))
}

/// Counts a request the cache does not answer and records it for the after-hook;
/// `may_store` when its response may still be stored (a request with credentials).
fn bypass(inner: &Inner, req: &HttpRequest, uri: String, may_store: bool) {
    inner.counters.bypasses.fetch_add(1, Ordering::Relaxed);
    req.extensions_mut().insert(RequestState {
        uri,
        outcome: CacheOutcome::Bypass,
        loader: None,
        may_store,
    });
}

/// Counts a request answered from the cache and records it for the after-hook.
fn record_hit(inner: &Inner, req: &HttpRequest, uri: String) {
    inner.counters.hits.fetch_add(1, Ordering::Relaxed);
    req.extensions_mut().insert(RequestState {
        uri,
        outcome: CacheOutcome::Hit,
        loader: None,
        may_store: false,
    });
}

/// `Age` values: the first hundred seconds from a table (most hits are that young), formatted
/// beyond.
fn age_value(secs: u64) -> HeaderValue {
    static YOUNG: std::sync::LazyLock<Vec<HeaderValue>> =
        std::sync::LazyLock::new(|| (0..100u64).map(HeaderValue::from).collect());
    match YOUNG.get(secs as usize) {
        Some(v) => v.clone(),
        None => HeaderValue::from(secs),
    }
}

/// A 304 carrying the fields RFC 9110 §15.4.5 asks for (`Date` is added by actix-web) and
/// `Last-Modified`, taken from the full response's `headers`.
fn not_modified<'h>(
    headers: impl IntoIterator<Item = (&'h HeaderName, &'h HeaderValue)>,
) -> HttpResponse {
    let mut r = HttpResponse::new(StatusCode::NOT_MODIFIED);
    for (n, v) in headers {
        if matches!(
            n.as_str(),
            "etag" | "cache-control" | "expires" | "vary" | "content-location" | "last-modified"
        ) {
            r.headers_mut().append(n.clone(), v.clone());
        }
    }
    r
}

/// The response for a hit (or a 304 when the request's validators match); `inm` is the
/// request's `If-None-Match`, already read.
fn hit_response(
    stored: &Stored,
    req: &HttpRequest,
    inm: Option<&control::IfNoneMatch>,
    cfg: &CachingConfig,
    now: SystemTime,
) -> HttpResponse {
    let age = age_value(stored.age(now));
    let etag = stored.header(&header::ETAG);
    let unchanged = match inm {
        Some(inm) => etag
            .and_then(|e| e.to_str().ok())
            .is_some_and(|e| control::none_match_hits(inm, e)),
        None => {
            // If-Modified-Since counts only without If-None-Match (RFC 9110 §13.1.3).
            let ims = req
                .headers()
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok());
            let lm = stored
                .header(&header::LAST_MODIFIED)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok());
            matches!((ims, lm), (Some(ims), Some(lm)) if lm <= ims)
        }
    };
    let mut res = if unchanged {
        not_modified(stored.headers.iter().map(|(n, v)| (n, v)))
    } else {
        let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
        let mut r = HttpResponse::with_body(status, BoxBody::new(stored.body.clone()));
        let h = r.headers_mut();
        for (n, v) in &stored.headers {
            h.append(n.clone(), v.clone());
        }
        r
    };
    res.headers_mut().insert(header::AGE, age);
    if debug_header(cfg) {
        res.headers_mut().insert(
            HeaderName::from_static("x-cache"),
            CacheOutcome::Hit.header(),
        );
    }
    res
}

impl Tool for Caching {
    type Config = CachingConfig;
    const NAME: &'static str = "caching";

    fn priority(&self) -> i32 {
        90
    }

    fn before_handler<'a>(&'a self, cfg: &'a CachingConfig, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        let method = req.method();
        let uri = request_uri(ex);
        if !(*method == Method::GET || *method == Method::HEAD) {
            bypass(&self.inner, req, uri, false);
            return Before::Continue;
        }
        // Both read once here: a hit answers `If-None-Match` from this parse.
        let parsed = control::request(req.headers())
            .and_then(|d| Ok((d, control::if_none_match(req.headers())?)));
        let (directives, inm) = match parsed {
            Ok(p) => p,
            Err(control::Malformed(h)) => {
                return Before::Respond(HttpResponse::from_error(HttpError::bad_request(format!(
                    "Invalid {h} header"
                ))));
            }
        };
        // A shared cache answers no request that carries credentials.
        if req.headers().contains_key(header::AUTHORIZATION) {
            bypass(&self.inner, req, uri, !directives.no_store);
            return Before::Continue;
        }
        let inner = self.inner.clone();
        Before::Pending(Box::pin(async move {
            let headers = req.headers();
            let variant_of = move |vary: &[String]| entry::variant_key(vary, headers);
            let found = if directives.no_cache {
                Ok(Lookup::Miss(None))
            } else {
                inner.backend.lookup(&uri, &variant_of).await
            };
            let now = SystemTime::now();
            let vary = match found {
                Ok(Lookup::Hit(stored))
                    if directives.max_age.is_none_or(|m| stored.age(now) <= m) =>
                {
                    inner.succeeded();
                    record_hit(&inner, req, uri);
                    return Some(hit_response(&stored, req, inm.as_ref(), cfg, now));
                }
                Ok(Lookup::Hit(_)) => None,
                Ok(Lookup::Miss(vary)) => {
                    inner.succeeded();
                    vary
                }
                Err(e) => {
                    inner.failed(&e);
                    bypass(&inner, req, uri, false);
                    return None;
                }
            };
            inner.counters.misses.fetch_add(1, Ordering::Relaxed);
            // One loader per key: the URI's variant when its Vary is known, else the URI.
            let variant = vary.as_ref().map(|v| variant_of(v));
            let key = match &variant {
                Some(v) => format!("{uri}\u{0}{v}"),
                None => uri.clone(),
            };
            let waiting = {
                let mut loaders = inner.loaders.lock().unwrap_or_else(|e| e.into_inner());
                match loaders.get(&key) {
                    Some(tx) if !directives.no_cache => Some(tx.subscribe()),
                    _ => {
                        let (tx, _) = watch::channel(LoadState::Pending);
                        loaders.insert(key.clone(), tx);
                        None
                    }
                }
            };
            let Some(mut rx) = waiting else {
                req.extensions_mut().insert(RequestState {
                    uri,
                    outcome: CacheOutcome::Miss,
                    loader: Some(LoaderSlot {
                        key,
                        inner: inner.clone(),
                        done: false,
                    }),
                    may_store: !directives.no_store,
                });
                return None;
            };
            let wait = Duration::from_secs_f64(cfg.stampede_timeout.clamp(0.0, 3600.0));
            let got =
                tokio::time::timeout(wait, rx.wait_for(|s| !matches!(s, LoadState::Pending))).await;
            if let Ok(Ok(state)) = got
                && let LoadState::Stored(stored, vary, variant) = &*state
                && variant_of(vary) == *variant
            {
                record_hit(&inner, req, uri);
                return Some(hit_response(
                    stored,
                    req,
                    inm.as_ref(),
                    cfg,
                    SystemTime::now(),
                ));
            }
            // Released, timed out, or another variant: compute it here.
            req.extensions_mut().insert(RequestState {
                uri,
                outcome: CacheOutcome::Miss,
                loader: None,
                may_store: !directives.no_store,
            });
            None
        }))
    }

    fn after_handler<'a>(
        &'a self,
        cfg: &'a CachingConfig,
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a> {
        let req = ex.request();
        let state = req.extensions_mut().remove::<RequestState>();
        let pending = req.extensions_mut().remove::<PendingInvalidations>();
        let Some(mut state) = state else {
            return After::Done(res);
        };
        let success = res.status().is_success() || res.status().is_redirection();
        // Invalidations: the unsafe method's own URI and the URIs it points at, and what the
        // handler asked for.
        let mut to_invalidate = Vec::new();
        if success && cfg.invalidating.iter().any(|m| m == req.method().as_str()) {
            to_invalidate.push(state.uri.clone());
            let base = ex.base_url();
            for h in [header::LOCATION, header::CONTENT_LOCATION] {
                if let Some(loc) = res.headers().get(&h).and_then(|v| v.to_str().ok()) {
                    let abs = crate::url::absolute(req, ex.behind_proxy, loc);
                    // Only URIs of this origin (RFC 9111 §4.4).
                    if abs.starts_with(&base) {
                        to_invalidate.push(abs);
                    }
                }
            }
        }
        if success && let Some(p) = pending {
            to_invalidate.extend(p.0);
        }
        if to_invalidate.is_empty() && !state.may_store {
            // Hits and bypasses: nothing to wait for.
            return After::Done(finish(cfg, req, &state, res));
        }
        let inner = self.inner.clone();
        After::Pending(Box::pin(async move {
            for uri in to_invalidate {
                let _ = inner.invalidate(&uri).await;
            }
            let mut res = res;
            if state.may_store {
                res = store(&inner, cfg, req, &mut state, res).await;
            }
            finish(cfg, req, &state, res)
        }))
    }
}

/// Marks the response with what the cache did (a hit is marked already) and leaves the
/// outcome to observers.
fn finish(
    cfg: &CachingConfig,
    req: &HttpRequest,
    state: &RequestState,
    mut res: HttpResponse,
) -> HttpResponse {
    if state.outcome != CacheOutcome::Hit && debug_header(cfg) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-cache"), state.outcome.header());
    }
    req.extensions_mut().insert(state.outcome);
    res
}

/// Stores a miss's response when it may be stored; returns the response (with its ETag).
async fn store(
    inner: &Arc<Inner>,
    cfg: &CachingConfig,
    req: &HttpRequest,
    state: &mut RequestState,
    res: HttpResponse,
) -> HttpResponse {
    let now = SystemTime::now();
    let policy = control::response(res.headers(), now);
    let vary = entry::vary_names(res.headers());
    let authorized = req.headers().contains_key(header::AUTHORIZATION);
    let storable = cfg.cacheable.contains(&res.status().as_u16())
        && !res.headers().contains_key(header::SET_COOKIE)
        && !policy.no_store
        && !policy.private
        && (!authorized || policy.public)
        && vary.is_some();
    if !storable {
        state.release_waiters();
        return res;
    }
    let (mut res, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(b) => b,
        Err(body) => {
            // A streamed body is passed on, not stored.
            state.release_waiters();
            return res.set_body(body);
        }
    };
    if bytes.len() > cfg.max_entry_bytes {
        state.release_waiters();
        return res.set_body(BoxBody::new(bytes));
    }
    if !res.headers().contains_key(header::ETAG) {
        res.headers_mut()
            .insert(header::ETAG, entry::etag_of(&bytes));
    }
    let lifetime = policy.lifetime.unwrap_or(Duration::from_secs(cfg.delay));
    let vary: Arc<[String]> = vary.unwrap_or_default().into();
    if lifetime > Duration::ZERO {
        let stored = Arc::new(Stored::new(
            res.status().as_u16(),
            res.headers(),
            bytes.clone(),
            now,
            lifetime,
        ));
        let variant = entry::variant_key(&vary, req.headers());
        match inner
            .backend
            .store(&state.uri, &vary, variant.clone(), stored.clone())
            .await
        {
            Ok(true) => {
                inner.succeeded();
                inner.counters.stores.fetch_add(1, Ordering::Relaxed);
                if let Some(l) = state.loader.as_mut() {
                    l.resolve(LoadState::Stored(stored, vary, variant));
                }
            }
            Ok(false) => {}
            Err(e) => inner.failed(&e),
        }
    }
    state.release_waiters();
    // The request's own validators may already match what it would have received.
    let res = res.set_body(BoxBody::new(bytes));
    if let (Ok(Some(inm)), Some(etag)) = (
        control::if_none_match(req.headers()),
        res.headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok()),
    ) && control::none_match_hits(&inm, etag)
    {
        return not_modified(res.headers());
    }
    res
}

/// What the cache did for a request, once its response is final: for observers such as the
/// coverage recorder or a user's own tool (`None` where the cache is off).
pub fn outcome(req: &HttpRequest) -> Option<CacheOutcome> {
    req.extensions().get::<CacheOutcome>().copied()
}

/// The variant key of a request's `headers` for a response's `vary` names.
pub(crate) fn entry_variant_key(vary: &[String], headers: &header::HeaderMap) -> String {
    entry::variant_key(vary, headers)
}

/// The cache's [`CacheStats`] as JSON at `path`, for operators and the load benchmark.
pub(crate) fn endpoint(caching: Caching, path: String) -> crate::app::Endpoint {
    crate::app::Endpoint {
        path,
        public: false,
        handler: Arc::new(move |_req, _payload| {
            let caching = caching.clone();
            Box::pin(async move {
                let stats = caching.stats().await;
                HttpResponse::Ok()
                    .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
                    .json(stats)
            })
        }),
    }
}
