//! Redscope's Redis layer: everything a trading service needs from Redis, and nothing of the app.
//!
//! The admin service (`redscope-admin`), web mode and CLI (`redscope-cli`) and the test fixture
//! (`redscope-testing`) are separate crates built on this one; it depends on none of them.
//!
//! # Layout
//!
//! - [`error`]: the crate's one error enum, classified by kind and predicates.
//! - [`config`]: connection settings from a URL or `REDIS_*` environment variables.
//! - [`conn`]: [`conn::Conn`], one handle for a single server, a Cluster or a Sentinel-managed
//!   master (reconnects and follows failovers), plus dedicated blocking connections.
//! - [`codec`]: value encoding (JSON, marked MessagePack, zstd above a threshold) and decoding of
//!   anything other writers store (plain strings, bare zstd, gzip).
//! - [`ttl`]: TTL per data type (ticker 2 s … features 1 h), overridable at run time and from JSON.
//! - [`breaker`]: the circuit breaker (closed / open / half-open) guarding Redis calls.
//! - [`retry`]: retries of transient failures with exponential backoff and full jitter.
//! - [`cache`]: [`cache::Cache`], typed get/set with TTLs, batches, cache-aside with
//!   single-flight, a `cached` wrapper, counters, graceful degradation when Redis is down.
//! - [`market`]: the trading caches on top of it: tickers, order books, trades, candles, signals,
//!   API-call counters, features, the signal buffer and query results; [`market::layout`] is the
//!   one key-layout registry (pattern, SCAN glob, TTL source, encoding, UI view per kind of key).
//! - [`session`]: sessions for the monitor UI, hashes with a sliding TTL.
//! - [`tls`]: `rediss://` via rustls (ring provider), private CA files, `#insecure`.
//! - `ssh` (feature `ssh`): SSH tunnels through a bastion, one jump host, known-hosts checks;
//!   every topology's addresses mapped through the tunnel.
//! - [`pool`]: a small pool of dedicated connections for blocking commands.
//! - [`health`]: `PING` latency and `INFO` parsed into typed figures, and the alerts.
//! - [`metrics`]: the cache's Prometheus metrics (text exposition, no dependency).
//! - [`keyspace`]: `SCAN` pages and batched `UNLINK` by pattern, with progress and cancellation.
//! - [`stream`]: market data on Redis Streams: [`stream::MarketDataStream`] publishes
//!   [`stream::MarketTick`]s (`XADD MAXLEN ~`), runs consumer groups with ack-after-success and
//!   `XAUTOCLAIM` recovery, replays by id or time, and reports lag and pending counts.
//! - [`telemetry`]: every library client reports its cache hit rates, breakers, limits, locks
//!   and consumer lag in `redscope:clients:{service}:{instance}` and `HEARTBEAT`s.
//! - [`timeseries`]: [`timeseries::TimeSeriesStore`], points and OHLCV bars in sorted sets scored by
//!   epoch milliseconds, with ranges, stats, downsampling and retention by age and count.
//! - [`events`]: typed pub/sub messages: the trading envelope `{type, timestamp, source, data}`
//!   and flat `{event_type, timestamp, …}` events.
//! - [`invalidation`]: `orders.executed` / `positions.updated` events remove the keys they make stale.
//! - [`pubsub`]: [`pubsub::PubSubManager`], publish helpers and a listener that re-subscribes by
//!   itself after an outage and reports the gap.
//! - [`ratelimit`]: exact sliding-window and fixed-window rate limits, atomic in Lua.
//! - [`lock`]: distributed locks with owner tokens, retrying acquire, extend and a releasing guard.

pub mod breaker;
pub mod cache;
pub mod codec;
pub mod config;
pub mod conn;
pub mod error;
pub mod events;
pub mod health;
pub mod invalidation;
pub mod keyspace;
pub mod lock;
pub mod market;
pub mod metrics;
pub mod pool;
pub mod pubsub;
pub mod ratelimit;
pub mod retry;
pub mod session;
#[cfg(feature = "ssh")]
pub mod ssh;
pub mod stream;
pub mod telemetry;
pub mod timeseries;
pub mod tls;
#[cfg(all(feature = "tls", unix))]
pub mod tls_relay;
pub mod ttl;

pub use config::{RedisConfig, Secret};
pub use error::{Error, ErrorKind, Result};
