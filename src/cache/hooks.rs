//! The tool's hooks: the lookup before the handler (a hit, a wait for the stampede loader, or
//! a miss), and after it the invalidations of an unsafe method and the storing of a miss.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::watch;

use super::Target;
use super::control::{IfNoneMatch, RequestDirectives, ResponsePolicy};
use super::entry::{self, Stored};
use super::invalidate::{PendingInvalidations, ResponseTags};
use super::policy::{self, Credentials};
use super::respond::hit_response;
use super::state::{LoadState, LoaderSlot, RequestState};
use super::{BackendError, CacheOutcome, Caching, CachingConfig, Inner, Lookup, control};
use crate::HttpError;
use crate::http::not_modified;
use crate::tools::{After, Before, Exchange, Tool};

fn request_uri(ex: &Exchange) -> String {
    let req = ex.request();
    let pq = req.uri().path_and_query().map_or("/", |p| p.as_str());
    crate::http::url::base_url_then(req, ex.behind_proxy, pq)
}

/// Counts a request the cache does not answer and records it for the after-hook;
/// `may_store` when its response may still be stored (a request with credentials, whose
/// response may say it can be shared).
fn bypass(inner: &Inner, req: &HttpRequest, uri: String, may_store: bool) {
    inner.counters.bypasses.fetch_add(1, Ordering::Relaxed);
    req.extensions_mut().insert(RequestState {
        uri,
        outcome: CacheOutcome::Bypass,
        loader: None,
        may_store,
    });
}

