//! The bodies of the fuzz targets in `fuzz/`, shared with the corpus replay in
//! `tests/fuzz_corpus.rs` so a libFuzzer run and the normal test command exercise one code path.
//!
//! Every function takes arbitrary bytes, must never panic, and checks that what it produced is
//! bounded (a decoder may not turn a small input into an unbounded output). A violated bound is
//! reported by panicking, which both libFuzzer and the replay test treat as a finding.

use redscope::codec;
use redscope_admin::browser::{parse_cursor, scan_cursor, KeyQuery, KeysQuery};
use redscope_admin::bytes::key_arg;
use redscope_admin::jobs::{patterns_of, InvalidateRequest};

/// A fuzz target's body: arbitrary bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// The fuzz targets by name (each is a directory of `fuzz/corpus/` and a file of
/// `fuzz/fuzz_targets/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("codec_inspect", codec_inspect),
    ("admin_decode", admin_decode),
    ("info_parse", info_parse),
    ("console_args", console_args),
    ("api_query", api_query),
    ("tick_fields", tick_fields),
    ("event_body", event_body),
    ("resp_reader", resp_reader),
];

/// Largest decoded value the default codec may produce.
const DECODED_BOUND: usize = codec::DEFAULT_MAX_DECODED;

/// `codec::inspect` and `codec::decode_any`: compressed, MessagePack, JSON or anything else.
pub fn codec_inspect(data: &[u8]) {
    let inspected = codec::inspect(data);
    if let Ok(d) = &inspected {
        assert!(
            d.decoded_len <= DECODED_BOUND,
            "decoded {} bytes",
            d.decoded_len
        );
        let _ = d.label();
    }
    let any = codec::decode_any(data);
    assert_eq!(
        inspected
            .as_ref()
            .map(|d| d.json.is_some())
            .unwrap_or(false),
        any.is_ok(),
        "decode_any and inspect disagree"
    );
    if let Err(e) = any {
        assert!(e.to_string().len() < 4096, "error message unbounded");
    }
}

/// `admin::decode::decode` on a whole value and on a preview, and the hex dump.
pub fn admin_decode(data: &[u8]) {
    for whole in [true, false] {
        let d = redscope_admin::decode::decode(data, whole);
        assert!(!d.format.is_empty());
        if let Some(t) = &d.text {
            assert!(t.len() <= DECODED_BOUND.max(data.len() * 4 + 16));
        }
    }
    let shown = &data[..data.len().min(4096)];
    assert!(redscope_admin::decode::hex(shown).len() <= shown.len() * 4 + 16);
}

/// `health::Info::parse` and `health::Stats::from_info` on any text (lossy UTF-8).
pub fn info_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let info = redscope::health::Info::parse(&text);
    let stats = redscope::health::Stats::from_info(&info);
    let _ = stats.keys();
    if let Some(r) = stats.hit_rate() {
        assert!(r.is_nan() || (0.0..=1.0).contains(&r), "hit rate {r}");
    }
    let _ = stats.memory_ratio();
    let mut merged = stats.clone();
    merged.merge(&stats);
    let _ = redscope::health::alerts(&merged);
    for field in ["redis_version", "used_memory", "connected_clients", "db0"] {
        let _ = info.get(field);
        let _ = info.get_f64(field);
        let _ = info.get_u64(field);
    }
}

/// The console's argument handling: a JSON `ConsoleRequest` (or NUL-separated raw arguments),
/// screened as the console does, then packed as the command Redis would receive.
pub fn console_args(data: &[u8]) {
    let args: Vec<String> =
        match serde_json::from_slice::<redscope_admin::console::ConsoleRequest>(data) {
            Ok(req) => req.args,
            Err(_) => data
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
        };
    match redscope_admin::console::screen(&args) {
        Ok(s) => {
            assert!(!s.name.is_empty() || args[0].is_empty());
            let mut cmd = redis::cmd(&s.first);
            for a in &args[1..] {
                cmd.arg(a);
            }
            let packed = cmd.get_packed_command();
            let raw: usize = args.iter().map(String::len).sum();
            assert!(
                packed.len() <= raw + 32 * (args.len() + 1),
                "packed too big"
            );
        }
        Err(e) => assert!(e.to_string().len() <= 256 + data.len() * 2),
    }
}

/// The API's query parsing: the bytes as a query string into the `keys` and `key` requests
/// (key/key_b64, cursors, counts), and as an `invalidate` JSON body (pattern or preset).
pub fn api_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // One buffer for the whole input: a String per character made the 10 MiB input take
    // seconds in a debug build on a loaded machine.
    let mut encoded = String::with_capacity(text.len() * 3);
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        match c {
            ' ' => encoded.push_str("%20"),
            c if c.is_ascii_graphic() && c != '#' => encoded.push(c),
            c => encoded.extend(url::form_urlencoded::byte_serialize(
                c.encode_utf8(&mut utf8).as_bytes(),
            )),
        }
    }
    if let Ok(uri) = format!("/api/key?{encoded}").parse::<axum::http::Uri>() {
        if let Ok(q) = axum::extract::Query::<KeyQuery>::try_from_uri(&uri) {
            if let Ok(key) = key_arg(q.key.as_deref(), q.key_b64.as_deref(), "key") {
                assert!(key.len() <= text.len());
            }
            let _ = scan_cursor(q.cursor.as_deref());
        }
        if let Ok(q) = axum::extract::Query::<KeysQuery>::try_from_uri(&uri) {
            let _ = parse_cursor(q.cursor.as_deref());
            if let Some(t) = q.key_type.as_deref() {
                let _ = redscope_admin::browser::check_type_name(t);
            }
        }
    }
    if let Ok(req) = serde_json::from_slice::<InvalidateRequest>(data) {
        if let Ok(patterns) = patterns_of(req.pattern.as_deref(), req.preset.as_ref()) {
            let total: usize = patterns.iter().map(String::len).sum();
            assert!(total <= data.len() * 4 + 64, "patterns grew unbounded");
        }
    }
}

