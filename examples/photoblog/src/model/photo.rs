//! Photos: a film's pictures, each with its stored file.

use super::{Arg, Columns, Db, FromColumns, Result, now, safe, slug};

/// A photo of a film.
#[derive(Debug, Clone)]
pub(crate) struct Photo {
    pub(crate) id: i64,
    /// The legend's slug (kept from CherryPy's photoblog schema; no page shows it).
    #[allow(dead_code)]
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

impl FromColumns for Photo {
    fn from_columns(row: &impl Columns) -> Result<Self> {
        Ok(Self {
            id: row.int("id")?,
            name: row.text("name")?,
            legend: row.text("legend")?,
            filename: row.text("filename")?,
            media_type: row.text("media_type")?,
            filesize: row.int("filesize")?,
            width: row.int("width")?,
            height: row.int("height")?,
            created: row.int("created")?,
            modified: row.int("modified")?,
            film_id: row.int("film_id")?,
        })
    }
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

const COLUMNS: &str =
    "id, name, legend, filename, media_type, filesize, width, height, created, modified, film_id";

/// A photo with its album, read in the transaction that changed it (the caller needs the
/// album to drop its cached pages, and a second query after the commit could fail alone).
async fn with_album(
    tx: &mut sqlx::AnyConnection,
    p: Option<Photo>,
) -> Result<Option<(Photo, i64)>> {
    let Some(p) = p else {
        return Ok(None);
    };
    let album = sqlx::query_scalar("SELECT album_id FROM film WHERE id = $1")
        .bind(p.film_id)
        .fetch_one(tx)
        .await?;
    Ok(Some((p, album)))
}

impl Db {
    /// The photos (of one film), in creation order.
    pub(crate) async fn photos(&self, film_id: Option<i64>) -> Result<Vec<Photo>> {
        match film_id {
            Some(f) => {
                self.all(
                    format!("SELECT {COLUMNS} FROM photo WHERE film_id = $1 ORDER BY created, id"),
                    &[Arg::Int(f)],
                )
                .await
            }
            None => {
                self.all(
                    format!("SELECT {COLUMNS} FROM photo ORDER BY created, id"),
                    &[],
                )
                .await
            }
        }
    }

    /// The photos of every film of an album, in creation order.
    pub(crate) async fn photos_of_album(&self, album_id: i64) -> Result<Vec<Photo>> {
        self.all(
            format!(
                "SELECT p.{} FROM photo p JOIN film f ON p.film_id = f.id WHERE f.album_id = $1 \
                 ORDER BY p.created, p.id",
                COLUMNS.replace(", ", ", p.")
            ),
            &[Arg::Int(album_id)],
        )
        .await
    }

    pub(crate) async fn photo(&self, id: i64) -> Result<Option<Photo>> {
        self.optional(
            format!("SELECT {COLUMNS} FROM photo WHERE id = $1"),
            &[Arg::Int(id)],
        )
        .await
    }

    /// Records a photo whose file is stored; `before_commit` runs inside the transaction (it
    /// moves the file into place), so a failure of either leaves neither. Returns the photo
    /// and its album, or `None` when the film does not exist.
    pub(crate) async fn create_photo(
        &self,
        film_id: i64,
        legend: &str,
        file: &PhotoFile,
        before_commit: impl FnOnce() -> std::io::Result<()>,
    ) -> Result<Option<(Photo, i64)>> {
        let mut tx = self.write().await?;
        let album: Option<i64> = sqlx::query_scalar("SELECT album_id FROM film WHERE id = $1")
            .bind(film_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(album) = album else {
            return Ok(None);
        };
        let t = now();
        let photo = sqlx::query(safe(format!(
            "INSERT INTO photo (name, legend, filename, media_type, filesize, width, height, \
             created, modified, film_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING {COLUMNS}"
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
        .try_map(Photo::from_any)
        .fetch_one(&mut *tx)
        .await?;
        before_commit().map_err(sqlx::Error::Io)?;
        tx.commit().await?;
        Ok(Some((photo, album)))
    }

    /// Changes a photo's legend; returns the photo and its album, or `None` when there is no
    /// such photo.
    pub(crate) async fn update_photo(&self, id: i64, legend: &str) -> Result<Option<(Photo, i64)>> {
        let mut tx = self.write().await?;
        let photo = sqlx::query(safe(format!(
            "UPDATE photo SET legend = $1, name = $2, modified = $3 WHERE id = $4 \
             RETURNING {COLUMNS}"
        )))
        .bind(legend)
        .bind(slug(legend))
        .bind(now())
        .bind(id)
        .try_map(Photo::from_any)
        .fetch_optional(&mut *tx)
        .await?;
        let changed = with_album(&mut tx, photo).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Deletes a photo; returns it and its album, or `None` when there was no such photo.
    pub(crate) async fn delete_photo(&self, id: i64) -> Result<Option<(Photo, i64)>> {
        let mut tx = self.write().await?;
        let photo = sqlx::query(safe(format!(
            "DELETE FROM photo WHERE id = $1 RETURNING {COLUMNS}"
        )))
        .bind(id)
        .try_map(Photo::from_any)
        .fetch_optional(&mut *tx)
        .await?;
        let gone = with_album(&mut tx, photo).await?;
        tx.commit().await?;
        Ok(gone)
    }
}
