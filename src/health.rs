//! Server health: `PING` latency and `INFO` parsed into typed figures.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use redis::aio::ConnectionLike;
use serde::Serialize;

use crate::error::Result;

/// `INFO` output as `section -> field -> value`, with typed accessors for the fields we use.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Info {
    /// Raw fields per section (lower-case section names, e.g. `server`, `memory`).
    pub sections: BTreeMap<String, BTreeMap<String, String>>,
}

impl Info {
    /// Parses the text of an `INFO` reply. Unknown or malformed lines are kept or skipped, never fatal.
    pub fn parse(text: &str) -> Info {
        let mut info = Info::default();
        let mut section = String::from("default");
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(name) = line.strip_prefix("# ") {
                section = name.trim().to_ascii_lowercase();
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                info.sections
                    .entry(section.clone())
                    .or_default()
                    .insert(k.to_string(), v.to_string());
            }
        }
        info
    }

    /// A field from any section.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.sections
            .values()
            .find_map(|s| s.get(field))
            .map(String::as_str)
    }

    /// A numeric field from any section.
    pub fn get_f64(&self, field: &str) -> Option<f64> {
        self.get(field).and_then(|v| v.trim().parse().ok())
    }

    /// A whole-number field from any section.
    pub fn get_u64(&self, field: &str) -> Option<u64> {
        self.get(field).and_then(|v| v.trim().parse().ok())
    }
}

/// Round-trip time of one `PING`.
pub async fn ping<C: ConnectionLike + Send>(conn: &mut C) -> Result<Duration> {
    let start = Instant::now();
    let _: String = redis::cmd("PING").query_async(conn).await?;
    Ok(start.elapsed())
}

/// `INFO [section]`, parsed.
pub async fn info<C: ConnectionLike + Send>(conn: &mut C, section: Option<&str>) -> Result<Info> {
    let mut cmd = redis::cmd("INFO");
    if let Some(s) = section {
        cmd.arg(s);
    }
    let text: String = cmd.query_async(conn).await?;
    Ok(Info::parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_numbers() {
        let info = Info::parse(
            "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\n\r\n# Memory\r\nused_memory:1024\r\nmem_fragmentation_ratio:1.5\r\ngarbage\r\n",
        );
        assert_eq!(info.get("redis_version"), Some("7.0.15"));
        assert_eq!(info.get_u64("uptime_in_seconds"), Some(42));
        assert_eq!(info.get_f64("mem_fragmentation_ratio"), Some(1.5));
        assert_eq!(info.sections["memory"]["used_memory"], "1024");
        assert_eq!(info.get("garbage"), None);
    }
}
