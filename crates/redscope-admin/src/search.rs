//! The search workbench over RediSearch: the index list (`FT._LIST` + `FT.INFO`: schema,
//! documents, memory, indexing progress), queries (`FT.SEARCH` / `FT.AGGREGATE` pages with
//! highlighting, `FT.PROFILE` timings) — reads, allowed in read-only mode — and creating and
//! dropping indexes, which need confirmation and are refused in read-only mode.

use std::sync::Arc;
use std::time::Instant;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::modules::{field, missing_module, num, pairs, text, to_json};
use super::session::Session;
use redscope::conn::Conn;
use redscope::error::{Error, Result};

/// Most indexes listed.
const MAX_INDEXES: usize = 1000;
/// Largest page of results.
pub const MAX_LIMIT: u64 = 100;
/// Longest query text.
const MAX_QUERY: usize = 8 << 10;
/// Longest value of one result field shown (longer ones are cut, marked with `…`).
const MAX_FIELD: usize = 4 << 10;

/// One attribute of an index's schema.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct IndexField {
    /// What is indexed: a hash field or a JSONPath.
    pub identifier: String,
    /// The name queries use (`@name`).
    pub attribute: String,
    /// `TEXT`, `NUMERIC`, `TAG`, `GEO`, `VECTOR`, ...
    #[serde(rename = "type")]
    pub field_type: String,
    /// Usable in SORTBY.
    pub sortable: bool,
}

/// An index and its figures, from `FT.INFO`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SearchIndex {
    pub name: String,
    /// `HASH` or `JSON`.
    pub on: String,
    /// Key prefixes it indexes.
    pub prefixes: Vec<String>,
    pub fields: Vec<IndexField>,
    /// Documents indexed.
    pub num_docs: u64,
    /// Index memory in MB (inverted index, offsets, doc and key tables).
    pub memory_mb: f64,
    /// True while the initial scan is still indexing.
    pub indexing: bool,
    /// Share of the keyspace scanned, 0 to 1.
    pub percent_indexed: f64,
    /// Documents that failed to index.
    pub failures: u64,
}

/// `FT.SEARCH` or `FT.AGGREGATE`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
    ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    #[default]
    Search,
    Aggregate,
}

/// Request of `search_query`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct SearchQuery {
    pub index: String,
    /// The query (`*` for all, `@rsi_14:[(70 +inf]`, ...).
    pub query: String,
    #[serde(default)]
    #[ts(as = "Option<QueryKind>")]
    pub kind: QueryKind,
    /// `aggregate`: the pipeline after the query (`GROUPBY 1 @sym REDUCE COUNT 0 AS n`).
    pub pipeline: Option<String>,
    /// First result (default 0).
    pub offset: Option<u64>,
    /// Results per page (default 10, max 100).
    pub limit: Option<u64>,
    /// `search`: sort by this attribute.
    pub sort_by: Option<String>,
    /// With `sort_by`: descending.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub desc: bool,
    /// `search`: mark the matched terms of text fields with `<b>…</b>`.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub highlight: bool,
    /// Run through `FT.PROFILE` and return its timings.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub profile: bool,
}

/// One result row.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SearchRow {
    /// The document's key (`search`; none for aggregate rows).
    pub id: Option<String>,
    /// Field name and value, in reply order.
    pub fields: Vec<(String, String)>,
}

/// Reply of `search_query`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SearchReply {
    /// Matching documents (`search`) or result groups (`aggregate`).
    pub total: u64,
    pub offset: u64,
    /// The union of the rows' field names, in first-seen order (the table's columns).
    pub columns: Vec<String>,
    pub rows: Vec<SearchRow>,
    /// Round trip of the query in ms.
    pub took_ms: f64,
    /// `FT.PROFILE`'s report as it came.
    pub profile: Option<serde_json::Value>,
    /// Its total time in ms.
    pub profile_ms: Option<f64>,
}

