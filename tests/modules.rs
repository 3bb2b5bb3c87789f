//! The modules on a real Valkey 8.1 with RedisJSON, RediSearch and RedisBloom loaded, through
//! web mode's API as the UI calls it: detection, JSON documents by path, the search workbench,
//! probabilistic keys, the library's JSON-document cache; and a server without modules, which
//! reports none and answers module calls with a clear error.

mod api;

use std::time::Duration;

use api::{enc, Api};
use redscope::cache::{Cache, CacheOptions, Storage};
use redscope_testing::{sync_query, RedisServer};
use serde_json::{json, Value};

fn module_server() -> RedisServer {
    RedisServer::builder().modules().start().unwrap()
}

#[tokio::test]
async fn modules_are_detected_and_a_plain_server_has_none() {
    let server = module_server();
    let api = Api::start(server.config(), false).await;
    let (status, m) = api.get("/api/modules").await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["server"], "valkey");
    assert!(m["version"].as_str().unwrap().starts_with("8.1"), "{m}");
    assert_eq!(
        (
            m["json"].as_bool(),
            m["search"].as_bool(),
            m["bloom"].as_bool()
        ),
        (Some(true), Some(true), Some(true))
    );

    let plain = RedisServer::start().unwrap();
    let api = Api::start(plain.config(), false).await;
    let (status, m) = api.get("/api/modules").await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(
        (
            m["json"].as_bool(),
            m["search"].as_bool(),
            m["bloom"].as_bool()
        ),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(m["modules"], json!([]));
    // Module calls on it fail with a clear error, not a crash or a 500.
    let (status, e) = api.get("/api/search/indexes").await;
    assert_eq!(status, 400, "{e}");
    assert!(e["message"].as_str().unwrap().contains("RediSearch"), "{e}");
    for (path, body) in [
        ("/api/json", json!({"key": "d", "op": "set", "value": "{}"})),
        (
            "/api/key/create",
            json!({"key": "d", "type": "json", "value": "{}"}),
        ),
    ] {
        let (status, e) = api.post(path, body).await;
        assert_eq!(status, 400, "{e}");
        assert!(e["message"].as_str().unwrap().contains("RedisJSON"), "{e}");
    }
    assert_eq!(sync_query(&plain, &["EXISTS", "d"]).unwrap(), "0");
}

