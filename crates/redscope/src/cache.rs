//! The cache: typed `get`/`set` with TTLs over any topology ([`Conn`]), `MGET`/pipelined batch
//! calls, cache-aside with single-flight (N concurrent misses on a key compute once), a
//! `cached` wrapper for async functions, hit/miss/error counters per data type, and graceful
//! degradation: with Redis down, reads are misses, writes are skipped, computations still run.
//!
//! Every Redis call goes through the circuit breaker ([`crate::breaker`]) and a per-call
//! timeout; transient failures are retried ([`crate::retry`]). A key gets a TTL only when the
//! caller or the data type's policy gives one: [`Cache::set`] persists like redis-py's
//! `set(key, value)` unless [`CacheOptions::default_ttl`] is set; [`Cache::set_ex`] and typed
//! views ([`Cache::typed`]) expire.
//!
//! ```no_run
//! # async fn demo() -> redscope::Result<()> {
//! use std::time::Duration;
//! use redscope::cache::{Cache, CacheOptions};
//! use redscope::ttl::DataType;
//!
//! let cfg = redscope::RedisConfig::from_env()?;
//! let cache = Cache::connect(&cfg, CacheOptions::default()).await?;
//! cache.typed(DataType::Ticker).set("ticker:binance:BTC-USDT", &45000.5).await?;
//! // Cache-aside: concurrent misses on one key run the closure once.
//! let sharpe: f64 = cache
//!     .cached("backtest", "momentum:10:30", Duration::from_secs(86_400), || async {
//!         Ok(1.7) // an expensive computation
//!     })
//!     .await?;
//! # let _ = sharpe;
//! # Ok(())
//! # }
//! ```

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::breaker::{BreakerConfig, BreakerStats, CircuitBreaker};
use crate::codec::Codec;
use crate::conn::Conn;
use crate::error::{Error, ErrorKind, Result};
use crate::health;
use crate::keyspace::{self, ScanOptions};
use crate::metrics::Histogram;
use crate::retry::RetryPolicy;
use crate::ttl::{DataType, Expiry, TtlPolicy};

/// Stats label of calls made without a data type.
pub const DEFAULT_LABEL: &str = "default";

/// Settings of a [`Cache`].
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// How values are encoded (JSON / MessagePack, compression threshold).
    pub codec: Codec,
    /// TTL of [`Cache::set`] writes (default:
    /// none, the key persists like redis-py's `set(key, value)`).
    pub default_ttl: Option<Duration>,
    /// TTL per data type, for [`Cache::typed`].
    pub ttl: TtlPolicy,
    /// Circuit breaker thresholds.
    pub breaker: BreakerConfig,
    /// Retry policy for transient failures.
    pub retry: RetryPolicy,
    /// Upper bound of one Redis call (all retries of a call can take `max_attempts` times this).
    pub op_timeout: Duration,
    /// Name in log lines (several caches may share a process).
    pub name: String,
    /// How values are stored: encoded strings (the default) or RedisJSON documents.
    pub storage: Storage,
}

/// How a [`Cache`] stores its values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Storage {
    /// Strings encoded by the cache's [`Codec`] (`SET` / `GET`).
    #[default]
    Codec,
    /// RedisJSON documents (`JSON.SET key $` / `JSON.GET key`), so other tools can read, search
    /// and edit the values by path. Needs the RedisJSON module; the codec is not used.
    JsonDocument,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            codec: Codec::default(),
            default_ttl: None,
            ttl: TtlPolicy::default(),
            breaker: BreakerConfig::default(),
            retry: RetryPolicy {
                max_attempts: 2,
                ..RetryPolicy::default()
            },
            op_timeout: Duration::from_secs(1),
            name: "cache".into(),
            storage: Storage::Codec,
        }
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
    writes: AtomicU64,
    skipped_writes: AtomicU64,
    computes: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> CounterSnapshot {
        let hits = self.hits.load(Ordering::Relaxed);
        let misses = self.misses.load(Ordering::Relaxed);
        CounterSnapshot {
            hits,
            misses,
            errors: self.errors.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            skipped_writes: self.skipped_writes.load(Ordering::Relaxed),
            computes: self.computes.load(Ordering::Relaxed),
            hit_rate: if hits + misses == 0 {
                0.0
            } else {
                hits as f64 / (hits + misses) as f64
            },
        }
    }
}

/// Counters of one data type (or of all), for telemetry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CounterSnapshot {
    /// Reads that found a value.
    pub hits: u64,
    /// Reads that found nothing (including reads degraded to a miss).
    pub misses: u64,
    /// Failed calls and undecodable values.
    pub errors: u64,
    /// Values written.
    pub writes: u64,
    /// Writes skipped because Redis was unavailable.
    pub skipped_writes: u64,
    /// Computations run by `get_or_compute` / `cached`.
    pub computes: u64,
    /// `hits / (hits + misses)`, 0 when nothing was read.
    pub hit_rate: f64,
}

