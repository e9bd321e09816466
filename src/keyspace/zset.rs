//! Sorted sets: a member → score dict plus an ordered index by (score, member).

use super::dict::{Dict, Resize};
use super::listpack::Listpack;
use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// A score with a total order (scores are never NaN; Redis rejects NaN on input).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score(pub f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        // Like Redis's `<` on doubles: -0 and 0 are the same score (no NaN here).
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// The skiplist encoding: a member → score dict plus an ordered index by
/// (score, member).
#[derive(Clone, Debug, Default)]
pub struct SkipList {
    scores: Dict<Bytes, f64>,
    order: BTreeSet<(Score, Bytes)>,
}

/// A sorted set in either of 7.0's encodings: a listpack of member, score
/// pairs kept in (score, member) order while small (the score as its 8
/// bytes), a skiplist (here a dict and an ordered index) once past
/// `zset-max-listpack-entries` / `zset-max-listpack-value`.
#[derive(Clone, Debug)]
pub enum ZSet {
    Packed(Listpack),
    Skip(Box<SkipList>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Packed(Listpack::new())
    }
}

/// A member and its score, as the iterators yield them.
pub type Item<'a> = (&'a [u8], f64);
pub type Items<'a> = Box<dyn DoubleEndedIterator<Item = Item<'a>> + 'a>;

/// A score as stored in a listpack entry: 8 bytes, the double, or fewer,
/// an integer (7.0's listpacks keep integral scores as integers too).
fn score_of(b: &[u8]) -> f64 {
    match b.len() {
        8 => f64::from_le_bytes(b.try_into().expect("8 bytes")),
        1 => b[0] as i8 as f64,
        2 => i16::from_le_bytes([b[0], b[1]]) as f64,
        4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
        _ => 0.0,
    }
}

/// The entry a score is stored as, and its length (see [`score_of`]).
fn score_entry(x: f64) -> ([u8; 8], usize) {
    let mut a = [0u8; 8];
    // Integral scores in i32's range (not -0, which must stay -0).
    if x.fract() == 0.0 && x.abs() <= i32::MAX as f64 && !(x == 0.0 && x.is_sign_negative()) {
        let i = x as i32;
        let n = if i8::try_from(i).is_ok() {
            1
        } else if i16::try_from(i).is_ok() {
            2
        } else {
            4
        };
        a[..n].copy_from_slice(&i.to_le_bytes()[..n]);
        return (a, n);
    }
    (x.to_le_bytes(), 8)
}

/// The pairs of a packed sorted set, in order.
fn pairs(lp: &Listpack) -> Vec<Item<'_>> {
    let mut v = Vec::with_capacity(lp.len() / 2);
    let mut it = lp.iter();
    while let (Some(m), Some(s)) = (it.next(), it.next()) {
        v.push((m, score_of(s)));
    }
    v
}

impl ZSet {
    /// An empty sorted set, a listpack (what ZADD creates).
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// An empty skiplist, for sets built whole (loads, *STORE results) and
    /// then fitted to their size.
    pub fn new_skip() -> ZSet {
        ZSet::Skip(Box::default())
    }

    pub fn is_packed(&self) -> bool {
        matches!(self, ZSet::Packed(_))
    }

    /// Whether the dict may resize in the changes that follow (no fork
    /// child): the caller sets it before changing the set.
    pub fn set_resize(&mut self, resize: Resize) {
        if let ZSet::Skip(z) = self {
            z.scores.set_resize(resize);
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Packed(lp) => lp.len() / 2,
            ZSet::Skip(z) => z.scores.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Packed(lp) => {
                let mut it = lp.iter();
                while let (Some(m), Some(s)) = (it.next(), it.next()) {
                    if m == member {
                        return Some(score_of(s));
                    }
                }
                None
            }
            ZSet::Skip(z) => z.scores.get(member).copied(),
        }
    }

