//! Web mode (`redscope serve`): the admin API over HTTP + WebSocket, and the UI embedded in the binary.
//!
//! The `/api` routes come from the operation table ([`redscope_admin::ops::OPERATIONS`]): one
//! generic handler per operation (`routes.rs`); beside them only `/api/events` (WebSocket),
//! `/api/openapi.json` and Prometheus `/metrics`. Every `/api` route needs the access token, as
//! `Authorization: Bearer <token>` or `?token=<token>`.

mod assets;
mod auth;
mod error;
mod events;
mod headers;
pub mod listen;
mod metrics;
pub mod openapi;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use tokio::net::TcpListener;

use redscope::error::{Error, Result};
use redscope_admin::AdminService;

pub use error::{ApiError, ErrorBody};
pub use listen::Limits;

/// How `redscope serve` listens.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to bind; loopback unless `allow_remote`.
    pub bind: SocketAddr,
    /// The access token; a random one is made when `None`.
    pub token: Option<String>,
    /// Allow binding a non-loopback address.
    pub allow_remote: bool,
    /// Serve HTTPS with this PEM certificate chain and private key.
    pub tls: Option<TlsFiles>,
    /// Host names (optionally `name:port`) remote mode answers to, besides IP addresses and
    /// loopback names; any other Host header is refused (DNS rebinding).
    pub allow_hosts: Vec<String>,
    /// Connection, request and header-time limits.
    pub limits: Limits,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            allow_remote: false,
            tls: None,
            allow_hosts: Vec::new(),
            limits: Limits::default(),
        }
    }
}

/// The PEM files of `--tls-cert` / `--tls-key`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    /// The admin session behind every route.
    pub service: AdminService,
    token: auth::Token,
    /// Request counts and latencies for `GET /metrics`.
    http: std::sync::Arc<metrics::HttpMetrics>,
    /// Requests being handled at once (beyond [`Limits::max_requests`]: 503).
    in_flight: std::sync::Arc<tokio::sync::Semaphore>,
}

/// A bound, not yet running, web server: tells its URL before it starts serving.
pub struct WebServer {
    listener: TcpListener,
    router: Router,
    token: String,
    guard: auth::HostGuard,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
}

impl WebServer {
    /// Binds the listener (refusing non-loopback addresses unless allowed) and builds the routes.
    pub async fn bind(service: AdminService, opts: ServeOptions) -> Result<WebServer> {
        if !opts.bind.ip().is_loopback() && !opts.allow_remote {
            return Err(Error::InvalidInput(format!(
                "refusing to listen on {} (not loopback): pass --allow-remote to expose the API to the network",
                opts.bind
            )));
        }
        let token = opts.token.unwrap_or_else(auth::random_token);
        if token.len() < 16 {
            return Err(Error::InvalidInput(
                "the access token must be at least 16 characters".into(),
            ));
        }
        let tls = match &opts.tls {
            Some(f) => Some(listen::tls_acceptor(&f.cert, &f.key)?),
            None => None,
        };
        let listener = TcpListener::bind(opts.bind).await?;
        let guard = auth::HostGuard::new(listener.local_addr()?, opts.allow_remote)
            .with_hosts(&opts.allow_hosts);
        let state = AppState {
            service,
            token: auth::Token::new(&token),
            http: Default::default(),
            in_flight: std::sync::Arc::new(tokio::sync::Semaphore::new(
                opts.limits.max_requests.max(1),
            )),
        };
        Ok(WebServer {
            listener,
            router: router(state),
            token,
            guard,
            tls,
            limits: opts.limits,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// The URL a browser opens, token included.
    pub fn url(&self) -> Result<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Ok(format!(
            "{scheme}://{}/?token={}",
            self.local_addr()?,
            self.token
        ))
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        // Every route, UI files included, first passes the Host/Origin check (DNS rebinding, CSRF),
        // and every answer carries the security headers.
        let router = self
            .router
            .layer(axum::middleware::from_fn_with_state(
                self.guard,
                auth::check_host_and_origin,
            ))
            .layer(axum::middleware::from_fn(headers::secure));
        listen::serve(self.listener, router, self.tls, self.limits, shutdown).await
    }
}

fn router(state: AppState) -> Router {
    let api = routes::routes()
        .merge(openapi::routes())
        .merge(events::routes())
        .method_not_allowed_fallback(|| async {
            ApiError::with_status(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                Error::InvalidInput("this route does not take that method".into()),
                "invalid_input",
            )
        })
        .fallback(|| async { ApiError::from(Error::NotFound("no such API route".into())) })
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::limit_requests,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .nest("/api", api)
        .merge(metrics::prometheus_routes(state.clone()))
        .fallback(assets::serve)
        .with_state(state)
}
