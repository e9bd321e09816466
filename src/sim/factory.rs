//! Building nodes from their specs, for the simulator and the wasm hosts.

use super::{Disk, NodeSpec};
use crate::node::{Millis, Node};
use crate::resp::split_args;
use crate::server::{Config, Server};

/// Parse config-file text into a server config (unknown directives are reported).
pub fn server_config(text: &str) -> Result<Config, String> {
    let mut config = Config::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts = split_args(line.as_bytes())
            .ok_or_else(|| format!("line {}: unbalanced quotes", i + 1))?;
        let parts: Vec<String> = parts
            .into_iter()
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .collect();
        if parts.is_empty() {
            continue;
        }
        config
            .set(&parts[0], &parts[1..])
            .map_err(|e| format!("line {}: '{}': {}", i + 1, line, e))?;
    }
    Ok(config)
}

/// A Redis server node; its disk may hold `dump.rdb`.
pub fn server_node(spec: &NodeSpec, _disk: &Disk, now: Millis, seed: u64) -> Box<dyn Node> {
    let config = server_config(&spec.config).unwrap_or_default();
    Box::new(Server::new(config, now, seed))
}

/// Whether this build has a sentinel node (flip when `crate::sentinel` lands).
pub const SENTINEL_AVAILABLE: bool = false;

/// The error a sentinel request gives until the sentinel node lands.
pub const SENTINEL_MISSING: &str =
    "sentinel nodes are not available yet in this build (the sentinel node is still being written)";

// ---- SENTINEL FACTORY PLUG-IN POINT ---------------------------------------
// When `crate::sentinel` lands: set SENTINEL_AVAILABLE = true, and add
//
//     pub fn sentinel_node(spec: &NodeSpec, disk: &Disk, now: Millis, seed: u64) -> Box<dyn Node> {
//         // parse spec.config (sentinel.conf text), or the rewritten config kept
//         // on `disk`, into crate::sentinel::Config, then
//         Box::new(crate::sentinel::Sentinel::new(config, state, now, seed))
//     }
//
// and map "sentinel" to it in `for_kind` and `check_config` below. Nothing else
// in the simulator, the wasm API or the web UI needs to change.
// ---------------------------------------------------------------------------

/// The factory for a node kind (`NodeSpec.kind`).
pub fn for_kind(kind: &str) -> Result<super::NodeFactory, String> {
    match kind {
        "server" => Ok(server_node),
        "sentinel" => Err(SENTINEL_MISSING.into()),
        other => Err(format!(
            "unknown node kind '{other}' (expected 'server' or 'sentinel')"
        )),
    }
}

/// Check a node's config text before building it, so bad text is an error
/// rather than a silently default node.
pub fn check_config(kind: &str, text: &str) -> Result<(), String> {
    match kind {
        "server" => server_config(text).map(|_| ()),
        "sentinel" => Err(SENTINEL_MISSING.into()),
        other => Err(format!("unknown node kind '{other}'")),
    }
}
