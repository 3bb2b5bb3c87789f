//! A private OpenSSH server (Debian's `sshd`) on a free loopback port, for SSH tunnel tests.
//!
//! Each [`SshServer`] has its own temp dir with a generated ed25519 host key, an sshd_config
//! (no PAM, `StrictModes no`, `AuthorizedKeysFile` in the temp dir, forwarding allowed) and
//! runs `sshd -D -e` in the foreground, killed on drop. Logins are as the system user
//! [`TUNNEL_USER`] (created once, no shell, password [`TUNNEL_PASSWORD`]), by password or by
//! the generated user keys: [`SshServer::user_key`] (no passphrase) and
//! [`SshServer::user_key_encrypted`] (passphrase [`KEY_PASSPHRASE`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redscope::config::{Secret, SshAuth, SshConfig};
use redscope::error::{Error, Result};

use crate::free_port;

/// The system user the fixture's sshd lets in (no shell: tunnels only).
pub const TUNNEL_USER: &str = "redscope-tunnel";
/// Its password (a throwaway for this test user only).
pub const TUNNEL_PASSWORD: &str = "tunnel-pass-1";
/// The passphrase of [`SshServer::user_key_encrypted`].
pub const KEY_PASSPHRASE: &str = "key-pass-1";

/// A private sshd owned by a test.
#[derive(Debug)]
pub struct SshServer {
    child: Option<Child>,
    port: u16,
    listen: Ipv4Addr,
    dir: tempfile::TempDir,
}

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| {
        Error::Io(std::io::Error::new(
            e.kind(),
            format!("cannot run {cmd:?}: {e} (install openssh-server and openssh-client: scripts/dev setup)"),
        ))
    })?;
    if !out.status.success() {
        return Err(Error::Io(std::io::Error::other(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Creates [`TUNNEL_USER`] with [`TUNNEL_PASSWORD`] once (tests run as root).
fn ensure_user() -> Result<()> {
    let exists = Command::new("id")
        .arg(TUNNEL_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !exists {
        let r = run(Command::new("useradd").args([
            "--system",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            TUNNEL_USER,
        ]));
        // Another test process may have created it meanwhile.
        if r.is_err()
            && !Command::new("id")
                .arg(TUNNEL_USER)
                .output()?
                .status
                .success()
        {
            r?;
        }
    }
    let mut child = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(format!("{TUNNEL_USER}:{TUNNEL_PASSWORD}\n").as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(Error::Io(std::io::Error::other(format!(
            "chpasswd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))));
    }
    Ok(())
}

/// Generates an ed25519 key pair at `path` (and `path.pub`).
pub fn keygen(path: &Path, passphrase: &str) -> Result<()> {
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "redscope-test",
            "-f",
        ])
        .arg(path))
    .map(|_| ())
}

impl SshServer {
    /// Starts sshd on a free port of 127.0.0.1.
    pub fn start() -> Result<SshServer> {
        Self::start_on(Ipv4Addr::LOCALHOST)
    }

    /// Starts sshd on a free port of `listen` (another loopback address, e.g. 127.0.0.2, for a
    /// server the tests reach through a jump host).
    pub fn start_on(listen: Ipv4Addr) -> Result<SshServer> {
        ensure_user()?;
        std::fs::create_dir_all("/run/sshd")?; // sshd's privilege separation directory
        let dir = tempfile::Builder::new()
            .prefix("redscope-sshd-")
            .tempdir()?;
        keygen(&dir.path().join("host_key"), "")?;
        keygen(&dir.path().join("user_key"), "")?;
        keygen(&dir.path().join("user_key_enc"), KEY_PASSPHRASE)?;
        let mut authorized = std::fs::read_to_string(dir.path().join("user_key.pub"))?;
        authorized.push_str(&std::fs::read_to_string(
            dir.path().join("user_key_enc.pub"),
        )?);
        std::fs::write(dir.path().join("authorized_keys"), authorized)?;
        let mut s = SshServer {
            child: None,
            port: 0,
            listen,
            dir,
        };
        let mut last = None;
        for _ in 0..5 {
            s.port = free_port()?;
            match s.spawn() {
                Ok(()) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Connection("could not start sshd".into())))
    }

    /// The port sshd listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address sshd listens on.
    pub fn host(&self) -> String {
        self.listen.to_string()
    }

    /// The fixture's directory (keys, config, `sshd.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The user key without a passphrase.
    pub fn user_key(&self) -> PathBuf {
        self.dir.path().join("user_key")
    }

    /// The user key protected by [`KEY_PASSPHRASE`].
    pub fn user_key_encrypted(&self) -> PathBuf {
        self.dir.path().join("user_key_enc")
    }

    /// The host key's `SHA256:…` fingerprint, from `ssh-keygen -l`.
    pub fn fingerprint(&self) -> Result<String> {
        let out = run(Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.dir.path().join("host_key.pub")))?;
        out.split_whitespace()
            .nth(1)
            .map(str::to_string)
            .ok_or_else(|| Error::Io(std::io::Error::other(format!("ssh-keygen -l said {out:?}"))))
    }

    /// A known_hosts line for this server's host key.
    pub fn known_hosts_line(&self) -> Result<String> {
        let public = std::fs::read_to_string(self.dir.path().join("host_key.pub"))?;
        let mut parts = public.split_whitespace();
        let (alg, key) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        Ok(format!("[{}]:{} {alg} {key}\n", self.listen, self.port))
    }

    /// An [`SshConfig`] for [`TUNNEL_USER`] with password auth and this known_hosts file.
    pub fn config(&self, known_hosts: &Path) -> SshConfig {
        SshConfig {
            host: self.host(),
            port: self.port,
            user: TUNNEL_USER.into(),
            auth: SshAuth::Password(Secret::new(TUNNEL_PASSWORD)),
            known_hosts: known_hosts.to_path_buf(),
            accept_fingerprint: None,
            keepalive: Duration::from_secs(5),
            jump: None,
        }
    }

    /// sshd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// Kills sshd and every session process it forked (they start sessions of their own, so
    /// they are found by parent id), so every tunnel through it drops at once.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            for pid in descendants(c.id()) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills only the session processes (sshd keeps listening): the tunnel's session drops.
    pub fn kill_sessions(&self) {
        if let Some(c) = &self.child {
            for pid in descendants(c.id()) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }

    /// Starts sshd again on the same port with the same keys.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!("sshd restart retry: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn spawn(&mut self) -> Result<()> {
        let d = self.dir.path();
        let config = format!(
            "Port {port}\nListenAddress {listen}\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
             UsePAM no\nStrictModes no\nPasswordAuthentication yes\nPubkeyAuthentication yes\n\
             KbdInteractiveAuthentication no\nAuthorizedKeysFile {d}/authorized_keys\n\
             AllowTcpForwarding yes\nAllowStreamLocalForwarding yes\nPermitRootLogin no\n\
             AllowUsers {TUNNEL_USER}\nX11Forwarding no\nPrintMotd no\nLogLevel DEBUG1\n\
             MaxStartups 100\n",
            port = self.port,
            listen = self.listen,
            d = d.display()
        );
        std::fs::write(d.join("sshd_config"), config)?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("sshd.log"))?;
        let mut cmd = Command::new("/usr/sbin/sshd");
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                Error::Io(std::io::Error::new(
                    e.kind(),
                    format!("cannot run /usr/sbin/sshd: {e} (install openssh-server: scripts/dev setup)"),
                ))
            })?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(10))
    }

    /// Waits until the port answers with an SSH banner.
    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    self.child = None;
                    return Err(Error::Connection(format!(
                        "sshd exited ({status}): {}",
                        self.log()
                            .lines()
                            .rev()
                            .take(3)
                            .collect::<Vec<_>>()
                            .join(" | ")
                    )));
                }
            }
            if let Ok(s) = TcpStream::connect_timeout(
                &(self.listen, self.port).into(),
                Duration::from_millis(200),
            ) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                if BufReader::new(s.take(256)).read_line(&mut line).is_ok()
                    && line.starts_with("SSH-")
                {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                self.kill();
                return Err(Error::Connection(format!(
                    "sshd on port {} did not answer within {timeout:?}",
                    self.port
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every process below `root`, from /proc (children before their own children).
fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (pid, _) in parents.iter().filter(|(_, pp)| *pp == p) {
            out.push(*pid);
            frontier.push(*pid);
        }
    }
    out
}

impl Drop for SshServer {
    fn drop(&mut self) {
        self.kill();
    }
}
