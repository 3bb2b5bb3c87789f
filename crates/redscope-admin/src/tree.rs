//! The key browser's namespace tree: one level under a prefix with key counts, aggregated in Rust
//! by a background SCAN of every master. Scans are shared by callers asking for the same
//! (prefix, separator, match, type), cached briefly once complete, and only hold the counts of
//! the requested level, never the keys. A call waits a moment, then returns what is known so far
//! with `complete: false`; `tree_progress` events follow the scan.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::bytes::{opt_arg, Bytes};
use super::events::Publisher;
use super::session::Session;
use super::sync::lock;
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::keyspace;

/// Most distinct children one level keeps; keys under further children are counted in `omitted`.
pub const MAX_CHILDREN: usize = 10_000;
/// How long a finished scan answers repeat calls.
const CACHE_FOR: Duration = Duration::from_secs(5);
/// A running scan nobody asked about for this long is cancelled.
const ABANDON_AFTER: Duration = Duration::from_secs(60);
/// Most scans (running or cached) kept at once.
const MAX_SCANS: usize = 32;
/// How long a call waits for a scan to finish before answering with a partial level.
const FIRST_ANSWER: Duration = Duration::from_millis(50);
/// `SCAN ... COUNT` of tree scans.
const SCAN_COUNT: usize = 2000;

/// Request of `tree`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct TreeQuery {
    /// The level's prefix, separator included (`"market:"`); empty for the top level.
    pub prefix: Option<String>,
    /// The prefix as base64, for binary prefixes.
    pub prefix_b64: Option<String>,
    /// Namespace separator (default `:`); several separated by spaces (`": /"`) split keys
    /// at whichever comes first.
    pub separator: Option<String>,
    /// Only keys matching this glob (default: everything under the prefix).
    #[serde(rename = "match")]
    pub pattern: Option<String>,
    /// Only keys of this type (`string`, `hash`, ...).
    #[serde(rename = "type")]
    pub key_type: Option<String>,
}

/// One level of the namespace tree.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TreeLevel {
    /// The level's prefix (display text; `\xNN` escapes when binary).
    pub prefix: String,
    /// The level's prefix, base64.
    pub prefix_b64: String,
    /// The separator used.
    pub separator: String,
    /// False while the scan is still running; call again for more.
    pub complete: bool,
    /// Keys the scan has returned so far (before the prefix filter).
    pub scanned: u64,
    /// Keys found under the prefix so far.
    pub total_keys: u64,
    /// The next level, sorted by name.
    pub children: Vec<TreeChild>,
    /// Keys under children not listed because the level has more than [`MAX_CHILDREN`] names.
    pub omitted: u64,
}

/// A child of a tree level: a namespace (with `count` keys below) or a key.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TreeChild {
    /// The name between the prefix and the next separator (display text).
    pub name: String,
    /// The child's own prefix (for a namespace) or the full key (for a key), display text.
    pub prefix: String,
    /// The same prefix, base64: pass it back as `prefix_b64` to open a binary namespace.
    pub prefix_b64: String,
    /// Number of keys below (1 for a key).
    pub count: u64,
    /// Set when the child is itself a key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub key: Option<Bytes>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct ScanKey {
    prefix: Vec<u8>,
    /// As given (several separated by spaces).
    separator: Vec<u8>,
    /// The separators, longest first.
    separators: Vec<Vec<u8>>,
    pattern: Option<String>,
    key_type: Option<String>,
}

#[derive(Default)]
struct Agg {
    /// name -> (keys below, is_key). A namespace's name ends with the separator that ended it
    /// and a key's name holds no separator, so the two never collide. Looked up by slice: a
    /// key already counted costs no allocation (at 10M keys this lookup is the hot loop).
    children: BTreeMap<Vec<u8>, (u64, bool)>,
    omitted: u64,
    scanned: u64,
    total: u64,
    complete: bool,
    error: Option<Error>,
}

struct Scan {
    key: ScanKey,
    agg: Mutex<Agg>,
    done: watch::Sender<bool>,
    cancel: CancellationToken,
    finished: Mutex<Option<Instant>>,
    last_access: Mutex<Instant>,
    last_event: Mutex<Instant>,
}

