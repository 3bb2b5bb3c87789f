//! The MONITOR view: a time-boxed `MONITOR` session on every master, showing the commands
//! clients run as they run. MONITOR copies every command of every client to us, which costs
//! the server, so a session starts only when confirmed, ends by itself after its time box (at
//! most [`MAX_SECONDS`]), and keeps the newest [`MAX_LINES`] lines in a ring (each line's
//! arguments cut at [`ARGS_KEEP`] bytes: about 12 MiB at most). Lines reach subscribers as
//! `command_monitor` events at most 10 times a second; the buffer is read back filtered by
//! command, key substring or client address. Read-only mode refuses it, as the console's
//! allowlist does (MONITOR is an `@admin`, `@dangerous` command); so does an ACL without it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::bytes::escape;
use super::events::Publisher;
use super::monitor_feed::{self, Feed};
use super::registry::now_ms;
use super::session::Session;
use super::sync::lock;
use super::task::Task;
use redscope::error::{Error, Result};

/// Lines the ring keeps (the newest).
pub const MAX_LINES: usize = 10_000;
/// Bytes of a line's arguments kept (the full length is reported).
pub const ARGS_KEEP: usize = 1024;
/// Longest session, in seconds.
pub const MAX_SECONDS: u64 = 300;
/// Session length when none is asked for, in seconds.
pub const DEFAULT_SECONDS: u64 = 30;
/// Most lines one `command_monitor` reply carries.
pub const MAX_REPLY_LINES: usize = 2_000;
/// Lines a reply carries when no limit is asked for.
pub const DEFAULT_REPLY_LINES: usize = 500;
/// At most this many lines per event (the rest are in the buffer and counted as not shown).
pub const BATCH_MAX: usize = 200;
/// Events go out at most this often.
pub const BATCH_EVERY: Duration = Duration::from_millis(100);

/// Request of `command_monitor_start`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct MonitorStart {
    /// How long to watch, 1 to 300 seconds (default 30); the session stops by itself then.
    pub seconds: Option<u64>,
    /// The user accepted the cost of MONITOR to the server.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// Which buffered lines `command_monitor` returns; every given part must match.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct MonitorFilter {
    /// Command names, any case, separated by spaces or commas (`get set`): one must be the line's.
    pub command: Option<String>,
    /// Text the line's key contains (lines of commands without a key do not match).
    pub key: Option<String>,
    /// Text the client's address contains (`127.0.0.1:5`, `unix`, `lua`).
    pub client: Option<String>,
    /// Newest matching lines to return (default 500, at most 2,000).
    pub limit: Option<usize>,
}

/// A filter part's text, when one is given (blank counts as none).
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl MonitorFilter {
    /// True when `line` passes every part of the filter.
    pub fn matches(&self, line: &MonitorLine) -> bool {
        if let Some(names) = given(&self.command) {
            let mut wanted = names
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|n| !n.is_empty());
            if !wanted.any(|n| n.eq_ignore_ascii_case(&line.command)) {
                return false;
            }
        }
        if let Some(k) = given(&self.key) {
            if !line.key.as_deref().is_some_and(|key| key.contains(k)) {
                return false;
            }
        }
        if let Some(c) = given(&self.client) {
            if !line.client.contains(c) {
                return false;
            }
        }
        true
    }
}

/// One command as MONITOR showed it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MonitorLine {
    /// Its place in the session (1 for the first line seen).
    pub seq: u64,
    /// The server's clock when it ran (seconds since the Unix epoch, microsecond precision).
    pub at_s: f64,
    /// The master that ran it (`primary` for a single server).
    pub node: String,
    /// The database it ran in.
    pub db: i64,
    /// The client's address (`lua` for a script's own calls).
    pub client: String,
    /// The command name, upper case.
    pub command: String,
    /// Its first key (binary bytes escaped), for commands that take one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub key: Option<String>,
    /// The arguments after the name, each quoted as MONITOR shows them, cut at 1,024 bytes.
    pub args: String,
    /// True when `args` was cut.
    pub cut: bool,
}

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum MonitorState {
    /// No session was started yet.
    Idle,
    /// Watching.
    Running,
    /// Stopped by the user.
    Stopped,
    /// Its time box ran out.
    Finished,
    /// A MONITOR connection closed (the server went away).
    Failed,
}

