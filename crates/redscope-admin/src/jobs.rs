//! Invalidation: delete keys by pattern or by one of the market-data presets (exchange, symbol,
//! strategy signals, features of a symbol or of a date). A dry run counts and samples with
//! SCAN only; a confirmed run is a [`Job`] (progress, cancel, final report) running
//! [`keyspace::unlink_matching_all`] in the background. Jobs are kept in memory, the most
//! recent [`MAX_JOBS`], and every change is published as a `job` event.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::bytes::Bytes;
use super::events::Publisher;
pub use super::registry::JobState;
use super::registry::{now_ms, JobHandle, Policy, Registry};
use super::session::Session;
use super::tree::Trees;
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::keyspace::{self, ScanOptions, ScanProgress};

/// Most jobs remembered (the oldest finished ones are forgotten first).
pub const MAX_JOBS: usize = 100;
/// Invalidation jobs running at once; one more is refused (HTTP 429) until one ends.
pub const MAX_RUNNING: usize = 4;
/// Keys a dry run returns as a sample.
pub const SAMPLE: usize = 20;
/// Least time between two progress events of a job.
const EVENT_EVERY: Duration = Duration::from_millis(100);

/// The market-data invalidation presets, each expanding to key patterns.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum PresetKind {
    /// Everything cached for an exchange: `ticker:{exchange}:*`, `orderbook:{exchange}:*`, …
    Exchange,
    /// Everything cached for a symbol on any exchange: `ticker:*:{symbol}`, `quote:{symbol}`, …
    Symbol,
    /// Strategy signals: `signal:{strategy}:*` (every strategy when the value is empty).
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

crate::registry::job_record!(Job);

/// Invalidation of one session: dry runs and deletion jobs.
pub struct Jobs {
    session: Arc<Session>,
    /// Counts cached before a deletion are stale after it (weak: a job never keeps it alive).
    trees: Weak<Trees>,
    registry: Registry<Job>,
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
            Ok(match preset.kind {
                PresetKind::Exchange => patterns::exchange(v)?,
                PresetKind::Symbol => patterns::symbol(v)?,
                PresetKind::Signals => {
                    vec![patterns::signals(Some(v).filter(|v| !v.is_empty()))?]
                }
                PresetKind::FeaturesSymbol => vec![patterns::features_of_symbol(v)?],
                PresetKind::FeaturesDate => vec![patterns::features_of_date(v)?],
            })
        }
        (Some(_), Some(_)) => Err(Error::InvalidInput(
            "give either pattern or preset, not both".into(),
        )),
        (None, None) => Err(Error::InvalidInput("pattern or preset is required".into())),
    }
}

impl Jobs {
    pub(crate) fn new(
        session: Arc<Session>,
        trees: &Arc<Trees>,
        events: Publisher<serde_json::Value>,
    ) -> Self {
        let policy = Policy {
            what: "job",
            id_prefix: "",
            keep: MAX_JOBS,
            event_every: EVENT_EVERY,
            max_running: MAX_RUNNING,
        };
        Jobs {
            session,
            trees: Arc::downgrade(trees),
            registry: Registry::new(policy, events),
        }
    }

    /// A dry run (count and sample) or, with `confirm`, a background job deleting the keys.
    pub async fn invalidate(&self, req: InvalidateRequest) -> Result<InvalidateReply> {
        let patterns = patterns_of(req.pattern.as_deref(), req.preset.as_ref())?;
        if req.dry_run {
            let conn = self.session.conn().await?;
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
        self.session.ensure_writable("deleting keys by pattern")?;
        if !req.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "deleting every key matching {} needs confirm: true (try dry_run first)",
                patterns.join(" ")
            )));
        }
        self.session.ensure_open("an invalidation job")?;
        let conn = self.session.conn().await?;
        let trees = self.trees.clone();
        let listed = patterns.clone();
        let record = |id| Job {
            id,
            kind: "invalidate".into(),
            state: JobState::Running,
            pattern: listed.join(" "),
            patterns: listed,
            scanned: 0,
            matched: 0,
            deleted: 0,
            error: None,
            started_ms: now_ms(),
            finished_ms: None,
        };
        let job = self
            .registry
            .start(record, |job| unlink_all(job, conn, patterns, trees))?;
        tracing::info!(id = %job.id, pattern = %job.pattern, "invalidation job started");
        Ok(InvalidateReply::Started(job))
    }

    /// A job by id.
    pub fn get(&self, id: &str) -> Result<Job> {
        self.registry.get(id)
    }

    /// Asks a running job to stop; returns its state (it becomes `cancelled` shortly after).
    pub fn cancel(&self, id: &str) -> Result<Job> {
        self.registry.cancel(id)
    }

    /// Every remembered job, newest first.
    pub fn list(&self) -> Vec<Job> {
        self.registry.list()
    }

    /// Cancels every running job and waits for it to stop.
    pub(crate) async fn shutdown(&self) {
        self.registry.shutdown().await;
    }
}

/// The job: UNLINK every key matching each pattern in turn, then report.
async fn unlink_all(job: JobHandle<Job>, conn: Conn, patterns: Vec<String>, trees: Weak<Trees>) {
    let mut base = ScanProgress::default();
    let mut outcome = Ok(false);
    let cancel = job.cancel_token().clone();
    for p in &patterns {
        let on_progress = |sp: &ScanProgress| job.update(|j| count(j, &base, sp));
        match keyspace::unlink_matching_all(&conn, p, &ScanOptions::default(), &cancel, on_progress)
            .await
        {
            Ok(sp) => {
                job.update(|j| count(j, &base, &sp));
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
    if let Some(trees) = trees.upgrade() {
        trees.clear();
    }
    let job = job.conclude(outcome, |_, _stopped_early| ());
    tracing::info!(
        id = %job.id,
        state = ?job.state,
        deleted = job.deleted,
        "invalidation job finished"
    );
}

fn count(job: &mut Job, base: &ScanProgress, sp: &ScanProgress) {
    job.scanned = base.pages + sp.pages;
    job.matched = base.matched + sp.matched;
    job.deleted = base.deleted + sp.deleted;
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
        let ex = p(PresetKind::Exchange, "binance");
        assert_eq!(ex[0], "ticker:binance:*");
        assert!(ex.contains(&"candles:1m:binance:*".to_string()), "{ex:?}");
        let sym = p(PresetKind::Symbol, "BTC-USDT");
        assert_eq!(sym[0], "ticker:*:BTC-USDT");
        assert!(sym.contains(&"quote:BTC-USDT".to_string()), "{sym:?}");
        assert_eq!(p(PresetKind::Signals, ""), ["signal:*"]);
        assert_eq!(p(PresetKind::Signals, "momentum"), ["signal:momentum:*"]);
        assert_eq!(p(PresetKind::FeaturesSymbol, "AAPL"), ["features:AAPL:*"]);
        assert_eq!(
            p(PresetKind::FeaturesDate, "2025-01-17"),
            ["features:*:2025-01-17"]
        );
        assert_eq!(p(PresetKind::Exchange, "a*b")[0], "ticker:a\\*b:*");
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
