//! The fuzzer: many seeds of the tutorial topology under random faults
//! (server and sentinel crashes and restarts, two-way and one-way partitions,
//! pauses, slow links, lossy links), with the invariants of
//! `sim::invariants::Checker` checked after every step of every run; then the
//! faults heal and the cluster must converge: one master that every sentinel
//! names in one config epoch, every other server replicating it.
//!
//! A client writes all along (to whoever a sentinel names as master).
//! Acknowledged writes lost on failover are counted: Redis's replication is
//! asynchronous, so a plain `SET` acknowledged by a master can be lost when a
//! replica that had not received it yet is promoted, or when an old master
//! partitioned away with its clients is turned back into a replica. That loss
//! is allowed and reported.
//!
//! The `WAIT` mode writes `SET` then `WAIT 2 1000` (2 = every replica of the
//! topology). What Redis guarantees for a write `WAIT` reports as acknowledged
//! by every replica: at that moment all three servers hold it in memory.
//! Data moves between servers only by replication, so the write can vanish
//! only if a server that held it loses its memory (a crash: these servers
//! persist nothing in between, like `save ""`) and that server's older
//! dataset later becomes the source of a sync: an old master restarted
//! empty before the failover (its replicas then resync from it), or a
//! restarted replica promoted. Partitions, pauses, slow and lossy links,
//! failovers and sentinel crashes alone can never lose it, whichever replica
//! the sentinels pick (all have it). `WAIT` is not a consensus protocol:
//! Redis does not promise more (a write `WAIT` saw on fewer replicas may be
//! lost if the promoted replica, the best by priority then by offset among
//! those the sentinels can reach, is not one of them). So the assertion is
//! exact: every fully acknowledged write that is lost was acknowledged
//! before some server crashed; those are counted apart.
//!
//! `SIM_FUZZ_SEEDS=N` runs N seeds per mode (default 150 + 150 WAIT);
//! `SIM_SEED=n` replays one (both modes), and with `SIM_DUMP=1` prints its
//! whole trace.

mod common;

use common::sim::master_addr;
use sentinel_lab::resp::Frame;
use sentinel_lab::sim::invariants::{check_converged, Checker};
use sentinel_lab::sim::net::LinkFault;
use sentinel_lab::sim::scenario::{tutorial, SentinelSettings, Tutorial, EPOCH};
use sentinel_lab::sim::Sim;
use std::time::Instant;

/// Fault steps per seed.
const STEPS: usize = 20;
/// Virtual time the cluster gets to converge once every fault is healed.
const SETTLE_MS: u64 = 60_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Plain SETs, asynchronous replication.
    Async,
    /// SET then WAIT for every replica.
    Wait,
}

#[derive(Default, Debug)]
struct Stats {
    acked: usize,
    lost: usize,
    /// WAIT mode: writes every replica acknowledged, and those lost (each after a crash).
    full: usize,
    full_lost: usize,
    failovers: u64,
    attempts: u64,
    foreign: u64,
    /// The run's trace hash (same seed, same run).
    hash: u64,
}

fn check(sim: &Sim) -> Result<(), String> {
    match &sim.checker {
        Some(c) if !c.violations.is_empty() => Err(c
            .violations
            .iter()
            .map(|v| format!("at {} ms: {}", v.time - EPOCH, v.what))
            .collect::<Vec<_>>()
            .join("\n  ")),
        _ => Ok(()),
    }
}

