//! Invalidation routes: `POST /api/invalidate`, `GET /api/jobs`, `GET|DELETE /api/jobs/{id}`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::extract::{ApiJson, ApiPath, ApiResult};
use super::AppState;
use redscope_admin::jobs::{InvalidateReply, InvalidateRequest, Job};

/// The routes, merged into `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/invalidate", post(invalidate))
        .route("/jobs", get(jobs))
        .route("/jobs/{id}", get(job).delete(job_cancel))
}

async fn invalidate(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<InvalidateRequest>,
) -> ApiResult<InvalidateReply> {
    Ok(Json(s.service.jobs().invalidate(r).await?))
}

async fn jobs(State(s): State<AppState>) -> ApiResult<Vec<Job>> {
    Ok(Json(s.service.jobs().list()))
}

async fn job(State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Job> {
    Ok(Json(s.service.jobs().get(&id)?))
}

async fn job_cancel(State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<Job> {
    Ok(Json(s.service.jobs().cancel(&id)?))
}
