//! Benchmarks that measure our code side by side with a reference on the same server, in the same
//! run: `redis-benchmark`, or a bare loop of raw RESP commands with no library in between. Each
//! prints `ours`, `reference` and `ratio`; targets live here and in README, never in unit tests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize};
use tokio_util::sync::CancellationToken;

use redscope::config::{Endpoint, RedisConfig};
use redscope::error::{Error, Result};
use redscope::keyspace::{self, ScanOptions};
use redscope_admin::resp::{encode_command, Limits, RespBuf};

pub mod all;
mod app;
mod cache;
mod channels;
mod desktop;
mod memory;
pub mod results;
pub mod server;
mod stream;
mod tree;
mod tree10m;
mod values;

mod telemetry;
mod transfer;

pub use app::sibling_binary;

/// How a run sizes its scenarios.
#[derive(Debug, Clone, Copy, Default)]
pub struct BenchOptions {
    /// Tiny sizes (a few thousand keys, kilobyte values) for scenarios that support it
    /// (`tree-10m`, `big-values`, `desktop`): checks that they run, not how fast.
    pub quick: bool,
}

/// JSON writes a NaN as `null`; read it back as NaN.
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn details_nan_if_null<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<(String, f64)>, D::Error> {
    let v = Vec::<(String, Option<f64>)>::deserialize(d)?;
    Ok(v.into_iter()
        .map(|(k, x)| (k, x.unwrap_or(f64::NAN)))
        .collect())
}

/// The outcome of one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    /// Scenario name, e.g. `invalidate-1m`.
    pub scenario: String,
    /// What `ours` and `reference` measure, e.g. `seconds` or `ops/s`.
    pub unit: String,
    /// Our figure.
    #[serde(deserialize_with = "nan_if_null")]
    pub ours: f64,
    /// The reference's figure, measured in the same run.
    #[serde(deserialize_with = "nan_if_null")]
    pub reference: f64,
    /// `ours / reference`.
    #[serde(deserialize_with = "nan_if_null")]
    pub ratio: f64,
    /// True when a higher `ours` is better (throughput); false for times.
    pub higher_is_better: bool,
    /// The target ratio from the issue, if any.
    pub target: Option<f64>,
    /// Whether the target was met.
    pub met: Option<bool>,
    /// Extra figures worth reading (counts, first-result times…).
    #[serde(deserialize_with = "details_nan_if_null")]
    pub details: Vec<(String, f64)>,
    /// True when `reference` is a budget from the issue, not a measured tool (memory, paint).
    pub reference_is_budget: bool,
    /// Remarks (which binary was measured, what could not be).
    pub notes: Vec<String>,
    /// Why the scenario did not run on this machine, if it did not.
    pub skipped: Option<String>,
}

impl BenchReport {
    fn new(
        scenario: &str,
        unit: &str,
        ours: f64,
        reference: f64,
        higher_is_better: bool,
        target: Option<f64>,
    ) -> Self {
        let ratio = if reference > 0.0 {
            ours / reference
        } else {
            f64::NAN
        };
        let met = target.map(|t| {
            if higher_is_better {
                ratio >= t
            } else {
                ratio <= t
            }
        });
        BenchReport {
            scenario: scenario.into(),
            unit: unit.into(),
            ours,
            reference,
            ratio,
            higher_is_better,
            target,
            met,
            details: Vec::new(),
            reference_is_budget: false,
            notes: Vec::new(),
            skipped: None,
        }
    }

    /// A scenario that could not run here, with the reason.
    pub fn skipped(scenario: &str, why: &str) -> Self {
        let mut r = BenchReport::new(scenario, "", f64::NAN, f64::NAN, true, None);
        r.skipped = Some(why.to_string());
        r
    }

    /// A one-screen summary.
    pub fn render(&self) -> String {
        if let Some(why) = &self.skipped {
            return format!("{}\n  SKIPPED: {why}", self.scenario);
        }
        let reference = if self.reference_is_budget {
            "budget   "
        } else {
            "reference"
        };
        let mut s = format!(
            "{}\n  ours       {:>14.3} {}\n  {reference}  {:>14.3} {}\n  ratio      {:>14.3}",
            self.scenario, self.ours, self.unit, self.reference, self.unit, self.ratio
        );
        if let (Some(t), Some(met)) = (self.target, self.met) {
            let cmp = if self.higher_is_better { ">=" } else { "<=" };
            s += &format!(
                "   (target {cmp} {t}: {})",
                if met { "met" } else { "NOT met" }
            );
        }
        for (k, v) in &self.details {
            s += &format!("\n  {k:<34} {v:.3}");
        }
        for n in &self.notes {
            s += &format!("\n  note: {n}");
        }
        s
    }
}

