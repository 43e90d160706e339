//! The tour's tree: the fixture of the dispatcher tests and of `cargo run --example tour`.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use actix_web::web::Json;
use drupe::cache::Invalidate;
use drupe::files::StaticDir;
use drupe::represent::RenderContext;
use drupe::represent::atom::{AtomEntry, Content, Entry, Link};
use drupe::sessions::Session;
use drupe::{
    App, Body, Collection, Cors, Created, HttpError, InternalRedirect, Negotiated, NoContent,
    Redirect, Templates, VirtualPath, controller, resource, url_for,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The root of the tour's tree: its children are its `#[mount]` fields.
#[controller]
pub(crate) struct Root {
    /// The blog.
    #[mount]
    blog: Blog,
    /// The archive, by year and month.
    #[mount]
    archive: Archive,
    /// The users: a collection resource, and each user below it.
    #[mount]
    users: Users,
    /// A counter kept in the visitor's session.
    #[mount]
    session: SessionDemo,
    /// Where the blog was: everything below `/old-blog/` moved to `/blog/`.
    #[mount]
    old_blog: OldBlog,
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

    /// `/home` answers what `/` answers, without a round trip.
    #[expose]
    fn home(&self) -> InternalRedirect {
        InternalRedirect::to("/")
    }

    /// `/slow?ms=N` answers after N ms; `/slow` has a deadline of 1 s (`tools.timeout`).
    /// With `blocking=true` it sleeps on a blocking thread, which the deadline cannot
    /// interrupt: its late answer is dropped and logged.
    #[expose]
    async fn slow(&self, ms: u64, blocking: Option<bool>) -> Result<String, HttpError> {
        // A blocking sleep holds its thread to the end, deadline or not: bounded.
        if ms > 10_000 {
            return Err(HttpError::bad_request("ms is at most 10000."));
        }
        let pause = std::time::Duration::from_millis(ms);
        if blocking == Some(true) {
            drupe::timeout::block(move || std::thread::sleep(pause)).await?;
        } else {
            actix_web::rt::time::sleep(pause).await;
        }
        Ok(format!("slept {ms} ms"))
    }

    /// `/translate.html` and `/translate-html`: punctuation reads as `_`.
    #[expose]
    fn translate_html(&self) -> &'static str {
        "OK"
    }

    /// The users as an Atom feed (or a JSON list).
    #[expose]
    #[produces(atom, json)]
    fn feed(&self) -> Negotiated<Collection<User>> {
        let users = self.users.store.list();
        Negotiated::new(Collection::new("The tour's users", users))
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

/// `/old-blog/`: moved permanently to `/blog/`, each path below it to the same path there.
pub(crate) struct OldBlog;

#[controller]
impl OldBlog {
    /// `/old-blog/` → 301 `/blog/`.
    #[expose]
    fn index(&self) -> Redirect {
        Redirect::permanent(url_for!(Blog::index))
    }

    /// `/old-blog/post/2024/x` → 301 `/blog/post/2024/x`.
    #[expose]
    fn default(&self, rest: VirtualPath) -> Redirect {
        let mut to = String::from("/blog");
        for seg in rest.iter() {
            to.push('/');
            // The segment as it is sent: RFC 3986's unreserved bytes kept, others escaped.
            for b in seg.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    to.push(char::from(b));
                } else {
                    to.push_str(&format!("%{b:02X}"));
                }
            }
        }
        Redirect::permanent(to)
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

/// `/session/`: under `tools.sessions`.
pub(crate) struct SessionDemo;

#[controller]
impl SessionDemo {
    /// `{"count": N}`: how many times this session asked, from 1.
    #[expose]
    async fn counter(&self, session: Session) -> Result<Json<Value>, HttpError> {
        let count = session.get::<u64>("count").await?.unwrap_or(0) + 1;
        session.insert("count", count).await?;
        Ok(Json(json!({ "count": count })))
    }
}

/// A user of the tour.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename = "user")]
pub(crate) struct User {
    /// Its id.
    id: u64,
    /// Its name.
    name: String,
    /// When it last changed (the Atom `updated`).
    #[serde(skip, default = "OffsetDateTime::now_utc")]
    #[schema(ignore)]
    updated: OffsetDateTime,
}

impl AtomEntry for User {
    fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry {
        let url = cx.url(&format!("/users/{}", self.id));
        Entry::new(
            format!("tag:tour.drupe,2024:users/{}", self.id),
            &self.name,
            self.updated,
        )
        .author(&self.name)
        .link(Link::new("self", &url).typed("application/atom+xml"))
        .link(Link::new("alternate", &url).typed("text/html"))
        .content(Content::Text(format!("{} is user {}.", self.name, self.id)))
    }
}

/// What a client sends to create or replace a user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename = "user", deny_unknown_fields)]
pub(crate) struct UserIn {
    /// The name, 1 to 200 characters, not only spaces.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    name: String,
}

impl UserIn {
    fn validated(self) -> Result<String, HttpError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(HttpError::bad_request("name must be 1 to 200 characters."));
        }
        Ok(name)
    }
}

