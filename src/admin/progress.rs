//! The bridge from the admin slice's progress hook (job and tree progress as JSON, see
//! [`AdminService::progress_events`]) to the live-data bus, so both app surfaces receive `job`
//! and `tree_progress` events on the one stream they listen to.

use std::sync::Weak;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::events::{lock, Event, Task};
use super::{AdminService, Inner};

impl AdminService {
    /// Starts the bridge unless it runs (called when someone subscribes to the bus).
    pub(crate) fn ensure_progress_bridge(&self) {
        let mut slot = lock(&self.inner.progress_bridge);
        if slot.as_ref().is_some_and(Task::is_running) {
            return;
        }
        let rx = self.inner.events.subscribe();
        let weak = self.downgrade();
        *slot = Some(Task::spawn(move |cancel| forward(weak, rx, cancel)));
    }
}

async fn forward(
    weak: Weak<Inner>,
    mut rx: tokio::sync::broadcast::Receiver<serde_json::Value>,
    cancel: CancellationToken,
) {
    loop {
        let v = tokio::select! {
            _ = cancel.cancelled() => return,
            r = rx.recv() => match r {
                Ok(v) => v,
                Err(RecvError::Lagged(n)) => {
                    tracing::debug!(missed = n, "progress bridge fell behind");
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
        };
        let Some(service) = AdminService::upgrade(&weak) else {
            return;
        };
        if let Some(event) = to_event(v) {
            service.publish_event(event);
        }
    }
}

/// The bus event for one progress message (`None` for a type the bus does not carry).
fn to_event(v: serde_json::Value) -> Option<Event> {
    let serde_json::Value::Object(mut m) = v else {
        return None;
    };
    match m.remove("type")?.as_str()? {
        "job" => Some(Event::Job(serde_json::Value::Object(m))),
        "tree_progress" => Some(Event::TreeProgress {
            prefix: m.get("prefix")?.as_str()?.to_string(),
            scanned: m.get("scanned")?.as_u64()?,
            complete: m.get("complete")?.as_bool()?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_messages_become_bus_events() {
        let job = serde_json::json!({"type": "job", "id": "7", "deleted": 3});
        let Some(Event::Job(v)) = to_event(job) else {
            panic!("a job event")
        };
        assert_eq!(v["id"], "7");
        assert!(v.get("type").is_none(), "the bus adds its own tag");
        let tree = serde_json::json!({"type": "tree_progress", "prefix": "market:",
            "separator": ":", "scanned": 2000, "total_keys": 1500, "complete": false});
        let Some(Event::TreeProgress {
            prefix,
            scanned,
            complete,
        }) = to_event(tree)
        else {
            panic!("a tree_progress event")
        };
        assert_eq!(
            (prefix.as_str(), scanned, complete),
            ("market:", 2000, false)
        );
        assert!(to_event(serde_json::json!({"type": "other"})).is_none());
    }
}
