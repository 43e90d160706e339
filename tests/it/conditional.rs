//! Validators and preconditions over a real socket (RFC 9110 §8.8, §13, §15.4.5): the `etags`
//! tool's tags on GET answers, conditional GETs with and without the output cache,
//! lost-update protection on PUT, PATCH and DELETE, `require_if_match`, and the `expires`
//! tool's freshness (RFC 9111 §5.2, §5.3) agreeing with the output cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::HttpResponse;
use drupe::cache::Caching;
use drupe::represent::Validators;
use drupe::testing::{TestResponse, TestServer};
use drupe::{App, AppBuilder, Body, HttpError, Negotiated, NoContent, controller, resource};
use serde::{Deserialize, Serialize};

/// A document with a version column: the cheap validator.
#[derive(Clone, Serialize)]
#[serde(rename = "doc")]
pub(crate) struct Doc {
    pub(crate) version: u64,
    pub(crate) text: String,
}

#[derive(Deserialize)]
#[serde(rename = "doc")]
pub(crate) struct DocIn {
    pub(crate) text: String,
}

/// One document per id; `versioned` answers by version, `hashed` by its bytes.
#[derive(Clone, Default)]
pub(crate) struct Store {
    docs: Arc<Mutex<std::collections::BTreeMap<u64, Doc>>>,
    /// Calls of the `get` verbs (the HEAD verb spares them).
    pub(crate) gets: Arc<AtomicU64>,
    /// Calls of the `put`, `patch` and `delete` verbs that changed something.
    changes: Arc<AtomicU64>,
}

impl Store {
    pub(crate) fn seeded() -> Self {
        let s = Store::default();
        s.docs.lock().unwrap().insert(
            1,
            Doc {
                version: 1,
                text: "first".into(),
            },
        );
        s
    }
    pub(crate) fn get(&self, id: u64) -> Result<Doc, HttpError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.docs
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .ok_or_else(|| HttpError::not_found(format!("No doc {id}.")))
    }
    pub(crate) fn put(&self, id: u64, text: String) -> Doc {
        self.changes.fetch_add(1, Ordering::SeqCst);
        let mut g = self.docs.lock().unwrap();
        let version = g.get(&id).map_or(1, |d| d.version + 1);
        let d = Doc { version, text };
        g.insert(id, d.clone());
        d
    }
    pub(crate) fn text(&self, id: u64) -> Option<String> {
        self.docs.lock().unwrap().get(&id).map(|d| d.text.clone())
    }
}

/// `/hashed/<id>`: tags from the bytes of each representation.
#[resource]
struct Hashed {
    #[mount(hidden)]
    item: HashedItem,
}

#[resource(popargs(id, then = item))]
impl Hashed {}

struct HashedItem {
    store: Store,
}

#[resource(produces(json, xml))]
impl HashedItem {
    fn get(&self, id: u64) -> Result<Negotiated<Doc>, HttpError> {
        Ok(Negotiated::new(self.store.get(id)?))
    }
    fn put(&self, id: u64, body: Body<DocIn>) -> Negotiated<Doc> {
        Negotiated::new(self.store.put(id, body.into_inner().text))
    }
    #[produces(none)]
    fn delete(&self, id: u64) -> NoContent {
        self.store.changes.fetch_add(1, Ordering::SeqCst);
        self.store.docs.lock().unwrap().remove(&id);
        NoContent
    }
}

/// `/versioned/<id>`: tags from the version column, read by the HEAD verb.
#[resource]
struct Versioned {
    #[mount(hidden)]
    item: VersionedItem,
}

#[resource(popargs(id, then = item))]
impl Versioned {}

struct VersionedItem {
    store: Store,
}

