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
    /// An operation did not complete in time (zero when only the connection knew the limit: the
    /// per-call response timeout).
    #[error("{}", timeout_text(*.0))]
    Timeout(Duration),
    /// The server answered with an error reply (OOM, READONLY, WRONGTYPE, ...), or with a reply
    /// that makes no sense. [`Error::is_transient`] and the other predicates read `code`, never
    /// `message`.
    #[error("server error: {message}")]
    Server {
        /// The reply's error code as the server sent it (`WRONGTYPE`, `MOVED`, `BUSY`, …);
        /// `None` when there was no error reply (an unexpected reply, a check that failed).
        code: Option<String>,
        /// The reply as shown to people (redis-rs's rendering, without secrets).
        message: String,
    },
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
    /// Too much of something is already running here (jobs, requests): try again later.
    #[error("busy: {0}")]
    Busy(String),
}

/// A copy of the error for every party waiting on one shared operation (a single-flight load, a
/// scan several callers wait on). Every variant is copied as is, but for [`Error::Io`], which keeps its kind and text.
impl Clone for Error {
    fn clone(&self) -> Self {
        match self {
            Error::Config(m) => Error::Config(m.clone()),
            Error::Connection(m) => Error::Connection(m.clone()),
            Error::Auth(m) => Error::Auth(m.clone()),
            Error::Timeout(d) => Error::Timeout(*d),
            Error::Server { code, message } => Error::Server {
                code: code.clone(),
                message: message.clone(),
            },
            Error::CircuitOpen(d) => Error::CircuitOpen(*d),
            Error::Codec(m) => Error::Codec(m.clone()),
            Error::InvalidInput(m) => Error::InvalidInput(m.clone()),
            Error::NotFound(m) => Error::NotFound(m.clone()),
            Error::ReadOnly(m) => Error::ReadOnly(m.clone()),
            Error::ConfirmationRequired(m) => Error::ConfirmationRequired(m.clone()),
            Error::Lock(m) => Error::Lock(m.clone()),
            Error::Io(e) => Error::Io(std::io::Error::new(e.kind(), e.to_string())),
            Error::Busy(m) => Error::Busy(m.clone()),
        }
    }
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
    Busy,
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
            ErrorKind::Busy => "busy",
        }
    }
}

/// Error codes of replies that clear up by themselves: the dataset is loading, a script is busy,
/// a Cluster or its master is in failover, or a slot moved and is looked up again.
const TRANSIENT_CODES: &[&str] = &[
    "LOADING",
    "BUSY",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "MASTERDOWN",
    "MOVED",
    "ASK",
];

/// Error codes of replies that refuse our credentials (no `AUTH` yet, or a wrong one).
const AUTH_CODES: &[&str] = &["NOAUTH", "WRONGPASS"];

impl Error {
    /// A server error without an error code: a reply that makes no sense, or a check of what the
    /// server answered that failed.
    pub fn server(message: impl Into<String>) -> Error {
        Error::Server {
            code: None,
            message: message.into(),
        }
    }

    /// An error reply's text as the server sent it (`CODE detail`, without the leading `-`), for
    /// readers of raw RESP: the first word is the code.
    pub fn from_error_reply(text: &str) -> Error {
        let code = text
            .split_ascii_whitespace()
            .next()
            .filter(|c| !c.is_empty());
        match code {
            Some(c) if AUTH_CODES.contains(&c) => Error::Auth(text.to_string()),
            _ => Error::Server {
                code: code.map(str::to_string),
                message: text.to_string(),
            },
        }
    }

