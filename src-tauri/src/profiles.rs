//! Connection profile commands, mirroring `/api/profiles`, `/api/profiles/test` and `/api/connect`.

use redscope_admin::profiles::{Profile, ProfileInput, ProfileTest};
use redscope_admin::AdminService;
use redscope_admin::HealthReport;
use tauri::State;

use crate::live_error::CmdResult;

/// Mirrors `GET /api/profiles`.
#[tauri::command(rename_all = "snake_case")]
pub async fn profiles(service: State<'_, AdminService>) -> CmdResult<Vec<Profile>> {
    Ok(service.profiles().list().await?)
}

/// Mirrors `PUT /api/profiles` (`profile` is the `Profile` object plus `password?`).
#[tauri::command(rename_all = "snake_case")]
pub async fn profile_save(
    service: State<'_, AdminService>,
    profile: ProfileInput,
) -> CmdResult<Profile> {
    Ok(service.profiles().save(profile).await?)
}

/// Mirrors `DELETE /api/profiles`.
#[tauri::command(rename_all = "snake_case")]
pub async fn profile_delete(
    service: State<'_, AdminService>,
    name: String,
) -> CmdResult<serde_json::Value> {
    service.profiles().delete(&name).await?;
    Ok(serde_json::json!({}))
}

/// Mirrors `POST /api/profiles/test`.
#[tauri::command(rename_all = "snake_case")]
pub async fn profile_test(
    service: State<'_, AdminService>,
    profile: ProfileInput,
) -> CmdResult<ProfileTest> {
    Ok(service.profiles().test(profile).await?)
}

/// Mirrors `POST /api/connect`.
#[tauri::command(rename_all = "snake_case")]
pub async fn connect(service: State<'_, AdminService>, profile: String) -> CmdResult<HealthReport> {
    Ok(service.connect(&profile).await?)
}
