//! Redscope: the Redis layer of a trading platform, and the admin service of the Redscope app.
//!
//! # Layout
//!
//! - [`error`]: the crate's one error enum, classified by kind and predicates.
//! - [`config`]: connection settings from a URL or `REDIS_*` environment variables.
//! - [`conn`]: [`conn::Conn`], one handle for a single server, a Cluster or a Sentinel-managed
//!   master (reconnects and follows failovers), plus dedicated blocking connections.
//! - [`health`]: `PING` latency and `INFO` parsed into typed figures.
//! - [`keyspace`]: `SCAN` pages and batched `UNLINK` by pattern, with progress and cancellation.
//! - [`bench`]: benchmarks measured side by side with redis-benchmark or bare RESP loops.
//! - [`admin`]: the admin service both app surfaces adapt (desktop shell, web mode).
//! - [`web`]: `redscope serve`, the admin API over HTTP + WebSocket with the embedded UI.
//! - [`testing`]: private redis-server processes for tests and benchmarks, and real local
//!   Cluster (3 masters + 3 replicas) and Sentinel (master, replica, 3 Sentinels) deployments.

pub mod admin;
pub mod bench;
pub mod bench_monitor;
pub mod config;
pub mod conn;
pub mod error;
pub mod health;
pub mod keyspace;
pub mod report;
pub mod testing;
pub mod web;

pub use admin::{AdminOptions, AdminService};
pub use config::{RedisConfig, Secret};
pub use error::{Error, ErrorKind, Result};
