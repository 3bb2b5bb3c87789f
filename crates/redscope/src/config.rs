//! Connection settings: parsed from a URL (`redis://`, `rediss://`, `unix://`) or from the
//! `REDIS_URL` / `REDIS_HOST` / `REDIS_PORT` / `REDIS_PASSWORD` / `REDIS_DB` environment variables.
//! The password is a [`Secret`]: it never shows in `Debug`, `Display`, logs or errors.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// A string that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret itself; call only where it is handed to Redis or the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Plain TCP.
    Tcp { host: String, port: u16 },
    /// TCP with TLS (`rediss://`).
    Tls {
        host: String,
        port: u16,
        /// Skip certificate verification (the `insecure` URL fragment); off by default.
        insecure: bool,
    },
    /// A Unix domain socket.
    Unix { path: PathBuf },
}

/// How the servers are arranged: one server, a Cluster, or a master watched by Sentinels.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Topology {
    /// One server (possibly a replica): [`RedisConfig::endpoint`].
    #[default]
    Standalone,
    /// A Redis Cluster reached through these seed nodes (`redis+cluster://h1:p1,h2:p2`).
    Cluster {
        /// Seed nodes; the rest of the cluster is discovered from them.
        nodes: Vec<(String, u16)>,
    },
    /// A master named `master`, resolved through these Sentinels
    /// (`redis+sentinel://h1:26379,h2:26379/mymaster/0`); failovers are followed.
    Sentinel {
        /// Sentinel addresses.
        sentinels: Vec<(String, u16)>,
        /// The monitored master's name.
        master: String,
        /// Password of the Sentinels themselves, when they require one.
        sentinel_password: Option<Secret>,
    },
}

/// How to authenticate to an SSH server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshAuth {
    /// A password.
    Password(Secret),
    /// A private key file (OpenSSH or PEM), decrypted with `passphrase` when it is encrypted.
    Key {
        /// The private key file.
        path: PathBuf,
        /// Its passphrase, if it has one.
        passphrase: Option<Secret>,
    },
    /// The keys of the SSH agent at `SSH_AUTH_SOCK`.
    Agent,
}

/// An SSH server every connection goes through (`-L` style forwarding, done in process by
/// russh): Redis, Sentinel and Cluster node addresses are reached from that server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshConfig {
    /// The SSH server's host name or address.
    pub host: String,
    /// Its port (22).
    pub port: u16,
    /// The SSH user.
    pub user: String,
    /// Password, private key or agent.
    pub auth: SshAuth,
    /// Redscope's own known_hosts file: a host key found there must match; a host not found
    /// there is refused unless its fingerprint is [`SshConfig::accept_fingerprint`].
    pub known_hosts: PathBuf,
    /// The `SHA256:…` fingerprint the user accepted for a host not yet in `known_hosts`
    /// (first use); on a match it is written to the file.
    pub accept_fingerprint: Option<String>,
    /// Keep-alive interval (three unanswered keep-alives close the session, which is then
    /// reopened on the next connection).
    pub keepalive: Duration,
    /// A bastion to go through first: this server is reached from the jump host.
    pub jump: Option<Box<SshConfig>>,
}

/// Default port of an SSH server.
pub const DEFAULT_SSH_PORT: u16 = 22;

impl SshConfig {
    /// `user@host:port` (never a secret), with the jump host in front when there is one.
    pub fn display(&self) -> String {
        let me = format!("{}@{}:{}", self.user, bracket(&self.host), self.port);
        match &self.jump {
            Some(j) => format!("{} -> {me}", j.display()),
            None => me,
        }
    }

    /// Parses `[user@]host[:port]` with the given authentication and known_hosts file.
    pub fn parse(spec: &str, auth: SshAuth, known_hosts: PathBuf) -> Result<SshConfig> {
        let (user, hostport) = match spec.rsplit_once('@') {
            Some((u, h)) => (u.to_string(), h),
            None => (
                std::env::var("USER").unwrap_or_else(|_| "root".into()),
                spec,
            ),
        };
        let (host, port) = parse_host_port(hostport.trim(), DEFAULT_SSH_PORT)
            .map_err(|why| Error::Config(format!("SSH server: {why}")))?;
        Ok(SshConfig {
            host,
            port,
            user,
            auth,
            known_hosts,
            accept_fingerprint: None,
            keepalive: Duration::from_secs(15),
            jump: None,
        })
    }

