//! A handler's arguments: parameters (filled from the path and by name) and extractors, with
//! their `#[param(...)]` and `#[extract(...)]` options.

use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, ImplItemFn, LitStr, Pat, PatType, Type};

use crate::errors::Errors;
use crate::model::{Arg, ArgClass};
use crate::syntax::{attr_is, is_bare, path_head, unraw};

/// Extractors known to read the request body: a handler with one gets its form body left to
/// it instead of read into named values.
const BODY_EXTRACTORS: [&str; 7] = [
    "Body",
    "Form",
    "Json",
    "Multipart",
    "MultipartForm",
    "Payload",
    "Bytes",
];

/// Types filled as parameters without `#[param]`.
const PARAM_TYPES: [&str; 19] = [
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "bool",
    "char",
    "String",
    "VirtualPath",
    "Kwargs",
];

fn reads_body(ty: &Type) -> bool {
    match path_head(ty) {
        Some((name, inner)) if name == "Option" => inner.is_some_and(reads_body),
        Some((name, _)) => BODY_EXTRACTORS.contains(&name.as_str()),
        None => false,
    }
}

fn is_param_type(ty: &Type) -> bool {
    match path_head(ty) {
        Some((name, inner)) if name == "Option" || name == "Vec" => {
            inner.is_some_and(is_param_type)
        }
        Some((name, _)) => PARAM_TYPES.contains(&name.as_str()) || name == "Upload",
        None => false,
    }
}

/// Reads the arguments after the receiver, stripping their helper attributes.
pub(crate) fn read_args(f: &mut ImplItemFn, errors: &mut Errors) -> Vec<Arg> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for input in f.sig.inputs.iter_mut().skip(1) {
        let FnArg::Typed(pt) = input else {
            continue;
        };
        let Some(arg) = read_arg(pt, errors) else {
            continue;
        };
        if matches!(arg.class, ArgClass::Param { .. }) && !seen.insert(arg.name.clone()) {
            errors.push(
                pt.pat.span(),
                format!("two parameters are named `{}`", arg.name),
            );
        }
        out.push(arg);
    }
    out
}

/// One argument, or `None` (with an error) when it cannot be bound.
fn read_arg(pt: &mut PatType, errors: &mut Errors) -> Option<Arg> {
    let attrs = std::mem::take(&mut pt.attrs);
    let mut param_attr = None;
    let mut extract_attr = None;
    for a in attrs {
        if attr_is(&a, "param") {
            param_attr = Some(a);
        } else if attr_is(&a, "extract") {
            extract_attr = Some(a);
        } else {
            pt.attrs.push(a);
        }
    }
    let name = match &*pt.pat {
        Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => unraw(&pi.ident),
        other => {
            errors.push(
                other.span(),
                "handler arguments are plain names (`year: u16`): the name is the parameter's",
            );
            return None;
        }
    };
    check_owned(&pt.ty, errors)?;
    let class = classify(&pt.ty, param_attr.as_ref(), extract_attr.as_ref(), errors);
    let name = match &class {
        ArgClass::Param {
            rename: Some(r), ..
        } => r.clone(),
        _ => name,
    };
    Some(Arg {
        name,
        ty: (*pt.ty).clone(),
        class,
    })
}

/// `Some(())` for a type the dispatcher can hand over; `None` (with an error) otherwise.
fn check_owned(ty: &Type, errors: &mut Errors) -> Option<()> {
    match ty {
        Type::Reference(r) => {
            errors.push(
                r.span(),
                "handler arguments are owned values: use `String` for text, or an owned extractor",
            );
            None
        }
        Type::ImplTrait(t) => {
            errors.push(
                t.span(),
                "a handler argument needs a concrete type, not `impl Trait`",
            );
            None
        }
        _ => Some(()),
    }
}

/// A parameter or an extractor, by its attributes, else by its type.
fn classify(
    ty: &Type,
    param_attr: Option<&Attribute>,
    extract_attr: Option<&Attribute>,
    errors: &mut Errors,
) -> ArgClass {
    if let Some(a) = extract_attr {
        if param_attr.is_some() {
            errors.push(a.span(), "an argument is either #[param] or #[extract]");
        }
        ArgClass::Extract {
            body: extract_options(a, reads_body(ty), errors),
        }
    } else if param_attr.is_some() || is_param_type(ty) {
        param_options(param_attr, errors)
    } else {
        ArgClass::Extract {
            body: reads_body(ty),
        }
    }
}

/// `#[extract]` or `#[extract(body)]`: whether the extractor reads the body.
fn extract_options(a: &Attribute, mut body: bool, errors: &mut Errors) -> bool {
    if !is_bare(a) {
        errors.check(a.parse_nested_meta(|meta| {
            if meta.path.is_ident("body") {
                body = true;
                Ok(())
            } else {
                Err(meta.error("unknown argument; expected `body`"))
            }
        }));
    }
    body
}

/// `#[param]`, `#[param(named)]`, `#[param(default = expr)]`, `#[param(name = "...")]`.
fn param_options(a: Option<&Attribute>, errors: &mut Errors) -> ArgClass {
    let mut named = false;
    let mut default = None;
    let mut rename = None;
    if let Some(a) = a
        && !is_bare(a)
    {
        errors.check(a.parse_nested_meta(|meta| {
            if meta.path.is_ident("named") {
                named = true;
                Ok(())
            } else if meta.path.is_ident("default") {
                default = Some(meta.value()?.parse::<Expr>()?);
                Ok(())
            } else if meta.path.is_ident("name") {
                rename = Some(meta.value()?.parse::<LitStr>()?.value());
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument; expected `default = expr`, `named` or `name = \"...\"`",
                ))
            }
        }));
    }
    ArgClass::Param {
        named,
        default,
        rename,
    }
}
