//! A packed sequence of byte strings in one allocation, the role 7.0's
//! listpack plays for small hashes and sorted sets.
//!
//! Each entry is its length as a LEB128 varint (one byte up to 127) and
//! then its bytes. The buffer is a `Box<[u8]>` sized exactly to its
//! entries, reallocated on each change as Redis reallocates its listpacks:
//! a small collection costs its bytes plus a couple per entry, not a
//! `Bytes` header and an allocation per element. Lookups are linear scans,
//! which is what the compact encodings trade for their size.

use std::ops::Range;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Box<[u8]>,
    /// Entries in `buf` (counting them would be a scan).
    n: u32,
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|e| String::from_utf8_lossy(e).into_owned()))
            .finish()
    }
}

/// `len` as a varint: its bytes and how many.
fn varint(mut len: usize) -> ([u8; 10], usize) {
    let (mut out, mut n) = ([0u8; 10], 0);
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            out[n] = b;
            return (out, n + 1);
        }
        out[n] = b | 0x80;
        n += 1;
    }
}

/// The varint at `at`: its value and the offset after it.
fn get_len(buf: &[u8], mut at: usize) -> (usize, usize) {
    let (mut len, mut shift) = (0usize, 0u32);
    while let Some(&b) = buf.get(at) {
        at += 1;
        len |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (len, at)
}

/// The bytes one entry of `len` bytes takes in the buffer.
pub fn entry_size(len: usize) -> usize {
    let mut hdr = 1;
    let mut l = len >> 7;
    while l > 0 {
        hdr += 1;
        l >>= 7;
    }
    hdr + len
}

impl Listpack {
    pub fn new() -> Listpack {
        Listpack::default()
    }

    pub fn len(&self) -> usize {
        self.n as usize
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The bytes the buffer holds.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: 0,
        }
    }

    /// Entries with the range each covers in the buffer (header included).
    pub fn spans(&self) -> Spans<'_> {
        Spans {
            buf: &self.buf,
            at: 0,
        }
    }

    /// Replace the bytes in `range` by `entries` (each encoded), keeping
    /// the buffer exactly sized; `added` is the change in entry count.
    fn splice(&mut self, range: Range<usize>, entries: &[&[u8]], added: isize) {
        // An entry replaced by one of the same length is overwritten in
        // place (HSET of a value as long as the old one): no reallocation.
        if let [e] = entries {
            if entry_size(e.len()) == range.len() {
                let start = range.end - e.len();
                self.buf[start..range.end].copy_from_slice(e);
                self.n = (self.n as isize + added) as u32;
                return;
            }
        }
        // Encoded straight into the buffer, grown (or shrunk) in place: no
        // temporary allocation next to it to stop the allocator from
        // growing it where it is.
        let add: usize = entries.iter().map(|e| entry_size(e.len())).sum();
        let mut v = std::mem::take(&mut self.buf).into_vec();
        let old_len = v.len();
        let new_len = old_len - range.len() + add;
        if new_len > old_len {
            v.reserve_exact(new_len - old_len);
            v.resize(new_len, 0);
        }
        v.copy_within(range.end..old_len, range.start + add);
        v.truncate(new_len);
        let mut at = range.start;
        for e in entries {
            let (hdr, n) = varint(e.len());
            v[at..at + n].copy_from_slice(&hdr[..n]);
            at += n;
            v[at..at + e.len()].copy_from_slice(e);
            at += e.len();
        }
        self.buf = v.into_boxed_slice();
        self.n = (self.n as isize + added) as u32;
    }

    /// Append entries at the end.
    pub fn push(&mut self, entries: &[&[u8]]) {
        let end = self.buf.len();
        self.splice(end..end, entries, entries.len() as isize);
    }

    /// Insert entries at buffer offset `at` (an entry boundary).
    pub fn insert_at(&mut self, at: usize, entries: &[&[u8]]) {
        self.splice(at..at, entries, entries.len() as isize);
    }

    /// Replace the single entry covering `span` by `entry`.
    pub fn replace(&mut self, span: Range<usize>, entry: &[u8]) {
        self.splice(span, &[entry], 0);
    }

    /// Remove the `count` entries covering `span`.
    pub fn remove_span(&mut self, span: Range<usize>, count: usize) {
        self.splice(span, &[], -(count as isize));
    }
}

pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at >= self.buf.len() {
            return None;
        }
        let (len, start) = get_len(self.buf, self.at);
        let end = (start + len).min(self.buf.len());
        self.at = end;
        Some(&self.buf[start..end])
    }
}

pub struct Spans<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Spans<'a> {
    type Item = (Range<usize>, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let from = self.at;
        let (len, start) = get_len(self.buf, self.at);
        let end = (start + len).min(self.buf.len());
        self.at = end;
        Some((from..end, &self.buf[start..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_replace_remove() {
        let mut lp = Listpack::new();
        let long = vec![b'x'; 300];
        lp.push(&[b"a", b"1", &long, b""]);
        assert_eq!(lp.len(), 4);
        assert_eq!(lp.bytes(), 2 + 2 + (2 + 300) + 1);
        let items: Vec<&[u8]> = lp.iter().collect();
        assert_eq!(items, vec![&b"a"[..], b"1", &long[..], b""]);
        let (span, _) = lp.spans().nth(1).unwrap();
        lp.replace(span, b"22");
        let (a, _) = lp.spans().next().unwrap();
        let (b, _) = lp.spans().nth(1).unwrap();
        lp.remove_span(a.start..b.end, 2);
        let items: Vec<&[u8]> = lp.iter().collect();
        assert_eq!(items, vec![&long[..], b""]);
        lp.insert_at(0, &[b"z"]);
        assert_eq!(lp.iter().next(), Some(&b"z"[..]));
        assert_eq!(lp.len(), 3);
        // Same length: overwritten in place.
        let (span, _) = lp.spans().nth(2).unwrap();
        lp.replace(span, b"");
        let (span, _) = lp.spans().next().unwrap();
        lp.replace(span, b"y");
        let items: Vec<&[u8]> = lp.iter().collect();
        assert_eq!(items, vec![&b"y"[..], &long[..], b""]);
    }
}
