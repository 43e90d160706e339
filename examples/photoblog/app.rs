//! The photoblog application: its parts, its state, its configuration. `main.rs` serves it;
//! the tests build it the same way (`build`).

#[path = "album_pages.rs"]
pub(crate) mod album_pages;
#[path = "csrf.rs"]
pub(crate) mod csrf;
#[path = "failures.rs"]
pub(crate) mod failures;
#[path = "images.rs"]
pub(crate) mod images;
#[path = "model.rs"]
pub(crate) mod model;
#[path = "pages.rs"]
pub(crate) mod pages;
#[path = "services.rs"]
pub(crate) mod services;
#[path = "views.rs"]
pub(crate) mod views;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use bytes::Bytes;
use drupe::cache::Caching;
use drupe::{App, HttpError, ResponseHeaders, Templates, Upload};
use tokio::sync::Semaphore;

use failures::DbError;
use images::PhotoStore;
use model::{Db, Photo};

/// Where the photoblog keeps things and how it is reached.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `sqlite:data/photoblog.db`, `sqlite::memory:`, `postgres://…`
    pub(crate) database: String,
    /// `memory`, `redis://…` for a cache shared by several instances, or `off`.
    pub(crate) cache: String,
    /// The in-process cache's bound, in bytes.
    pub(crate) cache_bytes: u64,
    /// Uploaded photos.
    pub(crate) data_dir: PathBuf,
    /// Whether a first run seeds demo content.
    pub(crate) seed: bool,
    /// The upload limit, in bytes.
    pub(crate) max_upload: usize,
    /// The largest picture accepted, in pixels (width × height); a decoded pixel takes up to
    /// 8 bytes of memory.
    pub(crate) max_pixels: u64,
    /// Whether the coverage recorder counts requests (its report is at `/_coverage/`).
    pub(crate) coverage: bool,
    /// Where the recorder writes its data on stop, if anywhere.
    pub(crate) coverage_file: Option<PathBuf>,
    /// Server workers; `None`: one per CPU.
    pub(crate) workers: Option<usize>,
    /// Whether each request is logged (CherryPy's access line, on stderr).
    pub(crate) access_log: bool,
    /// How old a leftover photo file (temporary, or no photo's) must be for the start-up sweep
    /// to remove it: a younger one may be an upload in flight on another instance sharing the
    /// folder.
    pub(crate) sweep_grace: Duration,
    /// Proxies whose `Forwarded`/`X-Forwarded-For` headers are trusted: IP addresses or CIDR
    /// blocks (the framework's `server.trusted_proxies`).
    pub(crate) trusted_proxies: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: "sqlite:data/photoblog.db".into(),
            cache: "memory".into(),
            cache_bytes: 64 << 20,
            data_dir: "data/photos".into(),
            seed: true,
            max_upload: 10 << 20,
            max_pixels: 40_000_000,
            coverage: true,
            coverage_file: None,
            workers: None,
            access_log: true,
            sweep_grace: Duration::from_secs(3600),
            trusted_proxies: Vec::new(),
        }
    }
}

/// What every part of the photoblog shares.
pub(crate) struct Shared {
    pub(crate) db: Db,
    pub(crate) store: PhotoStore,
    pub(crate) max_upload: usize,
    /// One permit per core: how many uploads are decoded at once.
    decoders: Arc<Semaphore>,
}

/// Albums on a page of the home page.
pub(crate) const PER_PAGE: i64 = 6;

/// The home page's pages for `albums` albums (one, empty, for none).
fn pages_of(albums: i64) -> i64 {
    ((albums + PER_PAGE - 1) / PER_PAGE).max(1)
}

impl Shared {
    /// How many pages the home page has.
    pub(crate) async fn pages(&self) -> Result<i64, DbError> {
        let albums = self.db.album_count().await?;
        Ok(pages_of(albums))
    }

