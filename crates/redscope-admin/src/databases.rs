//! The key browser's database picker and namespace settings: the databases with their key
//! counts (`INFO keyspace`), the one this session uses, switching it, the loaded modules, and
//! the connection profile's tree separators.

use serde::{Deserialize, Serialize};

use super::browser::Browser;
use redscope::conn::TopologyKind;
use redscope::error::Result;
use redscope::health;

/// One database and its key counts.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct DbInfo {
    /// The index.
    pub db: i64,
    /// Keys in it.
    pub keys: u64,
    /// Keys with a TTL.
    pub expires: u64,
}

/// Reply of `databases` and `select_db`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Databases {
    /// The database this session reads and edits.
    pub current: i64,
    /// Number of databases (`CONFIG GET databases`; absent when the server refuses it).
    pub count: Option<u64>,
    /// The databases holding keys (INFO keyspace), and the current one even when empty.
    pub databases: Vec<DbInfo>,
    /// False on a Cluster (only database 0).
    pub selectable: bool,
    /// The tree's separators from the connected profile (`:` by default).
    pub separators: Vec<String>,
    /// Loaded modules (`MODULE LIST` names; `ReJSON` enables JSON keys).
    pub modules: Vec<String>,
}

/// Request of `select_db`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SelectDb {
    /// The database index.
    pub db: i64,
}

impl Browser {
    /// The databases, the current one, the modules and `separator` split into the tree's list
    /// (the profile's field may name several, separated by spaces).
    pub async fn databases(&self, separator: Option<String>) -> Result<Databases> {
        let mut c = self.session.conn().await?;
        let current = self.session.active_config().db;
        let selectable = c.topology() != TopologyKind::Cluster;
        let keyspace = |info: health::Info| -> Vec<DbInfo> {
            info.sections
                .get("keyspace")
                .into_iter()
                .flatten()
                .filter_map(|(name, v)| parse_keyspace(name, v))
                .collect()
        };
        let mut databases = if selectable {
            keyspace(health::info(&mut c, Some("keyspace")).await?)
        } else {
            // A Cluster's keys are spread over its masters: their counts are summed.
            let mut sum = DbInfo {
                db: 0,
                keys: 0,
                expires: 0,
            };
            for m in self.session.masters().await? {
                let info = health::info(&mut m.conn.clone(), Some("keyspace")).await?;
                for d in keyspace(info).into_iter().filter(|d| d.db == 0) {
                    sum.keys += d.keys;
                    sum.expires += d.expires;
                }
            }
            vec![sum]
        };
        if selectable && !databases.iter().any(|d| d.db == current) {
            databases.push(DbInfo {
                db: current,
                keys: 0,
                expires: 0,
            });
        }
        databases.sort_by_key(|d| d.db);
        let count = if selectable {
            let reply: redis::RedisResult<Vec<String>> = redis::cmd("CONFIG")
                .arg("GET")
                .arg("databases")
                .query_async(&mut c)
                .await;
            reply
                .ok()
                .and_then(|v| v.get(1).and_then(|n| n.parse().ok()))
        } else {
            Some(1)
        };
        let separators = separator
            .unwrap_or_else(|| ":".into())
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>();
        Ok(Databases {
            current,
            count,
            databases,
            selectable,
            separators: if separators.is_empty() {
                vec![":".into()]
            } else {
                separators
            },
            modules: self.modules().await?,
        })
    }
}

/// `db3` + `keys=10,expires=2,avg_ttl=0` -> the counts.
#[doc(hidden)]
pub fn parse_keyspace(name: &str, value: &str) -> Option<DbInfo> {
    let db = name.strip_prefix("db")?.parse().ok()?;
    let mut keys = 0;
    let mut expires = 0;
    for part in value.split(',') {
        match part.split_once('=') {
            Some(("keys", n)) => keys = n.parse().ok()?,
            Some(("expires", n)) => expires = n.parse().ok()?,
            _ => {}
        }
    }
    Some(DbInfo { db, keys, expires })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_lines_parse() {
        let d = parse_keyspace("db3", "keys=10,expires=2,avg_ttl=0,subexpiry=0").unwrap();
        assert_eq!((d.db, d.keys, d.expires), (3, 10, 2));
        assert!(parse_keyspace("dbx", "keys=1").is_none());
        assert!(parse_keyspace("other", "keys=1").is_none());
    }
}
