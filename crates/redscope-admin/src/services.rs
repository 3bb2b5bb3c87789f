//! The Services view: every live library client ([`redscope::telemetry`]) with its figures, read
//! from the `redscope:clients:*` hashes (SCAN on every master + HGETALL/PTTL in one pipeline),
//! with liveness from the `HEARTBEAT`s seen on `trading:system` and alerts (open breaker, hit
//! rate under seed 003's 50 %). A watcher publishes a `services` event when the set changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::events::{lock, Event, Task};
use super::AdminService;
use redscope::error::Result;
use redscope::events::{channels, MessageType};
use redscope::health::{AlertLevel, HIT_RATE_WARNING};
use redscope::pubsub::PubSubManager;
use redscope::telemetry::CLIENTS_PREFIX;

/// Most clients listed (a keyspace with more `redscope:clients:*` hashes is cut).
pub const MAX_SERVICES: usize = 10_000;
/// A client is shown gone after this many intervals without a heartbeat.
pub const GONE_AFTER_INTERVALS: u64 = 2;
/// Reads below which a data type's hit rate raises no alert (too few to judge).
pub const MIN_READS_FOR_ALERT: u64 = 10;
/// How often the watcher re-reads the clients to notice changes.
const WATCH_EVERY: Duration = Duration::from_millis(250);
/// Ticks between attempts to start the heartbeat listener while it is missing (5 s).
const LISTENER_RETRY_TICKS: u64 = 20;

/// One data type's cache reads in a client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TypeFigures {
    /// Data type (`ticker`, `orderbook`, `features`, …).
    pub name: String,
    /// Reads that found a value.
    pub hits: u64,
    /// Reads that found nothing.
    pub misses: u64,
    /// `hits / (hits + misses)`, 0 without reads.
    pub hit_rate: f64,
}

/// A cache's circuit breaker in a client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct BreakerFigures {
    /// The cache's name.
    pub name: String,
    /// `closed`, `open` or `half_open`.
    pub state: String,
    /// Times it opened.
    pub trips: u64,
    /// Calls refused while open.
    pub rejected: u64,
}

/// A rate limiter in a client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct LimitFigures {
    /// The limiter's name.
    pub name: String,
    /// Calls allowed.
    pub allowed: u64,
    /// Calls rejected.
    pub rejected: u64,
}

/// A lock manager in a client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct LockFigures {
    /// The manager's name.
    pub name: String,
    /// Locks taken.
    pub acquired: u64,
    /// Acquires that had to wait.
    pub waits: u64,
    /// Acquires that gave up.
    pub timeouts: u64,
    /// Locks found taken over by another owner.
    pub lost: u64,
}

/// A consumer group a client watches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct GroupFigures {
    /// The stream key.
    pub stream: String,
    /// The group.
    pub group: String,
    /// Entries not yet delivered to the group (when Redis can tell).
    pub lag: Option<u64>,
    /// Entries delivered and not acknowledged.
    pub pending: u64,
}

/// An alert on a client.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ServiceAlert {
    /// Warning or critical.
    pub level: AlertLevel,
    /// `breaker_open`, `breaker_half_open`, `low_hit_rate` or `service_gone`.
    pub code: String,
    /// What is wrong, with the figures.
    pub message: String,
    /// The client's hash key.
    pub key: String,
}

/// Whether a client still reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Reported within the last two intervals.
    Live,
    /// Missed its heartbeats; the hash disappears when its TTL runs out.
    Gone,
}

/// One library client, as its telemetry hash describes it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ServiceInfo {
    /// `redscope:clients:{service}:{instance}`.
    pub key: String,
    /// The service name.
    pub service: String,
    /// The instance name.
    pub instance: String,
    /// Library version.
    pub version: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: Option<u64>,
    /// Live or gone.
    pub status: ServiceStatus,
    /// Seconds since the client started.
    pub uptime_s: u64,
    /// Reporting interval.
    pub interval_ms: u64,
    /// When the hash was last written (the client's clock).
    pub updated_ms: i64,
    /// When a heartbeat was last seen here (this service's clock), if any.
    pub heartbeat_ms: Option<i64>,
    /// Time left before the hash expires.
    pub ttl_ms: i64,
    /// Cache reads per data type.
    pub types: Vec<TypeFigures>,
    /// Circuit breakers.
    pub breakers: Vec<BreakerFigures>,
    /// Rate limiters.
    pub rate_limits: Vec<LimitFigures>,
    /// Lock managers.
    pub locks: Vec<LockFigures>,
    /// Consumer groups.
    pub groups: Vec<GroupFigures>,
    /// The client's TTL policy where it differs from the defaults (data type → ms).
    pub ttl_overrides: BTreeMap<String, u64>,
    /// Alerts on this client.
    pub alerts: Vec<ServiceAlert>,
}

