//! The AOF end to end in the simulator: files on the in-memory disk,
//! restarts after a process crash and after a machine crash, rewrites.

use crate::node::Addr;
use crate::resp::Frame;
use crate::sim::{factory, HostId, NodeSpec, Sim};

fn sim_with(config: &str) -> (Sim, HostId) {
    let mut sim = Sim::new(1, 1_700_000_000_000);
    let spec = NodeSpec {
        name: "a".into(),
        kind: "server".into(),
        config: format!("port 6379\nprotected-mode no\n{config}"),
    };
    let id = sim.add_host(spec, Addr::new("10.0.0.1", 6379), factory::server_node);
    sim.run_for(100);
    (sim, id)
}

fn cmd(sim: &mut Sim, id: HostId, argv: &[&str]) -> String {
    match sim.command(id, argv, 5_000) {
        Some(Frame::Simple(s)) => s,
        Some(Frame::Bulk(b)) => String::from_utf8_lossy(&b).into_owned(),
        Some(Frame::Integer(n)) => n.to_string(),
        Some(Frame::Null) => "(nil)".into(),
        other => format!("{other:?}"),
    }
}

fn file_names(sim: &Sim, id: HostId) -> Vec<String> {
    sim.hosts[id]
        .disk
        .keys()
        .filter(|k| k.starts_with("appendonlydir/"))
        .cloned()
        .collect()
}

#[test]
fn files_at_start_and_writes_survive_a_process_crash() {
    let (mut sim, id) = sim_with("appendonly yes\n");
    assert_eq!(
        file_names(&sim, id),
        [
            "appendonlydir/appendonly.aof.1.base.rdb",
            "appendonlydir/appendonly.aof.1.incr.aof",
            "appendonlydir/appendonly.aof.manifest"
        ]
    );
    assert_eq!(cmd(&mut sim, id, &["SET", "k", "v"]), "OK");
    assert_eq!(cmd(&mut sim, id, &["SELECT", "3"]), "OK");
    sim.crash(id);
    sim.restart(id);
    sim.run_for(100);
    assert_eq!(cmd(&mut sim, id, &["GET", "k"]), "v");
}

#[test]
fn a_machine_crash_loses_unsynced_everysec_writes_but_not_always_ones() {
    for (policy, kept) in [("everysec", false), ("always", true)] {
        let (mut sim, id) = sim_with(&format!("appendonly yes\nappendfsync {policy}\n"));
        // Let the first second's fsync of the empty file pass.
        sim.run_for(2_000);
        // The first write after a second syncs (everysec); the next one in
        // the same second waits for the next.
        assert_eq!(cmd(&mut sim, id, &["SET", "k0", "v"]), "OK");
        assert_eq!(cmd(&mut sim, id, &["SET", "k", "v"]), "OK");
        sim.machine_crash(id);
        sim.restart(id);
        sim.run_for(100);
        assert_eq!(cmd(&mut sim, id, &["GET", "k0"]), "v");
        let got = cmd(&mut sim, id, &["GET", "k"]);
        assert_eq!(got == "v", kept, "{policy}: {got}");
    }
}

#[test]
fn everysec_writes_survive_a_machine_crash_after_the_next_second() {
    let (mut sim, id) = sim_with("appendonly yes\n");
    assert_eq!(cmd(&mut sim, id, &["SET", "k", "v"]), "OK");
    sim.run_for(2_500);
    sim.machine_crash(id);
    sim.restart(id);
    sim.run_for(100);
    assert_eq!(cmd(&mut sim, id, &["GET", "k"]), "v");
}

