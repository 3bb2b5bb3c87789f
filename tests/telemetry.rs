//! Service telemetry end to end: library clients with different workloads report through
//! `redscope:clients:*` and `HEARTBEAT`s, and `GET /api/services` shows them with the right hit
//! rates, shows a killed one gone and then drops it after its TTL, and shows a breaker trip
//! within one interval.

mod api;

use std::time::{Duration, Instant};

use api::Api;
use redscope::breaker::{BreakerConfig, BreakerState};
use redscope::cache::{Cache, CacheOptions};
use redscope::retry::RetryPolicy;
use redscope::telemetry::Telemetry;
use redscope::ttl::DataType;
use redscope_testing::RedisServer;
use serde_json::Value;

const INTERVAL: Duration = Duration::from_millis(300);

async fn cache(server: &RedisServer, name: &str) -> Cache {
    let opts = CacheOptions {
        name: name.into(),
        breaker: BreakerConfig {
            failure_threshold: 2,
            cool_down: Duration::from_secs(60),
            half_open_probes: 1,
        },
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        op_timeout: Duration::from_millis(500),
        ..CacheOptions::default()
    };
    Cache::connect(&server.config(), opts).await.unwrap()
}

/// `reads` reads of `t` keys of which `hits` find a value.
async fn workload(cache: &Cache, t: DataType, prefix: &str, reads: usize, hits: usize) {
    let typed = cache.typed(t);
    for i in 0..hits {
        typed
            .set(&format!("{prefix}:{i}"), &(i as f64))
            .await
            .unwrap();
    }
    for i in 0..reads {
        let _: Option<f64> = typed.get(&format!("{prefix}:{i}")).await.unwrap();
    }
}

fn service<'a>(reply: &'a Value, name: &str) -> Option<&'a Value> {
    reply["services"]
        .as_array()?
        .iter()
        .find(|s| s["service"] == name)
}

fn type_figures<'a>(s: &'a Value, t: &str) -> Option<&'a Value> {
    s["types"].as_array()?.iter().find(|x| x["name"] == t)
}

