//! The generated OpenAPI document is valid OpenAPI 3.1, describes every operation with its
//! parameters, and tells the truth: every operation's real reply from a real server matches the
//! schema published for it.

use std::collections::BTreeSet;

use redscope::conn::Conn;
use redscope::timeseries::TimeSeriesStore;
use redscope_admin::ops::{self, Args, OPERATIONS};
use redscope_admin::schema::openapi;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::RedisServer;
use serde_json::{json, Value};

/// The OpenAPI 3.1 schema (2022-10-07, Apache-2.0) as the OpenAPI Initiative publishes it at
/// https://spec.openapis.org/oas/3.1/schema/2022-10-07.
const OAS_3_1: &str = include_str!("data/openapi-3.1.schema.json");

fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::draft202012::new(schema).expect("a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect()
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let doc = openapi::document();
    let oas: Value = serde_json::from_str(OAS_3_1).unwrap();
    assert_eq!(errors(&oas, &doc), Vec::<String>::new());
    let mut key_page = json!({"$ref": "#/components/schemas/KeyPage"});
    key_page["components"] = doc["components"].clone();
    assert!(
        !errors(&key_page, &json!({"cursor": 0})).is_empty(),
        "the check catches a wrong reply"
    );
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        assert!(
            jsonschema::meta::is_valid(schema),
            "{name} is not a valid JSON Schema"
        );
    }
}

fn operation<'a>(doc: &'a Value, name: &str) -> (&'a str, &'a str, &'a Value) {
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            if op["operationId"] == name {
                return (path, method, op);
            }
        }
    }
    panic!("{name} is not in the document");
}

