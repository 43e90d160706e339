//! `tools.auth_basic` (RFC 7617) and `tools.auth_bearer` (RFC 6750): who gets through, what
//! the others are told (RFC 9110 §11.6.1: a 401 carries `WWW-Authenticate`), that the
//! handler never runs for them, and what the verifier is asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use drupe::auth::{AuthBasic, AuthBearer, token_verifier_fn};
use drupe::testing::{TestClient, TestServer};
use drupe::tools::{Identity, Scheme, verifier_fn};
use drupe::{App, AppBuilder, controller, resource};

/// Counts the handler's runs: a refused request must not reach it.
#[controller]
#[derive(Clone, Default)]
struct Root {
    runs: Arc<AtomicUsize>,
    #[mount]
    notes: Notes,
}

/// A resource read by GET, written by POST.
#[resource]
#[derive(Clone, Default)]
struct Notes;

#[resource]
impl Notes {
    fn get(&self) -> &'static str {
        "notes"
    }

    fn post(&self, text: Option<String>) -> String {
        text.unwrap_or_default()
    }
}

#[controller]
impl Root {
    #[expose]
    fn index(&self, who: Option<Identity>) -> String {
        self.runs.fetch_add(1, Ordering::SeqCst);
        match who {
            Some(who) => format!("{} by {:?}", who.name(), who.scheme()),
            None => "anonymous".to_owned(),
        }
    }

    #[expose]
    fn strict(&self, who: Identity) -> String {
        who.name().to_owned()
    }
}

fn b64(s: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(s)
    )
}

/// `admin`/`secret` and `guest`/`guest`; counts the calls.
fn basic(calls: Arc<AtomicUsize>) -> AuthBasic {
    AuthBasic::new(verifier_fn(move |user, password| {
        calls.fetch_add(1, Ordering::SeqCst);
        async move {
            let ok = matches!(
                (user.as_str(), password.as_str()),
                ("admin", "secret") | ("guest", "guest")
            );
            Ok(ok.then(|| Identity::new(user, Scheme::Basic)))
        }
    }))
}

fn bearer() -> AuthBearer {
    AuthBearer::new(token_verifier_fn(|token| async move {
        Ok((token == "t0k3n").then(|| Identity::new("robot", Scheme::Bearer)))
    }))
}

async fn client(b: AppBuilder) -> TestClient {
    TestClient::new(b.build().unwrap()).await
}

