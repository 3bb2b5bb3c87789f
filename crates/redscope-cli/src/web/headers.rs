//! Response headers every answer carries (a CSP that allows only our own scripts and no
//! framing, `nosniff`, no referrer, `no-store` for API answers) and the cap on requests handled
//! at once (503 beyond it, so a flood cannot queue work without bound).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
use redscope::error::Error;

/// Middleware: the security headers on every response.
pub async fn secure(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api") || req.uri().path() == "/metrics";
    // The Host passed the guard already; WebSockets go to the same host.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("")
        .to_string();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let connect = if host.is_empty() {
        "'self'".to_string()
    } else {
        format!("'self' ws://{host} wss://{host}")
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; font-src 'self' data:; connect-src {connect}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Middleware: 503 when [`super::Limits::max_requests`] requests are already being handled.
pub async fn limit_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        tracing::warn!("request limit reached: answering 503");
        return ApiError::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            Error::Connection("too many requests in progress: try again shortly".into()),
            "busy",
        )
        .into_response();
    };
    next.run(req).await
}
