//! What a handler's declaration tells about it, for its documentation and its coverage.
//!
//! This module owns the facts about a handler that the OpenAPI document and the coverage
//! report both read, so they cannot disagree: its documented path template
//! (`/blog/post/{year}/{slug}`), where each parameter goes (path or query), the methods it is
//! documented under, every status it can answer — its success, its declared statuses, and
//! those drupe answers for it (400, 404, 405, 406, 413, 415) — and [`OperationDoc`], what the
//! generated code tells about its types (request body, success value and their schemas, found
//! through `utoipa::ToSchema` where a type implements it).

use std::marker::PhantomData;

use utoipa::openapi::{RefOr, Schema};

use super::param::{ParamKind, ParamSchema, ParamSpec};
use super::tree::{HandlerInfo, NodeKind, Tree};

/// A schema and the named schemas it refers to.
#[derive(Clone)]
pub struct SchemaEntry {
    pub(crate) schema: RefOr<Schema>,
    pub(crate) components: Vec<(String, RefOr<Schema>)>,
}

/// Asks, at compile time, whether `T` has a schema (implements `utoipa::ToSchema`).
#[doc(hidden)]
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// A probe.
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The schema of a type that has one. Found before [`NoSchemaOf`] by method resolution
/// (`(&&Probe::<T>::new()).schema_of()`), when `T: ToSchema`.
#[doc(hidden)]
pub trait SchemaOf {
    /// The schema.
    fn schema_of(&self) -> Option<SchemaEntry>;
}

impl<T: utoipa::ToSchema> SchemaOf for &Probe<T> {
    fn schema_of(&self) -> Option<SchemaEntry> {
        let mut components = Vec::new();
        T::schemas(&mut components);
        let schema = T::schema();
        // A struct or an enum becomes a named component referred to by `$ref`; arrays and
        // scalars stay inline.
        let named = match &schema {
            RefOr::T(Schema::Object(o)) => !o.properties.is_empty(),
            RefOr::T(Schema::OneOf(_) | Schema::AllOf(_) | Schema::AnyOf(_)) => true,
            _ => false,
        };
        if named {
            let name = T::name().into_owned();
            components.push((name.clone(), schema));
            return Some(SchemaEntry {
                schema: RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name)),
                components,
            });
        }
        Some(SchemaEntry { schema, components })
    }
}

/// The fallback: a type without a schema.
#[doc(hidden)]
pub trait NoSchemaOf {
    /// No schema.
    fn schema_of(&self) -> Option<SchemaEntry> {
        None
    }
}

impl<T: ?Sized> NoSchemaOf for &&Probe<T> {}

/// What an extractor answers instead of letting the handler run, for the OpenAPI document
/// and the coverage report: each status with what it means. A handler taking the extractor
/// documents these statuses besides its own.
///
/// ```
/// use drupe::dev::Answers;
/// /// A handler argument: the caller's API key, or a 401.
/// struct ApiKey(String);
/// impl Answers for ApiKey {
///     const ANSWERS: &'static [(u16, &'static str)] = &[(401, "No API key, or an unknown one")];
/// }
/// assert_eq!(ApiKey::ANSWERS[0].0, 401);
/// ```
pub trait Answers {
    /// The statuses, each with its description.
    const ANSWERS: &'static [(u16, &'static str)];
}

/// The answers of an extractor that declares them ([`Answers`]). Found before
/// [`NoAnswersOf`] by method resolution, as [`SchemaOf`] is.
#[doc(hidden)]
pub trait AnswersOf {
    /// The answers.
    fn answers_of(&self) -> &'static [(u16, &'static str)];
}

impl<T: Answers> AnswersOf for &Probe<T> {
    fn answers_of(&self) -> &'static [(u16, &'static str)] {
        T::ANSWERS
    }
}

/// The fallback: an extractor that declares no answers of its own.
#[doc(hidden)]
pub trait NoAnswersOf {
    /// None.
    fn answers_of(&self) -> &'static [(u16, &'static str)] {
        &[]
    }
}

