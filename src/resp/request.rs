//! Incremental parser for client requests: RESP multibulk and inline commands.
//!
//! Limits, error texts and edge cases follow Redis 7.0's `processMultibulkBuffer`
//! and `processInlineBuffer`: headers are found with C's `strchr`, so a NUL
//! byte before the end of a header line hides it (the request waits until the
//! 64 KB limit refuses it); a multibulk header ends at its first `\r`, whatever
//! byte follows. A protocol error is answered with `-ERR Protocol error: ...`
//! (except to our master) and the connection is closed after the reply.

use bytes::{Buf, Bytes, BytesMut};

/// Longest inline request or multibulk/bulk header line Redis accepts (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Largest multibulk count Redis accepts (INT_MAX).
pub const MAX_MULTIBULK_LEN: i64 = i32::MAX as i64;
/// Limits for clients that have not authenticated yet (Redis 7.0 behaviour).
pub const UNAUTH_MAX_MULTIBULK_LEN: i64 = 10;
pub const UNAUTH_MAX_BULK_LEN: i64 = 16384;
/// Bulks at least this big get their room reserved up front (PROTO_MBULK_BIG_ARG).
const BIG_ARG: usize = 32 * 1024;
/// Requests of up to this many arguments are parsed in one pass when whole.
const FAST_ARGS: usize = 16;
/// The largest argument vector kept for reuse.
const SPARE_MAX_ARGS: usize = 1024;

/// A protocol violation (Redis's `setProtocolError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// The error reply, without `-`; None when Redis sends none (our master).
    pub reply: Option<Vec<u8>>,
    /// The short reason Redis logs: `Protocol error (<reason>) from client: ...`.
    pub reason: &'static str,
}

impl ProtocolError {
    fn new(reply: &str, reason: &'static str) -> ProtocolError {
        ProtocolError {
            reply: Some(format!("ERR Protocol error: {reply}").into_bytes()),
            reason,
        }
    }
}

/// What the limits depend on about the sender, read afresh for every request.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    /// The client still has to AUTH (Redis's `authRequired`).
    pub auth_required: bool,
    /// Our master: no bulk length limit, and inline requests mean a desync.
    pub master: bool,
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
}

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Command(Vec<Bytes>),
    /// An empty inline line: a replica's keepalive while it loads.
    Newline,
}

/// Per-connection parser state, so a big bulk arriving in pieces is not rescanned.
#[derive(Debug)]
pub struct RequestParser {
    /// Remaining bulk strings in the current multibulk, 0 when between requests.
    multibulk_left: i64,
    /// Length of the bulk being read, or -1 while its `$` header is pending.
    bulk_len: i64,
    args: Vec<Bytes>,
    /// An emptied argument vector given back (see [`RequestParser::recycle`]):
    /// the next request fills it instead of allocating its own.
    spare: Vec<Bytes>,
}

impl RequestParser {
    /// Bytes of the arguments of a request read in part (Redis's
    /// `argv-mem`): they count as the client's memory.
    pub fn partial_args_bytes(&self) -> usize {
        self.args.iter().map(|a| a.len()).sum()
    }

    /// Arguments of the request read in part, those read and those to come
    /// (the size of 7.0's `c->argv` array for it).
    pub fn partial_argc(&self) -> usize {
        self.args.len() + self.multibulk_left.max(0) as usize
    }

    /// The bytes (with its CRLF) of a big argument whose header was read
    /// and whose body is still arriving.
    pub fn pending_big_arg(&self) -> Option<usize> {
        (self.bulk_len >= BIG_ARG as i64).then(|| self.bulk_len as usize + 2)
    }
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser::new()
    }
}

/// Where C's `strchr(buf, c)` stops on a buffer: at the first `c`, or not at
/// all when a NUL byte (or the end) comes first.
fn strchr(buf: &[u8], c: u8) -> Option<usize> {
    buf.iter()
        .position(|&b| b == c || b == 0)
        .filter(|&i| buf[i] == c)
}

