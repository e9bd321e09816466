//! 7.0's shallow checks (`sanitize-dump-payload no`): a listpack-encoded
//! value (quicklist 2 nodes, listpack hashes and sorted sets, stream nodes)
//! whose deep check fails is read again with only the checks 7.0 always
//! makes (headers, sizes, the first stream entry `lpFirst` asserts on) and
//! kept as received, a [`Corrupt`] value. Anything else 7.0 checks in full
//! whatever the setting (ziplists, zipmaps, intsets here, plain encodings).

use super::decode::Reader;
use super::types as ty;
use super::RdbError;
use crate::keyspace::corrupt::{Corrupt, Failure, Kind};
use crate::keyspace::{StreamId, Value};
use bytes::Bytes;
use std::collections::BTreeSet;

type R<T> = Result<T, RdbError>;

/// Whether values of RDB type `t` get only a shallow check.
pub fn applies(t: u8) -> bool {
    matches!(
        t,
        ty::LIST_QUICKLIST_2
            | ty::HASH_LISTPACK
            | ty::ZSET_LISTPACK
            | ty::STREAM_LISTPACKS
            | ty::STREAM_LISTPACKS_2
    )
}

/// `lpValidateIntegrity` with `deep` 0: the header's size is the blob's
/// and the blob ends with the terminator.
fn lp_header_ok(b: &[u8]) -> bool {
    b.len() >= 7
        && u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize == b.len()
        && b[b.len() - 1] == 0xff
}

/// The element count in a listpack's header (65535: unknown).
fn lp_numele(b: &[u8]) -> usize {
    u16::from_le_bytes([b[4], b[5]]) as usize
}

