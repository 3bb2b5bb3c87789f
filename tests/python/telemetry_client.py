"""A Python service reporting telemetry in the library's format (src/telemetry.rs), with redis-py:
the hash redscope:clients:{service}:{instance} (TTL 3 x interval) and a HEARTBEAT envelope on
trading:system, a few times, then exits without cleanup (like a crash).

Usage: telemetry_client.py <redis-url> <beats> <interval-ms>
Prints the hash key.
"""
import json
import os
import sys
import time
from datetime import datetime, timezone

import redis


def main():
    r = redis.Redis.from_url(sys.argv[1])
    beats, interval_ms = int(sys.argv[2]), int(sys.argv[3])
    key = "redscope:clients:py-risk:worker-1"
    started = time.time()
    for _ in range(beats):
        now_ms = int(time.time() * 1000)
        fields = {
            "service": "py-risk", "instance": "worker-1", "version": "py-0.1", "host": "py-host",
            "pid": os.getpid(), "started_ms": int(started * 1000), "updated_ms": now_ms,
            "uptime_s": int(time.time() - started), "interval_ms": interval_ms,
            "type:features:hits": 30, "type:features:misses": 70, "type:features:hit_rate": "0.3000",
            "breaker:py-cache:state": "closed", "breaker:py-cache:trips": 0, "breaker:py-cache:rejected": 0,
            "group:market:data|py-risk:lag": 12, "group:market:data|py-risk:pending": 4,
        }
        with r.pipeline(transaction=True) as p:
            p.delete(key)
            p.hset(key, mapping=fields)
            p.pexpire(key, 3 * interval_ms)
            p.execute()
        r.publish("trading:system", json.dumps({
            "type": "HEARTBEAT", "timestamp": datetime.now(timezone.utc).isoformat(),
            "source": "py-risk", "data": {"service": "py-risk", "instance": "worker-1", "key": key, "status": "alive"},
        }))
        time.sleep(interval_ms / 1000)
    print(key)


if __name__ == "__main__":
    main()
