//! The database's failures as the client and the log see them: a 503 to retry later when the
//! database cannot serve now, a 500 otherwise; its URL without its password.

use std::fmt;

use drupe::HttpError;

/// A failure of the database: what the model's functions return. It converts into the
/// `HttpError` the client sees, so a handler writes `db.album(id).await?` and its `Result`
/// may hold an `HttpError` or a `DbError`.
#[derive(Debug)]
pub(crate) struct DbError(pub(crate) sqlx::Error);

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        Self(e)
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A database failure as the client sees it: unavailable (503, retry later) when the
/// database cannot serve now, a 500 otherwise. The cause goes to the log either way.
impl From<DbError> for HttpError {
    fn from(e: DbError) -> Self {
        if is_unavailable(&e.0) {
            HttpError::unavailable(5, format!("database: {}", e.0))
        } else {
            HttpError::internal(format!("database: {}", e.0))
        }
    }
}

/// Whether the database cannot serve now — unreachable, shutting down, out of connections,
/// locked past the busy timeout — rather than refusing this request for good.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // 08: connection exception; 53: insufficient resources (too many
                // connections...); 57P01-57P03: shut down, crashed, cannot connect now.
                let code = pg.code();
                code.starts_with("08") || code.starts_with("53") || code.starts_with("57P0")
            } else if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                let code = d.code().and_then(|c| c.parse::<i32>().ok());
                code.is_some_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                false
            }
        }
        _ => false,
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