/// `appendfsync everysec` under a steady stream of writes, 20 machine
/// crashes at spread-out moments: every write acknowledged two seconds (of
/// the simulator's clock) or more before the crash is there after the
/// restart, and nothing that was never acknowledged is. The window lost
/// each time is printed (`--nocapture`).
#[test]
fn everysec_machine_crash_loses_at_most_the_last_two_seconds() {
    let mut worst = 0;
    for k in 0..20u64 {
        let crash_after = 600 + k * 437;
        let (mut sim, id) = sim_with("appendonly yes\nappendfsync everysec\n");
        let start = sim.now;
        // (when acknowledged, the counter's value then)
        let mut acked: Vec<(u64, i64)> = Vec::new();
        while sim.now < start + crash_after {
            let v = cmd(&mut sim, id, &["INCR", "counter"]);
            acked.push((sim.now, v.parse().expect("INCR's reply")));
            sim.run_for(7);
        }
        let crash = sim.now;
        sim.machine_crash(id);
        sim.restart(id);
        sim.run_for(100);
        let got = match cmd(&mut sim, id, &["GET", "counter"]).as_str() {
            "(nil)" => 0,
            v => v.parse::<i64>().expect("a counter"),
        };
        let must = acked
            .iter()
            .filter(|(t, _)| t + 2_000 <= crash)
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0);
        let last = acked.last().map_or(0, |(_, v)| *v);
        assert!(
            (must..=last).contains(&got),
            "crash after {crash_after} ms: {got} kept, at least {must} and at most {last} expected"
        );
        // How long before the crash the first lost write was acknowledged.
        let window = acked
            .iter()
            .find(|(_, v)| *v > got)
            .map_or(0, |(t, _)| crash - t);
        worst = worst.max(window);
        eprintln!(
            "machine crash after {crash_after} ms: {} writes lost, the last {window} ms",
            last - got
        );
    }
    eprintln!("everysec, 20 machine crashes: at most the last {worst} ms lost");
}

#[test]
fn a_rewrite_replaces_the_base_and_deletes_history() {
    for preamble in ["yes", "no"] {
        let (mut sim, id) = sim_with(&format!(
            "appendonly yes\naof-use-rdb-preamble {preamble}\n"
        ));
        for i in 0..50 {
            let k = format!("k{i}");
            cmd(&mut sim, id, &["RPUSH", &k, "a", "b"]);
        }
        cmd(&mut sim, id, &["PEXPIRE", "k1", "100000000"]);
        assert_eq!(
            cmd(&mut sim, id, &["BGREWRITEAOF"]),
            "Background append only file rewriting started"
        );
        sim.run_for(1_000);
        cmd(&mut sim, id, &["SET", "after", "1"]);
        let ext = if preamble == "yes" { "rdb" } else { "aof" };
        assert_eq!(
            file_names(&sim, id),
            [
                format!("appendonlydir/appendonly.aof.2.base.{ext}"),
                "appendonlydir/appendonly.aof.2.incr.aof".to_string(),
                "appendonlydir/appendonly.aof.manifest".to_string()
            ]
        );
        sim.crash(id);
        sim.restart(id);
        sim.run_for(100);
        assert_eq!(cmd(&mut sim, id, &["DBSIZE"]), "51");
        assert_eq!(
            cmd(&mut sim, id, &["LRANGE", "k7", "0", "-1"]),
            "Some(Array([Bulk(b\"a\"), Bulk(b\"b\")]))"
        );
        assert_ne!(cmd(&mut sim, id, &["TTL", "k1"]), "-1");
    }
}

#[test]
fn a_truncated_tail_is_cut_and_loaded_when_allowed() {
    let (mut sim, id) = sim_with("appendonly yes\n");
    cmd(&mut sim, id, &["SET", "a", "1"]);
    cmd(&mut sim, id, &["SET", "b", "2"]);
    sim.crash(id);
    let incr = "appendonlydir/appendonly.aof.1.incr.aof".to_string();
    let full = sim.hosts[id].disk[&incr].len();
    sim.hosts[id]
        .disk
        .get_mut(&incr)
        .unwrap()
        .truncate(full - 3);
    sim.restart(id);
    sim.run_for(100);
    assert_eq!(cmd(&mut sim, id, &["GET", "a"]), "1");
    assert_eq!(cmd(&mut sim, id, &["GET", "b"]), "(nil)");
    let now = sim.hosts[id].disk[&incr].len();
    assert!(now < full - 3, "the file was cut: {now} of {full}");
    assert!(sim.trace.entries.iter().any(|e| e.text.contains(
        "AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled"
    )));
}

