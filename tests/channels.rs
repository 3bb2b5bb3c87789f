//! Channel monitor: exact counts under load, a bounded ring, batches on the bus and over
//! `WS /api/events` at most 10 a second, resubscription after a server restart, publish.

use std::time::{Duration, Instant};

use futures::StreamExt;
use redscope_admin::channels::{MonitorRequest, PublishRequest, RECENT_CAPACITY};
use redscope_admin::Event;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::{sync_query, RedisServer};

mod api;
use api::{serve, TOKEN};

fn request(channels: &[&str], patterns: &[&str]) -> MonitorRequest {
    MonitorRequest {
        channels: channels.iter().map(|s| s.to_string()).collect(),
        patterns: patterns.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// Publishes `n` messages on `channel` in pipelines of 1000 from a separate connection.
async fn publish_many(url: &str, channel: &str, n: usize, payload: impl Fn(usize) -> String) {
    let client = redis::Client::open(url).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let mut i = 0;
    while i < n {
        let mut pipe = redis::pipe();
        for j in i..(i + 1000).min(n) {
            pipe.cmd("PUBLISH").arg(channel).arg(payload(j)).ignore();
        }
        let () = pipe.query_async(&mut c).await.unwrap();
        i += 1000;
    }
}

async fn wait_total(service: &AdminService, want: u64) -> redscope_admin::channels::MonitorStats {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = service
            .channels()
            .monitor_stats(Some(RECENT_CAPACITY))
            .unwrap();
        if stats.total >= want {
            return stats;
        }
        assert!(
            Instant::now() < deadline,
            "monitor counted {} of {want}",
            stats.total
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_is_counted_and_batches_account_for_the_rest() {
    let redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let mut bus = service.events();
    let started = service
        .channels()
        .monitor(request(&["trading:signals"], &["orders.*"]))
        .await
        .unwrap();
    assert!(started.connected, "{started:?}");
    assert_eq!(started.total, 0);

    const N: usize = 50_000;
    publish_many(&redis.url(), "trading:signals", N, |i| format!("tick {i}")).await;
    publish_many(&redis.url(), "orders.executed", 20, |i| {
        format!(r#"{{"event_type":"orders.executed","n":{i}}}"#)
    })
    .await;
    let stats = wait_total(&service, (N + 20) as u64).await;
    assert_eq!(stats.total, (N + 20) as u64, "counts are exact, never more");
    assert_eq!(stats.channels.len(), 2);
    assert_eq!(
        (stats.channels[0].name.as_str(), stats.channels[0].count),
        ("trading:signals", N as u64)
    );
    assert_eq!(
        (
            stats.channels[1].name.as_str(),
            stats.channels[1].pattern.as_deref(),
            stats.channels[1].count
        ),
        ("orders.executed", Some("orders.*"), 20)
    );
    assert_eq!(stats.recent.len(), RECENT_CAPACITY, "the ring is bounded");
    let last = stats.recent.last().unwrap();
    assert_eq!(
        last.json.as_ref().unwrap()["n"],
        19,
        "JSON payloads are decoded"
    );
    assert_eq!(stats.recent[0].payload.text, format!("tick {}", N - 980));

    // Batches: what was shown plus what was dropped from view is everything received.
    let (mut shown, mut dropped, mut batches) = (0u64, 0u64, 0u32);
    let deadline = Instant::now() + Duration::from_secs(10);
    while shown + dropped < (N + 20) as u64 {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::ChannelBatch(redscope_admin::channels::Batch {
                messages,
                dropped: d,
                ..
            }))) => {
                assert!(messages.len() <= 100);
                shown += messages.len() as u64;
                dropped += d;
                batches += 1;
            }
            Ok(Ok(_)) => {}
            other => panic!("bus ended early: {other:?} after {shown}+{dropped}"),
        }
    }
    assert_eq!(shown + dropped, (N + 20) as u64);
    assert!(batches >= 1);
    service.channels().monitor_stop().await;
    assert!(service.channels().monitor_stats(None).is_err(), "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_gets_channel_batches_at_most_ten_a_second() {
    let redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let addr = serve(service).await;
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/api/events?token={TOKEN}"))
            .await
            .unwrap();
    let http = reqwest::Client::new();
    let res = http
        .post(format!("http://{addr}/api/monitor"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"channels": ["ticks"], "patterns": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let url = redis.url();
    let publisher = tokio::spawn(async move {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let until = Instant::now() + Duration::from_millis(2500);
        while Instant::now() < until {
            let mut pipe = redis::pipe();
            for _ in 0..200 {
                pipe.cmd("PUBLISH").arg("ticks").arg(r#"{"px":1}"#).ignore();
            }
            let () = pipe.query_async(&mut c).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let mut arrivals = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(Some(Ok(msg))) = tokio::time::timeout(left, ws.next()).await else {
            break;
        };
        let Ok(text) = msg.to_text() else { continue };
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        if v["type"] == "channel_batch" {
            assert!(v["messages"].as_array().unwrap().len() <= 100);
            assert_eq!(v["messages"][0]["json"]["px"], 1, "{v}");
            assert!(v["dropped"].is_u64());
            arrivals.push(Instant::now());
        }
    }
    publisher.await.unwrap();
    assert!(
        arrivals.len() >= 5,
        "only {} batches in 2 s",
        arrivals.len()
    );
    // Any one-second window holds at most 10 batches (one extra for timer jitter at the edges).
    for (i, t) in arrivals.iter().enumerate() {
        let within = arrivals[i..]
            .iter()
            .take_while(|u| u.duration_since(*t) < Duration::from_secs(1))
            .count();
        assert!(within <= 11, "{within} batches within one second");
    }
}

#[tokio::test]
async fn the_monitor_resubscribes_after_a_server_restart() {
    let mut redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    service
        .channels()
        .monitor(request(&["alerts"], &[]))
        .await
        .unwrap();
    publish_many(&redis.url(), "alerts", 10, |i| format!("a{i}")).await;
    wait_total(&service, 10).await;

    redis.restart().unwrap();
    // Publish until a subscriber receives it: only our monitor subscribes, so 1 receiver means
    // it is back.
    let client = redis::Client::open(redis.url()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut sent = 0;
    loop {
        if let Ok(mut c) = client.get_multiplexed_async_connection().await {
            let receivers: i64 = redis::cmd("PUBLISH")
                .arg("alerts")
                .arg("after restart")
                .query_async(&mut c)
                .await
                .unwrap_or(0);
            sent += receivers;
            if receivers == 1 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the monitor never resubscribed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = wait_total(&service, 10 + sent as u64).await;
    assert_eq!(stats.total, 11);
    assert_eq!(stats.recent.last().unwrap().payload.text, "after restart");
    assert!(stats.connected);
}

#[tokio::test]
async fn publish_and_bad_requests_over_http() {
    let redis = RedisServer::start().unwrap();
    let addr = serve(AdminService::new(redis.config(), AdminOptions::default())).await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("http://{addr}/api/monitor"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"channels": [], "patterns": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input");
    let res = http
        .post(format!("http://{addr}/api/monitor"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{\"channels\": 7}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["code"], "invalid_input",
        "a malformed body is a JSON error"
    );
    let res = http
        .get(format!("http://{addr}/api/monitor"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "no monitor yet");
    let stats: serde_json::Value = http
        .post(format!("http://{addr}/api/monitor"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"channels": ["news"], "patterns": ["px.*"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["subscribed_patterns"][0], "px.*");
    let reply: serde_json::Value = http
        .post(format!("http://{addr}/api/publish"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"channel": "px.btc", "message": "42"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["receivers"], 1, "our own monitor received it");
    let res = http
        .delete(format!("http://{addr}/api/monitor"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let ro = AdminService::new(redis.config(), AdminOptions { read_only: true });
    let err = ro
        .channels()
        .publish(PublishRequest {
            channel: "x".into(),
            message: "y".into(),
            sharded: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), redscope::ErrorKind::ReadOnly);
}

async fn next_state(
    bus: &mut tokio::sync::broadcast::Receiver<Event>,
) -> (redscope_admin::ConnState, Option<String>) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::ConnState(redscope_admin::session::ConnChange {
                state, error, ..
            }))) => return (state, error),
            Ok(Ok(_)) => {}
            other => panic!("no conn_state event: {other:?}"),
        }
    }
}

#[tokio::test]
async fn conn_state_events_follow_the_server() {
    use redscope_admin::ConnState;
    let mut redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let mut bus = service.events();
    assert_eq!(next_state(&mut bus).await.0, ConnState::Connected);
    redis.kill();
    let (state, error) = next_state(&mut bus).await;
    assert_eq!(state, ConnState::Down);
    assert!(error.is_some());
    redis.restart().unwrap();
    assert_eq!(next_state(&mut bus).await.0, ConnState::Connected);
}

#[tokio::test]
async fn a_huge_binary_payload_is_counted_and_shown_truncated() {
    let redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    service
        .channels()
        .monitor(request(&["blobs"], &[]))
        .await
        .unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let big: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let _: i64 = redis::cmd("PUBLISH")
        .arg("blobs")
        .arg(&big)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: i64 = redis::cmd("PUBLISH")
        .arg("blobs")
        .arg(b"\xff\x00small")
        .query_async(&mut c)
        .await
        .unwrap();
    let stats = wait_total(&service, 2).await;
    assert_eq!(stats.total, 2);
    let (first, second) = (&stats.recent[0], &stats.recent[1]);
    assert_eq!(first.length, big.len());
    let kept = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        &first.payload.b64,
    )
    .unwrap();
    assert_eq!(kept, big[..redscope_admin::channels::PAYLOAD_KEEP]);
    assert!(first.payload.binary && first.json.is_none());
    assert_eq!(
        (second.length, second.payload.text.as_str()),
        (7, "\\xff\\x00small")
    );
}

#[tokio::test]
async fn a_hung_server_is_noticed_and_the_monitor_recovers() {
    let redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    service
        .channels()
        .monitor(request(&["hb"], &[]))
        .await
        .unwrap();
    redis.pause().unwrap();
    let wait_connected = |want: bool| {
        let service = service.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(20);
            while service.channels().monitor_stats(None).unwrap().connected != want {
                assert!(Instant::now() < deadline, "connected never became {want}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    wait_connected(false).await;
    redis.resume().unwrap();
    wait_connected(true).await;
    let receivers: i64 = sync_publish(&redis, "hb", "alive");
    assert_eq!(receivers, 1);
    assert_eq!(wait_total(&service, 1).await.total, 1);
}

fn sync_publish(redis: &RedisServer, channel: &str, message: &str) -> i64 {
    redscope_testing::sync_query(redis, &["PUBLISH", channel, message])
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A raw client connection that sent `args` (a subscription) and stays open.
async fn subscriber(port: u16, args: &[&str]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut out = format!("*{}\r\n", args.len());
    for a in args {
        out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    s.write_all(out.as_bytes()).await.unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pubsub_counts_show_channels_patterns_and_sharded_channels_with_their_subscribers() {
    let redis = RedisServer::start().unwrap();
    let api = api::Api::start(redis.config(), true).await;
    let (st, none) = api.get("/api/pubsub").await;
    assert_eq!(st, 200, "{none}");
    assert_eq!(
        (
            none["channels"].as_array().unwrap().len(),
            &none["patterns"]
        ),
        (0, &serde_json::json!(0))
    );
    assert_eq!(none["sharded"], true, "Redis 7 has sharded pub/sub");
    let port = redis.port();
    let _subs = [
        subscriber(port, &["SUBSCRIBE", "trading:signals", "trading:orders"]).await,
        subscriber(port, &["SUBSCRIBE", "trading:signals"]).await,
        subscriber(port, &["PSUBSCRIBE", "trading:*", "alerts:*"]).await,
        subscriber(port, &["SSUBSCRIBE", "book:{BTC}"]).await,
        subscriber(port, &["SSUBSCRIBE", "book:{BTC}"]).await,
        subscriber(port, &["SUBSCRIBE", "other"]).await,
    ];
    let want = serde_json::json!([
        {"channel": "trading:signals", "subscribers": 2},
        {"channel": "other", "subscribers": 1},
        {"channel": "trading:orders", "subscribers": 1},
    ]);
    let all = api
        .poll("/api/pubsub", Duration::from_secs(10), |v| {
            v["channels"] == want
                && v["shard_channels"]
                    .as_array()
                    .is_some_and(|s| !s.is_empty())
        })
        .await;
    assert_eq!(all["patterns"], 2, "{all}");
    assert_eq!(
        all["shard_channels"],
        serde_json::json!([{"channel": "book:{BTC}", "subscribers": 2}])
    );
    assert_eq!(all["truncated"], false);
    let (_, trading) = api.get("/api/pubsub?pattern=trading:*").await;
    assert_eq!(
        trading["channels"],
        serde_json::json!([
            {"channel": "trading:signals", "subscribers": 2},
            {"channel": "trading:orders", "subscribers": 1},
        ])
    );
    assert_eq!(trading["shard_channels"], serde_json::json!([]));
}

/// Redis 7 shard channels on a single server: SSUBSCRIBE beside SUBSCRIBE on the monitor's
/// connection; a classic and a shard channel of the same name are counted apart and each
/// message says which kind it came from; SPUBLISH goes through `publish` with `sharded`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shard_channels_on_a_single_server_are_monitored_and_marked() {
    let redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let started = service
        .channels()
        .monitor(MonitorRequest {
            channels: vec!["news".into()],
            patterns: vec![],
            shard_channels: vec!["news".into(), "orders:{eu}".into()],
        })
        .await
        .unwrap();
    assert!(started.connected, "{started:?}");
    assert_eq!(
        started.subscribed_shard_channels,
        ["news".to_string(), "orders:{eu}".to_string()]
    );
    // The server itself lists our shard subscriptions.
    let shardnumsub = sync_query(&redis, &["PUBSUB", "SHARDNUMSUB", "news", "orders:{eu}"]);
    assert_eq!(shardnumsub.unwrap(), "news\n1\norders:{eu}\n1");

    let publish = |channel: &str, message: &str, sharded: bool| PublishRequest {
        channel: channel.into(),
        message: message.into(),
        sharded,
    };
    let channels = service.channels();
    let sent = channels.publish(publish("news", "classic", false)).await;
    assert_eq!(sent.unwrap().receivers, 1);
    for i in 0..3 {
        let r = channels.publish(publish("news", &format!("shard {i}"), true));
        assert_eq!(
            r.await.unwrap().receivers,
            1,
            "SPUBLISH reaches the monitor"
        );
    }
    let r = channels.publish(publish("orders:{eu}", r#"{"id":7}"#, true));
    assert_eq!(r.await.unwrap().receivers, 1);
    // A classic PUBLISH on a shard-only name reaches nobody.
    let r = channels.publish(publish("orders:{eu}", "classic", false));
    assert_eq!(r.await.unwrap().receivers, 0);

    let stats = wait_total(&service, 5).await;
    assert_eq!(stats.total, 5);
    let rows: Vec<(&str, bool, u64)> = stats
        .channels
        .iter()
        .map(|c| (c.name.as_str(), c.sharded, c.count))
        .collect();
    assert_eq!(
        rows,
        [
            ("news", true, 3),
            ("news", false, 1),
            ("orders:{eu}", true, 1)
        ]
    );
    let kinds: Vec<(&str, &str, bool)> = stats
        .recent
        .iter()
        .map(|m| (m.channel.as_str(), m.payload.text.as_str(), m.sharded))
        .collect();
    assert_eq!(
        kinds,
        [
            ("news", "classic", false),
            ("news", "shard 0", true),
            ("news", "shard 1", true),
            ("news", "shard 2", true),
            ("orders:{eu}", r#"{"id":7}"#, true),
        ]
    );
    assert_eq!(
        stats.recent.last().unwrap().json,
        Some(serde_json::json!({"id": 7}))
    );

    let err = channels
        .monitor(MonitorRequest {
            shard_channels: vec![String::new()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), redscope::ErrorKind::InvalidInput);
    // The refused request left the running monitor alone.
    assert!(channels.monitor_stats(Some(0)).unwrap().connected);
    channels.monitor_stop().await;
    // The server lets go of the subscription once it sees the connection close.
    let deadline = Instant::now() + Duration::from_secs(5);
    while sync_query(&redis, &["PUBSUB", "SHARDNUMSUB", "news"]).unwrap() != "news\n0" {
        assert!(
            Instant::now() < deadline,
            "the shard subscription outlived the monitor"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
