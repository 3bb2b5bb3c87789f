//! Key browser routes: `/api/tree`, `/api/keys`, `/api/keys/meta`, `/api/key` (GET, PUT,
//! DELETE), `/api/key/ttl`, `/api/key/rename`. One-line adapters over the admin service.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::extract::{ApiJson, ApiQuery, ApiResult};
use super::AppState;
use redscope_admin::browser::{
    Deleted, KeyEdit, KeyMeta, KeyPage, KeyQuery, KeyRename, KeyTtl, KeyValue, KeysMetaRequest,
    KeysQuery, Renamed, TtlReply,
};
use redscope_admin::bytes::KeyRef;
use redscope_admin::tree::{TreeLevel, TreeQuery};

/// The routes, merged into `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/tree", get(tree))
        .route("/keys", get(keys))
        .route("/keys/meta", post(keys_meta))
        .route("/key", get(key).put(key_set).delete(key_delete))
        .route("/key/ttl", post(key_ttl))
        .route("/key/rename", post(key_rename))
}

async fn tree(State(s): State<AppState>, ApiQuery(q): ApiQuery<TreeQuery>) -> ApiResult<TreeLevel> {
    Ok(Json(s.service.tree().level(q).await?))
}

async fn keys(State(s): State<AppState>, ApiQuery(q): ApiQuery<KeysQuery>) -> ApiResult<KeyPage> {
    Ok(Json(s.service.browser().keys(q).await?))
}

async fn keys_meta(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<KeysMetaRequest>,
) -> ApiResult<Vec<KeyMeta>> {
    Ok(Json(s.service.browser().keys_meta(r).await?))
}

async fn key(State(s): State<AppState>, ApiQuery(q): ApiQuery<KeyQuery>) -> ApiResult<KeyValue> {
    Ok(Json(s.service.browser().key(q).await?))
}

async fn key_set(State(s): State<AppState>, ApiJson(e): ApiJson<KeyEdit>) -> ApiResult<KeyValue> {
    Ok(Json(s.service.browser().key_set(e).await?))
}

async fn key_delete(
    State(s): State<AppState>,
    ApiQuery(k): ApiQuery<KeyRef>,
) -> ApiResult<Deleted> {
    Ok(Json(s.service.browser().key_delete(k).await?))
}

async fn key_ttl(State(s): State<AppState>, ApiJson(r): ApiJson<KeyTtl>) -> ApiResult<TtlReply> {
    Ok(Json(s.service.browser().key_ttl(r).await?))
}

async fn key_rename(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<KeyRename>,
) -> ApiResult<Renamed> {
    Ok(Json(s.service.browser().key_rename(r).await?))
}
