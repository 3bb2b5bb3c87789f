//! The shipped redis.conf and docker-compose.redis.yml: a redis-server started with the file
//! reports the file's settings and, when memory runs out, evicts cache entries while the market
//! stream, its consumer group and the keys without a TTL survive; the compose file names the
//! container and checks its health as the deployment guide says, and `docker compose config`
//! accepts it where Docker Compose is installed.

use std::process::Command;

use redscope_testing::RedisServer;

const CONF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/redis.conf");
const COMPOSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docker-compose.redis.yml");

fn config_get(c: &mut redis::Connection, name: &str) -> String {
    let reply: Vec<String> = redis::cmd("CONFIG").arg("GET").arg(name).query(c).unwrap();
    assert_eq!(reply.len(), 2, "CONFIG GET {name}: {reply:?}");
    reply[1].clone()
}

fn info_field(c: &mut redis::Connection, section: &str, name: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg(section).query(c).unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO {section} has no {name}"))
}

#[test]
fn redis_conf_takes_effect_and_memory_pressure_spares_the_stream_and_untimed_keys() {
    let server = RedisServer::builder().config_file(CONF).start().unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut c = client.get_connection().unwrap();

    assert_eq!(config_get(&mut c, "maxmemory"), (2u64 << 30).to_string());
    assert_eq!(config_get(&mut c, "maxmemory-policy"), "volatile-lru");
    assert_eq!(config_get(&mut c, "appendonly"), "yes");
    assert_eq!(config_get(&mut c, "appendfsync"), "everysec");
    assert_eq!(config_get(&mut c, "save"), "900 1 300 10 60 10000");
    assert_eq!(config_get(&mut c, "stream-node-max-entries"), "100");
    assert_eq!(config_get(&mut c, "slowlog-log-slower-than"), "10000");
    let mut events: Vec<char> = config_get(&mut c, "notify-keyspace-events")
        .chars()
        .collect();
    events.sort_unstable();
    assert_eq!(events, ['E', 'e', 'x']);
    assert_eq!(info_field(&mut c, "persistence", "aof_enabled"), 1);

    // State without a TTL: the market stream with a consumer group and pending entries, and a
    // configuration key. Then cache entries (with TTLs) far beyond a small memory limit.
    for i in 0..2000 {
        let _: String = redis::cmd("XADD")
            .arg("market:data")
            .arg("*")
            .arg("symbol")
            .arg("AAPL")
            .arg("price")
            .arg(format!("{}.5", 170 + i % 10))
            .query(&mut c)
            .unwrap();
    }
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg("market:data")
        .arg("analytics")
        .arg("0")
        .query(&mut c)
        .unwrap();
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("analytics")
        .arg("a1")
        .arg("COUNT")
        .arg(500)
        .arg("STREAMS")
        .arg("market:data")
        .arg(">")
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg("config")
        .arg(r#"{"setting": "value"}"#)
        .query(&mut c)
        .unwrap();
    let used = info_field(&mut c, "memory", "used_memory");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(used + 2_000_000)
        .query(&mut c)
        .unwrap();
    let big = "x".repeat(10_000);
    for i in 0..1000 {
        // Never an OOM error: there is always a TTL'd entry to evict.
        let _: () = redis::cmd("SET")
            .arg(format!("ticker:binance:S{i}"))
            .arg(&big)
            .arg("EX")
            .arg(600)
            .query(&mut c)
            .unwrap();
    }
    assert!(info_field(&mut c, "stats", "evicted_keys") > 500);
    let xlen: u64 = redis::cmd("XLEN").arg("market:data").query(&mut c).unwrap();
    assert_eq!(xlen, 2000);
    let pending: (u64, redis::Value, redis::Value, redis::Value) = redis::cmd("XPENDING")
        .arg("market:data")
        .arg("analytics")
        .query(&mut c)
        .unwrap();
    assert_eq!(pending.0, 500);
    let config: Option<String> = redis::cmd("GET").arg("config").query(&mut c).unwrap();
    assert_eq!(config.as_deref(), Some(r#"{"setting": "value"}"#));
}

#[test]
fn compose_names_the_container_and_checks_health_as_the_guide_says() {
    let text = std::fs::read_to_string(COMPOSE).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for want in [
        "container_name: mastertrade_redis",
        r#"test: ["CMD", "redis-cli", "ping"]"#,
        "interval: 10s",
        "- ./redis.conf:/usr/local/etc/redis/redis.conf:ro",
    ] {
        assert!(lines.contains(&want), "{want:?} missing from {COMPOSE}");
    }
    assert!(text.contains(r#""redis-server", "/usr/local/etc/redis/redis.conf""#));

    let compose = Command::new("docker").args(["compose", "version"]).output();
    match compose {
        Ok(o) if o.status.success() => {
            let out = Command::new("docker")
                .args(["compose", "-f", COMPOSE, "config"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "docker compose config rejected the file: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let resolved = String::from_utf8_lossy(&out.stdout);
            assert!(resolved.contains("container_name: mastertrade_redis"));
        }
        Ok(o) => eprintln!(
            "skipped `docker compose config`: Docker Compose is not installed ({})",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
        ),
        Err(e) => eprintln!("skipped `docker compose config`: no docker binary ({e})"),
    }
}
