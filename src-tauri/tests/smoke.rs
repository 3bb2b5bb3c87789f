//! Desktop smoke test, driven as a person's session is: under a private Xvfb display,
//! tauri-driver starts the real `redscope-desktop` window through Debian's WebKitWebDriver; the
//! page must show the UI connected to a real redis-server, the app must hold no network socket to
//! anything but this machine, and it must go away when the session ends. The screenshot is kept in
//! `target/screenshots/desktop-smoke.png`. `REDSCOPE_DESKTOP_BIN` names another binary to test,
//! e.g. the one a package installed; `./scripts/dev setup` installs tauri-driver and the driver.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redscope_testing::RedisServer;
use serde_json::{json, Value};

/// An Xvfb server on a free display number, killed on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        for n in 90..200 {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            if socket.exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .args([
                    &format!(":{n}"),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb is missing: run scripts/setup.sh (apt-get install xvfb)");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if socket.exists() {
                    return Xvfb {
                        child,
                        display: format!(":{n}"),
                    };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // display taken meanwhile: try the next one
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("could not start Xvfb on any display :90..:199");
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// tauri-driver on a free port (WebKitWebDriver on another), killed on drop; its output (and the
/// app's, which it inherits) collected for the failure message.
struct Driver {
    child: Child,
    url: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl Driver {
    fn start(display: &str) -> Driver {
        let bin = find_tauri_driver().expect(
            "tauri-driver is missing: run ./scripts/dev setup (cargo install tauri-driver --locked)",
        );
        assert!(
            Path::new("/usr/bin/WebKitWebDriver").exists(),
            "WebKitWebDriver is missing: run ./scripts/dev setup (apt-get install webkit2gtk-driver)"
        );
        let (port, native) = (free_port(), free_port());
        let mut child = Command::new(bin)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", display)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("REDSCOPE_LOG", "info")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, log) = std::sync::mpsc::channel();
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn output(&self) -> String {
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // WebKitWebDriver (and an app left open by a failed test) outlive tauri-driver otherwise.
        for pid in process_tree(self.child.id()).into_iter().skip(1).rev() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_tauri_driver() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain(home.map(|h| h.join("bin")))
        .map(|d| d.join("tauri-driver"))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One WebDriver call; the reply's `value`, or the driver's error as an `Err`.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Value,
) -> Result<Value, String> {
    let mut req = http.request(method.clone(), url);
    if method != reqwest::Method::GET {
        req = req.json(&body);
    }
    let reply: Value = req
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    match reply.get("value") {
        Some(v) if v.get("error").is_some() => Err(format!("{url}: {v}")),
        Some(v) => Ok(v.clone()),
        None => Err(format!("{url}: no value in {reply}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_window_renders_connected_to_redis() {
    let redis = RedisServer::start().unwrap();
    let x = Xvfb::start();
    let bin = std::env::var_os("REDSCOPE_DESKTOP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_redscope-desktop")));
    let bin = std::fs::canonicalize(&bin).unwrap();
    let driver = Driver::start(&x.display);
    let http = reqwest::Client::new();

    // tauri-driver answers once it listens; the session opens the window.
    let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {
        "application": bin, "args": ["--redis", redis.url()]
    }}}});
    let deadline = Instant::now() + Duration::from_secs(30);
    let session = loop {
        match call(
            &http,
            reqwest::Method::POST,
            &format!("{}/session", driver.url),
            caps.clone(),
        )
        .await
        {
            Ok(v) => break v["sessionId"].as_str().unwrap().to_string(),
            Err(e) if Instant::now() > deadline => {
                panic!("no WebDriver session: {e}\n{}", driver.output())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let s = format!("{}/session/{session}", driver.url);

    // The page a person sees: the connection badge reads "connected" and names the server.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = call(
            &http,
            reqwest::Method::POST,
            &format!("{s}/execute/sync"),
            json!({"script": "return document.body ? document.body.innerText : ''", "args": []}),
        )
        .await
        .unwrap_or_default();
        let text = text.as_str().unwrap_or_default().to_string();
        if text.contains("connected") && text.contains(&redis.url()) {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "the window never showed a UI connected to {}; it shows: {text:?}\n{}",
            redis.url(),
            driver.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(text.contains("Dashboard"), "{text}");

    // The app checks nothing over the network by itself (no updates, no telemetry): every
    // TCP/UDP socket of it and its web processes is local.
    let app = process_tree(driver.child.id())
        .into_iter()
        .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok().as_deref() == Some(&bin))
        .expect("the app's process under tauri-driver");
    assert_only_local_sockets(app);

    let shot = screenshot_dir().join("desktop-smoke.png");
    let status = Command::new("import")
        .args(["-display", &x.display, "-window", "root"])
        .arg(&shot)
        .status()
        .expect("ImageMagick's import is missing: run ./scripts/dev setup");
    assert!(status.success(), "screenshot failed");
    // A rendered window has many colours; a blank or black screen has one or two.
    let colours = Command::new("identify")
        .args(["-format", "%k"])
        .arg(&shot)
        .output()
        .unwrap();
    let colours: u64 = String::from_utf8_lossy(&colours.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(
        colours > 16,
        "the screenshot looks blank ({colours} colours): {}",
        shot.display()
    );

    // Ending the session closes the window: the app goes away, without a panic.
    call(&http, reqwest::Method::DELETE, &s, Value::Null)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Path::new(&format!("/proc/{app}")).exists() {
        assert!(
            Instant::now() < deadline,
            "the desktop app did not exit after the session"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = driver.output();
    assert!(!log.contains("panicked"), "the app panicked:\n{log}");
}

/// `pid` and every process below it.
fn process_tree(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces or parentheses.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    tree
}

/// Whether a `/proc/net/{tcp,udp}{,6}` address (hex, as the kernel prints it) is loopback or
/// unspecified (a listening or unconnected socket).
fn local_address(hex: &str) -> bool {
    let (ip, _port) = hex.split_once(':').unwrap();
    let words: Vec<u32> = (0..ip.len() / 8)
        .map(|i| {
            u32::from_str_radix(&ip[i * 8..i * 8 + 8], 16)
                .unwrap()
                .swap_bytes()
        })
        .collect();
    match words[..] {
        [v4] => v4 == 0 || v4 >> 24 == 127,
        [0, 0, 0, 0] | [0, 0, 0, 1] => true,
        [0, 0, 0xffff, v4] => v4 == 0 || v4 >> 24 == 127,
        _ => false,
    }
}

/// Panics when a process of the app's tree holds an internet socket whose peer is not local.
fn assert_only_local_sockets(app: u32) {
    let mut checked = 0;
    for pid in process_tree(app) {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue; // exited meanwhile
        };
        let inodes: Vec<String> = fds
            .filter_map(|fd| {
                let target = std::fs::read_link(fd.ok()?.path()).ok()?;
                let t = target.to_str()?;
                Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
            })
            .collect();
        for table in ["tcp", "tcp6", "udp", "udp6"] {
            let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
                continue;
            };
            for line in text.lines().skip(1) {
                let cols: Vec<&str> = line.split_whitespace().collect();
                if cols.len() < 10 || !inodes.iter().any(|i| i == cols[9]) {
                    continue;
                }
                checked += 1;
                assert!(
                    local_address(cols[2]),
                    "process {pid} of the desktop app has a {table} socket to {} (not this machine)",
                    cols[2]
                );
            }
        }
    }
    // Its own connection to the test's redis-server is one: the check saw the sockets.
    assert!(
        checked > 0,
        "no internet socket found in the app's processes"
    );
}

#[test]
fn loopback_and_unspecified_addresses_are_local() {
    assert!(local_address("0100007F:1F90")); // 127.0.0.1:8080
    assert!(local_address("00000000:0000"));
    assert!(local_address("00000000000000000000000001000000:1F90")); // [::1]
    assert!(local_address("0000000000000000FFFF00000100007F:1F90")); // [::ffff:127.0.0.1]
    assert!(!local_address("08080808:0035")); // 8.8.8.8:53
    assert!(!local_address("0000000000000000FFFF000008080808:0035"));
    assert!(!local_address("B80D0120000000000000000001000000:0050")); // [2001:db8::1]
}
