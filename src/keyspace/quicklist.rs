//! 7.0's quicklist: a list kept as a sequence of packed nodes (listpacks)
//! of up to 8 KiB each (`list-max-listpack-size -2`), instead of one
//! allocation per element. Pushes and pops touch one end node; indexing
//! skips whole nodes by their counts.

use super::listpack::{self, Listpack};
use bytes::Bytes;

/// The byte size a node may grow to (list-max-listpack-size -2).
const NODE_BYTES: usize = 8192;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct QuickList {
    /// Exactly sized (no spare capacity to pay for): nodes come and go
    /// once per 8 KiB of elements, and every list value is 8 bytes
    /// smaller than with a `Vec` (a `Value` is one word smaller).
    nodes: Box<[Listpack]>,
    len: usize,
}

impl std::fmt::Debug for QuickList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|e| String::from_utf8_lossy(e).into_owned()))
            .finish()
    }
}

/// The entries a node may hold, whatever their size. Our packed entries
/// have no back-length (7.0's listpack has one), so reaching a node's last
/// entry (RPOP) walks the node from its start: a cap keeps that walk, and
/// the move of a head insertion, short for lists of tiny elements, for
/// about a third of a byte per element in node headers.
const NODE_ENTRIES: usize = 128;

/// Whether `node` can take one more element of `len` bytes.
fn room(node: &Listpack, len: usize) -> bool {
    node.len() < NODE_ENTRIES && node.bytes() + listpack::entry_size(len) <= NODE_BYTES
}

impl QuickList {
    pub fn new() -> QuickList {
        QuickList::default()
    }

    /// Change the node sequence (adding or removing nodes).
    fn edit_nodes<R>(&mut self, f: impl FnOnce(&mut Vec<Listpack>) -> R) -> R {
        let mut v = std::mem::take(&mut self.nodes).into_vec();
        let r = f(&mut v);
        self.nodes = v.into_boxed_slice();
        r
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Nodes in the list (OBJECT / DEBUG figures).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The packed bytes of each node, head first.
    pub fn node_bytes(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().map(|n| n.bytes())
    }

    pub fn push_back(&mut self, v: &[u8]) {
        match self.nodes.last_mut() {
            Some(n) if room(n, v.len()) => n.push(&[v]),
            _ => {
                let mut n = Listpack::new();
                n.push(&[v]);
                self.edit_nodes(|nodes| nodes.push(n));
            }
        }
        self.len += 1;
    }

    pub fn push_front(&mut self, v: &[u8]) {
        match self.nodes.first_mut() {
            Some(n) if room(n, v.len()) => n.insert_at(0, &[v]),
            _ => {
                let mut n = Listpack::new();
                n.push(&[v]);
                self.edit_nodes(|nodes| nodes.insert(0, n));
            }
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<Bytes> {
        self.remove(0)
    }

    pub fn pop_back(&mut self) -> Option<Bytes> {
        self.remove(self.len.checked_sub(1)?)
    }

    /// The node holding element `i` and the index within it, counted from
    /// the nearer end (as 7.0's quicklistGetIteratorAtIdx): RPOP and
    /// LINDEX -1 on a long list skip no nodes.
    fn locate(&self, mut i: usize) -> Option<(usize, usize)> {
        if i >= self.len {
            return None;
        }
        if i < self.len / 2 {
            for (n, node) in self.nodes.iter().enumerate() {
                if i < node.len() {
                    return Some((n, i));
                }
                i -= node.len();
            }
            return None;
        }
        // Elements after `i`.
        let mut after = self.len - 1 - i;
        for (n, node) in self.nodes.iter().enumerate().rev() {
            if after < node.len() {
                return Some((n, node.len() - 1 - after));
            }
            after -= node.len();
        }
        None
    }

    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let (n, j) = self.locate(i)?;
        self.nodes[n].nth_span(j).map(|(_, v)| v)
    }

    /// Replace element `i`; false if out of range.
    pub fn set(&mut self, i: usize, v: &[u8]) -> bool {
        let Some((n, j)) = self.locate(i) else {
            return false;
        };
        let Some((span, _)) = self.nodes[n].nth_span(j) else {
            return false;
        };
        self.nodes[n].replace(span, v);
        self.split_if_big(n);
        true
    }

    /// Insert `v` so that it becomes element `i` (`i == len` appends).
    pub fn insert(&mut self, i: usize, v: &[u8]) {
        if i == 0 {
            return self.push_front(v);
        }
        if i >= self.len {
            return self.push_back(v);
        }
        let Some((n, j)) = self.locate(i) else {
            return self.push_back(v);
        };
        let at = self.nodes[n]
            .nth_span(j)
            .map_or(self.nodes[n].bytes(), |(s, _)| s.start);
        self.nodes[n].insert_at(at, &[v]);
        self.len += 1;
        self.split_if_big(n);
    }

    /// A node grown past the limits by an insert in its middle is cut in two.
    fn split_if_big(&mut self, n: usize) {
        let node = &self.nodes[n];
        if (node.bytes() <= NODE_BYTES && node.len() <= NODE_ENTRIES) || node.len() < 2 {
            return;
        }
        let half = node.len() / 2;
        let (mut a, mut b) = (Listpack::new(), Listpack::new());
        let items: Vec<&[u8]> = node.iter().collect();
        a.push(&items[..half]);
        b.push(&items[half..]);
        self.nodes[n] = a;
        self.edit_nodes(|nodes| nodes.insert(n + 1, b));
    }

    /// Remove element `i`.
    pub fn remove(&mut self, i: usize) -> Option<Bytes> {
        self.remove_with(i, Bytes::copy_from_slice)
    }

    /// Remove the head (`back` false) or tail element, shown to `f` before
    /// it goes: a pop that only replies with it copies nothing.
    pub fn pop_with<R>(&mut self, back: bool, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let i = if back { self.len.checked_sub(1)? } else { 0 };
        self.remove_with(i, f)
    }

    /// Remove element `i`, shown to `f` before it goes.
    fn remove_with<R>(&mut self, i: usize, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let (n, j) = self.locate(i)?;
        let (span, v) = self.nodes[n].nth_span(j)?;
        let v = f(v);
        self.nodes[n].remove_span(span, 1);
        if self.nodes[n].is_empty() {
            self.edit_nodes(|nodes| nodes.remove(n));
        }
        self.len -= 1;
        Some(v)
    }

    /// The elements, head to tail.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.nodes.iter().flat_map(|n| n.iter())
    }

    /// The elements from index `start` on (whole nodes skipped).
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (first, skip) = self.locate(start).unwrap_or((self.nodes.len(), 0));
        self.nodes[first..].iter().flat_map(|n| n.iter()).skip(skip)
    }

