//! The macros' own arguments: `#[controller(popargs(a, then = item), produces(json, xml),
//! status(503))]` on an impl block; nothing on a struct.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;

use crate::errors::Errors;
use crate::model::{Kind, Options, PopArgs};
use crate::produces::{self, Declared, MediaItems, StatusItems};
use crate::syntax::unraw;

/// Parses the arguments of the attribute on an impl block.
pub(crate) fn impl_options(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    if args.is_empty() {
        return options;
    }
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("popargs") {
            options.popargs = Some(popargs(&meta)?);
            Ok(())
        } else if meta.path.is_ident("produces") {
            let content;
            syn::parenthesized!(content in meta.input);
            let items = content.parse_terminated(syn::parse::Parse::parse, syn::Token![,])?;
            options.produces = default_produces(items, &meta, errors);
            Ok(())
        } else if meta.path.is_ident("status") {
            let content;
            syn::parenthesized!(content in meta.input);
            let list: StatusItems =
                content.parse_terminated(syn::parse::Parse::parse, syn::Token![,])?;
            options.statuses = produces::statuses(&list, errors);
            Ok(())
        } else {
            Err(meta.error(
                "unknown argument; expected `popargs(name, ...)`, `produces(...)` or `status(...)`",
            ))
        }
    });
    let parsed = syn::parse::Parser::parse2(parser, args);
    errors.check(parsed);
    options
}

fn popargs(meta: &ParseNestedMeta<'_>) -> syn::Result<PopArgs> {
    let mut names = Vec::new();
    let mut then = None;
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("then") {
            let v: syn::Ident = inner.value()?.parse()?;
            then = Some(v);
        } else if let Some(id) = inner.path.get_ident() {
            names.push(unraw(id));
        } else {
            return Err(inner.error("expected a parameter name"));
        }
        Ok(())
    })?;
    if names.is_empty() {
        return Err(meta.error("popargs needs at least one parameter name"));
    }
    Ok(PopArgs { names, then })
}

fn default_produces(
    items: MediaItems,
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> Option<crate::model::Produces> {
    match produces::declared(items, meta.path.span(), "`produces(...)`", errors) {
        Declared::List(p) => Some(p),
        Declared::OptOut(span) => {
            errors.push(
                span,
                "`none` opts one method out of its impl block's `produces(...)`; \
                 an impl block that negotiates nothing leaves `produces` out",
            );
            None
        }
    }
}

/// The attribute on a struct takes no arguments: they belong on the impl block.
pub(crate) fn struct_options(kind: Kind, args: TokenStream, errors: &mut Errors) {
    if !args.is_empty() {
        let what = kind.attribute();
        errors.push(
            args.span(),
            format!(
                "{what} on a struct takes no arguments: `popargs`, `produces` and `status` go on \
                 its impl block (`{what} impl ...`)"
            ),
        );
    }
}