/// `GET /api/services`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ServicesReply {
    /// Every client, by service then instance.
    pub services: Vec<ServiceInfo>,
    /// Every client's alerts together.
    pub alerts: Vec<ServiceAlert>,
    /// True when more than [`MAX_SERVICES`] hashes exist (the rest are not listed).
    pub truncated: bool,
}

/// The watcher's state (a field of the service).
#[derive(Default)]
pub(crate) struct ServicesSlot {
    task: Mutex<Option<Task>>,
    /// Hash key → when its last heartbeat was seen (ms).
    heartbeats: std::sync::Arc<Mutex<HashMap<String, i64>>>,
}

impl AdminService {
    /// Every library client reporting telemetry, with liveness and alerts. Starts the heartbeat
    /// watcher (it stops when the service is dropped).
    pub async fn services(&self) -> Result<ServicesReply> {
        self.ensure_services_watcher();
        self.services_now().await
    }

    /// [`AdminService::services`] without starting the watcher (the watcher itself calls it).
    pub(crate) async fn services_now(&self) -> Result<ServicesReply> {
        let (keys, truncated) = self.client_keys().await?;
        let mut conn = self.conn().await?;
        let mut pipe = redis::pipe();
        for k in &keys {
            pipe.cmd("HGETALL").arg(k).cmd("PTTL").arg(k);
        }
        let replies: Vec<redis::Value> = if keys.is_empty() {
            Vec::new()
        } else {
            pipe.query_async(&mut conn).await?
        };
        let seen = lock(&self.inner.services.heartbeats).clone();
        let now = chrono::Utc::now().timestamp_millis();
        let mut services = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let fields = hash_fields(replies.get(2 * i));
            if fields.is_empty() {
                continue; // expired between SCAN and HGETALL
            }
            let ttl_ms = match replies.get(2 * i + 1) {
                Some(redis::Value::Int(n)) => *n,
                _ => -2,
            };
            services.push(parse_service(
                key,
                &fields,
                ttl_ms,
                seen.get(key).copied(),
                now,
            ));
        }
        services.sort_by(|a, b| (&a.service, &a.instance).cmp(&(&b.service, &b.instance)));
        let alerts = services.iter().flat_map(|s| s.alerts.clone()).collect();
        Ok(ServicesReply {
            services,
            alerts,
            truncated,
        })
    }

    /// Keys of the telemetry hashes on every master (at most [`MAX_SERVICES`]).
    async fn client_keys(&self) -> Result<(Vec<String>, bool)> {
        let conn = self.conn().await?;
        let pattern = format!("{}*", redscope::keyspace::glob_escape(CLIENTS_PREFIX));
        let mut keys = Vec::new();
        for mut node in conn.masters().await? {
            let mut cursor = 0u64;
            loop {
                let (next, page) = redscope::keyspace::scan_page(
                    &mut node.conn,
                    cursor,
                    &pattern,
                    1000,
                    Some("hash"),
                )
                .await?;
                keys.extend(page.into_iter().filter_map(|k| String::from_utf8(k).ok()));
                if keys.len() > MAX_SERVICES {
                    keys.sort();
                    keys.truncate(MAX_SERVICES);
                    return Ok((keys, true));
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        keys.sort();
        keys.dedup();
        Ok((keys, false))
    }

    /// Restarts the watcher on the now-active connection (after a profile switch).
    pub(crate) async fn restart_services_watcher(&self) {
        let old = lock(&self.inner.services.task).take();
        lock(&self.inner.services.heartbeats).clear();
        if let Some(t) = old {
            t.stop().await;
            self.ensure_services_watcher();
        }
    }

    /// Starts the heartbeat listener and change detector unless running.
    fn ensure_services_watcher(&self) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let slot = &self.inner.services;
        let mut task = lock(&slot.task);
        if task.as_ref().is_some_and(Task::is_running) {
            return;
        }
        let weak = self.downgrade();
        let beats = slot.heartbeats.clone();
        *task = Some(Task::spawn(move |cancel| watch(weak, beats, cancel)));
    }
}

/// Listens for heartbeats and publishes a `services` event whenever the set of clients or
/// their status changes. The heartbeat listener is retried while Redis is unreachable.
async fn watch(
    weak: std::sync::Weak<super::Inner>,
    beats: std::sync::Arc<Mutex<HashMap<String, i64>>>,
    cancel: CancellationToken,
) {
    let mut listener: Option<redscope::pubsub::Listener> = None;
    let mut last: Option<Vec<(String, ServiceStatus)>> = None;
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u64;
    let mut warned = false;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let Some(service) = AdminService::upgrade(&weak) else {
            break;
        };
        // (Re)start the heartbeat listener: at once, then every 20 ticks while it is missing.
        if listener.is_none() && ticks % LISTENER_RETRY_TICKS == 0 {
            match start_listener(&service, &beats, &cancel).await {
                Ok(l) => {
                    listener = Some(l);
                    warned = false;
                }
                Err(e) if !warned => {
                    warned = true;
                    tracing::warn!(
                        "services: no heartbeat listener yet ({e}); liveness from the hashes only"
                    );
                }
                Err(_) => {}
            }
        }
        ticks += 1;
        let Ok(reply) = service.services_now().await else {
            continue;
        };
        let set: Vec<(String, ServiceStatus)> = reply
            .services
            .iter()
            .map(|s| (s.key.clone(), s.status))
            .collect();
        if last.as_ref() != Some(&set) {
            if last.is_some() {
                service.publish_event(Event::Services {
                    services: reply.services,
                    alerts: reply.alerts,
                });
            }
            last = Some(set);
        }
        // Forget heartbeats of clients whose hash is gone.
        lock(&beats).retain(|k, _| set_contains(&last, k));
    }
    if let Some(l) = listener {
        l.stop().await;
    }
}

