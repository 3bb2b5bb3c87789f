//! "View as": one value shown in a format the user picks — text, JSON, hex, base64,
//! MessagePack, a decompression (gzip, zlib, raw deflate, zstd, brotli, lz4, snappy) followed by
//! the automatic pick of what is inside, protobuf wire format without a schema, PHP
//! `serialize()`, Java serialization (structure only), Python pickle (structure only: the
//! opcode stream is read and simulated on plain data, never executed) and the library's codec.
//! Every reader is bounded: input, decompressed size, nesting and output items.

use std::io::Read;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::decode::{decode, hex, Decoded, MAX_DECOMPRESSED};
use redscope::error::{Error, Result};

/// Every view, in menu order (`auto` is the automatic pick).
pub const VIEWS: &[&str] = &[
    "auto", "text", "json", "hex", "base64", "msgpack", "gzip", "zlib", "deflate", "zstd",
    "brotli", "lz4", "snappy", "protobuf", "php", "java", "pickle", "codec",
];
/// Largest value `decode` takes.
pub const MAX_DECODE_INPUT: usize = 1 << 20;
/// Most nesting any structured reader follows.
const MAX_DEPTH: usize = 64;
/// Most items (fields, opcodes, elements) any reader produces.
const MAX_ITEMS: usize = 20_000;
/// Most bytes of a hex or text rendering.
const MAX_TEXT: usize = 256 << 10;
/// Most JSON nodes a pickle may copy (DUP, memo GET): sharing must not grow into a bomb.
const MAX_COPIED: usize = 200_000;

/// Nodes in `v`, counting at most up to `limit` (the walk stops there).
fn nodes(v: &Value, limit: usize) -> usize {
    let mut n = 0;
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        n += 1;
        if n >= limit {
            break;
        }
        match v {
            Value::Array(a) => todo.extend(a),
            Value::Object(m) => todo.extend(m.values()),
            _ => {}
        }
    }
    n
}

/// Request of `decode`: bytes and the view to show them in.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct DecodeRequest {
    /// The bytes, base64 (at most 1 MiB).
    pub value_b64: String,
    /// One of [`VIEWS`]; `auto` (the default) picks by content.
    pub view: Option<String>,
}

/// Answers `decode`: the bytes (at most [`MAX_DECODE_INPUT`]) in the view asked for.
pub fn decode_request(r: &DecodeRequest) -> Result<Decoded> {
    let raw = super::bytes::decode_b64(&r.value_b64, "value_b64")?;
    if raw.len() > MAX_DECODE_INPUT {
        return Err(Error::InvalidInput(format!(
            "at most {} KiB can be decoded at once ({} bytes given)",
            MAX_DECODE_INPUT >> 10,
            raw.len()
        )));
    }
    view_as(&raw, r.view.as_deref().unwrap_or("auto"))
}

/// `raw` in `view` (`auto`: the automatic pick). A view the bytes are not in is an
/// `invalid_input` error that says why.
pub fn view_as(raw: &[u8], view: &str) -> Result<Decoded> {
    let not = |what: &str, why: String| Error::InvalidInput(format!("not {what}: {why}"));
    let structured = |format: &str, v: Value| Decoded {
        format: format.into(),
        json: Some(v),
        text: None,
    };
    let text = |format: &str, t: String| Decoded {
        format: format.into(),
        json: None,
        text: Some(t),
    };
    Ok(match view {
        "auto" => auto(raw),
        "text" => text("text", lossy_text(raw)),
        "json" => structured(
            "json",
            serde_json::from_slice(raw).map_err(|e| not("JSON", e.to_string()))?,
        ),
        "hex" => text("hex", hex(&raw[..raw.len().min(MAX_TEXT / 3)])),
        "base64" => {
            use base64::Engine;
            let t = std::str::from_utf8(raw).map_err(|_| not("base64", "not text".into()))?;
            let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            let inner = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(compact.as_bytes()))
                .map_err(|e| not("base64", e.to_string()))?;
            inner_view("base64", &inner)
        }
        "msgpack" => structured(
            "msgpack",
            msgpack(raw)
                .ok_or_else(|| not("MessagePack", "it does not parse as one value".into()))?,
        ),
        "gzip" | "zlib" | "deflate" | "zstd" | "brotli" | "lz4" | "snappy" => {
            let inner = decompress(raw, view).map_err(|e| not(view, e))?;
            inner_view(view, &inner)
        }
        "protobuf" => structured(
            "protobuf",
            Value::Array(
                protobuf(raw, 0)
                    .ok_or_else(|| not("protobuf", "the wire format does not parse".into()))?,
            ),
        ),
        "php" => structured("php", php(raw).map_err(|e| not("PHP serialized", e))?),
        "java" => structured("java", java(raw).map_err(|e| not("Java serialized", e))?),
        "pickle" => structured("pickle", pickle(raw).map_err(|e| not("a pickle", e))?),
        "codec" => {
            let d = redscope::codec::inspect(raw)
                .map_err(|e| not("the library's codec", e.to_string()))?;
            let json = d
                .json
                .ok_or_else(|| not("the library's codec", "no known payload".into()))?;
            structured("codec", json)
        }
        other => {
            return Err(Error::InvalidInput(format!(
                "no view {other:?}: one of {}",
                VIEWS.join(", ")
            )))
        }
    })
}

/// The automatic pick: the string decoder's (JSON, MessagePack, the codec, zstd, gzip), then
/// the formats recognisable by their first bytes.
pub fn auto(raw: &[u8]) -> Decoded {
    let d = decode(raw, true);
    if d.format != "hex" && d.format != "utf8" {
        return d;
    }
    if let Some(view) = sniff(raw) {
        if let Ok(v) = view_as(raw, view) {
            return v;
        }
    }
    d
}

