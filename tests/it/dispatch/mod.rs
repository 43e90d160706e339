//! The default dispatcher: every rule of CherryPy's object-tree walk (names, `index`,
//! `default`, positional arguments, hooks), end to end.

use drupe::testing::TestClient;
use drupe::{App, Cursor, Kwargs, Next, VirtualPath, controller};

mod hooks;

struct Root {
    dir1: Dir1,
    hooked: Hooked,
    decorated: Decorated,
    items: Items,
}

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "world"
    }

    #[expose]
    fn default(&self, rest: VirtualPath) -> String {
        format!("root default: {}", rest.join(","))
    }

    #[expose]
    fn translate_html(&self) -> &'static str {
        "OK"
    }

    #[expose(alias = "other.name", alias = "third")]
    fn aliased(&self) -> &'static str {
        "aliased"
    }

    #[allow(dead_code)]
    fn not_exposed(&self) -> &'static str {
        "never"
    }

    #[expose]
    fn keywords_only(&self, #[param(named)] name: Option<String>) -> String {
        format!("hello {}", name.as_deref().unwrap_or("world"))
    }

    #[expose]
    fn kwargs(&self, a: Option<String>, rest: Kwargs) -> String {
        let mut pairs: Vec<String> = rest.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort();
        format!("a={:?} {}", a, pairs.join("&"))
    }

    #[expose]
    fn repeated(&self, tag: Vec<String>) -> String {
        tag.join("|")
    }

    #[expose]
    fn imagemap(&self, x: u32, y: u32) -> String {
        format!("{x},{y}")
    }

    #[mount]
    fn dir1(&self) -> &Dir1 {
        &self.dir1
    }

    #[mount]
    fn hooked(&self) -> &Hooked {
        &self.hooked
    }

    #[mount]
    fn decorated(&self) -> &Decorated {
        &self.decorated
    }

    #[mount]
    fn items(&self) -> &Items {
        &self.items
    }
}

struct Dir1 {
    dir2: Dir2,
}

#[controller]
impl Dir1 {
    #[expose]
    fn index(&self) -> &'static str {
        "index for dir1"
    }

    #[expose]
    fn default(&self, rest: VirtualPath) -> String {
        format!("default for dir1, param is:{}", rest.join(","))
    }

    #[expose]
    fn plain(&self) -> &'static str {
        "plain"
    }

    #[mount]
    fn dir2(&self) -> &Dir2 {
        &self.dir2
    }
}

struct Dir2 {
    dir3: Dir3,
}

#[controller]
impl Dir2 {
    #[expose]
    fn index(&self) -> &'static str {
        "index for dir2"
    }

    #[expose]
    fn script_name(&self) -> &'static str {
        "script_name"
    }

    #[expose]
    fn posparam(&self, rest: VirtualPath) -> String {
        rest.join("/")
    }

    #[mount]
    fn dir3(&self) -> &Dir3 {
        &self.dir3
    }
}

struct Dir3 {
    dir4: Dir4,
}

#[controller]
impl Dir3 {
    /// Not exposed: ignored as a `default`.
    #[allow(dead_code)]
    fn default(&self) -> &'static str {
        "never"
    }

    #[mount]
    fn dir4(&self) -> &Dir4 {
        &self.dir4
    }
}

struct Dir4;

#[controller]
impl Dir4 {
    /// Not exposed: ignored as an `index`.
    #[allow(dead_code)]
    fn index(&self) -> &'static str {
        "never"
    }
}

/// A custom hook: digits become `id`; `child` continues at the hidden mount.
struct Hooked {
    child: HookChild,
}

#[controller]
impl Hooked {
    #[dispatch]
    fn route(&self, cursor: &mut Cursor<'_>) -> Next {
        match cursor.peek() {
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
                cursor.pop_into("id");
                Next::Child("child")
            }
            Some("here") => {
                cursor.pop();
                Next::Here
            }
            _ => Next::NotFound,
        }
    }

    #[expose]
    fn index(&self, id: Option<u32>) -> String {
        format!("hooked index {id:?}")
    }

    #[expose]
    fn dispatch(&self) -> &'static str {
        "a plain handler named dispatch"
    }

    #[mount(hidden)]
    fn child(&self) -> &HookChild {
        &self.child
    }
}

struct HookChild;

#[controller]
impl HookChild {
    #[expose]
    fn index(&self, id: u32) -> String {
        format!("child {id}")
    }