fn run_seed(seed: u64, mode: Mode) -> Result<Stats, String> {
    let mut sim = Sim::new(seed, EPOCH);
    sim.checker = Some(Checker::new());
    let settings = SentinelSettings {
        down_after_ms: 2000,
        failover_timeout_ms: 6000,
        ..Default::default()
    };
    let t: Tutorial = tutorial(&mut sim, &settings);
    let servers: Vec<usize> = std::iter::once(t.master)
        .chain(t.replicas.iter().copied())
        .collect();
    let all: Vec<usize> = servers.iter().chain(t.sentinels.iter()).copied().collect();
    sim.run_for(15_000);
    // (key, time acknowledged, acknowledged by every replica)
    let mut acked: Vec<(String, u64, bool)> = Vec::new();
    let mut down: Vec<usize> = Vec::new();
    let result = (|| {
        for step in 0..STEPS {
            // A write to whoever is master now, as a client would after asking a sentinel.
            let s = t.sentinels[step % 3];
            if let Some(addr) = master_addr(&mut sim, s) {
                if let Some(h) = servers
                    .iter()
                    .copied()
                    .find(|h| sim.hosts[*h].addr.to_string() == addr)
                {
                    let key = format!("k{step}");
                    let ok = Some(Frame::Simple("OK".into()));
                    match mode {
                        Mode::Async => {
                            if sim.command(h, &["SET", &key, "v"], 500) == ok {
                                acked.push((key, sim.now, false));
                            }
                        }
                        Mode::Wait => {
                            let r = sim.commands(
                                h,
                                &[&["SET", &key, "v"], &["WAIT", "2", "1000"]],
                                2000,
                            );
                            if r[0] == ok {
                                acked.push((key, sim.now, r[1] == Some(Frame::Integer(2))));
                            }
                        }
                    }
                }
            }
            let pick =
                |sim: &mut Sim, from: &[usize]| from[sim.rng.below(from.len() as u64) as usize];
            match sim.rng.below(11) {
                0 => {
                    let h = pick(&mut sim, &servers);
                    sim.crash(h);
                    down.push(h);
                }
                1 => {
                    if let Some(h) = down.pop() {
                        sim.restart(h);
                    }
                }
                2 => {
                    let (a, b) = (pick(&mut sim, &all), pick(&mut sim, &all));
                    if a != b {
                        sim.partition(a, b);
                    }
                }
                3 => sim.heal(),
                4 => {
                    let h = pick(&mut sim, &all);
                    let ms = 500 + sim.rng.below(4000);
                    sim.pause(h, ms);
                }
                5 => {
                    let h = pick(&mut sim, &t.sentinels);
                    sim.crash(h);
                    let ms = 1_000 + sim.rng.below(5_000);
                    sim.run_for(ms);
                    sim.restart(h);
                }
                6 => {
                    // A lossy link, both ways: 5% to 40% of segments lost.
                    let (a, b) = (pick(&mut sim, &all), pick(&mut sim, &all));
                    if a != b {
                        let p = 50 + sim.rng.below(351) as u32;
                        sim.degrade(a, b, LinkFault::Lossy(p));
                    }
                }
                7 => {
                    let (a, b) = (pick(&mut sim, &all), pick(&mut sim, &all));
                    if a != b {
                        let ms = 20 + sim.rng.below(3000);
                        sim.degrade(a, b, LinkFault::Slow(ms));
                    }
                }
                8 => {
                    // A one-way partition.
                    let (a, b) = (pick(&mut sim, &all), pick(&mut sim, &all));
                    if a != b {
                        sim.set_link(a, b, LinkFault::Cut);
                    }
                }
                _ => {}
            }
            let ms = 500 + sim.rng.below(5_000);
            sim.run_for(ms);
            check(&sim)?;
        }
        // Heal everything and let the cluster settle.
        sim.heal();
        for h in down.drain(..) {
            sim.restart(h);
        }
        sim.run_for(SETTLE_MS);
        check(&sim)?;
        check_converged(&mut sim, "mymaster")
    })();
    if std::env::var("SIM_DUMP").is_ok() {
        println!("{}", sim.trace.render());
    }
    let converged = result?;
    let c = sim.checker.as_ref().expect("checker");
    let mut stats = Stats {
        acked: acked.len(),
        failovers: c.failovers,
        attempts: c.attempts,
        foreign: c.foreign_promotions,
        hash: sim.trace.hash,
        ..Default::default()
    };
    let last_crash = c.last_server_crash;
    for (k, at, full) in &acked {
        let lost =
            sim.command(converged.master_host, &["EXISTS", k], 2000) != Some(Frame::Integer(1));
        stats.lost += lost as usize;
        if *full {
            stats.full += 1;
            if lost {
                stats.full_lost += 1;
                if last_crash.is_none_or(|c| c < *at) {
                    return Err(format!(
                        "{k}, acknowledged by every replica (WAIT) at {} ms with no server crash since, is lost",
                        at - EPOCH
                    ));
                }
            }
        }
    }
    check(&sim)?;
    Ok(stats)
}

fn seeds() -> Vec<u64> {
    match std::env::var("SIM_SEED") {
        Ok(s) => vec![s.parse().expect("SIM_SEED is a number")],
        Err(_) => {
            let n = std::env::var("SIM_FUZZ_SEEDS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(150);
            (0..n).collect()
        }
    }
}

fn fuzz(mode: Mode) {
    let started = Instant::now();
    let seeds = seeds();
    let mut total = Stats::default();
    let mut failures = Vec::new();
    let test = match mode {
        Mode::Async => "fuzz_async_writes",
        Mode::Wait => "fuzz_wait_writes",
    };
    for seed in &seeds {
        match run_seed(*seed, mode) {
            Ok(o) => {
                total.acked += o.acked;
                total.lost += o.lost;
                total.full += o.full;
                total.full_lost += o.full_lost;
                total.failovers += o.failovers;
                total.attempts += o.attempts;
                total.foreign += o.foreign;
            }
            Err(e) => failures.push(format!(
                "seed {seed} ({mode:?}): {e}\n  replay: SIM_SEED={seed} cargo test --test sim_fuzz {test} -- --nocapture"
            )),
        }
    }
    let mut line = format!(
        "sim_fuzz {mode:?}: {} seeds in {:.1} s, {} failovers ({} attempts; {} promoted a server that did not follow the failed master), {} acknowledged writes, {} lost on failover",
        seeds.len(),
        started.elapsed().as_secs_f64(),
        total.failovers,
        total.attempts,
        total.foreign,
        total.acked,
        total.lost,
    );
    if mode == Mode::Wait {
        line += &format!(
            "; {} acknowledged by every replica (WAIT 2), {} of them lost, each after a server crash",
            total.full, total.full_lost
        );
    }
    println!("{line}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fuzz_async_writes() {
    fuzz(Mode::Async);
}

#[test]
fn fuzz_wait_writes() {
    fuzz(Mode::Wait);
}

#[test]
fn a_seed_replays_identically() {
    for mode in [Mode::Async, Mode::Wait] {
        let a = run_seed(7, mode).unwrap();
        let b = run_seed(7, mode).unwrap();
        assert_eq!(a.hash, b.hash, "{mode:?}");
        assert_eq!((a.acked, a.lost), (b.acked, b.lost));
    }
}
