//! The real `redscope serve` binary stops cleanly on SIGTERM (a service manager) and SIGINT
//! (Ctrl-C): it exits 0 soon after the signal, also with a WebSocket and an idle keep-alive
//! connection open, and logs no panic.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use redscope_testing::RedisServer;

const TOKEN: &str = "signal-test-token-0123456789";

/// Shorter than the binary's 10 s drain deadline: exiting within it means the server drained,
/// not that the deadline cut it short.
const EXIT_WITHIN: Duration = Duration::from_secs(8);

/// Sends `signal` to a running `redscope serve` and checks it exits 0 without a panic.
async fn stops_cleanly_on(signal: &str) {
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let mut served = common::serve(&redis.url(), TOKEN, "info", dir.path(), &stderr_path);
    let addr = served.addr.clone();

    // It answers (and the client keeps its connection open, idle, afterwards).
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(format!("http://{addr}/api/health"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["state"], "connected", "{health}");
    let _events = open_websocket(&addr);

    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal} failed");
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < EXIT_WITHIN,
            "still running {EXIT_WITHIN:?} after SIG{signal}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(
        status.success(),
        "exit status {status} after SIG{signal}:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "a panic in the log:\n{stderr}"
    );
    assert!(
        stderr.contains("web mode stopped"),
        "no orderly stop logged:\n{stderr}"
    );
}

/// An upgraded `/api/events` connection, held open by the caller.
fn open_websocket(addr: &str) -> TcpStream {
    let mut ws = TcpStream::connect(addr).unwrap();
    ws.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        ws,
        "GET /api/events?token={TOKEN} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    ws.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 101", "the WebSocket upgrade was refused");
    ws
}

#[tokio::test]
async fn serve_exits_zero_on_sigterm() {
    stops_cleanly_on("TERM").await;
}

#[tokio::test]
async fn serve_exits_zero_on_ctrl_c() {
    stops_cleanly_on("INT").await;
}
