//! Invariants of a simulated cluster, checked after every step of a run.
//!
//! [`Checker`] rides along in a [`Sim`] (`sim.checker = Some(Checker::new())`)
//! and is called after every processed event (and after crashes and starts).
//! It reads only what is new in the trace since its last call, so a step that
//! records nothing (most steps: bytes moving) costs a comparison. From the
//! sentinel events, the servers' log lines and the sentinels' persisted
//! configuration it keeps, incrementally, the state the safety properties
//! need:
//!
//! - **one leader per epoch**: no two sentinels are elected leader
//!   (`+elected-leader`) for the same failover epoch;
//! - **one master per config epoch**: every configuration a sentinel persists
//!   (its sentinel.conf, rewritten on every switch) names, for a given config
//!   epoch, the same master: so no two masters can both be believed by a
//!   majority in the same epoch (nor by any two sentinels);
//! - **epochs only grow**: a sentinel's persisted current epoch never goes
//!   back, and its config epoch is never ahead of it;
//! - **a promoted node is a live server**: when a leader selects a replica
//!   (`+selected-slave`), that server is up, or went down so recently that
//!   the sentinel cannot know yet: sentinelSelectSlave skips replicas whose
//!   last PING reply is older than 5 ping periods (5 s), so a crash up to
//!   that long before the selection (plus a reply in flight) is allowed.
//!
//! "A promoted node was a replica of the failed master" is what one would
//! like, but it is not what Redis guarantees, so it is counted
//! (`foreign_promotions`), not asserted. sentinelSelectSlave picks among the
//! instances the sentinel lists as the failed master's replicas, by priority,
//! offset and run id, without looking at the role each one reports or the
//! master it follows. The fuzzer finds both ways this matters:
//! - an old master restarted from its redis.conf comes back as a master;
//!   it is listed as a replica of the new master (since +switch-master) and
//!   is converted only after 4 hello periods of a sane master; if the new
//!   master dies first, the old one is "promoted" with its stale dataset;
//! - after a failover whose reconfiguration of a replica did not get through
//!   (cut off from the leader; a replica in +sdown counts as reconfigured for
//!   +failover-end), that replica still follows the older master until
//!   +fix-slave-config; if the new master dies first, it can be promoted
//!   with the older lineage's data.
//!
//! The writes lost that way are in the fuzzer's lost-write count.
//!
//! Liveness is checked separately, once faults are healed and time has
//! passed, by [`check_converged`]: the sentinels agree on one master and one
//! config epoch, that server is a master, every other server replicates it.

use super::factory::{SENTINEL_CONF, SERVER_CONF};
use super::{HostId, Sim, TraceKind};
use crate::node::Millis;
use crate::resp::Frame;
use crate::vecmap::VecSet;

/// How long after a crash a sentinel may still select the server: Redis's
/// `SENTINEL_PING_PERIOD * 5` for the last PING reply, plus a reply in flight.
const SELECT_BLIND_MS: Millis = 5 * 1000 + 1000;

/// A broken invariant, with when it broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub time: Millis,
    pub what: String,
}

#[derive(Clone, Debug, Default)]
struct ServerView {
    up: bool,
    /// When it crashed, while it is down.
    down_since: Millis,
    /// The master it is configured to replicate (`ip:port`), or `None` if it is a master.
    master: Option<String>,
    /// Every master it has replicated during the run.
    followed: VecSet<String>,
}

#[derive(Clone, Debug, Default)]
struct SentinelView {
    /// Current epoch as its events tell (`+new-epoch`), reset from its disk on start.
    epoch: u64,
    /// Epoch of the failover it last tried (`+try-failover`).
    failover_epoch: u64,
    /// Last persisted current epoch.
    persisted_epoch: u64,
}

