//! The photoblog's REST services (the method dispatcher over albums, films and photos) on SQLite and PostgreSQL, and their
//! OpenAPI document.

use std::path::Path;

use drupe::testing::TestClient;
use serde_json::{Value, json};

use crate::support::{ByOwner, blog_on, postgres_db, sqlite_client, temp_dir};

pub(crate) fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .count()
        })
        .unwrap_or(0)
}

/// What a collection (`/services/rest/album/`) and an item (`/services/rest/album/2`) allow.
const COLLECTION_ALLOWS: &str = "GET, HEAD, OPTIONS, POST";
const ITEM_ALLOWS: &str = "DELETE, GET, HEAD, OPTIONS, PUT";

/// The checks the CherryPy photoblog's own service tests make, with drupe's answers where it
/// differs (below), on one database.
async fn rest_checks(c: &TestClient) {
    reads(c).await;
    let id = creates(c).await;
    replaces_and_deletes(c, id).await;
    ranges(c).await;
    films_and_photos(c).await;
}

/// The resources, the list and one album, in each representation.
async fn reads(c: &TestClient) {
    c.get("/services/rest/").send().await.assert_status(404);
    c.request(
        actix_web::http::Method::from_bytes(b"XYU").unwrap(),
        "/services/rest/album/",
    )
    .send()
    .await
    .assert_status(405)
    .assert_header("allow", COLLECTION_ALLOWS);
    // No Accept: JSON (RFC 9110: no `Accept` accepts anything), not a 406. No id: the list.
    let list = c.get("/services/rest/album/").send().await;
    list.assert_status(200)
        .assert_header("content-type", "application/json");
    assert_eq!(list.json::<Vec<Value>>().len(), 3);
    c.get("/services/rest/album/st")
        .accept("application/json")
        .send()
        .await
        .assert_status(404);
    let one = c
        .get("/services/rest/album/2")
        .accept("application/json")
        .send()
        .await;
    one.assert_status(200)
        .assert_header("content-type", "application/json")
        .assert_header("allow", ITEM_ALLOWS);
    let v: Value = one.json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "author",
            "content",
            "created",
            "description",
            "id",
            "modified",
            "title",
            "uuid"
        ]
    );
    assert_eq!(v["title"], "Autumn in the park");
    // RFC 3339, in UTC: `2026-11-30T18:03:35Z`.
    for key in ["created", "modified"] {
        let t = v[key].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_ok()
                && t.ends_with('Z'),
            "{key}: {t}"
        );
    }
    c.get("/services/rest/album?album_id=2")
        .send()
        .await
        .assert_status(200)
        .assert_json(v.clone());
    // Representations.
    c.get("/services/rest/album/2")
        .accept("application/xml")
        .send()
        .await
        .assert_contains("<album><id>2</id>");
    c.get("/services/rest/album/2")
        .accept("application/atom+xml")
        .send()
        .await
        .assert_header("content-type", "application/atom+xml")
        .assert_contains(&format!(
            "<id>urn:uuid:{}</id>",
            v["uuid"].as_str().unwrap()
        ))
        .assert_contains("rel=\"alternate\"");
    c.get("/services/rest/album/")
        .accept("application/atom+xml")
        .send()
        .await
        .assert_contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">");
    for legacy in ["text/json", "text/x-json"] {
        c.get("/services/rest/album/2")
            .accept(legacy)
            .send()
            .await
            .assert_header("content-type", &format!("{legacy}; charset=utf-8"));
    }
}

