//! `GET /api/openapi.json`: the OpenAPI 3.1 document generated from the operation table
//! ([`redscope_admin::schema::openapi`]), built once and served as is.

use std::sync::OnceLock;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::AppState;

/// The routes, merged into `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(document().clone()) }))
}

/// The document, rendered on first use.
fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(redscope_admin::schema::openapi::document)
}
