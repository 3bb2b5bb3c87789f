//! Server tool routes: `/api/info`, `/api/slowlog` (GET, DELETE), `/api/clients`,
//! `/api/clients/kill`, `/api/config`, `/api/server`, `/api/console`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::extract::{ApiJson, ApiQuery, ApiResult};
use super::AppState;
use redscope_admin::console::{ConsoleReply, ConsoleRequest};
use redscope_admin::server::{
    ActionReply, ClientInfo, ClientKill, ConfigQuery, Confirm, Empty, InfoQuery, InfoReply, Killed,
    ServerAction, SlowlogEntry, SlowlogQuery,
};

/// The routes, merged into `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/info", get(info))
        .route("/slowlog", get(slowlog).delete(slowlog_reset))
        .route("/clients", get(clients))
        .route("/clients/kill", post(client_kill))
        .route("/config", get(config_get))
        .route("/server", post(server_action))
        .route("/console", post(console))
}

async fn info(State(s): State<AppState>, ApiQuery(q): ApiQuery<InfoQuery>) -> ApiResult<InfoReply> {
    Ok(Json(s.service.server().info(q).await?))
}

async fn slowlog(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SlowlogQuery>,
) -> ApiResult<Vec<SlowlogEntry>> {
    Ok(Json(s.service.server().slowlog(q).await?))
}

async fn slowlog_reset(
    State(s): State<AppState>,
    ApiQuery(c): ApiQuery<Confirm>,
) -> ApiResult<Empty> {
    Ok(Json(s.service.server().slowlog_reset(c).await?))
}

async fn clients(State(s): State<AppState>) -> ApiResult<Vec<ClientInfo>> {
    Ok(Json(s.service.server().clients().await?))
}

async fn client_kill(
    State(s): State<AppState>,
    ApiJson(k): ApiJson<ClientKill>,
) -> ApiResult<Killed> {
    Ok(Json(s.service.server().client_kill(k).await?))
}

async fn config_get(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ConfigQuery>,
) -> ApiResult<BTreeMap<String, String>> {
    Ok(Json(s.service.server().config_get(q).await?))
}

async fn server_action(
    State(s): State<AppState>,
    ApiJson(a): ApiJson<ServerAction>,
) -> ApiResult<ActionReply> {
    Ok(Json(s.service.server().action(a).await?))
}

async fn console(
    State(s): State<AppState>,
    ApiJson(r): ApiJson<ConsoleRequest>,
) -> ApiResult<ConsoleReply> {
    Ok(Json(s.service.console().run(r).await?))
}