/// Lengths are read with Redis's `string2ll`: no `+`, no leading zeros.
fn parse_len(line: &[u8]) -> Option<i64> {
    // The usual length, a few digits without a leading zero, read directly
    // (18 digits cannot overflow); anything else takes the general path.
    if !line.is_empty() && line.len() <= 18 && line[0] != b'0' {
        let mut v: i64 = 0;
        for &c in line {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return super::parse_i64(line);
            }
            v = v * 10 + d as i64;
        }
        return Some(v);
    }
    super::parse_i64(line)
}

/// A header line after its `*` or `$` in the form nearly every request
/// uses, read in one pass: a length of up to 18 digits without a leading
/// zero, then `\r` and one more byte. Returns the length and the index of
/// the `\r`; `None` for anything else, which [`header_end`] and
/// [`parse_len`] then read as Redis does.
fn plain_len(header: &[u8]) -> Option<(i64, usize)> {
    let digits = header.get(1..)?;
    let mut v: i64 = 0;
    for (i, &c) in digits.iter().enumerate().take(19) {
        let d = c.wrapping_sub(b'0');
        if d <= 9 {
            v = v * 10 + d as i64;
            continue;
        }
        let plain = c == b'\r' && (i == 1 || (i > 1 && digits[0] != b'0')) && digits.len() > i + 1;
        return plain.then_some((v, i + 1));
    }
    None
}

/// The end of a multibulk or bulk header: its `\r`, once one more byte (taken
/// as the `\n`) has arrived.
fn header_end(buf: &[u8]) -> Option<usize> {
    strchr(buf, b'\r').filter(|&cr| cr + 2 <= buf.len())
}

