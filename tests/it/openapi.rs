//! What the OpenAPI document promises a client: every status an operation can answer (the
//! dispatcher's and the tools' included), and form bodies as strict as the handler.

use drupe::{App, Kwargs, controller, resource};
use serde_json::Value;

#[controller]
struct Root {
    #[mount]
    notes: Notes,
}

#[controller]
impl Root {
    #[expose]
    fn search(&self, q: Option<String>, page: Option<u32>) -> String {
        format!("{q:?} {page:?}")
    }
}

struct Notes;

#[resource]
impl Notes {
    /// Takes the fields it names: any other is a 400.
    fn post(&self, title: Option<String>, body: Option<String>) -> String {
        format!("{title:?} {body:?}")
    }

    /// Takes any field.
    fn put(&self, title: Option<String>, rest: Kwargs) -> String {
        format!("{title:?} {}", rest.0.len())
    }
}

fn document() -> Value {
    let app = App::builder(Root { notes: Notes }).build().unwrap();
    serde_json::to_value(drupe::openapi::document(app.tree(), "t", "1")).unwrap()
}

fn statuses(op: &Value) -> Vec<String> {
    op["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("no responses in {op}"));
    op["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_operation_documents_the_dispatchers_answers() {
    let doc = document();
    // An unexpected query parameter is a 404, a repeated one a 400: any operation.
    assert_eq!(
        statuses(&doc["paths"]["/search"]["get"]),
        ["200", "400", "404"]
    );
    // A body may be late, too large or of another type.
    assert_eq!(
        statuses(&doc["paths"]["/notes"]["post"]),
        ["200", "400", "404", "405", "408", "413", "415"]
    );
}

#[test]
fn a_form_is_as_strict_as_its_handler() {
    let doc = document();
    let form = |method: &str| {
        doc["paths"]["/notes"][method]["requestBody"]["content"]
            ["application/x-www-form-urlencoded"]["schema"]
            .clone()
    };
    let post = form("post");
    assert_eq!(post["additionalProperties"], Value::Bool(false), "{post}");
    let fields: Vec<&String> = post["properties"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["body", "title"]);
    let put = form("put");
    assert_eq!(put.get("additionalProperties"), None, "{put}");
}