    /// From `REDIS_SSH_*` variables (see [`RedisConfig::from_vars`]); `None` without
    /// `REDIS_SSH_HOST`. `spec` (the URL's `ssh=` value) overrides `REDIS_SSH_HOST`.
    fn from_vars(
        get: &dyn Fn(&str) -> Option<String>,
        spec: Option<String>,
    ) -> Result<Option<SshConfig>> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let Some(mut spec) = spec.or_else(|| non_empty("REDIS_SSH_HOST")) else {
            return Ok(None);
        };
        if !spec.contains('@') {
            if let Some(user) = non_empty("REDIS_SSH_USER") {
                spec = format!("{user}@{spec}");
            }
        }
        if let Some(port) = non_empty("REDIS_SSH_PORT") {
            if !spec.contains(':') {
                spec = format!("{spec}:{port}");
            }
        }
        let auth = |prefix: &str| -> SshAuth {
            if let Some(pw) = non_empty(&format!("{prefix}_PASSWORD")) {
                SshAuth::Password(Secret::new(pw))
            } else if let Some(key) = non_empty(&format!("{prefix}_KEY")) {
                SshAuth::Key {
                    path: PathBuf::from(key),
                    passphrase: non_empty(&format!("{prefix}_KEY_PASSPHRASE")).map(Secret::new),
                }
            } else {
                SshAuth::Agent
            }
        };
        let known_hosts = non_empty("REDIS_SSH_KNOWN_HOSTS")
            .map(PathBuf::from)
            .or_else(|| {
                get("HOME")
                    .or_else(|| std::env::var("HOME").ok())
                    .map(|h| PathBuf::from(h).join(".config/redscope/known_hosts"))
            })
            .ok_or_else(|| Error::Config("set REDIS_SSH_KNOWN_HOSTS (no HOME)".into()))?;
        let mut ssh = SshConfig::parse(&spec, auth("REDIS_SSH"), known_hosts.clone())?;
        ssh.accept_fingerprint = non_empty("REDIS_SSH_ACCEPT_HOST_KEY");
        if let Some(jump) = non_empty("REDIS_SSH_JUMP") {
            let jump_auth = if non_empty("REDIS_SSH_JUMP_PASSWORD").is_some()
                || non_empty("REDIS_SSH_JUMP_KEY").is_some()
            {
                auth("REDIS_SSH_JUMP")
            } else {
                ssh.auth.clone()
            };
            let mut j = SshConfig::parse(&jump, jump_auth, known_hosts)?;
            j.accept_fingerprint = non_empty("REDIS_SSH_JUMP_ACCEPT_HOST_KEY");
            ssh.jump = Some(Box::new(j));
        }
        Ok(Some(ssh))
    }
}

/// Default port of a Sentinel.
pub const DEFAULT_SENTINEL_PORT: u16 = 26379;

/// Everything needed to open a connection to Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// Host/port/socket and transport (for a Cluster or Sentinel: the first seed, carrying TLS-ness).
    pub endpoint: Endpoint,
    /// One server, a Cluster or Sentinel-managed.
    pub topology: Topology,
    /// Logical database index (`SELECT`).
    pub db: i64,
    /// ACL user name, if any.
    pub username: Option<String>,
    /// Password (`AUTH`), if any.
    pub password: Option<Secret>,
    /// How long to wait for a connection to be established.
    pub connect_timeout: Duration,
    /// How long to wait for any single reply.
    pub response_timeout: Duration,
    /// PEM file of the CA that signed the server's TLS certificate (`?ca=` or `REDIS_TLS_CA`);
    /// `None` trusts the system's roots.
    pub tls_ca: Option<PathBuf>,
    /// Most connections open at once (`REDIS_MAX_CONNECTIONS`, default 50): the size of the
    /// pool of dedicated connections for blocking commands ([`crate::pool::BlockingPool`]);
    /// ordinary commands share one multiplexed connection.
    pub max_connections: usize,
    /// Whether Redis is used at all (`REDIS_ENABLED`, default true): when false, caches built
    /// with [`crate::cache::Cache::from_config`] run without Redis (every read a miss).
    pub enabled: bool,
    /// Client certificate and key (PEM) for servers that require one (mTLS, `tls-auth-clients yes`).
    pub tls_client: Option<TlsClientCert>,
    /// Check that the server's certificate names the host connected to (default). `false`
    /// (`#verify-ca`, `REDIS_TLS_VERIFY=ca`) still checks the chain against the CA but not the
    /// name: for a server reached through a tunnel or by an address its certificate does not
    /// list.
    pub tls_verify_host: bool,
    /// The name the server's certificate is checked against and sent as SNI, when it is not the
    /// host dialled (`?server_name=`, `REDIS_TLS_SERVER_NAME`): a server reached by IP address,
    /// through a load balancer or a tunnel. The connection then goes through a local TLS relay
    /// ([`crate::tls_relay`]); not available for a Cluster.
    pub tls_server_name: Option<String>,
    /// Reach every server through this SSH server (`ssh` feature).
    pub ssh: Option<SshConfig>,
}

/// A TLS client certificate and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClientCert {
    /// The certificate (chain) file.
    pub cert: PathBuf,
    /// The private key file: PKCS#8, PKCS#1 or SEC1, or encrypted PKCS#8 (`ENCRYPTED PRIVATE
    /// KEY`, as `openssl pkcs8 -topk8` writes it) with [`TlsClientCert::key_passphrase`].
    pub key: PathBuf,
    /// The passphrase of an encrypted key (`REDIS_TLS_KEY_PASSPHRASE`; never in a URL).
    pub key_passphrase: Option<Secret>,
}

/// Default of [`RedisConfig::max_connections`] (the documents' `REDIS_MAX_CONNECTIONS=50`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 50;

/// Default port of a Redis server.
pub const DEFAULT_PORT: u16 = 6379;

