//! The one hand-written RESP2 reader, for connections that speak RESP without redis-rs: the
//! channel monitor's subscriber and the benches' bare reference clients. Every length is checked
//! against [`Limits`] before anything is buffered, so a broken or hostile peer cannot make it
//! allocate, recurse or wait without bound, and malformed input is an error, never a panic.
//!
//! It is I/O-free: [`RespBuf`] hands out room to read into ([`RespBuf::spare`]) and parses what
//! was read ([`RespBuf::next_frame`]), so a blocking socket and a tokio stream share it.
//! [`Frame`]s borrow the buffer (a pub/sub message costs no allocation); [`Frame::to_value`]
//! makes an owned [`Value`].

use std::fmt;

/// Bounds on what the reader accepts; a frame beyond any of them is [`RespError::TooLarge`] or
/// [`RespError::TooDeep`], detected from its header before its body is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest bulk string (`$n`), in bytes.
    pub max_bulk: usize,
    /// Most elements of one array (`*n`).
    pub max_array: usize,
    /// Deepest nesting of arrays (a flat array is depth 1).
    pub max_depth: usize,
    /// Longest simple string, error or integer line, and longest length header, in bytes.
    pub max_line: usize,
    /// Largest whole frame, in bytes: the most a [`RespBuf`] grows to.
    pub max_frame: usize,
}

impl Limits {
    /// Redis's own maximum string size (512 MiB) for bulks and frames, a million elements per
    /// array, 32 levels (Redis replies nest a handful deep) and 64 KiB lines.
    pub const DEFAULT: Limits = Limits {
        max_bulk: 512 * 1024 * 1024,
        max_array: 1024 * 1024,
        max_depth: 32,
        max_line: 64 * 1024,
        max_frame: 512 * 1024 * 1024 + 64 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why bytes are not a RESP2 frame the reader accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RespError {
    /// The bytes break the protocol (an unknown type byte, a bad length, a missing CRLF).
    #[error("malformed RESP at byte {at}: {what}")]
    Malformed {
        /// Offset in the frame where the problem is.
        at: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A length beyond its [`Limits`] (or beyond any representable size).
    #[error("RESP {what} of {len} is over the limit of {limit}")]
    TooLarge {
        /// `bulk string`, `array`, `line` or `frame`.
        what: &'static str,
        /// The length announced or reached.
        len: u64,
        /// The limit it exceeds.
        limit: usize,
    },
    /// Arrays nested deeper than [`Limits::max_depth`].
    #[error("RESP arrays nested deeper than {0} levels")]
    TooDeep(usize),
}

impl From<RespError> for redscope::Error {
    fn from(e: RespError) -> Self {
        redscope::Error::Codec(e.to_string())
    }
}

/// One RESP2 frame, borrowing the bytes it was parsed from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `+OK`
    Simple(&'a [u8]),
    /// `-ERR …` (the text after `-`)
    Error(&'a [u8]),
    /// `:42`
    Int(i64),
    /// `$n …`
    Bulk(&'a [u8]),
    /// `$-1` or `*-1`
    Nil,
    /// `*n …`
    Array(Array<'a>),
}

/// The elements of an array frame, already validated, decoded one by one when iterated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Array<'a> {
    len: usize,
    body: &'a [u8],
}

impl<'a> Array<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for `*0`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The elements in order.
    pub fn iter(&self) -> ArrayIter<'a> {
        ArrayIter {
            left: self.len,
            rest: self.body,
        }
    }
}

impl<'a> IntoIterator for Array<'a> {
    type Item = Frame<'a>;
    type IntoIter = ArrayIter<'a>;
    fn into_iter(self) -> ArrayIter<'a> {
        self.iter()
    }
}

/// Iterator over an [`Array`]'s elements.
#[derive(Clone)]
pub struct ArrayIter<'a> {
    left: usize,
    rest: &'a [u8],
}

impl<'a> Iterator for ArrayIter<'a> {
    type Item = Frame<'a>;

