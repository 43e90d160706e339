//! Misuses found while reading, collected so that all of them are reported at once.

use proc_macro2::{Span, TokenStream};

/// Errors collected while reading, reported together, each with its span.
#[derive(Default)]
pub(crate) struct Errors(Vec<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span, msg));
    }

    pub(crate) fn add(&mut self, e: syn::Error) {
        self.0.push(e);
    }

    /// Records the error of a parse, if any.
    pub(crate) fn check(&mut self, r: syn::Result<()>) {
        if let Err(e) = r {
            self.add(e);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many errors so far (to tell whether a step added one).
    pub(crate) fn count(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}
