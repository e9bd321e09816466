//! The stream type (Redis 7.0's `stream`): entries keyed by ID in nodes that
//! mirror Redis's rax of listpacks, plus consumer groups.
//!
//! The nodes keep Redis's layout decisions (a new node when the tail one
//! reaches `stream-node-max-bytes` / `stream-node-max-entries`, entries
//! flagged deleted rather than removed, a node dropped when its last live
//! entry goes) so that approximate trimming, `radix-tree-keys` and the RDB
//! bytes come out as 7.0's. Each node's listpack size is tracked as Redis
//! would compute it.

use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Largest listpack a node may grow to (`STREAM_LISTPACK_MAX_SIZE`).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// `SCG_INVALID_ENTRIES_READ`.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// An entry ID, `<ms>-<seq>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID (`streamIncrID`); None past the last one.
    pub fn incr(&self) -> Option<StreamId> {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                return None;
            }
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            Some(StreamId::new(self.ms, self.seq + 1))
        }
    }

    /// The previous ID (`streamDecrID`); None before 0-0.
    pub fn decr(&self) -> Option<StreamId> {
        if self.seq == 0 {
            if self.ms == 0 {
                return None;
            }
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            Some(StreamId::new(self.ms, self.seq - 1))
        }
    }

    /// The 16 big-endian bytes Redis uses as the rax key.
    pub fn encode(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.ms.to_be_bytes());
        b[8..].copy_from_slice(&self.seq.to_be_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Option<StreamId> {
        if b.len() != 16 {
            return None;
        }
        Some(StreamId::new(
            u64::from_be_bytes(b[..8].try_into().ok()?),
            u64::from_be_bytes(b[8..].try_into().ok()?),
        ))
    }

    pub fn to_bytes(&self) -> Bytes {
        self.with_text(Bytes::copy_from_slice)
    }

    /// Call `f` with `<ms>-<seq>` as text, built on the stack: replies and
    /// propagated commands carry IDs, too often for the formatting machinery.
    pub fn with_text<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
        let (ms, seq) = (a.format(self.ms).as_bytes(), b.format(self.seq).as_bytes());
        // Two u64s of at most 20 digits and the dash.
        let mut buf = [0u8; 41];
        buf[..ms.len()].copy_from_slice(ms);
        buf[ms.len()] = b'-';
        let len = ms.len() + 1 + seq.len();
        buf[ms.len() + 1..len].copy_from_slice(seq);
        f(&buf[..len])
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One entry in a node: its ID, whether it is a tombstone, and its
/// field-value pairs (flat: field, value, field, value...).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeEntry {
    pub id: StreamId,
    pub deleted: bool,
    pub fields: Vec<Bytes>,
}

/// One listpack of the rax: the master entry's fields and the entries.
#[derive(Clone, Debug)]
pub struct Node {
    pub master_fields: Vec<Bytes>,
    pub entries: Vec<NodeEntry>,
    pub live: u64,
    pub deleted: u64,
    /// Listpack bytes of every element but the two counters.
    body_bytes: usize,
    /// What Redis has allocated for the listpack, before the allocator
    /// rounds it: the pre-allocation of a new tail node, grown as entries
    /// come, shrunk to fit when the node stops being the tail.
    pub alloc: usize,
}

/// Equal content (what was allocated for it aside).
impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        self.master_fields == other.master_fields
            && self.entries == other.entries
            && self.live == other.live
            && self.deleted == other.deleted
    }
}

/// The integer a listpack stores a string as, if it looks like one
/// (`lpStringToInt64`: canonical decimal only, which is what `parse_i64`,
/// Redis's `string2ll`, accepts).
pub fn lp_int(s: &[u8]) -> Option<i64> {
    crate::resp::parse_i64(s)
}

