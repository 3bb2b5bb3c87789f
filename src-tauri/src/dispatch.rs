//! The one invoke handler: a command named in the operation table runs through `ops::call` on
//! the managed admin service, so the window and web mode share arguments, replies and errors;
//! the desktop's own commands (`ui_ready`) are dispatched after it.

use redscope::Error;
use redscope_admin::ops::{self, Args, OPERATIONS};
use redscope_admin::{AdminService, ErrorBody};
use tauri::ipc::{Invoke, InvokeBody, InvokeError, InvokeResponseBody};
use tauri::{Manager, Runtime};

/// The handler `Builder::invoke_handler` takes: operations first, then desktop-only commands.
/// The ACL has already checked the window may call the command when this runs.
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    let desktop = desktop_commands::<R>();
    move |invoke| match OPERATIONS
        .iter()
        .find(|op| op.name == invoke.message.command())
    {
        Some(op) => {
            run_operation(invoke, op.name);
            true
        }
        None => desktop(invoke),
    }
}

/// The shell's own commands (`commands.txt` lists them after the operations), registered the
/// usual way.
fn desktop_commands<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        crate::smoke::ui_ready,
        crate::windows::open_window,
        crate::events::events_subscribe
    ]
}

/// Runs operation `name` in the async runtime: resolves with its JSON reply as the response body
/// (not a JSON string) or rejects with the `{code, message}` body web mode answers with.
fn run_operation<R: Runtime>(invoke: Invoke<R>, name: &'static str) {
    let Invoke {
        message, resolver, ..
    } = invoke;
    // A connection window has its own session; every other window uses the main one.
    let webview = message.webview_ref();
    let own = webview
        .try_state::<crate::windows::Windows>()
        .and_then(|w| w.session(webview.label()));
    let service = own.or_else(|| {
        webview
            .try_state::<AdminService>()
            .map(|s| s.inner().clone())
    });
    let Some(service) = service else {
        resolver.reject(ErrorBody::from(Error::Config(
            "the admin service is not running".into(),
        )));
        return;
    };
    let args = match message.payload() {
        InvokeBody::Json(v) => Args::Json(v.clone()),
        InvokeBody::Raw(_) => {
            resolver.reject(ErrorBody::from(Error::InvalidInput(
                "this command takes a JSON object of arguments".into(),
            )));
            return;
        }
    };
    resolver.respond_async_serialized(async move {
        match ops::call(&service, name, args).await {
            Ok(json) => Ok(InvokeResponseBody::Json(json)),
            Err(e) => {
                tracing::debug!(command = name, error = %e, "command failed");
                Err(InvokeError::from(ErrorBody::from_error(&e)))
            }
        }
    });
}
