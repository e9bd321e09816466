//! The tutorial's topology on loopback (1 master, 2 replicas, 3 sentinels,
//! master name `mymaster`), with each part either ours or Debian's 7.0.15, for
//! the sentinel interop and client tests. Every process is killed on drop;
//! every wait is bounded.

use sentinel_lab::resp::Frame;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which implementation runs a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ours,
    Real,
}

/// A child process listening on `port`; SIGKILLed and reaped on drop.
pub struct Proc {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
    pub what: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A fresh directory under the system temp dir for one test.
pub fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sentinel-lab-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// True if `bin` can be run.
pub fn have(bin: &str) -> bool {
    super::find_in_path(bin).is_some()
}

/// Poll `f` every 50 ms until it holds or `secs` pass.
pub fn wait_until(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A RESP connection that never panics: every failure is `None`.
pub struct Link {
    pub s: TcpStream,
    buf: Vec<u8>,
}

impl Link {
    pub fn open(port: u16) -> Option<Link> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let _ = s.set_nodelay(true);
        Some(Link { s, buf: Vec::new() })
    }

    pub fn read(&mut self) -> Option<Frame> {
        loop {
            match Frame::parse(&self.buf) {
                Ok(Some((f, n))) => {
                    self.buf.drain(..n);
                    return Some(f);
                }
                Ok(None) => {}
                Err(_) => return None,
            }
            let mut tmp = [0u8; 65536];
            match self.s.read(&mut tmp) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    pub fn cmd(&mut self, args: &[&str]) -> Option<Frame> {
        self.s.write_all(&Frame::command(args)).ok()?;
        self.read()
    }
}

/// One command on a new connection.
pub fn cmd(port: u16, args: &[&str]) -> Option<Frame> {
    Link::open(port)?.cmd(args)
}

pub fn text(f: &Frame) -> String {
    match f {
        Frame::Integer(i) => i.to_string(),
        f => f.as_str().map(|s| s.to_string()).unwrap_or_default(),
    }
}

/// A RESP2 flat map reply as (field, value) pairs.
pub fn pairs(f: &Frame) -> Vec<(String, String)> {
    f.as_array()
        .unwrap_or(&[])
        .chunks(2)
        .filter(|c| c.len() == 2)
        .map(|c| (text(&c[0]), text(&c[1])))
        .collect()
}

pub fn field(f: &Frame, name: &str) -> Option<String> {
    pairs(f)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// `INFO section` field `name` of a server.
pub fn info_field(port: u16, section: &str, name: &str) -> Option<String> {
    let f = cmd(port, &["INFO", section])?;
    let t = String::from_utf8_lossy(f.as_bytes()?).into_owned();
    t.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// ROLE as (role, master port for a replica, replica link state).
pub fn role(port: u16) -> Option<(String, Option<u16>, String)> {
    let f = cmd(port, &["ROLE"])?;
    let a = f.as_array()?;
    let r = text(a.first()?);
    if r == "slave" {
        let mp = a.get(2).and_then(|p| p.as_int()).map(|p| p as u16);
        let state = a.get(3).map(text).unwrap_or_default();
        Some((r, mp, state))
    } else {
        Some((r, None, String::new()))
    }
}

/// True if `port` is a replica of `master` with its link up.
pub fn replica_connected(port: u16, master: u16) -> bool {
    role(port).is_some_and(|(r, m, s)| r == "slave" && m == Some(master) && s == "connected")
}

/// A numeric field of `SENTINEL MASTER mymaster` on a sentinel.
pub fn sentinel_num(port: u16, name: &str) -> i64 {
    cmd(port, &["SENTINEL", "MASTER", "mymaster"])
        .and_then(|f| field(&f, name))
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

/// The master port a sentinel currently reports.
pub fn sentinel_master_port(port: u16) -> Option<u16> {
    let f = cmd(port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"])?;
    text(f.as_array()?.get(1)?).parse().ok()
}

fn wait_pong(p: &mut Proc, secs: u64) -> Result<(), String> {
    let ok = wait_until(secs, || {
        if let Ok(Some(_)) = p.child.try_wait() {
            return true;
        }
        matches!(cmd(p.port, &["PING"]), Some(Frame::Simple(s)) if s == "PONG")
    });
    if let Ok(Some(st)) = p.child.try_wait() {
        return Err(format!("{} exited with {st}:\n{}", p.what, p.log_text()));
    }
    if !ok {
        return Err(format!("{} not answering PING:\n{}", p.what, p.log_text()));
    }
    Ok(())
}

/// Spawn `program args` with stdout/stderr appended to `log`, wait for PONG on `port`.
pub fn spawn(
    what: &str,
    program: &Path,
    argv0: Option<&str>,
    args: &[String],
    port: u16,
    log: &Path,
) -> Proc {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open log");
    let err = out.try_clone().expect("clone log");
    let mut c = Command::new(program);
    #[cfg(unix)]
    if let Some(a0) = argv0 {
        use std::os::unix::process::CommandExt;
        c.arg0(a0);
    }
    let _ = argv0;
    let child = c
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let mut p = Proc {
        child,
        port,
        log: log.to_path_buf(),
        what: what.to_string(),
    };
    if let Err(e) = wait_pong(&mut p, 15) {
        panic!("{e}");
    }
    p
}

fn bin(kind: Kind, real: &str) -> PathBuf {
    match kind {
        Kind::Ours => super::our_binary(),
        Kind::Real => super::find_in_path(real)
            .unwrap_or_else(|| panic!("{real} not installed (`make deps` installs it)")),
    }
}

/// A server (ours or redis-server) on `port`, no persistence, logging to
/// `dir/server-<port>.log` (appended across restarts).
pub fn start_server(kind: Kind, dir: &Path, port: u16, replicaof: Option<u16>) -> Proc {
    let mut args: Vec<String> = Vec::new();
    if kind == Kind::Ours {
        args.push("server".into());
    }
    for a in [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        &dir.to_string_lossy(),
        "--dbfilename",
        &format!("dump-{port}.rdb"),
        "--repl-diskless-sync-delay",
        "0",
    ] {
        args.push(a.to_string());
    }
    if let Some(m) = replicaof {
        args.extend(["--replicaof".into(), "127.0.0.1".into(), m.to_string()]);
    }
    let log = dir.join(format!("server-{port}.log"));
    spawn(
        &format!("{kind:?} server {port}"),
        &bin(kind, "redis-server"),
        None,
        &args,
        port,
        &log,
    )
}

/// Sentinel timings.
#[derive(Clone, Debug)]
pub struct Timing {
    pub quorum: u32,
    pub down_after_ms: u64,
    pub failover_timeout_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            quorum: 2,
            down_after_ms: 2000,
            failover_timeout_ms: 6000,
        }
    }
}

/// The conf file of the sentinel on `port` (written once; the sentinel rewrites it).
pub fn sentinel_conf_path(dir: &Path, port: u16) -> PathBuf {
    dir.join(format!("sentinel-{port}.conf"))
}

/// A sentinel (ours or redis-sentinel) on `port` monitoring `mymaster` at
/// `master`. Its conf file is written only if it does not exist yet, so a
/// restart reloads the rewritten one.
pub fn start_sentinel(kind: Kind, dir: &Path, port: u16, master: u16, t: &Timing) -> Proc {
    let conf = sentinel_conf_path(dir, port);
    if !conf.exists() {
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\nsentinel monitor mymaster 127.0.0.1 {master} {q}\nsentinel down-after-milliseconds mymaster {d}\nsentinel failover-timeout mymaster {f}\n",
                dir = dir.display(),
                q = t.quorum,
                d = t.down_after_ms,
                f = t.failover_timeout_ms
            ),
        )
        .expect("write sentinel conf");
    }
    let mut args: Vec<String> = Vec::new();
    if kind == Kind::Ours {
        args.push("sentinel".into());
    }
    args.push(conf.to_string_lossy().into_owned());
    let log = dir.join(format!("sentinel-{port}.log"));
    spawn(
        &format!("{kind:?} sentinel {port}"),
        &bin(kind, "redis-sentinel"),
        None,
        &args,
        port,
        &log,
    )
}

/// 1 master + 2 replicas + 3 sentinels on free loopback ports.
pub struct Cluster {
    pub dir: PathBuf,
    pub server_kind: Kind,
    pub sentinel_kind: Kind,
    pub timing: Timing,
    pub server_ports: [u16; 3],
    pub sentinel_ports: [u16; 3],
    /// Index = position in `server_ports`; `None` once killed.
    pub servers: Vec<Option<Proc>>,
    pub sentinels: Vec<Option<Proc>>,
}

impl Cluster {
    /// Start everything and wait until each sentinel knows both replicas and
    /// the two other sentinels (bounded: panics after 60 s with the logs).
    pub fn start(tag: &str, server_kind: Kind, sentinel_kind: Kind, timing: Timing) -> Cluster {
        let dir = tmpdir(tag);
        let ports = distinct_ports::<3>(&[]);
        let sports = distinct_ports::<3>(&ports);
        let mut servers = vec![Some(start_server(server_kind, &dir, ports[0], None))];
        for &p in &ports[1..] {
            servers.push(Some(start_server(server_kind, &dir, p, Some(ports[0]))));
        }
        let mut c = Cluster {
            dir,
            server_kind,
            sentinel_kind,
            timing,
            server_ports: ports,
            sentinel_ports: sports,
            servers,
            sentinels: Vec::new(),
        };
        for &p in &ports[1..] {
            let ok = wait_until(30, || replica_connected(p, ports[0]));
            assert!(ok, "replica {p} did not sync:\n{}", c.logs());
        }
        for &sp in &sports {
            let s = start_sentinel(sentinel_kind, &c.dir, sp, ports[0], &c.timing);
            c.sentinels.push(Some(s));
        }
        for &sp in &sports {
            let ok = wait_until(60, || {
                sentinel_num(sp, "num-slaves") == 2 && sentinel_num(sp, "num-other-sentinels") == 2
            });
            assert!(
                ok,
                "sentinel {sp} did not discover the topology:\n{}",
                c.logs()
            );
        }
        c
    }

    pub fn master_port(&self) -> u16 {
        self.server_ports[0]
    }

    /// SIGKILL the server on `port`.
    pub fn kill_server(&mut self, port: u16) {
        let i = self.index(port);
        self.servers[i] = None;
    }

    /// Start a server again on `port` (as a master: the sentinels must reconfigure it).
    pub fn restart_server(&mut self, port: u16) {
        let i = self.index(port);
        self.servers[i] = None;
        self.servers[i] = Some(start_server(self.server_kind, &self.dir, port, None));
    }

    fn index(&self, port: u16) -> usize {
        self.server_ports
            .iter()
            .position(|&p| p == port)
            .expect("a server port")
    }

    pub fn server_log(&self, port: u16) -> String {
        std::fs::read_to_string(self.dir.join(format!("server-{port}.log"))).unwrap_or_default()
    }

    pub fn sentinel_log(&self, port: u16) -> String {
        std::fs::read_to_string(self.dir.join(format!("sentinel-{port}.log"))).unwrap_or_default()
    }

    /// Every log, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for &p in &self.server_ports {
            s.push_str(&format!("----- server {p}\n{}\n", self.server_log(p)));
        }
        for &p in &self.sentinel_ports {
            s.push_str(&format!("----- sentinel {p}\n{}\n", self.sentinel_log(p)));
        }
        s
    }

    /// Subscribe to `+switch-master` on the first sentinel (read timeout `secs`).
    pub fn subscribe_switch(&self, secs: u64) -> Link {
        let mut sub = Link::open(self.sentinel_ports[0]).expect("connect to sentinel");
        sub.s
            .set_read_timeout(Some(Duration::from_secs(secs)))
            .expect("timeout");
        let r = sub
            .cmd(&["SUBSCRIBE", "+switch-master"])
            .expect("subscribe reply");
        assert_eq!(text(&r.as_array().expect("array")[0]), "subscribe");
        sub
    }
}

/// Read one `+switch-master` message; returns (old port, new port).
pub fn read_switch(sub: &mut Link) -> Option<(u16, u16)> {
    let msg = sub.read()?;
    let a = msg.as_array()?;
    if text(a.first()?) != "message" || text(a.get(1)?) != "+switch-master" {
        return None;
    }
    let body = text(a.get(2)?);
    let parts: Vec<&str> = body.split(' ').collect();
    if parts.len() != 5 || parts[0] != "mymaster" {
        return None;
    }
    Some((parts[2].parse().ok()?, parts[4].parse().ok()?))
}

/// N distinct free ports, none in `avoid`.
pub fn distinct_ports<const N: usize>(avoid: &[u16]) -> [u16; N] {
    let mut out = [0u16; N];
    let mut i = 0;
    while i < N {
        let p = super::free_port();
        if !avoid.contains(&p) && !out[..i].contains(&p) {
            out[i] = p;
            i += 1;
        }
    }
    out
}