/// `tree_progress`: more of a namespace tree level has been scanned.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[schemars(rename = "TreeProgressEvent")]
#[ts(rename = "TreeProgressEvent")]
pub struct Progress {
    /// The level's prefix.
    pub prefix: String,
    /// The separator the tree splits keys on.
    pub separator: String,
    /// Keys seen so far under this prefix.
    pub total_keys: u64,
    /// Keys scanned so far.
    pub scanned: u64,
    /// Whether the scan is finished.
    pub complete: bool,
}

/// The namespace tree of one session: its shared scans, running or briefly cached.
pub struct Trees {
    session: Arc<Session>,
    scans: Mutex<HashMap<ScanKey, Arc<Scan>>>,
    events: Publisher<Progress>,
}

impl Drop for Trees {
    fn drop(&mut self) {
        for s in lock(&self.scans).values() {
            s.cancel.cancel();
        }
    }
}

impl Trees {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<Progress>) -> Self {
        Trees {
            session,
            scans: Mutex::new(HashMap::new()),
            events,
        }
    }

    /// One level of the namespace tree under `prefix`, with key counts (see the module doc).
    pub async fn level(&self, q: TreeQuery) -> Result<TreeLevel> {
        let prefix =
            opt_arg(q.prefix.as_deref(), q.prefix_b64.as_deref(), "prefix")?.unwrap_or_default();
        let separator = q.separator.unwrap_or_else(|| ":".into());
        let mut separators: Vec<Vec<u8>> = separator
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.as_bytes().to_vec())
            .collect();
        if separators.is_empty() || separators.len() > 8 || separators.iter().any(|s| s.len() > 16)
        {
            return Err(Error::InvalidInput(
                "the separator must be 1 to 16 characters (up to 8 of them, separated by spaces)"
                    .into(),
            ));
        }
        separators.sort_by_key(|s| std::cmp::Reverse(s.len()));
        if let Some(t) = &q.key_type {
            super::browser::check_type_name(t)?;
        }
        let key = ScanKey {
            prefix,
            separator: separator.into_bytes(),
            separators,
            pattern: q.pattern.filter(|p| !p.is_empty()),
            key_type: q.key_type.filter(|t| !t.is_empty()),
        };
        let conn = self.session.conn().await?;
        let scan = self.get_or_start(key, conn);
        let mut done = scan.done.subscribe();
        let _ = tokio::time::timeout(FIRST_ANSWER, done.wait_for(|d| *d)).await;
        let level = scan.snapshot();
        let failed = lock(&scan.agg).error.clone();
        if let Some(e) = failed {
            self.remove(&scan.key);
            return Err(e);
        }
        Ok(level)
    }

    fn get_or_start(&self, key: ScanKey, conn: Conn) -> Arc<Scan> {
        let mut scans = lock(&self.scans);
        let now = Instant::now();
        scans.retain(|_, s| {
            let finished = *lock(&s.finished);
            let stale = finished.is_some_and(|f| now.duration_since(f) > CACHE_FOR);
            let cancelled = s.cancel.is_cancelled();
            !(stale || cancelled)
        });
        if let Some(s) = scans.get(&key) {
            *lock(&s.last_access) = now;
            return s.clone();
        }
        while scans.len() >= MAX_SCANS {
            let oldest = scans
                .iter()
                .min_by_key(|(_, s)| *lock(&s.last_access))
                .map(|(k, _)| k.clone());
            match oldest.and_then(|k| scans.remove(&k)) {
                Some(s) => s.cancel.cancel(),
                None => break,
            }
        }
        let (done, _) = watch::channel(false);
        let scan = Arc::new(Scan {
            key: key.clone(),
            agg: Mutex::new(Agg::default()),
            done,
            cancel: CancellationToken::new(),
            finished: Mutex::new(None),
            last_access: Mutex::new(now),
            last_event: Mutex::new(now),
        });
        scans.insert(key, scan.clone());
        tokio::spawn(run(scan.clone(), conn, self.events.clone()));
        scan
    }

    /// Forgets every scan (after a write: counts must not be served stale from the cache).
    pub(crate) fn clear(&self) {
        let mut scans = lock(&self.scans);
        for s in scans.values() {
            s.cancel.cancel();
        }
        scans.clear();
    }

    fn remove(&self, key: &ScanKey) {
        lock(&self.scans).remove(key);
    }
}

