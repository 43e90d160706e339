use drupe::{controller, Negotiated};

#[derive(serde::Serialize)]
struct NoAtom {
    x: u8,
}

struct Root;

#[controller]
impl Root {
    #[expose]
    #[produces(json, atom)]
    fn thing(&self) -> Negotiated<NoAtom> {
        Negotiated::new(NoAtom { x: 1 })
    }

    #[expose]
    fn not_a_parameter(&self, x: std::time::Duration) -> String {
        format!("{x:?}")
    }
}

fn main() {}