impl RequestParser {
    pub fn new() -> RequestParser {
        RequestParser {
            multibulk_left: 0,
            bulk_len: -1,
            args: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Give back a request's argument vector once it is done with: the
    /// next request reuses it (a vector for many arguments is let go).
    pub fn recycle(&mut self, mut argv: Vec<Bytes>) {
        if argv.capacity() > self.spare.capacity() && argv.capacity() <= SPARE_MAX_ARGS {
            argv.clear();
            self.spare = argv;
        }
    }

    /// Parse the next complete request from `buf`, consuming its bytes.
    /// `Ok(None)` means more bytes are needed. Requests without arguments
    /// (`*0`, a blank inline line) are skipped, as Redis does, except an
    /// empty inline line, which is returned as [`Request::Newline`].
    pub fn next(
        &mut self,
        buf: &mut BytesMut,
        from: Sender,
    ) -> Result<Option<Request>, ProtocolError> {
        loop {
            if self.multibulk_left == 0 {
                if buf.is_empty() {
                    return Ok(None);
                }
                if buf[0] == b'*' {
                    if let Some(args) = self.whole_multibulk(buf, from) {
                        return Ok(Some(Request::Command(args)));
                    }
                    match self.start_multibulk(buf, from)? {
                        None => return Ok(None),
                        Some(false) => continue, // empty multibulk, skip
                        Some(true) => {}
                    }
                } else {
                    match self.inline(buf, from)? {
                        None => return Ok(None),
                        Some(Request::Command(args)) if args.is_empty() => continue,
                        Some(r) => return Ok(Some(r)),
                    }
                }
            }
            if !self.read_bulks(buf, from)? {
                return Ok(None);
            }
            return Ok(Some(Request::Command(std::mem::take(&mut self.args))));
        }
    }

    /// The usual request in one pass: a multibulk of a few arguments, all
    /// in the buffer, within every limit. Its bytes leave the buffer at
    /// once and each argument is a slice of them. Anything else (a
    /// request in part, malformed, over a limit, empty) is left untouched
    /// for the step-by-step path, which answers it as Redis does.
    fn whole_multibulk(&mut self, buf: &mut BytesMut, from: Sender) -> Option<Vec<Bytes>> {
        let b: &[u8] = buf;
        let (n, end) = plain_len(b)?;
        if n <= 0 || n as usize > FAST_ARGS || (from.auth_required && n > UNAUTH_MAX_MULTIBULK_LEN)
        {
            return None;
        }
        let n = n as usize;
        let mut spans = [(0usize, 0usize); FAST_ARGS];
        let mut pos = end + 2;
        for span in &mut spans[..n] {
            let rest = &b[pos..];
            if rest.first() != Some(&b'$') {
                return None;
            }
            let (len, e) = plain_len(rest)?;
            if (!from.master && len > from.max_bulk_len)
                || (from.auth_required && len > UNAUTH_MAX_BULK_LEN)
            {
                return None;
            }
            let start = pos + e + 2;
            // The two bytes after the bulk are skipped unchecked, as Redis does.
            pos = start.checked_add(len as usize + 2)?;
            if pos > b.len() {
                return None;
            }
            *span = (start, len as usize);
        }
        let request = buf.split_to(pos).freeze();
        let mut args = std::mem::take(&mut self.spare);
        args.reserve(n);
        args.extend(spans[..n].iter().map(|&(s, l)| request.slice(s..s + l)));
        Some(args)
    }

    /// Returns Some(true) when a multibulk with arguments begins.
    fn start_multibulk(
        &mut self,
        buf: &mut BytesMut,
        from: Sender,
    ) -> Result<Option<bool>, ProtocolError> {
        let Some(end) = header_end(buf) else {
            if strchr(buf, b'\r').is_none() && buf.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::new(
                    "too big mbulk count string",
                    "too big mbulk count string",
                ));
            }
            return Ok(None);
        };
        let n = match parse_len(&buf[1..end]) {
            Some(n) if n <= MAX_MULTIBULK_LEN => n,
            _ => {
                return Err(ProtocolError::new(
                    "invalid multibulk length",
                    "invalid mbulk count",
                ))
            }
        };
        if from.auth_required && n > UNAUTH_MAX_MULTIBULK_LEN {
            return Err(ProtocolError::new(
                "unauthenticated multibulk length",
                "unauth mbulk count",
            ));
        }
        buf.advance(end + 2);
        if n <= 0 {
            return Ok(Some(false));
        }
        self.multibulk_left = n;
        self.bulk_len = -1;
        self.args = std::mem::take(&mut self.spare);
        self.args.reserve(n.min(1024) as usize);
        Ok(Some(true))
    }

    /// Returns true when the whole multibulk has been read.
    fn read_bulks(&mut self, buf: &mut BytesMut, from: Sender) -> Result<bool, ProtocolError> {
        while self.multibulk_left > 0 {
            if self.bulk_len == -1 {
                let Some(end) = header_end(buf) else {
                    if strchr(buf, b'\r').is_none() && buf.len() > INLINE_MAX_SIZE {
                        return Err(ProtocolError::new(
                            "too big bulk count string",
                            "too big bulk count string",
                        ));
                    }
                    return Ok(false);
                };
                if buf[0] != b'$' {
                    let mut reply = b"ERR Protocol error: expected '$', got '".to_vec();
                    reply.extend_from_slice(&[buf[0], b'\'']);
                    return Err(ProtocolError {
                        reply: Some(reply),
                        reason: "expected $ but got something else",
                    });
                }
                let n = match parse_len(&buf[1..end]) {
                    Some(n) if n >= 0 && (from.master || n <= from.max_bulk_len) => n,
                    _ => {
                        return Err(ProtocolError::new(
                            "invalid bulk length",
                            "invalid bulk length",
                        ))
                    }
                };
                if from.auth_required && n > UNAUTH_MAX_BULK_LEN {
                    return Err(ProtocolError::new(
                        "unauthenticated bulk length",
                        "unauth bulk length",
                    ));
                }
                buf.advance(end + 2);
                self.bulk_len = n;
                // Reserve room for a big argument up front so it arrives without reallocations.
                let need = n as usize + 2;
                if need > buf.len() && need >= BIG_ARG {
                    buf.reserve(need - buf.len());
                }
            }
            let need = self.bulk_len as usize + 2;
            if buf.len() < need {
                return Ok(false);
            }
            // The two bytes after the bulk are skipped unchecked, as Redis does.
            let arg = buf.split_to(self.bulk_len as usize).freeze();
            buf.advance(2);
            self.args.push(arg);
            self.bulk_len = -1;
            self.multibulk_left -= 1;
        }
        Ok(true)
    }

