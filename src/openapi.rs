//! OpenAPI 3.1, generated with utoipa from the compiled tree.
//!
//! This module owns the description of an application's HTTP surface: every exposed handler
//! and verb, its path and query parameters with their types, its request body, and each status
//! it can answer with each media type it can produce (404, 405, 406 included). It reads the
//! same [`Tree`] dispatch uses, so routing and documentation cannot drift apart. Schemas of
//! bodies and values come from `utoipa::ToSchema` where the types implement it (derive it);
//! other types are documented without a schema. The document is served at `/openapi.json`
//! unless configured otherwise (`[global] openapi.path`, `openapi.on`), to loopback clients
//! unless `openapi.public = true`.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, Paths,
    RefOr, Required, Schema,
};

use crate::dispatch::param::{ParamKind, ParamSchema, ParamSpec};
use crate::dispatch::tree::{HandlerInfo, NodeKind, Tree};

/// A schema and the named schemas it refers to.
#[derive(Clone)]
pub struct SchemaEntry {
    schema: RefOr<Schema>,
    components: Vec<(String, RefOr<Schema>)>,
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

/// How a handler answers on success, as its declaration tells.
#[derive(Clone, Default)]
enum Success {
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
    body: Option<Option<SchemaEntry>>,
    success: Success,
    status: u16,
}

impl Default for OperationDoc {
    fn default() -> Self {
        Self {
            body: None,
            success: Success::Unknown,
            status: 200,
        }
    }
}

impl OperationDoc {
    /// The handler reads a typed body.
    pub fn request_body(&mut self, schema: Option<SchemaEntry>) {
        self.body = Some(schema);
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
}

/// Where a parameter of a handler goes in the document.
struct Layout {
    /// The path template, e.g. `/blog/post/{year}/{slug}`.
    path: String,
    /// Parameters in the path, in order.
    in_path: Vec<&'static ParamSpec>,
    /// Parameters in the query.
    in_query: Vec<&'static ParamSpec>,
}

fn template_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn layout(tree: &Tree, h: &HandlerInfo) -> Layout {
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
            ParamKind::Value if positional_open && p.required && p.type_name != "file" => {
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

fn param_schema(s: ParamSchema) -> RefOr<Schema> {
    match s {
        ParamSchema::Integer { signed, bits } => {
            let mut b = ObjectBuilder::new().schema_type(Type::Integer);
            b = b.format(Some(SchemaFormat::KnownFormat(if bits > 32 {
                KnownFormat::Int64
            } else {
                KnownFormat::Int32
            })));
            if !signed {
                b = b.minimum(Some(0));
            }
            if bits < 64 {
                let max: i128 = if signed {
                    (1i128 << (bits - 1)) - 1
                } else {
                    (1i128 << bits) - 1
                };
                b = b.maximum(Some(max as f64));
                if signed {
                    b = b.minimum(Some(-(max as f64) - 1.0));
                }
            }
            b.into()
        }
        ParamSchema::Number => ObjectBuilder::new()
            .schema_type(Type::Number)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
            .into(),
        ParamSchema::Boolean => ObjectBuilder::new().schema_type(Type::Boolean).into(),
        ParamSchema::String => ObjectBuilder::new().schema_type(Type::String).into(),
        ParamSchema::Array(item) => ArrayBuilder::new().items(param_schema(item())).into(),
        ParamSchema::Binary => ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into(),
        ParamSchema::Object | ParamSchema::None => ObjectBuilder::new().into(),
    }
}

fn problem_ref() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))
}

fn problem_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .description(Some("Problem details (RFC 9457)"))
        .property("type", ObjectBuilder::new().schema_type(Type::String))
        .property("title", ObjectBuilder::new().schema_type(Type::String))
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("detail", ObjectBuilder::new().schema_type(Type::String))
        .property("instance", ObjectBuilder::new().schema_type(Type::String))
        .required("title")
        .required("status")
        .required("detail")
        .into()
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(problem_ref())).build(),
        )
        .content(
            "text/plain",
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        )
        .content(
            "text/html",
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        )
        .build()
}

