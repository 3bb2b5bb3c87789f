//! `rediss://` against a real redis-server with TLS: a private CA and server certificate made
//! with the `openssl` CLI; verified with the CA, refused without it, accepted with `#insecure`.

use std::path::{Path, PathBuf};
use std::process::Command;

use redscope::cache::Cache;
use redscope::conn::Conn;
use redscope::{ErrorKind, RedisConfig};
use redscope_testing::{free_port, RedisServer};

/// The servers' password: it must never show in an error.
const PASSWORD: &str = "tls-s3cret-pw";

/// A CA, and a server certificate it signed for `localhost` / 127.0.0.1, in `dir`.
fn make_certs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    make_certs_for(dir, "DNS:localhost,IP:127.0.0.1")
}

/// A CA, and a server certificate it signed for the names in `san` (`DNS:…,IP:…`), in `dir`.
fn make_certs_for(dir: &Path, san: &str) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl CLI is installed");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=Redscope Test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&csr);
    std::fs::write(
        dir.join("ext.cnf"),
        format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    )
}

/// A redis-server answering only TLS, on the returned port.
fn tls_server(dir: &Path) -> (RedisServer, u16, PathBuf) {
    tls_server_for(dir, "DNS:localhost,IP:127.0.0.1")
}

/// The same, with a certificate for the names in `san`.
fn tls_server_for(dir: &Path, san: &str) -> (RedisServer, u16, PathBuf) {
    let (ca, cert, key) = make_certs_for(dir, san);
    let tls_port = free_port().unwrap();
    let tls_port_s = tls_port.to_string();
    let server = RedisServer::builder()
        .password(PASSWORD)
        .raw_args(&[
            "--tls-port",
            &tls_port_s,
            "--tls-cert-file",
            cert.to_str().unwrap(),
            "--tls-key-file",
            key.to_str().unwrap(),
            "--tls-ca-cert-file",
            ca.to_str().unwrap(),
            "--tls-auth-clients",
            "no",
        ])
        .start()
        .unwrap();
    // The fixture checks readiness on the plain port; once up, the server goes TLS-only, as
    // with `--port 0` (the plain listener closes; `port` is changeable at run time in Redis 7).
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_connection().unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("port")
        .arg(0)
        .query(&mut c)
        .unwrap();
    drop(c);
    assert!(
        client
            .get_connection_with_timeout(std::time::Duration::from_millis(500))
            .is_err(),
        "the plain port still accepts connections"
    );
    (server, tls_port, ca)
}

async fn ping(cfg: &RedisConfig) -> redscope::Result<String> {
    let mut conn = Conn::connect(cfg).await?;
    Ok(redis::cmd("PING").query_async(&mut conn).await?)
}

