//! The wasm tests, compiled into both the Node.js (`tests/wasm.rs`) and the
//! headless Chromium (`tests/wasm_browser.rs`) test binaries: each
//! `#[wasm_bindgen_test]` here runs in both. They drive the same API that
//! JavaScript sees (`Cluster`, `Node`), with JS values built in Rust.

use js_sys::{Array, Object, Reflect, Uint8Array};
use sentinel_lab::node::{Millis, Output};
use sentinel_lab::resp::Frame;
use sentinel_lab::sim::scenario::{self, reference_actions, REFERENCE_SEEDS};
use sentinel_lab::wasm::{Cluster, WasmNode};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{MessageChannel, MessageEvent, MessagePort};

fn get(v: &JsValue, k: &str) -> JsValue {
    // Replies may be plain strings or numbers: those have no fields.
    if !v.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

fn error_message(e: JsError) -> String {
    let v: JsValue = e.into();
    get(&v, "message").as_string().unwrap_or_default()
}

/// A line in the test runner's output (Node.js console or the browser's).
fn console_note(msg: &str) {
    wasm_bindgen_test::console_log!("{}", msg);
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[wasm_bindgen_test]
fn cluster_replica_syncs_and_replicates_a_write() {
    let mut c = Cluster::new(1.0).unwrap();
    c.tutorial().unwrap();
    c.run_for(3_000.0).unwrap();
    let offset = |c: &mut Cluster, i: u32| {
        let nodes: Array = c.nodes().unwrap().unchecked_into();
        get(&nodes.get(i), "offset").as_f64().unwrap()
    };
    let before = offset(&mut c, 0);
    let ok = c.command("redis_master", strs(&["SET", "k", "v"])).unwrap();
    let set_known = get(&ok, "error").is_undefined();
    if set_known {
        assert_eq!(ok.as_string().as_deref(), Some("OK"));
    } else {
        // Until the string commands land, write through PUBLISH, which Redis
        // 7.0 always feeds to replicas, and compare replication offsets.
        console_note("SET is not in this build yet: checking replication with PUBLISH");
        let n = c
            .command("redis_master", strs(&["PUBLISH", "ch", "hello"]))
            .unwrap();
        assert_eq!(n.as_f64(), Some(0.0));
    }
    c.run_for(500.0).unwrap();
    let after = offset(&mut c, 0);
    assert!(after > before, "master offset {before} -> {after}");
    assert_eq!(offset(&mut c, 1), after, "redis_slave1 caught up");
    assert_eq!(offset(&mut c, 2), after, "redis_slave2 caught up");
    if set_known {
        let got = c.command("redis_slave1", strs(&["GET", "k"])).unwrap();
        assert_eq!(got.as_string().as_deref(), Some("v"));
        // A replica refuses writes with Redis's error, as a value, not a throw.
        let ro = c.command("redis_slave2", strs(&["SET", "x", "1"])).unwrap();
        assert_eq!(
            get(&ro, "error").as_string().as_deref(),
            Some("READONLY You can't write against a read only replica.")
        );
    }
    // The trace has the real log lines.
    let trace: Array = c.trace_since(0).unwrap().unchecked_into();
    let texts: Vec<String> = trace
        .iter()
        .filter(|e| get(e, "host").as_string().as_deref() == Some("redis_slave1"))
        .filter_map(|e| get(&e, "text").as_string())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("MASTER <-> REPLICA sync: Finished with success")),
        "{texts:?}"
    );
    // nodes(): roles and links, without changing the run.
    let hash = c.trace_hash();
    let nodes: Array = c.nodes().unwrap().unchecked_into();
    assert_eq!(c.trace_hash(), hash);
    assert_eq!(nodes.length(), 6, "3 servers and 3 sentinels");
    let n0 = nodes.get(0);
    assert_eq!(
        get(&n0, "name").as_string().as_deref(),
        Some("redis_master")
    );
    assert_eq!(
        get(&n0, "addr").as_string().as_deref(),
        Some("172.24.0.2:6379")
    );
    assert_eq!(get(&n0, "role").as_string().as_deref(), Some("master"));
    let reps: Array = get(&n0, "replicas").unchecked_into();
    assert_eq!(reps.length(), 2);
    let n1 = nodes.get(1);
    assert_eq!(get(&n1, "role").as_string().as_deref(), Some("slave"));
    assert_eq!(
        get(&n1, "linkState").as_string().as_deref(),
        Some("connected")
    );
    assert_eq!(
        get(&n1, "masterHost").as_string().as_deref(),
        Some("172.24.0.2")
    );
    assert!(get(&n1, "offset").as_f64().unwrap() > 0.0);
    // Killing the master: the replica logs the lost connection.
    c.kill("redis_master").unwrap();
    c.run_for(2_000.0).unwrap();
    let n0 = Array::from(&c.nodes().unwrap()).get(0);
    assert_eq!(get(&n0, "up").as_bool(), Some(false));
    assert!(get(&n0, "role").is_null());
    let trace: Array = c.trace_since(0).unwrap().unchecked_into();
    assert!(trace.iter().any(
        |e| get(&e, "host").as_string().as_deref() == Some("redis_slave1")
            && get(&e, "text")
                .as_string()
                .is_some_and(|t| t.contains("Connection with master lost"))
    ));
}

/// The hashes `cargo test --lib print_reference_hashes` printed natively,
/// handed to this build by `make test-wasm-node` / `make test-wasm-chrome`.
fn native_reference_hashes() -> BTreeMap<u64, String> {
    let Some(text) = option_env!("SENTINEL_LAB_REF_HASHES") else {
        panic!(
            "SENTINEL_LAB_REF_HASHES is not set: run `make test-wasm-node` (it computes the \
             native hashes first and passes them in at compile time)"
        );
    };
    text.split(',')
        .filter_map(|p| {
            let (s, h) = p.trim().split_once(':')?;
            Some((s.parse().ok()?, h.to_string()))
        })
        .collect()
}