/// Records a miss computed without a loader slot for the after-hook (the count is taken).
fn miss(req: &HttpRequest, uri: String, may_store: bool) {
    req.extensions_mut().insert(RequestState {
        uri,
        outcome: CacheOutcome::Miss,
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

/// What the before-hook read from a `GET` or `HEAD` request, for its lookup.
struct Asked<'a> {
    req: &'a HttpRequest,
    uri: String,
    directives: RequestDirectives,
    /// Read once here: a hit answers `If-None-Match` from this parse.
    inm: Option<IfNoneMatch>,
    credentials: Credentials,
    may_store: bool,
}

impl<'a> Asked<'a> {
    /// Reads the request's `Cache-Control` (or `Pragma`) and `If-None-Match`; `Err` names
    /// the malformed one.
    fn read(req: &'a HttpRequest, uri: String) -> Result<Self, control::Malformed> {
        let directives = control::request(req.headers())?;
        let inm = control::if_none_match(req.headers())?;
        Ok(Self {
            req,
            uri,
            directives,
            inm,
            credentials: Credentials::of(req.headers()),
            may_store: policy::method_stores(req.method()) && !directives.no_store,
        })
    }

    /// Whether a stored response is fresh enough for the request and may be shared with it.
    #[inline]
    fn accepts(&self, stored: &Stored, now: SystemTime) -> bool {
        self.directives.max_age.is_none_or(|m| stored.age(now) <= m)
            && (!self.credentials.any() || self.credentials.may_share(stored.sharing()))
    }

    /// Records a hit and answers with `stored`.
    #[inline]
    fn hit(
        self,
        inner: &Inner,
        cfg: &CachingConfig,
        stored: &Stored,
        now: SystemTime,
    ) -> HttpResponse {
        record_hit(inner, self.req, self.uri);
        hit_response(stored, self.req, self.inm.as_ref(), cfg, now)
    }
}

/// Answers a `GET` or `HEAD` from the cache, or records a bypass or a miss for the
/// after-hook and lets the handler answer (`None`).
async fn look_up(inner: Arc<Inner>, cfg: &CachingConfig, asked: Asked<'_>) -> Option<HttpResponse> {
    let req = asked.req;
    let headers = req.headers();
    let variant_of = move |vary: &[String]| entry::variant_key(vary, headers);
    let found = if asked.directives.no_cache {
        Ok(Lookup::Miss(None))
    } else {
        inner.backend.lookup(&asked.uri, &variant_of).await
    };
    let now = SystemTime::now();
    let vary = match found {
        Ok(Lookup::Hit(stored)) if asked.accepts(&stored, now) => {
            inner.succeeded();
            return Some(asked.hit(&inner, cfg, &stored, now));
        }
        Ok(Lookup::Hit(_)) => None,
        Ok(Lookup::Miss(vary)) => {
            inner.succeeded();
            vary
        }
        Err(e) => {
            inner.failed(&e);
            bypass(&inner, asked.req, asked.uri, false);
            return None;
        }
    };
    if asked.credentials.any() {
        // Its answer may be its own: it neither waits for another request's answer
        // nor makes others wait for its own.
        bypass(&inner, asked.req, asked.uri, asked.may_store);
        return None;
    }
    inner.counters.misses.fetch_add(1, Ordering::Relaxed);
    if asked.directives.no_cache {
        // A refresh computes its own answer: it neither waits for the key's loader
        // (whose answer it refused) nor takes the loader's place (its waiters would be
        // cut off, and the loader's end would remove the newcomer's slot).
        miss(asked.req, asked.uri, asked.may_store);
        return None;
    }
    // One loader per key: the URI's variant when its Vary is known, else the URI.
    let variant = vary.as_ref().map(|v| variant_of(v));
    let key = match &variant {
        Some(v) => format!("{}\u{0}{v}", asked.uri),
        None => asked.uri.clone(),
    };
    share_load(inner, cfg, asked, key).await
}

/// A miss's place among the concurrent misses of its key.
enum Claim {
    /// Another request is the key's loader: wait for its answer.
    Wait(watch::Receiver<LoadState>),
    /// This request is the key's loader now.
    Loader,
    /// No loader, and this request (a `HEAD`, which stores nothing) is nobody's loader.
    Alone,
}

/// Subscribes to the key's loader, or makes this request the loader when it may be one.
#[inline]
fn claim(inner: &Inner, key: &str, method: &Method) -> Claim {
    let mut loaders = inner.loaders.lock().unwrap_or_else(|e| e.into_inner());
    match loaders.get(key) {
        Some(tx) => Claim::Wait(tx.subscribe()),
        None if !policy::method_stores(method) => Claim::Alone,
        None => {
            let (tx, _) = watch::channel(LoadState::Pending);
            loaders.insert(key.to_owned(), tx);
            Claim::Loader
        }
    }
}

/// Makes a miss the loader of `key`, or has it wait for the loader's stored response; it
/// computes its own when that is released, late, or another variant.
async fn share_load(
    inner: Arc<Inner>,
    cfg: &CachingConfig,
    asked: Asked<'_>,
    key: String,
) -> Option<HttpResponse> {
    let mut rx = match claim(&inner, &key, asked.req.method()) {
        Claim::Wait(rx) => rx,
        Claim::Alone => {
            miss(asked.req, asked.uri, false);
            return None;
        }
        Claim::Loader => {
            asked.req.extensions_mut().insert(RequestState {
                uri: asked.uri,
                outcome: CacheOutcome::Miss,
                loader: Some(LoaderSlot {
                    key,
                    inner,
                    done: false,
                }),
                may_store: asked.may_store,
            });
            return None;
        }
    };
    let got = tokio::time::timeout(
        cfg.stampede_wait(),
        rx.wait_for(|s| !matches!(s, LoadState::Pending)),
    )
    .await;
    if let Ok(Ok(state)) = got
        && let LoadState::Stored(stored, vary, variant) = &*state
        && entry::variant_key(vary, asked.req.headers()) == *variant
    {
        return Some(asked.hit(&inner, cfg, stored, SystemTime::now()));
    }
    // Released, timed out, or another variant: compute it here.
    miss(asked.req, asked.uri, asked.may_store);
    None
}

impl Tool for Caching {
    type Config = CachingConfig;
    const NAME: &'static str = "caching";

    fn priority(&self) -> i32 {
        90
    }

    fn on_build(&self, build: &mut crate::tools::Build<'_>) -> Result<(), crate::ConfigError> {
        self.build(build)
    }

    fn responses(&self, _: &CachingConfig, method: &str) -> Vec<(u16, &'static str)> {
        match method {
            "GET" | "HEAD" => vec![(
                304,
                "Not modified: the request's If-None-Match or If-Modified-Since matches the \
                 stored response",
            )],
            _ => Vec::new(),
        }
    }

    fn before_handler<'a>(&'a self, cfg: &'a CachingConfig, ex: &'a Exchange) -> Before<'a> {
        if ex.handler().is_none() {
            // A path the tree does not have (answered by another tool, or 404): not cached.
            return Before::Continue;
        }
        let req = ex.request();
        let method = ex.method();
        let uri = request_uri(ex);
        if !(*method == Method::GET || *method == Method::HEAD) {
            bypass(&self.inner, req, uri, false);
            return Before::Continue;
        }
        match Asked::read(req, uri) {
            Ok(asked) => Before::Pending(Box::pin(look_up(self.inner.clone(), cfg, asked))),
            Err(control::Malformed(h)) => Before::Respond(HttpResponse::from_error(
                HttpError::bad_request(format!("Invalid {h} header")),
            )),
        }
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
        if success && cfg.invalidating.iter().any(|m| m == ex.method().as_str()) {
            to_invalidate.push(Target::Uri(state.uri.clone()));
            let base = ex.base_url();
            for h in [header::LOCATION, header::CONTENT_LOCATION] {
                if let Some(loc) = res.headers().get(&h).and_then(|v| v.to_str().ok()) {
                    let abs = crate::http::url::absolute(req, ex.behind_proxy, loc);
                    // Only URIs of this origin (RFC 9111 §4.4).
                    if abs.starts_with(&base) {
                        to_invalidate.push(Target::Uri(abs));
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
            invalidate_all(&inner, to_invalidate, cfg.invalidate_wait()).await;
            let mut res = res;
            if state.may_store {
                res = store(&inner, cfg, req, &mut state, res).await;
            }
            finish(cfg, req, &state, res)
        }))
    }
}

/// Invalidates `targets` together, waiting `deadline` at most: each one unfinished by then
/// counts as a backend failure (its entries may outlive the change).
async fn invalidate_all(inner: &Inner, mut targets: Vec<Target>, deadline: Duration) {
    targets.sort_unstable();
    targets.dedup();
    let mut pending: FuturesUnordered<_> = targets.iter().map(|t| inner.invalidate(t)).collect();
    let until = tokio::time::Instant::now() + deadline;
    while let Ok(Some(_)) = tokio::time::timeout_at(until, pending.next()).await {}
    if !pending.is_empty() {
        let e = BackendError(format!(
            "{} invalidations unfinished after {deadline:?}",
            pending.len()
        ));
        for _ in 0..pending.len() {
            inner.failed(&e);
        }
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
    if state.outcome != CacheOutcome::Hit && cfg.x_cache() {
        res.headers_mut()
            .insert(HeaderName::from_static("x-cache"), state.outcome.header());
    }
    state.outcome.record(req);
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
    let response = control::response(res.headers(), now);
    let Some(vary) = storable_vary(cfg, req, &res, &response) else {
        state.release_waiters();
        return res;
    };
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
            .insert(header::ETAG, crate::http::conditional::strong_etag(&bytes));
    }
    let lifetime = response.lifetime.unwrap_or_else(|| cfg.default_lifetime());
    let vary: Arc<[String]> = vary.into();
    if lifetime > Duration::ZERO {
        let tags = req.extensions_mut().remove::<ResponseTags>();
        let stored = Stored::new(
            res.status().as_u16(),
            res.headers(),
            bytes.clone(),
            now,
            lifetime,
        )
        .with_tags(tags.map(|t| t.0).unwrap_or_default());
        put(inner, cfg, req, state, Arc::new(stored), vary).await;
    }
    state.release_waiters();
    revalidated(req, res.set_body(BoxBody::new(bytes)))
}

/// The response's `Vary` names when the response may be stored (never with `Vary: *`).
#[inline]
fn storable_vary(
    cfg: &CachingConfig,
    req: &HttpRequest,
    res: &HttpResponse,
    response: &ResponsePolicy,
) -> Option<Vec<String>> {
    let vary = entry::vary_names(res.headers())?;
    policy::storable(
        cfg,
        res.status(),
        res.headers(),
        response,
        Credentials::of(req.headers()),
    )
    .then_some(vary)
}

/// Puts `stored` in the backend under the request's variant and hands it to the requests
/// waiting for this one's answer.
async fn put(
    inner: &Inner,
    cfg: &CachingConfig,
    req: &HttpRequest,
    state: &mut RequestState,
    stored: Arc<Stored>,
    vary: Arc<[String]>,
) {
    let variant = entry::variant_key(&vary, req.headers());
    match inner
        .backend
        .store(
            &state.uri,
            &vary,
            variant.clone(),
            stored.clone(),
            cfg.max_variants,
        )
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

/// A 304 when the request's own validators already match the response it would receive,
/// else the response.
#[inline]
fn revalidated(req: &HttpRequest, res: HttpResponse) -> HttpResponse {
    // As for a hit: a success only, and If-Match first (the ETag tool's).
    if !res.status().is_success()
        || req.headers().contains_key(header::IF_MATCH)
        || req.headers().contains_key(header::IF_UNMODIFIED_SINCE)
    {
        return res;
    }
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
