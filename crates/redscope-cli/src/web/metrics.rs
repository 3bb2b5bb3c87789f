//! `GET /metrics`, the Prometheus text format: request counts and latency histograms per route
//! (from the [`track`] middleware) plus the sampler's latest Redis figures. (`GET /api/metrics`,
//! the sampler's history, is an operation of the table.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::AppState;
use redscope_admin::metrics::label;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 9] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

/// Request counts and latencies per (route, method, status).
#[derive(Default)]
pub struct HttpMetrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

#[derive(Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

impl HttpMetrics {
    fn record(&self, route: String, method: String, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.entry((route, method, status)).or_default();
        s.count += 1;
        s.sum += secs;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// The request series in the Prometheus text format.
    fn render(&self, out: &mut String) {
        let map = self
            .series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let _ = writeln!(
            out,
            "# HELP redscope_http_requests_total HTTP requests served."
        );
        let _ = writeln!(out, "# TYPE redscope_http_requests_total counter");
        for ((route, method, status), s) in &map {
            let _ = writeln!(
                out,
                "redscope_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {}",
                label(route),
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP redscope_http_request_duration_seconds HTTP request latency."
        );
        let _ = writeln!(
            out,
            "# TYPE redscope_http_request_duration_seconds histogram"
        );
        for ((route, method, status), s) in &map {
            let l = format!(
                "route=\"{}\",method=\"{method}\",status=\"{status}\"",
                label(route)
            );
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "redscope_http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "redscope_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "redscope_http_request_duration_seconds_sum{{{l}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "redscope_http_request_duration_seconds_count{{{l}}} {}",
                s.count
            );
        }
    }
}

/// Middleware (a route layer, so the matched route is known): counts and times each request.
pub(crate) async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    s.http
        .record(route, method, res.status().as_u16(), start.elapsed());
    res
}

/// `GET /metrics` (outside `/api`), behind the same token.
pub(crate) fn prometheus_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/metrics", get(prometheus))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            super::auth::require_token,
        ))
}

async fn prometheus(State(s): State<AppState>) -> Response {
    let mut out = String::new();
    s.http.render(&mut out);
    out.push_str(&s.service.metrics().prometheus_text());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
