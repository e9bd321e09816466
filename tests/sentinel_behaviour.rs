//! Sentinel behaviour in the deterministic simulator (real node state
//! machines, virtual time): manual failover, replica-priority 0, no failover
//! without a majority, a restarted sentinel keeps its identity and epoch, and
//! a partitioned old master loses the writes it accepted. One test repeats
//! the restart natively (our processes, the same conf file).

mod common;

use sentinel_lab::node::Addr;
use sentinel_lab::resp::Frame;
use sentinel_lab::sim::scenario::{sentinel_conf, server_conf, SentinelSettings, Tutorial, EPOCH};
use sentinel_lab::sim::{factory, HostId, NodeSpec, Sim};

use common::sim::{
    all_sentinel_logs, log_lines as lines_since, logged_since, role, settled_tutorial, SENTINELS,
};
use common::text;

fn host_with_ip(sim: &Sim, ip: &str) -> HostId {
    sim.hosts
        .iter()
        .position(|h| h.addr.host == ip)
        .unwrap_or_else(|| panic!("no host {ip}"))
}

/// The new master's host from the first `+switch-master` line logged since `since`.
fn switched_to(sim: &Sim, since: u64) -> HostId {
    let line = SENTINELS
        .iter()
        .flat_map(|h| lines_since(sim, h, since))
        .find(|l| l.starts_with("+switch-master"))
        .expect("+switch-master");
    let parts: Vec<&str> = line.split(' ').collect();
    host_with_ip(sim, parts[4])
}

/// Run (virtual time) until `host` is a replica of `master_ip` with its link up.
fn wait_replica_of(sim: &mut Sim, host: HostId, master_ip: &str, max_ms: u64) -> bool {
    let end = sim.now + max_ms;
    while sim.now < end {
        let r = role(sim, host);
        if r.connected() && r.master.is_some_and(|(ip, _)| ip == master_ip) {
            return true;
        }
        sim.run_for(500);
    }
    false
}

fn ok(f: Option<Frame>) -> bool {
    matches!(f, Some(Frame::Simple(s)) if s == "OK")
}

/// The tutorial topology, with extra config lines for each replica.
fn topology(sim: &mut Sim, replica_extra: [&str; 2], s: &SentinelSettings) -> Tutorial {
    let mut add = |name: &str, kind: &str, ip: &str, port: u16, config: String| {
        let spec = NodeSpec {
            name: name.into(),
            kind: kind.into(),
            config,
        };
        sim.add_host(
            spec,
            Addr::new(ip, port),
            factory::for_kind(kind).expect("known node kind"),
        )
    };
    let master = add(
        "redis_master",
        "server",
        "172.24.0.2",
        6379,
        server_conf(None),
    );
    let replicas = (1..=2)
        .map(|i| {
            let conf = server_conf(Some("172.24.0.2")) + replica_extra[i - 1];
            add(
                &format!("redis_slave{i}"),
                "server",
                &format!("172.24.0.{}", 2 + i),
                6379,
                conf,
            )
        })
        .collect();
    let sentinels = (1..=3)
        .map(|i| {
            add(
                &format!("redis-sentinel{i}"),
                "sentinel",
                &format!("172.24.0.{}", 4 + i),
                26379,
                sentinel_conf("172.24.0.2", s),
            )
        })
        .collect();
    Tutorial {
        master,
        replicas,
        sentinels,
    }
}

#[test]
fn manual_failover_switches_master_without_a_crash() {
    let (mut sim, t) = settled_tutorial(11, &SentinelSettings::default());
    assert!(ok(sim.command(t.master, &["SET", "k", "v"], 2000)));
    sim.run_for(1_000);
    let since = sim.now;
    let r = sim.command(t.sentinels[0], &["SENTINEL", "FAILOVER", "mymaster"], 2000);
    assert!(ok(r.clone()), "{r:?}");
    assert!(
        sim.run_until_pred(60_000, |s| logged_since(s, "+switch-master", since)),
        "{}",
        all_sentinel_logs(&sim)
    );
    let new = switched_to(&sim, since);
    assert!(t.replicas.contains(&new));
    let new_ip = sim.hosts[new].addr.host.clone();
    // Nothing went down: a user-requested failover needs no +sdown/+odown.
    assert!(!logged_since(&sim, "+odown", since));
    assert!(lines_since(&sim, "redis-sentinel1", since)
        .iter()
        .any(|l| l.starts_with("+try-failover master mymaster 172.24.0.2 6379")));
    assert_eq!(role(&mut sim, new).role, "master");
    // The old master, still alive, and the other replica follow the new master.
    assert!(
        wait_replica_of(&mut sim, t.master, &new_ip, 60_000),
        "{}",
        all_sentinel_logs(&sim)
    );
    let other = *t.replicas.iter().find(|&&r| r != new).expect("other");
    assert!(wait_replica_of(&mut sim, other, &new_ip, 30_000));
    assert_eq!(
        sim.command(new, &["GET", "k"], 2000).map(|f| text(&f)),
        Some("v".into())
    );
}

