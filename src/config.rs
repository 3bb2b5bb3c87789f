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

/// Everything needed to open a connection to one Redis server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// Host/port/socket and transport.
    pub endpoint: Endpoint,
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
}

/// Default port of a Redis server.
pub const DEFAULT_PORT: u16 = 6379;

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            endpoint: Endpoint::Tcp {
                host: "127.0.0.1".into(),
                port: DEFAULT_PORT,
            },
            db: 0,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(3),
            response_timeout: Duration::from_secs(5),
        }
    }
}

impl RedisConfig {
    /// Parses `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS; add
    /// `#insecure` to skip certificate checks) or `unix:///path/to.sock[?db=N]`.
    pub fn from_url(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
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
                _ => {}
            }
        }
        if cfg.db < 0 {
            return Err(Error::Config("database index must not be negative".into()));
        }
        Ok(cfg)
    }

    /// Reads `REDIS_URL`, or else `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, `REDIS_USERNAME`,
    /// `REDIS_DB` (defaults: 127.0.0.1, 6379, none, none, 0).
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`RedisConfig::from_env`], reading variables through `get` (for tests and profiles).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        if let Some(url) = non_empty("REDIS_URL") {
            return Self::from_url(&url);
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

fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Removes any password from a URL-like string so it can be shown in an error.
pub fn redact_url(url: &str) -> String {
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
    fn redact_url_hides_passwords() {
        assert_eq!(redact_url("redis://u:p@h:1/0"), "redis://u:***@h:1/0");
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
    }
}
