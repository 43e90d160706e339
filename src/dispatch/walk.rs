//! The default dispatcher's walk: from segments to a handler (CherryPy's `find_handler`).
//!
//! This module owns the walk down the compiled tree and the reverse scan that chooses the
//! handler, as CherryPy's `Dispatcher.find_handler` does: each segment, read through the
//! punctuation translation, is looked up on the current node; a miss with segments left runs the node's dispatch hook; a
//! synthetic final segment `index` is walked last. The trail is then scanned from the deepest
//! entry back to the root: a controller with an exposed `default` answers with the segments
//! after it, an exposed method or a resource answers itself. Nothing here allocates unless
//! the trail is deeper than sixteen or a hook takes parameters.

use std::ops::Range;

use smallvec::SmallVec;

use super::hook::{Cursor, HookParams, Next};
use super::path::Segments;
use super::tree::{Child, HandlerId, Hook, NodeId, NodeKind, Tree};

/// What the walk found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// An exposed method of a controller (or its `default`).
    Handler(HandlerId),
    /// A method-dispatched resource.
    Resource(NodeId),
}

/// The walk's answer for one request.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) target: Target,
    /// The segments handed to the handler as positional arguments.
    pub(crate) vpath: Range<usize>,
    /// CherryPy's `is_index`: the final synthetic `index` was the handler (or, for `default`,
    /// the path ends with `/`). The trailing-slash tool reads it.
    pub(crate) is_index: bool,
    /// The deepest node the walk reached (where coverage counts a miss).
    pub(crate) node: NodeId,
}

#[derive(Debug, Clone, Copy)]
enum Pos {
    Node(NodeId),
    Handler(HandlerId),
    Nothing,
}

/// The positions the walk reached, each with the segments consumed when it was reached.
type Trail = SmallVec<[(Pos, usize); 16]>;

/// How the descent down the tree ended.
enum Descent {
    /// It stopped; `true` when it looked up the final synthetic `index` as well.
    Ended(bool),
    /// A private name was asked of this node (see `NodeBuilder::private`).
    Private(NodeId),
}

/// Walks `segs` down `tree`. Hooks may add named parameters to `params`.
/// `Err(node)` is a miss, with the deepest node reached.
pub(crate) fn walk(
    tree: &Tree,
    path: &str,
    segs: &Segments,
    params: &mut HookParams,
) -> Result<Route, NodeId> {
    let mut trail: Trail = SmallVec::new();
    trail.push((Pos::Node(0), 0));
    match descend(tree, path, segs, params, &mut trail) {
        Descent::Ended(complete) => choose(tree, segs, &trail, complete),
        Descent::Private(id) => {
            // A private name is answered here or nowhere (see `NodeBuilder::private`).
            let vpath = trail.last().map_or(0, |(_, c)| *c)..segs.len();
            node_route(tree, id, vpath, segs.trailing_slash, false).ok_or(id)
        }
    }
}

/// Looks each segment, then `index`, up from the root, running dispatch hooks on misses;
/// pushes each position reached onto `trail`.
#[inline]
fn descend(
    tree: &Tree,
    path: &str,
    segs: &Segments,
    params: &mut HookParams,
    trail: &mut Trail,
) -> Descent {
    let n = segs.len();
    let mut cur = Pos::Node(0);
    let mut i = 0usize;
    while i <= n {
        let Pos::Node(id) = cur else {
            // Methods have no attributes: everything below is nothing.
            return Descent::Ended(false);
        };
        let node = &tree.nodes[id as usize];
        let name = if i < n {
            segs.list[i].lookup(path)
        } else {
            "index"
        };
        match node.find(name) {
            Some(Child::Handler(h)) => {
                cur = Pos::Handler(h);
                i += 1;
            }
            Some(Child::Node(c)) => {
                cur = Pos::Node(c);
                i += 1;
            }
            None if i < n && node.is_private(name) => return Descent::Private(id),
            None if i < n && node.hook.is_some() => {
                let (next, taken) = run_hook(tree, id, path, &segs.list[i..], params);
                cur = next;
                i += taken.max(1);
            }
            None => return Descent::Ended(false),
        }
        trail.push((cur, i.min(n)));
        if matches!(cur, Pos::Nothing) {
            return Descent::Ended(false);
        }
    }
    Descent::Ended(true)
}

