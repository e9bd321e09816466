//! ACL against Debian's redis-server 7.0.15: the same SETUSER / GETUSER /
//! LIST / DRYRUN / LOG sequence and the same refused commands on both, replies
//! compared; and ACL users in replication and Sentinel links between real
//! servers and ours.
//!
//! Skipped (passing) when `redis-server` is not installed.

mod common;

use common::{cmd, missing, start_ours, start_real, text, wait_until, Conn, Proc};
use sentinel_lab::resp::Frame;

/// Rules of a user as GETUSER / LIST print them, with the single-command
/// rules after `+@all` / `-@all` sorted: 7.0 emits those in its command
/// dict's hash order, which differs from run to run.
fn normalise_rules(s: &str) -> String {
    let mut out = Vec::new();
    // Selectors of ACL LIST lines are in parentheses: each part on its own.
    for part in s.split(" (") {
        let toks: Vec<&str> = part.split(' ').collect();
        let Some(at) = toks.iter().position(|t| {
            let t = t.trim_start_matches('(');
            t == "+@all" || t == "-@all"
        }) else {
            out.push(part.to_string());
            continue;
        };
        let (head, cmds) = toks.split_at(at + 1);
        // Categories keep their order (they are chosen in a fixed order);
        // single commands are sorted.
        let cats: Vec<&str> = cmds.iter().copied().filter(|t| t.contains('@')).collect();
        let mut singles: Vec<&str> = cmds.iter().copied().filter(|t| !t.contains('@')).collect();
        singles.sort();
        let all: Vec<&str> = head.iter().copied().chain(cats).chain(singles).collect();
        out.push(all.join(" "));
    }
    out.join(" (")
}

