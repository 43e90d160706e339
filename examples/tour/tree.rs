//! The tour's tree: the fixture of the dispatcher tests and of `cargo run --example tour`.

use actix_web::web::Json;
use drupe::{App, VirtualPath, controller};
use serde_json::{Value, json};

/// The root of the tour's tree.
pub(crate) struct Root {
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
pub(crate) struct Blog;

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
pub(crate) struct Archive;

#[controller(popargs(year, month))]
impl Archive {
    /// One month of the archive.
    #[expose]
    fn index(&self, year: u16, month: u8) -> Json<Value> {
        Json(json!({ "year": year, "month": month }))
    }
}

/// The tour application, for `main` and for the tests.
pub(crate) fn app() -> App {
    App::new(Root {
        blog: Blog,
        archive: Archive,
    })
    .expect("the tour's tree is valid")
}
