//! Time series on sorted sets scored by epoch milliseconds: [`TimeSeriesStore`] adds points and
//! OHLCV bars, reads ranges, the latest points, stats and downsampled buckets in bounded pages,
//! and applies retention by age (`ZREMRANGEBYSCORE`) and by count (`ZREMRANGEBYRANK`).
//!
//! # Key layout
//!
//! - `ts:{series}` (e.g. `ts:metrics:latency`): a sorted set; score = the point's time in epoch
//!   milliseconds; member = `"{ts_ms}:{nonce}:{value}"`, where `nonce` is 16 random hex digits so
//!   two points with the same time (even the same value) are both kept.
//! - `ohlcv:{symbol}:{timeframe}` (e.g. `ohlcv:AAPL:1m`): a sorted set; score = the bar's time in
//!   epoch milliseconds; member = `"{ts_ms}:{nonce}:{json}"` with
//!   `json = {"open":..,"high":..,"low":..,"close":..,"volume":..}`.
//!
//! Readers take the time from the score. For foreign members, a bare number or a JSON object with
//! a `value` field is accepted as a point. Both prefixes are configurable in
//! [`TimeSeriesOptions`]. Reads never load more than [`TimeSeriesOptions::max_read`] points at
//! once: stats and downsampling walk the range in pages.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::conn::Conn;
use crate::error::{Error, Result};
use crate::market::layout;

/// Settings of a [`TimeSeriesStore`].
#[derive(Debug, Clone)]
pub struct TimeSeriesOptions {
    /// Prefix of point series keys (default `ts:`, the layout's [`layout::POINT_SERIES`]).
    pub prefix: String,
    /// Prefix of OHLCV keys (default `ohlcv:`, the layout's [`layout::OHLCV_SERIES`]).
    pub ohlcv_prefix: String,
    /// Drop points older than this (relative to the wall clock) when trimming; `None` keeps all.
    pub max_age: Option<Duration>,
    /// Keep at most this many points per key when trimming; `None` keeps all.
    pub max_points: Option<u64>,
    /// Trim a key as part of every `trim_every`-th write to the store (0: only explicit `trim`).
    pub trim_every: u64,
    /// Most points a single read may return (`get_range`, `get_latest`, `get_ohlcv`).
    pub max_read: usize,
    /// Points per `ZRANGE` page when walking a range (stats, downsampling, reads).
    pub page: usize,
}

impl Default for TimeSeriesOptions {
    fn default() -> Self {
        TimeSeriesOptions {
            prefix: layout::POINT_SERIES.prefix().into(),
            ohlcv_prefix: layout::OHLCV_SERIES.prefix().into(),
            max_age: None,
            max_points: None,
            trim_every: 100,
            max_read: 100_000,
            page: 5_000,
        }
    }
}

impl TimeSeriesOptions {
    /// Retention by age.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Retention by count.
    pub fn max_points(mut self, n: u64) -> Self {
        self.max_points = Some(n);
        self
    }

    /// Trim on every `n`-th write (0 disables trimming on write).
    pub fn trim_every(mut self, n: u64) -> Self {
        self.trim_every = n;
        self
    }

    /// Cap on the points one read returns.
    pub fn max_read(mut self, n: usize) -> Self {
        self.max_read = n.max(1);
        self
    }

    /// Points per `ZRANGE` page when walking a range.
    pub fn page(mut self, n: usize) -> Self {
        self.page = n.max(1);
        self
    }

    /// Key prefixes for points and OHLCV bars.
    pub fn prefixes(mut self, points: impl Into<String>, ohlcv: impl Into<String>) -> Self {
        self.prefix = points.into();
        self.ohlcv_prefix = ohlcv.into();
        self
    }
}

/// One point of a series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Time in epoch milliseconds.
    pub ts_ms: i64,
    /// The value.
    pub value: f64,
}

/// Aggregates over a range.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct SeriesStats {
    /// Points in the range.
    pub count: u64,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Mean value.
    pub avg: Option<f64>,
    /// The value of the latest point.
    pub last: Option<f64>,
    /// Time of the earliest point (epoch ms).
    pub first_ts_ms: Option<i64>,
    /// Time of the latest point (epoch ms).
    pub last_ts_ms: Option<i64>,
}

/// One bucket of a downsampled range, for charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bucket {
    /// Bucket start, epoch ms (a multiple of the bucket width).
    pub start_ms: i64,
    /// Points in the bucket.
    pub count: u64,
    /// Mean value.
    pub avg: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// A candle: open/high/low/close and volume over one timeframe starting at `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OHLCVBar {
    /// Bar start (UTC, millisecond precision).
    pub timestamp: DateTime<Utc>,
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

