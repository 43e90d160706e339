//! Compiling the tree: each controller's `describe` run through a [`NodeBuilder`], the
//! mounts followed, names checked, hidden children given their template paths.

use super::*;

/// Errors found while compiling a tree: all of them, not the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the tree has errors:\n  {}", .0.join("\n  "))]
pub struct TreeError(pub Vec<String>);

const MAX_DEPTH: usize = 64;

struct Builder {
    nodes: Vec<Node>,
    handlers: Vec<Handler>,
    errors: Vec<String>,
    /// Per node: (mount name, hidden, child) and pending `popargs(then = name)`.
    pending_then: Vec<(NodeId, &'static str)>,
}

/// What a controller's `describe` uses to declare itself. Generated code calls it; users
/// rarely need to.
pub struct NodeBuilder<'b, C: 'static> {
    b: &'b mut Builder,
    id: NodeId,
    anchor: Anchor<C>,
    depth: usize,
}

impl<C: Controller> NodeBuilder<'_, C> {
    /// Makes this node a method-dispatched resource.
    pub fn resource(&mut self) {
        self.node().info.kind = NodeKind::Resource;
    }

    fn node(&mut self) -> &mut Node {
        &mut self.b.nodes[self.id as usize]
    }

    /// Declares a handler (an exposed method, or a verb of a resource).
    pub fn handler(&mut self, decl: HandlerDecl<C>) {
        let id = self.b.handlers.len() as HandlerId;
        let node_path = self.node().info.path.clone();
        let method = match decl.method {
            Some(m) => match Method::from_bytes(m.as_bytes()) {
                Ok(m) => Some(m),
                Err(_) => {
                    self.b
                        .errors
                        .push(format!("{node_path}: `{m}` is not an HTTP method"));
                    return;
                }
            },
            None => None,
        };
        let path = handler_path(&node_path, method.is_some(), decl.name);
        let mut produces = Vec::new();
        let mut produced_static = Vec::new();
        let mut repr_of = Vec::new();
        for (ri, list) in decl.produces.iter().enumerate() {
            for m in list.iter() {
                match MediaRange::parse(m) {
                    Ok(r) => {
                        produces.push(r);
                        produced_static.push(*m);
                        repr_of.push(ri as u8);
                    }
                    Err(e) => self
                        .b
                        .errors
                        .push(format!("{path}: bad media type {m:?}: {e}")),
                }
            }
        }
        let anchor = self.anchor.clone();
        let invoke = decl.invoke;
        let entry: Entry = Box::new(move |call| {
            let anchor = anchor.clone();
            Box::pin(async move { invoke(anchor.get(), call).await })
        });
        let info = HandlerInfo {
            id,
            node: self.id,
            name: decl.name,
            path,
            method: method.clone(),
            doc: decl.doc,
            params: decl.params,
            produces,
            produced_static,
            repr_of,
            statuses: decl.statuses,
            describe: decl.describe,
        };
        self.b.handlers.push(Handler { info, entry });
        let node = self.node();
        node.info.handlers.push(id);
        match method {
            Some(m) => {
                if node.verbs.iter().any(|(v, _)| *v == m) {
                    let p = node.info.path.clone();
                    self.b.errors.push(format!("{p}: two handlers for {m}"));
                } else {
                    node.verbs.push((m, id));
                }
            }
            None => {
                if decl.name == "default" {
                    node.default = Some(id);
                }
                self.entry(decl.name, Child::Handler(id));
                for alias in decl.aliases {
                    self.entry(&translated(alias), Child::Handler(id));
                }
            }
        }
    }

    fn entry(&mut self, name: &str, child: Child) {
        let node = &mut self.b.nodes[self.id as usize];
        match node.entries.binary_search_by(|(n, _)| n.as_ref().cmp(name)) {
            Ok(_) => {
                let p = node.info.path.clone();
                self.b
                    .errors
                    .push(format!("{p}: two entries are named `{name}`"));
            }
            Err(i) => node.entries.insert(i, (name.into(), child)),
        }
    }

