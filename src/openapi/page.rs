//! The readable page of the document, served at `/docs/`.

use utoipa::openapi::{OpenApi, RefOr, Required};

/// A readable page of the document: every operation, its parameters and its responses.
/// Server-rendered HTML with inline CSS, no script and nothing fetched from elsewhere.
pub(super) fn docs_page(doc: &OpenApi, json_path: &str) -> String {
    use crate::http::escape_html as e;
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
