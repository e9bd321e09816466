//! `sentinel-lab sentinel /path/sentinel.conf [--directive value ...]`
//! (or the binary invoked as `redis-sentinel`): a sentinel on real TCP ports.

use super::{conf, host};
use crate::node::LogLevel;
use crate::sentinel::config::{default_server_config, load, Entry};
use crate::sentinel::{Sentinel, SentinelState};
use crate::server::config::lines::{conf_lines, fatal_config_error};
use crate::server::config::{self, Key};
use crate::server::Config;

/// Wraps the sentinel node so config rewrites reach the disk.
/// Split a sentinel.conf into server directives (applied to `config`) and
/// queued `sentinel ...` entries.
fn parse_file(config: &mut Config, text: &str, entries: &mut Vec<Entry>) -> Result<(), String> {
    for line in conf_lines(text) {
        let line = line.map_err(|u| {
            fatal_config_error(u.number, u.text, "Unbalanced quotes in configuration line")
        })?;
        let parts = &line.args;
        let name = parts[0].to_ascii_lowercase();
        if name == "sentinel" {
            if parts.len() < 2 {
                return Err(fatal_config_error(
                    line.number,
                    line.text,
                    "wrong number of arguments",
                ));
            }
            entries.push(Entry {
                argv: parts[1..].to_vec(),
                linenum: line.number,
                line: line.text.to_string(),
            });
            continue;
        }
        // Server directives we know; others (written by a real sentinel's
        // rewrite, e.g. `user` or `latency-tracking-info-percentiles`) are skipped.
        if config::find(&name).is_some() && name != "daemonize" {
            conf::apply_text(config, line.text).map_err(|e| match e {
                conf::ConfError::Log(m) | conf::ConfError::Fatal(m) => m,
            })?;
        }
    }
    Ok(())
}

/// `access(path, X_OK)`: the file exists and has an execute bit.
fn is_executable(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// anetResolve: the first address for `host`, from the Compose project's
/// hosts file if the sentinel runs in one, else from the system.
fn resolve_host(host: &str) -> Option<String> {
    super::compose::hosts::resolve(host)
        .ok()
        .map(|ip| ip.to_string())
}

/// Run a sentinel until it shuts down; returns the exit code.
pub fn run_sentinel(args: &[String]) -> i32 {
    super::crash_report::install();
    let Some(path) = args.first().filter(|a| !a.starts_with("--")).cloned() else {
        eprintln!("Sentinel needs config file on disk to save state. Exiting...");
        return 1;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("Fatal error, can't open config file '{path}': {e}");
            return 1;
        }
    };
    if let Err(e) = std::fs::OpenOptions::new().append(true).open(&path) {
        eprintln!("Sentinel config file {path} is not writable: {e}. Exiting...");
        return 1;
    }
    let mut config = default_server_config();
    let mut entries = Vec::new();
    // The file, then the command line options as more lines.
    let mut cl = String::new();
    for a in &args[1..] {
        if let Some(n) = a.strip_prefix("--") {
            if !cl.is_empty() {
                cl.push('\n');
            }
            cl.push_str(n);
        } else {
            cl.push_str(" \"");
            cl.push_str(&a.replace('\\', "\\\\").replace('"', "\\\""));
            cl.push('"');
        }
    }
    for t in [&text, &cl] {
        if let Err(e) = parse_file(&mut config, t, &mut entries) {
            eprintln!("{e}");
            return 1;
        }
    }
    let config_path = std::fs::canonicalize(&path)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or(path.clone());
    // As Redis, `dir` is the working directory from then on: the log file
    // and script paths are relative to it.
    let dir = config.get(Key::DIR).to_string();
    if let Err(e) = std::env::set_current_dir(&dir) {
        eprintln!("Can't chdir to '{dir}': {e}");
        return 1;
    }
    let now = host::now_ms();
    let mut state = SentinelState::new(now);
    state.script_executable = is_executable;
    state.resolve_host = crate::node::Resolver::new(resolve_host);
    if let Err(e) = load(&mut state, &entries, now) {
        eprintln!("{e}");
        return 1;
    }
    state.config_path = Some(config_path);
    state.config_text = text;

    let port = config.get_i64(Key::PORT).clamp(0, 65535) as u16;
    let logfile = config.get(Key::LOGFILE).to_string();
    let mut logger = host::Logger {
        role_char: 'X',
        min: LogLevel::parse(config.get(Key::LOGLEVEL)).unwrap_or(LogLevel::Notice),
        file: if logfile.is_empty() {
            None
        } else {
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&logfile)
            {
                Ok(f) => Some(f),
                Err(e) => {
                    eprintln!("Can't open the log file: {e}");
                    return 1;
                }
            }
        },
    };
    let Some(listeners) = super::bind_all(&config, port, &mut logger) else {
        return 1;
    };
    let pid = std::process::id();
    super::log_starting(&mut logger, pid, "");
    logger.write(LogLevel::Warning, "Configuration loaded");
    super::log_running_mode(&mut logger, &config, "sentinel", port);
    let seed = now ^ ((pid as u64) << 32);
    let mut node = Sentinel::new(config, state, now, seed);
    node.server.st.host = super::process::host_facts();
    node.server.st.refresh_proc_title();
    let (code, _logger) = host::run(Box::new(node), listeners, None, logger);
    code
}