/// A reply as text, rules normalised, for comparison.
fn show(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) => format!("${}", normalise_rules(&String::from_utf8_lossy(b))),
        Frame::Array(v) | Frame::Set(v) | Frame::Push(v) => {
            let items: Vec<String> = v.iter().map(show).collect();
            format!("[{}]", items.join(", "))
        }
        Frame::Map(v) => {
            let items: Vec<String> = v
                .iter()
                .map(|(k, v)| format!("{}: {}", show(k), show(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// ACL LOG entries without the fields that differ by nature (age,
/// client-info with its ids and ports).
fn show_log(f: &Frame) -> String {
    let Some(entries) = f.as_array() else {
        return show(f);
    };
    let v: Vec<String> = entries
        .iter()
        .map(|e| {
            let kv = common::pairs(e);
            kv.into_iter()
                .filter(|(k, _)| k != "age-seconds" && k != "client-info")
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    v.join("\n")
}

/// Connection `n` of each server (opened on first use).
struct Pair {
    real: Proc,
    ours: Proc,
    conns: Vec<(Conn, Conn)>,
}

impl Pair {
    fn start() -> Pair {
        Pair {
            real: start_real(&[]),
            ours: start_ours(&["--save", ""]),
            conns: Vec::new(),
        }
    }

    fn conn(&mut self, n: usize) -> &mut (Conn, Conn) {
        while self.conns.len() <= n {
            self.conns
                .push((Conn::connect(self.real.port), Conn::connect(self.ours.port)));
        }
        &mut self.conns[n]
    }

    /// Run `line` on connection `n` of both; the replies, shown.
    fn both(&mut self, n: usize, args: &[&str]) -> (String, String) {
        let is_log = args.len() >= 2
            && args[0].eq_ignore_ascii_case("acl")
            && args[1].eq_ignore_ascii_case("log");
        let (r, o) = self.conn(n);
        let (a, b) = (r.cmd(args), o.cmd(args));
        if is_log {
            (show_log(&a), show_log(&b))
        } else {
            (show(&a), show(&b))
        }
    }

    fn same(&mut self, n: usize, args: &[&str]) {
        let (a, b) = self.both(n, args);
        assert_eq!(a, b, "{args:?} on connection {n}");
    }
}

#[test]
fn diff_acl_rules_and_descriptions() {
    if missing(&["redis-server"]) {
        return;
    }
    let mut p = Pair::start();
    let script: &[&[&str]] = &[
        &[
            "ACL", "SETUSER", "alice", "on", ">pw", "~foo*", "&chan", "+@all", "-@string", "+get",
        ],
        &["ACL", "GETUSER", "alice"],
        &[
            "ACL",
            "SETUSER",
            "bob",
            "+@read",
            "-@hash",
            "+config|get",
            "+select|0",
            "%R~r*",
            "%W~w*",
            "(+set ~x*)",
            "(~y +@write)",
        ],
        &["ACL", "GETUSER", "bob"],
        &["ACL", "SETUSER", "c", "reset", "+@all", "-@dangerous"],
        &["ACL", "GETUSER", "c"],
        &[
            "ACL", "SETUSER", "c", "reset", "-@all", "+@set", "+@list", "+acl", "-sadd",
        ],
        &["ACL", "GETUSER", "c"],
        &[
            "ACL",
            "SETUSER",
            "d",
            "resetchannels",
            "&a",
            "&b",
            "nopass",
            "on",
            "%RW~q",
            "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        ],
        &["ACL", "GETUSER", "d"],
        &[
            "ACL",
            "SETUSER",
            "d",
            "!5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
            "<nope",
        ],
        &["ACL", "SETUSER", "e", "+memory|doctor"],
        &["ACL", "GETUSER", "e"],
        &[
            "ACL",
            "SETUSER",
            "e",
            "+memory",
            "+debug|object",
            "+debug|digest",
        ],
        &["ACL", "GETUSER", "e"],
        &[
            "ACL",
            "SETUSER",
            "f",
            "+@all",
            "-client",
            "+client|id",
            "+client|setname",
        ],
        &["ACL", "GETUSER", "f"],
        &[
            "ACL",
            "SETUSER",
            "f",
            "%R~foo",
            "%W~foo",
            "%RW~bar",
            "clearselectors",
            "(~k1 +get )",
            "( ~k2",
            "+get )",
        ],
        &["ACL", "GETUSER", "f"],
        &["ACL", "SETUSER", "g", "(this-is-invalid)"],
        &["ACL", "SETUSER", "g", "~*", "~x"],
        &["ACL", "SETUSER", "g", "&*", "&x"],
        &["ACL", "SETUSER", "g", "#abc"],
        &["ACL", "SETUSER", "g", "+config|get|x"],
        &["ACL", "SETUSER", "g", "+nosuch"],
        &["ACL", "SETUSER", "g", "+@nosuch"],
        &["ACL", "SETUSER", "g", "(~a"],
        &["ACL", "SETUSER", "g", ")"],
        &["ACL", "SETUSER", "g", "+debug|"],
        &["ACL", "SETUSER", "a b"],
        &["ACL", "GETUSER", "g"],
        &["ACL", "LIST"],
        &["ACL", "USERS"],
        &["ACL", "CAT"],
        &["ACL", "CAT", "nope"],
        &["ACL", "CAT", "a", "b"],
        &["ACL", "DRYRUN", "bob", "get", "r1"],
        &["ACL", "DRYRUN", "bob", "set", "r1", "x"],
        &["ACL", "DRYRUN", "bob", "lpush", "w1", "x"],
        &["ACL", "DRYRUN", "bob", "hget", "r1", "x"],
        &["ACL", "DRYRUN", "bob", "set", "x1", "x"],
        &["ACL", "DRYRUN", "bob", "select", "0"],
        &["ACL", "DRYRUN", "bob", "select", "1"],
        &["ACL", "DRYRUN", "nobody", "get", "x"],
        &["ACL", "DRYRUN", "bob", "nocmd"],
        &["ACL", "DRYRUN", "bob", "set", "x"],
        &["ACL", "DRYRUN", "d", "publish", "a", "m"],
        &["ACL", "DRYRUN", "d", "publish", "z", "m"],
        &["ACL", "WHOAMI"],
        &["ACL", "DELUSER", "default"],
        &["ACL", "DELUSER", "e", "nonexist"],
        &["ACL", "GENPASS", "5000"],
        &["ACL", "GENPASS", "x"],
        &["ACL", "LOAD"],
        &["ACL", "NOPE"],
        &["ACL", "LOG", "x"],
        &["ACL", "SETUSER", "t1", "allcommands", "-get", "+get"],
        &["ACL", "GETUSER", "t1"],
        &[
            "ACL",
            "SETUSER",
            "t2",
            "nocommands",
            "+@all",
            "-@all",
            "+@read",
            "+@write",
            "-@keyspace",
        ],
        &["ACL", "GETUSER", "t2"],
        &[
            "ACL",
            "SETUSER",
            "t3",
            "",
            "on",
            "off",
            "on",
            ">pw",
            ">pw",
            "skip-sanitize-payload",
            "resetkeys",
            "~a",
            "allkeys",
            "&x",
            "resetchannels",
            "&y",
        ],
        &["ACL", "GETUSER", "t3"],
        &["ACL", "SETUSER", "t4", "%RWx~a"],
        &["ACL", "SETUSER", "t4", "%~a"],
        &["ACL", "SETUSER", "t4", "%"],
        &["ACL", "SETUSER", "t4", "%R", "%rw~b", "%WR~b", "%W"],
        &["ACL", "GETUSER", "t4"],
        &[
            "ACL",
            "SETUSER",
            "t5",
            "+@all",
            "-client|kill",
            "-config",
            "+config|get",
            "-debug",
            "+debug|digest",
            "+select|1",
            "+select|2",
        ],
        &["ACL", "GETUSER", "t5"],
        &[
            "ACL",
            "SETUSER",
            "t6",
            "-@all",
            "+acl",
            "+client",
            "-client|list",
            "+@hash",
            "-hset",
        ],
        &["ACL", "GETUSER", "t6"],
        &["ACL", "SETUSER", "t6", "reset"],
        &["ACL", "GETUSER", "t6"],
        &["ACL", "SETUSER", "t7", "~a b"],
        &["ACL", "SETUSER", "t7", "(~a", "+get", ")"],
        &["ACL", "GETUSER", "t7"],
        &["ACL", "DRYRUN", "t5", "client", "kill", "id", "1"],
        &["ACL", "DRYRUN", "t5", "config", "set", "a", "b"],
        &["ACL", "DRYRUN", "t5", "config", "get", "a"],
        &["ACL", "DRYRUN", "t5", "select", "2"],
        &["ACL", "DRYRUN", "t5", "select", "3"],
        &["ACL", "DRYRUN", "t5", "client", "nosuch"],
        &["ACL", "DRYRUN", "t5", "config"],
        &["ACL", "LOG", "-1"],
        &["ACL", "LOG", "RESET", "x"],
        &["ACL", "LIST"],
    ];
    for args in script {
        p.same(0, args);
    }
}

#[test]
fn diff_acl_noperm_auth_and_log() {
    if missing(&["redis-server"]) {
        return;
    }
    let mut p = Pair::start();
    let script: &[(usize, &[&str])] = &[
        (
            0,
            &[
                "ACL", "SETUSER", "u1", "on", ">p1", "~k*", "&ch*", "+@all", "-ping",
            ],
        ),
        (1, &["AUTH", "u1", "wrong"]),
        (1, &["AUTH", "nouser", "x"]),
        (1, &["AUTH", "u1", "p1"]),
        (1, &["ACL", "WHOAMI"]),
        (1, &["PING"]),
        (1, &["GET", "k1"]),
        (1, &["GET", "x1"]),
        (1, &["MGET", "k1", "x1", "x2"]),
        (1, &["PUBLISH", "ch1", "m"]),
        (1, &["PUBLISH", "zz", "m"]),
        (1, &["MULTI"]),
        (1, &["GET", "x1"]),
        (1, &["SET", "k1", "v"]),
        (1, &["EXEC"]),
        (1, &["MULTI"]),
        (1, &["SET", "k1", "v"]),
        (0, &["ACL", "SETUSER", "u1", "-set"]),
        (1, &["EXEC"]),
        (0, &["ACL", "LOG"]),
        (2, &["HELLO", "2", "AUTH", "u1", "bad"]),
        (0, &["ACL", "LOG", "2"]),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "sel",
                "on",
                "nopass",
                "(+get ~a*)",
                "(+set ~b*)",
            ],
        ),
        (3, &["AUTH", "sel", "x"]),
        (3, &["GET", "a1"]),
        (3, &["GET", "b1"]),
        (3, &["SET", "b1", "x"]),
        (3, &["SET", "a1", "x"]),
        (3, &["SELECT", "0"]),
        (0, &["ACL", "SETUSER", "sel", "+select|0"]),
        (3, &["SELECT", "0"]),
        (3, &["SELECT", "1"]),
        (3, &["CLIENT", "ID"]),
        (
            0,
            &[
                "ACL", "SETUSER", "rw", "on", "nopass", "+@all", "%R~r*", "%W~w*",
            ],
        ),
        (4, &["AUTH", "rw", "x"]),
        (4, &["GET", "r1"]),
        (4, &["SET", "r1", "x"]),
        (4, &["LPUSH", "w1", "x"]),
        (4, &["GET", "w1"]),
        (4, &["SET", "w2", "x"]),
        (4, &["SET", "w2", "x", "GET"]),
        (4, &["COPY", "r1", "w3"]),
        (4, &["COPY", "w1", "r3"]),
        (4, &["BITFIELD", "r1", "GET", "u4", "0"]),
        (4, &["BITFIELD", "r1", "SET", "u4", "0", "1"]),
        (4, &["SORT", "w1", "BY", "x*"]),
        (0, &["ACL", "LOG", "20"]),
        (0, &["ACL", "LOG", "RESET"]),
        (0, &["ACL", "LOG"]),
        (0, &["ACL", "SETUSER", "default", "off"]),
        (5, &["PING"]),
        (5, &["AUTH", "u1", "p1"]),
        (5, &["PING"]),
        (0, &["ACL", "SETUSER", "default", "on"]),
        (0, &["CONFIG", "SET", "requirepass", "secret"]),
        (6, &["PING"]),
        (6, &["AUTH", "secret"]),
        (6, &["AUTH", "default", "secret"]),
        (0, &["ACL", "GETUSER", "default"]),
        (0, &["CONFIG", "SET", "requirepass", ""]),
        (0, &["ACL", "GETUSER", "default"]),
        (0, &["AUTH", "x"]),
    ];
    for (n, args) in script {
        p.same(*n, args);
    }
}

/// A user deleted or losing a channel disconnects its clients, as in 7.0.
#[test]
fn diff_acl_disconnects() {
    if missing(&["redis-server"]) {
        return;
    }
    let mut p = Pair::start();
    p.same(
        0,
        &[
            "ACL",
            "SETUSER",
            "ps",
            "on",
            "nopass",
            "+@all",
            "resetchannels",
            "&foo",
            "&bar",
        ],
    );
    p.same(1, &["AUTH", "ps", "x"]);
    p.same(1, &["CLIENT", "SETNAME", "sub"]);
    p.same(1, &["SUBSCRIBE", "foo"]);
    // Still allowed: stays.
    p.same(0, &["ACL", "SETUSER", "ps", "resetchannels", "&foo"]);
    let names = |port: u16| {
        let l = cmd(port, &["CLIENT", "LIST"])
            .map(|f| text(&f))
            .unwrap_or_default();
        l.contains("name=sub ")
    };
    assert!(names(p.real.port) && names(p.ours.port));
    p.same(0, &["ACL", "SETUSER", "ps", "resetchannels", "&other"]);
    assert!(wait_until(5, || !names(p.real.port)));
    assert!(wait_until(5, || !names(p.ours.port)));
    // DELUSER closes the user's connections.
    p.same(0, &["ACL", "SETUSER", "gone", "on", "nopass", "+@all"]);
    p.same(2, &["AUTH", "gone", "x"]);
    p.same(2, &["CLIENT", "SETNAME", "victim"]);
    p.same(0, &["ACL", "DELUSER", "gone"]);
    let victim = |port: u16| {
        cmd(port, &["CLIENT", "LIST"])
            .map(|f| text(&f))
            .unwrap_or_default()
            .contains("name=victim ")
    };
    assert!(wait_until(5, || !victim(p.real.port)));
    assert!(wait_until(5, || !victim(p.ours.port)));
    p.same(0, &["CLIENT", "KILL", "USER", "nosuch"]);
    p.same(0, &["CLIENT", "KILL", "USER", "ps"]);
}

/// COMMAND INFO and DOCS of ACL and its subcommands as 7.0's.
#[test]
fn diff_acl_command_info() {
    if missing(&["redis-server"]) {
        return;
    }
    let p = Pair::start();
    let info = |port: u16| {
        let f = cmd(port, &["COMMAND", "INFO", "acl"]).expect("reply");
        let entry = f.as_array().expect("array")[0]
            .as_array()
            .expect("entry")
            .to_vec();
        let mut subs: Vec<String> = entry[9]
            .as_array()
            .expect("subcommands")
            .iter()
            .map(show)
            .collect();
        // 7.0 lists subcommands in its dict's order: compare them sorted.
        subs.sort();
        (entry[..9].iter().map(show).collect::<Vec<_>>(), subs)
    };
    assert_eq!(info(p.real.port), info(p.ours.port));
    let docs = |port: u16| {
        let f = cmd(port, &["COMMAND", "DOCS", "acl"]).expect("reply");
        let entry = f.as_array().expect("array")[1].clone();
        let kv = common::pairs(&entry);
        kv.into_iter()
            .filter(|(k, _)| k == "summary" || k == "since" || k == "group")
            .collect::<Vec<_>>()
    };
    assert_eq!(docs(p.real.port), docs(p.ours.port));
}

/// The ACL user a replica authenticates with (`masteruser` / `masterauth`),
/// both ways between a real server and ours.
#[test]
fn replication_with_acl_user() {
    if missing(&["redis-server"]) {
        return;
    }
    let user = [
        "--user", "repl", "on", ">rpw", "+@all", "~*", "&*", "--user", "default", "on", "nopass",
        "+ping",
    ];
    for ours_is_master in [false, true] {
        let master = if ours_is_master {
            start_ours(&user)
        } else {
            start_real(&user)
        };
        let mport = master.port.to_string();
        let args = [
            "--replicaof",
            "127.0.0.1",
            &mport,
            "--masteruser",
            "repl",
            "--masterauth",
            "rpw",
        ];
        let replica = if ours_is_master {
            start_real(&args)
        } else {
            start_ours(&args)
        };
        let mut m = Conn::connect(master.port);
        assert_eq!(text(&m.cmd(&["AUTH", "repl", "rpw"])), "OK");
        assert_eq!(text(&m.cmd(&["SET", "k", "v"])), "OK");
        assert!(
            wait_until(15, || cmd(replica.port, &["GET", "k"]).map(|f| text(&f))
                == Some("v".into())),
            "ours master: {ours_is_master}\n{}\n{}",
            master.log_text(),
            replica.log_text()
        );
        // Nothing was refused on the way.
        let log = m.cmd(&["ACL", "LOG"]);
        assert_eq!(log.as_array().map(|a| a.len()), Some(0), "{log:?}");
    }
}

/// Our sentinel monitors real servers that let it in only as an ACL user
/// (`sentinel auth-user` / `auth-pass`): it discovers the replica and the
/// master's ACL LOG stays empty.
#[test]
fn sentinel_auth_user_with_acl_servers() {
    if missing(&["redis-server"]) {
        return;
    }
    let users = [
        "--user",
        "default",
        "on",
        "nopass",
        "+ping",
        "--user",
        "admin",
        "on",
        ">apw",
        "+@all",
        "~*",
        "&*",
        "--user",
        "sentinel-user",
        "on",
        ">spw",
        "allchannels",
        "+multi",
        "+slaveof",
        "+ping",
        "+exec",
        "+subscribe",
        "+config|rewrite",
        "+role",
        "+publish",
        "+info",
        "+client|setname",
        "+client|kill",
        "+script|kill",
        "--masteruser",
        "admin",
        "--masterauth",
        "apw",
    ];
    let master = start_real(&users);
    let mport = master.port.to_string();
    let mut rargs: Vec<&str> = users.to_vec();
    rargs.extend(["--replicaof", "127.0.0.1", &mport]);
    let replica = start_real(&rargs);
    let dir = common::tmpdir("acl-sentinel");
    let conf = dir.join("sentinel.conf");
    let sport = common::free_port();
    std::fs::write(
        &conf,
        format!(
            "port {sport}\nbind 127.0.0.1\ndir {}\nsentinel monitor mymaster 127.0.0.1 {} 1\nsentinel auth-user mymaster sentinel-user\nsentinel auth-pass mymaster spw\nsentinel down-after-milliseconds mymaster 2000\n",
            dir.display(),
            master.port
        ),
    )
    .unwrap();
    let log = dir.join("sentinel.log");
    let _sentinel = common::spawn(
        "ours sentinel",
        &common::our_binary(),
        None,
        &["sentinel".to_string(), conf.to_string_lossy().into_owned()],
        sport,
        &log,
    )
    .unwrap();
    let replicas = || {
        cmd(sport, &["SENTINEL", "REPLICAS", "mymaster"])
            .and_then(|f| f.as_array().map(|a| a.len()))
            .unwrap_or(0)
    };
    assert!(
        wait_until(20, || replicas() == 1),
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let flags = cmd(sport, &["SENTINEL", "MASTER", "mymaster"])
        .and_then(|f| common::field(&f, "flags"))
        .unwrap_or_default();
    assert_eq!(flags, "master");
    let mut m = Conn::connect(master.port);
    assert_eq!(text(&m.cmd(&["AUTH", "admin", "apw"])), "OK");
    let acl_log = m.cmd(&["ACL", "LOG"]);
    assert_eq!(acl_log.as_array().map(|a| a.len()), Some(0), "{acl_log:?}");
    drop(replica);
}
