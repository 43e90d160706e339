//! From the segments of a request path to a file under a directory, safely.
//!
//! This module owns the one rule that keeps static files from serving what is not theirs:
//! every segment is decoded on its own and refused when it could name anything but a child
//! entry on some operating system — `.` and `..`, a decoded `/` or `\`, NUL and other control
//! characters, a drive or stream (`:`), the names Windows reserves (`CON`, `NUL`, `COM1`...,
//! with any extension), a trailing dot or space (Windows drops them), a hidden entry
//! (`.git`) unless shown — and the file found is then required, after the operating system
//! resolved its symlinks, to lie inside the directory (unless symlinks may leave it). CherryPy
//! compared strings after joining (`/static/..%2Fstatic-private/x` got through); here nothing
//! outside is ever opened.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Why a path was refused (each is a 404 to the client: nothing says what exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A segment no directory entry may have on some system, or an escape that is not one.
    Unsafe,
    /// A hidden entry (`.name`) and `show_hidden` is off.
    Hidden,
    /// The file resolves outside the directory (a symlink leaving it).
    Outside,
}

/// The names Windows reserves for devices, whatever the extension (`nul.txt` opens `NUL`).
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// One decoded segment, checked. `%2e%2e` is `..` here and refused like it.
pub(crate) fn segment(raw: &str, show_hidden: bool) -> Result<Cow<'_, str>, Refused> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refused::Unsafe)?;
    let s: &str = &decoded;
    if s.is_empty() || s == "." || s == ".." {
        return Err(Refused::Unsafe);
    }
    if s.chars().any(|c| {
        c.is_control() || matches!(c, '/' | '\\' | ':' | '<' | '>' | '"' | '|' | '?' | '*')
    }) {
        return Err(Refused::Unsafe);
    }
    if s.ends_with('.') || s.ends_with(' ') {
        return Err(Refused::Unsafe);
    }
    let stem = s.split('.').next().unwrap_or(s).trim_end_matches(' ');
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Err(Refused::Unsafe);
    }
    if s.starts_with('.') && !show_hidden {
        return Err(Refused::Hidden);
    }
    Ok(decoded)
}

/// The path under `dir` that the raw segments name (`dir` itself for none), each checked.
pub(crate) fn join<'s>(
    dir: &Path,
    segments: impl Iterator<Item = &'s str>,
    show_hidden: bool,
) -> Result<PathBuf, Refused> {
    let mut path = dir.to_path_buf();
    for raw in segments {
        path.push(&*segment(raw, show_hidden)?);
    }
    Ok(path)
}

/// Checks that `path` (under the canonical `dir`) resolves inside it once the operating system
/// has followed its symlinks, and returns what to open: the resolved path, so that what was
/// checked is what is opened. With `follow_symlinks`, links may lead anywhere (the segments
/// were still checked). An entry that does not exist is an I/O error (`NotFound`).
pub(crate) fn contain(
    dir: &Path,
    path: PathBuf,
    follow_symlinks: bool,
) -> std::io::Result<Result<PathBuf, Refused>> {
    if follow_symlinks {
        return Ok(Ok(path));
    }
    let real = std::fs::canonicalize(&path)?;
    // Component-wise: `/srv/static-private` does not start with `/srv/static`.
    Ok(if real.starts_with(dir) {
        Ok(real)
    } else {
        Err(Refused::Outside)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_separators_are_refused() {
        for raw in [
            "..",
            "%2e%2e",
            "%2E.",
            ".",
            "%2e",
            "",
            "a%2fb",
            "a%2Fb",
            "a%5cb",
            "a\\b",
            "%00",
            "a%00b",
            "%0a",
            "%ff",
            "C:",
            "c%3a",
            "file.txt::$DATA",
            "a:b",
            "\\\\?\\C:",
            "a<b",
            "a|b",
            "a*",
            "a?",
            "x.",
            "x ",
            "x%20",
        ] {
            assert_eq!(segment(raw, true), Err(Refused::Unsafe), "{raw:?}");
        }
    }

    #[test]
    fn windows_device_names_are_refused_with_any_extension_or_case() {
        for raw in [
            "CON",
            "con",
            "nul.txt",
            "Aux.tar.gz",
            "com1",
            "LPT9.log",
            "prn",
            "conin$",
            "nul .txt",
            "COM%C2%B9",
        ] {
            assert_eq!(segment(raw, true), Err(Refused::Unsafe), "{raw:?}");
        }
        for raw in ["console.txt", "nully", "com10", "lpt", "auxiliary.css"] {
            assert!(segment(raw, true).is_ok(), "{raw:?}");
        }
    }

    #[test]
    fn hidden_entries_need_show_hidden() {
        assert_eq!(segment(".git", false), Err(Refused::Hidden));
        assert_eq!(segment("%2Egit", false), Err(Refused::Hidden));
        assert_eq!(segment(".git", true).unwrap(), ".git");
        assert_eq!(segment("a.b", false).unwrap(), "a.b");
    }

    #[test]
    fn segments_decode_once() {
        assert_eq!(
            segment("hello%20world.txt", false).unwrap(),
            "hello world.txt"
        );
        assert_eq!(segment("%252e%252e", false).unwrap(), "%2e%2e");
        assert_eq!(segment("caf%C3%A9", false).unwrap(), "café");
    }

    #[test]
    fn join_stays_under_the_directory() {
        let dir = Path::new("/srv/static");
        let p = join(dir, ["css", "site.css"].into_iter(), false).unwrap();
        assert_eq!(p, Path::new("/srv/static/css/site.css"));
        assert!(join(dir, ["css", "..", "x"].into_iter(), false).is_err());
        assert!(join(dir, ["%2fetc", "passwd"].into_iter(), false).is_err());
    }

    #[test]
    fn a_link_leaving_the_directory_is_refused_unless_followed() {
        let root = tempfile::tempdir().unwrap();
        let inside = root.path().join("static");
        std::fs::create_dir(&inside).unwrap();
        std::fs::write(root.path().join("secret"), "s").unwrap();
        std::fs::write(inside.join("a.txt"), "a").unwrap();
        let dir = std::fs::canonicalize(&inside).unwrap();
        let ok = contain(&dir, dir.join("a.txt"), false).unwrap();
        assert_eq!(ok, Ok(dir.join("a.txt")));
        let missing = contain(&dir, dir.join("nope"), false).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.path().join("secret"), inside.join("out")).unwrap();
            std::os::unix::fs::symlink(inside.join("a.txt"), inside.join("in")).unwrap();
            let out = contain(&dir, dir.join("out"), false).unwrap();
            assert_eq!(out, Err(Refused::Outside));
            assert!(contain(&dir, dir.join("out"), true).unwrap().is_ok());
            assert_eq!(
                contain(&dir, dir.join("in"), false).unwrap(),
                Ok(dir.join("a.txt"))
            );
        }
    }
}
