//! Binding a request's values to a handler's parameters.
//!
//! This module owns [`Bound`]: the values a request offers ([`Offered`]) assigned to a
//! handler's parameters (see [`super::param`]) with CherryPy's mismatch table
//! (`cherrypy._cpdispatch.test_callable_spec`), applied in its order before any value is
//! converted:
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
use std::collections::HashMap;

use smallvec::SmallVec;

use super::param::{FromParam, ParamError, ParamInput, ParamKind, ParamSpec, Value};
use super::path::Origin;
use crate::HttpError;
use crate::body::Upload;
use crate::error::{BadParameter, MissingParameters, MultipleValues, UnexpectedParameters};

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
    /// Assigns `offered` to `spec`, applying the mismatch table in its order. Linear in the
    /// number of values offered: each name's origin is looked up in [`Names`], never by
    /// comparing every value with every other.
    pub(crate) fn new(
        spec: &'static [ParamSpec],
        offered: Offered<'c>,
        show_mismatched: bool,
    ) -> Result<Self, HttpError> {
        let (assigned, too_many) = assign_positional(spec, offered.positional.len());
        let names = Names::new(&offered.named);
        // 1. Missing required parameters.
        missing_required(spec, &assigned, &names).map_err(|e| hide(e, show_mismatched))?;
        // 2. More path values than positional parameters.
        if too_many {
            return Err(HttpError::not_found(GENERIC_404));
        }
        // 3. A value from the path and one by name.
        given_twice(spec, &assigned, &names).map_err(|e| hide(e, show_mismatched))?;
        // 4./5. Names no parameter takes.
        if !spec.iter().any(|p| p.kind == ParamKind::Kwargs) {
            unexpected(spec, &names).map_err(|e| hide(e, show_mismatched))?;
        }
        drop(names);
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
                        input.push("", Value::Text(v), Origin::Path);
                    }
                }
                for (k, v, o) in &self.offered.named {
                    if k == p.name {
                        input.push(k, text(v), *o);
                    }
                }
            }
            ParamKind::Rest => {
                for (v, a) in self.offered.positional.iter().zip(&self.assigned) {
                    if a.is_none() {
                        input.push("", Value::Text(v), Origin::Path);
                    }
                }
            }
            ParamKind::Kwargs => {
                for (k, v, o) in &self.offered.named {
                    if !self.spec.iter().any(|q| q.takes_values() && q.name == k) {
                        input.push(k, text(v), *o);
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

/// A mismatch's error as the client sees it: as is when `show_mismatched`, else with the
/// generic message of its status.
#[inline]
fn hide(e: HttpError, show_mismatched: bool) -> HttpError {
    if show_mismatched {
        e
    } else if e.status() == 404 {
        e.with_message(GENERIC_404)
    } else {
        e.with_message(GENERIC_400)
    }
}

/// Assigns `count` positional values to the `Value` parameters in order (`None`: the rest
/// parameter); `true` when some value fills no parameter and there is no rest parameter.
#[inline]
fn assign_positional(
    spec: &'static [ParamSpec],
    count: usize,
) -> (SmallVec<[Option<u16>; 4]>, bool) {
    let has_rest = spec.iter().any(|p| p.kind == ParamKind::Rest);
    let mut assigned: SmallVec<[Option<u16>; 4]> = SmallVec::new();
    let mut slots = spec
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == ParamKind::Value)
        .map(|(i, _)| i as u16);
    let mut too_many = false;
    for _ in 0..count {
        match slots.next() {
            Some(i) => assigned.push(Some(i)),
            None if has_rest => assigned.push(None),
            None => {
                too_many = true;
                assigned.push(None);
            }
        }
    }
    (assigned, too_many)
}

/// Rule 1: the required parameters that got no value, neither from the path nor by name.
#[inline]
fn missing_required(
    spec: &[ParamSpec],
    assigned: &[Option<u16>],
    names: &Names<'_, '_>,
) -> Result<(), HttpError> {
    let missing: SmallVec<[&str; 4]> = spec
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            p.required
                && p.takes_values()
                && !assigned.contains(&Some(*i as u16))
                && names.origin(p.name).is_none()
        })
        .map(|(_, p)| p.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(MissingParameters::new(&missing).into())
}

/// Rule 3: the parameters filled from the path that are also given by name.
#[inline]
fn given_twice(
    spec: &[ParamSpec],
    assigned: &[Option<u16>],
    names: &Names<'_, '_>,
) -> Result<(), HttpError> {
    let mut twice: SmallVec<[&str; 2]> = SmallVec::new();
    let mut twice_query = false;
    for i in assigned.iter().flatten() {
        let p = &spec[*i as usize];
        if let Some(o) = names.origin(p.name) {
            twice.push(p.name);
            twice_query |= o != Origin::Body;
        }
    }
    if twice.is_empty() {
        return Ok(());
    }
    Err(MultipleValues::new(&twice, twice_query).into())
}

/// Rules 4 and 5: the names no parameter takes, each once, in the order they came; those
/// from the query first, then those a dispatch hook took from the path, then the body's.
#[inline]
fn unexpected(spec: &[ParamSpec], names: &Names<'_, '_>) -> Result<(), HttpError> {
    let mut query: SmallVec<[&str; 4]> = SmallVec::new();
    let mut body: SmallVec<[&str; 4]> = SmallVec::new();
    let mut path: SmallVec<[&str; 2]> = SmallVec::new();
    for (i, (k, _, _)) in names.named.iter().enumerate() {
        let k: &str = k;
        if spec.iter().any(|p| p.takes_values() && p.name == k) || !names.is_first(i) {
            continue;
        }
        match names.origin(k) {
            Some(Origin::Body) => body.push(k),
            Some(Origin::Path) => path.push(k),
            _ => query.push(k),
        }
    }
    if !query.is_empty() {
        return Err(UnexpectedParameters::new(&query, true).into());
    }
    if !path.is_empty() {
        // Values a dispatch hook took from the path: a path problem, so a 404.
        return Err(HttpError::not_found(format!(
            "Unexpected path parameters: {}",
            path.join(", ")
        )));
    }
    if !body.is_empty() {
        return Err(UnexpectedParameters::new(&body, false).into());
    }
    Ok(())
}

/// Up to this many named values, a name's origin is found by scanning them (no allocation);
/// past it, by a hash map built once.
const SCAN_MAX: usize = 16;

/// The names a request offers, with where each came from: a body value wins over a query
/// value, which wins over one a dispatch hook took from the path (a key in both the query
/// and the body is classified as body, as CherryPy classifies it).
struct Names<'o, 'c> {
    named: &'o [(Cow<'c, str>, Named<'c>, Origin)],
    /// Name → (combined origin, index of its first value), past [`SCAN_MAX`] values. The
    /// standard hasher (SipHash, randomly keyed): names come from clients, who must not be
    /// able to choose colliding ones.
    map: Option<HashMap<&'o str, (Origin, usize)>>,
}

impl<'o, 'c> Names<'o, 'c> {
    fn new(named: &'o [(Cow<'c, str>, Named<'c>, Origin)]) -> Self {
        let map = (named.len() > SCAN_MAX).then(|| {
            let mut m: HashMap<&'o str, (Origin, usize)> = HashMap::with_capacity(named.len());
            for (i, (k, _, o)) in named.iter().enumerate() {
                m.entry(&**k)
                    .and_modify(|(c, _)| *c = combine(*c, *o))
                    .or_insert((*o, i));
            }
            m
        });
        Self { named, map }
    }

    /// Where the values named `name` came from, combined; `None` when there is none.
    fn origin(&self, name: &str) -> Option<Origin> {
        match &self.map {
            Some(m) => m.get(name).map(|(o, _)| *o),
            None => self
                .named
                .iter()
                .filter(|(k, _, _)| k == name)
                .map(|(_, _, o)| *o)
                .reduce(combine),
        }
    }

    /// Whether the value at `i` is the first of its name.
    fn is_first(&self, i: usize) -> bool {
        let name = &self.named[i].0;
        match &self.map {
            Some(m) => m.get(&**name).is_some_and(|(_, first)| *first == i),
            None => !self.named[..i].iter().any(|(k, _, _)| k == name),
        }
    }
}

fn combine(a: Origin, b: Origin) -> Origin {
    match (a, b) {
        (Origin::Body, _) | (_, Origin::Body) => Origin::Body,
        (Origin::Query, _) | (_, Origin::Query) => Origin::Query,
        _ => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::param::ParamSchema;

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
