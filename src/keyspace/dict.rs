//! A chained hash table with Redis's SCAN guarantee and 7.0's incremental
//! rehashing.
//!
//! Redis's SCAN walks buckets in reverse-binary cursor order, which returns
//! every element present for the whole scan at least once even if the table
//! grows or shrinks between calls. std's `HashMap` exposes no bucket positions,
//! so the keyspace, hashes and sets use this table. Entries live in a slab
//! (`Vec`) linked by `u32` indices: one allocation for all, nothing unsafe.
//! The hash is SipHash-1-3 with std's fixed default keys ([`super::sip`]), so iteration order is the same on
//! every run and every platform (the simulator's traces depend on it).
//!
//! Resizing is 7.0's dict.c: a resize allocates a second bucket array (the
//! "rehashing target") and the entries move over a bucket at a time, one
//! step per insertion or removal (and per random sample), so DEBUG
//! HTSTATS shows two tables meanwhile. Only bucket heads and links move:
//! the slab stays put, so a walk by slab index is unaffected.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

const NIL: u32 = u32::MAX;

/// Redis's `dict_can_resize`: a fork child makes resizing costly (its
/// pages are copied on write), so 7.0 avoids it while one runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Resize {
    #[default]
    Enable,
    /// A child runs: grow or rehash only once the ratio is extreme
    /// ([`FORCE_RESIZE_RATIO`]), never shrink.
    Avoid,
}

/// `dict_force_resize_ratio`: entries per bucket (or a size ratio between
/// the two tables) past which a table resizes even while resizing is avoided.
const FORCE_RESIZE_RATIO: usize = 5;
/// `DICT_HT_INITIAL_SIZE`.
const INITIAL_SIZE: usize = 4;
/// `HASHTABLE_MIN_FILL`: a table under this percentage full shrinks.
const MIN_FILL_PERCENT: usize = 10;
/// Random sampling's rehash steps (dictGetFairRandomKey samples 15 keys
/// with dictGetSomeKeys, a step per key wanted).
const SAMPLE_STEPS: usize = 15;

#[derive(Clone, Debug)]
struct Slot<K, V> {
    /// The low half of the key's hash: enough for any bucket index (the
    /// slab is indexed by `u32`), and 4 bytes less per entry.
    hash: u32,
    next: u32,
    kv: Option<(K, V)>,
}

#[derive(Clone, Debug)]
pub struct Dict<K, V> {
    /// Table 0's bucket heads (`ht_table[0]`).
    buckets: Vec<u32>,
    /// Table 1's while a rehash runs (`ht_table[1]`), else empty.
    target: Vec<u32>,
    /// The next bucket of table 0 to move (`rehashidx`).
    rehash_idx: usize,
    /// Entries linked in table 1.
    used1: usize,
    slots: Vec<Slot<K, V>>,
    free: u32,
    len: usize,
    policy: Resize,
    /// A snapshot walks the slab by index ([`Dict::slab_step_mut`]): while
    /// pinned no slot moves (no compaction) and resizing is avoided.
    pinned: bool,
}

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict {
            buckets: Vec::new(),
            target: Vec::new(),
            rehash_idx: 0,
            used1: 0,
            slots: Vec::new(),
            free: NIL,
            len: 0,
            policy: Resize::Enable,
            pinned: false,
        }
    }
}

pub fn hash_of<Q: Hash + ?Sized>(q: &Q) -> u64 {
    // SipHash-1-3 with fixed keys (DefaultHasher::new()'s values, inlined):
    // same order every run.
    let mut h = super::sip::Sip13::new();
    q.hash(&mut h);
    h.finish()
}

/// `_dictNextExp`: the power of two a table for `n` entries gets.
fn table_size_for(n: usize) -> usize {
    n.next_power_of_two().max(INITIAL_SIZE)
}

/// Where a located entry hangs: its slot, the slot before it in the chain
/// (`NIL`: it heads its bucket), and its table (0 or 1).
#[derive(Clone, Copy)]
struct Place {
    slot: u32,
    prev: u32,
    table: u8,
}