    #[expose]
    fn detail(&self, what: String, id: u32) -> String {
        format!("child {id} detail {what}")
    }
}

/// `popargs(a, b)` without `then`.
struct Decorated;

#[controller(popargs(a, b))]
impl Decorated {
    #[expose]
    fn index(&self, a: Option<String>, b: Option<String>) -> String {
        format!("index a={a:?} b={b:?}")
    }

    #[expose]
    fn hi(&self, a: Option<String>) -> String {
        format!("hi a={a:?}")
    }
}

/// `popargs(id, then = item)` on a collection.
struct Items {
    item: Item,
}

#[controller(popargs(id, then = item))]
impl Items {
    #[expose]
    fn index(&self) -> &'static str {
        "all items"
    }

    #[mount(hidden)]
    fn item(&self) -> &Item {
        &self.item
    }
}

struct Item;

#[controller]
impl Item {
    #[expose]
    fn index(&self, id: u64) -> String {
        format!("item {id}")
    }
}

fn root() -> Root {
    Root {
        dir1: Dir1 {
            dir2: Dir2 {
                dir3: Dir3 { dir4: Dir4 },
            },
        },
        hooked: Hooked { child: HookChild },
        decorated: Decorated,
        items: Items { item: Item },
    }
}

async fn client() -> TestClient {
    TestClient::new(App::new(root()).unwrap()).await
}

#[actix_web::test]
async fn index_and_default() {
    let c = client().await;
    c.get("/")
        .send()
        .await
        .assert_status(200)
        .assert_text("world");
    c.get("/index")
        .send()
        .await
        .assert_status(200)
        .assert_text("world");
    c.get("/dir1/").send().await.assert_text("index for dir1");
    c.get("/unknown/x")
        .send()
        .await
        .assert_text("root default: unknown,x");
    c.get("/dir1/unknown")
        .send()
        .await
        .assert_text("default for dir1, param is:unknown");
}

#[actix_web::test]
async fn deeper_segments_never_reach_an_intermediate_index() {
    let c = client().await;
    // dir2.index exists, but extra segments go to the deepest `default` above.
    c.get("/dir1/dir2/5/3/sir")
        .send()
        .await
        .assert_text("default for dir1, param is:dir2,5,3,sir");
}

#[actix_web::test]
async fn deepest_exposed_method_wins_over_a_shallower_default() {
    let c = client().await;
    // script_name takes no positional values: 404, not dir1's default.
    c.get("/dir1/dir2/script_name/extra/stuff")
        .send()
        .await
        .assert_status(404);
    c.get("/dir1/dir2/script_name")
        .send()
        .await
        .assert_text("script_name");
    c.get("/dir1/dir2/posparam/18/24/hut/hike")
        .send()
        .await
        .assert_text("18/24/hut/hike");
}

#[actix_web::test]
async fn unexposed_index_and_default_are_ignored() {
    let c = client().await;
    c.get("/dir1/dir2/dir3/dir4/index")
        .send()
        .await
        .assert_text("default for dir1, param is:dir2,dir3,dir4,index");
    c.get("/dir1/dir2/dir3/x")
        .send()
        .await
        .assert_text("default for dir1, param is:dir2,dir3,x");
}

#[actix_web::test]
async fn private_methods_are_never_reached() {
    let c = client().await;
    // On a node with a `default`, the name falls to that default, as CherryPy does.
    c.get("/not_exposed")
        .send()
        .await
        .assert_status(200)
        .assert_text("root default: not_exposed");
    let tour = TestClient::new(crate::tour::app()).await;
    // The blog has no default: a private name there is a 404 whatever the root has.
    tour.get("/blog/secret")
        .send()
        .await
        .assert_status(404)
        .assert_text("The path '/blog/secret' was not found.");
}

#[actix_web::test]
async fn punctuation_reads_as_underscore() {
    let c = client().await;
    for p in [
        "/translate.html",
        "/translate-html",
        "/translate_html",
        "/translate~html",
    ] {
        c.get(p).send().await.assert_status(200).assert_text("OK");
    }
    // Settings per path are looked up through the same translation: a limit configured for
    // the handler's name holds for every spelling that reaches it.
    let app = App::builder(root())
        .set("/translate_html", "request.max_fields", 1)
        .set("/other-name", "request.max_fields", 2)
        .build()
        .unwrap();
    let limited = TestClient::new(app).await;
    for p in [
        "/translate.html",
        "/translate-html",
        "/translate_html",
        "/translate~html",
    ] {
        limited
            .get(&format!("{p}?a=1&b=2"))
            .send()
            .await
            .assert_status(400)
            .assert_text("The query string has more than 1 parameters (request.max_fields).");
    }
    for p in ["/other.name", "/other_name"] {
        limited
            .get(&format!("{p}?a=1&b=2&c=3"))
            .send()
            .await
            .assert_status(400)
            .assert_text("The query string has more than 2 parameters (request.max_fields).");
    }
    c.get("/other.name").send().await.assert_text("aliased");
    c.get("/other-name").send().await.assert_text("aliased");
    c.get("/third").send().await.assert_text("aliased");
}