/// The scenarios `redscope bench` knows.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "cache-get",
        "typed JSON ticker GETs on one connection, sequential, vs redis-benchmark -c 1 GET",
    ),
    (
        "cache-many",
        "get_many of 100 keys vs redis-benchmark -P 100 GET (keys/s)",
    ),
    (
        "stream-publish",
        "publish_batch of 64 ticks vs redis-benchmark -P 64 XADD ... MAXLEN ~ (entries/s)",
    ),
    (
        "stream-consume",
        "consumer-group read+ack of 300,000 entries vs their publish rate (entries/s)",
    ),
    (
        "channel-monitor",
        "admin channel monitor vs a bare RESP subscriber under redis-benchmark -P 64 PUBLISH, 1M msgs",
    ),
    (
        "tree-1m",
        "namespace tree of 1,000,000 keys vs a bare SCAN COUNT 1000 loop; time to the first level",
    ),
    (
        "tree-10m",
        "root level and one namespace down over 10,000,000 keys vs a bare SCAN COUNT 1000 loop; RSS of `redscope serve` after",
    ),
    (
        "big-values",
        "first page of a 512 MB string, a 5M-field hash, a 10M-item list and a 10M-entry stream through the admin API",
    ),
    (
        "invalidate-1m",
        "pattern delete of 500,000 of 1,000,000 keys vs a bare SCAN+UNLINK loop",
    ),
    (
        "memory-1m",
        "full memory analysis of 1,000,000 keys vs redis-cli --memkeys (keys/s)",
    ),
    (
        "export-1m",
        "dump export of 1,000,000 keys of every type vs a pipelined SCAN+DUMP loop (keys/s)",
    ),
    (
        "import-1m",
        "import of that dump file vs redis-cli --pipe of RESTORE commands (keys/s)",
    ),
    (
        "app-memory",
        "RSS of `redscope serve` after browsing the 1M-key tree and monitoring 1M messages",
    ),
    (
        "desktop",
        "the real desktop window driven through tauri-driver under Xvfb over 1,000,000 keys: click-to-value p95 on a key of each type, first paint, the channel monitor at 10,000 msgs/s for 60 s, PSS of all its processes",
    ),
    (
        "telemetry-overhead",
        "cache-get throughput with telemetry at a 1 s interval vs without, same run",
    ),
    (
        "monitor-publish",
        "channel monitor counting 2,000,000 PUBLISHes (redis-benchmark -P 64) vs a bare subscriber",
    ),
];

/// Runs one scenario against an empty database of `cfg`, at full size.
pub async fn run(scenario: &str, cfg: &RedisConfig) -> Result<BenchReport> {
    run_with(scenario, cfg, &BenchOptions::default()).await
}