#[wasm_bindgen_test]
fn trace_hash_matches_native() {
    let native = native_reference_hashes();
    for seed in REFERENCE_SEEDS {
        let expected = native
            .get(&seed)
            .unwrap_or_else(|| panic!("no native hash for seed {seed}: {native:?}"));
        // The shared scenario function, compiled for wasm...
        let direct = format!("{:016x}", scenario::reference_scenario(seed));
        assert_eq!(&direct, expected, "seed {seed}: sim::scenario in wasm");
        // ...and the same actions through the JS-facing Cluster.
        let mut c = Cluster::new(seed as f64).unwrap();
        for a in reference_actions() {
            c.act(a).unwrap();
        }
        assert_eq!(&c.trace_hash(), expected, "seed {seed}: Cluster");
    }
}

#[wasm_bindgen_test]
fn scenario_export_import_replays_the_same_trace() {
    let mut c = Cluster::new(9.0).unwrap();
    c.tutorial().unwrap();
    for _ in 0..50 {
        c.run_for(37.0).unwrap(); // merged into one recorded run
    }
    c.command("redis_master", strs(&["SET", "a", "1"])).unwrap();
    c.partition("redis_master", "redis_slave1").unwrap();
    c.run_for(3_000.0).unwrap();
    c.heal().unwrap();
    c.pause("redis_slave2", 500.0).unwrap();
    c.step().unwrap();
    c.run_for(2_000.0).unwrap();
    let json = c.export_scenario().unwrap();
    assert!(json.contains("\"op\":\"runUntil\""), "{json}");
    assert!(c.actions().len() < 20, "{json}");
    let d = Cluster::import_scenario(&json).unwrap();
    assert_eq!(d.trace_hash(), c.trace_hash());
    assert_eq!(d.now(), c.now());
    assert_eq!(d.export_scenario().unwrap(), json);
}

#[wasm_bindgen_test]
fn errors_are_clear_exceptions() {
    let mut c = Cluster::new(1.0).unwrap();
    // A sentinel with a bad sentinel.conf is refused with the config error.
    let e = c
        .add_sentinel("s1", "172.24.0.5", 26379.0, "sentinel no-such-option x\n")
        .unwrap_err();
    assert!(!error_message(e).is_empty());
    let e = c.kill("nobody").unwrap_err();
    assert_eq!(error_message(e), "no node named 'nobody'");
    let e = c.add_server("a", "10.0.0.1", 70000.0, "").unwrap_err();
    assert!(error_message(e).contains("port"));
    let e = c
        .add_server("a", "10.0.0.1", 6379.0, "no-such-directive 1\n")
        .unwrap_err();
    assert!(error_message(e).contains("line 1"));
    assert!(Cluster::new(-1.0).is_err());
    assert!(Cluster::import_scenario("{").is_err());
    let e = WasmNode::new("toaster", "", 1.0, 0.0).err().unwrap();
    assert!(error_message(e).contains("unknown node kind 'toaster'"));
    let mut n = WasmNode::new("server", "", 1.0, 0.0).unwrap();
    let bad = Object::new();
    Reflect::set(&bad, &"type".into(), &"data".into()).unwrap();
    Reflect::set(&bad, &"conn".into(), &1.into()).unwrap();
    let e = n.handle(1.0, bad.into()).unwrap_err();
    assert!(error_message(e).contains("Uint8Array"));
}

// ---- a mini host: Node objects joined by moving bytes ------------------------

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// The two inputs of one connection between nodes: `accepted` for the
/// listener, `connected` for the dialler. Each end is (conn, host, port).
fn connection_inputs(dialler: (f64, &str, u16), listener: (f64, &str, u16)) -> (JsValue, JsValue) {
    let (dconn, dhost, dport) = dialler;
    let (lconn, lhost, lport) = listener;
    let accepted = obj(&[
        ("type", "accepted".into()),
        ("conn", lconn.into()),
        ("peerHost", dhost.into()),
        ("peerPort", dport.into()),
        ("localHost", lhost.into()),
        ("localPort", lport.into()),
    ]);
    let connected = obj(&[
        ("type", "connected".into()),
        ("conn", dconn.into()),
        ("localHost", dhost.into()),
        ("localPort", dport.into()),
    ]);
    (accepted, connected)
}

struct MiniHost {
    nodes: Vec<(String, u16, WasmNode)>,
    /// (node, conn) → (node, conn); the client is node usize::MAX.
    links: BTreeMap<(usize, i64), (usize, i64)>,
    next_inbound: Vec<i64>,
    /// In-flight: (deliver at, seq, to node, input).
    queue: Vec<(Millis, u64, usize, JsValue)>,
    seq: u64,
    now: Millis,
    client_buf: Vec<u8>,
}

const CLIENT: usize = usize::MAX;

impl MiniHost {
    fn add(&mut self, ip: &str, port: u16, conf: &str, seed: u64) -> usize {
        let n = WasmNode::new("server", conf, seed as f64, self.now as f64).unwrap();
        self.nodes.push((ip.to_string(), port, n));
        self.next_inbound.push(0);
        let id = self.nodes.len() - 1;
        self.drain(id);
        id
    }

    fn push(&mut self, to: usize, input: JsValue) {
        self.seq += 1;
        self.queue.push((self.now + 1, self.seq, to, input));
    }

