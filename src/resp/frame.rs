//! RESP2/RESP3 values as a tree, with a parser and an encoder.
//!
//! The server answers through [`super::ReplyBuf`], which writes bytes directly;
//! `Frame` is for the client side of a node (a replica talking to its master, a
//! sentinel talking to everyone) and for tests.

use bytes::Bytes;

#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Bytes),
    /// RESP2 `$-1` / `*-1`, RESP3 `_`.
    Null,
    Array(Vec<Frame>),
    Map(Vec<(Frame, Frame)>),
    Set(Vec<Frame>),
    Push(Vec<Frame>),
    Double(f64),
    Boolean(bool),
    BigNumber(String),
    Verbatim(String, Bytes),
}

/// Why a reply stream could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(pub String);

/// Deepest nesting accepted, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

impl Frame {
    pub fn bulk(b: impl Into<Bytes>) -> Frame {
        Frame::Bulk(b.into())
    }

    /// Command encoding: an array of bulk strings.
    pub fn command<I, T>(args: I) -> Vec<u8>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        let args: Vec<T> = args.into_iter().collect();
        let mut out = Vec::with_capacity(16 + args.len() * 16);
        out.push(b'*');
        out.extend_from_slice(args.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        for a in &args {
            let a = a.as_ref();
            out.push(b'$');
            out.extend_from_slice(a.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Text of a simple string or bulk, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Frame::Simple(s) => Some(s),
            Frame::Bulk(b) => std::str::from_utf8(b).ok(),
            Frame::Verbatim(_, b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Simple(s) => Some(s.as_bytes()),
            Frame::Bulk(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Frame::Integer(i) => Some(*i),
            _ => self.as_str().and_then(|s| s.parse().ok()),
        }
    }

    pub fn as_array(&self) -> Option<&[Frame]> {
        match self {
            Frame::Array(a) | Frame::Set(a) | Frame::Push(a) => Some(a),
            _ => None,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }

    /// Parse one frame from the front of `buf`. `Ok(None)` if incomplete;
    /// otherwise the frame and how many bytes it used.
    pub fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
        let mut pos = 0;
        match parse_at(buf, &mut pos, 0)? {
            Some(f) => Ok(Some((f, pos))),
            None => Ok(None),
        }
    }

    /// Encode for the wire, RESP3 types included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        fn hdr(out: &mut Vec<u8>, c: u8, n: usize) {
            out.push(c);
            out.extend_from_slice(n.to_string().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        match self {
            Frame::Simple(s) => {
                out.push(b'+');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Error(s) => {
                out.push(b'-');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Integer(i) => {
                out.push(b':');
                out.extend_from_slice(i.to_string().as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Bulk(b) => {
                hdr(out, b'$', b.len());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Frame::Null => out.extend_from_slice(b"_\r\n"),
            Frame::Array(a) | Frame::Set(a) | Frame::Push(a) => {
                let c = match self {
                    Frame::Array(_) => b'*',
                    Frame::Set(_) => b'~',
                    _ => b'>',
                };
                hdr(out, c, a.len());
                for f in a {
                    f.encode(out);
                }
            }
            Frame::Map(m) => {
                hdr(out, b'%', m.len());
                for (k, v) in m {
                    k.encode(out);
                    v.encode(out);
                }
            }
            Frame::Double(d) => {
                out.push(b',');
                out.extend_from_slice(super::format_double(*d).as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Frame::BigNumber(s) => {
                out.push(b'(');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Verbatim(fmt, b) => {
                hdr(out, b'=', b.len() + 4);
                out.extend_from_slice(fmt.as_bytes());
                out.push(b':');
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }
}

fn line(buf: &[u8], pos: &mut usize) -> Result<Option<String>, FrameError> {
    let start = *pos;
    let Some(i) = buf[start..].windows(2).position(|w| w == b"\r\n") else {
        if buf.len() - start > 64 * 1024 * 1024 {
            return Err(FrameError("line too long".into()));
        }
        return Ok(None);
    };
    *pos = start + i + 2;
    Ok(Some(
        String::from_utf8_lossy(&buf[start..start + i]).into_owned(),
    ))
}

fn int(s: &str) -> Result<i64, FrameError> {
    s.parse::<i64>()
        .map_err(|_| FrameError(format!("invalid length or integer '{s}'")))
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Frame>, FrameError> {
    if depth > MAX_DEPTH {
        return Err(FrameError("nesting too deep".into()));
    }
    if *pos >= buf.len() {
        return Ok(None);
    }
    let t = buf[*pos];
    *pos += 1;
    let Some(l) = line(buf, pos)? else {
        return Ok(None);
    };
    let frame = match t {
        b'+' => Frame::Simple(l),
        b'-' => Frame::Error(l),
        b':' => Frame::Integer(int(&l)?),
        b'_' => Frame::Null,
        b',' => Frame::Double(match l.as_str() {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            s => s
                .parse()
                .map_err(|_| FrameError(format!("invalid double '{s}'")))?,
        }),
        b'#' => Frame::Boolean(l == "t"),
        b'(' => Frame::BigNumber(l),
        b'$' | b'=' | b'!' => {
            let n = int(&l)?;
            if n < 0 {
                return Ok(Some(Frame::Null));
            }
            let n = n as usize;
            if buf.len() < *pos + n + 2 {
                return Ok(None);
            }
            let data = &buf[*pos..*pos + n];
            *pos += n + 2;
            match t {
                b'$' => Frame::Bulk(Bytes::copy_from_slice(data)),
                b'!' => Frame::Error(String::from_utf8_lossy(data).into_owned()),
                _ => {
                    if n < 4 {
                        return Err(FrameError("verbatim string too short".into()));
                    }
                    Frame::Verbatim(
                        String::from_utf8_lossy(&data[..3]).into_owned(),
                        Bytes::copy_from_slice(&data[4..]),
                    )
                }
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = int(&l)?;
            if n < 0 {
                return Ok(Some(Frame::Null));
            }
            let count = if t == b'%' || t == b'|' { n * 2 } else { n } as usize;
            let mut items = Vec::with_capacity(count.min(1024));
            for _ in 0..count {
                match parse_at(buf, pos, depth + 1)? {
                    Some(f) => items.push(f),
                    None => return Ok(None),
                }
            }
            match t {
                b'*' => Frame::Array(items),
                b'~' => Frame::Set(items),
                b'>' => Frame::Push(items),
                b'|' => {
                    // Attributes precede the real reply; skip them.
                    return parse_at(buf, pos, depth + 1);
                }
                _ => {
                    let mut m = Vec::with_capacity(items.len() / 2);
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        m.push((k, v));
                    }
                    Frame::Map(m)
                }
            }
        }
        other => {
            return Err(FrameError(format!(
                "unexpected byte '{}' at start of reply",
                other as char
            )))
        }
    };
    Ok(Some(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let f = Frame::Array(vec![
            Frame::Simple("OK".into()),
            Frame::Integer(-3),
            Frame::bulk(&b"x\r\ny"[..]),
            Frame::Map(vec![(Frame::bulk(&b"k"[..]), Frame::Double(1.5))]),
            Frame::Null,
            Frame::Boolean(true),
        ]);
        let bytes = f.to_bytes();
        let (g, used) = Frame::parse(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(f, g);
        for cut in 0..bytes.len() {
            assert!(Frame::parse(&bytes[..cut]).unwrap().is_none());
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(Frame::parse(b"?oops\r\n").is_err());
        assert!(Frame::parse(b"*x\r\n").is_err());
    }
}
