//! Binding a request's values to a handler's parameters.
//!
//! This module owns the parameter model ([`ParamSpec`], [`FromParam`]) and the mismatch table
//! of reference A1.7, applied in its order before any value is converted:
//!
//! | # | condition | status | message |
//! |---|---|---|---|
//! | 1 | a required parameter got no value | 404 | `Missing parameters: a,b` |
//! | 2 | more path values than positional parameters | 404 | `Nothing matches the given URI` |
//! | 3 | a value from the path and one by name | 404 if any came from the query, else 400 | `Multiple values for parameters: a,b` |
//! | 4 | unknown names from the query | 404 | `Unexpected query string parameters: x, y` |
//! | 5 | unknown names from the body | 400 | `Unexpected body parameters: x, y` |
//!
//! then converts each value into its Rust type: a value that does not parse is a 404 when it
//! came from the path and a 400 when it came from the query or the body, naming the parameter
//! and the type.

use std::borrow::Cow;
use std::fmt;

use smallvec::SmallVec;

use super::path::Origin;
use crate::HttpError;
use crate::body::Upload;
use crate::error::{BadParameter, MissingParameters, MultipleValues, UnexpectedParameters};

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
    fn takes_values(&self) -> bool {
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

/// What a request offers a handler: path values and named values with their origins.
#[derive(Debug, Default)]
pub(crate) struct Offered<'c> {
    pub(crate) positional: SmallVec<[&'c str; 4]>,
    pub(crate) named: SmallVec<[(Cow<'c, str>, Named<'c>, Origin); 8]>,
}

#[derive(Debug, Clone)]
pub(crate) enum Named<'c> {
    Text(Cow<'c, str>),
    File(&'c Upload),
}

/// The values of one request assigned to one handler's parameters, mismatches checked.
#[derive(Debug)]
pub struct Bound<'c> {
    spec: &'static [ParamSpec],
    offered: Offered<'c>,
    /// For each positional value, the parameter it fills (`None`: the rest parameter).
    assigned: SmallVec<[Option<u16>; 4]>,
}

/// Messages used when `request.show_mismatched_params` is off.
const GENERIC_404: &str = "Nothing matches the given URI";
const GENERIC_400: &str = "Bad request syntax or unsupported method";

impl<'c> Bound<'c> {
    /// Assigns `offered` to `spec`, applying the mismatch table in its order.
    pub(crate) fn new(
        spec: &'static [ParamSpec],
        offered: Offered<'c>,
        show_mismatched: bool,
    ) -> Result<Self, HttpError> {
        let hide = |e: HttpError| {
            if show_mismatched {
                e
            } else if e.status() == 404 {
                e.with_message(GENERIC_404)
            } else {
                e.with_message(GENERIC_400)
            }
        };
        let has_rest = spec.iter().any(|p| p.kind == ParamKind::Rest);
        let has_kwargs = spec.iter().any(|p| p.kind == ParamKind::Kwargs);
        // Positional values fill the `Value` parameters in order.
        let mut assigned: SmallVec<[Option<u16>; 4]> = SmallVec::new();
        let mut slots = spec
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == ParamKind::Value)
            .map(|(i, _)| i as u16);
        let mut too_many = false;
        for _ in &offered.positional {
            match slots.next() {
                Some(i) => assigned.push(Some(i)),
                None if has_rest => assigned.push(None),
                None => {
                    too_many = true;
                    assigned.push(None);
                }
            }
        }
        let named_origin = |name: &str| -> Option<Origin> {
            let mut found = None;
            for (k, _, o) in &offered.named {
                if k == name {
                    found = match (found, *o) {
                        (_, Origin::Body) | (Some(Origin::Body), _) => Some(Origin::Body),
                        (Some(Origin::Query), _) | (_, Origin::Query) => Some(Origin::Query),
                        _ => Some(*o),
                    };
                }
            }
            found
        };
        // 1. Missing required parameters.
        let missing: SmallVec<[&str; 4]> = spec
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                p.required
                    && p.takes_values()
                    && !assigned.contains(&Some(*i as u16))
                    && named_origin(p.name).is_none()
            })
            .map(|(_, p)| p.name)
            .collect();
        if !missing.is_empty() {
            return Err(hide(MissingParameters::new(&missing).into()));
        }
        // 2. More path values than positional parameters.
        if too_many {
            return Err(HttpError::not_found(GENERIC_404));
        }
        // 3. A value from the path and one by name.
        let mut twice: SmallVec<[&str; 2]> = SmallVec::new();
        let mut twice_query = false;
        for i in assigned.iter().flatten() {
            let p = &spec[*i as usize];
            if let Some(o) = named_origin(p.name) {
                twice.push(p.name);
                twice_query |= o != Origin::Body;
            }
        }
        if !twice.is_empty() {
            return Err(hide(MultipleValues::new(&twice, twice_query).into()));
        }
        // 4./5. Names no parameter takes.
        if !has_kwargs {
            let mut query: SmallVec<[&str; 4]> = SmallVec::new();
            let mut body: SmallVec<[&str; 4]> = SmallVec::new();
            let mut path: SmallVec<[&str; 2]> = SmallVec::new();
            for (k, _, _) in &offered.named {
                let k: &str = k;
                if spec.iter().any(|p| p.takes_values() && p.name == k)
                    || query.contains(&k)
                    || body.contains(&k)
                    || path.contains(&k)
                {
                    continue;
                }
                match named_origin(k) {
                    Some(Origin::Body) => body.push(k),
                    Some(Origin::Path) => path.push(k),
                    _ => query.push(k),
                }
            }
            if !query.is_empty() {
                return Err(hide(UnexpectedParameters::new(&query, true).into()));
            }
            if !path.is_empty() {
                // Values a dispatch hook took from the path: a path problem, so a 404.
                return Err(hide(HttpError::not_found(format!(
                    "Unexpected path parameters: {}",
                    path.join(", ")
                ))));
            }
            if !body.is_empty() {
                return Err(hide(UnexpectedParameters::new(&body, false).into()));
            }
        }
        Ok(Self {
            spec,
            offered,
            assigned,
        })
    }

    fn input(&self, i: usize) -> ParamInput<'_> {
        let p = &self.spec[i];
        let mut input = ParamInput::default();
        fn text<'v>(n: &'v Named<'_>) -> Value<'v> {
            match n {
                Named::Text(t) => Value::Text(t),
                Named::File(f) => Value::File(f),
            }
        }
        match p.kind {
            ParamKind::Value | ParamKind::Named => {
                for (v, a) in self.offered.positional.iter().zip(&self.assigned) {
                    if *a == Some(i as u16) {
                        input.items.push(("", Value::Text(v), Origin::Path));
                    }
                }
                for (k, v, o) in &self.offered.named {
                    if k == p.name {
                        input.items.push((k, text(v), *o));
                    }
                }
            }
            ParamKind::Rest => {
                for (v, a) in self.offered.positional.iter().zip(&self.assigned) {
                    if a.is_none() {
                        input.items.push(("", Value::Text(v), Origin::Path));
                    }
                }
            }
            ParamKind::Kwargs => {
                for (k, v, o) in &self.offered.named {
                    if !self.spec.iter().any(|q| q.takes_values() && q.name == k) {
                        input.items.push((k, text(v), *o));
                    }
                }
            }
            ParamKind::Extractor | ParamKind::Body => {}
        }
        input
    }

    /// Converts the values for parameter `i` into `T`.
    pub fn arg<T: FromParam>(&self, i: usize) -> Result<T, HttpError> {
        let input = self.input(i);
        T::from_param(&input).map_err(|e| self.error(i, &input, e))
    }

    /// Like [`Bound::arg`], with a default when the request offers nothing.
    pub fn arg_or<T: FromParam>(
        &self,
        i: usize,
        default: impl FnOnce() -> T,
    ) -> Result<T, HttpError> {
        let input = self.input(i);
        if input.is_empty() {
            return Ok(default());
        }
        T::from_param(&input).map_err(|e| self.error(i, &input, e))
    }

    fn error(&self, i: usize, input: &ParamInput<'_>, e: ParamError) -> HttpError {
        let p = &self.spec[i];
        let from_path = input.all_from_path();
        match e {
            ParamError::Missing => MissingParameters::new(&[p.name]).into(),
            ParamError::TooMany(n) => {
                let msg = format!("Parameter '{}' was given {n} values; it takes one.", p.name);
                if from_path {
                    HttpError::not_found(msg)
                } else {
                    HttpError::bad_request(msg)
                }
            }
            ParamError::Invalid => BadParameter::new(p.name, p.type_name, from_path).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn value(name: &'static str, required: bool) -> ParamSpec {
        ParamSpec {
            name,
            kind: ParamKind::Value,
            type_name: "u16",
            required,
            schema: || ParamSchema::String,
        }
    }

    fn offered<'a>(pos: &[&'a str], named: &[(&'a str, &'a str, Origin)]) -> Offered<'a> {
        Offered {
            positional: pos.iter().copied().collect(),
            named: named
                .iter()
                .map(|(k, v, o)| (Cow::Borrowed(*k), Named::Text(Cow::Borrowed(*v)), *o))
                .collect(),
        }
    }

    static AB: [ParamSpec; 2] = [value("a", true), value("b", true)];

    fn err(spec: &'static [ParamSpec], o: Offered<'_>) -> (u16, String) {
        let e = Bound::new(spec, o, true).unwrap_err();
        (e.status().as_u16(), e.message().to_owned())
    }

    #[test]
    fn missing_comes_first() {
        assert_eq!(
            err(&AB, offered(&[], &[("x", "1", Origin::Query)])),
            (404, "Missing parameters: a,b".into())
        );
        // Even when the value should have come from a body.
        assert_eq!(
            err(&AB, offered(&["1"], &[])),
            (404, "Missing parameters: b".into())
        );
    }

    #[test]
    fn too_many_positional() {
        assert_eq!(
            err(&AB, offered(&["1", "2", "3"], &[])),
            (404, GENERIC_404.into())
        );
    }

    #[test]
    fn multiple_values() {
        assert_eq!(
            err(&AB, offered(&["1", "2"], &[("a", "1", Origin::Query)])),
            (404, "Multiple values for parameters: a".into())
        );
        assert_eq!(
            err(&AB, offered(&["1", "2"], &[("b", "1", Origin::Body)])),
            (400, "Multiple values for parameters: b".into())
        );
    }

    #[test]
    fn unexpected_names() {
        assert_eq!(
            err(
                &AB,
                offered(
                    &["1", "2"],
                    &[("x", "1", Origin::Query), ("y", "", Origin::Body)]
                )
            ),
            (404, "Unexpected query string parameters: x".into())
        );
        assert_eq!(
            err(
                &AB,
                offered(
                    &["1", "2"],
                    &[("y", "", Origin::Body), ("z", "", Origin::Body)]
                )
            ),
            (400, "Unexpected body parameters: y, z".into())
        );
        // In both the query and the body: classified as body.
        assert_eq!(
            err(
                &AB,
                offered(
                    &["1", "2"],
                    &[("y", "", Origin::Query), ("y", "", Origin::Body)]
                )
            ),
            (400, "Unexpected body parameters: y".into())
        );
    }

    #[test]
    fn hidden_messages() {
        let e = Bound::new(&AB, offered(&[], &[]), false).unwrap_err();
        assert_eq!((e.status().as_u16(), e.message()), (404, GENERIC_404));
        let e =
            Bound::new(&AB, offered(&["1", "2"], &[("y", "", Origin::Body)]), false).unwrap_err();
        assert_eq!((e.status().as_u16(), e.message()), (400, GENERIC_400));
    }

    #[test]
    fn type_errors_name_the_parameter() {
        let b = Bound::new(&AB, offered(&["x"], &[("b", "y", Origin::Query)]), true).unwrap();
        let e = b.arg::<u16>(0).unwrap_err();
        assert_eq!(e.status(), 404);
        assert_eq!(
            e.message(),
            "Invalid value for parameter 'a': expected u16."
        );
        let e = b.arg::<u16>(1).unwrap_err();
        assert_eq!(e.status(), 400);
        let b = Bound::new(&AB, offered(&["7", "65535"], &[]), true).unwrap();
        assert_eq!(b.arg::<u16>(0).unwrap(), 7);
        assert_eq!(b.arg::<u16>(1).unwrap(), 65535);
        let b = Bound::new(&AB, offered(&["-1", "65536"], &[]), true).unwrap();
        assert!(b.arg::<u16>(0).is_err() && b.arg::<u16>(1).is_err());
    }

    #[test]
    fn repeated_scalar_is_a_400() {
        static A: [ParamSpec; 1] = [value("a", true)];
        let b = Bound::new(
            &A,
            offered(&[], &[("a", "1", Origin::Query), ("a", "2", Origin::Query)]),
            true,
        )
        .unwrap();
        let e = b.arg::<u16>(0).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(b.arg::<Vec<u16>>(0).unwrap() == [1, 2]);
    }

    #[test]
    fn bools_and_options() {
        static A: [ParamSpec; 1] = [value("a", false)];
        let b = Bound::new(&A, offered(&[], &[]), true).unwrap();
        assert_eq!(b.arg::<Option<bool>>(0).unwrap(), None);
        assert_eq!(b.arg_or::<u32>(0, || 1).unwrap(), 1);
        let b = Bound::new(&A, offered(&[], &[("a", "on", Origin::Body)]), true).unwrap();
        assert_eq!(b.arg::<Option<bool>>(0).unwrap(), Some(true));
        let b = Bound::new(&A, offered(&[], &[("a", "+5", Origin::Query)]), true).unwrap();
        assert!(b.arg::<u32>(0).is_err());
        assert!(b.arg::<f64>(0).is_ok());
    }
}
