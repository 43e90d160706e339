//! What a handler's value carries to the client: headers and cookies added to a `Negotiated`,
//! `Created` or `NoContent` reply, and errors of the application's own type.

use actix_web::cookie::Cookie;
use drupe::testing::{TestClient, TestResponse};
use drupe::{App, Created, HttpError, Negotiated, NoContent, controller, resource};
use serde_json::json;

#[derive(serde::Serialize)]
#[serde(rename = "note")]
struct Note {
    id: u64,
}

/// The application's own error: handlers return it, the dispatcher answers its `HttpError`.
#[derive(Debug)]
enum StoreError {
    Missing(u64),
    Down,
}

impl From<StoreError> for HttpError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Missing(id) => HttpError::not_found(format!("No note {id}.")),
            StoreError::Down => HttpError::unavailable(7, "the store is down"),
        }
    }
}

fn lookup(id: u64) -> Result<Note, StoreError> {
    match id {
        0 => Err(StoreError::Down),
        1..=9 => Ok(Note { id }),
        _ => Err(StoreError::Missing(id)),
    }
}

struct Root {
    notes: Notes,
}

#[controller]
impl Root {
    #[expose]
    #[produces(json, xml)]
    fn note(&self, id: u64) -> Result<Negotiated<Note>, StoreError> {
        let note = lookup(id)?;
        Ok(Negotiated::new(note)
            .header("cache-control", "max-age=60")
            .header("x-note", id.to_string())
            .cookie(Cookie::new("last", id.to_string())))
    }

    /// Outside `#[produces]`: JSON, with the same headers and cookies.
    #[expose]
    fn plain(&self) -> Negotiated<Note> {
        Negotiated::new(Note { id: 1 })
            .header("x-note", "1")
            .cookie(Cookie::new("last", "1"))
    }

    /// A `?` on the application's error in a handler answering text.
    #[expose]
    async fn title(&self, id: u64) -> Result<String, StoreError> {
        Ok(format!("note {}", lookup(id)?.id))
    }

    /// A reply cannot set the representation's own `Content-Type`.
    #[expose]
    #[produces(json)]
    fn bad_header(&self) -> Negotiated<Note> {
        Negotiated::new(Note { id: 1 }).header("content-type", "text/plain")
    }

    #[mount]
    fn notes(&self) -> &Notes {
        &self.notes
    }
}

struct Notes;

#[resource]
impl Notes {
    #[produces(json, xml)]
    fn post(&self, id: u64) -> Result<Created<Note>, StoreError> {
        let note = lookup(id)?;
        Ok(Created::new(format!("/notes/{id}"), note)
            .header("cache-control", "no-store")
            .cookie(Cookie::new("created", id.to_string())))
    }

    fn delete(&self, id: u64) -> Result<NoContent, StoreError> {
        lookup(id)?;
        let mut gone = Cookie::new("last", "");
        gone.make_removal();
        Ok(NoContent.header("x-deleted", id.to_string()).cookie(gone))
    }
}

async fn client() -> TestClient {
    TestClient::new(App::new(Root { notes: Notes }).unwrap()).await
}

fn cookies(res: &TestResponse) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn a_negotiated_reply_carries_its_headers_and_cookies_in_every_representation() {
    let c = client().await;
    for (accept, ct) in [
        ("application/json", "application/json"),
        ("application/xml", "application/xml"),
    ] {
        let res = c.get("/note?id=3").accept(accept).send().await;
        res.assert_status(200)
            .assert_header("content-type", ct)
            .assert_header("vary", "Accept")
            .assert_header("cache-control", "max-age=60")
            .assert_header("x-note", "3");
        assert_eq!(cookies(&res), ["last=3"]);
    }
    let res = c.get("/plain").send().await;
    res.assert_status(200)
        .assert_header("x-note", "1")
        .assert_json(json!({"id": 1}));
    assert_eq!(cookies(&res), ["last=1"]);
}

#[actix_web::test]
async fn created_and_no_content_carry_theirs_too() {
    let c = client().await;
    let res = c
        .post("/notes?id=4")
        .header("host", "api.example")
        .accept("application/xml")
        .send()
        .await;
    res.assert_status(201)
        .assert_header("location", "http://api.example/notes/4")
        .assert_header("cache-control", "no-store")
        .assert_contains("<id>4</id>");
    assert_eq!(cookies(&res), ["created=4"]);
    let res = c.delete("/notes?id=5").send().await;
    res.assert_status(204)
        .assert_header("x-deleted", "5")
        .assert_empty();
    let gone = cookies(&res);
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert!(gone[0].starts_with("last=;"), "{gone:?}");
    assert!(gone[0].contains("Max-Age=0"), "{gone:?}");
}

#[actix_web::test]
async fn an_error_answer_carries_no_reply_parts() {
    let c = client().await;
    let res = c.get("/note?id=42").send().await;
    res.assert_status(404)
        .assert_no_header("x-note")
        .assert_no_header("set-cookie")
        .assert_contains("No note 42.");
    let res = c.get("/bad_header").send().await;
    res.assert_status(500).assert_no_header("set-cookie");
    assert!(!res.text().contains("Content-Type"), "{}", res.text());
}

#[actix_web::test]
async fn the_applications_error_answers_as_the_http_error_it_converts_into() {
    let c = client().await;
    c.get("/title?id=2")
        .send()
        .await
        .assert_status(200)
        .assert_text("note 2");
    c.get("/title?id=12")
        .send()
        .await
        .assert_status(404)
        .assert_contains("No note 12.");
    for res in [
        c.get("/title?id=0").send().await,
        c.get("/note?id=0").send().await,
        c.post("/notes?id=0").send().await,
    ] {
        res.assert_status(503)
            .assert_header("retry-after", "7")
            .assert_no_header("set-cookie");
        // What went to the log stays there.
        assert!(!res.text().contains("down"), "{}", res.text());
    }
    c.delete("/notes?id=11")
        .send()
        .await
        .assert_status(404)
        .assert_contains("No note 11.");
}
