//! The `expires` tool over a real socket (RFC 9111 §5.2.2.1, §5.3): lifetimes by path and
//! media type, what a response says kept unless forced, and the output cache keeping its
//! copies as long as the tool says.

use std::sync::atomic::Ordering;

use drupe::App;
use drupe::cache::Caching;

use crate::conditional::{Store, root, start};

/// `tools.expires` (RFC 9111 §5.2.2.1, §5.3): by path and media type, what the response said
/// kept unless forced, and the output cache's copies live as long as it says.
#[actix_web::test]
async fn expires_by_path_and_media_type_rfc_9111_section_5_3() {
    let store = Store::seeded();
    let s = start(
        App::builder(root(&store))
            .tool(Caching::memory(100, 1 << 20))
            .set("/", "tools.expires.on", true)
            .set("/", "tools.expires.secs", 60)
            .set("/", "tools.expires.types.image/*", 86400)
            .set("/page", "tools.expires.secs", 0)
            .set("/page", "tools.caching.on", true),
    )
    .await;
    let c = s.client();
    let r = c.get("/text").send().await;
    r.assert_header("cache-control", "max-age=60");
    let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
    let expires = httpdate::parse_http_date(r.header("expires").unwrap()).unwrap();
    let ahead = expires.duration_since(date).unwrap().as_secs();
    assert!(
        (59..=61).contains(&ahead),
        "Expires is Date + 60 s: {ahead}"
    );
    c.get("/image")
        .send()
        .await
        .assert_header("cache-control", "max-age=86400");
    // The handler said max-age=5: kept.
    c.get("/own")
        .send()
        .await
        .assert_header("cache-control", "max-age=5");
    // Errors get no lifetime.
    c.get("/missing").send().await.assert_no_header("expires");
    // 0: revalidate every time, and the output cache keeps nothing fresh.
    let p = c.get("/page").send().await;
    p.assert_header("cache-control", "no-cache, must-revalidate")
        .assert_header("pragma", "no-cache")
        .assert_header("expires", "Thu, 01 Jan 1970 00:00:00 GMT");
    let again = c.get("/page").send().await;
    assert_ne!(
        again.header("x-cache"),
        Some("HIT"),
        "a no-cache answer is not served stale"
    );
    // Forced, what the handler said gives way (and `private` would stay).
    let s = start(
        App::builder(root(&store))
            .set("/", "tools.expires.on", true)
            .set("/", "tools.expires.secs", 30)
            .set("/", "tools.expires.force", true),
    )
    .await;
    s.client()
        .get("/own")
        .send()
        .await
        .assert_header("cache-control", "max-age=30");
}

/// The output cache keeps a copy as long as `tools.expires` says: a hit carries the same
/// `max-age`, and `Age` counts from the stored copy (RFC 9111 §4.2, §5.1).
#[actix_web::test]
async fn the_cache_keeps_what_expires_says() {
    let store = Store::seeded();
    let s = start(
        App::builder(root(&store))
            .tool(Caching::memory(100, 1 << 20))
            .set("/", "tools.expires.on", true)
            .set("/", "tools.expires.secs", 3600)
            .set("/hashed", "tools.caching.on", true),
    )
    .await;
    let c = s.client();
    let first = c.get("/hashed/1").accept("application/json").send().await;
    first.assert_header("cache-control", "max-age=3600");
    let gets = store.gets.load(Ordering::SeqCst);
    let hit = c.get("/hashed/1").accept("application/json").send().await;
    hit.assert_header("x-cache", "HIT")
        .assert_header("cache-control", "max-age=3600");
    assert!(hit.header("age").is_some());
    assert_eq!(
        store.gets.load(Ordering::SeqCst),
        gets,
        "served from the cache"
    );
}

/// A lifetime past 2^31 seconds (RFC 9111 §1.2.2), which would also be an `Expires` past what
/// an HTTP date can write, stops the build naming its key.
#[test]
fn lifetimes_past_two_to_the_31_seconds_stop_the_build() {
    let store = Store::seeded();
    for (toml, key) in [
        ("tools.expires.secs = 999999999999", "tools.expires.secs"),
        (
            "tools.expires.types = { \"image/*\" = 1099511627776 }",
            "tools.expires.types",
        ),
    ] {
        let config =
            drupe::Config::from_toml(&format!("[\"/\"]\ntools.expires.on = true\n{toml}")).unwrap();
        let err = App::builder(root(&store))
            .config(config)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{toml} is refused"));
        let text = err.to_string();
        assert!(
            text.contains(key) && text.contains("2147483648"),
            "{toml}: {text}"
        );
    }
    let config = drupe::Config::from_toml(
        "[\"/\"]\ntools.expires.on = true\ntools.expires.secs = 2147483648\n",
    )
    .unwrap();
    assert!(App::builder(root(&store)).config(config).build().is_ok());
}
