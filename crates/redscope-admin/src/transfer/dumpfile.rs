//! The lossless export file: every key's `DUMP` payload with its absolute expiry, restorable
//! with `RESTORE … ABSTTL` on a server of the same major version. Layout: the magic line, a
//! length-prefixed JSON header, then records (`1`, key, expiry, payload — lengths as u64 LE),
//! closed by an end record (`0`, the record count) so a cut file is recognised as cut.

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use redscope::error::{Error, Result};

/// The first bytes of a lossless export file.
pub const MAGIC: &[u8] = b"REDSCOPE-DUMP\n";
/// Largest header accepted (it is a small JSON object).
const MAX_HEADER: u32 = 64 * 1024;
const TAG_KEY: u8 = 1;
const TAG_END: u8 = 0;

/// What the file says about where it came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// Format version (1).
    pub version: u32,
    /// `redis_version` of the source; DUMP payloads restore on the same major version.
    pub redis_version: String,
    /// When the export started, epoch ms.
    pub created_ms: i64,
}

/// One key of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub key: Vec<u8>,
    /// Absolute expiry in epoch ms; `None` when the key does not expire.
    pub expire_at_ms: Option<i64>,
    /// The `DUMP` payload.
    pub payload: Vec<u8>,
}

/// Writes the file: header first, then records, then [`DumpWriter::finish`].
pub struct DumpWriter<W> {
    out: W,
    count: u64,
    bytes: u64,
}

impl<W: AsyncWrite + Unpin> DumpWriter<W> {
    /// Writes the magic line and the header.
    pub async fn start(mut out: W, header: &Header) -> Result<Self> {
        let h = serde_json::to_vec(header)?;
        out.write_all(MAGIC).await?;
        out.write_all(&(h.len() as u32).to_le_bytes()).await?;
        out.write_all(&h).await?;
        Ok(DumpWriter {
            out,
            count: 0,
            bytes: (MAGIC.len() + 4 + h.len()) as u64,
        })
    }

    /// Appends one key.
    pub async fn write(
        &mut self,
        key: &[u8],
        expire_at_ms: Option<i64>,
        payload: &[u8],
    ) -> Result<()> {
        let o = &mut self.out;
        o.write_all(&[TAG_KEY]).await?;
        o.write_all(&(key.len() as u64).to_le_bytes()).await?;
        o.write_all(key).await?;
        o.write_all(&expire_at_ms.unwrap_or(-1).to_le_bytes())
            .await?;
        o.write_all(&(payload.len() as u64).to_le_bytes()).await?;
        o.write_all(payload).await?;
        self.count += 1;
        self.bytes += 1 + 8 + key.len() as u64 + 8 + 8 + payload.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Writes the end record and flushes; answers the number of keys.
    pub async fn finish(mut self) -> Result<u64> {
        self.out.write_all(&[TAG_END]).await?;
        self.out.write_all(&self.count.to_le_bytes()).await?;
        self.out.flush().await?;
        Ok(self.count)
    }
}

/// Reads the file record by record, refusing lengths beyond what is left of the file.
pub struct DumpReader<R> {
    input: R,
    /// Bytes of the file not read yet (bounds every length read from it).
    left: u64,
    count: u64,
    done: bool,
}

impl<R: AsyncRead + Unpin> DumpReader<R> {
    /// Checks the magic line and reads the header of a file of `size` bytes.
    pub async fn open(mut input: R, size: u64) -> Result<(Self, Header)> {
        let mut magic = vec![0u8; MAGIC.len()];
        if size < MAGIC.len() as u64 + 4
            || input.read_exact(&mut magic).await.is_err()
            || magic != MAGIC
        {
            return Err(Error::InvalidInput(
                "not a Redscope dump file (it does not start with REDSCOPE-DUMP)".into(),
            ));
        }
        let n = input.read_u32_le().await?;
        if n > MAX_HEADER || u64::from(n) > size - MAGIC.len() as u64 - 4 {
            return Err(Error::InvalidInput(
                "the dump file's header is damaged".into(),
            ));
        }
        let mut h = vec![0u8; n as usize];
        input.read_exact(&mut h).await?;
        let header: Header = serde_json::from_slice(&h)
            .map_err(|e| Error::InvalidInput(format!("the dump file's header is damaged: {e}")))?;
        if header.version != 1 {
            return Err(Error::InvalidInput(format!(
                "dump file version {} is not supported (1 is)",
                header.version
            )));
        }
        let left = size - MAGIC.len() as u64 - 4 - u64::from(n);
        Ok((
            DumpReader {
                input,
                left,
                count: 0,
                done: false,
            },
            header,
        ))
    }

