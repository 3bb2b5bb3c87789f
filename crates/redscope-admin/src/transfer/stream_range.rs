//! Export of one stream's entries between two IDs (or times) to JSON lines or CSV in the export
//! directory, read with `XRANGE` in bounded pages (the page shrinks when entries are big), so the
//! stream is never held in memory whole.
//!
//! JSON lines: one object per entry, `{"id", "time_ms", "fields": [[name, value], …]}`; names and
//! values are text when UTF-8, else `{"b64": …}` (as the key export writes values), and the pairs
//! keep the producer's order and any repeated name, so nothing is lost.
//!
//! CSV: see [`Columns`] for the header rule; cells are text when UTF-8, else `b64:` + base64 (as
//! the key export's CSV). The columns are known only once the range is read, so rows are first
//! spooled with their column numbers to a hidden file, then the CSV is written from the spool.

use std::collections::HashMap;
use std::path::Path;

use redis::Value;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use tokio_util::sync::CancellationToken;

use base64::Engine;

use super::people::csv_text;
use super::TransferJob;
use crate::bytes::{Bytes, KeyRef};
use crate::registry::JobHandle;
use crate::streams::valid_id;
use redscope::error::{Error, Result};
use redscope::stream::entry::{self, RawEntry};

/// Entries asked for per `XRANGE` at most.
const PAGE: usize = 1000;
/// Field bytes a page aims at: a page that read more makes the next one smaller.
const PAGE_BYTES: usize = 8 << 20;
/// Most CSV columns for field names (besides `id` and `time_ms`).
pub const MAX_COLUMNS: usize = 1024;
/// Most bytes of field names the CSV header may hold.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Request of `stream_export`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamExport {
    /// The stream.
    #[serde(flatten)]
    pub key: KeyRef,
    /// First entry: an ID (`ms-seq` or `ms`), `(id` to start after it, a UTC time (RFC 3339, or
    /// `YYYY-MM-DD HH:MM:SS[.fff]`), or `-` (the default: the first entry).
    pub start: Option<String>,
    /// Last entry, in the same forms; `+` (the default) is the last entry.
    pub end: Option<String>,
    /// Most entries written, from the start of the range (default: all of the range).
    pub count: Option<u64>,
    /// `jsonl` (the default) or `csv`.
    pub format: Option<String>,
    /// File name in the export directory (default `stream-<time>.<ext>`); an existing file is
    /// refused unless `overwrite`.
    pub file: Option<String>,
    /// Replace an existing file of that name.
    pub overwrite: Option<bool>,
}

/// What a stream range export reads: the stream and its bounds as Redis was asked.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct StreamRange {
    /// The stream.
    pub key: Bytes,
    /// First ID as given to `XRANGE` (a time is turned into its millisecond).
    pub start: String,
    /// Last ID as given to `XRANGE`.
    pub end: String,
    /// Most entries, when capped.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub count: Option<u64>,
}

/// A stream range export's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeFormat {
    Jsonl,
    Csv,
}

