//! The walk's hooks (a custom dispatch hook, `popargs` with and without `then`), named values
//! from the query and the form, and HEAD.

use drupe::App;

use super::{client, root};

#[actix_web::test]
async fn custom_dispatch_hook() {
    let c = client().await;
    c.get("/hooked/")
        .send()
        .await
        .assert_text("hooked index None");
    c.get("/hooked/42/").send().await.assert_text("child 42");
    c.get("/hooked/42/detail/x")
        .send()
        .await
        .assert_text("child 42 detail x");
    // Path values fill parameters in order; `id` also came from the hook: CherryPy reports
    // the parameter left without a value first.
    c.get("/hooked/42/detail")
        .send()
        .await
        .assert_status(404)
        .assert_text("Missing parameters: what");
    c.get("/hooked/here/")
        .send()
        .await
        .assert_text("hooked index None");
    // The hook does not run for names that exist: `dispatch` is a plain handler.
    c.get("/hooked/dispatch")
        .send()
        .await
        .assert_text("a plain handler named dispatch");
    // NotFound from the hook: the root's default answers.
    c.get("/hooked/zzz")
        .send()
        .await
        .assert_text("root default: hooked,zzz");
    // A hidden mount is not reachable by its name: the hook saw `child` and refused it.
    c.get("/hooked/child/")
        .send()
        .await
        .assert_text("root default: hooked,child");
    // The taken value is a path value: a type error in it is a 404.
    c.get("/hooked/99999999999/")
        .send()
        .await
        .assert_status(404)
        .assert_text("Invalid value for parameter 'id': expected u32.");
}

#[actix_web::test]
async fn popargs_without_then() {
    let c = client().await;
    c.get("/decorated/")
        .send()
        .await
        .assert_text("index a=None b=None");
    c.get("/decorated/1/")
        .send()
        .await
        .assert_text("index a=Some(\"1\") b=None");
    c.get("/decorated/1/2/")
        .send()
        .await
        .assert_text("index a=Some(\"1\") b=Some(\"2\")");
    // Existing names win over popping.
    c.get("/decorated/hi").send().await.assert_text("hi a=None");
    // Up to two segments are taken, whatever they are.
    c.get("/decorated/1/hi/")
        .send()
        .await
        .assert_text("index a=Some(\"1\") b=Some(\"hi\")");
    // After the names, the next segment is a plain lookup on the node: `hi` does not take
    // `b`, which came from the path.
    c.get("/decorated/1/2/hi")
        .send()
        .await
        .assert_status(404)
        .assert_text("Unexpected path parameters: b");
    // Without the slash the index redirects, keeping the popped segments.
    c.get("/decorated/1/2")
        .send()
        .await
        .assert_status(301)
        .assert_header("location", "http://localhost:8080/decorated/1/2/");
}

#[actix_web::test]
async fn popargs_with_then() {
    let c = client().await;
    c.get("/items/").send().await.assert_text("all items");
    c.get("/items/7/").send().await.assert_text("item 7");
    c.get("/items/x/").send().await.assert_status(404);
}

#[actix_web::test]
async fn named_values() {
    let c = client().await;
    c.get("/keywords_only?name=ada")
        .send()
        .await
        .assert_text("hello ada");
    // A named-only parameter is not filled from the path.
    c.get("/keywords_only/extra")
        .send()
        .await
        .assert_status(404);
    c.get("/kwargs?a=1&b=2&c=")
        .send()
        .await
        .assert_text("a=Some(\"1\") b=2&c=");
    c.get("/repeated?tag=a&tag=b&tag=c")
        .send()
        .await
        .assert_text("a|b|c");
    c.get("/repeated").send().await.assert_text("");
    c.get("/imagemap?12,34").send().await.assert_text("12,34");
}

#[actix_web::test]
async fn form_values_are_named_values_only_for_post_put_patch() {
    let c = client().await;
    c.post("/kwargs")
        .form(&[("a", "1"), ("z", "9")])
        .send()
        .await
        .assert_text("a=Some(\"1\") z=9");
    c.put("/kwargs")
        .form(&[("a", "2")])
        .send()
        .await
        .assert_text("a=Some(\"2\") ");
    // A DELETE with a form body gets no body values.
    c.delete("/kwargs")
        .form(&[("a", "3")])
        .send()
        .await
        .assert_text("a=None ");
    // In both the query and the body: both values, query first.
    c.post("/repeated?tag=q")
        .form(&[("tag", "b")])
        .send()
        .await
        .assert_text("q|b");
}

#[actix_web::test]
async fn head_answers_with_get_headers_and_no_body() {
    let c = client().await;
    let get = c.get("/dir1/plain").send().await;
    let head = c.head("/dir1/plain").send().await;
    head.assert_status(200).assert_empty();
    assert_eq!(get.header("content-type"), head.header("content-type"));
    // Over a socket, the length written is the GET body's.
    let s = drupe::testing::TestServer::start(App::new(root()).unwrap()).await;
    let raw = s.raw(b"HEAD /dir1/plain HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(
        raw.to_ascii_lowercase()
            .contains(&format!("content-length: {}\r\n", get.body().len())),
        "{raw}"
    );
    assert!(raw.ends_with("\r\n\r\n"), "a body after the head: {raw}");
    s.stop().await;
}