/// A URL's TLS verification fragment: none or `#insecure` check the host name (`#insecure`
/// skips every check elsewhere), `#verify-ca` checks only the CA; anything else is refused.
fn tls_verify_host(fragment: Option<&str>, url: &str) -> Result<bool> {
    match fragment {
        None | Some("") | Some("insecure") => Ok(true),
        Some("verify-ca") => Ok(false),
        Some(other) => Err(Error::Config(format!(
            "unknown URL fragment #{other} (use #insecure or #verify-ca): {}",
            redact_url(url)
        ))),
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            endpoint: Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: DEFAULT_PORT,
            },
            topology: Topology::Standalone,
            db: 0,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(3),
            response_timeout: Duration::from_secs(5),
            tls_ca: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            enabled: true,
            tls_client: None,
            tls_verify_host: true,
            tls_server_name: None,
            ssh: None,
        }
    }
}

impl RedisConfig {
    /// Parses `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS; add
    /// `#insecure` to skip certificate checks, `#verify-ca` to check the CA but not the host
    /// name) or `unix:///path/to.sock[?db=N]`.
    ///
    /// Clusters: `redis+cluster://[user:password@]h1:p1,h2:p2` (or `rediss+cluster://`).
    /// Sentinel: `redis+sentinel://[user:password@]h1:26379,h2:26379/<master>[/db]`, with
    /// `?sentinel_password=…` when the Sentinels need their own password.
    pub fn from_url(url: &str) -> Result<Self> {
        let trimmed = url.trim();
        if let Some((scheme, rest)) = trimmed.split_once("://") {
            if scheme.ends_with("+cluster") || scheme.ends_with("+sentinel") {
                return Self::from_multi_host_url(scheme, rest, url);
            }
        }
        let parsed = url::Url::parse(trimmed).map_err(|e| {
            Error::Config(format!("malformed Redis URL ({e}): {}", redact_url(url)))
        })?;
        let mut cfg = RedisConfig::default();
        let decode = |s: &str| {
            percent_decode(s)
                .map_err(|_| Error::Config("URL credentials are not valid UTF-8".into()))
        };
        if !parsed.username().is_empty() {
            cfg.username = Some(decode(parsed.username())?);
        }
        if let Some(pw) = parsed.password() {
            cfg.password = Some(Secret::new(decode(pw)?));
        }
        match parsed.scheme() {
            "redis" | "rediss" | "valkey" | "valkeys" => {
                let host = parsed
                    .host_str()
                    .filter(|h| !h.is_empty())
                    .ok_or_else(|| {
                        Error::Config(format!("Redis URL has no host: {}", redact_url(url)))
                    })?
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string();
                let port = parsed.port().unwrap_or(DEFAULT_PORT);
                cfg.endpoint = if matches!(parsed.scheme(), "rediss" | "valkeys") {
                    Endpoint::Tls {
                        host,
                        port,
                        insecure: parsed.fragment() == Some("insecure"),
                    }
                } else {
                    Endpoint::Tcp { host, port }
                };
                cfg.tls_verify_host = tls_verify_host(parsed.fragment(), url)?;
                let path = parsed.path().trim_matches('/');
                if !path.is_empty() {
                    cfg.db = path.parse().map_err(|_| {
                        Error::Config(format!("database in URL must be a number, got {path:?}"))
                    })?;
                }
            }
            "unix" | "redis+unix" => {
                if parsed.path().is_empty() {
                    return Err(Error::Config("unix URL needs a socket path".into()));
                }
                cfg.endpoint = Endpoint::Unix {
                    path: PathBuf::from(parsed.path()),
                };
            }
            other => {
                return Err(Error::Config(format!(
                    "unsupported URL scheme {other:?} (use redis://, rediss:// or unix://)"
                )))
            }
        }
        for (k, v) in parsed.query_pairs() {
            match k.as_ref() {
                "db" => {
                    cfg.db = v
                        .parse()
                        .map_err(|_| Error::Config(format!("db must be a number, got {v:?}")))?
                }
                "password" => cfg.password = Some(Secret::new(v.into_owned())),
                "username" | "user" => cfg.username = Some(v.into_owned()),
                "ca" | "tls_ca" => cfg.tls_ca = Some(PathBuf::from(v.into_owned())),
                other => cfg.url_option(other, &v)?,
            }
        }
        if cfg.db < 0 {
            return Err(Error::Config("database index must not be negative".into()));
        }
        if cfg.tls_server_name.is_some() && !matches!(cfg.endpoint, Endpoint::Tls { .. }) {
            return Err(Error::Config(
                "server_name= is the name a TLS certificate is checked against: use rediss://"
                    .into(),
            ));
        }
        Ok(cfg)
    }

