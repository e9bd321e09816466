//! The size of a client's reply buffer as 7.0 manages it (c->buf,
//! clientsCronResizeOutputBuffer): it starts at 16 KiB, shrinks towards
//! what the client's replies have needed lately and grows back, doubling,
//! when they fill it. CLIENT LIST's `rbs` / `rbp`, the clients' memory and
//! INFO's `reply_buffer_shrinks` / `reply_buffer_expands` come from it.

use super::query_buffer::size_class;
use crate::node::Millis;

/// PROTO_REPLY_CHUNK_BYTES: the starting size, and the most it grows to.
pub const CHUNK: usize = 16 * 1024;
/// PROTO_REPLY_MIN_BYTES: it never shrinks below this.
const MIN: usize = 1024;
/// REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME, in ms.
pub const DEFAULT_PEAK_RESET_MS: i64 = 5000;

/// One client's buffer: its usable size and the peak of its use.
#[derive(Debug, Clone)]
pub struct ReplyBufSize {
    /// buf_usable_size.
    pub usable: usize,
    /// buf_peak: the most it held since the last reset.
    pub peak: usize,
    /// buf_peak_last_reset_time.
    peak_reset_at: Millis,
}

/// DEBUG REPLYBUFFER's settings, server-wide.
#[derive(Debug, Clone)]
pub struct ReplyBufPolicy {
    /// reply_buffer_peak_reset_time: ms, or negative for never.
    pub peak_reset_ms: i64,
    /// reply_buffer_resizing_enabled.
    pub resizing: bool,
    pub shrinks: u64,
    pub expands: u64,
}

impl Default for ReplyBufPolicy {
    fn default() -> Self {
        ReplyBufPolicy {
            peak_reset_ms: DEFAULT_PEAK_RESET_MS,
            resizing: true,
            shrinks: 0,
            expands: 0,
        }
    }
}

impl ReplyBufSize {
    /// A new client's: 16 KiB, its peak as big (createClient).
    pub fn new(now: Millis) -> ReplyBufSize {
        ReplyBufSize {
            usable: CHUNK,
            peak: CHUNK,
            peak_reset_at: now,
        }
    }

    /// `bytes` of replies waited for one write: the buffer took what fit.
    pub fn filled(&mut self, bytes: usize) {
        self.peak = self.peak.max(bytes.min(self.usable));
    }

    /// clientsCronResizeOutputBuffer. `pending`: what the buffer holds now.
    pub fn cron(&mut self, now: Millis, pending: usize, policy: &mut ReplyBufPolicy) {
        if !policy.resizing {
            return;
        }
        let shrink_to = self.usable / 2;
        let expand_to = self.usable * 2;
        let mut new = None;
        if shrink_to >= MIN && self.peak < shrink_to {
            new = Some(MIN.max(self.peak + 1));
            policy.shrinks += 1;
        } else if expand_to < CHUNK * 2 && self.peak == self.usable {
            new = Some(CHUNK.min(expand_to));
            policy.expands += 1;
        }
        if policy.peak_reset_ms >= 0
            && now.saturating_sub(self.peak_reset_at) >= policy.peak_reset_ms as u64
        {
            self.peak = pending.min(self.usable);
            self.peak_reset_at = now;
        }
        if let Some(n) = new {
            self.usable = size_class(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_shrinks_then_a_full_buffer_doubles_back() {
        let mut p = ReplyBufPolicy::default();
        let mut b = ReplyBufSize::new(0);
        b.cron(100, 0, &mut p);
        assert_eq!((b.usable, b.peak), (CHUNK, CHUNK));
        // The peak is reset after 5 s, then the idle buffer shrinks.
        b.cron(5000, 0, &mut p);
        assert_eq!(b.peak, 0);
        b.cron(5100, 0, &mut p);
        assert_eq!((b.usable, p.shrinks), (1024, 1));
        // A big reply fills it: it doubles each cron up to 16 KiB.
        p.peak_reset_ms = -1;
        for want in [2048, 4096, 8192, 16384, 16384] {
            b.filled(40_000);
            b.cron(6000, 0, &mut p);
            assert_eq!(b.usable, want);
        }
        assert_eq!(p.expands, 4);
    }
}
