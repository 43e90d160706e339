//! A generic controller.

use drupe::{App, controller};

struct Echo<T> {
    value: T,
}

#[controller]
impl<T: std::fmt::Display + Send + Sync + 'static> Echo<T> {
    #[expose]
    fn index(&self) -> String {
        self.value.to_string()
    }
}

pub(crate) fn main() {
    let _ = App::new(Echo { value: 5u8 }).unwrap();
}
