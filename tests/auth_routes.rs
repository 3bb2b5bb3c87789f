//! Every route of the OpenAPI document (so a new route is covered the day it is listed), and the
//! WebSocket, refuses a request without the token or with a wrong one (401, JSON); a WebSocket
//! upgrade from a foreign Origin or a rebound Host is refused (403) even with the token.

mod api;

use api::TOKEN;
use redscope_testing::RedisServer;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Error as WsError;

#[tokio::test]
async fn every_documented_route_needs_the_right_token() {
    let redis = RedisServer::start().unwrap();
    let api = api::Api::start(redis.config(), false).await;
    let (_, doc) = api.get("/api/openapi.json").await;
    let http = reqwest::Client::new();
    let wrong_same_len: String = TOKEN.chars().rev().collect();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let path = path.replace("{id}", "1").replace("{tail_id}", "1");
        for (method, op) in ops.as_object().unwrap() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (label, auth) in [
                ("no token", None),
                ("wrong token", Some(wrong_same_len.as_str())),
                ("short token", Some("x")),
                ("empty token", Some("")),
            ] {
                let mut req = http.request(m.clone(), format!("http://{}{path}?key=k", api.addr));
                if let Some(t) = auth {
                    req = req.bearer_auth(t);
                }
                if op.get("requestBody").is_some() {
                    req = req.json(&serde_json::json!({"key": "k", "op": "set", "value": "v", "args": ["FLUSHALL"], "confirm": true}));
                }
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let body: serde_json::Value = res.json().await.unwrap_or_default();
                assert_eq!(status, 401, "{method} {path} with {label}: {body}");
                assert_eq!(body["code"], "unauthorized", "{method} {path}");
                checked += 1;
            }
            // A wrong token in the query string, too.
            let res = http
                .request(
                    m.clone(),
                    format!("http://{}{path}?token={wrong_same_len}", api.addr),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{method} {path} with a wrong ?token=");
            checked += 1;
        }
    }
    println!("unauthenticated requests refused: {checked}");
    assert!(checked >= 38 * 5, "only {checked} checks");
    // Nothing was done by the refused requests: the flushes and writes never ran.
    let (status, keys) = api.get("/api/keys").await;
    assert_eq!(status, 200);
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(0), "{keys}");
}

async fn ws_status(req: tokio_tungstenite::tungstenite::handshake::client::Request) -> u16 {
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, res)) => res.status().as_u16(),
        Err(WsError::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("websocket handshake: {e}"),
    }
}

#[tokio::test]
async fn the_websocket_needs_the_token_and_our_own_origin() {
    let redis = RedisServer::start().unwrap();
    let api = api::Api::start(redis.config(), false).await;
    let addr = api.addr;
    let url = |q: &str| format!("ws://{addr}/api/events{q}");

    let no_token = url("").into_client_request().unwrap();
    assert_eq!(ws_status(no_token).await, 401);
    let wrong = url("?token=wrong-token-0123456789abcdef")
        .into_client_request()
        .unwrap();
    assert_eq!(ws_status(wrong).await, 401);

    let mut foreign = url(&format!("?token={TOKEN}"))
        .into_client_request()
        .unwrap();
    foreign
        .headers_mut()
        .insert("Origin", "https://evil.example".parse().unwrap());
    assert_eq!(ws_status(foreign).await, 403, "a foreign Origin upgraded");

    let mut null_origin = url(&format!("?token={TOKEN}"))
        .into_client_request()
        .unwrap();
    null_origin
        .headers_mut()
        .insert("Origin", "null".parse().unwrap());
    assert_eq!(ws_status(null_origin).await, 403, "Origin: null upgraded");

    let mut rebound = url(&format!("?token={TOKEN}"))
        .into_client_request()
        .unwrap();
    rebound.headers_mut().insert(
        "Host",
        format!("attacker.example:{}", addr.port()).parse().unwrap(),
    );
    assert_eq!(ws_status(rebound).await, 403, "a rebound Host upgraded");

    let mut ours = url(&format!("?token={TOKEN}"))
        .into_client_request()
        .unwrap();
    ours.headers_mut()
        .insert("Origin", format!("http://{addr}").parse().unwrap());
    assert_eq!(ws_status(ours).await, 101, "our own page must connect");
    let plain = url(&format!("?token={TOKEN}"))
        .into_client_request()
        .unwrap();
    assert_eq!(
        ws_status(plain).await,
        101,
        "a non-browser client with the token"
    );
}