/// The background scan: every master at once, folding each page into the level's counts.
async fn run(scan: Arc<Scan>, conn: Conn, events: Publisher<Progress>) {
    let result = async {
        let masters = conn.masters().await?;
        let walks = masters.into_iter().map(|m| walk(&scan, m.conn, &events));
        for r in futures::future::join_all(walks).await {
            r?;
        }
        Ok::<_, Error>(())
    }
    .await;
    {
        let mut agg = lock(&scan.agg);
        match result {
            Ok(()) if !scan.cancel.is_cancelled() => agg.complete = true,
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(error = %e, "tree scan failed");
                agg.error = Some(e);
            }
        }
    }
    *lock(&scan.finished) = Some(Instant::now());
    emit_progress(&scan, &events);
    scan.done.send_replace(true);
}

async fn walk(
    scan: &Scan,
    mut node: redscope::conn::NodeLink,
    events: &Publisher<Progress>,
) -> Result<()> {
    let k = &scan.key;
    let pattern = match &k.pattern {
        Some(p) => p.clone(),
        None => prefix_pattern(&k.prefix),
    };
    let mut cursor = 0u64;
    // The previous page, folded while the next SCAN is in flight (the server never waits on us).
    let mut previous: Vec<Vec<u8>> = Vec::new();
    loop {
        if scan.cancel.is_cancelled() {
            return Ok(());
        }
        let idle = lock(&scan.last_access).elapsed();
        if idle > ABANDON_AFTER {
            tracing::debug!("tree scan abandoned: nobody asked for it in {idle:?}");
            scan.cancel.cancel();
            return Ok(());
        }
        let fold_previous = async {
            fold_page(scan, &previous);
        };
        let (page, ()) = tokio::join!(
            keyspace::scan_page(
                &mut node,
                cursor,
                &pattern,
                SCAN_COUNT,
                k.key_type.as_deref(),
            ),
            fold_previous
        );
        let (next, keys) = page?;
        previous = keys;
        if next == 0 {
            fold_page(scan, &previous);
        }
        let due = {
            let mut last = lock(&scan.last_event);
            let due = last.elapsed() >= Duration::from_millis(250);
            if due {
                *last = Instant::now();
            }
            due
        };
        if due {
            emit_progress(scan, events);
        }
        cursor = next;
        if cursor == 0 {
            return Ok(());
        }
    }
}

/// Counts one SCAN page into the level.
fn fold_page(scan: &Scan, keys: &[Vec<u8>]) {
    if keys.is_empty() {
        return;
    }
    let k = &scan.key;
    let mut agg = lock(&scan.agg);
    agg.scanned += keys.len() as u64;
    for key in keys {
        fold(&mut agg, key, &k.prefix, &k.separators);
    }
}

/// Counts `key` into the level under `prefix`, split at the first of `seps` (longest first).
fn fold(agg: &mut Agg, key: &[u8], prefix: &[u8], seps: &[Vec<u8>]) {
    let Some(rest) = key.strip_prefix(prefix) else {
        return;
    };
    agg.total += 1;
    let first = seps
        .iter()
        .filter_map(|s| find(rest, s).map(|i| (i, s.len())))
        .min_by_key(|&(i, len)| (i, std::cmp::Reverse(len)));
    let (name, is_key) = match first {
        Some((i, len)) => (&rest[..i + len], false),
        None => (rest, true),
    };
    if let Some((n, _)) = agg.children.get_mut(name) {
        *n += 1;
    } else if agg.children.len() < MAX_CHILDREN {
        agg.children.insert(name.to_vec(), (1, is_key));
    } else {
        agg.omitted += 1;
    }
}

/// First position of `needle` in `hay`: a byte search for its first byte, then a compare (a
/// window-by-window compare was the tree scan's top cost in a profile).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(i) = hay[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if hay[at + 1..].starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A namespace's name without the separator that ends it.
fn strip_sep<'a>(name: &'a [u8], seps: &[Vec<u8>]) -> &'a [u8] {
    seps.iter()
        .find_map(|s| name.strip_suffix(s.as_slice()))
        .unwrap_or(name)
}

