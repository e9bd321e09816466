use crate::commands::testkit::{bulk, err, Kit, NULL, OK, T0, WRONGTYPE};

fn entry(id: &str, fields: &[&str]) -> String {
    let mut s = format!("*2\r\n{}*{}\r\n", bulk(id), fields.len());
    for f in fields {
        s.push_str(&bulk(f));
    }
    s
}

#[test]
fn xadd_generates_ids_and_propagates_them() {
    let mut t = Kit::new();
    assert_eq!(t.cmd(1, "XADD s * f v"), bulk(&format!("{T0}-0")));
    assert_eq!(t.cmd(1, "XADD s * f v"), bulk(&format!("{T0}-1")));
    assert_eq!(
        t.cmd(1, &format!("XADD s {T0}-* f v")),
        bulk(&format!("{T0}-2"))
    );
    assert_eq!(
        t.feed(),
        [
            format!("XADD s {T0}-0 f v"),
            format!("XADD s {T0}-1 f v"),
            format!("XADD s {T0}-2 f v"),
        ]
    );
    assert_eq!(t.cmd(1, "XLEN s"), ":3\r\n");
    assert_eq!(t.cmd(1, "TYPE s"), "+stream\r\n");
    assert_eq!(t.cmd(1, "OBJECT ENCODING s"), bulk("stream"));
}

