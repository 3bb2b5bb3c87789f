//! A circuit breaker for Redis calls: closed (calls pass), open (calls fail fast with
//! [`Error::CircuitOpen`] until a cool-down ends), half-open (a few probe calls decide).
//! Only failures that say the server is unhealthy ([`Error::is_server_failure`]) count; a state
//! change is logged once (warn on open, info on close), never per call; counters are readable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{Error, Result};

/// Thresholds of a [`CircuitBreaker`].
#[derive(Debug, Clone)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long the circuit stays open before probes are let through.
    pub cool_down: Duration,
    /// Probe calls allowed while half-open; that many successes close the circuit.
    pub half_open_probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cool_down: Duration::from_secs(5),
            half_open_probes: 1,
        }
    }
}

/// The state of a circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls pass through.
    Closed,
    /// Calls fail fast until the cool-down ends.
    Open,
    /// A limited number of probe calls pass; their outcome closes or re-opens the circuit.
    HalfOpen,
}

/// Counters of a breaker, for telemetry.
#[derive(Debug, Clone, Serialize)]
pub struct BreakerStats {
    /// Current state.
    pub state: BreakerState,
    /// Times the circuit opened.
    pub trips: u64,
    /// Calls refused while open.
    pub rejected: u64,
    /// Calls that succeeded (or failed for reasons unrelated to server health).
    pub successes: u64,
    /// Calls that failed with a server-health failure.
    pub failures: u64,
    /// Current run of consecutive failures.
    pub consecutive_failures: u32,
}

struct Core {
    state: BreakerState,
    consecutive_failures: u32,
    opened_at: Instant,
    probes_in_flight: u32,
    probe_successes: u32,
}

struct Shared {
    name: String,
    cfg: BreakerConfig,
    core: Mutex<Core>,
    trips: AtomicU64,
    rejected: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
}

/// A circuit breaker; cheap to clone, clones share state.
#[derive(Clone)]
pub struct CircuitBreaker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.shared.name)
            .field("state", &self.state())
            .finish()
    }
}

/// Permission for one call, from [`CircuitBreaker::acquire`]; report its outcome with
/// [`Permit::record`]. A permit dropped without a record (a cancelled call) counts as neither.
#[must_use = "report the call's outcome with Permit::record"]
pub struct Permit {
    breaker: CircuitBreaker,
    probe: bool,
    done: bool,
}

impl Permit {
    /// Reports the outcome of the call this permit allowed.
    pub fn record<T>(mut self, outcome: &Result<T>) {
        self.done = true;
        match outcome {
            Err(e) if e.is_server_failure() => self.breaker.on_failure(self.probe),
            _ => self.breaker.on_success(self.probe),
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if self.probe && !self.done {
            let mut core = self.breaker.lock();
            core.probes_in_flight = core.probes_in_flight.saturating_sub(1);
        }
    }
}

impl CircuitBreaker {
    /// A closed breaker named `name` (the name appears in its log lines).
    pub fn new(name: impl Into<String>, cfg: BreakerConfig) -> Self {
        CircuitBreaker {
            shared: Arc::new(Shared {
                name: name.into(),
                cfg: BreakerConfig {
                    failure_threshold: cfg.failure_threshold.max(1),
                    half_open_probes: cfg.half_open_probes.max(1),
                    ..cfg
                },
                core: Mutex::new(Core {
                    state: BreakerState::Closed,
                    consecutive_failures: 0,
                    opened_at: Instant::now(),
                    probes_in_flight: 0,
                    probe_successes: 0,
                }),
                trips: AtomicU64::new(0),
                rejected: AtomicU64::new(0),
                successes: AtomicU64::new(0),
                failures: AtomicU64::new(0),
            }),
        }
    }

    /// The breaker's thresholds.
    pub fn config(&self) -> &BreakerConfig {
        &self.shared.cfg
    }

    /// The current state (an open circuit whose cool-down has ended reports half-open).
    pub fn state(&self) -> BreakerState {
        let core = self.lock();
        match core.state {
            BreakerState::Open if core.opened_at.elapsed() >= self.shared.cfg.cool_down => {
                BreakerState::HalfOpen
            }
            s => s,
        }
    }

    /// Times the circuit has opened.
    pub fn trips(&self) -> u64 {
        self.shared.trips.load(Ordering::Relaxed)
    }

    /// All counters at once.
    pub fn stats(&self) -> BreakerStats {
        let consecutive_failures = self.lock().consecutive_failures;
        BreakerStats {
            state: self.state(),
            trips: self.trips(),
            rejected: self.shared.rejected.load(Ordering::Relaxed),
            successes: self.shared.successes.load(Ordering::Relaxed),
            failures: self.shared.failures.load(Ordering::Relaxed),
            consecutive_failures,
        }
    }

    /// Asks to make a call: a permit, or [`Error::CircuitOpen`] with the time left to wait.
    pub fn acquire(&self) -> Result<Permit> {
        let cfg = &self.shared.cfg;
        let mut core = self.lock();
        let probe = match core.state {
            BreakerState::Closed => false,
            BreakerState::Open => {
                let elapsed = core.opened_at.elapsed();
                if elapsed < cfg.cool_down {
                    drop(core);
                    self.shared.rejected.fetch_add(1, Ordering::Relaxed);
                    return Err(Error::CircuitOpen(cfg.cool_down - elapsed));
                }
                core.state = BreakerState::HalfOpen;
                core.probes_in_flight = 0;
                core.probe_successes = 0;
                tracing::debug!(breaker = %self.shared.name, "circuit half-open: probing");
                core.probes_in_flight += 1;
                true
            }
            BreakerState::HalfOpen => {
                if core.probes_in_flight + core.probe_successes >= cfg.half_open_probes {
                    drop(core);
                    self.shared.rejected.fetch_add(1, Ordering::Relaxed);
                    return Err(Error::CircuitOpen(Duration::ZERO));
                }
                core.probes_in_flight += 1;
                true
            }
        };
        Ok(Permit {
            breaker: self.clone(),
            probe,
            done: false,
        })
    }

