//! Time-to-live per data type: the default TTL policies (ticker 2 s, order book 500 ms, … features
//! 1 h), overridable at run time and from a JSON config file, and the `EX`/`PX` choice when a
//! TTL is written (sub-second or fractional TTLs use `PX`, whole seconds `EX`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::error::{Error, Result};

/// The kinds of cached data the trading services use, each with its own default TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// Last price per exchange and symbol (2 s).
    Ticker,
    /// Order book snapshot (500 ms).
    OrderBook,
    /// Recent trades (10 s).
    Trades,
    /// 1-minute candles (60 s).
    Candles1m,
    /// 5-minute candles (5 min).
    Candles5m,
    /// Strategy signal per symbol (30 s).
    Signals,
    /// API-call counters for rate limits (60 s).
    RateLimits,
    /// The market snapshot per symbol (30 s).
    MarketData,
    /// Social sentiment (1 min).
    Sentiment,
    /// On-chain metrics (5 min).
    OnChain,
    /// Backtest results (24 h).
    Backtests,
    /// Position sizing results (1 min).
    PositionSizing,
    /// Feature vectors `features:{symbol}:{date}` (1 h).
    Features,
    /// Quotes (bid/ask) per symbol (2 s, like tickers).
    Quotes,
    /// The buffer of the last 1000 signals (24 h).
    SignalHistory,
    /// Monitor UI sessions (30 min, sliding).
    Sessions,
}

impl DataType {
    /// Every data type, in declaration order.
    pub const ALL: [DataType; 16] = [
        DataType::Ticker,
        DataType::OrderBook,
        DataType::Trades,
        DataType::Candles1m,
        DataType::Candles5m,
        DataType::Signals,
        DataType::RateLimits,
        DataType::MarketData,
        DataType::Sentiment,
        DataType::OnChain,
        DataType::Backtests,
        DataType::PositionSizing,
        DataType::Features,
        DataType::Quotes,
        DataType::SignalHistory,
        DataType::Sessions,
    ];

    /// The name used in config files and telemetry (`ticker`, `orderbook`, `candles_1m`, …).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Ticker => "ticker",
            DataType::OrderBook => "orderbook",
            DataType::Trades => "trades",
            DataType::Candles1m => "candles_1m",
            DataType::Candles5m => "candles_5m",
            DataType::Signals => "signal",
            DataType::RateLimits => "rate_limit",
            DataType::MarketData => "market_data",
            DataType::Sentiment => "sentiment",
            DataType::OnChain => "onchain",
            DataType::Backtests => "backtest",
            DataType::PositionSizing => "position_sizing",
            DataType::Features => "features",
            DataType::Quotes => "quote",
            DataType::SignalHistory => "signal_history",
            DataType::Sessions => "session",
        }
    }

    /// The default TTL for this type.
    pub fn default_ttl(self) -> Duration {
        let ms = |n| Duration::from_millis(n);
        let s = Duration::from_secs;
        match self {
            DataType::Ticker | DataType::Quotes => s(2),
            DataType::OrderBook => ms(500),
            DataType::Trades => s(10),
            DataType::Candles1m => s(60),
            DataType::Candles5m => s(300),
            DataType::Signals => s(30),
            DataType::RateLimits => s(60),
            DataType::MarketData => s(30),
            DataType::Sentiment => s(60),
            DataType::OnChain => s(300),
            DataType::Backtests | DataType::SignalHistory => s(86_400),
            DataType::PositionSizing => s(60),
            DataType::Features => s(3600),
            DataType::Sessions => s(1800),
        }
    }

    /// Looks a type up by its name or a common alias (`order_book`, `signals`, `candles1m`, …).
    pub fn from_name(name: &str) -> Option<DataType> {
        let n = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let alias = match n.as_str() {
            "order_book" | "orderbooks" => "orderbook",
            "tickers" => "ticker",
            "trade" => "trades",
            "candles1m" | "candle_1m" | "1m_candles" | "candles_1min" => "candles_1m",
            "candles5m" | "candle_5m" | "5m_candles" | "candles_5min" => "candles_5m",
            "signals" => "signal",
            "rate_limits" | "ratelimit" | "api_calls" => "rate_limit",
            "social_sentiment" => "sentiment",
            "on_chain" | "onchain_metrics" => "onchain",
            "backtests" | "backtest_results" => "backtest",
            "quotes" => "quote",
            "sessions" => "session",
            "feature" => "features",
            other => other,
        };
        DataType::ALL.into_iter().find(|t| t.name() == alias)
    }
}

