//! Value encoding for the cache. By default a value is written exactly as Python's
//! `json.dumps` writes it ([`pyjson`]): `", "`/`": "` separators, `NaN`/`Infinity` tokens,
//! integers of any width, and a top-level string raw, without quotes (what
//! `client.set("key", "value")` stores), so redis-py services read every value with
//! `json.loads` or as the plain string. Compression and MessagePack are opt-in per cache.
//!
//! # Wire format (the admin value viewer relies on it; keep it exactly)
//!
//! - [`Format::Json`] (default): Python JSON with no prefix; a top-level string is raw UTF-8.
//! - [`Format::Auto`] (opt-in): Python JSON, or MessagePack for values JSON cannot carry
//!   (map keys that are not strings, numbers, booleans or null).
//! - [`Format::MessagePack`] (opt-in): `0xC1 b'M'` followed by the msgpack bytes (structs as
//!   maps).
//! - Compression (opt-in, [`Codec::with_compress_threshold`]): `0xC1 b'Z'` followed by one
//!   zstd frame whose content is again one of these formats, for values above the threshold.
//!
//! `0xC1` can start neither valid UTF-8 nor valid MessagePack, so the marker is unambiguous.
//! Reads accept all of these whatever the cache writes, plus what other writers produce: plain
//! (non-JSON) UTF-8 strings, bare zstd frames (magic `28 B5 2F FD`), gzip (`1F 8B`, Python's
//! `gzip.compress`), and Python's `NaN`/`Infinity`/`-Infinity` tokens (read as those floats).
//! Decompression is bounded ([`Codec::max_decoded`]): a hostile or corrupt value never
//! allocates without limit.

use std::io::Read;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub mod pyjson;

/// First byte of every marked value; invalid as the start of UTF-8 and of MessagePack.
pub const MARKER: u8 = 0xC1;
/// Second byte of a MessagePack value.
pub const TAG_MSGPACK: u8 = b'M';
/// Second byte of a zstd-compressed value.
pub const TAG_ZSTD: u8 = b'Z';
/// Magic number that starts a bare zstd frame.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Magic number that starts a gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];

/// A sensible threshold for [`Codec::with_compress_threshold`] (bytes); off by default.
pub const DEFAULT_COMPRESS_THRESHOLD: usize = 1024;
/// Default upper bound on the size of a decompressed value (bytes).
pub const DEFAULT_MAX_DECODED: usize = 256 * 1024 * 1024;
/// How many compression layers a read unwraps before refusing the value.
const MAX_LAYERS: usize = 2;

/// Which serialisation [`Codec::encode`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// JSON exactly as Python's `json.dumps` writes it (a top-level string raw); values JSON
    /// cannot carry are refused with a [`Error::Codec`].
    #[default]
    Json,
    /// [`Format::Json`], or marked MessagePack for values JSON cannot carry (maps whose keys
    /// are not strings, numbers, booleans or null). Opt-in: Python reads those only with the
    /// marker known.
    Auto,
    /// Always marked MessagePack: smaller and faster, but only readable with the marker known.
    MessagePack,
}

/// Encodes and decodes cache values; cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    format: Format,
    compress_threshold: Option<usize>,
    level: i32,
    max_decoded: usize,
}

impl Default for Codec {
    fn default() -> Self {
        Codec {
            format: Format::Json,
            compress_threshold: None,
            level: 3,
            max_decoded: DEFAULT_MAX_DECODED,
        }
    }
}

