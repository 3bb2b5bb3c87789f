//! What a service written to the trading documents relies on, against real servers: the
//! `REDIS_*` settings, starting while Redis is down, `get_stats()`/`health_check()`, per-call
//! TTLs, feature invalidation per day, on-chain and sentiment helpers, warm-up, invalidation
//! driven by `orders.executed` / `positions.updated`, the Prometheus metrics and the alerts.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use redscope::breaker::BreakerConfig;
use redscope::cache::{Cache, CacheOptions};
use redscope::conn::Conn;
use redscope::events::{channels, FlatEvent};
use redscope::invalidation::EventInvalidation;
use redscope::market::{FeatureCache, MarketDataCache};
use redscope::pool::BlockingPool;
use redscope::pubsub::PubSubManager;
use redscope::{ErrorKind, RedisConfig};
use redscope_testing::RedisServer;
use serde_json::json;

async fn raw(conn: &Conn, cmd: &mut redis::Cmd) -> redis::Value {
    let mut c = conn.clone();
    cmd.query_async(&mut c).await.unwrap()
}

async fn pttl(conn: &Conn, key: &str) -> i64 {
    let mut c = conn.clone();
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut c)
        .await
        .unwrap()
}

/// Polls `check` every 20 ms until it holds or `within` passes.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
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

fn quick_breaker() -> CacheOptions {
    CacheOptions {
        breaker: BreakerConfig {
            cool_down: Duration::from_millis(200),
            ..BreakerConfig::default()
        },
        op_timeout: Duration::from_millis(500),
        ..CacheOptions::default()
    }
}

#[tokio::test]
async fn a_cache_started_before_redis_passes_through_then_uses_it() {
    let mut server = RedisServer::start().unwrap();
    let cfg = server.config();
    server.kill();

    // The service starts while Redis is down: no error, a pass-through cache.
    let cache = Cache::from_config(&cfg, quick_breaker());
    assert!(!cache.conn().is_connected());
    assert_eq!(cache.get::<f64>("btc_price").await.unwrap(), None);
    assert!(!cache.set("btc_price", &45000.5).await.unwrap());
    let v: f64 = cache
        .get_or_compute("computed", Duration::from_secs(60), || async { Ok(1.5) })
        .await
        .unwrap();
    assert_eq!(v, 1.5);
    assert!(!cache.health_check().await);
    assert!(!cache.get_stats().await.connected);
    assert_eq!(cache.alerts().await[0].code, "redis_unreachable");

    // Redis comes up later: the same cache picks it up by itself.
    server.restart().unwrap();
    assert!(
        eventually(Duration::from_secs(15), || async {
            cache.set("btc_price", &45000.5).await.unwrap_or(false)
        })
        .await,
        "the cache never reached Redis"
    );
    assert!(cache.conn().is_connected());
    assert_eq!(cache.get::<f64>("btc_price").await.unwrap(), Some(45000.5));
    assert!(cache.health_check().await);
}