    fn next(&mut self) -> Option<Frame<'a>> {
        if self.left == 0 {
            return None;
        }
        // The array was validated as a whole under the caller's limits; these only bound work.
        let (frame, used) = parse(self.rest, &UNCHECKED).ok().flatten()?;
        self.rest = &self.rest[used..];
        self.left -= 1;
        Some(frame)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Limits for re-reading bytes that were validated already.
const UNCHECKED: Limits = Limits {
    max_bulk: usize::MAX,
    max_array: usize::MAX,
    max_depth: usize::MAX,
    max_line: usize::MAX,
    max_frame: usize::MAX,
};

impl fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Simple(s) => write!(f, "Simple({:?})", String::from_utf8_lossy(s)),
            Frame::Error(s) => write!(f, "Error({:?})", String::from_utf8_lossy(s)),
            Frame::Int(n) => write!(f, "Int({n})"),
            Frame::Bulk(b) => write!(f, "Bulk({:?})", String::from_utf8_lossy(b)),
            Frame::Nil => f.write_str("Nil"),
            Frame::Array(a) => f.debug_list().entries(a.iter()).finish(),
        }
    }
}

impl fmt::Debug for Array<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Frame<'_> {
    /// An owned copy (strings and errors as lossy UTF-8).
    pub fn to_value(&self) -> Value {
        match self {
            Frame::Simple(s) => Value::Simple(String::from_utf8_lossy(s).into_owned()),
            Frame::Error(s) => Value::Error(String::from_utf8_lossy(s).into_owned()),
            Frame::Int(n) => Value::Int(*n),
            Frame::Bulk(b) => Value::Bulk(b.to_vec()),
            Frame::Nil => Value::Nil,
            Frame::Array(a) => Value::Array(a.iter().map(|f| f.to_value()).collect()),
        }
    }
}

/// An owned RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `+OK`
    Simple(String),
    /// `-ERR …`
    Error(String),
    /// `:42`
    Int(i64),
    /// `$n …`
    Bulk(Vec<u8>),
    /// `$-1` / `*-1`
    Nil,
    /// `*n …`
    Array(Vec<Value>),
}

/// Parses the frame at the start of `buf`: `Ok(None)` while it is incomplete, else the frame
/// and the number of bytes it takes.
pub fn parse<'a>(buf: &'a [u8], limits: &Limits) -> Result<Option<(Frame<'a>, usize)>, RespError> {
    let Some(&kind) = buf.first() else {
        return Ok(None);
    };
    check_type(kind, 0)?;
    let Some((line, after)) = line(buf, 0, limits)? else {
        return Ok(None);
    };
    let (frame, end) = match kind {
        b'+' => (Frame::Simple(line), after),
        b'-' => (Frame::Error(line), after),
        b':' => (Frame::Int(int(line, 1)?), after),
        b'$' => match length(line, 1, "bulk string", limits.max_bulk)? {
            None => (Frame::Nil, after),
            Some(n) => match bulk_end(buf, after, n, limits)? {
                Some(end) => (Frame::Bulk(&buf[after..end - 2]), end),
                None => return Ok(None),
            },
        },
        _ => match length(line, 1, "array", limits.max_array)? {
            None => (Frame::Nil, after),
            Some(n) => match elements(buf, after, n, limits, 1)? {
                Some(end) => (
                    Frame::Array(Array {
                        len: n,
                        body: &buf[after..end],
                    }),
                    end,
                ),
                None => return Ok(None),
            },
        },
    };
    if end > limits.max_frame {
        return Err(too_large("frame", end as u64, limits.max_frame));
    }
    Ok(Some((frame, end)))
}

/// The length of the frame at the start of `buf` (`Ok(None)` while incomplete), validated under
/// `limits` without building it: what a reader that only counts frames needs.
pub fn frame_len(buf: &[u8], limits: &Limits) -> Result<Option<usize>, RespError> {
    let end = scan(buf, 0, limits, 1)?;
    if let Some(end) = end {
        if end > limits.max_frame {
            return Err(too_large("frame", end as u64, limits.max_frame));
        }
    }
    Ok(end)
}

