//! Hidden associated constants through which a struct's attribute and its impl block's meet.
//!
//! The two attributes expand separately and cannot see each other. Each defines, in a hidden
//! inherent impl, one constant per name it claims; rustc reports a name claimed by both as
//! "duplicate definitions with name `__drupe_entry_named_blog`" (E0592), pointing at the
//! field and at the method. A `#[controller]` struct with a `#[resource]` impl block (or the
//! reverse) meets the same way, and `popargs(then = item)` names a mount field through the
//! constant that holds its name.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use crate::model::{Kind, Model};
use crate::syntax::translated;

/// The constant a routable name claims (a handler, an alias, a visible mount).
pub(crate) fn entry(name: &str, span: Span) -> Ident {
    format_ident!("__drupe_entry_named_{}", encoded(name), span = span)
}

/// The constant the name of a hidden mount claims.
pub(crate) fn hidden_mount(name: &str, span: Span) -> Ident {
    format_ident!("__drupe_hidden_mount_named_{}", encoded(name), span = span)
}

/// The constant a struct of `kind` defines, and an impl block of the other kind too.
fn kind_mismatch(struct_kind: Kind, span: Span) -> Ident {
    let name = match struct_kind {
        Kind::Controller => "__drupe_struct_is_controller_but_impl_is_resource",
        Kind::Resource => "__drupe_struct_is_resource_but_impl_is_controller",
    };
    Ident::new(name, span)
}

/// The constant holding the URL name of the mount field `field`.
pub(crate) fn field_mount_name(field: &Ident) -> Ident {
    format_ident!("__drupe_mount_field_named_{}", field, span = field.span())
}

/// The method projecting the struct onto its mount field `field`.
pub(crate) fn field_projection(field: &Ident) -> Ident {
    format_ident!("__drupe_field_{}", field)
}

/// A name as an identifier's tail: translated as the dispatcher reads it, then anything that
/// is not an ASCII letter, digit or `_` as `_xHH`.
fn encoded(name: &str) -> String {
    let mut out = String::new();
    for b in translated(name).bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("_x{b:02x}"));
        }
    }
    out
}

/// `const NAME: () = ();` for each.
pub(crate) fn consts(idents: impl IntoIterator<Item = Ident>) -> TokenStream {
    // Spanned on the name's own tokens: a duplicate points at the field and at the method.
    let consts = idents
        .into_iter()
        .map(|i| quote_spanned!(i.span()=> const #i: () = ();));
    quote!(#(#consts)*)
}

/// What an impl block claims: its entries, its hidden mounts, its kind.
pub(crate) fn for_impl(model: &Model, span: Span) -> TokenStream {
    let mut idents = Vec::new();
    for h in model.handlers.iter().filter(|h| h.verb.is_none()) {
        idents.push(entry(&h.name, h.ident.span()));
        for a in &h.aliases {
            idents.push(entry(a, h.ident.span()));
        }
    }
    for m in &model.mounts {
        idents.push(if m.hidden {
            hidden_mount(&m.name, m.ident.span())
        } else {
            entry(&m.name, m.ident.span())
        });
    }
    let other = match model.kind {
        Kind::Controller => Kind::Resource,
        Kind::Resource => Kind::Controller,
    };
    idents.push(kind_mismatch(other, span));
    consts(idents)
}

/// The kind a struct claims.
pub(crate) fn for_struct(kind: Kind, span: Span) -> Ident {
    kind_mismatch(kind, span)
}
