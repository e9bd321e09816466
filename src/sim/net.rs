//! The simulated network's shape: latency, jitter, and per-direction faults.

use crate::node::Millis;
use crate::rng::Rng;
use std::collections::BTreeMap;

/// What is wrong with the link from one host to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkFault {
    None,
    /// Bytes take this much longer.
    Slow(Millis),
    /// Nothing gets through until healed (held, as TCP would retransmit).
    Cut,
}

#[derive(Clone, Debug)]
pub struct NetConfig {
    pub base_latency: Millis,
    pub jitter: Millis,
    /// How long a connection attempt across a cut link takes to fail.
    pub connect_timeout: Millis,
    faults: BTreeMap<(usize, usize), LinkFault>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            base_latency: 1,
            jitter: 1,
            connect_timeout: 1000,
            faults: BTreeMap::new(),
        }
    }
}

impl NetConfig {
    pub fn latency(&self, rng: &mut Rng) -> Millis {
        self.base_latency
            + if self.jitter > 0 {
                rng.below(self.jitter + 1)
            } else {
                0
            }
    }

    /// The fault on the direction `from` → `to`.
    pub fn fault(&self, from: usize, to: usize) -> LinkFault {
        self.faults
            .get(&(from, to))
            .copied()
            .unwrap_or(LinkFault::None)
    }

    pub fn set_fault(&mut self, from: usize, to: usize, f: LinkFault) {
        if f == LinkFault::None {
            self.faults.remove(&(from, to));
        } else {
            self.faults.insert((from, to), f);
        }
    }

    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }
}
