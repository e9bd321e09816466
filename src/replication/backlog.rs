//! The replication backlog: the last `repl-backlog-size` bytes of the stream,
//! so a replica that reconnects can continue with a partial resync.
//!
//! It is also 7.0's shared replication buffer: while replicas wait for a
//! full sync's snapshot, the stream they will get after it stays here (one
//! copy for all of them) and the backlog grows past its size; a replica can
//! then resync partially from further back, as with 7.0. Once they no
//! longer need it, the backlog is trimmed back to its size.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct Backlog {
    buf: VecDeque<u8>,
    size: usize,
    /// Replication offset of the first byte held (Redis's `repl_backlog->offset`).
    pub first_offset: u64,
}

impl Backlog {
    /// A backlog whose next byte will have offset `next_offset`.
    pub fn new(size: usize, next_offset: u64) -> Backlog {
        Backlog {
            buf: VecDeque::new(),
            size: size.max(16 * 1024),
            first_offset: next_offset,
        }
    }

    pub fn histlen(&self) -> usize {
        self.buf.len()
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn resize(&mut self, size: usize, keep_from: Option<u64>) {
        self.size = size.max(16 * 1024);
        self.trim(keep_from);
    }

    /// Add stream bytes; the bytes from offset `keep_from` on stay even
    /// past the backlog's size (replicas still need them).
    pub fn append(&mut self, bytes: &[u8], keep_from: Option<u64>) {
        self.buf.extend(bytes);
        self.trim(keep_from);
    }

    /// Drop what is over the size and before `keep_from`.
    pub fn trim(&mut self, keep_from: Option<u64>) {
        if self.buf.len() > self.size {
            let mut drop = self.buf.len() - self.size;
            if let Some(keep) = keep_from {
                drop = drop.min(keep.saturating_sub(self.first_offset) as usize);
            }
            self.buf.drain(..drop);
            self.first_offset += drop as u64;
        }
    }

    /// The bytes from `offset` (inclusive) to the end, if the backlog still has them.
    pub fn since(&self, offset: u64) -> Option<Vec<u8>> {
        let end = self.first_offset + self.buf.len() as u64;
        if offset < self.first_offset || offset > end {
            return None;
        }
        let skip = (offset - self.first_offset) as usize;
        Some(self.buf.iter().skip(skip).copied().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_tail() {
        let mut b = Backlog::new(16 * 1024, 1);
        b.append(&vec![1u8; 20 * 1024], None);
        assert_eq!(b.histlen(), 16 * 1024);
        assert_eq!(b.first_offset, 1 + 4 * 1024);
        assert!(b.since(1).is_none());
        assert_eq!(b.since(1 + 20 * 1024).unwrap().len(), 0);
        assert_eq!(b.since(20 * 1024).unwrap().len(), 1);
    }

    #[test]
    fn grows_while_replicas_need_it() {
        let mut b = Backlog::new(16 * 1024, 1);
        b.append(&vec![1u8; 1024], None);
        // A snapshot began at offset 1024: its replicas need byte 1025 on.
        b.append(&vec![2u8; 40 * 1024], Some(1025));
        assert_eq!(b.histlen(), 40 * 1024);
        assert_eq!(b.since(1025).unwrap().len(), 40 * 1024);
        // They are served: back to the size.
        b.trim(None);
        assert_eq!(b.histlen(), 16 * 1024);
    }
}
