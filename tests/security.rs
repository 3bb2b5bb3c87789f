//! Web mode refuses what a hostile web page could send: foreign Host headers (DNS rebinding),
//! foreign Origins (cross-site requests), and requests without the token.

use std::net::SocketAddr;

use redscope_admin::{AdminOptions, AdminService};
use redscope_cli::web::{ServeOptions, WebServer};
use redscope_testing::RedisServer;

const TOKEN: &str = "security-token-0123456789";

async fn start(redis: &RedisServer) -> SocketAddr {
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let opts = ServeOptions {
        bind: "127.0.0.1:0".parse().unwrap(),
        token: Some(TOKEN.into()),
        allow_remote: false,
    };
    let server = WebServer::bind(service, opts).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

#[tokio::test]
async fn a_rebound_domain_is_refused_even_with_the_token() {
    let redis = RedisServer::start().unwrap();
    let addr = start(&redis).await;
    let http = reqwest::Client::new();
    for path in ["/api/health", "/", "/index.html"] {
        let res = http
            .get(format!("http://{addr}{path}"))
            .header("Host", format!("attacker.example:{}", addr.port()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "forbidden");
    }
    let ok = http
        .get(format!("http://localhost:{}/api/health", addr.port()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "localhost is ours");
}

#[tokio::test]
async fn a_foreign_origin_cannot_drive_the_api() {
    let redis = RedisServer::start().unwrap();
    let addr = start(&redis).await;
    let http = reqwest::Client::new();
    let foreign = http
        .get(format!("http://{addr}/api/health"))
        .header("Origin", "https://evil.example")
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "no CORS grant"
    );
    let preflight = http
        .request(
            reqwest::Method::OPTIONS,
            format!("http://{addr}/api/health"),
        )
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "preflight grants nothing"
    );
    let own = http
        .get(format!("http://{addr}/api/health"))
        .header("Origin", format!("http://{addr}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200, "the UI's own origin is fine");
}
