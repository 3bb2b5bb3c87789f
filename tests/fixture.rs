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

/// The matrix: `REDSCOPE_SERVER` picks the server every fixture starts, and the admin service
/// tells which one it is from INFO (`server_name`, the product's own version), not from the
/// variable.
#[tokio::test]
async fn the_matrix_runs_the_server_it_names_and_info_tells_which() {
    use redscope_testing::ServerKind;
    let kind = ServerKind::from_env();
    let server = RedisServer::start().unwrap();
    let admin = redscope_admin::AdminService::new(server.config(), Default::default());
    let health = admin.health().await;
    assert_eq!(health.server.as_deref(), Some(kind.name()), "{health:?}");
    let version = health.version.unwrap();
    match kind {
        ServerKind::Redis => assert!(version.starts_with("7."), "redis {version}"),
        ServerKind::Valkey => assert!(version.starts_with("8.1"), "valkey {version}"),
    }
}

/// Valkey 8.1 from the venv with RedisJSON, RediSearch and RedisBloom from the venv loaded:
/// each module answers its own commands.
#[test]
fn valkey_starts_with_the_json_search_and_bloom_modules() {
    let server = RedisServer::builder().modules().start().unwrap();
    let q = |args: &[&str]| redscope_testing::sync_query(&server, args).unwrap();
    let info = q(&["INFO", "server"]);
    assert!(info.contains("valkey_version:8.1."), "{info}");
    let modules = q(&["MODULE", "LIST"]);
    for name in ["ReJSON", "search", "bf"] {
        assert!(
            modules.lines().any(|l| l == name),
            "{name} not in {modules}"
        );
    }
    let ok = |reply: String| assert!(reply.eq_ignore_ascii_case("ok"), "{reply}");
    ok(q(&["JSON.SET", "doc", "$", r#"{"a":1}"#]));
    assert_eq!(q(&["JSON.GET", "doc", "$.a"]), "[1]");
    assert_eq!(q(&["BF.ADD", "bloom", "x"]), "1");
    ok(q(&[
        "FT.CREATE",
        "idx",
        "ON",
        "JSON",
        "SCHEMA",
        "$.a",
        "AS",
        "a",
        "NUMERIC",
    ]));
}