/// The safety state of a run, fed incrementally from the trace.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    seen: usize,
    servers: crate::vecmap::VecMap<HostId, ServerView>,
    sentinels: crate::vecmap::VecMap<HostId, SentinelView>,
    /// (master name, config epoch) -> (master address, the sentinel that first persisted it).
    epoch_master: crate::vecmap::VecMap<(String, u64), (String, String)>,
    /// Failover epoch -> elected sentinel.
    leaders: crate::vecmap::VecMap<u64, String>,
    /// Promotions (`+promoted-slave`): failovers that got as far as a new master.
    pub failovers: u64,
    /// Failovers started (`+try-failover`).
    pub attempts: u64,
    /// Servers selected for promotion while they were masters themselves or
    /// followed another master than the failed one (Redis does not check:
    /// see the module comment).
    pub foreign_promotions: u64,
    /// ... of which had never replicated the failed master at all.
    pub never_followed_promotions: u64,
    /// When a server last crashed (its memory gone).
    pub last_server_crash: Option<Millis>,
    pub violations: Vec<Violation>,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    fn violate(&mut self, time: Millis, what: String) {
        // The first few are what matters; a broken run may repeat itself.
        if self.violations.len() < 20 {
            self.violations.push(Violation { time, what });
        }
    }

    /// Server `h` now replicates `master`.
    fn follow(&mut self, h: HostId, master: &str) {
        let v = self.servers.entry(h).or_default();
        v.master = Some(master.to_string());
        v.followed.insert(master.to_string());
    }

    /// Look at what happened since the last call.
    pub fn after_step(&mut self, sim: &Sim) {
        let n = sim.trace.entries.len();
        if self.seen >= n {
            return;
        }
        let mut rewrote = VecSet::new();
        for i in self.seen..n {
            let e = &sim.trace.entries[i];
            let Some(h) = sim.host_by_name(&e.host) else {
                continue;
            };
            let sentinel = sim.hosts[h].spec.kind == "sentinel";
            match e.kind {
                TraceKind::Start => {
                    if sentinel {
                        let text = config_text(sim, h, SENTINEL_CONF);
                        let epoch = sentinel_conf_state(&text).0;
                        // What it persisted before (checked against its disk below).
                        let persisted_epoch =
                            self.sentinels.get(&h).map_or(epoch, |v| v.persisted_epoch);
                        self.sentinels.insert(
                            h,
                            SentinelView {
                                epoch,
                                failover_epoch: 0,
                                persisted_epoch,
                            },
                        );
                        rewrote.insert(h);
                    } else {
                        let text = config_text(sim, h, SERVER_CONF);
                        let master = replicaof(&text);
                        let v = self.servers.entry(h).or_default();
                        v.up = true;
                        v.master = None;
                        if let Some(m) = master {
                            self.follow(h, &m);
                        }
                    }
                }
                TraceKind::Crash => {
                    if let Some(s) = self.servers.get_mut(&h) {
                        s.up = false;
                        s.down_since = e.time;
                        self.last_server_crash = Some(e.time);
                    }
                }
                TraceKind::Log if !sentinel => {
                    let msg = e.text.get(2..).unwrap_or("");
                    // "REPLICAOF <ip:port> enabled (user request from ...)"
                    if let Some(rest) = msg.strip_prefix("REPLICAOF ") {
                        let head = rest.split_once(" (").map_or("", |(a, _)| a);
                        if let Some((addr, "enabled")) = head.split_once(' ') {
                            self.follow(h, addr);
                        }
                    } else if msg.starts_with("MASTER MODE enabled") {
                        self.servers.entry(h).or_default().master = None;
                    }
                }
                TraceKind::Other if sentinel && e.text.starts_with("rewrote") => {
                    rewrote.insert(h);
                }
                TraceKind::Sentinel => self.sentinel_event(sim, h, e.time, &e.text),
                _ => {}
            }
        }
        self.seen = n;
        for h in rewrote {
            self.persisted(sim, h);
        }
    }

    fn sentinel_event(&mut self, sim: &Sim, h: HostId, time: Millis, text: &str) {
        let (kind, detail) = text.split_once(' ').unwrap_or((text, ""));
        let name = &sim.hosts[h].name;
        let view = self.sentinels.entry(h).or_default();
        match kind {
            "+new-epoch" => {
                let e: u64 = detail.trim().parse().unwrap_or(0);
                if e <= view.epoch {
                    let was = view.epoch;
                    self.violate(
                        time,
                        format!("{name}: +new-epoch {e} does not grow its epoch {was}"),
                    );
                } else {
                    view.epoch = e;
                }
            }
            "+try-failover" => {
                view.failover_epoch = view.epoch;
                self.attempts += 1;
            }
            "+elected-leader" => {
                let epoch = view.failover_epoch;
                match self.leaders.get(&epoch) {
                    Some(other) if other != name => {
                        let other = other.clone();
                        self.violate(
                            time,
                            format!("two leaders elected in epoch {epoch}: {other} and {name}"),
                        );
                    }
                    _ => {
                        self.leaders.insert(epoch, name.clone());
                    }
                }
            }
            "+selected-slave" => {
                // slave <ip:port> <ip> <port> @ <master> <mip> <mport>
                let t: Vec<&str> = detail.split(' ').collect();
                if t.len() >= 8 {
                    let (replica, failed) = (t[1].to_string(), format!("{}:{}", t[6], t[7]));
                    let server = sim
                        .hosts
                        .iter()
                        .position(|x| x.addr.to_string() == replica)
                        .and_then(|id| self.servers.get(&id));
                    let (state, foreign, never) = match server {
                        None => (Some("not a known server".to_string()), false, false),
                        Some(s) if !s.up && time.saturating_sub(s.down_since) > SELECT_BLIND_MS => {
                            (Some("down".to_string()), false, false)
                        }
                        Some(ServerView {
                            master, followed, ..
                        }) => (
                            None,
                            master.as_deref() != Some(failed.as_str()),
                            !followed.contains(&failed),
                        ),
                    };
                    if foreign {
                        self.foreign_promotions += 1;
                        self.never_followed_promotions += never as u64;
                    }
                    if let Some(state) = state {
                        self.violate(
                            time,
                            format!(
                                "{name} selected {replica} to replace {failed}, but it is {state}"
                            ),
                        );
                    }
                }
            }
            "+promoted-slave" => self.failovers += 1,
            _ => {}
        }
    }

    /// A sentinel persisted its configuration: record its (config epoch, master) beliefs.
    fn persisted(&mut self, sim: &Sim, h: HostId) {
        let text = config_text(sim, h, SENTINEL_CONF);
        let (current, masters) = sentinel_conf_state(&text);
        let name = sim.hosts[h].name.clone();
        let now = sim.now;
        let view = self.sentinels.entry(h).or_default();
        let was = view.persisted_epoch;
        view.persisted_epoch = was.max(current);
        if current < was {
            self.violate(
                now,
                format!("{name}: persisted current epoch went back from {was} to {current}"),
            );
        }
        for (master, epoch, addr) in masters {
            if epoch > current {
                self.violate(
                    now,
                    format!("{name}: config epoch {epoch} of {master} is ahead of its current epoch {current}"),
                );
            }
            match self.epoch_master.get(&(master.clone(), epoch)) {
                Some((a, who)) if *a != addr => {
                    let (a, who) = (a.clone(), who.clone());
                    self.violate(
                        now,
                        format!(
                            "two masters for {master} in config epoch {epoch}: {who} believes {a}, {name} believes {addr}"
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    self.epoch_master
                        .insert((master, epoch), (addr, name.clone()));
                }
            }
        }
    }

    /// The servers' roles as the checker tracks them: name -> master it follows (None: a master), for up servers.
    pub fn tracked_roles(&self, sim: &Sim) -> crate::vecmap::VecMap<String, Option<String>> {
        self.servers
            .iter()
            .filter(|(_, s)| s.up)
            .map(|(h, s)| (sim.hosts[*h].name.clone(), s.master.clone()))
            .collect()
    }

    /// How many failover epochs had a leader elected.
    pub fn elections(&self) -> usize {
        self.leaders.len()
    }
}

/// The config file a node starts from: its disk's copy, else its spec's text.
fn config_text(sim: &Sim, h: HostId, file: &str) -> String {
    let host = &sim.hosts[h];
    host.disk
        .get(file)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| host.spec.config.clone())
}

