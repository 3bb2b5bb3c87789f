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
        tls_verify_ca_only: false,
        tls_server_name: None,
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
        has_sentinel_password: false,
        alerts: None,
    }
}

fn input(p: Profile, password: Option<&str>) -> ProfileInput {
    ProfileInput {
        profile: p,
        password: password.map(str::to_string),
        ssh_secret: None,
        tls_key_passphrase: None,
        accept_host_key: None,
        sentinel_password: None,
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
            ..Default::default()
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
            ..Default::default()
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

/// A TCP listener standing in for a caller's host: answers every read with an error reply and
/// keeps every byte it received.
async fn recording_listener() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<u8>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    keep.lock().unwrap().extend_from_slice(&buf[..n]);
                    if s.write_all(b"-ERR not redis\r\n").await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn a_saved_password_only_goes_to_its_own_server_port_and_user() {
    config_dir();
    const SECRET: &str = "only-for-prod-Pa55word";
    let redis = RedisServer::builder().password(SECRET).start().unwrap();
    let url = format!("redis://127.0.0.1:{}/0", redis.port());
    let service = unused_service();
    let profiles = service.profiles();
    profiles
        .save(input(profile("prod", &url), Some(SECRET)))
        .await
        .unwrap();
    let same = profiles
        .test(input(profile("prod", &url), None))
        .await
        .unwrap();
    assert!(
        same.ok,
        "the stored password is used for its own server: {same:?}"
    );

    let (port, seen) = recording_listener().await;
    let elsewhere = profiles
        .test(input(
            profile("prod", &format!("redis://127.0.0.1:{port}/0")),
            None,
        ))
        .await
        .unwrap();
    assert!(!elsewhere.ok);
    let mut other_user = profile("prod", &url);
    other_user.username = Some("someone".into());
    let other_user = profiles.test(input(other_user, None)).await.unwrap();
    assert!(!other_user.ok, "another user does not get prod's password");
    let received = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(!received.is_empty(), "the test did reach the listener");
    assert!(
        !received.contains(SECRET),
        "prod's password was sent to another host: {received:?}"
    );

    // Moving a profile needs the password again; giving it works.
    let moved = profile("prod", &format!("redis://localhost:{}/0", redis.port()));
    let err = profiles.save(input(moved.clone(), None)).await.unwrap_err();
    assert_eq!(err.kind(), redscope::ErrorKind::InvalidInput, "{err}");
    let saved = profiles.save(input(moved, Some(SECRET))).await.unwrap();
    assert!(saved.has_password);
    assert_eq!(
        service.connect("prod").await.unwrap().state,
        ConnState::Connected
    );
}

#[tokio::test]
async fn the_sentinel_password_lives_in_the_secret_store_only() {
    let dir = config_dir();
    const SP: &str = "sentinel-Secret-value-1";
    let service = unused_service();
    let profiles = service.profiles();
    let url = "redis+sentinel://127.0.0.1:1/mymaster/0";
    let bad = profiles
        .save(input(
            profile("s1", &format!("{url}?sentinel_password={SP}")),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), redscope::ErrorKind::InvalidInput);
    assert!(!bad.to_string().contains(SP), "{bad}");
    let mut with = input(profile("s1", url), None);
    with.sentinel_password = Some(SP.into());
    let saved = profiles.save(with).await.unwrap();
    assert!(saved.has_sentinel_password);
    // A profiles.json an older version wrote with the password in the URL is cleaned on read.
    let path = dir.join("profiles.json");
    let mut list: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut old = list[0].clone();
    old["name"] = "s-old".into();
    old["url"] = format!("{url}?sentinel_password=old-{SP}").into();
    old["has_sentinel_password"] = false.into();
    list.push(old);
    std::fs::write(&path, serde_json::to_vec(&list).unwrap()).unwrap();
    let listed = serde_json::to_string(&profiles.list().await.unwrap()).unwrap();
    assert!(!listed.contains(SP), "{listed}");
    assert!(listed.contains("s-old"));
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(!file.contains(SP), "profiles.json still holds it: {file}");
    let secrets = std::fs::read_to_string(dir.join("secrets.json")).unwrap();
    assert!(secrets.contains(SP) && secrets.contains(&format!("old-{SP}")));
    let old = profiles
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "s-old")
        .unwrap();
    assert!(old.has_sentinel_password);
}

#[tokio::test]
async fn profile_errors_leak_no_secret_and_no_file_existence() {
    config_dir();
    let service = unused_service();
    let profiles = service.profiles();
    for url in [
        "redis://127.0.0.1:1/abc?password=leak-me-1",
        "redis+sentinel://127.0.0.1:x/m?sentinel_password=leak-me-2",
    ] {
        let err = profiles
            .test(input(profile("", url), None))
            .await
            .unwrap_err();
        assert!(!err.to_string().contains("leak-me"), "{err}");
    }
    let port = free_port().unwrap();
    let ca = |path: &str| {
        let mut p = profile("", &format!("rediss://127.0.0.1:{port}/0?ca={path}"));
        p.tls = true;
        input(p, None)
    };
    let existing = profiles
        .test(ca("/etc/passwd"))
        .await
        .unwrap_err()
        .to_string();
    let missing = profiles
        .test(ca("/no/such/file-redscope"))
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(existing, missing, "the answer tells whether a file exists");
    assert!(!existing.contains("/etc/passwd"));
    // The same for a client certificate and key named in the URL.
    let client = |path: &str| {
        let mut p = profile(
            "",
            &format!("rediss://127.0.0.1:{port}/0?cert={path}&key={path}"),
        );
        p.tls = true;
        input(p, None)
    };
    let existing = profiles.test(client("/etc/passwd")).await;
    let missing = profiles.test(client("/no/such/file-redscope")).await;
    let text = |r: &redscope::Result<redscope_admin::profiles::ProfileTest>| match r {
        Ok(t) => format!("{:?}", t.error),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        text(&existing),
        text(&missing),
        "a client certificate path tells whether a file exists"
    );
    assert!(!text(&existing).contains("/etc/passwd"));

    // --allow-redis-host: only the listed servers.
    let redis = RedisServer::start().unwrap();
    profiles.allow_hosts(vec![format!("127.0.0.1:{}", redis.port())]);
    let ok = profiles
        .test(input(
            profile("", &format!("redis://127.0.0.1:{}/0", redis.port())),
            None,
        ))
        .await
        .unwrap();
    assert!(ok.ok, "{ok:?}");
    let refused = profiles
        .test(input(
            profile("", &format!("redis://127.0.0.1:{port}/0")),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        refused.kind(),
        redscope::ErrorKind::InvalidInput,
        "{refused}"
    );
}

/// The next `metrics` tick's alert codes.
async fn next_alerts(bus: &mut tokio::sync::broadcast::Receiver<Event>) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::Metrics(t))) => {
                return t
                    .alerts
                    .iter()
                    .map(|a| (a.code.to_string(), a.message.clone()))
                    .collect()
            }
            Ok(_) => {}
            Err(_) => panic!("no metrics tick in 10 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_thresholds_are_saved_with_the_profile_and_apply_again_after_a_restart() {
    let dir = config_dir();
    let redis = RedisServer::start().unwrap();
    let url = format!("redis://127.0.0.1:{}/0", redis.port());
    // Three idle clients besides Redscope's own: more than 2, far fewer than the default 50.
    let _idle: Vec<redis::Connection> = (0..3)
        .map(|_| {
            redis::Client::open(url.as_str())
                .unwrap()
                .get_connection()
                .unwrap()
        })
        .collect();
    let clients = |alerts: &[(String, String)]| {
        alerts
            .iter()
            .find(|(c, _)| c == "too_many_clients")
            .map(|(_, m)| m.clone())
    };
    {
        let service = unused_service();
        service
            .profiles()
            .save(input(profile("alerting", &url), None))
            .await
            .unwrap();
        service.connect("alerting").await.unwrap();
        let now = service.profiles().alert_thresholds();
        assert_eq!(now.thresholds, now.defaults);
        assert_eq!(now.profile.as_deref(), Some("alerting"));
        let mut bus = service.events();
        assert_eq!(clients(&next_alerts(&mut bus).await), None);

        let mut strict = now.defaults;
        strict.clients_warning = 2;
        let set = service
            .profiles()
            .set_alert_thresholds(strict)
            .await
            .unwrap();
        assert_eq!(set.thresholds.clients_warning, 2);
        // In force at once: the history's alerts follow the new threshold.
        let reply = service.metrics().history(&Default::default()).unwrap();
        let codes: Vec<&str> = reply.alerts.iter().map(|a| a.code).collect();
        assert!(codes.contains(&"too_many_clients"), "{codes:?}");
        let msg = clients(&next_alerts(&mut bus).await).expect("the alert fires");
        assert!(msg.contains("more than 2"), "{msg}");

        // A nonsensical set is refused and changes nothing.
        let bad = redscope::health::Thresholds {
            memory_warning_pct: 97,
            ..strict
        };
        let err = service
            .profiles()
            .set_alert_thresholds(bad)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), redscope::error::ErrorKind::InvalidInput);
        assert_eq!(service.profiles().alert_thresholds().thresholds, strict);
        // Saving the profile again from the connection dialog (no thresholds given) keeps them.
        service
            .profiles()
            .save(input(profile("alerting", &url), None))
            .await
            .unwrap();
        service.shutdown().await;
    }
    let file = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert!(file.contains("\"clients_warning\": 2"), "{file}");

    // A restart: the defaults until the profile is connected, then its thresholds, which fire.
    let service = unused_service();
    assert_eq!(
        service.profiles().alert_thresholds().thresholds,
        redscope::health::Thresholds::default()
    );
    service.connect("alerting").await.unwrap();
    assert_eq!(
        service
            .profiles()
            .alert_thresholds()
            .thresholds
            .clients_warning,
        2
    );
    let mut bus = service.events();
    let msg = clients(&next_alerts(&mut bus).await).expect("the saved threshold fires");
    assert!(msg.contains("more than 2"), "{msg}");

    // Back to the defaults: the profile no longer carries thresholds.
    service
        .profiles()
        .set_alert_thresholds(Default::default())
        .await
        .unwrap();
    assert_eq!(clients(&next_alerts(&mut bus).await), None);
    let file = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert!(!file.contains("clients_warning"), "{file}");
    service.shutdown().await;
}
