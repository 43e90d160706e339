//! Reading an `impl` block into what the expansion needs, collecting every error.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, FnArg, GenericArgument, ImplItem, ImplItemFn, ItemImpl, Lit, LitInt, LitStr,
    Pat, PathArguments, ReturnType, Type,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Controller,
    Resource,
}

/// Errors collected while reading, reported together.
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Vec<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span, msg));
    }
    pub(crate) fn add(&mut self, e: syn::Error) {
        self.0.push(e);
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}

pub(crate) struct PopArgs {
    pub(crate) names: Vec<String>,
    pub(crate) then: Option<syn::Ident>,
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

fn reads_body(ty: &Type) -> bool {
    match path_head(ty) {
        Some((name, inner)) if name == "Option" => inner.is_some_and(reads_body),
        Some((name, _)) => BODY_EXTRACTORS.contains(&name.as_str()),
        None => false,
    }
}

pub(crate) struct Arg {
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) class: ArgClass,
}

pub(crate) struct Repr {
    /// The representation's type (for `MEDIA_TYPES`).
    pub(crate) ty: TokenStream,
    /// The value placed in the set.
    pub(crate) value: TokenStream,
}

pub(crate) struct Handler {
    pub(crate) ident: syn::Ident,
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) verb: Option<String>,
    pub(crate) doc: String,
    pub(crate) is_async: bool,
    pub(crate) args: Vec<Arg>,
    pub(crate) produces: Option<Vec<Repr>>,
    /// Where `#[produces]` was written (trait-bound errors of the set point there).
    pub(crate) produces_span: Span,
    pub(crate) statuses: Vec<u16>,
    /// The declared return type (none for `()`).
    pub(crate) output: Option<Type>,
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

