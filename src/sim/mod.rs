//! A deterministic simulator: virtual clock, seeded randomness, an in-memory
//! network carrying the real RESP bytes between real node state machines.
//!
//! Everything that happens is an event in one queue ordered by (time, seq), so
//! the same seed and the same actions give the same trace, byte for byte.
//! Idle time is skipped: the clock jumps to the next event.

pub mod compose;
pub mod factory;
pub mod invariants;
pub mod lessons;
pub mod net;
pub mod scenario;
pub mod trace;

use crate::node::{
    Addr, ConnId, Event, Input, Millis, Node, Output, Resolver, ScriptStatus, OUTBOUND_BIT,
};
use crate::resp::Frame;
use crate::rng::Rng;
use crate::vecmap::VecMap;
use crate::vecmap::VecSet;
use net::{LinkFault, NetConfig, Transmit};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
pub use trace::{TraceEntry, TraceKind};

/// Index of a host in the simulation.
pub type HostId = usize;

/// The simulated disk of a host: survives crashes and restarts.
pub type Disk = VecMap<String, Vec<u8>>;

/// Builds a host's node from its spec and disk (on start and on restart);
/// `names` is the simulation's resolver, for nodes that resolve names themselves.
pub type NodeFactory =
    fn(spec: &NodeSpec, disk: &Disk, now: Millis, seed: u64, names: &Resolver) -> Box<dyn Node>;

/// What a failed `getaddrinfo` says, worded as the native host words it (Rust's
/// std over glibc), so a simulated log reads as a native one.
pub const NAME_NOT_KNOWN: &str = "failed to lookup address information: Name or service not known";

/// What a host runs.
#[derive(Clone, Debug)]
pub struct NodeSpec {
    pub name: String,
    pub kind: String,
    /// Config file text (redis.conf or sentinel.conf style).
    pub config: String,
}

pub struct Host {
    pub name: String,
    pub addr: Addr,
    pub spec: NodeSpec,
    pub node: Option<Box<dyn Node>>,
    pub disk: Disk,
    /// Files with bytes not synced yet, and the length they had when last
    /// synced: what a machine crash leaves of them (see [`Sim::machine_crash`]).
    pub unsynced: VecMap<String, usize>,
    /// The disk has no room left: AOF appends fail with ENOSPC (the
    /// node refuses writes until it is cleared and a retry goes in).
    pub disk_full: bool,
    factory: NodeFactory,
    next_inbound: u64,
    /// Earliest tick scheduled for this host.
    next_tick: Option<Millis>,
    /// Like SIGSTOP: inputs wait until this time.
    pub paused_until: Millis,
    /// Incremented on every restart so stale events are ignored.
    pub incarnation: u64,
    /// When the node last got an input since it started (see `query`).
    last_input: Option<Millis>,
    /// Names that resolve to this host's address while it runs (service
    /// name, container name, hostname), as Docker's embedded DNS does.
    pub names: Vec<String>,
    /// The host refuses to start (an image's entrypoint exiting with these
    /// lines): every start logs them and leaves it stopped.
    pub refusal: Option<Vec<String>>,
}

/// One end of a simulated TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct End {
    pub host: HostId,
    pub conn: ConnId,
}

#[derive(Debug)]
enum SimEvent {
    Deliver {
        to: End,
        bytes: Vec<u8>,
        inc: u64,
    },
    Closed {
        to: End,
        inc: u64,
    },
    Connected {
        to: End,
        local: Addr,
        inc: u64,
    },
    ConnectFailed {
        to: End,
        reason: String,
        inc: u64,
    },
    Accept {
        to: HostId,
        conn: ConnId,
        peer: Addr,
        local: Addr,
        inc: u64,
    },
    Tick {
        host: HostId,
        inc: u64,
    },
    Resume {
        host: HostId,
        inc: u64,
    },
    /// A script the host asked for ends: the simulator runs none, it
    /// records the call and reports "exit 0" at once.
    ScriptExited {
        host: HostId,
        id: u64,
        inc: u64,
    },
    /// An AOF append hit a full disk (see [`Host::disk_full`]).
    AofWriteFailed {
        host: HostId,
        inc: u64,
        file: String,
        unwritten: Vec<u8>,
    },
}

/// A client connection the simulation itself holds (for `command`).
struct SimClient {
    buf: Vec<u8>,
    replies: Vec<Frame>,
    closed: bool,
}

/// Pseudo host id of the simulation's own clients.
pub const CLIENT_HOST: HostId = usize::MAX;

pub struct Sim {
    pub now: Millis,
    pub rng: Rng,
    pub hosts: Vec<Host>,
    pub net: NetConfig,
    queue: BinaryHeap<Reverse<(Millis, u64, usize)>>,
    events: EventSlab,
    seq: u64,
    /// Established connections: each end knows its peer.
    links: VecMap<End, End>,
    /// Last delivery time per direction, so bytes stay in order.
    last_delivery: VecMap<(End, End), Millis>,
    clients: VecMap<ConnId, SimClient>,
    next_client_conn: u64,
    pub trace: trace::Trace,
    /// Invariants checked after every step, if set (see `invariants`).
    pub checker: Option<invariants::Checker>,
    /// The names that resolve now (lower case, as DNS compares them) → address.
    names: Rc<RefCell<VecMap<String, String>>>,
    /// Published ports: `(machine address, port)` → the host that gets the
    /// connection (on its own port), as Docker forwards `-p`.
    published: VecMap<(String, u16), HostId>,
}

/// The pending events, by the index the queue holds: a slab whose free
/// slots are reused, so scheduling costs no tree insertion (the queue's
/// `seq` alone orders events; an index only finds one).
#[derive(Default)]
struct EventSlab {
    slots: Vec<Option<SimEvent>>,
    free: Vec<usize>,
}

