//! The cache against a real redis-server: TTLs that really expire, batches in one round trip,
//! single-flight under 100 concurrent misses, degradation and the breaker across a server kill
//! and restart, pattern invalidation over 200,000 keys, binary values, compression.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redscope::breaker::{BreakerConfig, BreakerState};
use redscope::cache::{Cache, CacheOptions};
use redscope::conn::Conn;
use redscope::retry::RetryPolicy;
use redscope::ttl::DataType;
use redscope::{Error, ErrorKind};
use redscope_testing::RedisServer;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ticker {
    symbol: String,
    price: f64,
    volume: f64,
}

fn ticker(symbol: &str, price: f64) -> Ticker {
    Ticker {
        symbol: symbol.into(),
        price,
        volume: 1500.25,
    }
}

async fn connect(server: &RedisServer) -> Conn {
    Conn::connect(&server.config()).await.unwrap()
}

async fn pttl(conn: &Conn, key: &str) -> i64 {
    let mut c = conn.clone();
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut c)
        .await
        .unwrap()
}

/// Polls until `key` is gone, failing after `limit`; returns how long it took.
async fn wait_gone(conn: &Conn, key: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    let mut c = conn.clone();
    loop {
        let n: i64 = redis::cmd("EXISTS")
            .arg(key)
            .query_async(&mut c)
            .await
            .unwrap();
        if n == 0 {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "{key} still exists after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn command_calls(conn: &Conn, command: &str) -> u64 {
    let mut c = conn.clone();
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut c)
        .await
        .unwrap();
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .map(|n| n.parse().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn typed_get_set_delete_exists_and_ttls_only_where_given() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::connect(&server.config(), CacheOptions::default())
        .await
        .unwrap();

    assert_eq!(cache.get::<Ticker>("t:missing").await.unwrap(), None);
    assert!(cache
        .set("t:btc", &ticker("BTC-USDT", 45000.5))
        .await
        .unwrap());
    assert_eq!(
        cache.get::<Ticker>("t:btc").await.unwrap(),
        Some(ticker("BTC-USDT", 45000.5))
    );
    // No TTL unless one is given: set() persists like redis-py's set(key, value).
    assert_eq!(pttl(&conn, "t:btc").await, -1);
    assert!(cache
        .set_json("t:config", &serde_json::json!({"setting": "value"}), None)
        .await
        .unwrap());
    assert_eq!(pttl(&conn, "t:config").await, -1);
    assert_eq!(
        cache.get_json("t:config").await.unwrap(),
        Some(serde_json::json!({"setting": "value"}))
    );
    // A raw string stays raw, as client.set("key", "value", ex=300) stores it.
    assert!(cache
        .set_ex("t:greeting", "value", Duration::from_secs(300))
        .await
        .unwrap());
    let raw = cache.get_raw(b"t:greeting").await.unwrap().unwrap();
    assert_eq!(raw, b"value");
    let ttl = pttl(&conn, "t:greeting").await;
    assert!(ttl > 290_000 && ttl <= 300_000, "pttl {ttl}");
    // A cache configured with a default TTL applies it to set().
    let expiring = Cache::connect(
        &server.config(),
        CacheOptions {
            default_ttl: Some(Duration::from_secs(60)),
            ..CacheOptions::default()
        },
    )
    .await
    .unwrap();
    assert!(expiring.set("t:exp", &1).await.unwrap());
    let ttl = pttl(&conn, "t:exp").await;
    assert!(ttl > 55_000 && ttl <= 60_000, "pttl {ttl}");

    assert!(cache.exists("t:btc").await.unwrap());
    assert!(!cache.exists("t:missing").await.unwrap());
    assert_eq!(
        cache
            .delete(&["t:btc", "t:config", "t:missing"])
            .await
            .unwrap(),
        2
    );
    assert!(!cache.exists("t:btc").await.unwrap());

    // A plain float as a Python service writes it (`cache.set('btc_price', 45000.50)`).
    cache.set("btc_price", &45000.50).await.unwrap();
    assert_eq!(cache.get::<f64>("btc_price").await.unwrap(), Some(45000.5));

    // Asking for the wrong type is a codec error; a key of another Redis type a server error.
    assert_eq!(
        cache.get::<Ticker>("btc_price").await.unwrap_err().kind(),
        ErrorKind::Codec
    );
    let mut c = conn.clone();
    let _: i64 = redis::cmd("HSET")
        .arg("t:hash")
        .arg("f")
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(
        cache.get::<String>("t:hash").await.unwrap_err().kind(),
        ErrorKind::Server
    );
    // Cache-aside never overwrites a key of another type.
    let err = cache
        .get_or_compute("t:hash", Duration::from_secs(5), || async {
            Ok("x".to_string())
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    let kind: String = redis::cmd("TYPE")
        .arg("t:hash")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(kind, "hash");

    let s = cache.stats();
    // Two more hits (get_json, get_raw) and one more write (set_ex) than before raw strings.
    assert_eq!((s.total.hits, s.total.misses), (5, 1), "{s:?}");
    assert_eq!(s.total.writes, 4);
    assert_eq!(s.total.errors, 3);
    assert_eq!(s.total.computes, 0);
    assert_eq!(s.by_type["default"].hits, 5);
}

#[tokio::test]
async fn ttls_really_expire_with_px_and_ex() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::new(conn.clone());

    // Order books: 500 ms, written with PX.
    let book = cache.typed(DataType::OrderBook);
    assert!(book
        .set("book:btc", &serde_json::json!({"bids": [[45000.0, 1.5]]}))
        .await
        .unwrap());
    let ttl = pttl(&conn, "book:btc").await;
    assert!(ttl > 0 && ttl <= 500, "order book pttl {ttl}");
    let took = wait_gone(&conn, "book:btc", Duration::from_secs(5)).await;
    assert!(
        took <= Duration::from_millis(1500),
        "expired after {took:?}"
    );
    assert_eq!(
        book.get::<serde_json::Value>("book:btc").await.unwrap(),
        None
    );

    // Whole seconds: EX.
    assert!(cache
        .set_ex("one:second", &1, Duration::from_secs(1))
        .await
        .unwrap());
    let ttl = pttl(&conn, "one:second").await;
    assert!(ttl > 0 && ttl <= 1000, "pttl {ttl}");
    wait_gone(&conn, "one:second", Duration::from_secs(5)).await;

    // A zero TTL is refused rather than written without expiry.
    let err = cache.set_ex("zero", &1, Duration::ZERO).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!cache.exists("zero").await.unwrap());
}

#[tokio::test]
async fn ttl_policy_from_a_json_file_changes_what_is_written() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::new(conn.clone());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ttl.json");
    std::fs::write(&file, r#"{"ticker_ms": 1500, "features": "2h"}"#).unwrap();
    assert_eq!(cache.ttl_policy().load_file(&file).unwrap(), 2);

    cache
        .typed(DataType::Ticker)
        .set("tk", &ticker("ETH", 2500.0))
        .await
        .unwrap();
    let ttl = pttl(&conn, "tk").await;
    assert!(ttl > 1000 && ttl <= 1500, "pttl {ttl}");
    cache
        .typed(DataType::Features)
        .set("ft", &[1.0, 2.0])
        .await
        .unwrap();
    let ttl = pttl(&conn, "ft").await;
    assert!(ttl > 7_100_000 && ttl <= 7_200_000, "pttl {ttl}");
    // Changed at run time through another clone.
    let clone = cache.clone();
    clone
        .ttl_policy()
        .set_type(DataType::Ticker, Duration::from_secs(7))
        .unwrap();
    cache
        .typed(DataType::Ticker)
        .set("tk", &ticker("ETH", 2501.0))
        .await
        .unwrap();
    let ttl = pttl(&conn, "tk").await;
    assert!(ttl > 6000 && ttl <= 7000, "pttl {ttl}");
}

#[tokio::test]
async fn get_many_is_one_mget_and_set_many_one_pipeline_with_ttls() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::new(conn.clone());

    let entries: Vec<(String, Ticker)> = (0..50)
        .map(|i| (format!("px:{i}"), ticker(&format!("S{i}"), i as f64)))
        .collect();
    let sets_before = command_calls(&conn, "set").await;
    assert!(cache
        .set_many(&entries, Duration::from_secs(60))
        .await
        .unwrap());
    assert_eq!(command_calls(&conn, "set").await - sets_before, 50);

    let mut keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
    keys.push("px:absent".into());
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mgets_before = command_calls(&conn, "mget").await;
    let got: Vec<Option<Ticker>> = cache.get_many(&refs).await.unwrap();
    assert_eq!(command_calls(&conn, "mget").await - mgets_before, 1);
    assert_eq!(got.len(), 51);
    assert_eq!(got.iter().filter(|v| v.is_some()).count(), 50);
    assert_eq!(got[7], Some(ticker("S7", 7.0)));
    assert_eq!(got[50], None);
    for (k, _) in &entries {
        let t = pttl(&conn, k).await;
        assert!(t > 55_000 && t <= 60_000, "{k}: {t}");
    }

    // Each entry with its own TTL.
    let mixed = [
        ("ttl:a", 1, Duration::from_millis(700)),
        ("ttl:b", 2, Duration::from_secs(30)),
    ];
    assert!(cache.set_many_with_ttls(&mixed).await.unwrap());
    let (a, b) = (pttl(&conn, "ttl:a").await, pttl(&conn, "ttl:b").await);
    assert!(a > 0 && a <= 700, "{a}");
    assert!(b > 29_000 && b <= 30_000, "{b}");

    // An undecodable entry is a miss counted as an error, not a failed batch.
    let mut c = conn.clone();
    let _: () = redis::cmd("SET")
        .arg("px:0")
        .arg(&[0xFFu8, 0xFE][..])
        .query_async(&mut c)
        .await
        .unwrap();
    let errors = cache.stats().total.errors;
    let got: Vec<Option<Ticker>> = cache.get_many(&["px:0", "px:1"]).await.unwrap();
    assert_eq!(got, vec![None, Some(ticker("S1", 1.0))]);
    assert_eq!(cache.stats().total.errors, errors + 1);
    assert!(cache.get_many::<Ticker>(&[]).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_flight_computes_once_under_100_concurrent_misses() {
    let server = RedisServer::start().unwrap();
    let cache = Cache::new(connect(&server).await);
    let computed = Arc::new(AtomicU32::new(0));

    // 100 spawned tasks on two worker threads (the futures are Send).
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let cache = cache.clone();
            let computed = computed.clone();
            tokio::spawn(async move {
                cache
                    .get_or_compute("sf:backtest", Duration::from_secs(60), || async move {
                        computed.fetch_add(1, Ordering::SeqCst);
                        // A slow computation (an exchange call, a backtest).
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        Ok(vec![1.5f64, 2.5, 3.5])
                    })
                    .await
            })
        })
        .collect();
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|joined| joined.expect("no task panicked"))
        .collect();
    assert_eq!(computed.load(Ordering::SeqCst), 1);
    assert_eq!(results.len(), 100);
    for r in &results {
        assert_eq!(r.as_ref().unwrap(), &vec![1.5, 2.5, 3.5]);
    }
    assert_eq!(cache.stats().total.computes, 1);
    // The value is cached: the next call is a hit, nothing computed.
    let again: Vec<f64> = cache
        .get_or_compute("sf:backtest", Duration::from_secs(60), || async {
            Err(Error::InvalidInput("must not run".into()))
        })
        .await
        .unwrap();
    assert_eq!(again, vec![1.5, 2.5, 3.5]);
}

