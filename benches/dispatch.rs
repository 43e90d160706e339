//! Dispatch benchmarks: the walk and argument binding alone, and whole in-process requests
//! against a raw actix-web handler measured in the same run.
//!
//! `cargo bench --bench dispatch`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use actix_web::{App as ActixApp, HttpResponse, test, web};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use drupe::{App, Kwargs, VirtualPath, controller};

struct Root {
    blog: Blog,
}

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "hello"
    }

    #[expose]
    fn default(&self, rest: VirtualPath) -> String {
        rest.join("/")
    }

    #[mount]
    fn blog(&self) -> &Blog {
        &self.blog
    }

    /// Takes every named value.
    #[expose]
    fn fields(&self, rest: Kwargs) -> String {
        rest.0.len().to_string()
    }

    /// Takes one: every other name is unexpected.
    #[expose]
    fn one(&self, title: Option<String>) -> String {
        title.unwrap_or_default()
    }
}

struct Blog {
    posts: Posts,
}

#[controller]
impl Blog {
    #[expose]
    fn index(&self) -> &'static str {
        "blog"
    }

    #[mount]
    fn posts(&self) -> &Posts {
        &self.posts
    }
}

struct Posts;

#[controller]
impl Posts {
    #[expose]
    fn post(&self, year: u16, slug: String) -> String {
        format!("{year}/{slug}")
    }

    #[expose]
    fn other(&self) -> &'static str {
        "other"
    }
}

fn app() -> App {
    App::new(Root {
        blog: Blog { posts: Posts },
    })
    .unwrap()
}

fn walk_and_bind(c: &mut Criterion) {
    let app = app();
    let mut g = c.benchmark_group("dispatch");
    g.bench_function("4 segments, 2 typed args", |b| {
        b.iter(|| {
            let ok = drupe::dev::resolve_and_bind(
                &app,
                black_box("/blog/posts/post/2024/hello-world"),
                "",
                |bound| {
                    let year: u16 = bound.arg(0).unwrap();
                    let slug: String = bound.arg(1).unwrap();
                    black_box((year, slug));
                },
            );
            assert!(ok);
        })
    });
    g.bench_function("miss ending in default", |b| {
        b.iter(|| {
            let ok = drupe::dev::resolve_and_bind(
                &app,
                black_box("/blog/nothing/here/at/all"),
                "",
                |bound| {
                    let rest: VirtualPath = bound.arg(0).unwrap();
                    black_box(rest);
                },
            );
            assert!(ok);
        })
    });
    g.finish();
}

/// Binding n distinct names: time per name stays flat as n grows (the binder looks names up
/// in one pass), read as the ratio of the per-element throughputs of n = 1000 and n = 10.
fn many_names(c: &mut Criterion) {
    let app = app();
    let mut g = c.benchmark_group("bind names");
    for n in [10usize, 100, 1000] {
        let query: String = (0..n).map(|i| format!("f{i}=&")).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("taken by Kwargs", n), &query, |b, q| {
            b.iter(|| {
                let ok = drupe::dev::resolve_and_bind(&app, "/fields", black_box(q), |bound| {
                    let all: Kwargs = bound.arg(0).unwrap();
                    assert_eq!(all.0.len(), n);
                });
                assert!(ok);
            })
        });
        g.bench_with_input(BenchmarkId::new("all unexpected", n), &query, |b, q| {
            b.iter(|| {
                // The mismatch table refuses them: the path that once compared every name
                // with every other.
                let ok = drupe::dev::resolve_and_bind(&app, "/one", black_box(q), |_| {});
                assert!(!ok);
            })
        });
    }
    g.finish();
}

/// Whole requests in process: drupe's pipeline against the same work in a raw actix handler.
fn whole_requests(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    let drupe_svc = rt.block_on(test::init_service(
        ActixApp::new().configure(app().configure()),
    ));
    let raw_svc = rt.block_on(test::init_service(ActixApp::new().route(
        "/blog/posts/post/{year}/{slug}",
        web::get().to(|p: web::Path<(u16, String)>| async move {
            let (year, slug) = p.into_inner();
            HttpResponse::Ok().body(format!("{year}/{slug}"))
        }),
    )));
    let mut g = c.benchmark_group("request");
    g.bench_function("raw actix-web (baseline)", |b| {
        b.iter(|| {
            let req = test::TestRequest::get()
                .uri("/blog/posts/post/2024/hello-world")
                .to_request();
            let res = rt.block_on(test::call_service(&raw_svc, req));
            assert!(res.status().is_success());
        })
    });
    g.bench_function("drupe default dispatcher", |b| {
        b.iter(|| {
            let req = test::TestRequest::get()
                .uri("/blog/posts/post/2024/hello-world")
                .to_request();
            let res = rt.block_on(test::call_service(&drupe_svc, req));
            assert!(res.status().is_success());
        })
    });
    g.finish();
}

criterion_group!(benches, walk_and_bind, many_names, whole_requests);
criterion_main!(benches);
