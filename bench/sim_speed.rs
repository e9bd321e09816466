//! How fast the simulator runs the tutorial topology (3 servers, 3 sentinels):
//! one hour of virtual time, with a failover in the middle, natively.
//! `cargo bench --bench sim_speed` (the wasm figure: `node bench/sim_speed.mjs`).

use sentinel_lab::sim::scenario::{tutorial, SentinelSettings, EPOCH};
use sentinel_lab::sim::Sim;
use std::time::Instant;

fn main() {
    let mut times = Vec::new();
    for seed in 1..=5u64 {
        let mut sim = Sim::new(seed, EPOCH);
        let t = tutorial(&mut sim, &SentinelSettings::default());
        let start = Instant::now();
        sim.run_for(30 * 60 * 1000);
        sim.crash(t.master);
        sim.run_for(30 * 60 * 1000);
        times.push(start.elapsed().as_secs_f64());
        assert!(sim
            .trace
            .entries
            .iter()
            .any(|e| e.text.contains("+switch-master")));
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "simulator, native: 1 hour of virtual time (tutorial topology, one failover): median {:.3} s wall (min {:.3}, max {:.3}), {} runs",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        times.len()
    );
}
