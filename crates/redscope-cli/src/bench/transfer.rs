//! `export-1m` and `import-1m`: 1,000,000 keys of every type (strings, lists, hashes, sets,
//! sorted sets, streams; a share with TTLs) exported to the lossless dump file by the export job,
//! against a bare pipelined SCAN + PTTL/DUMP loop writing `RESTORE` commands to a file; then
//! that dump file imported by the import job, against `redis-cli --pipe` loading the bare loop's
//! file. Both in keys per second.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{tcp_addr, BenchReport, RawResp, Resp};
use redscope::config::RedisConfig;
use redscope::error::{Error, Result};
use redscope_admin::registry::JobState;
use redscope_admin::transfer::{ExportRequest, ImportRequest, TransferJob};
use redscope_admin::{AdminOptions, AdminService};

/// Keys loaded.
const KEYS: u64 = 1_000_000;

/// Flushes the database and loads [`KEYS`] keys: half strings, the rest lists, hashes, sets,
/// sorted sets and streams of a few elements; every fifth key expires in a day.
async fn load(conn: &mut redscope::conn::Conn) -> Result<()> {
    let _: () = redis::cmd("FLUSHDB").query_async(conn).await?;
    let mut p = redis::pipe();
    for i in 0..KEYS {
        let key = format!("t:{}:{i}", i % 10);
        match i % 10 {
            0..=4 => p.cmd("SET").arg(&key).arg("0123456789abcdef").ignore(),
            5 => p.cmd("RPUSH").arg(&key).arg(&["a", "b", "c"]).ignore(),
            6 => p
                .cmd("HSET")
                .arg(&key)
                .arg(&[("bid", "1.5"), ("ask", "1.6")])
                .ignore(),
            7 => p.cmd("SADD").arg(&key).arg(&[1, 2, 3]).ignore(),
            8 => p
                .cmd("ZADD")
                .arg(&key)
                .arg(&[(1.0, "a"), (2.0, "b")])
                .ignore(),
            _ => p.cmd("XADD").arg(&key).arg("*").arg("px").arg(i).ignore(),
        };
        if i % 5 == 0 {
            p.cmd("EXPIRE").arg(&key).arg(86_400).ignore();
        }
        if p.len() >= 20_000 {
            let _: () = p.query_async(conn).await?;
            p = redis::pipe();
        }
    }
    if !p.is_empty() {
        let _: () = p.query_async(conn).await?;
    }
    Ok(())
}