impl<K: Hash + Eq, V> Dict<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether entries are moving to a second table (`dictIsRehashing`).
    pub fn is_rehashing(&self) -> bool {
        !self.target.is_empty()
    }

    /// Table `t`'s bucket count (0 for a table not allocated).
    pub fn table_size(&self, t: usize) -> usize {
        match t {
            0 => self.buckets.len(),
            _ => self.target.len(),
        }
    }

    /// The entries linked in table `t`.
    pub fn table_len(&self, t: usize) -> usize {
        match t {
            0 => self.len - self.used1,
            _ => self.used1,
        }
    }

    /// The policy for resizes (the owner follows the server's children).
    pub fn set_resize(&mut self, policy: Resize) {
        self.policy = policy;
    }

    fn resize_policy(&self) -> Resize {
        match self.pinned {
            true => Resize::Avoid,
            false => self.policy,
        }
    }

    /// Search one table's chain for `q`.
    #[inline]
    fn locate_in<Q>(&self, table: u8, h: u32, q: &Q) -> Option<Place>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let heads = match table {
            0 => &self.buckets,
            _ => &self.target,
        };
        let mut prev = NIL;
        let mut i = heads[h as usize & (heads.len() - 1)];
        while i != NIL {
            let s = &self.slots[i as usize];
            if s.hash == h && s.kv.as_ref().is_some_and(|(k, _)| k.borrow() == q) {
                return Some(Place {
                    slot: i,
                    prev,
                    table,
                });
            }
            prev = i;
            i = s.next;
        }
        None
    }

    /// Find `q` with its hash already computed: table 0, then table 1
    /// while a rehash runs.
    #[inline]
    fn locate_hashed<Q>(&self, h: u64, q: &Q) -> Option<Place>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        let h = h as u32;
        match self.locate_in(0, h, q) {
            None if self.is_rehashing() => self.locate_in(1, h, q),
            found => found,
        }
    }

    fn find<Q>(&self, q: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        self.locate_hashed(hash_of(q), q).map(|p| p.slot)
    }

    pub fn get<Q>(&self, q: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(q)
            .and_then(|i| self.slots[i as usize].kv.as_ref().map(|(_, v)| v))
    }

    pub fn get_key_value<Q>(&self, q: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(q)
            .and_then(|i| self.slots[i as usize].kv.as_ref().map(|(k, v)| (k, v)))
    }

    pub fn get_mut<Q>(&mut self, q: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(q)?;
        self.slots[i as usize].kv.as_mut().map(|(_, v)| v)
    }

    /// The stored key and a mutable value (the key is shared, so callers can
    /// keep a cheap handle to it).
    pub fn get_entry_mut<Q>(&mut self, q: &Q) -> Option<(&K, &mut V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(q)?;
        self.slots[i as usize].kv.as_mut().map(|(k, v)| (&*k, v))
    }

    /// [`Dict::get_entry_mut`] with the entry's slot, which stays its own
    /// until the entry is removed or the slab compacted (see [`Dict::at_mut`]).
    pub fn get_slot_entry_mut<Q>(&mut self, q: &Q) -> Option<(u32, &K, &mut V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(q)?;
        self.slots[i as usize].kv.as_mut().map(|(k, v)| (i, &*k, v))
    }

    /// The value in `slot` if that slot still holds `q`: a key met again
    /// soon after [`Dict::get_slot_entry_mut`] without hashing it again.
    pub fn at_mut<Q>(&mut self, slot: u32, q: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        match self.slots.get_mut(slot as usize)?.kv.as_mut() {
            Some((k, v)) if (*k).borrow() == q => Some(v),
            _ => None,
        }
    }

    /// [`Dict::at_mut`], or where the key is now if the slab moved it.
    pub fn at_or_get_mut<Q>(&mut self, slot: u32, q: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let there = matches!(
            self.slots.get(slot as usize).and_then(|s| s.kv.as_ref()),
            Some((k, _)) if (*k).borrow() == q
        );
        if there {
            return self.slots[slot as usize].kv.as_mut().map(|(_, v)| v);
        }
        self.get_mut(q)
    }

    pub fn contains_key<Q>(&self, q: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(q).is_some()
    }

    /// `dictExpand`: start moving to a table sized for `n` entries (or
    /// allocate the first one). False if that changes nothing or a rehash
    /// already runs.
    fn expand(&mut self, n: usize) -> bool {
        if self.is_rehashing() || self.len > n {
            return false;
        }
        let size = table_size_for(n);
        if size == self.buckets.len() {
            return false;
        }
        if self.buckets.is_empty() {
            self.buckets = vec![NIL; size];
            return true;
        }
        self.target = vec![NIL; size];
        self.rehash_idx = 0;
        self.used1 = 0;
        true
    }

    /// `dictExpand` for a table about to take `n` entries: an empty one
    /// gets its size at once, a filled one starts a rehash to it.
    pub fn reserve(&mut self, n: usize) {
        self.expand(n);
    }

    /// `_dictExpandIfNeeded`: double once full (1:1), or while resizing
    /// is avoided only past [`FORCE_RESIZE_RATIO`] entries per bucket.
    #[inline]
    fn expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.buckets.len();
        if size == 0 {
            self.expand(INITIAL_SIZE);
            return;
        }
        // `used / size > ratio` without a division (this runs per insertion).
        let full = self.len >= size && self.resize_policy() == Resize::Enable;
        if full || self.len >= (FORCE_RESIZE_RATIO + 1) * size {
            self.expand(self.len + 1);
        }
    }

    /// `dictRehash`: move up to `n` buckets of table 0 to table 1,
    /// looking at no more than `10 n` empty ones. While resizing is
    /// avoided only a rehash between sizes [`FORCE_RESIZE_RATIO`] times
    /// apart goes on. True while entries are left to move.
    pub fn rehash(&mut self, n: usize) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        let (s0, s1) = (self.buckets.len(), self.target.len());
        if self.resize_policy() == Resize::Avoid
            && ((s1 > s0 && s1 / s0 < FORCE_RESIZE_RATIO)
                || (s1 < s0 && s0 / s1 < FORCE_RESIZE_RATIO))
        {
            return false;
        }
        let mut empty_visits = n * 10;
        let mask1 = s1 - 1;
        for _ in 0..n {
            if self.len == self.used1 {
                break;
            }
            while self.buckets[self.rehash_idx] == NIL {
                self.rehash_idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    return true;
                }
            }
            let mut i = self.buckets[self.rehash_idx];
            while i != NIL {
                let s = &mut self.slots[i as usize];
                let next = s.next;
                let b = s.hash as usize & mask1;
                s.next = self.target[b];
                self.target[b] = i;
                self.used1 += 1;
                i = next;
            }
            self.buckets[self.rehash_idx] = NIL;
            self.rehash_idx += 1;
        }
        if self.len != self.used1 {
            return true;
        }
        let shrunk = s1 < s0;
        self.buckets = std::mem::take(&mut self.target);
        self.used1 = 0;
        self.rehash_idx = 0;
        // Slots freed while the table was big are given back now.
        if shrunk && !self.pinned && self.slots.len() > 2 * self.len {
            self.compact();
        }
        false
    }

    /// `_dictRehashStep`: the step each operation does while a rehash runs.
    #[inline]
    fn rehash_step(&mut self) {
        if self.is_rehashing() {
            self.rehash(1);
        }
    }

    /// Link a new entry at the head of its bucket: in table 1 while a
    /// rehash runs (table 0 only empties then); returns its slot.
    fn link_new(&mut self, h: u64, k: K, v: V) -> u32 {
        let h = h as u32;
        let rehashing = self.is_rehashing();
        let heads = match rehashing {
            true => &mut self.target,
            false => &mut self.buckets,
        };
        let b = h as usize & (heads.len() - 1);
        let slot = Slot {
            hash: h,
            next: heads[b],
            kv: Some((k, v)),
        };
        let idx = if self.free != NIL {
            let i = self.free;
            self.free = self.slots[i as usize].next;
            self.slots[i as usize] = slot;
            i
        } else {
            assert!(self.slots.len() < NIL as usize, "dict full");
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        };
        heads[b] = idx;
        self.used1 += rehashing as usize;
        self.len += 1;
        idx
    }

    /// What `dictAddRaw` does before it looks: a rehash step, then a
    /// resize if the table is full.
    #[inline]
    fn prepare_add(&mut self) {
        self.rehash_step();
        self.expand_if_needed();
    }

    /// Insert, returning the previous value if the key was present.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        self.prepare_add();
        // Hashed once, for the lookup and the insertion.
        let h = hash_of(&k);
        if let Some(p) = self.locate_hashed(h, &k) {
            let slot = self.slots[p.slot as usize].kv.as_mut().expect("live slot");
            return Some(std::mem::replace(&mut slot.1, v));
        }
        self.link_new(h, k, v);
        None
    }

    /// Insert a key the caller just looked up and did not find.
    pub fn insert_absent(&mut self, k: K, v: V) {
        self.prepare_add();
        self.link_new(hash_of(&k), k, v);
    }

    /// The value for `k`, inserted with `f` if absent; and whether it was inserted.
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> (&mut V, bool) {
        self.prepare_add();
        let h = hash_of(&k);
        let (i, inserted) = match self.locate_hashed(h, &k) {
            Some(p) => (p.slot, false),
            None => (self.link_new(h, k, f()), true),
        };
        (
            &mut self.slots[i as usize].kv.as_mut().expect("live slot").1,
            inserted,
        )
    }

    pub fn remove<Q>(&mut self, q: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove_entry(q).map(|(_, v)| v)
    }

    pub fn remove_entry<Q>(&mut self, q: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        self.rehash_step();
        let p = self.locate_hashed(hash_of(q), q)?;
        let i = p.slot as usize;
        let next = self.slots[i].next;
        if p.prev != NIL {
            self.slots[p.prev as usize].next = next;
        } else {
            let heads = match p.table {
                0 => &mut self.buckets,
                _ => &mut self.target,
            };
            let b = self.slots[i].hash as usize & (heads.len() - 1);
            heads[b] = next;
        }
        if p.table == 1 {
            self.used1 -= 1;
        }
        let kv = self.slots[i].kv.take();
        self.slots[i].next = self.free;
        self.free = p.slot;
        self.len -= 1;
        self.maybe_shrink();
        kv
    }

    /// `htNeedsResize` then `dictResize`: a table under 10% full shrinks
    /// to fit (not while a rehash runs, nor while resizing is avoided).
    fn maybe_shrink(&mut self) {
        if self.len == 0 {
            if !self.pinned {
                self.clear();
            }
            return;
        }
        let size = self.buckets.len() + self.target.len();
        // `used * 100 / size < 10` without a division (per removal).
        if size > INITIAL_SIZE
            && self.len * 100 < MIN_FILL_PERCENT * size
            && self.resize_policy() == Resize::Enable
        {
            self.expand(self.len.max(INITIAL_SIZE));
        }
    }

    /// Rebuild the slab without its free slots (in slab order) and table 0
    /// from it; no rehash may run.
    fn compact(&mut self) {
        let live: Vec<Slot<K, V>> = self.slots.drain(..).filter(|s| s.kv.is_some()).collect();
        self.slots = live;
        self.free = NIL;
        self.relink(self.buckets.len());
    }

    /// Table 0 of `size` buckets with every entry linked in slab order,
    /// table 1 dropped.
    fn relink(&mut self, size: usize) {
        self.buckets.clear();
        self.buckets.resize(size, NIL);
        self.target = Vec::new();
        self.rehash_idx = 0;
        self.used1 = 0;
        let mask = size - 1;
        for (i, s) in self.slots.iter_mut().enumerate() {
            if s.kv.is_some() {
                let b = s.hash as usize & mask;
                s.next = self.buckets[b];
                self.buckets[b] = i as u32;
            }
        }
    }

    pub fn clear(&mut self) {
        self.buckets = Vec::new();
        self.target = Vec::new();
        self.rehash_idx = 0;
        self.used1 = 0;
        self.slots = Vec::new();
        self.free = NIL;
        self.len = 0;
    }

    /// The heads of table `t`'s buckets.
    fn heads(&self, t: usize) -> &[u32] {
        match t {
            0 => &self.buckets,
            _ => &self.target,
        }
    }

    /// The slots of the chain starting at `head`.
    fn chain(&self, head: u32) -> impl Iterator<Item = &Slot<K, V>> + '_ {
        let mut i = head;
        std::iter::from_fn(move || {
            if i == NIL {
                return None;
            }
            let s = &self.slots[i as usize];
            i = s.next;
            Some(s)
        })
    }

    /// The length of every bucket's chain in table `t`, in bucket order
    /// (DEBUG HTSTATS); as many as the table has buckets.
    pub fn chain_lengths(&self, t: usize) -> impl Iterator<Item = usize> + '_ {
        self.heads(t)
            .iter()
            .map(move |&head| self.chain(head).count())
    }

    /// All entries, in bucket order (deterministic): table 0, then table 1.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.buckets
            .iter()
            .chain(self.target.iter())
            .flat_map(move |&head| {
                self.chain(head)
                    .filter_map(|s| s.kv.as_ref().map(|(k, v)| (k, v)))
            })
    }

    /// All entries in slab order: insertion order for a table whose removals
    /// went through [`Dict::retain`] (which compacts). Small hashes use it to
    /// list fields in listpack order, as Redis does.
    pub fn iter_slab(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots
            .iter()
            .filter_map(|s| s.kv.as_ref().map(|(k, v)| (k, v)))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// Every entry, the values mutable, in slab order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.slots
            .iter_mut()
            .filter_map(|s| s.kv.as_mut().map(|(k, v)| (&*k, v)))
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots
            .iter_mut()
            .filter_map(|s| s.kv.as_mut().map(|(_, v)| v))
    }

    /// Keep only the entries for which `f` is true (the slab compacted, the
    /// table sized for what is left, as if built by insertions).
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        let mut slots = std::mem::take(&mut self.slots);
        slots.retain_mut(|s| match &mut s.kv {
            Some((k, v)) => f(k, v),
            None => false,
        });
        let n = slots.len();
        self.clear();
        if n == 0 {
            return;
        }
        self.slots = slots;
        self.len = n;
        self.relink(table_size_for(n));
    }

    /// Pin the slab for a walk by index, or let it move again.
    pub fn set_pinned(&mut self, pinned: bool) {
        self.pinned = pinned;
    }

    /// From slot `from`, visit live entries in slab order until `budget` of
    /// them are seen: the next slot to look at (`None`: the end), and how
    /// many slots were looked at. Sequential in memory, unlike a SCAN;
    /// stable across changes only while the table is pinned.
    pub fn slab_step_mut(
        &mut self,
        from: usize,
        budget: usize,
        mut f: impl FnMut(&K, &mut V),
    ) -> (Option<usize>, usize) {
        let mut live = 0;
        let mut i = from;
        while i < self.slots.len() {
            if let Some((k, v)) = &mut self.slots[i].kv {
                f(k, v);
                live += 1;
            }
            i += 1;
            if live >= budget {
                break;
            }
        }
        let next = (i < self.slots.len()).then_some(i);
        (next, i.saturating_sub(from))
    }

    /// The buckets one SCAN step from `cursor` visits (`dictScan`): the
    /// cursor's bucket, and while a rehash runs every bucket of the bigger
    /// table that expands the smaller one's. Returns the next cursor.
    fn scan_buckets(&self, cursor: u64, mut visit: impl FnMut(u32)) -> u64 {
        if self.len == 0 {
            return 0;
        }
        if !self.is_rehashing() {
            let m0 = self.buckets.len() as u64 - 1;
            visit(self.buckets[(cursor & m0) as usize]);
            return next_cursor(cursor, m0);
        }
        let (small, big) = match self.buckets.len() <= self.target.len() {
            true => (&self.buckets, &self.target),
            false => (&self.target, &self.buckets),
        };
        let (m0, m1) = (small.len() as u64 - 1, big.len() as u64 - 1);
        let mut v = cursor;
        visit(small[(v & m0) as usize]);
        loop {
            visit(big[(v & m1) as usize]);
            v = next_cursor(v, m1);
            if v & (m0 ^ m1) == 0 {
                return v;
            }
        }
    }

    /// Visit one step of a SCAN from `cursor`; returns the next cursor (0 when done).
    /// Each call visits at least one bucket; call repeatedly until `count` entries.
    pub fn scan_step(&self, cursor: u64, mut f: impl FnMut(&K, &V)) -> u64 {
        self.scan_buckets(cursor, |head| {
            for s in self.chain(head) {
                if let Some((k, v)) = &s.kv {
                    f(k, v);
                }
            }
        })
    }

    /// [`Dict::scan_step`] with mutable access to the values.
    pub fn scan_step_mut(&mut self, cursor: u64, mut f: impl FnMut(&K, &mut V)) -> u64 {
        let mut heads = Vec::new();
        let next = self.scan_buckets(cursor, |head| heads.push(head));
        for head in heads {
            let mut i = head;
            while i != NIL {
                let s = &mut self.slots[i as usize];
                if let Some((k, v)) = &mut s.kv {
                    f(k, v);
                }
                i = s.next;
            }
        }
        next
    }

    /// A pseudo-random entry chosen with the caller's random number.
    pub fn random_entry(&self, mut r: u64) -> Option<(&K, &V)> {
        if self.len == 0 {
            return None;
        }
        // A random live slot: uniform over the entries whatever the
        // chains (the slab is compacted when the table shrinks).
        let n = self.slots.len() as u64;
        loop {
            let s = &self.slots[(r % n) as usize];
            if let Some((k, v)) = &s.kv {
                return Some((k, v));
            }
            r = r
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407)
                >> 1;
        }
    }

    /// The rehash work 7.0 does when it samples the table for a random
    /// member (SRANDMEMBER, SPOP): a step per key its sampler wants.
    pub fn sampling_steps(&mut self) {
        for _ in 0..SAMPLE_STEPS.min(self.len) {
            if !self.rehash(1) {
                break;
            }
        }
    }
}

