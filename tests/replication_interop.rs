//! Replication against Debian's redis-server 7.0.15, both ways, on real ports:
//! full sync with every data type and encoding, partial resync after a cut
//! link, PSYNC2 after a promotion, WAIT, min-replicas-to-write, READONLY.

mod common;

use common::{start_ours, start_real, wait_until, Conn, Proc};
use sentinel_lab::resp::Frame;

fn s(f: &Frame) -> String {
    match f {
        Frame::Array(a) | Frame::Set(a) => {
            let v: Vec<String> = a.iter().map(s).collect();
            format!("[{}]", v.join(","))
        }
        Frame::Map(m) => {
            let v: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}={}", s(k), s(v)))
                .collect();
            format!("{{{}}}", v.join(","))
        }
        other => other
            .as_str()
            .map(|x| x.to_string())
            .or_else(|| other.as_int().map(|i| i.to_string()))
            .unwrap_or_else(|| format!("{other:?}")),
    }
}

fn cmd(c: &mut Conn, args: &[&str]) -> Frame {
    c.cmd(args)
}

/// Wait until `f` holds, polling; panics with `what` after `secs`.
fn wait_for(secs: u64, what: &str, f: impl FnMut() -> bool) {
    assert!(wait_until(secs, f), "timed out waiting for {what}");
}

/// Data of every type, in small and big encodings, plus TTLs and a second db.
fn load_dataset(c: &mut Conn) {
    cmd(c, &["SET", "str", "hello"]);
    cmd(c, &["SET", "int", "12345"]);
    cmd(c, &["SET", "big", &"x".repeat(5000)]);
    cmd(c, &["SET", "ttl", "v", "EX", "1000"]);
    cmd(c, &["RPUSH", "list:small", "a", "b", "c"]);
    for i in 0..300 {
        cmd(c, &["RPUSH", "list:big", &format!("element-{i}")]);
    }
    cmd(c, &["HSET", "hash:small", "f1", "v1", "f2", "v2"]);
    for i in 0..600 {
        cmd(
            c,
            &[
                "HSET",
                "hash:big",
                &format!("field-{i}"),
                &format!("value-{i}"),
            ],
        );
    }
    cmd(c, &["SADD", "set:int", "1", "2", "3"]);
    cmd(c, &["SADD", "set:str", "a", "b", "c"]);
    for i in 0..700 {
        cmd(c, &["SADD", "set:big", &format!("m{i}")]);
    }
    cmd(c, &["ZADD", "zset:small", "1", "a", "2.5", "b"]);
    for i in 0..300 {
        cmd(
            c,
            &[
                "ZADD",
                "zset:big",
                &format!("{i}.5"),
                &format!("member-{i}"),
            ],
        );
    }
    for i in 1..=150 {
        let id = format!("{}-{}", 1000 + i / 4, i % 4);
        cmd(
            c,
            &["XADD", "stream", &id, "n", &i.to_string(), "text", "v"],
        );
    }
    cmd(c, &["XDEL", "stream", "1010-1"]);
    cmd(c, &["XGROUP", "CREATE", "stream", "g", "0"]);
    cmd(
        c,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            "stream",
            ">",
        ],
    );
    cmd(c, &["XADD", "stream:empty", "MAXLEN", "0", "5-5", "a", "b"]);
    cmd(c, &["SELECT", "3"]);
    cmd(c, &["SET", "in-db-3", "yes"]);
    cmd(c, &["SELECT", "0"]);
}

/// A canonical dump of the dataset, comparable between servers.
fn snapshot(c: &mut Conn) -> Vec<String> {
    let mut out = Vec::new();
    for db in ["0", "3"] {
        cmd(c, &["SELECT", db]);
        let keys = match cmd(c, &["KEYS", "*"]) {
            Frame::Array(a) => a.iter().map(s).collect::<Vec<_>>(),
            _ => vec![],
        };
        let mut keys = keys;
        keys.sort();
        for k in keys {
            let t = s(&cmd(c, &["TYPE", &k]));
            let v = match t.as_str() {
                "string" => s(&cmd(c, &["GET", &k])),
                "list" => s(&cmd(c, &["LRANGE", &k, "0", "-1"])),
                "hash" => {
                    let mut v: Vec<String> = match cmd(c, &["HGETALL", &k]) {
                        Frame::Array(a) => a
                            .chunks(2)
                            .map(|p| format!("{}={}", s(&p[0]), s(&p[1])))
                            .collect(),
                        Frame::Map(m) => m
                            .iter()
                            .map(|(a, b)| format!("{}={}", s(a), s(b)))
                            .collect(),
                        _ => vec![],
                    };
                    v.sort();
                    v.join(",")
                }
                "set" => {
                    let mut v: Vec<String> = match cmd(c, &["SMEMBERS", &k]) {
                        Frame::Array(a) | Frame::Set(a) => a.iter().map(s).collect(),
                        _ => vec![],
                    };
                    v.sort();
                    v.join(",")
                }
                "zset" => s(&cmd(c, &["ZRANGE", &k, "0", "-1", "WITHSCORES"])),
                // Consumers' seen-time is each server's clock.
                "stream" => s(&cmd(c, &["XINFO", "STREAM", &k, "FULL", "COUNT", "0"]))
                    .split("seen-time,")
                    .map(|p| p.split_once(',').map_or(p, |x| x.1))
                    .collect::<Vec<_>>()
                    .join("seen-time,T,"),
                _ => String::new(),
            };
            let ttl = match cmd(c, &["TTL", &k]).as_int() {
                Some(t) if t > 0 => "ttl".to_string(),
                Some(t) => t.to_string(),
                None => "?".into(),
            };
            out.push(format!("db{db} {k} {t} {ttl} {v}"));
        }
    }
    cmd(c, &["SELECT", "0"]);
    out
}

