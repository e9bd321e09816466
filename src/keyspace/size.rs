//! What one key and its value cost, as Redis 7.0 would allocate them: the
//! figure a database keeps its running total of (see `Db::dataset_bytes`)
//! and MEMORY USAGE reports.
//!
//! The core has no allocator to ask (nodes share a process in the
//! simulator and the page), so sizes follow Redis's structures: a
//! dictEntry, a robj, sds headers, listpack / quicklist / dict entries.
//! Collections are sampled as `objectComputeSize` samples them: the
//! average of up to `samples` elements times the length, so the figure of
//! a change costs O(samples), not O(length).

use super::{Object, Value};

/// A key's fixed cost: its dictEntry, the value's robj and the key's sds header.
pub const KEY_OVERHEAD: u64 = 24 + 16 + 9;
/// Elements sampled to size a collection when a database charges it.
pub const CHARGE_SAMPLES: usize = 8;

/// The cost of the string value of `len` bytes (embedded up to 44 bytes).
fn str_cost(len: usize) -> u64 {
    if len <= 44 {
        len as u64 + 4
    } else {
        len as u64 + 9
    }
}

/// `len` elements extrapolated from the costs of a sample of them.
fn extrapolate(len: usize, sampled: impl Iterator<Item = u64>, samples: usize) -> u64 {
    let take = if samples == 0 { len } else { samples.min(len) };
    let (mut n, mut sum) = (0u64, 0u64);
    for c in sampled.take(take) {
        n += 1;
        sum += c;
    }
    (sum * len as u64).checked_div(n).unwrap_or(0)
}

/// A quicklist's robj and header.
const QUICKLIST_OVERHEAD: u64 = 16 + 40;
/// A quicklist node's header and its listpack's header and terminator.
const QUICKLIST_NODE: usize = 32 + 7;

/// A listpack's header and terminator, and its robj.
const LISTPACK_OVERHEAD: u64 = 16 + 7;

/// What an element takes in a listpack: its bytes and about two of
/// encoding and back-length.
fn listpack_entry(len: usize) -> u64 {
    len as u64 + 2
}

/// The value's cost, collections sampled with up to `samples` elements
/// (0: all); `compact` is a collection still in its small encoding
/// (listpack, intset), which costs far less than a hashtable or skiplist.
pub fn value_bytes(v: &Value, compact: bool, samples: usize) -> u64 {
    match v {
        Value::Hash(h) if compact => {
            let sampled = h
                .iter()
                .map(|(f, v)| listpack_entry(f.len()) + listpack_entry(v.len()));
            LISTPACK_OVERHEAD + extrapolate(h.len(), sampled, samples)
        }
        Value::Set(s) if compact => {
            let width = s.ints().map_or(2, |i| i.width()) as u64;
            16 + 8 + width * s.len() as u64
        }
        Value::ZSet(z) if compact => {
            // Each member is followed by its score, a short number mostly.
            let sampled = z.members().map(|m| listpack_entry(m.len()) + 4);
            LISTPACK_OVERHEAD + extrapolate(z.len(), sampled, samples)
        }
        Value::Str(s) => str_cost(s.len()),
        Value::Corrupt(c) => c.size() as u64,
        Value::List(l) => {
            // As objectComputeSize: the quicklist and its robj, then the
            // first nodes (their header and listpack) times the node count.
            let sampled = l.node_bytes().map(|b| (b + QUICKLIST_NODE) as u64);
            QUICKLIST_OVERHEAD + extrapolate(l.node_count(), sampled, samples)
        }
        // Tables are sampled in slab order: dense, where bucket order walks
        // empty buckets (and boxes its iterator) on every charge of a write.
        Value::Hash(h) => {
            let sampled = match h.table() {
                Some(d) => extrapolate(
                    h.len(),
                    d.iter_slab().map(|(f, v)| (f.len() + v.len()) as u64 + 22),
                    samples,
                ),
                None => extrapolate(
                    h.len(),
                    h.iter().map(|(f, v)| (f.len() + v.len()) as u64 + 22),
                    samples,
                ),
            };
            32 + sampled
        }
        Value::Set(s) => {
            let sampled = match s.table() {
                Some(d) => extrapolate(
                    s.len(),
                    d.iter_slab().map(|(m, _)| m.len() as u64 + 11),
                    samples,
                ),
                None => extrapolate(s.len(), s.iter().map(|m| m.len() as u64 + 11), samples),
            };
            32 + sampled
        }
        Value::ZSet(z) => {
            48 + extrapolate(z.len(), z.members().map(|m| m.len() as u64 + 40), samples)
        }
        // Sized whole, with its key, by `stream_bytes`.
        Value::Stream(_) => 0,
    }
}

