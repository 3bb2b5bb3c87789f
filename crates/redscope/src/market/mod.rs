//! The trading caches on top of [`Cache`]: market data per
//! exchange and symbol, strategy signals, API-call counters, feature vectors, the buffer of the
//! last 1000 signals, and query results (backtests, position sizing). TTLs come from the
//! cache's [`crate::ttl::TtlPolicy`].
//!
//! # Key layout
//!
//! Every key's pattern, SCAN glob, TTL source, encoding and UI view is in the one registry,
//! [`layout`] (e.g. `ticker:{exchange}:{symbol}`, TTL ticker, JSON, as the Python services
//! write them); the builders here fill its patterns and [`patterns`] derives its globs.
//!
//! Invalidation (SCAN + UNLINK, names matched literally) runs one glob per layout entry that
//! has the placeholder: by exchange `ticker:{exchange}:*`, `orderbook:{exchange}:*`, …; by
//! symbol `ticker:*:{symbol}`, `quote:{symbol}`, …; by strategy `signal:{strategy}:*`; so
//! other keys that merely contain the name (locks, limits) are never touched.
//! [`MarketDataCache::invalidate_pattern`] takes a glob as is (`flush_pattern('ticker:binance:*')`).

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cache::Cache;
use crate::error::{Error, Result};
use crate::ttl::{DataType, Expiry};

pub mod layout;

pub use layout::{classify, LayoutEntry, Shape, SIGNAL_BUFFER_KEY};

/// Signals kept by the buffer.
pub const SIGNAL_BUFFER_CAPACITY: usize = 1000;

/// Candle interval of the candle cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CandleInterval {
    /// 1-minute candles (TTL 60 s).
    M1,
    /// 5-minute candles (TTL 5 min).
    M5,
}

impl CandleInterval {
    /// `1m` or `5m`, as used in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            CandleInterval::M1 => "1m",
            CandleInterval::M5 => "5m",
        }
    }

    fn data_type(self) -> DataType {
        match self {
            CandleInterval::M1 => DataType::Candles1m,
            CandleInterval::M5 => DataType::Candles5m,
        }
    }

    /// The layout entry of this interval's candle keys.
    pub fn entry(self) -> &'static LayoutEntry {
        match self {
            CandleInterval::M1 => &layout::CANDLES_1M,
            CandleInterval::M5 => &layout::CANDLES_5M,
        }
    }
}

/// Checks a key segment: non-empty, no `:` (which would break the key layout), no whitespace.
fn segment<'a>(what: &str, s: &'a str) -> Result<&'a str> {
    if s.is_empty() || s.contains(':') || s.chars().any(char::is_whitespace) {
        return Err(Error::InvalidInput(format!(
            "{what} {s:?} must be non-empty, without ':' or whitespace"
        )));
    }
    Ok(s)
}

/// Market data per exchange and symbol, signals, API-call counters; cheap to clone.
#[derive(Debug, Clone)]
pub struct MarketDataCache {
    cache: Cache,
}

impl MarketDataCache {
    /// Market data caching over `cache` (its TTL policy and counters are used).
    pub fn new(cache: Cache) -> Self {
        MarketDataCache { cache }
    }

    /// The underlying cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// A key of `entry`, one of the per-exchange-and-symbol caches.
    fn key(entry: &LayoutEntry, exchange: &str, symbol: &str) -> Result<String> {
        Ok(entry.key(&[segment("exchange", exchange)?, segment("symbol", symbol)?]))
    }

    /// The ticker key of an exchange and symbol.
    pub fn ticker_key(exchange: &str, symbol: &str) -> Result<String> {
        Self::key(&layout::TICKER, exchange, symbol)
    }

    /// Caches a ticker (TTL ticker, 2 s by default).
    pub async fn set_ticker<T: Serialize>(
        &self,
        exchange: &str,
        symbol: &str,
        t: &T,
    ) -> Result<bool> {
        self.set_ticker_with_ttl(exchange, symbol, t, None).await
    }

    /// Caches a ticker with this TTL (`set_ticker(…, ttl=2)`), the policy's with `None`.
    pub async fn set_ticker_with_ttl<T: Serialize>(
        &self,
        exchange: &str,
        symbol: &str,
        t: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let key = Self::ticker_key(exchange, symbol)?;
        self.cache
            .typed(DataType::Ticker)
            .set_with_ttl(&key, t, ttl)
            .await
    }