    fn from_multi_host_url(scheme: &str, rest: &str, original: &str) -> Result<Self> {
        let bad = |why: &str| Error::Config(format!("{why}: {}", redact_url(original)));
        let tls = match scheme {
            "redis+cluster" | "redis+sentinel" => false,
            "rediss+cluster" | "rediss+sentinel" => true,
            other => return Err(bad(&format!("unsupported URL scheme {other:?}"))),
        };
        let sentinel = scheme.ends_with("+sentinel");
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (rest, fragment) = match rest.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let mut cfg = RedisConfig::default();
        let hosts = match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                let (user, pw) = match userinfo.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (userinfo, None),
                };
                let decode = |s: &str| {
                    percent_decode(s).map_err(|_| bad("URL credentials are not valid UTF-8"))
                };
                if !user.is_empty() {
                    cfg.username = Some(decode(user)?);
                }
                if let Some(pw) = pw {
                    cfg.password = Some(Secret::new(decode(pw)?));
                }
                &authority[at + 1..]
            }
            None => authority,
        };
        let default_port = if sentinel {
            DEFAULT_SENTINEL_PORT
        } else {
            DEFAULT_PORT
        };
        let mut nodes = Vec::new();
        for h in hosts.split(',').filter(|h| !h.is_empty()) {
            nodes.push(parse_host_port(h, default_port).map_err(|why| bad(&why))?);
        }
        let Some((host, port)) = nodes.first().cloned() else {
            return Err(bad("the URL names no host"));
        };
        cfg.endpoint = if tls {
            Endpoint::Tls {
                host,
                port,
                insecure: fragment == Some("insecure"),
            }
        } else {
            Endpoint::Tcp { host, port }
        };
        cfg.tls_verify_host = tls_verify_host(fragment, original)?;
        let mut segments = path.split('/').filter(|s| !s.is_empty());
        let mut sentinel_password = None;
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "sentinel_password" => sentinel_password = Some(Secret::new(v.into_owned())),
                "ca" | "tls_ca" => cfg.tls_ca = Some(PathBuf::from(v.into_owned())),
                "db" => cfg.db = v.parse().map_err(|_| bad("db must be a number"))?,
                other => cfg.url_option(other, &v)?,
            }
        }
        if sentinel {
            let master = segments
                .next()
                .ok_or_else(|| bad("a Sentinel URL needs the master name as its path"))?;
            cfg.topology = Topology::Sentinel {
                sentinels: nodes,
                master: master.to_string(),
                sentinel_password,
            };
        } else {
            cfg.topology = Topology::Cluster { nodes };
        }
        if let Some(db) = segments.next() {
            cfg.db = db
                .parse()
                .map_err(|_| bad("database in URL must be a number"))?;
        }
        if cfg.db < 0 {
            return Err(bad("database index must not be negative"));
        }
        if matches!(cfg.topology, Topology::Cluster { .. }) && cfg.db != 0 {
            return Err(bad("a Redis Cluster has only database 0"));
        }
        Ok(cfg)
    }

    /// URL query options shared by every scheme: `cert=`/`key=` (TLS client certificate) and
    /// `ssh=user@host:port` with `ssh_key=`, `ssh_known_hosts=`, `ssh_jump=` (secrets such as SSH
    /// passwords and key passphrases come from `REDIS_SSH_*` variables, never from the URL).
    fn url_option(&mut self, key: &str, value: &str) -> Result<()> {
        let known_hosts_default = || {
            std::env::var("REDIS_SSH_KNOWN_HOSTS")
                .ok()
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var("HOME")
                        .ok()
                        .map(|h| PathBuf::from(h).join(".config/redscope/known_hosts"))
                })
                .unwrap_or_else(|| PathBuf::from("known_hosts"))
        };
        fn ssh<'a>(cfg: &'a mut RedisConfig, key: &str) -> Result<&'a mut SshConfig> {
            cfg.ssh.as_mut().ok_or_else(|| {
                Error::Config(format!("URL option {key}= needs ssh=user@host first"))
            })
        }
        match key {
            "cert" | "tls_cert" => {
                let key_path = self
                    .tls_client
                    .as_ref()
                    .map(|c| c.key.clone())
                    .unwrap_or_default();
                let key_passphrase = self
                    .tls_client
                    .as_ref()
                    .and_then(|c| c.key_passphrase.clone());
                self.tls_client = Some(TlsClientCert {
                    cert: PathBuf::from(value),
                    key: key_path,
                    key_passphrase,
                });
            }
            "key" | "tls_key" => {
                let cert = self
                    .tls_client
                    .as_ref()
                    .map(|c| c.cert.clone())
                    .unwrap_or_default();
                self.tls_client = Some(TlsClientCert {
                    cert,
                    key: PathBuf::from(value),
                    key_passphrase: None,
                });
            }
            "server_name" | "sni" => {
                let name = value.trim();
                self.tls_server_name = (!name.is_empty()).then(|| name.to_string());
            }
            "ssh" => {
                self.ssh = Some(SshConfig::parse(
                    value,
                    SshAuth::Agent,
                    known_hosts_default(),
                )?)
            }
            "ssh_key" => {
                ssh(self, key)?.auth = SshAuth::Key {
                    path: PathBuf::from(value),
                    passphrase: None,
                }
            }
            "ssh_known_hosts" => ssh(self, key)?.known_hosts = PathBuf::from(value),
            "ssh_jump" => {
                let s = ssh(self, key)?;
                let mut j = SshConfig::parse(value, s.auth.clone(), s.known_hosts.clone())?;
                j.keepalive = s.keepalive;
                s.jump = Some(Box::new(j));
            }
            _ => {}
        }
        Ok(())
    }

    /// Reads `REDIS_URL` (`REDIS_PASSWORD` fills in a URL without a password), or else
    /// `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, `REDIS_USERNAME`, `REDIS_DB` (defaults:
    /// 127.0.0.1, 6379, none, none, 0); in both cases also `REDIS_MAX_CONNECTIONS` (default 50),
    /// `REDIS_SOCKET_TIMEOUT` (seconds per reply, default 5, fractions allowed) and
    /// `REDIS_ENABLED` (`false`/`0`/`no`/`off` turn Redis off).
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`RedisConfig::from_env`], reading variables through `get` (for tests and profiles).
    ///
    /// TLS: `REDIS_TLS=1`, `REDIS_TLS_CA`, `REDIS_TLS_CERT` + `REDIS_TLS_KEY` (client certificate)
    /// with `REDIS_TLS_KEY_PASSPHRASE` for an encrypted key, `REDIS_TLS_VERIFY=ca` to check the
    /// certificate's CA but not its host name, `REDIS_TLS_SERVER_NAME` to check it against (and
    /// send as SNI) a name other than the host dialled.
    /// SSH: `REDIS_SSH_HOST` (`[user@]host[:port]`, or `?ssh=` in the URL), `REDIS_SSH_USER`,
    /// `REDIS_SSH_PORT`, then `REDIS_SSH_PASSWORD`, or `REDIS_SSH_KEY` (+ `REDIS_SSH_KEY_PASSPHRASE`),
    /// or else the agent at `SSH_AUTH_SOCK`; `REDIS_SSH_KNOWN_HOSTS` (default
    /// `~/.config/redscope/known_hosts`), `REDIS_SSH_ACCEPT_HOST_KEY=SHA256:…` to trust a new
    /// host; `REDIS_SSH_JUMP=[user@]bastion[:port]` with `REDIS_SSH_JUMP_PASSWORD` /
    /// `REDIS_SSH_JUMP_KEY` (default: the same credentials) and `REDIS_SSH_JUMP_ACCEPT_HOST_KEY`.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut cfg = Self::from_vars_base(&get)?;
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        match non_empty("REDIS_TLS_VERIFY").as_deref().map(str::trim) {
            None | Some("full") => {}
            Some("ca") => cfg.tls_verify_host = false,
            Some(other) => {
                return Err(Error::Config(format!(
                    "REDIS_TLS_VERIFY must be full (the default) or ca, got {other:?}"
                )))
            }
        }
        if let Some(name) = non_empty("REDIS_TLS_SERVER_NAME") {
            cfg.tls_server_name = Some(name.trim().to_string());
        }
        if let (Some(cert), Some(key)) = (non_empty("REDIS_TLS_CERT"), non_empty("REDIS_TLS_KEY")) {
            cfg.tls_client = Some(TlsClientCert {
                cert: cert.into(),
                key: key.into(),
                key_passphrase: None,
            });
        }
        if let (Some(c), Some(pass)) = (
            cfg.tls_client.as_mut(),
            non_empty("REDIS_TLS_KEY_PASSPHRASE"),
        ) {
            c.key_passphrase = Some(Secret::new(pass));
        }
        let spec = cfg
            .ssh
            .as_ref()
            .map(|s| format!("{}@{}:{}", s.user, bracket(&s.host), s.port));
        if let Some(mut ssh) = SshConfig::from_vars(&get, spec)? {
            if let Some(url_ssh) = cfg.ssh.take() {
                // URL options win over the variables' defaults.
                if !matches!(url_ssh.auth, SshAuth::Agent) {
                    ssh.auth = url_ssh.auth;
                }
                if non_empty("REDIS_SSH_KNOWN_HOSTS").is_none() {
                    ssh.known_hosts = url_ssh.known_hosts;
                }
                if ssh.jump.is_none() {
                    ssh.jump = url_ssh.jump;
                }
            }
            cfg.ssh = Some(ssh);
        }
        if let Some(n) = non_empty("REDIS_MAX_CONNECTIONS") {
            cfg.max_connections = n
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    Error::Config(format!(
                        "REDIS_MAX_CONNECTIONS must be a positive number, got {n:?}"
                    ))
                })?;
        }
        if let Some(t) = non_empty("REDIS_SOCKET_TIMEOUT") {
            let secs = t
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s < 86_400.0)
                .ok_or_else(|| {
                    Error::Config(format!(
                        "REDIS_SOCKET_TIMEOUT must be a positive number of seconds, got {t:?}"
                    ))
                })?;
            cfg.response_timeout = Duration::from_secs_f64(secs);
        }
        if let Some(v) = non_empty("REDIS_ENABLED") {
            cfg.enabled = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(Error::Config(format!(
                        "REDIS_ENABLED must be true or false, got {v:?}"
                    )))
                }
            };
        }
        Ok(cfg)
    }

    fn from_vars_base(get: &impl Fn(&str) -> Option<String>) -> Result<Self> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let tls_ca = non_empty("REDIS_TLS_CA").map(PathBuf::from);
        if let Some(url) = non_empty("REDIS_URL") {
            let mut cfg = Self::from_url(&url)?;
            if cfg.tls_ca.is_none() {
                cfg.tls_ca = tls_ca;
            }
            // The password can stay out of the URL (and out of `ps` and shell history).
            if cfg.password.is_none() {
                cfg.password = non_empty("REDIS_PASSWORD").map(Secret::new);
            }
            return Ok(cfg);
        }
        let mut cfg = RedisConfig::default();
        let host = non_empty("REDIS_HOST").unwrap_or_else(|| "127.0.0.1".into());
        let port = match non_empty("REDIS_PORT") {
            Some(p) => p.trim().parse::<u16>().map_err(|_| {
                Error::Config(format!("REDIS_PORT must be a port number, got {p:?}"))
            })?,
            None => DEFAULT_PORT,
        };
        let tls = matches!(
            non_empty("REDIS_TLS").as_deref(),
            Some("1" | "true" | "yes")
        );
        cfg.endpoint = if tls {
            Endpoint::Tls {
                host,
                port,
                insecure: false,
            }
        } else {
            Endpoint::Tcp { host, port }
        };
        cfg.tls_ca = tls_ca;
        cfg.password = non_empty("REDIS_PASSWORD").map(Secret::new);
        cfg.username = non_empty("REDIS_USERNAME");
        if let Some(db) = non_empty("REDIS_DB") {
            cfg.db = db
                .trim()
                .parse()
                .map_err(|_| Error::Config(format!("REDIS_DB must be a number, got {db:?}")))?;
        }
        Ok(cfg)
    }

    /// A URL for display: never contains the password.
    pub fn display_url(&self) -> String {
        let user = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (Some(u), None) => format!("{u}@"),
            (None, Some(_)) => ":***@".to_string(),
            (None, None) => String::new(),
        };
        let hosts = |nodes: &[(String, u16)]| {
            let shown: Vec<String> = nodes
                .iter()
                .map(|(h, p)| format!("{}:{p}", bracket(h)))
                .collect();
            shown.join(",")
        };
        let s = if matches!(self.endpoint, Endpoint::Tls { .. }) {
            "s"
        } else {
            ""
        };
        match &self.topology {
            Topology::Standalone => {}
            Topology::Cluster { nodes } => {
                return format!("redis{s}+cluster://{user}{}", hosts(nodes))
            }
            Topology::Sentinel {
                sentinels, master, ..
            } => {
                return format!(
                    "redis{s}+sentinel://{user}{}/{master}/{}",
                    hosts(sentinels),
                    self.db
                )
            }
        }
        match &self.endpoint {
            Endpoint::Tcp { host, port } => {
                format!("redis://{user}{}:{port}/{}", bracket(host), self.db)
            }
            Endpoint::Tls { host, port, .. } => {
                format!("rediss://{user}{}:{port}/{}", bracket(host), self.db)
            }
            Endpoint::Unix { path } => format!("unix://{}?db={}", path.display(), self.db),
        }
    }

    /// The redis-rs connection info for this configuration.
    pub fn connection_info(&self) -> Result<redis::ConnectionInfo> {
        use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
        let addr = match &self.endpoint {
            Endpoint::Tcp { host, port } => ConnectionAddr::Tcp(host.clone(), *port),
            Endpoint::Tls {
                host,
                port,
                insecure,
            } => ConnectionAddr::TcpTls {
                host: host.clone(),
                port: *port,
                insecure: *insecure,
                tls_params: None,
            },
            Endpoint::Unix { path } => ConnectionAddr::Unix(path.clone()),
        };
        let mut redis = RedisConnectionInfo::default().set_db(self.db);
        if let Some(u) = &self.username {
            redis = redis.set_username(u);
        }
        if let Some(p) = &self.password {
            redis = redis.set_password(p.expose());
        }
        let info = addr.into_connection_info().map_err(Error::from)?;
        Ok(info.set_redis_settings(redis))
    }

    /// True when the server is on this machine (loopback or a Unix socket).
    pub fn is_local(&self) -> bool {
        match &self.endpoint {
            Endpoint::Unix { .. } => true,
            Endpoint::Tcp { host, .. } | Endpoint::Tls { host, .. } => {
                host == "localhost"
                    || host
                        .parse::<std::net::IpAddr>()
                        .map(|ip| ip.is_loopback())
                        .unwrap_or(false)
            }
        }
    }
}

