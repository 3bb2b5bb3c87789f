//! Memory analysis over HTTP on a real server: a full run agrees with `redis-cli --memkeys` and
//! `--bigkeys` on the same data (per-type counts, bytes, elements and the biggest keys), splits
//! namespaces on the separator at every depth, spreads TTLs into buckets; a sample says it is
//! extrapolated; a run can be cancelled; runs are saved and compared (what grew); a dead server
//! is an error, not a job.

mod api;

use std::collections::BTreeMap;
use std::time::Duration;

use api::Api;
use redscope_testing::{redis_cli_binary, RedisServer};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(60);

/// Strings, hashes (listpack and hashtable), lists, sets (intset and hashtable), sorted sets and a
/// stream, in namespaces two and three deep, with TTLs in every bucket.
async fn seed(url: &str) {
    let mut c = api::raw_conn(url).await;
    let mut p = redis::pipe();
    for i in 0..400 {
        p.cmd("SET")
            .arg(format!("market:ticker:binance:S{i}"))
            .arg("x".repeat(20 + i % 50))
            .ignore();
    }
    for i in 0..200 {
        p.cmd("SET")
            .arg(format!("market:ticker:kraken:S{i}"))
            .arg(i)
            .arg("PX")
            .arg(30_000) // < 1 min
            .ignore();
    }
    for i in 0..50 {
        p.cmd("HSET")
            .arg(format!("session:{i}"))
            .arg("user")
            .arg(i)
            .arg("theme")
            .arg("dark")
            .ignore();
        p.cmd("EXPIRE")
            .arg(format!("session:{i}"))
            .arg(1800)
            .ignore(); // < 1 h
    }
    let big_hash: Vec<(String, String)> = (0..600)
        .map(|i| (format!("f{i}"), "v".repeat(70)))
        .collect();
    p.cmd("HSET").arg("features:big").arg(&big_hash).ignore();
    p.cmd("EXPIRE").arg("features:big").arg(36_000).ignore(); // < 1 d
    for i in 0..30 {
        p.cmd("RPUSH")
            .arg(format!("signals:momentum:{i}"))
            .arg((0..(i + 1)).collect::<Vec<_>>())
            .ignore();
        p.cmd("EXPIRE")
            .arg(format!("signals:momentum:{i}"))
            .arg(7 * 86_400) // later
            .ignore();
    }
    p.cmd("SADD")
        .arg("strategies:ints")
        .arg((0..100).collect::<Vec<_>>())
        .ignore();
    p.cmd("SADD")
        .arg("strategies:names")
        .arg(
            (0..300)
                .map(|i| format!("strategy-{i}"))
                .collect::<Vec<_>>(),
        )
        .ignore();
    for i in 0..20 {
        p.cmd("ZADD")
            .arg(format!("ts:latency:{i}"))
            .arg(
                (0..(5 * i + 1))
                    .flat_map(|j| [j.to_string(), format!("m{j}")])
                    .collect::<Vec<_>>(),
            )
            .ignore();
    }
    for i in 0..40 {
        p.cmd("XADD")
            .arg("stream:ticks")
            .arg("*")
            .arg("i")
            .arg(i)
            .ignore();
    }
    p.cmd("SET")
        .arg(b"bin:\xff\x00k".as_slice())
        .arg("v")
        .ignore();
    let () = p.query_async(&mut c).await.unwrap();
}

