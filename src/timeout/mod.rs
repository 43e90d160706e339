//! Request timeouts: the `timeout` tool (CherryPy's `TimeoutMonitor`, done so it interrupts).
//!
//! This module owns the deadline of a subtree's handlers: with `tools.timeout.seconds = 1`, a
//! handler still running a second after it was called is cancelled at its next await point
//! and the client gets `503 Service Unavailable` with `Retry-After` and `Cache-Control:
//! no-store` (so no cache keeps it); the log says which path ran out of time. 503, not 504:
//! drupe is the origin server, and 504 tells a client that a *gateway* timed out waiting for
//! the server behind it — `status = 504` says that instead for an application that is a
//! gateway to a slower service. The coverage report counts the 503 like any answer.
//!
//! A future is cancelled by being dropped; code running on a thread of its own (a blocking
//! call) cannot be. [`block`] runs such code on the blocking threads, as `web::block` does, and
//! when its request was answered without it, drops its answer and says so in the log.
//!
//! The deadline is set by the tool's before-hook and kept by the pipeline around the handler
//! call (body reading included): tools answer within their own bounds.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use serde::Deserialize;

use crate::HttpError;
use crate::tools::{Before, Deadline, Exchange, Placement, Tool};

/// The `timeout` tool (off until `tools.timeout.on`).
///
/// ```
/// use drupe::{App, controller};
/// struct Root;
/// #[controller]
/// impl Root {
///     #[expose]
///     async fn slow(&self, ms: u64) -> String {
///         actix_web::rt::time::sleep(std::time::Duration::from_millis(ms)).await;
///         format!("slept {ms} ms")
///     }
/// }
/// let app = App::builder(Root)
///     .set("/slow", "tools.timeout.on", true)
///     .set("/slow", "tools.timeout.seconds", 1.0)
///     .build()
///     .unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeout;

/// The settings of `tools.timeout` at a path.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutConfig {
    /// The handler's deadline, in seconds (required where the tool is on).
    pub seconds: Option<f64>,
    /// The status of a timed-out answer: 503 (the default) or 504.
    pub status: u16,
    /// `Retry-After` in seconds (unset: the deadline, rounded up).
    pub retry_after: Option<u32>,
    #[serde(skip)]
    after: Duration,
}

impl Default for TimeoutConfig {
    fn default() -> Self {
        Self {
            seconds: None,
            status: 503,
            retry_after: None,
            after: Duration::ZERO,
        }
    }
}

impl Tool for Timeout {
    type Config = TimeoutConfig;
    const NAME: &'static str = "timeout";

    /// First among the tools that may wait: its before-hook only sets the deadline.
    fn priority(&self) -> i32 {
        1
    }

    fn prepare(
        &self,
        cfg: &mut TimeoutConfig,
        at: &Placement<'_>,
    ) -> Result<(), crate::ConfigError> {
        if !matches!(cfg.status, 503 | 504) {
            return Err(at.error("status", "a timed-out answer is a 503 or a 504"));
        }
        match cfg.seconds {
            Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => {
                cfg.after = Duration::from_secs_f64(s);
            }
            Some(_) => return Err(at.error("seconds", "a deadline is above 0 and at most a day")),
            None if at.is_on() => {
                return Err(at.error("seconds", "the deadline is not set"));
            }
            None => {}
        }
        Ok(())
    }

    fn before_handler<'a>(&'a self, cfg: &'a TimeoutConfig, ex: &'a Exchange) -> Before<'a> {
        if ex.handler().is_some() {
            let secs = cfg.after.as_secs() + u64::from(cfg.after.subsec_nanos() > 0);
            let retry = cfg
                .retry_after
                .unwrap_or_else(|| u32::try_from(secs).unwrap_or(u32::MAX));
            let status =
                StatusCode::from_u16(cfg.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            ex.set_deadline(Deadline::new(cfg.after, status, retry));
        }
        Before::Continue
    }

    fn responses(&self, cfg: &TimeoutConfig, _: &str) -> Vec<(u16, &'static str)> {
        let why =
            "The handler ran past its deadline (tools.timeout.seconds); retry after Retry-After.";
        vec![(cfg.status, why)]
    }
}

/// Runs `f` on the blocking threads (as `actix_web::web::block` does) and returns its value.
/// A request answered without it (its deadline passed, its client left) cannot stop it: when
/// it ends, its value is dropped and the log says so, with how long it ran.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// let n = drupe::timeout::block(|| (1..=10u64).product::<u64>()).await.unwrap();
/// assert_eq!(n, 3_628_800);
/// # });
/// ```
pub async fn block<F, R>(f: F) -> Result<R, HttpError>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let started = Instant::now();
    // The request's log subscriber goes with the call to its thread.
    let log = tracing::dispatcher::get_default(Clone::clone);
    // Detached: the thread runs to its end whether or not anyone waits for it.
    drop(actix_web::rt::task::spawn_blocking(move || {
        let value = f();
        if tx.send(value).is_err() {
            let _g = tracing::dispatcher::set_default(&log);
            tracing::warn!(
                ran_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "a blocking call ended after its request was answered without it (its deadline \
                 passed or its client left): its answer was dropped"
            );
        }
    }));
    rx.await
        .map_err(|_| HttpError::internal("a blocking call panicked"))
}
