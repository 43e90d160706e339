//! The request's session as other tools see it: [`SessionAccess`], which the `sessions` tool
//! puts in each request under its paths, so that a tool in another folder (`session_auth`
//! keeping who signed in) reads and writes keys and renews the id without importing it.

use std::rc::Rc;

use actix_web::{HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use crate::HttpError;

/// One request's session, values as JSON. The first call loads the session from its store;
/// what a request changes is saved once its handler has answered. Errors are the ones to
/// answer with (503 when the store is unreachable).
///
/// ```
/// use drupe::tools::{SessionAccess, session_access};
/// # async fn login(req: &actix_web::HttpRequest) -> Result<(), drupe::HttpError> {
/// // What a sign-in tool does once the password holds: a new id against fixation, then who.
/// if let Some(session) = session_access(req) {
///     session.renew().await?;
///     session.insert("user", serde_json::json!("ada")).await?;
/// }
/// # Ok(()) }
/// ```
///
/// It is `Any`, so that the tool that made it finds its own type again
/// (`Rc<dyn Any>::downcast`) without a second slot in the request.
pub trait SessionAccess: std::any::Any {
    /// The value of `key`, if the session has one.
    fn get<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<Option<Value>, HttpError>>;
    /// Sets `key` (a session that had no id gets one, and the response its cookie).
    fn insert<'a>(
        &'a self,
        key: &'a str,
        value: Value,
    ) -> LocalBoxFuture<'a, Result<(), HttpError>>;
    /// Removes `key`.
    fn remove<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, Result<(), HttpError>>;
    /// Gives the session a new id, keeping its values; the old id stops working at once.
    fn renew(&self) -> LocalBoxFuture<'_, Result<(), HttpError>>;
}

#[derive(Clone)]
struct SessionSlot(Rc<dyn SessionAccess>);

/// The request's session, if the `sessions` tool is on for its path.
pub fn session_access(req: &HttpRequest) -> Option<Rc<dyn SessionAccess>> {
    req.extensions().get::<SessionSlot>().map(|s| s.0.clone())
}

/// Puts `session` in the request (the `sessions` tool's before-hook).
pub fn set_session_access(req: &HttpRequest, session: Rc<dyn SessionAccess>) {
    req.extensions_mut().insert(SessionSlot(session));
}
