"""Subscribes like the Python trading consumers and prints what it decoded, one JSON line each.

Usage: pubsub_subscribe.py <redis-url> <count> <channel>...
Prints "READY" once subscribed, then for each message: {"channel", "kind", "type", "timestamp", ...}.
"""
import json
import sys
from datetime import datetime, timezone

import redis


def main():
    url, count, channels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    r = redis.Redis.from_url(url)
    p = r.pubsub()
    p.subscribe(*channels)
    confirmed = 0
    while confirmed < len(channels):
        m = p.get_message(timeout=10)
        if m and m["type"] == "subscribe":
            confirmed += 1
    print("READY", flush=True)
    got = 0
    while got < count:
        m = p.get_message(timeout=20)
        if m is None:
            print(json.dumps({"error": "timeout", "got": got}), flush=True)
            return 1
        if m["type"] != "message":
            continue
        got += 1
        body = json.loads(m["data"])
        if "event_type" in body:
            kind, ts = "event", datetime.fromisoformat(body["timestamp"])
            out = {"kind": kind, "type": body["event_type"], "fields": body}
        else:
            kind, ts = "envelope", datetime.fromisoformat(body["timestamp"])
            out = {"kind": kind, "type": body["type"], "source": body["source"], "data": body["data"]}
        # Flat events carry +00:00 (datetime.now(timezone.utc)); the trading envelope is naive
        # UTC (datetime.utcnow()), each compared the way its consumers compare.
        if kind == "event":
            if ts.tzinfo is None or ts.utcoffset().total_seconds() != 0:
                print(json.dumps({"error": "event timestamp not UTC", "raw": body["timestamp"]}), flush=True)
                return 1
            age = (datetime.now(timezone.utc) - ts).total_seconds()
        else:
            if ts.tzinfo is not None:
                print(json.dumps({"error": "envelope timestamp not naive", "raw": body["timestamp"]}), flush=True)
                return 1
            age = (datetime.utcnow() - ts).total_seconds()
        out["channel"] = m["channel"].decode()
        out["age_ok"] = -5 < age < 60
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
