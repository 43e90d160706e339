//! The photoblog's data: a blog, its albums, their films, their photos (reference A8.1), in
//! SQLite or PostgreSQL through sqlx's `Any` driver, with one set of migrations for both.
//! Every write runs in a transaction; ids are assigned in it (portable across both databases)
//! and a concurrent writer that took the same id makes the transaction retry. On SQLite a
//! write transaction takes the write lock when it begins (`BEGIN IMMEDIATE`), so concurrent
//! writers wait their turn instead of failing. What a failure means to a client is in
//! `failures.rs`.

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, FromRow};

use super::failures::DbError;

/// A photoblog.
#[derive(Debug, Clone, FromRow)]
// Every column of the book's schema is read, whether a page shows it or not.
#[allow(dead_code)]
pub(crate) struct Blog {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) title: String,
}

/// An album.
#[derive(Debug, Clone, FromRow)]
// Every column of the book's schema is read, whether a page shows it or not.
#[allow(dead_code)]
pub(crate) struct Album {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) description: String,
    pub(crate) content: String,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) blog_id: i64,
}

/// A film of an album.
#[derive(Debug, Clone, FromRow)]
// Every column of the book's schema is read, whether a page shows it or not.
#[allow(dead_code)]
pub(crate) struct Film {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) album_id: i64,
}

/// A photo of a film.
#[derive(Debug, Clone, FromRow)]
// Every column of the book's schema is read, whether a page shows it or not.
#[allow(dead_code)]
pub(crate) struct Photo {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) legend: String,
    pub(crate) filename: String,
    pub(crate) media_type: String,
    pub(crate) filesize: i64,
    pub(crate) width: i64,
    pub(crate) height: i64,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) film_id: i64,
}

/// What creating or replacing an album takes.
#[derive(Debug, Clone, Default)]
pub(crate) struct AlbumFields {
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) description: String,
    pub(crate) content: String,
}

/// A photo's stored file, ready to be recorded.
#[derive(Debug, Clone)]
pub(crate) struct PhotoFile {
    pub(crate) filename: String,
    pub(crate) media_type: String,
    pub(crate) filesize: i64,
    pub(crate) width: i64,
    pub(crate) height: i64,
}

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqlite,
    Postgres,
}

/// The database.
#[derive(Clone)]
#[allow(dead_code)] // `kind` is for tests and logs
pub(crate) struct Db {
    pool: AnyPool,
    pub(crate) kind: Kind,
}

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn is_conflict(e: &DbError) -> bool {
    match &e.0 {
        sqlx::Error::Database(d) => d.is_unique_violation() || d.code().as_deref() == Some("40001"),
        _ => false,
    }
}

type Result<T> = std::result::Result<T, DbError>;

/// Queries are built from the constant column lists below and literal text only: no value is
/// ever formatted into SQL (values are bound).
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

/// A photo with its album, read in the transaction that changed it (the caller needs the
/// album to drop its cached pages, and a second query after the commit could fail alone).
async fn album_of_photo(tx: &mut sqlx::AnyConnection, p: Photo) -> Result<(Photo, i64)> {
    let album = sqlx::query_scalar("SELECT album_id FROM film WHERE id = $1")
        .bind(p.film_id)
        .fetch_one(tx)
        .await?;
    Ok((p, album))
}

macro_rules! retrying {
    ($body:expr) => {{
        let mut attempt = 0;
        loop {
            match $body.await {
                Err(e) if is_conflict(&e) && attempt < 8 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
                }
                other => break other,
            }
        }
    }};
}

const ALBUM_COLUMNS: &str =
    "id, uuid, name, title, author, description, content, created, modified, blog_id";
const FILM_COLUMNS: &str = "id, name, title, created, modified, album_id";
const PHOTO_COLUMNS: &str =
    "id, name, legend, filename, media_type, filesize, width, height, created, modified, film_id";

/// A file path as the path of a `sqlite://` URL. The Any driver parses the URL before SQLite
/// reads it back, and a Windows path (`C:\data\pb.db`) would come back as `C/\data\pb.db`
/// (its drive taken for a host): everything but the unreserved characters and `/` is
/// percent-encoded, which the SQLite driver decodes.
fn url_path(path: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(path, KEEP).to_string()
}

