//! Differential tests of scripting: the same scripts, functions and
//! protocol switches sent to Debian's redis-server 7.0.15 and to ours, the
//! replies compared frame by frame (errors included, with their
//! `script: <sha>, on @user_script:N.` tails), in RESP2 and RESP3.

mod common;

use common::*;
use sentinel_lab::resp::Frame;

/// Send every command to both servers on fresh connections (RESP3 after
/// HELLO 3 if `resp3`) and collect the differences.
fn compare(cmds: &[Vec<&str>], resp3: bool) -> Vec<String> {
    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    let (mut rc, mut oc) = (real.connect(), ours.connect());
    if resp3 {
        rc.cmd(&["HELLO", "3"]);
        oc.cmd(&["HELLO", "3"]);
    }
    let mut diffs = Vec::new();
    for argv in cmds {
        let a = rc.cmd(argv);
        let b = oc.cmd(argv);
        if a != b {
            diffs.push(format!("{argv:?}\n    real: {a:?}\n    ours: {b:?}"));
        }
    }
    diffs
}

fn eval(script: &'static str) -> Vec<&'static str> {
    vec!["EVAL", script, "0"]
}

/// Replies, conversions both ways, and the errors of `redis.*` and Lua.
const SCRIPTS: &[&str] = &[
    "return 1",
    "return -3.9",
    "return 'x'",
    "return {1, 'two', {3, 'four'}, nil, 5}",
    "return true",
    "return false",
    "return nil",
    "return {err='MY custom error'}",
    "return redis.error_reply('oops')",
    "return redis.error_reply('-CODE detail')",
    "return redis.status_reply('FINE')",
    "return {double=3.25}",
    "return {map={a=1}}",
    "return {set={x=true}}",
    "return {big_number='123456789012345678901234567890'}",
    "return {verbatim_string={format='txt', string='hello'}}",
    "return redis.call('set', 'k', 'v')",
    "return redis.call('get', 'k')",
    "return redis.call('get', 'missing')",
    "return redis.call('incr', 'k')",
    "return redis.pcall('incr', 'k')",
    "return redis.call('nosuchcommand')",
    "return redis.call('get')",
    "return redis.call()",
    "return redis.call({})",
    "return redis.call('subscribe', 'ch')",
    "return redis.call('hset', 'h', 'f', 1.5)",
    "return redis.call('hgetall', 'h')",
    "redis.call('del', 'l'); redis.call('rpush', 'l', 'a', 'b'); return redis.call('lrange', 'l', 0, -1)",
    "redis.setresp(3); return redis.call('hgetall', 'h')",
    "redis.setresp(3); return redis.call('get', 'missing')",
    "redis.setresp(3); return true",
    "redis.setresp(4)",
    "redis.set_repl(99)",
    "return redis.sha1hex('abc')",
    "return redis.replicate_commands()",
    "return undefined_global",
    "newglobal = 1",
    "redis.call = nil",
    "string.len = nil",
    "setmetatable(_G, {})",
    "error('plain')",
    "error({err='TABLE err'})",
    "local t = {} ; t.x.y = 1",
    "return pcall(function() redis.call('nosuchcommand') end)",
    "return {pcall(error, 'x')}",
    "return math.random(1000000)",
    "return tostring(math.random())",
    "return bit.band(0xff, 0x0f)",
    "return bit.tohex(255, -4)",
    "return cjson.encode({1, 2, {a = 'b/c'}})",
    "return cjson.decode('{\"a\":[1,2,{\"b\":null}]}').a[2]",
    "return cjson.decode('[1,')",
    "return type(os)",
    "local t = {} for k in pairs(_G) do t[#t + 1] = k end table.sort(t) return t",
    "return {struct.unpack('>iHb', struct.pack('>iHb', -2, 513, -7))}",
    "return struct.pack('<!4bis', 1, 2, 'hi')",
    "return struct.size('!8bd')",
    "return struct.pack('z', 1)",
    "return {cmsgpack.unpack(cmsgpack.pack({1, 2, 3}, 'x', 0.1, -1099511627776))}",
    "return loadstring('return 1')()",
    "retur n",
];

#[test]
fn scripts_resp2() {
    let cmds: Vec<Vec<&str>> = SCRIPTS.iter().map(|s| eval(s)).collect();
    let diffs = compare(&cmds, false);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn scripts_resp3() {
    let cmds: Vec<Vec<&str>> = SCRIPTS.iter().map(|s| eval(s)).collect();
    let diffs = compare(&cmds, true);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn cache_flags_and_readonly() {
    let cmds: Vec<Vec<&str>> = vec![
        vec!["SCRIPT", "LOAD", "return KEYS[1] .. ARGV[1]"],
        vec!["EVALSHA", "9a3bd4a5ba8ba2d3a8bd3dcbb8d5fbbfd79d8ad1", "0"],
        vec!["EVALSHA", "short", "0"],
        vec![
            "SCRIPT",
            "EXISTS",
            "4b8e6e8e0c5c2b7d1cfbb7a5c2e7e1e3f5f7a2b1",
        ],
        vec!["EVAL", "return {KEYS[1], ARGV[1]}", "1", "key", "arg"],
        vec!["EVAL", "return 1", "2", "a"],
        vec!["EVAL", "return 1", "-1"],
        vec!["EVAL", "return 1", "x"],
        vec!["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"],
        vec!["EVAL_RO", "return redis.call('get', 'a')", "0"],
        vec![
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')",
            "0",
        ],
        vec!["EVAL", "#!lua flags=no-writes,allow-oom\nreturn 1", "0"],
        vec!["EVAL", "#!lua flags=nonsense\nreturn 1", "0"],
        vec!["EVAL", "#!lua\nreturn redis.call('set', 'a', 'b')", "0"],
        vec!["EVAL", "#!notlua\nreturn 1", "0"],
        vec!["EVAL", "#!lua", "0"],
        vec!["EVAL_RO", "#!lua\nreturn 1", "0"],
        // (SCRIPT and FUNCTION list their subcommands in 7.0's random dict order.)
        vec![
            "COMMAND",
            "INFO",
            "eval",
            "evalsha",
            "eval_ro",
            "evalsha_ro",
            "fcall",
            "fcall_ro",
        ],
        vec!["COMMAND", "GETKEYS", "eval", "return 1", "2", "a", "b", "c"],
        vec!["COMMAND", "GETKEYS", "fcall", "f", "0", "a"],
        vec!["SCRIPT", "FLUSH", "SYNC"],
        vec!["SCRIPT", "FLUSH", "BAD"],
        vec!["SCRIPT", "KILL"],
    ];
    let diffs = compare(&cmds, false);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn functions() {
    let lib = "#!lua name=mylib\n\
        redis.register_function('echo', function(keys, args) return {keys[1], args[1]} end)\n\
        redis.register_function{function_name='ro', callback=function() return redis.call('get', 'x') end, flags={'no-writes'}, description='reads'}\n\
        redis.register_function('w', function(keys) return redis.call('set', keys[1], 'v') end)";
    let cmds: Vec<Vec<&str>> = vec![
        vec!["FUNCTION", "LOAD", lib],
        vec!["FUNCTION", "LOAD", lib],
        vec!["FUNCTION", "LOAD", "REPLACE", lib],
        vec!["FCALL", "echo", "1", "k", "a"],
        vec!["FCALL", "ECHO", "0", "a"],
        vec!["FCALL", "ro", "0"],
        vec!["FCALL_RO", "ro", "0"],
        vec!["FCALL_RO", "w", "1", "x"],
        vec!["FCALL", "w", "1", "x"],
        vec!["FCALL", "nope", "0"],
        vec!["FCALL", "echo", "x"],
        vec!["FUNCTION", "LIST", "LIBRARYNAME"],
        vec!["FUNCTION", "STATS"],
        vec!["FUNCTION", "LOAD", "#!lua name=bad\nredis.call('ping')"],
        vec!["FUNCTION", "LOAD", "#!lua name=bad\nreturn 1"],
        vec!["FUNCTION", "LOAD", "#!lua name=bad-name\nreturn 1"],
        vec!["FUNCTION", "LOAD", "#!lua\nreturn 1"],
        vec!["FUNCTION", "LOAD", "no shebang"],
        vec!["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('echo', function() end)"],
        vec!["FUNCTION", "LOAD", "#!lua name=y\nredis.register_function('f', 'notafunction')"],
        vec!["FUNCTION", "LOAD", "#!lua name=y\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}"],
        vec!["FUNCTION", "DELETE", "nolib"],
        vec!["FUNCTION", "DELETE", "mylib"],
        vec!["FUNCTION", "LIST"],
        // One function per library: 7.0 lists a library's functions in
        // its dict's (random) order.
        vec![
            "FUNCTION",
            "LOAD",
            "#!lua name=one\nredis.register_function{function_name='only', callback=function() return 1 end, flags={'allow-stale', 'no-writes'}, description='d'}",
        ],
        vec!["FUNCTION", "LIST"],
        vec!["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "o*"],
        vec!["FUNCTION", "LIST", "LIBRARYNAME", "x*"],
        vec!["FUNCTION", "KILL"],
        vec!["FUNCTION", "FLUSH", "NOW"],
        vec!["FUNCTION", "FLUSH"],
    ];
    let diffs = compare(&cmds, false);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// A FUNCTION DUMP from real Redis restores on ours and back.
#[test]
fn function_dump_restores_across() {
    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    let (mut rc, mut oc) = (real.connect(), ours.connect());
    let lib = "#!lua name=dumped\nredis.register_function('hi', function() return 'hi' end)";
    rc.cmd(&["FUNCTION", "LOAD", lib]);
    let Frame::Bulk(payload) = rc.cmd(&["FUNCTION", "DUMP"]) else {
        panic!("DUMP gives a bulk string")
    };
    assert_eq!(
        oc.cmd(&[&b"FUNCTION"[..], b"RESTORE", &payload]),
        Frame::Simple("OK".into())
    );
    assert_eq!(oc.cmd(&["FCALL", "hi", "0"]), Frame::bulk("hi"));
    let Frame::Bulk(ours_payload) = oc.cmd(&["FUNCTION", "DUMP"]) else {
        panic!("DUMP gives a bulk string")
    };
    rc.cmd(&["FUNCTION", "FLUSH"]);
    assert_eq!(
        rc.cmd(&[&b"FUNCTION"[..], b"RESTORE", &ours_payload]),
        Frame::Simple("OK".into())
    );
    assert_eq!(rc.cmd(&["FCALL", "hi", "0"]), Frame::bulk("hi"));
}

/// redis-py's `Lock` and `register_script` work against ours
/// (tests/py/scripting_client.py).
#[test]
fn redis_py_lock_and_register_script() {
    let python = find_in_path("python3").expect("python3 is not installed");
    let ours = start_ours(&["--save", ""]);
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/scripting_client.py");
    let port = ours.addr().rsplit(':').next().expect("port").to_string();
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&port)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with("OK "),
        "redis-py scripting client: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ACL inside scripts: a script's commands run as the caller's user, and a
/// refused one gives 7.0's script-specific errors and a `lua` ACL LOG entry.
#[test]
fn acl_applies_to_scripts() {
    let cmds: Vec<Vec<&str>> = vec![
        vec![
            "ACL", "SETUSER", "u", "on", ">p", "~k*", "+eval", "+get", "+acl",
        ],
        vec!["AUTH", "u", "p"],
        vec!["EVAL", "return redis.call('get','k1')", "0"],
        vec!["EVAL", "return redis.call('set','k1','v')", "0"],
        vec!["EVAL", "return redis.pcall('get','z')", "0"],
        vec!["EVAL", "return redis.pcall('publish','c','m')", "0"],
    ];
    let diffs = compare(&cmds, false);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    // The LOG entries (their ages and client lines differ in ids and ports).
    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    for srv in [&real, &ours] {
        let mut c = srv.connect();
        for argv in &cmds {
            c.cmd(argv);
        }
        let log = c.cmd(&["ACL", "LOG"]);
        let text = format!("{log:?}");
        assert!(text.contains("lua"), "{}: {text}", srv.what);
        assert!(text.contains("cmd=eval"), "{}: {text}", srv.what);
    }
}

/// A runaway read-only script past `busy-reply-threshold`: other clients
/// get -BUSY until one sends SCRIPT KILL; the script then ends with SCRIPT
/// KILL's error and the server serves again, in both servers.
#[test]
fn runaway_script_is_busy_until_script_kill() {
    let real = start_real(&[]);
    let ours = start_ours(&["--save", ""]);
    for srv in [&real, &ours] {
        let mut c = srv.connect();
        c.cmd(&["CONFIG", "SET", "busy-reply-threshold", "50"]);
        let mut other = srv.connect();
        let killer = std::thread::spawn(move || {
            // PONG until the script runs and is past the threshold.
            let busy = loop {
                match other.cmd(&["PING"]) {
                    Frame::Error(e) => break e,
                    _ => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            };
            (busy, other.cmd(&["SCRIPT", "KILL"]))
        });
        let reply = c.cmd(&["EVAL", "while true do end", "0"]);
        let (busy, kill) = killer.join().expect("the killer thread");
        assert_eq!(
            busy,
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
            "{}",
            srv.what
        );
        assert_eq!(kill, Frame::Simple("OK".into()), "{}", srv.what);
        let Frame::Error(e) = reply else {
            panic!("{}: {reply:?}", srv.what)
        };
        assert!(
            e.starts_with("ERR Script killed by user with SCRIPT KILL..."),
            "{}: {e}",
            srv.what
        );
        assert_eq!(c.cmd(&["PING"]), Frame::Simple("PONG".into()));
    }
}

/// redis.acl_check_cmd answers for the caller's user; XREAD BLOCK is
/// refused inside scripts with 7.0's own error.
#[test]
fn acl_check_cmd_and_blocking_reads() {
    let cmds: Vec<Vec<&str>> = vec![
        vec!["XADD", "s", "1-1", "a", "1"],
        vec![
            "EVAL",
            "return redis.pcall('xread','BLOCK',0,'STREAMS','s','$')",
            "1",
            "s",
        ],
        vec![
            "ACL",
            "SETUSER",
            "bob",
            "on",
            ">123",
            "+@scripting",
            "+set",
            "~x*",
        ],
        vec!["AUTH", "bob", "123"],
        vec![
            "EVAL",
            "return redis.acl_check_cmd('set','xx',1)",
            "1",
            "xx",
        ],
        vec![
            "EVAL",
            "return redis.acl_check_cmd('hset','xx','f',1)",
            "1",
            "xx",
        ],
        vec!["EVAL", "return redis.acl_check_cmd('set','yy',1)", "0"],
    ];
    let diffs = compare(&cmds, false);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
