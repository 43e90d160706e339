//! Albums: the home page lists them, each holds films.

use super::{Arg, Columns, Db, FromColumns, Result, now, safe, slug};

/// An album.
#[derive(Debug, Clone)]
pub(crate) struct Album {
    pub(crate) id: i64,
    pub(crate) uuid: String,
    /// The title's slug (kept from CherryPy's photoblog schema; no page shows it).
    #[allow(dead_code)]
    pub(crate) name: String,
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) description: String,
    pub(crate) content: String,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    /// Raised by every change: the album's ETag.
    pub(crate) version: i64,
    /// The blog it belongs to (kept from CherryPy's photoblog schema; there is one blog).
    #[allow(dead_code)]
    pub(crate) blog_id: i64,
}

impl FromColumns for Album {
    fn from_columns(row: &impl Columns) -> Result<Self> {
        Ok(Self {
            id: row.int("id")?,
            uuid: row.text("uuid")?,
            name: row.text("name")?,
            title: row.text("title")?,
            author: row.text("author")?,
            description: row.text("description")?,
            content: row.text("content")?,
            created: row.int("created")?,
            modified: row.int("modified")?,
            version: row.int("version")?,
            blog_id: row.int("blog_id")?,
        })
    }
}

/// What creating or replacing an album takes.
#[derive(Debug, Clone, Default)]
pub(crate) struct AlbumFields {
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) description: String,
    pub(crate) content: String,
}

const COLUMNS: &str =
    "id, uuid, name, title, author, description, content, created, modified, version, blog_id";

/// What a conditional deletion of an album came to.
#[derive(Debug)]
pub(crate) enum Deleted {
    /// Deleted: the photo files that were its.
    Done(Vec<String>),
    /// No such album.
    Missing,
    /// The album is not at the version the deletion was asked from: nothing was deleted.
    Stale,
}

/// What a conditional change of an album came to.
#[derive(Debug)]
pub(crate) enum Changed {
    /// Changed: the album now.
    Done(Album),
    /// No such album.
    Missing,
    /// The album is not at the version the change was made from: nothing changed.
    Stale,
}

/// The films a new album starts with.
pub(crate) const FIRST_FILMS: [&str; 2] = ["First film", "Second film"];

impl Db {
    pub(crate) async fn album_count(&self) -> Result<i64> {
        self.one("SELECT COUNT(*) AS n FROM album".into(), &[])
            .await
    }

    /// Albums in creation order, `start` inclusive, `end` exclusive.
    pub(crate) async fn albums_range(&self, start: i64, end: i64) -> Result<Vec<Album>> {
        self.all(
            format!("SELECT {COLUMNS} FROM album ORDER BY created, id LIMIT $1 OFFSET $2"),
            &[Arg::Int((end - start).max(0)), Arg::Int(start)],
        )
        .await
    }

    /// Albums newest first, for the home page.
    pub(crate) async fn albums_newest(&self, offset: i64, limit: i64) -> Result<Vec<Album>> {
        self.all(
            format!(
                "SELECT {COLUMNS} FROM album ORDER BY created DESC, id DESC LIMIT $1 OFFSET $2"
            ),
            &[Arg::Int(limit), Arg::Int(offset)],
        )
        .await
    }

    pub(crate) async fn all_albums(&self) -> Result<Vec<Album>> {
        self.albums_range(0, i64::MAX).await
    }

    pub(crate) async fn album(&self, id: i64) -> Result<Option<Album>> {
        self.optional(
            format!("SELECT {COLUMNS} FROM album WHERE id = $1"),
            &[Arg::Int(id)],
        )
        .await
    }