    /// Warms the ticker cache before trading: fetches the tickers of `symbols` that are not
    /// cached with `fetch(symbol)` and stores them with the ticker TTL.
    pub async fn warm_tickers<T, F, Fut>(
        &self,
        exchange: &str,
        symbols: &[&str],
        fetch: F,
    ) -> Result<crate::cache::WarmUp>
    where
        T: Serialize + DeserializeOwned,
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let keys = symbols
            .iter()
            .map(|s| Self::ticker_key(exchange, s))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let prefix_len = layout::TICKER.key(&[exchange, ""]).len();
        let ttl = self.cache.ttl_policy().ttl(DataType::Ticker);
        self.cache
            .warm(&refs, ttl, |key| fetch(key[prefix_len..].to_string()))
            .await
    }

    /// A cached ticker.
    pub async fn get_ticker<T: DeserializeOwned>(
        &self,
        exchange: &str,
        symbol: &str,
    ) -> Result<Option<T>> {
        let key = Self::ticker_key(exchange, symbol)?;
        self.cache.typed(DataType::Ticker).get(&key).await
    }

    /// Caches several tickers of one exchange in one pipeline.
    pub async fn set_tickers<S: AsRef<str>, T: Serialize>(
        &self,
        exchange: &str,
        tickers: &[(S, T)],
    ) -> Result<bool> {
        let entries = tickers
            .iter()
            .map(|(s, t)| Ok((Self::ticker_key(exchange, s.as_ref())?, t)))
            .collect::<Result<Vec<_>>>()?;
        self.cache.typed(DataType::Ticker).set_many(&entries).await
    }

    /// The cached tickers among `symbols` (one `MGET`), by symbol; missing ones are left out.
    pub async fn get_tickers<T: DeserializeOwned>(
        &self,
        exchange: &str,
        symbols: &[&str],
    ) -> Result<HashMap<String, T>> {
        let keys = symbols
            .iter()
            .map(|s| Self::ticker_key(exchange, s))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let values = self.cache.typed(DataType::Ticker).get_many(&refs).await?;
        Ok(symbols
            .iter()
            .zip(values)
            .filter_map(|(s, v)| v.map(|v| (s.to_string(), v)))
            .collect())
    }

    /// Caches an order book (TTL orderbook, 500 ms by default: written with `PX`).
    pub async fn set_orderbook<T: Serialize>(
        &self,
        exchange: &str,
        symbol: &str,
        book: &T,
    ) -> Result<bool> {
        let key = Self::key(&layout::ORDER_BOOK, exchange, symbol)?;
        self.cache.typed(DataType::OrderBook).set(&key, book).await
    }

    /// A cached order book.
    pub async fn get_orderbook<T: DeserializeOwned>(
        &self,
        exchange: &str,
        symbol: &str,
    ) -> Result<Option<T>> {
        let key = Self::key(&layout::ORDER_BOOK, exchange, symbol)?;
        self.cache.typed(DataType::OrderBook).get(&key).await
    }

    /// Caches recent trades (TTL trades, 10 s by default).
    pub async fn set_trades<T: Serialize>(
        &self,
        exchange: &str,
        symbol: &str,
        trades: &T,
    ) -> Result<bool> {
        let key = Self::key(&layout::TRADES, exchange, symbol)?;
        self.cache.typed(DataType::Trades).set(&key, trades).await
    }

    /// Cached recent trades.
    pub async fn get_trades<T: DeserializeOwned>(
        &self,
        exchange: &str,
        symbol: &str,
    ) -> Result<Option<T>> {
        let key = Self::key(&layout::TRADES, exchange, symbol)?;
        self.cache.typed(DataType::Trades).get(&key).await
    }

    fn candles_key(interval: CandleInterval, exchange: &str, symbol: &str) -> Result<String> {
        Self::key(interval.entry(), exchange, symbol)
    }

    /// Caches candles of an interval (TTL 60 s for 1m, 5 min for 5m by default).
    pub async fn set_candles<T: Serialize>(
        &self,
        exchange: &str,
        symbol: &str,
        interval: CandleInterval,
        candles: &T,
    ) -> Result<bool> {
        let key = Self::candles_key(interval, exchange, symbol)?;
        self.cache
            .typed(interval.data_type())
            .set(&key, candles)
            .await
    }

    /// Cached candles of an interval.
    pub async fn get_candles<T: DeserializeOwned>(
        &self,
        exchange: &str,
        symbol: &str,
        interval: CandleInterval,
    ) -> Result<Option<T>> {
        let key = Self::candles_key(interval, exchange, symbol)?;
        self.cache.typed(interval.data_type()).get(&key).await
    }

    fn signal_key(strategy: &str, symbol: &str) -> Result<String> {
        Ok(layout::SIGNAL.key(&[segment("strategy", strategy)?, segment("symbol", symbol)?]))
    }

    /// Caches a strategy's signal for a symbol (TTL signal, 30 s by default).
    pub async fn set_signal<T: Serialize>(
        &self,
        strategy: &str,
        symbol: &str,
        signal: &T,
    ) -> Result<bool> {
        self.set_signal_with_ttl(strategy, symbol, signal, None)
            .await
    }

    /// Caches a signal with this TTL (`set_signal(…, ttl=30)`), the policy's with `None`.
    pub async fn set_signal_with_ttl<T: Serialize>(
        &self,
        strategy: &str,
        symbol: &str,
        signal: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let key = Self::signal_key(strategy, symbol)?;
        self.cache
            .typed(DataType::Signals)
            .set_with_ttl(&key, signal, ttl)
            .await
    }

    /// A cached strategy signal.
    pub async fn get_signal<T: DeserializeOwned>(
        &self,
        strategy: &str,
        symbol: &str,
    ) -> Result<Option<T>> {
        let key = Self::signal_key(strategy, symbol)?;
        self.cache.typed(DataType::Signals).get(&key).await
    }

    fn market_data_key(symbol: &str) -> Result<String> {
        Ok(layout::MARKET_DATA.key(&[segment("symbol", symbol)?]))
    }

    fn quote_key(symbol: &str) -> Result<String> {
        Ok(layout::QUOTE.key(&[segment("symbol", symbol)?]))
    }

    /// Caches the market snapshot for a symbol (TTL market_data, 30 s by default).
    pub async fn set_market_data<T: Serialize>(&self, symbol: &str, data: &T) -> Result<bool> {
        self.cache_market_data(symbol, data, None).await
    }

    /// `cache_market_data(cache, symbol, data, ttl=30)`: the snapshot with this TTL, the
    /// policy's with `None`.
    pub async fn cache_market_data<T: Serialize>(
        &self,
        symbol: &str,
        data: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let key = Self::market_data_key(symbol)?;
        self.cache
            .typed(DataType::MarketData)
            .set_with_ttl(&key, data, ttl)
            .await
    }

    /// `get_cached_market_data(cache, symbol)`.
    pub async fn get_cached_market_data<T: DeserializeOwned>(
        &self,
        symbol: &str,
    ) -> Result<Option<T>> {
        self.get_market_data(symbol).await
    }

    /// Caches on-chain metrics for a symbol at `onchain_metrics:{symbol}` (5 min by default).
    pub async fn set_onchain_metrics<T: Serialize>(
        &self,
        symbol: &str,
        metrics: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let key = layout::ONCHAIN.key(&[segment("symbol", symbol)?]);
        self.cache
            .typed(DataType::OnChain)
            .set_with_ttl(&key, metrics, ttl)
            .await
    }

    /// Cached on-chain metrics for a symbol.
    pub async fn get_onchain_metrics<T: DeserializeOwned>(
        &self,
        symbol: &str,
    ) -> Result<Option<T>> {
        let key = layout::ONCHAIN.key(&[segment("symbol", symbol)?]);
        self.cache.typed(DataType::OnChain).get(&key).await
    }

    /// Caches social sentiment for a symbol at `sentiment:{symbol}` (1 min by default).
    pub async fn set_sentiment<T: Serialize>(
        &self,
        symbol: &str,
        sentiment: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let key = layout::SENTIMENT.key(&[segment("symbol", symbol)?]);
        self.cache
            .typed(DataType::Sentiment)
            .set_with_ttl(&key, sentiment, ttl)
            .await
    }

    /// Cached social sentiment for a symbol.
    pub async fn get_sentiment<T: DeserializeOwned>(&self, symbol: &str) -> Result<Option<T>> {
        let key = layout::SENTIMENT.key(&[segment("symbol", symbol)?]);
        self.cache.typed(DataType::Sentiment).get(&key).await
    }

    /// The cached market snapshot for a symbol.
    pub async fn get_market_data<T: DeserializeOwned>(&self, symbol: &str) -> Result<Option<T>> {
        let key = Self::market_data_key(symbol)?;
        self.cache.typed(DataType::MarketData).get(&key).await
    }

    /// Caches the quote (bid/ask) for a symbol (TTL quote, 2 s by default).
    pub async fn cache_quote<T: Serialize>(&self, symbol: &str, quote: &T) -> Result<bool> {
        let key = Self::quote_key(symbol)?;
        self.cache.typed(DataType::Quotes).set(&key, quote).await
    }

    /// The cached quote for a symbol.
    pub async fn get_cached_quote<T: DeserializeOwned>(&self, symbol: &str) -> Result<Option<T>> {
        let key = Self::quote_key(symbol)?;
        self.cache.typed(DataType::Quotes).get(&key).await
    }

    fn api_calls_key(exchange: &str, endpoint: &str, window: Duration) -> Result<(String, u64)> {
        if endpoint.is_empty() || endpoint.chars().any(char::is_whitespace) {
            return Err(Error::InvalidInput(format!(
                "endpoint {endpoint:?} must be non-empty, without whitespace"
            )));
        }
        let secs = window.as_secs();
        if secs == 0 || window.subsec_nanos() != 0 {
            return Err(Error::InvalidInput(
                "an API-call window must be a whole number of seconds".into(),
            ));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let key = layout::API_CALLS.key(&[
            segment("exchange", exchange)?,
            endpoint,
            &secs.to_string(),
            &(now / secs).to_string(),
        ]);
        Ok((key, secs))
    }

    /// Counts one call to an exchange endpoint in the current fixed window (`INCR` and `EXPIRE`
    /// in one `MULTI`); returns the calls so far in this window. Errors are reported (a rate
    /// limiter must not guess).
    pub async fn increment_api_calls(
        &self,
        exchange: &str,
        endpoint: &str,
        window: Duration,
    ) -> Result<u64> {
        let (key, secs) = Self::api_calls_key(exchange, endpoint, window)?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .incr(&key, 1u64)
            .expire(&key, secs as i64)
            .ignore();
        // Not retried: a lost reply must not count the call twice.
        let (n,): (u64,) = self.cache.pipe_once(&pipe).await?;
        Ok(n)
    }

    /// Calls counted in the current window for an exchange endpoint.
    pub async fn get_api_calls(
        &self,
        exchange: &str,
        endpoint: &str,
        window: Duration,
    ) -> Result<u64> {
        let (key, _) = Self::api_calls_key(exchange, endpoint, window)?;
        let mut cmd = redis::cmd("GET");
        cmd.arg(&key);
        let n: Option<u64> = self.cache.query(&cmd).await?;
        Ok(n.unwrap_or(0))
    }

    /// Removes every cached item of an exchange (tickers, books, trades, candles, API counters);
    /// returns the count.
    pub async fn invalidate_exchange(&self, exchange: &str) -> Result<u64> {
        self.invalidate_all(&patterns::exchange(exchange)?).await
    }

    /// Removes every cached item of a symbol on any exchange: tickers, books, trades, candles,
    /// signals, market data, quote, on-chain metrics and sentiment.
    pub async fn invalidate_symbol(&self, symbol: &str) -> Result<u64> {
        self.invalidate_all(&patterns::symbol(symbol)?).await
    }

    /// Removes the signals of one strategy, or of all strategies with `None`.
    pub async fn invalidate_signals(&self, strategy: Option<&str>) -> Result<u64> {
        self.cache
            .invalidate_pattern(&patterns::signals(strategy)?)
            .await
    }

    /// Removes the keys matching a glob, e.g. `ticker:binance:*` (`flush_pattern`).
    pub async fn invalidate_pattern(&self, pattern: &str) -> Result<u64> {
        if pattern.is_empty() {
            return Err(Error::InvalidInput("the pattern must not be empty".into()));
        }
        self.cache.invalidate_pattern(pattern).await
    }

    async fn invalidate_all(&self, globs: &[String]) -> Result<u64> {
        let mut n = 0;
        for g in globs {
            n += self.cache.invalidate_pattern(g).await?;
        }
        Ok(n)
    }
}

