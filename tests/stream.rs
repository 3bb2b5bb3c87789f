//! Market data streams on real redis-server processes: 100,000 ticks through a group of four
//! consumers with one killed mid-run, redis-py interop both ways, failures left pending and
//! retried, malformed entries dead-lettered, replay by time and id, and prompt cancellation.

use std::collections::HashSet;
use std::convert::Infallible;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use redscope::stream::{
    ConsumerOptions, MalformedPolicy, MarketDataStream, MarketTick, ReplayFrom, StreamTick,
};
use redscope_testing::{self as testing, RedisServer};
use tokio::sync::Notify;

/// Polls `check` every 20 ms until it is true or `limit` passes; returns whether it became true.
async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn recorder(
    seen: Arc<Mutex<HashSet<String>>>,
) -> impl FnMut(StreamTick) -> std::future::Ready<Result<(), Infallible>> + Send + 'static {
    move |t: StreamTick| {
        seen.lock().expect("lock").insert(t.id);
        std::future::ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_ticks_survive_a_killed_consumer() {
    const TOTAL: usize = 100_000;
    const BATCH: usize = 1_000;
    const VICTIM_AFTER: usize = 1_500;
    let started = Instant::now();
    let server = RedisServer::start().unwrap();
    let stream = MarketDataStream::connect(&server.config(), "market:data")
        .await
        .unwrap()
        .with_maxlen(Some(1_000_000));
    assert!(stream.ensure_group("pricing", "0").await.unwrap());
    assert!(
        !stream.ensure_group("pricing", "0").await.unwrap(),
        "BUSYGROUP is success"
    );

    let seen = Arc::new(Mutex::new(HashSet::new()));
    let opts = |name: &str| {
        ConsumerOptions::new("pricing", name)
            .count(500)
            .block(Duration::from_millis(200))
            .claim_idle(Duration::from_millis(1_000))
            .claim_interval(Duration::from_millis(250))
    };
    let survivors: Vec<_> = (0..3)
        .map(|i| stream.spawn_consumer(opts(&format!("survivor-{i}")), recorder(seen.clone())))
        .collect();

    // The victim handles VICTIM_AFTER ticks, then hangs inside its handler until it is killed.
    let handled = Arc::new(AtomicUsize::new(0));
    let hung = Arc::new(Notify::new());
    let victim = {
        let (seen, handled, hung) = (seen.clone(), handled.clone(), hung.clone());
        stream.spawn_consumer(
            opts("victim").claim_idle(Duration::from_secs(3600)),
            move |t: StreamTick| {
                let (seen, handled, hung) = (seen.clone(), handled.clone(), hung.clone());
                async move {
                    if handled.fetch_add(1, Ordering::SeqCst) >= VICTIM_AFTER {
                        hung.notify_one();
                        std::future::pending::<()>().await;
                    }
                    seen.lock().expect("lock").insert(t.id);
                    Ok::<(), Infallible>(())
                }
            },
        )
    };

    let publisher = {
        let stream = stream.clone();
        tokio::spawn(async move {
            let mut ids = Vec::with_capacity(TOTAL);
            for b in 0..TOTAL / BATCH {
                let ticks: Vec<MarketTick> = (0..BATCH)
                    .map(|i| {
                        MarketTick::new(format!("SYM{}", i % 50), 100.0 + (b * BATCH + i) as f64)
                            .with_volume(1.0)
                    })
                    .collect();
                ids.extend(stream.publish_batch(&ticks).await.unwrap());
            }
            ids
        })
    };

    tokio::time::timeout(Duration::from_secs(20), hung.notified())
        .await
        .expect("the victim reads entries");
    // Entries the victim read but never acknowledged (counted before anyone can claim them).
    let left_by_victim = stream
        .pending("pricing")
        .await
        .unwrap()
        .consumers
        .iter()
        .find(|(name, _)| name == "victim")
        .map(|(_, n)| *n)
        .unwrap_or(0);
    victim.abort();
    let victim_stats = victim.join().await.unwrap();
    let published = publisher.await.unwrap();
    assert_eq!(published.len(), TOTAL);
    assert_eq!(stream.len().await.unwrap(), TOTAL as u64);
    assert!(
        left_by_victim > 0,
        "the killed consumer left entries pending"
    );

    let drained = eventually(Duration::from_secs(30), || async {
        let pending = stream.pending("pricing").await.unwrap().count;
        let lag = stream.groups().await.unwrap()[0].lag;
        pending == 0 && lag == Some(0) && seen.lock().expect("lock").len() == TOTAL
    })
    .await;
    assert!(drained, "every tick processed and acknowledged");

    let mut totals = victim_stats;
    for s in survivors {
        let st = s.stop_and_join().await.unwrap();
        totals.processed += st.processed;
        totals.acked += st.acked;
        totals.claimed += st.claimed;
        totals.failed += st.failed;
        totals.malformed += st.malformed;
    }
    let seen = std::mem::take(&mut *seen.lock().expect("lock"));
    let missing = published.iter().filter(|id| !seen.contains(*id)).count();
    assert_eq!(missing, 0, "no published tick was lost");
    assert_eq!(seen.len(), TOTAL);
    assert_eq!(
        totals.acked, TOTAL as u64,
        "each entry acknowledged exactly once"
    );
    assert!(totals.processed >= TOTAL as u64);
    assert!(
        totals.claimed >= left_by_victim,
        "survivors took over the victim's entries"
    );
    assert_eq!(victim_stats.processed, VICTIM_AFTER as u64);
    assert_eq!((totals.failed, totals.malformed), (0, 0));
    let groups = stream.groups().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].consumers, 4);
    assert_eq!(groups[0].pending, 0);
    eprintln!(
        "100k ticks: {:?}, victim left {left_by_victim}, claimed {}",
        started.elapsed(),
        totals.claimed
    );
}

