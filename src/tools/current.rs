//! The current state of the resource a request would change, read by calling its own `head`
//! or `get` verb before the change: what `If-Match` and `If-Unmodified-Since` are compared
//! with (RFC 9110 §13.1.1, §13.1.4).

use std::panic::AssertUnwindSafe;

use actix_web::body::MessageBody;
use actix_web::dev::Payload;
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpMessage, HttpResponse};
use futures_util::FutureExt;

use super::Exchange;
use crate::HttpError;
use crate::dispatch::Call;
use crate::dispatch::tree::HandlerId;
use crate::dispatch::tree::NodeKind;
use crate::http::conditional::{Current, NotARepresentation, Versioned, strong_etag, version_tag};
use crate::represent::Chosen;

impl Exchange {
    /// The validators of the current representations of the resource this request is for: its
    /// `head` verb is called if it has one (a [`Validators`](crate::represent::Validators)
    /// answer costs no rendering), else — or when that tells no tag — its `get`, once for each
    /// media type it answers (once in all when the answer carries a version). `None` when the
    /// request's node is not a resource, whose verbs tell reading from changing; a 404 or 410
    /// means no current representation; any other error is the answer to give instead.
    pub(crate) async fn current(&self) -> Option<Result<Current, HttpResponse>> {
        let node = self.tree.node(self.node);
        if node.kind() != NodeKind::Resource {
            return None;
        }
        let n = &self.tree.nodes[self.node as usize];
        let get = n.verb(&Method::GET);
        // The media types a GET answers in: the tags a client can hold.
        let media: Vec<&'static str> = get
            .map(|g| {
                let info = &self.tree.handlers[g as usize].info;
                (0..info.produces().len())
                    .map(|i| info.produced_static(i))
                    .collect()
            })
            .unwrap_or_default();
        let own = self.req.extensions_mut().remove::<Chosen>();
        let mut found = Ok(Current::default());
        for h in [n.verb(&Method::HEAD), get].into_iter().flatten() {
            found = self.read(h, &media).await;
            match &found {
                Ok(c) if c.exists && c.tags.is_empty() => continue,
                _ => break,
            }
        }
        self.req.extensions_mut().remove::<Chosen>();
        if let Some(c) = own {
            self.req.extensions_mut().insert(c);
        }
        Some(found)
    }

    /// The validators handler `h` answers, in each of its media types.
    async fn read(&self, h: HandlerId, media: &[&'static str]) -> Result<Current, HttpResponse> {
        let Some(routed) = self.routed.borrow().clone() else {
            return Ok(Current::default());
        };
        let handler = &self.tree.handlers[h as usize];
        let info = &handler.info;
        let produced = info.produces().len();
        let mut current = Current::default();
        for i in 0..produced.max(1) {
            let here_media = (produced > 0).then(|| info.produced_static(i));
            if produced > 0 {
                self.req.extensions_mut().insert(Chosen {
                    repr: info.repr_of(i),
                    media: info.produced_static(i),
                    index: i,
                });
            }
            let call = Call {
                req: self.req.clone(),
                payload: Payload::None,
                segs: routed.segs.clone(),
                path_start: routed.path_start,
                vpath: routed.vpath.clone(),
                hook_params: routed.hook_params.clone(),
                form: None,
                show_mismatched: routed.show_mismatched,
                max_fields: routed.max_fields,
                retarget: routed.retarget.clone(),
            };
            let res = match AssertUnwindSafe((handler.entry)(call)).catch_unwind().await {
                Ok(Ok(res)) => res,
                Ok(Err(e)) => HttpResponse::from_error(e),
                Err(_) => HttpResponse::from_error(HttpError::internal(format!(
                    "handler {} panicked while its validators were read",
                    info.path()
                ))),
            };
            let status = res.status();
            if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
                return Ok(Current::default());
            }
            if !status.is_success() {
                return Err(res);
            }
            current.exists = true;
            let here = Current::of_response(res.headers());
            current.last_modified = current.last_modified.max(here.last_modified);
            if let Some(Versioned(v)) = res.extensions().get::<Versioned>().cloned() {
                // One answer tells the tag of every representation a GET answers in.
                let all: Vec<Option<&'static str>> = if media.is_empty() {
                    vec![None]
                } else {
                    media.iter().copied().map(Some).collect()
                };
                current.tags.clear();
                current.media.clear();
                for m in all {
                    if let Ok(t) = version_tag(&v, m).to_str().unwrap_or("").parse() {
                        current.tags.push(t);
                        current.media.push(m);
                    }
                }
                return Ok(current);
            }
            if let Some(t) = here.tags.into_iter().next() {
                current.tags.push(t);
                current.media.push(here_media);
            } else if status == StatusCode::OK
                && !res.extensions().contains::<NotARepresentation>()
                && let Ok(bytes) = res.into_body().try_into_bytes()
                && let Ok(t) = strong_etag(&bytes).to_str().unwrap_or("").parse()
            {
                current.tags.push(t);
                current.media.push(here_media);
            }
        }
        Ok(current)
    }

    /// The tag of the current representation the client would get (its `Accept`), for the
    /// `ETag` of a 412: the one of the negotiated media type, else the first.
    pub(crate) fn current_tag_for_client(&self, current: &Current) -> Option<header::HeaderValue> {
        let chosen = self.chosen_media();
        let i = current
            .media
            .iter()
            .position(|m| m.is_some() && *m == chosen)
            .unwrap_or(0);
        let tag = current.tags.get(i)?;
        header::HeaderValue::from_str(&tag.to_string()).ok()
    }
}
