//! A runnable tour of drupe's dispatchers: every rule of the default dispatcher on one tree.
//!
//! ```text
//! cargo run --example tour -- --bind 127.0.0.1:8080
//! ```
//!
//! | path | answer |
//! |---|---|
//! | `/`, `/?name=bob` | `hello world`, `hello bob` |
//! | `/a/b` (anything unknown) | `["a","b"]` from the root's `default` |
//! | `/translate.html`, `/translate-html` | `OK` |
//! | `/blog/` | `blog index` (`/blog` redirects to it) |
//! | `/blog/secret` | 404: a private method |
//! | `/blog/post/2024/hello-world` | `{"year":2024,"slug":"hello-world"}` |
//! | `/blog/search?q=rust&page=2` (or a POSTed form) | `{"q":"rust","page":2}` |
//! | `/archive/2024/05/` | `{"year":2024,"month":5}` through a dispatch hook |

use actix_web::web::Json;
use clap::Parser;
use drupe::{App, VirtualPath, controller};
use serde_json::{Value, json};

/// The root of the tour's tree.
pub struct Root {
    blog: Blog,
    archive: Archive,
}

#[controller]
impl Root {
    /// `GET /` says hello, to `?name=` if given.
    #[expose]
    async fn index(&self, name: Option<String>) -> String {
        format!("hello {}", name.as_deref().unwrap_or("world"))
    }

    /// Whatever nothing else answers: the segments, as JSON.
    #[expose]
    async fn default(&self, rest: VirtualPath) -> Json<Vec<String>> {
        Json(rest.0)
    }

    /// `/translate.html` and `/translate-html`: punctuation reads as `_`.
    #[expose]
    fn translate_html(&self) -> &'static str {
        "OK"
    }

    /// The blog.
    #[mount]
    fn blog(&self) -> &Blog {
        &self.blog
    }

    /// The archive, by year and month.
    #[mount]
    fn archive(&self) -> &Archive {
        &self.archive
    }
}

/// `/blog/`.
pub struct Blog;

#[controller]
impl Blog {
    /// The blog's front page.
    #[expose]
    fn index(&self) -> &'static str {
        "blog index"
    }

    /// One post: `/blog/post/2024/hello-world`.
    #[expose]
    fn post(&self, year: u16, slug: String) -> Json<Value> {
        Json(json!({ "year": year, "slug": slug }))
    }

    /// A search, from the query string or a posted form.
    #[expose]
    fn search(&self, q: String, #[param(default = 1)] page: u32) -> Json<Value> {
        Json(json!({ "q": q, "page": page }))
    }

    /// Not exposed: never routed.
    #[allow(dead_code)]
    fn secret(&self) -> &'static str {
        "the blog's secret"
    }
}

/// `/archive/<year>/<month>/`: the hook takes the two segments as parameters.
pub struct Archive;

#[controller(popargs(year, month))]
impl Archive {
    /// One month of the archive.
    #[expose]
    fn index(&self, year: u16, month: u8) -> Json<Value> {
        Json(json!({ "year": year, "month": month }))
    }
}

/// The tour application, for `main` and for the tests.
pub fn app() -> App {
    App::new(Root {
        blog: Blog,
        archive: Archive,
    })
    .expect("the tour's tree is valid")
}

#[derive(Parser)]
#[command(about = "A tour of drupe's dispatchers")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    app().serve(&args.bind)
}
