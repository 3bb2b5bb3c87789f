//! Drives the real desktop window as a person's session does: a private Xvfb display, tauri-driver
//! (which starts `redscope-desktop` through Debian's WebKitWebDriver) and a W3C WebDriver session
//! over HTTP. `redscope bench desktop` and the desktop smoke test both go through it.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use redscope::error::{Error, Result};

/// Debian's WebKitGTK WebDriver (package `webkit2gtk-driver`).
pub const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";

/// The W3C name of an element reference in WebDriver replies.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

fn fail(msg: impl Into<String>) -> Error {
    Error::Io(std::io::Error::other(msg.into()))
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

/// tauri-driver on `PATH` or in cargo's bin folder (`cargo install tauri-driver`).
pub fn find_tauri_driver() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    find_in_path("tauri-driver").or_else(|| {
        home.map(|h| h.join("bin").join("tauri-driver"))
            .filter(|p| p.is_file())
    })
}

/// What is missing to drive the desktop here (Xvfb, tauri-driver, WebKitWebDriver), with the
/// command that installs it; `None` when everything is in place.
pub fn missing_tool() -> Option<String> {
    if find_in_path("Xvfb").is_none() {
        return Some("Xvfb is not installed (./scripts/dev setup, or apt-get install xvfb)".into());
    }
    if find_tauri_driver().is_none() {
        return Some(
            "tauri-driver is not installed (./scripts/dev setup, or cargo install tauri-driver --locked)"
                .into(),
        );
    }
    if !Path::new(WEBKIT_WEBDRIVER).is_file() {
        return Some(
            "WebKitWebDriver is not installed (./scripts/dev setup, or apt-get install webkit2gtk-driver)"
                .into(),
        );
    }
    None
}

/// An Xvfb server on a free display number, stopped when dropped.
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb (1280×800, 24 bit, no TCP) on the first free display from `:90` and waits for
    /// its socket.
    pub fn start() -> Result<Xvfb> {
        for n in 90..400 {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            if socket.exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .args([
                    &format!(":{n}"),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| fail(format!("Xvfb did not start ({e}): apt-get install xvfb")))?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if socket.exists() {
                    return Ok(Xvfb {
                        child,
                        display: format!(":{n}"),
                    });
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // display taken meanwhile: try the next one
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        Err(fail("could not start Xvfb on any display :90..:399"))
    }

    /// Its `DISPLAY` value, e.g. `:90`.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// tauri-driver on a free port (WebKitWebDriver on another), its whole process tree stopped when
/// dropped; its output (and the app's, which it inherits) is kept for error messages.
pub struct TauriDriver {
    child: Child,
    url: String,
    log: mpsc::Receiver<String>,
    http: reqwest::Client,
}

impl TauriDriver {
    /// Starts tauri-driver on `display`; `configure` adds to its environment, which
    /// WebKitWebDriver and the app inherit (e.g. `REDIS_*`, `REDSCOPE_LOG`).
    pub fn start(display: &str, configure: impl FnOnce(&mut Command)) -> Result<TauriDriver> {
        if let Some(missing) = missing_tool() {
            return Err(fail(missing));
        }
        let bin = find_tauri_driver().ok_or_else(|| fail("tauri-driver is not installed"))?;
        let (port, native) = (free_port()?, free_port()?);
        let mut cmd = Command::new(bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .args(["--native-driver", WEBKIT_WEBDRIVER])
        .env("DISPLAY", display)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        configure(&mut cmd);
        let mut child = cmd.spawn()?;
        let (tx, log) = mpsc::channel();
        let outs: Vec<Box<dyn std::io::Read + Send>> = vec![
            Box::new(child.stdout.take().ok_or_else(|| fail("no stdout"))?),
            Box::new(child.stderr.take().ok_or_else(|| fail("no stderr"))?),
        ];
        for out in outs {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(|l| l.ok()) {
                    let _ = tx.send(line);
                }
            });
        }
        Ok(TauriDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            http: reqwest::Client::new(),
        })
    }

    /// tauri-driver's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What tauri-driver, WebKitWebDriver and the app printed since the last call.
    pub fn output(&self) -> String {
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }

    /// Opens a session: tauri-driver starts `app` with `args` and the session drives its window.
    /// Retries while tauri-driver is not listening yet, up to `timeout`.
    pub async fn session(&self, app: &Path, args: &[&str], timeout: Duration) -> Result<Session> {
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": {
            "application": app, "args": args
        }}}});
        let deadline = Instant::now() + timeout;
        loop {
            match call(
                &self.http,
                reqwest::Method::POST,
                &format!("{}/session", self.url),
                caps.clone(),
            )
            .await
            {
                Ok(v) => {
                    let id = v["sessionId"]
                        .as_str()
                        .ok_or_else(|| fail(format!("new session: no sessionId in {v}")))?;
                    return Ok(Session {
                        http: self.http.clone(),
                        base: format!("{}/session/{id}", self.url),
                    });
                }
                Err(e) if Instant::now() > deadline => {
                    return Err(fail(format!(
                        "no WebDriver session within {timeout:?}: {e}\n{}",
                        self.output()
                    )))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The process of `app` below tauri-driver (started by WebKitWebDriver), once it runs.
    pub fn app_process(&self, app: &Path) -> Option<u32> {
        process_tree(self.pid())
            .into_iter()
            .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok().as_deref() == Some(app))
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // WebKitWebDriver (and an app left open by a failed run) outlive tauri-driver otherwise.
        for pid in process_tree(self.child.id()).into_iter().skip(1).rev() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver call; the reply's `value`, or the driver's error (`{error, message}`) as an `Err`.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Value,
) -> std::result::Result<Value, WebDriverError> {
    let mut req = http.request(method.clone(), url);
    if method != reqwest::Method::GET && method != reqwest::Method::DELETE {
        req = req.json(&body);
    }
    let reply: Value = req
        .send()
        .await
        .map_err(|e| WebDriverError::transport(url, e))?
        .json()
        .await
        .map_err(|e| WebDriverError::transport(url, e))?;
    match reply.get("value") {
        Some(v) if v.get("error").is_some() => Err(WebDriverError {
            code: v["error"].as_str().unwrap_or_default().to_string(),
            message: format!("{url}: {}", v["message"].as_str().unwrap_or_default()),
        }),
        Some(v) => Ok(v.clone()),
        None => Err(WebDriverError {
            code: String::new(),
            message: format!("{url}: no value in {reply}"),
        }),
    }
}

/// A WebDriver error reply (`code` is the W3C error code, e.g. `no such element`) or a transport
/// failure (empty code).
#[derive(Debug)]
pub struct WebDriverError {
    /// The W3C error code; empty when the driver did not answer.
    pub code: String,
    /// The driver's message, with the URL called.
    pub message: String,
}

impl WebDriverError {
    fn transport(url: &str, e: reqwest::Error) -> Self {
        WebDriverError {
            code: String::new(),
            message: format!("{url}: {e}"),
        }
    }
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} ({})", self.message, self.code)
        }
    }
}

