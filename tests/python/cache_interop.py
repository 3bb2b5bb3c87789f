"""Cache values as Python services write them, written and read with redis-py, for tests/market.rs.

usage: cache_interop.py write|read REDIS_URL
  write: stores values the way the Python trading services do.
  read:  reads what the Rust side wrote and prints a JSON report on stdout.
"""

import gzip
import json
import sys

import redis


def write(r):
    ticker = {"symbol": "BTC-USDT", "price": 45000.50, "volume": 1500.25,
              "high": 45500.00, "low": 44500.00}
    r.set("ticker:binance:BTC-USDT", json.dumps(ticker), ex=60)
    features = {"rsi_14": 61.2, "sma_20": 182.35, "volume_z": -0.4}
    r.set("features:AAPL:2025-01-17", json.dumps(features), ex=3600)
    # Python services' compression: gzip of the JSON.
    r.set("features:MSFT:2025-01-17", gzip.compress(json.dumps(features).encode()), ex=3600)
    # pandas-style missing values: json.dumps writes the non-JSON token NaN.
    r.set("features:NVDA:2025-01-17", json.dumps({"rsi_14": float("nan"), "sma_20": 131.5}), ex=3600)
    r.set("btc_price", 45000.50, ex=60)
    r.set("greeting", "hello from python", ex=60)
    r.lpush("signals:buffer", json.dumps(
        {"symbol": "BTCUSDT", "signal_type": "BUY", "strength": 0.85, "timestamp": 1736942400.0}))


def read(r):
    report = {}
    raw = r.get("ticker:binance:ETH-USDT")
    report["ticker"] = json.loads(raw) if raw is not None else None
    report["ticker_ttl_ms"] = r.pttl("ticker:binance:ETH-USDT")
    raw = r.get("features:AAPL:2025-01-18")
    report["features"] = json.loads(raw) if raw is not None else None
    big = r.get("features:TSLA:2025-01-18")
    report["big_features_marker"] = list(big[:2]) if big is not None else None
    report["signals"] = [json.loads(s) for s in r.lrange("signals:buffer", 0, 1)]
    report["session"] = {k.decode(): v.decode() for k, v in r.hgetall(sys.argv[3]).items()} \
        if len(sys.argv) > 3 else None
    print(json.dumps(report))


def main():
    mode, url = sys.argv[1], sys.argv[2]
    r = redis.Redis.from_url(url)
    if mode == "write":
        write(r)
        print("ok")
    elif mode == "read":
        read(r)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
