//! Web mode serves every row of the operation table: each operation's method and path reaches
//! the operation (never the "no such API route" 404 nor a 405) and answers JSON; unknown paths
//! and methods get the API's JSON errors. A route cannot silently go missing.

mod api;

use api::Api;
use redscope_admin::ops::{Method, OPERATIONS};
use redscope_testing::RedisServer;
use serde_json::json;

/// The operation's path with every `{param}` filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "no-such-id" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_operation_of_the_table_is_routed() {
    let redis = RedisServer::start().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    std::env::set_var("REDSCOPE_CONFIG_DIR", config_dir.path());
    std::env::set_var("REDSCOPE_SECRET_STORE", "file");
    let api = Api::start(redis.config(), false).await;
    for op in OPERATIONS {
        let path = format!("/api{}", concrete(op.path));
        let body = (!op.method.takes_query()).then(|| json!({}));
        let (status, reply) = api.call(op.method.as_str(), &path, body).await;
        let what = format!("{} {} ({})", op.method.as_str(), path, op.name);
        assert_ne!(status, 405, "{what} is not routed for its method: {reply}");
        assert_ne!(
            reply["message"], "not found: no such API route",
            "{what} is not routed"
        );
        assert!(status < 500, "{what}: {status} {reply}");
        assert!(reply.is_object() || reply.is_array(), "{what}: {reply}");
    }
}

#[tokio::test]
async fn replies_are_json_and_path_parameters_reach_the_operation() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let res = reqwest::Client::new()
        .get(format!("http://{}/api/health", api.addr))
        .bearer_auth(api::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");

    // The id in the path is the operation's argument (and wins over a query field of that name).
    let (status, reply) = api.get("/api/jobs/job%20x?id=other").await;
    assert_eq!((status, reply["code"].as_str()), (404, Some("not_found")));
    assert!(
        reply["message"].as_str().unwrap_or("").contains("job x"),
        "{reply}"
    );
    let (status, reply) = api.call("DELETE", "/api/stream/tail/abc", None).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (400, Some("invalid_input")),
        "{reply}"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_json_errors() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let (status, reply) = api.get("/api/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(
        reply,
        json!({"code": "not_found", "message": "not found: no such API route"})
    );
    // A path the table knows, with a method it does not declare for it.
    let (path, method) = OPERATIONS
        .iter()
        .map(|op| op.path)
        .find_map(|p| {
            let declared: Vec<Method> = OPERATIONS
                .iter()
                .filter(|o| o.path == p)
                .map(|o| o.method)
                .collect();
            [Method::Get, Method::Post, Method::Put, Method::Delete]
                .into_iter()
                .find(|m| !declared.contains(m))
                .map(|m| (p, m))
        })
        .expect("some path lacks some method");
    let body = (!method.takes_query()).then(|| json!({}));
    let (status, reply) = api
        .call(method.as_str(), &format!("/api{}", concrete(path)), body)
        .await;
    assert_eq!(status, 405, "{} {path}: {reply}", method.as_str());
    assert_eq!(reply["code"], "invalid_input", "{reply}");
}

#[tokio::test]
async fn bodies_must_be_json() {
    let redis = RedisServer::start().unwrap();
    let api = Api::start(redis.config(), false).await;
    let http = reqwest::Client::new();
    for (content_type, body) in [
        ("text/plain", r#"{"key":"k"}"#),
        ("application/json", "{not json"),
    ] {
        let res = http
            .post(format!("http://{}/api/keys/meta", api.addr))
            .bearer_auth(api::TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{content_type} {body}");
        let reply: serde_json::Value = res.json().await.unwrap();
        assert_eq!(reply["code"], "invalid_input", "{reply}");
    }
}
