//! What the server says about its pub/sub: the active channels (`PUBSUB CHANNELS`) with their
//! subscriber counts (`PUBSUB NUMSUB`), the pattern subscriptions (`PUBSUB NUMPAT`), and the
//! sharded channels of Redis 7+ (`PUBSUB SHARDCHANNELS`, `PUBSUB SHARDNUMSUB`). Asked of every
//! master and summed (a Cluster node only knows its own clients' subscriptions); at most
//! [`MAX_CHANNELS`] channels of each kind are listed.

use std::collections::BTreeMap;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::session::Session;
use redscope::error::Result;

/// Most channels (and most sharded channels) one reply lists.
pub const MAX_CHANNELS: usize = 1000;

/// Query of `pubsub_counts`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct PubsubQuery {
    /// Only channels matching this glob (default `*`).
    pub pattern: Option<String>,
}

/// A channel and how many clients subscribe to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ChannelSubscribers {
    pub channel: String,
    pub subscribers: u64,
}

/// Reply of `pubsub_counts`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct PubsubCounts {
    /// Channels with at least one subscriber (PUBSUB CHANNELS + NUMSUB), most subscribed first.
    pub channels: Vec<ChannelSubscribers>,
    /// Pattern subscriptions (PUBSUB NUMPAT, summed over the masters).
    pub patterns: u64,
    /// Sharded channels (PUBSUB SHARDCHANNELS + SHARDNUMSUB); empty before Redis 7.
    pub shard_channels: Vec<ChannelSubscribers>,
    /// False when the server has no sharded pub/sub (before Redis 7).
    pub sharded: bool,
    /// True when more channels matched than are listed.
    pub truncated: bool,
    /// The masters asked.
    pub nodes: Vec<String>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// `[name, count, name, count, …]` (NUMSUB, SHARDNUMSUB) into `into`, summed by name.
fn add_counts(v: Value, into: &mut BTreeMap<String, u64>) {
    let items = match v {
        Value::Array(items) => items,
        Value::Map(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        _ => return,
    };
    for pair in items.chunks(2) {
        if let (Some(name), Some(Value::Int(n))) = (pair.first().and_then(text), pair.get(1)) {
            *into.entry(name).or_default() += (*n).max(0) as u64;
        }
    }
}

/// One master's channels of a kind matching `pattern` (`PUBSUB list`, at most
/// [`MAX_CHANNELS`]) with their subscribers (`PUBSUB count`) added into `into`; true when the
/// list was cut.
async fn count_channels(
    c: &mut redscope::conn::NodeLink,
    list: &str,
    count: &str,
    pattern: &str,
    into: &mut BTreeMap<String, u64>,
) -> Result<bool> {
    let mut found = names(
        redis::cmd("PUBSUB")
            .arg(list)
            .arg(pattern)
            .query_async(c)
            .await?,
    );
    let truncated = found.len() > MAX_CHANNELS;
    found.truncate(MAX_CHANNELS);
    if !found.is_empty() {
        let v: Value = redis::cmd("PUBSUB")
            .arg(count)
            .arg(&found)
            .query_async(c)
            .await?;
        add_counts(v, into);
    }
    Ok(truncated)
}

fn names(v: Value) -> Vec<String> {
    match v {
        Value::Array(items) | Value::Set(items) => items.iter().filter_map(text).collect(),
        _ => Vec::new(),
    }
}

fn listed(counts: BTreeMap<String, u64>) -> Vec<ChannelSubscribers> {
    let mut v: Vec<ChannelSubscribers> = counts
        .into_iter()
        .map(|(channel, subscribers)| ChannelSubscribers {
            channel,
            subscribers,
        })
        .collect();
    v.sort_by(|a, b| {
        b.subscribers
            .cmp(&a.subscribers)
            .then(a.channel.cmp(&b.channel))
    });
    v
}

/// Asks every master of the session.
pub(crate) async fn counts(session: &Session, q: &PubsubQuery) -> Result<PubsubCounts> {
    let pattern = q
        .pattern
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or("*");
    let mut conn = session.conn().await?;
    let product = session.product(&mut conn).await?;
    // Valkey's versions start at 7.2's features; Redis has sharded pub/sub from 7.0.
    let sharded = product.major_minor().is_some_and(|mm| mm >= (7, 0)) || product.name == "valkey";
    let masters = session.masters().await?;
    let (mut chans, mut shards) = (BTreeMap::new(), BTreeMap::new());
    let (mut patterns, mut truncated) = (0u64, false);
    for m in &masters {
        let mut c = m.conn.clone();
        truncated |= count_channels(&mut c, "CHANNELS", "NUMSUB", pattern, &mut chans).await?;
        patterns += redis::cmd("PUBSUB")
            .arg("NUMPAT")
            .query_async::<u64>(&mut c)
            .await?;
        if sharded {
            truncated |=
                count_channels(&mut c, "SHARDCHANNELS", "SHARDNUMSUB", pattern, &mut shards)
                    .await?;
        }
    }
    let mut channels = listed(chans);
    let mut shard_channels = listed(shards);
    truncated |= channels.len() > MAX_CHANNELS || shard_channels.len() > MAX_CHANNELS;
    channels.truncate(MAX_CHANNELS);
    shard_channels.truncate(MAX_CHANNELS);
    Ok(PubsubCounts {
        channels,
        patterns,
        shard_channels,
        sharded,
        truncated,
        nodes: masters.into_iter().map(|m| m.addr).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_summed_by_channel_and_listed_most_subscribed_first() {
        let mut into = BTreeMap::new();
        let reply = |pairs: &[(&str, i64)]| {
            Value::Array(
                pairs
                    .iter()
                    .flat_map(|(n, c)| [Value::BulkString(n.as_bytes().to_vec()), Value::Int(*c)])
                    .collect(),
            )
        };
        add_counts(reply(&[("a", 1), ("b", 3)]), &mut into);
        add_counts(reply(&[("a", 4)]), &mut into);
        let l = listed(into);
        assert_eq!(
            l.iter()
                .map(|c| (c.channel.as_str(), c.subscribers))
                .collect::<Vec<_>>(),
            [("a", 5), ("b", 3)]
        );
    }
}
