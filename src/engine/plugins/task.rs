//! CherryPy's `BackgroundTask`: a function run every interval on a thread of its own, without
//! CherryPy's two flaws. An error or a panic in the function is logged and the task goes on
//! (CherryPy's thread dies on its first error, silently for the rest of the process), and a
//! stop wakes the waiting thread at once (CherryPy's notices a stop only after its sleep) and
//! joins it.

use std::any::Any;
use std::error::Error;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use futures_util::FutureExt;

use crate::engine::engine_log;

/// What a task's function returns: an error is logged with the task's name, and the task runs
/// again after the next interval.
pub type TaskResult = Result<(), Box<dyn Error + Send + Sync>>;

type LocalFuture = Pin<Box<dyn Future<Output = TaskResult>>>;

/// The function, called on the task's thread.
enum Job {
    Blocking(Box<dyn Fn() -> TaskResult + Send + Sync>),
    /// Makes a future, run to completion on the thread's own single-threaded tokio runtime.
    Async(Box<dyn Fn() -> LocalFuture + Send + Sync>),
}

/// A function run every `interval` on a thread of its own, named after the task, never on a
/// request worker. It waits first, then runs (as CherryPy's does), for as long as it is
/// started:
///
/// * an error the function returns is logged at error level,
///   `Error in background task '<name>': <error>`, and a panic is caught and logged,
///   `Background task '<name>' panicked: <message>`; either way the task runs again after the
///   next interval;
/// * [`stop`](Self::stop) wakes the thread at once, waits for a run in progress to return,
///   and joins the thread; a later [`start`](Self::start) starts a new thread;
/// * the thread logs through the `tracing` subscriber that was current where it was started.
///
/// Clones share the task. [`Monitor`](super::Monitor) starts and stops it with the engine.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use drupe::engine::BackgroundTask;
///
/// let runs = Arc::new(AtomicUsize::new(0));
/// let counted = runs.clone();
/// let task = BackgroundTask::new("Session cleanup", Duration::from_millis(10), move || {
///     counted.fetch_add(1, Ordering::SeqCst);
///     Ok(())
/// });
/// task.start().unwrap();
/// for _ in 0..1000 {
///     if runs.load(Ordering::SeqCst) >= 2 {
///         break;
///     }
///     std::thread::sleep(Duration::from_millis(10));
/// }
/// task.stop();
/// assert!(runs.load(Ordering::SeqCst) >= 2);
/// assert!(!task.is_running());
/// ```
#[derive(Clone)]
pub struct BackgroundTask {
    shared: Arc<Shared>,
}

struct Shared {
    name: String,
    interval: Duration,
    job: Arc<Job>,
    running: Mutex<Option<Running>>,
}

/// A started thread and the signal that stops it.
struct Running {
    stop: Arc<Stop>,
    thread: JoinHandle<()>,
}

/// A stop flag a waiting thread is woken by.
#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    changed: Condvar,
}

impl Stop {
    /// Waits `interval`, or less if stopped meanwhile; `true` if stopped.
    fn wait(&self, interval: Duration) -> bool {
        let (stopped, _) = self
            .changed
            .wait_timeout_while(lock(&self.stopped), interval, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
        *stopped
    }

    fn stop(&self) {
        *lock(&self.stopped) = true;
        self.changed.notify_all();
    }
}

impl std::fmt::Debug for BackgroundTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundTask")
            .field("name", &self.shared.name)
            .field("interval", &self.shared.interval)
            .field("running", &self.is_running())
            .finish()
    }
}

impl BackgroundTask {
    /// A task named `name` (its thread's name and its log lines') that calls `f` every
    /// `interval`. A task with a zero interval never starts (CherryPy's `frequency=0`).
    pub fn new(
        name: &str,
        interval: Duration,
        f: impl Fn() -> TaskResult + Send + Sync + 'static,
    ) -> Self {
        Self::with_job(name, interval, Job::Blocking(Box::new(f)))
    }

