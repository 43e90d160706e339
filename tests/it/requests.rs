//! Requests end to end: error formats, bodies and their limits, uploads, panics, hosts.

use actix_web::{HttpRequest, web};
use drupe::testing::{Part, TestClient, TestServer};
use drupe::{App, Body, HttpError, Upload, controller};
use serde_json::json;

struct Root;

#[derive(serde::Deserialize, serde::Serialize)]
struct Greeting {
    name: String,
    times: Option<u8>,
}

#[controller]
impl Root {
    #[expose]
    fn boom(&self) -> &'static str {
        panic!("the handler fell over")
    }

    #[expose]
    async fn boom_async(&self) -> &'static str {
        tokio::task::yield_now().await;
        panic!("the async handler fell over")
    }

    #[expose]
    fn ok(&self) -> &'static str {
        "ok"
    }

    #[expose]
    fn fail(&self) -> Result<String, HttpError> {
        Err(HttpError::internal("database password is hunter2"))
    }

    #[expose]
    fn conflict(&self) -> Result<String, HttpError> {
        Err(HttpError::conflict("Already there."))
    }

    #[expose]
    async fn greet(&self, body: Body<Greeting>) -> String {
        format!("hello {} x{}", body.name, body.times.unwrap_or(1))
    }

    #[expose]
    fn upload(&self, file: Upload, legend: Option<String>) -> web::Json<serde_json::Value> {
        web::Json(json!({
            "filename": file.filename(),
            "type": file.content_type().map(|m| m.to_string()),
            "len": file.len(),
            "legend": legend,
        }))
    }

    #[expose]
    fn whoami(&self, req: HttpRequest) -> String {
        req.path().to_owned()
    }
}

async fn client() -> TestClient {
    TestClient::new(App::new(Root).unwrap()).await
}

#[actix_web::test]
async fn a_panic_costs_one_500_and_nothing_else() {
    let c = client().await;
    for _ in 0..3 {
        for p in ["/boom", "/boom_async"] {
            let r = c.get(p).send().await;
            r.assert_status(500);
            // The generic message and the id of the log line, nothing of the panic.
            let id = r.header("x-request-id").expect("a request id");
            r.assert_text(&format!("{}\nRequest id: {id}\n", drupe::INTERNAL_MESSAGE));
        }
        c.get("/ok")
            .send()
            .await
            .assert_status(200)
            .assert_text("ok");
    }
}

#[actix_web::test]
async fn a_panic_over_a_socket_leaves_the_worker_serving() {
    let s = TestServer::start(App::new(Root).unwrap()).await;
    for _ in 0..20 {
        s.client().get("/boom").send().await.assert_status(500);
    }
    s.client().get("/ok").send().await.assert_status(200);
    s.stop().await;
}

#[actix_web::test]
async fn internal_details_stay_in_the_log() {
    let c = client().await;
    let log = crate::capture::Log::new();
    let r = {
        let _on = log.on_this_thread();
        c.get("/fail").accept("application/json").send().await
    };
    r.assert_status(500)
        .assert_header("content-type", "application/problem+json")
        .assert_contains(drupe::INTERNAL_MESSAGE);
    assert!(!r.text().contains("hunter2"), "{r:?}");
    // The operator learns what the client does not: the detail is in the log, with the path.
    let lines = log.text();
    assert!(
        lines.contains("database password is hunter2") && lines.contains("/fail"),
        "the log lacks the detail:\n{lines}"
    );
}

