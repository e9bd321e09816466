//! What a short sleep really costs here. A Redis child that sleeps
//! `rdb-key-save-delay` µs after each key (usleep) is slower than the sum of
//! the delays: the kernel's timer slack and the wake-up add tens of µs each
//! time. Our background jobs run in the node, paced by the clock rather
//! than by sleeping, so they take that cost from a measurement: a few real
//! sleeps of the same length, the median kept for the process's life.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sleeps longer than this are taken as they are: their overshoot (tens of
/// µs) is noise there, and measuring them would stall the node.
const MEASURED_UP_TO_US: u64 = 2_000;
const SAMPLES: usize = 5;

static MEASURED: Mutex<Option<HashMap<u64, u64>>> = Mutex::new(None);

/// The median time `std::thread::sleep` of `us` µs takes, in µs (at least `us`).
pub fn measured(us: u64) -> u64 {
    if us == 0 || us > MEASURED_UP_TO_US {
        return us;
    }
    let mut cache = MEASURED.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    *cache.entry(us).or_insert_with(|| {
        let mut took: Vec<u64> = (0..SAMPLES)
            .map(|_| {
                let t = Instant::now();
                std::thread::sleep(Duration::from_micros(us));
                t.elapsed().as_micros() as u64
            })
            .collect();
        took.sort_unstable();
        took[SAMPLES / 2].max(us)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sleep_costs_at_least_what_was_asked() {
        assert!(super::measured(200) >= 200);
        assert_eq!(super::measured(200), super::measured(200));
        assert_eq!(super::measured(0), 0);
        assert_eq!(super::measured(100_000), 100_000);
    }
}
