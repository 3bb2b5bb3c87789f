"""A small trading service written to the design documents with redis-py, for tests/interop.rs.

It keeps the documents' keys, TTLs and formats (json.dumps values, `ex=`/`px=` TTLs, stream fields
as strings, the trading envelope and flat `{event_type, timestamp}` events) and knows nothing of
the Rust library: whatever it reads, the library must have written the way the documents do.

usage:
  trading_service.py ttls                 prints the TTL per data type (seconds)
  trading_service.py write URL [T=S..]    writes every shape and publishes every message
                                          (each publish must reach a subscriber); prints
                                          {"ok": true, "features": {name: repr(value)}}
  trading_service.py read URL             reads every shape at its documented key; prints a
                                          JSON report (values, TTLs, checks)
  trading_service.py listen URL N         subscribes to the standard channels, prints READY,
                                          then one JSON line per message until N arrived
  trading_service.py read-demo URL SYM..  reads what `redscope demo` keeps in Redis while it runs;
                                          prints a JSON report
"""

import json
import math
import sys
import time
from datetime import date, datetime, timezone

import redis

# --- the documents' TTLs (seconds; the order book is 500 ms) ---------------------------------
TTL = {
    "ticker": 2, "orderbook": 0.5, "trades": 10, "candles_1m": 60, "candles_5m": 300,
    "signal": 30, "rate_limit": 60, "market_data": 30, "onchain": 300, "sentiment": 60,
    "backtest": 86400, "position_sizing": 60, "features": 3600, "quote": 2,
    "signal_history": 86400,
}
STREAM = "market:data"
CHANNELS = ["trading:signals", "trading:orders", "trading:positions", "trading:alerts",
            "trading:system", "signals.generated", "orders.executed", "positions.updated"]
SOURCE = "py-trading-service"


def utcnow_naive():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class RedisCache:
    """`RedisCache`/`RedisCacheManager`: JSON values, a TTL per call, None on a miss."""

    def __init__(self, url):
        self.r = redis.Redis.from_url(url)

    def set(self, key, value, ttl=None):
        body = value if isinstance(value, (str, bytes)) else json.dumps(value)
        if ttl is None:
            return self.r.set(key, body)
        if ttl < 1:
            return self.r.set(key, body, px=int(ttl * 1000))
        return self.r.set(key, body, ex=int(ttl))

    def get(self, key):
        raw = self.r.get(key)
        return None if raw is None else json.loads(raw)

    def raw(self, key):
        return self.r.get(key)

    def pttl(self, key):
        return self.r.pttl(key)


class MarketDataCache:
    """`MarketDataCache` with the documents' TTL per data type."""

    def __init__(self, cache):
        self.cache = cache
        self.ttl_config = dict(TTL)

    def set_ticker(self, exchange, symbol, ticker, ttl=None):
        self.cache.set(f"ticker:{exchange}:{symbol}", ticker, ttl or self.ttl_config["ticker"])

    def get_ticker(self, exchange, symbol):
        return self.cache.get(f"ticker:{exchange}:{symbol}")

    def set_orderbook(self, exchange, symbol, book):
        self.cache.set(f"orderbook:{exchange}:{symbol}", book, self.ttl_config["orderbook"])

    def get_orderbook(self, exchange, symbol):
        return self.cache.get(f"orderbook:{exchange}:{symbol}")

    def set_trades(self, exchange, symbol, trades):
        self.cache.set(f"trades:{exchange}:{symbol}", trades, self.ttl_config["trades"])

    def get_trades(self, exchange, symbol):
        return self.cache.get(f"trades:{exchange}:{symbol}")

    def set_candles(self, exchange, symbol, interval, candles):
        self.cache.set(f"candles:{interval}:{exchange}:{symbol}", candles,
                       self.ttl_config[f"candles_{interval}"])

    def get_candles(self, exchange, symbol, interval):
        return self.cache.get(f"candles:{interval}:{exchange}:{symbol}")

    def set_signal(self, strategy, symbol, signal, ttl=None):
        self.cache.set(f"signal:{strategy}:{symbol}", signal, ttl or self.ttl_config["signal"])

    def get_signal(self, strategy, symbol):
        return self.cache.get(f"signal:{strategy}:{symbol}")

    def increment_api_calls(self, exchange, endpoint, window=60):
        key = f"api_calls:{exchange}:{endpoint}:{window}:{int(time.time()) // window}"
        pipe = self.cache.r.pipeline()
        pipe.incr(key)
        pipe.expire(key, window)
        return pipe.execute()[0]

    def get_api_calls(self, exchange, endpoint, window=60):
        raw = self.cache.raw(f"api_calls:{exchange}:{endpoint}:{window}:{int(time.time()) // window}")
        return int(raw or 0)


