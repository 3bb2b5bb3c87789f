//! Connection profiles: named connections (URL without secrets, username, TLS options, db,
//! read-only flag, key separator) saved as JSON in the user's config dir; every secret of a
//! profile ([`SecretKind`]: the Redis password, the Sentinels' password, more kinds as profiles
//! grow) in the OS keyring, or — when no keyring is available (headless machines) — in a 0600
//! `secrets.json` beside it; never in profiles.json or a reply. A stored secret is only ever
//! sent to the server, port and user it was saved for: a test or save with another destination
//! must give it again. `profile_test` classifies failures (refused, timeout, wrong password,
//! TLS); `connect` switches the service's active connection, keeping earlier ones open.
//! [`Profiles::allow_hosts`] limits what profiles may connect to.
//!
//! Files: `$REDSCOPE_CONFIG_DIR` or `<config dir>/redscope`. `REDSCOPE_SECRET_STORE=file|keyring`
//! forces one secret store (default: keyring, falling back to the file).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::session::Session;
use redscope::config::{
    Endpoint, RedisConfig, Secret, SshAuth, SshConfig, TlsClientCert, Topology,
};
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::health::Thresholds;

/// The keyring service name under which passwords are stored.
pub const KEYRING_SERVICE: &str = "redscope";
/// Most connections kept open at once (the least recently activated is closed first).
pub const MAX_OPEN: usize = 8;
/// How long a keyring call may take before we fall back to the file.
const KEYRING_TIMEOUT: Duration = Duration::from_secs(3);

/// A saved connection. Never holds a password: `has_password` says whether one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Profile {
    /// Unique name.
    pub name: String,
    /// `redis://host:port/db`, `rediss://…`, `unix://…`, `redis+cluster://…`, `redis+sentinel://…`
    /// — without a password.
    pub url: String,
    /// ACL user name (overrides the URL's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub username: Option<String>,
    /// Use TLS even for a `redis://` URL.
    #[serde(default)]
    pub tls: bool,
    /// Skip TLS certificate verification (self-signed servers).
    #[serde(default)]
    pub tls_insecure: bool,
    /// Check the server certificate's CA but not its host name (a server reached through an
    /// SSH tunnel, or by an address its certificate does not list).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_verify_ca_only: bool,
    /// The name the server's certificate is checked against and sent as SNI, when it is not
    /// the host in the URL (a server reached by IP address or through a load balancer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tls_server_name: Option<String>,
    /// Database index (overrides the URL's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub db: Option<i64>,
    /// Refuse writes on this connection.
    #[serde(default)]
    pub read_only: bool,
    /// Key namespace separator for the tree.
    #[serde(default = "default_separator")]
    pub separator: String,
    /// Whether a password is stored for it (ignored on input).
    #[serde(default)]
    pub has_password: bool,
    /// Whether a Sentinel password is stored for it (ignored on input).
    #[serde(default)]
    pub has_sentinel_password: bool,
    /// Reach the server through this SSH server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ssh: Option<ProfileSsh>,
    /// PEM file of the CA that signed the server's certificate (stored by path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tls_ca: Option<String>,
    /// PEM client certificate for servers that require one (`tls-auth-clients yes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tls_cert: Option<String>,
    /// PEM private key of the client certificate: unencrypted, or encrypted PKCS#8 with its
    /// passphrase stored like a password (see `has_tls_key_passphrase`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tls_key: Option<String>,
    /// Whether a passphrase for `tls_key` is stored (ignored on input).
    #[serde(default)]
    pub has_tls_key_passphrase: bool,
    /// A label shown beside the name (`production`, `staging`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub label: Option<String>,
    /// A colour for the profile, `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub color: Option<String>,
    /// The dashboard's alert thresholds for this connection; none: the defaults (on save, none
    /// keeps the saved ones: `alert_thresholds_set` changes them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub alerts: Option<Thresholds>,
}

/// The alert thresholds in force, as `alert_thresholds` reports them.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct AlertThresholds {
    /// The thresholds the dashboard's alerts use now.
    pub thresholds: Thresholds,
    /// The defaults (the seeds').
    pub defaults: Thresholds,
    /// The connected profile they are saved with; none: they hold for this session only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub profile: Option<String>,
}

/// How an SSH server is logged into.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum SshAuthKind {
    /// A password (stored like the Redis password).
    Password,
    /// A private key file; its passphrase, if any, is stored like a password.
    Key,
    /// The SSH agent at `SSH_AUTH_SOCK`.
    Agent,
}

/// The SSH tunnel of a profile. Its password or key passphrase is never here: see `has_secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProfileSsh {
    /// SSH server host.
    pub host: String,
    /// SSH port (22 usually).
    pub port: u16,
    /// SSH user.
    pub user: String,
    /// Password, key or agent.
    pub auth: SshAuthKind,
    /// The private key file, for `key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub key_path: Option<String>,
    /// A jump host in front of `host`, `[user@]host[:port]`, logged into with the same
    /// credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub jump: Option<String>,
    /// Whether an SSH password or key passphrase is stored (ignored on input).
    pub has_secret: bool,
}

fn default_separator() -> String {
    ":".into()
}

/// A profile with an optional password, as `profile_save` and `profile_test` take it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ProfileInput {
    /// The profile.
    #[serde(flatten)]
    pub profile: Profile,
    /// New password; `None` keeps the stored one, `""` removes it.
    #[serde(default)]
    pub password: Option<String>,
    /// New SSH password or key passphrase; `None` keeps the stored one, `""` removes it.
    #[serde(default)]
    pub ssh_secret: Option<String>,
    /// New passphrase of the TLS client key; `None` keeps the stored one, `""` removes it.
    #[serde(default)]
    pub tls_key_passphrase: Option<String>,
    /// The `SHA256:…` fingerprint of an SSH host key the user accepted after a test reported it
    /// unknown; the connection records it in Redscope's known_hosts.
    #[serde(default)]
    pub accept_host_key: Option<String>,
    /// New password of the Sentinels (`redis+sentinel://` URLs); `None` keeps the stored one,
    /// `""` removes it.
    #[serde(default)]
    pub sentinel_password: Option<String>,
}