    fn drain(&mut self, id: usize) {
        let outs = self.nodes[id].2.poll_outputs();
        for o in outs.iter() {
            let conn = get(&o, "conn").as_f64().map(|c| c as i64);
            match get(&o, "type").as_string().unwrap().as_str() {
                "send" => {
                    let Some(&(to, tc)) = self.links.get(&(id, conn.unwrap())) else {
                        continue;
                    };
                    let bytes: Uint8Array = get(&o, "bytes").unchecked_into();
                    if to == CLIENT {
                        self.client_buf.extend(bytes.to_vec());
                        continue;
                    }
                    let input = obj(&[
                        ("type", "data".into()),
                        ("conn", (tc as f64).into()),
                        ("bytes", bytes.into()),
                    ]);
                    self.push(to, input);
                }
                "connect" => {
                    let conn = conn.unwrap();
                    assert!(conn < 0, "outbound conns are negative");
                    let host = get(&o, "host").as_string().unwrap();
                    let port = get(&o, "port").as_f64().unwrap() as u16;
                    let target = self.nodes.iter().position(|n| n.0 == host && n.1 == port);
                    let (ip, _, _) = &self.nodes[id];
                    match target {
                        Some(t) => {
                            self.next_inbound[t] += 1;
                            let tc = self.next_inbound[t];
                            self.links.insert((id, conn), (t, tc));
                            self.links.insert((t, tc), (id, conn));
                            let (acc, done) = connection_inputs(
                                (conn as f64, ip, 40000),
                                (tc as f64, &host, port),
                            );
                            self.push(t, acc);
                            self.push(id, done);
                        }
                        None => {
                            let f = obj(&[
                                ("type", "connectFailed".into()),
                                ("conn", (conn as f64).into()),
                                ("reason", "Connection refused".into()),
                            ]);
                            self.push(id, f);
                        }
                    }
                }
                "close" => {
                    if let Some((to, tc)) = self.links.remove(&(id, conn.unwrap())) {
                        self.links.remove(&(to, tc));
                        if to != CLIENT {
                            let c = obj(&[("type", "closed".into()), ("conn", (tc as f64).into())]);
                            self.push(to, c);
                        }
                    }
                }
                "event" => {}
                other => panic!("unknown output {other}"),
            }
        }
    }

    /// Deliver everything due, waking nodes on their timeouts, up to `until`.
    fn run_until(&mut self, until: Millis) {
        loop {
            self.queue.sort_by_key(|q| (q.0, q.1));
            let next_msg = self.queue.first().map(|q| q.0);
            let next_tick = self
                .nodes
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    n.2.poll_timeout()
                        .map(|t| (t.max(self.now as f64 + 1.0) as Millis, i))
                })
                .min();
            let next = match (next_msg, next_tick) {
                (Some(m), Some((t, _))) => m.min(t),
                (Some(m), None) => m,
                (None, Some((t, _))) => t,
                (None, None) => break,
            };
            if next > until {
                break;
            }
            self.now = next;
            if next_msg == Some(next) {
                let (_, _, to, input) = self.queue.remove(0);
                self.nodes[to].2.handle(self.now as f64, input).unwrap();
                self.drain(to);
            } else if let Some((_, i)) = next_tick {
                self.nodes[i]
                    .2
                    .handle(self.now as f64, obj(&[("type", "tick".into())]))
                    .unwrap();
                self.drain(i);
            }
        }
        self.now = until;
    }

    /// A client command on a fresh connection; the reply frame.
    fn command(&mut self, node: usize, argv: &[&str]) -> Frame {
        self.next_inbound[node] += 1;
        let c = self.next_inbound[node];
        self.links.insert((node, c), (CLIENT, c));
        self.client_buf.clear();
        let acc = obj(&[
            ("type", "accepted".into()),
            ("conn", (c as f64).into()),
            ("peerHost", "127.0.0.1".into()),
            ("peerPort", 50000.into()),
            ("localHost", self.nodes[node].0.as_str().into()),
            ("localPort", self.nodes[node].1.into()),
        ]);
        self.push(node, acc);
        let bytes = Uint8Array::from(Frame::command(argv.iter().map(|s| s.as_bytes())).as_slice());
        let data = obj(&[
            ("type", "data".into()),
            ("conn", (c as f64).into()),
            ("bytes", bytes.into()),
        ]);
        self.push(node, data);
        let end = self.now + 1_000;
        self.run_until(end);
        let (f, _) = Frame::parse(&self.client_buf).unwrap().expect("a reply");
        f
    }
}

#[wasm_bindgen_test]
fn two_node_objects_replicate_by_moving_bytes() {
    let start: Millis = 1_767_225_600_000;
    let mut h = MiniHost {
        nodes: Vec::new(),
        links: BTreeMap::new(),
        next_inbound: Vec::new(),
        queue: Vec::new(),
        seq: 0,
        now: start,
        client_buf: Vec::new(),
    };
    let conf = "port 6379\nprotected-mode no\nrepl-diskless-sync-delay 0\n";
    let m = h.add("10.0.0.1", 6379, conf, 1);
    let r = h.add(
        "10.0.0.2",
        6379,
        &format!("{conf}replicaof 10.0.0.1 6379\n"),
        2,
    );
    h.run_until(start + 3_000);
    let role = h.command(r, &["ROLE"]);
    assert_eq!(
        role.as_array().unwrap()[3].as_str(),
        Some("connected"),
        "{role:?}"
    );
    let offset = |h: &mut MiniHost, n: usize| {
        let role = h.command(n, &["ROLE"]);
        let a = role.as_array().unwrap();
        a[if n == m { 1 } else { 4 }].as_int().unwrap()
    };
    let before = offset(&mut h, m);
    let set = h.command(m, &["SET", "k", "v"]);
    let set_known = !matches!(&set, Frame::Error(e) if e.starts_with("ERR unknown command"));
    if set_known {
        assert_eq!(set, Frame::Simple("OK".into()));
    } else {
        assert_eq!(h.command(m, &["PUBLISH", "ch", "x"]), Frame::Integer(0));
    }
    let t = h.now + 500;
    h.run_until(t);
    let after = offset(&mut h, m);
    assert!(after > before);
    assert_eq!(offset(&mut h, r), after);
    if set_known {
        assert_eq!(h.command(r, &["GET", "k"]), Frame::bulk("v"));
    }
    // The Rust-side drain gives the same outputs as the JS one.
    let mut n = WasmNode::new("server", conf, 3.0, start as f64).unwrap();
    while let Some(o) = n.poll_output_raw() {
        assert!(!matches!(o, Output::Connect { .. }));
    }
}

