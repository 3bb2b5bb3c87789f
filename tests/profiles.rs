//! Connection profiles: persistence across service restarts, passwords kept out of the profiles
//! file (0600 fallback secrets file), classified test errors, and switching the active connection.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use redscope::RedisConfig;
use redscope_admin::profiles::{Profile, ProfileInput};
use redscope_admin::ConnState;
use redscope_admin::Event;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::{free_port, sync_query, RedisServer};

const PASSWORD: &str = "s3cret-Pa55word-xyz";

/// One config dir for this test binary; the file secret store (CI has no keyring).
fn config_dir() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        std::env::set_var("REDSCOPE_CONFIG_DIR", &path);
        std::env::set_var("REDSCOPE_SECRET_STORE", "file");
        (dir, path)
    })
    .1
}

fn profile(name: &str, url: &str) -> Profile {
    Profile {
        name: name.into(),
        url: url.into(),
        username: None,
        tls: false,
        tls_insecure: false,
        db: None,
        read_only: false,
        separator: ":".into(),
        has_password: false,
        ssh: None,
        tls_ca: None,
        tls_cert: None,
        tls_key: None,
        has_tls_key_passphrase: false,
        label: None,
        color: None,
    }
}

fn input(p: Profile, password: Option<&str>) -> ProfileInput {
    ProfileInput {
        profile: p,
        password: password.map(str::to_string),
        ssh_secret: None,
        tls_key_passphrase: None,
        accept_host_key: None,
    }
}

fn unused_service() -> AdminService {
    // A service whose own server is never used by these tests.
    AdminService::new(RedisConfig::default(), AdminOptions::default())
}

#[tokio::test]
async fn profiles_persist_and_the_password_stays_out_of_the_profiles_file() {
    let dir = config_dir();
    let redis = RedisServer::builder().password(PASSWORD).start().unwrap();
    let url = format!("redis://127.0.0.1:{}/0", redis.port());
    {
        let service = unused_service();
        let saved = service
            .profiles()
            .save(input(profile("persist", &url), Some(PASSWORD)))
            .await
            .unwrap();
        assert!(saved.has_password);
        let report = service.connect("persist").await.unwrap();
        assert_eq!(report.state, ConnState::Connected, "{report:?}");
    }
    let file = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert!(file.contains("\"persist\""));
    assert!(
        !file.contains(PASSWORD),
        "the password is not in profiles.json"
    );
    let secrets = dir.join("secrets.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "secrets.json is private");
    }
    assert!(std::fs::read_to_string(&secrets)
        .unwrap()
        .contains(PASSWORD));

    // A new service (an app restart) sees the profile and connects with the stored password.
    let service = unused_service();
    let list = service.profiles().list().await.unwrap();
    let p = list.iter().find(|p| p.name == "persist").unwrap();
    assert!(p.has_password);
    assert!(!serde_json::to_string(&list).unwrap().contains(PASSWORD));
    let report = service.connect("persist").await.unwrap();
    assert_eq!(report.state, ConnState::Connected, "{report:?}");
    assert!(!format!("{report:?}").contains(PASSWORD));

    // Saving without a password keeps it; an empty one removes it.
    service
        .profiles()
        .save(input(profile("persist", &url), None))
        .await
        .unwrap();
    assert!(service
        .profiles()
        .list()
        .await
        .unwrap()
        .iter()
        .any(|p| p.name == "persist" && p.has_password));
    service
        .profiles()
        .save(input(profile("persist", &url), Some("")))
        .await
        .unwrap();
    assert!(!std::fs::read_to_string(&secrets)
        .unwrap()
        .contains(PASSWORD));
    service.profiles().delete("persist").await.unwrap();
    assert_eq!(
        service
            .profiles()
            .delete("persist")
            .await
            .unwrap_err()
            .kind(),
        redscope::ErrorKind::NotFound
    );

    // A password in the URL is refused rather than written to disk.
    let err = service
        .profiles()
        .save(input(
            profile("leaky", &format!("redis://:{PASSWORD}@127.0.0.1:1/0")),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), redscope::ErrorKind::InvalidInput);
    assert!(!err.to_string().contains(PASSWORD));
}

#[tokio::test]
async fn profile_test_classifies_failures() {
    config_dir();
    let redis = RedisServer::builder().password(PASSWORD).start().unwrap();
    let url = format!("redis://127.0.0.1:{}/0", redis.port());
    let service = unused_service();

    let ok = service
        .profiles()
        .test(input(profile("t-ok", &url), Some(PASSWORD)))
        .await
        .unwrap();
    assert!(ok.ok, "{ok:?}");
    assert!(ok.version.as_deref().unwrap().starts_with("7."));

    let wrong = service
        .profiles()
        .test(input(profile("t-wrong", &url), Some("nope")))
        .await
        .unwrap();
    let err = wrong.error.expect("a wrong password fails");
    assert_eq!(err.code, "auth", "{err:?}");
    assert!(!err.message.contains("nope"));

    let refused_url = format!("redis://127.0.0.1:{}/0", free_port().unwrap());
    let refused = service
        .profiles()
        .test(input(profile("t-refused", &refused_url), None))
        .await
        .unwrap();
    assert_eq!(refused.error.expect("nothing listens").code, "connection");

    let mut tls = profile("t-tls", &url);
    tls.tls = true;
    let tls = service
        .profiles()
        .test(input(tls, Some(PASSWORD)))
        .await
        .unwrap();
    let err = tls.error.expect("a plain server fails the TLS handshake");
    assert_eq!(err.code, "tls", "{err:?}");
}

