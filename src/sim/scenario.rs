//! Scenarios as data: the actions a person (or a test) takes on a simulated
//! cluster, replayable from a seed. The wasm `Cluster` records every action it
//! applies, so a session in the browser can be exported and replayed natively
//! with the same trace hash.

use super::{factory, HostId, NodeSpec, Sim};
use crate::node::{Addr, Millis};
use crate::resp::Frame;

/// Virtual clock start of every scenario: 2026-01-01T00:00:00Z.
pub const SCENARIO_START: Millis = 1_767_225_600_000;
/// The same start, under the name the tests use.
pub const EPOCH: Millis = SCENARIO_START;

/// How long `Command` waits for a reply (virtual ms).
pub const COMMAND_MAX_MS: Millis = 5_000;

/// A host to add: a node of `kind` ("server" or "sentinel") named `name`,
/// at `ip:port`, started with the config file text `config`. The rest is
/// what a Compose service adds (empty for a plain host): the names that
/// resolve to it, the lines its image prints before the node starts (or
/// when it refuses to start), and the machine's ports forwarded to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHost {
    pub kind: String,
    pub name: String,
    pub ip: String,
    pub port: u16,
    pub config: String,
    pub names: Vec<String>,
    pub banner: Vec<String>,
    pub refusal: Option<Vec<String>>,
    /// `(machine address, machine port)` pairs published to this host.
    pub published: Vec<(String, u16)>,
}

impl NewHost {
    pub fn new(kind: &str, name: &str, ip: &str, port: u16, config: impl Into<String>) -> Self {
        NewHost {
            kind: kind.into(),
            name: name.into(),
            ip: ip.into(),
            port,
            config: config.into(),
            names: Vec::new(),
            banner: Vec::new(),
            refusal: None,
            published: Vec::new(),
        }
    }
}

/// One thing done to a cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Add a host.
    Add(NewHost),
    /// Run until this absolute virtual time.
    RunUntil(Millis),
    /// Run this many virtual milliseconds.
    RunFor(Millis),
    /// Process one event.
    Step,
    Kill(String),
    /// The host's machine goes down: unsynced file bytes are lost too.
    MachineCrash(String),
    Restart(String),
    Pause(String, Millis),
    Partition(String, String),
    Isolate(String),
    Heal,
    /// Remove the faults between two nodes only (both directions).
    HealLink(String, String),
    /// A client command (the sim runs until the reply, at most `COMMAND_MAX_MS`).
    Command(String, Vec<String>),
}

/// What applying an action gave back.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Done,
    Host(HostId),
    /// `Step`: whether an event was processed.
    Stepped(bool),
    /// `Command`: the reply, or `None` if none came (host down, paused, cut off).
    Reply(Option<Frame>),
}

fn host(sim: &Sim, name: &str) -> Result<HostId, String> {
    sim.host_by_name(name)
        .ok_or_else(|| format!("no node named '{name}'"))
}

