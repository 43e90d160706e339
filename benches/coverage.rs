//! The coverage recorder's cost: the same whole in-process request with the recorder off
//! (the baseline, measured in the same run) and on, for a handler with a typed argument and a
//! negotiated representation, and for a 404.
//!
//! `cargo bench --bench coverage`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use actix_web::{App as ActixApp, test};
use criterion::{Criterion, criterion_group, criterion_main};
use drupe::{App, HttpError, Negotiated, controller};

#[derive(serde::Serialize)]
struct User {
    id: u32,
    name: &'static str,
}

struct Root;

#[controller]
impl Root {
    #[expose]
    #[produces(json, xml)]
    #[status(404)]
    fn users(&self, id: u32) -> Result<Negotiated<User>, HttpError> {
        match id {
            1..=100 => Ok(Negotiated::new(User { id, name: "ada" })),
            _ => Err(HttpError::not_found("No such user.")),
        }
    }
}

fn recorder(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    let service = |on: bool| {
        let app = App::builder(Root)
            .set("/", "tools.coverage.on", on)
            .build()
            .unwrap();
        rt.block_on(test::init_service(
            ActixApp::new().configure(app.configure()),
        ))
    };
    let (off, on) = (service(false), service(true));
    for (name, path, ok) in [("200", "/users/7", true), ("404", "/users/700", false)] {
        let mut g = c.benchmark_group(format!("coverage {name}"));
        for (label, svc) in [("recorder off (baseline)", &off), ("recorder on", &on)] {
            g.bench_function(label, |b| {
                b.iter(|| {
                    let req = test::TestRequest::get()
                        .uri(path)
                        .insert_header(("accept", "application/json"))
                        .to_request();
                    let res = rt.block_on(test::call_service(svc, req));
                    assert_eq!(res.status().is_success(), ok);
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, recorder);
criterion_main!(benches);