/// The invalidation globs of the key layout ([`layout`]), with names matched literally. The
/// caches' `invalidate_*` methods and the admin service's presets both use these, so they
/// cannot drift.
pub mod patterns {
    use super::layout::{self, LayoutEntry, FEATURES, SIGNAL};
    use super::segment;
    use crate::error::Result;

    /// The market entries with an `{exchange}` placeholder.
    pub const BY_EXCHANGE: [&LayoutEntry; 6] = [
        &layout::TICKER,
        &layout::ORDER_BOOK,
        &layout::TRADES,
        &layout::CANDLES_1M,
        &layout::CANDLES_5M,
        &layout::API_CALLS,
    ];

    /// The market entries with a `{symbol}` placeholder.
    pub const BY_SYMBOL: [&LayoutEntry; 10] = [
        &layout::TICKER,
        &layout::ORDER_BOOK,
        &layout::TRADES,
        &layout::CANDLES_1M,
        &layout::CANDLES_5M,
        &layout::SIGNAL,
        &layout::MARKET_DATA,
        &layout::QUOTE,
        &layout::ONCHAIN,
        &layout::SENTIMENT,
    ];

    /// The glob of `entry` with `name` in the placeholder called `placeholder`, the others `*`.
    fn glob_of(entry: &LayoutEntry, placeholder: &str, name: &str) -> String {
        let parts: Vec<Option<&str>> = entry
            .pattern
            .split(':')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|p| (p == placeholder).then_some(name))
            .collect();
        entry.glob_with(&parts)
    }

    /// Everything cached for an exchange: one glob per entry, e.g. `ticker:{exchange}:*`.
    pub fn exchange(exchange: &str) -> Result<Vec<String>> {
        let ex = segment("exchange", exchange)?;
        Ok(BY_EXCHANGE
            .iter()
            .map(|e| glob_of(e, "exchange", ex))
            .collect())
    }

    /// Everything cached for a symbol on any exchange: one glob per entry, e.g.
    /// `ticker:*:{symbol}`, `quote:{symbol}`.
    pub fn symbol(symbol: &str) -> Result<Vec<String>> {
        let sym = segment("symbol", symbol)?;
        Ok(BY_SYMBOL
            .iter()
            .map(|e| glob_of(e, "symbol", sym))
            .collect())
    }

    /// The signals of one strategy (`signal:{strategy}:*`), or of all with `None`.
    pub fn signals(strategy: Option<&str>) -> Result<String> {
        Ok(match strategy {
            Some(s) => SIGNAL.glob_with(&[Some(segment("strategy", s)?)]),
            None => SIGNAL.glob.to_string(),
        })
    }

    /// Every cached day of a symbol's features: `features:{symbol}:*`.
    pub fn features_of_symbol(symbol: &str) -> Result<String> {
        Ok(FEATURES.glob_with(&[Some(segment("symbol", symbol)?)]))
    }

    /// Every symbol's features of one day: `features:*:{date}`.
    pub fn features_of_date(date: &str) -> Result<String> {
        Ok(FEATURES.glob_with(&[None, Some(segment("date", date)?)]))
    }
}

