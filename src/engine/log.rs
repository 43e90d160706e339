//! CherryPy's log format through `tracing`: `[dd/Mon/YYYY:HH:MM:SS] ENGINE Bus STARTING`.

use std::fmt;

use time::OffsetDateTime;
use time::macros::format_description;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events as CherryPy does: engine lines as `[date] ENGINE message`, others as
/// `[date] LEVEL target: message` (dates in UTC).
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
        // UTC: the local offset cannot be read soundly once threads run.
        let now = OffsetDateTime::now_utc();
        let date = now
            .format(format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second]"
            ))
            .map_err(|_| fmt::Error)?;
        let meta = event.metadata();
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
