//! Faults the admin service must survive without user action: a killed server, a restarted one,
//! and a hung one (SIGSTOP) that must not hang the app.

use std::time::{Duration, Instant};

use redscope_admin::ConnState;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::RedisServer;

async fn wait_for_state(
    service: &AdminService,
    want: ConnState,
    within: Duration,
) -> redscope_admin::HealthReport {
    let deadline = Instant::now() + within;
    loop {
        let report = service.health().await;
        if report.state == want {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "health never became {want:?}; last report: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn health_goes_down_with_the_server_and_recovers_after_restart() {
    let mut server = RedisServer::start().unwrap();
    let service = AdminService::new(server.config(), AdminOptions::default());
    wait_for_state(&service, ConnState::Connected, Duration::from_secs(5)).await;

    server.kill();
    let down = wait_for_state(&service, ConnState::Down, Duration::from_secs(10)).await;
    assert!(down.error.is_some(), "a down report says why");

    server.restart().unwrap();
    let up = wait_for_state(&service, ConnState::Connected, Duration::from_secs(15)).await;
    assert!(up.version.is_some());
}

#[tokio::test]
async fn a_hung_server_is_reported_within_the_timeout_not_waited_on_forever() {
    let server = RedisServer::start().unwrap();
    let mut cfg = server.config();
    cfg.response_timeout = Duration::from_millis(500);
    cfg.connect_timeout = Duration::from_millis(500);
    let service = AdminService::new(cfg, AdminOptions::default());
    wait_for_state(&service, ConnState::Connected, Duration::from_secs(5)).await;

    server.pause().unwrap();
    let started = Instant::now();
    let report = service.health().await;
    let took = started.elapsed();
    server.resume().unwrap();
    assert_eq!(report.state, ConnState::Down, "{report:?}");
    assert!(
        took < Duration::from_secs(3),
        "health took {took:?} on a hung server"
    );
    wait_for_state(&service, ConnState::Connected, Duration::from_secs(10)).await;
}
