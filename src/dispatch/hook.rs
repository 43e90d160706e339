//! Custom dispatch hooks: CherryPy's `_cp_dispatch` and `popargs`.
//!
//! This module owns what a hook sees and returns. A hook runs during the walk when a segment
//! below its controller names nothing; through a [`Cursor`] it may take leading segments as
//! named parameters, and it answers with a [`Next`] that says where the walk goes on. Values a
//! hook takes count as coming from the path (a type error in them is a 404).

use std::borrow::Cow;

use smallvec::SmallVec;

use super::path::Segment;

/// Named values taken from the path by hooks.
pub(crate) type HookParams = SmallVec<[(Cow<'static, str>, String); 2]>;

/// Where the walk continues after a hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// At the hook's own controller, with the segments left.
    Here,
    /// At the mount of the hook's controller with this name (hidden mounts included).
    Child(&'static str),
    /// Nowhere: the walk ends with nothing at this position.
    NotFound,
}

/// The remaining segments, as a hook sees them.
///
/// ```
/// use drupe::{controller, Cursor, Next};
///
/// struct Archive;
///
/// #[controller]
/// impl Archive {
///     /// `/archive/2024/05/` reaches `index(year, month)`.
///     #[dispatch]
///     fn route(&self, cursor: &mut Cursor<'_>) -> Next {
///         if cursor.peek().is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit())) {
///             cursor.pop_into("year");
///             cursor.pop_into("month");
///             Next::Here
///         } else {
///             Next::NotFound
///         }
///     }
///
///     #[expose]
///     fn index(&self, year: u16, month: u8) -> String {
///         format!("{year}-{month:02}")
///     }
/// }
/// ```
pub struct Cursor<'a> {
    path: &'a str,
    segs: &'a [Segment],
    taken: usize,
    params: &'a mut HookParams,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(path: &'a str, segs: &'a [Segment], params: &'a mut HookParams) -> Self {
        Self {
            path,
            segs,
            taken: 0,
            params,
        }
    }

    /// How many segments the hook took.
    pub(crate) fn taken(&self) -> usize {
        self.taken
    }

    /// The next segment, decoded, without taking it.
    pub fn peek(&self) -> Option<&str> {
        self.segs.get(self.taken).map(|s| s.value(self.path))
    }

    /// The segments not taken yet.
    pub fn remaining(&self) -> impl Iterator<Item = &str> {
        self.segs[self.taken..].iter().map(|s| s.value(self.path))
    }

    /// Takes the next segment.
    pub fn pop(&mut self) -> Option<&str> {
        let s = self.segs.get(self.taken)?;
        self.taken += 1;
        Some(s.value(self.path))
    }

    /// Takes the next segment as the named parameter `name`; `false` when none is left.
    pub fn pop_into(&mut self, name: &'static str) -> bool {
        match self.segs.get(self.taken) {
            Some(s) => {
                self.taken += 1;
                self.params
                    .push((Cow::Borrowed(name), s.value(self.path).to_owned()));
                true
            }
            None => false,
        }
    }

    /// Sets a named parameter (as if taken from the path).
    pub fn set_param(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.params.push((name.into(), value.into()));
    }
}
