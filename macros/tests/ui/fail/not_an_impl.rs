use drupe::controller;

#[controller]
enum Root {}

struct Other;

#[controller]
impl std::fmt::Debug for Other {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("other")
    }
}

fn main() {}
