//! Stream viewer on a real server: XINFO/XPENDING shapes with a real consumer group and pending
//! entries, paged entries (binary key too), and live tails that deliver XADDs and stop.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use redscope_admin::bytes::KeyRef;
use redscope_admin::streams::TailRequest;
use redscope_admin::Event;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::{sync_query, RedisServer};

mod api;
use api::{serve, TOKEN};

async fn get(addr: SocketAddr, path: &str) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

fn q(server: &RedisServer, args: &[&str]) -> String {
    sync_query(server, args).unwrap()
}

#[tokio::test]
async fn xinfo_pending_and_pages_have_the_documented_shapes() {
    let redis = RedisServer::start().unwrap();
    for i in 1..=3 {
        q(
            &redis,
            &[
                "XADD",
                "md:trades",
                &format!("{i}-0"),
                "symbol",
                "BTC",
                "px",
                &format!("{i}00"),
            ],
        );
    }
    q(&redis, &["SET", "not-a-stream", "x"]);
    q(&redis, &["XGROUP", "CREATE", "md:trades", "risk", "0"]);
    q(
        &redis,
        &[
            "XREADGROUP",
            "GROUP",
            "risk",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "md:trades",
            ">",
        ],
    );
    let addr = serve(AdminService::new(redis.config(), AdminOptions::default())).await;

    let (status, list) = get(addr, "/api/streams").await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["text"].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["md:trades"], "only stream keys are listed");
    assert_eq!(list["cursor"], "0");

    let (status, info) = get(addr, "/api/streams?key=md:trades").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["length"], 3);
    assert_eq!(info["first_id"], "1-0");
    assert_eq!(info["last_id"], "3-0");
    let group = &info["groups"][0];
    assert_eq!(group["name"], "risk");
    assert_eq!(group["consumers"], 1);
    assert_eq!(group["pending"], 2);
    assert_eq!(group["last_delivered_id"], "2-0");
    assert_eq!(group["lag"], 1, "one entry not yet delivered");
    assert_eq!(group["consumer_list"][0]["name"], "alice");
    assert_eq!(group["consumer_list"][0]["pending"], 2);
    assert!(group["consumer_list"][0]["idle_ms"].is_u64());

    let (status, pending) = get(addr, "/api/stream/pending?key=md:trades&group=risk").await;
    assert_eq!(status, 200, "{pending}");
    let pending = pending.as_array().unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0]["id"], "1-0");
    assert_eq!(pending[0]["consumer"], "alice");
    assert_eq!(pending[0]["deliveries"], 1);
    assert!(pending[0]["idle_ms"].is_u64());
    let (status, _) = get(addr, "/api/stream/pending?key=md:trades&group=nope").await;
    assert_eq!(status, 404);

    let (_, page) = get(addr, "/api/stream/entries?key=md:trades&count=2").await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["entries"][0]["fields"][0][0]["text"], "symbol");
    assert_eq!(page["entries"][0]["fields"][1][1]["text"], "100");
    assert_eq!(page["next"], "3-0");
    let (_, rest) = get(addr, "/api/stream/entries?key=md:trades&count=2&start=3-0").await;
    assert_eq!(rest["entries"].as_array().unwrap().len(), 1);
    assert!(rest["next"].is_null());
    let (_, rev) = get(addr, "/api/stream/entries?key=md:trades&count=1&rev=true").await;
    assert_eq!(
        (rev["entries"][0]["id"].as_str(), rev["next"].as_str()),
        (Some("3-0"), Some("2-0"))
    );

    let (status, err) = get(addr, "/api/streams?key=not-a-stream").await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_input")));
    let (status, _) = get(addr, "/api/streams?key=missing").await;
    assert_eq!(status, 404);
    let (status, _) = get(addr, "/api/stream/entries?key=md:trades&start=bogus").await;
    assert_eq!(status, 400);
    let (status, err) = get(addr, "/api/stream/entries?key=md:trades&count=many").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (400, Some("invalid_input")),
        "{err}"
    );
    let (status, err) = get(addr, "/api/stream/entries?key=md:trades&key_b64=bWQ=").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (400, Some("invalid_input")),
        "{err}"
    );
}

