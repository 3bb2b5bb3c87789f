//! Creating and editing keys over HTTP against one real redis-server: every type created with a
//! TTL, refusal to replace an existing key (decided by the server), the list, hash and string
//! edits, read-only refusal of each, the database picker and trees split on several separators.

mod api;

use std::time::Duration;

use api::{b64, Api};
use redscope_testing::RedisServer;
use serde_json::{json, Value};

async fn cmd<T: redis::FromRedisValue>(
    c: &mut redis::aio::MultiplexedConnection,
    args: &[&str],
) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(c).await.unwrap()
}

#[tokio::test]
async fn keys_of_every_type_are_created_edited_and_refused_in_read_only() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let api = Api::start(redis.config(), false).await;
    let create = |body: Value| {
        let api = &api;
        async move { api.post("/api/key/create", body).await }
    };

    // Every core type, with its first elements; the string with a TTL.
    let (st, s) =
        create(json!({"key": "new:s", "type": "string", "value": "hello", "ttl_ms": 60_000})).await;
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["type"], "string");
    let pttl: i64 = cmd(&mut c, &["PTTL", "new:s"]).await;
    assert!(pttl > 50_000 && pttl <= 60_000, "{pttl}");
    let (st, h) = create(json!({"key": "new:h", "type": "hash", "elements": [
        {"field": "a", "value": "1"}, {"field_b64": b64(b"\xff"), "value_b64": b64(b"\x00\x01")}]}))
    .await;
    assert_eq!((st, h["size"].as_u64()), (200, Some(2)), "{h}");
    let raw: Vec<u8> = cmd(&mut c, &["HGET", "new:h", "a"]).await;
    assert_eq!(raw, b"1");
    let bin: Vec<u8> = redis::cmd("HGET")
        .arg("new:h")
        .arg(&b"\xff"[..])
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(bin, b"\x00\x01");
    let (st, _) = create(json!({"key": "new:l", "type": "list", "elements": [{"value": "x"}, {"value": "y"}, {"value": "x"}, {"value": "x"}]})).await;
    assert_eq!(st, 200);
    let items: Vec<String> = cmd(&mut c, &["LRANGE", "new:l", "0", "-1"]).await;
    assert_eq!(items, ["x", "y", "x", "x"]);
    let (st, _) = create(
        json!({"key": "new:set", "type": "set", "elements": [{"value": "m1"}, {"value": "m2"}]}),
    )
    .await;
    assert_eq!(st, 200);
    let n: u64 = cmd(&mut c, &["SCARD", "new:set"]).await;
    assert_eq!(n, 2);
    let (st, _) = create(json!({"key": "new:z", "type": "zset", "elements": [{"value": "lo", "score": -1.5}, {"value": "hi", "score": 2}]})).await;
    assert_eq!(st, 200);
    let z: Vec<(String, f64)> = cmd(&mut c, &["ZRANGE", "new:z", "0", "-1", "WITHSCORES"]).await;
    assert_eq!(z, [("lo".to_string(), -1.5), ("hi".to_string(), 2.0)]);
    let (st, x) = create(json!({"key": "new:x", "type": "stream", "stream_id": "5-1", "elements": [{"field": "f", "value": "v"}]})).await;
    assert_eq!(st, 200, "{x}");
    assert_eq!(x["value"]["entries"][0]["id"], "5-1");

    // An existing key is not replaced unless asked, and nothing is written.
    let (st, e) =
        create(json!({"key": "new:s", "type": "list", "elements": [{"value": "q"}]})).await;
    assert_eq!(st, 409, "{e}");
    assert_eq!(e["code"], "confirmation_required");
    let kind: String = cmd(&mut c, &["TYPE", "new:s"]).await;
    assert_eq!(kind, "string");
    let (st, r) = create(
        json!({"key": "new:s", "type": "list", "elements": [{"value": "q"}], "overwrite": true}),
    )
    .await;
    assert_eq!((st, r["type"].as_str()), (200, Some("list")), "{r}");
    let pttl: i64 = cmd(&mut c, &["PTTL", "new:s"]).await;
    assert_eq!(pttl, -1, "the replaced key's TTL is gone with it");

    // Bad input is refused before anything is deleted.
    for (body, why) in [
        (
            json!({"key": "new:h", "type": "zset", "overwrite": true, "elements": [{"value": "m"}]}),
            "score",
        ),
        (
            json!({"key": "new:h", "type": "stream", "overwrite": true, "stream_id": "0-0", "elements": [{"field": "f", "value": "v"}]}),
            "ID",
        ),
        (
            json!({"key": "new:h", "type": "set", "overwrite": true, "elements": []}),
            "element",
        ),
        (
            json!({"key": "new:h", "type": "json", "overwrite": true, "value": "{}"}),
            "RedisJSON",
        ),
        (
            json!({"key": "new:h", "type": "json", "overwrite": true, "value": "{nope"}),
            "JSON",
        ),
    ] {
        let (st, e) = create(body).await;
        assert_eq!(st, 400, "{e}");
        assert!(e["message"].as_str().unwrap().contains(why), "{e}");
    }
    let kind: String = cmd(&mut c, &["TYPE", "new:h"]).await;
    assert_eq!(kind, "hash");

    // Lists: LREM with a count, LINSERT before and after, LPOP/RPOP.
    let edit = |body: Value| {
        let api = &api;
        async move { api.call("PUT", "/api/key", Some(body)).await }
    };
    let (st, l) = edit(json!({"key": "new:l", "op": "lrem", "value": "x", "count": 2})).await;
    assert_eq!(st, 200, "{l}");
    let items: Vec<String> = cmd(&mut c, &["LRANGE", "new:l", "0", "-1"]).await;
    assert_eq!(
        items,
        ["y", "x"],
        "the first two x are gone, the third stays"
    );
    edit(json!({"key": "new:l", "op": "linsert", "pivot": "x", "value": "before-x"})).await;
    edit(json!({"key": "new:l", "op": "linsert", "pivot": "y", "value": "after-y", "after": true}))
        .await;
    let items: Vec<String> = cmd(&mut c, &["LRANGE", "new:l", "0", "-1"]).await;
    assert_eq!(items, ["y", "after-y", "before-x", "x"]);
    let (st, e) =
        edit(json!({"key": "new:l", "op": "linsert", "pivot": "nope", "value": "v"})).await;
    assert_eq!(st, 404, "{e}");
    edit(json!({"key": "new:l", "op": "lpop"})).await;
    edit(json!({"key": "new:l", "op": "rpop"})).await;
    let items: Vec<String> = cmd(&mut c, &["LRANGE", "new:l", "0", "-1"]).await;
    assert_eq!(items, ["after-y", "before-x"]);
    let (_, l) = edit(json!({"key": "new:l", "op": "lrem", "value": "after-y", "count": 0})).await;
    assert_eq!(l["size"], 1);

    // Hash field rename: atomic, refuses to replace unless asked.
    let (st, h) =
        edit(json!({"key": "new:h", "op": "hrename", "field": "a", "new_field": "b"})).await;
    assert_eq!(st, 200, "{h}");
    let v: Option<String> = cmd(&mut c, &["HGET", "new:h", "b"]).await;
    let gone: bool = cmd(&mut c, &["HEXISTS", "new:h", "a"]).await;
    assert_eq!((v.as_deref(), gone), (Some("1"), false));
    let _: () = cmd(&mut c, &["HSET", "new:h", "c", "3"]).await;
    let (st, e) =
        edit(json!({"key": "new:h", "op": "hrename", "field": "b", "new_field": "c"})).await;
    assert_eq!(st, 409, "{e}");
    let (st, _) = edit(
        json!({"key": "new:h", "op": "hrename", "field": "b", "new_field": "c", "overwrite": true}),
    )
    .await;
    assert_eq!(st, 200);
    let v: Option<String> = cmd(&mut c, &["HGET", "new:h", "c"]).await;
    assert_eq!(v.as_deref(), Some("1"));
    let (st, _) =
        edit(json!({"key": "new:h", "op": "hrename", "field": "missing", "new_field": "d"})).await;
    assert_eq!(st, 404);

    // A window of a big string, written in place.
    let big = vec![b'a'; 200_000];
    let () = redis::cmd("SET")
        .arg("new:big")
        .arg(&big)
        .query_async(&mut c)
        .await
        .unwrap();
    let (st, s) =
        edit(json!({"key": "new:big", "op": "setrange", "offset": 150_000, "value": "XYZ"})).await;
    assert_eq!(st, 200, "{s}");
    let got: Vec<u8> = cmd(&mut c, &["GETRANGE", "new:big", "149999", "150003"]).await;
    assert_eq!(got, b"aXYZa");
    let len: u64 = cmd(&mut c, &["STRLEN", "new:big"]).await;
    assert_eq!(len, 200_000);

    // The viewer shows MEMORY USAGE.
    let (_, k) = api.get("/api/key?key=new:big").await;
    assert!(k["memory"].as_u64().unwrap() >= 200_000, "{k}");

    // Read-only: every new operation refused, nothing written.
    let ro = Api::start(redis.config(), true).await;
    let (st, _) = ro
        .post(
            "/api/key/create",
            json!({"key": "ro:s", "type": "string", "value": "v"}),
        )
        .await;
    assert_eq!(st, 403);
    for body in [
        json!({"key": "new:l", "op": "lrem", "value": "before-x", "count": 0}),
        json!({"key": "new:l", "op": "linsert", "pivot": "before-x", "value": "v"}),
        json!({"key": "new:l", "op": "lpop"}),
        json!({"key": "new:h", "op": "hrename", "field": "c", "new_field": "e"}),
        json!({"key": "new:big", "op": "setrange", "offset": 0, "value": "Q"}),
    ] {
        let (st, e) = ro.call("PUT", "/api/key", Some(body)).await;
        assert_eq!(st, 403, "{e}");
    }
    let exists: u64 = cmd(&mut c, &["EXISTS", "ro:s"]).await;
    let items: Vec<String> = cmd(&mut c, &["LRANGE", "new:l", "0", "-1"]).await;
    assert_eq!((exists, items), (0, vec!["before-x".to_string()]));
}

