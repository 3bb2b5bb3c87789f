//! The one error shape both surfaces answer with: `{"code": "...", "message": "..."}`. Web mode
//! adds an HTTP status; the desktop rejects its commands with the same body.

use redscope::Error;
use serde::{Deserialize, Serialize};

/// The JSON body of every admin error.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema, ts_rs::TS)]
pub struct ErrorBody {
    /// Stable machine-readable code (an `ErrorKind` name, `noperm` for an ACL refusal, or
    /// `unauthorized`).
    pub code: String,
    /// Human-readable explanation, never containing secrets.
    pub message: String,
}

impl ErrorBody {
    /// The body for a library error. A refusal by the server's ACL rules gets its own code,
    /// `noperm`, and says so, since the user can do nothing about it but use another user.
    pub fn from_error(e: &Error) -> Self {
        if e.server_code() == Some("NOPERM") {
            return ErrorBody {
                code: "noperm".into(),
                message: format!(
                    "refused by the server's ACL rules for this connection's user: {e}"
                ),
            };
        }
        ErrorBody {
            code: e.kind().as_str().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<Error> for ErrorBody {
    fn from(e: Error) -> Self {
        ErrorBody::from_error(&e)
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