    /// Insert or update; returns the previous score.
    pub fn insert(&mut self, member: Bytes, score: f64) -> Option<f64> {
        match self {
            ZSet::Packed(lp) => {
                let mut old = None;
                let mut it = lp.spans();
                while let (Some((ms, m)), Some((ss, s))) = (it.next(), it.next()) {
                    if m == &member[..] {
                        old = Some((ms.start..ss.end, score_of(s)));
                        break;
                    }
                }
                if let Some((span, o)) = old.clone() {
                    if o == score {
                        return Some(o);
                    }
                    lp.remove_span(span, 2);
                }
                let key = (Score(score), &member[..]);
                let mut at = lp.bytes();
                let mut it = lp.spans();
                while let (Some((ms, m)), Some((_, s))) = (it.next(), it.next()) {
                    if (Score(score_of(s)), m) > key {
                        at = ms.start;
                        break;
                    }
                }
                let (s, n) = score_entry(score);
                lp.insert_at(at, &[&member, &s[..n]]);
                old.map(|(_, o)| o)
            }
            ZSet::Skip(z) => {
                let old = z.scores.insert(member.clone(), score);
                if let Some(o) = old {
                    if o == score {
                        return old;
                    }
                    z.order.remove(&(Score(o), member.clone()));
                }
                z.order.insert((Score(score), member));
                old
            }
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Packed(lp) => {
                let mut it = lp.spans();
                while let (Some((ms, m)), Some((ss, s))) = (it.next(), it.next()) {
                    if m == member {
                        let score = score_of(s);
                        lp.remove_span(ms.start..ss.end, 2);
                        return Some(score);
                    }
                }
                None
            }
            ZSet::Skip(z) => {
                let (k, s) = z.scores.remove_entry(member)?;
                z.order.remove(&(Score(s), k));
                Some(s)
            }
        }
    }

    /// Members in ascending (score, member) order.
    pub fn iter(&self) -> Items<'_> {
        match self {
            ZSet::Packed(lp) => Box::new(pairs(lp).into_iter()),
            ZSet::Skip(z) => Box::new(z.order.iter().map(|(s, m)| (&m[..], s.0))),
        }
    }

    /// The members in order, lazily (no vector of pairs): what sampling
    /// a set's size needs.
    pub fn members(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let (packed, skip) = match self {
            ZSet::Packed(lp) => (Some(lp.iter().step_by(2)), None),
            ZSet::Skip(z) => (None, Some(z.order.iter().map(|(_, m)| &m[..]))),
        };
        packed
            .into_iter()
            .flatten()
            .chain(skip.into_iter().flatten())
    }

    /// 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            ZSet::Packed(lp) => pairs(lp).iter().position(|(m, _)| *m == member),
            ZSet::Skip(z) => {
                let s = *z.scores.get(member)?;
                let key = (Score(s), Bytes::copy_from_slice(member));
                Some(z.order.range(..key).count())
            }
        }
    }

    /// Members whose score lies in the range, ascending (reverse with `.rev()`).
    /// `minex`/`maxex` make a bound exclusive; an empty range yields nothing.
    pub fn range_by_score(&self, min: f64, minex: bool, max: f64, maxex: bool) -> Items<'_> {
        use std::ops::Bound;
        // Same score for -0.0 and 0.0, as everywhere in a sorted set.
        let (min, max) = (min + 0.0, max + 0.0);
        let empty = min.is_nan() || max.is_nan() || min > max || (min == max && (minex || maxex));
        if empty {
            return Box::new(std::iter::empty());
        }
        let z = match self {
            ZSet::Packed(lp) => {
                let inside = move |s: f64| {
                    (if minex { s > min } else { s >= min })
                        && (if maxex { s < max } else { s <= max })
                };
                return Box::new(pairs(lp).into_iter().filter(move |(_, s)| inside(*s)));
            }
            ZSet::Skip(z) => z,
        };
        let lo = if minex { next_up(min) } else { min };
        let hi = if maxex {
            Bound::Excluded((Score(max), Bytes::new()))
        } else if max == f64::INFINITY {
            Bound::Unbounded
        } else {
            Bound::Excluded((Score(next_up(max)), Bytes::new()))
        };
        Box::new(
            z.order
                .range((Bound::Included((Score(lo), Bytes::new())), hi))
                .map(|(s, m)| (&m[..], s.0)),
        )
    }

    /// The skiplist's dict, once converted (ZSCAN cursors, DEBUG HTSTATS-KEY).
    pub fn dict(&self) -> Option<&Dict<Bytes, f64>> {
        match self {
            ZSet::Skip(z) => Some(&z.scores),
            ZSet::Packed(_) => None,
        }
    }

    /// Largest member length.
    pub fn max_member_len(&self) -> usize {
        match self {
            // Members are every other entry (checked on each write: no Vec).
            ZSet::Packed(lp) => lp.iter().step_by(2).map(|m| m.len()).max().unwrap_or(0),
            ZSet::Skip(z) => z.scores.keys().map(|m| m.len()).max().unwrap_or(0),
        }
    }

    /// Whether the set fits a listpack of these limits.
    pub fn fits(&self, max_entries: usize, max_value: usize) -> bool {
        self.len() <= max_entries && self.max_member_len() <= max_value
    }

    /// Convert to the skiplist encoding.
    pub fn to_skip(&mut self) {
        if let ZSet::Packed(lp) = self {
            let mut z = SkipList::default();
            for (m, s) in pairs(lp) {
                let m = Bytes::copy_from_slice(m);
                z.scores.insert(m.clone(), s);
                z.order.insert((Score(s), m));
            }
            *self = ZSet::Skip(Box::new(z));
        }
    }

    /// Convert a skiplist to a listpack (zsetConvertToListpackIfNeeded).
    pub fn to_packed(&mut self) {
        if let ZSet::Skip(z) = self {
            let scores: Vec<([u8; 8], usize)> =
                z.order.iter().map(|(s, _)| score_entry(s.0)).collect();
            let mut entries: Vec<&[u8]> = Vec::with_capacity(z.order.len() * 2);
            for ((_, m), (s, n)) in z.order.iter().zip(&scores) {
                entries.push(m);
                entries.push(&s[..*n]);
            }
            let mut lp = Listpack::new();
            lp.push(&entries);
            *self = ZSet::Packed(lp);
        }
    }
}