#[test]
fn replica_with_priority_zero_is_never_promoted() {
    for seed in [21, 22, 23] {
        let mut sim = Sim::new(seed, EPOCH);
        let s = SentinelSettings::default();
        let t = topology(&mut sim, ["replica-priority 0\n", ""], &s);
        let (zero, normal) = (t.replicas[0], t.replicas[1]);
        sim.run_for(20_000);
        sim.crash(t.master);
        assert!(
            sim.run_until_pred(120_000, |s| logged_since(s, "+switch-master", 0)),
            "seed {seed}: {}",
            all_sentinel_logs(&sim)
        );
        assert_eq!(switched_to(&sim, 0), normal, "seed {seed}");
        let normal_ip = sim.hosts[normal].addr.host.clone();
        assert!(wait_replica_of(&mut sim, zero, &normal_ip, 30_000));
        // Now the only replica left has priority 0: no failover at all.
        sim.run_for(10_000);
        let since = sim.now;
        sim.crash(normal);
        sim.run_for(90_000);
        assert!(
            logged_since(&sim, "+odown master mymaster", since),
            "seed {seed}: {}",
            all_sentinel_logs(&sim)
        );
        assert!(
            logged_since(&sim, "-failover-abort-no-good-slave", since),
            "seed {seed}: {}",
            all_sentinel_logs(&sim)
        );
        assert!(!logged_since(&sim, "+selected-slave", since));
        assert!(!logged_since(&sim, "+switch-master", since));
        assert_eq!(role(&mut sim, zero).role, "slave", "seed {seed}");
    }
}

/// Crash the master with the three sentinels cut off from each other.
fn partitioned_sentinels(seed: u64, quorum: u32) -> (Sim, Tutorial) {
    let s = SentinelSettings {
        quorum,
        ..SentinelSettings::default()
    };
    let (mut sim, t) = settled_tutorial(seed, &s);
    for i in 0..3 {
        for j in i + 1..3 {
            sim.partition(t.sentinels[i], t.sentinels[j]);
        }
    }
    sim.crash(t.master);
    sim.run_for(90_000);
    (sim, t)
}

#[test]
fn no_odown_without_quorum_when_sentinels_are_partitioned() {
    let (mut sim, t) = partitioned_sentinels(31, 2);
    for h in SENTINELS {
        let l = lines_since(&sim, h, 0);
        assert!(l.iter().any(|l| l.starts_with("+sdown master mymaster")));
        assert!(
            !l.iter().any(|l| l.starts_with("+odown")),
            "{}",
            l.join("\n")
        );
    }
    assert!(!logged_since(&sim, "+switch-master", 0));
    for r in t.replicas.clone() {
        assert_eq!(role(&mut sim, r).role, "slave");
    }
}

#[test]
fn no_failover_without_a_majority() {
    // Quorum 1: each sentinel alone reaches +odown and tries, but cannot be
    // elected with one vote of three.
    let (mut sim, t) = partitioned_sentinels(32, 1);
    assert!(logged_since(&sim, "+odown master mymaster", 0));
    assert!(logged_since(&sim, "+try-failover", 0));
    assert!(
        logged_since(&sim, "-failover-abort-not-elected", 0),
        "{}",
        all_sentinel_logs(&sim)
    );
    assert!(!logged_since(&sim, "+elected-leader", 0));
    assert!(!logged_since(&sim, "+switch-master", 0));
    for r in t.replicas.clone() {
        assert_eq!(role(&mut sim, r).role, "slave");
    }
    // Same with two of three sentinels down.
    let s = SentinelSettings {
        quorum: 1,
        ..SentinelSettings::default()
    };
    let (mut sim, t) = settled_tutorial(33, &s);
    sim.crash(t.sentinels[1]);
    sim.crash(t.sentinels[2]);
    sim.crash(t.master);
    sim.run_for(90_000);
    assert!(logged_since(&sim, "+odown master mymaster", 0));
    assert!(logged_since(&sim, "-failover-abort-not-elected", 0));
    assert!(!logged_since(&sim, "+switch-master", 0));
    // Heal (one sentinel back): a majority of 2 exists again, the failover happens.
    let since = sim.now;
    sim.restart(t.sentinels[1]);
    assert!(
        sim.run_until_pred(120_000, |s| logged_since(s, "+switch-master", since)),
        "{}",
        all_sentinel_logs(&sim)
    );
}