/// The tutorial's failover in a simulated `Cluster`: kill the master, the
/// sentinels log +switch-master and one replica becomes master.
#[wasm_bindgen_test]
fn cluster_tutorial_failover() {
    let mut c = Cluster::new(7.0).unwrap();
    c.tutorial().unwrap();
    c.run_for(20_000.0).unwrap();
    c.kill("redis_master").unwrap();
    c.run_for(40_000.0).unwrap();
    let trace: Array = c.trace_since(0).unwrap().unchecked_into();
    let texts: Vec<String> = trace
        .iter()
        .filter_map(|e| get(&e, "text").as_string())
        .collect();
    for step in [
        "+sdown master mymaster",
        "+odown master mymaster",
        "+elected-leader",
        "+promoted-slave",
        "+switch-master mymaster 172.24.0.2 6379",
    ] {
        assert!(texts.iter().any(|t| t.contains(step)), "missing {step}");
    }
    let nodes: Array = c.nodes().unwrap().unchecked_into();
    let masters = nodes
        .iter()
        .filter(|n| get(n, "kind").as_string().as_deref() == Some("server"))
        .filter(|n| get(n, "role").as_string().as_deref() == Some("master"))
        .count();
    assert_eq!(masters, 1, "exactly one live master after the failover");
}

// ---- live: Node objects joined by real MessageChannel ports -----------------
//
// What the page's live mode does with one Web Worker per node, in one thread:
// every TCP connection is a real `MessageChannel`, bytes travel as Uint8Array
// messages (a closing end posts the string "close", as a FIN/RST would), and
// the test drives a virtual clock itself, yielding to the event loop between
// steps so the ports deliver.

type PortHandler = Closure<dyn FnMut(MessageEvent)>;

struct LiveNode {
    name: String,
    ip: String,
    port: u16,
    node: Option<WasmNode>,
    next_inbound: f64,
    /// conn → this end of its channel.
    ports: BTreeMap<i64, MessagePort>,
}

struct World {
    me: std::rc::Weak<std::cell::RefCell<World>>,
    now: f64,
    nodes: Vec<LiveNode>,
    /// (host, text) of every log, role and sentinel event.
    trace: Vec<(String, String)>,
    /// Handlers of closed ports, kept until the end (a port may still be
    /// running its handler when it is closed).
    handlers: Vec<PortHandler>,
    channels: usize,
    /// "from to kind name" of every message the nodes' taps decoded.
    msgs: Vec<String>,
}

fn port_message(
    world: std::rc::Weak<std::cell::RefCell<World>>,
    node: usize,
    conn: i64,
) -> PortHandler {
    Closure::new(move |e: MessageEvent| {
        let Some(w) = world.upgrade() else { return };
        let mut w = w.borrow_mut();
        let data = e.data();
        let now = w.now;
        let Some(n) = w.nodes[node].node.as_mut() else {
            return;
        };
        if data.as_string().as_deref() == Some("close") {
            n.handle(
                now,
                obj(&[("type", "closed".into()), ("conn", (conn as f64).into())]),
            )
            .unwrap();
            if let Some(p) = w.nodes[node].ports.remove(&conn) {
                p.close();
            }
        } else {
            let input = obj(&[
                ("type", "data".into()),
                ("conn", (conn as f64).into()),
                ("bytes", data),
            ]);
            n.handle(now, input).unwrap();
        }
        w.pump();
    })
}

impl World {
    fn add(&mut self, name: &str, kind: &str, ip: &str, port: u16, conf: &str, seed: u64) {
        let mut n = WasmNode::new(kind, conf, seed as f64, self.now).unwrap();
        n.tap_messages(true);
        self.nodes.push(LiveNode {
            name: name.into(),
            ip: ip.into(),
            port,
            node: Some(n),
            next_inbound: 0.0,
            ports: BTreeMap::new(),
        });
    }

    fn input(&mut self, i: usize, input: JsValue) {
        let now = self.now;
        if let Some(n) = self.nodes[i].node.as_mut() {
            n.handle(now, input).unwrap();
        }
    }

    fn attach(&mut self, i: usize, conn: i64, port: MessagePort) {
        let h = port_message(self.me.clone(), i, conn);
        port.set_onmessage(Some(h.as_ref().unchecked_ref()));
        self.handlers.push(h);
        self.nodes[i].ports.insert(conn, port);
    }

    /// Carry out every node's outputs until none is left.
    fn pump(&mut self) {
        loop {
            let mut any = false;
            for i in 0..self.nodes.len() {
                let Some(n) = self.nodes[i].node.as_mut() else {
                    continue;
                };
                let outs = n.poll_outputs();
                let msgs: Array = n.take_messages().unwrap().unchecked_into();
                for m in msgs.iter() {
                    let f = |k| field_str(&m, k).unwrap_or_default();
                    self.msgs
                        .push([f("from"), f("to"), f("kind"), f("name")].join(" "));
                }
                for o in outs.iter() {
                    any = true;
                    self.output(i, &o);
                }
            }
            if !any {
                break;
            }
        }
    }

