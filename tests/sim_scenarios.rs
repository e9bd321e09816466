//! Sentinel scenarios in the deterministic simulator: the tutorial's failover
//! and its variations, all on the real node state machines.

use sentinel_lab::resp::Frame;
use sentinel_lab::sim::scenario::{tutorial, SentinelSettings, EPOCH};
use sentinel_lab::sim::{Sim, TraceKind};

mod common;

use common::sim::{log_lines, logged_since, master_addr, role, settled_tutorial, SENTINELS};
use common::Role;

/// The first signs of a failover, in every sentinel's log.
const DOWN_STEPS: &[&str] = &[
    "+sdown master mymaster 172.24.0.2 6379",
    "+odown master mymaster 172.24.0.2 6379 #quorum",
];

/// The failover steps the leader logs, as in the tutorial.
const LEADER_STEPS: &[&str] = &[
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

/// `steps` appear in `lines` in this order (each a prefix of a line).
fn assert_in_order(lines: &[String], steps: &[&str]) {
    let mut at = 0;
    for step in steps {
        match lines[at..].iter().position(|l| l.starts_with(step)) {
            Some(p) => at += p + 1,
            None => panic!("missing or out of order: {step}\n{}", lines.join("\n")),
        }
    }
}

#[test]
fn tutorial_failover_in_the_tutorials_order() {
    let (mut sim, t) = settled_tutorial(1, &SentinelSettings::default());
    assert_eq!(role(&mut sim, t.master).role, "master");
    sim.crash(t.master);
    let done = sim.run_until_pred(120_000, |s| logged_since(s, "+switch-master", 0));
    assert!(done, "no +switch-master:\n{}", sim.trace.render());
    // The leader's log shows every step in the tutorial's order.
    let leader = SENTINELS
        .into_iter()
        .find(|h| {
            log_lines(&sim, h, 0)
                .iter()
                .any(|l| l.starts_with("+elected-leader"))
        })
        .expect("a leader");
    let finished = sim.run_until_pred(60_000, |s| {
        log_lines(s, leader, 0)
            .iter()
            .any(|l| l.starts_with("+switch-master"))
    });
    assert!(finished, "{}", log_lines(&sim, leader, 0).join("\n"));
    let lines = log_lines(&sim, leader, 0);
    assert_in_order(&lines, &[DOWN_STEPS, LEADER_STEPS].concat());
    // One replica is the new master; the other follows it.
    sim.run_for(10_000);
    let roles: Vec<String> = t
        .replicas
        .clone()
        .into_iter()
        .map(|r| role(&mut sim, r).role)
        .collect();
    assert_eq!(
        roles.iter().filter(|r| *r == "master").count(),
        1,
        "{roles:?}"
    );
    // The old master comes back as a replica.
    sim.restart(t.master);
    let converted = sim.run_until_pred(60_000, |s| logged_since(s, "+convert-to-slave", 0));
    assert!(converted, "{}", sim.trace.render());
    sim.run_for(5_000);
    assert_eq!(role(&mut sim, t.master).role, "slave");
}

#[test]
fn no_failover_without_quorum() {
    let (mut sim, t) = settled_tutorial(2, &SentinelSettings::default());
    // Two of three sentinels down: the last one sees +sdown but never +odown.
    sim.crash(t.sentinels[1]);
    sim.crash(t.sentinels[2]);
    sim.crash(t.master);
    sim.run_for(60_000);
    let lines = log_lines(&sim, "redis-sentinel1", 0);
    assert!(lines
        .iter()
        .any(|l| l.starts_with("+sdown master mymaster")));
    assert!(
        !lines.iter().any(|l| l.starts_with("+odown")),
        "{}",
        lines.join("\n")
    );
    assert!(!logged_since(&sim, "+switch-master", 0));
}

#[test]
fn failover_with_one_sentinel_down() {
    let (mut sim, t) = settled_tutorial(3, &SentinelSettings::default());
    sim.crash(t.sentinels[0]);
    sim.crash(t.master);
    assert!(
        sim.run_until_pred(120_000, |s| logged_since(s, "+switch-master", 0)),
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

// ---------------------------------------------------------------------------
// The UI's lessons (src/sim/lessons.rs), each run to its end on a fresh
// simulation, with the sentinel events and the final topology asserted.

use sentinel_lab::sim::lessons::{self, Lesson, LESSON_IDS, PARTITION_KEY_PREFIX};
use sentinel_lab::sim::scenario::{Outcome, SCENARIO_START};

const OLD_MASTER: &str = "172.24.0.2:6379";

fn run_lesson(id: &str, seed: u64) -> (Sim, Lesson, Vec<Result<Outcome, String>>) {
    let l = lessons::lesson(id, &SentinelSettings::default()).unwrap();
    let mut sim = lessons::start(seed, &l).unwrap();
    let mut next = 0;
    let outs = lessons::advance(&mut sim, &l, &mut next, l.end);
    assert_eq!(next, l.schedule.len());
    (sim, l, outs)
}

/// Sentinel events (`+kind detail`) one sentinel emitted, in order.
fn events_of(sim: &Sim, host: &str) -> Vec<String> {
    sim.trace
        .entries
        .iter()
        .filter(|e| e.host == host && e.kind == TraceKind::Sentinel)
        .map(|e| e.text.clone())
        .collect()
}

fn all_events(sim: &Sim) -> Vec<String> {
    sim.trace
        .entries
        .iter()
        .filter(|e| e.kind == TraceKind::Sentinel)
        .map(|e| format!("{} {}", e.host, e.text))
        .collect()
}

/// The sentinel that was elected leader of a failover (the first one).
fn leader(sim: &Sim) -> String {
    sim.trace
        .entries
        .iter()
        .find(|e| e.kind == TraceKind::Sentinel && e.text.starts_with("+elected-leader"))
        .map(|e| e.host.clone())
        .unwrap_or_else(|| panic!("no leader:\n{}", all_events(sim).join("\n")))
}

/// ROLE of the server `name`.
fn role_of(sim: &mut Sim, name: &str) -> Role {
    let h = sim.host_by_name(name).unwrap();
    role(sim, h)
}

/// The master every live sentinel names (they must agree).
fn sentinels_master(sim: &mut Sim, sentinels: &[&str]) -> String {
    let mut names = Vec::new();
    for s in sentinels {
        let h = sim.host_by_name(s).unwrap();
        let a = master_addr(sim, h).unwrap_or_else(|| format!("no master from {s}"));
        names.push(a);
    }
    assert!(
        names.iter().all(|n| *n == names[0]),
        "sentinels disagree: {names:?}"
    );
    names.remove(0)
}

fn name_of(addr: &str) -> &'static str {
    match addr {
        "172.24.0.2:6379" => "redis_master",
        "172.24.0.3:6379" => "redis_slave1",
        "172.24.0.4:6379" => "redis_slave2",
        other => panic!("not a server: {other}"),
    }
}

/// `name` replicates `master` over a connected link.
fn assert_replicates(sim: &mut Sim, name: &str, master: &str) {
    let r = role_of(sim, name);
    assert_eq!(
        (
            r.role.as_str(),
            r.master_addr().as_deref(),
            r.link.as_deref()
        ),
        ("slave", Some(master), Some("connected")),
        "{name}"
    );
}

/// A failover away from the old master: the leader's steps in order, every
/// listed sentinel names the new master, the other replica follows it.
fn assert_failed_over(sim: &mut Sim, sentinels: &[&str]) -> String {
    let lead = leader(sim);
    assert_in_order(&events_of(sim, &lead), LEADER_STEPS);
    let new = sentinels_master(sim, sentinels);
    assert_ne!(new, OLD_MASTER);
    assert_eq!(role_of(sim, name_of(&new)).role, "master");
    for other in ["redis_slave1", "redis_slave2"] {
        if other != name_of(&new) {
            assert_replicates(sim, other, &new);
        }
    }
    new
}

#[test]
fn every_lesson_has_a_test() {
    // The two named-topology lessons are tested in tests/sim_compose.rs.
    assert_eq!(LESSON_IDS.len(), 9);
}

#[test]
fn lesson_tutorial() {
    let (mut sim, _, outs) = run_lesson("tutorial", 1);
    assert!(outs.iter().all(|o| o.is_ok()));
    // Every sentinel saw the master down before the failover.
    let lead = leader(&sim);
    assert_in_order(&events_of(&sim, &lead), DOWN_STEPS);
    let new = assert_failed_over(&mut sim, &SENTINELS);
    for s in SENTINELS {
        assert_in_order(
            &events_of(&sim, s),
            &[&format!(
                "+switch-master mymaster 172.24.0.2 6379 {}",
                new.replace(':', " ")
            )],
        );
    }
    // The killed master is listed as a replica of the new master, down.
    assert_in_order(
        &events_of(&sim, &lead),
        &[
            "+switch-master",
            "+slave slave 172.24.0.2:6379",
            "+sdown slave 172.24.0.2:6379",
        ],
    );
}

#[test]
fn lesson_sentinel_down() {
    let (mut sim, _, _) = run_lesson("sentinel-down", 2);
    assert!(events_of(&sim, "redis-sentinel1")
        .iter()
        .all(|e| !e.starts_with("+sdown master")));
    assert_ne!(leader(&sim), "redis-sentinel1");
    // The two survivors agree, with quorum 2 of 3.
    let lead = leader(&sim);
    assert_in_order(
        &events_of(&sim, &lead),
        &["+odown master mymaster 172.24.0.2 6379 #quorum 2/2"],
    );
    assert_failed_over(&mut sim, &SENTINELS[1..]);
}

#[test]
fn lesson_no_quorum() {
    let (mut sim, _, _) = run_lesson("no-quorum", 3);
    let ev = events_of(&sim, "redis-sentinel1");
    assert_in_order(&ev, &["+sdown master mymaster 172.24.0.2 6379"]);
    for never in [
        "+odown",
        "+try-failover",
        "+elected-leader",
        "+switch-master",
    ] {
        assert!(
            !all_events(&sim).iter().any(|e| e.contains(never)),
            "{never}:\n{}",
            all_events(&sim).join("\n")
        );
    }
    // Nothing was promoted: the replicas still wait for the dead master.
    assert_eq!(sentinels_master(&mut sim, &SENTINELS[..1]), OLD_MASTER);
    for r in ["redis_slave1", "redis_slave2"] {
        let Role { role, master, link } = role_of(&mut sim, r);
        let master = master.map(|(ip, port)| format!("{ip}:{port}"));
        assert_eq!(
            (role.as_str(), master.as_deref()),
            ("slave", Some(OLD_MASTER))
        );
        assert_ne!(link.as_deref(), Some("connected"));
    }
}

#[test]
fn lesson_partition_loses_the_old_masters_writes() {
    let (mut sim, l, outs) = run_lesson("partition", 4);
    // Every write the cut-off master acknowledged.
    let writes: Vec<String> = l
        .schedule
        .iter()
        .filter_map(|(_, a)| match a {
            sentinel_lab::sim::scenario::Action::Command(_, argv) => Some(argv[1].clone()),
            _ => None,
        })
        .collect();
    let acked: Vec<&String> = writes
        .iter()
        .zip(outs.iter().filter(|o| matches!(o, Ok(Outcome::Reply(_)))))
        .filter(|(_, o)| matches!(o, Ok(Outcome::Reply(Some(Frame::Simple(s)))) if s == "OK"))
        .map(|(k, _)| k)
        .collect();
    assert!(
        acked.len() >= 70,
        "{} of {} acknowledged",
        acked.len(),
        writes.len()
    );
    assert!(acked.iter().all(|k| k.starts_with(PARTITION_KEY_PREFIX)));
    let new = assert_failed_over(&mut sim, &SENTINELS);
    // Healed: the old master was turned into a replica of the new one.
    assert!(all_events(&sim)
        .iter()
        .any(|e| e.contains("+convert-to-slave slave 172.24.0.2:6379")));
    assert_replicates(&mut sim, "redis_master", &new);
    // Its acknowledged writes are gone everywhere.
    let mut lost = 0;
    for k in &acked {
        let m = sim.host_by_name(name_of(&new)).unwrap();
        let o = sim.host_by_name("redis_master").unwrap();
        let on_new = sim.command(m, &["EXISTS", k], 2000);
        let on_old = sim.command(o, &["EXISTS", k], 2000);
        if on_new == Some(Frame::Integer(0)) && on_old == Some(Frame::Integer(0)) {
            lost += 1;
        }
    }
    println!(
        "partition: {} writes acknowledged by the cut-off master, {lost} lost",
        acked.len()
    );
    assert_eq!(lost, acked.len());
}

#[test]
fn lesson_priority_zero() {
    let (mut sim, _, _) = run_lesson("priority-zero", 5);
    let lead = leader(&sim);
    assert_in_order(
        &events_of(&sim, &lead),
        &["+selected-slave slave 172.24.0.4:6379 172.24.0.4 6379 @ mymaster 172.24.0.2 6379"],
    );
    let new = assert_failed_over(&mut sim, &SENTINELS);
    assert_eq!(new, "172.24.0.4:6379");
    assert_replicates(&mut sim, "redis_slave1", "172.24.0.4:6379");
}

#[test]
fn lesson_manual_failover() {
    let (mut sim, _, outs) = run_lesson("manual-failover", 6);
    assert_eq!(
        outs,
        vec![Ok(Outcome::Reply(Some(Frame::Simple("OK".into()))))]
    );
    // No fault: nobody saw the master down.
    let ev = all_events(&sim);
    assert!(!ev
        .iter()
        .any(|e| e.contains("+sdown master") || e.contains("+odown")));
    assert_eq!(leader(&sim), "redis-sentinel1");
    let new = assert_failed_over(&mut sim, &SENTINELS);
    // The old master is alive: it is turned into a replica of the new one.
    assert!(ev
        .iter()
        .any(|e| e.contains("+convert-to-slave slave 172.24.0.2:6379")));
    assert_replicates(&mut sim, "redis_master", &new);
}

#[test]
fn lesson_old_master_returns() {
    let (mut sim, _, _) = run_lesson("old-master-returns", 7);
    let new = assert_failed_over(&mut sim, &SENTINELS);
    let restarted = sim
        .trace
        .entries
        .iter()
        .filter(|e| e.host == "redis_master" && e.kind == TraceKind::Start)
        .nth(1)
        .map(|e| e.time)
        .expect("restarted");
    assert!(restarted > SCENARIO_START);
    // Once back, it is converted (+convert-to-slave) and replicates the new master.
    let switch_at = sim
        .trace
        .entries
        .iter()
        .filter(|e| e.text.starts_with("+switch-master"))
        .map(|e| e.time)
        .max()
        .unwrap();
    assert!(switch_at < restarted);
    assert!(sim.trace.entries.iter().any(|e| e.time > restarted
        && e.text
            .starts_with("+convert-to-slave slave 172.24.0.2:6379")));
    assert_replicates(&mut sim, "redis_master", &new);
}

/// The master and one sentinel are cut off from the majority (two sentinels,
/// two replicas). The minority sentinel still sees its master and cannot fail
/// over; the majority does. Once healed, the minority sentinel adopts the
/// majority's newer configuration (+config-update-from) and the old master is
/// turned into a replica.
#[test]
fn sentinel_minority_partition() {
    let (mut sim, t) = settled_tutorial(8, &SentinelSettings::default());
    let minority = [t.master, t.sentinels[0]];
    let majority = [t.replicas[0], t.replicas[1], t.sentinels[1], t.sentinels[2]];
    for a in minority {
        for b in majority {
            sim.partition(a, b);
        }
    }
    sim.run_for(40_000);
    // The minority sentinel never saw its master down and never tried.
    let s1 = events_of(&sim, "redis-sentinel1");
    assert!(
        !s1.iter().any(|e| e.starts_with("+sdown master")
            || e.starts_with("+try-failover")
            || e.starts_with("+switch-master")),
        "{}",
        s1.join("\n")
    );
    // The majority failed over.
    let lead = leader(&sim);
    assert_ne!(lead, "redis-sentinel1");
    assert_in_order(&events_of(&sim, &lead), LEADER_STEPS);
    let new = sentinels_master(&mut sim, &SENTINELS[1..]);
    assert_ne!(new, OLD_MASTER);
    sim.heal();
    sim.run_for(40_000);
    assert_in_order(
        &events_of(&sim, "redis-sentinel1"),
        &[
            "+config-update-from sentinel",
            &format!(
                "+switch-master mymaster 172.24.0.2 6379 {}",
                new.replace(':', " ")
            ),
        ],
    );
    assert_eq!(sentinels_master(&mut sim, &SENTINELS), new);
    assert!(all_events(&sim)
        .iter()
        .any(|e| e.contains("+convert-to-slave slave 172.24.0.2:6379")));
    assert_replicates(&mut sim, "redis_master", &new);
}

/// After a failover, every node (servers and sentinels) is killed and
/// restarted from its disk: the servers from their rewritten redis.conf and
/// dump.rdb, the sentinels from their rewritten sentinel.conf (identity,
/// epochs, known replicas and sentinels). The cluster comes back as it was:
/// same master, same epoch, the data still there, no new failover.
#[test]
fn restart_of_every_node_from_its_disk() {
    let (mut sim, t) = settled_tutorial(9, &SentinelSettings::default());
    sim.crash(t.master);
    sim.run_for(30_000);
    sim.restart(t.master);
    sim.run_for(30_000);
    let new = sentinels_master(&mut sim, &SENTINELS);
    assert_ne!(new, OLD_MASTER);
    let m = sim.host_by_name(name_of(&new)).unwrap();
    assert_eq!(
        sim.command(m, &["SET", "survivor", "1"], 2000),
        Some(Frame::Simple("OK".into()))
    );
    sim.run_for(1_000);
    for h in [t.master, t.replicas[0], t.replicas[1]] {
        assert_eq!(
            sim.command(h, &["SAVE"], 5000),
            Some(Frame::Simple("OK".into()))
        );
    }
    let epoch_before = config_epoch(&mut sim, t.sentinels[0]);
    assert_eq!(epoch_before, 1);
    let all: Vec<usize> = (0..sim.hosts.len()).collect();
    for h in &all {
        sim.crash(*h);
    }
    sim.run_for(5_000);
    for h in &all {
        sim.restart(*h);
    }
    let marker = sim.trace.entries.len();
    sim.run_for(60_000);
    assert_eq!(sentinels_master(&mut sim, &SENTINELS), new);
    for s in &t.sentinels {
        assert_eq!(config_epoch(&mut sim, *s), epoch_before);
    }
    assert_eq!(role_of(&mut sim, name_of(&new)).role, "master");
    for h in ["redis_master", "redis_slave1", "redis_slave2"] {
        if h != name_of(&new) {
            assert_replicates(&mut sim, h, &new);
        }
        let id = sim.host_by_name(h).unwrap();
        assert_eq!(
            sim.command(id, &["GET", "survivor"], 2000),
            Some(Frame::bulk("1")),
            "{h}"
        );
    }
    let after: Vec<String> = sim.trace.entries[marker..]
        .iter()
        .filter(|e| e.kind == TraceKind::Sentinel)
        .map(|e| format!("{} {}", e.host, e.text))
        .collect();
    assert!(
        !after
            .iter()
            .any(|e| e.contains("+try-failover") || e.contains("+switch-master")),
        "{}",
        after.join("\n")
    );
}

fn config_epoch(sim: &mut Sim, sentinel: usize) -> i64 {
    let m = sim.command(sentinel, &["SENTINEL", "MASTER", "mymaster"], 2000);
    m.as_ref()
        .and_then(|f| common::field(f, "config-epoch"))
        .and_then(|e| e.parse().ok())
        .unwrap_or_else(|| panic!("{m:?}"))
}

// ---------------------------------------------------------------------------
// What WAIT and min-replicas-to-write buy.

use sentinel_lab::sim::scenario::{apply, tutorial_actions_with, Action, NewHost};

/// A write that `WAIT 2` reports on both replicas survives the master's death:
/// whichever replica the sentinels promote holds it.
#[test]
fn a_write_every_replica_acknowledged_survives_failover() {
    let (mut sim, t) = settled_tutorial(10, &SentinelSettings::default());
    let r = sim.commands(
        t.master,
        &[&["SET", "safe", "1"], &["WAIT", "2", "1000"]],
        2000,
    );
    assert_eq!(
        r,
        vec![Some(Frame::Simple("OK".into())), Some(Frame::Integer(2))]
    );
    // A write WAIT could not see on any replica (both cut off first).
    for r in &t.replicas {
        sim.partition(t.master, *r);
    }
    let r = sim.commands(
        t.master,
        &[&["SET", "unsafe", "1"], &["WAIT", "1", "500"]],
        2000,
    );
    assert_eq!(
        r,
        vec![Some(Frame::Simple("OK".into())), Some(Frame::Integer(0))]
    );
    sim.crash(t.master);
    sim.heal();
    sim.run_for(60_000);
    let new = sentinels_master(&mut sim, &SENTINELS);
    let m = sim.host_by_name(name_of(&new)).unwrap();
    assert_eq!(
        sim.command(m, &["GET", "safe"], 2000),
        Some(Frame::bulk("1"))
    );
    // WAIT reporting 0 promises nothing either way: the master had already
    // sent the write into the cut links, and TCP delivered it once healed.
    let unsafe_write = sim.command(m, &["EXISTS", "unsafe"], 2000);
    assert!(matches!(unsafe_write, Some(Frame::Integer(0 | 1))));
}

/// With `min-replicas-to-write 1` and `min-replicas-max-lag 10`, a master cut
/// off from its replicas (its clients still reach it) accepts writes only
/// until its last replica acknowledgement is more than 10 s old (Redis
/// counts the lag in whole seconds, and replicas ack every second), then
/// refuses them with NOREPLICAS. The writes lost when it rejoins as a replica
/// are bounded by that window (about 11 s of writes, against the 40 s of the
/// "partition" lesson without the setting).
#[test]
fn min_replicas_to_write_bounds_what_an_isolated_master_loses() {
    let mut setup = tutorial_actions_with(&SentinelSettings::default());
    for a in &mut setup {
        if let Action::Add(NewHost { kind, config, .. }) = a {
            if kind == "server" {
                config.push_str("min-replicas-to-write 1\nmin-replicas-max-lag 10\n");
            }
        }
    }
    let mut sim = Sim::new(11, EPOCH);
    for a in &setup {
        apply(&mut sim, a).unwrap();
    }
    sim.run_for(20_000);
    let m = sim.host_by_name("redis_master").unwrap();
    assert_eq!(
        sim.command(m, &["SET", "before", "1"], 2000),
        Some(Frame::Simple("OK".into()))
    );
    let cut = sim.now;
    for other in 1..sim.hosts.len() {
        sim.partition(m, other);
    }
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut i = 0;
    while sim.now < cut + 40_000 {
        i += 1;
        let key = format!("w{i}");
        match sim.command(m, &["SET", &key, "1"], 2000) {
            Some(Frame::Simple(s)) if s == "OK" => {
                assert!(refused.is_empty(), "{key} accepted after a refusal");
                accepted.push((key, sim.now - cut));
            }
            Some(Frame::Error(e)) => {
                assert_eq!(e, "NOREPLICAS Not enough good replicas to write.");
                refused.push(sim.now - cut);
            }
            other => panic!("{other:?}"),
        }
        sim.run_for(500);
    }
    let last_ok = accepted.last().map(|a| a.1).unwrap_or(0);
    let first_refusal = refused[0];
    println!(
        "min-replicas: {} writes accepted in the first {last_ok} ms of the partition, refused from {first_refusal} ms",
        accepted.len()
    );
    assert!(
        (9_000..=12_000).contains(&first_refusal),
        "first refusal {first_refusal} ms after the cut"
    );
    assert!(accepted.len() <= 24, "{}", accepted.len());
    sim.heal();
    sim.run_for(40_000);
    let new = sentinels_master(&mut sim, &SENTINELS);
    assert_ne!(new, OLD_MASTER);
    assert_replicates(&mut sim, "redis_master", &new);
    let nm = sim.host_by_name(name_of(&new)).unwrap();
    let mut lost = 0;
    for (k, _) in &accepted {
        if sim.command(nm, &["EXISTS", k], 2000) == Some(Frame::Integer(0)) {
            lost += 1;
        }
    }
    assert_eq!(lost, accepted.len());
    assert_eq!(
        sim.command(nm, &["GET", "before"], 2000),
        Some(Frame::bulk("1"))
    );
}
