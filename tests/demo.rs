//! The demo feed against a private server: after a few seconds every data shape it promises is
//! there with its TTL, the consumer group has acknowledged every tick, subscribers received the
//! signals, orders, heartbeats and flat events it counted, and the hit rate is plausible.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use redscope_cli::demo::{self, DemoOptions, DemoSummary, DEMO_GROUP, REBALANCE_LOCK};
use redscope_testing::RedisServer;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(15);

type Counts = Arc<Mutex<HashMap<String, u64>>>;

/// Keys matching `pattern` (SCAN, bounded), with their PTTL in ms.
async fn keys_with_pttl(
    c: &mut redis::aio::MultiplexedConnection,
    pattern: &str,
) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(c)
            .await
            .expect("SCAN");
        for k in keys {
            let pttl: i64 = redis::cmd("PTTL")
                .arg(&k)
                .query_async(c)
                .await
                .expect("PTTL");
            // -2: it expired between SCAN and PTTL.
            if pttl != -2 {
                out.push((k, pttl));
            }
        }
        cursor = next;
        if cursor == 0 || out.len() > 10_000 {
            return out;
        }
    }
}

fn info_field(info: &str, name: &str) -> f64 {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO has no {name}"))
}

/// Counts messages per channel on a dedicated subscriber connection.
async fn subscriber(url: &str) -> (Counts, tokio::task::JoinHandle<()>) {
    let client = redis::Client::open(url).expect("url");
    let mut ps = client.get_async_pubsub().await.expect("pubsub");
    ps.psubscribe("trading:*").await.expect("psubscribe");
    for ch in ["signals.generated", "orders.executed", "positions.updated"] {
        ps.subscribe(ch).await.expect("subscribe");
    }
    let counts: Counts = Arc::default();
    let c2 = counts.clone();
    let task = tokio::spawn(async move {
        let mut msgs = ps.into_on_message();
        while let Some(m) = msgs.next().await {
            let body: String = m.get_payload().unwrap_or_default();
            // Every message is JSON (the trading envelope or a flat event).
            if serde_json::from_str::<serde_json::Value>(&body).is_err() {
                *c2.lock().unwrap().entry("not-json".into()).or_default() += 1;
            }
            *c2.lock()
                .unwrap()
                .entry(m.get_channel_name().to_string())
                .or_default() += 1;
        }
    });
    (counts, task)
}

fn count(counts: &Counts, ch: &str) -> u64 {
    counts.lock().unwrap().get(ch).copied().unwrap_or(0)
}

