use drupe::{controller, resource};

struct Child;

#[controller]
impl Child {}

// A field and a method claim one name.
#[controller]
struct Root {
    #[mount]
    blog: Child,
}

#[controller]
impl Root {
    #[mount]
    fn blog(&self) -> &Child {
        &self.blog
    }
}

// A field carries #[mount] twice.
#[controller]
struct Twice {
    #[mount(name = "x")]
    #[mount]
    twice: Child,
}

#[controller]
impl Twice {}

// A tuple struct's field has no name to be reached at.
#[controller]
struct Tuple(#[mount] Child);

#[controller]
impl Tuple {}

// Arguments belong on the impl block; a misspelt mount option.
#[controller(produces(json))]
struct Args {
    #[mount(hiden)]
    child: Child,
}

#[controller]
impl Args {}

// The struct says resource, the impl block controller.
#[resource]
struct Mixed {
    #[mount]
    child: Child,
}

#[controller]
impl Mixed {}

// popargs continues at a mount that does not exist.
#[controller]
struct Lost {
    #[mount(hidden)]
    one: Child,
}

#[controller(popargs(id, then = two))]
impl Lost {}

// A mount field whose type is not on the tree.
#[controller]
struct NotOne {
    #[mount]
    count: u32,
}

#[controller]
impl NotOne {}

fn main() {}
