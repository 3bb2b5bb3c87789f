//! Server tools and the console over HTTP: INFO sections, slowlog, clients, CONFIG GET with
//! secrets hidden, BGSAVE, typed console replies, confirmations, read-only refusals, OpenAPI.

mod api;

use api::Api;
use redscope_testing::RedisServer;
use serde_json::{json, Value};

async fn conn(url: &str) -> redis::aio::MultiplexedConnection {
    api::raw_conn(url).await
}

#[tokio::test]
async fn info_slowlog_clients_config_and_bgsave() {
    let redis = RedisServer::builder()
        .password("s3cret-pass-42")
        .start()
        .unwrap();
    let url = format!("redis://:s3cret-pass-42@127.0.0.1:{}", redis.port());
    let mut c = conn(&url).await;
    let api = Api::start(redis.config(), false).await;

    let (st, info) = api.get("/api/info").await;
    assert_eq!(st, 200, "{info}");
    assert!(info["sections"]["server"]["redis_version"]
        .as_str()
        .unwrap()
        .starts_with('7'));
    let (_, mem) = api.get("/api/info?section=memory").await;
    assert!(mem["sections"]["memory"]["used_memory"].is_string());
    assert!(mem["sections"]["server"].is_null());
    let (st, _) = api.get("/api/info?section=mem%20ory").await;
    assert_eq!(st, 400);

    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(0)
        .query_async(&mut c)
        .await
        .unwrap();
    let () = redis::cmd("SET")
        .arg("slowmarker")
        .arg(1)
        .query_async(&mut c)
        .await
        .unwrap();
    let (st, slow) = api.get("/api/slowlog?count=5").await;
    assert_eq!(st, 200, "{slow}");
    let entries = slow.as_array().unwrap();
    assert!(!entries.is_empty() && entries.len() <= 5, "{slow}");
    assert!(
        entries.iter().any(|e| e["args"][1] == "slowmarker"),
        "{slow}"
    );
    let (st, b) = api.call("DELETE", "/api/slowlog", None).await;
    assert_eq!(
        (st, b["code"].as_str()),
        (409, Some("confirmation_required"))
    );
    let (st, _) = api.call("DELETE", "/api/slowlog?confirm=true", None).await;
    assert_eq!(st, 200);
    let (_, slow) = api.get("/api/slowlog").await;
    assert!(
        !slow
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["args"][1] == "slowmarker"),
        "{slow}"
    );

    let () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("feed-client")
        .query_async(&mut c)
        .await
        .unwrap();
    let (_, clients) = api.get("/api/clients").await;
    let feed = clients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "feed-client")
        .unwrap_or_else(|| panic!("no feed-client in {clients}"))
        .clone();
    let id = feed["id"].as_u64().unwrap();
    let (st, _) = api.post("/api/clients/kill", json!({"id": id})).await;
    assert_eq!(st, 409);
    let (st, k) = api
        .post("/api/clients/kill", json!({"id": id, "confirm": true}))
        .await;
    assert_eq!((st, &k["killed"]), (200, &json!(1)));
    let (_, clients) = api.get("/api/clients").await;
    assert!(!clients
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "feed-client"));

    let res = reqwest::Client::new()
        .get(format!("http://{}/api/config?pattern=*", api.addr))
        .bearer_auth(api::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("s3cret-pass-42"),
        "CONFIG GET leaked the password"
    );
    let cfg: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(cfg["requirepass"], "(hidden)");
    assert_eq!(cfg["slowlog-log-slower-than"], "0");

    let (st, r) = api
        .post(
            "/api/console",
            json!({"args": ["CONFIG", "GET", "requirepass"]}),
        )
        .await;
    assert_eq!(st, 200);
    assert!(
        !r.to_string().contains("s3cret-pass-42"),
        "the console leaked the password: {r}"
    );
    assert_eq!(r["reply"]["value"][1]["value"], "(hidden)", "{r}");

    let (st, r) = api.post("/api/server", json!({"action": "bgsave"})).await;
    assert_eq!(st, 200, "{r}");
    assert!(
        r["reply"]
            .as_str()
            .unwrap()
            .contains("Background saving started"),
        "{r}"
    );
    let (st, _) = api.post("/api/server", json!({"action": "shutdown"})).await;
    assert_eq!(st, 400);
}