    /// The elements, tail to head.
    pub fn iter_rev(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.nodes.iter().rev().flat_map(|n| {
            let mut v: Vec<&[u8]> = n.iter().collect();
            v.reverse();
            v
        })
    }

    /// Keep only elements `start..=end` (LTRIM); how many were removed.
    pub fn keep_range(&mut self, start: usize, end: usize) -> usize {
        let before = self.len;
        let kept: Vec<Bytes> = self
            .iter_from(start)
            .take((end + 1).saturating_sub(start))
            .map(Bytes::copy_from_slice)
            .collect();
        *self = kept.iter().map(|b| &b[..]).collect();
        before - self.len
    }

    /// Remove every element for which `f` says so, at most `limit` of them,
    /// from the head (or from the tail with `rev`); how many were removed.
    pub fn remove_matching(&mut self, limit: usize, rev: bool, f: impl Fn(&[u8]) -> bool) -> usize {
        let mut all: Vec<&[u8]> = self.iter().collect();
        let mut removed = 0;
        let mut keep = vec![true; all.len()];
        let idx: Box<dyn Iterator<Item = usize>> = if rev {
            Box::new((0..all.len()).rev())
        } else {
            Box::new(0..all.len())
        };
        for i in idx {
            if removed >= limit {
                break;
            }
            if f(all[i]) {
                keep[i] = false;
                removed += 1;
            }
        }
        if removed == 0 {
            return 0;
        }
        let mut k = keep.iter();
        all.retain(|_| *k.next().unwrap_or(&true));
        let rebuilt: QuickList = all.into_iter().collect();
        *self = rebuilt;
        removed
    }

    pub fn clear(&mut self) {
        *self = QuickList::new();
    }
}

impl<'a> FromIterator<&'a [u8]> for QuickList {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(it: I) -> Self {
        let mut q = QuickList::new();
        for v in it {
            q.push_back(v);
        }
        q
    }
}

impl FromIterator<Bytes> for QuickList {
    fn from_iter<I: IntoIterator<Item = Bytes>>(it: I) -> Self {
        let mut q = QuickList::new();
        q.extend(it);
        q
    }
}

impl Extend<Bytes> for QuickList {
    fn extend<I: IntoIterator<Item = Bytes>>(&mut self, it: I) {
        for v in it {
            self.push_back(&v);
        }
    }
}

impl From<Vec<Bytes>> for QuickList {
    fn from(v: Vec<Bytes>) -> Self {
        v.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_deque_across_nodes() {
        let mut q = QuickList::new();
        let mut model = std::collections::VecDeque::new();
        for i in 0..3000u32 {
            let v = format!("element-{i}");
            if i % 3 == 0 {
                q.push_front(v.as_bytes());
                model.push_front(v.into_bytes());
            } else {
                q.push_back(v.as_bytes());
                model.push_back(v.into_bytes());
            }
        }
        assert!(q.node_count() > 1);
        q.insert(1500, b"mid");
        model.insert(1500, b"mid".to_vec());
        assert!(q.set(10, &[b'x'; 300]));
        model[10] = vec![b'x'; 300];
        assert_eq!(q.remove(2000).map(|b| b.to_vec()), model.remove(2000));
        assert_eq!(q.pop_back().map(|b| b.to_vec()), model.pop_back());
        assert_eq!(q.pop_front().map(|b| b.to_vec()), model.pop_front());
        assert_eq!(q.len(), model.len());
        assert!(q.iter().eq(model.iter().map(|v| &v[..])));
        assert!(q.iter_rev().eq(model.iter().rev().map(|v| &v[..])));
        assert!(q.iter_from(777).eq(model.iter().skip(777).map(|v| &v[..])));
        assert_eq!(q.get(1234), Some(&model[1234][..]));
        // Located from either end.
        assert!((0..model.len()).all(|i| q.get(i) == Some(&model[i][..])));
        assert!(q.get(model.len()).is_none());
        let n = q.remove_matching(2, true, |e| e.starts_with(b"element-1"));
        assert_eq!(n, 2);
        assert_eq!(q.keep_range(5, 9), model.len() - 2 - 5);
        assert_eq!(q.len(), 5);
        q.clear();
        assert!(q.is_empty() && q.pop_back().is_none() && q.get(0).is_none());
    }
}
