//! Server health: `PING` latency, `INFO` parsed into typed figures ([`Stats`]), and the health
//! alert thresholds ([`alerts`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use redis::aio::ConnectionLike;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// `INFO` output as `section -> field -> value`, with typed accessors for the fields we use.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Info {
    /// Raw fields per section (lower-case section names, e.g. `server`, `memory`).
    pub sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Info {
    /// Parses the text of an `INFO` reply. Unknown or malformed lines are kept or skipped, never fatal.
    pub fn parse(text: &str) -> Info {
        let mut info = Info::default();
        let mut section = String::from("default");
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(name) = line.strip_prefix("# ") {
                section = name.trim().to_ascii_lowercase();
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                info.sections
                    .entry(section.clone())
                    .or_default()
                    .insert(k.to_string(), v.to_string());
            }
        }
        info
    }

    /// A field from any section.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.sections
            .values()
            .find_map(|s| s.get(field))
            .map(String::as_str)
    }

    /// A numeric field from any section.
    pub fn get_f64(&self, field: &str) -> Option<f64> {
        self.get(field).and_then(|v| v.trim().parse().ok())
    }

    /// A whole-number field from any section.
    pub fn get_u64(&self, field: &str) -> Option<u64> {
        self.get(field).and_then(|v| v.trim().parse().ok())
    }

    /// The server product: INFO's `server_name` (`valkey` on Valkey 8, `redis` on Redis 7.2+),
    /// `redis` when the field is absent (Redis 7.0 and older).
    pub fn server_name(&self) -> &str {
        self.get("server_name")
            .filter(|n| !n.is_empty())
            .unwrap_or("redis")
    }

    /// The product's own version: `valkey_version` on Valkey (whose `redis_version` is the
    /// Redis version it is compatible with, 7.2.4), else `redis_version`.
    pub fn server_version(&self) -> Option<&str> {
        self.get(&format!("{}_version", self.server_name()))
            .or_else(|| self.get("redis_version"))
    }

    /// `standalone`, `cluster` or `sentinel`: `server_mode` on Valkey 8 (which has no
    /// `redis_mode`), else `redis_mode`.
    pub fn server_mode(&self) -> Option<&str> {
        self.get("server_mode").or_else(|| self.get("redis_mode"))
    }
}

/// Round-trip time of one `PING`.
pub async fn ping<C: ConnectionLike + Send>(conn: &mut C) -> Result<Duration> {
    let start = Instant::now();
    let _: String = redis::cmd("PING").query_async(conn).await?;
    Ok(start.elapsed())
}

/// `INFO [section]`, parsed. Through a Cluster connection INFO goes to every master and comes
/// back as one reply per node: the first node's (by address) is read; callers that need every
/// master ask each one ([`crate::conn::Conn::masters`]).
pub async fn info<C: ConnectionLike + Send>(conn: &mut C, section: Option<&str>) -> Result<Info> {
    let mut cmd = redis::cmd("INFO");
    if let Some(s) = section {
        cmd.arg(s);
    }
    let reply: redis::Value = cmd.query_async(conn).await?;
    let reply = match reply {
        redis::Value::Map(nodes) => nodes
            .into_iter()
            .min_by(|a, b| node_name(&a.0).cmp(node_name(&b.0)))
            .map(|(_, text)| text)
            .unwrap_or(redis::Value::Nil),
        other => other,
    };
    let text: String = redis::from_redis_value(reply)
        .map_err(|e| crate::error::Error::Codec(format!("INFO reply: {e}")))?;
    Ok(Info::parse(&text))
}

/// The node address keying one reply of a multi-node command.
fn node_name(v: &redis::Value) -> &[u8] {
    match v {
        redis::Value::BulkString(b) => b,
        redis::Value::SimpleString(s) => s.as_bytes(),
        _ => &[],
    }
}

