//! Secrets stay off the command line and out of what `redscope serve` prints: the access token
//! from `--token-file` (or `REDSCOPE_TOKEN`), the Redis password from `REDIS_PASSWORD` even with
//! a `--redis` URL; a secret given on the command line is warned about; a malformed URL's
//! `?password=` / `?sentinel_password=` never reaches stderr.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redscope_testing::RedisServer;

const TOKEN: &str = "file-token-0123456789abcdef";
const PASSWORD: &str = "Env-Pw-8gQ2-never-in-argv";

/// A `redscope serve` child, killed when dropped.
struct Child_(Child);

impl Drop for Child_ {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `redscope serve --bind 127.0.0.1:0` with `args`, no token or Redis variables inherited, its
/// settings under `dir`, stderr into `dir/stderr`.
fn serve(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Child_ {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redscope"));
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("REDSCOPE_TOKEN")
        .env_remove("REDIS_URL")
        .env_remove("REDIS_PASSWORD")
        .env("REDSCOPE_LOG", "info")
        .env("REDSCOPE_CONFIG_DIR", dir.join("cfg"))
        .env("REDSCOPE_SECRET_STORE", "file")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("stderr")).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Child_(cmd.spawn().unwrap())
}

/// The first stdout line (the "serving on" line) and the address in it.
fn first_line(child: &mut Child_) -> (String, String) {
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (line, addr)
}

fn stderr_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("stderr")).unwrap_or_default()
}

#[tokio::test]
async fn the_token_file_and_redis_password_keep_secrets_off_the_command_line() {
    let redis = RedisServer::builder().password(PASSWORD).start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let url = format!("redis://127.0.0.1:{}/0", redis.port());
    let mut child = serve(
        dir.path(),
        &[
            "--redis",
            &url,
            "--token-file",
            token_file.to_str().unwrap(),
        ],
        &[("REDIS_PASSWORD", PASSWORD)],
    );
    let (line, addr) = first_line(&mut child);
    assert!(!line.contains(TOKEN), "the chosen token printed: {line}");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.0.id())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline);
    assert!(
        !cmdline.contains(TOKEN) && !cmdline.contains(PASSWORD),
        "{cmdline}"
    );

    let http = reqwest::Client::new();
    let health = format!("http://{addr}/api/health");
    let anonymous = http.get(&health).send().await.unwrap();
    assert_eq!(
        anonymous.status(),
        401,
        "the token from the file is required"
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = http.get(&health).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        if body["state"] == "connected" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "REDIS_PASSWORD was not used with the --redis URL: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(child);
    let err = stderr_of(dir.path());
    assert!(!err.contains(TOKEN) && !err.contains(PASSWORD), "{err}");
    assert!(
        !err.contains("visible to every user"),
        "no secret was on the command line, yet: {err}"
    );
}

#[tokio::test]
async fn secrets_on_the_command_line_are_warned_about_and_not_printed() {
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}/0", redis.port());
    let mut child = serve(dir.path(), &["--redis", &url, "--token", TOKEN], &[]);
    let (line, _) = first_line(&mut child);
    assert!(!line.contains(TOKEN), "{line}");
    drop(child);
    let err = stderr_of(dir.path());
    assert!(
        err.contains("--token on the command line is visible to every user"),
        "{err}"
    );
    assert!(err.contains("use --token-file or REDSCOPE_TOKEN"), "{err}");
    assert!(err.contains("set REDIS_PASSWORD instead"), "{err}");
    assert!(!err.contains(TOKEN) && !err.contains(PASSWORD), "{err}");
}

#[test]
fn a_malformed_url_never_echoes_its_secrets() {
    for url in [
        "redis://127.0.0.1:99999/0?password=Leak-Query-1",
        "redis://127.0.0.1:6/abc?password=Leak-Query-2",
        "redis+sentinel://127.0.0.1:x/mymaster?sentinel_password=Leak-Query-3",
        "redis+sentinel://127.0.0.1:26379/mymaster/zz?sentinel_password=Leak-Query-4&password=Leak-Query-5",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_redscope"))
            .args(["serve", "--bind", "127.0.0.1:0", "--redis", url])
            .env_remove("REDSCOPE_TOKEN")
            .env("REDSCOPE_LOG", "trace")
            .env("REDSCOPE_CONFIG_DIR", dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{url} was accepted: {stdout}");
        assert!(
            stderr.contains("invalid configuration"),
            "{url}: no clear error: {stderr}"
        );
        assert!(
            !stderr.contains("Leak-Query") && !stdout.contains("Leak-Query"),
            "{url}: {stderr}"
        );
    }
}
