//! One operation of the document: a handler's parameters, request body and responses.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, RefOr, Required, Schema};

use crate::dispatch::doc::{Layout, SchemaEntry, Success, statuses};
use crate::dispatch::param::{ParamSchema, ParamSpec};
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

pub(super) fn operation(
    h: &HandlerInfo,
    lay: &Layout,
    components: &mut BTreeMap<String, RefOr<Schema>>,
) -> Operation {
    let doc = h.operation_doc();
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
    let uploads: Vec<&ParamSpec> = h.params().iter().filter(|p| p.is_upload()).collect();
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
    let mut ok = ResponseBuilder::new().description(crate::http::reason(doc.status));
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
            other => crate::http::reason(other),
        };
        op = op.response(s.to_string(), error_response(what));
    }
    op.build()
}
