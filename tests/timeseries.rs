//! Time series on real redis-server processes: ranges, latest points and stats checked against
//! values computed here, paging across equal timestamps, OHLCV bars with equal timestamps kept,
//! retention by age and by count (explicit and on write), and downsampled buckets.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use redscope::conn::Conn;
use redscope::timeseries::{OHLCVBar, Point, TimeSeriesOptions, TimeSeriesStore};
use redscope::ErrorKind;
use redscope_testing::RedisServer;

const T0: i64 = 1_700_000_000_000;

fn value(i: i64) -> f64 {
    ((i * 37) % 101) as f64 * 0.25 - 3.0
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

async fn store(server: &RedisServer, opts: TimeSeriesOptions) -> (TimeSeriesStore, Conn) {
    let conn = Conn::connect(&server.config()).await.unwrap();
    (TimeSeriesStore::with_options(conn.clone(), opts), conn)
}

#[tokio::test]
async fn ranges_latest_and_stats_match_the_data() {
    let server = RedisServer::start().unwrap();
    let opts = TimeSeriesOptions::default().max_read(5_000).page(64);
    let (ts, mut conn) = store(&server, opts).await;
    let points: Vec<Point> = (0..2_000)
        .map(|i| Point {
            ts_ms: T0 + i * 1_000,
            value: value(i),
        })
        .collect();
    ts.add_many("metrics:latency", &points).await.unwrap();
    assert_eq!(ts.len("metrics:latency").await.unwrap(), 2_000);
    let kind: String = redis::cmd("TYPE")
        .arg("ts:metrics:latency")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(kind, "zset", "documented key layout ts:{{series}}");

    // [T0+100s, T0+599s] holds points 100..=599.
    let range = ts
        .get_range("metrics:latency", T0 + 100_000, T0 + 599_000)
        .await
        .unwrap();
    assert_eq!(range.len(), 500);
    assert_eq!(range, points[100..600].to_vec());
    assert!(ts
        .get_range("metrics:latency", T0 + 5_000_000, T0 + 6_000_000)
        .await
        .unwrap()
        .is_empty());
    assert!(ts
        .get_range("metrics:latency", T0 + 10, T0)
        .await
        .unwrap()
        .is_empty());

    let latest = ts.get_latest("metrics:latency", 10).await.unwrap();
    assert_eq!(latest, points[1_990..].to_vec());

    let stats = ts
        .get_stats("metrics:latency", T0 + 100_000, T0 + 1_599_000)
        .await
        .unwrap();
    let window = &points[100..1_600];
    let sum: f64 = window.iter().map(|p| p.value).sum();
    assert_eq!(stats.count, 1_500);
    assert_eq!(
        stats.min,
        Some(window.iter().map(|p| p.value).fold(f64::MAX, f64::min))
    );
    assert_eq!(
        stats.max,
        Some(window.iter().map(|p| p.value).fold(f64::MIN, f64::max))
    );
    assert!(close(stats.avg.unwrap(), sum / 1_500.0));
    assert_eq!(stats.last, Some(value(1_599)));
    assert_eq!(
        (stats.first_ts_ms, stats.last_ts_ms),
        (Some(T0 + 100_000), Some(T0 + 1_599_000))
    );
    let empty = ts.get_stats("nothing", 0, i64::MAX).await.unwrap();
    assert_eq!((empty.count, empty.avg, empty.last), (0, None, None));

    // A read larger than max_read is refused, not loaded.
    ts.add_many(
        "big",
        &(0..6_000)
            .map(|i| Point {
                ts_ms: T0 + i,
                value: 1.0,
            })
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let err = ts.get_range("big", 0, i64::MAX).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(ts.get_stats("big", 0, i64::MAX).await.unwrap().count, 6_000);
    let err = ts.add("bad", T0, f64::NAN).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(ts.len("bad").await.unwrap(), 0);
}

#[tokio::test]
async fn equal_timestamps_are_all_kept_across_pages() {
    let server = RedisServer::start().unwrap();
    let opts = TimeSeriesOptions::default().page(50);
    let (ts, _) = store(&server, opts).await;
    // 3 timestamps x 130 points each (same value too), then one later point.
    for t in 0..3 {
        let same: Vec<Point> = (0..130)
            .map(|_| Point {
                ts_ms: T0 + t,
                value: t as f64,
            })
            .collect();
        ts.add_many("dups", &same).await.unwrap();
    }
    ts.add("dups", T0 + 10, 99.0).await.unwrap();
    assert_eq!(ts.len("dups").await.unwrap(), 391);
    let all = ts.get_range("dups", T0, T0 + 10).await.unwrap();
    assert_eq!(
        all.len(),
        391,
        "pages resume inside a run of equal timestamps"
    );
    for t in 0..3 {
        assert_eq!(all.iter().filter(|p| p.ts_ms == T0 + t).count(), 130);
    }
    let stats = ts.get_stats("dups", T0 + 1, T0 + 10).await.unwrap();
    assert_eq!(stats.count, 261);
    assert!(close(stats.avg.unwrap(), (130.0 + 260.0 + 99.0) / 261.0));
    assert_eq!(stats.last, Some(99.0));
}

fn bar(ms: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> OHLCVBar {
    OHLCVBar {
        timestamp: Utc.timestamp_millis_opt(ms).unwrap(),
        open,
        high,
        low,
        close,
        volume,
    }
}

#[tokio::test]
async fn ohlcv_bars_round_trip_and_equal_timestamps_are_kept() {
    let server = RedisServer::start().unwrap();
    let (ts, mut conn) = store(&server, TimeSeriesOptions::default()).await;
    let bars: Vec<OHLCVBar> = (0..120)
        .map(|i| {
            let o = 175.0 + i as f64 * 0.1;
            bar(
                T0 + i * 60_000,
                o,
                o + 1.5,
                o - 0.5,
                o + 0.25,
                1_000_000.0 + i as f64,
            )
        })
        .collect();
    ts.add_ohlcv_many("AAPL", &bars, "1m").await.unwrap();
    // A second bar with the same timestamp as the last one (a correction): both are kept.
    let correction = bar(T0 + 119 * 60_000, 186.9, 188.0, 186.0, 187.5, 5.0);
    ts.add_ohlcv("AAPL", &correction, "1m").await.unwrap();
    let zcard: u64 = redis::cmd("ZCARD")
        .arg("ohlcv:AAPL:1m")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(zcard, 121, "documented key layout ohlcv:{{symbol}}:{{tf}}");

    let last60 = ts.get_ohlcv("AAPL", "1m", 60).await.unwrap();
    assert_eq!(last60.len(), 60);
    assert_eq!(last60[0], bars[61]);
    let tail: Vec<&OHLCVBar> = last60
        .iter()
        .filter(|b| b.timestamp.timestamp_millis() == T0 + 119 * 60_000)
        .collect();
    assert_eq!(tail.len(), 2);
    assert!(tail.contains(&&correction) && tail.contains(&&bars[119]));
    assert_eq!(ts.get_ohlcv("AAPL", "5m", 60).await.unwrap().len(), 0);
    let range = ts
        .get_ohlcv_range("AAPL", "1m", T0, T0 + 9 * 60_000)
        .await
        .unwrap();
    assert_eq!(range, bars[..10].to_vec());

    let inconsistent = bar(T0, 10.0, 9.0, 8.0, 9.5, 1.0); // open above high
    let err = ts.add_ohlcv("AAPL", &inconsistent, "1m").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(ts.get_ohlcv("AAPL", "1m", 1_000).await.unwrap().len(), 121);
}

#[tokio::test]
async fn retention_by_age_and_count() {
    let server = RedisServer::start().unwrap();
    // By age: points every minute over the last 2 hours, keep 1 hour.
    let (aged, _) = store(
        &server,
        TimeSeriesOptions::default()
            .max_age(Duration::from_secs(3_600))
            .trim_every(0),
    )
    .await;
    let now = T0 + 7_200_000;
    let points: Vec<Point> = (0..=120)
        .map(|i| Point {
            ts_ms: T0 + i * 60_000,
            value: i as f64,
        })
        .collect();
    aged.add_many("age", &points).await.unwrap();
    assert_eq!(aged.len("age").await.unwrap(), 121, "no trim on write");
    let trimmed = aged.trim_key_at("ts:age", now).await.unwrap();
    // Points strictly older than now - 1h (minutes 0..=59) go; minute 60 (exactly 1h old) stays.
    assert_eq!((trimmed.by_age, trimmed.by_count), (60, 0));
    let left = aged.get_range("age", 0, i64::MAX).await.unwrap();
    assert_eq!(left.len(), 61);
    assert_eq!(left[0].ts_ms, now - 3_600_000);

    // By count, explicitly.
    let (counted, _) = store(
        &server,
        TimeSeriesOptions::default().max_points(100).trim_every(0),
    )
    .await;
    counted
        .add_many(
            "count",
            &(0..250)
                .map(|i| Point {
                    ts_ms: T0 + i,
                    value: i as f64,
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let trimmed = counted.trim("count").await.unwrap();
    assert_eq!((trimmed.by_age, trimmed.by_count), (0, 150));
    let kept = counted.get_range("count", 0, i64::MAX).await.unwrap();
    assert_eq!(kept.len(), 100);
    assert_eq!(kept[0].value, 150.0, "the newest 100 are kept");

    // On write: every 10th write trims, so after 200 single writes exactly 50 are left.
    let (on_write, _) = store(
        &server,
        TimeSeriesOptions::default().max_points(50).trim_every(10),
    )
    .await;
    let mut peak = 0;
    for i in 0..200 {
        on_write.add("live", T0 + i, i as f64).await.unwrap();
        peak = peak.max(on_write.len("live").await.unwrap());
    }
    assert_eq!(on_write.len("live").await.unwrap(), 50);
    assert!(
        peak <= 59,
        "never more than max_points + trim_every - 1 (saw {peak})"
    );
    assert_eq!(
        on_write.get_latest("live", 1).await.unwrap()[0].value,
        199.0
    );

    // Age retention on write uses the wall clock: old points go, recent ones stay.
    let (live_age, _) = store(
        &server,
        TimeSeriesOptions::default()
            .max_age(Duration::from_secs(60))
            .trim_every(1),
    )
    .await;
    let wall = Utc::now().timestamp_millis();
    live_age
        .add_many(
            "wall",
            &[
                Point {
                    ts_ms: wall - 3_600_000,
                    value: 1.0,
                },
                Point {
                    ts_ms: wall,
                    value: 2.0,
                },
            ],
        )
        .await
        .unwrap();
    let left = live_age.get_range("wall", 0, i64::MAX).await.unwrap();
    assert_eq!(
        left,
        vec![Point {
            ts_ms: wall,
            value: 2.0
        }]
    );
}

#[tokio::test]
async fn downsample_matches_buckets_computed_here() {
    let server = RedisServer::start().unwrap();
    let opts = TimeSeriesOptions::default().page(100);
    let (ts, _) = store(&server, opts).await;
    // 3,000 points at irregular times (every 7 s) over ~5.8 hours.
    let points: Vec<Point> = (0..3_000)
        .map(|i| Point {
            ts_ms: T0 + 123 + i * 7_000,
            value: value(i),
        })
        .collect();
    ts.add_many("px", &points).await.unwrap();
    let (start, end, width) = (T0 + 600_000, T0 + 15_000_000, 300_000);
    let buckets = ts.downsample("px", start, end, width).await.unwrap();

    let mut expect: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for p in points.iter().filter(|p| p.ts_ms >= start && p.ts_ms <= end) {
        expect
            .entry(p.ts_ms - p.ts_ms.rem_euclid(width))
            .or_default()
            .push(p.value);
    }
    assert_eq!(buckets.len(), expect.len());
    assert_eq!(
        buckets.iter().map(|b| b.count).sum::<u64>(),
        expect.values().map(|v| v.len() as u64).sum::<u64>()
    );
    for (b, (start_ms, vals)) in buckets.iter().zip(&expect) {
        assert_eq!(b.start_ms, *start_ms);
        assert_eq!(b.count, vals.len() as u64);
        assert_eq!(b.min, vals.iter().copied().fold(f64::MAX, f64::min));
        assert_eq!(b.max, vals.iter().copied().fold(f64::MIN, f64::max));
        assert!(close(b.avg, vals.iter().sum::<f64>() / vals.len() as f64));
    }
    let err = ts.downsample("px", start, end, 0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn foreign_members_are_read_or_reported() {
    let server = RedisServer::start().unwrap();
    let (ts, mut conn) = store(&server, TimeSeriesOptions::default()).await;
    // What a naive Python writer might store: a bare value, or a JSON object with a value.
    let _: () = redis::pipe()
        .cmd("ZADD")
        .arg("ts:py")
        .arg(T0)
        .arg("12.5")
        .ignore()
        .cmd("ZADD")
        .arg("ts:py")
        .arg(T0 + 1)
        .arg(r#"{"value": 13.5, "tags": {"host": "a:b"}}"#)
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    let got = ts.get_range("py", 0, i64::MAX).await.unwrap();
    assert_eq!(
        got,
        vec![
            Point {
                ts_ms: T0,
                value: 12.5
            },
            Point {
                ts_ms: T0 + 1,
                value: 13.5
            }
        ]
    );
    let _: () = redis::cmd("ZADD")
        .arg("ts:py")
        .arg(T0 + 2)
        .arg(&b"\xff\x00binary"[..])
        .query_async(&mut conn)
        .await
        .unwrap();
    let err = ts.get_range("py", 0, i64::MAX).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Codec);
}