/// A view recognisable by its magic bytes or shape.
fn sniff(raw: &[u8]) -> Option<&'static str> {
    match raw {
        [0x78, 0x01 | 0x5E | 0x9C | 0xDA, ..] => Some("zlib"),
        [0x04, 0x22, 0x4D, 0x18, ..] => Some("lz4"),
        [0xFF, 0x06, 0x00, 0x00, b's', b'N', b'a', b'P', b'p', b'Y', ..] => Some("snappy"),
        [0xAC, 0xED, 0x00, 0x05, ..] => Some("java"),
        [0x80, 2..=5, .., b'.'] => Some("pickle"),
        [b'a' | b'O' | b's' | b'i' | b'b' | b'd', b':', ..] | [b'N', b';'] => Some("php"),
        _ => None,
    }
}

/// Decompressed bytes shown as JSON when they parse, MessagePack, text, or hex.
fn inner_view(format: &str, inner: &[u8]) -> Decoded {
    let json = serde_json::from_slice::<Value>(inner).ok().or_else(|| {
        std::str::from_utf8(inner)
            .is_err()
            .then(|| msgpack(inner))
            .flatten()
    });
    let text = match &json {
        Some(_) => None,
        None => Some(match std::str::from_utf8(inner) {
            Ok(s) => s.chars().take(MAX_TEXT).collect(),
            Err(_) => hex(&inner[..inner.len().min(MAX_TEXT / 3)]),
        }),
    };
    Decoded {
        format: format.into(),
        json,
        text,
    }
}

fn lossy_text(raw: &[u8]) -> String {
    super::bytes::escape(&raw[..raw.len().min(MAX_TEXT)])
}

fn msgpack(raw: &[u8]) -> Option<Value> {
    let mut cursor = std::io::Cursor::new(raw);
    let v: Value = {
        let mut de = rmp_serde::Deserializer::new(&mut cursor);
        de.set_max_depth(redscope::codec::MAX_MSGPACK_DEPTH);
        serde::Deserialize::deserialize(&mut de).ok()?
    };
    (cursor.position() as usize == raw.len()).then_some(v)
}

/// Decompresses `raw` with `how`, at most [`MAX_DECOMPRESSED`] bytes.
fn decompress(raw: &[u8], how: &str) -> std::result::Result<Vec<u8>, String> {
    fn bounded(r: impl Read) -> std::result::Result<Vec<u8>, String> {
        let mut out = Vec::new();
        r.take(MAX_DECOMPRESSED as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| e.to_string())?;
        if out.len() > MAX_DECOMPRESSED {
            return Err(format!("it expands past {} MiB", MAX_DECOMPRESSED >> 20));
        }
        Ok(out)
    }
    match how {
        "gzip" => bounded(flate2::read::MultiGzDecoder::new(raw)),
        "zlib" => bounded(flate2::read::ZlibDecoder::new(raw)),
        "deflate" => bounded(flate2::read::DeflateDecoder::new(raw)),
        "zstd" => bounded(zstd::stream::read::Decoder::new(raw).map_err(|e| e.to_string())?),
        "brotli" => bounded(brotli_decompressor::Decompressor::new(raw, 4096)),
        "lz4" => {
            if raw.starts_with(&[0x04, 0x22, 0x4D, 0x18]) {
                bounded(lz4_flex::frame::FrameDecoder::new(raw))
            } else {
                // A block with its size first (lz4_flex's and python-lz4's `store_size`).
                let size = raw
                    .get(..4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                    .ok_or("too short")?;
                if size > MAX_DECOMPRESSED {
                    return Err(format!("it declares {size} bytes"));
                }
                lz4_flex::block::decompress_size_prepended(raw).map_err(|e| e.to_string())
            }
        }
        "snappy" => {
            if raw.starts_with(b"\xff\x06\x00\x00sNaPpY") {
                bounded(snap::read::FrameDecoder::new(raw))
            } else {
                let len = snap::raw::decompress_len(raw).map_err(|e| e.to_string())?;
                if len > MAX_DECOMPRESSED {
                    return Err(format!("it declares {len} bytes"));
                }
                snap::raw::Decoder::new()
                    .decompress_vec(raw)
                    .map_err(|e| e.to_string())
            }
        }
        _ => Err(format!("no decompressor {how}")),
    }
}

// --- protobuf -------------------------------------------------------------------------------

fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The fields of a protobuf message read without a schema: number, wire type and value; a
/// length-delimited field shows as text when it is printable UTF-8, else as a nested message
/// when it parses as one, else as hex.
fn protobuf(raw: &[u8], depth: usize) -> Option<Vec<Value>> {
    let mut i = 0;
    let mut out = Vec::new();
    while i < raw.len() {
        let (key, n) = varint(&raw[i..])?;
        i += n;
        let field = key >> 3;
        if field == 0 || out.len() >= MAX_ITEMS {
            return None;
        }
        let v = match key & 7 {
            0 => {
                let (v, n) = varint(&raw[i..])?;
                i += n;
                let zigzag = ((v >> 1) as i64) ^ -((v & 1) as i64);
                json!({"field": field, "wire": "varint", "value": v, "sint": zigzag})
            }
            1 => {
                let b: [u8; 8] = raw.get(i..i + 8)?.try_into().ok()?;
                i += 8;
                json!({"field": field, "wire": "fixed64", "value": u64::from_le_bytes(b), "double": f64::from_le_bytes(b)})
            }
            2 => {
                let (len, n) = varint(&raw[i..])?;
                i += n;
                let len = usize::try_from(len).ok()?;
                let b = raw.get(i..i.checked_add(len)?)?;
                i += len;
                let printable = std::str::from_utf8(b)
                    .ok()
                    .filter(|s| !s.chars().any(|c| c.is_control() && !c.is_whitespace()));
                match printable {
                    Some(s) => json!({"field": field, "wire": "bytes", "string": s}),
                    None => match (depth < MAX_DEPTH)
                        .then(|| protobuf(b, depth + 1))
                        .flatten()
                        .filter(|m| !m.is_empty())
                    {
                        Some(m) => json!({"field": field, "wire": "bytes", "message": m}),
                        None => {
                            json!({"field": field, "wire": "bytes", "hex": hex(&b[..b.len().min(4096)])})
                        }
                    },
                }
            }
            5 => {
                let b: [u8; 4] = raw.get(i..i + 4)?.try_into().ok()?;
                i += 4;
                json!({"field": field, "wire": "fixed32", "value": u32::from_le_bytes(b), "float": f32::from_le_bytes(b)})
            }
            _ => return None,
        };
        out.push(v);
    }
    Some(out)
}

// --- PHP serialize() ------------------------------------------------------------------------

type Parsed<T> = std::result::Result<T, String>;

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
    items: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cur { b, i: 0, items: 0 }
    }
    fn take(&mut self, n: usize) -> Parsed<&'a [u8]> {
        let end = self.i.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| format!("the data ends early (at byte {})", self.i))?;
        let s = &self.b[self.i..end];
        self.i = end;
        Ok(s)
    }
    fn byte(&mut self) -> Parsed<u8> {
        Ok(self.take(1)?[0])
    }
    fn expect(&mut self, c: u8) -> Parsed<()> {
        let at = self.i;
        let got = self.byte()?;
        if got != c {
            return Err(format!(
                "expected {:?} at byte {at}, found {:?}",
                c as char, got as char
            ));
        }
        Ok(())
    }
    /// Bytes up to (not including) `end`, which is consumed.
    fn until(&mut self, end: u8) -> Parsed<&'a [u8]> {
        let rest = &self.b[self.i..];
        let n = rest
            .iter()
            .position(|&c| c == end)
            .ok_or_else(|| format!("no {:?} after byte {}", end as char, self.i))?;
        let s = &rest[..n];
        self.i += n + 1;
        Ok(s)
    }
    fn count(&mut self) -> Parsed<()> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(format!("more than {MAX_ITEMS} items"));
        }
        Ok(())
    }
}

