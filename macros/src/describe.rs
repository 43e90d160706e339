//! What the OpenAPI document learns from a handler's types: the schema of its body and of its
//! success value, probed where the code is compiled (a type without a schema has none).

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{ArgClass, Handler};
use crate::syntax::{first_generic, head_name, peel_result};

/// `Some(schema)` of `ty` when it has one, else `None`, decided where the code is compiled.
fn probe(ty: impl quote::ToTokens) -> TokenStream {
    quote!((&&::drupe::__private::Probe::<#ty>::new()).schema_of())
}

/// The schema of the first type argument of `ty` when its head is one of `heads`.
fn probe_generic(ty: &syn::Type, heads: &[&str]) -> TokenStream {
    match first_generic(ty, heads) {
        Some(inner) => probe(inner),
        None => quote!(::core::option::Option::None),
    }
}

/// The statements of the handler's `__drupe_doc_*` function.
pub(crate) fn describe(h: &Handler) -> TokenStream {
    let mut out = TokenStream::new();
    for a in &h.args {
        if let ArgClass::Extract { .. } = a.class {
            let ty = &a.ty;
            out.extend(quote! {
                __doc.answers((&&::drupe::__private::Probe::<#ty>::new()).answers_of());
            });
        }
        if let ArgClass::Extract { body: true } = a.class {
            let schema = probe_generic(&a.ty, &["Body", "Json", "Form"]);
            out.extend(quote!(__doc.request_body(#schema);));
        }
    }
    let ret = match &h.output {
        Some(t) => t,
        None => return out,
    };
    if h.produces.is_some() {
        let reply = quote!(<#ret as ::drupe::__private::ReplyOf>::Reply);
        let schema = probe(quote!(<#reply as ::drupe::__private::Reply>::Value));
        out.extend(quote! {
            __doc.negotiated(#schema, <#reply as ::drupe::__private::Reply>::STATUS);
        });
        return out;
    }
    let ok = peel_result(ret);
    let stmt = match head_name(ok).as_deref() {
        Some("String") | Some("str") => quote!(__doc.text();),
        Some("Page") => quote!(__doc.html();),
        Some("NoContent") => quote!(__doc.empty(204);),
        Some("Redirect") => quote!(__doc.redirect();),
        Some(head @ ("Json" | "Negotiated" | "Created")) => {
            let status: u16 = if head == "Created" { 201 } else { 200 };
            let schema = probe_generic(ok, &["Json", "Negotiated", "Created"]);
            quote!(__doc.json(#schema, #status);)
        }
        _ => quote!(),
    };
    out.extend(stmt);
    out
}