fn lp_backlen(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Bytes an integer element takes in a listpack.
pub fn lp_int_size(v: i64) -> usize {
    let l = if (0..=127).contains(&v) {
        1
    } else if (-4096..4096).contains(&v) {
        2
    } else if i16::try_from(v).is_ok() {
        3
    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
        4
    } else if i32::try_from(v).is_ok() {
        5
    } else {
        9
    };
    l + lp_backlen(l)
}

/// Bytes a string element takes in a listpack.
pub fn lp_str_size(s: &[u8]) -> usize {
    if let Some(v) = lp_int(s) {
        return lp_int_size(v);
    }
    let n = s.len();
    let l = if n < 64 {
        1 + n
    } else if n < 4096 {
        2 + n
    } else {
        5 + n
    };
    l + lp_backlen(l)
}

impl Node {
    fn new(master: StreamId, fields: &[Bytes]) -> Node {
        let master_fields: Vec<Bytes> = fields.iter().step_by(2).cloned().collect();
        let body_bytes = lp_int_size(master_fields.len() as i64)
            + master_fields.iter().map(|f| lp_str_size(f)).sum::<usize>()
            + lp_int_size(0);
        let _ = master;
        Node {
            master_fields,
            entries: Vec::new(),
            live: 0,
            deleted: 0,
            body_bytes,
            alloc: 0,
        }
    }

    /// Build a node from its parts (loading a file).
    pub fn from_parts(
        master_fields: Vec<Bytes>,
        entries: Vec<NodeEntry>,
        master: StreamId,
    ) -> Node {
        let mut n = Node {
            master_fields,
            entries: Vec::new(),
            live: 0,
            deleted: 0,
            body_bytes: 0,
            alloc: 0,
        };
        n.body_bytes = lp_int_size(n.master_fields.len() as i64)
            + n.master_fields
                .iter()
                .map(|f| lp_str_size(f))
                .sum::<usize>()
            + lp_int_size(0);
        for e in entries {
            n.body_bytes += n.entry_size(master, &e);
            if e.deleted {
                n.deleted += 1;
            } else {
                n.live += 1;
            }
            n.entries.push(e);
        }
        n.alloc = n.lp_bytes();
        n
    }

    /// Whether an entry with these fields is stored with the SAMEFIELDS flag.
    pub fn same_fields(&self, fields: &[Bytes]) -> bool {
        fields.len() / 2 == self.master_fields.len()
            && fields
                .iter()
                .step_by(2)
                .zip(&self.master_fields)
                .all(|(a, b)| a == b)
    }

    fn entry_size(&self, master: StreamId, e: &NodeEntry) -> usize {
        let same = self.same_fields(&e.fields);
        let n = e.fields.len() / 2;
        let mut size = lp_int_size(0)
            + lp_int_size(e.id.ms.wrapping_sub(master.ms) as i64)
            + lp_int_size(e.id.seq.wrapping_sub(master.seq) as i64);
        let mut count = n + 3;
        if same {
            size += e
                .fields
                .iter()
                .skip(1)
                .step_by(2)
                .map(|v| lp_str_size(v))
                .sum::<usize>();
        } else {
            size += lp_int_size(n as i64);
            size += e.fields.iter().map(|v| lp_str_size(v)).sum::<usize>();
            count += n + 1;
        }
        size + lp_int_size(count as i64)
    }

    /// `lpBytes` of this node's listpack.
    pub fn lp_bytes(&self) -> usize {
        7 + self.body_bytes + lp_int_size(self.live as i64) + lp_int_size(self.deleted as i64)
    }

    /// The live entry `id`. A linear look: tombstones may be out of order
    /// (after XSETID moved the last ID below a deleted entry's).
    fn find(&self, id: StreamId) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id && !e.deleted)
    }
}