#[resource(produces(json, xml))]
impl VersionedItem {
    fn get(&self, id: u64) -> Result<Negotiated<Doc>, HttpError> {
        let d = self.store.get(id)?;
        let v = d.version;
        Ok(Negotiated::new(d).version(v).last_modified(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000 + v),
        ))
    }
    fn head(&self, id: u64) -> Result<Validators, HttpError> {
        let g = self.store.docs.lock().unwrap();
        let d = g
            .get(&id)
            .ok_or_else(|| HttpError::not_found(format!("No doc {id}.")))?;
        Ok(Validators::new().version(d.version).last_modified(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000 + d.version),
        ))
    }
    fn put(&self, id: u64, body: Body<DocIn>) -> Negotiated<Doc> {
        let d = self.store.put(id, body.into_inner().text);
        let v = d.version;
        Negotiated::new(d).version(v)
    }
    fn patch(&self, id: u64, body: Body<DocIn>) -> Negotiated<Doc> {
        self.put(id, body)
    }
}

#[controller]
pub(crate) struct Root {
    #[mount]
    hashed: Hashed,
    #[mount]
    versioned: Versioned,
}

#[controller]
impl Root {
    /// Plain text: not negotiated, so not tagged unless `autotags = true`.
    #[expose]
    fn text(&self) -> &'static str {
        "some text"
    }

    /// A handler's own tag and date.
    #[expose]
    fn own(&self) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header(("etag", "\"mine\""))
            .insert_header(("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"))
            .insert_header(("cache-control", "max-age=5"))
            .content_type("text/plain")
            .body("own")
    }

    /// An image and a page, for the expires tool's media types.
    #[expose]
    fn image(&self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("image/png")
            .body(vec![0u8; 64])
    }

    #[expose]
    fn page(&self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/html")
            .body("<p>page</p>")
    }

    #[expose]
    fn missing(&self) -> Result<String, HttpError> {
        Err(HttpError::not_found("gone"))
    }
}

pub(crate) fn root(store: &Store) -> Root {
    Root {
        hashed: Hashed {
            item: HashedItem {
                store: store.clone(),
            },
        },
        versioned: Versioned {
            item: VersionedItem {
                store: store.clone(),
            },
        },
    }
}

pub(crate) async fn start(b: AppBuilder) -> TestServer {
    TestServer::start(b.build().unwrap()).await
}

pub(crate) fn tag(r: &TestResponse) -> String {
    r.header("etag").expect("an ETag").to_owned()
}

pub(crate) fn vary_has(r: &TestResponse, name: &str) -> bool {
    r.headers().get_all("vary").any(|v| {
        v.to_str()
            .unwrap()
            .split(',')
            .any(|x| x.trim().eq_ignore_ascii_case(name))
    })
}

/// RFC 9110 §8.8.3 and §13.1.2: a strong tag for every negotiated GET answer, a different one
/// for each representation, stable while the resource is; `If-None-Match` → 304 carrying
/// what §15.4.5 asks and no body.
#[actix_web::test]
async fn a_negotiated_get_is_tagged_and_revalidated_rfc_9110_section_13_1_2() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store))).await;
    let c = s.client();
    let json = c.get("/hashed/1").accept("application/json").send().await;
    json.assert_status(200);
    let xml = c.get("/hashed/1").accept("application/xml").send().await;
    let (tj, tx) = (tag(&json), tag(&xml));
    assert!(tj.starts_with('"') && !tj.starts_with("W/"), "strong: {tj}");
    assert_ne!(tj, tx, "each representation has its own tag");
    let again = c.get("/hashed/1").accept("application/json").send().await;
    assert_eq!(tag(&again), tj, "the same bytes, the same tag");
    // Weak comparison: W/"x" matches "x"; a list matches if one does; * matches.
    for inm in [
        tj.clone(),
        format!("W/{tj}"),
        format!("\"other\", {tj}"),
        "*".into(),
    ] {
        let r = c
            .get("/hashed/1")
            .accept("application/json")
            .header("if-none-match", &inm)
            .send()
            .await;
        r.assert_status(304).assert_empty();
        assert_eq!(tag(&r), tj, "{inm}");
        assert!(vary_has(&r, "accept"), "a 304 keeps Vary: {inm}");
        r.assert_no_header("content-type").assert_no_header("allow");
    }
    // The XML tag does not revalidate the JSON answer.
    c.get("/hashed/1")
        .accept("application/json")
        .header("if-none-match", &tx)
        .send()
        .await
        .assert_status(200);
    // HEAD is revalidated like GET.
    c.head("/hashed/1")
        .accept("application/json")
        .header("if-none-match", &tj)
        .send()
        .await
        .assert_status(304);
    // A change, a new tag.
    c.put("/hashed/1")
        .json(&serde_json::json!({"text": "second"}))
        .send()
        .await
        .assert_status(200);
    let after = c
        .get("/hashed/1")
        .accept("application/json")
        .header("if-none-match", &tj)
        .send()
        .await;
    after.assert_status(200);
    assert_ne!(tag(&after), tj);
}

