//! Every setting the code accepts is in the guide's settings reference (`docs/guide.md`), and
//! the reference lists no key the code refuses.
//!
//! The keys come from the code, not from a list kept here: a build given a key that no table
//! holds fails with an error that lists what the table accepts (serde's "unknown field `k`,
//! expected one of `a`, `b`", the cache's own "expected one of: a, b", the sections of
//! `[global]`, the registered tools, what a path section holds). Each key found is probed in
//! turn for the keys below it, so a field added to any settings type, a new `[global]`
//! section or a new stock tool shows up here until the guide documents it.

use std::collections::BTreeSet;

use drupe::{App, controller};

/// A key that no settings table holds.
const PROBE: &str = "zz_probe";

struct Root;

#[controller]
impl Root {
    #[expose]
    fn index(&self) -> &'static str {
        "hi"
    }
}

#[derive(Debug, Clone, Copy)]
enum Section {
    Global,
    Path,
}

/// The error the build reports when `key = 1` is set in `section` (`[global]` or `/`).
fn error_for(section: Section, key: &str) -> Option<String> {
    let builder = App::builder(Root);
    let builder = match section {
        Section::Global => builder.set_global(key, 1),
        Section::Path => builder.set("/", key, 1),
    };
    builder.build().err().map(|e| e.to_string())
}

/// The keys a table accepts, read from the error its unknown key `PROBE` causes; `None` when
/// the error is not about an unknown key (the value is a leaf of another type).
fn accepted(message: &str) -> Option<Vec<String>> {
    for marker in [
        format!("unknown field `{PROBE}`, "),
        format!("unknown setting `{PROBE}`, "),
    ] {
        let Some(at) = message.find(&marker) else {
            continue;
        };
        let rest = &message[at + marker.len()..];
        // From a file the message ends with the line: `... (line 3)`.
        let rest = rest.split(" (").next().unwrap_or(rest);
        if rest.starts_with("there are no fields") {
            return Some(Vec::new());
        }
        let rest = rest.strip_prefix("expected ")?;
        return Some(match rest.strip_prefix("one of: ") {
            Some(list) => list.split(',').map(|k| k.trim().to_owned()).collect(),
            None => rest
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect(),
        });
    }
    None
}

/// The comma-separated names a message lists after `marker`, up to the closing parenthesis.
fn listed(message: &str, marker: &str) -> Vec<String> {
    let at = message
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in {message:?}"));
    let rest = &message[at + marker.len()..];
    let list = &rest[..rest.find(')').expect("a closing parenthesis")];
    list.split(',').map(|n| n.trim().to_owned()).collect()
}

/// Adds to `keys` every leaf under `table` (or `table` itself, if it is a leaf).
fn walk(section: Section, table: &str, keys: &mut BTreeSet<String>) {
    let message = error_for(section, &format!("{table}.{PROBE}"));
    match message.as_deref().and_then(accepted) {
        Some(fields) => {
            for field in fields {
                walk(section, &format!("{table}.{field}"), keys);
            }
        }
        None => {
            keys.insert(table.to_owned());
        }
    }
}

/// Every key the code accepts, in `[global]` and in a path section.
fn code_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let global = error_for(Section::Global, PROBE).expect("an unknown [global] section fails");
    for name in listed(&global, "(the sections are ") {
        walk(Section::Global, &name, &mut keys);
    }
    // "a path section holds tools.<name>.*, request.* and error_page.*"
    let path = error_for(Section::Path, PROBE).expect("an unknown path key fails");
    let holds = &path[path.find("holds ").expect("what a path section holds") + 6..];
    let roots: Vec<&str> = holds
        .split_whitespace()
        .filter_map(|w| w.trim_end_matches(',').strip_suffix(".*"))
        .collect();
    assert!(!roots.is_empty(), "no roots in {path:?}");
    for root in roots {
        match root.strip_suffix(".<name>") {
            Some(prefix) => {
                let tools = error_for(Section::Path, &format!("{prefix}.{PROBE}"))
                    .expect("an unknown tool fails");
                for tool in listed(&tools, "(the tools are ") {
                    let table = format!("{prefix}.{tool}");
                    // Read by drupe itself for every tool, never by the tool's own type.
                    keys.insert(format!("{table}.on"));
                    walk(Section::Path, &table, &mut keys);
                }
            }
            None => walk(Section::Path, root, &mut keys),
        }
    }
    keys
}

/// The rows of the guide's settings reference: each table row's first cell, with its cells.
fn documented() -> Vec<(String, Vec<String>)> {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.md"))
        .expect("docs/guide.md");
    let start = guide
        .find("Settings reference\n")
        .expect("the guide has a settings reference section");
    let section = &guide[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect();
            (cells[0].trim_matches('`').to_owned(), cells)
        })
        .collect()
}

#[test]
fn every_setting_is_in_the_guide_and_every_documented_one_exists() {
    let code = code_keys();
    // The probing itself works: keys of each kind of table are found.
    for key in [
        "server.workers",
        "engine.restart_on_sighup",
        "cache.backend",
        "openapi.title",
        "request.body.max_size",
        "tools.caching.delay",
        "tools.trailing_slash.on",
        "tools.response_headers.headers",
    ] {
        assert!(
            code.contains(key),
            "{key} not found in the code's keys: {code:?}"
        );
    }
    let rows = documented();
    for (key, cells) in &rows {
        assert_eq!(
            cells.len(),
            4,
            "the reference's row for {key} wants 4 cells (key, type, default, what it does)"
        );
        assert!(
            cells.iter().all(|c| !c.is_empty()),
            "an empty cell in {key}'s row"
        );
    }
    let docs: BTreeSet<String> = rows.into_iter().map(|(k, _)| k).collect();
    let missing: Vec<&String> = code.difference(&docs).collect();
    assert!(
        missing.is_empty(),
        "settings accepted by the code but missing from the guide's settings reference: \
         {missing:?}"
    );
    let stale: Vec<&String> = docs.difference(&code).collect();
    assert!(
        stale.is_empty(),
        "settings in the guide's reference that the code refuses: {stale:?}"
    );
}
