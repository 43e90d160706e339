//! The servers `bench/load.sh` drives, one per run, each answering the same small JSON object
//! so the load benchmark compares frameworks, not work:
//!
//! | variant | what | URL |
//! |---|---|---|
//! | `a` | raw actix-web handler, 2 typed path args | `/item/7/3` |
//! | `b` | the same handler through drupe's default dispatcher | `/item/7/3` |
//! | `c` | a `#[resource]` with negotiation (JSON, XML) | `/items/7/3` |
//! | `d` | `c` behind the output cache (a hit after the first request) | `/items/7/3` |
//! | `e` | raw actix-web answering `d`'s body as static bytes | `/items/7/3` |
//! | `files` | drupe's `tools.staticdir` serving `--dir` at `/static/` | `/static/<file>` |
//! | `actix-files` | actix-files' `Files` serving `--dir` at `/static/` | `/static/<file>` |
//! | `page` | a 4 KiB HTML page behind the output cache, compressed for a client that accepts it | `/page` |
//! | `album` | raw actix-web answering the bytes of `--body-file` (the photoblog's album JSON) as static bytes, on the photoblog's route shape | `/services/rest/album/1` |
//! | `session` | `b`'s answer from a handler that also reads its session (`tools.sessions`, in memory); `/begin` opens one and answers its cookie | `/visit/7/3` |
//! | `session-redis` | `session` with the sessions in Redis at `--redis-url` | `/visit/7/3` |
//! | `basic` | `b` behind `tools.auth_basic` (`bench`/`bench`, an argon2id hash, verifications remembered) | `/item/7/3` |
//! | `upload` | drupe taking a multipart file (bodies up to 32 MiB, files past 256 KiB spooled to `--spool-dir`), answering its length | `POST /upload` |
//!
//! ```text
//! cargo run --release --example load_servers -- --variant b --bind 127.0.0.1:8091 --workers 1
//! ```

use std::process::ExitCode;

use actix_web::{HttpResponse, HttpServer, web};
use clap::{Parser, ValueEnum};
use drupe::auth::{AuthBasic, verify_password};
use drupe::sessions::{Session, Sessions};
use drupe::tools::{Identity, Scheme, verifier_fn};
use drupe::{App, HttpError, Negotiated, Upload, controller, resource};
use serde::Serialize;

#[derive(Clone, Copy, ValueEnum)]
enum Variant {
    A,
    B,
    C,
    D,
    E,
    Files,
    ActixFiles,
    Page,
    Album,
    Upload,
    Session,
    SessionRedis,
    Basic,
}

#[derive(Parser)]
#[command(about = "Servers for the load benchmark")]
struct Args {
    #[arg(long, value_enum)]
    variant: Variant,
    #[arg(long, default_value = "127.0.0.1:8091")]
    bind: String,
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// The body variant `album` answers.
    #[arg(long)]
    body_file: Option<std::path::PathBuf>,
    /// The directory `files` and `actix-files` serve.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// Where variant `upload` spools files (default: the system's temporary folder).
    #[arg(long)]
    spool_dir: Option<std::path::PathBuf>,
    /// The Redis of variant `session-redis`.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Serve the drupe variants over HTTPS with this PEM certificate (and --tls-key):
    /// `bench/tls.sh`.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
}

/// The small JSON object every variant answers.
#[derive(Serialize)]
struct Item {
    id: u32,
    n: u32,
    name: &'static str,
}

impl Item {
    fn new(id: u32, n: u32) -> Self {
        Self {
            id,
            n,
            name: "item",
        }
    }
}

async fn raw_item(p: web::Path<(u32, u32)>) -> web::Json<Item> {
    let (id, n) = p.into_inner();
    web::Json(Item::new(id, n))
}

struct Root {
    items: Items,
}

#[controller]
impl Root {
    /// `/item/<id>/<n>`: variant `b`.
    #[expose]
    fn item(&self, id: u32, n: u32) -> web::Json<Item> {
        web::Json(Item::new(id, n))
    }

    /// `/visit/<id>/<n>`: `item`, reading the session as it answers (variants `session` and
    /// `session-redis`).
    #[expose]
    async fn visit(&self, id: u32, n: u32, session: Session) -> Result<web::Json<Item>, HttpError> {
        // The work measured: the session found by its cookie and a value read from it.
        let _seen: Option<u32> = session.get("seen").await?;
        Ok(web::Json(Item::new(id, n)))
    }

    /// `/begin`: opens a session (its cookie in the answer) for `visit` to read.
    #[expose]
    async fn begin(&self, session: Session) -> Result<&'static str, HttpError> {
        session.insert("seen", 1u32).await?;
        Ok("ok")
    }

    /// `/items/<id>/<n>`: variants `c` and `d`.
    #[mount]
    fn items(&self) -> &Items {
        &self.items
    }

    /// A page of 4 KiB of HTML.
    #[expose]
    fn page(&self) -> HttpResponse {
        let rows: String = (0..64)
            .map(|i| format!("<li><a href=\"/item/{i}/1\">item {i:02}</a> of the list</li>\n"))
            .collect();
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(format!("<!DOCTYPE html>\n<ul>\n{rows}</ul>\n"))
    }
}

/// The method-dispatched resource of variants `c` and `d`.
struct Items;

#[resource]
impl Items {
    /// The item `id`, `n`, as JSON or XML.
    #[produces(json, xml)]
    fn get(&self, id: u32, n: u32) -> Negotiated<Item> {
        Negotiated::new(Item::new(id, n))
    }
}

