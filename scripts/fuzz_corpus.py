#!/usr/bin/env python3
"""Writes the hand-made seed corpora of fuzz/corpus/<target>/ (run from the repo root).

Interesting inputs for each fuzz target: empty, huge, invalid UTF-8, truncated zstd/gzip/msgpack,
decompression bombs, deep JSON nesting, 0xC1 markers with garbage, INFO with junk lines, ...
"""
import gzip, json, os, subprocess

ROOT = "fuzz/corpus"

def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def zstd(data, level=3):
    return subprocess.run(["zstd", "-q", "-c", f"-{level}"], input=data, capture_output=True, check=True).stdout

# --- values: codec_inspect and admin_decode share these
big_json = json.dumps({"symbol": "BTCUSDT", "bids": [[i * 0.5, i] for i in range(2000)]}).encode()
values = {
    "empty": b"",
    "one_byte_marker": b"\xc1",
    "marker_msgpack_empty": b"\xc1M",
    "marker_msgpack_garbage": b"\xc1M\xff\xfe\xc1\xc1\xde\xad",
    "marker_msgpack_truncated_map": b"\xc1M\x85\xa6symbol\xa7BTCUSDT\xa5price",
    "marker_msgpack_huge_len": b"\xc1M\xdd\xff\xff\xff\xff",
    "marker_msgpack_str32_huge": b"\xc1M\xdb\xff\xff\xff\xf0abc",
    "marker_msgpack_deep": b"\xc1M" + b"\x91" * 5000 + b"\xc0",
    "marker_zstd_garbage": b"\xc1Z\x00\x01\x02garbage",
    "marker_zstd_truncated": b"\xc1Z" + zstd(big_json)[:40],
    "marker_zstd_nested": b"\xc1Z" + zstd(b"\xc1Z" + zstd(b"\xc1Z" + zstd(b'{"a":1}'))),
    "marker_unknown_tag": b"\xc1Q\x00\x00",
    "zstd_bare_ok": zstd(big_json),
    "zstd_truncated": zstd(big_json)[:-7],
    "zstd_magic_only": b"\x28\xb5\x2f\xfd",
    "zstd_bomb_300mb": zstd(b"\0" * (300 << 20), 19),
    "gzip_ok": gzip.compress(b'{"price": 101.5}'),
    "gzip_truncated": gzip.compress(big_json)[:50],
    "gzip_magic_only": b"\x1f\x8b",
    "gzip_bad_crc": gzip.compress(b"hello")[:-8] + b"\0" * 8,
    "json_ok": b'{"symbol":"ETHUSDT","price":3500.25,"bid":null}',
    "json_nan": b'{"price": NaN, "x": [Infinity, -Infinity]}',
    "json_deep_array": b"[" * 100000 + b"]" * 100000,
    "json_deep_object": b'{"a":' * 20000 + b"1" + b"}" * 20000,
    "json_unterminated": b'{"a": "b',
    "json_huge_number": b"1" + b"0" * 5000,
    "json_lone_surrogate": b'"\\ud800"',
    "invalid_utf8": b"\xff\xfe\xfd caf\xc3 \xe9 \xed\xa0\x80",
    "utf8_bom": b"\xef\xbb\xbf{}",
    "binary_zeros": b"\0" * 1024,
    "huge_text_256k": b"x" * (256 << 10),
    "crlf": b"a\r\nb\r\n*3\r\n$3\r\nSET\r\n",
}
for name, data in values.items():
    put("codec_inspect", name, data)
    put("admin_decode", name, data)

# --- INFO text
info_ok = "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:12\r\n# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\n# Stats\r\nkeyspace_hits:10\r\nkeyspace_misses:0\r\n# Keyspace\r\ndb0:keys=5,expires=1,avg_ttl=100\r\n"
infos = {
    "empty": "",
    "ok": info_ok,
    "junk_lines": "garbage\r\n:::\r\n:\r\nkey:\r\n:value\r\n# \r\n#\r\n\r\n\r\nredis_version\r\n",
    "negative_and_overflow": "used_memory:-5\r\nmaxmemory:99999999999999999999999999\r\nkeyspace_hits:-1\r\nkeyspace_misses:18446744073709551616\r\nconnected_clients:1e400\r\n",
    "nan_inf": "used_memory_rss:NaN\r\nmem_fragmentation_ratio:inf\r\ninstantaneous_ops_per_sec:-inf\r\nkeyspace_hits:0\r\nkeyspace_misses:0\r\n",
    "bad_keyspace": "db0:keys=abc,expires=\r\ndb1:\r\ndb2:keys=1=2=3,,,\r\ndbX:keys=-1\r\ndb99999999999999999999:keys=1\r\n",
    "zero_maxmemory_ratio": "used_memory:100\r\nmaxmemory:0\r\n",
    "lf_only": info_ok.replace("\r\n", "\n"),
    "huge_line": "redis_version:" + "9" * (128 << 10) + "\r\n",
    "many_lines": "".join(f"field{i}:{i}\r\n" for i in range(50000)),
}
for name, text in infos.items():
    put("info_parse", name, text)
