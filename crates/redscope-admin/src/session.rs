//! One admin session's connection: the configuration it started with, the profile switched to
//! by `connect`, the one shared connection every feature uses (opened on first use, re-opened
//! after failures), read-only mode, the health report, and the watcher that publishes it.

use std::sync::atomic::Ordering;
use std::sync::RwLock;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::events::Publisher;
use crate::sync::{lock, read, write};
use crate::{AdminOptions, ConnState, HealthReport};
use redscope::config::RedisConfig;
use redscope::conn::{Conn, NodeConn};
use redscope::error::{Error, Result};
use redscope::health;

/// How often the health watcher checks the connection.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// The connection state as the `conn_state` event carries it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[schemars(rename = "ConnStateEvent")]
#[ts(rename = "ConnStateEvent")]
pub struct ConnChange {
    /// Connected or down.
    pub state: ConnState,
    /// The server, password removed.
    pub url: String,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    /// For Sentinel: the master's `host:port`; a new value means a failover happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub master: Option<String>,
}

impl From<HealthReport> for ConnChange {
    fn from(r: HealthReport) -> Self {
        ConnChange {
            state: r.state,
            url: r.url,
            error: r.error,
            master: r.master,
        }
    }
}

/// The profile `connect` made active.
struct Active {
    name: String,
    cfg: RedisConfig,
    read_only: bool,
}

/// The session's configuration and shared connection (one per service, shared by every feature).
pub struct Session {
    cfg: RedisConfig,
    opts: AdminOptions,
    active: RwLock<Option<Active>>,
    /// The database picked with `select_db`, overriding the configuration's (None: its own).
    db: RwLock<Option<i64>>,
    conn: tokio::sync::Mutex<Option<Conn>>,
    /// Bumped whenever the shared connection is replaced on purpose (`connect`, `select_db`): a
    /// connection opened for an older configuration is not kept.
    generation: std::sync::atomic::AtomicU64,
    /// Cancelled by `shutdown`: nothing new starts afterwards.
    closed: CancellationToken,
    /// The health alert thresholds in force: the connected profile's, or as last set.
    thresholds: RwLock<redscope::health::Thresholds>,
    /// The server product and version (INFO's `server_name`, `*_version`) of the connection of
    /// this generation, kept fresh by the health report, so features that depend on the version
    /// (per-field hash TTLs) do not send an INFO per call.
    product: std::sync::Mutex<Option<(u64, Product)>>,
}

/// A server product and its version, as INFO names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// `redis` or `valkey`.
    pub name: String,
    /// `valkey_version` on Valkey, else `redis_version` (empty when INFO gave none).
    pub version: String,
}

impl Product {
    /// `major.minor` of the version (`7.4.2` -> (7, 4)); `None` when INFO gave none.
    pub fn major_minor(&self) -> Option<(u32, u32)> {
        let mut it = self.version.split('.');
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    }

    pub(crate) fn of(info: &health::Info) -> Product {
        Product {
            name: info.server_name().to_string(),
            version: info.server_version().unwrap_or_default().to_string(),
        }
    }
}

impl Session {
    /// A session on `cfg`; nothing is connected yet.
    pub(crate) fn new(cfg: RedisConfig, opts: AdminOptions) -> Session {
        Session {
            cfg,
            opts,
            active: RwLock::new(None),
            db: RwLock::new(None),
            conn: tokio::sync::Mutex::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
            closed: CancellationToken::new(),
            thresholds: RwLock::new(Default::default()),
            product: std::sync::Mutex::new(None),
        }
    }

    /// The configuration the session started with.
    pub fn config(&self) -> &RedisConfig {
        &self.cfg
    }

    /// The configuration in use: the connected profile's, or the one the session started with.
    pub fn active_config(&self) -> RedisConfig {
        let mut cfg = read(&self.active)
            .as_ref()
            .map(|a| a.cfg.clone())
            .unwrap_or_else(|| self.cfg.clone());
        if let Some(db) = *read(&self.db) {
            cfg.db = db;
        }
        cfg
    }

