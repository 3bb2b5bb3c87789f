//! The key browser over HTTP against real redis-server processes: the namespace tree on a
//! million keys, bounded previews of a 50 MB string, binary keys, value views of every type,
//! edits, and bad requests.

mod api;

use std::time::{Duration, Instant};

use api::{b64, enc, Api};
use redscope_testing::RedisServer;
use serde_json::{json, Value};

async fn redis_conn(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    api::raw_conn(&server.url()).await
}

fn child<'a>(level: &'a Value, name: &str, is_key: bool) -> Option<&'a Value> {
    level["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name && c["key"].is_object() == is_key)
}

#[tokio::test]
async fn the_tree_counts_a_million_keys_and_answers_before_the_scan_ends() {
    let redis = RedisServer::start().unwrap();
    let mut c = redis_conn(&redis).await;
    // 1,000,000 keys: market 500k (binance 300k, kraken 200k), features 300k, signal 100k, session 100k.
    let name = |i: u64| match i % 10 {
        0..=4 => format!(
            "market:ticker:{}:S{i}",
            if i % 2 == 0 { "binance" } else { "kraken" }
        ),
        5..=7 => format!("features:S{i}:2025-01-17"),
        8 => format!("signal:momentum:S{i}"),
        _ => format!("session:{i}"),
    };
    let loaded = Instant::now();
    for chunk in 0..20u64 {
        let mut p = redis::pipe();
        for batch in 0..50u64 {
            let mut mset = redis::cmd("MSET");
            for j in 0..1000u64 {
                mset.arg(name(chunk * 50_000 + batch * 1000 + j)).arg("1");
            }
            p.add_command(mset).ignore();
        }
        let () = p.query_async(&mut c).await.unwrap();
    }
    let dbsize: u64 = redis::cmd("DBSIZE").query_async(&mut c).await.unwrap();
    assert_eq!(dbsize, 1_000_000);
    eprintln!("loaded 1M keys in {:?}", loaded.elapsed());

    let api = Api::start(redis.config(), false).await;
    let mut events = api.service.events();
    let asked = Instant::now();
    let (status, first) = api.get("/api/tree").await;
    let first_answer = asked.elapsed();
    assert_eq!(status, 200, "{first}");
    // The first answer does not wait for the scan of a million keys: it is partial.
    assert_eq!(first["complete"], false, "{first}");
    assert!(first["total_keys"].as_u64().unwrap() < 1_000_000);
    assert!(
        first_answer < Duration::from_secs(3),
        "the first answer took {first_answer:?}"
    );
    // A second caller shares the running scan: its view never goes backwards.
    let (_, second) = api.get("/api/tree").await;
    assert!(second["scanned"].as_u64() >= first["scanned"].as_u64());

    let full = api
        .poll("/api/tree", Duration::from_secs(60), |b| {
            b["complete"] == true
        })
        .await;
    assert_eq!(full["total_keys"], 1_000_000);
    // The scan's progress went out as events, ending with a complete one.
    let last = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let e = api::next_event(&mut events).await;
            if e["type"] == "tree_progress" && e["prefix"] == "" && e["complete"] == true {
                return e;
            }
        }
    })
    .await
    .expect("no complete tree_progress event");
    assert_eq!(last["total_keys"], 1_000_000);
    let counts: Vec<(String, u64)> = full["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("features".to_string(), 300_000),
            ("market".to_string(), 500_000),
            ("session".to_string(), 100_000),
            ("signal".to_string(), 100_000)
        ]
    );
    assert_eq!(child(&full, "market", false).unwrap()["prefix"], "market:");

    let level = api
        .poll(
            "/api/tree?prefix=market%3Aticker%3A",
            Duration::from_secs(60),
            |b| b["complete"] == true,
        )
        .await;
    assert_eq!(level["total_keys"], 500_000);
    assert_eq!(child(&level, "binance", false).unwrap()["count"], 300_000);
    assert_eq!(child(&level, "kraken", false).unwrap()["count"], 200_000);
    assert_eq!(level["children"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_50_mb_string_is_previewed_without_reading_it_whole() {
    let redis = RedisServer::start().unwrap();
    let mut c = redis_conn(&redis).await;
    let len: u64 = 50 * 1024 * 1024;
    let chunk = vec![b'x'; 1024 * 1024];
    // One MiB per call: each stays well inside the client's response timeout on a busy machine.
    for _ in 0..50 {
        let _: u64 = redis::cmd("APPEND")
            .arg("big")
            .arg(&chunk[..])
            .query_async(&mut c)
            .await
            .unwrap();
    }
    let _: u64 = redis::cmd("SETRANGE")
        .arg("big")
        .arg(len - 4)
        .arg("tail")
        .query_async(&mut c)
        .await
        .unwrap();
    let api = Api::start(redis.config(), false).await;

    let (status, body) = api.get("/api/key?key=big&max_bytes=1024").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "string");
    assert_eq!(body["size"], len);
    assert_eq!(body["value"]["length"], len);
    assert_eq!(body["value"]["truncated"], true);
    let preview = base64_decode(&body["value"]["preview"]["b64"]);
    assert_eq!(preview.len(), 1024);
    let (status, size) = api.get_len("/api/key?key=big&max_bytes=1024").await;
    assert_eq!(status, 200);
    assert!(size < 4096, "a 1 KiB preview answered with {size} bytes");
    // Default preview: 64 KiB; the response stays far below the value.
    let (_, size) = api.get_len("/api/key?key=big").await;
    assert!(
        size < 200_000,
        "the default preview answered with {size} bytes"
    );
    // The end of the value, by offset.
    let (_, tail) = api
        .get(&format!(
            "/api/key?key=big&offset={}&max_bytes=100",
            len - 4
        ))
        .await;
    assert_eq!(tail["value"]["preview"]["text"], "tail");
    assert_eq!(tail["value"]["offset"], len - 4);
    // Too large a preview is refused, not served.
    let (status, body) = api.get("/api/key?key=big&max_bytes=2000000").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_input"))
    );
}

