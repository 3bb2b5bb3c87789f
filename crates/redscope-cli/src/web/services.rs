//! Services route: `GET /api/services`, every library client reporting telemetry.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::extract::ApiResult;
use super::AppState;
use redscope_admin::services::ServicesReply;

/// The routes, merged into `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/services", get(services))
}

async fn services(State(s): State<AppState>) -> ApiResult<ServicesReply> {
    Ok(Json(s.service.services().list().await?))
}