/// Runs redis-cli with `flag` and reads its summary: per type (plural name) the count and total.
fn redis_cli_summary(
    port: u16,
    flag: &str,
) -> (BTreeMap<String, (u64, u64)>, BTreeMap<String, String>) {
    let out = std::process::Command::new(redis_cli_binary())
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), flag])
        .output()
        .expect("redis-cli runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut totals = BTreeMap::new();
    let mut biggest = BTreeMap::new();
    for line in text.lines() {
        // `12 strings with 345 bytes (…)`
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() > 4 && w[2] == "with" && w[0].parse::<u64>().is_ok() {
            totals.insert(
                w[1].trim_end_matches('s').to_string(),
                (w[0].parse().unwrap(), w[3].parse().unwrap()),
            );
        }
        // `Biggest   list found '"l"' has 144 bytes`
        if let Some(rest) = line.strip_prefix("Biggest") {
            let w: Vec<&str> = rest.split_whitespace().collect();
            let key = rest
                .split('\'')
                .nth(1)
                .unwrap()
                .trim_matches('"')
                .to_string();
            biggest.insert(w[0].to_string(), key);
        }
    }
    assert!(!totals.is_empty(), "unexpected redis-cli output: {text}");
    (totals, biggest)
}

async fn run(api: &Api, body: Value) -> (Value, Value) {
    let (st, job) = api.post("/api/memory", body).await;
    assert_eq!(st, 200, "{job}");
    assert_eq!(job["kind"], "memory");
    let id = job["id"].as_str().unwrap().to_string();
    let job = api
        .poll(&format!("/api/memory/jobs/{id}"), WAIT, |j| {
            j["state"] != "running"
        })
        .await;
    assert_eq!(job["state"], "done", "{job}");
    let (st, report) = api.get(&format!("/api/memory/jobs/{id}/report")).await;
    assert_eq!(st, 200, "{report}");
    (job, report)
}