/// What a [`Cache::warm`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WarmUp {
    /// Keys that were cached already.
    pub cached: u64,
    /// Keys fetched and stored.
    pub loaded: u64,
    /// Keys whose fetch (or store) failed.
    pub failed: u64,
}

/// All counters of a [`Cache`].
#[derive(Debug, Clone, Serialize)]
pub struct CacheStats {
    /// Sum over all data types.
    pub total: CounterSnapshot,
    /// Per data type (`ticker`, `features`, `default`, or a `cached` prefix).
    pub by_type: BTreeMap<String, CounterSnapshot>,
    /// The circuit breaker's counters.
    pub breaker: BreakerStats,
}

type Landing = Arc<dyn Any + Send + Sync>;
type Flights = Mutex<HashMap<Vec<u8>, watch::Receiver<Option<Landing>>>>;

struct Shared {
    opts: CacheOptions,
    breaker: CircuitBreaker,
    total: Counters,
    by_type: Mutex<HashMap<String, Arc<Counters>>>,
    /// `by_type`'s entry for [`DEFAULT_LABEL`], once created: untyped calls count without the lock.
    default_counters: OnceLock<Arc<Counters>>,
    flights: Flights,
    /// Latency of every Redis call (all retries of one call together).
    latency: Histogram,
    /// The server figures of the previous [`Cache::alerts`] call, for rates.
    last_sample: Mutex<Option<(Instant, health::Stats)>>,
}

/// The cache's server figures under the names the trading services' `get_stats()` returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerStats {
    /// Whether Redis answered.
    pub connected: bool,
    /// `used_memory_human`, e.g. `1.05M` (empty when not connected).
    pub memory_used: String,
    /// Keys in the cache's database (`DBSIZE`).
    pub total_keys: u64,
    /// The server's keyspace hit rate in percent (`keyspace_hits / (hits + misses) * 100`).
    pub hit_rate: f64,
    /// `connected_clients`.
    pub connected_clients: u64,
    /// `uptime_in_seconds`.
    pub uptime_seconds: u64,
    /// This cache's own hit rate in percent (its reads only).
    pub cache_hit_rate: f64,
}

/// A Redis cache over any topology; cheap to clone (clones share counters, breaker, flights).
#[derive(Clone)]
pub struct Cache {
    conn: Conn,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("name", &self.shared.opts.name)
            .field("breaker", &self.shared.breaker)
            .finish()
    }
}

/// Removes a key's flight when its leader finishes or is cancelled.
struct FlightGuard<'a> {
    flights: &'a Flights,
    key: &'a [u8],
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        self.flights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(self.key);
    }
}

enum Role {
    Lead(watch::Sender<Option<Landing>>),
    Join(watch::Receiver<Option<Landing>>),
}

impl Cache {
    /// Connects to the deployment `cfg` names and builds a cache with these options.
    pub async fn connect(cfg: &crate::config::RedisConfig, opts: CacheOptions) -> Result<Self> {
        Ok(Self::with_options(Conn::connect(cfg).await?, opts))
    }

    /// A cache as the environment configures it: without Redis when `cfg.enabled` is false
    /// (`REDIS_ENABLED=false`), else connecting in the background ([`Cache::connect_lazy`]).
    /// Never fails: a service starts whatever the state of Redis.
    pub fn from_config(cfg: &crate::config::RedisConfig, opts: CacheOptions) -> Self {
        if cfg.enabled {
            Self::connect_lazy(cfg, opts)
        } else {
            Self::with_options(Conn::disabled(), opts)
        }
    }

    /// A cache that starts while Redis is down: it works as a pass-through (reads miss, writes
    /// are skipped, `get_or_compute` computes) and uses Redis once the background connection
    /// succeeds ([`Conn::connect_lazy`]). Needs a Tokio runtime.
    pub fn connect_lazy(cfg: &crate::config::RedisConfig, opts: CacheOptions) -> Self {
        Self::with_options(Conn::connect_lazy(cfg), opts)
    }

    /// A cache over `conn` with default options.
    pub fn new(conn: Conn) -> Self {
        Self::with_options(conn, CacheOptions::default())
    }

    /// A cache over `conn` with these options.
    pub fn with_options(conn: Conn, opts: CacheOptions) -> Self {
        let breaker = CircuitBreaker::new(opts.name.clone(), opts.breaker.clone());
        Cache {
            conn,
            shared: Arc::new(Shared {
                opts,
                breaker,
                total: Counters::default(),
                by_type: Mutex::new(HashMap::new()),
                default_counters: OnceLock::new(),
                flights: Mutex::new(HashMap::new()),
                latency: Histogram::default(),
                last_sample: Mutex::new(None),
            }),
        }
    }

