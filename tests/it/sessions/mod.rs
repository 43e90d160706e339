//! The sessions tool as a browser meets it: the cookie, fixation, renew and purge, the
//! timeouts, concurrent writers, the output cache, and the stores (in process here, Redis in
//! `redis.rs`).

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web::Json;
use drupe::sessions::{Session, Sessions};
use drupe::testing::{TestClient, TestResponse, TestServer};
use drupe::{App, AppBuilder, HttpError, State, controller};
use serde_json::{Value, json};
use tokio::sync::Barrier;

#[cfg(all(feature = "redis", unix))]
mod redis;
mod settings;
mod stores;

/// The tree every test serves; the tool is on at `/` and off at `/off`.
#[controller]
pub(crate) struct Root {
    #[mount]
    off: Off,
}

#[controller]
impl Root {
    /// This session's requests, from 1.
    #[expose]
    async fn counter(&self, session: Session) -> Result<Json<Value>, HttpError> {
        let count = session.get::<u64>("count").await?.unwrap_or(0) + 1;
        session.insert("count", count).await?;
        Ok(Json(json!({ "count": count })))
    }

    /// Every value the test reads back, as JSON (`null` when unset).
    #[expose]
    async fn read(&self, session: Session) -> Result<Json<Value>, HttpError> {
        let mut out = serde_json::Map::new();
        for key in ["count", "a", "b", "k", "name", "by_tool"] {
            out.insert(key.to_owned(), json!(session.get::<Value>(key).await?));
        }
        Ok(Json(Value::Object(out)))
    }

    /// Loads the session, waits for the other writer to load it too, sets `key`, then waits
    /// `delay` ms before answering (and saving): two of these write concurrently.
    #[expose]
    async fn write(
        &self,
        session: Session,
        barrier: State<Barrier>,
        key: String,
        value: i64,
        #[param(default = 0)] delay: u64,
    ) -> Result<&'static str, HttpError> {
        let _ = session.get::<Value>(&key).await?;
        barrier.wait().await;
        session.insert(&key, value).await?;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        Ok("written")
    }

    #[expose]
    async fn renew(&self, session: Session) -> Result<&'static str, HttpError> {
        session.renew().await?;
        Ok("renewed")
    }

    #[expose]
    async fn purge(&self, session: Session) -> Result<&'static str, HttpError> {
        session.purge().await?;
        Ok("purged")
    }

    /// Reads the session and writes nothing.
    #[expose]
    async fn peek(&self, session: Session) -> Result<String, HttpError> {
        Ok(format!("{:?}", session.get::<u64>("count").await?))
    }

    /// Takes a session and never uses it.
    #[expose]
    async fn idle(&self, _session: Session) -> &'static str {
        "untouched"
    }

    /// No session at all.
    #[expose]
    fn plain(&self) -> &'static str {
        "plain"
    }

    /// Signs in as `name`.
    #[expose]
    async fn login(&self, session: Session, name: String) -> Result<&'static str, HttpError> {
        session.insert("name", name).await?;
        Ok("signed in")
    }

    /// A page that depends on the session and (carelessly) calls itself public.
    #[expose]
    async fn hello(&self, session: Session) -> Result<HttpResponse, HttpError> {
        let name: Option<String> = session.get("name").await?;
        Ok(HttpResponse::Ok()
            .insert_header(("cache-control", "public, max-age=600"))
            .body(format!("hello {}", name.as_deref().unwrap_or("stranger"))))
    }
}

pub(crate) struct Off;

#[controller]
impl Off {
    #[expose]
    async fn counter(&self, session: Session) -> Result<&'static str, HttpError> {
        session.insert("count", 1).await?;
        Ok("never")
    }
}

/// The tree with `sessions` (on at `/`, off at `/off`) and a barrier for two writers.
pub(crate) fn builder(sessions: Sessions) -> AppBuilder {
    App::builder(Root { off: Off })
        .tool(sessions)
        .state(Barrier::new(2))
        .set("/", "tools.sessions.on", true)
        .set("/off", "tools.sessions.on", false)
}

fn app() -> App {
    builder(Sessions::memory()).build().unwrap()
}

/// The `Set-Cookie` of the session cookie, if the response has one.
pub(crate) fn set_cookie(res: &TestResponse) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("session_id="))
        .map(str::to_owned)
}

/// The `name=value` of the session cookie a response set, for the next request's `Cookie`.
pub(crate) fn cookie(res: &TestResponse) -> String {
    let set = set_cookie(res).unwrap_or_else(|| panic!("no session cookie: {:?}", res.headers()));
    set.split(';').next().unwrap().to_owned()
}

