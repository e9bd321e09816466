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
//!   `{type: 'event', event: 'role', role}` / `{type: 'event', event: 'shutdown', exitCode}`
//!
//! Connection ids are JS numbers. The host numbers the connections it accepts
//! (0 ≤ conn < 2^53); the connections the node opens have negative ids
//! (`-1, -2, ...`), so both sides allocate without asking each other.

use super::{set, to_port, to_u64};
use crate::node::{Addr, ConnId, Event, Input, Millis, Node, Output, OUTBOUND_BIT};
use crate::sim::{factory, Disk, NodeSpec};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

/// One node (a server, later a sentinel) driven by a JS host.
#[wasm_bindgen(js_name = Node)]
pub struct WasmNode {
    node: Box<dyn Node>,
    kind: String,
    now: Millis,
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

fn output_to_js(out: Output) -> JsValue {
    let o = Object::new();
    match out {
        Output::Send { conn, bytes } => {
            set(&o, "type", "send");
            set(&o, "conn", conn_to_js(conn));
            set(&o, "bytes", Uint8Array::from(bytes.as_slice()));
        }
        Output::Connect { conn, addr } => {
            set(&o, "type", "connect");
            set(&o, "conn", conn_to_js(conn));
            set(&o, "host", addr.host);
            set(&o, "port", addr.port);
        }
        Output::Close { conn } => {
            set(&o, "type", "close");
            set(&o, "conn", conn_to_js(conn));
        }
        Output::Event(ev) => {
            set(&o, "type", "event");
            match ev {
                Event::Log { level, message } => {
                    set(&o, "event", "log");
                    set(&o, "level", level.name());
                    set(&o, "mark", level.mark().to_string());
                    set(&o, "message", message);
                }
                Event::RoleChanged { role } => {
                    set(&o, "event", "role");
                    set(&o, "role", role);
                }
                Event::Shutdown { exit_code } => {
                    set(&o, "event", "shutdown");
                    set(&o, "exitCode", exit_code);
                }
                Event::Sentinel { kind, detail } => {
                    set(&o, "event", "sentinel");
                    set(&o, "kind", kind);
                    set(&o, "detail", detail);
                }
                Event::Persist { file, bytes } => {
                    set(&o, "event", "persist");
                    set(&o, "file", file);
                    set(&o, "bytes", js_sys::Uint8Array::from(&bytes[..]));
                }
                Event::ConfigRewrite { path, text } => {
                    set(&o, "event", "configRewrite");
                    set(&o, "path", path);
                    set(&o, "text", text);
                }
            }
        }
    }
    o.into()
}

impl WasmNode {
    /// Drain outputs as Rust values (for Rust hosts and tests).
    pub fn poll_output_raw(&mut self) -> Option<Output> {
        self.node.poll_output()
    }
}

#[wasm_bindgen(js_class = Node)]
impl WasmNode {
    /// A node of `kind` ("server"; "sentinel" once it exists) built from its
    /// config file text, seeded, its clock at `nowMs`.
    #[wasm_bindgen(constructor)]
    pub fn new(kind: &str, config_text: &str, seed: f64, now_ms: f64) -> Result<WasmNode, JsError> {
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
            node: f(&spec, &Disk::new(), now, seed),
            kind: kind.to_string(),
            now,
        })
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
        self.node.handle(now, input);
        Ok(())
    }

    /// Everything the node wants done since the last call.
    #[wasm_bindgen(js_name = pollOutputs)]
    pub fn poll_outputs(&mut self) -> Array {
        let arr = Array::new();
        while let Some(out) = self.node.poll_output() {
            arr.push(&output_to_js(out));
        }
        arr
    }

    /// When the node next wants a `tick` (ms), or undefined.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.node.poll_timeout().map(|t| t as f64)
    }
}