#[tokio::test]
async fn single_flight_errors_reach_every_waiter_without_poisoning_the_key() {
    let server = RedisServer::start().unwrap();
    let cache = Cache::new(connect(&server).await);
    let computed = Arc::new(AtomicU32::new(0));

    let calls = (0..20).map(|_| {
        let cache = cache.clone();
        let computed = computed.clone();
        async move {
            cache
                .get_or_compute::<u64, _, _>("sf:failing", Duration::from_secs(60), || async move {
                    computed.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Err(Error::NotFound("exchange has no such symbol".into()))
                })
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    assert_eq!(computed.load(Ordering::SeqCst), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(e) if e.kind() == ErrorKind::NotFound))
            .count(),
        20
    );
    assert!(!cache.exists("sf:failing").await.unwrap());
    // Not poisoned: the next call computes again and succeeds.
    let v = cache
        .get_or_compute("sf:failing", Duration::from_secs(60), || async { Ok(7u64) })
        .await
        .unwrap();
    assert_eq!(v, 7);
    assert_eq!(cache.get::<u64>("sf:failing").await.unwrap(), Some(7));
}

#[tokio::test]
async fn cached_wrapper_memoises_by_prefix_and_arguments() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::new(conn.clone());
    let calls = Arc::new(AtomicU32::new(0));

    let fetch_ticker = |symbol: &'static str| {
        let cache = cache.clone();
        let calls = calls.clone();
        async move {
            cache
                .cached("api", symbol, Duration::from_secs(300), || async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(ticker(symbol, 100.0))
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(fetch_ticker("BTC-USD").await.symbol, "BTC-USD");
    assert_eq!(fetch_ticker("BTC-USD").await.symbol, "BTC-USD");
    assert_eq!(fetch_ticker("ETH-USD").await.symbol, "ETH-USD");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(cache.exists("api:BTC-USD").await.unwrap());
    let t = pttl(&conn, "api:ETH-USD").await;
    assert!(t > 295_000 && t <= 300_000, "{t}");
    let api = &cache.stats().by_type["api"];
    assert_eq!((api.hits, api.misses, api.computes), (1, 2, 2));
    let err = cache
        .cached("", "x", Duration::from_secs(1), || async { Ok(1) })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn outage_degrades_gracefully_and_the_breaker_opens_then_closes() {
    let mut server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::with_options(
        conn,
        CacheOptions {
            breaker: BreakerConfig {
                failure_threshold: 3,
                cool_down: Duration::from_millis(200),
                half_open_probes: 1,
            },
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(20),
            },
            op_timeout: Duration::from_millis(500),
            ..CacheOptions::default()
        },
    );
    assert!(cache.set("o:k", &1).await.unwrap());
    assert_eq!(cache.breaker().state(), BreakerState::Closed);

    server.kill();
    let outage = Instant::now();
    // Reads are misses, writes are skipped, computations still return their value.
    for i in 0..20 {
        assert_eq!(cache.get::<i32>("o:k").await.unwrap(), None, "read {i}");
        assert!(!cache.set("o:k", &i).await.unwrap(), "write {i}");
        let v = cache
            .get_or_compute("o:computed", Duration::from_secs(60), || async { Ok(99) })
            .await
            .unwrap();
        assert_eq!(v, 99);
    }
    assert!(
        outage.elapsed() < Duration::from_secs(15),
        "{:?}",
        outage.elapsed()
    );
    assert_ne!(cache.breaker().state(), BreakerState::Closed);
    let s = cache.stats();
    assert!(s.breaker.trips >= 1, "{:?}", s.breaker);
    assert!(
        s.breaker.rejected > 0,
        "the open circuit short-circuits calls: {:?}",
        s.breaker
    );
    assert!(s.total.skipped_writes >= 20, "{s:?}");
    assert_eq!(s.total.computes, 20);
    // Invalidation and exists report the outage instead of pretending.
    assert!(cache.exists("o:k").await.is_err());

    server.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cache.set("o:k", &2).await.unwrap() {
        assert!(
            Instant::now() < deadline,
            "cache did not recover: {:?}",
            cache.stats().breaker
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(cache.breaker().state(), BreakerState::Closed);
    assert_eq!(cache.get::<i32>("o:k").await.unwrap(), Some(2));
    let trips = cache.breaker().trips();
    assert!(cache.get::<i32>("o:k").await.unwrap().is_some());
    assert_eq!(cache.breaker().trips(), trips);
}

#[tokio::test]
async fn pattern_invalidation_removes_exactly_the_matching_keys_out_of_200000() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::new(conn.clone());
    let mut c = conn.clone();
    // 50,000 matching keys and 150,000 others, some of them near misses.
    let families = [
        ("md:ticker:binance:", 50_000),
        ("md:ticker:binancex:", 50_000),
        ("md:ticker:coinbase:", 50_000),
        ("md:orderbook:binance:", 50_000),
    ];
    for (prefix, n) in families {
        for chunk in (0..n).collect::<Vec<u32>>().chunks(10_000) {
            let mut pipe = redis::pipe();
            for i in chunk {
                pipe.cmd("SET")
                    .arg(format!("{prefix}{i}"))
                    .arg(i)
                    .arg("EX")
                    .arg(600)
                    .ignore();
            }
            let _: () = pipe.query_async(&mut c).await.unwrap();
        }
    }
    let dbsize = |mut c: Conn| async move {
        redis::cmd("DBSIZE")
            .query_async::<u64>(&mut c)
            .await
            .unwrap()
    };
    assert_eq!(dbsize(conn.clone()).await, 200_000);

    let removed = cache
        .invalidate_pattern("md:ticker:binance:*")
        .await
        .unwrap();
    assert_eq!(removed, 50_000);
    assert_eq!(dbsize(conn.clone()).await, 150_000);
    let exists: u64 = redis::cmd("EXISTS")
        .arg("md:ticker:binance:0")
        .arg("md:ticker:binancex:0")
        .arg("md:ticker:coinbase:49999")
        .arg("md:orderbook:binance:7")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(exists, 3);
    assert_eq!(
        command_calls(&conn, "keys").await,
        0,
        "KEYS must never be used"
    );
    // Nothing left to match: a second run removes nothing.
    assert_eq!(
        cache
            .invalidate_pattern("md:ticker:binance:*")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        cache.invalidate_pattern("").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn binary_and_non_utf8_values_round_trip() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::new(conn.clone());

    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let key = b"bin:\xff\xfe\x00key";
    assert!(cache
        .set_raw(key, &all_bytes, Duration::from_secs(60))
        .await
        .unwrap());
    assert_eq!(cache.get_raw(key).await.unwrap(), Some(all_bytes.clone()));
    // Bytes that look like our marker are stored and returned as they are by the raw API.
    let marked = [0xC1u8, b'Z', 0x00, 0x01];
    cache
        .set_raw(b"bin:marked", &marked, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        cache.get_raw(b"bin:marked").await.unwrap().as_deref(),
        Some(&marked[..])
    );
    // ... and a typed read of them is a clear codec error, not a panic.
    assert_eq!(
        cache.get::<String>("bin:marked").await.unwrap_err().kind(),
        ErrorKind::Codec
    );

    // Typed binary data and non-ASCII text.
    let blob: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    cache.set("bin:blob", &blob).await.unwrap();
    assert_eq!(cache.get::<Vec<u8>>("bin:blob").await.unwrap(), Some(blob));
    let text = "ΔBTC → 45 000,50 € ✓ 比特币";
    cache.set("bin:text", &text).await.unwrap();
    assert_eq!(
        cache.get::<String>("bin:text").await.unwrap().as_deref(),
        Some(text)
    );
    // An empty value.
    cache
        .set_raw(b"bin:empty", b"", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(cache.get_raw(b"bin:empty").await.unwrap(), Some(Vec::new()));
}

#[tokio::test]
async fn values_over_the_threshold_are_stored_compressed_when_opted_in() {
    let server = RedisServer::start().unwrap();
    let conn = connect(&server).await;
    let cache = Cache::with_options(
        conn.clone(),
        CacheOptions {
            codec: redscope::codec::Codec::new().with_compress_threshold(Some(1024)),
            ..CacheOptions::default()
        },
    );
    let features: serde_json::Map<String, serde_json::Value> = (0..2000)
        .map(|i| {
            (
                format!("feature_{i:04}"),
                serde_json::json!({"mean": 0.5, "std": 0.25, "window": 20}),
            )
        })
        .collect();
    let plain = serde_json::to_vec(&features).unwrap();
    assert!(plain.len() > 50_000);
    cache.set("cmp:features", &features).await.unwrap();
    let mut c = conn.clone();
    let stored: u64 = redis::cmd("STRLEN")
        .arg("cmp:features")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(
        (stored as usize) * 4 < plain.len(),
        "stored {stored} of {}",
        plain.len()
    );
    let raw = cache.get_raw(b"cmp:features").await.unwrap().unwrap();
    assert_eq!(&raw[..2], &[0xC1, b'Z']);
    assert_eq!(
        cache
            .get::<serde_json::Map<String, serde_json::Value>>("cmp:features")
            .await
            .unwrap(),
        Some(features.clone())
    );
    assert_eq!(
        redscope::codec::decode_any(&raw).unwrap(),
        serde_json::Value::Object(features)
    );
    // Small values stay plain JSON.
    cache.set("cmp:small", &ticker("BTC", 1.0)).await.unwrap();
    let raw = cache.get_raw(b"cmp:small").await.unwrap().unwrap();
    assert_eq!(raw[0], b'{');
}

#[tokio::test]
async fn batches_invalidation_and_single_flight_work_on_a_cluster() {
    let cluster = tokio::task::spawn_blocking(redscope_testing::RedisCluster::start)
        .await
        .unwrap()
        .unwrap();
    let conn = Conn::connect(&cluster.config()).await.unwrap();
    let cache = Cache::new(conn.clone());

    // 300 keys spread over all three masters' slots: one pipeline, one MGET split by slot.
    let entries: Vec<(String, u32)> = (0..300).map(|i| (format!("cl:{i}"), i)).collect();
    assert!(cache
        .set_many(&entries, Duration::from_secs(60))
        .await
        .unwrap());
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    let got: Vec<Option<u32>> = cache.get_many(&keys).await.unwrap();
    assert_eq!(got, (0..300).map(Some).collect::<Vec<_>>());
    let slots: std::collections::HashSet<u16> = keys
        .iter()
        .map(|k| redscope::conn::key_slot(k.as_bytes()))
        .collect();
    assert!(slots.len() > 100, "keys really span slots: {}", slots.len());

    // Pattern invalidation scans every master.
    let other: Vec<(String, u32)> = (0..100).map(|i| (format!("keep:{i}"), i)).collect();
    cache
        .set_many(&other, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(cache.invalidate_pattern("cl:*").await.unwrap(), 300);
    let left: Vec<Option<u32>> = cache.get_many(&keys[..10]).await.unwrap();
    assert!(left.iter().all(Option::is_none));
    let kept: Vec<&str> = other.iter().map(|(k, _)| k.as_str()).collect();
    let kept: Vec<Option<u32>> = cache.get_many(&kept).await.unwrap();
    assert_eq!(kept.iter().filter(|v| v.is_some()).count(), 100);

    // Single-flight and the atomic signal buffer on a cluster.
    let computed = Arc::new(AtomicU32::new(0));
    let calls = (0..30).map(|_| {
        let cache = cache.clone();
        let computed = computed.clone();
        async move {
            cache
                .get_or_compute("cl:sf", Duration::from_secs(60), || async move {
                    computed.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok("done".to_string())
                })
                .await
                .unwrap()
        }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r == "done"));
    assert_eq!(computed.load(Ordering::SeqCst), 1);
    let buf = redscope::market::SignalBuffer::with_key(cache.clone(), "cl:signals", 10);
    let batch: Vec<u32> = (0..25).collect();
    buf.push_many(&batch).await.unwrap();
    assert_eq!(buf.latest::<u32>(3).await.unwrap(), vec![24, 23, 22]);
    assert_eq!(buf.len().await.unwrap(), 10);
}

#[tokio::test]
async fn a_frozen_server_times_out_into_misses_not_hangs() {
    let server = RedisServer::start().unwrap();
    let cache = Cache::with_options(
        connect(&server).await,
        CacheOptions {
            op_timeout: Duration::from_millis(200),
            retry: RetryPolicy::none(),
            ..CacheOptions::default()
        },
    );
    cache.set("f:k", &1).await.unwrap();
    server.pause().unwrap();
    let start = Instant::now();
    assert_eq!(cache.get::<i32>("f:k").await.unwrap(), None);
    assert!(!cache.set("f:k", &2).await.unwrap());
    let took = start.elapsed();
    server.resume().unwrap();
    assert!(took < Duration::from_secs(2), "calls hung for {took:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while cache.get::<i32>("f:k").await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "no recovery after resume");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A write that timed out was only unconfirmed: it may still have been applied on resume.
    let v = cache.get::<i32>("f:k").await.unwrap();
    assert!(v == Some(1) || v == Some(2), "{v:?}");
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_auth_error_without_the_secret() {
    let server = RedisServer::builder()
        .password("right-pw-1")
        .start()
        .unwrap();
    let mut cfg = server.config();
    cfg.password = Some(redscope::Secret::new("wrong-pw-2"));
    let err = Cache::connect(&cfg, CacheOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(!err.is_transient());
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("wrong-pw-2") && !shown.contains("right-pw-1"),
        "{shown}"
    );
    let cache = Cache::connect(&server.config(), CacheOptions::default())
        .await
        .unwrap();
    assert!(cache.set("auth:ok", &true).await.unwrap());
}