def cache_market_data(cache, symbol, data, ttl=30):
    cache.set(f"market_data:{symbol}", data, ttl)


def get_cached_market_data(cache, symbol):
    return cache.get(f"market_data:{symbol}")


def fnv1a_128(data):
    h = 0x6C62272E07BB014262B821756295C58D
    for b in data:
        h = ((h ^ b) * 0x0000000001000000000000000000013B) % (1 << 128)
    return h


def position_sizing_key(params):
    # The key the Rust library gives a parameter set: FNV-1a 128 of the canonical JSON.
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"position_sizing:{fnv1a_128(canonical.encode()):032x}"


class FeatureCache:
    """`features:{symbol}:{date}`, one hour."""

    def __init__(self, cache):
        self.cache = cache

    def set(self, symbol, day, features):
        self.cache.set(f"features:{symbol}:{day}", features, ttl=TTL["features"])

    def get(self, symbol, day):
        return self.cache.get(f"features:{symbol}:{day}")

    def invalidate(self, symbol, day):
        return self.cache.r.delete(f"features:{symbol}:{day}")


def buffer_signal(cache, signal):
    pipe = cache.r.pipeline()
    pipe.lpush("signals:buffer", json.dumps(signal))
    pipe.ltrim("signals:buffer", 0, 999)
    pipe.expire("signals:buffer", TTL["signal_history"])
    pipe.execute()


def get_recent_signals(cache, count=100):
    return [json.loads(s) for s in cache.r.lrange("signals:buffer", 0, count - 1)]


class MarketDataStream:
    """`market:data`: every field a string, bid/ask always present, naive UTC times."""

    def __init__(self, r):
        self.r = r

    def publish_quote(self, symbol, price, bid=None, ask=None, volume=0, **extra):
        fields = {"symbol": symbol, "price": str(price),
                  "bid": "" if bid is None else str(bid), "ask": "" if ask is None else str(ask),
                  "volume": str(volume), "timestamp": utcnow_naive().isoformat()}
        fields.update({k: str(v) for k, v in extra.items()})
        return self.r.xadd(STREAM, fields, maxlen=100000, approximate=True)

    def consume(self, group, consumer, count=1000):
        try:
            self.r.xgroup_create(STREAM, group, id="0")
        except redis.ResponseError:
            pass
        out = []
        for _, entries in self.r.xreadgroup(group, consumer, {STREAM: ">"}, count=count) or []:
            for entry_id, fields in entries:
                f = {k.decode(): v.decode() for k, v in fields.items()}
                out.append((entry_id.decode(), f))
                self.r.xack(STREAM, group, entry_id)
        return out


def envelope(msg_type, data):
    return json.dumps({"type": msg_type, "timestamp": utcnow_naive().isoformat(),
                       "source": SOURCE, "data": data})


class PubSubManager:
    def __init__(self, r):
        self.r = r

    def _publish(self, channel, body):
        n = self.r.publish(channel, body)
        if n < 1:
            raise SystemExit(f"nobody received the message on {channel}")
        return n

    def publish_trade_signal(self, symbol, signal, confidence):
        return self._publish("trading:signals", envelope(
            "TRADE_SIGNAL", {"symbol": symbol, "signal": signal, "confidence": confidence}))

    def publish_order_update(self, order_id, status, symbol):
        return self._publish("trading:orders", envelope(
            "ORDER_UPDATE", {"order_id": order_id, "status": status, "symbol": symbol}))

    def publish_position_update(self, symbol, quantity):
        return self._publish("trading:positions", envelope(
            "POSITION_UPDATE", {"symbol": symbol, "quantity": quantity}))

    def publish_alert(self, alert_type, message, severity="info"):
        kind = "PRICE_ALERT" if alert_type == "price" else "RISK_ALERT"
        return self._publish("trading:alerts", envelope(
            kind, {"alert_type": alert_type, "message": message, "severity": severity}))

    def publish_heartbeat(self):
        return self._publish("trading:system", envelope("HEARTBEAT", {"service": SOURCE}))

    def publish_event(self, event_type, **fields):
        body = {"event_type": event_type, "timestamp": datetime.now(timezone.utc).isoformat()}
        body.update(fields)
        return self._publish(event_type, json.dumps(body))


