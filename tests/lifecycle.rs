//! The admin service's lifecycle: background work never outlives it. Dropping the last handle
//! cancels a running invalidation job; `shutdown` stops every loop and job and starts no more.

mod api;

use std::time::{Duration, Instant};

use redscope_admin::bytes::KeyRef;
use redscope_admin::channels::MonitorRequest;
use redscope_admin::jobs::{InvalidateReply, InvalidateRequest, JobState};
use redscope_admin::streams::TailRequest;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::RedisServer;

const KEYS: u64 = 200_000;

/// A server holding [`KEYS`] keys `inv:0` … `inv:199999`.
async fn populated() -> (RedisServer, redis::aio::MultiplexedConnection) {
    let redis = RedisServer::builder()
        .arg("enable-debug-command", "yes")
        .start()
        .unwrap();
    let mut c = api::raw_conn(&redis.url()).await;
    let () = redis::cmd("DEBUG")
        .arg("POPULATE")
        .arg(KEYS)
        .arg("inv")
        .query_async(&mut c)
        .await
        .unwrap();
    (redis, c)
}

async fn dbsize(c: &mut redis::aio::MultiplexedConnection) -> u64 {
    redis::cmd("DBSIZE").query_async(c).await.unwrap()
}

fn delete_all() -> InvalidateRequest {
    InvalidateRequest {
        pattern: Some("inv:*".into()),
        preset: None,
        dry_run: false,
        confirm: true,
    }
}

/// Starts the deletion of every `inv:*` key and waits until some are gone; answers the job id.
async fn deleting(service: &AdminService) -> String {
    let InvalidateReply::Started(job) = service.jobs().invalidate(delete_all()).await.unwrap()
    else {
        panic!("not a job")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = service.jobs().get(&job.id).unwrap();
        assert_eq!(now.state, JobState::Running, "finished too soon: {now:?}");
        if now.deleted > 0 {
            return job.id;
        }
        assert!(Instant::now() < deadline, "the job deletes nothing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn dropping_the_service_cancels_its_running_job() {
    let (redis, mut c) = populated().await;
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let mut events = service.events();
    let id = deleting(&service).await;
    drop(service);
    // The job notices, stops and reports it, though nobody holds the service any more.
    let end = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let e = api::next_event(&mut events).await;
            if e["type"] == "job" && e["id"] == id.as_str() && e["state"] != "running" {
                return e;
            }
        }
    })
    .await
    .expect("no final job event after the service was dropped");
    assert_eq!(end["state"], "cancelled", "{end}");
    let deleted = end["deleted"].as_u64().unwrap();
    assert!(deleted > 0 && deleted < KEYS, "{end}");
    assert_eq!(
        dbsize(&mut c).await,
        KEYS - deleted,
        "keys went on disappearing after the job reported"
    );
}

#[tokio::test]
async fn shutdown_stops_every_loop_and_job_and_starts_no_more() {
    let (redis, mut c) = populated().await;
    let _: String = redis::cmd("XADD")
        .arg("md:quotes")
        .arg("*")
        .arg("px")
        .arg("1")
        .query_async(&mut c)
        .await
        .unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let _events = service.events(); // the health watcher and the sampler
    service.services().list().await.unwrap(); // the services watcher
    let monitor = MonitorRequest {
        channels: vec!["trading:alerts".into()],
        patterns: vec![],
        ..Default::default()
    };
    service.channels().monitor(monitor.clone()).await.unwrap();
    let tail_of = || TailRequest {
        key: KeyRef::text("md:quotes"),
        from: None,
    };
    let tail = service.streams().tail(&tail_of()).await.unwrap();
    let id = deleting(&service).await;

    service.shutdown().await;

    // The job was cancelled before shutdown returned, and the server agrees with its report.
    let job = service.jobs().get(&id).unwrap();
    assert_eq!(job.state, JobState::Cancelled, "{job:?}");
    assert_eq!(
        dbsize(&mut c).await,
        KEYS + 1 - job.deleted,
        "the stream and what is left"
    );
    // The monitor and the tail are gone, and the server sees no subscriber or blocked reader.
    assert!(service.channels().monitor_stats(None).is_err());
    assert!(service.streams().tail_stop(tail.tail_id).await.is_err());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut c)
            .await
            .unwrap();
        let busy: Vec<&str> = list
            .lines()
            .filter(|l| l.contains(" sub=1") || l.contains(" psub=1") || l.contains("cmd=xread"))
            .collect();
        if busy.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still subscribed or reading after shutdown: {busy:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Nothing starts again; plain reads still answer.
    assert!(service.channels().monitor(monitor).await.is_err());
    assert!(service.streams().tail(&tail_of()).await.is_err());
    assert!(service.jobs().invalidate(delete_all()).await.is_err());
    assert_eq!(
        service.health().await.state,
        redscope_admin::ConnState::Connected
    );
}