    /// Bytes not read yet.
    pub fn left(&self) -> u64 {
        self.left
    }

    async fn take(&mut self, n: u64, what: &str) -> Result<Vec<u8>> {
        if n > self.left {
            return Err(cut(what));
        }
        let mut v = vec![0u8; n as usize];
        self.input.read_exact(&mut v).await.map_err(|_| cut(what))?;
        self.left -= n;
        Ok(v)
    }

    async fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what).await?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// The next record; `None` after the end record (whose count is checked).
    pub async fn next(&mut self) -> Result<Option<Record>> {
        if self.done {
            return Ok(None);
        }
        let tag = self.take(1, "a record").await?[0];
        match tag {
            TAG_END => {
                let n = self.u64("the end record").await?;
                if n != self.count {
                    return Err(Error::InvalidInput(format!(
                        "the dump file says {n} keys but holds {}",
                        self.count
                    )));
                }
                self.done = true;
                Ok(None)
            }
            TAG_KEY => {
                let kl = self.u64("a key length").await?;
                let key = self.take(kl, "a key").await?;
                let exp = self.u64("an expiry").await? as i64;
                let pl = self.u64("a payload length").await?;
                let payload = self.take(pl, "a payload").await?;
                self.count += 1;
                Ok(Some(Record {
                    key,
                    expire_at_ms: (exp >= 0).then_some(exp),
                    payload,
                }))
            }
            other => Err(Error::InvalidInput(format!(
                "the dump file is damaged (record tag {other} after {} keys)",
                self.count
            ))),
        }
    }
}

fn cut(what: &str) -> Error {
    Error::InvalidInput(format!("the dump file is cut short (in {what})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            version: 1,
            redis_version: "7.0.15".into(),
            created_ms: 1,
        }
    }

    async fn file(records: &[Record]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = DumpWriter::start(&mut out, &header()).await.unwrap();
        for r in records {
            w.write(&r.key, r.expire_at_ms, &r.payload).await.unwrap();
        }
        let bytes = w.bytes();
        assert_eq!(w.finish().await.unwrap(), records.len() as u64);
        assert_eq!(bytes + 9, out.len() as u64);
        out
    }

    #[tokio::test]
    async fn records_come_back_as_written_binary_keys_included() {
        let records = vec![
            Record {
                key: b"a".to_vec(),
                expire_at_ms: None,
                payload: vec![0, 1, 2],
            },
            Record {
                key: vec![0xff, 0, b'\n'],
                expire_at_ms: Some(1_700_000_000_000),
                payload: vec![],
            },
        ];
        let bytes = file(&records).await;
        let (mut r, h) = DumpReader::open(&bytes[..], bytes.len() as u64)
            .await
            .unwrap();
        assert_eq!(h, header());
        let mut got = Vec::new();
        while let Some(rec) = r.next().await.unwrap() {
            got.push(rec);
        }
        assert_eq!(got, records);
    }

    #[tokio::test]
    async fn cut_damaged_and_foreign_files_are_refused() {
        let records = vec![Record {
            key: b"key".to_vec(),
            expire_at_ms: None,
            payload: vec![7; 100],
        }];
        let bytes = file(&records).await;
        // Cut anywhere inside the records: an error, never a silent short import.
        for cut_at in [bytes.len() - 1, bytes.len() - 9, bytes.len() - 50] {
            let part = &bytes[..cut_at];
            let (mut r, _) = DumpReader::open(part, part.len() as u64).await.unwrap();
            let mut result = Ok(None);
            for _ in 0..3 {
                result = r.next().await;
                if !matches!(result, Ok(Some(_))) {
                    break;
                }
            }
            let e = result.unwrap_err().to_string();
            assert!(e.contains("cut short"), "{e}");
        }
        let e = DumpReader::open(&b"*1\r\n$4\r\nPING\r\n"[..], 14)
            .await
            .err()
            .unwrap();
        assert!(e.to_string().contains("not a Redscope dump file"));
        // A length pointing past the end is refused before anything is allocated.
        let mut bad = bytes.clone();
        let at = MAGIC.len() + 4 + serde_json::to_vec(&header()).unwrap().len() + 1;
        bad[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let (mut r, _) = DumpReader::open(&bad[..], bad.len() as u64).await.unwrap();
        assert!(r
            .next()
            .await
            .unwrap_err()
            .to_string()
            .contains("cut short"));
    }
}
