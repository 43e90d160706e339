//! Path → dispatch → argument binding: any path and query on the tour's tree (default and
//! method dispatchers, hooks, virtual segments, typed parameters), with any method, headers
//! and body. No panic, no 5xx; and the walk alone (`resolve_and_bind`) never panics.

/// One input, as the fuzzer runs it.
pub fn run(data: &[u8]) {
    let Some(r) = crate::input::<crate::common::FuzzRequest>(data) else {
        return;
    };
    let (path, query) = r.path.split_once('?').unwrap_or((&r.path, ""));
    let app = common_app();
    let _ = drupe::dev::resolve_and_bind(app, path, query, |_| {});
    let target = if r.path.starts_with('/') {
        r.path.clone()
    } else {
        format!("/{}", r.path)
    };
    crate::common::check(&target, &r);
}

fn common_app() -> &'static drupe::App {
    use std::sync::OnceLock;
    static APP: OnceLock<drupe::App> = OnceLock::new();
    APP.get_or_init(crate::tour::app)
}
