//! Procedural macros for drupe: `#[controller]` and `#[resource]` on an `impl` block, and on
//! its struct for the children held in `#[mount]` fields.
//!
//! The macros read the impl block once, report every misuse they find (each with a span on the
//! offending tokens), and generate the `drupe::Controller` implementation that describes the
//! block's handlers, mounts and hook to the runtime. On error they still emit the impl block,
//! without their helper attributes, next to the `compile_error!`s, so editors keep working.
//! Generated code names the runtime only through `::drupe::__private` and fully qualified
//! standard paths, so it compiles under `#![no_implicit_prelude]`.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod checks;
mod describe;
mod errors;
mod expand;
mod fields;
mod handler;
mod markers;
mod method;
mod model;
mod options;
mod params;
mod produces;
mod syntax;
mod url_for;

/// Exposes methods of an `impl` block on the object tree (the default dispatcher).
///
/// | attribute | on | meaning |
/// |---|---|---|
/// | `#[controller]` | `impl T` | the block's `#[expose]`d methods and `#[mount]`s form a node |
/// | `#[controller]` | `struct T` | its `#[mount]` fields are children of the node (the impl block is still needed) |
/// | `#[controller(popargs(a, b))]` | `impl T` | segments that name nothing become parameters `a`, `b` |
/// | `#[controller(popargs(id, then = item))]` | `impl T` | … then the walk goes on at mount `item` (a method or a field) |
/// | `#[controller(produces(json, xml))]` | `impl T` | what each handler of the block produces, unless it says otherwise |
/// | `#[controller(status(503))]` | `impl T` | statuses each handler of the block may answer |
/// | `#[expose]` | method | reachable at its name (`translate_html` ← `/translate.html`) |
/// | `#[expose(alias = "x.json")]` | method | also reachable under another name |
/// | `#[status(404, 409)]` | method | statuses it may answer besides success (OpenAPI, coverage) |
/// | `#[produces(json, xml, atom, html = "t.html")]` | method | negotiated representations (replaces the block's) |
/// | `#[produces(none)]` | method | out of the block's `produces(...)`: answers as it is |
/// | `#[mount]`, `#[mount(hidden)]` | field, or `fn(&self) -> &Child` | a child node (hidden: only via the hook) |
/// | `#[mount(name = "old-news")]` | field or method | the child under another name |
/// | `#[dispatch]` | `fn(&self, &mut Cursor) -> Next` | a custom dispatch hook (`_cp_dispatch`) |
/// | `#[param(default = 1)]`, `#[param(named)]`, `#[param]` | argument | parameter options |
/// | `#[extract]` | argument | an actix-web extractor, whatever its type looks like |
///
/// Arguments of integer, float, `bool`, `char`, `String`, `Option<_>`, `Vec<_>`,
/// `VirtualPath`, `Kwargs` and `Upload` types are parameters, filled from the path and by
/// name from the query and form fields; any other argument is an actix-web extractor.
///
/// A handler returns anything actix-web can answer, or a `Result` of it whose error is an
/// `actix_web::Error` or any `E: Into<HttpError>` (the application's own error type).
///
/// ```
/// use drupe::{controller, HttpError, Negotiated, VirtualPath};
///
/// /// The root; `/points/...` is its child.
/// #[controller]
/// struct Root {
///     #[mount]
///     points: Points,
/// }
///
/// #[controller]
/// impl Root {
///     #[expose]
///     async fn index(&self, name: Option<String>) -> String {
///         format!("hello {}", name.unwrap_or_else(|| "world".into()))
///     }
///     #[expose]
///     fn default(&self, rest: VirtualPath) -> String {
///         rest.join("/")
///     }
///     fn secret(&self) -> &'static str {
///         "never routed"
///     }
/// }
///
/// struct Points;
///
/// /// The application's own error: `?` works on it, the client gets its `HttpError`.
/// struct Missing(u32);
///
/// impl From<Missing> for HttpError {
///     fn from(m: Missing) -> Self {
///         HttpError::not_found(format!("no point {}", m.0))
///     }
/// }
///
/// #[derive(serde::Serialize)]
/// struct Point { x: u32 }
///
/// /// Every handler answers JSON or XML.
/// #[controller(produces(json, xml), status(404))]
/// impl Points {
///     #[expose]
///     fn one(&self, x: u32) -> Result<Negotiated<Point>, Missing> {
///         if x > 9 {
///             return Err(Missing(x));
///         }
///         Ok(Negotiated::new(Point { x }).header("cache-control", "max-age=60"))
///     }
///
///     #[expose]
///     #[produces(none)]
///     fn count(&self) -> String {
///         "10".into()
///     }
/// }
/// # let _ = drupe::App::new(Root { points: Points }).unwrap();
/// ```
#[proc_macro_attribute]
pub fn controller(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(model::Kind::Controller, args.into(), item.into()).into()
}

/// A method-dispatched resource: methods named after HTTP verbs answer them.
///
/// | attribute | on | meaning |
/// |---|---|---|
/// | `#[resource]` | `impl T` | `get`, `post`, `put`, `patch`, `delete`, `options`, `head` answer their verb |
/// | `#[resource(popargs(id, then = item))]` | `impl T` | `/users/5` goes on at mount `item` with `id = 5` |
/// | `#[verb("PROPFIND")]` | method | answers another method |
/// | `#[resource]` | `struct T` | its `#[mount]` fields are children, as on `#[controller]` |
/// | `#[resource(produces(...), status(...))]` | `impl T` | defaults for every verb, as on `#[controller]` |
/// | `#[produces(...)]`, `#[status(...)]` | verb method | as on `#[controller]` |
/// | `#[mount]`, `#[dispatch]`, `#[param]`, `#[extract]` | | as on `#[controller]` |
///
/// `Allow` lists the verbs (plus `HEAD` with `GET`, plus `OPTIONS`) on every response of the
/// resource; other methods get 405.
///
/// ```
/// use drupe::{resource, HttpError, NoContent};
/// struct Item;
/// #[resource]
/// impl Item {
///     async fn get(&self, id: u64) -> Result<String, HttpError> {
///         if id == 1 { Ok("one".into()) } else { Err(HttpError::not_found("no such item")) }
///     }
///     async fn delete(&self, id: u64) -> NoContent {
///         let _ = id;
///         NoContent
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn resource(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(model::Kind::Resource, args.into(), item.into()).into()
}

/// A handler's URL path, checked at compile time: `url_for!(Blog::post, 2024, "hello")`
/// names the exposed method `post` of the controller `Blog` and gives one value for each of its
/// parameters, in order, of its parameter's type (`&str` for a `String`, a value or `None` for
/// an `Option`). A handler that does not exist, a missing argument or one of the wrong type is
/// a compile error. It makes a `drupe::Route`: `Urls::route` or a `Redirect` finds where the
/// controller is mounted and writes the path (`/blog/post/2024/hello`).
///
/// ```
/// use drupe::{controller, url_for};
/// struct Blog;
/// #[controller]
/// impl Blog {
///     #[expose]
///     fn post(&self, year: u16, slug: String) -> String { format!("{year} {slug}") }
/// }
/// let r = url_for!(Blog::post, 2024, "hello");
/// ```
///
/// ```compile_fail
/// use drupe::{controller, url_for};
/// struct Blog;
/// #[controller]
/// impl Blog {
///     #[expose]
///     fn post(&self, year: u16, slug: String) -> String { format!("{year} {slug}") }
/// }
/// let r = url_for!(Blog::post, "2024", "hello");
/// ```
#[proc_macro]
pub fn url_for(input: TokenStream) -> TokenStream {
    url_for::expand(input.into()).into()
}