    /// A task whose function is async: each run awaits the future `f` makes, on a
    /// single-threaded tokio runtime the task's thread owns (so the future need not be
    /// `Send`, and tokio's timers and sockets work in it). For stores that are async, such as
    /// a session store's cleanup.
    ///
    /// ```
    /// use std::time::Duration;
    /// use drupe::engine::{BackgroundTask, TaskResult};
    ///
    /// let task = BackgroundTask::new_async("Cache sweep", Duration::from_millis(10), || async {
    ///     tokio::time::sleep(Duration::from_millis(1)).await;
    ///     TaskResult::Ok(())
    /// });
    /// task.start().unwrap();
    /// assert!(task.is_running());
    /// task.stop();
    /// ```
    pub fn new_async<F, Fut>(name: &str, interval: Duration, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + 'static,
    {
        Self::with_job(
            name,
            interval,
            Job::Async(Box::new(move || Box::pin(f()) as LocalFuture)),
        )
    }

    fn with_job(name: &str, interval: Duration, job: Job) -> Self {
        Self {
            shared: Arc::new(Shared {
                // A thread name cannot hold a NUL.
                name: name.replace('\0', " "),
                interval,
                job: Arc::new(job),
                running: Mutex::new(None),
            }),
        }
    }

    /// The task's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The time between runs.
    pub fn interval(&self) -> Duration {
        self.shared.interval
    }

    /// Whether its thread runs.
    pub fn is_running(&self) -> bool {
        lock(&self.shared.running)
            .as_ref()
            .is_some_and(|r| !r.thread.is_finished())
    }

    /// Starts the thread (nothing if it runs already, or if the interval is zero) and logs
    /// CherryPy's `Started monitor thread '<name>'.`. Fails only if the OS refuses a thread.
    pub fn start(&self) -> std::io::Result<()> {
        let name = &self.shared.name;
        let mut running = lock(&self.shared.running);
        if running.as_ref().is_some_and(|r| !r.thread.is_finished()) {
            return Ok(());
        }
        if self.shared.interval.is_zero() {
            engine_log!(
                info,
                "Monitor thread '{name}' not started: its interval is zero."
            );
            return Ok(());
        }
        let stop = Arc::new(Stop::default());
        let job = self.shared.job.clone();
        let interval = self.shared.interval;
        let (thread_name, signal) = (name.clone(), stop.clone());
        // The thread logs where its starter logs (a test's capture, an application's own
        // subscriber), not only to the global subscriber.
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let thread = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    run(&thread_name, interval, &job, &signal);
                });
            })?;
        *running = Some(Running { stop, thread });
        engine_log!(info, "Started monitor thread '{name}'.");
        Ok(())
    }

    /// Stops the thread: wakes it if it waits, waits for a run in progress to return, joins
    /// it, and logs CherryPy's `Stopped thread '<name>'.`. Nothing if it is not running.
    /// Called from the task's own function, it cannot join itself: the thread ends when the
    /// function returns.
    pub fn stop(&self) {
        let name = &self.shared.name;
        let Some(Running { stop, thread }) = lock(&self.shared.running).take() else {
            return;
        };
        stop.stop();
        if thread.thread().id() == std::thread::current().id() {
            engine_log!(info, "Thread '{name}' stops once this run returns.");
            return;
        }
        // A panic in the function is caught on the thread: it ends normally.
        let _ = thread.join();
        engine_log!(info, "Stopped thread '{name}'.");
    }
}

/// The thread's loop: wait, run, log what went wrong, until stopped.
fn run(name: &str, interval: Duration, job: &Job, stop: &Stop) {
    match job {
        Job::Blocking(f) => repeat(name, interval, stop, f.as_ref()),
        Job::Async(f) => {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    engine_log!(
                        error,
                        "Background task '{name}' cannot run: no tokio runtime ({e})."
                    );
                    return;
                }
            };
            repeat(name, interval, stop, || {
                // The panic is caught inside the runtime (which stays usable), then rethrown
                // to be logged as a blocking task's is.
                match runtime.block_on(AssertUnwindSafe(f()).catch_unwind()) {
                    Ok(outcome) => outcome,
                    Err(panic) => resume_unwind(panic),
                }
            });
        }
    }
}

fn repeat(name: &str, interval: Duration, stop: &Stop, mut once: impl FnMut() -> TaskResult) {
    while !stop.wait(interval) {
        match catch_unwind(AssertUnwindSafe(&mut once)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => engine_log!(error, "Error in background task '{name}': {e}"),
            Err(panic) => engine_log!(
                error,
                "Background task '{name}' panicked: {}",
                panic_message(panic.as_ref())
            ),
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
