//! The private `redis-server` a benchmark runs against when no `--redis` is given: a free
//! loopback port, a temporary directory, no persistence, killed when dropped.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use redscope::RedisConfig;

/// A redis-server process owned by one benchmark run.
pub struct BenchServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl BenchServer {
    /// Starts `redis-server` (`$REDSCOPE_REDIS_SERVER` or the one on PATH) with the DEBUG command
    /// enabled (scenarios fill the keyspace with `DEBUG POPULATE`) and waits until it answers.
    pub fn start() -> anyhow::Result<BenchServer> {
        let bin =
            std::env::var_os("REDSCOPE_REDIS_SERVER").unwrap_or_else(|| "redis-server".into());
        let dir = tempfile::Builder::new()
            .prefix("redscope-bench-")
            .tempdir()?;
        let port = loop {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
                .local_addr()?
                .port();
            if port != redscope::config::DEFAULT_PORT {
                break port;
            }
        };
        let child = Command::new(&bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "no", "--enable-debug-command", "yes"])
            .args(["--logfile", "redis.log"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {bin:?} (install Debian's redis-server)"))?;
        let mut server = BenchServer {
            child,
            port,
            _dir: dir,
        };
        server.wait_ready(Duration::from_secs(10))?;
        Ok(server)
    }

    /// The server's connection settings.
    pub fn config(&self) -> RedisConfig {
        RedisConfig::from_url(&format!("redis://127.0.0.1:{}/0", self.port))
            .expect("a loopback URL parses")
    }

    fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let client = redis::Client::open(self.config().connection_info()?)?;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("redis-server exited ({status}) on port {}", self.port);
            }
            let ping = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            match ping {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    bail!(
                        "redis-server on port {} did not answer within {timeout:?}: {e}",
                        self.port
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
