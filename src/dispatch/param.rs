//! The parameter model: how a handler's parameters are described and converted.
//!
//! This module owns [`ParamSpec`] (what the macros say about each parameter: its name, how it
//! is filled, its type and schema), the values a request offers a parameter ([`Value`],
//! [`ParamInput`]), and [`FromParam`], the conversion into a Rust type, with its
//! implementations for integers, floats, `bool`, `char`, `String`, `Option<T>`, `Vec<T>`,
//! [`VirtualPath`] (CherryPy's `*args`) and [`Kwargs`] (CherryPy's `**kwargs`).

use std::fmt;

use smallvec::SmallVec;

use super::path::Origin;
use crate::body::Upload;

/// How a parameter is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// From a path segment (positionally) or by name from the query, a form or a hook.
    Value,
    /// Like `Value`, but only by name (`#[param(named)]`).
    Named,
    /// The remaining path segments ([`VirtualPath`]), CherryPy's `*args`.
    Rest,
    /// Every named value no other parameter takes ([`Kwargs`]), CherryPy's `**kwargs`.
    Kwargs,
    /// An actix-web extractor that does not read the body (`HttpRequest`, `web::Data<T>`).
    Extractor,
    /// An extractor that reads the body (`Body<T>`, `Json<T>`, `Form<T>`, `Multipart`): the
    /// dispatcher leaves a form body to it instead of reading it into named values.
    Body,
}

/// The JSON-schema shape of a parameter type, for OpenAPI.
#[derive(Debug, Clone, Copy)]
pub enum ParamSchema {
    /// An integer of `bits` bits.
    Integer {
        /// Whether it may be negative.
        signed: bool,
        /// Its width.
        bits: u8,
    },
    /// A floating-point number.
    Number,
    /// `true`/`false` (also `1`/`0`, `on`/`off`, `yes`/`no`).
    Boolean,
    /// Text.
    String,
    /// Several values of one shape.
    Array(fn() -> ParamSchema),
    /// An uploaded file.
    Binary,
    /// Named values of any shape.
    Object,
    /// An extractor's input: not a parameter of the URI.
    None,
}

/// One parameter of a handler, as the macros describe it.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    /// Its name.
    pub name: &'static str,
    /// How it is filled.
    pub kind: ParamKind,
    /// Its Rust type, for messages and documentation.
    pub type_name: &'static str,
    /// Whether the request must provide it (not an `Option`, `Vec`, or defaulted parameter).
    pub required: bool,
    /// Its schema.
    pub schema: fn() -> ParamSchema,
}

impl fmt::Debug for ParamSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({:?}", self.name, self.type_name, self.kind)?;
        if self.required {
            f.write_str(", required")?;
        }
        f.write_str(")")
    }
}

impl ParamSpec {
    /// Whether it takes an uploaded file ([`Upload`](crate::Upload), or several).
    pub fn is_upload(&self) -> bool {
        match (self.schema)() {
            ParamSchema::Binary => true,
            ParamSchema::Array(item) => matches!(item(), ParamSchema::Binary),
            _ => false,
        }
    }

    pub(crate) fn takes_values(&self) -> bool {
        matches!(self.kind, ParamKind::Value | ParamKind::Named)
    }
}

/// One value offered to a parameter.
#[derive(Debug, Clone, Copy)]
pub enum Value<'v> {
    /// Text from the path, the query, a form field or a hook.
    Text(&'v str),
    /// A file from a multipart form.
    File(&'v Upload),
}

/// The values offered to one parameter, with their names (for [`Kwargs`]) and origins.
#[derive(Debug, Default)]
pub struct ParamInput<'v> {
    items: SmallVec<[(&'v str, Value<'v>, Origin); 2]>,
}

impl<'v> ParamInput<'v> {
    /// Whether nothing was offered.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many values were offered.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The values, in order (path first, then query, then body).
    pub fn values(&self) -> impl Iterator<Item = Value<'v>> + '_ {
        self.items.iter().map(|(_, v, _)| *v)
    }

