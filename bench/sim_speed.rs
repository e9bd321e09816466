//! How fast the simulator runs the tutorial topology (3 servers, 3 sentinels):
//! one hour of virtual time, with a failover in the middle, natively.
//! `cargo bench --bench sim_speed` (the wasm figure: `node bench/sim_speed.mjs`).

use sentinel_lab::sim::scenario::{tutorial, SentinelSettings, EPOCH};
use sentinel_lab::sim::Sim;
use std::time::Instant;

/// This thread's CPU time in seconds: steadier than wall time on a busy machine.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we pass and nothing else.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn main() {
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    for seed in 1..=5u64 {
        let mut sim = Sim::new(seed, EPOCH);
        let t = tutorial(&mut sim, &SentinelSettings::default());
        let start = Instant::now();
        let cpu_start = cpu_seconds();
        sim.run_for(30 * 60 * 1000);
        sim.crash(t.master);
        sim.run_for(30 * 60 * 1000);
        times.push(start.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - cpu_start);
        assert!(sim
            .trace
            .entries
            .iter()
            .any(|e| e.text.contains("+switch-master")));
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    cpu.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "simulator, native: 1 hour of virtual time (tutorial topology, one failover): median {:.3} s wall (min {:.3}, max {:.3}), {:.3} s CPU (min {:.3}, max {:.3}), {} runs",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
        cpu[cpu.len() / 2],
        cpu[0],
        cpu[cpu.len() - 1],
        times.len()
    );
}