const PY_PRODUCER: &str = r#"
import sys, time, redis
from datetime import datetime, timezone
r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), decode_responses=True)
for i in range(50):
    r.xadd('market:data', {
        'symbol': 'AAPL', 'price': str(175.5 + i * 0.01), 'bid': '175.45', 'ask': '175.55',
        'volume': 1000 + i,
        'timestamp': datetime(2024, 1, 2, 3, 4, 5, 678000).isoformat(),
        'exchange': 'NASDAQ'})
r.xadd('market:data', {'symbol': 'BTC-USDT', 'price': 43000.25, 'timestamp': 1700000000.5})
"#;

const PY_READER: &str = r#"
import sys, json, redis
from datetime import datetime, timezone
r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), decode_responses=True)
out = []
for id, f in r.xrange('rust:data'):
    # Every known field is present (fields['bid'] never raises); the time is naive UTC, as
    # datetime.utcnow().isoformat() writes it, so it compares with utcnow().
    ts = datetime.fromisoformat(f['timestamp'])
    assert ts.tzinfo is None and ts < datetime.utcnow(), f['timestamp']
    out.append({'id': id, 'symbol': f['symbol'], 'price': float(f['price']),
                'bid': float(f['bid']) if f['bid'] else None,
                'ask': float(f['ask']) if f['ask'] else None,
                'volume': float(f['volume']),
                'ts_ms': round(ts.replace(tzinfo=timezone.utc).timestamp() * 1000),
                'venue': f.get('venue')})
print(json.dumps(out))
"#;

