//! Dispatch benchmarks: the walk and argument binding alone, and whole in-process requests
//! against a raw actix-web handler measured in the same run.
//!
//! `cargo bench --bench dispatch`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use actix_web::{App as ActixApp, HttpResponse, test, web};
use criterion::{Criterion, criterion_group, criterion_main};
use drupe::{App, VirtualPath, controller};

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

criterion_group!(benches, walk_and_bind, whole_requests);
criterion_main!(benches);
