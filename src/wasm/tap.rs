//! A message tap for the page's animation: every chunk of bytes a node
//! receives, decoded into "who sent what to whom" (PING, INFO, hello, votes,
//! REPLICAOF, PSYNC, the RDB, the command stream).
//!
//! One decoder (`Conn`: both directions of one connection) serves two taps:
//!
//! - [`Tap`] wraps each node of a simulation without changing it: inputs and
//!   outputs pass through untouched, so the run and its trace hash are the
//!   same with or without it. Both ends of a simulated TCP connection share
//!   one `Conn`, matched by the client side's address, which the server sees
//!   as the peer address of the accepted connection and the client as the
//!   `local` of `Connected`.
//! - [`NodeTap`] watches one node run by its own host (a live worker): it
//!   sees both directions of each of the node's connections, decodes what the
//!   node sends only to follow the conversation, and reports what it receives.
//!   With every node tapped, each message is reported once, by its receiver.

use super::js::{Obj, ToJs};
use crate::node::{Addr, ConnId, Input, Millis, Node, Output};
use crate::resp::Frame;
use crate::sim::Sim;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// How many decoded messages are kept (older ones are dropped).
const KEEP: usize = 4096;
/// A connection's undecoded bytes beyond this are dropped (large payloads).
const MAX_BUF: usize = 1 << 20;

/// One message: a chunk of bytes delivered from one address to another.
#[derive(Clone, Debug)]
pub struct Msg {
    pub time: Millis,
    /// Sender and receiver IPs (the client of the page is 10.0.0.100).
    pub from: String,
    pub to: String,
    /// ping, info, hello, vote, replicaof, psync, rdb, stream, ack, client, reply, other
    pub kind: &'static str,
    /// The decoded command, or the reply's request ("PING", "+PONG", ...).
    pub name: String,
    pub bytes: usize,
}

/// A message as JS sees it: `{index, time, from, to, kind, name, bytes}`
/// (`index` only where the host numbers them).
pub struct MsgJs<'a> {
    pub index: Option<usize>,
    pub time: u64,
    pub from: &'a str,
    pub to: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    pub bytes: usize,
}

impl ToJs for MsgJs<'_> {
    fn to_js(&self) -> JsValue {
        let o = match self.index {
            Some(i) => Obj::new().set("index", &i),
            None => Obj::new(),
        };
        o.set("time", &self.time)
            .set("from", self.from)
            .set("to", self.to)
            .set("kind", self.kind)
            .set("name", self.name)
            .set("bytes", &self.bytes)
            .done()
    }
}

impl Msg {
    pub fn js(&self, index: Option<usize>) -> MsgJs<'_> {
        MsgJs {
            index,
            time: self.time,
            from: &self.from,
            to: &self.to,
            kind: self.kind,
            name: &self.name,
            bytes: self.bytes,
        }
    }
}

#[derive(Default)]
enum Rdb {
    #[default]
    None,
    /// Waiting for the `$<len>` or `$EOF:<mark>` header.
    Header,
    Left(usize),
    Mark(Vec<u8>),
}

/// Both directions of one connection, keyed by the client side's address.
#[derive(Default)]
struct Conn {
    server: String,
    client: String,
    /// Requests sent by the client side and not answered yet.
    pending: VecDeque<String>,
    /// After PSYNC: the server side sends the RDB, then the command stream.
    replication: bool,
    rdb: Rdb,
    up: Vec<u8>,
    down: Vec<u8>,
}

#[derive(Default)]
pub struct Shared {
    msgs: VecDeque<Msg>,
    /// Index of `msgs[0]` since the tap started.
    base: usize,
    conns: crate::vecmap::VecMap<(String, u16), Conn>,
}

fn key(a: &Addr) -> (String, u16) {
    (a.host.clone(), a.port)
}

/// The command name of a request: upper case, with the subcommand for the
/// container commands the page shows (SENTINEL is-master-down-by-addr, ...).
fn command_name(f: &Frame) -> Option<String> {
    let a = f.as_array()?;
    let first = String::from_utf8_lossy(a.first()?.as_bytes()?).to_ascii_uppercase();
    let sub = a
        .get(1)
        .and_then(|s| s.as_bytes())
        .map(|s| String::from_utf8_lossy(s).to_ascii_uppercase());
    Some(match (first.as_str(), sub) {
        // SENTINEL is-master-down-by-addr <ip> <port> <epoch> <runid>: with
        // runid "*" a question (is it down?), with a run id a vote request.
        ("SENTINEL", Some(s)) if s == "IS-MASTER-DOWN-BY-ADDR" => {
            let ask = a.get(5).and_then(|r| r.as_bytes()) == Some(b"*");
            format!("{first} {s} {}", if ask { "(down?)" } else { "(vote?)" })
        }
        ("SENTINEL" | "REPLCONF" | "CONFIG" | "CLIENT" | "SCRIPT", Some(s)) => {
            format!("{first} {s}")
        }
        ("PUBLISH" | "SUBSCRIBE", Some(s)) if s == "__SENTINEL__:HELLO" => {
            format!("{first} __sentinel__:hello")
        }
        _ => first,
    })
}

