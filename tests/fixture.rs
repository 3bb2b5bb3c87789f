//! The private redis-server fixture: starts on a free port, restarts on the same port, pauses.

use std::time::Duration;

use redscope_testing::RedisServer;

fn ping(url: &str) -> redis::RedisResult<String> {
    let client = redis::Client::open(url)?;
    let mut c = client.get_connection_with_timeout(Duration::from_millis(500))?;
    c.set_read_timeout(Some(Duration::from_millis(500)))?;
    redis::cmd("PING").query(&mut c)
}

#[test]
fn starts_on_a_private_port_and_dies_with_its_owner() {
    let server = RedisServer::start().unwrap();
    assert_ne!(server.port(), 6379);
    assert_eq!(ping(&server.url()).unwrap(), "PONG");
    let url = server.url();
    drop(server);
    assert!(ping(&url).is_err(), "server still answers after drop");
}

#[test]
fn restarts_on_the_same_port_after_a_kill() {
    let mut server = RedisServer::start().unwrap();
    let port = server.port();
    server.kill();
    assert!(ping(&server.url()).is_err());
    server.restart().unwrap();
    assert_eq!(server.port(), port);
    assert_eq!(ping(&server.url()).unwrap(), "PONG");
}

#[test]
fn pause_freezes_and_resume_thaws() {
    let server = RedisServer::start().unwrap();
    server.pause().unwrap();
    let err = ping(&server.url()).unwrap_err();
    assert!(err.is_timeout() || err.is_io_error(), "unexpected: {err}");
    server.resume().unwrap();
    assert_eq!(ping(&server.url()).unwrap(), "PONG");
}

#[test]
fn password_protected_server_refuses_strangers() {
    let server = RedisServer::builder()
        .password("fixture-secret")
        .start()
        .unwrap();
    assert_eq!(ping(&server.url()).unwrap(), "PONG");
    let anonymous = format!("redis://127.0.0.1:{}/0", server.port());
    let err = ping(&anonymous).unwrap_err();
    assert!(err.to_string().contains("NOAUTH"), "unexpected: {err}");
}
