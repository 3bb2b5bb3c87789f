//! A small pool of dedicated connections for blocking commands (`BLPOP`, `XREAD BLOCK`,
//! `WAIT`), which must never share the main multiplexed connection: at most `size` are open at
//! once, idle ones are reused, and a connection whose call was cancelled or failed is discarded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::RedisConfig;
use crate::conn::connect_blocking;
use crate::error::{Error, Result};

struct Inner {
    cfg: RedisConfig,
    idle: Mutex<Vec<MultiplexedConnection>>,
    permits: Arc<Semaphore>,
    size: usize,
}

/// A bounded pool of blocking-command connections; cheap to clone.
#[derive(Clone)]
pub struct BlockingPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingPool")
            .field("size", &self.inner.size)
            .field("idle", &self.idle())
            .finish()
    }
}

impl BlockingPool {
    /// A pool of at most `size` (at least 1) connections to the server `cfg` names (for
    /// Sentinel, the current master). Connections open lazily.
    pub fn new(cfg: RedisConfig, size: usize) -> Self {
        let size = size.max(1);
        BlockingPool {
            inner: Arc::new(Inner {
                cfg,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(size)),
                size,
            }),
        }
    }

    /// A pool of `cfg.max_connections` connections (`REDIS_MAX_CONNECTIONS`).
    pub fn from_config(cfg: RedisConfig) -> Self {
        let size = cfg.max_connections;
        Self::new(cfg, size)
    }

    /// The most connections open at once.
    pub fn size(&self) -> usize {
        self.inner.size
    }

    /// Connections open and waiting to be reused.
    pub fn idle(&self) -> usize {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Connections currently lent out.
    pub fn in_use(&self) -> usize {
        self.inner.size - self.inner.permits.available_permits()
    }

    /// A connection, waiting at most `wait` for one to be free ([`Error::Timeout`] otherwise).
    pub async fn get(&self, wait: Duration) -> Result<PooledConn> {
        let permit = tokio::time::timeout(wait, self.inner.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::Timeout(wait))?
            .map_err(|_| Error::Connection("the blocking pool is closed".into()))?;
        let reused = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let conn = match reused {
            Some(c) => c,
            None => connect_blocking(&self.inner.cfg).await?,
        };
        Ok(PooledConn {
            conn: Some(conn),
            pool: self.inner.clone(),
            _permit: permit,
            keep: true,
        })
    }
}

/// A connection lent by a [`BlockingPool`]; returns to the pool when dropped unless
/// [`PooledConn::discard`]ed. Use it as a redis-rs async connection.
pub struct PooledConn {
    conn: Option<MultiplexedConnection>,
    pool: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
    keep: bool,
}

impl std::fmt::Debug for PooledConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledConn")
            .field("keep", &self.keep)
            .finish()
    }
}

impl PooledConn {
    /// The connection itself.
    pub fn conn(&mut self) -> &mut MultiplexedConnection {
        self.conn.as_mut().expect("present until drop")
    }

    /// Runs a (blocking) command; on any failure the connection is not reused.
    pub async fn query<T: redis::FromRedisValue>(&mut self, cmd: &redis::Cmd) -> Result<T> {
        self.keep = false;
        let r = cmd.query_async(self.conn()).await.map_err(Error::from);
        self.keep = r.is_ok();
        r
    }

    /// Closes the connection instead of returning it (after a cancelled blocking call).
    pub fn discard(mut self) {
        self.keep = false;
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let (true, Some(c)) = (self.keep, self.conn.take()) {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(c);
        }
    }
}