/// §13.1.1 and §13.1.3/§13.1.4 on a GET: a failed If-Match is a 412 carrying the current tag;
/// If-Modified-Since revalidates by the handler's own Last-Modified; a handler's tag is kept.
#[actix_web::test]
async fn a_handlers_own_validators_and_preconditions_on_get_rfc_9110_section_13_2_2() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store))).await;
    let c = s.client();
    let r = c.get("/own").send().await;
    r.assert_status(200).assert_header("etag", "\"mine\"");
    c.get("/own")
        .header("if-match", "\"other\"")
        .send()
        .await
        .assert_status(412)
        .assert_header("etag", "\"mine\"");
    c.get("/own")
        .header("if-match", "\"mine\"")
        .send()
        .await
        .assert_status(200)
        .assert_text("own");
    let r = c
        .get("/own")
        .header("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")
        .send()
        .await;
    r.assert_status(304)
        .assert_header("cache-control", "max-age=5")
        .assert_header("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT")
        .assert_empty();
    c.get("/own")
        .header("if-modified-since", "Sat, 05 Nov 1994 08:49:37 GMT")
        .send()
        .await
        .assert_status(200);
    // If-None-Match wins over If-Modified-Since (§13.2.2 step 3 before 4).
    c.get("/own")
        .header("if-none-match", "\"other\"")
        .header("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")
        .send()
        .await
        .assert_status(200);
    // An error is never turned into a 304.
    c.get("/missing")
        .header("if-none-match", "*")
        .send()
        .await
        .assert_status(404);
}

/// `autotags`: unset, only negotiated answers are hashed; true, every GET answer.
#[actix_web::test]
async fn autotags_chooses_which_answers_are_hashed() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store))).await;
    s.client()
        .get("/text")
        .send()
        .await
        .assert_no_header("etag");
    let s = start(App::builder(root(&store)).set("/", "tools.etags.autotags", true)).await;
    let r = s.client().get("/text").send().await;
    let t = tag(&r);
    s.client()
        .get("/text")
        .header("if-none-match", &t)
        .send()
        .await
        .assert_status(304);
    let s = start(App::builder(root(&store)).set("/", "tools.etags.autotags", false)).await;
    s.client()
        .get("/hashed/1")
        .accept("application/json")
        .send()
        .await
        .assert_no_header("etag");
}

