//! Background loops with an explicit stop: a [`Task`] owns one spawned loop (stop it, or drop
//! it to cancel), a [`TaskSlot`] holds the one loop a feature runs at a time (the sampler, the
//! health and services watchers) and refuses to start another once shut down.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::sync::lock;

/// A background loop with an explicit stop; dropping the handle cancels the loop too, so no loop
/// outlives its owner.
pub struct Task {
    cancel: CancellationToken,
    join: Option<JoinHandle<()>>,
}

impl Task {
    /// Spawns `body` with a cancellation token it must watch.
    pub fn spawn<F, Fut>(body: F) -> Task
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let cancel = CancellationToken::new();
        let join = tokio::spawn(body(cancel.clone()));
        Task {
            cancel,
            join: Some(join),
        }
    }

    /// Cancels the loop and waits until it has finished.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(join) = self.join.take() {
            let _ = join.await;
        }
    }

    /// True while the loop runs.
    pub fn is_running(&self) -> bool {
        self.join.as_ref().is_some_and(|j| !j.is_finished())
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The one loop of a feature, started on demand.
#[derive(Default)]
pub struct TaskSlot {
    task: Mutex<Option<Task>>,
    closed: AtomicBool,
}

impl TaskSlot {
    /// Starts the loop `start` spawns unless one is running. Does nothing without a tokio runtime
    /// (a sync caller: the next async caller starts it) or after [`TaskSlot::shutdown`].
    pub fn ensure(&self, start: impl FnOnce() -> Task) {
        if self.closed.load(Ordering::Acquire) || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let mut slot = lock(&self.task);
        if !slot.as_ref().is_some_and(Task::is_running) {
            *slot = Some(start());
        }
    }

    /// True while a loop runs in the slot.
    pub fn is_running(&self) -> bool {
        lock(&self.task).as_ref().is_some_and(Task::is_running)
    }

    /// Stops the running loop, if any, and waits for it; a later [`TaskSlot::ensure`] starts anew.
    pub async fn stop(&self) -> bool {
        let task = lock(&self.task).take();
        match task {
            Some(t) => {
                t.stop().await;
                true
            }
            None => false,
        }
    }

    /// Stops the loop for good: later [`TaskSlot::ensure`] calls start nothing.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        self.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slot_runs_one_loop_until_stopped_or_shut_down() {
        let slot = TaskSlot::default();
        let loops = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = || {
            let loops = loops.clone();
            Task::spawn(move |cancel| async move {
                loops.fetch_add(1, Ordering::SeqCst);
                cancel.cancelled().await;
            })
        };
        slot.ensure(start);
        slot.ensure(start);
        assert!(slot.is_running());
        assert!(slot.stop().await);
        assert!(!slot.is_running());
        slot.ensure(start);
        slot.shutdown().await;
        slot.ensure(start);
        assert!(!slot.is_running(), "no loop starts after shutdown");
        assert_eq!(loops.load(Ordering::SeqCst), 2);
    }
}
