use drupe::controller;

struct Root;
struct Child;

#[controller]
impl Child {}

#[controller]
impl Root {
    #[expose]
    fn by_value(self) -> &'static str {
        "a"
    }

    #[expose]
    fn mutable(&mut self) -> &'static str {
        "b"
    }

    #[expose]
    fn none() -> &'static str {
        "c"
    }

    #[mount]
    fn child(&self) -> Child {
        Child
    }

    #[expose]
    fn generic<T: Default>(&self) -> &'static str {
        "d"
    }
}

fn main() {}
