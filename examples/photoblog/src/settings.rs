//! The photoblog's settings: one struct, read from the command line by clap, with one set of
//! defaults (clap's) that `Settings::default()` gives too, so the tests start from what
//! `cargo run` does and change only what they need.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser};

/// Where the photoblog listens, where it keeps things, and its limits.
#[derive(Debug, Clone, Parser)]
#[command(name = "photoblog", about = "A photoblog on drupe")]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// `sqlite:PATH` (created with its folder), `sqlite::memory:`, or `postgres://…`.
    #[arg(long, default_value = "sqlite:data/photoblog.db")]
    pub database: String,
    /// `memory` (in-process), `redis://…` for a cache shared by several instances, or `off`.
    #[arg(long, default_value = "memory")]
    pub cache: String,
    /// Where the sessions of the signed-in owner are kept: `memory` (in-process) or
    /// `redis://…`, shared by several instances behind a load balancer (the cache's Redis
    /// will do: their keys do not meet).
    #[arg(long, default_value = "memory")]
    pub sessions: String,
    /// The in-process cache's bound (given in MiB, kept in bytes).
    #[arg(long = "cache-mb", value_name = "MiB", default_value = "64", value_parser = mebibytes,
        help = "The in-process cache's bound, in MiB")]
    pub cache_bytes: u64,
    /// Where uploaded photos are kept.
    #[arg(long, default_value = "data/photos")]
    pub data_dir: PathBuf,
    /// Whether a first run creates the demo content (`--no-seed`: it does not).
    #[arg(long = "no-seed", action = ArgAction::SetFalse,
        help = "Do not create the demo content on a first run")]
    pub seed: bool,
    /// The largest upload (given in MiB, kept in bytes).
    #[arg(long = "max-upload-mb", value_name = "MiB", default_value = "10", value_parser = mebibytes,
        help = "The largest upload, in MiB")]
    pub max_upload: u64,
    /// The largest picture accepted (given in megapixels, kept in pixels: width × height);
    /// larger ones are refused from their header (413) before they are decoded. A decoded
    /// pixel takes up to 8 bytes, and one picture per core is decoded at a time.
    #[arg(long = "max-megapixels", value_name = "MP", default_value = "40", value_parser = megapixels,
        help = "The largest picture accepted, in megapixels (width × height); larger ones are \
                refused from their header (413) before they are decoded. A decoded pixel takes \
                up to 8 bytes, and one picture per core is decoded at a time")]
    pub max_pixels: u64,
    /// Whether the coverage recorder counts requests (`--no-coverage`: it does not); its
    /// report is at `/_coverage/`.
    #[arg(long = "no-coverage", action = ArgAction::SetFalse,
        help = "Do not count requests for the coverage report")]
    pub coverage: bool,
    /// Write the coverage data here when the server stops.
    #[arg(long)]
    pub coverage_file: Option<PathBuf>,
    /// Server workers (default: one per CPU).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Whether each request is logged, CherryPy's access line on stderr (`--no-access-log`:
    /// it is not).
    #[arg(long = "no-access-log", action = ArgAction::SetFalse,
        help = "Do not log each request (the access log, on stderr)")]
    pub access_log: bool,
    /// At start-up, photo files left by interrupted uploads are removed once they are this
    /// old (given in seconds); younger ones may be uploads in flight on another instance
    /// sharing the folder. 0 when no other instance does.
    #[arg(long = "sweep-grace", value_name = "SECONDS", default_value = "3600", value_parser = seconds,
        help = "At start-up, photo files left by interrupted uploads are removed once they are \
                this many seconds old; younger ones may be uploads in flight on another \
                instance sharing the folder. 0 when no other instance does")]
    pub sweep_grace: Duration,
    /// How often the photo folder is swept again while serving (given in seconds; 0: only at
    /// start-up).
    #[arg(long = "sweep-every", value_name = "SECONDS", default_value = "600", value_parser = seconds,
        help = "How often, in seconds, the photo folder is swept again while serving (on the \
                engine's `Upload sweep` monitor); 0 sweeps at start-up only")]
    pub sweep_every: Duration,
    /// The password of the owner, the user `admin` (created when missing, its password
    /// replaced when present). Without it, a first run makes one up and prints it once.
    #[arg(
        long = "admin-password",
        env = "PHOTOBLOG_ADMIN_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub admin_password: Option<Secret>,
    /// A proxy whose Forwarded/X-Forwarded-For headers are trusted: an IP address or a CIDR
    /// block (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`). Repeat it for several.
    #[arg(long = "trusted-proxy", value_name = "ADDR", value_parser = address_or_block)]
    pub trusted_proxies: Vec<String>,
    /// A drupe configuration file (TOML, a section per path as the guide shows) merged over
    /// the photoblog's own settings: any tool's key, such as a stricter budget of failed
    /// sign-ins (`[ "/" ]` then `tools.rate_limit.failures = { rate = 3, per = "minute" }`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with this PEM certificate chain; needs
    /// --tls-key. SIGHUP reads both files again, without closing a connection.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// A file to write the process id to while serving (removed at exit); a start is refused
    /// while it names a live process.
    #[arg(long, value_name = "PATH")]
    pub pidfile: Option<PathBuf>,
}

impl Default for Settings {
    /// The settings of a run without arguments.
    fn default() -> Self {
        Self::parse_from(["photoblog"])
    }
}

/// A number of MiB, in bytes.
fn mebibytes(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .parse()
        .map_err(|e| format!("`{s}` is not a number of MiB: {e}"))?;
    n.checked_mul(1 << 20)
        .ok_or_else(|| format!("{n} MiB is more bytes than this machine counts"))
}

/// A number of megapixels, in pixels.
fn megapixels(s: &str) -> Result<u64, String> {
    let n: u32 = s
        .parse()
        .map_err(|e| format!("`{s}` is not a number of megapixels: {e}"))?;
    Ok(u64::from(n) * 1_000_000)
}

/// A number of seconds.
fn seconds(s: &str) -> Result<Duration, String> {
    let n: u64 = s
        .parse()
        .map_err(|e| format!("`{s}` is not a number of seconds: {e}"))?;
    Ok(Duration::from_secs(n))
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

/// A password from the command line or the environment: shown as `***` by `Debug`, so the
/// settings can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            Err("the password is empty".to_owned())
        } else {
            Ok(Self(s.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::Settings;

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        Settings::try_parse_from(["photoblog"].iter().chain(args))
    }

    #[test]
    fn defaults_and_units() {
        let s = Settings::default();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.database, "sqlite:data/photoblog.db");
        assert_eq!(
            (s.cache.as_str(), s.sessions.as_str()),
            ("memory", "memory")
        );
        assert_eq!((s.cache_bytes, s.max_upload), (64 << 20, 10 << 20));
        assert_eq!(s.max_pixels, 40_000_000);
        assert_eq!(s.sweep_grace, Duration::from_secs(3600));
        assert!(s.seed && s.coverage && s.access_log);
        let s = parse(&[
            "--no-seed",
            "--no-coverage",
            "--no-access-log",
            "--max-upload-mb",
            "2",
            "--sweep-grace",
            "0",
        ])
        .unwrap();
        assert!(!s.seed && !s.coverage && !s.access_log);
        assert_eq!(s.max_upload, 2 << 20);
        assert_eq!(s.sweep_grace, Duration::ZERO);
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks_and_repeatable() {
        assert!(parse(&[]).unwrap().trusted_proxies.is_empty());
        let s = parse(&[
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
            s.trusted_proxies,
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