put("info_parse", "invalid_utf8", b"redis_version:\xff\xfe\r\nused_memory:\xc3\x28\r\n")

# --- console arguments (JSON ConsoleRequest, or NUL-separated raw arguments)
consoles = {
    "empty": b"",
    "empty_args": json.dumps({"args": []}),
    "empty_name": json.dumps({"args": [""]}),
    "get": json.dumps({"args": ["GET", "k"]}),
    "blocking": json.dumps({"args": ["blpop", "q", "0"]}),
    "xread_block": json.dumps({"args": ["XREAD", "block", "0", "STREAMS", "s", "$"]}),
    "subscribe": json.dumps({"args": ["subscribe", "ch"]}),
    "stateful_select": json.dumps({"args": ["SELECT", "3"]}),
    "dangerous_flushall": json.dumps({"args": ["flushall"], "confirm": False}),
    "config_set": json.dumps({"args": ["config", "set", "requirepass", "x"]}),
    "crlf_injection": json.dumps({"args": ["SET", "k\r\nFLUSHALL\r\n", "v\r\n*1\r\n$8\r\nFLUSHALL\r\n"]}),
    "unicode_name": json.dumps({"args": ["ſet", "ǩ", "\u0000"]}),
    "turkish_i": json.dumps({"args": ["ınfo"]}),
    "wrong_types": b'{"args": [1, true, null]}',
    "args_not_array": b'{"args": "GET k"}',
    "many_args": json.dumps({"args": ["DEL"] + [f"k{i}" for i in range(20000)]}),
    "huge_arg": json.dumps({"args": ["SET", "k", "v" * (128 << 10)]}),
    "raw_nul_separated": b"SET\0key\0\xff\xfevalue",
    "raw_only_nuls": b"\0\0\0\0",
}
for name, data in consoles.items():
    put("console_args", name, data)

# --- API query strings and invalidate bodies
queries = {
    "empty": "",
    "key": "key=market:ticker:BTC",
    "key_b64": "key_b64=AAEC%2F%2F8%3D",
    "key_b64_invalid": "key_b64=%%%not*base64!!",
    "key_b64_urlsafe": "key_b64=-_-_",
    "both": "key=a&key_b64=YQ==",
    "glob": "match=*[a-z]?\\*&type=string&cursor=0",
    "cursor_bad": "cursor=1:2:3&count=-1",
    "cursor_overflow": "cursor=99999999999999999999999:1&count=99999999999999999999999",
    "cursor_negative": "cursor=-1:-1&offset=-5&max_bytes=-1",
    "type_junk": "type=str%0D%0Aing&match=%00",
    "crlf": "key=a%0D%0AFLUSHALL%0D%0A",
    "invalid_utf8_pct": "key=%FF%FE%C3%28",
    "raw_invalid_utf8": b"key=\xff\xfe",
    "dup_params": "key=a&key=b&count=1&count=2",
    "many_params": "&".join(f"p{i}={i}" for i in range(5000)),
    "huge_key": "key=" + "k" * (128 << 10),
    "invalidate_pattern": json.dumps({"pattern": "market:*", "confirm": False}),
    "invalidate_empty_pattern": json.dumps({"pattern": ""}),
    "invalidate_star": json.dumps({"pattern": "*"}),
    "invalidate_both": json.dumps({"pattern": "a*", "preset": {"kind": "exchange", "value": "binance"}}),
    "invalidate_preset_glob_value": json.dumps({"preset": {"kind": "symbol", "value": "*[]?\\"}}),
    "invalidate_preset_empty": json.dumps({"preset": {"kind": "signals", "value": ""}}),
    "invalidate_preset_unknown": json.dumps({"preset": {"kind": "everything", "value": "x"}}),
    "invalidate_preset_date": json.dumps({"preset": {"kind": "features_date", "value": "2024-01-01\r\n"}}),
    "invalidate_wrong_types": b'{"pattern": 5, "preset": []}',
}
for name, data in queries.items():
    put("api_query", name, data)

# --- stream tick fields (NUL-separated field, value, field, value ...)
def fields(*kv):
    return b"\0".join(x if isinstance(x, bytes) else x.encode() for x in kv)
