//! The `{code, message}` object live-data commands reject with (the same body as the HTTP API).

use serde::Serialize;

/// An admin error as the UI receives it.
#[derive(Debug, Serialize)]
pub struct CommandError {
    /// Stable machine-readable code (an `ErrorKind` name).
    pub code: String,
    /// Human-readable explanation, never containing secrets.
    pub message: String,
}

impl From<redscope::Error> for CommandError {
    fn from(e: redscope::Error) -> Self {
        CommandError {
            code: e.kind().as_str().to_string(),
            message: e.to_string(),
        }
    }
}

/// Result of a live-data command.
pub type CmdResult<T> = Result<T, CommandError>;
