//! Metrics sampler: `INFO` every second turned into compact samples (ops/s, hit rate per interval
//! and lifetime, memory vs maxmemory, fragmentation, clients, evictions, expirations, keys,
//! network, the server's CPU seconds per second (kernel and user), host CPU/memory and — for a local server — the redis-server process's CPU and RSS),
//! kept 24 h in a fixed-size ring, downsampled on request, published as `metrics` events with the
//! health alerts (hit rate, memory, clients, eviction policy), and rendered for Prometheus.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::events::Publisher;
use super::node_metrics::NodeHistories;
use super::session::Session;
use super::sync::lock;
use super::task::{Task, TaskSlot};
use redscope::error::{Error, Result};
use redscope::health::{self, Alert, Stats};

/// How often the sampler reads `INFO`.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);
/// Samples kept: 24 h at one a second.
pub const HISTORY_CAPACITY: usize = 86_400;
/// Default number of points `metrics` returns.
pub const DEFAULT_POINTS: usize = 300;
/// Most points `metrics` returns.
pub const MAX_POINTS: usize = 5_000;

/// One sampler tick as the API shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MetricsSample {
    /// When it was taken (ms since the Unix epoch).
    pub at_ms: u64,
    /// Commands per second over the interval.
    pub ops_per_sec: f64,
    /// Hit rate over the interval (0..=1), `None` when there were no reads.
    pub hit_rate: Option<f64>,
    /// Hit rate since the server started.
    pub hit_rate_total: Option<f64>,
    /// Bytes used by Redis.
    pub used_memory: u64,
    /// `maxmemory` (0 = none).
    pub maxmemory: u64,
    /// `mem_fragmentation_ratio`.
    pub fragmentation: f64,
    /// Connected clients.
    pub clients: u64,
    /// Keys evicted since start.
    pub evicted_keys: u64,
    /// Keys expired since start.
    pub expired_keys: u64,
    /// Keys in all databases.
    pub keys: u64,
    /// Network input, KiB/s.
    pub net_in_kbps: f64,
    /// Network output, KiB/s.
    pub net_out_kbps: f64,
    /// Server CPU in kernel mode, CPU seconds per second over the interval (`used_cpu_sys`
    /// deltas; summed over a Cluster's masters); none for the first sample or after a restart.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cpu_sys: Option<f64>,
    /// Server CPU in user mode, CPU seconds per second over the interval (`used_cpu_user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cpu_user: Option<f64>,
    /// Host CPU use in percent (all cores).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_cpu: Option<f64>,
    /// Host memory in use, bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_mem_used: Option<u64>,
    /// redis-server CPU in percent of one core (local servers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub server_cpu: Option<f64>,
    /// redis-server resident memory, bytes (local servers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub server_rss: Option<u64>,
}

/// Query of `metrics`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct MetricsQuery {
    /// How far back, in seconds (default 300, at most 86,400).
    pub range_s: Option<u64>,
    /// How many points at most (default 300).
    pub points: Option<usize>,
}

/// `{samples, alerts}`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MetricsReply {
    /// Downsampled history, oldest first.
    pub samples: Vec<MetricsSample>,
    /// Alerts firing at the latest sample.
    pub alerts: Vec<Alert>,
    /// Cluster only: the masters whose own figures `metrics?node=<host:port>` returns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub nodes: Vec<String>,
}

/// One stored sample, compact (fixed-size, no heap): `f32` for rates and ratios, `NaN` for none.
#[derive(Debug, Clone, Copy)]
pub(super) struct Compact {
    at_ms: u64,
    used_memory: u64,
    maxmemory: u64,
    evicted_keys: u64,
    expired_keys: u64,
    keys: u64,
    ops_per_sec: f32,
    hit_rate: f32,
    hit_rate_total: f32,
    fragmentation: f32,
    net_in_kbps: f32,
    net_out_kbps: f32,
    host_cpu: f32,
    server_cpu: f32,
    cpu_sys: f32,
    cpu_user: f32,
    clients: u32,
    /// MiB, `u32::MAX` for none.
    host_mem_mib: u32,
    /// KiB, `u32::MAX` for none.
    server_rss_kib: u32,
}

fn opt_f32(v: Option<f64>) -> f32 {
    v.map(|x| x as f32).unwrap_or(f32::NAN)
}

fn from_f32(v: f32) -> Option<f64> {
    (!v.is_nan()).then_some(v as f64)
}

impl Compact {
    /// When the sample was taken (ms since the Unix epoch).
    pub(super) fn at_ms(&self) -> u64 {
        self.at_ms
    }