/// Variant `upload`: a file in, its length out.
struct Uploads;

#[controller]
impl Uploads {
    /// `/upload`: the length of the multipart field `file`.
    #[expose]
    fn upload(&self, file: Upload) -> String {
        file.len().to_string()
    }
}

/// The largest body variant `upload` takes: 32 MiB.
const MAX_UPLOAD: usize = 32 << 20;

fn upload_app(args: &Args) -> Result<App, drupe::BuildError> {
    let mut builder = App::builder(Uploads)
        .body_limit("/", MAX_UPLOAD)
        .set_global("server.workers", args.workers as i64);
    if let Some(dir) = &args.spool_dir {
        let dir = dir.to_string_lossy().into_owned();
        builder = builder.set("/", "request.body.spool_dir", dir);
    }
    builder.build()
}

fn drupe_app(args: &Args, cached: bool) -> Result<App, drupe::BuildError> {
    let mut builder = App::builder(Root { items: Items })
        .set("/", "tools.caching.on", cached)
        .set_global("server.workers", args.workers as i64);
    match args.variant {
        Variant::Session | Variant::SessionRedis => {
            if matches!(args.variant, Variant::SessionRedis) {
                builder = builder.tool(Sessions::redis(&args.redis_url));
            }
            builder = builder.set("/visit", "tools.sessions.on", true).set(
                "/begin",
                "tools.sessions.on",
                true,
            );
        }
        Variant::Basic => {
            let hash = drupe::auth::hash_password("bench").expect("a password hashes");
            let check = verifier_fn(move |user, password| {
                let hash = hash.clone();
                async move {
                    let ok = user == "bench" && verify_password(&hash, &password).await?;
                    Ok(ok.then(|| Identity::new(user, Scheme::Basic)))
                }
            });
            builder = builder.tool_at("/item", AuthBasic::new(check));
        }
        _ => {}
    }
    builder.build()
}

/// The photoblog's album route, answering fixed bytes as the photoblog's cache hit does:
/// the baseline of its hit, with the same route shape and body.
fn files_app(args: &Args, dir: &std::path::Path) -> Result<App, drupe::BuildError> {
    App::builder(Root { items: Items })
        .tool_at("/static", drupe::files::StaticDir::new(dir))
        .set_global("server.workers", args.workers as i64)
        .build()
}

fn raw_files(args: &Args, dir: std::path::PathBuf) -> std::io::Result<()> {
    let bind = args.bind.clone();
    let workers = args.workers;
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            actix_web::App::new().service(actix_files::Files::new("/static", dir.clone()))
        })
        .workers(workers)
        .bind(&bind)?
        .run()
        .await
    })
}

fn raw_album(args: &Args, body: web::Bytes) -> std::io::Result<()> {
    let bind = args.bind.clone();
    let workers = args.workers;
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let b = body.clone();
            actix_web::App::new().route(
                "/services/rest/album/{id}",
                web::get().to(move |_: web::Path<u64>| {
                    let b = b.clone();
                    async move { HttpResponse::Ok().content_type("application/json").body(b) }
                }),
            )
        })
        .workers(workers)
        .bind(&bind)?
        .run()
        .await
    })
}

fn raw(args: &Args, body: Option<web::Bytes>) -> std::io::Result<()> {
    let bind = args.bind.clone();
    let workers = args.workers;
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let app = actix_web::App::new().route("/item/{id}/{n}", web::get().to(raw_item));
            match body.clone() {
                Some(b) => app.route(
                    "/items/{id}/{n}",
                    web::get().to(move || {
                        let b = b.clone();
                        async move { HttpResponse::Ok().content_type("application/json").body(b) }
                    }),
                ),
                None => app,
            }
        })
        .workers(workers)
        .bind(&bind)?
        .run()
        .await
    })
}

fn main() -> ExitCode {
    drupe::engine::init_logging();
    let args = Args::parse();
    let served = match args.variant {
        Variant::A => raw(&args, None),
        Variant::E => {
            let body = serde_json::to_vec(&Item::new(7, 3)).expect("an item serializes");
            raw(&args, Some(body.into()))
        }
        Variant::Album => {
            let Some(path) = &args.body_file else {
                eprintln!("--variant album needs --body-file");
                return ExitCode::FAILURE;
            };
            match std::fs::read(path) {
                Ok(body) => raw_album(&args, body.into()),
                Err(e) => Err(e),
            }
        }
        Variant::ActixFiles => match args.dir.clone() {
            Some(dir) => raw_files(&args, dir),
            None => {
                eprintln!("--variant actix-files needs --dir");
                return ExitCode::FAILURE;
            }
        },
        Variant::B
        | Variant::C
        | Variant::D
        | Variant::Files
        | Variant::Page
        | Variant::Upload
        | Variant::Session
        | Variant::SessionRedis
        | Variant::Basic => {
            let app = match (args.variant, &args.dir) {
                (Variant::Files, Some(dir)) => files_app(&args, dir),
                (Variant::Files, None) => {
                    eprintln!("--variant files needs --dir");
                    return ExitCode::FAILURE;
                }
                (Variant::Upload, _) => upload_app(&args),
                (v, _) => drupe_app(&args, matches!(v, Variant::D | Variant::Page)),
            };
            return match app {
                Ok(app) => {
                    let mut server = drupe::engine::Server::new().mount("/", app);
                    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
                        server = server.tls(cert, key);
                    }
                    server.serve(&args.bind)
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
