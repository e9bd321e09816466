//! A set value in either of 7.0's encodings: an intset while every member
//! is an integer and there are at most `set-max-intset-entries`, else a
//! hashtable. (7.0.15 has no listpack sets: a small set of strings is a
//! hashtable.)

use super::intset::IntSet;
use super::{Dict, Resize};
use crate::resp::parse_i64;
use bytes::Bytes;

#[derive(Clone, Debug)]
pub enum SetValue {
    Ints(IntSet),
    Table(Box<Dict<Bytes, ()>>),
}

impl Default for SetValue {
    fn default() -> Self {
        SetValue::Ints(IntSet::new())
    }
}

/// An intset element as the string a member is.
pub fn int_member(x: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(x).as_bytes())
}

impl SetValue {
    pub fn new() -> SetValue {
        SetValue::default()
    }

    pub fn from_dict(d: Dict<Bytes, ()>) -> SetValue {
        SetValue::Table(Box::new(d))
    }

    pub fn is_intset(&self) -> bool {
        matches!(self, SetValue::Ints(_))
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::Ints(s) => s.len(),
            SetValue::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            SetValue::Ints(s) => parse_i64(m).is_some_and(|x| s.contains(x)),
            SetValue::Table(d) => d.contains_key(m),
        }
    }

    /// Add `m`; true if it is new. An intset turns into a hashtable for a
    /// member that is no integer or past `max_intset` members (setTypeAdd).
    /// `resize`: whether the table may resize now (no fork child).
    pub fn insert(&mut self, m: &Bytes, max_intset: usize, resize: Resize) -> bool {
        if let SetValue::Ints(s) = self {
            match parse_i64(m) {
                Some(x) => {
                    let added = s.insert(x);
                    if added && s.len() > max_intset {
                        self.to_table();
                    }
                    return added;
                }
                None => self.to_table(),
            }
        }
        match self {
            SetValue::Table(d) => {
                d.set_resize(resize);
                d.insert(m.clone(), ()).is_none()
            }
            SetValue::Ints(_) => false,
        }
    }

    /// SADD's members; how many are new. An intset that stays one grows
    /// once for all of them (each growth is a reallocation, and their
    /// leftovers cost memory); otherwise members go in one by one, which
    /// converts where 7.0 converts.
    pub fn insert_many(&mut self, ms: &[Bytes], max_intset: usize, resize: Resize) -> usize {
        if let SetValue::Ints(s) = self {
            let ints: Option<Vec<i64>> = ms.iter().map(|m| parse_i64(m)).collect();
            if let Some(mut ints) = ints {
                ints.sort_unstable();
                ints.dedup();
                ints.retain(|&x| !s.contains(x));
                if s.len() + ints.len() <= max_intset {
                    s.insert_new(&ints);
                    return ints.len();
                }
            }
        }
        ms.iter()
            .filter(|m| self.insert(m, max_intset, resize))
            .count()
    }

    /// Remove `m`; true if it was there. The table shrinks once under
    /// 10% full if `resize` allows (setTypeRemove).
    pub fn remove(&mut self, m: &[u8], resize: Resize) -> bool {
        match self {
            SetValue::Ints(s) => parse_i64(m).is_some_and(|x| s.remove(x)),
            SetValue::Table(d) => {
                d.set_resize(resize);
                d.remove(m).is_some()
            }
        }
    }

    /// The members: ascending for an intset, bucket order for a table (the
    /// orders 7.0 iterates them in).
    pub fn iter(&self) -> Iter<'_> {
        match self {
            SetValue::Ints(s) => Iter::Ints(s, 0),
            SetValue::Table(d) => Iter::Table(Box::new(d.keys())),
        }
    }

    /// A member picked with the random number `r`, after the rehash work
    /// 7.0's sampling does (setTypeRandomElement).
    pub fn random_mut(&mut self, r: u64, resize: Resize) -> Option<Bytes> {
        if let SetValue::Table(d) = self {
            d.set_resize(resize);
            d.sampling_steps();
        }
        self.random(r)
    }

    /// A member picked with the random number `r`.
    pub fn random(&self, r: u64) -> Option<Bytes> {
        match self {
            SetValue::Ints(s) if !s.is_empty() => {
                s.get((r % s.len() as u64) as usize).map(int_member)
            }
            SetValue::Ints(_) => None,
            SetValue::Table(d) => d.random_entry(r).map(|(k, _)| k.clone()),
        }
    }

    /// The hashtable, once converted (SSCAN cursors, DEBUG HTSTATS-KEY).
    pub fn table(&self) -> Option<&Dict<Bytes, ()>> {
        match self {
            SetValue::Table(d) => Some(d),
            SetValue::Ints(_) => None,
        }
    }

    /// The intset, while the set is one.
    pub fn ints(&self) -> Option<&IntSet> {
        match self {
            SetValue::Ints(s) => Some(s),
            SetValue::Table(_) => None,
        }
    }

    /// Whether the set could be an intset of at most `max_intset` members.
    pub fn fits(&self, max_intset: usize) -> bool {
        match self {
            SetValue::Ints(s) => s.len() <= max_intset,
            SetValue::Table(d) => d.len() <= max_intset && d.keys().all(|m| parse_i64(m).is_some()),
        }
    }

    /// Convert to the hashtable encoding (for good, as 7.0 does).
    pub fn to_table(&mut self) {
        if let SetValue::Ints(s) = self {
            // Sized for the intset at once (setTypeConvert's dictExpand).
            let mut d = Dict::new();
            d.reserve(s.len());
            for x in s.iter() {
                d.insert(int_member(x), ());
            }
            *self = SetValue::Table(Box::new(d));
        }
    }

    /// Convert a table of integers to an intset (a set built or loaded
    /// whole, which 7.0 encodes by its content).
    pub fn to_intset(&mut self) {
        if let SetValue::Table(d) = self {
            let mut s = IntSet::new();
            for m in d.keys() {
                match parse_i64(m) {
                    Some(x) => {
                        s.insert(x);
                    }
                    None => return,
                }
            }
            *self = SetValue::Ints(s);
        }
    }
}