#[actix_web::test]
async fn errors_are_negotiated() {
    let c = client().await;
    c.get("/conflict")
        .send()
        .await
        .assert_status(409)
        .assert_header("content-type", "text/plain; charset=utf-8")
        .assert_header("vary", "Accept")
        .assert_text("Already there.");
    c.get("/conflict")
        .accept("application/json")
        .send()
        .await
        .assert_header("content-type", "application/problem+json")
        .assert_json(json!({
            "type": "about:blank", "title": "Conflict", "status": 409,
            "detail": "Already there.", "instance": "/conflict"
        }));
    c.get("/conflict")
        .accept("text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_contains("<h2>409 Conflict</h2>")
        .assert_contains("<p>Already there.</p>");
    c.get("/nowhere")
        .accept("application/json")
        .send()
        .await
        .assert_status(404)
        .assert_contains("\"detail\":\"The path '/nowhere' was not found.\"");
}

#[actix_web::test]
async fn typed_bodies_by_content_type() {
    let c = client().await;
    c.post("/greet")
        .json(&json!({"name": "ada", "times": 2}))
        .send()
        .await
        .assert_status(200)
        .assert_text("hello ada x2");
    c.post("/greet")
        .body("application/xml", "<greeting><name>bob</name></greeting>")
        .send()
        .await
        .assert_status(200)
        .assert_text("hello bob x1");
    c.post("/greet")
        .form(&[("name", "eve"), ("times", "3")])
        .send()
        .await
        .assert_status(200)
        .assert_text("hello eve x3");
    c.post("/greet")
        .multipart(&[Part::text("name", "zoe")])
        .send()
        .await
        .assert_status(200)
        .assert_text("hello zoe x1");
}

#[actix_web::test]
async fn bad_bodies_are_clear_4xx() {
    let c = client().await;
    c.post("/greet")
        .body("text/plain", "name=x")
        .send()
        .await
        .assert_status(415)
        .assert_contains("text/plain")
        .assert_contains("application/json");
    c.post("/greet")
        .send()
        .await
        .assert_status(415)
        .assert_contains("no Content-Type");
    c.post("/greet")
        .body("application/json", "{\"name\": ")
        .send()
        .await
        .assert_status(400)
        .assert_contains("Invalid JSON body")
        .assert_contains("line 1 column");
    c.post("/greet")
        .json(&json!({"name": 5}))
        .send()
        .await
        .assert_status(400)
        .assert_contains("invalid type");
    c.post("/greet")
        .json(&json!({"name": "x", "times": 300}))
        .send()
        .await
        .assert_status(400)
        .assert_contains("expected u8");
    c.post("/greet")
        .body("application/xml", "<greeting><name>x</greeting>")
        .send()
        .await
        .assert_status(400)
        .assert_contains("Invalid XML body");
    c.post("/greet")
        .body(
            "application/xml",
            "<!DOCTYPE g [<!ENTITY a \"aaaaaaaa\">]><greeting><name>&a;</name></greeting>",
        )
        .send()
        .await
        .assert_status(400);
    c.post("/greet")
        .body("multipart/form-data; boundary=zz", "--zz\r\nbroken")
        .send()
        .await
        .assert_status(400)
        .assert_contains("multipart");
}

#[actix_web::test]
async fn bodies_over_the_limit_are_413() {
    let app = App::builder(Root)
        .set("/greet", "request.body.max_size", 64)
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    let big = "x".repeat(100);
    c.post("/greet")
        .json(&json!({"name": big}))
        .send()
        .await
        .assert_status(413)
        .assert_text(
            "The request body is larger than the limit of 64 bytes (request.body.max_size).",
        );
    // The default limit (1 MiB) applies elsewhere.
    let file = vec![7u8; 200_000];
    c.post("/upload")
        .multipart(&[Part::file(
            "file",
            "a.bin",
            "application/octet-stream",
            file,
        )])
        .send()
        .await
        .assert_status(200);
    let file = vec![7u8; 1_100_000];
    c.post("/upload")
        .multipart(&[Part::file(
            "file",
            "a.bin",
            "application/octet-stream",
            file,
        )])
        .send()
        .await
        .assert_status(413);
}

#[actix_web::test]
async fn uploads_are_named_values() {
    let c = client().await;
    c.post("/upload")
        .multipart(&[
            Part::text("legend", "a cat"),
            Part::file("file", "cat.png", "image/png", &b"\x89PNG...."[..]),
        ])
        .send()
        .await
        .assert_status(200)
        .assert_json(
            json!({"filename": "cat.png", "type": "image/png", "len": 8, "legend": "a cat"}),
        );
    // A text field where a file is expected.
    c.post("/upload")
        .multipart(&[Part::text("file", "not a file")])
        .send()
        .await
        .assert_status(400)
        .assert_text("Invalid value for parameter 'file': expected file.");
    c.post("/upload")
        .multipart(&[Part::text("legend", "x")])
        .send()
        .await
        .assert_status(404)
        .assert_text("Missing parameters: file");
}

#[actix_web::test]
async fn extractors_are_arguments() {
    let c = client().await;
    c.get("/whoami").send().await.assert_text("/whoami");
}

#[actix_web::test]
async fn invalid_hosts_are_400() {
    let c = client().await;
    c.get("/ok")
        .header("host", "a/b")
        .send()
        .await
        .assert_status(400)
        .assert_text("Invalid Host header.");
    c.get("/ok")
        .header("host", "example.org:8080")
        .send()
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn mounted_under_a_prefix_in_a_users_actix_app() {
    let app = App::new(Root).unwrap();
    let svc = actix_web::test::init_service(
        actix_web::App::new()
            .service(app.scope("/api"))
            .route("/other", web::get().to(|| async { "actix" })),
    )
    .await;
    let req = actix_web::test::TestRequest::get()
        .uri("/api/ok")
        .to_request();
    let body = actix_web::test::call_and_read_body(&svc, req).await;
    assert_eq!(body, "ok");
    let req = actix_web::test::TestRequest::get()
        .uri("/other")
        .to_request();
    assert_eq!(
        actix_web::test::call_and_read_body(&svc, req).await,
        "actix"
    );
    let req = actix_web::test::TestRequest::get()
        .uri("/api/nope")
        .to_request();
    let res = actix_web::test::call_service(&svc, req).await;
    assert_eq!(res.status(), 404);
    let body = actix_web::test::read_body(res).await;
    assert_eq!(body, "The path '/api/nope' was not found.");
    // actix-web matches the scope on the path with escapes of plain characters decoded: the
    // mount prefix is cut where it ends in the path as sent, not at its length.
    for (uri, expected) in [
        ("/%61pi/ok", "ok"),
        ("/%61%70%69/ok", "ok"),
        ("/api/%6Fk", "ok"),
        ("/api//ok", "ok"),
    ] {
        let req = actix_web::test::TestRequest::get().uri(uri).to_request();
        let res = actix_web::test::call_service(&svc, req).await;
        assert_eq!(res.status(), 200, "{uri}");
        assert_eq!(actix_web::test::read_body(res).await, expected, "{uri}");
    }
}
