//! Starts the real `redscope serve` binary for the binary's tests: on a free loopback port, with
//! its settings in a scratch folder, stderr to a file, and the address read from its first line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

/// A running `redscope serve`, killed when dropped (also when a test fails).
pub struct Served {
    pub child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    /// The rest of its stdout (after the first line).
    pub stdout: BufReader<ChildStdout>,
    /// Its first stdout line, which names the address.
    pub first_line: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `redscope serve --bind 127.0.0.1:0` on `redis_url` with `token`, `REDSCOPE_LOG=log`,
/// its settings and the file secret store under `dir/cfg`, and stderr into `stderr`.
pub fn serve(redis_url: &str, token: &str, log: &str, dir: &Path, stderr: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redscope"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("REDIS_URL", redis_url)
        .env("REDSCOPE_TOKEN", token)
        .env("REDSCOPE_LOG", log)
        .env("REDSCOPE_CONFIG_DIR", dir.join("cfg"))
        .env("REDSCOPE_SECRET_STORE", "file")
        .env_remove("REDIS_PASSWORD")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    // Owned by the guard before anything can fail, so a failure here leaves no process behind.
    let mut served = Served {
        child,
        addr: String::new(),
        stdout,
        first_line: String::new(),
    };
    served.stdout.read_line(&mut served.first_line).unwrap();
    served.addr = served
        .first_line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {:?}", served.first_line))
        .to_string();
    served
}
