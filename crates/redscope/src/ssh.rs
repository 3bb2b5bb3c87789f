//! SSH tunnels (feature `ssh`): every connection to Redis, a Sentinel or a Cluster node goes
//! through an SSH server (optionally behind one jump host), the way `ssh -L` would, but in
//! process with russh.
//!
//! A [`Tunnel`] keeps one SSH session (keep-alives on; reopened when it dies) and, per remote
//! address it was asked for, a loopback listener whose connections become `direct-tcpip` (or,
//! for a Unix socket, `direct-streamlocal`) channels. Host keys are checked against Redscope's
//! own known_hosts file: a changed key is refused, an unknown one is refused unless the caller
//! accepted its fingerprint (first use), which is then recorded.
//!
//! Tunnels live in a process-wide registry keyed by their configuration, so every connection of
//! one deployment (pools, pub/sub, blocking reads, Cluster nodes) shares one SSH session;
//! [`close_all`] stops them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{SshAuth, SshConfig};
use crate::error::{Error, Result};

/// A remote address the SSH server connects to for us.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `host:port`, resolved by the SSH server.
    Tcp(String, u16),
    /// A Unix socket on the SSH server's machine.
    Unix(PathBuf),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Tcp(h, p) => write!(f, "{h}:{p}"),
            Target::Unix(p) => write!(f, "{}", p.display()),
        }
    }
}

/// What Redscope's known_hosts file says about a server's host key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HostKeyStatus {
    /// Recorded and matching.
    Known,
    /// Not recorded yet: the user must accept the fingerprint.
    Unknown,
    /// Recorded with a different key: refused (possible man in the middle).
    Changed,
}

/// The host key one SSH server presented.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
pub struct HostKey {
    /// `host:port` of the SSH server.
    pub server: String,
    /// Key algorithm (`ssh-ed25519`, ...).
    pub algorithm: String,
    /// `SHA256:…` fingerprint, as `ssh-keygen -l` shows it.
    pub fingerprint: String,
    /// Known, unknown or changed.
    pub status: HostKeyStatus,
}

/// Checks the server's host key against the known_hosts file; records what it saw.
struct Checker {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    accept: Option<String>,
    seen: Arc<Mutex<Option<HostKey>>>,
}

impl Checker {
    fn new(cfg: &SshConfig) -> (Checker, Arc<Mutex<Option<HostKey>>>) {
        let seen = Arc::new(Mutex::new(None));
        (
            Checker {
                host: cfg.host.clone(),
                port: cfg.port,
                known_hosts: cfg.known_hosts.clone(),
                accept: cfg.accept_fingerprint.clone(),
                seen: seen.clone(),
            },
            seen,
        )
    }
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let key: PublicKey = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let status = match russh::keys::check_known_hosts_path(
            &self.host,
            self.port,
            &key,
            &self.known_hosts,
        ) {
            Ok(true) => HostKeyStatus::Known,
            Ok(false) => HostKeyStatus::Unknown,
            Err(russh::keys::Error::KeyChanged { .. }) => HostKeyStatus::Changed,
            Err(e) => {
                tracing::warn!(file = %self.known_hosts.display(), "cannot read known_hosts: {e}");
                HostKeyStatus::Unknown
            }
        };
        let accepted = match status {
            HostKeyStatus::Known => true,
            HostKeyStatus::Changed => false,
            HostKeyStatus::Unknown if self.accept.as_deref() == Some(fingerprint.as_str()) => {
                if let Err(e) = learn(&self.host, self.port, &key, &self.known_hosts) {
                    tracing::warn!("cannot record the host key in known_hosts: {e}");
                }
                true
            }
            HostKeyStatus::Unknown => false,
        };
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(HostKey {
            server: format!("{}:{}", self.host, self.port),
            algorithm: key.algorithm().as_str().to_string(),
            fingerprint,
            status,
        });
        Ok(accepted)
    }
}

/// Appends the key to the known_hosts file (created 0600 with its directory).
fn learn(host: &str, port: u16, key: &PublicKey, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if !path.exists() {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        opts.open(path)?;
    }
    russh::keys::known_hosts::learn_known_hosts_path(host, port, key, path)
        .map_err(|e| Error::Config(format!("known_hosts {}: {e}", path.display())))
}

/// One authenticated SSH session, and the session it runs inside (through a jump host).
struct Hop {
    handle: Handle<Checker>,
    _via: Option<Arc<Hop>>,
}

