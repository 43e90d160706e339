//! The coverage report: server-rendered HTML, usable without JavaScript.
//!
//! Two panes, after CherryPy's covercp: the tree on the left (nodes with their percentage,
//! coloured below the threshold; handlers with their methods), the chosen handler's detail on
//! the right (requests, statuses declared and seen, media types, cache outcomes, latency).
//! Without a choice, the right pane lists what was never exercised. The same templates write a
//! static, self-contained page for CI artefacts ([`render_static`]).
//!
//! This module owns the page's templates (`../templates/`, one per part of the page, rendered
//! by minijinja with HTML auto-escaping: nothing from the data reaches the page unescaped), the
//! view model they read (`view` and one module per part) and the live endpoints (`serve`).

use std::sync::LazyLock;

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use super::data::CoverageData;

mod detail;
mod overview;
mod serve;
mod source;
mod tree;
mod view;

pub(super) use serve::respond;
use view::{Mode, View};

const STYLESHEET: &str = include_str!("../assets/report.css");
const SCRIPT: &str = include_str!("../assets/report.js");

/// The templates, by name; `.html`, so minijinja escapes every value for HTML.
const TEMPLATES: [(&str, &str); 7] = [
    ("base.html", include_str!("../templates/base.html")),
    ("tree.html", include_str!("../templates/tree.html")),
    ("overview.html", include_str!("../templates/overview.html")),
    ("detail.html", include_str!("../templates/detail.html")),
    ("source.html", include_str!("../templates/source.html")),
    ("verbs.html", include_str!("../templates/verbs.html")),
    ("failure.html", include_str!("../templates/failure.html")),
];

/// Shown when even `failure.html` cannot be rendered.
const LAST_RESORT: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
    <title>API coverage</title></head>\n\
    <body><p>The report could not be rendered.</p></body></html>\n";

/// The environment, built on first use. A template that does not parse is a fault of this
/// crate, which the tests catch.
static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters");
    env.set_syntax(syntax);
    // A misspelt field fails the rendering instead of showing nothing.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // The static page's stylesheet: the crate's own file, not data.
    env.add_global("stylesheet", Value::from_safe_string(STYLESHEET.to_owned()));
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("the coverage template {name}: {e:#}"));
    }
    env
});

/// A self-contained page (styles inline, every handler's detail on the page) from merged
/// data, for CI artefacts. Should the page fail to render (a fault of drupe's, logged), the
/// page returned says so instead.
///
/// ```
/// let data = drupe::coverage::Coverage::new().snapshot();
/// let html = drupe::coverage::render_static(&data, 80.0);
/// assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<style>"));
/// ```
pub fn render_static(data: &CoverageData, threshold: f64) -> String {
    let view = View {
        data,
        threshold,
        exclude: Vec::new(),
        selected: None,
        file: None,
        mode: Mode::Static,
    };
    render(&view).unwrap_or_else(|failure| failure)
}

