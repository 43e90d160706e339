//! The readable page of the document, served at `/docs/`: every operation, its parameters and
//! its responses, rendered from `templates/docs.html` with minijinja (which escapes every value
//! for HTML). Server-rendered, with inline CSS, no script and nothing fetched from elsewhere.

use std::sync::LazyLock;

use minijinja::Environment;
use serde::Serialize;
use utoipa::openapi::path::{Operation, Parameter};
use utoipa::openapi::{OpenApi, RefOr, Required};

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // The crate's own template: one that does not parse is a fault the tests catch.
    env.add_template("docs.html", include_str!("templates/docs.html"))
        .expect("the docs template parses");
    env
});

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    version: &'a str,
    json_path: &'a str,
    operations: Vec<OperationView<'a>>,
}

#[derive(Serialize)]
struct OperationView<'a> {
    method: String,
    /// The colour of the method's badge.
    class: &'static str,
    path: &'a str,
    summary: &'a str,
    description: Option<&'a str>,
    parameters: Vec<ParameterView<'a>>,
    /// The request body's media types, when it has one.
    body: Option<String>,
    responses: Vec<ResponseView<'a>>,
}

#[derive(Serialize)]
struct ParameterView<'a> {
    name: &'a str,
    place: String,
    #[serde(rename = "type")]
    ty: String,
    required: bool,
}

#[derive(Serialize)]
struct ResponseView<'a> {
    status: &'a str,
    description: &'a str,
    types: String,
}

/// The page of `doc`, linking to the JSON document at `json_path`.
pub(super) fn docs_page(doc: &OpenApi, json_path: &str) -> String {
    let mut operations = Vec::new();
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
        for (method, op) in ops {
            if let Some(op) = op {
                operations.push(operation(method, path, op));
            }
        }
    }
    let page = PageView {
        title: &doc.info.title,
        version: &doc.info.version,
        json_path,
        operations,
    };
    ENV.get_template("docs.html")
        .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(&page))))
        .unwrap_or_else(|e| {
            tracing::error!("the API page could not be rendered: {e:#}");
            "<!DOCTYPE html>\n<p>The API page could not be rendered.</p>\n".to_owned()
        })
}

fn operation<'a>(method: &'static str, path: &'a str, op: &'a Operation) -> OperationView<'a> {
    let class = match method {
        "get" | "post" | "put" | "delete" | "patch" => method,
        _ => "other",
    };
    let parameters = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(parameter(p)),
            RefOr::Ref(_) => None,
        })
        .collect();
    let body = match &op.request_body {
        Some(RefOr::T(body)) => Some(
            body.content
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    };
    let responses = op
        .responses
        .responses
        .iter()
        .map(|(status, r)| match r {
            RefOr::T(r) => ResponseView {
                status,
                description: &r.description,
                types: r
                    .content
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            RefOr::Ref(_) => ResponseView {
                status,
                description: "",
                types: String::new(),
            },
        })
        .collect();
    OperationView {
        method: method.to_uppercase(),
        class,
        path,
        summary: op.summary.as_deref().unwrap_or(""),
        description: op.description.as_deref(),
        parameters,
        body,
        responses,
    }
}

/// A parameter's name, place, type (with its format) and whether it is required.
fn parameter(p: &Parameter) -> ParameterView<'_> {
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
    ParameterView {
        name: &p.name,
        place,
        ty,
        required: matches!(p.required, Required::True),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_escapes_what_the_document_says() {
        let mut doc = utoipa::openapi::OpenApiBuilder::new()
            .info(
                utoipa::openapi::InfoBuilder::new()
                    .title("<b>A&B</b>")
                    .version("1")
                    .build(),
            )
            .build();
        doc.paths.paths.insert(
            "/x/{id}".to_owned(),
            utoipa::openapi::PathItem::new(
                utoipa::openapi::path::HttpMethod::Get,
                utoipa::openapi::path::OperationBuilder::new()
                    .summary(Some("<script>alert(1)</script>"))
                    .build(),
            ),
        );
        let html = super::docs_page(&doc, "/openapi.json");
        // minijinja escapes `/` too (`&#x2f;`): a browser shows it as one.
        assert!(
            html.contains("&lt;b&gt;A&amp;B&lt;&#x2f;b&gt; — API"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("<span class=\"m get\">GET</span> <code>&#x2f;x&#x2f;{id}</code>"),
            "{html}"
        );
    }
}
