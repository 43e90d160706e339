//! The SQLite connections reads run on (see `read.rs` for why): one per thread and database
//! file, opened by the thread's first read, closed when the thread ends (or at its next read
//! once the database is dropped), through rusqlite (sqlx's SQLite connections live on threads
//! of their own and offer no way to run a statement on the caller's).
//!
//! Each connection only reads (`PRAGMA query_only`), never waits for a lock (busy timeout 0:
//! in write-ahead-log mode a read takes none, and the rare busy moment — another process
//! recovering the log — sends the read to the pool), and keeps its statements prepared.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::{Arc, Weak};

use rusqlite::{Connection, OpenFlags};

use super::Result;
use super::read::{Arg, Columns, FromColumns};

/// A SQLite file the model reads on the request's thread.
#[derive(Debug)]
pub(super) struct Local {
    path: PathBuf,
}

thread_local! {
    /// This thread's connections, each with the database it reads.
    static OPEN: RefCell<Vec<(Weak<Local>, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// The statements a connection keeps prepared: more than the model's reads.
const STATEMENTS: usize = 64;

impl Local {
    /// Reads the file at `path` (a database the pool has opened and migrated).
    pub(super) fn new(path: PathBuf) -> Arc<Self> {
        Arc::new(Self { path })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.pragma_update(None, "query_only", true)?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Ok(conn)
    }

    /// Up to `limit` rows of `sql`, read on this thread.
    pub(super) fn read<T: FromColumns>(
        self: &Arc<Self>,
        sql: &str,
        args: &[Arg<'_>],
        limit: usize,
    ) -> Result<Vec<T>> {
        OPEN.with_borrow_mut(|open| {
            // The connections of dropped databases close here.
            open.retain(|(db, _)| db.strong_count() > 0);
            let i = match open
                .iter()
                .position(|(db, _)| db.as_ptr() == Arc::as_ptr(self))
            {
                Some(i) => i,
                None => {
                    open.push((Arc::downgrade(self), self.open().map_err(error)?));
                    open.len() - 1
                }
            };
            rows(&open[i].1, sql, args, limit)
        })
    }
}

fn rows<T: FromColumns>(
    conn: &Connection,
    sql: &str,
    args: &[Arg<'_>],
    limit: usize,
) -> Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(error)?;
    // `$N` is SQLite's named parameter `$N`, numbered by first appearance: each is bound to
    // the value its name says.
    for i in 1..=statement.parameter_count() {
        let n = statement
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| args.get(n.wrapping_sub(1)))
            .ok_or_else(|| sqlx::Error::Protocol(format!("parameter {i} of `{sql}` unbound")))?;
        match *n {
            Arg::Int(v) => statement.raw_bind_parameter(i, v),
            Arg::Text(s) => statement.raw_bind_parameter(i, s),
        }
        .map_err(error)?;
    }
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while out.len() < limit {
        match rows.next().map_err(error)? {
            Some(row) => out.push(T::from_columns(row)?),
            None => break,
        }
    }
    Ok(out)
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, name: &str) -> Result<i64> {
        self.get(name).map_err(error)
    }

    fn text(&self, name: &str) -> Result<String> {
        self.get(name).map_err(error)
    }
}

/// SQLite's own error, as the pool's connections report theirs: its extended code is the
/// `code()` the application's error handling reads (5 busy, 6 locked...).
#[derive(Debug, thiserror::Error)]
#[error("{message} (code {code})")]
struct LocalError {
    code: i32,
    message: String,
}

impl sqlx::error::DatabaseError for LocalError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        sqlx::error::ErrorKind::Other
    }
}

/// A rusqlite error as the model's: SQLite's failures keep their code; a column of the wrong
/// type or name is a decoding error.
fn error(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => {
            sqlx::Error::Database(Box::new(LocalError {
                code: failure.extended_code,
                message: message.unwrap_or_else(|| failure.to_string()),
            }))
        }
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

/// Whether a read found the database busy or locked (SQLite's codes 5 and 6).
pub(super) fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => d
            .try_downcast_ref::<LocalError>()
            .is_some_and(|l| matches!(l.code & 0xff, 5 | 6)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::read::Arg;

    /// `$N` takes the N-th value wherever it stands in the query, as it does through sqlx.
    #[test]
    fn each_parameter_takes_the_value_its_number_names() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let rows: Vec<i64> = super::rows(
            &conn,
            "SELECT $2 * 10 - $1 AS n",
            &[Arg::Int(3), Arg::Int(7)],
            usize::MAX,
        )
        .unwrap();
        assert_eq!(rows, [67]);
        let names: Vec<String> = super::rows(
            &conn,
            "SELECT $1 || '/' || $1 AS filename",
            &[Arg::Text("a")],
            usize::MAX,
        )
        .unwrap();
        assert_eq!(names, ["a/a"]);
        let missing = super::rows::<i64>(&conn, "SELECT $2 AS n", &[Arg::Int(1)], 1);
        assert!(
            missing.unwrap_err().to_string().contains("unbound"),
            "a parameter without its value is an error"
        );
    }
}