/// The kinds of secret a profile can hold, each stored apart under the profile's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The Redis password (`AUTH`).
    Password,
    /// The Sentinels' own password.
    SentinelPassword,
    /// The SSH password or SSH key passphrase of the profile's tunnel.
    Ssh,
    /// The passphrase of the TLS client key.
    TlsKeyPassphrase,
}

impl SecretKind {
    /// Every kind, so deleting a profile deletes them all.
    pub const ALL: [SecretKind; 4] = [
        SecretKind::Password,
        SecretKind::SentinelPassword,
        SecretKind::Ssh,
        SecretKind::TlsKeyPassphrase,
    ];

    /// The store entry of this kind for `profile` (the password keeps the plain name, as
    /// before; profile names hold no control characters, so entries cannot collide).
    fn entry(self, profile: &str) -> String {
        match self {
            SecretKind::Password => profile.to_string(),
            SecretKind::SentinelPassword => format!("{profile}\u{1f}sentinel_password"),
            SecretKind::Ssh => format!("{profile}\u{1f}ssh"),
            SecretKind::TlsKeyPassphrase => format!("{profile}\u{1f}tls_key_passphrase"),
        }
    }
}

/// `{code, message}` of a failed test.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema, ts_rs::TS)]
pub struct TestError {
    /// `connection` (refused/unreachable), `timeout`, `auth`, `tls`, `config`, ...
    pub code: String,
    /// What went wrong, without secrets.
    pub message: String,
}

/// Result of `profile_test`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProfileTest {
    /// Whether the server answered.
    pub ok: bool,
    /// PING round trip.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub latency_ms: Option<f64>,
    /// `redis_version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub version: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<TestError>,
    /// The SSH host key to show when it is unknown (`ssh_host_key_unknown`: ask the user to
    /// accept its fingerprint) or changed (`ssh_host_key_changed`: refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub host_key: Option<redscope::ssh::HostKey>,
}

/// Saved profiles of one session and the connections opened with them so far.
pub struct Profiles {
    session: Arc<Session>,
    /// Connections by profile name, least recently activated first (at most [`MAX_OPEN`]).
    open: tokio::sync::Mutex<Vec<(String, Conn)>>,
    /// Servers profiles may connect to (`--allow-redis-host`); empty: any.
    allowed: std::sync::RwLock<Vec<String>>,
}

/// Serialises read-modify-write of profiles.json and secrets.json within this process (the files
/// are shared by every service in it).
static FILES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where profiles.json and secrets.json live.
pub fn config_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("REDSCOPE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir()
        .map(|d| d.join("redscope"))
        .ok_or_else(|| Error::Config("no user config directory; set REDSCOPE_CONFIG_DIR".into()))
}

fn profiles_path() -> Result<PathBuf> {
    Ok(config_dir()?.join("profiles.json"))
}

fn secrets_path() -> Result<PathBuf> {
    Ok(config_dir()?.join("secrets.json"))
}

/// Writes `bytes` to `path` atomically (temp file + rename), with `mode` on Unix.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Config(format!("{} has no parent directory", path.display())))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(&tmp)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("{} is not valid: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e.into()),
    }
}

fn load_profiles() -> Result<Vec<Profile>> {
    read_json(&profiles_path()?)
}

/// The key separator saved with profile `name`, if it exists (memory analysis splits on it).
pub(crate) fn saved_separator(name: &str) -> Option<String> {
    load_profiles()
        .ok()?
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.separator)
}

/// The saved profiles, with any secret an older version left in a URL moved to the secret store
/// (and profiles.json rewritten without it). Call with [`FILES`] held.
async fn load_migrated() -> Result<Vec<Profile>> {
    let mut list = load_profiles()?;
    let mut changed = false;
    for p in &mut list {
        let (url, sentinel) = strip_url_secrets(&p.url);
        if let Some(sp) = sentinel {
            if !sp.is_empty() {
                secret_set(&SecretKind::SentinelPassword.entry(&p.name), &sp).await?;
            }
            p.url = url;
            p.has_sentinel_password = !sp.is_empty();
            changed = true;
        }
    }
    if changed {
        store_profiles(&list)?;
        tracing::info!("moved Sentinel passwords out of profiles.json into the secret store");
    }
    Ok(list)
}

fn store_profiles(list: &[Profile]) -> Result<()> {
    write_atomic(&profiles_path()?, &serde_json::to_vec_pretty(list)?, 0o600)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Store {
    Auto,
    File,
    Keyring,
}

fn store_choice() -> Store {
    match std::env::var("REDSCOPE_SECRET_STORE").as_deref() {
        Ok("file") => Store::File,
        Ok("keyring") => Store::Keyring,
        _ => Store::Auto,
    }
}

/// Runs a keyring call on a plain thread (the secret-service client may start its own runtime)
/// with a deadline.
async fn keyring_call<T: Send + 'static>(
    f: impl FnOnce() -> keyring::Result<T> + Send + 'static,
) -> Result<keyring::Result<T>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match tokio::time::timeout(KEYRING_TIMEOUT, rx).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(_)) => Err(Error::Config("the keyring call failed".into())),
        Err(_) => Err(Error::Timeout(KEYRING_TIMEOUT)),
    }
}

/// Sets (`Some`, non-empty), removes (`Some("")`) or keeps (`None`) one secret of a profile.
async fn secret_update(profile: &str, kind: SecretKind, value: Option<&str>) -> Result<bool> {
    let entry = kind.entry(profile);
    match value {
        None => Ok(secret_get(&entry).await?.is_some()),
        Some("") => {
            secret_delete(&entry).await?;
            Ok(false)
        }
        Some(v) => {
            secret_set(&entry, v).await?;
            Ok(true)
        }
    }
}

