//! The shipped `redscope.service` started with the shipped example settings (`serve.env`), and
//! checked as the operator of a shared host would check it: HTTPS with their certificate, the
//! token required, only the allowed host name answered, read-only held, no secret on the
//! command line, in the environment or in the log, and a clean stop on SIGTERM.
//!
//! Used by the `redscope` binary's tests (the unit in `packaging/` with the freshly built
//! binary) and by the package test (the unit, example and binary the .deb installed).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::service::{self, ServiceHost, Unit};
use crate::{free_port, sync_query, RedisServer};

/// The flags of `redscope serve` the unit relies on.
pub const UNIT_FLAGS: [&str; 5] = [
    "--token-file",
    "--tls-cert",
    "--tls-key",
    "--allow-host",
    "--allow-remote",
];

/// Which of [`UNIT_FLAGS`] `binary serve --help` does not list.
pub fn missing_serve_flags(binary: &Path) -> Vec<&'static str> {
    let out = Command::new(binary)
        .args(["serve", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let help = String::from_utf8_lossy(&out.stdout);
    UNIT_FLAGS
        .into_iter()
        .filter(|f| !help.contains(f))
        .collect()
}

/// A started service, killed on drop.
struct Running {
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the check saw, for the test's output.
#[derive(Debug)]
pub struct Checked {
    /// The line the service printed at start.
    pub banner: String,
    /// `GET /api/health` through the allowed name, verified TLS and the token.
    pub health: serde_json::Value,
    /// `GET /api/about` likewise.
    pub about: serde_json::Value,
}

/// Starts `binary` as `unit_file` says, with the settings of `example_env` in
/// `/etc/redscope/serve.env` changed only where a test machine must differ: `REDIS_URL` (the
/// test's own server) and the port of `REDSCOPE_BIND` (a free one). The token, certificate and
/// key are made where the unit's `LoadCredential=` lines read them. Panics on any failed check.
pub fn check_shipped_service(binary: &Path, unit_file: &Path, example_env: &Path) -> Checked {
    let redis = RedisServer::start().unwrap();
    let unit = Unit::read(unit_file).unwrap();
    let host = ServiceHost::new().unwrap();

    // The settings as shipped, two values adjusted.
    let env_file = unit
        .service("EnvironmentFile")
        .expect("the unit reads an EnvironmentFile");
    let shipped = std::fs::read_to_string(example_env).unwrap();
    let vars: std::collections::BTreeMap<String, String> =
        service::parse_env_file(&shipped).into_iter().collect();
    let bind = &vars["REDSCOPE_BIND"];
    let (bind_ip, _) = bind
        .rsplit_once(':')
        .expect("REDSCOPE_BIND is address:port");
    let port = free_port().unwrap();
    let name = vars["REDSCOPE_ALLOW_HOST"]
        .split(',')
        .next()
        .unwrap()
        .trim()
        .to_string();
    assert!(
        vars.get("REDSCOPE_SERVE_FLAGS")
            .is_some_and(|f| f.split_whitespace().any(|f| f == "--read-only")),
        "the example configuration is read-only"
    );
    let adjusted = service::set_env_line(&shipped, "REDIS_URL", &redis.url()).unwrap();
    let adjusted =
        service::set_env_line(&adjusted, "REDSCOPE_BIND", &format!("{bind_ip}:{port}")).unwrap();
    host.write(env_file, adjusted, 0o600).unwrap();

    // The operator's secret files, where the unit's credentials come from.
    let token = format!("svc-{:032x}", rand_u128());
    let creds: std::collections::BTreeMap<String, String> =
        unit.credentials().unwrap().into_iter().collect();
    for needed in ["token", "tls.crt", "tls.key"] {
        assert!(
            creds.contains_key(needed),
            "the unit loads no credential {needed:?}: {creds:?}"
        );
    }
    host.write(&creds["token"], format!("{token}\n"), 0o600)
        .unwrap();
    let ca = make_certificate(&host, &creds["tls.crt"], &creds["tls.key"], &name);

    let stderr_path = host.path("/var/log/redscope.stderr");
    std::fs::create_dir_all(stderr_path.parent().unwrap()).unwrap();
    let mut cmd = host.command(&unit, binary).unwrap();
    cmd.stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    let mut running = Running {
        child: cmd.spawn().unwrap(),
    };
    let pid = running.child.id();
    // The first stdout line names the address; later lines are drained so the service never
    // blocks on a full pipe.
    let mut stdout = BufReader::new(running.child.stdout.take().unwrap());
    let (first, banner_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = stdout.read_line(&mut line);
        let _ = first.send(line);
        let mut sink = String::new();
        while stdout.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    let stderr_now = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let banner = banner_rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("no start line within 30 s; stderr:\n{}", stderr_now()));
    assert!(
        banner.starts_with("Redscope is serving on https://"),
        "banner {banner:?}; stderr:\n{}",
        stderr_now()
    );
    assert!(
        !banner.contains(&token),
        "the banner shows the token: {banner:?}"
    );

    // The token reaches the service only as a file: not in its command line, not in its
    // environment (both readable through /proc by anyone with the same uid, and by `ps`).
    for what in ["cmdline", "environ"] {
        let seen = std::fs::read(format!("/proc/{pid}/{what}")).unwrap();
        assert!(
            !String::from_utf8_lossy(&seen).contains(&token),
            "/proc/{pid}/{what} holds the token"
        );
    }

    let https = Curl {
        ca: ca.clone(),
        name: name.clone(),
        port,
        token_header: host
            .write(
                "/tmp/curl-auth-header",
                format!("Authorization: Bearer {token}"),
                0o600,
            )
            .unwrap(),
    };

    let (status, health) = https.get("/api/health", true, None);
    assert_eq!(status, 200, "health: {health}\nstderr:\n{}", stderr_now());
    assert_eq!(health["state"], "connected", "{health}");

    // No token, no answer.
    let (status, body) = https.get("/api/health", false, None);
    assert_eq!(status, 401, "without the token: {body}");
    // A name not in REDSCOPE_ALLOW_HOST is refused even with the token (DNS rebinding).
    let (status, body) = https.get(
        "/api/health",
        true,
        Some(&format!("Host: rebound.attacker.example:{port}")),
    );
    assert_eq!(status, 403, "a foreign Host header: {body}");
    // Plain HTTP on the same port gets no answer.
    let plain = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .arg(format!("http://127.0.0.1:{port}/api/health"))
        .output()
        .unwrap();
    let plain_code = String::from_utf8_lossy(&plain.stdout).trim().to_string();
    assert!(
        !plain.status.success() && plain_code == "000",
        "plain HTTP was answered: {plain_code}"
    );

    // Read-only: a delete is refused and the key stays.
    sync_query(&redis, &["SET", "svc:keep", "1"]).unwrap();
    let (status, body) = https.request("DELETE", "/api/key", r#"{"key":"svc:keep"}"#);
    assert_eq!(status, 403, "a delete in read-only mode: {body}");
    assert_eq!(body["code"], "read_only", "{body}");
    assert_eq!(sync_query(&redis, &["GET", "svc:keep"]).unwrap(), "1");

    let (status, about) = https.get("/api/about", true, None);
    assert_eq!(status, 200, "about: {about}");

    // systemd stops it with the unit's KillSignal= and waits TimeoutStopSec=.
    assert_eq!(unit.service("KillSignal"), Some("SIGTERM"));
    let stop_timeout: u64 = unit
        .service("TimeoutStopSec")
        .and_then(|s| s.parse().ok())
        .expect("TimeoutStopSec= in seconds");
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(stop_timeout);
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running {stop_timeout} s after SIGTERM (systemd would kill it)"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = stderr_now();
    assert!(status.success(), "exit {status} after SIGTERM:\n{log}");
    assert!(!log.contains(&token), "the log holds the token:\n{log}");
    Checked {
        banner: banner.trim().to_string(),
        health,
        about,
    }
}

/// curl against the service by its allowed name, trusting only the test's CA.
struct Curl {
    ca: PathBuf,
    name: String,
    port: u16,
    token_header: PathBuf,
}

impl Curl {
    fn run(
        &self,
        method: &str,
        path: &str,
        token: bool,
        header: Option<&str>,
        body: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "10", "-X", method])
            .arg("--cacert")
            .arg(&self.ca)
            .arg("--resolve")
            .arg(format!("{}:{}:127.0.0.1", self.name, self.port))
            .args(["-w", "\n%{http_code}"]);
        if token {
            cmd.arg("-H")
                .arg(format!("@{}", self.token_header.display()));
        }
        if let Some(h) = header {
            cmd.args(["-H", h]);
        }
        if let Some(b) = body {
            cmd.args(["-H", "Content-Type: application/json", "--data-binary", b]);
        }
        cmd.arg(format!("https://{}:{}{path}", self.name, self.port));
        let out = cmd.output().expect("curl is installed (scripts/dev setup)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "curl {method} {path}: {}{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        let json = serde_json::from_str(body).unwrap_or(serde_json::Value::String(body.into()));
        (code.trim().parse().unwrap_or(0), json)
    }

    fn get(&self, path: &str, token: bool, header: Option<&str>) -> (u16, serde_json::Value) {
        self.run("GET", path, token, header, None)
    }

    fn request(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        self.run(method, path, true, None, Some(body))
    }
}

/// A self-signed certificate for `name` (and 127.0.0.1) with its key, written where the unit
/// loads them from; answers the certificate's path on this host, which clients trust.
fn make_certificate(host: &ServiceHost, cert: &str, key: &str, name: &str) -> PathBuf {
    let (cert, key) = (host.path(cert), host.path(key));
    std::fs::create_dir_all(cert.parent().unwrap()).unwrap();
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj"])
        .arg(format!("/CN={name}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{name},IP:127.0.0.1"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl command is installed (scripts/dev setup)");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cert
}

/// 128 random bits from the kernel, for a token nobody else knows.
fn rand_u128() -> u128 {
    let mut b = [0u8; 16];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .unwrap();
    u128::from_le_bytes(b)
}
