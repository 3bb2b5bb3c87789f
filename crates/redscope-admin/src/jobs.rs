//! Invalidation: delete keys by pattern or by one of the seeds' presets (exchange, symbol,
//! strategy signals, features of a symbol or of a date). A dry run counts and samples with
//! SCAN only; a confirmed run is a [`Job`] (progress, cancel, final report) running
//! [`keyspace::unlink_matching_all`] in the background. Jobs are kept in memory, the most
//! recent [`MAX_JOBS`], and every change is published as a `job` event.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::bytes::Bytes;
use super::AdminService;
use redscope::error::{Error, Result};
use redscope::keyspace::{self, ScanOptions, ScanProgress};

/// Most jobs remembered (the oldest finished ones are forgotten first).
pub const MAX_JOBS: usize = 100;
/// Keys a dry run returns as a sample.
pub const SAMPLE: usize = 20;
/// Least time between two progress events of a job.
const EVENT_EVERY: Duration = Duration::from_millis(100);

/// The seeds' invalidation presets, each expanding to key patterns.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum PresetKind {
    /// Everything cached for an exchange: `market:*:{exchange}:*`.
    Exchange,
    /// Everything cached for a symbol on any exchange: `market:*:{symbol}`.
    Symbol,
    /// Strategy signals: `market:signal:{strategy}:*` (every strategy when the value is empty).
    Signals,
    /// Feature vectors of a symbol: `features:{symbol}:*`.
    FeaturesSymbol,
    /// Feature vectors of a date: `features:*:{date}`.
    FeaturesDate,
}

/// A preset and its value (exchange name, symbol, strategy, date).
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Preset {
    pub kind: PresetKind,
    #[serde(default)]
    pub value: String,
}

/// Request of `invalidate`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct InvalidateRequest {
    /// A glob pattern (exactly one of `pattern` and `preset`).
    pub pattern: Option<String>,
    /// A preset.
    pub preset: Option<Preset>,
    /// Count and sample only (the default); `false` deletes.
    #[serde(default = "yes")]
    #[ts(as = "Option<bool>")]
    pub dry_run: bool,
    /// Required for a real run.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

fn yes() -> bool {
    true
}

/// What `invalidate` answers: a dry run's count and sample, or the started job.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(untagged)]
pub enum InvalidateReply {
    /// Keys that would be deleted.
    DryRun {
        count: u64,
        sample: Vec<Bytes>,
        patterns: Vec<String>,
    },
    /// The running job.
    Started(Job),
}

/// State of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Done,
    Cancelled,
    Failed,
}

/// A long operation's progress and outcome.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Job {
    /// Identifier, for `GET /api/jobs/{id}`.
    pub id: String,
    /// `invalidate`.
    pub kind: String,
    pub state: JobState,
    /// The patterns, space-separated (see `patterns`).
    pub pattern: String,
    /// Every pattern the job deletes.
    pub patterns: Vec<String>,
    /// SCAN calls made so far.
    pub scanned: u64,
    /// Matching keys seen so far.
    pub matched: u64,
    /// Keys removed so far.
    pub deleted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    /// Start, ms since the Unix epoch.
    pub started_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub finished_ms: Option<i64>,
}

struct Entry {
    job: Mutex<Job>,
    cancel: CancellationToken,
}

/// The session's jobs (a field of the service).
#[derive(Default)]
pub(crate) struct Jobs {
    next_id: AtomicU64,
    list: Mutex<VecDeque<Arc<Entry>>>,
}

impl Drop for Jobs {
    fn drop(&mut self) {
        if let Ok(list) = self.list.lock() {
            for e in list.iter() {
                e.cancel.cancel();
            }
        }
    }
}

