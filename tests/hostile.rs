//! Hostile input on every route of the OpenAPI document (so a new route is covered the day it is
//! listed): malformed, oversized, binary and hostile query values, path segments and JSON bodies.
//! Every answer must be a clear 4xx JSON `{code, message}` or a 2xx where the input is valid;
//! never a 5xx, never slower than the per-request timeout; and the server is healthy afterwards.
//! The counts (routes × inputs) are printed (`--nocapture`).

mod api;

use std::collections::BTreeMap;
use std::time::Duration;

use api::{b64, enc, TOKEN};
use futures::StreamExt;
use redscope_testing::RedisServer;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// No request may take longer than this.
const PER_REQUEST: Duration = Duration::from_secs(15);

/// Query values tried on every listed query parameter (already URL-encoded).
fn query_values() -> Vec<(&'static str, String)> {
    vec![
        ("glob", enc("*?[a-z]\\*{x}^!")),
        ("crlf", enc("a\r\nFLUSHALL\r\n")),
        ("nul", "%00".into()),
        ("invalid_utf8", "%FF%FE%C3%28".into()),
        ("invalid_base64", enc("%%not*base64!!")),
        ("b64_of_invalid_utf8", enc(&b64(b"\xff\xfe\x00bin"))),
        ("negative", "-1".into()),
        ("huge_number", "99999999999999999999999999".into()),
        ("float", "1e309".into()),
        ("empty", String::new()),
        ("module_type", "ReJSON-RL".into()),
        ("unknown_type", "nope".into()),
        ("long_16k", "k".repeat(16 << 10)),
    ]
}

/// Values put into JSON bodies, field by field.
fn body_values() -> Vec<(&'static str, Value)> {
    vec![
        ("number", json!(5)),
        ("negative", json!(-1)),
        ("huge", json!(1e308)),
        (
            "u64_overflow",
            serde_json::from_str("18446744073709551616").unwrap(),
        ),
        ("bool", json!(true)),
        ("null", Value::Null),
        ("array", json!([])),
        ("object", json!({})),
        ("glob", json!("*?[a-z]\\*")),
        ("crlf", json!("a\r\nFLUSHALL\r\n")),
        ("nul", json!("\u{0}")),
        ("invalid_base64", json!("%%%not base64")),
        ("module_type", json!("unsupported")),
        ("unknown_type", json!("nope")),
        ("long_64k", json!("v".repeat(64 << 10))),
    ]
}

/// A plausible body for any route: each field is one some route reads; fields a route does not
/// know are ignored. One field at a time is replaced by a hostile value.
fn base_body() -> Value {
    json!({
        "key": "hostile:k", "type": "string", "value": "v", "args": ["PING"],
        "channel": "hostile", "message": "m", "name": "hostile-profile",
        "url": "redis://127.0.0.1:1/0", "action": "nope", "id": -1, "pattern": "hostile:*",
        "dry_run": true, "channels": ["hostile"], "keys_b64": [b64(b"hostile:k")],
        "ttl_ms": 60000, "new_key": "hostile:k2", "profile": "no-such-profile", "from": "$"
    })
}

/// Raw (non-JSON-object) bodies sent as `application/json`.
fn raw_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", Vec::new()),
        ("not_json", b"not json".to_vec()),
        ("binary", vec![0xff, 0xfe, 0x00, 0xc1, 0x4d]),
        ("array", b"[]".to_vec()),
        ("null", b"null".to_vec()),
        ("empty_object", b"{}".to_vec()),
        ("scalar", b"1".to_vec()),
        ("truncated", b"{\"key\": \"a".to_vec()),
        ("deep", [vec![b'['; 100_000], vec![b']'; 100_000]].concat()),
        ("lone_surrogate", b"{\"key\": \"\\ud800\"}".to_vec()),
    ]
}

struct Tally {
    per_route: BTreeMap<String, usize>,
    by_status: BTreeMap<u16, usize>,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, route: &str, input: &str, res: Result<(u16, Vec<u8>), String>) {
        *self.per_route.entry(route.to_string()).or_default() += 1;
        let (status, body) = match res {
            Ok(r) => r,
            Err(e) => {
                let e: String = e.chars().take(200).collect();
                self.failures.push(format!("{route} [{input}]: {e}"));
                return;
            }
        };
        *self.by_status.entry(status).or_default() += 1;
        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        if status >= 500 {
            self.failures
                .push(format!("{route} [{input}]: {status} {text}"));
        } else if (400..500).contains(&status) {
            let parsed: Option<Value> = serde_json::from_slice(&body).ok();
            let clear = parsed.as_ref().is_some_and(|v| {
                v["code"].as_str().is_some_and(|c| !c.is_empty())
                    && v["message"].as_str().is_some_and(|m| !m.is_empty())
            });
            if !clear {
                self.failures.push(format!(
                    "{route} [{input}]: {status} without {{code, message}}: {text}"
                ));
            }
        }
    }
}