/// Whether the response's `Vary` names `Cookie`.
pub(crate) fn varies_on_cookie(res: &TestResponse) -> bool {
    res.headers()
        .get_all("vary")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("cookie"))
}

/// Reads the session `cookie` names.
pub(crate) async fn read(c: &TestClient, cookie: &str) -> Value {
    c.get("/read")
        .header("cookie", cookie)
        .send()
        .await
        .assert_status(200)
        .json()
}

#[actix_web::test]
async fn each_client_counts_its_own_requests_over_a_socket() {
    let s = TestServer::start(app()).await;
    let c = s.client();
    let first = c.get("/counter").send().await;
    first.assert_status(200).assert_json(json!({"count": 1}));
    let set = set_cookie(&first).unwrap();
    let attrs: Vec<&str> = set.split("; ").collect();
    // 43 characters of base64url: 256 random bits.
    let id = attrs[0].strip_prefix("session_id=").unwrap();
    assert_eq!(id.len(), 43, "{set}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    for a in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=86400"] {
        assert!(attrs.contains(&a), "{a} missing from {set}");
    }
    assert!(!attrs.contains(&"Secure"), "plain HTTP: {set}");
    let a = cookie(&first);
    for n in 2..=3 {
        let again = c.get("/counter").header("cookie", &a).send().await;
        again.assert_json(json!({"count": n}));
        // The id did not change: no cookie.
        assert_eq!(set_cookie(&again), None);
    }
    let other = c.get("/counter").send().await;
    other.assert_json(json!({"count": 1}));
    assert_ne!(cookie(&other), a);
    c.get("/counter")
        .header("cookie", &a)
        .send()
        .await
        .assert_json(json!({"count": 4}));
    s.stop().await;
}

#[actix_web::test]
async fn unknown_forged_or_malformed_ids_get_a_new_id_never_their_own() {
    let c = TestClient::new(app()).await;
    let planted = "session_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for sent in [
        // Well-formed but unknown: an attacker's id planted in a victim's browser.
        planted,
        "session_id=not-an-id",
        "session_id=../../etc/passwd",
        "session_id=",
    ] {
        let res = c.get("/counter").header("cookie", sent).send().await;
        res.assert_status(200).assert_json(json!({"count": 1}));
        let got = cookie(&res);
        assert_ne!(got, sent);
        assert_eq!(got.len(), "session_id=".len() + 43);
    }
    // The planted id is still worth nothing.
    c.get("/counter")
        .header("cookie", planted)
        .send()
        .await
        .assert_json(json!({"count": 1}));
    // A well-formed cookie among others is found.
    let first = c.get("/counter").send().await;
    let mine = cookie(&first);
    c.get("/counter")
        .header("cookie", &format!("theme=dark; {mine}; lang=en"))
        .send()
        .await
        .assert_json(json!({"count": 2}));
}

#[actix_web::test]
async fn renew_gives_a_new_id_keeps_the_values_and_kills_the_old_id() {
    let c = TestClient::new(app()).await;
    let old = cookie(&c.get("/counter").send().await);
    c.get("/counter").header("cookie", &old).send().await;
    let renewed = c.get("/renew").header("cookie", &old).send().await;
    renewed.assert_text("renewed");
    let new = cookie(&renewed);
    assert_ne!(new, old);
    c.get("/counter")
        .header("cookie", &new)
        .send()
        .await
        .assert_json(json!({"count": 3}));
    // The old id starts over, with an id of its own.
    let replay = c.get("/counter").header("cookie", &old).send().await;
    replay.assert_json(json!({"count": 1}));
    assert!(![old.as_str(), new.as_str()].contains(&cookie(&replay).as_str()));
}

#[actix_web::test]
async fn purge_removes_the_values_and_expires_the_cookie() {
    let c = TestClient::new(app()).await;
    let id = cookie(&c.get("/counter").send().await);
    let purged = c.get("/purge").header("cookie", &id).send().await;
    purged.assert_text("purged");
    let set = set_cookie(&purged).expect("an expired cookie");
    assert!(set.starts_with("session_id=;"), "{set}");
    assert!(set.contains("Max-Age=0"), "{set}");
    let after = c.get("/counter").header("cookie", &id).send().await;
    after.assert_json(json!({"count": 1}));
    assert_ne!(cookie(&after), id);
    // Purging a session that has none expires nothing.
    assert_eq!(set_cookie(&c.get("/purge").send().await), None);
}