fn python(script: &str, port: u16) -> String {
    let out = Command::new(testing::python())
        .arg("-c")
        .arg(script)
        .arg(port.to_string())
        .output()
        .expect("run python with redis-py (set REDSCOPE_PYTHON)");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn python_ticks_decode_and_python_reads_ours() {
    let server = RedisServer::start().unwrap();
    let cfg = server.config();
    let stream = MarketDataStream::connect(&cfg, "market:data")
        .await
        .unwrap();
    python(PY_PRODUCER, server.port());

    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("rust", "r1")
            .start_id("0")
            .block(Duration::from_millis(100)),
        move |t: StreamTick| {
            sink.lock().expect("lock").push(t.tick);
            std::future::ready(Ok::<(), Infallible>(()))
        },
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            got.lock().expect("lock").len() == 51
        })
        .await
    );
    let stats = consumer.stop_and_join().await.unwrap();
    assert_eq!((stats.processed, stats.acked, stats.malformed), (51, 51, 0));
    let ticks = got.lock().expect("lock").clone();
    for (i, t) in ticks[..50].iter().enumerate() {
        assert_eq!(t.symbol, "AAPL");
        assert_eq!(t.price, 175.5 + i as f64 * 0.01, "tick {i}");
        assert_eq!((t.bid, t.ask), (Some(175.45), Some(175.55)));
        assert_eq!(t.volume, 1000.0 + i as f64);
        assert_eq!(t.timestamp.timestamp_millis(), 1_704_164_645_678);
        assert_eq!(t.extra.get("exchange").map(String::as_str), Some("NASDAQ"));
        assert_eq!(t.extra.len(), 1);
    }
    assert_eq!(ticks[50].symbol, "BTC-USDT");
    assert_eq!(ticks[50].price, 43000.25);
    assert_eq!(ticks[50].bid, None);
    assert_eq!(ticks[50].timestamp.timestamp_millis(), 1_700_000_000_500);

    // The other way: what publish_quote / publish_batch write, redis-py reads as the same numbers.
    let ours = MarketDataStream::connect(&cfg, "rust:data").await.unwrap();
    let quote_id = ours
        .publish_quote("MSFT", 300.25, Some(300.2), Some(300.3))
        .await
        .unwrap();
    let when = Utc.timestamp_millis_opt(1_710_000_000_123).unwrap();
    let batch = vec![
        MarketTick::new("ETH-USDT", 2250.125)
            .with_volume(0.75)
            .with_timestamp(when)
            .with_extra("venue", "binance"),
        MarketTick::new("SOL-USDT", 1e-7).with_timestamp(when),
    ];
    let ids = ours.publish_batch(&batch).await.unwrap();
    let read: serde_json::Value = serde_json::from_str(&python(PY_READER, server.port())).unwrap();
    let rows = read.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["id"], quote_id);
    assert_eq!(rows[0]["symbol"], "MSFT");
    assert_eq!(rows[0]["price"].as_f64(), Some(300.25));
    assert_eq!(rows[0]["bid"].as_f64(), Some(300.2));
    assert_eq!(rows[0]["ask"].as_f64(), Some(300.3));
    assert_eq!(rows[1]["id"], ids[0]);
    assert_eq!(rows[1]["price"].as_f64(), Some(2250.125));
    assert_eq!(rows[1]["volume"].as_f64(), Some(0.75));
    assert_eq!(rows[1]["ts_ms"].as_i64(), Some(1_710_000_000_123));
    assert_eq!(rows[1]["venue"], "binance");
    assert!(rows[1]["bid"].is_null());
    assert_eq!(rows[2]["price"].as_f64(), Some(1e-7));
}

