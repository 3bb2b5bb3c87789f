//! Invalidation commands (mirror `POST /api/invalidate`, `GET|DELETE /api/jobs/{id}`, `GET /api/jobs`).

use redscope_admin::jobs::{InvalidateReply, Job};
use redscope_admin::AdminService;
use redscope_admin::ErrorBody;
use tauri::ipc::Request;
use tauri::State;

use crate::ipc::{args, reject, Id};

/// Mirrors `POST /api/invalidate`.
#[tauri::command]
pub async fn invalidate(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<InvalidateReply, ErrorBody> {
    s.jobs().invalidate(args(&request)?).await.map_err(reject)
}

/// Mirrors `GET /api/jobs/{id}`.
#[tauri::command]
pub async fn job(s: State<'_, AdminService>, request: Request<'_>) -> Result<Job, ErrorBody> {
    s.jobs().get(&args::<Id>(&request)?.text()).map_err(reject)
}

/// Mirrors `DELETE /api/jobs/{id}`.
#[tauri::command]
pub async fn job_cancel(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<Job, ErrorBody> {
    s.jobs()
        .cancel(&args::<Id>(&request)?.text())
        .map_err(reject)
}

/// Mirrors `GET /api/jobs`.
#[tauri::command]
pub async fn jobs(s: State<'_, AdminService>) -> Result<Vec<Job>, ErrorBody> {
    Ok(s.jobs().list())
}