/// Apply one action to a simulation.
pub fn apply(sim: &mut Sim, action: &Action) -> Result<Outcome, String> {
    Ok(match action {
        Action::Add(NewHost {
            kind,
            name,
            ip,
            port,
            config,
            names,
            banner,
            refusal,
            published,
        }) => {
            if sim.host_by_name(name).is_some() {
                return Err(format!("a node named '{name}' already exists"));
            }
            if sim
                .hosts
                .iter()
                .any(|h| h.addr.host == *ip && h.addr.port == *port)
            {
                return Err(format!("address {ip}:{port} is already taken"));
            }
            let f = factory::for_kind(kind)?;
            factory::check_config(kind, config)?;
            let spec = NodeSpec {
                name: name.clone(),
                kind: kind.clone(),
                config: config.clone(),
            };
            let addr = Addr::new(ip.clone(), *port);
            // The image's own lines come before the node's (as `docker logs` shows them).
            for line in crate::compose::images::stamp(banner, sim.now % 86_400_000) {
                sim.trace.push(sim.now, name, super::TraceKind::Log, line);
            }
            let id = sim.add_named_host(spec, addr, f, names.clone(), refusal.clone());
            for (mip, mport) in published {
                sim.publish(mip, *mport, id);
            }
            Outcome::Host(id)
        }
        Action::RunUntil(t) => {
            sim.run_until(*t);
            Outcome::Done
        }
        Action::RunFor(ms) => {
            sim.run_for(*ms);
            Outcome::Done
        }
        Action::Step => Outcome::Stepped(sim.step(Millis::MAX / 4)),
        Action::Kill(n) => {
            let h = host(sim, n)?;
            sim.crash(h);
            Outcome::Done
        }
        Action::MachineCrash(n) => {
            let h = host(sim, n)?;
            sim.machine_crash(h);
            Outcome::Done
        }
        Action::Restart(n) => {
            let h = host(sim, n)?;
            sim.restart(h);
            Outcome::Done
        }
        Action::Pause(n, ms) => {
            let h = host(sim, n)?;
            sim.pause(h, *ms);
            Outcome::Done
        }
        Action::Partition(a, b) => {
            let (a, b) = (host(sim, a)?, host(sim, b)?);
            if a == b {
                return Err("cannot partition a node from itself".into());
            }
            sim.partition(a, b);
            Outcome::Done
        }
        Action::Isolate(n) => {
            let h = host(sim, n)?;
            sim.isolate(h);
            Outcome::Done
        }
        Action::Heal => {
            sim.heal();
            Outcome::Done
        }
        Action::HealLink(a, b) => {
            let (a, b) = (host(sim, a)?, host(sim, b)?);
            if a == b {
                return Err("cannot heal a node's link to itself".into());
            }
            sim.heal_link(a, b);
            Outcome::Done
        }
        Action::Command(n, argv) => {
            let h = host(sim, n)?;
            if argv.is_empty() {
                return Err("empty command".into());
            }
            let args: Vec<&str> = argv.iter().map(|s| s.as_str()).collect();
            Outcome::Reply(sim.command(h, &args, COMMAND_MAX_MS))
        }
    })
}

/// The tutorial's sentinel quorum and master name.
pub const TUTORIAL_MASTER_NAME: &str = "mymaster";
pub const TUTORIAL_QUORUM: u32 = 2;

/// redis.conf text of a tutorial server (`replicaof` for the replicas).
pub fn tutorial_server_config(replicaof: Option<(&str, u16)>) -> String {
    let mut c = String::from(
        "port 6379\nprotected-mode no\nrepl-diskless-sync yes\nrepl-diskless-sync-delay 0\n",
    );
    if let Some((ip, port)) = replicaof {
        c.push_str(&format!("replicaof {ip} {port}\n"));
    }
    c
}

/// redis.conf text of a tutorial server replicating `replicaof`:6379, if any.
pub fn server_conf(replicaof: Option<&str>) -> String {
    tutorial_server_config(replicaof.map(|ip| (ip, 6379)))
}

/// sentinel.conf text of a tutorial sentinel.
pub fn tutorial_sentinel_config() -> String {
    sentinel_conf("172.24.0.2", &SentinelSettings::default())
}

/// Sentinel timings of the tutorial topology.
#[derive(Clone, Debug)]
pub struct SentinelSettings {
    pub quorum: u32,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
    pub parallel_syncs: u32,
}

impl Default for SentinelSettings {
    fn default() -> Self {
        SentinelSettings {
            quorum: TUTORIAL_QUORUM,
            down_after_ms: 5000,
            failover_timeout_ms: 10000,
            parallel_syncs: 1,
        }
    }
}

/// sentinel.conf text monitoring `mymaster` at `master_ip:6379`.
pub fn sentinel_conf(master_ip: &str, s: &SentinelSettings) -> String {
    format!(
        "port 26379\nsentinel monitor {TUTORIAL_MASTER_NAME} {master_ip} 6379 {q}\nsentinel down-after-milliseconds {TUTORIAL_MASTER_NAME} {d}\nsentinel failover-timeout {TUTORIAL_MASTER_NAME} {f}\nsentinel parallel-syncs {TUTORIAL_MASTER_NAME} {p}\n",
        q = s.quorum,
        d = s.down_after_ms,
        f = s.failover_timeout_ms,
        p = s.parallel_syncs
    )
}

/// The hosts of the tutorial topology, by role.
#[derive(Clone, Debug)]
pub struct Tutorial {
    pub master: HostId,
    pub replicas: Vec<HostId>,
    pub sentinels: Vec<HostId>,
}

