//! The access token: random by default, compared in constant time, accepted as a Bearer header
//! or a `token` query parameter (for WebSocket upgrades and the printed URL).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use crate::error::Error;

/// The expected token.
#[derive(Clone)]
pub struct Token(Arc<[u8]>);

impl Token {
    pub fn new(token: &str) -> Self {
        Token(token.as_bytes().into())
    }

    fn matches(&self, candidate: &[u8]) -> bool {
        candidate.len() == self.0.len() && bool::from(candidate.ct_eq(&self.0))
    }
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Middleware: 401 unless the request carries the token.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().as_bytes().to_vec());
    let query = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.as_bytes().to_vec())
    });
    let ok = header
        .iter()
        .chain(query.iter())
        .any(|t| state.token.matches(t));
    if ok {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

impl ApiError {
    fn unauthorized() -> Self {
        ApiError::with_status(
            axum::http::StatusCode::UNAUTHORIZED,
            Error::InvalidInput("missing or wrong access token".into()),
            "unauthorized",
        )
    }
}
