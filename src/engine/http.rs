//! One actix-web server over a drupe listener, on a thread of its own: what the engine's
//! [`ServerPlugin`](super::ServerPlugin) runs, and [`TestServer`](crate::testing::TestServer)
//! too, so tests exercise the same sockets, connection tracking and stop.
//!
//! [`serve`] takes a bound [`Listener`] (drupe's socket options, the busy-port diagnosis and
//! systemd's sockets all apply) and returns once the server accepts. [`Served::shutdown`]
//! drains within drupe's own deadline, the shutdown timeout to the millisecond: it stops
//! accepting, closes idle keep-alive connections, and waits for requests in flight, and for
//! connections accepted just before whose first request is on its way. Requests still running
//! at the deadline are abandoned: actix-web is stopped by force, which does not wait for a
//! worker thread, and the caller learns how many were running. A handler stuck on the CPU so
//! cannot keep a stop, or the process, waiting.

use std::io;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;

use super::ConnectionTimeouts;
use super::site::Site;
use crate::net::{Connections, Listener};

/// rustls's server configuration, or a stand-in type when drupe is built without TLS.
#[cfg(feature = "tls")]
pub(crate) use rustls as rustls_config;
#[cfg(not(feature = "tls"))]
pub(crate) mod rustls_config {
    /// Never made: without the `tls` feature no server has a TLS configuration.
    pub(crate) enum ServerConfig {}
}

/// How long a connection accepted just before a stop may take to send its first request.
const FIRST_REQUEST_GRACE: Duration = Duration::from_secs(1);

/// How long without a new connection tells that the stopped accept loop handed its last one
/// to a worker (actix-web confirms a pause before its accept thread has seen it).
const ACCEPT_SETTLE: Duration = Duration::from_millis(100);

/// How often the drain looks at what is still running.
const DRAIN_POLL: Duration = Duration::from_millis(10);

/// How long to wait for a stopped server's thread before leaving it behind.
const THREAD_WAIT: Duration = Duration::from_secs(2);

/// How a server runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Worker threads.
    pub(crate) workers: usize,
    /// How long a stop waits for requests in flight.
    pub(crate) shutdown_timeout: Duration,
    /// The request-head and keep-alive timeouts.
    pub(crate) timeouts: ConnectionTimeouts,
}

/// A running server.
pub(crate) struct Served {
    handle: ServerHandle,
    thread: JoinHandle<()>,
    conns: Connections,
    shutdown_timeout: Duration,
}

/// Requests a stop left running when its deadline passed.
#[derive(Debug, thiserror::Error)]
#[error(
    "{in_flight} request(s) still running after the shutdown timeout ({timeout:?}) were \
     abandoned"
)]
pub(crate) struct Abandoned {
    /// How many.
    pub(crate) in_flight: usize,
    /// The timeout that passed.
    pub(crate) timeout: Duration,
}

