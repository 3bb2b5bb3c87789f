//! Hot keys and latency over HTTP on real servers: with an LFU policy the hot keys are read with
//! OBJECT FREQ and agree with `redis-cli --hotkeys`; without one, a MONITOR sample is refused
//! until confirmed, then counts every command per key and per command while it runs, and is
//! refused for a user whose ACL forbids MONITOR; LATENCY events, their history and the doctor's
//! report are shown per master.

mod api;

use std::time::Duration;

use api::Api;
use redscope_testing::{redis_cli_binary, RedisServer};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

async fn finished(api: &Api, job: &Value) -> Value {
    let id = job["id"].as_str().unwrap();
    api.poll(&format!("/api/hotkeys/jobs/{id}"), WAIT, |j| {
        j["state"] != "running"
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lfu_hot_keys_agree_with_redis_cli() {
    let redis = RedisServer::builder()
        .arg("maxmemory-policy", "allkeys-lfu")
        .start()
        .unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let mut p = redis::pipe();
    for i in 0..2000 {
        p.cmd("SET").arg(format!("cold:{i}")).arg(i).ignore();
    }
    for _ in 0..3000 {
        p.cmd("GET").arg("cold:7").ignore();
    }
    for _ in 0..300 {
        p.cmd("GET").arg("cold:8").ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();

    let api = Api::start(redis.config(), true).await;
    let (st, job) = api.post("/api/hotkeys", json!({})).await;
    assert_eq!(st, 200, "{job}");
    assert_eq!(
        (job["method"].as_str(), job["costly"].as_bool()),
        (Some("lfu"), Some(false))
    );
    let done = finished(&api, &job).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["scanned"], 2000);
    let keys = done["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 100);
    assert_eq!(keys[0]["key"]["text"], "cold:7");
    assert_eq!(keys[1]["key"]["text"], "cold:8");
    assert!(keys[0]["count"].as_u64() > keys[1]["count"].as_u64());

    // redis-cli --hotkeys reads the same counters.
    let out = std::process::Command::new(redis_cli_binary())
        .args(["-p", &redis.port().to_string(), "--hotkeys"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("\"cold:7\""))
        .unwrap_or_else(|| panic!("redis-cli --hotkeys did not list cold:7: {text}"));
    let counter: u64 = line
        .split("counter")
        .nth(1)
        .map(|r| r.trim_start_matches(':').trim_start())
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line}"));
    assert_eq!(keys[0]["count"].as_u64(), Some(counter), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_sample_needs_confirming_counts_keys_and_commands_and_obeys_acl() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), true).await;
    let (st, err) = api.post("/api/hotkeys", json!({})).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (409, Some("confirmation_required")),
        "{err}"
    );
    assert!(
        err["message"].as_str().unwrap().contains("noeviction"),
        "{err}"
    );
    let (st, err) = api.post("/api/hotkeys", json!({"method": "lfu"})).await;
    assert_eq!(st, 400, "{err}");
    let (st, err) = api
        .post(
            "/api/hotkeys",
            json!({"method": "monitor", "confirm": true, "seconds": 61}),
        )
        .await;
    assert_eq!(st, 400, "{err}");

    let (st, job) = api
        .post(
            "/api/hotkeys",
            json!({"method": "monitor", "confirm": true, "seconds": 3}),
        )
        .await;
    assert_eq!(st, 200, "{job}");
    assert_eq!(
        (job["method"].as_str(), job["costly"].as_bool()),
        (Some("monitor"), Some(true))
    );
    // The sample is listening once the call has answered.
    let mut c = api::raw_conn(&redis.url()).await;
    let mut p = redis::pipe();
    for i in 0..250 {
        p.cmd("SET").arg("hot:quote").arg(i).ignore();
        p.cmd("GET").arg("hot:quote").ignore();
    }
    for i in 0..40 {
        p.cmd("HSET").arg("warm:book").arg("bid").arg(i).ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();
    let done = finished(&api, &job).await;
    assert_eq!(done["state"], "done", "{done}");
    let keys = done["keys"].as_array().unwrap();
    assert_eq!(keys[0]["key"]["text"], "hot:quote");
    assert_eq!(keys[0]["count"], 500);
    assert_eq!(keys[1]["key"]["text"], "warm:book");
    assert_eq!(keys[1]["count"], 40);
    let count = |name: &str| {
        done["by_command"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["command"] == name)
            .map(|c| c["count"].as_u64().unwrap())
    };
    assert_eq!(
        (count("set"), count("get"), count("hset")),
        (Some(250), Some(250), Some(40)),
        "{done}"
    );
    assert!(done["commands"].as_u64().unwrap() >= 540);

    // Cancelling a long sample keeps what it counted.
    let (_, long) = api
        .post(
            "/api/hotkeys",
            json!({"method": "monitor", "confirm": true, "seconds": 60}),
        )
        .await;
    let () = redis::cmd("SET")
        .arg("during")
        .arg(1)
        .query_async(&mut c)
        .await
        .unwrap();
    let id = long["id"].as_str().unwrap();
    let (st, _) = api
        .call("DELETE", &format!("/api/hotkeys/jobs/{id}"), None)
        .await;
    assert_eq!(st, 200);
    let stopped = finished(&api, &long).await;
    assert_eq!(stopped["state"], "cancelled", "{stopped}");

    // A user whose ACL forbids MONITOR is refused with the server's reason.
    let () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "watcher",
            "on",
            ">watcher-pw",
            "~*",
            "+@all",
            "-monitor",
        ])
        .query_async(&mut c)
        .await
        .unwrap();
    let limited = Api::start(
        redscope::RedisConfig::from_url(&format!(
            "redis://watcher:watcher-pw@127.0.0.1:{}/0",
            redis.port()
        ))
        .unwrap(),
        true,
    )
    .await;
    let (st, err) = limited
        .post(
            "/api/hotkeys",
            json!({"method": "monitor", "confirm": true, "seconds": 1}),
        )
        .await;
    assert_ne!(st, 200, "{err}");
    let msg = err["message"].as_str().unwrap();
    assert!(
        msg.contains("MONITOR refused") && (msg.contains("NOPERM") || msg.contains("permission")),
        "{err}"
    );
    assert!(!msg.contains("watcher-pw"), "no password in errors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_events_have_a_history_and_the_doctor_reads_them() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let () = redis::cmd("CONFIG")
        .arg(&["SET", "latency-monitor-threshold", "1"])
        .query_async(&mut c)
        .await
        .unwrap();
    // A slow script: a `command` latency spike of a few ms at least.
    for _ in 0..2 {
        let _: Value = redis::cmd("EVAL")
            .arg("local i = 0 while i < 3000000 do i = i + 1 end return i")
            .arg(0)
            .query_async(&mut c)
            .await
            .map(|v: i64| json!(v))
            .unwrap();
    }
    let api = Api::start(redis.config(), true).await;
    let (st, r) = api.get("/api/latency").await;
    assert_eq!(st, 200, "{r}");
    let node = &r["nodes"][0];
    assert_eq!(node["threshold_ms"], 1);
    let ev = node["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "command")
        .unwrap_or_else(|| panic!("no command event: {r}"));
    let max = ev["max_ms"].as_i64().unwrap();
    assert!(max >= 1, "{ev}");
    let history = ev["history"].as_array().unwrap();
    assert!(!history.is_empty());
    assert!(history.iter().all(|p| p[1].as_i64().unwrap() <= max));
    assert!(
        node["doctor"].as_str().unwrap().contains("command"),
        "{}",
        node["doctor"]
    );
}