# --- the shapes both sides exchange ----------------------------------------------------------

def feature_vector(seed):
    """158 named floats (the documents' Alpha158 features); feature 7 is NaN (a missing value)."""
    values = {f"f{i:03d}": round(math.sin(seed + i) * 10 ** (i % 7 - 3), 12) for i in range(158)}
    values["f007"] = float("nan")
    return values


def write(url, overrides):
    cache = RedisCache(url)
    market = MarketDataCache(cache)
    market.ttl_config.update(overrides)
    market.set_ticker("binance", "BTC-USDT", {"symbol": "BTC-USDT", "price": 45000.5,
                                              "volume": 1500.25, "high": 45500.0, "low": 44500.0})
    market.set_ticker("binance", "ETH-USDT", {"symbol": "ETH-USDT", "price": 2500.0}, ttl=10)
    market.set_orderbook("binance", "BTC-USDT", {
        "bids": [[45000.0, 1.5], [44999.5, 2.0]], "asks": [[45001.0, 1.2], [45002.0, 3.5]],
        "timestamp": "2025-01-15T12:00:00Z"})
    market.set_trades("binance", "BTC-USDT", [{"price": 45000.5, "qty": 0.1, "side": "buy"}])
    market.set_candles("binance", "BTC-USDT", "1m",
                       [{"t": 1736942400000, "o": 1.0, "h": 2.0, "l": 0.5, "c": 1.5, "v": 10.0}])
    market.set_candles("binance", "BTC-USDT", "5m",
                       [{"t": 1736942400000, "o": 1.0, "h": 3.0, "l": 0.5, "c": 2.5, "v": 50.0}])
    market.set_signal("momentum", "BTC", {"action": "BUY", "price": 45000.0, "confidence": 0.85,
                                          "strategy": "momentum",
                                          "timestamp": "2025-01-15T12:00:00Z"}, ttl=45)
    market.increment_api_calls("binance", "/api/v3/ticker", window=60)
    market.increment_api_calls("binance", "/api/v3/ticker", window=60)
    cache_market_data(cache, "BTCUSDT", {"symbol": "BTCUSDT", "price": 45000.5,
                                         "volume": 1234567.89}, ttl=30)
    cache.set("onchain_metrics:BTC", {"active_addresses": 912345, "nvt": 41.5}, ttl=300)
    cache.set("sentiment:BTC", {"score": 0.42, "mentions": 1200}, ttl=60)
    cache.set("backtest:alpha_baseline", {"strategy_id": "alpha_baseline", "sharpe": 1.85,
                                          "returns": [0.01, -0.002, float("inf")],
                                          "trades": 2 ** 70}, ttl=86400)
    cache.set(position_sizing_key({"symbol": "AAPL", "risk": 2, "account": "main"}),
              {"shares": 120, "risk_usd": 2000.0}, ttl=60)
    FeatureCache(cache).set("AAPL", "2025-01-17", feature_vector(1.0))
    cache.set("config", {"setting": "value"})
    cache.set("greeting", "hello from python", ttl=300)
    buffer_signal(cache, {"symbol": "BTCUSDT", "signal_type": "BUY", "strength": 0.85,
                          "timestamp": 1736942400.0})
    stream = MarketDataStream(cache.r)
    stream.publish_quote("AAPL", 175.5, bid=175.45, ask=175.55, volume=1000)
    stream.publish_quote("MSFT", 300.0, volume=2000, venue="XNAS")
    bus = PubSubManager(cache.r)
    bus.publish_trade_signal("AAPL", "BUY", 0.85)
    bus.publish_order_update("ORD001", "FILLED", "AAPL")
    bus.publish_position_update("AAPL", 100.0)
    bus.publish_alert("risk", "Daily loss limit approaching", severity="warning")
    bus.publish_heartbeat()
    bus.publish_event("signals.generated", strategy_id="alpha_baseline",
                      symbols=["AAPL", "MSFT"], num_signals=2, as_of_date="2025-01-17")
    bus.publish_event("orders.executed", order_ids=["ORD001"], symbols=["AAPL"])
    # The exact floats written, as repr() strings, for the reader to compare bit for bit.
    print(json.dumps({"ok": True, "features": {k: repr(v) for k, v in feature_vector(1.0).items()}}))


