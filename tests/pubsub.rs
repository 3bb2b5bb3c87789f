//! Pub/sub on a real server: every message published while connected arrives; after a server
//! restart the listener re-subscribes by itself and reports the gap; garbage is delivered raw;
//! Python (redis-py) and Rust read each other's trading messages.

use std::process::Stdio;
use std::time::{Duration, Instant};

use redscope::events::{channels, Body, FlatEvent, MessageType, Payload, Severity, TradeSignal};
use redscope::pubsub::{ListenerOptions, ListenerStatus, PubSubManager, Received};
use redscope_testing::{self as testing, RedisServer};
use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(15);

fn fast_options() -> ListenerOptions {
    ListenerOptions {
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(300),
        ping_interval: Duration::from_millis(500),
        ..ListenerOptions::default()
    }
}

async fn next(rx: &mut mpsc::Receiver<Received>) -> Received {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a message within the deadline")
        .expect("listener still running")
}

fn signal(seq: u64) -> Payload {
    let mut extra = Map::new();
    extra.insert("seq".into(), Value::from(seq));
    Payload::TradeSignal(TradeSignal {
        symbol: "AAPL".into(),
        signal: "BUY".into(),
        confidence: 0.85,
        extra,
    })
}

fn seq_of(r: &Received) -> u64 {
    match r.payload() {
        Some(Ok(Payload::TradeSignal(s))) => s.extra["seq"].as_u64().expect("seq"),
        other => panic!("not a trade signal: {other:?} ({:?})", r.body),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receives_every_message_and_resubscribes_after_a_restart() {
    let mut server = RedisServer::start().unwrap();
    let manager = PubSubManager::connect(&server.config(), "rust-test")
        .await
        .unwrap();
    let mut builder = manager.listener().options(fast_options());
    let mut signals = builder.channel(channels::SIGNALS);
    let mut flat = builder.pattern("signals.*");
    let mut status = builder.status();
    let stop = CancellationToken::new();
    let listener = builder.start(stop.clone()).await.unwrap();
    assert_eq!(status.recv().await, Some(ListenerStatus::Connected));

    // Every message published while connected arrives, in order.
    const N: u64 = 2_000;
    for seq in 0..N {
        assert_eq!(manager.publish_payload(&signal(seq)).await.unwrap(), 1);
    }
    for seq in 0..N {
        let r = next(&mut signals).await;
        assert_eq!(r.channel, channels::SIGNALS);
        assert_eq!(r.message_type(), Some(&MessageType::TradeSignal));
        assert_eq!(seq_of(&r), seq);
    }
    for i in 0..50u64 {
        let ev = FlatEvent::new(channels::SIGNALS_GENERATED).with("batch", i);
        assert_eq!(manager.publish_event(&ev).await.unwrap(), 1);
    }
    for i in 0..50u64 {
        let r = next(&mut flat).await;
        assert_eq!(r.pattern.as_deref(), Some("signals.*"));
        assert_eq!(r.channel, channels::SIGNALS_GENERATED);
        assert_eq!(r.event().expect("flat event").fields["batch"], i);
    }
    assert_eq!(listener.counts().received, N + 50);

    // The server dies and comes back: the listener notices, re-subscribes, reports the gap.
    let killed_at = Instant::now();
    server.kill();
    let lost = tokio::time::timeout(WAIT, status.recv()).await.unwrap();
    assert!(
        matches!(lost, Some(ListenerStatus::Disconnected { .. })),
        "{lost:?}"
    );
    server.restart().unwrap();
    let restarted_after = killed_at.elapsed();

    // Publish probes until the first arrives: the listener is subscribed again.
    let deadline = Instant::now() + WAIT;
    let mut probes = 0u64;
    let first = loop {
        assert!(Instant::now() < deadline, "never re-subscribed");
        // The publishing connection reconnects on its own too; errors while it does are fine.
        let _ = manager.publish_payload(&signal(1_000_000 + probes)).await;
        probes += 1;
        if let Ok(Some(r)) = tokio::time::timeout(Duration::from_millis(50), signals.recv()).await {
            break r;
        }
    };
    assert!(seq_of(&first) >= 1_000_000);
    let back = tokio::time::timeout(WAIT, status.recv()).await.unwrap();
    let Some(ListenerStatus::Resubscribed { outage, attempts }) = back else {
        panic!("expected a Resubscribed status, got {back:?}");
    };
    assert!(attempts >= 1);
    assert!(
        outage > Duration::ZERO && outage < WAIT,
        "outage {outage:?}"
    );
    assert!(
        outage + Duration::from_secs(1) >= restarted_after.saturating_sub(Duration::from_secs(1)),
        "gap {outage:?} shorter than the downtime {restarted_after:?}"
    );
    // Late probes may still be in flight: drain them before counting the next batch.
    while let Ok(Some(r)) = tokio::time::timeout(Duration::from_millis(200), signals.recv()).await {
        assert!(seq_of(&r) >= 1_000_000);
    }

    const M: u64 = 500;
    for seq in 0..M {
        assert_eq!(manager.publish_payload(&signal(seq)).await.unwrap(), 1);
    }
    for seq in 0..M {
        assert_eq!(seq_of(&next(&mut signals).await), seq);
    }
    // The pattern subscription came back too.
    let ev = FlatEvent::new(channels::SIGNALS_GENERATED).with("after", "restart");
    assert_eq!(manager.publish_event(&ev).await.unwrap(), 1);
    assert_eq!(
        next(&mut flat).await.event().unwrap().fields["after"],
        "restart"
    );
    assert_eq!(listener.counts().reconnects, 1);
    assert_eq!(listener.counts().dropped, 0);

    // Stopping closes the subscription: nobody receives afterwards.
    stop.cancel();
    listener.stop().await;
    let deadline = Instant::now() + WAIT;
    while manager.publish_heartbeat().await.unwrap() != 0 {
        assert!(Instant::now() < deadline, "still subscribed after stop");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(signals.recv().await.is_none(), "queue closed after stop");
}

#[tokio::test]
async fn undecodable_payloads_are_delivered_raw_and_the_listener_keeps_going() {
    let server = RedisServer::start().unwrap();
    let manager = PubSubManager::connect(&server.config(), "rust-test")
        .await
        .unwrap();
    let mut builder = manager.listener();
    let mut alerts = builder.channel(channels::ALERTS);
    let listener = builder.start(CancellationToken::new()).await.unwrap();

    let garbage: &[u8] = b"\xff\x00\xfe not json";
    assert_eq!(
        manager
            .publish_raw(channels::ALERTS, garbage)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        manager
            .publish_raw(
                channels::ALERTS,
                br#"{"type":"RISK_ALERT","timestamp":"soon"}"#
            )
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        manager
            .publish_alert("risk", "Daily loss limit approaching", Severity::Warning)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        manager
            .publish_alert("price", "AAPL crossed 180", Severity::Info)
            .await
            .unwrap(),
        1
    );

    let r = next(&mut alerts).await;
    assert!(matches!(r.body, Body::Undecodable { .. }));
    assert_eq!(r.payload, garbage, "raw bytes kept");
    assert!(matches!(
        next(&mut alerts).await.body,
        Body::Undecodable { .. }
    ));
    let risk = next(&mut alerts).await;
    let Ok(Payload::RiskAlert(a)) = risk.envelope().unwrap().payload() else {
        panic!("not a risk alert: {:?}", risk.body);
    };
    assert_eq!(
        (a.alert_type.as_str(), a.severity),
        ("risk", Severity::Warning)
    );
    assert_eq!(risk.envelope().unwrap().source, "rust-test");
    let price = next(&mut alerts).await;
    assert_eq!(price.message_type(), Some(&MessageType::PriceAlert));
    assert_eq!(listener.counts().received, 4);
    assert_eq!(listener.counts().undecodable, 2);

    // Bad input is refused before publishing.
    assert_eq!(
        manager
            .publish_trade_signal("AAPL", "BUY", 1.5)
            .await
            .unwrap_err()
            .kind(),
        redscope::ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn a_listener_on_a_dead_server_or_with_a_wrong_password_fails_to_start() {
    let server = RedisServer::builder()
        .password("s3cret-pw")
        .start()
        .unwrap();
    let mut cfg = server.config();
    cfg.password = Some(redscope::Secret::new("wrong-password"));
    let manager = PubSubManager::new(
        redscope::conn::Conn::connect(&server.config())
            .await
            .unwrap(),
        cfg,
        "rust-test",
    );
    let mut builder = manager.listener();
    let _rx = builder.channel(channels::SYSTEM);
    let err = builder.start(CancellationToken::new()).await.err().unwrap();
    assert_eq!(err.kind(), redscope::ErrorKind::Auth, "{err:?}");
    assert!(!err.to_string().contains("wrong-password"));

    let mut dead = RedisServer::start().unwrap();
    let cfg = dead.config();
    dead.kill();
    let manager = PubSubManager::new(
        redscope::conn::Conn::connect(&server.config())
            .await
            .unwrap(),
        cfg,
        "rust-test",
    );
    let mut builder = manager.listener();
    let _rx = builder.channel(channels::SYSTEM);
    let err = builder.start(CancellationToken::new()).await.err().unwrap();
    assert!(err.is_connection(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_rust_read_each_others_messages() {
    let server = RedisServer::start().unwrap();
    let manager = PubSubManager::connect(&server.config(), "rust-test")
        .await
        .unwrap();
    let script_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python");

    // Python publishes; Rust decodes.
    let mut builder = manager.listener();
    let mut all = builder.pattern("trading:*");
    let mut events = builder.pattern("*.*");
    let listener = builder.start(CancellationToken::new()).await.unwrap();
    let out = tokio::process::Command::new(testing::python())
        .arg(script_dir.join("pubsub_publish.py"))
        .arg(server.url())
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    let counts: Vec<&str> = printed.lines().collect();
    assert_eq!(counts.len(), 6, "{printed}");
    // Each trading:* message matched one pattern, the flat events another.
    assert!(counts.iter().all(|l| l.ends_with(" 1")), "{printed}");

    let mut types = Vec::new();
    for _ in 0..4 {
        let r = next(&mut all).await;
        let env = r
            .envelope()
            .unwrap_or_else(|| panic!("{:?}", r.body))
            .clone();
        assert_eq!(env.source, "py-signal-service");
        assert!((chrono::Utc::now() - env.timestamp).num_seconds().abs() < 60);
        match env.payload().unwrap() {
            Payload::TradeSignal(s) => {
                assert_eq!((s.symbol.as_str(), s.confidence), ("AAPL", 0.85))
            }
            Payload::OrderUpdate(o) => assert_eq!(o.status, "FILLED"),
            Payload::RiskAlert(a) => assert_eq!(a.severity, Severity::Warning),
            Payload::Heartbeat(h) => assert_eq!(h.extra["service"], "py-signal-service"),
            other => panic!("unexpected {other:?}"),
        }
        types.push(env.message_type.to_string());
    }
    assert_eq!(
        types,
        ["TRADE_SIGNAL", "ORDER_UPDATE", "RISK_ALERT", "HEARTBEAT"]
    );
    let sig = next(&mut events).await;
    let ev = sig.event().expect("flat event").signal_event().unwrap();
    assert_eq!(ev.strategy_id, "alpha_baseline");
    assert_eq!(ev.symbols, ["AAPL", "MSFT", "GOOGL"]);
    assert_eq!(ev.num_signals, 3);
    let exec = next(&mut events).await;
    assert_eq!(exec.channel, channels::ORDERS_EXECUTED);
    assert_eq!(exec.event().unwrap().fields["order_ids"][1], "ORD002");
    assert_eq!(listener.counts().undecodable, 0);
    listener.stop().await;

    // Rust publishes; a redis-py subscriber decodes.
    let mut child = tokio::process::Command::new(testing::python())
        .arg(script_dir.join("pubsub_subscribe.py"))
        .arg(server.url())
        .arg("5")
        .args([
            channels::SIGNALS,
            channels::ORDERS,
            channels::POSITIONS,
            channels::SYSTEM,
            channels::SIGNALS_GENERATED,
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ready.as_deref(), Some("READY"));
    assert_eq!(
        manager
            .publish_trade_signal("MSFT", "SELL", 0.6)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        manager
            .publish_order_update("ORD7", "NEW", "MSFT")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        manager
            .publish_position_update("MSFT", -25.0)
            .await
            .unwrap(),
        1
    );
    assert_eq!(manager.publish_heartbeat().await.unwrap(), 1);
    let ev = redscope::events::SignalEvent::new(
        "alpha_baseline",
        vec!["AAPL".into(), "MSFT".into()],
        "2025-01-17",
    );
    assert_eq!(manager.publish_signal_event(&ev).await.unwrap(), 1);

    let mut got = Vec::new();
    while let Some(line) = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
    {
        got.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    assert!(child.wait().await.unwrap().success(), "{got:?}");
    assert_eq!(got.len(), 5, "{got:?}");
    assert!(got.iter().all(|g| g["age_ok"] == true), "{got:?}");
    assert_eq!(got[0]["type"], "TRADE_SIGNAL");
    assert_eq!(got[0]["data"]["signal"], "SELL");
    assert_eq!(got[0]["source"], "rust-test");
    assert_eq!(got[1]["data"]["order_id"], "ORD7");
    assert_eq!(got[2]["channel"], channels::POSITIONS);
    assert_eq!(got[2]["data"]["quantity"], -25.0);
    assert_eq!(got[3]["type"], "HEARTBEAT");
    assert_eq!(got[4]["kind"], "event");
    assert_eq!(got[4]["fields"]["num_signals"], 2);
    assert_eq!(got[4]["fields"]["as_of_date"], "2025-01-17");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_is_noticed_by_ping_and_handlers_resume_after_it_thaws() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    let server = RedisServer::start().unwrap();
    let mut cfg = server.config();
    cfg.connect_timeout = Duration::from_millis(400);
    cfg.response_timeout = Duration::from_millis(400);
    let manager = PubSubManager::connect(&cfg, "rust-test").await.unwrap();
    let mut builder = manager.listener().options(ListenerOptions {
        ping_interval: Duration::from_millis(200),
        ..fast_options()
    });
    let system = builder.channel(channels::SYSTEM);
    let mut status = builder.status();
    let stop = CancellationToken::new();
    let listener = builder.start(stop.clone()).await.unwrap();
    assert_eq!(status.recv().await, Some(ListenerStatus::Connected));

    // An async closure per channel: counts heartbeats and batch events, fails on garbage.
    let heartbeats = Arc::new(AtomicU64::new(0));
    let batch = Arc::new(AtomicU64::new(0));
    let (h, b) = (heartbeats.clone(), batch.clone());
    let handler = redscope::pubsub::spawn_handler(system, stop.clone(), move |msg| {
        let (h, b) = (h.clone(), b.clone());
        async move {
            match msg.message_type() {
                Some(MessageType::Heartbeat) => h.fetch_add(1, Ordering::SeqCst),
                Some(MessageType::SystemEvent) => b.fetch_add(1, Ordering::SeqCst),
                _ => return Err(redscope::Error::Codec("not a system message".into())),
            };
            Ok(())
        }
    });
    let wait_for = |counter: Arc<AtomicU64>, n: u64| async move {
        let deadline = Instant::now() + WAIT;
        while counter.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "{} of {n}",
                counter.load(Ordering::SeqCst)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    assert_eq!(
        manager
            .publish_raw(channels::SYSTEM, b"garbage")
            .await
            .unwrap(),
        1
    );
    for _ in 0..10 {
        assert_eq!(manager.publish_heartbeat().await.unwrap(), 1);
    }
    wait_for(heartbeats.clone(), 10).await;

    // SIGSTOP: the socket stays open but nothing answers; only the PING timeout can tell.
    server.pause().unwrap();
    let lost = tokio::time::timeout(WAIT, status.recv()).await.unwrap();
    assert!(
        matches!(lost, Some(ListenerStatus::Disconnected { .. })),
        "{lost:?}"
    );
    server.resume().unwrap();
    let back = tokio::time::timeout(WAIT, status.recv()).await.unwrap();
    assert!(
        matches!(back, Some(ListenerStatus::Resubscribed { outage, .. }) if outage > Duration::ZERO),
        "{back:?}"
    );
    for i in 0..100u64 {
        let mut details = Map::new();
        details.insert("i".into(), Value::from(i));
        manager
            .publish_system_event("batch", details)
            .await
            .unwrap();
    }
    wait_for(batch.clone(), 100).await;
    assert_eq!(heartbeats.load(Ordering::SeqCst), 10);

    stop.cancel();
    listener.stop().await;
    assert_eq!(
        handler.await.unwrap(),
        1,
        "one handler failure (the garbage)"
    );
    assert_eq!(batch.load(Ordering::SeqCst), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_a_listener_receives_what_any_node_publishes() {
    let cluster = testing::RedisCluster::start().unwrap();
    let manager = PubSubManager::connect(&cluster.config(), "rust-test")
        .await
        .unwrap();
    let mut builder = manager.listener().options(fast_options());
    let mut orders = builder.channel(channels::ORDERS);
    let listener = builder.start(CancellationToken::new()).await.unwrap();
    // PUBLISH goes to whichever node redis-rs picks; the cluster bus forwards it to all nodes.
    // (Its reply counts the subscribers of that node only, so it is not asserted here.)
    for i in 0..200 {
        manager
            .publish_order_update(&format!("ORD{i}"), "FILLED", "AAPL")
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for _ in 0..200 {
        let r = next(&mut orders).await;
        let Ok(Payload::OrderUpdate(o)) = r.envelope().unwrap().payload() else {
            panic!("{:?}", r.body);
        };
        ids.push(o.order_id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "200 distinct orders of 200");
    assert_eq!(listener.counts().received, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_sentinel_the_listener_follows_a_failover() {
    let mut set = testing::SentinelSet::start().unwrap();
    let manager = PubSubManager::connect(&set.config(), "rust-test")
        .await
        .unwrap();
    let mut builder = manager.listener().options(fast_options());
    let mut positions = builder.channel(channels::POSITIONS);
    let mut status = builder.status();
    let listener = builder.start(CancellationToken::new()).await.unwrap();
    assert_eq!(status.recv().await, Some(ListenerStatus::Connected));
    for i in 0..20 {
        assert_eq!(
            manager
                .publish_position_update("AAPL", i as f64)
                .await
                .unwrap(),
            1
        );
    }
    for _ in 0..20 {
        assert!(next(&mut positions).await.envelope().is_some());
    }

    // The master dies; the Sentinels promote the replica; the listener asks them again.
    set.master.kill();
    let deadline = Instant::now() + Duration::from_secs(40);
    let first = loop {
        assert!(
            Instant::now() < deadline,
            "never re-subscribed to the new master"
        );
        let _ = manager.publish_position_update("PROBE", 0.0).await;
        if let Ok(Some(r)) =
            tokio::time::timeout(Duration::from_millis(100), positions.recv()).await
        {
            break r;
        }
    };
    let Ok(Payload::PositionUpdate(p)) = first.envelope().unwrap().payload() else {
        panic!("{:?}", first.body);
    };
    assert_eq!(p.symbol, "PROBE");
    let mut saw_resubscribed = false;
    while let Ok(s) = status.try_recv() {
        saw_resubscribed |= matches!(s, ListenerStatus::Resubscribed { .. });
    }
    assert!(saw_resubscribed, "the gap was reported");
    assert_eq!(listener.counts().reconnects, 1);
    assert_eq!(first.envelope().unwrap().source, "rust-test");
}
