//! The connection layer on real deployments: a 6-node Cluster (3 masters, 3 replicas) and a
//! Sentinel set (master, replica, 3 Sentinels) whose master is killed mid-test.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redscope::conn::{key_slot, Conn, TopologyKind};
use redscope_testing::{RedisCluster, SentinelSet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_routes_by_slot_and_lists_every_master() {
    let cluster = RedisCluster::start().unwrap();
    let mut conn = Conn::connect(&cluster.config()).await.unwrap();
    assert_eq!(conn.topology(), TopologyKind::Cluster);

    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.set(format!("market:ticker:binance:SYM{i}"), i)
            .ignore();
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();
    let keys: Vec<String> = (0..1000)
        .map(|i| format!("market:ticker:binance:SYM{i}"))
        .collect();
    let values: Vec<Option<i64>> = conn.mget(&keys).await.unwrap();
    assert_eq!(
        values,
        (0..1000).map(Some).collect::<Vec<_>>(),
        "MGET across slots"
    );

    let masters = conn.masters().await.unwrap();
    assert_eq!(masters.len(), 3, "three masters");
    let mut total = 0;
    let mut per_node = Vec::new();
    for m in &masters {
        let mut c = m.conn.clone();
        let n: u64 = redis::cmd("DBSIZE").query_async(&mut c).await.unwrap();
        per_node.push(n);
        total += n;
    }
    assert_eq!(
        total, 1000,
        "every key lives on exactly one master: {per_node:?}"
    );
    assert!(
        per_node.iter().all(|&n| n > 200),
        "keys spread over the masters: {per_node:?}"
    );

    for k in [
        "foo",
        "market:ticker:binance:SYM7",
        "{user1000}.following",
        "foo{}{bar}",
        "\u{e9}t\u{e9}",
    ] {
        let slot: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(k)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(key_slot(k.as_bytes()), slot, "slot of {k:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_resolves_the_master_and_follows_a_failover() {
    let mut set = SentinelSet::start().unwrap();
    let mut conn = Conn::connect(&set.config()).await.unwrap();
    assert_eq!(conn.topology(), TopologyKind::Sentinel);
    assert_eq!(
        conn.current_master().unwrap(),
        format!("127.0.0.1:{}", set.master.port())
    );

    let _: () = conn.set("order:1", "filled").await.unwrap();
    // Make sure the replica has the write before the master dies.
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(2000)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(acked, 1);

    set.master.kill();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(40);
    loop {
        let r: redis::RedisResult<()> = conn.set("order:2", "new").await;
        if r.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failover within 40 s: last error {:?}",
            r.unwrap_err()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        conn.current_master().unwrap(),
        format!("127.0.0.1:{}", set.replica.port()),
        "switched to the promoted replica"
    );
    let before: Option<String> = conn.get("order:1").await.unwrap();
    assert_eq!(
        before.as_deref(),
        Some("filled"),
        "data written before the failover survives"
    );
    eprintln!("failover followed in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern_invalidation_leaves_no_match_on_any_master() {
    let cluster = RedisCluster::start().unwrap();
    let mut conn = Conn::connect(&cluster.config()).await.unwrap();
    let mut pipe = redis::pipe();
    for i in 0..3000 {
        pipe.set(format!("signal:momentum:S{i}"), i).ignore();
        pipe.set(format!("signal:meanrev:S{i}"), i).ignore();
    }
    let _: () = pipe.query_async(&mut conn).await.unwrap();
    let opts = redscope::keyspace::ScanOptions::default();
    let cancel = tokio_util::sync::CancellationToken::new();
    let (dry, sample) =
        redscope::keyspace::count_matching_all(&conn, "signal:momentum:*", 5, &opts, &cancel)
            .await
            .unwrap();
    assert_eq!(dry.matched, 3000);
    assert_eq!(sample.len(), 5);
    let done =
        redscope::keyspace::unlink_matching_all(&conn, "signal:momentum:*", &opts, &cancel, |_| {})
            .await
            .unwrap();
    assert_eq!((done.matched, done.deleted), (3000, 3000));
    assert!(done.complete);
    for m in conn.masters().await.unwrap() {
        let mut c = m.conn.clone();
        let (left, _) =
            redscope::keyspace::count_matching(&mut c, "signal:momentum:*", 1, &opts, &cancel)
                .await
                .unwrap();
        assert_eq!(left.matched, 0, "{} still has matches", m.addr);
        let n: u64 = redis::cmd("DBSIZE").query_async(&mut c).await.unwrap();
        assert!(n > 0, "other keys stay on {}", m.addr);
    }
    let (rest, _) =
        redscope::keyspace::count_matching_all(&conn, "signal:meanrev:*", 0, &opts, &cancel)
            .await
            .unwrap();
    assert_eq!(rest.matched, 3000);
}
