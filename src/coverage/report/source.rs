//! The source-lines view (`source.html`), when the build records lines: a table of the
//! instrumented files with their line coverage, then the lines of the chosen file (of every
//! file on the static page), each with its count.

use serde::Serialize;

use super::view::{Mode, Pct, View, file_anchor};

/// The files and the ones whose lines are shown.
#[derive(Serialize)]
pub(super) struct Source {
    files: Vec<File>,
    shown: Vec<Listing>,
}

/// A row of the files table.
#[derive(Serialize)]
struct File {
    name: String,
    href: String,
    lines: usize,
    pct: Pct,
}

/// One file's lines.
#[derive(Serialize)]
struct Listing {
    name: String,
    anchor: String,
    lines: Vec<Line>,
}

/// One line: `covered`, `notcovered` or `plain` (not executable), with its count.
#[derive(Serialize)]
struct Line {
    number: u32,
    class: &'static str,
    count: String,
    text: String,
}

/// The view, when the data has line coverage.
pub(super) fn source(v: &View<'_>) -> Option<Source> {
    let lines = v.data.lines.as_ref()?;
    let files = lines
        .files
        .iter()
        .map(|(f, l)| File {
            name: f.clone(),
            href: v.link_file(f),
            lines: l.lines.len(),
            pct: v.pct_tenths(l.percent()),
        })
        .collect();
    let shown = lines
        .files
        .iter()
        .filter(|(f, _)| match (&v.mode, v.file) {
            (Mode::Live { .. }, Some(chosen)) => f.as_str() == chosen,
            (Mode::Live { .. }, None) => false,
            (Mode::Static, _) => true,
        })
        // Only files the coverage data names are ever read.
        .filter_map(|(f, l)| {
            let text = std::fs::read_to_string(f).ok()?;
            Some(Listing {
                name: f.clone(),
                anchor: file_anchor(f),
                lines: listing(&text, &l.lines),
            })
        })
        .collect();
    Some(Source { files, shown })
}

fn listing(text: &str, counts: &std::collections::BTreeMap<u32, u64>) -> Vec<Line> {
    text.lines()
        .zip(1u32..)
        .map(|(line, number)| {
            let (class, count) = match counts.get(&number) {
                Some(0) => ("notcovered", "0".to_owned()),
                Some(c) => ("covered", c.to_string()),
                None => ("plain", String::new()),
            };
            Line {
                number,
                class,
                count,
                text: line.to_owned(),
            }
        })
        .collect()
}
