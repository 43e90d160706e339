//! OpenAPI 3.1, generated with utoipa from the compiled tree.
//!
//! This module owns the description of an application's HTTP surface: every exposed handler
//! and verb, its path and query parameters with their types, its request body, and each status
//! it can answer with each media type it can produce (404, 405, 406 included). It reads the
//! same [`Tree`] dispatch uses, so routing and documentation cannot drift apart. Schemas of
//! bodies and values come from `utoipa::ToSchema` where the types implement it (derive it);
//! other types are documented without a schema. The [`ApiDocs`] tool serves the document at
//! `/openapi.json` and a readable page at `/docs/` unless configured otherwise
//! (`[global] openapi.*`), to operators unless `openapi.public = true`.

use std::collections::BTreeMap;

use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, Paths, RefOr, Schema,
};

use actix_web::HttpResponse;

use crate::dispatch::doc::layout;
use crate::dispatch::tree::Tree;
use crate::tools::{Access, Build, NoSettings, Security, Tool};

mod operation;
mod page;

pub use crate::dispatch::doc::{NoSchemaOf, OperationDoc, Probe, SchemaEntry, SchemaOf};

use operation::{add_responses, operation, problem_schema};
use page::docs_page;

/// The OpenAPI document of `tree`, with what its handlers and the dispatcher answer (the
/// application's document also lists what its tools answer).
pub fn document(tree: &Tree, title: &str, version: &str) -> OpenApi {
    document_with(tree, title, version, &|_, _| Vec::new(), &|_, _| Vec::new())
}

/// What the tools on a path answer to a method: `(status, when)`.
type ToolResponses<'a> = dyn Fn(&str, &str) -> Vec<(u16, &'static str)> + 'a;

/// How the tools on a path ask callers of a method to prove who they are.
type ToolSecurity<'a> = dyn Fn(&str, &str) -> Vec<Security> + 'a;

/// The document, with `tool_responses(path, method)` added to each operation and
/// `tool_security(path, method)` as its security requirement.
fn document_with(
    tree: &Tree,
    title: &str,
    version: &str,
    tool_responses: &ToolResponses<'_>,
    tool_security: &ToolSecurity<'_>,
) -> OpenApi {
    let mut schemes: Vec<Security> = Vec::new();
    let mut components: BTreeMap<String, RefOr<Schema>> = BTreeMap::new();
    components.insert("Problem".to_owned(), problem_schema());
    let mut paths: BTreeMap<String, PathItem> = BTreeMap::new();
    for h in tree.handlers() {
        let lay = layout(tree, h);
        let doc = h.operation_doc();
        let op = operation(h, &doc, &lay, &mut components);
        let methods: Vec<HttpMethod> = match h.method() {
            Some(m) => http_method(m.as_str()).into_iter().collect(),
            None if h.reads_body() => vec![HttpMethod::Get, HttpMethod::Post],
            None => vec![HttpMethod::Get],
        };
        let item = paths.entry(lay.path.clone()).or_default();
        for m in methods {
            let mut op = op.clone();
            if h.method().is_none() && m == HttpMethod::Post {
                op.operation_id = op.operation_id.map(|id| id.replacen("get", "post", 1));
            }
            let method = if m == HttpMethod::Post {
                "POST"
            } else {
                h.method().map_or("GET", |x| x.as_str())
            };
            add_responses(&mut op, &tool_responses(&lay.path, method));
            add_responses(&mut op, &doc.answers);
            let security = tool_security(&lay.path, method);
            if !security.is_empty() {
                // Requirement objects are alternatives: any one scheme will do.
                op.security = Some(
                    security
                        .iter()
                        .map(|s| SecurityRequirement::new(scheme_name(*s), Vec::<String>::new()))
                        .collect(),
                );
                schemes.extend(security);
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
    schemes.sort();
    schemes.dedup();
    for s in schemes {
        let http = match s {
            Security::Basic => Http::new(HttpAuthScheme::Basic),
            Security::Bearer => Http::new(HttpAuthScheme::Bearer),
        };
        cb = cb.security_scheme(scheme_name(s), SecurityScheme::Http(http));
    }
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title(title).version(version).build())
        .paths(p)
        .components(Some(cb.build()))
        .build()
}

/// A scheme's name under `components.securitySchemes`.
fn scheme_name(s: Security) -> &'static str {
    match s {
        Security::Basic => "basicAuth",
        Security::Bearer => "bearerAuth",
    }
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

/// The `openapi` tool, which every application has: it serves the document and its page.
///
/// `[global] openapi.*`: `on` (default true), `path` (default `/openapi.json`), `docs_path`
/// (default `/docs/`; `""` for none), `public` (default false: operators only), `title`,
/// `version`.
///
/// ```
/// use drupe::{App, controller, testing::TestClient};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn index(&self) -> &'static str { "hi" }
/// }
/// # actix_web::rt::System::new().block_on(async {
/// let app = App::builder(Root)
///     .set_global("openapi.title", "My API")
///     .set_global("openapi.public", true)
///     .build()
///     .unwrap();
/// let c = TestClient::new(app).await;
/// c.get("/openapi.json").send().await.assert_status(200).assert_contains("My API");
/// # });
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct ApiDocs;

/// `[global] openapi.*`.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct OpenApiGlobal {
    on: bool,
    path: String,
    docs_path: String,
    public: bool,
    title: String,
    version: String,
}

impl Default for OpenApiGlobal {
    fn default() -> Self {
        Self {
            on: true,
            path: "/openapi.json".into(),
            docs_path: "/docs/".into(),
            public: false,
            title: "drupe application".into(),
            version: "1.0.0".into(),
        }
    }
}

impl Tool for ApiDocs {
    type Config = NoSettings;
    const NAME: &'static str = "openapi";

    fn on_build(&self, build: &mut Build<'_>) -> Result<(), crate::ConfigError> {
        let g: OpenApiGlobal = build.global("openapi")?;
        if !g.on {
            return Ok(());
        }
        let access = if g.public {
            Access::Public
        } else {
            Access::Operator
        };
        let doc = document_with(
            build.tree(),
            &g.title,
            &g.version,
            &|path, method| build.tool_responses(path, method),
            &|path, method| build.tool_security(path, method),
        );
        let json = bytes::Bytes::from(to_json(&doc));
        let html = bytes::Bytes::from(docs_page(&doc, &g.path));
        build.endpoint(g.path, access, move |_req, _payload| {
            let json = json.clone();
            Box::pin(async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(json)
            })
        })?;
        if g.docs_path.is_empty() {
            return Ok(());
        }
        build.endpoint(g.docs_path, access, move |_req, _payload| {
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
        })
    }
}
