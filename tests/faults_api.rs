//! Faults through the admin API (`redscope serve`, in process): a hung server (SIGSTOP) gets
//! every route answered within the timeout; a killed server is reported (502 JSON, health down
//! with the reason) and after a restart everything works again without user action (keys, tree,
//! the channel monitor, the stream tail, the metrics sampler); refused writes (OOM, READONLY
//! replica, MISCONF) and mid-pipeline errors are clear 4xx and lose no other result; an
//! invalidation job cut by a restart reports how far it got and a re-run finishes it.

mod api;

use std::time::{Duration, Instant};

use api::{b64, next_event, raw_conn, Api};
use futures::StreamExt;
use redscope_testing::RedisServer;
use serde_json::{json, Value};

/// The response timeout the service is given in these tests.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);

/// The response (and connect) timeout of the hung-server walk.
const HUNG_TIMEOUT: Duration = Duration::from_millis(250);

async fn start_api(server: &RedisServer) -> Api {
    start_api_with(server, RESPONSE_TIMEOUT).await
}

async fn start_api_with(server: &RedisServer, timeout: Duration) -> Api {
    let mut cfg = server.config();
    cfg.response_timeout = timeout;
    cfg.connect_timeout = timeout;
    let api = Api::start(cfg, false).await;
    api.poll("/api/health", Duration::from_secs(10), |b| {
        b["state"] == "connected"
    })
    .await;
    api
}