#[tokio::test]
async fn failed_handler_leaves_entry_pending_until_a_retry_succeeds() {
    let server = RedisServer::start().unwrap();
    let stream = MarketDataStream::connect(&server.config(), "market:data")
        .await
        .unwrap();
    stream.ensure_group("g", "0").await.unwrap();
    let ids = stream
        .publish_batch(
            &(0..10)
                .map(|i| MarketTick::new("X", i as f64 + 1.0))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let poison = ids[3].clone();
    let attempts = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(Mutex::new(HashSet::new()));
    let (a, d, p) = (attempts.clone(), done.clone(), poison.clone());
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("g", "c1")
            .block(Duration::from_millis(50))
            .claim_idle(Duration::from_millis(1_000))
            .claim_interval(Duration::from_millis(50)),
        move |t: StreamTick| {
            let first_try = t.id == p && a.fetch_add(1, Ordering::SeqCst) == 0;
            if !first_try {
                d.lock().expect("lock").insert(t.id);
            }
            std::future::ready(if first_try {
                Err("downstream unavailable")
            } else {
                Ok(())
            })
        },
    );
    // After the first pass, only the failed entry is pending.
    assert!(
        eventually(Duration::from_secs(5), || async {
            done.lock().expect("lock").len() >= 9
        })
        .await
    );
    let summary = stream.pending("g").await.unwrap();
    assert_eq!(
        done.lock().expect("lock").len(),
        9,
        "not retried before claim_idle"
    );
    assert_eq!(summary.count, 1);
    assert_eq!(summary.min_id.as_deref(), Some(poison.as_str()));
    // After claim_idle it is claimed again and succeeds.
    assert!(
        eventually(Duration::from_secs(5), || async {
            done.lock().expect("lock").len() == 10 && stream.pending("g").await.unwrap().count == 0
        })
        .await
    );
    let stats = consumer.stop_and_join().await.unwrap();
    assert_eq!(stats.failed, 1);
    assert_eq!(stats.processed, 10);
    assert_eq!(stats.acked, 10);
    assert_eq!(stats.claimed, 1);
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn malformed_entries_are_dead_lettered_and_the_loop_goes_on() {
    let server = RedisServer::start().unwrap();
    let cfg = server.config();
    let stream = MarketDataStream::connect(&cfg, "market:data")
        .await
        .unwrap();
    stream.ensure_group("g", "0").await.unwrap();
    let mut raw = redscope::conn::connect(&cfg).await.unwrap();
    let bad: [&[(&[u8], &[u8])]; 4] = [
        &[(b"symbol", b"AAPL")],                             // no price
        &[(b"symbol", b"AAPL"), (b"price", b"one hundred")], // not a number
        &[(b"symbol", b"\xff\xfe"), (b"price", b"1")],       // not UTF-8
        &[
            (b"symbol", b"AAPL"),
            (b"price", b"1"),
            (b"timestamp", b"soon"),
        ],
    ];
    for (i, fields) in bad.iter().enumerate() {
        stream
            .publish_quote("GOOD", i as f64 + 1.0, None, None)
            .await
            .unwrap();
        let mut cmd = redis::cmd("XADD");
        cmd.arg("market:data").arg("*");
        for (k, v) in *fields {
            cmd.arg(*k).arg(*v);
        }
        let _: String = cmd.query_async(&mut raw).await.unwrap();
    }
    let good = Arc::new(AtomicUsize::new(0));
    let g = good.clone();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("g", "c1")
            .block(Duration::from_millis(50))
            .malformed(MalformedPolicy::DeadLetter("market:data:dlq".into())),
        move |_t: StreamTick| {
            g.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok::<(), Infallible>(()))
        },
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            consumer.stats().acked == 8
        })
        .await
    );
    let stats = consumer.stop_and_join().await.unwrap();
    assert_eq!(
        (stats.processed, stats.malformed, stats.dead_lettered),
        (4, 4, 4)
    );
    assert_eq!(good.load(Ordering::SeqCst), 4);
    assert_eq!(stream.pending("g").await.unwrap().count, 0);
    let dlq = MarketDataStream::connect(&cfg, "market:data:dlq")
        .await
        .unwrap();
    let letters = dlq.range("-", "+", 100).await.unwrap();
    assert_eq!(letters.len(), 4);
    let binary = letters[2].fields.as_ref().unwrap();
    assert_eq!(
        binary[0],
        (b"symbol".to_vec(), b"\xff\xfe".to_vec()),
        "bytes kept as written"
    );
    let reason = |e: &redscope::stream::RawEntry| {
        e.fields
            .as_ref()
            .unwrap()
            .iter()
            .find(|(k, _)| k == b"_dlq_reason")
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap()
    };
    assert!(reason(&letters[0]).contains("price"));
    assert!(reason(&letters[3]).contains("timestamp"));
}

