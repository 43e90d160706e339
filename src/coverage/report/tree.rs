//! The tree pane's view model (`tree.html`): each node with the coverage of everything under
//! it, its handlers with their method badges and their own coverage, then its children,
//! leaving out what the exclude filter names.

use std::collections::HashSet;

use serde::Serialize;

use super::super::data::pct;
use super::view::{Pct, Verb, View, verbs};

/// A node of the tree.
#[derive(Serialize)]
pub(super) struct Node {
    path: String,
    /// Its last segment (`/` for the root).
    label: String,
    pct: Pct,
    handlers: Vec<Handler>,
    children: Vec<Node>,
}

/// A handler under its node, linking to its detail.
#[derive(Serialize)]
struct Handler {
    path: String,
    name: String,
    class: &'static str,
    selected: bool,
    href: String,
    verbs: Vec<Verb>,
    pct: Pct,
}

/// The tree from its root, if the data has one and the filter keeps it.
pub(super) fn tree(v: &View<'_>) -> Option<Node> {
    let root = v.data.nodes.iter().find(|n| n.parent.is_none())?;
    node(v, &root.path, true, &mut HashSet::new())
}

/// The node at `path`. `shown` holds the paths already placed, so that data read from a file
/// whose parents loop cannot make the tree endless.
fn node<'a>(v: &View<'a>, path: &'a str, root: bool, shown: &mut HashSet<&'a str>) -> Option<Node> {
    if v.excluded(path) || !shown.insert(path) {
        return None;
    }
    let handlers = v
        .data
        .handlers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.node == path && !v.excluded(&h.path))
        .map(|(i, h)| {
            let selected = v.selected == Some(i);
            Handler {
                path: h.path.clone(),
                name: h.name.clone(),
                class: if selected {
                    "handler selected"
                } else {
                    "handler"
                },
                selected,
                href: v.link_handler(i),
                verbs: verbs(h),
                pct: v.pct(pct(h.exercised_methods(), h.declared_methods.len())),
            }
        })
        .collect();
    let children = v
        .data
        .nodes
        .iter()
        .filter(|n| n.parent.as_deref() == Some(path))
        .filter_map(|n| node(v, &n.path, false, shown))
        .collect();
    Some(Node {
        path: path.to_owned(),
        label: if root { "/".to_owned() } else { label(path) },
        pct: v.pct(v.data.totals_under(path).percent()),
        handlers,
        children,
    })
}

/// A node's last segment with its slash: `/blog/post/` → `post/`.
fn label(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    format!("{}/", trimmed.rsplit('/').next().unwrap_or(trimmed))
}