impl Db {
    /// Connects (`sqlite:path`, `sqlite::memory:`, `postgres://...`); a SQLite file and its
    /// folder are created when missing.
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        install_default_drivers();
        let (url, kind, memory) = if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            ("sqlite::memory:".to_owned(), Kind::Sqlite, true)
        } else if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
            }
            (
                format!("sqlite://{}?mode=rwc", url_path(path)),
                Kind::Sqlite,
                false,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (url.to_owned(), Kind::Postgres, false)
        } else {
            return Err(DbError(sqlx::Error::Configuration(
                format!(
                    "unsupported database `{}`: use sqlite:PATH, sqlite::memory: or postgres://",
                    super::failures::redacted(url)
                )
                .into(),
            )));
        };
        // A request waits up to 5 s for a connection: long enough to queue behind a burst,
        // short enough that a database gone away is a prompt 503 rather than a hung client.
        let mut options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .max_connections(if kind == Kind::Sqlite { 4 } else { 10 });
        if memory {
            // One connection, kept forever: an in-memory database lives as long as it does.
            options = options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = options.connect(&url).await?;
        Ok(Self { pool, kind })
    }

    /// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock
    /// first, so a second writer waits for it (up to the busy timeout, 5 s). A plain `BEGIN`
    /// that reads, then writes, fails at once with "database is locked" when another writer
    /// got the lock in between — concurrent uploads did.
    async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.kind {
            Kind::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Kind::Postgres => Ok(self.pool.begin().await?),
        }
    }

    /// Applies the migrations.
    pub(crate) async fn migrate(&self) -> std::result::Result<(), sqlx::migrate::MigrateError> {
        sqlx::migrate!("examples/photoblog/migrations")
            .run(&self.pool)
            .await
    }

    /// The blog (the first one), created when missing.
    pub(crate) async fn blog(&self) -> Result<Blog> {
        if let Some(b) =
            sqlx::query_as::<_, Blog>("SELECT id, name, title FROM photoblog ORDER BY id LIMIT 1")
                .fetch_optional(&self.pool)
                .await?
        {
            return Ok(b);
        }
        retrying!(async {
            let mut tx = self.write().await?;
            let b = sqlx::query_as::<_, Blog>(
                "INSERT INTO photoblog (id, name, title) \
                 SELECT COALESCE(MAX(id), 0) + 1, $1, $2 FROM photoblog RETURNING id, name, title",
            )
            .bind("photoblog")
            .bind("A drupe photoblog")
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(b)
        })
    }

    pub(crate) async fn album_count(&self) -> Result<i64> {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM album")
            .fetch_one(&self.pool)
            .await
            .map_err(DbError)
    }

    /// Albums in creation order, `start` inclusive, `end` exclusive.
    pub(crate) async fn albums_range(&self, start: i64, end: i64) -> Result<Vec<Album>> {
        sqlx::query_as::<_, Album>(safe(format!(
            "SELECT {ALBUM_COLUMNS} FROM album ORDER BY created, id LIMIT $1 OFFSET $2"
        )))
        .bind((end - start).max(0))
        .bind(start)
        .fetch_all(&self.pool)
        .await
        .map_err(DbError)
    }

    /// Albums newest first, for the home page.
    pub(crate) async fn albums_newest(&self, offset: i64, limit: i64) -> Result<Vec<Album>> {
        sqlx::query_as::<_, Album>(safe(format!(
            "SELECT {ALBUM_COLUMNS} FROM album ORDER BY created DESC, id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(DbError)
    }

    pub(crate) async fn all_albums(&self) -> Result<Vec<Album>> {
        self.albums_range(0, i64::MAX).await
    }

    pub(crate) async fn album(&self, id: i64) -> Result<Option<Album>> {
        sqlx::query_as::<_, Album>(safe(format!(
            "SELECT {ALBUM_COLUMNS} FROM album WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(DbError)
    }

    /// Creates an album with `films` films in one transaction.
    pub(crate) async fn create_album(&self, f: &AlbumFields, films: &[&str]) -> Result<Album> {
        let blog = self.blog().await?;
        retrying!(async {
            let mut tx = self.write().await?;
            let t = now();
            let album = sqlx::query_as::<_, Album>(safe(format!(
                "INSERT INTO album ({ALBUM_COLUMNS}) \
                 SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM album \
                 RETURNING {ALBUM_COLUMNS}"
            )))
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(slug(&f.title))
            .bind(&f.title)
            .bind(&f.author)
            .bind(&f.description)
            .bind(&f.content)
            .bind(t)
            .bind(t)
            .bind(blog.id)
            .fetch_one(&mut *tx)
            .await?;
            for title in films {
                sqlx::query(safe(format!(
                    "INSERT INTO film ({FILM_COLUMNS}) \
                     SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5 FROM film"
                )))
                .bind(slug(title))
                .bind(*title)
                .bind(t)
                .bind(t)
                .bind(album.id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(album)
        })
    }

    /// Replaces an album's fields; `None` when there is no such album (nothing is created).
    pub(crate) async fn update_album(&self, id: i64, f: &AlbumFields) -> Result<Option<Album>> {
        let mut tx = self.write().await?;
        let album = sqlx::query_as::<_, Album>(safe(format!(
            "UPDATE album SET title = $1, name = $2, author = $3, description = $4, content = $5, \
             modified = $6 WHERE id = $7 RETURNING {ALBUM_COLUMNS}"
        )))
        .bind(&f.title)
        .bind(slug(&f.title))
        .bind(&f.author)
        .bind(&f.description)
        .bind(&f.content)
        .bind(now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(album)
    }

    /// Deletes an album (its films and photos go with it); returns the photo files that were
    /// its, or `None` when there was no such album.
    pub(crate) async fn delete_album(&self, id: i64) -> Result<Option<Vec<String>>> {
        let mut tx = self.write().await?;
        let files: Vec<String> = sqlx::query_scalar(
            "SELECT p.filename FROM photo p JOIN film f ON p.film_id = f.id WHERE f.album_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM album WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok((gone > 0).then_some(files))
    }

    pub(crate) async fn films(&self, album_id: Option<i64>) -> Result<Vec<Film>> {
        match album_id {
            Some(a) => sqlx::query_as::<_, Film>(safe(format!(
                "SELECT {FILM_COLUMNS} FROM film WHERE album_id = $1 ORDER BY created, id"
            )))
            .bind(a)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError),
            None => sqlx::query_as::<_, Film>(safe(format!(
                "SELECT {FILM_COLUMNS} FROM film ORDER BY created, id"
            )))
            .fetch_all(&self.pool)
            .await
            .map_err(DbError),
        }
    }

    pub(crate) async fn film(&self, id: i64) -> Result<Option<Film>> {
        sqlx::query_as::<_, Film>(safe(format!(
            "SELECT {FILM_COLUMNS} FROM film WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(DbError)
    }

    /// Creates a film; `None` when the album does not exist.
    pub(crate) async fn create_film(&self, album_id: i64, title: &str) -> Result<Option<Film>> {
        retrying!(async {
            let mut tx = self.write().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM album WHERE id = $1")
                .bind(album_id)
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let t = now();
            let film = sqlx::query_as::<_, Film>(safe(format!(
                "INSERT INTO film ({FILM_COLUMNS}) \
                 SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5 FROM film RETURNING {FILM_COLUMNS}"
            )))
            .bind(slug(title))
            .bind(title)
            .bind(t)
            .bind(t)
            .bind(album_id)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(film))
        })
    }

    pub(crate) async fn update_film(&self, id: i64, title: &str) -> Result<Option<Film>> {
        let mut tx = self.write().await?;
        let film = sqlx::query_as::<_, Film>(safe(format!(
            "UPDATE film SET title = $1, name = $2, modified = $3 WHERE id = $4 RETURNING {FILM_COLUMNS}"
        )))
        .bind(title)
        .bind(slug(title))
        .bind(now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(film)
    }

    /// Deletes a film and its photos; returns their files, or `None` when there was no film.
    pub(crate) async fn delete_film(&self, id: i64) -> Result<Option<(Film, Vec<String>)>> {
        let mut tx = self.write().await?;
        let Some(film) = sqlx::query_as::<_, Film>(safe(format!(
            "SELECT {FILM_COLUMNS} FROM film WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let files: Vec<String> =
            sqlx::query_scalar("SELECT filename FROM photo WHERE film_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM film WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some((film, files)))
    }

    pub(crate) async fn photos(&self, film_id: Option<i64>) -> Result<Vec<Photo>> {
        match film_id {
            Some(f) => sqlx::query_as::<_, Photo>(safe(format!(
                "SELECT {PHOTO_COLUMNS} FROM photo WHERE film_id = $1 ORDER BY created, id"
            )))
            .bind(f)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError),
            None => sqlx::query_as::<_, Photo>(safe(format!(
                "SELECT {PHOTO_COLUMNS} FROM photo ORDER BY created, id"
            )))
            .fetch_all(&self.pool)
            .await
            .map_err(DbError),
        }
    }

    pub(crate) async fn photos_of_album(&self, album_id: i64) -> Result<Vec<Photo>> {
        sqlx::query_as::<_, Photo>(safe(format!(
            "SELECT p.{} FROM photo p JOIN film f ON p.film_id = f.id WHERE f.album_id = $1 \
             ORDER BY p.created, p.id",
            PHOTO_COLUMNS.replace(", ", ", p.")
        )))
        .bind(album_id)
        .fetch_all(&self.pool)
        .await
        .map_err(DbError)
    }

    pub(crate) async fn photo(&self, id: i64) -> Result<Option<Photo>> {
        sqlx::query_as::<_, Photo>(safe(format!(
            "SELECT {PHOTO_COLUMNS} FROM photo WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(DbError)
    }

    /// Records a photo whose file is stored; `before_commit` runs inside the transaction (it
    /// moves the file into place), so a failure of either leaves neither. Returns the photo
    /// and its album, or `None` when the film does not exist.
    pub(crate) async fn create_photo(
        &self,
        film_id: i64,
        legend: &str,
        file: &PhotoFile,
        before_commit: impl Fn() -> std::io::Result<()>,
    ) -> Result<Option<(Photo, i64)>> {
        retrying!(async {
            let mut tx = self.write().await?;
            let album: Option<i64> = sqlx::query_scalar("SELECT album_id FROM film WHERE id = $1")
                .bind(film_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(album) = album else {
                return Ok(None);
            };
            let t = now();
            let photo = sqlx::query_as::<_, Photo>(safe(format!(
                "INSERT INTO photo ({PHOTO_COLUMNS}) \
                 SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM photo \
                 RETURNING {PHOTO_COLUMNS}"
            )))
            .bind(slug(legend))
            .bind(legend)
            .bind(&file.filename)
            .bind(&file.media_type)
            .bind(file.filesize)
            .bind(file.width)
            .bind(file.height)
            .bind(t)
            .bind(t)
            .bind(film_id)
            .fetch_one(&mut *tx)
            .await?;
            before_commit().map_err(sqlx::Error::Io)?;
            tx.commit().await?;
            Ok(Some((photo, album)))
        })
    }

    /// Changes a photo's legend; returns the photo and its album, or `None` when there is no
    /// such photo.
    pub(crate) async fn update_photo(&self, id: i64, legend: &str) -> Result<Option<(Photo, i64)>> {
        let mut tx = self.write().await?;
        let photo = sqlx::query_as::<_, Photo>(safe(format!(
            "UPDATE photo SET legend = $1, name = $2, modified = $3 WHERE id = $4 RETURNING {PHOTO_COLUMNS}"
        )))
        .bind(legend)
        .bind(slug(legend))
        .bind(now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let with_album = match photo {
            Some(p) => Some(album_of_photo(&mut tx, p).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(with_album)
    }

    /// Deletes a photo; returns it and its album, or `None` when there was no such photo.
    pub(crate) async fn delete_photo(&self, id: i64) -> Result<Option<(Photo, i64)>> {
        let mut tx = self.write().await?;
        let photo = sqlx::query_as::<_, Photo>(safe(format!(
            "DELETE FROM photo WHERE id = $1 RETURNING {PHOTO_COLUMNS}"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let with_album = match photo {
            Some(p) => Some(album_of_photo(&mut tx, p).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(with_album)
    }

    /// Whether a stored file is still some photo's.
    pub(crate) async fn file_in_use(&self, filename: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM photo WHERE filename = $1")
            .bind(filename)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Every stored file some photo refers to.
    pub(crate) async fn filenames(&self) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT filename FROM photo")
            .fetch_all(&self.pool)
            .await
            .map_err(DbError)
    }

    /// Counts of albums, films, photos (consistency checks).
    #[allow(dead_code)] // for tests
    pub(crate) async fn counts(&self) -> Result<(i64, i64, i64)> {
        let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool);
        Ok((
            count("SELECT COUNT(*) FROM album").await?,
            count("SELECT COUNT(*) FROM film").await?,
            count("SELECT COUNT(*) FROM photo").await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slug("Autumn in the Park!"), "autumn-in-the-park");
        assert_eq!(super::slug("  --  "), "");
    }

    /// A database file's path reaches SQLite as it was given, through the Any driver's URL:
    /// a Windows drive, spaces, `#` and `?` included.
    #[test]
    fn database_paths_survive_the_url() {
        use std::str::FromStr;
        for path in [
            r"C:\Users\me\AppData\Local\Temp\pb-1\pb.db",
            "/tmp/a b/pb#1?.db",
            "data/pb.db",
        ] {
            let url = format!("sqlite://{}?mode=rwc", super::url_path(path));
            let any = sqlx::any::AnyConnectOptions::from_str(&url).unwrap();
            let sqlite = sqlx::sqlite::SqliteConnectOptions::try_from(&any).unwrap();
            assert_eq!(sqlite.get_filename(), std::path::Path::new(path), "{url}");
        }
    }
}
