//! Invalidation by prefix and by tag, the same on each backend: a prefix covers whole path
//! segments (`/album/7` is not `/album/70`), a tag every URI whose answer carried it; a
//! backend that knows neither clears everything rather than serve a stale page.

use std::sync::Arc;

use drupe::cache::{
    Backend, BackendError, BackendStats, Caching, Invalidate, Lookup, Memory, Stored, Tags,
};
use drupe::testing::TestClient;
use drupe::{App, controller};
use futures_util::future::BoxFuture;

use super::Calls;

struct Site {
    calls: Arc<Calls>,
}

#[controller]
impl Site {
    /// `/album/7`, `/album/7/photos`, `/album/7?page=2`...: an album's pages.
    #[expose]
    fn album(&self, id: u32, part: Option<String>, page: Option<u32>) -> String {
        format!(
            "album {id} {part:?} page {page:?} call {}",
            self.calls.hit()
        )
    }

    /// `/photo/71`: a photo's page shows its album (71 is in album 7), and says so with a tag.
    #[expose]
    fn photo(&self, id: u32, tags: Tags) -> String {
        tags.add(&format!("album:{}", id / 10));
        format!("photo {id} call {}", self.calls.hit())
    }

    #[expose]
    fn drop_prefix(&self, prefix: String, invalidate: Invalidate) -> &'static str {
        invalidate.prefix(&prefix);
        "dropped"
    }

    #[expose]
    fn drop_tag(&self, tag: String, invalidate: Invalidate) -> &'static str {
        invalidate.tag(&tag);
        "dropped"
    }
}

fn site(cache: &Caching) -> App {
    App::builder(Site {
        calls: Arc::new(Calls::default()),
    })
    .tool(cache.clone())
    .set("/", "tools.caching.on", true)
    .set("/", "tools.caching.debug_header", true)
    .build()
    .unwrap()
}

const ALBUM_7: [&str; 3] = ["/album/7", "/album/7/photos", "/album/7?page=2"];
const TAGGED_7: [&str; 2] = ["/photo/71", "/photo/72"];
const OTHERS: [&str; 3] = ["/album/70", "/album/8", "/photo/80"];

async fn expect(c: &TestClient, uris: &[&str], outcome: &str) {
    for uri in uris {
        let r = c.get(uri).send().await;
        r.assert_status(200);
        assert_eq!(r.header("x-cache"), Some(outcome), "{uri}: {}", r.text());
    }
}

/// Fills the cache, drops album 7's pages by prefix and its photos by tag, and checks that
/// nothing else went.
async fn prefixes_and_tags_on(cache: Caching) {
    let c = TestClient::new(site(&cache)).await;
    let all: Vec<&str> = [&ALBUM_7[..], &TAGGED_7[..], &OTHERS[..]].concat();
    expect(&c, &all, "MISS").await;
    expect(&c, &all, "HIT").await;

    c.post("/drop_prefix?prefix=/album/7")
        .send()
        .await
        .assert_status(200);
    expect(&c, &ALBUM_7, "MISS").await;
    expect(&c, &TAGGED_7, "HIT").await;
    expect(&c, &OTHERS, "HIT").await;

    c.post("/drop_tag?tag=album:7")
        .send()
        .await
        .assert_status(200);
    expect(&c, &TAGGED_7, "MISS").await;
    expect(&c, &ALBUM_7, "HIT").await;
    expect(&c, &OTHERS, "HIT").await;

    // A prefix ending in `/` covers everything under it; the tool's own API does the same.
    c.post("/drop_prefix?prefix=/album/")
        .send()
        .await
        .assert_status(200);
    expect(&c, &ALBUM_7, "MISS").await;
    expect(&c, &["/album/70", "/album/8"], "MISS").await;
    expect(&c, &["/photo/80"], "HIT").await;
    assert!(cache.invalidate_tag("album:8").await.unwrap());
    assert!(!cache.invalidate_tag("album:8").await.unwrap());
    expect(&c, &["/photo/80"], "MISS").await;
    assert!(
        cache
            .invalidate_prefix("http://localhost:8080/photo/7")
            .await
            .is_ok()
    );
    expect(&c, &TAGGED_7, "HIT").await;
}

