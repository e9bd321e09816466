//! `sentinel-lab`: run a server (and later a sentinel, the demo cluster, the web UI).
//!
//! The top level is a clap CLI; `server` keeps redis-server's raw argument
//! syntax (`[redis.conf] [--directive value ...]`), which clap passes through
//! untouched. Invoked through a link named `redis-server`, the binary behaves
//! as `sentinel-lab server`.

use clap::{Parser, Subcommand};
use std::path::Path;

#[derive(Parser)]
#[command(
    name = "sentinel-lab",
    version = concat!(env!("CARGO_PKG_VERSION"), " (Redis 7.0.15 compatible)"),
    about = "A Redis-compatible server, replication and Sentinel: one sans-IO core, hosted natively, in wasm and in a simulator",
    disable_version_flag = true,
    arg_required_else_help = true
)]
struct Cli {
    /// Print version
    #[arg(short = 'v', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Redis-compatible server: `server [/path/to/redis.conf] [--directive value ...]`
    /// (the same arguments as redis-server 7.0; `server --help` shows them)
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Server {
        /// Config file and `--directive value` options, as for redis-server
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Run a Sentinel: `sentinel /path/to/sentinel.conf [--directive value ...]`
    #[command(disable_help_flag = true)]
    Sentinel {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// (planned) Start the tutorial's topology on localhost: one master, two replicas, three sentinels
    Demo,
    /// (planned) Serve the web UI (the wasm build) on a local port
    Web,
}

fn not_yet(what: &str) -> i32 {
    eprintln!("sentinel-lab {what}: not implemented yet (planned; see README.md)");
    2
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prog = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if prog.starts_with("redis-sentinel") {
        std::process::exit(sentinel_lab::native::run_sentinel(&args[1..]));
    }
    if prog.starts_with("redis-server") {
        let code = sentinel_lab::native::run_server(&args[0], &args[1..]);
        std::process::exit(code);
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Server { args } => sentinel_lab::native::run_server("sentinel-lab server", &args),
        Command::Sentinel { args } => sentinel_lab::native::run_sentinel(&args),
        Command::Demo => not_yet("demo"),
        Command::Web => not_yet("web"),
    };
    std::process::exit(code);
}
