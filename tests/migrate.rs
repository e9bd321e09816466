//! MIGRATE where its client cannot wait: inside MULTI / EXEC and inside a
//! script, where Redis blocks on the target and the reply is part of the
//! EXEC array or the script's result. The same commands run against
//! Debian's redis-server 7.0.15 and ours as the source, each with a real
//! target and a real replica: the replies, what the target received and
//! what the replica kept (the DEL that replaces MIGRATE) must be the same.

mod common;

use common::{free_port, missing, start_ours, start_real, wait_until, Conn, Proc};
use sentinel_lab::resp::Frame;

/// Replies, then the target's keys and the replica's keys, sorted.
fn run(source: &Proc, dead_port: u16) -> Vec<String> {
    let target = start_real(&[]);
    let replica = start_real(&["--replicaof", "127.0.0.1", &source.port.to_string()]);
    let mut r = replica.connect();
    assert!(
        wait_until(20, || common::replica_connected(replica.port, source.port)),
        "replica did not connect to {}",
        source.what
    );
    let t = target.port.to_string();
    let dead = dead_port.to_string();
    let mut s = source.connect();
    let script: Vec<Vec<&str>> = vec![
        vec!["MSET", "a", "1", "b", "2", "e", "5"],
        vec!["RPUSH", "l", "x", "y"],
        vec!["MULTI"],
        vec!["SET", "c", "3"],
        vec![
            "MIGRATE",
            "127.0.0.1",
            &t,
            "",
            "0",
            "1000",
            "KEYS",
            "a",
            "b",
            "c",
            "nope",
        ],
        vec!["GET", "a"],
        vec!["MIGRATE", "127.0.0.1", &t, "a", "0", "1000", "REPLACE"],
        vec!["MIGRATE", "127.0.0.1", &t, "l", "3", "1000", "COPY"],
        vec!["MIGRATE", "127.0.0.1", &dead, "e", "0", "500"],
        vec![
            "MIGRATE",
            "127.0.0.1",
            &t,
            "e",
            "0",
            "1000",
            "AUTH",
            "nopass",
        ],
        vec!["EXEC"],
        vec![
            "EVAL",
            "return redis.call('migrate', ARGV[1], ARGV[2], 'e', '0', '1000')",
            "0",
            "127.0.0.1",
            &t,
        ],
        vec![
            "EVAL",
            "return redis.pcall('migrate', ARGV[1], ARGV[2], 'l', '3', '1000')",
            "0",
            "127.0.0.1",
            &t,
        ],
        vec!["SET", "done", "1"],
    ];
    let mut out = Vec::new();
    // By position: the target's port differs between the runs.
    for (i, argv) in script.iter().enumerate() {
        out.push(format!("{i} {} -> {:?}", argv[0], s.cmd(argv)));
    }
    let keys = |c: &mut Conn, db: &str| {
        c.cmd(&["SELECT", db]);
        let mut k: Vec<String> = match c.cmd(&["KEYS", "*"]) {
            Frame::Array(items) => items.iter().map(common::text).collect(),
            other => panic!("KEYS: {other:?}"),
        };
        k.sort();
        k
    };
    let mut tc = target.connect();
    out.push(format!("target db0 {:?}", keys(&mut tc, "0")));
    out.push(format!("target db3 {:?}", keys(&mut tc, "3")));
    // The replica has everything once the last write reached it.
    assert!(
        wait_until(20, || matches!(r.cmd(&["GET", "done"]), Frame::Bulk(_))),
        "replica of {} never got the last write",
        source.what
    );
    out.push(format!("replica {:?}", keys(&mut r, "0")));
    out.push(format!("source {:?}", keys(&mut s, "0")));
    out
}

#[test]
fn migrate_inside_exec_and_scripts_as_real() {
    if missing(&["redis-server"]) {
        return;
    }
    let dead = free_port();
    let real = start_real(&[]);
    let expected = run(&real, dead);
    drop(real);
    let ours = start_ours(&["--save", ""]);
    let got = run(&ours, dead);
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        assert_eq!(
            g, e,
            "line {i} differs:\nreal: {expected:#?}\nours: {got:#?}"
        );
    }
    assert_eq!(got.len(), expected.len());
}
