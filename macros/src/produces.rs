//! `produces(json, xml, atom, html = "t.html", MyRepr)` and `status(404, 409)`: on a method,
//! or on the impl block as the default of its handlers.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, LitInt, LitStr, Token};

use crate::errors::Errors;
use crate::model::{Produces, Repr};

/// A `produces(...)` as written: representations, or `none` (a method opting out of its impl
/// block's list).
pub(crate) enum Declared {
    List(Produces),
    OptOut(Span),
}

/// One item of `produces(...)` read by hand: `json`, `html = "t"`, `"text/html" = "t"`.
pub(crate) enum MediaItem {
    Path(syn::Path),
    Html(LitStr),
    Named(LitStr, LitStr),
}

impl syn::parse::Parse for MediaItem {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let k: LitStr = input.parse()?;
            input.parse::<Token![=]>()?;
            let v: LitStr = input.parse()?;
            return Ok(MediaItem::Named(k, v));
        }
        let p: syn::Path = input.parse()?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let v: LitStr = input.parse()?;
            if !p.is_ident("html") {
                return Err(syn::Error::new(p.span(), "only `html` takes a template"));
            }
            return Ok(MediaItem::Html(v));
        }
        Ok(MediaItem::Path(p))
    }
}

pub(crate) type MediaItems = Punctuated<MediaItem, Token![,]>;

/// A method's `#[produces(...)]`.
pub(crate) fn method_produces(a: &Attribute, errors: &mut Errors) -> Declared {
    match a.parse_args_with(MediaItems::parse_terminated) {
        Ok(items) => declared(items, a.span(), "#[produces]", errors),
        Err(e) => {
            errors.add(e);
            Declared::List(Produces {
                reprs: Vec::new(),
                span: a.span(),
            })
        }
    }
}

/// The list `items`, written at `span`; `what` names the attribute in messages.
pub(crate) fn declared(items: MediaItems, span: Span, what: &str, errors: &mut Errors) -> Declared {
    if let Some(none) = items.iter().find_map(none_item) {
        if items.len() > 1 {
            errors.push(
                none,
                "`none` stands alone: it opts a method out of its impl block's `produces(...)`",
            );
        }
        return Declared::OptOut(none);
    }
    let before = errors.count();
    let mut reprs = Vec::new();
    for it in items {
        if let Some(r) = repr(it, errors) {
            reprs.push(r);
        }
    }
    if reprs.is_empty() && errors.count() == before {
        errors.push(span, format!("{what} lists at least one representation"));
    }
    if reprs.len() > 8 {
        errors.push(span, format!("{what} takes at most eight representations"));
    }
    Declared::List(Produces { reprs, span })
}

fn none_item(it: &MediaItem) -> Option<Span> {
    match it {
        MediaItem::Path(p) if p.is_ident("none") => Some(p.span()),
        _ => None,
    }
}

fn repr(it: MediaItem, errors: &mut Errors) -> Option<Repr> {
    let html = |tpl: &LitStr| Repr {
        ty: quote!(::drupe::represent::Html),
        value: quote!(::drupe::represent::Html::new(#tpl)),
    };
    let builtin = |ty: TokenStream| Repr {
        value: ty.clone(),
        ty,
    };
    match it {
        MediaItem::Html(tpl) => Some(html(&tpl)),
        MediaItem::Named(k, tpl) if k.value() == "text/html" => Some(html(&tpl)),
        MediaItem::Named(k, _) => {
            errors.push(
                k.span(),
                "only \"text/html\" takes a template; other representations are named (`json`, `xml`, `atom`)",
            );
            None
        }
        MediaItem::Path(p) => match p.get_ident().map(ToString::to_string).as_deref() {
            Some("json") => Some(builtin(quote!(::drupe::represent::Json))),
            Some("xml") => Some(builtin(quote!(::drupe::represent::Xml))),
            Some("atom") => Some(builtin(quote!(::drupe::represent::Atom))),
            Some(n) if n.starts_with(|c: char| c.is_ascii_lowercase()) => {
                errors.push(
                    p.span(),
                    "unknown representation; built in are `json`, `xml`, `atom` and `html = \"template.html\"`; \
                     a representation of your own is named by the path of its type",
                );
                None
            }
            _ => Some(Repr {
                ty: quote_spanned!(p.span()=> #p),
                value: p.to_token_stream(),
            }),
        },
    }
}

pub(crate) type StatusItems = Punctuated<LitInt, Token![,]>;

/// A method's `#[status(...)]`.
pub(crate) fn method_statuses(a: &Attribute, errors: &mut Errors) -> Vec<u16> {
    match a.parse_args_with(StatusItems::parse_terminated) {
        Ok(list) => statuses(&list, errors),
        Err(e) => {
            errors.add(e);
            Vec::new()
        }
    }
}

/// The statuses of a list, each from 100 to 599.
pub(crate) fn statuses(list: &StatusItems, errors: &mut Errors) -> Vec<u16> {
    list.iter()
        .filter_map(|l| match l.base10_parse::<u16>() {
            Ok(v) if (100..=599).contains(&v) => Some(v),
            _ => {
                errors.push(l.span(), "a status is a number from 100 to 599");
                None
            }
        })
        .collect()
}

/// A handler's statuses: its own, then its impl block's that it does not list.
pub(crate) fn with_defaults(mut own: Vec<u16>, defaults: &[u16]) -> Vec<u16> {
    for s in defaults {
        if !own.contains(s) {
            own.push(*s);
        }
    }
    own
}
