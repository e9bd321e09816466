//! Sentinel scenarios in the deterministic simulator: the tutorial's failover
//! and its variations, all on the real node state machines.

use sentinel_lab::resp::Frame;
use sentinel_lab::sim::scenario::{tutorial, SentinelSettings, EPOCH};
use sentinel_lab::sim::{Sim, TraceKind};

/// Sentinel log lines (without the level mark) of one host, in order.
fn sentinel_lines(sim: &Sim, host: &str) -> Vec<String> {
    sim.trace
        .entries
        .iter()
        .filter(|e| e.host == host && e.kind == TraceKind::Log)
        .map(|e| e.text.get(2..).unwrap_or("").to_string())
        .collect()
}

fn any_sentinel_logged(sim: &Sim, needle: &str) -> bool {
    (1..=3).any(|i| {
        sentinel_lines(sim, &format!("redis-sentinel{i}"))
            .iter()
            .any(|l| l.starts_with(needle))
    })
}

fn role_of(sim: &mut Sim, host: usize) -> String {
    match sim.command(host, &["ROLE"], 2000) {
        Some(Frame::Array(a)) => a[0].as_str().unwrap_or("").to_string(),
        other => format!("{other:?}"),
    }
}

#[test]
fn tutorial_failover_in_the_tutorials_order() {
    let mut sim = Sim::new(1, EPOCH);
    let t = tutorial(&mut sim, &SentinelSettings::default());
    sim.run_for(20_000);
    assert_eq!(role_of(&mut sim, t.master), "master");
    sim.crash(t.master);
    let done = sim.run_until_pred(120_000, |s| any_sentinel_logged(s, "+switch-master"));
    assert!(done, "no +switch-master:\n{}", sim.trace.render());
    // The leader's log shows every step in the tutorial's order.
    let leader = (1..=3)
        .map(|i| format!("redis-sentinel{i}"))
        .find(|h| {
            sentinel_lines(&sim, h)
                .iter()
                .any(|l| l.starts_with("+elected-leader"))
        })
        .expect("a leader");
    let finished = sim.run_until_pred(60_000, |s| {
        sentinel_lines(s, &leader)
            .iter()
            .any(|l| l.starts_with("+switch-master"))
    });
    assert!(finished, "{}", sentinel_lines(&sim, &leader).join("\n"));
    let lines = sentinel_lines(&sim, &leader);
    let order = [
        "+sdown master mymaster 172.24.0.2 6379",
        "+odown master mymaster 172.24.0.2 6379 #quorum",
        "+new-epoch",
        "+try-failover master mymaster 172.24.0.2 6379",
        "+vote-for-leader",
        "+elected-leader master mymaster 172.24.0.2 6379",
        "+failover-state-select-slave master mymaster 172.24.0.2 6379",
        "+selected-slave slave",
        "+failover-state-send-slaveof-noone slave",
        "+failover-state-wait-promotion slave",
        "+promoted-slave slave",
        "+failover-state-reconf-slaves master mymaster 172.24.0.2 6379",
        "+slave-reconf-sent slave",
        "+slave-reconf-inprog slave",
        "+slave-reconf-done slave",
        "+failover-end master mymaster 172.24.0.2 6379",
        "+switch-master mymaster 172.24.0.2 6379 172.24.0.",
    ];
    let mut at = 0;
    for step in order {
        match lines[at..].iter().position(|l| l.starts_with(step)) {
            Some(p) => at += p + 1,
            None => panic!("missing or out of order: {step}\n{}", lines.join("\n")),
        }
    }
    // One replica is the new master; the other follows it.
    sim.run_for(10_000);
    let roles: Vec<String> = t
        .replicas
        .clone()
        .into_iter()
        .map(|r| role_of(&mut sim, r))
        .collect();
    assert_eq!(
        roles.iter().filter(|r| *r == "master").count(),
        1,
        "{roles:?}"
    );
    // The old master comes back as a replica.
    sim.restart(t.master);
    let converted = sim.run_until_pred(60_000, |s| any_sentinel_logged(s, "+convert-to-slave"));
    assert!(converted, "{}", sim.trace.render());
    sim.run_for(5_000);
    assert_eq!(role_of(&mut sim, t.master), "slave");
}

#[test]
fn no_failover_without_quorum() {
    let mut sim = Sim::new(2, EPOCH);
    let t = tutorial(&mut sim, &SentinelSettings::default());
    sim.run_for(20_000);
    // Two of three sentinels down: the last one sees +sdown but never +odown.
    sim.crash(t.sentinels[1]);
    sim.crash(t.sentinels[2]);
    sim.crash(t.master);
    sim.run_for(60_000);
    let lines = sentinel_lines(&sim, "redis-sentinel1");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("+sdown master mymaster")));
    assert!(
        !lines.iter().any(|l| l.starts_with("+odown")),
        "{}",
        lines.join("\n")
    );
    assert!(!any_sentinel_logged(&sim, "+switch-master"));
}

#[test]
fn failover_with_one_sentinel_down() {
    let mut sim = Sim::new(3, EPOCH);
    let t = tutorial(&mut sim, &SentinelSettings::default());
    sim.run_for(20_000);
    sim.crash(t.sentinels[0]);
    sim.crash(t.master);
    assert!(
        sim.run_until_pred(120_000, |s| any_sentinel_logged(s, "+switch-master")),
        "{}",
        sim.trace.render()
    );
}

#[test]
fn same_seed_same_trace() {
    let run = |seed| {
        let mut sim = Sim::new(seed, EPOCH);
        let t = tutorial(&mut sim, &SentinelSettings::default());
        sim.run_for(15_000);
        sim.crash(t.master);
        sim.run_for(40_000);
        sim.trace.hash
    };
    assert_eq!(run(9), run(9));
}
