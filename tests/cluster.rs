//! The library and the admin service on a real local Redis Cluster (3 masters + 3 replicas):
//! cache batches over every slot, time series, locks and rate limits, sharded pub/sub, the
//! channel monitor, slot/node per key, the 100,000-key tree; and a consumer group that keeps
//! consuming while the master holding its stream is killed and its replica promoted.
//!
//! One cluster serves every scenario that leaves the topology alone (they run in sequence in one
//! test, so the cluster is torn down when it ends); the failover test has its own.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use redis::AsyncCommands;
use redscope::cache::{Cache, CacheOptions};
use redscope::config::RedisConfig;
use redscope::conn::{key_slot, slot_owner, Conn};
use redscope::events::Payload;
use redscope::lock::LockManager;
use redscope::pubsub::{ListenerStatus, PubSubManager};
use redscope::ratelimit::RateLimiter;
use redscope::stream::{ConsumerOptions, MarketDataStream, MarketTick};
use redscope::timeseries::{Point, TimeSeriesStore};
use redscope_admin::browser::KeysMetaRequest;
use redscope_admin::channels::{MonitorRequest, PublishRequest};
use redscope_admin::command_monitor::{MonitorFilter, MonitorStart, MonitorState};
use redscope_admin::hotkeys::HotkeysRequest;
use redscope_admin::jobs::{InvalidateReply, InvalidateRequest, JobState};
use redscope_admin::node_metrics::NodeMetricsQuery;
use redscope_admin::pubsub_counts::PubsubQuery;
use redscope_admin::tree::TreeQuery;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::{sync_query, RedisCluster, RedisServer};
use tokio_util::sync::CancellationToken;