impl RangeFormat {
    pub fn parse(s: &str) -> Result<RangeFormat> {
        match s {
            "jsonl" => Ok(RangeFormat::Jsonl),
            "csv" => Ok(RangeFormat::Csv),
            other => Err(Error::InvalidInput(format!(
                "a stream range exports to jsonl or csv ({other:?} given)"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RangeFormat::Jsonl => "jsonl",
            RangeFormat::Csv => "csv",
        }
    }
}

/// One bound of the range as `XRANGE` takes it: an ID, `-`/`+`, `(id`, or a UTC time turned into
/// its millisecond (an incomplete ID: the range then takes every entry of that millisecond).
pub fn bound(given: Option<&str>, default: &str) -> Result<String> {
    let t = given.map(str::trim).unwrap_or("");
    if t.is_empty() {
        return Ok(default.to_string());
    }
    if t == "-" || t == "+" {
        return Ok(t.to_string());
    }
    if t != "$" && valid_id(t).is_ok() {
        let parts = t
            .trim_start_matches('(')
            .split('-')
            .filter(|p| !p.is_empty());
        if parts.clone().all(|p| p.parse::<u64>().is_ok()) {
            return Ok(t.to_string());
        }
        return Err(Error::InvalidInput(format!(
            "{t:?}: the parts of a stream ID are at most {}",
            u64::MAX
        )));
    }
    let ms = chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_millis())
        .or_else(|_| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M"]
                .iter()
                .find_map(|f| chrono::NaiveDateTime::parse_from_str(t, f).ok())
                .map(|d| d.and_utc().timestamp_millis())
                .ok_or(())
        })
        .map_err(|()| {
            Error::InvalidInput(format!(
                "{t:?} is neither a stream ID (ms-seq, ms, (id, - or +) nor a UTC time (RFC 3339 or YYYY-MM-DD HH:MM:SS)"
            ))
        })?;
    if ms < 0 {
        return Err(Error::InvalidInput(format!(
            "{t:?} is before 1970: stream IDs start there"
        )));
    }
    Ok(ms.to_string())
}

/// The millisecond a bound names (`-`, `+` and open ends: `None`).
fn bound_ms(b: &str) -> Option<u64> {
    id_ms_opt(b.trim_start_matches('('))
}

fn id_ms_opt(id: &str) -> Option<u64> {
    id.split('-').next().filter(|m| !m.is_empty())?.parse().ok()
}

/// About how many entries the range holds, for a progress bar: the stream's length times the
/// share of its time span (first to last entry) the range covers, at most `count`. Reads the
/// first and last entry only.
pub async fn estimate(conn: &mut redscope::conn::Conn, plan: &Plan, len: u64) -> Result<u64> {
    let cap = plan.count.unwrap_or(u64::MAX).min(len);
    if plan.start == "-" && plan.end == "+" {
        return Ok(cap);
    }
    let edge = |cmd: &str, from: &str, to: &str| {
        let mut c = redis::cmd(cmd);
        c.arg(&plan.key).arg(from).arg(to).arg("COUNT").arg(1);
        c
    };
    let (first, last) = (edge("XRANGE", "-", "+"), edge("XREVRANGE", "+", "-"));
    let first: Value = first.query_async(conn).await?;
    let last: Value = last.query_async(conn).await?;
    let ms = |v: &Value| -> Result<Option<u64>> {
        Ok(entry::parse_entries(v)?
            .first()
            .and_then(|e| id_ms_opt(&e.id)))
    };
    let (Some(first), Some(last)) = (ms(&first)?, ms(&last)?) else {
        return Ok(0);
    };
    let lo = bound_ms(&plan.start).map_or(first, |m| m.max(first));
    let hi = bound_ms(&plan.end).map_or(last, |m| m.min(last));
    if hi < lo {
        return Ok(0);
    }
    let share = (hi - lo + 1) as f64 / (last - first + 1) as f64;
    Ok(((len as f64 * share).ceil() as u64).min(cap))
}

/// The ID right after `id` (`ms-seq+1`, or the next millisecond), where the next page starts;
/// `None` after the largest ID.
fn after(id: &str) -> Option<String> {
    let (ms, seq) = id.split_once('-')?;
    let (ms, seq): (u64, u64) = (ms.parse().ok()?, seq.parse().ok()?);
    match seq.checked_add(1) {
        Some(s) => Some(format!("{ms}-{s}")),
        None => ms.checked_add(1).map(|m| format!("{m}-0")),
    }
}

/// The millisecond of an entry ID.
fn id_ms(id: &str) -> u64 {
    id.split('-')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

fn csv_err(e: impl std::fmt::Display) -> Error {
    Error::Codec(format!("CSV: {e}"))
}

/// The CSV columns of a range. Header rule: `id`, `time_ms`, then one column per distinct field
/// name in the order the names first appear in the range; a name repeated within one entry
/// takes one more column of the same name for each repetition (the n-th occurrence goes to the
/// n-th column of that name). At most [`MAX_COLUMNS`] field columns and [`MAX_HEADER_BYTES`]
/// of names: a range with more fails and says to export it as JSON lines.
#[derive(Default)]
pub struct Columns {
    /// Per field name, its columns: the n-th for the name's n-th occurrence in an entry.
    index: HashMap<Vec<u8>, Vec<usize>>,
    names: Vec<Vec<u8>>,
    bytes: usize,
}

impl Columns {
    /// The column of each field of an entry, adding new ones.
    pub fn of(&mut self, fields: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<usize>> {
        let mut out = Vec::with_capacity(fields.len());
        for (i, (name, _)) in fields.iter().enumerate() {
            // Entries hold a few fields: count the earlier occurrences by a scan.
            let nth = fields[..i].iter().filter(|(f, _)| f == name).count();
            if let Some(&c) = self
                .index
                .get(name.as_slice())
                .and_then(|cols| cols.get(nth))
            {
                out.push(c);
                continue;
            }
            if self.names.len() >= MAX_COLUMNS || self.bytes + name.len() > MAX_HEADER_BYTES {
                return Err(Error::InvalidInput(format!(
                    "the range has more than {MAX_COLUMNS} distinct field names (or over {} KiB of them) for CSV columns: export it as JSON lines",
                    MAX_HEADER_BYTES >> 10
                )));
            }
            let col = self.names.len();
            self.bytes += name.len();
            self.names.push(name.clone());
            // The earlier occurrences were placed just before, so this is the next column.
            self.index.entry(name.clone()).or_default().push(col);
            out.push(col);
        }
        Ok(out)
    }

    /// The header row's cells.
    pub fn header(&self) -> Vec<String> {
        ["id".to_string(), "time_ms".to_string()]
            .into_iter()
            .chain(self.names.iter().map(|n| csv_text(n)))
            .collect()
    }
}

/// A name or value in a JSON line: the text when UTF-8, else `{"b64": …}` (as the key export).
#[derive(Serialize)]
#[serde(untagged)]
enum JsonCell<'a> {
    Text(&'a str),
    Binary { b64: String },
}

fn json_cell(b: &[u8]) -> JsonCell<'_> {
    match std::str::from_utf8(b) {
        Ok(s) => JsonCell::Text(s),
        Err(_) => JsonCell::Binary {
            b64: base64::engine::general_purpose::STANDARD.encode(b),
        },
    }
}

/// One JSON line, its keys in this order.
#[derive(Serialize)]
struct JsonLine<'a> {
    id: &'a str,
    time_ms: u64,
    fields: Vec<[JsonCell<'a>; 2]>,
}

/// Where entries go: JSON lines straight into the file, or CSV rows into the spool.
pub struct EntryWriter<W> {
    out: W,
    format: RangeFormat,
    columns: Columns,
    bytes: u64,
}

impl<W: AsyncWrite + Unpin> EntryWriter<W> {
    pub fn new(out: W, format: RangeFormat) -> Self {
        EntryWriter {
            out,
            format,
            columns: Columns::default(),
            bytes: 0,
        }
    }

    /// Bytes written so far (of the file, or of the spool).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Writes a page of entries: JSON lines, or spool rows `id, column, value, column, value, …`.
    pub async fn page(&mut self, entries: &[RawEntry]) -> Result<()> {
        let buf = match self.format {
            RangeFormat::Jsonl => {
                let mut buf = Vec::new();
                for e in entries {
                    let line = JsonLine {
                        id: &e.id,
                        time_ms: id_ms(&e.id),
                        fields: e
                            .fields
                            .iter()
                            .flatten()
                            .map(|(f, v)| [json_cell(f), json_cell(v)])
                            .collect(),
                    };
                    serde_json::to_writer(&mut buf, &line)?;
                    buf.push(b'\n');
                }
                buf
            }
            RangeFormat::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_writer(Vec::new());
                for e in entries {
                    let fields = e.fields.as_deref().unwrap_or_default();
                    let cols: Vec<String> = self
                        .columns
                        .of(fields)?
                        .iter()
                        .map(|c| c.to_string())
                        .collect();
                    let mut row: Vec<&[u8]> = vec![e.id.as_bytes()];
                    for ((_, v), c) in fields.iter().zip(&cols) {
                        row.push(c.as_bytes());
                        row.push(v);
                    }
                    w.write_record(row).map_err(csv_err)?;
                }
                w.into_inner().map_err(csv_err)?
            }
        };
        self.out.write_all(&buf).await?;
        self.bytes += buf.len() as u64;
        Ok(())
    }

    /// Flushes; answers the CSV columns (empty for JSON lines).
    pub async fn finish(mut self) -> Result<Columns> {
        self.out.flush().await?;
        Ok(self.columns)
    }
}

/// What a stream range export reads, checked.
pub struct Plan {
    /// The stream.
    pub key: Vec<u8>,
    /// First and last ID as `XRANGE` takes them.
    pub start: String,
    pub end: String,
    /// Most entries, from the start.
    pub count: Option<u64>,
}

/// One `XRANGE` page.
async fn fetch(
    mut conn: redscope::conn::Conn,
    plan: &Plan,
    from: String,
    want: usize,
) -> Result<Vec<RawEntry>> {
    let reply: Value = redis::cmd("XRANGE")
        .arg(&plan.key)
        .arg(&from)
        .arg(&plan.end)
        .arg("COUNT")
        .arg(want)
        .query_async(&mut conn)
        .await?;
    entry::parse_entries(&reply)
}

/// Reads the range page by page into `sink`, counting entries on the job. The next page is
/// asked for while the current one is written.
pub async fn read_range<W: AsyncWrite + Unpin>(
    job: &JobHandle<TransferJob>,
    conn: &redscope::conn::Conn,
    plan: &Plan,
    sink: &mut EntryWriter<W>,
) -> Result<()> {
    let cap = plan.count.unwrap_or(u64::MAX);
    let mut want = cap.min(PAGE as u64) as usize;
    let mut page = want;
    let mut written = 0u64;
    let mut fetched = fetch(conn.clone(), plan, plan.start.clone(), want).await;
    loop {
        if job.is_cancelled() {
            return Err(Error::InvalidInput("cancelled".into()));
        }
        let entries = fetched?;
        let read_bytes: usize = entries
            .iter()
            .flat_map(|e| e.fields.iter().flatten())
            .map(|(f, v)| f.len() + v.len())
            .sum();
        written += entries.len() as u64;
        // Where the next page starts, unless this one ended the range (or the count).
        let next = match entries.last() {
            Some(last) if entries.len() == want && written < cap => after(&last.id),
            _ => None,
        };
        let n = entries.len() as u64;
        let Some(from) = next else {
            sink.page(&entries).await?;
            count_page(job, n, sink.bytes());
            return Ok(());
        };
        // Big entries: fewer per page, so one page stays near PAGE_BYTES.
        page = if read_bytes > PAGE_BYTES {
            (page * PAGE_BYTES / read_bytes).max(1)
        } else {
            (page * 2).min(PAGE)
        };
        want = (cap - written).min(page as u64) as usize;
        let (f, w) = tokio::join!(fetch(conn.clone(), plan, from, want), sink.page(&entries));
        w?;
        fetched = f;
        count_page(job, n, sink.bytes());
    }
}

fn count_page(job: &JobHandle<TransferJob>, entries: u64, bytes: u64) {
    job.update(|j| {
        j.entries += entries;
        j.done_bytes = bytes;
    });
}

/// Writes the CSV file from the spool: the header of `columns`, then each spooled row spread
/// over its columns. Blocking (run it off the async threads); stops when `cancel` fires.
pub fn assemble_csv(
    spool: &Path,
    out: &Path,
    columns: &Columns,
    cancel: &CancellationToken,
) -> Result<u64> {
    let input = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(spool)?);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(file);
    w.write_record(columns.header()).map_err(csv_err)?;
    let width = 2 + columns.names.len();
    let mut rec = csv::ByteRecord::new();
    let mut row: Vec<String> = vec![String::new(); width];
    let mut n = 0u64;
    while r.read_byte_record(&mut rec).map_err(csv_err)? {
        n += 1;
        if n % 4096 == 0 && cancel.is_cancelled() {
            return Err(Error::InvalidInput("cancelled".into()));
        }
        row.iter_mut().for_each(String::clear);
        let id = String::from_utf8_lossy(&rec[0]).into_owned();
        row[1] = id_ms(&id).to_string();
        row[0] = id;
        let mut i = 1;
        while i + 1 < rec.len() {
            let col: usize = std::str::from_utf8(&rec[i])
                .ok()
                .and_then(|c| c.parse().ok())
                .filter(|c| *c < columns.names.len())
                .ok_or_else(|| Error::Codec("a damaged CSV spool row".into()))?;
            row[2 + col] = csv_text(&rec[i + 1]);
            i += 2;
        }
        w.write_record(&row).map_err(csv_err)?;
    }
    let file = w.into_inner().map_err(csv_err)?;
    let file = file.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

/// A buffered file writer for a spool or JSON lines file.
pub async fn create(path: &Path) -> Result<BufWriter<tokio::fs::File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        tokio::fs::File::create(path).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn raw(id: &str, fields: &[(&[u8], &[u8])]) -> RawEntry {
        RawEntry {
            id: id.into(),
            fields: Some(
                fields
                    .iter()
                    .map(|(f, v)| (f.to_vec(), v.to_vec()))
                    .collect(),
            ),
        }
    }

