//! Metrics: the sampler's history grows and the health-threshold alerts fire on a real server, `GET
//! /metrics` is valid Prometheus text, and `redscope report` draws PNG and SVG files.

use std::time::{Duration, Instant};

use redscope_admin::metrics::MetricsQuery;
use redscope_admin::Event;
use redscope_admin::{AdminOptions, AdminService};
use redscope_testing::{sync_query, RedisServer};

mod api;
use api::{serve, TOKEN};

#[tokio::test]
async fn history_grows_and_the_health_alerts_fire() {
    let redis = RedisServer::start().unwrap();
    // 200 misses and no hits: hit rate 0 %.
    for i in 0..200 {
        sync_query(&redis, &["GET", &format!("missing:{i}")]).unwrap();
    }
    // 10 values of 256 KiB, then maxmemory just above what is used: 98 % full.
    for i in 0..10 {
        sync_query(
            &redis,
            &["SET", &format!("blob:{i}"), &"x".repeat(256 * 1024)],
        )
        .unwrap();
    }
    let written = 10;
    let used: u64 = sync_query(&redis, &["INFO", "memory"])
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    let maxmemory = used * 100 / 98;
    sync_query(
        &redis,
        &["CONFIG", "SET", "maxmemory", &maxmemory.to_string()],
    )
    .unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let mut bus = service.events();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ticks = 0;
    let (sample, alerts) = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::Metrics(redscope_admin::metrics::Tick { sample, alerts }))) => {
                ticks += 1;
                if ticks == 3 {
                    break (sample, alerts);
                }
            }
            Ok(Ok(_)) => {}
            other => panic!("no metrics events: {other:?}"),
        }
    };
    let codes: Vec<&str> = alerts.iter().map(|a| a.code).collect();
    assert_eq!(
        codes,
        vec!["low_hit_rate", "memory_critical", "no_eviction_policy"],
        "{alerts:?}"
    );
    assert_eq!(sample.keys, written);
    assert_eq!(sample.maxmemory, maxmemory);
    assert!(sample.used_memory > sample.maxmemory * 95 / 100);
    assert_eq!(sample.hit_rate_total, Some(0.0));
    assert!(sample.clients >= 1, "the sampler itself is a client");
    assert!(sample.host_cpu.is_some() && sample.host_mem_used.unwrap() > 0);
    let rss = sample.server_rss.expect("local server: its RSS is sampled");
    assert!(rss > sample.used_memory / 2, "rss {rss}");

    let history = service.metrics().total(&MetricsQuery::default()).unwrap();
    assert!(history.samples.len() >= 3, "{}", history.samples.len());
    assert!(history.samples.windows(2).all(|w| w[0].at_ms < w[1].at_ms));
    assert_eq!(history.alerts.len(), 3);
    let one = service
        .metrics()
        .total(&MetricsQuery {
            range_s: Some(3600),
            points: Some(1),
        })
        .unwrap();
    assert_eq!(one.samples.len(), 1, "downsampled to the points asked for");
    assert!(service
        .metrics()
        .total(&MetricsQuery {
            range_s: Some(0),
            points: None
        })
        .is_err());
}

/// Checks every line is a comment or `name{labels} value` with a numeric value.
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if line.starts_with('#') {
            assert!(
                line.starts_with("# HELP ") || line.starts_with("# TYPE "),
                "bad comment line {line:?}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line:?}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line:?}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels in {line:?}");
        }
        out.push((series.to_string(), value));
    }
    out
}

