//! Negotiation, representations, 201 + Location, end to end: `Accept` chooses among a
//! handler's representations (RFC 9110 §12.5.1), nothing acceptable is a 406.

use drupe::represent::atom::{AtomEntry, Entry};
use drupe::represent::{MediaTypes, RenderContext, Representation};
use drupe::testing::TestClient;
use drupe::{App, Collection, Created, HttpError, Negotiated, controller};
use serde_json::json;

#[derive(serde::Serialize, Clone)]
#[serde(rename = "point")]
struct Point {
    x: i32,
    y: i32,
}

impl AtomEntry for Point {
    fn atom_entry(&self, cx: &RenderContext<'_>) -> Entry {
        Entry::new(
            cx.url(&format!("/points/{}/{}", self.x, self.y)),
            format!("({}, {})", self.x, self.y),
            time::macros::datetime!(2024-05-01 12:00 UTC),
        )
    }
}

/// A representation of our own: one trait impl, no change to the dispatcher.
struct Csv;

impl MediaTypes for Csv {
    const MEDIA_TYPES: &'static [&'static str] = &["text/csv"];
}

impl Representation<Point> for Csv {
    fn render(&self, p: &Point, _: &RenderContext<'_>) -> Result<bytes::Bytes, HttpError> {
        Ok(format!("x,y\n{},{}\n", p.x, p.y).into())
    }
}

struct Root;

#[controller]
impl Root {
    #[expose]
    #[produces(json, xml, atom, Csv)]
    fn point(&self) -> Negotiated<Point> {
        Negotiated::new(Point { x: 1, y: 2 })
    }

    #[expose]
    #[produces(xml, json)]
    fn xml_first(&self) -> Negotiated<Point> {
        Negotiated::new(Point { x: 3, y: 4 })
    }

    #[expose]
    #[produces(atom, json)]
    fn points(&self) -> Negotiated<Collection<Point>> {
        Negotiated::new(Collection::new(
            "Points",
            vec![Point { x: 1, y: 2 }, Point { x: 5, y: 6 }],
        ))
    }

    #[expose]
    #[produces(json)]
    fn make(&self, x: i32) -> Result<Created<Point>, HttpError> {
        if x < 0 {
            return Err(HttpError::unprocessable("x must not be negative."));
        }
        Ok(Created::new(format!("/points/{x}/0"), Point { x, y: 0 }))
    }

    /// Outside `#[produces]`, a negotiated value is JSON and nothing is negotiated.
    #[expose]
    fn plain_negotiated(&self) -> Negotiated<Point> {
        Negotiated::new(Point { x: 7, y: 8 })
    }
}

async fn client() -> TestClient {
    TestClient::new(App::new(Root).unwrap()).await
}

#[actix_web::test]
async fn no_or_empty_accept_gets_the_first_type() {
    let c = client().await;
    c.get("/point")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "application/json")
        .assert_header("vary", "Accept")
        .assert_json(json!({"x": 1, "y": 2}));
    c.get("/point")
        .accept("")
        .send()
        .await
        .assert_header("content-type", "application/json");
    c.get("/xml_first")
        .send()
        .await
        .assert_header("content-type", "application/xml");
    c.get("/xml_first")
        .accept("*/*")
        .send()
        .await
        .assert_header("content-type", "application/xml");
}

#[actix_web::test]
async fn each_representation_from_one_value() {
    let c = client().await;
    c.get("/point")
        .accept("application/xml")
        .send()
        .await
        .assert_header("content-type", "application/xml")
        .assert_text("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<point><x>1</x><y>2</y></point>");
    c.get("/point")
        .accept("text/xml")
        .send()
        .await
        .assert_header("content-type", "text/xml; charset=utf-8");
    for legacy in ["text/json", "text/x-json"] {
        c.get("/point")
            .accept(legacy)
            .send()
            .await
            .assert_header("content-type", &format!("{legacy}; charset=utf-8"))
            .assert_json(json!({"x": 1, "y": 2}));
    }
    let atom = c.get("/point").accept("application/atom+xml").send().await;
    atom.assert_header("content-type", "application/atom+xml")
        .assert_contains("<entry xmlns=\"http://www.w3.org/2005/Atom\">")
        .assert_contains("<id>http://localhost:8080/points/1/2</id>")
        .assert_contains("<updated>2024-05-01T12:00:00Z</updated>");
    c.get("/point")
        .accept("text/csv")
        .send()
        .await
        .assert_header("content-type", "text/csv; charset=utf-8")
        .assert_text("x,y\n1,2\n");
}