async fn send(
    http: &reqwest::Client,
    method: &str,
    url: String,
    body: Option<Vec<u8>>,
) -> Result<(u16, Vec<u8>), String> {
    let url_shown: String = url.chars().take(120).collect();
    let mut req = http
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
        .bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let fut = async {
        let res = req.send().await.map_err(|e| format!("transport: {e}"))?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(|e| format!("body: {e}"))?;
        Ok((status, bytes.to_vec()))
    };
    let started = std::time::Instant::now();
    match tokio::time::timeout(PER_REQUEST, fut).await {
        Ok(r) => {
            if started.elapsed() > Duration::from_millis(500) {
                eprintln!("slow ({:?}): {method} {}", started.elapsed(), url_shown);
            }
            r
        }
        Err(_) => Err(format!("no answer within {PER_REQUEST:?}")),
    }
}

/// One request over a raw socket: the body is written by a separate task while the answer is
/// read, so an early refusal (the server answers, then closes) is seen instead of a write error.
async fn raw_send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(&body).await;
    });
    let mut buf = Vec::new();
    let read = tokio::time::timeout(PER_REQUEST, rd.read_to_end(&mut buf)).await;
    writer.abort();
    if read.is_err() {
        return Err(format!("no answer within {PER_REQUEST:?}"));
    }
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no HTTP answer ({} bytes)", buf.len()))?;
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let mut body = buf[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, body))
}

/// Joins the chunks of a chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || raw.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[(eol + 4 + size).min(raw.len())..];
    }
    out
}

