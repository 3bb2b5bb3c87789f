//! `stream-publish` and `stream-consume`: [`MarketDataStream::publish_batch`] against
//! `redis-benchmark -P 64 XADD … MAXLEN ~` with the same fields, and a consumer group's
//! read + ack throughput against the publish rate of the same run.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

use super::{redis_benchmark_rps_blocking, tcp_addr, BenchReport};
use redscope::config::RedisConfig;
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::stream::{ConsumerOptions, MarketDataStream, MarketTick};

/// Entries per side in `stream-publish`.
const PUBLISH_N: usize = 500_000;
/// Ticks per `publish_batch` (and redis-benchmark's `-P`).
const BATCH: usize = 64;
/// The streams' cap (`MAXLEN ~`).
const MAXLEN: usize = 100_000;
/// Entries published, then consumed, in `stream-consume`.
const CONSUME_N: usize = 300_000;

/// `BATCH` realistic ticks; the field values have the lengths redis-benchmark's copy uses.
fn ticks() -> Vec<MarketTick> {
    let ts = Utc
        .timestamp_millis_opt(1_737_115_200_123)
        .single()
        .unwrap_or_else(Utc::now);
    (0..BATCH)
        .map(|i| {
            MarketTick::new("AAPL", 175.5 + (i % 10) as f64 / 100.0)
                .with_quote(175.45, 175.55)
                .with_volume(1000.0)
                .with_timestamp(ts)
        })
        .collect()
}

/// `stream-publish`: entries/s of `publish_batch(64)` vs `redis-benchmark -P 64 XADD`.
pub(super) async fn stream_publish(cfg: &RedisConfig) -> Result<BenchReport> {
    let conn = Conn::connect(cfg).await?;
    let stream =
        MarketDataStream::new(conn, cfg.clone(), "bench:stream:ours").with_maxlen(Some(MAXLEN));
    let batch = ticks();
    let (_, port) = tcp_addr(cfg)?;
    let n = PUBLISH_N.to_string();
    let maxlen = MAXLEN.to_string();
    let (mut ours, mut reference) = (0f64, 0f64);
    for _ in 0..2 {
        let t = Instant::now();
        for _ in 0..PUBLISH_N / BATCH {
            let ids = stream.publish_batch(&batch).await?;
            if ids.len() != BATCH {
                return Err(Error::server(format!(
                    "{} ids for {BATCH} ticks",
                    ids.len()
                )));
            }
        }
        ours = ours.max((PUBLISH_N / BATCH * BATCH) as f64 / t.elapsed().as_secs_f64());
        let rps = redis_benchmark_rps_blocking(
            port,
            vec![
                "-c",
                "1",
                "-P",
                "64",
                "-n",
                &n,
                "XADD",
                "bench:stream:ref",
                "MAXLEN",
                "~",
                &maxlen,
                "*",
                "symbol",
                "AAPL",
                "price",
                "175.51",
                "bid",
                "175.45",
                "ask",
                "175.55",
                "volume",
                "1000",
                "timestamp",
                "2025-01-17T12:00:00.123Z",
            ],
        )
        .await?;
        reference = reference.max(rps);
    }
    let len = stream.len().await?;
    let mut r = BenchReport::new(
        "stream-publish",
        "entries/s",
        ours,
        reference,
        true,
        Some(0.70),
    );
    r.details
        .push(("entries per side and round".into(), PUBLISH_N as f64));
    r.details
        .push(("our stream length (capped)".into(), len as f64));
    Ok(r)
}

/// `stream-consume`: a consumer group reads and acknowledges `CONSUME_N` entries; compared with
/// the rate they were published at in the same run. Every entry must end acknowledged.
pub(super) async fn stream_consume(cfg: &RedisConfig) -> Result<BenchReport> {
    let mut conn = Conn::connect(cfg).await?;
    let stream =
        MarketDataStream::new(conn.clone(), cfg.clone(), "bench:stream:consume").with_maxlen(None);
    let batch = ticks();
    let t = Instant::now();
    for _ in 0..CONSUME_N / BATCH {
        stream.publish_batch(&batch).await?;
    }
    let published = (CONSUME_N / BATCH * BATCH) as u64;
    let publish_rate = published as f64 / t.elapsed().as_secs_f64();

    stream.ensure_group("bench", "0").await?;
    let t = Instant::now();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("bench", "c1")
            .start_id("0")
            .count(1000)
            .block(Duration::from_millis(100)),
        |_tick| async { Ok::<(), Error>(()) },
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while consumer.stats().acked < published && Instant::now() < deadline {
        if consumer.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = t.elapsed().as_secs_f64();
    let stats = consumer.stop_and_join().await?;
    let pending: (u64, redis::Value, redis::Value, redis::Value) = redis::cmd("XPENDING")
        .arg("bench:stream:consume")
        .arg("bench")
        .query_async(&mut conn)
        .await?;
    if stats.acked != published || pending.0 != 0 {
        return Err(Error::server(format!(
            "consumer acked {} of {published} entries, {} left pending",
            stats.acked, pending.0
        )));
    }
    let ours = published as f64 / elapsed;
    let mut r = BenchReport::new(
        "stream-consume",
        "entries/s",
        ours,
        publish_rate,
        true,
        None,
    );
    r.details.push(("entries acked".into(), stats.acked as f64));
    r.details
        .push(("entries pending after".into(), pending.0 as f64));
    r.details.push((
        "target >= 100,000/s met (1 = yes)".into(),
        if ours >= 100_000.0 { 1.0 } else { 0.0 },
    ));
    Ok(r)
}
