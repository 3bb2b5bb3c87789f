//! Desktop smoke test, driven as a person's session is: under a private Xvfb display,
//! tauri-driver starts the real `redscope-desktop` window through Debian's WebKitWebDriver; the
//! page must show the UI connected to a real redis-server, the app must hold no network socket to
//! anything but this machine, and it must go away when the session ends. The screenshot is kept in
//! `target/screenshots/desktop-smoke.png`. `REDSCOPE_DESKTOP_BIN` names another binary to test,
//! e.g. the one a package installed; `./scripts/dev setup` installs tauri-driver and the driver.
//! Xvfb, tauri-driver and the WebDriver session are `redscope_cli::desktop_driver`, the same
//! driver `redscope bench desktop` measures the app through.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use redscope_cli::desktop_driver::{process_tree, Session, TauriDriver, Xvfb};
use redscope_testing::{sync_query, RedisServer};
use serde_json::json;

/// The desktop binary under test: `REDSCOPE_DESKTOP_BIN` (e.g. a package's), else this build's.
fn desktop_bin() -> PathBuf {
    let bin = std::env::var_os("REDSCOPE_DESKTOP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_redscope-desktop")));
    std::fs::canonicalize(&bin).unwrap()
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_window_renders_connected_to_redis() {
    let redis = RedisServer::start().unwrap();
    let x = Xvfb::start().unwrap();
    let bin = desktop_bin();
    let driver = TauriDriver::start(x.display(), |cmd| {
        cmd.env("REDSCOPE_LOG", "info");
    })
    .unwrap_or_else(|e| panic!("{e}"));

    // tauri-driver answers once it listens; the session opens the window.
    let session = driver
        .session(&bin, &["--redis", &redis.url()], Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // The page a person sees: the connection badge reads "connected" and names the server.
    let text = wait_for_text(&session, &["connected", &redis.url()], &driver).await;
    assert!(text.contains("Dashboard"), "{text}");

    // The app checks nothing over the network by itself (no updates, no telemetry): every
    // TCP/UDP socket of it and its web processes is local.
    let app = driver
        .app_process(&bin)
        .expect("the app's process under tauri-driver");
    assert_only_local_sockets(app);

    let shot = screenshot_dir().join("desktop-smoke.png");
    let status = Command::new("import")
        .args(["-display", x.display(), "-window", "root"])
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
    session.close().await.unwrap();
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

/// Polls the current window's text until it holds every one of `needles`; panics at the deadline
/// with what it shows.
async fn wait_for_text(session: &Session, needles: &[&str], driver: &TauriDriver) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = session
            .execute(
                "return document.body ? document.body.innerText : ''",
                json!([]),
            )
            .await
            .unwrap_or_default();
        let text = text.as_str().unwrap_or_default().to_string();
        if needles.iter().all(|n| text.contains(n)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the window never showed {needles:?}; it shows: {text:?}\n{}",
            driver.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The clients a server has besides the one asking.
fn other_clients(redis: &RedisServer) -> usize {
    let list = sync_query(redis, &["CLIENT", "LIST"]).unwrap();
    list.lines().count().saturating_sub(1)
}

/// "New window" on a saved profile, clicked in the real app: a second window opens connected to
/// that profile's server with a session of its own, and the first keeps its own server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_window_opens_a_profile_in_a_real_second_window() {
    let first = RedisServer::start().unwrap();
    let orders = RedisServer::start().unwrap();
    let config = tempfile::tempdir().unwrap();
    let profiles = json!([{"name": "orders", "url": orders.url()}]);
    std::fs::write(config.path().join("profiles.json"), profiles.to_string()).unwrap();
    let x = Xvfb::start().unwrap();
    let bin = desktop_bin();
    let driver = TauriDriver::start(x.display(), |cmd| {
        cmd.env("REDSCOPE_CONFIG_DIR", config.path())
            .env("REDSCOPE_LOG", "info");
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let session = driver
        .session(&bin, &["--redis", &first.url()], Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for_text(&session, &["connected", &first.url()], &driver).await;
    let main = session.window_handle().await.unwrap();
    assert_eq!(other_clients(&orders), 0, "nothing reaches orders yet");

    let t = Duration::from_secs(20);
    session
        .click_css("[data-testid=open-connections]", t)
        .await
        .unwrap();
    session
        .click_css(
            "[data-testid=profile-orders] [data-testid=profile-open-window]",
            t,
        )
        .await
        .unwrap();
    let deadline = Instant::now() + t;
    let second = loop {
        let handles = session.window_handles().await.unwrap();
        if let Some(h) = handles.iter().find(|h| **h != main) {
            break h.clone();
        }
        assert!(Instant::now() < deadline, "no second window: {handles:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    session.switch_to_window(&second).await.unwrap();
    wait_for_text(&session, &["connected", "orders", &orders.url()], &driver).await;
    assert!(
        other_clients(&orders) >= 1,
        "the new window's session reaches orders"
    );

    // The first window keeps its own server. (Closing the second through WebDriver closes only
    // its web view, not the window: no Destroyed event, which is what stops a window's session
    // when a person closes it, and the mock runtime sends none either.)
    session.switch_to_window(&main).await.unwrap();
    wait_for_text(&session, &["connected", &first.url()], &driver).await;
    let shown = session
        .execute(
            "return document.querySelector('[data-testid=conn-url]').textContent",
            json!([]),
        )
        .await
        .unwrap();
    assert_eq!(
        shown.as_str(),
        Some(first.url().as_str()),
        "the first window's server"
    );
    session.close().await.unwrap();
    let log = driver.output();
    assert!(!log.contains("panicked"), "the app panicked:\n{log}");
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
