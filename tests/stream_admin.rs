//! Stream management over HTTP against a real redis-server: XADD (server clock, explicit and
//! refused IDs, binary fields), XDEL and XTRIM (MAXLEN / MINID, exact and `~`) only when
//! confirmed, consumer groups created, moved, and destroyed, consumers deleted, the pending
//! list filtered by consumer and idle time and paged, XACK, XCLAIM and XAUTOCLAIM, paging of
//! entries both ways by ID and time — and every mutation refused in read-only mode.

mod api;

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

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn entries_are_added_deleted_and_trimmed_only_when_confirmed() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let api = Api::start(redis.config(), false).await;

    // XADD: the server's clock, then explicit IDs; binary fields arrive intact.
    let (st, r) = api
        .post(
            "/api/stream/add",
            json!({"key": "s", "fields": [{"field": "sym", "value": "BTC"}]}),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["length"], 1);
    let first = r["id"].as_str().unwrap().to_string();
    let xlen: u64 = cmd(&mut c, &["XLEN", "s"]).await;
    assert_eq!(xlen, 1);
    let (st, e) = api
        .post(
            "/api/stream/add",
            json!({"key": "s", "id": "1-1", "fields": [{"field": "a", "value": "b"}]}),
        )
        .await;
    assert_eq!(st, 400, "an id below the last one is refused: {e}");
    assert!(
        e["message"].as_str().unwrap().contains("ids only grow"),
        "{e}"
    );
    let big = "99999999999999";
    for seq in 1..=5 {
        let (st, r) = api
            .post(
                "/api/stream/add",
                json!({"key": "s", "id": format!("{big}-{seq}"),
                       "fields": [{"field_b64": b64(b"\xff"), "value_b64": b64(b"\x00\x01")}]}),
            )
            .await;
        assert_eq!((st, r["length"].as_u64()), (200, Some(1 + seq)), "{r}");
    }
    let raw: redis::Value = cmd(
        &mut c,
        &["XRANGE", "s", "99999999999999-1", "99999999999999-1"],
    )
    .await;
    let entries = redscope::stream::entry::parse_entries(&raw).unwrap();
    assert_eq!(
        entries[0].fields.as_ref().unwrap()[0],
        (b"\xff".to_vec(), b"\x00\x01".to_vec())
    );
    let (st, _) = api
        .post("/api/stream/add", json!({"key": "s", "fields": []}))
        .await;
    assert_eq!(st, 400, "an entry needs a field");

    // XDEL: refused without confirm (nothing deleted), done with it.
    let del = json!({"key": "s", "ids": [first.clone(), "99999999999999-1"]});
    let (st, e) = api.post("/api/stream/delete", del.clone()).await;
    assert_eq!(st, 409, "{e}");
    assert_eq!(cmd::<u64>(&mut c, &["XLEN", "s"]).await, 6);
    let mut confirmed = del.clone();
    confirmed["confirm"] = json!(true);
    let (st, r) = api.post("/api/stream/delete", confirmed).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(
        (r["removed"].as_u64(), r["length"].as_u64()),
        (Some(2), Some(4))
    );
    let left: Vec<redis::Value> = cmd(&mut c, &["XRANGE", "s", "-", "+"]).await;
    assert_eq!(left.len(), 4);
    let (st, _) = api
        .post(
            "/api/stream/delete",
            json!({"key": "s", "ids": ["+"], "confirm": true}),
        )
        .await;
    assert_eq!(st, 400, "a range end is not an entry id");

    // XTRIM MAXLEN exact keeps the newest; MINID removes ids below.
    let (st, _) = api
        .post(
            "/api/stream/trim",
            json!({"key": "s", "by": "maxlen", "threshold": "3"}),
        )
        .await;
    assert_eq!(st, 409);
    let (st, r) = api
        .post(
            "/api/stream/trim",
            json!({"key": "s", "by": "maxlen", "threshold": "3", "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(
        (r["removed"].as_u64(), r["length"].as_u64()),
        (Some(1), Some(3))
    );
    let (st, r) = api
        .post(
            "/api/stream/trim",
            json!({"key": "s", "by": "minid", "threshold": "99999999999999-5", "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["length"], 1);
    let rest: Vec<redis::Value> = cmd(&mut c, &["XRANGE", "s", "-", "+"]).await;
    let rest = redscope::stream::entry::parse_entries(&redis::Value::Array(rest)).unwrap();
    assert_eq!(rest[0].id, "99999999999999-5");
    // `~` on a big stream trims whole nodes: never below the threshold, never more than asked.
    for i in 0..1000 {
        let _: String = cmd(&mut c, &["XADD", "big", "*", "i", &i.to_string()]).await;
    }
    let (st, r) = api
        .post(
            "/api/stream/trim",
            json!({"key": "big", "by": "maxlen", "threshold": "10", "approximate": true, "confirm": true}),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let len: u64 = cmd(&mut c, &["XLEN", "big"]).await;
    assert!((10..1000).contains(&len), "{len}");
    assert_eq!(r["length"].as_u64(), Some(len));
    assert_eq!(r["removed"].as_u64(), Some(1000 - len));
    let (st, _) = api
        .post(
            "/api/stream/trim",
            json!({"key": "big", "by": "maxlen", "threshold": "ten", "confirm": true}),
        )
        .await;
    assert_eq!(st, 400);
    let (st, _) = api
        .post(
            "/api/stream/trim",
            json!({"key": "nope", "by": "maxlen", "threshold": "1", "confirm": true}),
        )
        .await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn groups_consumers_and_the_pending_list_are_managed() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let api = Api::start(redis.config(), false).await;
    for i in 1..=6 {
        let _: String = cmd(
            &mut c,
            &["XADD", "jobs", &format!("{i}-0"), "n", &i.to_string()],
        )
        .await;
    }

    // CREATE from the beginning; a second CREATE of the same name is refused clearly.
    let group = |body: Value| {
        let api = &api;
        async move { api.post("/api/stream/group", body).await }
    };
    let (st, r) = group(json!({"key": "jobs", "action": "create", "group": "w", "id": "0"})).await;
    assert_eq!(st, 200, "{r}");
    let (st, e) = group(json!({"key": "jobs", "action": "create", "group": "w"})).await;
    assert_eq!(st, 400, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("already exists"),
        "{e}"
    );
    let (st, _) = group(json!({"key": "missing", "action": "create", "group": "w"})).await;
    assert_eq!(st, 404, "no stream and no mkstream");
    let (st, _) =
        group(json!({"key": "made", "action": "create", "group": "w", "mkstream": true})).await;
    assert_eq!(st, 200);
    assert_eq!(cmd::<String>(&mut c, &["TYPE", "made"]).await, "stream");

    // Two consumers read: alice 4 entries, bob 2.
    let _: redis::Value = cmd(
        &mut c,
        &[
            "XREADGROUP",
            "GROUP",
            "w",
            "alice",
            "COUNT",
            "4",
            "STREAMS",
            "jobs",
            ">",
        ],
    )
    .await;
    let _: redis::Value = cmd(
        &mut c,
        &[
            "XREADGROUP",
            "GROUP",
            "w",
            "bob",
            "COUNT",
            "2",
            "STREAMS",
            "jobs",
            ">",
        ],
    )
    .await;

    // The pending list: everything, by consumer, paged, by idle time.
    let (st, all) = api.get("/api/stream/pending?key=jobs&group=w").await;
    assert_eq!(st, 200, "{all}");
    assert_eq!(ids(&all), ["1-0", "2-0", "3-0", "4-0", "5-0", "6-0"]);
    let (_, bobs) = api
        .get("/api/stream/pending?key=jobs&group=w&consumer=bob")
        .await;
    assert_eq!(ids(&bobs), ["5-0", "6-0"]);
    let (_, p1) = api
        .get("/api/stream/pending?key=jobs&group=w&count=4")
        .await;
    assert_eq!(ids(&p1), ["1-0", "2-0", "3-0", "4-0"]);
    let (_, p2) = api
        .get("/api/stream/pending?key=jobs&group=w&count=4&start=(4-0")
        .await;
    assert_eq!(ids(&p2), ["5-0", "6-0"]);
    let (_, idle) = api
        .get("/api/stream/pending?key=jobs&group=w&min_idle_ms=3600000")
        .await;
    assert_eq!(
        ids(&idle),
        Vec::<String>::new(),
        "nothing has been idle an hour"
    );

    // XACK two of alice's.
    let (st, r) = api
        .post(
            "/api/stream/ack",
            json!({"key": "jobs", "group": "w", "ids": ["1-0", "2-0", "9-0"]}),
        )
        .await;
    assert_eq!((st, r["acked"].as_u64()), (200, Some(2)), "{r}");
    let summary: Vec<redis::Value> = cmd(&mut c, &["XPENDING", "jobs", "w"]).await;
    assert_eq!(summary[0], redis::Value::Int(4));

    // XCLAIM 3-0 to bob; a min idle it has not reached leaves it with alice.
    let claim = |body: Value| {
        let api = &api;
        async move { api.post("/api/stream/claim", body).await }
    };
    let (st, r) = claim(json!({"key": "jobs", "group": "w", "consumer": "bob", "ids": ["4-0"], "min_idle_ms": 3_600_000})).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["claimed"], json!([]));
    let (st, r) =
        claim(json!({"key": "jobs", "group": "w", "consumer": "bob", "ids": ["3-0"]})).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["claimed"], json!(["3-0"]));
    let (_, bobs) = api
        .get("/api/stream/pending?key=jobs&group=w&consumer=bob")
        .await;
    assert_eq!(ids(&bobs), ["3-0", "5-0", "6-0"]);
    // XAUTOCLAIM: everything idle ≥ 0 goes to carol, two at a time, with a cursor.
    let (st, r) =
        claim(json!({"key": "jobs", "group": "w", "consumer": "carol", "count": 2})).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["claimed"], json!(["3-0", "4-0"]));
    let next = r["next"].as_str().unwrap().to_string();
    let (_, r) = claim(
        json!({"key": "jobs", "group": "w", "consumer": "carol", "count": 10, "start": next}),
    )
    .await;
    assert_eq!(r["claimed"], json!(["5-0", "6-0"]));
    assert!(r["next"].is_null(), "{r}");
    // An entry deleted while pending is reported and dropped from the pending list.
    let _: u64 = cmd(&mut c, &["XDEL", "jobs", "6-0"]).await;
    let (_, r) = claim(json!({"key": "jobs", "group": "w", "consumer": "carol"})).await;
    assert_eq!(r["deleted"], json!(["6-0"]), "{r}");
    let (st, _) = claim(json!({"key": "jobs", "group": "nope", "consumer": "x"})).await;
    assert_eq!(st, 404);

    // SETID back to 0: the group will deliver everything again.
    let (st, _) = group(json!({"key": "jobs", "action": "setid", "group": "w", "id": "0"})).await;
    assert_eq!(st, 200);
    let info: Vec<redis::Value> = cmd(&mut c, &["XINFO", "GROUPS", "jobs"]).await;
    let text = format!("{info:?}");
    assert!(text.contains("\"0-0\""), "{text}");

    // DELCONSUMER and DESTROY need confirm; DELCONSUMER answers the pending count it dropped.
    let (st, _) =
        group(json!({"key": "jobs", "action": "del_consumer", "group": "w", "consumer": "carol"}))
            .await;
    assert_eq!(st, 409);
    let (st, r) = group(json!({"key": "jobs", "action": "del_consumer", "group": "w", "consumer": "carol", "confirm": true})).await;
    assert_eq!((st, r["result"].as_i64()), (200, Some(3)), "{r}");
    let consumers: Vec<redis::Value> = cmd(&mut c, &["XINFO", "CONSUMERS", "jobs", "w"]).await;
    assert!(!format!("{consumers:?}").contains("carol"));
    let (st, _) = group(json!({"key": "jobs", "action": "destroy", "group": "w"})).await;
    assert_eq!(st, 409);
    let groups: Vec<redis::Value> = cmd(&mut c, &["XINFO", "GROUPS", "jobs"]).await;
    assert_eq!(groups.len(), 1, "refused: nothing destroyed");
    let (st, _) =
        group(json!({"key": "jobs", "action": "destroy", "group": "w", "confirm": true})).await;
    assert_eq!(st, 200);
    let groups: Vec<redis::Value> = cmd(&mut c, &["XINFO", "GROUPS", "jobs"]).await;
    assert!(groups.is_empty());
    let (st, _) =
        group(json!({"key": "jobs", "action": "destroy", "group": "w", "confirm": true})).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn entries_page_both_ways_by_id_and_by_time() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let api = Api::start(redis.config(), false).await;
    // Ten entries one second apart from 1700000000000 ms.
    for i in 0..10u64 {
        let id = format!("{}-0", 1_700_000_000_000 + i * 1000);
        let _: String = cmd(&mut c, &["XADD", "t", &id, "i", &i.to_string()]).await;
    }
    let page = |q: String| {
        let api = &api;
        async move {
            let (st, r) = api.get(&format!("/api/stream/entries?key=t&{q}")).await;
            assert_eq!(st, 200, "{r}");
            r
        }
    };
    // Newest first, 3 at a time, then the older page after the oldest shown.
    let p = page("count=3&rev=true".into()).await;
    assert_eq!(
        ids(&p["entries"]),
        ["1700000009000-0", "1700000008000-0", "1700000007000-0"]
    );
    let p = page("count=3&rev=true&end=(1700000007000-0".into()).await;
    assert_eq!(
        ids(&p["entries"]),
        ["1700000006000-0", "1700000005000-0", "1700000004000-0"]
    );
    // And back: the newer page after the newest shown, oldest first.
    let p = page("count=3&start=(1700000006000-0".into()).await;
    assert_eq!(
        ids(&p["entries"]),
        ["1700000007000-0", "1700000008000-0", "1700000009000-0"]
    );
    assert!(p["next"].is_null(), "{p}");
    // A time range in milliseconds (what the page sends for a typed date-time).
    let p = page("start=1700000002000&end=1700000004000".into()).await;
    assert_eq!(
        ids(&p["entries"]),
        ["1700000002000-0", "1700000003000-0", "1700000004000-0"]
    );
}

#[tokio::test]
async fn every_stream_mutation_is_refused_in_read_only_mode() {
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let _: String = cmd(&mut c, &["XADD", "s", "1-0", "a", "1"]).await;
    let _: String = cmd(&mut c, &["XGROUP", "CREATE", "s", "g", "0"]).await;
    let _: redis::Value = cmd(
        &mut c,
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
    )
    .await;
    let api = Api::start(redis.config(), true).await;
    for (path, body) in [
        (
            "/api/stream/add",
            json!({"key": "s", "fields": [{"field": "a", "value": "2"}]}),
        ),
        (
            "/api/stream/delete",
            json!({"key": "s", "ids": ["1-0"], "confirm": true}),
        ),
        (
            "/api/stream/trim",
            json!({"key": "s", "by": "maxlen", "threshold": "0", "confirm": true}),
        ),
        (
            "/api/stream/group",
            json!({"key": "s", "action": "destroy", "group": "g", "confirm": true}),
        ),
        (
            "/api/stream/group",
            json!({"key": "s", "action": "create", "group": "g2"}),
        ),
        (
            "/api/stream/ack",
            json!({"key": "s", "group": "g", "ids": ["1-0"]}),
        ),
        (
            "/api/stream/claim",
            json!({"key": "s", "group": "g", "consumer": "d"}),
        ),
    ] {
        let (st, e) = api.post(path, body).await;
        assert_eq!(st, 403, "{path}: {e}");
    }
    assert_eq!(cmd::<u64>(&mut c, &["XLEN", "s"]).await, 1);
    let pending: Vec<redis::Value> = cmd(&mut c, &["XPENDING", "s", "g"]).await;
    assert_eq!(pending[0], redis::Value::Int(1), "still pending, still c's");
    let groups: Vec<redis::Value> = cmd(&mut c, &["XINFO", "GROUPS", "s"]).await;
    assert_eq!(groups.len(), 1);
}
