use drupe::controller;

struct Root;

#[controller]
impl Root {
    #[expose]
    fn borrowed(&self, name: &str) -> String {
        name.to_owned()
    }

    #[expose]
    fn pattern(&self, (a, b): (u8, u8)) -> String {
        format!("{a}{b}")
    }

    #[expose]
    fn opaque(&self, x: impl Into<String>) -> String {
        x.into()
    }
}

fn main() {}