    /// How many home pages to drop from the cache after a write: the page count, or every page
    /// the cache may hold when the database cannot count right after the write. The write is
    /// done: failing its request now would make the client send it again.
    pub(crate) async fn pages_to_invalidate(&self) -> i64 {
        match self.db.album_count().await {
            Ok(albums) => pages_of(albums),
            Err(e) => {
                tracing::warn!(
                    "cannot count the albums after a write ({e}): dropping every cached home page"
                );
                services::MAX_CACHED_PAGES
            }
        }
    }

    /// The album a film belongs to; `None` when there is no such film.
    pub(crate) async fn album_of_film(&self, film_id: i64) -> Result<Option<i64>, DbError> {
        let film = self.db.film(film_id).await?;
        Ok(film.map(|f| f.album_id))
    }

    /// The bytes of a stored photo.
    pub(crate) async fn read_original(&self, filename: &str) -> Result<Bytes, HttpError> {
        let path = self
            .store
            .original(filename)
            .ok_or_else(|| HttpError::internal(format!("bad stored name {filename}")))?;
        web::block(move || std::fs::read(path))
            .await
            .map_err(HttpError::internal)?
            .map(Bytes::from)
            .map_err(|e| HttpError::internal(format!("reading {filename}: {e}")))
    }

    /// Deletes an album with its films and photos, forgets the files no other row uses and
    /// invalidates what showed the album; `false` when there was no such album.
    pub(crate) async fn delete_album(
        &self,
        id: i64,
        invalidate: &drupe::cache::Invalidate,
    ) -> Result<bool, DbError> {
        let Some(files) = self.db.delete_album(id).await? else {
            return Ok(false);
        };
        self.forget_files(files).await;
        services::invalidate_album(invalidate, id, self.pages_to_invalidate().await + 1);
        Ok(true)
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
    ) -> Result<(Photo, i64), HttpError> {
        // The header says how many pixels the picture has: one of too many is refused here,
        // before it waits for a decoder or anything is allocated for its pixels. (Read on a
        // blocking thread too: JPEG's header reader copies the whole file first.)
        let (store, bytes) = (self.store.clone(), file.bytes().clone());
        let header = web::block(move || store.read_header(&bytes))
            .await
            .map_err(HttpError::internal)??;
        // A decode takes a core and up to 8 bytes a pixel: one at a time per core. Other
        // uploads wait for a permit (their clients wait; they are not refused).
        let permit = self
            .decoders
            .clone()
            .acquire_owned()
            .await
            .map_err(HttpError::internal)?;
        let (store, bytes) = (self.store.clone(), file.bytes().clone());
        let prepared = web::block(move || {
            // Held until the decode ends, even when the client has gone away meanwhile.
            let _permit = permit;
            store.prepare(&bytes, header)
        })
        .await
        .map_err(HttpError::internal)??;
        let recorded = self
            .db
            .create_photo(film_id, legend, &prepared.file, || prepared.place())
            .await;
        match recorded {
            Ok(Some(photo_and_album)) => Ok(photo_and_album),
            Ok(None) => {
                prepared.abort();
                Err(HttpError::not_found(format!("No film {film_id}.")))
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

/// The demo content of a first run: three albums of two films of three photos.
async fn seed(shared: &Shared) -> Result<(), String> {
    if shared.db.album_count().await.map_err(|e| e.to_string())? > 0 {
        return Ok(());
    }
    let albums = [
        (
            "Holidays in Brittany",
            "ada",
            "Granite coasts, lighthouses and crêpes.",
            "Ten days along the Pink Granite Coast.\nWe walked from Perros-Guirec to Ploumanac'h twice.",
        ),
        (
            "Autumn in the park",
            "grace",
            "The maples turning, one week at a time.",
            "Every Sunday morning in October, the same three trees.",
        ),
        (
            "City lights",
            "linus",
            "Night walks with a small camera.",
            "Long exposures from bridges and rooftops.",
        ),
    ];
    let mut n = 0;
    for (title, author, description, content) in albums {
        let fields = model::AlbumFields {
            title: title.into(),
            author: author.into(),
            description: description.into(),
            content: content.into(),
        };
        let album = shared
            .db
            .create_album(&fields, &["First film", "Second film"])
            .await
            .map_err(|e| e.to_string())?;
        for film in shared
            .db
            .films(Some(album.id))
            .await
            .map_err(|e| e.to_string())?
        {
            for i in 0..3 {
                n += 1;
                let png = images::demo_png(n).map_err(|e| e.to_string())?;
                let upload =
                    Upload::new(Some("demo.png".into()), Some(mime::IMAGE_PNG), png.into());
                shared
                    .add_photo(
                        film.id,
                        &format!("{title}, {} #{}", film.title.to_lowercase(), i + 1),
                        upload,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    tracing::info!("seeded the demo content: 3 albums, 6 films, {n} photos");
    Ok(())
}

/// Builds the photoblog: connects and migrates the database, seeds it on a first run, cleans
/// the photo folder, and assembles the tree with its tools.
pub(crate) async fn build(settings: &Settings) -> Result<App, String> {
    let db = Db::connect(&settings.database).await.map_err(|e| {
        // The URL may carry a password: the log gets it masked.
        let url = failures::redacted(&settings.database);
        format!("cannot open the database {url}: {e}")
    })?;
    db.migrate()
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?;
    db.blog().await.map_err(|e| e.to_string())?;
    let store = PhotoStore::new(&settings.data_dir, settings.max_pixels)
        .map_err(|e| format!("cannot use {}: {e}", settings.data_dir.display()))?;
    // Unknown on some platforms: then one decode at a time, the safe side.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shared = Arc::new(Shared {
        db,
        store,
        max_upload: settings.max_upload,
        decoders: Arc::new(Semaphore::new(cores)),
    });
    if settings.seed {
        seed(&shared).await?;
    }
    // Files of uploads a crash interrupted: temporary ones, and ones no row refers to, once
    // they are older than an upload in flight on another instance could be.
    let in_use: HashSet<String> = shared
        .db
        .filenames()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    let swept = shared.store.sweep(&in_use, settings.sweep_grace);
    if swept > 0 {
        tracing::info!(
            "removed {swept} orphaned or partial photo files older than {} s",
            settings.sweep_grace.as_secs()
        );
    }
    let cache = if settings.cache == "memory" || settings.cache == "off" {
        Caching::memory(50_000, settings.cache_bytes)
    } else if settings.cache.starts_with("redis://") {
        Caching::redis(&settings.cache)
    } else {
        return Err(format!(
            "unknown cache `{}`: use memory, redis://… or off",
            settings.cache
        ));
    };
    let root = pages::site(shared.clone());
    let templates_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut builder = App::builder(root)
        .tool(cache)
        .templates(Templates::from_dir(templates_dir))
        .set_global("openapi.title", "drupe photoblog")
        .set_global("server.access_log", settings.access_log)
        .set("/", "tools.caching.on", settings.cache != "off")
        .set("/", "tools.coverage.on", settings.coverage)
        .tool_at(
            "/",
            ResponseHeaders::new()
                .header("x-content-type-options", "nosniff")
                .header(
                    "content-security-policy",
                    "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; \
                     base-uri 'none'; frame-ancestors 'none'",
                )
                .header("referrer-policy", "same-origin"),
        )
        // Ranges and the photo files are not kept by the output cache.
        .set("/services/rest/albums", "tools.caching.on", false)
        .set("/photos", "tools.caching.on", false)
        .body_limit("/services/rest/photo", settings.max_upload)
        .body_limit("/album", settings.max_upload);
    if let Some(n) = settings.workers {
        builder = builder.set_global("server.workers", n as i64);
    }
    if !settings.trusted_proxies.is_empty() {
        let proxies = settings
            .trusted_proxies
            .iter()
            .cloned()
            .map(toml::Value::String);
        builder = builder.set_global(
            "server.trusted_proxies",
            toml::Value::Array(proxies.collect()),
        );
    }
    if let Some(f) = &settings.coverage_file {
        builder = builder.set_global("coverage.file", f.to_string_lossy().into_owned());
    }
    builder.build().map_err(|e| e.to_string())
}
