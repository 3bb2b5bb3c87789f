//! The trading caches against a real redis-server: market data with per-type TTLs, API-call
//! counters, invalidation by exchange / symbol / strategy / pattern, features, the signal
//! buffer, query results, sessions with a sliding TTL, and interop with redis-py.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use redscope::cache::Cache;
use redscope::conn::Conn;
use redscope::market::{CandleInterval, FeatureCache, MarketDataCache, QueryCache, SignalBuffer};
use redscope::session::SessionStore;
use redscope::ErrorKind;
use redscope_testing::{python, RedisServer};
use serde::{Deserialize, Serialize};
use serde_json::json;

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
        volume: 10.0,
    }
}

async fn setup() -> (RedisServer, Conn, Cache) {
    let server = RedisServer::start().unwrap();
    let conn = Conn::connect(&server.config()).await.unwrap();
    let cache = Cache::new(conn.clone());
    (server, conn, cache)
}

async fn pttl(conn: &Conn, key: &str) -> i64 {
    let mut c = conn.clone();
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut c)
        .await
        .unwrap()
}

async fn dbsize(conn: &Conn) -> u64 {
    let mut c = conn.clone();
    redis::cmd("DBSIZE").query_async(&mut c).await.unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[tokio::test]
async fn market_data_round_trips_with_the_ttl_of_each_type() {
    let (_server, conn, cache) = setup().await;
    let m = MarketDataCache::new(cache.clone());

    m.set_ticker("binance", "BTC-USDT", &ticker("BTC-USDT", 45000.5))
        .await
        .unwrap();
    assert_eq!(
        m.get_ticker::<Ticker>("binance", "BTC-USDT").await.unwrap(),
        Some(ticker("BTC-USDT", 45000.5))
    );
    let book = json!({"bids": [[45000.0, 1.5]], "asks": [[45001.0, 1.2]], "timestamp": "2025-01-15T12:00:00Z"});
    m.set_orderbook("binance", "BTC-USDT", &book).await.unwrap();
    assert_eq!(
        m.get_orderbook::<serde_json::Value>("binance", "BTC-USDT")
            .await
            .unwrap(),
        Some(book)
    );
    m.set_trades("binance", "BTC-USDT", &json!([{"p": 1.0, "q": 2.0}]))
        .await
        .unwrap();
    m.set_candles(
        "binance",
        "BTC-USDT",
        CandleInterval::M1,
        &json!([[1, 2, 3, 4]]),
    )
    .await
    .unwrap();
    m.set_candles(
        "binance",
        "BTC-USDT",
        CandleInterval::M5,
        &json!([[5, 6, 7, 8]]),
    )
    .await
    .unwrap();
    assert_eq!(
        m.get_candles::<serde_json::Value>("binance", "BTC-USDT", CandleInterval::M5)
            .await
            .unwrap(),
        Some(json!([[5, 6, 7, 8]]))
    );
    m.set_signal(
        "momentum",
        "BTC",
        &json!({"action": "BUY", "confidence": 0.85}),
    )
    .await
    .unwrap();
    m.set_market_data("BTCUSDT", &json!({"price": 45000.5}))
        .await
        .unwrap();
    m.cache_quote("AAPL", &json!({"bid": 175.50, "ask": 175.55}))
        .await
        .unwrap();
    assert_eq!(
        m.get_cached_quote::<serde_json::Value>("AAPL")
            .await
            .unwrap(),
        Some(json!({"bid": 175.50, "ask": 175.55}))
    );

    // (key, lower bound exclusive, upper bound inclusive) of PTTL in ms.
    let expected = [
        ("ticker:binance:BTC-USDT", 1000, 2000),
        ("orderbook:binance:BTC-USDT", 0, 500),
        ("trades:binance:BTC-USDT", 9000, 10_000),
        ("candles:1m:binance:BTC-USDT", 59_000, 60_000),
        ("candles:5m:binance:BTC-USDT", 299_000, 300_000),
        ("signal:momentum:BTC", 29_000, 30_000),
        ("market_data:BTCUSDT", 29_000, 30_000),
        ("quote:AAPL", 1000, 2000),
    ];
    for (key, lo, hi) in expected {
        let t = pttl(&conn, key).await;
        assert!(t > lo && t <= hi, "{key}: pttl {t} not in ({lo}, {hi}]");
    }

    // Several tickers: one pipeline to write, one MGET to read; missing ones are left out.
    m.set_tickers(
        "coinbase",
        &[
            ("BTC-USD", ticker("BTC-USD", 1.0)),
            ("ETH-USD", ticker("ETH-USD", 2.0)),
        ],
    )
    .await
    .unwrap();
    let got = m
        .get_tickers::<Ticker>("coinbase", &["BTC-USD", "ETH-USD", "SOL-USD"])
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got["ETH-USD"].price, 2.0);
    let t = cache.stats().by_type["ticker"].clone();
    assert_eq!((t.hits, t.misses, t.writes), (3, 1, 3), "{t:?}");

    // Bad names are refused before anything is written.
    let err = m.set_ticker("bin ance", "BTC", &1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn api_call_counters_count_per_window_atomically() {
    let (_server, conn, cache) = setup().await;
    let m = MarketDataCache::new(cache);
    let minute = Duration::from_secs(60);
    let window = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 60
    };
    let window_before = window();
    let calls = (0..25).map(|_| m.increment_api_calls("binance", "/api/v3/ticker", minute));
    let counts: Vec<u64> = futures::future::try_join_all(calls).await.unwrap();
    let now = m
        .get_api_calls("binance", "/api/v3/ticker", minute)
        .await
        .unwrap();
    // Exact counts unless the minute rolled over during the burst (then the counts split).
    if window() == window_before {
        let mut sorted = counts.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            (1..=25).collect::<Vec<u64>>(),
            "each INCR sees its own count"
        );
        assert_eq!(now, 25);
    }
    assert_eq!(
        m.get_api_calls("binance", "/api/v3/depth", minute)
            .await
            .unwrap(),
        0
    );
    // The counter carries the window as its TTL.
    let mut c = conn.clone();
    let keys: Vec<String> = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg("api_calls:binance:*")
        .arg("COUNT")
        .arg(1000)
        .query_async::<(u64, Vec<String>)>(&mut c)
        .await
        .unwrap()
        .1;
    assert!(!keys.is_empty());
    for k in &keys {
        let t = pttl(&conn, k).await;
        assert!(t > 0 && t <= 60_000, "{k}: {t}");
    }
    // A one-second window really resets.
    let sec = Duration::from_secs(1);
    m.increment_api_calls("kraken", "/0/public/Ticker", sec)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while m
        .get_api_calls("kraken", "/0/public/Ticker", sec)
        .await
        .unwrap()
        != 0
    {
        assert!(Instant::now() < deadline, "the 1 s window never reset");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let err = m
        .increment_api_calls("kraken", "/x", Duration::from_millis(1500))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn invalidation_by_exchange_symbol_strategy_and_pattern_returns_counts() {
    let (_server, conn, cache) = setup().await;
    // Long TTLs so nothing expires while the test counts.
    for t in ["ticker", "orderbook", "candles_1m"] {
        cache.ttl_policy().set(t, Duration::from_secs(600)).unwrap();
    }
    let m = MarketDataCache::new(cache.clone());
    let exchanges = ["binance", "coinbase", "bin*"];
    let symbols = ["BTC-USDT", "ETH-USDT", "SOL-USDT"];
    for ex in exchanges {
        for sym in symbols {
            m.set_ticker(ex, sym, &ticker(sym, 1.0)).await.unwrap();
            m.set_orderbook(ex, sym, &json!({"bids": []}))
                .await
                .unwrap();
            m.set_candles(ex, sym, CandleInterval::M1, &json!([]))
                .await
                .unwrap();
        }
    }
    for strategy in ["momentum", "meanrev"] {
        for sym in symbols {
            m.set_signal(strategy, sym, &json!({"action": "BUY"}))
                .await
                .unwrap();
        }
    }
    cache.set("unrelated:key", &1).await.unwrap();
    assert_eq!(dbsize(&conn).await, 27 + 6 + 1);

    // "bin*" is matched literally: binance is untouched.
    assert_eq!(m.invalidate_exchange("bin*").await.unwrap(), 9);
    assert_eq!(m.invalidate_exchange("binance").await.unwrap(), 9);
    assert!(m
        .get_ticker::<Ticker>("coinbase", "BTC-USDT")
        .await
        .unwrap()
        .is_some());
    // ETH-USDT: coinbase ticker, book, candles + two signals.
    assert_eq!(m.invalidate_symbol("ETH-USDT").await.unwrap(), 5);
    assert_eq!(m.invalidate_signals(Some("momentum")).await.unwrap(), 2);
    assert_eq!(m.invalidate_pattern("ticker:coinbase:*").await.unwrap(), 2);
    assert_eq!(m.invalidate_signals(None).await.unwrap(), 2);
    // Left: coinbase books and candles for BTC and SOL, and the unrelated key.
    assert_eq!(dbsize(&conn).await, 5);
    assert!(cache.exists("unrelated:key").await.unwrap());
}

#[tokio::test]
async fn feature_cache_stores_maps_per_symbol_and_day() {
    let (_server, conn, cache) = setup().await;
    let f = FeatureCache::new(cache);
    let day = date("2025-01-17");
    f.set("AAPL", day, &json!({"rsi_14": 61.2, "sma_20": 182.35}))
        .await
        .unwrap();
    f.set("MSFT", day, &json!({"rsi_14": 48.0})).await.unwrap();
    let t = pttl(&conn, "features:AAPL:2025-01-17").await;
    assert!(t > 3_590_000 && t <= 3_600_000, "{t}");
    let many: Vec<Option<serde_json::Value>> =
        f.get_many(&["AAPL", "GOOGL", "MSFT"], day).await.unwrap();
    assert_eq!(many.iter().filter(|v| v.is_some()).count(), 2);
    assert!(many[1].is_none());
    assert_eq!(
        f.get_feature("AAPL", day, "sma_20").await.unwrap(),
        Some(json!(182.35))
    );
    assert_eq!(f.get_feature("AAPL", day, "missing").await.unwrap(), None);
    let computed = Arc::new(AtomicU32::new(0));
    for _ in 0..3 {
        let computed = computed.clone();
        let v: serde_json::Value = f
            .get_or_compute("TSLA", day, || async move {
                computed.fetch_add(1, Ordering::SeqCst);
                Ok(json!({"rsi_14": 30.0}))
            })
            .await
            .unwrap();
        assert_eq!(v["rsi_14"], 30.0);
    }
    assert_eq!(computed.load(Ordering::SeqCst), 1);
    f.set("AAPL", date("2025-01-16"), &json!({})).await.unwrap();
    assert_eq!(f.invalidate_symbol("AAPL").await.unwrap(), 2);
    assert_eq!(dbsize(&conn).await, 2);
}

#[tokio::test]
async fn signal_buffer_keeps_the_last_1000_newest_first() {
    let (_server, conn, cache) = setup().await;
    let buf = SignalBuffer::new(cache);
    assert!(buf.is_empty().await.unwrap());
    // 20 writers pushing 60 signals each at the same time: never more than 1000 kept.
    let writers = (0..20).map(|w| {
        let buf = buf.clone();
        async move {
            for i in 0..60 {
                buf.push(&json!({"writer": w, "seq": i})).await?;
            }
            Ok::<_, redscope::Error>(())
        }
    });
    futures::future::try_join_all(writers).await.unwrap();
    assert_eq!(buf.len().await.unwrap(), 1000);
    // Sequential pushes: newest first.
    let batch: Vec<serde_json::Value> = (0..1100)
        .map(|i| json!({"symbol": "BTCUSDT", "n": i}))
        .collect();
    buf.push_many(&batch).await.unwrap();
    assert_eq!(buf.len().await.unwrap(), 1000);
    let latest: Vec<serde_json::Value> = buf.latest(3).await.unwrap();
    assert_eq!(
        latest
            .iter()
            .map(|v| v["n"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![1099, 1098, 1097]
    );
    let all: Vec<serde_json::Value> = buf.latest(5000).await.unwrap();
    assert_eq!(all.len(), 1000);
    assert_eq!(all[999]["n"], 100);
    let t = pttl(&conn, buf.key()).await;
    assert!(t > 86_000_000 && t <= 86_400_000, "{t}");
}

#[tokio::test]
async fn query_cache_computes_once_per_strategy_and_parameter_set() {
    let (_server, conn, cache) = setup().await;
    let q = QueryCache::new(cache);
    let runs = Arc::new(AtomicU32::new(0));
    let run = |strategy: &'static str| {
        let q = q.clone();
        let runs = runs.clone();
        async move {
            q.backtest(strategy, || async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(json!({"sharpe": 1.7, "trades": 420}))
            })
            .await
            .unwrap()
        }
    };
    run("momentum").await;
    run("momentum").await;
    run("mean_revert").await;
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    // backtest:{strategy_id}, 24 h, as the risk manager caches it.
    let t = pttl(&conn, "backtest:momentum").await;
    assert!(t > 86_000_000 && t <= 86_400_000, "{t}");
    let cached: Option<serde_json::Value> = q.get_backtest("momentum").await.unwrap();
    assert_eq!(cached, Some(json!({"sharpe": 1.7, "trades": 420})));

    let size: f64 = q
        .position_sizing(&json!({"symbol": "BTC", "risk": 0.01}), || async {
            Ok(0.25)
        })
        .await
        .unwrap();
    assert_eq!(size, 0.25);
    let key = QueryCache::key("position_sizing", &json!({"risk": 0.01, "symbol": "BTC"})).unwrap();
    assert!(key.starts_with("position_sizing:"), "{key}");
    let t = pttl(&conn, &key).await;
    assert!(t > 59_000 && t <= 60_000, "{t}");
    assert_eq!(
        q.get_position_sizing::<_, f64>(&json!({"symbol": "BTC", "risk": 0.01}))
            .await
            .unwrap(),
        Some(0.25)
    );
    assert_eq!(q.invalidate_backtests().await.unwrap(), 2);
}

#[tokio::test]
async fn sessions_slide_their_ttl_and_are_listed_by_scan() {
    let (_server, conn, _cache) = setup().await;
    let store = SessionStore::with_options(conn.clone(), "session:", Duration::from_millis(1500));
    let id = store
        .create(&[("user", "alice"), ("role", "viewer")])
        .await
        .unwrap();
    assert_eq!(id.len(), 32);
    let key = store.key(&id).unwrap();
    let fields = store.get(&id).await.unwrap().unwrap();
    assert_eq!(fields["user"], "alice");
    assert!(fields.contains_key("created_ms"));

    // Let the TTL run down, then a read slides it back up.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pttl(&conn, &key).await > 900 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(store.get(&id).await.unwrap().is_some());
    let t = pttl(&conn, &key).await;
    assert!(t > 1200 && t <= 1500, "TTL did not slide: {t}");

    assert!(store.update(&id, &[("role", "admin")]).await.unwrap());
    assert_eq!(store.get(&id).await.unwrap().unwrap()["role"], "admin");
    assert!(!store
        .update("0123456789abcdef", &[("role", "admin")])
        .await
        .unwrap());
    assert!(!cache_exists(&conn, "session:0123456789abcdef").await);
    assert!(store.touch(&id).await.unwrap());

    let other = store.create(&[("user", "bob")]).await.unwrap();
    let mut listed = store.list(100).await.unwrap();
    listed.sort();
    let mut want = vec![id.clone(), other.clone()];
    want.sort();
    assert_eq!(listed, want);
    assert!(store.delete(&other).await.unwrap());
    assert!(!store.delete(&other).await.unwrap());
    assert_eq!(store.get(&other).await.unwrap(), None);

    // Left alone, a session expires.
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.remaining(&id).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "session never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.get(&id).await.unwrap(), None);
    assert_eq!(
        store.get("../etc").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

async fn cache_exists(conn: &Conn, key: &str) -> bool {
    let mut c = conn.clone();
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<u64>(&mut c)
        .await
        .unwrap()
        > 0
}

fn run_python(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/cache_interop.py");
    let out = std::process::Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .expect("REDSCOPE_PYTHON (a Python with redis-py) must be runnable");
    assert!(
        out.status.success(),
        "python {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn python_services_and_rust_read_each_others_values() {
    let (server, _conn, cache) = setup().await;
    let url = server.url();

    // Python writes the way the trading services do; Rust reads it.
    let u = url.clone();
    let out = tokio::task::spawn_blocking(move || run_python(&["write", &u]))
        .await
        .unwrap();
    assert_eq!(out.trim(), "ok");
    let m = MarketDataCache::new(cache.clone());
    let t: Ticker = m.get_ticker("binance", "BTC-USDT").await.unwrap().unwrap();
    assert_eq!((t.symbol.as_str(), t.price), ("BTC-USDT", 45000.5));
    let f = FeatureCache::new(cache.clone());
    let day = date("2025-01-17");
    let aapl: serde_json::Value = f.get("AAPL", day).await.unwrap().unwrap();
    assert_eq!(
        aapl,
        json!({"rsi_14": 61.2, "sma_20": 182.35, "volume_z": -0.4})
    );
    // gzip-compressed JSON (how Python services compress) is detected and read.
    let msft: serde_json::Value = f.get("MSFT", day).await.unwrap().unwrap();
    assert_eq!(msft, aapl);
    // Python's NaN token reads as NaN into floats (null in a JSON value, which has no NaN).
    let nvda: HashMap<String, f64> = f.get("NVDA", day).await.unwrap().unwrap();
    assert!(nvda["rsi_14"].is_nan());
    assert_eq!(nvda["sma_20"], 131.5);
    assert_eq!(cache.get::<f64>("btc_price").await.unwrap(), Some(45000.5));
    assert_eq!(
        cache.get::<String>("greeting").await.unwrap().as_deref(),
        Some("hello from python")
    );
    let buf = SignalBuffer::new(cache.clone());
    let signals: Vec<serde_json::Value> = buf.latest(10).await.unwrap();
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0]["signal_type"], "BUY");

    // Rust writes; Python reads.
    cache
        .ttl_policy()
        .set("ticker", Duration::from_secs(60))
        .unwrap();
    m.set_ticker("binance", "ETH-USDT", &ticker("ETH-USDT", 2500.0))
        .await
        .unwrap();
    f.set("AAPL", date("2025-01-18"), &json!({"rsi_14": 55.5}))
        .await
        .unwrap();
    let big: serde_json::Map<String, serde_json::Value> =
        (0..500).map(|i| (format!("f{i}"), json!(0.5))).collect();
    f.set("TSLA", date("2025-01-18"), &big).await.unwrap();
    buf.push(&json!({"symbol": "ETHUSDT", "signal_type": "SELL", "strength": 0.6}))
        .await
        .unwrap();
    let sessions = SessionStore::new(cache.conn().clone());
    let sid = sessions.create(&[("user", "carol")]).await.unwrap();
    let skey = sessions.key(&sid).unwrap();

    let out = tokio::task::spawn_blocking(move || run_python(&["read", &url, &skey]))
        .await
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        report["ticker"],
        json!({"symbol": "ETH-USDT", "price": 2500.0, "volume": 10.0})
    );
    let ttl = report["ticker_ttl_ms"].as_i64().unwrap();
    assert!(ttl > 0 && ttl <= 60_000, "{ttl}");
    assert_eq!(report["features"], json!({"rsi_14": 55.5}));
    // Large values stay plain JSON (compression is opt-in).
    assert_eq!(report["big_features_marker"], json!([b'{', b'"']));
    assert_eq!(report["signals"][0]["signal_type"], "SELL");
    assert_eq!(report["signals"][1]["signal_type"], "BUY");
    assert_eq!(report["session"]["user"], "carol");
}
