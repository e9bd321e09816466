//! `Node`: one sans-IO node per wasm instance, for hosts that run each node in
//! its own Web Worker or Node.js worker thread and carry the bytes themselves.
//!
//! Inputs (`handle(nowMs, input)`), as plain objects:
//! - `{type: 'accepted', conn, peerHost, peerPort, localHost, localPort}`
//! - `{type: 'connected', conn, localHost, localPort}`
//! - `{type: 'connectFailed', conn, reason}`
//! - `{type: 'closed', conn}`
//! - `{type: 'data', conn, bytes: Uint8Array}`
//! - `{type: 'tick'}`
//!
//! Outputs (`pollOutputs()`), an array of:
//! - `{type: 'send', conn, bytes: Uint8Array}`
//! - `{type: 'connect', conn, host, port}`
//! - `{type: 'close', conn}`
//! - `{type: 'event', event: 'log', level, mark, message}` /
//!   `{type: 'event', event: 'role', role}` / `{type: 'event', event: 'shutdown', exitCode}` /
//!   `{type: 'event', event: 'sentinel', kind, detail}` /
//!   `{type: 'event', event: 'persist', file, bytes}` /
//!   `{type: 'event', event: 'configRewrite', path, text}`
//!
//! Connection ids are JS numbers. The host numbers the connections it accepts
//! (0 ≤ conn < 2^53); the connections the node opens have negative ids
//! (`-1, -2, ...`), so both sides allocate without asking each other.
//!
//! A host that keeps the node's "disk" (the `persist` and `configRewrite`
//! events: `dump.rdb`, `redis.conf`, `sentinel.conf`) restarts it from there
//! with `Node.fromDisk(kind, configText, seed, nowMs, {file: bytes | text})`,
//! as the simulator does. `status()` and `query(args)` look inside the node
//! without any traffic (as `Cluster.nodes()` does), and the static helpers
//! `encodeCommandLine` / `encodeCommand` / `parseReply` let a host run a
//! `redis-cli` style console on a connection of its own.

use super::js::{self, Obj};
use super::status;
use super::tap::NodeTap;
use super::{frame_to_js, settings_from_js, to_js, to_port, to_u64};
use crate::node::{
    Addr, ConnId, Event, Input, LogLevel, Millis, Node, Output, PersistStep, OUTBOUND_BIT,
};
use crate::resp::Frame;
use crate::sim::scenario::{self, Action, NewHost};
use crate::sim::{factory, Disk, NodeSpec};
use js_sys::{Array, Object, Reflect, Uint8Array};
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;

/// One node (a server or a sentinel) driven by a JS host.
#[wasm_bindgen(js_name = Node)]
pub struct WasmNode {
    node: Box<dyn Node>,
    kind: String,
    now: Millis,
    /// The node has had an input (its start-up work is done).
    started: bool,
    /// Outputs of the node that came out while it was queried, for the host.
    pending: VecDeque<Output>,
    /// The file a background save is streaming, so far.
    streaming: Vec<u8>,
    /// Decodes the messages the node receives (`tapMessages`).
    tap: Option<NodeTap>,
}

/// JS conn number → node conn id.
fn conn_from_js(v: f64) -> Result<ConnId, JsError> {
    if v.fract() == 0.0 && (-9_007_199_254_740_991.0..0.0).contains(&v) {
        Ok(ConnId(OUTBOUND_BIT | ((-v) as u64 - 1)))
    } else {
        let n = to_u64("conn", v)?;
        Ok(ConnId(n))
    }
}

