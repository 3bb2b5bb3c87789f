//! The live-data bus: one tokio broadcast channel per service carrying typed [`Event`]s (metrics
//! ticks, channel batches, stream entries, job progress, connection state), the [`Task`] handle
//! that owns every background loop, and the light health watcher that publishes `conn_state`.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::bytes::Bytes;
use super::channels::{Message, MonitorSlot, MonitorStats};
use super::metrics::{MetricsSample, SamplerSlot};
use super::profiles::ProfilesState;
use super::streams::{StreamEntry, TailSlot};
use super::{AdminService, ConnState, Inner};
use redscope::health::Alert;

/// How many events a slow subscriber may fall behind before it loses some (and is told how many).
pub const BUS_CAPACITY: usize = 1024;

/// How often the health watcher checks the connection.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// One message of the live-data bus; serialised with a `type` field (docs/API.md, "Events").
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// The active connection went up or down.
    ConnState {
        /// Connected or down.
        state: ConnState,
        /// The server, password removed.
        url: String,
        /// Why it is down.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        error: Option<String>,
        /// For Sentinel: the master's `host:port`; a new value means a failover happened.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        master: Option<String>,
    },
    /// One sampler tick with the alerts it raised.
    Metrics {
        /// The figures of this tick.
        sample: MetricsSample,
        /// Alerts currently firing.
        alerts: Vec<Alert>,
    },
    /// Recent pub/sub messages (at most 10 batches a second).
    ChannelBatch {
        /// Messages shown in this batch.
        messages: Vec<Message>,
        /// Messages received since the previous batch and not in this one (still counted).
        dropped: u64,
        /// Per-channel counts and rates (its `recent` is empty: the messages are above).
        stats: MonitorStats,
    },
    /// New entries of a live-tailed stream.
    StreamEntries {
        /// The tail that read them.
        tail_id: u64,
        /// The stream key.
        key: Bytes,
        /// Entries in id order.
        entries: Vec<StreamEntry>,
    },
    /// Progress or outcome of a job (a JSON object with the job's fields).
    Job(#[ts(type = "(Job | FindingsJob)")] serde_json::Value),
    /// More of a namespace tree level has been scanned.
    TreeProgress {
        /// The level's prefix.
        prefix: String,
        /// The separator the tree splits keys on.
        separator: String,
        /// Keys seen so far under this prefix.
        total_keys: u64,
        /// Keys scanned so far.
        scanned: u64,
        /// Whether the scan is finished.
        complete: bool,
    },
    /// The set of library clients (Services view) or their liveness changed.
    Services {
        /// Every client with its figures.
        services: Vec<super::services::ServiceInfo>,
        /// Their alerts.
        alerts: Vec<super::services::ServiceAlert>,
    },
    /// Sent to one subscriber that fell behind: `count` events were skipped for it.
    Lagged {
        /// How many events this subscriber missed.
        count: u64,
    },
}

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
        Fut: std::future::Future<Output = ()> + Send + 'static,
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

/// The service's live-data state: the bus and the slots of every background loop.
pub(crate) struct Live {
    pub(crate) bus: broadcast::Sender<Event>,
    watcher: Mutex<Option<Task>>,
    pub(crate) sampler: SamplerSlot,
    pub(crate) monitor: MonitorSlot,
    pub(crate) tails: TailSlot,
    pub(crate) profiles: ProfilesState,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            bus: broadcast::channel(BUS_CAPACITY).0,
            watcher: Mutex::new(None),
            sampler: SamplerSlot::default(),
            monitor: MonitorSlot::default(),
            tails: TailSlot::default(),
            profiles: ProfilesState::default(),
        }
    }
}

impl AdminService {
    /// Subscribes to the live-data bus; starts the health watcher and the metrics sampler if they
    /// are not running yet (they stop when the service is dropped).
    pub fn events(&self) -> broadcast::Receiver<Event> {
        let rx = self.inner.live.bus.subscribe();
        if tokio::runtime::Handle::try_current().is_ok() {
            self.ensure_watcher();
            self.ensure_sampler();
        }
        rx
    }

    /// Publishes an event to every subscriber (a no-op when nobody listens).
    pub fn publish_event(&self, event: Event) {
        let _ = self.inner.live.bus.send(event);
    }

    /// Publishes a job's progress; `job` must serialise to a JSON object.
    pub fn publish_job(&self, job: &impl Serialize) {
        match serde_json::to_value(job) {
            Ok(v @ serde_json::Value::Object(_)) => self.publish_event(Event::Job(v)),
            Ok(_) => tracing::warn!("a job event must be a JSON object; not published"),
            Err(e) => tracing::warn!(error = %e, "job event not serialisable"),
        }
    }

    /// A weak reference for background loops, so they never keep the service alive.
    pub(super) fn downgrade(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    /// The service behind a weak reference, while it exists.
    pub(super) fn upgrade(weak: &Weak<Inner>) -> Option<AdminService> {
        weak.upgrade().map(|inner| AdminService { inner })
    }

    fn ensure_watcher(&self) {
        let mut slot = lock(&self.inner.live.watcher);
        if slot.as_ref().is_some_and(Task::is_running) {
            return;
        }
        let weak = self.downgrade();
        *slot = Some(Task::spawn(move |cancel| watch_health(weak, cancel)));
    }

    /// Publishes the current connection state now (after a switch of the active connection).
    pub(crate) async fn publish_conn_state(&self) -> ConnState {
        let report = self.health().await;
        self.publish_event(Event::ConnState {
            state: report.state,
            url: report.url,
            error: report.error,
            master: report.master,
        });
        report.state
    }
}

/// Publishes `conn_state` at start and whenever the state, URL or (Sentinel) master changes.
async fn watch_health(weak: Weak<Inner>, cancel: CancellationToken) {
    let mut last: Option<(ConnState, String, Option<String>)> = None;
    loop {
        let Some(service) = AdminService::upgrade(&weak) else {
            return;
        };
        let report = tokio::select! {
            _ = cancel.cancelled() => return,
            r = service.health() => r,
        };
        drop(service);
        let now = (report.state, report.url.clone(), report.master.clone());
        if last.as_ref() != Some(&now) {
            tracing::info!(state = ?report.state, url = %report.url, master = ?report.master, "connection state");
            if let Some(service) = AdminService::upgrade(&weak) {
                service.publish_event(Event::ConnState {
                    state: report.state,
                    url: report.url,
                    error: report.error,
                    master: report.master,
                });
            }
            last = Some(now);
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(WATCH_EVERY) => {}
        }
    }
}

/// Locks a std mutex, recovering the data if a panicking thread poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_type_field() {
        let e = Event::Lagged { count: 3 };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"lagged","count":3}"#
        );
        let job = Event::Job(serde_json::json!({"id": "j1", "state": "running"}));
        let v = serde_json::to_value(&job).unwrap();
        assert_eq!(v["type"], "job");
        assert_eq!(v["id"], "j1");
        let c = Event::ConnState {
            state: ConnState::Down,
            url: "redis://127.0.0.1:1/0".into(),
            error: Some("refused".into()),
            master: None,
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["state"].as_str()),
            (Some("conn_state"), Some("down"))
        );
    }
}