fn num<T: std::str::FromStr>(b: &[u8]) -> Parsed<T> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{:?} is not a number", String::from_utf8_lossy(b)))
}

fn php(raw: &[u8]) -> Parsed<Value> {
    let mut c = Cur::new(raw);
    let v = php_value(&mut c, 0)?;
    if c.i != raw.len() {
        return Err(format!("{} bytes left after the value", raw.len() - c.i));
    }
    Ok(v)
}

/// A JSON object key for any value.
fn key_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn php_str(c: &mut Cur) -> Parsed<String> {
    let len: usize = num(c.until(b':')?)?;
    c.expect(b'"')?;
    let s = String::from_utf8_lossy(c.take(len)?).into_owned();
    c.expect(b'"')?;
    Ok(s)
}

fn php_value(c: &mut Cur, depth: usize) -> Parsed<Value> {
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    c.count()?;
    let tag = c.byte()?;
    if tag == b'N' {
        c.expect(b';')?;
        return Ok(Value::Null);
    }
    c.expect(b':')?;
    Ok(match tag {
        b'b' => json!(num::<u8>(c.until(b';')?)? != 0),
        b'i' => json!(num::<i64>(c.until(b';')?)?),
        b'd' => {
            let t = c.until(b';')?;
            match t {
                b"INF" | b"-INF" | b"NAN" => json!(String::from_utf8_lossy(t)),
                _ => json!(num::<f64>(t)?),
            }
        }
        b's' => {
            let s = php_str(c)?;
            c.expect(b';')?;
            json!(s)
        }
        b'r' | b'R' => json!({"__ref": num::<u64>(c.until(b';')?)?}),
        b'E' => {
            let s = php_str(c)?;
            c.expect(b';')?;
            json!({"__enum": s})
        }
        b'a' => {
            let n: usize = num(c.until(b':')?)?;
            c.expect(b'{')?;
            let mut m = Map::new();
            for _ in 0..n {
                let k = php_value(c, depth + 1)?;
                let v = php_value(c, depth + 1)?;
                m.insert(key_text(&k), v);
            }
            c.expect(b'}')?;
            Value::Object(m)
        }
        b'O' => {
            let class = php_str(c)?;
            c.expect(b':')?;
            let n: usize = num(c.until(b':')?)?;
            c.expect(b'{')?;
            let mut m = Map::new();
            m.insert("__class".into(), json!(class));
            for _ in 0..n {
                let k = php_value(c, depth + 1)?;
                let v = php_value(c, depth + 1)?;
                // Private and protected names carry \0Class\0 and \0*\0 prefixes.
                let name = key_text(&k)
                    .rsplit('\0')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                m.insert(name, v);
            }
            c.expect(b'}')?;
            Value::Object(m)
        }
        b'C' => {
            let class = php_str(c)?;
            c.expect(b':')?;
            let n: usize = num(c.until(b':')?)?;
            c.expect(b'{')?;
            let data = String::from_utf8_lossy(c.take(n)?).into_owned();
            c.expect(b'}')?;
            json!({"__class": class, "__data": data})
        }
        other => return Err(format!("unknown type {:?}", other as char)),
    })
}

// --- Java serialization (structure only) ----------------------------------------------------

/// A class description read from the stream: its name and fields (type code, name).
#[derive(Clone)]
struct ClassDesc {
    name: String,
    fields: Vec<(u8, String)>,
    flags: u8,
    parent: Option<Box<ClassDesc>>,
}

struct Java<'a> {
    c: Cur<'a>,
    /// Handles in assignment order: class descriptions (for later objects) or a placeholder.
    handles: Vec<Option<ClassDesc>>,
}

