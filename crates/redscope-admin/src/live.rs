//! The one event type bus subscribers receive (web mode's `/api/events`, the desktop's event
//! channel): each feature's own event in a variant, serialised with a `type` field
//! (docs/API.md, "Events"). Features publish their own types; only this module knows them all.

use serde::Serialize;

use crate::channels::Batch;
use crate::command_monitor::MonitorBatch;
use crate::metrics::Tick;
use crate::services::Change;
use crate::session::ConnChange;
use crate::streams::TailEntries;
use crate::tree::Progress;

/// One message of the live-data bus.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// The active connection went up or down, or a Sentinel failover moved the master.
    ConnState(ConnChange),
    /// One sampler tick with the alerts it raised.
    Metrics(Tick),
    /// Recent pub/sub messages (at most 10 batches a second).
    ChannelBatch(Batch),
    /// New lines of the MONITOR session, or its end (at most 10 a second).
    CommandMonitor(MonitorBatch),
    /// New entries of a live-tailed stream.
    StreamEntries(TailEntries),
    /// Progress or outcome of a job (a JSON object with the job's fields).
    Job(
        #[ts(type = "(Job | FindingsJob | MemoryJob | TransferJob | HotkeysJob)")]
        serde_json::Value,
    ),
    /// More of a namespace tree level has been scanned.
    TreeProgress(Progress),
    /// The set of library clients (Services view) or their liveness changed.
    Services(Change),
    /// Sent to one subscriber that fell behind: `count` events were skipped for it.
    Lagged {
        /// How many events this subscriber missed.
        count: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConnState;

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
        let c = Event::ConnState(ConnChange {
            state: ConnState::Down,
            url: "redis://127.0.0.1:1/0".into(),
            error: Some("refused".into()),
            master: None,
        });
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({
                "type": "conn_state",
                "state": "down",
                "url": "redis://127.0.0.1:1/0",
                "error": "refused"
            })
        );
        let p = Event::TreeProgress(Progress {
            prefix: "a:".into(),
            separator: ":".into(),
            total_keys: 2,
            scanned: 5,
            complete: true,
        });
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "type": "tree_progress",
                "prefix": "a:",
                "separator": ":",
                "total_keys": 2,
                "scanned": 5,
                "complete": true
            })
        );
    }
}
