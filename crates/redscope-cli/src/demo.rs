//! `redscope demo`: a synthetic but realistic trading workload driven through the library itself,
//! so a new user sees a living server at once — ticks on the market stream with a consumer group,
//! market caches with their TTLs, OHLCV bars and latencies, pub/sub traffic, locks and limits.
//!
//! The feed runs in frames of 100 ms. Each frame moves every price one random-walk step, publishes
//! `rate / 10` ticks, refreshes the tickers and order books of the symbols that traded, reads the
//! caches like a strategy would (cache-aside included) and sometimes emits a signal, which goes
//! through a rate limiter before it becomes an order. Every second it closes 1-second OHLCV bars,
//! refreshes candles and features and sends a heartbeat; every five seconds a rebalance runs under
//! a distributed lock. A one-line summary is logged every `summary_every`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use redscope::cache::{Cache, CacheOptions};
use redscope::config::RedisConfig;
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::events::{channels, FlatEvent, Severity, SignalEvent};
use redscope::lock::LockManager;
use redscope::market::{CandleInterval, FeatureCache, MarketDataCache, QueryCache, SignalBuffer};
use redscope::pubsub::PubSubManager;
use redscope::ratelimit::RateLimiter;
use redscope::stream::{ConsumerOptions, MarketDataStream, MarketTick, DEFAULT_STREAM};
use redscope::timeseries::{OHLCVBar, TimeSeriesOptions, TimeSeriesStore};

/// The consumer group that reads the demo's market stream.
pub const DEMO_GROUP: &str = "demo-analytics";
/// The strategy name on the demo's signals.
pub const DEMO_STRATEGY: &str = "momentum";
/// The lock the rebalance takes.
pub const REBALANCE_LOCK: &str = "demo:rebalance";
/// The rate-limited order endpoint (sliding window).
pub const ORDER_LIMIT: &str = "demo:orders";
/// Orders per second the limiter lets through.
pub const ORDERS_PER_SECOND: u64 = 5;
/// The latency series (`ts:` prefix): stream publish and cache read round trips, in ms.
pub const LATENCY_SERIES: [&str; 2] = ["latency:stream_publish_ms", "latency:cache_read_ms"];

const FRAME: Duration = Duration::from_millis(100);
/// How often the demo's telemetry reports (shorter than the library's 5 s so the app shows it fast).
const TELEMETRY_EVERY: Duration = Duration::from_secs(2);
/// Cache-aside keys the reader keeps coming back to; the rest of its reads are one-off queries.
const HOT_QUERIES: u64 = 40;
/// Share of cache-aside reads that go to the hot queries (the realistic hit rate is close to it).
const HOT_SHARE: f64 = 0.9;

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Ticks per second on the market stream.
    pub rate: u32,
    /// How many symbols trade.
    pub symbols: usize,
    /// Stop after this long; `None` runs until cancelled.
    pub duration: Option<Duration>,
    /// How often the one-line summary is logged.
    pub summary_every: Duration,
    /// Random seed, for a reproducible feed; `None` seeds from the OS.
    pub seed: Option<u64>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            rate: 200,
            symbols: 12,
            duration: None,
            summary_every: Duration::from_secs(5),
            seed: None,
        }
    }
}

/// What the demo has done so far (also its final report).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DemoSummary {
    /// Seconds since the start.
    pub elapsed_s: f64,
    /// Ticks published on the market stream.
    pub ticks: u64,
    /// Stream entries the consumer group processed and acknowledged.
    pub acked: u64,
    /// Trade signals published (`trading:signals`) and buffered.
    pub signals: u64,
    /// Orders that passed the rate limiter (`trading:orders`, `orders.executed`).
    pub orders: u64,
    /// Orders the rate limiter refused.
    pub throttled: u64,
    /// Price and risk alerts (`trading:alerts`).
    pub alerts: u64,
    /// Messages published on every channel together.
    pub messages: u64,
    /// Rebalances run under the lock.
    pub rebalances: u64,
    /// Cache reads (tickers, order books, features, cache-aside).
    pub cache_reads: u64,
    /// The cache's hit rate over those reads.
    pub hit_rate: f64,
    /// Frames in which a Redis call failed (the feed goes on).
    pub errors: u64,
}

