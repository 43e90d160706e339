//! The cache's hit path: a whole in-process request answered from the cache, against a raw
//! actix-web handler returning the same bytes (the baseline, measured in the same run); the
//! memory backend's lookup alone; and its store into a URI with one variant against one with
//! 32 (the cost of a store should not grow with the variants a URI holds).
//!
//! `cargo bench --bench cache`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{App as ActixApp, HttpResponse, test, web};
use criterion::{Criterion, criterion_group, criterion_main};
use drupe::cache::{Backend, Caching, Memory, Stored};
use drupe::{App, Negotiated, controller};

#[derive(serde::Serialize)]
struct Album {
    id: u64,
    title: &'static str,
    author: &'static str,
}

struct Root;

#[controller]
impl Root {
    #[expose]
    #[produces(json, xml)]
    fn album(&self) -> Negotiated<Album> {
        Negotiated::new(Album {
            id: 1,
            title: "Holidays",
            author: "ada",
        })
    }
}

const BODY: &str = r#"{"id":1,"title":"Holidays","author":"ada"}"#;

fn hit_path(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    let app = App::builder(Root)
        .tool(Caching::memory(1000, 10 << 20))
        .set("/", "tools.caching.on", true)
        .set("/", "tools.caching.debug_header", false)
        .build()
        .unwrap();
    let drupe_svc = rt.block_on(test::init_service(
        ActixApp::new().configure(app.configure()),
    ));
    let raw = rt.block_on(test::init_service(ActixApp::new().route(
        "/album",
        web::get().to(|| async {
            HttpResponse::Ok()
                .content_type("application/json")
                .body(BODY)
        }),
    )));
    let req = || {
        test::TestRequest::get()
            .uri("/album")
            .insert_header(("accept", "application/json"))
            .to_request()
    };
    // Warm the cache.
    let res = rt.block_on(test::call_service(&drupe_svc, req()));
    assert!(res.status().is_success());
    let mut g = c.benchmark_group("cache");
    g.bench_function("raw actix-web static bytes (baseline)", |b| {
        b.iter(|| {
            let res = rt.block_on(test::call_service(&raw, req()));
            assert!(res.status().is_success());
        })
    });
    g.bench_function("drupe cache hit", |b| {
        b.iter(|| {
            let res = rt.block_on(test::call_service(&drupe_svc, req()));
            assert!(res.status().is_success());
        })
    });
    let memory = Memory::new(1000, 10 << 20);
    let stored = Arc::new(stored_entry());
    let vary: Vec<String> = vec!["accept".into()];
    rt.block_on(memory.store(
        "http://localhost/album",
        &vary,
        "accept:application/json\n".into(),
        stored,
        32,
    ))
    .unwrap();
    g.bench_function("memory backend lookup", |b| {
        b.iter(|| {
            let variant_of = |_: &[String]| "accept:application/json\n".to_owned();
            let found =
                rt.block_on(memory.lookup(black_box("http://localhost/album"), &variant_of));
            black_box(found.unwrap());
        })
    });
    g.finish();
}

/// Storing one variant into a URI that holds `n` (replacing one of them, so it keeps `n`):
/// the cost should not grow with `n`. Compare the two lines of the same run.
fn store_among_variants(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    let vary: Vec<String> = vec!["accept".into()];
    let stored = Arc::new(stored_entry());
    let mut g = c.benchmark_group("cache store");
    for n in [1usize, 32] {
        let memory = Memory::new(1000, 100 << 20);
        for i in 0..n {
            rt.block_on(store(&memory, &vary, format!("accept:type/{i}\n"), &stored));
        }
        let mut i = 0;
        g.bench_function(format!("memory store, URI holding {n}"), |b| {
            b.iter(|| {
                i = (i + 1) % n;
                rt.block_on(store(&memory, &vary, format!("accept:type/{i}\n"), &stored));
            })
        });
    }
    g.finish();
}

async fn store(memory: &Memory, vary: &[String], variant: String, stored: &Arc<Stored>) {
    let kept = memory
        .store("http://localhost/album", vary, variant, stored.clone(), 32)
        .await;
    assert!(kept.unwrap());
}

/// Some entry for the lookup bench (`Stored`'s constructor is private to drupe).
fn stored_entry() -> Stored {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Stored::for_bench(200, &h, bytes::Bytes::from_static(BODY.as_bytes()))
}

criterion_group!(benches, hit_path, store_among_variants);
criterion_main!(benches);