impl From<WebDriverError> for Error {
    fn from(e: WebDriverError) -> Self {
        fail(format!("WebDriver: {e}"))
    }
}

/// A WebDriver session on the app's window; [`Session::close`] ends it (and the app).
pub struct Session {
    http: reqwest::Client,
    base: String,
}

impl Session {
    async fn post(&self, path: &str, body: Value) -> std::result::Result<Value, WebDriverError> {
        call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}{path}", self.base),
            body,
        )
        .await
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page and returns what it
    /// returns.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value> {
        Ok(self
            .post("/execute/sync", json!({"script": script, "args": args}))
            .await?)
    }

    /// The first element matching the CSS selector, or `None`.
    pub async fn find(&self, css: &str) -> Result<Option<String>> {
        match self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await
        {
            Ok(v) => match v[ELEMENT_KEY].as_str() {
                Some(id) => Ok(Some(id.to_string())),
                None => Err(fail(format!(
                    "WebDriver: {css}: not an element reference: {v}"
                ))),
            },
            Err(e) if e.code == "no such element" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits (polling every 20 ms, up to `timeout`) for an element matching `css`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(el) = self.find(css).await? {
                return Ok(el);
            }
            if Instant::now() > deadline {
                let url = self.execute("return location.href", json!([])).await;
                return Err(fail(format!(
                    "no element matches {css} after {timeout:?} (page: {})",
                    url.map(|u| u.to_string()).unwrap_or_else(|e| e.to_string())
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Clicks an element as a pointer would (WebKitWebDriver synthesises the mouse events).
    pub async fn click(&self, element: &str) -> std::result::Result<(), WebDriverError> {
        self.post(&format!("/element/{element}/click"), json!({}))
            .await
            .map(drop)
    }

    /// Finds `css` and clicks it, finding it again when the page re-rendered it in between.
    pub async fn click_css(&self, css: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let el = self.wait_for(css, timeout).await?;
            match self.click(&el).await {
                Ok(()) => return Ok(()),
                Err(e) if e.code == "stale element reference" && Instant::now() < deadline => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Types `text` into an element as key presses.
    pub async fn send_keys(&self, element: &str, text: &str) -> Result<()> {
        self.post(&format!("/element/{element}/value"), json!({"text": text}))
            .await?;
        Ok(())
    }

    /// The handles of the app's open windows.
    pub async fn window_handles(&self) -> Result<Vec<String>> {
        let url = format!("{}/window/handles", self.base);
        let v = call(&self.http, reqwest::Method::GET, &url, Value::Null).await?;
        serde_json::from_value(v).map_err(|e| fail(format!("WebDriver: {url}: {e}")))
    }

    /// The handle of the window later commands act on.
    pub async fn window_handle(&self) -> Result<String> {
        let url = format!("{}/window", self.base);
        let v = call(&self.http, reqwest::Method::GET, &url, Value::Null).await?;
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| fail(format!("WebDriver: {url}: not a handle: {v}")))
    }

    /// Makes the window `handle` the one later commands act on.
    pub async fn switch_to_window(&self, handle: &str) -> Result<()> {
        self.post("/window", json!({"handle": handle})).await?;
        Ok(())
    }

    /// Closes the current window as its close button would; the app's other windows stay.
    pub async fn close_window(&self) -> Result<()> {
        let url = format!("{}/window", self.base);
        call(&self.http, reqwest::Method::DELETE, &url, Value::Null).await?;
        Ok(())
    }

    /// Ends the session: the driver closes the window and the app exits.
    pub async fn close(self) -> Result<()> {
        call(&self.http, reqwest::Method::DELETE, &self.base, Value::Null).await?;
        Ok(())
    }
}

/// `pid` and every process below it (Linux, from `/proc/*/stat`), parents first.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            // `pid (comm) state ppid ...`; comm may hold spaces or parentheses.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    tree
}
