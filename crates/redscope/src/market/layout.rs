//! The one registry of the trading key layout: for each kind of key the library writes, its
//! pattern, SCAN glob, where its TTL comes from, how its value is encoded and which view shows
//! it. Key builders, invalidation globs, findings, the series view and the UI all read it here.
//!
//! A pattern is written as in the docs, `:`-separated: `ticker:{exchange}:{symbol}`. When
//! a concrete key is [`classify`]d, literal segments match themselves; `{date}` (YYYY-MM-DD),
//! `{window_s}`, `{window_index}` (digits), `{hash}` and `{timeframe}` match one non-empty
//! segment; any other placeholder matches one or more non-empty segments (`ts:{series}` holds
//! `ts:metrics:latency`, an API endpoint may contain `:`).

use serde::Serialize;

use crate::keyspace::glob_escape;
use crate::ttl::DataType;

/// Key of the signal buffer.
pub const SIGNAL_BUFFER_KEY: &str = "signals:buffer";
/// Key of the market data stream (`market:data`, as the Python services name it).
pub const MARKET_STREAM_KEY: &str = "market:data";

/// Where a key's TTL comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TtlSource {
    /// The TTL policy's TTL of the entry's [`LayoutEntry::data_type`].
    Policy,
    /// The key's own window: an API-call counter expires when its window ends.
    Window,
    /// The writer's idle timeout, pushed out on every access (a session store's, 30 min by
    /// default).
    Sliding,
    /// No TTL: trimmed by length or age instead (the stream, time series).
    None,
}

/// How a key's value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Encoding {
    /// A string written by [`crate::codec`]: JSON by default (marked MessagePack or zstd when
    /// opted in).
    Json,
    /// A string holding an integer (`INCR`).
    Counter,
    /// A list of codec-encoded values, newest first.
    JsonList,
    /// A hash of text fields.
    Hash,
    /// A stream whose entries are text fields (a [`crate::stream::MarketTick`] each).
    Stream,
    /// A sorted set scored by epoch ms, members `{ts_ms}:{nonce}:{value}`.
    PointSeries,
    /// A sorted set scored by epoch ms, members `{ts_ms}:{nonce}:{ohlcv json}`.
    OhlcvSeries,
}

impl Encoding {
    /// The Redis type (`TYPE`) a key of this encoding has.
    pub fn redis_type(self) -> &'static str {
        match self {
            Encoding::Json | Encoding::Counter => "string",
            Encoding::JsonList => "list",
            Encoding::Hash => "hash",
            Encoding::Stream => "stream",
            Encoding::PointSeries | Encoding::OhlcvSeries => "zset",
        }
    }
}

/// The view the UI shows a key in instead of the raw value; serialised as the UI's names
/// (`candles`, `series`, `quotes`, `signals`, `features`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Shape {
    /// OHLCV candles with volume.
    Candles,
    /// A line chart of a metric series.
    Series,
    /// The quote board of the market stream.
    Quotes,
    /// The table of buffered signals.
    Signals,
    /// Feature name/value rows.
    Features,
}

/// One kind of key of the layout.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct LayoutEntry {
    /// Stable name: the data type's name where the entry has one (`ticker`, `candles_1m`, …).
    pub name: &'static str,
    /// The key pattern as written, e.g. `ticker:{exchange}:{symbol}`.
    pub pattern: &'static str,
    /// The SCAN glob of every key of the entry, e.g. `ticker:*`.
    pub glob: &'static str,
    /// The TTL policy's data type of these keys (and of their findings).
    #[serde(serialize_with = "data_type_name")]
    pub data_type: Option<DataType>,
    /// Where the keys' TTL comes from.
    pub ttl: TtlSource,
    /// How the value is stored.
    pub encoding: Encoding,
    /// The view the UI shows the keys in, if any.
    pub shape: Option<Shape>,
}

fn data_type_name<S: serde::Serializer>(t: &Option<DataType>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(t.name()),
        None => s.serialize_none(),
    }
}

