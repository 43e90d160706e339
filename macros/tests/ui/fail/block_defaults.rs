use drupe::{controller, resource};

struct Point;

// `none` on the block, an unknown argument.
#[controller(produces(none), prodces(json))]
impl Point {
    #[expose]
    fn a(&self) -> &'static str {
        "a"
    }
}

struct Root;

#[controller(produces(json))]
impl Root {
    // Answers by itself inside a negotiating block without opting out.
    #[expose]
    fn text(&self) -> String {
        "text".into()
    }
}

struct Res;

#[resource]
impl Res {
    // Opts out of a list the block does not have.
    #[produces(none)]
    fn get(&self) -> &'static str {
        "get"
    }
}

struct Oops;

struct Errs;

#[controller]
impl Errs {
    // An error that is neither an `HttpError` nor converts into one.
    #[expose]
    fn fails(&self) -> Result<String, Oops> {
        Err(Oops)
    }
}

fn main() {}