/// Subscribes to `trading:system` on the service's active connection and records heartbeats.
async fn start_listener(
    service: &AdminService,
    beats: &std::sync::Arc<Mutex<HashMap<String, i64>>>,
    cancel: &CancellationToken,
) -> Result<redscope::pubsub::Listener> {
    let conn = service.conn().await?;
    let mut b = PubSubManager::new(conn, service.active_config(), "redscope-admin").listener();
    let rx = b.channel(channels::SYSTEM);
    let listener = b.start(cancel.child_token()).await?;
    let beats = beats.clone();
    redscope::pubsub::spawn_handler(rx, cancel.clone(), move |msg| {
        let beats = beats.clone();
        async move {
            record_heartbeat(&beats, &msg);
            Ok(())
        }
    });
    Ok(listener)
}

fn set_contains(set: &Option<Vec<(String, ServiceStatus)>>, key: &str) -> bool {
    set.as_ref()
        .is_some_and(|s| s.iter().any(|(k, _)| k == key))
}

/// Notes the time of a `HEARTBEAT` carrying a telemetry key (a `stopped` one forgets it).
fn record_heartbeat(beats: &Mutex<HashMap<String, i64>>, msg: &redscope::pubsub::Received) {
    let Some(env) = msg.envelope() else {
        return;
    };
    if env.message_type != MessageType::Heartbeat {
        return;
    }
    let Some(key) = env.data.get("key").and_then(|k| k.as_str()) else {
        return;
    };
    if !key.starts_with(CLIENTS_PREFIX) {
        return;
    }
    let mut b = lock(beats);
    if env.data.get("status").and_then(|s| s.as_str()) == Some("stopped") {
        b.remove(key);
    } else {
        b.insert(key.to_string(), chrono::Utc::now().timestamp_millis());
    }
}

/// The field/value pairs of an HGETALL reply (RESP2 array or RESP3 map), as text.
fn hash_fields(v: Option<&redis::Value>) -> BTreeMap<String, String> {
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        redis::Value::SimpleString(s) => Some(s.clone()),
        redis::Value::Int(n) => Some(n.to_string()),
        _ => None,
    };
    let mut out = BTreeMap::new();
    match v {
        Some(redis::Value::Array(items)) => {
            for pair in items.chunks(2) {
                if let [k, v] = pair {
                    if let (Some(k), Some(v)) = (text(k), text(v)) {
                        out.insert(k, v);
                    }
                }
            }
        }
        Some(redis::Value::Map(pairs)) => {
            for (k, v) in pairs {
                if let (Some(k), Some(v)) = (text(k), text(v)) {
                    out.insert(k, v);
                }
            }
        }
        _ => {}
    }
    out
}

