//! Who is calling, and how often they may fail to say so: what the authentication, session
//! and rate-limit tools tell one another and the handlers.
//!
//! The authentication tools (`auth_basic`, `auth_bearer`, `session_auth`) check credentials
//! with a [`Verifier`] the application gives them and, when the credentials hold, put an
//! [`Identity`] in the request; a handler takes it as an argument. Before checking a password
//! they ask the request's [`Attempts`] (the `rate_limit` tool puts one there) whether the
//! client and the account may still try, and tell it of each failure. Tools never import one
//! another: these types are the whole of what they share.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::HttpError;

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Basic` (`auth_basic`).
    Basic,
    /// `Authorization: Bearer` (`auth_bearer`).
    Bearer,
    /// A login form and the session it opened (`session_auth`).
    Session,
}

/// Who the caller is, as an authentication tool established it. A handler argument: an
/// `Identity` answers 401 where no tool authenticated the request, an `Option<Identity>` is
/// `None` there.
///
/// ```
/// use drupe::tools::{Identity, Scheme};
/// use drupe::controller;
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self, who: Option<Identity>) -> String {
///         match who {
///             Some(who) => format!("hello {}", who.name()),
///             None => "hello stranger".to_owned(),
///         }
///     }
/// }
/// let id = Identity::new("admin", Scheme::Basic);
/// assert_eq!((id.name(), id.scheme()), ("admin", Scheme::Basic));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Shared: an identity is cloned into every request a remembered verification admits.
    name: Arc<str>,
    scheme: Scheme,
}

impl Identity {
    /// `name`, proved by `scheme`.
    pub fn new(name: impl Into<String>, scheme: Scheme) -> Self {
        Self {
            name: Arc::from(name.into()),
            scheme,
        }
    }

    /// The account's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How it was proved.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The identity an authentication tool put in `req`, if any.
    pub fn of(req: &HttpRequest) -> Option<Identity> {
        req.extensions().get::<Caller>()?.identity.clone()
    }

    /// Whether an authentication tool put an identity in `req`.
    pub fn is_attached(req: &HttpRequest) -> bool {
        req.extensions()
            .get::<Caller>()
            .is_some_and(|c| c.identity.is_some())
    }

    /// Puts the identity in `req`, for the handler and the tools after this one: what an
    /// authentication tool does once the credentials hold.
    pub fn attach(self, req: &HttpRequest) {
        with_caller(req, |c| c.identity = Some(self));
    }
}

impl crate::dispatch::doc::Answers for Identity {
    const ANSWERS: &'static [(u16, &'static str)] =
        &[(401, "No authentication tool vouched for the caller")];
}

impl FromRequest for Identity {
    type Error = HttpError;
    type Future = std::future::Ready<Result<Self, HttpError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            Identity::of(req)
                .ok_or_else(|| HttpError::unauthorized("This resource needs you to be signed in.")),
        )
    }
}

/// Checks a user's password: the application's, given to the authentication tools.
///
/// `Ok(None)` means the credentials are wrong (the tools answer 401 and count a failure);
/// an `Err` is the verifier's own failure (the database is down), answered as it says. Hash
/// passwords with a slow function (`argon2`): the tools remember a verification that held
/// for a short while, so a client sending Basic credentials with every request does not pay
/// it each time.
///
/// ```
/// use drupe::tools::{Identity, Scheme, Verifier, verifier_fn};
/// let v = verifier_fn(|user, password| async move {
///     Ok((user == "admin" && password == "secret").then(|| Identity::new(user, Scheme::Basic)))
/// });
/// # actix_web::rt::System::new().block_on(async {
/// assert!(v.verify("admin", "secret").await.unwrap().is_some());
/// assert!(v.verify("admin", "guess").await.unwrap().is_none());
/// # });
/// ```
pub trait Verifier: Send + Sync + 'static {
    /// The identity `user` proves with `password`, if it does.
    fn verify<'a>(
        &'a self,
        user: &'a str,
        password: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Identity>, HttpError>>;
}

/// A [`Verifier`] from an async function of the user and the password.
pub fn verifier_fn<F, Fut>(f: F) -> impl Verifier
where
    F: Fn(String, String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Option<Identity>, HttpError>> + 'static,
{
    struct FnVerifier<F>(F);
    impl<F, Fut> Verifier for FnVerifier<F>
    where
        F: Fn(String, String) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Option<Identity>, HttpError>> + 'static,
    {
        fn verify<'a>(
            &'a self,
            user: &'a str,
            password: &'a str,
        ) -> LocalBoxFuture<'a, Result<Option<Identity>, HttpError>> {
            Box::pin((self.0)(user.to_owned(), password.to_owned()))
        }
    }
    FnVerifier(f)
}

/// The failed-credentials budget of one request's client, which the `rate_limit` tool puts
/// in the request and the authentication tools consult: before checking an account's
/// password they ask [`Attempts::check`], and tell [`Attempts::failed`] when it was wrong.
pub trait Attempts: Send + Sync + 'static {
    /// `Err(wait)` when this client, or anyone on `account`, has failed too often: the
    /// caller answers 429 with `Retry-After` (whole seconds, rounded up) and checks nothing.
    fn check(&self, account: &str) -> Result<(), Duration>;
    /// Counts a failure of this client on `account`.
    fn failed(&self, account: &str);
}

/// What the request's tools know of its caller: one slot in the request for both (a request
/// with credentials carries the two, and a second slot would grow the request's map).
#[derive(Default)]
struct Caller {
    identity: Option<Identity>,
    attempts: Option<Arc<dyn Attempts>>,
}

/// Changes the request's [`Caller`], made when missing.
fn with_caller(req: &HttpRequest, change: impl FnOnce(&mut Caller)) {
    change(req.extensions_mut().get_or_insert_with(Caller::default));
}

/// The request's [`Attempts`], if a `rate_limit` tool covers its path.
pub fn attempts(req: &HttpRequest) -> Option<Arc<dyn Attempts>> {
    req.extensions().get::<Caller>()?.attempts.clone()
}

/// Puts `attempts` in the request (the `rate_limit` tool's before-hook).
pub fn set_attempts(req: &HttpRequest, attempts: Arc<dyn Attempts>) {
    with_caller(req, |c| c.attempts = Some(attempts));
}

/// 429 Too Many Requests with `Retry-After` for a client or account out of attempts.
pub fn too_many_attempts(wait: Duration) -> HttpError {
    HttpError::too_many_requests(wait, "Too many failed attempts; wait before trying again.")
}
