//! Server tool and console commands (mirror `/api/info`, `/api/slowlog`, `/api/clients*`,
//! `/api/config`, `/api/server`, `/api/console`).

use std::collections::BTreeMap;

use redscope_admin::console::ConsoleReply;
use redscope_admin::server::{ActionReply, ClientInfo, Empty, InfoReply, Killed, SlowlogEntry};
use redscope_admin::AdminService;
use redscope_admin::ErrorBody;
use tauri::ipc::Request;
use tauri::State;

use crate::ipc::{args, reject};

/// Mirrors `GET /api/info`.
#[tauri::command]
pub async fn info(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<InfoReply, ErrorBody> {
    s.server().info(args(&request)?).await.map_err(reject)
}

/// Mirrors `GET /api/slowlog`.
#[tauri::command]
pub async fn slowlog(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<Vec<SlowlogEntry>, ErrorBody> {
    s.server().slowlog(args(&request)?).await.map_err(reject)
}

/// Mirrors `DELETE /api/slowlog`.
#[tauri::command]
pub async fn slowlog_reset(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<Empty, ErrorBody> {
    s.server()
        .slowlog_reset(args(&request)?)
        .await
        .map_err(reject)
}

/// Mirrors `GET /api/clients`.
#[tauri::command]
pub async fn clients(s: State<'_, AdminService>) -> Result<Vec<ClientInfo>, ErrorBody> {
    s.server().clients().await.map_err(reject)
}

/// Mirrors `POST /api/clients/kill`.
#[tauri::command]
pub async fn client_kill(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<Killed, ErrorBody> {
    s.server()
        .client_kill(args(&request)?)
        .await
        .map_err(reject)
}

/// Mirrors `GET /api/config`.
#[tauri::command]
pub async fn config_get(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<BTreeMap<String, String>, ErrorBody> {
    s.server().config_get(args(&request)?).await.map_err(reject)
}

/// Mirrors `POST /api/server`.
#[tauri::command]
pub async fn server_action(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<ActionReply, ErrorBody> {
    s.server().action(args(&request)?).await.map_err(reject)
}

/// Mirrors `POST /api/console`.
#[tauri::command]
pub async fn console(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<ConsoleReply, ErrorBody> {
    s.console().run(args(&request)?).await.map_err(reject)
}
