//! `url_for!(Type::handler, args...)`: the call of the hidden function the controller's macro
//! generated for that handler, so that its existence and its arguments are checked by the
//! compiler; and that function, for each handler.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprPath, Token, Type};

use crate::model::{ArgClass, Handler};
use crate::syntax::{path_head, unraw};

struct Input {
    path: ExprPath,
    args: Punctuated<Expr, Token![,]>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: ExprPath = input.parse()?;
        let args = if input.is_empty() {
            Punctuated::new()
        } else {
            input.parse::<Token![,]>()?;
            Punctuated::parse_terminated(input)?
        };
        Ok(Self { path, args })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let Input { path, args } = match syn::parse2::<Input>(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error(),
    };
    let mut ty = path.path.clone();
    let Some(last) = ty.segments.pop() else {
        return syn::Error::new(path.span(), "expected `Type::handler`").to_compile_error();
    };
    let method = last.into_value().ident;
    if ty.segments.is_empty() {
        return syn::Error::new(
            method.span(),
            "url_for! names a handler with its type: `url_for!(Blog::post, 2024, \"hello\")`",
        )
        .to_compile_error();
    }
    // `Type::` without its trailing separator.
    if let Some(p) = ty.segments.pop() {
        ty.segments.push_value(p.into_value());
    }
    let f = format_ident!("__drupe_url_{}", unraw(&method), span = method.span());
    let qself = path.qself.as_ref().map(|q| &q.ty);
    let args = args.iter();
    match qself {
        Some(q) => quote!(<#q>::#f(#(#args),*)),
        None => quote!(<#ty>::#f(#(#args),*)),
    }
}

/// Whether a parameter's value travels in a URL (not an uploaded file, not the catch-all).
fn in_url(ty: &Type) -> bool {
    match path_head(ty) {
        Some((name, inner)) if name == "Option" || name == "Vec" => inner.is_none_or(in_url),
        Some((name, _)) => name != "Upload" && name != "Kwargs",
        None => true,
    }
}

/// The hidden function `url_for!` calls for handler `h`: one argument for each of its URL
/// parameters, typed by the parameter.
pub(crate) fn route_fn(h: &Handler) -> TokenStream {
    let f = format_ident!("__drupe_url_{}", unraw(&h.ident));
    let name = &h.name;
    let params: Vec<_> = h
        .args
        .iter()
        .filter(|a| matches!(a.class, ArgClass::Param { .. }) && in_url(&a.ty))
        .collect();
    let generics = params.iter().enumerate().map(|(i, a)| {
        let g = format_ident!("__A{i}");
        let ty = &a.ty;
        quote_spanned!(ty.span()=> #g: ::drupe::UrlArg<#ty>)
    });
    let inputs = params.iter().enumerate().map(|(i, _)| {
        let v = format_ident!("__a{i}");
        let g = format_ident!("__A{i}");
        quote!(#v: #g)
    });
    let pushes = params.iter().enumerate().map(|(i, a)| {
        let v = format_ident!("__a{i}");
        let ty = &a.ty;
        let pname = &a.name;
        quote!(.arg::<#ty>(#pname, #v))
    });
    quote! {
        pub fn #f<#(#generics),*>(#(#inputs),*) -> ::drupe::Route {
            ::drupe::Route::new(::core::any::type_name::<Self>(), #name) #(#pushes)*
        }
    }
}
