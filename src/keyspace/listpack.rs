//! A packed sequence of byte strings in one allocation, the role 7.0's
//! listpack plays for small hashes and sorted sets.
//!
//! Each entry is its length as a LEB128 varint (one byte up to 127) and
//! then its bytes. The buffer is one allocation rounded up to an allocator
//! size class, as 7.0's lpInsert only reallocates past
//! `zmalloc_usable_size`: a small collection costs its bytes plus a couple
//! per entry, not a `Bytes` header and an allocation per element, and a
//! push into a growing node reallocates once per size class, not once per
//! entry. Lookups are linear scans, which is what the compact encodings
//! trade for their size.

use std::ops::Range;

#[derive(Clone, Default)]
pub struct Listpack {
    /// The allocation: entries fill its first `used` bytes, the rest is
    /// the size class's slack.
    buf: Box<[u8]>,
    /// Entries in `buf` (counting them would be a scan).
    n: u32,
    /// Bytes the entries take (in what was the struct's padding).
    used: u32,
}

impl PartialEq for Listpack {
    fn eq(&self, other: &Listpack) -> bool {
        self.n == other.n && self.data() == other.data()
    }
}

impl Eq for Listpack {}

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

/// The allocation a buffer of `len` bytes gets: jemalloc's small size
/// classes (8, 16, then multiples of 16 to 128, then four per doubling),
/// the usable size Redis's listpacks grow into before reallocating.
fn size_class(len: usize) -> usize {
    match len {
        0 => 0,
        1..=8 => 8,
        9..=128 => len.next_multiple_of(16),
        _ => len.next_multiple_of(len.next_power_of_two() / 8),
    }
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

    /// The bytes the entries take.
    pub fn bytes(&self) -> usize {
        self.used as usize
    }

    /// The encoded entries, without the slack.
    fn data(&self) -> &[u8] {
        &self.buf[..self.used as usize]
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: self.data(),
            at: 0,
        }
    }

    /// Entries with the range each covers in the buffer (header included).
    pub fn spans(&self) -> Spans<'_> {
        Spans {
            buf: self.data(),
            at: 0,
        }
    }

    /// Entry `j` with its span, as `spans().nth(j)` but skipping the
    /// entries before it by their length bytes alone: reaching a node's
    /// tail (RPOP) walks the node, so the walk is kept tight.
    pub fn nth_span(&self, j: usize) -> Option<(Range<usize>, &[u8])> {
        let buf = self.data();
        let mut at = 0;
        for _ in 0..j {
            let b = *buf.get(at)?;
            at += if b < 0x80 {
                1 + usize::from(b)
            } else {
                let (len, start) = get_len(buf, at);
                start - at + len
            };
        }
        Spans { buf, at }.next()
    }

    /// Reallocate the buffer to `cap` bytes, keeping its first `keep`.
    fn reallocate(&mut self, cap: usize, keep: usize) {
        let mut v = std::mem::take(&mut self.buf).into_vec();
        v.truncate(keep.min(cap));
        if cap > v.len() {
            v.reserve_exact(cap - v.len());
        }
        v.resize(cap, 0);
        self.buf = v.into_boxed_slice();
    }

    /// Replace the bytes in `range` by `entries` (each encoded); `added`
    /// is the change in entry count. The buffer grows to the next size
    /// class when full, and shrinks when less than half of it is in use.
    fn splice(&mut self, range: Range<usize>, entries: &[&[u8]], added: isize) {
        // An entry replaced by one of the same length is overwritten in
        // place (HSET of a value as long as the old one).
        if let [e] = entries {
            if entry_size(e.len()) == range.len() {
                let start = range.end - e.len();
                self.buf[start..range.end].copy_from_slice(e);
                self.n = (self.n as isize + added) as u32;
                return;
            }
        }
        let add: usize = entries.iter().map(|e| entry_size(e.len())).sum();
        let old_len = self.used as usize;
        let new_len = old_len - range.len() + add;
        assert!(new_len <= u32::MAX as usize, "listpack over 4 GiB");
        if new_len > self.buf.len() {
            self.reallocate(size_class(new_len), old_len);
        }
        self.buf.copy_within(range.end..old_len, range.start + add);
        let mut at = range.start;
        for e in entries {
            let (hdr, n) = varint(e.len());
            self.buf[at..at + n].copy_from_slice(&hdr[..n]);
            at += n;
            self.buf[at..at + e.len()].copy_from_slice(e);
            at += e.len();
        }
        if new_len < self.buf.len() / 2 {
            self.reallocate(size_class(new_len), new_len);
        }
        self.used = new_len as u32;
        self.n = (self.n as isize + added) as u32;
    }

    /// Append entries at the end.
    pub fn push(&mut self, entries: &[&[u8]]) {
        let end = self.bytes();
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

    #[test]
    fn nth_span_agrees_with_spans() {
        let mut lp = Listpack::new();
        let long = vec![b'y'; 200];
        lp.push(&[b"a", &long, b"", b"bc", &long[..130], b"d"]);
        for j in 0..8 {
            assert_eq!(lp.nth_span(j), lp.spans().nth(j), "entry {j}");
        }
    }

    #[test]
    fn size_classes_follow_jemalloc() {
        let classes: Vec<usize> = [0, 1, 8, 9, 17, 128, 129, 161, 256, 257, 4097, 8192]
            .iter()
            .map(|&n| size_class(n))
            .collect();
        assert_eq!(
            classes,
            [0, 8, 8, 16, 32, 128, 160, 192, 256, 320, 5120, 8192]
        );
    }

    #[test]
    fn grows_by_size_class_and_shrinks_when_half_empty() {
        let mut lp = Listpack::new();
        let mut reallocations = 0;
        let mut cap = 0;
        for i in 0..1000u32 {
            lp.push(&[&i.to_le_bytes()]);
            if lp.buf.len() != cap {
                reallocations += 1;
                cap = lp.buf.len();
            }
        }
        assert_eq!(lp.bytes(), 5000);
        assert_eq!(cap, size_class(5000));
        // Four classes per doubling from 8 bytes to 5 KiB, not one per push.
        assert!(reallocations < 50, "{reallocations}");
        // Equal whatever their slack.
        let exact: Listpack = {
            let mut e = Listpack::new();
            let items: Vec<[u8; 4]> = (0..1000u32).map(|i| i.to_le_bytes()).collect();
            let refs: Vec<&[u8]> = items.iter().map(|a| &a[..]).collect();
            e.push(&refs);
            e
        };
        assert_eq!(lp, exact);
        for _ in 0..900 {
            let (span, _) = lp.spans().next().unwrap();
            lp.remove_span(span, 1);
        }
        assert_eq!(lp.len(), 100);
        assert!(lp.buf.len() <= 2 * lp.bytes(), "{}", lp.buf.len());
        assert_eq!(lp.iter().next(), Some(&900u32.to_le_bytes()[..]));
        while let Some((span, _)) = lp.spans().next() {
            lp.remove_span(span, 1);
        }
        assert!(lp.is_empty() && lp.buf.is_empty());
    }
}