#[test]
fn config_set_appendonly_writes_a_base_first() {
    let (mut sim, id) = sim_with("");
    cmd(&mut sim, id, &["SET", "x", "1"]);
    assert_eq!(
        cmd(&mut sim, id, &["CONFIG", "SET", "appendonly", "yes"]),
        "OK"
    );
    sim.run_for(1_000);
    cmd(&mut sim, id, &["SET", "y", "2"]);
    assert_eq!(
        file_names(&sim, id),
        [
            "appendonlydir/appendonly.aof.1.base.rdb",
            "appendonlydir/appendonly.aof.1.incr.aof",
            "appendonlydir/appendonly.aof.manifest"
        ]
    );
    sim.crash(id);
    sim.restart(id);
    sim.run_for(100);
    // The node's config file was not rewritten: it starts with AOF off and
    // reads no dump.rdb, so nothing — unless it is told appendonly yes.
    let spec = &mut sim.hosts[id].spec;
    spec.config.push_str("\nappendonly yes\n");
    sim.restart(id);
    sim.run_for(100);
    assert_eq!(
        cmd(&mut sim, id, &["MGET", "x", "y"]),
        "Some(Array([Bulk(b\"1\"), Bulk(b\"2\")]))"
    );
}

#[test]
fn a_replica_with_aof_rewrites_after_its_full_sync_and_logs_its_master_writes() {
    let (mut sim, m) = sim_with("");
    cmd(&mut sim, m, &["SET", "before", "1"]);
    let spec = NodeSpec {
        name: "r".into(),
        kind: "server".into(),
        config: "port 6379\nprotected-mode no\nappendonly yes\nreplicaof 10.0.0.1 6379\n".into(),
    };
    let r = sim.add_host(spec, Addr::new("10.0.0.2", 6379), factory::server_node);
    // repl-diskless-sync-delay is 5 s.
    sim.run_for(8_000);
    cmd(&mut sim, m, &["SET", "after", "2"]);
    sim.run_for(1_000);
    let texts: Vec<&str> = sim
        .trace
        .entries
        .iter()
        .filter(|e| e.host == "r")
        .map(|e| e.text.as_str())
        .collect();
    let synced = texts
        .iter()
        .position(|t| t.contains("MASTER <-> REPLICA sync: Finished with success"))
        .unwrap_or_else(|| panic!("not synced: {texts:#?}"));
    assert!(texts[synced..]
        .iter()
        .any(|t| t.contains("Background append only file rewriting started")));
    // The replica restarts from its own AOF, without its master.
    sim.crash(m);
    sim.restart(r);
    sim.run_for(100);
    assert_eq!(cmd(&mut sim, r, &["GET", "before"]), "1");
    assert_eq!(cmd(&mut sim, r, &["GET", "after"]), "2");
}

