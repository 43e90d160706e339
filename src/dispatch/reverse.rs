//! Reverse routing: from a handler and its arguments to the path that reaches it.
//!
//! This module owns [`Route`] — what `url_for!(Blog::post, 2024, "hello")` makes — and
//! [`UrlArg`], the conversion of each argument to the text of a path segment or a query value.
//! The macros give every exposed handler a hidden function taking one argument for each of its
//! parameters, typed by the parameter (`UrlArg<u16>`, `UrlArg<String>`): a handler that does
//! not exist, a missing or extra argument, or one of the wrong type does not compile. The
//! path is found at run time in the compiled tree, where the handler's controller is mounted,
//! by the same layout the OpenAPI document uses (`/blog/post/{year}/{slug}`), so a link and
//! the route it names cannot disagree.

use std::sync::Arc;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::doc::layout;
use super::param::{ParamKind, VirtualPath};
use super::tree::Tree;
use crate::HttpError;

/// What a path segment keeps unescaped: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A handler and the values of its parameters: [`url_for!`](crate::url_for) makes one, and
/// [`Urls::route`](crate::Urls::route) or a [`Redirect`](crate::Redirect) turns it into a URL.
///
/// ```
/// use drupe::{controller, url_for};
/// struct Blog;
/// #[controller]
/// impl Blog {
///     #[expose]
///     fn post(&self, year: u16, slug: String) -> String { format!("{year}/{slug}") }
/// }
/// let route = url_for!(Blog::post, 2024, "hello world");
/// assert_eq!(route.handler(), "post");
/// // `url_for!(Blog::post, "2024", "hello")` does not compile: `year` is a u16.
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    owner: &'static str,
    handler: &'static str,
    values: Vec<(&'static str, Vec<String>)>,
}

impl Route {
    #[doc(hidden)]
    pub fn new(owner: &'static str, handler: &'static str) -> Self {
        Self {
            owner,
            handler,
            values: Vec::new(),
        }
    }

    #[doc(hidden)]
    pub fn arg<T>(mut self, name: &'static str, value: impl UrlArg<T>) -> Self {
        self.values.push((name, value.url_values()));
        self
    }

    /// The handler's name.
    pub fn handler(&self) -> &'static str {
        self.handler
    }

    /// The path of the handler with these values, below the application's mount prefix
    /// (`/blog/post/2024/hello%20world`), query values after `?`.
    pub(crate) fn path(&self, tree: &Tree) -> Result<String, HttpError> {
        let short = self.owner.rsplit("::").next().unwrap_or(self.owner);
        let h = tree
            .handlers()
            .find(|h| tree.node(h.node()).type_name() == self.owner && h.name() == self.handler)
            .ok_or_else(|| {
                HttpError::internal(format!(
                    "url_for!({short}::{}): no {short} is mounted on the tree",
                    self.handler
                ))
            })?;
        let l = layout(tree, h);
        let value = |name: &str| self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
        let mut path = String::with_capacity(l.path.len() + 16);
        for (i, seg) in l.path.split('/').enumerate() {
            if i > 0 {
                path.push('/');
            }
            let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                path.push_str(seg);
                continue;
            };
            let vals = value(name).filter(|v| !v.is_empty()).ok_or_else(|| {
                HttpError::internal(format!(
                    "url_for!({short}::{}): `{name}` has no value for the path",
                    self.handler
                ))
            })?;
            // `.`, `..` and an empty value would be read as a path's own steps, not a value.
            if let Some(bad) = vals.iter().find(|v| matches!(v.as_str(), "" | "." | "..")) {
                return Err(HttpError::internal(format!(
                    "url_for!({short}::{}): `{name}` is {bad:?}, which a path segment cannot hold",
                    self.handler
                )));
            }
            let rest = l
                .in_path
                .iter()
                .any(|p| p.name == name && p.kind == ParamKind::Rest);
            let n = if rest { vals.len() } else { 1 };
            for (k, v) in vals.iter().take(n).enumerate() {
                if k > 0 {
                    path.push('/');
                }
                path.extend(utf8_percent_encode(v, SEGMENT));
            }
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        let mut any = false;
        for p in &l.in_query {
            for v in value(p.name).into_iter().flatten() {
                query.append_pair(p.name, v);
                any = true;
            }
        }
        if any {
            path.push('?');
            path.push_str(&query.finish());
        }
        Ok(path)
    }
}

/// The compiled tree, kept with the application's states for [`Route::path`].
pub(crate) struct Routes(pub(crate) Arc<Tree>);

/// A value given for a parameter of type `T` in [`url_for!`](crate::url_for): its text in
/// the URL. Implemented for the parameter types drupe binds (numbers, `bool`, `char`,
/// `String` and `&str`, `Option` and `Vec` of them, [`VirtualPath`] and lists of segments);
/// implement it for a parameter type of your own.
///
/// ```
/// use drupe::UrlArg;
/// struct Slug(String);
/// impl UrlArg<Slug> for &Slug {
///     fn url_values(self) -> Vec<String> { vec![self.0.clone()] }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a value for a parameter of type `{T}` in url_for!",
    label = "the handler's parameter here is a `{T}`",
    note = "give each parameter a value of its type (`&str` for a `String`, a value or `None` for an `Option`), in order; implement `drupe::UrlArg<{T}>` for a type of your own"
)]
pub trait UrlArg<T> {
    /// The values (none for an absent optional value, several for a list).
    fn url_values(self) -> Vec<String>;
}

macro_rules! url_scalars {
    ($($t:ty),*) => {$(
        impl UrlArg<$t> for $t {
            fn url_values(self) -> Vec<String> { vec![self.to_string()] }
        }
        impl UrlArg<Option<$t>> for $t {
            fn url_values(self) -> Vec<String> { vec![self.to_string()] }
        }
        impl UrlArg<Option<$t>> for Option<$t> {
            fn url_values(self) -> Vec<String> { self.map(|v| v.to_string()).into_iter().collect() }
        }
        impl UrlArg<Vec<$t>> for Vec<$t> {
            fn url_values(self) -> Vec<String> { self.iter().map(ToString::to_string).collect() }
        }
        impl UrlArg<Vec<$t>> for &[$t] {
            fn url_values(self) -> Vec<String> { self.iter().map(ToString::to_string).collect() }
        }
    )*};
}

url_scalars!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char, String
);

impl UrlArg<String> for &str {
    fn url_values(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl UrlArg<String> for &String {
    fn url_values(self) -> Vec<String> {
        vec![self.clone()]
    }
}

impl UrlArg<Option<String>> for &str {
    fn url_values(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl UrlArg<VirtualPath> for VirtualPath {
    fn url_values(self) -> Vec<String> {
        self.0
    }
}

impl UrlArg<VirtualPath> for Vec<String> {
    fn url_values(self) -> Vec<String> {
        self
    }
}

impl UrlArg<VirtualPath> for &[&str] {
    fn url_values(self) -> Vec<String> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

impl<const N: usize> UrlArg<VirtualPath> for [&str; N] {
    fn url_values(self) -> Vec<String> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}
