//! Stable sorting for cold code (listings, elections, replies built once):
//! one shared sort instead of one per element type and comparator.
//!
//! Why: `slice::sort_by` is generic over the element and the closure, and
//! each use brings its own copy of the standard library's sort (about 4 KB of
//! wasm each). Here the standard sort runs once, on indices, through a `dyn`
//! comparator; what is left per element type is the permutation. Hot paths
//! (SORT, set and sorted-set algebra) keep `slice::sort_by`.

use std::cmp::Ordering;

/// The order of `0..n` that `cmp` (on indices) sorts stably.
#[inline(never)]
fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| cmp(a, b));
    idx
}

/// `v.sort_by(cmp)`: stable, same result.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut idx = order(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    // Apply the permutation in place: position `i` takes the element at
    // `idx[i]`; following each cycle, swaps move every element once.
    for i in 0..idx.len() {
        let mut cur = i;
        while idx[cur] != i {
            let next = idx[cur];
            v.swap(cur, next);
            idx[cur] = cur;
            cur = next;
        }
        idx[cur] = cur;
    }
}

/// `v.sort_by_key(key)`: stable, same result.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// `v.sort()`: stable, same result.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_the_standard_sort_does() {
        let mut rng = crate::rng::Rng::new(7);
        for n in [0usize, 1, 2, 3, 10, 57, 300] {
            let v: Vec<(u32, u32)> = (0..n)
                .map(|i| ((rng.next_u64() % 5) as u32, i as u32))
                .collect();
            let mut a = v.clone();
            let mut b = v.clone();
            // Only the first field compares: ties keep their input order.
            a.sort_by_key(|p| p.0);
            sort_by_key(&mut b, |p| p.0);
            assert_eq!(a, b, "n={n}");
            let mut c = v.clone();
            sort_by(&mut c, |x, y| y.cmp(x));
            let mut d = v;
            d.sort_by(|x, y| y.cmp(x));
            assert_eq!(c, d);
        }
    }
}