    #[test]
    fn bounds_take_ids_and_utc_times() {
        assert_eq!(bound(None, "-").unwrap(), "-");
        assert_eq!(bound(Some(" "), "+").unwrap(), "+");
        assert_eq!(bound(Some("+"), "-").unwrap(), "+");
        assert_eq!(bound(Some("-"), "+").unwrap(), "-");
        assert_eq!(bound(Some("5-1"), "-").unwrap(), "5-1");
        assert_eq!(bound(Some("(5-1"), "-").unwrap(), "(5-1");
        assert_eq!(
            bound(Some("2023-11-14T22:13:20Z"), "-").unwrap(),
            "1700000000000"
        );
        assert_eq!(
            bound(Some("2023-11-14 22:13:20.5"), "-").unwrap(),
            "1700000000500"
        );
        assert_eq!(
            bound(Some("2023-11-14T23:13:20+01:00"), "-").unwrap(),
            "1700000000000"
        );
        for bad in [
            "$",
            "yesterday",
            "1-2-3",
            "1969-12-31T00:00:00Z",
            "18446744073709551616",
            "1-18446744073709551616",
        ] {
            assert!(bound(Some(bad), "-").is_err(), "{bad}");
        }
    }

    #[test]
    fn the_next_page_starts_right_after_the_last_id() {
        assert_eq!(after("5-1").as_deref(), Some("5-2"));
        assert_eq!(after(&format!("5-{}", u64::MAX)).as_deref(), Some("6-0"));
        assert_eq!(after(&format!("{0}-{0}", u64::MAX)), None);
    }

