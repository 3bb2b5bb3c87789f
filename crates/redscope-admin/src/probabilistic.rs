//! RedisBloom's probabilistic keys — Bloom and Cuckoo filters, Count-Min sketches, Top-K —
//! opened with their `*.INFO` (and Top-K's list) and a check/add form: check is a read, add
//! writes and is refused in read-only mode.

use std::sync::Arc;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::bytes::{escape, key_arg, Bytes};
use super::modules::{int, missing_module, pairs, text, to_json};
use super::session::Session;
use redscope::conn::Conn;
use redscope::error::{Error, Result};

/// Most items one check or add names.
pub const MAX_ITEMS: usize = 1000;
/// Most Top-K entries listed.
const MAX_TOPK_LIST: i64 = 1000;

/// Which probabilistic structure a key holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum ProbKind {
    /// Bloom filter (`MBbloom--`).
    Bloom,
    /// Cuckoo filter (`MBbloomCF`).
    Cuckoo,
    /// Count-Min sketch (`CMSk-TYPE`).
    CountMin,
    /// Top-K (`TopK-TYPE`).
    TopK,
}

impl ProbKind {
    /// The kind of a key of this Redis type, if it is one.
    pub fn of_type(key_type: &str) -> Option<ProbKind> {
        match key_type {
            "MBbloom--" => Some(ProbKind::Bloom),
            "MBbloomCF" => Some(ProbKind::Cuckoo),
            "CMSk-TYPE" => Some(ProbKind::CountMin),
            "TopK-TYPE" => Some(ProbKind::TopK),
            _ => None,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            ProbKind::Bloom => "BF",
            ProbKind::Cuckoo => "CF",
            ProbKind::CountMin => "CMS",
            ProbKind::TopK => "TOPK",
        }
    }
}

/// A probabilistic key's figures.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProbInfo {
    pub key: Bytes,
    pub kind: ProbKind,
    /// `BF.INFO` / `CF.INFO` / `CMS.INFO` / `TOPK.INFO`, field by field as the module names them.
    pub info: Vec<ProbField>,
    /// Top-K only: the items held, with their counts (at most 1000).
    pub top: Vec<ProbCount>,
}

/// One `*.INFO` figure.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProbField {
    pub name: String,
    pub value: serde_json::Value,
}

/// An item and a number: a Top-K count, a Count-Min estimate, or a check/add answer (1 yes / 0 no).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProbCount {
    pub item: String,
    pub value: i64,
}

/// Request of `prob_info`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ProbQuery {
    pub key: Option<String>,
    pub key_b64: Option<String>,
}

/// What `prob_op` does with the items.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum ProbOp {
    /// Bloom/Cuckoo: may it be in? Count-Min: estimated count. Top-K: is it in the top?
    Check,
    /// Bloom/Cuckoo: add; Count-Min: count once more; Top-K: add (writes).
    Add,
}

/// Request of `prob_op`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ProbRequest {
    pub key: Option<String>,
    pub key_b64: Option<String>,
    pub op: ProbOp,
    /// The items (1 to 1000).
    pub items: Vec<String>,
}

/// Reply of `prob_op`: one answer per item, and the key's figures afterwards.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProbReply {
    /// Check: 1 may be in / 0 surely not (Count-Min: the estimate). Add: 1 newly added / 0 not
    /// (Count-Min: the new estimate; Top-K: 1 when it pushed another item out).
    pub results: Vec<ProbCount>,
    pub info: ProbInfo,
}

/// Probabilistic keys of one session (see the module doc).
pub struct Probabilistic {
    session: Arc<Session>,
}

