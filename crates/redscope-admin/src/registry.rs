//! The one registry of long jobs (invalidation, full findings runs): ids, the most recent jobs
//! kept in memory, progress published on the bus at a bounded rate, cancel, and cancel-all when
//! the registry is shut down or dropped. A running job holds only its own entry and what it
//! works with — never the service — so dropping the last service handle cancels it.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::events::Publisher;
use crate::sync::lock;

/// Now, in milliseconds since the Unix epoch: the clock of job records' start and end times.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
use redscope::error::{Error, Result};

/// How long [`Registry::shutdown`] waits for cancelled jobs to finish before aborting them.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// Where a job is: the one state every job record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Working.
    Running,
    /// Finished.
    Done,
    /// Stopped by a cancel; the record holds what was done so far.
    Cancelled,
    /// Stopped by an error; the record says why.
    Failed,
}

/// A job's record as the API shows it (its progress, then its outcome).
pub trait Record: Clone + Serialize + Send + 'static {
    /// The job's id.
    fn id(&self) -> &str;
    /// True until the job is done, cancelled or failed.
    fn is_running(&self) -> bool;
}

/// A record with the outcome fields every feature's job shares (`state`, `error`,
/// `finished_ms`), so [`JobHandle::conclude`] sets them by one rule.
pub trait Outcome: Record {
    /// Records how the job ended, and when.
    fn set_outcome(&mut self, state: JobState, error: Option<String>, finished_ms: i64);
}

/// [`Record`] and [`Outcome`] for a job record with `id: String`, `state: JobState`,
/// `error: Option<String>` and `finished_ms: Option<i64>`.
macro_rules! job_record {
    ($record:ty) => {
        impl $crate::registry::Record for $record {
            fn id(&self) -> &str {
                &self.id
            }

            fn is_running(&self) -> bool {
                self.state == $crate::registry::JobState::Running
            }
        }

        impl $crate::registry::Outcome for $record {
            fn set_outcome(
                &mut self,
                state: $crate::registry::JobState,
                error: Option<String>,
                finished_ms: i64,
            ) {
                self.state = state;
                self.error = error;
                self.finished_ms = Some(finished_ms);
            }
        }
    };
}
pub(crate) use job_record;

/// How a registry names and keeps its jobs.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// What a job is called in messages (`job`, `findings job`).
    pub what: &'static str,
    /// Put before the number of each id (`f` gives `f1`, `f2`, …).
    pub id_prefix: &'static str,
    /// Jobs remembered; the oldest finished ones are forgotten first.
    pub keep: usize,
    /// Least time between two progress events of one job.
    pub event_every: Duration,
    /// Jobs running at once; starting one more is refused ([`Error::Busy`]), so a caller cannot
    /// pile up work on the server.
    pub max_running: usize,
}

struct Entry<J> {
    record: Mutex<J>,
    cancel: CancellationToken,
    join: Mutex<Option<JoinHandle<()>>>,
}

/// The jobs of one feature.
pub struct Registry<J: Record> {
    policy: Policy,
    next: AtomicU64,
    list: Mutex<VecDeque<Arc<Entry<J>>>>,
    events: Publisher<serde_json::Value>,
}

/// What a running job holds: its own entry (record and cancel token) and the bus.
pub struct JobHandle<J: Record> {
    entry: Arc<Entry<J>>,
    events: Publisher<serde_json::Value>,
    every: Duration,
    last_event: Mutex<Instant>,
}

impl<J: Record> Registry<J> {
    /// An empty registry publishing job events through `events`.
    pub fn new(policy: Policy, events: Publisher<serde_json::Value>) -> Self {
        Registry {
            policy,
            next: AtomicU64::new(0),
            list: Mutex::new(VecDeque::new()),
            events,
        }
    }

    /// Registers the job `record(id)` builds and runs `run` on it in the background; answers
    /// the job's first record, or [`Error::Busy`] when [`Policy::max_running`] jobs run already.
    pub fn start<F, Fut>(&self, record: impl FnOnce(String) -> J, run: F) -> Result<J>
    where
        F: FnOnce(JobHandle<J>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let entry = {
            let mut list = lock(&self.list);
            let running = list.iter().filter(|e| lock(&e.record).is_running()).count();
            if running >= self.policy.max_running {
                return Err(Error::Busy(format!(
                    "{running} {}s are running already (at most {} at once): wait for one to finish or cancel one",
                    self.policy.what, self.policy.max_running
                )));
            }
            let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
            let entry = Arc::new(Entry {
                record: Mutex::new(record(format!("{}{n}", self.policy.id_prefix))),
                cancel: CancellationToken::new(),
                join: Mutex::new(None),
            });
            Self::push(&self.policy, &mut list, entry.clone());
            entry
        };
        let first = lock(&entry.record).clone();
        let handle = JobHandle {
            entry: entry.clone(),
            events: self.events.clone(),
            every: self.policy.event_every,
            last_event: Mutex::new(Instant::now()),
        };
        let join = tokio::spawn(run(handle));
        *lock(&entry.join) = Some(join);
        Ok(first)
    }

