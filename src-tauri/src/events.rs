//! Feeds the admin service's event bus to a window's page through a Tauri channel the page hands
//! over (`events_subscribe`), the desktop twin of `WS /api/events`; a lagging feed reports a
//! `lagged` event. A channel, not `emit`: WebKitGTK keeps memory in proportion to the script
//! text it evaluates, and `emit` evaluates every payload, while a channel passes payloads over
//! 8 KiB (the channel monitor's batches) through the IPC protocol instead.

use std::collections::HashMap;
use std::sync::Mutex;

use redscope::Error;
use redscope_admin::{AdminService, ErrorBody, Event};
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tauri::{Manager, Runtime, State, WebviewWindow};
use tokio::sync::broadcast::error::RecvError;

/// The feed of each window's page, by window label: a page that subscribes again (a reload)
/// replaces its window's feed, so a page gone with its channel feeds nothing.
#[derive(Default)]
pub struct Feeds(Mutex<HashMap<String, JoinHandle<()>>>);

impl Feeds {
    fn replace(&self, label: String, feed: JoinHandle<()>) {
        let old = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(label, feed);
        if let Some(old) = old {
            old.abort();
        }
    }
}

/// Sends this window's session events to `on_event` until the session ends (its window closed
/// or the app exits) or the page subscribes again.
#[tauri::command]
pub fn events_subscribe<R: Runtime>(
    window: WebviewWindow<R>,
    feeds: State<'_, Feeds>,
    on_event: Channel<Event>,
) -> Result<(), ErrorBody> {
    // A connection window has its own session; every other window uses the main one.
    let service = window
        .try_state::<crate::windows::Windows>()
        .and_then(|w| w.session(window.label()))
        .or_else(|| {
            window
                .try_state::<AdminService>()
                .map(|s| s.inner().clone())
        })
        .ok_or_else(|| ErrorBody::from(Error::Config("the admin service is not running".into())))?;
    let mut rx = service.events();
    // The feed holds the bus only: it ends when the session (every clone of it) is gone.
    drop(service);
    let feed = tauri::async_runtime::spawn(async move {
        loop {
            let event = match rx.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(n)) => Event::Lagged { count: n },
                Err(RecvError::Closed) => return,
            };
            if let Err(e) = on_event.send(event) {
                tracing::debug!(error = %e, "the page's event channel is gone");
                return;
            }
        }
    });
    feeds.replace(window.label().to_string(), feed);
    Ok(())
}