const VERBS: [(&str, &str); 7] = [
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("patch", "PATCH"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
];

fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

fn translated(s: &str) -> String {
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

fn attr_is(a: &Attribute, name: &str) -> bool {
    a.path().is_ident(name)
}

/// Parses the macro's own arguments: `popargs(a, b)` or `popargs(a, then = child)`.
pub(crate) fn parse_args(args: TokenStream, errors: &mut Errors) -> Option<PopArgs> {
    if args.is_empty() {
        return None;
    }
    let mut pop = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("popargs") {
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
            pop = Some(PopArgs { names, then });
            Ok(())
        } else {
            Err(meta.error("unknown argument; expected `popargs(name, ...)`"))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.add(e);
    }
    pop
}

/// Reads the impl block, strips the helper attributes from it, and returns the model.
pub(crate) fn read(
    kind: Kind,
    popargs: Option<PopArgs>,
    item: &mut ItemImpl,
    errors: &mut Errors,
) -> Model {
    if let Some((_, path, _)) = &item.trait_ {
        errors.push(
            path.span(),
            "#[controller] and #[resource] go on an inherent impl block, not a trait impl",
        );
    }
    let mut model = Model {
        kind,
        popargs,
        handlers: Vec::new(),
        mounts: Vec::new(),
        hook: None,
        private: Vec::new(),
    };
    for it in &mut item.items {
        let ImplItem::Fn(f) = it else {
            continue;
        };
        read_fn(kind, f, &mut model, errors);
    }
    check_names(&model, errors);
    if let (Some(_), Some(h)) = (&model.popargs, &model.hook) {
        errors.push(
            h.span(),
            "a node has either `popargs` or a #[dispatch] hook, not both",
        );
    }
    if let Some(PopArgs { then: Some(t), .. }) = &model.popargs
        && !model.mounts.iter().any(|m| m.ident == *t)
    {
        {
            errors.push(
                t.span(),
                format!("`then = {t}` must name a #[mount] of this impl block"),
            );
        }
    }
    model
}

fn read_fn(kind: Kind, f: &mut ImplItemFn, model: &mut Model, errors: &mut Errors) {
    let attrs = std::mem::take(&mut f.attrs);
    let mut expose: Option<&Attribute> = None;
    let mut mount: Option<&Attribute> = None;
    let mut dispatch: Option<&Attribute> = None;
    let mut produces: Option<&Attribute> = None;
    let mut status: Option<&Attribute> = None;
    let mut verb_attr: Option<&Attribute> = None;
    let mut kept = Vec::new();
    for a in &attrs {
        let slot = if attr_is(a, "expose") {
            &mut expose
        } else if attr_is(a, "mount") {
            &mut mount
        } else if attr_is(a, "dispatch") {
            &mut dispatch
        } else if attr_is(a, "produces") {
            &mut produces
        } else if attr_is(a, "status") {
            &mut status
        } else if attr_is(a, "verb") {
            &mut verb_attr
        } else {
            kept.push(a.clone());
            continue;
        };
        if slot.is_some() {
            errors.push(a.span(), "this attribute is given twice");
        }
        *slot = Some(a);
    }
    let name = unraw(&f.sig.ident);
    let implied_verb = (kind == Kind::Resource)
        .then(|| {
            VERBS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .flatten();
    let roles = [expose.is_some(), mount.is_some(), dispatch.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if roles > 1 {
        errors.push(
            f.sig.ident.span(),
            "a method is at most one of #[expose], #[mount] and #[dispatch]",
        );
    }
    let verb = match verb_attr {
        Some(a) => {
            if kind != Kind::Resource {
                errors.push(a.span(), "#[verb] belongs in a #[resource] impl block");
            }
            match a.parse_args::<LitStr>() {
                Ok(l) => {
                    let v = l.value();
                    if v.is_empty()
                        || !v
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
                    {
                        errors.push(
                            l.span(),
                            "an HTTP method is an upper-case token, such as \"PROPFIND\"",
                        );
                    }
                    Some(v)
                }
                Err(e) => {
                    errors.add(e);
                    None
                }
            }
        }
        None => implied_verb,
    };
    if let Some(a) = expose
        && kind == Kind::Resource
    {
        {
            errors.push(
                a.span(),
                "a #[resource] answers by HTTP method (`fn get`, `fn post`, ...); #[expose] belongs on a #[controller]",
            );
        }
    }
    let is_handler = (expose.is_some() && kind == Kind::Controller)
        || (verb.is_some() && mount.is_none() && dispatch.is_none());
    if !is_handler {
        for (a, what) in [(produces, "#[produces]"), (status, "#[status]")] {
            if let Some(a) = a {
                errors.push(
                    a.span(),
                    format!("{what} goes on an exposed method or an HTTP verb method"),
                );
            }
        }
    }
    if let Some(a) = mount {
        read_mount(f, a, &name, model, errors);
    } else if let Some(a) = dispatch {
        if !matches!(a.meta, syn::Meta::Path(_)) {
            errors.push(a.span(), "#[dispatch] takes no arguments");
        }
        if let Some(t) = &f.sig.asyncness {
            errors.push(
                t.span(),
                "a #[dispatch] hook runs during the walk and must not be async",
            );
        }
        check_receiver(f, errors);
        if model.hook.is_some() {
            errors.push(f.sig.ident.span(), "a node has one #[dispatch] hook");
        }
        model.hook = Some(f.sig.ident.clone());
        model.private.push(name);
    } else if is_handler {
        let mut aliases = Vec::new();
        if let Some(a) = expose
            && !matches!(a.meta, syn::Meta::Path(_))
        {
            {
                let r = a.parse_nested_meta(|meta| {
                    if meta.path.is_ident("alias") {
                        let l: LitStr = meta.value()?.parse()?;
                        if l.value().is_empty() || l.value().contains('/') {
                            return Err(syn::Error::new(
                                l.span(),
                                "an alias is one non-empty path segment",
                            ));
                        }
                        aliases.push(l.value());
                        Ok(())
                    } else {
                        Err(meta.error("unknown argument; expected `alias = \"name\"`"))
                    }
                });
                if let Err(e) = r {
                    errors.add(e);
                }
            }
        }
        check_receiver(f, errors);
        if !f.sig.generics.params.is_empty() {
            errors.push(
                f.sig.generics.span(),
                "a handler cannot be generic: the dispatcher calls it with concrete types",
            );
        }
        let args = read_args(f, errors);
        let produces_span = produces.map_or_else(|| f.sig.ident.span(), |a| a.span());
        let produces = produces.map(|a| read_produces(a, errors));
        let statuses = status.map(|a| read_status(a, errors)).unwrap_or_default();
        model.handlers.push(Handler {
            ident: f.sig.ident.clone(),
            name,
            aliases,
            verb,
            doc: doc_of(&kept),
            is_async: f.sig.asyncness.is_some(),
            args,
            produces,
            produces_span,
            statuses,
            output: match &f.sig.output {
                ReturnType::Type(_, t) => Some((**t).clone()),
                ReturnType::Default => None,
            },
        });
    } else if name != "index" && name != "default" {
        // A non-exposed `index` or `default` is ignored, as if absent (reference A1.4);
        // any other private name is answered by this node or nowhere.
        model.private.push(name);
    }
    f.attrs = kept;
}

fn read_mount(f: &ImplItemFn, a: &Attribute, name: &str, model: &mut Model, errors: &mut Errors) {
    let mut hidden = false;
    let mut rename = None;
    if !matches!(a.meta, syn::Meta::Path(_)) {
        let r = a.parse_nested_meta(|meta| {
            if meta.path.is_ident("hidden") {
                hidden = true;
                Ok(())
            } else if meta.path.is_ident("name") {
                let l: LitStr = meta.value()?.parse()?;
                rename = Some(l.value());
                Ok(())
            } else {
                Err(meta.error("unknown argument; expected `hidden` or `name = \"...\"`"))
            }
        });
        if let Err(e) = r {
            errors.add(e);
        }
    }
    if let Some(t) = &f.sig.asyncness {
        errors.push(
            t.span(),
            "a #[mount] returns a reference to a child and must not be async",
        );
    }
    check_receiver(f, errors);
    if f.sig.inputs.len() != 1 {
        errors.push(f.sig.inputs.span(), "a #[mount] takes only `&self`");
    }
    match &f.sig.output {
        ReturnType::Type(_, ty) if matches!(**ty, Type::Reference(_)) => {}
        other => errors.push(
            other.span(),
            "a #[mount] returns a reference to the child: `fn blog(&self) -> &Blog`",
        ),
    }
    model.mounts.push(Mount {
        ident: f.sig.ident.clone(),
        name: rename.unwrap_or_else(|| name.to_owned()),
        hidden,
    });
}

fn check_receiver(f: &ImplItemFn, errors: &mut Errors) {
    match f.sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
        Some(FnArg::Receiver(r)) => errors.push(
            r.span(),
            "the tree is shared by every request: take `&self` (use interior mutability for state)",
        ),
        _ => errors.push(
            f.sig.ident.span(),
            "this method needs a `&self` receiver to be part of the tree",
        ),
    }
}

fn doc_of(attrs: &[Attribute]) -> String {
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
fn path_head(ty: &Type) -> Option<(String, Option<&Type>)> {
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

fn is_param_type(ty: &Type) -> bool {
    match path_head(ty) {
        Some((name, inner)) if name == "Option" || name == "Vec" => {
            inner.is_some_and(is_param_type)
        }
        Some((name, _)) => PARAM_TYPES.contains(&name.as_str()) || name == "Upload",
        None => false,
    }
}

fn read_args(f: &mut ImplItemFn, errors: &mut Errors) -> Vec<Arg> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for input in f.sig.inputs.iter_mut().skip(1) {
        let FnArg::Typed(pt) = input else {
            continue;
        };
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
                continue;
            }
        };
        match &*pt.ty {
            Type::Reference(r) => {
                errors.push(
                    r.span(),
                    "handler arguments are owned values: use `String` for text, or an owned extractor",
                );
                continue;
            }
            Type::ImplTrait(t) => {
                errors.push(
                    t.span(),
                    "a handler argument needs a concrete type, not `impl Trait`",
                );
                continue;
            }
            _ => {}
        }
        let class = if let Some(a) = extract_attr {
            if param_attr.is_some() {
                errors.push(a.span(), "an argument is either #[param] or #[extract]");
            }
            let mut body = reads_body(&pt.ty);
            if !matches!(a.meta, syn::Meta::Path(_)) {
                let r = a.parse_nested_meta(|meta| {
                    if meta.path.is_ident("body") {
                        body = true;
                        Ok(())
                    } else {
                        Err(meta.error("unknown argument; expected `body`"))
                    }
                });
                if let Err(e) = r {
                    errors.add(e);
                }
            }
            ArgClass::Extract { body }
        } else if param_attr.is_some() || is_param_type(&pt.ty) {
            let mut named = false;
            let mut default = None;
            let mut rename = None;
            if let Some(a) = &param_attr
                && !matches!(a.meta, syn::Meta::Path(_))
            {
                {
                    let r = a.parse_nested_meta(|meta| {
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
                    });
                    if let Err(e) = r {
                        errors.add(e);
                    }
                }
            }
            ArgClass::Param {
                named,
                default,
                rename,
            }
        } else {
            ArgClass::Extract {
                body: reads_body(&pt.ty),
            }
        };
        let key = match &class {
            ArgClass::Param {
                rename: Some(r), ..
            } => r.clone(),
            _ => name.clone(),
        };
        if matches!(class, ArgClass::Param { .. }) && !seen.insert(key.clone()) {
            errors.push(pt.pat.span(), format!("two parameters are named `{key}`"));
        }
        out.push(Arg {
            name: key,
            ty: (*pt.ty).clone(),
            class,
        });
    }
    out
}

fn read_produces(a: &Attribute, errors: &mut Errors) -> Vec<Repr> {
    let items = match a
        .parse_args_with(syn::punctuated::Punctuated::<MediaItem, syn::Token![,]>::parse_terminated)
    {
        Ok(items) => items,
        Err(e) => {
            errors.add(e);
            return Vec::new();
        }
    };
    let html = |tpl: &LitStr| Repr {
        ty: quote!(::drupe::represent::Html),
        value: quote!(::drupe::represent::Html::new(#tpl)),
    };
    let builtin = |ty: TokenStream| Repr {
        value: ty.clone(),
        ty,
    };
    let mut out = Vec::new();
    let before = errors.0.len();
    for it in items {
        match it {
            MediaItem::Html(tpl) => out.push(html(&tpl)),
            MediaItem::Named(k, tpl) if k.value() == "text/html" => out.push(html(&tpl)),
            MediaItem::Named(k, _) => errors.push(
                k.span(),
                "only \"text/html\" takes a template; other representations are named (`json`, `xml`, `atom`)",
            ),
            MediaItem::Path(p) => match p.get_ident().map(ToString::to_string).as_deref() {
                Some("json") => out.push(builtin(quote!(::drupe::represent::Json))),
                Some("xml") => out.push(builtin(quote!(::drupe::represent::Xml))),
                Some("atom") => out.push(builtin(quote!(::drupe::represent::Atom))),
                Some(n) if n.starts_with(|c: char| c.is_ascii_lowercase()) => errors.push(
                    p.span(),
                    "unknown representation; built in are `json`, `xml`, `atom` and `html = \"template.html\"`; \
                     a representation of your own is named by the path of its type",
                ),
                _ => out.push(Repr {
                    ty: quote_spanned!(p.span()=> #p),
                    value: p.to_token_stream(),
                }),
            },
        }
    }
    if out.is_empty() && errors.0.len() == before {
        errors.push(a.span(), "#[produces] lists at least one representation");
    }
    if out.len() > 8 {
        errors.push(a.span(), "#[produces] takes at most eight representations");
    }
    out
}

/// One item of `#[produces(...)]` read by hand: `json`, `html = "t"`, `"text/html" = "t"`.
enum MediaItem {
    Path(syn::Path),
    Html(LitStr),
    Named(LitStr, LitStr),
}

impl syn::parse::Parse for MediaItem {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let k: LitStr = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            let v: LitStr = input.parse()?;
            return Ok(MediaItem::Named(k, v));
        }
        let p: syn::Path = input.parse()?;
        if input.peek(syn::Token![=]) {
            input.parse::<syn::Token![=]>()?;
            let v: LitStr = input.parse()?;
            if !p.is_ident("html") {
                return Err(syn::Error::new(p.span(), "only `html` takes a template"));
            }
            return Ok(MediaItem::Html(v));
        }
        Ok(MediaItem::Path(p))
    }
}

fn read_status(a: &Attribute, errors: &mut Errors) -> Vec<u16> {
    match a.parse_args_with(syn::punctuated::Punctuated::<LitInt, syn::Token![,]>::parse_terminated)
    {
        Ok(list) => list
            .iter()
            .filter_map(|l| match l.base10_parse::<u16>() {
                Ok(v) if (100..=599).contains(&v) => Some(v),
                _ => {
                    errors.push(l.span(), "a status is a number from 100 to 599");
                    None
                }
            })
            .collect(),
        Err(e) => {
            errors.add(e);
            Vec::new()
        }
    }
}

/// Two routable entries under one name (after punctuation translation) are an error.
fn check_names(model: &Model, errors: &mut Errors) {
    let mut seen: Vec<(String, Span)> = Vec::new();
    // A later claim of a name is the error; the first one stands.
    let mut claim = |name: String, span: Span, errors: &mut Errors| {
        if seen.iter().any(|(n, _)| *n == name) {
            errors.push(
                span,
                format!("two handlers or mounts answer the name `{name}`"),
            );
        } else {
            seen.push((name, span));
        }
    };
    let mut verbs: Vec<String> = Vec::new();
    for h in &model.handlers {
        match &h.verb {
            Some(v) => {
                if verbs.contains(v) {
                    errors.push(h.ident.span(), format!("two handlers for {v}"));
                }
                verbs.push(v.clone());
            }
            None => {
                claim(h.name.clone(), h.ident.span(), errors);
                for a in &h.aliases {
                    claim(translated(a), h.ident.span(), errors);
                }
            }
        }
    }
    for m in &model.mounts {
        if !m.hidden {
            claim(m.name.clone(), m.ident.span(), errors);
        }
    }
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