fn myid(sim: &mut Sim, host: HostId) -> String {
    sim.command(host, &["SENTINEL", "MYID"], 2000)
        .map(|f| text(&f))
        .unwrap_or_default()
}

#[test]
fn restarted_sentinel_keeps_its_id_and_epoch() {
    let (mut sim, t) = settled_tutorial(41, &SentinelSettings::default());
    sim.crash(t.master);
    assert!(sim.run_until_pred(120_000, |s| logged_since(s, "+switch-master", 0)));
    sim.run_for(10_000);
    let s1 = t.sentinels[0];
    let id = myid(&mut sim, s1);
    assert_eq!(id.len(), 40, "{id}");
    let master_before = sim
        .command(
            s1,
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
            2000,
        )
        .expect("addr");

    let restarted_at = sim.now;
    sim.restart(s1);
    sim.run_for(15_000);
    assert_eq!(myid(&mut sim, s1), id, "same identity after restart");
    let conf = String::from_utf8_lossy(&sim.hosts[s1].disk[factory::SENTINEL_CONF]).into_owned();
    assert!(conf.contains(&format!("sentinel myid {id}")), "{conf}");
    assert!(conf.contains("sentinel current-epoch 1"), "{conf}");
    assert_eq!(
        sim.command(
            s1,
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
            2000
        ),
        Some(master_before),
        "the promoted master is remembered"
    );
    let m = sim
        .command(s1, &["SENTINEL", "MASTER", "mymaster"], 2000)
        .expect("master");
    let cfg_epoch = common::field(&m, "config-epoch").unwrap_or_default();
    assert_eq!(cfg_epoch, "1");
    // The others still count two other sentinels: no ghost with a new id.
    for &o in &t.sentinels[1..] {
        let n = sim
            .command(o, &["SENTINEL", "SENTINELS", "mymaster"], 2000)
            .and_then(|f| f.as_array().map(|a| a.len()))
            .unwrap_or(0);
        assert_eq!(n, 2);
    }
    // Its next failover starts from the saved epoch: +new-epoch 2, not 1.
    let r = sim.command(s1, &["SENTINEL", "FAILOVER", "mymaster"], 2000);
    assert!(ok(r.clone()), "{r:?}");
    assert!(sim.run_until_pred(60_000, |s| logged_since(s, "+switch-master", restarted_at)));
    let l = lines_since(&sim, "redis-sentinel1", restarted_at);
    assert!(l.iter().any(|l| l == "+new-epoch 2"), "{}", l.join("\n"));
    assert!(!l.iter().any(|l| l == "+new-epoch 1"), "{}", l.join("\n"));
}