impl DemoSummary {
    /// The one-line log form.
    pub fn line(&self) -> String {
        format!(
            "demo {:.0}s: {} ticks ({} acked), {} signals, {} orders ({} throttled), {} alerts, \
             {} messages, {} rebalances, {} cache reads at {:.1}% hits, {} errors",
            self.elapsed_s,
            self.ticks,
            self.acked,
            self.signals,
            self.orders,
            self.throttled,
            self.alerts,
            self.messages,
            self.rebalances,
            self.cache_reads,
            self.hit_rate * 100.0,
            self.errors
        )
    }
}

/// A cached ticker, as an exchange adapter would store it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticker {
    /// Instrument.
    pub symbol: String,
    /// Venue.
    pub exchange: String,
    /// Last price.
    pub price: f64,
    /// Best bid.
    pub bid: f64,
    /// Best ask.
    pub ask: f64,
    /// Volume since the feed started.
    pub volume: f64,
    /// Highest price since the feed started.
    pub high: f64,
    /// Lowest price since the feed started.
    pub low: f64,
    /// Change since the feed started, in percent.
    pub change_pct: f64,
    /// Epoch milliseconds.
    pub timestamp: i64,
}

/// A cached order book snapshot: `[price, size]` levels, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderBook {
    /// Instrument.
    pub symbol: String,
    /// Bids, highest first.
    pub bids: Vec<[f64; 2]>,
    /// Asks, lowest first.
    pub asks: Vec<[f64; 2]>,
    /// Epoch milliseconds.
    pub timestamp: i64,
}

/// One cached candle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candle {
    /// Start, epoch milliseconds.
    pub t: i64,
    /// Open.
    pub o: f64,
    /// High.
    pub h: f64,
    /// Low.
    pub l: f64,
    /// Close.
    pub c: f64,
    /// Volume.
    pub v: f64,
}

impl Candle {
    fn open(t: i64, price: f64) -> Candle {
        Candle {
            t,
            o: price,
            h: price,
            l: price,
            c: price,
            v: 0.0,
        }
    }

    fn add(&mut self, price: f64, volume: f64) {
        self.h = self.h.max(price);
        self.l = self.l.min(price);
        self.c = price;
        self.v += volume;
    }
}

/// A buffered trade signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Instrument.
    pub symbol: String,
    /// `BUY` or `SELL`.
    pub action: String,
    /// 0..=1.
    pub confidence: f64,
    /// Producing strategy.
    pub strategy: String,
    /// Price when the signal fired.
    pub price: f64,
    /// Epoch milliseconds.
    pub timestamp: i64,
}

/// Per-symbol features for a trading day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// 14-period RSI over 1-second closes.
    pub rsi_14: f64,
    /// 20-period simple moving average.
    pub sma_20: f64,
    /// Standard deviation of 1-second log returns.
    pub volatility: f64,
    /// Closes the figures were computed from.
    pub samples: usize,
}

/// One instrument's state in the random walk.
struct Instrument {
    symbol: String,
    exchange: &'static str,
    price: f64,
    start: f64,
    /// Volatility per frame (log-return standard deviation).
    sigma: f64,
    /// Half the quoted spread, as a fraction of the price.
    half_spread: f64,
    /// Smallest price increment.
    tick_size: f64,
    /// Typical trade size.
    lot: f64,
    high: f64,
    low: f64,
    volume: f64,
    bar: Option<Candle>,
    closes: Vec<f64>,
    minute: Option<Candle>,
    minutes: Vec<Candle>,
    position: f64,
}

/// Well-known instruments first (venue, price, daily volatility, spread in bps, lot); more are
/// synthesised when `--symbols` asks for them.
const UNIVERSE: &[(&str, &str, f64, f64, f64, f64)] = &[
    ("BTC-USDT", "binance", 64_000.0, 0.030, 0.5, 0.05),
    ("ETH-USDT", "binance", 3_400.0, 0.040, 0.8, 0.8),
    ("SOL-USDT", "binance", 145.0, 0.055, 1.5, 12.0),
    ("AAPL", "nasdaq", 190.0, 0.015, 0.6, 100.0),
    ("MSFT", "nasdaq", 420.0, 0.014, 0.5, 50.0),
    ("NVDA", "nasdaq", 120.0, 0.030, 0.9, 200.0),
    ("TSLA", "nasdaq", 240.0, 0.035, 1.0, 100.0),
    ("BNB-USDT", "binance", 580.0, 0.035, 1.2, 3.0),
    ("AMZN", "nasdaq", 180.0, 0.018, 0.7, 100.0),
    ("XRP-USDT", "binance", 0.52, 0.045, 2.0, 5_000.0),
    ("META", "nasdaq", 500.0, 0.020, 0.7, 40.0),
    ("GOOGL", "nasdaq", 170.0, 0.017, 0.7, 100.0),
];