#[tokio::test]
async fn json_documents_are_created_read_by_path_and_edited() {
    let server = module_server();
    let api = Api::start(server.config(), false).await;
    let q = |args: &[&str]| sync_query(&server, args).unwrap();

    // The new-key dialog's JSON document.
    let doc = r#"{"sym":"AAPL","rsi_14":71.5,"tags":["tech"],"book":{"bid":1,"ask":2}}"#;
    let (status, r) = api
        .post(
            "/api/key/create",
            json!({"key": "doc:1", "type": "json", "value": doc, "ttl_ms": 600000}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(q(&["TYPE", "doc:1"]), "ReJSON-RL");
    assert!(q(&["PTTL", "doc:1"]).parse::<i64>().unwrap() > 0);
    let (status, r) = api
        .post(
            "/api/key/create",
            json!({"key": "doc:1", "type": "json", "value": "{}"}),
        )
        .await;
    assert_eq!(status, 409, "an existing key is not replaced: {r}");
    let (status, r) = api
        .post(
            "/api/key/create",
            json!({"key": "doc:2", "type": "json", "value": "{not json"}),
        )
        .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(q(&["EXISTS", "doc:2"]), "0");
    // Editing the root of a document that is gone does not make a new one.
    let (status, r) = api
        .post(
            "/api/json",
            json!({"key": "doc:2", "op": "set", "path": "$", "value": "{}"}),
        )
        .await;
    assert_eq!(status, 404, "{r}");
    assert_eq!(q(&["EXISTS", "doc:2"]), "0");

    // The browser lists it with its JSON.DEBUG MEMORY size.
    let (_, meta) = api
        .post("/api/keys/meta", json!({"keys_b64": [api::b64(b"doc:1")]}))
        .await;
    let size = q(&["JSON.DEBUG", "MEMORY", "doc:1"])
        .parse::<u64>()
        .unwrap();
    assert_eq!(meta[0]["type"], "ReJSON-RL");
    assert_eq!(meta[0]["size"].as_u64(), Some(size));

    // Small: whole.
    let (status, n) = api.get("/api/json?key=doc:1").await;
    assert_eq!(status, 200, "{n}");
    assert_eq!(n["type"], "object");
    assert_eq!(n["len"], 4);
    assert_eq!(n["value"]["book"]["ask"], 2);

    // Edits by path, checked in Redis.
    let edit = |body: Value| {
        let api = &api;
        async move {
            let (status, r) = api.post("/api/json", body).await;
            assert_eq!(status, 200, "{r}");
            r
        }
    };
    edit(json!({"key": "doc:1", "op": "set", "path": "$.book.bid", "value": "1.5"})).await;
    let r =
        edit(json!({"key": "doc:1", "op": "numincrby", "path": "$.rsi_14", "value": "2"})).await;
    assert_eq!(r["result"], json!([73.5]));
    edit(json!({"key": "doc:1", "op": "arrappend", "path": "$.tags", "value": "\"large-cap\""}))
        .await;
    edit(json!({"key": "doc:1", "op": "del", "path": "$.book.ask"})).await;
    assert_eq!(
        q(&["JSON.GET", "doc:1", "$"]),
        r#"[{"sym":"AAPL","rsi_14":73.5,"tags":["tech","large-cap"],"book":{"bid":1.5}}]"#
    );
    let (status, _) = api
        .post(
            "/api/json",
            json!({"key": "doc:1", "op": "numincrby", "path": "$.sym", "value": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = api.get("/api/json?key=doc:1&path=$.nope").await;
    assert_eq!(status, 404);

    // Large: over the budget, read by its children, never whole.
    let mut big = serde_json::Map::new();
    for i in 0..3000 {
        big.insert(
            format!("f{i:04}"),
            json!({"payload": "x".repeat(200), "n": i}),
        );
    }
    big.insert("huge".into(), json!("y".repeat(600_000)));
    let text = Value::Object(big).to_string();
    q(&["JSON.SET", "big", "$", &text]);
    let (status, len) = api.get_len("/api/json?key=big").await;
    assert_eq!(status, 200);
    assert!(
        len < 256 << 10,
        "a page of a big document is small ({len} bytes)"
    );
    let (_, n) = api.get("/api/json?key=big").await;
    assert_eq!(n["value"], Value::Null);
    assert_eq!(n["len"], 3001);
    assert_eq!(n["children"].as_array().unwrap().len(), 100);
    assert_eq!(n["next"], 100);
    assert_eq!(n["children"][7]["path"], "$.f0007");
    assert_eq!(
        n["children"][7]["value"]["n"], 7,
        "small children come whole"
    );
    let (_, page) = api.get("/api/json?key=big&offset=3000&count=10").await;
    let huge = &page["children"][0];
    assert_eq!(
        (huge["name"].as_str(), huge["type"].as_str()),
        (Some("huge"), Some("string"))
    );
    assert_eq!(
        huge["value"],
        Value::Null,
        "a big child is opened by its path"
    );
    assert_eq!(page["next"], Value::Null);
    let (_, s) = api
        .get(&format!("/api/json?key=big&path={}", enc("$.huge")))
        .await;
    assert_eq!(
        (s["len"].as_u64(), &s["value"]),
        (Some(600_000), &Value::Null)
    );
    let (_, k) = api.get("/api/key?key=big").await;
    assert_eq!(
        (k["value"]["json"].clone(), k["value"]["truncated"].clone()),
        (Value::Null, json!(true))
    );

    // Read-only: reads work, edits are refused.
    let ro = Api::start(server.config(), true).await;
    assert_eq!(ro.get("/api/json?key=doc:1&path=$.tags").await.0, 200);
    let (status, _) = ro
        .post(
            "/api/json",
            json!({"key": "doc:1", "op": "del", "path": "$.tags"}),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(q(&["JSON.ARRLEN", "doc:1", "$.tags"]), "2");
}

#[tokio::test]
async fn the_search_workbench_lists_queries_creates_and_drops() {
    let server = module_server();
    let api = Api::start(server.config(), false).await;
    let q = |args: &[&str]| sync_query(&server, args).unwrap();
    for (i, (sym, rsi)) in [
        ("AAPL", 72.0),
        ("MSFT", 55.0),
        ("NVDA", 81.0),
        ("TSLA", 30.0),
    ]
    .iter()
    .enumerate()
    {
        q(&[
            "JSON.SET",
            &format!("feat:{sym}"),
            "$",
            &json!({"sym": sym, "rsi_14": rsi, "n": i}).to_string(),
        ]);
        q(&[
            "HSET",
            &format!("note:{i}"),
            "title",
            &format!("{sym} breaks out above resistance"),
            "sym",
            sym,
        ]);
    }
    let create = json!({
        "name": "feat-idx", "on": "json", "prefixes": ["feat:"],
        "fields": [
            {"identifier": "$.sym", "attribute": "sym", "type": "TAG", "sortable": false},
            {"identifier": "$.rsi_14", "attribute": "rsi_14", "type": "NUMERIC", "sortable": true}
        ]
    });
    let (status, e) = api.post("/api/search/index", create.clone()).await;
    assert_eq!(status, 409, "creating needs confirmation: {e}");
    assert!(e["message"].as_str().unwrap().contains("feat:"), "{e}");
    let mut confirmed = create.clone();
    confirmed["confirm"] = json!(true);
    let (status, idx) = api.post("/api/search/index", confirmed).await;
    assert_eq!(status, 200, "{idx}");
    assert_eq!(idx["on"], "JSON");
    let (status, _) = api
        .post("/api/search/index", json!({
            "name": "notes", "on": "hash", "prefixes": ["note:"], "confirm": true,
            "fields": [{"identifier": "title", "attribute": "title", "type": "TEXT", "sortable": false}]
        }))
        .await;
    assert_eq!(status, 200);

    let list = api
        .poll("/api/search/indexes", Duration::from_secs(10), |v| {
            v.as_array().is_some_and(|a| {
                a.len() == 2
                    && a.iter()
                        .all(|i| i["num_docs"] == 4 && i["indexing"] == false)
            })
        })
        .await;
    let feat = &list[0];
    assert_eq!(feat["name"], "feat-idx");
    assert_eq!(feat["prefixes"], json!(["feat:"]));
    assert_eq!(
        feat["fields"][1],
        json!({"identifier": "$.rsi_14", "attribute": "rsi_14", "type": "NUMERIC", "sortable": true})
    );
    assert!(feat["memory_mb"].as_f64().unwrap() > 0.0);
    assert_eq!(feat["percent_indexed"], 1.0);

    // Which symbols have rsi_14 > 70, highest first, one per page.
    let query = json!({"index": "feat-idx", "query": "@rsi_14:[(70 +inf]", "sort_by": "rsi_14", "desc": true, "limit": 1});
    let (status, r) = api.post("/api/search/query", query.clone()).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["total"], 2);
    assert_eq!(r["rows"][0]["id"], "feat:NVDA");
    assert!(
        r["columns"].as_array().unwrap().contains(&json!("rsi_14")),
        "{r}"
    );
    let mut next = query.clone();
    next["offset"] = json!(1);
    let (_, r) = api.post("/api/search/query", next).await;
    assert_eq!(r["rows"][0]["id"], "feat:AAPL");
    assert_eq!(r["rows"].as_array().unwrap().len(), 1);

    // Aggregate, highlight, profile.
    let (status, r) = api
        .post(
            "/api/search/query",
            json!({
                "index": "feat-idx", "query": "*", "kind": "aggregate",
                "pipeline": "GROUPBY 0 REDUCE COUNT 0 AS n REDUCE MAX 1 @rsi_14 AS top"
            }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["rows"][0]["fields"], json!([["n", "4"], ["top", "81"]]));
    let (_, r) = api
        .post(
            "/api/search/query",
            json!({"index": "notes", "query": "breaks", "highlight": true, "limit": 10}),
        )
        .await;
    assert_eq!(r["total"], 4);
    let title = r["rows"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[0] == "title")
        .unwrap();
    assert!(
        title[1].as_str().unwrap().contains("<b>breaks</b>"),
        "{title}"
    );
    // A JSON index highlights too: its attributes come by name, the matched words marked.
    q(&["JSON.SET", "feat:AAPL", "$.note", r#""beat on earnings""#]);
    q(&[
        "FT.ALTER", "feat-idx", "SCHEMA", "ADD", "$.note", "AS", "note", "TEXT",
    ]);
    // FT.ALTER indexes the existing documents in the background: ask until it has.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let r = loop {
        let (status, r) = api
            .post(
                "/api/search/query",
                json!({"index": "feat-idx", "query": "@note:earnings", "highlight": true}),
            )
            .await;
        assert_eq!(status, 200, "{r}");
        if r["total"] == 1 || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(r["rows"][0]["id"], "feat:AAPL");
    assert!(
        r["rows"][0]["fields"]
            .as_array()
            .unwrap()
            .contains(&json!(["note", "beat on <b>earnings</b>"])),
        "{r}"
    );
    let (_, r) = api
        .post(
            "/api/search/query",
            json!({"index": "feat-idx", "query": "@sym:{MSFT}", "profile": true}),
        )
        .await;
    assert_eq!(r["rows"][0]["id"], "feat:MSFT");
    assert!(r["profile_ms"].as_f64().is_some(), "{r}");
    let (status, _) = api
        .post(
            "/api/search/query",
            json!({"index": "feat-idx", "query": "@rsi_14:[oops"}),
        )
        .await;
    assert_eq!(status, 422, "a syntax error is the server's answer");

    // Read-only: queries yes, changes no.
    let ro = Api::start(server.config(), true).await;
    assert_eq!(ro.post("/api/search/query", query.clone()).await.0, 200);
    assert_eq!(
        ro.call("DELETE", "/api/search/index?name=notes&confirm=true", None)
            .await
            .0,
        403
    );
    assert_eq!(ro.post("/api/search/index", create.clone()).await.0, 403);

    // Drop: confirmation first; with the documents when asked.
    let (status, _) = api
        .call("DELETE", "/api/search/index?name=notes", None)
        .await;
    assert_eq!(status, 409);
    let (status, d) = api
        .call(
            "DELETE",
            "/api/search/index?name=notes&delete_docs=true&confirm=true",
            None,
        )
        .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["num_docs"], 4);
    assert_eq!(q(&["EXISTS", "note:0"]), "0");
    assert_eq!(q(&["FT._LIST"]), "feat-idx");
    assert_eq!(
        api.call("DELETE", "/api/search/index?name=nope&confirm=true", None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn probabilistic_keys_open_with_their_info_and_check_and_add() {
    let server = module_server();
    let api = Api::start(server.config(), false).await;
    let q = |args: &[&str]| sync_query(&server, args).unwrap();
    q(&["BF.RESERVE", "bf", "0.01", "1000"]);
    q(&["CF.RESERVE", "cf", "1000"]);
    q(&["CMS.INITBYDIM", "cms", "100", "5"]);
    q(&["TOPK.RESERVE", "tk", "3"]);
    for (key, kind, field) in [
        ("bf", "bloom", "Capacity"),
        ("cf", "cuckoo", "Size"),
        ("cms", "count_min", "width"),
        ("tk", "top_k", "k"),
    ] {
        let (status, k) = api.get(&format!("/api/key?key={key}")).await;
        assert_eq!(status, 200, "{k}");
        let p = &k["value"]["probabilistic"];
        assert_eq!(p["kind"], kind, "{k}");
        assert!(
            p["info"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == field),
            "{key}: {p}"
        );
    }
    let op = |key: &str, op: &str, items: &[&str]| json!({"key": key, "op": op, "items": items});
    let (status, r) = api.post("/api/prob", op("bf", "add", &["a", "b"])).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r["results"],
        json!([{"item": "a", "value": 1}, {"item": "b", "value": 1}])
    );
    assert_eq!(q(&["BF.EXISTS", "bf", "a"]), "1");
    let (_, r) = api
        .post("/api/prob", op("bf", "check", &["a", "zzz"]))
        .await;
    assert_eq!(
        r["results"],
        json!([{"item": "a", "value": 1}, {"item": "zzz", "value": 0}])
    );
    let (_, r) = api.post("/api/prob", op("cf", "add", &["x", "x"])).await;
    assert_eq!(
        r["results"],
        json!([{"item": "x", "value": 1}, {"item": "x", "value": 0}])
    );
    api.post("/api/prob", op("cms", "add", &["AAPL", "AAPL", "MSFT"]))
        .await;
    let (_, r) = api
        .post("/api/prob", op("cms", "check", &["AAPL", "NVDA"]))
        .await;
    assert_eq!(
        r["results"],
        json!([{"item": "AAPL", "value": 2}, {"item": "NVDA", "value": 0}])
    );
    api.post("/api/prob", op("tk", "add", &["AAPL", "AAPL", "MSFT"]))
        .await;
    let (_, r) = api
        .post("/api/prob", op("tk", "check", &["AAPL", "NVDA"]))
        .await;
    assert_eq!(
        r["results"],
        json!([{"item": "AAPL", "value": 1}, {"item": "NVDA", "value": 0}])
    );
    assert_eq!(r["info"]["top"][0], json!({"item": "AAPL", "value": 2}));

    let ro = Api::start(server.config(), true).await;
    assert_eq!(ro.post("/api/prob", op("bf", "check", &["a"])).await.0, 200);
    assert_eq!(ro.post("/api/prob", op("bf", "add", &["c"])).await.0, 403);
    assert_eq!(q(&["BF.EXISTS", "bf", "c"]), "0");
    q(&["SET", "plain", "1"]);
    assert_eq!(
        api.post("/api/prob", op("plain", "check", &["a"])).await.0,
        400
    );
}

#[tokio::test]
async fn a_cache_can_store_typed_values_as_json_documents() {
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Features {
        symbol: String,
        rsi_14: f64,
        volume: u64,
    }
    let server = module_server();
    let cache = Cache::connect(
        &server.config(),
        CacheOptions {
            storage: Storage::JsonDocument,
            ..CacheOptions::default()
        },
    )
    .await
    .unwrap();
    let f = Features {
        symbol: "AAPL".into(),
        rsi_14: 71.2,
        volume: 1200,
    };
    assert!(cache
        .set_ex("features:AAPL", &f, Duration::from_secs(60))
        .await
        .unwrap());
    let q = |args: &[&str]| sync_query(&server, args).unwrap();
    assert_eq!(q(&["TYPE", "features:AAPL"]), "ReJSON-RL");
    assert_eq!(q(&["JSON.GET", "features:AAPL", "$.rsi_14"]), "[71.2]");
    let ttl: i64 = q(&["PTTL", "features:AAPL"]).parse().unwrap();
    assert!((1..=60_000).contains(&ttl), "{ttl}");
    assert_eq!(
        cache.get::<Features>("features:AAPL").await.unwrap(),
        Some(f.clone())
    );
    let g = Features {
        symbol: "MSFT".into(),
        rsi_14: 40.0,
        volume: 7,
    };
    assert!(cache
        .set_many(&[("features:MSFT", g.clone())], Duration::from_secs(60))
        .await
        .unwrap());
    assert_eq!(
        cache
            .get_many::<Features>(&["features:AAPL", "features:none", "features:MSFT"])
            .await
            .unwrap(),
        vec![Some(f), None, Some(g)]
    );
    let computed: Features = cache
        .get_or_compute("features:NVDA", Duration::from_secs(60), || async {
            Ok(Features {
                symbol: "NVDA".into(),
                rsi_14: 80.0,
                volume: 1,
            })
        })
        .await
        .unwrap();
    assert_eq!(q(&["JSON.GET", "features:NVDA", "$.symbol"]), r#"["NVDA"]"#);
    assert_eq!(computed.rsi_14, 80.0);
    // A document edited by path elsewhere reads back with the change.
    q(&["JSON.NUMINCRBY", "features:NVDA", "$.volume", "4"]);
    assert_eq!(
        cache
            .get::<Features>("features:NVDA")
            .await
            .unwrap()
            .unwrap()
            .volume,
        5
    );
}

/// The demo on a server with the modules writes its feature vectors as JSON documents too and
/// indexes them, so "which symbols have rsi_14 > 70 today" is one query.
#[tokio::test]
async fn the_demo_indexes_its_features_so_overbought_symbols_are_one_query() {
    use redscope_cli::demo::{self, DemoOptions, FEATURES_INDEX};
    let server = module_server();
    let opts = DemoOptions {
        rate: 100,
        symbols: 12,
        duration: Some(Duration::from_secs(4)),
        seed: Some(7),
        ..DemoOptions::default()
    };
    demo::run(&server.config(), &opts, Default::default())
        .await
        .unwrap();
    let api = Api::start(server.config(), true).await;
    let list = api
        .poll("/api/search/indexes", Duration::from_secs(10), |v| {
            v[0]["num_docs"] == 12 && v[0]["indexing"] == false
        })
        .await;
    assert_eq!(list[0]["name"], FEATURES_INDEX);
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    // What the documents say, read one by one.
    let mut expected = Vec::new();
    let mut c = api::raw_conn(&server.url()).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("features-json:*")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(keys.len(), 12);
    for k in &keys {
        let doc: String = redis::cmd("JSON.GET")
            .arg(k)
            .query_async(&mut c)
            .await
            .unwrap();
        let doc: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(doc["date"], today.as_str());
        if doc["rsi_14"].as_f64().unwrap() > 70.0 {
            expected.push(doc["symbol"].as_str().unwrap().to_string());
        }
    }
    expected.sort();
    let query = format!("@date:{{{}}} @rsi_14:[(70 +inf]", today.replace('-', "\\-"));
    let (status, r) = api
        .post(
            "/api/search/query",
            json!({"index": FEATURES_INDEX, "query": query, "limit": 100}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let mut found: Vec<String> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f[0] == "symbol")
                .unwrap()[1]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    found.sort();
    assert_eq!(found, expected, "{r}");
    assert_eq!(r["total"].as_u64(), Some(expected.len() as u64));
    // And the complement: together they are every symbol of the day.
    let (_, rest) = api
        .post("/api/search/query", json!({"index": FEATURES_INDEX, "query": format!("@date:{{{}}} @rsi_14:[-inf 70]", today.replace('-', "\\-")), "limit": 100}))
        .await;
    assert_eq!(rest["total"].as_u64().unwrap() + expected.len() as u64, 12);
}
