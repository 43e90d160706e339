use drupe::{controller, Cursor, Next};

struct Root;
struct Child;

#[controller]
impl Child {}

#[controller]
impl Root {
    #[dispatch]
    async fn route(&self, cursor: &mut Cursor<'_>) -> Next {
        let _ = cursor;
        Next::Here
    }

    #[mount]
    async fn child(&self) -> &Child {
        &Child
    }
}

fn main() {}
