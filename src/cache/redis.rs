//! The Redis backend: several instances of an application share one cache.
//!
//! Per URI, `<prefix>vary:<uri>` holds the header names its responses vary on, each variant
//! lives at `<prefix>var:<uri>\0<variant>` (the response encoded by `Stored::encode`) with the
//! variant's freshness as TTL, and `<prefix>keys:<uri>` is the set of its variant keys, so an
//! invalidation (a Lua script, atomic) removes them all: every instance sees it at once, since
//! none keeps a copy. Each command has a short timeout; the tool treats a failure as a miss
//! (pass-through), never as an error for the client.
//!
//! For invalidation by prefix and by tag, `<prefix>uris` is a sorted set of the stored URIs
//! (one score, so a prefix is a lexicographic range) and `<prefix>tag:<tag>` the set of URIs
//! whose responses carry the tag; invalidating either is one Lua script too.
//!
//! Nothing lives forever in a shared Redis: a store (a Lua script, atomic) drops from
//! `keys:` the variants that have expired, keeps at most `max_variants` (dropping those
//! closest to expiry), and gives `vary:` and `keys:` the TTL of the longest-lived variant
//! left, so they go with it. [`Backend::clear`] walks the prefix with `SCAN` (never `KEYS`,
//! which blocks every client of the server) and unlinks in batches.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::entry::Stored;
use super::{Backend, BackendError, BackendStats, Lookup};

/// The Redis backend.
#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish()
    }
}

fn err(e: redis::RedisError) -> BackendError {
    BackendError(e.to_string())
}

/// Removes one URI's variants and indexes: a Lua function the invalidating scripts share.
/// `P` is the key prefix, `INDEX` the key of the sorted set of stored URIs.
const REMOVE: &str = r"
local P, INDEX = ARGV[1], KEYS[1]
local function remove(u)
  local index = P .. 'keys:' .. u
  local keys = redis.call('SMEMBERS', index)
  for _, k in ipairs(keys) do redis.call('DEL', k) end
  redis.call('DEL', index, P .. 'vary:' .. u)
  redis.call('ZREM', INDEX, u)
  return #keys
end
";

/// One URI. KEYS: the index; ARGV: the key prefix, the URI.
const INVALIDATE: &str = r"
return remove(ARGV[2])
";

