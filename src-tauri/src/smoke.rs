//! `--smoke`: the window must render and reach Redis within 30 s. When the UI reports it has,
//! print `SMOKE READY`, hold the window until a line arrives on stdin (the test's screenshot is
//! taken) or 10 s pass, then exit 0. Without that report in 30 s, exit 1.

use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;
use tauri::{AppHandle, Runtime, State};

/// Whether smoke mode is on, and whether it has already succeeded.
pub struct Smoke {
    enabled: bool,
    done: AtomicBool,
}

impl Smoke {
    /// Smoke mode on (`--smoke`) or off.
    pub fn new(enabled: bool) -> Self {
        Smoke {
            enabled,
            done: AtomicBool::new(false),
        }
    }
}

/// What the UI reports once it has rendered.
#[derive(Debug, Deserialize)]
pub struct ReadyReport {
    /// The connection state the UI shows (`connected` or `down`).
    pub redis: String,
}

/// Starts the 30 s deadline in smoke mode.
pub fn arm<R: Runtime>(app: &AppHandle<R>) {
    let smoke: State<'_, Smoke> = tauri::Manager::state(app);
    if !smoke.enabled {
        return;
    }
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(30));
        eprintln!(
            "SMOKE FAILED: the UI did not report a rendered window connected to Redis within 30 s"
        );
        std::process::exit(1);
    });
}

/// Called by the UI after it has rendered the connection state.
#[tauri::command]
pub fn ui_ready<R: Runtime>(app: AppHandle<R>, smoke: State<'_, Smoke>, report: ReadyReport) {
    tracing::info!(redis = %report.redis, "UI rendered");
    if !smoke.enabled || report.redis != "connected" || smoke.done.swap(true, Ordering::SeqCst) {
        return;
    }
    println!("SMOKE READY");
    std::thread::spawn(move || {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            let _ = tx.send(());
        });
        let _ = rx.recv_timeout(Duration::from_secs(10));
        println!("SMOKE OK");
        app.exit(0);
    });
}