/// POST in JSON, a form or XML; bad input refused. Returns the album created by JSON.
async fn creates(c: &TestClient) -> i64 {
    // POST: JSON, form, XML; 201 with the absolute Location and the album.
    let created = c
        .post("/services/rest/album/")
        .by_owner()
        .header("host", "blog.test")
        .json(
            &json!({"title": "Snow", "author": "ada", "description": "White", "content": "Cold."}),
        )
        .send()
        .await;
    created
        .assert_status(201)
        .assert_header("content-type", "application/json");
    let id = created.json::<Value>()["id"].as_i64().unwrap();
    created.assert_header(
        "location",
        &format!("http://blog.test/services/rest/album/{id}"),
    );
    c.post("/services/rest/album/")
        .by_owner()
        .form(&[("title", "By form")])
        .send()
        .await
        .assert_status(201);
    c.post("/services/rest/album/")
        .by_owner()
        .body("application/xml", "<album><title>By XML</title></album>")
        .send()
        .await
        .assert_status(201);
    // Bad input: clear 4xx, nothing created.
    c.post("/services/rest/album/")
        .by_owner()
        .json(&json!({"author": "no title"}))
        .send()
        .await
        .assert_status(400)
        .assert_text("title is required.");
    // A misspelt field is named, not ignored.
    c.post("/services/rest/album/")
        .by_owner()
        .json(&json!({"title": "Spring", "autor": "ada"}))
        .send()
        .await
        .assert_status(400)
        .assert_contains("unknown field `autor`");
    c.post("/services/rest/album/")
        .by_owner()
        .json(&json!({"title": "x".repeat(201)}))
        .send()
        .await
        .assert_status(400)
        .assert_text("title is longer than 200 characters.");
    // Errors come in the format the client asked for.
    let problem: Value = c
        .post("/services/rest/album/")
        .by_owner()
        .accept("application/json")
        .body("application/json", "{\"title\": ")
        .send()
        .await
        .assert_status(400)
        .assert_header("content-type", "application/problem+json")
        .json();
    assert_eq!(problem["status"], 400);
    assert!(
        problem["detail"].as_str().unwrap().contains("JSON"),
        "{problem}"
    );
    c.post("/services/rest/album/")
        .by_owner()
        .body("application/xml", "<album><title>unclosed</album>")
        .send()
        .await
        .assert_status(400);
    c.post("/services/rest/album/")
        .by_owner()
        .body("text/plain", "title=x")
        .send()
        .await
        .assert_status(415);
    c.post("/services/rest/album/")
        .by_owner()
        .json(&json!({"title": 5}))
        .send()
        .await
        .assert_status(400);
    assert_eq!(
        c.get("/services/rest/album/")
            .send()
            .await
            .json::<Vec<Value>>()
            .len(),
        6
    );
    id
}

/// PUT replaces (and never creates), DELETE deletes (a second time is a 404).
async fn replaces_and_deletes(c: &TestClient, id: i64) {
    // PUT never creates.
    c.put("/services/rest/album/23")
        .by_owner()
        .json(&json!({"title": "Nope"}))
        .send()
        .await
        .assert_status(404);
    c.get("/services/rest/album/23")
        .send()
        .await
        .assert_status(404);
    c.put(&format!("/services/rest/album/{id}"))
        .by_owner()
        .json(&json!({"title": "Fresh snow"}))
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "application/json");
    c.get(&format!("/services/rest/album/{id}"))
        .send()
        .await
        .assert_contains("Fresh snow");
    // DELETE: 204, then 404.
    c.delete(&format!("/services/rest/album/{id}"))
        .by_owner()
        .send()
        .await
        .assert_status(204)
        .assert_empty();
    c.delete(&format!("/services/rest/album/{id}"))
        .by_owner()
        .send()
        .await
        .assert_status(404);
    c.get(&format!("/services/rest/album/{id}"))
        .send()
        .await
        .assert_status(404);
}

/// `/services/rest/albums/<start>-<end>`.
async fn ranges(c: &TestClient) {
    // Not a range: no resource has that URI (as for an id that is not a number).
    for bad in ["3", "a", "0-", "a+3", "3-a", "0+3", "5-2"] {
        c.get(&format!("/services/rest/albums/{bad}"))
            .send()
            .await
            .assert_status(404)
            .assert_text(&format!(
                "No albums {bad}: a range is <start>-<end>, e.g. 0-3."
            ));
    }
    let r = c
        .get("/services/rest/albums/0-3")
        .accept("application/json")
        .send()
        .await;
    r.assert_status(200)
        .assert_header("allow", "GET, HEAD, OPTIONS");
    let titles: Vec<String> = r
        .json::<Vec<Value>>()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        titles,
        ["Holidays in Brittany", "Autumn in the park", "City lights"]
    );
    assert_eq!(
        c.get("/services/rest/albums/1-2")
            .send()
            .await
            .json::<Vec<Value>>()
            .len(),
        1
    );
    assert_eq!(
        c.get("/services/rest/albums/50-60")
            .send()
            .await
            .json::<Vec<Value>>()
            .len(),
        0
    );
}

