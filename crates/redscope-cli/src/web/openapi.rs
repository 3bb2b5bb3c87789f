//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every route in docs/API.md, written
//! by hand as a table (method, path, command, summary, query parameters, body) turned into JSON.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::AppState;

/// The routes, merged into `/api`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}

/// One route: method, path (under the server root), command name, summary, query parameters,
/// and whether it takes a JSON body.
struct Op(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
);

#[rustfmt::skip]
const OPS: &[Op] = &[
    Op("get", "/api/health", "health", "Connection state, latency and server facts", &[], false),
    Op("get", "/api/info", "info", "INFO parsed by section", &["section"], false),
    Op("get", "/api/tree", "tree", "One level of the namespace tree with key counts (partial while scanning)", &["prefix", "prefix_b64", "separator", "match", "type"], false),
    Op("get", "/api/keys", "keys", "A SCAN page over every master", &["match", "type", "cursor", "count"], false),
    Op("post", "/api/keys/meta", "keys_meta", "TYPE, TTL, encoding, size and memory of up to 1000 keys", &[], true),
    Op("get", "/api/key", "key", "A key's metadata and one page of its value", &["key", "key_b64", "offset", "cursor", "count", "max_bytes"], false),
    Op("put", "/api/key", "key_set", "Edit a key (set, hset, lpush, zadd, xadd, ...)", &[], true),
    Op("delete", "/api/key", "key_delete", "Delete one key (UNLINK)", &["key", "key_b64"], false),
    Op("post", "/api/key/ttl", "key_ttl", "Set (PEXPIRE) or remove (PERSIST) a TTL", &[], true),
    Op("post", "/api/key/rename", "key_rename", "Rename a key (RENAMENX unless overwrite)", &[], true),
    Op("post", "/api/invalidate", "invalidate", "Dry run (count, sample) or a confirmed deletion job by pattern or preset", &[], true),
    Op("get", "/api/jobs", "jobs", "Every remembered job, newest first", &[], false),
    Op("get", "/api/jobs/{id}", "job", "A job's progress or final report", &[], false),
    Op("delete", "/api/jobs/{id}", "job_cancel", "Cancel a running job", &[], false),
    Op("get", "/api/streams", "streams", "Stream keys, or one stream's XINFO", &["key"], false),
    Op("get", "/api/stream/entries", "stream_entries", "An XRANGE page", &["key", "start", "end", "count", "rev"], false),
    Op("get", "/api/stream/pending", "stream_pending", "Pending entries of a group", &["key", "group", "count"], false),
    Op("post", "/api/stream/tail", "stream_tail", "Start a live tail (entries arrive as events)", &[], true),
    Op("delete", "/api/stream/tail/{tail_id}", "stream_tail_stop", "Stop a live tail", &[], false),
    Op("post", "/api/monitor", "monitor", "Monitor channels and patterns (replaces the set)", &[], true),
    Op("get", "/api/monitor", "monitor_stats", "Per-channel counts, rates and recent messages", &["recent"], false),
    Op("delete", "/api/monitor", "monitor_stop", "Stop monitoring", &[], false),
    Op("post", "/api/publish", "publish", "Publish a message", &[], true),
    Op("get", "/api/metrics", "metrics", "Sampled metrics history and alerts", &["range_s", "points"], false),
    Op("get", "/api/services", "services", "Library clients reporting telemetry: hit rates, breakers, limits, locks, lag, liveness", &[], false),
    Op("get", "/api/findings", "findings", "Hygiene findings: a sampled report, or a full run as a job", &["mode", "size_limit"], false),
    Op("get", "/api/findings/jobs/{id}", "findings_job", "A findings job's progress and report", &[], false),
    Op("delete", "/api/findings/jobs/{id}", "findings_job_cancel", "Stop a findings job (keeps what it found)", &[], false),
    Op("get", "/api/series", "series", "Newest points and stats of a ts: key, or bars of an ohlcv: key", &["key", "count"], false),
    Op("get", "/api/slowlog", "slowlog", "Slowlog entries of every master", &["count"], false),
    Op("delete", "/api/slowlog", "slowlog_reset", "Reset the slowlog (confirm=true)", &["confirm"], false),
    Op("get", "/api/clients", "clients", "CLIENT LIST, parsed", &[], false),
    Op("post", "/api/clients/kill", "client_kill", "Kill a client by id (confirm)", &[], true),
    Op("get", "/api/config", "config_get", "CONFIG GET (secrets hidden)", &["pattern"], false),
    Op("post", "/api/server", "server_action", "BGSAVE or BGREWRITEAOF", &[], true),
    Op("post", "/api/console", "console", "Run one command; typed reply", &[], true),
    Op("get", "/api/profiles", "profiles", "Saved connection profiles (never passwords)", &[], false),
    Op("put", "/api/profiles", "profile_save", "Save a profile (password to the keyring)", &[], true),
    Op("delete", "/api/profiles", "profile_delete", "Delete a profile", &["name"], false),
    Op("post", "/api/profiles/test", "profile_test", "Test a connection", &[], true),
    Op("post", "/api/connect", "connect", "Switch the active connection", &[], true),
    Op("get", "/api/openapi.json", "openapi", "This document", &[], false),
    Op("get", "/api/events", "events", "WebSocket of live events (token as ?token=)", &[], false),
    Op("get", "/metrics", "prometheus", "Prometheus text metrics", &[], false),
];

/// The whole OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for Op(method, path, id, summary, query, body) in OPS {
        let mut params: Vec<Value> = query
            .iter()
            .map(|q| json!({"name": q, "in": "query", "required": false, "schema": {"type": "string"}}))
            .collect();
        for seg in path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                params.push(json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}));
            }
        }
        let mut op = json!({
            "operationId": id,
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {}}}},
                "400": {"$ref": "#/components/responses/Error"},
                "401": {"$ref": "#/components/responses/Error"},
                "403": {"$ref": "#/components/responses/Error"},
                "404": {"$ref": "#/components/responses/Error"},
                "409": {"$ref": "#/components/responses/Error"},
                "422": {"$ref": "#/components/responses/Error"},
                "502": {"$ref": "#/components/responses/Error"},
                "504": {"$ref": "#/components/responses/Error"}
            }
        });
        if *body {
            op["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": {"type": "object"}}}
            });
        }
        let entry = paths
            .entry(path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Redscope admin API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The admin service of Redscope over HTTP; Tauri commands of the same names take the same JSON. See docs/API.md."
        },
        "security": [{"bearer": []}, {"token": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "token": {"type": "apiKey", "in": "query", "name": "token"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": ["invalid_input", "codec", "config", "unauthorized", "forbidden", "read_only", "not_found", "confirmation_required", "lock", "server", "connection", "auth", "circuit_open", "timeout"]},
                        "message": {"type": "string"}
                    }
                },
                "Bytes": {
                    "type": "object",
                    "required": ["text", "b64"],
                    "properties": {
                        "text": {"type": "string"},
                        "b64": {"type": "string", "contentEncoding": "base64"},
                        "binary": {"type": "boolean"}
                    }
                }
            },
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_route_has_a_unique_operation() {
        let doc = super::document();
        let paths = doc["paths"].as_object().unwrap();
        let ops: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
        assert_eq!(ops, super::OPS.len(), "a method+path is listed twice");
        assert_eq!(
            doc["paths"]["/api/jobs/{id}"]["get"]["parameters"][0]["in"],
            "path"
        );
    }
}