/// The error for a host key that was not accepted.
fn host_key_error(key: &HostKey) -> Error {
    match key.status {
        HostKeyStatus::Changed => Error::Config(format!(
            "SSH host key mismatch for {}: it now presents {} {}, which differs from the key \
             recorded in Redscope's known_hosts; refusing to connect (if the server was \
             reinstalled, remove its line from known_hosts)",
            key.server, key.algorithm, key.fingerprint
        )),
        _ => Error::Config(format!(
            "SSH host key of {} is not known yet: {} {}; accept this fingerprint to connect",
            key.server, key.algorithm, key.fingerprint
        )),
    }
}

fn russh_config(cfg: &SshConfig) -> Arc<client::Config> {
    Arc::new(client::Config {
        keepalive_interval: Some(cfg.keepalive),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    })
}

/// Opens and authenticates one session to `cfg` (through `via` when there is a jump host).
async fn open_hop(cfg: &SshConfig, via: Option<Arc<Hop>>, timeout: Duration) -> Result<Hop> {
    let (checker, seen) = Checker::new(cfg);
    let server = format!("{}:{}", cfg.host, cfg.port);
    let connected = async {
        match &via {
            None => {
                let tcp = tokio::net::TcpStream::connect((cfg.host.as_str(), cfg.port))
                    .await
                    .map_err(|e| {
                        Error::Connection(format!("SSH server {server} is unreachable: {e}"))
                    })?;
                client::connect_stream(russh_config(cfg), tcp, checker).await
            }
            Some(jump) => {
                let ch = jump
                    .handle
                    .channel_open_direct_tcpip(cfg.host.clone(), cfg.port.into(), "127.0.0.1", 0)
                    .await
                    .map_err(|e| {
                        Error::Connection(format!(
                            "the jump host could not reach the SSH server {server}: {e}"
                        ))
                    })?;
                client::connect_stream(russh_config(cfg), ch.into_stream(), checker).await
            }
        }
        .map_err(|e| {
            let saw = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
            match saw {
                Some(k) if k.status != HostKeyStatus::Known => host_key_error(&k),
                _ => Error::Connection(format!("SSH handshake with {server} failed: {e}")),
            }
        })
    };
    let mut handle = match tokio::time::timeout(timeout, connected).await {
        Ok(r) => r?,
        Err(_) => return Err(Error::Timeout(timeout)),
    };
    let auth = tokio::time::timeout(timeout, authenticate(&mut handle, cfg)).await;
    match auth {
        Ok(Ok(())) => Ok(Hop { handle, _via: via }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Timeout(timeout)),
    }
}

