//! Fixtures for tests of the photoblog, its own (`tests/`) and those of the framework that
//! serve it: a fresh folder and PostgreSQL database for each test, the photoblog built on
//! them, the owner signed in through the login form, and pictures. They panic on failure, as
//! a test wants: not for serving.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use drupe::App;
use drupe::testing::{TestClient, TestResponse};

use crate::{Settings, build};

static N: AtomicUsize = AtomicUsize::new(0);

/// The owner's password in the tests' photoblogs.
pub const OWNER_PASSWORD: &str = "owner-password";

/// The `Authorization` header of the owner (`admin`) in the tests' photoblogs.
pub fn owner_auth() -> String {
    // base64("admin:owner-password")
    "Basic YWRtaW46b3duZXItcGFzc3dvcmQ=".to_owned()
}

/// A fresh folder for one test.
pub fn temp_dir(what: &str) -> PathBuf {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("photoblog-{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// PostgreSQL for the tests: `DRUPE_TEST_POSTGRES` (the server's URL, `.ci/run` sets it),
/// one fresh database per call.
pub async fn postgres_db() -> String {
    use sqlx::Connection;
    let base = std::env::var("DRUPE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432".to_owned());
    let mut admin = sqlx::postgres::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {base} ({e}): `bash .ci/run` installs and starts it"
            )
        });
    sweep_once(&mut admin).await;
    let name = format!(
        "photoblog_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    format!("{base}/{name}")
}

/// Drops, once per test process, the databases of test processes that are gone: each test
/// makes one (`photoblog_<pid>_<n>`) and a test cannot drop its own on the way out (no async
/// `Drop`), so without this they pile up run after run, and a cluster that crashed replays
/// and fsyncs all of them before it accepts a connection.
async fn sweep_once(admin: &mut sqlx::postgres::PgConnection) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT.get_or_init(|| drop_stale_databases(admin)).await;
}

/// Drops the test databases (`photoblog_<pid>_<n>`) whose process is gone; those of this
/// process and of live ones stay.
pub async fn drop_stale_databases(admin: &mut sqlx::postgres::PgConnection) {
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'photoblog\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let Some(pid) = owner_pid(&name) else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        // WITH (FORCE): a test killed mid-run may have left a connection open.
        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *admin)
            .await;
    }
}

