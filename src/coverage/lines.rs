//! Source-line coverage of the application's own code (CherryPy's original view).
//!
//! When the application's crates are built with `-C instrument-coverage --cfg
//! drupe_line_coverage` (`scripts/line-coverage/rustc-wrapper.sh` does it for the workspace's
//! own crates only, through `RUSTC_WORKSPACE_WRAPPER`) and drupe's `line-coverage` feature is
//! on, the profiler runtime's counters are read in process and mapped to source lines with
//! `llvm_profparser`; otherwise this module reports nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Hits per line of one source file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLines {
    /// Executable lines: line number → times executed.
    pub lines: BTreeMap<u32, u64>,
}

impl FileLines {
    /// Lines executed at least once.
    pub fn covered(&self) -> usize {
        self.lines.values().filter(|n| **n > 0).count()
    }

    /// covered / executable lines, in percent.
    pub fn percent(&self) -> f64 {
        if self.lines.is_empty() {
            100.0
        } else {
            100.0 * self.covered() as f64 / self.lines.len() as f64
        }
    }
}

/// Line coverage of every instrumented file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineData {
    /// By source file path.
    pub files: BTreeMap<String, FileLines>,
}

impl LineData {
    pub(crate) fn merge(&mut self, o: &LineData) {
        for (f, l) in &o.files {
            let mine = self.files.entry(f.clone()).or_default();
            for (line, n) in &l.lines {
                *mine.lines.entry(*line).or_default() += n;
            }
        }
    }
}

/// Whether this build records source lines.
pub fn enabled() -> bool {
    imp::enabled()
}

/// The lines executed since start (or the last reset), when enabled.
pub fn snapshot() -> Option<LineData> {
    imp::snapshot()
}

/// Zeroes the line counters.
pub fn reset() {
    imp::reset()
}

#[cfg(not(all(feature = "line-coverage", drupe_line_coverage)))]
mod imp {
    pub(super) fn enabled() -> bool {
        false
    }
    pub(super) fn snapshot() -> Option<super::LineData> {
        None
    }
    pub(super) fn reset() {}
}