impl OHLCVBar {
    /// Checks the bar is consistent: finite numbers, `low <= open, close <= high`, volume >= 0.
    pub fn validate(&self) -> Result<()> {
        let all = [self.open, self.high, self.low, self.close, self.volume];
        if all.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(
                "OHLCV bar: values must be finite".into(),
            ));
        }
        if self.low > self.high
            || self.open > self.high
            || self.close > self.high
            || self.open < self.low
            || self.close < self.low
        {
            return Err(Error::InvalidInput(format!(
                "OHLCV bar: low <= open, close <= high does not hold (o {} h {} l {} c {})",
                self.open, self.high, self.low, self.close
            )));
        }
        if self.volume < 0.0 {
            return Err(Error::InvalidInput("OHLCV bar: negative volume".into()));
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct BarBody {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

/// How many entries a trim removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Trimmed {
    /// Removed for being older than `max_age`.
    pub by_age: u64,
    /// Removed for exceeding `max_points`.
    pub by_count: u64,
}

/// Time series and OHLCV bars in sorted sets; cheap to clone.
#[derive(Clone)]
pub struct TimeSeriesStore {
    conn: Conn,
    opts: Arc<TimeSeriesOptions>,
    writes: Arc<AtomicU64>,
}

fn member(ts_ms: i64, payload: &str) -> String {
    format!("{ts_ms}:{:016x}:{payload}", rand::random::<u64>())
}

fn finite(v: f64) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::InvalidInput(format!(
            "value must be finite, got {v}"
        )))
    }
}

/// The payload part of a `{ts}:{nonce}:{payload}` member (or the whole member if it has no such shape).
fn payload(m: &[u8]) -> &[u8] {
    let mut parts = m.splitn(3, |&b| b == b':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(ts), Some(_), Some(p))
            if !ts.is_empty() && ts.iter().all(|b| b.is_ascii_digit() || *b == b'-') =>
        {
            p
        }
        _ => m,
    }
}

fn point_value(m: &[u8]) -> Option<f64> {
    let p = std::str::from_utf8(payload(m)).ok()?;
    if let Ok(v) = p.trim().parse::<f64>() {
        return Some(v);
    }
    let j: serde_json::Value = serde_json::from_str(p).ok()?;
    j.get("value")?.as_f64()
}

fn undecodable(key: &str, m: &[u8]) -> Error {
    let preview: String = String::from_utf8_lossy(&m[..m.len().min(60)]).into_owned();
    Error::Codec(format!(
        "{key}: member {preview:?} is not a time series point"
    ))
}

