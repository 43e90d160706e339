//! The tour's `/users` and `/feed` over a real socket, and its OpenAPI document.

use drupe::testing::{TestClient, TestServer};
use serde_json::json;

#[actix_web::test]
async fn users_collection_and_items() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    c.get("/users")
        .send()
        .await
        .assert_status(200)
        .assert_header("allow", "GET, HEAD, OPTIONS, POST")
        .assert_json(json!([{"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}]));
    let created = c
        .post("/users")
        .json(&json!({"name": "linus"}))
        .send()
        .await;
    created
        .assert_status(201)
        .assert_header("location", &s.url("/users/3"))
        .assert_json(json!({"id": 3, "name": "linus"}));
    c.post("/users")
        .body("application/xml", "<user><name>barbara</name></user>")
        .send()
        .await
        .assert_status(201)
        .assert_header("location", &s.url("/users/4"));
    c.post("/users")
        .form(&[("name", "edsger")])
        .send()
        .await
        .assert_status(201)
        .assert_json(json!({"id": 5, "name": "edsger"}));
    c.post("/users")
        .json(&json!({"name": "  "}))
        .send()
        .await
        .assert_status(400)
        .assert_text("name must be 1 to 200 characters.");
    c.post("/users")
        .json(&json!({"nom": "x"}))
        .send()
        .await
        .assert_status(400)
        .assert_contains("Invalid JSON body: unknown field `nom`");
    c.post("/users")
        .body("text/plain", "name=x")
        .send()
        .await
        .assert_status(415)
        .assert_contains("The body's Content-Type (text/plain) is not supported");
    // Nothing was created by the refused requests.
    let all: Vec<serde_json::Value> = c.get("/users").send().await.json();
    assert_eq!(all.len(), 5);

    c.get("/users/1")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "application/json")
        .assert_header("allow", "DELETE, GET, HEAD, OPTIONS, PUT")
        .assert_json(json!({"id": 1, "name": "ada"}));
    c.get("/users/1")
        .accept("application/xml")
        .send()
        .await
        .assert_contains("<user><id>1</id><name>ada</name></user>");
    c.get("/users/1")
        .accept("text/x-json")
        .send()
        .await
        .assert_header("content-type", "text/x-json; charset=utf-8");
    c.get("/users/1")
        .accept("text/html")
        .send()
        .await
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_contains("<h1>ada</h1>");
    c.get("/users/99")
        .send()
        .await
        .assert_status(404)
        .assert_text("No user 99.");
    c.get("/users/abc").send().await.assert_status(404);

    c.put("/users/2")
        .json(&json!({"name": "grace hopper"}))
        .send()
        .await
        .assert_status(200)
        .assert_json(json!({"id": 2, "name": "grace hopper"}));
    c.put("/users/77")
        .json(&json!({"name": "nobody"}))
        .send()
        .await
        .assert_status(404);
    c.get("/users/77").send().await.assert_status(404);

    c.delete("/users/3")
        .send()
        .await
        .assert_status(204)
        .assert_empty();
    c.delete("/users/3").send().await.assert_status(404);
    c.get("/users/3").send().await.assert_status(404);
    c.request(actix_web::http::Method::PATCH, "/users/1")
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", "DELETE, GET, HEAD, OPTIONS, PUT");
    s.stop().await;
}

#[actix_web::test]
async fn the_feed() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    let atom = c.get("/feed").send().await;
    atom.assert_status(200)
        .assert_header("content-type", "application/atom+xml")
        .assert_contains(
            "<entry><id>tag:tour.drupe,2024:users/1</id><title type=\"text\">ada</title>",
        )
        .assert_contains(&format!(
            "<link rel=\"alternate\" href=\"{}\" type=\"text/html\"/>",
            s.url("/users/1")
        ))
        .assert_contains("<author><name>grace</name></author>");
    c.get("/feed")
        .accept("application/json")
        .send()
        .await
        .assert_json(json!([{"id": 1, "name": "ada"}, {"id": 2, "name": "grace"}]));
    c.get("/feed")
        .accept("text/html")
        .send()
        .await
        .assert_status(406);
    s.stop().await;
}

/// The document is compared with `tests/golden/tour.openapi.json`; set `DRUPE_BLESS=1` to
/// write the file after an intended change.
#[actix_web::test]
async fn the_tour_openapi_document_does_not_drift() {
    let c = TestClient::new(crate::tour::app()).await;
    let doc = c.get("/openapi.json").send().await;
    doc.assert_status(200)
        .assert_header("content-type", "application/json");
    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/tour.openapi.json"
    );
    if std::env::var_os("DRUPE_BLESS").is_some() {
        std::fs::create_dir_all(std::path::Path::new(golden).parent().unwrap()).unwrap();
        std::fs::write(golden, doc.body()).unwrap();
    }
    let want = std::fs::read_to_string(golden).expect("the golden file (DRUPE_BLESS=1 writes it)");
    assert!(
        doc.text() == want,
        "the tour's OpenAPI document changed; review the difference and bless it with DRUPE_BLESS=1"
    );
    let v: serde_json::Value = doc.json();
    assert_eq!(v["openapi"], "3.1.0");
    let item = &v["paths"]["/users/{id}"];
    for m in ["get", "put", "delete"] {
        assert!(item[m].is_object(), "{m} missing");
        assert!(item[m]["responses"]["404"].is_object(), "{m} lacks 404");
        assert!(item[m]["responses"]["405"].is_object(), "{m} lacks 405");
    }
    assert_eq!(item["get"]["parameters"][0]["name"], "id");
    assert_eq!(item["get"]["parameters"][0]["in"], "path");
    assert_eq!(item["get"]["parameters"][0]["schema"]["type"], "integer");
    let get_content = &item["get"]["responses"]["200"]["content"];
    for m in [
        "application/json",
        "application/xml",
        "text/json",
        "text/x-json",
        "text/html",
    ] {
        assert!(
            get_content[m].is_object(),
            "{m} missing from GET /users/{{id}}"
        );
    }
    assert!(item["get"]["responses"]["406"].is_object());
    let post = &v["paths"]["/users"]["post"];
    assert!(post["responses"]["201"]["headers"]["Location"].is_object());
    assert!(post["requestBody"]["content"]["application/xml"].is_object());
    assert_eq!(
        v["components"]["schemas"]["UserIn"]["required"],
        json!(["name"])
    );
    assert_eq!(
        v["paths"]["/blog/post/{year}/{slug}"]["get"]["parameters"][0]["schema"]["maximum"],
        json!(65535)
    );
    assert!(v["paths"]["/archive/{year}/{month}/"]["get"].is_object());
}

