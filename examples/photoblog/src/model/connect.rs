//! Opening the database from its URL: `sqlite:PATH` (the file and its folder created when
//! missing), `sqlite::memory:`, `postgres://…`.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};

use super::local::Local;
use super::{Db, Kind, Result};

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

/// The driver's URL of the SQLite file at `path`, created when missing.
pub(crate) fn sqlite_file_url(path: &str) -> String {
    format!("sqlite://{}?mode=rwc", url_path(path))
}

/// The URL the driver is given, which database it is, and the SQLite file it is if one.
fn driver_url(url: &str) -> Result<(String, Kind, Option<PathBuf>)> {
    if url == "sqlite::memory:" || url == "sqlite://:memory:" {
        return Ok(("sqlite::memory:".to_owned(), Kind::Sqlite, None));
    }
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        return Ok((sqlite_file_url(path), Kind::Sqlite, Some(path.into())));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_owned(), Kind::Postgres, None));
    }
    Err(sqlx::Error::Configuration(
        format!(
            "unsupported database `{}`: use sqlite:PATH, sqlite::memory: or postgres://",
            redacted(url)
        )
        .into(),
    ))
}

impl Db {
    /// Connects (`sqlite:path`, `sqlite::memory:`, `postgres://...`); a SQLite file and its
    /// folder are created when missing.
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        install_default_drivers();
        let (url, kind, file) = driver_url(url)?;
        // A request waits up to 5 s for a connection: long enough to queue behind a burst,
        // short enough that a database gone away is a prompt 503 rather than a hung client.
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
        let options = match kind {
            Kind::Postgres => options.max_connections(10),
            Kind::Sqlite => {
                // A SQLite connection is a file in this process: it cannot drop like a socket,
                // and the pool already pings it when it comes back. A second ping before each
                // query would be one more round trip to the connection's thread per request.
                let options = options.test_before_acquire(false);
                if file.is_none() {
                    // One connection, kept forever: an in-memory database lives as long as it
                    // does.
                    options
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None)
                } else {
                    // Write-ahead logging: a reader never waits for a writer (nor a writer for
                    // readers), and a read takes no lock on the database file. The mode stays
                    // with the file; copy `pb.db-wal` beside `pb.db` when backing it up while
                    // it is open. A pragma as each connection opens, because the Any driver
                    // is given a URL, and sqlx's SQLite URL has no journal-mode parameter
                    // (`SqliteConnectOptions::journal_mode` is out of its reach).
                    options.max_connections(4).after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("PRAGMA journal_mode = WAL")
                                .execute(conn)
                                .await?;
                            Ok(())
                        })
                    })
                }
            }
        };
        let pool = options.connect(&url).await?;
        let local = file.map(Local::new);
        Ok(Self { pool, kind, local })
    }
}

/// A database URL fit for a log: its password, in the user part or in a `password=`
/// parameter, replaced by `***`; the rest kept, so the message still says which server,
/// database and user (`postgres://blog:***@db.example:5432/photos`).
pub(crate) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    // The user part ends at the last `@` (a password may hold `/` or `@` unencoded).
    let mut out = format!("{scheme}://");
    match before_query.rsplit_once('@') {
        Some((user_info, host_and_path)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            out.push_str(user);
            if user.len() < user_info.len() {
                out.push_str(":***");
            }
            out.push('@');
            out.push_str(host_and_path);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn passwords_are_masked() {
        for (url, shown) in [
            (
                "postgres://blog:s3cret@db.example:5432/photos",
                "postgres://blog:***@db.example:5432/photos",
            ),
            (
                "postgresql://blog:p/a@ss@db/photos?sslmode=require",
                "postgresql://blog:***@db/photos?sslmode=require",
            ),
            (
                "postgres://db/photos?user=blog&password=s3cret&sslmode=require",
                "postgres://db/photos?user=blog&password=***&sslmode=require",
            ),
            ("postgres://blog@db/photos", "postgres://blog@db/photos"),
            ("postgres://db/photos", "postgres://db/photos"),
            ("sqlite:data/photoblog.db", "sqlite:data/photoblog.db"),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            assert_eq!(super::redacted(url), shown, "{url}");
        }
    }
}