#[test]
fn an_old_style_aof_is_moved_into_the_directory() {
    let (mut sim, id) = sim_with("appendonly yes\n");
    sim.crash(id);
    sim.hosts[id].disk.clear();
    let old = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    sim.hosts[id]
        .disk
        .insert("appendonly.aof".into(), old.to_vec());
    sim.restart(id);
    sim.run_for(100);
    assert_eq!(cmd(&mut sim, id, &["GET", "k"]), "v");
    let disk = &sim.hosts[id].disk;
    assert!(!disk.contains_key("appendonly.aof"));
    assert_eq!(disk["appendonlydir/appendonly.aof"], old.to_vec());
    assert_eq!(
        String::from_utf8_lossy(&disk["appendonlydir/appendonly.aof.manifest"]),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
}

#[test]
fn an_unfinished_transaction_at_the_end_is_reverted() {
    let (mut sim, id) = sim_with("appendonly yes\n");
    cmd(&mut sim, id, &["SET", "a", "1"]);
    sim.crash(id);
    let incr = "appendonlydir/appendonly.aof.1.incr.aof".to_string();
    let f = sim.hosts[id].disk.get_mut(&incr).unwrap();
    let before = f.len();
    f.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
    sim.restart(id);
    sim.run_for(100);
    assert_eq!(
        cmd(&mut sim, id, &["MGET", "a", "b"]),
        "Some(Array([Bulk(b\"1\"), Null]))"
    );
    assert_eq!(sim.hosts[id].disk[&incr].len(), before);
}

#[test]
fn a_corrupt_manifest_is_refused_with_aof_c_s_lines() {
    let (mut sim, id) = sim_with("appendonly yes\n");
    sim.crash(id);
    sim.hosts[id].disk.insert(
        "appendonlydir/appendonly.aof.manifest".into(),
        b"file appendonly.aof.1.incr.aof seq 1 type x\n".to_vec(),
    );
    sim.restart(id);
    assert!(sim
        .trace
        .entries
        .iter()
        .any(|e| e.text.contains("Unknown AOF file type")));
}

/// A full disk (flushAppendOnlyFile's error path): the write that hit it
/// was already executed and stays in the buffer; later writes and PING
/// are refused with 7.0's MISCONF until a retry gets in, and nothing that
/// was acknowledged is missing after a restart.
#[test]
fn a_full_disk_refuses_writes_until_the_aof_can_be_written_again() {
    let (mut sim, id) = sim_with("appendonly yes\nappendfsync everysec\n");
    assert_eq!(cmd(&mut sim, id, &["SET", "before", "1"]), "OK");
    sim.hosts[id].disk_full = true;
    assert_eq!(cmd(&mut sim, id, &["SET", "lost-disk", "1"]), "OK");
    sim.run_for(10);
    let misconf = "MISCONF Errors writing to the AOF file: No space left on device";
    let refused = format!("Some(Error({misconf:?}))");
    assert_eq!(cmd(&mut sim, id, &["SET", "k", "v"]), refused);
    assert_eq!(cmd(&mut sim, id, &["PING"]), refused);
    let info = cmd(&mut sim, id, &["INFO", "persistence"]);
    assert!(info.contains("aof_last_write_status:err"), "{info}");
    let script = cmd(
        &mut sim,
        id,
        &["EVAL", "return redis.call('set','k','v')", "0"],
    );
    assert!(script.contains("MISCONF"), "{script}");
    assert_eq!(cmd(&mut sim, id, &["GET", "before"]), "1");
    assert!(sim.trace.contains(
        "a",
        "Error writing to the AOF file: No space left on device"
    ));
    // Retried every second while the disk is full; in once there is room.
    sim.run_for(2_500);
    assert_eq!(cmd(&mut sim, id, &["SET", "k", "v"]), refused);
    sim.hosts[id].disk_full = false;
    sim.run_for(2_500);
    assert!(sim
        .trace
        .contains("a", "AOF write error looks solved, Redis can write again."));
    assert_eq!(cmd(&mut sim, id, &["SET", "after", "1"]), "OK");
    let info = cmd(&mut sim, id, &["INFO", "persistence"]);
    assert!(info.contains("aof_last_write_status:ok"), "{info}");
    sim.crash(id);
    sim.restart(id);
    sim.run_for(100);
    for key in ["before", "lost-disk", "after"] {
        assert_eq!(cmd(&mut sim, id, &["GET", key]), "1", "{key}");
    }
}

/// With `appendfsync always` a failed write cannot be taken back: the
/// server exits, as 7.0 does.
#[test]
fn a_full_disk_under_always_stops_the_server() {
    let (mut sim, id) = sim_with("appendonly yes\nappendfsync always\n");
    sim.hosts[id].disk_full = true;
    cmd(&mut sim, id, &["SET", "k", "v"]);
    sim.run_for(10);
    assert!(sim.trace.contains(
        "a",
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
    ));
    assert!(sim
        .trace
        .entries
        .iter()
        .any(|e| e.text.contains("Shutdown { exit_code: 1 }")));
}

/// The base a rewrite writes holds the function libraries (in the RDB
/// preamble, or as FUNCTION LOAD commands), so they survive a restart.
#[test]
fn a_rewrite_keeps_the_function_libraries() {
    let lib = "#!lua name=mylib\nredis.register_function('one', function() return 1 end)";
    for preamble in ["yes", "no"] {
        let (mut sim, id) = sim_with(&format!(
            "appendonly yes\naof-use-rdb-preamble {preamble}\n"
        ));
        assert_eq!(cmd(&mut sim, id, &["FUNCTION", "LOAD", lib]), "mylib");
        cmd(&mut sim, id, &["BGREWRITEAOF"]);
        sim.run_for(1_000);
        let base = if preamble == "yes" { "rdb" } else { "aof" };
        let name = format!("appendonlydir/appendonly.aof.2.base.{base}");
        let bytes = sim.hosts[id].disk[&name].clone();
        if preamble == "no" {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.starts_with("*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"),
                "{text}"
            );
        }
        sim.crash(id);
        sim.restart(id);
        sim.run_for(100);
        assert_eq!(
            cmd(&mut sim, id, &["FCALL", "one", "0"]),
            "1",
            "preamble {preamble}"
        );
    }
}