    /// The server's error code (`WRONGTYPE`, `MOVED`, `BUSY`, …) of a [`Error::Server`].
    pub fn server_code(&self) -> Option<&str> {
        match self {
            Error::Server { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::Connection(_) => ErrorKind::Connection,
            Error::Auth(_) => ErrorKind::Auth,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Server { .. } => ErrorKind::Server,
            Error::CircuitOpen(_) => ErrorKind::CircuitOpen,
            Error::Codec(_) => ErrorKind::Codec,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::ReadOnly(_) => ErrorKind::ReadOnly,
            Error::ConfirmationRequired(_) => ErrorKind::ConfirmationRequired,
            Error::Lock(_) => ErrorKind::Lock,
            Error::Io(_) => ErrorKind::Io,
            Error::Busy(_) => ErrorKind::Busy,
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

    /// True when a retry with backoff may succeed: connection trouble, timeouts, and error
    /// replies whose code says the condition clears up (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN,
    /// MASTERDOWN, MOVED, ASK).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Connection(_) | Error::Timeout(_) => true,
            Error::Server { code, .. } => code
                .as_deref()
                .is_some_and(|c| TRANSIENT_CODES.contains(&c)),
            _ => false,
        }
    }

    /// True when the failure says the server is unhealthy (counts against the circuit breaker).
    pub fn is_server_failure(&self) -> bool {
        self.is_transient()
    }
}

fn timeout_text(limit: Duration) -> String {
    if limit.is_zero() {
        "timed out: no reply within the response timeout".into()
    } else {
        format!("timed out after {limit:?}")
    }
}

/// The error code of a redis-rs error: its kind's code for replies redis-rs knows (`MOVED`,
/// `LOADING`, …), the server's code for others (`BUSY`, `NOAUTH`, …), the first failed command's
/// for a pipeline.
fn reply_code(e: &redis::RedisError) -> Option<String> {
    if let Some(code) = e.code() {
        return Some(code.to_string());
    }
    let errors = e.clone().into_server_errors()?;
    errors.first().map(|(_, err)| err.code().to_string())
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        use redis::ErrorKind as K;
        if e.is_timeout() {
            return Error::Timeout(Duration::ZERO);
        }
        // RedisError's Display never includes the password; keep only its text.
        let message = e.to_string();
        if e.is_connection_refusal() || e.is_connection_dropped() || e.is_io_error() {
            return Error::Connection(message);
        }
        let code = reply_code(&e);
        match e.kind() {
            K::AuthenticationFailed => Error::Auth(message),
            K::InvalidClientConfig | K::EmptySentinelList => Error::Config(message),
            K::Parse | K::UnexpectedReturnType => Error::Codec(message),
            // No connection to the node serving a slot (mid-failover): reconnect and retry.
            K::ClusterConnectionNotFound => Error::Connection(message),
            _ if code.as_deref().is_some_and(|c| AUTH_CODES.contains(&c)) => Error::Auth(message),
            _ => Error::Server { code, message },
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
    fn a_copy_keeps_kind_code_and_text() {
        let busy = Error::from(reply("BUSY Redis is busy running a script"));
        let copy = busy.clone();
        assert_eq!(copy.kind(), ErrorKind::Server);
        assert_eq!(copy.server_code(), Some("BUSY"));
        assert_eq!(copy.to_string(), busy.to_string());
        let io = Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ));
        match io.clone() {
            Error::Io(e) => assert_eq!(
                (e.kind(), e.to_string()),
                (std::io::ErrorKind::NotFound, "no such file".to_string())
            ),
            other => panic!("an I/O error copied as {other:?}"),
        }
    }