/// Node conn id → JS conn number.
fn conn_to_js(c: ConnId) -> f64 {
    if c.is_outbound() {
        -(((c.0 & !OUTBOUND_BIT) + 1) as f64)
    } else {
        c.0 as f64
    }
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_str(obj: &JsValue, ty: &str, key: &str) -> Result<String, JsError> {
    get(obj, key)
        .as_string()
        .ok_or_else(|| JsError::new(&format!("'{ty}' input needs a string '{key}'")))
}

fn get_num(obj: &JsValue, ty: &str, key: &str) -> Result<f64, JsError> {
    get(obj, key)
        .as_f64()
        .ok_or_else(|| JsError::new(&format!("'{ty}' input needs a number '{key}'")))
}

fn get_conn(obj: &JsValue, ty: &str) -> Result<ConnId, JsError> {
    conn_from_js(get_num(obj, ty, "conn")?)
}

fn get_addr(obj: &JsValue, ty: &str, prefix: &str) -> Result<Addr, JsError> {
    let host = get_str(obj, ty, &format!("{prefix}Host"))?;
    let port = to_port(get_num(obj, ty, &format!("{prefix}Port"))?)?;
    Ok(Addr::new(host, port))
}

/// An output as `pollOutputs` gives it: `{type, ...}` (see the module
/// header); events are `{type: 'event', event, ...}` with camelCase fields.
fn output_js(out: &Output) -> JsValue {
    let typed = |t: &str| Obj::new().set("type", t);
    match out {
        Output::Send { conn, bytes } => typed("send")
            .set("conn", &conn_to_js(*conn))
            .put("bytes", js::bytes(bytes))
            .done(),
        Output::Connect { conn, addr, .. } => typed("connect")
            .set("conn", &conn_to_js(*conn))
            .set("host", &addr.host)
            .set("port", &addr.port)
            .done(),
        Output::Close { conn } => typed("close").set("conn", &conn_to_js(*conn)).done(),
        Output::Event(ev) => {
            let event = |e: &str| typed("event").set("event", e);
            match ev {
                Event::Log { level, message } => event("log")
                    .set("level", level.name())
                    .set("mark", &level.mark())
                    .set("message", message),
                // A signal handler's line reads as a warning.
                Event::SignalLog { message } => event("log")
                    .set("level", LogLevel::Warning.name())
                    .set("mark", &LogLevel::Warning.mark())
                    .set("message", message),
                Event::RoleChanged { role } => event("role").set("role", role.name()),
                Event::Shutdown { exit_code } => event("shutdown").set("exitCode", exit_code),
                // DEBUG SEGFAULT or an assertion: the page stops the node as
                // a crashed process.
                Event::Crash { .. } => event("crash"),
                Event::Sentinel { kind, detail } => event("sentinel")
                    .set("kind", kind.channel())
                    .set("detail", detail),
                Event::Persist { file, bytes } => event("persist")
                    .set("file", file)
                    .put("bytes", js::bytes(bytes)),
                // Not seen by JS: `poll_output_raw` puts the parts together.
                Event::PersistPart { file, bytes, step } => event("persistPart")
                    .set("file", file)
                    .set("step", &format!("{step:?}"))
                    .put("bytes", js::bytes(bytes)),
                Event::ConfigRewrite { path, text } => {
                    event("configRewrite").set("path", path).set("text", text)
                }
                // A script the node would run: recorded with its arguments, not run.
                Event::RunScript { id, argv } => event("runScript").set("id", id).set("argv", argv),
                Event::KillScript { id } => event("killScript").set("id", id),
                // A stand-in fork child: only for hosts that said they run them
                // (`Server::host_forks`), which the page does not.
                Event::Fork { id, title, .. } => event("fork").set("id", id).set("title", title),
                Event::EndFork { id } => event("endFork").set("id", id),
                // CONFIG SET dir (the page's disk has no directories).
                Event::ChangeDir { dir } => event("changeDir").set("dir", dir),
                Event::AofFile(op) => aof_file_js(event("aofFile"), op),
            }
            .done()
        }
    }
}

/// An AOF file operation (`append`, `fsync`, `truncate`, `rename`,
/// `delete`): `file` (`rename`: from `file` to `to`), the bytes of an
/// append, the length of a truncate.
fn aof_file_js(o: Obj, op: &crate::node::FileOp) -> Obj {
    use crate::node::FileOp;
    let js = |op: &str, file: &str, to: &str, bytes: &[u8], fsync: bool, len: u64| {
        o.set("op", op)
            .set("file", file)
            .set("to", to)
            .put("bytes", js::bytes(bytes))
            .set("fsync", &fsync)
            .set("len", &len)
    };
    match op {
        FileOp::Append { file, bytes, fsync } => js("append", file, "", bytes, *fsync, 0),
        FileOp::Fsync { file } => js("fsync", file, "", &[], false, 0),
        FileOp::Truncate { file, len } => js("truncate", file, "", &[], false, *len),
        FileOp::Rename { from, to } => js("rename", from, to, &[], false, 0),
        FileOp::Delete { file } => js("delete", file, "", &[], false, 0),
    }
}

/// A disk given by JS: `{name: Uint8Array | string}` (null/undefined: empty).
fn disk_from_js(v: &JsValue) -> Result<Disk, JsError> {
    let mut disk = Disk::new();
    if v.is_undefined() || v.is_null() {
        return Ok(disk);
    }
    if !v.is_object() {
        return Err(JsError::new(
            "a disk is an object {fileName: Uint8Array or string}",
        ));
    }
    let obj: &Object = v.unchecked_ref();
    for key in Object::keys(obj).iter() {
        let name = key.as_string().unwrap_or_default();
        let val = get(v, &name);
        let bytes = if let Some(s) = val.as_string() {
            s.into_bytes()
        } else if let Some(a) = val.dyn_ref::<Uint8Array>() {
            a.to_vec()
        } else {
            return Err(JsError::new(&format!(
                "disk file '{name}' must be a Uint8Array or a string"
            )));
        };
        disk.insert(name, bytes);
    }
    Ok(disk)
}

impl WasmNode {
    /// Drain outputs as Rust values (for Rust hosts and tests).
    /// A background save's file arrives whole, as one `Persist` (the parts
    /// the node streams are put together here), so JS hosts keep one event.
    pub fn poll_output_raw(&mut self) -> Option<Output> {
        loop {
            let out = self
                .pending
                .pop_front()
                .or_else(|| self.node.poll_output())?;
            if let Some(t) = &mut self.tap {
                t.output(&out);
            }
            // The page runs no script: the call is shown (runScript) and
            // the node hears at once that it exited with 0.
            if let Output::Event(Event::RunScript { id, .. }) = &out {
                let status = crate::node::ScriptStatus::Exited { code: 0, signal: 0 };
                self.node
                    .handle(self.now, crate::node::Input::Script { id: *id, status });
            }
            let Output::Event(Event::PersistPart { file, bytes, step }) = out else {
                return Some(out);
            };
            match step {
                PersistStep::Start => self.streaming = bytes,
                PersistStep::Append => self.streaming.extend(bytes),
                PersistStep::Abort => self.streaming = Vec::new(),
                PersistStep::Finish => {
                    let mut all = std::mem::take(&mut self.streaming);
                    all.extend(bytes);
                    return Some(Output::Event(Event::Persist { file, bytes: all }));
                }
            }
        }
    }

    fn build(
        kind: &str,
        config_text: &str,
        seed: f64,
        now_ms: f64,
        disk: &Disk,
    ) -> Result<WasmNode, JsError> {
        let seed = to_u64("seed", seed)?;
        let now = to_u64("nowMs", now_ms)?;
        let f = factory::for_kind(kind).map_err(|e| JsError::new(&e))?;
        factory::check_config(kind, config_text).map_err(|e| JsError::new(&e))?;
        let spec = NodeSpec {
            name: kind.to_string(),
            kind: kind.to_string(),
            config: config_text.to_string(),
        };
        Ok(WasmNode {
            // One node per instance, no name table: names go to JS as they are.
            node: f(&spec, disk, now, seed, &Default::default()),
            kind: kind.to_string(),
            now,
            started: false,
            pending: VecDeque::new(),
            streaming: Vec::new(),
            tap: None,
        })
    }

    /// Ask the node a command out of band, at the time of its last input,
    /// without traffic: its other outputs are kept for `pollOutputs`. `None`
    /// before its first input or when the reply is not immediate.
    pub fn query_frame(&mut self, argv: &[&str]) -> Option<Frame> {
        if !self.started {
            return None;
        }
        let (reply, others) = crate::node::inspect(self.node.as_mut(), self.now, argv);
        self.pending.extend(others);
        reply
    }
}

#[wasm_bindgen(js_class = Node)]
impl WasmNode {
    /// A node of `kind` ("server" or "sentinel") built from its config file
    /// text, seeded, its clock at `nowMs`.
    #[wasm_bindgen(constructor)]
    pub fn new(kind: &str, config_text: &str, seed: f64, now_ms: f64) -> Result<WasmNode, JsError> {
        WasmNode::build(kind, config_text, seed, now_ms, &Disk::new())
    }

    /// A node restarted from its disk: `disk` is `{fileName: Uint8Array or
    /// string}` as the node wrote it (`persist` / `configRewrite` events). A
    /// rewritten `redis.conf` / `sentinel.conf` there replaces `configText`,
    /// and the server loads its `dump.rdb`, as the simulator's restart does.
    #[wasm_bindgen(js_name = fromDisk)]
    pub fn from_disk(
        kind: &str,
        config_text: &str,
        seed: f64,
        now_ms: f64,
        disk: JsValue,
    ) -> Result<WasmNode, JsError> {
        let disk = disk_from_js(&disk)?;
        WasmNode::build(kind, config_text, seed, now_ms, &disk)
    }

    /// The tutorial topology as data, for hosts that build it themselves:
    /// `[{name, kind, ip, port, config}]` (redis_master, redis_slave1/2,
    /// redis-sentinel1..3). `settings` is optional: `{quorum, downAfterMs,
    /// failoverTimeoutMs, parallelSyncs}` (missing fields: the tutorial's).
    #[wasm_bindgen(js_name = tutorialTopology)]
    pub fn tutorial_topology(settings: JsValue) -> Result<Array, JsError> {
        let s = settings_from_js(settings)?;
        let nodes: Vec<NewHost> = scenario::tutorial_actions_with(&s)
            .into_iter()
            .filter_map(|a| match a {
                Action::Add(h) => Some(h),
                _ => None,
            })
            .collect();
        Ok(to_js(&nodes)?.unchecked_into())
    }

    /// A console line as `redis-cli` takes it (quotes allowed) as the RESP
    /// bytes of the command; an empty line gives no bytes. Throws
    /// "Invalid argument(s)" on unbalanced quotes, as redis-cli says.
    #[wasm_bindgen(js_name = encodeCommandLine)]
    pub fn encode_command_line(line: &str) -> Result<Uint8Array, JsError> {
        let Some(parts) = crate::resp::split_args(line.as_bytes()) else {
            return Err(JsError::new("Invalid argument(s)"));
        };
        if parts.is_empty() {
            return Ok(Uint8Array::new_with_length(0));
        }
        Ok(Uint8Array::from(Frame::command(parts.iter()).as_slice()))
    }

    /// An argv as the RESP bytes of the command (what a client sends).
    #[wasm_bindgen(js_name = encodeCommand)]
    pub fn encode_command(args: Vec<String>) -> Uint8Array {
        Uint8Array::from(Frame::command(args.iter()).as_slice())
    }

    /// The first complete reply in `bytes`: `{text, value, length}` with
    /// `text` as `redis-cli` prints it, `value` as `Cluster.command` gives it
    /// and `length` the bytes it took; `undefined` while incomplete. Throws
    /// on bytes that are not RESP.
    #[wasm_bindgen(js_name = parseReply)]
    pub fn parse_reply(bytes: &[u8]) -> Result<JsValue, JsError> {
        match Frame::parse(bytes) {
            Ok(Some((f, n))) => Ok(Obj::new()
                .set("text", &super::reply::frame_to_cli(&f))
                .put("value", frame_to_js(&f)?)
                .set("length", &n)
                .done()),
            Ok(None) => Ok(JsValue::UNDEFINED),
            Err(e) => Err(JsError::new(&format!("not a RESP reply: {e:?}"))),
        }
    }

    /// Ask the node a command without traffic (as `Cluster.nodes()` does):
    /// the reply as a plain value (see `Cluster.command`), or `undefined`
    /// before the node's first input or when the reply is not immediate
    /// (blocking commands). The node's other outputs wait in `pollOutputs`.
    pub fn query(&mut self, args: Vec<String>) -> Result<JsValue, JsError> {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        match self.query_frame(&argv) {
            Some(f) => frame_to_js(&f),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The node's own part of `Cluster.nodes()`, by the same code
    /// (`status.rs`): `{role, runId, offset, masterHost, masterPort,
    /// linkState, replicas: [{ip, port, offset}], masters: [name], priority,
    /// sentinel: {myid, master, masterIp, masterPort, flags, state,
    /// failoverState, configEpoch, quorum, numSlaves, numOtherSentinels,
    /// downAfterMs, failoverTimeoutMs, parallelSyncs} | null}`, asked with
    /// ROLE / INFO / SENTINEL MASTER without traffic. `role` is null before
    /// the node's first input.
    pub fn status(&mut self) -> Result<JsValue, JsError> {
        to_js(&status::status(|argv| self.query_frame(argv)))
    }

    /// A `redis-cli` line asked without traffic (as `Cluster.peek`): the
    /// reply as `redis-cli` prints it, or undefined when the node cannot
    /// answer at once (or the line is empty).
    pub fn peek(&mut self, line: &str) -> Option<String> {
        status::peek(line, |argv| self.query_frame(argv))
    }

    /// Start (or stop) decoding the messages this node receives, for the
    /// page's animation (`takeMessages`). Connections opened before are not
    /// followed.
    #[wasm_bindgen(js_name = tapMessages)]
    pub fn tap_messages(&mut self, on: bool) {
        self.tap = on.then(NodeTap::default);
    }

    /// The messages received since the last call (the last 4096 are kept):
    /// `[{time, from, to, kind, name, bytes}]`, `from`/`to` IP addresses
    /// (the host names them), `kind`/`name` as in `Cluster.messagesSince`.
    #[wasm_bindgen(js_name = takeMessages)]
    pub fn take_messages(&mut self) -> Result<JsValue, JsError> {
        let msgs = self.tap.as_mut().map(NodeTap::take).unwrap_or_default();
        to_js(&msgs.iter().map(|m| m.js(None)).collect::<Vec<_>>())
    }

    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.kind.clone()
    }

    /// Feed one input at time `nowMs` (time never goes backwards: an earlier
    /// time is taken as the last one seen).
    pub fn handle(&mut self, now_ms: f64, input: JsValue) -> Result<(), JsError> {
        let now = to_u64("nowMs", now_ms)?.max(self.now);
        if !input.is_object() {
            return Err(JsError::new("an input is an object with a 'type'"));
        }
        let ty = get_str(&input, "input", "type")?;
        let bytes;
        let input = match ty.as_str() {
            "accepted" => Input::Accepted {
                conn: get_conn(&input, &ty)?,
                peer: get_addr(&input, &ty, "peer")?,
                local: get_addr(&input, &ty, "local")?,
            },
            "connected" => Input::Connected {
                conn: get_conn(&input, &ty)?,
                local: get_addr(&input, &ty, "local")?,
            },
            "connectFailed" => Input::ConnectFailed {
                conn: get_conn(&input, &ty)?,
                reason: get(&input, "reason")
                    .as_string()
                    .unwrap_or_else(|| "Connection refused".into()),
            },
            "closed" => Input::Closed {
                conn: get_conn(&input, &ty)?,
            },
            "data" => {
                let b = get(&input, "bytes");
                let arr = b
                    .dyn_ref::<Uint8Array>()
                    .ok_or_else(|| JsError::new("'data' input needs 'bytes' as a Uint8Array"))?;
                bytes = arr.to_vec();
                Input::Data {
                    conn: get_conn(&input, &ty)?,
                    bytes: &bytes,
                }
            }
            "tick" => Input::Tick,
            other => {
                return Err(JsError::new(&format!(
                    "unknown input type '{other}' (expected accepted, connected, \
                     connectFailed, closed, data or tick)"
                )))
            }
        };
        self.now = now;
        self.started = true;
        if let Some(t) = &mut self.tap {
            t.input(now, &input);
        }
        self.node.handle(now, input);
        Ok(())
    }

    /// Everything the node wants done since the last call.
    #[wasm_bindgen(js_name = pollOutputs)]
    pub fn poll_outputs(&mut self) -> Array {
        let mut outs = Vec::new();
        while let Some(out) = self.poll_output_raw() {
            outs.push(out);
        }
        js::list(outs.iter().map(output_js)).unchecked_into()
    }

    /// When the node next wants a `tick` (ms), or undefined.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        if !self.pending.is_empty() {
            return Some(self.now as f64);
        }
        self.node.poll_timeout().map(|t| t as f64)
    }
}
