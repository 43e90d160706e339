//! Argument mismatches (CherryPy's table: which are 404s, which are 400s), end to end, in
//! their order.

use drupe::testing::TestClient;
use drupe::{App, controller};

struct Root;

#[controller]
impl Root {
    #[expose]
    fn two(&self, a: String, b: String) -> String {
        format!("{a}{b}")
    }

    #[expose]
    fn none(&self) -> &'static str {
        "none"
    }

    #[expose]
    fn number(&self, n: i64) -> String {
        n.to_string()
    }
}

async fn client(show: bool) -> TestClient {
    let app = App::builder(Root)
        .set("/", "request.show_mismatched_params", show)
        .build()
        .unwrap();
    TestClient::new(app).await
}

#[actix_web::test]
async fn row_1_missing_parameters_are_404_even_from_a_body() {
    let c = client(true).await;
    c.get("/two")
        .send()
        .await
        .assert_status(404)
        .assert_text("Missing parameters: a,b");
    c.post("/two")
        .form(&[("a", "1")])
        .send()
        .await
        .assert_status(404)
        .assert_text("Missing parameters: b");
}

#[actix_web::test]
async fn row_2_too_many_path_values_are_404() {
    let c = client(true).await;
    c.get("/none/extra")
        .send()
        .await
        .assert_status(404)
        .assert_text("Nothing matches the given URI");
    c.get("/two/1/2/3").send().await.assert_status(404);
    c.get("/two/1/2")
        .send()
        .await
        .assert_status(200)
        .assert_text("12");
}

#[actix_web::test]
async fn row_3_multiple_values() {
    let c = client(true).await;
    c.get("/two/1/2?a=3")
        .send()
        .await
        .assert_status(404)
        .assert_text("Multiple values for parameters: a");
    c.post("/two/1/2")
        .form(&[("b", "3")])
        .send()
        .await
        .assert_status(400)
        .assert_text("Multiple values for parameters: b");
}

#[actix_web::test]
async fn row_4_unexpected_query_values_are_404() {
    let c = client(true).await;
    c.get("/none?x=1&y=2")
        .send()
        .await
        .assert_status(404)
        .assert_text("Unexpected query string parameters: x, y");
    // A query problem wins over a body problem.
    c.post("/none?x=1")
        .form(&[("z", "1")])
        .send()
        .await
        .assert_status(404)
        .assert_text("Unexpected query string parameters: x");
    // An empty name is named as one.
    c.get("/none?=null")
        .send()
        .await
        .assert_status(404)
        .assert_text("Unexpected query string parameters: \"\" (an empty name)");
}

#[actix_web::test]
async fn row_5_unexpected_body_values_are_400() {
    let c = client(true).await;
    c.post("/none")
        .form(&[("z", "1"), ("w", "2")])
        .send()
        .await
        .assert_status(400)
        .assert_text("Unexpected body parameters: z, w");
}

#[actix_web::test]
async fn type_errors_name_the_parameter_and_type() {
    let c = client(true).await;
    c.get("/number/st")
        .send()
        .await
        .assert_status(404)
        .assert_text("Invalid value for parameter 'n': expected i64.");
    c.get("/number?n=st")
        .send()
        .await
        .assert_status(400)
        .assert_text("Invalid value for parameter 'n': expected i64.");
    c.post("/number")
        .form(&[("n", "1.5")])
        .send()
        .await
        .assert_status(400);
    c.get("/number?n=1&n=2")
        .send()
        .await
        .assert_status(400)
        .assert_text("Parameter 'n' was given 2 values; it takes one.");
    c.get("/number/-9223372036854775808")
        .send()
        .await
        .assert_text("-9223372036854775808");
    c.get("/number/9223372036854775808")
        .send()
        .await
        .assert_status(404);
}

#[actix_web::test]
async fn messages_can_be_hidden() {
    let c = client(false).await;
    c.get("/two")
        .send()
        .await
        .assert_status(404)
        .assert_text("Nothing matches the given URI");
    c.post("/none")
        .form(&[("z", "1")])
        .send()
        .await
        .assert_status(400)
        .assert_text("Bad request syntax or unsupported method");
}