    #[test]
    fn a_reply_timeout_names_the_response_timeout_not_zero() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within 2s");
        let e = Error::from(redis::RedisError::from(io));
        assert!(matches!(e, Error::Timeout(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "timed out: no reply within the response timeout"
        );
        let t = Error::Timeout(Duration::from_secs(3));
        assert_eq!(t.to_string(), "timed out after 3s");
    }

    /// The redis-rs error for an error reply exactly as a server sends it (`-CODE detail\r\n`).
    fn reply(line: &str) -> redis::RedisError {
        let wire = format!("-{line}\r\n");
        let value = redis::parse_redis_value(wire.as_bytes()).expect("an error reply parses");
        value
            .extract_error()
            .expect_err("an error reply is an error")
    }

    #[test]
    fn failover_redirect_and_loading_replies_are_transient_with_their_code() {
        for (line, code) in [
            ("MOVED 3999 127.0.0.1:6381", "MOVED"),
            ("ASK 3999 127.0.0.1:6381", "ASK"),
            ("CLUSTERDOWN The cluster is down", "CLUSTERDOWN"),
            ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", "MASTERDOWN"),
            ("TRYAGAIN Multiple keys request during rehashing of slot", "TRYAGAIN"),
            ("LOADING Redis is loading the dataset in memory", "LOADING"),
            ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.", "BUSY"),
        ] {
            let e = Error::from(reply(line));
            assert_eq!(e.kind(), ErrorKind::Server, "{line}");
            assert_eq!(e.server_code(), Some(code), "{line}");
            assert!(e.is_transient() && e.is_server_failure(), "{line}");
            assert!(!e.is_connection(), "{line}");
        }
    }

    #[test]
    fn permanent_replies_keep_their_code_and_are_not_transient() {
        for (line, code) in [
            (
                "READONLY You can't write against a read only replica.",
                "READONLY",
            ),
            (
                "OOM command not allowed when used memory > 'maxmemory'.",
                "OOM",
            ),
            (
                "WRONGTYPE Operation against a key holding the wrong kind of value",
                "WRONGTYPE",
            ),
            (
                "CROSSSLOT Keys in request don't hash to the same slot",
                "CROSSSLOT",
            ),
            (
                "NOPERM User bob has no permissions to run the 'set' command",
                "NOPERM",
            ),
            ("ERR unknown command 'FOO'", "ERR"),
            ("NOSCRIPT No matching script. Please use EVAL.", "NOSCRIPT"),
            ("BUSYGROUP Consumer Group name already exists", "BUSYGROUP"),
        ] {
            let e = Error::from(reply(line));
            assert_eq!(e.kind(), ErrorKind::Server, "{line}");
            assert_eq!(e.server_code(), Some(code), "{line}");
            assert!(!e.is_transient(), "{line}");
        }
    }

    #[test]
    fn classification_reads_the_code_not_the_text() {
        // A transient-looking word in the detail of a permanent reply changes nothing, and a
        // message without a code is never transient, whatever it says.
        let e = Error::from(reply("ERR MOVED LOADING BUSY CLUSTERDOWN in the text"));
        assert_eq!(e.server_code(), Some("ERR"));
        assert!(!e.is_transient());
        assert!(!Error::server("CLUSTERDOWN The cluster is down").is_transient());
        assert!(!Error::server("\"BUSY\": Redis is busy").is_transient());
    }

    #[test]
    fn auth_failures_are_auth_errors() {
        for line in [
            "NOAUTH Authentication required.",
            "WRONGPASS invalid username-password pair or user is disabled.",
        ] {
            let e = Error::from(reply(line));
            assert_eq!(e.kind(), ErrorKind::Auth, "{line}");
            assert!(!e.is_transient(), "{line}");
        }
        let failed = redis::RedisError::from((
            redis::ErrorKind::AuthenticationFailed,
            "Password authentication failed",
        ));
        assert_eq!(Error::from(failed).kind(), ErrorKind::Auth);
    }

    #[test]
    fn io_failures_are_connection_errors_or_timeouts() {
        use std::io::{Error as IoError, ErrorKind as Io};
        for kind in [
            Io::ConnectionRefused,
            Io::ConnectionReset,
            Io::BrokenPipe,
            Io::UnexpectedEof,
        ] {
            let e = Error::from(redis::RedisError::from(IoError::from(kind)));
            assert_eq!(e.kind(), ErrorKind::Connection, "{kind:?}");
            assert!(e.is_transient() && e.is_connection(), "{kind:?}");
        }
        let e = Error::from(redis::RedisError::from(IoError::from(Io::TimedOut)));
        assert!(e.is_timeout() && e.is_transient());
        let lost = redis::RedisError::from((
            redis::ErrorKind::ClusterConnectionNotFound,
            "no connection to the slot's node",
        ));
        assert!(Error::from(lost).is_transient());
    }

    #[test]
    fn client_side_kinds_map_to_their_own_kinds() {
        let parse = redis::RedisError::from((redis::ErrorKind::Parse, "bad reply"));
        assert_eq!(Error::from(parse).kind(), ErrorKind::Codec);
        let ty = redis::RedisError::from((redis::ErrorKind::UnexpectedReturnType, "not a number"));
        assert_eq!(Error::from(ty).kind(), ErrorKind::Codec);
        let cfg = redis::RedisError::from((redis::ErrorKind::InvalidClientConfig, "bad URL"));
        assert_eq!(Error::from(cfg).kind(), ErrorKind::Config);
    }

    #[test]
    fn raw_error_replies_split_their_code() {
        let e = Error::from_error_reply("BUSY Redis is busy running a script");
        assert_eq!(e.server_code(), Some("BUSY"));
        assert!(e.is_transient());
        assert_eq!(
            e.to_string(),
            "server error: BUSY Redis is busy running a script"
        );
        assert_eq!(
            Error::from_error_reply("WRONGPASS invalid username-password pair").kind(),
            ErrorKind::Auth
        );
        assert_eq!(Error::from_error_reply("").server_code(), None);
    }

    #[test]
    fn kind_codes_are_stable() {
        // The UI and the API's `code` field match on these.
        assert_eq!(Error::server("x").kind().as_str(), "server");
        assert_eq!(Error::Auth("x".into()).kind().as_str(), "auth");
        assert_eq!(Error::Timeout(Duration::ZERO).kind().as_str(), "timeout");
        assert_eq!(Error::Connection("x".into()).kind().as_str(), "connection");
    }
}
