//! Who may talk to web mode. The access token: random by default, compared in constant time,
//! accepted as a Bearer header or a `token` query parameter (for WebSocket upgrades and the
//! printed URL). The Host/Origin guard: a page from another site cannot drive the API, even when
//! its domain resolves to 127.0.0.1 (DNS rebinding), because its Host and Origin are not ours.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use redscope::error::Error;

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

/// The Host names and Origins web mode answers to.
#[derive(Clone, Debug)]
pub struct HostGuard {
    port: u16,
    remote: bool,
    /// `--allow-host` entries, lower case: `name` (any port) or `name:port`.
    hosts: Vec<String>,
}

impl HostGuard {
    /// For a server bound to `addr`. Loopback names with our port always pass; with
    /// `allow_remote` also IP addresses (a rebinding attack needs a domain name) and the names
    /// given by [`HostGuard::with_hosts`].
    pub fn new(addr: std::net::SocketAddr, allow_remote: bool) -> Self {
        HostGuard {
            port: addr.port(),
            remote: allow_remote,
            hosts: Vec::new(),
        }
    }

    /// Adds the `--allow-host` names remote mode answers to.
    pub fn with_hosts(mut self, hosts: &[String]) -> Self {
        self.hosts = hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        self
    }

    /// True for `127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`; in remote mode also any IP
    /// address and the allowed names.
    pub fn host_ok(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let (name, port) = split_host(&host);
        let loopback = matches!(name, "127.0.0.1" | "localhost" | "[::1]");
        if loopback && port == Some(self.port) {
            return true;
        }
        if !self.remote {
            return false;
        }
        let ip = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        ip || self
            .hosts
            .iter()
            .any(|h| *h == host || (!h.contains(':') && h == name))
    }

    /// True when a browser's `Origin` is this server itself (`http://` or `https://` with the
    /// request's Host, so a TLS proxy in front works).
    pub fn origin_ok(&self, origin: &str, host: &str) -> bool {
        let o = origin.to_ascii_lowercase();
        let h = host.to_ascii_lowercase();
        let same = |scheme: &str, default_port: &str| {
            o.strip_prefix(scheme).is_some_and(|rest| {
                rest == h
                    || format!("{rest}:{default_port}") == h
                    || rest == h.trim_end_matches(&format!(":{default_port}"))
            })
        };
        same("http://", "80") || same("https://", "443")
    }
}

/// `name:port` → (`name`, port); IPv6 in brackets.
fn split_host(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && (!name.contains(':') || name.ends_with(']')) => {
            (name, port.parse().ok())
        }
        _ => (host, None),
    }
}

/// Middleware: 403 when the Host header is not ours, or when a browser sends an Origin other than ours.
pub async fn check_host_and_origin(
    State(guard): State<HostGuard>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(refusal) = host_or_origin_refusal(&guard, req.headers()) {
        return forbidden(refusal);
    }
    next.run(req).await
}

/// Why a request with these headers must be refused, if it must.
fn host_or_origin_refusal(guard: &HostGuard, headers: &axum::http::HeaderMap) -> Option<String> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    let host = header(axum::http::header::HOST).unwrap_or("");
    if !guard.host_ok(host) {
        return Some(format!(
            "Host {host:?} is not this server: web mode only answers to its own address"
        ));
    }
    match header(axum::http::header::ORIGIN) {
        Some(origin) if !guard.origin_ok(origin, host) => Some(format!(
            "requests from {origin:?} are refused: web mode only answers its own pages"
        )),
        _ => None,
    }
}

fn forbidden(message: String) -> Response {
    ApiError::with_status(
        axum::http::StatusCode::FORBIDDEN,
        Error::InvalidInput(message),
        "forbidden",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_host_and_origin_pass() {
        let g = HostGuard::new("127.0.0.1:7379".parse().unwrap(), false);
        assert!(g.host_ok("127.0.0.1:7379"));
        assert!(g.host_ok("localhost:7379"));
        assert!(g.host_ok("[::1]:7379"));
        assert!(!g.host_ok("evil.example:7379"));
        assert!(!g.host_ok("127.0.0.1:80"));
        assert!(!g.host_ok(""));
        assert!(g.origin_ok("http://127.0.0.1:7379", "127.0.0.1:7379"));
        assert!(!g.origin_ok("http://evil.example:7379", "127.0.0.1:7379"));
        assert!(!g.origin_ok("null", "127.0.0.1:7379"));
        assert!(g.origin_ok("https://127.0.0.1:7379", "127.0.0.1:7379"));
        let remote = HostGuard::new("0.0.0.0:7379".parse().unwrap(), true)
            .with_hosts(&["redscope.internal".into()]);
        assert!(remote.host_ok("redscope.internal:7379"));
        assert!(remote.host_ok("redscope.internal"));
        assert!(remote.host_ok("10.1.2.3:7379"));
        assert!(remote.host_ok("[fe80::1]:7379"));
        assert!(!remote.host_ok("attacker.example:7379"));
        assert!(remote.origin_ok("https://redscope.internal", "redscope.internal"));
        assert!(remote.origin_ok("https://redscope.internal", "redscope.internal:443"));
    }
}
