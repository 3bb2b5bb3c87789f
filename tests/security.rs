//! Web mode refuses what a hostile web page could send: foreign Host headers (DNS rebinding),
//! foreign Origins (cross-site requests), and requests without the token. On a shared network:
//! HTTPS with an https Origin, remote mode answering only allowed names, security headers on
//! every answer, a deadline for request headers and a cap on open connections.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redscope_admin::{AdminOptions, AdminService};
use redscope_cli::web::{Limits, ServeOptions, TlsFiles, WebServer};
use redscope_testing::RedisServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "security-token-0123456789";

async fn start(redis: &RedisServer) -> SocketAddr {
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let opts = ServeOptions {
        bind: "127.0.0.1:0".parse().unwrap(),
        token: Some(TOKEN.into()),
        allow_remote: false,
        ..Default::default()
    };
    let server = WebServer::bind(service, opts).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

#[tokio::test]
async fn a_rebound_domain_is_refused_even_with_the_token() {
    let redis = RedisServer::start().unwrap();
    let addr = start(&redis).await;
    let http = reqwest::Client::new();
    for path in ["/api/health", "/", "/index.html"] {
        let res = http
            .get(format!("http://{addr}{path}"))
            .header("Host", format!("attacker.example:{}", addr.port()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "forbidden");
    }
    let ok = http
        .get(format!("http://localhost:{}/api/health", addr.port()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "localhost is ours");
}

#[tokio::test]
async fn a_foreign_origin_cannot_drive_the_api() {
    let redis = RedisServer::start().unwrap();
    let addr = start(&redis).await;
    let http = reqwest::Client::new();
    let foreign = http
        .get(format!("http://{addr}/api/health"))
        .header("Origin", "https://evil.example")
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "no CORS grant"
    );
    let preflight = http
        .request(
            reqwest::Method::OPTIONS,
            format!("http://{addr}/api/health"),
        )
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "preflight grants nothing"
    );
    let own = http
        .get(format!("http://{addr}/api/health"))
        .header("Origin", format!("http://{addr}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200, "the UI's own origin is fine");
}

async fn start_with(redis: &RedisServer, opts: ServeOptions) -> SocketAddr {
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let server = WebServer::bind(
        service,
        ServeOptions {
            token: Some(TOKEN.into()),
            ..opts
        },
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    addr
}

/// A CA and a certificate it signed for localhost / 127.0.0.1 (openssl CLI): (ca, cert, key).
fn make_certs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
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
        "/CN=Web Test CA",
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
        "web.key",
        "-out",
        "web.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "web.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "web.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (dir.join("ca.crt"), dir.join("web.crt"), dir.join("web.key"))
}

/// One HTTP/1.1 request over `stream`; the whole answer as text.
async fn raw_request<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    stream: &mut S,
    head: &str,
) -> String {
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn web_mode_serves_https_and_accepts_its_own_https_origin() {
    use tokio_rustls::rustls;
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_certs(dir.path());
    let addr = start_with(
        &redis,
        ServeOptions {
            tls: Some(TlsFiles { cert, key }),
            ..ServeOptions::default()
        },
    )
    .await;
    let mut roots = rustls::RootCertStore::empty();
    use rustls_pki_types::pem::PemObject;
    roots
        .add(rustls_pki_types::CertificateDer::from_pem_file(&ca).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let host = format!("localhost:{}", addr.port());
    for origin in [format!("https://{host}"), format!("http://{host}")] {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.expect("TLS handshake");
        let answer = raw_request(
            &mut tls,
            &format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{origin}: {answer}");
    }
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let foreign = raw_request(
        &mut tls,
        &format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\nOrigin: https://evil.example\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert!(foreign.starts_with("HTTP/1.1 403"), "{foreign}");
    // Plain HTTP on the TLS port gets no answer.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    let answer = raw_request(
        &mut plain,
        &format!("GET /api/health HTTP/1.1\r\nHost: {host}\r\n\r\n"),
    )
    .await;
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let redis = RedisServer::start().unwrap();
    let addr = start(&redis).await;
    let http = reqwest::Client::new();
    for (path, api) in [("/api/health", true), ("/", false), ("/api/nope", true)] {
        let res = http
            .get(format!("http://{addr}{path}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let h = res.headers();
        let get = |n: &str| {
            h.get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = get("content-security-policy");
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(get("x-frame-options"), "DENY", "{path}");
        if api {
            assert_eq!(get("cache-control"), "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn remote_mode_answers_only_ip_addresses_and_allowed_names() {
    let redis = RedisServer::start().unwrap();
    let addr = start_with(
        &redis,
        ServeOptions {
            allow_remote: true,
            allow_hosts: vec!["redscope.internal".into()],
            ..ServeOptions::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let port = addr.port();
    for (host, status) in [
        (format!("attacker.example:{port}"), 403),
        ("attacker.example".to_string(), 403),
        (format!("redscope.internal:{port}"), 200),
        ("redscope.internal".to_string(), 200),
        (format!("127.0.0.1:{port}"), 200),
        (format!("10.0.0.7:{port}"), 200),
    ] {
        let res = http
            .get(format!("http://{addr}/api/health"))
            .header("Host", &host)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "Host {host}");
    }
}

#[tokio::test]
async fn a_half_sent_request_is_cut_off_and_connections_are_capped() {
    let redis = RedisServer::start().unwrap();
    let timed = start_with(
        &redis,
        ServeOptions {
            limits: Limits {
                header_timeout: Duration::from_secs(1),
                ..Limits::default()
            },
            ..ServeOptions::default()
        },
    )
    .await;
    let mut slow = tokio::net::TcpStream::connect(timed).await.unwrap();
    slow.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "a half-sent request kept its connection open");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    let capped = start_with(
        &redis,
        ServeOptions {
            limits: Limits {
                max_connections: 3,
                ..Limits::default()
            },
            ..ServeOptions::default()
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(capped).await.unwrap());
    }
    let mut extra = tokio::net::TcpStream::connect(capped).await.unwrap();
    let answer = raw_request(
        &mut extra,
        &format!(
            "GET /api/health HTTP/1.1\r\nHost: {capped}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(
        answer, "",
        "a connection beyond the cap is closed unanswered"
    );
    drop(held);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = http
            .get(format!("http://{capped}/api/health"))
            .bearer_auth(TOKEN)
            .send()
            .await;
        if res.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(Instant::now() < deadline, "the cap was not released");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_cap_get_503() {
    let redis = RedisServer::start().unwrap();
    let mut cfg = redis.config();
    cfg.response_timeout = Duration::from_secs(3);
    cfg.connect_timeout = Duration::from_secs(3);
    let service = AdminService::new(cfg, AdminOptions::default());
    let server = WebServer::bind(
        service,
        ServeOptions {
            token: Some(TOKEN.into()),
            limits: Limits {
                max_requests: 1,
                ..Limits::default()
            },
            ..ServeOptions::default()
        },
    )
    .await
    .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("http://{addr}{path}"))
            .bearer_auth(TOKEN)
            .send()
    };
    assert_eq!(get("/api/keys").await.unwrap().status(), 200);
    // A hung server holds one request for a response timeout; meanwhile every other is 503.
    redis.pause().unwrap();
    let mut held = tokio::spawn(get("/api/keys"));
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        // The held request can lose the race for the one slot to a probe (and get the 503
        // itself): send it again until it is the one holding the slot.
        if held.is_finished() {
            held = tokio::spawn(get("/api/keys"));
            tokio::task::yield_now().await;
        }
        let res = get("/api/openapi.json").await.unwrap();
        if res.status() == 503 {
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["code"], "busy", "{body}");
            break;
        }
        assert_eq!(res.status(), 200);
        assert!(Instant::now() < deadline, "no 503 while a request was held");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    redis.resume().unwrap();
    let _ = held.await;
    assert_eq!(get("/api/openapi.json").await.unwrap().status(), 200);
}
