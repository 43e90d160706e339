//! The Redis store: several instances of an application share their sessions.
//!
//! A session is a hash at `<prefix><id>` (`sess:<id>` by default): `created` and `seen` in
//! milliseconds since the Unix epoch, and each value as JSON under `k:<key>`, so that a key
//! can never be taken for the timestamps. The hash's TTL is the session's deadline.
//!
//! A save is one Lua script, which Redis runs atomically: it sets (`HSET`) and deletes
//! (`HDEL`) the fields of the keys the request changed, keeps the later `seen`, and moves the
//! expiry (`PEXPIRE`) only later. A `MULTI` block would be as atomic, but it cannot look
//! before it writes: a save from a request that loaded the session before another renewed or
//! purged it would create the hash again, with the old id, and bring back an id that must stay
//! dead. The script writes nothing to a hash that no longer exists unless the save creates the
//! session.
//!
//! The connection is made on first use and re-established by itself after an outage; each
//! command gives up after half a second, and while Redis is unreachable a new connection is
//! tried at most once a second: the requests that need a session answer 503 meanwhile.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::future::LocalBoxFuture;
use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::store::{Changes, Record, SessionStore, StoreError};

/// How long a command (or a connection attempt) may take.
const TIMEOUT: Duration = Duration::from_millis(500);

/// Applies a request's changes. KEYS: the session's hash. ARGV: `created` in ms (`''` unless
/// the save creates the session), `seen` in ms, the TTL in ms, then pairs of a field and its
/// JSON value (`''`: delete the field). Returns 1 if applied, 0 if the session is gone.
const SAVE: &str = r"
local key = KEYS[1]
if ARGV[1] == '' then
  if redis.call('EXISTS', key) == 0 then return 0 end
else
  redis.call('HSETNX', key, 'created', ARGV[1])
end
local seen = tonumber(redis.call('HGET', key, 'seen') or '0')
if tonumber(ARGV[2]) > seen then redis.call('HSET', key, 'seen', ARGV[2]) end
for i = 4, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', key, ARGV[i])
  else
    redis.call('HSET', key, ARGV[i], ARGV[i + 1])
  end
end
local ttl = tonumber(ARGV[3])
local left = redis.call('PTTL', key)
if left < 0 or left < ttl then redis.call('PEXPIRE', key, ttl) end
return 1
";

static SAVE_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(SAVE));

/// Sessions in Redis, shared by every instance of the application that uses the same server
/// and prefix: what `[global] sessions.storage = "redis"` makes.
///
/// ```
/// use std::sync::Arc;
/// use drupe::sessions::{RedisStore, Sessions};
/// // Connected on first use: building it needs no server.
/// let store = RedisStore::new("redis://127.0.0.1:6379/").with_prefix("shop:sess:");
/// let sessions = Sessions::with_store(Arc::new(store));
/// ```
pub struct RedisStore {
    url: String,
    prefix: String,
    conn: tokio::sync::OnceCell<ConnectionManager>,
    last_failure: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn err(e: redis::RedisError) -> StoreError {
    StoreError(e.to_string())
}

/// Milliseconds since the Unix epoch.
fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn time_of(ms: &str) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_millis(ms.parse().ok()?))
}

/// The record a hash holds; `None` for one this code did not write.
fn record_of(hash: HashMap<String, String>) -> Option<Record> {
    let created = time_of(hash.get("created")?)?;
    let seen = hash.get("seen").and_then(|s| time_of(s)).unwrap_or(created);
    let mut data = BTreeMap::new();
    for (field, json) in &hash {
        if let Some(key) = field.strip_prefix("k:") {
            data.insert(key.to_owned(), serde_json::from_str(json).ok()?);
        }
    }
    Some(Record {
        data,
        created,
        seen,
    })
}

impl RedisStore {
    /// Sessions on the Redis server at `url` (`redis://host:port/db`), under `sess:`.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            prefix: "sess:".to_owned(),
            conn: tokio::sync::OnceCell::new(),
            last_failure: Mutex::new(None),
        }
    }

    /// Keys under `prefix` instead of `sess:` (instances of one application share a prefix;
    /// two applications on one server keep theirs apart).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }

    /// Whether `url` is a Redis URL this store can use (checked when the application is
    /// built from `[global] sessions.redis_url`).
    pub(super) fn check_url(url: &str) -> Result<(), String> {
        redis::Client::open(url)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    /// The connection, made on first use; at most one attempt a second while Redis is down.
    async fn conn(&self) -> Result<ConnectionManager, StoreError> {
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        {
            let last = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return Err(StoreError("Redis is unreachable".into()));
            }
        }
        let made = self
            .conn
            .get_or_try_init(|| async {
                let client = redis::Client::open(self.url.as_str()).map_err(err)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(TIMEOUT))
                    .set_response_timeout(Some(TIMEOUT))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(client, config)
                    .await
                    .map_err(err)
            })
            .await;
        match made {
            Ok(c) => Ok(c.clone()),
            Err(e) => {
                *self.last_failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                Err(e)
            }
        }
    }
}

impl SessionStore for RedisStore {
    fn load<'a>(
        &'a self,
        id: &'a str,
    ) -> LocalBoxFuture<'a, Result<Option<Arc<Record>>, StoreError>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            let hash: HashMap<String, String> = c.hgetall(self.key(id)).await.map_err(err)?;
            if hash.is_empty() {
                return Ok(None);
            }
            let record = record_of(hash);
            if record.is_none() {
                tracing::warn!(
                    "the session hash {} is not one drupe wrote: read as no session",
                    self.key(id)
                );
            }
            Ok(record.map(Arc::new))
        })
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        changes: &'a Changes,
    ) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            let ttl = changes
                .expires_at
                .duration_since(SystemTime::now())
                .map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .max(1);
            let mut call = SAVE_SCRIPT.key(self.key(id));
            call.arg(
                changes
                    .created
                    .map(millis)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            )
            .arg(millis(changes.seen))
            .arg(ttl);
            for (key, value) in &changes.keys {
                call.arg(format!("k:{key}"));
                // JSON text is never empty: '' says "delete".
                call.arg(value.as_ref().map(|v| v.to_string()).unwrap_or_default());
            }
            let _applied: i64 = call.invoke_async(&mut c).await.map_err(err)?;
            Ok(())
        })
    }

    fn remove<'a>(&'a self, id: &'a str) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            let _: i64 = c.del(self.key(id)).await.map_err(err)?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_read_back_and_foreign_ones_are_refused() {
        let hash = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>()
        };
        let r = record_of(hash(&[
            ("created", "1000"),
            ("seen", "2000"),
            ("k:count", "3"),
            ("k:created", "\"x\""),
        ]))
        .unwrap();
        assert_eq!(r.created, UNIX_EPOCH + Duration::from_secs(1));
        assert_eq!(r.seen, UNIX_EPOCH + Duration::from_secs(2));
        assert_eq!(
            serde_json::to_value(&r.data).unwrap(),
            serde_json::json!({"count": 3, "created": "x"})
        );
        assert_eq!(record_of(hash(&[("k:a", "1")])), None);
        assert_eq!(record_of(hash(&[("created", "1"), ("k:a", "{")])), None);
    }
}
