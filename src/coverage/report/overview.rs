//! The overview's view model (`overview.html`), shown when no handler is chosen: the declared
//! methods never called, the documented statuses never answered by handlers that were called,
//! and the requests that ended on a node without a handler (404s of the walk, 405s).

use std::collections::BTreeMap;

use serde::Serialize;

use super::view::{Verb, View, verbs};
use crate::http::reason;

/// The three lists; the first two empty when all is covered.
#[derive(Serialize)]
pub(super) struct Overview {
    never: Vec<NeverCalled>,
    unseen: Vec<UnseenStatus>,
    unanswered: Vec<Unanswered>,
}

/// A declared method of a handler that was never called.
#[derive(Serialize)]
struct NeverCalled {
    method: String,
    path: String,
    href: String,
}

/// A documented status a called handler never answered with.
#[derive(Serialize)]
struct UnseenStatus {
    /// The badges tell apart two handlers on one path (method dispatcher).
    verbs: Vec<Verb>,
    path: String,
    href: String,
    /// `404 Not Found`.
    status: String,
}

/// A node's requests that no handler answered, by method: `GET 2, PUT 1`.
#[derive(Serialize)]
struct Unanswered {
    path: String,
    not_found: String,
    not_allowed: String,
}

/// The overview of what `v` shows.
pub(super) fn overview(v: &View<'_>) -> Overview {
    let shown = || {
        v.data
            .handlers
            .iter()
            .enumerate()
            .filter(|(_, h)| !v.excluded(&h.path))
    };
    let never = shown()
        .flat_map(|(i, h)| {
            h.declared_methods
                .iter()
                .filter(|m| !h.called_with(m))
                .map(move |m| NeverCalled {
                    method: m.clone(),
                    path: h.path.clone(),
                    href: v.link_handler(i),
                })
        })
        .collect();
    let unseen = shown()
        .filter(|(_, h)| h.hits() > 0)
        .flat_map(|(i, h)| {
            h.declared_statuses
                .iter()
                .filter(|s| !h.answered(**s))
                .map(move |s| UnseenStatus {
                    verbs: verbs(h),
                    path: h.path.clone(),
                    href: v.link_handler(i),
                    status: format!("{s} {}", reason(*s)),
                })
        })
        .collect();
    let unanswered = v
        .data
        .nodes
        .iter()
        .filter(|n| !n.not_found.is_empty() || !n.not_allowed.is_empty())
        .map(|n| Unanswered {
            path: n.path.clone(),
            not_found: by_method(&n.not_found),
            not_allowed: by_method(&n.not_allowed),
        })
        .collect();
    Overview {
        never,
        unseen,
        unanswered,
    }
}

fn by_method(counts: &BTreeMap<String, u64>) -> String {
    counts
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