/// Every URI under a prefix, segment by segment (the rule of `entry::under_prefix`): the
/// index is a sorted set of score 0, so the URIs that start with the prefix are one
/// lexicographic range (no byte 255 in UTF-8). KEYS: the index; ARGV: the key prefix, the
/// URI prefix.
const INVALIDATE_PREFIX: &str = r"
local p, found = ARGV[2], 0
for _, u in ipairs(redis.call('ZRANGEBYLEX', INDEX, '[' .. p, '[' .. p .. '\255')) do
  local c = string.sub(u, #p + 1, #p + 1)
  if c == '' or c == '/' or c == '?' or string.sub(p, -1) == '/' then
    found = found + remove(u)
  end
end
return found
";

/// Every URI of a tag. KEYS: the index, the tag's set of URIs; ARGV: the key prefix.
const INVALIDATE_TAG: &str = r"
local found = 0
for _, u in ipairs(redis.call('SMEMBERS', KEYS[2])) do found = found + remove(u) end
redis.call('DEL', KEYS[2])
return found
";

/// Stores a variant. KEYS: the variant, `vary:`, `keys:`, the index of URIs, then the sets of
/// the response's tags; ARGV: the encoded response, its TTL in ms, the Vary names, the most
/// variants kept, the URI, the key prefix. Returns how many variants the URI keeps.
///
/// The index and the tag sets would only grow as URIs expire by themselves: each lives as
/// long as the longest-lived URI it holds, and each store samples two indexed URIs and drops those
/// whose entries are gone (as Redis samples keys to expire them), which keeps the index near
/// the number of URIs stored.
const STORE: &str = r"
local var, vary, index = KEYS[1], KEYS[2], KEYS[3]
local names, max = ARGV[3], tonumber(ARGV[4])
local current = redis.call('GET', vary)
if current and current ~= names then
  -- Another Vary replaces the URI's variants.
  for _, k in ipairs(redis.call('SMEMBERS', index)) do redis.call('DEL', k) end
  redis.call('DEL', index)
end
redis.call('SET', var, ARGV[1], 'PX', ARGV[2])
redis.call('SADD', index, var)
local others = {}
for _, k in ipairs(redis.call('SMEMBERS', index)) do
  if k ~= var then
    local ttl = redis.call('PTTL', k)
    if ttl > 0 then
      table.insert(others, {k, ttl})
    else
      -- Expired (or, never written by this code, without a TTL): out of the index.
      redis.call('SREM', index, k)
      if ttl == -1 then redis.call('DEL', k) end
    end
  end
end
table.sort(others, function(a, b) return a[2] < b[2] end)
local excess = #others + 1 - max
for i = 1, excess do
  redis.call('DEL', others[i][1])
  redis.call('SREM', index, others[i][1])
end
local longest = tonumber(ARGV[2])
if #others > 0 then longest = math.max(longest, others[#others][2]) end
redis.call('SET', vary, names, 'PX', longest)
redis.call('PEXPIRE', index, longest)
local uri, P = ARGV[5], ARGV[6]
for _, u in ipairs(redis.call('ZRANDMEMBER', KEYS[4], 2)) do
  if redis.call('EXISTS', P .. 'vary:' .. u) == 0 then redis.call('ZREM', KEYS[4], u) end
end
redis.call('ZADD', KEYS[4], 0, uri)
for i = 4, #KEYS do
  if i > 4 then redis.call('SADD', KEYS[i], uri) end
  if redis.call('PTTL', KEYS[i]) < longest then redis.call('PEXPIRE', KEYS[i], longest) end
end
return #others + 1 - math.max(excess, 0)
";

/// The scripts, hashed once (`EVALSHA`, then `EVAL` where the server has not seen them).
struct Scripts {
    store: redis::Script,
    invalidate: redis::Script,
    invalidate_prefix: redis::Script,
    invalidate_tag: redis::Script,
}

static SCRIPTS: std::sync::LazyLock<Scripts> = std::sync::LazyLock::new(|| Scripts {
    store: redis::Script::new(STORE),
    invalidate: redis::Script::new(&format!("{REMOVE}{INVALIDATE}")),
    invalidate_prefix: redis::Script::new(&format!("{REMOVE}{INVALIDATE_PREFIX}")),
    invalidate_tag: redis::Script::new(&format!("{REMOVE}{INVALIDATE_TAG}")),
});

/// Keys `clear` asks `SCAN` for, and unlinks, at a time.
const CLEAR_BATCH: usize = 500;

impl Redis {
    /// Connects to `url` (`redis://host:port/db`). The connection is re-established by itself
    /// after an outage; each command gives up after `timeout`.
    pub async fn connect(url: &str, timeout: Duration) -> Result<Self, BackendError> {
        let client = redis::Client::open(url).map_err(err)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(err)?;
        Ok(Self {
            conn,
            prefix: "drupe:cache:v1:".to_owned(),
        })
    }

    /// Uses `prefix` for every key (instances of one application share a prefix).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }

    fn vary_key(&self, uri: &str) -> String {
        format!("{}vary:{uri}", self.prefix)
    }
    fn keys_key(&self, uri: &str) -> String {
        format!("{}keys:{uri}", self.prefix)
    }
    fn var_key(&self, uri: &str, variant: &str) -> String {
        format!("{}var:{uri}\u{0}{variant}", self.prefix)
    }
    fn index_key(&self) -> String {
        format!("{}uris", self.prefix)
    }
    fn tag_key(&self, tag: &str) -> String {
        format!("{}tag:{tag}", self.prefix)
    }

    /// Runs one of the invalidating scripts with the index as its first key.
    async fn remove(
        &self,
        script: &redis::Script,
        key: Option<String>,
        arg: Option<&str>,
    ) -> Result<bool, BackendError> {
        let mut c = self.conn.clone();
        let mut call = script.key(self.index_key());
        if let Some(k) = key {
            call.key(k);
        }
        call.arg(&self.prefix);
        if let Some(a) = arg {
            call.arg(a);
        }
        let n: i64 = call.invoke_async(&mut c).await.map_err(err)?;
        Ok(n > 0)
    }
}

impl Backend for Redis {
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            let vary: Option<String> = c.get(self.vary_key(uri)).await.map_err(err)?;
            let Some(vary) = vary else {
                return Ok(Lookup::Miss(None));
            };
            let names: Arc<[String]> = vary
                .split('\n')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let key = self.var_key(uri, &variant_of(&names));
            let data: Option<Vec<u8>> = c.get(key).await.map_err(err)?;
            let now = SystemTime::now();
            Ok(
                match data
                    .and_then(|d| Stored::decode(Bytes::from(d)))
                    .filter(|s| s.fresh(now))
                {
                    Some(s) => Lookup::Hit(Arc::new(s)),
                    None => Lookup::Miss(Some(names)),
                },
            )
        })
    }

    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
        max_variants: usize,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            if !entry.encodable() {
                return Ok(false);
            }
            let ttl = entry
                .expires_at
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
                .as_millis();
            // `Stored::new` clamps lifetimes to 2^31 s: the milliseconds fit.
            let ttl = u64::try_from(ttl).unwrap_or(u64::MAX).max(1);
            let mut c = self.conn.clone();
            let mut call = SCRIPTS.store.key(self.var_key(uri, &variant));
            call.key(self.vary_key(uri))
                .key(self.keys_key(uri))
                .key(self.index_key());
            for tag in &entry.tags {
                call.key(self.tag_key(tag));
            }
            let _kept: i64 = call
                .arg(entry.encode())
                .arg(ttl)
                .arg(vary.join("\n"))
                .arg(max_variants.max(1))
                .arg(uri)
                .arg(&self.prefix)
                .invoke_async(&mut c)
                .await
                .map_err(err)?;
            Ok(true)
        })
    }

    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.remove(&SCRIPTS.invalidate, None, Some(uri)))
    }

    fn invalidate_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.remove(&SCRIPTS.invalidate_prefix, None, Some(prefix)))
    }

    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(self.remove(&SCRIPTS.invalidate_tag, Some(self.tag_key(tag)), None))
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            // SCAN, not KEYS, and a batch at a time: other clients of a shared Redis keep
            // being served meanwhile. Keys deleted during the walk do not disturb it.
            let mut c = self.conn.clone();
            let pattern = format!("{}*", self.prefix);
            let mut cursor = 0u64;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(CLEAR_BATCH)
                    .query_async(&mut c)
                    .await
                    .map_err(err)?;
                if !keys.is_empty() {
                    let _: () = redis::cmd("UNLINK")
                        .arg(keys)
                        .query_async(&mut c)
                        .await
                        .map_err(err)?;
                }
                if next == 0 {
                    return Ok(());
                }
                cursor = next;
            }
        })
    }

    fn stats(&self) -> BoxFuture<'_, BackendStats> {
        Box::pin(async move {
            // SCAN, not KEYS: counting must not block the other clients of a shared Redis.
            let mut c = self.conn.clone();
            let entries = match c
                .scan_match::<_, String>(format!("{}var:*", self.prefix))
                .await
            {
                Ok(mut keys) => {
                    // SCAN may return a key more than once (when Redis resizes its table
                    // during the walk): distinct keys are counted.
                    let mut seen = std::collections::HashSet::new();
                    while let Some(k) = keys.next_item().await {
                        if let Ok(k) = k {
                            seen.insert(k);
                        }
                    }
                    Some(seen.len() as u64)
                }
                Err(_) => None,
            };
            BackendStats {
                entries,
                ..BackendStats::default()
            }
        })
    }
}

