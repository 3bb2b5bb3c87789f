//! JSON exactly as Python's `json.dumps` writes it with its defaults, and a reader of what it
//! writes that `serde_json` refuses.
//!
//! Writing: `", "` and `": "` separators, non-ASCII and control characters escaped as `\uXXXX`
//! (`ensure_ascii`), floats as Python's `repr` (`1.0`, `1e-05`, `1e+16`), non-finite floats as
//! the tokens `NaN`, `Infinity`, `-Infinity`, integers of any width in full, map keys that are
//! integers, floats, booleans or `None` converted to strings as Python does. A top-level string
//! is written raw, without quotes (what `client.set("key", "value")` stores).
//!
//! Reading: [`from_slice`] accepts the `NaN`/`Infinity`/`-Infinity` tokens as floats and
//! integers wider than 64 bits; it is only the fallback when `serde_json` refuses a value.

use std::fmt::Display;

use serde::de::{self, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

/// Why a value cannot be written as Python JSON.
#[derive(Debug)]
pub struct WriteError(pub String);

impl Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WriteError {}

impl ser::Error for WriteError {
    fn custom<T: Display>(msg: T) -> Self {
        WriteError(msg.to_string())
    }
}

/// `value` as `json.dumps(value)` writes it; a top-level string (or char) is written raw.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, WriteError> {
    let mut w = Writer {
        out: Vec::with_capacity(128),
        depth: 0,
    };
    value.serialize(&mut w)?;
    Ok(w.out)
}

/// Python's `repr` of a float, which `json.dumps` writes (`NaN`, `Infinity` for non-finite).
pub fn write_float(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else {
        let mut buf = ryu::Buffer::new();
        let shortest = buf.format_finite(x);
        // ryu writes fixed notation (`175.5`, `1000.0`) exactly as Python's repr does for
        // magnitudes in 1e-4..1e16 (and zero); only other magnitudes need re-laying.
        if (x == 0.0 || x.abs() >= 1e-4) && !shortest.contains('e') {
            out.extend_from_slice(shortest.as_bytes());
        } else {
            repr_from_shortest(out, shortest);
        }
    }
}

fn write_f32(out: &mut Vec<u8>, x: f32) {
    if !x.is_finite() {
        return write_float(out, x as f64);
    }
    let mut buf = ryu::Buffer::new();
    repr_from_shortest(out, buf.format_finite(x));
}

/// Re-lays ryu's shortest digits (`1e16`, `0.0001`, `45000.5`, `-1.5e-7`) the way Python's
/// `float.__repr__` does: fixed notation when the decimal exponent is in `-4..16`, else
/// `d.ddde±XX` with at least two exponent digits.
fn repr_from_shortest(out: &mut Vec<u8>, s: &str) {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).collect();
    // Decimal point position relative to the digit string.
    let mut point = int_part.len() as i32 + exp;
    let lead = digits.iter().take_while(|&&d| d == b'0').count();
    if lead == digits.len() {
        out.extend_from_slice(if neg { b"-0.0" } else { b"0.0" });
        return;
    }
    digits.drain(..lead);
    point -= lead as i32;
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if neg {
        out.push(b'-');
    }
    let n = digits.len() as i32;
    if (-3..=16).contains(&point) {
        if point <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-point) as usize));
            out.extend_from_slice(&digits);
        } else if point >= n {
            out.extend_from_slice(&digits);
            out.extend(std::iter::repeat_n(b'0', (point - n) as usize));
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..point as usize]);
            out.push(b'.');
            out.extend_from_slice(&digits[point as usize..]);
        }
    } else {
        out.push(digits[0]);
        if n > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let e = point - 1;
        out.push(b'e');
        out.push(if e < 0 { b'-' } else { b'+' });
        let abs = e.unsigned_abs();
        if abs < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(abs.to_string().as_bytes());
    }
}