    pub(super) fn pack(s: &MetricsSample) -> Compact {
        Compact {
            at_ms: s.at_ms,
            used_memory: s.used_memory,
            maxmemory: s.maxmemory,
            evicted_keys: s.evicted_keys,
            expired_keys: s.expired_keys,
            keys: s.keys,
            ops_per_sec: s.ops_per_sec as f32,
            hit_rate: opt_f32(s.hit_rate),
            hit_rate_total: opt_f32(s.hit_rate_total),
            fragmentation: s.fragmentation as f32,
            net_in_kbps: s.net_in_kbps as f32,
            net_out_kbps: s.net_out_kbps as f32,
            host_cpu: opt_f32(s.host_cpu),
            server_cpu: opt_f32(s.server_cpu),
            cpu_sys: opt_f32(s.cpu_sys),
            cpu_user: opt_f32(s.cpu_user),
            clients: s.clients.min(u32::MAX as u64) as u32,
            host_mem_mib: s
                .host_mem_used
                .map(|b| (b >> 20).min(u32::MAX as u64 - 1) as u32)
                .unwrap_or(u32::MAX),
            server_rss_kib: s
                .server_rss
                .map(|b| (b >> 10).min(u32::MAX as u64 - 1) as u32)
                .unwrap_or(u32::MAX),
        }
    }

    fn unpack(&self) -> MetricsSample {
        MetricsSample {
            at_ms: self.at_ms,
            ops_per_sec: self.ops_per_sec as f64,
            hit_rate: from_f32(self.hit_rate),
            hit_rate_total: from_f32(self.hit_rate_total),
            used_memory: self.used_memory,
            maxmemory: self.maxmemory,
            fragmentation: self.fragmentation as f64,
            clients: self.clients as u64,
            evicted_keys: self.evicted_keys,
            expired_keys: self.expired_keys,
            keys: self.keys,
            net_in_kbps: self.net_in_kbps as f64,
            net_out_kbps: self.net_out_kbps as f64,
            cpu_sys: from_f32(self.cpu_sys),
            cpu_user: from_f32(self.cpu_user),
            host_cpu: from_f32(self.host_cpu),
            host_mem_used: (self.host_mem_mib != u32::MAX)
                .then_some((self.host_mem_mib as u64) << 20),
            server_cpu: from_f32(self.server_cpu),
            server_rss: (self.server_rss_kib != u32::MAX)
                .then_some((self.server_rss_kib as u64) << 10),
        }
    }
}

/// The history ring: grows to [`HISTORY_CAPACITY`], then overwrites the oldest sample.
#[derive(Default)]
struct History {
    ring: Vec<Compact>,
    head: usize,
    latest: Option<(MetricsSample, Vec<Alert>, Stats)>,
}

impl History {
    fn push(&mut self, s: Compact) {
        if self.ring.len() < HISTORY_CAPACITY {
            self.ring.push(s);
        } else {
            self.ring[self.head] = s;
            self.head = (self.head + 1) % HISTORY_CAPACITY;
        }
    }

    /// Samples taken at or after `since_ms`, oldest first.
    fn since(&self, since_ms: u64) -> impl Iterator<Item = &Compact> {
        let (newer, older) = self.ring.split_at(self.head);
        older
            .iter()
            .chain(newer.iter())
            .filter(move |c| c.at_ms >= since_ms)
    }
}

/// `metrics`: one sampler tick with the alerts firing.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[schemars(rename = "MetricsEvent")]
#[ts(rename = "MetricsEvent")]
pub struct Tick {
    /// The figures of this tick.
    pub sample: MetricsSample,
    /// Alerts currently firing.
    pub alerts: Vec<Alert>,
}

/// The metrics sampler of one session: its loop and its history.
pub struct Sampler {
    pub(super) session: Arc<Session>,
    task: TaskSlot,
    history: Arc<Mutex<History>>,
    /// Per-master history of a Cluster ([`super::node_metrics`]).
    pub(super) nodes: Arc<Mutex<NodeHistories>>,
    events: Publisher<Tick>,
}

