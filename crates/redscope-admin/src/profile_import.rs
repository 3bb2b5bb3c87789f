//! Reading other tools' connection exports into profiles: RedisInsight's database export (a JSON
//! array, certificates and SSH keys as PEM text) and Another Redis Desktop Manager's
//! `connections.ano` (the same kind of array, base64-encoded, files as paths). Field names
//! follow RedisInsight's own importer, which reads both. Parsing is pure: secrets and file
//! contents come back beside each profile for [`crate::profiles::Profiles::import`] to store.

use base64::Engine;
use serde_json::Value;

use crate::profiles::{Profile, ProfileSsh, SshAuthKind};
use redscope::{Error, Result};

/// Largest export read (RedisInsight refuses more than 10 MB too).
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

/// Which file of a profile an export carried, or a person picked, as PEM text (stored as a
/// 0600 file by path).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    /// The CA certificate.
    TlsCa,
    /// The client certificate.
    TlsCert,
    /// The client certificate's key.
    TlsKey,
    /// The SSH private key.
    SshKey,
}

impl FileRole {
    /// The file name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            FileRole::TlsCa => "ca.pem",
            FileRole::TlsCert => "client.crt",
            FileRole::TlsKey => "client.key",
            FileRole::SshKey => "ssh_key",
        }
    }

    /// Checks that `text` is what this field takes: PEM certificates for the CA and the client
    /// certificate, a PEM (or OpenSSH) private key for the keys. A DER or other binary file is
    /// refused with how to convert it.
    pub fn check(self, text: &str) -> Result<()> {
        let (marker, what) = match self {
            FileRole::TlsCa | FileRole::TlsCert => {
                ("-----BEGIN CERTIFICATE-----", "a PEM certificate")
            }
            FileRole::TlsKey | FileRole::SshKey => ("PRIVATE KEY-----", "a PEM private key"),
        };
        if !text.contains(marker) || !text.contains("-----END ") {
            let hint = match self {
                FileRole::TlsCa | FileRole::TlsCert => {
                    "a DER file converts with `openssl x509 -inform der -in FILE -out FILE.pem`"
                }
                FileRole::TlsKey => {
                    "a DER key converts with `openssl pkey -inform der -in FILE -out FILE.pem`"
                }
                FileRole::SshKey => "pick the private key (e.g. id_ed25519), not the .pub file",
            };
            return Err(Error::InvalidInput(format!(
                "this file is not {what} (no {marker:?} block): {hint}"
            )));
        }
        Ok(())
    }
}

/// One connection of an export, as a profile plus what must not be in profiles.json.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The profile (file fields are paths; those of [`Imported::files`] are filled in on save).
    pub profile: Profile,
    /// The Redis password.
    pub password: Option<String>,
    /// The SSH password or key passphrase.
    pub ssh_secret: Option<String>,
    /// The Sentinels' own password.
    pub sentinel_password: Option<String>,
    /// PEM contents to write to files.
    pub files: Vec<(FileRole, String)>,
    /// What the export held that profiles cannot use (told to the user).
    pub notes: Vec<String>,
}

/// Parses an export: a JSON array (RedisInsight), or the same base64-encoded (Another Redis
/// Desktop Manager). Each item is `Ok` or the reason it cannot be a profile.
pub fn parse(text: &str) -> Result<Vec<std::result::Result<Imported, String>>> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(Error::InvalidInput(format!(
            "the export is larger than {} MB",
            MAX_IMPORT_BYTES / (1024 * 1024)
        )));
    }
    let trimmed = text.trim();
    let value: Value = match serde_json::from_str(trimmed) {
        Ok(v) => v,
        Err(_) => {
            let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| not_an_export())?;
            serde_json::from_slice(&bytes).map_err(|_| not_an_export())?
        }
    };
    let items = match value {
        Value::Array(items) => items,
        // ARDM keeps connections in an object keyed by an id in some versions.
        Value::Object(map) if map.values().all(Value::is_object) && !map.is_empty() => {
            map.into_iter().map(|(_, v)| v).collect()
        }
        _ => return Err(not_an_export()),
    };
    if items.is_empty() {
        return Err(Error::InvalidInput(
            "the export holds no connections".into(),
        ));
    }
    Ok(items.iter().map(item).collect())
}

fn not_an_export() -> Error {
    Error::InvalidInput(
        "not a connection export: expected RedisInsight's JSON export or Another Redis Desktop Manager's connections.ano"
            .into(),
    )
}

/// The first of `paths` (dotted) that is present and not null or "".
fn get<'a>(item: &'a Value, paths: &[&str]) -> Option<&'a Value> {
    paths.iter().find_map(|path| {
        let v = path.split('.').try_fold(item, |v, k| v.get(k))?;
        match v {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            v => Some(v),
        }
    })
}

