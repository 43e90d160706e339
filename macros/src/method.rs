//! One method of the impl block: its role (an exposed handler, a verb of a resource, a mount,
//! the dispatch hook, or private) read from its helper attributes, which are stripped.

use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ImplItemFn, LitStr, ReturnType, Type};

use crate::errors::Errors;
use crate::model::{Handler, Kind, Model, Mount, Options, Produces};
use crate::params::read_args;
use crate::produces::{self, Declared};
use crate::syntax::{doc_of, is_bare, unraw};

const VERBS: [(&str, &str); 7] = [
    ("get", "GET"),
    ("post", "POST"),
    ("put", "PUT"),
    ("patch", "PATCH"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("head", "HEAD"),
];

/// The helper attributes of one method.
#[derive(Default)]
struct Helpers {
    expose: Option<Attribute>,
    mount: Option<Attribute>,
    dispatch: Option<Attribute>,
    produces: Option<Attribute>,
    status: Option<Attribute>,
    verb: Option<Attribute>,
}

impl Helpers {
    /// Takes the helper attributes off `attrs`, leaving the others.
    fn take(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> Self {
        let mut h = Helpers::default();
        let mut kept = Vec::new();
        for a in std::mem::take(attrs) {
            let Some(slot) = h.slot(&a) else {
                kept.push(a);
                continue;
            };
            if slot.is_some() {
                errors.push(a.span(), "this attribute is given twice");
            }
            *slot = Some(a);
        }
        *attrs = kept;
        h
    }

    /// Where a helper attribute goes; `None` for any other attribute.
    fn slot(&mut self, a: &Attribute) -> Option<&mut Option<Attribute>> {
        let name = a.path().get_ident()?.to_string();
        Some(match name.as_str() {
            "expose" => &mut self.expose,
            "mount" => &mut self.mount,
            "dispatch" => &mut self.dispatch,
            "produces" => &mut self.produces,
            "status" => &mut self.status,
            "verb" => &mut self.verb,
            _ => return None,
        })
    }
}

/// Reads one method into the model.
pub(crate) fn read_fn(
    kind: Kind,
    options: &Options,
    f: &mut ImplItemFn,
    model: &mut Model,
    errors: &mut Errors,
) {
    let h = Helpers::take(&mut f.attrs, errors);
    let name = unraw(&f.sig.ident);
    let roles = [&h.expose, &h.mount, &h.dispatch]
        .iter()
        .filter(|a| a.is_some())
        .count();
    if roles > 1 {
        errors.push(
            f.sig.ident.span(),
            "a method is at most one of #[expose], #[mount] and #[dispatch]",
        );
    }
    let verb = read_verb(kind, &name, h.verb.as_ref(), errors);
    if let Some(a) = &h.expose
        && kind == Kind::Resource
    {
        errors.push(
            a.span(),
            "a #[resource] answers by HTTP method (`fn get`, `fn post`, ...); #[expose] belongs on a #[controller]",
        );
    }
    let is_handler = (h.expose.is_some() && kind == Kind::Controller)
        || (verb.is_some() && h.mount.is_none() && h.dispatch.is_none());
    if !is_handler {
        for (a, what) in [(&h.produces, "#[produces]"), (&h.status, "#[status]")] {
            if let Some(a) = a {
                errors.push(
                    a.span(),
                    format!("{what} goes on an exposed method or an HTTP verb method"),
                );
            }
        }
    }
    if let Some(a) = &h.mount {
        model.mounts.push(read_mount(f, a, &name, errors));
    } else if let Some(a) = &h.dispatch {
        read_dispatch(f, a, model, errors);
        model.private.push(name);
    } else if is_handler {
        let handler = read_handler(f, &h, name, verb, options, errors);
        model.handlers.push(handler);
    } else if name != "index" && name != "default" {
        // A non-exposed `index` or `default` is ignored, as if absent (as CherryPy
        // ignores an unexposed one);
        // any other private name is answered by this node or nowhere.
        model.private.push(name);
    }
}

/// The HTTP method a method answers: its `#[verb("...")]`, else the one its name implies in
/// a resource.
fn read_verb(
    kind: Kind,
    name: &str,
    attr: Option<&Attribute>,
    errors: &mut Errors,
) -> Option<String> {
    let Some(a) = attr else {
        return (kind == Kind::Resource)
            .then(|| VERBS.iter().find(|(n, _)| *n == name))
            .flatten()
            .map(|(_, v)| (*v).to_owned());
    };
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

fn read_dispatch(f: &ImplItemFn, a: &Attribute, model: &mut Model, errors: &mut Errors) {
    if !is_bare(a) {
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
}

fn read_handler(
    f: &mut ImplItemFn,
    h: &Helpers,
    name: String,
    verb: Option<String>,
    options: &Options,
    errors: &mut Errors,
) -> Handler {
    let aliases = h
        .expose
        .as_ref()
        .map(|a| read_aliases(a, errors))
        .unwrap_or_default();
    check_receiver(f, errors);
    if !f.sig.generics.params.is_empty() {
        errors.push(
            f.sig.generics.span(),
            "a handler cannot be generic: the dispatcher calls it with concrete types",
        );
    }
    let args = read_args(f, errors);
    let produces = handler_produces(h.produces.as_ref(), options, errors);
    let own = h
        .status
        .as_ref()
        .map(|a| produces::method_statuses(a, errors))
        .unwrap_or_default();
    let (output, output_span) = match &f.sig.output {
        ReturnType::Type(_, t) => (Some((**t).clone()), t.span()),
        ReturnType::Default => (None, f.sig.ident.span()),
    };
    Handler {
        ident: f.sig.ident.clone(),
        name,
        aliases,
        verb,
        doc: doc_of(&f.attrs),
        is_async: f.sig.asyncness.is_some(),
        args,
        produces,
        statuses: produces::with_defaults(own, &options.statuses),
        output,
        output_span,
    }
}

/// The method's own `#[produces]`, else its impl block's; `#[produces(none)]` opts out.
fn handler_produces(
    attr: Option<&Attribute>,
    options: &Options,
    errors: &mut Errors,
) -> Option<Produces> {
    let Some(a) = attr else {
        return options.produces.clone();
    };
    match produces::method_produces(a, errors) {
        Declared::List(p) => Some(p),
        Declared::OptOut(span) => {
            if options.produces.is_none() {
                errors.push(
                    span,
                    "`#[produces(none)]` opts a method out of its impl block's `produces(...)`, \
                     and this impl block has none: leave the attribute out",
                );
            }
            None
        }
    }
}

/// `#[expose]` or `#[expose(alias = "x.json", ...)]`.
fn read_aliases(a: &Attribute, errors: &mut Errors) -> Vec<String> {
    let mut aliases = Vec::new();
    if !is_bare(a) {
        errors.check(a.parse_nested_meta(|meta| {
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
        }));
    }
    aliases
}

/// `#[mount]`, `#[mount(hidden)]`, `#[mount(name = "...")]` on `fn child(&self) -> &Child`.
fn read_mount(f: &ImplItemFn, a: &Attribute, name: &str, errors: &mut Errors) -> Mount {
    let (hidden, rename) = mount_options(a, errors);
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
    Mount {
        ident: f.sig.ident.clone(),
        name: rename.unwrap_or_else(|| name.to_owned()),
        hidden,
    }
}

/// The options of `#[mount(...)]` on a method or a field: hidden, and another name.
pub(crate) fn mount_options(a: &Attribute, errors: &mut Errors) -> (bool, Option<String>) {
    let mut hidden = false;
    let mut rename = None;
    if !is_bare(a) {
        errors.check(a.parse_nested_meta(|meta| {
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
        }));
    }
    (hidden, rename)
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
