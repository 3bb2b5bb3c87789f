//! Every way to reach a server, through saved profiles of the admin service, against real
//! processes: an SSH tunnel (first-use host key accepted by fingerprint, SSH secret kept out of
//! profiles.json, distinct errors for SSH auth and a changed host key), TLS with a client
//! certificate (`tls-auth-clients yes`), ACL users limited to `~market:*` and read commands
//! (NOPERM told), Unix sockets, and the dialog's error codes (DNS, refused, wrong password).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use redscope::RedisConfig;
use redscope_admin::console::{ConsoleRequest, Reply};
use redscope_admin::profiles::{Profile, ProfileInput, ProfileSsh, SshAuthKind};
use redscope_admin::{AdminOptions, AdminService, ConnState};
use redscope_testing::sshd::{SshServer, TUNNEL_PASSWORD, TUNNEL_USER};
use redscope_testing::tls::{make_certs, TlsRedis};
use redscope_testing::{free_port, sync_query, RedisServer};

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
    serde_json::from_value(serde_json::json!({ "name": name, "url": url })).unwrap()
}

fn input(p: Profile) -> ProfileInput {
    ProfileInput {
        profile: p,
        password: None,
        ssh_secret: None,
        tls_key_passphrase: None,
        accept_host_key: None,
        sentinel_password: None,
    }
}

fn service() -> AdminService {
    config_dir();
    AdminService::new(RedisConfig::default(), AdminOptions::default())
}