fn codes(s: &Value) -> Vec<String> {
    s["alerts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn two_clients_show_their_hit_rates_and_a_killed_one_goes_then_disappears() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let (st, empty) = api.get("/api/services").await;
    assert_eq!(st, 200, "{empty}");
    assert_eq!(empty["services"].as_array().map(Vec::len), Some(0));
    let mut bus = api.service.events();

    let pricer_cache = cache(&redis, "cache").await;
    let risk_cache = cache(&redis, "cache").await;
    workload(&pricer_cache, DataType::Ticker, "ticker:binance", 100, 90).await;
    workload(&risk_cache, DataType::Features, "features:AAPL", 100, 20).await;
    let conn = pricer_cache.conn().clone();
    let pricer = Telemetry::builder(conn.clone(), "pricer")
        .instance("p1")
        .interval(INTERVAL)
        .cache(pricer_cache.clone())
        .start();
    let risk = Telemetry::builder(conn.clone(), "risk")
        .instance("r1")
        .interval(INTERVAL)
        .cache(risk_cache.clone())
        .start();
    assert_eq!(pricer.key(), "redscope:clients:pricer:p1");

    // Both listed, with liveness from their HEARTBEATs on trading:system (seen by the watcher).
    let both = api
        .poll("/api/services", Duration::from_secs(10), |b| {
            b["services"].as_array().is_some_and(|s| {
                s.len() == 2 && s.iter().all(|x| x["heartbeat_ms"].as_i64().is_some())
            })
        })
        .await;
    let p = service(&both, "pricer").unwrap();
    let r = service(&both, "risk").unwrap();
    let pt = type_figures(p, "ticker").unwrap();
    assert_eq!(
        (pt["hits"].as_u64(), pt["misses"].as_u64()),
        (Some(90), Some(10))
    );
    assert!(
        (pt["hit_rate"].as_f64().unwrap() - 0.9).abs() < 1e-3,
        "{pt}"
    );
    let rf = type_figures(r, "features").unwrap();
    assert_eq!(
        (rf["hits"].as_u64(), rf["misses"].as_u64()),
        (Some(20), Some(80))
    );
    assert!(
        (rf["hit_rate"].as_f64().unwrap() - 0.2).abs() < 1e-3,
        "{rf}"
    );
    assert_eq!(p["status"], "live");
    assert_eq!(p["interval_ms"], 300);
    assert_eq!(p["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["breakers"][0]["state"], "closed");
    // Health threshold: a hit rate under 50 % is an alert; 90 % is not.
    assert_eq!(codes(r), ["low_hit_rate"]);
    assert!(codes(p).is_empty(), "{p}");
    assert_eq!(both["alerts"].as_array().map(Vec::len), Some(1));

    // The watcher told the bus when the set changed.
    let event = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let e = serde_json::to_value(bus.recv().await.unwrap()).unwrap();
            if e["type"] == "services" && e["services"].as_array().map(Vec::len) == Some(2) {
                return e;
            }
        }
    })
    .await
    .expect("no services event with both clients");
    assert_eq!(event["alerts"][0]["code"], "low_hit_rate");

    // Kill one without cleanup: shown gone, then gone from the list after its TTL (3 intervals).
    let killed = Instant::now();
    risk.abort();
    let gone = api
        .poll("/api/services", Duration::from_secs(5), |b| {
            service(b, "risk").is_some_and(|r| r["status"] == "gone")
        })
        .await;
    assert_eq!(service(&gone, "pricer").unwrap()["status"], "live");
    assert!(codes(service(&gone, "risk").unwrap()).contains(&"service_gone".to_string()));
    api.poll("/api/services", Duration::from_secs(5), |b| {
        service(b, "risk").is_none()
    })
    .await;
    let took = killed.elapsed();
    assert!(
        took <= INTERVAL * 3 + Duration::from_millis(700),
        "disappeared after {took:?}"
    );

    // A clean stop removes the client at once.
    let stopped = Instant::now();
    pricer.stop().await;
    let (_, after) = api.get("/api/services").await;
    assert_eq!(
        after["services"].as_array().map(Vec::len),
        Some(0),
        "{after}"
    );
    assert!(stopped.elapsed() < INTERVAL * 3);
}

#[tokio::test]
async fn a_breaker_trip_is_visible_within_one_interval() {
    let report = RedisServer::start().unwrap();
    let mut data = RedisServer::start().unwrap();
    let api = Api::start(report.config(), false).await;
    let feed = cache(&data, "feed").await;
    workload(&feed, DataType::OrderBook, "orderbook:kraken", 10, 10).await;
    let report_conn = redscope::conn::Conn::connect(&report.config())
        .await
        .unwrap();
    let _telemetry = Telemetry::builder(report_conn, "feed-handler")
        .instance("f1")
        .interval(INTERVAL)
        .cache(feed.clone())
        .start();
    let first = api
        .poll("/api/services", Duration::from_secs(10), |b| {
            service(b, "feed-handler").is_some()
        })
        .await;
    let f = service(&first, "feed-handler").unwrap();
    assert_eq!(f["breakers"][0]["name"], "feed");
    assert_eq!(f["breakers"][0]["state"], "closed");
    assert_eq!(f["breakers"][0]["trips"], 0);

    data.kill();
    let deadline = Instant::now() + Duration::from_secs(10);
    while feed.breaker().state() != BreakerState::Open {
        assert!(Instant::now() < deadline, "the breaker never opened");
        // Reads degrade to misses while Redis is down; failures open the circuit.
        let _ = feed.get_raw(b"orderbook:kraken:0").await;
    }
    let tripped = Instant::now();
    let seen = api
        .poll("/api/services", Duration::from_secs(5), |b| {
            service(b, "feed-handler").is_some_and(|f| f["breakers"][0]["state"] == "open")
        })
        .await;
    let took = tripped.elapsed();
    assert!(
        took <= INTERVAL + Duration::from_millis(400),
        "the open breaker showed after {took:?}"
    );
    let f = service(&seen, "feed-handler").unwrap();
    assert_eq!(f["breakers"][0]["trips"], 1);
    assert_eq!(f["status"], "live", "the reporter talks to another server");
    assert!(codes(f).contains(&"breaker_open".to_string()), "{f}");
}

