//! The wasm-bindgen API: what JavaScript (a browser page, a Web Worker, Node.js)
//! sees of the core.
//!
//! - [`Cluster`]: a whole deterministic simulation in one wasm instance; every
//!   action taken on it is recorded, so a session is a replayable scenario.
//! - [`WasmNode`] (JS `Node`): one sans-IO node, for hosts that run each node in
//!   its own worker and move the bytes themselves.
//!
//! Errors are thrown as JS `Error`s with a readable message; a Rust panic is
//! printed to the console with its message (console_error_panic_hook).

mod cluster;
mod js;
mod node;
mod reply;
mod status;
mod tap;

pub use cluster::Cluster;
pub use node::WasmNode;
pub use reply::frame_to_js;

use crate::sim::scenario::SentinelSettings;
use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The crate version, for the page's footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Largest integer a JS number holds exactly.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// A JS number that must be a non-negative integer (seeds, milliseconds, ports).
pub(crate) fn to_u64(what: &str, v: f64) -> Result<u64, JsError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_SAFE {
        Ok(v as u64)
    } else {
        Err(JsError::new(&format!(
            "{what} must be a non-negative integer below 2^53, got {v}"
        )))
    }
}

pub(crate) fn to_port(v: f64) -> Result<u16, JsError> {
    let p = to_u64("port", v)?;
    u16::try_from(p)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| JsError::new(&format!("port must be 1..65535, got {v}")))
}

/// A Rust value as a plain JS value: `None` as null, structs as plain
/// objects (see `js`).
pub(crate) fn to_js<T: js::ToJs + ?Sized>(v: &T) -> Result<JsValue, JsError> {
    Ok(v.to_js())
}

/// `{quorum, downAfterMs, failoverTimeoutMs, parallelSyncs}`, each optional
/// (null or undefined: all the tutorial's), for `Cluster` and `Node` alike.
pub(crate) fn settings_from_js(v: JsValue) -> Result<SentinelSettings, JsError> {
    let mut s = SentinelSettings::default();
    if v.is_undefined() || v.is_null() {
        return Ok(s);
    }
    let bad = |e: String| JsError::new(&format!("bad sentinel settings: {e}"));
    let num = |key| js::opt_uint(&v, "settings", key).map_err(bad);
    let small = |key| -> Result<Option<u32>, JsError> {
        num(key)?
            .map(|n| u32::try_from(n).map_err(|_| bad(format!("settings: '{key}' is too large"))))
            .transpose()
    };
    let (quorum, down_after_ms, failover_timeout_ms, parallel_syncs) = (
        small("quorum")?,
        num("downAfterMs")?,
        num("failoverTimeoutMs")?,
        small("parallelSyncs")?,
    );
    if let Some(q) = quorum {
        if q == 0 {
            return Err(JsError::new("quorum must be at least 1"));
        }
        s.quorum = q;
    }
    if let Some(d) = down_after_ms {
        s.down_after_ms = d.max(1);
    }
    if let Some(f) = failover_timeout_ms {
        s.failover_timeout_ms = f.max(1);
    }
    if let Some(p) = parallel_syncs {
        s.parallel_syncs = p.max(1);
    }
    Ok(s)
}
