//! Hygiene findings and the series view over HTTP on a seeded keyspace: each seeded
//! anti-pattern comes back with its kind, count, keys and invalidation pattern, in sampled and
//! full (job) mode; `ts:` and `ohlcv:` keys read back as points with stats and as bars.

mod api;

use std::time::Duration;

use api::{enc, Api};
use redscope::timeseries::{OHLCVBar, TimeSeriesStore};
use redscope_testing::RedisServer;
use serde_json::Value;

async fn seed(url: &str) {
    let mut c = api::raw_conn(url).await;
    let mut p = redis::pipe();
    for i in 0..30 {
        p.cmd("SET")
            .arg(format!("ticker:binance:S{i}"))
            .arg("1")
            .ignore();
    }
    for i in 0..20 {
        p.cmd("SET")
            .arg(format!("ticker:kraken:S{i}"))
            .arg("1")
            .arg("PX")
            .arg(2000)
            .ignore();
    }
    for i in 0..5 {
        // 10 h left where the features policy is 1 h.
        p.cmd("SET")
            .arg(format!("features:S{i}:2025-01-17"))
            .arg("{}")
            .arg("EX")
            .arg(36_000)
            .ignore();
    }
    for i in 0..3 {
        p.cmd("SET")
            .arg(format!("blob:{i}"))
            .arg(vec![b'x'; 200_000])
            .ignore();
    }
    for i in 0..100 {
        p.cmd("SET").arg(format!("other:{i}")).arg("v").ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();
    // One KEYS and one HGETALL land in the slowlog.
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(0)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: Vec<String> = redis::cmd("KEYS")
        .arg("market:*")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: Vec<String> = redis::cmd("HGETALL")
        .arg("nohash")
        .query_async(&mut c)
        .await
        .unwrap();
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(10_000)
        .query_async(&mut c)
        .await
        .unwrap();
}

fn by_kind<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

fn check(report: &Value) {
    assert_eq!(report["keys_examined"], 158, "{report}");
    assert_eq!(report["complete"], true);
    let no_ttl = by_kind(report, "no_ttl");
    assert_eq!(no_ttl.len(), 1, "{report}");
    assert_eq!(no_ttl[0]["count"], 30);
    assert_eq!(no_ttl[0]["data_type"], "ticker");
    assert_eq!(no_ttl[0]["pattern"], "ticker:*");
    assert_eq!(no_ttl[0]["keys"].as_array().unwrap().len(), 20);
    assert!(no_ttl[0]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["text"].as_str().unwrap().starts_with("ticker:binance:")));
    let drift = by_kind(report, "ttl_drift");
    assert_eq!(drift.len(), 1, "{report}");
    assert_eq!(drift[0]["count"], 5);
    assert_eq!(drift[0]["data_type"], "features");
    let big = by_kind(report, "big_value");
    assert_eq!(big.len(), 1);
    assert_eq!(big[0]["count"], 3);
    let slow = by_kind(report, "slow_command");
    let cmds: Vec<&str> = slow
        .iter()
        .map(|f| f["command"].as_str().unwrap())
        .collect();
    assert_eq!(cmds, ["KEYS", "HGETALL"]);
    assert_eq!(slow[0]["level"], "critical");
    assert_eq!(slow[1]["keys"][0]["text"], "nohash");
    // redis-server's default maxmemory-policy is noeviction.
    assert_eq!(by_kind(report, "no_eviction")[0]["count"], 1);
    // Most serious first.
    assert_eq!(report["findings"][0]["kind"], "slow_command");
    assert_eq!(report["findings"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn seeded_anti_patterns_are_found_by_sample_and_by_a_full_job() {
    let redis = RedisServer::start().unwrap();
    seed(&redis.url()).await;
    let api = Api::start(redis.config(), true).await;

    let (st, sample) = api.get("/api/findings?size_limit=100000").await;
    assert_eq!(st, 200, "{sample}");
    assert_eq!(sample["mode"], "sample");
    check(&sample);

    // Full mode is a job (allowed read-only: it only reads).
    let (st, job) = api.get("/api/findings?mode=full&size_limit=100000").await;
    assert_eq!(st, 200, "{job}");
    assert_eq!(job["kind"], "findings");
    let id = job["id"].as_str().unwrap().to_string();
    let done = api
        .poll(
            &format!("/api/findings/jobs/{id}"),
            Duration::from_secs(20),
            |j| j["state"] != "running",
        )
        .await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["examined"], 158);
    assert_eq!(done["report"]["mode"], "full");
    check(&done["report"]);

    let (st, bad) = api.get("/api/findings?mode=everything").await;
    assert_eq!((st, bad["code"].as_str()), (400, Some("invalid_input")));
    let (st, missing) = api.get("/api/findings/jobs/nope").await;
    assert_eq!((st, missing["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn a_full_run_can_be_cancelled_and_keeps_what_it_found() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    for chunk in 0..20 {
        let mut p = redis::pipe();
        for i in 0..10_000 {
            p.cmd("SET")
                .arg(format!("quote:Q{chunk}-{i}"))
                .arg("1")
                .ignore();
        }
        let () = p.query_async(&mut c).await.unwrap();
    }
    let api = Api::start(redis.config(), false).await;
    let (_, job) = api.get("/api/findings?mode=full").await;
    let id = job["id"].as_str().unwrap().to_string();
    api.poll(
        &format!("/api/findings/jobs/{id}"),
        Duration::from_secs(20),
        |j| j["examined"].as_u64() > Some(0) || j["state"] != "running",
    )
    .await;
    let (st, _) = api
        .call("DELETE", &format!("/api/findings/jobs/{id}"), None)
        .await;
    assert_eq!(st, 200);
    let end = api
        .poll(
            &format!("/api/findings/jobs/{id}"),
            Duration::from_secs(20),
            |j| j["state"] != "running",
        )
        .await;
    assert_eq!(end["state"], "cancelled", "{end}");
    let examined = end["examined"].as_u64().unwrap();
    assert!(examined > 0 && examined < 200_000, "{examined}");
    assert_eq!(end["report"]["complete"], false);
    assert_eq!(by_kind(&end["report"], "no_ttl")[0]["count"], examined);
}

#[tokio::test]
async fn series_reads_points_with_stats_and_ohlcv_bars() {
    let redis = RedisServer::start().unwrap();
    let conn = redscope::conn::Conn::connect(&redis.config())
        .await
        .unwrap();
    let store = TimeSeriesStore::new(conn);
    for i in 0..1000i64 {
        store
            .add("metrics:latency", 1_700_000_000_000 + i * 1000, i as f64)
            .await
            .unwrap();
    }
    for i in 0..50i64 {
        let o = 100.0 + i as f64;
        let bar = OHLCVBar {
            timestamp: chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + i * 60_000)
                .unwrap(),
            open: o,
            high: o + 2.0,
            low: o - 1.0,
            close: o + 1.0,
            volume: 10.0 * i as f64,
        };
        store.add_ohlcv("AAPL", &bar, "1m").await.unwrap();
    }
    let api = Api::start(redis.config(), true).await;

    let (st, s) = api
        .get(&format!(
            "/api/series?key={}&count=100",
            enc("ts:metrics:latency")
        ))
        .await;
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["kind"], "points");
    assert_eq!(
        (s["total"].as_u64(), s["truncated"].as_bool()),
        (Some(1000), Some(true))
    );
    let points = s["points"].as_array().unwrap();
    assert_eq!(points.len(), 100);
    assert_eq!(points[0]["value"], 900.0);
    assert_eq!(points[99]["value"], 999.0);
    assert_eq!(s["stats"]["count"], 1000);
    assert_eq!(
        (s["stats"]["min"].as_f64(), s["stats"]["max"].as_f64()),
        (Some(0.0), Some(999.0))
    );
    assert_eq!(s["stats"]["avg"], 499.5);

    let (st, o) = api
        .get(&format!("/api/series?key={}", enc("ohlcv:AAPL:1m")))
        .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(o["kind"], "ohlcv");
    let bars = o["bars"].as_array().unwrap();
    assert_eq!(bars.len(), 50);
    assert_eq!(bars[0]["open"], 100.0);
    assert_eq!(bars[49]["close"], 150.0);
    assert_eq!(bars[49]["volume"], 490.0);
    assert!(bars
        .windows(2)
        .all(|w| w[0]["ts_ms"].as_i64() < w[1]["ts_ms"].as_i64()));

    let (st, e) = api.get("/api/series?key=other").await;
    assert_eq!((st, e["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn the_trading_routes_are_described_in_openapi() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let (st, doc) = api.get("/api/openapi.json").await;
    assert_eq!(st, 200);
    for (path, method, op) in [
        ("/api/services", "get", "services"),
        ("/api/findings", "get", "findings"),
        ("/api/findings/jobs/{id}", "get", "findings_job"),
        ("/api/findings/jobs/{id}", "delete", "findings_job_cancel"),
        ("/api/series", "get", "series"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["operationId"], op,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn ttls_are_judged_by_the_policy_live_services_report() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    for i in 0..5 {
        // 10 h left: far above the default features policy (1 h), fine under a 24 h one.
        let () = redis::cmd("SET")
            .arg(format!("features:S{i}:2025-01-17"))
            .arg("{}")
            .arg("EX")
            .arg(36_000)
            .query_async(&mut c)
            .await
            .unwrap();
    }
    let api = Api::start(redis.config(), true).await;
    let (_, before) = api.get("/api/findings").await;
    assert_eq!(by_kind(&before, "ttl_drift")[0]["count"], 5, "{before}");
    assert!(by_kind(&before, "ttl_drift")[0]["message"]
        .as_str()
        .unwrap()
        .contains("1 h by default"));

    let cache = redscope::cache::Cache::connect(&redis.config(), Default::default())
        .await
        .unwrap();
    cache
        .ttl_policy()
        .set("features", Duration::from_secs(86_400))
        .unwrap();
    let _telemetry = redscope::telemetry::Telemetry::builder(cache.conn().clone(), "features-job")
        .interval(Duration::from_millis(200))
        .cache(cache.clone())
        .start();
    let services = api
        .poll("/api/services", Duration::from_secs(5), |b| {
            b["services"].as_array().map(Vec::len) == Some(1)
        })
        .await;
    assert_eq!(
        services["services"][0]["ttl_overrides"]["features"],
        86_400_000
    );
    let (_, after) = api.get("/api/findings").await;
    assert!(by_kind(&after, "ttl_drift").is_empty(), "{after}");
}

#[tokio::test]
async fn services_and_findings_span_every_cluster_master() {
    let cluster = redscope_testing::RedisCluster::start().unwrap();
    let cfg = cluster.config();
    let cache = redscope::cache::Cache::connect(&cfg, Default::default())
        .await
        .unwrap();
    // Keys on every master: 300 tickers without a TTL spread over the slots.
    let mut conn = cache.conn().clone();
    let mut p = redis::pipe();
    for i in 0..300 {
        p.cmd("SET")
            .arg(format!("ticker:binance:C{i}"))
            .arg("1")
            .ignore();
    }
    let () = p.query_async(&mut conn).await.unwrap();
    let telemetry = redscope::telemetry::Telemetry::builder(conn.clone(), "cluster-svc")
        .instance("c1")
        .interval(Duration::from_millis(200))
        .cache(cache.clone())
        .start();
    let api = Api::start(cfg, true).await;
    let services = api
        .poll("/api/services", Duration::from_secs(10), |b| {
            b["services"].as_array().map(Vec::len) == Some(1)
        })
        .await;
    assert_eq!(
        services["services"][0]["key"],
        "redscope:clients:cluster-svc:c1"
    );
    let (st, report) = api.get("/api/findings").await;
    assert_eq!(st, 200, "{report}");
    // The telemetry hash has a TTL and is not a library data type: 300 + 1 keys examined.
    assert_eq!(report["keys_examined"], 301, "{report}");
    assert_eq!(by_kind(&report, "no_ttl")[0]["count"], 300);
    // Three masters, each with the default noeviction policy.
    assert_eq!(by_kind(&report, "no_eviction")[0]["count"], 3);
    telemetry.stop().await;
    let (_, gone) = api.get("/api/services").await;
    assert_eq!(gone["services"].as_array().map(Vec::len), Some(0), "{gone}");
}

#[tokio::test]
async fn a_sample_stays_within_its_bounds_on_a_larger_keyspace() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let mut p = redis::pipe();
    for i in 0..5000 {
        p.cmd("SET").arg(format!("quote:Q{i}")).arg("1").ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();
    let api = Api::start(redis.config(), true).await;
    let (st, r) = api.get("/api/findings").await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["keys_examined"], 2000);
    assert_eq!(r["sizes_measured"], 300);
    assert_eq!(r["complete"], false);
    assert_eq!(by_kind(&r, "no_ttl")[0]["count"], 2000);
}

#[tokio::test]
async fn an_allkeys_policy_on_a_server_with_streams_or_locks_is_a_finding() {
    let redis = RedisServer::builder()
        .arg("maxmemory-policy", "allkeys-lru")
        .start()
        .unwrap();
    let api = Api::start(redis.config(), true).await;
    let mut c = api::raw_conn(&redis.url()).await;
    let evicts = |report: &Value| -> Vec<Value> {
        by_kind(report, "evicts_state")
            .into_iter()
            .cloned()
            .collect()
    };

    // Caches only: allkeys-lru is harmless.
    let _: () = redis::cmd("SET")
        .arg("ticker:binance:BTC")
        .arg("1")
        .arg("EX")
        .arg(60)
        .query_async(&mut c)
        .await
        .unwrap();
    let (st, report) = api.get("/api/findings").await;
    assert_eq!(st, 200, "{report}");
    assert!(evicts(&report).is_empty(), "{report}");

    // A market stream and a lock: they could be evicted.
    let _: String = redis::cmd("XADD")
        .arg("market:data")
        .arg("*")
        .arg("symbol")
        .arg("AAPL")
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("lock:rebalance")
        .arg("token")
        .arg("PX")
        .arg(30_000)
        .query_async(&mut c)
        .await
        .unwrap();
    let (_, report) = api.get("/api/findings").await;
    let found = evicts(&report);
    assert_eq!(found.len(), 1, "{report}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("allkeys-lru: streams, locks") && message.contains("volatile-lru"),
        "{message}"
    );
    let keys: Vec<&str> = found[0]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["text"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["market:data", "lock:rebalance"]);

    // volatile-lru spares them: no finding.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("volatile-lru")
        .query_async(&mut c)
        .await
        .unwrap();
    let (_, report) = api.get("/api/findings").await;
    assert!(evicts(&report).is_empty(), "{report}");
    assert!(by_kind(&report, "no_eviction").is_empty(), "{report}");
}