/// Runs one scenario against an empty database of `cfg`, sized by `opts`.
pub async fn run_with(
    scenario: &str,
    cfg: &RedisConfig,
    opts: &BenchOptions,
) -> Result<BenchReport> {
    let quick = opts.quick;
    let report = match scenario {
        "cache-get" => local(cfg, |c| async move { cache::cache_get(&c).await }).await,
        "cache-many" => local(cfg, |c| async move { cache::cache_many(&c).await }).await,
        "stream-publish" => local(cfg, |c| async move { stream::stream_publish(&c).await }).await,
        "stream-consume" => local(cfg, |c| async move { stream::stream_consume(&c).await }).await,
        "channel-monitor" => channels::channel_monitor(cfg).await,
        "tree-1m" => tree::tree_1m(cfg).await,
        "tree-10m" => {
            let cfg = cfg.clone();
            tokio::task::spawn_blocking(move || tree10m::tree_10m(&cfg, quick))
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))?
        }
        "big-values" => {
            let cfg = cfg.clone();
            tokio::task::spawn_blocking(move || values::big_values(&cfg, quick))
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))?
        }
        "invalidate-1m" => invalidate_1m(cfg).await,
        "memory-1m" => memory::memory_1m(cfg).await,
        "export-1m" => transfer::export_1m(cfg).await,
        "import-1m" => transfer::import_1m(cfg).await,
        "app-memory" => blocking(cfg, app::app_memory).await,
        "desktop" => {
            let cfg = cfg.clone();
            tokio::task::spawn_blocking(move || desktop::desktop(&cfg, quick))
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e)))?
        }
        "telemetry-overhead" => {
            local(
                cfg,
                |c| async move { telemetry::telemetry_overhead(&c).await },
            )
            .await
        }
        "monitor-publish" => crate::bench_monitor::monitor_publish(cfg).await,
        other => Err(Error::InvalidInput(format!(
            "unknown scenario {other:?}; known: {}",
            SCENARIOS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }?;
    // Leave the database empty for the next scenario. ASYNC: the keys are gone at once and freed
    // in the background (a synchronous flush of 10M keys outlasts the reply timeout).
    let mut conn = redscope::conn::Conn::connect(cfg).await?;
    let _: () = redis::cmd("FLUSHDB")
        .arg("ASYNC")
        .query_async(&mut conn)
        .await?;
    Ok(report)
}

/// Runs a client-side scenario on its own current-thread runtime, as a latency-sensitive reader
/// or writer would run: with one connection used sequentially, a multi-threaded runtime adds a
/// cross-thread wake-up per command between the caller and redis-rs's connection driver (that
/// halved `cache-get`/`cache-many` in our profile), which is not what these scenarios measure.
async fn local<F, Fut>(cfg: &RedisConfig, f: F) -> Result<BenchReport>
where
    F: FnOnce(RedisConfig) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<BenchReport>>,
{
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(f(cfg))
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))?
}

async fn blocking(
    cfg: &RedisConfig,
    f: fn(&RedisConfig) -> Result<BenchReport>,
) -> Result<BenchReport> {
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || f(&cfg))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?
}

/// Keys `load_tree_1m` writes.
pub const TREE_KEYS: u64 = 1_000_000;

/// Fills the (flushed) database with 1,000,000 keys in a trading-shaped namespace tree.
pub async fn load_tree_1m(conn: &mut redscope::conn::Conn) -> Result<()> {
    let _: () = redis::cmd("FLUSHDB").query_async(conn).await?;
    for (prefix, n) in [
        ("market:ticker:binance", 300_000u64),
        ("market:orderbook:binance", 200_000),
        ("features", 200_000),
        ("session", 100_000),
        ("signals:momentum", 100_000),
        ("ts:latency", 100_000),
    ] {
        populate(conn, prefix, n).await?;
    }
    Ok(())
}

/// `n` keys `{prefix}:{i}` of 16 bytes: `DEBUG POPULATE`, or pipelines when DEBUG is disabled.
pub(crate) async fn populate(conn: &mut redscope::conn::Conn, prefix: &str, n: u64) -> Result<()> {
    let r: redis::RedisResult<()> = redis::cmd("DEBUG")
        .arg("POPULATE")
        .arg(n)
        .arg(prefix)
        .arg(16)
        .query_async(conn)
        .await;
    if let Err(e) = r {
        tracing::debug!("DEBUG POPULATE unavailable ({e}); loading with pipelines");
        let mut i = 0;
        while i < n {
            let mut pipe = redis::pipe();
            for j in i..(i + 10_000).min(n) {
                pipe.cmd("SET")
                    .arg(format!("{prefix}:{j}"))
                    .arg("0123456789abcdef")
                    .ignore();
            }
            let _: () = pipe.query_async(conn).await?;
            i += 10_000;
        }
    }
    Ok(())
}

/// Fills the database with `half` keys under `market:ticker:binance:` and `half` under `features:`.
async fn load_two_namespaces(conn: &mut redscope::conn::Conn, half: u64) -> Result<()> {
    let _: () = redis::cmd("FLUSHDB").query_async(conn).await?;
    for prefix in ["market:ticker:binance", "features"] {
        populate(conn, prefix, half).await?;
    }
    Ok(())
}

