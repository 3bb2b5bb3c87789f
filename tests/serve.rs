//! Web mode: the token guards every /api route, health reports the real connection state,
//! and the embedded UI is served.

use std::net::SocketAddr;

use redscope::RedisConfig;
use redscope_admin::{AdminOptions, AdminService};
use redscope_cli::web::{ServeOptions, WebServer};
use redscope_testing::RedisServer;

const TOKEN: &str = "test-token-0123456789abcdef";

async fn start(cfg: RedisConfig) -> SocketAddr {
    let service = AdminService::new(cfg, AdminOptions::default());
    let server = WebServer::bind(
        service,
        ServeOptions {
            bind: "127.0.0.1:0".parse().unwrap(),
            token: Some(TOKEN.into()),
            allow_remote: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

#[tokio::test]
async fn health_reports_a_connected_server_with_its_version() {
    let redis = RedisServer::start().unwrap();
    let addr = start(redis.config()).await;
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/health"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["state"], "connected");
    assert!(
        body["version"]
            .as_str()
            .unwrap()
            .starts_with(|c: char| c.is_ascii_digit()),
        "{body}"
    );
    assert_eq!(body["url"], format!("redis://127.0.0.1:{}/0", redis.port()));
}

#[tokio::test]
async fn every_api_route_needs_the_token() {
    let redis = RedisServer::start().unwrap();
    let addr = start(redis.config()).await;
    let http = reqwest::Client::new();
    for path in ["/api/health", "/api/nope"] {
        let res = http
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "unauthorized");
        let wrong = http
            .get(format!("http://{addr}{path}"))
            .bearer_auth("x".repeat(26))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path} with a wrong token");
    }
    let by_query = http
        .get(format!("http://{addr}/api/health?token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    let unknown = http
        .get(format!("http://{addr}/api/nope"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_dead_server_is_reported_down_with_a_reason_and_no_password() {
    let mut redis = RedisServer::builder()
        .password("very-secret-pw")
        .start()
        .unwrap();
    let cfg = redis.config();
    redis.kill();
    let addr = start(cfg).await;
    let res = reqwest::Client::new()
        .get(format!("http://{addr}/api/health"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["state"], "down");
    assert!(
        body["error"].as_str().unwrap().contains("connection"),
        "{body}"
    );
    assert!(!text.contains("very-secret-pw"), "password leaked: {text}");
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let redis = RedisServer::builder()
        .password("right-password")
        .start()
        .unwrap();
    let mut cfg = redis.config();
    cfg.password = Some(redscope::Secret::new("wrong-password"));
    let report = AdminService::new(cfg, AdminOptions::default())
        .health()
        .await;
    assert_eq!(report.state, redscope_admin::ConnState::Down);
    let err = report.error.unwrap();
    assert!(err.starts_with("authentication failed"), "{err}");
    assert!(!err.contains("wrong-password"));
}

#[tokio::test]
async fn refuses_non_loopback_without_allow_remote() {
    let service = AdminService::new(RedisConfig::default(), AdminOptions::default());
    let err = WebServer::bind(
        service,
        ServeOptions {
            bind: "0.0.0.0:0".parse().unwrap(),
            token: None,
            allow_remote: false,
            ..Default::default()
        },
    )
    .await
    .err()
    .expect("binding 0.0.0.0 must be refused");
    assert!(err.to_string().contains("--allow-remote"), "{err}");
}

#[tokio::test]
async fn serves_the_embedded_ui_without_a_token() {
    let redis = RedisServer::start().unwrap();
    let addr = start(redis.config()).await;
    let res = reqwest::get(format!("http://{addr}/")).await.unwrap();
    assert_eq!(
        res.status(),
        200,
        "build the UI first (npm run build in ui/)"
    );
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("<title>Redscope</title>"), "{html}");
}