/// Per-type TTLs, shared by every clone (an override made through one clone is seen by all).
#[derive(Debug, Clone, Default)]
pub struct TtlPolicy {
    overrides: Arc<RwLock<HashMap<String, Duration>>>,
}

impl TtlPolicy {
    /// The default policies, no overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// The TTL for a data type (override, else default).
    pub fn ttl(&self, t: DataType) -> Duration {
        self.get(t.name()).unwrap_or_else(|| t.default_ttl())
    }

    /// The TTL for a type named by string: an override, else a known type's default.
    pub fn get(&self, name: &str) -> Option<Duration> {
        let key = canonical(name);
        let found = self
            .overrides
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .copied();
        found.or_else(|| DataType::from_name(&key).map(DataType::default_ttl))
    }

    /// Overrides one type's TTL at run time (names outside [`DataType`] are allowed for
    /// application-specific types). A zero TTL is refused: every cached key must expire.
    pub fn set(&self, name: &str, ttl: Duration) -> Result<()> {
        if ttl.is_zero() {
            return Err(Error::InvalidInput(format!(
                "TTL for {name:?} must be greater than zero"
            )));
        }
        self.overrides
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(canonical(name), ttl);
        Ok(())
    }

    /// Overrides a known type's TTL.
    pub fn set_type(&self, t: DataType, ttl: Duration) -> Result<()> {
        self.set(t.name(), ttl)
    }

    /// Removes every override.
    pub fn reset(&self) {
        self.overrides
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Every known type's effective TTL plus custom overrides, for display.
    pub fn snapshot(&self) -> Vec<(String, Duration)> {
        let mut out: Vec<(String, Duration)> = DataType::ALL
            .iter()
            .map(|t| (t.name().to_string(), self.ttl(*t)))
            .collect();
        let over = self.overrides.read().unwrap_or_else(|p| p.into_inner());
        for (k, v) in over.iter() {
            if !out.iter().any(|(n, _)| n == k) {
                out.push((k.clone(), *v));
            }
        }
        out
    }

    /// Applies overrides from a JSON object: `{"ticker_ms": 1500}`, `{"ticker": "1.5s"}`,
    /// `{"orderbook": 0.2}` (a number is seconds), `"500ms"`, `"5m"`, `"1h"`. All entries are
    /// checked before any is applied.
    pub fn apply_json(&self, json: &str) -> Result<usize> {
        let v: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| Error::Config(format!("TTL config is not valid JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| Error::Config("TTL config must be a JSON object".into()))?;
        let mut parsed = Vec::with_capacity(obj.len());
        for (k, val) in obj {
            let (name, unit_ms) = match k.strip_suffix("_ms") {
                Some(base) => (base, true),
                None => (k.as_str(), false),
            };
            let ttl = match val {
                serde_json::Value::Number(n) => {
                    let x = n.as_f64().unwrap_or(-1.0);
                    if !x.is_finite() || x <= 0.0 {
                        return Err(Error::Config(format!("TTL {k:?} must be positive")));
                    }
                    if unit_ms {
                        Duration::from_secs_f64(x / 1000.0)
                    } else {
                        Duration::from_secs_f64(x)
                    }
                }
                serde_json::Value::String(s) => {
                    parse_duration(s).map_err(|why| Error::Config(format!("TTL {k:?}: {why}")))?
                }
                _ => {
                    return Err(Error::Config(format!(
                        "TTL {k:?} must be a number of seconds or a string like \"1.5s\""
                    )))
                }
            };
            if ttl < Duration::from_millis(1) {
                return Err(Error::Config(format!("TTL {k:?} must be at least 1 ms")));
            }
            parsed.push((name.to_string(), ttl));
        }
        for (name, ttl) in &parsed {
            self.set(name, *ttl)?;
        }
        Ok(parsed.len())
    }

    /// Applies overrides from a JSON file (see [`TtlPolicy::apply_json`]).
    pub fn load_file(&self, path: &Path) -> Result<usize> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Config(format!("cannot read TTL config {}: {e}", path.display()))
        })?;
        self.apply_json(&text)
    }
}

fn canonical(name: &str) -> String {
    match DataType::from_name(name) {
        Some(t) => t.name().to_string(),
        None => name.trim().to_ascii_lowercase(),
    }
}

