//! Accepted connections, tracked so a stop can close the idle ones at once and know what is
//! still running.
//!
//! actix-web's graceful stop waits for every open connection, and closes a connection at once
//! if its first request has not been read yet. drupe keeps a duplicate of each accepted socket,
//! counts the requests in flight on it and remembers whether it has carried one: on stop,
//! connections that served a request and have none in flight are shut down for reading (the
//! server sees end-of-stream and closes them), connections accepted just before, whose first
//! request is on its way, are given time to send it, and responses still in flight carry
//! `Connection: close` (HTTP/2 has no such header: its connections are closed by the server's
//! stop once their streams are answered). Over TLS the TCP connection under the session is
//! the one tracked.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use actix_web::dev::Extensions;
use socket2::SockRef;

use super::socket::mark_accepted;

/// One accepted connection.
pub(crate) struct Conn {
    sock: Option<socket2::Socket>,
    in_flight: AtomicUsize,
    /// Whether a request has reached the application on it.
    served: AtomicBool,
    accepted: Instant,
    draining: Arc<AtomicBool>,
}

/// The connection's handle, kept in its extensions (`HttpRequest::conn_data`).
#[derive(Clone)]
pub(crate) struct ConnTrack(Arc<Conn>);

/// Counts one request in flight until dropped.
pub(crate) struct InFlight<'a>(&'a Conn);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ConnTrack {
    /// Counts a request in flight on this connection.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        self.0.in_flight.fetch_add(1, Ordering::SeqCst);
        self.0.served.store(true, Ordering::SeqCst);
        InFlight(&self.0)
    }

    /// Whether the server is stopping (responses should close their connection).
    pub(crate) fn draining(&self) -> bool {
        self.0.draining.load(Ordering::SeqCst)
    }
}

/// Every connection a server accepted.
#[derive(Default, Clone)]
pub(crate) struct Connections {
    draining: Arc<AtomicBool>,
    list: Arc<Mutex<Vec<Weak<Conn>>>>,
    last_accepted: Arc<Mutex<Option<Instant>>>,
}

/// What a stopping server still has running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy {
    /// Requests the application is handling.
    pub(crate) in_flight: usize,
    /// Connections accepted less than the grace ago that have not sent a request yet.
    pub(crate) fresh: usize,
}

/// The TCP connection under what actix-web accepted: the stream itself, or the one a TLS
/// session runs on.
fn tcp_stream(conn: &dyn Any) -> Option<&actix_rt::net::TcpStream> {
    if let Some(s) = conn.downcast_ref::<actix_rt::net::TcpStream>() {
        return Some(s);
    }
    #[cfg(feature = "tls")]
    if let Some(s) =
        conn.downcast_ref::<actix_tls::accept::rustls_0_23::TlsStream<actix_rt::net::TcpStream>>()
    {
        return Some(s.get_ref().0);
    }
    None
}

impl Connections {
    /// The `on_connect` hook: non-inheritable, `TCP_NODELAY`, tracked.
    pub(crate) fn on_connect(&self, conn: &dyn Any, ext: &mut Extensions) {
        let sock = tcp_stream(conn).and_then(|s| {
            mark_accepted(s);
            // socket2 makes the duplicate non-inheritable itself (`F_DUPFD_CLOEXEC`,
            // `WSA_FLAG_NO_HANDLE_INHERIT`).
            SockRef::from(s).try_clone().ok()
        });
        let now = Instant::now();
        let c = Arc::new(Conn {
            sock,
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            accepted: now,
            draining: self.draining.clone(),
        });
        *self.last_accepted.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(&c));
        ext.insert(ConnTrack(c));
    }

    fn live(&self) -> Vec<Arc<Conn>> {
        let list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().filter_map(Weak::upgrade).collect()
    }

    /// Starts draining: connections that served a request and have none in flight are shut
    /// down for reading now; busy ones close after their response. Returns how many idle
    /// connections were closed.
    pub(crate) fn drain(&self) -> usize {
        self.draining.store(true, Ordering::SeqCst);
        let mut closed = 0;
        for c in self.live() {
            if c.served.load(Ordering::SeqCst)
                && c.in_flight.load(Ordering::SeqCst) == 0
                && let Some(s) = &c.sock
                && s.shutdown(std::net::Shutdown::Read).is_ok()
            {
                closed += 1;
            }
        }
        closed
    }

    /// Requests in flight, and connections younger than `grace` still waiting for their
    /// first request.
    pub(crate) fn busy(&self, grace: Duration) -> Busy {
        let mut busy = Busy {
            in_flight: 0,
            fresh: 0,
        };
        for c in self.live() {
            busy.in_flight += c.in_flight.load(Ordering::SeqCst);
            if !c.served.load(Ordering::SeqCst) && c.accepted.elapsed() < grace {
                busy.fresh += 1;
            }
        }
        busy
    }

    /// How long ago the last connection was accepted (`None`: never).
    pub(crate) fn since_last_accepted(&self) -> Option<Duration> {
        self.last_accepted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|t| t.elapsed())
    }
}
