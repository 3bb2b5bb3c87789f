//! Walking the keyspace without blocking the server: `SCAN` pages (binary-safe keys), batched
//! `UNLINK` of everything matching a pattern with progress and cancellation, and glob escaping
//! so user-supplied names (symbols, exchanges) are matched literally. Never `KEYS`.

use redis::aio::ConnectionLike;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::conn::Conn;
use crate::error::{Error, Result};

/// Default `SCAN ... COUNT` hint: large enough for throughput, small enough to keep each call short.
pub const DEFAULT_SCAN_COUNT: usize = 1000;
/// Default number of keys per `UNLINK`.
pub const DEFAULT_UNLINK_BATCH: usize = 500;

/// Escapes the glob metacharacters `* ? [ ] \` so `s` matches only itself in a `MATCH` pattern.
pub fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One `SCAN` call: the next cursor (0 when the scan is complete) and the keys of this page.
pub async fn scan_page<C: ConnectionLike + Send>(
    conn: &mut C,
    cursor: u64,
    pattern: &str,
    count: usize,
    key_type: Option<&str>,
) -> Result<(u64, Vec<Vec<u8>>)> {
    let mut cmd = redis::cmd("SCAN");
    cmd.arg(cursor);
    // `MATCH *` selects everything: leave it out and spare the server a glob test per key.
    if pattern != "*" {
        cmd.arg("MATCH").arg(pattern);
    }
    cmd.arg("COUNT").arg(count.max(1));
    if let Some(t) = key_type {
        cmd.arg("TYPE").arg(t);
    }
    let (next, keys): (u64, Vec<Vec<u8>>) = cmd.query_async(conn).await?;
    Ok((next, keys))
}

/// Progress and outcome of a pattern delete or count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanProgress {
    /// `SCAN` calls made so far.
    pub pages: u64,
    /// Matching keys seen so far.
    pub matched: u64,
    /// Keys removed so far (0 for a dry run).
    pub deleted: u64,
    /// True when the whole keyspace has been walked.
    pub complete: bool,
    /// True when the walk stopped because it was cancelled.
    pub cancelled: bool,
}

/// Options of [`unlink_matching`] and [`count_matching`].
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// `SCAN ... COUNT` hint.
    pub count: usize,
    /// Keys per `UNLINK` call.
    pub batch: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            count: DEFAULT_SCAN_COUNT,
            batch: DEFAULT_UNLINK_BATCH,
        }
    }
}

/// Removes every key matching `pattern` with `SCAN` + `UNLINK` in batches, reporting progress
/// after each page. Stops early (reporting how far it got) when `cancel` fires.
pub async fn unlink_matching<C: ConnectionLike + Clone + Send>(
    conn: &mut C,
    pattern: &str,
    opts: &ScanOptions,
    cancel: &CancellationToken,
    mut on_progress: impl FnMut(&ScanProgress) + Send,
) -> Result<ScanProgress> {
    check_pattern(pattern)?;
    let mut progress = ScanProgress::default();
    let mut deleter = conn.clone();
    walk_and_unlink(
        conn,
        &mut deleter,
        pattern,
        opts,
        cancel,
        &mut progress,
        &mut on_progress,
    )
    .await?;
    progress.complete = !progress.cancelled;
    on_progress(&progress);
    Ok(progress)
}

/// [`unlink_matching`] on every master of a deployment: each master is scanned directly and the
/// keys are unlinked through `conn` (which, on a Cluster, splits `UNLINK` by slot).
pub async fn unlink_matching_all(
    conn: &Conn,
    pattern: &str,
    opts: &ScanOptions,
    cancel: &CancellationToken,
    mut on_progress: impl FnMut(&ScanProgress) + Send,
) -> Result<ScanProgress> {
    check_pattern(pattern)?;
    let mut progress = ScanProgress::default();
    let mut deleter = conn.clone();
    for node in conn.masters().await? {
        let mut scanner = node.conn;
        walk_and_unlink(
            &mut scanner,
            &mut deleter,
            pattern,
            opts,
            cancel,
            &mut progress,
            &mut on_progress,
        )
        .await?;
        if progress.cancelled {
            break;
        }
    }
    progress.complete = !progress.cancelled;
    on_progress(&progress);
    Ok(progress)
}