/// Feature vectors per symbol and day, `features:{symbol}:{date}` (the feature cache), TTL 1 h.
#[derive(Debug, Clone)]
pub struct FeatureCache {
    cache: Cache,
}

impl FeatureCache {
    /// Feature caching over `cache`.
    pub fn new(cache: Cache) -> Self {
        FeatureCache { cache }
    }

    /// `features:{symbol}:{YYYY-MM-DD}`.
    pub fn key(symbol: &str, date: NaiveDate) -> Result<String> {
        let date = date.format("%Y-%m-%d").to_string();
        Ok(layout::FEATURES.key(&[segment("symbol", symbol)?, &date]))
    }

    /// Caches a symbol's features for a day (TTL features, 1 h by default).
    pub async fn set<T: Serialize>(
        &self,
        symbol: &str,
        date: NaiveDate,
        features: &T,
    ) -> Result<bool> {
        let key = Self::key(symbol, date)?;
        self.cache
            .typed(DataType::Features)
            .set(&key, features)
            .await
    }

    /// A symbol's cached features for a day.
    pub async fn get<T: DeserializeOwned>(
        &self,
        symbol: &str,
        date: NaiveDate,
    ) -> Result<Option<T>> {
        let key = Self::key(symbol, date)?;
        self.cache.typed(DataType::Features).get(&key).await
    }