/// A pending entry (`streamNACK`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub delivery_time: u64,
    pub delivery_count: u64,
    pub consumer: Bytes,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    pub seen_time: u64,
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Pending>,
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Drop a pending entry from the group and its consumer.
    pub fn remove_pending(&mut self, id: StreamId) -> Option<Pending> {
        let p = self.pel.remove(&id)?;
        if let Some(c) = self.consumers.get_mut(&p.consumer) {
            c.pel.remove(&id);
        }
        Some(p)
    }

    /// Give a pending entry to `consumer` (which must exist).
    pub fn assign(&mut self, id: StreamId, consumer: &Bytes) {
        if let Some(p) = self.pel.get_mut(&id) {
            if p.consumer != *consumer {
                if let Some(c) = self.consumers.get_mut(&p.consumer) {
                    c.pel.remove(&id);
                }
                p.consumer = consumer.clone();
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }
}

/// How XADD / XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {
    /// The rax: node master ID → node.
    pub nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    /// Sorted by name, as the rax iterates them.
    pub groups: BTreeMap<Bytes, Group>,
}

/// Why an append failed.
#[derive(Debug, PartialEq)]
pub enum AppendError {
    /// The ID is not greater than the top item (EDOM).
    NotGreater,
    /// The fields are too large for a listpack (ERANGE).
    TooLarge,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// The ID XADD would give `*` (`streamNextID`).
    fn next_id(&self, now: u64) -> StreamId {
        if now > self.last_id.ms {
            StreamId::new(now, 0)
        } else {
            self.last_id.incr().unwrap_or(StreamId::MAX)
        }
    }