impl<T: ?Sized> NoAnswersOf for &&Probe<T> {}

/// How a handler answers on success, as its declaration tells.
#[derive(Clone, Default)]
pub(crate) enum Success {
    /// Unknown content (a custom `Responder`).
    #[default]
    Unknown,
    /// `text/plain`.
    Text,
    /// `text/html`.
    Html,
    /// JSON (a `Json<T>`, or a negotiated value outside `#[produces]`).
    Json(Option<SchemaEntry>),
    /// The value of a `#[produces]` handler, in each produced type.
    Negotiated(Option<SchemaEntry>),
    /// No content.
    Empty,
}

/// What generated code tells the documentation about one handler's types.
#[doc(hidden)]
#[derive(Clone)]
pub struct OperationDoc {
    pub(crate) body: Option<Option<SchemaEntry>>,
    pub(crate) success: Success,
    pub(crate) status: u16,
    /// What its extractors answer instead of it ([`Answers`]).
    pub(crate) answers: Vec<(u16, &'static str)>,
}

impl Default for OperationDoc {
    fn default() -> Self {
        Self {
            body: None,
            success: Success::Unknown,
            status: 200,
            answers: Vec::new(),
        }
    }
}

impl OperationDoc {
    /// The handler reads a typed body.
    pub fn request_body(&mut self, schema: Option<SchemaEntry>) {
        self.body = Some(schema);
    }
    /// What one of the handler's extractors answers instead of it.
    pub fn answers(&mut self, answers: &'static [(u16, &'static str)]) {
        self.answers.extend_from_slice(answers);
    }
    /// A `#[produces]` handler's value and success status.
    pub fn negotiated(&mut self, schema: Option<SchemaEntry>, status: u16) {
        self.success = Success::Negotiated(schema);
        self.status = status;
    }
    /// A JSON answer.
    pub fn json(&mut self, schema: Option<SchemaEntry>, status: u16) {
        self.success = Success::Json(schema);
        self.status = status;
    }
    /// A plain-text answer.
    pub fn text(&mut self) {
        self.success = Success::Text;
    }
    /// An HTML page.
    pub fn html(&mut self) {
        self.success = Success::Html;
    }
    /// An empty answer with this status.
    pub fn empty(&mut self, status: u16) {
        self.success = Success::Empty;
        self.status = status;
    }
    /// A redirect (`drupe::Redirect`): 303 by default, and the other statuses it may have.
    pub fn redirect(&mut self) {
        self.success = Success::Html;
        self.status = 303;
        self.answers(&[
            (301, "Moved Permanently: see Location."),
            (302, "Found: see Location."),
            (307, "Temporary Redirect: see Location."),
            (308, "Permanent Redirect: see Location."),
        ]);
    }
}

/// Where a parameter of a handler goes in the document.
pub(crate) struct Layout {
    /// The path template, e.g. `/blog/post/{year}/{slug}`.
    pub(crate) path: String,
    /// Parameters in the path, in order.
    pub(crate) in_path: Vec<&'static ParamSpec>,
    /// Parameters in the query.
    pub(crate) in_query: Vec<&'static ParamSpec>,
}

fn template_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