    fn inline(
        &mut self,
        buf: &mut BytesMut,
        from: Sender,
    ) -> Result<Option<Request>, ProtocolError> {
        let Some(nl) = strchr(buf, b'\n') else {
            if buf.len() > INLINE_MAX_SIZE {
                return Err(ProtocolError::new(
                    "too big inline request",
                    "too big inline request",
                ));
            }
            return Ok(None);
        };
        let mut line_end = nl;
        if line_end > 0 && buf[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        // A line without quotes (or a NUL, where sdssplitargs stops) splits
        // at spaces alone: its arguments are slices of the line itself.
        if line_end != 0
            && !from.master
            && !buf[..line_end]
                .iter()
                .any(|&b| matches!(b, b'"' | b'\'' | 0))
        {
            let line = buf.split_to(nl + 1).freeze();
            let mut args = std::mem::take(&mut self.spare);
            let mut i = 0;
            while i < line_end {
                while i < line_end && is_c_space(line[i]) {
                    i += 1;
                }
                // Blanks are skipped by `isspace`, but only these end an
                // argument (a vertical tab or form feed is part of it).
                let start = i;
                while i < line_end && !matches!(line[i], b' ' | b'\n' | b'\r' | b'\t') {
                    i += 1;
                }
                if i > start {
                    args.push(line.slice(start..i));
                }
            }
            return Ok(Some(Request::Command(args)));
        }
        let Some(args) = split_args(&buf[..line_end]) else {
            return Err(ProtocolError::new(
                "unbalanced quotes in request",
                "unbalanced quotes in inline request",
            ));
        };
        if line_end != 0 && from.master {
            // Our master only ever sends newlines inline: anything else is a
            // desynchronised stream, closed without a reply.
            return Err(ProtocolError {
                reply: None,
                reason: "Master using the inline protocol. Desync?",
            });
        }
        buf.advance(nl + 1);
        if line_end == 0 {
            return Ok(Some(Request::Newline));
        }
        Ok(Some(Request::Command(
            args.into_iter().map(Bytes::from).collect(),
        )))
    }
}

/// The sample of the query buffer Redis logs with a protocol error: the
/// unparsed bytes as a C string (up to a NUL), the first and last 64 of them
/// when there are 128 or more, within 255 characters, unprintables as dots.
pub fn query_dump(buf: &[u8]) -> String {
    const DUMP_LEN: usize = 128;
    fn c_str(b: &[u8]) -> &[u8] {
        &b[..b.iter().position(|&x| x == 0).unwrap_or(b.len())]
    }
    let mut out = b"Query buffer during protocol error: '".to_vec();
    if buf.len() < DUMP_LEN {
        out.extend_from_slice(c_str(buf));
    } else {
        out.extend_from_slice(c_str(&buf[..DUMP_LEN / 2]));
        let more = format!("' (... more {} bytes ...) '", buf.len() - DUMP_LEN);
        out.extend_from_slice(more.as_bytes());
        out.extend_from_slice(c_str(&buf[buf.len() - DUMP_LEN / 2..]));
    }
    out.push(b'\'');
    out.truncate(255);
    out.into_iter()
        .map(|b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

/// C's `isspace`: Rust's ASCII whitespace lacks the vertical tab.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
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
        while i < n && is_c_space(line[i]) {
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
                    if i + 1 < n && !is_c_space(line[i + 1]) {
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

    const CLIENT: Sender = Sender {
        auth_required: false,
        master: false,
        max_bulk_len: 512 * 1024 * 1024,
    };

    fn parse_as(input: &[u8], from: Sender) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(r) = p.next(&mut buf, from)? {
            if let Request::Command(a) = r {
                out.push(a);
            }
        }
        Ok(out)
    }

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        parse_as(input, CLIENT)
    }

    /// The error reply for `input`, as text.
    fn error(input: &[u8], from: Sender) -> String {
        let e = parse_as(input, from).unwrap_err();
        String::from_utf8(e.reply.expect("a reply")).unwrap()
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
            error(b"set \"k\r\n", CLIENT),
            "ERR Protocol error: unbalanced quotes in request"
        );
    }

    #[test]
    fn empty_inline_line_is_a_newline_and_blanks_are_skipped() {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::from(&b"\r\n \t\x0b\r\nPING\n"[..]);
        assert_eq!(p.next(&mut buf, CLIENT).unwrap(), Some(Request::Newline));
        assert_eq!(
            p.next(&mut buf, CLIENT).unwrap(),
            Some(Request::Command(vec![Bytes::from_static(b"PING")]))
        );
    }

    /// Every request and its outcome: fed whole (the one-pass path when
    /// it applies) and a byte at a time (the step-by-step path only).
    #[test]
    fn whole_requests_parse_as_requests_in_pieces() {
        let limited = Sender {
            auth_required: true,
            master: false,
            max_bulk_len: 8,
        };
        let master = Sender {
            master: true,
            max_bulk_len: 2,
            ..CLIENT
        };
        let many: Vec<u8> = std::iter::once(b"*17\r\n".to_vec())
            .chain((0..17).map(|i| format!("${}\r\n{i}\r\n", i.to_string().len()).into_bytes()))
            .flatten()
            .collect();
        let inputs: Vec<&[u8]> = vec![
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n",
            b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n",
            b"*2\r\n$3\r\nGET\r\n:1\r\n",
            b"*2\r\n$3\r\nGET\r\n$-1\r\n",
            b"*2\r\n$3\r\nGET\r\n$01\r\nk\r\n",
            b"*1\r\n$9\r\nTOOLONGXX\r\n",
            b"*11\r\n$1\r\na\r\n",
            b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
            b"*1\r\n$4\0\r\nPING\r\n",
            b"PING\r\n  set\tk \x0bv  \r\n \r\nget \"k\"\nget 'k\r\n",
            b"echo a\0b\r\n\r\nping\n",
            &many,
        ];
        for from in [CLIENT, limited, master] {
            for input in &inputs {
                let whole = parse_as(input, from);
                let mut p = RequestParser::new();
                let mut buf = BytesMut::new();
                let mut pieces = Ok(Vec::new());
                for b in input.iter() {
                    buf.extend_from_slice(&[*b]);
                    match p.next(&mut buf, from) {
                        Ok(Some(Request::Command(a))) => pieces.as_mut().unwrap().push(a),
                        Ok(_) => {}
                        Err(e) => {
                            pieces = Err(e);
                            break;
                        }
                    }
                }
                assert_eq!(whole, pieces, "{:?}", String::from_utf8_lossy(input));
            }
        }
    }

    /// Lines without quotes take a shortcut: it splits as sdssplitargs does.
    #[test]
    fn plain_inline_lines_split_as_sdssplitargs() {
        for line in [
            &b"PING"[..],
            b"  set\tk \x0bv  ",
            b"a\x0cb",
            b"x\ry",
            b" \t ",
            b"\x0bPING\x0b",
        ] {
            let mut input = line.to_vec();
            input.extend_from_slice(b"\r\n");
            let args: Vec<Bytes> = split_args(line)
                .unwrap()
                .into_iter()
                .map(Bytes::from)
                .collect();
            let want: Vec<Vec<Bytes>> = Some(args).filter(|a| !a.is_empty()).into_iter().collect();
            assert_eq!(parse_all(&input).unwrap(), want, "{line:?}");
        }
    }

    #[test]
    fn bulk_in_pieces() {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let msg = b"*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n";
        for (i, b) in msg.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let r = p.next(&mut buf, CLIENT).unwrap();
            if i + 1 < msg.len() {
                assert!(r.is_none());
            } else {
                let Some(Request::Command(args)) = r else {
                    panic!("a command")
                };
                assert_eq!(args[1], Bytes::from_static(b"0123456789"));
            }
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            error(b"*1\r\n+PING\r\n", CLIENT),
            "ERR Protocol error: expected '$', got '+'"
        );
        assert_eq!(
            error(b"*x\r\n", CLIENT),
            "ERR Protocol error: invalid multibulk length"
        );
        assert_eq!(
            error(b"*3000000000\r\n", CLIENT),
            "ERR Protocol error: invalid multibulk length"
        );
        assert_eq!(
            error(b"*1\r\n$-5\r\n", CLIENT),
            "ERR Protocol error: invalid bulk length"
        );
        assert!(parse_all(b"*0\r\n*-1\r\n").unwrap().is_empty());
        // Like Redis's string2ll: no leading zeros, no plus sign.
        for bad in [&b"*1\r\n$04\r\nPING\r\n"[..], b"*1\r\n$+4\r\nPING\r\n"] {
            assert_eq!(
                error(bad, CLIENT),
                "ERR Protocol error: invalid bulk length"
            );
        }
        for bad in [&b"*01\r\n$4\r\nPING\r\n"[..], b"*+1\r\n$4\r\nPING\r\n"] {
            assert_eq!(
                error(bad, CLIENT),
                "ERR Protocol error: invalid multibulk length"
            );
        }
    }