#[tokio::test]
async fn connect_switches_the_active_connection_and_keeps_the_old_one_open() {
    config_dir();
    let a = RedisServer::start().unwrap();
    let b = RedisServer::start().unwrap();
    sync_query(&b, &["SET", "only-on-b", "1"]).unwrap();
    let service = AdminService::new(a.config(), AdminOptions::default());
    let mut bus = service.events();
    service
        .channels()
        .monitor(redscope_admin::channels::MonitorRequest {
            channels: vec!["news".into()],
            patterns: vec![],
        })
        .await
        .unwrap();

    for (name, server, ro) in [("conn-a", &a, false), ("conn-b", &b, true)] {
        let mut p = profile(name, &format!("redis://127.0.0.1:{}/0", server.port()));
        p.read_only = ro;
        service.profiles().save(input(p, None)).await.unwrap();
    }
    let report = service.connect("conn-b").await.unwrap();
    assert_eq!(report.url, format!("redis://127.0.0.1:{}/0", b.port()));
    let mut c = service.conn().await.unwrap();
    let exists: u64 = redis::cmd("EXISTS")
        .arg("only-on-b")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(exists, 1, "commands go to b now");
    assert!(service.read_only(), "b's profile is read-only");
    assert_eq!(service.profiles().active().as_deref(), Some("conn-b"));

    // The monitor moved to b: a PUBLISH on b reaches it.
    let receivers: i64 = sync_query(&b, &["PUBLISH", "news", "on b"])
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(receivers, 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    let state = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::ConnState(redscope_admin::session::ConnChange {
                state, url, ..
            }))) if url.contains(&b.port().to_string()) => break state,
            Ok(Ok(_)) => {}
            other => panic!("no conn_state for b: {other:?}"),
        }
    };
    assert_eq!(state, ConnState::Connected);

    service.connect("conn-a").await.unwrap();
    assert!(!service.read_only());
    assert_eq!(
        service.profiles().open_connections().await,
        vec!["conn-b", "conn-a"]
    );
    assert_eq!(
        service.connect("no-such").await.unwrap_err().kind(),
        redscope::ErrorKind::NotFound
    );
}

#[tokio::test]
async fn profile_routes_over_http_never_return_the_password() {
    config_dir();
    const PASSWORD: &str = "an0ther-Web-pa55word";
    let redis = RedisServer::builder().password(PASSWORD).start().unwrap();
    let service = unused_service();
    let server = redscope_cli::web::WebServer::bind(
        service,
        redscope_cli::web::ServeOptions {
            bind: "127.0.0.1:0".parse().unwrap(),
            token: Some("test-token-0123456789abcdef".into()),
            allow_remote: false,
        },
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str| {
        http.request(method, format!("http://{addr}{path}"))
            .bearer_auth("test-token-0123456789abcdef")
    };
    let url = format!("redis://127.0.0.1:{}/0", redis.port());
    let res = call(reqwest::Method::PUT, "/api/profiles")
        .json(&serde_json::json!({"name": "web", "url": url, "read_only": true, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains(PASSWORD), "{text}");
    let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (saved["has_password"].as_bool(), saved["separator"].as_str()),
        (Some(true), Some(":"))
    );

    let list = call(reqwest::Method::GET, "/api/profiles")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("\"web\"") && !list.contains(PASSWORD));

    let test: serde_json::Value = call(reqwest::Method::POST, "/api/profiles/test")
        .json(&serde_json::json!({"name": "web", "url": url}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(test["ok"], true, "the stored password is used: {test}");
    let test: serde_json::Value = call(reqwest::Method::POST, "/api/profiles/test")
        .json(&serde_json::json!({"name": "", "url": url, "password": "wrong"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(test["error"]["code"], "auth", "{test}");

    let health: serde_json::Value = call(reqwest::Method::POST, "/api/connect")
        .json(&serde_json::json!({"profile": "web"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (health["state"].as_str(), health["read_only"].as_bool()),
        (Some("connected"), Some(true))
    );
    let res = call(reqwest::Method::POST, "/api/publish")
        .json(&serde_json::json!({"channel": "c", "message": "m"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "the read-only profile refuses writes");

    let res = call(reqwest::Method::PUT, "/api/profiles")
        .json(&serde_json::json!({"name": "bad", "url": "ftp://x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = call(reqwest::Method::DELETE, "/api/profiles?name=web")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = call(reqwest::Method::DELETE, "/api/profiles?name=web")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}
