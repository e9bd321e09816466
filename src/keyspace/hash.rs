//! A hash value in either of 7.0's encodings: a listpack of field, value
//! pairs in insertion order while small, a hashtable once past
//! `hash-max-listpack-entries` / `hash-max-listpack-value`.

use super::listpack::{self, Listpack};
use super::{Dict, Resize};
use bytes::Bytes;

#[derive(Clone, Debug)]
pub enum HashValue {
    Packed(Listpack),
    Table(Box<Dict<Bytes, Bytes>>),
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::Packed(Listpack::new())
    }
}

/// The span of the field `f` and of its value in a packed hash.
fn find(lp: &Listpack, f: &[u8]) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let mut it = lp.spans();
    while let (Some((fs, k)), Some((vs, _))) = (it.next(), it.next()) {
        if k == f {
            return Some((fs, vs));
        }
    }
    None
}

impl HashValue {
    pub fn new() -> HashValue {
        HashValue::default()
    }

    pub fn from_dict(d: Dict<Bytes, Bytes>) -> HashValue {
        HashValue::Table(Box::new(d))
    }

    pub fn is_packed(&self) -> bool {
        matches!(self, HashValue::Packed(_))
    }

    pub fn len(&self) -> usize {
        match self {
            HashValue::Packed(lp) => lp.len() / 2,
            HashValue::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, f: &[u8]) -> Option<&[u8]> {
        match self {
            HashValue::Packed(lp) => {
                let mut it = lp.iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if k == f {
                        return Some(v);
                    }
                }
                None
            }
            HashValue::Table(d) => d.get(f).map(|v| &v[..]),
        }
    }

    pub fn contains_key(&self, f: &[u8]) -> bool {
        self.get(f).is_some()
    }

    /// Set `f` to `v`; true if the field is new.
    pub fn insert(&mut self, f: &Bytes, v: &Bytes) -> bool {
        match self {
            HashValue::Packed(lp) => match find(lp, f) {
                Some((_, vs)) => {
                    lp.replace(vs, v);
                    false
                }
                None => {
                    lp.push(&[f, v]);
                    true
                }
            },
            HashValue::Table(d) => d.insert(f.clone(), v.clone()).is_none(),
        }
    }

    /// HSET's field, value pairs (`args`, flat); how many fields are new.
    /// A listpack grows once for all the new fields, not once per field
    /// (each growth is a reallocation, and their leftovers cost memory),
    /// and turns into a table when they take it past `max_entries`.
    pub fn insert_pairs(&mut self, args: &[Bytes], max_entries: usize) -> usize {
        let HashValue::Packed(lp) = self else {
            return args.chunks(2).filter(|p| self.insert(&p[0], &p[1])).count();
        };
        let mut fresh: Vec<(&Bytes, &Bytes)> = Vec::new();
        for p in args.chunks(2) {
            if let Some(e) = fresh.iter_mut().find(|(f, _)| *f == &p[0]) {
                e.1 = &p[1];
                continue;
            }
            match find(lp, &p[0]) {
                Some((_, vs)) => lp.replace(vs, &p[1]),
                None => fresh.push((&p[0], &p[1])),
            }
        }
        if lp.len() / 2 + fresh.len() > max_entries {
            self.to_table();
            for (f, v) in &fresh {
                self.insert(f, v);
            }
        } else {
            let flat: Vec<&[u8]> = fresh.iter().flat_map(|(f, v)| [&f[..], &v[..]]).collect();
            lp.push(&flat);
        }
        fresh.len()
    }

    /// Whether the table may resize in the changes that follow (no fork
    /// child): the caller sets it before changing the hash.
    pub fn set_resize(&mut self, resize: Resize) {
        if let HashValue::Table(d) = self {
            d.set_resize(resize);
        }
    }

    /// Remove `f`; true if it was there (a table under 10% full shrinks,
    /// as hashTypeDelete's).
    pub fn remove(&mut self, f: &[u8]) -> bool {
        match self {
            HashValue::Packed(lp) => match find(lp, f) {
                Some((fs, vs)) => {
                    lp.remove_span(fs.start..vs.end, 2);
                    true
                }
                None => false,
            },
            HashValue::Table(d) => d.remove(f).is_some(),
        }
    }

