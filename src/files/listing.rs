//! A directory's listing (`tools.staticdir.listing`): an HTML page of its entries.
//!
//! Names are escaped for HTML and percent-encoded in links, so a file named
//! `<script>…` is text, not markup; entries a request could not reach (hidden ones unless
//! shown, names refused by [`super::resolve::segment`]) are left out.

use std::path::Path;

use actix_web::HttpResponse;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::http::escape_html;

/// What a link's path segment escapes: everything but RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The listing of `dir`, requested at `path` (which ends with `/`).
pub(super) fn page(path: &str, dir: &Path, show_hidden: bool) -> HttpResponse {
    let mut names: Vec<(String, bool)> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let raw = utf8_percent_encode(&name, SEGMENT).to_string();
                super::resolve::segment(&raw, show_hidden).ok()?;
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                Some((name, is_dir))
            })
            .collect(),
        Err(e) => {
            return HttpResponse::from_error(crate::HttpError::internal(format!(
                "listing {}: {e}",
                dir.display()
            )));
        }
    };
    names.sort();
    let title = escape_html(&percent_encoding::percent_decode_str(path).decode_utf8_lossy());
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {title}</title>\
         </head>\n<body><h1>Index of {title}</h1>\n<ul>\n"
    );
    if path != "/" {
        html.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for (name, is_dir) in names {
        let slash = if is_dir { "/" } else { "" };
        html.push_str(&format!(
            "<li><a href=\"{}{slash}\">{}{slash}</a></li>\n",
            utf8_percent_encode(&name, SEGMENT),
            escape_html(&name)
        ));
    }
    html.push_str("</ul>\n</body></html>\n");
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}
