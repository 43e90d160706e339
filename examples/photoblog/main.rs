//! A photoblog on drupe: REST services, HTML pages from `templates/photoblog/`, Atom feeds,
//! uploads, SQLite by default (PostgreSQL on request), the output cache, and the coverage
//! report at `/_coverage/`.
//!
//! ```text
//! cargo run --example photoblog                  # http://127.0.0.1:8080/
//! cargo run --example photoblog -- --database postgres://localhost/photoblog --cache redis://127.0.0.1/
//! ```

use std::net::IpAddr;
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
    /// A proxy whose Forwarded/X-Forwarded-For headers are trusted: an IP address or a CIDR
    /// block (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`). Repeat it for several.
    #[arg(long = "trusted-proxy", value_name = "ADDR", value_parser = address_or_block)]
    trusted_proxies: Vec<String>,
}

/// `ADDR` or `ADDR/PREFIX`, an IPv4 or IPv6 address and a prefix length that fits it.
fn address_or_block(s: &str) -> Result<String, String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (s, None),
    };
    let bits = match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => 32,
        Ok(IpAddr::V6(_)) => 128,
        Err(_) => return Err(format!("`{s}` is not an IP address or CIDR block")),
    };
    match prefix.map(str::parse::<u8>) {
        None => Ok(s.to_owned()),
        Some(Ok(n)) if n <= bits => Ok(s.to_owned()),
        Some(_) => Err(format!(
            "`{s}` is not an IP address or CIDR block: the prefix is 0 to {bits}"
        )),
    }
}

impl Args {
    fn settings(&self) -> app::Settings {
        app::Settings {
            database: self.database.clone(),
            cache: self.cache.clone(),
            cache_bytes: self.cache_mb << 20,
            data_dir: self.data_dir.clone(),
            seed: !self.no_seed,
            max_upload: self.max_upload_mb << 20,
            max_pixels: u64::from(self.max_megapixels) * 1_000_000,
            coverage: !self.no_coverage,
            coverage_file: self.coverage_file.clone(),
            workers: self.workers,
            access_log: !self.no_access_log,
            sweep_grace: Duration::from_secs(self.sweep_grace),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

fn main() -> ExitCode {
    drupe::engine::init_logging();
    let args = Args::parse();
    let settings = args.settings();
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

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::Parser;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(["photoblog"].iter().chain(args))
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks_and_repeatable() {
        assert!(parse(&[]).unwrap().settings().trusted_proxies.is_empty());
        let args = parse(&[
            "--trusted-proxy",
            "10.0.0.7",
            "--trusted-proxy",
            "192.168.0.0/16",
            "--trusted-proxy",
            "::1",
            "--trusted-proxy",
            "fd00::/8",
        ])
        .unwrap();
        assert_eq!(
            args.settings().trusted_proxies,
            ["10.0.0.7", "192.168.0.0/16", "::1", "fd00::/8"]
        );
        for bad in [
            "proxy.example",
            "10.0.0.256",
            "10.0.0.0/33",
            "10.0.0.0/",
            "/8",
            "::1/129",
            "10.0.0.0/8/8",
            "",
        ] {
            let e = parse(&["--trusted-proxy", bad]).err();
            assert!(
                e.as_ref()
                    .is_some_and(|e| e.to_string().contains("IP address or CIDR block")),
                "{bad:?}: {e:?}"
            );
        }
    }
}