    /// Switches the shared connection to database `db` (a new connection, so that nothing
    /// else sharing the old one is moved by a `SELECT`); refused on a Cluster, which has only 0.
    pub(crate) async fn select_db(&self, db: i64) -> Result<()> {
        if !(0..=1_000_000).contains(&db) {
            return Err(Error::InvalidInput(format!("{db} is not a database index")));
        }
        let mut guard = self.conn.lock().await;
        let current = match guard.as_ref() {
            Some(c) => c.clone(),
            None => Conn::connect(&self.active_config()).await?,
        };
        if current.topology() == redscope::conn::TopologyKind::Cluster && db != 0 {
            return Err(Error::InvalidInput(
                "a Redis Cluster has only database 0".into(),
            ));
        }
        let mut cfg = self.active_config();
        cfg.db = db;
        let conn = Conn::connect(&cfg).await?;
        *write(&self.db) = Some(db);
        self.generation.fetch_add(1, Ordering::SeqCst);
        *guard = Some(conn);
        tracing::info!(db, "switched database");
        Ok(())
    }

    /// The health alert thresholds in force.
    pub fn thresholds(&self) -> redscope::health::Thresholds {
        *read(&self.thresholds)
    }

    /// Puts `t` in force (the sampler's next alerts follow it).
    pub(crate) fn set_thresholds(&self, t: redscope::health::Thresholds) {
        *write(&self.thresholds) = t;
    }

    /// Name of the connected profile, if one was connected.
    pub fn active_profile(&self) -> Option<String> {
        read(&self.active).as_ref().map(|a| a.name.clone())
    }

    /// True when writes are refused (by the session's options or the connected profile).
    pub fn read_only(&self) -> bool {
        self.opts.read_only || read(&self.active).as_ref().is_some_and(|a| a.read_only)
    }

    /// Refuses `what` when the session is read-only.
    pub fn ensure_writable(&self, what: &str) -> Result<()> {
        if self.read_only() {
            return Err(Error::ReadOnly(what.to_string()));
        }
        Ok(())
    }

    /// The shared connection (any topology), opened if needed. A Cluster routes by slot, a
    /// Sentinel-managed master follows failovers. The lock is never held while connecting:
    /// each caller opens (and times out) on its own, so a hung server does not make calls queue
    /// behind one another's connect.
    pub async fn conn(&self) -> Result<Conn> {
        let generation = {
            let guard = self.conn.lock().await;
            if let Some(c) = guard.as_ref() {
                return Ok(c.clone());
            }
            self.generation.load(Ordering::SeqCst)
        };
        let c = Conn::connect(&self.active_config()).await?;
        let mut guard = self.conn.lock().await;
        match guard.as_ref() {
            // Another caller got there first: share its connection.
            Some(existing) => Ok(existing.clone()),
            None if self.generation.load(Ordering::SeqCst) == generation => {
                *guard = Some(c.clone());
                Ok(c)
            }
            // The configuration changed while connecting: this one is for the old one.
            None => Err(Error::Connection(
                "the connection was switched meanwhile: try again".into(),
            )),
        }
    }

    /// A connection to every master (one for a single server).
    pub async fn masters(&self) -> Result<Vec<NodeConn>> {
        self.conn().await?.masters().await
    }

    /// Makes `name` the active profile, with `conn` as the shared connection.
    pub(crate) async fn activate(&self, name: &str, cfg: RedisConfig, read_only: bool, conn: Conn) {
        *write(&self.active) = Some(Active {
            name: name.to_string(),
            cfg,
            read_only,
        });
        // A profile names its own database.
        *write(&self.db) = None;
        let mut guard = self.conn.lock().await;
        self.generation.fetch_add(1, Ordering::SeqCst);
        *guard = Some(conn);
    }

