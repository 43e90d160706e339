//! Compression over a real socket: the coding a client's `Accept-Encoding` weighs highest
//! (RFC 9110 §12.5.3), `Vary`, validators of their own, what is never compressed, and the
//! output cache keeping each coding as a variant of its own.

use actix_web::HttpResponse;
use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZstdDecoder};
use drupe::cache::Caching;
use drupe::testing::{TestResponse, TestServer};
use drupe::{App, AppBuilder, controller};
use tokio::io::AsyncReadExt;

struct Root;

fn long_text() -> String {
    "All work and no play makes Jack a dull boy.\n".repeat(100)
}

#[controller]
impl Root {
    #[expose]
    fn text(&self) -> String {
        long_text()
    }

    #[expose]
    fn big(&self) -> String {
        long_text().repeat(200)
    }

    #[expose]
    fn short(&self) -> &'static str {
        "short"
    }

    #[expose]
    fn tagged(&self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("etag", "\"v1\""))
            .body(format!("[\"{}\"]", "x".repeat(1000)))
    }

    #[expose]
    fn png(&self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("image/png")
            .body(vec![0u8; 4096])
    }

    #[expose]
    fn untouched(&self) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/plain")
            .insert_header(("cache-control", "public, no-transform"))
            .body(long_text())
    }
}

async fn decode(r: &TestResponse) -> String {
    let body: &[u8] = r.body();
    let mut out = Vec::new();
    match r.header("content-encoding") {
        None => out.extend_from_slice(body),
        Some("gzip") => GzipDecoder::new(body)
            .read_to_end(&mut out)
            .await
            .map(drop)
            .unwrap(),
        Some("br") => BrotliDecoder::new(body)
            .read_to_end(&mut out)
            .await
            .map(drop)
            .unwrap(),
        Some("zstd") => ZstdDecoder::new(body)
            .read_to_end(&mut out)
            .await
            .map(drop)
            .unwrap(),
        Some(other) => panic!("unexpected coding {other}"),
    }
    String::from_utf8(out).unwrap()
}

fn vary_has(r: &TestResponse, name: &str) -> bool {
    r.headers().get_all("vary").any(|v| {
        v.to_str()
            .unwrap()
            .split(',')
            .any(|x| x.trim().eq_ignore_ascii_case(name))
    })
}

async fn start(builder: AppBuilder) -> TestServer {
    TestServer::start(builder.build().unwrap()).await
}

#[actix_web::test]
async fn the_coding_the_client_weighs_highest_rfc_9110_section_12_5_3() {
    let s = start(App::builder(Root)).await;
    let c = s.client();
    for (accept, coding) in [
        ("gzip", Some("gzip")),
        ("br", Some("br")),
        ("zstd", Some("zstd")),
        ("gzip, deflate, br, zstd", Some("br")),
        ("gzip;q=1.0, br;q=0.5", Some("gzip")),
        ("*", Some("br")),
        ("*, br;q=0", Some("zstd")),
        ("gzip;q=0.4, identity;q=0.5", None),
        ("deflate", None),
        ("gzip;q=0", None),
        ("", None),
        // Nothing acceptable, not even identity: identity anyway.
        ("identity;q=0, deflate", None),
    ] {
        let r = c
            .get("/text")
            .header("accept-encoding", accept)
            .send()
            .await;
        r.assert_status(200);
        assert_eq!(r.header("content-encoding"), coding, "{accept:?}");
        assert!(vary_has(&r, "accept-encoding"), "{accept:?}");
        assert_eq!(decode(&r).await, long_text(), "{accept:?}");
        if coding.is_some() {
            let len: usize = r.header("content-length").unwrap().parse().unwrap();
            assert_eq!(len, r.body().len());
            assert!(len < long_text().len() / 5, "{accept:?}: {len}");
        }
    }
    // A body too big to compress whole is compressed as it is written.
    let big = c.get("/big").header("accept-encoding", "gzip").send().await;
    big.assert_header("content-encoding", "gzip")
        .assert_header("transfer-encoding", "chunked");
    assert_eq!(decode(&big).await, long_text().repeat(200));
    let plain = c.get("/text").send().await;
    plain.assert_no_header("content-encoding");
    assert!(vary_has(&plain, "accept-encoding"));
}

#[actix_web::test]
async fn what_is_never_compressed() {
    let s = start(App::builder(Root)).await;
    let c = s.client();
    for path in ["/short", "/png", "/untouched"] {
        let r = c.get(path).header("accept-encoding", "gzip").send().await;
        r.assert_status(200).assert_no_header("content-encoding");
        // The answer did not depend on Accept-Encoding.
        assert!(!vary_has(&r, "accept-encoding"), "{path}");
    }
}

#[actix_web::test]
async fn an_encoded_body_has_its_own_validator() {
    let s = start(App::builder(Root)).await;
    let c = s.client();
    let plain = c.get("/tagged").send().await;
    plain.assert_header("etag", "\"v1\"");
    let gz = c
        .get("/tagged")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    gz.assert_header("etag", "\"v1-gzip\"")
        .assert_header("content-encoding", "gzip");
    let br = c
        .get("/tagged")
        .header("accept-encoding", "br")
        .send()
        .await;
    br.assert_header("etag", "\"v1-br\"");
}

