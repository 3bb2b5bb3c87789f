//! The admin service: one Rust API behind both the desktop shell and `redscope serve`.
//!
//! # Layout
//!
//! [`AdminService`] is a cheap-to-clone handle composing one service per feature, each owning
//! its state and background loops; both surfaces call them through the operation table.
//!
//! - [`ops`]: the operation table — every operation declared once, each row calling a feature;
//!   [`schema`] derives OpenAPI, TypeScript, the docs' route table and the desktop's command
//!   list from it.
//! - [`about`]: this build's version and git commit.
//! - [`session`]: the configuration, active profile and the one shared connection; `health`.
//! - [`events`]: the live-data bus and the per-feature [`events::Publisher`]; [`live`]: the
//!   [`Event`] subscribers receive. [`task`]: background loops with an explicit stop;
//!   [`registry`]: long jobs (ids, progress, cancel).
//! - Features: [`browser`] (keys, values, edits), [`tree`] (the namespace tree), [`jobs`]
//!   (invalidation), [`streams`] (stream viewer and live tails) and [`stream_admin`] (XADD, XDEL,
//!   XTRIM, groups, XACK/XCLAIM), [`channels`] (channel monitor,
//!   publish; [`pubsub_counts`]: the server's PUBSUB counts), [`metrics`] and [`node_metrics`] (the sampler), [`services`] (library clients),
//!   [`findings`] (hygiene findings), [`memory`] (memory analysis), [`transfer`] (export and
//!   import), [`hotkeys`] (hot keys), [`command_monitor`] (the MONITOR view; [`monitor_feed`] holds the
//!   MONITOR connections both use), [`latency`] (latency events), [`series`] (time series),
//!   [`server`] (INFO, slowlog, clients, config, BGSAVE), [`console`] (and [`command_docs`] for
//!   its completion), [`profiles`] (saved connections); the modules: [`modules`] (server
//!   product and loaded modules), [`json_docs`] (RedisJSON by path), [`search`] (the RediSearch
//!   workbench), [`probabilistic`] (Bloom, Cuckoo, Count-Min, Top-K).
//! - Forms: [`bytes`] (lossless keys and values), [`decode`] (string decoders), [`error`] (the
//!   one error body), [`resp`] (the bounded RESP reader of the channel monitor and the benches).
//!
//! Dropping the last handle cancels every loop and job; [`AdminService::shutdown`] stops them
//! and waits.

pub mod about;
pub mod browser;
pub mod bytes;
pub mod channels;
pub mod command_docs;
pub mod command_monitor;
pub mod console;
pub mod create;
pub mod cut;
pub mod databases;
pub mod decode;
pub mod error;
pub mod events;
pub mod field_ttl;
pub mod findings;
pub mod hotkeys;
pub mod jobs;
pub mod json_docs;
pub mod latency;
pub mod live;
pub mod memory;
pub mod metrics;
pub mod modules;
pub mod monitor_feed;
pub mod node_metrics;
pub mod ops;
pub mod probabilistic;
pub mod profile_import;
pub mod profiles;
pub mod pubsub_counts;
pub mod redact;
pub mod registry;
pub mod resp;
pub mod schema;
pub mod search;
pub mod series;
pub mod server;
pub mod services;
pub mod session;
pub mod stream_admin;
pub mod streams;
mod sync;
pub mod task;
pub mod transfer;
pub mod tree;
pub mod views;

use std::sync::Arc;

use serde::Serialize;

pub use error::ErrorBody;
pub use live::Event;
use redscope::config::RedisConfig;
use redscope::conn::Conn;
use redscope::error::Result;

use browser::Browser;
use channels::Channels;
use command_monitor::CommandMonitor;
use console::Console;
use events::{Bus, BUS_CAPACITY};
use findings::Findings;
use hotkeys::Hotkeys;
use jobs::Jobs;
use json_docs::JsonDocs;
use memory::Memory;
use metrics::Sampler;
use modules::Modules;
use probabilistic::Probabilistic;
use profiles::Profiles;
use search::SearchWorkbench;
use series::Series;
use server::ServerTools;
use services::Services;
use session::Session;
use streams::Streams;
use task::{Task, TaskSlot};
use transfer::Transfer;
use tree::Trees;

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
    /// The server product from INFO's `server_name`: `redis` or `valkey`.
    pub server: Option<String>,
    /// The product's version from INFO (`valkey_version` on Valkey, else `redis_version`).
    pub version: Option<String>,
    /// `role` from INFO (master / slave).
    pub role: Option<String>,
    /// `redis_mode` from INFO, `server_mode` on Valkey (standalone / cluster / sentinel).
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
    /// The saved profile this session is connected with, if one was chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub profile: Option<String>,
}

