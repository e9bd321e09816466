//! The simulated network's shape: latency, jitter, and per-direction faults
//! (cut, slow, lossy).
//!
//! Nodes speak TCP, so a lossy link behaves as TCP makes it look: a lost
//! segment is retransmitted after a retransmission timeout (RTO, doubling on
//! every loss of the same segment), which delays it and everything sent after
//! it on the connection (bytes are never reordered or corrupted); a segment
//! lost too many times in a row resets the connection.

use crate::node::Millis;
use crate::rng::Rng;

/// What is wrong with the link from one host to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkFault {
    None,
    /// Bytes take this much longer.
    Slow(Millis),
    /// Nothing gets through until healed (held, as TCP would retransmit).
    Cut,
    /// Each segment is lost with this probability (per mille) and
    /// retransmitted after an RTO, as TCP does.
    Lossy(u32),
}

impl std::fmt::Display for LinkFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkFault::None => write!(f, "ok"),
            LinkFault::Slow(ms) => write!(f, "slow (+{ms} ms)"),
            LinkFault::Cut => write!(f, "cut"),
            LinkFault::Lossy(p) => write!(f, "lossy ({}.{}% loss)", p / 10, p % 10),
        }
    }
}

/// When bytes sent on a lossy link arrive, or that the connection resets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Delivered this long after the first attempt.
    After(Millis),
    /// Lost more than `max_retransmits` times: the connection is reset this long after.
    Reset(Millis),
}

#[derive(Clone, Debug)]
pub struct NetConfig {
    pub base_latency: Millis,
    pub jitter: Millis,
    /// How long a connection attempt across a cut link takes to fail.
    pub connect_timeout: Millis,
    /// First TCP retransmission timeout on a lossy link (doubles on each loss).
    pub rto: Millis,
    /// Cap of the doubling RTO.
    pub max_rto: Millis,
    /// Retransmissions of one segment before the connection is reset.
    pub max_retransmits: u32,
    faults: crate::vecmap::VecMap<(usize, usize), LinkFault>,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            base_latency: 1,
            jitter: 1,
            connect_timeout: 1000,
            rto: 200,
            max_rto: 60_000,
            max_retransmits: 6,
            faults: crate::vecmap::VecMap::new(),
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

    /// The extra delay TCP adds to one send on a link losing `permille` of
    /// its segments: one RTO per loss, doubling, or a reset after too many.
    /// Draws from `rng` only on lossy links, so other runs are unchanged.
    pub fn transmit(&self, permille: u32, rng: &mut Rng) -> Transmit {
        let (mut extra, mut rto) = (0, self.rto);
        for _ in 0..=self.max_retransmits {
            if rng.below(1000) >= permille as u64 {
                return Transmit::After(extra);
            }
            extra += rto;
            rto = (rto * 2).min(self.max_rto);
        }
        Transmit::Reset(extra)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_delays_by_doubling_rtos_then_resets() {
        let net = NetConfig::default();
        let mut rng = Rng::new(1);
        assert_eq!(net.transmit(0, &mut rng), Transmit::After(0));
        assert_eq!(net.transmit(1000, &mut rng), Transmit::Reset(25_400));
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            if let Transmit::After(d) = net.transmit(500, &mut rng) {
                seen.insert(d);
            }
        }
        assert!(seen.contains(&0) && seen.contains(&200) && seen.contains(&600));
        assert!(seen
            .iter()
            .all(|d| [0, 200, 600, 1400, 3000, 6200, 12_600].contains(d)));
    }
}