    /// Creates an album with its [`FIRST_FILMS`] in one transaction.
    pub(crate) async fn create_album(&self, f: &AlbumFields) -> Result<Album> {
        let blog = self.blog().await?;
        let mut tx = self.write().await?;
        let t = now();
        let album = sqlx::query(safe(format!(
            "INSERT INTO album (uuid, name, title, author, description, content, created, \
             modified, blog_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
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
        .try_map(Album::from_any)
        .fetch_one(&mut *tx)
        .await?;
        for title in FIRST_FILMS {
            sqlx::query(
                "INSERT INTO film (name, title, created, modified, album_id) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(slug(title))
            .bind(title)
            .bind(t)
            .bind(t)
            .bind(album.id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(album)
    }

    /// Replaces an album's fields; `None` when there is no such album (nothing is created).
    pub(crate) async fn update_album(&self, id: i64, f: &AlbumFields) -> Result<Option<Album>> {
        Ok(match self.update_album_from(id, f, None).await? {
            Changed::Done(a) => Some(a),
            Changed::Missing | Changed::Stale => None,
        })
    }

    /// Replaces an album's fields if it is still at one of the versions `from` (any version:
    /// `None`; none: `Some(&[])`), in one statement, and raises its version.
    pub(crate) async fn update_album_from(
        &self,
        id: i64,
        f: &AlbumFields,
        from: Option<&[i64]>,
    ) -> Result<Changed> {
        if from.is_some_and(<[i64]>::is_empty) {
            return Ok(match self.album_version(id).await? {
                Some(_) => Changed::Stale,
                None => Changed::Missing,
            });
        }
        let mut tx = self.write().await?;
        // `version IN ($8, $9, ...)`: placeholders only, the values bound.
        let at_version = match from {
            Some(vs) => {
                let marks: Vec<String> = (0..vs.len()).map(|i| format!("${}", 8 + i)).collect();
                format!(" AND version IN ({})", marks.join(", "))
            }
            None => String::new(),
        };
        let mut q = sqlx::query(safe(format!(
            "UPDATE album SET title = $1, name = $2, author = $3, description = $4, content = $5, \
             modified = $6, version = version + 1 WHERE id = $7{at_version} RETURNING {COLUMNS}"
        )))
        .bind(&f.title)
        .bind(slug(&f.title))
        .bind(&f.author)
        .bind(&f.description)
        .bind(&f.content)
        .bind(now())
        .bind(id);
        for v in from.unwrap_or(&[]) {
            q = q.bind(*v);
        }
        let album = q.try_map(Album::from_any).fetch_optional(&mut *tx).await?;
        tx.commit().await?;
        Ok(match album {
            Some(a) => Changed::Done(a),
            None if from.is_some() && self.album_version(id).await?.is_some() => Changed::Stale,
            None => Changed::Missing,
        })
    }

    /// An album's version and when it last changed, without the rest of it.
    pub(crate) async fn album_version(&self, id: i64) -> Result<Option<(i64, i64)>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT version, modified FROM album WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row)
    }

    /// Deletes an album (its films and photos go with it; the photo files that were its are
    /// returned) if it is still at one of the versions `from` (any version: `None`), in one
    /// statement: a change that landed since the client read it is not deleted with it.
    pub(crate) async fn delete_album_from(&self, id: i64, from: Option<&[i64]>) -> Result<Deleted> {
        if from.is_some_and(<[i64]>::is_empty) {
            return Ok(match self.album_version(id).await? {
                Some(_) => Deleted::Stale,
                None => Deleted::Missing,
            });
        }
        let mut tx = self.write().await?;
        let files: Vec<String> = sqlx::query_scalar(
            "SELECT p.filename FROM photo p JOIN film f ON p.film_id = f.id WHERE f.album_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let at_version = match from {
            Some(vs) => {
                let marks: Vec<String> = (0..vs.len()).map(|i| format!("${}", 2 + i)).collect();
                format!(" AND version IN ({})", marks.join(", "))
            }
            None => String::new(),
        };
        let mut q =
            sqlx::query(safe(format!("DELETE FROM album WHERE id = $1{at_version}"))).bind(id);
        for v in from.unwrap_or(&[]) {
            q = q.bind(*v);
        }
        let gone = q.execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(if gone > 0 {
            Deleted::Done(files)
        } else if from.is_some() && self.album_version(id).await?.is_some() {
            Deleted::Stale
        } else {
            Deleted::Missing
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two writers read version 1 and both pass the ETag tool's check before either writes:
    /// the UPDATE compares the version itself, so the second finds version 2 and changes
    /// nothing.
    #[tokio::test]
    async fn of_two_writers_of_one_version_only_the_first_lands() {
        let dir = crate::testing::temp_dir("album-versions");
        let db = Db::connect(&format!("sqlite:{}", dir.join("v.db").display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let fields = |t: &str| AlbumFields {
            title: t.into(),
            author: "a".into(),
            ..Default::default()
        };
        let a = db.create_album(&fields("Start")).await.unwrap();
        assert_eq!(a.version, 1);
        let first = db
            .update_album_from(a.id, &fields("First"), Some(&[1]))
            .await
            .unwrap();
        assert!(matches!(first, Changed::Done(ref x) if x.version == 2 && x.title == "First"));
        let second = db
            .update_album_from(a.id, &fields("Second"), Some(&[1]))
            .await
            .unwrap();
        assert!(matches!(second, Changed::Stale), "{second:?}");
        // A list that names the current version lands; one that names none does not.
        let listed = db
            .update_album_from(a.id, &fields("Listed"), Some(&[1, 2]))
            .await
            .unwrap();
        assert!(matches!(listed, Changed::Done(ref x) if x.version == 3));
        let none = db
            .update_album_from(a.id, &fields("None"), Some(&[]))
            .await
            .unwrap();
        assert!(matches!(none, Changed::Stale));
        let missing = db
            .update_album_from(a.id + 100, &fields("x"), Some(&[1]))
            .await
            .unwrap();
        assert!(matches!(missing, Changed::Missing));
        assert_eq!(db.album_version(a.id).await.unwrap().map(|v| v.0), Some(3));
        // A deletion asked from version 2 deletes nothing of version 3; from 3 it does.
        let stale = db.delete_album_from(a.id, Some(&[2])).await.unwrap();
        assert!(matches!(stale, Deleted::Stale), "{stale:?}");
        let done = db.delete_album_from(a.id, Some(&[3])).await.unwrap();
        assert!(matches!(done, Deleted::Done(_)), "{done:?}");
        assert_eq!(db.album_version(a.id).await.unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