/// Build the tutorial topology on `sim` with these sentinel settings.
pub fn tutorial(sim: &mut Sim, settings: &SentinelSettings) -> Tutorial {
    let hosts: Vec<HostId> = tutorial_actions_with(settings)
        .iter()
        .map(|a| match apply(sim, a) {
            Ok(Outcome::Host(h)) => h,
            other => panic!("adding a tutorial host gave {other:?}"),
        })
        .collect();
    Tutorial {
        master: hosts[0],
        replicas: hosts[1..3].to_vec(),
        sentinels: hosts[3..].to_vec(),
    }
}

/// The tutorial topology: `redis_master` 172.24.0.2:6379, `redis_slave1` .3,
/// `redis_slave2` .4, and (once the sentinel node exists) `redis-sentinel1..3`
/// at .5–.7 port 26379 monitoring `mymaster` with quorum 2.
pub fn tutorial_actions() -> Vec<Action> {
    tutorial_actions_with(&SentinelSettings::default())
}

/// The tutorial topology as actions, with these sentinel settings.
pub fn tutorial_actions_with(settings: &SentinelSettings) -> Vec<Action> {
    let add = |kind, name: &str, ip: &str, port, config: String| {
        Action::Add(NewHost::new(kind, name, ip, port, config))
    };
    let master = ("172.24.0.2", 6379);
    let mut v = vec![
        add(
            "server",
            "redis_master",
            master.0,
            master.1,
            tutorial_server_config(None),
        ),
        add(
            "server",
            "redis_slave1",
            "172.24.0.3",
            6379,
            tutorial_server_config(Some(master)),
        ),
        add(
            "server",
            "redis_slave2",
            "172.24.0.4",
            6379,
            tutorial_server_config(Some(master)),
        ),
    ];
    for i in 1..=3 {
        v.push(add(
            "sentinel",
            &format!("redis-sentinel{i}"),
            &format!("172.24.0.{}", 4 + i),
            26379,
            sentinel_conf(master.0, settings),
        ));
    }
    v
}

/// The scenario both the native tests and the wasm tests run: the tutorial
/// topology, a write, the master killed and restarted, a partition healed.
pub fn reference_actions() -> Vec<Action> {
    let mut v = tutorial_actions();
    let cmd = |host: &str, argv: &[&str]| {
        Action::Command(host.into(), argv.iter().map(|s| s.to_string()).collect())
    };
    v.extend([
        Action::RunFor(3_000),
        cmd("redis_master", &["SET", "k", "v"]),
        Action::RunFor(1_000),
        cmd("redis_slave1", &["GET", "k"]),
        Action::Kill("redis_master".into()),
        Action::RunFor(10_000),
        Action::Restart("redis_master".into()),
        Action::RunFor(5_000),
        Action::Partition("redis_master".into(), "redis_slave2".into()),
        Action::RunFor(70_000),
        Action::Heal,
        Action::Pause("redis_slave1".into(), 2_000),
        Action::RunFor(10_000),
        cmd("redis_slave2", &["ROLE"]),
    ]);
    v
}

/// Run `actions` on a fresh simulation with `seed`; the simulation is returned
/// with every action's outcome (errors are kept, not fatal).
pub fn run(seed: u64, actions: &[Action]) -> (Sim, Vec<Result<Outcome, String>>) {
    let mut sim = Sim::new(seed, SCENARIO_START);
    let outcomes = actions.iter().map(|a| apply(&mut sim, a)).collect();
    (sim, outcomes)
}

/// The trace hash of the reference scenario for `seed`.
pub fn reference_scenario(seed: u64) -> u64 {
    run(seed, &reference_actions()).0.trace.hash
}

