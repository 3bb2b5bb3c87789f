//! Export and import over HTTP on real servers: a dump export of keys of every type (binary
//! names, TTLs, big values read in windows, streams with groups and deletions) imported into
//! another server gives the same DUMP for every key and the same expiries; the conflict policies
//! (skip, replace, fail) and the dry run do what they say; a command export loads with
//! `redis-cli --pipe` and with our import, and a command file with anything but data commands is
//! refused; JSON lines and CSV hold every element; a stream range exports entry by entry to JSON
//! lines (binary kept) and to CSV (a column per field), and a cancelled one leaves no file; a
//! Cluster exports from and imports to every
//! master; read-only mode allows only exports and dry runs; a cancelled export leaves no file.
//!
//! `REDSCOPE_TRANSFER_KEYS` sets the key count of the round trip (default 20,000; the
//! 1,000,000-key run is `redscope bench export-1m` / `import-1m`).

mod api;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use api::Api;
use redis::Value as R;
use redscope_testing::{redis_cli_binary, RedisCluster, RedisServer};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(180);

/// One export directory for the whole test binary (tests pick distinct file names).
fn export_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap().keep();
        // SAFETY: set once, before any service reads it, by the first test to get here.
        unsafe { std::env::set_var("REDSCOPE_EXPORT_DIR", &d) };
        d
    })
}

fn key_count() -> usize {
    std::env::var("REDSCOPE_TRANSFER_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

/// Keys of every type, about `n` in all: strings (text, integers, binary names and values),
/// lists, hashes, sets (intset and hashtable), sorted sets (with `inf`), streams (one with a
/// consumer group, a pending entry and a deleted entry), big values of each collection type,
/// and TTLs on a share of them.
async fn seed(url: &str, n: usize) {
    let mut c = api::raw_conn(url).await;
    let mut p = redis::pipe();
    let per = n / 10;
    for i in 0..per * 5 {
        let key = if i % 10 == 0 {
            let mut k = b"bin:\xff\x00".to_vec();
            k.extend(i.to_string().as_bytes());
            k
        } else {
            format!("str:{i}").into_bytes()
        };
        if i % 3 == 0 {
            p.cmd("SET").arg(&key).arg(i).ignore();
        } else {
            p.cmd("SET")
                .arg(&key)
                .arg(vec![(i % 251) as u8; 10 + i % 90])
                .ignore();
        }
        if i % 7 == 0 {
            p.cmd("PEXPIRE").arg(&key).arg(3_600_000 + i).ignore();
        }
        if p.len() > 5000 {
            let () = p.query_async(&mut c).await.unwrap();
            p = redis::pipe();
        }
    }
    for i in 0..per {
        p.cmd("RPUSH")
            .arg(format!("list:{i}"))
            .arg(
                (0..(i % 20 + 1))
                    .map(|x| format!("e{x}"))
                    .collect::<Vec<_>>(),
            )
            .ignore();
        p.cmd("HSET")
            .arg(format!("hash:{i}"))
            .arg(&[
                ("a", i.to_string()),
                ("b", "x".repeat(i % 30)),
                ("c", "1".into()),
            ])
            .ignore();
        p.cmd("SADD")
            .arg(format!("set:{i}"))
            .arg(if i % 2 == 0 {
                (0..5).map(|x| (x * i).to_string()).collect::<Vec<_>>()
            } else {
                (0..5).map(|x| format!("m{x}")).collect::<Vec<_>>()
            })
            .ignore();
        p.cmd("ZADD")
            .arg(format!("zset:{i}"))
            .arg(&[
                (1.5, "a".to_string()),
                (i as f64, "b".into()),
                (-2.0, format!("c{i}")),
            ])
            .ignore();
        if i % 5 == 0 {
            p.cmd("PEXPIRE")
                .arg(format!("hash:{i}"))
                .arg(86_400_000)
                .ignore();
        }
        if i % 2 == 0 {
            for e in 0..3 {
                p.cmd("XADD")
                    .arg(format!("stream:{i}"))
                    .arg(format!("{}-{e}", 1_000 + i))
                    .arg(&[("bid", e.to_string()), ("ask", (e + 1).to_string())])
                    .ignore();
            }
        }
        if p.len() > 5000 {
            let () = p.query_async(&mut c).await.unwrap();
            p = redis::pipe();
        }
    }
    // Big values: more than one window (1000 elements) each.
    p.cmd("RPUSH")
        .arg("big:list")
        .arg((0..2500).collect::<Vec<_>>())
        .ignore();
    p.cmd("HSET")
        .arg("big:hash")
        .arg(
            (0..2500)
                .map(|i| (format!("f{i}"), format!("v{i}")))
                .collect::<Vec<_>>(),
        )
        .ignore();
    p.cmd("SADD")
        .arg("big:set")
        .arg((0..2500).map(|i| format!("s{i}")).collect::<Vec<_>>())
        .ignore();
    p.cmd("ZADD")
        .arg("big:zset")
        .arg((0..2500).map(|i| (i, format!("z{i}"))).collect::<Vec<_>>())
        .ignore();
    p.cmd("ZADD")
        .arg("big:zset")
        .arg("+inf")
        .arg("top")
        .ignore();
    for i in 1..=2500 {
        p.cmd("XADD")
            .arg("big:stream")
            .arg(format!("{i}-0"))
            .arg("n")
            .arg(i)
            .ignore();
    }
    p.cmd("XGROUP")
        .arg("CREATE")
        .arg("big:stream")
        .arg("readers")
        .arg("0")
        .ignore();
    p.cmd("XREADGROUP")
        .arg("GROUP")
        .arg("readers")
        .arg("r1")
        .arg("COUNT")
        .arg(2)
        .arg("STREAMS")
        .arg("big:stream")
        .arg(">")
        .ignore();
    p.cmd("XDEL").arg("big:stream").arg("7-0").ignore();
    p.cmd("SET")
        .arg("big:string")
        .arg("s".repeat(300_000))
        .ignore();
    let () = p.query_async(&mut c).await.unwrap();
}

async fn dbsize(url: &str) -> u64 {
    let mut c = api::raw_conn(url).await;
    redis::cmd("DBSIZE").query_async(&mut c).await.unwrap()
}

/// Every key of a single server.
async fn all_keys(url: &str) -> Vec<Vec<u8>> {
    let mut c = api::raw_conn(url).await;
    let mut keys = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, page): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut c)
            .await
            .unwrap();
        keys.extend(page);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    keys
}

