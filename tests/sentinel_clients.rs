//! Real clients follow a failover run by our sentinels over our servers:
//! the `redis` crate's sentinel support and redis-py's `redis.sentinel.Sentinel`
//! (tests/py/sentinel_client.py). redis-py must be installed (`make deps`):
//! the test fails with a clear message if it is not.

mod common;

use common::topology::{read_switch, Cluster, Kind, Timing};
use redis::sentinel::Sentinel;
use redis::ConnectionAddr;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn sentinel_urls(c: &Cluster) -> Vec<String> {
    c.sentinel_ports
        .iter()
        .map(|p| format!("redis://127.0.0.1:{p}/"))
        .collect()
}

/// One write through the master the sentinels name; the port it went to.
fn write_via_sentinel(s: &mut Sentinel, key: &str, val: i64) -> redis::RedisResult<u16> {
    let client = s.master_for("mymaster", None)?;
    let port = match client.get_connection_info().addr() {
        ConnectionAddr::Tcp(_, p) => *p,
        other => panic!("unexpected address {other:?}"),
    };
    let mut conn = client.get_connection_with_timeout(Duration::from_millis(500))?;
    conn.set_read_timeout(Some(Duration::from_millis(500)))?;
    conn.set_write_timeout(Some(Duration::from_millis(500)))?;
    redis::cmd("SET").arg(key).arg(val).query::<()>(&mut conn)?;
    Ok(port)
}

#[test]
fn redis_crate_follows_the_failover() {
    let mut c = Cluster::start("clients-rs", Kind::Ours, Kind::Ours, Timing::default());
    let [m, r1, r2] = c.server_ports;
    let mut s = Sentinel::build(sentinel_urls(&c)).expect("sentinel client");
    assert_eq!(write_via_sentinel(&mut s, "before", 1).expect("write"), m);

    let mut sub = c.subscribe_switch(60);
    c.kill_server(m);
    let start = Instant::now();
    let mut failures = 0u32;
    let mut i = 0i64;
    let new = loop {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no successful write within 60 s ({failures} failures):\n{}",
            c.logs()
        );
        i += 1;
        match write_via_sentinel(&mut s, &format!("k:{i}"), i) {
            Ok(p) if p == m => panic!("wrote to the killed master {p}"),
            Ok(p) => break p,
            Err(_) => {
                failures += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    };
    assert!(new == r1 || new == r2, "new master {new}");
    assert!(failures > 0, "the client must have seen the outage");
    // The sentinels announced the same master.
    let switched = read_switch(&mut sub).expect("+switch-master");
    assert_eq!(switched, (m, new));
    // The write is on the new master, and the data from before the crash too.
    let client = s.master_for("mymaster", None).expect("client");
    let mut conn = client.get_connection().expect("conn");
    let v: Option<i64> = redis::cmd("GET")
        .arg(format!("k:{i}"))
        .query(&mut conn)
        .expect("GET");
    assert_eq!(v, Some(i));
    let v: Option<i64> = redis::cmd("GET")
        .arg("before")
        .query(&mut conn)
        .expect("GET");
    assert_eq!(v, Some(1));
    eprintln!(
        "redis crate: first write on {new} after {failures} failed attempts, {:?} after the kill",
        start.elapsed()
    );
}

/// A script of tests/py/.
fn py_script(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/py")
        .join(name)
}

/// What a Python client printed through a failover (see `through_failover`).
struct PyRun {
    old: u16,
    replicas: [u16; 2],
    /// The `DOWN <ms>` line's time.
    t_down: i64,
    /// The `NEW-MASTER ...` line's words after the keyword.
    new_master: Vec<String>,
}

/// Start our cluster, run `script` (the READY / DOWN / NEW-MASTER line
/// protocol of tests/py/) against its sentinels, kill the master once it is
/// READY, and return what it printed by its first success on the new master.
fn through_failover(tag: &str, script: &str) -> PyRun {
    let python = common::find_in_path("python3")
        .expect("python3 is not installed: the redis-py client tests need it");
    let mut c = Cluster::start(tag, Kind::Ours, Kind::Ours, Timing::default());
    let [m, r1, r2] = c.server_ports;
    let sp: Vec<String> = c.sentinel_ports.iter().map(|p| p.to_string()).collect();
    let mut child = Command::new(python)
        .arg(py_script(script))
        .args(["--timeout", "60"])
        .args(&sp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().expect("stdout");
    let mut child = Kill(child);
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = |child: &mut Kill| {
        let _ = child.0.kill();
        let mut s = String::new();
        if let Some(mut e) = child.0.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut s);
        }
        s
    };
    let next = |secs: u64, child: &mut Kill| match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(l) => {
            assert!(!l.starts_with("IMPORT-ERROR"), "{l}");
            assert!(!l.starts_with("FAIL"), "{script}: {l}");
            l
        }
        Err(_) => panic!(
            "no line from {script} within {secs} s; stderr:\n{}",
            stderr(child)
        ),
    };

    let ready = next(30, &mut child);
    assert_eq!(ready, format!("READY {m}"), "{ready}");
    // Let it work for a moment, then kill the master under it.
    std::thread::sleep(Duration::from_millis(300));
    c.kill_server(m);
    let down = next(20, &mut child);
    assert!(down.starts_with("DOWN "), "{down}");
    let line = next(70, &mut child);
    let mut words = line.split(' ').map(str::to_string);
    assert_eq!(
        words.next().as_deref(),
        Some("NEW-MASTER"),
        "{line}\n{}",
        c.logs()
    );
    let status = child.0.wait().expect("wait");
    assert!(status.success(), "{script} exited with {status}");
    PyRun {
        old: m,
        replicas: [r1, r2],
        t_down: down[5..].parse().expect("ms"),
        new_master: words.collect(),
    }
}

#[test]
fn redis_py_follows_the_failover() {
    let run = through_failover("clients-py", "sentinel_client.py");
    let new: u16 = run.new_master[0].parse().expect("port");
    assert!(
        run.replicas.contains(&new),
        "{new} (old master {})",
        run.old
    );
    let t_up: i64 = run.new_master[1].parse().expect("ms");
    eprintln!(
        "redis-py: first write on {new} {} ms after the first failure ({} failed attempts)",
        t_up - run.t_down,
        run.new_master[2]
    );
}

/// Lua-based client code survives the failover: redis-py's `register_script`
/// and `Lock`, and the `limits` library's moving-window rate limiter, find
/// the new master through Sentinel, get NOSCRIPT there (scripts are not
/// replicated) and load their scripts again.
#[test]
fn lua_clients_follow_the_failover() {
    let run = through_failover("clients-lua", "scripting_failover.py");
    let new: u16 = run.new_master[0].parse().expect("port");
    assert!(
        run.replicas.contains(&new),
        "{new} (old master {})",
        run.old
    );
    let noscript: u64 = run.new_master[1].parse().expect("count");
    assert!(noscript >= 1, "the new master answered no NOSCRIPT");
}
