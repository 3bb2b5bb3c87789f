//! Hygiene and time-series routes: `GET /api/findings?mode=sample|full`,
//! `GET|DELETE /api/findings/jobs/{id}`, and `GET /api/series` (charts of `ts:`/`ohlcv:` keys).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::extract::{ApiPath, ApiQuery, ApiResult};
use super::AppState;
use redscope_admin::findings::{FindingsJob, FindingsQuery, FindingsReply};
use redscope_admin::series::{SeriesQuery, SeriesReply};

/// The routes, merged into `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/findings", get(findings))
        .route("/findings/jobs/{id}", get(job).delete(job_cancel))
        .route("/series", get(series))
}

async fn findings(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<FindingsQuery>,
) -> ApiResult<FindingsReply> {
    Ok(Json(s.service.findings().run(&q).await?))
}

async fn job(State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<FindingsJob> {
    Ok(Json(s.service.findings().job(&id)?))
}

async fn job_cancel(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<FindingsJob> {
    Ok(Json(s.service.findings().cancel(&id)?))
}

async fn series(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SeriesQuery>,
) -> ApiResult<SeriesReply> {
    Ok(Json(s.service.series().read(&q).await?))
}