/// Request of `search_create`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct SearchCreate {
    pub name: String,
    /// `hash` or `json`.
    pub on: String,
    /// Key prefixes to index (none: every key of that type).
    #[serde(default)]
    #[ts(as = "Option<Vec<String>>")]
    pub prefixes: Vec<String>,
    /// The schema (at least one attribute).
    pub fields: Vec<IndexField>,
    /// Indexing scans every matching key: say yes.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// Request of `search_drop`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct SearchDrop {
    pub name: String,
    /// Also delete the indexed documents (`DD`).
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub delete_docs: bool,
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// Reply of `search_drop`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SearchDropped {
    pub name: String,
    /// Documents it held when dropped (deleted with it when `delete_docs`).
    pub num_docs: u64,
}

/// The search workbench of one session (see the module doc).
pub struct SearchWorkbench {
    session: Arc<Session>,
}

impl SearchWorkbench {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        SearchWorkbench { session }
    }

    /// Every index with its figures, by name.
    pub async fn indexes(&self) -> Result<Vec<SearchIndex>> {
        let mut c = self.session.conn().await?;
        let names: Vec<String> = redis::cmd("FT._LIST")
            .query_async(&mut c)
            .await
            .map_err(|e| missing_module(e.into(), "RediSearch"))?;
        let mut out = Vec::new();
        for name in names.iter().take(MAX_INDEXES) {
            match index_info(&mut c, name).await {
                Ok(i) => out.push(i),
                // Dropped between the list and its INFO.
                Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One page of results (see [`SearchQuery`]).
    pub async fn query(&self, q: SearchQuery) -> Result<SearchReply> {
        check_name(&q.index)?;
        if q.query.trim().is_empty() || q.query.len() > MAX_QUERY {
            return Err(Error::InvalidInput(format!(
                "the query must be 1 to {MAX_QUERY} bytes (use * for every document)"
            )));
        }
        let offset = q.offset.unwrap_or(0);
        let limit = q.limit.unwrap_or(10);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::InvalidInput(format!(
                "limit must be 1 to {MAX_LIMIT} ({limit} given)"
            )));
        }
        let mut args: Vec<String> = Vec::new();
        let mut c = self.session.conn().await?;
        match q.kind {
            QueryKind::Search => {
                if q.highlight {
                    // A JSON index answers the whole document as `$`, never highlighted: ask
                    // for its attributes by name instead, which are.
                    let index = index_info(&mut c, &q.index).await?;
                    if index.on.eq_ignore_ascii_case("JSON") && !index.fields.is_empty() {
                        args.push("RETURN".into());
                        args.push(index.fields.len().to_string());
                        args.extend(index.fields.iter().map(|f| f.attribute.clone()));
                    }
                    args.extend(["HIGHLIGHT", "TAGS", "<b>", "</b>"].map(String::from));
                }
                if let Some(s) = q.sort_by.as_deref().filter(|s| !s.is_empty()) {
                    args.push("SORTBY".into());
                    args.push(s.trim_start_matches('@').into());
                    args.push(if q.desc { "DESC" } else { "ASC" }.into());
                }
                args.extend(["LIMIT".into(), offset.to_string(), limit.to_string()]);
            }
            QueryKind::Aggregate => {
                args.extend(split_args(q.pipeline.as_deref().unwrap_or(""))?);
                args.extend(["LIMIT".into(), offset.to_string(), limit.to_string()]);
            }
        }
        args.extend(["DIALECT".into(), "2".into()]);
        let verb = match q.kind {
            QueryKind::Search => "SEARCH",
            QueryKind::Aggregate => "AGGREGATE",
        };
        let mut cmd;
        if q.profile {
            cmd = redis::cmd("FT.PROFILE");
            cmd.arg(&q.index).arg(verb).arg("QUERY").arg(&q.query);
        } else {
            cmd = redis::cmd(&format!("FT.{verb}"));
            cmd.arg(&q.index).arg(&q.query);
        }
        cmd.arg(&args);
        let start = Instant::now();
        let reply: Value = cmd
            .query_async(&mut c)
            .await
            .map_err(|e| missing_module(e.into(), "RediSearch"))?;
        let took_ms = start.elapsed().as_secs_f64() * 1000.0;
        let (results, profile) = if q.profile {
            match reply {
                Value::Array(mut parts) if parts.len() == 2 => {
                    let p = parts.pop().unwrap_or(Value::Nil);
                    (parts.pop().unwrap_or(Value::Nil), Some(p))
                }
                Value::Map(kv) => {
                    let mut results = Value::Nil;
                    let mut prof = None;
                    for (k, v) in kv {
                        match text(&k).as_deref() {
                            Some("Results") => results = v,
                            Some("Profile") => prof = Some(v),
                            _ => {}
                        }
                    }
                    (results, prof)
                }
                other => (other, None),
            }
        } else {
            (reply, None)
        };
        let (total, rows) = parse_results(&results, q.kind);
        let mut columns: Vec<String> = Vec::new();
        for r in &rows {
            for (f, _) in &r.fields {
                if !columns.contains(f) {
                    columns.push(f.clone());
                }
            }
        }
        Ok(SearchReply {
            total,
            offset,
            columns,
            rows,
            took_ms,
            profile_ms: profile.as_ref().and_then(total_time),
            profile: profile.as_ref().map(to_json),
        })
    }

    /// Creates an index (`FT.CREATE`); needs `confirm` (it scans every matching key).
    pub async fn create(&self, r: SearchCreate) -> Result<SearchIndex> {
        self.session.ensure_writable("creating a search index")?;
        check_name(&r.name)?;
        let on = r.on.to_ascii_uppercase();
        if on != "HASH" && on != "JSON" {
            return Err(Error::InvalidInput(format!(
                "on must be hash or json ({:?} given)",
                r.on
            )));
        }
        if r.fields.is_empty() {
            return Err(Error::InvalidInput(
                "an index needs at least one attribute".into(),
            ));
        }
        for f in &r.fields {
            let t = f.field_type.to_ascii_uppercase();
            if !["TEXT", "NUMERIC", "TAG", "GEO"].contains(&t.as_str()) {
                return Err(Error::InvalidInput(format!(
                    "attribute type must be TEXT, NUMERIC, TAG or GEO ({:?} given)",
                    f.field_type
                )));
            }
            if f.identifier.trim().is_empty() {
                return Err(Error::InvalidInput(
                    "an attribute needs an identifier".into(),
                ));
            }
        }
        if !r.confirm {
            let scope = if r.prefixes.is_empty() {
                format!("every {on} key")
            } else {
                format!("every {on} key under {}", r.prefixes.join(", "))
            };
            return Err(Error::ConfirmationRequired(format!(
                "creating index {:?} indexes {scope} now and on every write: pass confirm: true",
                r.name
            )));
        }
        let mut cmd = redis::cmd("FT.CREATE");
        cmd.arg(&r.name).arg("ON").arg(&on);
        if !r.prefixes.is_empty() {
            cmd.arg("PREFIX").arg(r.prefixes.len()).arg(&r.prefixes);
        }
        cmd.arg("SCHEMA");
        for f in &r.fields {
            cmd.arg(&f.identifier);
            let attr = f.attribute.trim();
            if !attr.is_empty() && attr != f.identifier {
                cmd.arg("AS").arg(attr);
            }
            cmd.arg(f.field_type.to_ascii_uppercase());
            if f.sortable {
                cmd.arg("SORTABLE");
            }
        }
        let mut c = self.session.conn().await?;
        let _: Value = cmd
            .query_async(&mut c)
            .await
            .map_err(|e| missing_module(e.into(), "RediSearch"))?;
        tracing::info!(index = %r.name, on = %on, "search index created");
        index_info(&mut c, &r.name).await
    }

    /// Drops an index (`FT.DROPINDEX`, with `DD` its documents too); needs `confirm`.
    pub async fn drop_index(&self, r: SearchDrop) -> Result<SearchDropped> {
        self.session.ensure_writable("dropping a search index")?;
        check_name(&r.name)?;
        let mut c = self.session.conn().await?;
        let info = index_info(&mut c, &r.name).await?;
        if !r.confirm {
            let what = if r.delete_docs {
                format!("and deletes its {} documents", info.num_docs)
            } else {
                "(the documents stay)".to_string()
            };
            return Err(Error::ConfirmationRequired(format!(
                "dropping index {:?} removes it {what}: pass confirm: true",
                r.name
            )));
        }
        let mut cmd = redis::cmd("FT.DROPINDEX");
        cmd.arg(&r.name);
        if r.delete_docs {
            cmd.arg("DD");
        }
        let _: Value = cmd.query_async(&mut c).await?;
        tracing::info!(index = %r.name, delete_docs = r.delete_docs, "search index dropped");
        Ok(SearchDropped {
            name: r.name,
            num_docs: info.num_docs,
        })
    }
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 256 || name.chars().any(|c| c.is_whitespace()) {
        return Err(Error::InvalidInput(format!(
            "{name:?} is not an index name (1 to 256 characters, no spaces)"
        )));
    }
    Ok(())
}