async fn invalidate_1m(cfg: &RedisConfig) -> Result<BenchReport> {
    let mut conn = redscope::conn::Conn::connect(cfg).await?;
    let half = 500_000;
    let pattern = "market:ticker:*";

    load_two_namespaces(&mut conn, half).await?;
    let t = Instant::now();
    let ours = keyspace::unlink_matching_all(
        &conn,
        pattern,
        &ScanOptions::default(),
        &CancellationToken::new(),
        |_| {},
    )
    .await?;
    let ours_s = t.elapsed().as_secs_f64();
    if ours.deleted != half {
        return Err(Error::server(format!(
            "ours deleted {} keys, expected {half}",
            ours.deleted
        )));
    }

    load_two_namespaces(&mut conn, half).await?;
    let (host, port) = tcp_addr(cfg)?;
    let cfg2 = cfg.clone();
    let (ref_s, ref_deleted) =
        tokio::task::spawn_blocking(move || bare_scan_unlink(&host, port, &cfg2, pattern))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    if ref_deleted != half {
        return Err(Error::server(format!(
            "the bare loop deleted {ref_deleted} keys, expected {half}"
        )));
    }
    let _: () = redis::cmd("FLUSHDB").query_async(&mut conn).await?;
    let mut r = BenchReport::new("invalidate-1m", "seconds", ours_s, ref_s, false, Some(1.3));
    r.details.push(("keys deleted".into(), half as f64));
    r.details
        .push(("SCAN calls (ours)".into(), ours.pages as f64));
    Ok(r)
}

/// redis-cli's arguments to reach `host:port` and the database of `cfg` (with its password),
/// then `mode` (`--memkeys`, `--pipe`, …): the reference tool run beside a scenario.
fn redis_cli_args(host: &str, port: u16, cfg: &RedisConfig, mode: &str) -> Vec<String> {
    let mut args = vec![
        "-h".to_string(),
        host.to_string(),
        "-p".into(),
        port.to_string(),
        "-n".into(),
        cfg.db.to_string(),
        mode.into(),
    ];
    if let Some(pw) = &cfg.password {
        args.extend([
            "--no-auth-warning".into(),
            "-a".into(),
            pw.expose().to_string(),
        ]);
    }
    args
}

fn tcp_addr(cfg: &RedisConfig) -> Result<(String, u16)> {
    match &cfg.endpoint {
        Endpoint::Tcp { host, port } => Ok((host.clone(), *port)),
        _ => Err(Error::InvalidInput(
            "benchmarks need a plain TCP server (no TLS, no socket)".into(),
        )),
    }
}

/// The reference: SCAN COUNT 1000 + UNLINK per page over one raw socket, no library.
fn bare_scan_unlink(host: &str, port: u16, cfg: &RedisConfig, pattern: &str) -> Result<(f64, u64)> {
    let mut c = RawResp::connect(host, port, cfg)?;
    let start = Instant::now();
    let mut cursor = "0".to_string();
    let mut deleted = 0;
    loop {
        let reply = c.call(&["SCAN", &cursor, "MATCH", pattern, "COUNT", "1000"])?;
        let Resp::Array(parts) = reply else {
            return Err(Error::Codec("SCAN reply".into()));
        };
        let [Resp::Bulk(next), Resp::Array(keys)] = &parts[..] else {
            return Err(Error::Codec("SCAN reply".into()));
        };
        if !keys.is_empty() {
            let mut args: Vec<&[u8]> = vec![b"UNLINK"];
            args.extend(keys.iter().filter_map(|k| {
                if let Resp::Bulk(b) = k {
                    Some(b.as_slice())
                } else {
                    None
                }
            }));
            if let Resp::Int(n) = c.call_bytes(&args)? {
                deleted += n as u64;
            }
        }
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            return Ok((start.elapsed().as_secs_f64(), deleted));
        }
    }
}

/// A RESP2 reply, as the bare reference loops read them.
pub use redscope_admin::resp::Value as Resp;

/// A blocking, unabstracted RESP2 client: the "no library" side of comparisons. Replies are
/// read with the one RESP reader, [`redscope_admin::resp`].
pub struct RawResp {
    s: TcpStream,
    buf: RespBuf,
}