impl Codec {
    /// Python-compatible JSON, no compression.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same codec writing `format`.
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Compress encoded values longer than `bytes` with marked zstd (`None`, the default, turns
    /// compression off). Opt-in: Python readers must strip the `0xC1 'Z'` marker and unzstd.
    pub fn with_compress_threshold(mut self, bytes: Option<usize>) -> Self {
        self.compress_threshold = bytes;
        self
    }

    /// The zstd compression level (1 fastest … 19 smallest; default 3).
    pub fn with_level(mut self, level: i32) -> Self {
        self.level = level;
        self
    }

    /// Refuse values that decompress to more than `bytes`.
    pub fn with_max_decoded(mut self, bytes: usize) -> Self {
        self.max_decoded = bytes;
        self
    }

    /// The format written by [`Codec::encode`].
    pub fn format(&self) -> Format {
        self.format
    }

    /// The size above which values are compressed, if compression is on.
    pub fn compress_threshold(&self) -> Option<usize> {
        self.compress_threshold
    }

    /// The largest decompressed size a read accepts.
    pub fn max_decoded(&self) -> usize {
        self.max_decoded
    }

    /// Serialises `value` in this codec's format, compressing it when compression is on and
    /// the value is large.
    pub fn encode<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>> {
        let plain = match self.format {
            Format::Json => pyjson::to_vec(value)
                .map_err(|e| Error::Codec(format!("value cannot be JSON: {e}")))?,
            Format::MessagePack => msgpack(value)?,
            Format::Auto => match pyjson::to_vec(value) {
                Ok(json) => json,
                Err(_) => msgpack(value)?,
            },
        };
        self.maybe_compress(plain)
    }

    /// Wraps already-encoded bytes in the compression marker when they exceed the threshold and
    /// compression actually saves space; otherwise returns them unchanged.
    pub fn maybe_compress(&self, plain: Vec<u8>) -> Result<Vec<u8>> {
        match self.compress_threshold {
            Some(limit) if plain.len() > limit => {
                let frame = zstd::bulk::compress(&plain, self.level)
                    .map_err(|e| Error::Codec(format!("zstd compression failed: {e}")))?;
                if frame.len() + 2 < plain.len() {
                    let mut out = Vec::with_capacity(frame.len() + 2);
                    out.extend_from_slice(&[MARKER, TAG_ZSTD]);
                    out.extend_from_slice(&frame);
                    Ok(out)
                } else {
                    Ok(plain)
                }
            }
            _ => Ok(plain),
        }
    }

    /// Decodes any supported format into `T`. A UTF-8 value that is not JSON is read as a JSON
    /// string, so `SET k hello` written by another language decodes as `String`.
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T> {
        // Uncompressed values (the common case) are decoded in place, without a copy.
        if detect_compression(bytes).is_none() {
            return decode_payload(bytes);
        }
        let (payload, _) = self.unwrap_compression(bytes)?;
        decode_payload(&payload)
    }

    /// Removes compression layers (marked zstd, bare zstd, gzip); returns the payload and the
    /// outermost compression found.
    pub fn unwrap_compression(&self, bytes: &[u8]) -> Result<(Vec<u8>, Option<Compression>)> {
        let mut current = bytes.to_vec();
        let mut outer = None;
        for _ in 0..=MAX_LAYERS {
            let (next, found) = match detect_compression(&current) {
                Some(Compression::Zstd) => {
                    let body = if current.first() == Some(&MARKER) {
                        &current[2..]
                    } else {
                        &current[..]
                    };
                    (
                        bounded_read(
                            zstd::stream::read::Decoder::new(body)
                                .map_err(|e| Error::Codec(format!("zstd decoder: {e}")))?,
                            self.max_decoded,
                        )?,
                        Compression::Zstd,
                    )
                }
                Some(Compression::Gzip) => (
                    bounded_read(flate2::read::GzDecoder::new(&current[..]), self.max_decoded)?,
                    Compression::Gzip,
                ),
                None => return Ok((current, outer)),
            };
            outer.get_or_insert(found);
            current = next;
        }
        Err(Error::Codec(format!(
            "value is compressed more than {MAX_LAYERS} times; refusing to unwrap it"
        )))
    }
}

/// A compression layer found on a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// zstd, marked (`0xC1 'Z'`) or a bare frame.
    Zstd,
    /// gzip (`1F 8B`), as written by Python's `gzip.compress`.
    Gzip,
}

/// The serialisation of a (decompressed) payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadFormat {
    /// Valid JSON text.
    Json,
    /// Marked MessagePack.
    Msgpack,
    /// UTF-8 text that is not JSON.
    Text,
    /// Bytes in none of the known formats.
    Binary,
}

/// What a stored value is, for the admin value viewer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decoded {
    /// The payload's format after decompression.
    pub format: PayloadFormat,
    /// The outermost compression layer, if any.
    pub compression: Option<Compression>,
    /// Size of the payload after decompression, in bytes.
    pub decoded_len: usize,
    /// The value as JSON (`None` for [`PayloadFormat::Binary`]).
    pub json: Option<serde_json::Value>,
}

impl Decoded {
    /// The label the admin API shows: the compression when there is one, else the format.
    pub fn label(&self) -> &'static str {
        match (self.compression, self.format) {
            (Some(Compression::Zstd), _) => "zstd",
            (Some(Compression::Gzip), _) => "gzip",
            (None, PayloadFormat::Json) => "json",
            (None, PayloadFormat::Msgpack) => "msgpack",
            (None, PayloadFormat::Text) => "text",
            (None, PayloadFormat::Binary) => "binary",
        }
    }
}

