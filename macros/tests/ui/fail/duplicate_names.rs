use drupe::controller;

struct Root;
struct Child;

#[controller]
impl Child {}

#[controller]
impl Root {
    #[expose]
    fn a_b(&self) -> &'static str {
        "a"
    }

    #[expose(alias = "a.b")]
    fn other(&self) -> &'static str {
        "b"
    }

    #[mount]
    fn other2(&self) -> &Child {
        &Child
    }

    #[expose(alias = "other2")]
    fn third(&self) -> &'static str {
        "c"
    }
}

fn main() {}