#[actix_web::test]
async fn basic_refuses_without_credentials_or_with_wrong_ones_and_the_handler_never_runs() {
    let root = Root::default();
    let runs = root.runs.clone();
    let c = client(App::builder(root).tool_at("/", basic(Arc::default()).realm("blog"))).await;
    let challenge = r#"Basic realm="blog", charset="UTF-8""#;
    c.get("/")
        .send()
        .await
        .assert_status(401)
        .assert_header("www-authenticate", challenge);
    c.get("/")
        .header("authorization", &b64("admin:guess"))
        .send()
        .await
        .assert_status(401)
        .assert_header("www-authenticate", challenge)
        .assert_contains("not valid");
    // Another scheme is no credentials for Basic.
    c.get("/")
        .header("authorization", "Digest username=\"admin\"")
        .send()
        .await
        .assert_status(401);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    c.get("/")
        .header("authorization", &b64("admin:secret"))
        .send()
        .await
        .assert_status(200)
        .assert_text("admin by Basic");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn an_unreadable_basic_header_is_a_400_that_says_why() {
    let c = client(App::builder(Root::default()).tool_at("/", basic(Arc::default()))).await;
    c.get("/")
        .header("authorization", "Basic %%%")
        .send()
        .await
        .assert_status(400)
        .assert_contains("base64");
    c.get("/")
        .header("authorization", &b64("admin"))
        .send()
        .await
        .assert_status(400)
        .assert_contains("':'");
}

#[actix_web::test]
async fn only_the_configured_methods_need_credentials() {
    let b = App::builder(Root::default())
        .tool(basic(Arc::default()))
        .set("/", "tools.auth_basic.on", true)
        .set("/", "tools.auth_basic.methods", vec!["post", "DELETE"]);
    let c = client(b).await;
    c.get("/")
        .send()
        .await
        .assert_status(200)
        .assert_text("anonymous");
    c.post("/").send().await.assert_status(401);
    c.post("/")
        .header("authorization", &b64("guest:guest"))
        .send()
        .await
        .assert_text("guest by Basic");
}

#[actix_web::test]
async fn an_account_outside_allow_is_forbidden_not_unauthorized() {
    let c =
        client(App::builder(Root::default()).tool_at("/", basic(Arc::default()).allow(&["admin"])))
            .await;
    c.get("/")
        .header("authorization", &b64("guest:guest"))
        .send()
        .await
        .assert_status(403)
        .assert_no_header("www-authenticate");
    c.get("/")
        .header("authorization", &b64("admin:secret"))
        .send()
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn a_verification_that_held_is_remembered_for_its_user_and_password_only() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = client(App::builder(Root::default()).tool_at("/", basic(calls.clone()))).await;
    for _ in 0..3 {
        c.get("/")
            .header("authorization", &b64("admin:secret"))
            .send()
            .await
            .assert_status(200);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // A wrong password is never remembered, nor does it hit the right one's entry.
    for _ in 0..2 {
        c.get("/")
            .header("authorization", &b64("admin:secreT"))
            .send()
            .await
            .assert_status(401);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// A remembered verification answers the same credentials however the header spells the
/// scheme, without a second check — and it does not outlive the rate limiter's verdict: a
/// client out of attempts gets 429 for the right password as for a wrong one, or a guesser
/// could tell the right one by its 200. `allow` still applies to a remembered caller.
#[actix_web::test]
async fn remembered_credentials_are_still_rate_limited() {
    let calls = Arc::new(AtomicUsize::new(0));
    let b = App::builder(Root::default())
        .tool_at("/", basic(calls.clone()))
        .tool_at("/strict", basic(calls.clone()).allow(&["admin"]))
        .config(
            drupe::Config::from_toml(
                r#"["/"]
                tools.rate_limit.failures = { rate = 1, per = "hour", burst = 2 }"#,
            )
            .unwrap(),
        );
    let c = client(b).await;
    let status = |path: &'static str, authorization: String| {
        let req = c.get(path).header("authorization", &authorization);
        async move { req.send().await.status().as_u16() }
    };
    let secret = b64("admin:secret");
    let token = secret.trim_start_matches("Basic ");
    assert_eq!(status("/", secret.clone()).await, 200);
    for spelled in [format!("basic {token}"), format!("  BASIC   {token} ")] {
        assert_eq!(status("/", spelled).await, 200);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one verification for every spelling"
    );
    assert_eq!(status("/strict", b64("guest:guest")).await, 403);
    assert_eq!(
        status("/strict", b64("guest:guest")).await,
        403,
        "remembered"
    );
    assert_eq!(status("/", b64("admin:wrong-1")).await, 401);
    assert_eq!(status("/", b64("admin:wrong-2")).await, 401);
    assert_eq!(
        status("/", b64("admin:wrong-3")).await,
        429,
        "out of attempts"
    );
    let r = c.get("/").header("authorization", &secret).send().await;
    r.assert_status(429);
    assert!(r.header("retry-after").is_some(), "{r:?}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "verified: 2 that held, 2 wrong"
    );
}

#[actix_web::test]
async fn remember_secs_zero_verifies_every_request() {
    let calls = Arc::new(AtomicUsize::new(0));
    let b = App::builder(Root::default())
        .tool_at("/", basic(calls.clone()))
        .set("/", "tools.auth_basic.remember_secs", 0);
    let c = client(b).await;
    for _ in 0..3 {
        c.get("/")
            .header("authorization", &b64("admin:secret"))
            .send()
            .await
            .assert_status(200);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[actix_web::test]
async fn bearer_tokens_alone_and_beside_basic() {
    let c = client(App::builder(Root::default()).tool_at("/", bearer())).await;
    c.get("/")
        .send()
        .await
        .assert_status(401)
        .assert_header("www-authenticate", r#"Bearer realm="drupe""#);
    c.get("/")
        .header("authorization", "Bearer wrong")
        .send()
        .await
        .assert_status(401)
        .assert_header(
            "www-authenticate",
            r#"Bearer realm="drupe", error="invalid_token""#,
        );
    c.get("/")
        .header("authorization", "Bearer not a token")
        .send()
        .await
        .assert_status(400);
    c.get("/")
        .header("authorization", "Bearer t0k3n")
        .send()
        .await
        .assert_text("robot by Bearer");

    let both = client(
        App::builder(Root::default())
            .tool_at("/", basic(Arc::default()).realm("r"))
            .tool_at("/", bearer().realm("r")),
    )
    .await;
    let res = both.get("/").send().await;
    res.assert_status(401);
    let challenges: Vec<_> = res
        .headers()
        .get_all("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        challenges,
        [r#"Basic realm="r", charset="UTF-8""#, r#"Bearer realm="r""#],
        "a client may use either scheme"
    );
    both.get("/")
        .header("authorization", "Bearer t0k3n")
        .send()
        .await
        .assert_text("robot by Bearer");
    both.get("/")
        .header("authorization", &b64("admin:secret"))
        .send()
        .await
        .assert_text("admin by Basic");
    both.get("/")
        .header("authorization", "Bearer wrong")
        .send()
        .await
        .assert_status(401);
    // Credentials that cannot be read are a 400 with either scheme, beside the other tool.
    both.get("/")
        .header("authorization", "Bearer a b")
        .send()
        .await
        .assert_status(400);
    both.get("/")
        .header("authorization", "Basic !!!")
        .send()
        .await
        .assert_status(400);
}

/// An `Authorization` value that is not even text (bytes above 0x7F) is no credentials: the
/// challenge, not a 5xx, and not a guess at what it says.
#[actix_web::test]
async fn an_authorization_that_is_not_text_is_challenged() {
    let s = drupe::testing::TestServer::start(
        App::builder(Root::default())
            .tool_at("/", basic(Arc::default()).realm("r"))
            .build()
            .unwrap(),
    )
    .await;
    let answer = s.raw(
        b"GET / HTTP/1.1\r\nHost: h\r\nAuthorization: Basic \xe9\xe9\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("www-authenticate: basic"),
        "{answer}"
    );
}

#[actix_web::test]
async fn an_identity_argument_without_an_authentication_tool_is_a_401() {
    let c = client(App::builder(Root::default())).await;
    c.get("/strict").send().await.assert_status(401);
    c.get("/").send().await.assert_text("anonymous");
}

#[test]
fn switching_a_tool_on_without_its_verifier_or_with_a_bad_realm_is_a_build_error() {
    let err = App::builder(Root::default())
        .set("/", "tools.auth_basic.on", true)
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("AuthBasic::new"), "{err}");
    let err = App::builder(Root::default())
        .set("/api", "tools.auth_bearer.on", true)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("AuthBearer::new") && err.contains("/api"),
        "{err}"
    );
    let err = App::builder(Root::default())
        .tool_at("/", basic(Arc::default()).realm("say \"hi\""))
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("realm"), "{err}");
    let err = App::builder(Root::default())
        .tool_at("/", basic(Arc::default()).methods(&["GE T"]))
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an HTTP method"), "{err}");
}

#[actix_web::test]
async fn over_a_real_socket() {
    let s = TestServer::start(
        App::builder(Root::default())
            .tool_at("/", basic(Arc::default()))
            .build()
            .unwrap(),
    )
    .await;
    let res = s.raw(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(res.starts_with("HTTP/1.1 401"), "{res}");
    assert!(
        res.to_ascii_lowercase()
            .contains("www-authenticate: basic realm=\"drupe\""),
        "{res}"
    );
    let res = s.raw(b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\nConnection: close\r\n\r\n");
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(res.ends_with("admin by Basic"), "{res}");
    s.stop().await;
}

#[actix_web::test]
async fn the_openapi_document_names_the_schemes_and_the_answers_of_each_operation() {
    let b = App::builder(Root::default())
        .tool_at("/", basic(Arc::default()).methods(&["POST"]))
        .tool_at("/", bearer().methods(&["POST"]));
    let c = client(b).await;
    let doc: serde_json::Value = c.get("/openapi.json").send().await.json();
    assert_eq!(
        doc["components"]["securitySchemes"],
        serde_json::json!({
            "basicAuth": { "type": "http", "scheme": "basic" },
            "bearerAuth": { "type": "http", "scheme": "bearer" },
        })
    );
    let post = &doc["paths"]["/notes"]["post"];
    assert_eq!(
        post["security"],
        serde_json::json!([{ "basicAuth": [] }, { "bearerAuth": [] }]),
        "either scheme will do"
    );
    assert!(post["responses"]["401"].is_object(), "{post}");
    assert!(post["responses"]["429"].is_object(), "{post}");
    let get = &doc["paths"]["/notes"]["get"];
    assert!(get["security"].is_null(), "reads stay public: {get}");
    assert!(get["responses"]["401"].is_null(), "{get}");
    // A handler taking `Identity` answers 401 itself where no tool vouched for the caller,
    // and says so; one taking `Option<Identity>` never does.
    let strict = &doc["paths"]["/strict"]["get"]["responses"]["401"]["description"];
    assert_eq!(strict, "No authentication tool vouched for the caller");
    let index = &doc["paths"]["/"]["get"]["responses"];
    assert!(index["401"].is_null(), "{index}");
    c.get("/strict").send().await.assert_status(401);
}

/// A preflight carries no credentials (Fetch §4.8): the CORS tool answers it before the
/// authentication tools ask for them, and a 401 still tells the allowed origin's script why.
#[actix_web::test]
async fn a_cors_preflight_passes_authentication_and_a_401_keeps_its_cors_headers() {
    let c = client(
        App::builder(Root::default())
            .tool_at("/", basic(Arc::default()))
            .tool_at("/", drupe::Cors::new().allow_origin("https://app.example")),
    )
    .await;
    c.options("/notes")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .assert_status(204)
        .assert_header("access-control-allow-origin", "https://app.example");
    c.post("/notes")
        .header("origin", "https://app.example")
        .send()
        .await
        .assert_status(401)
        .assert_header("access-control-allow-origin", "https://app.example");
}

/// An API client never had a CSRF token: under both tools, an anonymous write is the
/// authentication's 401 (it says how to get in), and the owner's write with credentials
/// needs no token — but a browser's cross-site post carrying remembered credentials is still
/// refused by the origin check.
#[actix_web::test]
async fn under_csrf_an_anonymous_api_write_is_a_401_and_credentials_need_no_token() {
    let c = client(
        App::builder(Root::default())
            .tool_at("/", basic(Arc::default()))
            .set("/", "tools.csrf.on", true),
    )
    .await;
    c.post("/notes")
        .form(&[("text", "x")])
        .send()
        .await
        .assert_status(401);
    c.post("/notes")
        .header("authorization", &b64("admin:secret"))
        .form(&[("text", "x")])
        .send()
        .await
        .assert_text("x");
    c.post("/notes")
        .header("authorization", &b64("admin:secret"))
        .header("origin", "https://evil.example")
        .form(&[("text", "x")])
        .send()
        .await
        .assert_status(403);
}

/// The verifier's own failure (its database is down) is its answer, never a 401 that would
/// tell the client its credentials were wrong.
#[actix_web::test]
async fn a_verifier_that_fails_answers_its_error_not_a_401() {
    let down = |_| async {
        Err(drupe::HttpError::unavailable(
            5,
            "the user table is unreachable",
        ))
    };
    let c = client(
        App::builder(Root::default())
            .tool_at("/", AuthBearer::new(token_verifier_fn(down)))
            .tool_at(
                "/",
                AuthBasic::new(verifier_fn(|_, _| async {
                    Err(drupe::HttpError::unavailable(
                        5,
                        "the user table is unreachable",
                    ))
                })),
            ),
    )
    .await;
    for auth in ["Bearer t0k3n".to_owned(), b64("admin:secret")] {
        c.get("/")
            .header("authorization", &auth)
            .send()
            .await
            .assert_status(503)
            .assert_header("retry-after", "5");
    }
}