impl EventSlab {
    fn insert(&mut self, ev: SimEvent) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(ev);
                i
            }
            None => {
                self.slots.push(Some(ev));
                self.slots.len() - 1
            }
        }
    }

    fn remove(&mut self, i: usize) -> Option<SimEvent> {
        let ev = self.slots.get_mut(i)?.take();
        if ev.is_some() {
            self.free.push(i);
        }
        ev
    }

    fn get(&self, i: usize) -> Option<&SimEvent> {
        self.slots.get(i)?.as_ref()
    }
}

impl Sim {
    /// Open the inbound end of a connection from `me` on host `to` (its next
    /// inbound id) and link the two ends; returns the inbound end.
    fn link_inbound(&mut self, me: End, to: HostId) -> End {
        let h = &mut self.hosts[to];
        h.next_inbound += 1;
        let their = End {
            host: to,
            conn: ConnId(h.next_inbound),
        };
        self.links.insert(me, their);
        self.links.insert(their, me);
        their
    }

    /// A simulation whose clock starts at `start` (unix ms) with this seed.
    pub fn new(seed: u64, start: Millis) -> Sim {
        Sim {
            now: start,
            rng: Rng::new(seed),
            hosts: Vec::new(),
            net: NetConfig::default(),
            queue: BinaryHeap::new(),
            events: EventSlab::default(),
            seq: 0,
            links: VecMap::new(),
            last_delivery: VecMap::new(),
            clients: VecMap::new(),
            next_client_conn: 0,
            trace: trace::Trace::default(),
            checker: None,
            names: Rc::default(),
            published: VecMap::new(),
        }
    }

    /// Let the invariant checker (if any) look at what just happened.
    fn observe(&mut self) {
        if let Some(mut c) = self.checker.take() {
            c.after_step(self);
            self.checker = Some(c);
        }
    }

    fn schedule(&mut self, at: Millis, ev: SimEvent) {
        self.seq += 1;
        let id = self.events.insert(ev);
        self.queue.push(Reverse((at, self.seq, id)));
    }

    /// Add a host running the node `factory` builds; it starts immediately.
    pub fn add_host(&mut self, spec: NodeSpec, addr: Addr, factory: NodeFactory) -> HostId {
        self.add_named_host(spec, addr, factory, Vec::new(), None)
    }

    /// Add a host that `names` resolve to while it runs; with a `refusal`
    /// it does not start (see [`Host::refusal`]).
    pub fn add_named_host(
        &mut self,
        spec: NodeSpec,
        addr: Addr,
        factory: NodeFactory,
        names: Vec<String>,
        refusal: Option<Vec<String>>,
    ) -> HostId {
        let id = self.hosts.len();
        self.hosts.push(Host {
            name: spec.name.clone(),
            addr,
            spec,
            node: None,
            disk: Disk::new(),
            unsynced: VecMap::new(),
            factory,
            next_inbound: 0,
            next_tick: None,
            paused_until: 0,
            disk_full: false,
            incarnation: 0,
            last_input: None,
            names,
            refusal,
        });
        self.start(id);
        id
    }

    /// The simulation's name table as a resolver: what a name resolves to at
    /// the moment it is asked (the table changes as hosts stop and start).
    pub fn resolver(&self) -> Resolver {
        let names = self.names.clone();
        Resolver::new(move |name| names.borrow().get(&name.to_ascii_lowercase()).cloned())
    }

    /// What `name` resolves to now, if anything.
    pub fn resolve(&self, name: &str) -> Option<String> {
        self.names.borrow().get(&name.to_ascii_lowercase()).cloned()
    }

    /// Forward connections to `machine_ip:machine_port` to host `id` (on its
    /// own port), as a published port does.
    pub fn publish(&mut self, machine_ip: &str, machine_port: u16, id: HostId) {
        self.published
            .insert((machine_ip.to_string(), machine_port), id);
    }

    /// A running host's names resolve to its address; a stopped one's do not.
    fn set_names(&mut self, id: HostId, running: bool) {
        let h = &self.hosts[id];
        let mut table = self.names.borrow_mut();
        for n in &h.names {
            let key = n.to_ascii_lowercase();
            if running {
                table.insert(key, h.addr.host.clone());
            } else if table.get(&key) == Some(&h.addr.host) {
                table.remove(&key);
            }
        }
    }

    pub fn host_by_name(&self, name: &str) -> Option<HostId> {
        self.hosts.iter().position(|h| h.name == name)
    }

    fn start(&mut self, id: HostId) {
        if let Some(lines) = self.hosts[id].refusal.clone() {
            let name = self.hosts[id].name.clone();
            for line in lines {
                self.trace.push(self.now, &name, TraceKind::Log, line);
            }
            self.trace.push(
                self.now,
                &name,
                TraceKind::Crash,
                "exited with code 1".into(),
            );
            return;
        }
        self.set_names(id, true);
        let seed = self.rng.next_u64();
        let resolver = self.resolver();
        let h = &mut self.hosts[id];
        h.incarnation += 1;
        h.next_tick = None;
        let node = (h.factory)(&h.spec, &h.disk, self.now, seed, &resolver);
        h.last_input = None;
        h.node = Some(node);
        let name = h.name.clone();
        self.trace
            .push(self.now, &name, TraceKind::Start, "started".into());
        self.drain(id);
        self.observe();
    }

