//! What every handler shares, [`Photoblog`] (registered with `AppBuilder::state`, taken as
//! `State<Photoblog>`): the database, the photo store, and the operations that need both.

use std::sync::Arc;

use actix_web::web;
use bytes::Bytes;
use drupe::Upload;
use drupe::cache::Invalidate;
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::images::PhotoStore;
use crate::model::{Db, Photo};
use crate::services::invalidate_album;

/// The photoblog's state: its database, its photos, its upload limit.
pub(crate) struct Photoblog {
    pub(crate) db: Db,
    pub(crate) store: PhotoStore,
    /// The largest upload, in bytes.
    pub(crate) max_upload: u64,
    /// One permit per core: how many uploads are decoded at once.
    decoders: Arc<Semaphore>,
}

/// Albums on a page of the home page.
pub(crate) const PER_PAGE: i64 = 6;

/// The home page's pages for `albums` albums (one, empty, for none).
fn pages_of(albums: i64) -> i64 {
    ((albums + PER_PAGE - 1) / PER_PAGE).max(1)
}

/// Runs blocking file work (a read, a decode) on a blocking thread.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    web::block(f)
        .await
        .map_err(|e| AppError::Files(std::io::Error::other(e)))?
}

impl Photoblog {
    pub(crate) fn new(db: Db, store: PhotoStore, max_upload: u64) -> Self {
        // Unknown on some platforms: then one decode at a time, the safe side.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            db,
            store,
            max_upload,
            decoders: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Album `id`, or the 404 that names it.
    pub(crate) async fn album(&self, id: i64) -> Result<crate::model::Album, AppError> {
        self.db.album(id).await?.ok_or(AppError::NoAlbum(id))
    }

    /// How many pages the home page has.
    pub(crate) async fn pages(&self) -> Result<i64, AppError> {
        let albums = self.db.album_count().await?;
        Ok(pages_of(albums))
    }

    /// The album a film belongs to; `None` when there is no such film.
    pub(crate) async fn album_of_film(&self, film_id: i64) -> Result<Option<i64>, AppError> {
        let film = self.db.film(film_id).await?;
        Ok(film.map(|f| f.album_id))
    }

    /// The bytes of a stored photo.
    pub(crate) async fn read_original(&self, filename: &str) -> Result<Bytes, AppError> {
        let path = self
            .store
            .original(filename)
            .ok_or_else(|| std::io::Error::other(format!("bad stored name {filename}")))?;
        blocking(move || Ok(Bytes::from(std::fs::read(path)?))).await
    }

    /// Deletes an album with its films and photos, forgets the files no other row uses and
    /// invalidates what showed the album; `false` when there was no such album.
    pub(crate) async fn delete_album(
        &self,
        id: i64,
        invalidate: &Invalidate,
    ) -> Result<bool, AppError> {
        Ok(matches!(
            self.delete_album_from(id, None, invalidate).await?,
            crate::model::Deleted::Done(_)
        ))
    }

    /// Deletes an album if it is still at one of the versions `from` (any: `None`), its
    /// unused files with it.
    pub(crate) async fn delete_album_from(
        &self,
        id: i64,
        from: Option<&[i64]>,
        invalidate: &Invalidate,
    ) -> Result<crate::model::Deleted, AppError> {
        let deleted = self.db.delete_album_from(id, from).await?;
        if let crate::model::Deleted::Done(files) = &deleted {
            self.forget_files(files.clone()).await;
            invalidate_album(invalidate, id);
        }
        Ok(deleted)
    }

    /// Removes files no photo refers to any more. Called after the write that released them:
    /// when the database cannot tell whether a file is still in use, the file is kept (and
    /// logged) rather than the request failed; a later start-up's sweep removes it if no
    /// photo does.
    pub(crate) async fn forget_files(&self, files: Vec<String>) {
        for f in files {
            match self.db.file_in_use(&f).await {
                Ok(true) => {}
                Ok(false) => self.store.remove(&f),
                Err(e) => tracing::warn!("kept {f}: cannot tell whether a photo uses it ({e})"),
            }
        }
    }

    /// Checks, stores and records an uploaded photo: the film must exist, the file must be an
    /// image; on any failure no file and no row remain. Returns the photo and its album.
    pub(crate) async fn add_photo(
        &self,
        film_id: i64,
        legend: &str,
        file: Upload,
    ) -> Result<(Photo, i64), AppError> {
        // The header says how many pixels the picture has: one of too many is refused here,
        // before it waits for a decoder or anything is allocated for its pixels. (Read on a
        // blocking thread too: JPEG's header reader copies the whole file first.)
        let (store, upload) = (self.store.clone(), file.clone());
        let header = blocking(move || store.read_header(&upload)).await?;
        // A decode takes a core and up to 8 bytes a pixel: one at a time per core. Other
        // uploads wait for a permit (their clients wait; they are not refused).
        let permit = self.decoders.clone().acquire_owned().await;
        let permit = permit.map_err(|e| AppError::Files(std::io::Error::other(e)))?;
        let store = self.store.clone();
        let prepared = blocking(move || {
            // Held until the decode ends, even when the client has gone away meanwhile.
            let _permit = permit;
            store.prepare(file, header)
        })
        .await?;
        let recorded = self
            .db
            .create_photo(film_id, legend, &prepared.file, || prepared.place())
            .await;
        match recorded {
            Ok(Some(photo_and_album)) => Ok(photo_and_album),
            Ok(None) => {
                prepared.abort();
                Err(AppError::NoFilm(film_id))
            }
            Err(e) => {
                prepared.abort();
                // The rename may have happened before a failed commit.
                self.forget_files(vec![prepared.file.filename.clone()])
                    .await;
                Err(e.into())
            }
        }
    }
}