/// The page for `view`, or else a page saying why there is none (the error is logged).
fn render(view: &View<'_>) -> Result<String, String> {
    let page = view::page(view);
    ENV.get_template("base.html")
        .and_then(|t| t.render(Value::from(Serde(&page))))
        .map_err(|e| {
            tracing::error!("the coverage report could not be rendered: {e:#}");
            ENV.get_template("failure.html")
                .and_then(|t| t.render(context! { error => e.to_string() }))
                .unwrap_or_else(|_| LAST_RESORT.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::super::data::{HandlerData, MethodData, NodeData};
    use super::super::lines::{FileLines, LineData};
    use super::*;

    /// Two handlers on the root, one called; line counts for this file and `lib.rs`.
    fn data() -> CoverageData {
        let handler = |name: &str, hits| HandlerData {
            path: format!("/{name}"),
            name: name.into(),
            verb: None,
            dispatcher: "default".into(),
            node: "/".into(),
            declared_methods: vec!["GET".into()],
            declared_statuses: vec![200, 404],
            methods: if hits > 0 {
                [(
                    "GET".to_owned(),
                    MethodData {
                        hits,
                        statuses: [(200, hits)].into(),
                        ..Default::default()
                    },
                )]
                .into()
            } else {
                Default::default()
            },
        };
        let file = |name: &str| {
            let path = format!("{}/src/{name}", env!("CARGO_MANIFEST_DIR"));
            (
                path,
                FileLines {
                    lines: [(1, 3), (2, 0)].into(),
                },
            )
        };
        CoverageData {
            version: 1,
            nodes: vec![NodeData {
                path: "/".into(),
                kind: "controller".into(),
                ..Default::default()
            }],
            handlers: vec![handler("shown", 2), handler("hidden", 0)],
            lines: Some(LineData {
                files: [file("coverage/report/mod.rs"), file("lib.rs")].into(),
            }),
        }
    }

    fn live<'a>(data: &'a CoverageData, selected: Option<usize>, file: Option<&'a str>) -> String {
        render(&View {
            data,
            threshold: 80.0,
            exclude: Vec::new(),
            selected,
            file,
            mode: Mode::Live {
                base: "/_coverage/",
                token: "t0ken",
            },
        })
        .expect("the live page renders")
    }

    #[test]
    fn the_live_page_shows_the_overview_or_the_chosen_handler() {
        let data = data();
        let overview = live(&data, None, None);
        assert!(
            overview.contains("<section class=\"overview\">"),
            "{overview}"
        );
        assert!(!overview.contains("handler-detail"), "{overview}");
        assert!(
            overview.contains("name=\"token\" value=\"t0ken\""),
            "{overview}"
        );
        let chosen = live(&data, Some(0), None);
        assert!(!chosen.contains("<section class=\"overview\">"), "{chosen}");
        assert!(
            chosen.contains("id=\"h0\"") && !chosen.contains("id=\"h1\""),
            "{chosen}"
        );
        assert!(
            chosen.contains("<input type=\"hidden\" name=\"handler\" value=\"0\">"),
            "{chosen}"
        );
        assert!(chosen.contains("<td class=\"count\">2</td>"), "{chosen}");
    }

    #[test]
    fn the_live_page_lists_the_lines_of_the_chosen_file_only() {
        let data = data();
        let named = |end: &str| {
            let files = &data.lines.as_ref().unwrap().files;
            files.keys().find(|f| f.ends_with(end)).unwrap().clone()
        };
        let (this, lib) = (named("report/mod.rs"), named("lib.rs"));
        let none = live(&data, None, None);
        assert!(none.contains("<section class=\"lines\">"), "{none}");
        assert!(!none.contains("<table class=\"source\">"), "{none}");
        let chosen = live(&data, None, Some(&this));
        assert_eq!(chosen.matches("<table class=\"source\">").count(), 1);
        assert!(
            chosen.contains("<tr class=\"covered\"><td class=\"n\">1</td><td class=\"c\">3</td>")
        );
        assert!(
            chosen
                .contains("<tr class=\"notcovered\"><td class=\"n\">2</td><td class=\"c\">0</td>")
        );
        assert!(chosen.contains("the_live_page_lists_the_lines_of_the_chosen_file_only"));
        assert!(!chosen.contains(&format!("<code>{}</code>", lib.replace('/', "&#x2f;"))));
        // A file the data does not name is never read.
        let other = live(&data, None, Some("/etc/passwd"));
        assert!(!other.contains("<table class=\"source\">"), "{other}");
    }

    #[test]
    fn the_static_page_holds_every_detail_and_file_and_no_script() {
        let data = data();
        let page = render_static(&data, 80.0);
        assert!(
            page.contains("<style>\n/* drupe's coverage report"),
            "{page}"
        );
        assert!(
            !page.contains("<script") && !page.contains("<form"),
            "{page}"
        );
        assert!(page.contains("<section class=\"overview\">"), "{page}");
        assert!(
            page.contains("id=\"h0\"") && page.contains("id=\"h1\""),
            "{page}"
        );
        assert_eq!(page.matches("<table class=\"source\">").count(), 2);
        assert!(page.contains("<a href=\"#h1\">"), "{page}");
    }
}
