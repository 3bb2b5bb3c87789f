//! Distributed locks on one Redis: `SET key token NX PX ttl` with a random owner token; only the
//! owner can release (Lua compare-and-delete) or extend (Lua compare-and-pexpire) it.
//!
//! [`LockManager::acquire`] retries with jittered exponential backoff until a timeout;
//! [`LockGuard`] releases on drop (in a spawned task) or explicitly with
//! [`LockGuard::release`], which says whether the lock was still ours. A lock whose TTL ran out
//! (or was taken over) is reported as [`Error::Lock`] by [`LockGuard::extend`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;

use crate::conn::Conn;
use crate::error::{Error, Result};

const RELEASE_LUA: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

const EXTEND_LUA: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"#;

/// Retry settings of [`LockManager::acquire`].
#[derive(Debug, Clone)]
pub struct AcquireOptions {
    /// How long to keep trying before giving up with [`Error::Lock`].
    pub timeout: Duration,
    /// First retry delay.
    pub retry_min: Duration,
    /// Largest retry delay (each delay is jittered to 50–100 % of its nominal value).
    pub retry_max: Duration,
}

impl Default for AcquireOptions {
    fn default() -> Self {
        AcquireOptions {
            timeout: Duration::from_secs(10),
            retry_min: Duration::from_millis(2),
            retry_max: Duration::from_millis(200),
        }
    }
}

/// Counters of one [`LockManager`] (and its clones), for telemetry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LockCounts {
    /// Locks acquired.
    pub acquired: u64,
    /// Locks released while still ours.
    pub released: u64,
    /// Acquisitions that had to wait (the lock was held at the first try).
    pub waits: u64,
    /// Total time spent waiting for locks, in microseconds.
    pub wait_us: u64,
    /// `acquire` calls that gave up at their timeout.
    pub timeouts: u64,
    /// Locks found lost (expired or taken over) at release or extend.
    pub lost: u64,
}

#[derive(Debug, Default)]
struct Counters {
    acquired: AtomicU64,
    released: AtomicU64,
    waits: AtomicU64,
    wait_us: AtomicU64,
    timeouts: AtomicU64,
    lost: AtomicU64,
}

/// Acquires locks named under a key prefix.
#[derive(Clone)]
pub struct LockManager {
    conn: Conn,
    prefix: String,
    counters: Arc<Counters>,
    release: Arc<redis::Script>,
    extend: Arc<redis::Script>,
}

impl LockManager {
    /// A manager whose locks are the keys `lock:{name}`.
    pub fn new(conn: Conn) -> LockManager {
        LockManager::with_prefix(conn, "lock:")
    }

    /// A manager whose locks are the keys `{prefix}{name}`.
    pub fn with_prefix(conn: Conn, prefix: impl Into<String>) -> LockManager {
        LockManager {
            conn,
            prefix: prefix.into(),
            counters: Arc::default(),
            release: Arc::new(redis::Script::new(RELEASE_LUA)),
            extend: Arc::new(redis::Script::new(EXTEND_LUA)),
        }
    }

    /// The Redis key of a lock name.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// One attempt: the lock for `ttl`, or `None` when someone else holds it.
    pub async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LockGuard>> {
        check(name, ttl)?;
        let token = new_token();
        let mut c = self.conn.clone();
        let ok: Option<String> = redis::cmd("SET")
            .arg(self.key(name))
            .arg(&token)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async(&mut c)
            .await?;
        if ok.is_none() {
            return Ok(None);
        }
        self.counters.acquired.fetch_add(1, Ordering::Relaxed);
        Ok(Some(LockGuard {
            manager: self.clone(),
            name: name.to_string(),
            token,
            done: false,
        }))
    }

    /// The lock for `ttl`, retrying with jittered backoff until `opts.timeout`; [`Error::Lock`]
    /// when it stayed held by someone else.
    pub async fn acquire(
        &self,
        name: &str,
        ttl: Duration,
        opts: &AcquireOptions,
    ) -> Result<LockGuard> {
        if opts.retry_min.is_zero() || opts.retry_max < opts.retry_min {
            return Err(Error::InvalidInput(
                "lock retry delays must be positive with min <= max".into(),
            ));
        }
        let started = Instant::now();
        let deadline = started + opts.timeout;
        let mut delay = opts.retry_min;
        let mut waited = false;
        loop {
            if let Some(guard) = self.try_acquire(name, ttl).await? {
                if waited {
                    self.counters.waits.fetch_add(1, Ordering::Relaxed);
                    self.counters
                        .wait_us
                        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                }
                return Ok(guard);
            }
            waited = true;
            let now = Instant::now();
            if now >= deadline {
                self.counters.timeouts.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .wait_us
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                return Err(Error::Lock(format!(
                    "{name:?} is held by another owner; gave up after {:?}",
                    opts.timeout
                )));
            }
            let jittered = delay.mul_f64(rand::rng().random_range(0.5..=1.0));
            tokio::time::sleep(jittered.min(deadline - now)).await;
            delay = (delay * 2).min(opts.retry_max);
        }
    }