#[tokio::test]
async fn replays_by_time_and_id_in_pages_and_bounds_length() {
    let server = RedisServer::start().unwrap();
    let cfg = server.config();
    let stream = MarketDataStream::connect(&cfg, "market:replay")
        .await
        .unwrap();
    let mut raw = redscope::conn::connect(&cfg).await.unwrap();
    // Explicit ids: 250 entries at 1,000,000 + i*10 ms.
    for i in 0..250u64 {
        let _: String = redis::cmd("XADD")
            .arg("market:replay")
            .arg(format!("{}-0", 1_000_000 + i * 10))
            .arg("symbol")
            .arg("AAPL")
            .arg("price")
            .arg(i)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    let mut prices = Vec::new();
    let from = Utc.timestamp_millis_opt(1_000_000 + 100 * 10).unwrap();
    let until = Utc.timestamp_millis_opt(1_000_000 + 199 * 10).unwrap();
    let seen = stream
        .replay(ReplayFrom::Time(from), Some(until), 30, |e| {
            prices.push(e.unwrap().tick.price)
        })
        .await
        .unwrap();
    assert_eq!(seen, 100);
    assert_eq!(prices, (100..200).map(|i| i as f64).collect::<Vec<_>>());

    let page = stream
        .replay_page(&ReplayFrom::Id("1000500-0".into()), None, 40)
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 40);
    assert_eq!(page.entries[0].as_ref().unwrap().tick.price, 50.0);
    let next = page.next.clone().unwrap();
    let page2 = stream
        .replay_page(&ReplayFrom::After(next), None, 1000)
        .await
        .unwrap();
    assert_eq!(page2.entries.len(), 160);
    assert_eq!(page2.entries[0].as_ref().unwrap().tick.price, 90.0);
    assert!(page2.next.is_none());
    assert!(
        stream
            .replay_page(&ReplayFrom::Id("yesterday".into()), None, 10)
            .await
            .unwrap_err()
            .kind()
            == redscope::ErrorKind::InvalidInput
    );

    // MAXLEN ~ keeps about the configured length (whole nodes of 100 entries are dropped).
    let bounded = MarketDataStream::connect(&cfg, "market:bounded")
        .await
        .unwrap()
        .with_maxlen(Some(1_000));
    for _ in 0..10 {
        let ticks: Vec<_> = (0..500)
            .map(|i| MarketTick::new("X", i as f64 + 1.0))
            .collect();
        assert_eq!(bounded.publish_batch(&ticks).await.unwrap().len(), 500);
    }
    let len = bounded.len().await.unwrap();
    assert!(
        (1_000..1_200).contains(&len),
        "length {len} is bounded near 1000"
    );
    let err = bounded
        .publish(&MarketTick::new("X", f64::INFINITY))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), redscope::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn telemetry_reports_lag_and_pending_per_group() {
    let server = RedisServer::start().unwrap();
    let stream = MarketDataStream::connect(&server.config(), "market:data")
        .await
        .unwrap();
    stream.ensure_group("fast", "0").await.unwrap();
    stream.ensure_group("slow", "0").await.unwrap();
    let ticks: Vec<_> = (0..30)
        .map(|i| MarketTick::new("X", i as f64 + 1.0))
        .collect();
    let ids = stream.publish_batch(&ticks).await.unwrap();
    // `fast` reads 20 and acks 5 of them; `slow` reads nothing.
    let claim = stream
        .autoclaim("fast", "c1", Duration::ZERO, "0-0", 10)
        .await
        .unwrap();
    assert!(claim.entries.is_empty(), "nothing pending yet");
    let mut c = redscope::conn::connect(&server.config()).await.unwrap();
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("fast")
        .arg("c1")
        .arg("COUNT")
        .arg(20)
        .arg("STREAMS")
        .arg("market:data")
        .arg(">")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(stream.ack("fast", &ids[..5]).await.unwrap(), 5);
    let groups = stream.groups().await.unwrap();
    let fast = groups.iter().find(|g| g.name == "fast").unwrap();
    let slow = groups.iter().find(|g| g.name == "slow").unwrap();
    assert_eq!((fast.pending, fast.lag, fast.consumers), (15, Some(10), 1));
    assert_eq!((slow.pending, slow.lag), (0, Some(30)));
    let p = stream.pending("fast").await.unwrap();
    assert_eq!(p.count, 15);
    assert_eq!(p.min_id.as_deref(), Some(ids[5].as_str()));
    assert_eq!(p.max_id.as_deref(), Some(ids[19].as_str()));
    assert_eq!(p.consumers, vec![("c1".to_string(), 15)]);
    // A second consumer takes over everything idle for >= 0 ms.
    let claim = stream
        .autoclaim("fast", "c2", Duration::ZERO, "0-0", 100)
        .await
        .unwrap();
    assert_eq!(claim.entries.len(), 15);
    assert_eq!(claim.next, "0-0");
    assert_eq!(
        stream.pending("fast").await.unwrap().consumers,
        vec![("c2".to_string(), 15)]
    );
}

