//! Stream management on the stream viewer's service: add entries (XADD), delete them (XDEL),
//! trim (XTRIM MAXLEN / MINID, exact or `~`), manage consumer groups and consumers (XGROUP
//! CREATE / DESTROY / SETID / CREATECONSUMER / DELCONSUMER) and work the pending list (XACK,
//! XCLAIM, XAUTOCLAIM). Every call refuses read-only mode; the ones that lose data (XDEL,
//! XTRIM, XGROUP DESTROY, DELCONSUMER) need `confirm: true`. Replies carry the stream's length
//! afterwards so the viewer updates its counts without reloading.

use redis::Value;
use serde::{Deserialize, Serialize};

use super::bytes::KeyRef;
use super::create::NewElement;
use super::streams::{valid_id, Streams};
use redscope::error::{Error, Result};

/// Most IDs one XDEL / XACK / XCLAIM takes.
pub const MAX_IDS: usize = 10_000;
/// Most field/value pairs one XADD takes.
pub const MAX_FIELDS: usize = 1000;

/// Request of `stream_add`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamAdd {
    /// The stream (created when missing).
    #[serde(flatten)]
    pub key: KeyRef,
    /// The new entry's ID (`*`, the default: the server's clock; `ms-*`: a sequence for `ms`).
    pub id: Option<String>,
    /// Field/value pairs (`field` / `field_b64` and `value` / `value_b64` of each).
    pub fields: Vec<NewElement>,
}

/// Reply of `stream_add`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct StreamAdded {
    /// The ID the entry got.
    pub id: String,
    /// Entries in the stream afterwards.
    pub length: u64,
}

/// Request of `stream_delete`: entries to XDEL.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamDelete {
    #[serde(flatten)]
    pub key: KeyRef,
    /// The entries' IDs.
    pub ids: Vec<String>,
    /// Deleting entries cannot be undone: must be `true`.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// How XTRIM picks what goes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum TrimBy {
    /// Keep at most `threshold` entries (the newest).
    Maxlen,
    /// Remove entries with an ID below `threshold`.
    Minid,
}

/// Request of `stream_trim`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamTrim {
    #[serde(flatten)]
    pub key: KeyRef,
    /// MAXLEN or MINID.
    pub by: TrimBy,
    /// A length (MAXLEN) or an entry ID (MINID).
    pub threshold: String,
    /// `~`: trim whole macro nodes only (faster, may keep a few more entries).
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub approximate: bool,
    /// Trimming cannot be undone: must be `true`.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// Reply of `stream_delete` and `stream_trim`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct StreamRemoved {
    /// Entries removed.
    pub removed: u64,
    /// Entries in the stream afterwards.
    pub length: u64,
}

/// What `stream_group` does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum GroupAction {
    /// XGROUP CREATE `group` at `id` (default `$`: only new entries); `mkstream` creates the stream.
    Create,
    /// XGROUP DESTROY: the group and its pending list (needs `confirm`).
    Destroy,
    /// XGROUP SETID: move the group's last delivered ID to `id`.
    Setid,
    /// XGROUP CREATECONSUMER `consumer`.
    CreateConsumer,
    /// XGROUP DELCONSUMER `consumer`: its pending entries are forgotten (needs `confirm`).
    DelConsumer,
}

/// Request of `stream_group`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamGroup {
    #[serde(flatten)]
    pub key: KeyRef,
    /// What to do.
    pub action: GroupAction,
    /// The group.
    pub group: String,
    /// `create` / `setid`: the ID (`$` the last entry, `0` the beginning).
    pub id: Option<String>,
    /// `create_consumer` / `del_consumer`: the consumer.
    pub consumer: Option<String>,
    /// `create`: create the stream when missing.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub mkstream: bool,
    /// `destroy` / `del_consumer` lose pending entries: must be `true`.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// Reply of `stream_group`: Redis's integer answer (consumers created, pending entries a
/// deleted consumer had, groups destroyed; 1 for create and setid).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct GroupChanged {
    pub result: i64,
}

/// Request of `stream_ack`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamAck {
    #[serde(flatten)]
    pub key: KeyRef,
    pub group: String,
    /// The pending entries to acknowledge.
    pub ids: Vec<String>,
}

/// Reply of `stream_ack`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Acked {
    /// Entries that were pending and now are not.
    pub acked: u64,
}

