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
    let limited = api_without_monitor(&mut c, &redis, "watcher", true).await;
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

/// The MONITOR view's state and lines matching `query` (a query string).
async fn monitor_view(api: &Api, query: &str) -> Value {
    let (st, v) = api.get(&format!("/api/command-monitor?{query}")).await;
    assert_eq!(st, 200, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_view_is_confirmed_time_boxed_filterable_and_refused_where_it_must_be() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;

    // Read-only mode refuses it with the reason, before touching the server.
    let ro = Api::start(redis.config(), true).await;
    let (st, err) = ro
        .post(
            "/api/command-monitor",
            json!({"confirm": true, "seconds": 2}),
        )
        .await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("read_only")),
        "{err}"
    );
    assert!(err["message"].as_str().unwrap().contains("@admin"), "{err}");

    let api = Api::start(redis.config(), false).await;
    let idle = monitor_view(&api, "").await;
    assert_eq!(idle["status"]["state"], "idle", "{idle}");
    let (st, err) = api
        .post("/api/command-monitor", json!({"seconds": 2}))
        .await;
    assert_eq!(
        (st, err["code"].as_str()),
        (409, Some("confirmation_required")),
        "{err}"
    );
    assert_eq!(monitor_view(&api, "").await["status"]["state"], "idle");
    let (st, err) = api
        .post(
            "/api/command-monitor",
            json!({"confirm": true, "seconds": 301}),
        )
        .await;
    assert_eq!(st, 400, "{err}");

    let mut events = api.service.events();
    let (st, started) = api
        .post(
            "/api/command-monitor",
            json!({"confirm": true, "seconds": 3}),
        )
        .await;
    assert_eq!(st, 200, "{started}");
    assert_eq!(started["status"]["state"], "running");
    assert_eq!(started["status"]["capacity"], 10_000);
    // Attached once the call answered: every command from now on is seen.
    let me: String = redis::cmd("CLIENT")
        .arg("INFO")
        .query_async(&mut c)
        .await
        .unwrap();
    let addr = me
        .split_whitespace()
        .find_map(|f| f.strip_prefix("addr="))
        .unwrap()
        .to_string();
    let mut p = redis::pipe();
    for i in 0..30 {
        p.cmd("SET").arg("quote:BTC").arg(i).ignore();
        p.cmd("GET").arg("quote:BTC").ignore();
    }
    for i in 0..12 {
        p.cmd("HSET").arg("book:ETH").arg("bid").arg(i).ignore();
    }
    p.cmd("SET").arg("quote:ETH").arg("1").ignore();
    let () = p.query_async(&mut c).await.unwrap();

    // Lines reach subscribers as events.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let e = tokio::time::timeout(WAIT, api::next_event(&mut events))
            .await
            .expect("a command_monitor event");
        if e["type"] == "command_monitor"
            && e["lines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["command"] == "HSET" && l["key"] == "book:ETH")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no HSET line seen");
    }

    // The time box ends the session by itself; the buffer stays readable and filterable.
    let done = api
        .poll("/api/command-monitor", WAIT, |v| {
            v["status"]["state"] != "running"
        })
        .await;
    assert_eq!(done["status"]["state"], "finished", "{done}");
    let mine = monitor_view(&api, &format!("client={}&limit=2000", api::enc(&addr))).await;
    assert_eq!(
        mine["matched"],
        73 + 1,
        "our pipeline plus CLIENT INFO: {mine}"
    );
    let sets = monitor_view(&api, "command=set&key=quote:").await;
    assert_eq!(sets["matched"], 31, "{sets}");
    let btc = monitor_view(&api, "command=get,set&key=BTC&limit=5").await;
    assert_eq!(btc["matched"], 60);
    let lines = btc["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[4]["command"], "GET");
    assert_eq!(lines[3]["args"], r#""quote:BTC" "29""#);
    assert_eq!(lines[3]["client"].as_str(), Some(addr.as_str()));
    assert!(lines
        .windows(2)
        .all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()));

    // A long session stops on request and keeps its lines.
    let (st, _) = api
        .post(
            "/api/command-monitor",
            json!({"confirm": true, "seconds": 300}),
        )
        .await;
    assert_eq!(st, 200);
    let () = redis::cmd("SET")
        .arg("during:stop")
        .arg(1)
        .query_async(&mut c)
        .await
        .unwrap();
    api.poll("/api/command-monitor?key=during", WAIT, |v| {
        v["matched"] == 1
    })
    .await;
    let (st, stopped) = api.call("DELETE", "/api/command-monitor", None).await;
    assert_eq!(st, 200, "{stopped}");
    assert_eq!(stopped["status"]["state"], "stopped", "{stopped}");
    assert_eq!(monitor_view(&api, "key=during").await["matched"], 1);

    // A user whose ACL forbids MONITOR is refused with the server's NOPERM.
    let limited = api_without_monitor(&mut c, &redis, "viewer", false).await;
    let (st, err) = limited
        .post(
            "/api/command-monitor",
            json!({"confirm": true, "seconds": 2}),
        )
        .await;
    assert_ne!(st, 200, "{err}");
    let msg = err["message"].as_str().unwrap();
    assert!(
        msg.contains("MONITOR refused") && msg.contains("NOPERM"),
        "{err}"
    );
    assert!(!msg.contains("viewer-pw"), "no password in errors");
    assert_eq!(monitor_view(&limited, "").await["status"]["state"], "idle");
}

/// The admin API as a new ACL user `name` (password `<name>-pw`) that may run anything but MONITOR.
async fn api_without_monitor(
    c: &mut redis::aio::MultiplexedConnection,
    redis: &RedisServer,
    name: &str,
    read_only: bool,
) -> Api {
    let pass = format!(">{name}-pw");
    let () = redis::cmd("ACL")
        .arg(&["SETUSER", name, "on", &pass, "~*", "+@all", "-monitor"])
        .query_async(c)
        .await
        .unwrap();
    let url = format!("redis://{name}:{name}-pw@127.0.0.1:{}/0", redis.port());
    Api::start(redscope::RedisConfig::from_url(&url).unwrap(), read_only).await
}
