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
pub fn server_node(spec: &NodeSpec, disk: &Disk, now: Millis, seed: u64) -> Box<dyn Node> {
    let config = server_config(&spec.config).unwrap_or_default();
    let file = config.get("dbfilename").to_string();
    let mut server = Server::new(config, now, seed);
    if let Some(bytes) = disk.get(&file) {
        // A bad file is logged by the server; the node starts empty, as a lab should.
        let _ = server.load_rdb(bytes);
    }
    Box::new(server)
}
