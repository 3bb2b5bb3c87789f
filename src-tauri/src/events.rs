//! Forwards the admin service's event bus to the webview as the `redscope://event` event (the
//! desktop twin of `WS /api/events`); a lagging forwarder reports a `lagged` event.

use redscope_admin::AdminService;
use redscope_admin::Event;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::error::RecvError;

/// The webview event name carrying bus events.
pub const EVENT_NAME: &str = "redscope://event";

/// Starts the forwarder of the main window's session; it ends when the bus closes (the
/// service is gone).
pub fn forward<R: Runtime>(app: AppHandle<R>, service: AdminService) {
    forward_to(app, "main".into(), service)
}

/// Starts a forwarder of `service`'s events to the window labelled `label` only (each
/// connection window has its own session and sees only its events).
pub fn forward_to<R: Runtime>(app: AppHandle<R>, label: String, service: AdminService) {
    tauri::async_runtime::spawn(async move {
        let mut rx = service.events();
        drop(service);
        loop {
            let event = match rx.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) => Event::Lagged { count: n },
                Err(RecvError::Closed) => return,
            };
            if let Err(e) = app.emit_to(label.as_str(), EVENT_NAME, &event) {
                tracing::warn!(error = %e, "cannot forward an event to the webview");
            }
        }
    });
}