    #[tokio::test]
    async fn json_lines_keep_binary_order_and_repeated_names() {
        let mut out = Vec::new();
        let mut w = EntryWriter::new(&mut out, RangeFormat::Jsonl);
        w.page(&[raw(
            "7-1",
            &[(b"a", b"1"), (b"\xff", b"\x00\xfe"), (b"a", b"2")],
        )])
        .await
        .unwrap();
        w.finish().await.unwrap();
        let line: serde_json::Value =
            serde_json::from_str(std::str::from_utf8(&out).unwrap().trim_end()).unwrap();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        assert_eq!(
            line,
            serde_json::json!({"id": "7-1", "time_ms": 7, "fields": [
                ["a", "1"], [{"b64": b64(b"\xff")}, {"b64": b64(b"\x00\xfe")}], ["a", "2"]
            ]})
        );
    }

    #[tokio::test]
    async fn csv_columns_follow_first_appearance_and_quote_what_needs_it() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().join("s");
        let out = dir.path().join("o.csv");
        let mut w = EntryWriter::new(create(&spool).await.unwrap(), RangeFormat::Csv);
        w.page(&[raw(
            "1-0",
            &[(b"price", b"1,5"), (b"note", b"say \"hi\"\nbye")],
        )])
        .await
        .unwrap();
        w.page(&[raw(
            "2-3",
            &[(b"raw", b"\xff"), (b"price", b"2"), (b"price", b"3")],
        )])
        .await
        .unwrap();
        let cols = w.finish().await.unwrap();
        assemble_csv(&spool, &out, &cols, &CancellationToken::new()).unwrap();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(&out)
            .unwrap();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec!["id", "time_ms", "price", "note", "raw", "price"],
                vec!["1-0", "1", "1,5", "say \"hi\"\nbye", "", ""],
                vec!["2-3", "2", "2", "", "b64:/w==", "3"],
            ]
        );
    }

    #[test]
    fn csv_columns_are_bounded() {
        let mut c = Columns::default();
        let many: Vec<(Vec<u8>, Vec<u8>)> = (0..=MAX_COLUMNS)
            .map(|i| (format!("f{i}").into_bytes(), Vec::new()))
            .collect();
        let err = c.of(&many).unwrap_err();
        assert!(err.to_string().contains("JSON lines"), "{err}");
    }
}
