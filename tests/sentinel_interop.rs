//! Our sentinels managing real Debian redis-server 7.0.15 instances, alone and
//! in a mixed group with a real redis-sentinel; reply shapes compared live.
//!
//! Skipped (passing) when `redis-server` is not installed.

use sentinel_lab::resp::Frame;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn have(bin: &str) -> bool {
    Command::new(bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn open(port: u16) -> Option<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        Some(Conn { s, buf: Vec::new() })
    }

    fn read_frame(&mut self) -> Option<Frame> {
        loop {
            if let Ok(Some((f, n))) = Frame::parse(&self.buf) {
                self.buf.drain(..n);
                return Some(f);
            }
            let mut tmp = [0u8; 65536];
            match self.s.read(&mut tmp) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    fn cmd(&mut self, args: &[&str]) -> Option<Frame> {
        self.s.write_all(&Frame::command(args)).ok()?;
        self.read_frame()
    }
}

fn cmd(port: u16, args: &[&str]) -> Option<Frame> {
    Conn::open(port)?.cmd(args)
}

fn text(f: &Frame) -> String {
    f.as_str().map(|s| s.to_string()).unwrap_or_default()
}

/// A map reply (RESP2 flat array) as (field, value) pairs.
fn pairs(f: &Frame) -> Vec<(String, String)> {
    let a = f.as_array().unwrap_or(&[]);
    a.chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (text(&c[0]), text(&c[1])))
        .collect()
}

fn field(f: &Frame, name: &str) -> Option<String> {
    pairs(f)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sentinel-lab-{}-{}", tag, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn redis_server(dir: &Path, port: u16, master: Option<u16>) -> Proc {
    let mut c = Command::new("redis-server");
    c.args([
        "--port",
        &port.to_string(),
        "--save",
        "",
        "--appendonly",
        "no",
    ])
    .arg("--dir")
    .arg(dir)
    .args(["--logfile", &format!("redis-{port}.log")]);
    if let Some(m) = master {
        c.args(["--replicaof", "127.0.0.1", &m.to_string()]);
    }
    let p = Proc(
        c.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server"),
    );
    assert!(
        wait_until(10, || cmd(port, &["PING"]).is_some()),
        "redis {port} up"
    );
    p
}

fn write_conf(dir: &Path, port: u16, master_port: u16) -> PathBuf {
    let path = dir.join(format!("sentinel-{port}.conf"));
    std::fs::write(
        &path,
        format!(
            "port {port}\nsentinel monitor mymaster 127.0.0.1 {master_port} 2\nsentinel down-after-milliseconds mymaster 2000\nsentinel failover-timeout mymaster 6000\n"
        ),
    )
    .unwrap();
    path
}

fn our_sentinel(dir: &Path, port: u16, master_port: u16) -> Proc {
    let conf = write_conf(dir, port, master_port);
    let log = std::fs::File::create(dir.join(format!("sentinel-{port}.log"))).unwrap();
    let p = Proc(
        Command::new(env!("CARGO_BIN_EXE_sentinel-lab"))
            .arg("sentinel")
            .arg(&conf)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("our sentinel"),
    );
    assert!(
        wait_until(10, || cmd(port, &["PING"]).is_some()),
        "sentinel {port} up"
    );
    p
}

fn real_sentinel(dir: &Path, port: u16, master_port: u16) -> Proc {
    let conf = write_conf(dir, port, master_port);
    let p = Proc(
        Command::new("redis-sentinel")
            .arg(&conf)
            .args([
                "--logfile",
                &dir.join(format!("real-sentinel-{port}.log"))
                    .to_string_lossy(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-sentinel"),
    );
    assert!(
        wait_until(10, || cmd(port, &["PING"]).is_some()),
        "real sentinel {port} up"
    );
    p
}

fn num(port: u16, name: &str) -> usize {
    cmd(port, &["SENTINEL", "MASTER", "mymaster"])
        .and_then(|f| field(&f, name))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn master_addr(port: u16) -> Option<u16> {
    let f = cmd(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"])?;
    text(f.as_array()?.get(1)?).parse().ok()
}

fn role(port: u16) -> Option<(String, Option<u16>)> {
    let f = cmd(port, &["ROLE"])?;
    let a = f.as_array()?;
    let r = text(a.first()?);
    let m = if r == "slave" {
        a.get(2).and_then(|p| p.as_int()).map(|p| p as u16)
    } else {
        None
    };
    Some((r, m))
}

/// Kill the master, wait for +switch-master, check the new topology, restart the old master.
fn run_failover(sentinels: &[u16], dir: &Path, ports: [u16; 3], master: Proc) {
    for &s in sentinels {
        assert!(
            wait_until(30, || num(s, "num-slaves") == 2
                && num(s, "num-other-sentinels") == sentinels.len() - 1),
            "sentinel {s} discovers the replicas and the other sentinels"
        );
    }
    let mut sub = Conn::open(sentinels[0]).unwrap();
    sub.s
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let r = sub.cmd(&["SUBSCRIBE", "+switch-master"]).unwrap();
    assert_eq!(text(&r.as_array().unwrap()[0]), "subscribe");

    let _ = cmd(ports[0], &["SHUTDOWN", "NOSAVE"]);
    drop(master);

    let msg = sub.read_frame().expect("+switch-master published");
    let a = msg.as_array().unwrap();
    assert_eq!(text(&a[0]), "message");
    assert_eq!(text(&a[1]), "+switch-master");
    let body = text(&a[2]);
    let parts: Vec<&str> = body.split(' ').collect();
    assert_eq!(parts.len(), 5, "{body}");
    assert_eq!(parts[0], "mymaster");
    assert_eq!(parts[2], ports[0].to_string());
    let new_master: u16 = parts[4].parse().unwrap();
    assert!(new_master == ports[1] || new_master == ports[2], "{body}");
    let other = if new_master == ports[1] {
        ports[2]
    } else {
        ports[1]
    };

    assert!(wait_until(20, || role(new_master).is_some_and(|r| r.0 == "master")));
    assert!(
        wait_until(30, || role(other)
            == Some(("slave".into(), Some(new_master)))),
        "the other replica follows the new master"
    );
    for &s in sentinels {
        assert!(
            wait_until(30, || master_addr(s) == Some(new_master)),
            "sentinel {s} agrees"
        );
    }
    // The old master comes back and is reconfigured as a replica.
    let _old = redis_server(dir, ports[0], None);
    assert!(
        wait_until(60, || role(ports[0])
            == Some(("slave".into(), Some(new_master)))),
        "old master rejoins as replica"
    );
}

#[test]
fn sentinel_failover_with_real_servers() {
    if !have("redis-server") {
        eprintln!("redis-server not installed; skipping");
        return;
    }
    let dir = tmpdir("ours");
    let ports = [free_port(), free_port(), free_port()];
    let master = redis_server(&dir, ports[0], None);
    let _r1 = redis_server(&dir, ports[1], Some(ports[0]));
    let _r2 = redis_server(&dir, ports[2], Some(ports[0]));
    let sp = [free_port(), free_port(), free_port()];
    let _s: Vec<Proc> = sp
        .iter()
        .map(|&p| our_sentinel(&dir, p, ports[0]))
        .collect();
    run_failover(&sp, &dir, ports, master);
    // The config file was rewritten with the new state.
    let conf = std::fs::read_to_string(dir.join(format!("sentinel-{}.conf", sp[0]))).unwrap();
    assert!(conf.contains("sentinel myid "), "{conf}");
    assert!(conf.contains("sentinel current-epoch "), "{conf}");
    assert!(conf.contains("sentinel known-sentinel mymaster"), "{conf}");
}

#[test]
fn sentinel_mixed_group_and_reply_shapes() {
    if !have("redis-server") || !have("redis-sentinel") {
        eprintln!("redis-server / redis-sentinel not installed; skipping");
        return;
    }
    let dir = tmpdir("mixed");
    let ports = [free_port(), free_port(), free_port()];
    let master = redis_server(&dir, ports[0], None);
    let _r1 = redis_server(&dir, ports[1], Some(ports[0]));
    let _r2 = redis_server(&dir, ports[2], Some(ports[0]));
    let sp = [free_port(), free_port(), free_port()];
    let _a = our_sentinel(&dir, sp[0], ports[0]);
    let _b = our_sentinel(&dir, sp[1], ports[0]);
    let _c = real_sentinel(&dir, sp[2], ports[0]);
    for &s in &sp {
        assert!(wait_until(30, || num(s, "num-slaves") == 2
            && num(s, "num-other-sentinels") == 2));
    }
    // Same fields, same order, for the same topology.
    let names = |f: Frame| pairs(&f).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    for q in [
        vec!["SENTINEL", "MASTER", "mymaster"],
        vec!["SENTINEL", "DEBUG"],
        vec!["SENTINEL", "CONFIG", "GET", "*"],
    ] {
        let ours = names(cmd(sp[0], &q).unwrap());
        let real = names(cmd(sp[2], &q).unwrap());
        assert_eq!(ours, real, "{q:?}");
    }
    for q in [
        ["SENTINEL", "REPLICAS", "mymaster"],
        ["SENTINEL", "SENTINELS", "mymaster"],
    ] {
        let ours = cmd(sp[0], &q).unwrap();
        let real = cmd(sp[2], &q).unwrap();
        let (o, r) = (ours.as_array().unwrap(), real.as_array().unwrap());
        assert_eq!(o.len(), r.len(), "{q:?}");
        let on: Vec<Vec<String>> = o.iter().map(|f| names(f.clone())).collect();
        let rn: Vec<Vec<String>> = r.iter().map(|f| names(f.clone())).collect();
        assert_eq!(on, rn, "{q:?}");
    }
    for q in [
        vec!["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
        vec!["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"],
        vec!["SENTINEL", "MASTER", "nosuch"],
        vec!["SENTINEL", "FOO"],
        vec!["SENTINEL", "MASTERS", "x"],
        vec!["SENTINEL", "CKQUORUM", "mymaster"],
        vec![
            "SENTINEL",
            "IS-MASTER-DOWN-BY-ADDR",
            "127.0.0.1",
            "1",
            "0",
            "*",
        ],
        vec!["SENTINEL", "SET", "mymaster", "foo", "1"],
        vec!["SENTINEL", "SET", "mymaster", "quorum", "x"],
        vec!["SENTINEL", "DEBUG", "foo", "1"],
        vec!["SENTINEL", "SIMULATE-FAILURE", "help"],
        vec!["ROLE"],
        vec!["GET", "x"],
        vec!["PUBLISH", "x", "y"],
        vec!["HELLO", "2", "SETNAME", "a b"],
        vec!["CLIENT", "SETNAME", "a b"],
        vec!["AUTH", "x"],
    ] {
        let ours = cmd(sp[0], &q).unwrap();
        let real = cmd(sp[2], &q).unwrap();
        let norm = |f: Frame| match f {
            Frame::Simple(s) if s.starts_with("OK ") => Frame::Simple(s),
            f => f,
        };
        assert_eq!(norm(ours), norm(real), "{q:?}");
    }
    run_failover(&sp, &dir, ports, master);
}

/// The other majority: one of ours with two real redis-sentinels; the group
/// agrees on odown, elects a leader and fails over.
#[test]
fn sentinel_mixed_group_real_majority() {
    if !have("redis-server") || !have("redis-sentinel") {
        eprintln!("redis-server / redis-sentinel not installed; skipping");
        return;
    }
    let dir = tmpdir("mixed-real-majority");
    let ports = [free_port(), free_port(), free_port()];
    let master = redis_server(&dir, ports[0], None);
    let _replicas = [
        redis_server(&dir, ports[1], Some(ports[0])),
        redis_server(&dir, ports[2], Some(ports[0])),
    ];
    let sp = [free_port(), free_port(), free_port()];
    let _sentinels = [
        our_sentinel(&dir, sp[0], ports[0]),
        real_sentinel(&dir, sp[1], ports[0]),
        real_sentinel(&dir, sp[2], ports[0]),
    ];
    assert!(sp
        .iter()
        .all(|&s| wait_until(30, || num(s, "num-slaves") == 2
            && num(s, "num-other-sentinels") == 2)));
    run_failover(&sp, &dir, ports, master);
}
