//! The tutorial's topology on loopback (1 master, 2 replicas, 3 sentinels,
//! master name `mymaster`), with each part either ours or Debian's 7.0.15, for
//! the sentinel interop and client tests. Every process is killed on drop;
//! every wait is bounded.

use super::{
    cmd, distinct_ports, field, replica_connected, spawn, text, tmpdir, wait_until, Conn, Proc,
};
use std::path::{Path, PathBuf};

/// Which implementation runs a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ours,
    Real,
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

/// Start `redis-<role>` (ours: `sentinel-lab <role>`) with `args` on `port`,
/// logging to `dir/<role>-<port>.log` (appended across restarts).
fn start(kind: Kind, role: &str, dir: &Path, port: u16, args: Vec<String>) -> Proc {
    let (program, args) = match kind {
        Kind::Ours => {
            let ours = std::iter::once(role.to_string()).chain(args).collect();
            (super::our_binary(), ours)
        }
        Kind::Real => {
            let real = format!("redis-{role}");
            let bin = super::find_in_path(&real)
                .unwrap_or_else(|| panic!("{real} not installed (`make deps` installs it)"));
            (bin, args)
        }
    };
    let log = dir.join(format!("{role}-{port}.log"));
    spawn(
        &format!("{kind:?} {role} {port}"),
        &program,
        None,
        &args,
        port,
        &log,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// A server (ours or redis-server) on `port`, no persistence, logging to
/// `dir/server-<port>.log` (appended across restarts).
pub fn start_server(kind: Kind, dir: &Path, port: u16, replicaof: Option<u16>) -> Proc {
    let mut args: Vec<String> = Vec::new();
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
    start(kind, "server", dir, port, args)
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
    start(
        kind,
        "sentinel",
        dir,
        port,
        vec![conf.to_string_lossy().into_owned()],
    )
}

/// 1 master + 2 replicas + 3 sentinels on free loopback ports.
pub struct Cluster {
    pub dir: PathBuf,
    pub server_kind: Kind,
    /// Index = position in `sentinel_ports`.
    pub sentinel_kinds: [Kind; 3],
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
        Cluster::start_mixed(tag, server_kind, [sentinel_kind; 3], timing)
    }

    /// `start` with each sentinel's implementation chosen apart (a mixed group).
    pub fn start_mixed(
        tag: &str,
        server_kind: Kind,
        sentinel_kinds: [Kind; 3],
        timing: Timing,
    ) -> Cluster {
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
            sentinel_kinds,
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
        for (&sp, kind) in sports.iter().zip(sentinel_kinds) {
            let s = start_sentinel(kind, &c.dir, sp, ports[0], &c.timing);
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
    pub fn subscribe_switch(&self, secs: u64) -> Conn {
        let mut sub = Conn::connect(self.sentinel_ports[0]);
        sub.set_read_timeout(secs);
        let r = sub.cmd(&["SUBSCRIBE", "+switch-master"]);
        assert_eq!(text(&r.as_array().expect("array")[0]), "subscribe");
        sub
    }
}

/// Read one `+switch-master` message; returns (old port, new port).
pub fn read_switch(sub: &mut Conn) -> Option<(u16, u16)> {
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