fn ms_to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl TimeSeriesStore {
    /// A store over `conn` with default options (prefixes `ts:`/`ohlcv:`, no retention).
    pub fn new(conn: Conn) -> Self {
        Self::with_options(conn, TimeSeriesOptions::default())
    }

    /// A store over `conn` with `opts`.
    pub fn with_options(conn: Conn, opts: TimeSeriesOptions) -> Self {
        TimeSeriesStore {
            conn,
            opts: Arc::new(opts),
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &TimeSeriesOptions {
        &self.opts
    }

    /// The key of point series `series` (`ts:{series}`).
    pub fn series_key(&self, series: &str) -> String {
        format!("{}{series}", self.opts.prefix)
    }

    /// The key of OHLCV bars for `symbol` and `timeframe` (`ohlcv:{symbol}:{timeframe}`).
    pub fn ohlcv_key(&self, symbol: &str, timeframe: &str) -> String {
        format!("{}{symbol}:{timeframe}", self.opts.ohlcv_prefix)
    }

    /// Counts `n` writes and says whether this batch crossed a `trim_every` boundary.
    fn trim_due(&self, n: u64) -> bool {
        let every = self.opts.trim_every;
        if every == 0 || (self.opts.max_age.is_none() && self.opts.max_points.is_none()) {
            return false;
        }
        let before = self.writes.fetch_add(n, Ordering::Relaxed);
        before / every != (before + n) / every
    }

    /// Appends the retention commands for `key` to `pipe` (replies ignored).
    fn push_trim(&self, pipe: &mut redis::Pipeline, key: &str, now_ms: i64) {
        if let Some(age) = self.opts.max_age {
            let cutoff = now_ms.saturating_sub(age.as_millis() as i64);
            pipe.cmd("ZREMRANGEBYSCORE")
                .arg(key)
                .arg("-inf")
                .arg(format!("({cutoff}"));
        }
        if let Some(n) = self.opts.max_points {
            pipe.cmd("ZREMRANGEBYRANK")
                .arg(key)
                .arg(0)
                .arg(-(n as i64) - 1);
        }
    }

    async fn write(&self, key: &str, entries: Vec<(i64, String)>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for chunk in entries.chunks(1000) {
            let mut cmd = redis::cmd("ZADD");
            cmd.arg(key);
            for (score, m) in chunk {
                cmd.arg(*score).arg(m);
            }
            pipe.add_command(cmd).ignore();
        }
        if self.trim_due(entries.len() as u64) {
            self.push_trim(&mut pipe, key, Utc::now().timestamp_millis());
            pipe.ignore();
        }
        let mut c = self.conn.clone();
        let () = pipe.query_async(&mut c).await?;
        Ok(())
    }

    /// Adds a point at `ts_ms` to `series`.
    pub async fn add(&self, series: &str, ts_ms: i64, value: f64) -> Result<()> {
        finite(value)?;
        self.write(
            &self.series_key(series),
            vec![(ts_ms, member(ts_ms, &value.to_string()))],
        )
        .await
    }

    /// Adds a point stamped now (the Python services' `ts.add("metrics:latency", 45.5)`).
    pub async fn add_now(&self, series: &str, value: f64) -> Result<()> {
        self.add(series, Utc::now().timestamp_millis(), value).await
    }

    /// Adds many points to `series` in one pipeline (all rejected if any value is not finite).
    pub async fn add_many(&self, series: &str, points: &[Point]) -> Result<()> {
        let entries = points
            .iter()
            .map(|p| Ok((p.ts_ms, member(p.ts_ms, &finite(p.value)?.to_string()))))
            .collect::<Result<Vec<_>>>()?;
        self.write(&self.series_key(series), entries).await
    }

    /// Number of points in `series`.
    pub async fn len(&self, series: &str) -> Result<u64> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("ZCARD")
            .arg(self.series_key(series))
            .query_async(&mut c)
            .await?)
    }

    /// Number of points of `series` in `[start_ms, end_ms]`.
    pub async fn count(&self, series: &str, start_ms: i64, end_ms: i64) -> Result<u64> {
        self.zcount(&self.series_key(series), start_ms, end_ms)
            .await
    }

    async fn zcount(&self, key: &str, start_ms: i64, end_ms: i64) -> Result<u64> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("ZCOUNT")
            .arg(key)
            .arg(start_ms)
            .arg(end_ms)
            .query_async(&mut c)
            .await?)
    }

    /// Walks `[start_ms, end_ms]` of `key` in score order, one `ZRANGE ... BYSCORE LIMIT` page at a
    /// time (resuming after the last score seen, skipping members already read at that score).
    async fn walk<F>(&self, key: &str, start_ms: i64, end_ms: i64, mut f: F) -> Result<()>
    where
        F: FnMut(i64, &[u8]) -> Result<()>,
    {
        if start_ms > end_ms {
            return Ok(());
        }
        let page = self.opts.page.max(1);
        let mut from = start_ms;
        let mut skip = 0usize;
        let mut c = self.conn.clone();
        loop {
            let rows: Vec<(Vec<u8>, f64)> = redis::cmd("ZRANGE")
                .arg(key)
                .arg(from)
                .arg(end_ms)
                .arg("BYSCORE")
                .arg("LIMIT")
                .arg(skip)
                .arg(page)
                .arg("WITHSCORES")
                .query_async(&mut c)
                .await?;
            let n = rows.len();
            let Some(last) = rows.last().map(|r| r.1 as i64) else {
                return Ok(());
            };
            let at_last = rows.iter().rev().take_while(|r| r.1 as i64 == last).count();
            for (m, score) in &rows {
                f(*score as i64, m)?;
            }
            if n < page {
                return Ok(());
            }
            skip = if last == from {
                skip + at_last
            } else {
                at_last
            };
            from = last;
        }
    }

    fn decode_point(key: &str, ts_ms: i64, m: &[u8]) -> Result<Point> {
        let value = point_value(m).ok_or_else(|| undecodable(key, m))?;
        Ok(Point { ts_ms, value })
    }

    /// Points of `series` in `[start_ms, end_ms]`, oldest first. Refuses (`InvalidInput`) a range
    /// holding more than `max_read` points: use [`downsample`](Self::downsample) or a narrower range.
    pub async fn get_range(&self, series: &str, start_ms: i64, end_ms: i64) -> Result<Vec<Point>> {
        let key = self.series_key(series);
        let n = self.zcount(&key, start_ms, end_ms).await?;
        if n > self.opts.max_read as u64 {
            return Err(Error::InvalidInput(format!(
                "{key}: {n} points in range, more than the {} one read may return",
                self.opts.max_read
            )));
        }
        let mut out = Vec::with_capacity(n as usize);
        self.walk(&key, start_ms, end_ms, |ts, m| {
            out.push(Self::decode_point(&key, ts, m)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// The latest `n` points of `series` (at most `max_read`), oldest first.
    pub async fn get_latest(&self, series: &str, n: usize) -> Result<Vec<Point>> {
        let key = self.series_key(series);
        let rows = self.last_rows(&key, n).await?;
        rows.iter()
            .map(|(m, s)| Self::decode_point(&key, *s as i64, m))
            .collect()
    }

    async fn last_rows(&self, key: &str, n: usize) -> Result<Vec<(Vec<u8>, f64)>> {
        let n = n.min(self.opts.max_read);
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut c = self.conn.clone();
        Ok(redis::cmd("ZRANGE")
            .arg(key)
            .arg(-(n as i64))
            .arg(-1)
            .arg("WITHSCORES")
            .query_async(&mut c)
            .await?)
    }

    /// Count, min, max, mean and last value of `series` over `[start_ms, end_ms]`, computed in
    /// pages (any range size).
    pub async fn get_stats(&self, series: &str, start_ms: i64, end_ms: i64) -> Result<SeriesStats> {
        let key = self.series_key(series);
        let mut s = SeriesStats::default();
        let mut sum = 0.0;
        self.walk(&key, start_ms, end_ms, |ts, m| {
            let p = Self::decode_point(&key, ts, m)?;
            s.count += 1;
            sum += p.value;
            s.min = Some(s.min.map_or(p.value, |x| x.min(p.value)));
            s.max = Some(s.max.map_or(p.value, |x| x.max(p.value)));
            s.first_ts_ms.get_or_insert(ts);
            s.last_ts_ms = Some(ts);
            s.last = Some(p.value);
            Ok(())
        })
        .await?;
        if s.count > 0 {
            s.avg = Some(sum / s.count as f64);
        }
        Ok(s)
    }

    /// `series` over `[start_ms, end_ms]` in buckets of `bucket_ms` aligned to the epoch
    /// (`start = ts - ts mod bucket_ms`), with mean/min/max/count; empty buckets are omitted.
    pub async fn downsample(
        &self,
        series: &str,
        start_ms: i64,
        end_ms: i64,
        bucket_ms: i64,
    ) -> Result<Vec<Bucket>> {
        if bucket_ms <= 0 {
            return Err(Error::InvalidInput("bucket width must be positive".into()));
        }
        let key = self.series_key(series);
        let mut out: Vec<Bucket> = Vec::new();
        let mut sum = 0.0;
        self.walk(&key, start_ms, end_ms, |ts, m| {
            let p = Self::decode_point(&key, ts, m)?;
            let start = ts - ts.rem_euclid(bucket_ms);
            match out.last_mut() {
                Some(b) if b.start_ms == start => {
                    b.count += 1;
                    sum += p.value;
                    b.min = b.min.min(p.value);
                    b.max = b.max.max(p.value);
                    b.avg = sum / b.count as f64;
                }
                _ => {
                    sum = p.value;
                    out.push(Bucket {
                        start_ms: start,
                        count: 1,
                        avg: p.value,
                        min: p.value,
                        max: p.value,
                    });
                }
            }
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Stores `bar` for `symbol` and `timeframe` (bars with equal timestamps are all kept).
    pub async fn add_ohlcv(&self, symbol: &str, bar: &OHLCVBar, timeframe: &str) -> Result<()> {
        self.add_ohlcv_many(symbol, std::slice::from_ref(bar), timeframe)
            .await
    }

    /// Stores many bars in one pipeline (all rejected if any is inconsistent).
    pub async fn add_ohlcv_many(
        &self,
        symbol: &str,
        bars: &[OHLCVBar],
        timeframe: &str,
    ) -> Result<()> {
        if symbol.is_empty() || timeframe.is_empty() {
            return Err(Error::InvalidInput(
                "OHLCV: symbol and timeframe must not be empty".into(),
            ));
        }
        let mut entries = Vec::with_capacity(bars.len());
        for bar in bars {
            bar.validate()?;
            let ts = bar.timestamp.timestamp_millis();
            let body = serde_json::to_string(&BarBody {
                open: bar.open,
                high: bar.high,
                low: bar.low,
                close: bar.close,
                volume: bar.volume,
            })?;
            entries.push((ts, member(ts, &body)));
        }
        self.write(&self.ohlcv_key(symbol, timeframe), entries)
            .await
    }

    fn decode_bar(key: &str, ts_ms: i64, m: &[u8]) -> Result<OHLCVBar> {
        let body: BarBody = serde_json::from_slice(payload(m)).map_err(|_| undecodable(key, m))?;
        Ok(OHLCVBar {
            timestamp: ms_to_time(ts_ms),
            open: body.open,
            high: body.high,
            low: body.low,
            close: body.close,
            volume: body.volume,
        })
    }

    /// The latest `limit` bars (at most `max_read`) of `symbol` at `timeframe`, oldest first.
    pub async fn get_ohlcv(
        &self,
        symbol: &str,
        timeframe: &str,
        limit: usize,
    ) -> Result<Vec<OHLCVBar>> {
        let key = self.ohlcv_key(symbol, timeframe);
        let rows = self.last_rows(&key, limit).await?;
        rows.iter()
            .map(|(m, s)| Self::decode_bar(&key, *s as i64, m))
            .collect()
    }

    /// Bars of `symbol` at `timeframe` in `[start_ms, end_ms]`, oldest first (at most `max_read`).
    pub async fn get_ohlcv_range(
        &self,
        symbol: &str,
        timeframe: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<OHLCVBar>> {
        let key = self.ohlcv_key(symbol, timeframe);
        let n = self.zcount(&key, start_ms, end_ms).await?;
        if n > self.opts.max_read as u64 {
            return Err(Error::InvalidInput(format!(
                "{key}: {n} bars in range, more than the {} one read may return",
                self.opts.max_read
            )));
        }
        let mut out = Vec::with_capacity(n as usize);
        self.walk(&key, start_ms, end_ms, |ts, m| {
            out.push(Self::decode_bar(&key, ts, m)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Applies retention to `series` now.
    pub async fn trim(&self, series: &str) -> Result<Trimmed> {
        self.trim_key_at(&self.series_key(series), Utc::now().timestamp_millis())
            .await
    }

    /// Applies retention to the bars of `symbol` at `timeframe` now.
    pub async fn trim_ohlcv(&self, symbol: &str, timeframe: &str) -> Result<Trimmed> {
        self.trim_key_at(
            &self.ohlcv_key(symbol, timeframe),
            Utc::now().timestamp_millis(),
        )
        .await
    }

    /// Applies retention to `key` as if the time were `now_ms`: age first, then count.
    pub async fn trim_key_at(&self, key: &str, now_ms: i64) -> Result<Trimmed> {
        let mut pipe = redis::pipe();
        self.push_trim(&mut pipe, key, now_ms);
        if pipe.is_empty() {
            return Ok(Trimmed::default());
        }
        let mut c = self.conn.clone();
        let removed: Vec<u64> = pipe.query_async(&mut c).await?;
        let mut it = removed.into_iter();
        Ok(Trimmed {
            by_age: if self.opts.max_age.is_some() {
                it.next().unwrap_or(0)
            } else {
                0
            },
            by_count: if self.opts.max_points.is_some() {
                it.next().unwrap_or(0)
            } else {
                0
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_unique_and_decode() {
        let a = member(1000, "1.5");
        let b = member(1000, "1.5");
        assert_ne!(a, b);
        assert_eq!(point_value(a.as_bytes()), Some(1.5));
        assert_eq!(point_value(b"42"), Some(42.0));
        assert_eq!(point_value(br#"{"value": 3.25}"#), Some(3.25));
        assert_eq!(point_value(b"1000:abc:not-a-number"), None);
        let bar = member(
            5,
            r#"{"open":1,"high":2,"low":0.5,"close":1.5,"volume":10}"#,
        );
        let body: BarBody = serde_json::from_slice(payload(bar.as_bytes())).unwrap();
        assert_eq!(body.high, 2.0);
    }

    #[test]
    fn rejects_inconsistent_bars() {
        let ok = OHLCVBar {
            timestamp: ms_to_time(0),
            open: 10.0,
            high: 12.0,
            low: 9.0,
            close: 11.0,
            volume: 5.0,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            OHLCVBar { high: 8.0, ..ok },
            OHLCVBar { close: 13.0, ..ok },
            OHLCVBar { volume: -1.0, ..ok },
            OHLCVBar {
                open: f64::NAN,
                ..ok
            },
        ] {
            assert!(bad.validate().is_err());
        }
    }
}
