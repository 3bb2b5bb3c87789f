//! The typed messages of the trading pub/sub channels: the trading envelope
//! (`{type, timestamp, source, data}` on `trading:*`) and flat events
//! (`{event_type, timestamp, …}` on `{entity}.{action}` channels), with their payloads.
//!
//! Timestamps are written as each side's Python writes them: flat events (`signals.generated`,
//! …) with an explicit `+00:00` offset (`datetime.now(timezone.utc).isoformat()`), the trading
//! envelope naive UTC (`datetime.utcnow().isoformat()`, [`naive_utc`]). Both are read
//! leniently: an offset or `Z`, or a naive ISO time, which is taken as UTC.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The standard trading channels.
pub mod channels {
    /// Trade signals (`TRADE_SIGNAL`).
    pub const SIGNALS: &str = "trading:signals";
    /// Order updates (`ORDER_UPDATE`).
    pub const ORDERS: &str = "trading:orders";
    /// Position changes (`POSITION_UPDATE`).
    pub const POSITIONS: &str = "trading:positions";
    /// Price and risk alerts (`PRICE_ALERT`, `RISK_ALERT`).
    pub const ALERTS: &str = "trading:alerts";
    /// System events and heartbeats (`SYSTEM_EVENT`, `HEARTBEAT`).
    pub const SYSTEM: &str = "trading:system";
    /// Every standard channel, for subscribing to all of them.
    pub const ALL: [&str; 5] = [SIGNALS, ORDERS, POSITIONS, ALERTS, SYSTEM];

    /// Flat event: signals were generated.
    pub const SIGNALS_GENERATED: &str = "signals.generated";
    /// Flat event: orders were executed.
    pub const ORDERS_EXECUTED: &str = "orders.executed";
    /// Flat event: positions changed.
    pub const POSITIONS_UPDATED: &str = "positions.updated";
}

/// The `type` of an envelope message; unknown types written by other services are kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `TRADE_SIGNAL`
    TradeSignal,
    /// `ORDER_UPDATE`
    OrderUpdate,
    /// `POSITION_UPDATE`
    PositionUpdate,
    /// `PRICE_ALERT`
    PriceAlert,
    /// `RISK_ALERT`
    RiskAlert,
    /// `SYSTEM_EVENT`
    SystemEvent,
    /// `HEARTBEAT`
    Heartbeat,
    /// Any other type name, as written.
    Other(String),
}

impl MessageType {
    /// The wire name (`TRADE_SIGNAL`, …).
    pub fn as_str(&self) -> &str {
        match self {
            MessageType::TradeSignal => "TRADE_SIGNAL",
            MessageType::OrderUpdate => "ORDER_UPDATE",
            MessageType::PositionUpdate => "POSITION_UPDATE",
            MessageType::PriceAlert => "PRICE_ALERT",
            MessageType::RiskAlert => "RISK_ALERT",
            MessageType::SystemEvent => "SYSTEM_EVENT",
            MessageType::Heartbeat => "HEARTBEAT",
            MessageType::Other(s) => s,
        }
    }

    /// Parses a wire name; matching is case-insensitive (Python enums are sometimes lower-case).
    pub fn parse(s: &str) -> MessageType {
        match s.to_ascii_uppercase().as_str() {
            "TRADE_SIGNAL" => MessageType::TradeSignal,
            "ORDER_UPDATE" => MessageType::OrderUpdate,
            "POSITION_UPDATE" => MessageType::PositionUpdate,
            "PRICE_ALERT" => MessageType::PriceAlert,
            "RISK_ALERT" => MessageType::RiskAlert,
            "SYSTEM_EVENT" => MessageType::SystemEvent,
            "HEARTBEAT" => MessageType::Heartbeat,
            _ => MessageType::Other(s.to_string()),
        }
    }

    /// The standard channel this type is published on (the trading channel table); `None` for unknown types.
    pub fn channel(&self) -> Option<&'static str> {
        Some(match self {
            MessageType::TradeSignal => channels::SIGNALS,
            MessageType::OrderUpdate => channels::ORDERS,
            MessageType::PositionUpdate => channels::POSITIONS,
            MessageType::PriceAlert | MessageType::RiskAlert => channels::ALERTS,
            MessageType::SystemEvent | MessageType::Heartbeat => channels::SYSTEM,
            MessageType::Other(_) => return None,
        })
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MessageType {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MessageType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(MessageType::parse(&s))
    }
}