    /// The features of several symbols for a day in one `MGET`, in order.
    pub async fn get_many<T: DeserializeOwned>(
        &self,
        symbols: &[&str],
        date: NaiveDate,
    ) -> Result<Vec<Option<T>>> {
        let keys = symbols
            .iter()
            .map(|s| Self::key(s, date))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.cache.typed(DataType::Features).get_many(&refs).await
    }

    /// One feature out of a cached feature map (`None` when the map or the feature is missing).
    pub async fn get_feature(
        &self,
        symbol: &str,
        date: NaiveDate,
        name: &str,
    ) -> Result<Option<serde_json::Value>> {
        let map: Option<serde_json::Map<String, serde_json::Value>> =
            self.get(symbol, date).await?;
        Ok(map.and_then(|mut m| m.remove(name)))
    }

    /// Computes a symbol's features for a day unless cached (single-flight).
    pub async fn get_or_compute<T, F, Fut>(
        &self,
        symbol: &str,
        date: NaiveDate,
        compute: F,
    ) -> Result<T>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let key = Self::key(symbol, date)?;
        self.cache
            .typed(DataType::Features)
            .get_or_compute(&key, compute)
            .await
    }

    /// `invalidate(symbol, date)`: removes one symbol's features of one day; true when they
    /// were cached.
    pub async fn invalidate(&self, symbol: &str, date: NaiveDate) -> Result<bool> {
        let key = Self::key(symbol, date)?;
        Ok(self.cache.delete(&[&key]).await? > 0)
    }

    /// Removes every cached day of a symbol; returns the count.
    pub async fn invalidate_symbol(&self, symbol: &str) -> Result<u64> {
        self.cache
            .invalidate_pattern(&patterns::features_of_symbol(symbol)?)
            .await
    }
}

