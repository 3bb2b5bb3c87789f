//! What the console and the API promise on a real redis-server: read-only mode is an allowlist
//! the server's own command table decides (renamed and unknown commands refused, the shared
//! connection never renamed or reconfigured), secrets never appear in a reply whichever way
//! they are asked for, and every reply stays within a byte budget however large the values.

mod api;

use api::{enc, raw_conn, Api};
use redscope_testing::RedisServer;
use serde_json::{json, Value};

const PASSWORD: &str = "s3cret-requirepass-value";
const MASTERAUTH: &str = "m4sterauth-secret-value";
const ACL_PW: &str = "alice-acl-password-value";

/// True when `text` holds a SHA-256 hex digest after `#` (an ACL password hash).
fn has_acl_hash(text: &str) -> bool {
    text.match_indices('#').any(|(i, _)| {
        let rest = &text.as_bytes()[i + 1..];
        rest.len() >= 64 && rest[..64].iter().all(u8::is_ascii_hexdigit)
    })
}

async fn console(api: &Api, args: &[&str], confirm: bool) -> (u16, Value) {
    api.post("/api/console", json!({"args": args, "confirm": confirm}))
        .await
}

#[tokio::test]
async fn secrets_never_leave_the_server_in_any_case_or_way_of_asking() {
    let redis = RedisServer::builder()
        .password(PASSWORD)
        .arg("masterauth", MASTERAUTH)
        .start()
        .unwrap();
    let read_only = Api::start(redis.config(), true).await;
    let writable = Api::start(redis.config(), false).await;
    let leaked = |body: &Value| {
        let t = body.to_string();
        t.contains(PASSWORD) || t.contains(MASTERAUTH) || t.contains(ACL_PW) || has_acl_hash(&t)
    };
    for pattern in [
        "REQUIREPASS",
        "RequirePass",
        "requirepass",
        "MASTERAUTH",
        "*pass*",
        "*AUTH*",
        "*",
    ] {
        for api in [&read_only, &writable] {
            let (status, body) = api
                .get(&format!("/api/config?pattern={}", enc(pattern)))
                .await;
            assert_eq!(status, 200, "{pattern}: {body}");
            assert!(!leaked(&body), "CONFIG GET {pattern} leaked: {body}");
        }
        let (status, body) = console(&writable, &["CONFIG", "GET", pattern], false).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            !leaked(&body),
            "console CONFIG GET {pattern} leaked: {body}"
        );
        assert!(body.to_string().contains("(hidden)"), "{pattern}: {body}");
    }
    let (status, _) = console(
        &writable,
        &[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            &format!(">{ACL_PW}"),
            "~*",
            "+@read",
        ],
        true,
    )
    .await;
    assert_eq!(status, 200);
    for args in [
        &["ACL", "LIST"][..],
        &["acl", "getuser", "alice"],
        &["ACL", "GETUSER", "default"],
        &["INFO"],
        &["CLIENT", "LIST"],
        &["SLOWLOG", "GET"],
    ] {
        let (status, body) = console(&writable, args, false).await;
        assert_eq!(status, 200, "{args:?}: {body}");
        assert!(!leaked(&body), "{args:?} leaked: {body}");
    }
    // The API's own server tools go through the same redaction.
    for path in ["/api/info", "/api/clients", "/api/slowlog"] {
        let (status, body) = writable.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(!leaked(&body), "{path} leaked: {body}");
    }
    // The values are really there: the redaction is what hides them.
    let mut c = raw_conn(&redis.url()).await;
    let v: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("masterauth")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v[1], MASTERAUTH);
}

