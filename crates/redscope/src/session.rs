//! Sessions for the monitor UI: one hash per session at `session:{id}` with a
//! sliding TTL (every read or update pushes expiry out again), listed with `SCAN`, never `KEYS`.
//! Session ids are 128 random bits in hex. Errors are reported, never hidden: a session store
//! must not pretend a user is logged out because Redis blinked.

use std::collections::HashMap;
use std::time::Duration;

use rand::RngCore;
use redis::aio::ConnectionLike;

use crate::conn::Conn;
use crate::error::{Error, Result};
use crate::ttl::Expiry;

/// Default key prefix of sessions (the layout's [`crate::market::layout::SESSION`]).
pub const SESSION_PREFIX: &str = "session:";
/// Default idle timeout of a session.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 60);

/// Updates fields and slides the TTL only when the session exists (atomic).
const UPDATE_SCRIPT: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"#;

/// Sessions as hashes with a sliding TTL; cheap to clone.
#[derive(Clone)]
pub struct SessionStore {
    conn: Conn,
    prefix: String,
    ttl: Duration,
    update: redis::Script,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("prefix", &self.prefix)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl SessionStore {
    /// Sessions under `session:` with a 30 min idle timeout.
    pub fn new(conn: Conn) -> Self {
        Self::with_options(conn, SESSION_PREFIX, DEFAULT_SESSION_TTL)
    }

    /// Sessions under another prefix or with another idle timeout (at least 1 ms).
    pub fn with_options(conn: Conn, prefix: impl Into<String>, ttl: Duration) -> Self {
        SessionStore {
            conn,
            prefix: prefix.into(),
            ttl: ttl.max(Duration::from_millis(1)),
            update: redis::Script::new(UPDATE_SCRIPT),
        }
    }

    /// The idle timeout.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The key of a session id.
    pub fn key(&self, id: &str) -> Result<String> {
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::InvalidInput(
                "a session id is letters, digits, '-' or '_'".into(),
            ));
        }
        Ok(format!("{}{id}", self.prefix))
    }

    fn ttl_ms(&self) -> u64 {
        self.ttl.as_millis().max(1) as u64
    }

    /// Creates a session with these fields; returns its new random id.
    pub async fn create<K: AsRef<str>, V: AsRef<str>>(&self, fields: &[(K, V)]) -> Result<String> {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let key = self.key(&id)?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        let mut hset = redis::cmd("HSET");
        hset.arg(&key)
            .arg("created_ms")
            .arg(chrono::Utc::now().timestamp_millis());
        for (k, v) in fields {
            hset.arg(k.as_ref()).arg(v.as_ref());
        }
        pipe.add_command(hset).ignore();
        pipe.add_command(Expiry::Px(self.ttl_ms()).expire_cmd(&key))
            .ignore();
        let mut c = self.conn.clone();
        pipe.query_async::<()>(&mut c).await?;
        Ok(id)
    }

    /// A session's fields, sliding its TTL; `None` when it does not exist (or expired).
    pub async fn get(&self, id: &str) -> Result<Option<HashMap<String, String>>> {
        let key = self.key(id)?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hgetall(&key)
            .add_command(Expiry::Px(self.ttl_ms()).expire_cmd(&key))
            .ignore();
        let mut c = self.conn.clone();
        let (fields,): (HashMap<String, String>,) = pipe.query_async(&mut c).await?;
        Ok((!fields.is_empty()).then_some(fields))
    }

    /// Sets fields of an existing session and slides its TTL; false when it does not exist.
    pub async fn update<K: AsRef<str>, V: AsRef<str>>(
        &self,
        id: &str,
        fields: &[(K, V)],
    ) -> Result<bool> {
        let key = self.key(id)?;
        let mut inv = self.update.key(&key);
        inv.arg(self.ttl_ms());
        for (k, v) in fields {
            inv.arg(k.as_ref()).arg(v.as_ref());
        }
        let mut c = self.conn.clone();
        let n: i64 = inv.invoke_async(&mut c).await?;
        Ok(n == 1)
    }

    /// Slides a session's TTL without reading it; false when it does not exist.
    pub async fn touch(&self, id: &str) -> Result<bool> {
        let key = self.key(id)?;
        let mut c = self.conn.clone();
        let n: i64 = Expiry::Px(self.ttl_ms())
            .expire_cmd(&key)
            .query_async(&mut c)
            .await?;
        Ok(n == 1)
    }

    /// Ends a session; false when it did not exist.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        let key = self.key(id)?;
        let mut c = self.conn.clone();
        let n: i64 = redis::cmd("UNLINK").arg(&key).query_async(&mut c).await?;
        Ok(n == 1)
    }

    /// Remaining time before a session expires (`None` when it does not exist).
    pub async fn remaining(&self, id: &str) -> Result<Option<Duration>> {
        let key = self.key(id)?;
        let mut c = self.conn.clone();
        let ms: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut c).await?;
        Ok((ms >= 0).then(|| Duration::from_millis(ms as u64)))
    }

    /// Ids of live sessions, up to `limit`, found with `SCAN` on every master.
    pub async fn list(&self, limit: usize) -> Result<Vec<String>> {
        let pattern = format!("{}*", crate::keyspace::glob_escape(&self.prefix));
        let mut ids = Vec::new();
        for node in self.conn.masters().await? {
            let mut c = node.conn;
            let mut cursor = 0u64;
            loop {
                let (next, keys) =
                    crate::keyspace::scan_page(&mut c, cursor, &pattern, 1000, Some("hash"))
                        .await?;
                for k in keys {
                    if let Some(id) = k.strip_prefix(self.prefix.as_bytes()) {
                        if let Ok(id) = std::str::from_utf8(id) {
                            ids.push(id.to_string());
                        }
                    }
                    if ids.len() >= limit {
                        return Ok(ids);
                    }
                }
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
        }
        Ok(ids)
    }

    /// The database the store's connection uses.
    pub fn db(&self) -> i64 {
        self.conn.get_db()
    }
}