#[tokio::test]
async fn binary_stream_keys_and_values_round_trip() {
    let redis = RedisServer::start().unwrap();
    let key: &[u8] = b"bin:\xff\x00stream";
    let client = redis::Client::open(redis.url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let _: String = redis::cmd("XADD")
        .arg(key)
        .arg("*")
        .arg(b"f\xfe")
        .arg(b"\x00\x01")
        .query_async(&mut c)
        .await
        .unwrap();
    let addr = serve(AdminService::new(redis.config(), AdminOptions::default())).await;
    let b64 = base64::engine::general_purpose::URL_SAFE.encode(key);
    let std_b64 = base64::engine::general_purpose::STANDARD.encode(key);
    let (_, list) = get(addr, "/api/streams").await;
    assert_eq!(list["keys"][0]["b64"], std_b64);
    assert_eq!(list["keys"][0]["binary"], true);
    let encoded: String = url::form_urlencoded::byte_serialize(std_b64.as_bytes()).collect();
    let (status, page) = get(addr, &format!("/api/stream/entries?key_b64={encoded}")).await;
    assert_eq!(status, 200, "{page} {b64}");
    let field = &page["entries"][0]["fields"][0];
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(field[0]["b64"].as_str().unwrap())
            .unwrap(),
        b"f\xfe"
    );
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(field[1]["b64"].as_str().unwrap())
            .unwrap(),
        b"\x00\x01"
    );
}

fn blocked_clients(redis: &RedisServer) -> u64 {
    q(redis, &["INFO", "clients"])
        .lines()
        .find_map(|l| l.trim().strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn wait_blocked(redis: &RedisServer, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while blocked_clients(redis) != want {
        assert!(
            Instant::now() < deadline,
            "blocked_clients never became {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_live_tail_delivers_new_entries_and_stops() {
    let redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let mut bus = service.events();
    let key = KeyRef {
        key: Some("md:quotes".into()),
        key_b64: None,
    };
    let tail = service
        .streams()
        .tail(&TailRequest {
            key: key.clone(),
            from: None,
        })
        .await
        .unwrap();
    wait_blocked(&redis, 1).await;
    let id = q(
        &redis,
        &["XADD", "md:quotes", "*", "symbol", "ETH", "bid", "3000.5"],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let entries = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::StreamEntries(redscope_admin::streams::TailEntries {
                tail_id,
                key,
                entries,
            }))) => {
                assert_eq!((tail_id, key.text.as_str()), (tail.tail_id, "md:quotes"));
                break entries;
            }
            Ok(Ok(_)) => {}
            other => panic!("no stream_entries event: {other:?}"),
        }
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, id);
    assert_eq!(entries[0].fields[1].1.text, "3000.5");

    service.streams().tail_stop(tail.tail_id).await.unwrap();
    assert_eq!(
        service
            .streams()
            .tail_stop(tail.tail_id)
            .await
            .unwrap_err()
            .kind(),
        redscope::ErrorKind::NotFound
    );
    wait_blocked(&redis, 0).await;

    // Tails end with the service that owns them.
    service
        .streams()
        .tail(&TailRequest { key, from: None })
        .await
        .unwrap();
    service
        .streams()
        .tail(&TailRequest {
            key: KeyRef {
                key: Some("other".into()),
                key_b64: None,
            },
            from: None,
        })
        .await
        .unwrap();
    wait_blocked(&redis, 2).await;
    drop(bus);
    drop(service);
    wait_blocked(&redis, 0).await;
}

#[tokio::test]
async fn tails_over_http() {
    let redis = RedisServer::start().unwrap();
    let addr = serve(AdminService::new(redis.config(), AdminOptions::default())).await;
    let http = reqwest::Client::new();
    let started: serde_json::Value = http
        .post(format!("http://{addr}/api/stream/tail"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"key": "s", "from": "$"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["tail_id"].as_u64().unwrap();
    let del = |id: u64| {
        http.delete(format!("http://{addr}/api/stream/tail/{id}"))
            .bearer_auth(TOKEN)
            .send()
    };
    assert_eq!(del(id).await.unwrap().status(), 200);
    assert_eq!(del(id).await.unwrap().status(), 404);
    let res = http
        .delete(format!("http://{addr}/api/stream/tail/not-a-number"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_input");
    let res = http
        .post(format!("http://{addr}/api/stream/tail"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"key": "s", "from": "not an id"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
