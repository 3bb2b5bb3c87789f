//! Rate limits shared by every process using the same Redis: an exact sliding window
//! ([`RateLimiter::set_rate_limit`], one Lua script over a sorted set scored by the server's
//! clock) and a fixed-window counter for API quotas ([`RateLimiter::fixed_window`]).
//!
//! Both are single-key scripts, so they are atomic across processes and work on a Cluster.
//! Only allowed hits are recorded in the sliding window: a client hammering a full limit does not
//! push its own recovery further out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde::Serialize;

use crate::conn::Conn;
use crate::error::{Error, Result};

/// ZREMRANGEBYSCORE + ZCARD + ZADD + PEXPIRE on one key, timed by the server's `TIME` (µs).
/// Returns {allowed, remaining, retry_after_us, now_us}.
const SLIDING_LUA: &str = r#"
-- Effects replication (the default since Redis 5; needed before it to write after TIME).
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1)
  return {1, max - n - 1, 0, now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
return {0, 0, retry, now}
"#;

/// INCR + PEXPIRE on the first hit (and on a key that somehow lost its TTL); returns {count, pttl}.
const FIXED_LUA: &str = r#"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"#;

/// The answer to one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the call may go ahead.
    pub allowed: bool,
    /// How many more calls the window allows right now.
    pub remaining: u64,
    /// When rejected: how long until a slot frees up (sliding) or the window resets (fixed);
    /// when allowed with a fixed window: time left in the window.
    pub retry_after: Duration,
    /// The server's clock at the decision, in microseconds since the epoch (sliding window only;
    /// 0 for fixed windows).
    pub at_us: u64,
}

/// Allowed/rejected counts of one limiter (this process), for telemetry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RateLimitCounts {
    /// Hits allowed.
    pub allowed: u64,
    /// Hits rejected.
    pub rejected: u64,
}

#[derive(Debug, Default)]
struct Counters {
    allowed: AtomicU64,
    rejected: AtomicU64,
}

/// Sliding-window and fixed-window rate limits under a key prefix.
#[derive(Clone)]
pub struct RateLimiter {
    conn: Conn,
    prefix: String,
    counters: Arc<Counters>,
    sliding: Arc<redis::Script>,
    fixed: Arc<redis::Script>,
}

impl RateLimiter {
    /// A limiter whose keys are `ratelimit:{key}`.
    pub fn new(conn: Conn) -> RateLimiter {
        RateLimiter::with_prefix(conn, "ratelimit:")
    }

    /// A limiter whose keys are `{prefix}{key}`.
    pub fn with_prefix(conn: Conn, prefix: impl Into<String>) -> RateLimiter {
        RateLimiter {
            conn,
            prefix: prefix.into(),
            counters: Arc::default(),
            sliding: Arc::new(redis::Script::new(SLIDING_LUA)),
            fixed: Arc::new(redis::Script::new(FIXED_LUA)),
        }
    }

    /// The Redis key a limit name maps to.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The trading services' call: at most `max` hits in any `window` (exact sliding window); returns
    /// `(allowed, remaining)`.
    pub async fn set_rate_limit(
        &self,
        name: &str,
        max: u64,
        window: Duration,
    ) -> Result<(bool, u64)> {
        let d = self.sliding(name, max, window).await?;
        Ok((d.allowed, d.remaining))
    }

    /// One hit against an exact sliding window of `max` hits per `window` (≥ 1 ms).
    pub async fn sliding(&self, name: &str, max: u64, window: Duration) -> Result<Decision> {
        check(name, max, window)?;
        // Unique per hit, so equal server timestamps still count as separate hits.
        let member = format!("{:032x}", rand::rng().random::<u128>());
        let mut c = self.conn.clone();
        let (allowed, remaining, retry_us, now_us): (i64, i64, i64, i64) = self
            .sliding
            .key(self.key(name))
            .arg(max)
            .arg(window.as_micros() as u64)
            .arg(member)
            .invoke_async(&mut c)
            .await?;
        Ok(self.count(Decision {
            allowed: allowed == 1,
            remaining: remaining.max(0) as u64,
            retry_after: Duration::from_micros(retry_us.max(0) as u64),
            at_us: now_us.max(0) as u64,
        }))
    }

    /// One hit against a fixed window: the counter starts at the first hit and expires after
    /// `window`; at most `max` hits are allowed until then (API quotas per exchange/endpoint).
    pub async fn fixed_window(&self, name: &str, max: u64, window: Duration) -> Result<Decision> {
        check(name, max, window)?;
        let mut c = self.conn.clone();
        let (n, ttl_ms): (i64, i64) = self
            .fixed
            .key(self.key(name))
            .arg(window.as_millis() as u64)
            .invoke_async(&mut c)
            .await?;
        let n = n.max(0) as u64;
        Ok(self.count(Decision {
            allowed: n <= max,
            remaining: max.saturating_sub(n),
            retry_after: Duration::from_millis(ttl_ms.max(0) as u64),
            at_us: 0,
        }))
    }

    /// Hits in the current sliding window (without recording one).
    pub async fn sliding_usage(&self, name: &str, window: Duration) -> Result<u64> {
        let mut c = self.conn.clone();
        let time: (u64, u64) = redis::cmd("TIME").query_async(&mut c).await?;
        let now = time.0 * 1_000_000 + time.1;
        let from = now.saturating_sub(window.as_micros() as u64);
        let n: u64 = redis::cmd("ZCOUNT")
            .arg(self.key(name))
            .arg(format!("({from}"))
            .arg("+inf")
            .query_async(&mut c)
            .await?;
        Ok(n)
    }

    /// Forgets a limit's history (both kinds share the key name).
    pub async fn reset(&self, name: &str) -> Result<()> {
        let mut c = self.conn.clone();
        let _: i64 = redis::cmd("UNLINK")
            .arg(self.key(name))
            .query_async(&mut c)
            .await?;
        Ok(())
    }

    /// Allowed and rejected hits through this limiter (and its clones) so far.
    pub fn counts(&self) -> RateLimitCounts {
        RateLimitCounts {
            allowed: self.counters.allowed.load(Ordering::Relaxed),
            rejected: self.counters.rejected.load(Ordering::Relaxed),
        }
    }

    fn count(&self, d: Decision) -> Decision {
        if d.allowed {
            self.counters.allowed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.counters.rejected.fetch_add(1, Ordering::Relaxed);
        }
        d
    }
}

fn check(name: &str, max: u64, window: Duration) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidInput("a rate limit needs a name".into()));
    }
    if max == 0 {
        return Err(Error::InvalidInput(
            "a rate limit's max must be at least 1".into(),
        ));
    }
    if window < Duration::from_millis(1) || window > Duration::from_secs(366 * 24 * 3600) {
        return Err(Error::InvalidInput(format!(
            "a rate limit's window must be between 1 ms and a year, got {window:?}"
        )));
    }
    Ok(())
}