def nan_report(features):
    """What a reader checks of a feature vector: size, which values are NaN, the rest exact."""
    if features is None:
        return None
    return {"len": len(features),
            "nan": sorted(k for k, v in features.items() if isinstance(v, float) and math.isnan(v)),
            "finite": {k: v for k, v in features.items()
                       if not (isinstance(v, float) and math.isnan(v))}}


def read(url):
    cache = RedisCache(url)
    market = MarketDataCache(cache)
    report = {}

    def entry(name, key, value):
        report[name] = {"value": value, "pttl": cache.pttl(key)}

    entry("ticker", "ticker:binance:ETH-USDT", market.get_ticker("binance", "ETH-USDT"))
    entry("orderbook", "orderbook:binance:ETH-USDT", market.get_orderbook("binance", "ETH-USDT"))
    entry("trades", "trades:binance:ETH-USDT", market.get_trades("binance", "ETH-USDT"))
    entry("candles_1m", "candles:1m:binance:ETH-USDT",
          market.get_candles("binance", "ETH-USDT", "1m"))
    entry("candles_5m", "candles:5m:binance:ETH-USDT",
          market.get_candles("binance", "ETH-USDT", "5m"))
    entry("signal", "signal:trend:ETH", market.get_signal("trend", "ETH"))
    report["api_calls"] = market.get_api_calls("binance", "/api/v3/depth", window=60)
    report["api_call_keys"] = {k.decode(): int(cache.raw(k)) for k in
                               cache.r.scan_iter("api_calls:binance:/api/v3/depth:60:*")}
    entry("market_data", "market_data:ETHUSDT", get_cached_market_data(cache, "ETHUSDT"))
    entry("onchain_metrics", "onchain_metrics:ETH", cache.get("onchain_metrics:ETH"))
    entry("sentiment", "sentiment:ETH", cache.get("sentiment:ETH"))
    entry("backtest", "backtest:trend_v2", cache.get("backtest:trend_v2"))
    key = position_sizing_key({"symbol": "MSFT", "risk": 1, "account": "main"})
    entry("position_sizing", key, cache.get(key))
    raw = cache.raw("features:MSFT:2025-01-18")
    features = json.loads(raw)
    report["features"] = {"pttl": cache.pttl("features:MSFT:2025-01-18"),
                          "size": len(raw), "round_trip": json.dumps(features).encode() == raw,
                          **nan_report(features)}
    entry("settings", "settings", cache.get("settings"))
    report["plain"] = (cache.raw("plain") or b"").decode()
    report["signals"] = get_recent_signals(cache, 10)
    report["signals_pttl"] = cache.pttl("signals:buffer")
    ticks = []
    now = utcnow_naive()
    for entry_id, f in MarketDataStream(cache.r).consume("py-analytics", "py-1"):
        ts = datetime.fromisoformat(f["timestamp"])
        # Naive UTC, comparable with utcnow() (a +00:00 time would raise TypeError here).
        ticks.append({"id": entry_id, "symbol": f["symbol"], "price": float(f["price"]),
                      "bid": float(f["bid"]) if f["bid"] else None,
                      "ask": float(f["ask"]) if f["ask"] else None,
                      "volume": float(f["volume"]), "age_s": (now - ts).total_seconds(),
                      "venue": f.get("venue")})
    report["ticks"] = ticks
    report["pending"] = cache.r.xpending(STREAM, "py-analytics")["pending"]
    print(json.dumps(report, allow_nan=False))


def decode_message(channel, data):
    body = json.loads(data)
    out = {"channel": channel}
    if "type" in body:
        ts = datetime.fromisoformat(body["timestamp"])
        out.update(kind="envelope", type=body["type"], source=body["source"], data=body["data"],
                   naive=ts.tzinfo is None, age_s=(utcnow_naive() - ts).total_seconds())
    else:
        ts = datetime.fromisoformat(body["timestamp"])
        out.update(kind="event", event_type=body["event_type"], utc=ts.utcoffset() is not None
                   and ts.utcoffset().total_seconds() == 0,
                   age_s=(datetime.now(timezone.utc) - ts).total_seconds(),
                   fields={k: v for k, v in body.items() if k not in ("event_type", "timestamp")})
    return out


