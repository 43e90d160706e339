//! From the attribute's tokens to the generated code: an impl block is read into a [`Model`]
//! and gets its `drupe::Controller` implementation; a struct goes to [`fields`](crate::fields).
//! On error the item is emitted without its helper attributes, next to the `compile_error!`s.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ImplItem, Item, ItemImpl};

use crate::checks::{check_hook, check_names};
use crate::errors::Errors;
use crate::fields::expand_struct;
use crate::handler;
use crate::markers;
use crate::method::read_fn;
use crate::model::{Kind, Model, Options};
use crate::options::impl_options;

pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Impl(i)) => expand_impl(kind, args, i),
        Ok(Item::Struct(s)) => expand_struct(kind, args, s),
        _ => {
            let what = kind.attribute();
            let e = syn::Error::new(
                item.span(),
                format!(
                    "{what} goes on an `impl` block or a struct: `{what} impl MyType {{ ... }}`"
                ),
            )
            .to_compile_error();
            quote!(#e #item)
        }
    }
}

fn expand_impl(kind: Kind, args: TokenStream, mut item: ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    let options = impl_options(args, &mut errors);
    let model = read(kind, options, &mut item, &mut errors);
    if !errors.is_empty() {
        let errs = errors.to_compile_errors();
        return quote!(#item #errs);
    }
    let generated = generate(&item, &model);
    quote!(#item #generated)
}

/// Reads the impl block, strips the helper attributes from it, and returns the model.
fn read(kind: Kind, mut options: Options, item: &mut ItemImpl, errors: &mut Errors) -> Model {
    if let Some((_, path, _)) = &item.trait_ {
        errors.push(
            path.span(),
            "#[controller] and #[resource] go on an inherent impl block, not a trait impl",
        );
    }
    let mut model = Model {
        kind,
        popargs: options.popargs.take(),
        handlers: Vec::new(),
        mounts: Vec::new(),
        hook: None,
        private: Vec::new(),
    };
    for it in &mut item.items {
        if let ImplItem::Fn(f) = it {
            read_fn(kind, &options, f, &mut model, errors);
        }
    }
    check_names(&model, errors);
    check_hook(&model, errors);
    model
}

fn generate(item: &ItemImpl, model: &Model) -> TokenStream {
    let self_ty = &item.self_ty;
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let (items, decls): (Vec<_>, Vec<_>) = model
        .handlers
        .iter()
        .map(|h| {
            let g = handler::generate(h);
            (g.items, g.decl)
        })
        .unzip();
    let claims = markers::for_impl(model, self_ty.span());
    let body = describe_node(model, decls);
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, non_snake_case, dead_code, clippy::all)]
        impl #impl_generics #self_ty #where_clause {
            #(#items)*
            #claims
        }

        impl #impl_generics ::drupe::Controller for #self_ty #where_clause {
            fn describe(__node: &mut ::drupe::__private::NodeBuilder<'_, Self>) {
                #body
            }
        }
    }
}

/// The body of `describe`: handlers, then the struct's mount fields, then the block's mount
/// methods, then the hook and the private names.
fn describe_node(model: &Model, decls: Vec<TokenStream>) -> TokenStream {
    let resource = (model.kind == Kind::Resource).then(|| quote!(__node.resource();));
    let mounts = model.mounts.iter().map(|m| {
        let ident = &m.ident;
        let name = &m.name;
        let hidden = m.hidden;
        quote_spanned!(ident.span()=> __node.mount(#name, #hidden, Self::#ident);)
    });
    let hook = hook(model);
    let private = if model.private.is_empty() {
        quote!()
    } else {
        let names = &model.private;
        quote!(__node.private(&[#(#names),*]);)
    };
    quote! {
        #resource
        #(#decls)*
        {
            #[allow(unused_imports)]
            use ::drupe::__private::{FieldMountsOf as _, NoFieldMounts as _};
            (&&::drupe::__private::MountProbe::<Self>::new()).mount_fields(__node);
        }
        #(#mounts)*
        #hook
        #private
    }
}

/// `popargs`, where `then` names a mount method of the block or a mount field of the struct
/// (through the constant holding its name: a struct without it does not compile).
fn hook(model: &Model) -> TokenStream {
    match (&model.popargs, &model.hook) {
        (Some(p), _) => {
            let names = &p.names;
            let then = match &p.then {
                Some(t) => match model.mounts.iter().find(|m| m.ident == *t) {
                    Some(m) => {
                        let name = &m.name;
                        quote!(::core::option::Option::Some(#name))
                    }
                    None => {
                        let c = markers::field_mount_name(t);
                        quote_spanned!(t.span()=> ::core::option::Option::Some(Self::#c))
                    }
                },
                None => quote!(::core::option::Option::None),
            };
            quote!(__node.popargs(&[#(#names),*], #then);)
        }
        (None, Some(h)) => quote_spanned!(h.span()=> __node.hook(Self::#h);),
        (None, None) => quote!(),
    }
}
