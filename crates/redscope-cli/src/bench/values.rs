//! `big-values`: a 512 MB string, a hash of 5,000,000 fields, a list of 10,000,000 items and a
//! stream of 10,000,000 entries, each opened to its first page through the admin API of a real
//! `redscope serve` (`GET /api/key`, as the key browser does) — the first open of each timed
//! against the 200 ms budget, then four more. The bare reads of the same first pages (GETRANGE,
//! HSCAN, LRANGE, XRANGE COUNT over a raw socket) are printed beside them. Opening must leave the
//! server's `used_memory` unchanged and grow the app's RSS by less than 20 MB.

use std::time::Instant;

use super::app::{sibling_binary, Serve};
use super::{tcp_addr, BenchReport, RawResp};
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};

/// Budget for one open, milliseconds.
const OPEN_BUDGET_MS: f64 = 200.0;
/// Most the app's RSS may grow over all the opens, MB.
const RSS_GROWTH_MB: f64 = 20.0;
/// Most `used_memory` may move between before and after the opens, bytes (script cache,
/// client bookkeeping); a value copied to the server's output buffers would be far beyond.
const SERVER_SLACK: i64 = 1 << 20;
/// Opens after the first, per key.
const REPEATS: usize = 4;

/// The four keys and how big they are made.
struct Sizes {
    string_bytes: u64,
    hash_fields: u64,
    list_items: u64,
    stream_entries: u64,
}

const FULL: Sizes = Sizes {
    string_bytes: 512 << 20,
    hash_fields: 5_000_000,
    list_items: 10_000_000,
    stream_entries: 10_000_000,
};

const QUICK: Sizes = Sizes {
    string_bytes: 512 << 10,
    hash_fields: 5_000,
    list_items: 10_000,
    stream_entries: 10_000,
};

/// Appends ticks to a stream inside the server (`KEYS[1]`; ARGV: how many, first sequence).
const XADD_LOOP: &str = r"
local n, base = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = base, base + n - 1 do
  redis.call('XADD', KEYS[1], '*', 'symbol', 'BTC-USDT', 'price', tostring(65000 + i % 1000) .. '.5',
    'qty', '0.01', 'seq', tostring(i))
end
return n
";