async fn wait(service: &AdminService, id: &str) -> Result<TransferJob> {
    let t = Instant::now();
    loop {
        let j = service.transfer().job(id)?;
        if j.state != JobState::Running {
            if j.state != JobState::Done {
                return Err(Error::server(format!(
                    "the job ended {:?}: {:?}",
                    j.state, j.error
                )));
            }
            return Ok(j);
        }
        if t.elapsed() > Duration::from_secs(900) {
            return Err(Error::Timeout(Duration::from_secs(900)));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The reference export: SCAN COUNT 1000, then PTTL and DUMP of the page pipelined, written as
/// `RESTORE key ttl payload` commands; answers the seconds and keys.
fn bare_scan_dump(host: &str, port: u16, cfg: &RedisConfig, out: &Path) -> Result<(f64, u64)> {
    let mut c = RawResp::connect(host, port, cfg)?;
    let mut file = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let start = Instant::now();
    let mut cursor = "0".to_string();
    let mut n = 0u64;
    loop {
        let Resp::Array(parts) = c.call(&["SCAN", &cursor, "COUNT", "1000"])? else {
            return Err(Error::Codec("SCAN reply".into()));
        };
        let [Resp::Bulk(next), Resp::Array(keys)] = &parts[..] else {
            return Err(Error::Codec("SCAN reply".into()));
        };
        let keys: Vec<&[u8]> = keys
            .iter()
            .filter_map(|k| {
                if let Resp::Bulk(b) = k {
                    Some(b.as_slice())
                } else {
                    None
                }
            })
            .collect();
        for k in &keys {
            c.send(&[b"PTTL", k])?;
            c.send(&[b"DUMP", k])?;
        }
        for k in &keys {
            let ttl = match c.read()? {
                Resp::Int(t) if t > 0 => t,
                _ => 0,
            };
            if let Resp::Bulk(payload) = c.read()? {
                let ttl = ttl.to_string();
                file.write_all(&redscope_admin::resp::encode_command(&[
                    b"RESTORE",
                    k,
                    ttl.as_bytes(),
                    &payload,
                ]))?;
                n += 1;
            }
        }
        cursor = String::from_utf8_lossy(next).into_owned();
        if cursor == "0" {
            file.flush()?;
            return Ok((start.elapsed().as_secs_f64(), n));
        }
    }
}

fn redis_cli_pipe(host: &str, port: u16, cfg: &RedisConfig, file: &Path) -> Result<f64> {
    let args = super::redis_cli_args(host, port, cfg, "--pipe");
    let t = Instant::now();
    let out = Command::new("redis-cli")
        .args(&args)
        .stdin(Stdio::from(std::fs::File::open(file)?))
        .output()?;
    let s = t.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !text.contains("errors: 0") {
        return Err(Error::server(format!("redis-cli --pipe failed: {text}")));
    }
    Ok(s)
}

/// Empties the database without waiting for a million keys to be freed (a plain FLUSHDB can
/// outlast the connection's response timeout on a loaded machine).
async fn flush(conn: &mut redscope::conn::Conn) -> Result<()> {
    let _: () = redis::cmd("FLUSHDB").arg("ASYNC").query_async(conn).await?;
    Ok(())
}

async fn dbsize(conn: &mut redscope::conn::Conn) -> Result<u64> {
    Ok(redis::cmd("DBSIZE").query_async(conn).await?)
}

/// Both exports of the loaded keys; answers (ours s, reference s, our file bytes, its bytes).
async fn exports(cfg: &RedisConfig, dir: &Path) -> Result<(f64, f64, u64, u64)> {
    let (host, port) = tcp_addr(cfg)?;
    let (cfg2, out) = (cfg.clone(), dir.join("reference.resp"));
    let (ref_s, ref_keys) =
        tokio::task::spawn_blocking(move || bare_scan_dump(&host, port, &cfg2, &out))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let service = AdminService::new(cfg.clone(), AdminOptions::default());
    service.conn().await?;
    let t = Instant::now();
    let job = service
        .transfer()
        .export(ExportRequest {
            format: Some("dump".into()),
            file: Some("bench.rsdump".into()),
            overwrite: Some(true),
            ..Default::default()
        })
        .await?;
    let job = wait(&service, &job.id).await?;
    let ours_s = t.elapsed().as_secs_f64();
    service.shutdown().await;
    if job.keys != KEYS || ref_keys != KEYS {
        return Err(Error::server(format!(
            "exported {} keys (reference {ref_keys}); {KEYS} were loaded",
            job.keys
        )));
    }
    let ref_bytes = std::fs::metadata(dir.join("reference.resp"))?.len();
    Ok((ours_s, ref_s, job.done_bytes, ref_bytes))
}

fn export_dir() -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    // SAFETY: the bench runs one scenario at a time; nothing else reads the variable meanwhile.
    unsafe { std::env::set_var("REDSCOPE_EXPORT_DIR", dir.path()) };
    Ok(dir)
}

/// `export-1m` (see the module doc).
pub(super) async fn export_1m(cfg: &RedisConfig) -> Result<BenchReport> {
    let dir = export_dir()?;
    let mut conn = redscope::conn::Conn::connect(cfg).await?;
    load(&mut conn).await?;
    let (ours_s, ref_s, ours_bytes, ref_bytes) = exports(cfg, dir.path()).await?;
    flush(&mut conn).await?;
    let rate = |s: f64| KEYS as f64 / s;
    let mut r = BenchReport::new(
        "export-1m",
        "keys/s",
        rate(ours_s),
        rate(ref_s),
        true,
        Some(0.7),
    );
    r.details.push(("keys".into(), KEYS as f64));
    r.details.push(("ours (s)".into(), ours_s));
    r.details.push(("SCAN+DUMP loop (s)".into(), ref_s));
    r.details
        .push(("dump file (MB)".into(), ours_bytes as f64 / 1e6));
    r.details
        .push(("reference file (MB)".into(), ref_bytes as f64 / 1e6));
    Ok(r)
}

/// `import-1m` (see the module doc).
pub(super) async fn import_1m(cfg: &RedisConfig) -> Result<BenchReport> {
    let dir = export_dir()?;
    let mut conn = redscope::conn::Conn::connect(cfg).await?;
    load(&mut conn).await?;
    exports(cfg, dir.path()).await?;

    flush(&mut conn).await?;
    let service = AdminService::new(cfg.clone(), AdminOptions::default());
    service.conn().await?;
    let t = Instant::now();
    let job = service
        .transfer()
        .import(ImportRequest {
            file: "bench.rsdump".into(),
            policy: Some("skip".into()),
            dry_run: Some(false),
        })
        .await?;
    let job = wait(&service, &job.id).await?;
    let ours_s = t.elapsed().as_secs_f64();
    service.shutdown().await;
    let ours_keys = dbsize(&mut conn).await?;

    flush(&mut conn).await?;
    let (host, port) = tcp_addr(cfg)?;
    let (cfg2, file) = (cfg.clone(), dir.path().join("reference.resp"));
    let ref_s = tokio::task::spawn_blocking(move || redis_cli_pipe(&host, port, &cfg2, &file))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let ref_keys = dbsize(&mut conn).await?;
    flush(&mut conn).await?;
    if job.keys != KEYS || ours_keys != KEYS || ref_keys != KEYS {
        return Err(Error::server(format!(
            "imported {} keys ({ours_keys} in the database; redis-cli --pipe {ref_keys}); {KEYS} were exported",
            job.keys
        )));
    }
    let rate = |s: f64| KEYS as f64 / s;
    let mut r = BenchReport::new(
        "import-1m",
        "keys/s",
        rate(ours_s),
        rate(ref_s),
        true,
        Some(0.7),
    );
    r.details.push(("keys".into(), KEYS as f64));
    r.details.push(("ours (s)".into(), ours_s));
    r.details.push(("redis-cli --pipe (s)".into(), ref_s));
    r.notes.push("both restore DUMP payloads; ours reads the dump file and pipelines RESTORE … ABSTTL per master".into());
    Ok(r)
}