fn params(op: &Value, place: &str) -> BTreeSet<String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == place)
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_operation_is_described_with_its_parameters() {
    let doc = openapi::document();
    for o in OPERATIONS {
        let (path, method, op) = operation(&doc, o.name);
        assert_eq!(path, format!("/api{}", o.path), "{}", o.name);
        assert_eq!(method, o.method.as_str().to_ascii_lowercase(), "{}", o.name);
        assert_eq!(op["summary"], o.doc, "{}", o.name);
        assert_eq!(op["x-writes"], json!(o.writes), "{}", o.name);
        assert!(
            op["responses"]["200"]["content"]["application/json"]["schema"].is_object(),
            "{} has no reply schema",
            o.name
        );
        assert_eq!(
            op["responses"]["409"]["$ref"],
            "#/components/responses/Error"
        );
        assert_eq!(
            params(op, "path"),
            o.path_params().map(String::from).collect(),
            "{}",
            o.name
        );
        assert_eq!(
            op.get("requestBody").is_some(),
            !o.method.takes_query(),
            "{}: a JSON body exactly for POST and PUT",
            o.name
        );
    }
    let query = |name| params(operation(&doc, name).2, "query");
    assert_eq!(query("metrics"), set(&["node", "points", "range_s"]));
    assert_eq!(
        query("streams"),
        set(&["count", "cursor", "key", "key_b64"])
    );
    assert_eq!(
        query("stream_entries"),
        set(&["count", "end", "key", "key_b64", "rev", "start"])
    );
    assert_eq!(query("keys"), set(&["count", "cursor", "match", "type"]));
    assert_eq!(query("slowlog_reset"), set(&["confirm"]));
    assert_eq!(query("health"), set(&[]));
    let series = operation(&doc, "series").2;
    let key = series["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "key")
        .unwrap();
    assert_eq!(
        (key["required"].clone(), key["schema"]["type"].clone()),
        (json!(true), json!("string"))
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["in"], "query",
        "the ?token= scheme"
    );
}

/// Calls operations on a live service and checks each reply against the document.
struct Replies {
    doc: Value,
    service: AdminService,
    checked: BTreeSet<&'static str>,
}

impl Replies {
    async fn call(&mut self, name: &'static str, args: Value) -> Value {
        // Boxed: the dispatch future spans every operation and no longer fits the test
        // thread's stack when held inline.
        let text = Box::pin(ops::call(&self.service, name, Args::Json(args.clone())))
            .await
            .unwrap_or_else(|e| panic!("{name} {args}: {e}"));
        let reply: Value = serde_json::from_str(&text).unwrap();
        let (_, _, op) = operation(&self.doc, name);
        let mut schema = op["responses"]["200"]["content"]["application/json"]["schema"].clone();
        schema["components"] = self.doc["components"].clone();
        closed(&mut schema);
        let wrong = errors(&schema, &reply);
        assert!(
            wrong.is_empty(),
            "{name}: the reply does not match its schema: {wrong:#?}\n{reply:#}"
        );
        self.checked.insert(name);
        reply
    }

    /// Polls job operation `name` for `id` until the job is no longer running (30 s deadline).
    async fn finished(&mut self, name: &'static str, id: &Value) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let job = self.call(name, json!({ "id": id })).await;
            if job["state"] != "running" {
                return job;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{name} {id} still running"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Forbids properties a schema does not list, so a reply field missing from the document fails
/// the check too.
fn closed(schema: &mut Value) {
    match schema {
        Value::Object(o) => {
            if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), json!(false));
            }
            o.values_mut().for_each(closed);
        }
        Value::Array(a) => a.iter_mut().for_each(closed),
        _ => {}
    }
}

async fn seed(server: &RedisServer) {
    let mut c = redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let cmd = |args: &[&[u8]]| {
        let mut c2 = redis::cmd(std::str::from_utf8(args[0]).unwrap());
        for a in &args[1..] {
            c2.arg(*a);
        }
        c2
    };
    for args in [
        &[&b"SET"[..], b"s:json", br#"{"bid":1.5,"sym":"BTC"}"#][..],
        &[b"SET", b"s:bin\xff", b"\x00\xff"],
        &[b"PEXPIRE", b"s:json", b"60000"],
        &[b"HSET", b"h", b"f", b"v"],
        &[b"RPUSH", b"l", b"a", b"b"],
        &[b"SADD", b"set", b"m"],
        &[b"ZADD", b"z", b"1.5", b"m"],
        &[b"XADD", b"st", b"*", b"f", b"v"],
        &[b"XGROUP", b"CREATE", b"st", b"g", b"0"],
        &[
            b"XREADGROUP",
            b"GROUP",
            b"g",
            b"c",
            b"COUNT",
            b"1",
            b"STREAMS",
            b"st",
            b">",
        ],
    ] {
        let _: redis::Value = cmd(args).query_async(&mut c).await.unwrap();
    }
    let store = TimeSeriesStore::new(Conn::connect(&server.config()).await.unwrap());
    for i in 0..5 {
        store
            .add("px", 1_700_000_000_000 + i, i as f64)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reply_matches_its_published_schema() {
    let config_dir = tempfile::tempdir().unwrap();
    std::env::set_var("REDSCOPE_CONFIG_DIR", config_dir.path());
    std::env::set_var("REDSCOPE_SECRET_STORE", "file");
    let server = RedisServer::start().unwrap();
    seed(&server).await;
    let mut r = Replies {
        doc: openapi::document(),
        service: AdminService::new(server.config(), AdminOptions::default()),
        checked: BTreeSet::new(),
    };

    r.call("health", json!({})).await;
    r.call("info", json!({"section": "memory"})).await;
    r.call("tree", json!({})).await;
    r.call("keys", json!({"count": 100})).await;
    r.call(
        "keys_meta",
        json!({"keys_b64": ["aA==", "czpiaW7/", "bm9uZQ==", "dHM6cHg="]}),
    )
    .await;
    // ts:px, the series `seed` writes through the library, answers with a shape.
    for key in ["s:json", "h", "l", "set", "z", "st", "ts:px"] {
        r.call("key", json!({"key": key})).await;
    }
    r.call("key", json!({"key_b64": "czpiaW7/"})).await;
    r.call("key_set", json!({"key": "w", "op": "set", "value": "1"}))
        .await;
    r.call("key_ttl", json!({"key": "w", "ttl_ms": 60000}))
        .await;
    r.call("key_ttl", json!({"key": "w", "ttl_ms": null})).await;
    r.call("key_rename", json!({"key": "w", "new_key": "w2"}))
        .await;
    r.call("key_delete", json!({"key": "w2"})).await;
    r.call(
        "key_create",
        json!({"key": "new:h", "type": "hash", "elements": [{"field": "f", "value": "v"}], "ttl_ms": 60000}),
    )
    .await;
    r.call("decode", json!({"value_b64": "eyJhIjoxfQ=="})).await;
    let added = r
        .call(
            "stream_add",
            json!({"key": "st2", "fields": [{"field": "px", "value": "1"}]}),
        )
        .await;
    r.call(
        "stream_group",
        json!({"key": "st2", "action": "create", "group": "g2", "id": "0"}),
    )
    .await;
    r.call(
        "stream_claim",
        json!({"key": "st2", "group": "g2", "consumer": "c2", "min_idle_ms": 0}),
    )
    .await;
    r.call(
        "stream_ack",
        json!({"key": "st2", "group": "g2", "ids": [added["id"]]}),
    )
    .await;
    r.call(
        "stream_delete",
        json!({"key": "st2", "ids": [added["id"]], "confirm": true}),
    )
    .await;
    r.call(
        "stream_trim",
        json!({"key": "st2", "by": "maxlen", "threshold": "0", "confirm": true}),
    )
    .await;
    r.call("about", json!({})).await;
    r.call("latency", json!({})).await;
    r.call("console_docs", json!({})).await;

    // Memory analysis: run to the end, report, save, compare, delete.
    let job = r.call("memory_analyze", json!({"mode": "full"})).await;
    let id = job["id"].clone();
    r.call("memory_jobs", json!({})).await;
    r.finished("memory_job", &id).await;
    r.call("memory_report", json!({"id": id})).await;
    let saved = r
        .call("memory_save", json!({"id": id, "name": "first"}))
        .await;
    let saved_id = saved["id"].clone();
    r.call("memory_saved", json!({})).await;
    r.call("memory_saved_report", json!({"id": saved_id})).await;
    r.call("memory_compare", json!({"a": saved_id, "b": saved_id}))
        .await;
    r.call("memory_saved_delete", json!({"id": saved_id})).await;
    let job = r.call("memory_analyze", json!({"mode": "full"})).await;
    r.call("memory_job_cancel", json!({"id": job["id"]})).await;

    // Export and import through a file in the export folder.
    let job = r
        .call(
            "export",
            json!({"format": "dump", "pattern": "s:*", "file": "schemas.rdump"}),
        )
        .await;
    r.call("transfer_jobs", json!({})).await;
    r.finished("transfer_job", &job["id"]).await;
    let job = r
        .call(
            "stream_export",
            json!({"key": "st", "start": "-", "end": "+", "format": "csv", "file": "schemas-st.csv", "overwrite": true}),
        )
        .await;
    r.finished("transfer_job", &job["id"]).await;
    r.call("transfer_files", json!({})).await;
    r.call(
        "transfer_file_write",
        json!({"name": "schemas.txt", "offset": 0, "b64": "c2NoZW1hcw", "last": true, "overwrite": true}),
    )
    .await;
    r.call(
        "transfer_file_read",
        json!({"name": "schemas.rdump", "len": 16}),
    )
    .await;
    let job = r
        .call(
            "import",
            json!({"file": "schemas.rdump", "policy": "skip", "dry_run": true}),
        )
        .await;
    r.finished("transfer_job", &job["id"]).await;
    r.call("transfer_job_cancel", json!({"id": job["id"]}))
        .await;

    // Hot keys: a one-second MONITOR sample (the test server has no LFU policy).
    let job = r
        .call(
            "hotkeys",
            json!({"method": "monitor", "seconds": 1, "confirm": true}),
        )
        .await;
    r.call("hotkeys_jobs", json!({})).await;
    r.finished("hotkeys_job", &job["id"]).await;
    r.call("hotkeys_job_cancel", json!({"id": job["id"]})).await;

    r.call("pubsub_counts", json!({"pattern": "*"})).await;

    // Alert thresholds (no profile is connected: they hold for the session).
    let t = r.call("alert_thresholds", json!({})).await;
    let mut next = t["defaults"].clone();
    next["clients_warning"] = json!(60);
    r.call("alert_thresholds_set", next).await;
    r.call("alert_thresholds_set", t["defaults"].clone()).await;

    // The MONITOR view: a one-second session that sees the next call's commands.
    r.call(
        "command_monitor_start",
        json!({"seconds": 1, "confirm": true}),
    )
    .await;
    r.call("databases", json!({})).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let v = r.call("command_monitor", json!({"limit": 10})).await;
        if v["status"]["state"] == "finished" {
            assert!(!v["lines"].as_array().unwrap().is_empty(), "{v}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the session did not end"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    r.call("command_monitor_stop", json!({})).await;

    r.call("databases", json!({})).await;
    r.call("select_db", json!({"db": 0})).await;
    r.call("invalidate", json!({"pattern": "s:*"})).await;
    let job = r
        .call(
            "invalidate",
            json!({"pattern": "nothing:*", "dry_run": false, "confirm": true}),
        )
        .await;
    let id = job["id"].as_str().unwrap().to_string();
    r.call("jobs", json!({})).await;
    r.call("job", json!({"id": id})).await;
    r.call("job_cancel", json!({"id": id})).await;
    r.call("streams", json!({})).await;
    r.call("streams", json!({"key": "st"})).await;
    r.call("stream_entries", json!({"key": "st"})).await;
    r.call("stream_pending", json!({"key": "st", "group": "g"}))
        .await;
    let tail = r.call("stream_tail", json!({"key": "st"})).await;
    r.call("stream_tail_stop", json!({"tail_id": tail["tail_id"]}))
        .await;
    r.call("monitor", json!({"channels": ["c"], "patterns": ["p:*"]}))
        .await;
    r.call("publish", json!({"channel": "c", "message": "{\"a\":1}"}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    r.call("monitor_stats", json!({"recent": 10})).await;
    r.call("monitor_stop", json!({})).await;
    r.call("metrics", json!({})).await;
    r.call("services", json!({})).await;
    r.call("findings", json!({})).await;
    let job = r.call("findings", json!({"mode": "full"})).await;
    let id = job["id"].as_str().unwrap().to_string();
    r.call("findings_job", json!({"id": id})).await;
    r.call("findings_job_cancel", json!({"id": id})).await;
    r.call("series", json!({"key": "ts:px"})).await;
    r.call("slowlog", json!({})).await;
    r.call("slowlog_reset", json!({"confirm": true})).await;
    r.call("clients", json!({})).await;
    r.call("client_kill", json!({"id": 999_999, "confirm": true}))
        .await;
    r.call("config_get", json!({"pattern": "maxmemory*"})).await;
    r.call("server_action", json!({"action": "bgsave"})).await;
    for args in [
        json!(["PING"]),
        json!(["GET", "s:json"]),
        json!(["GET", "missing"]),
        json!(["HGETALL", "h"]),
        json!(["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        json!(["INCR", "counter"]),
        json!(["NOSUCHCOMMAND"]),
    ] {
        r.call("console", json!({ "args": args })).await;
    }
    let profile = json!({"name": "local", "url": server.url()});
    r.call("profile_test", profile.clone()).await;
    let wrong = json!({"name": "local", "url": server.url(), "password": "wrong"});
    r.call("profile_test", wrong).await;
    r.call("profile_save", profile).await;
    r.call("profiles", json!({})).await;
    r.call("connect", json!({"profile": "local"})).await;
    r.call("profile_delete", json!({"name": "local"})).await;
    // An export with one usable connection (and a note), one unusable.
    let export = json!([
        {"host": "127.0.0.1", "port": server.port(), "name": "imported", "tlsServername": "x"},
        "not a connection"
    ]);
    r.call("profile_import", json!({"text": export.to_string()}))
        .await;
    r.call("profile_delete", json!({"name": "imported"})).await;

    // The module operations, on Valkey with RedisJSON, RediSearch and RedisBloom.
    let modules = RedisServer::builder().modules().start().unwrap();
    let q = |args: &[&str]| redscope_testing::sync_query(&modules, args).unwrap();
    q(&["JSON.SET", "doc:1", "$", r#"{"a":[1],"n":1.5,"s":"x"}"#]);
    q(&["BF.ADD", "bf", "x"]);
    r.service = AdminService::new(modules.config(), AdminOptions::default());
    r.call("modules", json!({})).await;
    r.call("json_get", json!({"key": "doc:1"})).await;
    r.call(
        "json_edit",
        json!({"key": "doc:1", "op": "arrappend", "path": "$.a", "value": "2"}),
    )
    .await;
    r.call(
        "search_create",
        json!({"name": "idx", "on": "json", "prefixes": ["doc:"], "confirm": true,
               "fields": [{"identifier": "$.n", "attribute": "n", "type": "NUMERIC", "sortable": true}]}),
    )
    .await;
    r.call("search_indexes", json!({})).await;
    r.call(
        "search_query",
        json!({"index": "idx", "query": "*", "profile": true}),
    )
    .await;
    r.call("search_drop", json!({"name": "idx", "confirm": true}))
        .await;
    r.call("prob_info", json!({"key": "bf"})).await;
    r.call("prob_op", json!({"key": "bf", "op": "add", "items": ["y"]}))
        .await;

    let missed: Vec<_> = OPERATIONS
        .iter()
        .map(|o| o.name)
        .filter(|n| !r.checked.contains(n))
        .collect();
    assert!(missed.is_empty(), "replies not checked: {missed:?}");
}
