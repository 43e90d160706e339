//! Checks across the methods of one impl block (or the fields of one struct): two entries
//! under one name, two handlers for one verb, `popargs` beside a hook.

use proc_macro2::Span;

use crate::errors::Errors;
use crate::model::Model;
use crate::syntax::translated;

/// The names a node answers, claimed in declaration order: a later claim of a name is the
/// error, the first one stands.
#[derive(Default)]
pub(crate) struct Claims {
    entries: Vec<String>,
    hidden: Vec<String>,
}

impl Claims {
    /// A routable name (a handler, an alias, a visible mount).
    pub(crate) fn entry(&mut self, name: String, span: Span, errors: &mut Errors) {
        if self.entries.contains(&name) {
            errors.push(
                span,
                format!("two handlers or mounts answer the name `{name}`"),
            );
        } else {
            self.entries.push(name);
        }
    }

    /// The name of a hidden mount, which the dispatch hook or `popargs` continues at.
    pub(crate) fn hidden(&mut self, name: String, span: Span, errors: &mut Errors) {
        if self.hidden.contains(&name) {
            errors.push(span, format!("two hidden mounts are named `{name}`"));
        } else {
            self.hidden.push(name);
        }
    }
}

/// Two routable entries under one name (after punctuation translation), or two handlers for
/// one HTTP method, are errors.
pub(crate) fn check_names(model: &Model, errors: &mut Errors) {
    let mut claims = Claims::default();
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
                claims.entry(h.name.clone(), h.ident.span(), errors);
                for a in &h.aliases {
                    claims.entry(translated(a), h.ident.span(), errors);
                }
            }
        }
    }
    for m in &model.mounts {
        if m.hidden {
            claims.hidden(m.name.clone(), m.ident.span(), errors);
        } else {
            claims.entry(translated(&m.name), m.ident.span(), errors);
        }
    }
}

/// A node walks on by `popargs` or by a `#[dispatch]` hook, not both.
pub(crate) fn check_hook(model: &Model, errors: &mut Errors) {
    if let (Some(_), Some(h)) = (&model.popargs, &model.hook) {
        errors.push(
            h.span(),
            "a node has either `popargs` or a #[dispatch] hook, not both",
        );
    }
}