/// Asserts a clear error: the status, and a JSON `{code, message}` whose message contains `text`.
fn assert_error(what: &str, status: u16, body: &Value, want: &[u16], text: &str) {
    assert!(
        want.contains(&status),
        "{what}: status {status}, want {want:?}: {body}"
    );
    let msg = body["message"].as_str().unwrap_or_default();
    assert!(
        body["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{what}: no code: {body}"
    );
    assert!(msg.contains(text), "{what}: message {msg:?} lacks {text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_within_the_timeout_on_a_hung_server() {
    let server = RedisServer::start().unwrap();
    let api = start_api_with(&server, HUNG_TIMEOUT).await;
    let (_, doc) = api.get("/api/openapi.json").await;
    let mut calls: Vec<(String, String, Option<Value>)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            if path.contains('{')
                || !path.starts_with("/api/")
                || path == "/api/events"
                || path.starts_with("/api/profiles")
                || path == "/api/connect"
            {
                continue;
            }
            let body = op.get("requestBody").map(|_| match path.as_str() {
                "/api/key" => json!({"key": "k", "op": "set", "value": "v"}),
                "/api/keys/meta" => json!({"keys_b64": [b64(b"k")]}),
                "/api/console" => json!({"args": ["GET", "k"]}),
                "/api/invalidate" => json!({"pattern": "k*", "dry_run": true}),
                "/api/publish" => json!({"channel": "c", "message": "m"}),
                "/api/monitor" => json!({"channels": ["c"], "patterns": []}),
                "/api/stream/tail" => json!({"key": "s"}),
                "/api/key/ttl" => json!({"key": "k", "ttl_ms": 1000}),
                "/api/key/rename" => json!({"key": "k", "new_key": "k2"}),
                "/api/clients/kill" => json!({"id": 999999, "confirm": true}),
                "/api/server" => json!({"action": "bgsave", "confirm": true}),
                _ => json!({}),
            });
            let query = match path.as_str() {
                "/api/key" if method != "put" => "?key=k",
                "/api/stream/entries" | "/api/stream/pending" => "?key=s&group=g",
                _ => "",
            };
            calls.push((method.to_uppercase(), format!("{path}{query}"), body));
        }
    }
    server.pause().unwrap();
    let started = Instant::now();
    let answers: Vec<(String, u16, Value, Duration)> = futures::stream::iter(calls.clone())
        .map(|(m, p, body)| {
            let api = &api;
            async move {
                let t = Instant::now();
                let r = tokio::time::timeout(Duration::from_secs(10), api.call(&m, &p, body)).await;
                let (status, body) = r.unwrap_or((0, Value::Null));
                (format!("{m} {p}"), status, body, t.elapsed())
            }
        })
        .buffer_unordered(1)
        .collect()
        .await;
    let all = started.elapsed();
    // Concurrent calls are all answered (each on its own deadline, see
    // `on_a_hung_server_each_call_fails_on_its_own_deadline`): no hang.
    let burst_started = Instant::now();
    let burst: Vec<(u16, Value)> =
        futures::future::join_all((0..4).map(|_| api.call("GET", "/api/keys", None))).await;
    let burst_took = burst_started.elapsed();
    for (status, body) in &burst {
        assert!(
            *status == 502 || *status == 504,
            "concurrent keys: {status} {body}"
        );
    }
    assert!(
        burst_took < Duration::from_secs(10),
        "4 concurrent calls took {burst_took:?}"
    );
    println!("hung server: 4 concurrent calls all answered in {burst_took:?}");
    let (_, health) = api.get("/api/health").await;
    server.resume().unwrap();
    let slowest = answers.iter().map(|a| a.3).max().unwrap();
    println!(
        "hung server: {} routes answered in {all:?}, slowest {slowest:?}; health: {health}",
        answers.len()
    );
    for (route, status, body, took) in &answers {
        if *took > HUNG_TIMEOUT * 3 {
            println!("  slow on a hung server: {route} {took:?} ({status})");
        }
        assert!(*status != 0, "{route}: no answer within 10 s");
        assert!(
            // Routes are bounded by a few response timeouts; `monitor` waits at most 2 s for
            // its subscriber before answering with `connected: false`.
            *took < Duration::from_millis(2500),
            "{route} took {took:?} (response timeout {HUNG_TIMEOUT:?})"
        );
        assert!(*status != 500, "{route}: 500 {body}");
        if *status >= 400 {
            assert!(
                body["code"].is_string() && body["message"].is_string(),
                "{route}: {status} {body}"
            );
        }
    }
    let errors = answers.iter().filter(|a| a.1 == 502 || a.1 == 504).count();
    assert!(
        errors >= 10,
        "only {errors} routes reported the hung server"
    );
    assert_eq!(health["state"], "down", "{health}");
    assert!(
        health["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{health}"
    );
    api.poll("/api/health", Duration::from_secs(15), |b| {
        b["state"] == "connected"
    })
    .await;
    let (status, _) = api.get("/api/keys").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_is_reported_and_everything_resumes_after_restart() {
    let mut server = RedisServer::start().unwrap();
    let api = start_api(&server).await;
    let mut raw = raw_conn(&server.url()).await;
    let _: () = redis::pipe()
        .set("app:a", "1")
        .set("app:b", "2")
        .xadd("ticks", "*", &[("price", "1")])
        .ignore()
        .query_async(&mut raw)
        .await
        .unwrap();
    let _: () = redis::cmd("SAVE").query_async(&mut raw).await.unwrap();
    let mut events = api.service.events();
    let (s, m) = api
        .post(
            "/api/monitor",
            json!({"channels": ["fills"], "patterns": []}),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let (s, tail) = api.post("/api/stream/tail", json!({"key": "ticks"})).await;
    assert_eq!(s, 200, "{tail}");
    let samples_before = api
        .poll("/api/metrics", Duration::from_secs(10), |b| {
            b["samples"].as_array().is_some_and(|a| !a.is_empty())
        })
        .await["samples"]
        .as_array()
        .unwrap()
        .len();

    server.kill();
    let down = api
        .poll("/api/health", Duration::from_secs(10), |b| {
            b["state"] == "down"
        })
        .await;
    assert!(
        down["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{down}"
    );
    let (status, body) = api.get("/api/keys").await;
    assert_error("keys on a dead server", status, &body, &[502, 504], "");
    let (status, body) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key": "app:c", "op": "set", "value": "v"})),
        )
        .await;
    assert_error("a write on a dead server", status, &body, &[502, 504], "");
    let (status, body) = api.get("/api/tree").await;
    assert_error("tree on a dead server", status, &body, &[502, 504], "");

    server.restart().unwrap();
    api.poll("/api/health", Duration::from_secs(15), |b| {
        b["state"] == "connected"
    })
    .await;
    let keys = api
        .poll("/api/keys?match=app:*", Duration::from_secs(10), |b| {
            b["keys"].as_array().is_some_and(|k| k.len() == 2)
        })
        .await;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 2);
    let (status, tree) = api.get("/api/tree").await;
    assert_eq!(status, 200, "{tree}");
    let (status, body) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key": "app:c", "op": "set", "value": "v"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The monitor re-subscribes and the tail re-reads by itself: publish / XADD until seen.
    let mut raw = raw_conn(&server.url()).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut monitor_ok = false;
    let mut tail_ok = false;
    while !(monitor_ok && tail_ok) {
        assert!(
            Instant::now() < deadline,
            "after the restart: monitor resumed {monitor_ok}, tail resumed {tail_ok}"
        );
        if !monitor_ok {
            let _: i64 = redis::cmd("PUBLISH")
                .arg("fills")
                .arg("after-restart")
                .query_async(&mut raw)
                .await
                .unwrap();
            let (_, stats) = api.get("/api/monitor").await;
            monitor_ok = stats["total"].as_u64().unwrap_or(0) >= 1 && stats["connected"] == true;
        }
        if !tail_ok {
            let _: String = redis::cmd("XADD")
                .arg("ticks")
                .arg("*")
                .arg("price")
                .arg("2")
                .query_async(&mut raw)
                .await
                .unwrap();
            let got = tokio::time::timeout(Duration::from_millis(500), async {
                loop {
                    let e = next_event(&mut events).await;
                    if e["type"] == "stream_entries" {
                        return e;
                    }
                }
            })
            .await;
            tail_ok = got.is_ok();
        }
    }
    let after = api
        .poll("/api/metrics", Duration::from_secs(15), |b| {
            b["samples"]
                .as_array()
                .is_some_and(|a| a.len() >= samples_before + 2)
        })
        .await;
    println!(
        "killed + restarted: health, keys ({}), tree, write, monitor, tail and sampler ({} samples) resumed",
        keys["keys"].as_array().unwrap().len(),
        after["samples"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn refused_writes_are_clear_errors_oom_readonly_misconf() {
    // OOM: maxmemory 1mb with noeviction.
    let server = RedisServer::start().unwrap();
    let api = start_api(&server).await;
    let mut raw = raw_conn(&server.url()).await;
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("noeviction")
        .query_async(&mut raw)
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("1mb")
        .query_async(&mut raw)
        .await
        .unwrap();
    for i in 0..64 {
        let r: redis::RedisResult<()> = redis::cmd("SET")
            .arg(format!("fill:{i}"))
            .arg(vec![b'x'; 64 << 10])
            .query_async(&mut raw)
            .await;
        if r.is_err() {
            break;
        }
    }
    let (status, body) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key": "oom:k", "op": "set", "value": "v"})),
        )
        .await;
    assert_error("a write at maxmemory", status, &body, &[422], "OOM");
    let (status, _) = api.get("/api/keys?count=10").await;
    assert_eq!(status, 200, "reads still work at maxmemory");
    drop(api);

    // READONLY: a replica.
    let master = RedisServer::start().unwrap();
    let port = master.port().to_string();
    let replica = RedisServer::builder()
        .raw_args(&["--replicaof", "127.0.0.1", &port])
        .start()
        .unwrap();
    let api = start_api(&replica).await;
    let (status, body) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key": "ro:k", "op": "set", "value": "v"})),
        )
        .await;
    assert!(
        (400..500).contains(&status),
        "a write on a replica: {status} {body}"
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .to_uppercase()
            .contains("READ"),
        "{body}"
    );
    drop(api);

    // MISCONF: a failed BGSAVE with stop-writes-on-bgsave-error.
    let server = RedisServer::builder()
        .raw_args(&["--enable-protected-configs", "yes"])
        .start()
        .unwrap();
    let api = start_api(&server).await;
    let mut raw = raw_conn(&server.url()).await;
    let gone = server.dir().join("vanishing");
    std::fs::create_dir(&gone).unwrap();
    for (k, v) in [
        ("dir", gone.to_str().unwrap()),
        ("save", "3600 1"),
        ("stop-writes-on-bgsave-error", "yes"),
    ] {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(k)
            .arg(v)
            .query_async(&mut raw)
            .await
            .unwrap();
    }
    std::fs::remove_dir(&gone).unwrap();
    let _: redis::RedisResult<String> = redis::cmd("BGSAVE").query_async(&mut raw).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info: String = redis::cmd("INFO")
            .arg("persistence")
            .query_async(&mut raw)
            .await
            .unwrap();
        if info.contains("rdb_last_bgsave_status:err") {
            break;
        }
        assert!(Instant::now() < deadline, "BGSAVE never failed: {info}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key": "misconf:k", "op": "set", "value": "v"})),
        )
        .await;
    assert_error(
        "a write after a failed BGSAVE",
        status,
        &body,
        &[422],
        "MISCONF",
    );
    let (status, _) = api.get("/api/keys?count=10").await;
    assert_eq!(status, 200);
    println!("refused writes: OOM 422, READONLY 4xx, MISCONF 422; reads kept working");
}