    /// Mounts a child controller or resource under `name`. A hidden mount is reachable only
    /// through this node's dispatch hook.
    pub fn mount<D: Controller>(&mut self, name: &'static str, hidden: bool, child: fn(&C) -> &D) {
        let parent_path = self.node().info.path.clone();
        if self.depth >= MAX_DEPTH {
            self.b.errors.push(format!(
                "{parent_path}{name}: the tree is deeper than {MAX_DEPTH} levels (a mount cycle?)"
            ));
            return;
        }
        let id = self.b.nodes.len() as NodeId;
        let path = format!("{parent_path}{name}/");
        let mut node = new_node(id, Some(self.id), path, std::any::type_name::<D>());
        node.info.name = name;
        node.info.hidden = hidden;
        self.b.nodes.push(node);
        self.node().info.children.push(id);
        if hidden {
            if self.node().hidden.iter().any(|(n, _)| *n == name) {
                self.b.errors.push(format!(
                    "{parent_path}: two hidden mounts are named `{name}`"
                ));
            }
            self.node().hidden.push((name, id));
        } else {
            // A mount named `old-news` is reached as `/old-news/` and `/old_news/`.
            self.entry(&translated(name), Child::Node(id));
        }
        let anchor: Anchor<D> = Arc::new(ChildProjection {
            parent: self.anchor.clone(),
            child,
        });
        let mut nb = NodeBuilder {
            b: &mut *self.b,
            id,
            anchor,
            depth: self.depth + 1,
        };
        D::describe(&mut nb);
        finish_node(&mut *self.b, id);
    }

    /// Declares the names of the controller's methods that are not exposed. A segment naming
    /// one is answered by this node (its `default`, or the resource itself) or is a 404; it
    /// never reaches a shallower `default`.
    pub fn private(&mut self, names: &'static [&'static str]) {
        let node = self.node();
        node.private.extend_from_slice(names);
        node.private.sort_unstable();
    }

    /// CherryPy's `popargs`: when a segment below this node names nothing, take up to
    /// `names.len()` leading segments as named parameters; then continue at the hidden or
    /// visible mount `then`, or at this node.
    pub fn popargs(&mut self, names: &'static [&'static str], then: Option<&'static str>) {
        let id = self.id;
        if let Some(t) = then {
            self.b.pending_then.push((id, t));
        }
        let node = self.node();
        node.info.popargs = names;
        node.hook = Some(Hook::PopArgs { names, then: None });
    }

    /// A custom dispatch hook (CherryPy's `_cp_dispatch`): called when a segment below this
    /// node names nothing; it may take segments as named parameters and choose where the walk
    /// goes on.
    pub fn hook(&mut self, hook: fn(&C, &mut Cursor<'_>) -> Next) {
        let anchor = self.anchor.clone();
        self.node().hook = Some(Hook::Custom(Box::new(move |cursor| {
            hook(anchor.get(), cursor)
        })));
    }
}

fn new_node(id: NodeId, parent: Option<NodeId>, path: String, type_name: &'static str) -> Node {
    Node {
        info: NodeInfo {
            id,
            parent,
            path,
            name: "",
            hidden: false,
            kind: NodeKind::Controller,
            type_name,
            popargs: &[],
            handlers: Vec::new(),
            children: Vec::new(),
        },
        entries: Vec::new(),
        hidden: Vec::new(),
        private: Vec::new(),
        default: None,
        hook: None,
        verbs: Vec::new(),
        allow: None,
    }
}