fn text(item: &Value, paths: &[&str]) -> Option<String> {
    match get(item, paths)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn flag(item: &Value, paths: &[&str]) -> bool {
    match get(item, paths) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1" | "yes"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn number<T: std::str::FromStr>(item: &Value, paths: &[&str], what: &str) -> Result<Option<T>> {
    match text(item, paths) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| Error::InvalidInput(format!("{what} {s:?} is not a number"))),
    }
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// A PEM text becomes a file to write; anything else is a path already.
fn file_or_path(
    value: Option<String>,
    role: FileRole,
    files: &mut Vec<(FileRole, String)>,
) -> Option<String> {
    let v = value?;
    if v.contains("-----BEGIN") {
        files.push((role, v));
        None
    } else {
        Some(v)
    }
}

fn item(v: &Value) -> std::result::Result<Imported, String> {
    one(v).map_err(|e| match e {
        Error::InvalidInput(m) => m,
        other => other.to_string(),
    })
}

fn one(item: &Value) -> Result<Imported> {
    if !item.is_object() {
        return Err(Error::InvalidInput("not a connection object".into()));
    }
    let mut notes = Vec::new();
    let host = text(item, &["host"]).unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = number(item, &["port"], "port")?.unwrap_or(redscope::config::DEFAULT_PORT);
    let db: Option<i64> = number(item, &["db"], "db")?;
    let name = text(item, &["name", "connectionName"]).unwrap_or_else(|| format!("{host}:{port}"));
    let kind = text(item, &["connectionType", "type"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cluster = kind == "cluster" || flag(item, &["cluster", "isCluster"]);
    let master = text(
        item,
        &[
            "sentinelMaster.name",
            "sentinelOptions.masterName",
            "sentinelOptions.name",
        ],
    );
    let mut files = Vec::new();
    let tls_ca = file_or_path(
        text(item, &["caCert.certificate", "caCert", "sslOptions.ca"]),
        FileRole::TlsCa,
        &mut files,
    );
    let tls_cert = file_or_path(
        text(
            item,
            &["clientCert.certificate", "certificate", "sslOptions.cert"],
        ),
        FileRole::TlsCert,
        &mut files,
    );
    let tls_key = file_or_path(
        text(item, &["clientCert.key", "keyFile", "sslOptions.key"]),
        FileRole::TlsKey,
        &mut files,
    );
    let tls = flag(item, &["tls", "ssl"])
        || item.get("sslOptions").is_some_and(Value::is_object)
        || tls_ca.is_some()
        || tls_cert.is_some()
        || !files.is_empty();
    let mut tls_server_name = text(item, &["tlsServername", "sslOptions.servername"])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if !tls && tls_server_name.take().is_some() {
        notes.push("its TLS server name was not imported: the connection does not use TLS".into());
    } else if cluster && tls_server_name.take().is_some() {
        notes.push(
            "its TLS server name was not imported: each Cluster node is checked against its own \
             host name"
                .into(),
        );
    }
    let scheme = if tls { "rediss" } else { "redis" };
    let at = format!("{}:{port}", bracket(&host));
    let mut sentinel_password = None;
    let (url, mut password) = match &master {
        Some(m) => {
            // The Sentinels' own password, if any, is the item's `password`; the nodes' is
            // sentinelMaster.password / sentinelOptions.nodePassword.
            sentinel_password = text(item, &["password", "auth"]);
            (
                format!("{scheme}+sentinel://{at}/{m}/{}", db.unwrap_or(0)),
                text(
                    item,
                    &[
                        "sentinelMaster.password",
                        "sentinelOptions.nodePassword",
                        "sentinelOptions.sentinelPassword",
                    ],
                ),
            )
        }
        None if cluster => (format!("{scheme}+cluster://{at}"), None),
        None => (format!("{scheme}://{at}/{}", db.unwrap_or(0)), None),
    };
    if master.is_none() {
        password = text(item, &["password", "auth"]);
    }
    let username = if master.is_some() {
        text(item, &["sentinelMaster.username"])
    } else {
        text(item, &["username"])
    };
    let mut ssh_secret = None;
    let ssh = match text(item, &["sshOptions.host", "sshHost", "ssh_host"]) {
        None => None,
        Some(ssh_host) => {
            let user = text(item, &["sshOptions.username", "sshUser", "ssh_user"])
                .ok_or_else(|| Error::InvalidInput("its SSH tunnel names no SSH user".into()))?;
            let ssh_port: u16 = number(
                item,
                &["sshOptions.port", "sshPort", "ssh_port"],
                "SSH port",
            )?
            .unwrap_or(redscope::config::DEFAULT_SSH_PORT);
            let key = file_or_path(
                text(
                    item,
                    &[
                        "sshOptions.privateKey",
                        "sshOptions.privatekey",
                        "sshKeyFile",
                        "ssh_private_key_path",
                    ],
                ),
                FileRole::SshKey,
                &mut files,
            );
            let has_key = key.is_some() || files.iter().any(|(r, _)| *r == FileRole::SshKey);
            let auth = if has_key {
                ssh_secret = text(item, &["sshOptions.passphrase", "sshKeyPassphrase"]);
                SshAuthKind::Key
            } else if let Some(pw) = text(
                item,
                &["sshOptions.password", "sshPassword", "ssh_password"],
            ) {
                ssh_secret = Some(pw);
                SshAuthKind::Password
            } else {
                SshAuthKind::Agent
            };
            Some(ProfileSsh {
                host: ssh_host,
                port: ssh_port,
                user,
                auth,
                key_path: key,
                jump: None,
                has_secret: false,
            })
        }
    };
    let separator = text(item, &["separator", "delimiter"])
        .filter(|s| !s.is_empty() && s.len() <= 8)
        .unwrap_or_else(|| ":".into());
    let profile = Profile {
        name,
        url,
        username,
        tls: false,
        tls_insecure: false,
        tls_verify_ca_only: false,
        tls_server_name,
        db: None,
        read_only: flag(item, &["connectionReadOnly", "readOnly", "readonly"]),
        separator,
        has_password: false,
        ssh,
        tls_ca,
        tls_cert,
        tls_key,
        has_tls_key_passphrase: false,
        has_sentinel_password: false,
        label: None,
        color: text(item, &["color"]).filter(|c| is_colour(c)),
        alerts: None,
    };
    Ok(Imported {
        profile,
        password,
        ssh_secret,
        sentinel_password,
        files,
        notes,
    })
}

/// `#rgb` or `#rrggbb`.
pub fn is_colour(c: &str) -> bool {
    let hex = c.strip_prefix('#').unwrap_or("");
    matches!(hex.len(), 3 | 6) && hex.chars().all(|ch| ch.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_redisinsight_json_with_pem_contents() {
        let export = serde_json::json!([{
            "host": "10.0.0.5", "port": 6380, "name": "orders", "db": 2,
            "username": "app", "password": "pw", "connectionType": "STANDALONE",
            "tls": true, "tlsServername": "orders.internal",
            "caCert": {"name": "ca", "certificate": "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n"},
            "clientCert": {"name": "c", "certificate": "-----BEGIN CERTIFICATE-----\nBB\n-----END CERTIFICATE-----\n", "key": "-----BEGIN PRIVATE KEY-----\nCC\n-----END PRIVATE KEY-----\n"},
            "sshOptions": {"host": "bastion", "port": 2222, "username": "ops", "privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nDD\n-----END OPENSSH PRIVATE KEY-----\n", "passphrase": "pp"}
        }]);
        let items = parse(&export.to_string()).unwrap();
        let i = items[0].as_ref().unwrap();
        assert_eq!(i.profile.url, "rediss://10.0.0.5:6380/2");
        assert_eq!(i.profile.username.as_deref(), Some("app"));
        assert_eq!(i.password.as_deref(), Some("pw"));
        let roles: Vec<FileRole> = i.files.iter().map(|(r, _)| *r).collect();
        assert_eq!(
            roles,
            [
                FileRole::TlsCa,
                FileRole::TlsCert,
                FileRole::TlsKey,
                FileRole::SshKey
            ]
        );
        let ssh = i.profile.ssh.as_ref().unwrap();
        assert_eq!(
            (ssh.host.as_str(), ssh.port, ssh.auth),
            ("bastion", 2222, SshAuthKind::Key)
        );
        assert_eq!(i.ssh_secret.as_deref(), Some("pp"));
        assert_eq!(
            i.profile.tls_server_name.as_deref(),
            Some("orders.internal")
        );
        assert!(i.notes.is_empty(), "{:?}", i.notes);
    }

    #[test]
    fn reads_another_redis_desktop_manager_base64_with_paths() {
        let export = serde_json::json!([
            {"host": "127.0.0.1", "port": "7000", "auth": "secret", "name": "c", "separator": ":",
             "cluster": true, "connectionReadOnly": true},
            {"host": "s1", "port": 26379, "name": "sent", "auth": "",
             "sentinelOptions": {"masterName": "mymaster", "nodePassword": "node-pw"},
             "sshOptions": {"host": "b", "port": 22, "username": "u", "password": "sshpw", "privatekey": "", "passphrase": ""},
             "sslOptions": {"key": "/k.pem", "cert": "/c.pem", "ca": "/ca.pem", "servername": ""}},
            "nonsense"
        ]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(export.to_string());
        let items = parse(&b64).unwrap();
        let c = items[0].as_ref().unwrap();
        assert_eq!(c.profile.url, "redis+cluster://127.0.0.1:7000");
        assert!(c.profile.read_only);
        assert_eq!(c.password.as_deref(), Some("secret"));
        let s = items[1].as_ref().unwrap();
        assert_eq!(s.profile.url, "rediss+sentinel://s1:26379/mymaster/0");
        assert_eq!(s.password.as_deref(), Some("node-pw"));
        assert_eq!(s.profile.tls_key.as_deref(), Some("/k.pem"));
        assert_eq!(s.profile.ssh.as_ref().unwrap().auth, SshAuthKind::Password);
        assert_eq!(s.ssh_secret.as_deref(), Some("sshpw"));
        assert!(items[2].is_err());
    }

    #[test]
    fn refuses_what_is_not_an_export() {
        for bad in ["", "{}", "hello", "[]", "bm90IGpzb24="] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