/// A Redis backend that connects on first use and retries at most once a second while Redis
/// is unreachable (the tool passes requests through meanwhile).
pub(crate) struct Lazy {
    url: String,
    conn: tokio::sync::OnceCell<Redis>,
    last_failure: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Lazy {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            conn: tokio::sync::OnceCell::new(),
            last_failure: std::sync::Mutex::new(None),
        }
    }

    async fn get(&self) -> Result<&Redis, BackendError> {
        if let Some(r) = self.conn.get() {
            return Ok(r);
        }
        {
            let last = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return Err(BackendError("Redis is unreachable".into()));
            }
        }
        let r = self
            .conn
            .get_or_try_init(|| Redis::connect(&self.url, Duration::from_millis(500)))
            .await;
        if r.is_err() {
            *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(std::time::Instant::now());
        }
        r
    }
}

impl Backend for Lazy {
    fn lookup<'a>(
        &'a self,
        uri: &'a str,
        variant_of: &'a (dyn Fn(&[String]) -> String + Send + Sync),
    ) -> BoxFuture<'a, Result<Lookup, BackendError>> {
        Box::pin(async move { self.get().await?.lookup(uri, variant_of).await })
    }

    fn store<'a>(
        &'a self,
        uri: &'a str,
        vary: &'a [String],
        variant: String,
        entry: Arc<Stored>,
        max_variants: usize,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move {
            self.get()
                .await?
                .store(uri, vary, variant, entry, max_variants)
                .await
        })
    }

    fn invalidate<'a>(&'a self, uri: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move { self.get().await?.invalidate(uri).await })
    }

    fn invalidate_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move { self.get().await?.invalidate_prefix(prefix).await })
    }

    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<bool, BackendError>> {
        Box::pin(async move { self.get().await?.invalidate_tag(tag).await })
    }

    fn clear(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move { self.get().await?.clear().await })
    }

    fn stats(&self) -> BoxFuture<'_, BackendStats> {
        Box::pin(async move {
            match self.get().await {
                Ok(r) => r.stats().await,
                Err(_) => BackendStats::default(),
            }
        })
    }
}
