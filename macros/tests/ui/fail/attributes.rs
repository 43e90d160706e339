use drupe::{controller, resource};

struct Root;

#[controller(popargs())]
impl Root {
    #[expose(alais = "x")]
    fn a(&self) -> &'static str {
        "a"
    }

    #[expose]
    #[produces(yaml)]
    fn b(&self) -> &'static str {
        "b"
    }

    #[expose]
    #[status(1000)]
    fn c(&self) -> &'static str {
        "c"
    }

    #[produces(json)]
    fn not_a_handler(&self) -> &'static str {
        "d"
    }
}

struct Res;

#[resource]
impl Res {
    #[expose]
    fn listed(&self) -> &'static str {
        "e"
    }

    fn get(&self) -> &'static str {
        "f"
    }

    #[verb("GET")]
    fn also_get(&self) -> &'static str {
        "g"
    }
}

fn main() {}