async fn secret_set(name: &str, password: &str) -> Result<()> {
    let store = store_choice();
    if store != Store::File {
        let (n, p) = (name.to_string(), password.to_string());
        let r =
            keyring_call(move || keyring::Entry::new(KEYRING_SERVICE, &n)?.set_password(&p)).await;
        match r {
            Ok(Ok(())) => return file_secret_update(name, None),
            Ok(Err(e)) if store == Store::Keyring => {
                return Err(Error::Config(format!("keyring: {e}")))
            }
            Err(e) if store == Store::Keyring => return Err(e),
            Ok(Err(e)) => {
                tracing::info!(error = %e, "no keyring; storing the password in the 0600 secrets file")
            }
            Err(e) => {
                tracing::info!(error = %e, "keyring unavailable; storing the password in the 0600 secrets file")
            }
        }
    }
    file_secret_update(name, Some(password))
}

async fn secret_get(name: &str) -> Result<Option<String>> {
    let store = store_choice();
    if store != Store::File {
        let n = name.to_string();
        match keyring_call(move || keyring::Entry::new(KEYRING_SERVICE, &n)?.get_password()).await {
            Ok(Ok(p)) => return Ok(Some(p)),
            Ok(Err(keyring::Error::NoEntry)) => {}
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "keyring read failed; trying the secrets file")
            }
            Err(e) => tracing::debug!(error = %e, "keyring unavailable; trying the secrets file"),
        }
    }
    let secrets: BTreeMap<String, String> = read_json(&secrets_path()?)?;
    Ok(secrets.get(name).cloned())
}

async fn secret_delete(name: &str) -> Result<()> {
    if store_choice() != Store::File {
        let n = name.to_string();
        let _ = keyring_call(move || keyring::Entry::new(KEYRING_SERVICE, &n)?.delete_credential())
            .await;
    }
    file_secret_update(name, None)
}

/// Sets (`Some`) or removes (`None`) one password in secrets.json (mode 0600, atomic).
fn file_secret_update(name: &str, password: Option<&str>) -> Result<()> {
    let path = secrets_path()?;
    let mut secrets: BTreeMap<String, String> = read_json(&path)?;
    let changed = match password {
        Some(p) => secrets.insert(name.to_string(), p.to_string()).as_deref() != Some(p),
        None => secrets.remove(name).is_some(),
    };
    if changed {
        write_atomic(&path, &serde_json::to_vec(&secrets)?, 0o600)?;
    }
    Ok(())
}

fn validate(p: &Profile) -> Result<RedisConfig> {
    let name = p.name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(Error::InvalidInput(
            "a profile needs a name of 1 to 100 printable characters".into(),
        ));
    }
    if let Some(c) = p.color.as_deref().filter(|c| !c.is_empty()) {
        if !crate::profile_import::is_colour(c) {
            return Err(Error::InvalidInput(format!(
                "the colour must be #rgb or #rrggbb, got {c:?}"
            )));
        }
    }
    if p.label
        .as_deref()
        .is_some_and(|l| l.chars().count() > 40 || l.chars().any(char::is_control))
    {
        return Err(Error::InvalidInput(
            "the label must be at most 40 printable characters".into(),
        ));
    }
    if p.separator.is_empty() || p.separator.len() > 8 {
        return Err(Error::InvalidInput(
            "the separator must be 1 to 8 bytes".into(),
        ));
    }
    let cfg = RedisConfig::from_url(&p.url)?;
    if cfg.password.is_some() {
        return Err(Error::InvalidInput(
            "put the password in the `password` field, not in the URL (URLs are stored in plain text)"
                .into(),
        ));
    }
    if sentinel_password_of(&cfg).is_some() {
        return Err(Error::InvalidInput(
            "put the Sentinel password in the `sentinel_password` field, not in the URL (URLs are stored in plain text)"
                .into(),
        ));
    }
    Ok(cfg)
}

fn sentinel_password_of(cfg: &RedisConfig) -> Option<&Secret> {
    match &cfg.topology {
        Topology::Sentinel {
            sentinel_password, ..
        } => sentinel_password.as_ref(),
        _ => None,
    }
}

/// Where a profile's secrets would go: every host and port (or socket), the TLS settings, the
/// CA and the user. A stored secret is only sent when this is what it was saved with.
fn destination(p: &Profile) -> Result<String> {
    let cfg = profile_config(p, None, None)?;
    let topology = match &cfg.topology {
        Topology::Standalone => String::new(),
        Topology::Cluster { nodes } => format!("cluster {nodes:?}"),
        Topology::Sentinel {
            sentinels, master, ..
        } => format!("sentinel {sentinels:?} {master}"),
        other => format!("{other:?}"),
    };
    // Through SSH the secret travels on from the SSH host (and any jump host): those count too.
    let ssh = cfg.ssh.as_ref().map(|s| s.display());
    let tunnel = p
        .ssh
        .as_ref()
        .map(|s| format!("{}@{}:{} jump={:?}", s.user, s.host, s.port, s.jump));
    Ok(format!(
        "{:?} {topology} user={:?} ca={:?} ssh={ssh:?} tunnel={tunnel:?} key={:?}",
        cfg.endpoint, cfg.username, cfg.tls_ca, p.tls_key
    ))
}

/// A URL saved before secrets were kept out of it: the secret query parameters removed, and
/// what they held.
fn strip_url_secrets(url: &str) -> (String, Option<String>) {
    let Some((head, rest)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (rest, None),
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split_once('=').map_or(*pair, |(k, _)| k) != "sentinel_password")
        .collect();
    if kept.len() == query.split('&').count() {
        return (url.to_string(), None);
    }
    let sentinel = RedisConfig::from_url(url)
        .ok()
        .and_then(|c| sentinel_password_of(&c).map(|s| s.expose().to_string()))
        .or(Some(String::new()));
    let mut out = head.to_string();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    (out, sentinel)
}

