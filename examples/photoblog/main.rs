//! A photoblog on drupe: REST services, HTML pages from `templates/photoblog/`, Atom feeds,
//! uploads, SQLite by default (PostgreSQL on request), the output cache, and the coverage
//! report at `/_coverage/`.
//!
//! ```text
//! cargo run --example photoblog                  # http://127.0.0.1:8080/
//! cargo run --example photoblog -- --database postgres://localhost/photoblog --cache redis://127.0.0.1/
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

mod app;

#[derive(Parser)]
#[command(about = "A photoblog on drupe")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// `sqlite:PATH` (created with its folder), `sqlite::memory:`, or `postgres://…`.
    #[arg(long, default_value = "sqlite:data/photoblog.db")]
    database: String,
    /// `memory` (in-process), `redis://…` for a cache shared by several instances, or `off`.
    #[arg(long, default_value = "memory")]
    cache: String,
    /// The in-process cache's bound, in MiB.
    #[arg(long, default_value_t = 64)]
    cache_mb: u64,
    /// Where uploaded photos are kept.
    #[arg(long, default_value = "data/photos")]
    data_dir: PathBuf,
    /// Do not create the demo content on a first run.
    #[arg(long)]
    no_seed: bool,
    /// The largest upload, in MiB.
    #[arg(long, default_value_t = 10)]
    max_upload_mb: usize,
    /// The largest picture accepted, in megapixels (width × height); larger ones are refused
    /// from their header (413) before they are decoded. A decoded pixel takes up to 8 bytes,
    /// and one picture per core is decoded at a time.
    #[arg(long, default_value_t = 40)]
    max_megapixels: u32,
    /// Do not count requests for the coverage report.
    #[arg(long)]
    no_coverage: bool,
    /// Write the coverage data here when the server stops.
    #[arg(long)]
    coverage_file: Option<PathBuf>,
    /// Server workers (default: one per CPU).
    #[arg(long)]
    workers: Option<usize>,
    /// Do not log each request (the access log, on stderr).
    #[arg(long)]
    no_access_log: bool,
    /// At start-up, photo files left by interrupted uploads are removed once they are this many
    /// seconds old; younger ones may be uploads in flight on another instance sharing the
    /// folder. 0 when no other instance does.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    sweep_grace: u64,
}

fn main() -> ExitCode {
    drupe::engine::init_logging();
    let args = Args::parse();
    let settings = app::Settings {
        database: args.database,
        cache: args.cache,
        cache_bytes: args.cache_mb << 20,
        data_dir: args.data_dir,
        seed: !args.no_seed,
        max_upload: args.max_upload_mb << 20,
        max_pixels: u64::from(args.max_megapixels) * 1_000_000,
        coverage: !args.no_coverage,
        coverage_file: args.coverage_file,
        workers: args.workers,
        access_log: !args.no_access_log,
        sweep_grace: Duration::from_secs(args.sweep_grace),
    };
    // The database and the seed need a runtime; the server builds its own.
    let built = actix_web::rt::System::new().block_on(app::build(&settings));
    match built {
        Ok(app) => app.serve(&args.bind),
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::from(70)
        }
    }
}