async fn console(s: &AdminService, args: &[&str]) -> redscope::Result<Reply> {
    Ok(s.console()
        .run(ConsoleRequest {
            args: args.iter().map(|a| a.to_string()).collect(),
            confirm: false,
        })
        .await?
        .reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_profile_asks_for_the_host_key_then_connects_and_keeps_its_secret_private() {
    let dir = config_dir();
    let sshd = SshServer::start().unwrap();
    let redis = RedisServer::start().unwrap();
    let svc = service();
    let mut p = profile("via-ssh", &format!("redis://127.0.0.1:{}/0", redis.port()));
    p.ssh = Some(ProfileSsh {
        host: "127.0.0.1".into(),
        port: sshd.port(),
        user: TUNNEL_USER.into(),
        auth: SshAuthKind::Password,
        key_path: None,
        jump: None,
        has_secret: false,
    });
    p.label = Some("production".into());
    p.color = Some("#d33".into());
    let mut i = input(p.clone());
    i.ssh_secret = Some(TUNNEL_PASSWORD.into());

    // First use: the test reports the host key, which the user must accept.
    let t = svc.profiles().test(i.clone()).await.unwrap();
    assert!(!t.ok);
    assert_eq!(t.error.as_ref().unwrap().code, "ssh_host_key_unknown");
    let key = t.host_key.unwrap();
    assert_eq!(key.fingerprint, sshd.fingerprint().unwrap());
    assert!(t.error.unwrap().message.contains(&key.fingerprint));

    // A wrong SSH password is told apart from a wrong Redis password.
    let mut wrong = i.clone();
    wrong.ssh_secret = Some("bad-ssh-pass".into());
    wrong.accept_host_key = Some(key.fingerprint.clone());
    let t = svc.profiles().test(wrong).await.unwrap();
    let e = t.error.unwrap();
    assert_eq!(e.code, "ssh_auth", "{}", e.message);
    assert!(!e.message.contains("bad-ssh-pass"));

    i.accept_host_key = Some(key.fingerprint.clone());
    let t = svc.profiles().test(i.clone()).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    assert!(std::fs::read_to_string(dir.join("known_hosts"))
        .unwrap()
        .contains(&format!("[127.0.0.1]:{}", sshd.port())));

    // Saved: the SSH password is in the 0600 store, never in profiles.json or the listing.
    i.accept_host_key = None;
    let saved = svc.profiles().save(i).await.unwrap();
    assert!(saved.ssh.as_ref().unwrap().has_secret);
    assert_eq!(saved.label.as_deref(), Some("production"));
    let file = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert!(!file.contains(TUNNEL_PASSWORD), "{file}");
    let listed = serde_json::to_string(&svc.profiles().list().await.unwrap()).unwrap();
    assert!(!listed.contains(TUNNEL_PASSWORD));
    let secrets = std::fs::read_to_string(dir.join("secrets.json")).unwrap();
    assert!(secrets.contains(TUNNEL_PASSWORD));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("secrets.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0);
    }

    // Connecting uses the stored secret and the recorded key; the data lands in Redis.
    let report = svc.connect("via-ssh").await.unwrap();
    assert_eq!(report.state, ConnState::Connected, "{report:?}");
    console(&svc, &["SET", "ssh:profile", "1"]).await.unwrap();
    assert_eq!(sync_query(&redis, &["GET", "ssh:profile"]).unwrap(), "1");
    let ports: Vec<String> = sshd
        .log()
        .lines()
        .filter(|l| l.contains("direct-tcpip") || l.contains("target 127.0.0.1 port"))
        .map(str::to_string)
        .collect();
    assert!(
        ports.iter().any(|l| l.contains(&redis.port().to_string())),
        "{ports:?}"
    );

    // Another server whose key differs from the one recorded for its address is refused.
    let mut other = SshServer::start().unwrap();
    // Record `sshd`'s key for `other`'s address: `other` then presents a different one.
    let sshd_key_line = sshd
        .known_hosts_line()
        .unwrap()
        .replace(&sshd.port().to_string(), &other.port().to_string());
    let mut kh = std::fs::read_to_string(dir.join("known_hosts")).unwrap();
    kh.push_str(&sshd_key_line);
    std::fs::write(dir.join("known_hosts"), kh).unwrap();
    let mut changed = p.clone();
    changed.name = "changed-key".into();
    changed.ssh.as_mut().unwrap().port = other.port();
    let mut ci = input(changed);
    ci.ssh_secret = Some(TUNNEL_PASSWORD.into());
    ci.accept_host_key = Some(other.fingerprint().unwrap());
    let t = svc.profiles().test(ci).await.unwrap();
    assert_eq!(t.error.unwrap().code, "ssh_host_key_changed");
    other.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_profile_with_a_client_certificate_reaches_a_server_that_requires_one() {
    let svc = service();
    let tls = TlsRedis::start().unwrap();
    let redis = &tls.server;
    let s = |p: &Path| p.display().to_string();
    let url = tls.url();
    let mut p = profile("mtls", &url);
    p.tls_ca = Some(s(&tls.certs.ca));

    // Without a client certificate the server ends the handshake.
    let t = svc.profiles().test(input(p.clone())).await.unwrap();
    assert!(!t.ok);
    let code = t.error.unwrap().code;
    assert_eq!(code, "tls");

    // Half a client certificate is a clear input error.
    let mut half = p.clone();
    half.tls_cert = Some(s(&tls.certs.client_cert));
    let err = svc.profiles().test(input(half)).await.unwrap_err();
    assert!(err.to_string().contains("both"), "{err}");

    p.tls_cert = Some(s(&tls.certs.client_cert));
    p.tls_key = Some(s(&tls.certs.client_key));
    let t = svc.profiles().test(input(p.clone())).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    svc.profiles().save(input(p)).await.unwrap();
    let report = svc.connect("mtls").await.unwrap();
    assert_eq!(report.state, ConnState::Connected, "{report:?}");
    console(&svc, &["SET", "mtls:k", "v"]).await.unwrap();
    assert_eq!(sync_query(redis, &["GET", "mtls:k"]).unwrap(), "v");
    // Paths are stored, never the contents of the key.
    let file = std::fs::read_to_string(config_dir().join("profiles.json")).unwrap();
    assert!(file.contains(&s(&tls.certs.client_key)) && !file.contains("PRIVATE KEY"));

    // An encrypted client key (PKCS#8, as `openssl pkcs8 -topk8` writes it) needs its
    // passphrase, which is kept in the secret store like a password.
    let enc = tls.certs.client_key.with_file_name("client.enc.key");
    let out = std::process::Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:tls-key-pass",
            "-in",
        ])
        .arg(&tls.certs.client_key)
        .arg("-out")
        .arg(&enc)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut encrypted = profile("mtls-encrypted", &url);
    encrypted.tls_ca = Some(s(&tls.certs.ca));
    encrypted.tls_cert = Some(s(&tls.certs.client_cert));
    encrypted.tls_key = Some(s(&enc));
    let e = svc
        .profiles()
        .test(input(encrypted.clone()))
        .await
        .unwrap()
        .error
        .unwrap();
    assert!(e.message.contains("encrypted"), "{e:?}");
    let mut i = input(encrypted.clone());
    i.tls_key_passphrase = Some("not-it".into());
    let e = svc.profiles().test(i.clone()).await.unwrap().error.unwrap();
    assert!(
        e.message.contains("wrong passphrase") && !e.message.contains("not-it"),
        "{e:?}"
    );
    i.tls_key_passphrase = Some("tls-key-pass".into());
    let t = svc.profiles().test(i.clone()).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    let saved = svc.profiles().save(i).await.unwrap();
    assert!(saved.has_tls_key_passphrase);
    let report = svc.connect("mtls-encrypted").await.unwrap();
    assert_eq!(report.state, ConnState::Connected, "{report:?}");
    let file = std::fs::read_to_string(config_dir().join("profiles.json")).unwrap();
    assert!(!file.contains("tls-key-pass"));

    // A server certificate signed by another CA fails the handshake with a TLS code.
    let other = tempfile::tempdir().unwrap();
    make_certs(other.path()).unwrap();
    let mut wrong_ca = profile("wrong-ca", &url);
    wrong_ca.tls_ca = Some(other.path().join("ca.crt").display().to_string());
    wrong_ca.tls_cert = Some(s(&tls.certs.client_cert));
    wrong_ca.tls_key = Some(s(&tls.certs.client_key));
    let t = svc.profiles().test(input(wrong_ca)).await.unwrap();
    let e = t.error.unwrap();
    assert_eq!(e.code, "tls", "{e:?}");
    assert!(e.message.contains("TLS"), "{}", e.message);
}

/// Certificate and key files picked in the dialog (sent by contents, as the page reads them):
/// stored as 0600 files holding exactly those bytes, their paths make a working mTLS profile;
/// a file that is not what the field takes is refused and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_picked_for_a_profile_are_stored_privately_and_connect() {
    use redscope_admin::profile_import::FileRole;
    use redscope_admin::profiles::ProfileFile;
    use std::os::unix::fs::PermissionsExt;
    let svc = service();
    let tls = TlsRedis::start().unwrap();
    let pick = |role: FileRole, path: &Path| ProfileFile {
        profile: "picked mtls".into(),
        role,
        contents: std::fs::read_to_string(path).unwrap(),
    };
    let mut p = profile("picked mtls", &tls.url());
    for (role, from) in [
        (FileRole::TlsCa, &tls.certs.ca),
        (FileRole::TlsCert, &tls.certs.client_cert),
        (FileRole::TlsKey, &tls.certs.client_key),
    ] {
        let stored = svc.profiles().store_file(pick(role, from)).await.unwrap();
        let path = PathBuf::from(&stored.path);
        assert!(path.starts_with(config_dir()), "{}", path.display());
        assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(from).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
        match role {
            FileRole::TlsCa => p.tls_ca = Some(stored.path),
            FileRole::TlsCert => p.tls_cert = Some(stored.path),
            _ => p.tls_key = Some(stored.path),
        }
    }
    let t = svc.profiles().test(input(p)).await.unwrap();
    assert!(t.ok, "{:?}", t.error);

    // The certificate where the key belongs, a public SSH key, an empty name: refused.
    let wrong = svc
        .profiles()
        .store_file(pick(FileRole::TlsKey, &tls.certs.client_cert))
        .await
        .unwrap_err();
    assert!(wrong.to_string().contains("private key"), "{wrong}");
    let public = ProfileFile {
        profile: "picked ssh".into(),
        role: FileRole::SshKey,
        contents: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI user@host\n".into(),
    };
    let err = svc.profiles().store_file(public).await.unwrap_err();
    assert!(err.to_string().contains(".pub"), "{err}");
    let unnamed = ProfileFile {
        profile: " ".into(),
        ..pick(FileRole::TlsCa, &tls.certs.ca)
    };
    assert!(svc.profiles().store_file(unnamed).await.is_err());
    let written: Vec<String> = std::fs::read_dir(config_dir().join("imported"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("picked_ssh"))
        .collect();
    assert!(written.is_empty(), "{written:?}");
}

/// A profile for a server whose certificate names another host (reached by an address it does
/// not list, as through a tunnel): refused with a TLS code, connected with "CA only" or with the
/// server name the certificate lists checked in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_profile_can_check_the_ca_but_not_the_host_name() {
    let svc = service();
    let tls = TlsRedis::start_for("DNS:redis.internal").unwrap();
    let s = |p: &Path| p.display().to_string();
    let mut p = profile("ca-only", &tls.url());
    p.tls_ca = Some(s(&tls.certs.ca));
    p.tls_cert = Some(s(&tls.certs.client_cert));
    p.tls_key = Some(s(&tls.certs.client_key));
    let t = svc.profiles().test(input(p.clone())).await.unwrap();
    let e = t.error.expect("the host name is not in the certificate");
    assert_eq!(e.code, "tls", "{e:?}");

    p.tls_verify_ca_only = true;
    let t = svc.profiles().test(input(p.clone())).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    svc.profiles().save(input(p.clone())).await.unwrap();
    let report = svc.connect("ca-only").await.unwrap();
    assert_eq!(report.state, ConnState::Connected, "{report:?}");
    console(&svc, &["SET", "ca-only:k", "v"]).await.unwrap();
    assert_eq!(sync_query(&tls.server, &["GET", "ca-only:k"]).unwrap(), "v");
    // The name the certificate does list, as the profile's server name: checked in full.
    let mut named = p.clone();
    named.name = "named".into();
    named.tls_verify_ca_only = false;
    named.tls_server_name = Some("redis.internal".into());
    let t = svc.profiles().test(input(named.clone())).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    named.tls_server_name = Some("cache.internal".into());
    let e = svc
        .profiles()
        .test(input(named))
        .await
        .unwrap()
        .error
        .unwrap();
    assert_eq!(e.code, "tls", "{e:?}");
    assert!(
        e.message.contains("checked as cache.internal"),
        "{}",
        e.message
    );

    let file = std::fs::read_to_string(config_dir().join("profiles.json")).unwrap();
    assert!(
        file.contains("\"tls_verify_ca_only\": true")
            || file.contains("\"tls_verify_ca_only\":true"),
        "{file}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acl_user_sees_only_what_it_may_and_is_told_why() {
    let svc = service();
    let redis = RedisServer::start().unwrap();
    sync_query(
        &redis,
        &[
            "ACL",
            "SETUSER",
            "trader",
            "on",
            ">trader-pw",
            "~market:*",
            "+@read",
            "+ping",
            "+info",
            "+command",
        ],
    )
    .unwrap();
    sync_query(&redis, &["SET", "market:btc", "100"]).unwrap();
    sync_query(&redis, &["SET", "secret:key", "x"]).unwrap();
    let url = format!("redis://127.0.0.1:{}/0", redis.port());
    let mut p = profile("trader", &url);
    p.username = Some("trader".into());

    let mut bad = input(p.clone());
    bad.password = Some("nope".into());
    let t = svc.profiles().test(bad).await.unwrap();
    let e = t.error.unwrap();
    assert_eq!(e.code, "auth", "{e:?}");
    assert!(!e.message.contains("nope"));

    let mut i = input(p);
    i.password = Some("trader-pw".into());
    let t = svc.profiles().test(i.clone()).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    svc.profiles().save(i).await.unwrap();
    // A second profile for the default user on the same server.
    svc.profiles()
        .save(input(profile("admin", &url)))
        .await
        .unwrap();

    svc.connect("trader").await.unwrap();
    assert_eq!(
        console(&svc, &["GET", "market:btc"]).await.unwrap(),
        Reply::Bulk(redscope_admin::bytes::Bytes::new(b"100"))
    );
    for refused in [&["GET", "secret:key"][..], &["SET", "market:btc", "1"][..]] {
        let why = match console(&svc, refused).await {
            Err(e) => e.to_string(),
            Ok(Reply::Error(m)) => m,
            Ok(other) => panic!("{refused:?} was allowed: {other:?}"),
        };
        assert!(
            why.to_uppercase().contains("NOPERM") && why.contains("permissions"),
            "{refused:?}: {why}"
        );
    }
    assert_eq!(sync_query(&redis, &["GET", "market:btc"]).unwrap(), "100");
    // The API says NOPERM in its own code, for every surface.
    let body = redscope_admin::ErrorBody::from_error(
        &svc.browser()
            .key(serde_json::from_value(serde_json::json!({"key": "secret:key"})).unwrap())
            .await
            .unwrap_err(),
    );
    assert_eq!(body.code, "noperm", "{body:?}");
    assert!(body.message.contains("ACL"), "{}", body.message);
    // In the key list, a key the user may not touch is marked, not called missing.
    let b64 = |k: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, k);
    let metas = svc
        .browser()
        .keys_meta(
            serde_json::from_value(
                serde_json::json!({"keys_b64": [b64("market:btc"), b64("secret:key")]}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(metas[0].key_type, "string");
    assert_eq!(metas[1].key_type, "noperm");
    // The session counts as connected although INFO is refused to this user.
    let health = svc.health().await;
    assert_eq!(health.state, ConnState::Connected, "{health:?}");
    assert_eq!(health.profile.as_deref(), Some("trader"));
    // The key browser lists its keys; the one it may read is shown in full.
    let page = svc
        .browser()
        .keys(serde_json::from_value(serde_json::json!({"match": "market:*"})).unwrap())
        .await
        .unwrap();
    assert_eq!(page.keys.len(), 1, "{page:?}");
    let value = svc
        .browser()
        .key(serde_json::from_value(serde_json::json!({"key": "market:btc"})).unwrap())
        .await
        .unwrap();
    assert_eq!(value.key_type, "string");

    svc.connect("admin").await.unwrap();
    assert_eq!(
        console(&svc, &["GET", "secret:key"]).await.unwrap(),
        Reply::Bulk(redscope_admin::bytes::Bytes::new(b"x"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_sockets_and_the_dialog_error_codes() {
    let svc = service();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("r.sock");
    let redis = RedisServer::builder()
        .arg("unixsocket", sock.display().to_string())
        .arg("unixsocketperm", "700")
        .start()
        .unwrap();
    // The library alone, from a URL.
    let cfg = RedisConfig::from_url(&format!("unix://{}?db=0", sock.display())).unwrap();
    let mut c = redscope::conn::Conn::connect(&cfg).await.unwrap();
    redscope::health::ping(&mut c).await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("sock:lib")
        .arg("1")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(sync_query(&redis, &["GET", "sock:lib"]).unwrap(), "1");
    // A profile of the admin service.
    let p = profile("socket", &format!("unix://{}", sock.display()));
    let t = svc.profiles().test(input(p.clone())).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    svc.profiles().save(input(p)).await.unwrap();
    svc.connect("socket").await.unwrap();
    console(&svc, &["SET", "sock:k", "1"]).await.unwrap();
    assert_eq!(sync_query(&redis, &["GET", "sock:k"]).unwrap(), "1");

    let code = |url: &str| {
        let svc = &svc;
        let p = profile("probe", url);
        async move { svc.profiles().test(input(p)).await.unwrap().error.unwrap() }
    };
    let dns = code("redis://no-such-host.invalid:6390/0").await;
    assert_eq!(dns.code, "dns", "{dns:?}");
    let closed = free_port().unwrap();
    let refused = code(&format!("redis://127.0.0.1:{closed}/0")).await;
    assert_eq!(refused.code, "connection", "{refused:?}");
    let pw = RedisServer::builder().password("right-pw").start().unwrap();
    let mut wrong = input(profile(
        "probe",
        &format!("redis://127.0.0.1:{}/0", pw.port()),
    ));
    wrong.password = Some("wrong-pw".into());
    let e = svc.profiles().test(wrong).await.unwrap().error.unwrap();
    assert_eq!(e.code, "auth", "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_of_redisinsight_and_another_redis_desktop_manager_become_working_profiles() {
    use base64::Engine;
    let dir = config_dir();
    let svc = service();
    let sshd = SshServer::start().unwrap();
    let plain = RedisServer::builder().password("ri-pw").start().unwrap();
    let tls = TlsRedis::start().unwrap();
    let pem = |p: &Path| std::fs::read_to_string(p).unwrap();

    // RedisInsight: certificates as PEM text, a password, one item it cannot use.
    let insight = serde_json::json!([
        {"host": "127.0.0.1", "port": tls.tls_port, "name": "ri-tls", "db": 0,
         "connectionType": "STANDALONE", "tls": true,
         "caCert": {"name": "ca", "certificate": pem(&tls.certs.ca)},
         "clientCert": {"name": "client", "certificate": pem(&tls.certs.client_cert),
                        "key": pem(&tls.certs.client_key)}},
        {"host": "127.0.0.1", "port": plain.port(), "name": "ri-plain", "password": "ri-pw",
         "connectionType": "STANDALONE"},
        {"host": "127.0.0.1", "port": "not-a-port", "name": "ri-broken"}
    ]);
    let report = svc
        .profiles()
        .import(serde_json::from_value(serde_json::json!({"text": insight.to_string()})).unwrap())
        .await
        .unwrap();
    let names: Vec<&str> = report.imported.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ri-tls", "ri-plain"], "{report:?}");
    assert_eq!(report.skipped.len(), 1);
    assert!(report.skipped[0].reason.contains("port"), "{report:?}");
    let file = std::fs::read_to_string(dir.join("profiles.json")).unwrap();
    assert!(
        !file.contains("PRIVATE KEY") && !file.contains("ri-pw"),
        "{file}"
    );
    let key_path = report.imported[0].tls_key.clone().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{key_path}");
    }
    for (name, server) in [("ri-tls", &tls.server), ("ri-plain", &plain)] {
        let r = svc.connect(name).await.unwrap();
        assert_eq!(r.state, ConnState::Connected, "{name}: {r:?}");
        console(&svc, &["SET", "imported", name]).await.unwrap();
        assert_eq!(sync_query(server, &["GET", "imported"]).unwrap(), name);
    }
    // Importing again replaces nothing.
    let again = svc
        .profiles()
        .import(serde_json::from_value(serde_json::json!({"text": insight.to_string()})).unwrap())
        .await
        .unwrap();
    assert!(again.imported.is_empty());
    assert!(again.skipped.iter().any(|s| s.reason.contains("exists")));

    // Another Redis Desktop Manager: base64 of its connection list, the SSH key by path.
    let hidden = RedisServer::start().unwrap();
    let ardm = serde_json::json!([{
        "host": "127.0.0.1", "port": hidden.port(), "auth": "", "name": "ardm-ssh",
        "separator": ":", "cluster": false, "connectionReadOnly": true,
        "sshOptions": {"host": "127.0.0.1", "port": sshd.port(), "username": TUNNEL_USER,
                       "password": "", "privatekey": sshd.user_key_encrypted(),
                       "passphrase": redscope_testing::sshd::KEY_PASSPHRASE, "timeout": 30}
    }]);
    let text = base64::engine::general_purpose::STANDARD.encode(ardm.to_string());
    let report = svc
        .profiles()
        .import(serde_json::from_value(serde_json::json!({"text": text})).unwrap())
        .await
        .unwrap();
    assert_eq!(report.imported.len(), 1, "{report:?}");
    let p = &report.imported[0];
    assert!(p.read_only);
    assert!(p.ssh.as_ref().unwrap().has_secret);
    // First use of the SSH server: accept its key through a test, then connect.
    let mut i = input(p.clone());
    i.accept_host_key = Some(sshd.fingerprint().unwrap());
    let t = svc.profiles().test(i).await.unwrap();
    assert!(t.ok, "{:?}", t.error);
    let r = svc.connect("ardm-ssh").await.unwrap();
    assert_eq!(r.state, ConnState::Connected, "{r:?}");
    sync_query(&hidden, &["SET", "through", "ssh"]).unwrap();
    assert_eq!(
        console(&svc, &["GET", "through"]).await.unwrap(),
        Reply::Bulk(redscope_admin::bytes::Bytes::new(b"ssh"))
    );
    // Read-only came along from the export.
    assert!(console(&svc, &["SET", "through", "x"]).await.is_err());
}