#[actix_web::test]
async fn encoded_slash_stays_in_its_segment() {
    let c = client().await;
    c.get("/page%2Fname")
        .send()
        .await
        .assert_text("root default: page/name");
    c.get("/dir1/dir2/posparam/a%2Fb/c")
        .send()
        .await
        .assert_text("a/b/c");
    c.get("/dir1/dir2/posparam/caf%C3%A9")
        .send()
        .await
        .assert_text("café");
}

#[actix_web::test]
async fn empty_segments_are_dropped() {
    let c = client().await;
    c.get("//dir1///plain").send().await.assert_text("plain");
}

#[actix_web::test]
async fn bad_escapes_in_the_path_are_400() {
    let c = client().await;
    c.get("/dir1/%zz")
        .send()
        .await
        .assert_status(400)
        .assert_text("Invalid percent-encoding in the path.");
    c.get("/dir1/%ff")
        .send()
        .await
        .assert_status(400)
        .assert_text("The path is not valid UTF-8.");
}

#[actix_web::test]
async fn trailing_slash_redirects_keep_the_query() {
    let c = client().await;
    let r = c
        .get("/dir1?x=1&y=2")
        .header("host", "example.org")
        .send()
        .await;
    r.assert_status(301)
        .assert_header("location", "http://example.org/dir1/?x=1&y=2")
        .assert_header("content-type", "text/html; charset=utf-8")
        .assert_text("This resource has permanently moved to <a href=\"http://example.org/dir1/?x=1&amp;y=2\">http://example.org/dir1/?x=1&amp;y=2</a>.");
    c.head("/dir1").send().await.assert_status(301);
    // Unsafe methods get 308 so the method is kept.
    c.post("/dir1")
        .send()
        .await
        .assert_status(308)
        .assert_contains("This resource has been moved to");
    // Non-index handlers with an extra slash are served (extra = false by default).
    c.get("/dir1/plain/")
        .send()
        .await
        .assert_status(200)
        .assert_text("plain");
    // A default is never redirected.
    c.get("/dir1/unknown/").send().await.assert_status(200);
}

#[actix_web::test]
async fn trailing_slash_is_configurable_per_path() {
    let app = App::builder(root())
        .set("/dir1", "tools.trailing_slash.extra", true)
        .set("/dir1/dir2", "tools.trailing_slash.on", false)
        .build()
        .unwrap();
    let c = TestClient::new(app).await;
    c.get("/dir1/plain/")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", "http://localhost:8080/dir1/plain");
    c.get("/dir1/dir2")
        .send()
        .await
        .assert_status(200)
        .assert_text("index for dir2");
    // Elsewhere the defaults hold.
    c.get("/hooked").send().await.assert_status(301);
}

#[actix_web::test]
async fn the_compiled_tree_is_introspectable() {
    let app = App::new(root()).unwrap();
    let tree = app.tree();
    let paths: Vec<&str> = tree.handlers().map(|h| h.path()).collect();
    for p in [
        "/",
        "/default",
        "/dir1/",
        "/dir1/dir2/script_name",
        "/hooked/{child}/",
        "/items/{id}/",
    ] {
        assert!(paths.contains(&p), "{p} not in {paths:?}");
    }
    let imagemap = tree.handlers().find(|h| h.name() == "imagemap").unwrap();
    let params: Vec<(&str, &str, bool)> = imagemap
        .params()
        .iter()
        .map(|p| (p.name, p.type_name, p.required))
        .collect();
    assert_eq!(params, [("x", "u32", true), ("y", "u32", true)]);
    let dir4 = tree
        .nodes()
        .find(|n| n.path() == "/dir1/dir2/dir3/dir4/")
        .unwrap();
    assert_eq!(dir4.handlers().len(), 0);
    assert!(
        tree.nodes()
            .any(|n| n.path() == "/items/{id}/" && n.is_hidden())
    );
}
