//! Renders a static coverage report from files the recorder wrote (a test run, a manual
//! session...), merged into one: for CI artefacts.
//!
//! ```text
//! cargo run --example coverage_report -- --out target/coverage.html run1.json run2.json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use drupe::coverage::Coverage;

#[derive(Parser)]
#[command(about = "Merges coverage files into one static HTML report")]
struct Args {
    /// Where to write the HTML page.
    #[arg(long, default_value = "coverage.html")]
    out: PathBuf,
    /// Colour percentages below this one.
    #[arg(long, default_value_t = 80.0)]
    threshold: f64,
    /// Also write the merged data as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Files written by the recorder (`[global] coverage.file`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut merged = None;
    for f in &args.files {
        match Coverage::load(f) {
            Ok(d) => match &mut merged {
                None => merged = Some(d),
                Some(m) => m.merge(&d),
            },
            Err(e) => {
                eprintln!("cannot read {}: {e}", f.display());
                return ExitCode::FAILURE;
            }
        }
    }
    let Some(data) = merged else {
        return ExitCode::FAILURE;
    };
    let html = drupe::coverage::render_static(&data, args.threshold);
    if let Err(e) = std::fs::write(&args.out, html) {
        eprintln!("cannot write {}: {e}", args.out.display());
        return ExitCode::FAILURE;
    }
    if let Some(j) = &args.json
        && let Err(e) = std::fs::write(j, serde_json::to_vec_pretty(&data).unwrap_or_default())
    {
        eprintln!("cannot write {}: {e}", j.display());
        return ExitCode::FAILURE;
    }
    let t = data.totals_under("/");
    println!(
        "{}: {:.0}% of (handler, method) pairs, {:.0}% of statuses, {} requests, from {} files",
        args.out.display(),
        // Whole percent rounded down, as the page shows them.
        t.percent().floor(),
        t.outcome_percent().floor(),
        t.hits,
        args.files.len()
    );
    ExitCode::SUCCESS
}
