//! Representations: a photoblog album and a list of 20 written as JSON, XML and Atom through
//! whole in-process requests, against the serializers called directly on the same values
//! (the baselines, measured in the same run).
//!
//! `cargo bench --bench represent`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use actix_web::{App as ActixApp, test};
use criterion::{Criterion, criterion_group, criterion_main};
use drupe::represent::RenderContext;
use drupe::represent::atom::{AtomEntry, Content, Entry, Link};
use drupe::{App, Collection, Negotiated, controller};
use time::OffsetDateTime;

/// The photoblog's album, as its REST service writes it.
#[derive(Clone, serde::Serialize)]
#[serde(rename = "album")]
struct Album {
    id: i64,
    uuid: String,
    title: String,
    author: String,
    description: String,
    content: String,
    created: String,
    modified: String,
}

impl AtomEntry for Album {
    fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry {
        Entry::new(
            format!("urn:uuid:{}", self.uuid),
            &self.title,
            OffsetDateTime::UNIX_EPOCH,
        )
        .link(Link::new("alternate", cx.url(&format!("/album/{}", self.id))).typed("text/html"))
        .author(&self.author)
        .summary(&self.description)
        .content(Content::Text(self.content.clone()))
    }
}

fn album(i: i64) -> Album {
    Album {
        id: i,
        uuid: format!("6f1c9a3e-0000-5000-8000-{i:012x}"),
        title: format!("Holidays in Brittany, part {i}"),
        author: "ada".into(),
        description: "Granite coasts, lighthouses and crêpes.".into(),
        content: "Ten days along the Pink Granite Coast. We walked from Perros-Guirec to \
                  Ploumanac'h twice, & the tide <always> won."
            .into(),
        created: "2026-11-23T16:17:00Z".into(),
        modified: "2026-11-23T16:17:00Z".into(),
    }
}

struct Root {
    one: Album,
    list: Vec<Album>,
}

#[controller]
impl Root {
    #[expose]
    #[produces(json, xml, atom)]
    fn album(&self) -> Negotiated<Album> {
        Negotiated::new(self.one.clone())
    }

    #[expose]
    #[produces(json, xml, atom)]
    fn albums(&self) -> Negotiated<Collection<Album>> {
        Negotiated::new(Collection::new("Albums", self.list.clone()))
    }
}

fn representations(c: &mut Criterion) {
    let rt = actix_web::rt::System::new();
    let one = album(1);
    let list: Vec<Album> = (1..=20).map(album).collect();
    let app = App::new(Root {
        one: one.clone(),
        list: list.clone(),
    })
    .unwrap();
    let svc = rt.block_on(test::init_service(
        ActixApp::new().configure(app.configure()),
    ));
    let request = |path: &'static str, accept: &'static str| {
        let svc = &svc;
        let rt = &rt;
        move || {
            let req = test::TestRequest::get()
                .uri(path)
                .insert_header(("accept", accept))
                .to_request();
            let res = rt.block_on(test::call_service(svc, req));
            assert!(res.status().is_success());
            black_box(rt.block_on(test::read_body(res)));
        }
    };
    for (name, path, value_one) in [("album", "/album", true), ("20 albums", "/albums", false)] {
        let mut g = c.benchmark_group(format!("represent {name}"));
        g.bench_function("serde_json direct (baseline)", |b| {
            b.iter(|| {
                if value_one {
                    black_box(serde_json::to_vec(black_box(&one)).unwrap())
                } else {
                    black_box(serde_json::to_vec(black_box(&list)).unwrap())
                }
            })
        });
        g.bench_function("quick-xml direct (baseline)", |b| {
            b.iter(|| {
                if value_one {
                    black_box(quick_xml::se::to_string(black_box(&one)).unwrap())
                } else {
                    black_box(
                        quick_xml::se::to_string_with_root("albums", black_box(&list)).unwrap(),
                    )
                }
            })
        });
        let json = request(path, "application/json");
        g.bench_function("JSON request", |b| b.iter(&json));
        let xml = request(path, "application/xml");
        g.bench_function("XML request", |b| b.iter(&xml));
        let atom = request(path, "application/atom+xml");
        g.bench_function("Atom request", |b| b.iter(&atom));
        g.finish();
    }
}

criterion_group!(benches, representations);
criterion_main!(benches);