    /// Runs `f` under the breaker: refused while open, its outcome recorded.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let permit = self.acquire()?;
        let out = f().await;
        permit.record(&out);
        out
    }

    /// Closes the circuit and clears the failure run (for operators and tests).
    pub fn reset(&self) {
        let mut core = self.lock();
        let was = core.state;
        core.state = BreakerState::Closed;
        core.consecutive_failures = 0;
        core.probes_in_flight = 0;
        core.probe_successes = 0;
        drop(core);
        if was != BreakerState::Closed {
            tracing::info!(breaker = %self.shared.name, "circuit closed (reset)");
        }
    }

    fn on_success(&self, probe: bool) {
        self.shared.successes.fetch_add(1, Ordering::Relaxed);
        let mut core = self.lock();
        core.consecutive_failures = 0;
        if probe && core.state == BreakerState::HalfOpen {
            core.probes_in_flight = core.probes_in_flight.saturating_sub(1);
            core.probe_successes += 1;
            if core.probe_successes >= self.shared.cfg.half_open_probes {
                core.state = BreakerState::Closed;
                core.probe_successes = 0;
                drop(core);
                tracing::info!(breaker = %self.shared.name, "circuit closed: Redis answers again");
            }
        }
    }

    fn on_failure(&self, probe: bool) {
        self.shared.failures.fetch_add(1, Ordering::Relaxed);
        let mut core = self.lock();
        core.consecutive_failures = core.consecutive_failures.saturating_add(1);
        let open = match core.state {
            BreakerState::Closed => core.consecutive_failures >= self.shared.cfg.failure_threshold,
            BreakerState::HalfOpen => probe,
            BreakerState::Open => false,
        };
        if open {
            let from = core.state;
            core.state = BreakerState::Open;
            core.opened_at = Instant::now();
            core.probes_in_flight = 0;
            core.probe_successes = 0;
            let failures = core.consecutive_failures;
            drop(core);
            let trips = self.shared.trips.fetch_add(1, Ordering::Relaxed) + 1;
            if from == BreakerState::Closed {
                tracing::warn!(
                    breaker = %self.shared.name,
                    failures,
                    trips,
                    cool_down_ms = self.shared.cfg.cool_down.as_millis() as u64,
                    "circuit opened: Redis calls suspended"
                );
            } else {
                tracing::debug!(breaker = %self.shared.name, "probe failed: circuit open again");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Core> {
        self.shared.core.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> Result<()> {
        Err(Error::Connection("refused".into()))
    }

    #[test]
    fn opens_after_threshold_and_closes_after_probe() {
        let b = CircuitBreaker::new(
            "t",
            BreakerConfig {
                failure_threshold: 3,
                cool_down: Duration::from_millis(40),
                half_open_probes: 2,
            },
        );
        for _ in 0..3 {
            b.acquire().unwrap().record(&down());
        }
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(
            b.acquire().err().map(|e| e.kind()),
            Some(crate::ErrorKind::CircuitOpen)
        );
        assert_eq!(b.trips(), 1);
        let deadline = Instant::now() + Duration::from_secs(5);
        while b.state() == BreakerState::Open {
            assert!(Instant::now() < deadline);
            std::thread::yield_now();
        }
        // Two probes may pass; a third call is refused while they are out.
        let p1 = b.acquire().unwrap();
        let p2 = b.acquire().unwrap();
        assert!(b.acquire().is_err());
        p1.record(&Ok(()));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        p2.record(&Ok(()));
        assert_eq!(b.state(), BreakerState::Closed);
        let s = b.stats();
        assert_eq!((s.trips, s.failures, s.successes, s.rejected), (1, 3, 2, 2));
    }

    /// Collects formatted log lines.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn state_changes_are_logged_once_not_per_call() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let b = CircuitBreaker::new(
                "logged",
                BreakerConfig {
                    failure_threshold: 2,
                    cool_down: Duration::ZERO,
                    half_open_probes: 1,
                },
            );
            for _ in 0..50 {
                if let Ok(p) = b.acquire() {
                    p.record(&down());
                }
            }
            for _ in 0..50 {
                if let Ok(p) = b.acquire() {
                    p.record(&Ok(()));
                }
            }
            assert_eq!(b.state(), BreakerState::Closed);
        });
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches("circuit opened").count(), 1, "{text}");
        assert_eq!(text.matches("circuit closed").count(), 1, "{text}");
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[test]
    fn failed_probe_reopens_and_non_health_errors_do_not_count() {
        let b = CircuitBreaker::new(
            "t",
            BreakerConfig {
                failure_threshold: 2,
                cool_down: Duration::ZERO,
                half_open_probes: 1,
            },
        );
        for _ in 0..5 {
            b.acquire()
                .unwrap()
                .record::<()>(&Err(Error::from_error_reply(
                    "WRONGTYPE Operation against a key holding the wrong kind of value",
                )));
        }
        assert_eq!(b.state(), BreakerState::Closed);
        b.acquire().unwrap().record(&down());
        b.acquire().unwrap().record(&down());
        assert_eq!(b.trips(), 1);
        let probe = b.acquire().unwrap();
        probe.record(&down());
        assert_eq!(b.trips(), 2);
        // A cancelled probe frees its slot.
        drop(b.acquire().unwrap());
        b.acquire().unwrap().record(&Ok(()));
        assert_eq!(b.stats().state, BreakerState::Closed);
    }
}
