//! Rust syntax read the way the dispatcher names things: identifiers as URL segments, doc
//! comments as descriptions, and the heads of types (`Json` in `web::Json<T>`).

use syn::{Attribute, Expr, GenericArgument, Lit, PathArguments, Type};

/// The identifier as a name: `r#type` is `type`.
pub(crate) fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

/// The dispatcher's reading of a segment: ASCII punctuation reads as `_`.
pub(crate) fn translated(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_punctuation() {
                '_'
            } else {
                b as char
            }
        })
        .collect()
}

pub(crate) fn attr_is(a: &Attribute, name: &str) -> bool {
    a.path().is_ident(name)
}

/// Whether the attribute is written bare (`#[mount]`, not `#[mount(...)]`).
pub(crate) fn is_bare(a: &Attribute) -> bool {
    matches!(a.meta, syn::Meta::Path(_))
}

/// The doc comment of an item, its lines trimmed.
pub(crate) fn doc_of(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs {
        if let syn::Meta::NameValue(nv) = &a.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
        {
            lines.push(s.value().trim().to_owned());
        }
    }
    lines.join("\n").trim().to_owned()
}

/// The last path segment's name and its first generic argument, if it is a plain path type.
pub(crate) fn path_head(ty: &Type) -> Option<(String, Option<&Type>)> {
    let Type::Path(tp) = ty else {
        return None;
    };
    if tp.qself.is_some() {
        return None;
    }
    let seg = tp.path.segments.last()?;
    let inner = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), inner))
}

/// The name of a type's head: `Json` for `web::Json<T>`, `str` for `&'static str`.
pub(crate) fn head_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Reference(r) => head_name(&r.elem),
        Type::Paren(p) => head_name(&p.elem),
        Type::Group(g) => head_name(&g.elem),
        _ => path_head(ty).map(|(n, _)| n),
    }
}

/// The first type argument of `ty` when its head is one of `heads`.
pub(crate) fn first_generic<'t>(ty: &'t Type, heads: &[&str]) -> Option<&'t Type> {
    match path_head(ty) {
        Some((n, inner)) if heads.contains(&n.as_str()) => inner,
        Some((n, Some(inner))) if n == "Option" => first_generic(inner, heads),
        _ => None,
    }
}

/// `T` for `Result<T, E>` (any path ending in `Result`), else the type itself.
pub(crate) fn peel_result(ty: &Type) -> &Type {
    match path_head(ty) {
        Some((n, Some(inner))) if n == "Result" => inner,
        _ => ty,
    }
}