#[tokio::test]
async fn rediss_verifies_with_the_ca_refuses_without_and_insecure_skips() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port, ca) = tls_server(dir.path());

    // With the private CA in the URL: verified, works, and the cache works over it.
    let url = format!(
        "rediss://:{PASSWORD}@localhost:{port}/0?ca={}",
        ca.display()
    );
    let cfg = RedisConfig::from_url(&url).unwrap();
    assert_eq!(cfg.tls_ca.as_deref(), Some(ca.as_path()));
    assert_eq!(ping(&cfg).await.unwrap(), "PONG");
    let cache = Cache::new(Conn::connect(&cfg).await.unwrap());
    assert!(cache.set("tls:probe", &vec![1, 2, 3]).await.unwrap());
    assert_eq!(
        cache.get::<Vec<i32>>("tls:probe").await.unwrap(),
        Some(vec![1, 2, 3])
    );

    // Without the CA: a clear, non-retryable configuration error that names the fix.
    let cfg = RedisConfig::from_url(&format!("rediss://:{PASSWORD}@localhost:{port}/0")).unwrap();
    let err = ping(&cfg).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(!err.is_transient());
    let text = err.to_string();
    assert!(text.contains("TLS") && text.contains("#insecure"), "{text}");
    assert!(
        !text.contains(PASSWORD) && !format!("{err:?}").contains(PASSWORD),
        "{text}"
    );

    // The TLS port speaks only TLS: a plain connection to it gets nowhere.
    let mut plain =
        RedisConfig::from_url(&format!("redis://:{PASSWORD}@localhost:{port}/0")).unwrap();
    plain.connect_timeout = std::time::Duration::from_millis(500);
    plain.response_timeout = std::time::Duration::from_millis(500);
    assert!(ping(&plain).await.is_err());

    // A CA that did not sign the server's certificate is refused the same way.
    let other = tempfile::tempdir().unwrap();
    let (other_ca, _, _) = make_certs(other.path());
    let cfg = RedisConfig::from_url(&format!(
        "rediss://localhost:{port}/0?ca={}",
        other_ca.display()
    ))
    .unwrap();
    assert_eq!(ping(&cfg).await.unwrap_err().kind(), ErrorKind::Config);

    // #insecure: no verification, works.
    let cfg = RedisConfig::from_url(&format!("rediss://:{PASSWORD}@127.0.0.1:{port}/0#insecure"))
        .unwrap();
    assert_eq!(ping(&cfg).await.unwrap(), "PONG");

    // Environment: REDIS_TLS=1 with REDIS_TLS_CA.
    let vars = |k: &str| match k {
        "REDIS_HOST" => Some("localhost".to_string()),
        "REDIS_PORT" => Some(port.to_string()),
        "REDIS_TLS" => Some("1".to_string()),
        "REDIS_TLS_CA" => Some(ca.display().to_string()),
        "REDIS_PASSWORD" => Some(PASSWORD.to_string()),
        _ => None,
    };
    let cfg = RedisConfig::from_vars(vars).unwrap();
    assert_eq!(ping(&cfg).await.unwrap(), "PONG");

    // A CA path that does not exist is a clear configuration error, before any connection.
    let cfg = RedisConfig::from_url(&format!(
        "rediss://:{PASSWORD}@localhost:{port}/0?ca=/nonexistent/ca.pem"
    ))
    .unwrap();
    assert_eq!(ping(&cfg).await.unwrap_err().kind(), ErrorKind::Config);
}

/// A server whose certificate names another host (as one reached through a tunnel, or by an
/// address its certificate does not list): refused by default, accepted with `#verify-ca` (or
/// `REDIS_TLS_VERIFY=ca`), which still refuses a certificate the CA did not sign.
#[tokio::test]
async fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port, ca) = tls_server_for(dir.path(), "DNS:redis.internal");
    let url = |fragment: &str| {
        format!(
            "rediss://:{PASSWORD}@127.0.0.1:{port}/0?ca={}{fragment}",
            ca.display()
        )
    };

    let err = ping(&RedisConfig::from_url(&url("")).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("#verify-ca"),
        "the error names the option: {text}"
    );

    let cfg = RedisConfig::from_url(&url("#verify-ca")).unwrap();
    assert!(!cfg.tls_verify_host);
    assert_eq!(ping(&cfg).await.unwrap(), "PONG");

    let vars = |k: &str| match k {
        "REDIS_URL" => Some(url("")),
        "REDIS_TLS_VERIFY" => Some("ca".to_string()),
        _ => None,
    };
    assert_eq!(
        ping(&RedisConfig::from_vars(vars).unwrap()).await.unwrap(),
        "PONG"
    );
    let bad = |k: &str| (k == "REDIS_TLS_VERIFY").then(|| "none".to_string());
    assert_eq!(
        RedisConfig::from_vars(bad).unwrap_err().kind(),
        ErrorKind::Config
    );

    // The chain is still checked: another CA is refused.
    let other = tempfile::tempdir().unwrap();
    let (other_ca, _, _) = make_certs(other.path());
    let cfg = RedisConfig::from_url(&format!(
        "rediss://:{PASSWORD}@127.0.0.1:{port}/0?ca={}#verify-ca",
        other_ca.display()
    ))
    .unwrap();
    assert_eq!(ping(&cfg).await.unwrap_err().kind(), ErrorKind::Config);

    // An unknown fragment is refused rather than read as full verification.
    assert_eq!(
        RedisConfig::from_url(&url("#verify-nothing"))
            .unwrap_err()
            .kind(),
        ErrorKind::Config
    );
}

