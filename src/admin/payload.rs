//! `Bytes`: how keys, channel names and payloads travel in API responses — lossless (base64) and
//! readable (UTF-8 text, or `\xNN` escapes with `binary: true`).

use base64::Engine;
use serde::Serialize;

/// Raw bytes as the API shows them: `{text, b64, binary?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bytes {
    /// The UTF-8 text, or an escaped display form when the bytes are not UTF-8.
    pub text: String,
    /// The exact bytes, base64.
    pub b64: String,
    /// Set when `text` is an escaped display form.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
}

impl Bytes {
    /// Wraps `raw` for display and lossless transport.
    pub fn new(raw: &[u8]) -> Bytes {
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        match std::str::from_utf8(raw) {
            Ok(s) => Bytes {
                text: s.to_string(),
                b64,
                binary: false,
            },
            Err(_) => Bytes {
                text: escape(raw),
                b64,
                binary: true,
            },
        }
    }
}

/// Printable ASCII as is, everything else as `\xNN` (and `\\` for a backslash).
pub fn escape(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary_are_both_lossless() {
        let t = Bytes::new(b"market:BTC");
        assert_eq!((t.text.as_str(), t.binary), ("market:BTC", false));
        let b = Bytes::new(&[0xff, b'a', b'\\']);
        assert_eq!((b.text.as_str(), b.binary), ("\\xffa\\\\", true));
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&b.b64)
                .unwrap(),
            vec![0xff, b'a', b'\\']
        );
    }
}
