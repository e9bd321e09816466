//! The native host end to end: our binary on a free loopback port, driven by
//! `redis-cli`, the `redis` crate and raw TcpStreams; startup errors and the
//! `redis-server` link compared with Debian's redis-server 7.0.15.

mod common;

use common::*;
use sentinel_lab::resp::Frame;
use std::io::Write;
use std::time::{Duration, Instant};

fn bulk(s: &[u8]) -> Frame {
    Frame::Bulk(bytes::Bytes::copy_from_slice(s))
}

#[test]
fn redis_cli_ping_and_echo() {
    let srv = start_ours(&[]);
    let cli = find_in_path("redis-cli").expect("redis-cli not installed");
    let port = srv.port.to_string();
    let (code, out, err) = run_capture(&cli, None, &["-p", &port, "ping"]);
    assert_eq!((code, out.as_str()), (0, "PONG\n"), "stderr: {err}");
    let (code, out, _) = run_capture(&cli, None, &["-p", &port, "echo", "hello world"]);
    assert_eq!((code, out.as_str()), (0, "hello world\n"));
    // Errors come back as text; redis-cli still exits 0 like with real Redis.
    let (_, out, _) = run_capture(&cli, None, &["-p", &port, "nosuchcommand", "x"]);
    assert_eq!(
        out,
        "ERR unknown command 'nosuchcommand', with args beginning with: 'x' \n\n"
    );
}

#[test]
fn redis_crate_ping_echo_pipeline() {
    let srv = start_ours(&[]);
    let client = redis::Client::open(srv.url()).expect("client");
    let mut con = client.get_connection().expect("connection");
    let pong: String = redis::cmd("PING").query(&mut con).expect("ping");
    assert_eq!(pong, "PONG");
    let echo: Vec<u8> = redis::cmd("ECHO")
        .arg(&b"bin\x00ary\r\n"[..])
        .query(&mut con)
        .expect("echo");
    assert_eq!(echo, b"bin\x00ary\r\n");
    let mut pipe = redis::pipe();
    for i in 0..500 {
        pipe.cmd("ECHO").arg(i);
    }
    let replies: Vec<i64> = pipe.query(&mut con).expect("pipeline");
    assert_eq!(replies, (0..500).collect::<Vec<i64>>());
    let err = redis::cmd("SELECT")
        .arg(99)
        .query::<String>(&mut con)
        .unwrap_err();
    assert!(
        err.to_string().contains("DB index is out of range"),
        "{err}"
    );
}

/// SET/GET through the `redis` crate, including a 10 MB value. Needs the
/// strings family (merged from its branch).
#[test]
fn redis_crate_set_get() {
    let srv = start_ours(&[]);
    let client = redis::Client::open(srv.url()).expect("client");
    let mut con = client.get_connection().expect("connection");
    let ok: String = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut con)
        .expect("SET");
    assert_eq!(ok, "OK");
    let v: Option<String> = redis::cmd("GET").arg("k").query(&mut con).expect("GET");
    assert_eq!(v.as_deref(), Some("v"));
    let none: Option<String> = redis::cmd("GET").arg("nokey").query(&mut con).expect("GET");
    assert_eq!(none, None);
    let big: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&big[..])
        .query(&mut con)
        .expect("SET big");
    let back: Vec<u8> = redis::cmd("GET")
        .arg("big")
        .query(&mut con)
        .expect("GET big");
    assert!(back == big, "10 MB value came back different");
}

#[test]
fn raw_pipelining_in_one_write() {
    let srv = start_ours(&[]);
    let mut c = srv.connect();
    let mut bytes = Vec::new();
    for i in 0..2000 {
        if i % 2 == 0 {
            bytes.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        } else {
            bytes.extend_from_slice(&Frame::command(["ECHO", &i.to_string()]));
        }
    }
    c.send_raw(&bytes);
    for i in 0..2000 {
        let f = c.read().expect("reply");
        if i % 2 == 0 {
            assert_eq!(f, Frame::Simple("PONG".into()));
        } else {
            assert_eq!(f, bulk(i.to_string().as_bytes()));
        }
    }
}