/// Market tick decoding from a stream entry's fields: the bytes are split on NUL into
/// alternating field names and values.
pub fn tick_fields(data: &[u8]) {
    let parts: Vec<&[u8]> = data.split(|b| *b == 0).collect();
    let fields: Vec<(Vec<u8>, Vec<u8>)> = parts
        .chunks(2)
        .map(|c| {
            (
                c[0].to_vec(),
                c.get(1).map(|v| v.to_vec()).unwrap_or_default(),
            )
        })
        .collect();
    if let Ok(tick) = redscope::stream::MarketTick::from_fields(&fields, 1_700_000_000_000) {
        let back = tick.to_fields();
        assert!(back.len() <= fields.len() + 8);
    }
    let _ = redscope::stream::StreamId::parse(&String::from_utf8_lossy(data));
}

/// Pub/sub message bodies: `events::Body::decode` (envelope, flat event or other JSON).
pub fn event_body(data: &[u8]) {
    let body = redscope::events::Body::decode(data);
    let shown = format!("{body:?}");
    assert!(
        shown.len() <= data.len() * 8 + 4096,
        "debug output unbounded"
    );
}

/// The RESP reader (`redscope_admin::resp`) under its default limits and under tiny ones: the
/// frames of the bytes read whole and fed through a [`RespBuf`](redscope_admin::resp::RespBuf) in
/// small pieces are the same; `frame_len` and `parse` agree; no frame passes a limit.
pub fn resp_reader(data: &[u8]) {
    use redscope_admin::resp::{self, Frame, Limits, RespBuf};

    /// Checks a parsed frame against the limits; returns its bytes of content.
    fn check(frame: Frame<'_>, limits: &Limits, depth: usize) -> usize {
        match frame {
            Frame::Bulk(b) => {
                assert!(b.len() <= limits.max_bulk, "bulk of {}", b.len());
                b.len()
            }
            Frame::Simple(s) | Frame::Error(s) => {
                assert!(s.len() <= limits.max_line, "line of {}", s.len());
                s.len()
            }
            Frame::Int(_) | Frame::Nil => 0,
            Frame::Array(items) => {
                assert!(depth <= limits.max_depth, "nested {depth} deep");
                assert!(items.len() <= limits.max_array, "array of {}", items.len());
                assert_eq!(items.iter().count(), items.len(), "array length");
                items.iter().map(|f| check(f, limits, depth + 1)).sum()
            }
        }
    }

    let tiny = Limits {
        max_bulk: 64,
        max_array: 8,
        max_depth: 4,
        max_line: 64,
        max_frame: 512,
    };
    for limits in [Limits::DEFAULT, tiny] {
        let mut whole = 0usize;
        let mut at = 0usize;
        while at < data.len() {
            let counted = resp::frame_len(&data[at..], &limits);
            match resp::parse(&data[at..], &limits) {
                Ok(Some((frame, used))) => {
                    assert_eq!(counted, Ok(Some(used)), "frame_len and parse disagree");
                    assert!(used > 0 && used <= limits.max_frame, "frame of {used}");
                    assert!(
                        check(frame, &limits, 1) <= used,
                        "content larger than its frame"
                    );
                    at += used;
                    whole += 1;
                }
                Ok(None) => {
                    assert_eq!(counted, Ok(None), "frame_len and parse disagree");
                    break;
                }
                Err(e) => {
                    assert!(counted.is_err(), "frame_len accepted what parse refused");
                    assert!(e.to_string().len() < 256, "error message unbounded");
                    break;
                }
            }
        }
        // The same bytes as a socket delivers them: small reads for small inputs.
        let piece = (data.len() / 64).max(7);
        let mut buf = RespBuf::new(64, limits);
        let mut pieces = 0usize;
        let mut rest = data;
        'feed: while !rest.is_empty() {
            let Ok(room) = buf.spare() else {
                break;
            };
            let n = room.len().min(rest.len()).min(piece);
            room[..n].copy_from_slice(&rest[..n]);
            buf.filled(n);
            rest = &rest[n..];
            loop {
                match buf.next_frame() {
                    Ok(Some((_, used))) => {
                        buf.consume(used);
                        pieces += 1;
                    }
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            assert!(
                buf.unread().len() <= limits.max_frame,
                "buffer outgrew its limit"
            );
        }
        assert_eq!(whole, pieces, "whole and piecewise reads disagree");
    }
}