#[tokio::test]
async fn telemetry_can_be_turned_off_and_survives_a_dead_server() {
    let mut redis = RedisServer::start().unwrap();
    let c = cache(&redis, "cache").await;
    let off = Telemetry::builder(c.conn().clone(), "quiet")
        .enabled(false)
        .interval(Duration::from_millis(50))
        .cache(c.clone())
        .start();
    assert!(!off.is_enabled());
    // A dead server: the reporter keeps running, the host is not affected, stop() returns.
    let on = Telemetry::builder(c.conn().clone(), "survivor")
        .instance("s1")
        .interval(Duration::from_millis(50))
        .cache(c.clone())
        .start();
    let mut raw = api::raw_conn(&redis.url()).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n: u64 = redis::cmd("EXISTS")
            .arg("redscope:clients:survivor:s1")
            .query_async(&mut raw)
            .await
            .unwrap();
        if n == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "no telemetry hash");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, quiet): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("MATCH")
        .arg("redscope:clients:quiet:*")
        .arg("COUNT")
        .arg(1000)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(quiet.is_empty(), "a disabled reporter wrote {quiet:?}");
    redis.kill();
    assert_eq!(on.snapshot().meta["service"], "survivor");
    // It keeps trying (and counting failures) without disturbing the host.
    let deadline = Instant::now() + Duration::from_secs(5);
    while on.stats().failures < 2 {
        assert!(
            Instant::now() < deadline,
            "no failed report: {:?}",
            on.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = tokio::time::timeout(Duration::from_secs(5), on.stop())
        .await
        .expect("stop hung on a dead server");
    assert!(stats.reports >= 1 && stats.heartbeats >= 1, "{stats:?}");
    assert!(stats.failures >= 2, "{stats:?}");
    off.stop().await;
}

#[tokio::test]
async fn a_python_service_reporting_the_same_format_is_listed() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), true).await;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/telemetry_client.py");
    let mut child = tokio::process::Command::new(redscope_testing::python())
        .arg(script)
        .arg(redis.url())
        .arg("8")
        .arg("300")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let (_, b) = api.get("/api/services").await;
        if service(&b, "py-risk").is_some_and(|s| s["heartbeat_ms"].as_i64().is_some()) {
            break b;
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = e.read_to_string(&mut err).await;
            }
            assert!(status.success(), "the Python client failed: {err}");
        }
        assert!(Instant::now() < deadline, "py-risk never listed: {b}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let out = child.wait_with_output().await.expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = service(&seen, "py-risk").unwrap();
    assert_eq!(s["key"], "redscope:clients:py-risk:worker-1");
    let f = type_figures(s, "features").unwrap();
    assert_eq!(
        (f["hits"].as_u64(), f["misses"].as_u64()),
        (Some(30), Some(70))
    );
    assert_eq!(s["groups"][0]["stream"], "market:data");
    assert_eq!(
        (
            s["groups"][0]["lag"].as_u64(),
            s["groups"][0]["pending"].as_u64()
        ),
        (Some(12), Some(4))
    );
    assert_eq!(codes(s), ["low_hit_rate"]);
    // It exited without cleanup: gone from the list once its hash expires.
    api.poll("/api/services", Duration::from_secs(5), |b| {
        service(b, "py-risk").is_none()
    })
    .await;
}

#[test]
fn starting_outside_a_runtime_disables_instead_of_panicking() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = redscope_testing::RedisServer::start().unwrap();
    let conn = rt
        .block_on(redscope::conn::Conn::connect(&server.config()))
        .unwrap();
    let t = redscope::telemetry::Telemetry::builder(conn, "svc").start();
    assert!(!t.is_enabled());
}
