//! Compares drupe's source-line coverage with `llvm-cov`'s for one profile: the check that the
//! report's line counts are right. Run by `scripts/line-coverage/check.sh`.
//!
//! ```text
//! cargo run --features line-coverage --example line_check -- \
//!     --profile run.profraw --binary target/line-coverage/debug/examples/tour --lcov run.lcov
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
struct Args {
    /// The raw profile (`/_coverage/profile.profraw`).
    #[arg(long)]
    profile: PathBuf,
    /// The instrumented binary it came from.
    #[arg(long)]
    binary: PathBuf,
    /// `llvm-cov export --format=lcov` of the same profile and binary.
    #[arg(long)]
    lcov: PathBuf,
    /// Only files whose path contains this.
    #[arg(long, default_value = "/examples/")]
    only: String,
}

/// `SF:<file>` … `DA:<line>,<count>` … `end_of_record`.
fn read_lcov(text: &str) -> BTreeMap<String, BTreeMap<u32, u64>> {
    let mut out: BTreeMap<String, BTreeMap<u32, u64>> = BTreeMap::new();
    let mut file = None;
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("SF:") {
            file = Some(f.to_owned());
        } else if let Some(da) = line.strip_prefix("DA:") {
            let mut parts = da.split(',');
            let (Some(l), Some(c)) = (parts.next(), parts.next()) else {
                continue;
            };
            if let (Some(f), Ok(l), Ok(c)) = (&file, l.parse(), c.parse()) {
                out.entry(f.clone()).or_default().insert(l, c);
            }
        }
    }
    out
}

fn main() -> ExitCode {
    let a = Args::parse();
    let raw = std::fs::read(&a.profile).expect("the profile");
    let ours = drupe::coverage::lines::from_profile(&raw, std::slice::from_ref(&a.binary))
        .expect("the profile maps to lines");
    let theirs = read_lcov(&std::fs::read_to_string(&a.lcov).expect("the lcov file"));
    let (mut lines, mut mismatches) = (0usize, 0usize);
    for (file, want) in theirs.iter().filter(|(f, _)| f.contains(&a.only)) {
        let got = ours.files.get(file).map(|f| &f.lines);
        for (line, count) in want {
            lines += 1;
            let mine = got.and_then(|g| g.get(line)).copied();
            if mine != Some(*count) {
                mismatches += 1;
                if mismatches <= 20 {
                    eprintln!("{file}:{line}: llvm-cov {count}, drupe {mine:?}");
                }
            }
        }
        if let Some(g) = got {
            for line in g.keys().filter(|l| !want.contains_key(l)) {
                mismatches += 1;
                eprintln!("{file}:{line}: drupe counts a line llvm-cov does not");
            }
        }
    }
    println!("{lines} lines compared, {mismatches} differ");
    if lines > 0 && mismatches == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
