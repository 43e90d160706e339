//! The rate limits: a client's requests budget (429 with `Retry-After`, then through again),
//! clients told apart behind a trusted proxy, failed credentials limited per account and per
//! client through the `Attempts` a handler finds in its request, and plain `GET`s that pay
//! nothing for it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::HttpRequest;
use drupe::testing::{TestClient, TestResponse};
use drupe::tools::{attempts, too_many_attempts};
use drupe::{App, Config, HttpError, State, controller};

struct Root;

/// How many times `index` ran.
struct Calls(Arc<AtomicUsize>);

#[controller]
impl Root {
    #[expose]
    fn index(&self, calls: State<Calls>) -> &'static str {
        calls.0.fetch_add(1, Ordering::SeqCst);
        "hi"
    }

    /// Checks a password as an authentication tool does: asks first, reports a failure.
    #[expose]
    fn login(&self, req: HttpRequest, user: String, password: String) -> Result<String, HttpError> {
        let attempts = attempts(&req).ok_or_else(|| HttpError::internal("no Attempts"))?;
        attempts.check(&user).map_err(too_many_attempts)?;
        if password == "secret" {
            Ok(format!("welcome {user}"))
        } else {
            attempts.failed(&user);
            Err(HttpError::unauthorized("Wrong user or password."))
        }
    }

    /// Whether the request carries an `Attempts`.
    #[expose]
    fn probe(&self, req: HttpRequest) -> String {
        attempts(&req).is_some().to_string()
    }
}

async fn client(toml: &str) -> (TestClient, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = App::builder(Root)
        .config(Config::from_toml(toml).unwrap())
        .state(Calls(calls.clone()))
        .build()
        .unwrap();
    (TestClient::new(app).await, calls)
}

fn peer(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 4000)
}

fn retry_after(r: &TestResponse) -> u64 {
    r.header("retry-after")
        .expect("a Retry-After")
        .parse()
        .expect("whole seconds")
}

#[actix_web::test]
async fn a_client_past_its_burst_waits_then_goes_through_again() {
    let (c, calls) = client(
        r#"["/"]
        tools.rate_limit.requests = { rate = 2, per = "second", burst = 2 }"#,
    )
    .await;
    c.get("/").send().await.assert_status(200);
    c.get("/").send().await.assert_status(200);
    let r = c.get("/").send().await;
    r.assert_status(429).assert_contains("Too many requests");
    assert!(retry_after(&r) >= 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the handler did not run");
    // One token comes back every half second.
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    c.get("/").send().await.assert_status(200);
    c.get("/").send().await.assert_status(429);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[actix_web::test]
async fn clients_behind_a_trusted_proxy_have_their_own_buckets() {
    let (c, _) = client(
        r#"[global]
        server.trusted_proxies = ["127.0.0.1"]
        ["/"]
        tools.rate_limit.requests = { rate = 1, per = "minute", burst = 1 }"#,
    )
    .await;
    let via_proxy = |ip: &'static str| c.get("/").header("x-forwarded-for", ip);
    via_proxy("198.51.100.1").send().await.assert_status(200);
    let r = via_proxy("198.51.100.1").send().await;
    r.assert_status(429);
    assert_eq!(retry_after(&r), 60);
    via_proxy("198.51.100.2").send().await.assert_status(200);
    // An IPv6 client is its /64.
    via_proxy("2001:db8::1").send().await.assert_status(200);
    via_proxy("2001:db8::2").send().await.assert_status(429);
    via_proxy("2001:db8:0:1::1").send().await.assert_status(200);
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    let spoofer = peer("203.0.113.9");
    c.get("/")
        .peer(spoofer)
        .header("x-forwarded-for", "198.51.100.3")
        .send()
        .await
        .assert_status(200);
    c.get("/")
        .peer(spoofer)
        .header("x-forwarded-for", "198.51.100.4")
        .send()
        .await
        .assert_status(429);
}

async fn login(c: &TestClient, from: &str, user: &str, password: &str) -> TestResponse {
    c.post("/login")
        .peer(peer(from))
        .form(&[("user", user), ("password", password)])
        .send()
        .await
}

#[actix_web::test]
async fn failures_on_one_account_are_limited_whoever_sends_them() {
    // The default budget: 10 at once, then 5 a minute.
    let (c, _) = client("").await;
    for i in 1..=20 {
        let r = login(&c, &format!("192.0.2.{i}"), "alice", "guess").await;
        if i <= 10 {
            r.assert_status(401);
        } else {
            r.assert_status(429)
                .assert_contains("Too many failed attempts");
            assert!(retry_after(&r) >= 1);
        }
    }
    // Even the right password waits: the account is checked before the password.
    login(&c, "192.0.2.99", "alice", "secret")
        .await
        .assert_status(429);
    // Another account from a client that failed once is untouched.
    login(&c, "192.0.2.1", "bob", "secret")
        .await
        .assert_text("welcome bob");
}

#[actix_web::test]
async fn failures_of_one_client_are_limited_across_accounts() {
    let (c, _) = client(
        r#"["/"]
        tools.rate_limit.failures = { rate = 1, per = "hour", burst = 3 }"#,
    )
    .await;
    for i in 0..3 {
        login(&c, "198.51.100.50", &format!("user{i}"), "guess")
            .await
            .assert_status(401);
    }
    let r = login(&c, "198.51.100.50", "user9", "secret").await;
    r.assert_status(429);
    assert!(retry_after(&r) > 3000, "{:?}", r.header("retry-after"));
    // The accounts it tried are not locked for others.
    login(&c, "198.51.100.51", "user0", "secret")
        .await
        .assert_text("welcome user0");
}

#[actix_web::test]
async fn only_requests_that_may_carry_credentials_get_attempts() {
    let (c, _) = client("").await;
    c.get("/probe").send().await.assert_text("false");
    c.get("/probe")
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .assert_text("true");
    c.post("/probe").send().await.assert_text("true");
    c.delete("/probe").send().await.assert_text("true");
    let (off, _) = client(
        r#"["/"]
        tools.rate_limit.on = false"#,
    )
    .await;
    off.post("/probe").send().await.assert_text("false");
}

#[test]
fn budgets_are_checked_at_build() {
    for (toml, says) in [
        (
            r#"tools.rate_limit.requests = { rate = 0, per = "second" }"#,
            "tools.rate_limit.requests: rate must be at least 1",
        ),
        (
            r#"tools.rate_limit.failures = { rate = 1, per = "second", burst = 0 }"#,
            "tools.rate_limit.failures: burst must be at least 1",
        ),
        (
            r#"tools.rate_limit.requests = { rate = 1, per = "day" }"#,
            "unknown variant `day`, expected one of `second`, `minute`, `hour`",
        ),
        (
            r#"tools.rate_limit.requests = { rate = 1, per = "second", brust = 2 }"#,
            "unknown field `brust`",
        ),
    ] {
        let config = Config::from_toml(&format!("[\"/\"]\n{toml}\n")).unwrap();
        let err = App::builder(Root).config(config).build().unwrap_err();
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[actix_web::test]
async fn the_document_lists_the_429_where_requests_are_limited() {
    let (c, _) = client(
        r#"["/probe"]
        tools.rate_limit.requests = { rate = 100, per = "second" }"#,
    )
    .await;
    let doc: serde_json::Value = c.get("/openapi.json").send().await.json();
    let probe = &doc["paths"]["/probe"]["get"]["responses"];
    assert!(probe.get("429").is_some(), "{probe}");
    assert!(doc["paths"]["/"]["get"]["responses"].get("429").is_none());
}