#[tokio::test]
async fn errors_mid_pipeline_lose_no_other_result() {
    let server = RedisServer::start().unwrap();
    let api = start_api(&server).await;
    let mut raw = raw_conn(&server.url()).await;
    let _: () = redis::pipe()
        .set("mix:str", "hello")
        .ignore()
        .hset("mix:hash", "f", "v")
        .ignore()
        .rpush("mix:list", &["a", "b", "c"])
        .ignore()
        .set("mix:gone", "x")
        .ignore()
        .query_async(&mut raw)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg("mix:gone")
        .query_async(&mut raw)
        .await
        .unwrap();
    let keys = ["mix:str", "mix:gone", "mix:hash", "mix:list", "mix:never"];
    let (status, metas) = api
        .post(
            "/api/keys/meta",
            json!({"keys_b64": keys.iter().map(|k| b64(k.as_bytes())).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(status, 200, "{metas}");
    let types: Vec<&str> = metas
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["string", "none", "hash", "list", "none"], "{metas}");
    assert_eq!(metas[3]["size"], 3);

    // WRONGTYPE in an edit: a clear 422, and the key is untouched.
    let (status, body) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key": "mix:str", "op": "hset", "field": "f", "value": "v"})),
        )
        .await;
    assert_error("hset on a string", status, &body, &[422], "WRONGTYPE");
    let kept: String = redis::cmd("GET")
        .arg("mix:str")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(kept, "hello");
    // The console reports a command's error as its reply, the call itself succeeds.
    let (status, body) = api
        .post("/api/console", json!({"args": ["LPUSH", "mix:str", "x"]}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("WRONGTYPE"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalidation_cut_by_a_restart_reports_progress_and_a_rerun_finishes() {
    const KEYS: usize = 200_000;
    let mut server = RedisServer::start().unwrap();
    let api = start_api(&server).await;
    let mut raw = raw_conn(&server.url()).await;
    for chunk in 0..KEYS / 20_000 {
        let mut p = redis::pipe();
        for i in 0..20_000 {
            p.set(format!("inv:{}", chunk * 20_000 + i), "v").ignore();
        }
        let _: () = p.query_async(&mut raw).await.unwrap();
    }
    let _: () = redis::cmd("SAVE").query_async(&mut raw).await.unwrap();
    let (status, job) = api
        .post(
            "/api/invalidate",
            json!({"pattern": "inv:*", "dry_run": false, "confirm": true}),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let running = api
        .poll(&format!("/api/jobs/{id}"), Duration::from_secs(30), |j| {
            j["deleted"].as_u64().unwrap_or(0) > 0 || j["state"] != "running"
        })
        .await;
    assert_eq!(
        running["state"], "running",
        "the job ended before the restart: {running}"
    );
    server.restart().unwrap();
    let failed = api
        .poll(&format!("/api/jobs/{id}"), Duration::from_secs(30), |j| {
            j["state"] != "running"
        })
        .await;
    assert_eq!(failed["state"], "failed", "{failed}");
    let deleted = failed["deleted"].as_u64().unwrap();
    assert!(deleted > 0, "{failed}");
    assert!(
        failed["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{failed}"
    );

    // The restarted server loaded the snapshot: every key is back; a re-run removes them all.
    api.poll("/api/health", Duration::from_secs(15), |b| {
        b["state"] == "connected"
    })
    .await;
    let (status, job) = api
        .post(
            "/api/invalidate",
            json!({"pattern": "inv:*", "dry_run": false, "confirm": true}),
        )
        .await;
    assert_eq!(status, 200, "{job}");
    let id2 = job["id"].as_str().unwrap().to_string();
    let done = api
        .poll(&format!("/api/jobs/{id2}"), Duration::from_secs(60), |j| {
            j["state"] != "running"
        })
        .await;
    assert_eq!(done["state"], "done", "{done}");
    let mut raw = raw_conn(&server.url()).await;
    let left: usize = redis::cmd("DBSIZE").query_async(&mut raw).await.unwrap();
    assert_eq!(left, 0);
    println!(
        "invalidation: cut at {deleted} of {KEYS} deleted ({}), re-run deleted {}, 0 left",
        failed["error"].as_str().unwrap(),
        done["deleted"]
    );
}

/// A hung server (SIGSTOP) makes every call fail on its own deadline: calls started together
/// end together, instead of each waiting for the reconnect the previous one started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_hung_server_each_call_fails_on_its_own_deadline() {
    const T: Duration = Duration::from_millis(300);
    let server = RedisServer::start().unwrap();
    let api = start_api_with(&server, T).await;
    let (status, _) = api.get("/api/keys").await;
    assert_eq!(status, 200);
    server.pause().unwrap();
    let routes = [
        ("GET", "/api/keys", None),
        ("GET", "/api/key?key=k", None),
        ("GET", "/api/info", None),
        ("POST", "/api/console", Some(json!({"args": ["GET", "k"]}))),
        ("GET", "/api/keys", None),
        ("GET", "/api/key?key=k2", None),
        ("GET", "/api/slowlog", None),
        ("POST", "/api/console", Some(json!({"args": ["TTL", "k"]}))),
    ];
    // A call's own bound: opening a connection (connect + handshake) and one reply, plus room
    // for a busy 2-core machine. Eight calls queued one behind another need several times that.
    let bound = T * 3 + Duration::from_millis(1200);
    for round in 0..3 {
        let started = Instant::now();
        let answers = futures::future::join_all(routes.iter().map(|(m, p, body)| {
            let api = &api;
            async move {
                let t = Instant::now();
                let r = tokio::time::timeout(Duration::from_secs(20), api.call(m, p, body.clone()))
                    .await;
                (format!("{m} {p}"), r, t.elapsed())
            }
        }))
        .await;
        let all = started.elapsed();
        for (route, answer, took) in &answers {
            let (status, body) = answer
                .as_ref()
                .unwrap_or_else(|_| panic!("round {round}: {route} no answer in 20 s"));
            assert!(
                *status == 502 || *status == 504,
                "round {round}: {route}: {status} {body}"
            );
            assert!(
                *took < bound,
                "round {round}: {route} took {took:?}; each call's own bound is {bound:?}"
            );
        }
        assert!(
            all < bound,
            "round {round}: {} concurrent calls took {all:?} together",
            routes.len()
        );
    }
    server.resume().unwrap();
    api.poll("/api/health", Duration::from_secs(15), |b| {
        b["state"] == "connected"
    })
    .await;
    let (status, body) = api.get("/api/keys").await;
    assert_eq!(status, 200, "{body}");
}

/// Jobs are capped: beyond the running ones, a start is 429 `busy` until one ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_beyond_the_cap_is_refused_with_429() {
    let server = RedisServer::start().unwrap();
    let api = start_api_with(&server, Duration::from_secs(3)).await;
    let (status, _) = api.get("/api/keys").await;
    assert_eq!(status, 200);
    // Paused, the server holds every job on its first SCAN, so they stay running.
    server.pause().unwrap();
    let start = || {
        api.post(
            "/api/invalidate",
            json!({"pattern": "gone:*", "dry_run": false, "confirm": true}),
        )
    };
    let mut ids = Vec::new();
    for _ in 0..redscope_admin::jobs::MAX_RUNNING {
        let (status, job) = start().await;
        assert_eq!(status, 200, "{job}");
        assert_eq!(job["state"], "running", "{job}");
        ids.push(job["id"].as_str().unwrap().to_string());
    }
    let (status, body) = start().await;
    assert_error("one job too many", status, &body, &[429], "at most");
    assert_eq!(body["code"], "busy");
    for id in &ids {
        let (status, _) = api.call("DELETE", &format!("/api/jobs/{id}"), None).await;
        assert_eq!(status, 200);
    }
    server.resume().unwrap();
    for id in &ids {
        api.poll(&format!("/api/jobs/{id}"), Duration::from_secs(15), |j| {
            j["state"] != "running"
        })
        .await;
    }
    let (status, job) = start().await;
    assert_eq!(status, 200, "a slot is free again: {job}");
}
