//! Connection health commands.

use redscope_admin::{AdminService, HealthReport};
use tauri::State;

/// Mirrors `GET /api/health`.
#[tauri::command]
pub async fn health(service: State<'_, AdminService>) -> Result<HealthReport, ()> {
    Ok(service.health().await)
}
