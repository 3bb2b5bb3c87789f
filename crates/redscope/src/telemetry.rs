//! Service telemetry: every process using the library reports how its Redis layer behaves.
//! A [`Telemetry`] reporter publishes a `HEARTBEAT` envelope on `trading:system` and keeps a
//! small hash `redscope:clients:{service}:{instance}` (TTL 3 × interval) with its figures.
//!
//! # What the hash holds
//!
//! Flat string fields, readable from `redis-cli` or redis-py:
//!
//! | field | meaning |
//! |---|---|
//! | `service`, `instance`, `version`, `host`, `pid` | who reports |
//! | `started_ms`, `updated_ms`, `uptime_s`, `interval_ms` | when |
//! | `type:{data type}:hits` / `:misses` / `:hit_rate` | cache reads per data type (all registered caches) |
//! | `breaker:{cache}:state` / `:trips` / `:rejected` | each cache's circuit breaker |
//! | `ratelimit:{name}:allowed` / `:rejected` | each registered rate limiter |
//! | `lock:{name}:waits` / `:timeouts` / `:lost` / `:acquired` | each registered lock manager |
//! | `group:{stream}\|{group}:lag` / `:pending` | each watched consumer group |
//! | `ttl:{data type}:ms` | TTL policy entries that differ from the defaults |
//!
//! The reporter never fails its host: a Redis outage is logged once when it starts and once
//! when it ends. Opt out with [`TelemetryBuilder::enabled`] or `REDSCOPE_TELEMETRY=0`.
//!
//! ```no_run
//! # async fn demo(cache: redscope::cache::Cache) -> redscope::Result<()> {
//! use redscope::telemetry::Telemetry;
//! let telemetry = Telemetry::builder(cache.conn().clone(), "pricer")
//!     .cache(cache.clone())
//!     .start();
//! // ... the service runs ...
//! telemetry.stop().await; // removes the hash and says so on `trading:system`
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cache::{Cache, CounterSnapshot};
use crate::conn::Conn;
use crate::error::{Error, Result};
use crate::events::{channels, Envelope, Heartbeat, Payload};
use crate::lock::LockManager;
use crate::ratelimit::RateLimiter;
use crate::stream::MarketDataStream;

/// Prefix of the telemetry hashes: `redscope:clients:{service}:{instance}`.
pub const CLIENTS_PREFIX: &str = "redscope:clients:";
/// Default reporting interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Environment variable that turns telemetry off when `0`, `false`, `off` or `no`.
pub const ENV_SWITCH: &str = "REDSCOPE_TELEMETRY";
/// The library version written into every report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds a [`Telemetry`] reporter: what it reports on and how often.
pub struct TelemetryBuilder {
    conn: Conn,
    service: String,
    instance: Option<String>,
    interval: Duration,
    enabled: bool,
    caches: Vec<Cache>,
    limiters: Vec<(String, RateLimiter)>,
    locks: Vec<(String, LockManager)>,
    groups: Vec<(MarketDataStream, String)>,
}

impl TelemetryBuilder {
    /// The instance name (default `{host}-{pid}`).
    pub fn instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// How often to report (default 5 s, at least 50 ms); the hash lives 3 intervals.
    pub fn interval(mut self, every: Duration) -> Self {
        self.interval = every.max(Duration::from_millis(50));
        self
    }

    /// Turns reporting on or off (`REDSCOPE_TELEMETRY=0` turns it off regardless).
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }

    /// Reports this cache's per-data-type counters and its circuit breaker.
    pub fn cache(mut self, cache: Cache) -> Self {
        self.caches.push(cache);
        self
    }

    /// Reports this rate limiter's allowed/rejected counts under `name`.
    pub fn rate_limiter(mut self, name: impl Into<String>, limiter: RateLimiter) -> Self {
        self.limiters.push((name.into(), limiter));
        self
    }

    /// Reports this lock manager's waits, timeouts and losses under `name`.
    pub fn locks(mut self, name: impl Into<String>, locks: LockManager) -> Self {
        self.locks.push((name.into(), locks));
        self
    }

    /// Reports lag and pending count of consumer group `group` on `stream`.
    pub fn consumer_group(mut self, stream: MarketDataStream, group: impl Into<String>) -> Self {
        self.groups.push((stream, group.into()));
        self
    }

    /// Starts reporting (needs a tokio runtime). A disabled reporter does nothing.
    pub fn start(self) -> Telemetry {
        let mut enabled = self.enabled && env_allows(std::env::var(ENV_SWITCH).ok().as_deref());
        if enabled && tokio::runtime::Handle::try_current().is_err() {
            // Never fail the host: without a runtime there is nothing to report from.
            tracing::warn!(service = %self.service, "telemetry needs a tokio runtime; not reporting");
            enabled = false;
        }
        let instance = self.instance.clone().unwrap_or_else(default_instance);
        let reporter = Reporter {
            conn: self.conn,
            key: client_key(&self.service, &instance),
            service: self.service,
            instance,
            interval: self.interval,
            started: Instant::now(),
            started_ms: now_ms(),
            counts: Arc::default(),
            source: Sources {
                caches: self.caches,
                limiters: self.limiters,
                locks: self.locks,
                groups: self.groups,
            },
        };
        let cancel = CancellationToken::new();
        let task = if enabled {
            let (r, token) = (reporter.clone(), cancel.clone());
            Some(tokio::spawn(async move { r.run(token).await }))
        } else {
            tracing::debug!(service = %reporter.service, "telemetry disabled");
            None
        };
        Telemetry {
            enabled,
            cancel,
            task,
            reporter,
        }
    }
}

