//! Reads: a query that changes nothing, its bound values, and the rows it returns mapped by
//! column name. One mapping per entity ([`FromColumns`]) serves both drivers: sqlx's rows and
//! the rows of the request thread's own SQLite connection (see `local.rs`).
//!
//! On a SQLite file a read runs on the request's thread, against a connection that thread
//! keeps open: one row costs a few microseconds there, less than the round trip to the
//! connection thread that sqlx gives every SQLite connection (two thread switches a query, and
//! two more for the check the pool runs as the connection comes back). Measured on the album
//! read (`GET /services/rest/album/1`, `--cache off`, one worker): 7,000 requests/s and 131 µs
//! of CPU a request through the pool, 20,000 and 49 µs on the thread. Writes, reads inside a
//! write's transaction, PostgreSQL and `sqlite::memory:` go through the pool.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, Result, safe};

/// A value bound to a read's `$1`, `$2`...
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// A row whose columns are read by name, whichever driver returned it.
pub(crate) trait Columns {
    /// The integer in column `name`.
    fn int(&self, name: &str) -> Result<i64>;
    /// The text in column `name`.
    fn text(&self, name: &str) -> Result<String>;
}

/// A value built from one row.
pub(crate) trait FromColumns: Sized + Send + Unpin + 'static {
    /// Reads the row's columns.
    fn from_columns(row: &impl Columns) -> Result<Self>;

    /// [`from_columns`](Self::from_columns) on a row of sqlx's, as `try_map` takes it.
    fn from_any(row: AnyRow) -> Result<Self> {
        Self::from_columns(&row)
    }
}

impl Columns for AnyRow {
    fn int(&self, name: &str) -> Result<i64> {
        self.try_get(name)
    }

    fn text(&self, name: &str) -> Result<String> {
        self.try_get(name)
    }
}

/// A count or an id, named `n` in its query (`SELECT COUNT(*) AS n`).
impl FromColumns for i64 {
    fn from_columns(row: &impl Columns) -> Result<Self> {
        row.int("n")
    }
}

/// A file name, named `filename` in its query.
impl FromColumns for String {
    fn from_columns(row: &impl Columns) -> Result<Self> {
        row.text("filename")
    }
}

impl Db {
    /// Every row of a read.
    pub(super) async fn all<T: FromColumns>(
        &self,
        sql: String,
        args: &[Arg<'_>],
    ) -> Result<Vec<T>> {
        self.rows(sql, args, usize::MAX).await
    }

    /// The first row of a read, if any.
    pub(super) async fn optional<T: FromColumns>(
        &self,
        sql: String,
        args: &[Arg<'_>],
    ) -> Result<Option<T>> {
        Ok(self.rows(sql, args, 1).await?.pop())
    }

    /// The first row of a read that always returns one (a count).
    pub(super) async fn one<T: FromColumns>(&self, sql: String, args: &[Arg<'_>]) -> Result<T> {
        self.optional(sql, args)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// Up to `limit` rows: on this thread's connection when the database is a SQLite file,
    /// through the pool otherwise — and when that connection finds the database busy (it never
    /// waits, which would hold up every request of this thread; the pool's connections wait
    /// up to the busy timeout on their own threads).
    async fn rows<T: FromColumns>(
        &self,
        sql: String,
        args: &[Arg<'_>],
        limit: usize,
    ) -> Result<Vec<T>> {
        if let Some(local) = &self.local {
            match local.read(&sql, args, limit) {
                Err(e) if super::local::is_busy(&e) => {}
                done => return done,
            }
        }
        let mut query = sqlx::query(safe(sql));
        for arg in args {
            query = match *arg {
                Arg::Int(v) => query.bind(v),
                Arg::Text(s) => query.bind(s.to_owned()),
            };
        }
        let query = query.try_map(T::from_any);
        if limit == 1 {
            Ok(query
                .fetch_optional(&self.pool)
                .await?
                .into_iter()
                .collect())
        } else {
            query.fetch_all(&self.pool).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::local::Local;
    use super::super::{Db, Kind, sqlite_file_url};

    /// Another connection holds the file's exclusive lock for a moment (a database in
    /// rollback-journal mode, where readers wait too): the read waits for it on the pool's
    /// connection, within the busy timeout, and returns what was committed — it is not
    /// refused by the thread's own connection, which never waits.
    #[tokio::test]
    async fn a_read_that_finds_the_file_locked_waits_on_the_pool() {
        let dir = crate::testing::temp_dir("read-locked");
        let path = dir.join("t.db");
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&sqlite_file_url(&path.to_string_lossy()))
            .await
            .unwrap();
        for sql in ["CREATE TABLE t (n INTEGER)", "INSERT INTO t VALUES (42)"] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        let db = Db {
            pool,
            kind: Kind::Sqlite,
            local: Some(Local::new(path.clone())),
        };
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder
            .execute_batch("BEGIN EXCLUSIVE; UPDATE t SET n = 43")
            .unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            holder.execute_batch("COMMIT").unwrap();
        });
        let n: i64 = db.one("SELECT n FROM t".into(), &[]).await.unwrap();
        assert_eq!(n, 43);
        release.join().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