/// The signal buffer: the last 1000 signals, newest first: `LPUSH` + `LTRIM` + `EXPIRE` in one `MULTI`.
#[derive(Debug, Clone)]
pub struct SignalBuffer {
    cache: Cache,
    key: String,
    capacity: usize,
}

impl SignalBuffer {
    /// The buffer at `signals:buffer`, keeping 1000 signals.
    pub fn new(cache: Cache) -> Self {
        Self::with_key(cache, SIGNAL_BUFFER_KEY, SIGNAL_BUFFER_CAPACITY)
    }

    /// A buffer at another key or with another capacity (at least 1).
    pub fn with_key(cache: Cache, key: impl Into<String>, capacity: usize) -> Self {
        SignalBuffer {
            cache,
            key: key.into(),
            capacity: capacity.max(1),
        }
    }

    /// The list key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Signals kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds a signal atomically, dropping the oldest beyond capacity and refreshing the TTL.
    pub async fn push<T: Serialize>(&self, signal: &T) -> Result<()> {
        self.push_many(std::slice::from_ref(signal)).await
    }

    /// Adds several signals in one `MULTI` (the last one ends up newest).
    pub async fn push_many<T: Serialize>(&self, signals: &[T]) -> Result<()> {
        if signals.is_empty() {
            return Ok(());
        }
        let encoded = signals
            .iter()
            .map(|s| self.cache.codec().encode(s))
            .collect::<Result<Vec<_>>>()?;
        let ttl = self.cache.ttl_policy().ttl(DataType::SignalHistory);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .lpush(&self.key, encoded)
            .ignore()
            .ltrim(&self.key, 0, self.capacity as isize - 1)
            .ignore()
            .add_command(Expiry::from_ttl(ttl)?.expire_cmd(&self.key))
            .ignore();
        // Not retried: a lost reply must not buffer the signals twice.
        self.cache.pipe_once::<()>(&pipe).await
    }

    /// The newest `n` signals (at most the capacity), newest first.
    pub async fn latest<T: DeserializeOwned>(&self, n: usize) -> Result<Vec<T>> {
        let n = n.min(self.capacity);
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("LRANGE");
        cmd.arg(&self.key).arg(0).arg(n as i64 - 1);
        let raw: Vec<Vec<u8>> = self.cache.query(&cmd).await?;
        raw.iter().map(|b| self.cache.codec().decode(b)).collect()
    }

    /// Signals currently buffered.
    pub async fn len(&self) -> Result<usize> {
        let mut cmd = redis::cmd("LLEN");
        cmd.arg(&self.key);
        self.cache.query(&cmd).await
    }

    /// True when no signal is buffered.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.len().await? == 0)
    }
}

/// Expensive query results: a strategy's backtest at `backtest:{strategy_id}` (24 h) and
/// position sizing by a stable hash of its parameters, `position_sizing:{hash}` (1 min).
#[derive(Debug, Clone)]
pub struct QueryCache {
    cache: Cache,
}

