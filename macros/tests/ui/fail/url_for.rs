use drupe::{controller, url_for};

struct Blog;

#[controller]
impl Blog {
    #[expose]
    fn post(&self, year: u16, slug: String) -> String {
        format!("{year} {slug}")
    }

    fn private(&self) -> &'static str {
        "not exposed"
    }
}

fn main() {
    // A year that is text.
    let _ = url_for!(Blog::post, "2024", "hello");
    // A missing argument, and one too many.
    let _ = url_for!(Blog::post, 2024);
    let _ = url_for!(Blog::post, 2024, "hello", 3);
    // No such handler, and a method that is not exposed.
    let _ = url_for!(Blog::nope);
    let _ = url_for!(Blog::private);
    // A handler without its type.
    let _ = url_for!(post, 2024, "hello");
}
