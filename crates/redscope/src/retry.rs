//! Retrying transient failures with exponential backoff and full jitter: attempt `n` waits a
//! random time in `[0, min(max_delay, base * 2^n)]`. Only errors with [`Error::is_transient`]
//! are retried; an open circuit ([`Error::CircuitOpen`]) or a bad request fails at once.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::error::{Error, Result};

/// How often and how patiently to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total attempts, including the first (1 = no retry).
    pub max_attempts: u32,
    /// Backoff base: the cap of the first wait.
    pub base_delay: Duration,
    /// Upper bound of any single wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// A policy that tries once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The cap of the wait after failed attempt `attempt` (0-based): `min(max, base * 2^attempt)`.
    pub fn backoff_cap(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A random wait in `[0, backoff_cap(attempt)]` (full jitter).
    pub fn jittered(&self, attempt: u32) -> Duration {
        let cap = self.backoff_cap(attempt).as_micros() as u64;
        Duration::from_micros(rand::rng().random_range(0..=cap))
    }

    /// True when `e` is worth another attempt.
    pub fn should_retry(&self, e: &Error) -> bool {
        e.is_transient() && !matches!(e, Error::CircuitOpen(_))
    }

    /// Runs `op` until it succeeds, fails with a non-transient error, or attempts run out.
    pub async fn run<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let attempts = self.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            match op(attempt).await {
                Ok(v) => return Ok(v),
                Err(e) if attempt + 1 < attempts && self.should_retry(&e) => {
                    let wait = self.jittered(attempt);
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying: {e}");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(70),
        };
        let caps: Vec<u128> = (0..5).map(|a| p.backoff_cap(a).as_millis()).collect();
        assert_eq!(caps, vec![10, 20, 40, 70, 70]);
        assert_eq!(p.backoff_cap(100), Duration::from_millis(70));
        for a in 0..50 {
            assert!(p.jittered(a % 6) <= p.backoff_cap(a % 6));
        }
    }

    #[tokio::test]
    async fn retries_only_transient_errors() {
        let p = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        };
        let calls = AtomicU32::new(0);
        let r: Result<u32> = p
            .run(|n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(Error::Connection("reset".into()))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(r.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let r: Result<()> = p
            .run(|_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(Error::from_error_reply(
                        "WRONGTYPE Operation against a key holding the wrong kind of value",
                    ))
                }
            })
            .await;
        assert_eq!(r.unwrap_err().kind(), crate::ErrorKind::Server);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        calls.store(0, Ordering::SeqCst);
        let r: Result<()> = p
            .run(|_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(Error::Timeout(Duration::ZERO)) }
            })
            .await;
        assert!(r.unwrap_err().is_timeout());
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}
