//! Interop in both directions with a Python service written to the design documents
//! (tests/python/trading_service.py, redis-py): it reads every shape the library and the demo
//! write — tickers, books, trades, candles, signals, features (158 floats with a NaN), backtest
//! and position-sizing results, on-chain and sentiment data, the signal buffer, stream ticks,
//! pub/sub messages — and the library reads every shape it writes, at the same keys and TTLs.

use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{NaiveDate, Utc};
use redscope::cache::Cache;
use redscope::conn::Conn;
use redscope::events::{channels, FlatEvent, Payload, Severity, SignalEvent};
use redscope::market::{CandleInterval, FeatureCache, MarketDataCache, QueryCache, SignalBuffer};
use redscope::pubsub::{PubSubManager, Received};
use redscope::stream::{decode, MarketDataStream, MarketTick, DEFAULT_STREAM};
use redscope::ttl::DataType;
use redscope_testing::{python, RedisServer};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

const SERVICE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/python/trading_service.py"
);

/// Runs the Python service to completion; its stdout, or a panic with its stderr.
async fn service(args: Vec<String>) -> String {
    let out = tokio::process::Command::new(python())
        .arg(SERVICE)
        .args(&args)
        .output()
        .await
        .expect("REDSCOPE_PYTHON (a Python with redis-py) must be runnable");
    assert!(
        out.status.success(),
        "trading_service.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn pttl(conn: &Conn, key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut conn.clone())
        .await
        .unwrap()
}

/// True when a PTTL in ms is the `full` TTL less at most `slack` of elapsed time.
fn fresh(pttl: i64, full: Duration, slack: Duration) -> bool {
    let full = full.as_millis() as i64;
    pttl <= full && pttl > full - slack.as_millis() as i64
}

fn minute_window() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 60
}

/// 158 named features; `f007` is a missing value (NaN), as pandas leaves it.
fn features() -> BTreeMap<String, f64> {
    (0..158)
        .map(|i| {
            let v = if i == 7 {
                f64::NAN
            } else {
                (i as f64 * 0.37).sin() * 10f64.powi(i % 7 - 3)
            };
            (format!("f{i:03}"), v)
        })
        .collect()
}

#[test]
fn both_sides_use_the_same_ttl_per_data_type() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt.block_on(service(vec!["ttls".into()]));
    let table: HashMap<String, f64> = serde_json::from_str(out.trim()).unwrap();
    for t in DataType::ALL {
        if t == DataType::Sessions {
            continue; // the monitor UI's sessions are ours; the service has none
        }
        let py = table
            .get(t.name())
            .unwrap_or_else(|| panic!("the service has no TTL for {}", t.name()));
        assert_eq!(
            Duration::from_secs_f64(*py),
            t.default_ttl(),
            "{}",
            t.name()
        );
    }
}