#[tokio::test]
async fn the_database_picker_switches_the_session_and_trees_split_on_several_separators() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let _: () = cmd(
        &mut c,
        &["MSET", "a:1", "x", "a/2", "x", "a::3", "x", "b", "x"],
    )
    .await;
    let _: () = cmd(&mut c, &["SELECT", "3"]).await;
    let _: () = cmd(&mut c, &["SET", "in3", "x"]).await;
    let _: () = cmd(&mut c, &["SELECT", "0"]).await;
    let api = Api::start(redis.config(), true).await;

    let (st, d) = api.get("/api/databases").await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["current"], 0);
    assert_eq!(d["count"], 16);
    assert_eq!(d["separators"], json!([":"]));
    let dbs: Vec<(i64, u64)> = d["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["db"].as_i64().unwrap(), x["keys"].as_u64().unwrap()))
        .collect();
    assert_eq!(dbs, [(0, 4), (3, 1)]);

    // Several separators: each key splits at the first one.
    let (_, t) = api.get("/api/tree?separator=%3A%3A%20%3A%20%2F").await;
    let names: Vec<(String, String, u64)> = t["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().into(),
                x["prefix"].as_str().unwrap().into(),
                x["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("a".into(), "a/".into(), 1),
            ("a".into(), "a:".into(), 1),
            ("a".into(), "a::".into(), 1),
            ("b".into(), "b".into(), 1)
        ]
    );

    // Switching (allowed in read-only: it writes nothing) moves browsing, not other clients.
    let (st, d) = api.post("/api/databases/select", json!({"db": 3})).await;
    assert_eq!((st, d["current"].as_i64()), (200, Some(3)), "{d}");
    let (_, page) = api.get("/api/keys?count=100").await;
    assert_eq!(page["keys"].as_array().unwrap().len(), 1);
    assert_eq!(page["keys"][0]["text"], "in3");
    let tree = api
        .poll("/api/tree", Duration::from_secs(10), |b| {
            b["complete"] == true
        })
        .await;
    assert_eq!(tree["total_keys"], 1);
    let (_, h) = api.get("/api/health").await;
    assert!(h["url"].as_str().unwrap().ends_with("/3"), "{h}");
    let (st, e) = api.post("/api/databases/select", json!({"db": -1})).await;
    assert_eq!(st, 400, "{e}");
    let (st, e) = api.post("/api/databases/select", json!({"db": 99})).await;
    assert_eq!(st, 422, "a database the server does not have: {e}");
    let (_, page) = api.get("/api/keys?count=100").await;
    assert_eq!(
        page["keys"][0]["text"], "in3",
        "a refused switch keeps the current database"
    );
}