    /// Deletes the lock only if `token` owns it; true when it did.
    pub async fn release_token(&self, name: &str, token: &str) -> Result<bool> {
        let mut c = self.conn.clone();
        let n: i64 = self
            .release
            .key(self.key(name))
            .arg(token)
            .invoke_async(&mut c)
            .await?;
        Ok(n == 1)
    }

    /// Sets the lock's TTL to `ttl` only if `token` owns it; true when it did.
    pub async fn extend_token(&self, name: &str, token: &str, ttl: Duration) -> Result<bool> {
        check(name, ttl)?;
        let mut c = self.conn.clone();
        let n: i64 = self
            .extend
            .key(self.key(name))
            .arg(token)
            .arg(ttl.as_millis() as u64)
            .invoke_async(&mut c)
            .await?;
        Ok(n == 1)
    }

    /// Whether anyone holds the lock now.
    pub async fn is_locked(&self, name: &str) -> Result<bool> {
        let mut c = self.conn.clone();
        let n: i64 = redis::cmd("EXISTS")
            .arg(self.key(name))
            .query_async(&mut c)
            .await?;
        Ok(n == 1)
    }

    /// Counters so far.
    pub fn counts(&self) -> LockCounts {
        let c = &self.counters;
        LockCounts {
            acquired: c.acquired.load(Ordering::Relaxed),
            released: c.released.load(Ordering::Relaxed),
            waits: c.waits.load(Ordering::Relaxed),
            wait_us: c.wait_us.load(Ordering::Relaxed),
            timeouts: c.timeouts.load(Ordering::Relaxed),
            lost: c.lost.load(Ordering::Relaxed),
        }
    }

    fn after_release(&self, ours: bool) {
        if ours {
            self.counters.released.fetch_add(1, Ordering::Relaxed);
        } else {
            self.counters.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A held lock. Dropping it releases the lock in a spawned task; prefer [`LockGuard::release`]
/// to learn whether the lock was still ours.
pub struct LockGuard {
    manager: LockManager,
    name: String,
    token: String,
    done: bool,
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a capability: keep it out of logs.
        f.debug_struct("LockGuard")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl LockGuard {
    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The random owner token stored in the lock key.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Releases the lock; `Ok(true)` when it was still ours, `Ok(false)` when it had expired or
    /// been taken over (the critical section may have overlapped another owner's).
    pub async fn release(mut self) -> Result<bool> {
        self.done = true;
        let ours = self.manager.release_token(&self.name, &self.token).await?;
        self.manager.after_release(ours);
        if !ours {
            tracing::warn!(lock = %self.name, "lock had expired or changed owner before release");
        }
        Ok(ours)
    }

    /// Resets the lock's TTL to `ttl`; [`Error::Lock`] when the lock is no longer ours.
    pub async fn extend(&self, ttl: Duration) -> Result<()> {
        if self
            .manager
            .extend_token(&self.name, &self.token, ttl)
            .await?
        {
            return Ok(());
        }
        self.manager.counters.lost.fetch_add(1, Ordering::Relaxed);
        Err(Error::Lock(format!(
            "{:?} was lost: it expired or another owner holds it",
            self.name
        )))
    }

    /// Whether the lock is still ours (it may expire right after this answers).
    pub async fn is_held(&self) -> Result<bool> {
        let mut c = self.manager.conn.clone();
        let v: Option<String> = redis::cmd("GET")
            .arg(self.manager.key(&self.name))
            .query_async(&mut c)
            .await?;
        Ok(v.as_deref() == Some(self.token.as_str()))
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(lock = %self.name, "lock guard dropped outside a runtime; it expires by its TTL");
            return;
        };
        let manager = self.manager.clone();
        let name = std::mem::take(&mut self.name);
        let token = std::mem::take(&mut self.token);
        rt.spawn(async move {
            match manager.release_token(&name, &token).await {
                Ok(ours) => manager.after_release(ours),
                Err(e) => tracing::warn!(lock = %name, "release on drop failed ({e}); it expires by its TTL"),
            }
        });
    }
}

fn new_token() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}

fn check(name: &str, ttl: Duration) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidInput("a lock needs a name".into()));
    }
    if ttl < Duration::from_millis(1) {
        return Err(Error::InvalidInput(format!(
            "a lock's TTL must be at least 1 ms, got {ttl:?}"
        )));
    }
    Ok(())
}
