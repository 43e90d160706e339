//! The engine: a bus of channels that starts, stops and exits the application in order.
//!
//! This module owns CherryPy's `wspbus`: the states
//! `STOPPED → STARTING → STARTED → STOPPING → STOPPED → EXITING`, named channels (`start`,
//! `stop`, `exit`, `graceful`, `main`, and any other), listeners called in ascending priority
//! (equal priorities in subscription order), every listener running even when an earlier one
//! fails, and the `ENGINE` log lines. A failing `start` listener stops everything in order and
//! makes the exit status 70 (`EX_SOFTWARE`); so does a failing `graceful` listener (a restart
//! that failed). Transitions (`start`, `stop`, `graceful`, `exit`) run one at a time: one asked
//! for while another runs waits for it, and one asked for by a listener of the running
//! transition runs right after it. Plugins: the HTTP server ([`ServerPlugin`], start 75, stop
//! 25) and signal handling ([`Signals`]).
//!
//! ```
//! use drupe::engine::Engine;
//! let engine = Engine::new();
//! let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
//! for (name, priority) in [("late", 80), ("early", 20)] {
//!     let order = order.clone();
//!     engine.subscribe("start", priority, name, move |_| {
//!         order.lock().unwrap().push(name);
//!         Ok(())
//!     });
//! }
//! engine.start().unwrap();
//! engine.exit();
//! assert_eq!(*order.lock().unwrap(), ["early", "late"]);
//! assert_eq!(engine.exit_code(), 0);
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

mod http;
mod log;
mod plugins;
mod respawn;
mod run;
mod server;
mod signals;
mod site;
#[cfg(feature = "tls")]
mod tls;

pub(crate) use http::{Served, Settings, rustls_config, serve_site};
pub use log::set_quiet;
pub use log::{ACCESS_LOG_FORMAT, ACCESS_TARGET, EngineFormat, access_logger, init_logging};
pub(crate) use log::{configured_access_log, engine_log, quiet};
pub use plugins::{Autoreloader, BackgroundTask, Monitor, PidFile, PidFileError, TaskResult};
#[cfg(unix)]
pub use plugins::{Daemonizer, DropPrivileges, DropPrivilegesError, NameOrId, daemonize};
pub use run::Server;
pub(crate) use server::ConnectionTimeouts;
pub use server::ServerPlugin;
pub use signals::Signals;
pub use site::MountError;
pub(crate) use site::Site;
#[cfg(feature = "tls")]
pub(crate) use tls::Tls;
#[cfg(feature = "tls")]
pub use tls::TlsError;

/// What a listener returns.
pub type ListenerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

type Callback = Arc<dyn Fn(&Engine) -> ListenerResult + Send + Sync>;

/// The bus's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Initial, and after `stop`.
    Stopped,
    /// `start` listeners are running.
    Starting,
    /// Started.
    Started,
    /// `stop` listeners are running.
    Stopping,
    /// `exit` listeners are running or ran: terminal.
    Exiting,
}

/// The listeners of a channel that failed, with their errors.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(|(n, e)| format!("{n}: {e}")).collect::<Vec<_>>().join("\n"))]
pub struct ChannelFailures(pub Vec<(String, String)>);

struct Sub {
    priority: i32,
    seq: u64,
    name: String,
    cb: Callback,
}

/// A transition of the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Start,
    Stop,
    Graceful,
    Exit,
    Restart,
}

/// Whose turn it is to run a transition, and what its listeners asked for meanwhile.
#[derive(Default)]
struct Turn {
    owner: Option<ThreadId>,
    deferred: Vec<Op>,
}

struct Inner {
    state: Mutex<State>,
    /// Signals a change of `state` (waited on with `state`'s lock only).
    changed: Condvar,
    channels: Mutex<HashMap<String, Vec<Sub>>>,
    seq: AtomicU64,
    exit_code: AtomicU8,
    exiting: AtomicBool,
    exited: Mutex<bool>,
    /// Signals `exited` (a condvar serves one mutex: `state` has its own).
    exited_changed: Condvar,
    restart: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    turn: Mutex<Turn>,
    /// Signals that `turn` has no owner.
    turn_free: Condvar,
}

/// The bus. Cheap to clone: clones share it.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("state", &self.state())
            .finish()
    }
}

