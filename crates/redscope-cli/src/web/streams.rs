//! Stream viewer routes: `GET /api/streams`, `GET /api/stream/entries`, `GET /api/stream/pending`,
//! `POST /api/stream/tail`, `DELETE /api/stream/tail/{tail_id}`.

use axum::extract::State;
use axum::routing::{delete, get, post};
use axum::{Json, Router};

use super::extract::ApiPath;
use super::live_extract::{J, Q};
use super::{ApiError, AppState};
use redscope_admin::streams::{
    EntriesPage, EntriesQuery, PendingEntry, PendingQuery, StreamsQuery, StreamsReply, TailRequest,
    TailStarted,
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/streams", get(streams))
        .route("/stream/entries", get(entries))
        .route("/stream/pending", get(pending))
        .route("/stream/tail", post(tail))
        .route("/stream/tail/{tail_id}", delete(tail_stop))
}

async fn streams(
    State(s): State<AppState>,
    Q(q): Q<StreamsQuery>,
) -> Result<Json<StreamsReply>, ApiError> {
    Ok(Json(s.service.streams().list(&q).await?))
}

async fn entries(
    State(s): State<AppState>,
    Q(q): Q<EntriesQuery>,
) -> Result<Json<EntriesPage>, ApiError> {
    Ok(Json(s.service.streams().entries(&q).await?))
}

async fn pending(
    State(s): State<AppState>,
    Q(q): Q<PendingQuery>,
) -> Result<Json<Vec<PendingEntry>>, ApiError> {
    Ok(Json(s.service.streams().pending(&q).await?))
}

async fn tail(
    State(s): State<AppState>,
    J(req): J<TailRequest>,
) -> Result<Json<TailStarted>, ApiError> {
    Ok(Json(s.service.streams().tail(&req).await?))
}

async fn tail_stop(
    State(s): State<AppState>,
    ApiPath(tail_id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let tail_id = tail_id.parse().map_err(|_| {
        redscope::error::Error::InvalidInput(format!("{tail_id:?} is not a tail id"))
    })?;
    s.service.streams().tail_stop(tail_id).await?;
    Ok(Json(serde_json::json!({})))
}