#[actix_web::test]
async fn quality_specificity_and_server_order() {
    let c = client().await;
    for (accept, chosen) in [
        ("application/json;q=0.5, application/xml", "application/xml"),
        ("text/*", "text/json; charset=utf-8"),
        ("application/*, application/json;q=0", "application/xml"),
        ("application/xml, application/json", "application/json"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/xml",
        ),
    ] {
        let r = c.get("/point").accept(accept).send().await;
        r.assert_status(200);
        assert_eq!(
            r.header("content-type"),
            Some(chosen),
            "Accept: {accept}\n{r:?}"
        );
    }
}

#[actix_web::test]
async fn nothing_acceptable_is_406_listing_the_types() {
    let c = client().await;
    c.get("/point").accept("image/png").send().await.assert_status(406)
        .assert_header("vary", "Accept")
        .assert_text("Your client sent this Accept header: image/png. But this resource only emits these media types: application/json, text/json, text/x-json, application/xml, text/xml, application/atom+xml, text/csv.");
    c.get("/point")
        .accept("application/json;q=0, text/*;q=0, application/*;q=0")
        .send()
        .await
        .assert_status(406);
    // The 406 of a JSON client is problem details with the list.
    let r = c
        .get("/xml_first")
        .accept("application/problem+json;q=0.1, image/png")
        .send()
        .await;
    r.assert_status(406);
    let v: serde_json::Value = r.json();
    assert_eq!(
        v["available"],
        json!([
            "application/xml",
            "text/xml",
            "application/json",
            "text/json",
            "text/x-json"
        ])
    );
}

#[actix_web::test]
async fn malformed_accept_is_400_naming_the_header() {
    let c = client().await;
    for bad in ["text/html;q=high", "garbage", "text/", "*/json"] {
        c.get("/point")
            .accept(bad)
            .send()
            .await
            .assert_status(400)
            .assert_contains("Malformed HTTP header: Accept");
    }
}

#[actix_web::test]
async fn the_handler_does_not_run_before_a_406() {
    let c = client().await;
    // `make` would create; with nothing acceptable it is never called.
    c.get("/make?x=-1")
        .accept("image/png")
        .send()
        .await
        .assert_status(406);
    c.get("/make?x=-1").send().await.assert_status(422);
}

#[actix_web::test]
async fn created_has_an_absolute_location() {
    let c = client().await;
    c.post("/make?x=4")
        .header("host", "api.example")
        .send()
        .await
        .assert_status(201)
        .assert_header("location", "http://api.example/points/4/0")
        .assert_json(json!({"x": 4, "y": 0}));
    // Proxy headers are ignored unless configured.
    c.post("/make?x=4")
        .header("host", "internal:9000")
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .assert_header("location", "http://internal:9000/points/4/0");
    let behind = TestClient::new(
        App::builder(Root)
            .set_global("server.trusted_proxies", vec!["127.0.0.1"])
            .build()
            .unwrap(),
    )
    .await;
    behind
        .post("/make?x=4")
        .header("host", "internal:9000")
        .header("x-forwarded-host", "www.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .assert_header("location", "https://www.example/points/4/0");
    behind
        .post("/make?x=4")
        .header("forwarded", "proto=https;host=fwd.example")
        .send()
        .await
        .assert_header("location", "https://fwd.example/points/4/0");
}

#[actix_web::test]
async fn collections_are_feeds_and_lists() {
    let c = client().await;
    let feed = c.get("/points").send().await;
    feed.assert_header("content-type", "application/atom+xml")
        .assert_contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">")
        .assert_contains("<title type=\"text\">Points</title>")
        .assert_contains("<link rel=\"self\" href=\"http://localhost:8080/points\" type=\"application/atom+xml\"/>")
        .assert_contains("<updated>2024-05-01T12:00:00Z</updated>");
    assert_eq!(feed.text().matches("<entry>").count(), 2);
    c.get("/points")
        .accept("application/json")
        .send()
        .await
        .assert_json(json!([{"x": 1, "y": 2}, {"x": 5, "y": 6}]));
}

#[actix_web::test]
async fn without_produces_nothing_is_negotiated() {
    let c = client().await;
    c.get("/plain_negotiated")
        .accept("image/png")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "application/json")
        .assert_no_header("vary");
}