/// `lpValidateNext`: the entry at `p` fits in the listpack and its
/// back-length matches; the next entry's offset (`None` at the end), or
/// `Err` for an invalid entry.
fn lp_next(b: &[u8], p: usize) -> Result<Option<usize>, ()> {
    let out = |q: usize| q < 6 || q > b.len() - 1;
    if out(p) {
        return Err(());
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
        _ => return Err(()),
    };
    if out(p + lenbytes) {
        return Err(());
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
    let backlen = match size {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    };
    let total = size + backlen;
    if (p as u64).saturating_add(total) > (b.len() - 1) as u64 {
        return Err(());
    }
    let next = p + total as usize;
    // lpDecodeBacklen from the last byte of the entry backwards.
    let mut v = 0u64;
    let mut q = next - 1;
    let mut shift = 0;
    loop {
        v |= ((b[q] & 127) as u64) << shift;
        if b[q] & 128 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 || q == 0 {
            v = u64::MAX;
            break;
        }
        q -= 1;
    }
    if v.wrapping_add(backlen) != total {
        return Err(());
    }
    Ok(Some(next))
}

/// Whether every entry of the listpack passes `lpValidateNext` (what
/// lpNext / lpPrev assert on each step); `false` at the first that fails.
fn lp_entries_ok(b: &[u8]) -> bool {
    let mut p = 6;
    loop {
        match lp_next(b, p) {
            Ok(Some(n)) => p = n,
            Ok(None) => return true,
            Err(()) => return false,
        }
    }
}

/// The elements `lpLength` counts: the header's count, else a walk that
/// asserts on an invalid entry.
fn lp_length(b: &[u8]) -> Result<usize, Failure> {
    let n = lp_numele(b);
    if n != 65535 {
        return Ok(n);
    }
    let (mut p, mut count) = (6, 0);
    loop {
        match lp_next(b, p) {
            Ok(Some(next)) => {
                p = next;
                count += 1;
            }
            Ok(None) => return Ok(count),
            Err(()) => return Err(Failure::LISTPACK_ENTRY),
        }
    }
}

/// `assert(p)` in lpNext (stepping past the last element) and in lpGet
/// (reading past it).
const LP_NEXT_NULL: Failure = Failure::Assert {
    file: "listpack.c",
    line: 475,
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

/// The element at `p` as `lpGet` reads it: its integer, or its string.
fn lp_get(b: &[u8], p: usize) -> Result<i64, &[u8]> {
    let e = b[p];
    let le = |n: usize| {
        b[p + 1..p + 1 + n]
            .iter()
            .rev()
            .fold(0u64, |acc, &x| acc << 8 | x as u64)
    };
    let sext = |v: u64, bits: u32| ((v << (64 - bits)) as i64) >> (64 - bits);
    match e {
        _ if e & 0x80 == 0 => Ok((e & 0x7f) as i64),
        _ if e & 0xc0 == 0x80 => Err(&b[p + 1..p + 1 + (e & 0x3f) as usize]),
        _ if e & 0xe0 == 0xc0 => Ok(sext(((e & 0x1f) as u64) << 8 | b[p + 1] as u64, 13)),
        0xf1 => Ok(sext(le(2), 16)),
        0xf2 => Ok(sext(le(3), 24)),
        0xf3 => Ok(sext(le(4), 32)),
        0xf4 => Ok(le(8) as i64),
        _ if e & 0xf0 == 0xe0 => {
            let n = ((e & 0x0f) as usize) << 8 | b[p + 1] as usize;
            Err(&b[p + 2..p + 2 + n])
        }
        _ => {
            let n = le(4) as usize;
            Err(&b[p + 5..p + 5 + n])
        }
    }
}

/// A stream's first live entry as 7.0's forward iterator finds it
/// (`streamGetEdgeID` on loading a type 15 stream), with the assertions it
/// meets on the way: `Ok` whether or not it finds one.
fn first_id_walk(nodes: &[(StreamId, Bytes)]) -> Result<(), Failure> {
    // lpNext: the element after a valid one, itself validated.
    let next = |b: &[u8], p: Option<usize>| -> Result<Option<usize>, Failure> {
        let p = p.ok_or(LP_NEXT_NULL)?;
        let q = lp_next(b, p)
            .ok()
            .flatten()
            .ok_or(Failure::LISTPACK_ENTRY)?;
        if b[q] == 0xff {
            return Ok(None);
        }
        lp_next(b, q).map_err(|_| Failure::LISTPACK_ENTRY)?;
        Ok(Some(q))
    };
    let int = |b: &[u8], p: Option<usize>| -> Result<i64, Failure> {
        match lp_get(b, p.ok_or(LP_GET_NULL)?) {
            Ok(v) => Ok(v),
            Err(s) => std::str::from_utf8(s)
                .ok()
                .and_then(|s| crate::resp::parse_i64(s.as_bytes()))
                .ok_or(STREAM_NOT_INT),
        }
    };
    for (_, b) in nodes {
        // lpFirst was checked on loading each node.
        let mut p = Some(6);
        p = next(b, p)?;
        p = next(b, p)?;
        let master_fields = int(b, p)?;
        p = next(b, p)?;
        for _ in 0..master_fields.max(0) {
            p = next(b, p)?;
        }
        loop {
            p = next(b, p)?;
            if p.is_none() {
                break;
            }
            let flags = int(b, p)?;
            p = next(b, p)?;
            int(b, p)?;
            p = next(b, p)?;
            int(b, p)?;
            p = next(b, p)?;
            let numfields = if flags & 2 != 0 {
                master_fields
            } else {
                let n = int(b, p)?;
                p = next(b, p)?;
                n
            };
            if numfields < 0 {
                return Err(STREAM_ENTRY);
            }
            if flags & 1 == 0 {
                return Ok(());
            }
            let discard = if flags & 2 != 0 {
                numfields
            } else {
                numfields * 2
            };
            for _ in 0..discard {
                p = next(b, p)?;
            }
        }
    }
    Ok(())
}

/// The stream iterator's check on an entry's field count, where a stream
/// listpack whose entries are well formed but whose counts or flags are
/// not trips first in 7.0's walks (t_stream.c).
pub const STREAM_ENTRY: Failure = Failure::Assert {
    file: "t_stream.c",
    line: 1196,
    expr: "*numfields>=0",
};

/// A value of type `t` whose deep check failed, read again from the start
/// of its body with 7.0's shallow checks: the kept value, `None` for an
/// empty one (refused as 7.0 refuses empty keys), or 7.0's refusal.
pub(super) fn keep(r: &mut Reader, t: u8, at: usize) -> R<Option<Value>> {
    let start = r.pos;
    let corrupt = |m: &str| RdbError::new(m.to_string(), at);
    // A failure 7.0 meets while loading, before the key exists.
    let mut on_load = None;
    let (kind, failure, elements) = match t {
        ty::LIST_QUICKLIST_2 => {
            let n = r.count(1)?;
            let mut failure = None;
            let mut total = 0;
            for _ in 0..n {
                let container = r.len()?;
                if container != 1 && container != 2 {
                    return Err(corrupt("Quicklist integrity check failed."));
                }
                let s_at = r.pos;
                let data = r.string()?;
                if data.is_empty() {
                    return Err(RdbError::new("empty quicklist node", s_at));
                }
                if container == 1 {
                    total += 1;
                    continue;
                }
                if !lp_header_ok(&data) {
                    return Err(RdbError::new("Listpack integrity check failed.", s_at));
                }
                match lp_length(&data) {
                    Ok(len) => total += len,
                    Err(f) => on_load = on_load.or(Some(f)),
                }
                if failure.is_none() && !lp_entries_ok(&data) {
                    failure = Some(Failure::LISTPACK_ENTRY);
                }
            }
            if total == 0 && on_load.is_none() {
                return Ok(None);
            }
            (
                Kind::List,
                failure.unwrap_or(Failure::LISTPACK_ENTRY),
                total,
            )
        }
        ty::HASH_LISTPACK | ty::ZSET_LISTPACK => {
            let (kind, what) = if t == ty::HASH_LISTPACK {
                (Kind::Hash, "Hash listpack integrity check failed.")
            } else {
                (Kind::ZSet, "Zset listpack integrity check failed.")
            };
            let data = r.string()?;
            if !lp_header_ok(&data) {
                return Err(corrupt(what));
            }
            let elements = match lp_length(&data) {
                Ok(0) => return Ok(None),
                Ok(n) => n,
                Err(f) => {
                    on_load = Some(f);
                    0
                }
            };
            let failure = if !lp_entries_ok(&data) {
                Failure::LISTPACK_ENTRY
            } else if kind == Kind::Hash {
                // Well formed but with repeated fields (or an odd count):
                // a conversion to a table finds the repeat
                // (hashTypeConvertListpack).
                Failure::Panic {
                    file: "t_hash.c",
                    line: 477,
                    msg: "Listpack corruption detected".into(),
                    hexdump: Some(("listpack with dup elements dump", data.clone())),
                }
            } else {
                // zsetConvert's insertion of a repeated member.
                Failure::Assert {
                    file: "t_zset.c",
                    line: 1203,
                    expr: "dictAdd(zs->dict,ele,&node->score) == DICT_OK",
                }
            };
            (kind, failure, elements)
        }
        ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 => {
            let (failure, first) = stream(r, t, at)?;
            if let Some(f) = first {
                on_load = Some(f);
            }
            (Kind::Stream, failure, 0)
        }
        _ => return Err(corrupt("unsupported RDB type for a shallow check")),
    };
    Ok(Some(Value::Corrupt(Box::new(Corrupt {
        kind,
        rdb_type: t,
        body: Bytes::copy_from_slice(&r.buf[start..r.pos]),
        failure,
        elements,
        on_load,
    }))))
}

/// A stream body with 7.0's shallow checks: what reading it meets, and a
/// failure met while loading (`lpFirst` on each node asserts its first
/// entry; a type 15 stream is walked for its first ID).
fn stream(r: &mut Reader, t: u8, at: usize) -> R<(Failure, Option<Failure>)> {
    let corrupt = |m: &str| RdbError::new(m.to_string(), at);
    let nodes = r.count(2)?;
    let mut masters = BTreeSet::new();
    let mut listpacks = Vec::new();
    let mut failure = None;
    let mut on_load = None;
    for _ in 0..nodes {
        let key = r.string()?;
        let master = StreamId::decode(&key)
            .ok_or_else(|| corrupt("Stream node key entry is not the size of a stream ID"))?;
        let lp = r.string()?;
        if !lp_header_ok(&lp) {
            return Err(corrupt("Stream listpack integrity check failed."));
        }
        if lp[6] == 0xff {
            return Err(corrupt("Empty listpack inside stream"));
        }
        if lp_next(&lp, 6).is_err() {
            on_load = on_load.or(Some(Failure::LISTPACK_ENTRY));
        }
        if !masters.insert(master) {
            return Err(corrupt("Listpack re-added with existing key"));
        }
        if failure.is_none() {
            if !lp_entries_ok(&lp) {
                failure = Some(Failure::LISTPACK_ENTRY);
            } else if super::stream::parse_node(master, &lp).is_err() {
                failure = Some(STREAM_ENTRY);
            }
        }
        listpacks.push((master, lp));
    }
    // A type 15 stream's first ID is found by walking it (in rax order).
    if t == ty::STREAM_LISTPACKS && on_load.is_none() {
        listpacks.sort_by_key(|(m, _)| *m);
        on_load = first_id_walk(&listpacks).err();
    }
    let length = r.len()?;
    r.len()?;
    r.len()?;
    if t == ty::STREAM_LISTPACKS_2 {
        for _ in 0..5 {
            r.len()?;
        }
    }
    if length > 0 && nodes == 0 {
        return Err(corrupt("Stream length inconsistent with rax entries"));
    }
    groups(r, t, at)?;
    Ok((failure.unwrap_or(STREAM_ENTRY), on_load))
}

/// The consumer groups, with the checks 7.0 makes whatever the setting
/// (the one for pending entries without a consumer is a deep one).
fn groups(r: &mut Reader, t: u8, at: usize) -> R<()> {
    let corrupt = |m: &str| RdbError::new(m.to_string(), at);
    let ngroups = r.count(3)?;
    let mut names = BTreeSet::new();
    for _ in 0..ngroups {
        let name = r.string()?;
        r.len()?;
        r.len()?;
        if t == ty::STREAM_LISTPACKS_2 {
            r.len()?;
        }
        if !names.insert(name) {
            return Err(corrupt("Duplicated consumer group name"));
        }
        let mut pel = BTreeSet::new();
        for _ in 0..r.count(17)? {
            let id = StreamId::decode(r.take(16)?).expect("16 bytes");
            r.array::<8>()?;
            r.len()?;
            if !pel.insert(id) {
                return Err(corrupt(
                    "Duplicated global PEL entry loading stream consumer group",
                ));
            }
        }
        let mut consumers = BTreeSet::new();
        let mut owned = BTreeSet::new();
        for _ in 0..r.count(9)? {
            let cname = r.string()?;
            if !consumers.insert(cname) {
                return Err(corrupt("Duplicate stream consumer detected."));
            }
            r.array::<8>()?;
            for _ in 0..r.count(16)? {
                let id = StreamId::decode(r.take(16)?).expect("16 bytes");
                if !pel.contains(&id) {
                    return Err(corrupt("Consumer entry not found in group global PEL"));
                }
                if !owned.insert(id) {
                    return Err(corrupt(
                        "Duplicated consumer PEL entry loading a stream consumer group",
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::compact::{build_listpack, Entry};

    #[test]
    fn listpack_entries_walk_as_lp_validate_next() {
        let lp = build_listpack(&[Entry::Int(1), Entry::Str(b"abc"), Entry::Int(100000)]);
        assert!(lp_header_ok(&lp));
        assert!(lp_entries_ok(&lp));
        assert_eq!(lp_length(&lp), Ok(3));
        // A string entry claiming one byte more than it has.
        let mut bad = lp.clone();
        bad[8] += 1;
        assert!(lp_header_ok(&bad));
        assert!(!lp_entries_ok(&bad));
        assert!(lp_next(&bad, 6).is_ok());
        // The header's size no longer matches.
        let mut short = lp.clone();
        short.remove(7);
        assert!(!lp_header_ok(&short));
    }
}