#[tokio::test]
async fn set_and_sorted_set_members_are_replaced_in_place() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let api = Api::start(redis.config(), false).await;
    let _: u64 = cmd(&mut c, &["SADD", "m:set", "a", "b"]).await;
    let _: u64 = cmd(&mut c, &["ZADD", "m:z", "1.5", "x", "7", "y"]).await;
    let edit = |body: Value| {
        let api = &api;
        async move { api.call("PUT", "/api/key", Some(body)).await }
    };

    // A set member replaced; replacing into an existing member needs overwrite.
    let (st, s) = edit(
        json!({"key": "m:set", "op": "srename", "member": "a", "new_member_b64": b64(b"\xffa")}),
    )
    .await;
    assert_eq!(st, 200, "{s}");
    let has_old: bool = cmd(&mut c, &["SISMEMBER", "m:set", "a"]).await;
    let has_new: bool = redis::cmd("SISMEMBER")
        .arg("m:set")
        .arg(&b"\xffa"[..])
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!((has_old, has_new), (false, true));
    let (st, e) = edit(
        json!({"key": "m:set", "op": "srename", "member": "b", "new_member_b64": b64(b"\xffa")}),
    )
    .await;
    assert_eq!(st, 409, "{e}");
    assert_eq!(
        cmd::<u64>(&mut c, &["SCARD", "m:set"]).await,
        2,
        "nothing changed"
    );
    let (st, s) = edit(json!({"key": "m:set", "op": "srename", "member": "b", "new_member_b64": b64(b"\xffa"), "overwrite": true})).await;
    assert_eq!((st, s["size"].as_u64()), (200, Some(1)), "{s}");
    let (st, _) =
        edit(json!({"key": "m:set", "op": "srename", "member": "gone", "new_member": "q"})).await;
    assert_eq!(st, 404);

    // A sorted-set member replaced keeps its score; the score edited on its own.
    let (st, _) =
        edit(json!({"key": "m:z", "op": "zrename", "member": "x", "new_member": "x2"})).await;
    assert_eq!(st, 200);
    let score: Option<f64> = cmd(&mut c, &["ZSCORE", "m:z", "x2"]).await;
    let old: Option<f64> = cmd(&mut c, &["ZSCORE", "m:z", "x"]).await;
    assert_eq!((score, old), (Some(1.5), None));
    let (st, _) =
        edit(json!({"key": "m:z", "op": "zrename", "member": "x2", "new_member": "y"})).await;
    assert_eq!(st, 409);
    assert_eq!(
        cmd::<Option<f64>>(&mut c, &["ZSCORE", "m:z", "y"]).await,
        Some(7.0)
    );
    let (st, _) = edit(json!({"key": "m:z", "op": "zadd", "member": "y", "score": -2.25})).await;
    assert_eq!(st, 200);
    assert_eq!(
        cmd::<Option<f64>>(&mut c, &["ZSCORE", "m:z", "y"]).await,
        Some(-2.25)
    );

    // Read-only refuses both.
    let ro = Api::start(redis.config(), true).await;
    for body in [
        json!({"key": "m:set", "op": "srename", "member_b64": b64(b"\xffa"), "new_member": "r"}),
        json!({"key": "m:z", "op": "zrename", "member": "y", "new_member": "r"}),
    ] {
        let (st, e) = ro.call("PUT", "/api/key", Some(body)).await;
        assert_eq!(st, 403, "{e}");
    }
    assert_eq!(
        cmd::<Option<f64>>(&mut c, &["ZSCORE", "m:z", "y"]).await,
        Some(-2.25)
    );
}