/// The figures of one `INFO` reply the dashboard, the sampler and the alerts use.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// `used_memory` in bytes.
    pub used_memory: u64,
    /// `maxmemory` in bytes (0 = no limit).
    pub maxmemory: u64,
    /// `maxmemory_policy` (e.g. `noeviction`, `allkeys-lru`).
    pub maxmemory_policy: String,
    /// `mem_fragmentation_ratio`.
    pub fragmentation: f64,
    /// Keys per logical database, e.g. `("db0", 42)`.
    pub keys_per_db: Vec<(String, u64)>,
    /// `keyspace_hits` since start (or the last `CONFIG RESETSTAT`).
    pub keyspace_hits: u64,
    /// `keyspace_misses` since start.
    pub keyspace_misses: u64,
    /// `evicted_keys` since start.
    pub evicted_keys: u64,
    /// `expired_keys` since start.
    pub expired_keys: u64,
    /// `connected_clients`.
    pub connected_clients: u64,
    /// `instantaneous_ops_per_sec`.
    pub ops_per_sec: u64,
    /// `total_commands_processed`.
    pub total_commands: u64,
    /// `instantaneous_input_kbps`.
    pub net_in_kbps: f64,
    /// `instantaneous_output_kbps`.
    pub net_out_kbps: f64,
    /// `uptime_in_seconds`.
    pub uptime_s: u64,
    /// `role` (master / slave).
    pub role: String,
    /// `process_id` of the redis-server.
    pub process_id: Option<u32>,
    /// `total_error_replies`: error replies sent to clients since start (keyspace errors such
    /// as `WRONGTYPE`).
    pub error_replies: u64,
    /// `used_cpu_sys`: CPU seconds the server spent in the kernel since start.
    pub cpu_sys_s: f64,
    /// `used_cpu_user`: CPU seconds the server spent in user space since start.
    pub cpu_user_s: f64,
}

impl Stats {
    /// Reads the figures from a parsed `INFO` (all sections); missing fields are zero.
    pub fn from_info(info: &Info) -> Stats {
        let n = |f: &str| info.get_u64(f).unwrap_or(0);
        let keys_per_db = info
            .sections
            .get("keyspace")
            .map(|dbs| {
                dbs.iter()
                    .map(|(db, v)| (db.clone(), keyspace_keys(v)))
                    .collect()
            })
            .unwrap_or_default();
        Stats {
            used_memory: n("used_memory"),
            maxmemory: n("maxmemory"),
            maxmemory_policy: info.get("maxmemory_policy").unwrap_or("").to_string(),
            fragmentation: info.get_f64("mem_fragmentation_ratio").unwrap_or(0.0),
            keys_per_db,
            keyspace_hits: n("keyspace_hits"),
            keyspace_misses: n("keyspace_misses"),
            evicted_keys: n("evicted_keys"),
            expired_keys: n("expired_keys"),
            connected_clients: n("connected_clients"),
            ops_per_sec: n("instantaneous_ops_per_sec"),
            total_commands: n("total_commands_processed"),
            net_in_kbps: info.get_f64("instantaneous_input_kbps").unwrap_or(0.0),
            net_out_kbps: info.get_f64("instantaneous_output_kbps").unwrap_or(0.0),
            uptime_s: n("uptime_in_seconds"),
            role: info.get("role").unwrap_or("").to_string(),
            process_id: info.get("process_id").and_then(|v| v.trim().parse().ok()),
            error_replies: n("total_error_replies"),
            cpu_sys_s: info.get_f64("used_cpu_sys").unwrap_or(0.0),
            cpu_user_s: info.get_f64("used_cpu_user").unwrap_or(0.0),
        }
    }

    /// Adds another node's figures (a Cluster's masters): counters, memory and clients are summed,
    /// fragmentation is the largest, the rest is kept from the first node.
    pub fn merge(&mut self, other: &Stats) {
        self.used_memory += other.used_memory;
        self.maxmemory += other.maxmemory;
        self.fragmentation = self.fragmentation.max(other.fragmentation);
        for (db, n) in &other.keys_per_db {
            match self.keys_per_db.iter_mut().find(|(d, _)| d == db) {
                Some((_, m)) => *m += n,
                None => self.keys_per_db.push((db.clone(), *n)),
            }
        }
        self.keyspace_hits += other.keyspace_hits;
        self.keyspace_misses += other.keyspace_misses;
        self.evicted_keys += other.evicted_keys;
        self.expired_keys += other.expired_keys;
        self.connected_clients += other.connected_clients;
        self.ops_per_sec += other.ops_per_sec;
        self.total_commands += other.total_commands;
        self.error_replies += other.error_replies;
        self.net_in_kbps += other.net_in_kbps;
        self.net_out_kbps += other.net_out_kbps;
        self.cpu_sys_s += other.cpu_sys_s;
        self.cpu_user_s += other.cpu_user_s;
        self.uptime_s = self.uptime_s.min(other.uptime_s);
        self.process_id = None;
    }