fn java(raw: &[u8]) -> Parsed<Value> {
    let mut j = Java {
        c: Cur::new(raw),
        handles: Vec::new(),
    };
    if j.c.take(4)? != [0xAC, 0xED, 0x00, 0x05] {
        return Err("no Java serialization header (AC ED 00 05)".into());
    }
    let mut contents = Vec::new();
    while j.c.i < raw.len() {
        match j.content(0) {
            Ok(v) => contents.push(v),
            Err(e) => {
                contents.push(json!({"__stopped": e}));
                break;
            }
        }
    }
    Ok(if contents.len() == 1 {
        contents.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(contents)
    })
}

impl Java<'_> {
    fn u16(&mut self) -> Parsed<u16> {
        let b = self.c.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Parsed<u32> {
        let b = self.c.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn utf(&mut self) -> Parsed<String> {
        let n = self.u16()? as usize;
        Ok(String::from_utf8_lossy(self.c.take(n)?).into_owned())
    }
    fn new_handle(&mut self, d: Option<ClassDesc>) -> usize {
        self.handles.push(d);
        self.handles.len() - 1
    }

    /// A class description (TC_CLASSDESC, TC_NULL or TC_REFERENCE to one).
    fn class_desc(&mut self, depth: usize) -> Parsed<Option<ClassDesc>> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        self.c.count()?;
        match self.c.byte()? {
            0x70 => Ok(None),
            0x71 => {
                let h = (self.u32()? - 0x7E0000) as usize;
                match self.handles.get(h) {
                    Some(Some(d)) => Ok(Some(d.clone())),
                    _ => Err(format!("reference {h} is not a class description")),
                }
            }
            0x72 => {
                let name = self.utf()?;
                self.c.take(8)?; // serialVersionUID
                let at = self.new_handle(None);
                let flags = self.c.byte()?;
                let n = self.u16()?;
                let mut fields = Vec::new();
                for _ in 0..n {
                    let code = self.c.byte()?;
                    let fname = self.utf()?;
                    if code == b'L' || code == b'[' {
                        self.content(depth + 1)?; // the field's class name, a string
                    }
                    fields.push((code, fname));
                }
                self.annotation(depth)?;
                let parent = self.class_desc(depth + 1)?.map(Box::new);
                let d = ClassDesc {
                    name,
                    fields,
                    flags,
                    parent,
                };
                self.handles[at] = Some(d.clone());
                Ok(Some(d))
            }
            t => Err(format!(
                "unsupported class description tag 0x{t:02x} at byte {}",
                self.c.i - 1
            )),
        }
    }

    /// Block data and objects up to TC_ENDBLOCKDATA.
    fn annotation(&mut self, depth: usize) -> Parsed<Vec<Value>> {
        let mut out = Vec::new();
        loop {
            if self.c.b.get(self.c.i) == Some(&0x78) {
                self.c.i += 1;
                return Ok(out);
            }
            out.push(self.content(depth + 1)?);
        }
    }

    fn prim(&mut self, code: u8) -> Parsed<Value> {
        Ok(match code {
            b'B' => json!(self.c.byte()? as i8),
            b'C' => json!(char::from_u32(self.u16()? as u32).map(String::from)),
            b'D' => json!(f64::from_be_bytes(
                self.c.take(8)?.try_into().map_err(|_| "short")?
            )),
            b'F' => json!(f32::from_be_bytes(
                self.c.take(4)?.try_into().map_err(|_| "short")?
            )),
            b'I' => json!(self.u32()? as i32),
            b'J' => json!(i64::from_be_bytes(
                self.c.take(8)?.try_into().map_err(|_| "short")?
            )),
            b'S' => json!(self.u16()? as i16),
            b'Z' => json!(self.c.byte()? != 0),
            other => return Err(format!("unknown field type {:?}", other as char)),
        })
    }

    fn content(&mut self, depth: usize) -> Parsed<Value> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        self.c.count()?;
        let at = self.c.i;
        let tag = *self.c.b.get(at).ok_or("the data ends early")?;
        match tag {
            0x70 => {
                self.c.i += 1;
                Ok(Value::Null)
            }
            0x71 => {
                self.c.i += 1;
                Ok(json!({"__ref": self.u32()?.wrapping_sub(0x7E0000)}))
            }
            0x74 => {
                self.c.i += 1;
                self.new_handle(None);
                Ok(json!(self.utf()?))
            }
            0x7C => {
                self.c.i += 1;
                let b = self.c.take(8)?;
                let n = u64::from_be_bytes(b.try_into().map_err(|_| "short")?) as usize;
                self.new_handle(None);
                Ok(json!(String::from_utf8_lossy(self.c.take(n)?)))
            }
            0x72 | 0x7D => {
                let d = self.class_desc(depth)?;
                Ok(json!({"__classdesc": d.map(|d| d.name)}))
            }
            0x76 => {
                self.c.i += 1;
                let d = self.class_desc(depth)?;
                self.new_handle(None);
                Ok(json!({"__class": d.map(|d| d.name)}))
            }
            0x77 => {
                self.c.i += 1;
                let n = self.c.byte()? as usize;
                Ok(json!({"__blockdata": hex(self.c.take(n)?)}))
            }
            0x7A => {
                self.c.i += 1;
                let n = self.u32()? as usize;
                Ok(json!({"__blockdata": hex(&self.c.take(n)?[..n.min(4096)])}))
            }
            0x7E => {
                self.c.i += 1;
                let d = self.class_desc(depth)?;
                self.new_handle(None);
                let name = self.content(depth + 1)?;
                Ok(json!({"__enum": d.map(|d| d.name), "value": name}))
            }
            0x75 => {
                self.c.i += 1;
                let d = self.class_desc(depth)?.ok_or("an array without a class")?;
                self.new_handle(None);
                let n = self.u32()? as usize;
                if n > MAX_ITEMS {
                    return Err(format!("an array of {n} elements"));
                }
                let elem = d.name.as_bytes().get(1).copied().unwrap_or(b'L');
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(if elem == b'L' || elem == b'[' {
                        self.content(depth + 1)?
                    } else {
                        self.prim(elem)?
                    });
                }
                Ok(json!({"__array": d.name, "items": items}))
            }
            0x73 => {
                self.c.i += 1;
                let d = self.class_desc(depth)?.ok_or("an object without a class")?;
                self.new_handle(None);
                let mut chain = vec![&d];
                while let Some(p) = chain.last().and_then(|c| c.parent.as_deref()) {
                    chain.push(p);
                }
                let mut obj = Map::new();
                obj.insert("__class".into(), json!(d.name));
                for class in chain.into_iter().rev() {
                    if class.flags & 0x04 != 0 {
                        // SC_EXTERNALIZABLE: the class writes its own bytes.
                        let block = self.annotation(depth)?;
                        obj.insert(format!("__external:{}", class.name), Value::Array(block));
                        continue;
                    }
                    for (code, name) in &class.fields {
                        let v = if *code == b'L' || *code == b'[' {
                            self.content(depth + 1)?
                        } else {
                            self.prim(*code)?
                        };
                        obj.insert(name.clone(), v);
                    }
                    if class.flags & 0x01 != 0 {
                        // SC_WRITE_METHOD: writeObject's extra data follows.
                        let extra = self.annotation(depth)?;
                        if !extra.is_empty() {
                            obj.insert(format!("__written:{}", class.name), Value::Array(extra));
                        }
                    }
                }
                Ok(Value::Object(obj))
            }
            0x79 => {
                self.c.i += 1;
                self.handles.clear();
                Ok(json!({"__reset": true}))
            }
            t => Err(format!("unsupported tag 0x{t:02x} at byte {at}")),
        }
    }
}

