//! Incremental parser for client requests: RESP multibulk and inline commands.
//!
//! Limits and error texts follow Redis 7.0's `processMultibulkBuffer` and
//! `processInlineBuffer`: a protocol error is answered with `-ERR Protocol
//! error: ...` and the connection is closed after the reply.

use bytes::{Buf, Bytes, BytesMut};

/// Longest inline request or multibulk/bulk header line Redis accepts.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Largest multibulk count Redis accepts.
pub const MAX_MULTIBULK_LEN: i64 = 1024 * 1024 * 1024;
/// Limits for clients that have not authenticated yet (Redis 7.0 behaviour).
pub const UNAUTH_MAX_MULTIBULK_LEN: i64 = 10;
pub const UNAUTH_MAX_BULK_LEN: i64 = 16384;

/// A protocol violation; the text is what follows `-ERR ` in the reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(s: &str) -> ProtocolError {
        ProtocolError(format!("Protocol error: {s}"))
    }
}

/// Per-connection parser state, so a big bulk arriving in pieces is not rescanned.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Remaining bulk strings in the current multibulk, 0 when between requests.
    multibulk_left: i64,
    /// Length of the bulk being read, or -1 while its `$` header is pending.
    bulk_len: i64,
    args: Vec<Bytes>,
    /// Largest bulk length allowed (`proto-max-bulk-len`).
    pub max_bulk_len: i64,
}

/// Find `\r\n`... Redis searches for `\r` and requires `\n` to follow only for multibulk.
fn find_crlf(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(i) = buf[start..].iter().position(|&b| b == b'\r') {
        let at = start + i;
        if at + 1 < buf.len() {
            if buf[at + 1] == b'\n' {
                return Some(at);
            }
            start = at + 1;
        } else {
            return None;
        }
    }
    None
}

/// Lengths are read with Redis's `string2ll`: no `+`, no leading zeros.
fn parse_len(line: &[u8]) -> Option<i64> {
    super::parse_i64(line)
}

impl RequestParser {
    pub fn new(max_bulk_len: i64) -> RequestParser {
        RequestParser {
            multibulk_left: 0,
            bulk_len: -1,
            args: Vec::new(),
            max_bulk_len,
        }
    }