impl Probabilistic {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Probabilistic { session }
    }

    /// The key's kind and figures.
    pub async fn info(&self, q: ProbQuery) -> Result<ProbInfo> {
        let key = key_arg(q.key.as_deref(), q.key_b64.as_deref(), "key")?;
        let mut c = self.session.conn().await?;
        let kind = kind_of(&mut c, &key).await?;
        info_of(&mut c, &key, kind).await
    }

    /// Checks or adds items (see [`ProbOp`]); add is refused in read-only mode.
    pub async fn op(&self, r: ProbRequest) -> Result<ProbReply> {
        if r.op == ProbOp::Add {
            self.session
                .ensure_writable("adding to a probabilistic key")?;
        }
        let key = key_arg(r.key.as_deref(), r.key_b64.as_deref(), "key")?;
        if r.items.is_empty() || r.items.len() > MAX_ITEMS {
            return Err(Error::InvalidInput(format!(
                "give 1 to {MAX_ITEMS} items ({} given)",
                r.items.len()
            )));
        }
        let mut c = self.session.conn().await?;
        let kind = kind_of(&mut c, &key).await?;
        let mut cmd;
        match (kind, r.op) {
            (ProbKind::Bloom, ProbOp::Check) => cmd = redis::cmd("BF.MEXISTS"),
            (ProbKind::Bloom, ProbOp::Add) => cmd = redis::cmd("BF.MADD"),
            (ProbKind::Cuckoo, ProbOp::Check) => cmd = redis::cmd("CF.MEXISTS"),
            (ProbKind::Cuckoo, ProbOp::Add) => {
                // CF.INSERTNX adds each item unless it may already be in (CF.ADDNX, batched).
                cmd = redis::cmd("CF.INSERTNX");
                cmd.arg(&key).arg("NOCREATE").arg("ITEMS");
            }
            (ProbKind::CountMin, ProbOp::Check) => cmd = redis::cmd("CMS.QUERY"),
            (ProbKind::CountMin, ProbOp::Add) => cmd = redis::cmd("CMS.INCRBY"),
            (ProbKind::TopK, ProbOp::Check) => cmd = redis::cmd("TOPK.QUERY"),
            (ProbKind::TopK, ProbOp::Add) => cmd = redis::cmd("TOPK.ADD"),
        }
        if !(kind == ProbKind::Cuckoo && r.op == ProbOp::Add) {
            cmd.arg(&key);
        }
        for item in &r.items {
            cmd.arg(item);
            if kind == ProbKind::CountMin && r.op == ProbOp::Add {
                cmd.arg(1);
            }
        }
        let reply: Value = cmd
            .query_async(&mut c)
            .await
            .map_err(|e| missing_module(e.into(), "RedisBloom"))?;
        let answers = match &reply {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let results = r
            .items
            .iter()
            .zip(&answers)
            .map(|(item, v)| ProbCount {
                item: item.clone(),
                value: match v {
                    Value::Boolean(b) => *b as i64,
                    // TOPK.ADD answers the item it pushed out, or nil.
                    Value::Nil => 0,
                    v if kind == ProbKind::TopK && r.op == ProbOp::Add => text(v).is_some() as i64,
                    v => int(v).unwrap_or(0),
                },
            })
            .collect();
        if r.op == ProbOp::Add {
            tracing::info!(key = %escape(&key), items = r.items.len(), "added to a probabilistic key");
        }
        Ok(ProbReply {
            results,
            info: info_of(&mut c, &key, kind).await?,
        })
    }
}

async fn kind_of(c: &mut Conn, key: &[u8]) -> Result<ProbKind> {
    let key_type: String = redis::cmd("TYPE").arg(key).query_async(c).await?;
    if key_type == "none" {
        return Err(Error::NotFound(format!(
            "key {:?} does not exist",
            escape(key)
        )));
    }
    ProbKind::of_type(&key_type).ok_or_else(|| {
        Error::InvalidInput(format!(
            "key {:?} is a {key_type}, not a Bloom, Cuckoo, Count-Min or Top-K key",
            escape(key)
        ))
    })
}

/// The figures of a key known to be of `kind`.
pub(crate) async fn info_of(c: &mut Conn, key: &[u8], kind: ProbKind) -> Result<ProbInfo> {
    let reply: Value = redis::cmd(&format!("{}.INFO", kind.prefix()))
        .arg(key)
        .query_async(c)
        .await
        .map_err(|e| missing_module(e.into(), "RedisBloom"))?;
    let info = pairs(&reply)
        .into_iter()
        .map(|(name, v)| ProbField {
            name,
            value: to_json(v),
        })
        .collect();
    let mut top = Vec::new();
    if kind == ProbKind::TopK {
        let list: Value = redis::cmd("TOPK.LIST")
            .arg(key)
            .arg("WITHCOUNT")
            .query_async(c)
            .await?;
        if let Value::Array(items) = list {
            top = items
                .chunks_exact(2)
                .take(MAX_TOPK_LIST as usize)
                .filter_map(|p| {
                    Some(ProbCount {
                        item: text(&p[0])?,
                        value: int(&p[1])?,
                    })
                })
                .collect();
        }
    }
    Ok(ProbInfo {
        key: Bytes::new(key),
        kind,
        info,
        top,
    })
}
