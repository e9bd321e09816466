//! 7.0's intset: the distinct integers of a small set, sorted, packed at
//! the narrowest width (16, 32 or 64 bits) that holds them all. The width
//! only grows (as `intsetUpgradeAndAdd`); each slice is sized exactly.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntSet {
    W16(Box<[i16]>),
    W32(Box<[i32]>),
    W64(Box<[i64]>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::W16(Box::default())
    }
}

/// Insert `x` into the sorted slice `b`; false if present.
fn insert_sorted<T: Ord + Copy>(b: &mut Box<[T]>, x: T) -> bool {
    match b.binary_search(&x) {
        Ok(_) => false,
        Err(i) => {
            let mut v = std::mem::take(b).into_vec();
            v.reserve_exact(1);
            v.insert(i, x);
            *b = v.into_boxed_slice();
            true
        }
    }
}

/// Remove `x` from the sorted slice `b`; false if absent.
fn remove_sorted<T: Ord + Copy>(b: &mut Box<[T]>, x: T) -> bool {
    match b.binary_search(&x) {
        Err(_) => false,
        Ok(i) => {
            let mut v = std::mem::take(b).into_vec();
            v.remove(i);
            *b = v.into_boxed_slice();
            true
        }
    }
}

impl IntSet {
    pub fn new() -> IntSet {
        IntSet::default()
    }

    pub fn len(&self) -> usize {
        match self {
            IntSet::W16(b) => b.len(),
            IntSet::W32(b) => b.len(),
            IntSet::W64(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per element (what `intset.encoding` says).
    pub fn width(&self) -> usize {
        match self {
            IntSet::W16(_) => 2,
            IntSet::W32(_) => 4,
            IntSet::W64(_) => 8,
        }
    }

    /// The element at `i` (ascending order), if any.
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            IntSet::W16(b) => b.get(i).map(|&x| x as i64),
            IntSet::W32(b) => b.get(i).map(|&x| x as i64),
            IntSet::W64(b) => b.get(i).copied(),
        }
    }

    pub fn contains(&self, x: i64) -> bool {
        match self {
            IntSet::W16(b) => i16::try_from(x).is_ok_and(|x| b.binary_search(&x).is_ok()),
            IntSet::W32(b) => i32::try_from(x).is_ok_and(|x| b.binary_search(&x).is_ok()),
            IntSet::W64(b) => b.binary_search(&x).is_ok(),
        }
    }

    /// Widen to hold `x` if needed.
    fn upgrade_for(&mut self, x: i64) {
        let need = if i16::try_from(x).is_ok() {
            2
        } else if i32::try_from(x).is_ok() {
            4
        } else {
            8
        };
        if need <= self.width() {
            return;
        }
        let all: Vec<i64> = self.iter().collect();
        *self = if need == 4 {
            IntSet::W32(all.iter().map(|&v| v as i32).collect())
        } else {
            IntSet::W64(all.into_boxed_slice())
        };
    }

    /// Add `x`; false if it was there.
    pub fn insert(&mut self, x: i64) -> bool {
        self.upgrade_for(x);
        match self {
            IntSet::W16(b) => insert_sorted(b, x as i16),
            IntSet::W32(b) => insert_sorted(b, x as i32),
            IntSet::W64(b) => insert_sorted(b, x),
        }
    }

    /// Add the values `xs`, none of them present yet, with one growth of
    /// the slice (not one reallocation per value).
    pub fn insert_new(&mut self, xs: &[i64]) {
        let (Some(&lo), Some(&hi)) = (xs.iter().min(), xs.iter().max()) else {
            return;
        };
        self.upgrade_for(lo);
        self.upgrade_for(hi);
        fn merge<T: Ord + Copy>(b: &mut Box<[T]>, xs: impl ExactSizeIterator<Item = T>) {
            let mut v = std::mem::take(b).into_vec();
            v.reserve_exact(xs.len());
            v.extend(xs);
            v.sort_unstable();
            v.dedup();
            *b = v.into_boxed_slice();
        }
        match self {
            IntSet::W16(b) => merge(b, xs.iter().map(|&x| x as i16)),
            IntSet::W32(b) => merge(b, xs.iter().map(|&x| x as i32)),
            IntSet::W64(b) => merge(b, xs.iter().copied()),
        }
    }

    /// Remove `x`; false if it was not there.
    pub fn remove(&mut self, x: i64) -> bool {
        match self {
            IntSet::W16(b) => i16::try_from(x).is_ok_and(|x| remove_sorted(b, x)),
            IntSet::W32(b) => i32::try_from(x).is_ok_and(|x| remove_sorted(b, x)),
            IntSet::W64(b) => remove_sorted(b, x),
        }
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
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
    }
}