/// The `Set-Cookie` of a first request to `/counter` with `headers`.
async fn first_cookie(app: App, headers: &[(&str, &str)]) -> String {
    let c = TestClient::new(app).await;
    let mut r = c.get("/counter");
    for (k, v) in headers {
        r = r.header(k, v);
    }
    set_cookie(&r.send().await).expect("a session cookie")
}

#[actix_web::test]
async fn the_cookie_is_secure_when_the_request_came_over_https() {
    let behind = || {
        builder(Sessions::memory())
            .set_global("server.trusted_proxies", vec!["127.0.0.1"])
            .build()
            .unwrap()
    };
    let https = [("x-forwarded-proto", "https")];
    assert!(first_cookie(behind(), &https).await.contains("; Secure"));
    assert!(!first_cookie(behind(), &[]).await.contains("Secure"));
    // From a client that is no trusted proxy, the header proves nothing.
    assert!(!first_cookie(app(), &https).await.contains("Secure"));
    // Settings decide when they say.
    let forced = builder(Sessions::memory())
        .set("/", "tools.sessions.secure", true)
        .build()
        .unwrap();
    assert!(first_cookie(forced, &[]).await.contains("; Secure"));
}

#[actix_web::test]
async fn cookie_attributes_follow_the_settings() {
    let app = builder(Sessions::memory())
        .set("/", "tools.sessions.name", "sid")
        .set("/", "tools.sessions.path", "/shop")
        .set("/", "tools.sessions.domain", "example.com")
        .set("/", "tools.sessions.samesite", "strict")
        .set("/", "tools.sessions.httponly", false)
        .set("/", "tools.sessions.persistent", false)
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    let res = c.get("/counter").send().await;
    let set = res.header("set-cookie").unwrap().to_owned();
    let attrs: Vec<&str> = set.split("; ").collect();
    assert!(attrs[0].starts_with("sid="), "{set}");
    for a in ["Path=/shop", "Domain=example.com", "SameSite=Strict"] {
        assert!(attrs.contains(&a), "{a} missing from {set}");
    }
    for a in ["HttpOnly", "Max-Age", "Expires"] {
        assert!(!set.contains(a), "{a} in {set}");
    }
    let sid = attrs[0];
    c.get("/counter")
        .header("cookie", sid)
        .send()
        .await
        .assert_json(json!({"count": 2}));
}

/// An app whose sessions last `idle` seconds unused and `absolute` seconds at most.
fn timed(idle: i64, absolute: i64) -> App {
    builder(Sessions::memory())
        .set("/", "tools.sessions.idle_timeout", idle)
        .set("/", "tools.sessions.absolute_timeout", absolute)
        .build()
        .unwrap()
}

#[actix_web::test]
async fn an_unused_session_ends_after_the_idle_timeout() {
    let c = TestClient::new(timed(1, 60)).await;
    let id = cookie(&c.get("/counter").send().await);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let later = c.get("/counter").header("cookie", &id).send().await;
    later.assert_json(json!({"count": 1}));
    assert_ne!(cookie(&later), id);
}

#[actix_web::test]
async fn a_busy_session_lives_past_the_idle_timeout_until_the_absolute_one() {
    let c = TestClient::new(timed(1, 2)).await;
    let id = cookie(&c.get("/counter").send().await);
    // Each use moves last-seen: 1.2 s after the start, the 1 s idle timeout has not run out.
    for n in 2..=3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        c.get("/counter")
            .header("cookie", &id)
            .send()
            .await
            .assert_json(json!({"count": n}));
    }
    // Used 0.9 s ago, but begun 2.1 s ago: over.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let late = c.get("/counter").header("cookie", &id).send().await;
    late.assert_json(json!({"count": 1}));
    assert_ne!(cookie(&late), id);
}

#[actix_web::test]
async fn a_read_only_request_refreshes_last_seen_without_a_new_cookie() {
    let c = TestClient::new(timed(1, 60)).await;
    let id = cookie(&c.get("/counter").send().await);
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let peek = c.get("/peek").header("cookie", &id).send().await;
        peek.assert_text("Some(1)");
        assert_eq!(set_cookie(&peek), None);
    }
}

