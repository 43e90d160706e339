//! Building the application: the database opened and migrated, the demo content seeded on a
//! first run, the photo folder swept, and the tree assembled with its tools and settings.
//! `main` serves what [`build`] returns (the tests build it the same way), with the photo
//! folder swept again on the engine's `Upload sweep` monitor, and a PID file when asked.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use drupe::auth::{AuthBasic, AuthBearer, SessionAuth};
use drupe::cache::Caching;
use drupe::engine::{BackgroundTask, Monitor, PidFile};
use drupe::files::StaticDir;
use drupe::sessions::{RedisStore, Sessions};
use drupe::{App, AppBuilder, ResponseHeaders};

use crate::error::AppError;
use crate::images::PhotoStore;
use crate::model::{Db, redacted};
use crate::owner::{OWNER, Passwords, Tokens};
use crate::pages::{Site, templates};
use crate::seed::seed;
use crate::settings::Settings;
use crate::shared::Photoblog;

/// The security headers of every response.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The methods that change something.
const WRITES: &[&str] = &["POST", "PUT", "PATCH", "DELETE"];

/// Builds the photoblog: connects and migrates the database, seeds it on a first run, cleans
/// the photo folder, and assembles the tree with its tools.
pub async fn build(settings: &Settings) -> Result<App, AppError> {
    assemble(settings).await.map(|(app, _)| app)
}

/// [`build`], and what the periodic sweep of the photo folder needs.
async fn assemble(settings: &Settings) -> Result<(App, Sweeper), AppError> {
    // A mistake in the file is refused before anything is opened.
    let file = settings.config.as_ref().map(drupe::Config::from_file);
    let file = file
        .transpose()
        .map_err(|e| AppError::Start(e.to_string()))?;
    let cache = cache(settings)?;
    let sessions = sessions(settings)?;
    let blog = open(settings).await?;
    let spool = blog.store.spool_dir();
    let db = blog.db.clone();
    let sweeper = Sweeper::of(&blog, settings);
    let mut builder = configure(
        App::builder(Site::default()).state(blog),
        &db,
        (cache, sessions),
        settings,
        &spool,
    );
    if let Some(file) = file {
        builder = builder.config(file);
    }
    let app = builder
        .build()
        .map_err(|e| AppError::Start(e.to_string()))?;
    Ok((app, sweeper))
}

/// Builds the photoblog and serves it until a signal stops it; the process's exit status
/// (70 when it could not start). A PID file that names a live process refuses the start
/// before anything is opened.
pub async fn run(settings: Settings) -> ExitCode {
    drupe::engine::init_logging();
    if let Some(path) = &settings.pidfile
        && let Err(e) = PidFile::check(path)
    {
        tracing::error!("{e}");
        return ExitCode::from(70);
    }
    let (app, sweeper) = match assemble(&settings).await {
        Ok(built) => built,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(70);
        }
    };
    // `Server::serve` blocks until the server stops (its workers and signal handling run on
    // threads of their own): on a blocking thread, so that this runtime goes on driving the
    // database connections opened above, for the requests and for the sweep.
    let bind = settings.bind.clone();
    let mut server = drupe::engine::Server::new().mount("/", app);
    if let (Some(cert), Some(key)) = (&settings.tls_cert, &settings.tls_key) {
        server = server.tls(cert, key);
    }
    if let Some(path) = &settings.pidfile {
        server = server.pidfile(path);
    }
    if !settings.sweep_every.is_zero() {
        let runtime = tokio::runtime::Handle::current();
        let task = BackgroundTask::new("Upload sweep", settings.sweep_every, move || {
            runtime
                .block_on(sweeper.sweep())
                .map(|_| ())
                .map_err(Into::into)
        });
        server = server.plugin(move |engine| Monitor::new(task).attach(engine));
    }
    match actix_web::web::block(move || server.serve(&bind)).await {
        Ok(status) => status,
        Err(e) => {
            tracing::error!("the server thread failed: {e}");
            ExitCode::from(70)
        }
    }
}

/// The database, migrated, and the photo folder, seeded and swept.
async fn open(settings: &Settings) -> Result<Photoblog, AppError> {
    let db = Db::connect(&settings.database).await.map_err(|e| {
        // The URL may carry a password: the log gets it masked.
        let url = redacted(&settings.database);
        AppError::Start(format!("cannot open the database {url}: {e}"))
    })?;
    db.migrate()
        .await
        .map_err(|e| AppError::Start(format!("cannot migrate the database: {e}")))?;
    db.blog().await?;
    crate::owner::set_up(&db, settings).await?;
    let store = PhotoStore::new(&settings.data_dir, settings.max_pixels)
        .map_err(|e| AppError::Start(format!("cannot use {}: {e}", settings.data_dir.display())))?;
    let blog = Photoblog::new(db, store, settings.max_upload);
    if settings.seed {
        seed(&blog).await?;
    }
    Sweeper::of(&blog, settings).sweep().await?;
    Ok(blog)
}

/// What sweeping the photo folder needs: the database (which files rows refer to), the
/// folder, and how old a file must be before it is taken for a leftover.
#[derive(Clone)]
struct Sweeper {
    db: Db,
    store: PhotoStore,
    grace: std::time::Duration,
}

impl Sweeper {
    /// The sweep of `blog`'s folder, sparing files younger than `--sweep-grace`.
    fn of(blog: &Photoblog, settings: &Settings) -> Self {
        Self {
            db: blog.db.clone(),
            store: blog.store.clone(),
            grace: settings.sweep_grace,
        }
    }

