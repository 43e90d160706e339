//! The photoblog's data: a blog, its albums, their films, their photos, in
//! SQLite or PostgreSQL through sqlx's `Any` driver (on a SQLite file, reads run on the
//! request's thread: see `read.rs`). Ids are assigned by the database and
//! every write runs in a transaction. On SQLite a write transaction takes the write lock when
//! it begins (`BEGIN IMMEDIATE`), so concurrent writers wait their turn instead of failing.
//! What a failure means to a client is in `error.rs`.

mod album;
mod connect;
mod film;
mod local;
mod photo;
mod read;

use std::sync::Arc;

use sqlx::AnyPool;

pub(crate) use album::{Album, AlbumFields};
pub(crate) use connect::{redacted, sqlite_file_url};
pub(crate) use film::Film;
pub(crate) use photo::{Photo, PhotoFile};
use read::{Arg, Columns, FromColumns};

type Result<T> = std::result::Result<T, sqlx::Error>;

/// The blog: the row every album belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Blog {
    pub(crate) id: i64,
}

impl FromColumns for Blog {
    fn from_columns(row: &impl Columns) -> Result<Self> {
        Ok(Self { id: row.int("id")? })
    }
}

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqlite,
    Postgres,
}

/// The database: a pool of connections to SQLite or PostgreSQL, and for a SQLite file the
/// connections reads take on their own thread.
#[derive(Clone)]
pub(crate) struct Db {
    pool: AnyPool,
    kind: Kind,
    local: Option<Arc<local::Local>>,
}

/// Now, in Unix seconds (how times are stored).
fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Queries are built from the constant column lists of the entities and literal text only:
/// no value is ever formatted into SQL (values are bound).
fn safe(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

/// The slug of a title (`Autumn in the park` → `autumn-in-the-park`).
fn slug(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').chars().take(80).collect()
}

/// The migrations of a kind of database (`migrations/sqlite/`, `migrations/postgres/`: the
/// same schema, each in its own dialect), built into the program as `sqlx::migrate!` would
/// read them: version and description from the file name, no transaction for a file that
/// starts with `-- no-transaction`. Listed by hand, a line per file, because the macro
/// compiles sqlx's SQLite and PostgreSQL drivers (and SQLite's C source) a second time, for
/// the compiler.
fn migrator(kind: Kind) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    let files: [(i64, &str, &'static str); 2] = match kind {
        Kind::Sqlite => [
            (
                1,
                "init",
                include_str!("../../migrations/sqlite/0001_init.sql"),
            ),
            (
                2,
                "ids from the database",
                include_str!("../../migrations/sqlite/0002_ids_from_the_database.sql"),
            ),
        ],
        Kind::Postgres => [
            (
                1,
                "init",
                include_str!("../../migrations/postgres/0001_init.sql"),
            ),
            (
                2,
                "ids from the database",
                include_str!("../../migrations/postgres/0002_ids_from_the_database.sql"),
            ),
        ],
    };
    Migrator::with_migrations(
        files
            .into_iter()
            .map(|(version, description, sql)| {
                let no_tx = sql.starts_with("-- no-transaction");
                let sql = sql.into_sql_str();
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql,
                    no_tx,
                )
            })
            .collect(),
    )
}

impl Db {
    /// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock
    /// first, so a second writer waits for it (up to the busy timeout, 5 s). A plain `BEGIN`
    /// that reads, then writes, fails at once with "database is locked" when another writer
    /// got the lock in between — concurrent uploads did.
    async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.kind {
            Kind::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Kind::Postgres => self.pool.begin().await,
        }
    }

    /// Applies the migrations of this kind of database (see [`migrator`]).
    pub(crate) async fn migrate(&self) -> std::result::Result<(), sqlx::migrate::MigrateError> {
        migrator(self.kind).run(&self.pool).await
    }

    /// The blog (the first one), created when missing.
    pub(crate) async fn blog(&self) -> Result<Blog> {
        let first = self
            .optional("SELECT id FROM photoblog ORDER BY id LIMIT 1".into(), &[])
            .await?;
        if let Some(b) = first {
            return Ok(b);
        }
        sqlx::query("INSERT INTO photoblog (name, title) VALUES ($1, $2) RETURNING id")
            .bind("photoblog")
            .bind("A drupe photoblog")
            .try_map(Blog::from_any)
            .fetch_one(&self.pool)
            .await
    }

    /// Whether a stored file is still some photo's.
    pub(crate) async fn file_in_use(&self, filename: &str) -> Result<bool> {
        let n: i64 = self
            .one(
                "SELECT COUNT(*) AS n FROM photo WHERE filename = $1".into(),
                &[Arg::Text(filename)],
            )
            .await?;
        Ok(n > 0)
    }

    /// Every stored file some photo refers to.
    pub(crate) async fn filenames(&self) -> Result<Vec<String>> {
        self.all("SELECT DISTINCT filename FROM photo".into(), &[])
            .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slug("Autumn in the Park!"), "autumn-in-the-park");
        assert_eq!(super::slug("  --  "), "");
    }
}
