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
use crate::keyspace::corrupt_walk::{lp_entries_ok, lp_next, RawStream, STREAM_NUMFIELDS};
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
            Err(_) => return Err(Failure::LISTPACK_ENTRY),
        }
    }
}

/// A value of type `t` whose deep check failed, read again from the start
/// of its body with 7.0's shallow checks: the kept value, `None` for an
/// empty one (refused as 7.0 refuses empty keys), or 7.0's refusal.
pub(super) fn keep(r: &mut Reader, t: u8, at: usize) -> R<Option<Value>> {
    let start = r.pos;
    let corrupt = |m: &str| RdbError::new(m.to_string(), at);
    // A failure 7.0 meets while loading, before the key exists.
    let mut on_load = None;
    let mut raw_stream = None;
    let mut listpack = Bytes::new();
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
            listpack = data.clone();
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
            let (failure, first, raw) = stream(r, t, at)?;
            on_load = first;
            raw_stream = Some(Box::new(raw));
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
        stream: raw_stream,
        listpack,
    }))))
}

/// A stream body with 7.0's shallow checks: what reading it meets, a
/// failure met while loading (`lpFirst` on each node asserts its first
/// entry; a type 15 stream is walked for its first ID), and its nodes.
fn stream(r: &mut Reader, t: u8, at: usize) -> R<(Failure, Option<Failure>, RawStream)> {
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
            } else if super::stream::parse_node_with(master, &lp, false).is_err() {
                failure = Some(STREAM_NUMFIELDS);
            }
        }
        listpacks.push((master, lp));
    }
    listpacks.sort_by_key(|(m, _)| *m);
    let length = r.len()?;
    let raw = RawStream {
        nodes: listpacks,
        length,
    };
    // A type 15 stream's first ID is found by walking it (streamGetEdgeID).
    if t == ty::STREAM_LISTPACKS && on_load.is_none() {
        on_load = raw.walk(false, true).err();
    }
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
    Ok((failure.unwrap_or(STREAM_NUMFIELDS), on_load, raw))
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

    use crate::keyspace::corrupt::Failure;
    use crate::keyspace::corrupt_walk::{lp_entries_ok, lp_next};
    use crate::keyspace::stream::Stream;
    use crate::keyspace::{Dict, HashValue, QuickList, ZSet};

    fn lp_length_of(b: &[u8]) -> Result<usize, Failure> {
        lp_length(b)
    }

    #[test]
    fn listpack_entries_walk_as_lp_validate_next() {
        let lp = build_listpack(&[Entry::Int(1), Entry::Str(b"abc"), Entry::Int(100000)]);
        assert!(lp_header_ok(&lp));
        assert!(lp_entries_ok(&lp));
        assert_eq!(lp_length_of(&lp), Ok(3));
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

    /// Payloads of every listpack-encoded type, their bytes flipped at
    /// random: decoding with the shallow check and replaying every walk on
    /// what is kept never panics, and sound payloads decode in full.
    #[test]
    fn corrupted_listpacks_never_panic() {
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        let mut h = Dict::new();
        let mut z = ZSet::new_skip();
        for i in 0..20 {
            h.insert(b(&format!("f{i}")), b(&format!("value {i}")));
            z.insert(b(&format!("m{i}")), i as f64 * 1.5);
        }
        let mut h = HashValue::from_dict(h);
        h.to_packed();
        z.to_packed();
        let mut l = QuickList::new();
        for i in 0..30 {
            l.push_back(format!("item {i}").as_bytes());
        }
        let mut st = Stream::new();
        for i in 0..40u64 {
            let f = if i % 4 == 0 {
                vec![b("a"), b("1"), b("b"), b(&i.to_string())]
            } else {
                vec![b("name"), b("x")]
            };
            st.append(&f, None, 1000 + i, 4096, 10).unwrap();
        }
        let values = [
            Value::Hash(h),
            Value::ZSet(z),
            Value::List(l),
            Value::Stream(Box::new(st)),
        ];
        let mut rng = crate::rng::Rng::new(7);
        let mut kept = 0;
        for v in &values {
            let good = crate::rdb::encode_value(v, false);
            assert!(crate::rdb::decode_value_checked(&good, false).is_ok());
            for _ in 0..3000 {
                let mut p = good.clone();
                for _ in 0..1 + rng.below(3) {
                    let at = 1 + rng.below(p.len() as u64 - 1) as usize;
                    p[at] = rng.next_u64() as u8;
                }
                if let Ok(Value::Corrupt(c)) = crate::rdb::decode_value_checked(&p, false) {
                    kept += 1;
                    for cmd in ["xread", "xrevrange", "xrange", "hget", "lpop"] {
                        let _ = c.failure_for(cmd);
                    }
                }
            }
        }
        assert!(kept > 100, "{kept}");
    }
}
