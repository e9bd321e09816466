//! A chained hash table with Redis's SCAN guarantee.
//!
//! Redis's SCAN walks buckets in reverse-binary cursor order, which returns
//! every element present for the whole scan at least once even if the table
//! grows or shrinks between calls. std's `HashMap` exposes no bucket positions,
//! so the keyspace, hashes and sets use this table. Entries live in a slab
//! (`Vec`) linked by `u32` indices: one allocation for all, nothing unsafe.
//! The hash is SipHash-1-3 with std's fixed default keys ([`super::sip`]), so iteration order is the same on
//! every run and every platform (the simulator's traces depend on it).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

const NIL: u32 = u32::MAX;

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
    buckets: Vec<u32>,
    slots: Vec<Slot<K, V>>,
    free: u32,
    len: usize,
    /// A snapshot walks the slab by index ([`Dict::slab_step_mut`]): while
    /// pinned no slot moves (no compaction on shrink) and the table grows
    /// only once chains get long, as Redis's dict with a fork child
    /// (`dict_force_resize_ratio`).
    pinned: bool,
}

/// Entries per bucket past which a pinned table grows anyway.
const FORCE_RESIZE_RATIO: usize = 5;

impl<K, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict {
            buckets: Vec::new(),
            slots: Vec::new(),
            free: NIL,
            len: 0,
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

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// Walk `q`'s bucket chain: the slot holding `q` and the slot before it
    /// in the chain (`NIL` if it is the bucket's head).
    fn locate<Q>(&self, q: &Q) -> Option<(u32, u32)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        self.locate_hashed(hash_of(q), q)
    }

    /// [`Dict::locate`] with `q`'s hash already computed.
    fn locate_hashed<Q>(&self, h: u64, q: &Q) -> Option<(u32, u32)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if self.len == 0 {
            return None;
        }
        let h = h as u32;
        let mut prev = NIL;
        let mut i = self.buckets[h as usize & self.mask()];
        while i != NIL {
            let s = &self.slots[i as usize];
            if s.hash == h && s.kv.as_ref().is_some_and(|(k, _)| k.borrow() == q) {
                return Some((i, prev));
            }
            prev = i;
            i = s.next;
        }
        None
    }

    fn find<Q>(&self, q: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.locate(q).map(|(i, _)| i)
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

    fn resize(&mut self, n: usize) {
        let n = n.next_power_of_two().max(4);
        if n == self.buckets.len() {
            return;
        }
        self.buckets = vec![NIL; n];
        let mask = n - 1;
        for i in 0..self.slots.len() {
            if self.slots[i].kv.is_some() {
                let b = self.slots[i].hash as usize & mask;
                self.slots[i].next = self.buckets[b];
                self.buckets[b] = i as u32;
            }
        }
    }

    /// Insert, returning the previous value if the key was present.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        // Hashed once, for the lookup and the insertion.
        let h = hash_of(&k);
        if let Some((i, _)) = self.locate_hashed(h, &k) {
            let slot = self.slots[i as usize].kv.as_mut().expect("live slot");
            return Some(std::mem::replace(&mut slot.1, v));
        }
        self.insert_new_hashed(h, k, v);
        None
    }

    /// Insert a key the caller just looked up and did not find.
    pub fn insert_absent(&mut self, k: K, v: V) {
        self.insert_new(k, v);
    }

    /// Insert a key known to be absent; returns its slot.
    fn insert_new(&mut self, k: K, v: V) -> u32 {
        self.insert_new_hashed(hash_of(&k), k, v)
    }

    /// [`Dict::insert_new`] with the key's hash already computed.
    fn insert_new_hashed(&mut self, h: u64, k: K, v: V) -> u32 {
        // Doubled when full, as Redis's dictExpand: the load factor stays
        // between 1/2 and 1 (chains of about one entry).
        let limit = match self.pinned {
            true => self.buckets.len() * FORCE_RESIZE_RATIO,
            false => self.buckets.len(),
        };
        if self.len + 1 > limit {
            self.resize((self.len + 1).max(self.buckets.len() * 2));
        }
        let h = h as u32;
        let b = h as usize & self.mask();
        let idx = if self.free != NIL {
            let i = self.free;
            self.free = self.slots[i as usize].next;
            self.slots[i as usize] = Slot {
                hash: h,
                next: self.buckets[b],
                kv: Some((k, v)),
            };
            i
        } else {
            assert!(self.slots.len() < NIL as usize, "dict full");
            self.slots.push(Slot {
                hash: h,
                next: self.buckets[b],
                kv: Some((k, v)),
            });
            (self.slots.len() - 1) as u32
        };
        self.buckets[b] = idx;
        self.len += 1;
        idx
    }

    /// The value for `k`, inserted with `f` if absent; and whether it was inserted.
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> (&mut V, bool) {
        let h = hash_of(&k);
        let (i, inserted) = match self.locate_hashed(h, &k) {
            Some((i, _)) => (i, false),
            None => (self.insert_new_hashed(h, k, f()), true),
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
        let (i, prev) = self.locate(q)?;
        let next = self.slots[i as usize].next;
        if prev == NIL {
            let b = self.slots[i as usize].hash as usize & self.mask();
            self.buckets[b] = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        let kv = self.slots[i as usize].kv.take();
        self.slots[i as usize].next = self.free;
        self.free = i;
        self.len -= 1;
        self.maybe_shrink();
        kv
    }

    /// Shrink when under 1/8 full, like Redis's 10% fill rule, and compact the slab.
    fn maybe_shrink(&mut self) {
        if self.len == 0 {
            self.clear();
            return;
        }
        if !self.pinned && self.buckets.len() > 16 && self.len * 8 < self.buckets.len() {
            let live: Vec<(K, V)> = self.slots.drain(..).filter_map(|s| s.kv).collect();
            self.free = NIL;
            self.buckets.clear();
            self.len = 0;
            self.resize(live.len() * 2);
            for (k, v) in live {
                self.insert_new(k, v);
            }
        }
    }

    pub fn clear(&mut self) {
        self.buckets = Vec::new();
        self.slots = Vec::new();
        self.free = NIL;
        self.len = 0;
    }

    /// The length of every bucket's chain, in bucket order (DEBUG HTSTATS);
    /// as many as the table has buckets.
    pub fn chain_lengths(&self) -> impl Iterator<Item = usize> + '_ {
        self.buckets.iter().map(move |&head| {
            let (mut i, mut n) = (head, 0);
            while i != NIL {
                n += 1;
                i = self.slots[i as usize].next;
            }
            n
        })
    }

    /// All entries, in bucket order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.buckets.iter().flat_map(move |&head| {
            let mut i = head;
            std::iter::from_fn(move || {
                if i == NIL {
                    return None;
                }
                let s = &self.slots[i as usize];
                i = s.next;
                s.kv.as_ref().map(|(k, v)| (k, v))
            })
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

    /// Keep only the entries for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        let before = self.len;
        let slots = std::mem::take(&mut self.slots);
        let mut keep = Vec::with_capacity(self.len);
        for s in slots {
            if let Some((k, mut v)) = s.kv {
                if f(&k, &mut v) {
                    keep.push((k, v));
                }
            }
        }
        self.clear();
        if keep.len() == before {
            self.resize(before);
        }
        for (k, v) in keep {
            self.insert_new(k, v);
        }
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

    /// Visit one step of a SCAN from `cursor`; returns the next cursor (0 when done).
    /// Each call visits at least one bucket; call repeatedly until `count` entries.
    pub fn scan_step(&self, cursor: u64, mut f: impl FnMut(&K, &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut i = self.buckets[(cursor & mask) as usize];
        while i != NIL {
            let s = &self.slots[i as usize];
            if let Some((k, v)) = &s.kv {
                f(k, v);
            }
            i = s.next;
        }
        next_cursor(cursor, mask)
    }

    /// [`Dict::scan_step`] with mutable access to the values.
    pub fn scan_step_mut(&mut self, cursor: u64, mut f: impl FnMut(&K, &mut V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = self.mask() as u64;
        let mut i = self.buckets[(cursor & mask) as usize];
        while i != NIL {
            let s = &mut self.slots[i as usize];
            if let Some((k, v)) = &mut s.kv {
                f(k, v);
            }
            i = s.next;
        }
        next_cursor(cursor, mask)
    }

    /// A pseudo-random entry chosen with the caller's random number.
    pub fn random_entry(&self, mut r: u64) -> Option<(&K, &V)> {
        if self.len == 0 {
            return None;
        }
        // Pick a random live slot: the slab is dense enough (we compact on shrink).
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
}
