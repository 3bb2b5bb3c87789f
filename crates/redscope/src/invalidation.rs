//! Invalidation driven by events: a listener on `orders.executed` and `positions.updated`
//! removes the cached keys those events make stale, so no service acts on a result computed
//! before the fill.
//!
//! - `orders.executed` with `symbols` (or `symbol`): every position-sizing result
//!   (`position_sizing:*`, sized on the old positions) and the strategies' cached signals for
//!   those symbols (`signal:*:{symbol}`, already acted upon).
//! - `positions.updated`: every position-sizing result.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cache::Cache;
use crate::config::RedisConfig;
use crate::error::Result;
use crate::events::{channels, FlatEvent};
use crate::market::layout;
use crate::pubsub::{spawn_handler, Listener, PubSubManager};

/// The globs an event on `channel` makes stale (see the module doc); empty for other channels.
pub fn affected_globs(channel: &str, event: &FlatEvent) -> Vec<String> {
    let mut out = Vec::new();
    match channel {
        channels::ORDERS_EXECUTED => {
            out.push(layout::POSITION_SIZING.glob.to_string());
            let mut symbols: Vec<&str> = event
                .fields
                .get("symbols")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                .unwrap_or_default();
            if let Some(s) = event.fields.get("symbol").and_then(|v| v.as_str()) {
                symbols.push(s);
            }
            for s in symbols {
                if !s.is_empty() && !s.contains(':') && !s.chars().any(char::is_whitespace) {
                    out.push(layout::SIGNAL.glob_with(&[None, Some(s)]));
                }
            }
        }
        channels::POSITIONS_UPDATED => out.push(layout::POSITION_SIZING.glob.to_string()),
        _ => {}
    }
    out
}

/// The running invalidation listener; stop it with [`EventInvalidation::stop`].
pub struct EventInvalidation {
    stop: CancellationToken,
    listener: Option<Listener>,
    worker: Option<JoinHandle<u64>>,
    events: Arc<AtomicU64>,
    deleted: Arc<AtomicU64>,
}

impl EventInvalidation {
    /// Subscribes to `orders.executed` and `positions.updated` on the server `cfg` names and
    /// removes the affected keys of `cache` for each event, one event at a time.
    pub async fn start(cache: Cache, cfg: &RedisConfig) -> Result<EventInvalidation> {
        let manager = PubSubManager::new(cache.conn().clone(), cfg.clone(), "invalidation");
        let mut builder = manager.listener();
        let orders = builder.channel(channels::ORDERS_EXECUTED);
        let positions = builder.channel(channels::POSITIONS_UPDATED);
        let stop = CancellationToken::new();
        let listener = builder.start(stop.clone()).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        // One queue: both subscriptions forward into it, so events are handled in order.
        for mut q in [orders, positions] {
            let tx = tx.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        () = stop.cancelled() => break,
                        m = q.recv() => match m {
                            Some(m) => if tx.send(m).await.is_err() { break },
                            None => break,
                        },
                    }
                }
            });
        }
        let events = Arc::new(AtomicU64::new(0));
        let deleted = Arc::new(AtomicU64::new(0));
        let (ev, del) = (events.clone(), deleted.clone());
        let worker = spawn_handler(rx, stop.clone(), move |msg| {
            let cache = cache.clone();
            let (ev, del) = (ev.clone(), del.clone());
            async move {
                let Some(event) = msg.event() else {
                    return Ok(());
                };
                ev.fetch_add(1, Ordering::Relaxed);
                for glob in affected_globs(&msg.channel, event) {
                    let n = cache.invalidate_pattern(&glob).await?;
                    del.fetch_add(n, Ordering::Relaxed);
                    tracing::debug!(channel = %msg.channel, %glob, deleted = n, "invalidated by event");
                }
                Ok(())
            }
        });
        Ok(EventInvalidation {
            stop,
            listener: Some(listener),
            worker: Some(worker),
            events,
            deleted,
        })
    }

    /// Events handled so far.
    pub fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    /// Keys removed so far.
    pub fn deleted(&self) -> u64 {
        self.deleted.load(Ordering::Relaxed)
    }

    /// Stops listening and waits for the event in progress to finish.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(l) = self.listener.take() {
            l.stop().await;
        }
        if let Some(w) = self.worker.take() {
            let _ = w.await;
        }
    }
}

impl Drop for EventInvalidation {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_map_to_the_stale_keys() {
        let fill = FlatEvent::new(channels::ORDERS_EXECUTED)
            .with("order_ids", serde_json::json!(["ORD1"]))
            .with("symbols", serde_json::json!(["AAPL", "bad:sym"]));
        assert_eq!(
            affected_globs(channels::ORDERS_EXECUTED, &fill),
            ["position_sizing:*", "signal:*:AAPL"]
        );
        let pos = FlatEvent::new(channels::POSITIONS_UPDATED).with("symbol", "AAPL");
        assert_eq!(
            affected_globs(channels::POSITIONS_UPDATED, &pos),
            ["position_sizing:*"]
        );
        assert!(affected_globs("signals.generated", &pos).is_empty());
    }
}