/// Walks one node's keyspace, unlinking matches through `deleter`; progress accumulates.
async fn walk_and_unlink<S: ConnectionLike + Send, D: ConnectionLike + Send>(
    scanner: &mut S,
    deleter: &mut D,
    pattern: &str,
    opts: &ScanOptions,
    cancel: &CancellationToken,
    progress: &mut ScanProgress,
    on_progress: &mut (impl FnMut(&ScanProgress) + Send),
) -> Result<()> {
    let mut pending: Vec<Vec<u8>> = Vec::with_capacity(opts.batch);
    let mut cursor = 0u64;
    loop {
        if cancel.is_cancelled() {
            progress.deleted += unlink(deleter, &mut pending).await?;
            progress.cancelled = true;
            return Ok(());
        }
        // The UNLINK of the last full batch travels together with the next SCAN: one round trip.
        let mut batch = if pending.len() >= opts.batch.max(1) {
            std::mem::take(&mut pending)
        } else {
            Vec::new()
        };
        let (scanned, unlinked) = tokio::join!(
            scan_page(scanner, cursor, pattern, opts.count, None),
            unlink(deleter, &mut batch)
        );
        progress.deleted += unlinked?;
        let (next, keys) = scanned?;
        progress.pages += 1;
        progress.matched += keys.len() as u64;
        pending.extend(keys);
        cursor = next;
        if cursor == 0 {
            progress.deleted += unlink(deleter, &mut pending).await?;
            return Ok(());
        }
        on_progress(progress);
    }
}

/// [`count_matching`] over every master of a deployment.
pub async fn count_matching_all(
    conn: &Conn,
    pattern: &str,
    sample: usize,
    opts: &ScanOptions,
    cancel: &CancellationToken,
) -> Result<(ScanProgress, Vec<Vec<u8>>)> {
    let mut total = ScanProgress::default();
    let mut kept = Vec::new();
    for node in conn.masters().await? {
        let mut c = node.conn;
        let (p, s) = count_matching(
            &mut c,
            pattern,
            sample.saturating_sub(kept.len()),
            opts,
            cancel,
        )
        .await?;
        total.pages += p.pages;
        total.matched += p.matched;
        kept.extend(s);
        if p.cancelled {
            total.cancelled = true;
            return Ok((total, kept));
        }
    }
    total.complete = true;
    Ok((total, kept))
}

/// Counts the keys matching `pattern` (a dry run) and keeps up to `sample` of them.
pub async fn count_matching<C: ConnectionLike + Send>(
    conn: &mut C,
    pattern: &str,
    sample: usize,
    opts: &ScanOptions,
    cancel: &CancellationToken,
) -> Result<(ScanProgress, Vec<Vec<u8>>)> {
    check_pattern(pattern)?;
    let mut progress = ScanProgress::default();
    let mut kept = Vec::new();
    let mut cursor = 0u64;
    loop {
        if cancel.is_cancelled() {
            progress.cancelled = true;
            return Ok((progress, kept));
        }
        let (next, keys) = scan_page(conn, cursor, pattern, opts.count, None).await?;
        progress.pages += 1;
        progress.matched += keys.len() as u64;
        let room = sample.saturating_sub(kept.len());
        kept.extend(keys.into_iter().take(room));
        cursor = next;
        if cursor == 0 {
            progress.complete = true;
            return Ok((progress, kept));
        }
    }
}

async fn unlink<C: ConnectionLike + Send>(conn: &mut C, keys: &mut Vec<Vec<u8>>) -> Result<u64> {
    if keys.is_empty() {
        return Ok(0);
    }
    let n: u64 = redis::cmd("UNLINK")
        .arg(&keys[..])
        .query_async(conn)
        .await?;
    keys.clear();
    Ok(n)
}

fn check_pattern(pattern: &str) -> Result<()> {
    if pattern.is_empty() {
        return Err(Error::InvalidInput(
            "the key pattern must not be empty".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_glob_metacharacters() {
        assert_eq!(glob_escape("BTC-USDT"), "BTC-USDT");
        assert_eq!(glob_escape("a*b?c[d]e\\f"), "a\\*b\\?c\\[d\\]e\\\\f");
    }
}