/// Serde helpers for UTC timestamps: written with `+00:00`, read with or without an offset.
pub mod utc_timestamp {
    use super::*;

    /// Writes `2025-01-18T09:00:00.123456+00:00`.
    pub fn serialize<S: Serializer>(
        t: &DateTime<Utc>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    /// Reads RFC 3339 (any offset, converted to UTC), a naive ISO time (taken as UTC) or a
    /// number of seconds since the epoch.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<DateTime<Utc>, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => parse(&s).map_err(de::Error::custom),
            Value::Number(n) => n
                .as_f64()
                .and_then(|secs| DateTime::from_timestamp_micros((secs * 1e6).round() as i64))
                .ok_or_else(|| de::Error::custom("timestamp out of range")),
            other => Err(de::Error::custom(format!(
                "timestamp must be an ISO-8601 string, got {other}"
            ))),
        }
    }

    /// The wire form of a timestamp.
    pub fn format(t: &DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Micros, false)
    }

    /// Parses the forms [`deserialize`] accepts from a string.
    pub fn parse(s: &str) -> Result<DateTime<Utc>> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(t.with_timezone(&Utc));
        }
        for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
                return Ok(t.and_utc());
            }
        }
        Err(Error::Codec(format!("not an ISO-8601 timestamp: {s:?}")))
    }
}

/// Serde helpers for naive UTC timestamps, as Python's `datetime.utcnow().isoformat()` writes
/// them (`2025-01-18T09:00:00.123456`, no fraction when the microseconds are zero), for readers
/// that compare with a naive `utcnow()`; read like [`utc_timestamp`] (any offset accepted).
pub mod naive_utc {
    use super::*;

    /// Writes `2025-01-18T09:00:00.123456`.
    pub fn serialize<S: Serializer>(
        t: &DateTime<Utc>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    /// Reads what [`utc_timestamp::deserialize`] reads.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<DateTime<Utc>, D::Error> {
        utc_timestamp::deserialize(d)
    }

    /// The wire form: `%Y-%m-%dT%H:%M:%S`, plus `.%6f` when the microseconds are not zero.
    pub fn format(t: &DateTime<Utc>) -> String {
        let mut out = Vec::with_capacity(26);
        write(&mut out, t);
        String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into())
    }

    /// Appends [`format`]'s text to `out`. Years 0–9999 outside a leap second are written digit
    /// by digit (a publisher stamps every tick; chrono's formatter costs several times more);
    /// the rest goes through chrono, byte for byte the same.
    pub fn write(out: &mut Vec<u8>, t: &DateTime<Utc>) {
        use chrono::{Datelike, Timelike};
        let micros = t.timestamp_subsec_micros();
        let year = t.year();
        if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
            let whole = t.format("%Y-%m-%dT%H:%M:%S");
            let text = if micros == 0 {
                whole.to_string()
            } else {
                format!("{whole}.{micros:06}")
            };
            out.extend_from_slice(text.as_bytes());
            return;
        }
        let digits = |out: &mut Vec<u8>, v: u32, n: u32| {
            for i in (0..n).rev() {
                out.push(b'0' + (v / 10u32.pow(i) % 10) as u8);
            }
        };
        digits(out, year as u32, 4);
        out.push(b'-');
        digits(out, t.month(), 2);
        out.push(b'-');
        digits(out, t.day(), 2);
        out.push(b'T');
        digits(out, t.hour(), 2);
        out.push(b':');
        digits(out, t.minute(), 2);
        out.push(b':');
        digits(out, t.second(), 2);
        if micros != 0 {
            out.push(b'.');
            digits(out, micros, 6);
        }
    }
}

/// The trading envelope: `{"type", "timestamp", "source", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// What the message is.
    #[serde(rename = "type")]
    pub message_type: MessageType,
    /// When it was produced (UTC, written naive like `datetime.utcnow().isoformat()`).
    #[serde(with = "naive_utc")]
    pub timestamp: DateTime<Utc>,
    /// The producing service.
    #[serde(default)]
    pub source: String,
    /// The type-specific body; see [`Envelope::payload`] for the typed view.
    #[serde(default)]
    pub data: Value,
}

impl Envelope {
    /// An envelope stamped now, with `data` serialised from a typed payload.
    pub fn new(message_type: MessageType, source: &str, data: impl Serialize) -> Result<Envelope> {
        Ok(Envelope {
            message_type,
            timestamp: Utc::now(),
            source: source.to_string(),
            data: serde_json::to_value(data)?,
        })
    }

