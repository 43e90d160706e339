//! Preconditions beside the other tools, over a real socket: the resource is read for
//! `If-Match` only for a caller every access check let through; `Allow`, `Vary` and OPTIONS
//! stay right (RFC 9110 §10.2.1, §12.5.5); a 304 made for a client keeps what other tools
//! added for it (CORS); a `head` verb without a version, and a resource that negotiates
//! nothing.

use std::sync::atomic::Ordering;

use actix_web::HttpResponse;
use drupe::represent::Validators;
use drupe::tools::{Before, Exchange, NoSettings, Tool};
use drupe::{App, Body, Cors, HttpError, Negotiated, controller, resource};

use crate::conditional::{Doc, DocIn, Store, root, start, tag, vary_has};

/// Refuses every change without `X-Allowed` (priority 50: a user's tool, after the ETag
/// tool's own priority).
struct Guard;

impl Tool for Guard {
    type Config = NoSettings;
    const NAME: &'static str = "guard";
    fn before_handler<'a>(&'a self, _: &'a NoSettings, ex: &'a Exchange) -> Before<'a> {
        let req = ex.request();
        if req.method().is_safe() || req.headers().contains_key("x-allowed") {
            Before::Continue
        } else {
            Before::Respond(HttpResponse::from_error(HttpError::forbidden(
                "not allowed",
            )))
        }
    }
}

/// A caller an access check refuses learns nothing of the resource: no read, no tag, 403.
#[actix_web::test]
async fn the_resource_is_read_only_for_a_caller_access_checks_let_through() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store)).tool_at("/", Guard)).await;
    let c = s.client();
    let gets = store.gets.load(Ordering::SeqCst);
    let r = c
        .put("/hashed/1")
        .header("if-match", "\"stale\"")
        .json(&serde_json::json!({"text": "x"}))
        .send()
        .await;
    r.assert_status(403)
        .assert_no_header("etag")
        .assert_no_header("last-modified");
    assert_eq!(
        store.gets.load(Ordering::SeqCst),
        gets,
        "the resource was not read"
    );
    let s = start(App::builder(root(&store)).tool_at("/", Guard).set(
        "/",
        "tools.etags.require_if_match",
        true,
    ))
    .await;
    s.client()
        .delete("/hashed/1")
        .send()
        .await
        .assert_status(403);
    // Let through, the precondition is checked.
    s.client()
        .put("/hashed/1")
        .header("x-allowed", "1")
        .header("if-match", "\"stale\"")
        .json(&serde_json::json!({"text": "x"}))
        .send()
        .await
        .assert_status(412);
    assert_eq!(store.text(1).as_deref(), Some("first"));
}

/// A 304 made for a cross-origin client keeps its CORS headers, which the browser needs to
/// read it (the tool turns the answer into a 304 in place).
#[actix_web::test]
async fn a_304_keeps_what_other_tools_added_for_the_client() {
    let store = Store::seeded();
    let s = start(
        App::builder(root(&store)).tool_at("/", Cors::new().allow_origin("https://app.example")),
    )
    .await;
    let c = s.client();
    let first = c
        .get("/hashed/1")
        .accept("application/json")
        .header("origin", "https://app.example")
        .send()
        .await;
    let t = tag(&first);
    let r = c
        .get("/hashed/1")
        .accept("application/json")
        .header("origin", "https://app.example")
        .header("if-none-match", &t)
        .send()
        .await;
    r.assert_status(304)
        .assert_header("access-control-allow-origin", "https://app.example")
        .assert_no_header("content-type");
    assert!(vary_has(&r, "origin") && vary_has(&r, "accept"));
}

/// RFC 9110 §10.2.1, §12.5.5, §15.4.5: the tools keep `Allow`, `Vary` and OPTIONS right — a
/// 412 carries `Allow` and the current `ETag`, a 304 only its own fields, OPTIONS is answered
/// without a precondition being read, and `Vary: Accept` stays on every negotiated answer.
#[actix_web::test]
async fn allow_vary_and_options_stay_right() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store))).await;
    let c = s.client();
    let allow = "GET, HEAD, OPTIONS, PATCH, PUT";
    let gets = store.gets.load(Ordering::SeqCst);
    c.options("/versioned/1")
        .header("if-match", "\"stale\"")
        .send()
        .await
        .assert_status(204)
        .assert_header("allow", allow);
    c.request(actix_web::http::Method::DELETE, "/versioned/1")
        .header("if-match", "\"stale\"")
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", allow);
    let r = c
        .put("/versioned/1")
        .accept("application/xml")
        .header("if-match", "\"stale\"")
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await;
    r.assert_status(412)
        .assert_header("allow", allow)
        .assert_header("etag", "\"1-xml\"");
    assert!(vary_has(&r, "accept"), "the 412's body was negotiated");
    assert_eq!(store.gets.load(Ordering::SeqCst), gets);
    let r = c
        .get("/versioned/1")
        .accept("application/xml")
        .header("if-none-match", "\"1-xml\"")
        .send()
        .await;
    r.assert_status(304)
        .assert_header("etag", "\"1-xml\"")
        .assert_header("last-modified", "Sun, 09 Sep 2001 01:46:41 GMT")
        .assert_no_header("allow")
        .assert_no_header("content-type")
        .assert_no_header("content-length");
    assert!(vary_has(&r, "accept"));
}

/// `/plain/<id>`: a resource that negotiates nothing, its GET answering a version.
#[resource]
struct Plain {
    #[mount(hidden)]
    item: PlainItem,
}