/// True when `cfg` only names servers `allowed` lists (`host`, `host:port` or a socket path);
/// an empty list allows every server.
fn destination_allowed(cfg: &RedisConfig, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let ok = |host: &str, port: u16| {
        let host = host.to_ascii_lowercase();
        allowed.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a == host || a == format!("{host}:{port}") || a == format!("[{host}]:{port}")
        })
    };
    let nodes: Vec<(String, u16)> = match &cfg.topology {
        Topology::Cluster { nodes } => nodes.clone(),
        Topology::Sentinel { sentinels, .. } => sentinels.clone(),
        _ => Vec::new(),
    };
    let endpoint_ok = match &cfg.endpoint {
        Endpoint::Tcp { host, port } | Endpoint::Tls { host, port, .. } => ok(host, *port),
        Endpoint::Unix { path } => allowed.iter().any(|a| std::path::Path::new(a) == path),
    };
    // An SSH tunnel (and its jump hosts) is a destination of its own.
    let mut ssh_ok = true;
    let mut hop = cfg.ssh.as_ref();
    while let Some(s) = hop {
        ssh_ok &= ok(&s.host, s.port);
        hop = s.jump.as_deref();
    }
    endpoint_ok && ssh_ok && nodes.iter().all(|(h, p)| ok(h, *p))
}

/// Checks every local file a profile names (TLS CA, client certificate and key, SSH key) the
/// way the connection will read it — a readable PEM/OpenSSH file — with one answer for every
/// failure, so the API cannot be used to learn whether a file exists on this machine.
fn check_ca(cfg: &RedisConfig) -> Result<()> {
    let pem = |path: &std::path::Path, what: &[u8]| {
        std::fs::read(path)
            .map(|text| text.windows(what.len()).any(|w| w == what))
            .unwrap_or(false)
    };
    let refuse = |what: &str| {
        Err(Error::Config(format!(
            "the {what} cannot be used: it must be a readable PEM file"
        )))
    };
    if let Some(path) = cfg.tls_ca.as_ref() {
        if !pem(path, b"-----BEGIN CERTIFICATE-----") {
            return refuse("TLS CA file");
        }
    }
    if let Some(client) = cfg.tls_client.as_ref() {
        if !pem(&client.cert, b"-----BEGIN CERTIFICATE-----")
            || !pem(&client.key, b"PRIVATE KEY-----")
        {
            return refuse("TLS client certificate or key");
        }
    }
    let mut hop = cfg.ssh.as_ref();
    while let Some(ssh) = hop {
        if let redscope::config::SshAuth::Key { path, .. } = &ssh.auth {
            if !pem(path, b"PRIVATE KEY-----") {
                return refuse("SSH key file");
            }
        }
        hop = ssh.jump.as_deref();
    }
    Ok(())
}

/// The profile's configuration with its secrets applied.
fn profile_config(
    p: &Profile,
    password: Option<String>,
    sentinel: Option<String>,
) -> Result<RedisConfig> {
    let mut cfg = validate(p)?;
    if let Some(u) = p.username.as_ref().filter(|u| !u.is_empty()) {
        cfg.username = Some(u.clone());
    }
    if let Some(db) = p.db {
        if db < 0 {
            return Err(Error::InvalidInput("db must not be negative".into()));
        }
        cfg.db = db;
    }
    cfg.endpoint = match cfg.endpoint {
        Endpoint::Tcp { host, port } if p.tls => Endpoint::Tls {
            host,
            port,
            insecure: p.tls_insecure,
        },
        Endpoint::Tls {
            host,
            port,
            insecure,
        } => Endpoint::Tls {
            host,
            port,
            insecure: insecure || p.tls_insecure,
        },
        other => other,
    };
    if p.tls_verify_ca_only {
        cfg.tls_verify_host = false;
    }
    if let Some(name) = p
        .tls_server_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        cfg.tls_server_name = Some(name.to_string());
    }
    cfg.password = password.filter(|p| !p.is_empty()).map(Secret::new);
    if let Topology::Sentinel {
        sentinel_password, ..
    } = &mut cfg.topology
    {
        *sentinel_password = sentinel.filter(|p| !p.is_empty()).map(Secret::new);
    }
    let path = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    if let Some(ca) = path(&p.tls_ca) {
        cfg.tls_ca = Some(ca);
    }
    match (path(&p.tls_cert), path(&p.tls_key)) {
        (Some(cert), Some(key)) => {
            cfg.tls_client = Some(TlsClientCert {
                cert,
                key,
                key_passphrase: None,
            })
        }
        (None, None) => {}
        _ => {
            return Err(Error::InvalidInput(
                "a TLS client certificate needs both its certificate and its key file".into(),
            ))
        }
    }
    Ok(cfg)
}

/// Gives the TLS client key its passphrase (an empty one is none).
fn set_key_passphrase(cfg: &mut RedisConfig, pass: Option<String>) {
    if let Some(c) = cfg.tls_client.as_mut() {
        c.key_passphrase = pass.filter(|p| !p.is_empty()).map(Secret::new);
    }
}

