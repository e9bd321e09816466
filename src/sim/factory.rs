//! Building nodes from their specs, for the simulator and the wasm hosts.

use super::{Disk, NodeSpec};
use crate::node::{Millis, Node, Resolver};
use crate::sentinel::config::{default_server_config, load, Entry};
use crate::sentinel::{Sentinel, SentinelState};
use crate::server::config::lines::{conf_lines, UnbalancedQuotes};
use crate::server::config::{self, Key};
use crate::server::{Config, Server};

/// Parse config-file text into a server config (unknown directives are reported).
pub fn server_config(text: &str) -> Result<Config, String> {
    let mut config = Config::default();
    let mut save_seen = false;
    for line in conf_lines(text) {
        let line = line.map_err(unbalanced)?;
        config
            .load_directive(&line.args[0], &line.args[1..], &mut save_seen)
            .map_err(|e| format!("line {}: '{}': {}", line.number, line.text, e))?;
    }
    Ok(config)
}

fn unbalanced(u: UnbalancedQuotes) -> String {
    format!("line {}: unbalanced quotes", u.number)
}

/// A Redis server node; its disk may hold `dump.rdb`.
/// Where a simulated server keeps its config file (CONFIG REWRITE writes it,
/// so a promoted replica restarts as a master, as with a real redis.conf).
pub const SERVER_CONF: &str = "redis.conf";

pub fn server_node(
    spec: &NodeSpec,
    disk: &Disk,
    now: Millis,
    seed: u64,
    _names: &Resolver,
) -> Box<dyn Node> {
    let text = disk
        .get(SERVER_CONF)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| spec.config.clone());
    let mut config = server_config(&text).unwrap_or_default();
    config.config_file = Some(SERVER_CONF.to_string());
    config.config_text = Some(text);
    let file = config.get(Key::DBFILENAME).to_string();
    let aof = config.get_bool(Key::APPENDONLY);
    let aclfile = config.get(Key::ACLFILE).to_string();
    let mut server = Server::new(config, now, seed);
    if let Some(bytes) = disk.get(&aclfile).filter(|_| !aclfile.is_empty()) {
        // The users of an ACL file the node saved (ACL SAVE) or was given.
        if let Err(e) = server.load_acl_file(&String::from_utf8_lossy(bytes)) {
            server.st.log(crate::node::LogLevel::Warning, e);
        }
    }
    if aof {
        // With appendonly yes the AOF is the dataset (dump.rdb is not read);
        // a refused AOF leaves the node empty here, where Redis would exit.
        let _ = server.load_aof(&mut |p| disk.get(p).cloned());
    } else if let Some(bytes) = disk.get(&file) {
        if server.st.config.get_i64(Key::KEY_LOAD_DELAY) != 0 {
            // Paced: the node loads in virtual time, answering -LOADING
            // meanwhile (a bad file stops it, as it stops Redis).
            let purpose = crate::server::loading::LoadPurpose::Startup { ready_line: true };
            server.start_rdb_load(bytes.clone(), purpose);
        } else {
            // A bad file is logged by the server; the node starts empty, as
            // a lab should. Loaded at once: without a delay, slices would
            // all fall on the same virtual instant.
            let _ = server.load_rdb(bytes);
        }
    }
    Box::new(server)
}

/// Where a simulated sentinel keeps its rewritten configuration.
pub const SENTINEL_CONF: &str = "sentinel.conf";

/// Split sentinel.conf text into server directives and `sentinel ...` entries.
pub fn sentinel_config(text: &str) -> Result<(Config, Vec<Entry>), String> {
    let mut config = default_server_config();
    let mut entries = Vec::new();
    for line in conf_lines(text) {
        let line = line.map_err(unbalanced)?;
        let parts = &line.args;
        let name = parts[0].to_ascii_lowercase();
        if name == "sentinel" {
            entries.push(Entry {
                argv: parts[1..].to_vec(),
                linenum: line.number,
                line: line.text.to_string(),
            });
        } else if config::find(&name).is_some() || name == "user" {
            config
                .set_by_name(&name, &parts[1..])
                .map_err(|e| format!("line {}: '{}': {}", line.number, line.text, e))?;
        }
    }
    Ok((config, entries))
}

/// A sentinel node; its disk may hold the sentinel.conf it rewrote (identity,
/// epochs). It resolves names (`resolve-hostnames yes`) with `names`.
pub fn sentinel_node(
    spec: &NodeSpec,
    disk: &Disk,
    now: Millis,
    seed: u64,
    names: &Resolver,
) -> Box<dyn Node> {
    let text = disk
        .get(SENTINEL_CONF)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| spec.config.clone());
    let (config, entries) =
        sentinel_config(&text).unwrap_or_else(|_| (Config::default(), Vec::new()));
    let mut state = SentinelState::new(now);
    state.resolve_host = names.clone();
    let _ = load(&mut state, &entries, now);
    state.config_path = Some(SENTINEL_CONF.to_string());
    state.config_text = text;
    Box::new(Sentinel::new(config, state, now, seed))
}

/// The factory for a node kind (`NodeSpec.kind`).
pub fn for_kind(kind: &str) -> Result<super::NodeFactory, String> {
    match kind {
        "server" => Ok(server_node),
        "sentinel" => Ok(sentinel_node),
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
        "sentinel" => {
            let (_, entries) = sentinel_config(text)?;
            let mut st = SentinelState::new(0);
            load(&mut st, &entries, 0)
        }
        other => Err(format!("unknown node kind '{other}'")),
    }
}

/// Sentinel nodes exist in this build (the web UI asks, to explain what it can show).
pub const SENTINEL_AVAILABLE: bool = true;
