//! The compact blob encodings stored inside RDB strings: ziplist (Redis < 7),
//! listpack (Redis 7+), intset and zipmap (Redis < 2.6). Parsers check every
//! length against the blob and return an error text instead of panicking.
//! Tiny builders for each are here too, for tests and hand-made samples.

use bytes::Bytes;

type R<T> = Result<T, &'static str>;

fn int_bytes(v: i64) -> Bytes {
    Bytes::from(itoa::Buffer::new().format(v).to_owned())
}

fn get(b: &[u8], at: usize, n: usize) -> R<&[u8]> {
    at.checked_add(n)
        .and_then(|end| b.get(at..end))
        .ok_or("compact encoding runs past its end")
}

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0u64, |acc, &x| acc << 8 | x as u64)
}

/// Sign-extend the low `bits` bits of `v`.
fn sext(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// The entries of a ziplist, integers as their decimal text.
pub fn ziplist_entries(b: &[u8]) -> R<Vec<Bytes>> {
    let head = get(b, 0, 10).map_err(|_| "ziplist shorter than its header")?;
    let zlbytes = le(&head[0..4]) as usize;
    if zlbytes != b.len() {
        return Err("ziplist header length does not match its size");
    }
    if b.last() != Some(&0xff) {
        return Err("ziplist does not end with 0xff");
    }
    let declared = le(&head[8..10]) as usize;
    let tail = le(&head[4..8]) as usize;
    if tail > b.len() - 1 {
        return Err("ziplist tail offset past its end");
    }
    let mut out = Vec::new();
    let mut p = 10usize;
    // Each entry's prevlen must be the size of the one before, and the
    // tail offset must point at the last (ziplistValidateIntegrity, deep).
    let mut prev: Option<usize> = None;
    loop {
        let &first = b.get(p).ok_or("ziplist entry past end")?;
        if first == 0xff {
            if p != b.len() - 1 {
                return Err("ziplist end marker before its end");
            }
            break;
        }
        let start = p;
        let prevlen = if first < 254 {
            first as usize
        } else {
            le(get(b, p + 1, 4)?) as usize
        };
        if prevlen != prev.map_or(0, |s| start - s) {
            return Err("ziplist entry prevlen does not match the entry before");
        }
        prev = Some(start);
        p += if first < 254 { 1 } else { 5 };
        let &enc = b.get(p).ok_or("ziplist entry past end")?;
        let v = match enc >> 6 {
            0 => {
                let n = (enc & 0x3f) as usize;
                let s = get(b, p + 1, n)?;
                p += 1 + n;
                Bytes::copy_from_slice(s)
            }
            1 => {
                let x = get(b, p, 2)?;
                let n = ((x[0] & 0x3f) as usize) << 8 | x[1] as usize;
                let s = get(b, p + 2, n)?;
                p += 2 + n;
                Bytes::copy_from_slice(s)
            }
            2 => {
                let x = get(b, p + 1, 4)?;
                let n = u32::from_be_bytes([x[0], x[1], x[2], x[3]]) as usize;
                let s = get(b, p + 5, n)?;
                p += 5 + n;
                Bytes::copy_from_slice(s)
            }
            _ => {
                let (n, val) = match enc {
                    0xc0 => (2, sext(le(get(b, p + 1, 2)?), 16)),
                    0xd0 => (4, sext(le(get(b, p + 1, 4)?), 32)),
                    0xe0 => (8, le(get(b, p + 1, 8)?) as i64),
                    0xf0 => (3, sext(le(get(b, p + 1, 3)?), 24)),
                    0xfe => (1, sext(le(get(b, p + 1, 1)?), 8)),
                    0xf1..=0xfd => (0, (enc & 0x0f) as i64 - 1),
                    _ => return Err("ziplist entry with an invalid encoding"),
                };
                p += 1 + n;
                int_bytes(val)
            }
        };
        out.push(v);
        if out.len() > b.len() {
            return Err("ziplist has more entries than bytes");
        }
    }
    if declared != 0xffff && declared != out.len() {
        return Err("ziplist entry count does not match its header");
    }
    if prev.unwrap_or(10) != tail {
        return Err("ziplist tail offset is not its last entry");
    }
    Ok(out)
}

/// Bytes a listpack back-length takes for an entry of `l` bytes.
fn lp_backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// The value of a back-length (lpDecodeBacklen): 7-bit groups read from
/// its last byte backwards, the high bit set on all but the first.
fn lp_backlen(b: &[u8]) -> u64 {
    let mut v = 0u64;
    for (shift, &x) in b.iter().rev().enumerate() {
        v |= ((x & 127) as u64) << (7 * shift);
        if x & 128 == 0 {
            break;
        }
    }
    v
}

/// The entries of a listpack, integers as their decimal text.
pub fn listpack_entries(b: &[u8]) -> R<Vec<Bytes>> {
    listpack_entries_with(b, true)
}

/// [`listpack_entries`]; `count` false leaves the header's element count
/// unchecked (what 7.0's iteration never reads).
pub fn listpack_entries_with(b: &[u8], count: bool) -> R<Vec<Bytes>> {
    let head = get(b, 0, 6).map_err(|_| "listpack shorter than its header")?;
    let total = le(&head[0..4]) as usize;
    if total != b.len() {
        return Err("listpack header length does not match its size");
    }
    if b.last() != Some(&0xff) {
        return Err("listpack does not end with 0xff");
    }
    let declared = le(&head[4..6]) as usize;
    let mut out = Vec::new();
    let mut p = 6usize;
    loop {
        let &enc = b.get(p).ok_or("listpack entry past end")?;
        if enc == 0xff {
            if p != b.len() - 1 {
                return Err("listpack end marker before its end");
            }
            break;
        }
        let (hdr, data, v): (usize, usize, Bytes) = if enc & 0x80 == 0 {
            (1, 0, int_bytes((enc & 0x7f) as i64))
        } else if enc & 0xc0 == 0x80 {
            let n = (enc & 0x3f) as usize;
            (1, n, Bytes::copy_from_slice(get(b, p + 1, n)?))
        } else if enc & 0xe0 == 0xc0 {
            let x = get(b, p, 2)?;
            let u = ((x[0] & 0x1f) as u64) << 8 | x[1] as u64;
            (2, 0, int_bytes(sext(u, 13)))
        } else if enc & 0xf0 == 0xe0 {
            let x = get(b, p, 2)?;
            let n = ((x[0] & 0x0f) as usize) << 8 | x[1] as usize;
            (2, n, Bytes::copy_from_slice(get(b, p + 2, n)?))
        } else {
            match enc {
                0xf0 => {
                    let n = le(get(b, p + 1, 4)?) as usize;
                    (5, n, Bytes::copy_from_slice(get(b, p + 5, n)?))
                }
                0xf1 => (3, 0, int_bytes(sext(le(get(b, p + 1, 2)?), 16))),
                0xf2 => (4, 0, int_bytes(sext(le(get(b, p + 1, 3)?), 24))),
                0xf3 => (5, 0, int_bytes(sext(le(get(b, p + 1, 4)?), 32))),
                0xf4 => (9, 0, int_bytes(le(get(b, p + 1, 8)?) as i64)),
                _ => return Err("listpack entry with an invalid encoding"),
            }
        };
        let l = hdr + data;
        let step = l + lp_backlen_size(l);
        let entry = get(b, p, step)?;
        // The back-length must give the entry's size read backwards, as
        // lpValidateNext checks.
        if lp_backlen(&entry[l..]) != l as u64 {
            return Err("listpack entry back-length does not match its size");
        }
        p += step;
        out.push(v);
    }
    if count && declared != 0xffff && declared != out.len() {
        return Err("listpack entry count does not match its header");
    }
    Ok(out)
}

/// The members of an intset, as decimal text.
pub fn intset_entries(b: &[u8]) -> R<Vec<Bytes>> {
    let head = get(b, 0, 8).map_err(|_| "intset shorter than its header")?;
    let width = le(&head[0..4]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("intset with an invalid encoding");
    }
    let n = le(&head[4..8]) as usize;
    if n.checked_mul(width).and_then(|x| x.checked_add(8)) != Some(b.len()) {
        return Err("intset length does not match its size");
    }
    let mut out = Vec::with_capacity(n);
    let mut prev: Option<i64> = None;
    for i in 0..n {
        let v = sext(le(&b[8 + i * width..8 + (i + 1) * width]), width as u32 * 8);
        if prev.is_some_and(|p| p >= v) {
            return Err("intset is not sorted or has duplicates");
        }
        prev = Some(v);
        out.push(int_bytes(v));
    }
    Ok(out)
}

/// The field/value pairs of a zipmap, flattened.
pub fn zipmap_entries(b: &[u8]) -> R<Vec<Bytes>> {
    let mut out = Vec::new();
    let mut p = 1usize; // zmlen
    get(b, 0, 1).map_err(|_| "zipmap is empty")?;
    let read_len = |p: &mut usize| -> R<Option<usize>> {
        let &x = b.get(*p).ok_or("zipmap entry past end")?;
        match x {
            0..=253 => {
                *p += 1;
                Ok(Some(x as usize))
            }
            254 => {
                let v = le(get(b, *p + 1, 4)?) as usize;
                *p += 5;
                Ok(Some(v))
            }
            _ => Ok(None),
        }
    };
    loop {
        let Some(klen) = read_len(&mut p)? else {
            if p != b.len() - 1 {
                return Err("zipmap end marker before its end");
            }
            break;
        };
        out.push(Bytes::copy_from_slice(get(b, p, klen)?));
        p += klen;
        let vlen = read_len(&mut p)?.ok_or("zipmap key without a value")?;
        let &free = b.get(p).ok_or("zipmap entry past end")?;
        p += 1;
        out.push(Bytes::copy_from_slice(get(b, p, vlen)?));
        p += vlen + free as usize;
    }
    Ok(out)
}

// ---- builders (used by tests and for hand-made old-format samples) ----

/// An entry for the builders: a string or an integer.
#[derive(Clone, Debug)]
pub enum Entry<'a> {
    Str(&'a [u8]),
    Int(i64),
}

/// Build a ziplist the way Redis 6 does (smallest integer encodings).
pub fn build_ziplist(entries: &[Entry]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prevlen = 0usize;
    let mut tail = 10usize;
    for e in entries {
        let start = body.len();
        tail = 10 + start;
        if prevlen < 254 {
            body.push(prevlen as u8);
        } else {
            body.push(254);
            body.extend_from_slice(&(prevlen as u32).to_le_bytes());
        }
        match e {
            Entry::Str(s) => {
                let n = s.len();
                if n <= 0x3f {
                    body.push(n as u8);
                } else if n <= 0x3fff {
                    body.push(0x40 | (n >> 8) as u8);
                    body.push(n as u8);
                } else {
                    body.push(0x80);
                    body.extend_from_slice(&(n as u32).to_be_bytes());
                }
                body.extend_from_slice(s);
            }
            Entry::Int(v) => {
                let v = *v;
                if (0..=12).contains(&v) {
                    body.push(0xf1 + v as u8);
                } else if i8::try_from(v).is_ok() {
                    body.push(0xfe);
                    body.push(v as i8 as u8);
                } else if i16::try_from(v).is_ok() {
                    body.push(0xc0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                } else if (-(1 << 23)..(1 << 23)).contains(&v) {
                    body.push(0xf0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                } else if i32::try_from(v).is_ok() {
                    body.push(0xd0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                } else {
                    body.push(0xe0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        prevlen = body.len() - start;
    }
    let total = 10 + body.len() + 1;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(tail as u32).to_le_bytes());
    out.extend_from_slice(&(entries.len().min(0xffff) as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xff);
    out
}

/// A string as a listpack entry: an integer when Redis would store it as one.
pub fn string_entry(s: &[u8]) -> Entry<'_> {
    match crate::keyspace::stream::lp_int(s) {
        Some(v) => Entry::Int(v),
        None => Entry::Str(s),
    }
}

/// Build a listpack the way Redis 7 does.
pub fn build_listpack(entries: &[Entry]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in entries {
        let start = body.len();
        match e {
            Entry::Str(s) => {
                let n = s.len();
                if n < 64 {
                    body.push(0x80 | n as u8);
                } else if n < 4096 {
                    body.push(0xe0 | (n >> 8) as u8);
                    body.push(n as u8);
                } else {
                    body.push(0xf0);
                    body.extend_from_slice(&(n as u32).to_le_bytes());
                }
                body.extend_from_slice(s);
            }
            Entry::Int(v) => {
                let v = *v;
                if (0..=127).contains(&v) {
                    body.push(v as u8);
                } else if (-4096..4096).contains(&v) {
                    let u = (v as u64) & 0x1fff;
                    body.push(0xc0 | (u >> 8) as u8);
                    body.push(u as u8);
                } else if i16::try_from(v).is_ok() {
                    body.push(0xf1);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                } else if (-(1 << 23)..(1 << 23)).contains(&v) {
                    body.push(0xf2);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                } else if i32::try_from(v).is_ok() {
                    body.push(0xf3);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                } else {
                    body.push(0xf4);
                    body.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        // back-length: 7 bits per byte, most significant group first,
        // high bit set on all but the first byte written (lpEncodeBacklen).
        let l = body.len() - start;
        let k = lp_backlen_size(l);
        for i in 0..k {
            let g = ((l >> (7 * (k - 1 - i))) & 0x7f) as u8;
            body.push(if i > 0 { g | 0x80 } else { g });
        }
    }
    let total = 6 + body.len() + 1;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(entries.len().min(0xffff) as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xff);
    out
}

/// Build an intset of sorted distinct values with the smallest width.
pub fn build_intset(values: &[i64]) -> Vec<u8> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.dedup();
    let width = if v.iter().all(|&x| i16::try_from(x).is_ok()) {
        2
    } else if v.iter().all(|&x| i32::try_from(x).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::new();
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes()[..width]);
    }
    out
}

/// Build a zipmap (Redis < 2.6 small hash encoding).
pub fn build_zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = vec![pairs.len().min(254) as u8];
    let push_len = |out: &mut Vec<u8>, n: usize| {
        if n < 254 {
            out.push(n as u8);
        } else {
            out.push(254);
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
    };
    for (k, v) in pairs {
        push_len(&mut out, k.len());
        out.extend_from_slice(k);
        push_len(&mut out, v.len());
        out.push(0); // free
        out.extend_from_slice(v);
    }
    out.push(255);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[Bytes]) -> Vec<String> {
        v.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    fn sample() -> Vec<Entry<'static>> {
        vec![
            Entry::Str(b"hello"),
            Entry::Int(0),
            Entry::Int(12),
            Entry::Int(13),
            Entry::Int(-1),
            Entry::Int(-128),
            Entry::Int(300),
            Entry::Int(-4096),
            Entry::Int(4095),
            Entry::Int(-40000),
            Entry::Int(8_000_000),
            Entry::Int(-2_000_000_000),
            Entry::Int(i64::MAX),
            Entry::Int(i64::MIN),
            Entry::Str(&[b'x'; 100]),
            Entry::Str(&[b'y'; 5000]),
            Entry::Str(b""),
        ]
    }

    fn expected() -> Vec<String> {
        let mut v: Vec<String> = [
            "hello",
            "0",
            "12",
            "13",
            "-1",
            "-128",
            "300",
            "-4096",
            "4095",
            "-40000",
            "8000000",
            "-2000000000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.push(i64::MAX.to_string());
        v.push(i64::MIN.to_string());
        v.push("x".repeat(100));
        v.push("y".repeat(5000));
        v.push(String::new());
        v
    }

    #[test]
    fn ziplist_roundtrip() {
        let zl = build_ziplist(&sample());
        assert_eq!(strs(&ziplist_entries(&zl).unwrap()), expected());
        // Every truncation is an error, not a panic.
        for n in 0..zl.len() {
            assert!(ziplist_entries(&zl[..n]).is_err());
        }
    }

    #[test]
    fn listpack_roundtrip() {
        let lp = build_listpack(&sample());
        assert_eq!(strs(&listpack_entries(&lp).unwrap()), expected());
        for n in 0..lp.len() {
            assert!(listpack_entries(&lp[..n]).is_err());
        }
    }

    #[test]
    fn intset_roundtrip() {
        let is = build_intset(&[5, -3, 70000, 1]);
        assert_eq!(
            strs(&intset_entries(&is).unwrap()),
            ["-3", "1", "5", "70000"]
        );
        assert!(intset_entries(&is[..is.len() - 1]).is_err());
        let big = build_intset(&[1, i64::MAX]);
        assert_eq!(
            strs(&intset_entries(&big).unwrap())[1],
            i64::MAX.to_string()
        );
    }

    #[test]
    fn zipmap_roundtrip() {
        let long = vec![b'v'; 300];
        let zm = build_zipmap(&[(b"a", b"1"), (b"field", &long)]);
        let got = zipmap_entries(&zm).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(&got[0][..], b"a");
        assert_eq!(&got[3][..], &long[..]);
        for n in 0..zm.len() {
            assert!(zipmap_entries(&zm[..n]).is_err());
        }
    }
}
