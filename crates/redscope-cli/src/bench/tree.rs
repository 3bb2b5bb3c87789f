//! `tree-1m`: the admin namespace tree over 1,000,000 keys against a bare `SCAN COUNT 1000` loop
//! over the same keys, and how soon the first (partial) level is available.

use std::time::{Duration, Instant};

use super::{load_tree_1m, tcp_addr, BenchReport, RawResp, Resp, TREE_KEYS};
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};
use redscope_admin::tree::TreeQuery;
use redscope_admin::{AdminOptions, AdminService};

/// `tree-1m` (see the module doc).
pub(super) async fn tree_1m(cfg: &RedisConfig) -> Result<BenchReport> {
    let mut conn = redscope::conn::Conn::connect(cfg).await?;
    load_tree_1m(&mut conn).await?;
    let (host, port) = tcp_addr(cfg)?;

    // The bare loop first (it also warms the server's dict the same way for both).
    let cfg2 = cfg.clone();
    let (ref_s, ref_keys) =
        tokio::task::spawn_blocking(move || bare_scan_count(&host, port, &cfg2, None))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;

    let service = AdminService::new(cfg.clone(), AdminOptions::default());
    // Connected before the clock starts, like the bare loop.
    service.conn().await?;
    let t = Instant::now();
    let mut first_level = None;
    let level = loop {
        let level = service.tree().level(TreeQuery::default()).await?;
        if first_level.is_none() && !level.children.is_empty() {
            first_level = Some(t.elapsed().as_secs_f64());
        }
        if level.complete {
            break level;
        }
        if t.elapsed() > Duration::from_secs(300) {
            return Err(Error::Timeout(Duration::from_secs(300)));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let ours_s = t.elapsed().as_secs_f64();
    if level.total_keys != TREE_KEYS || ref_keys != TREE_KEYS {
        return Err(Error::server(format!(
            "the tree counted {} keys and the bare scan {ref_keys}; {TREE_KEYS} were loaded",
            level.total_keys
        )));
    }
    let first = first_level.unwrap_or(ours_s);
    let mut r = BenchReport::new("tree-1m", "seconds", ours_s, ref_s, false, Some(1.3));
    r.details.push(("keys".into(), TREE_KEYS as f64));
    r.details
        .push(("top-level children".into(), level.children.len() as f64));
    r.details.push(("first level after (s)".into(), first));
    r.details
        .push(("first level / full bare scan".into(), first / ref_s));
    if first / ref_s > 0.10 {
        r.met = Some(false);
    }
    Ok(r)
}

/// The reference: SCAN COUNT 1000 (with `MATCH pattern` if given) over one raw socket,
/// counting keys.
pub(super) fn bare_scan_count(
    host: &str,
    port: u16,
    cfg: &RedisConfig,
    pattern: Option<&str>,
) -> Result<(f64, u64)> {
    let mut c = RawResp::connect(host, port, cfg)?;
    let start = Instant::now();
    let mut cursor = "0".to_string();
    let mut keys_seen = 0u64;
    loop {
        let reply = match pattern {
            Some(p) => c.call(&["SCAN", &cursor, "MATCH", p, "COUNT", "1000"])?,
            None => c.call(&["SCAN", &cursor, "COUNT", "1000"])?,
        };
        let Resp::Array(parts) = reply else {
            return Err(Error::Codec("SCAN reply".into()));
        };
        let [Resp::Bulk(next), Resp::Array(keys)] = &parts[..] else {
            return Err(Error::Codec("SCAN reply".into()));
        };
        keys_seen += keys.len() as u64;
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            return Ok((start.elapsed().as_secs_f64(), keys_seen));
        }
    }
}
