//! Where the reliability checks leave their numbers: `target/tmp/reliability/<name>.json`,
//! which `scripts/reliability.sh` gathers into `RELIABILITY.md`.

use std::path::PathBuf;

/// The folder of the records.
pub(crate) fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reliability")
}

/// Writes what a check measured.
pub(crate) fn record(name: &str, value: serde_json::Value) {
    let d = dir();
    std::fs::create_dir_all(&d).expect("the records folder");
    let text = serde_json::to_string_pretty(&value).expect("a JSON record");
    std::fs::write(d.join(format!("{name}.json")), text).expect("write the record");
}

/// Records how a hole a review found is closed now: what was tried, what it got (measured by
/// the test that proves it). `RELIABILITY.md` lists them in a table.
pub(crate) fn hole(name: &str, tried: &str, got: &str) {
    record(
        &format!("hole_{name}"),
        serde_json::json!({"tried": tried, "got": got}),
    );
}
