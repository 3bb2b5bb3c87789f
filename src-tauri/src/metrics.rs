//! Metrics command, mirroring `GET /api/metrics`.

use redscope_admin::metrics::{MetricsQuery, MetricsReply};
use redscope_admin::AdminService;
use tauri::State;

use crate::live_error::CmdResult;

/// Mirrors `GET /api/metrics`.
#[tauri::command(rename_all = "snake_case")]
pub async fn metrics(
    service: State<'_, AdminService>,
    range_s: Option<u64>,
    points: Option<usize>,
) -> CmdResult<MetricsReply> {
    Ok(service.metrics().total(&MetricsQuery { range_s, points })?)
}
