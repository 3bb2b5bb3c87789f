//! `app-memory`: the resident memory of `redscope serve`, spawned from the same target dir, after
//! browsing a 1,000,000-key tree over HTTP and monitoring 1,000,000 messages. There is no
//! reference tool; `reference` is the budget from the issue. Also the process helpers the
//! `desktop` scenario shares (sibling binaries, `REDIS_*` for a child, RSS and PSS).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{load_tree_1m, run_redis_benchmark, tcp_addr, BenchReport, TREE_KEYS};
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};

/// `redscope serve` budget after both workloads, MB.
const SERVE_BUDGET_MB: f64 = 150.0;
/// Messages monitored in `app-memory`.
const MESSAGES: u64 = 1_000_000;

/// A binary built next to the running one: `target/<profile>/<name>` (also from `deps/`), else
/// the same name in the other profile's folder. Returns the path and the profile it came from.
pub fn sibling_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let mut dir = exe.parent()?.to_path_buf();
    if dir.ends_with("deps") {
        dir = dir.parent()?.to_path_buf();
    }
    let here = dir.join(name);
    if here.is_file() {
        return Some(here);
    }
    let target = dir.parent()?;
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join(name))
        .find(|p| p.is_file())
}

/// Sets the child's Redis settings through `REDIS_*` variables (the password never on argv).
pub(super) fn redis_env(cmd: &mut Command, cfg: &RedisConfig) -> Result<()> {
    let (host, port) = tcp_addr(cfg)?;
    cmd.env_remove("REDIS_URL")
        .env("REDIS_HOST", host)
        .env("REDIS_PORT", port.to_string())
        .env("REDIS_DB", cfg.db.to_string());
    if let Some(pw) = &cfg.password {
        cmd.env("REDIS_PASSWORD", pw.expose());
    }
    if let Some(u) = &cfg.username {
        cmd.env("REDIS_USERNAME", u);
    }
    Ok(())
}

/// Kills the child when dropped (a failed bench leaves no process behind).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `VmRSS` of a process, MB (Linux).
pub(super) fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// `Pss` of a process, MB (Linux): resident memory with shared pages split between their users,
/// so a sum over processes does not count shared libraries several times.
pub(super) fn pss_mb(pid: u32) -> Option<f64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let kb: f64 = rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// A minimal HTTP/1.1 request with the bearer token; returns the status and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&str>,
) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| Error::Codec("HTTP reply without headers".into()))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Codec("HTTP reply without a status".into()))?;
    Ok((status, body.to_string()))
}

fn json_get(addr: &str, path: &str, token: &str) -> Result<serde_json::Value> {
    let (status, body) = http(addr, "GET", path, token, None)?;
    if status != 200 {
        return Err(Error::server(format!("GET {path}: HTTP {status}: {body}")));
    }
    Ok(serde_json::from_str(&body)?)
}