/// Parses `host`, `host:port` or `[v6]:port`.
fn parse_host_port(s: &str, default_port: u16) -> std::result::Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in host {s:?}"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (s.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(format!("empty host in {s:?}"));
    }
    let port = match port {
        Some(p) => p.parse::<u16>().map_err(|_| format!("bad port in {s:?}"))?,
        None => default_port,
    };
    Ok((host, port))
}

fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Removes any password from a URL-like string so it can be shown in an error: the one in the
/// user-info part and the values of secret query parameters (`password`, `sentinel_password`,
/// any name with `pass`, `secret` or `token` in it).
pub fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = redact_userinfo(head);
    if let Some(q) = query {
        let (q, fragment) = match q.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (q, None),
        };
        let shown: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret_param(k) => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&shown.join("&"));
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
    }
    out
}

/// A query parameter whose value is a secret.
fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("pass") || n.contains("secret") || n.contains("token") || n.contains("auth")
}

fn redact_userinfo(url: &str) -> String {
    match url.find("://") {
        Some(scheme_end) => {
            let rest = &url[scheme_end + 3..];
            let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => {
                    let userinfo = &rest[..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    let shown = if userinfo.contains(':') {
                        format!("{user}:***")
                    } else {
                        user.to_string()
                    };
                    format!("{}{}{}", &url[..scheme_end + 3], shown, &rest[at..])
                }
                None => url.to_string(),
            }
        }
        None if url.contains('@') => "<redacted>".to_string(),
        None => url.to_string(),
    }
}