/// A session's state and counts.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MonitorStatus {
    pub state: MonitorState,
    /// The time box, in seconds.
    pub seconds: u64,
    /// When it started and when it ends (or ended), ms since the Unix epoch; 0 before a start.
    pub started_ms: i64,
    pub ends_ms: i64,
    /// Lines seen since the start (every one, kept or not).
    pub seen: u64,
    /// Lines in the buffer now, and the most it keeps.
    pub buffered: usize,
    pub capacity: usize,
    /// Lines seen but never sent in an event (too many at once); still in `seen`.
    pub not_sent: u64,
    /// The masters watched.
    pub nodes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
}

/// Reply of `command_monitor_start`, `command_monitor` and `command_monitor_stop`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MonitorView {
    pub status: MonitorStatus,
    /// Buffered lines matching the filter: how many in all, and the newest of them, oldest first.
    pub matched: usize,
    pub lines: Vec<MonitorLine>,
}

/// `command_monitor`: the lines seen since the previous event, and the session's state.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[schemars(rename = "CommandMonitorEvent")]
#[ts(rename = "CommandMonitorEvent")]
pub struct MonitorBatch {
    pub status: MonitorStatus,
    /// New lines, oldest first (at most 200).
    pub lines: Vec<MonitorLine>,
}

/// The ring and counts of the current (or last) session.
struct Buffer {
    status: MonitorStatus,
    lines: VecDeque<MonitorLine>,
    /// Lines pushed since the last event.
    fresh: u64,
}

impl Buffer {
    fn idle() -> Buffer {
        Buffer {
            status: MonitorStatus {
                state: MonitorState::Idle,
                seconds: 0,
                started_ms: 0,
                ends_ms: 0,
                seen: 0,
                buffered: 0,
                capacity: MAX_LINES,
                not_sent: 0,
                nodes: Vec::new(),
                error: None,
            },
            lines: VecDeque::new(),
            fresh: 0,
        }
    }

    fn push(&mut self, mut line: MonitorLine) {
        self.status.seen += 1;
        line.seq = self.status.seen;
        if self.lines.len() == MAX_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.status.buffered = self.lines.len();
        self.fresh += 1;
    }

    /// The lines since the last batch (at most [`BATCH_MAX`]), counting the rest as not sent.
    fn batch(&mut self) -> MonitorBatch {
        let shown = (self.fresh as usize).min(BATCH_MAX).min(self.lines.len());
        self.status.not_sent += self.fresh - shown as u64;
        self.fresh = 0;
        MonitorBatch {
            status: self.status.clone(),
            lines: self
                .lines
                .iter()
                .skip(self.lines.len() - shown)
                .cloned()
                .collect(),
        }
    }

    fn view(&self, filter: &MonitorFilter) -> MonitorView {
        let limit = filter
            .limit
            .unwrap_or(DEFAULT_REPLY_LINES)
            .clamp(1, MAX_REPLY_LINES);
        let matching: Vec<&MonitorLine> = self.lines.iter().filter(|l| filter.matches(l)).collect();
        let from = matching.len().saturating_sub(limit);
        MonitorView {
            status: self.status.clone(),
            matched: matching.len(),
            lines: matching[from..].iter().map(|l| (*l).clone()).collect(),
        }
    }
}

/// The MONITOR view of one session: at most one MONITOR session runs at a time.
pub struct CommandMonitor {
    session: Arc<Session>,
    events: Publisher<MonitorBatch>,
    buffer: Arc<Mutex<Buffer>>,
    task: tokio::sync::Mutex<Option<Task>>,
    closed: std::sync::atomic::AtomicBool,
}

