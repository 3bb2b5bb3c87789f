//! The admin service: one Rust API behind both the desktop shell and `redscope serve`.
//!
//! Each surface adapts these methods one for one, so the two stay identical.
//!
//! Features live in their own files: [`browser`] (keys, values, edits), [`tree`] (the namespace
//! tree), [`jobs`] (invalidation), [`server`] (INFO, slowlog, clients, config, BGSAVE),
//! [`console`]; [`bytes`] and [`decode`] are the lossless key/value forms and string decoders.
//! [`ops`] declares every operation once; [`schema`] derives OpenAPI, TypeScript, the docs' route
//! table and the desktop's command list from it.

pub mod browser;
pub mod bytes;
pub mod console;
pub mod decode;
pub mod error;
pub mod findings;
pub mod jobs;
pub mod ops;
pub mod resp;
pub mod schema;
pub mod series;
pub mod server;
pub mod services;
pub mod tree;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Mutex;

pub use error::ErrorBody;
use redscope::config::RedisConfig;
use redscope::conn::Conn;
use redscope::error::Result;
use redscope::health;

pub mod channels;
pub mod events;
pub mod metrics;
pub mod node_metrics;
pub mod profiles;
pub mod streams;

/// Options of an admin session.
#[derive(Debug, Clone, Default)]
pub struct AdminOptions {
    /// Refuse every write and dangerous command.
    pub read_only: bool,
}

/// Connection state as shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    /// Answering commands.
    Connected,
    /// Not reachable; see the error.
    Down,
}

/// What `GET /api/health` and the `health` command return.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct HealthReport {
    /// Connected or down.
    pub state: ConnState,
    /// The server's URL, password removed.
    pub url: String,
    /// Why the server is down, when it is.
    pub error: Option<String>,
    /// PING round trip in milliseconds.
    pub latency_ms: Option<f64>,
    /// `redis_version` from INFO.
    pub version: Option<String>,
    /// `role` from INFO (master / slave).
    pub role: Option<String>,
    /// `redis_mode` from INFO (standalone / cluster / sentinel).
    pub mode: Option<String>,
    /// Server uptime in seconds.
    pub uptime_s: Option<u64>,
    /// Bytes used by the dataset.
    pub used_memory: Option<u64>,
    /// Connected clients.
    pub connected_clients: Option<u64>,
    /// Whether this session refuses writes.
    pub read_only: bool,
    /// The deployment kind (standalone, cluster, sentinel), once connected.
    pub topology: Option<redscope::conn::TopologyKind>,
    /// For Sentinel: the current master's `host:port` (changes after a failover).
    pub master: Option<String>,
}

/// A cheap-to-clone handle to one admin session on one Redis server.
#[derive(Clone)]
pub struct AdminService {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: RedisConfig,
    opts: AdminOptions,
    conn: Mutex<Option<Conn>>,
    trees: tree::TreeCache,
    jobs: jobs::Jobs,
    commands: console::CommandTable,
    /// Live data (event bus, sampler, channel monitor, stream tails) and connection profiles.
    live: events::Live,
    /// The Services view's heartbeat watcher.
    services: services::ServicesSlot,
    /// Full hygiene-findings runs.
    findings: findings::FindingsJobs,
}

impl AdminService {
    /// A session on `cfg`; the connection is opened on first use and re-opened after failures.
    pub fn new(cfg: RedisConfig, opts: AdminOptions) -> Self {
        AdminService {
            inner: Arc::new(Inner {
                cfg,
                opts,
                conn: Mutex::new(None),
                trees: Default::default(),
                jobs: Default::default(),
                commands: Default::default(),
                live: events::Live::default(),
                services: Default::default(),
                findings: Default::default(),
            }),
        }
    }

    /// The configuration this session talks to.
    pub fn config(&self) -> &RedisConfig {
        &self.inner.cfg
    }

    /// True when writes are refused.
    pub fn read_only(&self) -> bool {
        self.inner.opts.read_only || self.profile_read_only()
    }

    /// The shared connection (any topology), opened if needed. Every feature uses this one handle;
    /// a Cluster routes by slot, a Sentinel-managed master follows failovers.
    pub async fn conn(&self) -> Result<Conn> {
        let mut guard = self.inner.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let c = Conn::connect(&self.active_config()).await?;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Connection state, latency and basic server facts. Never fails: a dead server is a report.
    pub async fn health(&self) -> HealthReport {
        let mut report = HealthReport {
            state: ConnState::Down,
            url: self.active_config().display_url(),
            error: None,
            latency_ms: None,
            version: None,
            role: None,
            mode: None,
            uptime_s: None,
            used_memory: None,
            connected_clients: None,
            read_only: self.read_only(),
            topology: None,
            master: None,
        };
        let result = async {
            let mut c = self.conn().await?;
            report.topology = Some(c.topology());
            let rtt: Duration = health::ping(&mut c).await?;
            report.master = c.current_master();
            let info = health::info(&mut c, None).await?;
            Ok::<_, redscope::Error>((rtt, info))
        }
        .await;
        match result {
            Ok((rtt, info)) => {
                report.state = ConnState::Connected;
                report.latency_ms = Some(rtt.as_secs_f64() * 1000.0);
                report.version = info.get("redis_version").map(str::to_string);
                report.role = info.get("role").map(str::to_string);
                report.mode = info.get("redis_mode").map(str::to_string);
                report.uptime_s = info.get_u64("uptime_in_seconds");
                report.used_memory = info.get_u64("used_memory");
                report.connected_clients = info.get_u64("connected_clients");
            }
            Err(e) => {
                if e.is_connection() || matches!(e.kind(), redscope::ErrorKind::Auth) {
                    // Drop the connection so the next call tries afresh (new password, restarted server).
                    *self.inner.conn.lock().await = None;
                }
                report.error = Some(e.to_string());
            }
        }
        report
    }
}