fn percent_decode(s: &str) -> std::result::Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_url_and_hides_password() {
        let cfg = RedisConfig::from_url("redis://alice:s3cr%40t@example.com:6380/2").unwrap();
        assert_eq!(
            cfg.endpoint,
            Endpoint::Tcp {
                host: "example.com".into(),
                port: 6380
            }
        );
        assert_eq!(cfg.db, 2);
        assert_eq!(cfg.username.as_deref(), Some("alice"));
        assert_eq!(cfg.password.as_ref().unwrap().expose(), "s3cr@t");
        let shown = format!("{cfg:?} {}", cfg.display_url());
        assert!(!shown.contains("s3cr"), "password leaked: {shown}");
        assert_eq!(cfg.display_url(), "redis://alice:***@example.com:6380/2");
    }

    #[test]
    fn tls_and_unix_urls() {
        let tls = RedisConfig::from_url("rediss://h:7000#insecure").unwrap();
        assert_eq!(
            tls.endpoint,
            Endpoint::Tls {
                host: "h".into(),
                port: 7000,
                insecure: true
            }
        );
        let unix = RedisConfig::from_url("unix:///tmp/r.sock?db=3").unwrap();
        assert_eq!(
            unix.endpoint,
            Endpoint::Unix {
                path: "/tmp/r.sock".into()
            }
        );
        assert_eq!(unix.db, 3);
        assert!(unix.is_local());
        let named =
            RedisConfig::from_url("rediss://10.0.0.5:6380?server_name=redis.internal").unwrap();
        assert_eq!(named.tls_server_name.as_deref(), Some("redis.internal"));
        let err = RedisConfig::from_url("redis://10.0.0.5?sni=redis.internal").unwrap_err();
        assert!(err.to_string().contains("rediss://"), "{err}");
    }

    #[test]
    fn malformed_urls_are_clear_errors_without_secrets() {
        for bad in [
            "not a url",
            "http://h:1",
            "redis://h/abc",
            "redis://:pw@h:99999",
        ] {
            let err = RedisConfig::from_url(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{bad}");
            assert!(!err.to_string().contains("pw@"), "{err}");
        }
    }

    #[test]
    fn pool_timeout_and_switch_come_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let d = RedisConfig::from_vars(vars(&[])).unwrap();
        assert_eq!(
            (d.max_connections, d.response_timeout, d.enabled),
            (50, Duration::from_secs(5), true)
        );
        let c = RedisConfig::from_vars(vars(&[
            ("REDIS_URL", "redis://h:1/2"),
            ("REDIS_MAX_CONNECTIONS", "8"),
            ("REDIS_SOCKET_TIMEOUT", "0.25"),
            ("REDIS_ENABLED", "false"),
        ]))
        .unwrap();
        assert_eq!(
            (c.max_connections, c.response_timeout, c.enabled, c.db),
            (8, Duration::from_millis(250), false, 2)
        );
        for bad in [
            &[("REDIS_MAX_CONNECTIONS", "0")][..],
            &[("REDIS_SOCKET_TIMEOUT", "-1")],
            &[("REDIS_ENABLED", "maybe")],
        ] {
            let owned: Vec<(String, String)> = bad
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let err = RedisConfig::from_vars(|k| {
                owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
            })
            .unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Config, "{bad:?}");
        }
    }

    #[test]
    fn env_vars_build_a_config() {
        let vars = |k: &str| match k {
            "REDIS_HOST" => Some("10.0.0.5".to_string()),
            "REDIS_PORT" => Some("6390".to_string()),
            "REDIS_PASSWORD" => Some("hunter2".to_string()),
            "REDIS_DB" => Some("4".to_string()),
            _ => None,
        };
        let cfg = RedisConfig::from_vars(vars).unwrap();
        assert_eq!(
            cfg.endpoint,
            Endpoint::Tcp {
                host: "10.0.0.5".into(),
                port: 6390
            }
        );
        assert_eq!(cfg.db, 4);
        assert_eq!(cfg.password.unwrap().expose(), "hunter2");
        let url_wins = |k: &str| match k {
            "REDIS_URL" => Some("redis://u@h:1/5".to_string()),
            "REDIS_HOST" => Some("ignored".to_string()),
            _ => None,
        };
        let cfg = RedisConfig::from_vars(url_wins).unwrap();
        assert_eq!(
            cfg.endpoint,
            Endpoint::Tcp {
                host: "h".into(),
                port: 1
            }
        );
        assert_eq!(cfg.db, 5);
        let bad_port = |k: &str| (k == "REDIS_PORT").then(|| "six".to_string());
        assert_eq!(
            RedisConfig::from_vars(bad_port).unwrap_err().kind(),
            crate::ErrorKind::Config
        );
    }

    #[test]
    fn cluster_and_sentinel_urls() {
        let c = RedisConfig::from_url("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002")
            .unwrap();
        assert_eq!(
            c.topology,
            Topology::Cluster {
                nodes: vec![
                    ("10.0.0.1".into(), 7000),
                    ("10.0.0.2".into(), 7001),
                    ("::1".into(), 7002)
                ]
            }
        );
        assert_eq!(c.password.as_ref().unwrap().expose(), "pw");
        assert_eq!(
            c.display_url(),
            "redis+cluster://:***@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002"
        );
        let s =
            RedisConfig::from_url("redis+sentinel://h1,h2:26380/mymaster/2?sentinel_password=sp")
                .unwrap();
        match &s.topology {
            Topology::Sentinel {
                sentinels,
                master,
                sentinel_password,
            } => {
                assert_eq!(
                    sentinels,
                    &vec![("h1".to_string(), 26379), ("h2".to_string(), 26380)]
                );
                assert_eq!(master, "mymaster");
                assert_eq!(sentinel_password.as_ref().unwrap().expose(), "sp");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.db, 2);
        assert_eq!(
            s.display_url(),
            "redis+sentinel://h1:26379,h2:26380/mymaster/2"
        );
        for bad in [
            "redis+sentinel://h1:26379",
            "redis+cluster://",
            "redis+cluster://h:x",
            "redis+cluster://h/3",
        ] {
            assert_eq!(
                RedisConfig::from_url(bad).unwrap_err().kind(),
                crate::ErrorKind::Config,
                "{bad}"
            );
        }
    }

    #[test]
    fn ssh_and_client_certificate_from_vars_and_url() {
        let vars = |k: &str| match k {
            "REDIS_URL" => Some("redis://10.0.0.5:6380/1".to_string()),
            "REDIS_SSH_HOST" => Some("bastion.example:2222".to_string()),
            "REDIS_SSH_USER" => Some("ops".to_string()),
            "REDIS_SSH_KEY" => Some("/keys/id_ed25519".to_string()),
            "REDIS_SSH_KEY_PASSPHRASE" => Some("k3y-s3cret".to_string()),
            "REDIS_SSH_KNOWN_HOSTS" => Some("/kh".to_string()),
            "REDIS_SSH_JUMP" => Some("jump@outer:22".to_string()),
            "REDIS_TLS_CERT" => Some("/c.pem".to_string()),
            "REDIS_TLS_KEY" => Some("/k.pem".to_string()),
            _ => None,
        };
        let cfg = RedisConfig::from_vars(vars).unwrap();
        let ssh = cfg.ssh.as_ref().unwrap();
        assert_eq!(
            (ssh.host.as_str(), ssh.port, ssh.user.as_str()),
            ("bastion.example", 2222, "ops")
        );
        match &ssh.auth {
            SshAuth::Key { path, passphrase } => {
                assert_eq!(path, &PathBuf::from("/keys/id_ed25519"));
                assert_eq!(passphrase.as_ref().unwrap().expose(), "k3y-s3cret");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ssh.known_hosts, PathBuf::from("/kh"));
        let jump = ssh.jump.as_ref().unwrap();
        assert_eq!((jump.host.as_str(), jump.user.as_str()), ("outer", "jump"));
        assert_eq!(
            jump.auth, ssh.auth,
            "the jump host uses the same key by default"
        );
        assert_eq!(ssh.display(), "jump@outer:22 -> ops@bastion.example:2222");
        assert!(!format!("{cfg:?}").contains("k3y-s3cret"));
        assert_eq!(
            cfg.tls_client.as_ref().unwrap().key,
            PathBuf::from("/k.pem")
        );

        let url = RedisConfig::from_url(
            "redis://h:1/0?ssh=me@b:23&ssh_key=/id&ssh_known_hosts=/k2&ssh_jump=b0",
        )
        .unwrap();
        let ssh = url.ssh.unwrap();
        assert_eq!(
            (ssh.host.as_str(), ssh.port, ssh.user.as_str()),
            ("b", 23, "me")
        );
        assert_eq!(ssh.known_hosts, PathBuf::from("/k2"));
        assert_eq!(ssh.jump.unwrap().host, "b0");
        assert_eq!(
            RedisConfig::from_url("redis://h:1/0?ssh_key=/id")
                .unwrap_err()
                .kind(),
            crate::ErrorKind::Config
        );
        let pw = |k: &str| match k {
            "REDIS_URL" => Some("redis://h:1/0?ssh=me@b".to_string()),
            "REDIS_SSH_PASSWORD" => Some("sshpw".to_string()),
            _ => None,
        };
        let cfg = RedisConfig::from_vars(pw).unwrap();
        assert_eq!(
            cfg.ssh.unwrap().auth,
            SshAuth::Password(Secret::new("sshpw"))
        );
    }

    #[test]
    fn redact_url_hides_passwords() {
        assert_eq!(redact_url("redis://u:p@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
        assert_eq!(
            redact_url("redis+sentinel://h/m?sentinel_password=sp&db=1&password=pw#x"),
            "redis+sentinel://h/m?sentinel_password=***&db=1&password=***#x"
        );
        for bad in [
            "redis://h:1/abc?password=leak1",
            "redis+sentinel://h:x/m?sentinel_password=leak2",
            "redis://h:99999?password=leak3",
        ] {
            let err = RedisConfig::from_url(bad).unwrap_err().to_string();
            assert!(!err.contains("leak"), "{err}");
        }
    }
}