    /// Field, value pairs: insertion order while packed, bucket order (the
    /// order HSCAN walks) in a table.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            HashValue::Packed(lp) => Iter::Packed(lp.iter()),
            HashValue::Table(d) => Iter::Table(Box::new(d.iter())),
        }
    }

    /// The hashtable, once converted (HSCAN cursors, DEBUG HTSTATS-KEY).
    pub fn table(&self) -> Option<&Dict<Bytes, Bytes>> {
        match self {
            HashValue::Table(d) => Some(d),
            HashValue::Packed(_) => None,
        }
    }

    /// Whether every field and value fit the listpack limits.
    pub fn fits(&self, max_entries: usize, max_value: usize) -> bool {
        self.len() <= max_entries
            && self
                .iter()
                .all(|(f, v)| f.len() <= max_value && v.len() <= max_value)
    }

    /// Convert to the hashtable encoding (for good, as 7.0 does).
    pub fn to_table(&mut self) {
        if let HashValue::Packed(lp) = self {
            // Sized for the listpack's pairs at once (hashTypeConvertListpack).
            let mut d = Dict::new();
            d.reserve(lp.len() / 2);
            let mut it = lp.iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                d.insert(Bytes::copy_from_slice(f), Bytes::copy_from_slice(v));
            }
            *self = HashValue::Table(Box::new(d));
        }
    }

    /// Convert a table to a listpack (a value loaded or built whole, which
    /// 7.0 encodes by its size).
    pub fn to_packed(&mut self) {
        if let HashValue::Table(d) = self {
            let mut lp = Listpack::new();
            let mut pairs: Vec<&[u8]> = Vec::with_capacity(d.len() * 2);
            for (f, v) in d.iter() {
                pairs.push(f);
                pairs.push(v);
            }
            lp.push(&pairs);
            *self = HashValue::Packed(lp);
        }
    }

    /// The listpack's bytes, while packed.
    pub fn packed_bytes(&self) -> Option<usize> {
        match self {
            HashValue::Packed(lp) => Some(lp.bytes()),
            HashValue::Table(_) => None,
        }
    }
}

/// What one field and its value take in a listpack.
pub fn packed_pair_size(f: usize, v: usize) -> usize {
    listpack::entry_size(f) + listpack::entry_size(v)
}

pub enum Iter<'a> {
    Packed(listpack::Iter<'a>),
    Table(Box<dyn Iterator<Item = (&'a Bytes, &'a Bytes)> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Packed(it) => Some((it.next()?, it.next()?)),
            Iter::Table(it) => it.next().map(|(f, v)| (&f[..], &v[..])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_and_table_agree() {
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        let mut h = HashValue::new();
        assert!(h.insert(&b("a"), &b("1")));
        assert!(h.insert(&b("b"), &b("2")));
        assert!(!h.insert(&b("a"), &b("11")));
        assert_eq!(h.get(b"a"), Some(&b"11"[..]));
        assert_eq!(h.len(), 2);
        let order: Vec<_> = h.iter().map(|(f, _)| f.to_vec()).collect();
        assert_eq!(order, vec![b"a".to_vec(), b"b".to_vec()]);
        assert!(h.fits(2, 2) && !h.fits(1, 2) && !h.fits(2, 1));
        h.to_table();
        assert!(!h.is_packed());
        assert_eq!(h.get(b"a"), Some(&b"11"[..]));
        assert!(h.remove(b"a") && !h.remove(b"a"));
        h.to_packed();
        assert_eq!(h.get(b"b"), Some(&b"2"[..]));
        let args: Vec<Bytes> = ["b", "3", "c", "4", "c", "5", "d", "6"]
            .iter()
            .map(|s| b(s))
            .collect();
        assert_eq!(h.insert_pairs(&args, 10), 2);
        assert!(h.is_packed());
        let all: Vec<_> = h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        assert_eq!(
            all,
            vec![
                (b"b".to_vec(), b"3".to_vec()),
                (b"c".to_vec(), b"5".to_vec()),
                (b"d".to_vec(), b"6".to_vec())
            ]
        );
        assert_eq!(h.insert_pairs(&[b("e"), b("7")], 3), 1);
        assert!(!h.is_packed() && h.len() == 4);
        assert!(h.remove(b"c") && h.remove(b"d") && h.remove(b"e"));
        assert!(h.remove(b"b"));
        assert!(h.is_empty());
    }
}