/// A client from its hash fields; `heartbeat_ms` is when this service last saw its heartbeat.
pub fn parse_service(
    key: &str,
    f: &BTreeMap<String, String>,
    ttl_ms: i64,
    heartbeat_ms: Option<i64>,
    now_ms: i64,
) -> ServiceInfo {
    let num = |k: &str| f.get(k).and_then(|v| v.parse::<u64>().ok());
    let interval_ms = num("interval_ms").unwrap_or(5000).max(1);
    let updated_ms = f
        .get("updated_ms")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    // The heartbeat (seen on this clock) is the better witness; the hash's own time otherwise.
    let last = heartbeat_ms.map_or(updated_ms, |h| h.max(updated_ms.min(now_ms)));
    let silent = now_ms.saturating_sub(last).max(0) as u64;
    let status = if silent > GONE_AFTER_INTERVALS * interval_ms {
        ServiceStatus::Gone
    } else {
        ServiceStatus::Live
    };
    let mut types: BTreeMap<String, TypeFigures> = BTreeMap::new();
    let mut breakers: BTreeMap<String, BreakerFigures> = BTreeMap::new();
    let mut limits: BTreeMap<String, LimitFigures> = BTreeMap::new();
    let mut locks: BTreeMap<String, LockFigures> = BTreeMap::new();
    let mut groups: BTreeMap<String, GroupFigures> = BTreeMap::new();
    let mut ttl_overrides: BTreeMap<String, u64> = BTreeMap::new();
    for (field, value) in f {
        let Some((kind, rest)) = field.split_once(':') else {
            continue;
        };
        let Some((name, metric)) = rest.rsplit_once(':') else {
            continue;
        };
        let n = value.parse::<u64>().unwrap_or(0);
        match kind {
            "type" => {
                let t = types.entry(name.into()).or_insert_with(|| TypeFigures {
                    name: name.into(),
                    ..Default::default()
                });
                match metric {
                    "hits" => t.hits = n,
                    "misses" => t.misses = n,
                    "hit_rate" => t.hit_rate = value.parse().unwrap_or(0.0),
                    _ => {}
                }
            }
            "breaker" => {
                let b = breakers
                    .entry(name.into())
                    .or_insert_with(|| BreakerFigures {
                        name: name.into(),
                        ..Default::default()
                    });
                match metric {
                    "state" => b.state = value.clone(),
                    "trips" => b.trips = n,
                    "rejected" => b.rejected = n,
                    _ => {}
                }
            }
            "ratelimit" => {
                let l = limits.entry(name.into()).or_insert_with(|| LimitFigures {
                    name: name.into(),
                    ..Default::default()
                });
                match metric {
                    "allowed" => l.allowed = n,
                    "rejected" => l.rejected = n,
                    _ => {}
                }
            }
            "lock" => {
                let l = locks.entry(name.into()).or_insert_with(|| LockFigures {
                    name: name.into(),
                    ..Default::default()
                });
                match metric {
                    "acquired" => l.acquired = n,
                    "waits" => l.waits = n,
                    "timeouts" => l.timeouts = n,
                    "lost" => l.lost = n,
                    _ => {}
                }
            }
            "ttl" if metric == "ms" => {
                ttl_overrides.insert(name.into(), n);
            }
            "group" => {
                let (stream, group) = name.rsplit_once('|').unwrap_or((name, ""));
                let g = groups.entry(name.into()).or_insert_with(|| GroupFigures {
                    stream: stream.into(),
                    group: group.into(),
                    ..Default::default()
                });
                match metric {
                    "lag" => g.lag = Some(n),
                    "pending" => g.pending = n,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mut info = ServiceInfo {
        key: key.to_string(),
        service: f.get("service").cloned().unwrap_or_default(),
        instance: f.get("instance").cloned().unwrap_or_default(),
        version: f.get("version").cloned().unwrap_or_default(),
        host: f.get("host").cloned().unwrap_or_default(),
        pid: num("pid"),
        status,
        uptime_s: num("uptime_s").unwrap_or(0),
        interval_ms,
        updated_ms,
        heartbeat_ms,
        ttl_ms,
        types: types.into_values().collect(),
        breakers: breakers.into_values().collect(),
        rate_limits: limits.into_values().collect(),
        locks: locks.into_values().collect(),
        groups: groups.into_values().collect(),
        ttl_overrides,
        alerts: Vec::new(),
    };
    info.alerts = alerts_of(&info);
    info
}

/// Alerts on one client: open breakers, low hit rates, a gone client.
pub fn alerts_of(s: &ServiceInfo) -> Vec<ServiceAlert> {
    let who = format!("{}/{}", s.service, s.instance);
    let mut out = Vec::new();
    let mut push = |level, code: &str, message: String| {
        out.push(ServiceAlert {
            level,
            code: code.into(),
            message,
            key: s.key.clone(),
        })
    };
    if s.status == ServiceStatus::Gone {
        push(
            AlertLevel::Warning,
            "service_gone",
            format!("{who} stopped sending heartbeats"),
        );
    }
    for b in &s.breakers {
        match b.state.as_str() {
            "open" => push(
                AlertLevel::Critical,
                "breaker_open",
                format!(
                    "{who}: circuit breaker {} is open ({} trips)",
                    b.name, b.trips
                ),
            ),
            "half_open" => push(
                AlertLevel::Warning,
                "breaker_half_open",
                format!("{who}: circuit breaker {} is probing Redis", b.name),
            ),
            _ => {}
        }
    }
    for t in &s.types {
        if t.hits + t.misses >= MIN_READS_FOR_ALERT && t.hit_rate < HIT_RATE_WARNING {
            push(
                AlertLevel::Warning,
                "low_hit_rate",
                format!(
                    "{who}: {} hit rate {:.0} % is below {:.0} % ({} hits, {} misses)",
                    t.name,
                    t.hit_rate * 100.0,
                    HIT_RATE_WARNING * 100.0,
                    t.hits,
                    t.misses
                ),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_hash_reads_back_into_figures_and_alerts() {
        let f = fields(&[
            ("service", "pricer"),
            ("instance", "a"),
            ("interval_ms", "1000"),
            ("updated_ms", "10000"),
            ("type:ticker:hits", "2"),
            ("type:ticker:misses", "18"),
            ("type:ticker:hit_rate", "0.1000"),
            ("breaker:cache:state", "open"),
            ("breaker:cache:trips", "1"),
            ("group:market:data|risk:lag", "7"),
            ("group:market:data|risk:pending", "3"),
            ("ttl:features:ms", "86400000"),
        ]);
        let s = parse_service("redscope:clients:pricer:a", &f, 2500, None, 10_500);
        assert_eq!(s.status, ServiceStatus::Live);
        assert_eq!(s.types.len(), 1);
        assert_eq!((s.types[0].hits, s.types[0].misses), (2, 18));
        assert_eq!(s.groups[0].stream, "market:data");
        assert_eq!(
            (s.groups[0].group.as_str(), s.groups[0].lag),
            ("risk", Some(7))
        );
        let codes: Vec<&str> = s.alerts.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["breaker_open", "low_hit_rate"]);
    }

    #[test]
    fn hgetall_replies_read_in_resp2_and_resp3() {
        use redis::Value as V;
        let bulk = |s: &str| V::BulkString(s.as_bytes().to_vec());
        let resp2 = V::Array(vec![
            bulk("service"),
            bulk("pricer"),
            bulk("pid"),
            V::Int(7),
        ]);
        let resp3 = V::Map(vec![
            (bulk("service"), bulk("pricer")),
            (bulk("pid"), V::Int(7)),
        ]);
        for v in [resp2, resp3] {
            let f = hash_fields(Some(&v));
            assert_eq!(f.len(), 2);
            assert_eq!((f["service"].as_str(), f["pid"].as_str()), ("pricer", "7"));
        }
        assert!(hash_fields(Some(&V::Nil)).is_empty());
        assert!(hash_fields(None).is_empty());
    }

    #[test]
    fn silence_beyond_two_intervals_is_gone() {
        let f = fields(&[("interval_ms", "200"), ("updated_ms", "1000")]);
        assert_eq!(
            parse_service("k", &f, 100, None, 1400).status,
            ServiceStatus::Live
        );
        assert_eq!(
            parse_service("k", &f, 100, None, 1401).status,
            ServiceStatus::Gone
        );
        // A recent heartbeat keeps it live even if the hash's clock lags.
        assert_eq!(
            parse_service("k", &f, 100, Some(5000), 5100).status,
            ServiceStatus::Live
        );
    }
}