/// A cached value per exchange and symbol, with the policy TTL of `data_type`.
const fn cached(
    name: &'static str,
    pattern: &'static str,
    glob: &'static str,
    data_type: DataType,
) -> LayoutEntry {
    LayoutEntry {
        name,
        pattern,
        glob,
        data_type: Some(data_type),
        ttl: TtlSource::Policy,
        encoding: Encoding::Json,
        shape: None,
    }
}

/// Last price per exchange and symbol.
pub static TICKER: LayoutEntry = cached(
    "ticker",
    "ticker:{exchange}:{symbol}",
    "ticker:*",
    DataType::Ticker,
);
/// Order book snapshot per exchange and symbol.
pub static ORDER_BOOK: LayoutEntry = cached(
    "orderbook",
    "orderbook:{exchange}:{symbol}",
    "orderbook:*",
    DataType::OrderBook,
);
/// Recent trades per exchange and symbol.
pub static TRADES: LayoutEntry = cached(
    "trades",
    "trades:{exchange}:{symbol}",
    "trades:*",
    DataType::Trades,
);
/// 1-minute candles per exchange and symbol.
pub static CANDLES_1M: LayoutEntry = cached(
    "candles_1m",
    "candles:1m:{exchange}:{symbol}",
    "candles:1m:*",
    DataType::Candles1m,
);
/// 5-minute candles per exchange and symbol.
pub static CANDLES_5M: LayoutEntry = cached(
    "candles_5m",
    "candles:5m:{exchange}:{symbol}",
    "candles:5m:*",
    DataType::Candles5m,
);
/// A strategy's signal per symbol.
pub static SIGNAL: LayoutEntry = cached(
    "signal",
    "signal:{strategy}:{symbol}",
    "signal:*",
    DataType::Signals,
);
/// The market snapshot per symbol (`cache_market_data`).
pub static MARKET_DATA: LayoutEntry = cached(
    "market_data",
    "market_data:{symbol}",
    "market_data:*",
    DataType::MarketData,
);
/// The quote (bid/ask) per symbol (`cache_quote`).
pub static QUOTE: LayoutEntry = cached("quote", "quote:{symbol}", "quote:*", DataType::Quotes);
/// On-chain metrics per symbol (`onchain_metrics:{symbol}`, 5 min).
pub static ONCHAIN: LayoutEntry = cached(
    "onchain",
    "onchain_metrics:{symbol}",
    "onchain_metrics:*",
    DataType::OnChain,
);
/// Social sentiment per symbol (1 min).
pub static SENTIMENT: LayoutEntry = cached(
    "sentiment",
    "sentiment:{symbol}",
    "sentiment:*",
    DataType::Sentiment,
);
/// API calls per exchange endpoint in one fixed window (`INCR`; expires with the window).
pub static API_CALLS: LayoutEntry = LayoutEntry {
    name: "api_calls",
    pattern: "api_calls:{exchange}:{endpoint}:{window_s}:{window_index}",
    glob: "api_calls:*",
    data_type: Some(DataType::RateLimits),
    ttl: TtlSource::Window,
    encoding: Encoding::Counter,
    shape: None,
};
/// The feature cache: a feature vector per symbol and day.
pub static FEATURES: LayoutEntry = LayoutEntry {
    shape: Some(Shape::Features),
    ..cached(
        "features",
        "features:{symbol}:{date}",
        "features:*",
        DataType::Features,
    )
};
/// A strategy's backtest result (`backtest:{strategy_id}`, 24 h).
pub static BACKTEST: LayoutEntry = cached(
    "backtest",
    "backtest:{strategy_id}",
    "backtest:*",
    DataType::Backtests,
);
/// A position-sizing result by the hash of its parameters (1 min).
pub static POSITION_SIZING: LayoutEntry = cached(
    "position_sizing",
    "position_sizing:{hash}",
    "position_sizing:*",
    DataType::PositionSizing,
);
/// The signal buffer: the last 1000 signals.
pub static SIGNAL_HISTORY: LayoutEntry = LayoutEntry {
    name: "signal_history",
    pattern: SIGNAL_BUFFER_KEY,
    glob: SIGNAL_BUFFER_KEY,
    data_type: Some(DataType::SignalHistory),
    ttl: TtlSource::Policy,
    encoding: Encoding::JsonList,
    shape: Some(Shape::Signals),
};
/// The market data stream (`XADD MAXLEN ~`).
pub static MARKET_STREAM: LayoutEntry = LayoutEntry {
    name: "market_stream",
    pattern: MARKET_STREAM_KEY,
    glob: MARKET_STREAM_KEY,
    data_type: None,
    ttl: TtlSource::None,
    encoding: Encoding::Stream,
    shape: Some(Shape::Quotes),
};
/// A metric series of [`crate::timeseries`].
pub static POINT_SERIES: LayoutEntry = LayoutEntry {
    name: "series",
    pattern: "ts:{series}",
    glob: "ts:*",
    data_type: None,
    ttl: TtlSource::None,
    encoding: Encoding::PointSeries,
    shape: Some(Shape::Series),
};
/// OHLCV bars of a symbol and timeframe of [`crate::timeseries`].
pub static OHLCV_SERIES: LayoutEntry = LayoutEntry {
    name: "ohlcv",
    pattern: "ohlcv:{symbol}:{timeframe}",
    glob: "ohlcv:*",
    data_type: None,
    ttl: TtlSource::None,
    encoding: Encoding::OhlcvSeries,
    shape: Some(Shape::Candles),
};
/// A monitor UI session (a hash with a sliding TTL) of [`crate::session`].
pub static SESSION: LayoutEntry = LayoutEntry {
    name: "session",
    pattern: "session:{id}",
    glob: "session:*",
    data_type: None,
    ttl: TtlSource::Sliding,
    encoding: Encoding::Hash,
    shape: None,
};

