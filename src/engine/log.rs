//! CherryPy's log format through `tracing`: `[dd/Mon/YYYY:HH:MM:SS] ENGINE Bus STARTING`,
//! and the access log: one line per request in CherryPy's (the Combined Log Format's) shape,
//! written by actix-web's `Logger` and carried into `tracing` by the subscriber's `log` bridge;
//! and the engine's own lines (`engine_log!`), which `engine.quiet` keeps to warnings and errors.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::middleware::{Condition, Logger};
use time::OffsetDateTime;
use time::macros::format_description;
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::http::client::TrustedProxies;

/// The `tracing` target of access lines.
pub const ACCESS_TARGET: &str = "drupe::access";

/// The access line, CherryPy's shape (the Combined Log Format): peer address, `-` for the
/// identity and the user (drupe never logs credentials), the date, the request line, the
/// status, the body's size, `Referer` and `User-Agent`. Request bodies and `Authorization`
/// never appear; the request line does, query string included, as in CherryPy.
pub const ACCESS_LOG_FORMAT: &str =
    r#"%a - - [%{drupe_date}xi] "%r" %s %b "%{Referer}i" "%{User-Agent}i""#;

/// [`ACCESS_LOG_FORMAT`] behind trusted proxies (`server.trusted_proxies`): the client's
/// address as drupe reads the forwarded chain (the rightmost address that is not a trusted
/// proxy) instead of the proxy's.
const ACCESS_LOG_FORMAT_PROXIED: &str =
    r#"%{drupe_client}xi - - [%{drupe_date}xi] "%r" %s %b "%{Referer}i" "%{User-Agent}i""#;

/// actix-web's `Logger` writing [`ACCESS_LOG_FORMAT`] lines to the [`ACCESS_TARGET`] target.
/// The engine's server and [`TestServer`](crate::testing::TestServer) wrap an application in
/// it when `[global] server.access_log = true`; an application served by hand can wrap itself:
///
/// ```
/// # use drupe::{App, controller};
/// # struct Root;
/// # #[controller] impl Root { #[expose] fn index(&self) -> &'static str { "api" } }
/// let api = App::new(Root).unwrap();
/// let _actix = actix_web::App::new()
///     .wrap(drupe::engine::access_logger())
///     .configure(api.configure());
/// ```
pub fn access_logger() -> Logger {
    logger(ACCESS_LOG_FORMAT)
}

fn logger(format: &str) -> Logger {
    Logger::new(format)
        .log_target(ACCESS_TARGET)
        .custom_request_replace("drupe_date", |_| clf_date(OffsetDateTime::now_utc()))
}

/// The access log as the settings ask: on when `[global] server.access_log = true` (default:
/// off), with the forwarded client's address when the request came through one of
/// `server.trusted_proxies` (as the application parsed them when it was built).
pub(crate) fn configured_access_log(on: bool, proxies: TrustedProxies) -> Condition<Logger> {
    let logger = if proxies.is_empty() {
        logger(ACCESS_LOG_FORMAT)
    } else {
        logger(ACCESS_LOG_FORMAT_PROXIED).custom_request_replace("drupe_client", move |req| {
            proxies
                .client_ip(req.request())
                .map_or_else(|| "-".to_owned(), |ip| ip.to_string())
        })
    };
    Condition::new(on, logger)
}

/// CherryPy's date: `23/Nov/2026:18:11:15` (UTC).
fn clf_date(t: OffsetDateTime) -> String {
    t.format(format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second]"
    ))
    .unwrap_or_default()
}

/// Formats events as CherryPy does: engine lines as `[date] ENGINE message`, access lines as
/// they are (they carry their date), others as `[date] LEVEL target: message` (dates in UTC).
/// Events from the `log` crate (actix-web's) are shown with their own target and level.
#[derive(Debug, Default, Clone, Copy)]
pub struct EngineFormat;