    /// A job's current record.
    pub fn get(&self, id: &str) -> Result<J> {
        Ok(lock(&self.find(id)?.record).clone())
    }

    /// Asks a running job to stop; answers its record (it becomes cancelled shortly after).
    pub fn cancel(&self, id: &str) -> Result<J> {
        let e = self.find(id)?;
        e.cancel.cancel();
        let record = lock(&e.record).clone();
        Ok(record)
    }

    /// Every remembered job, newest first.
    pub fn list(&self) -> Vec<J> {
        lock(&self.list)
            .iter()
            .rev()
            .map(|e| lock(&e.record).clone())
            .collect()
    }

    /// Cancels every running job and waits for them to finish (aborting those that take longer
    /// than a few seconds to notice).
    pub async fn shutdown(&self) {
        let joins: Vec<JoinHandle<()>> = lock(&self.list)
            .iter()
            .filter_map(|e| {
                e.cancel.cancel();
                lock(&e.join).take()
            })
            .collect();
        let deadline = tokio::time::Instant::now() + SHUTDOWN_WAIT;
        for mut join in joins {
            if tokio::time::timeout_at(deadline, &mut join).await.is_err() {
                tracing::warn!(
                    what = self.policy.what,
                    "a job did not stop in time; aborted"
                );
                join.abort();
            }
        }
    }

    fn push(policy: &Policy, list: &mut VecDeque<Arc<Entry<J>>>, e: Arc<Entry<J>>) {
        while list.len() >= policy.keep {
            match list.iter().position(|e| !lock(&e.record).is_running()) {
                Some(i) => {
                    list.remove(i);
                }
                None => break,
            }
        }
        list.push_back(e);
    }

    fn find(&self, id: &str) -> Result<Arc<Entry<J>>> {
        lock(&self.list)
            .iter()
            .find(|e| lock(&e.record).id() == id)
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no {} {id:?} (the last {} are kept in memory)",
                    self.policy.what, self.policy.keep
                ))
            })
    }
}

impl<J: Record> Drop for Registry<J> {
    fn drop(&mut self) {
        for e in lock(&self.list).iter() {
            e.cancel.cancel();
        }
    }
}

impl<J: Record> JobHandle<J> {
    /// Fires when the job is cancelled (by `cancel`, shutdown, or the service being dropped).
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.entry.cancel
    }

    /// True once the job was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.entry.cancel.is_cancelled()
    }

    /// The job's current record.
    pub fn record(&self) -> J {
        lock(&self.entry.record).clone()
    }

    /// Changes the record; publishes it if the last event is older than the registry's rate.
    pub fn update(&self, change: impl FnOnce(&mut J)) {
        let snapshot = {
            let mut r = lock(&self.entry.record);
            change(&mut r);
            let mut last = lock(&self.last_event);
            if last.elapsed() < self.every || !self.events.is_listened() {
                return;
            }
            *last = Instant::now();
            r.clone()
        };
        publish(&self.events, &snapshot);
    }

    /// The final change (the outcome); always published. Answers the final record.
    pub fn finish(self, change: impl FnOnce(&mut J)) -> J {
        let record = {
            let mut r = lock(&self.entry.record);
            change(&mut r);
            r.clone()
        };
        publish(&self.events, &record);
        record
    }
}

impl<J: Outcome> JobHandle<J> {
    /// Ends the job with its outcome, by one rule for every feature: a job asked to stop is
    /// `cancelled` (whatever it returned: a cancelled scan may end early or with an error), else
    /// `done` or `failed` with the error's text. `keep` stores a successful run's result (also
    /// a cancelled one's partial result) in the record.
    pub fn conclude<T>(self, outcome: Result<T>, keep: impl FnOnce(&mut J, T)) -> J {
        let cancelled = self.is_cancelled();
        self.finish(|j| {
            let (state, error) = match outcome {
                Ok(value) => {
                    keep(j, value);
                    (
                        if cancelled {
                            JobState::Cancelled
                        } else {
                            JobState::Done
                        },
                        None,
                    )
                }
                Err(_) if cancelled => (JobState::Cancelled, None),
                Err(e) => (JobState::Failed, Some(e.to_string())),
            };
            j.set_outcome(state, error, now_ms());
        })
    }
}