/// DUMP and PTTL of `keys` on a connection.
async fn dumps<C: redis::aio::ConnectionLike>(
    c: &mut C,
    keys: &[Vec<u8>],
) -> Vec<(Option<Vec<u8>>, i64)> {
    let mut out = Vec::new();
    for chunk in keys.chunks(1000) {
        let mut p = redis::pipe();
        for k in chunk {
            p.cmd("DUMP").arg(k).cmd("PTTL").arg(k);
        }
        let r: Vec<(Option<Vec<u8>>, i64)> = p.query_async(c).await.unwrap();
        out.extend(r);
    }
    out
}

/// Asserts both sides hold every key of `keys` with the same DUMP payload and expiry. A set or
/// hash in the `hashtable` encoding is serialised in its table's order, which follows each
/// server's random hash seed; for those the encoding and the members must be the same instead.
async fn assert_same<A, B>(keys: &[Vec<u8>], a: &mut A, b: &mut B)
where
    A: redis::aio::ConnectionLike + Send,
    B: redis::aio::ConnectionLike + Send,
{
    let da = dumps(a, keys).await;
    let db = dumps(b, keys).await;
    let (mut with_ttl, mut by_members) = (0, 0);
    for ((k, (pa, ta)), (pb, tb)) in keys.iter().zip(&da).zip(&db) {
        let name = String::from_utf8_lossy(k);
        assert!(pa.is_some(), "{name} missing on the source");
        if pa != pb {
            let enc = |v: &Option<Vec<u8>>| v.as_ref().map(|p| p[0]);
            assert_eq!(enc(pa), enc(pb), "{name}: another type or encoding");
            let ea: String = redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(k)
                .query_async(a)
                .await
                .unwrap();
            let eb: String = redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(k)
                .query_async(b)
                .await
                .unwrap();
            assert_eq!(
                (ea.as_str(), eb.as_str()),
                ("hashtable", "hashtable"),
                "DUMP of {name} differs"
            );
            assert_eq!(value_of(a, k).await, value_of(b, k).await, "{name}");
            by_members += 1;
        }
        if *ta >= 0 {
            with_ttl += 1;
            assert!((ta - tb).abs() < 2_000, "{name}: PTTL {ta} vs {tb}");
        } else {
            assert_eq!(*tb, -1, "{name} gained a TTL");
        }
    }
    assert!(with_ttl > 0, "the data has expiring keys");
    assert!(
        by_members < keys.len() / 5,
        "most keys compare by DUMP ({by_members} by members)"
    );
}

