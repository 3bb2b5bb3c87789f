//! `redscope bench all`: every scenario (or those named with `--only`) one after the other, each
//! on a fresh private redis-server (or on the given empty one), gathered into one [`BenchRun`].

use std::time::Instant;

use super::results::{load_average, BenchRun, Machine, ScenarioResult};
use super::server::BenchServer;
use super::{run_with, BenchOptions, SCENARIOS};
use redscope::config::RedisConfig;

/// Runs the scenarios named in `only` (all when empty) and calls `on_each` after each one.
/// A scenario that fails is recorded with its error and the run goes on.
pub async fn run_all(
    given: Option<RedisConfig>,
    opts: BenchOptions,
    only: &[String],
    note: Option<String>,
    mut on_each: impl FnMut(&ScenarioResult),
) -> anyhow::Result<BenchRun> {
    if let Some(unknown) = only.iter().find(|w| !SCENARIOS.iter().any(|(n, _)| n == w)) {
        anyhow::bail!(
            "unknown scenario {unknown:?}; known: {}",
            SCENARIOS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut run = BenchRun {
        machine: Machine::probe(),
        quick: opts.quick,
        note,
        scenarios: Vec::new(),
    };
    for (name, description) in SCENARIOS {
        if !only.is_empty() && !only.iter().any(|w| w == name) {
            continue;
        }
        // A fresh server per scenario: no memory left fragmented by the one before.
        let private;
        let cfg = match &given {
            Some(cfg) => cfg.clone(),
            None => {
                private = BenchServer::start()?;
                private.config()
            }
        };
        if run.machine.redis_server.is_none() {
            run.machine.redis_server = redis_version(&cfg).await;
        }
        let t = Instant::now();
        let outcome = run_with(name, &cfg, &opts).await;
        let wall_s = t.elapsed().as_secs_f64();
        let result = match outcome {
            Ok(report) => ScenarioResult {
                name: name.to_string(),
                description: description.to_string(),
                wall_s,
                report: Some(report),
                error: None,
            },
            Err(e) => ScenarioResult {
                name: name.to_string(),
                description: description.to_string(),
                wall_s,
                report: None,
                error: Some(e.to_string()),
            },
        };
        on_each(&result);
        run.scenarios.push(result);
    }
    run.machine.load_end = load_average();
    Ok(run)
}

/// `redis_version` from `INFO server`.
async fn redis_version(cfg: &RedisConfig) -> Option<String> {
    let mut c = redscope::conn::Conn::connect(cfg).await.ok()?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut c)
        .await
        .ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(|v| v.trim().to_string())
}