    /// An envelope for a typed payload, with the type that payload implies.
    pub fn from_payload(source: &str, payload: &Payload) -> Result<Envelope> {
        let (t, data) = match payload {
            Payload::TradeSignal(p) => (MessageType::TradeSignal, serde_json::to_value(p)?),
            Payload::OrderUpdate(p) => (MessageType::OrderUpdate, serde_json::to_value(p)?),
            Payload::PositionUpdate(p) => (MessageType::PositionUpdate, serde_json::to_value(p)?),
            Payload::PriceAlert(p) => (MessageType::PriceAlert, serde_json::to_value(p)?),
            Payload::RiskAlert(p) => (MessageType::RiskAlert, serde_json::to_value(p)?),
            Payload::SystemEvent(p) => (MessageType::SystemEvent, serde_json::to_value(p)?),
            Payload::Heartbeat(p) => (MessageType::Heartbeat, serde_json::to_value(p)?),
            Payload::Other(data) => (MessageType::Other("CUSTOM".into()), data.clone()),
        };
        Ok(Envelope {
            message_type: t,
            timestamp: Utc::now(),
            source: source.to_string(),
            data,
        })
    }

    /// The typed body for the envelope's type; an error when `data` does not fit that type.
    pub fn payload(&self) -> Result<Payload> {
        fn from<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T> {
            T::deserialize(v).map_err(Error::from)
        }
        Ok(match &self.message_type {
            MessageType::TradeSignal => Payload::TradeSignal(from(&self.data)?),
            MessageType::OrderUpdate => Payload::OrderUpdate(from(&self.data)?),
            MessageType::PositionUpdate => Payload::PositionUpdate(from(&self.data)?),
            MessageType::PriceAlert => Payload::PriceAlert(from(&self.data)?),
            MessageType::RiskAlert => Payload::RiskAlert(from(&self.data)?),
            MessageType::SystemEvent => Payload::SystemEvent(from(&self.data)?),
            MessageType::Heartbeat => Payload::Heartbeat(from(&self.data)?),
            MessageType::Other(_) => Payload::Other(self.data.clone()),
        })
    }
}

/// The typed body of an envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// `TRADE_SIGNAL`
    TradeSignal(TradeSignal),
    /// `ORDER_UPDATE`
    OrderUpdate(OrderUpdate),
    /// `POSITION_UPDATE`
    PositionUpdate(PositionUpdate),
    /// `PRICE_ALERT`
    PriceAlert(Alert),
    /// `RISK_ALERT`
    RiskAlert(Alert),
    /// `SYSTEM_EVENT`
    SystemEvent(SystemEvent),
    /// `HEARTBEAT`
    Heartbeat(Heartbeat),
    /// A type this library does not know: the raw `data`.
    Other(Value),
}

/// A trade signal (`publish_trade_signal("AAPL", "BUY", confidence=0.85)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeSignal {
    /// Instrument.
    pub symbol: String,
    /// Direction as written (`BUY`, `SELL`, `HOLD`, …).
    pub signal: String,
    /// Confidence in [0, 1].
    #[serde(default)]
    pub confidence: f64,
    /// Any further fields the producer added (price, strategy, …), kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An order's new state (`publish_order_update("ORD001", "FILLED", "AAPL")`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// The order's id.
    pub order_id: String,
    /// Its status as written (`NEW`, `FILLED`, `CANCELLED`, …).
    pub status: String,
    /// Instrument.
    #[serde(default)]
    pub symbol: String,
    /// Further fields (quantity, fill price, …), kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A position change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionUpdate {
    /// Instrument.
    pub symbol: String,
    /// Signed position size after the change.
    #[serde(default)]
    pub quantity: f64,
    /// Further fields (average price, P&L, …), kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How urgent an alert is; read case-insensitively, unknown levels kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Severity {
    /// For information.
    Info,
    /// Needs attention soon.
    Warning,
    /// Needs attention now.
    Error,
    /// Trading is at risk.
    Critical,
    /// Any other level, as written.
    Other(String),
}

