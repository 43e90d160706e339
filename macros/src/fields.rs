//! `#[controller]` or `#[resource]` on a struct: its `#[mount]` fields are the node's children.
//!
//! The struct's attribute implements `drupe::__private::FieldMounts`, which the impl block's
//! `describe` finds by autoref specialization (an impl block whose struct has no attribute
//! mounts no fields). Field mounts come after the impl block's handlers and before its
//! `#[mount]` methods, in declaration order.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Attribute, ItemStruct, Type};

use crate::checks::Claims;
use crate::errors::Errors;
use crate::markers;
use crate::method::mount_options;
use crate::model::Kind;
use crate::options;
use crate::syntax::{attr_is, translated, unraw};

/// One `#[mount]` field.
struct FieldMount {
    ident: syn::Ident,
    ty: Type,
    name: String,
    hidden: bool,
}

pub(crate) fn expand_struct(kind: Kind, args: TokenStream, mut item: ItemStruct) -> TokenStream {
    let mut errors = Errors::default();
    options::struct_options(kind, args, &mut errors);
    let mounts = read_fields(&mut item, &mut errors);
    if !errors.is_empty() {
        let errs = errors.to_compile_errors();
        return quote!(#item #errs);
    }
    let generated = generate(kind, &item, &mounts);
    quote!(#item #generated)
}

fn read_fields(item: &mut ItemStruct, errors: &mut Errors) -> Vec<FieldMount> {
    let mut mounts = Vec::new();
    let mut claims = Claims::default();
    for field in item.fields.iter_mut() {
        let Some(a) = take_mount(&mut field.attrs, errors) else {
            continue;
        };
        let (hidden, rename) = mount_options(&a, errors);
        let Some(ident) = &field.ident else {
            errors.push(
                a.span(),
                "a #[mount] field has a name, the child's URL segment: `#[mount] blog: Blog`",
            );
            continue;
        };
        let name = rename.unwrap_or_else(|| unraw(ident));
        if hidden {
            claims.hidden(name.clone(), ident.span(), errors);
        } else {
            claims.entry(translated(&name), ident.span(), errors);
        }
        mounts.push(FieldMount {
            ident: ident.clone(),
            ty: field.ty.clone(),
            name,
            hidden,
        });
    }
    mounts
}

/// Takes the `#[mount]` attributes off a field; the first one, if any.
fn take_mount(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> Option<Attribute> {
    let mut mount = None;
    attrs.retain(|a| {
        if !attr_is(a, "mount") {
            return true;
        }
        if mount.is_some() {
            errors.push(a.span(), "this attribute is given twice");
        } else {
            mount = Some(a.clone());
        }
        false
    });
    mount
}

fn generate(kind: Kind, item: &ItemStruct, mounts: &[FieldMount]) -> TokenStream {
    let ident = &item.ident;
    let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
    let mut items = Vec::new();
    let mut claims = vec![markers::for_struct(kind, ident.span())];
    let mut calls = Vec::new();
    for m in mounts {
        let field = &m.ident;
        let ty = &m.ty;
        let name = &m.name;
        let hidden = m.hidden;
        let projection = markers::field_projection(field);
        let name_const = markers::field_mount_name(field);
        items.push(quote! {
            fn #projection(&self) -> &#ty {
                &self.#field
            }
            pub(crate) const #name_const: &'static str = #name;
        });
        claims.push(if hidden {
            markers::hidden_mount(name, field.span())
        } else {
            markers::entry(name, field.span())
        });
        calls.push(quote!(__node.mount::<#ty>(#name, #hidden, Self::#projection);));
    }
    let claims = markers::consts(claims);
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, non_snake_case, dead_code, clippy::all)]
        impl #impl_generics #ident #ty_generics #where_clause {
            #(#items)*
            #claims
        }

        impl #impl_generics ::drupe::__private::FieldMounts for #ident #ty_generics #where_clause {
            #[allow(unused_variables)]
            fn mount_fields(__node: &mut ::drupe::__private::NodeBuilder<'_, Self>) {
                #(#calls)*
            }
        }
    }
}
