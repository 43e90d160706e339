//! Accepted connections, tracked so a stop can close the idle ones at once.
//!
//! actix-web's graceful stop waits for every open connection, idle keep-alive ones included,
//! up to the shutdown timeout. drupe keeps a duplicate of each accepted socket and counts the
//! requests in flight on it: on stop, connections with none are shut down for reading (the
//! server sees end-of-stream and closes them), and responses still in flight carry
//! `Connection: close`.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use actix_web::dev::Extensions;
use socket2::SockRef;

use super::socket::mark_accepted;

/// One accepted connection.
pub(crate) struct Conn {
    sock: Option<socket2::Socket>,
    in_flight: AtomicUsize,
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
}

impl Connections {
    /// The `on_connect` hook: non-inheritable, `TCP_NODELAY`, tracked.
    pub(crate) fn on_connect(&self, conn: &dyn Any, ext: &mut Extensions) {
        let sock = conn
            .downcast_ref::<actix_rt::net::TcpStream>()
            .and_then(|s| {
                mark_accepted(s);
                // socket2 makes the duplicate non-inheritable itself (`F_DUPFD_CLOEXEC`,
                // `WSA_FLAG_NO_HANDLE_INHERIT`).
                SockRef::from(s).try_clone().ok()
            });
        let c = Arc::new(Conn {
            sock,
            in_flight: AtomicUsize::new(0),
            draining: self.draining.clone(),
        });
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(&c));
        ext.insert(ConnTrack(c));
    }

    /// Starts draining: idle connections are shut down for reading now; busy ones close
    /// after their response. Returns how many idle connections were closed.
    pub(crate) fn drain(&self) -> usize {
        self.draining.store(true, Ordering::SeqCst);
        let list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        let mut closed = 0;
        for c in list.iter().filter_map(Weak::upgrade) {
            if c.in_flight.load(Ordering::SeqCst) == 0
                && let Some(s) = &c.sock
                && s.shutdown(std::net::Shutdown::Read).is_ok()
            {
                closed += 1;
            }
        }
        closed
    }
}