/// The path with its `{param}` segments replaced by `value`.
fn fill(path: &str, value: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { value } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_refuses_hostile_input_clearly_and_stays_healthy() {
    let config_dir = tempfile::tempdir().unwrap();
    std::env::set_var("REDSCOPE_CONFIG_DIR", config_dir.path());
    std::env::set_var("REDSCOPE_SECRET_STORE", "file");
    let redis = RedisServer::start().unwrap();
    let api = api::Api::start(redis.config(), false).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", api.addr);

    let (status, doc) = api.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().expect("paths").clone();
    let mut t = Tally {
        per_route: BTreeMap::new(),
        by_status: BTreeMap::new(),
        failures: Vec::new(),
    };
    let mut routes = 0;
    type Job = (String, String, String, String, Option<Vec<u8>>);
    let mut jobs: Vec<Job> = Vec::new();
    for (path, ops) in &paths {
        for (method, op) in ops.as_object().unwrap() {
            if path == "/api/events" {
                continue; // the WebSocket route: tests/security.rs
            }
            routes += 1;
            let m = method.to_uppercase();
            let route = format!("{m} {path}");
            let params: Vec<(String, String)> = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["in"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let has_body = op.get("requestBody").is_some();
            let plain = fill(path, "no-such-id");
            let body_of = |v: &Value| has_body.then(|| serde_json::to_vec(v).unwrap());

            // Path segments.
            if path.contains('{') {
                for (label, v) in [
                    ("traversal", "..%2F..%2Fetc%2Fpasswd".to_string()),
                    ("invalid_utf8", "%FF%FE".into()),
                    ("nul", "%00".into()),
                    ("crlf", "a%0D%0Ab".into()),
                    ("glob", enc("*?[")),
                    ("long_8k", "i".repeat(8 << 10)),
                ] {
                    jobs.push((
                        route.clone(),
                        format!("path {label}"),
                        m.clone(),
                        format!("{base}{}", fill(path, &v)),
                        body_of(&base_body()),
                    ));
                }
            }
            // Query values, one parameter at a time.
            for (name, _) in params.iter().filter(|(_, loc)| loc == "query") {
                for (label, v) in query_values() {
                    let url = format!("{base}{plain}?{name}={v}");
                    jobs.push((
                        route.clone(),
                        format!("{name}={label}"),
                        m.clone(),
                        url,
                        body_of(&base_body()),
                    ));
                }
            }
            // Query oddities on every route.
            for (label, q) in [
                ("duplicate", "count=1&count=2&key=a&key=b".to_string()),
                ("unknown_param", "zzz=1".into()),
                ("bare_ampersands", "&&&=&=".into()),
            ] {
                jobs.push((
                    route.clone(),
                    format!("query {label}"),
                    m.clone(),
                    format!("{base}{plain}?{q}"),
                    body_of(&base_body()),
                ));
            }
            if !has_body {
                continue;
            }
            // Raw bodies.
            for (label, raw) in raw_bodies() {
                jobs.push((
                    route.clone(),
                    format!("body {label}"),
                    m.clone(),
                    format!("{base}{plain}"),
                    Some(raw),
                ));
            }
            // Wrong content type.
            let res = async {
                let r = http
                    .request(
                        reqwest::Method::from_bytes(m.as_bytes()).unwrap(),
                        format!("{base}{plain}"),
                    )
                    .bearer_auth(TOKEN)
                    .header("content-type", "text/plain")
                    .body(serde_json::to_vec(&base_body()).unwrap())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let s = r.status().as_u16();
                Ok::<_, String>((s, r.bytes().await.map_err(|e| e.to_string())?.to_vec()))
            }
            .await;
            t.check(&route, "body text/plain", res);
            // Every field hostile at once, then one field at a time.
            let fields: Vec<String> = base_body().as_object().unwrap().keys().cloned().collect();
            for (label, hv) in body_values() {
                let all: serde_json::Map<String, Value> =
                    fields.iter().map(|f| (f.clone(), hv.clone())).collect();
                jobs.push((
                    route.clone(),
                    format!("all fields {label}"),
                    m.clone(),
                    format!("{base}{plain}"),
                    body_of(&Value::Object(all)),
                ));
                for f in [
                    "key", "type", "value", "args", "pattern", "name", "url", "id", "channels",
                    "keys_b64", "ttl_ms", "preset", "key_b64", "action",
                ] {
                    let mut b = base_body();
                    b[f] = hv.clone();
                    jobs.push((
                        route.clone(),
                        format!("{f}={label}"),
                        m.clone(),
                        format!("{base}{plain}"),
                        body_of(&b),
                    ));
                }
            }
        }
    }

    // Eight requests at a time (the answers are checked one by one).
    let answers: Vec<_> = futures::stream::iter(jobs)
        .map(|(route, label, m, url, body)| {
            let http = http.clone();
            async move { (route, label, send(&http, &m, url, body).await) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (route, label, res) in answers {
        t.check(&route, &label, res);
    }

    // Oversized: a 10 MiB key through the body routes that take keys. The server may refuse
    // before reading the whole body (then it closes the connection), so these go over a raw
    // socket that reads the answer while the body is still being written.
    let ten_mib = "K".repeat(10 << 20);
    for (m, p, body) in [
        (
            "PUT",
            "/api/key",
            json!({"key": ten_mib, "type": "string", "value": "v"}),
        ),
        (
            "POST",
            "/api/keys/meta",
            json!({"keys_b64": [b64(ten_mib.as_bytes())]}),
        ),
        (
            "POST",
            "/api/key/ttl",
            json!({"key_b64": b64(ten_mib.as_bytes()), "ttl_ms": 1000}),
        ),
        (
            "POST",
            "/api/key/rename",
            json!({"key": ten_mib, "new_key": "x"}),
        ),
        ("POST", "/api/console", json!({"args": ["GET", ten_mib]})),
        (
            "POST",
            "/api/publish",
            json!({"channel": ten_mib, "message": "m"}),
        ),
    ] {
        let res = raw_send(api.addr, m, p, serde_json::to_vec(&body).unwrap()).await;
        t.check(&format!("{m} {p}"), "10 MiB key", res);
    }

    let total: usize = t.per_route.values().sum();
    println!("hostile inputs: {routes} routes, {total} requests");
    for (route, n) in &t.per_route {
        println!("  {route}: {n}");
    }
    println!("by status: {:?}", t.by_status);
    assert!(routes >= 35, "only {routes} routes in the OpenAPI document");
    assert!(
        t.failures.is_empty(),
        "{} of {total} answers were not clear:\n{}",
        t.failures.len(),
        t.failures
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Still healthy, still serving.
    let (status, health) = api.get("/api/health").await;
    assert_eq!(
        (status, health["state"].as_str()),
        (200, Some("connected")),
        "{health}"
    );
    let (status, _) = api.get("/api/keys?count=10").await;
    assert_eq!(status, 200);
}

/// Malformed HTTP on the raw socket: CR/LF smuggled into a header, bare LF, a header of 1 MiB,
/// a request line of garbage. The server answers (or closes) quickly and keeps serving.
#[tokio::test]
async fn malformed_http_is_refused_and_the_server_keeps_serving() {
    let redis = RedisServer::start().unwrap();
    let api = api::Api::start(redis.config(), false).await;
    let requests: Vec<(&str, Vec<u8>)> = vec![
        ("crlf in header value", format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nX-Key: a\rb\r\n\r\n").into_bytes()),
        ("bare lf", format!("GET /api/health HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {TOKEN}\n\n").into_bytes()),
        ("1 MiB header", format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n", "b".repeat(1 << 20)).into_bytes()),
        ("garbage request line", b"\xff\xfe GARBAGE\r\n\r\n".to_vec()),
        ("header injection in token", format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n Host: evil.example\r\n\r\n").into_bytes()),
    ];
    let mut answered = 0;
    for (label, raw) in &requests {
        let mut s = tokio::net::TcpStream::connect(api.addr).await.unwrap();
        let _ = s.write_all(raw).await;
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), async {
            let mut chunk = [0u8; 4096];
            loop {
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        buf.extend_from_slice(&chunk[..n]);
                        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                }
            }
        })
        .await;
        assert!(read.is_ok(), "{label}: no answer and no close within 5 s");
        let head = String::from_utf8_lossy(&buf);
        assert!(!head.starts_with("HTTP/1.1 5"), "{label}: {head}");
        assert!(
            !head.starts_with("HTTP/1.1 200"),
            "{label} was accepted: {head}"
        );
        answered += 1;
    }
    println!("malformed HTTP requests: {answered}");
    let (status, health) = api.get("/api/health").await;
    assert_eq!((status, health["state"].as_str()), (200, Some("connected")));
}
