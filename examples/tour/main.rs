//! A runnable tour of drupe's dispatchers: every rule of the default dispatcher on one tree.
//!
//! ```text
//! cargo run --example tour -- --bind 127.0.0.1:8080
//! cargo run --example tour -- --bind 127.0.0.1:8443 --tls-cert cert.pem --tls-key key.pem
//! ```
//!
//! | path | answer |
//! |---|---|
//! | `/`, `/?name=bob` | `hello world`, `hello bob` |
//! | `/a/b` (anything unknown) | `["a","b"]` from the root's `default` |
//! | `/translate.html`, `/translate-html` | `OK` |
//! | `/blog/` | `blog index` (`/blog` redirects to it) |
//! | `/blog/secret` | 404: a private method |
//! | `/blog/post/2024/hello-world` | `{"year":2024,"slug":"hello-world"}` |
//! | `/blog/search?q=rust&page=2` (or a POSTed form) | `{"q":"rust","page":2}` |
//! | `/archive/2024/05/` | `{"year":2024,"month":5}` through a dispatch hook |
//! | `/static/`, `/static/hello.txt`, `/static/lorem.txt` | the files of `examples/tour/static/` (`tools.staticdir`) |
//! | `/session/counter` | `{"count":1}`, then 2, 3... for the same session cookie (`tools.sessions`) |
//! | `/users/1` | `ETag` and `Last-Modified`; `If-None-Match` → 304; `PUT`/`DELETE` with a stale `If-Match` → 412 (`tools.etags`) |
//! | `/old-blog/`, `/old-blog/post/2024/x` | 301 to `/blog/`, `/blog/post/2024/x` |
//! | `/home` | what `/` answers, 200 (an internal redirect) |
//! | `/blog/secret` from a browser | `templates/tour/404.html` (`error_page.404`) |
//! | `/slow?ms=200`, `/slow?ms=3000` | `slept 200 ms`; 503 with `Retry-After` after 1 s (`tools.timeout`) |
//! | `/slow?ms=3000&blocking=true` | 503 after 1 s; the blocking sleep ends, its answer dropped and logged |
//! | `/users/`, `/users/1` from `https://app.example` | CORS headers for that origin, preflights answered (`tools.cors`); another origin gets none |

use clap::Parser;

mod tree;

#[derive(Parser)]
#[command(about = "A tour of drupe's dispatchers")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Serve HTTPS (HTTP/2 or HTTP/1.1 by ALPN) with this PEM certificate chain; needs
    /// --tls-key. SIGHUP reads both files again.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// A file to write the process id to while serving (removed at exit); a start is refused
    /// while it names a live process.
    #[arg(long, value_name = "PATH")]
    pidfile: Option<std::path::PathBuf>,
}

fn main() -> std::process::ExitCode {
    drupe::engine::init_logging();
    let args = Args::parse();
    let mut server = drupe::engine::Server::new().mount("/", tree::app());
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        server = server.tls(cert, key);
    }
    if let Some(path) = args.pidfile {
        server = server.pidfile(path);
    }
    server.serve(&args.bind)
}