    /// Keys over all databases.
    pub fn keys(&self) -> u64 {
        self.keys_per_db.iter().map(|(_, n)| n).sum()
    }

    /// Lifetime hit rate in 0..=1, `None` before the first read.
    pub fn hit_rate(&self) -> Option<f64> {
        let total = self.keyspace_hits + self.keyspace_misses;
        (total > 0).then(|| self.keyspace_hits as f64 / total as f64)
    }

    /// Used memory as a fraction of `maxmemory`, `None` without a limit.
    pub fn memory_ratio(&self) -> Option<f64> {
        (self.maxmemory > 0).then(|| self.used_memory as f64 / self.maxmemory as f64)
    }
}

/// `keys=N,expires=M,avg_ttl=T` -> N.
fn keyspace_keys(v: &str) -> u64 {
    v.split(',')
        .find_map(|kv| kv.strip_prefix("keys="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// How serious an alert is.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    /// Worth a look.
    Warning,
    /// Act now.
    Critical,
}

/// One firing alert: `{level, code, message}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Warning or critical.
    pub level: AlertLevel,
    /// Stable machine-readable name (`low_hit_rate`, `memory_high`, `memory_critical`,
    /// `too_many_clients`, `no_eviction_policy`).
    pub code: &'static str,
    /// What is wrong, with the figures.
    pub message: String,
}

/// Hit rate below this warns (a health threshold).
pub const HIT_RATE_WARNING: f64 = 0.5;
/// Memory above this fraction of `maxmemory` warns.
pub const MEMORY_WARNING: f64 = 0.8;
/// Memory above this fraction of `maxmemory` is critical.
pub const MEMORY_CRITICAL: f64 = 0.95;
/// More connected clients than this warns.
pub const CLIENTS_WARNING: u64 = 50;

/// Evictions per second above this warn (evictions should stay near zero).
pub const EVICTIONS_PER_SEC_WARNING: f64 = 1.0;
/// A P99 command latency above this warns.
pub const P99_LATENCY_WARNING: Duration = Duration::from_millis(5);

/// The health alert thresholds [`alerts_with`] applies; the default is the seeds' (hit rate
/// < 50 %, memory > 80 % / 95 % of maxmemory, more than 50 clients). Whole percentages, so a
/// saved set compares and reads exactly.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// A hit rate below this percentage warns (0 turns the alert off).
    pub hit_rate_warning_pct: u32,
    /// Memory above this percentage of `maxmemory` warns.
    pub memory_warning_pct: u32,
    /// Memory above this percentage of `maxmemory` is critical.
    pub memory_critical_pct: u32,
    /// More connected clients than this warns.
    pub clients_warning: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            hit_rate_warning_pct: (HIT_RATE_WARNING * 100.0) as u32,
            memory_warning_pct: (MEMORY_WARNING * 100.0) as u32,
            memory_critical_pct: (MEMORY_CRITICAL * 100.0) as u32,
            clients_warning: CLIENTS_WARNING,
        }
    }
}

impl Thresholds {
    /// Refuses percentages above 100 and a memory warning that is not below the critical level.
    pub fn validate(&self) -> Result<()> {
        let pct = [
            ("hit_rate_warning_pct", self.hit_rate_warning_pct),
            ("memory_warning_pct", self.memory_warning_pct),
            ("memory_critical_pct", self.memory_critical_pct),
        ];
        if let Some((name, v)) = pct.iter().find(|(_, v)| *v > 100) {
            return Err(crate::Error::InvalidInput(format!(
                "{name} is a percentage (0 to 100), got {v}"
            )));
        }
        if self.memory_warning_pct >= self.memory_critical_pct {
            return Err(crate::Error::InvalidInput(format!(
                "the memory warning ({} %) must be below the critical level ({} %)",
                self.memory_warning_pct, self.memory_critical_pct
            )));
        }
        Ok(())
    }
}