    fn output(&mut self, i: usize, o: &JsValue) {
        let conn = get(o, "conn").as_f64().map(|c| c as i64);
        let name = self.nodes[i].name.clone();
        match get(o, "type").as_string().unwrap().as_str() {
            "send" => {
                if let Some(p) = self.nodes[i].ports.get(&conn.unwrap()) {
                    p.post_message(&get(o, "bytes")).unwrap();
                }
            }
            "close" => {
                if let Some(p) = self.nodes[i].ports.remove(&conn.unwrap()) {
                    p.post_message(&"close".into()).unwrap();
                    p.close();
                }
            }
            "connect" => {
                let conn = conn.unwrap();
                let host = get(o, "host").as_string().unwrap();
                let port = get(o, "port").as_f64().unwrap() as u16;
                let target = self
                    .nodes
                    .iter()
                    .position(|n| n.ip == host && n.port == port && n.node.is_some());
                let Some(t) = target else {
                    let f = obj(&[
                        ("type", "connectFailed".into()),
                        ("conn", (conn as f64).into()),
                        ("reason", "Connection refused".into()),
                    ]);
                    self.input(i, f);
                    return;
                };
                let ch = MessageChannel::new().unwrap();
                self.channels += 1;
                self.nodes[t].next_inbound += 1.0;
                let tc = self.nodes[t].next_inbound;
                let local_port = 30000 + (-conn) as u16 % 30000;
                self.attach(i, conn, ch.port1());
                self.attach(t, tc as i64, ch.port2());
                let (acc, done) = connection_inputs(
                    (conn as f64, &self.nodes[i].ip, local_port),
                    (tc, &host, port),
                );
                self.input(t, acc);
                self.input(i, done);
            }
            "event" => {
                let text = match get(o, "event").as_string().unwrap().as_str() {
                    "log" => format!(
                        "{} {}",
                        get(o, "mark").as_string().unwrap_or_default(),
                        get(o, "message").as_string().unwrap_or_default()
                    ),
                    "role" => get(o, "role").as_string().unwrap_or_default(),
                    "sentinel" => format!(
                        "{} {}",
                        get(o, "kind").as_string().unwrap_or_default(),
                        get(o, "detail").as_string().unwrap_or_default()
                    ),
                    _ => return,
                };
                let text = format!("{} {text}", self.now as u64 % 1_000_000);
                self.trace.push((name, text));
            }
            other => panic!("unknown output {other}"),
        }
    }

    /// Time passes: the nodes whose timers are due get a tick at `now`
    /// (each node's own timer: sentinels desynchronise theirs, as Redis does,
    /// which is what keeps their votes from splitting).
    fn tick(&mut self, now: f64) {
        self.now = now;
        for i in 0..self.nodes.len() {
            let due = self.nodes[i]
                .node
                .as_ref()
                .and_then(|n| n.poll_timeout())
                .is_some_and(|t| t <= now);
            if due {
                self.input(i, obj(&[("type", "tick".into())]));
            }
        }
        self.pump();
    }

    /// The process dies: the OS closes its sockets (each peer sees its end
    /// closed), its memory is gone.
    fn kill(&mut self, name: &str) {
        let i = self.index(name);
        for (_, p) in std::mem::take(&mut self.nodes[i].ports) {
            p.post_message(&"close".into()).unwrap();
            p.close();
        }
        self.nodes[i].node = None;
    }

    fn index(&self, name: &str) -> usize {
        self.nodes.iter().position(|n| n.name == name).unwrap()
    }

    fn status(&mut self, name: &str) -> JsValue {
        let i = self.index(name);
        let s = self.nodes[i].node.as_mut().unwrap().status().unwrap();
        self.pump();
        s
    }

    fn seen(&self, needle: &str) -> bool {
        self.trace.iter().any(|(_, t)| t.contains(needle))
    }
}

/// One turn of the JS event loop (posted messages are delivered meanwhile).
/// `setTimeout` of the global object: Node.js has no `window`, so neither
/// web-sys's `Window` nor `WorkerGlobalScope` serves both hosts.
async fn next_turn() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        set_timeout.call2(&global, &resolve, &0.into()).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// Run in 10 ms steps, one turn of the event loop each, until `done` holds
/// or `max_ms` of virtual time passed.
async fn run_live(
    w: &std::rc::Rc<std::cell::RefCell<World>>,
    max_ms: f64,
    mut done: impl FnMut(&mut World) -> bool,
) -> bool {
    let end = w.borrow().now + max_ms;
    loop {
        if done(&mut w.borrow_mut()) {
            return true;
        }
        let now = w.borrow().now;
        if now >= end {
            return false;
        }
        w.borrow_mut().tick(now + 10.0);
        next_turn().await;
    }
}

fn field_str(v: &JsValue, k: &str) -> Option<String> {
    get(v, k).as_string()
}

