//! Per-field hash TTLs, where the server has them (Redis ≥ 7.4, Valkey ≥ 9, read from `INFO
//! server`): the TTLs of a hash page's fields (one `HPTTL`), and setting (`HPEXPIRE`) or removing
//! (`HPERSIST`) one. On older servers pages carry no field TTLs and the edits are refused with
//! the server's version in the message.

use redis::Value;

use super::browser::ValueView;
use super::bytes::decode_b64;
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::health;

/// `major.minor` of a version string (`7.4.2` -> (7, 4)).
fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut it = v.split('.');
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Whether a server of this `INFO server` section has per-field hash TTLs, and its version.
pub fn supported(server: &std::collections::BTreeMap<String, String>) -> (bool, String) {
    if let Some(v) = server.get("valkey_version") {
        let ok = major_minor(v).is_some_and(|mm| mm >= (9, 0));
        return (ok, format!("Valkey {v}"));
    }
    let v = server.get("redis_version").cloned().unwrap_or_default();
    let ok = major_minor(&v).is_some_and(|mm| mm >= (7, 4));
    (ok, format!("Redis {v}"))
}

/// Asks the server (`INFO server`).
pub async fn check(c: &mut Conn) -> Result<(bool, String)> {
    let info = health::info(c, Some("server")).await?;
    Ok(info
        .sections
        .get("server")
        .map(supported)
        .unwrap_or((false, "an unknown server".into())))
}

/// Fills `ttl_ms` of a hash page's fields (-1: none) when the server has field TTLs; fields
/// cut to their start cannot be named and keep none.
pub async fn fill(c: &mut Conn, key: &[u8], value: &mut ValueView) -> Result<()> {
    let ValueView::Hash { fields, .. } = value else {
        return Ok(());
    };
    let named: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].field.full_len.is_none())
        .collect();
    if named.is_empty() || !check(c).await?.0 {
        return Ok(());
    }
    let mut cmd = redis::cmd("HPTTL");
    cmd.arg(key).arg("FIELDS").arg(named.len());
    for &i in &named {
        cmd.arg(decode_b64(&fields[i].field.b64, "field")?);
    }
    let ttls: Vec<i64> = cmd.query_async(c).await?;
    for (i, ttl) in named.into_iter().zip(ttls) {
        // -2: the field went meanwhile; shown as having no TTL.
        fields[i].ttl_ms = Some(ttl.max(-1));
    }
    Ok(())
}

/// The `HPEXPIRE` / `HPERSIST` command for one field, after checking the server has it.
pub async fn command(
    c: &mut Conn,
    key: &[u8],
    field: &[u8],
    ttl_ms: Option<u64>,
) -> Result<redis::Cmd> {
    let (ok, version) = check(c).await?;
    if !ok {
        return Err(Error::InvalidInput(format!(
            "per-field TTLs need Redis 7.4 or Valkey 9 ({version} here)"
        )));
    }
    let mut cmd = match ttl_ms {
        Some(0) => return Err(Error::InvalidInput("ttl_ms must be positive".into())),
        Some(ms) => {
            let mut cmd = redis::cmd("HPEXPIRE");
            cmd.arg(key).arg(ms);
            cmd
        }
        None => {
            let mut cmd = redis::cmd("HPERSIST");
            cmd.arg(key);
            cmd
        }
    };
    cmd.arg("FIELDS").arg(1).arg(field);
    Ok(cmd)
}

/// `-2` in a field reply: the field does not exist.
pub fn missing(reply: &Value) -> bool {
    matches!(reply, Value::Array(a) if a.first() == Some(&Value::Int(-2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_with_field_ttls() {
        let server = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(!supported(&server(&[("redis_version", "7.0.15")])).0);
        assert!(supported(&server(&[("redis_version", "7.4.0")])).0);
        assert!(supported(&server(&[("redis_version", "8.2.1")])).0);
        // Valkey reports redis_version 7.2.4 for compatibility; its own version decides.
        let v8 = server(&[("redis_version", "7.2.4"), ("valkey_version", "8.1.8")]);
        assert_eq!(supported(&v8), (false, "Valkey 8.1.8".to_string()));
        assert!(
            supported(&server(&[
                ("redis_version", "7.2.4"),
                ("valkey_version", "9.0.0")
            ]))
            .0
        );
        assert!(!supported(&server(&[])).0);
    }
}