fn reason(status: u16) -> &'static str {
    actix_web::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// The documented path of a handler (`/blog/post/{year}/{slug}`).
pub fn handler_path(tree: &Tree, h: &HandlerInfo) -> String {
    layout(tree, h).path
}

/// The methods a handler is documented under: a verb's own method; for the default
/// dispatcher `GET`, plus `POST` when it reads a body or an upload.
pub fn handler_methods(h: &HandlerInfo) -> Vec<String> {
    match h.method() {
        Some(m) => vec![m.as_str().to_owned()],
        None => {
            let mut v = vec!["GET".to_owned()];
            if reads_body(h) {
                v.push("POST".to_owned());
            }
            v
        }
    }
}

fn reads_body(h: &HandlerInfo) -> bool {
    h.params()
        .iter()
        .any(|p| p.kind == ParamKind::Body || p.type_name == "file")
}

/// Every status a handler can answer with, as documented: its success, its declared
/// statuses, and those the framework answers for it (400/404/405/406/413/415).
pub fn handler_statuses(tree: &Tree, h: &HandlerInfo) -> Vec<u16> {
    let mut doc = OperationDoc::default();
    (h.describe)(&mut doc);
    statuses(h, &layout(tree, h), &doc)
}

fn statuses(h: &HandlerInfo, lay: &Layout, doc: &OperationDoc) -> Vec<u16> {
    let mut s = vec![doc.status];
    if !lay.in_path.is_empty() || !lay.in_query.is_empty() || doc.body.is_some() {
        s.push(400);
    }
    if !lay.in_path.is_empty() {
        s.push(404);
    }
    if h.method().is_some() {
        s.push(405);
    }
    if !h.produces().is_empty() {
        s.push(406);
    }
    if doc.body.is_some() || h.params().iter().any(|p| p.type_name == "file") {
        s.push(413);
        s.push(415);
    }
    s.extend_from_slice(h.statuses());
    s.sort_unstable();
    s.dedup();
    s
}

