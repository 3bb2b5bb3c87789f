//! Value encoding for the cache: JSON for plain data (readable by any language), MessagePack for
//! serde types JSON cannot carry, and transparent zstd compression above a size threshold.
//!
//! # Wire format (the admin value viewer relies on it; keep it exactly)
//!
//! - JSON values are plain UTF-8 JSON with no prefix, so Python/redis-py services read them as is.
//! - MessagePack values are `0xC1 b'M'` followed by the msgpack bytes (structs as maps).
//! - Compressed values are `0xC1 b'Z'` followed by one zstd frame whose content is again one of
//!   these formats.
//!
//! `0xC1` can start neither valid UTF-8 nor valid MessagePack, so the marker is unambiguous.
//! [`Format::Auto`] writes JSON unless the value cannot be JSON (non-string map keys) or holds
//! NaN/±infinity (JSON would turn them into `null`): those go to MessagePack.
//! Reads also accept what other writers produce: plain (non-JSON) UTF-8 strings, bare zstd frames
//! (magic `28 B5 2F FD`), gzip (`1F 8B`), and Python's `NaN`/`Infinity` JSON tokens (as null).
//! Decompression is bounded ([`Codec::max_decoded`]): a hostile or corrupt value never allocates
//! without limit.

use std::io::Read;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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

/// Default size above which encoded values are compressed (bytes).
pub const DEFAULT_COMPRESS_THRESHOLD: usize = 1024;
/// Default upper bound on the size of a decompressed value (bytes).
pub const DEFAULT_MAX_DECODED: usize = 256 * 1024 * 1024;
/// How many compression layers a read unwraps before refusing the value.
const MAX_LAYERS: usize = 2;

/// Which serialisation [`Codec::encode`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// JSON when the value can be written as JSON, MessagePack otherwise (e.g. maps whose keys
    /// are not strings).
    #[default]
    Auto,
    /// Always JSON (fails for values JSON cannot represent).
    Json,
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
            format: Format::Auto,
            compress_threshold: Some(DEFAULT_COMPRESS_THRESHOLD),
            level: 3,
            max_decoded: DEFAULT_MAX_DECODED,
        }
    }
}

impl Codec {
    /// JSON for plain data, MessagePack otherwise, zstd above 1 KiB.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same codec writing `format`.
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Compress encoded values longer than `bytes` (`None` turns compression off).
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