impl Severity {
    /// The wire name (`info`, `warning`, `error`, `critical`, or the level as written).
    pub fn as_str(&self) -> &str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
            Severity::Other(s) => s,
        }
    }

    /// Parses a level name, ignoring case (`WARNING` and `warning` are the same level).
    pub fn parse(s: &str) -> Severity {
        match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "error" => Severity::Error,
            "critical" => Severity::Critical,
            _ => Severity::Other(s.to_string()),
        }
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Severity::parse(&String::deserialize(d)?))
    }
}

/// A price or risk alert (`publish_alert("risk", "Daily loss limit approaching", severity="warning")`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The alert's category as given to `publish_alert` (`price`, `risk`, …).
    pub alert_type: String,
    /// Human-readable text.
    pub message: String,
    /// Urgency.
    pub severity: Severity,
    /// Further fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A system event (start, stop, reconfiguration, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemEvent {
    /// What happened.
    pub event: String,
    /// Further fields, kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A liveness beat of a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Heartbeat {
    /// Further fields (status, uptime, …), kept as written.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A flat event: `{"event_type", "timestamp", …fields}`, published on the channel named
/// by `event_type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlatEvent {
    /// Event identifier, which is also its channel (`signals.generated`, …).
    pub event_type: String,
    /// When the event occurred (UTC).
    #[serde(with = "utc_timestamp")]
    pub timestamp: DateTime<Utc>,
    /// The event-specific fields.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl FlatEvent {
    /// An event stamped now with no fields yet.
    pub fn new(event_type: &str) -> FlatEvent {
        FlatEvent {
            event_type: event_type.to_string(),
            timestamp: Utc::now(),
            fields: Map::new(),
        }
    }

    /// Adds a field (builder style).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> FlatEvent {
        self.fields.insert(name.to_string(), value.into());
        self
    }

    /// The typed view of a `signals.generated` event.
    pub fn signal_event(&self) -> Result<SignalEvent> {
        let v = serde_json::to_value(self)?;
        SignalEvent::deserialize(v).map_err(Error::from)
    }
}

/// The flat `SignalEvent` on `signals.generated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalEvent {
    /// Always `signals.generated`.
    pub event_type: String,
    /// When the signals were generated (UTC).
    #[serde(with = "utc_timestamp")]
    pub timestamp: DateTime<Utc>,
    /// The producing strategy.
    pub strategy_id: String,
    /// Symbols with a new signal.
    pub symbols: Vec<String>,
    /// How many signals.
    pub num_signals: u64,
    /// The trading date the signals are for (`YYYY-MM-DD`).
    pub as_of_date: String,
}

impl SignalEvent {
    /// A `signals.generated` event stamped now.
    pub fn new(strategy_id: &str, symbols: Vec<String>, as_of_date: &str) -> SignalEvent {
        SignalEvent {
            event_type: channels::SIGNALS_GENERATED.to_string(),
            timestamp: Utc::now(),
            strategy_id: strategy_id.to_string(),
            num_signals: symbols.len() as u64,
            symbols,
            as_of_date: as_of_date.to_string(),
        }
    }
}

/// What a received payload turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A trading envelope.
    Envelope(Envelope),
    /// A flat event.
    Event(FlatEvent),
    /// Valid JSON of neither shape.
    Json(Value),
    /// Not JSON (or not UTF-8): the raw bytes are in the message; `reason` says why.
    Undecodable {
        /// Why decoding failed.
        reason: String,
    },
}

