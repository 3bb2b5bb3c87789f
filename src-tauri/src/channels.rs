//! Channel monitor commands, mirroring `/api/monitor` and `/api/publish`.

use redscope_admin::channels::{MonitorRequest, MonitorStats, PublishReply, PublishRequest};
use redscope_admin::AdminService;
use tauri::State;

use crate::live_error::CmdResult;

/// Mirrors `POST /api/monitor`.
#[tauri::command(rename_all = "snake_case")]
pub async fn monitor(
    service: State<'_, AdminService>,
    channels: Option<Vec<String>>,
    patterns: Option<Vec<String>>,
) -> CmdResult<MonitorStats> {
    let req = MonitorRequest {
        channels: channels.unwrap_or_default(),
        patterns: patterns.unwrap_or_default(),
    };
    Ok(service.channels().monitor(req).await?)
}

/// Mirrors `GET /api/monitor`.
#[tauri::command(rename_all = "snake_case")]
pub async fn monitor_stats(
    service: State<'_, AdminService>,
    recent: Option<usize>,
) -> CmdResult<MonitorStats> {
    Ok(service.channels().monitor_stats(recent)?)
}

/// Mirrors `DELETE /api/monitor`.
#[tauri::command(rename_all = "snake_case")]
pub async fn monitor_stop(service: State<'_, AdminService>) -> CmdResult<serde_json::Value> {
    service.channels().monitor_stop().await;
    Ok(serde_json::json!({}))
}

/// Mirrors `POST /api/publish`.
#[tauri::command(rename_all = "snake_case")]
pub async fn publish(
    service: State<'_, AdminService>,
    channel: String,
    message: String,
) -> CmdResult<PublishReply> {
    Ok(service
        .channels()
        .publish(PublishRequest { channel, message })
        .await?)
}