/// The users, in memory, seeded with ada and grace.
#[derive(Clone)]
pub(crate) struct Store(Arc<RwLock<(u64, BTreeMap<u64, User>)>>);

impl Store {
    fn seeded() -> Self {
        let mut users = BTreeMap::new();
        for (id, name) in [(1, "ada"), (2, "grace")] {
            users.insert(
                id,
                User {
                    id,
                    name: name.to_owned(),
                    updated: OffsetDateTime::now_utc(),
                },
            );
        }
        Self(Arc::new(RwLock::new((3, users))))
    }

    fn list(&self) -> Vec<User> {
        let g = self.0.read().unwrap_or_else(|e| e.into_inner());
        g.1.values().cloned().collect()
    }

    fn get(&self, id: u64) -> Option<User> {
        let g = self.0.read().unwrap_or_else(|e| e.into_inner());
        g.1.get(&id).cloned()
    }

    /// The next id and the users, to change (a poisoned lock is taken over: every change is
    /// one insert, update or removal, so the map is never half-written).
    fn write(&self) -> RwLockWriteGuard<'_, (u64, BTreeMap<u64, User>)> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn no_user(id: u64) -> HttpError {
    HttpError::not_found(format!("No user {id}."))
}

/// `/users`: the collection.
#[resource]
pub(crate) struct Users {
    store: Store,
    /// One user: `/users/<id>`.
    #[mount(hidden)]
    item: UserItem,
}

#[resource(popargs(id, then = item))]
impl Users {
    /// Every user.
    #[produces(json, xml)]
    fn get(&self) -> Negotiated<Vec<User>> {
        Negotiated::new(self.store.list())
    }

    /// Creates a user from JSON, XML or a form with a `name`.
    #[produces(json, xml)]
    fn post(&self, body: Body<UserIn>, invalidate: Invalidate) -> Result<Created<User>, HttpError> {
        let name = body.into_inner().validated()?;
        // The feed lists the users: drop its cached copies.
        invalidate.path("/feed");
        let mut g = self.store.write();
        let id = g.0;
        g.0 += 1;
        let user = User {
            id,
            name,
            updated: OffsetDateTime::now_utc(),
        };
        g.1.insert(id, user.clone());
        Ok(Created::new(format!("/users/{id}"), user))
    }
}

/// `/users/<id>`: one user.
pub(crate) struct UserItem {
    store: Store,
}

/// Each verb answers JSON, XML or the HTML page, and 404 for a user that does not exist.
#[resource(produces(json, xml, html = "tour/user.html"), status(404))]
impl UserItem {
    /// The user, with its `Last-Modified`; its `ETag` is made from each representation's bytes
    /// (`tools.etags`), and a PUT or DELETE with `If-Match` is checked against them.
    fn get(&self, id: u64) -> Result<Negotiated<User>, HttpError> {
        let user = self.store.get(id).ok_or_else(|| no_user(id))?;
        let updated = user.updated;
        Ok(Negotiated::new(user).last_modified(updated.into()))
    }

