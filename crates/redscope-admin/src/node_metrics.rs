//! Per-master metrics of a Cluster: the sampler reads INFO from every master each tick (the
//! dashboard's default is their sum); this keeps each master's own samples for the last hour so
//! `metrics` can show one node (`node=<host:port>`), with that node's alerts.

use std::collections::{BTreeMap, VecDeque};

use serde::Deserialize;

use super::metrics::{downsample, Compact, MetricsQuery, MetricsReply, MetricsSample, Sampler};
use super::sync::lock;
use redscope::error::{Error, Result};
use redscope::health::{self, Stats};

/// Samples kept per master: one hour at one a second.
pub const NODE_HISTORY: usize = 3_600;

/// Query of `metrics` with an optional node: `metrics?node=127.0.0.1:7001`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NodeMetricsQuery {
    /// How far back, in seconds (default 300; at most 3,600 for one node).
    pub range_s: Option<u64>,
    /// How many points at most (default 300).
    pub points: Option<usize>,
    /// A master's `host:port` (from `nodes` of a `metrics` reply); none for the cluster total.
    pub node: Option<String>,
}

/// One master's samples and the figures of its previous tick (for rates).
#[derive(Default)]
struct NodeSeries {
    ring: VecDeque<Compact>,
    prev: Option<(Stats, u64)>,
    latest: Option<Stats>,
}

/// Every master's series, by `host:port`; masters that left the Cluster are dropped.
#[derive(Default)]
pub(crate) struct NodeHistories {
    nodes: BTreeMap<String, NodeSeries>,
}

impl NodeHistories {
    /// Adds one tick of per-master INFO figures taken at `at_ms` (empty for a single server).
    pub(crate) fn record(&mut self, per_node: Vec<(String, Stats)>, at_ms: u64) {
        self.nodes
            .retain(|addr, _| per_node.iter().any(|(a, _)| a == addr));
        for (addr, stats) in per_node {
            let series = self.nodes.entry(addr).or_default();
            let prev = series
                .prev
                .as_ref()
                .filter(|(_, at)| at_ms > *at)
                .map(|(p, at)| (p, (at_ms - at) as f64 / 1000.0));
            let sample = MetricsSample::from_stats(&stats, prev, at_ms);
            if series.ring.len() == NODE_HISTORY {
                series.ring.pop_front();
            }
            series.ring.push_back(Compact::pack(&sample));
            series.prev = Some((stats.clone(), at_ms));
            series.latest = Some(stats);
        }
    }
}

impl Sampler {
    /// The masters `metrics` can show one by one (Cluster only; empty otherwise).
    pub fn nodes(&self) -> Vec<String> {
        lock(&self.nodes).nodes.keys().cloned().collect()
    }

    /// `metrics` for the cluster total (no `node`) or for one master of a Cluster.
    pub fn history(&self, q: &NodeMetricsQuery) -> Result<MetricsReply> {
        let total = MetricsQuery {
            range_s: q.range_s,
            points: q.points,
        };
        let Some(node) = q.node.as_deref().filter(|n| !n.is_empty()) else {
            return self.total(&total);
        };
        // Validates range and points the same way, and starts the sampler if needed.
        let all = self.total(&total)?;
        let range_s = q.range_s.unwrap_or(300);
        if range_s > NODE_HISTORY as u64 {
            return Err(Error::InvalidInput(format!(
                "range_s must be at most {NODE_HISTORY} for one node"
            )));
        }
        let points = q.points.unwrap_or(super::metrics::DEFAULT_POINTS);
        let histories = lock(&self.nodes);
        let series = histories.nodes.get(node).ok_or_else(|| {
            Error::NotFound(format!(
                "no master {node:?} is sampled (nodes: {})",
                all.nodes.join(", ")
            ))
        })?;
        let since = series
            .ring
            .back()
            .map(|c| c.at_ms())
            .unwrap_or(0)
            .saturating_sub(range_s * 1000);
        let chosen: Vec<Compact> = series
            .ring
            .iter()
            .filter(|c| c.at_ms() >= since)
            .copied()
            .collect();
        Ok(MetricsReply {
            samples: downsample(&chosen, points),
            alerts: series
                .latest
                .as_ref()
                .map(|s| health::alerts_with(s, &self.session.thresholds()))
                .unwrap_or_default(),
            nodes: all.nodes,
        })
    }
}
