//! [`MarketTick`], one market data update, and its stream-entry encoding: every field a plain
//! string (`symbol`, `price`, `bid`, `ask`, `volume`, `timestamp`, then any extra fields), the
//! shape redis-py producers write with `xadd('market:data', {'symbol': 'AAPL', 'price': '175.5'})`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// One market data update (quote or trade) as carried on a market stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketTick {
    /// Instrument symbol, e.g. `AAPL` or `BTC-USDT`.
    pub symbol: String,
    /// Last or mid price.
    pub price: f64,
    /// Best bid, when the producer sent one.
    pub bid: Option<f64>,
    /// Best ask, when the producer sent one.
    pub ask: Option<f64>,
    /// Traded volume (0 when the producer sent none).
    pub volume: f64,
    /// When the update happened (UTC).
    pub timestamp: DateTime<Utc>,
    /// Fields the producer sent beyond the known ones, kept as they were written.
    pub extra: BTreeMap<String, String>,
}

/// The field names [`MarketTick`] owns; every other field lands in [`MarketTick::extra`].
pub const KNOWN_FIELDS: [&str; 6] = ["symbol", "price", "bid", "ask", "volume", "timestamp"];

/// Why a stream entry could not be read as a [`MarketTick`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TickDecodeError {
    /// The offending field (`None` when the entry as a whole is unusable).
    pub field: Option<String>,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for TickDecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "field {field:?}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl MarketTick {
    /// A tick for `symbol` at `price`, stamped now, with no bid/ask and zero volume.
    pub fn new(symbol: impl Into<String>, price: f64) -> Self {
        MarketTick {
            symbol: symbol.into(),
            price,
            bid: None,
            ask: None,
            volume: 0.0,
            timestamp: Utc::now(),
            extra: BTreeMap::new(),
        }
    }

    /// Sets the best bid and ask.
    pub fn with_quote(mut self, bid: f64, ask: f64) -> Self {
        self.bid = Some(bid);
        self.ask = Some(ask);
        self
    }

    /// Sets the volume.
    pub fn with_volume(mut self, volume: f64) -> Self {
        self.volume = volume;
        self
    }

    /// Sets the timestamp.
    pub fn with_timestamp(mut self, timestamp: DateTime<Utc>) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Adds an extra field (exchange, sequence number, ...).
    pub fn with_extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(name.into(), value.into());
        self
    }

    /// Checks what a reader on the other side needs: a symbol, finite numbers, and extra
    /// fields that do not shadow the known ones.
    pub fn validate(&self) -> Result<(), TickDecodeError> {
        let bad = |field: &str, reason: &str| TickDecodeError {
            field: Some(field.to_string()),
            reason: reason.to_string(),
        };
        if self.symbol.is_empty() {
            return Err(bad("symbol", "empty"));
        }
        for (name, v) in [
            ("price", Some(self.price)),
            ("bid", self.bid),
            ("ask", self.ask),
            ("volume", Some(self.volume)),
        ] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(bad(name, "not a finite number"));
            }
        }
        if let Some(k) = self
            .extra
            .keys()
            .find(|k| KNOWN_FIELDS.contains(&k.as_str()))
        {
            return Err(bad(k, "an extra field may not reuse a known field's name"));
        }
        Ok(())
    }

    /// The entry's fields as strings, every known field always present (a reader may index
    /// `fields['bid']`): `symbol`, `price`, `bid` and `ask` (empty when unset), `volume`,
    /// `timestamp` as Python's `datetime.utcnow().isoformat()` writes it (naive UTC,
    /// microseconds when non-zero), then the extra fields. Numbers in their shortest exact
    /// decimal form, as Python's `str(float)`.
    pub fn to_fields(&self) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(6 + self.extra.len());
        self.each_field(|k, v| {
            out.push((k.to_string(), String::from_utf8_lossy(v).into_owned()));
        });
        out
    }

    /// Calls `field` with each name and value of [`MarketTick::to_fields`], in that order,
    /// without a string per field: what publishing does for every tick.
    pub fn each_field(&self, mut field: impl FnMut(&str, &[u8])) {
        let mut buf = Vec::with_capacity(32);
        field("symbol", self.symbol.as_bytes());
        for (name, v) in [
            ("price", Some(self.price)),
            ("bid", self.bid),
            ("ask", self.ask),
            ("volume", Some(self.volume)),
        ] {
            buf.clear();
            if let Some(x) = v {
                crate::codec::pyjson::write_float(&mut buf, x);
            }
            field(name, &buf);
        }
        buf.clear();
        crate::events::naive_utc::write(&mut buf, &self.timestamp);
        field("timestamp", &buf);
        for (k, v) in &self.extra {
            field(k, v.as_bytes());
        }
    }

    /// Reads a tick from an entry's raw fields. Values must be UTF-8; numbers may be written as
    /// Python does (`'175.5'`, `'1000'`, `'1e3'`); an absent, empty, `None` or `null` bid/ask is
    /// `None`; the timestamp may be RFC 3339, a naive ISO 8601 time (read as UTC), or epoch
    /// seconds / milliseconds; with no timestamp, `fallback_ms` (the entry id's time) is used.
    pub fn from_fields(
        fields: &[(Vec<u8>, Vec<u8>)],
        fallback_ms: i64,
    ) -> Result<MarketTick, TickDecodeError> {
        let mut symbol = None;
        let mut price = None;
        let mut bid = None;
        let mut ask = None;
        let mut volume = None;
        let mut timestamp = None;
        let mut extra = BTreeMap::new();
        for (k, v) in fields {
            let name = std::str::from_utf8(k).map_err(|_| TickDecodeError {
                field: Some(String::from_utf8_lossy(k).into_owned()),
                reason: "field name is not UTF-8".into(),
            })?;
            let value = std::str::from_utf8(v).map_err(|_| TickDecodeError {
                field: Some(name.to_string()),
                reason: "value is not UTF-8".into(),
            })?;
            match name {
                "symbol" => symbol = Some(value.trim().to_string()),
                "price" => price = Some(number(name, value)?),
                "bid" => bid = optional_number(name, value)?,
                "ask" => ask = optional_number(name, value)?,
                "volume" => volume = optional_number(name, value)?,
                "timestamp" => timestamp = parse_timestamp(value),
                _ => {
                    extra.insert(name.to_string(), value.to_string());
                }
            }
            if name == "timestamp" && timestamp.is_none() && !is_null(value) {
                return Err(TickDecodeError {
                    field: Some("timestamp".into()),
                    reason: format!("unreadable time {:?}", preview(value)),
                });
            }
        }
        let symbol = symbol.filter(|s| !s.is_empty()).ok_or(TickDecodeError {
            field: Some("symbol".into()),
            reason: "missing".into(),
        })?;
        let price = price.ok_or(TickDecodeError {
            field: Some("price".into()),
            reason: "missing".into(),
        })?;
        let timestamp = match timestamp {
            Some(t) => t,
            None => Utc
                .timestamp_millis_opt(fallback_ms)
                .single()
                .unwrap_or_default(),
        };
        Ok(MarketTick {
            symbol,
            price,
            bid,
            ask,
            volume: volume.unwrap_or(0.0),
            timestamp,
            extra,
        })
    }
}

