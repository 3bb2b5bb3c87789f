//! The one error shape of the API: `{"code": "...", "message": "..."}` with a fitting status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::{Error, ErrorKind};

/// An error as the HTTP API returns it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

/// The JSON body of every API error, identical to what Tauri commands reject with.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorBody {
    /// Stable machine-readable code (an [`ErrorKind`] name, or `unauthorized`).
    pub code: String,
    /// Human-readable explanation, never containing secrets.
    pub message: String,
}

impl ErrorBody {
    /// The body for a library error.
    pub fn from_error(e: &Error) -> Self {
        ErrorBody {
            code: e.kind().as_str().to_string(),
            message: e.to_string(),
        }
    }
}

impl ApiError {
    pub(crate) fn with_status(status: StatusCode, e: Error, code: &str) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_string(),
                message: e.to_string(),
            },
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match e.kind() {
            ErrorKind::InvalidInput | ErrorKind::Codec | ErrorKind::Config => {
                StatusCode::BAD_REQUEST
            }
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::ReadOnly => StatusCode::FORBIDDEN,
            ErrorKind::ConfirmationRequired | ErrorKind::Lock => StatusCode::CONFLICT,
            ErrorKind::Auth | ErrorKind::Connection | ErrorKind::CircuitOpen => {
                StatusCode::BAD_GATEWAY
            }
            ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::Server => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            body: ErrorBody::from_error(&e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_json_shape_is_pinned() {
        let body = ErrorBody::from_error(&Error::ReadOnly("FLUSHDB".into()));
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"code":"read_only","message":"refused in read-only mode: FLUSHDB"}"#
        );
    }
}