/// Validates the frame starting at `pos`, an array of nesting level `depth` if it is one (the
/// outermost is 1); returns where it ends.
fn scan(buf: &[u8], pos: usize, limits: &Limits, depth: usize) -> Result<Option<usize>, RespError> {
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    check_type(kind, pos)?;
    let Some((line, after)) = line(buf, pos, limits)? else {
        return Ok(None);
    };
    match kind {
        b'+' | b'-' => Ok(Some(after)),
        b':' => int(line, pos + 1).map(|_| Some(after)),
        b'$' => match length(line, pos + 1, "bulk string", limits.max_bulk)? {
            None => Ok(Some(after)),
            Some(n) => bulk_end(buf, after, n, limits),
        },
        _ => match length(line, pos + 1, "array", limits.max_array)? {
            None => Ok(Some(after)),
            Some(n) => elements(buf, after, n, limits, depth),
        },
    }
}

fn check_type(kind: u8, at: usize) -> Result<(), RespError> {
    match kind {
        b'+' | b'-' | b':' | b'$' | b'*' => Ok(()),
        _ => Err(malformed(at, "unknown RESP type byte")),
    }
}

/// Where a bulk string of `n` bytes whose body starts at `body` ends (after its CRLF).
fn bulk_end(
    buf: &[u8],
    body: usize,
    n: usize,
    limits: &Limits,
) -> Result<Option<usize>, RespError> {
    let Some(end) = body.checked_add(n).and_then(|e| e.checked_add(2)) else {
        return Err(too_large("bulk string", n as u64, limits.max_bulk));
    };
    if buf.len() < end {
        return Ok(None);
    }
    if &buf[end - 2..end] != b"\r\n" {
        return Err(malformed(end - 2, "bulk string not followed by CRLF"));
    }
    Ok(Some(end))
}

/// Where the `n` elements of an array at nesting level `depth`, starting at `at`, end.
fn elements(
    buf: &[u8],
    mut at: usize,
    n: usize,
    limits: &Limits,
    depth: usize,
) -> Result<Option<usize>, RespError> {
    if depth > limits.max_depth {
        return Err(RespError::TooDeep(limits.max_depth));
    }
    for _ in 0..n {
        match scan(buf, at, limits, depth + 1)? {
            Some(end) => at = end,
            None => return Ok(None),
        }
        if at > limits.max_frame {
            return Err(too_large("frame", at as u64, limits.max_frame));
        }
    }
    Ok(Some(at))
}

/// The line after the type byte at `pos` (without CRLF) and where the next one starts;
/// `Ok(None)` while its CRLF has not arrived.
fn line<'a>(
    buf: &'a [u8],
    pos: usize,
    limits: &Limits,
) -> Result<Option<(&'a [u8], usize)>, RespError> {
    let start = pos + 1;
    let rest = buf.get(start..).unwrap_or_default();
    let window = &rest[..rest.len().min(limits.max_line.saturating_add(1))];
    match window.iter().position(|&b| b == b'\r' || b == b'\n') {
        Some(i) if window[i] == b'\n' => Err(malformed(start + i, "LF without CR")),
        Some(i) => match rest.get(i + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some((&rest[..i], start + i + 2))),
            Some(_) => Err(malformed(start + i, "CR not followed by LF")),
        },
        None if rest.len() > limits.max_line => {
            Err(too_large("line", rest.len() as u64, limits.max_line))
        }
        None => Ok(None),
    }
}

