//! The layers of `docs/architecture.md`, kept: every `crate::` path in `src/` (test modules
//! aside) must lead to a module of a lower layer, or of its own layer where the table allows it.
//! A new top-level module must be given a layer in the table before this passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A row of the table: its rank (0 lowest), its name, whether its modules may import one another.
#[derive(Debug, Clone)]
struct Layer {
    rank: usize,
    name: String,
    shared: bool,
}

/// Module → layer, from the table under "The layers, as the test reads them".
fn layers() -> BTreeMap<String, Layer> {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/architecture.md")).unwrap();
    let table = doc
        .split("| layer | modules | shared |")
        .nth(1)
        .expect("docs/architecture.md has the layer table");
    let mut map = BTreeMap::new();
    let rows = table.lines().skip(2).take_while(|l| l.starts_with('|'));
    for (rank, row) in rows.enumerate() {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let layer = Layer {
            rank,
            name: cells[1].to_owned(),
            shared: cells[3] == "yes",
        };
        for module in cells[2].split(',').map(str::trim) {
            map.insert(module.to_owned(), layer.clone());
        }
    }
    assert!(map.len() > 10, "the table was not read: {map:?}");
    map
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/` (`src/cache/mod.rs` → `[cache]`).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The file's code without its test module and comments, line by line (1-based numbers kept).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let end = text.find("#[cfg(test)]\nmod ").unwrap_or(text.len());
    text[..end]
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let code = match line.find("//") {
                // Not `http://` in a string: a comment starts a line or follows a space.
                Some(at) if at == 0 || line[..at].ends_with(char::is_whitespace) => &line[..at],
                _ => line,
            };
            (i + 1, code.to_owned())
        })
        .collect()
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first segments reached from the crate root in `code`: `crate::a`, `crate::{a, b::c}`,
/// and `super::` chains that climb to the root.
fn roots(code: &str, depth: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = &rest[..at];
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.ends_with('$') || before.ends_with(|c: char| c.is_ascii_alphanumeric()) {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            // Top-level items of the group, up to its closing brace (one line: rustfmt keeps
            // a group that is too long for one line on several, each item on its own line,
            // which the lines after are read for by the caller).
            let mut level = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => level += 1,
                    '}' if level == 0 => break,
                    '}' => level -= 1,
                    ',' if level == 0 => item_start = true,
                    c if item_start && (c.is_ascii_alphabetic() || c == '_') => {
                        found.push(ident_at(&group[i..]).to_owned());
                        item_start = false;
                    }
                    c if !c.is_whitespace() => item_start = false,
                    _ => {}
                }
            }
        } else {
            found.push(ident_at(after).to_owned());
        }
    }
    let mut rest = code;
    while let Some(at) = rest.find("super::") {
        let mut chain = &rest[at..];
        let mut n = 0;
        while let Some(next) = chain.strip_prefix("super::") {
            n += 1;
            chain = next;
        }
        rest = chain;
        if n >= depth {
            found.push(ident_at(chain).to_owned());
        }
    }
    found
}

/// `crate::{` groups rustfmt spreads over lines: joined to the line they start on.
fn joined(lines: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open = 0i32;
    for (n, line) in lines {
        if open > 0 {
            let last = out.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(&line);
        } else {
            out.push((n, line.clone()));
        }
        if open > 0 || line.contains("crate::{") {
            open += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        }
    }
    out
}

/// Names `lib.rs` re-exports, with the module they come from (`App` → `app`).
fn reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(Path::new(ROOT).join("src/lib.rs")).unwrap();
    let mut map = BTreeMap::new();
    for (_, line) in joined(code_lines(&lib)) {
        let Some(path) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = ident_at(path).to_owned();
        let names = path[module.len()..].split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        for name in names.filter(|n| !n.is_empty() && *n != "self" && *n != "as") {
            map.entry(name.to_owned()).or_insert_with(|| module.clone());
        }
    }
    map
}

#[test]
fn no_module_imports_a_layer_above_its_own() {
    let layers = layers();
    let reexports = reexports();
    let facade: BTreeSet<&str> = ["dev", "fuzzing", "__private"].into();
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(Path::new(ROOT).join("src")).unwrap();
        if rel == Path::new("lib.rs") || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let path = module_path(rel);
        let module = &path[0];
        seen.insert(module.clone());
        let Some(own) = layers.get(module) else {
            problems.push(format!(
                "src/{}: `{module}` has no layer in docs/architecture.md",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (line, code) in joined(code_lines(&text)) {
            for target in roots(&code, path.len()) {
                let target = if facade.contains(target.as_str()) {
                    "lib.rs facade".to_owned()
                } else {
                    reexports.get(&target).cloned().unwrap_or(target)
                };
                if &target == module || target == "self" || target.is_empty() {
                    continue;
                }
                let allowed = match layers.get(&target) {
                    Some(other) if other.rank < own.rank => true,
                    Some(other) if other.rank == own.rank => own.shared,
                    Some(_) => false,
                    // A crate root item that is not a module (a macro, a function): fine.
                    None => target != "lib.rs facade",
                };
                if !allowed {
                    let theirs = layers.get(&target).map_or("the top", |l| l.name.as_str());
                    problems.push(format!(
                        "src/{}:{line}: {module} ({}) imports {target} ({theirs})",
                        rel.display(),
                        own.name
                    ));
                }
            }
        }
    }
    for module in layers.keys() {
        if !seen.contains(module) {
            problems.push(format!(
                "docs/architecture.md names `{module}`, which src/ lacks"
            ));
        }
    }
    assert!(problems.is_empty(), "layering:\n{}", problems.join("\n"));
}

#[test]
fn the_check_sees_an_upward_import() {
    // The reader itself, on the shapes it must catch: if it missed these, the test above
    // could not fail.
    assert_eq!(roots("use crate::app::App;", 1), ["app"]);
    assert_eq!(roots("use crate::{app::App, cache};", 1), ["app", "cache"]);
    assert_eq!(
        roots("let x = crate::pipeline::handle(a);", 2),
        ["pipeline"]
    );
    assert_eq!(roots("use super::super::coverage::X;", 2), ["coverage"]);
    assert_eq!(roots("use super::Local;", 2), Vec::<String>::new());
    assert_eq!(roots("$crate::dev::FromParam", 1), Vec::<String>::new());
    let lines = joined(code_lines(
        "use crate::{\n    app::App,\n    cache,\n};\n// crate::engine\n#[cfg(test)]\nmod tests { use crate::testing; }",
    ));
    let found: Vec<String> = lines.iter().flat_map(|(_, l)| roots(l, 1)).collect();
    assert_eq!(found, ["app", "cache"]);
    let layers = layers();
    assert!(layers["cache"].rank > layers["tools"].rank);
    assert!(!layers["cache"].shared);
    assert!(layers["app"].rank > layers["pipeline"].rank);
}