/// The patterns a request names (a pattern, or a preset's expansion with its value escaped).
pub fn patterns_of(pattern: Option<&str>, preset: Option<&Preset>) -> Result<Vec<String>> {
    match (pattern.filter(|p| !p.is_empty()), preset) {
        (Some(p), None) => Ok(vec![p.to_string()]),
        (None, Some(preset)) => {
            let v = preset.value.trim();
            if v.is_empty() && preset.kind != PresetKind::Signals {
                return Err(Error::InvalidInput(format!(
                    "the {:?} preset needs a value",
                    preset.kind
                )));
            }
            use redscope::market::patterns;
            Ok(vec![match preset.kind {
                PresetKind::Exchange => patterns::exchange(v)?,
                PresetKind::Symbol => patterns::symbol(v)?,
                PresetKind::Signals => patterns::signals(Some(v).filter(|v| !v.is_empty()))?,
                PresetKind::FeaturesSymbol => patterns::features_of_symbol(v)?,
                PresetKind::FeaturesDate => patterns::features_of_date(v)?,
            }])
        }
        (Some(_), Some(_)) => Err(Error::InvalidInput(
            "give either pattern or preset, not both".into(),
        )),
        (None, None) => Err(Error::InvalidInput("pattern or preset is required".into())),
    }
}

impl AdminService {
    /// A dry run (count and sample) or, with `confirm`, a background job deleting the keys.
    pub async fn invalidate(&self, req: InvalidateRequest) -> Result<InvalidateReply> {
        let patterns = patterns_of(req.pattern.as_deref(), req.preset.as_ref())?;
        if req.dry_run {
            let conn = self.conn().await?;
            let never = CancellationToken::new();
            let mut count = 0;
            let mut sample = Vec::new();
            for p in &patterns {
                let (progress, keys) = keyspace::count_matching_all(
                    &conn,
                    p,
                    SAMPLE.saturating_sub(sample.len()),
                    &ScanOptions::default(),
                    &never,
                )
                .await?;
                count += progress.matched;
                sample.extend(keys.iter().map(|k| Bytes::new(k)));
            }
            return Ok(InvalidateReply::DryRun {
                count,
                sample,
                patterns,
            });
        }
        self.ensure_writable("deleting keys by pattern")?;
        if !req.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "deleting every key matching {} needs confirm: true (try dry_run first)",
                patterns.join(" ")
            )));
        }
        let conn = self.conn().await?;
        let entry = Arc::new(Entry {
            job: Mutex::new(Job {
                id: (self.inner.jobs.next_id.fetch_add(1, Ordering::Relaxed) + 1).to_string(),
                kind: "invalidate".into(),
                state: JobState::Running,
                pattern: patterns.join(" "),
                patterns: patterns.clone(),
                scanned: 0,
                matched: 0,
                deleted: 0,
                error: None,
                started_ms: chrono::Utc::now().timestamp_millis(),
                finished_ms: None,
            }),
            cancel: CancellationToken::new(),
        });
        self.inner.jobs.push(entry.clone());
        let job = snapshot(&entry);
        tracing::info!(id = %job.id, pattern = %job.pattern, "invalidation job started");
        let events = self.inner.live.bus.clone();
        let service = self.clone();
        tokio::spawn(async move {
            let mut base = ScanProgress::default();
            let mut last_event = Instant::now();
            let mut outcome = Ok(false);
            for p in &patterns {
                let on_progress = |sp: &ScanProgress| {
                    update(&entry, &base, sp);
                    if last_event.elapsed() >= EVENT_EVERY {
                        last_event = Instant::now();
                        publish(&events, &snapshot(&entry));
                    }
                };
                match keyspace::unlink_matching_all(
                    &conn,
                    p,
                    &ScanOptions::default(),
                    &entry.cancel,
                    on_progress,
                )
                .await
                {
                    Ok(sp) => {
                        update(&entry, &base, &sp);
                        base.pages += sp.pages;
                        base.matched += sp.matched;
                        base.deleted += sp.deleted;
                        if sp.cancelled {
                            outcome = Ok(true);
                            break;
                        }
                    }
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            let final_job = {
                let mut job = entry.job.lock().unwrap_or_else(|p| p.into_inner());
                job.finished_ms = Some(chrono::Utc::now().timestamp_millis());
                match outcome {
                    Ok(false) => job.state = JobState::Done,
                    Ok(true) => job.state = JobState::Cancelled,
                    Err(e) => {
                        job.state = JobState::Failed;
                        job.error = Some(e.to_string());
                    }
                }
                job.clone()
            };
            service.inner.trees.clear();
            tracing::info!(
                id = %final_job.id,
                state = ?final_job.state,
                deleted = final_job.deleted,
                "invalidation job finished"
            );
            publish(&events, &final_job);
        });
        Ok(InvalidateReply::Started(job))
    }

    /// A job by id.
    pub fn job(&self, id: &str) -> Result<Job> {
        self.inner.jobs.find(id).map(|e| snapshot(&e))
    }

    /// Asks a running job to stop; returns its state (it becomes `cancelled` shortly after).
    pub fn job_cancel(&self, id: &str) -> Result<Job> {
        let e = self.inner.jobs.find(id)?;
        e.cancel.cancel();
        Ok(snapshot(&e))
    }

    /// Every remembered job, newest first.
    pub fn jobs(&self) -> Vec<Job> {
        let list = self
            .inner
            .jobs
            .list
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        list.iter().rev().map(|e| snapshot(e)).collect()
    }
}

