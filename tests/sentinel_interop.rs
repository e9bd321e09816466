//! Our sentinels managing real Debian redis-server 7.0.15 instances, alone and
//! in a mixed group with a real redis-sentinel; reply shapes compared live.
//!
//! Skipped (passing) when `redis-server` is not installed.

mod common;

use common::topology::{
    read_switch, sentinel_conf_path, sentinel_master_port, Cluster, Kind, Timing,
};
use common::{cmd, missing, pairs, role, wait_until};
use sentinel_lab::resp::Frame;

/// Stop the master, wait for +switch-master, check the new topology, restart
/// the old master and see it rejoin as a replica.
fn run_failover(c: &mut Cluster) {
    let [m, r1, r2] = c.server_ports;
    let mut sub = c.subscribe_switch(60);
    let _ = cmd(m, &["SHUTDOWN", "NOSAVE"]);
    c.kill_server(m);

    let (old, new_master) =
        read_switch(&mut sub).unwrap_or_else(|| panic!("no +switch-master:\n{}", c.logs()));
    assert_eq!(old, m);
    assert!(
        new_master == r1 || new_master == r2,
        "new master {new_master}"
    );
    let other = if new_master == r1 { r2 } else { r1 };

    assert!(wait_until(20, || role(new_master).is_some_and(|r| r.is_master())));
    assert!(
        wait_until(30, || role(other).and_then(|r| r.master_port())
            == Some(new_master)),
        "the other replica follows the new master"
    );
    for &s in &c.sentinel_ports {
        assert!(
            wait_until(30, || sentinel_master_port(s) == Some(new_master)),
            "sentinel {s} agrees"
        );
    }
    // The old master comes back and is reconfigured as a replica.
    c.restart_server(m);
    assert!(
        wait_until(60, || role(m).and_then(|r| r.master_port())
            == Some(new_master)),
        "old master rejoins as replica:\n{}",
        c.logs()
    );
}

#[test]
fn sentinel_failover_with_real_servers() {
    if missing(&["redis-server"]) {
        return;
    }
    let mut c = Cluster::start("interop-ours", Kind::Real, Kind::Ours, Timing::default());
    run_failover(&mut c);
    // The config file was rewritten with the new state.
    let conf = std::fs::read_to_string(sentinel_conf_path(&c.dir, c.sentinel_ports[0])).unwrap();
    assert!(conf.contains("sentinel myid "), "{conf}");
    assert!(conf.contains("sentinel current-epoch "), "{conf}");
    assert!(conf.contains("sentinel known-sentinel mymaster"), "{conf}");
}

#[test]
fn sentinel_mixed_group_and_reply_shapes() {
    if missing(&["redis-server", "redis-sentinel"]) {
        return;
    }
    let sentinels = [Kind::Ours, Kind::Ours, Kind::Real];
    let mut c = Cluster::start_mixed("mixed", Kind::Real, sentinels, Timing::default());
    let sp = c.sentinel_ports;
    // Same fields, same order, for the same topology.
    let names = |f: Frame| pairs(&f).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    for q in [
        vec!["SENTINEL", "MASTER", "mymaster"],
        vec!["SENTINEL", "DEBUG"],
        vec!["SENTINEL", "CONFIG", "GET", "*"],
    ] {
        let ours = names(cmd(sp[0], &q).unwrap());
        let real = names(cmd(sp[2], &q).unwrap());
        assert_eq!(ours, real, "{q:?}");
    }
    for q in [
        ["SENTINEL", "REPLICAS", "mymaster"],
        ["SENTINEL", "SENTINELS", "mymaster"],
    ] {
        let ours = cmd(sp[0], &q).unwrap();
        let real = cmd(sp[2], &q).unwrap();
        let (o, r) = (ours.as_array().unwrap(), real.as_array().unwrap());
        assert_eq!(o.len(), r.len(), "{q:?}");
        let on: Vec<Vec<String>> = o.iter().map(|f| names(f.clone())).collect();
        let rn: Vec<Vec<String>> = r.iter().map(|f| names(f.clone())).collect();
        assert_eq!(on, rn, "{q:?}");
    }
    for q in [
        vec!["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        vec!["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"],
        vec!["SENTINEL", "MASTER", "nosuch"],
        vec!["SENTINEL", "FOO"],
        vec!["SENTINEL", "MASTERS", "x"],
        vec!["SENTINEL", "CKQUORUM", "mymaster"],
        vec![
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "127.0.0.1",
            "1",
            "0",
            "*",
        ],
        vec!["SENTINEL", "SET", "mymaster", "foo", "1"],
        vec!["SENTINEL", "SET", "mymaster", "quorum", "x"],
        vec!["SENTINEL", "DEBUG", "foo", "1"],
        vec!["SENTINEL", "SIMULATE-FAILURE", "help"],
        vec!["ROLE"],
        vec!["GET", "x"],
        vec!["PUBLISH", "x", "y"],
        vec!["HELLO", "2", "SETNAME", "a b"],
        vec!["CLIENT", "SETNAME", "a b"],
        vec!["AUTH", "x"],
    ] {
        let ours = cmd(sp[0], &q).unwrap();
        let real = cmd(sp[2], &q).unwrap();
        let norm = |f: Frame| match f {
            Frame::Simple(s) if s.starts_with("OK ") => Frame::Simple(s),
            f => f,
        };
        assert_eq!(norm(ours), norm(real), "{q:?}");
    }
    run_failover(&mut c);
}

/// The other majority: one of ours with two real redis-sentinels; the group
/// agrees on odown, elects a leader and fails over.
#[test]
fn sentinel_mixed_group_real_majority() {
    if missing(&["redis-server", "redis-sentinel"]) {
        return;
    }
    let sentinels = [Kind::Ours, Kind::Real, Kind::Real];
    let mut c = Cluster::start_mixed(
        "mixed-real-majority",
        Kind::Real,
        sentinels,
        Timing::default(),
    );
    run_failover(&mut c);
}
