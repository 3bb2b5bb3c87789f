//! The real `redscope serve` binary through a fault sequence with `REDSCOPE_LOG=trace`: a
//! password on the server, in the URL and in a saved profile; a wrong password; a killed,
//! restarted and hung (SIGSTOP) server. Afterwards stderr holds no `panicked`, and the password
//! appears nowhere: not in stderr, stdout, any API response, nor any file the app wrote
//! (except the 0600 secret store that exists to hold it).

use std::time::{Duration, Instant};

mod common;

use redscope_testing::RedisServer;
use serde_json::{json, Value};

const TOKEN: &str = "binary-test-token-0123456789";
const PASSWORD: &str = "Pw-7f3Kq9-zZ-never-logged";
const WRONG: &str = "Wrong-Pw-4hT2-also-secret";

struct Client {
    base: String,
    http: reqwest::Client,
    /// Every response body seen, to grep for secrets.
    seen: Vec<String>,
}

impl Client {
    async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{path}", self.base),
            )
            .bearer_auth(TOKEN)
            .timeout(Duration::from_secs(15));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        self.seen.push(text.clone());
        assert_ne!(status, 500, "{method} {path}: {text}");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn wait_state(&mut self, want: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, h) = self.call("GET", "/api/health", None).await;
            if h["state"] == want {
                return h;
            }
            assert!(Instant::now() < deadline, "health never {want}: {h}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_survives_faults_without_panic_and_never_shows_the_password() {
    let mut redis = RedisServer::builder().password(PASSWORD).start().unwrap();
    let config_dir = tempfile::tempdir().unwrap();
    let stderr_path = config_dir.path().join("stderr.log");
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}/0", redis.port());
    let mut served = common::serve(&url, TOKEN, "trace", config_dir.path(), &stderr_path);
    let addr = served.addr.clone();
    let mut c = Client {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        seen: vec![served.first_line.clone()],
    };
    let port = redis.port();

    // Normal use, including the password-bearing config.
    c.wait_state("connected").await;
    c.call(
        "PUT",
        "/api/key",
        Some(json!({"key": "bin:k", "op": "set", "value": "v"})),
    )
    .await;
    c.call("GET", "/api/keys", None).await;
    c.call("GET", "/api/info", None).await;
    c.call("GET", "/api/config?pattern=*", None).await;
    let (_, reply) = c
        .call(
            "POST",
            "/api/console",
            Some(json!({"args": ["CONFIG", "GET", "requirepass"]})),
        )
        .await;
    assert!(reply.to_string().contains("hidden"), "{reply}");
    c.call("GET", "/api/clients", None).await;
    // Profiles: a wrong password, then the right one saved, listed, tested and connected.
    let profile = |pw: Option<&str>| {
        let mut p = json!({"name": "prod", "url": format!("redis://127.0.0.1:{port}/0")});
        if let Some(pw) = pw {
            p["password"] = json!(pw);
        }
        p
    };
    let (_, t) = c
        .call("POST", "/api/profiles/test", Some(profile(Some(WRONG))))
        .await;
    assert_eq!(t["error"]["code"], "auth", "{t}");
    let (s, t) = c
        .call(
            "POST",
            "/api/profiles/test",
            Some(json!({"name": "u", "url": format!("redis://:{WRONG}@127.0.0.1:{port}/0")})),
        )
        .await;
    // A password in a profile's URL is refused (URLs are stored in plain text).
    assert_eq!((s, t["code"].as_str()), (400, Some("invalid_input")), "{t}");
    let (s, saved) = c
        .call("PUT", "/api/profiles", Some(profile(Some(PASSWORD))))
        .await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["has_password"], true);
    c.call("GET", "/api/profiles", None).await;
    let (_, t) = c
        .call("POST", "/api/profiles/test", Some(profile(None)))
        .await;
    assert_eq!(t["ok"], true, "{t}");
    let (s, h) = c
        .call("POST", "/api/connect", Some(json!({"profile": "prod"})))
        .await;
    assert_eq!(s, 200, "{h}");

    // Faults: kill, requests while down, restart, hang, resume.
    redis.kill();
    let down = c.wait_state("down").await;
    assert!(
        down["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{down}"
    );
    let (s, _) = c.call("GET", "/api/keys", None).await;
    assert!(s == 502 || s == 504, "keys on a dead server: {s}");
    c.call(
        "PUT",
        "/api/key",
        Some(json!({"key": "bin:k", "op": "set", "value": "v"})),
    )
    .await;
    c.call("POST", "/api/profiles/test", Some(profile(None)))
        .await;
    redis.restart().unwrap();
    c.wait_state("connected").await;
    c.call("GET", "/api/keys", None).await;
    redis.pause().unwrap();
    for p in ["/api/keys", "/api/info", "/api/tree", "/api/health"] {
        c.call("GET", p, None).await;
    }
    redis.resume().unwrap();
    c.wait_state("connected").await;
    // A server that now wants another password: the auth error says so, without either one.
    let _ = redscope_testing::sync_query(&redis, &["CONFIG", "SET", "requirepass", WRONG]);
    c.call("POST", "/api/connect", Some(json!({"profile": "prod"})))
        .await;
    c.call("GET", "/api/keys", None).await;

    served.child.kill().unwrap();
    let _ = served.child.wait();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut served.stdout, &mut rest);
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(
        stderr.contains("starting web mode"),
        "trace logging produced little: {stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "a panic in the log:\n{stderr}"
    );
    for secret in [PASSWORD, WRONG] {
        assert!(!stderr.contains(secret), "a password in stderr");
        assert!(
            !rest.contains(secret) && !served.first_line.contains(secret),
            "a password on stdout"
        );
        for body in &c.seen {
            assert!(!body.contains(secret), "a password in a response: {body}");
        }
    }
    let mut files = 0;
    for entry in std::fs::read_dir(config_dir.path().join("cfg")).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        files += 1;
        if path.file_name().unwrap() == "secrets.json" {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "secrets.json is readable by others");
            assert!(
                !text.contains(WRONG),
                "a tested (unsaved) password was stored"
            );
            continue;
        }
        for secret in [PASSWORD, WRONG] {
            assert!(!text.contains(secret), "a password in {}", path.display());
        }
    }
    println!(
        "binary: {} responses, {} stderr lines, {files} config files checked; no panic, no password",
        c.seen.len(),
        stderr.lines().count()
    );
}
