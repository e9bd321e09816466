//! `sentinel-lab`: run a server, a sentinel, the demo cluster, a Compose file,
//! the web UI, or check an AOF (`check-aof`, also as a link named
//! `redis-check-aof`).
//!
//! The top level is a clap CLI; `server` keeps redis-server's raw argument
//! syntax (`[redis.conf] [--directive value ...]`), which clap passes through
//! untouched. Invoked through a link named `redis-server`, the binary behaves
//! as `sentinel-lab server`.

use clap::{Parser, Subcommand};
use sentinel_lab::native::alloc::CountingAlloc;

/// The system allocator, counted: INFO reports its figure (`native::alloc`).
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;
use std::path::Path;

#[derive(Parser)]
#[command(
    name = "sentinel-lab",
    version = concat!(
        env!("CARGO_PKG_VERSION"),
        " (Redis ",
        sentinel_lab::redis_version!(),
        " compatible)"
    ),
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
    /// Start the tutorial's topology on localhost (master 6379, replicas 6380-6381, sentinels 26379-26381) and the web UI
    #[command(disable_help_flag = true)]
    Demo {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Run a Compose file's services without Docker: `compose [-f FILE] [-p NAME] up [-d] | down [-v] | ps | logs [-f] | stop | start | kill | restart`
    #[command(disable_help_flag = true)]
    Compose {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Check an AOF as redis-check-aof does: `check-aof [--fix] <file.manifest|file.aof>`
    #[command(name = "check-aof", disable_help_flag = true)]
    CheckAof {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Serve the web UI (www/ and the wasm build in pkg/) on 127.0.0.1:8080
    #[command(disable_help_flag = true)]
    Web {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
}

fn main() {
    // A stand-in fork child of a server lives and dies here.
    sentinel_lab::native::children::run_if_child();
    CountingAlloc::mark_installed();
    let args: Vec<String> = std::env::args().collect();
    let prog = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if prog.starts_with("redis-sentinel") {
        std::process::exit(sentinel_lab::native::run_sentinel(&args[1..]));
    }
    if prog.starts_with("redis-check-aof") {
        let code = sentinel_lab::native::check_aof::run_check_aof(&args[0], &args[1..]);
        std::process::exit(code);
    }
    if prog.starts_with("redis-server") {
        let code = sentinel_lab::native::run_server(&args[0], &args[1..]);
        std::process::exit(code);
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Server { args } => sentinel_lab::native::run_server("sentinel-lab server", &args),
        Command::Sentinel { args } => sentinel_lab::native::run_sentinel(&args),
        Command::Demo { args } => sentinel_lab::native::demo::run_demo(&args),
        Command::Compose { args } => sentinel_lab::native::compose::run_compose(&args),
        Command::Web { args } => sentinel_lab::native::web::run_web(&args),
        Command::CheckAof { args } => {
            sentinel_lab::native::check_aof::run_check_aof("sentinel-lab check-aof", &args)
        }
    };
    std::process::exit(code);
}