/// A cheap-to-clone handle to one admin session on one Redis server.
#[derive(Clone)]
pub struct AdminService {
    inner: Arc<Inner>,
}

/// The features of one session. Nothing in here points back at the service: background loops
/// and jobs hold only what they use, so dropping the last handle drops this and cancels them.
struct Inner {
    session: Arc<Session>,
    bus: Bus<Event>,
    /// Publishes `conn_state` while someone subscribes to the bus.
    health_watch: TaskSlot,
    browser: Browser,
    trees: Arc<Trees>,
    jobs: Jobs,
    streams: Streams,
    channels: Channels,
    metrics: Sampler,
    services: Services,
    findings: Findings,
    memory: Memory,
    transfer: Transfer,
    hotkeys: Hotkeys,
    command_monitor: CommandMonitor,
    docs: command_docs::DocsCache,
    series: Series,
    server: ServerTools,
    console: Console,
    profiles: Profiles,
    modules: Modules,
    json: JsonDocs,
    search: SearchWorkbench,
    probabilistic: Probabilistic,
}

impl AdminService {
    /// A session on `cfg`; the connection is opened on first use and re-opened after failures.
    pub fn new(cfg: RedisConfig, opts: AdminOptions) -> Self {
        let session = Arc::new(Session::new(cfg, opts));
        let bus = Bus::new(BUS_CAPACITY);
        let trees = Arc::new(Trees::new(
            session.clone(),
            bus.publisher(Event::TreeProgress),
        ));
        let server = ServerTools::new(session.clone());
        let services = Services::new(session.clone(), bus.publisher(Event::Services));
        let inner = Inner {
            health_watch: TaskSlot::default(),
            browser: Browser::new(session.clone(), trees.clone()),
            jobs: Jobs::new(session.clone(), &trees, bus.publisher(Event::Job)),
            streams: Streams::new(session.clone(), bus.publisher(Event::StreamEntries)),
            channels: Channels::new(session.clone(), bus.publisher(Event::ChannelBatch)),
            metrics: Sampler::new(session.clone(), bus.publisher(Event::Metrics)),
            findings: Findings::new(
                session.clone(),
                services.reader(),
                server.clone(),
                bus.publisher(Event::Job),
            ),
            memory: Memory::new(session.clone(), bus.publisher(Event::Job)),
            transfer: Transfer::new(session.clone(), bus.publisher(Event::Job)),
            hotkeys: Hotkeys::new(session.clone(), bus.publisher(Event::Job)),
            command_monitor: CommandMonitor::new(
                session.clone(),
                bus.publisher(Event::CommandMonitor),
            ),
            docs: command_docs::DocsCache::default(),
            series: Series::new(session.clone()),
            console: Console::new(session.clone(), trees.clone()),
            profiles: Profiles::new(session.clone()),
            modules: Modules::new(session.clone()),
            json: JsonDocs::new(session.clone(), trees.clone()),
            search: SearchWorkbench::new(session.clone()),
            probabilistic: Probabilistic::new(session.clone()),
            services,
            server,
            trees,
            bus,
            session,
        };
        AdminService {
            inner: Arc::new(inner),
        }
    }

    /// The configuration this session started with.
    pub fn config(&self) -> &RedisConfig {
        self.inner.session.config()
    }

    /// The configuration in use: the connected profile's, or the one the service started with.
    pub fn active_config(&self) -> RedisConfig {
        self.inner.session.active_config()
    }

    /// True when writes are refused.
    pub fn read_only(&self) -> bool {
        self.inner.session.read_only()
    }

    /// Refuses `what` when the session is read-only (the operation table's check).
    pub(crate) fn ensure_writable(&self, what: &str) -> Result<()> {
        self.inner.session.ensure_writable(what)
    }

    /// The shared connection (any topology), opened if needed. Every feature uses this one handle.
    pub async fn conn(&self) -> Result<Conn> {
        self.inner.session.conn().await
    }

    /// Connection state, latency and basic server facts. Never fails: a dead server is a report.
    pub async fn health(&self) -> HealthReport {
        self.inner.session.health().await
    }

    /// Subscribes to the live-data bus; starts the health watcher and the metrics sampler if they
    /// are not running yet (they stop on [`AdminService::shutdown`] or when the service is dropped).
    pub fn events(&self) -> tokio::sync::broadcast::Receiver<Event> {
        let rx = self.inner.bus.subscribe();
        let session = self.inner.session.clone();
        let events = self.inner.bus.publisher(Event::ConnState);
        self.inner.health_watch.ensure(move || {
            Task::spawn(move |cancel| session::watch_health(session, events, cancel))
        });
        self.inner.metrics.ensure_started();
        rx
    }

