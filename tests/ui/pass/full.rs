//! Everything a controller and a resource may declare, in one tree.

use actix_web::HttpRequest;
use drupe::{
    App, Body, Created, Cursor, HttpError, Kwargs, Negotiated, Next, NoContent, Upload,
    VirtualPath, controller, resource,
};

#[derive(serde::Serialize, serde::Deserialize)]
struct Thing {
    name: String,
}

struct Root {
    things: Things,
    hooked: Hooked,
}

#[controller]
impl Root {
    /// The index.
    #[expose]
    async fn index(&self, name: Option<String>, #[param(default = 1)] page: u32) -> String {
        format!("{name:?} {page}")
    }

    #[expose]
    fn default(&self, rest: VirtualPath, all: Kwargs) -> String {
        format!("{rest:?} {all:?}")
    }

    #[expose(alias = "x.json")]
    #[status(404)]
    fn typed(
        &self,
        year: u16,
        tags: Vec<String>,
        #[param(named)] q: Option<bool>,
    ) -> Result<String, HttpError> {
        Ok(format!("{year} {tags:?} {q:?}"))
    }

    #[expose]
    #[produces(json, xml, html = "thing.html")]
    fn thing(&self, req: HttpRequest) -> Negotiated<Thing> {
        Negotiated::new(Thing {
            name: req.path().to_owned(),
        })
    }

    #[expose]
    fn upload(&self, file: Upload, #[extract] req: HttpRequest) -> String {
        format!("{} {}", file.len(), req.path())
    }

    #[mount]
    fn things(&self) -> &Things {
        &self.things
    }

    #[mount(name = "h")]
    fn hooked(&self) -> &Hooked {
        &self.hooked
    }

    fn private(&self) -> u8 {
        1
    }
}

struct Things {
    one: OneThing,
}

#[resource(popargs(id, then = one))]
impl Things {
    #[produces(json, "text/html" = "things.html")]
    async fn get(&self) -> Negotiated<Vec<Thing>> {
        Negotiated::new(Vec::new())
    }

    #[produces(json, xml)]
    async fn post(&self, body: Body<Thing>) -> Result<Created<Thing>, HttpError> {
        Ok(Created::new("/things/1", body.into_inner()))
    }

    #[mount(hidden)]
    fn one(&self) -> &OneThing {
        &self.one
    }
}

struct OneThing;

#[resource]
impl OneThing {
    async fn get(&self, id: u64) -> Result<String, HttpError> {
        Ok(id.to_string())
    }

    async fn delete(&self, id: u64) -> Result<NoContent, HttpError> {
        let _ = id;
        Ok(NoContent)
    }

    #[verb("PROPFIND")]
    fn propfind(&self, id: u64) -> String {
        id.to_string()
    }
}

struct Hooked;

#[controller]
impl Hooked {
    #[dispatch]
    fn route(&self, cursor: &mut Cursor<'_>) -> Next {
        if cursor.pop_into("x") {
            Next::Here
        } else {
            Next::NotFound
        }
    }

    #[expose]
    fn index(&self, x: Option<String>) -> String {
        format!("{x:?}")
    }
}

pub(crate) fn main() {
    let root = Root {
        things: Things { one: OneThing },
        hooked: Hooked,
    };
    assert_eq!(root.private(), 1);
    let app = App::new(root).unwrap();
    assert!(app.tree().handlers().count() > 8);
}
