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
        super::data::pct(self.covered(), self.lines.len())
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
            super::data::add_counts(&mut mine.lines, &l.lines);
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

/// Where the profiler runtime writes the profile at exit when `DRUPE_PROFRAW` does not say:
/// in a new folder only this user can enter, under a random name (tempfile), kept after the
/// process. A fixed name in the shared temporary folder (`/tmp/drupe-<pid>.profraw`) would
/// let another user plant a link there and have the runtime write through it.
#[cfg_attr(
    not(all(feature = "line-coverage", drupe_line_coverage)),
    allow(dead_code)
)]
pub(crate) fn private_profile_file() -> std::io::Result<std::path::PathBuf> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("drupe-profile-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    let dir = builder.tempdir()?.keep();
    Ok(dir.join(format!("drupe-{}.profraw", std::process::id())))
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
    pub(super) fn raw() -> Option<Vec<u8>> {
        None
    }
}

#[cfg(all(feature = "line-coverage", drupe_line_coverage))]
mod imp {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    use super::LineData;
    use crate::net::profiler;

    /// Points the runtime's exit-time file away from the working directory, once: to
    /// `DRUPE_PROFRAW`, or into a folder of this process's own.
    fn init() {
        static DONE: OnceLock<()> = OnceLock::new();
        DONE.get_or_init(|| {
            let file = match std::env::var_os("DRUPE_PROFRAW") {
                Some(f) => Some(PathBuf::from(f)),
                None => match super::private_profile_file() {
                    Ok(f) => Some(f),
                    Err(e) => {
                        tracing::warn!("no private folder for the coverage profile: {e}");
                        None
                    }
                },
            };
            if let Some(file) = file {
                profiler::set_filename(&file);
            }
        });
    }

    pub(super) fn enabled() -> bool {
        init();
        true
    }

    pub(super) fn reset() {
        init();
        profiler::reset();
    }

    pub(super) fn raw() -> Option<Vec<u8>> {
        init();
        profiler::profile()
    }

    pub(super) fn snapshot() -> Option<LineData> {
        let buf = raw()?;
        let exe = std::env::current_exe().ok()?;
        super::from_profile(&buf, &[exe])
    }
}

/// Line coverage from a raw profile and the instrumented binaries it came from: what the
/// report shows, computed offline (the cross-check against `llvm-cov` uses it). Files outside
/// the application (dependencies' macros expanded into it, the standard library) are left out.
#[cfg(feature = "line-coverage")]
pub fn from_profile(raw: &[u8], objects: &[std::path::PathBuf]) -> Option<LineData> {
    let profile = match llvm_profparser::parse_bytes(raw) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("cannot read the coverage profile: {e}");
            return None;
        }
    };
    let mapping = llvm_profparser::CoverageMapping::new(objects, &profile, true).ok()?;
    let report = match mapping.generate_report() {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("cannot map the coverage profile to lines: {e}");
            return None;
        }
    };
    let mut data = LineData::default();
    for (path, result) in report.files {
        let path = path.to_string_lossy().into_owned();
        if path.contains("/.cargo/registry/")
            || path.contains("/rustc/")
            || path.contains("/rustlib/")
        {
            continue;
        }
        let mut regions: Vec<(usize, usize, u64)> = result
            .hits
            .iter()
            .map(|(loc, n)| (loc.line_start, loc.line_end, *n as u64))
            .collect();
        regions.sort();
        data.files.insert(
            path,
            FileLines {
                lines: line_counts(&regions),
            },
        );
    }
    Some(data)
}

/// The raw profile (`.profraw` bytes), when this build records lines: the same data
/// `llvm-profdata`/`llvm-cov` read, for cross-checks.
pub fn raw_profile() -> Option<Vec<u8>> {
    imp::raw()
}

/// Per-line counts from regions `(line_start, line_end, count)` sorted by start, after
/// llvm-cov's rule (its `LineCoverageStats`): a line's count is the largest count among the regions that start on it
/// and the region it is inside (the innermost one that started before it); a line no region
/// covers is not executable.
#[cfg_attr(not(feature = "line-coverage"), allow(dead_code))]
pub(crate) fn line_counts(regions: &[(usize, usize, u64)]) -> BTreeMap<u32, u64> {
    let mut lines = BTreeMap::new();
    let last = regions.iter().map(|r| r.1).max().unwrap_or(0);
    for line in 1..=last {
        // The innermost region covering the line that started before it: the latest start.
        let wrapped = regions
            .iter()
            .filter(|(s, e, _)| *s < line && *e >= line)
            .max_by_key(|(s, e, _)| (*s, std::cmp::Reverse(*e)))
            .map(|r| r.2);
        let starting = regions
            .iter()
            .filter(|(s, _, _)| *s == line)
            .map(|r| r.2)
            .max();
        let count = match (wrapped, starting) {
            (None, None) => continue,
            (w, s) => w.unwrap_or(0).max(s.unwrap_or(0)),
        };
        lines.insert(line as u32, count);
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn the_profile_goes_to_a_private_folder_under_a_name_no_one_can_guess() {
        use std::os::unix::fs::PermissionsExt;
        let a = super::private_profile_file().unwrap();
        let b = super::private_profile_file().unwrap();
        let dir = a.parent().unwrap();
        assert_ne!(
            dir,
            b.parent().unwrap(),
            "two processes' folders would collide"
        );
        assert_ne!(dir, std::env::temp_dir(), "the shared temporary folder");
        let meta = std::fs::symlink_metadata(dir).unwrap();
        assert!(meta.is_dir() && !meta.file_type().is_symlink());
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o700,
            "{}",
            dir.display()
        );
        assert!(!a.exists());
        for p in [&a, &b] {
            std::fs::remove_dir(p.parent().unwrap()).unwrap();
        }
    }

    #[test]
    fn regions_to_lines() {
        // A function (lines 1-5, run 3 times) with a branch (lines 3-4, run once).
        let lines = super::line_counts(&[(1, 5, 3), (3, 4, 1)]);
        assert_eq!(lines.get(&1), Some(&3));
        assert_eq!(lines.get(&2), Some(&3));
        assert_eq!(lines.get(&3), Some(&3));
        assert_eq!(lines.get(&4), Some(&1));
        assert_eq!(lines.get(&5), Some(&3));
        assert!(super::line_counts(&[]).is_empty());
    }
}
