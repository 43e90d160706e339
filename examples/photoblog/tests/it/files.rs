//! The photoblog's files over a real socket: the stylesheet through `tools.staticdir`, photos
//! and thumbnails with ranges, validators and a year of `immutable` caching, and its pages,
//! services and feeds compressed for clients that accept it.

use drupe::testing::TestServer;
use serde_json::Value;

use crate::support::sqlite_blog;

#[actix_web::test]
async fn photos_answer_ranges_and_validators_and_never_change() {
    let (app, _dir) = sqlite_blog("files").await;
    let s = TestServer::start(app).await;
    let c = s.client();
    let photos: Value = c.get("/services/rest/photo/").send().await.json();
    let url = photos[0]["url"].as_str().unwrap().to_owned();
    let whole = c.get(&url).send().await;
    whole
        .assert_status(200)
        .assert_header("cache-control", "public, max-age=31536000, immutable")
        .assert_header("accept-ranges", "bytes")
        .assert_header("x-content-type-options", "nosniff");
    let len = whole.body().len();
    assert!(len > 100, "{len}");
    let etag = whole.header("etag").unwrap().to_owned();
    let part = c.get(&url).header("range", "bytes=0-99").send().await;
    part.assert_status(206)
        .assert_header("content-range", &format!("bytes 0-99/{len}"))
        .assert_header("content-type", whole.header("content-type").unwrap());
    assert_eq!(part.body(), &whole.body()[..100]);
    let tail = c.get(&url).header("range", "bytes=-10").send().await;
    assert_eq!(tail.body(), &whole.body()[len - 10..]);
    c.get(&url)
        .header("range", &format!("bytes={len}-"))
        .send()
        .await
        .assert_status(416)
        .assert_header("content-range", &format!("bytes */{len}"));
    c.get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .assert_status(304)
        .assert_header("cache-control", "public, max-age=31536000, immutable")
        .assert_empty();
    // An image is never compressed, whatever the client accepts.
    c.get(&url)
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .assert_no_header("content-encoding");
    let name = url.rsplit('/').next().unwrap();
    c.get(&format!("/photos/thumbs/{name}"))
        .header("range", "bytes=0-1")
        .send()
        .await
        .assert_status(206)
        .assert_header("content-type", "image/jpeg");
}

#[actix_web::test]
async fn the_stylesheet_and_the_pages_compressed() {
    let (app, _dir) = sqlite_blog("compressed").await;
    let s = TestServer::start(app).await;
    let c = s.client();
    let css = c
        .get("/static/style.css")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    css.assert_status(200)
        .assert_header("content-type", "text/css; charset=utf-8")
        .assert_header("cache-control", "public, max-age=300")
        .assert_header("content-encoding", "gzip");
    c.get("/static/style.css")
        .send()
        .await
        .assert_status(200)
        .assert_no_header("content-encoding")
        .assert_contains("body");
    c.get("/static/favicon.svg")
        .send()
        .await
        .assert_header("content-type", "image/svg+xml; charset=utf-8");
    c.get("/static/missing.css").send().await.assert_status(404);
    for (path, accept) in [
        ("/", "text/html"),
        ("/services/rest/album/", "application/json"),
        ("/feed", "application/atom+xml"),
    ] {
        let r = c
            .get(path)
            .accept(accept)
            .header("accept-encoding", "br, gzip")
            .send()
            .await;
        r.assert_status(200).assert_header("content-encoding", "br");
        let vary: Vec<&str> = r
            .headers()
            .get_all("vary")
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("Accept-Encoding")),
            "{path}: {vary:?}"
        );
    }
}