/// Completes a node once its `describe` ran: the `Allow` of a resource, checks.
fn finish_node(b: &mut Builder, id: NodeId) {
    let node = &mut b.nodes[id as usize];
    if node.info.kind == NodeKind::Resource {
        let mut allow: Vec<&str> = node.verbs.iter().map(|(m, _)| m.as_str()).collect();
        if allow.contains(&"GET") && !allow.contains(&"HEAD") {
            allow.push("HEAD");
        }
        if !allow.contains(&"OPTIONS") {
            allow.push("OPTIONS");
        }
        allow.sort_unstable();
        node.allow = HeaderValue::from_str(&allow.join(", ")).ok();
        let path = node.info.path.clone();
        let handlers: Vec<HandlerId> = node
            .entries
            .iter()
            .filter_map(|(_, c)| match c {
                Child::Handler(h) => Some(*h),
                Child::Node(_) => None,
            })
            .collect();
        if !handlers.is_empty() {
            b.errors.push(format!(
                "{path}: a resource answers by HTTP method; exposed methods belong on a controller"
            ));
        }
    } else if !node.verbs.is_empty() {
        let path = node.info.path.clone();
        b.errors
            .push(format!("{path}: HTTP-method handlers belong on a resource"));
    }
}

/// Compiles the tree under `root`.
pub(crate) fn compile<R: Controller>(root: Arc<R>) -> Result<Tree, TreeError> {
    let mut b = Builder {
        nodes: vec![new_node(
            0,
            None,
            "/".to_owned(),
            std::any::type_name::<R>(),
        )],
        handlers: Vec::new(),
        errors: Vec::new(),
        pending_then: Vec::new(),
    };
    let anchor: Anchor<R> = Arc::new(RootProjection(root));
    let mut nb = NodeBuilder {
        b: &mut b,
        id: 0,
        anchor,
        depth: 0,
    };
    R::describe(&mut nb);
    finish_node(&mut b, 0);
    for (id, name) in std::mem::take(&mut b.pending_then) {
        let node = &mut b.nodes[id as usize];
        match node.mount_named(name) {
            Some(child) => {
                if let Some(Hook::PopArgs { then, .. }) = &mut node.hook {
                    *then = Some(child);
                }
            }
            None => {
                let p = node.info.path.clone();
                b.errors
                    .push(format!("{p}: popargs names `{name}`, which is not a mount"));
            }
        }
    }
    template_paths(&mut b);
    if b.errors.is_empty() {
        Ok(Tree {
            nodes: b.nodes,
            handlers: b.handlers,
        })
    } else {
        Err(TreeError(b.errors))
    }
}

fn handler_path(node_path: &str, is_verb: bool, name: &str) -> String {
    let path = match (is_verb, name) {
        (true, _) => node_path.trim_end_matches('/').to_owned(),
        (false, "index") => node_path.to_owned(),
        (false, name) => format!("{node_path}{name}"),
    };
    if path.is_empty() {
        "/".to_owned()
    } else {
        path
    }
}

/// Rewrites the paths of hidden mounts (and everything under them) as templates: a child
/// reached through `popargs(id, then = item)` lives at `/parent/{id}/`, one reached through a
/// custom hook at `/parent/{name}/`.
fn template_paths(b: &mut Builder) {
    for id in 1..b.nodes.len() {
        let Some(parent) = b.nodes[id].info.parent else {
            continue;
        };
        let p = &b.nodes[parent as usize];
        let seg = if b.nodes[id].info.hidden {
            match &p.hook {
                Some(Hook::PopArgs {
                    names,
                    then: Some(t),
                }) if *t as usize == id => names
                    .iter()
                    .map(|n| format!("{{{n}}}"))
                    .collect::<Vec<_>>()
                    .join("/"),
                _ => format!("{{{}}}", b.nodes[id].info.name),
            }
        } else {
            b.nodes[id].info.name.to_owned()
        };
        let path = format!("{}{seg}/", p.info.path);
        b.nodes[id].info.path = path;
    }
    for h in &mut b.handlers {
        let node_path = &b.nodes[h.info.node as usize].info.path;
        h.info.path = handler_path(node_path, h.info.method.is_some(), h.info.name);
    }
}
