//! What the attributes on a controller's struct and impl block give a user: children mounted
//! by `#[mount]` fields, and `produces(...)`/`status(...)` written once on the impl block.

use drupe::testing::TestClient;
use drupe::{App, HttpError, Negotiated, controller, resource};
use serde_json::{Value, json};

/// A root whose children are fields: no method per child.
#[controller]
struct Root {
    #[mount]
    blog: Blog,
    #[mount(name = "old-news")]
    archive: Blog,
    #[mount]
    r#loop: Blog,
    #[mount]
    users: Users,
    /// Not a mount: never routed.
    #[allow(dead_code)]
    visits: u32,
}

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "root"
    }

    /// A method mount still works beside the field mounts.
    #[mount]
    fn legacy(&self) -> &Blog {
        &self.blog
    }
}

struct Blog {
    title: &'static str,
}

#[controller]
impl Blog {
    #[expose]
    fn index(&self) -> String {
        format!("{} index", self.title)
    }
}

/// `/users/<id>` continues at a hidden mount field, named by `popargs(then = ...)`.
#[resource]
struct Users {
    #[mount(hidden)]
    item: UserItem,
}

#[resource(popargs(id, then = item))]
impl Users {
    fn get(&self) -> &'static str {
        "all users"
    }
}

struct UserItem;

#[resource]
impl UserItem {
    fn get(&self, id: u64) -> String {
        format!("user {id}")
    }
}

fn root() -> Root {
    let blog = |title| Blog { title };
    Root {
        blog: blog("blog"),
        archive: blog("archive"),
        r#loop: blog("loop"),
        users: Users { item: UserItem },
        visits: 0,
    }
}

#[actix_web::test]
async fn a_mount_field_is_a_child_at_its_name() {
    let c = TestClient::new(App::new(root()).unwrap()).await;
    c.get("/")
        .send()
        .await
        .assert_status(200)
        .assert_text("root");
    for (path, text) in [
        ("/blog/", "blog index"),
        ("/old-news/", "archive index"),
        ("/old_news/", "archive index"),
        ("/loop/", "loop index"),
        ("/legacy/", "blog index"),
    ] {
        let res = c.get(path).send().await;
        assert_eq!(res.status(), 200, "{path}");
        res.assert_text(text);
    }
    // The field's own name is not routed when the mount is renamed, nor a plain field.
    c.get("/archive/").send().await.assert_status(404);
    c.get("/visits").send().await.assert_status(404);
}

#[actix_web::test]
async fn a_hidden_mount_field_is_reached_only_through_popargs() {
    let c = TestClient::new(App::new(root()).unwrap()).await;
    c.get("/users").send().await.assert_text("all users");
    c.get("/users/7")
        .send()
        .await
        .assert_status(200)
        .assert_text("user 7");
    // `item` is not a segment: it reads as an id that is not a number.
    c.get("/users/item").send().await.assert_status(404);
}

#[actix_web::test]
async fn mount_fields_are_on_the_tree_and_in_the_document() {
    let app = App::new(root()).unwrap();
    let doc = serde_json::to_value(drupe::openapi::document(app.tree(), "t", "1")).unwrap();
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for p in ["/blog/", "/old-news/", "/loop/", "/users", "/users/{id}"] {
        assert!(paths.contains(&p), "{p} in {paths:?}");
    }
}

#[derive(serde::Serialize)]
#[serde(rename = "point")]
struct Point {
    x: i32,
}

struct Api;

/// Every handler negotiates JSON or XML and may answer 503, unless it says otherwise.
#[controller(produces(json, xml), status(503))]
impl Api {
    #[expose]
    fn point(&self) -> Negotiated<Point> {
        Negotiated::new(Point { x: 1 })
    }

    #[expose]
    #[status(404)]
    fn find(&self, x: i32) -> Result<Negotiated<Point>, HttpError> {
        if x < 0 {
            return Err(HttpError::not_found("no such point"));
        }
        Ok(Negotiated::new(Point { x }))
    }

    /// Its own list replaces the block's.
    #[expose]
    #[produces(xml)]
    fn only_xml(&self) -> Negotiated<Point> {
        Negotiated::new(Point { x: 2 })
    }

    /// Out of the block's negotiation: answers as it is.
    #[expose]
    #[produces(none)]
    fn plain(&self) -> &'static str {
        "plain"
    }
}

async fn api() -> TestClient {
    TestClient::new(App::new(Api).unwrap()).await
}

#[actix_web::test]
async fn the_blocks_produces_applies_to_each_handler() {
    let c = api().await;
    c.get("/point")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "application/json")
        .assert_header("vary", "Accept")
        .assert_json(json!({"x": 1}));
    c.get("/point")
        .accept("application/xml")
        .send()
        .await
        .assert_header("content-type", "application/xml")
        .assert_contains("<point><x>1</x></point>");
    c.get("/find?x=3")
        .accept("application/xml")
        .send()
        .await
        .assert_status(200)
        .assert_contains("<x>3</x>");
    c.get("/find?x=-1").send().await.assert_status(404);
    // Negotiated before the handler runs, as with a method's own list.
    c.get("/point")
        .accept("text/html")
        .send()
        .await
        .assert_status(406)
        .assert_contains("application/xml");
}

#[actix_web::test]
async fn a_methods_own_produces_overrides_the_blocks() {
    let c = api().await;
    c.get("/only_xml")
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "application/xml");
    c.get("/only_xml")
        .accept("application/json")
        .send()
        .await
        .assert_status(406);
    c.get("/plain")
        .accept("application/xml")
        .send()
        .await
        .assert_status(200)
        .assert_no_header("vary")
        .assert_text("plain");
}

#[actix_web::test]
async fn the_blocks_statuses_are_documented_for_each_handler() {
    let app = App::new(Api).unwrap();
    let doc = serde_json::to_value(drupe::openapi::document(app.tree(), "t", "1")).unwrap();
    let responses = |path: &str| -> Value { doc["paths"][path]["get"]["responses"].clone() };
    let point = responses("/point");
    assert!(point.get("503").is_some(), "{point}");
    assert!(
        point["200"]["content"].get("application/xml").is_some(),
        "{point}"
    );
    let find = responses("/find/{x}");
    assert!(
        find.get("404").is_some() && find.get("503").is_some(),
        "{find}"
    );
    let only_xml = responses("/only_xml");
    assert!(
        only_xml["200"]["content"].get("application/json").is_none(),
        "{only_xml}"
    );
}