impl<S, N> FormatEvent<S, N> for EngineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        if meta.target() == ACCESS_TARGET {
            ctx.field_format().format_fields(writer.by_ref(), event)?;
            return writeln!(writer);
        }
        // UTC: the local offset cannot be read soundly once threads run.
        let date = clf_date(OffsetDateTime::now_utc());
        if meta.target() == "ENGINE" {
            write!(writer, "[{date}] ENGINE ")?;
        } else {
            write!(writer, "[{date}] {} {}: ", meta.level(), meta.target())?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Installs a subscriber writing CherryPy-format lines to stderr, filtered by `RUST_LOG`
/// (default `info`, actix-server's own lines from `warn`). Does nothing if a subscriber is already installed.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(EngineFormat)
        .try_init();
}

/// Logs an engine line (`ENGINE <msg>` in CherryPy's format).
macro_rules! engine_log {
    (info, $($arg:tt)*) => {
        if !$crate::engine::quiet() {
            tracing::info!(target: "ENGINE", $($arg)*)
        }
    };
    (debug, $($arg:tt)*) => {
        if !$crate::engine::quiet() {
            tracing::debug!(target: "ENGINE", $($arg)*)
        }
    };
    ($lvl:ident, $($arg:tt)*) => {
        tracing::$lvl!(target: "ENGINE", $($arg)*)
    };
}
pub(crate) use engine_log;

/// `engine.quiet` of the application being served: the engine's own lines below warnings are
/// left out. A property of the process, as its log is.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Whether the engine logs warnings and errors only.
pub(crate) fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Makes the engine log warnings and errors only (`engine.quiet`, the `test` environment's),
/// or everything again. `Server::serve` sets it from the served application's settings.
///
/// ```
/// drupe::engine::set_quiet(true);
/// drupe::engine::set_quiet(false);
/// ```
pub fn set_quiet(on: bool) {
    QUIET.store(on, Ordering::Relaxed);
}

/// What a subscriber wrote, for the engine's tests that read its lines.
#[cfg(test)]
#[derive(Clone, Default)]
pub(super) struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl Captured {
    /// Everything written so far.
    pub(super) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

#[cfg(test)]
impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[cfg(test)]
mod tests {

    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    use actix_web::web;

    use super::*;

    /// Through the global subscriber and the `log` bridge, as a served application logs: off
    /// by default, the peer's address, and the forwarded client's only from a trusted proxy
    /// (the rightmost address it forwards that is not itself trusted).
    #[actix_web::test]
    async fn access_lines_follow_the_configuration() {
        let out = Captured::default();
        tracing_subscriber::fmt()
            .with_writer(out.clone())
            .event_format(EngineFormat)
            .try_init()
            .expect("the only global subscriber of this test binary");
        for (access_log, proxies, path) in [
            (false, vec![], "/off"),
            (true, vec![], "/peer"),
            (true, vec!["10.0.0.1"], "/proxied"),
            (true, vec!["10.9.9.9"], "/untrusted"),
        ] {
            let proxies = TrustedProxies::parse(&proxies).unwrap();
            let app = init_service(
                actix_web::App::new()
                    .wrap(configured_access_log(access_log, proxies))
                    .default_service(web::to(|| async { "ok" })),
            )
            .await;
            let req = TestRequest::get()
                .uri(&format!("{path}?q=1"))
                .peer_addr("10.0.0.1:5000".parse().unwrap())
                .insert_header(("x-forwarded-for", "127.0.0.1, 203.0.113.9"))
                .insert_header(("user-agent", "agent/1"))
                .insert_header(("authorization", "Bearer SECRET"))
                .to_request();
            assert_eq!(read_body(call_service(&app, req).await).await, "ok");
        }
        let text = out.text();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(" - - [")).collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("10.0.0.1 - - ["), "{}", lines[0]);
        assert!(
            lines[0].ends_with(r#"] "GET /peer?q=1 HTTP/1.1" 200 2 "-" "agent/1""#),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("203.0.113.9 - - ["), "{}", lines[1]);
        assert!(
            lines[1].contains(r#""GET /proxied?q=1 HTTP/1.1""#),
            "{}",
            lines[1]
        );
        // A peer that is not a trusted proxy is logged as itself, whatever it forwards.
        assert!(lines[2].starts_with("10.0.0.1 - - ["), "{}", lines[2]);
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn dates_are_cherrypys() {
        let t = time::macros::datetime!(2026-11-03 08:05:09 UTC);
        assert_eq!(clf_date(t), "03/Nov/2026:08:05:09");
    }
}
