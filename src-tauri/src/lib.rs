//! Redscope desktop: a thin Tauri 2 shell over the admin service; the UI is the same build web
//! mode serves.
//!
//! # Layout
//! - [`dispatch`]: the one invoke handler — every operation of `redscope_admin::ops` is a
//!   command of the same name, plus the shell's own `ui_ready`.
//! - [`events`]: feeds the admin event bus to each window's page through a channel.
//! - [`smoke`]: `--smoke` mode, which checks the window renders connected to Redis.
//! - [`webview`]: how the window renders on a machine without a GPU.
//! - [`windows`]: "open in new window" — a saved profile in a window with its own session.
//!
//! The app manifest (`build.rs`) lists the commands of `commands.txt`; the window may call those
//! its capability (`capabilities/default.json`) allows.

pub mod dispatch;
pub mod events;
pub mod smoke;
pub mod webview;
pub mod windows;

use redscope_admin::AdminService;
use tauri::{Builder, Context, Runtime};

/// The app on `builder` (`Builder::default()` for the window, the mock builder in tests): the
/// managed service and smoke state, the invoke handler and the event forwarder.
pub fn app<R: Runtime>(builder: Builder<R>, service: AdminService, smoke: bool) -> Builder<R> {
    let windows = windows::Windows::new(
        service.config().clone(),
        redscope_admin::AdminOptions {
            read_only: service.read_only(),
        },
    );
    builder
        .manage(service)
        .manage(windows)
        .manage(smoke::Smoke::new(smoke))
        .manage(events::Feeds::default())
        .invoke_handler(dispatch::handler())
        .setup(move |app| {
            smoke::arm(app.handle());
            Ok(())
        })
}

/// The app's configuration, embedded UI and resolved ACL (from `tauri.conf.json` and the
/// capabilities), for any runtime.
pub fn context<R: Runtime>() -> Context<R> {
    tauri::generate_context!()
}
