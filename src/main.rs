//! `sentinel-lab`: run a server (and later a sentinel, the demo cluster, the web UI).

use std::path::Path;

fn usage() -> ! {
    eprintln!(
        "Usage: sentinel-lab server [/path/to/redis.conf] [--directive value ...]\n\
         \n\
         Invoked as `redis-server` (through a link) it behaves as `sentinel-lab server`."
    );
    std::process::exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prog = Path::new(&args[0])
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let code = if prog.starts_with("redis-sentinel") {
        sentinel_lab::native::run_sentinel(&args[1..])
    } else if prog.starts_with("redis-server") {
        sentinel_lab::native::run_server(&args[1..])
    } else {
        match args.get(1).map(|s| s.as_str()) {
            Some("server") => sentinel_lab::native::run_server(&args[2..]),
            Some("sentinel") => sentinel_lab::native::run_sentinel(&args[2..]),
            _ => usage(),
        }
    };
    std::process::exit(code);
}
