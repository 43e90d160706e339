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
use crate::dispatch::tree::NodeKind;
use crate::http::conditional::{Current, Versioned, strong_etag, version_tag};
use crate::represent::Chosen;

impl Exchange {
    /// The validators of the current representations of the resource this request is for: its
    /// `head` verb is called if it has one (a [`Validators`](crate::represent::Validators)
    /// answer costs no rendering), else its `get`, once for each media type it answers (once
    /// in all when the answer carries a version). `None` when the request's node is not a
    /// resource, whose verbs tell reading from changing; a 404 or 410 means no current
    /// representation; any other error is the answer to give instead.
    pub(crate) async fn current(&self) -> Option<Result<Current, HttpResponse>> {
        let node = self.tree.node(self.node);
        if node.kind() != NodeKind::Resource {
            return None;
        }
        let n = &self.tree.nodes[self.node as usize];
        let h = n.verb(&Method::HEAD).or_else(|| n.verb(&Method::GET));
        let Some(h) = h else {
            return Some(Ok(Current::default()));
        };
        let routed = self.routed.borrow().clone()?;
        let handler = &self.tree.handlers[h as usize];
        let info = &handler.info;
        let produced = info.produces().len();
        let own = self.req.extensions_mut().remove::<Chosen>();
        let mut current = Current::default();
        let mut answer = None;
        for i in 0..produced.max(1) {
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
                break;
            }
            if !status.is_success() {
                answer = Some(res);
                break;
            }
            current.exists = true;
            let here = Current::of_response(res.headers());
            current.last_modified = current.last_modified.max(here.last_modified);
            if let Some(Versioned(v)) = res.extensions().get::<Versioned>().cloned() {
                // One answer tells the tag of every representation.
                current.tags = (0..produced)
                    .map(|j| version_tag(&v, Some(info.produced_static(j))))
                    .chain((produced == 0).then(|| version_tag(&v, None)))
                    .filter_map(|t| t.to_str().ok()?.parse().ok())
                    .collect();
                break;
            }
            if !here.tags.is_empty() {
                current.tags.extend(here.tags);
            } else if status == StatusCode::OK
                && let Ok(bytes) = res.into_body().try_into_bytes()
                && let Ok(t) = strong_etag(&bytes).to_str().unwrap_or("").parse()
            {
                current.tags.push(t);
            }
        }
        self.req.extensions_mut().remove::<Chosen>();
        if let Some(c) = own {
            self.req.extensions_mut().insert(c);
        }
        Some(match answer {
            Some(res) => Err(res),
            None => Ok(current),
        })
    }

    /// The tag of the current representation the client would get (its `Accept`), for the
    /// `ETag` of a 412.
    pub(crate) fn current_tag_for_client(&self, current: &Current) -> Option<header::HeaderValue> {
        let i = self
            .chosen_index()
            .unwrap_or(0)
            .min(current.tags.len().checked_sub(1)?);
        header::HeaderValue::from_str(&current.tags[i].to_string()).ok()
    }
}
