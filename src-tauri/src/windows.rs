//! "Open in new window": a saved profile gets a window of its own with its own admin session
//! (connection, background loops, events), so two servers can be watched side by side. The
//! session is shut down when its window is closed. Operations called from a connection window
//! go to its session; from the main window, to the main one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use redscope::RedisConfig;
use redscope_admin::{AdminOptions, AdminService, ErrorBody};
use tauri::{AppHandle, Manager, Runtime, State, WebviewUrl, WebviewWindowBuilder, WindowEvent};

/// Label prefix of connection windows (the capability names `conn-*`).
pub const LABEL_PREFIX: &str = "conn-";

/// The sessions of the connection windows, by window label.
pub struct Windows {
    config: RedisConfig,
    options: AdminOptions,
    sessions: Mutex<HashMap<String, AdminService>>,
    next: AtomicU64,
}

impl Windows {
    /// New sessions start from `config` and `options`, like the main window's.
    pub fn new(config: RedisConfig, options: AdminOptions) -> Self {
        Windows {
            config,
            options,
            sessions: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
        }
    }

    /// The session of window `label`, when it is a connection window.
    pub fn session(&self, label: &str) -> Option<AdminService> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(label)
            .cloned()
    }

    fn remove(&self, label: &str) -> Option<AdminService> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(label)
    }
}

/// Opens a window connected with saved profile `profile`; answers its label.
#[tauri::command]
pub async fn open_window<R: Runtime>(
    app: AppHandle<R>,
    windows: State<'_, Windows>,
    profile: String,
) -> Result<String, ErrorBody> {
    let service = AdminService::new(windows.config.clone(), windows.options.clone());
    if let Err(e) = service.connect(&profile).await {
        service.shutdown().await;
        return Err(e.into());
    }
    let label = format!(
        "{LABEL_PREFIX}{}",
        windows.next.fetch_add(1, Ordering::Relaxed)
    );
    windows
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(label.clone(), service.clone());
    let built = WebviewWindowBuilder::new(&app, &label, WebviewUrl::App("index.html".into()))
        .title(format!("Redscope — {profile}"))
        .inner_size(1280.0, 820.0)
        .build();
    let window = match built {
        Ok(w) => w,
        Err(e) => {
            if let Some(s) = windows.remove(&label) {
                s.shutdown().await;
            }
            return Err(ErrorBody::from(redscope::Error::Config(format!(
                "cannot open a window: {e}"
            ))));
        }
    };
    let closing = label.clone();
    window.on_window_event(move |event| {
        if let WindowEvent::Destroyed = event {
            tracing::info!(window = %closing, "connection window closed; its session stops");
            if let Some(s) = app.state::<Windows>().remove(&closing) {
                tauri::async_runtime::spawn(async move { s.shutdown().await });
            }
        }
    });
    tracing::info!(profile = %profile, window = %label, "opened a connection window");
    Ok(label)
}