#[tokio::test]
async fn the_python_service_reads_every_shape_the_library_writes() {
    let server = RedisServer::start().unwrap();
    let cfg = server.config();
    let conn = Conn::connect(&cfg).await.unwrap();
    let cache = Cache::new(conn.clone());
    // The 2 s ticker and 500 ms book would expire while Python starts on a busy machine; an
    // operator's override (as `ttl_config.update`) is the same mechanism.
    cache
        .ttl_policy()
        .set("ticker", Duration::from_secs(20))
        .unwrap();
    cache
        .ttl_policy()
        .set("orderbook", Duration::from_secs(5))
        .unwrap();
    let m = MarketDataCache::new(cache.clone());
    let ticker = json!({"symbol": "ETH-USDT", "price": 2500.25, "volume": 10.5});
    m.set_ticker("binance", "ETH-USDT", &ticker).await.unwrap();
    let book =
        json!({"bids": [[2500.0, 1.5]], "asks": [[2500.5, 2.0]], "timestamp": 1736942400000i64});
    m.set_orderbook("binance", "ETH-USDT", &book).await.unwrap();
    let trades = json!([{"price": 2500.25, "qty": 0.5, "side": "sell"}]);
    m.set_trades("binance", "ETH-USDT", &trades).await.unwrap();
    let c1 = json!([{"t": 1736942400000i64, "o": 1.0, "h": 2.0, "l": 0.5, "c": 1.5, "v": 1e-05}]);
    let c5 = json!([{"t": 1736942400000i64, "o": 1.0, "h": 3.0, "l": 0.5, "c": 2.5, "v": 1e16}]);
    m.set_candles("binance", "ETH-USDT", CandleInterval::M1, &c1)
        .await
        .unwrap();
    m.set_candles("binance", "ETH-USDT", CandleInterval::M5, &c5)
        .await
        .unwrap();
    let signal = json!({"action": "SELL", "confidence": 0.7, "strategy": "trend"});
    m.set_signal("trend", "ETH", &signal).await.unwrap();
    let before = minute_window();
    for _ in 0..3 {
        m.increment_api_calls("binance", "/api/v3/depth", Duration::from_secs(60))
            .await
            .unwrap();
    }
    let after = minute_window();
    let snapshot = json!({"symbol": "ETHUSDT", "price": 2500.25, "volume": 99.5});
    m.cache_market_data("ETHUSDT", &snapshot, None)
        .await
        .unwrap();
    let onchain = json!({"active_addresses": 512000, "gas": 21.5});
    m.set_onchain_metrics("ETH", &onchain, None).await.unwrap();
    let sentiment = json!({"score": -0.25, "mentions": 80});
    m.set_sentiment("ETH", &sentiment, None).await.unwrap();
    let q = QueryCache::new(cache.clone());
    let backtest = json!({"strategy_id": "trend_v2", "sharpe": 1.2, "trades": 1u64 << 60});
    q.set_backtest("trend_v2", &backtest, None).await.unwrap();
    let sizing = json!({"shares": 40, "risk_usd": 1000.0});
    let params = json!({"symbol": "MSFT", "risk": 1, "account": "main"});
    let s2 = sizing.clone();
    let got: Value = q
        .position_sizing(&params, || async move { Ok(s2) })
        .await
        .unwrap();
    assert_eq!(got, sizing);
    let f = FeatureCache::new(cache.clone());
    let vector = features();
    f.set(
        "MSFT",
        NaiveDate::from_ymd_opt(2025, 1, 18).unwrap(),
        &vector,
    )
    .await
    .unwrap();
    cache
        .set("settings", &json!({"mode": "paper"}))
        .await
        .unwrap();
    cache.set("plain", &"hello from rust").await.unwrap();
    let buf = SignalBuffer::new(cache.clone());
    buf.push(&json!({"symbol": "ETHUSDT", "signal_type": "SELL", "strength": 0.6}))
        .await
        .unwrap();
    let stream = MarketDataStream::new(conn.clone(), cfg.clone(), DEFAULT_STREAM);
    let ids = stream
        .publish_batch(&[
            MarketTick::new("AAPL", 175.5)
                .with_quote(175.45, 175.55)
                .with_volume(1000.0),
            MarketTick::new("MSFT", 1e-05).with_extra("venue", "XNAS"),
        ])
        .await
        .unwrap();

    let report: Value =
        serde_json::from_str(service(vec!["read".into(), server.url()]).await.trim()).unwrap();
    let slack = Duration::from_secs(30);
    for (name, want, ttl) in [
        ("ticker", &ticker, Duration::from_secs(20)),
        ("orderbook", &book, Duration::from_secs(5)),
        ("trades", &trades, DataType::Trades.default_ttl()),
        ("candles_1m", &c1, DataType::Candles1m.default_ttl()),
        ("candles_5m", &c5, DataType::Candles5m.default_ttl()),
        ("signal", &signal, DataType::Signals.default_ttl()),
        ("market_data", &snapshot, DataType::MarketData.default_ttl()),
        ("onchain_metrics", &onchain, DataType::OnChain.default_ttl()),
        ("sentiment", &sentiment, DataType::Sentiment.default_ttl()),
        ("backtest", &backtest, DataType::Backtests.default_ttl()),
        (
            "position_sizing",
            &sizing,
            DataType::PositionSizing.default_ttl(),
        ),
    ] {
        assert_eq!(&report[name]["value"], want, "{name}");
        let t = report[name]["pttl"].as_i64().unwrap();
        // Short TTLs: the Python run itself is the slack.
        assert!(fresh(t, ttl, slack.min(ttl)), "{name}: PTTL {t} ms");
    }
    // The counter: one key of the current window, at the documented place.
    let keys = report["api_call_keys"].as_object().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let (key, n) = keys.iter().next().unwrap();
    assert_eq!(n, 3);
    let window: u64 = key
        .strip_prefix("api_calls:binance:/api/v3/depth:60:")
        .unwrap()
        .parse()
        .unwrap();
    assert!((before..=after).contains(&window), "{key}");
    // 158 floats, one NaN, every other value exact; json.dumps writes back the same bytes.
    let feat = &report["features"];
    assert_eq!(feat["len"], 158);
    assert_eq!(feat["nan"], json!(["f007"]));
    assert_eq!(feat["round_trip"], true);
    assert!(feat["size"].as_u64().unwrap() > 3000);
    let finite: BTreeMap<String, f64> = serde_json::from_value(feat["finite"].clone()).unwrap();
    let mut want = vector.clone();
    want.remove("f007");
    assert_eq!(finite, want);
    assert!(fresh(
        feat["pttl"].as_i64().unwrap(),
        DataType::Features.default_ttl(),
        slack
    ));
    // No TTL unless one is given; strings stay raw.
    assert_eq!(report["settings"]["value"], json!({"mode": "paper"}));
    assert_eq!(report["settings"]["pttl"], -1);
    assert_eq!(report["plain"], "hello from rust");
    assert_eq!(report["signals"][0]["signal_type"], "SELL");
    assert!(fresh(
        report["signals_pttl"].as_i64().unwrap(),
        DataType::SignalHistory.default_ttl(),
        slack
    ));
    // Ticks through a consumer group, acknowledged; bid/ask always there, times naive UTC.
    let ticks = report["ticks"].as_array().unwrap();
    assert_eq!(ticks.len(), 2);
    assert_eq!(ticks[0]["id"], ids[0].as_str());
    assert_eq!(
        (
            &ticks[0]["symbol"],
            &ticks[0]["price"],
            &ticks[0]["bid"],
            &ticks[0]["ask"]
        ),
        (
            &json!("AAPL"),
            &json!(175.5),
            &json!(175.45),
            &json!(175.55)
        )
    );
    assert_eq!(ticks[0]["volume"], 1000.0);
    assert_eq!(
        (&ticks[1]["price"], &ticks[1]["bid"], &ticks[1]["venue"]),
        (&json!(1e-05), &Value::Null, &json!("XNAS"))
    );
    for t in ticks {
        let age = t["age_s"].as_f64().unwrap();
        assert!((-1.0..60.0).contains(&age), "tick age {age}");
    }
    assert_eq!(report["pending"], 0);

    // Pub/sub: the service subscribes to the standard channels; everything we publish reaches it.
    let mut child = tokio::process::Command::new(python())
        .arg(SERVICE)
        .args(["listen", &server.url(), "7"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("READY"));
    let bus = PubSubManager::new(conn.clone(), cfg.clone(), "rust-oms");
    bus.publish_trade_signal("AAPL", "BUY", 0.85).await.unwrap();
    bus.publish_order_update("ORD9", "FILLED", "AAPL")
        .await
        .unwrap();
    bus.publish_position_update("AAPL", -50.0).await.unwrap();
    bus.publish_alert("price", "AAPL moved +2.5%", Severity::Warning)
        .await
        .unwrap();
    bus.publish_heartbeat().await.unwrap();
    bus.publish_event(
        &FlatEvent::new(channels::ORDERS_EXECUTED)
            .with("order_ids", json!(["ORD9"]))
            .with("symbols", json!(["AAPL"])),
    )
    .await
    .unwrap();
    bus.publish_signal_event(&SignalEvent::new(
        "alpha_baseline",
        vec!["AAPL".into(), "MSFT".into()],
        "2025-01-17",
    ))
    .await
    .unwrap();
    let mut got = Vec::new();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the service stopped answering")
        .unwrap()
    {
        got.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    assert!(child.wait().await.unwrap().success());
    assert_eq!(got.len(), 7, "{got:?}");
    let envelopes: Vec<&Value> = got.iter().filter(|m| m["kind"] == "envelope").collect();
    let types: Vec<&str> = envelopes
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "TRADE_SIGNAL",
            "ORDER_UPDATE",
            "POSITION_UPDATE",
            "PRICE_ALERT",
            "HEARTBEAT"
        ]
    );
    for m in &envelopes {
        assert_eq!(m["source"], "rust-oms");
        // Naive, comparable with utcnow(), and just produced.
        assert_eq!(m["naive"], true, "{m}");
        assert!((-1.0..30.0).contains(&m["age_s"].as_f64().unwrap()), "{m}");
    }
    assert_eq!(
        envelopes[0]["data"],
        json!({"symbol": "AAPL", "signal": "BUY", "confidence": 0.85})
    );
    assert_eq!(envelopes[1]["data"]["status"], "FILLED");
    assert_eq!(envelopes[2]["data"]["quantity"], -50.0);
    assert_eq!(envelopes[3]["data"]["severity"], "warning");
    let events: Vec<&Value> = got.iter().filter(|m| m["kind"] == "event").collect();
    assert_eq!(events[0]["channel"], "orders.executed");
    assert_eq!(events[0]["fields"]["symbols"], json!(["AAPL"]));
    assert_eq!(events[1]["event_type"], "signals.generated");
    assert_eq!(events[1]["fields"]["num_signals"], 2);
    assert_eq!(events[1]["fields"]["as_of_date"], "2025-01-17");
    for e in &events {
        assert_eq!(e["utc"], true, "{e}");
        assert!((-1.0..30.0).contains(&e["age_s"].as_f64().unwrap()), "{e}");
    }
}

