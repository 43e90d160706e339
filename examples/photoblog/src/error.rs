//! The application's one error type, [`AppError`]: what can go wrong in a handler, in the
//! model or in the photo store, and what each means to the client. A handler returns
//! `Result<T, AppError>` and writes `?` after a query, a file operation or a check alike.

use drupe::HttpError;

use crate::images::megapixels;

/// Everything that can fail in the photoblog; each variant knows its status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The database failed: a 503 to retry later when it cannot serve now, a 500 otherwise.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A photo file could not be read or written (500).
    #[error("photo files: {0}")]
    Files(#[from] std::io::Error),
    /// No album of this id (404).
    #[error("No album {0}.")]
    NoAlbum(i64),
    /// No film of this id (404).
    #[error("No film {0}.")]
    NoFilm(i64),
    /// No photo of this id (404).
    #[error("No photo {0}.")]
    NoPhoto(i64),
    /// A field the client sent is missing or malformed (400); the message names it.
    #[error("{0}")]
    Invalid(String),
    /// An upload that is not a PNG, JPEG, GIF or WebP image (415).
    #[error("The file is not a PNG, JPEG, GIF or WebP image.")]
    NotAnImage,
    /// A picture of more pixels than the store accepts (413), refused from its header.
    #[error(
        "The image is {width}×{height} pixels ({} megapixels); the largest allowed is {} megapixels.",
        megapixels(u64::from(*width) * u64::from(*height)),
        megapixels(*max_pixels)
    )]
    TooManyPixels {
        /// The picture's width.
        width: u32,
        /// Its height.
        height: u32,
        /// The store's limit, in pixels.
        max_pixels: u64,
    },
    /// An image that cannot be decoded (422).
    #[error("{0}")]
    Unreadable(String),
    /// The application could not start: its database, its folder or its settings.
    #[error("{0}")]
    Start(String),
    /// An error the framework (or a page) answers with as it is.
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// What the client sees: the status of each kind, and its message; for the database and the
/// files the cause goes to the log only.
impl From<AppError> for HttpError {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        match e {
            AppError::Database(e) if is_unavailable(&e) => HttpError::unavailable(5, message),
            AppError::Database(_) | AppError::Files(_) | AppError::Start(_) => {
                HttpError::internal(message)
            }
            AppError::NoAlbum(_) | AppError::NoFilm(_) | AppError::NoPhoto(_) => {
                HttpError::not_found(message)
            }
            AppError::Invalid(_) => HttpError::bad_request(message),
            AppError::NotAnImage => HttpError::unsupported_media_type(message),
            AppError::TooManyPixels { .. } => HttpError::payload_too_large(message),
            AppError::Unreadable(_) => HttpError::unprocessable(message),
            AppError::Http(e) => e,
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

#[cfg(test)]
mod tests {
    use super::AppError;
    use drupe::HttpError;

    #[test]
    fn each_kind_has_its_status() {
        for (e, status, message) in [
            (AppError::NoAlbum(7), 404, "No album 7."),
            (
                AppError::Invalid("title is required.".into()),
                400,
                "title is required.",
            ),
            (
                AppError::NotAnImage,
                415,
                "The file is not a PNG, JPEG, GIF or WebP image.",
            ),
            (
                AppError::TooManyPixels {
                    width: 8000,
                    height: 8000,
                    max_pixels: 40_000_000,
                },
                413,
                "The image is 8000×8000 pixels (64 megapixels); the largest allowed is 40 megapixels.",
            ),
            (AppError::Database(sqlx::Error::PoolTimedOut), 503, ""),
            (AppError::Database(sqlx::Error::RowNotFound), 500, ""),
        ] {
            let h = HttpError::from(e);
            assert_eq!(h.status().as_u16(), status, "{h:?}");
            if !message.is_empty() {
                assert_eq!(h.message(), message);
            }
        }
    }
}