#[tokio::test]
async fn consumer_stops_promptly_on_cancel_and_reports_bad_credentials() {
    let server = RedisServer::builder()
        .password("s3cret-pw")
        .start()
        .unwrap();
    let cfg = server.config();
    let stream = MarketDataStream::connect(&cfg, "market:data")
        .await
        .unwrap();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("g", "c1").block(Duration::from_secs(30)),
        |_t: StreamTick| std::future::ready(Ok::<(), Infallible>(())),
    );
    // Wait until the consumer is blocked in XREADGROUP (the server counts it as blocked).
    let probe = redscope::conn::connect(&cfg).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || {
            let mut probe = probe.clone();
            async move {
                let info: String = redis::cmd("INFO")
                    .arg("clients")
                    .query_async(&mut probe)
                    .await
                    .unwrap();
                info.contains("blocked_clients:1")
            }
        })
        .await,
        "consumer never blocked: finished={} stats={:?}",
        consumer.is_finished(),
        consumer.stats()
    );
    let stop = Instant::now();
    let stats = tokio::time::timeout(Duration::from_secs(2), consumer.stop_and_join())
        .await
        .expect("stops well before its 30 s block ends")
        .unwrap();
    assert!(
        stop.elapsed() < Duration::from_secs(1),
        "stopped in {:?}",
        stop.elapsed()
    );
    assert_eq!(stats.processed, 0);
    let released = eventually(Duration::from_secs(2), || {
        let mut probe = probe.clone();
        async move {
            let info: String = redis::cmd("INFO")
                .arg("clients")
                .query_async(&mut probe)
                .await
                .unwrap();
            info.contains("blocked_clients:0")
        }
    })
    .await;
    assert!(released, "the blocking connection is closed on stop");

    let mut wrong = cfg.clone();
    wrong.password = Some(redscope::Secret::new("wrong-pw"));
    let err = MarketDataStream::connect(&wrong, "market:data")
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), redscope::ErrorKind::Auth);
    assert!(!err.to_string().contains("wrong-pw") && !err.to_string().contains("s3cret"));
}

