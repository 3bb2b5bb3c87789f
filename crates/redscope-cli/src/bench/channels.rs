//! `channel-monitor`: the admin channel monitor's ingest rate while `redis-benchmark -P 64
//! PUBLISH` floods a channel, against a bare RESP subscriber on the same load; both must receive
//! every message published.

use std::time::{Duration, Instant};

use super::{run_redis_benchmark, tcp_addr, BenchReport, RawResp};
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};
use redscope_admin::channels::MonitorRequest;
use redscope_admin::resp::{self, Limits};
use redscope_admin::{AdminOptions, AdminService};

/// Messages published per side.
pub const MESSAGES: u64 = 1_000_000;
const CHANNEL: &str = "bench:trading:signals";
const PATTERN: &str = "bench:*";
/// A trade-signal envelope, the size of real traffic.
const PAYLOAD: &str = r#"{"type":"TRADE_SIGNAL","timestamp":"2025-01-17T12:00:00.123Z","source":"bench","data":{"symbol":"BTC-USDT","signal":"BUY","confidence":0.85}}"#;
/// A subscriber that received nothing new for this long has lost the rest.
const STALL: Duration = Duration::from_secs(5);

fn publish_args(n: &str) -> Vec<&str> {
    vec!["-c", "1", "-P", "64", "-n", n, "PUBLISH", CHANNEL, PAYLOAD]
}

/// Runs `redis-benchmark` publishing `MESSAGES` on a thread; returns its start time and handle.
fn start_publisher(port: u16) -> (Instant, std::thread::JoinHandle<Result<f64>>) {
    let start = Instant::now();
    let handle = std::thread::spawn(move || {
        let n = MESSAGES.to_string();
        run_redis_benchmark(port, &publish_args(&n))
    });
    (start, handle)
}

/// `channel-monitor` (see the module doc).
pub(super) async fn channel_monitor(cfg: &RedisConfig) -> Result<BenchReport> {
    let (host, port) = tcp_addr(cfg)?;

    // Ours: the admin service's monitor, as the app runs it.
    let service = AdminService::new(cfg.clone(), AdminOptions::default());
    let stats = service
        .channels()
        .monitor(MonitorRequest {
            channels: vec![],
            patterns: vec![PATTERN.into()],
            ..Default::default()
        })
        .await?;
    if !stats.connected {
        return Err(Error::Connection(
            "the channel monitor did not subscribe".into(),
        ));
    }
    let (start, publisher) = start_publisher(port);
    let mut last = (0u64, Instant::now());
    let ours_received = loop {
        let total = service.channels().monitor_stats(Some(0))?.total;
        if total >= MESSAGES {
            break total;
        }
        if total != last.0 {
            last = (total, Instant::now());
        } else if last.1.elapsed() > STALL {
            break total;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let ours_s = start.elapsed().as_secs_f64();
    let ours_publish_rps = join(publisher)?;
    service.channels().monitor_stop().await;

    // The reference: a bare RESP subscriber thread on the same load.
    let cfg2 = cfg.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let subscriber = std::thread::spawn(move || -> Result<(u64, Instant)> {
        let mut c = RawResp::connect(&host, port, &cfg2)?;
        c.call(&["PSUBSCRIBE", PATTERN])?;
        let (socket, pending) = c.into_parts();
        let _ = ready_tx.send(());
        let received = count_messages(socket, pending, MESSAGES);
        Ok((received, Instant::now()))
    });
    ready_rx
        .recv_timeout(Duration::from_secs(10))
        .map_err(|_| Error::Connection("the bare subscriber did not subscribe".into()))?;
    let (start, publisher) = start_publisher(port);
    let ref_publish_rps = join(publisher)?;
    let (ref_received, ref_end) = subscriber
        .join()
        .map_err(|_| Error::Io(std::io::Error::other("the bare subscriber panicked")))??;
    let ref_s = ref_end.duration_since(start).as_secs_f64();

    let ours = ours_received as f64 / ours_s;
    let reference = ref_received as f64 / ref_s;
    let mut r = BenchReport::new(
        "channel-monitor",
        "msgs/s",
        ours,
        reference,
        true,
        Some(0.80),
    );
    if ours_received != MESSAGES || ref_received != MESSAGES {
        r.met = Some(false);
    }
    r.details
        .push(("published per side".into(), MESSAGES as f64));
    r.details
        .push(("received (ours)".into(), ours_received as f64));
    r.details
        .push(("received (bare)".into(), ref_received as f64));
    r.details
        .push(("publisher msgs/s (ours run)".into(), ours_publish_rps));
    r.details
        .push(("publisher msgs/s (bare run)".into(), ref_publish_rps));
    r.details
        .push(("payload bytes".into(), PAYLOAD.len() as f64));
    Ok(r)
}

/// The bare subscriber's loop: large reads, RESP frames counted in place with
/// [`resp::frame_len`], no allocation per message. Stops at `want` messages, or when the server
/// closes the connection, goes quiet or sends something that is not RESP.
fn count_messages(mut socket: std::net::TcpStream, mut buf: Vec<u8>, want: u64) -> u64 {
    use std::io::Read;
    let _ = socket.set_read_timeout(Some(STALL));
    let mut received = 0u64;
    let mut start = 0usize;
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        loop {
            match resp::frame_len(&buf[start..], &Limits::DEFAULT) {
                Ok(Some(len)) => start += len,
                Ok(None) => break,
                Err(_) => return received,
            }
            received += 1;
            if received >= want {
                return received;
            }
        }
        buf.drain(..start);
        start = 0;
        match socket.read(&mut chunk) {
            Ok(0) | Err(_) => return received,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn join(h: std::thread::JoinHandle<Result<f64>>) -> Result<f64> {
    h.join()
        .map_err(|_| Error::Io(std::io::Error::other("redis-benchmark thread panicked")))?
}
