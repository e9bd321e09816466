//! The bytes read from our master and not applied yet.
//!
//! Each command applied passes on its exact bytes (to our own replicas and
//! backlog) and leaves the buffer. Taking them off the front one command
//! at a time moved everything behind them each time: a read holding
//! thousands of pipelined commands cost time quadratic in its size. The
//! applied bytes are skipped over instead and dropped once the buffer is
//! all applied, or once they are most of it.

/// Applied bytes worth moving the rest down for.
const COMPACT_AT: usize = 64 * 1024;

#[derive(Debug, Default)]
pub struct Unapplied {
    buf: Vec<u8>,
    /// `buf[..applied]` is applied, the rest waits.
    applied: usize,
}

impl Unapplied {
    /// Bytes just read from the master link.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Read and not applied (INFO's `slave_read_repl_offset` counts them).
    pub fn len(&self) -> usize {
        self.buf.len() - self.applied
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everything but the last `left` bytes (a partial command still in
    /// the query buffer) is applied now: those bytes, if any, for `pass_on`.
    pub fn apply_all_but(&mut self, left: usize, pass_on: impl FnOnce(&[u8])) {
        let n = self.len().saturating_sub(left);
        if n == 0 {
            return;
        }
        let from = self.applied;
        self.applied += n;
        pass_on(&self.buf[from..self.applied]);
        if self.applied == self.buf.len() {
            self.clear();
        } else if self.applied >= COMPACT_AT && self.applied * 2 >= self.buf.len() {
            self.buf.drain(..self.applied);
            self.applied = 0;
        }
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.applied = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_pass_on_in_order_and_leave_the_rest() {
        let mut u = Unapplied::default();
        u.extend(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r");
        let mut out = Vec::new();
        // The second command is incomplete: its 7 bytes stay.
        u.apply_all_but(7, |b| out.extend_from_slice(b));
        assert_eq!(out, b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(u.len(), 7);
        u.apply_all_but(7, |_| panic!("nothing new is applied"));
        u.extend(b"\nPING\r\n");
        u.apply_all_but(0, |b| out.extend_from_slice(b));
        assert_eq!(out, b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
        assert!(u.is_empty());
    }

    #[test]
    fn a_long_applied_prefix_is_dropped() {
        let mut u = Unapplied::default();
        u.extend(&vec![b'x'; COMPACT_AT + 10]);
        let mut seen = 0;
        u.apply_all_but(10, |b| seen += b.len());
        assert_eq!((seen, u.len()), (COMPACT_AT, 10));
        assert_eq!(u.buf.len(), 10);
    }
}