/// A JSON string literal with Python's `ensure_ascii` escaping.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut start = 0;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            continue;
        }
        if b >= 0x80 && !s.is_char_boundary(i) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        let mut unit = |u: u16| {
            out.extend_from_slice(b"\\u");
            for shift in [12, 8, 4, 0] {
                out.push(HEX[((u >> shift) & 0xF) as usize]);
            }
        };
        if b >= 0x80 {
            let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
            let mut pair = [0u16; 2];
            for u in c.encode_utf16(&mut pair) {
                unit(*u);
            }
            start = i + c.len_utf8();
            continue;
        }
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            other => unit(other as u16),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

struct Writer {
    out: Vec<u8>,
    /// Nesting depth: 0 while nothing has been opened (a string there is written raw).
    depth: usize,
}

/// An array or object being written; `first` is true until its first element.
struct Compound<'a> {
    w: &'a mut Writer,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_> {
    fn sep(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.w.out.extend_from_slice(b", ");
        }
    }
    fn finish(self) -> Result<(), WriteError> {
        self.w.depth -= 1;
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl Writer {
    fn open(&mut self, open: &'static [u8], close: &'static [u8]) -> Compound<'_> {
        self.depth += 1;
        self.out.extend_from_slice(open);
        Compound {
            w: self,
            first: true,
            close,
        }
    }
    fn int(&mut self, v: impl itoa_like::Int) -> Result<(), WriteError> {
        v.write(&mut self.out);
        Ok(())
    }
}

mod itoa_like {
    /// Integers written in decimal.
    pub trait Int: std::fmt::Display {
        fn write(self, out: &mut Vec<u8>);
    }
    impl<T: std::fmt::Display> Int for T {
        fn write(self, out: &mut Vec<u8>) {
            use std::io::Write;
            let _ = write!(out, "{self}");
        }
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), WriteError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), WriteError> {
        write_f32(&mut self.out, v);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), WriteError> {
        write_float(&mut self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), WriteError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), WriteError> {
        if self.depth == 0 {
            self.out.extend_from_slice(v.as_bytes());
        } else {
            write_str(&mut self.out, v);
        }
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), WriteError> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), WriteError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), WriteError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), WriteError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), WriteError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), WriteError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), WriteError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), WriteError> {
        self.depth += 1;
        self.out.push(b'{');
        write_str(&mut self.out, variant);
        self.out.extend_from_slice(b": ");
        v.serialize(&mut *self)?;
        self.out.push(b'}');
        self.depth -= 1;
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, WriteError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, WriteError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, WriteError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, WriteError> {
        self.out.push(b'{');
        write_str(&mut self.out, variant);
        self.out.extend_from_slice(b": ");
        Ok(self.open(b"[", b"]}"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, WriteError> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, WriteError> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, WriteError> {
        self.out.push(b'{');
        write_str(&mut self.out, variant);
        self.out.extend_from_slice(b": ");
        Ok(self.open(b"{", b"}}"))
    }
}

macro_rules! seq_like {
    ($($tr:ident :: $m:ident),*) => {
        $(impl ser::$tr for Compound<'_> {
            type Ok = ();
            type Error = WriteError;
            fn $m<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), WriteError> {
                self.sep();
                v.serialize(&mut *self.w)
            }
            fn end(self) -> Result<(), WriteError> {
                self.finish()
            }
        })*
    };
}

seq_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), WriteError> {
        self.sep();
        k.serialize(KeyWriter(&mut self.w.out))?;
        self.w.out.extend_from_slice(b": ");
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), WriteError> {
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), WriteError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), WriteError> {
        self.sep();
        write_str(&mut self.w.out, name);
        self.w.out.extend_from_slice(b": ");
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), WriteError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = WriteError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), WriteError> {
        ser::SerializeStruct::serialize_field(self, name, v)
    }
    fn end(self) -> Result<(), WriteError> {
        self.finish()
    }
}

/// Writes a map key as Python does: strings as they are; ints, floats, booleans and `None` as
/// their JSON text in quotes; anything else refused (`keys must be str, int, float, bool or None`).
struct KeyWriter<'a>(&'a mut Vec<u8>);