impl CommandMonitor {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<MonitorBatch>) -> Self {
        CommandMonitor {
            session,
            events,
            buffer: Arc::new(Mutex::new(Buffer::idle())),
            task: tokio::sync::Mutex::new(None),
            closed: Default::default(),
        }
    }

    /// Starts a confirmed session of `seconds` on every master (replacing a running one; the
    /// buffer starts empty). The MONITOR connections are attached before this answers, so every
    /// command from then on is seen; a refusal (read-only mode, ACL) is this call's error.
    pub async fn start(&self, req: MonitorStart) -> Result<MonitorView> {
        let seconds = req.seconds.unwrap_or(DEFAULT_SECONDS);
        if seconds == 0 || seconds > MAX_SECONDS {
            return Err(Error::InvalidInput(format!(
                "seconds must be 1 to {MAX_SECONDS}"
            )));
        }
        if self.session.read_only() {
            return Err(Error::ReadOnly(
                "MONITOR is an administrative command (@admin, @dangerous) that copies every client's commands, passwords included: read-only mode refuses it".into(),
            ));
        }
        if !req.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "MONITOR copies every command of every client to Redscope for up to {seconds} s, which slows a busy server (often by half); confirm to start it"
            )));
        }
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::Connection("the service is shutting down".into()));
        }
        self.session.ensure_open("a MONITOR session")?;
        let mut slot = self.task.lock().await;
        if let Some(old) = slot.take() {
            old.stop().await;
        }
        let masters = self.session.masters().await?;
        let first = masters
            .first()
            .ok_or_else(|| Error::server("no master to monitor"))?;
        let positions = monitor_feed::key_positions(first).await?;
        let feed = Feed::open(&self.session.active_config(), &masters).await?;
        let nodes: Vec<String> = masters.iter().map(|m| m.addr.clone()).collect();
        let started = now_ms();
        {
            let mut b = lock(&self.buffer);
            *b = Buffer::idle();
            b.status.state = MonitorState::Running;
            b.status.seconds = seconds;
            b.status.started_ms = started;
            b.status.ends_ms = started + seconds as i64 * 1000;
            b.status.nodes = nodes.clone();
        }
        let (buffer, events) = (self.buffer.clone(), self.events.clone());
        let length = Duration::from_secs(seconds);
        *slot = Some(Task::spawn(move |cancel| {
            watch(feed, nodes, positions, length, buffer, events, cancel)
        }));
        drop(slot);
        tracing::info!(seconds, "MONITOR session started");
        Ok(lock(&self.buffer).view(&MonitorFilter::default()))
    }

    /// The session's state and the newest buffered lines matching `filter`.
    pub fn view(&self, filter: &MonitorFilter) -> MonitorView {
        lock(&self.buffer).view(filter)
    }

    /// Stops the running session (a no-op when none runs); its lines stay readable.
    pub async fn stop(&self) -> MonitorView {
        let task = self.task.lock().await.take();
        if let Some(t) = task {
            t.stop().await;
        }
        self.view(&MonitorFilter::default())
    }

    /// Stops the session for good (service shutdown).
    pub(crate) async fn shutdown(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        self.stop().await;
    }
}