/// Describes and decodes any stored value (bounded by the default codec's limits); never fails
/// on unknown bytes, which come back as [`PayloadFormat::Binary`].
pub fn inspect(bytes: &[u8]) -> Result<Decoded> {
    let (payload, compression) = Codec::default().unwrap_compression(bytes)?;
    let (format, json) = if is_msgpack(&payload) {
        match msgpack_from_slice::<serde_json::Value>(&payload[2..]) {
            Ok(v) => (PayloadFormat::Msgpack, Some(v)),
            Err(_) => (PayloadFormat::Binary, None),
        }
    } else if let Some(v) = serde_json::from_slice::<serde_json::Value>(&payload)
        .ok()
        .or_else(|| pyjson::parse(&payload).ok().map(pyjson::PyValue::into_json))
    {
        (PayloadFormat::Json, Some(v))
    } else if let Ok(text) = std::str::from_utf8(&payload) {
        (
            PayloadFormat::Text,
            Some(serde_json::Value::String(text.to_string())),
        )
    } else {
        (PayloadFormat::Binary, None)
    };
    Ok(Decoded {
        format,
        compression,
        decoded_len: payload.len(),
        json,
    })
}

/// Decodes any supported value into JSON; bytes in no known format are a [`Error::Codec`].
pub fn decode_any(bytes: &[u8]) -> Result<serde_json::Value> {
    let d = inspect(bytes)?;
    d.json.ok_or_else(|| {
        Error::Codec(format!(
            "value of {} bytes is in no known format (JSON, MessagePack, zstd, gzip, UTF-8)",
            bytes.len()
        ))
    })
}

/// The compression layer `bytes` starts with, if any.
pub fn detect_compression(bytes: &[u8]) -> Option<Compression> {
    if bytes.starts_with(&[MARKER, TAG_ZSTD]) || bytes.starts_with(&ZSTD_MAGIC) {
        Some(Compression::Zstd)
    } else if bytes.starts_with(&GZIP_MAGIC) {
        Some(Compression::Gzip)
    } else {
        None
    }
}

fn is_msgpack(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == MARKER && bytes[1] == TAG_MSGPACK
}

fn msgpack<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![MARKER, TAG_MSGPACK];
    rmp_serde::encode::write_named(&mut out, value)
        .map_err(|e| Error::Codec(format!("MessagePack encoding failed: {e}")))?;
    Ok(out)
}

/// Deepest MessagePack nesting decoded (serde_json's own limit): deeper values, which only a
/// hostile or corrupt writer produces, are refused instead of overflowing the stack.
pub const MAX_MSGPACK_DEPTH: usize = 128;

/// `rmp_serde::from_slice` with the nesting limited to [`MAX_MSGPACK_DEPTH`].
pub(crate) fn msgpack_from_slice<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
) -> std::result::Result<T, rmp_serde::decode::Error> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_MSGPACK_DEPTH);
    T::deserialize(&mut de)
}

fn decode_payload<T: DeserializeOwned>(payload: &[u8]) -> Result<T> {
    if is_msgpack(payload) {
        return msgpack_from_slice(&payload[2..])
            .map_err(|e| Error::Codec(format!("MessagePack decoding failed: {e}")));
    }
    // JSON is UTF-8: checked once over the whole value, so the parser does not check every
    // string and key again (that was a tenth of a typed `get_many` in the profile).
    let Ok(text) = std::str::from_utf8(payload) else {
        // Raw bytes inside a JSON string still suit a type reading bytes (`serde_bytes`).
        return serde_json::from_slice::<T>(payload).map_err(|_| {
            Error::Codec(format!(
                "value of {} bytes is neither JSON, MessagePack nor compressed",
                payload.len()
            ))
        });
    };
    // Fast path: plain JSON (what every writer stores unless it has NaN/Infinity).
    let json_err = match serde_json::from_str::<T>(text) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    // What json.dumps writes beyond JSON: NaN / Infinity / -Infinity tokens.
    if has_python_tokens(payload) {
        if let Ok(v) = pyjson::from_slice::<T>(payload) {
            return Ok(v);
        }
    }
    // Raw text (`SET k hello`, or our own raw strings) for types that take a string; a JSON
    // value of another shape keeps its JSON error.
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
        Error::Codec(format!(
            "value is neither JSON of the requested type nor text it accepts: {json_err}"
        ))
    })
}