fn bad_key() -> WriteError {
    WriteError("map keys must be str, int, float, bool or None to be JSON".into())
}

impl KeyWriter<'_> {
    fn quoted(self, text: &[u8]) -> Result<(), WriteError> {
        self.0.push(b'"');
        self.0.extend_from_slice(text);
        self.0.push(b'"');
        Ok(())
    }
    fn int(self, v: impl std::fmt::Display) -> Result<(), WriteError> {
        self.quoted(v.to_string().as_bytes())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = WriteError;
    type SerializeSeq = ser::Impossible<(), WriteError>;
    type SerializeTuple = ser::Impossible<(), WriteError>;
    type SerializeTupleStruct = ser::Impossible<(), WriteError>;
    type SerializeTupleVariant = ser::Impossible<(), WriteError>;
    type SerializeMap = ser::Impossible<(), WriteError>;
    type SerializeStruct = ser::Impossible<(), WriteError>;
    type SerializeStructVariant = ser::Impossible<(), WriteError>;

    fn serialize_bool(self, v: bool) -> Result<(), WriteError> {
        self.quoted(if v { b"true" } else { b"false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), WriteError> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), WriteError> {
        let mut text = Vec::new();
        write_f32(&mut text, v);
        self.quoted(&text)
    }
    fn serialize_f64(self, v: f64) -> Result<(), WriteError> {
        let mut text = Vec::new();
        write_float(&mut text, v);
        self.quoted(&text)
    }
    fn serialize_char(self, v: char) -> Result<(), WriteError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), WriteError> {
        write_str(self.0, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), WriteError> {
        Err(bad_key())
    }
    fn serialize_none(self) -> Result<(), WriteError> {
        self.quoted(b"null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), WriteError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), WriteError> {
        self.quoted(b"null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), WriteError> {
        self.quoted(b"null")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), WriteError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), WriteError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), WriteError> {
        Err(bad_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, WriteError> {
        Err(bad_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, WriteError> {
        Err(bad_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, WriteError> {
        Err(bad_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, WriteError> {
        Err(bad_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, WriteError> {
        Err(bad_key())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, WriteError> {
        Err(bad_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, WriteError> {
        Err(bad_key())
    }
}

// ----- reading -----

/// A parsed Python-JSON value: like JSON, plus non-finite floats and integers of any width.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A negative integer that fits 128 bits.
    Int(i128),
    /// A non-negative integer that fits 128 bits.
    UInt(u128),
    /// Any other number, including `NaN`, `Infinity`, `-Infinity`.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<PyValue>),
    /// An object, in the order written.
    Object(Vec<(String, PyValue)>),
}

impl PyValue {
    /// The value as `serde_json` JSON, for display: non-finite floats become `null`, integers
    /// wider than 64 bits the nearest float.
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value;
        let float = |f: f64| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number);
        match self {
            PyValue::Null => Value::Null,
            PyValue::Bool(b) => Value::Bool(b),
            PyValue::UInt(u) => u64::try_from(u).map_or_else(|_| float(u as f64), Value::from),
            PyValue::Int(i) => i64::try_from(i).map_or_else(|_| float(i as f64), Value::from),
            PyValue::Float(f) => float(f),
            PyValue::Str(s) => Value::String(s),
            PyValue::Array(a) => Value::Array(a.into_iter().map(PyValue::into_json).collect()),
            PyValue::Object(o) => {
                Value::Object(o.into_iter().map(|(k, v)| (k, v.into_json())).collect())
            }
        }
    }
}

/// Deepest nesting read (serde_json's own limit).
const MAX_DEPTH: usize = 128;

/// Parses one Python-JSON value (surrounding whitespace allowed).
pub fn parse(bytes: &[u8]) -> Result<PyValue, String> {
    let mut p = Parser { b: bytes, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != bytes.len() {
        return Err(format!("trailing characters at byte {}", p.i));
    }
    Ok(v)
}

/// Deserializes `T` from Python JSON (see [`parse`]).
pub fn from_slice<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let v = parse(bytes)?;
    T::deserialize(v).map_err(|e: de::value::Error| e.to_string())
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self
            .b
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.b[self.i..].starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, String> {
        if depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        self.ws();
        let Some(&c) = self.b.get(self.i) else {
            return self.err("unexpected end");
        };
        match c {
            b'n' if self.eat(b"null") => Ok(PyValue::Null),
            b't' if self.eat(b"true") => Ok(PyValue::Bool(true)),
            b'f' if self.eat(b"false") => Ok(PyValue::Bool(false)),
            b'N' if self.eat(b"NaN") => Ok(PyValue::Float(f64::NAN)),
            b'I' if self.eat(b"Infinity") => Ok(PyValue::Float(f64::INFINITY)),
            b'-' if self.eat(b"-Infinity") => Ok(PyValue::Float(f64::NEG_INFINITY)),
            b'"' => self.string().map(PyValue::Str),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b"]") {
                    return Ok(PyValue::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b",") {
                        continue;
                    }
                    if self.eat(b"]") {
                        return Ok(PyValue::Array(items));
                    }
                    return self.err("expected , or ]");
                }
            }
            b'{' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b"}") {
                    return Ok(PyValue::Object(items));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return self.err("expected a string key");
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(b":") {
                        return self.err("expected :");
                    }
                    items.push((k, self.value(depth + 1)?));
                    self.ws();
                    if self.eat(b",") {
                        continue;
                    }
                    if self.eat(b"}") {
                        return Ok(PyValue::Object(items));
                    }
                    return self.err("expected , or }");
                }
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => self.err("unexpected character"),
        }
    }

    fn number(&mut self) -> Result<PyValue, String> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i > s
        };
        if !digits(self) {
            return self.err("expected digits");
        }
        let mut float = false;
        if self.eat(b".") {
            float = true;
            if !digits(self) {
                return self.err("expected digits after .");
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            float = true;
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !digits(self) {
                return self.err("expected exponent digits");
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).map_err(|e| e.to_string())?;
        if !float {
            if let Ok(u) = text.parse::<u128>() {
                return Ok(PyValue::UInt(u));
            }
            if let Ok(i) = text.parse::<i128>() {
                return Ok(PyValue::Int(i));
            }
        }
        text.parse::<f64>()
            .map(PyValue::Float)
            .map_err(|e| format!("bad number {text:?}: {e}"))
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return self.err("unterminated string");
            };
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let Some(&e) = self.b.get(self.i) else {
                        return self.err("unterminated escape");
                    };
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()? as u32;
                            if (0xD800..0xDC00).contains(&cp) && self.eat(b"\\u") {
                                let lo = self.hex4()? as u32;
                                if (0xDC00..0xE000).contains(&lo) {
                                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                } else {
                                    return self.err("bad surrogate pair");
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        _ => return self.err("bad escape"),
                    }
                }
                other => out.push(other),
            }
        }
    }

    fn hex4(&mut self) -> Result<u16, String> {
        let s = self
            .b
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u16::from_str_radix(h, 16).ok());
        match s {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => self.err("bad \\u escape"),
        }
    }
}

impl<'de> IntoDeserializer<'de, de::value::Error> for PyValue {
    type Deserializer = PyValue;
    fn into_deserializer(self) -> PyValue {
        self
    }
}

impl<'de> de::Deserializer<'de> for PyValue {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self {
            PyValue::Null => v.visit_unit(),
            PyValue::Bool(b) => v.visit_bool(b),
            PyValue::UInt(u) => match u64::try_from(u) {
                Ok(x) => v.visit_u64(x),
                Err(_) => v.visit_u128(u),
            },
            PyValue::Int(i) => match i64::try_from(i) {
                Ok(x) => v.visit_i64(x),
                Err(_) => v.visit_i128(i),
            },
            PyValue::Float(f) => v.visit_f64(f),
            PyValue::Str(s) => v.visit_string(s),
            PyValue::Array(a) => {
                let mut seq = de::value::SeqDeserializer::new(a.into_iter());
                let out = v.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            PyValue::Object(o) => {
                let mut map = de::value::MapDeserializer::new(o.into_iter());
                let out = v.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        match self {
            PyValue::Null => v.visit_none(),
            other => v.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            PyValue::Str(s) => v.visit_enum(s.into_deserializer()),
            PyValue::Object(mut o) if o.len() == 1 => {
                let (variant, value) = o.remove(0);
                v.visit_enum(Variant { variant, value })
            }
            _ => Err(de::Error::custom(
                "an enum must be a string or an object with one key",
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Variant {
    variant: String,
    value: PyValue,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = de::value::Error;
    type Variant = PyValue;
    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, PyValue), Self::Error> {
        let name = seed.deserialize(de::value::StringDeserializer::<Self::Error>::new(
            self.variant,
        ))?;
        Ok((name, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for PyValue {
    type Error = de::value::Error;
    fn unit_variant(self) -> Result<(), Self::Error> {
        match self {
            PyValue::Null => Ok(()),
            _ => Err(de::Error::custom("expected a unit variant")),
        }
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, Self::Error> {
        de::Deserializer::deserialize_seq(self, v)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        de::Deserializer::deserialize_map(self, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut out = Vec::new();
        write_float(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_are_python_reprs() {
        // Each pair is (value, repr(value) in CPython 3).
        for (x, py) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (45000.5, "45000.5"),
            (0.1, "0.1"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e17, "1.2345e+17"),
            (1.5e300, "1.5e+300"),
            (123456789.125, "123456789.125"),
            (-2.5e-10, "-2.5e-10"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(f(x), py, "{x:e}");
        }
    }

    #[test]
    fn the_fixed_notation_shortcut_writes_what_the_full_re_laying_writes() {
        let full = |x: f64| {
            let mut out = Vec::new();
            repr_from_shortest(&mut out, ryu::Buffer::new().format_finite(x));
            String::from_utf8(out).unwrap()
        };
        let mut values = vec![
            1e-4,
            9.999_999_999_999_999e-5,
            f64::from_bits(1e-4f64.to_bits() + 1),
            1e-5,
            9_999_999_999_999_998.0,
            1e16,
            175.51,
            -0.0,
        ];
        // Bit patterns spread over every magnitude, both signs.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(f64::from_bits(x));
            // And prices with a few decimals, what ticks carry.
            values.push((x % 10_000_000) as f64 / 100.0);
        }
        for v in values.into_iter().filter(|v| v.is_finite()) {
            assert_eq!(f(v), full(v), "{v:e}");
        }
    }

    #[test]
    fn strings_are_escaped_like_ensure_ascii() {
        let v = serde_json::json!({"k": "é\u{1F600}\"\\\n\t\u{7f}\u{1}/"});
        assert_eq!(
            String::from_utf8(to_vec(&v).unwrap()).unwrap(),
            r#"{"k": "\u00e9\ud83d\ude00\"\\\n\t\u007f\u0001/"}"#
        );
        assert_eq!(to_vec("raw é").unwrap(), "raw é".as_bytes());
    }

    #[test]
    fn reads_tokens_and_wide_integers() {
        let v = parse(br#"{"a": NaN, "b": [-Infinity, Infinity], "c": 1180591620717411303424, "d": -5, "e": "\ud83d\ude00"}"#).unwrap();
        let PyValue::Object(o) = v else { panic!() };
        assert!(matches!(o[0].1, PyValue::Float(x) if x.is_nan()));
        assert_eq!(o[2].1, PyValue::UInt(1u128 << 70));
        assert_eq!(o[3].1, PyValue::Int(-5));
        assert_eq!(o[4].1, PyValue::Str("\u{1F600}".into()));
        assert!(parse(b"[1,]").is_err());
        assert!(parse(b"{\"a\" 1}").is_err());
        assert!(parse(&[b'['; 1000]).is_err());
    }
}
