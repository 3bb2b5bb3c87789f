//! Sentinel-managed masters: asking the Sentinels for the master's address, and the state behind
//! a Sentinel [`super::Conn`] that switches to the promoted replica after a failover.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::{AsyncConnectionConfig, Value};

use super::single::{client, connect, endpoint_addr, endpoint_like, standalone_at};
use crate::config::{RedisConfig, Topology};
use crate::error::{Error, Result};

/// How long a Sentinel-managed connection keeps asking for a new master after losing its own.
const FOLLOW_FOR: Duration = Duration::from_secs(60);

/// The current master of a Sentinel [`super::Conn`] and the guard of its re-resolution.
pub(super) struct SentinelState {
    cfg: RedisConfig,
    current: RwLock<(String, ConnectionManager)>,
    resolving: AtomicBool,
    last_resolve: Mutex<Instant>,
}

impl SentinelState {
    /// Resolves the master through the Sentinels and connects to it.
    pub(super) async fn connect(cfg: &RedisConfig) -> Result<SentinelState> {
        let master = resolve_sentinel_master(cfg).await?;
        let addr = endpoint_addr(&master.endpoint);
        let conn = connect(&master).await?;
        Ok(SentinelState {
            cfg: cfg.clone(),
            current: RwLock::new((addr, conn)),
            resolving: AtomicBool::new(false),
            last_resolve: Mutex::new(Instant::now()),
        })
    }

    /// The current master's `host:port` and connection (cheap clone).
    pub(super) fn current(&self) -> (String, ConnectionManager) {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// After a failed call: when the master looks gone or demoted, ask the Sentinels again
    /// (in the background, at most every 200 ms) and switch to the new master.
    pub(super) fn after_error(this: &Arc<Self>, e: &redis::RedisError) {
        // A READONLY reply: the node we write to was demoted to a replica.
        let demoted = e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly);
        if !(demoted
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_io_error()
            || e.is_timeout())
        {
            return;
        }
        {
            let mut last = this.last_resolve.lock().unwrap_or_else(|p| p.into_inner());
            if last.elapsed() < Duration::from_millis(200) {
                return;
            }
            *last = Instant::now();
        }
        if this.resolving.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = this.clone();
        tokio::spawn(async move {
            this.follow_failover().await;
            this.resolving.store(false, Ordering::SeqCst);
        });
    }

    /// Asks the Sentinels until they name a reachable new master (then switches to it) or the
    /// current one answers again, polling every 200 ms for at most [`FOLLOW_FOR`]. Polling on its
    /// own, not only on the next failed call, matters: with a circuit breaker open nobody calls,
    /// and the half-open probe must find the promoted replica already in place.
    async fn follow_failover(&self) {
        let deadline = Instant::now() + FOLLOW_FOR;
        loop {
            match resolve_sentinel_master(&self.cfg).await {
                Ok(master) => {
                    let addr = endpoint_addr(&master.endpoint);
                    let current = self.current();
                    if current.0 != addr {
                        match connect(&master).await {
                            Ok(conn) => {
                                tracing::warn!(new_master = %addr, "Sentinel failover: switched to the new master");
                                *self.current.write().unwrap_or_else(|p| p.into_inner()) =
                                    (addr, conn);
                                return;
                            }
                            Err(e) => tracing::debug!("new master not reachable yet: {e}"),
                        }
                    } else {
                        // Same master named: done if it answers as a master, else wait for
                        // the Sentinels to promote a replica.
                        let mut c = current.1;
                        let role: redis::RedisResult<Value> = tokio::time::timeout(
                            self.cfg.response_timeout,
                            redis::cmd("ROLE").query_async(&mut c),
                        )
                        .await
                        .unwrap_or_else(|_| {
                            Err(redis::RedisError::from(std::io::Error::from(
                                std::io::ErrorKind::TimedOut,
                            )))
                        });
                        if let Ok(Value::Array(fields)) = role {
                            if matches!(fields.first(), Some(Value::BulkString(b)) if b == b"master")
                            {
                                return;
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!("Sentinel resolution failed: {e}"),
            }
            if Instant::now() >= deadline {
                tracing::warn!("no reachable master named by the Sentinels within {FOLLOW_FOR:?}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Asks the Sentinels, in order, for the address of the master; returns a standalone config for it.
pub async fn resolve_sentinel_master(cfg: &RedisConfig) -> Result<RedisConfig> {
    let Topology::Sentinel {
        sentinels,
        master,
        sentinel_password,
    } = &cfg.topology
    else {
        return Ok(cfg.clone());
    };
    let mut last_err = None;
    for (host, port) in sentinels {
        let scfg = RedisConfig {
            endpoint: endpoint_like(cfg, host.clone(), *port),
            password: sentinel_password.clone(),
            connect_timeout: cfg.connect_timeout,
            response_timeout: cfg.response_timeout,
            tls_ca: cfg.tls_ca.clone(),
            tls_client: cfg.tls_client.clone(),
            ssh: cfg.ssh.clone(),
            ..RedisConfig::default()
        };
        let asked = async {
            let mut c = client(&scfg)
                .await?
                .get_multiplexed_async_connection_with_config(
                    &AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(cfg.connect_timeout))
                        .set_response_timeout(Some(cfg.response_timeout)),
                )
                .await?;
            let addr: Option<(String, u16)> = redis::cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(master)
                .query_async(&mut c)
                .await?;
            Ok::<_, Error>(addr)
        };
        match asked.await {
            Ok(Some((mhost, mport))) => return Ok(standalone_at(cfg, mhost, mport)),
            Ok(None) => {
                last_err = Some(Error::NotFound(format!(
                    "no Sentinel knows a master named {master:?}"
                )))
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err
        .unwrap_or_else(|| Error::Config("a Sentinel URL needs at least one Sentinel".into())))
}