#[tokio::test]
async fn read_only_console_runs_only_what_the_server_flags_readonly() {
    let redis = RedisServer::start().unwrap();
    let ro = Api::start(redis.config(), true).await;
    let rw = Api::start(redis.config(), false).await;
    let mut c = raw_conn(&redis.url()).await;
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    // An ACL log entry to (not) reset.
    let _: redis::RedisResult<()> = redis::cmd("AUTH")
        .arg("nobody")
        .arg("wrong")
        .query_async(&mut raw_conn(&redis.url()).await)
        .await;
    for args in [
        &["ACL", "LOG", "RESET"][..],
        &["SCRIPT", "LOAD", "return 1"],
        &["CONFIG", "SET", "maxmemory", "12345"],
        &["config", "get", "maxmemory"],
        &["EVAL", "return 1", "0"],
        &[
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function('f', function() return 1 end)",
        ],
        &["PUBLISH", "c", "m"],
        &["SET", "k", "w"],
        &["NOSUCHCOMMAND", "x"],
        &["DEBUG", "SLEEP", "0"],
    ] {
        let (status, body) = console(&ro, args, true).await;
        assert_eq!(status, 403, "{args:?} ran in read-only: {body}");
        assert_eq!(body["code"], "read_only", "{args:?}");
    }
    // The shared connection cannot be renamed or reconfigured, in either mode.
    for api in [&ro, &rw] {
        for args in [
            &["CLIENT", "SETNAME", "hijacked"][..],
            &["CLIENT", "NO-EVICT", "on"],
            &["CLIENT", "SETINFO", "LIB-NAME", "x"],
            &["SELECT", "2"],
        ] {
            let (status, body) = console(api, args, true).await;
            assert_eq!(status, 400, "{args:?}: {body}");
        }
    }
    // What read-only allows: plain reads, EVAL_RO (whose writes the server refuses), PING.
    for args in [
        &["GET", "k"][..],
        &["SCAN", "0"],
        &["PING"],
        &["EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "k"],
    ] {
        let (status, body) = console(&ro, args, false).await;
        assert_eq!(status, 200, "{args:?}: {body}");
    }
    let (_, body) = console(
        &ro,
        &[
            "EVAL_RO",
            "return redis.call('SET', KEYS[1], 'x')",
            "1",
            "k",
        ],
        false,
    )
    .await;
    assert_eq!(body["reply"]["type"], "error", "{body}");
    // The confirmation step goes by the same classification.
    let (status, body) = console(&rw, &["FLUSHALL"], false).await;
    assert_eq!(status, 409, "{body}");
    // Redis afterwards: nothing changed.
    let v: String = redis::cmd("GET")
        .arg("k")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(v, "v");
    let cfg: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(cfg[1], "0");
    let log: Vec<Value> = redis::cmd("ACL")
        .arg("LOG")
        .query_async::<Vec<redis::Value>>(&mut c)
        .await
        .unwrap()
        .into_iter()
        .map(|_| Value::Null)
        .collect();
    assert!(!log.is_empty(), "ACL LOG was reset");
    let scripts: Vec<i64> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg("e0e1f9fabfc9d4800c877a703b823ac0578ff8db") // sha1("return 1")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(scripts, [0]);
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut c)
        .await
        .unwrap();
    assert!(!clients.contains("hijacked"), "{clients}");
    let keys: i64 = redis::cmd("DBSIZE").query_async(&mut c).await.unwrap();
    assert_eq!(keys, 1);
}

#[tokio::test]
async fn a_renamed_command_is_refused_in_read_only_and_needs_confirm_otherwise() {
    let redis = RedisServer::builder()
        .password(PASSWORD)
        .raw_args(&["--rename-command", "CONFIG", "RSCONFIG"])
        .start()
        .unwrap();
    let ro = Api::start(redis.config(), true).await;
    let rw = Api::start(redis.config(), false).await;
    for args in [
        &["RSCONFIG", "SET", "maxmemory", "12345"][..],
        &["rsconfig", "get", "maxmemory"],
    ] {
        let (status, body) = console(&ro, args, true).await;
        assert_eq!(status, 403, "{args:?}: {body}");
    }
    let (status, body) = console(&rw, &["RSCONFIG", "GET", "maxmemory"], false).await;
    assert_eq!(status, 409, "a renamed command needs confirm: {body}");
    let (status, body) = console(&rw, &["RSCONFIG", "GET", "RequirePass"], true).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains(PASSWORD), "{body}");
    let mut c = raw_conn(&redis.url()).await;
    let cfg: Vec<String> = redis::cmd("RSCONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(cfg[1], "0", "read-only let a renamed CONFIG SET through");
}

#[tokio::test]
async fn pages_and_console_replies_stay_within_a_byte_budget() {
    const BIG: usize = 20 << 20;
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), true).await;
    let mut c = raw_conn(&redis.url()).await;
    let blob = vec![b'x'; BIG];
    let _: () = redis::pipe()
        .cmd("RPUSH")
        .arg("big:list")
        .arg(&blob)
        .arg(&blob)
        .arg(&blob)
        .ignore()
        .cmd("HSET")
        .arg("big:hash")
        .arg("f")
        .arg(&blob)
        .ignore()
        .cmd("SADD")
        .arg("big:set")
        .arg(&blob)
        .arg("small")
        .ignore()
        .cmd("ZADD")
        .arg("big:zset")
        .arg(1.5)
        .arg(&blob)
        .ignore()
        .query_async(&mut c)
        .await
        .unwrap();
    drop(blob);
    for key in ["big:list", "big:hash", "big:set", "big:zset"] {
        let path = format!("/api/key?key={key}");
        let (status, len) = api.get_len(&path).await;
        assert_eq!(status, 200, "{key}");
        assert!(len < 1 << 20, "{key}: a {len}-byte page");
        let (_, body) = api.get(&path).await;
        let t = body.to_string();
        assert!(
            t.contains(&format!("\"full_len\":{BIG}")),
            "{key}: the true size is reported: {}",
            &t[..t.len().min(300)]
        );
    }
    let (_, body) = api.get("/api/key?key=big:list").await;
    assert_eq!(body["value"]["items"].as_array().unwrap().len(), 3);
    let (_, body) = api.get("/api/key?key=big:zset").await;
    assert_eq!(body["value"]["members"][0]["score"], 1.5);
    let res = api
        .post(
            "/api/console",
            json!({"args": ["LRANGE", "big:list", "0", "-1"]}),
        )
        .await;
    assert_eq!(res.0, 200);
    let len = res.1.to_string().len();
    assert!(len < 4 << 20, "a {len}-byte console reply");
    assert_eq!(res.1["truncated"], true);
}