fn operation(
    h: &HandlerInfo,
    lay: &Layout,
    components: &mut BTreeMap<String, RefOr<Schema>>,
) -> Operation {
    let mut doc = OperationDoc::default();
    (h.describe)(&mut doc);
    let mut add = |e: &Option<SchemaEntry>| -> Option<RefOr<Schema>> {
        let e = e.as_ref()?;
        for (n, s) in &e.components {
            components.entry(n.clone()).or_insert_with(|| s.clone());
        }
        Some(e.schema.clone())
    };
    let (summary, description) = match h.doc().split_once("\n\n") {
        Some((a, b)) => (a.replace('\n', " "), Some(b.to_owned())),
        None if h.doc().is_empty() => (h.name().replace('_', " "), None),
        None => (h.doc().replace('\n', " "), None),
    };
    let method = h.method().map_or("get", |m| m.as_str());
    let op_id: String = format!("{}{}", method.to_ascii_lowercase(), lay.path)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .trim_end_matches('_')
        .to_owned();
    let tag = lay
        .path
        .split('/')
        .find(|s| !s.is_empty() && !s.starts_with('{'))
        .unwrap_or("root")
        .to_owned();
    let mut op = OperationBuilder::new()
        .summary(Some(summary))
        .description(description)
        .operation_id(Some(op_id))
        .tag(tag);
    for p in &lay.in_path {
        let name = if p.name.is_empty() { "segment" } else { p.name };
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(format!("{} (from the path)", p.type_name)))
                .schema(Some(param_schema((p.schema)())))
                .build(),
        );
    }
    let method_name = h.method().map_or("GET", |m| m.as_str());
    let form_method = matches!(method_name, "POST" | "PUT" | "PATCH");
    let uploads: Vec<&ParamSpec> = h
        .params()
        .iter()
        .filter(|p| p.type_name == "file")
        .collect();
    // For POST, PUT and PATCH, named values come from the form body (CherryPy's body
    // parameters); for other methods, from the query string.
    let form_fields: Vec<&&'static ParamSpec> = if form_method && doc.body.is_none() {
        lay.in_query.iter().collect()
    } else {
        Vec::new()
    };
    for p in lay
        .in_query
        .iter()
        .filter(|p| !form_fields.iter().any(|f| f.name == p.name))
    {
        op = op.parameter(
            ParameterBuilder::new()
                .name(p.name)
                .parameter_in(ParameterIn::Query)
                .required(if p.required {
                    Required::True
                } else {
                    Required::False
                })
                .schema(Some(param_schema((p.schema)())))
                .build(),
        );
    }
    // Request body: a typed body, or a form (multipart when it has uploads).
    if let Some(body) = &doc.body {
        let schema = add(body).unwrap_or_else(|| ObjectBuilder::new().into());
        let mut rb = RequestBodyBuilder::new().required(Some(Required::True));
        for ct in [
            "application/json",
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ] {
            rb = rb.content(
                ct,
                ContentBuilder::new().schema(Some(schema.clone())).build(),
            );
        }
        op = op.request_body(Some(rb.build()));
    } else if !uploads.is_empty() || !form_fields.is_empty() {
        let mut obj = ObjectBuilder::new();
        for p in form_fields.iter().map(|p| **p).chain(
            uploads
                .iter()
                .copied()
                .filter(|u| !form_fields.iter().any(|f| f.name == u.name)),
        ) {
            obj = obj.property(p.name, param_schema((p.schema)()));
            if p.required {
                obj = obj.required(p.name);
            }
        }
        let schema = RefOr::T(Schema::Object(obj.build()));
        let mut rb = RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content(
                "multipart/form-data",
                ContentBuilder::new().schema(Some(schema.clone())).build(),
            );
        if uploads.is_empty() {
            rb = rb.content(
                "application/x-www-form-urlencoded",
                ContentBuilder::new().schema(Some(schema)).build(),
            );
        }
        op = op.request_body(Some(rb.build()));
    }
    // Success.
    let mut ok = ResponseBuilder::new().description(reason(doc.status));
    match &doc.success {
        Success::Unknown => {}
        Success::Text => {
            ok = ok.content(
                "text/plain",
                ContentBuilder::new()
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build(),
            );
        }
        Success::Html => {
            ok = ok.content("text/html", ContentBuilder::new().build());
        }
        Success::Json(e) => {
            ok = ok.content(
                "application/json",
                ContentBuilder::new().schema(add(e)).build(),
            );
        }
        Success::Negotiated(e) => {
            let schema = add(e);
            for m in h.produces() {
                let structured = m.as_str().contains("json") || m.as_str().ends_with("/xml");
                let c = if structured {
                    ContentBuilder::new().schema(schema.clone()).build()
                } else {
                    ContentBuilder::new().build()
                };
                ok = ok.content(m.as_str(), c);
            }
        }
        Success::Empty => {}
    }
    if doc.status == 201 {
        ok = ok.header(
            "Location",
            utoipa::openapi::HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some("The absolute URL of the new resource"))
                .build(),
        );
    }
    if !h.produces().is_empty() {
        ok = ok.header(
            "Vary",
            utoipa::openapi::HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some("Accept"))
                .build(),
        );
    }
    op = op.response(doc.status.to_string(), ok.build());
    for s in statuses(h, lay, &doc) {
        if s == doc.status {
            continue;
        }
        let what = match s {
            400 => "A parameter or the body is malformed",
            404 => "Nothing answers this path (or the handler found nothing)",
            405 => "The resource does not answer this method (see `Allow`)",
            406 => "None of the produced media types is acceptable",
            413 => "The body is larger than the limit",
            415 => "The body's media type is not supported",
            other => reason(other),
        };
        op = op.response(s.to_string(), error_response(what));
    }
    op.build()
}

