//! The crate's one error type. Callers branch on [`Error::kind`] and the `is_*` predicates,
//! never on message text; the breaker and retry logic use the same predicates.

use std::time::Duration;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the Redis layer and the admin service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value (URL, env var, file) is malformed or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The server could not be reached or the connection dropped.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The server refused our credentials.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// An operation did not complete in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The server answered with an error reply (OOM, READONLY, WRONGTYPE, ...).
    #[error("server error: {0}")]
    Server(String),
    /// The circuit breaker is open: calls are short-circuited until the cool-down ends.
    #[error("circuit open: Redis calls are suspended until {0:?} from now")]
    CircuitOpen(Duration),
    /// A value could not be encoded or decoded.
    #[error("codec: {0}")]
    Codec(String),
    /// The caller's input is invalid (bad key, bad argument, bad request body).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A write or dangerous command was refused because the connection is read-only.
    #[error("refused in read-only mode: {0}")]
    ReadOnly(String),
    /// A dangerous operation was asked for without its explicit confirmation.
    #[error("confirmation required: {0}")]
    ConfirmationRequired(String),
    /// A distributed lock is held by someone else or was lost.
    #[error("lock: {0}")]
    Lock(String),
    /// Local I/O (files, processes).
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Coarse classification of an [`Error`], stable for matching and for the API's `code` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    Config,
    Connection,
    Auth,
    Timeout,
    Server,
    CircuitOpen,
    Codec,
    InvalidInput,
    NotFound,
    ReadOnly,
    ConfirmationRequired,
    Lock,
    Io,
}

impl ErrorKind {
    /// The snake_case name used as the `code` of API errors.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Connection => "connection",
            ErrorKind::Auth => "auth",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Server => "server",
            ErrorKind::CircuitOpen => "circuit_open",
            ErrorKind::Codec => "codec",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::ReadOnly => "read_only",
            ErrorKind::ConfirmationRequired => "confirmation_required",
            ErrorKind::Lock => "lock",
            ErrorKind::Io => "io",
        }
    }
}

/// Error replies that clear up by themselves (loading, a busy script, a Cluster or master in
/// failover, a slot that moved and is looked up again), as Redis codes and redis-rs kind names.
const TRANSIENT_REPLIES: &[&str] = &[
    "LOADING",
    "BUSY",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "MASTERDOWN",
    "MOVED",
    "ASK",
    "BusyLoading",
    "TryAgain",
    "ClusterDown",
    "MasterDown",
    "Moved",
    "Ask:",
];

impl Error {
    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::Connection(_) => ErrorKind::Connection,
            Error::Auth(_) => ErrorKind::Auth,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Server(_) => ErrorKind::Server,
            Error::CircuitOpen(_) => ErrorKind::CircuitOpen,
            Error::Codec(_) => ErrorKind::Codec,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::ReadOnly(_) => ErrorKind::ReadOnly,
            Error::ConfirmationRequired(_) => ErrorKind::ConfirmationRequired,
            Error::Lock(_) => ErrorKind::Lock,
            Error::Io(_) => ErrorKind::Io,
        }
    }

    /// True when the server is unreachable or the connection broke: worth a retry later.
    pub fn is_connection(&self) -> bool {
        matches!(self, Error::Connection(_) | Error::Timeout(_))
    }

    /// True when the operation timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// True when a retry with backoff may succeed (connection trouble, timeouts, LOADING/BUSY).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connection(_) | Error::Timeout(_) => true,
            Error::Server(msg) => {
                // redis-rs shows a reply it knows by its kind's name (`ClusterDown: …`) and an
                // other one by its quoted code (`"BUSY": …`); both spellings are checked.
                let msg = msg.trim_start_matches('"');
                TRANSIENT_REPLIES.iter().any(|code| msg.starts_with(code))
            }
            _ => false,
        }
    }

    /// True when the failure says the server is unhealthy (counts against the circuit breaker).
    pub fn is_server_failure(&self) -> bool {
        self.is_transient()
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        use redis::ErrorKind as K;
        // RedisError's Display never includes the password; keep only its text.
        let text = e.to_string();
        if e.is_timeout() {
            return Error::Timeout(Duration::ZERO);
        }
        if e.is_connection_refusal() || e.is_connection_dropped() || e.is_io_error() {
            return Error::Connection(text);
        }
        match e.kind() {
            K::AuthenticationFailed => Error::Auth(text),
            K::InvalidClientConfig => Error::Config(text),
            K::Parse | K::UnexpectedReturnType => Error::Codec(text),
            _ => {
                if text.contains("NOAUTH") || text.contains("WRONGPASS") {
                    Error::Auth(text)
                } else {
                    Error::Server(text)
                }
            }
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Codec(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failover_and_loading_replies_are_transient_in_both_spellings() {
        for msg in [
            "ClusterDown: The cluster is down",
            "MasterDown: Link with MASTER is down",
            "TryAgain: Multiple keys request during rehashing of slot",
            "BusyLoading: Redis is loading the dataset in memory",
            "\"BUSY\": Redis is busy running a script",
            "CLUSTERDOWN The cluster is down",
            "Moved: 212 127.0.0.1:34371",
            "Ask: 212 127.0.0.1:34371",
        ] {
            assert!(Error::Server(msg.into()).is_transient(), "{msg}");
        }
        for msg in [
            "ReadOnly: You can't write against a read only replica.",
            "\"OOM\": command not allowed when used memory > 'maxmemory'.",
            "\"WRONGTYPE\": Operation against a key holding the wrong kind of value",
        ] {
            assert!(!Error::Server(msg.into()).is_transient(), "{msg}");
        }
    }
}