async fn authenticate(handle: &mut Handle<Checker>, cfg: &SshConfig) -> Result<()> {
    let who = format!("{}@{}:{}", cfg.user, cfg.host, cfg.port);
    let failed = |what: &str| Error::Auth(format!("SSH authentication as {who} failed: {what}"));
    let io = |e: russh::Error| Error::Connection(format!("SSH session with {who} failed: {e}"));
    let ok = match &cfg.auth {
        SshAuth::Password(pw) => handle
            .authenticate_password(cfg.user.clone(), pw.expose())
            .await
            .map_err(io)?
            .success(),
        SshAuth::Key { path, passphrase } => {
            let key = russh::keys::load_secret_key(path, passphrase.as_ref().map(|p| p.expose()))
                .map_err(|e| match e {
                russh::keys::Error::KeyIsEncrypted => Error::Auth(format!(
                    "the SSH key {} is encrypted: give its passphrase",
                    path.display()
                )),
                other => Error::Auth(format!(
                    "cannot load the SSH key {} (wrong passphrase?): {other}",
                    path.display()
                )),
            })?;
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(io)?
                .flatten();
            handle
                .authenticate_publickey(
                    cfg.user.clone(),
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await
                .map_err(io)?
                .success()
        }
        SshAuth::Agent => {
            let mut agent = russh::keys::agent::client::AgentClient::connect_env()
                .await
                .map_err(|e| {
                    Error::Auth(format!(
                        "no SSH agent (SSH_AUTH_SOCK) to authenticate as {who}: {e}"
                    ))
                })?;
            let ids = agent
                .request_identities()
                .await
                .map_err(|e| failed(&format!("the agent did not list its keys: {e}")))?;
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(io)?
                .flatten();
            let mut ok = false;
            for id in ids {
                let russh::keys::agent::AgentIdentity::PublicKey { key, .. } = id else {
                    continue;
                };
                let r = handle
                    .authenticate_publickey_with(cfg.user.clone(), key, hash, &mut agent)
                    .await
                    .map_err(|e| failed(&format!("the agent could not sign: {e}")))?;
                if r.success() {
                    ok = true;
                    break;
                }
            }
            ok
        }
    };
    if ok {
        Ok(())
    } else {
        Err(failed(match cfg.auth {
            SshAuth::Password(_) => "wrong user or password",
            SshAuth::Key { .. } => "the server did not accept the key",
            SshAuth::Agent => "the server accepted none of the agent's keys",
        }))
    }
}

/// Opens the whole chain (jump host, then the server) within `timeout` per hop.
async fn open_chain(cfg: &SshConfig, timeout: Duration) -> Result<Arc<Hop>> {
    let via = match &cfg.jump {
        Some(j) => Some(Arc::new(open_hop(j, None, timeout).await?)),
        None => None,
    };
    Ok(Arc::new(open_hop(cfg, via, timeout).await?))
}

/// The host keys of `cfg`'s SSH servers (the jump host first), without authenticating to the
/// last one: what a connection dialog shows before the user accepts a new server. Stops at the
/// first server whose key is not known (a server behind it cannot be reached yet).
pub async fn host_keys(cfg: &SshConfig, timeout: Duration) -> Result<Vec<HostKey>> {
    let mut out = Vec::new();
    let mut via = None;
    if let Some(j) = &cfg.jump {
        let k = probe_seen(j, None, timeout).await?;
        let known = k.status == HostKeyStatus::Known
            || j.accept_fingerprint.as_deref() == Some(k.fingerprint.as_str());
        out.push(k);
        if !known {
            return Ok(out);
        }
        via = Some(Arc::new(open_hop(j, None, timeout).await?));
    }
    out.push(probe_seen(cfg, via, timeout).await?);
    Ok(out)
}

/// Runs the key exchange with one server and returns the host key it presented.
async fn probe_seen(cfg: &SshConfig, via: Option<Arc<Hop>>, timeout: Duration) -> Result<HostKey> {
    let (checker, seen) = Checker::new(cfg);
    let server = format!("{}:{}", cfg.host, cfg.port);
    let run = async {
        let r = match &via {
            None => {
                let tcp = tokio::net::TcpStream::connect((cfg.host.as_str(), cfg.port))
                    .await
                    .map_err(|e| {
                        Error::Connection(format!("SSH server {server} is unreachable: {e}"))
                    })?;
                client::connect_stream(russh_config(cfg), tcp, checker).await
            }
            Some(jump) => {
                let ch = jump
                    .handle
                    .channel_open_direct_tcpip(cfg.host.clone(), cfg.port.into(), "127.0.0.1", 0)
                    .await
                    .map_err(|e| Error::Connection(format!("jump host: {e}")))?;
                client::connect_stream(russh_config(cfg), ch.into_stream(), checker).await
            }
        };
        drop(r);
        Ok::<_, Error>(())
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(r) => r?,
        Err(_) => return Err(Error::Timeout(timeout)),
    }
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
    seen.ok_or_else(|| Error::Connection(format!("{server} did not complete an SSH key exchange")))
}

/// One SSH session (reopened when it dies) and the loopback forwarders opened through it.
pub struct Tunnel {
    cfg: SshConfig,
    timeout: Duration,
    session: tokio::sync::Mutex<Option<Arc<Hop>>>,
    forwards: tokio::sync::Mutex<HashMap<Target, SocketAddr>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Tunnel {
    /// Opens the session (and the jump host's) and authenticates; fails with a clear error on
    /// an unreachable server, a refused host key or refused credentials.
    pub async fn open(cfg: &SshConfig, timeout: Duration) -> Result<Arc<Tunnel>> {
        let hop = open_chain(cfg, timeout).await?;
        tracing::info!(ssh = %cfg.display(), "SSH tunnel open");
        Ok(Arc::new(Tunnel {
            cfg: cfg.clone(),
            timeout,
            session: tokio::sync::Mutex::new(Some(hop)),
            forwards: Default::default(),
            tasks: Mutex::new(Vec::new()),
        }))
    }

    /// Stops every forwarder (connections already made through them end with the session).
    pub fn stop(&self) {
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }

    /// The live session, reopened when it is gone (or when `fresh` asks for a new one).
    async fn session(&self, fresh: bool) -> Result<Arc<Hop>> {
        let mut cur = self.session.lock().await;
        if let Some(h) = cur.as_ref() {
            if !fresh && !h.handle.is_closed() {
                return Ok(h.clone());
            }
        }
        *cur = None;
        let hop = open_chain(&self.cfg, self.timeout).await?;
        tracing::warn!(ssh = %self.cfg.display(), "SSH session reopened");
        *cur = Some(hop.clone());
        Ok(hop)
    }

    /// A channel to `target` through the session; a dead session is reopened once.
    async fn channel(&self, target: &Target) -> Result<russh::Channel<client::Msg>> {
        let mut last = None;
        for attempt in 0..2 {
            let hop = self.session(attempt > 0).await?;
            let opened = match target {
                Target::Tcp(h, p) => {
                    hop.handle
                        .channel_open_direct_tcpip(h.clone(), (*p).into(), "127.0.0.1", 0)
                        .await
                }
                Target::Unix(path) => {
                    hop.handle
                        .channel_open_direct_streamlocal(path.display().to_string())
                        .await
                }
            };
            match opened {
                Ok(ch) => return Ok(ch),
                Err(russh::Error::ChannelOpenFailure(reason)) => {
                    return Err(Error::Connection(format!(
                        "the SSH server {} could not connect to {target}: {reason:?}",
                        self.cfg.display()
                    )))
                }
                Err(e) => last = Some(e),
            }
        }
        Err(Error::Connection(format!(
            "SSH session with {} lost: {}",
            self.cfg.display(),
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }

    /// A loopback address whose connections reach `target` through the tunnel (one listener
    /// per target, kept for the tunnel's life). The first call checks that the SSH server can
    /// reach `target`.
    pub async fn forward(self: &Arc<Self>, target: Target) -> Result<SocketAddr> {
        let mut forwards = self.forwards.lock().await;
        if let Some(addr) = forwards.get(&target) {
            return Ok(*addr);
        }
        // Fail now, with the SSH server's reason, rather than as a closed Redis connection.
        drop(self.channel(&target).await?);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let weak = Arc::downgrade(self);
        let t = target.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    continue;
                };
                let Some(tunnel) = weak.upgrade() else { return };
                let t = t.clone();
                tokio::spawn(async move {
                    let ch = match tunnel.channel(&t).await {
                        Ok(ch) => ch,
                        Err(e) => {
                            tracing::warn!("SSH forward to {t} failed: {e}");
                            return;
                        }
                    };
                    drop(tunnel);
                    let mut stream = ch.into_stream();
                    let _ = sock.set_nodelay(true);
                    if let Err(e) = tokio::io::copy_bidirectional(&mut sock, &mut stream).await {
                        tracing::debug!("SSH forward to {t} ended: {e}");
                    }
                });
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
        forwards.insert(target, addr);
        Ok(addr)
    }

    /// Closes the SSH session now (the next connection reopens it); for tests and "reconnect".
    pub async fn drop_session(&self) {
        if let Some(h) = self.session.lock().await.take() {
            let _ = h
                .handle
                .disconnect(russh::Disconnect::ByApplication, "", "en")
                .await;
        }
    }
}

/// Open tunnels, one per SSH configuration.
static REGISTRY: Mutex<Vec<(SshConfig, Arc<Tunnel>)>> = Mutex::new(Vec::new());
/// Serialises the opening of tunnels so two connections of one deployment share one.
static OPENING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The tunnel for `cfg`, opened on first use and shared afterwards.
pub async fn tunnel(cfg: &SshConfig, timeout: Duration) -> Result<Arc<Tunnel>> {
    let find = || {
        REGISTRY
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(c, _)| c == cfg)
            .map(|(_, t)| t.clone())
    };
    if let Some(t) = find() {
        return Ok(t);
    }
    let _opening = OPENING.lock().await;
    if let Some(t) = find() {
        return Ok(t);
    }
    let t = Tunnel::open(cfg, timeout).await?;
    REGISTRY
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((cfg.clone(), t.clone()));
    Ok(t)
}

/// Stops and forgets every tunnel of the process.
pub fn close_all() {
    let all: Vec<_> = REGISTRY
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain(..)
        .collect();
    for (_, t) in all {
        t.stop();
    }
}

/// A redis-rs DNS resolver that maps every `host:port` (Cluster nodes as they announce
/// themselves, after MOVED and failovers too) to a forwarder through the tunnel; TLS keeps
/// verifying the real host name.
pub(crate) struct TunnelResolver(pub(crate) Arc<Tunnel>);

impl redis::io::AsyncDNSResolver for TunnelResolver {
    fn resolve<'a, 'b: 'a>(
        &'a self,
        host: &'b str,
        port: u16,
    ) -> redis::RedisFuture<'a, Box<dyn Iterator<Item = SocketAddr> + Send + 'a>> {
        Box::pin(async move {
            let addr = self
                .0
                .forward(Target::Tcp(host.to_string(), port))
                .await
                .map_err(|e| {
                    redis::RedisError::from(std::io::Error::new(
                        std::io::ErrorKind::ConnectionRefused,
                        e.to_string(),
                    ))
                })?;
            Ok(Box::new(std::iter::once(addr)) as Box<dyn Iterator<Item = SocketAddr> + Send>)
        })
    }
}
