//! `memory-1m`: a full memory analysis of 1,000,000 keys (every key measured: TYPE, MEMORY
//! USAGE, PTTL, OBJECT ENCODING and its length) against `redis-cli --memkeys` on the same keys,
//! in keys per second.

use std::process::Command;
use std::time::{Duration, Instant};

use super::{load_tree_1m, tcp_addr, BenchReport, TREE_KEYS};
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};
use redscope_admin::memory::MemoryRequest;
use redscope_admin::registry::JobState;
use redscope_admin::{AdminOptions, AdminService};

/// `memory-1m` (see the module doc).
pub(super) async fn memory_1m(cfg: &RedisConfig) -> Result<BenchReport> {
    let mut conn = redscope::conn::Conn::connect(cfg).await?;
    load_tree_1m(&mut conn).await?;
    let (host, port) = tcp_addr(cfg)?;

    // The reference first: redis-cli --memkeys walks the same keys.
    let args = super::redis_cli_args(&host, port, cfg, "--memkeys");
    let t = Instant::now();
    let out = tokio::task::spawn_blocking(move || Command::new("redis-cli").args(&args).output())
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let ref_s = t.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout);
    let ref_keys = text
        .lines()
        .find_map(|l| l.strip_prefix("Sampled "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| Error::Codec(format!("unexpected redis-cli --memkeys output: {text}")))?;

    let service = AdminService::new(cfg.clone(), AdminOptions::default());
    service.conn().await?;
    let t = Instant::now();
    let job = service
        .memory()
        .analyze(MemoryRequest {
            mode: Some("full".into()),
            ..Default::default()
        })
        .await?;
    let job = loop {
        let j = service.memory().job(&job.id)?;
        if j.state != JobState::Running {
            break j;
        }
        if t.elapsed() > Duration::from_secs(600) {
            return Err(Error::Timeout(Duration::from_secs(600)));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let ours_s = t.elapsed().as_secs_f64();
    let report = service.memory().report(&job.id)?;
    service.shutdown().await;
    if report.total.keys != TREE_KEYS || ref_keys != TREE_KEYS {
        return Err(Error::server(format!(
            "the analysis measured {} keys and redis-cli {ref_keys}; {TREE_KEYS} were loaded",
            report.total.keys
        )));
    }
    let rate = |s: f64| TREE_KEYS as f64 / s;
    let mut r = BenchReport::new(
        "memory-1m",
        "keys/s",
        rate(ours_s),
        rate(ref_s),
        true,
        Some(0.8),
    );
    r.details.push(("keys".into(), TREE_KEYS as f64));
    r.details.push(("ours (s)".into(), ours_s));
    r.details.push(("redis-cli --memkeys (s)".into(), ref_s));
    r.details
        .push(("namespaces listed".into(), report.namespaces.len() as f64));
    r.notes.push(
        "ours also reads PTTL, OBJECT ENCODING and each key's length; --memkeys reads TYPE and MEMORY USAGE"
            .into(),
    );
    Ok(r)
}
