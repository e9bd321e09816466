//! The native host: command line, config files, TCP listeners (not in wasm builds).

pub mod conf;
pub mod host;
pub mod sentinel_main;

pub use sentinel_main::run_sentinel;

use crate::server::Server;
use std::net::TcpListener;

/// `sentinel-lab server [redis.conf] [--directive value ...]`; returns the exit code.
pub fn run_server(args: &[String]) -> i32 {
    let config = match conf::load_server_config(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let port = config.get_i64("port") as u16;
    let binds: Vec<String> = config
        .get("bind")
        .split_whitespace()
        .map(|s| s.trim_start_matches('-').to_string())
        .collect();
    let mut listeners = Vec::new();
    for b in &binds {
        let host = if b == "*" { "0.0.0.0" } else { b.as_str() };
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        match TcpListener::bind(&addr) {
            Ok(l) => listeners.push(l),
            Err(e) if b.starts_with("::") || b.contains(':') => {
                // Optional IPv6 listeners (`-::*`) may be unavailable.
                let _ = e;
            }
            Err(e) => {
                eprintln!("# Warning: Could not create server TCP listening socket {addr}: {e}");
                return 1;
            }
        }
    }
    let logfile = config.get("logfile").to_string();
    let logger = host::Logger {
        role_char: 'M',
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
    let now = host::now_ms();
    let seed = now ^ (std::process::id() as u64) << 32;
    let mut server = Server::new(config, now, seed);
    server.st.log(
        crate::node::LogLevel::Notice,
        format!("Server initialized (sentinel-lab, Redis 7.0.15 compatible), port {port}"),
    );
    server
        .st
        .log(crate::node::LogLevel::Notice, "Ready to accept connections");
    host::run(Box::new(server), listeners, logger)
}