    /// `(name, value)` pairs (the name is empty for path segments).
    pub fn pairs(&self) -> impl Iterator<Item = (&'v str, Value<'v>)> + '_ {
        self.items.iter().map(|(k, v, _)| (*k, *v))
    }

    /// The one value, when exactly one was offered.
    pub fn single(&self) -> Result<Value<'v>, ParamError> {
        match self.items.as_slice() {
            [(_, v, _)] => Ok(*v),
            [] => Err(ParamError::Missing),
            many => Err(ParamError::TooMany(many.len())),
        }
    }

    /// The one text value.
    pub fn single_text(&self) -> Result<&'v str, ParamError> {
        match self.single()? {
            Value::Text(t) => Ok(t),
            Value::File(_) => Err(ParamError::Invalid),
        }
    }

    /// An input holding one of this input's values (for `Vec<T>`).
    pub fn each(&self) -> impl Iterator<Item = ParamInput<'v>> + '_ {
        input_items(&self.items)
    }

    /// Offers one more value.
    pub(crate) fn push(&mut self, name: &'v str, value: Value<'v>, origin: Origin) {
        self.items.push((name, value, origin));
    }

    pub(crate) fn all_from_path(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(|(_, _, o)| *o == Origin::Path)
    }
}

fn input_items<'a, 'v>(
    items: &'a [(&'v str, Value<'v>, Origin)],
) -> impl Iterator<Item = ParamInput<'v>> + 'a {
    items.iter().map(|it| {
        let mut one = SmallVec::new();
        one.push(*it);
        ParamInput { items: one }
    })
}

/// Why a value did not convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// No value (for a required parameter).
    Missing,
    /// Several values for a parameter that takes one.
    TooMany(usize),
    /// The value does not parse into the type.
    Invalid,
}

/// A type a handler parameter can have: converted from the values a request offers.
///
/// Implemented for integers, floats, `bool`, `char`, `String`, `Option<T>`, `Vec<T>`,
/// [`VirtualPath`], [`Kwargs`] and [`Upload`]. Implement it for your own types (or use
/// [`from_str_param!`](crate::from_str_param) for a `FromStr` type) and mark the parameter
/// `#[param]` if its type is not one of those.
///
/// ```
/// use drupe::dev::{FromParam, ParamError, ParamInput, ParamSchema};
///
/// struct Slug(String);
///
/// impl FromParam for Slug {
///     const TYPE_NAME: &'static str = "slug";
///     fn schema() -> ParamSchema { ParamSchema::String }
///     fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
///         let s = input.single_text()?;
///         if !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
///             Ok(Slug(s.to_owned()))
///         } else {
///             Err(ParamError::Invalid)
///         }
///     }
/// }
/// ```
pub trait FromParam: Sized {
    /// How the parameter is filled.
    const KIND: ParamKind = ParamKind::Value;
    /// The name used in messages (`expected u16`).
    const TYPE_NAME: &'static str;
    /// Whether a request must provide it.
    const REQUIRED: bool = true;
    /// Its schema.
    fn schema() -> ParamSchema;
    /// Converts the offered values.
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError>;
}

macro_rules! int_param {
    ($($t:ty => $signed:expr),*) => {$(
        impl FromParam for $t {
            const TYPE_NAME: &'static str = stringify!($t);
            fn schema() -> ParamSchema {
                ParamSchema::Integer { signed: $signed, bits: (std::mem::size_of::<$t>() * 8) as u8 }
            }
            fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
                let s = input.single_text()?;
                // `str::parse` accepts a leading `+`; a path or query value with one is not a
                // canonical number.
                if s.starts_with('+') {
                    return Err(ParamError::Invalid);
                }
                s.parse().map_err(|_| ParamError::Invalid)
            }
        }
    )*};
}

int_param!(u8 => false, u16 => false, u32 => false, u64 => false, u128 => false, usize => false,
           i8 => true, i16 => true, i32 => true, i64 => true, i128 => true, isize => true);

macro_rules! float_param {
    ($($t:ty),*) => {$(
        impl FromParam for $t {
            const TYPE_NAME: &'static str = stringify!($t);
            fn schema() -> ParamSchema {
                ParamSchema::Number
            }
            fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
                let v: $t = input.single_text()?.parse().map_err(|_| ParamError::Invalid)?;
                if v.is_finite() { Ok(v) } else { Err(ParamError::Invalid) }
            }
        }
    )*};
}

float_param!(f32, f64);

impl FromParam for bool {
    const TYPE_NAME: &'static str = "bool";
    fn schema() -> ParamSchema {
        ParamSchema::Boolean
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        let s = input.single_text()?;
        const TRUE: [&str; 4] = ["true", "1", "on", "yes"];
        const FALSE: [&str; 4] = ["false", "0", "off", "no"];
        if TRUE.iter().any(|t| s.eq_ignore_ascii_case(t)) {
            Ok(true)
        } else if FALSE.iter().any(|t| s.eq_ignore_ascii_case(t)) {
            Ok(false)
        } else {
            Err(ParamError::Invalid)
        }
    }
}