fn replica_of(replica: &Proc, master: &Proc) {
    let mut c = replica.connect();
    let port = master.port.to_string();
    assert_eq!(s(&cmd(&mut c, &["REPLICAOF", "127.0.0.1", &port])), "OK");
    wait_for(20, "replica link up", || {
        c.role().is_some_and(|r| r.connected())
    });
}

fn wait_offsets_equal(master: &Proc, replica: &Proc) {
    let mut m = master.connect();
    let mut r = replica.connect();
    wait_for(20, "replica caught up", || {
        let mo = m.info_field("replication", "master_repl_offset");
        mo.is_some() && mo == r.info_field("replication", "master_repl_offset")
    });
}

const FAST_SYNC: &[&str] = &["--repl-diskless-sync-delay", "0"];

#[test]
fn our_replica_of_a_real_master_full_then_partial() {
    let master = start_real(FAST_SYNC);
    let replica = start_ours(&[]);
    let mut m = master.connect();
    load_dataset(&mut m);
    replica_of(&replica, &master);
    wait_offsets_equal(&master, &replica);
    let mut r = replica.connect();
    assert_eq!(snapshot(&mut m), snapshot(&mut r));
    assert!(replica
        .log_text()
        .contains("MASTER <-> REPLICA sync: Finished with success"));

    // Cut the link from the replica side: it must come back with a partial resync.
    cmd(&mut r, &["CLIENT", "KILL", "TYPE", "master"]);
    cmd(&mut m, &["SET", "after-cut", "1"]);
    cmd(&mut m, &["RPUSH", "list:small", "d"]);
    wait_for(20, "partial resync", || {
        replica
            .log_text()
            .contains("Successful partial resynchronization with master.")
    });
    wait_offsets_equal(&master, &replica);
    assert_eq!(snapshot(&mut m), snapshot(&mut r));
    assert_eq!(
        replica
            .log_text()
            .matches("Full resync from master")
            .count(),
        1
    );
    assert!(master
        .log_text()
        .contains("Partial resynchronization request from"));
}

#[test]
fn real_replica_of_our_master_full_then_partial() {
    let master = start_ours(FAST_SYNC);
    let replica = start_real(&[]);
    let mut m = master.connect();
    load_dataset(&mut m);
    replica_of(&replica, &master);
    wait_offsets_equal(&master, &replica);
    let mut r = replica.connect();
    assert_eq!(snapshot(&mut m), snapshot(&mut r));
    let stat = |name: &str| master.connect().info_field("stats", name);
    assert_eq!(stat("sync_full").as_deref(), Some("1"));
    assert_eq!(stat("sync_partial_ok").as_deref(), Some("0"));
    // The replica first offered its own history (refused: counted as an error).
    let partial_err = stat("sync_partial_err");

    cmd(&mut r, &["CLIENT", "KILL", "TYPE", "master"]);
    cmd(&mut m, &["HSET", "hash:small", "f3", "v3"]);
    // Streamed stream effects: XADD, XREADGROUP as XCLAIM, an approximate trim.
    cmd(&mut m, &["XADD", "stream", "2000-0", "n", "new"]);
    cmd(
        &mut m,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "COUNT",
            "2",
            "STREAMS",
            "stream",
            ">",
        ],
    );
    cmd(&mut m, &["XTRIM", "stream", "MAXLEN", "~", "100"]);
    wait_for(20, "partial resync", || {
        replica
            .log_text()
            .contains("Successful partial resynchronization with master.")
    });
    wait_offsets_equal(&master, &replica);
    assert_eq!(snapshot(&mut m), snapshot(&mut r));
    assert!(master
        .log_text()
        .contains("Partial resynchronization request from"));
    // Our INFO shows the real replica's partial resync.
    assert_eq!(stat("sync_partial_ok").as_deref(), Some("1"));
    assert_eq!(stat("sync_full").as_deref(), Some("1"));
    assert_eq!(stat("sync_partial_err"), partial_err);
}

