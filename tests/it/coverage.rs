//! The coverage recorder: counts per handler and method, the report's numbers, access,
//! reset, persistence and merging.

use std::net::SocketAddr;

use drupe::coverage::{Coverage, CoverageData};
use drupe::testing::TestClient;
use drupe::{App, HttpError, Negotiated, controller, resource};

struct Root {
    items: Items,
}

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "index"
    }

    #[expose]
    #[produces(json, xml)]
    #[status(404)]
    fn thing(&self, n: u32) -> Result<Negotiated<u32>, HttpError> {
        if n == 0 {
            Err(HttpError::not_found("no thing 0"))
        } else {
            Ok(Negotiated::new(n))
        }
    }

    #[expose]
    fn never(&self) -> &'static str {
        "never called"
    }

    #[mount]
    fn items(&self) -> &Items {
        &self.items
    }
}

struct Items;

#[resource]
impl Items {
    fn get(&self) -> &'static str {
        "items"
    }
    fn post(&self) -> &'static str {
        "created"
    }
}

fn app(coverage: &Coverage) -> App {
    App::builder(Root { items: Items })
        .tool(coverage.clone())
        .set("/", "tools.coverage.on", true)
        .build()
        .unwrap()
}

#[actix_web::test]
async fn the_recorder_counts_what_the_tree_declares() {
    let coverage = Coverage::new();
    let c = TestClient::new(app(&coverage)).await;
    c.get("/").send().await.assert_status(200);
    c.get("/thing/1")
        .accept("application/xml")
        .send()
        .await
        .assert_status(200);
    c.get("/thing/2").send().await.assert_status(200);
    c.get("/thing/0").send().await.assert_status(404);
    c.get("/thing/x").send().await.assert_status(404);
    c.get("/items").send().await.assert_status(200);
    c.request(actix_web::http::Method::PUT, "/items")
        .send()
        .await
        .assert_status(405);
    c.get("/nowhere/at/all").send().await.assert_status(404);
    let data = coverage.snapshot();
    let thing = data.handlers.iter().find(|h| h.name == "thing").unwrap();
    let get = &thing.methods["GET"];
    assert_eq!(get.hits, 4);
    assert_eq!(get.statuses, [(200, 2), (404, 2)].into());
    assert_eq!(
        get.media,
        [
            ("application/json".to_owned(), 1),
            ("application/xml".to_owned(), 1)
        ]
        .into()
    );
    assert_eq!(get.latency.values().sum::<u64>(), 4);
    assert!(get.latency_ms(0.5).is_some());
    assert_eq!(thing.path, "/thing/{n}");
    assert!(thing.declared_statuses.contains(&404) && thing.declared_statuses.contains(&406));
    // Declared pairs: index GET, thing GET, never GET, items GET and POST: 3 of 5 exercised.
    let t = data.totals_under("/");
    assert_eq!((t.exercised, t.pairs), (3, 5));
    let items = data.nodes.iter().find(|n| n.path == "/items/").unwrap();
    assert_eq!(items.not_allowed, [("PUT".to_owned(), 1)].into());
    // The root's default is absent: the 404 of the walk counts at the deepest node.
    let root = data.nodes.iter().find(|n| n.path == "/").unwrap();
    assert_eq!(root.not_found, [("GET".to_owned(), 1)].into());
}

#[actix_web::test]
async fn the_report_shows_what_was_never_exercised() {
    let coverage = Coverage::new();
    let c = TestClient::new(app(&coverage)).await;
    c.get("/thing/3").send().await.assert_status(200);
    let page = c.get("/_coverage/").send().await;
    page.assert_status(200)
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_header("x-content-type-options", "nosniff")
        .assert_contains("What was never exercised")
        // minijinja escapes `/` in values as `&#x2f;`, which the browser decodes.
        .assert_contains("<code>&#x2f;never</code>")
        .assert_contains("its 404 Not Found was never tested");
    // The page keeps to its policy: its own stylesheet and script, nothing inline.
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = page.text();
    assert!(
        !html.contains("<style") && !html.contains(" style="),
        "{html}"
    );
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(
        html.contains("<script src=\"&#x2f;_coverage&#x2f;report.js\" defer></script>"),
        "{html}"
    );
    let idx = coverage
        .snapshot()
        .handlers
        .iter()
        .position(|h| h.name == "thing")
        .unwrap();
    c.get(&format!("/_coverage/?handler={idx}"))
        .send()
        .await
        .assert_contains("<td class=\"count\">1</td>")
        .assert_contains("never tested");
    c.get("/_coverage/report.css")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "text/css; charset=utf-8");
    let json: CoverageData = c.get("/_coverage/data.json").send().await.json();
    assert_eq!(json, coverage.snapshot());
}