async fn index_info(c: &mut Conn, name: &str) -> Result<SearchIndex> {
    let reply: Value = match redis::cmd("FT.INFO").arg(name).query_async(c).await {
        Ok(v) => v,
        // "Unknown index name" (redis-rs reads its first word as the error code).
        Err(e)
            if {
                let m = e.to_string().to_ascii_lowercase();
                m.contains("index name") || m.contains("no such index")
            } =>
        {
            return Err(Error::NotFound(format!("no search index {name:?}")))
        }
        Err(e) => return Err(missing_module(e.into(), "RediSearch")),
    };
    let p = pairs(&reply);
    let def = field(&p, "index_definition").map(pairs).unwrap_or_default();
    let on = field(&def, "key_type").and_then(text).unwrap_or_default();
    let prefixes = match field(&def, "prefixes") {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        _ => Vec::new(),
    };
    let fields = match field(&p, "attributes") {
        Some(Value::Array(attrs)) => attrs.iter().map(parse_attribute).collect(),
        _ => Vec::new(),
    };
    let f = |k: &str| field(&p, k).and_then(num);
    let memory_mb = f("total_index_memory_sz_mb").unwrap_or_else(|| {
        [
            "inverted_sz_mb",
            "offset_vectors_sz_mb",
            "doc_table_size_mb",
            "key_table_size_mb",
            "sortable_values_size_mb",
            "vector_index_sz_mb",
        ]
        .iter()
        .filter_map(|k| f(k))
        .sum()
    });
    Ok(SearchIndex {
        name: name.to_string(),
        on,
        prefixes,
        fields,
        num_docs: f("num_docs").unwrap_or(0.0) as u64,
        memory_mb,
        indexing: f("indexing").unwrap_or(0.0) != 0.0,
        percent_indexed: f("percent_indexed").unwrap_or(1.0),
        failures: f("hash_indexing_failures").unwrap_or(0.0) as u64,
    })
}