    /// Removes the files of uploads a crash interrupted: temporary ones, and ones no row
    /// refers to, once they are older than an upload in flight on another instance could be.
    /// Returns how many.
    async fn sweep(&self) -> Result<usize, AppError> {
        let in_use: HashSet<String> = self.db.filenames().await?.into_iter().collect();
        let swept = self.store.sweep(&in_use, self.grace);
        if swept > 0 {
            tracing::info!(
                "removed {swept} orphaned or partial photo files older than {} s",
                self.grace.as_secs()
            );
        }
        Ok(swept)
    }
}

/// The output cache the settings name (`off` builds one that no path switches on).
fn cache(settings: &Settings) -> Result<Caching, AppError> {
    match settings.cache.as_str() {
        "memory" | "off" => Ok(Caching::memory(50_000, settings.cache_bytes)),
        url if url.starts_with("redis://") => Ok(Caching::redis(url)),
        other => Err(AppError::Start(format!(
            "unknown cache `{other}`: use memory, redis://… or off"
        ))),
    }
}

/// The session store the settings name. Its keys start with `photoblog:sess:`, the cache's
/// with `drupe:cache:`: both may live in one Redis.
fn sessions(settings: &Settings) -> Result<Sessions, AppError> {
    match settings.sessions.as_str() {
        "memory" => Ok(Sessions::memory()),
        url if url.starts_with("redis://") => Ok(Sessions::with_store(Arc::new(
            RedisStore::new(url).with_prefix("photoblog:sess:"),
        ))),
        other => Err(AppError::Start(format!(
            "unknown session store `{other}`: use memory or redis://…"
        ))),
    }
}

/// The tools and the settings of the tree; uploads too large for memory go to `spool`.
fn configure(
    builder: AppBuilder,
    db: &Db,
    (cache, sessions): (Caching, Sessions),
    settings: &Settings,
    spool: &Path,
) -> AppBuilder {
    let max_upload = usize::try_from(settings.max_upload).unwrap_or(usize::MAX);
    let spool = spool.to_string_lossy().into_owned();
    let mut builder = builder
        .tool(cache)
        .tool(sessions)
        .templates(templates())
        .set_global("openapi.title", "drupe photoblog")
        .set_global("server.access_log", settings.access_log)
        .set("/", "tools.caching.on", settings.cache != "off")
        .set("/", "tools.coverage.on", settings.coverage)
        .tool_at(
            "/",
            ResponseHeaders::new()
                .header("x-content-type-options", "nosniff")
                .header("content-security-policy", CONTENT_SECURITY_POLICY)
                .header("referrer-policy", "same-origin"),
        )
        // The stylesheet and the icon.
        .tool_at(
            "/static",
            StaticDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/static"))
                .cache_control("public, max-age=300"),
        )
        // Reads are public; every write needs the owner. The pages' forms: signed in at
        // `/login` (the form pages themselves take `SignedIn`), out with `POST /logout`.
        .set("/", "tools.sessions.on", true)
        .tool_at(
            "/",
            SessionAuth::new(Passwords(db.clone()))
                .methods(WRITES)
                .allow(&[OWNER])
                .login_template("login.html"),
        )
        .set("/", "tools.session_auth.realm", "photoblog")
        // Every form and every write is checked for CSRF: the pages' forms carry the token;
        // a REST client sending Basic or Bearer credentials needs none, but a browser's
        // cross-site request is refused by its `Origin`.
        .set("/", "tools.csrf.on", true)
        // Nothing there needs a session.
        .set("/static", "tools.sessions.on", false)
        .set("/static", "tools.session_auth.on", false)
        .set("/photos", "tools.sessions.on", false)
        .set("/photos", "tools.session_auth.on", false)
        // The REST services: by password (Basic) or by a token the owner asked for, never by
        // the pages' session.
        .set("/services", "tools.sessions.on", false)
        .set("/services", "tools.session_auth.on", false)
        .tool_at(
            "/services/rest",
            AuthBasic::new(Passwords(db.clone()))
                .realm("photoblog")
                .methods(WRITES)
                .allow(&[OWNER]),
        )
        .tool_at(
            "/services/rest",
            AuthBearer::new(Tokens(db.clone()))
                .realm("photoblog")
                .methods(WRITES)
                .allow(&[OWNER]),
        )
        // Ranges and the photo files are not kept by the output cache.
        .set("/services/rest/albums", "tools.caching.on", false)
        .set("/photos", "tools.caching.on", false)
        .body_limit("/services/rest/photo", max_upload)
        .body_limit("/album", max_upload)
        .set(
            "/services/rest/photo",
            "request.body.spool_dir",
            spool.clone(),
        )
        .set("/album", "request.body.spool_dir", spool);
    if let Some(n) = settings.workers {
        builder = builder.set_global("server.workers", n as i64);
    }
    if !settings.trusted_proxies.is_empty() {
        let proxies = settings.trusted_proxies.iter().cloned();
        let proxies = proxies.map(toml::Value::String).collect();
        builder = builder.set_global("server.trusted_proxies", toml::Value::Array(proxies));
    }
    if let Some(f) = &settings.coverage_file {
        builder = builder.set_global("coverage.file", f.to_string_lossy().into_owned());
    }
    builder
}