    /// Makes a saved profile the active connection: later calls, the sampler, the services
    /// watcher and the channel monitor use it; stream tails and the MONITOR session of the
    /// previous connection stop.
    /// Earlier connections stay open.
    pub async fn connect(&self, profile: &str) -> Result<HealthReport> {
        let inner = &self.inner;
        inner.profiles.activate(profile).await?;
        inner.streams.stop_all().await;
        inner.command_monitor.stop().await;
        inner.metrics.clear();
        inner.services.restart().await;
        inner.channels.restart().await?;
        let report = inner.session.health().await;
        inner.bus.publish(Event::ConnState(report.clone().into()));
        Ok(report)
    }

    /// Stops every background loop (health watcher, sampler, services watcher, channel monitor,
    /// stream tails, tree scans) and job, and waits for them; nothing new starts afterwards.
    /// Call it before exiting (web mode on SIGTERM, the desktop on close).
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.session.close();
        inner.health_watch.shutdown().await;
        inner.metrics.shutdown().await;
        inner.services.shutdown().await;
        inner.channels.monitor_stop().await;
        inner.streams.stop_all().await;
        inner.trees.clear();
        inner.jobs.shutdown().await;
        inner.findings.shutdown().await;
        inner.memory.shutdown().await;
        inner.transfer.shutdown().await;
        inner.hotkeys.shutdown().await;
        inner.command_monitor.shutdown().await;
        tracing::info!("admin service shut down");
    }

    /// Switches this session to database `db`: the tree's scans and the stream tails of the
    /// previous database stop; the reply lists the databases as `databases` does.
    pub async fn select_db(&self, db: i64) -> Result<databases::Databases> {
        let inner = &self.inner;
        inner.session.select_db(db).await?;
        inner.trees.clear();
        inner.streams.stop_all().await;
        let sep = inner.profiles.active_separator().await;
        inner.browser.databases(sep).await
    }

    /// The key browser: SCAN pages, metadata, values, edits.
    pub fn browser(&self) -> &Browser {
        &self.inner.browser
    }

    /// The namespace tree.
    pub fn tree(&self) -> &Trees {
        &self.inner.trees
    }

    /// Invalidation jobs.
    pub fn jobs(&self) -> &Jobs {
        &self.inner.jobs
    }

    /// The stream viewer and its live tails.
    pub fn streams(&self) -> &Streams {
        &self.inner.streams
    }

    /// The channel monitor and publishing.
    pub fn channels(&self) -> &Channels {
        &self.inner.channels
    }

    /// The metrics sampler and its history.
    pub fn metrics(&self) -> &Sampler {
        &self.inner.metrics
    }

    /// Library clients reporting telemetry, and their watcher.
    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    /// Hygiene findings and their full-run jobs.
    pub fn findings(&self) -> &Findings {
        &self.inner.findings
    }

    /// Memory analysis: jobs, reports, saved runs and their comparison.
    pub fn memory(&self) -> &Memory {
        &self.inner.memory
    }

    /// Export and import jobs and the export directory.
    pub fn transfer(&self) -> &Transfer {
        &self.inner.transfer
    }

    /// Every command and subcommand with its summary and syntax, for the console's completion.
    pub async fn console_docs(&self) -> Result<command_docs::CommandDocs> {
        Ok((*self.inner.docs.get(&self.inner.session).await?).clone())
    }

    /// Latency events of every master: LATENCY LATEST, HISTORY and DOCTOR.
    pub async fn latency(&self) -> Result<latency::LatencyReply> {
        latency::latency(&self.inner.session).await
    }

    /// Hot keys: OBJECT FREQ over a scan, or a confirmed MONITOR sample.
    pub fn hotkeys(&self) -> &Hotkeys {
        &self.inner.hotkeys
    }

    /// The MONITOR view: a confirmed, time-boxed MONITOR session and its buffered lines.
    pub fn command_monitor(&self) -> &CommandMonitor {
        &self.inner.command_monitor
    }

    /// Time series and OHLCV keys.
    pub fn series(&self) -> &Series {
        &self.inner.series
    }

    /// Server tools: INFO, slowlog, clients, config, BGSAVE.
    pub fn server(&self) -> &ServerTools {
        &self.inner.server
    }

    /// The console.
    pub fn console(&self) -> &Console {
        &self.inner.console
    }

    /// Saved connection profiles.
    pub fn profiles(&self) -> &Profiles {
        &self.inner.profiles
    }

    /// The server product and its loaded modules.
    pub fn modules(&self) -> &Modules {
        &self.inner.modules
    }

    /// RedisJSON documents by path.
    pub fn json(&self) -> &JsonDocs {
        &self.inner.json
    }

    /// The RediSearch workbench.
    pub fn search(&self) -> &SearchWorkbench {
        &self.inner.search
    }

    /// Bloom, Cuckoo, Count-Min and Top-K keys.
    pub fn probabilistic(&self) -> &Probabilistic {
        &self.inner.probabilistic
    }
}