/// The profile's SSH settings as the library's, with its secret and Redscope's known_hosts.
fn ssh_config(
    ssh: &ProfileSsh,
    secret: Option<String>,
    accept: Option<String>,
) -> Result<SshConfig> {
    if ssh.host.trim().is_empty() || ssh.user.trim().is_empty() {
        return Err(Error::InvalidInput(
            "an SSH tunnel needs a host and a user".into(),
        ));
    }
    let secret = secret.filter(|s| !s.is_empty()).map(Secret::new);
    let auth = match ssh.auth {
        SshAuthKind::Password => SshAuth::Password(secret.ok_or_else(|| {
            Error::InvalidInput("give the SSH password (or choose key or agent)".into())
        })?),
        SshAuthKind::Key => SshAuth::Key {
            path: ssh
                .key_path
                .as_ref()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .ok_or_else(|| Error::InvalidInput("give the SSH private key file".into()))?,
            passphrase: secret,
        },
        SshAuthKind::Agent => SshAuth::Agent,
    };
    let known_hosts = config_dir()?.join("known_hosts");
    let mut cfg = SshConfig::parse(
        &format!("{}@{}:{}", ssh.user.trim(), ssh.host.trim(), ssh.port),
        auth,
        known_hosts.clone(),
    )?;
    cfg.accept_fingerprint = accept.clone();
    if let Some(jump) = ssh
        .jump
        .as_ref()
        .map(|j| j.trim())
        .filter(|j| !j.is_empty())
    {
        let mut j = SshConfig::parse(jump, cfg.auth.clone(), known_hosts)?;
        // A fingerprint matches only the server that presents it: offering it to both is safe.
        j.accept_fingerprint = accept;
        cfg.jump = Some(Box::new(j));
    }
    Ok(cfg)
}

fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::InvalidInput("give the profile `name`".into()));
    }
    Ok(())
}