/// `replicaof <ip> <port>` of a redis.conf text.
fn replicaof(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let t: Vec<&str> = l.split_whitespace().collect();
        match t.as_slice() {
            [k, ip, port]
                if k.eq_ignore_ascii_case("replicaof") || k.eq_ignore_ascii_case("slaveof") =>
            {
                Some(format!("{ip}:{port}"))
            }
            _ => None,
        }
    })
}

/// From sentinel.conf text: the current epoch and, per monitored master,
/// (name, config epoch, address).
fn sentinel_conf_state(text: &str) -> (u64, Vec<(String, u64, String)>) {
    let mut current = 0;
    let mut addrs: crate::vecmap::VecMap<String, String> = crate::vecmap::VecMap::new();
    let mut epochs: crate::vecmap::VecMap<String, u64> = crate::vecmap::VecMap::new();
    for l in text.lines() {
        let t: Vec<&str> = l.split_whitespace().collect();
        match t.as_slice() {
            ["sentinel", "current-epoch", e] => current = e.parse().unwrap_or(0),
            ["sentinel", "monitor", name, ip, port, _] => {
                addrs.insert(name.to_string(), format!("{ip}:{port}"));
            }
            ["sentinel", "config-epoch", name, e] => {
                epochs.insert(name.to_string(), e.parse().unwrap_or(0));
            }
            _ => {}
        }
    }
    let masters = addrs
        .into_iter()
        .map(|(n, a)| {
            let e = epochs.get(&n).copied().unwrap_or(0);
            (n, e, a)
        })
        .collect();
    (current, masters)
}

