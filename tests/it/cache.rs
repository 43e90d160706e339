//! The output cache (freshness, validation and invalidation as RFC 9111 describes them),
//! against handlers that count their calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse};
use drupe::cache::{Caching, Invalidate};
use drupe::testing::{TestClient, TestServer};
use drupe::{App, Created, HttpError, Negotiated, controller};
use serde_json::json;

mod invalidation;
mod limits;
mod stampede;
mod tags;
mod variants;

#[derive(Default)]
pub(crate) struct Calls(AtomicUsize);

impl Calls {
    pub(crate) fn hit(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(serde::Serialize)]
#[serde(rename = "thing")]
struct Thing {
    n: usize,
}

pub(crate) struct Root {
    pub(crate) calls: Arc<Calls>,
}

#[controller]
impl Root {
    /// A counter: each call answers a new number (whatever the query).
    #[expose]
    fn count(&self, _any: drupe::Kwargs) -> String {
        format!("call {}", self.calls.hit())
    }

    #[expose]
    #[produces(json, xml)]
    fn thing(&self) -> Negotiated<Thing> {
        Negotiated::new(Thing {
            n: self.calls.hit(),
        })
    }

    #[expose]
    async fn slow(&self) -> String {
        let n = self.calls.hit();
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        format!("slow {n}")
    }

    #[expose]
    async fn slow_uncacheable(&self) -> HttpResponse {
        let n = self.calls.hit();
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .body(format!("fresh {n}"))
    }

    #[expose]
    fn missing(&self) -> Result<String, HttpError> {
        self.calls.hit();
        Err(HttpError::not_found("No such thing."))
    }

    #[expose]
    fn broken(&self) -> Result<String, HttpError> {
        self.calls.hit();
        Err(HttpError::internal("down"))
    }

    #[expose]
    fn with(&self, header: String, value: String) -> HttpResponse {
        let n = self.calls.hit();
        HttpResponse::Ok()
            .insert_header((header.as_str(), value.as_str()))
            .body(format!("with {n}"))
    }

    /// An answer that varies on `X-V` and is fresh for `X-V` seconds.
    #[expose]
    fn varied(&self, req: HttpRequest) -> HttpResponse {
        let n = self.calls.hit();
        let v = req
            .headers()
            .get("x-v")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("60")
            .to_owned();
        HttpResponse::Ok()
            .insert_header(("vary", "X-V"))
            .insert_header(("cache-control", format!("max-age={v}")))
            .body(format!("varied {v} {n}"))
    }

    /// An answer with `n` headers of its own.
    #[expose]
    fn many_headers(&self, n: usize) -> HttpResponse {
        let k = self.calls.hit();
        let mut r = HttpResponse::Ok();
        for i in 0..n {
            r.append_header((format!("x-h{i}"), "v"));
        }
        r.body(format!("many {k}"))
    }

    #[expose]
    fn validated(&self) -> HttpResponse {
        let n = self.calls.hit();
        HttpResponse::Ok()
            .insert_header(("last-modified", "Wed, 01 May 2024 12:00:00 GMT"))
            .insert_header(("etag", "\"v1\""))
            .body(format!("validated {n}"))
    }

    #[expose]
    fn short(&self) -> HttpResponse {
        let n = self.calls.hit();
        HttpResponse::Ok()
            .insert_header(("cache-control", "max-age=1"))
            .body(format!("short {n}"))
    }

    #[expose]
    fn create(&self, invalidate: Invalidate) -> Result<Created<usize>, HttpError> {
        invalidate.path("/count");
        Ok(Created::new("/thing", self.calls.hit()))
    }

    #[expose]
    fn big(&self) -> String {
        format!("{}{}", self.calls.hit(), "x".repeat(200_000))
    }