pub enum Iter<'a> {
    Ints(&'a IntSet, usize),
    Table(Box<dyn Iterator<Item = &'a Bytes> + 'a>),
}

impl Iterator for Iter<'_> {
    type Item = Bytes;
    fn next(&mut self) -> Option<Bytes> {
        match self {
            Iter::Ints(s, i) => {
                let x = s.get(*i)?;
                *i += 1;
                Some(int_member(x))
            }
            Iter::Table(it) => it.next().cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_until_a_string_or_too_many() {
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        const E: Resize = Resize::Enable;
        let mut s = SetValue::new();
        assert!(s.insert(&b("3"), 2, E) && s.insert(&b("-1"), 2, E) && !s.insert(&b("3"), 2, E));
        assert!(s.is_intset());
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![b("-1"), b("3")]);
        assert!(s.contains(b"3") && !s.contains(b"03"));
        assert!(s.insert(&b("7"), 2, E));
        assert!(!s.is_intset(), "past set-max-intset-entries");
        let mut t = SetValue::new();
        t.insert(&b("1"), 512, E);
        assert!(t.insert(&b("a"), 512, E) && !t.is_intset());
        assert!(t.remove(b"a", E) && t.fits(512));
        t.to_intset();
        assert!(t.is_intset() && t.contains(b"1"));
        assert_eq!(t.random(7), Some(b("1")));
        let ms: Vec<Bytes> = ["5", "-70000", "5", "1"].iter().map(|m| b(m)).collect();
        assert_eq!(t.insert_many(&ms, 3, E), 2);
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            vec![b("-70000"), b("1"), b("5")]
        );
        assert_eq!(t.insert_many(&[b("9")], 3, E), 1);
        assert!(!t.is_intset() && t.len() == 4);
    }
}
