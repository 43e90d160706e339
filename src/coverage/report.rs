//! The coverage report: server-rendered HTML, usable without JavaScript.
//!
//! Two panes, after CherryPy's covercp: the tree on the left (nodes with their percentage,
//! coloured below the threshold; handlers with their methods), the chosen handler's detail on
//! the right (requests, statuses declared and seen, media types, cache outcomes, latency).
//! Without a choice, the right pane lists what was never exercised. The same renderer writes a
//! static, self-contained page for CI artefacts ([`render_static`]).

use std::fmt::Write;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

use super::data::{CoverageData, HandlerData, MethodData, pct};
use super::{Coverage, ReportSettings};
use crate::http::escape_html as esc;

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// How the page links: to a live report under `base`, or within one static file.
enum Mode<'a> {
    /// `token` is the reset form's token.
    Live {
        base: &'a str,
        token: &'a str,
    },
    Static,
}

struct View<'a> {
    data: &'a CoverageData,
    threshold: f64,
    exclude: Vec<String>,
    selected: Option<usize>,
    file: Option<&'a str>,
    mode: Mode<'a>,
}

impl View<'_> {
    fn excluded(&self, path: &str) -> bool {
        self.exclude
            .iter()
            .any(|e| !e.is_empty() && path.contains(e.as_str()))
    }

    fn class(&self, pct: f64) -> &'static str {
        if pct + 1e-9 < self.threshold {
            "low"
        } else {
            "ok"
        }
    }

    fn link_handler(&self, i: usize) -> String {
        match self.mode {
            Mode::Live { base, .. } => {
                let mut q = format!("{base}?handler={i}&threshold={}", self.threshold);
                if !self.exclude.is_empty() {
                    q.push_str("&exclude=");
                    q.push_str(&urlencode(&self.exclude.join("|")));
                }
                q
            }
            Mode::Static => format!("#h{i}"),
        }
    }

    fn link_file(&self, f: &str) -> String {
        match self.mode {
            Mode::Live { base, .. } => format!("{base}?file={}", urlencode(f)),
            Mode::Static => format!("#f-{}", urlencode(f)),
        }
    }
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn pct_text(p: f64) -> String {
    format!("{:.0}%", p.floor())
}

/// The live report's answers under its mount.
pub(super) async fn respond(
    coverage: &Coverage,
    settings: &ReportSettings,
    base: &str,
    token: &str,
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
) -> HttpResponse {
    let rest = req.path().strip_prefix(base).unwrap_or("");
    let html_headers = |mut b: actix_web::HttpResponseBuilder| {
        b.insert_header(("x-content-type-options", "nosniff"))
            .insert_header((
                "content-security-policy",
                "default-src 'none'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
            ))
            .insert_header(("cache-control", "no-store"));
        b
    };
    match (req.method().clone(), rest) {
        (Method::GET | Method::HEAD, "" | "index.html") => {
            let q = query(req.query_string());
            let data = coverage.snapshot();
            let view = View {
                data: &data,
                threshold: q
                    .get("threshold")
                    .and_then(|t| t.parse().ok())
                    .filter(|t: &f64| (0.0..=100.0).contains(t))
                    .unwrap_or(settings.threshold),
                exclude: q
                    .get("exclude")
                    .map(|e| e.split('|').map(str::to_owned).collect())
                    .unwrap_or_default(),
                selected: q
                    .get("handler")
                    .and_then(|h| h.parse().ok())
                    .filter(|i| *i < data.handlers.len()),
                file: q.get("file").map(String::as_str),
                mode: Mode::Live { base, token },
            };
            html_headers(HttpResponse::Ok())
                .content_type(mime::TEXT_HTML_UTF_8)
                .body(page(&view))
        }
        (Method::GET | Method::HEAD, "data.json") => HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .content_type(mime::APPLICATION_JSON)
            .body(serde_json::to_string(&coverage.snapshot()).unwrap_or_default()),
        (Method::GET | Method::HEAD, "profile.profraw") => match super::lines::raw_profile() {
            Some(raw) => HttpResponse::Ok()
                .insert_header(("cache-control", "no-store"))
                .content_type("application/octet-stream")
                .body(raw),
            None => HttpResponse::NotFound()
                .body("This build does not record source lines (see scripts/line-coverage/)."),
        },
        (Method::POST, "reset") => match reset_allowed(token, req, payload).await {
            Ok(()) => {
                coverage.reset();
                HttpResponse::SeeOther()
                    .insert_header(("location", base.to_owned()))
                    .finish()
            }
            Err(why) => HttpResponse::Forbidden()
                .insert_header(("cache-control", "no-store"))
                .content_type(mime::TEXT_PLAIN_UTF_8)
                .body(why),
        },
        (_, "reset") => HttpResponse::MethodNotAllowed()
            .insert_header(("allow", "POST"))
            .body("Reset with POST."),
        (Method::GET | Method::HEAD, "report.css") => HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .body(CSS),
        (Method::GET | Method::HEAD, "report.js") => HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .body(JS),
        _ => HttpResponse::build(StatusCode::NOT_FOUND)
            .body(format!("The path '{}' was not found.", req.path())),
    }
}