/// Keys per master, by the slot map.
async fn keys_per_master(conn: &Conn, keys: &[String]) -> BTreeMap<String, usize> {
    let map = conn.slot_map().await.unwrap();
    let mut per = BTreeMap::new();
    for k in keys {
        let owner = slot_owner(&map, key_slot(k.as_bytes())).expect("every slot is served");
        *per.entry(owner.to_string()).or_insert(0) += 1;
    }
    per
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn library_and_admin_on_one_cluster() {
    let cluster = RedisCluster::start().unwrap();
    let cfg = cluster.config();
    let conn = Conn::connect(&cfg).await.unwrap();
    let started = Instant::now();

    cache_batches_span_every_master(&cfg, &conn).await;
    eprintln!("cache batches: {:?}", started.elapsed());
    single_key_modules_are_slot_safe(&conn).await;
    eprintln!("time series, locks, rate limits: {:?}", started.elapsed());
    sharded_pubsub_reaches_shard_subscribers(&cfg, &conn).await;
    eprintln!("sharded pub/sub: {:?}", started.elapsed());
    let admin = AdminService::new(cfg.clone(), AdminOptions::default());
    admin.metrics().ensure_started();
    channel_monitor_sees_messages_from_every_node(&cluster, &admin).await;
    eprintln!("channel monitor: {:?}", started.elapsed());
    hot_keys_are_read_on_every_master(&cluster, &admin, &conn).await;
    latency_is_read_on_every_master(&cluster, &admin).await;
    pubsub_counts_add_up_over_the_masters(&cluster, &admin).await;
    monitor_view_watches_every_master(&admin, &conn).await;
    eprintln!(
        "hot keys, latency, pub/sub counts, MONITOR: {:?}",
        started.elapsed()
    );
    keys_meta_names_slot_and_node(&admin, &conn).await;
    tree_counts_100k_keys_exactly(&admin, &conn).await;
    eprintln!("100k tree: {:?}", started.elapsed());
    databases_count_the_keys_of_every_master(&admin, &conn).await;
    metrics_per_node_add_up_to_the_total(&admin).await;
    eprintln!("per-node metrics: {:?}", started.elapsed());
    invalidation_job_clears_every_master(&admin, &conn).await;
    eprintln!("invalidation job: {:?}", started.elapsed());
    web_mode_shows_topology_nodes_and_slots(&cfg).await;
    eprintln!("web mode: {:?}", started.elapsed());
}

/// The same figures over HTTP, as `redscope serve` gives them to the UI.
async fn web_mode_shows_topology_nodes_and_slots(cfg: &RedisConfig) {
    const TOKEN: &str = "cluster-test-token-0123456789";
    let service = AdminService::new(cfg.clone(), AdminOptions::default());
    let server = redscope_cli::web::WebServer::bind(
        service,
        redscope_cli::web::ServeOptions {
            bind: "127.0.0.1:0".parse().unwrap(),
            token: Some(TOKEN.into()),
            allow_remote: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    let stop = CancellationToken::new();
    let s = stop.clone();
    let task = tokio::spawn(server.run(async move { s.cancelled().await }));
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move {
            let res = http
                .get(format!("http://{addr}{path}"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (
                status,
                res.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let (status, health) = get("/api/health".into()).await;
    assert_eq!(status, 200);
    assert_eq!(health["topology"], "cluster");
    assert!(health["master"].is_null());
    assert_eq!(health["state"], "connected", "{health}");
    assert_eq!(health["mode"], "cluster", "{health}");

    let deadline = Instant::now() + Duration::from_secs(10);
    let nodes = loop {
        let (status, m) = get("/api/metrics?range_s=60".into()).await;
        assert_eq!(status, 200, "{m}");
        let nodes: Vec<String> = m["nodes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if nodes.len() == 3 {
            break nodes;
        }
        assert!(Instant::now() < deadline, "no nodes in metrics: {m}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, m) = get(format!("/api/metrics?range_s=60&node={}", nodes[0])).await;
        assert_eq!(status, 200, "{m}");
        if m["samples"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "no samples for {}", nodes[0]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, err) = get("/api/metrics?node=127.0.0.1:1".into()).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("not_found")),
        "{err}"
    );
    stop.cancel();
    let _ = task.await;
}

async fn invalidation_job_clears_every_master(admin: &AdminService, conn: &Conn) {
    let req = |dry_run: bool| InvalidateRequest {
        pattern: Some("tick:kraken:*".into()),
        preset: None,
        dry_run,
        confirm: !dry_run,
    };
    match admin.jobs().invalidate(req(true)).await.unwrap() {
        InvalidateReply::DryRun { count, .. } => assert_eq!(count, 25_000),
        other => panic!("expected a dry run, got {other:?}"),
    }
    let InvalidateReply::Started(job) = admin.jobs().invalidate(req(false)).await.unwrap() else {
        panic!("expected a job");
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let job = loop {
        let j = admin.jobs().get(&job.id).unwrap();
        if j.state != JobState::Running {
            break j;
        }
        assert!(Instant::now() < deadline, "job still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job.state, JobState::Done, "{job:?}");
    assert_eq!((job.matched, job.deleted), (25_000, 25_000));
    // Each master, scanned on its own: no match left, the other exchanges untouched.
    let opts = redscope::keyspace::ScanOptions::default();
    let cancel = CancellationToken::new();
    let mut others = 0;
    for m in conn.masters().await.unwrap() {
        let mut c = m.conn.clone();
        let (left, _) =
            redscope::keyspace::count_matching(&mut c, "tick:kraken:*", 1, &opts, &cancel)
                .await
                .unwrap();
        assert_eq!(left.matched, 0, "{} still has matches", m.addr);
        let (rest, _) = redscope::keyspace::count_matching(&mut c, "tick:*", 0, &opts, &cancel)
            .await
            .unwrap();
        assert!(rest.matched > 0, "{} keeps the other keys", m.addr);
        others += rest.matched;
    }
    assert_eq!(others, 75_000);
}

async fn metrics_per_node_add_up_to_the_total(admin: &AdminService) {
    let q = |node: Option<&str>| NodeMetricsQuery {
        range_s: Some(60),
        points: Some(60),
        node: node.map(str::to_string),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let total = admin.metrics().history(&q(None)).unwrap();
        let last = total.samples.last().cloned();
        if let (3, Some(last)) = (total.nodes.len(), last) {
            let mut keys = 0;
            let mut same_tick = true;
            for node in &total.nodes {
                let one = admin.metrics().history(&q(Some(node))).unwrap();
                assert_eq!(one.nodes, total.nodes);
                let s = one.samples.last().expect("a sample per node");
                same_tick &= s.at_ms == last.at_ms;
                assert!(s.keys > 0 && s.used_memory > 0, "{node}: {s:?}");
                keys += s.keys;
            }
            // A tick taken after the 100,000 writes, seen by all three nodes' series.
            if same_tick && last.keys >= 100_000 {
                assert_eq!(keys, last.keys, "nodes add up to the total");
                break;
            }
        }
        assert!(Instant::now() < deadline, "no per-node samples");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let err = admin
        .metrics()
        .history(&q(Some("127.0.0.1:1")))
        .unwrap_err();
    assert_eq!(err.kind(), redscope::ErrorKind::NotFound);
}

async fn cache_batches_span_every_master(cfg: &RedisConfig, conn: &Conn) {
    let cache = Cache::connect(cfg, CacheOptions::default()).await.unwrap();
    let keys: Vec<String> = (0..1000).map(|i| format!("cache:quote:SYM{i}")).collect();
    let entries: Vec<(String, u64)> = keys.iter().cloned().zip(0u64..).collect();
    assert!(cache
        .set_many(&entries, Duration::from_secs(60))
        .await
        .unwrap());
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got: Vec<Option<u64>> = cache.get_many(&refs).await.unwrap();
    assert_eq!(
        got,
        (0..1000).map(Some).collect::<Vec<_>>(),
        "get_many in order"
    );

    let slots: HashSet<u16> = keys.iter().map(|k| key_slot(k.as_bytes())).collect();
    assert!(slots.len() > 900, "1,000 keys over {} slots", slots.len());
    let per = keys_per_master(conn, &keys).await;
    assert_eq!(per.len(), 3, "keys on every master: {per:?}");
    let mut on_nodes = 0;
    for m in conn.masters().await.unwrap() {
        let mut c = m.conn.clone();
        let mut here = 0;
        for k in &keys {
            if per.contains_key(&m.addr) && c.exists::<_, bool>(k).await.unwrap_or(false) {
                here += 1;
            }
        }
        assert_eq!(here, per[&m.addr], "{} holds its slots' keys", m.addr);
        on_nodes += here;
    }
    assert_eq!(on_nodes, 1000);
    let ttl = cache.ttl(&keys[999]).await.unwrap().unwrap();
    assert!(ttl > Duration::from_secs(50) && ttl <= Duration::from_secs(60));

    // Hash tags keep related keys in one slot (one master), where atomicity matters.
    let tagged: Vec<String> = ["ticker", "book", "trades"]
        .iter()
        .map(|t| format!("market:{{BTCUSDT}}:{t}"))
        .collect();
    let slot_set: HashSet<u16> = tagged.iter().map(|k| key_slot(k.as_bytes())).collect();
    assert_eq!(slot_set.len(), 1);
    let mut c = conn.clone();
    let (): () = redis::pipe()
        .atomic()
        .set(&tagged[0], 1)
        .set(&tagged[1], 2)
        .set(&tagged[2], 3)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(cache.delete(&refs).await.unwrap(), 1000);
    let gone: Vec<Option<u64>> = cache.get_many(&refs).await.unwrap();
    assert!(gone.iter().all(Option::is_none));
}

async fn single_key_modules_are_slot_safe(conn: &Conn) {
    // Time series: 20 series spread over the masters, 300 points each.
    let ts = TimeSeriesStore::new(conn.clone());
    let series: Vec<String> = (0..20).map(|i| format!("price:S{i}")).collect();
    let keys: Vec<String> = series.iter().map(|s| ts.series_key(s)).collect();
    assert_eq!(
        keys_per_master(conn, &keys).await.len(),
        3,
        "series on every master"
    );
    let base = 1_700_000_000_000i64;
    for s in &series {
        let points: Vec<Point> = (0..300)
            .map(|i| Point {
                ts_ms: base + i * 1000,
                value: i as f64,
            })
            .collect();
        ts.add_many(s, &points).await.unwrap();
    }
    for s in &series {
        let stats = ts.get_stats(s, base, base + 299_000).await.unwrap();
        assert_eq!(stats.count, 300, "{s}");
        assert_eq!((stats.min, stats.max), (Some(0.0), Some(299.0)));
        let range = ts
            .get_range(s, base + 100_000, base + 199_000)
            .await
            .unwrap();
        assert_eq!(range.len(), 100);
    }

    // Locks: one holder per name on every master.
    let locks = LockManager::new(conn.clone());
    let names: Vec<String> = (0..30).map(|i| format!("order:{i}")).collect();
    let lock_keys: Vec<String> = names.iter().map(|n| locks.key(n)).collect();
    assert_eq!(keys_per_master(conn, &lock_keys).await.len(), 3);
    let mut guards = Vec::new();
    for n in &names {
        guards.push(
            locks
                .try_acquire(n, Duration::from_secs(10))
                .await
                .unwrap()
                .expect("free"),
        );
    }
    for n in &names {
        assert!(locks
            .try_acquire(n, Duration::from_secs(10))
            .await
            .unwrap()
            .is_none());
    }
    let mut released = 0;
    for g in guards {
        released += u32::from(g.release().await.unwrap());
    }
    assert_eq!(released, 30);
    assert!(!locks.is_locked(&names[7]).await.unwrap());

    // Rate limits: exactly `max` allowed per name, names on every master.
    let rl = RateLimiter::new(conn.clone());
    let names: Vec<String> = (0..15).map(|i| format!("api:binance:ep{i}")).collect();
    let rl_keys: Vec<String> = names.iter().map(|n| rl.key(n)).collect();
    assert_eq!(keys_per_master(conn, &rl_keys).await.len(), 3);
    for n in &names {
        let mut allowed = 0;
        for _ in 0..8 {
            if rl
                .sliding(n, 5, Duration::from_secs(30))
                .await
                .unwrap()
                .allowed
            {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5, "{n}");
        let mut fixed = 0;
        for _ in 0..4 {
            if rl
                .fixed_window(&format!("{n}:fixed"), 3, Duration::from_secs(30))
                .await
                .unwrap()
                .allowed
            {
                fixed += 1;
            }
        }
        assert_eq!(fixed, 3, "{n} fixed window");
    }
}

async fn sharded_pubsub_reaches_shard_subscribers(cfg: &RedisConfig, conn: &Conn) {
    let manager = PubSubManager::new(conn.clone(), cfg.clone(), "cluster-test");
    let channels: Vec<String> = (0..6).map(|i| format!("orders.shard{i}")).collect();
    let per = keys_per_master(conn, &channels).await;
    assert!(per.len() >= 2, "shard channels on several masters: {per:?}");
    let mut builder = manager.listener();
    let mut queues: Vec<_> = channels.iter().map(|c| builder.shard_channel(c)).collect();
    let stop = CancellationToken::new();
    let listener = builder.start(stop.clone()).await.unwrap();
    for (i, ch) in channels.iter().enumerate() {
        for n in 0..50 {
            let receivers = manager
                .publish_sharded_raw(ch, format!("{i}:{n}").as_bytes())
                .await
                .unwrap();
            assert_eq!(receivers, 1, "one shard subscriber on {ch}");
        }
    }
    // A classic PUBLISH on the same name does not reach shard subscribers.
    assert_eq!(
        manager.publish_raw(&channels[0], b"classic").await.unwrap(),
        0
    );
    for (i, q) in queues.iter_mut().enumerate() {
        for n in 0..50 {
            let msg = tokio::time::timeout(Duration::from_secs(5), q.recv())
                .await
                .expect("delivered in time")
                .expect("queue open");
            assert_eq!(msg.channel, channels[i]);
            assert_eq!(msg.payload, format!("{i}:{n}").into_bytes(), "in order");
        }
        assert!(q.try_recv().is_err(), "nothing extra on {}", channels[i]);
    }
    // A redis-py service publishes envelopes with SPUBLISH; the listener decodes them.
    let seed = cfg.clone();
    let (host, port) = match &seed.endpoint {
        redscope::config::Endpoint::Tcp { host, port } => (host.clone(), *port),
        other => panic!("unexpected endpoint {other:?}"),
    };
    let out = tokio::process::Command::new(redscope_testing::python())
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/python/sharded_publish.py"),
        )
        .arg(host)
        .arg(port.to_string())
        .args(&channels)
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        printed.lines().filter(|l| l.ends_with(" 1")).count(),
        6,
        "{printed}"
    );
    for (i, q) in queues.iter_mut().enumerate() {
        let msg = tokio::time::timeout(Duration::from_secs(5), q.recv())
            .await
            .expect("delivered in time")
            .expect("queue open");
        let env = msg.envelope().expect("an envelope");
        assert_eq!(env.source, "py-order-service");
        match msg.payload() {
            Some(Ok(Payload::OrderUpdate(o))) => assert_eq!(o.order_id, format!("ORD{i:03}")),
            other => panic!("not an order update: {other:?}"),
        }
    }
    let counts = listener.counts();
    assert_eq!(
        (counts.received, counts.undecodable, counts.dropped),
        (306, 300, 0),
        "the 300 plain-text test messages are delivered raw, the 6 envelopes decoded"
    );
    listener.stop().await;
}

async fn channel_monitor_sees_messages_from_every_node(
    cluster: &RedisCluster,
    admin: &AdminService,
) {
    // Shard channels whose slots belong to every master: one shard connection each.
    let shards: Vec<String> = (0..6).map(|i| format!("fills.shard{i}")).collect();
    let conn = Conn::connect(&cluster.config()).await.unwrap();
    assert_eq!(keys_per_master(&conn, &shards).await.len(), 3);
    let started = admin
        .channels()
        .monitor(MonitorRequest {
            channels: vec!["trading:signals".into()],
            patterns: vec!["orders.*".into()],
            shard_channels: shards.clone(),
        })
        .await
        .unwrap();
    assert!(started.connected, "{started:?}");
    // Every shard channel has its one subscriber on the master owning its slot.
    let counts = admin
        .channels()
        .counts(&PubsubQuery {
            pattern: Some("fills.shard*".into()),
        })
        .await
        .unwrap();
    let subscribed: BTreeMap<&str, u64> = counts
        .shard_channels
        .iter()
        .map(|c| (c.channel.as_str(), c.subscribers))
        .collect();
    assert_eq!(
        subscribed,
        shards.iter().map(|c| (c.as_str(), 1)).collect(),
        "{counts:?}"
    );
    for (i, channel) in shards.iter().enumerate() {
        for n in 0..5 {
            let sent = admin
                .channels()
                .publish(PublishRequest {
                    channel: channel.clone(),
                    message: format!("{i}-{n}"),
                    sharded: true,
                })
                .await
                .unwrap();
            assert_eq!(
                sent.receivers, 1,
                "SPUBLISH on {channel} reaches the monitor"
            );
        }
    }
    // Publish straight on each of the six nodes: classic messages cross the Cluster bus.
    for (i, node) in cluster.nodes.iter().enumerate() {
        for n in 0..10 {
            sync_query(node, &["PUBLISH", "trading:signals", &format!("{i}-{n}")]).unwrap();
            sync_query(node, &["PUBLISH", "orders.filled", &format!("{i}-{n}")]).unwrap();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = admin.channels().monitor_stats(Some(200)).unwrap();
        if stats.total == 150 {
            let by: BTreeMap<(String, bool), u64> = stats
                .channels
                .iter()
                .map(|c| ((c.name.clone(), c.sharded), c.count))
                .collect();
            assert_eq!(by.get(&("trading:signals".into(), false)), Some(&60));
            assert_eq!(by.get(&("orders.filled".into(), false)), Some(&60));
            for channel in &shards {
                assert_eq!(by.get(&(channel.clone(), true)), Some(&5), "{channel}");
            }
            let marked = stats.recent.iter().filter(|m| m.sharded).count();
            assert_eq!(marked, 30, "the shard channels' messages are marked");
            assert!(stats
                .recent
                .iter()
                .filter(|m| m.sharded)
                .all(|m| m.channel.starts_with("fills.shard")));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "monitor counted {} of 150",
            stats.total
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    admin.channels().monitor_stop().await;
}

async fn keys_meta_names_slot_and_node(admin: &AdminService, conn: &Conn) {
    let keys: Vec<String> = (0..30).map(|i| format!("meta:key:{i}")).collect();
    let mut c = conn.clone();
    for k in &keys {
        let (): () = c.set(k, "v").await.unwrap();
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let metas = admin
        .browser()
        .keys_meta(KeysMetaRequest {
            keys_b64: keys.iter().map(|k| b64.encode(k)).collect(),
        })
        .await
        .unwrap();
    assert_eq!(metas.len(), 30);
    let mut nodes = HashSet::new();
    for (m, k) in metas.iter().zip(&keys) {
        let slot: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(k)
            .query_async(&mut c)
            .await
            .unwrap();
        assert_eq!(m.slot, Some(slot), "{k}");
        let node = m.node.clone().expect("node");
        // The named node really holds the key.
        let master = conn
            .masters()
            .await
            .unwrap()
            .into_iter()
            .find(|n| n.addr == node)
            .expect("a master");
        let mut mc = master.conn.clone();
        assert!(mc.exists::<_, bool>(k).await.unwrap(), "{k} on {node}");
        nodes.insert(node);
    }
    assert_eq!(nodes.len(), 3, "keys on every master");
    let json = serde_json::to_value(&metas[0]).unwrap();
    assert!(json["slot"].is_u64() && json["node"].is_string());
}

async fn tree_counts_100k_keys_exactly(admin: &AdminService, conn: &Conn) {
    // 100,000 keys: 4 exchanges x 250 symbols x 100 fields, over every slot.
    let mut c = conn.clone();
    let exchanges = ["binance", "kraken", "coinbase", "okx"];
    let mut pipe = redis::pipe();
    let mut n = 0;
    for ex in exchanges {
        for s in 0..250 {
            for f in 0..100 {
                pipe.set(format!("tick:{ex}:S{s}:f{f}"), 1).ignore();
                n += 1;
                if n % 5000 == 0 {
                    let (): () = pipe.query_async(&mut c).await.unwrap();
                    pipe = redis::pipe();
                }
            }
        }
    }
    let mut total = 0u64;
    for m in conn.masters().await.unwrap() {
        let mut mc = m.conn.clone();
        let k: u64 = redis::cmd("DBSIZE").query_async(&mut mc).await.unwrap();
        total += k;
    }
    assert!(total >= 100_000, "{total} keys in the cluster");

    let level = |prefix: &str| TreeQuery {
        prefix: Some(prefix.to_string()),
        ..TreeQuery::default()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let top = loop {
        let l = admin.tree().level(level("tick:")).await.unwrap();
        if l.complete {
            break l;
        }
        assert!(Instant::now() < deadline, "tree scan did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(top.total_keys, 100_000);
    let counts: BTreeMap<String, u64> = top
        .children
        .iter()
        .map(|c| (c.name.clone(), c.count))
        .collect();
    assert_eq!(counts.len(), 4);
    for ex in exchanges {
        assert_eq!(counts.get(ex), Some(&25_000), "{ex}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let one = loop {
        let l = admin.tree().level(level("tick:kraken:S17:")).await.unwrap();
        if l.complete {
            break l;
        }
        assert!(Instant::now() < deadline, "tree scan did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(one.total_keys, 100);
    assert_eq!(one.children.len(), 100);
}

/// Kills the master holding a stream while a producer and a consumer group run; the replica is
/// promoted, the library follows, and every published entry is processed and acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_group_keeps_consuming_across_a_master_failover() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            "redscope::stream=debug,redscope::conn=debug,redscope_admin::channels=debug",
        )
        .with_test_writer()
        .try_init();
    let mut cluster = RedisCluster::start().unwrap();
    let cfg = cluster.config();
    let conn = Conn::connect(&cfg).await.unwrap();
    let key = "stream:ticks:failover";
    let map = conn.slot_map().await.unwrap();
    let owner = slot_owner(&map, key_slot(key.as_bytes()))
        .unwrap()
        .to_string();
    let owner_port: u16 = owner.rsplit_once(':').unwrap().1.parse().unwrap();

    // A shard channel in the same slot: its subscription must move to the promoted replica.
    let shard_channel = format!("{{{key}}}.alerts");
    assert_eq!(key_slot(shard_channel.as_bytes()), key_slot(key.as_bytes()));
    let manager = PubSubManager::new(conn.clone(), cfg.clone(), "failover-test");
    let mut builder = manager.listener();
    let mut alerts = builder.shard_channel(&shard_channel);
    let mut status = builder.status();
    let listener = builder.start(CancellationToken::new()).await.unwrap();
    assert_eq!(status.recv().await, Some(ListenerStatus::Connected));
    assert_eq!(
        manager
            .publish_sharded_raw(&shard_channel, b"before")
            .await
            .unwrap(),
        1
    );
    assert_eq!(alerts.recv().await.unwrap().payload, b"before");

    // The admin app, with the doomed master as its first seed: its channel monitor must move on.
    // Its shard channel is another one of the slot, so the library listener's deliveries above
    // stay the only receivers of `shard_channel`.
    let monitor_channel = format!("{{{key}}}.monitor");
    assert_eq!(
        key_slot(monitor_channel.as_bytes()),
        key_slot(key.as_bytes())
    );
    let mut seeds = vec![owner.clone()];
    seeds.extend(
        cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .filter(|a| *a != owner),
    );
    let admin_cfg = RedisConfig::from_url(&format!("redis+cluster://{}", seeds.join(","))).unwrap();
    let admin = AdminService::new(admin_cfg, AdminOptions::default());
    assert_eq!(
        admin.health().await.topology,
        Some(redscope::conn::TopologyKind::Cluster)
    );
    admin
        .channels()
        .monitor(MonitorRequest {
            channels: vec!["trading:system".into()],
            patterns: vec![],
            shard_channels: vec![monitor_channel.clone()],
        })
        .await
        .unwrap();

    let stream = MarketDataStream::new(conn.clone(), cfg.clone(), key);
    stream.ensure_group("risk", "0").await.unwrap();
    let processed = Arc::new(Mutex::new(HashSet::<u64>::new()));
    let seen = processed.clone();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("risk", "risk-1")
            .block(Duration::from_millis(200))
            .claim_idle(Duration::from_millis(500))
            .claim_interval(Duration::from_millis(300)),
        move |t| {
            let seen = seen.clone();
            async move {
                let seq: u64 = t
                    .tick
                    .extra
                    .get("seq")
                    .and_then(|s| s.parse().ok())
                    .ok_or("no seq")?;
                seen.lock().unwrap().insert(seq);
                Ok::<(), &'static str>(())
            }
        },
    );

    // The producer: XADD then WAIT for the replica, so a confirmed entry survives the failover.
    // Failed or unconfirmed publishes are retried (same seq) and counted.
    let producer_stop = CancellationToken::new();
    let published = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let producer = {
        let (mut c, stop) = (conn.clone(), producer_stop.clone());
        let published = published.clone();
        tokio::spawn(async move {
            let (mut confirmed, mut retries) = (Vec::<u64>::new(), 0u64);
            let mut seq = 0u64;
            while !stop.is_cancelled() {
                let tick = MarketTick::new("BTCUSDT", 50_000.0 + seq as f64)
                    .with_extra("seq", seq.to_string());
                let mut xadd = redis::cmd("XADD");
                xadd.arg(key).arg("*");
                for (f, v) in tick.to_fields() {
                    xadd.arg(f).arg(v);
                }
                let mut pipe = redis::pipe();
                pipe.add_command(xadd).cmd("WAIT").arg(1).arg(500);
                match pipe.query_async::<(String, i64)>(&mut c).await {
                    Ok((_, 1..)) => {
                        confirmed.push(seq);
                        published.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        seq += 1;
                    }
                    _ => {
                        retries += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (confirmed, retries)
        })
    };

    // Let it run, then kill the stream's master.
    let wait_for = |n: usize| {
        let p = processed.clone();
        let published = published.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while p.lock().unwrap().len() < n {
                assert!(
                    Instant::now() < deadline,
                    "consumer stalled below {n}: {} processed, {} confirmed by the producer",
                    p.lock().unwrap().len(),
                    published.load(std::sync::atomic::Ordering::Relaxed)
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(100).await;
    let victim = cluster
        .nodes
        .iter_mut()
        .find(|n| n.port() == owner_port)
        .expect("the owner is a fixture node");
    victim.kill();
    let killed_at = Instant::now();

    // The replica is promoted (the live nodes' slot map names another master for the stream's
    // slot), then every live node says the cluster is ok again.
    let deadline = Instant::now() + Duration::from_secs(30);
    let new_owner = loop {
        if let Ok(map) = conn.slot_map().await {
            if let Some(o) = slot_owner(&map, key_slot(key.as_bytes())) {
                if o != owner {
                    break o.to_string();
                }
            }
        }
        assert!(Instant::now() < deadline, "no replica promoted within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    cluster.wait_ok(Duration::from_secs(30)).unwrap();
    let promoted_after = killed_at.elapsed();
    assert_eq!(cluster.master_ports().len(), 3, "three masters again");
    eprintln!("{owner} killed; {new_owner} serves the stream's slot");
    // The failed node comes back as the new master's replica (so the producer's WAIT 1 can be
    // satisfied again); until it has synced, publishes count as unconfirmed and are retried.
    cluster
        .nodes
        .iter_mut()
        .find(|n| n.port() == owner_port)
        .expect("the old owner")
        .restart()
        .unwrap();

    // The shard subscription follows: a message published on the new owner arrives.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0;
    let resumed_after = loop {
        n += 1;
        let body = format!("after-{n}");
        if let Ok(1) = manager
            .publish_sharded_raw(&shard_channel, body.as_bytes())
            .await
        {
            let msg = tokio::time::timeout(Duration::from_secs(2), alerts.recv())
                .await
                .expect("a delivery for an accepted SPUBLISH")
                .unwrap();
            assert_eq!(msg.payload, body.into_bytes());
            break killed_at.elapsed();
        }
        assert!(Instant::now() < deadline, "shard subscription never moved");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut statuses = Vec::new();
    while let Ok(s) = status.try_recv() {
        statuses.push(s);
    }
    assert!(
        matches!(statuses.first(), Some(ListenerStatus::Disconnected { .. })),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .any(|s| matches!(s, ListenerStatus::Resubscribed { .. })),
        "{statuses:?}"
    );
    listener.stop().await;

    // The channel monitor reconnected to another node and counts messages again.
    let counted = admin.channels().monitor_stats(Some(0)).unwrap().total;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut c = conn.clone();
    loop {
        let _: redis::RedisResult<u64> = c.publish("trading:system", "heartbeat").await;
        if admin.channels().monitor_stats(Some(0)).unwrap().total > counted {
            break;
        }
        assert!(Instant::now() < deadline, "the monitor never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Its shard connection re-read the slot map and subscribed on the promoted replica.
    let shard_count = || {
        let stats = admin.channels().monitor_stats(Some(0)).unwrap();
        stats
            .channels
            .iter()
            .find(|c| c.sharded && c.name == monitor_channel)
            .map_or(0, |c| c.count)
    };
    let before = shard_count();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let sent = admin
            .channels()
            .publish(PublishRequest {
                channel: monitor_channel.clone(),
                message: "after failover".into(),
                sharded: true,
            })
            .await;
        // The receivers figure is the answering node's own: a replica of the slot's master may
        // take SPUBLISH and pass it on through its shard, answering 0. The monitor's count is
        // what the user watches.
        if sent.is_ok() && shard_count() > before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the monitor's shard subscription never moved: {sent:?}; owner now {:?}; SHARDNUMSUB per node {:?}",
            slot_owner(&conn.slot_map().await.unwrap(), key_slot(monitor_channel.as_bytes())),
            cluster
                .nodes
                .iter()
                .map(|n| (n.port(), sync_query(n, &["PUBSUB", "SHARDNUMSUB", &monitor_channel]).ok(), sync_query(n, &["ROLE"]).ok().map(|r| r.lines().next().unwrap_or("").to_string())))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admin.channels().monitor_stats(Some(0)).unwrap().connected);
    admin.channels().monitor_stop().await;

    let before = processed.lock().unwrap().len();
    wait_for(before + 100).await;
    producer_stop.cancel();
    let (confirmed, retries) = producer.await.unwrap();

    // Every confirmed entry gets processed and acknowledged.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let missing = {
            let p = processed.lock().unwrap();
            confirmed.iter().filter(|s| !p.contains(s)).count()
        };
        let pending = stream
            .pending("risk")
            .await
            .map(|p| p.count)
            .unwrap_or(u64::MAX);
        if missing == 0 && pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} confirmed entries never processed, {pending} pending"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = consumer.stop_and_join().await.unwrap();
    eprintln!(
        "failover: promoted after {promoted_after:?}, shard channel back after {resumed_after:?}; {} confirmed, {retries} publishes retried, \
         {} processed ({} with redeliveries), {} acked, {} errors recovered",
        confirmed.len(),
        processed.lock().unwrap().len(),
        stats.processed,
        stats.acked,
        stats.errors
    );
    assert!(confirmed.len() >= 200, "{} confirmed", confirmed.len());
    assert!(
        stats.acked >= confirmed.len() as u64,
        "every confirmed entry acknowledged at least once: {} acks for {}",
        stats.acked,
        confirmed.len()
    );
}

/// A master that hangs (SIGSTOP) rather than dies closes no socket: the sharded listener notices
/// through its owner check and renews the subscription on the replica promoted in its place; a
/// consumer group on a stream in the same slot gives up its hung blocking read and goes on there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_subscription_and_consumer_group_survive_a_frozen_master() {
    let cluster = RedisCluster::start().unwrap();
    let mut cfg = cluster.config();
    // A trading service's budget for one call; a hung node costs this much per attempt.
    cfg.response_timeout = Duration::from_secs(1);
    let conn = Conn::connect(&cfg).await.unwrap();
    let channel = "alerts.risk.frozen";
    let map = conn.slot_map().await.unwrap();
    let owner = slot_owner(&map, key_slot(channel.as_bytes()))
        .unwrap()
        .to_string();
    let manager = PubSubManager::new(conn.clone(), cfg.clone(), "frozen-test");
    let mut builder = manager
        .listener()
        .options(redscope::pubsub::ListenerOptions {
            ping_interval: Duration::from_millis(300),
            ..Default::default()
        });
    let mut queue = builder.shard_channel(channel);
    let mut status = builder.status();
    let listener = builder.start(CancellationToken::new()).await.unwrap();
    assert_eq!(status.recv().await, Some(ListenerStatus::Connected));

    // Replicas that never finished their first sync may not take over: wait for every link.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cluster.nodes.iter().all(|n| {
        let role = sync_query(n, &["ROLE"]).unwrap_or_default();
        role.starts_with("master")
            || sync_query(n, &["INFO", "replication"])
                .is_ok_and(|i| i.contains("master_link_status:up"))
    }) {
        assert!(Instant::now() < deadline, "replicas never synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A consumer group on a stream in the same slot keeps going too.
    let key = format!("{{{channel}}}.ticks");
    let stream = MarketDataStream::new(conn.clone(), cfg.clone(), key.clone());
    stream.ensure_group("g", "0").await.unwrap();
    let processed = Arc::new(Mutex::new(HashSet::<u64>::new()));
    let seen = processed.clone();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new("g", "c1")
            .block(Duration::from_millis(200))
            .claim_idle(Duration::from_millis(500))
            .claim_interval(Duration::from_millis(300)),
        move |t| {
            let seen = seen.clone();
            async move {
                let seq = t.tick.extra.get("seq").and_then(|s| s.parse().ok());
                seen.lock().unwrap().insert(seq.ok_or("no seq")?);
                Ok::<(), &'static str>(())
            }
        },
    );
    // Publishes `seqs`, each confirmed by the replica (WAIT 1) when it has one, retrying failures.
    let publish = |seqs: std::ops::Range<u64>, replicated: bool| {
        let (mut c, key) = (conn.clone(), key.clone());
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            for seq in seqs {
                loop {
                    let tick =
                        MarketTick::new("ETHUSDT", 3000.0).with_extra("seq", seq.to_string());
                    let mut xadd = redis::cmd("XADD");
                    xadd.arg(&key).arg("*");
                    for (f, v) in tick.to_fields() {
                        xadd.arg(f).arg(v);
                    }
                    let mut pipe = redis::pipe();
                    pipe.add_command(xadd)
                        .cmd("WAIT")
                        .arg(i64::from(replicated))
                        .arg(500);
                    match pipe.query_async::<(String, i64)>(&mut c).await {
                        Ok((_, n)) if n >= 1 || !replicated => break,
                        _ => assert!(Instant::now() < deadline, "publish {seq} never confirmed"),
                    }
                }
            }
        }
    };
    let wait_processed = |n: usize| {
        let p = processed.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            while p.lock().unwrap().len() < n {
                assert!(Instant::now() < deadline, "consumer stalled below {n}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    publish(0..20, true).await;
    wait_processed(20).await;

    let node = cluster
        .nodes
        .iter()
        .find(|n| format!("127.0.0.1:{}", n.port()) == owner)
        .expect("owner is a fixture node");
    node.pause().unwrap();
    let paused_at = Instant::now();
    let deadline = paused_at + Duration::from_secs(30);
    let mut n = 0;
    let back_after = loop {
        n += 1;
        let body = format!("after-{n}");
        if let Ok(1) = manager.publish_sharded_raw(channel, body.as_bytes()).await {
            let msg = tokio::time::timeout(Duration::from_secs(2), queue.recv())
                .await
                .expect("a delivery for an accepted SPUBLISH")
                .unwrap();
            assert_eq!(msg.payload, body.into_bytes());
            break paused_at.elapsed();
        }
        assert!(
            Instant::now() < deadline,
            "the shard subscription never moved"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut seen = Vec::new();
    while let Ok(s) = status.try_recv() {
        seen.push(s);
    }
    assert!(
        matches!(seen.first(), Some(ListenerStatus::Disconnected { .. }))
            && seen
                .iter()
                .any(|s| matches!(s, ListenerStatus::Resubscribed { .. })),
        "{seen:?}"
    );
    let map = conn.slot_map().await.unwrap();
    assert_ne!(
        slot_owner(&map, key_slot(channel.as_bytes())),
        Some(owner.as_str()),
        "a replica serves the channel's slot now"
    );
    // The promoted replica has no replica of its own: publish without WAIT.
    publish(20..40, false).await;
    wait_processed(40).await;
    let consumed_after = paused_at.elapsed();
    let stats = consumer.stop_and_join().await.unwrap();
    assert_eq!(processed.lock().unwrap().len(), 40, "every entry processed");
    assert!(stats.acked >= 40, "{stats:?}");
    eprintln!(
        "frozen master: shard channel back after {back_after:?}, 40 of 40 entries consumed \
         after {consumed_after:?} ({} recovered errors)",
        stats.errors
    );
    listener.stop().await;
    node.resume().unwrap();
}

/// The fixture nodes that are masters now, and their `host:port` as the slot map names them.
fn masters(cluster: &RedisCluster) -> Vec<(&RedisServer, String)> {
    let ports = cluster.master_ports();
    cluster
        .nodes
        .iter()
        .filter(|n| ports.contains(&n.port()))
        .map(|n| (n, format!("127.0.0.1:{}", n.port())))
        .collect()
}

/// With an LFU policy on every master, OBJECT FREQ is read over a scan of each of them: keys
/// on three masters all appear, each with its own counter and its master.
async fn hot_keys_are_read_on_every_master(
    cluster: &RedisCluster,
    admin: &AdminService,
    conn: &Conn,
) {
    let masters = masters(cluster);
    assert_eq!(masters.len(), 3);
    let old_policy = sync_query(masters[0].0, &["CONFIG", "GET", "maxmemory-policy"]).unwrap();
    let old_policy = old_policy.lines().nth(1).unwrap().to_string();
    // Log factor 0: every access adds one to the counter (from 5 for a new key); no decay.
    for (node, _) in &masters {
        let args = [
            "CONFIG",
            "SET",
            "maxmemory-policy",
            "allkeys-lfu",
            "lfu-log-factor",
            "0",
            "lfu-decay-time",
            "0",
        ];
        sync_query(node, &args).unwrap();
    }
    let keys: Vec<String> = (0..9).map(|i| format!("hot:{i}")).collect();
    let owners = conn.slot_map().await.unwrap();
    assert_eq!(
        keys_per_master(conn, &keys).await.len(),
        3,
        "keys on every master"
    );
    let mut c = conn.clone();
    for (i, key) in keys.iter().enumerate() {
        let () = c.set(key, "v").await.unwrap();
        for _ in 0..(i + 1) * 3 {
            let _: String = c.get(key).await.unwrap();
        }
    }
    let job = admin
        .hotkeys()
        .start(HotkeysRequest {
            method: Some("lfu".into()),
            pattern: Some("hot:*".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        job.nodes.iter().collect::<HashSet<_>>(),
        masters.iter().map(|(_, a)| a).collect::<HashSet<_>>()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let job = loop {
        let j = admin.hotkeys().job(&job.id).unwrap();
        if j.state != JobState::Running {
            break j;
        }
        assert!(Instant::now() < deadline, "hot-keys job still running");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job.state, JobState::Done, "{:?}", job.error);
    assert_eq!(job.scanned, 9);
    let found: Vec<(String, u64, String)> = job
        .keys
        .iter()
        .map(|k| (k.key.text.clone(), k.count, k.node.clone()))
        .collect();
    let mut want: Vec<(String, u64, String)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let owner = slot_owner(&owners, key_slot(k.as_bytes())).unwrap();
            (k.clone(), 5 + (i as u64 + 1) * 3, owner.to_string())
        })
        .collect();
    want.reverse(); // hottest first
    assert_eq!(found, want);
    for (node, _) in &masters {
        let args = ["CONFIG", "SET", "maxmemory-policy", old_policy.as_str()];
        sync_query(node, &args).unwrap();
    }
    let () = c.del(&keys).await.unwrap();
}

/// LATENCY LATEST and HISTORY come from every master (not the replicas), each with its own
/// `command` spike.
async fn latency_is_read_on_every_master(cluster: &RedisCluster, admin: &AdminService) {
    let masters = masters(cluster);
    for (node, _) in &masters {
        sync_query(node, &["LATENCY", "RESET"]).unwrap();
        sync_query(node, &["CONFIG", "SET", "latency-monitor-threshold", "1"]).unwrap();
        // A slow script: a `command` spike of a few ms at least.
        let script = "local i = 0 while i < 3000000 do i = i + 1 end return i";
        sync_query(node, &["EVAL", script, "0"]).unwrap();
    }
    let reply = admin.latency().await.unwrap();
    let nodes: HashSet<&str> = reply.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(
        nodes,
        masters
            .iter()
            .map(|(_, a)| a.as_str())
            .collect::<HashSet<_>>()
    );
    for node in &reply.nodes {
        assert_eq!(node.threshold_ms, Some(1), "{}", node.node);
        let command = node
            .events
            .iter()
            .find(|e| e.event == "command")
            .unwrap_or_else(|| panic!("no command spike on {}: {node:?}", node.node));
        assert!(command.max_ms >= 1, "{command:?}");
        assert!(!command.history.is_empty(), "{command:?}");
        assert!(
            command.history.iter().any(|&(_, ms)| ms == command.max_ms),
            "the worst spike is in the history: {command:?}"
        );
    }
    for (node, _) in &masters {
        sync_query(node, &["CONFIG", "SET", "latency-monitor-threshold", "0"]).unwrap();
    }
}

/// A raw subscriber on one node (`args` is the subscribe command); open while it is kept.
async fn raw_subscriber(port: u16, args: &[&str]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut wire = format!("*{}\r\n", args.len());
    for a in args {
        wire.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(wire.as_bytes()).await.unwrap();
    s
}

/// Classic subscribers are counted where they are connected: NUMSUB and NUMPAT are summed over
/// the masters; SHARDNUMSUB is read on each shard channel's owner.
async fn pubsub_counts_add_up_over_the_masters(cluster: &RedisCluster, admin: &AdminService) {
    let masters = masters(cluster);
    let port = |i: usize| masters[i].0.port();
    let mut subscribers = vec![
        raw_subscriber(port(0), &["SUBSCRIBE", "census:a"]).await,
        raw_subscriber(port(1), &["SUBSCRIBE", "census:a", "census:b"]).await,
        raw_subscriber(port(2), &["SUBSCRIBE", "census:a"]).await,
        raw_subscriber(port(2), &["PSUBSCRIBE", "census:*"]).await,
        raw_subscriber(port(0), &["PSUBSCRIBE", "other:*"]).await,
    ];
    // A shard channel owned by each master, subscribed there twice.
    let conn = Conn::connect(&cluster.config()).await.unwrap();
    let map = conn.slot_map().await.unwrap();
    let mut want_shards = Vec::new();
    for (node, addr) in &masters {
        let channel = (0..)
            .map(|i| format!("census:shard{i}"))
            .find(|c| slot_owner(&map, key_slot(c.as_bytes())) == Some(addr.as_str()))
            .unwrap();
        subscribers.push(raw_subscriber(node.port(), &["SSUBSCRIBE", &channel]).await);
        subscribers.push(raw_subscriber(node.port(), &["SSUBSCRIBE", &channel]).await);
        want_shards.push((channel, 2));
    }
    want_shards.sort();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counts = admin
            .channels()
            .counts(&PubsubQuery {
                pattern: Some("census:*".into()),
            })
            .await
            .unwrap();
        let channels: Vec<(&str, u64)> = counts
            .channels
            .iter()
            .map(|c| (c.channel.as_str(), c.subscribers))
            .collect();
        let mut shards: Vec<(String, u64)> = counts
            .shard_channels
            .iter()
            .map(|c| (c.channel.clone(), c.subscribers))
            .collect();
        shards.sort();
        if channels == [("census:a", 3), ("census:b", 1)]
            && counts.patterns == 2
            && shards == want_shards
        {
            assert!(counts.sharded);
            assert_eq!(counts.nodes.len(), 3);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "counts never added up: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(subscribers);
}

/// The MONITOR view watches every master: commands on keys of three masters all show, each
/// line naming the master that ran it.
async fn monitor_view_watches_every_master(admin: &AdminService, conn: &Conn) {
    let view = admin
        .command_monitor()
        .start(MonitorStart {
            seconds: Some(60),
            confirm: true,
        })
        .await
        .unwrap();
    assert_eq!(view.status.state, MonitorState::Running);
    assert_eq!(view.status.nodes.len(), 3, "{:?}", view.status);
    let keys: Vec<String> = (0..9).map(|i| format!("watched:{i}")).collect();
    assert_eq!(keys_per_master(conn, &keys).await.len(), 3);
    let mut c = conn.clone();
    for k in &keys {
        let () = c.set(k, "x").await.unwrap();
    }
    let map = conn.slot_map().await.unwrap();
    let filter = MonitorFilter {
        command: Some("set".into()),
        key: Some("watched:".into()),
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let v = admin.command_monitor().view(&filter);
        if v.matched >= keys.len() {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} SETs seen",
            v.matched,
            keys.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut by_key: Vec<(String, String)> = seen
        .lines
        .iter()
        .map(|l| (l.key.clone().unwrap(), l.node.clone()))
        .collect();
    by_key.sort();
    let mut want: Vec<(String, String)> = keys
        .iter()
        .map(|k| {
            let owner = slot_owner(&map, key_slot(k.as_bytes())).unwrap();
            (k.clone(), owner.to_string())
        })
        .collect();
    want.sort();
    assert_eq!(by_key, want, "each SET once, on its key's master");
    let stopped = admin.command_monitor().stop().await;
    assert_eq!(stopped.status.state, MonitorState::Stopped);
    let () = c.del(&keys).await.unwrap();
}

/// The database list counts the keys of every master, as DBSIZE on each of them adds up.
async fn databases_count_the_keys_of_every_master(admin: &AdminService, conn: &Conn) {
    let mut keys = 0u64;
    for m in conn.masters().await.unwrap() {
        let n: u64 = redis::cmd("DBSIZE")
            .query_async(&mut m.conn.clone())
            .await
            .unwrap();
        assert!(n > 0, "every master holds keys by now");
        keys += n;
    }
    let dbs = admin.browser().databases(None).await.unwrap();
    assert!(!dbs.selectable);
    let listed: Vec<(i64, u64)> = dbs.databases.iter().map(|d| (d.db, d.keys)).collect();
    assert_eq!(listed, [(0, keys)]);
}