/// The alert for a server that cannot be reached (critical).
pub fn unreachable_alert(why: &str) -> Alert {
    Alert {
        level: AlertLevel::Critical,
        code: "redis_unreachable",
        message: format!("Redis is unreachable: {why}"),
    }
}

/// Alerts over a window between two samples of one server: evictions per second above
/// [`EVICTIONS_PER_SEC_WARNING`] (`evictions`), and any new error replies (`keyspace_errors`).
pub fn window_alerts(before: &Stats, now: &Stats, elapsed: Duration) -> Vec<Alert> {
    let mut out = Vec::new();
    let secs = elapsed.as_secs_f64().max(0.001);
    let evicted = now.evicted_keys.saturating_sub(before.evicted_keys);
    let rate = evicted as f64 / secs;
    if rate > EVICTIONS_PER_SEC_WARNING {
        out.push(Alert {
            level: AlertLevel::Warning,
            code: "evictions",
            message: format!(
                "{rate:.1} keys evicted per second ({evicted} in {secs:.1} s; should be near 0)"
            ),
        });
    }
    let errors = now.error_replies.saturating_sub(before.error_replies);
    if errors > 0 {
        out.push(Alert {
            level: AlertLevel::Warning,
            code: "keyspace_errors",
            message: format!("{errors} error replies (e.g. WRONGTYPE) in {secs:.1} s"),
        });
    }
    out
}

/// The alert for a P99 command latency above [`P99_LATENCY_WARNING`], if it is.
pub fn latency_alert(p99: Duration) -> Option<Alert> {
    (p99 > P99_LATENCY_WARNING).then(|| Alert {
        level: AlertLevel::Warning,
        code: "latency_p99",
        message: if p99 == Duration::MAX {
            format!("P99 latency above 2.5 s (target < {P99_LATENCY_WARNING:?})")
        } else {
            format!("P99 latency {p99:?} (target < {P99_LATENCY_WARNING:?})")
        },
    })
}

/// The default health alert thresholds applied to `stats`: hit rate < 50 % (once there were
/// reads), memory > 80 % (warning) or > 95 % (critical) of `maxmemory`, more than 50 clients,
/// and no eviction policy (`noeviction`: writes fail with OOM when memory is full).
pub fn alerts(stats: &Stats) -> Vec<Alert> {
    alerts_with(stats, &Thresholds::default())
}

