//! SCAN + UNLINK over a real server: exact matches only, binary keys, dry runs, cancellation.

use redis::AsyncCommands;
use redscope::keyspace::{self, ScanOptions};
use redscope_testing::RedisServer;
use tokio_util::sync::CancellationToken;

async fn load(conn: &mut redis::aio::ConnectionManager, prefix: &str, n: usize) {
    let mut pipe = redis::pipe();
    for i in 0..n {
        pipe.set(format!("{prefix}{i}"), i).ignore();
    }
    let _: () = pipe.query_async(conn).await.unwrap();
}

#[tokio::test]
async fn unlinks_exactly_the_matching_keys() {
    let server = RedisServer::start().unwrap();
    let mut conn = redscope::conn::connect(&server.config()).await.unwrap();
    load(&mut conn, "market:ticker:binance:", 3000).await;
    load(&mut conn, "market:ticker:kraken:", 1000).await;
    load(&mut conn, "features:", 500).await;
    let mut updates = 0;
    let report = keyspace::unlink_matching(
        &mut conn,
        "market:ticker:binance:*",
        &ScanOptions {
            count: 200,
            batch: 250,
        },
        &CancellationToken::new(),
        |_| updates += 1,
    )
    .await
    .unwrap();
    assert_eq!(report.deleted, 3000);
    assert_eq!(report.matched, 3000);
    assert!(report.complete && !report.cancelled);
    assert!(updates > 1, "progress is reported page by page");
    let left: u64 = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
    assert_eq!(left, 1500);
    assert!(conn
        .exists::<_, bool>("market:ticker:kraken:0")
        .await
        .unwrap());
}

#[tokio::test]
async fn escaped_names_match_literally_and_binary_keys_are_deleted() {
    let server = RedisServer::start().unwrap();
    let mut conn = redscope::conn::connect(&server.config()).await.unwrap();
    let _: () = conn.set("sig:*:BTC", 1).await.unwrap();
    let _: () = conn.set("sig:momentum:BTC", 1).await.unwrap();
    let binary: Vec<u8> = vec![b'b', b'i', b'n', 0xff, 0x00, b':', 0xfe];
    let _: () = conn.set(&binary, 1).await.unwrap();
    let pattern = format!("sig:{}:*", keyspace::glob_escape("*"));
    let (dry, sample) = keyspace::count_matching(
        &mut conn,
        &pattern,
        10,
        &ScanOptions::default(),
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(dry.matched, 1);
    assert_eq!(sample, vec![b"sig:*:BTC".to_vec()]);
    let r = keyspace::unlink_matching(
        &mut conn,
        "bin*",
        &ScanOptions::default(),
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(r.deleted, 1);
    assert!(!conn.exists::<_, bool>(&binary).await.unwrap());
    assert!(conn.exists::<_, bool>("sig:momentum:BTC").await.unwrap());
}

#[tokio::test]
async fn a_cancelled_delete_reports_how_far_it_got() {
    let server = RedisServer::start().unwrap();
    let mut conn = redscope::conn::connect(&server.config()).await.unwrap();
    load(&mut conn, "k:", 5000).await;
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    let report = keyspace::unlink_matching(
        &mut conn,
        "k:*",
        &ScanOptions {
            count: 100,
            batch: 100,
        },
        &cancel,
        |p| {
            if p.deleted >= 1000 {
                c2.cancel();
            }
        },
    )
    .await
    .unwrap();
    assert!(report.cancelled && !report.complete);
    let left: u64 = redis::cmd("DBSIZE").query_async(&mut conn).await.unwrap();
    assert_eq!(
        left,
        5000 - report.deleted,
        "the report says exactly how many were removed"
    );
    assert!(report.deleted >= 1000 && report.deleted < 5000);
}
