//! `redscope bench desktop --quick` on this build's desktop app: the scenario drives the real
//! window through tauri-driver (open the tree, click a key of each type, watch the channel
//! monitor) and reports every figure. Nothing here is timed against a budget: the quick sizes
//! only show that the run completes on the UI as it is and that its figures are complete.
//! `REDSCOPE_DESKTOP_BIN` names another binary to measure, as for the smoke test.

use redscope_cli::bench::{run_with, BenchOptions};
use redscope_testing::RedisServer;

fn detail(r: &redscope_cli::bench::BenchReport, name: &str) -> f64 {
    r.details
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no {name:?} in {:#?}", r.details))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_desktop_quick_reports_every_figure() {
    if std::env::var_os("REDSCOPE_DESKTOP_BIN").is_none() {
        // The only test in this binary: nothing else reads the environment meanwhile.
        std::env::set_var(
            "REDSCOPE_DESKTOP_BIN",
            env!("CARGO_BIN_EXE_redscope-desktop"),
        );
    }
    let redis = RedisServer::start().unwrap();
    let r = run_with("desktop", &redis.config(), &BenchOptions { quick: true })
        .await
        .unwrap_or_else(|e| panic!("bench desktop --quick failed: {e}"));
    assert!(r.skipped.is_none(), "skipped: {:?}", r.skipped);

    // The tree counted every key, each of the six keys was clicked and shown.
    assert_eq!(detail(&r, "keys in the database"), 10_006.0);
    assert_eq!(detail(&r, "clicks"), 6.0);
    assert!(r.ours > 0.0 && r.ours.is_finite(), "click p95 {}", r.ours);
    for kind in ["string", "hash", "list", "set", "zset", "stream"] {
        let v = detail(&r, &format!("click-to-value p50, {kind} (ms)"));
        assert!(v > 0.0 && v.is_finite(), "{kind}: {v}");
    }
    // The monitor counted every message published (1,000 a second for 2 s).
    let published = detail(&r, "monitor: published");
    assert_eq!(published, 2_000.0);
    assert_eq!(detail(&r, "monitor: counted by the UI"), published);
    // First paint and memory were measured.
    let paint = detail(&r, "first paint, process start to FCP (s)");
    assert!(paint > 0.0 && paint < 60.0, "first paint {paint} s");
    let pss = detail(&r, "PSS at the end, all processes (MB)");
    assert!(pss > 10.0 && pss.is_finite(), "PSS {pss} MB");
    assert!(
        r.notes.iter().any(|n| n.starts_with("quick sizes")),
        "{:?}",
        r.notes
    );
}
