//! INFO's `client_recent_max_input_buffer` / `client_recent_max_output_buffer`
//! (clientsCronTrackExpansiveClients): the biggest query buffer and reply
//! list the cron saw in each of the last seconds of the clock (8 slots, the
//! next one always cleared).

use super::client::Client;
use super::query_buffer::size_class;
use crate::node::Millis;

/// CLIENTS_PEAK_MEM_USAGE_SLOTS: one per second, reused round the clock.
const SLOTS: usize = 8;

#[derive(Debug, Default, Clone)]
pub struct ClientPeaks {
    input: [u64; SLOTS],
    output: [u64; SLOTS],
    slot: usize,
}

impl ClientPeaks {
    /// A cron pass at `now`: samples go to this second's slot, and the
    /// next second's starts afresh.
    pub fn begin(&mut self, now: Millis) {
        self.slot = (now / 1000) as usize % SLOTS;
        let next = (self.slot + 1) % SLOTS;
        self.input[next] = 0;
        self.output[next] = 0;
    }

    /// One client's buffers: its query buffer and the arguments read so
    /// far, and `omem`, its reply list.
    pub fn sample(&mut self, c: &Client, omem: u64) {
        let argc = c.parser.partial_argc();
        let argv = if argc == 0 { 0 } else { size_class(argc * 8) };
        let input = c.query_size.zmalloc_size(c.query.len()) + c.parser.partial_args_bytes() + argv;
        let s = self.slot;
        self.input[s] = self.input[s].max(input as u64);
        self.output[s] = self.output[s].max(omem);
    }

    /// The biggest input and output seen lately (getExpansiveClientsInfo).
    pub fn recent(&self) -> (u64, u64) {
        let max = |v: &[u64; SLOTS]| v.iter().copied().max().unwrap_or(0);
        (max(&self.input), max(&self.output))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Addr, ConnId};

    #[test]
    fn peaks_are_kept_for_seven_seconds() {
        let a = Addr::new("127.0.0.1", 1);
        let c = Client::new(1, ConnId(1), a.clone(), a, 0);
        let mut p = ClientPeaks::default();
        p.begin(1000);
        p.sample(&c, 50_000);
        assert_eq!(p.recent().1, 50_000);
        for s in 2..8 {
            p.begin(s * 1000);
            p.sample(&c, 10);
        }
        assert_eq!(p.recent().1, 50_000);
        // Second 8 takes slot 0 and clears slot 1, the next to be reused.
        p.begin(8000);
        assert_eq!(p.recent().1, 10);
    }
}
