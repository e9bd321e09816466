//! Streams in RDB files: `RDB_TYPE_STREAM_LISTPACKS_2` (19) as 7.0 writes it
//! (the rax of listpacks with master entries and delta-encoded IDs, then the
//! stream's metadata and the consumer groups with their PELs), and reading
//! 15 (6.x, without the 7.0 counters) and 19.

use super::compact::{build_listpack, Entry};
use super::decode::Reader;
use super::encode::Writer;
use super::RdbError;
use crate::keyspace::stream::{lp_int, Consumer, Group, Node, NodeEntry, Pending, Stream};
use crate::keyspace::StreamId;
use bytes::Bytes;

type R<T> = Result<T, RdbError>;

const FLAG_DELETED: i64 = 1;
const FLAG_SAMEFIELDS: i64 = 2;

/// A string element as `lpAppend` stores it (integers when they look like one).
fn lp_str(s: &[u8]) -> Entry<'_> {
    match lp_int(s) {
        Some(v) => Entry::Int(v),
        None => Entry::Str(s),
    }
}

/// The listpack of one node, byte for byte as Redis builds it.
pub fn node_listpack(master: StreamId, node: &Node) -> Vec<u8> {
    let mut e: Vec<Entry> = vec![
        Entry::Int(node.live as i64),
        Entry::Int(node.deleted as i64),
        Entry::Int(node.master_fields.len() as i64),
    ];
    e.extend(node.master_fields.iter().map(|f| lp_str(f)));
    e.push(Entry::Int(0));
    for entry in &node.entries {
        let same = node.same_fields(&entry.fields);
        let n = entry.fields.len() / 2;
        let mut flags = if entry.deleted { FLAG_DELETED } else { 0 };
        if same {
            flags |= FLAG_SAMEFIELDS;
        }
        e.push(Entry::Int(flags));
        e.push(Entry::Int(entry.id.ms.wrapping_sub(master.ms) as i64));
        e.push(Entry::Int(entry.id.seq.wrapping_sub(master.seq) as i64));
        let mut count = n + 3;
        if same {
            e.extend(entry.fields.iter().skip(1).step_by(2).map(|v| lp_str(v)));
        } else {
            e.push(Entry::Int(n as i64));
            e.extend(entry.fields.iter().map(|v| lp_str(v)));
            count += n + 1;
        }
        e.push(Entry::Int(count as i64));
    }
    build_listpack(&e)
}

/// The body of a stream value (after its type byte and key).
pub(super) fn write(w: &mut Writer, s: &Stream) {
    w.len(s.nodes.len() as u64);
    for (master, node) in &s.nodes {
        w.string(&master.encode());
        w.string(&node_listpack(*master, node));
    }
    w.len(s.length);
    for id in [s.last_id, s.first_id, s.max_deleted_entry_id] {
        w.len(id.ms);
        w.len(id.seq);
    }
    w.len(s.entries_added);
    w.len(s.groups.len() as u64);
    for (name, g) in &s.groups {
        w.string(name);
        w.len(g.last_id.ms);
        w.len(g.last_id.seq);
        w.len(g.entries_read as u64);
        w.len(g.pel.len() as u64);
        for (id, p) in &g.pel {
            w.out.extend_from_slice(&id.encode());
            w.out.extend_from_slice(&p.delivery_time.to_le_bytes());
            w.len(p.delivery_count);
        }
        w.len(g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            w.string(cname);
            w.out.extend_from_slice(&c.seen_time.to_le_bytes());
            w.len(c.pel.len() as u64);
            for id in &c.pel {
                w.out.extend_from_slice(&id.encode());
            }
        }
    }
}

fn int(b: &Bytes) -> Result<i64, &'static str> {
    crate::resp::parse_i64(b).ok_or("stream listpack field is not an integer")
}

/// One node's listpack, checked as `streamValidateListpackIntegrity` (deep).
pub fn parse_node(master: StreamId, lp: &[u8]) -> Result<Node, &'static str> {
    parse_node_with(master, lp, true)
}

