//! SipHash-1-3 with keys (0, 0): exactly the values of std's
//! `DefaultHasher::new()`, which the tables' iteration order (SCAN, the
//! simulator's traces) depends on, written out here so that it inlines
//! into each lookup. std's is an out-of-line call per `write`, and a key
//! is two writes (its length, then its bytes): most of a lookup's cost.

use std::hash::Hasher;

#[derive(Clone, Copy)]
pub struct Sip13 {
    v0: u64,
    v1: u64,
    v2: u64,
    v3: u64,
    /// Bytes not yet in a whole 8-byte block, little-endian.
    tail: u64,
    ntail: usize,
    length: usize,
}

impl Default for Sip13 {
    fn default() -> Self {
        Sip13::new()
    }
}

/// Up to 7 bytes of `b` from `at` as a little-endian integer, read four,
/// two and one at a time (std's `u8to64_le`), not byte by byte.
#[inline(always)]
fn partial(b: &[u8], at: usize, len: usize) -> u64 {
    let b = &b[at..at + len];
    let (mut out, mut i) = (0u64, 0);
    if len >= 4 {
        out = u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        i = 4;
    }
    if len - i >= 2 {
        out |= u64::from(u16::from_le_bytes([b[i], b[i + 1]])) << (8 * i);
        i += 2;
    }
    if i < len {
        out |= u64::from(b[i]) << (8 * i);
    }
    out
}

impl Sip13 {
    #[inline]
    pub fn new() -> Sip13 {
        Sip13 {
            v0: 0x736f_6d65_7073_6575,
            v1: 0x646f_7261_6e64_6f6d,
            v2: 0x6c79_6765_6e65_7261,
            v3: 0x7465_6462_7974_6573,
            tail: 0,
            ntail: 0,
            length: 0,
        }
    }

    #[inline(always)]
    fn round(&mut self) {
        self.v0 = self.v0.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(13) ^ self.v0;
        self.v0 = self.v0.rotate_left(32);
        self.v2 = self.v2.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(16) ^ self.v2;
        self.v0 = self.v0.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(21) ^ self.v0;
        self.v2 = self.v2.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(17) ^ self.v2;
        self.v2 = self.v2.rotate_left(32);
    }

    #[inline(always)]
    fn block(&mut self, m: u64) {
        self.v3 ^= m;
        self.round();
        self.v0 ^= m;
    }
}

impl Hasher for Sip13 {
    #[inline(always)]
    fn write(&mut self, msg: &[u8]) {
        let len = msg.len();
        self.length += len;
        let mut at = 0;
        if self.ntail != 0 {
            let needed = 8 - self.ntail;
            let take = needed.min(len);
            self.tail |= partial(msg, 0, take) << (8 * self.ntail);
            if len < needed {
                self.ntail += len;
                return;
            }
            let m = self.tail;
            self.block(m);
            self.ntail = 0;
            at = needed;
        }
        let rest = len - at;
        let end = at + (rest & !7);
        while at < end {
            let m = u64::from_le_bytes(msg[at..at + 8].try_into().expect("8 bytes"));
            self.block(m);
            at += 8;
        }
        self.tail = partial(msg, at, rest & 7);
        self.ntail = rest & 7;
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        let mut s = *self;
        let b = ((s.length as u64 & 0xff) << 56) | s.tail;
        s.block(b);
        s.v2 ^= 0xff;
        s.round();
        s.round();
        s.round();
        s.v0 ^ s.v1 ^ s.v2 ^ s.v3
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{DefaultHasher, Hash};

    fn both<T: Hash + ?Sized>(v: &T) -> (u64, u64) {
        let mut a = DefaultHasher::new();
        v.hash(&mut a);
        let mut b = Sip13::new();
        v.hash(&mut b);
        (a.finish(), b.finish())
    }

    #[test]
    fn equals_std_default_hasher() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            let (a, b) = both(&data[..len]);
            assert_eq!(a, b, "length {len}");
        }
        for s in ["", "k", "myset", "element:000000012345", "key:__rand_int__"] {
            assert_eq!(both(s).0, both(s).1);
            assert_eq!(both(s.as_bytes()).0, both(s.as_bytes()).1);
        }
        let (a, b) = both(&(3usize, &b"key"[..], 7u8, 0xdead_beef_u32, u64::MAX));
        assert_eq!(a, b);
    }
}
