//! One operation of the document: a handler's parameters, request body and responses.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::{ContentBuilder, RefOr, Required, Schema};

use crate::dispatch::doc::{Layout, OperationDoc, SchemaEntry, Success, statuses};
use crate::dispatch::param::{ParamKind, ParamSchema, ParamSpec};
use crate::dispatch::tree::HandlerInfo;

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

pub(super) fn problem_schema() -> RefOr<Schema> {
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

/// The operation of handler `h` at its place `lay` in the tree; the schemas it names are
/// added to `components`.
pub(super) fn operation(
    h: &HandlerInfo,
    doc: &OperationDoc,
    lay: &Layout,
    components: &mut BTreeMap<String, RefOr<Schema>>,
) -> Operation {
    let mut add = |e: &Option<SchemaEntry>| -> Option<RefOr<Schema>> {
        let e = e.as_ref()?;
        for (n, s) in &e.components {
            components.entry(n.clone()).or_insert_with(|| s.clone());
        }
        Some(e.schema.clone())
    };
    let mut op = header(h, lay);
    for p in parameters(h, lay, doc) {
        op = op.parameter(p);
    }
    if let Some(body) = request_body(h, lay, doc, &mut add) {
        op = op.request_body(Some(body));
    }
    op = op.response(doc.status.to_string(), success(h, doc, &mut add));
    for s in statuses(h, doc) {
        // An extractor's answers come after the tools' (`add_responses`): a tool that
        // answers the same status runs first, and its description is the one a client meets.
        if s != doc.status && !doc.answers.iter().any(|a| a.0 == s) {
            op = op.response(s.to_string(), other_response(s, describe(s)));
        }
    }
    op.build()
}

/// Adds `responses` (what the tools on the operation's path, or the handler's extractors,
/// answer themselves) but for the statuses the operation documents already.
pub(super) fn add_responses(op: &mut Operation, responses: &[(u16, &'static str)]) {
    for &(status, what) in responses {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(other_response(status, what)));
    }
}

/// What a status other than the success means, said once for every operation.
fn describe(status: u16) -> &'static str {
    match status {
        400 => "A parameter, a header or the body is malformed, or there are too many fields",
        404 => {
            "Nothing answers this path, the query names a parameter the handler does not \
                take, or the handler found nothing"
        }
        405 => "The resource does not answer this method (see `Allow`)",
        406 => "None of the produced media types is acceptable",
        408 => "The body did not arrive in time",
        413 => "The body, or its number of fields, is larger than the limit",
        415 => "The body's media type is not supported",
        other => crate::http::reason(other),
    }
}

/// A response other than the success: an error with its negotiated bodies, or a body-less
/// answer (a redirect, a 304).
fn other_response(status: u16, what: &str) -> utoipa::openapi::Response {
    if status >= 400 {
        error_response(what)
    } else {
        ResponseBuilder::new().description(what).build()
    }
}

/// Summary, description, operation id and tag.
fn header(h: &HandlerInfo, lay: &Layout) -> OperationBuilder {
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
    OperationBuilder::new()
        .summary(Some(summary))
        .description(description)
        .operation_id(Some(op_id))
        .tag(tag)
}

/// For POST, PUT and PATCH, named values come from the form body (CherryPy's body
/// parameters); for other methods, from the query string.
fn form_fields<'a>(
    h: &HandlerInfo,
    lay: &'a Layout,
    doc: &OperationDoc,
) -> Vec<&'a &'static ParamSpec> {
    let method_name = h.method().map_or("GET", |m| m.as_str());
    if matches!(method_name, "POST" | "PUT" | "PATCH") && doc.body.is_none() {
        lay.in_query.iter().collect()
    } else {
        Vec::new()
    }
}

/// The path parameters, then the query's.
fn parameters(
    h: &HandlerInfo,
    lay: &Layout,
    doc: &OperationDoc,
) -> Vec<utoipa::openapi::path::Parameter> {
    let mut out = Vec::new();
    for p in &lay.in_path {
        let name = if p.name.is_empty() { "segment" } else { p.name };
        out.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(format!("{} (from the path)", p.type_name)))
                .schema(Some(param_schema((p.schema)())))
                .build(),
        );
    }
    let form = form_fields(h, lay, doc);
    for p in lay
        .in_query
        .iter()
        .filter(|p| !form.iter().any(|f| f.name == p.name))
    {
        out.push(
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
    out
}

/// The request body: a typed body, or a form (multipart when it has uploads).
fn request_body(
    h: &HandlerInfo,
    lay: &Layout,
    doc: &OperationDoc,
    add: &mut impl FnMut(&Option<SchemaEntry>) -> Option<RefOr<Schema>>,
) -> Option<utoipa::openapi::request_body::RequestBody> {
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
        return Some(rb.build());
    }
    let uploads: Vec<&ParamSpec> = h.params().iter().filter(|p| p.is_upload()).collect();
    let form = form_fields(h, lay, doc);
    if uploads.is_empty() && form.is_empty() {
        return None;
    }
    let mut obj = ObjectBuilder::new();
    for p in form.iter().map(|p| **p).chain(
        uploads
            .iter()
            .copied()
            .filter(|u| !form.iter().any(|f| f.name == u.name)),
    ) {
        obj = obj.property(p.name, param_schema((p.schema)()));
        if p.required {
            obj = obj.required(p.name);
        }
    }
    // Without a `Kwargs` argument, a field the handler does not take is a 400.
    if !h.params().iter().any(|p| p.kind == ParamKind::Kwargs) {
        obj = obj.additional_properties(Some(AdditionalProperties::FreeForm(false)));
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
    Some(rb.build())
}

/// The success response: its media types with their schemas, `Location` for a 201, `Vary`
/// for a negotiated one.
fn success(
    h: &HandlerInfo,
    doc: &OperationDoc,
    add: &mut impl FnMut(&Option<SchemaEntry>) -> Option<RefOr<Schema>>,
) -> utoipa::openapi::Response {
    let text = || {
        ContentBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build()
    };
    let mut ok = ResponseBuilder::new().description(crate::http::reason(doc.status));
    match &doc.success {
        Success::Unknown | Success::Empty => {}
        Success::Text => ok = ok.content("text/plain", text()),
        Success::Html => ok = ok.content("text/html", text()),
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
                    text()
                };
                ok = ok.content(m.as_str(), c);
            }
        }
    }
    let string_header = |description: &str| {
        utoipa::openapi::HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .description(Some(description))
            .build()
    };
    if doc.status == 201 {
        ok = ok.header(
            "Location",
            string_header("The absolute URL of the new resource"),
        );
    }
    if !h.produces().is_empty() {
        ok = ok.header("Vary", string_header("Accept"));
    }
    ok.build()
}
