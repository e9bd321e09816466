//! 7.0's listpack steps (lpFirst, lpNext, lpPrev, lpLast, lpGet) and its
//! stream iterator (streamIteratorGetID) replayed over a corrupt value's
//! received bytes, stopping at the assertion or panic 7.0 meets on the way.
//! Offsets stand for C's pointers; a step that would leave the listpack
//! fails the range check 7.0 asserts (`lpValidateNext`).

use super::corrupt::Failure;
use super::StreamId;
use bytes::Bytes;

/// `assert(p)` in lpNext (stepping on from no element), lpPrev and lpGet.
const LP_NEXT_NULL: Failure = Failure::Assert {
    file: "listpack.c",
    line: 475,
    expr: "p",
};
const LP_PREV_NULL: Failure = Failure::Assert {
    file: "listpack.c",
    line: 486,
    expr: "p",
};
const LP_GET_NULL: Failure = Failure::Assert {
    file: "listpack.c",
    line: 576,
    expr: "p",
};
/// lpGetInteger on an element that is not a number (t_stream.c).
const STREAM_NOT_INT: Failure = Failure::Assert {
    file: "t_stream.c",
    line: 281,
    expr: "ret != 0",
};
/// The stream iterator's check on an entry's field count.
pub const STREAM_NUMFIELDS: Failure = Failure::Assert {
    file: "t_stream.c",
    line: 1196,
    expr: "*numfields>=0",
};

/// `lpValidateNext`: the entry at `p` fits in the listpack and its
/// back-length matches; the next entry's offset (`None` past the end
/// marker), or the assertion `lpAssertValidEntry` makes on an invalid one.
pub fn lp_next(b: &[u8], p: usize) -> Result<Option<usize>, Failure> {
    let out = |q: usize| q < 6 || q > b.len() - 1;
    if b.len() < 7 || out(p) {
        return Err(Failure::LISTPACK_ENTRY);
    }
    let e = b[p];
    if e == 0xff {
        return Ok(None);
    }
    let lenbytes = match e {
        _ if e & 0x80 == 0 || e & 0xc0 == 0x80 || e & 0xe0 == 0xc0 => 1,
        0xf1..=0xf4 => 1,
        _ if e & 0xf0 == 0xe0 => 2,
        0xf0 => 5,
        _ => return Err(Failure::LISTPACK_ENTRY),
    };
    if out(p + lenbytes) {
        return Err(Failure::LISTPACK_ENTRY);
    }
    let size = match e {
        _ if e & 0x80 == 0 => 1,
        _ if e & 0xc0 == 0x80 => 1 + (e & 0x3f) as u64,
        _ if e & 0xe0 == 0xc0 => 2,
        0xf1 => 3,
        0xf2 => 4,
        0xf3 => 5,
        0xf4 => 9,
        _ if e & 0xf0 == 0xe0 => 2 + (((e & 0x0f) as u64) << 8 | b[p + 1] as u64),
        _ => 5 + u32::from_le_bytes([b[p + 1], b[p + 2], b[p + 3], b[p + 4]]) as u64,
    };
    let backlen = backlen_size(size);
    let total = size + backlen;
    if (p as u64).saturating_add(total) > (b.len() - 1) as u64 {
        return Err(Failure::LISTPACK_ENTRY);
    }
    let next = p + total as usize;
    if decode_backlen(b, next - 1).wrapping_add(backlen) != total {
        return Err(Failure::LISTPACK_ENTRY);
    }
    Ok(Some(next))
}

/// Bytes a back-length takes for an entry of `l` bytes (lpEncodeBacklen).
fn backlen_size(l: u64) -> u64 {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// lpDecodeBacklen from its last byte at `q` backwards (`u64::MAX` for
/// more than five bytes, or one that would start before the listpack).
fn decode_backlen(b: &[u8], mut q: usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        v |= ((b[q] & 127) as u64) << shift;
        if b[q] & 128 == 0 {
            return v;
        }
        shift += 7;
        if shift > 28 || q == 0 {
            return u64::MAX;
        }
        q -= 1;
    }
}