    /// Replaces the user's name; a user that does not exist is not created.
    fn put(
        &self,
        id: u64,
        body: Body<UserIn>,
        invalidate: Invalidate,
    ) -> Result<Negotiated<User>, HttpError> {
        let name = body.into_inner().validated()?;
        invalidate.path("/feed");
        invalidate.path("/users");
        let mut g = self.store.write();
        let user = g.1.get_mut(&id).ok_or_else(|| no_user(id))?;
        user.name = name;
        user.updated = OffsetDateTime::now_utc();
        Ok(Negotiated::new(user.clone()))
    }

    /// Deletes the user.
    // A 204 has nothing to negotiate: out of the block's `produces`.
    #[produces(none)]
    fn delete(&self, id: u64, invalidate: Invalidate) -> Result<NoContent, HttpError> {
        invalidate.path("/feed");
        invalidate.path("/users");
        let mut g = self.store.write();
        g.1.remove(&id)
            .map(|_| NoContent)
            .ok_or_else(|| no_user(id))
    }
}

/// The tour application, for `main` and for the tests.
pub(crate) fn app() -> App {
    app_with_cache(drupe::cache::Caching::memory(1000, 10 << 20))
}

/// The tour on a given cache (the tests share a Redis cache between two instances).
pub(crate) fn app_with_cache(cache: drupe::cache::Caching) -> App {
    builder_with_cache(cache)
        .build()
        .expect("the tour's tree is valid")
}

/// `examples/tour/static/`, beside this file. `file!()` is relative to the workspace's root,
/// the crate's manifest is in it or below it (the fuzz targets compile this file too): the
/// root is the manifest's first ancestor that has this file.
fn static_dir() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let this = manifest
        .ancestors()
        .map(|root| root.join(file!()))
        .find(|f| f.is_file())
        .unwrap_or_else(|| manifest.join("examples/tour/tree.rs"));
    this.with_file_name("static")
}

/// The tour's configured builder, for tests that change a setting before building.
pub(crate) fn builder_with_cache(cache: drupe::cache::Caching) -> drupe::AppBuilder {
    let store = Store::seeded();
    let root = Root {
        blog: Blog,
        archive: Archive,
        users: Users {
            store: store.clone(),
            item: UserItem { store },
        },
        session: SessionDemo,
        old_blog: OldBlog,
    };
    App::builder(root)
        .tool(cache)
        .templates(Templates::from_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        )))
        .set_global("openapi.title", "The drupe tour")
        // The feed and the users are cached; writes invalidate what they change.
        .set("/feed", "tools.caching.on", true)
        .set("/users", "tools.caching.on", true)
        // Scripts of https://app.example may call the users (JSON bodies included).
        .tool_at(
            "/users",
            Cors::new()
                .allow_origin("https://app.example")
                .allow_headers(["Content-Type"])
                .max_age(600),
        )
        // The files of examples/tour/static/ at /static/ (`/static/` answers its index.html).
        .tool_at("/static", StaticDir::new(static_dir()).index("index.html"))
        // A session for each visitor of /session/ (in memory: `[global] sessions.*`).
        .set("/session", "tools.sessions.on", true)
        // Its own HTML page for a 404 (clients that prefer JSON still get problem details).
        .set("/", "error_page.404", "tour/404.html")
        // A handler under /slow has a second to answer: then 503 with Retry-After.
        .set("/slow", "tools.timeout.on", true)
        .set("/slow", "tools.timeout.seconds", 1.0)
        // The coverage report at /_coverage/ (loopback clients only).
        .set("/", "tools.coverage.on", true)
        // Settings follow the dispatcher's names: `/translate.html` and `/translate-html`
        // reach `translate_html`, and carry its header too.
        .set("/translate_html", "tools.response_headers.on", true)
        .set(
            "/translate_html",
            "tools.response_headers.headers.X-Translated",
            "yes",
        )
}
