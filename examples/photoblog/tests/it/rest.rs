//! The photoblog: its REST services (reference A8 with B8) on SQLite and PostgreSQL,
//! its pages and forms, uploads, the cache's invalidations, two instances sharing PostgreSQL
//! and Redis.

use std::path::Path;

use drupe::testing::{Part, TestClient};
use serde_json::{Value, json};

use crate::support::{blog_on, png, postgres_db, sqlite_client, temp_dir};

fn files_in(dir: &Path) -> usize {
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

/// The book's checks (test_services.py) with drupe's decisions (B8), on one database.
async fn rest_checks(c: &TestClient) {
    c.get("/services/rest/").send().await.assert_status(404);
    c.request(
        actix_web::http::Method::from_bytes(b"XYU").unwrap(),
        "/services/rest/album/",
    )
    .send()
    .await
    .assert_status(405)
    .assert_header("allow", COLLECTION_ALLOWS);
    // No Accept: JSON (RFC 9110), not the book's 406. No id: the list.
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
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .is_ok()
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
    // POST: JSON, form, XML; 201 with the absolute Location and the album.
    let created = c
        .post("/services/rest/album/")
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
        .form(&[("title", "By form")])
        .send()
        .await
        .assert_status(201);
    c.post("/services/rest/album/")
        .body("application/xml", "<album><title>By XML</title></album>")
        .send()
        .await
        .assert_status(201);
    // Bad input: clear 4xx, nothing created.
    c.post("/services/rest/album/")
        .json(&json!({"author": "no title"}))
        .send()
        .await
        .assert_status(400)
        .assert_text("title is required.");
    c.post("/services/rest/album/")
        .json(&json!({"title": "x".repeat(201)}))
        .send()
        .await
        .assert_status(400)
        .assert_text("title is longer than 200 characters.");
    // Errors come in the format the client asked for.
    let problem: Value = c
        .post("/services/rest/album/")
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
        .body("application/xml", "<album><title>unclosed</album>")
        .send()
        .await
        .assert_status(400);
    c.post("/services/rest/album/")
        .body("text/plain", "title=x")
        .send()
        .await
        .assert_status(415);
    c.post("/services/rest/album/")
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
    // PUT never creates.
    c.put("/services/rest/album/23")
        .json(&json!({"title": "Nope"}))
        .send()
        .await
        .assert_status(404);
    c.get("/services/rest/album/23")
        .send()
        .await
        .assert_status(404);
    c.put(&format!("/services/rest/album/{id}"))
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
        .send()
        .await
        .assert_status(204)
        .assert_empty();
    c.delete(&format!("/services/rest/album/{id}"))
        .send()
        .await
        .assert_status(404);
    c.get(&format!("/services/rest/album/{id}"))
        .send()
        .await
        .assert_status(404);
    // Ranges.
    for bad in ["3", "a", "0-", "a+3", "3-a", "0+3", "5-2"] {
        c.get(&format!("/services/rest/albums/{bad}"))
            .send()
            .await
            .assert_status(400)
            .assert_text("Invalid range");
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
        .json(&json!({"title": "Extra", "album_id": 1}))
        .send()
        .await;
    f.assert_status(201);
    c.post("/services/rest/film/")
        .json(&json!({"title": "Orphan", "album_id": 999}))
        .send()
        .await
        .assert_status(404);
    // Cascade: deleting an album takes its films and photos.
    c.delete("/services/rest/album/1")
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
async fn uploads_are_checked_by_content_bounded_and_atomic() {
    let (c, dir) = sqlite_client("uploads").await;
    let photos_dir = dir.join("photos");
    assert_eq!(count(&c).await, 18);
    let before = files_in(&photos_dir);
    let file = |name: &str, ty: &str, data: Vec<u8>| Part::file("file", name, ty, data);
    let film = |id: &str| Part::text("film_id", id);
    let rejected: Vec<(&str, Vec<Part>, u16, &str)> = vec![
        (
            "not an image, whatever its name and type say",
            vec![
                file(
                    "cat.png",
                    "image/png",
                    b"just some text, not a picture".to_vec(),
                ),
                film("1"),
            ],
            415,
            "not a PNG, JPEG, GIF or WebP",
        ),
        (
            "a GIF header on garbage: refused with a message, not a crash",
            vec![
                file("x.gif", "image/gif", b"GIF89a but not really".to_vec()),
                film("1"),
            ],
            413,
            // The bytes where a GIF's width and height are: " b", "ut".
            "25120×29813 pixels",
        ),
        (
            "a broken PNG",
            vec![
                file("x.png", "image/png", b"\x89PNG\r\n\x1a\nbroken".to_vec()),
                film("1"),
            ],
            422,
            "cannot be read",
        ),
        (
            "over the limit (1 MiB here)",
            vec![
                file("big.png", "image/png", vec![0u8; (1 << 20) + 10]),
                film("1"),
            ],
            413,
            "larger than the limit of 1048576 bytes (request.body.max_size)",
        ),
        (
            "an unknown film",
            vec![file("ok.png", "image/png", png(40, 30, 9)), film("999")],
            404,
            "No film 999.",
        ),
        (
            "a film that is not a number",
            vec![file("ok.png", "image/png", png(40, 30, 9)), film("x")],
            400,
            "film_id",
        ),
        ("no file", vec![film("1")], 404, "Missing parameters: file"),
    ];
    for (what, parts, status, says) in rejected {
        assert!(!says.is_empty(), "{what}: every rejection names its cause");
        let r = c
            .post("/services/rest/photo/")
            .multipart(&parts)
            .send()
            .await;
        assert_eq!(r.status().as_u16(), status, "{what}: {r:?}");
        assert!(r.text().contains(says), "{what}: {r:?}");
    }
    assert_eq!(count(&c).await, 18);
    assert_eq!(files_in(&photos_dir), before, "a failed upload left a file");
    assert_eq!(
        files_in(&photos_dir.join("thumbs")),
        before,
        "a failed upload left a thumbnail"
    );
    // A good one: a content-addressed file, a thumbnail, the photo.
    let ok = c
        .post("/services/rest/photo/")
        .multipart(&[
            Part::file("file", "../../etc/passwd", "text/plain", png(64, 48, 1)),
            Part::text("film_id", "2"),
            Part::text("legend", "A test"),
        ])
        .send()
        .await;
    ok.assert_status(201);
    let p: Value = ok.json();
    assert_eq!(
        (p["width"].as_i64(), p["height"].as_i64()),
        (Some(64), Some(48))
    );
    assert_eq!(p["media_type"], "image/png");
    let url = p["url"].as_str().unwrap();
    let name = url.rsplit('/').next().unwrap();
    assert_eq!(name.len(), 36, "a hash, not the client's name: {name}");
    assert!(
        photos_dir.join(name).exists()
            && photos_dir
                .join("thumbs")
                .join(format!("{name}.jpg"))
                .exists()
    );
    c.get(url)
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "image/png");
    c.get(&format!("/photos/thumbs/{name}"))
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "image/jpeg");
    // The same image twice shares its file; deleting one photo keeps it for the other.
    let twin: Value = c
        .post("/services/rest/photo/")
        .multipart(&[
            Part::file("file", "again.png", "image/png", png(64, 48, 1)),
            Part::text("film_id", "3"),
        ])
        .send()
        .await
        .json();
    assert_eq!(twin["url"], p["url"]);
    c.delete(&format!("/services/rest/photo/{}", p["id"]))
        .send()
        .await
        .assert_status(204);
    assert!(photos_dir.join(name).exists());
    c.delete(&format!("/services/rest/photo/{}", twin["id"]))
        .send()
        .await
        .assert_status(204);
    assert!(
        !photos_dir.join(name).exists(),
        "the last reference took the file"
    );
    // Traversal on files is a 404, whatever the spelling.
    for bad in [
        "/photos/..%2f..%2fetc%2fpasswd",
        "/photos/%2e%2e/x",
        "/photos/thumbs/..",
        "/photos/x.png",
        "/static/..%2fCargo.toml",
    ] {
        c.get(bad).send().await.assert_status(404);
    }
}

#[actix_web::test]
async fn the_pages_and_their_forms() {
    let (c, _dir) = sqlite_client("pages").await;
    let home = c.get("/").accept("text/html").send().await;
    home.assert_status(200)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_header("x-content-type-options", "nosniff")
        .assert_contains("<link rel=\"alternate\" type=\"application/atom+xml\"")
        .assert_contains("City lights")
        .assert_contains("/_coverage/");
    assert!(
        home.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    c.get("/?page=2").send().await.assert_status(404);
    c.get("/?page=0").send().await.assert_status(404);
    c.get("/?page=99999999999").send().await.assert_status(400);
    c.get("/album/1")
        .send()
        .await
        .assert_status(200)
        .assert_contains("Holidays in Brittany")
        // minijinja escapes `/` in values as `&#x2f;`, which the browser decodes.
        .assert_contains("&#x2f;photos&#x2f;thumbs&#x2f;")
        .assert_contains("/feed/album/1");
    c.get("/album/1/").send().await.assert_status(200);
    c.get("/album/999").send().await.assert_status(404);
    c.get("/album/x").send().await.assert_status(404);
    c.get("/photo/4")
        .send()
        .await
        .assert_status(200)
        .assert_contains("<img");
    c.get("/photo/999").send().await.assert_status(404);
    c.get("/feed")
        .send()
        .await
        .assert_header("content-type", "application/atom+xml")
        .assert_contains("<link rel=\"alternate\" href=\"http://localhost:8080/\"");
    c.get("/feed/album/2")
        .send()
        .await
        .assert_status(200)
        .assert_contains("<entry>");
    c.get("/feed/album/999").send().await.assert_status(404);
    c.get("/feed/other/2").send().await.assert_status(404);
    c.get("/static/style.css")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "text/css; charset=utf-8");

    // A form without its token changes nothing.
    c.post("/album/new")
        .form(&[
            ("title", "Forged"),
            ("csrf", "0123456789abcdef0123456789abcdef"),
        ])
        .send()
        .await
        .assert_status(403);
    c.post("/album/new")
        .form(&[("title", "Forged")])
        .send()
        .await
        .assert_status(403)
        .assert_contains("CSRF check");
    let form = c.get("/album/new").send().await;
    form.assert_status(200);
    let cookie = form
        .header("set-cookie")
        .expect("a token cookie")
        .to_owned();
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_owned();
    form.assert_contains(&format!("value=\"{token}\""));
    let cookie_header = format!("photoblog_csrf={token}");
    let made = c
        .post("/album/new")
        .header("cookie", &cookie_header)
        .form(&[
            ("csrf", &token),
            ("title", "From the form"),
            ("author", "me"),
        ])
        .send()
        .await;
    made.assert_status(303);
    let location = made.header("location").unwrap().to_owned();
    assert!(location.starts_with("/album/"), "{location}");
    c.get(&location)
        .send()
        .await
        .assert_status(200)
        .assert_contains("From the form");
    // Invalid input shows the form again, with the error, and creates nothing.
    c.post("/album/new")
        .header("cookie", &cookie_header)
        .form(&[("csrf", &token), ("title", "")])
        .send()
        .await
        .assert_status(400)
        .assert_contains("title is required.");
    let id = location.rsplit('/').next().unwrap();
    c.get(&format!("/album/{id}/edit"))
        .header("cookie", &cookie_header)
        .send()
        .await
        .assert_status(200)
        .assert_contains("From the form");
    c.post(&format!("/album/{id}/edit"))
        .header("cookie", &cookie_header)
        .form(&[("csrf", &token), ("title", "Renamed")])
        .send()
        .await
        .assert_status(303);
    c.get(&format!("/album/{id}"))
        .send()
        .await
        .assert_contains("Renamed");
    // Upload through the form.
    let films: Vec<Value> = c
        .get(&format!("/services/rest/film?album_id={id}"))
        .send()
        .await
        .json();
    let film = films[0]["id"].as_i64().unwrap().to_string();
    c.post(&format!("/album/{id}/upload"))
        .header("cookie", &cookie_header)
        .multipart(&[
            Part::text("csrf", &token),
            Part::text("film_id", &film),
            Part::text("legend", "Hello"),
            Part::file("file", "a.png", "image/png", png(30, 30, 3)),
        ])
        .send()
        .await
        .assert_status(303);
    c.get(&format!("/album/{id}"))
        .send()
        .await
        .assert_contains("alt=\"Hello\"");
    c.post(&format!("/album/{id}/upload"))
        .header("cookie", &cookie_header)
        .multipart(&[
            Part::text("csrf", &token),
            Part::text("film_id", &film),
            Part::file("file", "a.txt", "text/plain", &b"plain text"[..]),
        ])
        .send()
        .await
        .assert_status(415)
        .assert_contains("not a PNG, JPEG, GIF or WebP image");
    c.post(&format!("/album/{id}/upload"))
        .header("cookie", &cookie_header)
        .multipart(&[
            Part::text("csrf", &token),
            Part::text("film_id", "1"),
            Part::file("file", "a.png", "image/png", png(30, 30, 4)),
        ])
        .send()
        .await
        .assert_status(404);
    // Delete through the form.
    c.post(&format!("/album/{id}/delete"))
        .form(&[("csrf", &token)])
        .send()
        .await
        .assert_status(403);
    c.post(&format!("/album/{id}/delete"))
        .header("cookie", &cookie_header)
        .form(&[("csrf", &token)])
        .send()
        .await
        .assert_status(303)
        .assert_header("location", "/");
    c.get(&format!("/album/{id}"))
        .send()
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn writes_invalidate_what_they_change() {
    let (c, _dir) = sqlite_client("invalidate").await;
    for p in ["/album/2", "/feed/album/2", "/services/rest/album/2", "/"] {
        c.get(p).send().await.assert_header("x-cache", "MISS");
        c.get(p).send().await.assert_header("x-cache", "HIT");
    }
    let films: Vec<Value> = c.get("/services/rest/film?album_id=2").send().await.json();
    let film = films[1]["id"].as_i64().unwrap().to_string();
    c.post("/services/rest/photo/")
        .multipart(&[
            Part::file("file", "new.png", "image/png", png(50, 50, 7)),
            Part::text("film_id", &film),
            Part::text("legend", "Brand new"),
        ])
        .send()
        .await
        .assert_status(201);
    c.get("/album/2")
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_contains("Brand new");
    c.get("/feed/album/2")
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_contains("Brand new");
    c.put("/services/rest/album/2")
        .json(&json!({"title": "Winter in the park"}))
        .send()
        .await
        .assert_status(200);
    c.get("/services/rest/album/2")
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_contains("Winter");
    c.get("/")
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_contains("Winter in the park");
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
    c.get("/docs/")
        .send()
        .await
        .assert_status(200)
        .assert_contains("/services/rest/album");
}

#[cfg(unix)]
#[actix_web::test]
async fn two_instances_share_postgresql_and_redis() {
    let redis = crate::support::RedisServer::start();
    let url = postgres_db().await;
    let (da, db_) = (temp_dir("a"), temp_dir("b"));
    let a = drupe::testing::TestServer::start(blog_on(&url, &da, &redis.url()).await).await;
    let b = drupe::testing::TestServer::start(blog_on(&url, &db_, &redis.url()).await).await;
    let (ca, cb) = (a.client(), b.client());
    // Both serve the same host name (a shared cache keys by absolute URI).
    album_two(ca)
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_contains("Autumn in the park");
    album_two(cb)
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_contains("Autumn in the park");
    cb.put("/services/rest/album/2")
        .header("host", "photos.example")
        .json(&json!({"title": "Spring in the park"}))
        .send()
        .await
        .assert_status(200);
    // The write on B invalidated A's cached read: A reads the shared database again.
    album_two(ca)
        .send()
        .await
        .assert_header("x-cache", "MISS")
        .assert_contains("Spring in the park");
    album_two(cb)
        .send()
        .await
        .assert_header("x-cache", "HIT")
        .assert_contains("Spring in the park");
    a.stop().await;
    b.stop().await;
}

async fn count(c: &TestClient) -> usize {
    c.get("/services/rest/photo/")
        .send()
        .await
        .json::<Vec<Value>>()
        .len()
}

#[cfg(unix)]
fn album_two(c: &TestClient) -> drupe::testing::RequestBuilder<'_> {
    c.get("/services/rest/album/2")
        .header("host", "photos.example")
}
