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
use redscope::config::{Endpoint, RedisConfig, Secret, Topology};
use redscope::conn::Conn;
use redscope::error::{Error, Result};

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
}

impl SecretKind {
    /// Every kind, so deleting a profile deletes them all.
    pub const ALL: [SecretKind; 2] = [SecretKind::Password, SecretKind::SentinelPassword];

    /// The store entry of this kind for `profile` (the password keeps the plain name, as
    /// before; profile names hold no control characters, so entries cannot collide).
    fn entry(self, profile: &str) -> String {
        match self {
            SecretKind::Password => profile.to_string(),
            SecretKind::SentinelPassword => format!("{profile}\u{1f}sentinel_password"),
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
    Ok(format!(
        "{:?} {topology} user={:?} ca={:?} ssh={ssh:?}",
        cfg.endpoint, cfg.username, cfg.tls_ca
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

/// Checks a CA file named by a profile the way the connection will read it, with one answer for
/// every failure, so the API cannot be used to learn whether a file exists on this machine.
fn check_ca(cfg: &RedisConfig) -> Result<()> {
    let Some(path) = cfg.tls_ca.as_ref() else {
        return Ok(());
    };
    let usable = std::fs::read(path)
        .map(|pem| pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"))
        .unwrap_or(false);
    if usable {
        Ok(())
    } else {
        Err(Error::Config(
            "the TLS CA file cannot be used: it must be a readable PEM certificate file".into(),
        ))
    }
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
    cfg.password = password.filter(|p| !p.is_empty()).map(Secret::new);
    if let Topology::Sentinel {
        sentinel_password, ..
    } = &mut cfg.topology
    {
        *sentinel_password = sentinel.filter(|p| !p.is_empty()).map(Secret::new);
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
                    || kept(&input.sentinel_password, old.has_sentinel_password))
            {
                return Err(Error::InvalidInput(format!(
                    "profile {:?} now points elsewhere (server, port, user, TLS or CA changed): give its password again (or \"\" for none) — a saved password is only sent where it was saved for",
                    p.name
                )));
            }
        }
        p.has_password =
            secret_update(&p.name, SecretKind::Password, input.password.as_deref()).await?;
        p.has_sentinel_password = secret_update(
            &p.name,
            SecretKind::SentinelPassword,
            input.sentinel_password.as_deref(),
        )
        .await?;
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
        if profile.name.is_empty() {
            profile.name = "(unsaved)".into(); // testing before saving needs no name
        }
        let cfg = profile_config(&profile, password, sentinel)?;
        self.check_destination(&cfg)?;
        let attempt = async {
            let mut c = Conn::connect(&cfg).await?;
            let rtt = redscope::health::ping(&mut c).await?;
            let info = redscope::health::info(&mut c, Some("server")).await?;
            Ok::<_, Error>((rtt, info.get("redis_version").map(str::to_string)))
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
        let cfg = profile_config(&profile, password, sentinel)?;
        self.check_destination(&cfg)?;
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
        tracing::info!(profile = %name, "switched the active connection");
        Ok(())
    }

    /// Names of the connections currently open, least recently activated first.
    pub async fn open_connections(&self) -> Vec<String> {
        let open = self.open.lock().await;
        open.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// The error's code, with TLS failures told apart: the TCP port answers but the TLS session fails.
async fn classify(cfg: &RedisConfig, e: &Error) -> TestError {
    let mut code = e.kind().as_str().to_string();
    if let Endpoint::Tls { host, port, .. } = &cfg.endpoint {
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
        "tls" => format!("the TLS handshake with {} failed: {e}", cfg.display_url()),
        "auth" => format!("the server refused the credentials: {e}"),
        "timeout" => format!("no answer from {} in time: {e}", cfg.display_url()),
        "connection" => format!("cannot reach {}: {e}", cfg.display_url()),
        _ => e.to_string(),
    };
    TestError { code, message }
}
