//! Desktop smoke test: under a private Xvfb display, `redscope-desktop --smoke` must open its
//! window, render the UI connected to a real redis-server, hold no network socket to anything but
//! this machine, and exit 0. The screenshot is kept in `target/screenshots/desktop-smoke.png`.
//! `REDSCOPE_DESKTOP_BIN` names another binary to test, e.g. the one a package installed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use redscope_testing::RedisServer;

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

#[test]
fn desktop_window_renders_connected_to_redis() {
    let redis = RedisServer::start().unwrap();
    let x = Xvfb::start();
    let bin = std::env::var_os("REDSCOPE_DESKTOP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_redscope-desktop")));
    let mut app = Command::new(&bin)
        .args(["--smoke", "--redis", &redis.url()])
        .env("DISPLAY", &x.display)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("REDSCOPE_LOG", "info")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let (tx, rx) = mpsc::channel();
    let stdout = app.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let stderr = app.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
        }
        all
    });

    let deadline = Instant::now() + Duration::from_secs(45);
    let mut ready = false;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.trim() == "SMOKE READY" => {
                ready = true;
                break;
            }
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    if !ready {
        let _ = app.kill();
        let _ = app.wait();
        panic!(
            "the desktop app never reported a rendered, connected UI. Its log:\n{}",
            log.join().unwrap()
        );
    }

    // The app checks nothing over the network by itself (no updates, no telemetry): once it has
    // rendered, every TCP/UDP socket of it and its web processes is local.
    assert_only_local_sockets(app.id());

    let shot = screenshot_dir().join("desktop-smoke.png");
    let status = Command::new("import")
        .args(["-display", &x.display, "-window", "root"])
        .arg(&shot)
        .status()
        .expect("ImageMagick's import is missing: run scripts/setup.sh");
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

    // Let the app go: it exits 0 once it has held the window for the screenshot.
    let _ = app.stdin.take().unwrap().write_all(b"done\n");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = app.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = app.kill();
            panic!("the desktop app did not exit after the smoke test");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = log.join().unwrap();
    assert!(status.success(), "exit status {status}; log:\n{log}");
    assert!(!log.contains("panicked"), "the app panicked:\n{log}");
    let shown: Vec<String> = rx.try_iter().collect();
    assert!(
        shown.iter().any(|l| l == "SMOKE OK"),
        "stdout after ready: {shown:?}"
    );
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
