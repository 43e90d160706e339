//! The code generated for one handler: its parameter table, the entry point that binds the
//! arguments, calls the method and turns its value into a response, and its declaration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Type};

use crate::describe::describe;
use crate::model::{Arg, ArgClass, Handler};

/// What one handler adds: a constant and two functions in the hidden impl block, and a
/// declaration in `describe`.
pub(crate) struct Generated {
    pub(crate) items: TokenStream,
    pub(crate) decl: TokenStream,
}

pub(crate) fn generate(h: &Handler) -> Generated {
    let params_const = format_ident!("__DRUPE_PARAMS_{}", h.name);
    let invoke_fn = format_ident!("__drupe_invoke_{}", h.name);
    let doc_fn = format_ident!("__drupe_doc_{}", h.name);
    let specs = h.args.iter().map(param_spec);
    let describe = describe(h);
    let invoke = invoke(h, &params_const);
    let route_fn = crate::url_for::route_fn(h);
    let items = quote! {
        #route_fn

        const #params_const: &'static [::drupe::__private::ParamSpec] = &[#(#specs),*];

        fn #doc_fn(__doc: &mut ::drupe::__private::OperationDoc) {
            #[allow(unused_imports)]
            use ::drupe::__private::{AnswersOf as _, NoAnswersOf as _, NoSchemaOf as _, SchemaOf as _};
            #describe
        }

        fn #invoke_fn<'__a>(
            &'__a self,
            mut __call: ::drupe::__private::Call,
        ) -> ::drupe::__private::LocalBoxFuture<'__a, ::drupe::__private::HandlerResult> {
            #invoke
        }
    };
    Generated {
        items,
        decl: declaration(h, &params_const, &doc_fn, &invoke_fn),
    }
}

/// The `ParamSpec` of one argument.
fn param_spec(a: &Arg) -> TokenStream {
    let ty = &a.ty;
    let name = &a.name;
    match &a.class {
        ArgClass::Param { named, default, .. } => {
            let kind = if *named {
                quote!(::drupe::__private::ParamKind::Named)
            } else {
                quote!(<#ty as ::drupe::__private::FromParam>::KIND)
            };
            let required = if default.is_some() {
                quote!(false)
            } else {
                quote!(<#ty as ::drupe::__private::FromParam>::REQUIRED)
            };
            quote_spanned! {ty.span()=>
                ::drupe::__private::ParamSpec {
                    name: #name,
                    kind: #kind,
                    type_name: <#ty as ::drupe::__private::FromParam>::TYPE_NAME,
                    required: #required,
                    schema: <#ty as ::drupe::__private::FromParam>::schema,
                }
            }
        }
        ArgClass::Extract { body } => {
            let type_name = quote!(#ty).to_string().replace(' ', "");
            let kind = if *body {
                quote!(::drupe::__private::ParamKind::Body)
            } else {
                quote!(::drupe::__private::ParamKind::Extractor)
            };
            quote! {
                ::drupe::__private::ParamSpec {
                    name: #name,
                    kind: #kind,
                    type_name: #type_name,
                    required: false,
                    schema: || ::drupe::__private::ParamSchema::None,
                }
            }
        }
    }
}

/// The statement binding argument `i` to `var`.
fn bind(i: usize, a: &Arg, var: &syn::Ident) -> TokenStream {
    let ty: &Type = &a.ty;
    match &a.class {
        ArgClass::Param {
            default: Some(d), ..
        } => bind_default(i, ty, d, var),
        ArgClass::Param { default: None, .. } => quote_spanned! {ty.span()=>
            let #var: #ty = __bound.arg::<#ty>(#i)?;
        },
        ArgClass::Extract { .. } => quote_spanned! {ty.span()=>
            let #var: #ty = __x.extract::<#ty>().await?;
        },
    }
}

fn bind_default(i: usize, ty: &Type, d: &Expr, var: &syn::Ident) -> TokenStream {
    quote_spanned! {ty.span()=>
        let #var: #ty = __bound.arg_or::<#ty>(#i, || #d)?;
    }
}

/// The body of the entry point: bind, call, respond.
fn invoke(h: &Handler, params_const: &syn::Ident) -> TokenStream {
    let ident = &h.ident;
    let vars: Vec<syn::Ident> = (0..h.args.len())
        .map(|i| format_ident!("__a{}", i))
        .collect();
    // Parameters first (the mismatch table), then extractors (which may read the body).
    let (params, extractors): (Vec<_>, Vec<_>) = h
        .args
        .iter()
        .enumerate()
        .partition(|(_, a)| matches!(a.class, ArgClass::Param { .. }));
    let binds = params
        .into_iter()
        .chain(extractors)
        .map(|(i, a)| bind(i, a, &vars[i]));
    let call = if h.is_async {
        quote!(self.#ident(#(#vars),*).await)
    } else {
        quote!(self.#ident(#(#vars),*))
    };
    let respond = respond(h);
    quote! {
        ::std::boxed::Box::pin(async move {
            let (__bound, mut __x) = __call.parts(Self::#params_const)?;
            #(#binds)*
            let __out = #call;
            // An error of the application's own type becomes an `HttpError`.
            let __out = {
                #[allow(unused_imports)]
                use ::drupe::__private::{IntoHttpError as _, KeepOutput as _};
                (&&::drupe::__private::Output::of(&__out)).convert()(__out)
            };
            #respond
        })
    }
}

/// The response from `__out`: rendered by the negotiated representation, or as it is.
fn respond(h: &Handler) -> TokenStream {
    match &h.produces {
        Some(p) => {
            let values = p.reprs.iter().map(|r| &r.value);
            let out = quote_spanned!(h.output_span=> __out);
            quote_spanned!(p.span=> ::drupe::__private::negotiated(#out, __x.request(), &(#(#values,)*)))
        }
        None => quote!(::drupe::__private::respond(__out, __x.request())),
    }
}

/// `__node.handler(HandlerDecl { ... })`.
fn declaration(
    h: &Handler,
    params_const: &syn::Ident,
    doc_fn: &syn::Ident,
    invoke_fn: &syn::Ident,
) -> TokenStream {
    let name = &h.name;
    let aliases = &h.aliases;
    let method = match &h.verb {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let doc = &h.doc;
    let produces = match &h.produces {
        Some(p) => {
            let tys = p.reprs.iter().map(|r| {
                let ty = &r.ty;
                quote_spanned!(ty.span()=> <#ty as ::drupe::__private::MediaTypes>::MEDIA_TYPES)
            });
            quote!(&[#(#tys),*])
        }
        None => quote!(&[]),
    };
    let statuses = &h.statuses;
    quote! {
        __node.handler(::drupe::__private::HandlerDecl {
            name: #name,
            aliases: &[#(#aliases),*],
            method: #method,
            doc: #doc,
            params: Self::#params_const,
            produces: #produces,
            statuses: &[#(#statuses),*],
            describe: Self::#doc_fn,
            invoke: Self::#invoke_fn,
        });
    }
}
