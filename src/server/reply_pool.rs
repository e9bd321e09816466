//! Reply buffers the host has written, kept for the next replies.
//!
//! Every flush hands a client's reply buffer to the host and starts the
//! client on a fresh one; with a request per read that was an allocation
//! and a free per request. The host gives written buffers back
//! ([`crate::node::Node::recycle`]) and the next flush starts from one.

/// Buffers kept at most: a round rarely flushes more clients than this.
const KEPT: usize = 64;
/// Larger buffers (a big reply's) go back to the allocator.
const KEPT_CAPACITY: usize = 64 * 1024;

#[derive(Debug, Default)]
pub struct ReplyPool {
    spare: Vec<Vec<u8>>,
}

impl ReplyPool {
    /// An empty buffer with room for `room` bytes.
    pub fn take(&mut self, room: usize) -> Vec<u8> {
        match self.spare.pop() {
            Some(mut v) => {
                v.reserve(room);
                v
            }
            None => Vec::with_capacity(room),
        }
    }

    /// A written buffer, to keep if there is room for it.
    pub fn give(&mut self, mut bytes: Vec<u8>) {
        if self.spare.len() < KEPT && bytes.capacity() <= KEPT_CAPACITY && bytes.capacity() > 0 {
            bytes.clear();
            self.spare.push(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_buffer_comes_back_empty_with_its_room() {
        let mut p = ReplyPool::default();
        let mut v = p.take(10);
        v.extend_from_slice(b"+OK\r\n");
        let ptr = v.as_ptr();
        p.give(v);
        let again = p.take(4);
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), ptr);
        assert!(again.capacity() >= 10);
        // Oversized buffers are not kept.
        p.give(vec![0; KEPT_CAPACITY + 1]);
        assert_eq!(p.take(0).capacity(), 0);
    }
}
