//! What the macros read: an impl block's handlers, mounts and hook, and the options written
//! on the block; the expansion works from these types alone.

use proc_macro2::{Span, TokenStream};
use syn::{Expr, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Controller,
    Resource,
}

impl Kind {
    /// The attribute as the user writes it.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Controller => "#[controller]",
            Kind::Resource => "#[resource]",
        }
    }
}

/// `popargs(a, b)` or `popargs(a, then = child)`.
pub(crate) struct PopArgs {
    pub(crate) names: Vec<String>,
    pub(crate) then: Option<syn::Ident>,
}

/// One representation of a `produces(...)` list.
#[derive(Clone)]
pub(crate) struct Repr {
    /// The representation's type (for `MEDIA_TYPES`).
    pub(crate) ty: TokenStream,
    /// The value placed in the set.
    pub(crate) value: TokenStream,
}

/// A `produces(...)` list and where it was written (trait-bound errors of the set point there).
#[derive(Clone)]
pub(crate) struct Produces {
    pub(crate) reprs: Vec<Repr>,
    pub(crate) span: Span,
}

/// The arguments of `#[controller(...)]` or `#[resource(...)]` on an impl block: the node's
/// `popargs`, and what its handlers produce and answer unless they say otherwise.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) popargs: Option<PopArgs>,
    pub(crate) produces: Option<Produces>,
    pub(crate) statuses: Vec<u16>,
}

pub(crate) enum ArgClass {
    Param {
        named: bool,
        default: Option<Expr>,
        rename: Option<String>,
    },
    /// An extractor; `body` when it reads the request body.
    Extract { body: bool },
}

pub(crate) struct Arg {
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) class: ArgClass,
}

pub(crate) struct Handler {
    pub(crate) ident: syn::Ident,
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) verb: Option<String>,
    pub(crate) doc: String,
    pub(crate) is_async: bool,
    pub(crate) args: Vec<Arg>,
    /// Its own `#[produces]`, else its impl block's; none when it negotiates nothing.
    pub(crate) produces: Option<Produces>,
    pub(crate) statuses: Vec<u16>,
    /// The declared return type (none for `()`).
    pub(crate) output: Option<Type>,
    /// Where the return type is written (errors about what the handler returns point there).
    pub(crate) output_span: Span,
}

pub(crate) struct Mount {
    pub(crate) ident: syn::Ident,
    pub(crate) name: String,
    pub(crate) hidden: bool,
}

pub(crate) struct Model {
    pub(crate) kind: Kind,
    pub(crate) popargs: Option<PopArgs>,
    pub(crate) handlers: Vec<Handler>,
    pub(crate) mounts: Vec<Mount>,
    pub(crate) hook: Option<syn::Ident>,
    /// Methods of the block that are not on the tree.
    pub(crate) private: Vec<String>,
}
