//! Generating the `drupe::Controller` implementation from the model.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ItemImpl;
use syn::spanned::Spanned;

use crate::model::{self, ArgClass, Errors, Handler, Kind, Model};

pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut item: ItemImpl = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            let what = if kind == Kind::Controller {
                "#[controller]"
            } else {
                "#[resource]"
            };
            let e = syn::Error::new(
                item.span(),
                format!("{what} goes on an `impl` block: `{what} impl MyType {{ ... }}`"),
            )
            .to_compile_error();
            return quote!(#e #item);
        }
    };
    let popargs = model::parse_args(args, &mut errors);
    let model = model::read(kind, popargs, &mut item, &mut errors);
    if !errors.is_empty() {
        let errs = errors.to_compile_errors();
        return quote!(#item #errs);
    }
    let generated = generate(&item, &model);
    quote!(#item #generated)
}

fn generate(item: &ItemImpl, model: &Model) -> TokenStream {
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let mut consts = Vec::new();
    let mut fns = Vec::new();
    let mut decls = Vec::new();
    for h in &model.handlers {
        let (c, f, d) = handler(h);
        consts.push(c);
        fns.push(f);
        decls.push(d);
    }
    let resource = (model.kind == Kind::Resource).then(|| quote!(__node.resource();));
    let mounts = model.mounts.iter().map(|m| {
        let ident = &m.ident;
        let name = &m.name;
        let hidden = m.hidden;
        quote_spanned!(ident.span()=> __node.mount(#name, #hidden, Self::#ident);)
    });
    let hook = match (&model.popargs, &model.hook) {
        (Some(p), _) => {
            let names = &p.names;
            let then = match &p.then {
                Some(t) => {
                    let name = model
                        .mounts
                        .iter()
                        .find(|m| m.ident == *t)
                        .map(|m| m.name.clone())
                        .unwrap_or_default();
                    quote!(::core::option::Option::Some(#name))
                }
                None => quote!(::core::option::Option::None),
            };
            quote!(__node.popargs(&[#(#names),*], #then);)
        }
        (None, Some(h)) => quote_spanned!(h.span()=> __node.hook(Self::#h);),
        (None, None) => quote!(),
    };
    let private = if model.private.is_empty() {
        quote!()
    } else {
        let names = &model.private;
        quote!(__node.private(&[#(#names),*]);)
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, non_snake_case, clippy::all)]
        impl #impl_generics #self_ty #where_clause {
            #(#consts)*
            #(#fns)*
        }

        impl #impl_generics ::drupe::Controller for #self_ty #where_clause {
            fn describe(__node: &mut ::drupe::__private::NodeBuilder<'_, Self>) {
                #resource
                #(#decls)*
                #(#mounts)*
                #hook
                #private
            }
        }
    }
}

fn handler(h: &Handler) -> (TokenStream, TokenStream, TokenStream) {
    let ident = &h.ident;
    let params_const = format_ident!("__DRUPE_PARAMS_{}", h.name);
    let invoke_fn = format_ident!("__drupe_invoke_{}", h.name);
    let doc_fn = format_ident!("__drupe_doc_{}", h.name);
    let mut specs = Vec::new();
    let mut binds = Vec::new();
    let mut names = Vec::new();
    for (i, a) in h.args.iter().enumerate() {
        let ty = &a.ty;
        let name = &a.name;
        let var = format_ident!("__a{}", i);
        names.push(var.clone());
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
                specs.push(quote_spanned! {ty.span()=>
                    ::drupe::__private::ParamSpec {
                        name: #name,
                        kind: #kind,
                        type_name: <#ty as ::drupe::__private::FromParam>::TYPE_NAME,
                        required: #required,
                        schema: <#ty as ::drupe::__private::FromParam>::schema,
                    }
                });
                binds.push(match default {
                    Some(d) => quote_spanned! {ty.span()=>
                        let #var: #ty = __bound.arg_or::<#ty>(#i, || #d)?;
                    },
                    None => quote_spanned! {ty.span()=>
                        let #var: #ty = __bound.arg::<#ty>(#i)?;
                    },
                });
            }
            ArgClass::Extract { body } => {
                let type_name = quote!(#ty).to_string().replace(' ', "");
                let kind = if *body {
                    quote!(::drupe::__private::ParamKind::Body)
                } else {
                    quote!(::drupe::__private::ParamKind::Extractor)
                };
                specs.push(quote! {
                    ::drupe::__private::ParamSpec {
                        name: #name,
                        kind: #kind,
                        type_name: #type_name,
                        required: false,
                        schema: || ::drupe::__private::ParamSchema::None,
                    }
                });
                binds.push(quote_spanned! {ty.span()=>
                    let #var: #ty = __x.extract::<#ty>().await?;
                });
            }
        }
    }
    // Parameters first (the mismatch table), then extractors (which may read the body).
    let (param_binds, extract_binds): (Vec<_>, Vec<_>) = binds
        .into_iter()
        .zip(&h.args)
        .partition(|(_, a)| matches!(a.class, ArgClass::Param { .. }));
    let param_binds = param_binds.into_iter().map(|(b, _)| b);
    let extract_binds = extract_binds.into_iter().map(|(b, _)| b);
    let call = if h.is_async {
        quote!(self.#ident(#(#names),*).await)
    } else {
        quote!(self.#ident(#(#names),*))
    };
    let respond = match &h.produces {
        Some(reprs) => {
            let values = reprs.iter().map(|r| &r.value);
            quote_spanned!(h.produces_span=> ::drupe::__private::negotiated(__out, __x.request(), &(#(#values,)*)))
        }
        None => quote!(::drupe::__private::respond(__out, __x.request())),
    };
    let constant = quote! {
        const #params_const: &'static [::drupe::__private::ParamSpec] = &[#(#specs),*];
    };
    let describe = describe(h);
    let function = quote! {
        fn #doc_fn(__doc: &mut ::drupe::__private::OperationDoc) {
            #[allow(unused_imports)]
            use ::drupe::__private::{NoSchemaOf as _, SchemaOf as _};
            #describe
        }

        fn #invoke_fn<'__a>(
            &'__a self,
            mut __call: ::drupe::__private::Call,
        ) -> ::drupe::__private::LocalBoxFuture<'__a, ::drupe::__private::HandlerResult> {
            ::std::boxed::Box::pin(async move {
                let (__bound, mut __x) = __call.parts(Self::#params_const)?;
                #(#param_binds)*
                #(#extract_binds)*
                let __out = #call;
                #respond
            })
        }
    };
    let name = &h.name;
    let aliases = &h.aliases;
    let method = match &h.verb {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let doc = &h.doc;
    let produces = match &h.produces {
        Some(reprs) => {
            let tys = reprs.iter().map(|r| {
                let ty = &r.ty;
                quote_spanned!(ty.span()=> <#ty as ::drupe::__private::MediaTypes>::MEDIA_TYPES)
            });
            quote!(&[#(#tys),*])
        }
        None => quote!(&[]),
    };
    let statuses = &h.statuses;
    let decl = quote! {
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
    };
    (constant, function, decl)
}

/// `Some(schema)` of `ty` when it has one, else `None`, decided where the code is compiled.
fn probe(ty: impl quote::ToTokens) -> TokenStream {
    quote!((&&::drupe::__private::Probe::<#ty>::new()).schema_of())
}

/// The schema of the first type argument of `ty` when its head is one of `heads`.
fn probe_generic(ty: &syn::Type, heads: &[&str]) -> TokenStream {
    match model::first_generic(ty, heads) {
        Some(inner) => probe(inner),
        None => quote!(::core::option::Option::None),
    }
}

/// What the OpenAPI document learns from the handler's types: its body and its success value.
fn describe(h: &Handler) -> TokenStream {
    let mut out = TokenStream::new();
    for a in &h.args {
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
        let schema = probe(quote!(<#ret as ::drupe::__private::Finish>::Value));
        out.extend(quote! {
            __doc.negotiated(#schema, <#ret as ::drupe::__private::Finish>::STATUS);
        });
        return out;
    }
    let ok = model::peel_result(ret);
    let stmt = match model::head_name(ok).as_deref() {
        Some("String") | Some("str") => quote!(__doc.text();),
        Some("Page") => quote!(__doc.html();),
        Some("NoContent") => quote!(__doc.empty(204);),
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
