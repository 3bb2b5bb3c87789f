"""Publishes trading envelopes on shard channels of a Redis Cluster, as a redis-py service would.

Usage: sharded_publish.py <host> <port> <channel>...
Prints one line per publish: "<channel> <receivers>".
"""
import json
import sys
from datetime import datetime, timezone

from redis.cluster import RedisCluster


def main():
    host, port, channels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    rc = RedisCluster(host=host, port=port)
    for i, channel in enumerate(channels):
        body = json.dumps({
            "type": "ORDER_UPDATE",
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "source": "py-order-service",
            "data": {"order_id": f"ORD{i:03}", "status": "FILLED", "symbol": "AAPL"},
        })
        print(channel, rc.spublish(channel, body), flush=True)
    rc.close()


if __name__ == "__main__":
    main()