impl Scan {
    fn snapshot(&self) -> TreeLevel {
        let agg = lock(&self.agg);
        let k = &self.key;
        let children = agg
            .children
            .iter()
            .map(|(name, (count, is_key))| {
                let mut full = k.prefix.clone();
                full.extend_from_slice(name);
                let key = is_key.then(|| Bytes::new(&full));
                let prefix = Bytes::new(&full);
                let name = if *is_key {
                    name.as_slice()
                } else {
                    strip_sep(name, &k.separators)
                };
                TreeChild {
                    name: Bytes::new(name).text,
                    prefix: prefix.text,
                    prefix_b64: prefix.b64,
                    count: *count,
                    key,
                }
            })
            .collect();
        let prefix = Bytes::new(&k.prefix);
        TreeLevel {
            prefix: prefix.text,
            prefix_b64: prefix.b64,
            separator: String::from_utf8_lossy(&k.separator).into_owned(),
            complete: agg.complete,
            scanned: agg.scanned,
            total_keys: agg.total,
            children,
            omitted: agg.omitted,
        }
    }
}

fn emit_progress(scan: &Scan, events: &Publisher<Progress>) {
    if !events.is_listened() {
        return;
    }
    let progress = {
        let agg = lock(&scan.agg);
        Progress {
            prefix: Bytes::new(&scan.key.prefix).text,
            separator: String::from_utf8_lossy(&scan.key.separator).into_owned(),
            scanned: agg.scanned,
            total_keys: agg.total,
            complete: agg.complete,
        }
    };
    events.publish(progress);
}

/// `SCAN MATCH` pattern of everything under `prefix`: the escaped prefix and `*`, or just `*`
/// for a non-UTF-8 prefix (then the prefix filter happens in Rust only).
fn prefix_pattern(prefix: &[u8]) -> String {
    match std::str::from_utf8(prefix) {
        Ok(p) => format!("{}*", keyspace::glob_escape(p)),
        Err(_) => "*".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_keys_into_one_level() {
        let mut agg = Agg::default();
        let colon = [b":".to_vec()];
        for k in [&b"a:b:c"[..], b"a:b:d", b"a:x", b"a", b"b:1", b"zz"] {
            fold(&mut agg, k, b"", &colon);
        }
        let got: Vec<_> = agg
            .children
            .iter()
            .map(|(n, (c, leaf))| (n.as_slice(), *leaf, *c))
            .collect();
        assert_eq!(
            got,
            vec![
                (&b"a"[..], true, 1),
                (&b"a:"[..], false, 3),
                (&b"b:"[..], false, 1),
                (&b"zz"[..], true, 1)
            ]
        );
        let mut sub = Agg::default();
        for k in [&b"a::b"[..], b"a::c::d", b"b::x"] {
            fold(&mut sub, k, b"a::", &[b"::".to_vec()]);
        }
        assert_eq!(sub.total, 2);
        assert_eq!(sub.children.len(), 2);
        // Several separators: each key splits at whichever comes first.
        let mut multi = Agg::default();
        let seps = [b"::".to_vec(), b":".to_vec(), b"/".to_vec()];
        for k in [&b"a/b:c"[..], b"a:b/c", b"a::x", b"a/z"] {
            fold(&mut multi, k, b"", &seps);
        }
        let names: Vec<_> = multi
            .children
            .iter()
            .map(|(n, (c, _))| (n.clone(), *c))
            .collect();
        assert_eq!(
            names,
            vec![
                (b"a/".to_vec(), 2),
                (b"a:".to_vec(), 1),
                (b"a::".to_vec(), 1)
            ]
        );
        assert_eq!(strip_sep(b"a::", &seps), b"a");
        assert_eq!(find(b"ab:c::d", b"::"), Some(4));
        assert_eq!(find(b"ab:c::d", b":"), Some(2));
        assert_eq!(find(b"abc", b"::"), None);
        assert_eq!(find(b"a:", b"::"), None);
    }
}