    /// `streamAppendItem`: `id` None for `*`, `Some((id, seq_given))` otherwise.
    pub fn append(
        &mut self,
        fields: &[Bytes],
        id: Option<(StreamId, bool)>,
        now: u64,
        max_bytes: usize,
        max_entries: u64,
    ) -> Result<StreamId, AppendError> {
        let id = match id {
            Some((id, true)) => id,
            Some((id, false)) => {
                if self.last_id.ms == id.ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AppendError::NotGreater);
                    }
                    StreamId::new(id.ms, self.last_id.seq + 1)
                } else {
                    id
                }
            }
            None => self.next_id(now),
        };
        if id <= self.last_id {
            return Err(AppendError::NotGreater);
        }
        let total: usize = fields.iter().map(|f| f.len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let node_max = if max_bytes == 0 || max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            max_bytes
        };
        // The tail node, or a new one when it is full.
        let tail = self.nodes.last_entry().filter(|t| {
            let n = t.get();
            !(n.lp_bytes() + total >= node_max
                || (max_entries > 0 && n.live + n.deleted >= max_entries))
        });
        let (master, node) = match tail {
            Some(t) => {
                let master = *t.key();
                (master, t.into_mut())
            }
            None => {
                if let Some(mut old_tail) = self.nodes.last_entry() {
                    let n = old_tail.get_mut();
                    n.alloc = n.lp_bytes();
                }
                let mut node = Node::new(id, fields);
                // STREAM_LISTPACK_MAX_PRE_ALLOCATE, or a smaller node limit.
                node.alloc = if max_bytes > 0 && max_bytes < 4096 {
                    max_bytes
                } else {
                    4096
                };
                (id, self.nodes.entry(id).or_insert(node))
            }
        };
        let e = NodeEntry {
            id,
            deleted: false,
            fields: fields.to_vec(),
        };
        node.body_bytes += node.entry_size(master, &e);
        node.entries.push(e);
        node.live += 1;
        node.alloc = node.alloc.max(node.lp_bytes());
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Live entries with `start <= id <= end`, in ID order (reverse with `.rev()`).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl DoubleEndedIterator<Item = &NodeEntry> + '_ {
        let empty = start > end;
        let lo = if empty {
            StreamId::MAX
        } else {
            self.nodes
                .range(..=start)
                .next_back()
                .map_or(start, |(k, _)| *k)
        };
        let hi = if empty { StreamId::MIN } else { end };
        let nodes = if empty {
            self.nodes.range(StreamId::MIN..StreamId::MIN)
        } else {
            self.nodes.range(lo..=hi)
        };
        nodes
            .flat_map(move |(&master, n)| {
                // Entries before `start` in the first node are skipped by
                // a binary search. Live entries are in ID order and each
                // entry is greater than every entry before it that was live
                // when it came, so the search can only land early, on
                // tombstones an XSETID left above later entries.
                let from = if master == lo {
                    n.entries.partition_point(|e| e.id < start)
                } else {
                    0
                };
                n.entries[from..].iter()
            })
            .filter(move |e| !e.deleted && e.id >= start && e.id <= end)
    }

    /// The live entry `id`, if any.
    pub fn get(&self, id: StreamId) -> Option<&NodeEntry> {
        let (_, n) = self.nodes.range(..=id).next_back()?;
        n.find(id).map(|i| &n.entries[i])
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// The last live ID (`streamLastValidID`), 0-0 if empty.
    pub fn last_valid_id(&self) -> StreamId {
        // Live entries are in ID order: the last one is the greatest.
        self.nodes
            .values()
            .rev()
            .flat_map(|n| n.entries.iter().rev())
            .find(|e| !e.deleted)
            .map_or(StreamId::MIN, |e| e.id)
    }

    /// `streamGetEdgeID(s, 1, skip_tombstones)`; MAX when there is none.
    pub fn first_edge(&self, skip_tombstones: bool) -> StreamId {
        for n in self.nodes.values() {
            for e in &n.entries {
                if !skip_tombstones || !e.deleted {
                    return e.id;
                }
            }
        }
        StreamId::MAX
    }

    /// Mark entry `id` deleted (`streamDeleteItem`); a node whose last live
    /// entry goes is dropped.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, n)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(i) = n.find(id) else {
            return false;
        };
        n.entries[i].deleted = true;
        n.live -= 1;
        n.deleted += 1;
        if n.live == 0 {
            self.nodes.remove(&master);
        }
        self.length -= 1;
        true
    }

    /// XDEL's bookkeeping around [`Stream::delete`]: tombstone and first ID.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first = false;
        for &id in ids {
            if self.delete(id) {
                if id == self.first_id {
                    first = true;
                }
                if id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first {
                self.first_id = self.first_edge(true);
            }
        }
        deleted
    }

    /// `streamTrim`: remove entries from the head; `approx` removes whole
    /// nodes only, `limit` (0: none) caps the entries removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        // Always the head node: it is either dropped whole or the last one
        // looked at.
        while let Some((&master, _)) = self.nodes.first_key_value() {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let node = self.nodes.get_mut(&master).expect("node");
            let entries = node.live;
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match how {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => node.entries.last().map_or(master, |e| e.id) < min,
            };
            if remove_node {
                self.nodes.remove(&master);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let mut from_node = 0;
            for e in node.entries.iter_mut() {
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if !e.deleted {
                    e.deleted = true;
                    from_node += 1;
                    self.length -= 1;
                }
            }
            node.live -= from_node;
            node.deleted += from_node;
            deleted += from_node;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.first_edge(true);
        }
        deleted
    }

    /// `streamRangeHasTombstones` (from `start` to the end).
    pub fn range_has_tombstones(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id
    }

    /// `streamEstimateDistanceFromFirstEverEntry`.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        } else if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return self.entries_added.saturating_sub(self.length) as i64;
            } else if id == self.first_id {
                return (self.entries_added.saturating_sub(self.length) + 1) as i64;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag (`streamReplyWithCGLag`); None when unknown.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(g.last_id) {
            return Some((self.entries_added as i64).wrapping_sub(g.entries_read));
        }
        let read = self.estimate_distance(g.last_id);
        (read != INVALID_ENTRIES_READ).then(|| (self.entries_added as i64).wrapping_sub(read))
    }

    /// A group moves past entry `id` as it delivers it.
    pub fn advance_group(&self, g: &mut Group, id: StreamId) -> bool {
        if id <= g.last_id {
            return false;
        }
        if g.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(id) {
            g.entries_read = g.entries_read.wrapping_add(1);
        } else if self.entries_added > 0 {
            g.entries_read = self.estimate_distance(id);
        }
        g.last_id = id;
        true
    }

    /// `objectComputeSize` of this stream, allocations rounded by `class`
    /// (the allocator's size classes), sampling `samples` listpacks as
    /// MEMORY USAGE does.
    pub fn memory_usage(&self, class: fn(usize) -> usize, samples: usize) -> usize {
        self.memory_usage_with(class, samples, true)
    }

    /// [`Stream::memory_usage`] without walking the radix trees: each rax
    /// counted as one node per key. O(groups + consumers), for the running
    /// memory total that every change to the stream updates.
    pub fn memory_estimate(&self, class: fn(usize) -> usize, samples: usize) -> usize {
        self.memory_usage_with(class, samples, false)
    }

    fn memory_usage_with(&self, class: fn(usize) -> usize, samples: usize, exact: bool) -> usize {
        /// `streamRadixTreeMemoryUsage` over a rax of `numele` keys, `numnodes` nodes.
        fn rax(numele: usize, numnodes: usize) -> usize {
            numele * 16 + numnodes * 4 + numnodes * 8 * 30
        }
        let nodes = |n: usize, ids: &mut dyn Iterator<Item = &StreamId>| {
            if exact {
                rax_nodes(ids)
            } else {
                n + 1
            }
        };
        let mut size = 16
            + 80
            + rax(
                self.nodes.len(),
                nodes(self.nodes.len(), &mut self.nodes.keys()),
            );
        let mut sampled = 0;
        let mut lp = 0;
        for n in self.nodes.values().take(samples) {
            lp += class(n.alloc);
            sampled += 1;
        }
        if self.nodes.len() <= sampled {
            size += lp;
        } else {
            lp = lp.checked_div(sampled).unwrap_or(lp);
            size += lp * (self.nodes.len() - 1);
            size += self
                .nodes
                .values()
                .next_back()
                .map_or(0, |n| class(n.alloc));
        }
        for g in self.groups.values() {
            size += 40 + rax(g.pel.len(), nodes(g.pel.len(), &mut g.pel.keys())) + 24 * g.pel.len();
            for (name, c) in &g.consumers {
                size += 24 + name.len() + rax(c.pel.len(), nodes(c.pel.len(), &mut c.pel.iter()));
            }
        }
        size
    }
}

