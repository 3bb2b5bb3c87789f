//! Query and JSON extractors for the live-data routes whose rejections are the API's JSON error
//! (`400 invalid_input` with what was wrong), not axum's plain-text ones.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use super::ApiError;
use redscope::error::Error;

/// `Query<T>` answering bad query strings with a JSON 400.
pub(crate) struct Q<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Q(v)),
            Err(e) => Err(Error::InvalidInput(e.body_text()).into()),
        }
    }
}

/// `Json<T>` answering bad bodies with a JSON 400.
pub(crate) struct J<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for J<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(J(v)),
            Err(e) => Err(Error::InvalidInput(e.body_text()).into()),
        }
    }
}
