//! Connections to one server: the redis-rs client for a configuration, the auto-reconnecting
//! connection every topology's handle is built from, and dedicated blocking connections.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::AsyncConnectionConfig;

use super::sentinel::resolve_sentinel_master;
use crate::config::{Endpoint, RedisConfig, Topology};
use crate::error::{Error, Result};

/// A redis-rs client for this configuration's (first) server; through its SSH tunnel when it
/// has one (the tunnel is opened on first use).
pub async fn client(cfg: &RedisConfig) -> Result<redis::Client> {
    let cfg = reach(cfg).await?;
    crate::tls::client(&cfg, cfg.connection_info()?)
}

/// `cfg` with its endpoint replaced by what this process actually connects to: a loopback
/// forwarder through its SSH tunnel, and for TLS whose certificate must be checked against
/// another name than the one dialled (a server name override, or the tunnel's loopback end) a
/// local TLS relay. Unchanged for a direct connection. Only the last step before connecting
/// calls this: everywhere else addresses stay the servers' own (shown to people, compared
/// after failovers).
pub(crate) async fn reach(cfg: &RedisConfig) -> Result<RedisConfig> {
    let server_name = match &cfg.endpoint {
        Endpoint::Tls { host, .. } if cfg.ssh.is_some() || cfg.tls_server_name.is_some() => {
            Some(cfg.tls_server_name.clone().unwrap_or_else(|| host.clone()))
        }
        _ => None,
    };
    let tunnelled = tunnel(cfg).await?;
    let Some(name) = server_name else {
        return Ok(tunnelled);
    };
    #[cfg(all(unix, feature = "tls"))]
    {
        crate::tls_relay::through_relay(&tunnelled, &name).await
    }
    #[cfg(not(all(unix, feature = "tls")))]
    Err(Error::Config(format!(
        "checking the TLS certificate as {name} (a server name override or TLS through SSH) \
         needs the `tls` feature and Unix sockets"
    )))
}

/// `cfg` with its endpoint replaced by a loopback forwarder through its SSH tunnel (unchanged
/// without SSH).
async fn tunnel(cfg: &RedisConfig) -> Result<RedisConfig> {
    let Some(ssh) = &cfg.ssh else {
        return Ok(cfg.clone());
    };
    #[cfg(feature = "ssh")]
    {
        use crate::ssh::Target;
        let tunnel = crate::ssh::tunnel(ssh, cfg.connect_timeout).await?;
        let (target, tls) = match &cfg.endpoint {
            Endpoint::Tcp { host, port } => (Target::Tcp(host.clone(), *port), None),
            Endpoint::Tls {
                host,
                port,
                insecure,
            } => (Target::Tcp(host.clone(), *port), Some(*insecure)),
            Endpoint::Unix { path } => (Target::Unix(path.clone()), None),
        };
        let local = tunnel.forward(target).await?;
        let mut c = cfg.clone();
        c.ssh = None;
        let host = local.ip().to_string();
        c.endpoint = match tls {
            Some(insecure) => Endpoint::Tls {
                host,
                port: local.port(),
                insecure,
            },
            None => Endpoint::Tcp {
                host,
                port: local.port(),
            },
        };
        Ok(c)
    }
    #[cfg(not(feature = "ssh"))]
    Err(Error::Config(format!(
        "{} needs an SSH tunnel, but this build of redscope has no `ssh` feature",
        ssh.display()
    )))
}

/// An auto-reconnecting connection to the one server `cfg.endpoint` names.
///
/// Fails fast (within the connect timeout) when the server is unreachable or refuses the credentials.
pub async fn connect(cfg: &RedisConfig) -> Result<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(cfg.connect_timeout))
        .set_response_timeout(Some(cfg.response_timeout))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(2));
    let fut = ConnectionManager::new_with_config(client(cfg).await?, config);
    match tokio::time::timeout(cfg.connect_timeout + cfg.response_timeout, fut).await {
        Ok(res) => res.map_err(|e| crate::tls::classify(cfg, e)),
        Err(_) => Err(Error::Timeout(cfg.connect_timeout)),
    }
}

/// A dedicated multiplexed connection with no response timeout, for blocking commands
/// (`XREAD BLOCK`, `BLPOP`) that must not share the main connection's pipeline.
/// For Sentinel, it goes to the current master; for a Cluster, to the first seed node.
pub async fn connect_blocking(cfg: &RedisConfig) -> Result<MultiplexedConnection> {
    let cfg = match &cfg.topology {
        Topology::Sentinel { .. } => resolve_sentinel_master(cfg).await?,
        _ => cfg.clone(),
    };
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(cfg.connect_timeout))
        .set_response_timeout(None);
    client(&cfg)
        .await?
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| crate::tls::classify(&cfg, e))
}

/// The endpoint `host:port` with `cfg`'s transport: TLS (and its `insecure` flag) when `cfg`
/// uses TLS, plain TCP otherwise. Node addresses from Sentinels and `CLUSTER SLOTS` go here.
pub(super) fn endpoint_like(cfg: &RedisConfig, host: String, port: u16) -> Endpoint {
    match &cfg.endpoint {
        Endpoint::Tls { insecure, .. } => Endpoint::Tls {
            host,
            port,
            insecure: *insecure,
        },
        _ => Endpoint::Tcp { host, port },
    }
}

/// `cfg` pointed at the one server `host:port` (standalone, same credentials and transport).
pub(super) fn standalone_at(cfg: &RedisConfig, host: String, port: u16) -> RedisConfig {
    let mut c = cfg.clone();
    c.topology = Topology::Standalone;
    c.endpoint = endpoint_like(cfg, host, port);
    c
}

/// `host:port` of an endpoint (the socket path for a Unix socket).
pub(super) fn endpoint_addr(e: &Endpoint) -> String {
    match e {
        Endpoint::Tcp { host, port } | Endpoint::Tls { host, port, .. } => format!("{host}:{port}"),
        Endpoint::Unix { path } => path.display().to_string(),
    }
}
