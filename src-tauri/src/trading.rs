//! Trading-aware commands (mirror `GET /api/services`, `GET /api/findings`,
//! `GET|DELETE /api/findings/jobs/{id}`, `GET /api/series`).

use redscope_admin::findings::{FindingsJob, FindingsQuery, FindingsReply};
use redscope_admin::series::{SeriesQuery, SeriesReply};
use redscope_admin::services::ServicesReply;
use redscope_admin::AdminService;
use redscope_admin::ErrorBody;
use tauri::ipc::Request;
use tauri::State;

use crate::ipc::{args, reject, Id};

/// Mirrors `GET /api/services`.
#[tauri::command]
pub async fn services(s: State<'_, AdminService>) -> Result<ServicesReply, ErrorBody> {
    s.services().list().await.map_err(reject)
}

/// Mirrors `GET /api/findings`.
#[tauri::command]
pub async fn findings(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<FindingsReply, ErrorBody> {
    let q: FindingsQuery = args(&request)?;
    s.findings().run(&q).await.map_err(reject)
}

/// Mirrors `GET /api/findings/jobs/{id}`.
#[tauri::command]
pub async fn findings_job(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<FindingsJob, ErrorBody> {
    s.findings()
        .job(&args::<Id>(&request)?.text())
        .map_err(reject)
}

/// Mirrors `DELETE /api/findings/jobs/{id}`.
#[tauri::command]
pub async fn findings_job_cancel(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<FindingsJob, ErrorBody> {
    s.findings()
        .cancel(&args::<Id>(&request)?.text())
        .map_err(reject)
}

/// Mirrors `GET /api/series`.
#[tauri::command]
pub async fn series(
    s: State<'_, AdminService>,
    request: Request<'_>,
) -> Result<SeriesReply, ErrorBody> {
    let q: SeriesQuery = args(&request)?;
    s.series().read(&q).await.map_err(reject)
}