    #[test]
    fn unauthenticated_limits() {
        let unauth = Sender {
            auth_required: true,
            ..CLIENT
        };
        assert_eq!(
            error(b"*11\r\n", unauth),
            "ERR Protocol error: unauthenticated multibulk length"
        );
        assert_eq!(
            error(b"*1\r\n$16385\r\n", unauth),
            "ERR Protocol error: unauthenticated bulk length"
        );
        // The general checks come first.
        assert_eq!(
            error(b"*3000000000\r\n", unauth),
            "ERR Protocol error: invalid multibulk length"
        );
        assert!(parse_as(b"*10\r\n$16384\r\n", unauth).unwrap().is_empty());
    }

    #[test]
    fn headers_end_at_the_first_cr_and_a_nul_hides_them() {
        // Whatever byte follows the `\r` is taken as the `\n`.
        let r = parse_all(b"*1\rX$4\r\nPING\r\n").unwrap();
        assert_eq!(r, vec![vec![Bytes::from_static(b"PING")]]);
        // A `\r` alone at the end waits for one more byte.
        assert!(parse_all(b"*1\r").unwrap().is_empty());
        for stuck in [&b"PING\0\r\n"[..], b"*1\0\r\n", b"*1\r\n$4\0\r\nPING\r\n"] {
            assert!(parse_all(stuck).unwrap().is_empty());
            let mut big = stuck.to_vec();
            big.resize(INLINE_MAX_SIZE + 16, b'A');
            let e = error(&big, CLIENT);
            assert!(e.starts_with("ERR Protocol error: too big "), "{e}");
        }
    }

    #[test]
    fn master_limits() {
        let master = Sender {
            master: true,
            max_bulk_len: 1,
            ..CLIENT
        };
        assert_eq!(
            parse_as(b"*1\r\n$4\r\nPING\r\n\n", master).unwrap().len(),
            1
        );
        let e = parse_as(b"PING\r\n", master).unwrap_err();
        assert_eq!(e.reply, None);
        assert_eq!(e.reason, "Master using the inline protocol. Desync?");
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