/// Films and photos, and the cascade of an album's delete.
async fn films_and_photos(c: &TestClient) {
    // Films and photos.
    let films: Vec<Value> = c.get("/services/rest/film?album_id=1").send().await.json();
    assert_eq!(films.len(), 2);
    let film = films[0]["id"].as_i64().unwrap();
    let photos: Vec<Value> = c
        .get(&format!("/services/rest/photo?film_id={film}"))
        .send()
        .await
        .json();
    assert_eq!(photos.len(), 3);
    let photo = photos[0]["id"].as_i64().unwrap();
    let img = c
        .get(&format!("/services/rest/photo/{photo}"))
        .accept("image/*")
        .send()
        .await;
    img.assert_status(200)
        .assert_header("content-type", "image/png");
    assert!(img.body().starts_with(b"\x89PNG"));
    c.get("/services/rest/photo/")
        .accept("image/*")
        .send()
        .await
        .assert_status(406);
    let f = c
        .post("/services/rest/film/")
        .by_owner()
        .json(&json!({"title": "Extra", "album_id": 1}))
        .send()
        .await;
    f.assert_status(201);
    c.post("/services/rest/film/")
        .by_owner()
        .json(&json!({"title": "Orphan", "album_id": 999}))
        .send()
        .await
        .assert_status(404);
    // Cascade: deleting an album takes its films and photos.
    c.delete("/services/rest/album/1")
        .by_owner()
        .send()
        .await
        .assert_status(204);
    c.get(&format!("/services/rest/film/{film}"))
        .send()
        .await
        .assert_status(404);
    c.get(&format!("/services/rest/photo/{photo}"))
        .send()
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn rest_services_on_sqlite() {
    let (c, dir) = sqlite_client("rest").await;
    assert_eq!(files_in(&dir.join("photos")), 18);
    rest_checks(&c).await;
    // Album 1's six photos are gone with it, files included.
    assert_eq!(files_in(&dir.join("photos")), 12);
}

#[actix_web::test]
async fn rest_services_on_postgresql() {
    let url = postgres_db().await;
    let dir = temp_dir("pg");
    let c = TestClient::new(blog_on(&url, &dir, "memory").await).await;
    rest_checks(&c).await;
    // A second start on the same database neither migrates again nor seeds again.
    let again = TestClient::new(blog_on(&url, &dir, "memory").await).await;
    assert_eq!(
        again
            .get("/services/rest/album/")
            .send()
            .await
            .json::<Vec<Value>>()
            .len(),
        4
    );
}

#[actix_web::test]
async fn openapi_and_the_docs_page() {
    let (c, _dir) = sqlite_client("openapi").await;
    let doc: Value = c.get("/openapi.json").send().await.json();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/services/rest/album",
        "/services/rest/albums/{range}",
        "/services/rest/photo",
        "/album/{album_id}/upload",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    let upload = &doc["paths"]["/services/rest/photo"]["post"];
    assert!(
        upload["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["file"]
            .is_object(),
        "{upload}"
    );
    assert!(upload["responses"]["413"].is_object() && upload["responses"]["415"].is_object());
    // Writes say they need the owner; a token is 201, as it is answered.
    for (path, method) in [
        ("/services/rest/album", "post"),
        ("/services/rest/album/{album_id}", "delete"),
        ("/services/rest/token", "post"),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        assert!(responses["401"].is_object(), "{method} {path}: {responses}");
    }
    // A form page (a GET, public by its method) takes `SignedIn`: its 303 to the login form
    // and its 401 are documented with it, as what it answers.
    for path in [
        "/album/new",
        "/album/{album_id}/edit",
        "/album/{album_id}/upload",
    ] {
        let responses = &doc["paths"][path]["get"]["responses"];
        assert!(
            responses["303"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("login form"))
                && responses["401"].is_object(),
            "GET {path}: {responses}"
        );
    }
    let token = &doc["paths"]["/services/rest/token"]["post"]["responses"];
    assert!(token["201"].is_object(), "{token}");
    // Its handler takes `Identity`, whose own 401 a client never meets there: the
    // authentication tools answer first, and the first of them (auth_bearer, priority 1)
    // documents it, as the tools' statuses always are.
    assert_eq!(
        token["401"]["description"], "No token, or one that is not valid.",
        "{token}"
    );
    assert!(
        doc["paths"]["/services/rest/album"]["get"]["responses"]["401"].is_null(),
        "reads are public"
    );
    c.get("/docs/")
        .send()
        .await
        .assert_status(200)
        // The page's template escapes `/` as `&#x2f;` (a browser shows a slash).
        .assert_contains("<code>&#x2f;services&#x2f;rest&#x2f;album&#x2f;{album_id}</code>");
}