impl Body {
    /// Decodes a payload: an envelope when it has `type` and `timestamp`, a flat event when it
    /// has `event_type` and `timestamp`, other JSON as is; never fails.
    pub fn decode(payload: &[u8]) -> Body {
        let value: Value = match serde_json::from_slice(payload) {
            Ok(v) => v,
            Err(e) => {
                return Body::Undecodable {
                    reason: format!("not JSON: {e}"),
                }
            }
        };
        let Value::Object(obj) = &value else {
            return Body::Json(value);
        };
        if obj.contains_key("type") && obj.contains_key("timestamp") {
            return match Envelope::deserialize(&value) {
                Ok(e) => Body::Envelope(e),
                Err(e) => Body::Undecodable {
                    reason: format!("bad envelope: {e}"),
                },
            };
        }
        if obj.contains_key("event_type") && obj.contains_key("timestamp") {
            return match FlatEvent::deserialize(&value) {
                Ok(e) => Body::Event(e),
                Err(e) => Body::Undecodable {
                    reason: format!("bad event: {e}"),
                },
            };
        }
        Body::Json(value)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn naive_utc_text_is_chronos_for_every_kind_of_time() {
        use chrono::{NaiveDate, TimeZone};
        let chrono_text = |t: &DateTime<Utc>| {
            let micros = t.timestamp_subsec_micros();
            let whole = t.format("%Y-%m-%dT%H:%M:%S");
            if micros == 0 {
                whole.to_string()
            } else {
                format!("{whole}.{micros:06}")
            }
        };
        let mut times: Vec<DateTime<Utc>> = [
            0i64,
            1,
            999,
            1_737_115_200_123,
            -62_135_596_800_000, // 0001-01-01
            253_402_300_799_999, // 9999-12-31T23:59:59.999
            253_402_300_800_000, // 10000-01-01: written by chrono
        ]
        .iter()
        .map(|ms| Utc.timestamp_millis_opt(*ms).unwrap())
        .collect();
        // A pseudo-random spread of instants with microseconds, 1970..2100.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let micros = (x % 4_102_444_800_000_000) as i64;
            times.push(Utc.timestamp_micros(micros).unwrap());
        }
        // A leap second (nanoseconds past 1e9).
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_micro_opt(23, 59, 59, 1_500_000)
            .unwrap()
            .and_utc();
        times.push(leap);
        for t in &times {
            assert_eq!(naive_utc::format(t), chrono_text(t), "{t:?}");
        }
    }
    use super::*;

    #[test]
    fn envelope_round_trips_and_reads_python_forms() {
        let sig = TradeSignal {
            symbol: "AAPL".into(),
            signal: "BUY".into(),
            confidence: 0.85,
            extra: Map::new(),
        };
        let env = Envelope::from_payload("rust", &Payload::TradeSignal(sig.clone())).unwrap();
        let text = serde_json::to_string(&env).unwrap();
        assert!(text.contains("\"type\":\"TRADE_SIGNAL\""), "{text}");
        assert!(!text.contains("+00:00") && !text.contains('Z'), "{text}");
        let fixed = chrono::DateTime::parse_from_rfc3339("2025-01-18T09:00:00.120000Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(naive_utc::format(&fixed), "2025-01-18T09:00:00.120000");
        let whole = fixed - chrono::Duration::milliseconds(120);
        assert_eq!(naive_utc::format(&whole), "2025-01-18T09:00:00");
        let Body::Envelope(back) = Body::decode(text.as_bytes()) else {
            panic!("not an envelope: {text}");
        };
        assert_eq!(back.payload().unwrap(), Payload::TradeSignal(sig));

        // datetime.utcnow().isoformat(): no offset, taken as UTC.
        let py = br#"{"type":"risk_alert","timestamp":"2025-01-18T09:00:00.123456","source":"py",
            "data":{"alert_type":"risk","message":"m","severity":"warning","limit":5}}"#;
        let Body::Envelope(e) = Body::decode(py) else {
            panic!("python envelope not decoded");
        };
        assert_eq!(e.message_type, MessageType::RiskAlert);
        assert_eq!(e.timestamp.timestamp_micros() % 1_000_000, 123_456);
        let Payload::RiskAlert(a) = e.payload().unwrap() else {
            panic!("wrong payload");
        };
        assert_eq!(a.severity, Severity::Warning);
        assert_eq!(a.extra.get("limit"), Some(&Value::from(5)));
        assert_eq!(Severity::parse("CRITICAL"), Severity::Critical);
        assert_eq!(Severity::parse("page-me").as_str(), "page-me");
    }

    #[test]
    fn flat_events_and_garbage() {
        let raw = br#"{"event_type":"signals.generated","timestamp":"2025-01-18T09:00:00+00:00",
            "strategy_id":"alpha_baseline","symbols":["AAPL","MSFT","GOOGL"],"num_signals":3,
            "as_of_date":"2025-01-17"}"#;
        let Body::Event(ev) = Body::decode(raw) else {
            panic!("flat event not decoded");
        };
        let s = ev.signal_event().unwrap();
        assert_eq!(s.symbols.len(), 3);
        assert_eq!(s.num_signals, 3);
        assert!(matches!(
            Body::decode(b"\xff\x00 not json"),
            Body::Undecodable { .. }
        ));
        assert!(matches!(
            Body::decode(br#"{"type":"X","timestamp":"yesterday"}"#),
            Body::Undecodable { .. }
        ));
        assert!(matches!(Body::decode(b"[1,2]"), Body::Json(_)));
    }
}