/// How many nodes a rax holding these stream IDs has (`rax->numnodes`):
/// the radix tree of their 16-byte keys with single-child chains
/// compressed, as rax keeps it. 1 (the head) when empty.
pub fn rax_nodes<'a>(ids: impl Iterator<Item = &'a StreamId>) -> usize {
    let keys: Vec<[u8; 16]> = ids.map(StreamId::encode).collect();
    if keys.is_empty() {
        return 1;
    }
    fn at(keys: &[[u8; 16]], depth: usize) -> usize {
        if depth == 16 {
            return 1;
        }
        let (first, last) = (&keys[0], &keys[keys.len() - 1]);
        let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
        if common > 0 {
            return 1 + at(keys, depth + common);
        }
        let mut n = 1;
        let mut i = 0;
        while i < keys.len() {
            let b = keys[i][depth];
            let j = i + keys[i..].iter().take_while(|k| k[depth] == b).count();
            n += at(&keys[i..j], depth + 1);
            i = j;
        }
        n
    }
    at(&keys, 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Field-value arguments from strings (shared by the stream tests).
    pub(crate) fn fv(pairs: &[&str]) -> Vec<Bytes> {
        pairs
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn append_generates_ids_and_splits_nodes() {
        let mut s = Stream::new();
        for i in 0..250u64 {
            s.append(&fv(&["f", "v"]), None, 1000 + i / 3, 4096, 100)
                .unwrap();
        }
        assert_eq!(s.length, 250);
        assert_eq!(s.nodes.len(), 3);
        assert_eq!(s.last_id, StreamId::new(1083, 0));
        assert_eq!(
            s.append(
                &fv(&["f", "v"]),
                Some((StreamId::new(5, 0), true)),
                0,
                4096,
                100
            ),
            Err(AppendError::NotGreater)
        );
        let id = s
            .append(
                &fv(&["f", "v"]),
                Some((StreamId::new(1083, 0), false)),
                0,
                4096,
                100,
            )
            .unwrap();
        assert_eq!(id, StreamId::new(1083, 1));
    }

    #[test]
    fn delete_and_trim() {
        let mut s = Stream::new();
        for i in 1..=10u64 {
            s.append(
                &fv(&["a", "1"]),
                Some((StreamId::new(i, 0), true)),
                0,
                4096,
                4,
            )
            .unwrap();
        }
        assert_eq!(s.nodes.len(), 3);
        assert_eq!(s.delete_ids(&[StreamId::new(1, 0)]), 1);
        assert_eq!(s.first_id, StreamId::new(2, 0));
        // Approximate trimming only drops whole nodes.
        assert_eq!(s.trim(Trim::MaxLen(5), true, 0), 3);
        assert_eq!(s.length, 6);
        assert_eq!(s.trim(Trim::MaxLen(5), false, 0), 1);
        assert_eq!(s.first_id, StreamId::new(6, 0));
        assert_eq!(s.trim(Trim::MinId(StreamId::new(9, 0)), false, 0), 3);
        let ids: Vec<_> = s
            .range(StreamId::MIN, StreamId::MAX)
            .map(|e| e.id.ms)
            .collect();
        assert_eq!(ids, [9, 10]);
        let rev: Vec<_> = s
            .range(StreamId::MIN, StreamId::MAX)
            .rev()
            .map(|e| e.id.ms)
            .collect();
        assert_eq!(rev, [10, 9]);
    }

    /// XSETID below a tombstone leaves entries out of ID order: reads
    /// that seek into a node still find every live entry.
    #[test]
    fn seeking_reads_survive_tombstones_out_of_order() {
        let mut s = Stream::new();
        for ms in 1..=6u64 {
            let id = Some((StreamId::new(ms, 0), true));
            s.append(&fv(&["f", "v"]), id, 0, 4096, 100).unwrap();
        }
        assert_eq!(s.delete_ids(&[StreamId::new(5, 0), StreamId::new(6, 0)]), 2);
        s.last_id = StreamId::new(4, 0);
        for seq in 1..=3 {
            let id = Some((StreamId::new(4, seq), true));
            s.append(&fv(&["f", "v"]), id, 0, 4096, 100).unwrap();
        }
        let ids = |start: StreamId| -> Vec<StreamId> {
            s.range(start, StreamId::MAX).map(|e| e.id).collect()
        };
        let all: Vec<StreamId> = (1..=4)
            .map(|ms| StreamId::new(ms, 0))
            .chain((1..=3).map(|seq| StreamId::new(4, seq)))
            .collect();
        for (i, &start) in all.iter().enumerate() {
            assert_eq!(ids(start), all[i..], "from {start}");
        }
        assert_eq!(ids(StreamId::new(4, 4)), []);
        assert_eq!(s.last_valid_id(), StreamId::new(4, 3));
        let rev: Vec<StreamId> = s
            .range(StreamId::new(2, 0), StreamId::MAX)
            .rev()
            .map(|e| e.id)
            .collect();
        assert_eq!(rev, all[1..].iter().rev().copied().collect::<Vec<_>>());
    }

    #[test]
    fn id_text_is_display() {
        for id in [StreamId::MIN, StreamId::new(1, 2), StreamId::MAX] {
            assert_eq!(id.to_bytes(), id.to_string().as_bytes());
        }
    }

    #[test]
    fn listpack_sizes_follow_the_encodings() {
        assert_eq!(lp_str_size(b"12"), 2);
        assert_eq!(lp_str_size(b"012"), 5);
        assert_eq!(lp_int(b"-9223372036854775808"), Some(i64::MIN));
        for not_canonical in ["", "-0", "+1", "01", " 1", "9223372036854775808", "1a"] {
            assert_eq!(lp_int(not_canonical.as_bytes()), None, "{not_canonical}");
        }
        assert_eq!(lp_int_size(-1), 3);
        assert_eq!(lp_int_size(1 << 40), 10);
    }
}