/// A server known by a name its clients do not dial (a certificate for `redis.internal` only,
/// reached at 127.0.0.1): `?server_name=` (or `REDIS_TLS_SERVER_NAME`) checks the certificate
/// fully against that name, so the wrong name or another CA is refused; the local relay this
/// goes through keeps its socket in a directory only this user can enter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_name_override_checks_the_certificate_against_that_name() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, port, ca) = tls_server_for(dir.path(), "DNS:redis.internal");
    let url = |query: &str| {
        format!(
            "rediss://:{PASSWORD}@127.0.0.1:{port}/0?ca={}{query}",
            ca.display()
        )
    };

    let cfg = RedisConfig::from_url(&url("&server_name=redis.internal")).unwrap();
    assert_eq!(cfg.tls_server_name.as_deref(), Some("redis.internal"));
    assert!(cfg.tls_verify_host, "the name is checked, not skipped");
    let mut conn = Conn::connect(&cfg).await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("sni:k")
        .arg("through the relay")
        .query_async(&mut conn)
        .await
        .unwrap();
    // Another connection of the same configuration (the relay is shared) reads it back, and a
    // blocking connection goes the same way.
    let mut again = Conn::connect(&cfg).await.unwrap();
    let got: String = redis::cmd("GET")
        .arg("sni:k")
        .query_async(&mut again)
        .await
        .unwrap();
    assert_eq!(got, "through the relay");
    let mut blocking = redscope::conn::connect_blocking(&cfg).await.unwrap();
    let popped: Option<(String, String)> = redis::cmd("BLPOP")
        .arg("sni:empty")
        .arg(0.1)
        .query_async(&mut blocking)
        .await
        .unwrap();
    assert_eq!(popped, None);

    let vars = |k: &str| match k {
        "REDIS_URL" => Some(url("")),
        "REDIS_TLS_SERVER_NAME" => Some("redis.internal".to_string()),
        _ => None,
    };
    assert_eq!(
        ping(&RedisConfig::from_vars(vars).unwrap()).await.unwrap(),
        "PONG"
    );

    // A name the certificate does not list: refused, and the error says which name was checked.
    let err = ping(&RedisConfig::from_url(&url("&server_name=cache.internal")).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    let text = err.to_string();
    assert!(text.contains("cache.internal"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");

    // The right name with a CA that did not sign the certificate: refused.
    let other = tempfile::tempdir().unwrap();
    let (other_ca, _, _) = make_certs(other.path());
    let cfg = RedisConfig::from_url(&format!(
        "rediss://:{PASSWORD}@127.0.0.1:{port}/0?ca={}&server_name=redis.internal",
        other_ca.display()
    ))
    .unwrap();
    assert_eq!(ping(&cfg).await.unwrap_err().kind(), ErrorKind::Config);

    // The relays' sockets sit in directories only this user can enter.
    use std::os::unix::fs::PermissionsExt;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let mine = format!("redscope-tls-{}-", std::process::id());
    let dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&mine))
        .collect();
    assert!(!dirs.is_empty(), "a relay was started");
    for d in dirs {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", d.display());
    }

    // A Cluster checks each node against the address it announces: an override is refused.
    let cluster =
        RedisConfig::from_url("rediss+cluster://127.0.0.1:1,127.0.0.1:2?server_name=x").unwrap();
    let err = Conn::connect(&cluster).await.err().expect("refused");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
}

#[tokio::test]
async fn blocking_pool_over_tls_serves_blpop() {
    use redscope::pool::BlockingPool;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let (_server, port, ca) = tls_server(dir.path());
    let cfg = RedisConfig::from_url(&format!(
        "rediss://:{PASSWORD}@localhost:{port}/0?ca={}",
        ca.display()
    ))
    .unwrap();
    let pool = BlockingPool::new(cfg.clone(), 2);
    let mut waiter = pool.get(Duration::from_secs(5)).await.unwrap();
    let blpop = tokio::spawn(async move {
        let mut cmd = redis::cmd("BLPOP");
        cmd.arg("tls:queue").arg(10);
        let got: Option<(String, String)> = waiter.query(&cmd).await.unwrap();
        got
    });
    let mut conn = Conn::connect(&cfg).await.unwrap();
    // Whether BLPOP is already blocked or not yet sent, it returns this element.
    let _: i64 = redis::cmd("RPUSH")
        .arg("tls:queue")
        .arg("job-1")
        .query_async(&mut conn)
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), blpop)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, Some(("tls:queue".to_string(), "job-1".to_string())));
    assert_eq!(pool.in_use(), 0);
    assert_eq!(pool.idle(), 1);
    // At most two at once: a third waits and times out.
    let a = pool.get(Duration::from_secs(5)).await.unwrap();
    let b = pool.get(Duration::from_secs(5)).await.unwrap();
    let err = pool.get(Duration::from_millis(100)).await.unwrap_err();
    assert!(err.is_timeout());
    drop((a, b));
    assert_eq!(pool.idle(), 2);
}