/// True when `json` may hold Python's `NaN`/`Infinity` tokens (a cheap pre-check).
fn has_python_tokens(json: &[u8]) -> bool {
    json.windows(3).any(|w| w == b"NaN") || json.windows(8).any(|w| w == b"Infinity")
}

fn bounded_read(reader: impl Read, limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Codec(format!("decompression failed: {e}")))?;
    if out.len() > limit {
        return Err(Error::Codec(format!(
            "value decompresses to more than {limit} bytes; refusing it"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use super::*;

    #[test]
    fn deeply_nested_msgpack_is_refused_not_a_stack_overflow() {
        let mut hostile = vec![MARKER, TAG_MSGPACK];
        hostile.extend(std::iter::repeat_n(0x91u8, 100_000));
        hostile.push(0xC0);
        let d = inspect(&hostile).expect("inspect never fails on content");
        assert_eq!(d.format, PayloadFormat::Binary);
        assert!(decode_any(&hostile).is_err());
        assert!(Codec::default()
            .decode::<serde_json::Value>(&hostile)
            .is_err());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Ticker {
        symbol: String,
        price: f64,
    }

    #[test]
    fn plain_data_is_what_json_dumps_writes() {
        let t = Ticker {
            symbol: "BTC-USDT".into(),
            price: 45000.5,
        };
        let bytes = Codec::new().encode(&t).unwrap();
        assert_eq!(bytes, br#"{"symbol": "BTC-USDT", "price": 45000.5}"#);
        assert_eq!(Codec::new().decode::<Ticker>(&bytes).unwrap(), t);
        // json.dumps({1: [1.0, 1e-05, 2**70], True: None})
        let m = std::collections::BTreeMap::from([(1u8, (1.0f64, 1e-5f64, 1u128 << 70))]);
        assert_eq!(
            Codec::new().encode(&m).unwrap(),
            br#"{"1": [1.0, 1e-05, 1180591620717411303424]}"#
        );
    }

    #[test]
    fn strings_are_raw_and_nothing_is_marked_by_default() {
        let codec = Codec::new();
        assert_eq!(codec.encode("value").unwrap(), b"value");
        assert_eq!(codec.encode(&String::from("{x}")).unwrap(), b"{x}");
        assert_eq!(codec.decode::<String>(b"value").unwrap(), "value");
        assert_eq!(codec.decode::<String>(b"123").unwrap(), "123");
        assert_eq!(codec.decode::<String>(br#""quoted""#).unwrap(), "quoted");
        // A 158-float vector (about 3-5 KB) stays plain JSON.
        let v: Vec<f64> = (0..158).map(|i| i as f64 * 1.000_123_4).collect();
        let bytes = codec.encode(&v).unwrap();
        assert!(bytes.len() > 1024 && bytes[0] == b'[', "{}", bytes.len());
    }

    #[test]
    fn non_json_types_are_refused_unless_msgpack_is_opted_in() {
        let mut m: HashMap<(u8, u8), String> = HashMap::new();
        m.insert((1, 2), "x".into());
        let err = Codec::new().encode(&m).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Codec);
        let auto = Codec::new().with_format(Format::Auto);
        let bytes = auto.encode(&m).unwrap();
        assert_eq!(&bytes[..2], &[MARKER, TAG_MSGPACK]);
        assert_eq!(
            Codec::new()
                .decode::<HashMap<(u8, u8), String>>(&bytes)
                .unwrap(),
            m
        );
        let forced = Codec::new()
            .with_format(Format::MessagePack)
            .encode(&Ticker {
                symbol: "A".into(),
                price: 1.0,
            })
            .unwrap();
        assert_eq!(
            decode_any(&forced).unwrap(),
            serde_json::json!({"symbol": "A", "price": 1.0})
        );
        assert_eq!(inspect(&forced).unwrap().label(), "msgpack");
    }

    #[test]
    fn non_finite_floats_are_python_tokens_both_ways() {
        #[derive(Debug, Serialize, Deserialize)]
        struct Features {
            rsi: f64,
            skew: Option<f32>,
            low: f64,
            note: Option<String>,
        }
        let codec = Codec::new();
        let with_nan = Features {
            rsi: f64::NAN,
            skew: Some(f32::INFINITY),
            low: f64::NEG_INFINITY,
            note: None,
        };
        let bytes = codec.encode(&with_nan).unwrap();
        assert_eq!(
            bytes,
            br#"{"rsi": NaN, "skew": Infinity, "low": -Infinity, "note": null}"#
        );
        let back: Features = codec.decode(&bytes).unwrap();
        assert!(back.rsi.is_nan());
        assert_eq!(back.skew, Some(f32::INFINITY));
        assert_eq!(back.low, f64::NEG_INFINITY);
        let v: Vec<f64> = codec.decode(b"[1.5, NaN]").unwrap();
        assert!(v[1].is_nan());
    }

    #[test]
    fn large_values_are_compressed_and_marked_when_opted_in() {
        let big: Vec<String> = (0..2000).map(|i| format!("feature-{}", i % 10)).collect();
        let plain = Codec::new().encode(&big).unwrap();
        assert_eq!(plain[0], b'[');
        let codec = Codec::new().with_compress_threshold(Some(DEFAULT_COMPRESS_THRESHOLD));
        let bytes = codec.encode(&big).unwrap();
        assert_eq!(&bytes[..2], &[MARKER, TAG_ZSTD]);
        assert!(
            bytes.len() * 5 < plain.len(),
            "{} vs {}",
            bytes.len(),
            plain.len()
        );
        assert_eq!(codec.decode::<Vec<String>>(&bytes).unwrap(), big);
        assert_eq!(Codec::new().decode::<Vec<String>>(&bytes).unwrap(), big);
        let d = inspect(&bytes).unwrap();
        assert_eq!(
            (d.compression, d.format, d.decoded_len),
            (Some(Compression::Zstd), PayloadFormat::Json, plain.len())
        );
    }

    #[test]
    fn foreign_encodings_are_read() {
        let json = br#"{"price": 1.5}"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(json).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::bulk::compress(json, 3).unwrap();
        for bytes in [&json[..], &gz[..], &zs[..]] {
            assert_eq!(
                decode_any(bytes).unwrap(),
                serde_json::json!({"price": 1.5})
            );
        }
        assert_eq!(inspect(&gz).unwrap().label(), "gzip");
        assert_eq!(Codec::new().decode::<String>(b"hello").unwrap(), "hello");
        assert_eq!(
            Codec::new().decode::<String>(br#""hello""#).unwrap(),
            "hello"
        );
        assert_eq!(Codec::new().decode::<f64>(b"45000.50").unwrap(), 45000.5);
    }

    #[test]
    fn python_nan_and_infinity_and_big_ints_are_read() {
        #[derive(Debug, Deserialize)]
        struct F {
            rsi: f64,
            low: Option<f64>,
            note: String,
            id: u128,
        }
        // What json.dumps({"rsi": float("nan"), "low": -float("inf"), "note": ..., "id": 2**70})
        // writes.
        let py = br#"{"rsi": NaN, "low": -Infinity, "note": "NaN \" Infinity", "id": 1180591620717411303424}"#;
        let f: F = Codec::new().decode(py).unwrap();
        assert!(f.rsi.is_nan());
        assert_eq!(f.low, Some(f64::NEG_INFINITY));
        assert_eq!(f.note, "NaN \" Infinity");
        assert_eq!(f.id, 1u128 << 70);
        let plain: F = Codec::new()
            .decode(br#"{"rsi": 1, "low": null, "note": "", "id": 1180591620717411303424}"#)
            .unwrap();
        assert_eq!((plain.rsi, plain.low, plain.id), (1.0, None, 1u128 << 70));
        assert_eq!(inspect(py).unwrap().format, PayloadFormat::Json);
        // Text that merely contains the word stays text.
        assert_eq!(Codec::new().decode::<String>(b"NaN").unwrap(), "NaN");
    }

    #[test]
    fn bad_input_is_a_clear_codec_error() {
        let binary = [0xFFu8, 0x00, 0x13];
        assert_eq!(
            decode_any(&binary).unwrap_err().kind(),
            crate::ErrorKind::Codec
        );
        assert_eq!(inspect(&binary).unwrap().format, PayloadFormat::Binary);
        let err = Codec::new()
            .decode::<Ticker>(br#"{"symbol": 3}"#)
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Codec);
        let truncated = [MARKER, TAG_ZSTD, 0x28, 0xB5];
        assert_eq!(
            decode_any(&truncated).unwrap_err().kind(),
            crate::ErrorKind::Codec
        );
    }

    #[test]
    fn decompression_is_bounded() {
        let zeros = vec![0u8; 1 << 20];
        let frame = zstd::bulk::compress(&zeros, 3).unwrap();
        let small = Codec::new().with_max_decoded(1000);
        let err = small.unwrap_compression(&frame).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Codec);
        assert_eq!(
            Codec::new().unwrap_compression(&frame).unwrap().0.len(),
            1 << 20
        );
    }
}