/// Request of `stream_claim`: XCLAIM the given IDs, or without IDs XAUTOCLAIM from `start`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamClaim {
    #[serde(flatten)]
    pub key: KeyRef,
    pub group: String,
    /// The consumer the entries go to.
    pub consumer: String,
    /// Only entries idle at least this long (default 0).
    pub min_idle_ms: Option<u64>,
    /// XCLAIM these pending entries (empty or absent: XAUTOCLAIM).
    pub ids: Option<Vec<String>>,
    /// XAUTOCLAIM: where the scan of the pending list starts (default `0-0`).
    pub start: Option<String>,
    /// XAUTOCLAIM: most entries claimed (default 100).
    pub count: Option<usize>,
}

/// Reply of `stream_claim`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Claimed {
    /// IDs now owned by the consumer.
    pub claimed: Vec<String>,
    /// XAUTOCLAIM: pending IDs whose entries no longer exist (removed from the pending list).
    pub deleted: Vec<String>,
    /// XAUTOCLAIM: where the next call starts (`None` when the scan is complete).
    pub next: Option<String>,
}

/// `ids` checked: at least one, at most [`MAX_IDS`], each a full entry ID.
fn entry_ids(ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Err(Error::InvalidInput("give at least one entry id".into()));
    }
    if ids.len() > MAX_IDS {
        return Err(Error::InvalidInput(format!(
            "at most {MAX_IDS} ids at once ({} given)",
            ids.len()
        )));
    }
    for id in ids {
        if matches!(id.as_str(), "-" | "+" | "$") || id.starts_with('(') {
            return Err(Error::InvalidInput(format!("{id:?} is not an entry id")));
        }
        valid_id(id)?;
    }
    Ok(())
}

fn name(what: &str, v: &str) -> Result<()> {
    if v.is_empty() {
        return Err(Error::InvalidInput(format!("give the {what}")));
    }
    Ok(())
}

/// A server error named for what the user did: no group, a group that exists, the wrong type.
fn server_error(e: redis::RedisError, group: &str) -> Error {
    match e.code() {
        Some("NOGROUP") => Error::NotFound(format!("no group {group:?} on this stream")),
        Some("BUSYGROUP") => Error::InvalidInput(format!("group {group:?} already exists")),
        Some("WRONGTYPE") => Error::InvalidInput("the key is not a stream".into()),
        _ => Error::from(e),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

/// IDs of an XCLAIM (full entries, or JUSTID) or XAUTOCLAIM entry list; nil entries skipped.
fn claimed_ids(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Array(e) => e.first().and_then(text),
                other => text(other),
            })
            .collect(),
        _ => Vec::new(),
    }
}

impl Streams {
    async fn xlen(&self, c: &mut redscope::conn::Conn, key: &[u8]) -> Result<u64> {
        Ok(redis::cmd("XLEN").arg(key).query_async(c).await?)
    }