fn by_type(report: &Value) -> BTreeMap<String, &Value> {
    report["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["type"].as_str().unwrap().to_string(), t))
        .collect()
}

fn namespace<'a>(report: &'a Value, prefix: &str) -> &'a Value {
    report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["prefix"]["text"] == prefix)
        .unwrap_or_else(|| panic!("no namespace {prefix}: {}", report["namespaces"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_analysis_agrees_with_redis_cli_and_runs_compare() {
    let config_dir = tempfile::tempdir().unwrap();
    // SAFETY: the only test of this binary; set before any thread reads the environment.
    unsafe { std::env::set_var("REDSCOPE_CONFIG_DIR", config_dir.path()) };
    let redis = RedisServer::start().unwrap();
    seed(&redis.url()).await;
    // Read-only sessions may analyse: it only reads.
    let api = Api::start(redis.config(), true).await;

    let (job, report) = run(&api, json!({"mode": "full"})).await;
    let dbsize = 400 + 200 + 50 + 1 + 30 + 2 + 20 + 1 + 1;
    assert_eq!(job["measured"], dbsize);
    assert_eq!(report["mode"], "full");
    assert_eq!(report["extrapolated"], false);
    assert_eq!(report["complete"], true);
    assert_eq!(report["total"]["keys"], dbsize);

    // Per type: the same counts and bytes as --memkeys, the same elements as --bigkeys, and the
    // same biggest keys.
    let (mem, mem_biggest) = redis_cli_summary(redis.port(), "--memkeys");
    let (big, big_biggest) = redis_cli_summary(redis.port(), "--bigkeys");
    let types = by_type(&report);
    for (t, (count, bytes)) in &mem {
        let (ours_keys, ours_bytes) = types
            .get(t)
            .map(|v| {
                (
                    v["totals"]["keys"].as_u64().unwrap(),
                    v["totals"]["bytes"].as_u64().unwrap(),
                )
            })
            .unwrap_or((0, 0));
        assert_eq!(
            (ours_keys, ours_bytes),
            (*count, *bytes),
            "{t}: ours vs redis-cli --memkeys"
        );
        let elements = types
            .get(t)
            .map(|v| v["totals"]["elements"].as_u64().unwrap())
            .unwrap_or(0);
        assert_eq!(elements, big[t].1, "{t}: elements vs redis-cli --bigkeys");
    }
    for (t, key) in &mem_biggest {
        assert_eq!(
            types[t]["biggest"]["text"],
            key.as_str(),
            "biggest {t} by memory"
        );
    }
    for (t, key) in &big_biggest {
        assert_eq!(
            types[t]["most_elements"]["text"],
            key.as_str(),
            "biggest {t} by elements"
        );
    }
    let sum: u64 = mem.values().map(|(_, b)| b).sum();
    assert_eq!(report["total"]["bytes"], sum);

    // Top lists, biggest first; the 600-field hash leads both.
    assert_eq!(report["top_by_memory"].as_array().unwrap().len(), 100);
    assert_eq!(report["top_by_memory"][0]["key"]["text"], "features:big");
    assert_eq!(report["top_by_elements"][0]["key"]["text"], "features:big");
    assert_eq!(report["top_by_elements"][0]["elements"], 600);
    let tops: Vec<u64> = report["top_by_memory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["bytes"].as_u64().unwrap())
        .collect();
    assert!(tops.windows(2).all(|w| w[0] >= w[1]));

    // Encodings of one type.
    let enc: Vec<(&str, &str, u64)> = report["by_encoding"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "set")
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["encoding"].as_str().unwrap(),
                e["keys"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(enc.len(), 2, "{enc:?}");
    assert!(enc.iter().any(|e| e.1 == "intset"));

    // Namespaces at every depth, with totals of the keys below.
    assert_eq!(namespace(&report, "market:")["totals"]["keys"], 600);
    assert_eq!(namespace(&report, "market:ticker:")["totals"]["keys"], 600);
    let kraken = namespace(&report, "market:ticker:kraken:");
    assert_eq!(kraken["depth"], 3);
    assert_eq!(kraken["totals"]["keys"], 200);
    assert_eq!(kraken["no_ttl"], 0);
    assert_eq!(namespace(&report, "market:ticker:binance:")["no_ttl"], 400);
    let market = namespace(&report, "market:")["totals"]["bytes"]
        .as_u64()
        .unwrap();
    let parts = ["market:ticker:binance:", "market:ticker:kraken:"]
        .iter()
        .map(|p| namespace(&report, p)["totals"]["bytes"].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(market, parts);

    // TTL spread.
    let ttl: BTreeMap<String, u64> = report["ttl"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["label"].as_str().unwrap().to_string(),
                b["keys"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected: BTreeMap<String, u64> = [
        ("<1m", 200),
        ("<1h", 50),
        ("<1d", 1),
        ("later", 30),
        ("never", 400 + 2 + 20 + 1 + 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(ttl, expected);
    assert_eq!(report["no_ttl"], 424);

    // Another separator splits elsewhere; depth 1 stops at the first level.
    let (_, dash) = run(
        &api,
        json!({"mode": "full", "separator": "ticker", "depth": 1}),
    )
    .await;
    assert_eq!(namespace(&dash, "market:ticker")["totals"]["keys"], 600);
    let (_, shallow) = run(&api, json!({"mode": "full", "depth": 1})).await;
    assert!(shallow["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["depth"] == 1));

    // A sample measures part of the keys and extrapolates, saying so.
    let (job, sample) = run(&api, json!({"mode": "sample", "sample": 200})).await;
    assert_eq!(sample["extrapolated"], true, "{sample}");
    assert_eq!(sample["complete"], false);
    let measured = job["measured"].as_u64().unwrap();
    assert!((200..=260).contains(&measured), "measured {measured}");
    let est = sample["total"]["keys"].as_u64().unwrap();
    assert!(
        est.abs_diff(dbsize) <= dbsize / 10,
        "extrapolated {est} keys of {dbsize}"
    );

    // A prefix limits the run.
    let (_, sessions) = run(&api, json!({"mode": "full", "prefix": "session:"})).await;
    assert_eq!(sessions["total"]["keys"], 50);

    // Save, grow a namespace, save again, compare: the namespace that grew comes first.
    let (st, first) = api
        .post(
            "/api/memory/saved",
            json!({"id": job_id_of(&api, "full").await, "name": "before"}),
        )
        .await;
    assert_eq!(st, 200, "{first}");
    let mut c = api::raw_conn(&redis.url()).await;
    let mut p = redis::pipe();
    for i in 0..300 {
        p.cmd("SET")
            .arg(format!("orders:open:{i}"))
            .arg("y".repeat(200))
            .ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();
    let (job2, _) = run(&api, json!({"mode": "full"})).await;
    let (st, second) = api
        .post(
            "/api/memory/saved",
            json!({"id": job2["id"], "name": "after"}),
        )
        .await;
    assert_eq!(st, 200, "{second}");
    let (st, saved) = api.get("/api/memory/saved").await;
    assert_eq!(st, 200);
    assert_eq!(saved[0]["name"], "after");
    assert_eq!(saved[1]["name"], "before");
    let (st, diff) = api
        .get(&format!(
            "/api/memory/compare?a={}&b={}",
            first["id"].as_str().unwrap(),
            second["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(st, 200, "{diff}");
    assert_eq!(diff["total"]["keys_delta"], 300);
    assert_eq!(diff["namespaces"][0]["name"], "orders:");
    assert_eq!(diff["namespaces"][0]["keys_a"], 0);
    assert_eq!(diff["namespaces"][0]["keys_b"], 300);
    assert!(diff["namespaces"][0]["bytes_delta"].as_i64().unwrap() > 300 * 200);
    let (st, r) = api
        .get(&format!(
            "/api/memory/saved/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!((st, r["total"]["keys"].clone()), (200, json!(dbsize)));
    let (st, _) = api
        .call(
            "DELETE",
            &format!("/api/memory/saved/{}", first["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(st, 200);
    let (st, e) = api
        .get(&format!(
            "/api/memory/saved/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(st, 404, "{e}");
    let (st, e) = api.get("/api/memory/saved/..%2Fprofiles").await;
    assert_eq!(st, 400, "{e}");

    // Bad input is refused before a job starts.
    let (st, e) = api.post("/api/memory", json!({"mode": "everything"})).await;
    assert_eq!(st, 400, "{e}");
    let (st, e) = api.post("/api/memory", json!({"sample": 0})).await;
    assert_eq!(st, 400, "{e}");

    // Cancel: the server is paused while the job waits on its first page, so the cancel lands
    // mid-run; a partial report remains.
    let mut p = redis::pipe();
    for i in 0..20_000 {
        p.cmd("SET").arg(format!("bulk:{i}")).arg(i).ignore();
    }
    let () = p.query_async(&mut c).await.unwrap();
    let (st, job) = api.post("/api/memory", json!({"mode": "full"})).await;
    assert_eq!(st, 200);
    redis.pause().unwrap();
    let id = job["id"].as_str().unwrap();
    let (st, _) = api
        .call("DELETE", &format!("/api/memory/jobs/{id}"), None)
        .await;
    assert_eq!(st, 200);
    redis.resume().unwrap();
    let job = api
        .poll(&format!("/api/memory/jobs/{id}"), WAIT, |j| {
            j["state"] != "running"
        })
        .await;
    assert_eq!(job["state"], "cancelled", "{job}");
    let (st, partial) = api.get(&format!("/api/memory/jobs/{id}/report")).await;
    assert_eq!(st, 200);
    assert_eq!(partial["complete"], false);

    // A dead server: an error at once, no job.
    drop(redis);
    let (st, e) = api.post("/api/memory", json!({"mode": "full"})).await;
    assert!(st == 502 || st == 504, "{st} {e}");
}

/// The id of the newest finished job of `mode` with the first seeded data (the first full run).
async fn job_id_of(api: &Api, mode: &str) -> String {
    let (_, jobs) = api.get("/api/memory/jobs").await;
    jobs.as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|j| j["mode"] == mode && j["state"] == "done")
        .map(|j| j["id"].as_str().unwrap().to_string())
        .unwrap()
}
