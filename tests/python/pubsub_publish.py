"""Publishes trading messages the way the Python trading services do (redis-py, JSON bodies).

Usage: pubsub_publish.py <redis-url>
Prints one line per publish: "<channel> <receivers>".
"""
import json
import sys
from datetime import datetime, timezone

import redis


def envelope(msg_type, data, naive=False):
    # The trading envelope: {type, timestamp, source, data}; older services write naive utcnow() times.
    ts = datetime.utcnow().isoformat() if naive else datetime.now(timezone.utc).isoformat()
    return json.dumps({"type": msg_type, "timestamp": ts, "source": "py-signal-service", "data": data})


def main():
    r = redis.Redis.from_url(sys.argv[1])
    sent = [
        ("trading:signals", envelope("TRADE_SIGNAL", {"symbol": "AAPL", "signal": "BUY", "confidence": 0.85})),
        ("trading:orders", envelope("ORDER_UPDATE", {"order_id": "ORD001", "status": "FILLED", "symbol": "AAPL"}, naive=True)),
        ("trading:alerts", envelope("RISK_ALERT", {"alert_type": "risk", "message": "Daily loss limit approaching", "severity": "warning"})),
        ("trading:system", envelope("HEARTBEAT", {"service": "py-signal-service"})),
        # A flat SignalEvent on signals.generated.
        ("signals.generated", json.dumps({
            "event_type": "signals.generated",
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "strategy_id": "alpha_baseline",
            "symbols": ["AAPL", "MSFT", "GOOGL"],
            "num_signals": 3,
            "as_of_date": "2025-01-17",
        })),
        ("orders.executed", json.dumps({
            "event_type": "orders.executed",
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "order_ids": ["ORD001", "ORD002"],
        })),
    ]
    for channel, body in sent:
        print(channel, r.publish(channel, body), flush=True)


if __name__ == "__main__":
    main()