/// The pid in a test database's name, `photoblog_<pid>_<n>`; `None` for any other name.
fn owner_pid(name: &str) -> Option<u32> {
    let (pid, n) = name.strip_prefix("photoblog_")?.split_once('_')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Whether a process of that pid runs. Where the answer is not cheap to know (not Linux),
/// every process counts as alive: nothing is dropped that might be in use.
fn process_alive(pid: u32) -> bool {
    !cfg!(target_os = "linux") || Path::new(&format!("/proc/{pid}")).exists()
}

/// The URL sqlx's Any driver opens the SQLite file `file` by (created when missing), as the
/// photoblog writes it: a Windows path's drive would otherwise read as a host.
pub fn sqlite_driver_url(file: &Path) -> String {
    crate::model::sqlite_file_url(&file.to_string_lossy())
}

/// The settings of the tests' photoblogs: on `database` with the `cache` backend, its files
/// under `dir`, uploads up to 1 MiB, the owner's password [`OWNER_PASSWORD`].
pub fn settings_on(database: &str, dir: &Path, cache: &str) -> Settings {
    Settings {
        database: database.to_owned(),
        cache: cache.to_owned(),
        data_dir: dir.join("photos"),
        max_upload: 1 << 20,
        admin_password: Some(crate::Secret(OWNER_PASSWORD.to_owned())),
        ..Settings::default()
    }
}

/// The photoblog on `database` with the `cache` backend, its files under `dir`.
pub async fn blog_on(database: &str, dir: &Path, cache: &str) -> App {
    build(&settings_on(database, dir, cache)).await.unwrap()
}

/// The photoblog on a SQLite file with the memory cache, the file and the photos in a fresh
/// folder named after `what` (a file, as the photoblog runs by default: its reads then run
/// on the request's thread, as they do in production).
pub async fn sqlite_blog(what: &str) -> (App, PathBuf) {
    let dir = temp_dir(what);
    let database = format!("sqlite:{}", dir.join("pb.db").display());
    (blog_on(&database, &dir, "memory").await, dir)
}

/// [`sqlite_blog`] behind a client in process.
pub async fn sqlite_client(what: &str) -> (TestClient, PathBuf) {
    let (app, dir) = sqlite_blog(what).await;
    (TestClient::new(app).await, dir)
}

/// A `w`×`h` PNG of bands of colour.
pub fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([seed, (x % 255) as u8, (y % 255) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A grey PNG of one shade: a few KB per million pixels on the wire, a byte per pixel once
/// decoded (up to 8 for other pictures).
pub fn one_colour_png(w: u32, h: u32, shade: u8) -> Vec<u8> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let pixels = vec![shade; w as usize * h as usize];
    let mut out = Vec::new();
    // The fastest settings: a test makes 64 megapixels.
    PngEncoder::new_with_quality(&mut out, CompressionType::Level(1), FilterType::NoFilter)
        .write_image(&pixels, w, h, image::ExtendedColorType::L8)
        .unwrap();
    out
}

/// The owner signed in through the login form, as a browser holds it: its cookies and a
/// CSRF token the forms accept with them.
#[derive(Debug, Clone)]
pub struct OwnerSession {
    /// The `Cookie` header: the CSRF cookie and the session's.
    pub cookie: String,
    /// A token for the forms' `csrf_token` field (any page's token fits the CSRF cookie).
    pub token: String,
}

impl OwnerSession {
    /// Takes the cookies `r` sets (the session's new id after a logout, say).
    pub fn update(&mut self, r: &TestResponse) {
        self.cookie = merge_cookies(&self.cookie, &cookies_set_by(r));
    }
}

/// `name=value` of each cookie `r` sets.
pub fn cookies_set_by(r: &TestResponse) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned())
        .collect()
}

/// A `Cookie` header: `cookie`'s pairs, replaced or joined by those of `set`.
pub fn merge_cookies(cookie: &str, set: &[String]) -> String {
    let name = |pair: &str| pair.split('=').next().unwrap_or_default().to_owned();
    let mut pairs: Vec<String> = cookie
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    for new in set {
        pairs.retain(|p| name(p) != name(new));
        pairs.push(new.clone());
    }
    pairs.join("; ")
}

/// The CSRF token a page's form carries (`name="csrf_token" value="..."`), if it has one.
pub fn csrf_token_in(page: &str) -> Option<String> {
    let (_, rest) = page.split_once(r#"name="csrf_token" value=""#)?;
    Some(rest.split('"').next()?.to_owned())
}

/// The login form as a new browser gets it: the `Cookie` header of the CSRF cookie it sets,
/// and the form's token.
pub async fn login_form(c: &TestClient) -> (String, String) {
    let form = c.get("/login").accept("text/html").send().await;
    form.assert_status(200);
    let cookie = merge_cookies("", &cookies_set_by(&form));
    let token = csrf_token_in(&form.text())
        .unwrap_or_else(|| panic!("no CSRF token in the login form: {form:?}"));
    (cookie, token)
}

/// Signs the owner in through the login form, as a browser would: the form, then its post
/// with [`OWNER_PASSWORD`].
pub async fn sign_in(c: &TestClient) -> OwnerSession {
    let (cookie, token) = login_form(c).await;
    let res = c
        .post("/login")
        .accept("text/html")
        .header("cookie", &cookie)
        .form(&[
            ("username", "admin"),
            ("password", OWNER_PASSWORD),
            ("next", "/"),
            ("csrf_token", &token),
        ])
        .send()
        .await;
    res.assert_status(303);
    let mut owner = OwnerSession { cookie, token };
    owner.update(&res);
    assert!(
        owner.cookie.contains("session_id="),
        "no session cookie at login: {res:?}"
    );
    owner
}