#[derive(Debug, Deserialize)]
struct Backtest {
    strategy_id: String,
    sharpe: f64,
    returns: Vec<f64>,
    trades: u128,
}

/// Every message of one subscription queue that arrives within `within`, until `n` arrived.
async fn take(q: &mut tokio::sync::mpsc::Receiver<Received>, n: usize) -> Vec<Received> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), q.recv()).await {
            Ok(Some(m)) => out.push(m),
            _ => break,
        }
    }
    out
}

#[tokio::test]
async fn the_library_reads_every_shape_the_python_service_writes() {
    let server = RedisServer::start().unwrap();
    let cfg = server.config();
    let conn = Conn::connect(&cfg).await.unwrap();
    let cache = Cache::new(conn.clone());

    // Subscribed before the service runs: each of its publishes must reach us.
    let bus = PubSubManager::new(conn.clone(), cfg.clone(), "rust");
    let mut builder = bus.listener();
    let mut queues: Vec<_> = [
        channels::SIGNALS,
        channels::ORDERS,
        channels::POSITIONS,
        channels::ALERTS,
        channels::SYSTEM,
        channels::SIGNALS_GENERATED,
        channels::ORDERS_EXECUTED,
    ]
    .into_iter()
    .map(|c| builder.channel(c))
    .collect();
    let stop = CancellationToken::new();
    let listener = builder.start(stop.clone()).await.unwrap();

    let before = minute_window();
    let out = service(vec![
        "write".into(),
        server.url(),
        "ticker=20".into(),
        "orderbook=5".into(),
    ])
    .await;
    let after = minute_window();
    let written: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(written["ok"], true);

    let m = MarketDataCache::new(cache.clone());
    let ticker: Value = m.get_ticker("binance", "BTC-USDT").await.unwrap().unwrap();
    assert_eq!(ticker["price"], 45000.5);
    assert_eq!(ticker["high"], 45500.0);
    let tickers: HashMap<String, Value> = m
        .get_tickers("binance", &["BTC-USDT", "ETH-USDT", "SOL-USDT"])
        .await
        .unwrap();
    assert_eq!(tickers.len(), 2);
    // set_ticker(…, ttl=10) in the service: that TTL, not the type's.
    assert!(fresh(
        pttl(&conn, "ticker:binance:ETH-USDT").await,
        Duration::from_secs(10),
        Duration::from_secs(10)
    ));
    let book: Value = m
        .get_orderbook("binance", "BTC-USDT")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(book["bids"][0], json!([45000.0, 1.5]));
    let trades: Vec<Value> = m.get_trades("binance", "BTC-USDT").await.unwrap().unwrap();
    assert_eq!(trades[0]["side"], "buy");
    #[derive(Debug, Deserialize, PartialEq)]
    struct Candle {
        t: i64,
        o: f64,
        h: f64,
        l: f64,
        c: f64,
        v: f64,
    }
    let c1: Vec<Candle> = m
        .get_candles("binance", "BTC-USDT", CandleInterval::M1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c1[0].c, 1.5);
    let c5: Vec<Candle> = m
        .get_candles("binance", "BTC-USDT", CandleInterval::M5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((c5[0].h, c5[0].v), (3.0, 50.0));
    let signal: Value = m.get_signal("momentum", "BTC").await.unwrap().unwrap();
    assert_eq!(signal["confidence"], 0.85);
    assert!(fresh(
        pttl(&conn, "signal:momentum:BTC").await,
        Duration::from_secs(45),
        Duration::from_secs(20)
    ));
    // The counter the service incremented twice, in the window of its run.
    let window = minute_window();
    let calls = m
        .get_api_calls("binance", "/api/v3/ticker", Duration::from_secs(60))
        .await
        .unwrap();
    if before == after && after == window {
        assert_eq!(calls, 2);
    }
    let market: Value = m.get_cached_market_data("BTCUSDT").await.unwrap().unwrap();
    assert_eq!(market["volume"], 1234567.89);
    let onchain: Value = m.get_onchain_metrics("BTC").await.unwrap().unwrap();
    assert_eq!(onchain["active_addresses"], 912345);
    let sentiment: Value = m.get_sentiment("BTC").await.unwrap().unwrap();
    assert_eq!(sentiment["score"], 0.42);
    for (key, t) in [
        ("market_data:BTCUSDT", DataType::MarketData),
        ("onchain_metrics:BTC", DataType::OnChain),
        ("sentiment:BTC", DataType::Sentiment),
        ("backtest:alpha_baseline", DataType::Backtests),
        ("features:AAPL:2025-01-17", DataType::Features),
        ("signals:buffer", DataType::SignalHistory),
    ] {
        let p = pttl(&conn, key).await;
        assert!(
            fresh(p, t.default_ttl(), Duration::from_secs(20)),
            "{key}: {p}"
        );
    }

    // Python's Infinity and a 2**70 integer arrive intact.
    let q = QueryCache::new(cache.clone());
    let bt: Backtest = q.get_backtest("alpha_baseline").await.unwrap().unwrap();
    assert_eq!(
        (bt.strategy_id.as_str(), bt.sharpe),
        ("alpha_baseline", 1.85)
    );
    assert_eq!(bt.returns[..2], [0.01, -0.002]);
    assert_eq!(bt.returns[2], f64::INFINITY);
    assert_eq!(bt.trades, 1u128 << 70);
    // The service keyed the sizing result the way the library does.
    let sizing: Value = q
        .get_position_sizing(&json!({"account": "main", "risk": 2, "symbol": "AAPL"}))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sizing, json!({"shares": 120, "risk_usd": 2000.0}));

    // The 158-float vector, NaN included.
    let f = FeatureCache::new(cache.clone());
    let day = NaiveDate::from_ymd_opt(2025, 1, 17).unwrap();
    let v: BTreeMap<String, f64> = f.get("AAPL", day).await.unwrap().unwrap();
    assert_eq!(v.len(), 158);
    assert!(v["f007"].is_nan());
    assert_eq!(v.values().filter(|x| x.is_nan()).count(), 1);
    // Every value bit for bit as Python's repr() wrote it.
    for (name, repr) in written["features"].as_object().unwrap() {
        let want: f64 = match repr.as_str().unwrap() {
            "nan" => continue,
            r => r.parse().unwrap(),
        };
        assert_eq!(v[name].to_bits(), want.to_bits(), "{name}: {repr}");
    }

    assert_eq!(
        cache.get::<Value>("config").await.unwrap(),
        Some(json!({"setting": "value"}))
    );
    assert_eq!(pttl(&conn, "config").await, -1);
    assert_eq!(
        cache.get::<String>("greeting").await.unwrap().as_deref(),
        Some("hello from python")
    );
    let signals: Vec<Value> = SignalBuffer::new(cache.clone()).latest(5).await.unwrap();
    assert_eq!(signals[0]["strength"], 0.85);

    // Stream entries as the service writes them: empty bid/ask are None, times naive UTC.
    let stream = MarketDataStream::new(conn.clone(), cfg.clone(), DEFAULT_STREAM);
    let entries = stream.range("-", "+", 10).await.unwrap();
    let ticks: Vec<MarketTick> = entries
        .into_iter()
        .map(|e| decode(e).expect("a well-formed tick").tick)
        .collect();
    assert_eq!(ticks.len(), 2);
    assert_eq!(
        (
            ticks[0].symbol.as_str(),
            ticks[0].price,
            ticks[0].bid,
            ticks[0].ask
        ),
        ("AAPL", 175.5, Some(175.45), Some(175.55))
    );
    assert_eq!((ticks[1].bid, ticks[1].volume), (None, 2000.0));
    assert_eq!(
        ticks[1].extra.get("venue").map(String::as_str),
        Some("XNAS")
    );
    for t in &ticks {
        let age = Utc::now() - t.timestamp;
        assert!(age.num_seconds().abs() < 60, "{:?}", t.timestamp);
    }

    // Every published message, decoded into the library's types.
    let mut got = Vec::new();
    for q in &mut queues {
        got.extend(take(q, 1).await);
    }
    assert_eq!(got.len(), 7);
    let payloads: Vec<Payload> = got[..5]
        .iter()
        .map(|m| m.payload().expect("an envelope").expect("a typed body"))
        .collect();
    match &payloads[0] {
        Payload::TradeSignal(s) => {
            assert_eq!(
                (s.symbol.as_str(), s.signal.as_str(), s.confidence),
                ("AAPL", "BUY", 0.85)
            )
        }
        p => panic!("{p:?}"),
    }
    match &payloads[1] {
        Payload::OrderUpdate(o) => assert_eq!(o.status, "FILLED"),
        p => panic!("{p:?}"),
    }
    match &payloads[2] {
        Payload::PositionUpdate(p) => assert_eq!(p.quantity, 100.0),
        p => panic!("{p:?}"),
    }
    match &payloads[3] {
        Payload::RiskAlert(a) => assert_eq!(a.severity, Severity::Warning),
        p => panic!("{p:?}"),
    }
    assert!(matches!(payloads[4], Payload::Heartbeat(_)));
    for m in &got[..5] {
        let e = m.envelope().unwrap();
        assert_eq!(e.source, "py-trading-service");
        assert!((Utc::now() - e.timestamp).num_seconds().abs() < 60);
    }
    let generated = got[5].event().unwrap().signal_event().unwrap();
    assert_eq!(generated.symbols, ["AAPL", "MSFT"]);
    assert_eq!(generated.num_signals, 2);
    let executed = got[6].event().unwrap();
    assert_eq!(executed.fields["order_ids"], json!(["ORD001"]));
    assert!((Utc::now() - executed.timestamp).num_seconds().abs() < 60);
    stop.cancel();
    listener.stop().await;
}