#[actix_web::test]
async fn prefixes_and_tags_in_memory() {
    prefixes_and_tags_on(Caching::memory(1000, 10 << 20)).await;
}

#[cfg(all(feature = "redis", unix))]
#[actix_web::test]
async fn prefixes_and_tags_in_redis() {
    let redis = crate::cache_redis::RedisServer::start();
    let cache = Caching::with_backend(
        drupe::cache::Redis::connect(&redis.url(), std::time::Duration::from_secs(2))
            .await
            .unwrap(),
    );
    prefixes_and_tags_on(cache.clone()).await;
    // The indexes follow: what an invalidation removed leaves them, the rest stays.
    cache
        .invalidate_prefix("http://localhost:8080/album/7")
        .await
        .unwrap();
    assert!(cache.invalidate_tag("album:7").await.unwrap());
    let client = redis::Client::open(redis.url()).unwrap();
    let mut r = client.get_multiplexed_async_connection().await.unwrap();
    let mut uris: Vec<String> = redis::cmd("ZRANGE")
        .arg("drupe:cache:v1:uris")
        .arg(0)
        .arg(-1)
        .query_async(&mut r)
        .await
        .unwrap();
    uris.sort();
    assert_eq!(
        uris,
        [
            "http://localhost:8080/album/70",
            "http://localhost:8080/album/8",
            "http://localhost:8080/photo/80",
        ],
    );
    let tag_sets: Vec<String> = redis::cmd("KEYS")
        .arg("drupe:cache:v1:tag:*")
        .query_async(&mut r)
        .await
        .unwrap();
    assert_eq!(tag_sets, ["drupe:cache:v1:tag:album:8"]);
}

/// A backend that only knows URIs (the trait's defaults for the rest).
struct UrisOnly(Memory);

impl Backend for UrisOnly {
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>> {
        self.0.lookup(uri, variant_of)
    }

    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
        max_variants: usize,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        self.0.store(uri, vary, variant, entry, max_variants)
    }

    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        self.0.invalidate(uri)
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        self.0.clear()
    }

    fn stats(&self) -> BoxFuture<'_, BackendStats> {
        self.0.stats()
    }
}

#[actix_web::test]
async fn a_backend_without_prefixes_or_tags_clears_everything_instead() {
    let cache = Caching::with_backend(UrisOnly(Memory::new(1000, 10 << 20)));
    let c = TestClient::new(site(&cache)).await;
    expect(&c, &OTHERS, "MISS").await;
    c.post("/drop_prefix?prefix=/album/7")
        .send()
        .await
        .assert_status(200);
    expect(&c, &OTHERS, "MISS").await;
    c.post("/drop_tag?tag=nothing")
        .send()
        .await
        .assert_status(200);
    expect(&c, &OTHERS, "MISS").await;
}

#[actix_web::test]
async fn an_invalidation_where_the_cache_is_off_says_so_in_the_log() {
    let cache = Caching::memory(1000, 10 << 20);
    let app = App::builder(Site {
        calls: Arc::new(Calls::default()),
    })
    .tool(cache.clone())
    .set("/", "tools.caching.on", true)
    .set("/", "tools.caching.debug_header", true)
    .set("/drop_prefix", "tools.caching.on", false)
    .build()
    .unwrap();
    let log = crate::capture::Log::new();
    let _guard = log.on_this_thread();
    let c = TestClient::new(app).await;
    expect(&c, &["/album/7"], "MISS").await;
    c.post("/drop_prefix?prefix=/album/7")
        .send()
        .await
        .assert_status(200);
    expect(&c, &["/album/7"], "HIT").await;
    let text = log.text();
    assert!(
        text.contains("POST /drop_prefix asked to invalidate")
            && text.contains("tools.caching is off for its path"),
        "{text}"
    );
}
