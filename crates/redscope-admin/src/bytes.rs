//! Lossless keys and values in the API: [`Bytes`] (UTF-8 text or an escaped display form, plus
//! base64) in responses, and `key` / `key_b64` pairs in requests: [`KeyRef`], resolved like
//! every other `name` / `name_b64` pair by [`key_arg`].

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use redscope::error::{Error, Result};

/// A key or value as the API returns it: display text, base64 of the exact bytes, and whether
/// the bytes were not UTF-8 (then `text` escapes them as `\xNN`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Bytes {
    /// UTF-8 text, or a display form with `\xNN` escapes when `binary`.
    pub text: String,
    /// The exact bytes, base64 (standard alphabet, padded).
    pub b64: String,
    /// True when the bytes are not valid UTF-8.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub binary: bool,
    /// Set when these are only the first bytes of a longer value: its true length.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub full_len: Option<u64>,
}

impl Bytes {
    /// Wraps raw bytes.
    pub fn new(raw: &[u8]) -> Bytes {
        let (text, binary) = match std::str::from_utf8(raw) {
            Ok(s) => (s.to_string(), false),
            Err(_) => (escape(raw), true),
        };
        Bytes {
            text,
            b64: B64.encode(raw),
            binary,
            full_len: None,
        }
    }

    /// The first bytes of a value of `full_len` bytes (cut to keep a reply bounded). A cut
    /// that splits a UTF-8 character shows the complete characters as text.
    pub fn cut(prefix: &[u8], full_len: u64) -> Bytes {
        let text_part = match std::str::from_utf8(prefix) {
            Ok(_) => prefix,
            Err(e) if e.error_len().is_none() => &prefix[..e.valid_up_to()],
            Err(_) => prefix,
        };
        let mut b = Bytes::new(text_part);
        if text_part.len() != prefix.len() {
            b.b64 = B64.encode(prefix);
        }
        b.full_len = (full_len > prefix.len() as u64).then_some(full_len);
        b
    }

    /// The exact bytes back (decodes `b64`).
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        decode_b64(&self.b64, "b64")
    }
}

impl From<&[u8]> for Bytes {
    fn from(raw: &[u8]) -> Self {
        Bytes::new(raw)
    }
}

/// Names one key in a request: `key` (UTF-8 text) or `key_b64` (base64 of any bytes), exactly one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct KeyRef {
    /// The key as UTF-8 text.
    pub key: Option<String>,
    /// The key as base64 (binary keys).
    pub key_b64: Option<String>,
}

impl KeyRef {
    /// Names a key by its text.
    pub fn text(key: impl Into<String>) -> KeyRef {
        KeyRef {
            key: Some(key.into()),
            key_b64: None,
        }
    }

    /// Names a key by its bytes (sent as base64).
    pub fn raw(key: &[u8]) -> KeyRef {
        KeyRef {
            key: None,
            key_b64: Some(B64.encode(key)),
        }
    }

    /// True when either form is given (requests where the key is optional).
    pub fn is_given(&self) -> bool {
        self.key.is_some() || self.key_b64.is_some()
    }

    /// The key's bytes; `invalid_input` unless exactly one form is given and decodes.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        key_arg(self.key.as_deref(), self.key_b64.as_deref(), "key")
    }
}

/// Printable ASCII as is (a backslash doubled), everything else as `\xNN`.
pub fn escape(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for &b in raw {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// Decodes base64 (standard or URL-safe alphabet, padding optional), naming `what` on failure.
pub fn decode_b64(s: &str, what: &str) -> Result<Vec<u8>> {
    let trimmed = s.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
        .map_err(|e| Error::InvalidInput(format!("{what} is not valid base64: {e}")))
}

/// Resolves a request's `text` / `b64` pair (e.g. `key` / `key_b64`) to bytes: exactly one must be set.
pub fn key_arg(text: Option<&str>, b64: Option<&str>, name: &str) -> Result<Vec<u8>> {
    match (text, b64) {
        (Some(t), None) => Ok(t.as_bytes().to_vec()),
        (None, Some(b)) => decode_b64(b, &format!("{name}_b64")),
        (Some(_), Some(_)) => Err(Error::InvalidInput(format!(
            "give either {name} or {name}_b64, not both"
        ))),
        (None, None) => Err(Error::InvalidInput(format!(
            "{name} (or {name}_b64) is required"
        ))),
    }
}

/// Like [`key_arg`], but `None` when neither is given.
pub fn opt_arg(text: Option<&str>, b64: Option<&str>, name: &str) -> Result<Option<Vec<u8>>> {
    if text.is_none() && b64.is_none() {
        return Ok(None);
    }
    key_arg(text, b64, name).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_bytes_are_escaped_and_round_trip() {
        let raw = b"k\xff\x00\\z";
        let b = Bytes::new(raw);
        assert!(b.binary);
        assert_eq!(b.text, "k\\xff\\x00\\\\z");
        assert_eq!(b.to_vec().unwrap(), raw);
        let json = serde_json::to_value(Bytes::new(b"plain")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"text": "plain", "b64": "cGxhaW4="})
        );
    }

    #[test]
    fn key_args_need_exactly_one_form() {
        assert_eq!(key_arg(Some("a"), None, "key").unwrap(), b"a");
        assert_eq!(key_arg(None, Some("/w"), "key").unwrap(), vec![0xff]);
        assert_eq!(key_arg(None, Some("_w"), "key").unwrap(), vec![0xff]);
        assert!(key_arg(None, None, "key").is_err());
        assert!(key_arg(Some("a"), Some("YQ=="), "key").is_err());
        assert!(key_arg(None, Some("!!"), "key").is_err());
        assert_eq!(KeyRef::raw(b"\xff\x00").bytes().unwrap(), b"\xff\x00");
        assert_eq!(KeyRef::text("a:b").bytes().unwrap(), b"a:b");
        assert!(!KeyRef::default().is_given());
        assert!(KeyRef::default().bytes().is_err());
    }
}