impl Instrument {
    fn universe(n: usize, rng: &mut StdRng) -> Vec<Instrument> {
        // A trading day of frames, so the daily volatility becomes a per-frame one.
        let frames_per_day = (24.0 * 3600.0) / FRAME.as_secs_f64();
        (0..n)
            .map(|i| {
                let (symbol, exchange, price, daily, bps, lot) = match UNIVERSE.get(i) {
                    Some(&(s, e, p, d, b, l)) => (s.to_string(), e, p, d, b, l),
                    None => (
                        format!("ALT{i}-USDT"),
                        "binance",
                        rng.random_range(0.5..150.0),
                        0.06,
                        3.0,
                        500.0,
                    ),
                };
                let tick_size = if exchange == "nasdaq" {
                    0.01
                } else {
                    (price * 1e-6).max(1e-5)
                };
                // The demo speeds markets up ~30x so that a minute on screen shows movement.
                let sigma = daily / frames_per_day.sqrt() * 30.0;
                Instrument {
                    symbol,
                    exchange,
                    price,
                    start: price,
                    sigma,
                    half_spread: bps / 2.0 * 1e-4,
                    tick_size,
                    lot,
                    high: price,
                    low: price,
                    volume: 0.0,
                    bar: None,
                    closes: Vec::new(),
                    minute: None,
                    minutes: Vec::new(),
                    position: 0.0,
                }
            })
            .collect()
    }

    fn round(&self, p: f64) -> f64 {
        ((p / self.tick_size).round() * self.tick_size).max(self.tick_size)
    }

    /// One random-walk step with a little mean reversion towards the start price.
    fn step(&mut self, rng: &mut StdRng) {
        let drift = -0.002 * (self.price / self.start).ln();
        let r = drift + self.sigma * normal(rng);
        self.price = self.round(self.price * r.exp());
        self.high = self.high.max(self.price);
        self.low = self.low.min(self.price);
    }

    fn quote(&self) -> (f64, f64) {
        let half = (self.price * self.half_spread).max(self.tick_size);
        let bid = self.round(self.price - half);
        let ask = self.round(self.price + half).max(bid + self.tick_size);
        (bid, ask)
    }

    /// A trade: log-normal size around the lot.
    fn trade(&mut self, rng: &mut StdRng, now_ms: i64) -> MarketTick {
        let size = (self.lot * (0.8 * normal(rng)).exp() * 100.0).round() / 100.0;
        let size = size.max(0.01);
        self.volume += size;
        let (bid, ask) = self.quote();
        self.bar
            .get_or_insert_with(|| Candle::open(now_ms / 1000 * 1000, self.price))
            .add(self.price, size);
        self.minute
            .get_or_insert_with(|| Candle::open(now_ms / 60_000 * 60_000, self.price))
            .add(self.price, size);
        MarketTick::new(self.symbol.clone(), self.price)
            .with_quote(bid, ask)
            .with_volume(size)
            .with_timestamp(Utc::now())
            .with_extra("exchange", self.exchange)
    }

    fn ticker(&self, now_ms: i64) -> Ticker {
        let (bid, ask) = self.quote();
        Ticker {
            symbol: self.symbol.clone(),
            exchange: self.exchange.to_string(),
            price: self.price,
            bid,
            ask,
            volume: (self.volume * 100.0).round() / 100.0,
            high: self.high,
            low: self.low,
            change_pct: (self.price / self.start - 1.0) * 100.0,
            timestamp: now_ms,
        }
    }