/// The animation kind of a request.
fn kind_of(name: &str) -> &'static str {
    match name {
        "PING" => "ping",
        "INFO" => "info",
        "PUBLISH __sentinel__:hello" | "SUBSCRIBE __sentinel__:hello" => "hello",
        n if n.starts_with("SENTINEL IS-MASTER-DOWN-BY-ADDR") => "vote",
        "SLAVEOF" | "REPLICAOF" => "replicaof",
        "PSYNC" | "SYNC" => "psync",
        "REPLCONF ACK" => "ack",
        n if n.starts_with("REPLCONF") => "psync",
        _ => "other",
    }
}

/// Priority when one chunk holds several frames (MULTI, SLAVEOF, ..., EXEC):
/// the most telling one names the chunk.
fn rank(kind: &str) -> u8 {
    match kind {
        "replicaof" => 9,
        "vote" => 8,
        "psync" => 7,
        "rdb" => 6,
        "hello" => 5,
        "info" => 4,
        "ping" => 3,
        "stream" => 2,
        "ack" => 2,
        _ => 1,
    }
}

impl Shared {
    fn push(&mut self, m: Msg) {
        self.msgs.push_back(m);
        if self.msgs.len() > KEEP {
            self.msgs.pop_front();
            self.base += 1;
        }
    }

    /// Messages from index `i` on (indices count from the tap's start).
    pub fn since(&self, i: usize) -> impl Iterator<Item = (usize, &Msg)> {
        let skip = i.saturating_sub(self.base);
        self.msgs
            .iter()
            .enumerate()
            .skip(skip)
            .map(move |(k, m)| (self.base + k, m))
    }

    pub fn len(&self) -> usize {
        self.base + self.msgs.len()
    }

    /// Bytes received on the connection keyed `k`: client → server
    /// (`up`) or server → client.
    fn received(&mut self, now: Millis, k: &(String, u16), up: bool, bytes: &[u8]) {
        if let Some(c) = self.conns.get_mut(k) {
            let m = c.decode(now, up, bytes);
            self.push(m);
        }
    }
}

impl Conn {
    fn new(server: &str, client: &str) -> Conn {
        Conn {
            server: server.to_string(),
            client: client.to_string(),
            ..Conn::default()
        }
    }

    /// One chunk of bytes, client → server (`up`) or back, as a message.
    fn decode(&mut self, now: Millis, up: bool, bytes: &[u8]) -> Msg {
        let (kind, name) = if up {
            self.upstream(bytes)
        } else {
            self.downstream(bytes)
        };
        let (from, to) = if up {
            (&self.client, &self.server)
        } else {
            (&self.server, &self.client)
        };
        Msg {
            time: now,
            from: from.clone(),
            to: to.clone(),
            kind,
            name,
            bytes: bytes.len(),
        }
    }