fn is_null(v: &str) -> bool {
    let v = v.trim();
    v.is_empty() || v == "None" || v == "null"
}

fn preview(v: &str) -> String {
    v.chars().take(40).collect()
}

fn number(field: &str, v: &str) -> Result<f64, TickDecodeError> {
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(TickDecodeError {
            field: Some(field.to_string()),
            reason: format!("not a finite number: {:?}", preview(v)),
        }),
    }
}

fn optional_number(field: &str, v: &str) -> Result<Option<f64>, TickDecodeError> {
    if is_null(v) {
        Ok(None)
    } else {
        number(field, v).map(Some)
    }
}

/// RFC 3339, naive ISO 8601 (UTC), or epoch seconds (fractional) / milliseconds (> 1e11).
fn parse_timestamp(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if is_null(v) {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, fmt) {
            return Some(t.and_utc());
        }
    }
    let x: f64 = v
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x >= 0.0)?;
    let ms = if x > 1e11 { x } else { x * 1000.0 };
    Utc.timestamp_millis_opt(ms.round() as i64).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn round_trips_through_fields() {
        let t = MarketTick::new("AAPL", 175.5)
            .with_quote(175.45, 175.55)
            .with_volume(1000.0)
            .with_timestamp(Utc.timestamp_millis_opt(1_700_000_000_123).unwrap())
            .with_extra("exchange", "NASDAQ");
        let fields: Vec<(Vec<u8>, Vec<u8>)> = t
            .to_fields()
            .into_iter()
            .map(|(k, v)| (k.into_bytes(), v.into_bytes()))
            .collect();
        assert_eq!(fields.len(), 7);
        assert_eq!(MarketTick::from_fields(&fields, 0).unwrap(), t);
    }

    #[test]
    fn reads_python_style_fields() {
        let t = MarketTick::from_fields(
            &f(&[
                ("symbol", "MSFT"),
                ("price", "300"),
                ("bid", "None"),
                ("volume", "2000"),
                ("timestamp", "2024-01-02T03:04:05.678901"),
                ("source", "py"),
            ]),
            0,
        )
        .unwrap();
        assert_eq!(t.price, 300.0);
        assert_eq!((t.bid, t.ask), (None, None));
        assert_eq!(t.volume, 2000.0);
        assert_eq!(t.timestamp.timestamp_millis(), 1_704_164_645_678);
        assert_eq!(t.extra.len(), 1);
        let epoch = MarketTick::from_fields(
            &f(&[
                ("symbol", "X"),
                ("price", "1"),
                ("timestamp", "1700000000.5"),
            ]),
            0,
        )
        .unwrap();
        assert_eq!(epoch.timestamp.timestamp_millis(), 1_700_000_000_500);
        let fallback = MarketTick::from_fields(&f(&[("symbol", "X"), ("price", "1")]), 42).unwrap();
        assert_eq!(fallback.timestamp.timestamp_millis(), 42);
    }

    #[test]
    fn rejects_malformed_entries_with_the_field_named() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (&[("price", "1")], "symbol"),
            (&[("symbol", "X")], "price"),
            (&[("symbol", "X"), ("price", "abc")], "price"),
            (
                &[("symbol", "X"), ("price", "1"), ("timestamp", "yesterday")],
                "timestamp",
            ),
        ];
        for (fields, bad) in cases {
            let e = MarketTick::from_fields(&f(fields), 0).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(bad));
        }
        let binary = vec![(b"symbol".to_vec(), vec![0xff, 0xfe])];
        assert!(MarketTick::from_fields(&binary, 0).is_err());
        assert!(MarketTick::new("X", f64::NAN).validate().is_err());
        assert!(MarketTick::new("X", 1.0)
            .with_extra("price", "2")
            .validate()
            .is_err());
    }
}
