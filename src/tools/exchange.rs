//! What a tool knows about the request it is called for.

use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpRequest;

use crate::dispatch::tree::{HandlerId, HandlerInfo, NodeId, Tree};

/// What a tool knows about the request it is called for.
pub struct Exchange {
    pub(crate) req: HttpRequest,
    pub(crate) tree: Arc<Tree>,
    pub(crate) handler: Option<HandlerId>,
    pub(crate) node: NodeId,
    pub(crate) is_index: bool,
    pub(crate) start: Instant,
    pub(crate) behind_proxy: bool,
    /// Where the application's mount prefix ends in the raw path.
    pub(crate) path_start: usize,
    /// What the walk decided, until the handler is called (a tool may lend it to another verb
    /// of the resource first: [`Exchange::current`]).
    pub(crate) routed: std::cell::RefCell<Option<crate::dispatch::Routed>>,
    /// The path an internal redirect dispatched instead of the request's.
    pub(crate) retarget: Option<std::rc::Rc<crate::dispatch::Retarget>>,
    /// The handler's deadline, set by a tool ([`Exchange::set_deadline`]).
    pub(crate) deadline: std::cell::Cell<Option<Deadline>>,
}

/// How long the handler of a request may run, and what the client hears when it runs longer.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub(crate) after: std::time::Duration,
    pub(crate) status: actix_web::http::StatusCode,
    pub(crate) retry_after: u32,
}

impl Deadline {
    /// `after` from the handler's call; then `status` (503 or 504) with `Retry-After:
    /// retry_after`.
    pub fn new(
        after: std::time::Duration,
        status: actix_web::http::StatusCode,
        retry_after: u32,
    ) -> Self {
        Self {
            after,
            status,
            retry_after,
        }
    }
}

impl Exchange {
    /// The method the request is answered as: its own, or GET for the hops of an
    /// [`InternalRedirect`](crate::InternalRedirect). Tools decide by this one.
    pub fn method(&self) -> &actix_web::http::Method {
        if self.retarget.is_some() {
            &actix_web::http::Method::GET
        } else {
            self.req.method()
        }
    }

    /// The application's mount prefix in the request's path (`/api`; empty at the root).
    pub fn mount_prefix(&self) -> &str {
        let path = self.req.path();
        &path[..self.path_start.min(path.len())]
    }

    /// Whether the request is answered through an
    /// [`InternalRedirect`](crate::InternalRedirect): [`Exchange::path`] is then its target,
    /// not the client's URL.
    pub fn is_internal_redirect(&self) -> bool {
        self.retarget.is_some()
    }

    /// Bounds the time the handler may run (the `timeout` tool): the pipeline cancels it at the
    /// deadline and answers as the deadline says.
    pub fn set_deadline(&self, deadline: Deadline) {
        self.deadline.set(Some(deadline));
    }

    /// What negotiation chose, for a `#[produces]` handler.
    fn chosen(&self) -> Option<crate::represent::Chosen> {
        use actix_web::HttpMessage;
        self.req
            .extensions()
            .get::<crate::represent::Chosen>()
            .copied()
    }

    /// The media type negotiation chose, for a `#[produces]` handler.
    pub fn chosen_media(&self) -> Option<&'static str> {
        self.chosen().map(|c| c.media)
    }

    /// The index in the handler's `produces` of the media type negotiation chose.
    pub(crate) fn chosen_index(&self) -> Option<usize> {
        self.chosen().map(|c| c.index)
    }

    /// The request.
    pub fn request(&self) -> &HttpRequest {
        &self.req
    }

    /// The request's path below the application's mount prefix, as sent (percent-encoded).
    /// After an [`InternalRedirect`](crate::InternalRedirect), the path it dispatched.
    pub fn path(&self) -> &str {
        if let Some(t) = &self.retarget {
            return &t.path;
        }
        let path = self.req.path();
        path.get(self.path_start.min(path.len())..).unwrap_or(path)
    }

    /// The handler the dispatcher chose: none for a path the tree does not have (the
    /// before-hooks still run, so that a tool such as the static files may answer it).
    pub fn handler(&self) -> Option<&HandlerInfo> {
        self.handler.map(|h| self.tree.handler(h))
    }

    /// The deepest node reached (the resource's node for a 405 or 406).
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The compiled tree.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// CherryPy's `is_index`: the handler is an `index` reached through the final segment, or
    /// a `default` with the path ending in `/`.
    pub fn is_index(&self) -> bool {
        self.is_index
    }

    /// When the request arrived.
    pub fn started(&self) -> Instant {
        self.start
    }

    /// `scheme://host` of the request (proxy headers honoured only when configured).
    pub fn base_url(&self) -> String {
        crate::http::url::base_url(&self.req, self.behind_proxy)
    }
}