/// Two concurrent writers of one session: `a` and `b` (different keys), then both of `k`,
/// the second saving 100 ms after the first.
pub(crate) async fn concurrent_writers(c: &TestClient) {
    let id = cookie(&c.get("/counter").send().await);
    let send = |path: &'static str| c.get(path).header("cookie", &id).send();
    let (x, y) = futures_util::join!(send("/write?key=a&value=1"), send("/write?key=b&value=2"));
    x.assert_text("written");
    y.assert_text("written");
    let v = read(c, &id).await;
    assert_eq!(
        (&v["a"], &v["b"], &v["count"]),
        (&json!(1), &json!(2), &json!(1))
    );
    // The same key: the request that saved last wins.
    let (x, y) = futures_util::join!(
        send("/write?key=k&value=20&delay=100"),
        send("/write?key=k&value=10")
    );
    x.assert_text("written");
    y.assert_text("written");
    let v = read(c, &id).await;
    assert_eq!(
        (&v["k"], &v["a"], &v["b"]),
        (&json!(20), &json!(1), &json!(2))
    );
}

#[actix_web::test]
async fn concurrent_writers_of_different_keys_both_land_in_memory() {
    concurrent_writers(&TestClient::new(app()).await).await;
}

#[actix_web::test]
async fn a_session_where_the_tool_is_off_is_a_500_naming_the_setting() {
    let log = crate::capture::Log::new();
    let _guard = log.on_this_thread();
    let c = TestClient::new(app()).await;
    let res = c.get("/off/counter").send().await;
    res.assert_status(500);
    assert!(!res.text().contains("tools.sessions"), "{}", res.text());
    assert!(log.text().contains("tools.sessions.on"), "{}", log.text());
}

#[actix_web::test]
async fn the_output_cache_never_serves_one_visitors_session_page_to_another() {
    let cache = drupe::cache::Caching::memory(100, 1 << 20);
    let app = builder(Sessions::memory())
        .tool(cache.clone())
        .set("/", "tools.caching.on", true)
        .set("/", "tools.caching.debug_header", true)
        .build()
        .unwrap();
    let s = TestServer::start(app).await;
    let c = s.client();
    let alice = cookie(&c.get("/login?name=alice").send().await);
    for _ in 0..2 {
        let page = c.get("/hello").header("cookie", &alice).send().await;
        page.assert_text("hello alice")
            .assert_header("cache-control", "public, max-age=600, private");
        assert!(varies_on_cookie(&page));
    }
    // Without a cookie, and with another session: never alice's page.
    c.get("/hello").send().await.assert_text("hello stranger");
    let bob = cookie(&c.get("/login?name=bob").send().await);
    c.get("/hello")
        .header("cookie", &bob)
        .send()
        .await
        .assert_text("hello bob");
    c.get("/hello").send().await.assert_text("hello stranger");
    // Only the stranger's page, which any visitor without a session sees, was stored (it
    // varies on `Cookie`: a visitor with one is asked again).
    assert_eq!(cache.stats().await.stores, 1);
    c.get("/hello")
        .header("cookie", &alice)
        .send()
        .await
        .assert_text("hello alice");
    // The cache itself works at this path: a page without a session is stored.
    c.get("/plain")
        .send()
        .await
        .assert_header("x-cache", "MISS");
    c.get("/plain").send().await.assert_header("x-cache", "HIT");
    s.stop().await;
}

/// A tool in another folder: signs the visitor in through the neutral handle, renewing the
/// id, as `session_auth` will.
struct SignIn;

impl drupe::tools::Tool for SignIn {
    type Config = drupe::tools::NoSettings;
    const NAME: &'static str = "sign_in";

    fn before_handler<'a>(
        &'a self,
        _: &'a drupe::tools::NoSettings,
        ex: &'a drupe::tools::Exchange,
    ) -> drupe::tools::Before<'a> {
        let Some(session) = drupe::tools::session_access(ex.request()) else {
            return drupe::tools::Before::Respond(HttpResponse::InternalServerError().finish());
        };
        drupe::tools::Before::Pending(Box::pin(async move {
            let step = async {
                let seen = session.get("by_tool").await?;
                session.renew().await?;
                session
                    .insert(
                        "by_tool",
                        json!(seen.and_then(|v| v.as_i64()).unwrap_or(0) + 1),
                    )
                    .await?;
                Ok::<_, HttpError>(())
            };
            step.await.err().map(HttpResponse::from_error)
        }))
    }
}

#[actix_web::test]
async fn another_tool_reads_writes_and_renews_through_session_access() {
    let app = builder(Sessions::memory())
        .tool(SignIn)
        .set("/read", "tools.sign_in.on", true)
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    let id = cookie(&c.get("/counter").send().await);
    let res = c.get("/read").header("cookie", &id).send().await;
    assert_eq!(res.json::<Value>()["by_tool"], json!(1));
    let renewed = cookie(&res);
    assert_ne!(renewed, id);
    let v = read(&c, &renewed).await;
    assert_eq!((&v["by_tool"], &v["count"]), (&json!(2), &json!(1)));
}