/// What a reporter reads its figures from.
#[derive(Clone, Default)]
struct Sources {
    caches: Vec<Cache>,
    limiters: Vec<(String, RateLimiter)>,
    locks: Vec<(String, LockManager)>,
    groups: Vec<(MarketDataStream, String)>,
}

/// A running telemetry reporter. [`Telemetry::stop`] removes its hash; dropping it stops
/// reporting without cleanup (the hash then expires after its TTL, as for a crashed process).
pub struct Telemetry {
    enabled: bool,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
    reporter: Reporter,
}

impl Telemetry {
    /// A builder reporting through `conn` as `service`.
    pub fn builder(conn: Conn, service: impl Into<String>) -> TelemetryBuilder {
        TelemetryBuilder {
            conn,
            service: service.into(),
            instance: None,
            interval: DEFAULT_INTERVAL,
            enabled: true,
            caches: Vec::new(),
            limiters: Vec::new(),
            locks: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// The hash this reporter keeps.
    pub fn key(&self) -> &str {
        &self.reporter.key
    }

    /// Whether it reports (false when disabled by the builder or the environment).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The figures a report would carry now (without consumer groups, which need Redis).
    pub fn snapshot(&self) -> Report {
        self.reporter.local_report()
    }

    /// Reports, heartbeats and failures so far.
    pub fn stats(&self) -> TelemetryStats {
        let c = &self.reporter.counts;
        TelemetryStats {
            reports: c.reports.load(Ordering::Relaxed),
            heartbeats: c.heartbeats.load(Ordering::Relaxed),
            failures: c.failures.load(Ordering::Relaxed),
        }
    }

    /// Stops reporting without cleanup, like a crash: the hash expires after its TTL.
    pub fn abort(mut self) {
        self.cancel.cancel();
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Stops reporting, deletes the hash and publishes a last heartbeat with `status: stopped`;
    /// returns what it did. Errors are logged, never returned: stopping must not fail the host.
    pub async fn stop(mut self) -> TelemetryStats {
        self.cancel.cancel();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        if !self.enabled {
            return self.stats();
        }
        let r = &self.reporter;
        let mut c = r.conn.clone();
        let mut del = redis::cmd("DEL");
        del.arg(&r.key);
        match tokio::time::timeout(Duration::from_secs(2), del.query_async::<i64>(&mut c)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(key = %r.key, "telemetry: the hash was not removed: {e}"),
            Err(_) => tracing::warn!(key = %r.key, "telemetry: the hash was not removed (timeout)"),
        }
        let mut data = Map::new();
        data.insert("service".into(), r.service.clone().into());
        data.insert("instance".into(), r.instance.clone().into());
        data.insert("key".into(), r.key.clone().into());
        data.insert("status".into(), "stopped".into());
        if let Ok(Ok(())) = tokio::time::timeout(
            Duration::from_secs(2),
            publish_heartbeat(&r.conn, &r.service, data),
        )
        .await
        {
            r.counts.heartbeats.fetch_add(1, Ordering::Relaxed);
        }
        self.stats()
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// One report: the hash fields, as typed figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Cache reads per data type, summed over every registered cache.
    pub types: BTreeMap<String, CounterSnapshot>,
    /// Circuit breaker per cache name: (state, trips, rejected).
    pub breakers: BTreeMap<String, (String, u64, u64)>,
    /// Rate limiter per name: (allowed, rejected).
    pub rate_limits: BTreeMap<String, (u64, u64)>,
    /// Lock manager per name: (acquired, waits, timeouts, lost).
    pub locks: BTreeMap<String, (u64, u64, u64, u64)>,
    /// Consumer group per `{stream}|{group}`: (lag, pending); lag is absent when Redis can't tell.
    pub groups: BTreeMap<String, (Option<u64>, u64)>,
    /// TTL policy entries that differ from the defaults (data type → ms), so the app judges
    /// this client's keys by the policy it really uses.
    pub ttl_overrides: BTreeMap<String, u64>,
    /// The other fields (service, instance, version, host, pid, times).
    pub meta: BTreeMap<String, String>,
}

impl Report {
    /// The flat hash fields this report is stored as.
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = self
            .meta
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (t, c) in &self.types {
            f.push((format!("type:{t}:hits"), c.hits.to_string()));
            f.push((format!("type:{t}:misses"), c.misses.to_string()));
            f.push((format!("type:{t}:hit_rate"), format!("{:.4}", c.hit_rate)));
        }
        for (name, (state, trips, rejected)) in &self.breakers {
            f.push((format!("breaker:{name}:state"), state.clone()));
            f.push((format!("breaker:{name}:trips"), trips.to_string()));
            f.push((format!("breaker:{name}:rejected"), rejected.to_string()));
        }
        for (name, (allowed, rejected)) in &self.rate_limits {
            f.push((format!("ratelimit:{name}:allowed"), allowed.to_string()));
            f.push((format!("ratelimit:{name}:rejected"), rejected.to_string()));
        }
        for (name, (acquired, waits, timeouts, lost)) in &self.locks {
            f.push((format!("lock:{name}:acquired"), acquired.to_string()));
            f.push((format!("lock:{name}:waits"), waits.to_string()));
            f.push((format!("lock:{name}:timeouts"), timeouts.to_string()));
            f.push((format!("lock:{name}:lost"), lost.to_string()));
        }
        for (name, ms) in &self.ttl_overrides {
            f.push((format!("ttl:{name}:ms"), ms.to_string()));
        }
        for (name, (lag, pending)) in &self.groups {
            if let Some(lag) = lag {
                f.push((format!("group:{name}:lag"), lag.to_string()));
            }
            f.push((format!("group:{name}:pending"), pending.to_string()));
        }
        f
    }
}

/// What a reporter has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TelemetryStats {
    /// Hash writes that succeeded.
    pub reports: u64,
    /// `HEARTBEAT`s published (the last one says `stopped` after [`Telemetry::stop`]).
    pub heartbeats: u64,
    /// Reports that failed (Redis down or slow).
    pub failures: u64,
}

#[derive(Default)]
struct Counts {
    reports: AtomicU64,
    heartbeats: AtomicU64,
    failures: AtomicU64,
}

#[derive(Clone)]
struct Reporter {
    counts: Arc<Counts>,
    conn: Conn,
    key: String,
    service: String,
    instance: String,
    interval: Duration,
    started: Instant,
    started_ms: i64,
    source: Sources,
}

impl Reporter {
    async fn run(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut up = true;
        tracing::debug!(key = %self.key, interval_ms = self.interval.as_millis() as u64, "telemetry started");
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            // A report never takes longer than one interval (a paused server must not pile up);
            // one under way finishes before a stop, so what was published is counted.
            let outcome = tokio::time::timeout(self.interval, self.report_once())
                .await
                .unwrap_or(Err(Error::Timeout(self.interval)));
            if outcome.is_err() {
                self.counts.failures.fetch_add(1, Ordering::Relaxed);
            }
            match (outcome, up) {
                (Ok(()), false) => {
                    up = true;
                    tracing::info!(key = %self.key, "telemetry: reporting again");
                }
                (Err(e), true) => {
                    up = false;
                    tracing::warn!(key = %self.key, "telemetry: cannot report, will keep trying: {e}");
                }
                _ => {}
            }
        }
        tracing::debug!(key = %self.key, "telemetry stopped");
    }

    /// Figures read from memory (no Redis call).
    fn local_report(&self) -> Report {
        let mut r = Report::default();
        for cache in &self.source.caches {
            let stats = cache.stats();
            for (t, c) in stats.by_type {
                let e = r.types.entry(t).or_default();
                e.hits += c.hits;
                e.misses += c.misses;
                e.errors += c.errors;
                e.writes += c.writes;
                e.skipped_writes += c.skipped_writes;
                e.computes += c.computes;
            }
            let name = cache.options().name.clone();
            let b = stats.breaker;
            let state = serde_json::to_value(b.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            r.breakers.insert(name, (state, b.trips, b.rejected));
            for (t, ttl) in cache.ttl_policy().snapshot() {
                let default = crate::ttl::DataType::from_name(&t).map(|d| d.default_ttl());
                if default != Some(ttl) {
                    r.ttl_overrides.insert(t, ttl.as_millis() as u64);
                }
            }
        }
        for c in r.types.values_mut() {
            let reads = c.hits + c.misses;
            c.hit_rate = if reads == 0 {
                0.0
            } else {
                c.hits as f64 / reads as f64
            };
        }
        for (name, l) in &self.source.limiters {
            let c = l.counts();
            r.rate_limits.insert(name.clone(), (c.allowed, c.rejected));
        }
        for (name, l) in &self.source.locks {
            let c = l.counts();
            r.locks
                .insert(name.clone(), (c.acquired, c.waits, c.timeouts, c.lost));
        }
        let now = now_ms();
        let m = &mut r.meta;
        m.insert("service".into(), self.service.clone());
        m.insert("instance".into(), self.instance.clone());
        m.insert("version".into(), VERSION.into());
        m.insert("host".into(), host_name());
        m.insert("pid".into(), std::process::id().to_string());
        m.insert("started_ms".into(), self.started_ms.to_string());
        m.insert("updated_ms".into(), now.to_string());
        m.insert(
            "uptime_s".into(),
            self.started.elapsed().as_secs().to_string(),
        );
        m.insert("interval_ms".into(), self.interval.as_millis().to_string());
        r
    }

    async fn report_once(&self) -> Result<()> {
        let mut report = self.local_report();
        for (stream, group) in &self.source.groups {
            let name = format!("{}|{group}", stream.name());
            match stream.groups().await {
                Ok(gs) => {
                    if let Some(g) = gs.iter().find(|g| &g.name == group) {
                        report.groups.insert(name, (g.lag, g.pending));
                    }
                }
                Err(e) => tracing::debug!(%name, "telemetry: group figures unavailable: {e}"),
            }
        }
        let ttl_ms = (self.interval.as_millis() as u64).saturating_mul(3);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("DEL")
            .arg(&self.key)
            .ignore()
            .cmd("HSET")
            .arg(&self.key)
            .arg(report.fields())
            .ignore()
            .cmd("PEXPIRE")
            .arg(&self.key)
            .arg(ttl_ms)
            .ignore();
        let mut c = self.conn.clone();
        pipe.query_async::<()>(&mut c).await?;
        self.counts.reports.fetch_add(1, Ordering::Relaxed);
        let mut data = Map::new();
        data.insert("service".into(), self.service.clone().into());
        data.insert("instance".into(), self.instance.clone().into());
        data.insert("key".into(), self.key.clone().into());
        data.insert("status".into(), "alive".into());
        data.insert(
            "interval_ms".into(),
            (self.interval.as_millis() as u64).into(),
        );
        data.insert("uptime_s".into(), self.started.elapsed().as_secs().into());
        data.insert("version".into(), VERSION.into());
        publish_heartbeat(&self.conn, &self.service, data).await?;
        self.counts.heartbeats.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Publishes a `HEARTBEAT` envelope with `data` on `trading:system`.
async fn publish_heartbeat(conn: &Conn, source: &str, data: Map<String, Value>) -> Result<()> {
    let env = Envelope::from_payload(source, &Payload::Heartbeat(Heartbeat { extra: data }))?;
    let body = serde_json::to_vec(&env)?;
    let mut c = conn.clone();
    redis::cmd("PUBLISH")
        .arg(channels::SYSTEM)
        .arg(body)
        .query_async::<u64>(&mut c)
        .await?;
    Ok(())
}

/// `redscope:clients:{service}:{instance}`.
pub fn client_key(service: &str, instance: &str) -> String {
    format!("{CLIENTS_PREFIX}{service}:{instance}")
}

/// Whether the `REDSCOPE_TELEMETRY` value leaves telemetry on.
pub fn env_allows(value: Option<&str>) -> bool {
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("0" | "false" | "off" | "no")
    )
}

fn default_instance() -> String {
    format!("{}-{}", host_name(), std::process::id())
}

fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_reads_common_spellings() {
        assert!(env_allows(None));
        assert!(env_allows(Some("1")));
        assert!(!env_allows(Some("0")));
        assert!(!env_allows(Some(" Off ")));
        assert!(!env_allows(Some("false")));
    }

    #[test]
    fn a_report_flattens_into_named_fields() {
        let mut r = Report::default();
        r.types.insert(
            "ticker".into(),
            CounterSnapshot {
                hits: 9,
                misses: 1,
                hit_rate: 0.9,
                ..Default::default()
            },
        );
        r.breakers.insert("cache".into(), ("open".into(), 2, 7));
        r.groups.insert("market:data|risk".into(), (None, 4));
        let f: BTreeMap<_, _> = r.fields().into_iter().collect();
        assert_eq!(f["type:ticker:hits"], "9");
        assert_eq!(f["type:ticker:hit_rate"], "0.9000");
        assert_eq!(f["breaker:cache:state"], "open");
        assert_eq!(f["group:market:data|risk:pending"], "4");
        assert!(!f.contains_key("group:market:data|risk:lag"));
        assert_eq!(f.len(), 7);
    }
}