/// Scans `trail` from the deepest position back to the root for the first that answers:
/// a handler, a node's `default`, or a resource. `Err` holds the deepest node reached.
#[inline]
fn choose(
    tree: &Tree,
    segs: &Segments,
    trail: &[(Pos, usize)],
    complete: bool,
) -> Result<Route, NodeId> {
    let last = trail.len() - 1;
    let deepest = trail
        .iter()
        .rev()
        .find_map(|(p, _)| match p {
            Pos::Node(id) => Some(*id),
            _ => None,
        })
        .unwrap_or(0);
    for (j, (pos, consumed)) in trail.iter().enumerate().rev() {
        let vpath = *consumed..segs.len();
        let final_index = complete && j == last;
        match *pos {
            Pos::Nothing => {}
            Pos::Handler(h) => {
                return Ok(Route {
                    target: Target::Handler(h),
                    vpath,
                    is_index: final_index,
                    node: deepest,
                });
            }
            Pos::Node(id) => {
                if let Some(route) = node_route(tree, id, vpath, segs.trailing_slash, final_index) {
                    return Ok(route);
                }
            }
        }
    }
    Err(deepest)
}

/// The route node `id` answers with, if any: its `default` (an index when the path ends
/// with `/`), else itself when it is a resource (an index when `is_index`).
#[inline]
fn node_route(
    tree: &Tree,
    id: NodeId,
    vpath: Range<usize>,
    trailing_slash: bool,
    is_index: bool,
) -> Option<Route> {
    let node = &tree.nodes[id as usize];
    if let Some(d) = node.default {
        return Some(Route {
            target: Target::Handler(d),
            vpath,
            is_index: trailing_slash,
            node: id,
        });
    }
    (node.info.kind() == NodeKind::Resource).then_some(Route {
        target: Target::Resource(id),
        vpath,
        is_index,
        node: id,
    })
}

fn run_hook(
    tree: &Tree,
    id: NodeId,
    path: &str,
    rest: &[super::path::Segment],
    params: &mut HookParams,
) -> (Pos, usize) {
    let node = &tree.nodes[id as usize];
    match &node.hook {
        Some(Hook::PopArgs { names, then }) => {
            let mut cursor = Cursor::new(path, rest, params);
            for name in names.iter() {
                if !cursor.pop_into(name) {
                    break;
                }
            }
            let taken = cursor.taken();
            if let Some(t) = then {
                return (Pos::Node(*t), taken);
            }
            // No handler: the next segment, if any, is a plain lookup on this node.
            match rest.get(taken) {
                Some(seg) => {
                    let pos = match node.find(seg.lookup(path)) {
                        Some(Child::Handler(h)) => Pos::Handler(h),
                        Some(Child::Node(c)) => Pos::Node(c),
                        None => Pos::Nothing,
                    };
                    (pos, taken + 1)
                }
                None => (Pos::Node(id), taken),
            }
        }
        Some(Hook::Custom(f)) => {
            let mut cursor = Cursor::new(path, rest, params);
            let next = f(&mut cursor);
            let taken = cursor.taken();
            let pos = match next {
                Next::Here => Pos::Node(id),
                Next::Child(name) => match node.mount_named(name) {
                    Some(c) => Pos::Node(c),
                    None => {
                        tracing::warn!(
                            node = node.info.path(),
                            "dispatch hook chose `{name}`, which is not a mount"
                        );
                        Pos::Nothing
                    }
                },
                Next::NotFound => Pos::Nothing,
            };
            (pos, taken)
        }
        None => (Pos::Nothing, 1),
    }
}