/// Lost-update protection (§13.1.1, §13.1.4, §13.2.2): a PUT whose If-Match names a tag the
/// resource no longer has gets 412 with the current tag, and nothing changes; a tag a GET
/// returned in any representation, compressed or not, lets it through.
#[actix_web::test]
async fn a_stale_if_match_changes_nothing_rfc_9110_section_13_1_1() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store))).await;
    let c = s.client();
    let xml = tag(&c.get("/hashed/1").accept("application/xml").send().await);
    let json = tag(&c.get("/hashed/1").accept("application/json").send().await);
    let gz = c
        .get("/hashed/1")
        .accept("application/json")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    // (Too short to compress: the identity tag stands for it.)
    let gz = tag(&gz);
    let before = store.changes.load(Ordering::SeqCst);
    let stale = c
        .put("/hashed/1")
        .accept("application/json")
        .header("if-match", "\"stale\"")
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await;
    stale.assert_status(412);
    assert_eq!(
        tag(&stale),
        json,
        "the 412 carries the current tag of the client's type"
    );
    assert_eq!(
        store.changes.load(Ordering::SeqCst),
        before,
        "the handler never ran"
    );
    assert_eq!(store.text(1).as_deref(), Some("first"));
    // Weak tags never satisfy If-Match (strong comparison).
    c.put("/hashed/1")
        .header("if-match", &format!("W/{json}"))
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await
        .assert_status(412);
    // The XML representation's tag is as good as the JSON one's.
    c.put("/hashed/1")
        .header("if-match", &xml)
        .json(&serde_json::json!({"text": "second"}))
        .send()
        .await
        .assert_status(200);
    assert_eq!(store.text(1).as_deref(), Some("second"));
    // Now every old tag is stale, the gzip client's too.
    for old in [
        &json,
        &xml,
        &gz,
        &format!("{}-gzip\"", json.trim_end_matches('"')),
    ] {
        c.put("/hashed/1")
            .header("if-match", old)
            .json(&serde_json::json!({"text": "lost"}))
            .send()
            .await
            .assert_status(412);
    }
    assert_eq!(store.text(1).as_deref(), Some("second"));
    // A compressed variant's tag of the current state passes.
    let now = tag(&c.get("/hashed/1").accept("application/json").send().await);
    let encoded = format!("{}-br\"", now.trim_end_matches('"'));
    c.delete("/hashed/1")
        .header("if-match", &encoded)
        .send()
        .await
        .assert_status(204);
    assert_eq!(store.text(1), None);
    // No current representation: If-Match fails, If-None-Match: * passes (create only).
    c.put("/hashed/1")
        .header("if-match", "*")
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await
        .assert_status(412);
    c.put("/hashed/1")
        .header("if-none-match", "*")
        .json(&serde_json::json!({"text": "created"}))
        .send()
        .await
        .assert_status(200);
    c.put("/hashed/1")
        .header("if-none-match", "*")
        .json(&serde_json::json!({"text": "again"}))
        .send()
        .await
        .assert_status(412);
    assert_eq!(store.text(1).as_deref(), Some("created"));
}

/// A version column answers If-Match without rendering: the HEAD verb is called, never GET;
/// If-Unmodified-Since is compared with its Last-Modified (§13.1.4).
#[actix_web::test]
async fn a_version_is_checked_without_rendering() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store))).await;
    let c = s.client();
    let r = c.get("/versioned/1").accept("application/xml").send().await;
    r.assert_status(200).assert_header("etag", "\"1-xml\"");
    // HEAD from the version column: the type a GET answers, no length (the GET's is not 0).
    c.head("/versioned/1")
        .accept("application/json")
        .send()
        .await
        .assert_status(200)
        .assert_header("etag", "\"1-json\"")
        .assert_header("content-type", "application/json")
        .assert_no_header("content-length")
        .assert_empty();
    let gets = store.gets.load(Ordering::SeqCst);
    c.put("/versioned/1")
        .header("if-match", "\"0-json\"")
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await
        .assert_status(412)
        .assert_header("etag", "\"1-json\"");
    c.put("/versioned/1")
        .header("if-match", "\"1-xml\"")
        .json(&serde_json::json!({"text": "second"}))
        .send()
        .await
        .assert_status(200)
        .assert_header("etag", "\"2-json\"");
    assert_eq!(store.gets.load(Ordering::SeqCst), gets, "GET never ran");
    // Last-Modified is 1_000_000_002 s now: an older If-Unmodified-Since fails.
    c.request(actix_web::http::Method::PATCH, "/versioned/1")
        .header("if-unmodified-since", "Sun, 09 Sep 2001 01:46:41 GMT")
        .json(&serde_json::json!({"text": "lost"}))
        .send()
        .await
        .assert_status(412);
    c.request(actix_web::http::Method::PATCH, "/versioned/1")
        .header("if-unmodified-since", "Sun, 09 Sep 2001 01:46:42 GMT")
        .json(&serde_json::json!({"text": "third"}))
        .send()
        .await
        .assert_status(200);
    assert_eq!(store.text(1).as_deref(), Some("third"));
}