#[actix_web::test]
async fn the_view_follows_its_query() {
    let coverage = Coverage::new();
    let c = TestClient::new(app(&coverage)).await;
    c.get("/").send().await.assert_status(200);
    // 1 of 5 declared pairs: below the default threshold (80), not below 20.
    let low = "<span class=\"big low\" id=\"total-pct\">20%</span>";
    let ok = "<span class=\"big ok\" id=\"total-pct\">20%</span>";
    c.get("/_coverage/").send().await.assert_contains(low);
    c.get("/_coverage/?threshold=20")
        .send()
        .await
        .assert_contains(ok)
        .assert_contains(
            "id=\"threshold\" type=\"number\" min=\"0\" max=\"100\" step=\"1\" value=\"20\"",
        );
    // Out of range: the configured one.
    c.get("/_coverage/?threshold=150")
        .send()
        .await
        .assert_contains(low);
    // Excluded paths leave the tree and the overview; the links to details keep the filter.
    let page = c
        .get("/_coverage/?exclude=%2Fnever%7C%2Fitems")
        .send()
        .await
        .text();
    for gone in [
        "<code>&#x2f;never</code>",
        "data-path=\"&#x2f;never\"",
        "data-path=\"&#x2f;items&#x2f;\"",
    ] {
        assert!(!page.contains(gone), "{gone} in {page}");
    }
    assert!(
        page.contains("data-path=\"&#x2f;thing&#x2f;{n}\""),
        "{page}"
    );
    assert!(
        page.contains("&amp;threshold=80&amp;exclude=%2Fnever%7C%2Fitems\""),
        "{page}"
    );
    // A handler that does not exist: the overview.
    c.get("/_coverage/?handler=99")
        .send()
        .await
        .assert_status(200)
        .assert_contains("What was never exercised");
}

/// What a hostile name could hold: a quote of each kind, a tag, a script.
const HOSTILE: &str = "/\"'><script>alert(1)</script>";
/// `HOSTILE` escaped for HTML, as minijinja writes it.
const ESCAPED: &str = "&#x2f;&quot;&#x27;&gt;&lt;script&gt;alert(1)&lt;&#x2f;script&gt;";

/// The part of `html` from `start` to the next `end`.
fn part<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"));
    let to = from + start.len();
    let len = html[to..].find(end).expect("the part ends");
    &html[from..to + len]
}

/// Data in which every name holds `HOSTILE`: a node, two handlers under it (the called one
/// answered with a media type `text/"'><script>…`), a source file; and the line counts of
/// `listing`, a file that exists.
fn hostile_data(listing: &std::path::Path) -> CoverageData {
    use drupe::coverage::lines::{FileLines, LineData};
    use drupe::coverage::{HandlerData, MethodData, NodeData};
    let node = format!("{HOSTILE}/");
    let called = MethodData {
        hits: 1,
        statuses: [(200, 1)].into(),
        media: [(format!("text{HOSTILE}"), 1)].into(),
        ..Default::default()
    };
    let handler = |name: &str, method: &str, methods| HandlerData {
        path: format!("{node}{name}"),
        name: name.to_owned(),
        verb: None,
        dispatcher: "default".into(),
        node: node.clone(),
        declared_methods: vec![method.to_owned()],
        declared_statuses: vec![200, 404],
        methods,
    };
    CoverageData {
        version: 1,
        nodes: vec![
            NodeData {
                path: "/".into(),
                kind: "controller".into(),
                ..Default::default()
            },
            NodeData {
                path: node.clone(),
                kind: "controller".into(),
                parent: Some("/".into()),
                not_found: [("GET".to_owned(), 1)].into(),
                ..Default::default()
            },
        ],
        handlers: vec![
            handler("show", "GET", [("GET".to_owned(), called)].into()),
            handler("remove", "DELETE", Default::default()),
        ],
        lines: Some(LineData {
            files: [
                (HOSTILE.to_owned(), FileLines::default()),
                (
                    listing.to_str().unwrap().to_owned(),
                    FileLines {
                        lines: [(1, 1)].into(),
                    },
                ),
            ]
            .into(),
        }),
    }
}

