//! The `/api` routes generated from the operation table ([`OPERATIONS`]): one route per path, one
//! generic handler per operation that collects its arguments and calls [`ops::call`].

use std::collections::BTreeMap;

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::{Json, Router};
use serde_json::Value;

use super::{ApiError, AppState};
use redscope::error::Error;
use redscope_admin::ops::{self, Args, Method, Operation, OPERATIONS};

/// Every operation of the table, routed under its path; a path with several methods
/// (`/key` GET, PUT and DELETE) is one route, so a wrong method is a 405, not a 404.
pub(crate) fn routes() -> Router<AppState> {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for op in OPERATIONS {
        let handler = move |State(s): State<AppState>, req: Request| answer(op, s, req);
        let route = by_path.remove(op.path).unwrap_or_default();
        by_path.insert(op.path, route.on(filter(op.method), handler));
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
}

fn filter(method: Method) -> MethodFilter {
    match method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Delete => MethodFilter::DELETE,
    }
}

/// Runs `op` with the request's arguments; the reply is the operation's JSON as is.
async fn answer(op: &'static Operation, state: AppState, req: Request) -> Response {
    let reply = match arguments(op, &state, req).await {
        Ok(args) => ops::call(&state.service, op.name, args).await,
        Err(e) => Err(e),
    };
    match reply {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => {
            tracing::debug!(op = op.name, error = %e, "operation failed");
            ApiError::from(e).into_response()
        }
    }
}

/// The arguments as the table's dispatcher takes them: the query string (GET, DELETE) or the
/// JSON body (POST, PUT), with the path's `{param}` segments added as string fields.
async fn arguments(op: &Operation, state: &AppState, req: Request) -> Result<Args, Error> {
    let (mut parts, body) = req.into_parts();
    let params = if op.path_params().next().is_some() {
        Path::<Vec<(String, String)>>::from_request_parts(&mut parts, state)
            .await
            .map_err(|e| Error::InvalidInput(format!("bad path: {}", e.body_text())))?
            .0
    } else {
        Vec::new()
    };
    if op.method.takes_query() {
        return Ok(Args::Query(with_path_params(parts.uri.query(), &params)));
    }
    let req = Request::from_parts(parts, body);
    let Json(mut body) = Json::<Value>::from_request(req, state)
        .await
        .map_err(|e| Error::InvalidInput(format!("bad JSON body: {}", e.body_text())))?;
    if !params.is_empty() {
        if body.is_null() {
            body = Value::Object(Default::default());
        }
        let Some(fields) = body.as_object_mut() else {
            return Err(Error::InvalidInput(
                "bad JSON body: expected a JSON object".into(),
            ));
        };
        for (name, value) in params {
            fields.insert(name, Value::String(value));
        }
    }
    Ok(Args::Json(body))
}

/// The query string with the path parameters appended; a query field of the same name as a
/// path parameter is dropped, so the path decides (`/jobs/7?id=8` is job 7).
fn with_path_params(query: Option<&str>, params: &[(String, String)]) -> String {
    let query = query.unwrap_or_default();
    if params.is_empty() {
        return query.to_string();
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if !params.iter().any(|(p, _)| *p == name) {
            out.append_pair(&name, &value);
        }
    }
    for (name, value) in params {
        out.append_pair(name, value);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_appended_and_win_over_the_query() {
        let params = [("id".to_string(), "7 / 8".to_string())];
        assert_eq!(with_path_params(None, &params), "id=7+%2F+8");
        assert_eq!(
            with_path_params(Some("id=9&token=t"), &params),
            "token=t&id=7+%2F+8"
        );
        assert_eq!(with_path_params(Some("key=a%2Bb"), &[]), "key=a%2Bb");
    }
}