/// RFC 6585 §3: `require_if_match` makes an unconditional change a 428; reads are not
/// affected.
#[actix_web::test]
async fn require_if_match_answers_428() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store)).set("/hashed", "tools.etags.require_if_match", true))
        .await;
    let c = s.client();
    let r = c
        .put("/hashed/1")
        .json(&serde_json::json!({"text": "blind"}))
        .send()
        .await;
    r.assert_status(428).assert_contains("If-Match");
    c.delete("/hashed/1").send().await.assert_status(428);
    assert_eq!(store.text(1).as_deref(), Some("first"));
    let t = tag(&c.get("/hashed/1").accept("application/json").send().await);
    c.put("/hashed/1")
        .header("if-match", &t)
        .json(&serde_json::json!({"text": "seen"}))
        .send()
        .await
        .assert_status(200);
    // Elsewhere a blind change is still allowed.
    c.put("/versioned/1")
        .json(&serde_json::json!({"text": "blind"}))
        .send()
        .await
        .assert_status(200);
}

/// With the output cache on, a hit is revalidated too, and a 304 is never stored.
#[actix_web::test]
async fn the_cache_and_the_tags_agree() {
    let store = Store::seeded();
    let s = start(
        App::builder(root(&store))
            .tool(Caching::memory(100, 1 << 20))
            .set("/hashed", "tools.caching.on", true),
    )
    .await;
    let c = s.client();
    let first = c.get("/hashed/1").accept("application/json").send().await;
    let t = tag(&first);
    let hit = c
        .get("/hashed/1")
        .accept("application/json")
        .header("if-none-match", &t)
        .send()
        .await;
    hit.assert_status(304);
    assert_eq!(tag(&hit), t);
    let full = c.get("/hashed/1").accept("application/json").send().await;
    full.assert_status(200);
    assert_eq!(tag(&full), t);
    assert_eq!(full.json::<serde_json::Value>()["text"], "first");
    // §13.2.2: If-Match before If-None-Match, on a hit too.
    c.get("/hashed/1")
        .accept("application/json")
        .header("if-match", "\"stale\"")
        .header("if-none-match", &t)
        .send()
        .await
        .assert_status(412);
    // A stored 404 is never turned into a 304.
    c.get("/hashed/9")
        .accept("application/json")
        .send()
        .await
        .assert_status(404);
    c.get("/hashed/9")
        .accept("application/json")
        .header("if-none-match", "*")
        .send()
        .await
        .assert_status(404);
}

/// Settings are checked when the application is built, each error naming its key.
#[test]
fn bad_settings_name_their_key() {
    let store = Store::seeded();
    for (key, value, named) in [
        (
            "tools.expires.secs",
            toml::Value::Integer(-1),
            "tools.expires.secs",
        ),
        (
            "tools.expires.types.text",
            toml::Value::Integer(5),
            "tools.expires.types",
        ),
        (
            "tools.etags.autotags",
            toml::Value::String("yes".into()),
            "tools.etags",
        ),
        (
            "tools.etags.nope",
            toml::Value::Boolean(true),
            "tools.etags",
        ),
    ] {
        let err = App::builder(root(&store))
            .set("/", "tools.expires.on", true)
            .set("/", key, value)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{key} is refused"));
        assert!(err.to_string().contains(named), "{key}: {err}");
    }
}

/// §13.1.1 and §13.1.2 on a representation that has no validator: `If-Match: "x"` cannot name
/// it (412), `If-Match: *` and `If-None-Match: *` do (it exists).
#[actix_web::test]
async fn an_answer_without_validators_still_exists() {
    let store = Store::seeded();
    let s = start(App::builder(root(&store))).await;
    let c = s.client();
    c.get("/text").send().await.assert_no_header("etag");
    c.get("/text")
        .header("if-match", "\"x\"")
        .send()
        .await
        .assert_status(412);
    c.get("/text")
        .header("if-match", "*")
        .send()
        .await
        .assert_status(200)
        .assert_text("some text");
    c.get("/text")
        .header("if-none-match", "*")
        .send()
        .await
        .assert_status(304);
}
