//! Channel monitor and publish routes: `POST|GET|DELETE /api/monitor`, `POST /api/publish`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::live_extract::{J, Q};
use super::{ApiError, AppState};
use redscope_admin::channels::{MonitorRequest, MonitorStats, PublishReply, PublishRequest};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/monitor", get(stats).post(monitor).delete(stop))
        .route("/publish", post(publish))
}

#[derive(Deserialize)]
struct RecentQuery {
    recent: Option<usize>,
}

async fn monitor(
    State(s): State<AppState>,
    J(req): J<MonitorRequest>,
) -> Result<Json<MonitorStats>, ApiError> {
    Ok(Json(s.service.channels().monitor(req).await?))
}

async fn stats(
    State(s): State<AppState>,
    Q(q): Q<RecentQuery>,
) -> Result<Json<MonitorStats>, ApiError> {
    Ok(Json(s.service.channels().monitor_stats(q.recent)?))
}

async fn stop(State(s): State<AppState>) -> Json<serde_json::Value> {
    s.service.channels().monitor_stop().await;
    Json(serde_json::json!({}))
}

async fn publish(
    State(s): State<AppState>,
    J(req): J<PublishRequest>,
) -> Result<Json<PublishReply>, ApiError> {
    Ok(Json(s.service.channels().publish(req).await?))
}
