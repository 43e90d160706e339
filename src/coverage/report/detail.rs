//! A handler's detail (`detail.html`): its statuses — the documented ones first, each with its
//! count or "never tested", then those seen but not documented — and, per method called, the
//! requests, the representations written, the cache's outcomes and the latency quantiles.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::data::{HandlerData, MethodData};
use super::view::{Verb, verbs};
use crate::http::reason;

/// One handler's section.
#[derive(Serialize)]
pub(super) struct Detail {
    index: usize,
    /// The section's `id`, the static page's link target.
    anchor: String,
    verbs: Vec<Verb>,
    path: String,
    name: String,
    dispatcher: String,
    hits: u64,
    statuses: Vec<Status>,
    methods: Vec<Method>,
}

/// A row of the statuses table.
#[derive(Serialize)]
struct Status {
    code: u16,
    /// `404 Not Found`.
    status: String,
    count: u64,
    /// `seen`, `unseen` (documented, never answered) or `undeclared`.
    class: &'static str,
    note: &'static str,
}

/// What one method's requests got.
#[derive(Serialize)]
struct Method {
    method: String,
    hits: u64,
    /// `application/json 2 · application/xml 1`; empty when nothing was written.
    media: String,
    /// `hit 2 · miss 1`; empty without a cache.
    cache: String,
    /// `p50 … ms · p90 … ms · p99 … ms`; empty without timings.
    latency: String,
}

/// Handler `i`'s detail.
pub(super) fn detail(i: usize, h: &HandlerData) -> Detail {
    Detail {
        index: i,
        anchor: format!("h{i}"),
        verbs: verbs(h),
        path: h.path.clone(),
        name: h.name.clone(),
        dispatcher: h.dispatcher.clone(),
        hits: h.hits(),
        statuses: statuses(h),
        methods: h.methods.iter().map(|(m, d)| method(m, d)).collect(),
    }
}

fn statuses(h: &HandlerData) -> Vec<Status> {
    let mut seen: BTreeMap<u16, u64> = BTreeMap::new();
    for m in h.methods.values() {
        super::super::data::add_counts(&mut seen, &m.statuses);
    }
    let row = |code: u16, count: u64, class, note| Status {
        code,
        status: format!("{code} {}", reason(code)),
        count,
        class,
        note,
    };
    let declared = h.declared_statuses.iter().map(|s| {
        let n = seen.get(s).copied().unwrap_or(0);
        if n > 0 {
            row(*s, n, "seen", "")
        } else {
            row(*s, n, "unseen", "never tested")
        }
    });
    let undeclared = seen
        .iter()
        .filter(|(s, _)| !h.declared_statuses.contains(s))
        .map(|(s, n)| row(*s, *n, "undeclared", "not documented"));
    declared.chain(undeclared).collect()
}

fn method(m: &str, d: &MethodData) -> Method {
    let list = |map: &BTreeMap<String, u64>| {
        map.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let latency = match (d.latency_ms(0.5), d.latency_ms(0.9), d.latency_ms(0.99)) {
        (Some(p50), Some(p90), Some(p99)) => {
            format!("p50 {p50:.2} ms · p90 {p90:.2} ms · p99 {p99:.2} ms")
        }
        _ => String::new(),
    };
    Method {
        method: m.to_owned(),
        hits: d.hits,
        media: list(&d.media),
        cache: list(&d.cache),
        latency,
    }
}
