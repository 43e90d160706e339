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
        fn index(
            &self,
            name: ::std::option::Option<::std::string::String>,
        ) -> ::std::string::String {
            ::std::format!("{:?}", name)
        }

        #[expose]
        #[produces(json)]
        async fn negotiated(&self, n: u32) -> ::drupe::Negotiated<u32> {
            ::drupe::Negotiated::new(n)
        }
    }

    #[controller]
    pub struct WithFields {
        #[mount]
        pub child: Root,
        #[mount(hidden)]
        pub hidden: Root,
    }

    #[controller(popargs(id, then = hidden), produces(json, xml), status(503))]
    impl WithFields {
        #[expose]
        fn point(&self) -> ::std::result::Result<::drupe::Negotiated<u32>, Missing> {
            ::std::result::Result::Ok(::drupe::Negotiated::new(1).header("x-a", "b"))
        }

        #[expose]
        #[produces(none)]
        fn plain(&self) -> ::std::result::Result<::std::string::String, Missing> {
            ::std::result::Result::Err(Missing)
        }
    }

    pub struct Missing;

    impl ::std::convert::From<Missing> for ::drupe::HttpError {
        fn from(_: Missing) -> Self {
            ::drupe::HttpError::not_found("missing")
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

pub(crate) fn main() {
    let _ = ::drupe::App::new(tree::Root);
    let _ = ::drupe::App::new(tree::Res);
    let _ = ::drupe::App::new(tree::WithFields {
        child: tree::Root,
        hidden: tree::Root,
    });
}