#[tokio::test]
async fn the_console_returns_typed_replies_and_guards_dangerous_commands() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let run = |args: Value| {
        let api = &api;
        async move { api.post("/api/console", json!({"args": args})).await }
    };
    let reply = |b: &Value| b["reply"].clone();
    let (st, b) = run(json!(["SET", "k", "v"])).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(reply(&b), json!({"type": "string", "value": "OK"}));
    assert!(b["elapsed_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        reply(&run(json!(["GET", "k"])).await.1),
        json!({"type": "bulk", "value": {"text": "v", "b64": "dg=="}})
    );
    assert_eq!(
        reply(&run(json!(["INCR", "n"])).await.1),
        json!({"type": "int", "value": 1})
    );
    assert_eq!(
        reply(&run(json!(["GET", "missing"])).await.1),
        json!({"type": "nil"})
    );
    let (_, b) = run(json!(["RPUSH", "l", "a", "b"])).await;
    assert_eq!(reply(&b)["value"], 2);
    let (_, b) = run(json!(["LRANGE", "l", "0", "-1"])).await;
    assert_eq!(reply(&b)["type"], "array");
    assert_eq!(reply(&b)["value"].as_array().unwrap().len(), 2);
    let (st, b) = run(json!(["INCR", "l"])).await;
    assert_eq!(st, 200);
    assert_eq!(reply(&b)["type"], "error");
    assert!(
        reply(&b)["value"].as_str().unwrap().contains("WRONGTYPE"),
        "{b}"
    );
    let (_, b) = run(json!(["NOSUCHCOMMAND"])).await;
    assert_eq!(reply(&b)["type"], "error");

    for dangerous in [
        json!(["FLUSHALL"]),
        json!(["keys", "*"]),
        json!(["CONFIG", "SET", "maxmemory", "0"]),
        json!(["DEBUG", "SLEEP", "0"]),
    ] {
        let (st, b) = run(dangerous.clone()).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (409, Some("confirmation_required")),
            "{dangerous}"
        );
    }
    let (st, b) = api
        .post(
            "/api/console",
            json!({"args": ["KEYS", "*"], "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(reply(&b)["value"].as_array().unwrap().len(), 3);
    for refused in [
        json!(["BLPOP", "l", "0"]),
        json!(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]),
        json!(["SUBSCRIBE", "c"]),
        json!(["MONITOR"]),
        json!(["SELECT", "1"]),
        json!(["MULTI"]),
        json!([]),
    ] {
        let (st, b) = run(refused.clone()).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (400, Some("invalid_input")),
            "{refused}: {b}"
        );
    }
    // A reply longer than 10,000 elements is cut, and says so.
    let mut push = vec![json!("RPUSH"), json!("big")];
    push.extend((0..10_050).map(|i| json!(i.to_string())));
    let (_, b) = run(Value::Array(push)).await;
    assert_eq!(reply(&b)["value"], 10_050);
    let (_, b) = run(json!(["LRANGE", "big", "0", "-1"])).await;
    assert_eq!(b["truncated"], true);
    assert_eq!(reply(&b)["value"].as_array().unwrap().len(), 10_000);
    let (_, b) = run(json!(["LRANGE", "big", "0", "9"])).await;
    assert!(b["truncated"].is_null(), "{b}");

    let (st, b) = api
        .post(
            "/api/console",
            json!({"args": ["FLUSHALL"], "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    let (_, b) = run(json!(["DBSIZE"])).await;
    assert_eq!(reply(&b)["value"], 0);
}

#[tokio::test]
async fn read_only_mode_refuses_every_write_route_and_keeps_reads() {
    let redis = RedisServer::start().unwrap();
    let mut c = conn(&redis.url()).await;
    let () = redis::cmd("SET")
        .arg("keep")
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    let () = redis::cmd("SET")
        .arg("old")
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    let api = Api::start(redis.config(), true).await;
    let writes: Vec<(&str, &str, Option<Value>)> = vec![
        (
            "PUT",
            "/api/key",
            Some(json!({"key": "keep", "op": "set", "value": "x"})),
        ),
        (
            "PUT",
            "/api/key",
            Some(json!({"key": "h", "op": "hset", "field": "f", "value": "x"})),
        ),
        ("DELETE", "/api/key?key=keep", None),
        (
            "POST",
            "/api/key/ttl",
            Some(json!({"key": "keep", "ttl_ms": 1000})),
        ),
        (
            "POST",
            "/api/key/rename",
            Some(json!({"key": "old", "new_key": "new"})),
        ),
        (
            "POST",
            "/api/invalidate",
            Some(json!({"pattern": "*", "dry_run": false, "confirm": true})),
        ),
        (
            "POST",
            "/api/invalidate",
            Some(json!({"pattern": "*", "dry_run": false})),
        ),
        ("DELETE", "/api/slowlog?confirm=true", None),
        (
            "POST",
            "/api/clients/kill",
            Some(json!({"id": 1, "confirm": true})),
        ),
        ("POST", "/api/server", Some(json!({"action": "bgsave"}))),
        (
            "POST",
            "/api/server",
            Some(json!({"action": "bgrewriteaof"})),
        ),
        (
            "POST",
            "/api/console",
            Some(json!({"args": ["SET", "keep", "x"]})),
        ),
        (
            "POST",
            "/api/console",
            Some(json!({"args": ["del", "keep"]})),
        ),
        (
            "POST",
            "/api/console",
            Some(json!({"args": ["EVAL", "return 1", "0"]})),
        ),
        (
            "POST",
            "/api/console",
            Some(json!({"args": ["PUBLISH", "trading:signals", "x"]})),
        ),
        (
            "POST",
            "/api/console",
            Some(json!({"args": ["CONFIG", "SET", "maxmemory", "0"], "confirm": true})),
        ),
        (
            "POST",
            "/api/console",
            Some(json!({"args": ["FLUSHALL"], "confirm": true})),
        ),
    ];
    for (method, path, body) in writes {
        let (st, b) = api.call(method, path, body.clone()).await;
        assert_eq!(
            (st, b["code"].as_str()),
            (403, Some("read_only")),
            "{method} {path} {body:?}: {b}"
        );
    }
    let mut c = conn(&redis.url()).await;
    let v: Option<String> = redis::cmd("GET")
        .arg("keep")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v.as_deref(), Some("v"));
    let n: u64 = redis::cmd("DBSIZE").query_async(&mut c).await.unwrap();
    assert_eq!(n, 2);
    // Reads still work.
    let (st, _) = api.get("/api/key?key=keep").await;
    assert_eq!(st, 200);
    let (st, dry) = api
        .post("/api/invalidate", json!({"pattern": "*", "dry_run": true}))
        .await;
    assert_eq!((st, &dry["count"]), (200, &json!(2)));
    let (st, b) = api
        .post("/api/console", json!({"args": ["GET", "keep"]}))
        .await;
    assert_eq!((st, b["reply"]["type"].as_str()), (200, Some("bulk")));
    // CONFIG GET is @admin: not for the read-only console (the config tool shows it, secrets hidden).
    let (st, b) = api
        .post(
            "/api/console",
            json!({"args": ["CONFIG", "GET", "maxmemory"]}),
        )
        .await;
    assert_eq!(st, 403, "{b}");
    let (st, b) = api.get("/api/config?pattern=maxmemory").await;
    assert_eq!(st, 200, "{b}");
}

#[tokio::test]
async fn openapi_lists_every_route() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let (st, doc) = api.get("/api/openapi.json").await;
    assert_eq!(st, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in [
        ("/api/health", "get"),
        ("/api/tree", "get"),
        ("/api/keys", "get"),
        ("/api/key", "put"),
        ("/api/invalidate", "post"),
        ("/api/jobs/{id}", "delete"),
        ("/api/streams", "get"),
        ("/api/publish", "post"),
        ("/api/console", "post"),
        ("/api/events", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let res = reqwest::Client::new()
        .get(format!("http://{}/api/openapi.json", api.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "the document needs the token like every /api route"
    );
}

#[tokio::test]
async fn every_route_of_the_admin_slice_is_served() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    for (method, path) in [
        ("GET", "/api/tree"),
        ("GET", "/api/keys"),
        ("POST", "/api/keys/meta"),
        ("GET", "/api/key"),
        ("PUT", "/api/key"),
        ("DELETE", "/api/key"),
        ("POST", "/api/key/ttl"),
        ("POST", "/api/key/rename"),
        ("POST", "/api/invalidate"),
        ("GET", "/api/jobs"),
        ("GET", "/api/jobs/1"),
        ("DELETE", "/api/jobs/1"),
        ("GET", "/api/info"),
        ("GET", "/api/slowlog"),
        ("DELETE", "/api/slowlog"),
        ("GET", "/api/clients"),
        ("POST", "/api/clients/kill"),
        ("GET", "/api/config"),
        ("POST", "/api/server"),
        ("POST", "/api/console"),
        ("GET", "/api/openapi.json"),
    ] {
        let body = (method == "POST" || method == "PUT").then(|| json!({}));
        let (st, b) = api.call(method, path, body).await;
        assert!(st < 500, "{method} {path}: {st} {b}");
        assert_ne!(
            b["message"], "not found: no such API route",
            "{method} {path} is not routed"
        );
        assert!(b.is_object() || b.is_array(), "{method} {path}: {b}");
    }
}