/// The live mode in one thread: 3 servers and 3 sentinels, each a `Node`, joined by
/// real `MessageChannel` ports; the master is killed and the sentinels elect
/// a new one: `+switch-master`, one former replica is master, the other
/// replicates it.
#[wasm_bindgen_test]
async fn message_channel_nodes_elect_a_new_master() {
    let settings = scenario::SentinelSettings::default();
    let w = std::rc::Rc::new(std::cell::RefCell::new(World {
        me: std::rc::Weak::new(),
        now: scenario::SCENARIO_START as f64,
        nodes: Vec::new(),
        trace: Vec::new(),
        handlers: Vec::new(),
        channels: 0,
        msgs: Vec::new(),
    }));
    {
        let mut world = w.borrow_mut();
        world.me = std::rc::Rc::downgrade(&w);
        let m = "172.24.0.2";
        world.add(
            "redis_master",
            "server",
            m,
            6379,
            &scenario::server_conf(None),
            11,
        );
        for i in 1..=2u64 {
            let ip = format!("172.24.0.{}", 2 + i);
            let name = format!("redis_slave{i}");
            world.add(
                &name,
                "server",
                &ip,
                6379,
                &scenario::server_conf(Some(m)),
                11 + i,
            );
        }
        for i in 1..=3u64 {
            let ip = format!("172.24.0.{}", 4 + i);
            let name = format!("redis-sentinel{i}");
            let conf = scenario::sentinel_conf(m, &settings);
            world.add(&name, "sentinel", &ip, 26379, &conf, 20 + i);
        }
        let now = world.now;
        world.tick(now);
    }
    // The sentinels know both replicas and each other (INFO every 10 s, hello every 2 s).
    let sentinels = ["redis-sentinel1", "redis-sentinel2", "redis-sentinel3"];
    let ready = run_live(&w, 60_000.0, |w| {
        sentinels.iter().all(|s| {
            let m = get(&w.status(s), "sentinel");
            get(&m, "numSlaves").as_f64() == Some(2.0)
                && get(&m, "numOtherSentinels").as_f64() == Some(2.0)
        }) && ["redis_slave1", "redis_slave2"]
            .iter()
            .all(|r| field_str(&w.status(r), "linkState").as_deref() == Some("connected"))
    })
    .await;
    let dump = |w: &World| {
        w.trace
            .iter()
            .map(|(h, t)| format!("{h}: {t}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        ready,
        "sentinels never discovered the topology:\n{}",
        dump(&w.borrow())
    );
    assert!(
        w.borrow().channels >= 10,
        "{} channels",
        w.borrow().channels
    );
    let t_kill = w.borrow().now;
    w.borrow_mut().kill("redis_master");
    let mut new_master = String::new();
    let done = run_live(&w, 60_000.0, |w| {
        if !w.seen("+switch-master mymaster 172.24.0.2 6379") {
            return false;
        }
        let (s1, s2) = (w.status("redis_slave1"), w.status("redis_slave2"));
        let role = |s: &JsValue| field_str(s, "role").unwrap_or_default();
        let (m, r, rs) = match (role(&s1).as_str(), role(&s2).as_str()) {
            ("master", "slave") => ("redis_slave1", "172.24.0.3", &s2),
            ("slave", "master") => ("redis_slave2", "172.24.0.4", &s1),
            _ => return false,
        };
        new_master = m.to_string();
        field_str(rs, "masterHost").as_deref() == Some(r)
            && field_str(rs, "linkState").as_deref() == Some("connected")
    })
    .await;
    let elapsed = w.borrow().now - t_kill;
    assert!(
        done,
        "no failover within 60 s after the kill:\n{}",
        dump(&w.borrow())
    );
    {
        let world = w.borrow();
        for step in [
            "+sdown master mymaster 172.24.0.2 6379",
            "+odown master mymaster 172.24.0.2 6379 #quorum",
            "+elected-leader master mymaster",
            "+promoted-slave slave",
            // The killed master's channels closed: the replicas saw it at once.
            "Connection with master lost",
        ] {
            assert!(world.seen(step), "missing {step}:\n{}", dump(&world));
        }
        console_note(&format!(
            "live: {new_master} promoted {elapsed} ms after the kill, over {} MessageChannels",
            world.channels
        ));
        // Each node's tap decoded what it received, as the simulated
        // Cluster's tap does: the same kinds and names, ends as IPs.
        let has = |prefix: &str| world.msgs.iter().any(|m| m.starts_with(prefix));
        let (s1, s2) = ("172.24.0.5", "172.24.0.6");
        assert!(
            has(&format!("{s1} 172.24.0.2 ping PING")),
            "sentinel → master PING"
        );
        assert!(has(&format!("172.24.0.2 {s1} ping +PONG")), "PONG back");
        assert!(
            has(&format!("{s1} 172.24.0.3 info INFO")),
            "INFO to a replica"
        );
        assert!(has("172.24.0.3 172.24.0.2 psync "), "a replica's handshake");
        assert!(world.msgs.iter().any(|m| m.contains(" hello ")), "hello");
        let vote = world.msgs.iter().any(|m| {
            m.contains(" vote SENTINEL IS-MASTER-DOWN-BY-ADDR (vote?)")
                && [s1, s2, "172.24.0.7"].iter().any(|s| m.starts_with(s))
        });
        assert!(vote, "a vote request between sentinels");
        assert!(
            world.msgs.iter().any(|m| m.contains(" replicaof SLAVEOF")),
            "SLAVEOF to the new master"
        );
        assert!(
            world.msgs.iter().all(|m| m.starts_with("172.24.0.")),
            "only the nodes talk (the status queries are not taped)"
        );
    }
    // Every sentinel follows the new master.
    let ip = if new_master == "redis_slave1" {
        "172.24.0.3"
    } else {
        "172.24.0.4"
    };
    let agreed = run_live(&w, 10_000.0, |w| {
        sentinels
            .iter()
            .all(|s| field_str(&get(&w.status(s), "sentinel"), "masterIp").as_deref() == Some(ip))
    })
    .await;
    assert!(
        agreed,
        "sentinels disagree on the new master:\n{}",
        dump(&w.borrow())
    );
    // Close everything so the event loop can end.
    let mut world = w.borrow_mut();
    for n in &mut world.nodes {
        for (_, p) in std::mem::take(&mut n.ports) {
            p.close();
        }
        n.node = None;
    }
}

/// What a live host needs of `Node` besides bytes and time: the tutorial's
/// topology as data, a status and queries without traffic, the console's
/// encoding and reply formatting, and a restart from the node's disk.
#[wasm_bindgen_test]
fn node_host_helpers() {
    let start = scenario::SCENARIO_START as f64;
    // The topology, with sentinel settings applied to sentinel.conf.
    let settings = obj(&[("quorum", 3.into()), ("downAfterMs", 3000.into())]);
    let topo = WasmNode::tutorial_topology(settings).unwrap();
    let names: Vec<String> = topo
        .iter()
        .map(|n| field_str(&n, "name").unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "redis_master",
            "redis_slave1",
            "redis_slave2",
            "redis-sentinel1",
            "redis-sentinel2",
            "redis-sentinel3"
        ]
    );
    let s1 = topo.get(3);
    assert_eq!(field_str(&s1, "ip").as_deref(), Some("172.24.0.5"));
    assert_eq!(get(&s1, "port").as_f64(), Some(26379.0));
    let conf = field_str(&s1, "config").unwrap();
    assert!(
        conf.contains("sentinel monitor mymaster 172.24.0.2 6379 3"),
        "{conf}"
    );
    assert!(
        conf.contains("down-after-milliseconds mymaster 3000"),
        "{conf}"
    );
    let bad = obj(&[("quorum", 0.into())]);
    assert!(WasmNode::tutorial_topology(bad).is_err());
    // Console helpers.
    let bytes = WasmNode::encode_command_line("SET k \"a b\"")
        .unwrap()
        .to_vec();
    assert_eq!(bytes, Frame::command(["SET", "k", "a b"]));
    assert_eq!(WasmNode::encode_command_line("  ").unwrap().length(), 0);
    let e = WasmNode::encode_command_line("GET \"k").unwrap_err();
    assert_eq!(error_message(e), "Invalid argument(s)");
    assert!(WasmNode::parse_reply(b"*2\r\n:1\r\n")
        .unwrap()
        .is_undefined());
    let r = WasmNode::parse_reply(b"*2\r\n:1\r\n$1\r\nx\r\n+OK\r\n").unwrap();
    assert_eq!(
        field_str(&r, "text").as_deref(),
        Some("1) (integer) 1\n2) \"x\"")
    );
    assert_eq!(get(&r, "length").as_f64(), Some(15.0));
    assert!(WasmNode::parse_reply(b"?bad\r\n").is_err());
    // Status and queries without traffic.
    let conf = scenario::server_conf(None);
    let mut n = WasmNode::new("server", &conf, 5.0, start).unwrap();
    let st = n.status().unwrap();
    assert!(
        get(&st, "role").is_null(),
        "no status before the first input"
    );
    n.handle(start + 10.0, obj(&[("type", "tick".into())]))
        .unwrap();
    let _ = n.poll_outputs();
    let st = n.status().unwrap();
    assert_eq!(field_str(&st, "role").as_deref(), Some("master"));
    assert_eq!(field_str(&st, "runId").map(|s| s.len()), Some(40));
    assert_eq!(get(&st, "offset").as_f64(), Some(0.0));
    assert_eq!(
        n.query(strs(&["SET", "k", "v"]))
            .unwrap()
            .as_string()
            .as_deref(),
        Some("OK")
    );
    // SAVE writes dump.rdb: a `persist` event waiting in pollOutputs.
    assert_eq!(
        n.query(strs(&["SAVE"])).unwrap().as_string().as_deref(),
        Some("OK")
    );
    let mut rdb = None;
    for o in n.poll_outputs().iter() {
        if field_str(&o, "event").as_deref() == Some("persist") {
            assert_eq!(field_str(&o, "file").as_deref(), Some("dump.rdb"));
            rdb = Some(get(&o, "bytes"));
        }
    }
    let rdb = rdb.expect("a persist event after SAVE");
    // Restarted from that disk with a rewritten redis.conf: the data is back
    // and the config file's replicaof applies.
    let disk = obj(&[
        ("dump.rdb", rdb),
        (
            "redis.conf",
            format!("{conf}replicaof 172.24.0.9 6379\n").into(),
        ),
    ]);
    let mut m = WasmNode::from_disk("server", &conf, 6.0, start + 20.0, disk).unwrap();
    m.handle(start + 30.0, obj(&[("type", "tick".into())]))
        .unwrap();
    let st = m.status().unwrap();
    assert_eq!(field_str(&st, "role").as_deref(), Some("slave"));
    assert_eq!(field_str(&st, "masterHost").as_deref(), Some("172.24.0.9"));
    assert_eq!(
        m.query(strs(&["GET", "k"])).unwrap().as_string().as_deref(),
        Some("v")
    );
    let e = WasmNode::from_disk("server", &conf, 6.0, start, obj(&[("x", 1.into())]))
        .err()
        .unwrap();
    assert!(error_message(e).contains("disk file 'x'"));
    // A sentinel's status lists what it monitors.
    let sconf = scenario::sentinel_conf("172.24.0.2", &scenario::SentinelSettings::default());
    let mut s = WasmNode::new("sentinel", &sconf, 7.0, start).unwrap();
    s.handle(start + 10.0, obj(&[("type", "tick".into())]))
        .unwrap();
    let st = s.status().unwrap();
    assert_eq!(field_str(&st, "role").as_deref(), Some("sentinel"));
    let masters: Array = get(&st, "masters").unchecked_into();
    assert_eq!(masters.get(0).as_string().as_deref(), Some("mymaster"));
    // The same view as `Cluster.nodes()` gives (one status module for both).
    let m0 = get(&st, "sentinel");
    assert_eq!(field_str(&m0, "masterIp").as_deref(), Some("172.24.0.2"));
    assert_eq!(get(&m0, "masterPort").as_f64(), Some(6379.0));
    assert_eq!(field_str(&m0, "state").as_deref(), Some("up"));
    assert_eq!(get(&m0, "quorum").as_f64(), Some(2.0));
    assert_eq!(get(&m0, "configEpoch").as_f64(), Some(0.0));
    assert_eq!(get(&m0, "downAfterMs").as_f64(), Some(5000.0));
    assert_eq!(field_str(&m0, "myid").map(|s| s.len()), Some(40));
    // peek: a redis-cli line without traffic, as Cluster.peek.
    assert_eq!(m.peek("GET k").as_deref(), Some("\"v\""));
    assert_eq!(m.peek("  "), None);
}

/// The page's view of a failover: decoded messages (votes, REPLICAOF, PSYNC)
/// with their ends, each sentinel's view of the master in `nodes()`, and the
/// message tap leaving the trace hash unchanged.
#[wasm_bindgen_test]
fn cluster_messages_and_sentinel_view() {
    let mut c = Cluster::new(3.0).unwrap();
    let settings = obj(&[
        ("quorum", JsValue::from(2)),
        ("downAfterMs", JsValue::from(3000)),
    ]);
    c.tutorial_with(settings).unwrap();
    c.run_for(15_000.0).unwrap();
    let sentinel = |c: &mut Cluster, name: &str| {
        let nodes: Array = c.nodes().unwrap().unchecked_into();
        let n = nodes
            .iter()
            .find(|n| get(n, "name").as_string().as_deref() == Some(name))
            .unwrap();
        get(&n, "sentinel")
    };
    let v = sentinel(&mut c, "redis-sentinel1");
    assert_eq!(get(&v, "state").as_string().as_deref(), Some("up"));
    assert_eq!(
        get(&v, "masterIp").as_string().as_deref(),
        Some("172.24.0.2")
    );
    assert_eq!(get(&v, "downAfterMs").as_f64(), Some(3000.0));
    assert_eq!(get(&v, "numOtherSentinels").as_f64(), Some(2.0));
    let before = c.messages_length();
    c.kill("redis_master").unwrap();
    c.run_for(3_500.0).unwrap();
    let v = sentinel(&mut c, "redis-sentinel2");
    assert!(
        matches!(
            get(&v, "state").as_string().as_deref(),
            Some("sdown" | "odown" | "failover")
        ),
        "{:?}",
        get(&v, "flags").as_string()
    );
    c.run_for(40_000.0).unwrap();
    let msgs: Array = c.messages_since(before).unwrap().unchecked_into();
    let has = |kind: &str, name_prefix: &str| {
        msgs.iter().any(|m| {
            get(&m, "kind").as_string().as_deref() == Some(kind)
                && get(&m, "name")
                    .as_string()
                    .is_some_and(|n| n.starts_with(name_prefix))
                && get(&m, "from").as_string().is_some_and(|f| !f.is_empty())
                && get(&m, "to").as_string().is_some_and(|f| !f.is_empty())
        })
    };
    assert!(has("vote", "SENTINEL IS-MASTER-DOWN-BY-ADDR (vote?)"));
    assert!(has("replicaof", "SLAVEOF"));
    assert!(has("psync", "PSYNC"));
    assert!(has("ping", "PING"));
    let v = sentinel(&mut c, "redis-sentinel3");
    assert_eq!(get(&v, "configEpoch").as_f64(), Some(1.0));
    assert_ne!(
        get(&v, "masterIp").as_string().as_deref(),
        Some("172.24.0.2")
    );
    // The tap does not change the run: the same actions without looking at
    // messages or nodes give the same trace hash.
    let json = c.export_scenario().unwrap();
    let replay = Cluster::import_scenario(&json).unwrap();
    assert_eq!(replay.trace_hash(), c.trace_hash());
    assert!(c.peek("redis_slave1", "ROLE").is_some());
}

/// Every lesson loads in a Cluster; the tutorial lesson, run in frame-sized
/// steps, reaches +switch-master, and its export replays to the same trace.
#[wasm_bindgen_test]
fn cluster_lesson_runs_and_replays() {
    let ids: Vec<String> = Cluster::lessons();
    let known: Vec<&str> = sentinel_lab::sim::lessons::LESSON_IDS.to_vec();
    assert_eq!(ids, known, "{ids:?}");
    for id in &ids {
        let mut c = Cluster::new(1.0).unwrap();
        c.load_lesson(id, JsValue::UNDEFINED).unwrap();
        assert_eq!(c.lesson_id().as_deref(), Some(id.as_str()));
        assert!(c.lesson_end().unwrap() > c.now());
    }
    let mut c = Cluster::new(5.0).unwrap();
    c.load_lesson("tutorial", obj(&[("quorum", JsValue::from(2))]))
        .unwrap();
    let end = c.lesson_end().unwrap();
    while c.now() < end {
        c.run_for(1_000.0).unwrap();
    }
    let trace: Array = c.trace_since(0).unwrap().unchecked_into();
    let texts: Vec<String> = trace
        .iter()
        .filter_map(|e| get(&e, "text").as_string())
        .collect();
    assert!(
        texts.iter().any(|t| t == "crashed"),
        "the lesson kills the master"
    );
    assert!(texts
        .iter()
        .any(|t| t.starts_with("+switch-master mymaster 172.24.0.2 6379")));
    let json = c.export_scenario().unwrap();
    assert!(
        json.contains(r#""op":"kill","name":"redis_master""#),
        "{json}"
    );
    let replay = Cluster::import_scenario(&json).unwrap();
    assert_eq!(replay.trace_hash(), c.trace_hash());
    assert!(c.load_lesson("nope", JsValue::UNDEFINED).is_err());
}