/// M with replicas A and B; A is promoted and B follows it with a partial resync.
fn psync2_after_promotion(m: Proc, a: Proc, b: Proc) {
    let mut mc = m.connect();
    cmd(&mut mc, &["SET", "k", "before"]);
    replica_of(&a, &m);
    replica_of(&b, &m);
    cmd(&mut mc, &["SET", "k2", "v2"]);
    wait_offsets_equal(&m, &a);
    wait_offsets_equal(&m, &b);
    drop(m);
    let mut ac = a.connect();
    assert_eq!(s(&cmd(&mut ac, &["REPLICAOF", "NO", "ONE"])), "OK");
    replica_of(&b, &a);
    cmd(&mut ac, &["SET", "k3", "after"]);
    wait_offsets_equal(&a, &b);
    assert!(
        b.log_text()
            .contains("Successful partial resynchronization with master."),
        "B did not continue partially:\n{}",
        b.log_text()
    );
    let mut bc = b.connect();
    assert_eq!(s(&cmd(&mut bc, &["GET", "k3"])), "after");
    assert_eq!(s(&cmd(&mut bc, &["GET", "k"])), "before");
}

#[test]
fn psync2_promotion_all_ours() {
    psync2_after_promotion(
        start_ours(FAST_SYNC),
        start_ours(FAST_SYNC),
        start_ours(FAST_SYNC),
    );
}

#[test]
fn psync2_promotion_ours_promoted_real_sibling() {
    psync2_after_promotion(
        start_real(FAST_SYNC),
        start_ours(FAST_SYNC),
        start_real(FAST_SYNC),
    );
}

#[test]
fn psync2_promotion_real_promoted_our_sibling() {
    psync2_after_promotion(
        start_ours(FAST_SYNC),
        start_real(FAST_SYNC),
        start_ours(FAST_SYNC),
    );
}

#[test]
fn wait_min_replicas_and_readonly() {
    let master = start_ours(FAST_SYNC);
    let replica = start_real(&[]);
    replica_of(&replica, &master);
    let mut m = master.connect();
    cmd(&mut m, &["SET", "a", "1"]);
    assert_eq!(cmd(&mut m, &["WAIT", "1", "5000"]).as_int(), Some(1));
    // Asking for more replicas than exist times out with the count reached.
    assert_eq!(cmd(&mut m, &["WAIT", "2", "200"]).as_int(), Some(1));
    cmd(&mut m, &["CONFIG", "SET", "min-replicas-to-write", "2"]);
    assert_eq!(
        cmd(&mut m, &["SET", "b", "1"]),
        Frame::Error("NOREPLICAS Not enough good replicas to write.".into())
    );
    cmd(&mut m, &["CONFIG", "SET", "min-replicas-to-write", "1"]);
    assert_eq!(s(&cmd(&mut m, &["SET", "b", "1"])), "OK");

    // Our replica refuses writes with Redis's words.
    let ours = start_ours(&[]);
    replica_of(&ours, &master);
    let mut r = ours.connect();
    assert_eq!(
        cmd(&mut r, &["SET", "x", "1"]),
        Frame::Error("READONLY You can't write against a read only replica.".into())
    );
    wait_offsets_equal(&master, &ours);
    assert_eq!(s(&cmd(&mut r, &["GET", "b"])), "1");
}

#[test]
fn replica_reconnects_after_master_restart() {
    let master = start_ours(FAST_SYNC);
    let port = master.port;
    let replica = start_ours(&[]);
    replica_of(&replica, &master);
    drop(master);
    let mut r = replica.connect();
    wait_for(10, "link down", || {
        r.info_field("replication", "master_link_status").as_deref() == Some("down")
    });
    // Same port again: the replica reconnects on its own.
    let dir = common::tmpdir("repl-restart");
    let args = [
        "server",
        "--port",
        &port.to_string(),
        "--repl-diskless-sync-delay",
        "0",
    ]
    .map(String::from);
    let _master = common::spawn(
        "our master, restarted",
        &common::our_binary(),
        None,
        &args,
        port,
        &dir.join("master.log"),
    )
    .expect("restart master");
    wait_for(20, "link up again", || {
        r.info_field("replication", "master_link_status").as_deref() == Some("up")
    });
    let mut m = Conn::connect(port);
    cmd(&mut m, &["SET", "again", "yes"]);
    wait_for(10, "write replicated", || {
        s(&cmd(&mut r, &["GET", "again"])) == "yes"
    });
}