impl Jobs {
    fn push(&self, e: Arc<Entry>) {
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        while list.len() >= MAX_JOBS {
            let finished = list.iter().position(|e| {
                e.job.lock().unwrap_or_else(|p| p.into_inner()).state != JobState::Running
            });
            match finished {
                Some(i) => {
                    list.remove(i);
                }
                None => break,
            }
        }
        list.push_back(e);
    }

    fn find(&self, id: &str) -> Result<Arc<Entry>> {
        let list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        list.iter()
            .find(|e| e.job.lock().unwrap_or_else(|p| p.into_inner()).id == id)
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no job {id:?} (jobs are kept in memory, the last {MAX_JOBS})"
                ))
            })
    }
}

fn update(entry: &Entry, base: &ScanProgress, sp: &ScanProgress) {
    let mut job = entry.job.lock().unwrap_or_else(|p| p.into_inner());
    job.scanned = base.pages + sp.pages;
    job.matched = base.matched + sp.matched;
    job.deleted = base.deleted + sp.deleted;
}

fn snapshot(entry: &Entry) -> Job {
    entry.job.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

fn publish(events: &tokio::sync::broadcast::Sender<super::events::Event>, job: &Job) {
    if events.receiver_count() == 0 {
        return;
    }
    if let Ok(v @ serde_json::Value::Object(_)) = serde_json::to_value(job) {
        let _ = events.send(super::events::Event::Job(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_expand_to_escaped_patterns() {
        let p = |kind, value: &str| {
            patterns_of(
                None,
                Some(&Preset {
                    kind,
                    value: value.into(),
                }),
            )
            .unwrap()
        };
        assert_eq!(p(PresetKind::Exchange, "binance"), ["market:*:binance:*"]);
        assert_eq!(p(PresetKind::Symbol, "BTC-USDT"), ["market:*:BTC-USDT"]);
        assert_eq!(p(PresetKind::Signals, ""), ["market:signal:*"]);
        assert_eq!(
            p(PresetKind::Signals, "momentum"),
            ["market:signal:momentum:*"]
        );
        assert_eq!(p(PresetKind::FeaturesSymbol, "AAPL"), ["features:AAPL:*"]);
        assert_eq!(
            p(PresetKind::FeaturesDate, "2025-01-17"),
            ["features:*:2025-01-17"]
        );
        assert_eq!(p(PresetKind::Exchange, "a*b"), ["market:*:a\\*b:*"]);
        assert!(patterns_of(None, None).is_err());
        assert!(patterns_of(
            None,
            Some(&Preset {
                kind: PresetKind::Exchange,
                value: " ".into()
            })
        )
        .is_err());
    }
}
