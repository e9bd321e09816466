//! Writing replies straight into a client's output buffer, in RESP2 or RESP3.

/// A client's pending output plus the protocol it speaks.
#[derive(Debug, Default)]
pub struct ReplyBuf {
    pub buf: Vec<u8>,
    /// 2 or 3, as chosen with HELLO.
    pub resp: u8,
}

/// Redis's PROTO_REPLY_CHUNK_BYTES.
pub const REPLY_CHUNK: usize = 16 * 1024;

#[inline]
fn push_int(out: &mut Vec<u8>, v: i64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

impl ReplyBuf {
    pub fn new(resp: u8) -> ReplyBuf {
        ReplyBuf {
            buf: Vec::new(),
            resp,
        }
    }

    pub fn is_resp3(&self) -> bool {
        self.resp >= 3
    }

    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply; `msg` is the whole text, e.g. `ERR syntax error`.
    /// Newlines are replaced as Redis does so the reply stays one line.
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// An error whose text is not UTF-8 (it quotes a client's byte).
    pub fn error_bytes(&mut self, msg: &[u8]) {
        self.buf.push(b'-');
        for &b in msg {
            self.buf
                .push(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, v: i64) {
        self.buf.push(b':');
        push_int(&mut self.buf, v);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn header(&mut self, c: u8, n: usize) {
        // One-digit counts and lengths (most elements of a reply) skip the
        // integer formatting, as 7.0's shared headers do.
        if n < 10 {
            self.buf
                .extend_from_slice(&[c, b'0' + n as u8, b'\r', b'\n']);
            return;
        }
        self.buf.push(c);
        push_int(&mut self.buf, n as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk(&mut self, b: &[u8]) {
        // Room for the header (at most 20 digits), the bytes and the CRLF
        // at once: one capacity check that grows the buffer.
        self.buf.reserve(b.len() + 25);
        self.header(b'$', b.len());
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk_int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        let s = b.format(v);
        self.bulk(s.as_bytes());
    }

    /// A null bulk string: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        if self.is_resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// A null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        if self.is_resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n);
    }

    /// A map of `n` pairs: `%n` in RESP3, an array of `2n` in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.is_resp3() {
            self.header(b'%', n);
        } else {
            self.header(b'*', n * 2);
        }
    }

    /// A set: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        if self.is_resp3() {
            self.header(b'~', n);
        } else {
            self.header(b'*', n);
        }
    }

    /// An out-of-band push (pub/sub): `>n` in RESP3, an array in RESP2.
    pub fn push(&mut self, n: usize) {
        if self.is_resp3() {
            self.header(b'>', n);
        } else {
            self.header(b'*', n);
        }
    }

    /// A double: `,` in RESP3, a bulk string (`%.17g`, as Redis 7.0) in RESP2.
    pub fn double(&mut self, d: f64) {
        let s = super::format_double(d);
        if self.is_resp3() {
            self.buf.push(b',');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, b: bool) {
        if self.is_resp3() {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A verbatim string (`=`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.is_resp3() {
            self.header(b'=', text.len() + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// The pending output, handed to the host; the next batch goes into
    /// `next`, empty, with room for about as much (see `server::reply_pool`),
    /// so a pipeline's replies are not written through a series of
    /// reallocations.
    pub fn swap_for_send(&mut self, next: Vec<u8>) -> Vec<u8> {
        debug_assert!(next.is_empty());
        std::mem::replace(&mut self.buf, next)
    }
}
