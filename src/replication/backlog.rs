//! The replication backlog: the last `repl-backlog-size` bytes of the stream,
//! so a replica that reconnects can continue with a partial resync.

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

    pub fn resize(&mut self, size: usize) {
        self.size = size.max(16 * 1024);
        self.trim();
    }

    pub fn append(&mut self, bytes: &[u8]) {
        self.buf.extend(bytes);
        self.trim();
    }

    fn trim(&mut self) {
        if self.buf.len() > self.size {
            let drop = self.buf.len() - self.size;
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
        b.append(&vec![1u8; 20 * 1024]);
        assert_eq!(b.histlen(), 16 * 1024);
        assert_eq!(b.first_offset, 1 + 4 * 1024);
        assert!(b.since(1).is_none());
        assert_eq!(b.since(1 + 20 * 1024).unwrap().len(), 0);
        assert_eq!(b.since(20 * 1024).unwrap().len(), 1);
    }
}
