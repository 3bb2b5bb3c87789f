//! Plumbing of the command adapters: the invoke payload is parsed into the same request types
//! web mode parses (so `invoke("keys", {match, count})` and `GET /api/keys?match=&count=` take
//! the same names), and errors become the `{code, message}` body both surfaces reject with.

use redscope::Error;
use redscope_admin::ErrorBody;
use serde::de::DeserializeOwned;
use tauri::ipc::{InvokeBody, Request};

/// The command's arguments as `T`; a mismatch is an `invalid_input` rejection.
pub fn args<T: DeserializeOwned>(request: &Request<'_>) -> Result<T, ErrorBody> {
    let value = match request.body() {
        InvokeBody::Json(serde_json::Value::Null) => serde_json::Value::Object(Default::default()),
        InvokeBody::Json(v) => v.clone(),
        InvokeBody::Raw(_) => {
            return Err(reject(Error::InvalidInput(
                "this command takes a JSON object of arguments".into(),
            )))
        }
    };
    serde_json::from_value(value)
        .map_err(|e| reject(Error::InvalidInput(format!("bad arguments: {e}"))))
}

/// A library error as the rejection body.
pub fn reject(e: Error) -> ErrorBody {
    ErrorBody::from_error(&e)
}

/// `{id}` of job commands (a string; a number is accepted too).
#[derive(serde::Deserialize)]
pub struct Id {
    id: serde_json::Value,
}

impl Id {
    /// The id as text.
    pub fn text(&self) -> String {
        match &self.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}
