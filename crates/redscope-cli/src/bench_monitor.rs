//! Bench scenario `monitor-publish`: the channel monitor's counting rate under
//! `redis-benchmark -P 64 PUBLISH` next to a bare RESP subscriber on the same channel, in the
//! same run (both receive every message; ratio = ours / bare, 1.0 means we keep up).

use std::time::{Duration, Instant};

use crate::bench::{BenchReport, RawResp, Resp};
use redscope::config::{Endpoint, RedisConfig};
use redscope::error::{Error, Result};
use redscope_admin::channels::MonitorRequest;
use redscope_admin::{AdminOptions, AdminService};

/// Messages published.
const MESSAGES: u64 = 2_000_000;
/// The channel both subscribers listen to.
const CHANNEL: &str = "bench:monitor";

/// Runs the scenario against `cfg` (a TCP server).
pub async fn monitor_publish(cfg: &RedisConfig) -> Result<BenchReport> {
    let (host, port) = match &cfg.endpoint {
        Endpoint::Tcp { host, port } => (host.clone(), *port),
        _ => {
            return Err(Error::InvalidInput(
                "monitor-publish needs a plain TCP server".into(),
            ))
        }
    };
    let service = AdminService::new(cfg.clone(), AdminOptions::default());
    service
        .channels()
        .monitor(MonitorRequest {
            channels: vec![CHANNEL.into()],
            patterns: vec![],
            ..Default::default()
        })
        .await?;
    // The bare subscriber: blocking RESP reads on its own thread, counting messages.
    let mut bare = RawResp::connect(&host, port, cfg)?;
    bare.call(&["SUBSCRIBE", CHANNEL])?;
    let bare_thread = std::thread::spawn(move || -> Result<Instant> {
        let mut seen = 0;
        while seen < MESSAGES {
            if let Resp::Array(_) = bare.read()? {
                seen += 1;
            }
        }
        Ok(Instant::now())
    });
    let start = Instant::now();
    let publisher = tokio::task::spawn_blocking(move || {
        std::process::Command::new("redis-benchmark")
            .args(["-h", &host, "-p", &port.to_string(), "-P", "64", "-c", "1"])
            .args([
                "-n",
                &MESSAGES.to_string(),
                "-q",
                "PUBLISH",
                CHANNEL,
                "tick-0123456789",
            ])
            .output()
    });
    let deadline = start + Duration::from_secs(120);
    let ours_done = loop {
        let stats = service.channels().monitor_stats(Some(0))?;
        if stats.total >= MESSAGES {
            break Instant::now();
        }
        if Instant::now() > deadline {
            return Err(Error::Timeout(Duration::from_secs(120)));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    publisher
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
    let bare_done = bare_thread
        .join()
        .map_err(|_| Error::Io(std::io::Error::other("the bare subscriber panicked")))??;
    let stats = service.channels().monitor_stats(Some(0))?;
    service.channels().monitor_stop().await;
    let rate = |done: Instant| MESSAGES as f64 / done.duration_since(start).as_secs_f64();
    let (ours, reference) = (rate(ours_done), rate(bare_done));
    let ratio = ours / reference;
    Ok(BenchReport {
        scenario: "monitor-publish".into(),
        unit: "msgs/s".into(),
        ours,
        reference,
        ratio,
        higher_is_better: true,
        target: Some(0.9),
        met: Some(ratio >= 0.9 && stats.total == MESSAGES),
        details: vec![
            ("counted".into(), stats.total as f64),
            ("dropped_from_view".into(), stats.dropped as f64),
        ],
        reference_is_budget: false,
        notes: Vec::new(),
        skipped: None,
    })
}
