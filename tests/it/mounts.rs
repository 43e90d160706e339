//! Several applications in one server (`Server::mount`, CherryPy's `tree.mount`) and virtual
//! hosts (`Server::host`): each request reaches the application it belongs to, with that
//! application's own settings and tools, and URLs built under its prefix.

use drupe::engine::Server;
use drupe::testing::TestServer;
use drupe::{App, ResponseHeaders, controller};

#[controller]
struct Site;

#[controller]
impl Site {
    #[expose]
    fn index(&self) -> &'static str {
        "the site"
    }
}

#[controller]
struct Api {
    #[mount]
    users: Users,
}

#[controller]
impl Api {
    #[expose]
    fn index(&self) -> &'static str {
        "the API"
    }
}

#[controller]
struct Users;

#[controller]
impl Users {
    #[expose]
    fn index(&self) -> &'static str {
        "the users"
    }
}

#[controller]
struct Admin;

#[controller]
impl Admin {
    #[expose]
    fn index(&self) -> &'static str {
        "the admin host"
    }
}

fn tagged<C: drupe::Controller + Send + Sync + 'static>(root: C, tag: &str) -> App {
    App::builder(root)
        .tool_at("/", ResponseHeaders::new().header("x-app", tag))
        .build()
        .unwrap()
}

#[actix_web::test]
async fn each_request_reaches_its_application_with_its_own_tools() {
    let s = TestServer::start_server(
        Server::new()
            .mount("/", tagged(Site, "site"))
            .mount("/api", tagged(Api { users: Users }, "api"))
            .host("admin.example", tagged(Admin, "admin")),
    )
    .await;
    let c = s.client();
    for (path, body, app) in [
        ("/", "the site", "site"),
        ("/api/", "the API", "api"),
        ("/api/users/", "the users", "api"),
    ] {
        c.get(path)
            .send()
            .await
            .assert_status(200)
            .assert_header("x-app", app)
            .assert_text(body);
    }
    // `/apix` is not under `/api`: the site answers, and has no such page.
    c.get("/apix")
        .send()
        .await
        .assert_status(404)
        .assert_header("x-app", "site");
    // The API's trailing-slash redirects name URLs under its prefix.
    for (path, to) in [("/api", "/api/"), ("/api/users", "/api/users/")] {
        let res = c.get(path).send().await;
        res.assert_status(301).assert_header("x-app", "api");
        let location = res.header("location").unwrap();
        assert!(location.ends_with(to), "{path}: {location}");
    }
    // The virtual host, whatever the case of its name and the port.
    for host in ["admin.example", "ADMIN.example:8080"] {
        c.get("/")
            .header("host", host)
            .send()
            .await
            .assert_status(200)
            .assert_header("x-app", "admin")
            .assert_text("the admin host");
    }
    // Another host gets the applications of every host.
    c.get("/api/")
        .header("host", "www.example")
        .send()
        .await
        .assert_header("x-app", "api");
    s.stop().await;
}

#[actix_web::test]
async fn without_an_application_at_the_root_other_paths_are_a_404_that_says_so() {
    let s =
        TestServer::start_server(Server::new().mount("/api", tagged(Api { users: Users }, "api")))
            .await;
    s.client().get("/api/").send().await.assert_text("the API");
    s.client()
        .get("/elsewhere")
        .send()
        .await
        .assert_status(404)
        .assert_contains("no application is mounted here");
    s.stop().await;
}

#[test]
fn mistakes_in_mounts_are_refused_before_serving() {
    for server in [
        Server::new().mount("api", tagged(Site, "site")),
        Server::new()
            .mount("/", tagged(Site, "a"))
            .mount("/", tagged(Site, "b")),
        Server::new().host("not a host", tagged(Site, "site")),
        Server::new(),
    ] {
        assert_eq!(
            server.serve("127.0.0.1:0"),
            std::process::ExitCode::from(64)
        );
    }
}
