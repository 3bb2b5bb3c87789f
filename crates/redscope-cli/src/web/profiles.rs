//! Connection profile routes: `GET|PUT|DELETE /api/profiles`, `POST /api/profiles/test`,
//! `POST /api/connect`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::live_extract::{J, Q};
use super::{ApiError, AppState};
use redscope_admin::profiles::{Profile, ProfileInput, ProfileTest};
use redscope_admin::HealthReport;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/profiles", get(list).put(save).delete(remove))
        .route("/profiles/test", post(test))
        .route("/connect", post(connect))
}

#[derive(Deserialize)]
struct NameQuery {
    name: String,
}

#[derive(Deserialize)]
struct ConnectBody {
    profile: String,
}

async fn list(State(s): State<AppState>) -> Result<Json<Vec<Profile>>, ApiError> {
    Ok(Json(s.service.profiles().list().await?))
}

async fn save(
    State(s): State<AppState>,
    J(input): J<ProfileInput>,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(s.service.profiles().save(input).await?))
}

async fn remove(
    State(s): State<AppState>,
    Q(q): Q<NameQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    s.service.profiles().delete(&q.name).await?;
    Ok(Json(serde_json::json!({})))
}

async fn test(
    State(s): State<AppState>,
    J(input): J<ProfileInput>,
) -> Result<Json<ProfileTest>, ApiError> {
    Ok(Json(s.service.profiles().test(input).await?))
}

async fn connect(
    State(s): State<AppState>,
    J(body): J<ConnectBody>,
) -> Result<Json<HealthReport>, ApiError> {
    Ok(Json(s.service.connect(&body.profile).await?))
}