impl QueryCache {
    /// Query-result caching over `cache`.
    pub fn new(cache: Cache) -> Self {
        QueryCache { cache }
    }

    /// `{kind}:{hash}`, where the hash is the same for equal parameters whatever the order
    /// of their map keys, in every process and version (`position_sizing:{hash}`).
    pub fn key<P: Serialize + ?Sized>(kind: &str, params: &P) -> Result<String> {
        Ok(format!(
            "{}:{}",
            segment("query kind", kind)?,
            Self::hash(params)?
        ))
    }

    /// `backtest:{strategy_id}`.
    pub fn backtest_key(strategy_id: &str) -> Result<String> {
        if strategy_id.is_empty() || strategy_id.chars().any(char::is_whitespace) {
            return Err(Error::InvalidInput(format!(
                "strategy id {strategy_id:?} must be non-empty, without whitespace"
            )));
        }
        Ok(layout::BACKTEST.key(&[strategy_id]))
    }

    /// The key of a result cached as `entry` ([`layout::POSITION_SIZING`]).
    fn entry_key<P: Serialize + ?Sized>(entry: &LayoutEntry, params: &P) -> Result<String> {
        Ok(entry.key(&[&Self::hash(params)?]))
    }

    /// 32 hex digits of FNV-1a over the parameters as canonical JSON (map keys sorted).
    fn hash<P: Serialize + ?Sized>(params: &P) -> Result<String> {
        let v = serde_json::to_value(params)?;
        let mut canonical = Vec::new();
        write_canonical(&v, &mut canonical);
        Ok(format!("{:032x}", fnv1a_128(&canonical)))
    }

    /// A strategy's backtest result, computed once and kept 24 h (`get_backtest_results`).
    pub async fn backtest<T, F, Fut>(&self, strategy_id: &str, compute: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let key = Self::backtest_key(strategy_id)?;
        self.cache
            .typed(DataType::Backtests)
            .get_or_compute(&key, compute)
            .await
    }

    /// A position-sizing result, computed once per parameter set and kept 1 min.
    pub async fn position_sizing<P, T, F, Fut>(&self, params: &P, compute: F) -> Result<T>
    where
        P: Serialize + ?Sized,
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let key = Self::entry_key(&layout::POSITION_SIZING, params)?;
        self.cache
            .typed(DataType::PositionSizing)
            .get_or_compute(&key, compute)
            .await
    }

    /// A strategy's cached backtest result, if any.
    pub async fn get_backtest<T: DeserializeOwned>(&self, strategy_id: &str) -> Result<Option<T>> {
        let key = Self::backtest_key(strategy_id)?;
        self.cache.typed(DataType::Backtests).get(&key).await
    }

    /// Caches a strategy's backtest result (24 h by default, or `ttl`).
    pub async fn set_backtest<T: Serialize>(
        &self,
        strategy_id: &str,
        result: &T,
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let key = Self::backtest_key(strategy_id)?;
        self.cache
            .typed(DataType::Backtests)
            .set_with_ttl(&key, result, ttl)
            .await
    }

    /// A cached position-sizing result for these parameters, if any.
    pub async fn get_position_sizing<P: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        params: &P,
    ) -> Result<Option<T>> {
        let key = Self::entry_key(&layout::POSITION_SIZING, params)?;
        self.cache.typed(DataType::PositionSizing).get(&key).await
    }

    /// Removes every cached backtest; returns the count.
    pub async fn invalidate_backtests(&self) -> Result<u64> {
        self.cache.invalidate_pattern(layout::BACKTEST.glob).await
    }
}