def listen(url, count):
    r = redis.Redis.from_url(url)
    p = r.pubsub()
    p.subscribe(*CHANNELS)
    confirmed = 0
    while confirmed < len(CHANNELS):
        m = p.get_message(timeout=10)
        if m is None:
            raise SystemExit("subscribing timed out")
        if m["type"] == "subscribe":
            confirmed += 1
    print("READY", flush=True)
    got = 0
    while got < count:
        m = p.get_message(timeout=20)
        if m is None:
            raise SystemExit(f"only {got} of {count} messages arrived")
        if m["type"] != "message":
            continue
        print(json.dumps(decode_message(m["channel"].decode(), m["data"])), flush=True)
        got += 1


def read_demo(url, symbols):
    """Reads the demo's data like a strategy service would, retrying the short-lived keys."""
    cache = RedisCache(url)
    market = MarketDataCache(cache)
    today = datetime.now(timezone.utc).date().isoformat()
    report = {"tickers": {}, "orderbooks": 0, "candles": {}, "features": {}, "signals": 0,
              "market_data": {}, "onchain": {}, "sentiment": {}}
    deadline = time.monotonic() + 15
    for symbol in symbols:
        exchange = "binance" if symbol.endswith("-USDT") else "nasdaq"
        while time.monotonic() < deadline:
            ticker = market.get_ticker(exchange, symbol)
            book = market.get_orderbook(exchange, symbol)
            if ticker is not None and book is not None:
                break
            time.sleep(0.02)  # poll: the order book lives 500 ms and is rewritten as symbols trade
        if ticker is None or book is None:
            raise SystemExit(f"no ticker or order book for {symbol}")
        assert ticker["symbol"] == symbol and ticker["bid"] <= ticker["ask"], ticker
        assert 0 < cache.pttl(f"ticker:{exchange}:{symbol}") <= 2000
        assert book["bids"][0][0] < book["asks"][0][0], book
        report["tickers"][symbol] = ticker["price"]
        report["orderbooks"] += 1
        candles = market.get_candles(exchange, symbol, "1m")
        report["candles"][symbol] = len(candles or [])
        if candles:
            c = candles[-1]
            assert c["l"] <= min(c["o"], c["c"]) and c["h"] >= max(c["o"], c["c"]), c
        report["features"][symbol] = FeatureCache(cache).get(symbol, today)
        signal = market.get_signal("momentum", symbol)
        if signal is not None:
            assert signal["action"] in ("BUY", "SELL") and 0 < signal["confidence"] < 1, signal
            report["signals"] += 1
        report["market_data"][symbol] = get_cached_market_data(cache, symbol)
        report["onchain"][symbol] = cache.get(f"onchain_metrics:{symbol}")
        report["sentiment"][symbol] = cache.get(f"sentiment:{symbol}")
    report["backtest"] = cache.get("backtest:momentum")
    report["backtest_pttl"] = cache.pttl("backtest:momentum")
    report["buffer"] = get_recent_signals(cache, 5)
    sizing = [k for k in cache.r.scan_iter("position_sizing:*", count=1000)]
    report["position_sizing"] = len(sizing)
    report["position_sizing_value"] = cache.get(sizing[0]) if sizing else None
    ticks = cache.r.xrevrange(STREAM, count=50)
    now = utcnow_naive()
    ages = []
    for _, fields in ticks:
        f = {k.decode(): v.decode() for k, v in fields.items()}
        assert f["symbol"] in symbols and float(f["price"]) > 0, f
        assert float(f["bid"]) <= float(f["ask"]), f
        ages.append((now - datetime.fromisoformat(f["timestamp"])).total_seconds())
    report["ticks"] = len(ticks)
    report["max_tick_age_s"] = max(ages) if ages else None
    print(json.dumps(report, allow_nan=False))


def main():
    mode, url = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
    if mode == "ttls":
        print(json.dumps(TTL))
    elif mode == "write":
        # `name=seconds` arguments, as `cache.ttl_config.update({...})` in the documents.
        overrides = {k: float(v) for k, v in (a.split("=", 1) for a in sys.argv[3:])}
        write(url, overrides)
    elif mode == "read":
        read(url)
    elif mode == "listen":
        listen(url, int(sys.argv[3]))
    elif mode == "read-demo":
        read_demo(url, sys.argv[3:])
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