impl MetricsSample {
    /// The figures of one INFO taken at `at_ms`. Given the previous INFO and the seconds since,
    /// ops/s and hit rate are the interval's (the sampler's own INFO not counted as load); else
    /// INFO's instantaneous ops/s and no interval hit rate. Host and process figures stay empty.
    pub(crate) fn from_stats(stats: &Stats, prev: Option<(&Stats, f64)>, at_ms: u64) -> Self {
        // CPU seconds per second from the `used_cpu_*` counters (a restart resets them).
        let cpu = |now: f64, before: f64| match prev {
            Some((_, dt)) if now >= before => Some((now - before) / dt.max(1e-3)),
            _ => None,
        };
        let (cpu_sys, cpu_user) = match prev {
            Some((p, _)) => (
                cpu(stats.cpu_sys_s, p.cpu_sys_s),
                cpu(stats.cpu_user_s, p.cpu_user_s),
            ),
            None => (None, None),
        };
        let (ops_per_sec, hit_rate) = match prev {
            Some((p, dt)) if stats.total_commands >= p.total_commands => {
                let dt = dt.max(1e-3);
                let hits = stats.keyspace_hits.saturating_sub(p.keyspace_hits);
                let misses = stats.keyspace_misses.saturating_sub(p.keyspace_misses);
                let rate = (hits + misses > 0).then(|| hits as f64 / (hits + misses) as f64);
                let ops = stats.total_commands.saturating_sub(p.total_commands + 1) as f64 / dt;
                (ops, rate)
            }
            _ => (stats.ops_per_sec as f64, None),
        };
        MetricsSample {
            at_ms,
            ops_per_sec,
            hit_rate,
            hit_rate_total: stats.hit_rate(),
            used_memory: stats.used_memory,
            maxmemory: stats.maxmemory,
            fragmentation: stats.fragmentation,
            clients: stats.connected_clients,
            evicted_keys: stats.evicted_keys,
            expired_keys: stats.expired_keys,
            keys: stats.keys(),
            net_in_kbps: stats.net_in_kbps,
            net_out_kbps: stats.net_out_kbps,
            cpu_sys,
            cpu_user,
            ..MetricsSample::default()
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Sampler {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<Tick>) -> Self {
        Sampler {
            session,
            task: TaskSlot::default(),
            history: Arc::default(),
            nodes: Arc::default(),
            events,
        }
    }

    /// Starts the sampler unless it runs (it stops on shutdown or when the service is dropped;
    /// without a tokio runtime the next async caller starts it).
    pub fn ensure_started(&self) {
        self.task.ensure(|| {
            let (session, history, nodes, events) = (
                self.session.clone(),
                self.history.clone(),
                self.nodes.clone(),
                self.events.clone(),
            );
            Task::spawn(move |cancel| sample_forever(session, history, nodes, events, cancel))
        });
    }

    /// Stops the sampler for good.
    pub(crate) async fn shutdown(&self) {
        self.task.shutdown().await;
    }

    /// Forgets the history (after switching to another server).
    pub(crate) fn clear(&self) {
        *lock(&self.history) = History::default();
        *lock(&self.nodes) = Default::default();
    }

    /// The last `range_s` seconds of history downsampled to at most `points`, and the current alerts.
    pub fn total(&self, q: &MetricsQuery) -> Result<MetricsReply> {
        self.ensure_started();
        let range_s = q.range_s.unwrap_or(300);
        if range_s == 0 || range_s > HISTORY_CAPACITY as u64 {
            return Err(Error::InvalidInput(format!(
                "range_s must be between 1 and {HISTORY_CAPACITY}"
            )));
        }
        let points = q.points.unwrap_or(DEFAULT_POINTS);
        if points == 0 || points > MAX_POINTS {
            return Err(Error::InvalidInput(format!(
                "points must be between 1 and {MAX_POINTS}"
            )));
        }
        let h = lock(&self.history);
        let since = now_ms().saturating_sub(range_s * 1000);
        let chosen: Vec<Compact> = h.since(since).copied().collect();
        let samples = downsample(&chosen, points);
        // Under the thresholds in force now, so an edit shows at once.
        let thresholds = self.session.thresholds();
        let alerts = h
            .latest
            .as_ref()
            .map(|l| health::alerts_with(&l.2, &thresholds))
            .unwrap_or_default();
        drop(h);
        Ok(MetricsReply {
            samples,
            alerts,
            nodes: self.nodes(),
        })
    }

    /// The latest sample, its alerts and the INFO figures behind them, once the sampler ran.
    pub fn latest(&self) -> Option<(MetricsSample, Vec<Alert>, Stats)> {
        lock(&self.history).latest.clone()
    }

    /// The latest sampler figures in the Prometheus text format (`redscope_redis_*` gauges).
    pub fn prometheus_text(&self) -> String {
        self.ensure_started();
        let mut out = String::new();
        let Some((s, alerts, stats)) = self.latest() else {
            return out;
        };
        let mut gauge = |name: &str, help: &str, value: Option<f64>| {
            if let Some(v) = value {
                let _ = writeln!(out, "# HELP redscope_redis_{name} {help}");
                let _ = writeln!(out, "# TYPE redscope_redis_{name} gauge");
                let _ = writeln!(out, "redscope_redis_{name} {v}");
            }
        };
        gauge(
            "ops_per_second",
            "Commands per second.",
            Some(s.ops_per_sec),
        );
        gauge(
            "hit_rate",
            "Keyspace hit rate over the last interval.",
            s.hit_rate,
        );
        gauge(
            "hit_rate_total",
            "Keyspace hit rate since start.",
            s.hit_rate_total,
        );
        gauge(
            "used_memory_bytes",
            "Memory used by Redis.",
            Some(s.used_memory as f64),
        );
        gauge(
            "maxmemory_bytes",
            "Configured maxmemory (0 = none).",
            Some(s.maxmemory as f64),
        );
        gauge(
            "fragmentation_ratio",
            "Memory fragmentation ratio.",
            Some(s.fragmentation),
        );
        gauge(
            "connected_clients",
            "Connected clients.",
            Some(s.clients as f64),
        );
        gauge(
            "evicted_keys",
            "Keys evicted since start.",
            Some(s.evicted_keys as f64),
        );
        gauge(
            "expired_keys",
            "Keys expired since start.",
            Some(s.expired_keys as f64),
        );
        gauge("keys", "Keys in all databases.", Some(s.keys as f64));
        gauge(
            "net_input_kbps",
            "Network input in KiB/s.",
            Some(s.net_in_kbps),
        );
        gauge(
            "net_output_kbps",
            "Network output in KiB/s.",
            Some(s.net_out_kbps),
        );
        gauge(
            "uptime_seconds",
            "Server uptime.",
            Some(stats.uptime_s as f64),
        );
        gauge(
            "cpu_sys_seconds_per_second",
            "redis-server CPU in kernel mode (used_cpu_sys per second).",
            s.cpu_sys,
        );
        gauge(
            "cpu_user_seconds_per_second",
            "redis-server CPU in user mode (used_cpu_user per second).",
            s.cpu_user,
        );
        gauge("host_cpu_percent", "Host CPU use.", s.host_cpu);
        gauge(
            "host_memory_used_bytes",
            "Host memory in use.",
            s.host_mem_used.map(|v| v as f64),
        );
        gauge("server_cpu_percent", "redis-server CPU use.", s.server_cpu);
        gauge(
            "server_rss_bytes",
            "redis-server resident memory.",
            s.server_rss.map(|v| v as f64),
        );
        let _ = writeln!(out, "# HELP redscope_redis_db_keys Keys per database.");
        let _ = writeln!(out, "# TYPE redscope_redis_db_keys gauge");
        for (db, n) in &stats.keys_per_db {
            let _ = writeln!(out, "redscope_redis_db_keys{{db=\"{}\"}} {n}", label(db));
        }
        let _ = writeln!(out, "# HELP redscope_alerts Alerts firing (1 per alert).");
        let _ = writeln!(out, "# TYPE redscope_alerts gauge");
        for a in &alerts {
            let level = serde_json::to_value(a.level)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "redscope_alerts{{code=\"{}\",level=\"{level}\"}} 1",
                a.code
            );
        }
        out
    }
}

/// Escapes a Prometheus label value.
pub fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Averages rates and ratios per bucket and keeps the last value of counters and gauges.
pub(super) fn downsample(samples: &[Compact], points: usize) -> Vec<MetricsSample> {
    if samples.len() <= points {
        return samples.iter().map(Compact::unpack).collect();
    }
    let per = samples.len().div_ceil(points);
    samples
        .chunks(per)
        .map(|chunk| {
            let mut out = chunk[chunk.len() - 1].unpack();
            let avg = |f: fn(&Compact) -> f32| {
                let vals: Vec<f64> = chunk
                    .iter()
                    .map(f)
                    .filter(|v| !v.is_nan())
                    .map(f64::from)
                    .collect();
                (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
            };
            out.ops_per_sec = avg(|c| c.ops_per_sec).unwrap_or(0.0);
            out.hit_rate = avg(|c| c.hit_rate);
            out.net_in_kbps = avg(|c| c.net_in_kbps).unwrap_or(0.0);
            out.net_out_kbps = avg(|c| c.net_out_kbps).unwrap_or(0.0);
            out.host_cpu = avg(|c| c.host_cpu);
            out.cpu_sys = avg(|c| c.cpu_sys);
            out.cpu_user = avg(|c| c.cpu_user);
            out.server_cpu = avg(|c| c.server_cpu);
            out
        })
        .collect()
}

/// Host and redis-server process figures from sysinfo.
struct HostProbe {
    sys: Option<sysinfo::System>,
}

impl HostProbe {
    fn new() -> HostProbe {
        HostProbe {
            sys: sysinfo::System::new().ok(),
        }
    }

    /// (host CPU %, host memory used, server CPU %, server RSS) — the server's only when local.
    fn read(
        &mut self,
        server_pid: Option<u32>,
    ) -> (Option<f64>, Option<u64>, Option<f64>, Option<u64>) {
        let Some(sys) = self.sys.as_mut() else {
            return (None, None, None, None);
        };
        sys.refresh_cpu_usage();
        sys.refresh_memory();
        let (mut cpu, mut rss) = (None, None);
        if let Some(pid) = server_pid {
            let pid = sysinfo::Pid::from_u32(pid);
            sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
            if let Some(p) = sys.process(pid) {
                cpu = Some(p.cpu_usage() as f64);
                rss = Some(p.memory());
            }
        }
        (
            Some(sys.global_cpu_usage() as f64),
            Some(sys.used_memory()),
            cpu,
            rss,
        )
    }
}

/// Reads INFO every [`SAMPLE_EVERY`] while the service lives.
async fn sample_forever(
    session: Arc<Session>,
    history: Arc<Mutex<History>>,
    nodes: Arc<Mutex<NodeHistories>>,
    events: Publisher<Tick>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut probe = HostProbe::new();
    let mut prev: Option<(Stats, Instant)> = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let read = async {
            // Every master of a Cluster, summed; the one server otherwise.
            let masters = session.masters().await?;
            let several = masters.len() > 1;
            let mut total: Option<Stats> = None;
            let mut per_node = Vec::new();
            for node in masters {
                let mut c = node.conn;
                let stats = Stats::from_info(&health::info(&mut c, None).await?);
                if several {
                    per_node.push((node.addr, stats.clone()));
                }
                match total.as_mut() {
                    Some(t) => t.merge(&stats),
                    None => total = Some(stats),
                }
            }
            lock(&nodes).record(per_node, now_ms());
            total.ok_or_else(|| Error::Connection("no master to sample".into()))
        };
        let stats = tokio::select! {
            _ = cancel.cancelled() => return,
            r = read => r,
        };
        let stats = match stats {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "metrics sample skipped");
                prev = None;
                continue;
            }
        };
        let local = session.active_config().is_local();
        let now = Instant::now();
        let (host_cpu, host_mem_used, server_cpu, server_rss) =
            probe.read(if local { stats.process_id } else { None });
        let prev_dt = prev
            .as_ref()
            .map(|(p, at)| (p, now.duration_since(*at).as_secs_f64()));
        let sample = MetricsSample {
            host_cpu,
            host_mem_used,
            server_cpu,
            server_rss,
            ..MetricsSample::from_stats(&stats, prev_dt, now_ms())
        };
        let alerts = health::alerts_with(&stats, &session.thresholds());
        {
            let mut h = lock(&history);
            h.push(Compact::pack(&sample));
            h.latest = Some((sample.clone(), alerts.clone(), stats.clone()));
        }
        events.publish(Tick { sample, alerts });
        prev = Some((stats, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_samples_stays_small() {
        assert!(
            std::mem::size_of::<Compact>() <= 104,
            "{}",
            std::mem::size_of::<Compact>()
        );
        let mut h = History::default();
        for i in 0..(HISTORY_CAPACITY + 10) as u64 {
            h.push(Compact::pack(&MetricsSample {
                at_ms: i,
                ..Default::default()
            }));
        }
        assert_eq!(h.ring.len(), HISTORY_CAPACITY);
        let all: Vec<u64> = h.since(0).map(|c| c.at_ms).collect();
        assert_eq!(all.first(), Some(&10));
        assert_eq!(all.last(), Some(&(HISTORY_CAPACITY as u64 + 9)));
        assert!(all.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn downsampling_averages_rates_and_bounds_points() {
        let samples: Vec<Compact> = (0..1000u64)
            .map(|i| {
                Compact::pack(&MetricsSample {
                    at_ms: i,
                    ops_per_sec: (i % 2) as f64 * 10.0,
                    used_memory: i,
                    host_mem_used: Some(5 << 20),
                    ..Default::default()
                })
            })
            .collect();
        let out = downsample(&samples, 100);
        assert_eq!(out.len(), 100);
        assert!((out[0].ops_per_sec - 5.0).abs() < 1e-9);
        assert_eq!(out[0].used_memory, 9);
        assert_eq!(out[0].host_mem_used, Some(5 << 20));
        assert_eq!(out[0].hit_rate, None);
    }
}