    /// Connection state, latency and basic server facts. Never fails: a dead server is a report.
    pub async fn health(&self) -> HealthReport {
        let mut report = HealthReport {
            state: ConnState::Down,
            url: self.active_config().display_url(),
            error: None,
            latency_ms: None,
            server: None,
            version: None,
            role: None,
            mode: None,
            uptime_s: None,
            used_memory: None,
            connected_clients: None,
            read_only: self.read_only(),
            topology: None,
            master: None,
            profile: self.active_profile(),
        };
        let generation = self.generation.load(Ordering::SeqCst);
        let result = async {
            let mut c = self.conn().await?;
            report.topology = Some(c.topology());
            let rtt: Duration = health::ping(&mut c).await?;
            report.master = c.current_master();
            // An ACL user without INFO is still connected; the details stay empty.
            let info = match health::info(&mut c, None).await {
                Err(e) if e.server_code() == Some("NOPERM") => Default::default(),
                other => other?,
            };
            Ok::<_, Error>((rtt, info))
        }
        .await;
        match result {
            Ok((rtt, info)) => {
                report.state = ConnState::Connected;
                if info.sections.contains_key("server") {
                    self.remember(generation, &Product::of(&info));
                }
                report.latency_ms = Some(rtt.as_secs_f64() * 1000.0);
                report.server = Some(info.server_name().to_string());
                report.version = info.server_version().map(str::to_string);
                report.role = info.get("role").map(str::to_string);
                report.mode = info.server_mode().map(str::to_string);
                report.uptime_s = info.get_u64("uptime_in_seconds");
                report.used_memory = info.get_u64("used_memory");
                report.connected_clients = info.get_u64("connected_clients");
            }
            Err(e) => {
                if e.is_connection() || matches!(e.kind(), redscope::ErrorKind::Auth) {
                    // Drop the connection so the next call tries afresh (new password, restarted server).
                    *self.conn.lock().await = None;
                }
                report.error = Some(e.to_string());
            }
        }
        report
    }

    /// The product and version of the server behind `c` (the shared connection): remembered per
    /// connection generation and refreshed by every health report; one `INFO server` otherwise.
    pub async fn product(&self, c: &mut Conn) -> Result<Product> {
        let generation = self.generation.load(Ordering::SeqCst);
        let known = lock(&self.product)
            .as_ref()
            .filter(|(g, _)| *g == generation)
            .map(|(_, p)| p.clone());
        if let Some(p) = known {
            return Ok(p);
        }
        let product = Product::of(&health::info(c, Some("server")).await?);
        self.remember(generation, &product);
        Ok(product)
    }

    fn remember(&self, generation: u64, product: &Product) {
        *lock(&self.product) = Some((generation, product.clone()));
    }

    /// Marks the session shut down: features refuse to start loops and jobs afterwards.
    pub(crate) fn close(&self) {
        self.closed.cancel();
    }

    /// Refuses to start `what` once the session is shut down.
    pub(crate) fn ensure_open(&self, what: &str) -> Result<()> {
        if self.closed.is_cancelled() {
            return Err(Error::Connection(format!(
                "the admin service is shut down: {what} not started"
            )));
        }
        Ok(())
    }
}

/// Publishes `conn_state` at start and whenever the state, URL or (Sentinel) master changes.
pub(crate) async fn watch_health(
    session: std::sync::Arc<Session>,
    events: Publisher<ConnChange>,
    cancel: CancellationToken,
) {
    let mut last: Option<(ConnState, String, Option<String>)> = None;
    loop {
        let report = tokio::select! {
            _ = cancel.cancelled() => return,
            r = session.health() => r,
        };
        let now = (report.state, report.url.clone(), report.master.clone());
        if last.as_ref() != Some(&now) {
            tracing::info!(state = ?report.state, url = %report.url, master = ?report.master, "connection state");
            events.publish(report.into());
            last = Some(now);
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(WATCH_EVERY) => {}
        }
    }
}