/// [`parse_node`]; `deep` false leaves the listpack header's element count
/// unchecked: 7.0's stream iterator never reads it, so such a node serves
/// as a sound one does (`sanitize-dump-payload no`).
pub fn parse_node_with(master: StreamId, lp: &[u8], deep: bool) -> Result<Node, &'static str> {
    let items = super::compact::listpack_entries_with(lp, deep)?;
    let mut it = items.iter();
    let mut next = || it.next().ok_or("stream listpack ends early");
    let live = int(next()?)?;
    let deleted = int(next()?)?;
    let nmaster = int(next()?)?;
    if live < 0 || deleted < 0 || nmaster < 0 {
        return Err("stream listpack with negative counts");
    }
    let mut master_fields = Vec::new();
    for _ in 0..nmaster {
        master_fields.push(next()?.clone());
    }
    if int(next()?)? != 0 {
        return Err("stream master entry without its terminator");
    }
    let mut entries = Vec::new();
    for _ in 0..live + deleted {
        let flags = int(next()?)?;
        let ms = master.ms.wrapping_add(int(next()?)? as u64);
        let seq = master.seq.wrapping_add(int(next()?)? as u64);
        let mut fields = Vec::new();
        let n;
        let mut extra = 3;
        if flags & FLAG_SAMEFIELDS != 0 {
            n = nmaster;
            for f in &master_fields {
                fields.push(f.clone());
                fields.push(next()?.clone());
            }
        } else {
            n = int(next()?)?;
            if n < 0 {
                return Err("stream entry with a negative field count");
            }
            for _ in 0..n * 2 {
                fields.push(next()?.clone());
            }
            extra += n + 1;
        }
        if int(next()?)? != n + extra {
            return Err("stream entry lp-count mismatch");
        }
        entries.push(NodeEntry {
            id: StreamId::new(ms, seq),
            deleted: flags & FLAG_DELETED != 0,
            fields,
        });
    }
    if next().is_ok() {
        return Err("stream listpack has trailing elements");
    }
    let node = Node::from_parts(master_fields, entries, master);
    if node.live != live as u64 || node.deleted != deleted as u64 {
        return Err("stream listpack counts do not match its entries");
    }
    Ok(node)
}

/// What the commands rely on and a payload could contradict: live entries
/// in ID order, none above the last ID, and as many as the length says.
/// (Tombstones may be out of order: XSETID can move the last ID below a
/// deleted entry's, and Redis then appends after it.)
fn check_entries(s: &Stream) -> Result<(), &'static str> {
    let mut prev: Option<StreamId> = None;
    let mut live = 0u64;
    for node in s.nodes.values() {
        for e in node.entries.iter().filter(|e| !e.deleted) {
            if prev.is_some_and(|p| e.id <= p) {
                return Err("Stream entries out of ID order");
            }
            prev = Some(e.id);
            live += 1;
        }
    }
    if prev.is_some_and(|p| p > s.last_id) {
        return Err("Stream entry ID above the stream's last ID");
    }
    if live != s.length {
        return Err("Stream length inconsistent with its entries");
    }
    Ok(())
}

