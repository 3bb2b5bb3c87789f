//! The key browser names the library's data shapes: keys written through the library (OHLCV
//! bars, a metric series, the market stream, the signal buffer, a feature vector) come back from
//! `key` and `keys_meta` with the `shape` the UI shows them in; look-alikes with the wrong Redis
//! type or a near-miss name come back without one.

mod api;

use api::{b64, enc, Api};
use chrono::{NaiveDate, TimeZone, Utc};
use redscope::cache::Cache;
use redscope::conn::Conn;
use redscope::market::{FeatureCache, MarketDataCache, SignalBuffer, SIGNAL_BUFFER_KEY};
use redscope::stream::{MarketDataStream, MarketTick, DEFAULT_STREAM};
use redscope::timeseries::{OHLCVBar, TimeSeriesStore};
use redscope_testing::RedisServer;
use serde_json::{json, Value};

/// `shape` of `key` as `key` and as `keys_meta` answer it (`None` when the field is absent).
async fn shapes(api: &Api, key: &str) -> (Option<String>, Option<String>) {
    let (status, kv) = api
        .get(&format!("/api/key?key_b64={}", enc(&b64(key.as_bytes()))))
        .await;
    assert_eq!(status, 200, "{key}: {kv}");
    let (status, metas) = api
        .post(
            "/api/keys/meta",
            json!({ "keys_b64": [b64(key.as_bytes())] }),
        )
        .await;
    assert_eq!(status, 200, "{key}: {metas}");
    let meta = &metas[0];
    assert_eq!(meta["key"]["text"], key);
    assert_eq!(kv["type"], meta["type"], "{key}");
    (field(&kv, key), field(meta, key))
}

/// The `shape` field: a string when present, never `null` (other keys' JSON is unchanged).
fn field(reply: &Value, key: &str) -> Option<String> {
    let obj = reply.as_object().unwrap();
    obj.get("shape").map(|s| {
        s.as_str()
            .unwrap_or_else(|| panic!("{key}: shape {s} is not a name"))
            .to_string()
    })
}

async fn assert_shape(api: &Api, key: &str, want: Option<&str>) {
    let (from_key, from_meta) = shapes(api, key).await;
    assert_eq!(from_key.as_deref(), want, "{key} (key)");
    assert_eq!(from_meta.as_deref(), want, "{key} (keys_meta)");
}

async fn raw(conn: &Conn, cmd: &mut redis::Cmd) {
    let mut c = conn.clone();
    let _: redis::Value = cmd.query_async(&mut c).await.unwrap();
}