    /// Kill the process: its memory is gone, its disk stays; peers see the
    /// connections reset.
    pub fn crash(&mut self, id: HostId) {
        if self.hosts[id].node.is_none() {
            return;
        }
        self.hosts[id].node = None;
        self.hosts[id].incarnation += 1;
        self.set_names(id, false);
        let name = self.hosts[id].name.clone();
        self.trace
            .push(self.now, &name, TraceKind::Crash, "crashed".into());
        let ends: Vec<(End, End)> = self
            .links
            .iter()
            .filter(|(a, _)| a.host == id)
            .map(|(a, b)| (*a, *b))
            .collect();
        for (a, b) in ends {
            self.links.remove(&a);
            self.links.remove(&b);
            let at = self.delivery_time(a, b);
            let inc = self.inc_of(b.host);
            self.schedule(at, SimEvent::Closed { to: b, inc });
        }
        self.observe();
    }

    /// The machine goes down (power loss): the process dies as in
    /// [`Sim::crash`], and the bytes of its files that were written but not
    /// synced are lost too (an AOF with `appendfsync everysec` / `no`).
    pub fn machine_crash(&mut self, id: HostId) {
        self.crash(id);
        let h = &mut self.hosts[id];
        let mut lost = 0;
        for (file, len) in std::mem::take(&mut h.unsynced) {
            if let Some(bytes) = h.disk.get_mut(&file) {
                lost += bytes.len().saturating_sub(len);
                bytes.truncate(len);
            }
        }
        let name = h.name.clone();
        self.trace.push(
            self.now,
            &name,
            TraceKind::Crash,
            format!("machine crashed ({lost} unsynced bytes lost)"),
        );
    }

    /// An AOF file operation on a host's disk, keeping track of what is synced.
    fn aof_file_op(&mut self, id: HostId, op: crate::node::FileOp) {
        use crate::node::FileOp;
        let h = &mut self.hosts[id];
        match op {
            FileOp::Append { file, bytes, .. } if h.disk_full && !bytes.is_empty() => {
                let inc = h.incarnation;
                let ev = SimEvent::AofWriteFailed {
                    host: id,
                    inc,
                    file,
                    unwritten: bytes,
                };
                self.schedule(self.now, ev);
            }
            FileOp::Append { file, bytes, fsync } => {
                let f = h.disk.entry(file.clone()).or_default();
                let before = f.len();
                f.extend_from_slice(&bytes);
                if fsync {
                    h.unsynced.remove(&file);
                } else if !bytes.is_empty() {
                    h.unsynced.entry(file).or_insert(before);
                }
            }
            FileOp::Fsync { file } => {
                h.unsynced.remove(&file);
            }
            FileOp::Truncate { file, len } => {
                let f = h.disk.entry(file.clone()).or_default();
                f.resize(len as usize, 0);
                if let Some(l) = h.unsynced.get_mut(&file) {
                    *l = (*l).min(len as usize);
                }
            }
            FileOp::Rename { from, to } => {
                if let Some(b) = h.disk.remove(&from) {
                    h.disk.insert(to.clone(), b);
                }
                h.unsynced.remove(&to);
                if let Some(l) = h.unsynced.remove(&from) {
                    h.unsynced.insert(to, l);
                }
            }
            FileOp::Delete { file } => {
                h.disk.remove(&file);
                h.unsynced.remove(&file);
            }
        }
    }

    /// Start a crashed host again from its spec and disk.
    pub fn restart(&mut self, id: HostId) {
        if self.hosts[id].node.is_some() {
            self.crash(id);
        }
        self.start(id);
    }

    /// Freeze a host (like SIGSTOP or DEBUG SLEEP) for `ms`.
    pub fn pause(&mut self, id: HostId, ms: Millis) {
        self.hosts[id].paused_until = self.now + ms;
        let inc = self.hosts[id].incarnation;
        let name = self.hosts[id].name.clone();
        self.trace.push(
            self.now,
            &name,
            TraceKind::Pause,
            format!("paused for {ms} ms"),
        );
        self.schedule(self.now + ms, SimEvent::Resume { host: id, inc });
    }

    fn inc_of(&self, host: HostId) -> u64 {
        if host == CLIENT_HOST {
            0
        } else {
            self.hosts[host].incarnation
        }
    }

    fn addr_of(&self, host: HostId) -> Addr {
        if host == CLIENT_HOST {
            Addr::new("10.0.0.100", 40000)
        } else {
            self.hosts[host].addr.clone()
        }
    }

    /// When bytes sent now from `a` to `b` arrive (in order, after latency and faults).
    fn delivery_time(&mut self, a: End, b: End) -> Millis {
        self.transmit_time(a, b).0
    }

    /// When bytes sent now from `a` to `b` arrive, and whether TCP gives up
    /// on the way (a lossy link losing the segment too many times: reset).
    fn transmit_time(&mut self, a: End, b: End) -> (Millis, bool) {
        let fault = self.net.fault(a.host, b.host);
        let mut t = self.now + self.net.latency(&mut self.rng);
        let mut reset = false;
        match fault {
            LinkFault::None => {}
            LinkFault::Slow(extra) => t += extra,
            // Held until the partition heals (TCP keeps retransmitting).
            LinkFault::Cut => t = Millis::MAX / 2,
            LinkFault::Lossy(p) => match self.net.transmit(p, &mut self.rng) {
                Transmit::After(d) => t += d,
                Transmit::Reset(d) => {
                    t += d;
                    reset = true;
                }
            },
        }
        // In order: a delayed segment holds back everything after it.
        let last = self.last_delivery.get(&(a, b)).copied().unwrap_or(0);
        let t = t.max(last);
        self.last_delivery.insert((a, b), t);
        (t, reset)
    }