/// What `key` and its value take, its expire not counted (MEMORY USAGE
/// with SAMPLES `samples`).
pub fn key_bytes(key: &[u8], o: &Object, samples: usize) -> u64 {
    if let Value::Stream(s) = &o.value {
        return stream_bytes(key, s, samples);
    }
    KEY_OVERHEAD + key.len() as u64 + value_bytes(&o.value, !o.is_big(), samples)
}

/// What a key is charged in the running memory total: [`key_bytes`] with
/// [`CHARGE_SAMPLES`], a stream estimated without walking its radix trees
/// (every XADD / XACK recharges it, so it must not cost O(entries)).
pub fn key_charge(key: &[u8], o: &Object) -> u64 {
    if let Value::Stream(s) = &o.value {
        use crate::server::query_buffer::size_class;
        return (s.memory_estimate(size_class, CHARGE_SAMPLES) + 24 + size_class(key.len() + 4))
            as u64;
    }
    key_bytes(key, o, CHARGE_SAMPLES)
}

/// A stream key as 7.0's MEMORY USAGE counts it: `objectComputeSize`
/// (`samples` listpacks sampled, 0: all), the dict entry, and the key's
/// sds, in jemalloc's size classes.
fn stream_bytes(key: &[u8], s: &super::Stream, samples: usize) -> u64 {
    use crate::server::query_buffer::size_class;
    let hdr = match key.len() {
        0..=255 => 3,
        256..=65535 => 5,
        _ => 9,
    };
    let key_sds = size_class(hdr + key.len() + 1);
    let samples = if samples == 0 { usize::MAX } else { samples };
    (s.memory_usage(size_class, samples) + 24 + key_sds) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn strings_are_exact_and_collections_extrapolated() {
        let o = Object::new(Value::Str(Bytes::from_static(b"bar").into()));
        assert_eq!(key_bytes(b"foo", &o, 5), 49 + 3 + 3 + 4);
        let l: crate::keyspace::QuickList = (0..100).map(|_| Bytes::from_static(b"abcd")).collect();
        let v = Value::List(l);
        // One node: the sample gives the exact figure.
        assert_eq!(value_bytes(&v, true, 5), value_bytes(&v, true, 0));
        assert_eq!(value_bytes(&v, true, 0), 56 + 100 * 5 + 39);
        // A small hash is a listpack, far cheaper than a hashtable.
        let mut h = crate::keyspace::HashValue::new();
        h.insert(&Bytes::from_static(b"f"), &Bytes::from_static(b"v"));
        let h = Value::Hash(h);
        assert_eq!(value_bytes(&h, true, 5), 23 + 6);
        assert_eq!(value_bytes(&h, false, 5), 32 + 24);
    }
}

#[cfg(test)]
mod layout {
    /// Every key pays for its name and an `Object` in its dict slot: no
    /// variant of `Value` may be wider than a short string kept inline (24
    /// bytes), and the bookkeeping is two words.
    #[test]
    fn an_object_stays_small() {
        use crate::keyspace::{HashValue, InlineBytes, QuickList, SetValue, ZSet};
        assert_eq!(std::mem::size_of::<InlineBytes>(), 24);
        assert!(std::mem::size_of::<QuickList>() <= 24);
        assert!(std::mem::size_of::<HashValue>() <= 24);
        assert!(std::mem::size_of::<SetValue>() <= 24);
        assert!(std::mem::size_of::<ZSet>() <= 24);
        assert!(std::mem::size_of::<super::Value>() <= 32);
        assert!(std::mem::size_of::<super::Object>() <= 40);
        // The slot of a key: its hash and chain link, name and object.
        assert!(std::mem::size_of::<Option<(InlineBytes, super::Object)>>() <= 64);
    }
}
