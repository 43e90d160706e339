//! The method dispatcher (CherryPy's `MethodDispatcher`): a handler per HTTP method, `HEAD`
//! from `GET`, `OPTIONS` and 405 with `Allow`.

use drupe::testing::{TestClient, TestServer};
use drupe::{App, HttpError, NoContent, controller, resource};

struct Root {
    item: Item,
    put_only: PutOnly,
    own_options: OwnOptions,
}

#[controller]
impl Root {
    #[mount]
    fn item(&self) -> &Item {
        &self.item
    }

    #[mount]
    fn put_only(&self) -> &PutOnly {
        &self.put_only
    }

    #[mount]
    fn own_options(&self) -> &OwnOptions {
        &self.own_options
    }
}

struct Item;

#[resource]
impl Item {
    fn get(&self, id: Option<u32>) -> Result<String, HttpError> {
        match id {
            None => Ok("all".into()),
            Some(1) => Ok("one".into()),
            Some(n) => Err(HttpError::not_found(format!("No item {n}."))),
        }
    }

    fn post(&self, name: String) -> String {
        format!("posted {name}")
    }

    fn delete(&self, id: u32) -> NoContent {
        let _ = id;
        NoContent
    }

    #[verb("PROPFIND")]
    fn propfind(&self) -> &'static str {
        "properties"
    }

    /// A helper: not a verb, not routed.
    #[allow(dead_code)]
    fn helper(&self) -> u8 {
        1
    }
}

struct PutOnly;

#[resource]
impl PutOnly {
    fn put(&self) -> &'static str {
        "put"
    }
}

struct OwnOptions;

#[resource]
impl OwnOptions {
    fn get(&self) -> &'static str {
        "get"
    }

    fn options(&self) -> &'static str {
        "my own options"
    }
}

fn app() -> App {
    App::new(Root {
        item: Item,
        put_only: PutOnly,
        own_options: OwnOptions,
    })
    .unwrap()
}

const ITEM_ALLOW: &str = "DELETE, GET, HEAD, OPTIONS, POST, PROPFIND";

#[actix_web::test]
async fn verbs_answer_their_methods_with_allow_on_every_response() {
    let c = TestClient::new(app()).await;
    c.get("/item")
        .send()
        .await
        .assert_status(200)
        .assert_text("all")
        .assert_header("allow", ITEM_ALLOW);
    c.get("/item/")
        .send()
        .await
        .assert_status(200)
        .assert_text("all");
    c.get("/item/1")
        .send()
        .await
        .assert_text("one")
        .assert_header("allow", ITEM_ALLOW);
    c.get("/item?id=1").send().await.assert_text("one");
    // A 404 raised inside keeps `Allow`.
    c.get("/item/7")
        .send()
        .await
        .assert_status(404)
        .assert_text("No item 7.")
        .assert_header("allow", ITEM_ALLOW);
    // Mismatches apply to verbs unchanged.
    c.get("/item/1/2")
        .send()
        .await
        .assert_status(404)
        .assert_header("allow", ITEM_ALLOW);
    c.get("/item/x")
        .send()
        .await
        .assert_status(404)
        .assert_text("Invalid value for parameter 'id': expected u32.");
    c.delete("/item")
        .send()
        .await
        .assert_status(404)
        .assert_text("Missing parameters: id");
    c.delete("/item/3")
        .send()
        .await
        .assert_status(204)
        .assert_header("allow", ITEM_ALLOW);
    c.post("/item")
        .form(&[("name", "x")])
        .send()
        .await
        .assert_text("posted x");
    c.request(
        actix_web::http::Method::from_bytes(b"PROPFIND").unwrap(),
        "/item",
    )
    .send()
    .await
    .assert_status(200)
    .assert_text("properties");
    // Not a verb: a 405, not a 404.
    c.request(actix_web::http::Method::PATCH, "/item")
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", ITEM_ALLOW)
        .assert_text("Specified method is invalid for this resource");
    c.request(
        actix_web::http::Method::from_bytes(b"XYU").unwrap(),
        "/item",
    )
    .send()
    .await
    .assert_status(405);
    // A private helper is never reached: `helper` is read as `get`'s `id`.
    c.get("/item/helper")
        .send()
        .await
        .assert_status(404)
        .assert_text("Invalid value for parameter 'id': expected u32.");
}

#[actix_web::test]
async fn head_comes_from_get_and_options_is_answered() {
    let c = TestClient::new(app()).await;
    c.head("/item/1")
        .send()
        .await
        .assert_status(200)
        .assert_empty()
        .assert_header("allow", ITEM_ALLOW);
    c.options("/item")
        .send()
        .await
        .assert_status(204)
        .assert_empty()
        .assert_header("allow", ITEM_ALLOW);
    c.options("/own_options")
        .send()
        .await
        .assert_status(200)
        .assert_text("my own options")
        .assert_header("allow", "GET, HEAD, OPTIONS");
}

#[actix_web::test]
async fn a_resource_with_only_put() {
    let c = TestClient::new(app()).await;
    c.get("/put_only")
        .send()
        .await
        .assert_status(405)
        .assert_header("allow", "OPTIONS, PUT");
    c.head("/put_only").send().await.assert_status(405);
    c.put("/put_only")
        .send()
        .await
        .assert_status(200)
        .assert_text("put");
}

#[actix_web::test]
async fn a_405_is_negotiated_like_every_error() {
    let c = TestClient::new(app()).await;
    let r = c.get("/put_only").accept("application/json").send().await;
    r.assert_status(405)
        .assert_header("content-type", "application/problem+json");
    let v: serde_json::Value = r.json();
    assert_eq!(v["allow"], serde_json::json!(["OPTIONS", "PUT"]));
}

#[actix_web::test]
async fn malformed_method_tokens_are_400_over_a_socket() {
    let s = TestServer::start(app()).await;
    for line in [
        "G(T /item HTTP/1.1",
        "GE T /item HTTP/1.1",
        "G\u{7f}T /item HTTP/1.1",
    ] {
        let raw = s.raw(format!("{line}\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes());
        assert!(raw.starts_with("HTTP/1.1 400"), "{line:?} -> {raw}");
    }
    // The server still serves.
    s.client().get("/item/1").send().await.assert_status(200);
    s.stop().await;
}
