//! `tree-10m`: 10,000,000 keys in a trading-shaped namespace mix (tree-1m's, ten times over),
//! browsed through a real `redscope serve` over HTTP as the UI does: the root level until it
//! is complete, then one namespace down, each against a bare `SCAN COUNT 1000` loop (with the
//! same `MATCH` one level down) on the same keys; each level must be exact (every count equal to
//! what was loaded). `redscope serve`'s RSS at the end is held to the 150 MB budget.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::app::{sibling_binary, Serve};
use super::tree::bare_scan_count;
use super::{populate, tcp_addr, BenchReport};
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};

/// Keys at full size.
pub const KEYS: u64 = 10_000_000;
/// Keys with `--quick`.
const QUICK_KEYS: u64 = 20_000;
/// Target ratio of either level to its bare loop.
const TARGET: f64 = 1.3;
/// `redscope serve` RSS budget at the end, MB.
const RSS_BUDGET_MB: f64 = 150.0;
/// The namespace mix: (prefix, share of the keys in per mille).
const MIX: &[(&str, u64)] = &[
    ("market:ticker:binance", 300),
    ("market:orderbook:binance", 200),
    ("features", 200),
    ("session", 100),
    ("signals:momentum", 100),
    ("ts:latency", 100),
];
/// The namespace opened one level down.
const DOWN: &str = "market:";

/// `tree-10m` (see the module doc). Blocking: run it on a blocking thread.
pub(super) fn tree_10m(cfg: &RedisConfig, quick: bool) -> Result<BenchReport> {
    let Some(bin) = sibling_binary("redscope") else {
        return Ok(BenchReport::skipped(
            "tree-10m",
            "no redscope binary next to this one: run `cargo build --release` first",
        ));
    };
    let keys = if quick { QUICK_KEYS } else { KEYS };
    let (host, port) = tcp_addr(cfg)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let t = Instant::now();
    rt.block_on(async {
        let mut conn = redscope::conn::Conn::connect(cfg).await?;
        let _: () = redis::cmd("FLUSHDB").query_async(&mut conn).await?;
        for (prefix, share) in MIX {
            populate(&mut conn, prefix, keys * share / 1000).await?;
        }
        Ok::<_, Error>(())
    })?;
    let load_s = t.elapsed().as_secs_f64();
    let (root_want, down_want) = expected(keys);

    let serve = Serve::start(&bin, cfg)?;
    // Connected and answering before any clock starts, like the bare loop's socket.
    serve.get("/api/health")?;
    let rss_start = serve.rss_mb();

    let (ref_root_s, ref_root_keys) = bare_scan_count(&host, port, cfg, None)?;
    let root = open_level(&serve, "")?;
    check("the root level", &root, &root_want, keys, ref_root_keys)?;

    let down_total: u64 = down_want.values().sum();
    let pattern = format!("{DOWN}*");
    let (ref_down_s, ref_down_keys) = bare_scan_count(&host, port, cfg, Some(&pattern))?;
    let down = open_level(&serve, DOWN)?;
    check(
        &format!("level {DOWN}"),
        &down,
        &down_want,
        down_total,
        ref_down_keys,
    )?;
    let rss_end = serve.rss_mb();
    let rss_peak = serve.peak_rss_mb();
    drop(serve);

    let mut r = BenchReport::new(
        "tree-10m",
        "seconds",
        root.seconds,
        ref_root_s,
        false,
        Some(TARGET),
    );
    let down_ratio = down.seconds / ref_down_s;
    r.details.push(("keys".into(), keys as f64));
    r.details.push(("load (s)".into(), load_s));
    r.details
        .push(("root: first children after (s)".into(), root.first_s));
    r.details
        .push((format!("{DOWN} level, ours (s)"), down.seconds));
    r.details
        .push((format!("{DOWN} level, bare SCAN MATCH (s)"), ref_down_s));
    r.details.push((format!("{DOWN} level ratio"), down_ratio));
    r.details
        .push(("serve RSS at start (MB)".into(), rss_start));
    r.details
        .push(("serve RSS at the end (MB)".into(), rss_end));
    r.details
        .push(("serve peak RSS, VmHWM (MB)".into(), rss_peak));
    r.details
        .push(("serve RSS budget (MB)".into(), RSS_BUDGET_MB));
    r.notes.push(format!(
        "both levels exact: the root's {} namespaces and {DOWN}'s {} match the loaded counts",
        root_want.len(),
        down_want.len()
    ));
    if down_ratio > TARGET || rss_end > RSS_BUDGET_MB {
        r.met = Some(false);
    }
    Ok(r)
}

/// A level as read over HTTP once complete.
struct Opened {
    seconds: f64,
    first_s: f64,
    total: u64,
    omitted: u64,
    children: BTreeMap<String, u64>,
}

/// Polls `GET /api/tree?prefix=…` (each call waits up to 50 ms for the scan) until complete.
fn open_level(serve: &Serve, prefix: &str) -> Result<Opened> {
    let path = format!("/api/tree?prefix={}", prefix.replace(':', "%3A"));
    let limit = Duration::from_secs(600);
    let t = Instant::now();
    let mut first_s = None;
    loop {
        let level = serve.get(&path)?;
        let children = level["children"].as_array().cloned().unwrap_or_default();
        if first_s.is_none() && !children.is_empty() {
            first_s = Some(t.elapsed().as_secs_f64());
        }
        if level["complete"].as_bool() == Some(true) {
            let seconds = t.elapsed().as_secs_f64();
            return Ok(Opened {
                seconds,
                first_s: first_s.unwrap_or(seconds),
                total: level["total_keys"].as_u64().unwrap_or(0),
                omitted: level["omitted"].as_u64().unwrap_or(0),
                children: children
                    .iter()
                    .filter(|c| c.get("key").is_none())
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or("").to_string(),
                            c["count"].as_u64().unwrap_or(0),
                        )
                    })
                    .collect(),
            });
        }
        if t.elapsed() > limit {
            return Err(Error::Timeout(limit));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The namespaces of the root and of [`DOWN`] with their key counts, from [`MIX`].
fn expected(keys: u64) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let mut root = BTreeMap::new();
    let mut down = BTreeMap::new();
    for (prefix, share) in MIX {
        let n = keys * share / 1000;
        let mut parts = prefix.split(':');
        *root
            .entry(parts.next().unwrap_or_default().to_string())
            .or_insert(0) += n;
        if let Some(rest) = prefix.strip_prefix(DOWN) {
            *down
                .entry(rest.split(':').next().unwrap_or_default().to_string())
                .or_insert(0) += n;
        }
    }
    (root, down)
}

/// Fails unless the level holds exactly the loaded namespaces and counts.
fn check(
    what: &str,
    got: &Opened,
    want: &BTreeMap<String, u64>,
    total: u64,
    bare: u64,
) -> Result<()> {
    if got.children != *want || got.total != total || got.omitted != 0 || bare != total {
        return Err(Error::server(format!(
            "{what} is not exact: total {} (bare scan {bare}, loaded {total}), omitted {}, children {:?} (loaded {want:?})",
            got.total, got.omitted, got.children
        )));
    }
    Ok(())
}