    /// XADD one entry; `invalid_input` for an ID not above the stream's last.
    pub async fn add(&self, r: &StreamAdd) -> Result<StreamAdded> {
        self.session().ensure_writable("adding a stream entry")?;
        let key = r.key.bytes()?;
        let id = r.id.as_deref().unwrap_or("*");
        let seq_auto = id
            .strip_suffix("-*")
            .is_some_and(|ms| !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()));
        if id != "*" && !seq_auto {
            entry_ids(&[id.to_string()])?;
        }
        if r.fields.is_empty() || r.fields.len() > MAX_FIELDS {
            return Err(Error::InvalidInput(format!(
                "an entry needs 1 to {MAX_FIELDS} field/value pairs"
            )));
        }
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&key).arg(id);
        for e in &r.fields {
            let field = super::bytes::opt_arg(e.field.as_deref(), e.field_b64.as_deref(), "field")?
                .ok_or_else(|| Error::InvalidInput("every pair needs a field".into()))?;
            let value = super::bytes::opt_arg(e.value.as_deref(), e.value_b64.as_deref(), "value")?
                .ok_or_else(|| Error::InvalidInput("every pair needs a value".into()))?;
            cmd.arg(field).arg(value);
        }
        let mut c = self.session().conn().await?;
        let id: String = cmd.query_async(&mut c).await.map_err(|e| {
            if e.to_string().contains("equal or smaller") {
                Error::InvalidInput(format!(
                    "{id:?} is not above the stream's last id: ids only grow"
                ))
            } else {
                server_error(e, "")
            }
        })?;
        tracing::info!(key = %super::bytes::escape(&key), %id, "stream entry added");
        let length = self.xlen(&mut c, &key).await?;
        Ok(StreamAdded { id, length })
    }

    /// XDEL entries (needs `confirm`).
    pub async fn delete(&self, r: &StreamDelete) -> Result<StreamRemoved> {
        self.session().ensure_writable("deleting stream entries")?;
        let key = r.key.bytes()?;
        entry_ids(&r.ids)?;
        if !r.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "XDEL removes {} entr{} for good: pass confirm: true",
                r.ids.len(),
                if r.ids.len() == 1 { "y" } else { "ies" }
            )));
        }
        let mut c = self.session().conn().await?;
        let removed: u64 = redis::cmd("XDEL")
            .arg(&key)
            .arg(&r.ids)
            .query_async(&mut c)
            .await
            .map_err(|e| server_error(e, ""))?;
        tracing::info!(key = %super::bytes::escape(&key), removed, "stream entries deleted");
        let length = self.xlen(&mut c, &key).await?;
        Ok(StreamRemoved { removed, length })
    }

    /// XTRIM MAXLEN or MINID, exact or `~` (needs `confirm`).
    pub async fn trim(&self, r: &StreamTrim) -> Result<StreamRemoved> {
        self.session().ensure_writable("trimming a stream")?;
        let key = r.key.bytes()?;
        let threshold = r.threshold.trim();
        match r.by {
            TrimBy::Maxlen => {
                threshold.parse::<u64>().map_err(|_| {
                    Error::InvalidInput(format!("MAXLEN needs a length, not {threshold:?}"))
                })?;
            }
            TrimBy::Minid => entry_ids(&[threshold.to_string()])?,
        }
        if !r.confirm {
            return Err(Error::ConfirmationRequired(
                "XTRIM removes entries for good: pass confirm: true".into(),
            ));
        }
        let mut c = self.session().conn().await?;
        let exists: u64 = redis::cmd("EXISTS").arg(&key).query_async(&mut c).await?;
        if exists == 0 {
            return Err(Error::NotFound("no such stream".into()));
        }
        let removed: u64 = redis::cmd("XTRIM")
            .arg(&key)
            .arg(match r.by {
                TrimBy::Maxlen => "MAXLEN",
                TrimBy::Minid => "MINID",
            })
            .arg(if r.approximate { "~" } else { "=" })
            .arg(threshold)
            .query_async(&mut c)
            .await
            .map_err(|e| server_error(e, ""))?;
        tracing::info!(key = %super::bytes::escape(&key), removed, by = ?r.by, "stream trimmed");
        let length = self.xlen(&mut c, &key).await?;
        Ok(StreamRemoved { removed, length })
    }

    /// XGROUP CREATE / DESTROY / SETID / CREATECONSUMER / DELCONSUMER.
    pub async fn group(&self, r: &StreamGroup) -> Result<GroupChanged> {
        self.session()
            .ensure_writable("changing a consumer group")?;
        let key = r.key.bytes()?;
        name("group", &r.group)?;
        let id = || -> Result<String> {
            let id = r.id.clone().unwrap_or_else(|| "$".into());
            if id != "$" {
                valid_id(&id)?;
            }
            Ok(id)
        };
        let consumer = || -> Result<&str> {
            let c = r.consumer.as_deref().unwrap_or_default();
            name("consumer", c)?;
            Ok(c)
        };
        let mut cmd = redis::cmd("XGROUP");
        match r.action {
            GroupAction::Create => {
                cmd.arg("CREATE").arg(&key).arg(&r.group).arg(id()?);
                if r.mkstream {
                    cmd.arg("MKSTREAM");
                }
            }
            GroupAction::Setid => {
                cmd.arg("SETID").arg(&key).arg(&r.group).arg(id()?);
            }
            GroupAction::CreateConsumer => {
                cmd.arg("CREATECONSUMER")
                    .arg(&key)
                    .arg(&r.group)
                    .arg(consumer()?);
            }
            GroupAction::Destroy | GroupAction::DelConsumer => {
                let what = if r.action == GroupAction::Destroy {
                    cmd.arg("DESTROY").arg(&key).arg(&r.group);
                    format!("destroying group {:?}", r.group)
                } else {
                    let who = consumer()?;
                    cmd.arg("DELCONSUMER").arg(&key).arg(&r.group).arg(who);
                    format!("deleting consumer {who:?}")
                };
                if !r.confirm {
                    return Err(Error::ConfirmationRequired(format!(
                        "{what} forgets its pending entries: pass confirm: true"
                    )));
                }
            }
        }
        let mut c = self.session().conn().await?;
        if r.action != GroupAction::Create || !r.mkstream {
            let exists: u64 = redis::cmd("EXISTS").arg(&key).query_async(&mut c).await?;
            if exists == 0 {
                return Err(Error::NotFound("no such stream".into()));
            }
        }
        let reply: Value = cmd
            .query_async(&mut c)
            .await
            .map_err(|e| server_error(e, &r.group))?;
        let result = match reply {
            Value::Int(n) => n,
            _ => 1,
        };
        if r.action == GroupAction::Destroy && result == 0 {
            return Err(Error::NotFound(format!(
                "no group {:?} on this stream",
                r.group
            )));
        }
        tracing::info!(key = %super::bytes::escape(&key), group = %r.group, action = ?r.action, result, "consumer group changed");
        Ok(GroupChanged { result })
    }

    /// XACK pending entries of a group.
    pub async fn ack(&self, r: &StreamAck) -> Result<Acked> {
        self.session().ensure_writable("acknowledging entries")?;
        let key = r.key.bytes()?;
        name("group", &r.group)?;
        entry_ids(&r.ids)?;
        let mut c = self.session().conn().await?;
        let acked: u64 = redis::cmd("XACK")
            .arg(&key)
            .arg(&r.group)
            .arg(&r.ids)
            .query_async(&mut c)
            .await
            .map_err(|e| server_error(e, &r.group))?;
        Ok(Acked { acked })
    }

    /// XCLAIM the given pending entries for `consumer`, or XAUTOCLAIM from `start`.
    pub async fn claim(&self, r: &StreamClaim) -> Result<Claimed> {
        self.session().ensure_writable("claiming entries")?;
        let key = r.key.bytes()?;
        name("group", &r.group)?;
        name("consumer", &r.consumer)?;
        let idle = r.min_idle_ms.unwrap_or(0);
        let mut c = self.session().conn().await?;
        // NOGROUP is only reported when the stream exists.
        let exists: u64 = redis::cmd("EXISTS").arg(&key).query_async(&mut c).await?;
        if exists == 0 {
            return Err(Error::NotFound("no such stream".into()));
        }
        match r.ids.as_deref().filter(|ids| !ids.is_empty()) {
            Some(ids) => {
                entry_ids(ids)?;
                let reply: Value = redis::cmd("XCLAIM")
                    .arg(&key)
                    .arg(&r.group)
                    .arg(&r.consumer)
                    .arg(idle)
                    .arg(ids)
                    .arg("JUSTID")
                    .query_async(&mut c)
                    .await
                    .map_err(|e| server_error(e, &r.group))?;
                Ok(Claimed {
                    claimed: claimed_ids(&reply),
                    deleted: Vec::new(),
                    next: None,
                })
            }
            None => {
                let start = r.start.clone().unwrap_or_else(|| "0-0".into());
                valid_id(&start)?;
                let count = super::streams::page_count(r.count)?;
                let reply: Value = redis::cmd("XAUTOCLAIM")
                    .arg(&key)
                    .arg(&r.group)
                    .arg(&r.consumer)
                    .arg(idle)
                    .arg(&start)
                    .arg("COUNT")
                    .arg(count)
                    .arg("JUSTID")
                    .query_async(&mut c)
                    .await
                    .map_err(|e| server_error(e, &r.group))?;
                let Value::Array(parts) = reply else {
                    return Err(Error::Codec("unexpected XAUTOCLAIM reply".into()));
                };
                let next = parts.first().and_then(text).filter(|n| n != "0-0");
                Ok(Claimed {
                    claimed: parts.get(1).map(claimed_ids).unwrap_or_default(),
                    deleted: parts.get(2).map(claimed_ids).unwrap_or_default(),
                    next,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_entry_ids_are_taken() {
        assert!(entry_ids(&["1-0".into(), "5".into()]).is_ok());
        for bad in ["-", "+", "$", "(1-0", "x"] {
            assert!(entry_ids(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(entry_ids(&[]).is_err());
    }
}
