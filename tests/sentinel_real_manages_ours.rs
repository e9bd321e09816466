//! Three Debian `redis-sentinel` 7.0.15 processes (quorum 2) managing OUR
//! servers: the master is SIGKILLed, the real sentinels promote one of our
//! replicas, the other follows it with a partial resync, and the old master,
//! restarted, is turned into a replica of the new one.
//!
//! Needs `redis-sentinel` (`make deps` installs it); fails if it is missing.

mod common;

use common::topology::{read_switch, sentinel_master_port, Cluster, Kind, Timing};
use common::{cmd, field, have, info_field, replica_connected, role, text, wait_until};

#[test]
fn real_sentinels_fail_over_our_servers() {
    assert!(
        have("redis-sentinel"),
        "redis-sentinel is not installed: run `make deps`"
    );
    let mut c = Cluster::start(
        "real-manages-ours",
        Kind::Ours,
        Kind::Real,
        Timing::default(),
    );
    let [m, r1, r2] = c.server_ports;

    // Some data, replicated everywhere before the crash.
    for i in 0..100 {
        let k = format!("key:{i}");
        assert_eq!(
            cmd(m, &["SET", &k, &i.to_string()]).map(|f| text(&f)),
            Some("OK".into())
        );
    }
    let offset = |p: u16| info_field(p, "replication", "slave_repl_offset");
    let master_off = info_field(m, "replication", "master_repl_offset");
    assert!(
        wait_until(10, || offset(r1) == master_off && offset(r2) == master_off),
        "replicas caught up:\n{}",
        c.logs()
    );

    let mut sub = c.subscribe_switch(60);
    c.kill_server(m);
    let (old, new) = read_switch(&mut sub)
        .unwrap_or_else(|| panic!("no +switch-master within 60 s:\n{}", c.logs()));
    assert_eq!(old, m);
    assert!(new == r1 || new == r2, "new master {new}");
    let other = if new == r1 { r2 } else { r1 };

    // The promoted replica is a master with the data; the other follows it.
    assert!(
        wait_until(20, || role(new).is_some_and(|r| r.is_master())),
        "{new} promoted:\n{}",
        c.logs()
    );
    assert!(
        wait_until(30, || replica_connected(other, new)),
        "{other} follows {new}:\n{}",
        c.logs()
    );
    assert_eq!(
        cmd(new, &["GET", "key:99"]).map(|f| text(&f)),
        Some("99".into())
    );
    // Same replication history: the other replica continues with a partial resync.
    let log = c.server_log(other);
    let after = log
        .split(&format!("Connecting to MASTER 127.0.0.1:{new}"))
        .nth(1)
        .unwrap_or_else(|| panic!("{other} never connected to {new}:\n{log}"));
    assert!(
        after.contains("Successful partial resynchronization with master"),
        "{other} did not resync partially with {new}:\n{log}"
    );
    // Writes on the new master reach it.
    assert_eq!(
        cmd(new, &["SET", "after", "failover"]).map(|f| text(&f)),
        Some("OK".into())
    );
    assert!(
        wait_until(10, || cmd(other, &["GET", "after"]).map(|f| text(&f))
            == Some("failover".into())),
        "write on {new} replicated to {other}"
    );
    for &s in &c.sentinel_ports {
        assert!(
            wait_until(20, || sentinel_master_port(s) == Some(new)),
            "sentinel {s} agrees on {new}:\n{}",
            c.logs()
        );
    }

    // The old master comes back empty, as a master: the sentinels turn it into a replica.
    c.restart_server(m);
    assert!(
        wait_until(60, || replica_connected(m, new)),
        "old master {m} rejoins as a replica of {new}:\n{}",
        c.logs()
    );
    assert!(
        wait_until(10, || cmd(m, &["GET", "after"]).map(|f| text(&f))
            == Some("failover".into())),
        "old master has the new data"
    );
    let slog = c.sentinel_log(c.sentinel_ports[0])
        + &c.sentinel_log(c.sentinel_ports[1])
        + &c.sentinel_log(c.sentinel_ports[2]);
    assert!(
        slog.contains(&format!(
            "+convert-to-slave slave 127.0.0.1:{m} 127.0.0.1 {m}"
        )),
        "{slog}"
    );
    // Every sentinel lists both replicas of the new master, neither down.
    for &s in &c.sentinel_ports {
        let ok = wait_until(30, || {
            let Some(f) = cmd(s, &["SENTINEL", "REPLICAS", "mymaster"]) else {
                return false;
            };
            let reps = f.as_array().unwrap_or(&[]).to_vec();
            reps.len() == 2
                && reps.iter().all(|r| {
                    field(r, "flags").as_deref() == Some("slave")
                        && field(r, "master-link-status").as_deref() == Some("ok")
                })
        });
        assert!(ok, "sentinel {s} sees two healthy replicas:\n{}", c.logs());
    }
}
