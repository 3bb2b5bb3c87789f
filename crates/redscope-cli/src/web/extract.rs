//! Request extractors whose rejections are the API's JSON errors: axum's own answer bad query
//! strings, bodies and paths with plain text; these answer `400 {"code": "invalid_input", ...}`.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use super::ApiError;
use redscope::error::Error;

/// What a handler returns: JSON, or the API's error.
pub(crate) type ApiResult<T> = Result<Json<T>, ApiError>;

/// A query string parsed into `T`; a parse failure is a 400 JSON error.
pub(crate) struct ApiQuery<T>(pub T);

/// A JSON body parsed into `T`; a parse failure (or a missing JSON content type) is a 400 JSON error.
pub(crate) struct ApiJson<T>(pub T);

/// A path parameter parsed into `T`; a parse failure is a 400 JSON error.
pub(crate) struct ApiPath<T>(pub T);

fn bad(what: &str, detail: String) -> ApiError {
    ApiError::from(Error::InvalidInput(format!("{what}: {detail}")))
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| bad("bad query string", e.body_text()))
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| bad("bad path", e.body_text()))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Json::<T>::from_request(req, state)
            .await
            .map(|j| ApiJson(j.0))
            .map_err(|e: JsonRejection| bad("bad JSON body", e.body_text()))
    }
}
