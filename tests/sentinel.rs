//! A Sentinel failover on a real local set (master, replica, three Sentinels): the test kills
//! the master; the cache resumes within its breaker's cool-down after the promotion, and the
//! admin service reports the new master (health and a `conn_state` event).

use std::time::{Duration, Instant};

use redscope::breaker::BreakerConfig;
use redscope::cache::{Cache, CacheOptions};
use redscope::conn::TopologyKind;
use redscope_admin::ConnState;
use redscope_admin::Event;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::{sync_query, SentinelSet, SENTINEL_MASTER_NAME};

/// The master address the first live Sentinel names.
fn sentinel_master(set: &SentinelSet) -> Option<String> {
    let s = set.sentinels.first()?;
    let reply = sync_query(
        s,
        &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER_NAME],
    )
    .ok()?;
    let mut it = reply.lines();
    Some(format!("{}:{}", it.next()?, it.next()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_and_app_follow_a_sentinel_failover() {
    let mut set = SentinelSet::start().unwrap();
    let cfg = set.config();
    let old_master = format!("127.0.0.1:{}", set.master.port());
    let new_master = format!("127.0.0.1:{}", set.replica.port());

    let cool_down = Duration::from_secs(2);
    let cache = Cache::connect(
        &cfg,
        CacheOptions {
            breaker: BreakerConfig {
                failure_threshold: 3,
                cool_down,
                half_open_probes: 1,
            },
            ..CacheOptions::default()
        },
    )
    .await
    .unwrap();
    assert!(cache.set("order:1", "filled").await.unwrap());
    let mut c = cache.conn().clone();
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(2000)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(acked, 1, "the replica has the write before the master dies");

    let admin = AdminService::new(cfg.clone(), AdminOptions::default());
    let mut events = admin.events();
    let health = admin.health().await;
    assert_eq!(health.state, ConnState::Connected);
    assert_eq!(health.topology, Some(TopologyKind::Sentinel));
    assert_eq!(health.master.as_deref(), Some(old_master.as_str()));
    let json = serde_json::to_value(&health).unwrap();
    assert_eq!(
        (json["topology"].as_str(), json["master"].as_str()),
        (Some("sentinel"), Some(old_master.as_str()))
    );

    // Sharded pub/sub listeners are for Clusters: elsewhere a clear error, not a silent listener.
    let manager = redscope::pubsub::PubSubManager::new(cache.conn().clone(), cfg.clone(), "t");
    let mut builder = manager.listener();
    let _q = builder.shard_channel("orders.shard");
    let err = builder
        .start(tokio_util::sync::CancellationToken::new())
        .await
        .err()
        .expect("refused");
    assert_eq!(err.kind(), redscope::ErrorKind::InvalidInput, "{err}");

    set.master.kill();
    let killed_at = Instant::now();
    let mut promoted_at: Option<Instant> = None;
    let mut failed_writes = 0u32;
    let deadline = killed_at + Duration::from_secs(40);
    let resumed_at = loop {
        if promoted_at.is_none() {
            let named = {
                let s = set.sentinels[0].port();
                let probe = SentinelProbe(s);
                tokio::task::spawn_blocking(move || probe.master())
                    .await
                    .unwrap()
            };
            if named.as_deref() == Some(new_master.as_str()) {
                promoted_at = Some(Instant::now());
            }
        }
        let ok = cache.set("order:2", "new").await.unwrap_or(false);
        if ok {
            break Instant::now();
        }
        failed_writes += 1;
        assert!(Instant::now() < deadline, "the cache never resumed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let promoted_at = promoted_at.expect("writes succeed only after the promotion");
    let after_promotion = resumed_at.saturating_duration_since(promoted_at);
    let breaker = cache.stats().breaker;
    eprintln!(
        "promotion {:?} after the kill; first cache write {:?} after it ({failed_writes} failed \
         writes, breaker opened {} times)",
        promoted_at - killed_at,
        after_promotion,
        breaker.trips
    );
    assert!(breaker.trips >= 1, "the breaker opened during the outage");
    assert!(
        after_promotion <= cool_down + Duration::from_millis(700),
        "resumed {after_promotion:?} after the promotion, cool-down {cool_down:?}"
    );
    assert_eq!(
        cache.conn().current_master().as_deref(),
        Some(new_master.as_str())
    );
    let before: Option<String> = cache.get("order:1").await.unwrap();
    assert_eq!(
        before.as_deref(),
        Some("filled"),
        "data from before survives"
    );
    assert_eq!(sentinel_master(&set).as_deref(), Some(new_master.as_str()));

    // The app shows the new master: a conn_state event, then health.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(Event::ConnState(redscope_admin::session::ConnChange {
                state: ConnState::Connected,
                master: Some(m),
                ..
            }))) if m == new_master => break,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("no conn_state naming {new_master}: {other:?}"),
        }
    }
    let health = admin.health().await;
    assert_eq!(health.state, ConnState::Connected);
    assert_eq!(health.master.as_deref(), Some(new_master.as_str()));
    assert_eq!(health.role.as_deref(), Some("master"));
}

/// Asks one Sentinel (by port) for the master, off the async runtime.
struct SentinelProbe(u16);

impl SentinelProbe {
    fn master(&self) -> Option<String> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", self.0)).ok()?;
        let mut c = client
            .get_connection_with_timeout(Duration::from_millis(500))
            .ok()?;
        let (host, port): (String, u16) = redis::cmd("SENTINEL")
            .arg("GET-MASTER-ADDR-BY-NAME")
            .arg(SENTINEL_MASTER_NAME)
            .query(&mut c)
            .ok()?;
        Some(format!("{host}:{port}"))
    }
}
