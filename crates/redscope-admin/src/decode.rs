//! Decoders for string values shown in the key browser: the library's codec wire format
//! (`0xC1 'M'` + MessagePack, `0xC1 'Z'` + a zstd frame of JSON or MessagePack), plain JSON,
//! MessagePack, zstd and gzip frames, UTF-8 text, and a hex dump for everything else.

use std::io::Read;

use serde::Serialize;

/// Most bytes a compressed preview may expand to.
pub const MAX_DECOMPRESSED: usize = 8 << 20;
/// Most bytes of a hex dump.
const MAX_HEX: usize = 64 << 10;

/// What a string value looks like once decoded.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Decoded {
    /// `json`, `msgpack`, `codec-msgpack`, `codec-zstd`, `zstd`, `gzip`, `utf8` or `hex`; with
    /// "view as" also any other view name (`zlib`, `protobuf`, `pickle`, ...).
    pub format: String,
    /// The value as JSON, when it is structured data.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub json: Option<serde_json::Value>,
    /// Text form: the decompressed UTF-8 text, or the hex dump.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub text: Option<String>,
}

/// Decodes `raw`; `whole` says whether `raw` is the complete value (compressed and structured
/// formats are only decoded from complete values; a truncated preview gets `utf8` or `hex`).
pub fn decode(raw: &[u8], whole: bool) -> Decoded {
    if whole {
        if let Some(d) = structured(raw) {
            return d;
        }
    }
    match std::str::from_utf8(raw) {
        Ok(_) => Decoded {
            format: "utf8".into(),
            json: None,
            text: None,
        },
        // A cut in the middle of a multi-byte character is still text.
        Err(e) if !whole && e.error_len().is_none() => Decoded {
            format: "utf8".into(),
            json: None,
            text: None,
        },
        Err(_) => Decoded {
            format: "hex".into(),
            json: None,
            text: Some(hex(&raw[..raw.len().min(MAX_HEX)])),
        },
    }
}

fn structured(raw: &[u8]) -> Option<Decoded> {
    let json = |format: &str, v: serde_json::Value| Decoded {
        format: format.into(),
        json: Some(v),
        text: None,
    };
    match raw {
        [0xC1, b'M', body @ ..] => return msgpack(body).map(|v| json("codec-msgpack", v)),
        [0xC1, b'Z', body @ ..] => {
            let inner = bounded_read(zstd::stream::read::Decoder::new(body).ok()?)?;
            let v = match inner.as_slice() {
                [0xC1, b'M', body @ ..] => msgpack(body)?,
                plain => serde_json::from_slice(plain).ok()?,
            };
            return Some(json("codec-zstd", v));
        }
        [0x28, 0xB5, 0x2F, 0xFD, ..] => {
            let inner = bounded_read(zstd::stream::read::Decoder::new(raw).ok()?)?;
            return Some(inner_of("zstd", &inner));
        }
        [0x1F, 0x8B, ..] => {
            let inner = bounded_read(flate2::read::GzDecoder::new(raw))?;
            return Some(inner_of("gzip", &inner));
        }
        _ => {}
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(raw) {
        return Some(json("json", v));
    }
    // MessagePack only when the bytes are not text: "abc" would parse as fixints otherwise.
    if std::str::from_utf8(raw).is_err() {
        if let Some(v) = msgpack(raw) {
            return Some(json("msgpack", v));
        }
    }
    None
}

/// The decompressed payload: JSON when it parses, otherwise its text or hex.
fn inner_of(format: &str, inner: &[u8]) -> Decoded {
    let json = serde_json::from_slice(inner).ok();
    let text = if json.is_some() {
        None
    } else {
        Some(match std::str::from_utf8(inner) {
            Ok(s) => s.to_string(),
            Err(_) => hex(&inner[..inner.len().min(MAX_HEX)]),
        })
    };
    Decoded {
        format: format.into(),
        json,
        text,
    }
}

/// One MessagePack value that spans all of `raw`.
fn msgpack(raw: &[u8]) -> Option<serde_json::Value> {
    let mut cursor = std::io::Cursor::new(raw);
    let v: serde_json::Value = {
        let mut de = rmp_serde::Deserializer::new(&mut cursor);
        de.set_max_depth(redscope::codec::MAX_MSGPACK_DEPTH);
        serde::Deserialize::deserialize(&mut de).ok()?
    };
    (cursor.position() as usize == raw.len()).then_some(v)
}

/// Reads at most [`MAX_DECOMPRESSED`] bytes; `None` if the stream is corrupt or larger.
fn bounded_read(r: impl Read) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    r.take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() <= MAX_DECOMPRESSED).then_some(out)
}

/// Lowercase hex, bytes separated by spaces.
pub fn hex(raw: &[u8]) -> String {
    let mut s = String::with_capacity(raw.len() * 3);
    for (i, b) in raw.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deeply_nested_msgpack_shows_as_bytes_not_a_stack_overflow() {
        let mut hostile = vec![0xC1, b'M'];
        hostile.extend(std::iter::repeat_n(0x91u8, 100_000));
        hostile.push(0xC0);
        assert!(decode(&hostile, true).json.is_none());
    }

    #[test]
    fn decodes_every_supported_format() {
        let v = json!({"bid": 1.5, "sym": "BTC"});
        assert_eq!(
            decode(br#"{"bid":1.5,"sym":"BTC"}"#, true).json,
            Some(v.clone())
        );
        let mp = rmp_serde::to_vec_named(&v).unwrap();
        let d = decode(&mp, true);
        assert_eq!((d.format.as_str(), d.json), ("msgpack", Some(v.clone())));
        let mut codec = vec![0xC1, b'M'];
        codec.extend(&mp);
        assert_eq!(decode(&codec, true).format, "codec-msgpack");
        let mut z = vec![0xC1, b'Z'];
        z.extend(zstd::encode_all(&codec[..], 1).unwrap());
        let d = decode(&z, true);
        assert_eq!((d.format.as_str(), d.json), ("codec-zstd", Some(v.clone())));
        let plain_z = zstd::encode_all(&br#"{"a":1}"#[..], 1).unwrap();
        assert_eq!(decode(&plain_z, true).json, Some(json!({"a": 1})));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"hello").unwrap();
        let d = decode(&gz.finish().unwrap(), true);
        assert_eq!(
            (d.format.as_str(), d.text.as_deref()),
            ("gzip", Some("hello"))
        );
        assert_eq!(decode(b"just text", true).format, "utf8");
        let d = decode(&[0xff, 0x00], true);
        assert_eq!(
            (d.format.as_str(), d.text.as_deref()),
            ("hex", Some("ff 00"))
        );
        // A truncated preview is never decompressed or parsed.
        assert_eq!(decode(&plain_z, false).format, "hex");
        assert_eq!(decode(br#"{"a":"#, false).format, "utf8");
    }
}