impl Profiles {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Profiles {
            session,
            open: tokio::sync::Mutex::new(Vec::new()),
            allowed: std::sync::RwLock::new(Vec::new()),
        }
    }

    /// Limits the servers profiles may test or connect to: `host`, `host:port` or a socket path
    /// (every seed of a Cluster or Sentinel URL must be listed). Empty allows any.
    pub fn allow_hosts(&self, hosts: Vec<String>) {
        let hosts = hosts
            .into_iter()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .collect();
        *crate::sync::write(&self.allowed) = hosts;
    }

    /// Refuses a destination outside [`Profiles::allow_hosts`], and an unusable CA file.
    fn check_destination(&self, cfg: &RedisConfig) -> Result<()> {
        if !destination_allowed(cfg, &crate::sync::read(&self.allowed)) {
            return Err(Error::InvalidInput(format!(
                "profiles may not connect to {} on this server (see --allow-redis-host)",
                cfg.display_url()
            )));
        }
        check_ca(cfg)
    }

    /// Name of the connected profile, if one was connected.
    pub fn active(&self) -> Option<String> {
        self.session.active_profile()
    }

    /// Saved profiles, sorted by name, with `has_password` (never the password).
    pub async fn list(&self) -> Result<Vec<Profile>> {
        let _files = FILES.lock().await;
        let mut list = load_migrated().await?;
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    /// The connected profile's tree separator(s), if a profile is connected and still saved.
    pub async fn active_separator(&self) -> Option<String> {
        let name = self.session.active_profile()?;
        let list = self.list().await.ok()?;
        list.into_iter()
            .find(|p| p.name == name)
            .map(|p| p.separator)
    }

    /// Creates or replaces a profile; given secrets go to the keyring (or the 0600 file). A
    /// changed destination (host, port, user, TLS, CA) needs its secrets given again.
    pub async fn save(&self, input: ProfileInput) -> Result<Profile> {
        let mut p = input.profile;
        p.name = p.name.trim().to_string();
        validate(&p)?;
        let _files = FILES.lock().await;
        let mut list = load_migrated().await?;
        let previous = list.iter().position(|x| x.name == p.name);
        if let Some(old) = previous.map(|i| &list[i]) {
            let moved = destination(old).ok() != Some(destination(&p)?);
            let kept = |given: &Option<String>, stored: bool| given.is_none() && stored;
            if moved
                && (kept(&input.password, old.has_password)
                    || kept(&input.sentinel_password, old.has_sentinel_password)
                    || kept(
                        &input.ssh_secret,
                        old.ssh.as_ref().is_some_and(|s| s.has_secret),
                    )
                    || kept(&input.tls_key_passphrase, old.has_tls_key_passphrase))
            {
                return Err(Error::InvalidInput(format!(
                    "profile {:?} now points elsewhere (server, port, user, TLS or CA changed): give its password again (or \"\" for none) — a saved password is only sent where it was saved for",
                    p.name
                )));
            }
        }
        if p.alerts.is_none() {
            p.alerts = previous.and_then(|i| list[i].alerts);
        }
        if let Some(t) = &p.alerts {
            t.validate()?;
        }
        p.has_password =
            secret_update(&p.name, SecretKind::Password, input.password.as_deref()).await?;
        p.has_sentinel_password = secret_update(
            &p.name,
            SecretKind::SentinelPassword,
            input.sentinel_password.as_deref(),
        )
        .await?;
        let had_ssh_secret = previous
            .and_then(|i| list[i].ssh.as_ref())
            .is_some_and(|s| s.has_secret);
        let ssh_name = SecretKind::Ssh.entry(&p.name);
        match (&mut p.ssh, input.ssh_secret.as_deref()) {
            (None, _) | (Some(_), Some("")) => {
                if had_ssh_secret || input.ssh_secret.is_some() {
                    secret_delete(&ssh_name).await?;
                }
                if let Some(s) = p.ssh.as_mut() {
                    s.has_secret = false;
                }
            }
            (Some(s), Some(secret)) => {
                secret_set(&ssh_name, secret).await?;
                s.has_secret = true;
            }
            (Some(s), None) => s.has_secret = had_ssh_secret,
        }
        let had_tls_pass = previous.is_some_and(|i| list[i].has_tls_key_passphrase);
        let tls_name = SecretKind::TlsKeyPassphrase.entry(&p.name);
        p.has_tls_key_passphrase = match input.tls_key_passphrase.as_deref() {
            _ if p.tls_key.as_deref().unwrap_or("").trim().is_empty() => {
                if had_tls_pass {
                    secret_delete(&tls_name).await?;
                }
                false
            }
            Some("") => {
                secret_delete(&tls_name).await?;
                false
            }
            Some(pass) => {
                secret_set(&tls_name, pass).await?;
                true
            }
            None => had_tls_pass,
        };
        match previous {
            Some(i) => list[i] = p.clone(),
            None => list.push(p.clone()),
        }
        store_profiles(&list)?;
        tracing::info!(profile = %p.name, "profile saved");
        Ok(p)
    }

    /// Deletes a profile and every secret stored for it.
    pub async fn delete(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let _files = FILES.lock().await;
        let mut list = load_profiles()?;
        let before = list.len();
        list.retain(|p| p.name != name);
        if list.len() == before {
            return Err(Error::NotFound(format!("no profile {name:?}")));
        }
        store_profiles(&list)?;
        for kind in SecretKind::ALL {
            secret_delete(&kind.entry(name)).await?;
        }
        self.open.lock().await.retain(|(n, _)| n != name);
        Ok(())
    }

    /// Connects with a profile (saved or not) and reports latency and version, or a classified
    /// error: `connection` (refused/unreachable), `timeout`, `auth`, `tls`, `config`. Stored
    /// secrets are used only when the profile still points where they were saved for.
    pub async fn test(&self, input: ProfileInput) -> Result<ProfileTest> {
        let mut profile = input.profile;
        profile.name = profile.name.trim().to_string();
        let saved = if profile.name.is_empty() {
            None
        } else {
            let _files = FILES.lock().await;
            load_migrated()
                .await?
                .into_iter()
                .find(|p| p.name == profile.name)
        };
        let same_place = match &saved {
            Some(s) => destination(s).ok() == Some(destination(&profile)?),
            None => false,
        };
        let stored = |kind: SecretKind| {
            let entry = kind.entry(&profile.name);
            async move {
                if same_place {
                    secret_get(&entry).await
                } else {
                    Ok(None)
                }
            }
        };
        let password = match input.password {
            Some(p) => Some(p),
            None => stored(SecretKind::Password).await?,
        };
        let sentinel = match input.sentinel_password {
            Some(p) => Some(p),
            None => stored(SecretKind::SentinelPassword).await?,
        };
        let ssh_secret = match (&profile.ssh, input.ssh_secret) {
            (None, _) => None,
            (Some(_), Some(s)) => Some(s),
            (Some(_), None) => stored(SecretKind::Ssh).await?,
        };
        let tls_pass = match input.tls_key_passphrase {
            Some(s) => Some(s),
            None => stored(SecretKind::TlsKeyPassphrase).await?,
        };
        if profile.name.is_empty() {
            profile.name = "(unsaved)".into(); // testing before saving needs no name
        }
        let mut cfg = profile_config(&profile, password, sentinel)?;
        self.check_destination(&cfg)?;
        set_key_passphrase(&mut cfg, tls_pass);
        if let Some(ssh) = &profile.ssh {
            let ssh = ssh_config(ssh, ssh_secret, input.accept_host_key)?;
            if let Some(failed) = test_ssh(&ssh, cfg.connect_timeout).await {
                return Ok(failed);
            }
            cfg.ssh = Some(ssh);
        }
        let attempt = async {
            let mut c = Conn::connect(&cfg).await?;
            let rtt = redscope::health::ping(&mut c).await?;
            // A user limited by ACLs may not run INFO: the version is then left out.
            let version = match redscope::health::info(&mut c, Some("server")).await {
                Ok(info) => info.get("redis_version").map(str::to_string),
                Err(e) if e.server_code() == Some("NOPERM") => None,
                Err(e) => return Err(e),
            };
            Ok::<_, Error>((rtt, version))
        };
        let limit = cfg.connect_timeout + cfg.response_timeout;
        let result = match tokio::time::timeout(limit, attempt).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout(limit)),
        };
        Ok(match result {
            Ok((rtt, version)) => ProfileTest {
                ok: true,
                latency_ms: Some(rtt.as_secs_f64() * 1000.0),
                version,
                error: None,
                host_key: None,
            },
            Err(e) => {
                let mut error = classify(&cfg, &e).await;
                if error.code == "auth" && saved.is_some() && !same_place {
                    error.message.push_str(
                        " (the saved password is only sent to the server it was saved for: give it again to test another)",
                    );
                }
                ProfileTest {
                    ok: false,
                    latency_ms: None,
                    version: None,
                    error: Some(error),
                    host_key: None,
                }
            }
        })
    }

    /// Makes a saved profile the session's active connection (reusing its connection when one is
    /// open). `AdminService::connect` then moves every feature over to it.
    pub(crate) async fn activate(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let profile = {
            let _files = FILES.lock().await;
            load_migrated()
                .await?
                .into_iter()
                .find(|p| p.name == name)
                .ok_or_else(|| Error::NotFound(format!("no profile {name:?}")))?
        };
        let password = if profile.has_password {
            secret_get(&SecretKind::Password.entry(name)).await?
        } else {
            None
        };
        let sentinel = if profile.has_sentinel_password {
            secret_get(&SecretKind::SentinelPassword.entry(name)).await?
        } else {
            None
        };
        let mut cfg = profile_config(&profile, password, sentinel)?;
        self.check_destination(&cfg)?;
        if profile.has_tls_key_passphrase {
            set_key_passphrase(
                &mut cfg,
                secret_get(&SecretKind::TlsKeyPassphrase.entry(name)).await?,
            );
        }
        if let Some(ssh) = &profile.ssh {
            let secret = if ssh.has_secret {
                secret_get(&SecretKind::Ssh.entry(name)).await?
            } else {
                None
            };
            cfg.ssh = Some(ssh_config(ssh, secret, None)?);
        }
        let conn = {
            let mut open = self.open.lock().await;
            let found = open
                .iter()
                .position(|(n, _)| n == name)
                .map(|i| open.remove(i).1);
            let conn = match found {
                Some(c) => c,
                None => Conn::connect(&cfg).await?,
            };
            open.push((name.to_string(), conn.clone()));
            if open.len() > MAX_OPEN {
                open.remove(0);
            }
            conn
        };
        self.session
            .activate(name, cfg, profile.read_only, conn)
            .await;
        self.session
            .set_thresholds(profile.alerts.unwrap_or_default());
        tracing::info!(profile = %name, "switched the active connection");
        Ok(())
    }

    /// The alert thresholds in force and the profile they are saved with.
    pub fn alert_thresholds(&self) -> AlertThresholds {
        AlertThresholds {
            thresholds: self.session.thresholds(),
            defaults: Thresholds::default(),
            profile: self.session.active_profile(),
        }
    }

    /// Puts alert thresholds in force now and saves them with the connected profile, so they
    /// apply again whenever it is connected (without a profile they hold for this session).
    pub async fn set_alert_thresholds(&self, t: Thresholds) -> Result<AlertThresholds> {
        t.validate()?;
        if let Some(name) = self.session.active_profile() {
            let _files = FILES.lock().await;
            let mut list = load_migrated().await?;
            let p = list.iter_mut().find(|p| p.name == name).ok_or_else(|| {
                Error::NotFound(format!("the connected profile {name:?} is no longer saved"))
            })?;
            p.alerts = (t != Thresholds::default()).then_some(t);
            store_profiles(&list)?;
            tracing::info!(profile = %name, "alert thresholds saved");
        }
        self.session.set_thresholds(t);
        Ok(self.alert_thresholds())
    }

    /// Names of the connections currently open, least recently activated first.
    pub async fn open_connections(&self) -> Vec<String> {
        let open = self.open.lock().await;
        open.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Stores a certificate or key picked for a profile as a 0600 file under
    /// `<config dir>/imported/` (where imported ones go) and answers its path; the text is
    /// checked to be what the field takes first.
    pub async fn store_file(&self, request: ProfileFile) -> Result<StoredFile> {
        let name = request.profile.trim();
        if name.is_empty() {
            return Err(Error::InvalidInput(
                "name the profile before picking its files".into(),
            ));
        }
        if request.contents.len() > MAX_PROFILE_FILE_BYTES {
            return Err(Error::InvalidInput(format!(
                "the file is {} KiB; certificates and keys are at most {} KiB",
                request.contents.len() / 1024,
                MAX_PROFILE_FILE_BYTES / 1024
            )));
        }
        request.role.check(&request.contents)?;
        let _files = FILES.lock().await;
        let path = write_imported_file(name, request.role, &request.contents)?;
        tracing::info!(profile = %name, role = ?request.role, "profile file stored");
        Ok(StoredFile {
            path: path.display().to_string(),
        })
    }

    /// Saves the connections of another tool's export (see [`crate::profile_import`]) as
    /// profiles: passwords to the secret store, PEM contents to 0600 files under
    /// `<config dir>/imported/`. Existing profiles are never replaced; what cannot be imported
    /// is reported with its reason.
    pub async fn import(&self, request: ProfileImport) -> Result<ImportReport> {
        let items = crate::profile_import::parse(&request.text)?;
        let existing: Vec<String> = self.list().await?.into_iter().map(|p| p.name).collect();
        let mut report = ImportReport::default();
        for (index, item) in items.into_iter().enumerate() {
            let mut item = match item {
                Ok(i) => i,
                Err(reason) => {
                    report.skipped.push(ImportSkip {
                        index,
                        name: None,
                        reason,
                    });
                    continue;
                }
            };
            let name = item.profile.name.trim().to_string();
            let skip = |reason: String| ImportSkip {
                index,
                name: Some(name.clone()),
                reason,
            };
            if existing.contains(&name) || report.imported.iter().any(|p| p.name == name) {
                report.skipped.push(skip(
                    "a profile of this name exists already (rename or delete it first)".into(),
                ));
                continue;
            }
            if let Err(e) = validate(&item.profile) {
                report.skipped.push(skip(e.to_string()));
                continue;
            }
            let mut written = Vec::new();
            let mut failed = None;
            for (role, pem) in &item.files {
                match write_imported_file(&name, *role, pem) {
                    Ok(path) => {
                        let path = Some(path.display().to_string());
                        match role {
                            crate::profile_import::FileRole::TlsCa => item.profile.tls_ca = path,
                            crate::profile_import::FileRole::TlsCert => {
                                item.profile.tls_cert = path
                            }
                            crate::profile_import::FileRole::TlsKey => item.profile.tls_key = path,
                            crate::profile_import::FileRole::SshKey => {
                                if let Some(s) = item.profile.ssh.as_mut() {
                                    s.key_path = path;
                                }
                            }
                        }
                        written.push(*role);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = failed {
                report.skipped.push(skip(e.to_string()));
                continue;
            }
            let saved = self
                .save(ProfileInput {
                    profile: item.profile,
                    password: item.password,
                    ssh_secret: item.ssh_secret,
                    tls_key_passphrase: None,
                    accept_host_key: None,
                    sentinel_password: item.sentinel_password,
                })
                .await;
            match saved {
                Ok(p) => {
                    for note in item.notes {
                        report.notes.push(format!("{name}: {note}"));
                    }
                    report.imported.push(p);
                }
                Err(e) => report.skipped.push(skip(e.to_string())),
            }
        }
        tracing::info!(
            imported = report.imported.len(),
            skipped = report.skipped.len(),
            "profiles imported"
        );
        Ok(report)
    }
}

/// Writes one PEM text of an imported profile to a 0600 file and returns its path.
fn write_imported_file(
    profile: &str,
    role: crate::profile_import::FileRole,
    pem: &str,
) -> Result<PathBuf> {
    let safe: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = config_dir()?
        .join("imported")
        .join(format!("{safe}.{}", role.suffix()));
    write_atomic(&path, pem.as_bytes(), 0o600)?;
    Ok(path)
}

/// The largest certificate or key file a profile field takes (real ones are a few KiB; a CA
/// bundle of every public root is about 220 KiB).
pub const MAX_PROFILE_FILE_BYTES: usize = 512 * 1024;

/// A certificate or key file picked for a profile's field, by contents: the page reads the
/// file (in web mode the person's file is not on the server's disk).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProfileFile {
    /// The profile the file is for (it names the stored file).
    pub profile: String,
    /// The field: `tls_ca`, `tls_cert`, `tls_key` or `ssh_key`.
    pub role: crate::profile_import::FileRole,
    /// The file's text (PEM; an OpenSSH private key for `ssh_key`).
    pub contents: String,
}

/// Where a picked file was stored (0600), for the profile's field.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct StoredFile {
    /// The path to put in the profile.
    pub path: String,
}

/// The text of an exported connections file to import.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProfileImport {
    /// The file's contents: RedisInsight's JSON export or Another Redis Desktop Manager's
    /// `connections.ano` (base64).
    pub text: String,
}

