//! Rate limits on a real server under concurrency: the sliding window never lets more than `max`
//! through in any window and its remaining counts agree with the allowed history; the fixed
//! window counts exactly and resets when it expires.

use std::time::{Duration, Instant};

use redscope::conn::Conn;
use redscope::ratelimit::{Decision, RateLimiter};
use redscope::ErrorKind;
use redscope_testing::RedisServer;

const CLIENTS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_clients_never_exceed_max_in_any_sliding_window() {
    let server = RedisServer::start().unwrap();
    let max = 40u64;
    let window = Duration::from_millis(200);
    let run_for = Duration::from_millis(1200);
    let mut tasks = Vec::new();
    let mut limiters = Vec::new();
    for _ in 0..CLIENTS {
        let limiter = RateLimiter::new(Conn::connect(&server.config()).await.unwrap());
        limiters.push(limiter.clone());
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut seen: Vec<Decision> = Vec::new();
            while started.elapsed() < run_for {
                seen.push(limiter.sliding("api_calls", max, window).await.unwrap());
            }
            seen
        }));
    }
    let mut all: Vec<Decision> = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let window_us = window.as_micros() as u64;
    let mut allowed: Vec<Decision> = all.iter().copied().filter(|d| d.allowed).collect();
    let rejected: Vec<Decision> = all.iter().copied().filter(|d| !d.allowed).collect();
    // Script order: by server time; at equal times, the earlier call saw fewer hits.
    allowed.sort_by(|a, b| a.at_us.cmp(&b.at_us).then(b.remaining.cmp(&a.remaining)));
    let times: Vec<u64> = allowed.iter().map(|d| d.at_us).collect();

    // No window [t, t + window) holds more than max allowed hits.
    let mut worst = 0usize;
    let mut hi = 0usize;
    for lo in 0..times.len() {
        while hi < times.len() && times[hi] < times[lo] + window_us {
            hi += 1;
        }
        worst = worst.max(hi - lo);
    }
    assert!(
        worst as u64 <= max,
        "{worst} allowed within one window (max {max})"
    );
    assert_eq!(worst as u64, max, "the limit was reached under this load");

    // Each allowed hit's `remaining` = max - 1 - earlier allowed hits still inside its window.
    let mut lo = 0usize;
    for (i, d) in allowed.iter().enumerate() {
        while times[lo] + window_us <= d.at_us {
            lo += 1;
        }
        let before = (i - lo) as u64;
        assert_eq!(d.remaining, max - 1 - before, "hit {i} at {} µs", d.at_us);
    }
    // Each rejection happened with exactly max allowed hits in its window.
    for r in &rejected {
        let inside = times
            .iter()
            .filter(|&&t| t + window_us > r.at_us && t <= r.at_us)
            .count() as u64;
        assert_eq!(inside, max, "rejected at {} µs", r.at_us);
        assert_eq!(r.remaining, 0);
        assert!(r.retry_after > Duration::ZERO && r.retry_after <= window);
    }

    // Telemetry adds up across the 8 limiters.
    let counted_allowed: u64 = limiters.iter().map(|l| l.counts().allowed).sum();
    let counted_rejected: u64 = limiters.iter().map(|l| l.counts().rejected).sum();
    assert_eq!(counted_allowed, allowed.len() as u64);
    assert_eq!(counted_rejected, rejected.len() as u64);
    assert!(
        !rejected.is_empty(),
        "8 clients for 1.2 s must hit a limit of {max}/200 ms"
    );
    // Over the run's span, at most one window's worth per started window passed.
    let span = times[times.len() - 1] - times[0];
    assert!(
        allowed.len() as u64 <= max * (span / window_us + 1),
        "{} allowed",
        allowed.len()
    );

    // The Python services' call shape on the same state.
    let (ok, remaining) = limiters[0]
        .set_rate_limit("fresh", 2, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!((ok, remaining), (true, 1));
    assert_eq!(
        limiters[0]
            .sliding_usage("fresh", Duration::from_secs(60))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_window_counts_exactly_and_resets() {
    let server = RedisServer::start().unwrap();
    let max = 100u64;
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let limiter = RateLimiter::new(Conn::connect(&server.config()).await.unwrap());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..50 {
                out.push(
                    limiter
                        .fixed_window("binance:/api/v3/order", max, Duration::from_secs(30))
                        .await
                        .unwrap(),
                );
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let allowed: Vec<&Decision> = all.iter().filter(|d| d.allowed).collect();
    assert_eq!(all.len(), 400);
    assert_eq!(allowed.len(), 100);
    let mut remaining: Vec<u64> = allowed.iter().map(|d| d.remaining).collect();
    remaining.sort_unstable();
    assert_eq!(
        remaining,
        (0..100).collect::<Vec<u64>>(),
        "each count seen once"
    );
    assert!(all.iter().all(|d| d.retry_after <= Duration::from_secs(30)));

    // A short window expires and starts over.
    let limiter = RateLimiter::new(Conn::connect(&server.config()).await.unwrap());
    let window = Duration::from_millis(100);
    assert!(limiter.fixed_window("q", 1, window).await.unwrap().allowed);
    assert!(!limiter.fixed_window("q", 1, window).await.unwrap().allowed);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut raw = redscope::conn::connect(&server.config()).await.unwrap();
    loop {
        let exists: i64 = redis::cmd("EXISTS")
            .arg(limiter.key("q"))
            .query_async(&mut raw)
            .await
            .unwrap();
        if exists == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the window never expired");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let d = limiter.fixed_window("q", 1, window).await.unwrap();
    assert!(d.allowed && d.remaining == 0);
    assert_eq!(limiter.counts().allowed, 2);
    assert_eq!(limiter.counts().rejected, 1);

    // Bad input is refused; a wrong-type key is a server error, not a panic.
    assert_eq!(
        limiter
            .fixed_window("q", 0, window)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    let _: () = redis::cmd("SET")
        .arg(limiter.key("str"))
        .arg("x")
        .query_async(&mut raw)
        .await
        .unwrap();
    let err = limiter
        .sliding("str", 5, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err:?}");
}