/// A reset comes from the report page itself: a browser's request from another site says so
/// (`Sec-Fetch-Site`), and only the page carries the token (a form field `token`).
async fn reset_allowed(
    token: &str,
    req: &HttpRequest,
    mut payload: actix_web::dev::Payload,
) -> Result<(), &'static str> {
    if let Some(site) = req.headers().get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return Err("A reset comes from the report page, not from another site.");
    }
    const REFUSED: &str = "A reset needs the token of the report page (its Reset button).";
    let body = crate::body::read_bytes(req, &mut payload, 4096)
        .await
        .map_err(|_| REFUSED)?;
    let mut pairs = smallvec::SmallVec::new();
    let _ =
        crate::dispatch::path::parse_query(std::str::from_utf8(&body).unwrap_or(""), &mut pairs);
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_bytes());
    match sent {
        Some(sent) if !token.is_empty() && constant_time_eq(sent, token.as_bytes()) => Ok(()),
        _ => Err(REFUSED),
    }
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn query(q: &str) -> std::collections::HashMap<String, String> {
    let mut out = smallvec::SmallVec::<[_; 8]>::new();
    let _ = crate::dispatch::path::parse_query(q, &mut out);
    out.into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A self-contained page (styles inline, every handler's detail on the page) from merged
/// data, for CI artefacts.
pub fn render_static(data: &CoverageData, threshold: f64) -> String {
    page(&View {
        data,
        threshold,
        exclude: Vec::new(),
        selected: None,
        file: None,
        mode: Mode::Static,
    })
}

fn page(v: &View<'_>) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let t = v.data.totals_under("/");
    let head_assets = match v.mode {
        Mode::Live { base, .. } => format!(
            "<link rel=\"stylesheet\" href=\"{b}report.css\">\n<script src=\"{b}report.js\" defer></script>",
            b = esc(base)
        ),
        Mode::Static => format!("<style>\n{CSS}</style>"),
    };
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>API coverage</title>\n{head_assets}\n</head>\n<body data-threshold=\"{th}\">\n\
         <header class=\"top\">\n<div class=\"title\"><h1>API coverage</h1>\n\
         <p class=\"totals\"><span class=\"big {c1}\" id=\"total-pct\">{p1}</span> of declared \
         (handler, method) pairs exercised ({e}/{pairs}) · <span class=\"{c2}\">{p2}</span> of \
         declared statuses seen ({s}/{sd}) · {hits} requests</p></div>",
        th = v.threshold,
        c1 = v.class(t.percent()),
        p1 = pct_text(t.percent()),
        e = t.exercised,
        pairs = t.pairs,
        c2 = v.class(t.outcome_percent()),
        p2 = pct_text(t.outcome_percent()),
        s = t.statuses_seen,
        sd = t.statuses,
        hits = t.hits,
    );
    if let Mode::Live { base, token } = v.mode {
        let b = esc(base);
        let _ = writeln!(
            out,
            "<form class=\"opts\" method=\"get\" action=\"{b}\">\n\
             <label>Colour below <input name=\"threshold\" id=\"threshold\" type=\"number\" min=\"0\" max=\"100\" step=\"1\" value=\"{th}\">%</label>\n\
             <label>Exclude <input name=\"exclude\" id=\"exclude\" type=\"search\" value=\"{ex}\" placeholder=\"/_admin/|/health\"></label>",
            th = v.threshold,
            ex = esc(&v.exclude.join("|")),
        );
        if let Some(i) = v.selected {
            let _ = writeln!(
                out,
                "<input type=\"hidden\" name=\"handler\" value=\"{i}\">"
            );
        }
        let _ = writeln!(
            out,
            "<button type=\"submit\">Change view</button>\n</form>\n\
             <nav class=\"actions\"><a href=\"{b}data.json\">data.json</a>\n\
             <form method=\"post\" action=\"{b}reset\"><input type=\"hidden\" name=\"token\" value=\"{t}\">\
             <button type=\"submit\" class=\"danger\">Reset</button></form></nav>",
            t = esc(token),
        );
    }
    out.push_str(
        "</header>\n<div class=\"split\">\n<nav class=\"tree\" aria-label=\"The tree\">\n",
    );
    tree(v, &mut out);
    out.push_str("</nav>\n<main class=\"detail\" id=\"detail\">\n");
    match (&v.mode, v.selected) {
        (Mode::Live { .. }, Some(i)) => detail(i, &v.data.handlers[i], &mut out),
        (Mode::Live { .. }, None) => overview(v, &mut out),
        (Mode::Static, _) => {
            overview(v, &mut out);
            for (i, h) in v.data.handlers.iter().enumerate() {
                detail(i, h, &mut out);
            }
        }
    }
    out.push_str("</main>\n</div>\n");
    lines(v, &mut out);
    let _ = writeln!(
        out,
        "<footer>drupe {} · counts since start or the last reset</footer>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    out
}

fn method_badges(h: &HandlerData, out: &mut String) {
    for m in &h.declared_methods {
        let hit = h.called_with(m);
        let _ = write!(
            out,
            "<span class=\"verb {}\" title=\"{}\">{}</span>",
            if hit { "hit" } else { "miss" },
            if hit { "exercised" } else { "never exercised" },
            esc(m)
        );
    }
}

fn tree(v: &View<'_>, out: &mut String) {
    fn node(v: &View<'_>, path: &str, depth: usize, out: &mut String) {
        if v.excluded(path) {
            return;
        }
        let t = v.data.totals_under(path);
        let label = if depth == 0 {
            "/".to_owned()
        } else {
            let trimmed = path.trim_end_matches('/');
            format!("{}/", trimmed.rsplit('/').next().unwrap_or(trimmed))
        };
        let _ = writeln!(
            out,
            "<li class=\"node\" data-path=\"{p}\"><div class=\"row\"><span class=\"path\">{l}</span>\
             <span class=\"pct {c}\" data-pct=\"{pv}\">{pt}</span></div>\n<ul>",
            p = esc(path),
            l = esc(&label),
            c = v.class(t.percent()),
            pv = t.percent(),
            pt = pct_text(t.percent()),
        );
        for (i, h) in v.data.handlers.iter().enumerate() {
            if h.node != path || v.excluded(&h.path) {
                continue;
            }
            let hp = pct(h.exercised_methods(), h.declared_methods.len());
            let _ = write!(
                out,
                "<li class=\"handler{sel}\" data-path=\"{p}\"><a href=\"{href}\">",
                sel = if v.selected == Some(i) {
                    " selected"
                } else {
                    ""
                },
                p = esc(&h.path),
                href = esc(&v.link_handler(i)),
            );
            method_badges(h, out);
            let _ = writeln!(
                out,
                " <span class=\"name\">{}</span></a><span class=\"pct {}\" data-pct=\"{hp}\">{}</span></li>",
                esc(&h.name),
                v.class(hp),
                pct_text(hp)
            );
        }
        let children: Vec<&str> = v
            .data
            .nodes
            .iter()
            .filter(|n| n.parent.as_deref() == Some(path))
            .map(|n| n.path.as_str())
            .collect();
        for c in children {
            node(v, c, depth + 1, out);
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("<ul class=\"root\">\n");
    if let Some(root) = v.data.nodes.iter().find(|n| n.parent.is_none()) {
        node(v, &root.path, 0, out);
    }
    out.push_str("</ul>\n");
}

fn overview(v: &View<'_>, out: &mut String) {
    out.push_str("<section class=\"overview\"><h2>What was never exercised</h2>\n");
    let mut never = String::new();
    for (i, h) in v.data.handlers.iter().enumerate() {
        if v.excluded(&h.path) {
            continue;
        }
        for m in &h.declared_methods {
            if !h.called_with(m) {
                let _ = writeln!(
                    never,
                    "<li><a href=\"{}\"><span class=\"verb miss\">{}</span> <code>{}</code></a></li>",
                    esc(&v.link_handler(i)),
                    esc(m),
                    esc(&h.path)
                );
            }
        }
    }
    if never.is_empty() {
        out.push_str("<p class=\"good\">Every declared handler and method was called.</p>\n");
    } else {
        let _ = writeln!(out, "<ul class=\"never\">\n{never}</ul>");
    }
    out.push_str("<h2>Statuses never seen</h2>\n");
    let mut unseen = String::new();
    for (i, h) in v.data.handlers.iter().enumerate() {
        if v.excluded(&h.path) || h.hits() == 0 {
            continue;
        }
        for s in &h.declared_statuses {
            if !h.answered(*s) {
                // The verbs tell apart two handlers on one path (method dispatcher).
                unseen.push_str("<li>");
                method_badges(h, &mut unseen);
                let _ = writeln!(
                    unseen,
                    " <a href=\"{}\"><code>{}</code></a>: its {s} {} was never tested</li>",
                    esc(&v.link_handler(i)),
                    esc(&h.path),
                    reason(*s)
                );
            }
        }
    }
    if unseen.is_empty() {
        out.push_str(
            "<p class=\"good\">Every documented status of the called handlers was seen.</p>\n",
        );
    } else {
        let _ = writeln!(out, "<ul class=\"never\">\n{unseen}</ul>");
    }
    let misses: Vec<_> = v
        .data
        .nodes
        .iter()
        .filter(|n| !n.not_found.is_empty() || !n.not_allowed.is_empty())
        .collect();
    if !misses.is_empty() {
        out.push_str("<h2>Requests no handler answered</h2>\n<table><tr><th>under</th><th>404 (nothing there)</th><th>405 (method)</th></tr>\n");
        for n in misses {
            let fmt = |m: &std::collections::BTreeMap<String, u64>| {
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&n.path),
                esc(&fmt(&n.not_found)),
                esc(&fmt(&n.not_allowed))
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}

fn detail(i: usize, h: &HandlerData, out: &mut String) {
    let _ = write!(
        out,
        "<section class=\"handler-detail\" id=\"h{i}\" data-handler=\"{i}\">\n<h2>",
    );
    method_badges(h, out);
    let _ = writeln!(
        out,
        " <code>{}</code></h2>\n<p class=\"meta\">handler <code>{}</code> · {} dispatcher · {} requests</p>",
        esc(&h.path),
        esc(&h.name),
        esc(&h.dispatcher),
        h.hits()
    );
    // Statuses: declared ones first, each with its count; then undeclared ones seen.
    out.push_str("<h3>Statuses</h3>\n<table class=\"statuses\"><tr><th>status</th><th>count</th><th></th></tr>\n");
    let mut seen_statuses: std::collections::BTreeMap<u16, u64> = Default::default();
    for m in h.methods.values() {
        for (s, n) in &m.statuses {
            *seen_statuses.entry(*s).or_default() += n;
        }
    }
    for s in &h.declared_statuses {
        let n = seen_statuses.get(s).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "<tr class=\"{}\" data-status=\"{s}\"><td>{s} {}</td><td class=\"count\">{n}</td><td>{}</td></tr>",
            if n > 0 { "seen" } else { "unseen" },
            reason(*s),
            if n > 0 { "" } else { "never tested" }
        );
    }
    for (s, n) in &seen_statuses {
        if !h.declared_statuses.contains(s) {
            let _ = writeln!(
                out,
                "<tr class=\"undeclared\" data-status=\"{s}\"><td>{s} {}</td><td class=\"count\">{n}</td><td>not documented</td></tr>",
                reason(*s)
            );
        }
    }
    out.push_str("</table>\n");
    if h.methods.is_empty() {
        out.push_str("<p class=\"warn\">Never called.</p>\n");
    }
    for (m, d) in &h.methods {
        method_detail(m, d, out);
    }
    out.push_str("</section>\n");
}

fn reason(s: u16) -> &'static str {
    StatusCode::from_u16(s)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

fn method_detail(m: &str, d: &MethodData, out: &mut String) {
    let _ = writeln!(
        out,
        "<div class=\"method\" data-method=\"{m}\"><h3>{m}: <span class=\"count\">{}</span> requests</h3>\n<dl>",
        d.hits,
        m = esc(m)
    );
    let list = |map: &std::collections::BTreeMap<String, u64>| {
        map.iter()
            .map(|(k, v)| format!("{} {v}", esc(k)))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    if !d.media.is_empty() {
        let _ = writeln!(out, "<dt>representations</dt><dd>{}</dd>", list(&d.media));
    }
    if !d.cache.is_empty() {
        let _ = writeln!(
            out,
            "<dt>cache</dt><dd class=\"cache\">{}</dd>",
            list(&d.cache)
        );
    }
    if let (Some(p50), Some(p90), Some(p99)) =
        (d.latency_ms(0.5), d.latency_ms(0.9), d.latency_ms(0.99))
    {
        let _ = writeln!(
            out,
            "<dt>latency</dt><dd>p50 {p50:.2} ms · p90 {p90:.2} ms · p99 {p99:.2} ms</dd>"
        );
    }
    out.push_str("</dl></div>\n");
}

fn lines(v: &View<'_>, out: &mut String) {
    let Some(lines) = &v.data.lines else {
        return;
    };
    out.push_str("<section class=\"lines\"><h2>Source lines</h2>\n<table><tr><th>file</th><th>lines</th><th>covered</th></tr>\n");
    for (f, l) in &lines.files {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td><span class=\"pct {}\">{:.1}%</span></td></tr>",
            esc(&v.link_file(f)),
            esc(f),
            l.lines.len(),
            v.class(l.percent()),
            l.percent()
        );
    }
    out.push_str("</table>\n");
    let files: Vec<&String> = match (&v.mode, v.file) {
        (Mode::Live { .. }, Some(f)) => lines.files.keys().filter(|k| k.as_str() == f).collect(),
        (Mode::Static, _) => lines.files.keys().collect(),
        _ => Vec::new(),
    };
    for f in files {
        // Only files the coverage data names are ever read.
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let counts = &lines.files[f].lines;
        let _ = writeln!(
            out,
            "<h3 id=\"f-{}\"><code>{}</code></h3>\n<table class=\"source\">",
            esc(&urlencode(f)),
            esc(f)
        );
        for (n, line) in text.lines().enumerate() {
            let n = n as u32 + 1;
            let (class, count) = match counts.get(&n) {
                Some(0) => ("notcovered", "0".to_owned()),
                Some(c) => ("covered", c.to_string()),
                None => ("plain", String::new()),
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td class=\"n\">{n}</td><td class=\"c\">{count}</td><td><pre>{}</pre></td></tr>",
                esc(line)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</section>\n");
}
