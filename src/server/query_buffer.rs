//! The size 7.0 gives a client's query buffer, so CLIENT LIST's `qbuf-free`
//! and its shrinking in the clients cron are what 7.0 reports.
//!
//! Our buffer's real capacity depends on the host's allocator and read sizes;
//! 7.0's follows fixed rules (16 KiB reads, sds growth, jemalloc size
//! classes, the resize in clientsCronResizeQueryBuffer), followed here.

/// PROTO_IOBUF_LEN: what 7.0 reads at a time.
pub const IOBUF_LEN: usize = 16 * 1024;
/// PROTO_RESIZE_THRESHOLD.
const RESIZE_THRESHOLD: usize = 32 * 1024;
/// SDS_MAX_PREALLOC: greedy growth doubles below this, adds it above.
const MAX_PREALLOC: usize = 1024 * 1024;

/// jemalloc's size class for a request of `n` bytes.
pub(crate) fn size_class(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let k = usize::BITS - 1 - (n - 1).leading_zeros();
    let step = 1usize << (k - 2);
    n.div_ceil(step) * step
}

/// (header size, largest length) of the sds type for a string of `len`
/// (type 5 is never used for a buffer that grows).
fn sds_type(len: usize) -> (usize, usize) {
    if len < 1 << 8 {
        (3, (1 << 8) - 1)
    } else if len < 1 << 16 {
        (5, (1 << 16) - 1)
    } else if (len as u64) < 1 << 32 {
        (9, u32::MAX as usize)
    } else {
        (17, usize::MAX)
    }
}

/// The usable size sds records when it allocates room for `len` bytes.
fn sds_usable(len: usize) -> usize {
    let (hdr, max) = sds_type(len);
    (size_class(hdr + len + 1) - hdr - 1).min(max)
}

/// A client's query buffer as 7.0 would have allocated it.
#[derive(Debug, Clone, Default)]
pub struct QueryBufSize {
    /// sdsalloc of the buffer.
    alloc: usize,
    /// querybuf_peak: the most it held since the last cron visit.
    peak: usize,
    /// The room a big argument on its way was given (0: none): reads
    /// fill it without growing the buffer, as 7.0 reads just the rest.
    big: usize,
}

impl QueryBufSize {
    /// Bytes 7.0 would have read into a buffer holding `len` bytes, `n` at
    /// most [`IOBUF_LEN`] at a time. `master`: our master's buffer grows greedily.
    pub fn read(&mut self, mut len: usize, n: usize, master: bool) {
        if self.big != 0 && len + n <= self.big {
            self.peak = self.peak.max(len + n);
            return;
        }
        let mut left = n;
        while left > 0 {
            let greedy = master || self.alloc >= IOBUF_LEN;
            self.make_room(len, IOBUF_LEN, greedy);
            let read = left.min(self.alloc - len);
            len += read;
            left -= read;
        }
        self.peak = self.peak.max(len);
    }

    /// sdsMakeRoomFor / sdsMakeRoomForNonGreedy.
    fn make_room(&mut self, len: usize, add: usize, greedy: bool) {
        if self.alloc.saturating_sub(len) >= add {
            return;
        }
        let mut want = len + add;
        if greedy {
            want = if want < MAX_PREALLOC {
                want * 2
            } else {
                want + MAX_PREALLOC
            };
        }
        self.alloc = sds_usable(want);
    }

    /// A big argument's header was read (PROTO_MBULK_BIG_ARG): 7.0 makes
    /// room for the whole of it at once, `need` bytes, not greedily.
    /// `None`: no big argument is on its way.
    pub fn big_arg(&mut self, need: Option<usize>) {
        self.big = need.unwrap_or(0);
        if let Some(need) = need {
            if self.alloc < need {
                self.alloc = sds_usable(need);
            }
        }
    }

    /// sdsZmallocSize: the allocation of a buffer holding `len` bytes.
    pub fn zmalloc_size(&self, len: usize) -> usize {
        let a = self.alloc.max(len);
        if a == 0 {
            return 0;
        }
        size_class(sds_type(a).0 + a + 1)
    }

    /// clientsCronResizeQueryBuffer, for a buffer holding `len` bytes whose
    /// client has been idle `idle_secs` seconds.
    pub fn cron(&mut self, len: usize, idle_secs: u64) {
        // c->bulklen of a big argument on its way: its room is kept.
        let bulk = self.big.saturating_sub(2);
        if self.alloc.saturating_sub(len) > 4 * 1024 {
            if idle_secs > 2 {
                self.alloc = len;
            } else if self.alloc > RESIZE_THRESHOLD && self.alloc / 2 > self.peak {
                self.alloc = len.max(self.peak).max(bulk);
            }
        }
        self.peak = len.max(bulk);
    }

    /// CLIENT LIST's `qbuf-free` for a buffer holding `len` bytes.
    pub fn free(&self, len: usize) -> usize {
        self.alloc.saturating_sub(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_read_is_one_non_greedy_io_buffer() {
        let mut q = QueryBufSize::default();
        q.read(0, 30, false);
        // 16384 + 5 + 1 bytes fall in jemalloc's 20480 class.
        assert_eq!(q.free(0), 20474);
    }

    #[test]
    fn idle_buffer_is_freed_and_big_one_shrinks_to_its_peak() {
        let mut q = QueryBufSize::default();
        q.read(0, 30, false);
        q.cron(0, 1);
        assert_eq!(q.free(0), 20474);
        q.cron(0, 3);
        assert_eq!(q.free(0), 0);
        let mut q = QueryBufSize::default();
        q.read(0, 400_000, false);
        assert!(q.free(0) > 400_000);
        q.cron(0, 0);
        q.read(0, 130, false);
        q.cron(0, 0);
        assert_eq!(q.free(0), 130);
    }
}