/// A stream value of type `t` (15 or 19).
pub(super) fn read(r: &mut Reader, t: u8) -> R<Stream> {
    let at = r.pos;
    let corrupt = |m: &str| RdbError::new(m.to_string(), at);
    let v2 = t == super::types::STREAM_LISTPACKS_2;
    let mut s = Stream::new();
    let nodes = r.count(2)?;
    for _ in 0..nodes {
        let key = r.string()?;
        let master = StreamId::decode(&key)
            .ok_or_else(|| corrupt("Stream node key entry is not the size of a stream ID"))?;
        let lp = r.string()?;
        let node = parse_node_with(master, &lp, r.deep)
            .map_err(|_| RdbError::new("Stream listpack integrity check failed.", at))?;
        if node.entries.is_empty() && node.master_fields.is_empty() && lp.len() <= 7 {
            return Err(corrupt("Empty listpack inside stream"));
        }
        if s.nodes.insert(master, node).is_some() {
            return Err(corrupt("Listpack re-added with existing key"));
        }
    }
    s.length = r.len()?;
    s.last_id = StreamId::new(r.len()?, r.len()?);
    if v2 {
        s.first_id = StreamId::new(r.len()?, r.len()?);
        s.max_deleted_entry_id = StreamId::new(r.len()?, r.len()?);
        s.entries_added = r.len()?;
    } else {
        s.entries_added = s.length;
        // As 7.0: MAX-MAX when there is no live entry.
        s.first_id = s.first_edge(true);
    }
    if s.length > 0 && s.nodes.is_empty() {
        return Err(corrupt("Stream length inconsistent with rax entries"));
    }
    check_entries(&s).map_err(corrupt)?;
    let ngroups = r.count(3)?;
    for _ in 0..ngroups {
        let name = r.string()?;
        let last_id = StreamId::new(r.len()?, r.len()?);
        let entries_read = if v2 {
            r.len()? as i64
        } else {
            s.estimate_distance(last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        let npel = r.count(17)?;
        for _ in 0..npel {
            let id = StreamId::decode(r.take(16)?).expect("16 bytes");
            let delivery_time = u64::from_le_bytes(r.array::<8>()?);
            let delivery_count = r.len()?;
            let p = Pending {
                delivery_time,
                delivery_count,
                consumer: Bytes::new(),
            };
            if g.pel.insert(id, p).is_some() {
                return Err(corrupt(
                    "Duplicated global PEL entry loading stream consumer group",
                ));
            }
        }
        // Pending entries given to a consumer (a consumer may be named "").
        let mut owned: std::collections::BTreeSet<StreamId> = Default::default();
        let nconsumers = r.count(9)?;
        for _ in 0..nconsumers {
            let cname = r.string()?;
            let seen_time = u64::from_le_bytes(r.array::<8>()?);
            let mut c = Consumer {
                seen_time,
                pel: Default::default(),
            };
            let n = r.count(16)?;
            for _ in 0..n {
                let id = StreamId::decode(r.take(16)?).expect("16 bytes");
                let p = g
                    .pel
                    .get_mut(&id)
                    .ok_or_else(|| corrupt("Consumer entry not found in group global PEL"))?;
                if !owned.insert(id) {
                    return Err(corrupt(
                        "Duplicated consumer PEL entry loading a stream consumer group",
                    ));
                }
                p.consumer = cname.clone();
                c.pel.insert(id);
            }
            if g.consumers.insert(cname, c).is_some() {
                return Err(corrupt("Duplicate stream consumer detected."));
            }
        }
        if owned.len() != g.pel.len() {
            return Err(corrupt("Stream PEL entry without a consumer"));
        }
        if s.groups.insert(name, g).is_some() {
            return Err(corrupt("Duplicated consumer group name"));
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::stream::Trim;

    use crate::keyspace::stream::tests::fv;

    #[test]
    fn node_listpack_size_matches_the_tracked_size_and_parses_back() {
        let mut s = Stream::new();
        for i in 0..300u64 {
            let fields = if i % 7 == 0 {
                fv(&["other", "x", "n", "123456789"])
            } else {
                fv(&["a", "1", "b", "some text value"])
            };
            s.append(&fields, None, 1_700_000_000_000 + i / 5, 4096, 100)
                .unwrap();
        }
        s.delete_ids(&[StreamId::new(1_700_000_000_000, 1)]);
        for (master, node) in &s.nodes {
            let lp = node_listpack(*master, node);
            assert_eq!(lp.len(), node.lp_bytes());
            assert_eq!(&parse_node(*master, &lp).unwrap(), node);
        }
    }

    #[test]
    fn stream_round_trips_through_the_rdb_body() {
        let mut s = Stream::new();
        s.append(&fv(&["f", "v"]), None, 5, 4096, 100).unwrap();
        s.append(&fv(&["f", "w"]), None, 6, 4096, 100).unwrap();
        let mut g = Group::new(StreamId::new(6, 0), 2);
        g.consumers.insert(
            Bytes::from_static(b"alice"),
            Consumer {
                seen_time: 99,
                pel: [StreamId::new(5, 0)].into(),
            },
        );
        g.pel.insert(
            StreamId::new(5, 0),
            Pending {
                delivery_time: 7,
                delivery_count: 2,
                consumer: Bytes::from_static(b"alice"),
            },
        );
        s.groups.insert(Bytes::from_static(b"g"), g);
        let mut w = Writer {
            out: Vec::new(),
            compress: true,
        };
        write(&mut w, &s);
        let mut r = Reader {
            buf: &w.out,
            pos: 0,
            deep: true,
        };
        let back = read(&mut r, super::super::types::STREAM_LISTPACKS_2).unwrap();
        assert_eq!(back, s);
        assert_eq!(r.pos, w.out.len());
        // The same through a DUMP payload.
        let value = crate::keyspace::Value::Stream(Box::new(s.clone()));
        let payload = super::super::payload::dump(&value, true);
        match super::super::payload::restore(&payload) {
            Ok(crate::keyspace::Value::Stream(back)) => assert_eq!(*back, s),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn type_15_lacks_the_7_0_counters_and_derives_them() {
        let mut s = Stream::new();
        for i in 1..=3 {
            s.append(
                &fv(&["f", "v"]),
                Some((StreamId::new(i, 0), true)),
                0,
                4096,
                100,
            )
            .unwrap();
        }
        s.delete_ids(&[StreamId::new(1, 0)]);
        s.groups
            .insert(Bytes::from_static(b"g"), Group::new(StreamId::new(2, 0), 0));
        // Type 15: no first ID, max deleted ID, entries added, entries read.
        let mut w = Writer {
            out: Vec::new(),
            compress: false,
        };
        w.len(s.nodes.len() as u64);
        for (master, node) in &s.nodes {
            w.string(&master.encode());
            w.string(&node_listpack(*master, node));
        }
        w.len(s.length);
        w.len(s.last_id.ms);
        w.len(s.last_id.seq);
        w.len(1);
        w.string(b"g");
        w.len(2);
        w.len(0);
        w.len(0);
        w.len(0);
        let mut r = Reader {
            buf: &w.out,
            pos: 0,
            deep: true,
        };
        let back = read(&mut r, super::super::types::STREAM_LISTPACKS).unwrap();
        assert_eq!(back.entries_added, 2);
        assert_eq!(back.first_id, StreamId::new(2, 0));
        assert_eq!(back.max_deleted_entry_id, StreamId::MIN);
        // The group's read counter is estimated from its last ID.
        assert_eq!(back.groups[&b"g"[..]].entries_read, 1);
    }

    #[test]
    fn corrupt_listpacks_are_refused() {
        let mut s = Stream::new();
        s.append(&fv(&["f", "v"]), None, 5, 4096, 100).unwrap();
        let (master, node) = s.nodes.iter().next().unwrap();
        let mut lp = node_listpack(*master, node);
        // Claim two live entries where there is one.
        lp[6] = 2;
        assert!(parse_node(*master, &lp).is_err());
        assert!(parse_node(*master, &lp[..lp.len() - 1]).is_err());
    }

    /// Payloads damaged byte by byte are refused or load into a stream the
    /// commands can work on without panicking.
    #[test]
    fn damaged_payloads_never_panic() {
        let mut s = Stream::new();
        for i in 1..=12u64 {
            let f = if i % 4 == 0 {
                fv(&["o", "x"])
            } else {
                fv(&["f", "12", "g", "y"])
            };
            s.append(&f, Some((StreamId::new(i, i % 2), true)), 0, 4096, 5)
                .unwrap();
        }
        s.delete_ids(&[StreamId::new(3, 1), StreamId::new(12, 0)]);
        let mut g = Group::new(StreamId::new(6, 0), 5);
        g.consumers.insert(
            Bytes::from_static(b"c"),
            Consumer {
                seen_time: 1,
                pel: [StreamId::new(5, 1)].into(),
            },
        );
        g.pel.insert(
            StreamId::new(5, 1),
            Pending {
                delivery_time: 1,
                delivery_count: 1,
                consumer: Bytes::from_static(b"c"),
            },
        );
        s.groups.insert(Bytes::from_static(b"g"), g);
        let value = crate::keyspace::Value::Stream(Box::new(s));
        let good = crate::rdb::encode_value(&value, false);
        let mut loaded = 0;
        for i in 0..good.len() {
            for delta in [1u8, 0x7f, 0xff] {
                let mut bad = good.clone();
                bad[i] = bad[i].wrapping_add(delta);
                let Ok(crate::keyspace::Value::Stream(mut st)) = crate::rdb::decode_value(&bad)
                else {
                    continue;
                };
                loaded += 1;
                let _ = st.range(StreamId::MIN, StreamId::MAX).rev().count();
                let _ = st.memory_usage(|n| n, 5);
                for g in st.groups.values() {
                    let _ = st.lag(g);
                }
                st.delete_ids(&[StreamId::new(5, 1), StreamId::new(7, 1)]);
                let _ = st.append(&fv(&["a", "b"]), None, 100, 4096, 5);
                st.trim(Trim::MaxLen(3), true, 0);
                st.trim(Trim::MinId(StreamId::new(9, 0)), false, 0);
                st.trim(Trim::MaxLen(0), false, 0);
                for (m, n) in &st.nodes {
                    let _ = node_listpack(*m, n);
                }
            }
        }
        assert!(loaded > 0, "some damage (values) still loads");
    }
}