/// Whether every entry of the listpack passes `lpValidateNext`.
pub fn lp_entries_ok(b: &[u8]) -> bool {
    let mut p = 6;
    loop {
        match lp_next(b, p) {
            Ok(Some(n)) => p = n,
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

/// lpFirst: the first element, asserted valid.
pub fn first(b: &[u8]) -> Result<Option<usize>, Failure> {
    if b[6] == 0xff {
        return Ok(None);
    }
    lp_next(b, 6).map_err(|_| Failure::LISTPACK_ENTRY)?;
    Ok(Some(6))
}

/// lpNext: the element after `p` (itself valid), asserted valid.
fn next(b: &[u8], p: Option<usize>) -> Result<Option<usize>, Failure> {
    let p = p.ok_or(LP_NEXT_NULL)?;
    // lpSkip: an end marker met inside (lpPrev can land on one, and
    // lpValidateNext passes it) counts as a one-byte element.
    let q = if b[p] == 0xff {
        p + 2
    } else {
        lp_next(b, p)
            .ok()
            .flatten()
            .ok_or(Failure::LISTPACK_ENTRY)?
    };
    if q >= b.len() {
        return Err(Failure::LISTPACK_ENTRY);
    }
    if b[q] == 0xff {
        return Ok(None);
    }
    lp_next(b, q).map_err(|_| Failure::LISTPACK_ENTRY)?;
    Ok(Some(q))
}

/// lpPrev: the element before `p`, found by the back-length before it and
/// asserted valid; `None` at the first.
fn prev(b: &[u8], p: Option<usize>) -> Result<Option<usize>, Failure> {
    let p = p.ok_or(LP_PREV_NULL)?;
    if p == 6 {
        return Ok(None);
    }
    let len = decode_backlen(b, p - 1);
    let back = len.saturating_add(backlen_size(len));
    let q = (p as u64)
        .checked_sub(back)
        .ok_or(Failure::LISTPACK_ENTRY)?;
    lp_next(b, q as usize).map_err(|_| Failure::LISTPACK_ENTRY)?;
    Ok(Some(q as usize))
}

/// lpLast: lpPrev from the end marker.
fn last(b: &[u8]) -> Result<Option<usize>, Failure> {
    prev(b, Some(b.len() - 1))
}

/// lpGetInteger: the element's integer (a string must read as one).
fn int(b: &[u8], p: Option<usize>) -> Result<i64, Failure> {
    match get(b, p.ok_or(LP_GET_NULL)?) {
        Ok(v) => Ok(v),
        Err(s) => crate::resp::parse_i64(s).ok_or(STREAM_NOT_INT),
    }
}

/// The elements of a listpack whose entries pass `lpValidateNext`, as
/// lpGet reads them (integers as their decimal text), or the assertion
/// a walk meets.
pub fn elements(b: &[u8]) -> Result<Vec<Bytes>, Failure> {
    let mut out = Vec::new();
    let mut p = 6;
    while let Some(next) = lp_next(b, p)? {
        out.push(match get(b, p) {
            Ok(v) => Bytes::from(v.to_string()),
            Err(s) => Bytes::copy_from_slice(s),
        });
        p = next;
    }
    Ok(out)
}

/// lpGet on a valid element: its integer, or its string.
fn get(b: &[u8], p: usize) -> Result<i64, &[u8]> {
    let e = b[p];
    let le = |n: usize| {
        b[p + 1..p + 1 + n]
            .iter()
            .rev()
            .fold(0u64, |acc, &x| acc << 8 | x as u64)
    };
    let sext = |v: u64, bits: u32| ((v << (64 - bits)) as i64) >> (64 - bits);
    match e {
        // lpGet's last branch: what no encoding claims (an end marker).
        0xff => Ok(12345678900000000 + 0xff),
        _ if e & 0x80 == 0 => Ok((e & 0x7f) as i64),
        _ if e & 0xe0 == 0xc0 => Ok(sext(((e & 0x1f) as u64) << 8 | b[p + 1] as u64, 13)),
        0xf1 => Ok(sext(le(2), 16)),
        0xf2 => Ok(sext(le(3), 24)),
        0xf3 => Ok(sext(le(4), 32)),
        0xf4 => Ok(le(8) as i64),
        _ if e & 0xc0 == 0x80 => Err(&b[p + 1..p + 1 + (e & 0x3f) as usize]),
        _ if e & 0xf0 == 0xe0 => {
            let n = ((e & 0x0f) as usize) << 8 | b[p + 1] as usize;
            Err(&b[p + 2..p + 2 + n])
        }
        _ => Err(&b[p + 5..p + 5 + le(4) as usize]),
    }
}

/// A stream as received: its nodes (master ID, listpack) in rax order and
/// the length its metadata claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawStream {
    pub nodes: Vec<(StreamId, Bytes)>,
    pub length: u64,
}

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

impl RawStream {
    /// streamIteratorGetID from a fresh iterator over the whole stream,
    /// tombstones skipped, until it finds a live entry (`stop_at_first`)
    /// or runs out: the entries found, or the assertion met.
    pub fn walk(&self, rev: bool, stop_at_first: bool) -> Result<u64, Failure> {
        let mut found = 0;
        let order: Box<dyn Iterator<Item = &(StreamId, Bytes)>> = if rev {
            Box::new(self.nodes.iter().rev())
        } else {
            Box::new(self.nodes.iter())
        };
        for (_, b) in order {
            let b = &b[..];
            let mut p = first(b)?;
            p = next(b, p)?;
            p = next(b, p)?;
            let master_fields = int(b, p)?;
            p = next(b, p)?;
            if rev {
                p = last(b)?;
            } else {
                for _ in 0..master_fields.max(0) {
                    p = next(b, p)?;
                }
            }
            loop {
                if !rev {
                    p = next(b, p)?;
                    if p.is_none() {
                        break;
                    }
                } else {
                    let count = int(b, p)?;
                    if count == 0 {
                        break;
                    }
                    for _ in 0..count.max(0) {
                        p = prev(b, p)?;
                    }
                }
                let flags = int(b, p)?;
                p = next(b, p)?;
                int(b, p)?;
                p = next(b, p)?;
                int(b, p)?;
                p = next(b, p)?;
                let numfields = if flags & FLAG_SAMEFIELDS != 0 {
                    master_fields
                } else {
                    let n = int(b, p)?;
                    p = next(b, p)?;
                    n
                };
                if numfields < 0 {
                    return Err(STREAM_NUMFIELDS);
                }
                if flags & FLAG_DELETED == 0 {
                    found += 1;
                    if stop_at_first {
                        return Ok(found);
                    }
                }
                // Past this entry (the caller reads its fields forward;
                // backward, the iterator steps back to the one before).
                if !rev {
                    let discard = if flags & FLAG_SAMEFIELDS != 0 {
                        numfields
                    } else {
                        numfields * 2
                    };
                    for _ in 0..discard {
                        p = next(b, p)?;
                    }
                } else {
                    let back = if flags & FLAG_SAMEFIELDS != 0 { 4 } else { 5 };
                    for _ in 0..back {
                        p = prev(b, p)?;
                    }
                }
            }
        }
        Ok(found)
    }

    /// streamLastValidID: a backward walk to the last live entry; none in
    /// a stream whose length is not 0 is 7.0's panic.
    pub fn last_valid_id(&self) -> Result<(), Failure> {
        if self.walk(true, true)? == 0 && self.length > 0 {
            return Err(Failure::Panic {
                file: "t_stream.c",
                line: 1372,
                msg: format!("Corrupt stream, length is {}, but no max id", self.length),
                hexdump: None,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::stream::Stream;

    use crate::keyspace::stream::tests::fv;

    fn raw(s: &Stream) -> RawStream {
        RawStream {
            nodes: s
                .nodes
                .iter()
                .map(|(m, n)| (*m, Bytes::from(crate::rdb::stream::node_listpack(*m, n))))
                .collect(),
            length: s.length,
        }
    }

    #[test]
    fn a_sound_stream_walks_both_ways() {
        let mut s = Stream::new();
        for i in 0..10u64 {
            let f = if i % 3 == 0 {
                fv(&["a", "1", "b", "2"])
            } else {
                fv(&["other", "x"])
            };
            s.append(&f, None, 1000 + i, 4096, 4).unwrap();
        }
        s.delete_ids(&[StreamId::new(1003, 0)]);
        let r = raw(&s);
        assert_eq!(r.walk(false, false), Ok(9));
        assert_eq!(r.walk(true, false), Ok(9));
        assert_eq!(r.walk(false, true), Ok(1));
        assert_eq!(r.last_valid_id(), Ok(()));
    }

    #[test]
    fn a_bad_entry_count_trips_an_assertion() {
        let mut s = Stream::new();
        s.append(&fv(&["f", "v"]), None, 5, 4096, 100).unwrap();
        let mut r = raw(&s);
        // The entry's lp-count, last before the end marker: 1 + 3 + 2 + 1
        // elements claimed as 0x30.
        let lp = r.nodes[0].1.to_vec();
        let n = lp.len();
        let mut bad = lp.clone();
        bad[n - 3] = 0x30;
        r.nodes[0].1 = Bytes::from(bad);
        assert!(r.walk(true, false).is_err());
        assert_eq!(r.walk(false, false), Ok(1));
    }
}