#[tokio::test]
async fn prometheus_metrics_parse_and_need_the_token() {
    let redis = RedisServer::start().unwrap();
    sync_query(&redis, &["SET", "k", "v"]).unwrap();
    let addr = serve(AdminService::new(redis.config(), AdminOptions::default())).await;
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let res = http
            .get(format!("http://{addr}/api/health"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let deadline = Instant::now() + Duration::from_secs(10);
    let series = loop {
        let res = http
            .get(format!("http://{addr}/metrics"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        let series = parse_prometheus(&res.text().await.unwrap());
        if series.iter().any(|(s, _)| s == "redscope_redis_keys") {
            break series;
        }
        assert!(
            Instant::now() < deadline,
            "the sampler figures never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let get = |name: &str| {
        series
            .iter()
            .find(|(s, _)| s == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(
        get(r#"redscope_http_requests_total{route="/api/health",method="GET",status="200"}"#),
        3.0
    );
    assert_eq!(
        get(
            r#"redscope_http_request_duration_seconds_count{route="/api/health",method="GET",status="200"}"#
        ),
        3.0
    );
    assert_eq!(get("redscope_redis_keys"), 1.0);
    assert_eq!(get(r#"redscope_redis_db_keys{db="db0"}"#), 1.0);
    assert!(get("redscope_redis_used_memory_bytes") > 0.0);

    let (status, body) = {
        let res = http
            .get(format!("http://{addr}/api/metrics?range_s=300&points=10"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        (res.status(), res.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    let samples = body["samples"].as_array().unwrap();
    assert!(!samples.is_empty() && samples.len() <= 10);
    assert_eq!(samples[0]["keys"], 1);
    assert!(body["alerts"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_is_sampled_and_listed_on_every_master() {
    let cluster = redscope_testing::RedisCluster::start().unwrap();
    let service = AdminService::new(cluster.config(), AdminOptions::default());
    let mut c = service.conn().await.unwrap();
    for i in 0..30 {
        let () = redis::cmd("SET")
            .arg(format!("k:{i}"))
            .arg(i)
            .query_async(&mut c)
            .await
            .unwrap();
    }
    for i in 0..6 {
        let _: String = redis::cmd("XADD")
            .arg(format!("s:{i}"))
            .arg("*")
            .arg("f")
            .arg("v")
            .query_async(&mut c)
            .await
            .unwrap();
    }
    let mut bus = service.events();
    let deadline = Instant::now() + Duration::from_secs(15);
    let sample = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, bus.recv()).await {
            Ok(Ok(Event::Metrics(redscope_admin::metrics::Tick { sample, .. }))) => break sample,
            Ok(Ok(_)) => {}
            other => panic!("no metrics from the cluster: {other:?}"),
        }
    };
    assert_eq!(sample.keys, 36, "keys summed over the 3 masters");
    assert!(sample.clients >= 3);

    let mut keys = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let page = service
            .streams()
            .keys(Some(&cursor), Some(2))
            .await
            .unwrap();
        keys.extend(page.keys.into_iter().map(|k| k.text));
        cursor = page.cursor;
        if cursor == "0" {
            break;
        }
    }
    keys.sort();
    assert_eq!(keys, (0..6).map(|i| format!("s:{i}")).collect::<Vec<_>>());

    // A tail reads from whichever master owns its key.
    for i in 0..3 {
        let key = format!("s:{i}");
        let tail = service
            .streams()
            .tail(&redscope_admin::streams::TailRequest {
                key: redscope_admin::bytes::KeyRef {
                    key: Some(key.clone()),
                    key_b64: None,
                },
                from: Some("0".into()),
            })
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, bus.recv()).await {
                Ok(Ok(Event::StreamEntries(redscope_admin::streams::TailEntries {
                    tail_id,
                    key: k,
                    entries,
                }))) if tail_id == tail.tail_id => {
                    assert_eq!((k.text.as_str(), entries.len()), (key.as_str(), 1));
                    break;
                }
                Ok(_) => {}
                Err(_) => panic!("no entries from the tail of {key}"),
            }
        }
        service.streams().tail_stop(tail.tail_id).await.unwrap();
    }
}

/// `used_cpu_sys` + `used_cpu_user` of one INFO, in CPU seconds.
fn cpu_seconds(redis: &RedisServer) -> f64 {
    let info = sync_query(redis, &["INFO", "cpu"]).unwrap();
    ["used_cpu_sys:", "used_cpu_user:"]
        .iter()
        .map(|f| {
            info.lines()
                .find_map(|l| l.trim().strip_prefix(f))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_cpu_is_charted_as_cpu_seconds_per_second_from_info() {
    let redis = RedisServer::start().unwrap();
    let service = AdminService::new(redis.config(), AdminOptions::default());
    let mut bus = service.events();
    // Two ticks: the second has a previous INFO to take the CPU delta from.
    let mut next_sample = async || loop {
        match tokio::time::timeout(Duration::from_secs(10), bus.recv()).await {
            Ok(Ok(Event::Metrics(t))) => return t.sample,
            Ok(Ok(_)) | Ok(Err(_)) => {}
            Err(_) => panic!("no metrics event in 10 s"),
        }
    };
    next_sample().await;
    let idle = next_sample().await;
    assert!(
        idle.cpu_sys.is_some() && idle.cpu_user.is_some(),
        "{idle:?}"
    );

    // A script that keeps the server busy for a while: the CPU it used shows up in the samples
    // that cover it, as INFO counts it.
    let before = cpu_seconds(&redis);
    let from_ms = idle.at_ms;
    sync_query(
        &redis,
        &[
            "EVAL",
            "local i = 0 while i < 40000000 do i = i + 1 end return i",
            "0",
        ],
    )
    .unwrap();
    let used = cpu_seconds(&redis) - before;
    assert!(used > 0.1, "the script used {used} CPU seconds");
    // Two more ticks after the script: the samples now cover it.
    next_sample().await;
    next_sample().await;
    let h = service
        .metrics()
        .total(&MetricsQuery {
            range_s: Some(120),
            points: Some(1000),
        })
        .unwrap();
    let covered: Vec<_> = h.samples.iter().filter(|s| s.at_ms > from_ms).collect();
    // Each sample's rate times its interval is the CPU it saw; together they hold the script's.
    let mut seen = 0.0;
    let mut prev = from_ms;
    for s in &covered {
        let dt = (s.at_ms - prev) as f64 / 1000.0;
        seen += (s.cpu_sys.unwrap() + s.cpu_user.unwrap()) * dt;
        prev = s.at_ms;
    }
    assert!(
        seen >= used * 0.8 && seen <= used + 0.5,
        "samples saw {seen:.3} CPU s, INFO counted {used:.3} for the script: {covered:?}"
    );
    let peak = covered
        .iter()
        .map(|s| s.cpu_user.unwrap())
        .fold(0.0, f64::max);
    assert!(peak > idle.cpu_user.unwrap(), "a busier sample than idle");
    service.shutdown().await;
}
