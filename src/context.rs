//! The request context: what the application tells every part that answers a request.
//!
//! This module owns [`Context`] — the trusted proxies, the names operator pages answer for,
//! the bounds on heads and bodies, the templates, and the application's shared state — and
//! [`State`], the extractor handlers read that state with. The pipeline puts the context into
//! each request's extensions before anything else runs, so an application served by the
//! engine, mounted with [`App::service`](crate::App::service), [`App::scope`](crate::App::scope)
//! or [`App::configure`](crate::App::configure), or called by the test clients reads the same
//! values; nothing depends on actix-web's `app_data`, which a bare service never registers.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::HttpError;
use crate::http::client::TrustedProxies;
use crate::templates::Templates;

/// What the application tells every part that answers a request.
pub(crate) struct Context {
    /// `[global] server.trusted_proxies`: whose proxy headers count.
    pub(crate) proxies: TrustedProxies,
    /// `[global] server.allowed_hosts`: names besides the loopback ones that operator pages
    /// answer for (lower case, without a port).
    pub(crate) allowed_hosts: Vec<String>,
    /// `[global] server.body_timeout`: how long a request body may stall.
    pub(crate) body_timeout: Duration,
    /// `[global] server.max_uri_length`: longer request targets get 414.
    pub(crate) max_uri: usize,
    /// `[global] server.max_header_size`: a larger request head gets 431.
    pub(crate) max_head: usize,
    /// The templates of HTML representations, pages and error pages.
    pub(crate) templates: Option<Arc<Templates>>,
    /// Values registered with `AppBuilder::state`, by type.
    pub(crate) states: StateMap,
}

/// Shared values by type.
#[derive(Default, Clone)]
pub(crate) struct StateMap(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(value));
    }

    fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|v| v.clone().downcast::<T>().ok())
    }
}

impl Context {
    /// Makes `ctx` the context of `req`.
    pub(crate) fn install(ctx: &Arc<Context>, req: &HttpRequest) {
        req.extensions_mut().insert(ctx.clone());
    }
}

/// Where the application's mount prefix ends in a request's path, kept in its extensions when
/// the application is mounted below the root (absent: at the root).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MountEnd(pub(crate) usize);

/// The application's mount prefix in `req`'s path (`/api`; empty at the root).
pub(crate) fn mount_prefix(req: &HttpRequest) -> String {
    let end = req.extensions().get::<MountEnd>().map_or(0, |m| m.0);
    req.path().get(..end).unwrap_or("").to_owned()
}

/// A value of the application's that drupe keeps beside its states (the compiled tree, for
/// URLs built from handlers).
pub(crate) fn internal_state<T: Send + Sync + 'static>(req: &HttpRequest) -> Option<Arc<T>> {
    req.extensions()
        .get::<Arc<Context>>()
        .and_then(|c| c.states.get::<T>())
}

/// Whether `req` came from a proxy its application trusts, so that its proxy headers count.
pub(crate) fn behind_proxy(req: &HttpRequest) -> bool {
    req.extensions()
        .get::<Arc<Context>>()
        .is_some_and(|c| c.proxies.trusts_peer(req))
}

/// The client's address: the peer, or behind trusted proxies the forwarded client; `None`
/// when it cannot be known.
pub(crate) fn client_ip(req: &HttpRequest) -> Option<std::net::IpAddr> {
    match req.extensions().get::<Arc<Context>>() {
        Some(c) => c.proxies.client_ip(req),
        None => TrustedProxies::none().client_ip(req),
    }
}

/// The templates of the application answering `req`.
pub(crate) fn templates(req: &HttpRequest) -> Option<Arc<Templates>> {
    req.extensions()
        .get::<Arc<Context>>()
        .and_then(|c| c.templates.clone())
}

/// A value the application registered with `AppBuilder::state`, as a handler argument.
///
/// ```
/// use drupe::{App, State, controller};
///
/// struct Greeting(&'static str);
/// struct Root;
///
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self, greeting: State<Greeting>) -> String {
///         greeting.0.to_owned()
///     }
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let app = App::builder(Root).state(Greeting("hello")).build().unwrap();
/// let client = drupe::testing::TestClient::new(app).await;
/// client.get("/").send().await.assert_text("hello");
/// # });
/// ```
///
/// A handler asking for a type nobody registered answers 500, the type named in the log.
pub struct State<T>(Arc<T>);

impl<T> State<T> {
    /// The shared value.
    pub fn into_inner(self) -> Arc<T> {
        self.0
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for State<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

impl<T: Send + Sync + 'static> FromRequest for State<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req
            .extensions()
            .get::<Arc<Context>>()
            .and_then(|c| c.states.get::<T>());
        std::future::ready(match found {
            Some(v) => Ok(State(v)),
            None => Err(HttpError::internal(format!(
                "no state of type {} was registered with AppBuilder::state",
                std::any::type_name::<T>()
            ))
            .into()),
        })
    }
}