#[actix_web::test]
async fn static_files_stream_compressed_and_ranges_stay_identity() {
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    let lorem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/tour/static/lorem.txt"
    ))
    .unwrap();
    let plain = c.get("/static/lorem.txt").send().await;
    plain.assert_header("accept-ranges", "bytes");
    let plain_tag = plain.header("etag").unwrap().to_owned();
    let gz = c
        .get("/static/lorem.txt")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    gz.assert_status(200)
        .assert_header("content-encoding", "gzip")
        .assert_no_header("accept-ranges");
    assert!(vary_has(&gz, "accept-encoding"));
    assert_eq!(decode(&gz).await, lorem);
    assert!(gz.body().len() < lorem.len() / 2, "{}", gz.body().len());
    assert_eq!(
        gz.header("etag").unwrap(),
        format!("{}-gzip\"", plain_tag.trim_end_matches('"'))
    );
    // A 206 is a part of the identity bytes: never compressed.
    let part = c
        .get("/static/lorem.txt")
        .header("accept-encoding", "gzip")
        .header("range", "bytes=0-99")
        .send()
        .await;
    part.assert_status(206).assert_no_header("content-encoding");
    assert_eq!(part.text(), lorem[..100]);
    // A 304 has no body to compress.
    c.get("/static/lorem.txt")
        .header("accept-encoding", "gzip")
        .header("if-none-match", gz.header("etag").unwrap())
        .send()
        .await
        .assert_status(304)
        .assert_no_header("content-encoding");
}

/// The cache keeps the gzip and the identity answers apart (the `Vary: Accept-Encoding` the
/// tool adds is part of the key), and a hit is the stored encoded body.
#[actix_web::test]
async fn the_cache_keeps_each_coding_as_its_own_variant() {
    let cache = Caching::memory(100, 1 << 20);
    let app = App::builder(Root)
        .tool(cache.clone())
        .set("/", "tools.caching.on", true)
        .set("/", "tools.caching.debug_header", true);
    let s = start(app).await;
    let c = s.client();
    let gzip = || c.get("/text").header("accept-encoding", "gzip");
    let first = gzip().send().await;
    first
        .assert_header("x-cache", "MISS")
        .assert_header("content-encoding", "gzip");
    let hit = gzip().send().await;
    hit.assert_header("x-cache", "HIT")
        .assert_header("content-encoding", "gzip");
    assert_eq!(hit.body(), first.body());
    assert_eq!(hit.header("etag"), first.header("etag"));
    // A client that does not accept gzip never gets the stored gzip bytes. (This client
    // sends `Accept-Encoding: identity` when it is given none.)
    for accept in [None, Some("gzip;q=0"), Some("br"), Some("deflate")] {
        let mut req = c.get("/text");
        if let Some(a) = accept {
            req = req.header("accept-encoding", a);
        }
        let r = req.send().await;
        assert_ne!(r.header("content-encoding"), Some("gzip"), "{accept:?}");
        assert_eq!(r.header("x-cache"), Some("MISS"), "{accept:?}");
        assert_eq!(decode(&r).await, long_text());
    }
    let plain_hit = c.get("/text").send().await;
    plain_hit
        .assert_header("x-cache", "HIT")
        .assert_no_header("content-encoding")
        .assert_text(&long_text());
    // The hit's validator is the encoded one: a 304 for the gzip client that has it.
    gzip()
        .header("if-none-match", first.header("etag").unwrap())
        .send()
        .await
        .assert_status(304);
}

#[test]
fn settings_are_checked_at_build() {
    for (key, value, expected) in [
        (
            "codings",
            toml::Value::Array(vec!["lzma".into()]),
            "unknown coding `lzma`",
        ),
        ("gzip_level", 12.into(), "12 is not within 1..=9"),
        (
            "mime_types",
            toml::Value::Array(vec!["text".into()]),
            "not a media type",
        ),
        (
            "mime_types",
            toml::Value::Array(vec!["text/html".into(), "text/".into()]),
            "`text/` is not a media type",
        ),
    ] {
        let Err(e) = App::builder(Root)
            .set("/", &format!("tools.encode.{key}"), value)
            .build()
        else {
            panic!("{key} accepted");
        };
        let text = e.to_string();
        assert!(text.contains(expected) && text.contains(key), "{text}");
    }
    let off = App::builder(Root)
        .set("/", "tools.encode.on", false)
        .build();
    assert!(off.is_ok());
}

/// RFC 9110 §13.2.2: `If-Match` is looked at before `If-None-Match`, for an encoded answer
/// too (the encoder answered 304 for its own tag before the precondition that fails).
#[actix_web::test]
async fn an_encoded_answer_meets_if_match_first() {
    let s = start(App::builder(Root)).await;
    s.client()
        .get("/tagged")
        .header("accept-encoding", "gzip")
        .header("if-match", "\"other\"")
        .header("if-none-match", "\"v1-gzip\"")
        .send()
        .await
        .assert_status(412);
    s.client()
        .get("/tagged")
        .header("accept-encoding", "gzip")
        .header("if-none-match", "\"v1-gzip\"")
        .send()
        .await
        .assert_status(304)
        .assert_header("etag", "\"v1-gzip\"");
}