impl FromParam for char {
    const TYPE_NAME: &'static str = "char";
    fn schema() -> ParamSchema {
        ParamSchema::String
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        let s = input.single_text()?;
        let mut it = s.chars();
        match (it.next(), it.next()) {
            (Some(c), None) => Ok(c),
            _ => Err(ParamError::Invalid),
        }
    }
}

impl FromParam for String {
    const TYPE_NAME: &'static str = "string";
    fn schema() -> ParamSchema {
        ParamSchema::String
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        input.single_text().map(str::to_owned)
    }
}

impl<T: FromParam> FromParam for Option<T> {
    const TYPE_NAME: &'static str = T::TYPE_NAME;
    const REQUIRED: bool = false;
    fn schema() -> ParamSchema {
        T::schema()
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        if input.is_empty() {
            Ok(None)
        } else {
            T::from_param(input).map(Some)
        }
    }
}

impl<T: FromParam> FromParam for Vec<T> {
    const TYPE_NAME: &'static str = T::TYPE_NAME;
    const REQUIRED: bool = false;
    fn schema() -> ParamSchema {
        ParamSchema::Array(T::schema)
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        input.each().map(|one| T::from_param(&one)).collect()
    }
}

/// Implements [`FromParam`] for a type that implements `FromStr`.
///
/// ```
/// #[derive(Debug, PartialEq)]
/// struct Color(u8, u8, u8);
/// impl std::str::FromStr for Color {
///     type Err = ();
///     fn from_str(s: &str) -> Result<Self, ()> {
///         let v = u32::from_str_radix(s.strip_prefix('#').ok_or(())?, 16).map_err(|_| ())?;
///         Ok(Color((v >> 16) as u8, (v >> 8) as u8, v as u8))
///     }
/// }
/// drupe::from_str_param!(Color, "color");
/// ```
#[macro_export]
macro_rules! from_str_param {
    ($t:ty, $name:expr) => {
        impl $crate::dev::FromParam for $t {
            const TYPE_NAME: &'static str = $name;
            fn schema() -> $crate::dev::ParamSchema {
                $crate::dev::ParamSchema::String
            }
            fn from_param(
                input: &$crate::dev::ParamInput<'_>,
            ) -> ::core::result::Result<Self, $crate::dev::ParamError> {
                input
                    .single_text()?
                    .parse()
                    .map_err(|_| $crate::dev::ParamError::Invalid)
            }
        }
    };
}

/// The path segments left after the handler, CherryPy's `*args` (decoded, `%2F` as `/`).
///
/// ```
/// use drupe::{controller, VirtualPath};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     fn default(&self, rest: VirtualPath) -> String {
///         rest.join("|")
///     }
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct VirtualPath(pub Vec<String>);

impl std::ops::Deref for VirtualPath {
    type Target = Vec<String>;
    fn deref(&self) -> &Vec<String> {
        &self.0
    }
}

impl FromParam for VirtualPath {
    const KIND: ParamKind = ParamKind::Rest;
    const TYPE_NAME: &'static str = "path";
    const REQUIRED: bool = false;
    fn schema() -> ParamSchema {
        ParamSchema::Array(|| ParamSchema::String)
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        input
            .values()
            .map(|v| match v {
                Value::Text(t) => Ok(t.to_owned()),
                Value::File(_) => Err(ParamError::Invalid),
            })
            .collect::<Result<_, _>>()
            .map(VirtualPath)
    }
}

/// Every named value that no other parameter of the handler takes, CherryPy's `**kwargs`.
/// A handler with a `Kwargs` parameter never answers "Unexpected ... parameters".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Kwargs(pub Vec<(String, String)>);

impl Kwargs {
    /// The first value named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find_map(|(k, v)| (k == name).then_some(v.as_str()))
    }
}

impl FromParam for Kwargs {
    const KIND: ParamKind = ParamKind::Kwargs;
    const TYPE_NAME: &'static str = "object";
    const REQUIRED: bool = false;
    fn schema() -> ParamSchema {
        ParamSchema::Object
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        Ok(Kwargs(
            input
                .pairs()
                .filter_map(|(k, v)| match v {
                    Value::Text(t) => Some((k.to_owned(), t.to_owned())),
                    Value::File(_) => None,
                })
                .collect(),
        ))
    }
}
