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
mod user;

use std::sync::Arc;

use sqlx::AnyPool;

pub(crate) use album::{Album, AlbumFields, Changed, Deleted};
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

/// A dialect's migration files (`migrations/<dir>/`), each name with its text.
macro_rules! migration_files {
    ($dir:literal: $($file:literal),+ $(,)?) => {
        &[$(($file, include_str!(concat!("../../migrations/", $dir, "/", $file)))),+]
    };
}

/// The migration files of each kind of database (the same schema, each in its own dialect),
/// built into the program. Listed by hand rather than found by `sqlx::migrate!`, whose macro
/// compiles sqlx's SQLite and PostgreSQL drivers (and SQLite's C source) a second time, for the
/// compiler; a test checks that the lists name every file of the folders.
fn migration_files(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Sqlite => {
            migration_files!("sqlite": "0001_init.sql", "0002_ids_from_the_database.sql", "0003_users.sql", "0004_album_version.sql")
        }
        Kind::Postgres => {
            migration_files!("postgres": "0001_init.sql", "0002_ids_from_the_database.sql", "0003_users.sql", "0004_album_version.sql")
        }
    }
}

/// The migrations of a kind of database, read as `sqlx::migrate!` reads its folder: the
/// version and description from the file name (`0002_ids_from_the_database.sql` is version 2,
/// "ids from the database"), no transaction for a file that starts with `-- no-transaction`.
fn migrator(kind: Kind) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    let migrations = migration_files(kind).iter().map(|&(name, sql)| {
        let (version, description) = name
            .strip_suffix(".sql")
            .and_then(|stem| stem.split_once('_'))
            .and_then(|(v, d)| Some((v.parse().ok()?, d.replace('_', " "))))
            .expect("migration files are named <version>_<description>.sql");
        let no_tx = sql.starts_with("-- no-transaction");
        let sql = sql.into_sql_str();
        Migration::new(
            version,
            description.into(),
            MigrationType::Simple,
            sql,
            no_tx,
        )
    });
    Migrator::with_migrations(migrations.collect())
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
    use super::Kind;

    /// The migrations built in are the folders' files, each read as sqlx reads its folder.
    #[test]
    fn every_migration_file_is_built_in() {
        for (kind, dir) in [(Kind::Sqlite, "sqlite"), (Kind::Postgres, "postgres")] {
            let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            let built_in: Vec<&str> = super::migration_files(kind).iter().map(|f| f.0).collect();
            assert_eq!(
                on_disk, built_in,
                "{dir}: add the new file to migration_files"
            );
            let read = sqlx::migrate::resolve_blocking(&folder).unwrap();
            let migrator = super::migrator(kind);
            assert_eq!(read.len(), migrator.migrations.len(), "{dir}");
            for ((expected, _), m) in read.iter().zip(migrator.migrations.iter()) {
                assert_eq!(
                    (m.version, &m.description, &m.checksum, m.no_tx),
                    (
                        expected.version,
                        &expected.description,
                        &expected.checksum,
                        expected.no_tx
                    ),
                    "{dir}"
                );
            }
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(super::slug("Autumn in the Park!"), "autumn-in-the-park");
        assert_eq!(super::slug("  --  "), "");
    }
}