    /// The connection the cache uses.
    pub fn conn(&self) -> &Conn {
        &self.conn
    }

    /// The cache's options.
    pub fn options(&self) -> &CacheOptions {
        &self.shared.opts
    }

    /// The per-type TTL policy (overrides made here apply to every clone).
    pub fn ttl_policy(&self) -> &TtlPolicy {
        &self.shared.opts.ttl
    }

    /// The codec values are written with.
    pub fn codec(&self) -> &Codec {
        &self.shared.opts.codec
    }

    /// The circuit breaker guarding every call.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.shared.breaker
    }

    /// A view whose calls use `t`'s TTL and count under `t`'s name.
    pub fn typed(&self, t: DataType) -> TypedCache {
        TypedCache {
            cache: self.clone(),
            data_type: t,
        }
    }

    /// Counters, total and per data type.
    pub fn stats(&self) -> CacheStats {
        let by_type = self
            .shared
            .by_type
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.snapshot()))
            .collect();
        CacheStats {
            total: self.shared.total.snapshot(),
            by_type,
            breaker: self.shared.breaker.stats(),
        }
    }

    /// True when Redis answers `PING` within the call timeout (`health_check()`).
    pub async fn health_check(&self) -> bool {
        let mut c = self.conn.clone();
        matches!(
            tokio::time::timeout(self.shared.opts.op_timeout, crate::health::ping(&mut c)).await,
            Ok(Ok(_))
        )
    }

    /// `get_stats()`: connection, memory, keys, hit rate in percent, clients and uptime of the
    /// server, plus this cache's own hit rate. Not connected gives `connected: false` and zeros.
    pub async fn get_stats(&self) -> ServerStats {
        let cache_hit_rate = self.stats().total.hit_rate * 100.0;
        let mut c = self.conn.clone();
        let info = tokio::time::timeout(self.shared.opts.op_timeout, async {
            let info = crate::health::info(&mut c, None).await?;
            let keys: u64 = redis::cmd("DBSIZE").query_async(&mut c).await?;
            Ok::<_, Error>((info, keys))
        })
        .await;
        let Ok(Ok((info, total_keys))) = info else {
            return ServerStats {
                cache_hit_rate,
                ..ServerStats::default()
            };
        };
        let stats = health::Stats::from_info(&info);
        ServerStats {
            connected: true,
            memory_used: info.get("used_memory_human").unwrap_or("").to_string(),
            total_keys,
            hit_rate: stats.hit_rate().unwrap_or(0.0) * 100.0,
            connected_clients: stats.connected_clients,
            uptime_seconds: stats.uptime_s,
            cache_hit_rate,
        }
    }

    /// The alerts for this cache's server now: Redis unreachable (critical); the health
    /// thresholds of [`health::alerts`]; evictions per second and new error replies since the
    /// previous call ([`health::window_alerts`]; the first call counts from the server's
    /// start); and this cache's P99 call latency ([`health::latency_alert`]).
    pub async fn alerts(&self) -> Vec<health::Alert> {
        let mut c = self.conn.clone();
        let info = tokio::time::timeout(
            self.shared.opts.op_timeout,
            crate::health::info(&mut c, None),
        )
        .await;
        let stats = match info {
            Ok(Ok(info)) => health::Stats::from_info(&info),
            Ok(Err(e)) => return vec![health::unreachable_alert(&e.to_string())],
            Err(_) => return vec![health::unreachable_alert("INFO timed out")],
        };
        let mut out = health::alerts(&stats);
        let now = Instant::now();
        let previous = self
            .shared
            .last_sample
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace((now, stats.clone()));
        let (before, elapsed) = match previous {
            Some((at, s)) => (s, now - at),
            None => (
                health::Stats::default(),
                Duration::from_secs(stats.uptime_s.max(1)),
            ),
        };
        out.extend(health::window_alerts(&before, &stats, elapsed));
        if let Some(p99) = self.shared.latency.quantile(0.99) {
            out.extend(health::latency_alert(p99));
        }
        out
    }

    /// The latency histogram of this cache's Redis calls.
    pub fn latency(&self) -> &Histogram {
        &self.shared.latency
    }

    /// The cache's metrics in the Prometheus text format: `cache_hits_total` and
    /// `cache_misses_total` per data type, `cache_latency_seconds` (a histogram of every call),
    /// all labelled with the cache's name. Serve it on a `/metrics` route.
    pub fn prometheus(&self) -> String {
        let name = crate::metrics::label_value(&self.shared.opts.name);
        let stats = self.stats();
        let mut out = String::with_capacity(2048);
        for (family, help, pick) in [
            (
                "cache_hits_total",
                "Total cache hits",
                (|c: &CounterSnapshot| c.hits) as fn(&CounterSnapshot) -> u64,
            ),
            ("cache_misses_total", "Total cache misses", |c| c.misses),
        ] {
            out.push_str(&format!(
                "# HELP {family} {help}\n# TYPE {family} counter\n"
            ));
            for (t, c) in &stats.by_type {
                out.push_str(&format!(
                    "{family}{{cache=\"{name}\",data_type=\"{}\"}} {}\n",
                    crate::metrics::label_value(t),
                    pick(c)
                ));
            }
        }
        out.push_str("# HELP cache_latency_seconds Cache operation latency\n");
        out.push_str("# TYPE cache_latency_seconds histogram\n");
        self.shared.latency.render(
            &mut out,
            "cache_latency_seconds",
            &format!("cache=\"{name}\""),
        );
        out
    }

    // ----- reads -----

    /// The value at `key`, decoded; `Ok(None)` on a miss or when Redis is unavailable.
    /// A value that does not decode as `T` is a [`Error::Codec`].
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.get_in(DEFAULT_LABEL, key).await
    }

    /// The bytes at `key` as stored (binary-safe, no decoding); `Ok(None)` on a miss or outage.
    pub async fn get_raw(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_raw_in(DEFAULT_LABEL, key).await
    }

    /// The values at `keys` in one `MGET` (split by slot on a Cluster), in order. Misses,
    /// undecodable values (counted as errors) and an unavailable Redis give `None`.
    pub async fn get_many<T: DeserializeOwned>(&self, keys: &[&str]) -> Result<Vec<Option<T>>> {
        self.get_many_in(DEFAULT_LABEL, keys).await
    }

    /// True when `key` exists.
    pub async fn exists(&self, key: &str) -> Result<bool> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(key);
        let n: u64 = self.query(&cmd).await?;
        Ok(n > 0)
    }

    /// The remaining TTL of `key` (`None` when it has none or does not exist).
    pub async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let mut cmd = redis::cmd("PTTL");
        cmd.arg(key);
        let ms: i64 = self.query(&cmd).await?;
        Ok((ms >= 0).then(|| Duration::from_millis(ms as u64)))
    }

    // ----- writes -----

    /// Writes `value` with [`CacheOptions::default_ttl`], without a TTL when that is `None` (the
    /// default: `set("config", …)` persists). `Ok(false)` when the write is not confirmed because
    /// Redis is unavailable or too slow (logged; a write that timed out may still land later).
    pub async fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<bool> {
        match self.shared.opts.default_ttl {
            Some(ttl) => self.set_in(DEFAULT_LABEL, key.as_bytes(), value, ttl).await,
            None => self.set_persistent(key, value).await,
        }
    }

    /// redis-py's `set_json(key, value, ex=…)`: `value` as JSON, with `ttl` or without a TTL.
    pub async fn set_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        match ttl {
            Some(ttl) => self.set_ex(key, value, ttl).await,
            None => self.set_persistent(key, value).await,
        }
    }

    /// redis-py's `get_json(key)`: the JSON value at `key` (a miss or outage is `None`).
    pub async fn get_json(&self, key: &str) -> Result<Option<serde_json::Value>> {
        self.get(key).await
    }

    /// Writes `value` with this TTL (sub-second TTLs use `PX`).
    pub async fn set_ex<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<bool> {
        self.set_in(DEFAULT_LABEL, key.as_bytes(), value, ttl).await
    }

    /// Writes `value` without any TTL, whatever [`CacheOptions::default_ttl`] says: the key
    /// stays until deleted.
    pub async fn set_persistent<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<bool> {
        let bytes = self.encode(DEFAULT_LABEL, value)?;
        let cmd = self.write_cmd(key.as_bytes(), bytes);
        self.write(DEFAULT_LABEL, &cmd).await
    }

    /// Writes bytes as they are (binary-safe, no encoding or compression) with this TTL.
    pub async fn set_raw(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value);
        Expiry::from_ttl(ttl)?.apply(&mut cmd);
        self.write(DEFAULT_LABEL, &cmd).await
    }

    /// Writes several values in one pipeline, all with `ttl`.
    pub async fn set_many<K: AsRef<str>, T: Serialize>(
        &self,
        entries: &[(K, T)],
        ttl: Duration,
    ) -> Result<bool> {
        self.set_many_in(
            DEFAULT_LABEL,
            entries.iter().map(|(k, v)| (k.as_ref(), v, ttl)),
        )
        .await
    }

    /// Writes several values in one pipeline, each with its own TTL.
    pub async fn set_many_with_ttls<K: AsRef<str>, T: Serialize>(
        &self,
        entries: &[(K, T, Duration)],
    ) -> Result<bool> {
        self.set_many_in(
            DEFAULT_LABEL,
            entries.iter().map(|(k, v, t)| (k.as_ref(), v, *t)),
        )
        .await
    }

    /// Removes keys (with `UNLINK`); returns how many existed. Errors are reported, not hidden:
    /// a failed invalidation must be visible.
    pub async fn delete(&self, keys: &[&str]) -> Result<u64> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut cmd = redis::cmd("UNLINK");
        cmd.arg(keys);
        self.query(&cmd).await
    }

    /// Removes every key matching a glob pattern with `SCAN` + `UNLINK` in batches on every
    /// master (never `KEYS`); returns the number removed.
    pub async fn invalidate_pattern(&self, pattern: &str) -> Result<u64> {
        self.invalidate_pattern_with(pattern, &CancellationToken::new())
            .await
    }

    /// [`Cache::invalidate_pattern`] that stops early when `cancel` fires.
    pub async fn invalidate_pattern_with(
        &self,
        pattern: &str,
        cancel: &CancellationToken,
    ) -> Result<u64> {
        let permit = self.shared.breaker.acquire()?;
        let r = keyspace::unlink_matching_all(
            &self.conn,
            pattern,
            &ScanOptions::default(),
            cancel,
            |_| {},
        )
        .await;
        permit.record(&r);
        let p = r?;
        tracing::debug!(pattern, deleted = p.deleted, "invalidated by pattern");
        Ok(p.deleted)
    }

    /// Cache warm-up: fetches the values of `keys` that are not cached (one `MGET` to find
    /// them, up to 8 fetches at a time) and stores them with `ttl` in one pipeline. A failed
    /// fetch is logged and counted, never fatal.
    pub async fn warm<T, F, Fut>(&self, keys: &[&str], ttl: Duration, fetch: F) -> Result<WarmUp>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        use futures_util::StreamExt;
        Expiry::from_ttl(ttl)?;
        let present: Vec<Option<serde::de::IgnoredAny>> = self.get_many(keys).await?;
        let missing: Vec<String> = keys
            .iter()
            .zip(&present)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string())
            .collect();
        let mut report = WarmUp {
            cached: (keys.len() - missing.len()) as u64,
            ..WarmUp::default()
        };
        let fetched: Vec<(String, Result<T>)> = futures_util::stream::iter(missing)
            .map(|k| {
                let f = fetch(k.clone());
                async move { (k, f.await) }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let mut entries = Vec::with_capacity(fetched.len());
        for (k, r) in fetched {
            match r {
                Ok(v) => entries.push((k, v, ttl)),
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(key = %k, "warm-up fetch failed: {e}");
                }
            }
        }
        report.loaded = entries.len() as u64;
        if !entries.is_empty() && !self.set_many_with_ttls(&entries).await? {
            report.failed += report.loaded;
            report.loaded = 0;
        }
        Ok(report)
    }

    // ----- cache-aside -----

    /// The value at `key`, or else the result of `compute`, stored with `ttl`. Concurrent misses
    /// on one key compute once: the others wait for that result (an error reaches every waiter
    /// and is not cached). With Redis unavailable, `compute` still runs and its value is returned.
    pub async fn get_or_compute<T, F, Fut>(&self, key: &str, ttl: Duration, compute: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.get_or_compute_in(DEFAULT_LABEL, key, ttl, compute)
            .await
    }

    /// Memoises an async function under `"{prefix}:{args_key}"` (the Python services' `@cached(ttl,
    /// key_prefix)`), counting under `prefix` in the stats.
    pub async fn cached<T, F, Fut>(
        &self,
        prefix: &str,
        args_key: &str,
        ttl: Duration,
        compute: F,
    ) -> Result<T>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if prefix.is_empty() {
            return Err(Error::InvalidInput(
                "a cached() prefix must not be empty".into(),
            ));
        }
        let key = format!("{prefix}:{args_key}");
        self.get_or_compute_in(prefix, &key, ttl, compute).await
    }

    // ----- internals shared with TypedCache and market -----

    pub(crate) async fn get_in<T: DeserializeOwned>(
        &self,
        label: &str,
        key: &str,
    ) -> Result<Option<T>> {
        match self.get_raw_in(label, key.as_bytes()).await? {
            None => Ok(None),
            Some(bytes) => match self.decode(&bytes) {
                Ok(v) => Ok(Some(v)),
                Err(e) => {
                    self.count(label, |c| &c.errors);
                    Err(e)
                }
            },
        }
    }

    async fn get_raw_in(&self, label: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let cmd = self.read_cmd(key);
        match self.query::<Option<Vec<u8>>>(&cmd).await {
            Ok(Some(v)) => {
                self.count(label, |c| &c.hits);
                Ok(Some(v))
            }
            Ok(None) => {
                self.count(label, |c| &c.misses);
                Ok(None)
            }
            Err(e) if degrades(&e) => {
                self.count(label, |c| &c.errors);
                self.count(label, |c| &c.misses);
                tracing::debug!(cache = %self.shared.opts.name, "read degraded to a miss: {e}");
                Ok(None)
            }
            Err(e) => {
                self.count(label, |c| &c.errors);
                Err(e)
            }
        }
    }

    pub(crate) async fn get_many_in<T: DeserializeOwned>(
        &self,
        label: &str,
        keys: &[&str],
    ) -> Result<Vec<Option<T>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let read = match self.shared.opts.storage {
            Storage::Codec => {
                let mut cmd = redis::cmd("MGET");
                cmd.arg(keys);
                self.query(&cmd).await
            }
            // One JSON.GET per key in a pipeline (JSON.MGET cannot span a Cluster's slots).
            Storage::JsonDocument => {
                let mut pipe = redis::pipe();
                for k in keys {
                    pipe.add_command(self.read_cmd(k.as_bytes()));
                }
                self.query_pipe(&pipe).await
            }
        };
        let raw: Vec<Option<Vec<u8>>> = match read {
            Ok(v) => v,
            Err(e) if degrades(&e) => {
                self.count_n(label, |c| &c.misses, keys.len() as u64);
                self.count(label, |c| &c.errors);
                tracing::debug!(cache = %self.shared.opts.name, "MGET degraded to misses: {e}");
                return Ok(keys.iter().map(|_| None).collect());
            }
            Err(e) => {
                self.count(label, |c| &c.errors);
                return Err(e);
            }
        };
        // Counted once per call, not once per key: the counters are shared atomics.
        let (mut hits, mut misses, mut errors) = (0u64, 0u64, 0u64);
        let mut out = Vec::with_capacity(raw.len());
        for (key, bytes) in keys.iter().zip(raw) {
            match bytes {
                None => {
                    misses += 1;
                    out.push(None);
                }
                Some(b) => {
                    hits += 1;
                    match self.decode(&b) {
                        Ok(v) => out.push(Some(v)),
                        Err(e) => {
                            errors += 1;
                            tracing::warn!(
                                key,
                                "cached value does not decode, treated as a miss: {e}"
                            );
                            out.push(None);
                        }
                    }
                }
            }
        }
        let per = self.counters(label);
        for (which, n) in [
            (
                (|c: &Counters| &c.hits) as fn(&Counters) -> &AtomicU64,
                hits,
            ),
            (|c| &c.misses, misses),
            (|c| &c.errors, errors),
        ] {
            if n > 0 {
                which(&self.shared.total).fetch_add(n, Ordering::Relaxed);
                which(&per).fetch_add(n, Ordering::Relaxed);
            }
        }
        Ok(out)
    }

    pub(crate) async fn set_in<T: Serialize + ?Sized>(
        &self,
        label: &str,
        key: &[u8],
        value: &T,
        ttl: Duration,
    ) -> Result<bool> {
        let bytes = self.encode(label, value)?;
        let expiry = Expiry::from_ttl(ttl)?;
        match self.shared.opts.storage {
            Storage::Codec => {
                let mut cmd = self.write_cmd(key, bytes);
                expiry.apply(&mut cmd);
                self.write(label, &cmd).await
            }
            Storage::JsonDocument => {
                let mut pipe = redis::pipe();
                pipe.atomic()
                    .add_command(self.write_cmd(key, bytes))
                    .ignore()
                    .add_command(expiry.expire_cmd(key))
                    .ignore();
                match self.query_pipe::<()>(&pipe).await {
                    Ok(()) => {
                        self.count(label, |c| &c.writes);
                        Ok(true)
                    }
                    Err(e) => self.write_failed(label, e, 1),
                }
            }
        }
    }

    /// The command reading `key`'s stored value: `GET`, or `JSON.GET` of the whole document.
    fn read_cmd(&self, key: &[u8]) -> redis::Cmd {
        let mut cmd = match self.shared.opts.storage {
            Storage::Codec => redis::cmd("GET"),
            Storage::JsonDocument => redis::cmd("JSON.GET"),
        };
        cmd.arg(key);
        cmd
    }

    /// The command storing encoded `bytes` at `key` (no expiry): `SET`, or `JSON.SET key $`.
    fn write_cmd(&self, key: &[u8], bytes: Vec<u8>) -> redis::Cmd {
        match self.shared.opts.storage {
            Storage::Codec => {
                let mut cmd = redis::cmd("SET");
                cmd.arg(key).arg(bytes);
                cmd
            }
            Storage::JsonDocument => {
                let mut cmd = redis::cmd("JSON.SET");
                cmd.arg(key).arg("$").arg(bytes);
                cmd
            }
        }
    }

    /// Decodes a stored value as [`Storage`] says.
    fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        match self.shared.opts.storage {
            Storage::Codec => self.shared.opts.codec.decode(bytes),
            Storage::JsonDocument => serde_json::from_slice(bytes)
                .map_err(|e| Error::Codec(format!("not a JSON document of this type: {e}"))),
        }
    }

    pub(crate) async fn set_many_in<'a, T: Serialize + 'a>(
        &self,
        label: &str,
        entries: impl Iterator<Item = (&'a str, &'a T, Duration)>,
    ) -> Result<bool> {
        let mut pipe = redis::pipe();
        let mut n = 0u64;
        for (key, value, ttl) in entries {
            let expiry = Expiry::from_ttl(ttl)?;
            let mut cmd = self.write_cmd(key.as_bytes(), self.encode(label, value)?);
            match self.shared.opts.storage {
                Storage::Codec => {
                    expiry.apply(&mut cmd);
                    pipe.add_command(cmd).ignore();
                }
                Storage::JsonDocument => {
                    pipe.add_command(cmd).ignore();
                    pipe.add_command(expiry.expire_cmd(key)).ignore();
                }
            }
            n += 1;
        }
        if n == 0 {
            return Ok(true);
        }
        match self.query_pipe::<()>(&pipe).await {
            Ok(()) => {
                self.count_n(label, |c| &c.writes, n);
                Ok(true)
            }
            Err(e) => self.write_failed(label, e, n),
        }
    }

    pub(crate) async fn get_or_compute_in<T, F, Fut>(
        &self,
        label: &str,
        key: &str,
        ttl: Duration,
        compute: F,
    ) -> Result<T>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        Expiry::from_ttl(ttl)?;
        match self.get_in::<T>(label, key).await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            // A value in an old or foreign format is replaced by a fresh one.
            Err(e) if e.kind() == ErrorKind::Codec => {
                tracing::warn!(key, "cached value unusable, recomputing: {e}")
            }
            // Anything else (e.g. the key holds a hash) must not be overwritten.
            Err(e) => return Err(e),
        }
        let kb = key.as_bytes();
        let leader = loop {
            let role = {
                let mut flights = self
                    .shared
                    .flights
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                match flights.get(kb) {
                    Some(rx) => Role::Join(rx.clone()),
                    None => {
                        let (tx, rx) = watch::channel(None);
                        flights.insert(kb.to_vec(), rx);
                        Role::Lead(tx)
                    }
                }
            };
            match role {
                Role::Lead(tx) => break Some(tx),
                Role::Join(mut rx) => {
                    let landed = match rx.wait_for(Option::is_some).await {
                        Ok(v) => v.clone(),
                        // The leader was cancelled before finishing: try again (maybe lead).
                        Err(_) => continue,
                    };
                    let Some(landed) = landed else { continue };
                    match landed.downcast_ref::<Result<T>>() {
                        Some(outcome) => return outcome.clone(),
                        // Another type is computed under this key: compute on our own.
                        None => break None,
                    }
                }
            }
        };
        let guard = leader.as_ref().map(|_| FlightGuard {
            flights: &self.shared.flights,
            key: kb,
        });
        // Another leader may have stored the value between our miss and our lead.
        let again = match self.query::<Option<Vec<u8>>>(&self.read_cmd(kb)).await {
            Ok(Some(b)) => self.decode::<T>(&b).ok(),
            _ => None,
        };
        let outcome = match again {
            Some(v) => Ok(v),
            None => {
                self.count(label, |c| &c.computes);
                let r = compute().await;
                if let Ok(v) = &r {
                    if let Err(e) = self.set_in(label, kb, v, ttl).await {
                        tracing::warn!(key, "computed value not cached: {e}");
                    }
                }
                r
            }
        };
        drop(guard);
        if let Some(tx) = leader {
            let landing: Landing = Arc::new(outcome.clone());
            tx.send_replace(Some(landing));
        }
        outcome
    }

    /// Runs one command under the breaker, the per-call timeout and the retry policy.
    pub(crate) async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let opts = &self.shared.opts;
        let started = Instant::now();
        let r = opts
            .retry
            .run(|_| {
                let mut c = self.conn.clone();
                async move {
                    let permit = self.shared.breaker.acquire()?;
                    let r = c.query_within(cmd, opts.op_timeout).await;
                    permit.record(&r);
                    r
                }
            })
            .await;
        self.shared.latency.observe(started.elapsed());
        r
    }

    /// Runs one pipeline (or `MULTI` transaction) like [`Cache::query`]. Only for idempotent
    /// pipelines (`SET`s, reads): a retried pipeline may run twice.
    pub(crate) async fn query_pipe<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T> {
        self.shared.opts.retry.run(|_| self.pipe_once(pipe)).await
    }

    /// Runs one pipeline under the breaker and the per-call timeout, without retries: for
    /// commands that must not run twice (`INCR`, `LPUSH`) when a reply is lost.
    pub(crate) async fn pipe_once<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T> {
        let opts = &self.shared.opts;
        let mut c = self.conn.clone();
        let permit = self.shared.breaker.acquire()?;
        let started = Instant::now();
        let r = match tokio::time::timeout(opts.op_timeout, pipe.query_async(&mut c)).await {
            Ok(r) => r.map_err(Error::from),
            Err(_) => Err(Error::Timeout(opts.op_timeout)),
        };
        self.shared.latency.observe(started.elapsed());
        permit.record(&r);
        r
    }

    fn encode<T: Serialize + ?Sized>(&self, label: &str, value: &T) -> Result<Vec<u8>> {
        match self.shared.opts.storage {
            Storage::Codec => self.shared.opts.codec.encode(value),
            Storage::JsonDocument => serde_json::to_vec(value)
                .map_err(|e| Error::Codec(format!("value is not JSON-serialisable: {e}"))),
        }
        .inspect_err(|_| {
            self.count(label, |c| &c.errors);
        })
    }

    async fn write(&self, label: &str, cmd: &redis::Cmd) -> Result<bool> {
        match self.query::<redis::Value>(cmd).await {
            Ok(_) => {
                self.count(label, |c| &c.writes);
                Ok(true)
            }
            Err(e) => self.write_failed(label, e, 1),
        }
    }

    fn write_failed(&self, label: &str, e: Error, n: u64) -> Result<bool> {
        self.count(label, |c| &c.errors);
        if degrades(&e) {
            self.count_n(label, |c| &c.skipped_writes, n);
            tracing::debug!(cache = %self.shared.opts.name, skipped = n, "write skipped, Redis unavailable: {e}");
            Ok(false)
        } else {
            Err(e)
        }
    }

    fn count(&self, label: &str, which: impl Fn(&Counters) -> &AtomicU64) {
        self.count_n(label, which, 1);
    }

    fn count_n(&self, label: &str, which: impl Fn(&Counters) -> &AtomicU64, n: u64) {
        which(&self.shared.total).fetch_add(n, Ordering::Relaxed);
        which(&self.counters(label)).fetch_add(n, Ordering::Relaxed);
    }

    /// The counters of `label`, created on first use.
    fn counters(&self, label: &str) -> Arc<Counters> {
        let lookup = || {
            let mut map = self
                .shared
                .by_type
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match map.get(label) {
                Some(c) => c.clone(),
                None => map.entry(label.to_string()).or_default().clone(),
            }
        };
        if label == DEFAULT_LABEL {
            self.shared.default_counters.get_or_init(lookup).clone()
        } else {
            lookup()
        }
    }
}