impl Engine {
    /// A bus in the `Stopped` state with no listeners.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::Stopped),
                changed: Condvar::new(),
                channels: Mutex::new(HashMap::new()),
                seq: AtomicU64::new(0),
                exit_code: AtomicU8::new(0),
                exiting: AtomicBool::new(false),
                exited: Mutex::new(false),
                exited_changed: Condvar::new(),
                restart: AtomicBool::new(false),
                threads: Mutex::new(Vec::new()),
                turn: Mutex::new(Turn::default()),
                turn_free: Condvar::new(),
            }),
        }
    }

    /// Subscribes `f` to `channel` (lower priorities run first; CherryPy's default is 50).
    pub fn subscribe(
        &self,
        channel: &str,
        priority: i32,
        name: &str,
        f: impl Fn(&Engine) -> ListenerResult + Send + Sync + 'static,
    ) {
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed);
        let mut ch = lock(&self.inner.channels);
        let subs = ch.entry(channel.to_owned()).or_default();
        subs.push(Sub {
            priority,
            seq,
            name: name.to_owned(),
            cb: Arc::new(f),
        });
        subs.sort_by_key(|s| (s.priority, s.seq));
    }

    /// Calls every listener of `channel` in order; every one runs even if another fails.
    pub fn publish(&self, channel: &str) -> Result<(), ChannelFailures> {
        let subs: Vec<(String, Callback)> = lock(&self.inner.channels)
            .get(channel)
            .map(|v| v.iter().map(|s| (s.name.clone(), s.cb.clone())).collect())
            .unwrap_or_default();
        let mut failures = Vec::new();
        for (name, cb) in subs {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(self)));
            let err = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => e.to_string(),
                Err(p) => p
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panicked".to_owned()),
            };
            engine_log!(error, "Error in '{channel}' listener {name}: {err}");
            failures.push((name, err));
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ChannelFailures(failures))
        }
    }

    /// Whether anything listens to `channel`.
    pub fn has_listeners(&self, channel: &str) -> bool {
        lock(&self.inner.channels)
            .get(channel)
            .is_some_and(|subs| !subs.is_empty())
    }

    /// The current state.
    pub fn state(&self) -> State {
        *lock(&self.inner.state)
    }

    fn set_state(&self, s: State) {
        *lock(&self.inner.state) = s;
        self.inner.changed.notify_all();
    }

    /// Starts: publishes `start`. If a listener fails, every other still runs, then the bus
    /// stops and exits in order and the exit status becomes 70.
    pub fn start(&self) -> Result<(), ChannelFailures> {
        self.transition(Op::Start).unwrap_or(Ok(()))
    }

    /// Stops: publishes `stop`.
    pub fn stop(&self) {
        self.transition(Op::Stop);
    }

    /// Stops, then publishes `exit`. Runs once; later calls return once it has run.
    pub fn exit(&self) {
        self.transition(Op::Exit);
    }

    /// Publishes `graceful` (the server hands its socket to a new server) when the bus is
    /// started. If a listener fails, the restart failed: the bus exits with status 70.
    pub fn graceful(&self) {
        self.transition(Op::Graceful);
    }

    /// Exits, then re-executes the process from [`Engine::block`].
    pub fn restart(&self) {
        self.transition(Op::Restart);
    }

    /// Runs `op` when no other transition runs (waiting for its turn), then what its
    /// listeners asked for meanwhile. Asked for by a listener of the running transition, `op`
    /// is queued to run after it and `None` is returned. A hand-written turn rather than a
    /// reentrant lock: a transition nested in another would interleave their states.
    fn transition(&self, op: Op) -> Option<Result<(), ChannelFailures>> {
        let me = std::thread::current().id();
        {
            let mut turn = lock(&self.inner.turn);
            if turn.owner == Some(me) {
                turn.deferred.push(op);
                return None;
            }
            while turn.owner.is_some() {
                turn = self
                    .inner
                    .turn_free
                    .wait(turn)
                    .unwrap_or_else(|e| e.into_inner());
            }
            turn.owner = Some(me);
        }
        // Gives the turn back even if a transition panics.
        struct Release<'a>(&'a Inner);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                let mut turn = lock(&self.0.turn);
                turn.owner = None;
                turn.deferred.clear();
                self.0.turn_free.notify_all();
            }
        }
        let _release = Release(&self.inner);
        let outcome = self.run(op);
        loop {
            let next = {
                let mut turn = lock(&self.inner.turn);
                (!turn.deferred.is_empty()).then(|| turn.deferred.remove(0))
            };
            match next {
                // A deferred start that fails has logged it and exited the bus already.
                Some(op) => {
                    let _ = self.run(op);
                }
                None => return Some(outcome),
            }
        }
    }

    fn run(&self, op: Op) -> Result<(), ChannelFailures> {
        if matches!(op, Op::Start | Op::Stop) && self.inner.exiting.load(Ordering::SeqCst) {
            engine_log!(info, "Bus {op:?} skipped: the bus has exited");
            return Ok(());
        }
        match op {
            Op::Start => return self.run_start(),
            Op::Stop => self.run_stop(),
            Op::Graceful => self.run_graceful(),
            Op::Exit => self.run_exit(),
            Op::Restart => {
                if !self.inner.exiting.load(Ordering::SeqCst) {
                    self.inner.restart.store(true, Ordering::SeqCst);
                }
                self.run_exit();
            }
        }
        Ok(())
    }

    fn run_start(&self) -> Result<(), ChannelFailures> {
        self.set_state(State::Starting);
        engine_log!(info, "Bus STARTING");
        match self.publish("start") {
            Ok(()) => {
                self.set_state(State::Started);
                engine_log!(info, "Bus STARTED");
                Ok(())
            }
            Err(f) => {
                engine_log!(error, "Shutting down due to error in start listener:\n{f}");
                self.inner.exit_code.store(70, Ordering::SeqCst);
                self.run_exit();
                Err(f)
            }
        }
    }

    fn run_stop(&self) {
        self.set_state(State::Stopping);
        engine_log!(info, "Bus STOPPING");
        if self.publish("stop").is_err() {
            self.inner.exit_code.store(70, Ordering::SeqCst);
            return;
        }
        self.set_state(State::Stopped);
        engine_log!(info, "Bus STOPPED");
    }

    fn run_exit(&self) {
        if self.inner.exiting.swap(true, Ordering::SeqCst) {
            return;
        }
        self.run_stop();
        self.set_state(State::Exiting);
        engine_log!(info, "Bus EXITING");
        if self.publish("exit").is_err() {
            self.inner.exit_code.store(70, Ordering::SeqCst);
        }
        engine_log!(info, "Bus EXITED");
        *lock(&self.inner.exited) = true;
        self.inner.exited_changed.notify_all();
    }

    fn run_graceful(&self) {
        let state = self.state();
        if state != State::Started {
            engine_log!(info, "Bus graceful skipped: the bus is {state:?}");
            return;
        }
        engine_log!(info, "Bus graceful");
        if let Err(f) = self.publish("graceful") {
            engine_log!(error, "Graceful restart failed; exiting:\n{f}");
            self.inner.exit_code.store(70, Ordering::SeqCst);
            self.run_exit();
        }
    }

    /// Whether the bus is exiting to re-execute the process.
    #[cfg(unix)]
    pub(crate) fn restarting(&self) -> bool {
        self.inner.restart.load(Ordering::SeqCst)
    }

    /// The exit status the process should end with.
    pub fn exit_code(&self) -> u8 {
        self.inner.exit_code.load(Ordering::SeqCst)
    }

    /// Keeps a thread to join before the process ends.
    pub fn adopt_thread(&self, t: JoinHandle<()>) {
        lock(&self.inner.threads).push(t);
    }

    /// Waits until the bus reaches `state` (or `timeout` passes); `true` if it did.
    pub fn wait(&self, state: State, timeout: Duration) -> bool {
        let g = lock(&self.inner.state);
        let (g, _) = self
            .inner
            .changed
            .wait_timeout_while(g, timeout, |s| *s != state)
            .unwrap_or_else(|e| e.into_inner());
        *g == state
    }

    /// Blocks the calling (main) thread until the bus has exited, joins the threads it was
    /// given, re-executes the process if a restart was asked, and returns the exit status.
    pub fn block(&self) -> ExitCode {
        {
            let mut done = lock(&self.inner.exited);
            while !*done {
                done = self
                    .inner
                    .exited_changed
                    .wait(done)
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
        engine_log!(info, "Waiting for child threads to terminate...");
        for t in lock(&self.inner.threads).drain(..) {
            let name = t.thread().name().unwrap_or("unnamed").to_owned();
            engine_log!(debug, "Waiting for thread {name}.");
            let _ = t.join();
        }
        if self.inner.restart.load(Ordering::SeqCst) && !respawn::respawn() {
            self.inner.exit_code.store(70, Ordering::SeqCst);
        }
        ExitCode::from(self.exit_code())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    #[test]
    fn every_start_listener_runs_and_a_failure_exits_70_in_order() {
        let e = Engine::new();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        for (name, prio, fail) in [("a", 10, false), ("b", 20, true), ("c", 30, false)] {
            let seen = seen.clone();
            e.subscribe("start", prio, name, move |_| {
                seen.lock().unwrap().push(format!("start {name}"));
                if fail { Err("b failed".into()) } else { Ok(()) }
            });
        }
        for ch in ["stop", "exit"] {
            let seen = seen.clone();
            e.subscribe(ch, 50, ch, move |_| {
                seen.lock().unwrap().push(ch.to_owned());
                Ok(())
            });
        }
        let err = e.start().unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(
            *seen.lock().unwrap(),
            ["start a", "start b", "start c", "stop", "exit"]
        );
        assert_eq!(e.exit_code(), 70);
        assert_eq!(e.state(), State::Exiting);
        assert_eq!(e.block(), ExitCode::from(70));
    }

    #[test]
    fn equal_priorities_keep_subscription_order_and_exit_runs_once() {
        let e = Engine::new();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        for name in ["x", "y", "z"] {
            let seen = seen.clone();
            e.subscribe("exit", 50, name, move |_| {
                seen.lock().unwrap().push(name);
                Ok(())
            });
        }
        e.start().unwrap();
        e.exit();
        e.exit();
        assert_eq!(*seen.lock().unwrap(), ["x", "y", "z"]);
        assert_eq!(e.exit_code(), 0);
    }

    /// An exit asked for while a start runs waits for it: the bus never stops half-started,
    /// nor ends `Started` after it exited.
    #[test]
    fn an_exit_from_another_thread_waits_for_the_start() {
        let e = Engine::new();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = StdMutex::new(release_rx);
        let s = seen.clone();
        e.subscribe("start", 50, "slow start", move |_| {
            s.lock().unwrap().push("start begins");
            entered_tx.send(()).unwrap();
            release_rx.lock().unwrap().recv().unwrap();
            s.lock().unwrap().push("start ends");
            Ok(())
        });
        for ch in ["stop", "exit"] {
            let s = seen.clone();
            e.subscribe(ch, 50, ch, move |_| {
                s.lock().unwrap().push(ch);
                Ok(())
            });
        }
        let starter = {
            let e = e.clone();
            std::thread::spawn(move || e.start())
        };
        entered.recv().unwrap();
        let exiter = {
            let e = e.clone();
            std::thread::spawn(move || e.exit())
        };
        // The exit is asked for while the start listener runs; it must not run yet.
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(*seen.lock().unwrap(), ["start begins"]);
        release.send(()).unwrap();
        starter.join().unwrap().unwrap();
        exiter.join().unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            ["start begins", "start ends", "stop", "exit"]
        );
        assert_eq!(e.state(), State::Exiting);
    }

    /// A listener that asks for a transition (here an exit from a start listener) does not
    /// deadlock: it runs right after the current one.
    #[test]
    fn a_transition_asked_for_by_a_listener_runs_after_the_current_one() {
        let e = Engine::new();
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let s = seen.clone();
        e.subscribe("start", 50, "quits at once", move |bus| {
            bus.exit();
            s.lock().unwrap().push("start listener returns");
            Ok(())
        });
        let s = seen.clone();
        e.subscribe("exit", 50, "exit", move |_| {
            s.lock().unwrap().push("exit");
            Ok(())
        });
        e.start().unwrap();
        assert_eq!(*seen.lock().unwrap(), ["start listener returns", "exit"]);
        assert_eq!(e.block(), ExitCode::from(0));
    }

    /// A graceful restart whose listener fails ends the bus with status 70; asked for when the
    /// bus is not started, it does nothing.
    #[test]
    fn a_failed_graceful_restart_exits_70() {
        let e = Engine::new();
        let calls = Arc::new(AtomicU64::new(0));
        let c = calls.clone();
        e.subscribe("graceful", 50, "reload", move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            Err("cannot reload".into())
        });
        e.graceful();
        assert_eq!(calls.load(Ordering::SeqCst), 0, "not started: skipped");
        e.start().unwrap();
        e.graceful();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(e.state(), State::Exiting);
        assert_eq!(e.block(), ExitCode::from(70));
    }

    #[test]
    fn a_panicking_listener_is_a_failure_not_a_crash() {
        let e = Engine::new();
        e.subscribe("graceful", 50, "boom", |_| panic!("listener fell over"));
        assert!(e.publish("graceful").is_err());
        assert!(e.publish("no such channel").is_ok());
    }
}
