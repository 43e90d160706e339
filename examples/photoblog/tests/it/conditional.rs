//! Albums over a real socket, on SQLite and PostgreSQL: each version's `ETag` (`"7-json"`) and
//! `Last-Modified`, a conditional GET (RFC 9110 §13.1.2), and lost-update protection — a PUT
//! with a stale `If-Match` changes nothing (§13.1.1), and of two writers of one version
//! only the first lands, however close together they come.

use drupe::testing::TestServer;
use serde_json::{Value, json};

use crate::support::{ByOwner, blog_on, postgres_db, sqlite_blog, temp_dir};

async fn lost_updates(s: &TestServer) {
    let c = s.client();
    let album = "/services/rest/album/2";
    let r = c.get(album).accept("application/json").send().await;
    r.assert_status(200);
    let tag = r.header("etag").unwrap().to_owned();
    let version: i64 = tag
        .trim_matches('"')
        .strip_suffix("-json")
        .unwrap()
        .parse()
        .unwrap();
    assert!(r.header("last-modified").is_some());
    let title = r.json::<Value>()["title"].as_str().unwrap().to_owned();
    // The XML representation of the same version has its own tag; HEAD tells the JSON one.
    let xml = c.get(album).accept("application/xml").send().await;
    assert_eq!(
        xml.header("etag"),
        Some(format!("\"{version}-xml\"").as_str())
    );
    c.head(album)
        .accept("application/json")
        .send()
        .await
        .assert_status(200)
        .assert_header("etag", &tag);
    c.get(album)
        .accept("application/json")
        .header("if-none-match", &tag)
        .send()
        .await
        .assert_status(304)
        .assert_empty();
    // A stale tag: 412, the current tag, and the album as it was.
    c.put(album)
        .by_owner()
        .header("if-match", &format!("\"{}-json\"", version - 1))
        .json(&json!({"title": "Lost"}))
        .send()
        .await
        .assert_status(412)
        .assert_header("etag", &tag);
    let now = c.get(album).accept("application/json").send().await;
    assert_eq!(now.json::<Value>()["title"], title.as_str());
    // The XML tag of the current version is as good.
    c.put(album)
        .by_owner()
        .header("if-match", &format!("\"{version}-xml\""))
        .json(&json!({"title": "Kept"}))
        .send()
        .await
        .assert_status(200)
        .assert_header("etag", &format!("\"{}-json\"", version + 1));
    // Two writers of one version at once: one lands, the other is refused (by the ETag
    // tool, or by the UPDATE when both passed it: the model's own test makes that happen).
    let from = format!("\"{}-json\"", version + 1);
    let put = |t: &'static str| {
        c.put(album)
            .by_owner()
            .header("if-match", &from)
            .json(&json!({ "title": t }))
            .send()
    };
    let (a, b) = futures_util::future::join(put("First"), put("Second")).await;
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 412],
        "exactly one of two writers of a version lands"
    );
    let winner = if a.status() == 200 { "First" } else { "Second" };
    let end = c.get(album).accept("application/json").send().await;
    assert_eq!(end.json::<Value>()["title"], winner);
    assert_eq!(
        end.header("etag"),
        Some(format!("\"{}-json\"", version + 2).as_str())
    );
    // A list of tags none of which names a version, beside the current one: the UPDATE
    // compares only the versions it names.
    let current = end.header("etag").unwrap().to_owned();
    c.put(album)
        .by_owner()
        .header("if-match", &format!("{current}, \"x\""))
        .json(&json!({"title": "Listed"}))
        .send()
        .await
        .assert_status(200);
    // A blind PUT (no If-Match) is still the owner's to make.
    let blind = c
        .put(album)
        .by_owner()
        .json(&json!({"title": "Blind"}))
        .send()
        .await;
    blind.assert_status(200);
    // A DELETE from an old version deletes nothing; from the current one it does.
    let now = blind.header("etag").unwrap().to_owned();
    c.delete(album)
        .by_owner()
        .header("if-match", &current)
        .send()
        .await
        .assert_status(412)
        .assert_header("etag", &now);
    c.get(album).send().await.assert_status(200);
    c.delete(album)
        .by_owner()
        .header("if-match", &now)
        .send()
        .await
        .assert_status(204);
    c.get(album).send().await.assert_status(404);
}

#[actix_web::test]
async fn album_versions_on_sqlite() {
    let (app, _dir) = sqlite_blog("conditional").await;
    let s = TestServer::start(app).await;
    lost_updates(&s).await;
}

#[actix_web::test]
async fn album_versions_on_postgresql() {
    let url = postgres_db().await;
    let dir = temp_dir("pg-conditional");
    let s = TestServer::start(blog_on(&url, &dir, "memory").await).await;
    lost_updates(&s).await;
}