ticks = {
    "empty": b"",
    "ok": fields("symbol", "BTCUSDT", "price", "101.5", "bid", "101.4", "ask", "101.6", "volume", "3", "timestamp", "2024-01-01T00:00:00Z"),
    "python_style": fields("symbol", "AAPL", "price", "175.5", "bid", "None", "ask", "null", "volume", "1e3", "timestamp", "2024-01-01T00:00:00.123456"),
    "epoch_ms": fields("symbol", "X", "price", "1", "timestamp", "1700000000000"),
    "epoch_overflow": fields("symbol", "X", "price", "1", "timestamp", "99999999999999999999999"),
    "epoch_negative": fields("symbol", "X", "price", "1", "timestamp", "-99999999999999"),
    "nan_price": fields("symbol", "X", "price", "NaN", "bid", "inf", "ask", "-inf"),
    "missing_price": fields("symbol", "X"),
    "odd_count": fields("symbol", "X", "price"),
    "invalid_utf8_name": b"\xff\xfe\0value",
    "invalid_utf8_value": fields("symbol", b"\xc3\x28", "price", b"\xff"),
    "many_extras": fields(*[x for i in range(5000) for x in (f"f{i}", str(i))]),
    "stream_id_junk": "18446744073709551616-18446744073709551616",
    "stream_id_ok": "1700000000000-5",
}
for name, data in ticks.items():
    put("tick_fields", name, data)

# --- pub/sub bodies
events = {
    "empty": b"",
    "envelope": json.dumps({"type": "ticker", "timestamp": "2024-01-01T00:00:00Z", "source": "x", "data": {"price": 1}}),
    "envelope_bad_time": json.dumps({"type": "ticker", "timestamp": "yesterday", "source": 5, "data": None}),
    "envelope_numeric_time": json.dumps({"type": "trade", "timestamp": 1e300, "data": []}),
    "flat": json.dumps({"event_type": "signal", "timestamp": "2024-01-01T00:00:00", "strategy_id": "s", "symbols": ["A"]}),
    "flat_wrong_types": json.dumps({"event_type": 7, "timestamp": [], "symbols": "A"}),
    "not_json": b"\xff\xfe garbage",
    "deep": b"[" * 50000 + b"]" * 50000,
    "huge_string": json.dumps({"type": "x", "timestamp": "2024-01-01T00:00:00Z", "data": "y" * (128 << 10)}),
    "scalar": b"42",
    "null": b"null",
}
for name, data in events.items():
    put("event_body", name, data)

# --- RESP replies for the one RESP reader: valid frames, frames cut short, lengths past the
# limits, bad line endings, unknown type bytes
message = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
resps = {
    "simple_ok": b"+OK\r\n",
    "error_reply": b"-ERR unknown command 'FOO', with args beginning with: \r\n",
    "integer": b":-1000\r\n",
    "bulk": b"$5\r\nhello\r\n",
    "bulk_with_crlf_inside": b"$7\r\na\r\nb\r\nc\r\n",
    "null_bulk_and_array": b"$-1\r\n*-1\r\n",
    "pmessage": b"*4\r\n$8\r\npmessage\r\n$7\r\nbench:*\r\n$9\r\nbench:abc\r\n$2\r\nhi\r\n",
    "subscribe_then_messages": b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n" + message * 3,
    "xread_nested": b"*1\r\n*2\r\n$11\r\nmarket:data\r\n*2\r\n*2\r\n$3\r\n1-0\r\n*4\r\n$6\r\nsymbol\r\n"
                    b"$3\r\nBTC\r\n$5\r\nprice\r\n$5\r\n101.5\r\n*2\r\n$3\r\n2-0\r\n*0\r\n",
    "scan_reply": b"*2\r\n$4\r\n1792\r\n*3\r\n$4\r\nk:01\r\n$4\r\nk:02\r\n$-1\r\n",
    "truncated_bulk": b"$10\r\nabc",
    "bulk_without_crlf": b"$3\r\nabcXY",
    "huge_bulk_len": b"$9223372036854775807\r\n",
    "overflowing_len": b"*99999999999999999999999999\r\n",
    "negative_len": b"*-2\r\n",
    "array_over_limit": b"*1048577\r\n",
    "deep_nesting": b"*1\r\n" * 100 + b":1\r\n",
    "bare_cr": b"+ab\rc\r\n",
    "lf_only": b"+OK\n:1\n",
    "resp3_map": b"%1\r\n+key\r\n+value\r\n",
    "long_line_no_crlf": b"+" + b"x" * 70000,
    "empty": b"",
}
for name, data in resps.items():
    put("resp_reader", name, data)
