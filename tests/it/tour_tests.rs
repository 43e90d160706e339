//! The tour over a real socket: exactly the tree issue 2 describes.

use drupe::testing::TestServer;
use serde_json::json;

#[actix_web::test]
async fn the_tour_serves_its_tree() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    c.get("/")
        .send()
        .await
        .assert_status(200)
        .assert_text("hello world");
    c.get("/?name=bob").send().await.assert_text("hello bob");
    c.get("/a/b").send().await.assert_json(json!(["a", "b"]));
    // One handler under three spellings, with the settings of its configured one.
    for p in ["/translate.html", "/translate-html", "/translate_html"] {
        c.get(p)
            .send()
            .await
            .assert_status(200)
            .assert_text("OK")
            .assert_header("x-translated", "yes");
    }
    c.get("/").send().await.assert_no_header("x-translated");
    crate::reliability::hole(
        "settings_spelling",
        "the tour's /translate.html, /translate-html and /translate_html (one handler; \
         tools.response_headers set for /translate_html)",
        "all three carry X-Translated: yes",
    );
    c.get("/blog/").send().await.assert_text("blog index");
    c.get("/blog")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", &s.url("/blog/"));
    c.get("/blog/secret").send().await.assert_status(404);
    c.get("/blog/post/2024/hello-world")
        .send()
        .await
        .assert_json(json!({"year": 2024, "slug": "hello-world"}));
    c.get("/blog/post/twenty/hello-world")
        .send()
        .await
        .assert_status(404);
    c.get("/blog/search?q=rust")
        .send()
        .await
        .assert_json(json!({"q": "rust", "page": 1}));
    c.get("/blog/search?q=rust&page=3")
        .send()
        .await
        .assert_json(json!({"q": "rust", "page": 3}));
    c.post("/blog/search")
        .form(&[("q", "rust"), ("page", "2")])
        .send()
        .await
        .assert_json(json!({"q": "rust", "page": 2}));
    c.get("/blog/search?q=rust&page=x")
        .send()
        .await
        .assert_status(400);
    c.get("/archive/2024/05/")
        .send()
        .await
        .assert_json(json!({"year": 2024, "month": 5}));
    c.get("/archive/2024/05").send().await.assert_status(301);
    s.stop().await;
}

#[actix_web::test]
async fn head_over_a_socket_keeps_get_headers_and_sends_no_body() {
    let s = TestServer::start(crate::tour::app()).await;
    let raw = s.raw(b"HEAD /blog/post/2024/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(raw.contains("content-length: 24\r\n"), "{raw}");
    assert!(raw.ends_with("\r\n\r\n"), "a body was sent: {raw}");
    s.stop().await;
}

#[actix_web::test]
async fn the_tour_counts_each_sessions_requests() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    let first = c.get("/session/counter").send().await;
    first.assert_status(200).assert_json(json!({"count": 1}));
    let cookie = first
        .header("set-cookie")
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    for n in 2..=3 {
        c.get("/session/counter")
            .header("cookie", &cookie)
            .send()
            .await
            .assert_json(json!({"count": n}))
            .assert_no_header("set-cookie");
    }
    // Another visitor counts from 1.
    c.get("/session/counter")
        .send()
        .await
        .assert_json(json!({"count": 1}));
    s.stop().await;
}

/// The tour's fixtures of validators, redirects, error pages and timeouts (RFC 9110 §13,
/// §15.4.2, §15.6.4).
#[actix_web::test]
async fn the_tour_answers_redirects_validators_error_pages_and_timeouts() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    c.get("/old-blog/")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", &s.url("/blog/"));
    c.get("/old-blog/post/2024/hello-world")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", &s.url("/blog/post/2024/hello-world"));
    c.get("/home")
        .send()
        .await
        .assert_status(200)
        .assert_text("hello world");
    c.get("/blog/secret")
        .accept("text/html")
        .send()
        .await
        .assert_status(404)
        .assert_contains("tour-not-found");
    c.get("/blog/secret")
        .accept("application/json")
        .send()
        .await
        .assert_status(404)
        .assert_header("content-type", "application/problem+json");
    c.get("/slow?ms=10")
        .send()
        .await
        .assert_status(200)
        .assert_text("slept 10 ms");
    c.get("/slow?ms=3000")
        .send()
        .await
        .assert_status(503)
        .assert_header("retry-after", "1");
    // A sleep holds a thread when blocking: bounded.
    c.get("/slow?ms=10001&blocking=true")
        .send()
        .await
        .assert_status(400);
    // /users/<id>: validators, a conditional GET, and a lost update refused.
    let r = c.get("/users/1").accept("application/json").send().await;
    r.assert_status(200);
    let tag = r.header("etag").unwrap().to_owned();
    assert!(r.header("last-modified").is_some());
    c.get("/users/1")
        .accept("application/json")
        .header("if-none-match", &tag)
        .send()
        .await
        .assert_status(304)
        .assert_empty();
    c.put("/users/1")
        .header("if-match", "\"stale\"")
        .json(&json!({"name": "lost"}))
        .send()
        .await
        .assert_status(412)
        .assert_header("etag", &tag);
    c.get("/users/1")
        .accept("application/json")
        .send()
        .await
        .assert_json(json!({"id": 1, "name": "ada"}));
    c.put("/users/1")
        .header("if-match", &tag)
        .json(&json!({"name": "ada lovelace"}))
        .send()
        .await
        .assert_status(200);
    c.delete("/users/1")
        .header("if-match", &tag)
        .send()
        .await
        .assert_status(412);
}