impl RawResp {
    /// Connects (and AUTHs / SELECTs as `cfg` says).
    pub fn connect(host: &str, port: u16, cfg: &RedisConfig) -> Result<RawResp> {
        let s = TcpStream::connect((host, port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut c = RawResp {
            s,
            buf: RespBuf::new(64 * 1024, Limits::DEFAULT),
        };
        if let Some(pw) = &cfg.password {
            match &cfg.username {
                Some(u) => c.call(&["AUTH", u, pw.expose()])?,
                None => c.call(&["AUTH", pw.expose()])?,
            };
        }
        if cfg.db != 0 {
            c.call(&["SELECT", &cfg.db.to_string()])?;
        }
        Ok(c)
    }

    /// The socket and any bytes already read past the last reply (for a custom reader).
    pub fn into_parts(self) -> (TcpStream, Vec<u8>) {
        let pending = self.buf.unread().to_vec();
        (self.s, pending)
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, args: &[&str]) -> Result<Resp> {
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.call_bytes(&bytes)
    }

    /// Sends one binary-safe command and reads its reply.
    pub fn call_bytes(&mut self, args: &[&[u8]]) -> Result<Resp> {
        self.send(args)?;
        self.s.flush()?;
        self.read()
    }

    /// Writes a command without waiting (for pipelining); call [`RawResp::read`] for each.
    pub fn send(&mut self, args: &[&[u8]]) -> Result<()> {
        self.s.write_all(&encode_command(args))?;
        Ok(())
    }

    /// Reads one reply.
    pub fn read(&mut self) -> Result<Resp> {
        loop {
            if let Some((frame, used)) = self.buf.next_frame()? {
                let reply = frame.to_value();
                self.buf.consume(used);
                return Ok(reply);
            }
            let n = self.s.read(self.buf.spare()?)?;
            if n == 0 {
                return Err(Error::Connection("connection closed".into()));
            }
            self.buf.filled(n);
        }
    }
}

/// Runs `redis-benchmark --csv` with `args` against `port` and returns the first test's requests/s.
pub fn redis_benchmark_rps(port: u16, args: &[&str]) -> Result<f64> {
    let out = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "--csv"])
        .args(args)
        .output()
        .map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("redis-benchmark: {e} (install redis-tools)"),
            ))
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_benchmark_csv(&text)
        .ok_or_else(|| Error::Codec(format!("unexpected redis-benchmark output: {text}")))
}

/// The `rps` column of the first data row of redis-benchmark's CSV. Counted from the right, so
/// a test name holding commas (a custom command with a JSON argument) does not shift it.
pub fn parse_benchmark_csv(text: &str) -> Option<f64> {
    let columns = text
        .lines()
        .find(|l| l.starts_with("\"test\""))
        .map(|h| h.split(',').count())
        .unwrap_or(2);
    let row = text
        .lines()
        .find(|l| !l.starts_with("\"test\"") && l.starts_with('"'))?;
    let fields: Vec<&str> = row.split(',').collect();
    let at = fields.len().checked_sub(columns - 1)?;
    fields.get(at)?.trim_matches('"').parse().ok()
}

/// [`redis_benchmark_rps`] under another name, for the blocking scenario code.
pub fn run_redis_benchmark(port: u16, args: &[&str]) -> Result<f64> {
    redis_benchmark_rps(port, args)
}

/// [`redis_benchmark_rps`] on a blocking thread, so the async side is not held up.
pub async fn redis_benchmark_rps_blocking(port: u16, args: Vec<&str>) -> Result<f64> {
    let args: Vec<String> = args.into_iter().map(String::from).collect();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        redis_benchmark_rps(port, &refs)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_redis_benchmark_csv() {
        let csv = "\"test\",\"rps\",\"avg_latency_ms\"\n\"GET\",\"33112.59\",\"0.029\"\n";
        assert_eq!(parse_benchmark_csv(csv), Some(33112.59));
        assert_eq!(parse_benchmark_csv("garbage"), None);
        let json = "\"test\",\"rps\",\"avg_latency_ms\"\n\"PUBLISH ch {\"a\":1,\"b\":2}\",\"512000.25\",\"0.1\"\n";
        assert_eq!(parse_benchmark_csv(json), Some(512000.25));
    }

    #[test]
    fn ratios_and_targets() {
        let t = BenchReport::new("x", "s", 1.2, 1.0, false, Some(1.3));
        assert!((t.ratio - 1.2).abs() < 1e-9);
        assert_eq!(t.met, Some(true));
        let r = BenchReport::new("y", "ops/s", 80.0, 100.0, true, Some(0.9));
        assert_eq!(r.met, Some(false));
    }
}
