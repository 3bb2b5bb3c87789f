//! Desktop smoke test: under a private Xvfb display, `redscope-desktop --smoke` must open its
//! window, render the UI connected to a real redis-server, and exit 0. The screenshot is kept in
//! `target/screenshots/desktop-smoke.png`.

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
    let mut app = Command::new(env!("CARGO_BIN_EXE_redscope-desktop"))
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