/// A signed decimal as RESP writes it (digits with an optional `-`; no `+`, no spaces).
fn int(line: &[u8], at: usize) -> Result<i64, RespError> {
    let (negative, digits) = match line {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, line),
    };
    if digits.is_empty() {
        return Err(malformed(at, "not an integer"));
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(malformed(at, "not an integer"));
        }
        let d = i64::from(d - b'0');
        // Accumulated on the sign's side, so i64::MIN parses too.
        n = n
            .checked_mul(10)
            .and_then(|n| {
                if negative {
                    n.checked_sub(d)
                } else {
                    n.checked_add(d)
                }
            })
            .ok_or(RespError::Malformed {
                at,
                what: "integer out of range",
            })?;
    }
    Ok(n)
}

/// A bulk or array length: `None` for `-1` (nil), an error beyond `limit` or below `-1`.
fn length(
    line: &[u8],
    at: usize,
    what: &'static str,
    limit: usize,
) -> Result<Option<usize>, RespError> {
    match int(line, at) {
        Ok(-1) => Ok(None),
        Ok(n) if n < 0 => Err(malformed(at, "negative length")),
        Ok(n) => match usize::try_from(n) {
            Ok(n) if n <= limit => Ok(Some(n)),
            _ => Err(too_large(what, n as u64, limit)),
        },
        // A length too long for an i64 is over any limit.
        Err(_) if !line.is_empty() && line.iter().all(u8::is_ascii_digit) => {
            Err(too_large(what, u64::MAX, limit))
        }
        Err(e) => Err(e),
    }
}

fn malformed(at: usize, what: &'static str) -> RespError {
    RespError::Malformed { at, what }
}

fn too_large(what: &'static str, len: u64, limit: usize) -> RespError {
    RespError::TooLarge { what, len, limit }
}

/// A read buffer with a moving start: bytes are read into [`RespBuf::spare`], frames parsed
/// from the unread part and consumed. It compacts when full, grows only for a frame larger than
/// itself (up to [`Limits::max_frame`]) and shrinks back once such a frame is consumed.
pub struct RespBuf {
    data: Vec<u8>,
    start: usize,
    end: usize,
    initial: usize,
    limits: Limits,
}

impl RespBuf {
    /// An empty buffer of `initial` bytes (at least 64) reading under `limits`.
    pub fn new(initial: usize, limits: Limits) -> RespBuf {
        let initial = initial.max(64);
        RespBuf {
            data: vec![0; initial],
            start: 0,
            end: 0,
            initial,
            limits,
        }
    }

    /// The limits frames are read under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes read and not consumed yet.
    pub fn unread(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Appends bytes read elsewhere (a handshake's leftovers), growing as needed.
    pub fn extend(&mut self, bytes: &[u8]) -> Result<(), RespError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = self.spare()?;
            let n = room.len().min(rest.len());
            room[..n].copy_from_slice(&rest[..n]);
            self.filled(n);
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Room to read into (never empty). When the buffer is full it first moves the unread bytes
    /// to the front, then doubles — an error once the unread frame would pass `max_frame`.
    pub fn spare(&mut self) -> Result<&mut [u8], RespError> {
        if self.end == self.data.len() {
            if self.start > 0 {
                self.data.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let len = self.data.len();
                if len >= self.limits.max_frame {
                    return Err(too_large("frame", len as u64, self.limits.max_frame));
                }
                self.data
                    .resize(len.saturating_mul(2).min(self.limits.max_frame), 0);
            }
        }
        Ok(&mut self.data[self.end..])
    }

    /// Marks `n` bytes of the last [`RespBuf::spare`] as read.
    pub fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.data.len());
    }

    /// The next complete frame of the unread bytes and its length (`Ok(None)`: read more).
    pub fn next_frame(&self) -> Result<Option<(Frame<'_>, usize)>, RespError> {
        parse(self.unread(), &self.limits)
    }

    /// Drops the first `n` unread bytes (a frame's length from [`RespBuf::next_frame`]).
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            // Give back the room a huge frame needed.
            if self.data.len() > 4 * self.initial {
                self.data.truncate(self.initial);
                self.data.shrink_to_fit();
            }
        }
    }
}

