//! Key browser commands (mirror `/api/tree`, `/api/keys`, `/api/keys/meta`, `/api/key*`).

use redscope_admin::browser::{Deleted, KeyMeta, KeyPage, KeyValue, Renamed, TtlReply};
use redscope_admin::tree::TreeLevel;
use redscope_admin::AdminService;
use redscope_admin::ErrorBody;
use tauri::ipc::Request;
use tauri::State;

use crate::ipc::{args, reject};

/// Mirrors `GET /api/tree`.
#[tauri::command]
pub async fn tree(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<TreeLevel, ErrorBody> {
    s.tree().level(args(&request)?).await.map_err(reject)
}

/// Mirrors `GET /api/keys`.
#[tauri::command]
pub async fn keys(s: State<'_, AdminService>, request: Request<'_>) -> Result<KeyPage, ErrorBody> {
    s.browser().keys(args(&request)?).await.map_err(reject)
}

/// Mirrors `POST /api/keys/meta`.
#[tauri::command]
pub async fn keys_meta(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<Vec<KeyMeta>, ErrorBody> {
    s.browser().keys_meta(args(&request)?).await.map_err(reject)
}

/// Mirrors `GET /api/key`.
#[tauri::command]
pub async fn key(s: State<'_, AdminService>, request: Request<'_>) -> Result<KeyValue, ErrorBody> {
    s.browser().key(args(&request)?).await.map_err(reject)
}

/// Mirrors `PUT /api/key`.
#[tauri::command]
pub async fn key_set(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<KeyValue, ErrorBody> {
    s.browser().key_set(args(&request)?).await.map_err(reject)
}

/// Mirrors `DELETE /api/key`.
#[tauri::command]
pub async fn key_delete(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<Deleted, ErrorBody> {
    s.browser()
        .key_delete(args(&request)?)
        .await
        .map_err(reject)
}

/// Mirrors `POST /api/key/ttl`.
#[tauri::command]
pub async fn key_ttl(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<TtlReply, ErrorBody> {
    s.browser().key_ttl(args(&request)?).await.map_err(reject)
}

/// Mirrors `POST /api/key/rename`.
#[tauri::command]
pub async fn key_rename(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<Renamed, ErrorBody> {
    s.browser()
        .key_rename(args(&request)?)
        .await
        .map_err(reject)
}