#[test]
fn names_from_the_data_are_escaped_wherever_the_page_shows_them() {
    // A source file whose text would close the listing and open a script.
    let listing = crate::blog::temp_dir("cov-escape").join("listing.rs");
    std::fs::write(&listing, "let s = \"</pre><script>alert(2)</script>\";\n").unwrap();
    let html = drupe::coverage::render_static(&hostile_data(&listing), 80.0);
    // Nothing from the data opened an element or closed an attribute.
    assert!(
        !html.contains("<script") && !html.contains("\"'>"),
        "{html}"
    );
    for (shown_in, start, end) in [
        ("the tree", "<nav class=\"tree\"", "</nav>"),
        ("never exercised", "<h2>What was never exercised", "<h2>"),
        ("statuses never seen", "<h2>Statuses never seen", "<h2>"),
        (
            "requests no handler answered",
            "<h2>Requests no",
            "</table>",
        ),
        (
            "the detail",
            "<section class=\"handler-detail\"",
            "</section>",
        ),
        ("the source files", "<section class=\"lines\">", "</table>"),
    ] {
        assert!(
            part(&html, start, end).contains(ESCAPED),
            "{shown_in}: {html}"
        );
    }
    let detail = part(&html, "<section class=\"handler-detail\"", "</section>");
    assert!(
        detail.contains(&format!("<dd>text{ESCAPED} 1</dd>")),
        "{detail}"
    );
    let source = part(&html, "<table class=\"source\">", "</table>");
    assert!(
        source.contains("<pre>let s = &quot;&lt;&#x2f;pre&gt;&lt;script&gt;alert(2)"),
        "{source}"
    );
}

#[actix_web::test]
async fn the_query_is_escaped_on_the_live_page() {
    let coverage = Coverage::new();
    let c = TestClient::new(app(&coverage)).await;
    let hostile = "%2F%22%27%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let page = c
        .get(&format!(
            "/_coverage/?exclude={hostile}&file={hostile}&handler={hostile}&threshold={hostile}"
        ))
        .send()
        .await;
    page.assert_status(200);
    let html = page.text();
    // The page's own script only; the filter shown in its box, escaped.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(
        html.contains(&format!(
            "name=\"exclude\" id=\"exclude\" type=\"search\" value=\"{ESCAPED}\""
        )),
        "{html}"
    );
}