    /// Parse the next complete request from `buf`, consuming its bytes.
    /// `Ok(None)` means more bytes are needed. An empty argument vector is
    /// never returned: empty requests are skipped, as Redis does.
    pub fn next(
        &mut self,
        buf: &mut BytesMut,
        authenticated: bool,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if self.multibulk_left == 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                if buf[0] == b'*' {
                    match self.start_multibulk(buf, authenticated)? {
                        None => return Ok(None),
                        Some(false) => continue, // empty multibulk, skip
                        Some(true) => {}
                    }
                } else {
                    match self.inline(buf)? {
                        None => return Ok(None),
                        Some(args) if args.is_empty() => continue,
                        Some(args) => return Ok(Some(args)),
                    }
                }
            }
            if !self.read_bulks(buf, authenticated)? {
                return Ok(None);
            }
            return Ok(Some(std::mem::take(&mut self.args)));
        }
    }

    /// Returns Some(true) when a multibulk with arguments begins.
    fn start_multibulk(
        &mut self,
        buf: &mut BytesMut,
        authenticated: bool,
    ) -> Result<Option<bool>, ProtocolError> {
        let Some(end) = find_crlf(buf) else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::new("too big mbulk count string"));
            }
            return Ok(None);
        };
        let n = parse_len(&buf[1..end]);
        let n = match n {
            Some(n) if n <= MAX_MULTIBULK_LEN => n,
            _ => return Err(ProtocolError::new("invalid multibulk length")),
        };
        if !authenticated && n > UNAUTH_MAX_MULTIBULK_LEN {
            return Err(ProtocolError::new("invalid multibulk length"));
        }
        buf.advance(end + 2);
        if n <= 0 {
            return Ok(Some(false));
        }
        self.multibulk_left = n;
        self.bulk_len = -1;
        self.args = Vec::with_capacity(n.min(1024) as usize);
        Ok(Some(true))
    }

    /// Returns true when the whole multibulk has been read.
    fn read_bulks(
        &mut self,
        buf: &mut BytesMut,
        authenticated: bool,
    ) -> Result<bool, ProtocolError> {
        while self.multibulk_left > 0 {
            if self.bulk_len == -1 {
                let Some(end) = find_crlf(buf) else {
                    if buf.len() > INLINE_MAX_SIZE {
                        return Err(ProtocolError::new("too big bulk count string"));
                    }
                    return Ok(false);
                };
                if buf[0] != b'$' {
                    return Err(ProtocolError(format!(
                        "Protocol error: expected '$', got '{}'",
                        buf[0] as char
                    )));
                }
                let n = parse_len(&buf[1..end]);
                let limit = if authenticated {
                    self.max_bulk_len
                } else {
                    UNAUTH_MAX_BULK_LEN
                };
                let n = match n {
                    Some(n) if n >= 0 && n <= limit => n,
                    _ => return Err(ProtocolError::new("invalid bulk length")),
                };
                buf.advance(end + 2);
                self.bulk_len = n;
                // Reserve room for a big argument up front so it arrives without reallocations.
                let need = n as usize + 2;
                if need > buf.len() && need >= 32 * 1024 {
                    buf.reserve(need - buf.len());
                }
            }
            let need = self.bulk_len as usize + 2;
            if buf.len() < need {
                return Ok(false);
            }
            let arg = buf.split_to(self.bulk_len as usize).freeze();
            buf.advance(2);
            self.args.push(arg);
            self.bulk_len = -1;
            self.multibulk_left -= 1;
        }
        Ok(true)
    }

    fn inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(None);
        };
        let mut line_end = nl;
        if line_end > 0 && buf[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        let parsed = split_args(&buf[..line_end]);
        buf.advance(nl + 1);
        match parsed {
            Some(args) => Ok(Some(args.into_iter().map(Bytes::from).collect())),
            None => Err(ProtocolError::new("unbalanced quotes in request")),
        }
    }
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Split a line into arguments the way Redis's `sdssplitargs` does: spaces
/// separate, `"..."` understands escapes, `'...'` only `\'`. `None` on
/// unbalanced quotes or a closing quote not followed by a space.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    // Like the C original, a NUL byte ends the line.
    let n = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq || in_sq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                let quote = if in_dq { b'"' } else { b'\'' };
                if c == quote {
                    // A closing quote must end the argument.
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return None;
                    }
                    i += 1;
                    break;
                } else if in_dq
                    && c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex_val(line[i + 2]).is_some()
                    && hex_val(line[i + 3]).is_some()
                {
                    cur.push(hex_val(line[i + 2])? * 16 + hex_val(line[i + 3])?);
                    i += 3;
                } else if in_dq && c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if in_sq && c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        break;
                    }
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut p = RequestParser::new(512 * 1024 * 1024);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(a) = p.next(&mut buf, true)? {
            out.push(a);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_pipelining() {
        let r = parse_all(b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1][1], Bytes::from_static(b"hi"));
    }

    #[test]
    fn inline_with_quotes() {
        let r = parse_all(b"set k \"a b\\x41\"\r\nget 'k'\n\r\n").unwrap();
        assert_eq!(r[0][2], Bytes::from_static(b"a bA"));
        assert_eq!(r[1][1], Bytes::from_static(b"k"));
        assert_eq!(r.len(), 2);
        assert_eq!(
            parse_all(b"set \"k\r\n").unwrap_err().0,
            "Protocol error: unbalanced quotes in request"
        );
    }

    #[test]
    fn bulk_in_pieces() {
        let mut p = RequestParser::new(512 * 1024 * 1024);
        let mut buf = BytesMut::new();
        let msg = b"*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n";
        for (i, b) in msg.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let r = p.next(&mut buf, true).unwrap();
            if i + 1 < msg.len() {
                assert!(r.is_none());
            } else {
                assert_eq!(r.unwrap()[1], Bytes::from_static(b"0123456789"));
            }
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_all(b"*1\r\n+PING\r\n").unwrap_err().0,
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(
            parse_all(b"*x\r\n").unwrap_err().0,
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-5\r\n").unwrap_err().0,
            "Protocol error: invalid bulk length"
        );
        let mut p = RequestParser::new(512 * 1024 * 1024);
        let mut buf = BytesMut::from(&b"*20\r\n"[..]);
        assert!(p.next(&mut buf, false).is_err());
        assert!(parse_all(b"*0\r\n*-1\r\n").unwrap().is_empty());
        // Like Redis's string2ll: no leading zeros, no plus sign.
        for bad in [&b"*1\r\n$04\r\nPING\r\n"[..], b"*1\r\n$+4\r\nPING\r\n"] {
            assert_eq!(
                parse_all(bad).unwrap_err().0,
                "Protocol error: invalid bulk length"
            );
        }
        for bad in [&b"*01\r\n$4\r\nPING\r\n"[..], b"*+1\r\n$4\r\nPING\r\n"] {
            assert_eq!(
                parse_all(bad).unwrap_err().0,
                "Protocol error: invalid multibulk length"
            );
        }
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;

    #[test]
    fn split_args_terminates_on_any_input() {
        let mut x: u64 = 1;
        for _ in 0..20_000 {
            let mut line = Vec::new();
            for _ in 0..(x % 40) {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                line.push(b" \t\0\"'\\xab"[(x >> 60) as usize % 9]);
            }
            let _ = split_args(&line);
        }
        assert_eq!(split_args(b"a\0b c").unwrap(), vec![b"a".to_vec()]);
    }
}
