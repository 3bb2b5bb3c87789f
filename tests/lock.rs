//! Distributed locks on a real server: mutual exclusion under contention, owner-only release
//! and extend, loss detected after the TTL ran out, timeouts, release on drop.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use redscope::conn::Conn;
use redscope::lock::{AcquireOptions, LockManager};
use redscope::ErrorKind;
use redscope_testing::RedisServer;

const ROUNDS_PER_TASK: u64 = 5_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_on_separate_connections_never_both_inside() {
    let server = RedisServer::start().unwrap();
    let inside = Arc::new(AtomicBool::new(false));
    let entries = Arc::new(AtomicU64::new(0));
    let opts = AcquireOptions {
        timeout: Duration::from_secs(10),
        retry_min: Duration::from_micros(100),
        retry_max: Duration::from_millis(1),
    };
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut managers = Vec::new();
    for _ in 0..2 {
        // Each task has its own connection (and its own manager, so counters are per task).
        let conn = Conn::connect(&server.config()).await.unwrap();
        let locks = LockManager::new(conn);
        managers.push(locks.clone());
        let inside = inside.clone();
        let entries = entries.clone();
        let opts = opts.clone();
        tasks.push(tokio::spawn(async move {
            let mut released_ours = 0u64;
            for _ in 0..ROUNDS_PER_TASK {
                let guard = locks
                    .acquire("orders", Duration::from_secs(5), &opts)
                    .await
                    .unwrap();
                assert!(
                    !inside.swap(true, Ordering::SeqCst),
                    "the other task is inside the critical section"
                );
                entries.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                inside.store(false, Ordering::SeqCst);
                if guard.release().await.unwrap() {
                    released_ours += 1;
                }
            }
            released_ours
        }));
    }
    let mut released = 0;
    for t in tasks {
        released += t.await.unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(entries.load(Ordering::SeqCst), 2 * ROUNDS_PER_TASK);
    assert_eq!(
        released,
        2 * ROUNDS_PER_TASK,
        "every acquire matched by a release"
    );
    let acquired: u64 = managers.iter().map(|m| m.counts().acquired).sum();
    let released_counted: u64 = managers.iter().map(|m| m.counts().released).sum();
    let lost: u64 = managers.iter().map(|m| m.counts().lost).sum();
    assert_eq!(acquired, 2 * ROUNDS_PER_TASK);
    assert_eq!(released_counted, 2 * ROUNDS_PER_TASK);
    assert_eq!(lost, 0);
    let waits: u64 = managers.iter().map(|m| m.counts().waits).sum();
    eprintln!("contended acquisitions: {waits} of {}", 2 * ROUNDS_PER_TASK);
    assert!(waits > 10, "the tasks really contended ({waits} waits)");
    assert!(!managers[0].is_locked("orders").await.unwrap());
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
}

#[tokio::test]
async fn only_the_owner_releases_or_extends_and_a_lapsed_lock_reports_lost() {
    let server = RedisServer::start().unwrap();
    let locks = LockManager::new(Conn::connect(&server.config()).await.unwrap());

    let guard = locks
        .try_acquire("positions", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("free lock");
    assert!(locks
        .try_acquire("positions", Duration::from_secs(30))
        .await
        .unwrap()
        .is_none());
    // Wrong token: refused, and the lock stays.
    assert!(!locks
        .release_token("positions", "not-the-token")
        .await
        .unwrap());
    assert!(!locks
        .extend_token("positions", "not-the-token", Duration::from_millis(5))
        .await
        .unwrap());
    assert!(guard.is_held().await.unwrap());
    guard.extend(Duration::from_secs(60)).await.unwrap();
    let mut raw = redscope::conn::connect(&server.config()).await.unwrap();
    let pttl: i64 = redis::cmd("PTTL")
        .arg(locks.key("positions"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(pttl > 30_000, "extend set the TTL, got {pttl} ms");
    assert!(guard.release().await.unwrap());
    assert!(!locks.is_locked("positions").await.unwrap());

    // A lock whose TTL runs out is lost: extend fails with Error::Lock, release says false.
    let short = locks
        .try_acquire("short", Duration::from_millis(30))
        .await
        .unwrap()
        .expect("free lock");
    let deadline = Instant::now() + Duration::from_secs(5);
    while locks.is_locked("short").await.unwrap() {
        assert!(Instant::now() < deadline, "lock never expired");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Someone else takes it over meanwhile.
    let other = locks
        .try_acquire("short", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("expired lock is free");
    let err = short.extend(Duration::from_secs(1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Lock);
    assert!(!short.release().await.unwrap(), "release reports the loss");
    assert!(
        other.is_held().await.unwrap(),
        "the new owner's lock survived"
    );
    assert_eq!(locks.counts().lost, 2);
    assert!(other.release().await.unwrap());
    assert_eq!(locks.counts().released, 2);
}

#[tokio::test]
async fn acquire_times_out_and_dropped_guard_releases() {
    let server = RedisServer::start().unwrap();
    let locks = LockManager::new(Conn::connect(&server.config()).await.unwrap());
    let held = locks
        .try_acquire("rebalance", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("free lock");
    let opts = AcquireOptions {
        timeout: Duration::from_millis(150),
        retry_min: Duration::from_millis(5),
        retry_max: Duration::from_millis(20),
    };
    let started = Instant::now();
    let err = locks
        .acquire("rebalance", Duration::from_secs(1), &opts)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Lock);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(locks.counts().timeouts, 1);

    drop(held);
    // The spawned release frees the lock; a waiting acquire gets it.
    let opts = AcquireOptions {
        timeout: Duration::from_secs(5),
        ..opts
    };
    let next = locks
        .acquire("rebalance", Duration::from_secs(1), &opts)
        .await
        .unwrap();
    assert!(next.release().await.unwrap());
    assert_eq!(locks.counts().acquired, 2);

    // Bad input is refused before touching Redis.
    assert_eq!(
        locks
            .try_acquire("", Duration::from_secs(1))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        locks
            .try_acquire("x", Duration::ZERO)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn a_dead_server_is_a_connection_error() {
    let mut server = RedisServer::start().unwrap();
    let locks = LockManager::new(Conn::connect(&server.config()).await.unwrap());
    server.kill();
    let err = locks
        .try_acquire("orders", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(err.is_connection(), "got {err:?}");
}