#[test]
fn partitioned_old_master_loses_its_writes() {
    let (mut sim, t) = settled_tutorial(51, &SentinelSettings::default());
    assert!(ok(sim.command(t.master, &["SET", "before", "1"], 2000)));
    sim.run_for(1_000);
    // The master is cut off from replicas and sentinels, not from its client.
    for &h in t.replicas.iter().chain(&t.sentinels) {
        sim.partition(t.master, h);
    }
    let mut accepted = 0;
    let mut i = 0;
    while !logged_since(&sim, "+switch-master", 0) {
        assert!(i < 1000, "no failover: {}", all_sentinel_logs(&sim));
        if ok(sim.command(t.master, &["SET", &format!("lost:{i}"), "x"], 2000)) {
            accepted += 1;
        }
        i += 1;
        sim.run_for(200);
    }
    // The old master keeps taking writes until the partition heals.
    for _ in 0..10 {
        if ok(sim.command(t.master, &["SET", &format!("lost:{i}"), "x"], 2000)) {
            accepted += 1;
        }
        i += 1;
    }
    assert_eq!(accepted, i, "the isolated master accepted every write");
    let new = switched_to(&sim, 0);
    let new_ip = sim.hosts[new].addr.host.clone();
    assert!(ok(sim.command(new, &["SET", "after", "1"], 2000)));

    sim.heal();
    assert!(
        wait_replica_of(&mut sim, t.master, &new_ip, 60_000),
        "{}",
        all_sentinel_logs(&sim)
    );
    assert!(logged_since(&sim, "+convert-to-slave", 0));
    sim.run_for(2_000);
    let mut lost = 0;
    for k in 0..i {
        let key = format!("lost:{k}");
        if sim.command(t.master, &["EXISTS", &key], 2000) == Some(Frame::Integer(0)) {
            lost += 1;
        }
        assert_eq!(
            sim.command(new, &["EXISTS", &key], 2000),
            Some(Frame::Integer(0))
        );
    }
    eprintln!("the partitioned old master accepted {accepted} writes; {lost} were lost");
    assert_eq!(
        lost, accepted,
        "every write taken during the partition is lost"
    );
    for k in ["before", "after"] {
        assert_eq!(
            sim.command(t.master, &["GET", k], 2000).map(|f| text(&f)),
            Some("1".into()),
            "{k}"
        );
    }
}

#[test]
fn native_restarted_sentinel_keeps_its_id_and_epoch() {
    use common::topology::{
        sentinel_conf_path, sentinel_master_port, sentinel_num, start_sentinel, start_server, Kind,
        Timing,
    };
    use common::{cmd, distinct_ports, replica_connected, tmpdir, wait_until};
    let dir = tmpdir("behaviour-restart");
    let [m, r, sp] = distinct_ports::<3>(&[]);
    let _m = start_server(Kind::Ours, &dir, m, None);
    let _r = start_server(Kind::Ours, &dir, r, Some(m));
    assert!(wait_until(30, || replica_connected(r, m)));
    let timing = Timing {
        quorum: 1,
        ..Timing::default()
    };
    let s = start_sentinel(Kind::Ours, &dir, sp, m, &timing);
    assert!(wait_until(30, || sentinel_num(sp, "num-slaves") == 1));
    let id = cmd(sp, &["SENTINEL", "MYID"])
        .map(|f| text(&f))
        .unwrap_or_default();
    assert_eq!(id.len(), 40, "{id}");
    let failover = |want: u16| {
        // NOGOODSLAVE until the sentinel has a fresh INFO from the replica, as real Sentinel.
        let mut last = None;
        let accepted = wait_until(30, || {
            last = cmd(sp, &["SENTINEL", "FAILOVER", "mymaster"]);
            ok(last.clone())
        });
        assert!(accepted, "{last:?}");
        assert!(
            wait_until(30, || sentinel_master_port(sp) == Some(want)),
            "failover to {want}:\n{}",
            std::fs::read_to_string(dir.join(format!("sentinel-{sp}.log"))).unwrap_or_default()
        );
    };
    failover(r);
    // SIGKILL, then start again from the same (rewritten) conf file.
    drop(s);
    let conf = std::fs::read_to_string(sentinel_conf_path(&dir, sp)).expect("conf");
    assert!(conf.contains(&format!("sentinel myid {id}")), "{conf}");
    assert!(conf.contains("sentinel current-epoch 1"), "{conf}");
    let log = dir.join(format!("sentinel-{sp}.log"));
    let before = std::fs::read_to_string(&log).unwrap_or_default().len();
    let _s = start_sentinel(Kind::Ours, &dir, sp, m, &timing);
    assert_eq!(
        cmd(sp, &["SENTINEL", "MYID"]).map(|f| text(&f)),
        Some(id.clone())
    );
    assert_eq!(sentinel_master_port(sp), Some(r));
    // The old master is known again as a replica of the new one.
    assert!(
        wait_until(60, || replica_connected(m, r)
            && sentinel_num(sp, "num-slaves") == 1),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    failover(m);
    let after = std::fs::read_to_string(&log).unwrap_or_default();
    let after = after.get(before..).unwrap_or("");
    assert!(after.contains("+new-epoch 2"), "{after}");
    assert!(!after.contains("+new-epoch 1"), "{after}");
}
