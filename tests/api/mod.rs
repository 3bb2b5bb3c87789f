//! Shared by the admin API tests: an in-process web server on a real redis-server, and a small
//! JSON client that returns (status, body) for every call.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use redscope::RedisConfig;
use redscope_admin::{AdminOptions, AdminService};
use redscope_cli::web::{ServeOptions, WebServer};
use serde_json::Value;

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// Serves `service` in web mode on a free loopback port with [`TOKEN`]; returns the address.
pub async fn serve(service: AdminService) -> SocketAddr {
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

/// A client of one running web server.
pub struct Api {
    pub addr: SocketAddr,
    pub service: AdminService,
    http: reqwest::Client,
}

impl Api {
    /// Starts web mode on `cfg` (read-only when asked).
    pub async fn start(cfg: RedisConfig, read_only: bool) -> Api {
        let service = AdminService::new(cfg, AdminOptions { read_only });
        let addr = serve(service.clone()).await;
        Api {
            addr,
            service,
            http: reqwest::Client::new(),
        }
    }

    /// A request with the token; returns the status and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("http://{}{}", self.addr, path_and_query);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, url).bearer_auth(TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, json)
    }

    pub async fn get(&self, p: &str) -> (u16, Value) {
        self.call("GET", p, None).await
    }

    pub async fn post(&self, p: &str, body: Value) -> (u16, Value) {
        self.call("POST", p, Some(body)).await
    }

    /// The raw body size and status of a GET (to check responses stay small).
    pub async fn get_len(&self, p: &str) -> (u16, usize) {
        let res = self
            .http
            .get(format!("http://{}{}", self.addr, p))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.bytes().await.unwrap().len())
    }

    /// Calls GET `p` until `done(body)` or the deadline; returns the last body.
    pub async fn poll(&self, p: &str, timeout: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (status, body) = self.get(p).await;
            assert_eq!(status, 200, "{p}: {body}");
            if done(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{p} not done in {timeout:?}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// URL-encodes a query value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Standard base64.
pub fn b64(raw: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Decodes standard base64.
pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// A plain redis-rs connection for setting up data, with a response timeout generous enough
/// for big pipelines on a busy 2-core machine.
pub async fn raw_conn(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection_with_config(
            &redis::AsyncConnectionConfig::new()
                .set_response_timeout(Some(Duration::from_secs(60))),
        )
        .await
        .unwrap()
}

/// The next event on the service's bus as JSON (its wire shape), skipping over a lag.
pub async fn next_event(rx: &mut tokio::sync::broadcast::Receiver<redscope_admin::Event>) -> Value {
    loop {
        match rx.recv().await {
            Ok(e) => return serde_json::to_value(e).expect("events serialise"),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(e) => panic!("event bus closed: {e}"),
        }
    }
}