/// What `profile_import` saved and what it could not.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ImportReport {
    /// The profiles saved (secrets stored, never shown).
    pub imported: Vec<Profile>,
    /// Connections not imported, with the reason.
    pub skipped: Vec<ImportSkip>,
    /// Settings of imported connections that Redscope could not carry over.
    pub notes: Vec<String>,
}

/// A connection of an export that was not imported.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ImportSkip {
    /// Its position in the export (from 0).
    pub index: usize,
    /// Its name, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// Why it was not imported.
    pub reason: String,
}

/// Checks the SSH servers' host keys, then logs in: `Some(failed test)` with a distinct code
/// (`ssh_host_key_unknown` with the key to show, `ssh_host_key_changed`, `ssh_auth`,
/// `ssh_connection`, `timeout`), `None` when the tunnel is up.
async fn test_ssh(ssh: &SshConfig, timeout: Duration) -> Option<ProfileTest> {
    let failed = |code: &str, message: String, host_key: Option<redscope::ssh::HostKey>| {
        Some(ProfileTest {
            ok: false,
            latency_ms: None,
            version: None,
            error: Some(TestError {
                code: code.into(),
                message,
            }),
            host_key,
        })
    };
    let keys = match redscope::ssh::host_keys(ssh, timeout).await {
        Ok(keys) => keys,
        Err(e) => {
            let code = if e.kind() == redscope::ErrorKind::Timeout {
                "timeout"
            } else {
                "ssh_connection"
            };
            return failed(
                code,
                format!("cannot reach the SSH server {}: {e}", ssh.display()),
                None,
            );
        }
    };
    for k in keys {
        let accepted = ssh.accept_fingerprint.as_deref() == Some(k.fingerprint.as_str());
        match k.status {
            redscope::ssh::HostKeyStatus::Known => {}
            redscope::ssh::HostKeyStatus::Unknown if accepted => {}
            redscope::ssh::HostKeyStatus::Unknown => {
                let message = format!(
                    "the SSH server {} is not known yet; its {} key fingerprint is {}: accept it only if it is the server's",
                    k.server, k.algorithm, k.fingerprint
                );
                return failed("ssh_host_key_unknown", message, Some(k));
            }
            redscope::ssh::HostKeyStatus::Changed => {
                let message = format!(
                    "the SSH host key of {} does not match the one recorded ({} {}): refused. If the server was reinstalled, remove its line from Redscope's known_hosts",
                    k.server, k.algorithm, k.fingerprint
                );
                return failed("ssh_host_key_changed", message, Some(k));
            }
        }
    }
    match redscope::ssh::tunnel(ssh, timeout).await {
        Ok(_) => None,
        Err(e) => {
            let code = match e.kind() {
                redscope::ErrorKind::Auth => "ssh_auth",
                redscope::ErrorKind::Timeout => "timeout",
                _ => "ssh_connection",
            };
            failed(code, e.to_string(), None)
        }
    }
}

