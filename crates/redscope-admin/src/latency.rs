//! Latency diagnostics of every master: `LATENCY LATEST` (each event's last and worst spike),
//! `LATENCY HISTORY` of each event (up to 160 samples, for a chart per event) and the server's
//! own reading of them, `LATENCY DOCTOR`. The monitor records spikes only above
//! `latency-monitor-threshold`; the reply says when it is off.

use serde::Serialize;

use super::session::Session;
use redis::Value;
use redscope::error::Result;

/// One latency event as `LATENCY LATEST` reports it, with its history.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct LatencyEvent {
    /// `command`, `fast-command`, `expire-cycle`, `fork`, `aof-fsync-always`, …
    pub event: String,
    /// When the latest spike happened, Unix seconds.
    pub at_s: i64,
    /// The latest spike, ms.
    pub latest_ms: i64,
    /// The worst spike since the event was last reset, ms.
    pub max_ms: i64,
    /// `[Unix seconds, ms]` samples from `LATENCY HISTORY`, oldest first.
    pub history: Vec<(i64, i64)>,
}

/// The latency picture of one master.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct NodeLatency {
    pub node: String,
    /// `latency-monitor-threshold` in ms (0: the monitor is off); absent when CONFIG is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub threshold_ms: Option<i64>,
    pub events: Vec<LatencyEvent>,
    /// `LATENCY DOCTOR`'s report.
    pub doctor: String,
}

/// Reply of `latency`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct LatencyReply {
    pub nodes: Vec<NodeLatency>,
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::VerbatimString { text, .. } => text.clone(),
        _ => String::new(),
    }
}

fn rows(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        _ => &[],
    }
}

/// Reads every master's latency events, their histories and the doctor's report.
pub async fn latency(session: &Session) -> Result<LatencyReply> {
    let mut nodes = Vec::new();
    for m in session.masters().await? {
        let mut c = m.conn.clone();
        let latest: Value = redis::cmd("LATENCY")
            .arg("LATEST")
            .query_async(&mut c)
            .await?;
        let mut events = Vec::new();
        for row in rows(&latest) {
            let f = rows(row);
            if f.len() < 4 {
                continue;
            }
            let event = text(&f[0]);
            let hist: Value = redis::cmd("LATENCY")
                .arg("HISTORY")
                .arg(&event)
                .query_async(&mut c)
                .await?;
            let history = rows(&hist)
                .iter()
                .map(|p| {
                    let p = rows(p);
                    (
                        p.first().map(int).unwrap_or(0),
                        p.get(1).map(int).unwrap_or(0),
                    )
                })
                .collect();
            events.push(LatencyEvent {
                event,
                at_s: int(&f[1]),
                latest_ms: int(&f[2]),
                max_ms: int(&f[3]),
                history,
            });
        }
        events.sort_by(|a, b| b.max_ms.cmp(&a.max_ms).then(a.event.cmp(&b.event)));
        let doctor: Value = redis::cmd("LATENCY")
            .arg("DOCTOR")
            .query_async(&mut c)
            .await?;
        let threshold: redis::RedisResult<Vec<String>> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("latency-monitor-threshold")
            .query_async(&mut c)
            .await;
        let threshold_ms = threshold
            .ok()
            .and_then(|v| v.get(1).and_then(|s| s.parse().ok()));
        nodes.push(NodeLatency {
            node: m.addr.clone(),
            threshold_ms,
            events,
            doctor: text(&doctor),
        });
    }
    Ok(LatencyReply { nodes })
}
