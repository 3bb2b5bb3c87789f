//! The OpenAPI 3.1 document of web mode, served at `GET /api/openapi.json` and committed as
//! docs/openapi.json: every operation of the table with its parameters, body, reply and errors,
//! plus the few routes web mode serves beside them.

use serde_json::{json, Map, Value};

use super::json::{self, non_null, Schemas};

/// Routes web mode serves that are not admin operations: method, path, operation id, summary,
/// and the content type of the answer.
pub(crate) const SURFACE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "get",
        "/api/openapi.json",
        "openapi",
        "The OpenAPI 3.1 description of these routes",
        "application/json",
    ),
    (
        "get",
        "/api/events",
        "events",
        "WebSocket of live events (the token as ?token=)",
        "application/json",
    ),
    (
        "get",
        "/metrics",
        "prometheus",
        "Prometheus text metrics",
        "text/plain",
    ),
];

/// HTTP statuses an operation answers with the error body (see docs/API.md, Conventions).
const ERROR_STATUSES: &[&str] = &[
    "400", "401", "403", "404", "409", "422", "429", "502", "503", "504",
];

/// The whole document.
pub fn document() -> Value {
    let Schemas {
        operations,
        error,
        components,
    } = json::schemas();
    let mut paths = Map::new();
    let errors: Map<String, Value> = ERROR_STATUSES
        .iter()
        .map(|s| {
            (
                s.to_string(),
                json!({"$ref": "#/components/responses/Error"}),
            )
        })
        .collect();
    for o in &operations {
        let op = &o.op;
        let in_path: Vec<&str> = op.path_params().collect();
        let mut params = Vec::new();
        for f in &o.fields {
            let path = in_path.contains(&f.name.as_str());
            if !path && !op.method.takes_query() {
                continue;
            }
            let mut p = json!({
                "name": f.name,
                "in": if path { "path" } else { "query" },
                "required": path || f.required,
                "schema": non_null(f.schema.clone()),
            });
            if let Some(d) = &f.description {
                p["description"] = json!(d);
            }
            params.push(p);
        }
        // Path parameters first, then by name: serde_json's map order differs between builds.
        params.sort_by_key(|p| (p["in"] != "path", p["name"].as_str().map(String::from)));
        for name in &in_path {
            assert!(
                o.fields.iter().any(|f| f.name == *name),
                "{}: path parameter {{{name}}} is not a field of {}",
                op.name,
                op.request
            );
        }
        let mut responses = errors.clone();
        responses.insert(
            "200".into(),
            json!({
                "description": "OK",
                "content": {"application/json": {"schema": o.reply}},
            }),
        );
        let mut entry = json!({
            "operationId": op.name,
            "summary": op.doc,
            "x-writes": op.writes,
            "parameters": params,
            "responses": responses,
        });
        if !op.method.takes_query() {
            entry["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": o.request}},
            });
        }
        let at = paths
            .entry(format!("/api{}", op.path))
            .or_insert_with(|| json!({}));
        let method = op.method.as_str().to_ascii_lowercase();
        assert!(
            at.get(&method).is_none(),
            "{} {} is declared twice",
            op.method.as_str(),
            op.path
        );
        at[method] = entry;
    }
    for (method, path, id, summary, content) in SURFACE {
        let at = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        at[*method] = json!({
            "operationId": id,
            "summary": summary,
            "x-writes": "no",
            "parameters": [],
            "responses": {
                "200": {"description": "OK", "content": {*content: {}}},
                "401": {"$ref": "#/components/responses/Error"},
            },
        });
    }
    super::sorted(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Redscope admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The admin service of Redscope over HTTP; the desktop's commands of \
                the same names take the same JSON. Generated from the operation table \
                (crates/redscope-admin/src/ops.rs); docs/API.md explains the conventions.",
        },
        "security": [{"bearer": []}, {"token": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "token": {"type": "apiKey", "in": "query", "name": "token"},
            },
            "responses": {
                "Error": {
                    "description": "An error: `code` names its kind, `message` explains it",
                    "content": {"application/json": {"schema": error}},
                },
            },
        },
    }))
}

/// The document as committed: pretty JSON and a final newline.
pub fn document_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("JSON values serialize");
    text.push('\n');
    text
}
