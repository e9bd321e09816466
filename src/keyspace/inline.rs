//! Byte strings kept inline when short, the way 7.0 embeds short strings in
//! their object (EMBSTR) instead of pointing at a separate allocation.
//!
//! Keys and string values are mostly short: up to [`INLINE`] bytes they
//! live in the 24 bytes of the value itself (no allocation, nothing shared
//! with the request buffer they came from), longer ones in one exactly
//! sized allocation. `Bytes` costs 32 bytes plus an allocation (or a
//! whole request buffer kept alive by a slice of it), which per key is
//! more than the key and value themselves.

use bytes::Bytes;
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// The longest string stored inline.
pub const INLINE: usize = 22;

#[derive(Clone)]
pub enum InlineBytes {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl InlineBytes {
    pub fn new(b: &[u8]) -> InlineBytes {
        if b.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..b.len()].copy_from_slice(b);
            InlineBytes::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            InlineBytes::Heap(b.into())
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            InlineBytes::Inline { len, buf } => &buf[..*len as usize],
            InlineBytes::Heap(b) => b,
        }
    }

    /// A copy as `Bytes` (for replies, argument vectors, events).
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_slice())
    }

    /// The bytes as a vector to change (no copy when on the heap).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            InlineBytes::Inline { len, buf } => buf[..len as usize].to_vec(),
            InlineBytes::Heap(b) => b.into_vec(),
        }
    }

    /// Whether the bytes are in an allocation of their own.
    pub fn is_heap(&self) -> bool {
        matches!(self, InlineBytes::Heap(_))
    }
}

impl Default for InlineBytes {
    fn default() -> Self {
        InlineBytes::new(b"")
    }
}

impl Deref for InlineBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for InlineBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for InlineBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Hash for InlineBytes {
    /// As the slice hashes, so lookups by `&[u8]` find it.
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_slice().hash(h)
    }
}

impl PartialEq for InlineBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for InlineBytes {}

impl PartialEq<[u8]> for InlineBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for InlineBytes {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Bytes> for InlineBytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == &other[..]
    }
}

impl PartialOrd for InlineBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InlineBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&Bytes::copy_from_slice(self.as_slice()), f)
    }
}

impl From<&[u8]> for InlineBytes {
    fn from(b: &[u8]) -> Self {
        InlineBytes::new(b)
    }
}

impl From<&Bytes> for InlineBytes {
    fn from(b: &Bytes) -> Self {
        InlineBytes::new(b)
    }
}

impl From<Bytes> for InlineBytes {
    fn from(b: Bytes) -> Self {
        InlineBytes::new(&b)
    }
}

impl From<Vec<u8>> for InlineBytes {
    /// A long vector becomes the allocation as it is (no copy).
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE {
            InlineBytes::new(&v)
        } else {
            InlineBytes::Heap(v.into_boxed_slice())
        }
    }
}

impl From<&str> for InlineBytes {
    fn from(s: &str) -> Self {
        InlineBytes::new(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_inline_long_on_the_heap() {
        assert_eq!(std::mem::size_of::<InlineBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<InlineBytes>>(), 24);
        let s = InlineBytes::new(b"key:123456");
        assert!(!s.is_heap());
        assert_eq!(&s[..], b"key:123456");
        let l = InlineBytes::new(&[7u8; 23]);
        assert!(l.is_heap());
        assert_eq!(l.len(), 23);
        assert_eq!(InlineBytes::from(vec![1u8; 40]).as_slice(), &[1u8; 40][..]);
        // Hashes as the slice does: found by `&[u8]` lookups.
        let mut d: crate::keyspace::Dict<InlineBytes, u8> = crate::keyspace::Dict::new();
        d.insert(s.clone(), 1);
        d.insert(l.clone(), 2);
        assert_eq!(d.get(&b"key:123456"[..]), Some(&1));
        assert_eq!(d.get(&[7u8; 23][..]), Some(&2));
    }
}