#[actix_web::test]
async fn openapi_and_docs_are_for_loopback_clients_only() {
    let c = TestClient::new(crate::tour::app()).await;
    let outside: std::net::SocketAddr = "203.0.113.9:5000".parse().unwrap();
    c.get("/openapi.json")
        .peer(outside)
        .send()
        .await
        .assert_status(404);
    c.get("/docs/")
        .peer(outside)
        .send()
        .await
        .assert_status(404);
    c.get("/docs/")
        .send()
        .await
        .assert_status(200)
        // `/` escaped as minijinja escapes it (a browser shows a slash).
        .assert_contains("<code>&#x2f;users&#x2f;{id}</code>")
        .assert_header("x-content-type-options", "nosniff");
    // On by default, so that the setting is what turns it off.
    let on = drupe::App::new(TourlessRoot).unwrap();
    let c = TestClient::new(on).await;
    c.get("/openapi.json").send().await.assert_status(200);
    let off = drupe::App::builder(TourlessRoot)
        .set_global("openapi.on", false)
        .build()
        .unwrap();
    let c = TestClient::new(off).await;
    c.get("/openapi.json").send().await.assert_status(404);
}

struct TourlessRoot;

#[drupe::controller]
impl TourlessRoot {
    #[expose]
    fn index(&self) -> &'static str {
        "x"
    }
}

#[actix_web::test]
async fn users_answer_scripts_of_app_example_only() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    for (path, allow) in [
        ("/users/", "GET, HEAD, OPTIONS, POST"),
        ("/users/1", "DELETE, GET, HEAD, OPTIONS, PUT"),
    ] {
        let r = c
            .options(path)
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "content-type")
            .send()
            .await;
        r.assert_status(204)
            .assert_header("access-control-allow-origin", "https://app.example")
            .assert_header("access-control-allow-methods", allow)
            .assert_header("access-control-allow-headers", "Content-Type")
            .assert_header("access-control-max-age", "600");
        let r = c
            .options(path)
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "GET")
            .send()
            .await;
        r.assert_status(204).assert_header("allow", allow);
        for name in [
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-max-age",
        ] {
            r.assert_no_header(name);
        }
    }
    // The answers themselves, cached or not.
    for _ in 0..2 {
        c.get("/users/1")
            .header("origin", "https://app.example")
            .send()
            .await
            .assert_status(200)
            .assert_header("access-control-allow-origin", "https://app.example");
        c.get("/users/1")
            .header("origin", "https://evil.example")
            .send()
            .await
            .assert_status(200)
            .assert_no_header("access-control-allow-origin");
    }
    c.get("/feed")
        .header("origin", "https://app.example")
        .send()
        .await
        .assert_no_header("access-control-allow-origin");
}