#[tokio::test]
async fn per_field_ttls_are_offered_only_where_the_server_has_them() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let api = Api::start(redis.config(), false).await;
    let _: u64 = cmd(&mut c, &["HSET", "ft:h", "a", "1"]).await;
    let info: String = cmd(&mut c, &["INFO", "server"]).await;
    // Valkey's redis_version is the Redis it is compatible with; its own version decides
    // (field TTLs from Valkey 9).
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let (version, since) = match field("valkey_version:") {
        Some(v) => (v, (9, 0)),
        None => (field("redis_version:").unwrap(), (7, 4)),
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap());
    let has = (parts.next().unwrap(), parts.next().unwrap()) >= since;

    let (st, h) = api.get("/api/key?key=ft:h").await;
    assert_eq!(st, 200);
    let (st, e) = api
        .call(
            "PUT",
            "/api/key",
            Some(json!({"key": "ft:h", "op": "hexpire", "field": "a", "ttl_ms": 60_000})),
        )
        .await;
    if has {
        assert_eq!(h["value"]["fields"][0]["ttl_ms"], -1, "{h}");
        assert_eq!(st, 200, "{e}");
        let ttl: Vec<i64> = cmd(&mut c, &["HPTTL", "ft:h", "FIELDS", "1", "a"]).await;
        assert!(ttl[0] > 50_000, "{ttl:?}");
    } else {
        // Redis 7.0 or Valkey 8 (the test servers): no field TTLs on the page, the edit refused.
        assert!(h["value"]["fields"][0].get("ttl_ms").is_none(), "{h}");
        assert_eq!(st, 400, "{e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains("7.4") && msg.contains(&version), "{msg}");
        let (st, _) = api
            .call(
                "PUT",
                "/api/key",
                Some(json!({"key": "ft:h", "op": "hpersist", "field": "a"})),
            )
            .await;
        assert_eq!(st, 400);
    }
    let v: String = cmd(&mut c, &["HGET", "ft:h", "a"]).await;
    assert_eq!(v, "1");
}
