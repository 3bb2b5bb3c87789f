//! Test support: a private `redis-server` on a free loopback port with its own temp dir,
//! killed on drop. It can be restarted on the same port, paused and resumed, for fault tests.
//! Never uses port 6379. Enabled by the `test-support` feature.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::{RedisConfig, Secret};
use crate::error::{Error, Result};

/// How to start a [`RedisServer`].
#[derive(Debug, Clone, Default)]
pub struct RedisServerBuilder {
    password: Option<String>,
    args: Vec<String>,
}

impl RedisServerBuilder {
    /// Require this password (`requirepass`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Pass an extra `--name value` pair to redis-server.
    pub fn arg(mut self, name: &str, value: impl Into<String>) -> Self {
        self.args
            .push(format!("--{}", name.trim_start_matches('-')));
        self.args.push(value.into());
        self
    }

    /// Starts the server and waits until it answers PING.
    pub fn start(self) -> Result<RedisServer> {
        // A port picked from the OS can be taken by someone else before redis binds it: retry.
        let mut last_err = None;
        for _ in 0..5 {
            let mut server = RedisServer {
                child: None,
                port: free_port()?,
                dir: tempfile::Builder::new()
                    .prefix("redscope-redis-")
                    .tempdir()?,
                password: self.password.clone(),
                args: self.args.clone(),
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| Error::Connection("could not start redis-server".into())))
    }
}

/// A private redis-server process owned by a test.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    password: Option<String>,
    args: Vec<String>,
}

impl RedisServer {
    /// Starts a server with default settings.
    pub fn start() -> Result<Self> {
        Self::builder().start()
    }

    /// A builder for a server with a password or extra arguments.
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder::default()
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's working directory (its log file is `redis.log` in it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// A `redis://` URL for this server (with the password, if any: keep it out of logs).
    pub fn url(&self) -> String {
        match &self.password {
            Some(pw) => format!("redis://:{pw}@127.0.0.1:{}/0", self.port),
            None => format!("redis://127.0.0.1:{}/0", self.port),
        }
    }

    /// A [`RedisConfig`] for this server.
    pub fn config(&self) -> RedisConfig {
        let mut cfg = RedisConfig::from_url(&format!("redis://127.0.0.1:{}/0", self.port))
            .expect("loopback URL parses");
        cfg.password = self.password.clone().map(Secret::new);
        cfg
    }

    /// Kills the server (SIGKILL) and waits for it to exit. The port stays reserved for restart.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory (after [`RedisServer::kill`]).
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!("restart retry: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Freezes the server with SIGSTOP: connections stay open but nothing answers.
    pub fn pause(&self) -> Result<()> {
        self.signal("STOP")
    }

    /// Resumes a paused server with SIGCONT.
    pub fn resume(&self) -> Result<()> {
        self.signal("CONT")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    fn signal(&self, sig: &str) -> Result<()> {
        let pid = self
            .pid()
            .ok_or_else(|| Error::Connection("server is not running".into()))?;
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::Io(std::io::Error::other(format!(
                "kill -{sig} {pid} failed"
            ))))
        }
    }

    fn spawn(&mut self) -> Result<()> {
        let bin = redis_server_binary();
        let mut cmd = Command::new(&bin);
        cmd.arg("--port")
            .arg(self.port.to_string())
            .args([
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ])
            .args(["--protected-mode", "no", "--logfile", "redis.log"])
            .arg("--dir")
            .arg(self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(pw) = &self.password {
            cmd.arg("--requirepass").arg(pw);
        }
        cmd.args(&self.args);
        let child = cmd.spawn().map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!(
                    "cannot run {}: {e} (install Debian's redis-server: scripts/setup.sh)",
                    bin.display()
                ),
            ))
        })?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(10))
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let info = self.config().connection_info()?;
        let client = redis::Client::open(info).map_err(Error::from)?;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(Error::Connection(format!(
                        "redis-server exited ({status}) on port {}: {}",
                        self.port,
                        self.log()
                            .lines()
                            .rev()
                            .take(3)
                            .collect::<Vec<_>>()
                            .join(" | ")
                    )));
                }
            }
            let ping = client
                .get_connection_with_timeout(Duration::from_millis(200))
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            match ping {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    self.kill();
                    return Err(Error::Connection(format!(
                        "redis-server on port {} did not answer PING within {timeout:?}: {e}",
                        self.port
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The redis-server binary: `$REDSCOPE_REDIS_SERVER`, else `redis-server` on PATH.
pub fn redis_server_binary() -> PathBuf {
    std::env::var_os("REDSCOPE_REDIS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-server"))
}

/// The Python interpreter with redis-py for interop checks: `$REDSCOPE_PYTHON`, else the
/// repository's `.venv` made by `scripts/dev setup`.
pub fn python() -> PathBuf {
    std::env::var_os("REDSCOPE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}

/// A free TCP port on 127.0.0.1 (never 6379).
pub fn free_port() -> Result<u16> {
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        if port != crate::config::DEFAULT_PORT {
            return Ok(port);
        }
    }
}