#[tokio::test]
async fn demo_feed_fills_every_shape_and_counts_add_up() {
    let server = RedisServer::start().expect("redis-server");
    let cfg = server.config();
    let client = redis::Client::open(server.url()).expect("url");
    let mut c = client
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let (counts, sub_task) = subscriber(&server.url()).await;

    let stop = CancellationToken::new();
    let opts = DemoOptions {
        rate: 400,
        symbols: 6,
        duration: Some(Duration::from_secs(8)),
        summary_every: Duration::from_secs(1),
        seed: Some(42),
    };
    let run_cfg = cfg.clone();
    let run_stop = stop.clone();
    let started = Instant::now();
    let feed = tokio::spawn(async move { demo::run(&run_cfg, &opts, run_stop).await });

    // While it runs (~3 s): wait until one rebalance and one second's work have happened.
    let deadline = Instant::now() + WAIT;
    loop {
        let bars: Vec<(String, i64)> = keys_with_pttl(&mut c, "ohlcv:*:1s").await;
        let heartbeats = count(&counts, "trading:system");
        if (bars.len() == 6 && heartbeats >= 3 && started.elapsed() >= Duration::from_secs(3))
            || Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Cached shapes with their TTL policies (ms upper bounds from the default policy).
    for (pattern, n, max_ttl) in [
        ("ticker:*", 6, 2_000),
        ("orderbook:*", 1, 500),
        ("candles:1m:*", 6, 60_000),
        ("candles:5m:*", 6, 300_000),
        ("signal:momentum:*", 1, 30_000),
        ("api_calls:*", 1, 60_000),
        ("features:*", 6, 3_600_000),
        ("position_sizing:*", 10, 60_000),
        ("market_data:*", 6, 30_000),
        ("onchain_metrics:*", 6, 300_000),
        ("sentiment:*", 6, 60_000),
        ("backtest:*", 1, 86_400_000),
        ("signals:buffer", 1, 86_400_000),
    ] {
        // Short TTLs (order books: 500 ms) may lapse on a stalled machine: look again briefly.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut keys = keys_with_pttl(&mut c, pattern).await;
        while keys.len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            keys = keys_with_pttl(&mut c, pattern).await;
        }
        assert!(
            keys.len() >= n,
            "{pattern}: {} keys, expected >= {n}",
            keys.len()
        );
        for (k, pttl) in &keys {
            assert!(
                *pttl > 0 && *pttl <= max_ttl,
                "{k}: PTTL {pttl}, expected 1..={max_ttl}"
            );
        }
    }
    let tickers = keys_with_pttl(&mut c, "ticker:*").await;
    let raw: String = redis::cmd("GET")
        .arg(&tickers[0].0)
        .query_async(&mut c)
        .await
        .expect("GET ticker");
    let t: demo::Ticker = serde_json::from_str(&raw).expect("ticker JSON");
    assert!(t.bid < t.ask && t.bid > 0.0, "{t:?}");
    assert!(t.low <= t.price && t.price <= t.high, "{t:?}");

    // Time series: 1-second OHLCV bars per symbol and both latency series.
    let bars = keys_with_pttl(&mut c, "ohlcv:*:1s").await;
    assert_eq!(bars.len(), 6, "one 1s OHLCV series per symbol: {bars:?}");
    for series in demo::LATENCY_SERIES {
        let n: u64 = redis::cmd("ZCARD")
            .arg(format!("ts:{series}"))
            .query_async(&mut c)
            .await
            .expect("ZCARD");
        assert!(n >= 10, "ts:{series} holds {n} points");
    }
    let buffered: u64 = redis::cmd("LLEN")
        .arg("signals:buffer")
        .query_async(&mut c)
        .await
        .expect("LLEN");
    assert!(buffered >= 1);

    stop.cancel();
    let summary: DemoSummary = tokio::time::timeout(WAIT, feed)
        .await
        .expect("the demo stops promptly")
        .expect("task")
        .expect("demo run");
    assert!(summary.elapsed_s < 8.0, "stopped by cancel, not duration");
    assert_eq!(summary.errors, 0, "{summary:?}");
    assert!(summary.ticks >= 800, "{summary:?}");
    let buffered_after: u64 = redis::cmd("LLEN")
        .arg("signals:buffer")
        .query_async(&mut c)
        .await
        .expect("LLEN");
    assert_eq!(
        buffered_after,
        summary.signals.min(1000),
        "the signal buffer holds every signal"
    );

    // The stream and its consumer group: every tick acknowledged, nothing pending.
    let len: u64 = redis::cmd("XLEN")
        .arg("market:data")
        .query_async(&mut c)
        .await
        .expect("XLEN");
    assert_eq!(len, summary.ticks);
    assert_eq!(summary.acked, summary.ticks, "{summary:?}");
    let pending: (u64, redis::Value, redis::Value, redis::Value) = redis::cmd("XPENDING")
        .arg("market:data")
        .arg(DEMO_GROUP)
        .query_async(&mut c)
        .await
        .expect("XPENDING");
    assert_eq!(pending.0, 0, "entries left pending");

    // The lock was taken and released.
    assert!(summary.rebalances >= 1, "{summary:?}");
    let held: bool = redis::cmd("EXISTS")
        .arg(format!("lock:{REBALANCE_LOCK}"))
        .query_async(&mut c)
        .await
        .expect("EXISTS");
    assert!(!held, "the rebalance lock is released");

    // Channels: what the demo says it sent is what a subscriber got.
    let deadline = Instant::now() + WAIT;
    while count(&counts, "trading:orders") < summary.orders && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(summary.signals >= 3 && summary.orders >= 1, "{summary:?}");
    assert_eq!(count(&counts, "trading:signals"), summary.signals);
    assert_eq!(count(&counts, "trading:orders"), summary.orders);
    assert_eq!(count(&counts, "orders.executed"), summary.orders);
    assert_eq!(count(&counts, "trading:alerts"), summary.alerts);
    assert!(count(&counts, "trading:system") >= 3, "heartbeats");
    assert!(count(&counts, "signals.generated") >= 1);
    assert_eq!(
        count(&counts, "trading:positions"),
        count(&counts, "positions.updated")
    );
    assert_eq!(count(&counts, "not-json"), 0);
    let total: u64 = counts
        .lock()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.as_str() != "not-json")
        .map(|(_, v)| *v)
        .sum();
    assert_eq!(total, summary.messages, "{summary:?}");

    // A plausible hit rate: the cache's own and the server's keyspace figures.
    assert!(
        summary.hit_rate > 0.6 && summary.hit_rate < 0.99,
        "cache hit rate {}",
        summary.hit_rate
    );
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut c)
        .await
        .expect("INFO");
    let (hits, misses) = (
        info_field(&info, "keyspace_hits"),
        info_field(&info, "keyspace_misses"),
    );
    let rate = hits / (hits + misses);
    assert!(
        (0.5..0.99).contains(&rate),
        "keyspace hit rate {rate} ({hits} hits, {misses} misses)"
    );
    sub_task.abort();
}
