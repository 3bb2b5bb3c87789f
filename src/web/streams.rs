//! Stream viewer routes: `GET /api/streams`, `GET /api/stream/entries`, `GET /api/stream/pending`,
//! `POST /api/stream/tail`, `DELETE /api/stream/tail/{tail_id}`.

use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};

use super::{ApiError, AppState};
use crate::admin::streams::{
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
    Query(q): Query<StreamsQuery>,
) -> Result<Json<StreamsReply>, ApiError> {
    Ok(Json(s.service.streams(&q).await?))
}

async fn entries(
    State(s): State<AppState>,
    Query(q): Query<EntriesQuery>,
) -> Result<Json<EntriesPage>, ApiError> {
    Ok(Json(s.service.stream_entries(&q).await?))
}

async fn pending(
    State(s): State<AppState>,
    Query(q): Query<PendingQuery>,
) -> Result<Json<Vec<PendingEntry>>, ApiError> {
    Ok(Json(s.service.stream_pending(&q).await?))
}

async fn tail(
    State(s): State<AppState>,
    Json(req): Json<TailRequest>,
) -> Result<Json<TailStarted>, ApiError> {
    Ok(Json(s.service.stream_tail(&req).await?))
}

async fn tail_stop(
    State(s): State<AppState>,
    Path(tail_id): Path<u64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    s.service.stream_tail_stop(tail_id).await?;
    Ok(Json(serde_json::json!({})))
}