    fn book(&self, rng: &mut StdRng, now_ms: i64) -> OrderBook {
        let (bid, ask) = self.quote();
        let level = |i: usize, side: f64, best: f64, rng: &mut StdRng| {
            let px = self.round(best + side * i as f64 * self.tick_size * 2.0);
            let size = (self.lot * (1.0 + i as f64 * 0.4) * rng.random_range(0.3..2.0) * 100.0)
                .round()
                / 100.0;
            [px, size]
        };
        OrderBook {
            symbol: self.symbol.clone(),
            bids: (0..10).map(|i| level(i, -1.0, bid, rng)).collect(),
            asks: (0..10).map(|i| level(i, 1.0, ask, rng)).collect(),
            timestamp: now_ms,
        }
    }

    fn features(&self) -> Features {
        let c = &self.closes;
        let n = c.len();
        let last = |k: usize| &c[n.saturating_sub(k)..];
        let sma = last(20).iter().sum::<f64>() / last(20).len().max(1) as f64;
        let (mut up, mut down) = (0.0, 0.0);
        for w in last(15).windows(2) {
            let d = w[1] - w[0];
            if d > 0.0 {
                up += d;
            } else {
                down -= d;
            }
        }
        let rsi = if up + down == 0.0 {
            50.0
        } else {
            100.0 * up / (up + down)
        };
        let rets: Vec<f64> = last(60).windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let mean = rets.iter().sum::<f64>() / rets.len().max(1) as f64;
        let var = rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / rets.len().max(1) as f64;
        Features {
            rsi_14: (rsi * 100.0).round() / 100.0,
            sma_20: sma,
            volatility: var.sqrt(),
            samples: n,
        }
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Every library handle the feed writes through.
struct Feed {
    market: MarketDataCache,
    cache: Cache,
    features: FeatureCache,
    queries: QueryCache,
    buffer: SignalBuffer,
    stream: MarketDataStream,
    series: TimeSeriesStore,
    pubsub: PubSubManager,
    limiter: RateLimiter,
    locks: LockManager,
    rng: StdRng,
    instruments: Vec<Instrument>,
    summary: DemoSummary,
    acked: Arc<AtomicU64>,
    carry: f64,
    rate: f64,
    frame: u64,
    order_seq: u64,
    fired: Vec<String>,
}

/// Runs the demo against `cfg` until `stop` is cancelled or `opts.duration` has passed; returns
/// what it did. Fails only when Redis cannot be reached at the start; later failures are logged
/// and counted while the feed goes on.
pub async fn run(
    cfg: &RedisConfig,
    opts: &DemoOptions,
    stop: CancellationToken,
) -> Result<DemoSummary> {
    if opts.symbols == 0 || opts.rate == 0 {
        return Err(Error::InvalidInput(
            "the demo needs at least one symbol and a rate above 0".into(),
        ));
    }
    let mut conn = Conn::connect(cfg).await?;
    let _: String = redis::cmd("PING").query_async(&mut conn).await?;
    let cache = Cache::with_options(
        conn.clone(),
        CacheOptions {
            name: "demo".into(),
            ..CacheOptions::default()
        },
    );
    let stream = MarketDataStream::new(conn.clone(), cfg.clone(), DEFAULT_STREAM);
    let mut rng = match opts.seed {
        Some(s) => StdRng::seed_from_u64(s),
        None => StdRng::from_os_rng(),
    };
    let instruments = Instrument::universe(opts.symbols, &mut rng);
    let acked = Arc::new(AtomicU64::new(0));
    let counted = acked.clone();
    let consumer = stream.spawn_consumer(
        ConsumerOptions::new(DEMO_GROUP, "demo-1")
            .block(Duration::from_millis(250))
            .count(500),
        move |_tick| {
            counted.fetch_add(1, Ordering::Relaxed);
            async { Ok::<(), Error>(()) }
        },
    );
    let limiter = RateLimiter::new(conn.clone());
    let locks = LockManager::new(conn.clone());
    // The demo reports itself like any service using the library (the app's Services page).
    let telemetry = redscope::telemetry::Telemetry::builder(conn.clone(), "redscope-demo")
        .interval(TELEMETRY_EVERY)
        .cache(cache.clone())
        .rate_limiter("orders", limiter.clone())
        .locks("rebalance", locks.clone())
        .consumer_group(stream.clone(), DEMO_GROUP)
        .start();
    let mut feed = Feed {
        market: MarketDataCache::new(cache.clone()),
        features: FeatureCache::new(cache.clone()),
        queries: QueryCache::new(cache.clone()),
        buffer: SignalBuffer::new(cache.clone()),
        cache,
        stream,
        series: TimeSeriesStore::with_options(
            conn.clone(),
            TimeSeriesOptions::default()
                .max_age(Duration::from_secs(3600))
                .max_points(20_000),
        ),
        pubsub: PubSubManager::new(conn.clone(), cfg.clone(), "redscope-demo"),
        limiter,
        locks,
        rng,
        instruments,
        summary: DemoSummary::default(),
        acked,
        carry: 0.0,
        rate: opts.rate as f64,
        frame: 0,
        order_seq: 0,
        fired: Vec::new(),
    };
    tracing::info!(
        redis = %cfg.display_url(),
        rate = opts.rate,
        symbols = opts.symbols,
        "demo feed started (Ctrl-C stops it)"
    );
    let start = Instant::now();
    let deadline = opts.duration.map(|d| tokio::time::Instant::now() + d);
    let mut frames = tokio::time::interval(FRAME);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_summary = start + opts.summary_every;
    let mut frame_errors_logged = 0u64;
    loop {
        let until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = until_deadline => break,
            _ = frames.tick() => {}
        }
        if let Err(e) = feed.frame().await {
            feed.summary.errors += 1;
            // One warning per summary period is enough to see a dead server.
            if frame_errors_logged < feed.summary.errors / 50 + 1 {
                frame_errors_logged += 1;
                tracing::warn!(error = %e, "demo frame failed; the feed goes on");
            }
        }
        if Instant::now() >= next_summary {
            next_summary += opts.summary_every;
            tracing::info!("{}", feed.snapshot(start).line());
        }
    }
    // Let the consumer catch up with what was published (bounded), then stop it.
    let catch_up = Instant::now() + Duration::from_secs(3);
    while feed.acked.load(Ordering::Relaxed) < feed.summary.ticks && Instant::now() < catch_up {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match consumer.stop_and_join().await {
        Ok(stats) => tracing::debug!(?stats, "demo consumer stopped"),
        Err(e) => tracing::warn!(error = %e, "demo consumer ended with an error"),
    }
    // Its heartbeats on trading:system are messages the demo sent too.
    feed.summary.messages += telemetry.stop().await.heartbeats;
    let summary = feed.snapshot(start);
    tracing::info!("{} (stopped)", summary.line());
    Ok(summary)
}

impl Feed {
    fn snapshot(&mut self, start: Instant) -> DemoSummary {
        let stats = self.cache.stats().total;
        self.summary.elapsed_s = start.elapsed().as_secs_f64();
        self.summary.acked = self.acked.load(Ordering::Relaxed);
        self.summary.cache_reads = stats.hits + stats.misses;
        self.summary.hit_rate = stats.hit_rate;
        self.summary.clone()
    }

    async fn frame(&mut self) -> Result<()> {
        self.frame += 1;
        let now_ms = Utc::now().timestamp_millis();
        for i in &mut self.instruments {
            i.step(&mut self.rng);
        }
        self.publish_ticks(now_ms).await?;
        self.read_like_a_strategy().await?;
        self.maybe_signal(now_ms).await?;
        if self.frame % 10 == 0 {
            self.every_second(now_ms).await?;
        }
        // First after one second (so short runs see one), then every five seconds.
        if self.frame % 50 == 10 {
            self.rebalance().await?;
        }
        Ok(())
    }

    /// Ticks on the stream, then the tickers and order books of the symbols that traded.
    async fn publish_ticks(&mut self, now_ms: i64) -> Result<()> {
        self.carry += self.rate * FRAME.as_secs_f64();
        let n = self.carry.floor() as usize;
        self.carry -= n as f64;
        if n == 0 {
            return Ok(());
        }
        let mut traded = vec![false; self.instruments.len()];
        let mut ticks = Vec::with_capacity(n);
        for _ in 0..n {
            let i = self.rng.random_range(0..self.instruments.len());
            traded[i] = true;
            ticks.push(self.instruments[i].trade(&mut self.rng, now_ms));
        }
        let t = Instant::now();
        self.stream.publish_batch(&ticks).await?;
        let publish_ms = ms(t.elapsed());
        self.summary.ticks += n as u64;
        self.series
            .add(LATENCY_SERIES[0], now_ms, publish_ms)
            .await?;

        let mut by_exchange: HashMap<&'static str, Vec<(String, Ticker)>> = HashMap::new();
        for (i, inst) in self.instruments.iter().enumerate() {
            if traded[i] {
                by_exchange
                    .entry(inst.exchange)
                    .or_default()
                    .push((inst.symbol.clone(), inst.ticker(now_ms)));
            }
        }
        for (exchange, tickers) in &by_exchange {
            self.market.set_tickers(exchange, tickers).await?;
            self.market
                .increment_api_calls(exchange, "ticker", Duration::from_secs(60))
                .await?;
        }
        for (i, _) in traded.iter().enumerate().filter(|(_, t)| **t) {
            let book = self.instruments[i].book(&mut self.rng, now_ms);
            let inst = &self.instruments[i];
            self.market
                .set_orderbook(inst.exchange, &inst.symbol, &book)
                .await?;
        }
        Ok(())
    }

    /// Reads as a strategy would: tickers, order books (500 ms TTL, so some have expired) and
    /// cache-aside queries, most of them repeated.
    async fn read_like_a_strategy(&mut self) -> Result<()> {
        let t = Instant::now();
        for _ in 0..4 {
            let i = self.rng.random_range(0..self.instruments.len());
            let inst = &self.instruments[i];
            let _: Option<Ticker> = self.market.get_ticker(inst.exchange, &inst.symbol).await?;
        }
        let i = self.rng.random_range(0..self.instruments.len());
        let inst = &self.instruments[i];
        let _: Option<OrderBook> = self
            .market
            .get_orderbook(inst.exchange, &inst.symbol)
            .await?;
        for _ in 0..6 {
            let query = if self.rng.random_bool(HOT_SHARE) {
                self.rng.random_range(0..HOT_QUERIES)
            } else {
                HOT_QUERIES + self.rng.random_range(0..1_000_000u64)
            };
            let seed = query as f64;
            let params = serde_json::json!({"strategy": DEMO_STRATEGY, "query": query});
            let _: f64 = self
                .queries
                .position_sizing(&params, || async move {
                    // Stands in for a slow risk computation.
                    Ok((seed * 0.37).sin().abs() * 1e5)
                })
                .await?;
        }
        // Yesterday's and older features, computed once then served from the cache.
        let i = self.rng.random_range(0..self.instruments.len());
        let days_back = self.rng.random_range(1..6);
        let date = Utc::now().date_naive() - chrono::Days::new(days_back);
        let f = self.instruments[i].features();
        let _: Features = self
            .features
            .get_or_compute(&self.instruments[i].symbol, date, || async move { Ok(f) })
            .await?;
        self.series
            .add(
                LATENCY_SERIES[1],
                Utc::now().timestamp_millis(),
                ms(t.elapsed()) / 12.0,
            )
            .await?;
        Ok(())
    }

    /// Momentum signals on strong moves; orders go through the rate limiter.
    async fn maybe_signal(&mut self, now_ms: i64) -> Result<()> {
        if !self.rng.random_bool(0.4) {
            return Ok(());
        }
        let i = self.rng.random_range(0..self.instruments.len());
        let (symbol, price, momentum) = {
            let inst = &self.instruments[i];
            let reference = inst.bar.map(|b| b.o).unwrap_or(inst.price);
            (
                inst.symbol.clone(),
                inst.price,
                inst.price / reference - 1.0,
            )
        };
        let action = if momentum >= 0.0 { "BUY" } else { "SELL" };
        let confidence = (0.55 + momentum.abs() * 200.0).min(0.99);
        let confidence = (confidence * 100.0).round() / 100.0;
        let signal = Signal {
            symbol: symbol.clone(),
            action: action.into(),
            confidence,
            strategy: DEMO_STRATEGY.into(),
            price,
            timestamp: now_ms,
        };
        self.summary.messages += 1;
        self.pubsub
            .publish_trade_signal(&symbol, action, confidence)
            .await?;
        self.buffer.push(&signal).await?;
        self.market
            .set_signal(DEMO_STRATEGY, &symbol, &signal)
            .await?;
        self.summary.signals += 1;
        self.fired.push(symbol.clone());

        let decision = self
            .limiter
            .sliding(ORDER_LIMIT, ORDERS_PER_SECOND, Duration::from_secs(1))
            .await?;
        if !decision.allowed {
            self.summary.throttled += 1;
            return Ok(());
        }
        self.order_seq += 1;
        let order_id = format!("demo-{now_ms}-{}", self.order_seq);
        self.pubsub
            .publish_order_update(&order_id, "FILLED", &symbol)
            .await?;
        let qty = self.instruments[i].lot * if action == "BUY" { 1.0 } else { -1.0 };
        self.instruments[i].position += qty;
        let executed = FlatEvent::new(channels::ORDERS_EXECUTED)
            .with("order_id", order_id.as_str())
            .with("symbol", symbol.as_str())
            .with("side", action)
            .with("quantity", qty.abs())
            .with("price", price);
        self.pubsub.publish_event(&executed).await?;
        self.summary.messages += 2;
        self.summary.orders += 1;
        Ok(())
    }

    /// Closes 1-second bars, refreshes candles and features, sends heartbeats and alerts.
    async fn every_second(&mut self, now_ms: i64) -> Result<()> {
        let today = Utc::now().date_naive();
        let minute_start = now_ms / 60_000 * 60_000;
        for idx in 0..self.instruments.len() {
            let (bar, closed_minute) = {
                let inst = &mut self.instruments[idx];
                let bar = inst.bar.take();
                if let Some(b) = bar {
                    inst.closes.push(b.c);
                    if inst.closes.len() > 120 {
                        inst.closes.remove(0);
                    }
                }
                let closed = match inst.minute {
                    Some(m) if m.t < minute_start => inst.minute.take(),
                    _ => None,
                };
                if let Some(m) = closed {
                    inst.minutes.push(m);
                    if inst.minutes.len() > 60 {
                        inst.minutes.remove(0);
                    }
                }
                (bar, closed.is_some())
            };
            let inst = &self.instruments[idx];
            if let Some(b) = bar {
                let ts = chrono::DateTime::from_timestamp_millis(b.t).unwrap_or_else(Utc::now);
                let ohlcv = OHLCVBar {
                    timestamp: ts,
                    open: b.o,
                    high: b.h,
                    low: b.l,
                    close: b.c,
                    volume: b.v,
                };
                self.series.add_ohlcv(&inst.symbol, &ohlcv, "1s").await?;
            }
            // The live candle included, so readers always see the current minute.
            let mut candles = inst.minutes.clone();
            candles.extend(inst.minute);
            self.market
                .set_candles(inst.exchange, &inst.symbol, CandleInterval::M1, &candles)
                .await?;
            if closed_minute || self.frame % 100 == 10 {
                let five = five_minute(&candles);
                self.market
                    .set_candles(inst.exchange, &inst.symbol, CandleInterval::M5, &five)
                    .await?;
            }
            // Today's features, a few symbols per second.
            if (idx as u64 + self.frame / 10) % 4 == 0 {
                self.features
                    .set(&inst.symbol, today, &inst.features())
                    .await?;
            }
            // The market snapshot, on-chain metrics and sentiment the other services cache.
            let (bid, ask) = inst.quote();
            let snapshot = serde_json::json!({
                "symbol": inst.symbol, "price": inst.price, "bid": bid, "ask": ask,
                "volume": candles.iter().map(|c| c.v).sum::<f64>(),
            });
            self.market
                .cache_market_data(&inst.symbol, &snapshot, None)
                .await?;
            let drift = inst.price / inst.start - 1.0;
            self.market
                .set_onchain_metrics(
                    &inst.symbol,
                    &serde_json::json!({"active_addresses": 1000 + idx * 37, "exchange_netflow": drift * 1e4}),
                    None,
                )
                .await?;
            self.market
                .set_sentiment(
                    &inst.symbol,
                    &serde_json::json!({"score": (drift * 20.0).clamp(-1.0, 1.0), "mentions": 50 + idx}),
                    None,
                )
                .await?;
        }
        // The strategy's latest backtest summary (backtest:{strategy_id}, 24 h).
        let signals = self.summary.signals;
        self.queries
            .set_backtest(
                DEMO_STRATEGY,
                &serde_json::json!({"strategy_id": DEMO_STRATEGY, "signals": signals, "sharpe": 1.4}),
                None,
            )
            .await?;
        self.pubsub.publish_heartbeat().await?;
        self.summary.messages += 1;
        if !self.fired.is_empty() {
            let mut symbols = std::mem::take(&mut self.fired);
            symbols.sort();
            symbols.dedup();
            let event = SignalEvent::new(
                DEMO_STRATEGY,
                symbols,
                &today.format("%Y-%m-%d").to_string(),
            );
            self.pubsub.publish_signal_event(&event).await?;
            self.summary.messages += 1;
        }
        self.alerts().await
    }

    /// Price alerts on moves over 2 % since the start, risk alerts when orders were throttled.
    async fn alerts(&mut self) -> Result<()> {
        let mut alerts = Vec::new();
        for inst in &self.instruments {
            let change = (inst.price / inst.start - 1.0) * 100.0;
            if change.abs() >= 2.0 && self.rng.random_bool(0.05) {
                alerts.push((
                    "price",
                    format!("{} moved {change:+.2}% to {}", inst.symbol, inst.price),
                    Severity::Warning,
                ));
            }
        }
        if self.summary.throttled > 0 && self.frame % 100 == 0 {
            alerts.push((
                "risk",
                format!(
                    "order rate limit hit {} times ({ORDERS_PER_SECOND}/s allowed)",
                    self.summary.throttled
                ),
                Severity::Info,
            ));
        }
        for (kind, message, severity) in alerts {
            self.pubsub.publish_alert(kind, &message, severity).await?;
            self.summary.alerts += 1;
            self.summary.messages += 1;
        }
        Ok(())
    }

    /// Every five seconds: a portfolio rebalance under a distributed lock.
    async fn rebalance(&mut self) -> Result<()> {
        let Some(guard) = self
            .locks
            .try_acquire(REBALANCE_LOCK, Duration::from_secs(5))
            .await?
        else {
            tracing::debug!("rebalance skipped: another process holds the lock");
            return Ok(());
        };
        let mut changed = Vec::new();
        for inst in &mut self.instruments {
            if inst.position.abs() > 0.0 {
                // Flatten half of every position.
                inst.position = (inst.position / 2.0 * 100.0).round() / 100.0;
                changed.push((inst.symbol.clone(), inst.position));
            }
        }
        for (symbol, quantity) in &changed {
            self.pubsub
                .publish_position_update(symbol, *quantity)
                .await?;
            let event = FlatEvent::new(channels::POSITIONS_UPDATED)
                .with("symbol", symbol.as_str())
                .with("quantity", *quantity);
            self.pubsub.publish_event(&event).await?;
            self.summary.messages += 2;
        }
        guard.release().await?;
        self.summary.rebalances += 1;
        Ok(())
    }
}

/// Groups 1-minute candles into 5-minute ones.
fn five_minute(candles: &[Candle]) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for c in candles {
        let t = c.t / 300_000 * 300_000;
        match out.last_mut() {
            Some(last) if last.t == t => {
                last.h = last.h.max(c.h);
                last.l = last.l.min(c.l);
                last.c = c.c;
                last.v += c.v;
            }
            _ => out.push(Candle { t, ..*c }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_keeps_quotes_sane() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut u = Instrument::universe(14, &mut rng);
        assert_eq!(u.len(), 14);
        assert_eq!(u[13].symbol, "ALT13-USDT");
        for _ in 0..10_000 {
            for i in &mut u {
                i.step(&mut rng);
            }
        }
        for i in &u {
            let (bid, ask) = i.quote();
            assert!(bid > 0.0 && bid < ask, "{}: bid {bid} ask {ask}", i.symbol);
            // A 30x-accelerated day of 100 ms frames stays within a plausible band.
            assert!(
                i.price / i.start > 0.3 && i.price / i.start < 3.0,
                "{}",
                i.symbol
            );
        }
    }

    #[test]
    fn five_minute_candles_aggregate() {
        let m = |t: i64, o: f64, c: f64| Candle {
            t,
            o,
            h: o.max(c) + 1.0,
            l: o.min(c) - 1.0,
            c,
            v: 2.0,
        };
        let five = five_minute(&[
            m(0, 10.0, 11.0),
            m(60_000, 11.0, 9.0),
            m(300_000, 9.0, 12.0),
        ]);
        assert_eq!(five.len(), 2);
        assert_eq!(
            (five[0].o, five[0].c, five[0].h, five[0].l),
            (10.0, 9.0, 12.0, 8.0)
        );
        assert_eq!(five[0].v, 4.0);
        assert_eq!(five[1].t, 300_000);
    }
}