/// The health alerts of `stats` under thresholds `t` (see [`alerts`]).
pub fn alerts_with(stats: &Stats, t: &Thresholds) -> Vec<Alert> {
    let hit_rate_warning = t.hit_rate_warning_pct as f64 / 100.0;
    let memory_warning = t.memory_warning_pct as f64 / 100.0;
    let memory_critical = t.memory_critical_pct as f64 / 100.0;
    let clients_warning = t.clients_warning;
    let mut out = Vec::new();
    if let Some(rate) = stats.hit_rate() {
        if rate < hit_rate_warning {
            out.push(Alert {
                level: AlertLevel::Warning,
                code: "low_hit_rate",
                message: format!(
                    "cache hit rate {:.1} % is below {:.0} % ({} hits, {} misses)",
                    rate * 100.0,
                    hit_rate_warning * 100.0,
                    stats.keyspace_hits,
                    stats.keyspace_misses
                ),
            });
        }
    }
    if let Some(ratio) = stats.memory_ratio() {
        let (level, code, limit) = if ratio > memory_critical {
            (
                Some(AlertLevel::Critical),
                "memory_critical",
                memory_critical,
            )
        } else if ratio > memory_warning {
            (Some(AlertLevel::Warning), "memory_high", memory_warning)
        } else {
            (None, "", 0.0)
        };
        if let Some(level) = level {
            out.push(Alert {
                level,
                code,
                message: format!(
                    "used memory {} bytes is {:.1} % of maxmemory {} bytes (over {:.0} %)",
                    stats.used_memory,
                    ratio * 100.0,
                    stats.maxmemory,
                    limit * 100.0
                ),
            });
        }
    }
    if stats.connected_clients > clients_warning {
        out.push(Alert {
            level: AlertLevel::Warning,
            code: "too_many_clients",
            message: format!(
                "{} connected clients (more than {clients_warning})",
                stats.connected_clients
            ),
        });
    }
    if stats.maxmemory_policy.is_empty() || stats.maxmemory_policy == "noeviction" {
        out.push(Alert {
            level: AlertLevel::Critical,
            code: "no_eviction_policy",
            message: "no eviction policy is set (maxmemory-policy noeviction): writes fail with OOM once memory is full".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_numbers() {
        let info = Info::parse(
            "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\n\r\n# Memory\r\nused_memory:1024\r\nmem_fragmentation_ratio:1.5\r\ngarbage\r\n",
        );
        assert_eq!(info.get("redis_version"), Some("7.0.15"));
        assert_eq!(info.server_name(), "redis");
        assert_eq!(info.server_version(), Some("7.0.15"));
        let valkey = Info::parse(
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.1.8\r\n",
        );
        assert_eq!(valkey.server_name(), "valkey");
        assert_eq!(valkey.server_version(), Some("8.1.8"));
        let valkey_cluster =
            Info::parse("# Server\r\nserver_name:valkey\r\nserver_mode:cluster\r\n");
        assert_eq!(valkey_cluster.server_mode(), Some("cluster"));
        let redis_cluster =
            Info::parse("# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n");
        assert_eq!(redis_cluster.server_mode(), Some("cluster"));
        assert_eq!(info.get_u64("uptime_in_seconds"), Some(42));
        assert_eq!(info.get_f64("mem_fragmentation_ratio"), Some(1.5));
        assert_eq!(info.sections["memory"]["used_memory"], "1024");
        assert_eq!(info.get("garbage"), None);
    }

    #[test]
    fn stats_and_alerts_follow_the_health_thresholds() {
        let info = Info::parse(
            "# Memory\r\nused_memory:960\r\nmaxmemory:1000\r\nmaxmemory_policy:noeviction\r\n# Stats\r\nkeyspace_hits:1\r\nkeyspace_misses:3\r\n# Clients\r\nconnected_clients:51\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\ndb3:keys=7,expires=1,avg_ttl=9\r\n",
        );
        let stats = Stats::from_info(&info);
        assert_eq!(stats.keys(), 12);
        assert_eq!(stats.hit_rate(), Some(0.25));
        let codes: Vec<_> = alerts(&stats).iter().map(|a| (a.code, a.level)).collect();
        assert_eq!(
            codes,
            vec![
                ("low_hit_rate", AlertLevel::Warning),
                ("memory_critical", AlertLevel::Critical),
                ("too_many_clients", AlertLevel::Warning),
                ("no_eviction_policy", AlertLevel::Critical),
            ]
        );
        let calm = Stats {
            used_memory: 100,
            maxmemory: 1000,
            maxmemory_policy: "allkeys-lru".into(),
            keyspace_hits: 9,
            keyspace_misses: 1,
            connected_clients: 5,
            ..Stats::default()
        };
        assert!(alerts(&calm).is_empty());
        let high = Stats {
            used_memory: 850,
            ..calm.clone()
        };
        assert_eq!(alerts(&high)[0].code, "memory_high");
        // Other thresholds: 85 % memory is calm under a 90 % warning, 5 clients are too many
        // over 4, a 90 % hit rate is low under 95 %.
        let strict = Thresholds {
            hit_rate_warning_pct: 95,
            memory_warning_pct: 90,
            memory_critical_pct: 99,
            clients_warning: 4,
        };
        assert_eq!(strict.validate().map_err(|e| e.to_string()), Ok(()));
        let codes: Vec<_> = alerts_with(&high, &strict).iter().map(|a| a.code).collect();
        assert_eq!(codes, ["low_hit_rate", "too_many_clients"]);
        assert!(alerts_with(&high, &strict)[1]
            .message
            .contains("more than 4"));
        let bad = Thresholds {
            memory_warning_pct: 99,
            ..strict
        };
        assert!(bad.validate().is_err());
        let pct = Thresholds {
            hit_rate_warning_pct: 101,
            ..strict
        };
        assert!(pct.validate().is_err());
        assert_eq!(Thresholds::default().memory_critical_pct, 95);
    }
}
