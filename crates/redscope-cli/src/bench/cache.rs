//! `cache-get` and `cache-many`: typed JSON ticker reads through [`redscope::cache::Cache`] against
//! `redis-benchmark` reading the same keys (same value bytes) on the same server.

use std::time::Instant;

use super::{redis_benchmark_rps_blocking, tcp_addr, BenchReport};
use crate::demo::Ticker;
use redscope::cache::Cache;
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};

/// Sequential GETs per side in `cache-get` (≈ 2–3 s at loopback latency).
const GETS: u64 = 100_000;
/// Keys per `get_many` call in `cache-many`.
const MANY: usize = 100;
/// Keys read per side in `cache-many`.
const MANY_TOTAL: u64 = 2_000_000;
/// Rounds per side; the best round counts (the machine is shared).
const ROUNDS: usize = 2;

fn ticker(i: usize) -> Ticker {
    Ticker {
        symbol: format!("SYM{i}-USDT"),
        exchange: "binance".into(),
        price: 64_012.5 + i as f64,
        bid: 64_011.0,
        ask: 64_014.0,
        volume: 1_532.25,
        high: 64_500.0,
        low: 63_100.0,
        change_pct: 0.84,
        timestamp: 1_737_115_200_000,
    }
}

/// `cache-get`: `Cache::get::<Ticker>` on one key, sequential, vs `redis-benchmark -c 1 GET`.
pub(super) async fn cache_get(cfg: &RedisConfig) -> Result<BenchReport> {
    let cache = Cache::connect(cfg, Default::default()).await?;
    let key = "bench:ticker:binance:BTC-USDT";
    let value = ticker(0);
    cache.set_persistent(key, &value).await?;
    let (_, port) = tcp_addr(cfg)?;
    let n = GETS.to_string();
    let (mut ours, mut reference) = (0f64, 0f64);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for _ in 0..GETS {
            let got: Option<Ticker> = cache.get(key).await?;
            if got.as_ref() != Some(&value) {
                return Err(Error::server(format!("{key} read back as {got:?}")));
            }
        }
        ours = ours.max(GETS as f64 / t.elapsed().as_secs_f64());
        let rps = redis_benchmark_rps_blocking(port, vec!["-c", "1", "-n", &n, "GET", key]).await?;
        reference = reference.max(rps);
    }
    let mut r = BenchReport::new("cache-get", "ops/s", ours, reference, true, Some(0.90));
    r.details.push((
        "value bytes".into(),
        serde_json::to_vec(&value)?.len() as f64,
    ));
    r.details
        .push(("GETs per side and round".into(), GETS as f64));
    Ok(r)
}

/// `cache-many`: `Cache::get_many::<Ticker>` of 100 keys vs `redis-benchmark -P 100 GET` over
/// the same 100 keys (keys read per second).
pub(super) async fn cache_many(cfg: &RedisConfig) -> Result<BenchReport> {
    let cache = Cache::connect(cfg, Default::default()).await?;
    // redis-benchmark's `-r 100` writes __rand_int__ as 12 zero-padded digits.
    let keys: Vec<String> = (0..MANY).map(|i| format!("bench:many:{i:012}")).collect();
    let entries: Vec<(String, Ticker)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), ticker(i)))
        .collect();
    for (k, v) in &entries {
        cache.set_persistent(k, v).await?;
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let (_, port) = tcp_addr(cfg)?;
    let n = MANY_TOTAL.to_string();
    let calls = MANY_TOTAL / MANY as u64;
    let (mut ours, mut reference) = (0f64, 0f64);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for _ in 0..calls {
            let got: Vec<Option<Ticker>> = cache.get_many(&refs).await?;
            if got.len() != MANY || got.iter().any(Option::is_none) {
                return Err(Error::server("get_many missed keys that exist"));
            }
        }
        ours = ours.max(MANY_TOTAL as f64 / t.elapsed().as_secs_f64());
        let rps = redis_benchmark_rps_blocking(
            port,
            vec![
                "-c",
                "1",
                "-P",
                "100",
                "-n",
                &n,
                "-r",
                "100",
                "GET",
                "bench:many:__rand_int__",
            ],
        )
        .await?;
        reference = reference.max(rps);
    }
    let mut r = BenchReport::new("cache-many", "keys/s", ours, reference, true, Some(0.80));
    r.details.push(("keys per call".into(), MANY as f64));
    r.details
        .push(("get_many calls/s".into(), ours / MANY as f64));
    Ok(r)
}
