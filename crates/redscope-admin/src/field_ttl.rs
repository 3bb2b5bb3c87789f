//! Per-field hash TTLs, where the server has them (Redis ≥ 7.4, Valkey ≥ 9, read from `INFO
//! server`): the TTLs of a hash page's fields (one `HPTTL`), and setting (`HPEXPIRE`) or removing
//! (`HPERSIST`) one. On older servers pages carry no field TTLs and the edits are refused with
//! the server's version in the message.

use redis::Value;

use super::browser::ValueView;
use super::bytes::decode_b64;
use super::session::{Product, Session};
use redscope::conn::Conn;
use redscope::error::{Error, Result};

/// Whether a server has per-field hash TTLs, and its name and version for messages.
pub fn supported(product: &Product) -> (bool, String) {
    let v = &product.version;
    if product.name == "valkey" {
        let ok = product.major_minor().is_some_and(|mm| mm >= (9, 0));
        return (ok, format!("Valkey {v}"));
    }
    let ok = product.major_minor().is_some_and(|mm| mm >= (7, 4));
    (ok, format!("Redis {v}"))
}

/// Asks the session (one `INFO server` per connection, then remembered).
pub async fn check(session: &Session, c: &mut Conn) -> Result<(bool, String)> {
    Ok(supported(&session.product(c).await?))
}

/// Fills `ttl_ms` of a hash page's fields (-1: none) when the server has field TTLs; fields
/// cut to their start cannot be named and keep none.
pub async fn fill(
    session: &Session,
    c: &mut Conn,
    key: &[u8],
    value: &mut ValueView,
) -> Result<()> {
    let ValueView::Hash { fields, .. } = value else {
        return Ok(());
    };
    let named: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].field.full_len.is_none())
        .collect();
    if named.is_empty() || !check(session, c).await?.0 {
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
    session: &Session,
    c: &mut Conn,
    key: &[u8],
    field: &[u8],
    ttl_ms: Option<u64>,
) -> Result<redis::Cmd> {
    let (ok, version) = check(session, c).await?;
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
        // What INFO server says, as the session reads it.
        let server = |pairs: &[(&str, &str)]| {
            let text: String = pairs.iter().map(|(k, v)| format!("{k}:{v}\r\n")).collect();
            supported(&Product::of(&redscope::health::Info::parse(&format!(
                "# Server\r\n{text}"
            ))))
        };
        assert!(!server(&[("redis_version", "7.0.15")]).0);
        assert!(server(&[("redis_version", "7.4.0")]).0);
        assert!(server(&[("redis_version", "8.2.1")]).0);
        // Valkey reports redis_version 7.2.4 for compatibility; its own version decides.
        let v8 = [
            ("server_name", "valkey"),
            ("redis_version", "7.2.4"),
            ("valkey_version", "8.1.8"),
        ];
        assert_eq!(server(&v8), (false, "Valkey 8.1.8".to_string()));
        assert!(
            server(&[
                ("server_name", "valkey"),
                ("redis_version", "7.2.4"),
                ("valkey_version", "9.0.0")
            ])
            .0
        );
        assert!(!server(&[]).0);
    }
}