#[tokio::test]
async fn redis_enabled_false_runs_without_redis_and_env_settings_apply() {
    let server = RedisServer::start().unwrap();
    let url = server.url();
    let vars = |extra: &'static [(&'static str, &'static str)]| {
        let url = url.clone();
        move |k: &str| {
            if k == "REDIS_URL" {
                return Some(url.clone());
            }
            extra
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    // REDIS_ENABLED=false: nothing reaches the (running) server.
    let off = RedisConfig::from_vars(vars(&[("REDIS_ENABLED", "false")])).unwrap();
    let cache = Cache::from_config(&off, CacheOptions::default());
    assert!(!cache.conn().is_enabled());
    assert!(!cache.set("k", &1).await.unwrap());
    assert_eq!(cache.get::<i32>("k").await.unwrap(), None);
    let conn = Conn::connect(&server.config()).await.unwrap();
    let n: u64 = redis::cmd("DBSIZE")
        .query_async(&mut conn.clone())
        .await
        .unwrap();
    assert_eq!(n, 0);

    // REDIS_SOCKET_TIMEOUT bounds each reply: a paused server times out, not hangs.
    let cfg = RedisConfig::from_vars(vars(&[
        ("REDIS_SOCKET_TIMEOUT", "0.3"),
        ("REDIS_MAX_CONNECTIONS", "2"),
    ]))
    .unwrap();
    assert_eq!(cfg.response_timeout, Duration::from_millis(300));
    let timed = Conn::connect(&cfg).await.unwrap();
    raw(&conn, redis::cmd("CLIENT").arg("PAUSE").arg(1500)).await;
    let started = Instant::now();
    let err = redis::cmd("GET")
        .arg("k")
        .query_async::<Option<String>>(&mut timed.clone())
        .await
        .unwrap_err();
    assert_eq!(redscope::Error::from(err).kind(), ErrorKind::Timeout);
    assert!(started.elapsed() < Duration::from_millis(1200));
    raw(&conn, redis::cmd("CLIENT").arg("UNPAUSE")).await;

    // REDIS_MAX_CONNECTIONS caps the dedicated connections: a third waits, then gives up.
    let pool = BlockingPool::from_config(cfg);
    assert_eq!(pool.size(), 2);
    let a = pool.get(Duration::from_secs(2)).await.unwrap();
    let _b = pool.get(Duration::from_secs(2)).await.unwrap();
    assert!(pool.get(Duration::from_millis(100)).await.is_err());
    drop(a);
    assert!(pool.get(Duration::from_secs(2)).await.is_ok());
}

#[tokio::test]
async fn stats_helpers_ttls_warm_up_events_metrics_and_alerts() {
    let server = RedisServer::builder()
        .arg("maxmemory", "2mb")
        .arg("maxmemory-policy", "volatile-lru")
        .start()
        .unwrap();
    let cfg = server.config();
    let conn = Conn::connect(&cfg).await.unwrap();
    let cache = Cache::with_options(
        conn.clone(),
        CacheOptions {
            name: "wire".into(),
            ..CacheOptions::default()
        },
    );
    let m = MarketDataCache::new(cache.clone());

    // Per-call TTLs (set_ticker(…, ttl=…), set_signal(…, ttl=…), cache_market_data(…, ttl=…)).
    m.set_ticker_with_ttl(
        "binance",
        "BTC",
        &json!({"price": 1}),
        Some(Duration::from_secs(10)),
    )
    .await
    .unwrap();
    m.set_signal_with_ttl(
        "momentum",
        "BTC",
        &json!({"action": "BUY"}),
        Some(Duration::from_secs(45)),
    )
    .await
    .unwrap();
    m.cache_market_data(
        "BTCUSDT",
        &json!({"price": 45000.5}),
        Some(Duration::from_secs(7)),
    )
    .await
    .unwrap();
    for (key, lo, hi) in [
        ("ticker:binance:BTC", 9_000, 10_000),
        ("signal:momentum:BTC", 44_000, 45_000),
        ("market_data:BTCUSDT", 6_000, 7_000),
    ] {
        let t = pttl(&conn, key).await;
        assert!(t > lo && t <= hi, "{key}: {t}");
    }
    assert_eq!(
        m.get_cached_market_data::<serde_json::Value>("BTCUSDT")
            .await
            .unwrap(),
        Some(json!({"price": 45000.5}))
    );

    // On-chain metrics and sentiment at their documented keys and TTLs.
    m.set_onchain_metrics("BTC", &json!({"active_addresses": 900_000}), None)
        .await
        .unwrap();
    m.set_sentiment("BTC", &json!({"score": 0.4}), None)
        .await
        .unwrap();
    let t = pttl(&conn, "onchain_metrics:BTC").await;
    assert!(t > 299_000 && t <= 300_000, "{t}");
    let t = pttl(&conn, "sentiment:BTC").await;
    assert!(t > 59_000 && t <= 60_000, "{t}");
    assert_eq!(
        m.get_onchain_metrics::<serde_json::Value>("BTC")
            .await
            .unwrap(),
        Some(json!({"active_addresses": 900_000}))
    );
    assert_eq!(
        m.get_sentiment::<serde_json::Value>("BTC").await.unwrap(),
        Some(json!({"score": 0.4}))
    );

    // FeatureCache.invalidate(symbol, date) removes that day only.
    let f = FeatureCache::new(cache.clone());
    let d1 = NaiveDate::from_ymd_opt(2025, 1, 17).unwrap();
    let d2 = NaiveDate::from_ymd_opt(2025, 1, 18).unwrap();
    f.set("AAPL", d1, &json!({"rsi": 1})).await.unwrap();
    f.set("AAPL", d2, &json!({"rsi": 2})).await.unwrap();
    assert!(f.invalidate("AAPL", d1).await.unwrap());
    assert!(!f.invalidate("AAPL", d1).await.unwrap());
    assert_eq!(f.get::<serde_json::Value>("AAPL", d1).await.unwrap(), None);
    assert!(f
        .get::<serde_json::Value>("AAPL", d2)
        .await
        .unwrap()
        .is_some());

    // Warm-up fetches only what is missing.
    let report = m
        .warm_tickers("binance", &["BTC", "ETH", "SOL"], |symbol| async move {
            if symbol == "SOL" {
                Err(redscope::Error::Connection("exchange down".into()))
            } else {
                Ok(json!({"symbol": symbol, "price": 2500}))
            }
        })
        .await
        .unwrap();
    assert_eq!((report.cached, report.loaded, report.failed), (1, 1, 1));
    assert_eq!(
        m.get_ticker::<serde_json::Value>("binance", "ETH")
            .await
            .unwrap(),
        Some(json!({"symbol": "ETH", "price": 2500}))
    );
    let t = pttl(&conn, "ticker:binance:ETH").await;
    assert!(t > 0 && t <= 2_000, "{t}");

    // orders.executed / positions.updated remove the keys they make stale.
    let inv = EventInvalidation::start(cache.clone(), &cfg).await.unwrap();
    for key in [
        "position_sizing:abc",
        "signal:momentum:AAPL",
        "signal:momentum:MSFT",
    ] {
        cache
            .set_ex(key, &json!({"x": 1}), Duration::from_secs(60))
            .await
            .unwrap();
    }
    let publisher = PubSubManager::new(conn.clone(), cfg.clone(), "oms");
    let fill = FlatEvent::new(channels::ORDERS_EXECUTED)
        .with("order_ids", json!(["ORD1"]))
        .with("symbols", json!(["AAPL"]));
    assert_eq!(publisher.publish_event(&fill).await.unwrap(), 1);
    assert!(
        eventually(Duration::from_secs(5), || async {
            !cache.exists("signal:momentum:AAPL").await.unwrap()
        })
        .await
    );
    assert!(!cache.exists("position_sizing:abc").await.unwrap());
    assert!(cache.exists("signal:momentum:MSFT").await.unwrap());
    assert!(cache.exists("ticker:binance:BTC").await.unwrap());
    cache
        .set_ex("position_sizing:def", &1, Duration::from_secs(60))
        .await
        .unwrap();
    publisher
        .publish_event(&FlatEvent::new(channels::POSITIONS_UPDATED).with("symbol", "MSFT"))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            !cache.exists("position_sizing:def").await.unwrap()
        })
        .await
    );
    assert_eq!(inv.events(), 2);
    assert_eq!(inv.deleted(), 3);
    inv.stop().await;

    // get_stats() with the documents' field names; hit rate in percent.
    let stats = cache.get_stats().await;
    assert!(stats.connected);
    assert!(
        stats.memory_used.ends_with(['K', 'M']),
        "{}",
        stats.memory_used
    );
    let mut c = conn.clone();
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(&mut c).await.unwrap();
    assert_eq!(stats.total_keys, dbsize);
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut c)
        .await
        .unwrap();
    let field = |name: &str| -> f64 {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let (hits, misses) = (field("keyspace_hits"), field("keyspace_misses"));
    // INFO itself reads no keys, so the figures are the ones get_stats saw.
    assert!((stats.hit_rate - hits / (hits + misses) * 100.0).abs() < 1e-9);
    assert!(stats.hit_rate > 1.0 && stats.hit_rate <= 100.0);
    assert!(stats.connected_clients >= 1);
    let own = cache.stats().total;
    assert!(
        (stats.cache_hit_rate - own.hits as f64 / (own.hits + own.misses) as f64 * 100.0).abs()
            < 1e-9
    );
    assert!(cache.health_check().await);

    // Prometheus: counters per data type, a latency histogram of every call.
    let text = cache.prometheus();
    let ticker = cache.stats().by_type["ticker"].clone();
    assert!(
        text.contains(&format!(
            "cache_hits_total{{cache=\"wire\",data_type=\"ticker\"}} {}\n",
            ticker.hits
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "cache_misses_total{{cache=\"wire\",data_type=\"ticker\"}} {}\n",
        ticker.misses
    )));
    assert!(text.contains("# TYPE cache_latency_seconds histogram\n"));
    let count = cache.latency().count();
    assert!(count > 20);
    assert!(text.contains(&format!(
        "cache_latency_seconds_count{{cache=\"wire\"}} {count}\n"
    )));

    // Alerts: a first sample, then evictions, keyspace errors and a slow P99.
    let _ = cache.alerts().await;
    let big = "x".repeat(10_000);
    for i in 0..600 {
        cache
            .set_ex(&format!("evict:{i}"), &big, Duration::from_secs(600))
            .await
            .unwrap();
    }
    raw(&conn, redis::cmd("HSET").arg("a:hash").arg("f").arg("v")).await;
    assert_eq!(
        cache.get::<String>("a:hash").await.unwrap_err().kind(),
        ErrorKind::Server
    );
    // Every call while the server is paused for 60 ms is slow: over 1 % of all calls so far.
    let slow = cache.latency().count() / 50 + 2;
    for _ in 0..slow {
        raw(&conn, redis::cmd("CLIENT").arg("PAUSE").arg(60)).await;
        let _ = cache.get::<String>("ticker:binance:BTC").await.unwrap();
    }
    let codes: Vec<&str> = cache.alerts().await.iter().map(|a| a.code).collect();
    for want in ["evictions", "keyspace_errors", "latency_p99"] {
        assert!(codes.contains(&want), "{want} missing from {codes:?}");
    }
    assert!(!codes.contains(&"no_eviction_policy"), "{codes:?}");
    // The keys without a TTL survived the evictions (volatile-lru).
    assert!(cache.exists("a:hash").await.unwrap());
}
