//! Invalidation over HTTP: presets, dry runs that delete nothing, confirmed jobs with progress
//! events and cancel, and the tree, key pages and invalidation on a real 3-master Cluster.

mod api;

use std::collections::HashSet;
use std::time::Duration;

use api::Api;
use redscope_testing::{RedisCluster, RedisServer};
use serde_json::{json, Value};

async fn load(url: &str, keys: impl Iterator<Item = String>) {
    let mut c = api::raw_conn(url).await;
    let keys: Vec<String> = keys.collect();
    for chunk in keys.chunks(50_000) {
        let mut p = redis::pipe();
        for batch in chunk.chunks(1000) {
            let mut mset = redis::cmd("MSET");
            for k in batch {
                mset.arg(k).arg("1");
            }
            p.add_command(mset).ignore();
        }
        let () = p.query_async(&mut c).await.unwrap();
    }
}

async fn dbsize(url: &str) -> u64 {
    let mut c = api::raw_conn(url).await;
    redis::cmd("DBSIZE").query_async(&mut c).await.unwrap()
}

#[tokio::test]
async fn presets_dry_run_then_delete_exactly_their_keys() {
    let redis = RedisServer::start().unwrap();
    load(
        &redis.url(),
        (0..3000)
            .map(|i| format!("ticker:binance:S{i}"))
            .chain((0..2000).map(|i| format!("orderbook:kraken:S{i}")))
            .chain((0..500).map(|i| format!("features:AAPL:2025-01-{:02}", i % 28 + 1)))
            .chain((0..700).map(|i| format!("features:S{i}:2025-01-17")))
            .chain((0..40).map(|i| format!("signal:momentum:S{i}")))
            .chain((0..60).map(|i| format!("signal:meanrev:S{i}"))),
    )
    .await;
    let total = dbsize(&redis.url()).await;
    assert_eq!(total, 3000 + 2000 + 28 + 700 + 100);
    let api = Api::start(redis.config(), false).await;

    let dry = |preset: Value| {
        let api = &api;
        async move {
            let (st, b) = api
                .post(
                    "/api/invalidate",
                    json!({"preset": preset, "dry_run": true}),
                )
                .await;
            assert_eq!(st, 200, "{b}");
            b
        }
    };
    let b = dry(json!({"kind": "exchange", "value": "binance"})).await;
    assert_eq!(b["count"], 3000);
    let sample = b["sample"].as_array().unwrap();
    assert_eq!(sample.len(), 20);
    assert!(sample
        .iter()
        .all(|k| k["text"].as_str().unwrap().starts_with("ticker:binance:")));
    // S7's ticker, order book and its signals from both strategies.
    assert_eq!(
        dry(json!({"kind": "symbol", "value": "S7"})).await["count"],
        4
    );
    assert_eq!(
        dry(json!({"kind": "signals", "value": "momentum"})).await["count"],
        40
    );
    assert_eq!(dry(json!({"kind": "signals"})).await["count"], 100);
    assert_eq!(
        dry(json!({"kind": "features_symbol", "value": "AAPL"})).await["count"],
        28
    );
    assert_eq!(
        dry(json!({"kind": "features_date", "value": "2025-01-17"})).await["count"],
        701
    );
    assert_eq!(
        dbsize(&redis.url()).await,
        total,
        "a dry run deleted something"
    );

    // Without confirm: 409, nothing deleted.
    let (st, b) = api
        .post(
            "/api/invalidate",
            json!({"pattern": "*:kraken:*", "dry_run": false}),
        )
        .await;
    assert_eq!(
        (st, b["code"].as_str()),
        (409, Some("confirmation_required"))
    );
    assert_eq!(dbsize(&redis.url()).await, total);

    let mut events = api.service.events();
    let (st, job) = api
        .post(
            "/api/invalidate",
            json!({"preset": {"kind": "exchange", "value": "kraken"}, "dry_run": false, "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let done = api
        .poll(&format!("/api/jobs/{id}"), Duration::from_secs(30), |j| {
            j["state"] != "running"
        })
        .await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (done["matched"].as_u64(), done["deleted"].as_u64()),
        (Some(2000), Some(2000))
    );
    assert!(done["finished_ms"].as_i64() >= done["started_ms"].as_i64());
    assert_eq!(dbsize(&redis.url()).await, total - 2000);
    // The final state also went out as a `job` event.
    let last = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let e = api::next_event(&mut events).await;
            if e["type"] == "job" && e["state"] == "done" {
                return e;
            }
        }
    })
    .await
    .expect("no final job event");
    assert_eq!(last["deleted"], 2000);
    let (_, jobs) = api.get("/api/jobs").await;
    assert_eq!(jobs[0]["id"], id);
}