/// Every entry of the layout.
pub static ENTRIES: [&LayoutEntry; 19] = [
    &TICKER,
    &ORDER_BOOK,
    &TRADES,
    &CANDLES_1M,
    &CANDLES_5M,
    &SIGNAL,
    &MARKET_DATA,
    &QUOTE,
    &ONCHAIN,
    &SENTIMENT,
    &API_CALLS,
    &FEATURES,
    &BACKTEST,
    &POSITION_SIZING,
    &SIGNAL_HISTORY,
    &MARKET_STREAM,
    &POINT_SERIES,
    &OHLCV_SERIES,
    &SESSION,
];

/// The entry a concrete key belongs to, if it follows one of the layout's patterns.
pub fn classify(key: &[u8]) -> Option<&'static LayoutEntry> {
    ENTRIES.iter().copied().find(|e| e.matches(key))
}

/// The entry whose SCAN glob is `glob` (as in [`LayoutEntry::glob`]).
pub fn by_glob(glob: &str) -> Option<&'static LayoutEntry> {
    ENTRIES.iter().copied().find(|e| e.glob == glob)
}

/// The entry named `name` (as in [`LayoutEntry::name`]).
pub fn by_name(name: &str) -> Option<&'static LayoutEntry> {
    ENTRIES.iter().copied().find(|e| e.name == name)
}

/// One `:`-separated segment of a pattern.
enum Token<'a> {
    Literal(&'a str),
    /// A placeholder matching exactly one segment that passes the check.
    One(fn(&[u8]) -> bool),
    /// A placeholder matching one or more non-empty segments.
    Many,
}

fn token(segment: &str) -> Token<'_> {
    let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return Token::Literal(segment);
    };
    match name {
        "date" => Token::One(is_date),
        "window_s" | "window_index" => Token::One(is_digits),
        "hash" | "timeframe" => Token::One(|s| !s.is_empty()),
        _ => Token::Many,
    }
}

fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn is_date(s: &[u8]) -> bool {
    s.len() == 10
        && s.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

impl LayoutEntry {
    /// The literal text before the first placeholder (the whole pattern when it has none):
    /// `ticker:`, `ts:`, `signals:buffer`.
    pub fn prefix(&self) -> &'static str {
        let p = self.pattern;
        &p[..p.find('{').unwrap_or(p.len())]
    }

    /// True when `key` follows this entry's pattern (see the module doc for placeholders).
    pub fn matches(&self, key: &[u8]) -> bool {
        let prefix = self.prefix();
        if !key.starts_with(prefix.as_bytes()) {
            return false;
        }
        if prefix.len() == self.pattern.len() {
            return key.len() == prefix.len();
        }
        // Which numbers of leading key segments the tokens so far can consume exactly: linear
        // in the segments per token, whatever the key (no backtracking).
        let segments: Vec<&[u8]> = key.split(|&b| b == b':').collect();
        let n = segments.len();
        let mut reach = vec![false; n + 1];
        reach[0] = true;
        for part in self.pattern.split(':') {
            let mut next = vec![false; n + 1];
            match token(part) {
                Token::Literal(lit) => {
                    for j in 0..n {
                        next[j + 1] = reach[j] && segments[j] == lit.as_bytes();
                    }
                }
                Token::One(check) => {
                    for j in 0..n {
                        next[j + 1] = reach[j] && check(segments[j]);
                    }
                }
                Token::Many => {
                    let mut open = false;
                    for k in 1..=n {
                        open = (open || reach[k - 1]) && !segments[k - 1].is_empty();
                        next[k] = open;
                    }
                }
            }
            if !next.contains(&true) {
                return false;
            }
            reach = next;
        }
        reach[n]
    }

    /// A concrete key: the placeholders filled with `parts` in order (the caller checks the
    /// parts: non-empty, no `:` where one segment is meant).
    pub fn key(&self, parts: &[&str]) -> String {
        let mut parts = parts.iter();
        let mut out = String::with_capacity(self.pattern.len() + 32);
        for (i, segment) in self.pattern.split(':').enumerate() {
            if i > 0 {
                out.push(':');
            }
            match token(segment) {
                Token::Literal(lit) => out.push_str(lit),
                Token::One(_) | Token::Many => {
                    debug_assert!(
                        !parts.as_slice().is_empty(),
                        "{}: too few parts",
                        self.pattern
                    );
                    out.push_str(parts.next().copied().unwrap_or_default());
                }
            }
        }
        debug_assert!(parts.len() == 0, "{}: too many parts", self.pattern);
        out
    }

    /// A SCAN glob of some of this entry's keys: each placeholder is the given value (matched
    /// literally) or `*` for `None` and for placeholders past `parts`; trailing `*`s collapse
    /// into one. With no parts it is [`LayoutEntry::glob`].
    pub fn glob_with(&self, parts: &[Option<&str>]) -> String {
        let mut parts = parts.iter();
        let mut segments: Vec<String> = Vec::new();
        for segment in self.pattern.split(':') {
            segments.push(match token(segment) {
                Token::Literal(lit) => glob_escape(lit),
                Token::One(_) | Token::Many => match parts.next().copied().flatten() {
                    Some(v) => glob_escape(v),
                    None => "*".into(),
                },
            });
        }
        while segments.len() > 1
            && segments.last().is_some_and(|s| s == "*")
            && segments[segments.len() - 2] == "*"
        {
            segments.pop();
        }
        segments.join(":")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A concrete key of every entry, built the way the library builds it.
    fn example(e: &LayoutEntry) -> String {
        let part = |name: &str| match name {
            "date" => "2025-01-17",
            "window_s" => "60",
            "window_index" => "29000000",
            "hash" => "0123456789abcdef0123456789abcdef",
            "timeframe" => "1m",
            "series" => "metrics:latency",
            "endpoint" => "/api/v3:ticker",
            _ => "BTC-USDT",
        };
        let parts: Vec<&str> = e
            .pattern
            .split(':')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(part)
            .collect();
        e.key(&parts)
    }

    #[test]
    fn every_entry_classifies_its_own_keys() {
        for e in ENTRIES {
            let key = example(e);
            assert_eq!(
                classify(key.as_bytes()).map(|c| c.name),
                Some(e.name),
                "{key}"
            );
            assert!(e.matches(key.as_bytes()), "{key}");
        }
    }

    #[test]
    fn keys_of_no_entry_are_not_classified() {
        for key in [
            &b""[..],
            b"market",
            b"ticker",
            b"ticker:binance",
            b"ticker::BTC",
            b"market:ticker:binance:BTC",
            b"candles:15m:binance:BTC",
            b"api_calls:binance:/v3:sixty:1",
            b"features:AAPL:17-01-2025",
            b"features:AAPL",
            b"backtest:",
            b"position_sizing:a:b",
            b"signals:buffer:2",
            b"ts:",
            b"ohlcv:AAPL",
            b"ohlcv:AAPL:",
            b"lock:orders",
            b"\xff\x00",
        ] {
            assert_eq!(
                classify(key).map(|e| e.name),
                None,
                "{:?}",
                String::from_utf8_lossy(key)
            );
        }
    }

    #[test]
    fn the_stream_and_market_data_are_told_apart() {
        assert_eq!(
            classify(b"market:data").map(|e| e.name),
            Some("market_stream")
        );
        assert_eq!(
            classify(b"market_data:BTC-USDT").map(|e| e.name),
            Some("market_data")
        );
        assert_eq!(classify(b"market:data:BTC-USDT").map(|e| e.name), None);
        assert_eq!(
            classify(b"ohlcv:BTC:USDT:1m").map(|e| e.name),
            Some("ohlcv")
        );
    }

    #[test]
    fn globs_come_from_the_patterns() {
        for e in ENTRIES {
            assert_eq!(e.glob_with(&[]), e.glob, "{}", e.name);
            assert_eq!(by_glob(e.glob).map(|b| b.name), Some(e.name));
            assert_eq!(by_name(e.name).map(|b| b.pattern), Some(e.pattern));
            assert!(
                e.glob.ends_with('*') == (e.prefix() != e.pattern),
                "{}",
                e.name
            );
        }
        let names: std::collections::HashSet<_> = ENTRIES.iter().map(|e| e.name).collect();
        assert_eq!(names.len(), ENTRIES.len(), "names are unique");
        assert_eq!(SIGNAL.glob_with(&[Some("mom*")]), "signal:mom\\*:*");
        assert_eq!(
            FEATURES.glob_with(&[None, Some("2025-01-17")]),
            "features:*:2025-01-17"
        );
    }

    #[test]
    fn data_types_ttl_sources_and_shapes_are_consistent() {
        for e in ENTRIES {
            if e.ttl == TtlSource::Policy {
                assert!(e.data_type.is_some(), "{}", e.name);
            }
            if let Some(t) = e.data_type {
                assert!(e.ttl != TtlSource::None, "{}", e.name);
                if e.ttl == TtlSource::Policy {
                    assert_eq!(
                        e.name,
                        t.name(),
                        "an entry with a policy TTL is named after it"
                    );
                }
            }
        }
        assert_eq!(
            serde_json::to_value(&FEATURES).unwrap(),
            serde_json::json!({
                "name": "features",
                "pattern": "features:{symbol}:{date}",
                "glob": "features:*",
                "data_type": "features",
                "ttl": "policy",
                "encoding": "json",
                "shape": "features",
            })
        );
        assert_eq!(OHLCV_SERIES.encoding.redis_type(), "zset");
    }

    #[test]
    fn the_writers_defaults_are_the_layouts() {
        assert_eq!(SESSION.prefix(), crate::session::SESSION_PREFIX);
        assert_eq!(MARKET_STREAM.pattern, crate::stream::DEFAULT_STREAM);
        let ts = crate::timeseries::TimeSeriesOptions::default();
        assert_eq!(
            (ts.prefix.as_str(), ts.ohlcv_prefix.as_str()),
            ("ts:", "ohlcv:")
        );
        let session = format!("{}{}", crate::session::SESSION_PREFIX, "0123abcd");
        assert_eq!(classify(session.as_bytes()), Some(&SESSION));
    }

    #[test]
    fn hostile_keys_are_classified_in_linear_time() {
        let key = format!("api_calls:{}x", "x:".repeat(200_000));
        let started = std::time::Instant::now();
        assert!(classify(key.as_bytes()).is_none());
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
