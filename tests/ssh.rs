//! SSH tunnels against Debian's real `sshd` (private config, generated host and user keys, a
//! free loopback port): password and key (with passphrase) logins, first-use host keys and a
//! refused changed key, one jump host, reconnecting after sshd dies, and a single server (on a
//! Unix socket only the SSH server's side reaches), a Sentinel set and a Cluster through it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redscope::config::{Endpoint, RedisConfig, Secret, SshAuth, SshConfig};
use redscope::conn::Conn;
use redscope::ssh::{host_keys, HostKeyStatus};
use redscope::ErrorKind;
use redscope_testing::sshd::{SshServer, KEY_PASSPHRASE};
use redscope_testing::{sync_query, RedisCluster, RedisServer, SentinelSet};

const T: Duration = Duration::from_secs(10);

/// A Redis server that also listens on a Unix socket (the client is given only the socket,
/// reached through the SSH server's `direct-streamlocal`).
fn redis_with_socket() -> (RedisServer, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("redscope-sock-")
        .tempdir()
        .unwrap()
        .keep();
    let sock = dir.join("redis.sock");
    let server = RedisServer::builder()
        .arg("unixsocket", sock.display().to_string())
        .arg("unixsocketperm", "777")
        .start()
        .unwrap();
    (server, sock)
}

/// `cfg` for a Unix-socket Redis, through `ssh`.
fn unix_through(sock: &Path, ssh: SshConfig) -> RedisConfig {
    RedisConfig {
        endpoint: Endpoint::Unix {
            path: sock.to_path_buf(),
        },
        ssh: Some(ssh),
        ..RedisConfig::default()
    }
}