/// Redis's SCAN cursor step: increment the reversed cursor over the bits
/// the table's mask leaves, so a resize never skips a bucket.
fn next_cursor(cursor: u64, mask: u64) -> u64 {
    (cursor | !mask)
        .reverse_bits()
        .wrapping_add(1)
        .reverse_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_ops() {
        let mut d: Dict<Vec<u8>, i32> = Dict::new();
        for i in 0..1000 {
            assert!(d.insert(format!("k{i}").into_bytes(), i).is_none());
        }
        assert_eq!(d.len(), 1000);
        assert_eq!(d.get(b"k7".as_slice()), Some(&7));
        for i in 0..990 {
            assert_eq!(d.remove(format!("k{i}").as_bytes()), Some(i));
        }
        assert_eq!(d.len(), 10);
        assert_eq!(d.iter().count(), 10);
        d.retain(|_, v| *v % 2 == 0);
        assert_eq!(d.len(), 5);
    }

    #[test]
    fn scan_sees_everything_across_resizes() {
        let mut d: Dict<u32, ()> = Dict::new();
        for i in 0..500 {
            d.insert(i, ());
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan_step(cursor, |k, _| {
                seen.insert(*k);
            });
            step += 1;
            if step == 50 {
                for i in 500..3000 {
                    d.insert(i, ());
                }
            }
            if step == 200 {
                for i in 1000..3000 {
                    d.remove(&i);
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(&i), "missing {i}");
        }
    }

    #[test]
    fn growth_rehashes_a_step_per_operation() {
        let mut d: Dict<u32, ()> = Dict::new();
        for i in 0..4 {
            d.insert(i, ());
        }
        assert_eq!((d.table_size(0), d.is_rehashing()), (4, false));
        // The fifth insertion finds the table full: table 1 of 8 buckets.
        d.insert(4, ());
        assert!(d.is_rehashing() && d.table_size(1) == 8);
        assert_eq!(d.table_len(0) + d.table_len(1), 5);
        while d.is_rehashing() {
            d.insert(1, ());
        }
        assert_eq!((d.table_size(0), d.table_len(0), d.len()), (8, 5, 5));
        assert_eq!(d.chain_lengths(0).sum::<usize>(), 5);
        for i in 0..5 {
            assert!(d.contains_key(&i));
        }
    }

    #[test]
    fn shrinks_under_ten_percent_unless_avoided() {
        let mut d: Dict<u32, ()> = Dict::new();
        for i in 0..1000 {
            d.insert(i, ());
        }
        d.rehash(1 << 20);
        assert_eq!(d.table_size(0), 1024);
        d.set_resize(Resize::Avoid);
        for i in 10..1000 {
            d.remove(&i);
        }
        assert_eq!((d.table_size(0), d.is_rehashing()), (1024, false));
        d.set_resize(Resize::Enable);
        d.remove(&9);
        // 9 entries: a table of 16, reached a step per operation.
        assert!(d.is_rehashing() && d.table_size(1) == 16);
        // Avoided, a rehash between sizes 64 times apart still goes on.
        d.set_resize(Resize::Avoid);
        while d.is_rehashing() {
            d.sampling_steps();
        }
        assert_eq!((d.table_size(0), d.len()), (16, 9));
        assert_eq!(d.iter().count(), 9);
        assert!(d.random_entry(12345).is_some_and(|(k, _)| *k < 9));
    }

    #[test]
    fn avoided_growth_waits_for_long_chains() {
        let mut d: Dict<u32, ()> = Dict::new();
        d.set_resize(Resize::Avoid);
        for i in 0..24 {
            d.insert(i, ());
        }
        assert_eq!((d.table_size(0), d.is_rehashing()), (4, false));
        d.insert(24, ());
        d.insert(25, ());
        assert!(d.is_rehashing() && d.table_size(1) == 32);
        // Twice as big is no extreme ratio: no step while avoided.
        let mut e: Dict<u32, ()> = Dict::new();
        for i in 0..5 {
            e.insert(i, ());
        }
        e.set_resize(Resize::Avoid);
        e.insert(9, ());
        assert!(e.is_rehashing() && !e.rehash(100));
        assert!(e.is_rehashing());
    }

    #[test]
    fn scan_sees_everything_during_a_rehash() {
        for grow in [true, false] {
            let mut d: Dict<u32, ()> = Dict::new();
            let n = if grow { 300 } else { 3000 };
            for i in 0..n {
                d.insert(i, ());
            }
            d.rehash(1 << 20);
            if grow {
                for i in 300..1100 {
                    d.insert(i, ());
                }
            } else {
                for i in 100..3000 {
                    d.remove(&i);
                }
            }
            assert!(d.is_rehashing());
            let mut seen = std::collections::BTreeSet::new();
            let mut cursor = 0;
            loop {
                cursor = d.scan_step(cursor, |k, _| {
                    seen.insert(*k);
                });
                if cursor == 0 {
                    break;
                }
            }
            assert_eq!(seen.len(), d.len(), "grow {grow}");
        }
    }
}