/// The OpenAPI document of `tree`.
pub fn document(tree: &Tree, title: &str, version: &str) -> OpenApi {
    let mut components: BTreeMap<String, RefOr<Schema>> = BTreeMap::new();
    components.insert("Problem".to_owned(), problem_schema());
    let mut paths: BTreeMap<String, PathItem> = BTreeMap::new();
    for h in tree.handlers() {
        let lay = layout(tree, h);
        let op = operation(h, &lay, &mut components);
        let methods: Vec<HttpMethod> = match h.method() {
            Some(m) => http_method(m.as_str()).into_iter().collect(),
            None if reads_body(h) => vec![HttpMethod::Get, HttpMethod::Post],
            None => vec![HttpMethod::Get],
        };
        let item = paths.entry(lay.path.clone()).or_default();
        for m in methods {
            let mut op = op.clone();
            if h.method().is_none() && m == HttpMethod::Post {
                op.operation_id = op.operation_id.map(|id| id.replacen("get", "post", 1));
            }
            item.merge_operations(PathItem::new(m, op));
        }
    }
    let mut p = Paths::new();
    for (path, item) in paths {
        p.paths.insert(path, item);
    }
    let mut cb = ComponentsBuilder::new();
    for (n, s) in components {
        cb = cb.schema(n, s);
    }
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title(title).version(version).build())
        .paths(p)
        .components(Some(cb.build()))
        .build()
}

fn http_method(m: &str) -> Option<HttpMethod> {
    Some(match m {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        "PATCH" => HttpMethod::Patch,
        "OPTIONS" => HttpMethod::Options,
        "HEAD" => HttpMethod::Head,
        "TRACE" => HttpMethod::Trace,
        _ => return None,
    })
}

/// The document as pretty JSON with a trailing newline (what `/openapi.json` serves).
pub fn to_json(doc: &OpenApi) -> String {
    let mut s = doc
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The OpenAPI document and the docs page as endpoints, from `[global] openapi.*`:
/// `on` (default true), `path` (default `/openapi.json`), `docs_path` (default `/docs/`),
/// `public` (default false: loopback clients only), `title`, `version`.
pub(crate) fn endpoints(
    tree: &std::sync::Arc<Tree>,
    config: &crate::Config,
) -> Result<Vec<crate::app::Endpoint>, crate::ConfigError> {
    use actix_web::HttpResponse;
    let get = |k: &str| config.global(&format!("openapi.{k}"));
    let bad = |k: &str, m: &str| crate::ConfigError::Setting {
        path: "global".into(),
        key: format!("openapi.{k}"),
        message: m.into(),
    };
    let flag = |k: &str, default: bool| match get(k) {
        None => Ok(default),
        Some(toml::Value::Boolean(b)) => Ok(*b),
        Some(_) => Err(bad(k, "expected true or false")),
    };
    let text = |k: &str, default: &str| match get(k) {
        None => Ok(default.to_owned()),
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad(k, "expected a string")),
    };
    if !flag("on", true)? {
        return Ok(Vec::new());
    }
    let public = flag("public", false)?;
    let path = text("path", "/openapi.json")?;
    let docs_path = text("docs_path", "/docs/")?;
    let title = text("title", "drupe application")?;
    let version = text("version", "1.0.0")?;
    let doc = document(tree, &title, &version);
    let json = bytes::Bytes::from(to_json(&doc));
    let html = bytes::Bytes::from(docs_page(&doc, &path));
    let mut out = vec![crate::app::Endpoint {
        path,
        public,
        handler: std::sync::Arc::new(move |_req, _payload| {
            let json = json.clone();
            Box::pin(async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(json)
            })
        }),
    }];
    if !docs_path.is_empty() {
        out.push(crate::app::Endpoint {
            path: docs_path,
            public,
            handler: std::sync::Arc::new(move |_req, _payload| {
                let html = html.clone();
                Box::pin(async move {
                    HttpResponse::Ok()
                        .content_type(mime::TEXT_HTML_UTF_8)
                        .insert_header(("x-content-type-options", "nosniff"))
                        .insert_header((
                            "content-security-policy",
                            "default-src 'none'; style-src 'unsafe-inline'",
                        ))
                        .body(html)
                })
            }),
        });
    }
    Ok(out)
}