/// The next representable double above `x` (0.0 for the negative number closest to 0).
fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    let x = x + 0.0;
    if x == 0.0 {
        return f64::from_bits(1);
    }
    let b = x.to_bits();
    let n = if x > 0.0 {
        f64::from_bits(b + 1)
    } else {
        f64::from_bits(b - 1)
    };
    n + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zset_score_ranges() {
        // Both encodings answer alike.
        for mut z in [ZSet::new(), ZSet::new_skip()] {
            for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
                z.insert(Bytes::from_static(m.as_bytes()), i as f64);
            }
            z.insert(Bytes::from_static(b"z"), -0.0);
            let names = |it: Vec<(&[u8], f64)>| -> Vec<String> {
                it.into_iter()
                    .map(|(m, _)| String::from_utf8_lossy(m).into_owned())
                    .collect()
            };
            assert_eq!(
                names(z.range_by_score(1.0, false, 2.0, false).collect()),
                ["b", "c"]
            );
            assert_eq!(
                names(z.range_by_score(1.0, true, 3.0, true).collect()),
                ["c"]
            );
            assert_eq!(
                names(z.range_by_score(-0.0, false, 0.0, false).collect()),
                ["a", "z"]
            );
            assert_eq!(
                names(
                    z.range_by_score(f64::NEG_INFINITY, false, f64::INFINITY, false)
                        .rev()
                        .collect()
                ),
                ["d", "c", "b", "z", "a"]
            );
            assert_eq!(z.range_by_score(2.0, true, 2.0, false).count(), 0);
            assert_eq!(z.range_by_score(3.0, false, 2.0, false).count(), 0);
            assert_eq!(
                z.range_by_score(f64::INFINITY, false, f64::INFINITY, false)
                    .count(),
                0
            );
            assert_eq!(z.rank(b"c"), Some(3));
            assert_eq!(z.remove(b"c"), Some(2.0));
            assert_eq!(z.len(), 4);
        }
    }
}