#[tokio::test]
async fn the_python_service_reads_what_the_demo_writes() {
    use redscope_cli::demo::{self, DemoOptions};
    let server = RedisServer::start().unwrap();
    let cfg = server.config();
    let conn = Conn::connect(&cfg).await.unwrap();
    let symbols = ["BTC-USDT", "ETH-USDT", "SOL-USDT", "AAPL", "MSFT", "NVDA"];

    // The service listens to every standard channel while the demo runs.
    let mut listener = tokio::process::Command::new(python())
        .arg(SERVICE)
        .args(["listen", &server.url(), "25"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(listener.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("READY"));

    let stop = CancellationToken::new();
    let opts = DemoOptions {
        rate: 200,
        symbols: symbols.len(),
        seed: Some(16),
        ..DemoOptions::default()
    };
    let demo = tokio::spawn({
        let (cfg, stop) = (cfg.clone(), stop.clone());
        async move { demo::run(&cfg, &opts, stop).await }
    });
    // The backtest summary is written after the demo's first second.
    let deadline = Instant::now() + Duration::from_secs(20);
    while pttl(&conn, "backtest:momentum").await < 0 {
        assert!(
            Instant::now() < deadline,
            "the demo never wrote its backtest"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut args = vec!["read-demo".to_string(), server.url()];
    args.extend(symbols.iter().map(|s| s.to_string()));
    let report: Value = serde_json::from_str(service(args).await.trim()).unwrap();

    let mut messages = Vec::new();
    while let Some(line) = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the service stopped answering")
        .unwrap()
    {
        messages.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    stop.cancel();
    let summary = demo.await.unwrap().unwrap();
    assert!(listener.wait().await.unwrap().success());

    for s in symbols {
        assert!(report["tickers"][s].as_f64().unwrap() > 0.0, "{s}");
        assert!(report["candles"][s].as_u64().unwrap() >= 1, "{s}");
        assert_eq!(report["market_data"][s]["symbol"], s);
        assert!(report["onchain"][s]["active_addresses"].as_u64().unwrap() >= 1000);
        assert!(report["sentiment"][s]["score"].as_f64().unwrap().abs() <= 1.0);
    }
    assert_eq!(report["orderbooks"], symbols.len());
    assert!(
        report["features"]
            .as_object()
            .unwrap()
            .values()
            .any(|f| f["rsi_14"].is_number()),
        "{}",
        report["features"]
    );
    assert_eq!(report["backtest"]["strategy_id"], "momentum");
    assert!(fresh(
        report["backtest_pttl"].as_i64().unwrap(),
        DataType::Backtests.default_ttl(),
        Duration::from_secs(60)
    ));
    assert!(report["position_sizing"].as_u64().unwrap() >= 1);
    assert!(report["position_sizing_value"].is_number());
    assert!(report["ticks"].as_u64().unwrap() >= 10);
    assert!(report["max_tick_age_s"].as_f64().unwrap() < 60.0);
    if summary.signals > 0 {
        assert!(!report["buffer"].as_array().unwrap().is_empty());
    }
    // The messages the service decoded: envelopes naive UTC, flat events in +00:00.
    assert_eq!(messages.len(), 25);
    for m in &messages {
        match m["kind"].as_str().unwrap() {
            "envelope" => {
                assert_eq!(m["source"], "redscope-demo", "{m}");
                assert_eq!(m["naive"], true, "{m}");
            }
            _ => assert_eq!(m["utc"], true, "{m}"),
        }
    }
    let types: std::collections::HashSet<&str> = messages
        .iter()
        .filter_map(|m| m["type"].as_str().or(m["event_type"].as_str()))
        .collect();
    for t in ["TRADE_SIGNAL", "ORDER_UPDATE", "orders.executed"] {
        assert!(types.contains(t), "{t} not among {types:?}");
    }
}