/// The error's code, with TLS failures told apart: the TCP port answers but the TLS session fails.
async fn classify(cfg: &RedisConfig, e: &Error) -> TestError {
    let mut code = e.kind().as_str().to_string();
    if e.server_code() == Some("NOPERM") {
        return TestError {
            code: "noperm".into(),
            message: format!("the ACL user may not run this command: {e}"),
        };
    }
    if e.server_code() == Some("WRONGPASS") || e.kind() == redscope::ErrorKind::Auth {
        code = "auth".into();
    }
    if let (Endpoint::Tcp { host, .. } | Endpoint::Tls { host, .. }, true) =
        (&cfg.endpoint, e.is_connection() && cfg.ssh.is_none())
    {
        if host.parse::<std::net::IpAddr>().is_err()
            && tokio::net::lookup_host((host.as_str(), 0)).await.is_err()
        {
            return TestError {
                code: "dns".into(),
                message: format!("the host name {host:?} does not resolve (DNS): {e}"),
            };
        }
    }
    if let Endpoint::Tls { host, port, .. } = &cfg.endpoint {
        // The library reports a failed handshake (and unreadable certificate files) as a
        // configuration error of the TLS endpoint.
        if e.kind() == redscope::ErrorKind::Config {
            code = "tls".into();
        }
        if e.is_connection() || matches!(e.kind(), redscope::ErrorKind::Io) {
            let tcp = tokio::time::timeout(
                cfg.connect_timeout,
                tokio::net::TcpStream::connect((host.as_str(), *port)),
            )
            .await;
            if matches!(tcp, Ok(Ok(_))) {
                code = "tls".into();
            }
        }
    }
    let message = match code.as_str() {
        // The library's handshake errors already name the server (and the name checked).
        "tls" => match e {
            Error::Config(m) if m.starts_with("TLS handshake with") => m.clone(),
            _ => format!("the TLS handshake with {} failed: {e}", cfg.display_url()),
        },
        "auth" => format!("the server refused the credentials: {e}"),
        "timeout" => format!("no answer from {} in time: {e}", cfg.display_url()),
        "connection" => format!("cannot reach {}: {e}", cfg.display_url()),
        _ => e.to_string(),
    };
    TestError { code, message }
}