fn known_hosts_file(lines: &[String]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    std::fs::write(&path, lines.concat()).unwrap();
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_use_asks_for_the_fingerprint_then_password_login_reaches_a_unix_socket() {
    let sshd = SshServer::start().unwrap();
    let (redis, sock) = redis_with_socket();
    let dir = tempfile::tempdir().unwrap();
    let known_hosts = dir.path().join("sub/known_hosts");
    let ssh = sshd.config(&known_hosts);

    // Unknown server: refused, and the fingerprint is the one ssh-keygen shows.
    let expected = sshd.fingerprint().unwrap();
    let keys = host_keys(&ssh, T).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].status, HostKeyStatus::Unknown);
    assert_eq!(keys[0].fingerprint, expected);
    let err = Conn::connect(&unix_through(&sock, ssh.clone()))
        .await
        .err()
        .expect("an unknown host key is refused");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains(&expected), "{err}");
    assert!(!known_hosts.exists(), "nothing recorded before acceptance");

    // Accepting a different fingerprint does not help.
    let mut wrong = ssh.clone();
    wrong.accept_fingerprint = Some("SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into());
    assert!(Conn::connect(&unix_through(&sock, wrong)).await.is_err());

    // Accepted: connects, records the key, and reaches the socket.
    let mut accepted = ssh.clone();
    accepted.accept_fingerprint = Some(expected.clone());
    let mut conn = Conn::connect(&unix_through(&sock, accepted)).await.unwrap();
    let _: () = conn.set("through:ssh", "yes\u{0}bin").await.unwrap();
    assert_eq!(
        sync_query(&redis, &["GET", "through:ssh"]).unwrap(),
        "yes\u{0}bin"
    );
    let recorded = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(
        recorded.contains(&format!("[127.0.0.1]:{}", sshd.port())),
        "{recorded}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&known_hosts)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "known_hosts is private: {mode:o}");
    }
    // The next connection needs no acceptance, and the channel went to the socket.
    assert_eq!(
        host_keys(&ssh, T).await.unwrap()[0].status,
        HostKeyStatus::Known
    );
    let mut again = Conn::connect(&unix_through(&sock, ssh)).await.unwrap();
    let v: String = again.get("through:ssh").await.unwrap();
    assert_eq!(v, "yes\u{0}bin");
    assert!(
        sshd.log().contains("streamlocal"),
        "the socket was reached through sshd"
    );

    // A wrong password is an authentication error that does not show the password.
    let (_d, kh) = known_hosts_file(&[sshd.known_hosts_line().unwrap()]);
    let mut bad = sshd.config(&kh);
    bad.auth = SshAuth::Password(Secret::new("not-the-password"));
    let err = Conn::connect(&unix_through(&sock, bad))
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("SSH authentication"), "{err}");
    assert!(!err.to_string().contains("not-the-password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_logins_with_and_without_passphrase() {
    let sshd = SshServer::start().unwrap();
    let (redis, sock) = redis_with_socket();
    let (_d, kh) = known_hosts_file(&[sshd.known_hosts_line().unwrap()]);
    let with = |auth: SshAuth| {
        let mut c = sshd.config(&kh);
        c.auth = auth;
        unix_through(&sock, c)
    };

    let mut plain = Conn::connect(&with(SshAuth::Key {
        path: sshd.user_key(),
        passphrase: None,
    }))
    .await
    .unwrap();
    let _: () = plain.set("k:plain", "1").await.unwrap();

    let err = Conn::connect(&with(SshAuth::Key {
        path: sshd.user_key_encrypted(),
        passphrase: None,
    }))
    .await
    .err()
    .unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("passphrase"), "{err}");

    let err = Conn::connect(&with(SshAuth::Key {
        path: sshd.user_key_encrypted(),
        passphrase: Some(Secret::new("wrong-phrase")),
    }))
    .await
    .err()
    .unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(!err.to_string().contains("wrong-phrase"));

    let mut enc = Conn::connect(&with(SshAuth::Key {
        path: sshd.user_key_encrypted(),
        passphrase: Some(Secret::new(KEY_PASSPHRASE)),
    }))
    .await
    .unwrap();
    let _: () = enc.set("k:enc", "2").await.unwrap();
    assert_eq!(
        sync_query(&redis, &["MGET", "k:plain", "k:enc"]).unwrap(),
        "1\n2"
    );

    // A key the server does not know.
    let stranger = tempfile::tempdir().unwrap();
    let stranger_key = stranger.path().join("id");
    redscope_testing::sshd::keygen(&stranger_key, "").unwrap();
    let err = Conn::connect(&with(SshAuth::Key {
        path: stranger_key,
        passphrase: None,
    }))
    .await
    .err()
    .unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_is_refused() {
    let sshd = SshServer::start().unwrap();
    let (_redis, sock) = redis_with_socket();
    // known_hosts holds another ed25519 key for this host:port.
    let other = tempfile::tempdir().unwrap();
    redscope_testing::sshd::keygen(&other.path().join("k"), "").unwrap();
    let public = std::fs::read_to_string(other.path().join("k.pub")).unwrap();
    let mut parts = public.split_whitespace();
    let line = format!(
        "[127.0.0.1]:{} {} {}\n",
        sshd.port(),
        parts.next().unwrap(),
        parts.next().unwrap()
    );
    let (_d, kh) = known_hosts_file(std::slice::from_ref(&line));
    let mut ssh = sshd.config(&kh);
    // Even a caller that "accepts" the new fingerprint is refused: the file must be fixed.
    ssh.accept_fingerprint = Some(sshd.fingerprint().unwrap());
    let keys = host_keys(&ssh, T).await.unwrap();
    assert_eq!(keys[0].status, HostKeyStatus::Changed);
    let err = Conn::connect(&unix_through(&sock, ssh))
        .await
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("mismatch"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&kh).unwrap(),
        line,
        "file untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jump_host_reaches_a_server_behind_it() {
    let bastion = SshServer::start().unwrap();
    let inner = SshServer::start_on("127.0.0.2".parse().unwrap()).unwrap();
    let (redis, sock) = redis_with_socket();
    let (_d, kh) = known_hosts_file(&[
        bastion.known_hosts_line().unwrap(),
        inner.known_hosts_line().unwrap(),
    ]);
    let mut ssh = inner.config(&kh);
    ssh.auth = SshAuth::Key {
        path: inner.user_key(),
        passphrase: None,
    };
    ssh.jump = Some(Box::new(bastion.config(&kh)));
    let keys = host_keys(&ssh, T).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.status == HostKeyStatus::Known));
    let mut conn = Conn::connect(&unix_through(&sock, ssh)).await.unwrap();
    let _: () = conn.set("via:bastion", "1").await.unwrap();
    assert_eq!(sync_query(&redis, &["GET", "via:bastion"]).unwrap(), "1");
    // The bastion forwarded to the inner sshd; the inner one opened the socket.
    let target = format!("127.0.0.2 port {}", inner.port());
    assert!(bastion.log().contains(&target), "{}", bastion.log());
    assert!(inner.log().contains("streamlocal"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tunnel_comes_back_after_sshd_restarts() {
    let mut sshd = SshServer::start().unwrap();
    let (_redis, sock) = redis_with_socket();
    let (_d, kh) = known_hosts_file(&[sshd.known_hosts_line().unwrap()]);
    let mut conn = Conn::connect(&unix_through(&sock, sshd.config(&kh)))
        .await
        .unwrap();
    let _: () = conn.set("before", "1").await.unwrap();
    // The session dies while sshd keeps listening: the next call reopens it.
    sshd.kill_sessions();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match conn.get::<_, Option<String>>("before").await {
            Ok(v) => {
                assert_eq!(v.as_deref(), Some("1"));
                break;
            }
            Err(e) if Instant::now() < deadline => {
                tracing::debug!("not back yet: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the session was not reopened: {e}"),
        }
    }
    // sshd itself goes away and comes back on the same port.
    sshd.kill();
    // While sshd is down, calls fail (no hang beyond the timeouts).
    let down: redis::RedisResult<Option<String>> = conn.get("before").await;
    assert!(down.is_err(), "sshd is down: {down:?}");
    sshd.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match conn.get::<_, Option<String>>("before").await {
            Ok(v) => {
                assert_eq!(v.as_deref(), Some("1"));
                break;
            }
            Err(e) if Instant::now() < deadline => {
                tracing::debug!("not back yet: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the tunnel did not come back: {e}"),
        }
    }
}

/// Every `target 127.0.0.1 port N` a sshd log shows (direct-tcpip requests).
fn forwarded_ports(log: &str) -> Vec<u16> {
    log.lines()
        .filter_map(|l| l.split("target 127.0.0.1 port ").nth(1))
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_and_master_are_reached_through_the_tunnel() {
    let sshd = SshServer::start().unwrap();
    let set = SentinelSet::start().unwrap();
    let (_d, kh) = known_hosts_file(&[sshd.known_hosts_line().unwrap()]);
    let mut cfg = set.config();
    cfg.ssh = Some(sshd.config(&kh));
    let mut conn = Conn::connect(&cfg).await.unwrap();
    let _: () = conn.set("sentinel:ssh", "1").await.unwrap();
    assert_eq!(
        sync_query(&set.master, &["GET", "sentinel:ssh"]).unwrap(),
        "1"
    );
    // The master's own address is what the Sentinels named, not the forwarder's.
    assert_eq!(
        conn.current_master().unwrap(),
        format!("127.0.0.1:{}", set.master.port())
    );
    let ports = forwarded_ports(&sshd.log());
    assert!(ports.contains(&set.master.port()), "{ports:?}");
    assert!(
        set.sentinels.iter().any(|s| ports.contains(&s.port())),
        "a Sentinel was asked through the tunnel: {ports:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cluster_node_is_reached_through_the_tunnel() {
    let sshd = SshServer::start().unwrap();
    let cluster = RedisCluster::start().unwrap();
    let (_d, kh) = known_hosts_file(&[sshd.known_hosts_line().unwrap()]);
    let mut cfg = cluster.config();
    // Only one seed: the rest of the Cluster is discovered from its announcements.
    if let redscope::config::Topology::Cluster { nodes } = &mut cfg.topology {
        nodes.truncate(1);
    }
    cfg.ssh = Some(sshd.config(&kh));
    let mut conn = Conn::connect(&cfg).await.unwrap();
    for i in 0..60 {
        let _: () = conn.set(format!("ck:{i}"), i).await.unwrap();
    }
    for i in 0..60 {
        let v: i64 = conn.get(format!("ck:{i}")).await.unwrap();
        assert_eq!(v, i);
    }
    let masters = conn.masters().await.unwrap();
    assert_eq!(masters.len(), 3);
    let ports = forwarded_ports(&sshd.log());
    for m in cluster.master_ports() {
        assert!(
            ports.contains(&m),
            "master {m} reached through sshd: {ports:?}"
        );
    }
    // A slot moved to another master: the MOVED reply names a node address, which is mapped
    // through the tunnel like the others.
    let map = conn.slot_map().await.unwrap();
    let slot = redscope::conn::key_slot(b"ck:0");
    let owner = redscope::conn::slot_owner(&map, slot).unwrap().to_string();
    let target = map
        .iter()
        .map(|r| r.master.clone())
        .find(|m| *m != owner)
        .unwrap();
    let node = |addr: &str| {
        cluster
            .nodes
            .iter()
            .find(|n| addr.ends_with(&format!(":{}", n.port())))
            .unwrap()
    };
    let target_id = sync_query(node(&target), &["CLUSTER", "MYID"]).unwrap();
    let owner_id = sync_query(node(&owner), &["CLUSTER", "MYID"]).unwrap();
    let s = slot.to_string();
    sync_query(
        node(&target),
        &["CLUSTER", "SETSLOT", &s, "IMPORTING", &owner_id],
    )
    .unwrap();
    sync_query(
        node(&owner),
        &["CLUSTER", "SETSLOT", &s, "MIGRATING", &target_id],
    )
    .unwrap();
    let (_, tport) = target.rsplit_once(':').unwrap();
    sync_query(
        node(&owner),
        &[
            "MIGRATE",
            "127.0.0.1",
            tport,
            "",
            "0",
            "5000",
            "KEYS",
            "ck:0",
        ],
    )
    .unwrap();
    for n in [&target, &owner] {
        sync_query(node(n), &["CLUSTER", "SETSLOT", &s, "NODE", &target_id]).unwrap();
    }
    let v: i64 = conn.get("ck:0").await.unwrap();
    assert_eq!(v, 0, "read after MOVED through the tunnel");
    let _: () = conn.set("ck:0", 100).await.unwrap();
    assert_eq!(sync_query(node(&target), &["GET", "ck:0"]).unwrap(), "100");
}

/// TLS behind a bastion: the tunnel's loopback end is what is dialled, but the server's
/// certificate (issued for `localhost` only, required client certificate) is checked against
/// the host the URL names, and with `server_name=` against that name instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_server_behind_the_tunnel_is_checked_against_its_own_name() {
    use redscope::config::TlsClientCert;
    let sshd = SshServer::start().unwrap();
    let tls = redscope_testing::tls::TlsRedis::start_for("DNS:localhost").unwrap();
    let (_d, kh) = known_hosts_file(&[sshd.known_hosts_line().unwrap()]);
    let with = |host: &str, server_name: Option<&str>| RedisConfig {
        endpoint: Endpoint::Tls {
            host: host.into(),
            port: tls.tls_port,
            insecure: false,
        },
        tls_ca: Some(tls.certs.ca.clone()),
        tls_client: Some(TlsClientCert {
            cert: tls.certs.client_cert.clone(),
            key: tls.certs.client_key.clone(),
            key_passphrase: None,
        }),
        tls_server_name: server_name.map(str::to_string),
        ssh: Some(sshd.config(&kh)),
        ..RedisConfig::default()
    };

    let mut conn = Conn::connect(&with("localhost", None)).await.unwrap();
    let _: () = conn.set("tls:ssh", "1").await.unwrap();
    assert_eq!(sync_query(&tls.server, &["GET", "tls:ssh"]).unwrap(), "1");
    let target = format!("target localhost port {}", tls.tls_port);
    assert!(
        sshd.log().contains(&target),
        "the SSH server dialled the name: {}",
        sshd.log()
    );

    // Dialled by address, checked by name.
    let mut by_ip = Conn::connect(&with("127.0.0.1", Some("localhost")))
        .await
        .unwrap();
    let got: String = by_ip.get("tls:ssh").await.unwrap();
    assert_eq!(got, "1");

    // The address itself is not a name the certificate lists: refused, saying so.
    let err = Conn::connect(&with("127.0.0.1", None))
        .await
        .err()
        .expect("refused");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
}