/// JSON with object keys sorted at every level, no whitespace.
fn write_canonical(v: &serde_json::Value, out: &mut Vec<u8>) {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(serde_json::Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                write_canonical(&m[k], out);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(x, out);
            }
            out.push(b']');
        }
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// FNV-1a, 128 bits: stable across processes and Rust versions (unlike `DefaultHasher`).
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ b as u128).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_keys_are_stable_and_order_independent() {
        let a = serde_json::json!({"strategy": "momentum", "params": {"fast": 10, "slow": 30}});
        let b = serde_json::json!({"params": {"slow": 30, "fast": 10}, "strategy": "momentum"});
        let c = serde_json::json!({"params": {"slow": 31, "fast": 10}, "strategy": "momentum"});
        let ka = QueryCache::key("backtest", &a).unwrap();
        assert_eq!(ka, QueryCache::key("backtest", &b).unwrap());
        assert_ne!(ka, QueryCache::key("backtest", &c).unwrap());
        assert!(ka.starts_with("backtest:") && ka.len() == "backtest:".len() + 32);
        // Pinned: the hash must not change between versions (other processes share the keys).
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn key_segments_are_checked() {
        assert_eq!(
            MarketDataCache::ticker_key("binance", "BTC-USDT").unwrap(),
            "ticker:binance:BTC-USDT"
        );
        for (ex, sym) in [("", "BTC"), ("bin:ance", "BTC"), ("binance", "BTC USDT")] {
            assert_eq!(
                MarketDataCache::ticker_key(ex, sym).unwrap_err().kind(),
                crate::ErrorKind::InvalidInput
            );
        }
        let d = NaiveDate::from_ymd_opt(2025, 1, 17).unwrap();
        assert_eq!(
            FeatureCache::key("AAPL", d).unwrap(),
            "features:AAPL:2025-01-17"
        );
    }

    #[test]
    fn every_builder_writes_keys_of_its_layout_entry() {
        let d = NaiveDate::from_ymd_opt(2025, 1, 17).unwrap();
        let params = serde_json::json!({"fast": 10});
        let built: Vec<(String, &LayoutEntry)> = vec![
            (
                MarketDataCache::ticker_key("binance", "BTC-USDT").unwrap(),
                &layout::TICKER,
            ),
            (
                MarketDataCache::key(&layout::ORDER_BOOK, "binance", "BTC").unwrap(),
                &layout::ORDER_BOOK,
            ),
            (
                MarketDataCache::key(&layout::TRADES, "kraken", "ETH").unwrap(),
                &layout::TRADES,
            ),
            (
                MarketDataCache::candles_key(CandleInterval::M1, "binance", "BTC").unwrap(),
                &layout::CANDLES_1M,
            ),
            (
                MarketDataCache::candles_key(CandleInterval::M5, "binance", "BTC").unwrap(),
                &layout::CANDLES_5M,
            ),
            (
                MarketDataCache::signal_key("momentum", "BTC").unwrap(),
                &layout::SIGNAL,
            ),
            (
                MarketDataCache::api_calls_key(
                    "binance",
                    "/api/v3:ticker",
                    Duration::from_secs(60),
                )
                .unwrap()
                .0,
                &layout::API_CALLS,
            ),
            (
                MarketDataCache::market_data_key("BTC").unwrap(),
                &layout::MARKET_DATA,
            ),
            (MarketDataCache::quote_key("BTC").unwrap(), &layout::QUOTE),
            (FeatureCache::key("AAPL", d).unwrap(), &layout::FEATURES),
            (
                QueryCache::backtest_key("momentum_v2").unwrap(),
                &layout::BACKTEST,
            ),
            (
                QueryCache::key("position_sizing", &params).unwrap(),
                &layout::POSITION_SIZING,
            ),
            (SIGNAL_BUFFER_KEY.to_string(), &layout::SIGNAL_HISTORY),
        ];
        for (key, entry) in built {
            assert_eq!(classify(key.as_bytes()), Some(entry), "{key}");
        }
        assert_eq!(
            QueryCache::key("position_sizing", &params).unwrap(),
            QueryCache::entry_key(&layout::POSITION_SIZING, &params).unwrap()
        );
    }

    #[test]
    fn invalidation_globs_come_from_the_layout() {
        assert_eq!(patterns::signals(None).unwrap(), "signal:*");
        assert_eq!(patterns::signals(Some("mom")).unwrap(), "signal:mom:*");
        assert_eq!(
            patterns::features_of_symbol("AAPL").unwrap(),
            "features:AAPL:*"
        );
        assert_eq!(
            patterns::features_of_date("2025-01-17").unwrap(),
            "features:*:2025-01-17"
        );
        assert_eq!(
            patterns::exchange("bin*").unwrap(),
            [
                "ticker:bin\\*:*",
                "orderbook:bin\\*:*",
                "trades:bin\\*:*",
                "candles:1m:bin\\*:*",
                "candles:5m:bin\\*:*",
                "api_calls:bin\\*:*"
            ]
        );
        let sym = patterns::symbol("BTC").unwrap();
        assert_eq!(sym[0], "ticker:*:BTC");
        assert!(sym.contains(&"signal:*:BTC".to_string()));
        assert!(sym.contains(&"onchain_metrics:BTC".to_string()));
    }
}