    #[expose]
    fn by_id(&self, id: u32, pad: Option<String>) -> String {
        let _ = pad;
        format!("{id}:{}", self.calls.hit())
    }
}

pub(crate) fn app(calls: Arc<Calls>, cache: Caching) -> App {
    App::builder(Root { calls })
        .tool(cache)
        .set("/", "tools.caching.on", true)
        .set("/", "tools.caching.debug_header", true)
        .build()
        .unwrap()
}

async fn setup() -> (TestClient, Arc<Calls>, Caching) {
    let calls = Arc::new(Calls::default());
    let cache = Caching::memory(1000, 10 << 20);
    let c = TestClient::new(app(calls.clone(), cache.clone())).await;
    (c, calls, cache)
}

#[actix_web::test]
async fn a_second_get_is_a_hit_with_age_and_etag() {
    let (c, calls, cache) = setup().await;
    let first = c.get("/count").send().await;
    first
        .assert_status(200)
        .assert_text("call 1")
        .assert_header("x-cache", "MISS");
    let etag = first
        .header("etag")
        .expect("an ETag computed from the body")
        .to_owned();
    assert!(
        etag.starts_with('"') && etag.len() == 34,
        "a strong ETag: {etag}"
    );
    let second = c.get("/count").send().await;
    second
        .assert_status(200)
        .assert_text("call 1")
        .assert_header("x-cache", "HIT")
        .assert_header("age", "0")
        .assert_header("etag", &etag)
        .assert_header("content-type", "text/plain; charset=utf-8");
    assert_eq!(calls.get(), 1);
    // HEAD is answered from the cache too.
    c.head("/count")
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_empty();
    // Other methods never are.
    c.request(actix_web::http::Method::PATCH, "/count")
        .send()
        .await
        .assert_header("x-cache", "BYPASS")
        .assert_text("call 2");
    c.request(actix_web::http::Method::OPTIONS, "/count")
        .send()
        .await
        .assert_header("x-cache", "BYPASS");
    let s = cache.stats().await;
    assert_eq!((s.hits, s.misses, s.stores), (2, 1, 1));
    assert!(s.bypasses >= 2);
}

#[actix_web::test]
async fn conditional_requests_on_hits_get_304() {
    let (c, _, _) = setup().await;
    let etag = c
        .get("/count")
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    c.get("/count")
        .header("if-none-match", &etag)
        .send()
        .await
        .assert_status(304)
        .assert_empty()
        .assert_header("etag", &etag)
        .assert_header("x-cache", "HIT");
    c.get("/count")
        .header("if-none-match", &format!("W/{etag}, \"other\""))
        .send()
        .await
        .assert_status(304);
    c.get("/count")
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .assert_status(200);
    c.get("/count")
        .header("if-none-match", "*")
        .send()
        .await
        .assert_status(304);
    c.get("/count")
        .header("if-none-match", "not-a-tag")
        .send()
        .await
        .assert_status(400)
        .assert_text("Invalid If-None-Match header");
    // If-Modified-Since against the stored Last-Modified.
    c.get("/validated").send().await.assert_status(200);
    c.get("/validated")
        .header("if-modified-since", "Thu, 02 May 2024 00:00:00 GMT")
        .send()
        .await
        .assert_status(304)
        .assert_header("x-cache", "HIT");
    c.get("/validated")
        .header("if-modified-since", "Tue, 30 Apr 2024 00:00:00 GMT")
        .send()
        .await
        .assert_status(200);
    // Even a miss answers 304 when the request's validator already matches.
    let (c2, _, _) = setup().await;
    c2.get("/validated")
        .header("if-none-match", "\"v1\"")
        .send()
        .await
        .assert_status(304)
        .assert_header("x-cache", "MISS");
}

#[actix_web::test]
async fn what_is_never_stored() {
    let (c, calls, _) = setup().await;
    for (h, v) in [
        ("set-cookie", "a=1"),
        ("cache-control", "private"),
        ("cache-control", "no-store"),
        ("cache-control", "no-cache"),
    ] {
        let path = format!("/with?header={h}&value={v}");
        let before = calls.get();
        c.get(&path).send().await.assert_status(200);
        c.get(&path).send().await.assert_header("x-cache", "MISS");
        assert_eq!(calls.get(), before + 2, "{h}: {v} was stored");
    }
    c.get("/broken").send().await.assert_status(500);
    c.get("/broken")
        .send()
        .await
        .assert_status(500)
        .assert_header("x-cache", "MISS");
    // An answer to a request with credentials is not stored, nor answered from the cache.
    c.get("/count")
        .header("authorization", "Bearer a")
        .send()
        .await
        .assert_header("x-cache", "BYPASS");
    c.get("/count")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/count")
        .header("authorization", "Bearer b")
        .send()
        .await
        .assert_header("x-cache", "BYPASS");
    // ... unless the response says `public`.
    c.get("/with?header=cache-control&value=public")
        .header("authorization", "Bearer a")
        .send()
        .await
        .assert_status(200);
    c.get("/with?header=cache-control&value=public")
        .send()
        .await
        .assert_header("x-cache", "HIT");
}

#[actix_web::test]
async fn a_404_is_stored() {
    let (c, calls, _) = setup().await;
    c.get("/missing")
        .send()
        .await
        .assert_status(404)
        .assert_header("x-cache", "MISS");
    c.get("/missing")
        .send()
        .await
        .assert_status(404)
        .assert_header("x-cache", "HIT")
        .assert_text("No such thing.");
    assert_eq!(calls.get(), 1);
}

#[actix_web::test]
async fn request_directives() {
    let (c, calls, _) = setup().await;
    c.get("/count").send().await.assert_text("call 1");
    c.get("/count")
        .header("cache-control", "no-cache")
        .send()
        .await
        .assert_text("call 2")
        .assert_header("x-cache", "MISS");
    // The refresh replaced the entry.
    c.get("/count")
        .send()
        .await
        .assert_text("call 2")
        .assert_header("x-cache", "HIT");
    c.get("/count")
        .header("pragma", "no-cache")
        .send()
        .await
        .assert_text("call 3");
    c.get("/count")
        .header("cache-control", "max-age=abc")
        .send()
        .await
        .assert_status(400)
        .assert_text("Invalid Cache-Control header");
    c.get("/count")
        .header("cache-control", "max-age=60")
        .send()
        .await
        .assert_text("call 3");
    // no-store: served from the cache, but a miss is not stored.
    c.get("/by_id/1")
        .header("cache-control", "no-store")
        .send()
        .await
        .assert_text("1:4");
    c.get("/by_id/1")
        .send()
        .await
        .assert_text("1:5")
        .assert_header("x-cache", "MISS");
    assert_eq!(calls.get(), 5);
}

#[actix_web::test]
async fn freshness_and_max_age_bounds() {
    let (c, _, _) = setup().await;
    c.get("/short").send().await.assert_text("short 1");
    c.get("/short")
        .send()
        .await
        .assert_text("short 1")
        .assert_header("x-cache", "HIT");
    c.get("/count").send().await.assert_text("call 2");
    std::thread::sleep(Duration::from_millis(1100));
    // max-age=1 has passed for /short; /count (600 s) is 1 s old, too old for max-age=0.
    c.get("/short")
        .send()
        .await
        .assert_text("short 3")
        .assert_header("x-cache", "MISS");
    c.get("/count")
        .header("cache-control", "max-age=0")
        .send()
        .await
        .assert_text("call 4")
        .assert_header("x-cache", "MISS");
    c.get("/count").send().await.assert_header("x-cache", "HIT");
}

#[actix_web::test]
async fn unsafe_methods_and_the_api_invalidate() {
    let (c, calls, cache) = setup().await;
    c.get("/count").send().await.assert_text("call 1");
    c.get("/thing").send().await;
    c.get("/count").send().await.assert_header("x-cache", "HIT");
    // A POST to the URI invalidates it (its query too is part of the URI).
    c.get("/count?x=1").send().await.assert_text("call 3");
    c.post("/count")
        .send()
        .await
        .assert_text("call 4")
        .assert_header("x-cache", "BYPASS");
    c.get("/count")
        .send()
        .await
        .assert_text("call 5")
        .assert_header("x-cache", "MISS");
    c.get("/count?x=1")
        .send()
        .await
        .assert_header("x-cache", "HIT");
    // `create` answers 201 with Location /thing and asks for /count to go.
    c.get("/thing").send().await.assert_header("x-cache", "HIT");
    c.post("/create").send().await.assert_status(201);
    c.get("/thing")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/count")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    // A failed unsafe request invalidates nothing.
    c.get("/missing").send().await;
    c.delete("/missing").send().await.assert_status(404);
    c.get("/missing")
        .send()
        .await
        .assert_header("x-cache", "HIT");
    assert!(cache.stats().await.invalidations >= 4);
    assert!(calls.get() >= 9);
}

#[actix_web::test]
async fn bodies_over_the_entry_bound_pass_through() {
    let (c, calls, _) = setup().await;
    c.get("/big").send().await.assert_status(200);
    c.get("/big").send().await.assert_header("x-cache", "MISS");
    assert_eq!(calls.get(), 2);
}

#[actix_web::test]
async fn the_byte_bound_holds_and_invalidated_bytes_are_freed() {
    let bound: u64 = 64 * 1024;
    let cache = Caching::memory(100_000, bound);
    let c = TestClient::new(app(Arc::new(Calls::default()), cache.clone())).await;
    // Ten times the bound in distinct URIs (each ~1 KB stored).
    for i in 0..640 {
        c.get(&format!("/by_id/{i}?pad={}", "p".repeat(900)))
            .send()
            .await
            .assert_status(200);
    }
    // The memory backend applies moka's pending evictions before it reports sizes.
    let stats = cache.stats().await.backend;
    let bytes = stats.bytes.unwrap();
    assert!(
        bytes <= bound,
        "weighted size {bytes} over the bound {bound}"
    );
    assert!(bytes > 0 && stats.evictions > 0);
    // Invalidating everything frees the bytes.
    cache.clear().await.unwrap();
    assert_eq!(cache.stats().await.backend.bytes, Some(0));
}

#[actix_web::test]
async fn hits_over_a_socket_carry_a_fresh_date() {
    let calls = Arc::new(Calls::default());
    let s = TestServer::start(app(calls, Caching::memory(100, 1 << 20))).await;
    let first = s.client().get("/count").send().await;
    std::thread::sleep(Duration::from_millis(2100));
    let second = s.client().get("/count").send().await;
    second.assert_header("x-cache", "HIT").assert_text("call 1");
    let d1 = httpdate::parse_http_date(first.header("date").unwrap()).unwrap();
    let d2 = httpdate::parse_http_date(second.header("date").unwrap()).unwrap();
    assert!(d2 > d1, "the hit's Date is its own, not the stored one");
    assert!(second.header("age").unwrap().parse::<u64>().unwrap() >= 1);
    s.stop().await;
}

#[actix_web::test]
async fn the_tour_caches_its_feed_and_users() {
    let c = TestClient::new(crate::tour::app()).await;
    c.get("/feed").send().await.assert_header("x-cache", "MISS");
    c.get("/feed").send().await.assert_header("x-cache", "HIT");
    c.get("/users/1")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/users/1")
        .send()
        .await
        .assert_header("x-cache", "HIT");
    c.put("/users/1")
        .json(&json!({"name": "ada lovelace"}))
        .send()
        .await
        .assert_status(200);
    c.get("/users/1")
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_json(json!({"id": 1, "name": "ada lovelace"}));
    c.post("/users")
        .json(&json!({"name": "alan"}))
        .send()
        .await
        .assert_status(201);
    let feed = c.get("/feed").send().await;
    feed.assert_header("x-cache", "MISS")
        .assert_contains("alan");
    c.delete("/users/1").send().await.assert_status(204);
    c.get("/users/1")
        .send()
        .await
        .assert_status(404)
        .assert_header("x-cache", "MISS");
    c.get("/feed").send().await.assert_header("x-cache", "MISS");
}

#[actix_web::test]
async fn the_counters_are_served_to_loopback_clients() {
    let (c, _calls, _cache) = setup().await;
    c.get("/count")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/count").send().await.assert_header("x-cache", "HIT");
    let r = c.get("/_cache/stats").send().await;
    r.assert_status(200)
        .assert_header("content-type", "application/json")
        .assert_header("cache-control", "no-store");
    let stats: serde_json::Value = r.json();
    assert_eq!(
        (stats["hits"].as_u64(), stats["misses"].as_u64()),
        (Some(1), Some(1)),
        "{stats}"
    );
    assert_eq!(stats["backend"]["entries"], 1, "{stats}");
    assert_eq!(stats["backend"]["max_bytes"], 10 << 20, "{stats}");
    assert!(stats["backend"]["bytes"].as_u64().unwrap() > 0, "{stats}");
    // Asking for the counters is not itself cached or counted.
    c.get("/_cache/stats").send().await.assert_status(200);
    assert_eq!(
        c.get("/_cache/stats")
            .send()
            .await
            .json::<serde_json::Value>()["hits"],
        1
    );
    let outside: std::net::SocketAddr = "198.51.100.7:40000".parse().unwrap();
    c.get("/_cache/stats")
        .peer(outside)
        .send()
        .await
        .assert_status(404);
    // Another path, or none.
    let with_stats_path = |path: toml::Value| {
        App::builder(Root {
            calls: Arc::new(Calls::default()),
        })
        .set("/", "tools.caching.on", true)
        .set_global("cache.stats_path", path)
        .build()
    };
    let c = TestClient::new(with_stats_path("/ops/cache".into()).unwrap()).await;
    c.get("/ops/cache").send().await.assert_status(200);
    TestClient::new(with_stats_path("".into()).unwrap())
        .await
        .get("/_cache/stats")
        .send()
        .await
        .assert_status(404);
    let bad = with_stats_path(toml::Value::Integer(5));
    assert!(bad.is_err_and(|e| e.to_string().contains("cache.stats_path")));
}
