//! Job and tree progress reach the live-data bus (what `WS /api/events` and the desktop relay):
//! a namespace tree scan ends with a `tree_progress` event counting every key.

use std::time::{Duration, Instant};

use redscope_admin::tree::TreeQuery;
use redscope_admin::Event;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::RedisServer;

#[tokio::test]
async fn tree_progress_arrives_on_the_bus() {
    let server = RedisServer::start().expect("redis-server");
    let client = redis::Client::open(server.url()).expect("url");
    let mut c = client
        .get_multiplexed_async_connection()
        .await
        .expect("connection");
    let mut pipe = redis::pipe();
    for i in 0..3000 {
        pipe.cmd("SET")
            .arg(format!("market:ticker:{i}"))
            .arg(i)
            .ignore();
    }
    let _: () = pipe.query_async(&mut c).await.expect("load");

    let service = AdminService::new(server.config(), AdminOptions::default());
    let mut bus = service.events();
    let level = service
        .tree()
        .level(TreeQuery::default())
        .await
        .expect("tree");
    assert_eq!(level.children.len(), 1);

    let deadline = Instant::now() + Duration::from_secs(10);
    let scanned = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::TreeProgress(redscope_admin::tree::Progress {
                complete: true,
                scanned,
                prefix,
                ..
            }))) => {
                assert_eq!(prefix, "");
                break scanned;
            }
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => panic!("bus: {e}"),
            Err(_) => panic!("no complete tree_progress event within 10 s"),
        }
    };
    assert_eq!(scanned, 3000);
}