/// The reset form's token, as the report page carries it.
fn reset_token(page: &str) -> String {
    let at = page
        .find("name=\"token\" value=\"")
        .expect("the page has a reset form with its token");
    let rest = &page[at + "name=\"token\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[actix_web::test]
async fn reset_clears_and_requires_post_with_the_pages_token() {
    let coverage = Coverage::new();
    let c = TestClient::new(app(&coverage)).await;
    c.get("/").send().await.assert_status(200);
    assert_eq!(coverage.snapshot().totals_under("/").hits, 1);
    c.get("/_coverage/reset").send().await.assert_status(405);
    // A form on another page (or site) posting to the reset has no token: refused.
    for body in ["", "token=", "token=0123456789abcdef0123456789abcdef"] {
        c.post("/_coverage/reset")
            .body("application/x-www-form-urlencoded", body)
            .send()
            .await
            .assert_status(403)
            .assert_text("A reset needs the token of the report page (its Reset button).");
    }
    assert_eq!(coverage.snapshot().totals_under("/").hits, 1);
    let token = reset_token(&c.get("/_coverage/").send().await.text());
    assert_eq!(token.len(), 32);
    // The token, sent by a page of another site: refused too.
    c.post("/_coverage/reset")
        .header("sec-fetch-site", "cross-site")
        .form(&[("token", &token)])
        .send()
        .await
        .assert_status(403)
        .assert_text("A reset comes from the report page, not from another site.");
    assert_eq!(coverage.snapshot().totals_under("/").hits, 1);
    // The report page's own button.
    c.post("/_coverage/reset")
        .header("sec-fetch-site", "same-origin")
        .form(&[("token", &token)])
        .send()
        .await
        .assert_status(303)
        .assert_header("location", "/_coverage/");
    assert_eq!(coverage.snapshot().totals_under("/").hits, 0);
    crate::reliability::hole(
        "coverage_reset",
        "POST /_coverage/reset without the page's token, with a guessed one, and with the \
         token from another site (Sec-Fetch-Site: cross-site)",
        "403 each time and the counts kept; the report page's own button resets (303)",
    );
}

#[actix_web::test]
async fn the_report_is_for_loopback_clients_unless_configured() {
    let coverage = Coverage::new();
    let c = TestClient::new(app(&coverage)).await;
    let outside: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    c.get("/_coverage/")
        .peer(outside)
        .send()
        .await
        .assert_status(404);
    c.get("/_coverage/data.json")
        .peer(outside)
        .send()
        .await
        .assert_status(404);
    c.post("/_coverage/reset")
        .peer(outside)
        .send()
        .await
        .assert_status(404);
    let public = App::builder(Root { items: Items })
        .set("/", "tools.coverage.on", true)
        .set_global("coverage.public", true)
        .set_global("coverage.path", "/stats/coverage")
        .build()
        .unwrap();
    let c = TestClient::new(public).await;
    c.get("/stats/coverage/")
        .peer(outside)
        .send()
        .await
        .assert_status(200);
    c.get("/_coverage/").send().await.assert_status(404);
    // Off (the default): no report at all.
    let off = TestClient::new(App::new(Root { items: Items }).unwrap()).await;
    off.get("/_coverage/").send().await.assert_status(404);
}

#[actix_web::test]
async fn files_merge_into_one_report() {
    let dir = crate::blog::temp_dir("cov");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    for (file, path) in [(&a, "/"), (&b, "/thing/7")] {
        let coverage = Coverage::new();
        let c = TestClient::new(app(&coverage)).await;
        c.get(path).send().await.assert_status(200);
        c.get(path).send().await.assert_status(200);
        coverage.save(file).unwrap();
    }
    let mut merged = Coverage::load(&a).unwrap();
    merged.merge(&Coverage::load(&b).unwrap());
    let hits = |name: &str| {
        merged
            .handlers
            .iter()
            .find(|h| h.name == name)
            .unwrap()
            .hits()
    };
    assert_eq!((hits("index"), hits("thing"), hits("never")), (2, 2, 0));
    let t = merged.totals_under("/");
    assert_eq!((t.exercised, t.pairs), (2, 5));
    let html = drupe::coverage::render_static(&merged, 80.0);
    assert!(html.contains("<style>") && !html.contains("report.css"));
    assert!(html.contains("id=\"h0\""));
    assert!(Coverage::load(&dir.join("missing.json")).is_err());
}

#[test]
fn the_coverage_file_is_written_when_the_app_goes_away() {
    // A fresh folder: a file left by an earlier run would pass for this one's.
    let file = crate::blog::temp_dir("cov-drop").join("run.json");
    let app = App::builder(Root { items: Items })
        .set("/", "tools.coverage.on", true)
        .set_global("coverage.file", file.to_str().unwrap())
        .build()
        .unwrap();
    actix_web::rt::System::new().block_on(async {
        let c = TestClient::new(app.clone()).await;
        c.get("/").send().await.assert_status(200);
    });
    drop(app);
    let data = Coverage::load(&file).unwrap();
    assert_eq!(data.totals_under("/").hits, 1);
}