    /// Bytes from `from` to its peer `to`: delivered in order, or the
    /// connection reset (both ends see it closed) if TCP gives up.
    fn transmit(&mut self, from: End, to: End, bytes: Vec<u8>) {
        let (at, reset) = self.transmit_time(from, to);
        if reset {
            self.links.remove(&from);
            self.links.remove(&to);
            let name = if from.host == CLIENT_HOST {
                "client".to_string()
            } else {
                self.hosts[from.host].name.clone()
            };
            let peer = if to.host == CLIENT_HOST {
                "client".to_string()
            } else {
                self.hosts[to.host].name.clone()
            };
            self.trace.push(
                self.now,
                &name,
                TraceKind::Net,
                format!("connection to {peer} reset (segment lost too often)"),
            );
            for end in [to, from] {
                let inc = self.inc_of(end.host);
                self.schedule(at, SimEvent::Closed { to: end, inc });
            }
            return;
        }
        let inc = self.inc_of(to.host);
        self.schedule(at, SimEvent::Deliver { to, bytes, inc });
    }

    /// Carry out every output of a host's node.
    fn drain(&mut self, id: HostId) {
        loop {
            let Some(node) = self.hosts[id].node.as_mut() else {
                return;
            };
            let Some(out) = node.poll_output() else {
                break;
            };
            self.output(id, out);
        }
        let Some(node) = self.hosts[id].node.as_ref() else {
            return;
        };
        if let Some(t) = node.poll_timeout() {
            let t = t.max(self.now + 1);
            let h = &mut self.hosts[id];
            if h.next_tick.is_none_or(|n| t < n || n <= self.now) {
                h.next_tick = Some(t);
                let inc = h.incarnation;
                self.schedule(t, SimEvent::Tick { host: id, inc });
            }
        }
    }

    fn output(&mut self, id: HostId, out: Output) {
        // The host's name is borrowed where a trace entry needs it, not
        // cloned per output: sends are most of a run's outputs.
        match out {
            Output::Send { conn, bytes } => {
                let from = End { host: id, conn };
                let Some(to) = self.links.get(&from).copied() else {
                    return;
                };
                self.trace.message(self.now, &self.hosts[id].name, &bytes);
                self.transmit(from, to, bytes);
            }
            Output::Close { conn } => {
                let from = End { host: id, conn };
                if let Some(to) = self.links.remove(&from) {
                    self.links.remove(&to);
                    let at = self.delivery_time(from, to);
                    let inc = self.inc_of(to.host);
                    self.schedule(at, SimEvent::Closed { to, inc });
                }
            }
            Output::Connect { conn, addr, .. } => {
                let me = End { host: id, conn };
                let inc = self.hosts[id].incarnation;
                let lat = self.net.latency(&mut self.rng);
                let target = match self.route(&addr) {
                    Ok(t) => t,
                    Err(reason) => {
                        // getaddrinfo failed: no connection is attempted.
                        self.schedule(
                            self.now + lat,
                            SimEvent::ConnectFailed {
                                to: me,
                                reason: reason.into(),
                                inc,
                            },
                        );
                        return;
                    }
                };
                match target {
                    Some(t) if self.hosts[t].node.is_some() => {
                        if self.net.fault(id, t) == LinkFault::Cut
                            || self.net.fault(t, id) == LinkFault::Cut
                        {
                            self.schedule(
                                self.now + self.net.connect_timeout,
                                SimEvent::ConnectFailed {
                                    to: me,
                                    reason: "Connection timed out".into(),
                                    inc,
                                },
                            );
                            return;
                        }
                        let their = self.link_inbound(me, t);
                        let local = Addr::new(
                            self.hosts[id].addr.host.clone(),
                            30000 + (conn.0 & !OUTBOUND_BIT) as u16 % 30000,
                        );
                        let tinc = self.hosts[t].incarnation;
                        self.schedule(
                            self.now + lat,
                            SimEvent::Accept {
                                to: t,
                                conn: their.conn,
                                peer: local.clone(),
                                local: addr.clone(),
                                inc: tinc,
                            },
                        );
                        self.schedule(
                            self.now + 2 * lat,
                            SimEvent::Connected { to: me, local, inc },
                        );
                    }
                    _ => self.schedule(
                        self.now + 2 * lat,
                        SimEvent::ConnectFailed {
                            to: me,
                            reason: "Connection refused".into(),
                            inc,
                        },
                    ),
                }
            }
            Output::Event(Event::RunScript { id: job, argv }) => {
                self.trace.script(self.now, &self.hosts[id].name, &argv);
                let inc = self.hosts[id].incarnation;
                self.schedule(
                    self.now,
                    SimEvent::ScriptExited {
                        host: id,
                        id: job,
                        inc,
                    },
                );
            }
            Output::Event(Event::AofFile(op)) => self.aof_file_op(id, op),
            Output::Event(ev) => {
                let h = &mut self.hosts[id];
                self.trace.event(self.now, &h.name, ev, &mut h.disk)
            }
        }
    }