/// True when a failure means "Redis is unavailable": reads become misses, writes are skipped.
fn degrades(e: &Error) -> bool {
    e.is_transient() || e.kind() == ErrorKind::CircuitOpen
}

/// A [`Cache`] view for one [`DataType`]: its TTL from the policy, its own counters.
#[derive(Clone, Debug)]
pub struct TypedCache {
    cache: Cache,
    data_type: DataType,
}

impl TypedCache {
    /// The data type of this view.
    pub fn data_type(&self) -> DataType {
        self.data_type
    }

    /// The TTL this view writes with (the policy's current value).
    pub fn ttl(&self) -> Duration {
        self.cache.ttl_policy().ttl(self.data_type)
    }

    /// The value at `key` (a miss when Redis is unavailable).
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.cache.get_in(self.data_type.name(), key).await
    }

    /// Writes `value` with this type's TTL.
    pub async fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<bool> {
        self.cache
            .set_in(self.data_type.name(), key.as_bytes(), value, self.ttl())
            .await
    }

    /// Writes `value` with `ttl`, or with this type's TTL when `None` (a per-call TTL).
    pub async fn set_with_ttl<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let ttl = ttl.unwrap_or_else(|| self.ttl());
        self.cache
            .set_in(self.data_type.name(), key.as_bytes(), value, ttl)
            .await
    }

    /// Reads several keys in one `MGET`.
    pub async fn get_many<T: DeserializeOwned>(&self, keys: &[&str]) -> Result<Vec<Option<T>>> {
        self.cache.get_many_in(self.data_type.name(), keys).await
    }

    /// Writes several values in one pipeline with this type's TTL.
    pub async fn set_many<K: AsRef<str>, T: Serialize>(&self, entries: &[(K, T)]) -> Result<bool> {
        let ttl = self.ttl();
        self.cache
            .set_many_in(
                self.data_type.name(),
                entries.iter().map(|(k, v)| (k.as_ref(), v, ttl)),
            )
            .await
    }

    /// Cache-aside with single-flight, with this type's TTL.
    pub async fn get_or_compute<T, F, Fut>(&self, key: &str, compute: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.cache
            .get_or_compute_in(self.data_type.name(), key, self.ttl(), compute)
            .await
    }
}