pub(crate) fn layout(tree: &Tree, h: &HandlerInfo) -> Layout {
    let node = tree.node(h.node());
    let is_default = h.name() == "default" && h.method().is_none();
    // A `default` answers below its node: `/blog/{path}`, not `/blog/default/...`.
    let mut path = if is_default {
        node.path().to_owned()
    } else {
        h.path().to_owned()
    };
    // A node's own `popargs` (without `then`) precede its index.
    if node.kind() == NodeKind::Controller
        && !node.popargs().is_empty()
        && h.name() == "index"
        && !node.children().iter().any(|c| tree.node(*c).is_hidden())
    {
        for n in node.popargs() {
            path.push('{');
            path.push_str(n);
            path.push_str("}/");
        }
    }
    let params: &'static [ParamSpec] = h.params();
    let templated: Vec<String> = template_names(&path)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut in_path: Vec<&'static ParamSpec> = Vec::new();
    let mut in_query = Vec::new();
    let mut positional_open = h.name() != "index";
    for p in params {
        match p.kind {
            ParamKind::Value if templated.iter().any(|t| t == p.name) => in_path.push(p),
            ParamKind::Value if positional_open && p.required && !p.is_upload() => {
                push_template(&mut path, p.name);
                in_path.push(p);
            }
            ParamKind::Value | ParamKind::Named => {
                positional_open = false;
                in_query.push(p);
            }
            ParamKind::Rest => {
                push_template(&mut path, p.name);
                in_path.push(p);
                positional_open = false;
            }
            ParamKind::Kwargs | ParamKind::Extractor | ParamKind::Body => {}
        }
    }
    // Hook parameters the handler does not take are still part of its path.
    for t in &templated {
        if !in_path.iter().any(|p| p.name == t) {
            in_path.push(&HOOK_STRING);
        }
    }
    Layout {
        path,
        in_path,
        in_query,
    }
}

/// Appends the segment `{name}` to a path template.
fn push_template(path: &mut String, name: &str) {
    if !path.ends_with('/') {
        path.push('/');
    }
    path.push('{');
    path.push_str(name);
    path.push('}');
}

static HOOK_STRING: ParamSpec = ParamSpec {
    name: "",
    kind: ParamKind::Value,
    type_name: "string",
    required: true,
    schema: || ParamSchema::String,
};

impl HandlerInfo {
    /// The documented path of the handler (`/blog/post/{year}/{slug}`).
    pub fn documented_path(&self, tree: &Tree) -> String {
        layout(tree, self).path
    }

    /// The methods the handler is documented under: a verb's own method; for the default
    /// dispatcher `GET`, plus `POST` when it reads a body or an upload.
    pub fn documented_methods(&self) -> Vec<&str> {
        match self.method() {
            Some(m) => vec![m.as_str()],
            None if self.reads_body() => vec!["GET", "POST"],
            None => vec!["GET"],
        }
    }

    /// Whether the handler reads a request body: a body extractor, or an uploaded file.
    pub fn reads_body(&self) -> bool {
        self.params()
            .iter()
            .any(|p| p.kind == ParamKind::Body || p.is_upload())
    }

    /// Whether one of the handler's extractors reads the body itself (`Body<T>`, `Json<T>`,
    /// `Multipart`): drupe then leaves a form body to it.
    pub fn extracts_body(&self) -> bool {
        self.params().iter().any(|p| p.kind == ParamKind::Body)
    }

    /// What the generated code tells about the handler's types.
    pub fn operation_doc(&self) -> OperationDoc {
        let mut doc = OperationDoc::default();
        (self.describe)(&mut doc);
        doc
    }

    /// Every status the handler can answer with, as documented: its success, its declared
    /// statuses, and those drupe answers for it (400/404/405/406/408/413/415).
    pub fn documented_statuses(&self) -> Vec<u16> {
        statuses(self, &self.operation_doc())
    }
}

pub(crate) fn statuses(h: &HandlerInfo, doc: &OperationDoc) -> Vec<u16> {
    // Any request may be malformed (a repeated parameter, too many fields, a bad header) or
    // name a parameter the handler does not take (a 404, as CherryPy answers it).
    let mut s = vec![doc.status, 400, 404];
    if h.method().is_some() {
        s.push(405);
    }
    if !h.produces().is_empty() {
        s.push(406);
    }
    let sends_body = h
        .method()
        .is_some_and(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH"));
    if doc.body.is_some() || h.reads_body() || sends_body {
        s.push(408);
        s.push(413);
        s.push(415);
    }
    s.extend_from_slice(h.statuses());
    s.extend(doc.answers.iter().map(|&(status, _)| status));
    s.sort_unstable();
    s.dedup();
    s
}
