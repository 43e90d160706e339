//! The [`Session`] extractor: a handler's typed view of its request's session.

use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::state::SessionState;
use crate::HttpError;

/// The request's session, as the tool's before-hook put it there (the one slot the tools
/// layer keeps for any session).
pub(super) fn state_of(req: &HttpRequest) -> Option<Rc<SessionState>> {
    let access: Rc<dyn std::any::Any> = crate::tools::session_access(req)?;
    access.downcast().ok()
}

/// The request's session: a handler argument, under a path where `tools.sessions.on` holds.
///
/// Values are stored as JSON under string keys. The first call loads the session (a request
/// that takes a `Session` and never calls it costs nothing); what the request changes is
/// saved when its handler has answered, key by key, so two requests of one session that
/// write different keys at once both keep their writes, and of two that write the same key
/// the one saved last wins. Each method answers 503 (with `Retry-After`) when the store is
/// unreachable: return the error with `?`.
///
/// ```
/// use drupe::sessions::Session;
/// use drupe::{App, HttpError, controller};
/// use actix_web::web::Json;
///
/// struct Root;
/// #[controller]
/// impl Root {
///     /// How many times this visitor came.
///     #[expose]
///     async fn visits(&self, session: Session) -> Result<Json<u64>, HttpError> {
///         let n = session.get::<u64>("visits").await?.unwrap_or(0) + 1;
///         session.insert("visits", n).await?;
///         Ok(Json(n))
///     }
/// }
/// let app = App::builder(Root).set("/", "tools.sessions.on", true).build().unwrap();
/// # actix_web::rt::System::new().block_on(async {
/// let c = drupe::testing::TestClient::new(app).await;
/// let first = c.get("/visits").send().await;
/// first.assert_text("1");
/// let cookie = first.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
/// c.get("/visits").header("cookie", &cookie).send().await.assert_text("2");
/// # });
/// ```
///
/// Under a path where the tool is off, extracting a `Session` is a 500 whose log line says
/// to switch `tools.sessions.on` on there.
#[derive(Clone)]
pub struct Session(Rc<SessionState>);

impl Session {
    /// The value of `key`, if the session has one. A value of another type than `T` is a 500
    /// (the application wrote it differently elsewhere).
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, HttpError> {
        match self.0.get(key).await? {
            None => Ok(None),
            Some(v) => serde_json::from_value(v).map(Some).map_err(|e| {
                HttpError::internal(format!(
                    "the session's value of {key:?} is not a {}: {e}",
                    std::any::type_name::<T>()
                ))
            }),
        }
    }

    /// Sets `key` to `value`. A session that had no id gets a new one, and the response its
    /// cookie.
    pub async fn insert(&self, key: &str, value: impl Serialize) -> Result<(), HttpError> {
        let value = serde_json::to_value(value).map_err(|e| {
            HttpError::internal(format!("the session's value of {key:?} is not JSON: {e}"))
        })?;
        self.0.insert(key, value).await
    }

    /// Removes `key`.
    pub async fn remove(&self, key: &str) -> Result<(), HttpError> {
        self.0.remove(key).await
    }

    /// Gives the session a new id and keeps its values; the old id stops working at once.
    /// Call it when the visitor's privileges change (signing in), so that an id someone
    /// planted before is worth nothing after.
    pub async fn renew(&self) -> Result<(), HttpError> {
        self.0.renew().await
    }

    /// Ends the session: its values are removed from the store and the response expires the
    /// cookie (signing out). Values inserted afterwards start a new session with a new id.
    pub async fn purge(&self) -> Result<(), HttpError> {
        self.0.purge().await
    }
}

impl FromRequest for Session {
    type Error = HttpError;
    type Future = std::future::Ready<Result<Self, HttpError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(state_of(req).map(Session).ok_or_else(|| {
            HttpError::internal(format!(
                "a handler of {} takes a Session, but the sessions tool is off there: set \
                 tools.sessions.on = true for the path",
                req.path()
            ))
        }))
    }
}
