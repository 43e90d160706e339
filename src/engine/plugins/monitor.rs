//! CherryPy's `Monitor`: a [`BackgroundTask`] the engine starts and stops.

use super::BackgroundTask;
use crate::engine::Engine;

/// Runs a [`BackgroundTask`] while the bus is started: `start` (priority 70, as CherryPy's)
/// starts its thread, `stop` (priority 50) stops and joins it, so an exit stops it too; a
/// start after a stop starts it again. `graceful` leaves it running: the task belongs to the
/// process, not to the server that a graceful restart replaces.
///
/// Log lines, CherryPy's: `Started monitor thread 'Session cleanup'.` and
/// `Stopped thread 'Session cleanup'.`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use drupe::engine::{BackgroundTask, Engine, Monitor};
///
/// let runs = Arc::new(AtomicUsize::new(0));
/// let counted = runs.clone();
/// let cleanup = BackgroundTask::new("Session cleanup", Duration::from_millis(10), move || {
///     counted.fetch_add(1, Ordering::SeqCst);
///     Ok(())
/// });
/// let engine = Engine::new();
/// Monitor::new(cleanup.clone()).attach(&engine);
/// engine.start().unwrap();
/// assert!(cleanup.is_running());
/// engine.exit();
/// assert!(!cleanup.is_running());
/// ```
#[derive(Debug, Clone)]
pub struct Monitor {
    task: BackgroundTask,
}

impl Monitor {
    /// The plugin for `task`.
    pub fn new(task: BackgroundTask) -> Self {
        Self { task }
    }

    /// The task it runs.
    pub fn task(&self) -> &BackgroundTask {
        &self.task
    }

    /// Subscribes the plugin: `start` at 70 (a thread the OS refuses fails the start), `stop`
    /// at 50.
    pub fn attach(self, engine: &Engine) {
        let listener = format!("Monitor '{}'", self.task.name());
        let task = self.task.clone();
        engine.subscribe("start", 70, &listener, move |_| {
            task.start().map_err(|e| {
                format!("cannot start the thread of task '{}': {e}", task.name()).into()
            })
        });
        let task = self.task;
        engine.subscribe("stop", 50, &listener, move |_| {
            task.stop();
            Ok(())
        });
    }
}

impl From<BackgroundTask> for Monitor {
    fn from(task: BackgroundTask) -> Self {
        Self::new(task)
    }
}