    /// Client → server bytes: requests.
    fn upstream(&mut self, bytes: &[u8]) -> (&'static str, String) {
        let c = self;
        c.up.extend_from_slice(bytes);
        let mut best: Option<(&'static str, String)> = None;
        let mut n = 0;
        while let Ok(Some((f, used))) = Frame::parse(&c.up) {
            c.up.drain(..used);
            let Some(name) = command_name(&f) else {
                continue;
            };
            n += 1;
            let mut kind = kind_of(&name);
            if c.client == CLIENT_IP {
                kind = "client";
            }
            if kind != "ack" && !c.replication {
                c.pending.push_back(name.clone());
            }
            if best.as_ref().is_none_or(|(k, _)| rank(kind) > rank(k)) {
                best = Some((kind, name));
            }
        }
        if c.up.len() > MAX_BUF {
            c.up.clear();
        }
        let (kind, mut name) = best.unwrap_or(("other", String::new()));
        if n > 1 && kind != "client" {
            name = format!("{name} (+{})", n - 1);
        }
        (kind, name)
    }

    /// Server → client bytes: replies, pub/sub messages, the RDB, the stream.
    fn downstream(&mut self, bytes: &[u8]) -> (&'static str, String) {
        let c = self;
        c.down.extend_from_slice(bytes);
        let mut best: Option<(&'static str, String)> = None;
        let note = |best: &mut Option<(&'static str, String)>, kind: &'static str, name| {
            if best.as_ref().is_none_or(|(k, _)| rank(kind) > rank(k)) {
                *best = Some((kind, name));
            }
        };
        loop {
            // The RDB payload of a full sync: not a RESP frame.
            match std::mem::take(&mut c.rdb) {
                Rdb::None => {}
                Rdb::Header => {
                    let Some(eol) = c.down.windows(2).position(|w| w == b"\r\n") else {
                        c.rdb = Rdb::Header;
                        break;
                    };
                    let line = c.down[..eol].to_vec();
                    c.down.drain(..eol + 2);
                    note(&mut best, "rdb", "RDB".into());
                    c.rdb = if let Some(mark) = line.strip_prefix(b"$EOF:") {
                        Rdb::Mark(mark.to_vec())
                    } else {
                        let n = std::str::from_utf8(line.get(1..).unwrap_or_default())
                            .ok()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0);
                        Rdb::Left(n)
                    };
                    continue;
                }
                Rdb::Left(n) => {
                    note(&mut best, "rdb", "RDB".into());
                    let take = n.min(c.down.len());
                    c.down.drain(..take);
                    if take < n {
                        c.rdb = Rdb::Left(n - take);
                        break;
                    }
                    continue;
                }
                Rdb::Mark(mark) => {
                    note(&mut best, "rdb", "RDB".into());
                    match c.down.windows(mark.len().max(1)).position(|w| w == mark) {
                        Some(p) => {
                            c.down.drain(..p + mark.len());
                            continue;
                        }
                        None => {
                            // Keep the tail in case the mark is split.
                            let keep = c.down.len().min(mark.len());
                            let cut = c.down.len() - keep;
                            c.down.drain(..cut);
                            c.rdb = Rdb::Mark(mark);
                            break;
                        }
                    }
                }
            }
            if c.down.first() == Some(&b'\n') {
                // A replica-side keepalive newline before the RDB.
                c.down.remove(0);
                continue;
            }
            let Ok(Some((f, used))) = Frame::parse(&c.down) else {
                if !c.down.is_empty() && c.replication && c.down.first() == Some(&b'$') {
                    c.rdb = Rdb::Header;
                    continue;
                }
                break;
            };
            c.down.drain(..used);
            if c.replication {
                // The command stream from the master (SET, PING, SELECT, REPLCONF GETACK).
                if let Some(name) = command_name(&f) {
                    let kind = if name.starts_with("REPLCONF") {
                        "ack"
                    } else {
                        "stream"
                    };
                    note(&mut best, kind, name);
                }
                continue;
            }
            // A pub/sub message on a subscribed connection (hello).
            if let Some(a) = f.as_array() {
                if a.first().and_then(|x| x.as_str()) == Some("message") && c.pending.is_empty() {
                    note(&mut best, "hello", "hello".into());
                    continue;
                }
            }
            let req = c.pending.pop_front().unwrap_or_default();
            let text = match &f {
                Frame::Simple(s) => format!("+{}", s.split(' ').next().unwrap_or("")),
                Frame::Error(e) => format!("-{}", e.split(' ').next().unwrap_or("")),
                _ => format!("{req} reply"),
            };
            if (req == "PSYNC" || req == "SYNC")
                && matches!(&f, Frame::Simple(s) if s.starts_with("FULLRESYNC") || s.starts_with("CONTINUE"))
            {
                c.replication = true;
                if matches!(&f, Frame::Simple(s) if s.starts_with("FULLRESYNC")) {
                    c.rdb = Rdb::Header;
                }
            }
            let kind = if c.client == CLIENT_IP {
                "client"
            } else {
                kind_of(&req)
            };
            note(&mut best, kind, text);
        }
        if c.down.len() > MAX_BUF {
            c.down.clear();
        }
        best.unwrap_or(("other", String::new()))
    }
}

/// The address the simulator gives its own clients (console, write load).
const CLIENT_IP: &str = "10.0.0.100";
/// The peer address of `Sim::query` (out of band: not shown).
const QUERY_IP: &str = "127.0.0.1";

/// A node with a tap: passes everything through, notes what it receives.
struct Tapped {
    inner: Box<dyn Node>,
    ip: String,
    shared: Rc<RefCell<Shared>>,
    inbound: crate::vecmap::VecMap<ConnId, (String, u16)>,
    outbound: crate::vecmap::VecMap<ConnId, (String, u16)>,
}

impl Node for Tapped {
    fn handle(&mut self, now: Millis, input: Input<'_>) {
        match &input {
            Input::Accepted { conn, peer, .. } if peer.host != QUERY_IP => {
                let k = key(peer);
                self.inbound.insert(*conn, k.clone());
                self.shared
                    .borrow_mut()
                    .conns
                    .insert(k, Conn::new(&self.ip, &peer.host));
            }
            Input::Connected { conn, local } => {
                self.outbound.insert(*conn, key(local));
            }
            Input::Closed { conn } => {
                let k = self
                    .inbound
                    .remove(conn)
                    .or_else(|| self.outbound.remove(conn));
                if let Some(k) = k {
                    self.shared.borrow_mut().conns.remove(&k);
                }
            }
            Input::Data { conn, bytes } => {
                if let Some(k) = self.inbound.get(conn) {
                    self.shared.borrow_mut().received(now, k, true, bytes);
                } else if let Some(k) = self.outbound.get(conn) {
                    self.shared.borrow_mut().received(now, k, false, bytes);
                }
            }
            _ => {}
        }
        self.inner.handle(now, input);
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.inner.poll_output()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        self.inner.poll_timeout()
    }
}

/// The tap of one simulation: wraps nodes as they (re)start.
#[derive(Default)]
pub struct Tap {
    pub shared: Rc<RefCell<Shared>>,
    /// The incarnation each host had when it was wrapped.
    wrapped: Vec<u64>,
}

impl Tap {
    /// Wrap every node started since the last call (call after each action:
    /// a restart builds a new, unwrapped node).
    pub fn wrap(&mut self, sim: &mut Sim) {
        self.wrapped.resize(sim.hosts.len(), 0);
        for (i, h) in sim.hosts.iter_mut().enumerate() {
            if h.node.is_none() || self.wrapped[i] == h.incarnation {
                continue;
            }
            let Some(inner) = h.node.take() else { continue };
            h.node = Some(Box::new(Tapped {
                inner,
                ip: h.addr.host.clone(),
                shared: self.shared.clone(),
                inbound: crate::vecmap::VecMap::new(),
                outbound: crate::vecmap::VecMap::new(),
            }));
            self.wrapped[i] = h.incarnation;
        }
    }
}

/// The tap of one node that its host runs on its own (a live worker):
/// `input` and `output` see what the node gets and sends, `take` hands over
/// the decoded messages the node received (addresses as IPs; the last
/// `KEEP` are kept until taken).
#[derive(Default)]
pub struct NodeTap {
    /// Each connection: whether the node accepted it (is the server side),
    /// and its decoder.
    conns: crate::vecmap::VecMap<ConnId, (bool, Conn)>,
    /// Connections the node is opening, to the IP it asked for.
    connecting: crate::vecmap::VecMap<ConnId, String>,
    msgs: VecDeque<Msg>,
}

impl NodeTap {
    /// An input the node is about to handle at `now`.
    pub fn input(&mut self, now: Millis, input: &Input<'_>) {
        match input {
            Input::Accepted { conn, peer, local } if peer.host != QUERY_IP => {
                self.conns
                    .insert(*conn, (true, Conn::new(&local.host, &peer.host)));
            }
            Input::Connected { conn, local } => {
                if let Some(server) = self.connecting.remove(conn) {
                    self.conns
                        .insert(*conn, (false, Conn::new(&server, &local.host)));
                }
            }
            Input::ConnectFailed { conn, .. } => {
                self.connecting.remove(conn);
            }
            Input::Closed { conn } => {
                self.conns.remove(conn);
            }
            Input::Data { conn, bytes } => {
                if let Some((inbound, c)) = self.conns.get_mut(conn) {
                    self.msgs.push_back(c.decode(now, *inbound, bytes));
                    if self.msgs.len() > KEEP {
                        self.msgs.pop_front();
                    }
                }
            }
            _ => {}
        }
    }

    /// An output of the node: what it sends is decoded only to follow the
    /// conversation (the peer's tap reports it).
    pub fn output(&mut self, out: &Output) {
        match out {
            Output::Connect { conn, addr, .. } => {
                self.connecting.insert(*conn, addr.host.clone());
            }
            Output::Send { conn, bytes } => {
                if let Some((inbound, c)) = self.conns.get_mut(conn) {
                    if *inbound {
                        c.downstream(bytes);
                    } else {
                        c.upstream(bytes);
                    }
                }
            }
            Output::Close { conn } => {
                self.conns.remove(conn);
            }
            Output::Event(_) => {}
        }
    }

    /// The messages received since the last call.
    pub fn take(&mut self) -> Vec<Msg> {
        self.msgs.drain(..).collect()
    }
}