/// The seeds the native and wasm tests compare.
pub const REFERENCE_SEEDS: [u64; 3] = [1, 42, 20260101];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_scenario_replicates_and_is_deterministic() {
        let actions = reference_actions();
        let (sim, out) = run(1, &actions);
        let set_at = actions
            .iter()
            .position(|a| matches!(a, Action::Command(_, v) if v[0] == "SET"))
            .unwrap();
        assert!(out.iter().all(|o| o.is_ok()), "{out:?}");
        // SET/GET arrive with the string commands; until then the write is an error.
        let set_known = !matches!(&out[set_at], Ok(Outcome::Reply(Some(Frame::Error(e)))) if e.starts_with("ERR unknown command"));
        if set_known {
            assert!(
                out.contains(&Ok(Outcome::Reply(Some(Frame::bulk("v"))))),
                "{out:?}\n{}",
                sim.trace.render()
            );
        }
        assert!(sim.trace.contains(
            "redis_slave1",
            "MASTER <-> REPLICA sync: Finished with success"
        ));
        assert!(sim
            .trace
            .contains("redis_slave1", "Connection with master lost"));
        assert_eq!(reference_scenario(1), sim.trace.hash);
        assert_ne!(reference_scenario(2), sim.trace.hash);
    }

    #[test]
    fn queries_do_not_change_the_trace() {
        let actions = reference_actions();
        let mut sim = Sim::new(5, SCENARIO_START);
        for a in &actions {
            apply(&mut sim, a).unwrap();
            for h in 0..sim.hosts.len() {
                let _ = sim.query(h, &["ROLE"]);
                let _ = sim.query(h, &["INFO", "replication"]);
            }
        }
        let plain = run(5, &actions).0;
        let (a, b) = (sim.trace.render(), plain.trace.render());
        if a != b {
            let first = a.lines().zip(b.lines()).position(|(x, y)| x != y);
            let ctx = |t: &str| {
                t.lines()
                    .skip(first.unwrap_or(0).saturating_sub(3))
                    .take(8)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            panic!(
                "traces differ at line {first:?}:\nwith queries:\n{}\nwithout:\n{}",
                ctx(&a),
                ctx(&b)
            );
        }
        assert_eq!(sim.trace.hash, reference_scenario(5));
    }

    /// The page polls every node out of band at arbitrary moments (nodes(),
    /// peek): that must not change the run, even mid-way through a failover
    /// and the full syncs after it.
    #[test]
    fn polling_mid_run_does_not_change_the_trace() {
        let actions = reference_actions();
        let mut sim = Sim::new(7, SCENARIO_START);
        for a in &actions {
            match a {
                Action::RunFor(ms) => {
                    let end = sim.now + ms;
                    while sim.now < end {
                        sim.run_until((sim.now + 137).min(end));
                        for h in 0..sim.hosts.len() {
                            for q in [
                                &["PING"][..],
                                &["ROLE"],
                                &["INFO", "replication"],
                                &["DBSIZE"],
                            ] {
                                let _ = sim.query(h, q);
                            }
                        }
                    }
                }
                other => {
                    apply(&mut sim, other).unwrap();
                }
            }
        }
        assert_eq!(sim.trace.hash, reference_scenario(7));
        // And every lesson, polled as the page does.
        use crate::sim::lessons;
        let settings = SentinelSettings::default();
        for id in lessons::LESSON_IDS {
            let lesson = lessons::lesson(id, &settings).unwrap();
            let run = |poll: bool| {
                let mut sim = lessons::start(3, &lesson).unwrap();
                let mut next = 0;
                while sim.now < lesson.end {
                    let until = (sim.now + 120).min(lesson.end);
                    lessons::advance(&mut sim, &lesson, &mut next, until);
                    if poll {
                        for h in 0..sim.hosts.len() {
                            let _ = sim.query(h, &["PING"]);
                            let _ = sim.query(h, &["INFO", "replication"]);
                        }
                    }
                }
                sim.trace.render()
            };
            let (a, b) = (run(true), run(false));
            if a != b {
                let first = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                let ctx = |t: &str| {
                    t.lines()
                        .skip(first.saturating_sub(4))
                        .take(8)
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                panic!(
                    "lesson {id} differs at line {first}:\npolled:\n{}\nnot:\n{}",
                    ctx(&a),
                    ctx(&b)
                );
            }
        }
    }

    #[test]
    fn bad_actions_are_errors() {
        let mut sim = Sim::new(1, SCENARIO_START);
        assert!(apply(&mut sim, &Action::Kill("nope".into())).is_err());
        let add = Action::Add(NewHost::new("toaster", "t", "1.2.3.4", 1, ""));
        assert!(apply(&mut sim, &add).unwrap_err().contains("toaster"));
    }

    /// Prints the reference hashes; the wasm tests compare theirs to these
    /// (`make test-wasm-node` passes them in `SENTINEL_LAB_REF_HASHES`).
    #[test]
    fn print_reference_hashes() {
        let line = REFERENCE_SEEDS
            .iter()
            .map(|s| format!("{s}:{:016x}", reference_scenario(*s)))
            .collect::<Vec<_>>()
            .join(",");
        println!("SENTINEL_LAB_REF_HASHES={line}");
    }
}