/// A command as a RESP array of bulk strings, as clients send it.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Value {
        let (frame, used) = parse(bytes, &Limits::DEFAULT).unwrap().unwrap();
        assert_eq!(used, bytes.len(), "{:?}", String::from_utf8_lossy(bytes));
        frame.to_value()
    }

    fn bulk(s: &str) -> Value {
        Value::Bulk(s.as_bytes().to_vec())
    }

    #[test]
    fn reads_every_resp2_type() {
        assert_eq!(one(b"+OK\r\n"), Value::Simple("OK".into()));
        assert_eq!(
            one(b"-ERR unknown command\r\n"),
            Value::Error("ERR unknown command".into())
        );
        assert_eq!(one(b":-42\r\n"), Value::Int(-42));
        assert_eq!(one(b":-9223372036854775808\r\n"), Value::Int(i64::MIN));
        assert!(parse(b":9223372036854775808\r\n", &Limits::DEFAULT).is_err());
        assert_eq!(one(b"$5\r\nhe\r\no\r\n"), bulk("he\r\no"));
        assert_eq!(one(b"$0\r\n\r\n"), bulk(""));
        assert_eq!(one(b"$-1\r\n"), Value::Nil);
        assert_eq!(one(b"*-1\r\n"), Value::Nil);
        assert_eq!(one(b"*0\r\n"), Value::Array(vec![]));
    }

    #[test]
    fn reads_nested_arrays_with_nulls_and_errors() {
        // An XREAD-like reply: [[stream, [[id, [field, value]]]]], with a nil and an error inside.
        let wire = b"*3\r\n*2\r\n$11\r\nmarket:data\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$5\r\nprice\r\n$3\r\n101\r\n$-1\r\n-WRONGTYPE nope\r\n";
        assert_eq!(
            one(wire),
            Value::Array(vec![
                Value::Array(vec![
                    bulk("market:data"),
                    Value::Array(vec![Value::Array(vec![
                        bulk("1-0"),
                        Value::Array(vec![bulk("price"), bulk("101")]),
                    ])]),
                ]),
                Value::Nil,
                Value::Error("WRONGTYPE nope".into()),
            ])
        );
        let (Frame::Array(a), _) = parse(wire, &Limits::DEFAULT).unwrap().unwrap() else {
            panic!("an array")
        };
        assert_eq!((a.len(), a.iter().count()), (3, 3));
    }

    #[test]
    fn incomplete_frames_wait_at_every_cut() {
        let wire = b"*4\r\n$8\r\npmessage\r\n$7\r\nbench:*\r\n$9\r\nbench:abc\r\n$2\r\nhi\r\n";
        assert_eq!(frame_len(wire, &Limits::DEFAULT), Ok(Some(wire.len())));
        for cut in 0..wire.len() {
            assert_eq!(
                parse(&wire[..cut], &Limits::DEFAULT),
                Ok(None),
                "cut at {cut}"
            );
        }
        // Two frames back to back: the first is taken alone.
        let mut two = wire.to_vec();
        two.extend_from_slice(b"+OK\r\n");
        assert_eq!(frame_len(&two, &Limits::DEFAULT), Ok(Some(wire.len())));
    }

    #[test]
    fn frames_split_across_reads_come_out_whole() {
        let mut wire = Vec::new();
        for i in 0..50 {
            let payload = format!("payload-{i}-{}", "x".repeat(i * 7));
            wire.extend(encode_command(&[b"message", b"ch", payload.as_bytes()]));
        }
        for chunk in [1, 2, 3, 7, 64, 1000] {
            let mut buf = RespBuf::new(64, Limits::DEFAULT);
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                let mut rest = piece;
                while !rest.is_empty() {
                    let room = buf.spare().unwrap();
                    let n = room.len().min(rest.len());
                    room[..n].copy_from_slice(&rest[..n]);
                    buf.filled(n);
                    rest = &rest[n..];
                }
                while let Some((frame, used)) = buf.next_frame().unwrap() {
                    got.push(frame.to_value());
                    buf.consume(used);
                }
            }
            assert_eq!(got.len(), 50, "chunks of {chunk}");
            assert_eq!(
                got[49],
                Value::Array(vec![
                    bulk("message"),
                    bulk("ch"),
                    Value::Bulk(format!("payload-49-{}", "x".repeat(343)).into_bytes()),
                ])
            );
            assert!(buf.unread().is_empty());
        }
    }

    #[test]
    fn oversized_lengths_are_refused_from_the_header() {
        let small = Limits {
            max_bulk: 16,
            max_array: 4,
            max_depth: 2,
            max_line: 32,
            max_frame: 256,
        };
        let too_large = |r: Result<Option<(Frame<'_>, usize)>, RespError>| {
            matches!(r, Err(RespError::TooLarge { .. }))
        };
        // Refused before the body arrives: nothing is waited for or buffered.
        assert!(too_large(parse(b"$17\r\n", &small)));
        assert!(too_large(parse(b"*5\r\n", &small)));
        assert!(too_large(parse(b"$99999999999999999999999\r\n", &small)));
        assert!(too_large(parse(
            b"$9223372036854775807\r\n",
            &Limits::DEFAULT
        )));
        assert!(too_large(parse(&[b'+'; 40], &small)));
        assert_eq!(
            parse(b"*1\r\n*1\r\n*1\r\n", &small),
            Err(RespError::TooDeep(2))
        );
        // Within every limit but bigger than a frame may be.
        let wide = b"*4\r\n$16\r\naaaaaaaaaaaaaaaa\r\n$16\r\naaaaaaaaaaaaaaaa\r\n";
        let tight = Limits {
            max_frame: 40,
            ..small
        };
        assert!(too_large(parse(wide, &tight)));
        // The buffer stops growing at max_frame.
        let mut buf = RespBuf::new(64, tight);
        buf.extend(&[b'x'; 40]).unwrap();
        assert!(buf.extend(&[b'x'; 64]).is_err());
    }

    #[test]
    fn malformed_input_is_an_error_not_a_hang() {
        for bad in [
            &b"?what\r\n"[..],
            b"+ab\rc\r\n",
            b"+ab\nc\r\n",
            b":12a\r\n",
            b":\r\n",
            b"$-2\r\n",
            b"*-5\r\n",
            b"$3\r\nabcde\r\n",
            b"$ 3\r\nabc\r\n",
            b"*1\r\n!\r\n",
        ] {
            assert!(
                matches!(
                    parse(bad, &Limits::DEFAULT),
                    Err(RespError::Malformed { .. })
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn nesting_at_the_limit_is_accepted_and_one_more_level_refused() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::DEFAULT
        };
        assert_eq!(
            one_with(b"*1\r\n*1\r\n*1\r\n:1\r\n", &limits),
            Value::Array(vec![Value::Array(vec![Value::Array(vec![Value::Int(1)])])])
        );
        assert_eq!(
            parse(b"*1\r\n*1\r\n*1\r\n*0\r\n", &limits),
            Err(RespError::TooDeep(3))
        );
        // Refused from the headers alone, before the rest arrives.
        assert_eq!(
            parse(b"*1\r\n*1\r\n*1\r\n*1\r\n", &limits),
            Err(RespError::TooDeep(3))
        );
    }

    fn one_with(bytes: &[u8], limits: &Limits) -> Value {
        parse(bytes, limits).unwrap().unwrap().0.to_value()
    }

    #[test]
    fn the_buffer_shrinks_after_a_big_frame() {
        let mut buf = RespBuf::new(64, Limits::DEFAULT);
        let big = encode_command(&[&[b'z'; 4096]]);
        buf.extend(&big).unwrap();
        let (_, used) = buf.next_frame().unwrap().unwrap();
        buf.consume(used);
        assert!(buf.unread().is_empty());
        assert_eq!(buf.data.len(), 64);
    }
}