// --- Python pickle (structure only, never executed) -----------------------------------------

/// A stack item of the pickle simulator.
enum Item {
    Mark,
    V(Value),
}

/// Reads a pickle's opcode stream and simulates it on plain data: globals become
/// `{"__global": "module.name"}`, calls `{"__reduce": callable, "args": [...]}`; nothing is
/// imported or called. The reply has the rebuilt value (when the simulation completes) and the
/// opcode listing.
fn pickle(raw: &[u8]) -> Parsed<Value> {
    let mut c = Cur::new(raw);
    let mut stack: Vec<Item> = Vec::new();
    let mut memo: std::collections::HashMap<u64, Value> = Default::default();
    let mut ops: Vec<String> = Vec::new();
    let mut result: Option<Value> = None;
    let mut copied = 0usize;
    let mut copy = |v: &Value| -> Parsed<Value> {
        copied += nodes(v, MAX_COPIED + 1);
        if copied > MAX_COPIED {
            return Err(format!(
                "it repeats shared values past {MAX_COPIED} nodes (a pickle bomb?)"
            ));
        }
        Ok(v.clone())
    };
    let line = |c: &mut Cur| -> Parsed<String> {
        Ok(String::from_utf8_lossy(c.until(b'\n')?).into_owned())
    };
    fn pop(stack: &mut Vec<Item>) -> Parsed<Value> {
        match stack.pop() {
            Some(Item::V(v)) => Ok(v),
            Some(Item::Mark) => Err("a MARK where a value was expected".into()),
            None => Err("the stack is empty".into()),
        }
    }
    fn pop_mark(stack: &mut Vec<Item>) -> Parsed<Vec<Value>> {
        let at = stack
            .iter()
            .rposition(|i| matches!(i, Item::Mark))
            .ok_or("no MARK on the stack")?;
        let items = stack
            .drain(at..)
            .skip(1)
            .filter_map(|i| match i {
                Item::V(v) => Some(v),
                Item::Mark => None,
            })
            .collect();
        Ok(items)
    }
    fn top(stack: &mut [Item]) -> Parsed<&mut Value> {
        match stack.last_mut() {
            Some(Item::V(v)) => Ok(v),
            _ => Err("no value on the stack".into()),
        }
    }
    let le = |b: &[u8]| -> u64 {
        let mut x = [0u8; 8];
        x[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(x)
    };
    let bytes_value = |b: &[u8]| match std::str::from_utf8(b) {
        Ok(s) => json!({"__bytes": s}),
        Err(_) => json!({"__bytes_hex": hex(&b[..b.len().min(4096)])}),
    };
    while c.i < raw.len() {
        c.count()?;
        let pos = c.i;
        let op = c.byte()?;
        let mut arg = String::new();
        match op {
            b'(' => stack.push(Item::Mark),
            b'.' => {
                ops.push(format!("{pos:>6} STOP"));
                result = Some(pop(&mut stack)?);
                break;
            }
            b'0' => {
                pop(&mut stack)?;
            }
            b'1' => {
                pop_mark(&mut stack)?;
            }
            b'2' => {
                let v = copy(top(&mut stack)?)?;
                stack.push(Item::V(v));
            }
            b'F' => {
                arg = line(&mut c)?;
                stack.push(Item::V(json!(num::<f64>(arg.trim().as_bytes())?)));
            }
            b'I' | b'L' => {
                arg = line(&mut c)?;
                let t = arg.trim().trim_end_matches('L');
                stack.push(Item::V(match t {
                    "00" => json!(false),
                    "01" => json!(true),
                    _ => t
                        .parse::<i64>()
                        .map(|n| json!(n))
                        .unwrap_or_else(|_| json!(t)),
                }));
            }
            b'J' => {
                let n = i32::from_le_bytes(c.take(4)?.try_into().map_err(|_| "short")?);
                arg = n.to_string();
                stack.push(Item::V(json!(n)));
            }
            b'K' => {
                let n = c.byte()?;
                arg = n.to_string();
                stack.push(Item::V(json!(n)));
            }
            b'M' => {
                let n = le(c.take(2)?);
                arg = n.to_string();
                stack.push(Item::V(json!(n)));
            }
            b'N' => stack.push(Item::V(Value::Null)),
            0x88 => stack.push(Item::V(json!(true))),
            0x89 => stack.push(Item::V(json!(false))),
            0x8A | 0x8B => {
                let n = if op == 0x8A {
                    c.byte()? as usize
                } else {
                    le(c.take(4)?) as usize
                };
                let b = c.take(n)?;
                let v = if n <= 8 && n > 0 {
                    let mut x = if b[n - 1] & 0x80 != 0 {
                        [0xFF; 8]
                    } else {
                        [0; 8]
                    };
                    x[..n].copy_from_slice(b);
                    json!(i64::from_le_bytes(x))
                } else if n == 0 {
                    json!(0)
                } else {
                    json!({"__long_hex_le": hex(b)})
                };
                arg = v.to_string();
                stack.push(Item::V(v));
            }
            b'G' => {
                let f = f64::from_be_bytes(c.take(8)?.try_into().map_err(|_| "short")?);
                arg = f.to_string();
                stack.push(Item::V(json!(f)));
            }
            b'S' | b'V' => {
                arg = line(&mut c)?;
                let t = arg.trim();
                let t = t
                    .strip_prefix(['\'', '"'])
                    .and_then(|t| t.strip_suffix(['\'', '"']))
                    .unwrap_or(t);
                stack.push(Item::V(json!(t)));
            }
            b'T' | b'U' | b'B' | b'C' | 0x8E | 0x96 => {
                let n = match op {
                    b'U' | b'C' => c.byte()? as usize,
                    b'T' | b'B' => le(c.take(4)?) as usize,
                    _ => le(c.take(8)?) as usize,
                };
                let b = c.take(n)?;
                let v = if op == b'T' || op == b'U' {
                    json!(String::from_utf8_lossy(b))
                } else {
                    bytes_value(b)
                };
                arg = format!("{n} bytes");
                stack.push(Item::V(v));
            }
            b'X' | 0x8C | 0x8D => {
                let n = match op {
                    0x8C => c.byte()? as usize,
                    b'X' => le(c.take(4)?) as usize,
                    _ => le(c.take(8)?) as usize,
                };
                let s = String::from_utf8_lossy(c.take(n)?).into_owned();
                arg = format!("{:?}", s.chars().take(60).collect::<String>());
                stack.push(Item::V(json!(s)));
            }
            b']' => stack.push(Item::V(json!([]))),
            b'}' => stack.push(Item::V(json!({}))),
            b')' => stack.push(Item::V(json!({"__tuple": []}))),
            0x8F => stack.push(Item::V(json!({"__set": []}))),
            b'l' => {
                let items = pop_mark(&mut stack)?;
                stack.push(Item::V(Value::Array(items)));
            }
            b't' => {
                let items = pop_mark(&mut stack)?;
                stack.push(Item::V(json!({ "__tuple": items })));
            }
            0x85..=0x87 => {
                let n = (op - 0x84) as usize;
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(pop(&mut stack)?);
                }
                items.reverse();
                stack.push(Item::V(json!({ "__tuple": items })));
            }
            0x91 => {
                let items = pop_mark(&mut stack)?;
                stack.push(Item::V(json!({ "__frozenset": items })));
            }
            b'd' => {
                let items = pop_mark(&mut stack)?;
                let mut m = Map::new();
                for p in items.chunks(2) {
                    if let [k, v] = p {
                        m.insert(key_text(k), v.clone());
                    }
                }
                stack.push(Item::V(Value::Object(m)));
            }
            b'a' => {
                let v = pop(&mut stack)?;
                if let Value::Array(a) = top(&mut stack)? {
                    a.push(v);
                }
            }
            b'e' | 0x90 => {
                let items = pop_mark(&mut stack)?;
                match top(&mut stack)? {
                    Value::Array(a) => a.extend(items),
                    Value::Object(m) => {
                        if let Some(Value::Array(a)) = m.get_mut("__set") {
                            a.extend(items);
                        }
                    }
                    _ => {}
                }
            }
            b's' => {
                let v = pop(&mut stack)?;
                let k = pop(&mut stack)?;
                if let Value::Object(m) = top(&mut stack)? {
                    m.insert(key_text(&k), v);
                }
            }
            b'u' => {
                let items = pop_mark(&mut stack)?;
                if let Value::Object(m) = top(&mut stack)? {
                    for p in items.chunks(2) {
                        if let [k, v] = p {
                            m.insert(key_text(k), v.clone());
                        }
                    }
                }
            }
            b'c' | b'i' => {
                let module = line(&mut c)?;
                let name = line(&mut c)?;
                arg = format!("{module}.{name}");
                let g = json!({ "__global": arg });
                if op == b'i' {
                    let args = pop_mark(&mut stack)?;
                    stack.push(Item::V(json!({"__reduce": g, "args": args})));
                } else {
                    stack.push(Item::V(g));
                }
            }
            0x93 => {
                let name = pop(&mut stack)?;
                let module = pop(&mut stack)?;
                arg = format!("{}.{}", key_text(&module), key_text(&name));
                stack.push(Item::V(json!({ "__global": arg })));
            }
            b'R' | 0x81 => {
                let args = pop(&mut stack)?;
                let f = pop(&mut stack)?;
                let k = if op == b'R' { "__reduce" } else { "__new" };
                stack.push(Item::V(json!({k: f, "args": args})));
            }
            0x92 => {
                let kwargs = pop(&mut stack)?;
                let args = pop(&mut stack)?;
                let f = pop(&mut stack)?;
                stack.push(Item::V(json!({"__new": f, "args": args, "kwargs": kwargs})));
            }
            b'o' => {
                let mut items = pop_mark(&mut stack)?;
                if items.is_empty() {
                    return Err("OBJ without a class".into());
                }
                let cls = items.remove(0);
                stack.push(Item::V(json!({"__new": cls, "args": items})));
            }
            b'b' => {
                let state = pop(&mut stack)?;
                let obj = top(&mut stack)?;
                match obj {
                    Value::Object(m) => {
                        m.insert("__state".into(), state);
                    }
                    other => *other = json!({"__object": std::mem::take(other), "__state": state}),
                }
            }
            b'p' | b'q' | b'r' | 0x94 => {
                let id = match op {
                    b'p' => {
                        arg = line(&mut c)?;
                        num::<u64>(arg.trim().as_bytes())?
                    }
                    b'q' => c.byte()? as u64,
                    b'r' => le(c.take(4)?),
                    _ => memo.len() as u64,
                };
                if op != b'p' {
                    arg = id.to_string();
                }
                let v = copy(top(&mut stack)?)?;
                if memo.len() < MAX_ITEMS {
                    memo.insert(id, v);
                }
            }
            b'g' | b'h' | b'j' => {
                let id = match op {
                    b'g' => {
                        arg = line(&mut c)?;
                        num::<u64>(arg.trim().as_bytes())?
                    }
                    b'h' => c.byte()? as u64,
                    _ => le(c.take(4)?),
                };
                arg = id.to_string();
                let v = match memo.get(&id) {
                    Some(v) => copy(v)?,
                    None => json!({ "__memo": id }),
                };
                stack.push(Item::V(v));
            }
            b'P' => {
                arg = line(&mut c)?;
                stack.push(Item::V(json!({ "__persistent_id": arg })));
            }
            b'Q' => {
                let id = pop(&mut stack)?;
                stack.push(Item::V(json!({ "__persistent_id": id })));
            }
            0x82..=0x84 => {
                let n = match op {
                    0x82 => c.byte()? as u64,
                    0x83 => le(c.take(2)?),
                    _ => le(c.take(4)?),
                };
                arg = n.to_string();
                stack.push(Item::V(json!({ "__extension": n })));
            }
            0x80 => {
                arg = c.byte()?.to_string();
            }
            0x95 => {
                arg = le(c.take(8)?).to_string();
            }
            0x97 => stack.push(Item::V(json!({"__out_of_band_buffer": true}))),
            0x98 => {}
            other => return Err(format!("unknown opcode 0x{other:02x} at byte {pos}")),
        }
        if ops.len() < 2000 {
            ops.push(format!(
                "{pos:>6} {}{}{arg}",
                op_name(op),
                if arg.is_empty() { "" } else { " " }
            ));
        }
    }
    let Some(value) = result else {
        return Err("no STOP opcode (not a complete pickle)".into());
    };
    if stack.len() > MAX_ITEMS {
        return Err("the stack grew too large".into());
    }
    Ok(json!({"value": value, "opcodes": ops}))
}

