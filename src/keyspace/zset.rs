//! Sorted sets: a member → score dict plus an ordered index by (score, member).

use super::dict::Dict;
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

#[derive(Clone, Debug, Default)]
pub struct ZSet {
    scores: Dict<Bytes, f64>,
    order: BTreeSet<(Score, Bytes)>,
}

impl ZSet {
    pub fn new() -> ZSet {
        ZSet::default()
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Insert or update; returns the previous score.
    pub fn insert(&mut self, member: Bytes, score: f64) -> Option<f64> {
        let old = self.scores.insert(member.clone(), score);
        if let Some(o) = old {
            if o == score {
                return old;
            }
            self.order.remove(&(Score(o), member.clone()));
        }
        self.order.insert((Score(score), member));
        old
    }

    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (k, s) = self.scores.remove_entry(member)?;
        self.order.remove(&(Score(s), k));
        Some(s)
    }

    /// Members in ascending (score, member) order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> {
        self.order.iter().map(|(s, m)| (m, s.0))
    }

    /// 0-based rank in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let s = self.score(member)?;
        let key = (Score(s), Bytes::copy_from_slice(member));
        Some(self.order.range(..key).count())
    }

    /// The ordered index, for range queries by score or lex.
    pub fn ordered(&self) -> &BTreeSet<(Score, Bytes)> {
        &self.order
    }

    /// Members whose score lies in the range, ascending (reverse with `.rev()`).
    /// `minex`/`maxex` make a bound exclusive; an empty range yields nothing.
    pub fn range_by_score(
        &self,
        min: f64,
        minex: bool,
        max: f64,
        maxex: bool,
    ) -> impl DoubleEndedIterator<Item = (&Bytes, f64)> {
        use std::ops::Bound;
        // Same score for -0.0 and 0.0, as everywhere in a sorted set.
        let (min, max) = (min + 0.0, max + 0.0);
        let empty = min.is_nan() || max.is_nan() || min > max || (min == max && (minex || maxex));
        let range = if empty {
            None
        } else {
            let lo = if minex { next_up(min) } else { min };
            let hi = if maxex {
                Bound::Excluded((Score(max), Bytes::new()))
            } else if max == f64::INFINITY {
                Bound::Unbounded
            } else {
                Bound::Excluded((Score(next_up(max)), Bytes::new()))
            };
            Some(
                self.order
                    .range((Bound::Included((Score(lo), Bytes::new())), hi)),
            )
        };
        range.into_iter().flatten().map(|(s, m)| (m, s.0))
    }

    pub fn dict(&self) -> &Dict<Bytes, f64> {
        &self.scores
    }

    /// Largest member length, for choosing the reported encoding.
    pub fn max_member_len(&self) -> usize {
        self.scores.keys().map(|k| k.len()).max().unwrap_or(0)
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
        let mut z = ZSet::new();
        for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
            z.insert(Bytes::from_static(m.as_bytes()), i as f64);
        }
        z.insert(Bytes::from_static(b"z"), -0.0);
        let names = |it: Vec<(&Bytes, f64)>| -> Vec<String> {
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
