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
}

impl Exchange {
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
    pub fn path(&self) -> &str {
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