fn base64_decode(v: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

#[tokio::test]
async fn binary_keys_and_values_round_trip_through_the_api() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let key = b"bin:\xff\x00k\n".to_vec();
    let value = vec![0u8, 1, 0xfe, 0xff, b'\\'];
    let (status, set) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key_b64": b64(&key), "op": "set", "value_b64": b64(&value)})),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["key"]["binary"], true);
    assert_eq!(set["key"]["text"], "bin:\\xff\\x00k\\x0a");
    assert_eq!(base64_decode(&set["value"]["preview"]["b64"]), value);
    assert_eq!(set["value"]["decoded"]["format"], "hex");

    // The tree shows it under "bin:" and lists it as a key, losslessly.
    let (_, tree) = api
        .get(&format!("/api/tree?prefix_b64={}", enc(&b64(b"bin:"))))
        .await;
    assert_eq!(tree["prefix"], "bin:");
    assert_eq!(tree["children"].as_array().unwrap().len(), 1, "{tree}");
    assert_eq!(base64_decode(&tree["children"][0]["key"]["b64"]), key);
    assert_eq!(base64_decode(&tree["children"][0]["prefix_b64"]), key);
    let (_, page) = api.get("/api/keys?match=bin%3A*").await;
    let keys = page["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(base64_decode(&keys[0]["b64"]), key);

    let (status, got) = api
        .get(&format!("/api/key?key_b64={}", enc(&b64(&key))))
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(base64_decode(&got["value"]["preview"]["b64"]), value);

    let (status, meta) = api
        .post(
            "/api/keys/meta",
            json!({"keys_b64": [b64(&key), b64(b"missing")]}),
        )
        .await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta[0]["type"], "string");
    assert_eq!(meta[0]["size"], 5);
    assert_eq!(meta[0]["ttl_ms"], -1);
    assert!(meta[0]["memory"].as_u64().unwrap() > 0);
    assert_eq!(meta[1]["type"], "none");
    assert_eq!(meta[1]["ttl_ms"], -2);

    let new_key = b"bin:\x80renamed".to_vec();
    let (status, renamed) = api
        .post(
            "/api/key/rename",
            json!({"key_b64": b64(&key), "new_key_b64": b64(&new_key)}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(base64_decode(&renamed["key"]["b64"]), new_key);
    let (status, deleted) = api
        .call(
            "DELETE",
            &format!("/api/key?key_b64={}", enc(&b64(&new_key))),
            None,
        )
        .await;
    assert_eq!((status, &deleted["deleted"]), (200, &json!(1)));
    let (status, gone) = api
        .get(&format!("/api/key?key_b64={}", enc(&b64(&new_key))))
        .await;
    assert_eq!((status, gone["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn every_type_is_paged_and_edited() {
    let redis = RedisServer::start().unwrap();
    let mut c = redis_conn(&redis).await;
    let mut p = redis::pipe();
    for i in 0..150 {
        p.cmd("HSET").arg("h").arg(format!("f{i}")).arg(i).ignore();
    }
    for i in 0..250 {
        p.cmd("RPUSH").arg("l").arg(format!("item{i}")).ignore();
    }
    for i in 0..30 {
        p.cmd("SADD").arg("s").arg(format!("m{i}")).ignore();
        p.cmd("ZADD").arg("z").arg(i).arg(format!("z{i}")).ignore();
        p.cmd("XADD").arg("x").arg("*").arg("px").arg(i).ignore();
    }
    p.cmd("SET").arg("j").arg(r#"{"bid":1.5}"#).ignore();
    let mut codec = vec![0xC1, b'M'];
    codec.extend(rmp_serde::to_vec_named(&json!({"sym": "BTC"})).unwrap());
    p.cmd("SET").arg("codec").arg(codec).ignore();
    let () = p.query_async(&mut c).await.unwrap();
    let api = Api::start(redis.config(), false).await;

    // Hash: HSCAN pages until the cursor returns to 0, every field once.
    let mut cursor = "0".to_string();
    let mut fields = std::collections::BTreeSet::new();
    loop {
        let (status, b) = api
            .get(&format!("/api/key?key=h&count=40&cursor={cursor}"))
            .await;
        assert_eq!(status, 200, "{b}");
        for f in b["value"]["fields"].as_array().unwrap() {
            fields.insert(f["field"]["text"].as_str().unwrap().to_string());
        }
        cursor = b["value"]["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(fields.len(), 150);
    // List: LRANGE windows by offset.
    let (_, l) = api.get("/api/key?key=l&count=100").await;
    // Redis 7.2 and Valkey keep a list of small items this long as a listpack, Redis 7.0 as a
    // quicklist: which one runs is read from INFO, as a user would see it.
    let (_, health) = api.get("/api/health").await;
    let list_encoding = match (health["server"].as_str(), health["version"].as_str()) {
        (Some("redis"), Some(v)) if v.starts_with("7.0") || v.starts_with("6.") => "quicklist",
        _ => "listpack",
    };
    assert_eq!(
        (l["size"].as_u64(), l["encoding"].as_str()),
        (Some(250), Some(list_encoding))
    );
    assert_eq!(l["value"]["items"].as_array().unwrap().len(), 100);
    assert_eq!(l["value"]["next"], 100);
    let (_, l) = api.get("/api/key?key=l&count=100&offset=200").await;
    assert_eq!(l["value"]["items"].as_array().unwrap().len(), 50);
    assert_eq!(l["value"]["items"][0]["text"], "item200");
    assert_eq!(l["value"]["next"], Value::Null);
    // Set, sorted set, stream.
    let (_, s) = api.get("/api/key?key=s&count=100").await;
    assert_eq!(s["value"]["members"].as_array().unwrap().len(), 30);
    let (_, z) = api.get("/api/key?key=z&count=10&offset=5").await;
    assert_eq!(
        z["value"]["members"][0],
        json!({"member": {"text": "z5", "b64": "ejU="}, "score": 5.0})
    );
    assert_eq!(z["value"]["next"], 15);
    let (_, x) = api.get("/api/key?key=x&count=20").await;
    assert_eq!(x["value"]["entries"].as_array().unwrap().len(), 20);
    let next = x["value"]["next"].as_str().unwrap().to_string();
    let (_, x2) = api
        .get(&format!("/api/key?key=x&count=20&cursor={}", enc(&next)))
        .await;
    assert_eq!(x2["value"]["entries"].as_array().unwrap().len(), 10);
    assert_eq!(x2["value"]["entries"][0]["fields"][0][1]["text"], "20");
    // Decoders.
    let (_, j) = api.get("/api/key?key=j").await;
    assert_eq!(
        j["value"]["decoded"],
        json!({"format": "json", "json": {"bid": 1.5}})
    );
    let (_, m) = api.get("/api/key?key=codec").await;
    assert_eq!(
        m["value"]["decoded"],
        json!({"format": "codec-msgpack", "json": {"sym": "BTC"}})
    );

    // Edits, each answered with the key's first page.
    let edit = |body: Value| {
        let api = &api;
        async move { api.call("PUT", "/api/key", Some(body)).await }
    };
    let (st, h) = edit(json!({"key": "h", "op": "hset", "field": "new", "value": "v"})).await;
    assert_eq!((st, h["size"].as_u64()), (200, Some(151)));
    let (_, h) = edit(json!({"key": "h", "op": "hdel", "field": "new"})).await;
    assert_eq!(h["size"], 150);
    let (_, l) = edit(json!({"key": "l", "op": "lpush", "value": "first"})).await;
    assert_eq!(l["value"]["items"][0]["text"], "first");
    let (_, l) = edit(json!({"key": "l", "op": "lset", "index": 0, "value": "changed"})).await;
    assert_eq!(l["value"]["items"][0]["text"], "changed");
    let (_, l) = edit(json!({"key": "l", "op": "lrem", "value": "changed"})).await;
    assert_eq!(l["size"], 250);
    let (_, s) = edit(json!({"key": "s", "op": "sadd", "member": "extra"})).await;
    assert_eq!(s["size"], 31);
    let (_, s) = edit(json!({"key": "s", "op": "srem", "member": "extra"})).await;
    assert_eq!(s["size"], 30);
    let (_, z) = edit(json!({"key": "z", "op": "zadd", "member": "low", "score": -1.5})).await;
    assert_eq!(z["value"]["members"][0]["member"]["text"], "low");
    let (_, z) = edit(json!({"key": "z", "op": "zrem", "member": "low"})).await;
    assert_eq!(z["size"], 30);
    let (_, x) = edit(json!({"key": "x", "op": "xadd", "fields": [["f", "v"]]})).await;
    assert_eq!(x["size"], 31);
    let first_id = x["value"]["entries"][0]["id"].as_str().unwrap().to_string();
    let (_, x) = edit(json!({"key": "x", "op": "xdel", "id": first_id})).await;
    assert_eq!(x["size"], 30);
    let (st, bad) = edit(json!({"key": "l", "op": "zadd", "member": "m", "score": 1})).await;
    assert_eq!((st, bad["code"].as_str()), (422, Some("server")));
    assert!(
        bad["message"].as_str().unwrap().contains("WRONGTYPE"),
        "{bad}"
    );
    let (st, bad) = edit(json!({"key": "z", "op": "zadd", "member": "m"})).await;
    assert_eq!((st, bad["code"].as_str()), (400, Some("invalid_input")));

    // TTL: set, then persist; SET keeps the TTL unless given one.
    let (st, t) = api
        .post("/api/key/ttl", json!({"key": "j", "ttl_ms": 60_000}))
        .await;
    assert_eq!(st, 200, "{t}");
    assert!(
        (59_000..=60_000).contains(&t["ttl_ms"].as_i64().unwrap()),
        "{t}"
    );
    let (_, j) = edit(json!({"key": "j", "op": "set", "value": "2"})).await;
    assert!(
        j["ttl_ms"].as_i64().unwrap() > 0,
        "SET dropped the TTL: {j}"
    );
    let (_, t) = api
        .post("/api/key/ttl", json!({"key": "j", "ttl_ms": null}))
        .await;
    assert_eq!(t["ttl_ms"], -1);
    let (st, t) = api.post("/api/key/ttl", json!({"key": "j"})).await;
    assert_eq!((st, t["code"].as_str()), (400, Some("invalid_input")));
    let (st, _) = api
        .post("/api/key/ttl", json!({"key": "nope", "ttl_ms": 5}))
        .await;
    assert_eq!(st, 404);

    // Rename: RENAMENX refuses an existing target unless overwrite.
    let (st, r) = api
        .post("/api/key/rename", json!({"key": "s", "new_key": "z"}))
        .await;
    assert_eq!(
        (st, r["code"].as_str()),
        (409, Some("confirmation_required"))
    );
    let (st, _) = api
        .post(
            "/api/key/rename",
            json!({"key": "s", "new_key": "z", "overwrite": true}),
        )
        .await;
    assert_eq!(st, 200);
    let (_, z) = api.get("/api/key?key=z").await;
    assert_eq!(z["type"], "set");
}

#[tokio::test]
async fn bad_requests_get_4xx_json_errors_and_keys_pages_follow_the_cursor() {
    let redis = RedisServer::start().unwrap();
    let mut c = redis_conn(&redis).await;
    let mut p = redis::pipe();
    for i in 0..1234 {
        p.cmd("SET").arg(format!("k:{i}")).arg(i).ignore();
    }
    p.cmd("HSET").arg("k:hash").arg("f").arg("v").ignore();
    let () = p.query_async(&mut c).await.unwrap();
    let api = Api::start(redis.config(), false).await;

    let mut cursor = "0".to_string();
    let mut seen = std::collections::HashSet::new();
    let mut pages = 0;
    loop {
        let (st, page) = api
            .get(&format!("/api/keys?match=k%3A*&count=200&cursor={cursor}"))
            .await;
        assert_eq!(st, 200, "{page}");
        for k in page["keys"].as_array().unwrap() {
            seen.insert(k["text"].as_str().unwrap().to_string());
        }
        pages += 1;
        cursor = page["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            break;
        }
        assert!(pages < 100, "the cursor never finished");
    }
    assert_eq!(seen.len(), 1235);
    // The tree honours type and match filters (each its own shared scan).
    let hashes = api
        .poll(
            "/api/tree?prefix=k%3A&type=hash",
            Duration::from_secs(10),
            |b| b["complete"] == true,
        )
        .await;
    assert_eq!(hashes["total_keys"], 1);
    assert_eq!(hashes["children"][0]["key"]["text"], "k:hash");
    let ones = api
        .poll(
            "/api/tree?prefix=k%3A&match=k%3A1*",
            Duration::from_secs(10),
            |b| b["complete"] == true,
        )
        .await;
    // k:1, k:10..k:19, k:100..k:199, k:1000..k:1233
    assert_eq!(ones["total_keys"], 1 + 10 + 100 + 234);
    let (_, hashes) = api.get("/api/keys?type=hash&count=10000").await;
    assert_eq!(
        hashes["keys"],
        json!([{"text": "k:hash", "b64": "azpoYXNo"}])
    );

    for (method, path, body, want) in [
        ("GET", "/api/keys?count=abc", None, 400),
        ("GET", "/api/keys?count=0", None, 400),
        ("GET", "/api/keys?cursor=garbage", None, 400),
        ("GET", "/api/keys?type=no%20such", None, 400),
        ("GET", "/api/key", None, 400),
        ("GET", "/api/key?key=a&key_b64=YQ%3D%3D", None, 400),
        ("GET", "/api/key?key_b64=!!!", None, 400),
        ("GET", "/api/key?key=k%3Ahash&cursor=x", None, 400),
        ("GET", "/api/key?key=missing", None, 404),
        ("GET", "/api/tree?separator=", None, 400),
        (
            "PUT",
            "/api/key",
            Some(json!({"key": "a", "op": "nope"})),
            400,
        ),
        (
            "PUT",
            "/api/key",
            Some(json!({"op": "set", "value": "v"})),
            400,
        ),
        ("PUT", "/api/key", Some(json!([1, 2])), 400),
        (
            "POST",
            "/api/keys/meta",
            Some(json!({"keys_b64": vec!["YQ=="; 1001]})),
            400,
        ),
        ("GET", "/api/jobs/abc", None, 404),
        ("GET", "/api/jobs/999", None, 404),
        ("PATCH", "/api/key", None, 405),
        ("POST", "/api/invalidate", Some(json!({})), 400),
        (
            "POST",
            "/api/invalidate",
            Some(json!({"preset": {"kind": "planet", "value": "x"}})),
            400,
        ),
    ] {
        let (st, b) = api.call(method, path, body).await;
        assert_eq!(st, want, "{method} {path}: {b}");
        assert!(
            b["code"].is_string() && b["message"].is_string(),
            "{method} {path}: {b}"
        );
    }
    // A body that is not JSON at all, and one without a content type.
    let http = reqwest::Client::new();
    for req in [
        http.put(format!("http://{}/api/key", api.addr))
            .header("content-type", "application/json")
            .body("{not json"),
        http.put(format!("http://{}/api/key", api.addr))
            .body(r#"{"key":"a","op":"set","value":"v"}"#),
    ] {
        let res = req.bearer_auth(api::TOKEN).send().await.unwrap();
        assert_eq!(res.status(), 400);
        let b: Value = res.json().await.unwrap();
        assert_eq!(b["code"], "invalid_input", "{b}");
    }
}

#[tokio::test]
async fn the_browser_works_through_sentinel_on_the_resolved_master() {
    let set = redscope_testing::SentinelSet::start().unwrap();
    let mut c = api::raw_conn(&set.master.url()).await;
    let mut p = redis::pipe();
    for i in 0..30 {
        p.cmd("SET")
            .arg(format!("quote:binance:S{i}"))
            .arg(i)
            .ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();
    let api = Api::start(set.config(), false).await;
    let tree = api
        .poll("/api/tree", Duration::from_secs(10), |b| {
            b["complete"] == true
        })
        .await;
    assert_eq!(child(&tree, "quote", false).unwrap()["count"], 30);
    let (st, page) = api.get("/api/keys?count=1000").await;
    assert_eq!((st, page["keys"].as_array().map(Vec::len)), (200, Some(30)));
    let (st, v) = api.get("/api/key?key=quote%3Abinance%3AS7").await;
    assert_eq!(
        (st, v["value"]["preview"]["text"].as_str()),
        (200, Some("7"))
    );
}

#[tokio::test]
async fn a_hash_of_big_values_comes_cut_on_the_server() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let blob = vec![b'v'; 1024 * 1024];
    for i in 0..20 {
        let _: u64 = redis::cmd("HSET")
            .arg("blobs")
            .arg(format!("f{i}"))
            .arg(&blob[..])
            .query_async(&mut c)
            .await
            .unwrap();
    }
    let api = Api::start(redis.config(), false).await;
    let mut cursor = "0".to_string();
    let mut fields = std::collections::BTreeSet::new();
    loop {
        let (st, b) = api
            .get(&format!("/api/key?key=blobs&count=100&cursor={cursor}"))
            .await;
        assert_eq!(st, 200);
        let page = b["value"]["fields"].as_array().unwrap();
        // Each value cut to the 64 KiB preview on the server, with its true size.
        for f in page {
            assert_eq!(f["value"]["full_len"], 1024 * 1024, "{}", f["field"]);
            assert_eq!(f["value"]["text"].as_str().unwrap().len(), 64 << 10);
            fields.insert(f["field"]["text"].as_str().unwrap().to_string());
        }
        cursor = b["value"]["cursor"].as_str().unwrap().to_string();
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(fields.len(), 20);
}

#[tokio::test]
async fn a_tree_the_server_refuses_says_why_once() {
    let redis = RedisServer::start().unwrap();
    let mut c = redis_conn(&redis).await;
    let () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "noscan",
            "on",
            ">noscan-pw",
            "~*",
            "+@all",
            "-scan",
        ])
        .query_async(&mut c)
        .await
        .unwrap();
    let url = format!("redis://noscan:noscan-pw@127.0.0.1:{}", redis.port());
    let cfg = redscope::RedisConfig::from_url(&url).unwrap();
    let api = Api::start(cfg, false).await;
    let (status, body) = api.get("/api/tree").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "noperm", "{body}");
    let msg = body["message"].as_str().unwrap();
    // The server's own refusal, named once: the scan's error, not a rebuilt copy of its text.
    assert!(
        msg.contains("no permissions to run the 'scan' command"),
        "{msg}"
    );
    assert_eq!(msg.matches("server error").count(), 1, "{msg}");
    // A second ask starts a new scan and gets the same answer.
    let (again, body2) = api.get("/api/tree").await;
    assert_eq!((again, &body2["message"]), (422, &body["message"]));
}