/// Reads the feed into the buffer until the time box ends, the user stops, or the feed closes;
/// publishes a batch every [`BATCH_EVERY`] with new lines, and a last one with the end state.
async fn watch(
    mut feed: Feed,
    nodes: Vec<String>,
    positions: HashMap<String, usize>,
    length: Duration,
    buffer: Arc<Mutex<Buffer>>,
    events: Publisher<MonitorBatch>,
    cancel: CancellationToken,
) {
    let deadline = tokio::time::Instant::now() + length;
    let mut tick = tokio::time::interval(BATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (state, error) = loop {
        tokio::select! {
            _ = cancel.cancelled() => break (MonitorState::Stopped, None),
            _ = tokio::time::sleep_until(deadline) => break (MonitorState::Finished, None),
            _ = tick.tick() => {
                let batch = {
                    let mut b = lock(&buffer);
                    (b.fresh > 0).then(|| b.batch())
                };
                if let Some(batch) = batch {
                    events.publish(batch);
                }
            }
            line = feed.next() => match line {
                Some((node, text)) => {
                    if let Some(l) = to_line(&text, &nodes[node], &positions) {
                        lock(&buffer).push(l);
                    }
                }
                None => break (
                    MonitorState::Failed,
                    Some("a MONITOR connection closed (the server went away or dropped it)".to_string()),
                ),
            },
        }
    };
    drop(feed);
    let last = {
        let mut b = lock(&buffer);
        b.status.state = state;
        b.status.ends_ms = b.status.ends_ms.min(now_ms());
        b.status.error = error;
        b.batch()
    };
    tracing::info!(state = ?state, seen = last.status.seen, "MONITOR session ended");
    events.publish(last);
}

/// A MONITOR line as the view shows it; `None` for text that is not a command line.
fn to_line(text: &str, node: &str, positions: &HashMap<String, usize>) -> Option<MonitorLine> {
    let parsed = monitor_feed::parse(text)?;
    let name = String::from_utf8_lossy(&parsed.args[0]).to_ascii_lowercase();
    let at = positions.get(&name).copied().unwrap_or(0);
    let key = parsed
        .args
        .get(at)
        .filter(|_| at > 0)
        .map(|k| escape_text(k));
    // The arguments as MONITOR quoted them, after the command name.
    let quoted = text
        .find("] ")
        .map(|i| &text[i + 2..])
        .unwrap_or("")
        .trim_start();
    let rest = quoted
        .strip_prefix('"')
        .and_then(|q| q.find("\" ").map(|i| &q[i + 2..]))
        .unwrap_or("");
    let cut = rest.len() > ARGS_KEEP;
    let mut end = rest.len().min(ARGS_KEEP);
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    Some(MonitorLine {
        seq: 0,
        at_s: parsed.at_s,
        node: node.to_string(),
        db: parsed.db,
        client: parsed.client,
        command: name.to_ascii_uppercase(),
        key,
        args: rest[..end].to_string(),
        cut,
    })
}

/// Text as is when it is UTF-8, else escaped.
fn escape_text(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => escape(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions() -> HashMap<String, usize> {
        HashMap::from([("set".to_string(), 1), ("ping".to_string(), 0)])
    }

    #[test]
    fn a_line_shows_command_key_client_and_cut_arguments() {
        let l = to_line(
            r#"1700000000.25 [0 127.0.0.1:5000] "set" "quote:BTC" "42""#,
            "primary",
            &positions(),
        )
        .unwrap();
        assert_eq!(
            (l.command.as_str(), l.key.as_deref(), l.client.as_str()),
            ("SET", Some("quote:BTC"), "127.0.0.1:5000")
        );
        assert_eq!((l.args.as_str(), l.cut), (r#""quote:BTC" "42""#, false));
        let ping = to_line(r#"1.0 [0 lua] "PING""#, "primary", &positions()).unwrap();
        assert_eq!((ping.key, ping.args.as_str()), (None, ""));
        let big = format!(r#"1.0 [0 c] "SET" "k" "{}""#, "x".repeat(5000));
        let l = to_line(&big, "primary", &positions()).unwrap();
        assert!(l.cut && l.args.len() == ARGS_KEEP);
    }

    #[test]
    fn the_ring_keeps_the_newest_lines_and_filters_them() {
        let mut b = Buffer::idle();
        for i in 0..(MAX_LINES + 7) {
            let text = format!(r#"1.0 [0 10.0.0.{}:1] "SET" "k:{i}" "v""#, i % 3);
            b.push(to_line(&text, "primary", &positions()).unwrap());
        }
        assert_eq!(
            (b.lines.len(), b.status.seen),
            (MAX_LINES, MAX_LINES as u64 + 7)
        );
        assert_eq!(b.lines.front().unwrap().seq, 8);
        let batch = b.batch();
        assert_eq!(batch.lines.len(), BATCH_MAX);
        assert_eq!(batch.status.not_sent, (MAX_LINES + 7 - BATCH_MAX) as u64);
        assert_eq!(batch.lines.last().unwrap().seq, MAX_LINES as u64 + 7);
        let f = MonitorFilter {
            command: Some("get, set".into()),
            key: Some("k:100".into()),
            client: Some("10.0.0.".into()),
            limit: Some(3),
        };
        let v = b.view(&f);
        // k:100, k:1000 to k:1009 and k:10000 to k:10006.
        assert_eq!(v.matched, 18);
        assert_eq!(v.lines.len(), 3);
        assert_eq!(v.lines[2].key.as_deref(), Some("k:10006"));
        let none = MonitorFilter {
            command: Some("GET".into()),
            ..Default::default()
        };
        assert_eq!(b.view(&none).matched, 0);
    }
}