/// Opens a tree level over HTTP and polls until it is complete; returns its total key count.
fn browse_level(addr: &str, token: &str, prefix: &str) -> Result<u64> {
    let path = format!("/api/tree?prefix={}", prefix.replace(':', "%3A"));
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let level = json_get(addr, &path, token)?;
        if level["complete"].as_bool() == Some(true) {
            return Ok(level["total_keys"].as_u64().unwrap_or(0));
        }
        if Instant::now() > deadline {
            return Err(Error::Timeout(Duration::from_secs(300)));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A `redscope serve` child on a free loopback port with a random token, killed when dropped.
pub(super) struct Serve {
    _child: Reaped,
    /// `host:port` it listens on.
    pub addr: String,
    /// Its page with the token, as a browser opens it.
    pub url: String,
    /// Its bearer token.
    pub token: String,
    /// Its process id.
    pub pid: u32,
}

impl Serve {
    /// Starts `bin serve` against `cfg` and waits for the address it prints.
    pub fn start(bin: &Path, cfg: &RedisConfig) -> Result<Serve> {
        let token = format!(
            "bench{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("REDSCOPE_TOKEN", &token)
            .env("REDSCOPE_LOG", "warn");
        redis_env(&mut cmd, cfg)?;
        let mut child = Reaped(cmd.spawn()?);
        let pid = child.0.id();
        let stdout = child
            .0
            .stdout
            .take()
            .ok_or_else(|| Error::Io(std::io::Error::other("no stdout")))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .map(str::to_string);
        let Some(addr) = addr else {
            let _ = child.0.kill();
            let mut err = String::new();
            if let Some(mut e) = child.0.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return Err(Error::server(format!(
                "redscope serve did not start: {}",
                err.lines().next().unwrap_or("no output")
            )));
        };
        // Drain its log so a chatty server never blocks on a full pipe.
        if let Some(mut e) = child.0.stderr.take() {
            std::thread::spawn(move || std::io::copy(&mut e, &mut std::io::sink()));
        }
        Ok(Serve {
            _child: child,
            url: format!("http://{addr}/?token={token}"),
            addr,
            token,
            pid,
        })
    }

    /// `GET path` as JSON (an error unless HTTP 200).
    pub fn get(&self, path: &str) -> Result<serde_json::Value> {
        json_get(&self.addr, path, &self.token)
    }

    /// Its resident memory now, MB.
    pub fn rss_mb(&self) -> f64 {
        rss_mb(self.pid).unwrap_or(f64::NAN)
    }

    /// Its peak resident memory so far (`VmHWM`), MB.
    pub fn peak_rss_mb(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

/// `app-memory` (see the module doc). Blocking: run it on a blocking thread.
pub(super) fn app_memory(cfg: &RedisConfig) -> Result<BenchReport> {
    let Some(bin) = sibling_binary("redscope") else {
        return Ok(BenchReport::skipped(
            "app-memory",
            "no redscope binary next to this one: run `cargo build --release` first",
        ));
    };
    let (_, port) = tcp_addr(cfg)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut conn = redscope::conn::Conn::connect(cfg).await?;
        load_tree_1m(&mut conn).await
    })?;

    let serve = Serve::start(&bin, cfg)?;
    let (addr, token, pid) = (serve.addr.clone(), serve.token.clone(), serve.pid);
    let rss_start = rss_mb(pid).unwrap_or(0.0);

    // Browse: the top level, then down the biggest branch to a level of 300,000 keys.
    let t = Instant::now();
    let top = browse_level(&addr, &token, "")?;
    for prefix in [
        "market:",
        "market:ticker:",
        "market:ticker:binance:",
        "features:",
    ] {
        browse_level(&addr, &token, prefix)?;
    }
    let browse_s = t.elapsed().as_secs_f64();
    if top != TREE_KEYS {
        return Err(Error::server(format!(
            "the tree counted {top} of {TREE_KEYS} keys"
        )));
    }
    let rss_tree = rss_mb(pid).unwrap_or(0.0);

    // Monitor 1,000,000 messages.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/monitor",
        &token,
        Some(r#"{"patterns":["bench:*"]}"#),
    )?;
    if status != 200 {
        return Err(Error::server(format!(
            "POST /api/monitor: HTTP {status}: {body}"
        )));
    }
    let n = MESSAGES.to_string();
    let payload = r#"{"type":"PRICE_ALERT","timestamp":"2025-01-17T12:00:00.123Z","source":"bench","data":{"alert_type":"price","message":"BTC-USDT crossed 65000","severity":"warning"}}"#;
    run_redis_benchmark(
        port,
        &[
            "-c",
            "1",
            "-P",
            "64",
            "-n",
            &n,
            "PUBLISH",
            "bench:alerts",
            payload,
        ],
    )?;
    let mut last = (0u64, Instant::now());
    let received = loop {
        let stats = json_get(&addr, "/api/monitor?recent=0", &token)?;
        let total = stats["total"].as_u64().unwrap_or(0);
        if total >= MESSAGES {
            break total;
        }
        if total != last.0 {
            last = (total, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(5) {
            break total;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let rss_end = rss_mb(pid).unwrap_or(0.0);
    let hwm = serve.peak_rss_mb();
    drop(serve);

    let mut r = BenchReport::new(
        "app-memory",
        "MB RSS",
        rss_end,
        SERVE_BUDGET_MB,
        false,
        Some(1.0),
    );
    r.reference_is_budget = true;
    r.details.push(("RSS at start (MB)".into(), rss_start));
    r.details
        .push(("RSS after the 1M-key tree (MB)".into(), rss_tree));
    r.details.push(("peak RSS, VmHWM (MB)".into(), hwm));
    r.details
        .push(("tree browse, 5 levels (s)".into(), browse_s));
    r.details
        .push(("messages monitored".into(), received as f64));
    if received != MESSAGES {
        r.met = Some(false);
    }
    Ok(r)
}