    /// The host a connection to `addr` reaches: by address, through a
    /// published port, or by a name resolved now (a name that does not
    /// resolve is the resolver's error).
    fn route(&self, addr: &Addr) -> Result<Option<HostId>, &'static str> {
        let at = |ip: &str, port: u16| {
            self.hosts
                .iter()
                .position(|h| h.addr.host == ip && h.addr.port == port)
        };
        if let Some(t) = at(&addr.host, addr.port) {
            return Ok(Some(t));
        }
        if let Some(t) = self.published.get(&(addr.host.clone(), addr.port)) {
            let h = &self.hosts[*t];
            return Ok(at(&h.addr.host, h.addr.port));
        }
        if addr.host.parse::<std::net::IpAddr>().is_ok() {
            return Ok(None);
        }
        match self.resolve(&addr.host) {
            Some(ip) => Ok(at(&ip, addr.port)),
            None => Err(NAME_NOT_KNOWN),
        }
    }

    fn feed(&mut self, id: HostId, input: Input<'_>) {
        let now = self.now;
        self.hosts[id].last_input = Some(now);
        if let Some(node) = self.hosts[id].node.as_mut() {
            node.handle(now, input);
        }
        self.drain(id);
    }

    /// Process one event; false if none is left before `until`.
    pub fn step(&mut self, until: Millis) -> bool {
        let stepped = self.step_inner(until);
        if stepped && self.checker.is_some() {
            self.observe();
        }
        stepped
    }

    fn step_inner(&mut self, until: Millis) -> bool {
        let Some(Reverse((at, _, idx))) = self.queue.peek().copied() else {
            return false;
        };
        if at > until {
            return false;
        }
        self.queue.pop();
        let Some(ev) = self.events.remove(idx) else {
            return true;
        };
        self.now = self.now.max(at);
        let host_of = |ev: &SimEvent| match ev {
            SimEvent::Deliver { to, inc, .. }
            | SimEvent::Closed { to, inc }
            | SimEvent::Connected { to, inc, .. }
            | SimEvent::ConnectFailed { to, inc, .. } => (to.host, *inc),
            SimEvent::Accept { to, inc, .. } => (*to, *inc),
            SimEvent::Tick { host, inc }
            | SimEvent::Resume { host, inc }
            | SimEvent::ScriptExited { host, inc, .. }
            | SimEvent::AofWriteFailed { host, inc, .. } => (*host, *inc),
        };
        let (host, inc) = host_of(&ev);
        if host == CLIENT_HOST {
            self.client_event(ev);
            return true;
        }
        let h = &self.hosts[host];
        if h.incarnation != inc || h.node.is_none() {
            return true;
        }
        // A paused host takes nothing until it resumes; re-queue for then.
        if h.paused_until > self.now && !matches!(ev, SimEvent::Resume { .. }) {
            let t = h.paused_until;
            self.seq += 1;
            let idx = self.events.insert(ev);
            self.queue.push(Reverse((t, self.seq, idx)));
            return true;
        }
        match ev {
            SimEvent::Deliver { to, bytes, .. } => self.feed(
                host,
                Input::Data {
                    conn: to.conn,
                    bytes: &bytes,
                },
            ),
            SimEvent::Closed { to, .. } => self.feed(host, Input::Closed { conn: to.conn }),
            SimEvent::Connected { to, local, .. } => self.feed(
                host,
                Input::Connected {
                    conn: to.conn,
                    local,
                },
            ),
            SimEvent::ConnectFailed { to, reason, .. } => self.feed(
                host,
                Input::ConnectFailed {
                    conn: to.conn,
                    reason,
                },
            ),
            SimEvent::Accept {
                conn, peer, local, ..
            } => self.feed(host, Input::Accepted { conn, peer, local }),
            SimEvent::Tick { .. } => {
                if self.hosts[host].next_tick.is_some_and(|t| t <= self.now) {
                    self.hosts[host].next_tick = None;
                }
                self.feed(host, Input::Tick)
            }
            SimEvent::Resume { .. } => self.feed(host, Input::Tick),
            SimEvent::ScriptExited { id, .. } => {
                let status = ScriptStatus::Exited { code: 0, signal: 0 };
                self.feed(host, Input::Script { id, status })
            }
            SimEvent::AofWriteFailed {
                file, unwritten, ..
            } => self.feed(
                host,
                Input::AofWriteFailed {
                    file,
                    unwritten,
                    partial: 0,
                    error: "No space left on device".into(),
                    truncate_error: None,
                },
            ),
        }
        true
    }

    /// Run every event up to virtual time `t`, then set the clock to `t`.
    pub fn run_until(&mut self, t: Millis) {
        while self.step(t) {}
        self.now = self.now.max(t);
    }

    pub fn run_for(&mut self, ms: Millis) {
        let t = self.now + ms;
        self.run_until(t);
    }

    /// Run until `pred` holds (checked after each event) or `max_ms` passes.
    pub fn run_until_pred(&mut self, max_ms: Millis, mut pred: impl FnMut(&Sim) -> bool) -> bool {
        let end = self.now + max_ms;
        loop {
            if pred(self) {
                return true;
            }
            if !self.step(end) {
                self.now = self.now.max(end);
                return pred(self);
            }
        }
    }

    fn client_event(&mut self, ev: SimEvent) {
        match ev {
            SimEvent::Deliver { to, bytes, .. } => {
                if let Some(c) = self.clients.get_mut(&to.conn) {
                    c.buf.extend_from_slice(&bytes);
                    while let Ok(Some((f, n))) = Frame::parse(&c.buf) {
                        c.buf.drain(..n);
                        c.replies.push(f);
                    }
                }
            }
            SimEvent::Closed { to, .. } => {
                if let Some(c) = self.clients.get_mut(&to.conn) {
                    c.closed = true;
                }
            }
            _ => {}
        }
    }

    /// Open a client connection to a host; returns its id for `send`.
    pub fn connect_client(&mut self, to: HostId) -> Option<ConnId> {
        self.hosts[to].node.as_ref()?;
        if self.net.fault(CLIENT_HOST, to) == LinkFault::Cut {
            return None;
        }
        self.next_client_conn += 1;
        let me = End {
            host: CLIENT_HOST,
            conn: ConnId(self.next_client_conn),
        };
        let their = self.link_inbound(me, to);
        self.clients.insert(
            me.conn,
            SimClient {
                buf: Vec::new(),
                replies: Vec::new(),
                closed: false,
            },
        );
        let inc = self.hosts[to].incarnation;
        let peer = Addr::new("10.0.0.100", 40000 + (me.conn.0 % 20000) as u16);
        let local = self.addr_of(to);
        let lat = self.net.latency(&mut self.rng);
        self.schedule(
            self.now + lat,
            SimEvent::Accept {
                to,
                conn: their.conn,
                peer,
                local,
                inc,
            },
        );
        // Bytes sent right away must not overtake the accept.
        self.last_delivery.insert((me, their), self.now + lat);
        Some(me.conn)
    }

    /// Send a command on a client connection.
    pub fn send(&mut self, conn: ConnId, argv: &[&str]) {
        let from = End {
            host: CLIENT_HOST,
            conn,
        };
        let Some(to) = self.links.get(&from).copied() else {
            return;
        };
        let bytes = Frame::command(argv.iter().map(|s| s.as_bytes()));
        self.transmit(from, to, bytes);
    }

    /// Replies received so far on a client connection (taken).
    pub fn take_replies(&mut self, conn: ConnId) -> Vec<Frame> {
        self.clients
            .get_mut(&conn)
            .map(|c| std::mem::take(&mut c.replies))
            .unwrap_or_default()
    }

    /// One command, one reply: connect, send, run until the reply (or `max_ms`).
    pub fn command(&mut self, host: HostId, argv: &[&str], max_ms: Millis) -> Option<Frame> {
        let conn = self.connect_client(host)?;
        self.send(conn, argv);
        let ok = self.run_until_pred(max_ms, |s| {
            s.clients
                .get(&conn)
                .is_some_and(|c| !c.replies.is_empty() || c.closed)
        });
        let reply = if ok {
            self.take_replies(conn).into_iter().next()
        } else {
            None
        };
        self.close_client(conn);
        reply
    }

    /// Several commands pipelined on one client connection; runs until every
    /// reply is in (or `max_ms` passes). One entry per command, `None` if
    /// its reply did not come.
    pub fn commands(
        &mut self,
        host: HostId,
        cmds: &[&[&str]],
        max_ms: Millis,
    ) -> Vec<Option<Frame>> {
        let Some(conn) = self.connect_client(host) else {
            return vec![None; cmds.len()];
        };
        for argv in cmds {
            self.send(conn, argv);
        }
        let n = cmds.len();
        self.run_until_pred(max_ms, |s| {
            s.clients
                .get(&conn)
                .is_some_and(|c| c.replies.len() >= n || c.closed)
        });
        let mut replies: Vec<Option<Frame>> =
            self.take_replies(conn).into_iter().map(Some).collect();
        replies.resize(n, None);
        self.close_client(conn);
        replies
    }

    /// Ask a node something out of band, at the current instant, without the
    /// simulated network: no latency, no randomness drawn, no trace entry, no
    /// time passing (for a UI polling ROLE/INFO without changing the run).
    /// The node is asked at the time of its last input, so none of its timers
    /// fire early, and only once it has had an input since it started (a new
    /// node still has start-up work that the first input does). `None` if the
    /// host is down, paused or just started, or the reply is not immediate.
    pub fn query(&mut self, id: HostId, argv: &[&str]) -> Option<Frame> {
        let h = self.hosts.get(id)?;
        let now = h.last_input?;
        if h.paused_until > self.now {
            return None;
        }
        let node = self.hosts[id].node.as_mut()?;
        let (reply, others) = crate::node::inspect(node.as_mut(), now, argv);
        for out in others {
            self.output(id, out);
        }
        self.drain(id);
        reply
    }

    pub fn close_client(&mut self, conn: ConnId) {
        let from = End {
            host: CLIENT_HOST,
            conn,
        };
        if let Some(to) = self.links.remove(&from) {
            self.links.remove(&to);
            let at = self.delivery_time(from, to);
            let inc = self.inc_of(to.host);
            self.schedule(at, SimEvent::Closed { to, inc });
        }
        self.clients.remove(&conn);
    }

    /// Cut the network between two hosts, both directions.
    pub fn partition(&mut self, a: HostId, b: HostId) {
        self.net.set_fault(a, b, LinkFault::Cut);
        self.net.set_fault(b, a, LinkFault::Cut);
        let (na, nb) = (self.hosts[a].name.clone(), self.hosts[b].name.clone());
        self.trace.push(
            self.now,
            &na,
            TraceKind::Net,
            format!("partitioned from {nb}"),
        );
    }

    /// Cut a host off from every other host (and from clients).
    pub fn isolate(&mut self, a: HostId) {
        for b in 0..self.hosts.len() {
            if b != a {
                self.net.set_fault(a, b, LinkFault::Cut);
                self.net.set_fault(b, a, LinkFault::Cut);
            }
        }
        self.net.set_fault(a, CLIENT_HOST, LinkFault::Cut);
        self.net.set_fault(CLIENT_HOST, a, LinkFault::Cut);
        let na = self.hosts[a].name.clone();
        self.trace
            .push(self.now, &na, TraceKind::Net, "isolated".into());
    }

    /// Set the fault of one direction of the link `from` → `to` (slow, lossy,
    /// or cut: a one-way partition). A cut is undone by `heal`.
    pub fn set_link(&mut self, from: HostId, to: HostId, fault: LinkFault) {
        self.net.set_fault(from, to, fault);
        let (na, nb) = (self.hosts[from].name.clone(), self.hosts[to].name.clone());
        self.trace.push(
            self.now,
            &na,
            TraceKind::Net,
            format!("link to {nb}: {fault}"),
        );
    }

    /// Set the fault of both directions between `a` and `b`.
    pub fn degrade(&mut self, a: HostId, b: HostId, fault: LinkFault) {
        self.set_link(a, b, fault);
        self.set_link(b, a, fault);
    }

    /// Remove every fault; bytes held by cut links are delivered now, in order.
    pub fn heal(&mut self) {
        self.net.clear_faults();
        self.trace
            .push(self.now, "net", TraceKind::Net, "healed".into());
        self.release_held(|_| true);
        let lat = self.net.base_latency;
        for v in self.last_delivery.values_mut() {
            if *v >= Millis::MAX / 2 {
                *v = self.now + lat;
            }
        }
    }

    /// Remove the faults between `a` and `b` only (both directions); the
    /// bytes held between them are delivered now, in order. Other faults
    /// (other cuts, an isolated host's other links) stay.
    pub fn heal_link(&mut self, a: HostId, b: HostId) {
        self.net.set_fault(a, b, LinkFault::None);
        self.net.set_fault(b, a, LinkFault::None);
        let (na, nb) = (self.hosts[a].name.clone(), self.hosts[b].name.clone());
        self.trace.push(
            self.now,
            &na,
            TraceKind::Net,
            format!("healed link to {nb}"),
        );
        let pair = |x: HostId, y: HostId| (x == a && y == b) || (x == b && y == a);
        let dirs: Vec<(End, End)> = self
            .last_delivery
            .iter()
            .filter(|((f, t), v)| **v >= Millis::MAX / 2 && pair(f.host, t.host))
            .map(|(k, _)| *k)
            .collect();
        // An end receives from its one peer: the held bytes of a direction
        // are the held events addressed to its receiving end.
        let targets: VecSet<End> = dirs.iter().map(|(_, t)| *t).collect();
        self.release_held(|ev| match ev {
            SimEvent::Deliver { to, .. } | SimEvent::Closed { to, .. } => targets.contains(to),
            _ => false,
        });
        let lat = self.net.base_latency;
        for d in dirs {
            self.last_delivery.insert(d, self.now + lat);
        }
    }

    /// Deliver now, in their order, the held events (`Millis::MAX / 2`) that
    /// `select` picks.
    fn release_held(&mut self, select: impl Fn(&SimEvent) -> bool) {
        let held: Vec<usize> = self
            .queue
            .iter()
            .filter(|Reverse((t, _, _))| *t >= Millis::MAX / 2)
            .map(|Reverse((_, _, i))| *i)
            .filter(|i| self.events.get(*i).is_some_and(&select))
            .collect();
        let held: VecSet<usize> = held.into_iter().collect();
        let mut keep = BinaryHeap::new();
        let mut moved = Vec::new();
        for Reverse((t, s, i)) in std::mem::take(&mut self.queue) {
            if held.contains(&i) {
                moved.push((s, i));
            } else {
                keep.push(Reverse((t, s, i)));
            }
        }
        self.queue = keep;
        crate::coldsort::sort(&mut moved);
        let lat = self.net.base_latency;
        for (k, (s, i)) in moved.into_iter().enumerate() {
            self.queue
                .push(Reverse((self.now + lat + k as Millis / 1000, s, i)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Millis = 1_767_225_600_000; // 2026-01-01

    fn server(sim: &mut Sim, name: &str, ip: &str, extra: &str) -> HostId {
        let spec = NodeSpec {
            name: name.into(),
            kind: "server".into(),
            config: format!(
                "port 6379\nprotected-mode no\nrepl-diskless-sync-delay 0\nrepl-timeout 5\n{extra}"
            ),
        };
        sim.add_host(spec, Addr::new(ip, 6379), factory::server_node)
    }

    #[test]
    fn heal_link_heals_one_pair_and_keeps_the_other_cuts() {
        let mut sim = Sim::new(7, START);
        let m = server(&mut sim, "master", "10.0.0.1", "");
        let r1 = server(&mut sim, "r1", "10.0.0.2", "replicaof 10.0.0.1 6379");
        let r2 = server(&mut sim, "r2", "10.0.0.3", "replicaof 10.0.0.1 6379");
        sim.run_for(3_000);
        sim.partition(m, r1);
        sim.partition(m, r2);
        sim.run_for(8_000);
        assert!(sim.trace.contains("r1", "MASTER timeout"));
        assert!(sim.trace.contains("r2", "MASTER timeout"));
        sim.heal_link(r1, m);
        assert!(sim
            .trace
            .entries
            .iter()
            .any(|e| e.host == "r1" && e.text == "healed link to master"));
        sim.run_for(5_000);
        let link = |sim: &mut Sim, h| {
            let role = sim.command(h, &["ROLE"], 1000).unwrap();
            role.as_array().unwrap()[3].as_str().map(String::from)
        };
        assert_eq!(link(&mut sim, r1).as_deref(), Some("connected"));
        assert_ne!(link(&mut sim, r2).as_deref(), Some("connected"));
        sim.heal();
        sim.run_for(5_000);
        assert_eq!(link(&mut sim, r2).as_deref(), Some("connected"));
    }

    #[test]
    fn replica_syncs_then_resyncs_partially_after_a_partition() {
        let mut sim = Sim::new(7, START);
        let m = server(&mut sim, "master", "10.0.0.1", "");
        let r = server(&mut sim, "replica", "10.0.0.2", "replicaof 10.0.0.1 6379");
        sim.run_for(3_000);
        assert!(
            sim.trace
                .contains("replica", "MASTER <-> REPLICA sync: Finished with success"),
            "{}",
            sim.trace.render()
        );
        assert!(sim.trace.contains(
            "master",
            "Synchronization with replica 10.0.0.2:6379 succeeded"
        ));
        let role = sim.command(r, &["ROLE"], 1000).unwrap();
        assert_eq!(role.as_array().unwrap()[3].as_str(), Some("connected"));
        sim.partition(m, r);
        sim.run_for(8_000);
        assert!(
            sim.trace.contains("replica", "MASTER timeout"),
            "{}",
            sim.trace.render()
        );
        sim.heal();
        sim.run_for(5_000);
        assert!(
            sim.trace.contains(
                "replica",
                "Successful partial resynchronization with master."
            ),
            "{}",
            sim.trace.render()
        );
        assert!(sim.trace.contains(
            "master",
            "Partial resynchronization request from 10.0.0.2:6379 accepted"
        ));
    }

    #[test]
    fn lossy_links_delay_but_never_reorder_and_total_loss_resets() {
        let run = |seed| {
            let mut sim = Sim::new(seed, START);
            let m = server(&mut sim, "master", "10.0.0.1", "");
            let r = server(&mut sim, "replica", "10.0.0.2", "replicaof 10.0.0.1 6379");
            sim.run_for(3_000);
            sim.degrade(m, r, LinkFault::Lossy(300));
            // A client on a clean link: every INCR is acknowledged in order.
            for i in 1..=200 {
                assert_eq!(
                    sim.command(m, &["INCR", "n"], 1000),
                    Some(Frame::Integer(i))
                );
            }
            sim.run_for(20_000);
            let got = sim.command(r, &["GET", "n"], 1000);
            (got, sim.trace.hash)
        };
        let (got, hash) = run(21);
        // The stream was delayed by retransmissions but arrived whole, in order.
        assert_eq!(got, Some(Frame::bulk("200")));
        assert_eq!(run(21).1, hash);
        // Every segment lost: TCP gives up and both ends see the connection reset.
        let mut sim = Sim::new(22, START);
        let m = server(&mut sim, "master", "10.0.0.1", "");
        let r = server(&mut sim, "replica", "10.0.0.2", "replicaof 10.0.0.1 6379");
        sim.run_for(3_000);
        sim.degrade(m, r, LinkFault::Lossy(1000));
        sim.run_for(30_000);
        assert!(
            sim.trace
                .entries
                .iter()
                .any(|e| e.kind == TraceKind::Net && e.text.contains("reset")),
            "{}",
            sim.trace.render()
        );
        assert!(sim.trace.contains("replica", "Connection with master lost"));
    }

    #[test]
    fn same_seed_same_trace() {
        let run = |seed| {
            let mut sim = Sim::new(seed, START);
            server(&mut sim, "master", "10.0.0.1", "");
            server(&mut sim, "replica", "10.0.0.2", "replicaof 10.0.0.1 6379");
            sim.run_for(20_000);
            sim.trace.hash
        };
        assert_eq!(run(3), run(3));
    }

    #[test]
    fn promoted_replica_accepts_psync_from_its_sibling() {
        let mut sim = Sim::new(11, START);
        let _m = server(&mut sim, "m", "10.0.0.1", "");
        let a = server(&mut sim, "a", "10.0.0.2", "replicaof 10.0.0.1 6379");
        let b = server(&mut sim, "b", "10.0.0.3", "replicaof 10.0.0.1 6379");
        sim.run_for(3_000);
        sim.crash(0);
        sim.run_for(1_000);
        assert_eq!(
            sim.command(a, &["REPLICAOF", "NO", "ONE"], 1000),
            Some(Frame::Simple("OK".into()))
        );
        assert_eq!(
            sim.command(b, &["REPLICAOF", "10.0.0.2", "6379"], 1000),
            Some(Frame::Simple("OK".into()))
        );
        sim.run_for(3_000);
        assert!(
            sim.trace.contains(
                "a",
                "Partial resynchronization request from 10.0.0.3:6379 accepted"
            ),
            "{}",
            sim.trace.render()
        );
        assert!(sim.trace.contains(
            "b",
            "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
        ));
    }
}

#[cfg(test)]
mod persistence_tests {
    use super::*;

    #[test]
    fn a_restarted_master_reloads_its_disk() {
        let mut sim = Sim::new(5, 1_767_225_600_000);
        let spec = NodeSpec {
            name: "m".into(),
            kind: "server".into(),
            config: "protected-mode no\nsave \"1 1\"\n".into(),
        };
        let m = sim.add_host(spec, Addr::new("10.0.0.1", 6379), factory::server_node);
        assert_eq!(
            sim.command(m, &["HSET", "h", "f", "v"], 1000),
            Some(Frame::Integer(1))
        );
        sim.run_for(2_500);
        assert!(
            sim.hosts[m].disk.contains_key("dump.rdb"),
            "{}",
            sim.trace.render()
        );
        sim.crash(m);
        sim.restart(m);
        assert_eq!(
            sim.command(m, &["HGET", "h", "f"], 1000),
            Some(Frame::bulk(&b"v"[..]))
        );
        assert!(sim.trace.contains("m", "DB loaded from disk"));
    }

    #[test]
    fn with_key_load_delay_a_restarted_master_loads_in_virtual_time() {
        let mut sim = Sim::new(5, 1_767_225_600_000);
        let spec = NodeSpec {
            name: "m".into(),
            kind: "server".into(),
            config: "protected-mode no\nsave \"\"\nkey-load-delay 10000\n".into(),
        };
        let m = sim.add_host(spec, Addr::new("10.0.0.1", 6379), factory::server_node);
        let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
        for k in &keys {
            sim.command(m, &["SET", k, "v"], 1000);
        }
        assert_eq!(
            sim.command(m, &["SAVE"], 1000),
            Some(Frame::Simple("OK".into()))
        );
        sim.crash(m);
        sim.restart(m);
        // 200 keys, 10 ms each: two seconds of -LOADING.
        let loading = Frame::Error("LOADING Redis is loading the dataset in memory".into());
        assert_eq!(sim.command(m, &["DBSIZE"], 1000), Some(loading));
        sim.run_for(1_000);
        assert_eq!(
            sim.command(m, &["INFO", "persistence"], 1000)
                .map(|f| format!("{f:?}").contains("loading:1")),
            Some(true)
        );
        sim.run_for(1_500);
        assert_eq!(sim.command(m, &["DBSIZE"], 1000), Some(Frame::Integer(200)));
        assert!(sim.trace.contains("m", "DB loaded from disk: 2.0"));
    }
}
