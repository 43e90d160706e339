//! What the output cache keeps of the photoblog: each write drops the cached copies of what
//! it changed, on one instance and on two sharing PostgreSQL and Redis.

use drupe::testing::Part;
#[cfg(unix)]
use drupe::testing::TestClient;
use serde_json::{Value, json};

use crate::support::{ByOwner, png, sqlite_client};
#[cfg(unix)]
use crate::support::{blog_on, postgres_db, temp_dir};

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
        .by_owner()
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
        .by_owner()
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

/// A write drops what shows the album, by tag: the photo pages (which show the album's
/// title), every home page, and nothing of the other albums.
#[actix_web::test]
async fn a_rename_reaches_the_albums_photo_pages_and_spares_other_albums() {
    let (c, _dir) = sqlite_client("rename").await;
    let films: Vec<Value> = c.get("/services/rest/film?album_id=2").send().await.json();
    let film = films[0]["id"].as_i64().unwrap();
    let photos: Vec<Value> = c
        .get(&format!("/services/rest/photo?film_id={film}"))
        .send()
        .await
        .json();
    let photo_page = format!("/photo/{}", photos[0]["id"].as_i64().unwrap());
    let pages = [photo_page.as_str(), "/", "/?page=1", "/album/2", "/album/3"];
    for p in pages {
        c.get(p).send().await.assert_header("x-cache", "MISS");
        c.get(p).send().await.assert_header("x-cache", "HIT");
    }
    c.put("/services/rest/album/2")
        .by_owner()
        .json(&json!({"title": "Winter in the park"}))
        .send()
        .await
        .assert_status(200);
    for p in [photo_page.as_str(), "/", "/?page=1", "/album/2"] {
        c.get(p)
            .send()
            .await
            .assert_header("x-cache", "MISS")
            .assert_contains("Winter in the park");
    }
    c.get("/album/3")
        .send()
        .await
        .assert_header("x-cache", "HIT");
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
        .by_owner()
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

#[cfg(unix)]
fn album_two(c: &TestClient) -> drupe::testing::RequestBuilder<'_> {
    c.get("/services/rest/album/2")
        .header("host", "photos.example")
}