/// `big-values` (see the module doc). Blocking: run it on a blocking thread.
pub(super) fn big_values(cfg: &RedisConfig, quick: bool) -> Result<BenchReport> {
    let Some(bin) = sibling_binary("redscope") else {
        return Ok(BenchReport::skipped(
            "big-values",
            "no redscope binary next to this one: run `cargo build --release` first",
        ));
    };
    let sizes = if quick { QUICK } else { FULL };
    let (host, port) = tcp_addr(cfg)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let t = Instant::now();
    rt.block_on(load(cfg, &sizes))?;
    let load_s = t.elapsed().as_secs_f64();

    let serve = Serve::start(&bin, cfg)?;
    // Connected before the first open, as the app is when a user clicks a key.
    serve.get("/api/health")?;
    let mut raw = RawResp::connect(&host, port, cfg)?;
    let used_before = used_memory(&mut raw)?;
    let rss_before = serve.rss_mb();

    let keys: [(&str, &str, u64); 4] = [
        ("big:string", "string", sizes.string_bytes),
        ("big:hash", "hash", sizes.hash_fields),
        ("big:list", "list", sizes.list_items),
        ("big:stream", "stream", sizes.stream_entries),
    ];
    let mut first_ms = Vec::new();
    let mut worst_repeat_ms = 0f64;
    for (key, kind, size) in keys {
        let path = format!("/api/key?key={}", key.replace(':', "%3A"));
        let t = Instant::now();
        let v = serve.get(&path)?;
        first_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        check_page(key, kind, size, &v)?;
        for _ in 0..REPEATS {
            let t = Instant::now();
            serve.get(&path)?;
            worst_repeat_ms = worst_repeat_ms.max(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let rss_after = serve.rss_mb();
    let used_after = used_memory(&mut raw)?;
    drop(serve);

    // The bare first pages, for comparison.
    let bare: Vec<f64> = [
        &["GETRANGE", "big:string", "0", "65535"][..],
        &["HSCAN", "big:hash", "0", "COUNT", "100"],
        &["LRANGE", "big:list", "0", "99"],
        &["XRANGE", "big:stream", "-", "+", "COUNT", "100"],
    ]
    .iter()
    .map(|cmd| {
        let t = Instant::now();
        raw.call(cmd)?;
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    })
    .collect::<Result<_>>()?;

    let worst = first_ms.iter().copied().fold(0f64, f64::max);
    let mut r = BenchReport::new("big-values", "ms", worst, OPEN_BUDGET_MS, false, Some(1.0));
    r.reference_is_budget = true;
    for ((key, _, _), (ms, bare_ms)) in keys.iter().zip(first_ms.iter().zip(&bare)) {
        r.details.push((format!("{key} first open (ms)"), *ms));
        r.details.push((format!("{key} bare read (ms)"), *bare_ms));
    }
    r.details.push((
        format!("slowest of {REPEATS} more opens each (ms)"),
        worst_repeat_ms,
    ));
    r.details.push(("load (s)".into(), load_s));
    let used_delta = used_after - used_before;
    r.details
        .push(("server used_memory before (MB)".into(), mb(used_before)));
    r.details.push((
        "server used_memory change (bytes)".into(),
        used_delta as f64,
    ));
    r.details.push(("app RSS before (MB)".into(), rss_before));
    r.details
        .push(("app RSS growth (MB)".into(), rss_after - rss_before));
    if quick {
        r.notes
            .push("quick sizes: 512 KiB, 5,000 fields, 10,000 items and entries".into());
    }
    if used_delta.abs() > SERVER_SLACK || rss_after - rss_before >= RSS_GROWTH_MB {
        r.met = Some(false);
    }
    Ok(r)
}

fn mb(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Fills the four keys, in pipelines (and a server-side loop for the stream).
async fn load(cfg: &RedisConfig, s: &Sizes) -> Result<()> {
    let mut c = redscope::conn::Conn::connect(cfg).await?;
    let _: () = redis::cmd("FLUSHDB").query_async(&mut c).await?;

    // The string: text lines of ticks, appended a chunk at a time.
    let chunk_len = if s.string_bytes >= 64 << 20 {
        1 << 20
    } else {
        1 << 10
    };
    let mut chunk = String::with_capacity(chunk_len);
    let mut i = 0u64;
    while chunk.len() < chunk_len {
        chunk.push_str(&format!(
            "{{\"seq\":{i},\"symbol\":\"BTC-USDT\",\"price\":65000.5,\"qty\":0.01}}\n"
        ));
        i += 1;
    }
    chunk.truncate(chunk_len);
    let chunks = s.string_bytes / chunk_len as u64;
    let mut done = 0;
    while done < chunks {
        let mut p = redis::pipe();
        for _ in done..(done + 16).min(chunks) {
            p.cmd("APPEND").arg("big:string").arg(&chunk).ignore();
        }
        let _: () = p.query_async(&mut c).await?;
        done += 16;
    }

    // The hash and the list: 1,000 elements a command, 10 commands a round trip.
    let mut n = 0;
    while n < s.hash_fields {
        let mut p = redis::pipe();
        for _ in 0..10 {
            if n >= s.hash_fields {
                break;
            }
            let cmd = p.cmd("HSET").arg("big:hash");
            for f in n..(n + 1000).min(s.hash_fields) {
                cmd.arg(format!("order:{f}"))
                    .arg(format!("{{\"price\":{}.5,\"qty\":0.01}}", 65000 + f % 1000));
            }
            cmd.ignore();
            n = (n + 1000).min(s.hash_fields);
        }
        let _: () = p.query_async(&mut c).await?;
    }
    let mut n = 0;
    while n < s.list_items {
        let mut p = redis::pipe();
        for _ in 0..10 {
            if n >= s.list_items {
                break;
            }
            let cmd = p.cmd("RPUSH").arg("big:list");
            for f in n..(n + 1000).min(s.list_items) {
                cmd.arg(format!(
                    "{{\"seq\":{f},\"symbol\":\"BTC-USDT\",\"side\":\"buy\"}}"
                ));
            }
            cmd.ignore();
            n = (n + 1000).min(s.list_items);
        }
        let _: () = p.query_async(&mut c).await?;
    }

    // The stream: 50,000 XADDs per script call.
    let mut n = 0;
    while n < s.stream_entries {
        let batch = 50_000.min(s.stream_entries - n);
        let _: u64 = redis::cmd("EVAL")
            .arg(XADD_LOOP)
            .arg(1)
            .arg("big:stream")
            .arg(batch)
            .arg(n)
            .query_async(&mut c)
            .await?;
        n += batch;
    }

    let sizes: Vec<u64> = redis::pipe()
        .cmd("STRLEN")
        .arg("big:string")
        .cmd("HLEN")
        .arg("big:hash")
        .cmd("LLEN")
        .arg("big:list")
        .cmd("XLEN")
        .arg("big:stream")
        .query_async(&mut c)
        .await?;
    let want = [
        s.string_bytes,
        s.hash_fields,
        s.list_items,
        s.stream_entries,
    ];
    if sizes != want {
        return Err(Error::server(format!(
            "loaded sizes {sizes:?}, expected {want:?}"
        )));
    }
    Ok(())
}

/// `used_memory` from `INFO memory`.
fn used_memory(raw: &mut RawResp) -> Result<i64> {
    let info = match raw.call(&["INFO", "memory"])? {
        super::Resp::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => return Err(Error::Codec(format!("INFO reply {other:?}"))),
    };
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Error::Codec("INFO memory without used_memory".into()))
}

/// Fails unless `v` is the first page of `key` as loaded.
fn check_page(key: &str, kind: &str, size: u64, v: &serde_json::Value) -> Result<()> {
    let val = &v["value"];
    let page = match kind {
        "string" => {
            val["truncated"].as_bool() == Some(true) && val["length"].as_u64() == Some(size)
        }
        "hash" => val["fields"].as_array().is_some_and(|f| !f.is_empty()),
        "list" => val["items"].as_array().is_some_and(|i| !i.is_empty()),
        _ => val["entries"].as_array().is_some_and(|e| !e.is_empty()),
    };
    if v["type"].as_str() != Some(kind) || v["size"].as_u64() != Some(size) || !page {
        let text = v.to_string();
        return Err(Error::server(format!(
            "opening {key} did not show its first page: {}",
            &text[..text.len().min(300)]
        )));
    }
    Ok(())
}
