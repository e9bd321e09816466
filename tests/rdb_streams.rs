//! Streams through RDB files, both ways, with the real Redis 7.0.15 (skipped
//! where it is not installed): a dataset built by the same commands on ours
//! and on real; our dump.rdb loaded by real and real's by ours must show the
//! same XINFO STREAM FULL, and the values' DUMP bytes must match.

mod common;
use common::conn::Conn;
use common::real_redis::RealRedis;
use common::{real_redis_server, start_ours, tmpdir};
use sentinel_lab::resp::Frame;

/// Commands that build streams covering every part of the format: several
/// nodes, entries with and without the master fields, tombstones, integer
/// and string values, an emptied stream, groups with PELs and consumers.
/// Times are given explicitly (TIME) where they enter the file.
fn build(c: &mut Conn) {
    c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "7"]);
    for i in 1..=40u64 {
        let (f, v) = if i % 5 == 0 {
            ("other", format!("text {i}"))
        } else {
            ("n", (i * 1000003).to_string())
        };
        let id = format!("{}-{}", 1_700_000_000_000u64 + i / 3, i % 3);
        for key in ["s", "p"] {
            c.cmd(&["XADD", key, &id, f, &v, "tail", "-17"]);
        }
    }
    for key in ["s", "p"] {
        c.cmd(&["XDEL", key, "1700000000002-2", "1700000000004-1"]);
        c.cmd(&["XTRIM", key, "MAXLEN", "35"]);
    }
    c.cmd(&["XGROUP", "CREATE", "s", "g1", "0"]);
    c.cmd(&["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "3"]);
    for (id, who) in [
        ("1700000000005-0", "alice"),
        ("1700000000006-0", "alice"),
        ("1700000000007-1", "bob"),
    ] {
        c.cmd(&[
            "XCLAIM",
            "s",
            "g1",
            who,
            "0",
            id,
            "TIME",
            "1700000001000",
            "RETRYCOUNT",
            "3",
            "FORCE",
            "JUSTID",
            "LASTID",
            id,
        ]);
    }
    c.cmd(&["XADD", "e", "1-1", "a", "b"]);
    c.cmd(&["XDEL", "e", "1-1"]);
    c.cmd(&["XGROUP", "CREATE", "e", "g", "$"]);
    c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "100"]);
}

/// XINFO STREAM FULL with the consumers' seen-time (the clock) blanked.
fn info(c: &mut Conn, key: &str) -> String {
    let f = c.cmd(&["XINFO", "STREAM", key, "FULL", "COUNT", "0"]);
    let s = format!("{f:?}");
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(i) = rest.find("seen-time") {
        let j = i + rest[i..].find("Integer(").expect("seen-time value");
        let k = j + rest[j..].find(')').expect("closing paren");
        out.push_str(&rest[..j]);
        out.push('T');
        rest = &rest[k + 1..];
    }
    out.push_str(rest);
    out
}

fn dump(c: &mut Conn, key: &str) -> Frame {
    c.cmd(&["CONFIG", "SET", "rdbcompression", "no"]);
    let f = c.cmd(&["DUMP", key]);
    c.cmd(&["CONFIG", "SET", "rdbcompression", "yes"]);
    f
}

#[test]
fn stream_rdb_interop_with_real_redis() {
    if real_redis_server().is_none() {
        eprintln!("redis-server not installed; skipped");
        return;
    }
    let dir = tmpdir("rdb-streams");
    let d = dir.to_string_lossy().into_owned();
    let ours = start_ours(&["--dir", &d, "--dbfilename", "dump.rdb"]);
    let mut o = ours.connect();
    build(&mut o);
    let Some(real) = RealRedis::start(None) else {
        return;
    };
    let mut r = real.srv.connect();
    build(&mut r);
    for key in ["s", "p", "e"] {
        assert_eq!(info(&mut o, key), info(&mut r, key), "{key}");
    }
    // The consumers' seen-time is in the bytes: compare the others.
    for key in ["p", "e"] {
        assert_eq!(dump(&mut o, key), dump(&mut r, key), "DUMP {key}");
    }

    // Ours → dump.rdb → real.
    assert_eq!(o.cmd(&["SAVE"]), Frame::Simple("OK".into()));
    let file = std::fs::read(dir.join("dump.rdb")).expect("our dump.rdb");
    let loaded = RealRedis::start_with_rdb(&file).expect("real");
    assert!(
        loaded.log().contains("Done loading RDB, keys loaded: 3"),
        "{}",
        loaded.log()
    );
    let mut l = loaded.srv.connect();
    for key in ["s", "p", "e"] {
        let exact = |c: &mut Conn| format!("{:?}", c.cmd(&["XINFO", "STREAM", key, "FULL"]));
        assert_eq!(exact(&mut l), exact(&mut o), "{key} loaded by real");
        assert_eq!(
            dump(&mut l, key),
            dump(&mut o, key),
            "DUMP {key} loaded by real"
        );
    }

    // Real → dump.rdb → ours.
    let saved = real.save();
    let dir2 = tmpdir("rdb-streams-real");
    std::fs::write(dir2.join("dump.rdb"), &saved).unwrap();
    let d2 = dir2.to_string_lossy().into_owned();
    let ours2 = start_ours(&["--dir", &d2, "--dbfilename", "dump.rdb"]);
    let mut o2 = ours2.connect();
    for key in ["s", "p", "e"] {
        let exact = |c: &mut Conn| format!("{:?}", c.cmd(&["XINFO", "STREAM", key, "FULL"]));
        assert_eq!(exact(&mut o2), exact(&mut r), "{key} loaded by ours");
        assert_eq!(
            dump(&mut o2, key),
            dump(&mut r, key),
            "DUMP {key} after load"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}