async fn job(api: &Api, path: &str, body: Value) -> Value {
    let (st, started) = api.post(path, body).await;
    assert_eq!(st, 200, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    api.poll(&format!("/api/transfer/jobs/{id}"), WAIT, |j| {
        j["state"] != "running"
    })
    .await
}

async fn export(api: &Api, body: Value) -> Value {
    let j = job(api, "/api/export", body).await;
    assert_eq!(j["state"], "done", "{j}");
    j
}

async fn import(api: &Api, body: Value) -> Value {
    job(api, "/api/import", body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dump_round_trip_is_exact_and_policies_hold() {
    let dir = export_dir();
    let n = key_count();
    let source = RedisServer::start().unwrap();
    let target = RedisServer::start().unwrap();
    seed(&source.url(), n).await;
    let total = dbsize(&source.url()).await;
    let from = Api::start(source.config(), true).await; // exports work read-only
    let to = Api::start(target.config(), false).await;

    let e = export(&from, json!({"format": "dump", "file": "all.rsdump"})).await;
    assert_eq!(e["keys"], total, "{e}");
    assert_eq!(e["gone"], 0);
    let size = std::fs::metadata(dir.join("all.rsdump")).unwrap().len();
    assert_eq!(e["done_bytes"], size);
    let (st, files) = from.get("/api/transfer/files").await;
    assert_eq!(st, 200);
    let listed = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "all.rsdump")
        .unwrap();
    assert_eq!(
        (listed["format"].as_str(), listed["bytes"].as_u64()),
        (Some("dump"), Some(size))
    );
    // The same name again is refused unless overwritten.
    let (st, err) = from
        .post("/api/export", json!({"file": "all.rsdump"}))
        .await;
    assert_eq!(st, 409, "{err}");

    // A dry run counts and writes nothing.
    let dry = import(&to, json!({"file": "all.rsdump", "dry_run": true})).await;
    assert_eq!(
        (dry["state"].as_str(), dry["keys"].as_u64()),
        (Some("done"), Some(total)),
        "{dry}"
    );
    assert_eq!(dry["conflicts"], 0);
    assert_eq!(dbsize(&target.url()).await, 0);

    let i = import(&to, json!({"file": "all.rsdump", "policy": "skip"})).await;
    assert_eq!(i["state"], "done", "{i}");
    assert_eq!(
        (i["keys"].as_u64(), i["errors"].as_u64()),
        (Some(total), Some(0)),
        "{i}"
    );
    assert_eq!(
        i["source_version"].as_str().map(|v| !v.is_empty()),
        Some(true)
    );
    let keys = all_keys(&source.url()).await;
    assert_eq!(keys.len() as u64, total);
    let mut a = api::raw_conn(&source.url()).await;
    let mut b = api::raw_conn(&target.url()).await;
    assert_same(&keys, &mut a, &mut b).await;

    // skip: changed keys stay as they are; fail: nothing is written when any key exists;
    // replace: every key is put back.
    let () = redis::cmd("SET")
        .arg("str:1")
        .arg("changed")
        .query_async(&mut b)
        .await
        .unwrap();
    let () = redis::cmd("DEL")
        .arg("str:2")
        .query_async(&mut b)
        .await
        .unwrap();
    let skip = import(&to, json!({"file": "all.rsdump", "policy": "skip"})).await;
    assert_eq!(
        (skip["keys"].as_u64(), skip["skipped"].as_u64()),
        (Some(1), Some(total - 1)),
        "{skip}"
    );
    let v: String = redis::cmd("GET")
        .arg("str:1")
        .query_async(&mut b)
        .await
        .unwrap();
    assert_eq!(v, "changed");
    let () = redis::cmd("DEL")
        .arg("str:2")
        .query_async(&mut b)
        .await
        .unwrap();
    let fail = import(&to, json!({"file": "all.rsdump", "policy": "fail"})).await;
    assert_eq!(fail["state"], "failed", "{fail}");
    assert!(
        fail["error"]
            .as_str()
            .unwrap()
            .contains("nothing was imported"),
        "{fail}"
    );
    let gone: bool = redis::cmd("EXISTS")
        .arg("str:2")
        .query_async(&mut b)
        .await
        .unwrap();
    assert!(!gone, "policy fail wrote a key");
    let dry = import(
        &to,
        json!({"file": "all.rsdump", "policy": "replace", "dry_run": true}),
    )
    .await;
    assert_eq!(
        (dry["keys"].as_u64(), dry["replaced"].as_u64()),
        (Some(total), Some(total - 1)),
        "{dry}"
    );
    let rep = import(&to, json!({"file": "all.rsdump", "policy": "replace"})).await;
    assert_eq!(
        (rep["keys"].as_u64(), rep["replaced"].as_u64()),
        (Some(total), Some(total - 1)),
        "{rep}"
    );
    assert_same(&keys, &mut a, &mut b).await;

    // Read-only: an import is refused before it starts; a dry run is allowed.
    let ro = Api::start(target.config(), true).await;
    let (st, err) = ro.post("/api/import", json!({"file": "all.rsdump"})).await;
    assert_eq!(
        (st, err["code"].as_str()),
        (403, Some("read_only")),
        "{err}"
    );
    let dry = import(&ro, json!({"file": "all.rsdump", "dry_run": true})).await;
    assert_eq!(dry["conflicts"], total);

    // A cut file is refused with a clear error (after what came before it).
    let bytes = std::fs::read(dir.join("all.rsdump")).unwrap();
    std::fs::write(dir.join("cut.rsdump"), &bytes[..bytes.len() / 2]).unwrap();
    let cut = import(&ro, json!({"file": "cut.rsdump", "dry_run": true})).await;
    assert_eq!(cut["state"], "failed");
    assert!(
        cut["error"].as_str().unwrap().contains("cut short"),
        "{cut}"
    );
    // Names, not paths.
    let (st, _) = to
        .post("/api/import", json!({"file": "../all.rsdump"}))
        .await;
    assert_eq!(st, 400);

    // A selection and a prefix export just those keys.
    let sel = export(
        &from,
        json!({"file": "sel.rsdump", "keys": [{"key": "str:1"}, {"key_b64": api::b64(b"bin:\xff\x000")}, {"key": "nope"}]}),
    )
    .await;
    assert_eq!(
        (sel["keys"].as_u64(), sel["gone"].as_u64()),
        (Some(2), Some(1)),
        "{sel}"
    );
    let pre = export(&from, json!({"file": "big.rsdump", "prefix": "big:"})).await;
    assert_eq!(pre["keys"], 6, "{pre}");
}

/// Type and value of a key, in a form equal for equal values (hash fields and set members sorted).
async fn value_of<C: redis::aio::ConnectionLike + Send>(c: &mut C, key: &[u8]) -> (String, Vec<R>) {
    let t: String = redis::cmd("TYPE").arg(key).query_async(c).await.unwrap();
    let v: R = match t.as_str() {
        "string" => redis::cmd("GET").arg(key).query_async(c).await.unwrap(),
        "list" => redis::cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query_async(c)
            .await
            .unwrap(),
        "hash" => redis::cmd("HGETALL").arg(key).query_async(c).await.unwrap(),
        "set" => redis::cmd("SMEMBERS")
            .arg(key)
            .query_async(c)
            .await
            .unwrap(),
        "zset" => redis::cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(c)
            .await
            .unwrap(),
        "stream" => redis::cmd("XRANGE")
            .arg(key)
            .arg("-")
            .arg("+")
            .query_async(c)
            .await
            .unwrap(),
        other => panic!("unexpected type {other}"),
    };
    let mut items = match v {
        R::Array(a) => a,
        R::Map(m) => m.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        R::Set(s) => s,
        other => vec![other],
    };
    match t.as_str() {
        "hash" => {
            let mut pairs: Vec<(String, String)> = items
                .chunks(2)
                .map(|p| (format!("{:?}", p[0]), format!("{:?}", p[1])))
                .collect();
            pairs.sort();
            items = pairs
                .into_iter()
                .flat_map(|(a, b)| [R::SimpleString(a), R::SimpleString(b)])
                .collect();
        }
        "set" => items.sort_by_key(|x| format!("{x:?}")),
        _ => {}
    }
    (t, items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_load_with_redis_cli_pipe_and_people_formats_hold_every_element() {
    let dir = export_dir();
    let source = RedisServer::start().unwrap();
    let piped = RedisServer::start().unwrap();
    let imported = RedisServer::start().unwrap();
    seed(&source.url(), 2_000).await;
    let from = Api::start(source.config(), false).await;
    let e = export(&from, json!({"format": "commands", "file": "all.resp"})).await;
    let total = dbsize(&source.url()).await;
    assert_eq!(e["keys"], total, "{e}");

    // redis-cli --pipe takes the file as it is.
    let file = std::fs::File::open(dir.join("all.resp")).unwrap();
    let out = std::process::Command::new(redis_cli_binary())
        .args(["-p", &piped.port().to_string(), "--pipe"])
        .stdin(file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("errors: 0"), "{said}");
    // And so does our import.
    let to = Api::start(imported.config(), false).await;
    let i = import(&to, json!({"file": "all.resp"})).await;
    assert_eq!(
        (
            i["state"].as_str(),
            i["keys"].as_u64(),
            i["errors"].as_u64()
        ),
        (Some("done"), Some(total), Some(0)),
        "{i}"
    );

    let keys = all_keys(&source.url()).await;
    let mut a = api::raw_conn(&source.url()).await;
    let mut p = api::raw_conn(&piped.url()).await;
    let mut b = api::raw_conn(&imported.url()).await;
    for k in &keys {
        let want = value_of(&mut a, k).await;
        assert_eq!(
            value_of(&mut p, k).await,
            want,
            "{}",
            String::from_utf8_lossy(k)
        );
        assert_eq!(
            value_of(&mut b, k).await,
            want,
            "{}",
            String::from_utf8_lossy(k)
        );
        let ta: i64 = redis::cmd("PTTL").arg(k).query_async(&mut a).await.unwrap();
        let tb: i64 = redis::cmd("PTTL").arg(k).query_async(&mut b).await.unwrap();
        assert_eq!(ta >= 0, tb >= 0, "{}", String::from_utf8_lossy(k));
    }
    // Policy skip on the second import: everything exists.
    let again = import(&to, json!({"file": "all.resp", "dry_run": true})).await;
    assert_eq!(
        (again["keys"].as_u64(), again["conflicts"].as_u64()),
        (Some(0), Some(total)),
        "{again}"
    );

    // A command file with anything but data commands is refused by name; nothing runs.
    let mut evil = Vec::new();
    evil.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$4\r\nsafe\r\n$1\r\n1\r\n");
    evil.extend_from_slice(b"*1\r\n$8\r\nFLUSHALL\r\n");
    std::fs::write(dir.join("evil.resp"), evil).unwrap();
    let bad = import(&to, json!({"file": "evil.resp"})).await;
    assert_eq!(bad["state"], "failed");
    assert!(bad["error"].as_str().unwrap().contains("FLUSHALL"), "{bad}");
    assert_eq!(dbsize(&imported.url()).await, total, "nothing was flushed");

    // JSON lines: one object per key with its whole value (windows joined).
    let j = export(
        &from,
        json!({"format": "jsonl", "prefix": "big:", "file": "big.jsonl"}),
    )
    .await;
    assert_eq!(j["keys"], 6);
    let text = std::fs::read_to_string(dir.join("big.jsonl")).unwrap();
    let lines: BTreeMap<String, Value> = text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["key"].as_str().unwrap().to_string(), v)
        })
        .collect();
    assert_eq!(lines["big:list"]["value"].as_array().unwrap().len(), 2500);
    assert_eq!(lines["big:hash"]["value"].as_object().unwrap().len(), 2500);
    assert_eq!(lines["big:hash"]["value"]["f2499"], "v2499");
    assert_eq!(lines["big:set"]["value"].as_array().unwrap().len(), 2500);
    let z = lines["big:zset"]["value"].as_array().unwrap();
    assert_eq!((z.len(), &z[2500]), (2501, &json!(["top", "inf"])));
    assert_eq!(lines["big:stream"]["value"].as_array().unwrap().len(), 2499);
    assert_eq!(
        lines["big:string"]["value"].as_str().unwrap().len(),
        300_000
    );

    // CSV: one row per element.
    let c = export(
        &from,
        json!({"format": "csv", "keys": [{"key": "big:hash"}, {"key": "hash:5"}], "file": "h.csv"}),
    )
    .await;
    assert_eq!(c["keys"], 2);
    let mut r = csv::Reader::from_path(dir.join("h.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 2503);
    let row = rows
        .iter()
        .find(|r| &r[0] == "hash:5" && &r[3] == "a")
        .unwrap();
    assert_eq!((&row[1], &row[4]), ("hash", "5"));
    assert!(
        row[2].parse::<u64>().unwrap() > 80_000_000,
        "hash:5 expires in a day"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_exports_every_master_and_imports_by_slot() {
    let dir = export_dir();
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap()
        .unwrap();
    let single = RedisServer::start().unwrap();
    let api = Api::start(cluster.config(), false).await;
    let conn = redscope::conn::Conn::connect(&cluster.config())
        .await
        .unwrap();
    let mut c = conn.clone();
    let mut p = redis::pipe();
    for i in 0..3000 {
        p.cmd("SET").arg(format!("c:{i}")).arg(i).ignore();
        p.cmd("HSET")
            .arg(format!("h:{{{i}}}"))
            .arg("f")
            .arg(i)
            .ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();
    let e = export(&api, json!({"file": "cluster.rsdump"})).await;
    assert_eq!(e["keys"], 6000, "{e}");
    // Into a single server, and back into the emptied cluster.
    let one = Api::start(single.config(), false).await;
    let i = import(&one, json!({"file": "cluster.rsdump"})).await;
    assert_eq!(i["keys"], 6000, "{i}");
    let keys = all_keys(&single.url()).await;
    let mut s = api::raw_conn(&single.url()).await;
    let want = dumps(&mut s, &keys).await;
    for m in conn.masters().await.unwrap() {
        let mut mc = m.conn.clone();
        let () = redis::cmd("FLUSHALL").query_async(&mut mc).await.unwrap();
    }
    let back = import(&api, json!({"file": "cluster.rsdump"})).await;
    assert_eq!(
        (back["keys"].as_u64(), back["errors"].as_u64()),
        (Some(6000), Some(0)),
        "{back}"
    );
    let mut c = conn.clone();
    let mut got = Vec::new();
    for k in &keys {
        let d: Option<Vec<u8>> = redis::cmd("DUMP").arg(k).query_async(&mut c).await.unwrap();
        got.push(d);
    }
    assert_eq!(got, want.into_iter().map(|(d, _)| d).collect::<Vec<_>>());
    assert!(dir.join("cluster.rsdump").exists());

    // A stream range is read from the master that owns the stream.
    let mut c = conn.clone();
    for i in 1..=2500u64 {
        let () = redis::cmd("XADD")
            .arg("c:stream")
            .arg(format!("{i}-1"))
            .arg("v")
            .arg(i)
            .query_async(&mut c)
            .await
            .map(|_: String| ())
            .unwrap();
    }
    let j = job(
        &api,
        "/api/stream/export",
        json!({"key": "c:stream", "start": "100", "file": "cluster-stream.jsonl"}),
    )
    .await;
    assert_eq!(
        (j["state"].as_str(), j["entries"].as_u64()),
        (Some("done"), Some(2401)),
        "{j}"
    );
    let ids: Vec<String> = std::fs::read_to_string(dir.join("cluster-stream.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .into()
        })
        .collect();
    let want: Vec<String> = (100..=2500).map(|i| format!("{i}-1")).collect();
    assert_eq!(ids, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_export_leaves_no_file() {
    let dir = export_dir();
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    for chunk in 0..20 {
        let mut p = redis::pipe();
        for i in 0..10_000 {
            p.cmd("SET")
                .arg(format!("k:{chunk}:{i}"))
                .arg("x".repeat(100))
                .ignore();
        }
        let () = p.query_async(&mut c).await.unwrap();
    }
    let api = Api::start(redis.config(), false).await;
    let (st, started) = api
        .post(
            "/api/export",
            json!({"format": "jsonl", "file": "cancel.jsonl"}),
        )
        .await;
    assert_eq!(st, 200, "{started}");
    let id = started["id"].as_str().unwrap();
    let (st, _) = api
        .call("DELETE", &format!("/api/transfer/jobs/{id}"), None)
        .await;
    assert_eq!(st, 200);
    let j = api
        .poll(&format!("/api/transfer/jobs/{id}"), WAIT, |j| {
            j["state"] != "running"
        })
        .await;
    assert_eq!(j["state"], "cancelled", "{j}");
    assert!(!dir.join("cancel.jsonl").exists());
    assert!(
        !dir.join(".cancel.jsonl.part").exists(),
        "the partial file is removed"
    );
}

/// Downloads a file of the export directory part by part, as the UI does.
async fn download(api: &Api, name: &str, part: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let (st, p) = api
            .get(&format!(
                "/api/transfer/files/{name}?offset={}&len={part}",
                out.len()
            ))
            .await;
        assert_eq!(st, 200, "{p}");
        out.extend(api::unb64(p["b64"].as_str().unwrap()));
        assert_eq!(
            p["total"],
            json!(std::fs::metadata(export_dir().join(name)).unwrap().len())
        );
        if p["eof"] == json!(true) {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_out_and_back_in_parts_and_imports_exactly() {
    let dir = export_dir();
    let source = RedisServer::start().unwrap();
    let target = RedisServer::start().unwrap();
    seed(&source.url(), 2_000).await;
    let from = Api::start(source.config(), false).await;
    let to = Api::start(target.config(), false).await;
    export(&from, json!({"format": "dump", "file": "parts.rsdump"})).await;

    // Downloaded in 64 KiB parts: the bytes of the file.
    let bytes = download(&from, "parts.rsdump", 64 << 10).await;
    assert_eq!(bytes, std::fs::read(dir.join("parts.rsdump")).unwrap());
    assert!(
        bytes.len() > 3 * (64 << 10),
        "several parts: {}",
        bytes.len()
    );

    // Uploaded under another name in 1 MiB parts (the most a part may carry).
    let chunks: Vec<&[u8]> = bytes.chunks(1 << 20).collect();
    let mut offset = 0u64;
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        if i == 1 {
            // A part at the wrong offset is refused and loses nothing.
            let (st, e) = to
                .post(
                    "/api/transfer/files/uploaded.rsdump",
                    json!({"name": "uploaded.rsdump", "offset": offset + 1, "b64": api::b64(chunk)}),
                )
                .await;
            assert_eq!(
                (st, e["code"].as_str()),
                (400, Some("invalid_input")),
                "{e}"
            );
            assert!(
                e["message"].as_str().unwrap().contains(&offset.to_string()),
                "{e}"
            );
        }
        if !last {
            // Not listed (nor importable) before its last part.
            let (_, files) = to.get("/api/transfer/files").await;
            assert!(!files.to_string().contains("uploaded.rsdump"), "{files}");
        }
        let (st, w) = to
            .post(
                "/api/transfer/files/uploaded.rsdump",
                json!({"name": "uploaded.rsdump", "offset": offset, "b64": api::b64(chunk), "last": last}),
            )
            .await;
        assert_eq!(st, 200, "{w}");
        offset += chunk.len() as u64;
        assert_eq!(
            (w["received"].as_u64(), w["complete"].as_bool()),
            (Some(offset), Some(last))
        );
    }
    assert_eq!(std::fs::read(dir.join("uploaded.rsdump")).unwrap(), bytes);
    let (_, files) = to.get("/api/transfer/files").await;
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "uploaded.rsdump" && f["format"] == "dump"),
        "{files}"
    );

    // Uploading over an existing file needs overwrite; a part over 1 MiB is refused.
    let (st, e) = to
        .post(
            "/api/transfer/files/uploaded.rsdump",
            json!({"name": "uploaded.rsdump", "offset": 0, "b64": "eA"}),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (409, Some("confirmation_required")),
        "{e}"
    );
    let (st, e) = to
        .post(
            "/api/transfer/files/big.bin",
            json!({"name": "big.bin", "offset": 0, "b64": api::b64(&vec![7u8; (1 << 20) + 1])}),
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (400, Some("invalid_input")),
        "{e}"
    );

    // The uploaded file imports exactly.
    let j = import(&to, json!({"file": "uploaded.rsdump", "policy": "fail"})).await;
    assert_eq!(j["state"], "done", "{j}");
    let keys = all_keys(&source.url()).await;
    let mut a = api::raw_conn(&source.url()).await;
    let mut b = api::raw_conn(&target.url()).await;
    assert_same(&keys, &mut a, &mut b).await;

    // Read-only: downloads work, uploads are refused.
    let ro = Api::start(target.config(), true).await;
    assert_eq!(download(&ro, "uploaded.rsdump", 4 << 20).await, bytes);
    let (st, e) = ro
        .post(
            "/api/transfer/files/ro.bin",
            json!({"name": "ro.bin", "offset": 0, "b64": "eA", "last": true}),
        )
        .await;
    assert_eq!((st, e["code"].as_str()), (403, Some("read_only")), "{e}");
    assert!(!dir.join("ro.bin").exists());
}

/// One stream entry as XRANGE gives it: id and field/value pairs in order.
type Entry = (String, Vec<(Vec<u8>, Vec<u8>)>);

/// `XRANGE key start end` read straight from Redis (no Redscope code), for comparing files.
async fn xrange(url: &str, key: &[u8], start: &str, end: &str) -> Vec<Entry> {
    let mut c = api::raw_conn(url).await;
    let reply: R = redis::cmd("XRANGE")
        .arg(key)
        .arg(start)
        .arg(end)
        .query_async(&mut c)
        .await
        .unwrap();
    let bulk = |v: &R| match v {
        R::BulkString(b) => b.clone(),
        other => panic!("not a bulk string: {other:?}"),
    };
    let R::Array(items) = reply else {
        panic!("XRANGE answered {reply:?}")
    };
    items
        .iter()
        .map(|e| {
            let R::Array(parts) = e else { panic!("{e:?}") };
            let fields = match &parts[1] {
                R::Array(kv) => kv.chunks(2).map(|p| (bulk(&p[0]), bulk(&p[1]))).collect(),
                R::Map(kv) => kv.iter().map(|(k, v)| (bulk(k), bulk(v))).collect(),
                other => panic!("{other:?}"),
            };
            (String::from_utf8(bulk(&parts[0])).unwrap(), fields)
        })
        .collect()
}

/// A JSON lines name or value back to bytes: a string, or `{"b64": …}`.
fn json_to_bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => api::unb64(o["b64"].as_str().unwrap()),
        other => panic!("neither text nor base64: {other}"),
    }
}

/// A stream with binary field names and values, a repeated field, text needing CSV quotes, and
/// a few 3 MiB values (so pages shrink); ids `BASE+i/2 - i%2`.
async fn seed_stream(url: &str, key: &[u8], n: usize) {
    let mut c = api::raw_conn(url).await;
    let mut p = redis::pipe();
    for i in 0..n {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(key)
            .arg(format!("{}-{}", STREAM_BASE + (i / 2) as u64, i % 2))
            .arg("n")
            .arg(i)
            .arg(b"\xfe\x00name")
            .arg(vec![0xff, (i % 256) as u8, 0]);
        if i % 3 == 0 {
            cmd.arg("note").arg(format!("say \"hi\", {i}\nbye"));
        }
        if i % 5 == 0 {
            cmd.arg("n").arg("again");
        }
        if i % 1000 == 7 {
            cmd.arg("big").arg(vec![b'x'; 3 << 20]);
        }
        p.add_command(cmd).ignore();
        if p.len() >= 500 {
            let () = p.query_async(&mut c).await.unwrap();
            p = redis::pipe();
        }
    }
    if !p.is_empty() {
        let () = p.query_async(&mut c).await.unwrap();
    }
}

const STREAM_BASE: u64 = 1_700_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_range_exports_to_json_lines_entry_by_entry() {
    let dir = export_dir();
    let redis = RedisServer::start().unwrap();
    let key = b"orders:\xff:stream".to_vec();
    seed_stream(&redis.url(), &key, 5000).await;
    let api = Api::start(redis.config(), false).await;
    let (start, end) = (
        format!("{}-1", STREAM_BASE + 50),
        format!("{}", STREAM_BASE + 2000),
    );
    let want = xrange(&redis.url(), &key, &start, &end).await;
    assert!(want.len() > 3000, "most of the stream is in the range");
    let j = job(
        &api,
        "/api/stream/export",
        json!({"key_b64": api::b64(&key), "start": start, "end": end, "format": "jsonl", "file": "range.jsonl"}),
    )
    .await;
    assert_eq!(j["state"], "done", "{j}");
    assert_eq!(j["entries"], json!(want.len()), "{j}");
    let expected = j["expected"].as_u64().unwrap() as f64;
    assert!(
        (expected - want.len() as f64).abs() <= want.len() as f64 / 10.0,
        "the progress bar's estimate {expected} is near the {} entries of the range",
        want.len()
    );
    assert_eq!(j["stream"]["key"]["b64"], json!(api::b64(&key)));
    let text = std::fs::read_to_string(dir.join("range.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), want.len());
    for (line, (id, fields)) in lines.iter().zip(&want) {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["id"].as_str(), Some(id.as_str()));
        assert_eq!(
            v["time_ms"].as_u64(),
            id.split('-').next().unwrap().parse::<u64>().ok()
        );
        let got: Vec<(Vec<u8>, Vec<u8>)> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (json_to_bytes(&p[0]), json_to_bytes(&p[1])))
            .collect();
        assert_eq!(&got, fields, "entry {id}");
    }
    // The file is listed (and downloadable) with the other exports.
    let (_, files) = api.get("/api/transfer/files").await;
    assert!(
        files["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "range.jsonl" && f["format"] == "jsonl"),
        "{files}"
    );
    assert_eq!(
        download(&api, "range.jsonl", 1 << 20).await,
        text.as_bytes()
    );

    // A count caps the range from its start; a UTC time is a bound like its millisecond.
    let j = job(
        &api,
        "/api/stream/export",
        json!({"key_b64": api::b64(&key), "start": "2023-11-14T22:13:20.003Z", "count": 7, "file": "first7.jsonl"}),
    )
    .await;
    assert_eq!(
        (j["state"].as_str(), j["entries"].as_u64()),
        (Some("done"), Some(7)),
        "{j}"
    );
    let ids: Vec<String> = std::fs::read_to_string(dir.join("first7.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let want: Vec<String> = xrange(&redis.url(), &key, &format!("{}", STREAM_BASE + 3), "+")
        .await
        .into_iter()
        .take(7)
        .map(|e| e.0)
        .collect();
    assert_eq!(ids, want);

    // Refusals: no such key, another type, a bad bound or format, an existing file.
    let mut c = api::raw_conn(&redis.url()).await;
    let () = redis::cmd("HSET")
        .arg("a:hash")
        .arg("f")
        .arg("v")
        .query_async(&mut c)
        .await
        .unwrap();
    for (body, status, code) in [
        (json!({"key": "missing"}), 404, "not_found"),
        (json!({"key": "a:hash"}), 400, "invalid_input"),
        (
            json!({"key_b64": api::b64(&key), "start": "yesterday"}),
            400,
            "invalid_input",
        ),
        (
            json!({"key_b64": api::b64(&key), "format": "dump"}),
            400,
            "invalid_input",
        ),
        (
            json!({"key_b64": api::b64(&key), "file": "range.jsonl"}),
            409,
            "confirmation_required",
        ),
    ] {
        let (st, e) = api.post("/api/stream/export", body.clone()).await;
        assert_eq!(
            (st, e["code"].as_str()),
            (status, Some(code)),
            "{body}: {e}"
        );
        if body["key"] == "a:hash" {
            assert!(
                e["message"]
                    .as_str()
                    .unwrap()
                    .contains("is a hash, not a stream"),
                "{e}"
            );
        }
    }

    // Read-only mode allows it, as it allows key exports (it only reads Redis).
    let ro = Api::start(redis.config(), true).await;
    let j = job(
        &ro,
        "/api/stream/export",
        json!({"key_b64": api::b64(&key), "end": format!("{}", STREAM_BASE), "file": "ro.jsonl"}),
    )
    .await;
    assert_eq!(
        (j["state"].as_str(), j["entries"].as_u64()),
        (Some("done"), Some(2)),
        "{j}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_range_exports_to_csv_with_a_column_per_field() {
    let dir = export_dir();
    let redis = RedisServer::start().unwrap();
    let key = b"ticks".to_vec();
    seed_stream(&redis.url(), &key, 3000).await;
    let api = Api::start(redis.config(), false).await;
    let j = job(
        &api,
        "/api/stream/export",
        json!({"key": "ticks", "start": "-", "end": "+", "format": "csv", "file": "ticks.csv"}),
    )
    .await;
    assert_eq!(
        (j["state"].as_str(), j["entries"].as_u64()),
        (Some("done"), Some(3000)),
        "{j}"
    );
    assert!(
        !dir.join(".ticks.csv.rows").exists(),
        "the spool is removed"
    );
    let want = xrange(&redis.url(), &key, "-", "+").await;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(dir.join("ticks.csv"))
        .unwrap();
    let mut rows = r.byte_records().map(|r| r.unwrap());
    let header: Vec<Vec<u8>> = rows.next().unwrap().iter().map(|c| c.to_vec()).collect();
    let cell = |b: &[u8]| -> Vec<u8> {
        match b.strip_prefix(b"b64:") {
            Some(rest) => api::unb64(std::str::from_utf8(rest).unwrap()),
            None => b.to_vec(),
        }
    };
    let header: Vec<Vec<u8>> = header.iter().map(|h| cell(h)).collect();
    // First appearance order; `n` repeats within an entry, so it has a second column.
    assert_eq!(
        header,
        [
            &b"id"[..],
            b"time_ms",
            b"n",
            b"\xfe\x00name",
            b"note",
            b"n",
            b"big"
        ]
        .map(|h| h.to_vec())
        .to_vec()
    );
    let mut count = 0;
    for (row, (id, fields)) in rows.by_ref().zip(&want) {
        count += 1;
        assert_eq!(&row[0], id.as_bytes());
        assert_eq!(&row[1], id.split('-').next().unwrap().as_bytes());
        // Each field in the n-th column of its name, the other cells empty.
        let mut expected: Vec<Vec<u8>> = vec![Vec::new(); header.len() - 2];
        let mut seen: BTreeMap<&[u8], usize> = BTreeMap::new();
        for (f, v) in fields {
            let nth = seen.entry(f).or_insert(0);
            let col = header[2..]
                .iter()
                .enumerate()
                .filter(|(_, h)| h.as_slice() == f.as_slice())
                .nth(*nth)
                .unwrap()
                .0;
            *nth += 1;
            expected[col] = v.clone();
        }
        let got: Vec<Vec<u8>> = row.iter().skip(2).map(cell).collect();
        assert_eq!(got, expected, "entry {id}");
    }
    assert_eq!((count, rows.next().is_none()), (want.len(), true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_stream_export_leaves_no_file() {
    let dir = export_dir();
    let redis = RedisServer::start().unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    for chunk in 0..20 {
        let mut p = redis::pipe();
        for i in 0..10_000 {
            p.cmd("XADD")
                .arg("big:stream")
                .arg(format!("{}-{i}", chunk + 1))
                .arg("v")
                .arg("x".repeat(100))
                .ignore();
        }
        let () = p.query_async(&mut c).await.unwrap();
    }
    let api = Api::start(redis.config(), false).await;
    for (format, file) in [("jsonl", "cancel.s.jsonl"), ("csv", "cancel.s.csv")] {
        let (st, started) = api
            .post(
                "/api/stream/export",
                json!({"key": "big:stream", "format": format, "file": file}),
            )
            .await;
        assert_eq!(st, 200, "{started}");
        assert_eq!(started["expected"], 200_000);
        let id = started["id"].as_str().unwrap();
        let (st, _) = api
            .call("DELETE", &format!("/api/transfer/jobs/{id}"), None)
            .await;
        assert_eq!(st, 200);
        let j = api
            .poll(&format!("/api/transfer/jobs/{id}"), WAIT, |j| {
                j["state"] != "running"
            })
            .await;
        assert_eq!(j["state"], "cancelled", "{j}");
        for left in [
            file.to_string(),
            format!(".{file}.part"),
            format!(".{file}.rows"),
        ] {
            assert!(!dir.join(&left).exists(), "{left} is removed");
        }
    }
}