#[tokio::test]
async fn a_job_reports_progress_and_stops_when_cancelled() {
    let redis = RedisServer::start().unwrap();
    let n = 300_000u64;
    load(&redis.url(), (0..n).map(|i| format!("cache:{i}"))).await;
    let api = Api::start(redis.config(), false).await;
    let mut events = api.service.events();
    let (st, job) = api
        .post(
            "/api/invalidate",
            json!({"pattern": "cache:*", "dry_run": false, "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    // Wait for a progress event that shows deletion under way, then cancel.
    let progress = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = api::next_event(&mut events).await;
            if e["type"] == "job" && e["state"] == "running" && e["deleted"].as_u64() > Some(0) {
                return e;
            }
            assert_ne!(
                e["state"], "done",
                "finished before any progress event: {e}"
            );
        }
    })
    .await
    .expect("no progress event");
    assert!(progress["scanned"].as_u64().unwrap() > 0);
    assert!(progress["deleted"].as_u64().unwrap() < n);
    let (st, _) = api.call("DELETE", &format!("/api/jobs/{id}"), None).await;
    assert_eq!(st, 200);
    let end = api
        .poll(&format!("/api/jobs/{id}"), Duration::from_secs(30), |j| {
            j["state"] != "running"
        })
        .await;
    assert_eq!(end["state"], "cancelled", "{end}");
    let deleted = end["deleted"].as_u64().unwrap();
    assert!(deleted > 0 && deleted < n, "{end}");
    assert_eq!(
        dbsize(&redis.url()).await,
        n - deleted,
        "the report must match the server"
    );
}

#[tokio::test]
async fn tree_keys_and_invalidation_span_every_cluster_master() {
    let cluster = RedisCluster::start().unwrap();
    let cfg = cluster.config();
    assert_eq!(cluster.master_ports().len(), 3);
    let api = Api::start(cfg, false).await;
    // Write through the service's own Cluster connection (slot-routed).
    let mut conn = api.service.conn().await.unwrap();
    let mut p = redis::pipe();
    for i in 0..1000 {
        p.cmd("SET")
            .arg(format!("ticker:binance:S{i}"))
            .arg(1)
            .ignore();
        p.cmd("SET")
            .arg(format!("ticker:kraken:S{i}"))
            .arg(1)
            .ignore();
        p.cmd("SET")
            .arg(format!("features:S{i}:2025-01-17"))
            .arg(1)
            .ignore();
    }
    let () = p.query_async(&mut conn).await.unwrap();
    // Every master holds some of them.
    for port in cluster.master_ports() {
        assert!(dbsize(&format!("redis://127.0.0.1:{port}")).await > 0);
    }

    let top = api
        .poll("/api/tree", Duration::from_secs(30), |b| {
            b["complete"] == true
        })
        .await;
    assert_eq!(top["total_keys"], 3000);
    let counts: Vec<(&str, u64)> = top["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [("features", 1000), ("ticker", 2000)]);

    let mut cursor = "0".to_string();
    let mut seen = HashSet::new();
    loop {
        let (st, page) = api
            .get(&format!(
                "/api/keys?match=ticker%3A*&count=300&cursor={cursor}"
            ))
            .await;
        assert_eq!(st, 200, "{page}");
        for k in page["keys"].as_array().unwrap() {
            seen.insert(k["text"].as_str().unwrap().to_string());
        }
        cursor = page["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 2000);

    // Metadata of keys on different masters comes back in request order.
    let names = [
        "ticker:binance:S1",
        "features:S2:2025-01-17",
        "ticker:kraken:S3",
    ];
    let keys_b64: Vec<String> = names.iter().map(|n| api::b64(n.as_bytes())).collect();
    let (st, meta) = api
        .post("/api/keys/meta", json!({ "keys_b64": keys_b64 }))
        .await;
    assert_eq!(st, 200, "{meta}");
    for (i, n) in names.iter().enumerate() {
        assert_eq!(meta[i]["key"]["text"], *n);
        assert_eq!(
            (meta[i]["type"].as_str(), meta[i]["size"].as_u64()),
            (Some("string"), Some(1))
        );
    }
    let (st, v) = api.get("/api/key?key=features%3AS2%3A2025-01-17").await;
    assert_eq!(
        (st, v["value"]["preview"]["text"].as_str()),
        (200, Some("1")),
        "{v}"
    );

    let (_, dry) = api
        .post(
            "/api/invalidate",
            json!({"preset": {"kind": "exchange", "value": "binance"}}),
        )
        .await;
    assert_eq!(dry["count"], 1000);
    let (st, job) = api
        .post(
            "/api/invalidate",
            json!({"preset": {"kind": "exchange", "value": "binance"}, "dry_run": false, "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{job}");
    let done = api
        .poll(
            &format!("/api/jobs/{}", job["id"].as_str().unwrap()),
            Duration::from_secs(30),
            |j| j["state"] != "running",
        )
        .await;
    assert_eq!(
        (done["state"].as_str(), done["deleted"].as_u64()),
        (Some("done"), Some(1000))
    );
    let after = api
        .poll("/api/tree?prefix=ticker%3A", Duration::from_secs(30), |b| {
            b["complete"] == true
        })
        .await;
    assert_eq!(after["total_keys"], 1000);
    assert_eq!(after["children"][0]["name"], "kraken");
    assert_eq!(after["children"].as_array().unwrap().len(), 1);
}