/// A 10 MB argument written in small pieces with pauses: the parser must
/// wait for the rest and answer once.
#[test]
fn big_value_in_pieces() {
    let srv = start_ours(&[]);
    let mut c = srv.connect();
    let value: Vec<u8> = (0..10 * 1024 * 1024)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let req = Frame::command([&b"ECHO"[..], &value[..]]);
    let start = Instant::now();
    for (i, piece) in req.chunks(7919).enumerate() {
        c.stream.write_all(piece).expect("write");
        if i % 200 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let reply = c.read().expect("reply to the big ECHO");
    assert_eq!(reply, Frame::Bulk(value.into()));
    assert!(start.elapsed() < Duration::from_secs(20));
    // The connection is still usable.
    assert_eq!(c.cmd(&["PING"]), Frame::Simple("PONG".into()));
}

#[test]
fn inline_commands() {
    let srv = start_ours(&[]);
    let mut c = srv.connect();
    c.send_raw(b"PING\r\n");
    assert_eq!(c.read(), Some(Frame::Simple("PONG".into())));
    c.send_raw(b"ECHO hello\r\n");
    assert_eq!(c.read(), Some(bulk(b"hello")));
    // Quotes and escapes like sdssplitargs; empty lines are skipped; \n alone ends a line.
    c.send_raw(b"\r\n\r\nECHO \"a b\\x41\"\nping\r\n");
    assert_eq!(c.read(), Some(bulk(b"a bA")));
    assert_eq!(c.read(), Some(Frame::Simple("PONG".into())));
    // Inline and multibulk mixed in one write.
    c.send_raw(b"ECHO x\r\n*2\r\n$4\r\nECHO\r\n$1\r\ny\r\n");
    assert_eq!(c.read(), Some(bulk(b"x")));
    assert_eq!(c.read(), Some(bulk(b"y")));
}

/// Malformed requests: the same error reply as real Redis, then the close.
#[test]
fn protocol_errors_reply_then_close() {
    let ours = start_ours(&[]);
    let real = start_real(&[]);
    let cases: &[&[u8]] = &[
        b"*abc\r\n",
        b"*1\r\n$abc\r\n",
        b"*1\r\nfoo\r\n",
        b"*1\r\n$-5\r\n",
        b"*1\r\n$1000000000000\r\n",
        // Redis 7.0.15 accepts multibulk counts up to INT_MAX from
        // authenticated clients (it then waits for the arguments).
        b"*2147483648\r\n",
        b"ECHO \"unbalanced\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n:1\r\n",
    ];
    for case in cases {
        let mut a = real.connect();
        let mut b = ours.connect();
        a.send_raw(case);
        b.send_raw(case);
        let ra = a.read();
        let rb = b.read();
        assert_eq!(
            rb,
            ra,
            "reply to {:?}: ours {rb:?}, real {ra:?}",
            String::from_utf8_lossy(case)
        );
        assert!(ra.as_ref().is_some_and(|f| f.is_error()));
        assert!(a.closed(), "real redis should close after {case:?}");
        assert!(b.closed(), "we should close after {case:?}");
    }
}

#[test]
fn unknown_directive_is_a_startup_error_like_redis() {
    let real = real_redis_server().expect("redis-server not installed");
    let ours = our_binary();
    let dir = std::env::temp_dir().join(format!("sl-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, "# comment\nport 7000\nfoo bar\n").unwrap();
    let bad = bad.to_string_lossy().into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--foo", "bar"],
        vec![&bad],
        vec![&bad, "--port", "1"],
        vec!["--port", "7002", "--save", "--foo"],
        vec!["--port", "abc"],
        vec!["--port", "1", "2"],
        vec!["--loglevel", "bogus"],
        vec!["--protected-mode", "maybe"],
    ];
    for args in &cases {
        let (rc_real, _, err_real) = run_capture(&real, None, args);
        let mut ours_args = vec!["server"];
        ours_args.extend(args.iter().copied());
        let (rc_ours, _, err_ours) = run_capture(&ours, None, &ours_args);
        assert_eq!(rc_real, 1, "real redis-server {args:?}");
        assert_eq!(rc_ours, 1, "ours {args:?}");
        assert_eq!(err_ours, err_real, "stderr for {args:?}");
    }
    // A missing config file: a log line naming the file.
    let (rc, out, _) = run_capture(&ours, None, &["server", "/nonexistent/x.conf"]);
    assert_eq!(rc, 1);
    assert!(
        out.contains(
            "# Fatal error, can't open config file '/nonexistent/x.conf': No such file or directory"
        ),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_file_then_command_line() {
    let dir = std::env::temp_dir().join(format!("sl-conf2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("ok.conf");
    let pidfile = dir.join("sl.pid");
    std::fs::write(
        &conf,
        format!(
            "# a config file\nloglevel verbose\nsave 900 1\npidfile {}\n",
            pidfile.display()
        ),
    )
    .unwrap();
    let conf_s = conf.to_string_lossy().into_owned();
    let srv = start_with("ours-conf", &our_binary(), None, |port| {
        vec![
            "server".into(),
            conf_s.clone(),
            "--port".into(),
            port.to_string(),
            "--save".into(),
            "".into(),
        ]
    });
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .expect("pidfile written")
        .trim()
        .parse()
        .expect("pid");
    assert_eq!(pid, srv.child.id());
    let mut c = srv.connect();
    let r = c.cmd(&["CONFIG", "GET", "save"]);
    if !matches!(&r, Frame::Error(e) if e.starts_with("ERR unknown command")) {
        // The command line wins over the file.
        assert_eq!(r, Frame::Array(vec![bulk(b"save"), bulk(b"")]));
        let r = c.cmd(&["CONFIG", "GET", "loglevel"]);
        assert_eq!(r, Frame::Array(vec![bulk(b"loglevel"), bulk(b"verbose")]));
    }
    drop(c);
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn version_flags() {
    let ours = our_binary();
    for flag in ["--version", "-v"] {
        let (rc, out, _) = run_capture(&ours, None, &[flag]);
        assert_eq!(rc, 0);
        assert!(out.starts_with("sentinel-lab "), "{out}");
        assert!(out.contains("Redis 7.0.15"), "{out}");
    }
    let (rc, out, _) = run_capture(&ours, None, &["server", "--version"]);
    assert_eq!(rc, 0);
    assert!(out.starts_with("Redis server v=7.0.15 "), "{out}");
}

/// A link named `redis-server` behaves as `sentinel-lab server`.
#[test]
fn redis_server_symlink() {
    let dir = std::env::temp_dir().join(format!("sl-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("redis-server");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(our_binary(), &link).expect("symlink");
    let (rc, out, _) = run_capture(&link, None, &["--version"]);
    assert_eq!(rc, 0);
    assert!(out.starts_with("Redis server v=7.0.15 "), "{out}");
    assert!(out.contains("sentinel-lab"), "{out}");
    let (rc, _, err) = run_capture(&link, None, &["--foo", "bar"]);
    assert_eq!(rc, 1);
    assert!(err.contains("Bad directive or wrong number of arguments"));
    let srv = start_with("link", &link, None, |port| {
        vec![
            "--port".into(),
            port.to_string(),
            "--save".into(),
            "".into(),
        ]
    });
    let mut c = srv.connect();
    assert_eq!(c.cmd(&["PING"]), Frame::Simple("PONG".into()));
    drop(c);
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Listening sockets of this process's port, from /proc/net/tcp{,6}: (local ip hex, state).
fn listening_addrs(port: u16) -> Vec<String> {
    let mut v = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 4 || cols[3] != "0A" {
                continue;
            }
            if let Some((ip, p)) = cols[1].split_once(':') {
                if u16::from_str_radix(p, 16).ok() == Some(port) {
                    v.push(ip.to_string());
                }
            }
        }
    }
    v
}

/// Redis 7.0's defaults: `bind * -::*` (every address) with protected mode
/// on, so that only local clients are served until a password is set; the
/// CONFIG GET answers are redis-server 7.0.15's without a config file.
#[test]
fn defaults_bind_every_address_with_protected_mode_as_real_redis() {
    let ours = start_ours(&[]);
    let addrs = listening_addrs(ours.port);
    assert!(
        !addrs.is_empty(),
        "no listening socket found in /proc/net/tcp"
    );
    for a in &addrs {
        // 0.0.0.0 is 00000000; :: is 32 zeros.
        assert!(
            a.bytes().all(|b| b == b'0'),
            "listening on one address only: {a}"
        );
    }
    let mut c = ours.connect();
    for name in ["bind", "protected-mode"] {
        let got = c.cmd(&["CONFIG", "GET", name]);
        let want = match name {
            "bind" => "* -::*",
            _ => "yes",
        };
        assert_eq!(
            got,
            Frame::Array(vec![bulk(name.as_bytes()), bulk(want.as_bytes())])
        );
    }
}

/// Protected mode in the node itself: a peer that is not local is refused
/// with -DENIED whatever `bind` says (7.0 no longer looks at it), a local
/// one is served (tested in-process, since tests only talk to loopback).
#[test]
fn protected_mode_denies_remote_peers() {
    use sentinel_lab::node::{Addr, ConnId, Input, Node, Output};
    use sentinel_lab::server::Server;
    for bind in [&["*", "-::*"][..], &["10.1.2.1"][..]] {
        let mut config = sentinel_lab::native::conf::default_config();
        let bind: Vec<String> = bind.iter().map(|s| s.to_string()).collect();
        config.set_by_name("bind", &bind).unwrap();
        let mut s = Server::new(config, 0, 1);
        for (conn, peer) in [(1, "10.1.2.3"), (2, "127.0.0.1")] {
            s.handle(
                0,
                Input::Accepted {
                    conn: ConnId(conn),
                    peer: Addr::new(peer, 5000),
                    local: Addr::new("10.1.2.1", 6379),
                },
            );
        }
        let (mut sent, mut closed) = (Vec::new(), Vec::new());
        while let Some(o) = s.poll_output() {
            match o {
                Output::Send { conn, bytes } => sent.push((conn, bytes)),
                Output::Close { conn } => closed.push(conn),
                _ => {}
            }
        }
        assert!(
            sent.iter().any(|(c, b)| *c == ConnId(1)
                && b.starts_with(b"-DENIED Redis is running in protected mode")),
            "{bind:?}"
        );
        assert_eq!(closed, [ConnId(1)], "{bind:?}");
    }
}

/// SIGTERM shuts down like SHUTDOWN, final save included, even when a
/// password is set (no client is involved, as in Redis).
#[test]
fn sigterm_saves_logs_and_exits_zero() {
    let dir = std::env::temp_dir().join(format!("sl-sig-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("p.pid").to_string_lossy().into_owned();
    let logfile = dir.join("s.log").to_string_lossy().into_owned();
    let d = dir.to_string_lossy().into_owned();
    let (pf, lf) = (pidfile.clone(), logfile.clone());
    let mut srv = start_with("sig", &our_binary(), None, move |port| {
        vec![
            "server".into(),
            "--port".into(),
            port.to_string(),
            "--pidfile".into(),
            pf.clone(),
            "--logfile".into(),
            lf.clone(),
            "--dir".into(),
            d.clone(),
            "--save".into(),
            "3600 1".into(),
        ]
    });
    assert!(std::path::Path::new(&pidfile).exists());
    let mut c = srv.connect();
    assert_eq!(c.cmd(&["SET", "k", "v"]), Frame::Simple("OK".into()));
    let ok = c.cmd(&["CONFIG", "SET", "requirepass", "secret"]);
    assert_eq!(ok, Frame::Simple("OK".into()));
    let st = std::process::Command::new("kill")
        .args(["-TERM", &srv.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = srv.child.try_wait().expect("wait") {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let log = std::fs::read_to_string(&logfile).expect("logfile");
    for needle in [
        ":C ",
        "# oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        ":M ",
        "* Ready to accept connections",
        ":signal-handler (",
        "Received SIGTERM scheduling shutdown...",
        "# User requested shutdown...",
        "* Saving the final RDB snapshot before exiting.",
        "* DB saved on disk",
        "* Removing the pid file.",
        "# Redis is now ready to exit, bye bye...",
    ] {
        assert!(log.contains(needle), "log lacks {needle:?}:\n{log}");
    }
    assert!(!std::path::Path::new(&pidfile).exists(), "pidfile removed");
    let rdb = std::fs::read(dir.join("dump.rdb")).expect("dump.rdb written at exit");
    assert!(rdb.starts_with(b"REDIS"));
    // The key written before the signal: string type, "k", "v".
    assert!(rdb.windows(5).any(|w| w == b"\x00\x01k\x01v"), "k=v saved");
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loglevel_warning_hides_notices() {
    let srv = start_ours(&["--loglevel", "warning"]);
    std::thread::sleep(Duration::from_millis(100));
    let log = srv.log_text();
    assert!(log.contains("# Server initialized"), "{log}");
    assert!(!log.contains("* Ready to accept connections"), "{log}");
}

/// The files in `dir` whose names start with `temp-` (a save's temp file).
fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("temp-"))
                .collect()
        })
        .unwrap_or_default()
}

/// BGSAVE streams the file to a temp file off the event loop and renames it:
/// the save counts as running (and "terminated with success" is logged) only
/// once dump.rdb is in place. SAVE replies after the file is written; a
/// SHUTDOWN during a BGSAVE leaves no temp file behind.
#[test]
fn bgsave_streams_the_file_then_renames_it() {
    let dir = std::env::temp_dir().join(format!("sl-bgsave-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_string_lossy().into_owned();
    let srv = start_ours(&["--dir", &d, "--save", ""]);
    let mut c = srv.connect();
    let n = 50_000;
    let mut req = Vec::new();
    for i in 0..n {
        let (k, v) = (format!("key:{i}"), format!("value:{i}"));
        req.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n${}\r\n{v}\r\n",
                k.len(),
                v.len()
            )
            .as_bytes(),
        );
    }
    c.send_raw(&req);
    for _ in 0..n {
        assert_eq!(c.read(), Some(Frame::Simple("OK".into())));
    }
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    let start = Instant::now();
    let mut pings = 0;
    while c
        .info_field("persistence", "rdb_bgsave_in_progress")
        .as_deref()
        != Some("0")
    {
        assert_eq!(c.cmd(&["PING"]), Frame::Simple("PONG".into()));
        pings += 1;
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the save never ends"
        );
    }
    let file = dir.join("dump.rdb");
    let bytes = std::fs::read(&file).expect("dump.rdb in place when the save ends");
    let loaded = sentinel_lab::rdb::decode(&bytes).expect("a valid file");
    assert_eq!(loaded.total_keys(), n);
    assert!(temp_files(&dir).is_empty(), "{:?}", temp_files(&dir));
    assert_eq!(
        c.info_field("persistence", "rdb_last_bgsave_status")
            .as_deref(),
        Some("ok")
    );
    let log = srv.log_text();
    let started = log
        .find("Background saving started by pid")
        .expect("start line");
    let ended = log
        .find("Background saving terminated with success")
        .unwrap_or_else(|| panic!("no success line:\n{log}"));
    assert!(started < ended);
    eprintln!("{pings} PINGs during the save");

    // SAVE: the reply comes once the file holds the new key.
    assert_eq!(c.cmd(&["SET", "late", "1"]), Frame::Simple("OK".into()));
    assert_eq!(c.cmd(&["SAVE"]), Frame::Simple("OK".into()));
    let loaded = sentinel_lab::rdb::decode(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(loaded.total_keys(), n + 1);

    // SHUTDOWN in the middle of a BGSAVE (no save points: no final save).
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Frame::Simple("Background saving started".into())
    );
    c.send(&["SHUTDOWN"]);
    let mut srv = srv;
    let start = Instant::now();
    while srv.child.try_wait().expect("wait").is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "no exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(temp_files(&dir).is_empty(), "{:?}", temp_files(&dir));
    let loaded = sentinel_lab::rdb::decode(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(loaded.total_keys(), n + 1);
    drop(srv);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Raw bytes in, in pieces; everything the server sends back within a short
/// wait, and whether it closed the connection.
fn raw_exchange(port: u16, pieces: &[&[u8]]) -> (Vec<u8>, bool) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    for p in pieces {
        if s.write_all(p).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    s.set_read_timeout(Some(Duration::from_millis(400)))
        .expect("timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

fn same_exchanges(ours: &Proc, real: &Proc, cases: &[Vec<Vec<u8>>]) {
    for case in cases {
        let pieces: Vec<&[u8]> = case.iter().map(|p| p.as_slice()).collect();
        let a = raw_exchange(real.port, &pieces);
        let b = raw_exchange(ours.port, &pieces);
        let show = |p: &[u8]| String::from_utf8_lossy(&p[..p.len().min(60)]).into_owned();
        assert_eq!(
            (show(&b.0), b.1),
            (show(&a.0), a.1),
            "request {:?}: (reply, closed) ours vs real",
            pieces.iter().map(|p| show(p)).collect::<Vec<_>>()
        );
    }
}

fn case(pieces: &[&[u8]]) -> Vec<Vec<u8>> {
    pieces.iter().map(|p| p.to_vec()).collect()
}

/// The edges of 7.0's request parsing: headers found with strchr (a NUL hides
/// them until 64 KB refuse the request), a header ends at its first `\r`,
/// inline lines split on C's isspace, byte-exact error replies; the
/// connection stays open or is closed as 7.0 does.
#[test]
fn protocol_edges_match_real() {
    let ours = start_ours(&[]);
    let real = start_real(&[]);
    let big = vec![b'A'; 70_000];
    let cases = vec![
        case(&[b"*1500000000\r\n"]),
        case(&[b"*1\rX$4\r\nPING\r\n"]),
        case(&[b"PING\x00\r\n"]),
        case(&[b"*1\r\n$4\x00\r\nPING\r\n"]),
        case(&[b"\r\n\r\nPING\r\n"]),
        case(&[b"PING\nPING\rPING\n"]),
        case(&[b"PING\r\r\n"]),
        case(&[b"\x0bPING\x0b\r\n"]),
        case(&[b"ECHO \"a\"\x0b\r\n"]),
        case(&[b"*1\r\n\r\n"]),
        case(&[b"*1\r\n$4\r\nPINGxx"]),
        case(&[b"PING\r\n*1\r\n+\r\n"]),
        case(&[b"*-5\r\n*0\r\nPING\r\n"]),
        case(&[b"*2\r\n$4\r\nECHO\r\n$1\r\n\xff\r\n*1\r\n\xff\r\n"]),
        case(&[b"*1\r\n$4\r"]),
        case(&[&big]),
        case(&[b"\x00", &big]),
        case(&[b"*\x00", &big]),
        case(&[b"*1\r\n$", &big]),
        case(&[b"ECHO ", &big[..10_000], b"\r\n"]),
    ];
    same_exchanges(&ours, &real, &cases);
    // proto-max-bulk-len applies to connections already open.
    let mut c = ours.connect();
    let mut r = real.connect();
    for conn in [&mut c, &mut r] {
        conn.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]);
    }
    same_exchanges(&ours, &real, &[case(&[b"*1\r\n$1048577\r\n"])]);
}

/// Before AUTH: at most 10 arguments of at most 16 KB each, with their own
/// error texts; the general limits are checked first.
#[test]
fn unauthenticated_limits_match_real() {
    let ours = start_ours(&[]);
    let real = start_real(&[]);
    // Set afterwards: the harness waits for a PONG.
    for p in [&ours, &real] {
        p.connect().cmd(&["CONFIG", "SET", "requirepass", "foo"]);
    }
    let cases = vec![
        case(&[b"*11\r\n"]),
        case(&[b"*10\r\n$16385\r\n"]),
        case(&[b"*1\r\n$16384\r\n"]),
        case(&[b"*3000000000\r\n"]),
        case(&[b"PING\r\n"]),
        case(&[b"AUTH foo\r\n*11\r\n$1\r\n"]),
        case(&[b"AUTH foo\r\n*1\r\n$100000\r\n"]),
    ];
    same_exchanges(&ours, &real, &cases);
}

/// client-query-buffer-limit: a client whose unparsed input outgrows it is
/// closed without a reply.
#[test]
fn query_buffer_limit_closes_without_reply() {
    let ours = start_ours(&[]);
    let real = start_real(&[]);
    let mut value = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1500000\r\n".to_vec();
    value.resize(value.len() + 1_100_000, b'A');
    let cases = vec![case(&[
        b"CONFIG SET client-query-buffer-limit 1mb\r\n",
        &value,
    ])];
    same_exchanges(&ours, &real, &cases);
}

/// The old SYNC (the suites' replication-stream helper): no +FULLRESYNC, the
/// RDB as a bulk (newlines may come first), then the stream; SYNC after
/// pipelined commands is refused.
#[test]
fn old_sync_sends_rdb_then_stream() {
    use std::io::{BufRead, BufReader, Read};
    for p in [start_ours(&[]), start_real(&[])] {
        let s = std::net::TcpStream::connect(("127.0.0.1", p.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        (&s).write_all(b"SYNC\r\n").unwrap();
        let mut r = BufReader::new(&s);
        let mut line = String::new();
        while line.trim().is_empty() {
            line.clear();
            r.read_line(&mut line).unwrap();
        }
        assert!(line.starts_with('$'), "{}: got {line:?}", p.what);
        let n: usize = line[1..].trim().parse().unwrap();
        let mut rdb = vec![0u8; n];
        r.read_exact(&mut rdb).unwrap();
        assert!(rdb.starts_with(b"REDIS"));
        let mut c = p.connect();
        c.cmd(&["SET", "foo", "bar"]);
        let slave = c.info_field("replication", "slave0").unwrap_or_default();
        assert!(slave.contains("port=0,state=online"), "{}: {slave}", p.what);
        let want = b"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n";
        let mut got = Vec::new();
        assert!(wait_until(5, || {
            let mut buf = [0u8; 4096];
            if let Ok(n) = r.get_mut().read(&mut buf) {
                got.extend_from_slice(&buf[..n]);
            }
            got.windows(want.len()).any(|w| w == want)
        }));
        let (reply, closed) = raw_exchange(p.port, &[b"PING\r\nSYNC\r\n"]);
        assert_eq!(
            (reply.as_slice(), closed),
            (
                &b"+PONG\r\n-ERR SYNC and PSYNC are invalid with pending output\r\n"[..],
                false
            )
        );
    }
}

/// CONFIG REWRITE answers for the write: when the config file's path has
/// become a directory, ours and Debian's redis-server give the same error;
/// once it is a file again, both rewrite it.
#[test]
fn config_rewrite_reports_a_failed_write_like_redis() {
    if missing(&["redis-server"]) {
        return;
    }
    for (tag, program) in [
        ("ours", our_binary()),
        ("real", real_redis_server().unwrap()),
    ] {
        let dir = std::env::temp_dir().join(format!("sl-rewrite-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("r.conf");
        std::fs::write(&conf, "save \"\"\nappendonly no\n").unwrap();
        let conf_s = conf.to_string_lossy().into_owned();
        let dir_s = dir.to_string_lossy().into_owned();
        let srv = start_with(tag, &program, None, |port| {
            let mut v: Vec<String> = Vec::new();
            if tag == "ours" {
                v.push("server".into());
            }
            v.extend([conf_s.clone(), "--port".into(), port.to_string()]);
            v.extend(["--dir".into(), dir_s.clone()]);
            v
        });
        let mut c = srv.connect();
        std::fs::remove_file(&conf).unwrap();
        std::fs::create_dir(&conf).unwrap();
        let r = c.cmd(&["CONFIG", "REWRITE"]);
        assert_eq!(
            r,
            Frame::Error("ERR Rewriting config file: Is a directory".into()),
            "{tag}"
        );
        std::fs::remove_dir(&conf).unwrap();
        std::fs::write(&conf, "").unwrap();
        assert_eq!(
            c.cmd(&["CONFIG", "REWRITE"]),
            Frame::Simple("OK".into()),
            "{tag}"
        );
        let text = std::fs::read_to_string(&conf).unwrap();
        assert!(text.contains("port "), "{tag}: {text}");
        drop(c);
        drop(srv);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Redis's crash report: DEBUG SEGFAULT makes a real invalid write and
/// SIGABRT from another process is reported with its sender; each logs the
/// bug report's frame and a stack trace, then dies by that signal.
#[test]
fn crash_report_on_debug_segfault_and_sigabrt() {
    use std::os::unix::process::ExitStatusExt;
    for (how, sig) in [("segfault", libc::SIGSEGV), ("abort", libc::SIGABRT)] {
        let mut srv = start_ours(&["--enable-debug-command", "yes"]);
        let mut keep = None;
        if how == "segfault" {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
            s.write_all(b"DEBUG SEGFAULT\r\n").unwrap();
            keep = Some(s);
        } else {
            // SAFETY: a signal to the child we started.
            unsafe { libc::kill(srv.child.id() as i32, libc::SIGABRT) };
        }
        let status = srv.child.wait().unwrap();
        drop(keep);
        assert_eq!(status.signal(), Some(sig), "{how}");
        let log = srv.log_text();
        for want in [
            "=== REDIS BUG REPORT START: Cut & paste starting from here ===".to_string(),
            format!("# Redis 7.0.15 crashed by signal: {sig}, si_code: "),
            "------ STACK TRACE ------".to_string(),
            "=== REDIS BUG REPORT END.".to_string(),
        ] {
            assert!(log.contains(&want), "{how}: no {want:?} in\n{log}");
        }
        let extra = if how == "segfault" {
            "# Accessing address: 0x".to_string()
        } else {
            format!("# Killed by PID: {}, UID: ", std::process::id())
        };
        assert!(log.contains(&extra), "{how}: no {extra:?} in\n{log}");
    }
}

/// `unixsocket` / `unixsocketperm` beside real redis-server: the socket
/// file with its mode, a client on it shown as `addr=<path>:0` with flag U,
/// the octal config read back as written, the file removed at exit.
#[test]
fn unix_socket_listener_as_real_redis() {
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;
    for real in [false, true] {
        let dir = common::tmpdir(if real { "unix-real" } else { "unix-ours" });
        let path = dir.join("redis.sock").display().to_string();
        let args = ["--unixsocket", path.as_str(), "--unixsocketperm", "700"];
        let srv = if real {
            common::start_real(&args)
        } else {
            common::start_ours(&args)
        };
        let mode = std::fs::metadata(&path)
            .expect("socket file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "real={real}");
        let mut s = std::os::unix::net::UnixStream::connect(&path).expect("connect");
        s.write_all(b"CLIENT INFO\r\nCONFIG GET unixsocketperm\r\nQUIT\r\n")
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(
            out.contains(&format!("addr={path}:0 laddr={path}:0 ")),
            "real={real}: {out}"
        );
        assert!(out.contains(" flags=U "), "real={real}: {out}");
        assert!(
            out.contains("$14\r\nunixsocketperm\r\n$3\r\n700\r\n"),
            "real={real}: {out}"
        );
        common::cmd(srv.port, &["SHUTDOWN", "NOSAVE"]);
        assert!(
            common::wait_until(10, || !std::path::Path::new(&path).exists()),
            "real={real}: the socket file stays after exit"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// CONFIG SET `port` moves the listener, and a port in use fails the
/// whole call with 7.0's error, every directive of it rolled back; the
/// same beside real redis-server.
#[test]
fn config_set_port_moves_the_listener_or_rolls_back_as_real_redis() {
    for real in [false, true] {
        let srv = if real {
            common::start_real(&[])
        } else {
            common::start_ours(&[])
        };
        let taken = common::start_real(&[]);
        let mut c = srv.connect();
        let used = taken.port.to_string();
        let reply = c.cmd(&["CONFIG", "SET", "maxmemory", "10000001", "port", &used]);
        assert_eq!(
            reply,
            Frame::Error("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.".into()),
            "real={real}"
        );
        let maxmemory = c.cmd(&["CONFIG", "GET", "maxmemory"]);
        assert_eq!(
            common::field(&maxmemory, "maxmemory").as_deref(),
            Some("0"),
            "real={real}"
        );
        assert_eq!(
            common::cmd(srv.port, &["PING"]),
            Some(Frame::Simple("PONG".into()))
        );
        let new_port = common::free_port();
        let reply = c.cmd(&["CONFIG", "SET", "port", &new_port.to_string()]);
        assert_eq!(reply, Frame::Simple("OK".into()), "real={real}");
        assert!(
            common::wait_until(5, || common::cmd(srv.port, &["PING"]).is_none()),
            "real={real}: the old port still answers"
        );
        let mut moved = Conn::connect(new_port);
        assert_eq!(moved.cmd(&["PING"]), Frame::Simple("PONG".into()));
        moved.send(&["SHUTDOWN", "NOSAVE"]);
    }
}

/// The software watchdog beside real redis-server: a period under two cron
/// intervals is raised to 200 ms, a DEBUG SLEEP longer than the period logs
/// the watchdog's stack once, and the server goes on. TIME reads the clock
/// itself, so a script sees it move.
#[test]
fn watchdog_logs_a_stack_when_the_cron_stalls_as_real_redis() {
    let mut servers = vec![start_ours(&["--enable-debug-command", "yes"])];
    if common::real_redis_server().is_some() {
        servers.push(common::start_real(&["--enable-debug-command", "yes"]));
    }
    for srv in &servers {
        let mut c = srv.connect();
        let what = &srv.what;
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "watchdog-period", "1"]),
            Frame::Simple("OK".into())
        );
        let got = c.cmd(&["CONFIG", "GET", "watchdog-period"]);
        assert_eq!(
            got,
            Frame::Array(vec![bulk(b"watchdog-period"), bulk(b"200")]),
            "{what}"
        );
        assert_eq!(
            c.cmd(&["DEBUG", "SLEEP", "0.8"]),
            Frame::Simple("OK".into())
        );
        assert_eq!(c.cmd(&["PING"]), Frame::Simple("PONG".into()), "{what}");
        let log = srv.log_text();
        let at = log
            .find(":signal-handler (")
            .expect("a line from the handler");
        let rest = &log[at..];
        assert!(
            rest.contains(") \n--- WATCHDOG TIMER EXPIRED ---\n"),
            "{what}: {log}"
        );
        assert!(
            rest.contains("------ STACK TRACE ------\nEIP:\n"),
            "{what}: {log}"
        );
        assert!(rest.contains("\nBacktrace:\n"), "{what}: {log}");
        assert!(rest.contains(") --------\n"), "{what}: {log}");
        assert_eq!(log.matches("WATCHDOG TIMER EXPIRED").count(), 1, "{what}");
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "watchdog-period", "0"]),
            Frame::Simple("OK".into())
        );
        assert_eq!(
            c.cmd(&["DEBUG", "SLEEP", "0.5"]),
            Frame::Simple("OK".into())
        );
        assert_eq!(
            srv.log_text().matches("WATCHDOG TIMER EXPIRED").count(),
            1,
            "{what}"
        );

        let script = "local a = redis.call('time') local i = 0 \
            while i < 5000000 do i = i + 1 end \
            local b = redis.call('time') \
            return (b[1] - a[1]) * 1000000 + (b[2] - a[2])";
        let Frame::Integer(us) = c.cmd(&["EVAL", script, "0"]) else {
            panic!("{what}: EVAL did not answer an integer");
        };
        assert!(
            us > 0,
            "{what}: TIME did not move inside the script ({us} µs)"
        );
    }
}

/// A second SIGINT while the final save of a SIGINT shutdown is still
/// running (slowed by `rdb-key-save-delay`) ends the process at once, as
/// 7.0's handler does: "You insist... exiting now.", exit code 1, the temp
/// file removed and no dump.rdb written. Beside real redis-server.
#[test]
fn second_sigint_during_the_final_save_exits_at_once_as_real_redis() {
    let mut servers = vec![start_ours(&["--save", "3600 1"])];
    if common::real_redis_server().is_some() {
        servers.push(common::start_real(&["--save", "3600 1"]));
    }
    for srv in &mut servers {
        let what = srv.what.clone();
        let mut c = srv.connect();
        let dir = match c.cmd(&["CONFIG", "GET", "dir"]) {
            Frame::Array(v) if v.len() == 2 => std::path::PathBuf::from(text(&v[1])),
            other => panic!("{what}: CONFIG GET dir: {other:?}"),
        };
        for i in 0..20 {
            let k = i.to_string();
            c.cmd(&["SET", &k, &k]);
        }
        c.cmd(&["CONFIG", "SET", "rdb-key-save-delay", "100000"]);
        let pid = srv.child.id() as i32;
        let temp = dir.join(format!("temp-{pid}.rdb"));
        // SAFETY: signals to the child we started.
        unsafe { libc::kill(pid, libc::SIGINT) };
        assert!(wait_until(5, || temp.exists()), "{what}: no {temp:?}");
        unsafe { libc::kill(pid, libc::SIGINT) };
        let status = srv.child.wait().unwrap();
        assert_eq!(status.code(), Some(1), "{what}");
        assert!(!temp.exists(), "{what}: {temp:?} left behind");
        assert!(!dir.join("dump.rdb").exists(), "{what}");
        let log = srv.log_text();
        for want in [
            "Received SIGINT scheduling shutdown...",
            "Saving the final RDB snapshot before exiting.",
            "You insist... exiting now.",
        ] {
            assert!(log.contains(want), "{what}: no {want:?} in\n{log}");
        }
    }
}