/// Publishes a record as a `job` event (it must serialise to a JSON object).
fn publish<J: Record>(events: &Publisher<serde_json::Value>, record: &J) {
    if !events.is_listened() {
        return;
    }
    match serde_json::to_value(record) {
        Ok(v @ serde_json::Value::Object(_)) => events.publish(v),
        Ok(_) => tracing::warn!("a job event must be a JSON object; not published"),
        Err(e) => tracing::warn!(error = %e, "job event not serialisable"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Bus;

    #[derive(Debug, Clone, Serialize)]
    struct Count {
        id: String,
        running: bool,
        n: u64,
    }

    impl Record for Count {
        fn id(&self) -> &str {
            &self.id
        }
        fn is_running(&self) -> bool {
            self.running
        }
    }

    fn registry(bus: &Bus<serde_json::Value>, keep: usize) -> Registry<Count> {
        Registry::new(
            Policy {
                what: "count",
                id_prefix: "c",
                keep,
                event_every: Duration::ZERO,
                max_running: 2,
            },
            bus.publisher(|v| v),
        )
    }

    /// A job counting until cancelled, then reporting how far it got.
    async fn counting(job: JobHandle<Count>) {
        while !job.is_cancelled() {
            job.update(|c| c.n += 1);
            tokio::task::yield_now().await;
        }
        job.finish(|c| c.running = false);
    }

    fn new_count(id: String) -> Count {
        Count {
            id,
            running: true,
            n: 0,
        }
    }

    #[tokio::test]
    async fn jobs_report_progress_until_cancelled_and_the_oldest_finished_are_forgotten() {
        let bus = Bus::new(64);
        let mut rx = bus.subscribe();
        let jobs = registry(&bus, 2);
        let first = jobs.start(new_count, counting).unwrap();
        assert_eq!((first.id.as_str(), first.running), ("c1", true));
        let progress = rx.recv().await.unwrap();
        assert_eq!(progress["id"], "c1");
        jobs.cancel("c1").unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while jobs.get("c1").unwrap().running {
            assert!(Instant::now() < deadline, "the job did not stop");
            tokio::task::yield_now().await;
        }
        jobs.start(new_count, counting).unwrap();
        jobs.start(new_count, counting).unwrap();
        let ids: Vec<String> = jobs.list().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["c3", "c2"], "c1 (finished) made room");
        assert_eq!(
            jobs.get("c1").unwrap_err().kind(),
            redscope::ErrorKind::NotFound
        );
        jobs.shutdown().await;
        assert!(jobs.list().iter().all(|c| !c.running), "shutdown waits");
    }

    #[tokio::test]
    async fn dropping_the_registry_cancels_its_running_jobs() {
        let bus = Bus::new(64);
        let mut rx = bus.subscribe();
        let jobs = registry(&bus, 10);
        jobs.start(new_count, counting).unwrap();
        drop(jobs);
        let deadline = Duration::from_secs(5);
        let stopped = tokio::time::timeout(deadline, async {
            loop {
                match rx.recv().await {
                    Ok(v) if v["running"] == false => return v,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => panic!("bus closed before the job stopped: {e}"),
                }
            }
        })
        .await
        .expect("the job stopped after its registry was dropped");
        assert_eq!(stopped["id"], "c1");
    }

    #[tokio::test]
    async fn a_job_beyond_the_running_cap_is_refused_until_one_ends() {
        let bus = Bus::new(1024);
        let jobs = registry(&bus, 10);
        jobs.start(new_count, counting).unwrap();
        jobs.start(new_count, counting).unwrap();
        let refused = jobs.start(new_count, counting).unwrap_err();
        assert_eq!(refused.kind(), redscope::ErrorKind::Busy, "{refused}");
        assert_eq!(jobs.list().len(), 2, "a refused job leaves no record");
        jobs.cancel("c1").unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while jobs.get("c1").unwrap().running {
            assert!(Instant::now() < deadline, "the job did not stop");
            tokio::task::yield_now().await;
        }
        let third = jobs.start(new_count, counting).unwrap();
        assert_eq!(third.id, "c3");
        jobs.shutdown().await;
    }
}