/// Serves `site` on `listener`, over TLS when `tls` is given (HTTP/2 or HTTP/1.1 as the client
/// chooses by ALPN; HTTP/1.1 only on a plain socket), in a thread named `HTTPServer`; returns
/// once it accepts.
pub(crate) fn serve_site(
    site: &Site,
    listener: Listener,
    tls: Option<rustls_config::ServerConfig>,
    settings: Settings,
) -> io::Result<Served> {
    let Some(primary) = site.primary().cloned() else {
        return Err(io::Error::other("no application is mounted"));
    };
    let conns = Connections::default();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let site = site.clone();
    let c = conns.clone();
    let thread = std::thread::Builder::new()
        .name("HTTPServer".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || {
                    actix_web::App::new()
                        .wrap(super::configured_access_log(
                            primary.settings().server.access_log,
                            primary.context().proxies.clone(),
                        ))
                        .configure(site.configure())
                })
                .workers(settings.workers)
                .client_request_timeout(settings.timeouts.request)
                .keep_alive(settings.timeouts.keep_alive)
                .disable_signals()
                // A ceiling only: `Served::shutdown` keeps the exact deadline itself.
                .shutdown_timeout(whole_seconds_above(settings.shutdown_timeout))
                .on_connect(move |conn, ext| c.on_connect(conn, ext));
                let server = match (listener, tls) {
                    #[cfg(feature = "tls")]
                    (Listener::Tcp(l), Some(config)) => server.listen_rustls_0_23(l, config),
                    #[cfg(unix)]
                    (Listener::Unix(..), Some(_)) => Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "TLS is served on TCP addresses only, not on a Unix domain socket",
                    )),
                    (Listener::Tcp(l), _) => server.listen(l),
                    #[cfg(unix)]
                    (Listener::Unix(l, _), None) => server.listen_uds(l),
                };
                match server {
                    Ok(s) => {
                        let s = s.run();
                        let _ = tx.send(Ok(s.handle()));
                        let _ = s.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })?;
    let handle = rx
        .recv()
        .map_err(|_| io::Error::other("the server thread ended before serving"))??;
    Ok(Served {
        handle,
        thread,
        conns,
        shutdown_timeout: settings.shutdown_timeout,
    })
}

/// actix-web counts its shutdown timeout in whole seconds: round up.
fn whole_seconds_above(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl Served {
    /// Stops accepting, drains, and stops the server within the shutdown timeout; the server's
    /// sockets are closed when this returns. `Err` tells how many requests were abandoned.
    pub(crate) async fn shutdown(self) -> Result<(), Abandoned> {
        let started = Instant::now();
        let deadline = started + self.shutdown_timeout;
        self.handle.pause().await;
        let idle = self.conns.drain();
        tracing::debug!(target: "ENGINE", "Closed {idle} idle connections");
        loop {
            let busy = self.conns.busy(FIRST_REQUEST_GRACE);
            let settled = self
                .conns
                .since_last_accepted()
                .is_none_or(|t| t >= ACCEPT_SETTLE)
                || started.elapsed() >= ACCEPT_SETTLE;
            if (busy.in_flight == 0 && busy.fresh == 0 && settled) || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(DRAIN_POLL).await;
        }
        let in_flight = self.conns.busy(Duration::ZERO).in_flight;
        let outcome = if in_flight == 0 {
            // Nothing runs: actix-web closes what is left, bounded in case a worker is stuck
            // outside drupe's handlers.
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_secs(1));
            match tokio::time::timeout(left, self.handle.stop(true)).await {
                Ok(()) => Ok(()),
                Err(_) => {
                    self.handle.stop(false).await;
                    Err(Abandoned {
                        in_flight: self.conns.busy(Duration::ZERO).in_flight,
                        timeout: self.shutdown_timeout,
                    })
                }
            }
        } else {
            // A forced stop closes the listener and tells the workers to drop their
            // connections without waiting for them: a worker stuck on the CPU never answers.
            self.handle.stop(false).await;
            Err(Abandoned {
                in_flight,
                timeout: self.shutdown_timeout,
            })
        };
        // The thread ends once actix-web's stop returns, unless a worker holds it up: then it
        // is left behind (the process ends it).
        let waited = Instant::now();
        while !self.thread.is_finished() && waited.elapsed() < THREAD_WAIT {
            tokio::time::sleep(DRAIN_POLL).await;
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
        }
        outcome
    }

    /// Stops at once: accepting, then every connection.
    pub(crate) async fn abort(self) {
        self.handle.stop(false).await;
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn actix_webs_ceiling_rounds_up() {
        assert_eq!(super::whole_seconds_above(Duration::from_millis(500)), 1);
        assert_eq!(super::whole_seconds_above(Duration::from_millis(1900)), 2);
        assert_eq!(super::whole_seconds_above(Duration::from_secs(5)), 5);
        assert_eq!(super::whole_seconds_above(Duration::ZERO), 0);
    }
}