/// A flat key/value reply (SENTINEL MASTER) as a map.
fn fields(f: &Frame) -> crate::vecmap::VecMap<String, String> {
    let text = |x: &Frame| match x {
        Frame::Integer(i) => i.to_string(),
        other => other.as_str().unwrap_or("").to_string(),
    };
    match f {
        Frame::Array(a) => a
            .chunks(2)
            .filter(|kv| kv.len() == 2)
            .map(|kv| (text(&kv[0]), text(&kv[1])))
            .collect(),
        Frame::Map(m) => m.iter().map(|(k, v)| (text(k), text(v))).collect(),
        _ => crate::vecmap::VecMap::new(),
    }
}

/// What a converged cluster looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converged {
    /// The master every sentinel names (`ip:port`) and its host.
    pub master: String,
    pub master_host: HostId,
    pub config_epoch: u64,
}

/// Liveness, once faults are healed and enough time has passed: every live
/// sentinel names the same master for `name` in the same config epoch, that
/// server says it is a master, every other live server replicates it over a
/// connected link, and (if the sim has a checker) the roles the checker
/// tracked agree with what the servers say.
pub fn check_converged(sim: &mut Sim, name: &str) -> Result<Converged, String> {
    let mut views = Vec::new();
    for h in 0..sim.hosts.len() {
        if sim.hosts[h].spec.kind != "sentinel" || sim.hosts[h].node.is_none() {
            continue;
        }
        let who = sim.hosts[h].name.clone();
        let reply = sim.command(h, &["SENTINEL", "MASTER", name], 2000);
        let f = reply
            .as_ref()
            .map(fields)
            .ok_or(format!("{who} does not answer SENTINEL MASTER"))?;
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        views.push((
            who,
            format!("{}:{}", get("ip"), get("port")),
            get("config-epoch").parse::<u64>().unwrap_or(0),
        ));
    }
    let (_, master, config_epoch) = views.first().cloned().ok_or("no live sentinel")?;
    if views.iter().any(|v| v.1 != master || v.2 != config_epoch) {
        return Err(format!(
            "sentinels disagree (name, master, config epoch): {views:?}"
        ));
    }
    let master_host = sim
        .hosts
        .iter()
        .position(|h| h.addr.to_string() == master && h.spec.kind == "server")
        .ok_or(format!("the sentinels' master {master} is not a server"))?;
    let mut roles = Vec::new();
    for h in 0..sim.hosts.len() {
        if sim.hosts[h].spec.kind != "server" || sim.hosts[h].node.is_none() {
            continue;
        }
        let who = sim.hosts[h].name.clone();
        let r = match sim.command(h, &["ROLE"], 2000) {
            Some(Frame::Array(a)) if a.first().and_then(|r| r.as_str()) == Some("slave") => {
                let m = format!(
                    "{}:{}",
                    a.get(1).and_then(|x| x.as_str()).unwrap_or("?"),
                    a.get(2).and_then(|x| x.as_int()).unwrap_or(0)
                );
                let link = a.get(3).and_then(|x| x.as_str()).unwrap_or("?").to_string();
                (Some(m), link)
            }
            Some(Frame::Array(a)) if a.first().and_then(|r| r.as_str()) == Some("master") => {
                (None, String::new())
            }
            other => return Err(format!("{who} answers ROLE with {other:?}")),
        };
        roles.push((h, who, r));
    }
    for (h, who, (m, link)) in &roles {
        if *h == master_host {
            if m.is_some() {
                return Err(format!(
                    "the sentinels' master {master} ({who}) is a replica: {roles:?}"
                ));
            }
        } else if m.as_deref() != Some(master.as_str()) || link != "connected" {
            return Err(format!("{who} does not replicate {master}: {roles:?}"));
        }
    }
    if let Some(c) = &sim.checker {
        let tracked = c.tracked_roles(sim);
        for (_, who, (m, _)) in &roles {
            if tracked.get(who) != Some(m) {
                return Err(format!(
                    "the checker tracked {who} as {:?}, ROLE says {m:?}",
                    tracked.get(who)
                ));
            }
        }
    }
    Ok(Converged {
        master,
        master_host,
        config_epoch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::{tutorial, SentinelSettings, EPOCH};

    fn cluster() -> Sim {
        let mut sim = Sim::new(3, EPOCH);
        sim.checker = Some(Checker::new());
        tutorial(&mut sim, &SentinelSettings::default());
        sim.run_for(15_000);
        sim
    }

    fn fake(sim: &mut Sim, host: &str, kind: TraceKind, text: &str) {
        let now = sim.now;
        sim.trace.push(now, host, kind, text.to_string());
    }

    fn violations(sim: &mut Sim) -> Vec<String> {
        let mut c = sim.checker.take().unwrap();
        c.after_step(sim);
        c.violations.iter().map(|v| v.what.clone()).collect()
    }

    #[test]
    fn a_healthy_failover_breaks_nothing() {
        let mut sim = cluster();
        sim.crash(0);
        sim.run_for(40_000);
        let c = sim.checker.as_ref().unwrap();
        assert!(c.violations.is_empty(), "{:?}", c.violations);
        assert_eq!(c.failovers, 1);
        assert_eq!(c.elections(), 1);
        assert_eq!(
            check_converged(&mut sim, "mymaster").unwrap().config_epoch,
            1
        );
    }

    #[test]
    fn two_leaders_in_one_epoch_are_caught() {
        let mut sim = cluster();
        for s in ["redis-sentinel1", "redis-sentinel2"] {
            fake(&mut sim, s, TraceKind::Sentinel, "+new-epoch 7");
            fake(
                &mut sim,
                s,
                TraceKind::Sentinel,
                "+try-failover master mymaster 172.24.0.2 6379",
            );
            fake(
                &mut sim,
                s,
                TraceKind::Sentinel,
                "+elected-leader master mymaster 172.24.0.2 6379",
            );
        }
        let v = violations(&mut sim);
        assert_eq!(
            v,
            vec!["two leaders elected in epoch 7: redis-sentinel1 and redis-sentinel2"]
        );
    }

    #[test]
    fn two_masters_in_one_config_epoch_are_caught() {
        let mut sim = cluster();
        for (s, ip) in [
            ("redis-sentinel1", "172.24.0.3"),
            ("redis-sentinel2", "172.24.0.4"),
        ] {
            let h = sim.host_by_name(s).unwrap();
            let conf = format!("sentinel monitor mymaster {ip} 6379 2\nsentinel config-epoch mymaster 3\nsentinel current-epoch 3\n");
            sim.hosts[h]
                .disk
                .insert(SENTINEL_CONF.into(), conf.into_bytes());
            fake(&mut sim, s, TraceKind::Other, "rewrote sentinel.conf");
        }
        let v = violations(&mut sim);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].starts_with("two masters for mymaster in config epoch 3"),
            "{v:?}"
        );
    }

    #[test]
    fn promoting_a_dead_server_is_caught() {
        let mut sim = cluster();
        sim.crash(1);
        // Just after the crash the sentinels cannot know it yet: allowed.
        let select =
            "+selected-slave slave 172.24.0.3:6379 172.24.0.3 6379 @ mymaster 172.24.0.2 6379";
        fake(&mut sim, "redis-sentinel1", TraceKind::Sentinel, select);
        let mut c = sim.checker.take().unwrap();
        c.after_step(&sim);
        assert!(c.violations.is_empty(), "{:?}", c.violations);
        sim.checker = Some(c);
        // Long after, its last PING reply is too old for sentinelSelectSlave.
        sim.now += SELECT_BLIND_MS + 1;
        fake(
            &mut sim,
            "redis-sentinel1",
            TraceKind::Sentinel,
            "+selected-slave slave 172.24.0.3:6379 172.24.0.3 6379 @ mymaster 172.24.0.2 6379",
        );
        let v = violations(&mut sim);
        assert!(v[0].ends_with("but it is down"), "{v:?}");
    }

    #[test]
    fn parses_configs() {
        assert_eq!(
            replicaof("port 6379\nreplicaof 1.2.3.4 6380\n"),
            Some("1.2.3.4:6380".into())
        );
        assert_eq!(replicaof("port 6379\n"), None);
        let (cur, m) = sentinel_conf_state(
            "sentinel myid x\nsentinel monitor mymaster 10.0.0.3 6379 2\nsentinel config-epoch mymaster 4\nsentinel current-epoch 5\n",
        );
        assert_eq!(cur, 5);
        assert_eq!(m, vec![("mymaster".into(), 4, "10.0.0.3:6379".into())]);
    }
}
