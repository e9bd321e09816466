//! 7.0's intset: the distinct integers of a small set, sorted, packed at
//! the narrowest width (16, 32 or 64 bits) that holds them all. The width
//! only grows (as `intsetUpgradeAndAdd`).
//!
//! Stored as bytes in an [`InlineBytes`]: the width, then the elements
//! little-endian, exactly sized. Up to 10 16-bit members (5 32-bit, 2
//! 64-bit) fit in the value itself, so a small set costs no allocation.

use super::InlineBytes;
use std::cmp::Ordering;

#[derive(Clone, PartialEq, Eq)]
pub struct IntSet(InlineBytes);

impl Default for IntSet {
    fn default() -> Self {
        IntSet(InlineBytes::new(&[2]))
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The width (in bytes) that holds `x`.
fn width_for(x: i64) -> usize {
    if i16::try_from(x).is_ok() {
        2
    } else if i32::try_from(x).is_ok() {
        4
    } else {
        8
    }
}

/// Append `x` at width `w` (which holds it).
fn put(out: &mut Vec<u8>, x: i64, w: usize) {
    out.extend_from_slice(&x.to_le_bytes()[..w]);
}

/// The element stored in `b` (2, 4 or 8 bytes).
fn decode(b: &[u8]) -> i64 {
    match *b {
        [a, b] => i16::from_le_bytes([a, b]) as i64,
        [a, b, c, d] => i32::from_le_bytes([a, b, c, d]) as i64,
        _ => i64::from_le_bytes(b.try_into().unwrap_or([0; 8])),
    }
}

impl IntSet {
    pub fn new() -> IntSet {
        IntSet::default()
    }

    pub fn len(&self) -> usize {
        (self.0.len() - 1) / self.width()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per element (what `intset.encoding` says).
    pub fn width(&self) -> usize {
        self.0[0] as usize
    }

    /// The element at `i` (ascending order), if any.
    pub fn get(&self, i: usize) -> Option<i64> {
        let w = self.width();
        self.0.get(1 + i * w..1 + (i + 1) * w).map(decode)
    }

    /// Where `x` is, or where it would go.
    fn search(&self, x: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).map_or(Ordering::Greater, |v| v.cmp(&x)) {
                Ordering::Equal => return Ok(mid),
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
            }
        }
        Err(lo)
    }

    pub fn contains(&self, x: i64) -> bool {
        width_for(x) <= self.width() && self.search(x).is_ok()
    }

    /// Rebuild with the elements `xs` (sorted, distinct) at width `w`.
    fn rebuild(&mut self, xs: impl ExactSizeIterator<Item = i64>, w: usize) {
        let mut v = Vec::with_capacity(1 + xs.len() * w);
        v.push(w as u8);
        for x in xs {
            put(&mut v, x, w);
        }
        self.0 = v.into();
    }

    /// Widen to hold `x` if needed.
    fn upgrade_for(&mut self, x: i64) {
        let need = width_for(x);
        if need > self.width() {
            let all: Vec<i64> = self.iter().collect();
            self.rebuild(all.into_iter(), need);
        }
    }

    /// Add `x`; false if it was there.
    pub fn insert(&mut self, x: i64) -> bool {
        self.upgrade_for(x);
        let Err(i) = self.search(x) else {
            return false;
        };
        let w = self.width();
        let mut v = std::mem::take(&mut self.0).into_vec();
        let mut enc = Vec::with_capacity(w);
        put(&mut enc, x, w);
        v.splice(1 + i * w..1 + i * w, enc);
        self.0 = v.into();
        true
    }

    /// Add the values `xs`, none of them present yet, with one rebuild
    /// (not one reallocation per value).
    pub fn insert_new(&mut self, xs: &[i64]) {
        let (Some(&lo), Some(&hi)) = (xs.iter().min(), xs.iter().max()) else {
            return;
        };
        let w = self.width().max(width_for(lo)).max(width_for(hi));
        let mut all: Vec<i64> = self.iter().chain(xs.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        self.rebuild(all.into_iter(), w);
    }

    /// Remove `x`; false if it was not there.
    pub fn remove(&mut self, x: i64) -> bool {
        if width_for(x) > self.width() {
            return false;
        }
        let Ok(i) = self.search(x) else {
            return false;
        };
        let w = self.width();
        let mut v = std::mem::take(&mut self.0).into_vec();
        v.drain(1 + i * w..1 + (i + 1) * w);
        self.0 = v.into();
        true
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.0[1..].chunks_exact(self.width()).map(decode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_widening() {
        let mut s = IntSet::new();
        assert!(s.insert(5) && s.insert(-3) && !s.insert(5));
        assert_eq!(s.width(), 2);
        assert!(s.insert(70_000));
        assert_eq!(s.width(), 4);
        assert!(s.insert(i64::MIN));
        assert_eq!(s.width(), 8);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![i64::MIN, -3, 5, 70_000]);
        assert!(s.contains(-3) && !s.contains(4));
        assert!(s.remove(i64::MIN) && !s.remove(i64::MIN));
        // Widths never shrink, as in 7.0.
        assert_eq!(s.width(), 8);
        assert_eq!(s.len(), 3);
        let mut t = IntSet::new();
        assert!(!t.remove(1 << 40) && !t.contains(1 << 40));
        // Ten 16-bit members live inline; more go to the heap, same content.
        t.insert_new(&(0..10).map(|i| i * 7).collect::<Vec<_>>());
        assert!(!t.0.is_heap());
        assert!(t.insert(1000) && t.0.is_heap() && t.len() == 11);
        assert!(t.remove(1000) && !t.0.is_heap());
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            (0..10).map(|i| i * 7).collect::<Vec<_>>()
        );
    }
}