#[resource(popargs(id, then = item))]
impl Plain {}

struct PlainItem {
    store: Store,
}

#[resource]
impl PlainItem {
    fn get(&self, id: u64) -> Result<Negotiated<Doc>, HttpError> {
        let d = self.store.get(id)?;
        let v = d.version;
        Ok(Negotiated::new(d).version(v))
    }
    fn put(&self, id: u64, body: Body<DocIn>) -> Negotiated<Doc> {
        let d = self.store.put(id, body.into_inner().text);
        let v = d.version;
        Negotiated::new(d).version(v)
    }
}

/// Without negotiation a version's tag names no media type (`"1"`), on the GET and in the
/// check before a change alike: the tag a GET gave lets the PUT through.
#[actix_web::test]
async fn a_version_without_negotiation_is_the_same_tag_before_a_change() {
    let store = Store::seeded();
    let s = start(App::builder(extra(&store))).await;
    let c = s.client();
    let r = c.get("/plain/1").send().await;
    r.assert_status(200).assert_header("etag", "\"1\"");
    c.put("/plain/1")
        .header("if-match", "\"1\"")
        .json(&serde_json::json!({"text": "second"}))
        .send()
        .await
        .assert_status(200)
        .assert_header("etag", "\"2\"");
    c.put("/plain/1")
        .header("if-match", "\"1\"")
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await
        .assert_status(412);
    assert_eq!(store.text(1).as_deref(), Some("second"));
}

/// `/dated/<id>`: a `head` verb that knows only when the resource changed.
#[resource]
struct Dated {
    #[mount(hidden)]
    item: DatedItem,
}

#[resource(popargs(id, then = item))]
impl Dated {}

struct DatedItem {
    store: Store,
}

#[resource(produces(json))]
impl DatedItem {
    fn get(&self, id: u64) -> Result<Negotiated<Doc>, HttpError> {
        Ok(Negotiated::new(self.store.get(id)?))
    }
    fn head(&self, id: u64) -> Result<Validators, HttpError> {
        self.store.get(id)?;
        Ok(Validators::new().last_modified(std::time::UNIX_EPOCH))
    }
    fn put(&self, id: u64, body: Body<DocIn>) -> Negotiated<Doc> {
        Negotiated::new(self.store.put(id, body.into_inner().text))
    }
}

/// A `head` verb without a version is no representation: HEAD gets no tag made of its empty
/// body and no length, and `If-Match` is compared with what `get` answers.
#[actix_web::test]
async fn a_head_verb_without_a_version_leaves_the_tags_to_get() {
    let store = Store::seeded();
    let s = start(App::builder(extra(&store))).await;
    let c = s.client();
    c.head("/dated/1")
        .send()
        .await
        .assert_status(200)
        .assert_no_header("etag")
        .assert_no_header("content-length")
        .assert_header("last-modified", "Thu, 01 Jan 1970 00:00:00 GMT");
    let t = tag(&c.get("/dated/1").send().await);
    c.put("/dated/1")
        .header("if-match", &t)
        .json(&serde_json::json!({"text": "second"}))
        .send()
        .await
        .assert_status(200);
    c.put("/dated/1")
        .header("if-match", &t)
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await
        .assert_status(412);
    assert_eq!(store.text(1).as_deref(), Some("second"));
}

/// `/own/<id>`: a GET whose handler sets its own ETag beside a version.
#[resource]
struct Own {
    #[mount(hidden)]
    item: OwnItem,
}

#[resource(popargs(id, then = item))]
impl Own {}

struct OwnItem {
    store: Store,
}

#[resource(produces(json))]
impl OwnItem {
    fn get(&self, id: u64) -> Result<Negotiated<Doc>, HttpError> {
        let d = self.store.get(id)?;
        let tag = format!("\"text-{}\"", d.text);
        let v = d.version;
        Ok(Negotiated::new(d).version(v).header("etag", tag))
    }
    fn put(&self, id: u64, body: Body<DocIn>) -> Negotiated<Doc> {
        Negotiated::new(self.store.put(id, body.into_inner().text))
    }
}

/// The ETag a handler sets wins over its version, on the GET and in the check before a
/// change alike: the tag the client got is the one compared.
#[actix_web::test]
async fn a_handlers_own_etag_wins_over_its_version() {
    let store = Store::seeded();
    let s = start(App::builder(extra(&store))).await;
    let c = s.client();
    c.get("/own/1")
        .send()
        .await
        .assert_header("etag", "\"text-first\"");
    c.put("/own/1")
        .header("if-match", "\"text-first\"")
        .json(&serde_json::json!({"text": "second"}))
        .send()
        .await
        .assert_status(200);
    c.put("/own/1")
        .header("if-match", "\"1-json\"")
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await
        .assert_status(412);
    assert_eq!(store.text(1).as_deref(), Some("second"));
}

/// The resources above, on one tree.
#[controller]
struct Extra {
    #[mount]
    plain: Plain,
    #[mount]
    dated: Dated,
    #[mount]
    own: Own,
}

#[controller]
impl Extra {}

fn extra(store: &Store) -> Extra {
    let store = || store.clone();
    Extra {
        plain: Plain {
            item: PlainItem { store: store() },
        },
        dated: Dated {
            item: DatedItem { store: store() },
        },
        own: Own {
            item: OwnItem { store: store() },
        },
    }
}