/// Parses `"500ms"`, `"1.5s"`, `"5m"`, `"1h"`, `"2d"` or a bare number of seconds.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let x: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like \"500ms\" or \"1.5s\""))?;
    let factor = match unit.trim() {
        "ms" => 0.001,
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hours" => 3600.0,
        "d" | "days" => 86_400.0,
        other => return Err(format!("unknown unit {other:?} in {s:?}")),
    };
    let secs = x * factor;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("{s:?} must be positive"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// How a TTL is written with `SET`: `EX` for whole seconds, `PX` otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Seconds (`EX`).
    Ex(u64),
    /// Milliseconds (`PX`).
    Px(u64),
}

impl Expiry {
    /// The expiry for `ttl` (at least 1 ms; zero is refused).
    pub fn from_ttl(ttl: Duration) -> Result<Expiry> {
        if ttl.is_zero() {
            return Err(Error::InvalidInput(
                "a TTL must be greater than zero".into(),
            ));
        }
        if ttl.subsec_nanos() == 0 {
            Ok(Expiry::Ex(ttl.as_secs()))
        } else {
            Ok(Expiry::Px((ttl.as_millis() as u64).max(1)))
        }
    }

    /// Appends `EX n` or `PX n` to a `SET` command.
    pub fn apply(self, cmd: &mut redis::Cmd) {
        match self {
            Expiry::Ex(s) => cmd.arg("EX").arg(s),
            Expiry::Px(ms) => cmd.arg("PX").arg(ms),
        };
    }

    /// The `EXPIRE`/`PEXPIRE` command that sets this expiry on `key`.
    pub fn expire_cmd<K: redis::ToRedisArgs>(self, key: K) -> redis::Cmd {
        match self {
            Expiry::Ex(s) => {
                let mut c = redis::cmd("EXPIRE");
                c.arg(key).arg(s);
                c
            }
            Expiry::Px(ms) => {
                let mut c = redis::cmd("PEXPIRE");
                c.arg(key).arg(ms);
                c
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_trading_policies() {
        let p = TtlPolicy::new();
        assert_eq!(p.ttl(DataType::Ticker), Duration::from_secs(2));
        assert_eq!(p.ttl(DataType::OrderBook), Duration::from_millis(500));
        assert_eq!(p.ttl(DataType::Candles5m), Duration::from_secs(300));
        assert_eq!(p.ttl(DataType::Backtests), Duration::from_secs(86_400));
        assert_eq!(p.ttl(DataType::Features), Duration::from_secs(3600));
        assert_eq!(p.get("order_book"), Some(Duration::from_millis(500)));
        assert_eq!(p.get("unknown"), None);
        for t in DataType::ALL {
            assert_eq!(DataType::from_name(t.name()), Some(t));
        }
    }

    #[test]
    fn overrides_from_json_and_at_run_time() {
        let p = TtlPolicy::new();
        let clone = p.clone();
        let n = p
            .apply_json(
                r#"{"ticker_ms": 1500, "orderbook": 0.2, "signals": "1m", "my_type": "250ms"}"#,
            )
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(clone.ttl(DataType::Ticker), Duration::from_millis(1500));
        assert_eq!(clone.ttl(DataType::OrderBook), Duration::from_millis(200));
        assert_eq!(clone.ttl(DataType::Signals), Duration::from_secs(60));
        assert_eq!(clone.get("my_type"), Some(Duration::from_millis(250)));
        p.set_type(DataType::Trades, Duration::from_secs(3))
            .unwrap();
        assert_eq!(clone.ttl(DataType::Trades), Duration::from_secs(3));
        for bad in [
            r#"{"ticker": -1}"#,
            r#"{"ticker": "soon"}"#,
            "[1]",
            r#"{"x": true}"#,
        ] {
            assert_eq!(
                p.apply_json(bad).unwrap_err().kind(),
                crate::ErrorKind::Config,
                "{bad}"
            );
        }
        assert_eq!(clone.ttl(DataType::Ticker), Duration::from_millis(1500));
        p.reset();
        assert_eq!(clone.ttl(DataType::Ticker), Duration::from_secs(2));
        assert!(p.set("x", Duration::ZERO).is_err());
    }

    #[test]
    fn sub_second_ttls_use_px() {
        assert_eq!(
            Expiry::from_ttl(Duration::from_secs(2)).unwrap(),
            Expiry::Ex(2)
        );
        assert_eq!(
            Expiry::from_ttl(Duration::from_millis(500)).unwrap(),
            Expiry::Px(500)
        );
        assert_eq!(
            Expiry::from_ttl(Duration::from_millis(1500)).unwrap(),
            Expiry::Px(1500)
        );
        assert!(Expiry::from_ttl(Duration::ZERO).is_err());
    }
}
