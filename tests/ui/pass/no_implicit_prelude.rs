//! Generated code names everything it uses: it compiles without the prelude.

#![no_implicit_prelude]

extern crate drupe;
extern crate std;

mod tree {
    use ::drupe::{controller, resource};

    pub struct Root;

    #[controller]
    impl Root {
        #[expose]
        fn index(&self, name: ::std::option::Option<::std::string::String>) -> ::std::string::String {
            ::std::format!("{:?}", name)
        }

        #[expose]
        #[produces(json)]
        async fn negotiated(&self, n: u32) -> ::drupe::Negotiated<u32> {
            ::drupe::Negotiated::new(n)
        }
    }

    pub struct Res;

    #[resource(popargs(id))]
    impl Res {
        fn get(&self, id: ::std::option::Option<u64>) -> ::std::string::String {
            ::std::format!("{:?}", id)
        }
    }
}

fn main() {
    let _ = ::drupe::App::new(tree::Root);
    let _ = ::drupe::App::new(tree::Res);
}