fn op_name(op: u8) -> &'static str {
    match op {
        b'(' => "MARK",
        b'.' => "STOP",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'L' => "LONG",
        b'M' => "BININT2",
        b'N' => "NONE",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        b'R' => "REDUCE",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'X' => "BINUNICODE",
        b'a' => "APPEND",
        b'b' => "BUILD",
        b'c' => "GLOBAL",
        b'd' => "DICT",
        b'}' => "EMPTY_DICT",
        b'e' => "APPENDS",
        b'g' => "GET",
        b'h' => "BINGET",
        b'i' => "INST",
        b'j' => "LONG_BINGET",
        b'l' => "LIST",
        b']' => "EMPTY_LIST",
        b'o' => "OBJ",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        b's' => "SETITEM",
        b't' => "TUPLE",
        b')' => "EMPTY_TUPLE",
        b'u' => "SETITEMS",
        b'G' => "BINFLOAT",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x80 => "PROTO",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        0x8A => "LONG1",
        0x8B => "LONG4",
        0x8C => "SHORT_BINUNICODE",
        0x8D => "BINUNICODE8",
        0x8E => "BINBYTES8",
        0x8F => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x94 => "MEMOIZE",
        0x95 => "FRAME",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "?",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn every_decompression_shows_what_is_inside() {
        let doc = br#"{"sym":"BTC","px":1.5}"#;
        let want = json!({"sym": "BTC", "px": 1.5});
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut z, doc).unwrap();
        let zlib = z.finish().unwrap();
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut d, doc).unwrap();
        let deflate = d.finish().unwrap();
        let mut lz4 = lz4_flex::frame::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut lz4, doc).unwrap();
        let lz4 = lz4.finish().unwrap();
        let lz4_block = lz4_flex::block::compress_prepend_size(doc);
        let snappy_raw = snap::raw::Encoder::new().compress_vec(doc).unwrap();
        let mut sf = snap::write::FrameEncoder::new(Vec::new());
        std::io::Write::write_all(&mut sf, doc).unwrap();
        let snappy_framed = sf.into_inner().unwrap();
        // `{"a":1}` compressed by Node's zlib.brotliCompressSync.
        let brotli = unhex("0b03807b2261223a317d03");
        for (view, bytes, json) in [
            ("zlib", &zlib, &want),
            ("deflate", &deflate, &want),
            ("lz4", &lz4, &want),
            ("lz4", &lz4_block, &want),
            ("snappy", &snappy_raw, &want),
            ("snappy", &snappy_framed, &want),
            ("brotli", &brotli, &json!({"a": 1})),
        ] {
            let d = view_as(bytes, view).unwrap_or_else(|e| panic!("{view}: {e}"));
            assert_eq!(d.json.as_ref(), Some(json), "{view}");
        }
        // Recognised by their magic bytes without picking a view.
        assert_eq!(auto(&zlib).format, "zlib");
        assert_eq!(auto(&lz4).format, "lz4");
        assert_eq!(auto(&snappy_framed).format, "snappy");
        // Not what was asked: a clear error.
        let e = view_as(b"plain", "gzip").unwrap_err().to_string();
        assert!(e.contains("not gzip"), "{e}");
        assert!(view_as(b"x", "nope").is_err());
    }

    #[test]
    fn a_bomb_is_refused_not_expanded() {
        let zeros = vec![0u8; MAX_DECOMPRESSED + 10];
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, &zeros).unwrap();
        let e = view_as(&z.finish().unwrap(), "zlib")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expands past"), "{e}");
        let mut block = ((MAX_DECOMPRESSED as u32) * 2).to_le_bytes().to_vec();
        block.extend([0x10, 0x61]);
        assert!(view_as(&block, "lz4").is_err());
    }

    #[test]
    fn text_hex_base64_msgpack_and_the_codec() {
        assert_eq!(view_as(b"a\xffb", "text").unwrap().text.unwrap(), "a\\xffb");
        assert_eq!(view_as(b"\x00\xff", "hex").unwrap().text.unwrap(), "00 ff");
        let d = view_as(b"eyJhIjoxfQ==", "base64").unwrap();
        assert_eq!(d.json, Some(json!({"a": 1})));
        let mp = rmp_serde::to_vec_named(&json!({"k": [1, 2]})).unwrap();
        assert_eq!(
            view_as(&mp, "msgpack").unwrap().json,
            Some(json!({"k": [1, 2]}))
        );
        let mut codec = vec![0xC1, b'M'];
        codec.extend(&mp);
        assert_eq!(
            view_as(&codec, "codec").unwrap().json,
            Some(json!({"k": [1, 2]}))
        );
        assert!(view_as(b"{", "json").is_err());
    }

    #[test]
    fn protobuf_wire_format_without_a_schema() {
        // field 1 varint 150, field 2 "hi", field 3 nested {1: 1}, field 4 fixed32.
        let raw = [
            0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x1a, 0x02, 0x08, 0x01, 0x25, 0, 0, 0x80,
            0x3f,
        ];
        let v = view_as(&raw, "protobuf").unwrap().json.unwrap();
        assert_eq!(v[0]["value"], 150);
        assert_eq!(v[1]["string"], "hi");
        assert_eq!(v[2]["message"][0]["value"], 1);
        assert_eq!(v[3]["float"], 1.0);
        assert!(view_as(&[0x08], "protobuf").is_err());
    }

    #[test]
    fn php_serialized_values() {
        let raw = b"a:3:{s:3:\"sym\";s:3:\"BTC\";i:0;d:1.5;s:1:\"o\";O:8:\"stdClass\":2:{s:1:\"a\";b:1;s:4:\"\0*\0p\";N;}}";
        let v = view_as(raw, "php").unwrap().json.unwrap();
        assert_eq!(v["sym"], "BTC");
        assert_eq!(v["0"], 1.5);
        assert_eq!(v["o"]["__class"], "stdClass");
        assert_eq!(v["o"]["a"], true);
        assert!(v["o"]["p"].is_null());
        assert_eq!(auto(raw).format, "php");
        assert!(view_as(br#"s:5:"abc";"#, "php").is_err());
    }

    #[test]
    fn java_serialized_structure() {
        // new Point(1, 2) where `class Point implements Serializable { int x, y; }`.
        let mut raw = vec![0xAC, 0xED, 0x00, 0x05, 0x73, 0x72, 0x00, 0x05];
        raw.extend(b"Point");
        raw.extend([0, 0, 0, 0, 0, 0, 0, 1, 0x02, 0x00, 0x02]);
        raw.extend([b'I', 0x00, 0x01, b'x', b'I', 0x00, 0x01, b'y', 0x78, 0x70]);
        raw.extend([0, 0, 0, 1, 0, 0, 0, 2]);
        let v = view_as(&raw, "java").unwrap().json.unwrap();
        assert_eq!(v, json!({"__class": "Point", "x": 1, "y": 2}));
        assert_eq!(auto(&raw).format, "java");
        assert!(view_as(b"\xac\xed\x00\x04", "java").is_err());
    }

    #[test]
    fn pickles_are_read_never_run() {
        // pickle.dumps({'a':[1,2.5,'x'],'b':(True,None),'c':b'\x00\x01','big':2**70}, protocol=4)
        let p4 = unhex("8004953e000000000000007d94288c0161945d94284b014740040000000000008c017894658c016294884e86948c01639443020001948c03626967948a09000000000000000040752e");
        let v = view_as(&p4, "pickle").unwrap().json.unwrap();
        assert_eq!(v["value"]["a"], json!([1, 2.5, "x"]));
        assert_eq!(v["value"]["b"], json!({"__tuple": [true, null]}));
        assert_eq!(v["value"]["c"], json!({"__bytes": "\u{0}\u{1}"}));
        assert!(v["value"]["big"]["__long_hex_le"].is_string());
        assert!(v["opcodes"][0].as_str().unwrap().contains("PROTO 4"));
        // Protocol 0 text opcodes.
        let p0 = unhex("286470300a56610a70310a49310a73566c0a70320a286c70330a49310a6149320a61732e");
        assert_eq!(
            view_as(&p0, "pickle").unwrap().json.unwrap()["value"],
            json!({"a": 1, "l": [1, 2]})
        );
        // A global and a call are shown, not imported or called.
        let od = unhex("800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006171024b01732e");
        let v = view_as(&od, "pickle").unwrap().json.unwrap();
        assert_eq!(
            v["value"]["__reduce"]["__global"],
            "collections.OrderedDict"
        );
        assert_eq!(v["value"]["a"], 1);
        assert_eq!(auto(&od).format, "pickle");
        assert!(view_as(b"\x80\x04K", "pickle").is_err());
        // Doubling by memo GETs (PUT 0, GET 0, GET 0, TUPLE2, repeated) is stopped, not built.
        let mut bomb = vec![0x80, 2, b']'];
        for _ in 0..200 {
            bomb.extend([b'q', 0, b'h', 0, b'h', 0, 0x86]);
        }
        bomb.push(b'.');
        let e = view_as(&bomb, "pickle").unwrap_err().to_string();
        assert!(e.contains("pickle bomb"), "{e}");
    }
}