#[tokio::test]
async fn keys_written_by_the_library_carry_their_shape_and_look_alikes_do_not() {
    let redis = RedisServer::start().unwrap();
    let cfg = redis.config();
    let conn = Conn::connect(&cfg).await.unwrap();
    let cache = Cache::new(conn.clone());
    let day = NaiveDate::from_ymd_opt(2025, 1, 17).unwrap();

    // The real thing, each written by its library writer.
    let ts = TimeSeriesStore::new(conn.clone());
    let bar = OHLCVBar {
        timestamp: Utc.timestamp_millis_opt(1_737_100_800_000).unwrap(),
        open: 100.0,
        high: 101.5,
        low: 99.5,
        close: 101.0,
        volume: 1200.0,
    };
    ts.add_ohlcv("AAPL", &bar, "1m").await.unwrap();
    ts.add("latency:publish", 1_737_100_800_000, 1.25)
        .await
        .unwrap();
    let stream = MarketDataStream::new(conn.clone(), cfg.clone(), DEFAULT_STREAM);
    stream
        .publish(&MarketTick::new("AAPL", 175.5))
        .await
        .unwrap();
    let signals = SignalBuffer::new(cache.clone());
    signals
        .push(&json!({ "symbol": "AAPL", "action": "buy", "strength": 0.8 }))
        .await
        .unwrap();
    let features = FeatureCache::new(cache.clone());
    features
        .set("AAPL", day, &json!({ "rsi": 61.2, "sma_20": 174.9 }))
        .await
        .unwrap();
    let feature_key = FeatureCache::key("AAPL", day).unwrap();
    assert_eq!(feature_key, "features:AAPL:2025-01-17");

    // Look-alikes: a layout name with the wrong Redis type, or a near-miss name.
    raw(
        &conn,
        redis::cmd("ZADD").arg("ohlcv:AAPL:").arg(1).arg("1:0:{}"),
    )
    .await;
    raw(
        &conn,
        redis::cmd("HSET").arg("ohlcv:MSFT:1m").arg("open").arg("1"),
    )
    .await;
    raw(
        &conn,
        redis::cmd("ZADD").arg("ohlcv:AAPL").arg(1).arg("1:0:{}"),
    )
    .await;
    raw(&conn, redis::cmd("RPUSH").arg("ts:wrong").arg("1")).await;
    raw(&conn, redis::cmd("ZADD").arg("ts:").arg(1).arg("1:0:1")).await;
    raw(
        &conn,
        redis::cmd("XADD")
            .arg("market:data2")
            .arg("*")
            .arg("symbol")
            .arg("AAPL")
            .arg("price")
            .arg("1"),
    )
    .await;
    // `market_data:{symbol}` is in the layout (cached market data), but has no view.
    MarketDataCache::new(cache.clone())
        .set_market_data("AAPL", &json!({ "price": 175.5 }))
        .await
        .unwrap();
    raw(&conn, redis::cmd("LPUSH").arg("signals:buffer:2").arg("{}")).await;
    raw(&conn, redis::cmd("LPUSH").arg("signal:buffer").arg("{}")).await;
    raw(
        &conn,
        redis::cmd("SET")
            .arg("features:AAPL:today")
            .arg("{\"rsi\":1}"),
    )
    .await;
    raw(
        &conn,
        redis::cmd("HSET")
            .arg("features:MSFT:2025-01-17")
            .arg("rsi")
            .arg("1"),
    )
    .await;
    raw(&conn, redis::cmd("SET").arg("cache:x").arg("1")).await;

    let api = Api::start(cfg, false).await;
    for (key, want) in [
        ("ohlcv:AAPL:1m", Some("candles")),
        ("ts:latency:publish", Some("series")),
        (DEFAULT_STREAM, Some("quotes")),
        (SIGNAL_BUFFER_KEY, Some("signals")),
        (feature_key.as_str(), Some("features")),
        ("ohlcv:MSFT:1m", None),
        ("ohlcv:AAPL", None),
        ("ohlcv:AAPL:", None),
        ("ts:wrong", None),
        ("ts:", None),
        ("market:data2", None),
        ("market_data:AAPL", None),
        ("signals:buffer:2", None),
        ("signal:buffer", None),
        ("features:AAPL:today", None),
        ("features:MSFT:2025-01-17", None),
        ("cache:x", None),
    ] {
        assert_shape(&api, key, want).await;
    }

    // Several keys in one keys_meta call, each with its own shape; a missing key has none.
    let keys = ["ohlcv:AAPL:1m", "cache:x", "market:data", "ts:missing"];
    let (status, metas) = api
        .post(
            "/api/keys/meta",
            json!({ "keys_b64": keys.iter().map(|k| b64(k.as_bytes())).collect::<Vec<_>>() }),
        )
        .await;
    assert_eq!(status, 200, "{metas}");
    let got: Vec<Option<String>> = metas
        .as_array()
        .unwrap()
        .iter()
        .zip(keys)
        .map(|(m, k)| field(m, k))
        .collect();
    assert_eq!(
        got,
        [Some("candles".into()), None, Some("quotes".into()), None]
    );

    // The reply of an edit describes the key as it is afterwards.
    let (status, kv) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({ "key": SIGNAL_BUFFER_KEY, "op": "lpush", "value": "{\"symbol\":\"MSFT\"}" })),
        )
        .await;
    assert_eq!(status, 200, "{kv}");
    assert_eq!(kv["shape"], "signals");
    assert_eq!(kv["size"], 2);

    // The same names with the wrong Redis type lose their shape.
    for (key, mut cmd) in [
        (
            DEFAULT_STREAM,
            redis::cmd("SET").arg(DEFAULT_STREAM).arg("x").clone(),
        ),
        (
            SIGNAL_BUFFER_KEY,
            redis::cmd("SET").arg(SIGNAL_BUFFER_KEY).arg("x").clone(),
        ),
        (
            "ts:latency:publish",
            redis::cmd("SADD")
                .arg("ts:latency:publish")
                .arg("x")
                .clone(),
        ),
        (
            "ohlcv:AAPL:1m",
            redis::cmd("SET").arg("ohlcv:AAPL:1m").arg("x").clone(),
        ),
        (
            feature_key.as_str(),
            redis::cmd("RPUSH").arg(&feature_key).arg("x").clone(),
        ),
    ] {
        raw(&conn, redis::cmd("DEL").arg(key)).await;
        raw(&conn, &mut cmd).await;
        assert_shape(&api, key, None).await;
    }
}
