//! Redis commands as `redis-cli --pipe` reads them: RESP arrays of bulk strings, written one
//! command at a time and read back with every length checked against what is left of the file.
//! An import runs only the data commands an export writes ([`key_of`]); anything else in a
//! file (FLUSHALL, CONFIG, …) is refused by name.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use redscope::error::{Error, Result};

/// Most arguments one command of an import file may have.
const MAX_ARGS: u64 = 1 << 20;
/// Longest header line (`*N` or `$N`).
const MAX_LINE: u64 = 32;

/// Writes `args` as one RESP command; answers the bytes written.
pub async fn write_command<W: AsyncWrite + Unpin>(out: &mut W, args: &[&[u8]]) -> Result<u64> {
    let mut head = format!("*{}\r\n", args.len());
    let mut n = 0u64;
    for a in args {
        head.push_str(&format!("${}\r\n", a.len()));
        out.write_all(head.as_bytes()).await?;
        out.write_all(a).await?;
        out.write_all(b"\r\n").await?;
        n += (head.len() + a.len() + 2) as u64;
        head.clear();
    }
    Ok(n)
}

/// The key a data command writes, by the argument it sits at; `None` for any other command.
pub fn key_of(args: &[Vec<u8>]) -> Option<&[u8]> {
    let name = std::str::from_utf8(args.first()?)
        .ok()?
        .to_ascii_uppercase();
    let at = match name.as_str() {
        "SET" | "RPUSH" | "LPUSH" | "HSET" | "HMSET" | "SADD" | "ZADD" | "XADD" | "PEXPIREAT"
        | "PEXPIRE" | "EXPIRE" | "EXPIREAT" | "RESTORE" | "DEL" | "UNLINK" | "PERSIST" => 1,
        "XGROUP" => {
            let sub = std::str::from_utf8(args.get(1)?).ok()?;
            if !sub.eq_ignore_ascii_case("CREATE") && !sub.eq_ignore_ascii_case("SETID") {
                return None;
            }
            2
        }
        _ => return None,
    };
    args.get(at).map(|k| k.as_slice())
}

/// Reads RESP commands from a file of known size.
pub struct CommandReader<R> {
    input: R,
    left: u64,
    /// Commands read so far.
    pub count: u64,
}

impl<R: AsyncBufRead + Unpin> CommandReader<R> {
    pub fn new(input: R, size: u64) -> Self {
        CommandReader {
            input,
            left: size,
            count: 0,
        }
    }

    /// Bytes not read yet.
    pub fn left(&self) -> u64 {
        self.left
    }

    async fn line(&mut self, want: u8) -> Result<u64> {
        let mut buf = Vec::new();
        (&mut self.input)
            .take(MAX_LINE.min(self.left))
            .read_until(b'\n', &mut buf)
            .await?;
        self.left -= buf.len() as u64;
        let bad = || {
            Error::InvalidInput(format!(
                "command {} of the file is not a RESP command (redis-cli --pipe format)",
                self.count + 1
            ))
        };
        if buf.len() < 3 || buf[0] != want || !buf.ends_with(b"\r\n") {
            return Err(bad());
        }
        std::str::from_utf8(&buf[1..buf.len() - 2])
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(bad)
    }

    /// The next command's arguments; `None` at the end of the file.
    pub async fn next(&mut self) -> Result<Option<Vec<Vec<u8>>>> {
        // Blank lines between commands are tolerated.
        loop {
            if self.left == 0 {
                return Ok(None);
            }
            let first = self.input.fill_buf().await?.first().copied();
            match first {
                None => return Err(Error::InvalidInput("the command file is cut short".into())),
                Some(b'\r') | Some(b'\n') => {
                    self.input.consume(1);
                    self.left -= 1;
                }
                Some(_) => break,
            }
        }
        let n = self.line(b'*').await?;
        if n == 0 || n > MAX_ARGS {
            return Err(Error::InvalidInput(format!(
                "command {} of the file has {n} arguments",
                self.count + 1
            )));
        }
        let mut args = Vec::with_capacity(n.min(1024) as usize);
        for _ in 0..n {
            let len = self.line(b'$').await?;
            if len + 2 > self.left {
                return Err(Error::InvalidInput(format!(
                    "the command file is cut short (in command {})",
                    self.count + 1
                )));
            }
            let mut a = vec![0u8; len as usize + 2];
            self.input.read_exact(&mut a).await?;
            self.left -= len + 2;
            if !a.ends_with(b"\r\n") {
                return Err(Error::InvalidInput(format!(
                    "command {} of the file is damaged",
                    self.count + 1
                )));
            }
            a.truncate(len as usize);
            args.push(a);
        }
        self.count += 1;
        Ok(Some(args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_come_back_as_written() {
        let mut out = Vec::new();
        let n1 = write_command(&mut out, &[&b"SET"[..], &b"k\r\n"[..], &[0xff, 0][..]])
            .await
            .unwrap();
        let n2 = write_command(&mut out, &[&b"PEXPIREAT"[..], &b"k\r\n"[..], &b"17"[..]])
            .await
            .unwrap();
        assert_eq!(n1 + n2, out.len() as u64);
        assert!(out.starts_with(b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n"));
        let mut r = CommandReader::new(&out[..], out.len() as u64);
        let a = r.next().await.unwrap().unwrap();
        assert_eq!(a, vec![b"SET".to_vec(), b"k\r\n".to_vec(), vec![0xff, 0]]);
        assert_eq!(key_of(&a), Some(&b"k\r\n"[..]));
        let b = r.next().await.unwrap().unwrap();
        assert_eq!(key_of(&b), Some(&b"k\r\n"[..]));
        assert_eq!(r.next().await.unwrap(), None);
    }

    #[tokio::test]
    async fn other_commands_and_broken_files_are_refused() {
        let flush = vec![b"FLUSHALL".to_vec()];
        assert_eq!(key_of(&flush), None);
        let destroy = vec![
            b"XGROUP".to_vec(),
            b"DESTROY".to_vec(),
            b"s".to_vec(),
            b"g".to_vec(),
        ];
        assert_eq!(key_of(&destroy), None);
        for bad in [
            &b"SET a b\r\n"[..],
            b"*2\r\n$3\r\nSET\r\n$9\r\nab\r\n",
            b"*1\r\n$99999999999\r\n",
        ] {
            let mut r = CommandReader::new(bad, bad.len() as u64);
            assert!(
                r.next().await.is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
