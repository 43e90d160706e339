//! Films: an album's rolls of photos.

use super::{Arg, Columns, Db, FromColumns, Result, now, safe, slug};

/// A film of an album.
#[derive(Debug, Clone)]
pub(crate) struct Film {
    pub(crate) id: i64,
    /// The title's slug (kept from CherryPy's photoblog schema; no page shows it).
    #[allow(dead_code)]
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) album_id: i64,
}

impl FromColumns for Film {
    fn from_columns(row: &impl Columns) -> Result<Self> {
        Ok(Self {
            id: row.int("id")?,
            name: row.text("name")?,
            title: row.text("title")?,
            created: row.int("created")?,
            modified: row.int("modified")?,
            album_id: row.int("album_id")?,
        })
    }
}

const COLUMNS: &str = "id, name, title, created, modified, album_id";

impl Db {
    /// The films (of one album), in creation order.
    pub(crate) async fn films(&self, album_id: Option<i64>) -> Result<Vec<Film>> {
        match album_id {
            Some(a) => {
                self.all(
                    format!("SELECT {COLUMNS} FROM film WHERE album_id = $1 ORDER BY created, id"),
                    &[Arg::Int(a)],
                )
                .await
            }
            None => {
                self.all(
                    format!("SELECT {COLUMNS} FROM film ORDER BY created, id"),
                    &[],
                )
                .await
            }
        }
    }

    pub(crate) async fn film(&self, id: i64) -> Result<Option<Film>> {
        self.optional(
            format!("SELECT {COLUMNS} FROM film WHERE id = $1"),
            &[Arg::Int(id)],
        )
        .await
    }

    /// Creates a film; `None` when the album does not exist.
    pub(crate) async fn create_film(&self, album_id: i64, title: &str) -> Result<Option<Film>> {
        let mut tx = self.write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM album WHERE id = $1")
            .bind(album_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let t = now();
        let film = sqlx::query(safe(format!(
            "INSERT INTO film (name, title, created, modified, album_id) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        )))
        .bind(slug(title))
        .bind(title)
        .bind(t)
        .bind(t)
        .bind(album_id)
        .try_map(Film::from_any)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(film))
    }

    /// Renames a film; `None` when there is no such film.
    pub(crate) async fn update_film(&self, id: i64, title: &str) -> Result<Option<Film>> {
        let mut tx = self.write().await?;
        let film = sqlx::query(safe(format!(
            "UPDATE film SET title = $1, name = $2, modified = $3 WHERE id = $4 \
             RETURNING {COLUMNS}"
        )))
        .bind(title)
        .bind(slug(title))
        .bind(now())
        .bind(id)
        .try_map(Film::from_any)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(film)
    }

    /// Deletes a film and its photos; returns their files, or `None` when there was no film.
    pub(crate) async fn delete_film(&self, id: i64) -> Result<Option<(Film, Vec<String>)>> {
        let mut tx = self.write().await?;
        let film = sqlx::query(safe(format!("SELECT {COLUMNS} FROM film WHERE id = $1")))
            .bind(id)
            .try_map(Film::from_any)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(film) = film else {
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
}
