//! The time-series view behind the key browser's charts: `GET /api/series` reads a `ts:{name}`
//! series (points + [`SeriesStats`]) or an `ohlcv:{symbol}:{timeframe}` series (bars), newest
//! `count` at most, through [`TimeSeriesStore`] so the member format is decoded in one place.
//! Which kind a key is comes from the library's key layout ([`redscope::market::layout`]).

use serde::{Deserialize, Serialize};

use super::AdminService;
use redscope::error::{Error, Result};
use redscope::market::layout::{self, Encoding};
use redscope::timeseries::{SeriesStats, TimeSeriesStore};

/// Default and largest number of points or bars returned.
pub const DEFAULT_COUNT: usize = 500;
/// Largest `count` accepted.
pub const MAX_COUNT: usize = 10_000;

/// `GET /api/series` parameters.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct SeriesQuery {
    /// The key: `ts:{name}` or `ohlcv:{symbol}:{timeframe}`.
    pub key: String,
    /// Newest points or bars to return (default 500, max 10,000).
    pub count: Option<usize>,
}

/// One point of a metric series.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SeriesPoint {
    /// Epoch milliseconds.
    pub ts_ms: i64,
    /// The value.
    pub value: f64,
}

/// One OHLCV bar.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SeriesBar {
    /// Bar start, epoch milliseconds.
    pub ts_ms: i64,
    /// First price.
    pub open: f64,
    /// Highest price.
    pub high: f64,
    /// Lowest price.
    pub low: f64,
    /// Last price.
    pub close: f64,
    /// Traded volume.
    pub volume: f64,
}

/// `GET /api/series` answer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SeriesReply {
    /// The key read.
    pub key: String,
    /// `points` (a `ts:` series) or `ohlcv`.
    pub kind: &'static str,
    /// Total members in the key.
    pub total: u64,
    /// Points in time order (kind `points`).
    pub points: Vec<SeriesPoint>,
    /// Bars in time order (kind `ohlcv`).
    pub bars: Vec<SeriesBar>,
    /// `get_stats` over the whole series (kind `points`).
    pub stats: Option<SeriesStats>,
    /// True when the key holds more than `count` members (only the newest are returned).
    pub truncated: bool,
}

impl AdminService {
    /// A time series key's newest points with stats, or its newest OHLCV bars.
    pub async fn series(&self, q: &SeriesQuery) -> Result<SeriesReply> {
        let count = q.count.unwrap_or(DEFAULT_COUNT).clamp(1, MAX_COUNT);
        let store = TimeSeriesStore::new(self.conn().await?);
        let mut conn = self.conn().await?;
        let total: u64 = redis::cmd("ZCARD")
            .arg(&q.key)
            .query_async(&mut conn)
            .await?;
        if total == 0 {
            return Err(Error::NotFound(format!("no sorted set at {:?}", q.key)));
        }
        let truncated = total > count as u64;
        let encoding = layout::classify(q.key.as_bytes()).map(|e| e.encoding);
        if encoding == Some(Encoding::OhlcvSeries) {
            let rest = &q.key[layout::OHLCV_SERIES.prefix().len()..];
            let (symbol, tf) = rest.rsplit_once(':').ok_or_else(|| {
                Error::InvalidInput(format!("an OHLCV key is {}", layout::OHLCV_SERIES.pattern))
            })?;
            let bars = store.get_ohlcv(symbol, tf, count).await?;
            let mut bars: Vec<SeriesBar> = bars
                .into_iter()
                .map(|b| SeriesBar {
                    ts_ms: b.timestamp.timestamp_millis(),
                    open: b.open,
                    high: b.high,
                    low: b.low,
                    close: b.close,
                    volume: b.volume,
                })
                .collect();
            bars.sort_by_key(|b| b.ts_ms);
            return Ok(SeriesReply {
                key: q.key.clone(),
                kind: "ohlcv",
                total,
                points: Vec::new(),
                bars,
                stats: None,
                truncated,
            });
        }
        if encoding == Some(Encoding::PointSeries) {
            let name = &q.key[layout::POINT_SERIES.prefix().len()..];
            let mut points: Vec<SeriesPoint> = store
                .get_latest(name, count)
                .await?
                .into_iter()
                .map(|p| SeriesPoint {
                    ts_ms: p.ts_ms,
                    value: p.value,
                })
                .collect();
            points.sort_by_key(|p| p.ts_ms);
            let stats = store.get_stats(name, i64::MIN, i64::MAX).await?;
            return Ok(SeriesReply {
                key: q.key.clone(),
                kind: "points",
                total,
                points,
                bars: Vec::new(),
                stats: Some(stats),
                truncated,
            });
        }
        Err(Error::InvalidInput(format!(
            "{:?} is not a time series key ({} or {})",
            q.key,
            layout::POINT_SERIES.pattern,
            layout::OHLCV_SERIES.pattern
        )))
    }
}
