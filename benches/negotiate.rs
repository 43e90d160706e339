//! Negotiation benchmarks: drupe's selection for three typical `Accept` headers against a
//! resource producing five types, and, as a baseline measured in the same run, actix-web's
//! typed `Accept` header parse followed by a naive selection.
//!
//! `cargo bench --bench negotiate`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use actix_web::http::header::{Accept, Header};
use actix_web::test::TestRequest;
use criterion::{Criterion, criterion_group, criterion_main};
use drupe::negotiate::{MediaRange, select};

const PRODUCES: [&str; 5] = [
    "application/json",
    "application/xml",
    "text/json",
    "text/x-json",
    "text/html",
];

const HEADERS: [(&str, &str); 3] = [
    (
        "browser",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    ),
    ("curl */*", "*/*"),
    ("API client", "application/json"),
];

fn drupe_select(c: &mut Criterion) {
    let produces: Vec<MediaRange> = PRODUCES
        .iter()
        .map(|m| MediaRange::parse(m).unwrap())
        .collect();
    let mut g = c.benchmark_group("negotiate/drupe");
    for (name, header) in HEADERS {
        g.bench_function(name, |b| {
            b.iter(|| black_box(select(black_box(header), &produces)).unwrap())
        });
    }
    g.finish();
}

fn actix_typed_baseline(c: &mut Criterion) {
    let produces: Vec<mime::Mime> = PRODUCES.iter().map(|m| m.parse().unwrap()).collect();
    let mut g = c.benchmark_group("negotiate/actix typed Accept (baseline)");
    for (name, header) in HEADERS {
        let req = TestRequest::default()
            .insert_header(("accept", header))
            .to_http_request();
        g.bench_function(name, |b| {
            b.iter(|| {
                let accept = Accept::parse(black_box(&req)).unwrap();
                // Ranked by q; the first produced type any range matches.
                let ranked = accept.ranked();
                let pick = ranked.iter().find_map(|r| {
                    produces.iter().position(|p| {
                        (r.type_() == mime::STAR || r.type_() == p.type_())
                            && (r.subtype() == mime::STAR || r.subtype() == p.subtype())
                    })
                });
                black_box(pick)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, drupe_select, actix_typed_baseline);
criterion_main!(benches);