#[test]
fn xadd_errors_as_7_0() {
    let mut t = Kit::new();
    assert_eq!(
        t.cmd(1, "XADD s 0-0 f v"),
        err("ERR The ID specified in XADD must be greater than 0-0")
    );
    assert_eq!(t.cmd(1, "EXISTS s"), ":0\r\n");
    t.cmd(1, "XADD s 5-5 f v");
    assert_eq!(
        t.cmd(1, "XADD s 5-5 f v"),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(
        t.cmd(1, "XADD s 5-x f v"),
        err("ERR Invalid stream ID specified as stream command argument")
    );
    assert_eq!(
        t.cmd(1, "XADD s 6-0 f"),
        err("ERR wrong number of arguments for 'xadd' command")
    );
    assert_eq!(
        t.cmd(1, "XADD s MAXLEN 1 MINID 1 * f v"),
        err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    );
    assert_eq!(
        t.cmd(1, "XADD s MAXLEN 1 LIMIT 5 * f v"),
        err("ERR syntax error, LIMIT cannot be used without the special ~ option")
    );
    assert_eq!(t.cmd(1, "XADD none NOMKSTREAM * f v"), NULL);
    t.cmd(1, "SET str x");
    assert_eq!(t.cmd(1, "XADD str * f v"), WRONGTYPE);
    t.cmd(1, "XSETID s 18446744073709551615-18446744073709551615");
    assert_eq!(
        t.cmd(1, "XADD s * f v"),
        err("ERR The stream has exhausted the last possible ID, unable to add more items")
    );
}

#[test]
fn ranges_with_exclusive_bounds_and_count() {
    let mut t = Kit::new();
    for i in 1..=4 {
        t.cmd(1, &format!("XADD s {i}-0 n {i}"));
    }
    assert_eq!(
        t.cmd(1, "XRANGE s (1-0 3"),
        format!(
            "*2\r\n{}{}",
            entry("2-0", &["n", "2"]),
            entry("3-0", &["n", "3"])
        )
    );
    assert_eq!(
        t.cmd(1, "XREVRANGE s + - COUNT 1"),
        format!("*1\r\n{}", entry("4-0", &["n", "4"]))
    );
    assert_eq!(t.cmd(1, "XRANGE s - + COUNT 0"), "*-1\r\n");
    assert_eq!(t.cmd(1, "XRANGE none - +"), "*0\r\n");
    assert_eq!(
        t.cmd(1, "XRANGE s (18446744073709551615-18446744073709551615 +"),
        err("ERR invalid start ID for the interval")
    );
    assert_eq!(
        t.cmd(1, "XRANGE s (- +"),
        err("ERR Invalid stream ID specified as stream command argument")
    );
}

#[test]
fn xdel_and_xtrim_keep_the_7_0_counters() {
    let mut t = Kit::new();
    for i in 1..=5 {
        t.cmd(1, &format!("XADD s {i}-0 n {i}"));
    }
    assert_eq!(t.cmd(1, "XDEL s 1-0 9-0"), ":1\r\n");
    assert_eq!(t.cmd(1, "XTRIM s MAXLEN 2"), ":2\r\n");
    let info = t.cmd(1, "XINFO STREAM s");
    assert!(info.contains(&format!("{}{}", bulk("max-deleted-entry-id"), bulk("1-0"))));
    assert!(info.contains(&format!("{}:5\r\n", bulk("entries-added"))));
    assert!(info.contains(&format!(
        "{}{}",
        bulk("recorded-first-entry-id"),
        bulk("4-0")
    )));
    t.feed();
    // Approximate trimming propagates its effect exactly.
    assert_eq!(t.cmd(1, "XTRIM s MAXLEN ~ 0"), ":2\r\n");
    assert_eq!(t.feed(), ["XTRIM s MAXLEN = 0"]);
    assert_eq!(t.cmd(1, "XLEN s"), ":0\r\n");
    assert_eq!(t.cmd(1, "EXISTS s"), ":1\r\n");
}

#[test]
fn xread_serves_and_blocks_until_xadd() {
    let mut t = Kit::new();
    t.cmd(1, "XADD s 1-0 a 1");
    assert_eq!(
        t.cmd(1, "XREAD STREAMS s 0"),
        format!(
            "*1\r\n*2\r\n{}*1\r\n{}",
            bulk("s"),
            entry("1-0", &["a", "1"])
        )
    );
    assert_eq!(t.cmd(1, "XREAD STREAMS s $"), "*-1\r\n");
    // `$` means what was last when the client blocked.
    assert_eq!(t.cmd(2, "XREAD BLOCK 0 STREAMS s $"), "");
    t.cmd(1, "XADD s 2-0 a 2");
    assert_eq!(
        t.take(2),
        format!(
            "*1\r\n*2\r\n{}*1\r\n{}",
            bulk("s"),
            entry("2-0", &["a", "2"])
        )
    );
    assert_eq!(t.cmd(3, "XREAD BLOCK 100 STREAMS s $"), "");
    t.tick(200);
    assert_eq!(t.take(3), "*-1\r\n");
    assert_eq!(
        t.cmd(1, "XREAD BLOCK -1 STREAMS s $"),
        err("ERR timeout is negative")
    );
}

#[test]
fn xreadgroup_records_pending_and_propagates_xclaim() {
    let mut t = Kit::new();
    t.cmd(1, "XADD s 1-0 a 1");
    t.cmd(1, "XADD s 2-0 a 2");
    assert_eq!(t.cmd(1, "XGROUP CREATE s g 0"), OK);
    t.feed();
    assert_eq!(
        t.cmd(1, "XREADGROUP GROUP g alice COUNT 1 STREAMS s >"),
        format!(
            "*1\r\n*2\r\n{}*1\r\n{}",
            bulk("s"),
            entry("1-0", &["a", "1"])
        )
    );
    assert_eq!(
        t.feed(),
        [format!(
            "XCLAIM s g alice 0 1-0 TIME {T0} RETRYCOUNT 1 FORCE JUSTID LASTID 1-0"
        )]
    );
    assert_eq!(
        t.cmd(1, "XPENDING s g"),
        format!(
            "*4\r\n:1\r\n{}{}*1\r\n*2\r\n{}{}",
            bulk("1-0"),
            bulk("1-0"),
            bulk("alice"),
            bulk("1")
        )
    );
    // NOACK moves the group without a PEL entry: XGROUP SETID instead.
    t.cmd(1, "XREADGROUP GROUP g bob NOACK STREAMS s >");
    assert_eq!(
        t.feed(),
        [
            "MULTI",
            "XGROUP CREATECONSUMER s g bob",
            "XGROUP SETID s g 2-0 ENTRIESREAD 2",
            "EXEC"
        ]
    );
    assert_eq!(t.cmd(1, "XACK s g 1-0 1-0"), ":1\r\n");
    assert_eq!(
        t.cmd(1, "XREADGROUP GROUP nog c STREAMS s >"),
        err("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option")
    );
}

#[test]
fn blocked_xreadgroup_wakes_on_xadd_and_fails_when_the_group_goes() {
    let mut t = Kit::new();
    t.cmd(1, "XGROUP CREATE s g $ MKSTREAM");
    assert_eq!(t.cmd(2, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"), "");
    t.cmd(1, "XADD s 7-0 k v");
    assert_eq!(
        t.take(2),
        format!(
            "*1\r\n*2\r\n{}*1\r\n{}",
            bulk("s"),
            entry("7-0", &["k", "v"])
        )
    );
    assert_eq!(t.cmd(2, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"), "");
    t.cmd(1, "XGROUP DESTROY s g");
    assert_eq!(
        t.take(2),
        err("NOGROUP the consumer group this client was blocked on no longer exists")
    );
    t.cmd(1, "XGROUP CREATE s g $");
    assert_eq!(t.cmd(2, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >"), "");
    t.cmd(1, "DEL s");
    assert_eq!(t.take(2), err("UNBLOCKED the stream key no longer exists"));
}

#[test]
fn xclaim_and_xautoclaim_move_pending_entries() {
    let mut t = Kit::new();
    for i in 1..=3 {
        t.cmd(1, &format!("XADD s {i}-0 a {i}"));
    }
    t.cmd(1, "XGROUP CREATE s g 0");
    t.cmd(1, "XREADGROUP GROUP g alice STREAMS s >");
    t.advance(100);
    assert_eq!(t.cmd(1, "XCLAIM s g bob 1000 1-0 JUSTID"), "*0\r\n");
    assert_eq!(
        t.cmd(1, "XCLAIM s g bob 50 1-0 JUSTID"),
        format!("*1\r\n{}", bulk("1-0"))
    );
    t.cmd(1, "XDEL s 2-0");
    t.feed();
    assert_eq!(
        t.cmd(1, "XAUTOCLAIM s g carol 0 0 COUNT 10 JUSTID"),
        format!(
            "*3\r\n{}*2\r\n{}{}*1\r\n{}",
            bulk("0-0"),
            bulk("1-0"),
            bulk("3-0"),
            bulk("2-0")
        )
    );
    assert_eq!(t.feed().len(), 5, "MULTI, three XCLAIMs, EXEC");
    assert_eq!(
        t.cmd(1, "XCLAIM s g bob 0 1-0 FOO"),
        err("ERR Unrecognized XCLAIM option 'FOO'")
    );
    assert_eq!(
        t.cmd(1, "XAUTOCLAIM s g bob 0 0 COUNT 0"),
        err("ERR COUNT must be > 0")
    );
    assert_eq!(
        t.cmd(1, "XINFO CONSUMERS s g").matches("name").count(),
        3,
        "alice, bob, carol"
    );
}

#[test]
fn xgroup_and_xinfo_help_and_errors() {
    let mut t = Kit::new();
    assert_eq!(
        t.cmd(1, "XGROUP CREATE s g $"),
        err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
    );
    t.cmd(1, "XGROUP CREATE s g $ MKSTREAM");
    assert_eq!(
        t.cmd(1, "XGROUP CREATE s g $"),
        err("BUSYGROUP Consumer Group name already exists")
    );
    assert_eq!(
        t.cmd(1, "XGROUP SETID s nog 0"),
        err("NOGROUP No such consumer group 'nog' for key name 's'")
    );
    assert_eq!(
        t.cmd(1, "XGROUP FOO"),
        err("ERR unknown subcommand 'FOO'. Try XGROUP HELP.")
    );
    assert!(t.cmd(1, "XGROUP HELP").starts_with("*17\r\n"));
    assert!(t.cmd(1, "XINFO HELP").starts_with("*9\r\n"));
    assert_eq!(t.cmd(1, "XINFO STREAM none"), err("ERR no such key"));
    assert_eq!(t.cmd(1, "XGROUP CREATECONSUMER s g c"), ":1\r\n");
    assert_eq!(t.cmd(1, "XGROUP DELCONSUMER s g c"), ":0\r\n");
    assert_eq!(t.cmd(1, "XGROUP DESTROY s g"), ":1\r\n");
}

#[test]
fn xsetid_checks() {
    let mut t = Kit::new();
    assert_eq!(t.cmd(1, "XSETID s 1-1"), err("ERR no such key"));
    t.cmd(1, "XADD s 5-0 a b");
    assert_eq!(
        t.cmd(1, "XSETID s 1-1"),
        err("ERR The ID specified in XSETID is smaller than the target stream top item")
    );
    assert_eq!(
        t.cmd(1, "XSETID s 9-0 ENTRIESADDED 0"),
        err("ERR The entries_added specified in XSETID is smaller than the target stream length")
    );
    assert_eq!(t.cmd(1, "XSETID s 9-0 ENTRIESADDED 7 MAXDELETEDID 3-0"), OK);
    let info = t.cmd(1, "XINFO STREAM s");
    assert!(info.contains(&format!("{}{}", bulk("last-generated-id"), bulk("9-0"))));
    assert!(info.contains(&format!("{}:7\r\n", bulk("entries-added"))));
}

#[test]
fn digest_sort_and_scan_cover_streams() {
    let mut t = Kit::new();
    t.srv
        .st
        .config
        .set(
            crate::server::config::Key::ENABLE_DEBUG_COMMAND,
            &["yes".into()],
        )
        .unwrap();
    t.cmd(1, "XADD s 1-0 a 1");
    let digest = t.cmd(1, "DEBUG DIGEST-VALUE s");
    assert_ne!(digest, bulk(&"0".repeat(40)));
    // Groups are not part of the digest; entries are.
    t.cmd(1, "XGROUP CREATE s g 0");
    assert_eq!(t.cmd(1, "DEBUG DIGEST-VALUE s"), digest);
    t.cmd(1, "XADD s 2-0 a 1");
    assert_ne!(t.cmd(1, "DEBUG DIGEST-VALUE s"), digest);
    assert_eq!(t.cmd(1, "SORT s"), WRONGTYPE);
    t.cmd(1, "SET str x");
    assert_eq!(
        t.cmd(1, "SCAN 0 TYPE stream"),
        format!("*2\r\n{}*1\r\n{}", bulk("0"), bulk("s"))
    );
}

/// What 7.0's "... can propagate correctly" tests check through an AOF:
/// the propagated commands give the same stream on a server whose nodes
/// are cut differently (so `~` would trim differently there).
#[test]
fn approximate_trims_replay_the_same_on_other_node_sizes() {
    let cases: &[(&str, &[&str], u64)] = &[
        ("10", &["XADD s MAXLEN ~ 55 LIMIT 30 * x v"], 71),
        ("10", &["XADD s MINID ~ 55 LIMIT 30 * x v"], 71),
        ("10", &["XTRIM s MAXLEN ~ 85"], 90),
        ("100", &["XADD s MAXLEN ~ 100 * x v"], 101),
        ("100", &["XADD s MINID ~ 100 * x v"], 101),
        ("100", &["XADD s MAXLEN 200 * x v"], 101),
    ];
    for (entries, cmds, len) in cases {
        let mut t = Kit::new();
        t.cmd(1, &format!("CONFIG SET stream-node-max-entries {entries}"));
        for i in 1..=100 {
            t.cmd(1, &format!("XADD s {i}-1 x v"));
        }
        for c in cmds.iter() {
            t.cmd(1, c);
        }
        assert_eq!(t.cmd(1, "XLEN s"), format!(":{len}\r\n"), "{cmds:?}");
        // Replayed as the master's link (or an AOF load) runs them.
        let mut replica = Kit::new();
        replica.cmd(2, "CONFIG SET stream-node-max-entries 1");
        replica.connect(1);
        replica.client(1).kind = crate::server::client::ClientKind::Master;
        for line in t.feed() {
            if !line.starts_with("CONFIG") {
                replica.cmd(1, &line);
            }
        }
        assert_eq!(replica.cmd(2, "XLEN s"), format!(":{len}\r\n"), "{cmds:?}");
        assert_eq!(replica.cmd(2, "XRANGE s - +"), t.cmd(1, "XRANGE s - +"));
    }
}

/// The AOF rewrite form of streams (`server::aof::rewrite`) rebuilds them:
/// entries, counters, groups, pending entries and consumers without any.
#[test]
fn aof_rewrite_commands_rebuild_streams() {
    let mut t = Kit::new();
    for i in 1..=5 {
        t.cmd(1, &format!("XADD s {i}-0 f {i}"));
    }
    t.cmd(1, "XDEL s 5-0");
    t.cmd(1, "XGROUP CREATE s g 0");
    t.cmd(1, "XREADGROUP GROUP g alice COUNT 2 STREAMS s >");
    t.cmd(1, "XGROUP CREATECONSUMER s g bob");
    t.cmd(1, "XADD e MAXLEN 0 9-0 a b");
    let full = |k: &mut Kit, key: &str| {
        let r = k.cmd(2, &format!("XINFO STREAM {key} FULL"));
        // Consumers' seen-time is the replaying server's clock.
        r.split("seen-time")
            .map(|p| match p.strip_prefix("\r\n:") {
                Some(rest) => rest.split_once("\r\n").map_or("", |x| x.1),
                None => p,
            })
            .collect::<Vec<_>>()
            .join("|")
    };
    let commands = crate::server::aof::rewrite::commands_of(&t.srv.st.dbs, &[], None);
    let mut copy = Kit::new();
    assert!(!copy.raw(1, &commands).contains("-ERR"));
    for key in ["s", "e"] {
        assert_eq!(full(&mut copy, key), full(&mut t, key), "{key}");
    }
}

/// 7.0's "MULTI propagation of XREADGROUP" and "Blocking commands ignores
/// the timeout": inside EXEC the XCLAIMs join the transaction's MULTI / EXEC
/// and a blocking read answers at once.
#[test]
fn xreadgroup_inside_multi() {
    let mut t = Kit::new();
    for i in 1..=3 {
        t.cmd(1, &format!("XADD s {i}-0 f v"));
    }
    t.cmd(1, "XGROUP CREATE s g 0");
    t.feed();
    t.cmd(1, "MULTI");
    t.cmd(1, "XREADGROUP GROUP g c COUNT 2 STREAMS s >");
    t.cmd(1, "XREADGROUP GROUP g c STREAMS s >");
    t.cmd(1, "XREAD BLOCK 0 STREAMS s $");
    t.cmd(1, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
    let reply = t.cmd(1, "EXEC");
    assert!(reply.ends_with("*-1\r\n*-1\r\n"), "{reply}");
    let feed = t.feed();
    let names: Vec<&str> = feed.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(names, ["MULTI", "XCLAIM", "XCLAIM", "XCLAIM", "EXEC"]);
}

/// WATCH sees what 7.0 signals: new entries, deletions, trims, a stream
/// created by XGROUP CREATE MKSTREAM; not PEL or group changes.
#[test]
fn watch_sees_what_7_0_signals() {
    let setup = |t: &mut Kit| {
        t.cmd(1, "XADD s 1-0 f v");
        t.cmd(1, "XADD s 2-0 f v");
        t.cmd(1, "XGROUP CREATE s g 0");
        t.cmd(1, "XREADGROUP GROUP g c STREAMS s >");
    };
    for (cmd, aborts) in [
        ("XACK s g 1-0", false),
        ("XCLAIM s g d 0 1-0", false),
        ("XAUTOCLAIM s g d 0 0", false),
        ("XSETID s 9-0", false),
        ("XGROUP DESTROY s g", false),
        ("XGROUP SETID s g 0", false),
        ("XDEL s 1-0", true),
        ("XTRIM s MAXLEN 0", true),
        ("XADD s 5-0 a b", true),
        ("XGROUP CREATE new g $ MKSTREAM", true),
    ] {
        let mut t = Kit::new();
        setup(&mut t);
        let key = if cmd.contains("new") { "new" } else { "s" };
        t.cmd(1, &format!("WATCH {key}"));
        t.cmd(2, cmd);
        t.cmd(1, "MULTI");
        t.cmd(1, "PING");
        let exec = t.cmd(1, "EXEC");
        assert_eq!(exec == "*-1\r\n", aborts, "{cmd}: {exec}");
    }
}