/// One `FT.INFO` attribute: `identifier X attribute Y type Z [SORTABLE] ...` (RESP2) or a map.
fn parse_attribute(v: &Value) -> IndexField {
    let mut out = IndexField {
        identifier: String::new(),
        attribute: String::new(),
        field_type: String::new(),
        sortable: false,
    };
    let items: Vec<Value> = match v {
        Value::Array(items) => items.clone(),
        Value::Map(kv) => kv
            .iter()
            .flat_map(|(k, v)| [k.clone(), v.clone()])
            .collect(),
        _ => Vec::new(),
    };
    let words: Vec<Option<String>> = items.iter().map(text).collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].clone().unwrap_or_default();
        let next = words.get(i + 1).cloned().flatten().unwrap_or_default();
        match w.as_str() {
            "identifier" => {
                out.identifier = next;
                i += 1;
            }
            "attribute" => {
                out.attribute = next;
                i += 1;
            }
            "type" => {
                out.field_type = next;
                i += 1;
            }
            "SORTABLE" => out.sortable = true,
            _ => {}
        }
        i += 1;
    }
    out
}

/// Total and rows of an `FT.SEARCH` / `FT.AGGREGATE` reply (RESP2 arrays or RESP3 maps).
fn parse_results(v: &Value, kind: QueryKind) -> (u64, Vec<SearchRow>) {
    let row_fields = |v: &Value| -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, val) in pairs(v) {
            let value = text(val).unwrap_or_else(|| to_json(val).to_string());
            // A JSON index returns the document as `$`: show its members as columns.
            if k == "$" {
                if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(&value) {
                    for (mk, mv) in m {
                        let s = match mv {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        out.push((mk, cut(s)));
                    }
                    continue;
                }
            }
            out.push((k, cut(value)));
        }
        out
    };
    match v {
        Value::Array(items) if !items.is_empty() => {
            let total = num(&items[0]).unwrap_or(0.0) as u64;
            let rest = &items[1..];
            let rows = match kind {
                QueryKind::Aggregate => rest
                    .iter()
                    .map(|r| SearchRow {
                        id: None,
                        fields: row_fields(r),
                    })
                    .collect(),
                QueryKind::Search => {
                    let mut rows = Vec::new();
                    let mut i = 0;
                    while i < rest.len() {
                        let id = text(&rest[i]);
                        let fields = match rest.get(i + 1) {
                            Some(f @ Value::Array(_)) => {
                                i += 1;
                                row_fields(f)
                            }
                            _ => Vec::new(),
                        };
                        rows.push(SearchRow { id, fields });
                        i += 1;
                    }
                    rows
                }
            };
            (total, rows)
        }
        Value::Map(_) => {
            let p = pairs(v);
            let total = field(&p, "total_results").and_then(num).unwrap_or(0.0) as u64;
            let rows = match field(&p, "results") {
                Some(Value::Array(rs)) => rs
                    .iter()
                    .map(|r| {
                        let rp = pairs(r);
                        SearchRow {
                            id: field(&rp, "id").and_then(text),
                            fields: field(&rp, "extra_attributes")
                                .map(row_fields)
                                .unwrap_or_default(),
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            };
            (total, rows)
        }
        _ => (0, Vec::new()),
    }
}

fn cut(mut s: String) -> String {
    if s.len() > MAX_FIELD {
        let mut end = MAX_FIELD;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// `Total profile time` anywhere in an `FT.PROFILE` report, in ms.
fn total_time(v: &Value) -> Option<f64> {
    let p = pairs(v);
    if let Some(t) = field(&p, "Total profile time").and_then(num) {
        return Some(t);
    }
    match v {
        Value::Array(items) => items.iter().find_map(total_time),
        Value::Map(kv) => kv.iter().find_map(|(_, v)| total_time(v)),
        _ => None,
    }
}

/// Splits an aggregate pipeline into words; double quotes keep spaces (`"a b"`).
fn split_args(s: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in s.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err(Error::InvalidInput(
            "the pipeline has an unclosed double quote".into(),
        ));
    }
    if any {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_split_on_spaces_outside_quotes() {
        assert_eq!(
            split_args(r#"GROUPBY 1 @sym REDUCE COUNT 0 AS "n x""#).unwrap(),
            ["GROUPBY", "1", "@sym", "REDUCE", "COUNT", "0", "AS", "n x"]
        );
        assert!(split_args(r#"APPLY "x"#).is_err());
        assert!(split_args("  ").unwrap().is_empty());
    }

    #[test]
    fn long_fields_are_cut_on_a_char_boundary() {
        let s = "é".repeat(MAX_FIELD);
        let c = cut(s);
        assert!(c.len() <= MAX_FIELD + '…'.len_utf8());
        assert!(c.ends_with('…'));
    }
}