#[tokio::test]
async fn an_entry_that_keeps_failing_is_given_up_after_max_deliveries() {
    let server = RedisServer::start().unwrap();
    let cfg = server.config();
    let stream = MarketDataStream::connect(&cfg, "market:data")
        .await
        .unwrap();
    stream.ensure_group("g", "0").await.unwrap();
    let ids = stream
        .publish_batch(&[MarketTick::new("OK", 1.0), MarketTick::new("POISON", 2.0)])
        .await
        .unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let a = attempts.clone();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("g", "c1")
            .block(Duration::from_millis(20))
            .claim_idle(Duration::from_millis(50))
            .claim_interval(Duration::from_millis(20))
            .max_deliveries(3)
            .malformed(MalformedPolicy::DeadLetter("market:data:dlq".into())),
        move |t: StreamTick| {
            let poison = t.tick.symbol == "POISON";
            if poison {
                a.fetch_add(1, Ordering::SeqCst);
            }
            std::future::ready(if poison { Err("cannot price") } else { Ok(()) })
        },
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            consumer.stats().given_up == 1
        })
        .await
    );
    let stats = consumer.stop_and_join().await.unwrap();
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "tried max_deliveries times"
    );
    assert_eq!((stats.processed, stats.failed, stats.given_up), (1, 3, 1));
    assert_eq!((stats.acked, stats.dead_lettered), (2, 1));
    assert_eq!(stream.pending("g").await.unwrap().count, 0);
    let dlq = MarketDataStream::connect(&cfg, "market:data:dlq")
        .await
        .unwrap();
    let letters = dlq.range("-", "+", 10).await.unwrap();
    assert_eq!(letters.len(), 1);
    let fields = letters[0].fields.clone().unwrap();
    assert!(fields.contains(&(b"_dlq_id".to_vec(), ids[1].clone().into_bytes())));
    assert!(fields.contains(&(b"symbol".to_vec(), b"POISON".to_vec())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumer_rides_out_a_server_restart() {
    let mut server = RedisServer::start().unwrap();
    let stream = MarketDataStream::connect(&server.config(), "market:data")
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("g", "c1")
            .start_id("0")
            .block(Duration::from_millis(100)),
        recorder(seen.clone()),
    );
    let first = stream
        .publish_batch(
            &(0..10)
                .map(|i| MarketTick::new("A", i as f64 + 1.0))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            seen.lock().expect("lock").len() == 10
        })
        .await
    );

    // The server dies and comes back empty (no persistence): the loop waits, reconnects and
    // recreates its group, then handles what is published afterwards.
    tokio::task::block_in_place(|| server.restart()).unwrap();
    let batch: Vec<_> = (0..20)
        .map(|i| MarketTick::new("B", i as f64 + 1.0))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    let second = loop {
        match stream.publish_batch(&batch).await {
            Ok(ids) => break ids,
            Err(e) if e.is_transient() && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("publish after restart: {e}"),
        }
    };
    assert!(
        eventually(Duration::from_secs(10), || async {
            seen.lock().expect("lock").len() == 30
        })
        .await,
        "entries published after the restart are consumed: {:?}",
        consumer.stats()
    );
    let stats = consumer.stop_and_join().await.unwrap();
    assert_eq!((stats.processed, stats.acked), (30, 30));
    assert!(stats.errors >= 1, "the outage was noticed");
    let seen = seen.lock().expect("lock").clone();
    assert!(first.iter().chain(&second).all(|id| seen.contains(id)));
    assert_eq!(stream.pending("g").await.unwrap().count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumers_read_streams_on_every_cluster_master() {
    let cluster = tokio::task::block_in_place(testing::RedisCluster::start).unwrap();
    let cfg = cluster.config();
    // Hash tags a, b, c fall in slots 15495, 3300 and 7365: one stream per master.
    let mut consumers = Vec::new();
    let mut published = Vec::new();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    for tag in ["a", "b", "c"] {
        let stream = MarketDataStream::connect(&cfg, format!("market:{{{tag}}}:data"))
            .await
            .unwrap();
        let ticks: Vec<_> = (0..500)
            .map(|i| MarketTick::new(tag.to_uppercase(), i as f64 + 1.0))
            .collect();
        // Ids are per stream (two masters can mint the same one): key them by symbol.
        let ids = stream.publish_batch(&ticks).await.unwrap();
        published.extend(
            ids.into_iter()
                .map(|id| format!("{}/{id}", tag.to_uppercase())),
        );
        let sink = seen.clone();
        consumers.push((
            stream.clone(),
            stream.spawn_consumer(
                ConsumerOptions::new("g", "c1")
                    .start_id("0")
                    .block(Duration::from_millis(100)),
                move |t: StreamTick| {
                    let key = format!("{}/{}", t.tick.symbol, t.id);
                    sink.lock().expect("lock").insert(key);
                    std::future::ready(Ok::<(), Infallible>(()))
                },
            ),
        ));
    }
    assert!(
        eventually(Duration::from_secs(10), || async {
            seen.lock().expect("lock").len() == 1_500
        })
        .await
    );
    for (stream, consumer) in consumers {
        let stats = consumer.stop_and_join().await.unwrap();
        assert_eq!((stats.processed, stats.acked), (500, 500));
        assert_eq!(stream.pending("g").await.unwrap().count, 0);
    }
    let seen = seen.lock().expect("lock").clone();
    assert!(published.iter().all(|id| seen.contains(id)));
}
