//! `telemetry-overhead`: cache-get throughput with a [`redscope::telemetry::Telemetry`] reporter
//! running at a 1 s interval against the same cache without one, rounds interleaved in the
//! same run (the machine is shared, so the best round of each side counts). Target: ≤ 1 % cost.
//! Both sides run on one current-thread runtime, as the other client-side scenarios do, so the
//! reporter's work lands on the reader's own thread.

use std::time::{Duration, Instant};

use super::BenchReport;
use redscope::cache::Cache;
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};
use redscope::telemetry::Telemetry;
use redscope::ttl::DataType;

/// Sequential GETs per round and side.
const GETS: u64 = 40_000;
/// Rounds per side (alternating; the best of each side counts).
const ROUNDS: usize = 5;

/// Runs the scenario.
pub(super) async fn telemetry_overhead(cfg: &RedisConfig) -> Result<BenchReport> {
    let cache = Cache::connect(cfg, Default::default()).await?;
    let key = "market:ticker:binance:BTC-USDT";
    let value = serde_json::json!({
        "symbol": "BTC-USDT", "price": 64012.5, "bid": 64011.0, "ask": 64014.0,
        "volume": 1532.25, "timestamp": 1_737_115_200_000i64
    });
    cache.set_persistent(key, &value).await?;
    let typed = cache.typed(DataType::Ticker);
    let (mut without, mut with) = (0f64, 0f64);
    let mut reports = 0u64;
    for _ in 0..ROUNDS {
        without = without.max(gets(&typed, key, &value).await?);
        let t = Telemetry::builder(cache.conn().clone(), "bench")
            .instance("telemetry-overhead")
            .interval(Duration::from_secs(1))
            .cache(cache.clone())
            .start();
        let started = Instant::now();
        with = with.max(gets(&typed, key, &value).await?);
        reports += started.elapsed().as_secs() + 1;
        t.stop().await;
    }
    let mut r = BenchReport::new(
        "telemetry-overhead",
        "ops/s",
        with,
        without,
        true,
        Some(0.99),
    );
    r.details
        .push(("GETs per side and round".into(), GETS as f64));
    r.details.push((
        "telemetry reports during the measured rounds".into(),
        reports as f64,
    ));
    Ok(r)
}

/// GETs per second over one round.
async fn gets(
    typed: &redscope::cache::TypedCache,
    key: &str,
    value: &serde_json::Value,
) -> Result<f64> {
    let t = Instant::now();
    for _ in 0..GETS {
        let got: Option<serde_json::Value> = typed.get(key).await?;
        if got.as_ref() != Some(value) {
            return Err(Error::server(format!("{key} read back as {got:?}")));
        }
    }
    Ok(GETS as f64 / t.elapsed().as_secs_f64())
}