    /// Serialises `value` in this codec's format, compressing it when it is large.
    pub fn encode<T: Serialize + ?Sized>(&self, value: &T) -> Result<Vec<u8>> {
        let plain = match self.format {
            Format::Json => serde_json::to_vec(value)?,
            Format::MessagePack => msgpack(value)?,
            // JSON would silently turn NaN and ±inf into null (a value that no longer reads back
            // as a float): such values go to MessagePack, which keeps them.
            Format::Auto => match serde_json::to_vec(value) {
                Ok(json) if !contains_null(&json) || finite::all_finite(value) => json,
                _ => msgpack(value)?,
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
        .or_else(|| serde_json::from_slice(&nan_as_null(&payload)?).ok())
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

/// True when the JSON text has a `null` token (then non-finite floats may have been lost).
fn contains_null(json: &[u8]) -> bool {
    json.windows(4).any(|w| w == b"null")
}

/// A serializer that only walks a value to find non-finite floats.
mod finite {
    use serde::ser::{self, Serialize};

    /// True when no `f32`/`f64` inside `value` is NaN or infinite.
    pub(super) fn all_finite<T: Serialize + ?Sized>(value: &T) -> bool {
        let mut w = Walker { finite: true };
        // Errors only stop the walk early; a value JSON accepted walks to the end.
        let _ = value.serialize(&mut w);
        w.finite
    }

    pub(super) struct Walker {
        finite: bool,
    }

    #[derive(Debug)]
    pub(super) struct Stop;

    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("stop")
        }
    }

    impl std::error::Error for Stop {}

    impl ser::Error for Stop {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Stop
        }
    }

    impl Walker {
        fn float(&mut self, x: f64) -> Result<(), Stop> {
            if x.is_finite() {
                Ok(())
            } else {
                self.finite = false;
                Err(Stop)
            }
        }
    }

    macro_rules! ok {
        ($($name:ident: $t:ty),*) => {
            $(fn $name(self, _: $t) -> Result<(), Stop> { Ok(()) })*
        };
    }

    macro_rules! compound {
        ($($tr:ident :: $m:ident),*) => {
            $(impl ser::$tr for &mut Walker {
                type Ok = ();
                type Error = Stop;
                fn $m<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Stop> {
                    v.serialize(&mut **self)
                }
                fn end(self) -> Result<(), Stop> {
                    Ok(())
                }
            })*
        };
    }

    compound!(
        SerializeSeq::serialize_element,
        SerializeTuple::serialize_element,
        SerializeTupleStruct::serialize_field,
        SerializeTupleVariant::serialize_field
    );

    impl ser::SerializeMap for &mut Walker {
        type Ok = ();
        type Error = Stop;
        fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Stop> {
            k.serialize(&mut **self)
        }
        fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Stop> {
            v.serialize(&mut **self)
        }
        fn end(self) -> Result<(), Stop> {
            Ok(())
        }
    }

    impl ser::SerializeStruct for &mut Walker {
        type Ok = ();
        type Error = Stop;
        fn serialize_field<T: Serialize + ?Sized>(
            &mut self,
            _: &'static str,
            v: &T,
        ) -> Result<(), Stop> {
            v.serialize(&mut **self)
        }
        fn end(self) -> Result<(), Stop> {
            Ok(())
        }
    }

    impl ser::SerializeStructVariant for &mut Walker {
        type Ok = ();
        type Error = Stop;
        fn serialize_field<T: Serialize + ?Sized>(
            &mut self,
            _: &'static str,
            v: &T,
        ) -> Result<(), Stop> {
            v.serialize(&mut **self)
        }
        fn end(self) -> Result<(), Stop> {
            Ok(())
        }
    }

    impl ser::Serializer for &mut Walker {
        type Ok = ();
        type Error = Stop;
        type SerializeSeq = Self;
        type SerializeTuple = Self;
        type SerializeTupleStruct = Self;
        type SerializeTupleVariant = Self;
        type SerializeMap = Self;
        type SerializeStruct = Self;
        type SerializeStructVariant = Self;

        ok!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
            serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
            serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_char: char,
            serialize_str: &str, serialize_bytes: &[u8], serialize_unit_struct: &'static str);

        fn serialize_f32(self, v: f32) -> Result<(), Stop> {
            self.float(v as f64)
        }
        fn serialize_f64(self, v: f64) -> Result<(), Stop> {
            self.float(v)
        }
        fn serialize_none(self) -> Result<(), Stop> {
            Ok(())
        }
        fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Stop> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<(), Stop> {
            Ok(())
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
        ) -> Result<(), Stop> {
            Ok(())
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            v: &T,
        ) -> Result<(), Stop> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            v: &T,
        ) -> Result<(), Stop> {
            v.serialize(self)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self, Stop> {
            Ok(self)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self, Stop> {
            Ok(self)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
            Ok(self)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self, Stop> {
            Ok(self)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self, Stop> {
            Ok(self)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
            Ok(self)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self, Stop> {
            Ok(self)
        }
    }
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
    let json_err = match serde_json::from_slice::<T>(payload) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let Ok(text) = std::str::from_utf8(payload) else {
        return Err(Error::Codec(format!(
            "value of {} bytes is neither JSON, MessagePack nor compressed",
            payload.len()
        )));
    };
    // Python's json.dumps writes NaN / Infinity, which JSON lacks: read them as null.
    if let Some(fixed) = nan_as_null(payload) {
        if let Ok(v) = serde_json::from_slice::<T>(&fixed) {
            return Ok(v);
        }
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(payload).is_ok() {
        return Err(Error::Codec(format!(
            "JSON value does not match the requested type: {json_err}"
        )));
    }
    // Text written by other languages without JSON quoting (e.g. `SET k hello`).
    serde_json::from_value(serde_json::Value::String(text.to_string())).map_err(|_| {
        Error::Codec(format!(
            "value is neither JSON of the requested type nor text it accepts: {json_err}"
        ))
    })
}

/// Rewrites Python's non-JSON tokens `NaN`, `Infinity` and `-Infinity` (outside strings) to
/// `null`; `None` when there are none.
fn nan_as_null(json: &[u8]) -> Option<Vec<u8>> {
    const TOKENS: [&[u8]; 3] = [b"-Infinity", b"Infinity", b"NaN"];
    let mut out = Vec::with_capacity(json.len());
    let (mut i, mut in_string, mut escaped, mut changed) = (0, false, false, false);
    'scan: while i < json.len() {
        let b = json[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else {
            for t in TOKENS {
                if json[i..].starts_with(t) {
                    out.extend_from_slice(b"null");
                    i += t.len();
                    changed = true;
                    continue 'scan;
                }
            }
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
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
    fn plain_data_is_unprefixed_json() {
        let t = Ticker {
            symbol: "BTC-USDT".into(),
            price: 45000.5,
        };
        let bytes = Codec::new().encode(&t).unwrap();
        assert_eq!(bytes, br#"{"symbol":"BTC-USDT","price":45000.5}"#);
        assert_eq!(Codec::new().decode::<Ticker>(&bytes).unwrap(), t);
    }

    #[test]
    fn non_json_types_fall_back_to_marked_msgpack() {
        let mut m: HashMap<(u8, u8), String> = HashMap::new();
        m.insert((1, 2), "x".into());
        let bytes = Codec::new().encode(&m).unwrap();
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
    fn non_finite_floats_keep_their_value_via_msgpack() {
        #[derive(Debug, Serialize, Deserialize)]
        struct Features {
            rsi: f64,
            skew: Option<f32>,
            note: Option<String>,
        }
        let codec = Codec::new();
        let with_nan = Features {
            rsi: f64::NAN,
            skew: Some(f32::INFINITY),
            note: None,
        };
        let bytes = codec.encode(&with_nan).unwrap();
        assert_eq!(&bytes[..2], &[MARKER, TAG_MSGPACK]);
        let back: Features = codec.decode(&bytes).unwrap();
        assert!(back.rsi.is_nan());
        assert_eq!(back.skew, Some(f32::INFINITY));
        // Finite values with real nulls stay JSON.
        let plain = Features {
            rsi: 61.2,
            skew: None,
            note: None,
        };
        assert_eq!(
            codec.encode(&plain).unwrap(),
            br#"{"rsi":61.2,"skew":null,"note":null}"#
        );
        let nested = vec![HashMap::from([(
            "x".to_string(),
            vec![1.0, f64::NEG_INFINITY],
        )])];
        assert_eq!(&codec.encode(&nested).unwrap()[..2], &[MARKER, TAG_MSGPACK]);
    }

    #[test]
    fn large_values_are_compressed_and_marked() {
        let big: Vec<String> = (0..2000).map(|i| format!("feature-{}", i % 10)).collect();
        let codec = Codec::new();
        let bytes = codec.encode(&big).unwrap();
        let plain = serde_json::to_vec(&big).unwrap();
        assert_eq!(&bytes[..2], &[MARKER, TAG_ZSTD]);
        assert!(
            bytes.len() * 5 < plain.len(),
            "{} vs {}",
            bytes.len(),
            plain.len()
        );
        assert_eq!(codec.decode::<Vec<String>>(&bytes).unwrap(), big);
        let d = inspect(&bytes).unwrap();
        assert_eq!(
            (d.compression, d.format, d.decoded_len),
            (Some(Compression::Zstd), PayloadFormat::Json, plain.len())
        );
        let off = Codec::new()
            .with_compress_threshold(None)
            .encode(&big)
            .unwrap();
        assert_eq!(off, plain);
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
    fn python_nan_and_infinity_read_as_null() {
        #[derive(Debug, PartialEq, Deserialize)]
        struct F {
            rsi: Option<f64>,
            low: Option<f64>,
            note: String,
        }
        // What json.dumps({"rsi": float("nan"), "low": -float("inf"), "note": "NaN"}) writes.
        let py = br#"{"rsi": NaN, "low": -Infinity, "note": "NaN \" Infinity"}"#;
        let f: F = Codec::new().decode(py).unwrap();
        assert_eq!(
            f,
            F {
                rsi: None,
                low: None,
                note: "NaN \" Infinity".into()
            }
        );
        assert_eq!(
            decode_any(py).unwrap(),
            serde_json::json!({"rsi": null, "low": null, "note": "NaN \" Infinity"})
        );
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
