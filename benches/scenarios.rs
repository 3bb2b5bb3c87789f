//! `cargo bench --bench scenarios [-- NAME…]`: the same side-by-side scenarios as `redscope bench`,
//! each on a private redis-server, printing ours, reference and ratio.

use redscope_cli::bench::{self, SCENARIOS};
use redscope_testing::RedisServer;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // cargo passes `--bench`; anything else names scenarios.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mut failed = Vec::new();
    for (name, _) in SCENARIOS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let server = RedisServer::builder()
            .raw_args(&["--enable-debug-command", "yes"])
            .start()?;
        match bench::run(name, &server.config()).await {
            Ok(report) => println!("{}\n", report.render()),
            Err(e) => {
                println!("{name}\n  FAILED: {e}\n");
                failed.push(*name);
            }
        }
    }
    anyhow::ensure!(failed.is_empty(), "scenarios failed: {}", failed.join(", "));
    Ok(())
}
