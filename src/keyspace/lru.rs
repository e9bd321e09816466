//! Per-object access clocks for eviction and OBJECT IDLETIME / FREQ, as
//! Redis 7.0 keeps them in the 24 `lru` bits of every object.
//!
//! Under an LRU (or no LFU) policy the field is the LRU clock at the last
//! access: seconds, modulo 2^24. Under an LFU policy it is split into the
//! last decrement time (16 bits of minutes) and a logarithmic access
//! counter (8 bits). The time is always the node's `now`: no clock is read.

use crate::node::Millis;

/// The LRU clock's range (24 bits) and its resolution in ms.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
pub const LRU_CLOCK_RESOLUTION: u64 = 1000;
/// A new object's LFU counter, so it survives a few samplings before it
/// can be judged (`LFU_INIT_VAL`).
pub const LFU_INIT_VAL: u8 = 5;

/// `now` as the LRU clock (`getLRUClock`).
pub fn lru_clock(now: Millis) -> u32 {
    ((now / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX as u64) as u32
}

/// Milliseconds since an LRU stamp, the clock wrapping once at most
/// (`estimateObjectIdleTime`).
pub fn idle_ms(lru: u32, now: Millis) -> u64 {
    let clock = lru_clock(now) as u64;
    let lru = lru as u64;
    if clock >= lru {
        (clock - lru) * LRU_CLOCK_RESOLUTION
    } else {
        (clock + (LRU_CLOCK_MAX as u64 - lru)) * LRU_CLOCK_RESOLUTION
    }
}

/// 16 bits of `now` in minutes (`LFUGetTimeInMinutes`).
pub fn lfu_minutes(now: Millis) -> u32 {
    ((now / 1000 / 60) & 0xffff) as u32
}

/// Minutes since the decrement time `ldt`, wrapping once at most.
fn lfu_elapsed(ldt: u32, now: Millis) -> u32 {
    let m = lfu_minutes(now);
    if m >= ldt {
        m - ldt
    } else {
        65535 - ldt + m
    }
}

/// The counter increment of one access (`LFULogIncr`): the higher the
/// counter, the less likely; `r` is uniform in [0, 1).
pub fn lfu_log_incr(counter: u8, log_factor: u64, r: f64) -> u8 {
    if counter == 255 {
        return 255;
    }
    let base = (counter as f64 - LFU_INIT_VAL as f64).max(0.0);
    let p = 1.0 / (base * log_factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

/// The counter of an LFU stamp after the decay its age calls for, without
/// storing it (`LFUDecrAndReturn`): one less per `decay_time` minutes.
pub fn lfu_decayed(lru: u32, decay_time: u64, now: Millis) -> u8 {
    let ldt = lru >> 8;
    let counter = (lru & 255) as u64;
    let periods = (lfu_elapsed(ldt, now) as u64)
        .checked_div(decay_time)
        .unwrap_or(0);
    counter.saturating_sub(periods) as u8
}

/// An LRU stamp `idle_secs` before `now` (`objectSetLRUOrLFU`): wrapped
/// once, then cut to the field's 24 bits as Redis's bitfield store does.
pub fn lru_stamp_idle(idle_secs: u64, now: Millis) -> u32 {
    let clock = lru_clock(now) as i64;
    let mut abs = clock.wrapping_sub(idle_secs.min(i64::MAX as u64) as i64);
    if abs < 0 {
        abs = abs.wrapping_add(LRU_CLOCK_MAX as i64);
    }
    (abs & 0xff_ffff) as u32
}

/// An LFU stamp of counter `freq` as of `now`.
pub fn lfu_stamp(freq: u8, now: Millis) -> u32 {
    (lfu_minutes(now) << 8) | freq as u32
}

/// How accesses are stamped: the policy's family and the LFU settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessPolicy {
    pub lfu: bool,
    pub log_factor: u64,
    pub decay_time: u64,
}

impl Default for AccessPolicy {
    /// 7.0's defaults: LRU stamps, `lfu-log-factor 10`, `lfu-decay-time 1`.
    fn default() -> Self {
        AccessPolicy {
            lfu: false,
            log_factor: 10,
            decay_time: 1,
        }
    }
}

impl AccessPolicy {
    /// A new object's stamp (`createObject`).
    pub fn initial(&self, now: Millis) -> u32 {
        if self.lfu {
            (lfu_minutes(now) << 8) | LFU_INIT_VAL as u32
        } else {
            lru_clock(now)
        }
    }

    /// The stamp after one access (`updateLFU`, or the LRU clock); `r` is
    /// uniform in [0, 1), drawn by the caller from its seeded generator.
    pub fn accessed(&self, lru: u32, now: Millis, r: f64) -> u32 {
        if self.lfu {
            let counter = lfu_decayed(lru, self.decay_time, now);
            let counter = lfu_log_incr(counter, self.log_factor, r);
            (lfu_minutes(now) << 8) | counter as u32
        } else {
            lru_clock(now)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_idle_time_wraps_once() {
        let now = 5_000_000;
        assert_eq!(idle_ms(lru_clock(now), now), 0);
        assert_eq!(idle_ms(lru_clock(now - 12_000), now), 12_000);
        // A stamp from before the clock wrapped.
        let wrapped = (LRU_CLOCK_MAX as u64 + 10) * 1000;
        assert_eq!(idle_ms(LRU_CLOCK_MAX - 5, wrapped), 14_000);
    }

    #[test]
    fn restore_idletime_stamps_as_redis_stores_them() {
        let now = 1_796_600_000_000;
        assert_eq!(idle_ms(lru_stamp_idle(5, now), now), 5000);
        assert_eq!(idle_ms(lru_stamp_idle(0, now), now), 0);
        // Beyond the clock's range: wrapped once, then cut to 24 bits
        // (what real Redis 7.0.15 answers, whatever the clock).
        assert_eq!(
            idle_ms(lru_stamp_idle(1_000_000_000_000, now), now) / 1000,
            10_817_536
        );
        assert_eq!(lfu_decayed(lfu_stamp(100, now), 1, now), 100);
    }

    #[test]
    fn lfu_counter_grows_logarithmically() {
        // At or below the initial value an access always counts.
        assert_eq!(lfu_log_incr(0, 10, 0.99), 1);
        assert_eq!(lfu_log_incr(LFU_INIT_VAL, 10, 0.99), LFU_INIT_VAL + 1);
        // Above it, with probability 1 / ((c - 5) * factor + 1).
        assert_eq!(lfu_log_incr(15, 10, 1.0 / 101.0 - 1e-9), 16);
        assert_eq!(lfu_log_incr(15, 10, 1.0 / 101.0 + 1e-9), 15);
        assert_eq!(lfu_log_incr(255, 0, 0.0), 255);
        // A million accesses with factor 10 reach about 255 but never pass it.
        let p = AccessPolicy {
            lfu: true,
            ..AccessPolicy::default()
        };
        let mut rng = crate::rng::Rng::new(1);
        let mut lru = p.initial(0);
        for _ in 0..100_000 {
            let r = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            lru = p.accessed(lru, 0, r);
        }
        let c = lfu_decayed(lru, 1, 0);
        assert!((100..=255).contains(&c), "counter {c}");
    }

    #[test]
    fn lfu_counter_decays_per_period() {
        let p = AccessPolicy {
            lfu: true,
            log_factor: 10,
            decay_time: 2,
        };
        let lru = (lfu_minutes(0) << 8) | 20;
        assert_eq!(lfu_decayed(lru, 2, 60_000), 20);
        assert_eq!(lfu_decayed(lru, 2, 5 * 60_000), 18);
        assert_eq!(lfu_decayed(lru, 0, 500 * 60_000), 20);
        assert_eq!(lfu_decayed(lru, 1, 500 * 60_000), 0);
        // An access stores the decayed counter with the new time.
        let after = p.accessed(lru, 10 * 60_000, 0.99);
        assert_eq!(after >> 8, 10);
        assert_eq!(after & 255, 15);
    }
}