/// A readable page of the document: every operation, its parameters and its responses.
/// Server-rendered HTML with inline CSS, no script and nothing fetched from elsewhere.
pub(crate) fn docs_page(doc: &OpenApi, json_path: &str) -> String {
    use crate::error::escape_html as e;
    use std::fmt::Write;
    let mut out = String::new();
    let title = e(&doc.info.title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — API</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{font:15px/1.5 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}}\
         header{{background:#6b1d2a;color:#fff;padding:1.2em 2em}}header a{{color:#ffd7df}}\
         main{{max-width:60em;margin:0 auto;padding:1em 2em}}\
         section{{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em 1.2em}}\
         .m{{display:inline-block;min-width:4.5em;font:bold 13px monospace;padding:.15em .5em;border-radius:3px;color:#fff;text-align:center}}\
         .get{{background:#2f7d32}}.post{{background:#1f5fa8}}.put{{background:#a86a1f}}.delete{{background:#a8281f}}.patch{{background:#6b4aa8}}.other{{background:#666}}\
         code{{font-size:14px}}table{{border-collapse:collapse;margin:.4em 0}}td,th{{border-bottom:1px solid #eee;padding:.2em .8em .2em 0;text-align:left;vertical-align:top}}\
         th{{font-weight:600;color:#555}}</style></head><body>\
         <header><h1>{title}</h1><p>Version {v} · the machine-readable document: <a href=\"{j}\">{j}</a></p></header><main>",
        v = e(&doc.info.version),
        j = e(json_path),
    );
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
            ("options", &item.options),
            ("head", &item.head),
        ];
        for (m, op) in ops {
            let Some(op) = op else { continue };
            let class = if matches!(m, "get" | "post" | "put" | "delete" | "patch") {
                m
            } else {
                "other"
            };
            let _ = write!(
                out,
                "<section><h2><span class=\"m {class}\">{}</span> <code>{}</code></h2><p>{}</p>",
                m.to_uppercase(),
                e(path),
                e(op.summary.as_deref().unwrap_or(""))
            );
            if let Some(d) = &op.description {
                let _ = write!(out, "<p>{}</p>", e(d));
            }
            if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
                out.push_str(
                    "<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>",
                );
                for p in params.iter().filter_map(|p| match p {
                    RefOr::T(p) => Some(p),
                    RefOr::Ref(_) => None,
                }) {
                    let ty = p
                        .schema
                        .as_ref()
                        .and_then(|s| serde_json::to_value(s).ok())
                        .map(|v| {
                            let t = v
                                .get("type")
                                .and_then(|t| t.as_str())
                                .unwrap_or("any")
                                .to_owned();
                            match v.get("format").and_then(|f| f.as_str()) {
                                Some(f) => format!("{t} ({f})"),
                                None => t,
                            }
                        })
                        .unwrap_or_default();
                    let place = serde_json::to_value(&p.parameter_in)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        e(&p.name),
                        e(&place),
                        e(&ty),
                        if matches!(p.required, Required::True) {
                            "yes"
                        } else {
                            "no"
                        }
                    );
                }
                out.push_str("</table>");
            }
            if let Some(RefOr::T(body)) = &op.request_body {
                let types: Vec<&str> = body.content.keys().map(String::as_str).collect();
                let _ = write!(out, "<p>Body: {}</p>", e(&types.join(", ")));
            }
            out.push_str("<table><tr><th>status</th><th>meaning</th><th>media types</th></tr>");
            for (status, r) in &op.responses.responses {
                let (desc, types) = match r {
                    RefOr::T(r) => (
                        r.description.clone(),
                        r.content.keys().cloned().collect::<Vec<_>>().join(", "),
                    ),
                    RefOr::Ref(_) => (String::new(), String::new()),
                };
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    e(status),
                    e(&desc),
                    e(&types)
                );
            }
            out.push_str("</table></section>");
        }
    }
    out.push_str("</main></body></html>\n");
    out
}
