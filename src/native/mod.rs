//! The native host: command line, config files, TCP listeners (not in wasm builds).
//!
//! `run_server` is what `sentinel-lab server ...` and a `redis-server` link run:
//! it reads the config like redis-server 7.0 (file, then `--directive value`
//! options), logs in Redis's format to stdout or `logfile`, writes `pidfile`,
//! binds the listeners (every address by default, as 7.0), and hands everything to the
//! tokio host in [`host`].

use os_error::strerror;

pub mod alloc;
pub mod aof_files;
pub mod blocking_exchange;
pub mod busy_io;
pub mod check_aof;
pub mod children;
pub mod compose;
pub mod conf;
pub mod crash_report;
pub mod demo;
pub mod host;
pub mod insist;
pub mod listeners;
pub mod oom_score;
pub mod os_error;
pub mod output_backlog;
pub mod proc_title;
pub mod process;
pub mod scripts;
pub mod sentinel_main;
pub mod sleep_cost;
pub mod socket;
pub mod watchdog;
pub mod web;

pub use sentinel_main::run_sentinel;

use crate::node::LogLevel;
use crate::server::config::Key;
use crate::server::loading::LoadPurpose;
use crate::server::Server;
use std::net::TcpListener;

/// The Redis version we are compatible with (what `-v` and the logs print).
pub use crate::REDIS_VERSION;

/// `redis-server -v` in Redis's shape, so tools that parse `v=` keep working.
pub fn redis_version_line() -> String {
    format!(
        "Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=sentinel-lab-{}",
        env!("CARGO_PKG_VERSION")
    )
}

/// The ASCII logo of Redis 7.0.15 (asciilogo.h), filled by [`log_running_mode`].
const ASCII_LOGO: &str = concat!(
    "                _._                                                  \n",
    "           _.-``__ ''-._                                             \n",
    "      _.-``    `.  `_.  ''-._           Redis {version} (00000000/0) 64 bit\n",
    "  .-`` .-```.  ```\\/    _.,_ ''-._                                  \n",
    " (    '      ,       .-`  | `,    )     Running in {mode} mode\n",
    " |`-._`-...-` __...-.``-._|'` _.-'|     Port: {port}\n",
    " |    `-._   `._    /     _.-'    |     PID: {pid}\n",
    "  `-._    `-._  `-./  _.-'    _.-'                                   \n",
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
    " |    `-._`-._        _.-'_.-'    |           https://redis.io       \n",
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
    " |`-._`-._    `-.__.-'    _.-'_.-'|                                  \n",
    " |    `-._`-._        _.-'_.-'    |                                  \n",
    "  `-._    `-._`-.__.-'_.-'    _.-'                                   \n",
    "      `-._    `-.__.-'    _.-'                                       \n",
    "          `-._        _.-'                                           \n",
    "              `-.__.-'                                               \n\n",
);

/// redisAsciiArt: the logo when the log goes to a terminal or
/// `always-show-logo` is set (test harnesses wait for its `PID:` line),
/// otherwise one `Running mode=` line.
fn log_running_mode(
    logger: &mut host::Logger,
    config: &crate::server::Config,
    mode: &str,
    port: u16,
) {
    use std::io::IsTerminal;
    let to_terminal = config.get(Key::LOGFILE).is_empty()
        && !config.get_bool(Key::SYSLOG_ENABLED)
        && std::io::stdout().is_terminal();
    if !(to_terminal || config.get_bool(Key::ALWAYS_SHOW_LOGO)) {
        logger.write(
            LogLevel::Notice,
            &format!("Running mode={mode}, port={port}."),
        );
        return;
    }
    if LogLevel::Notice >= logger.min {
        let logo = ASCII_LOGO
            .replace("{version}", REDIS_VERSION)
            .replace("{mode}", mode)
            .replace("{port}", &port.to_string())
            .replace("{pid}", &std::process::id().to_string());
        logger.raw(&logo);
    }
}

/// Redis's first two log lines; `build` follows "just started".
fn log_starting(logger: &mut host::Logger, pid: u32, build: &str) {
    logger.write(
        LogLevel::Warning,
        "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
    );
    logger.write(
        LogLevel::Warning,
        &format!(
            "Redis version={REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid={pid}, just started{build}"
        ),
    );
}

pub fn server_usage(prog: &str) -> String {
    format!(
        "Usage: {prog} [/path/to/redis.conf] [options] [-]\n       \
         {prog} - (read config from stdin)\n       \
         {prog} -v or --version\n       \
         {prog} -h or --help\n\n\
         Examples:\n       \
         {prog} (run the server with default conf)\n       \
         {prog} /etc/redis/6379.conf\n       \
         {prog} --port 7777\n       \
         {prog} --port 7777 --replicaof 127.0.0.1 8888\n       \
         {prog} /etc/myredis.conf --loglevel verbose -\n       \
         {prog} /etc/myredis.conf --loglevel verbose\n"
    )
}

/// `redis-server [redis.conf] [--directive value ...]`; returns the exit code.
/// `prog` is how the usage text names the program.
pub fn run_server(prog: &str, args: &[String]) -> i32 {
    // `redis-server sentinel.conf --sentinel` runs a sentinel, as Redis does.
    if args.iter().any(|a| a == "--sentinel") {
        let rest: Vec<String> = args
            .iter()
            .filter(|a| *a != "--sentinel")
            .cloned()
            .collect();
        return run_sentinel(&rest);
    }
    match args.first().map(|s| s.as_str()) {
        Some("-v") | Some("--version") if args.len() == 1 => {
            println!("{}", redis_version_line());
            return 0;
        }
        Some("-h") | Some("--help") if args.len() == 1 => {
            print!("{}", server_usage(prog));
            return 0;
        }
        _ => {}
    }
    crash_report::install();
    let mut logger = host::Logger::stdout('C', LogLevel::Notice);
    let mut config = match conf::load_server_config(args) {
        Ok(c) => c,
        Err(conf::ConfError::Log(msg)) => {
            logger.write(LogLevel::Warning, &msg);
            return 1;
        }
        Err(conf::ConfError::Fatal(text)) => {
            eprint!("{text}");
            return 1;
        }
    };
    logger.min = LogLevel::parse(config.get(Key::LOGLEVEL)).unwrap_or(LogLevel::Notice);
    let logfile = config.get(Key::LOGFILE).to_string();
    if !logfile.is_empty() {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&logfile)
        {
            Ok(f) => logger.file = Some(f),
            Err(e) => {
                eprintln!("Can't open the log file: {}", e.kind());
                return 1;
            }
        }
    }
    let pid = std::process::id();
    let build = format!(" (sentinel-lab {})", env!("CARGO_PKG_VERSION"));
    log_starting(&mut logger, pid, &build);
    if args.is_empty() {
        logger.write(LogLevel::Warning, &format!("Warning: no config file specified, using the default config. In order to specify a config file use {prog} /path/to/redis.conf"));
    } else {
        logger.write(LogLevel::Warning, "Configuration loaded");
    }
    if config.get_bool(Key::DAEMONIZE) {
        logger.write(
            LogLevel::Warning,
            "daemonize yes is not supported by sentinel-lab: running in the foreground",
        );
    }
    logger.role_char = 'M';
    let port = config.get_i64(Key::PORT).clamp(0, 65535) as u16;
    let listeners = match bind_all(&config, port, &mut logger) {
        Some(l) => l,
        None => return 1,
    };
    let unixsocket = config.get(Key::UNIXSOCKET).to_string();
    let unix = if unixsocket.is_empty() {
        None
    } else {
        let perm = u32::from_str_radix(config.get(Key::UNIXSOCKETPERM), 8).unwrap_or(0);
        match self::socket::bind_unix(&unixsocket, perm) {
            Ok(l) => Some((l, unixsocket.clone())),
            Err(e) => {
                let msg = format!("Failed opening Unix socket: {}", strerror(&e));
                logger.write(LogLevel::Warning, &msg);
                return 1;
            }
        }
    };
    log_running_mode(&mut logger, &config, "standalone", port);
    logger.write(LogLevel::Warning, "Server initialized");
    let pidfile = config.get(Key::PIDFILE).to_string();
    if !pidfile.is_empty() {
        if let Err(e) = std::fs::write(&pidfile, format!("{pid}\n")) {
            logger.write(
                LogLevel::Warning,
                &format!("Failed to write PID file: {}", e.kind()),
            );
        }
    }
    let now = host::now_ms();
    let seed = now ^ ((pid as u64) << 32);
    // Like Redis, `dir` is the working directory: dump.rdb is read and written there.
    let dir = config.get(Key::DIR).to_string();
    if let Err(e) = std::env::set_current_dir(&dir) {
        logger.write(LogLevel::Warning, &format!("Can't chdir to '{dir}': {e}"));
        return 1;
    }
    // CONFIG GET dir answers getcwd(): the directory, made absolute.
    if let Ok(cwd) = std::env::current_dir() {
        let _ = config.set(Key::DIR, &[cwd.to_string_lossy().into_owned()]);
    }
    let dbfile = config.get(Key::DBFILENAME).to_string();
    let aof_on = config.get_bool(Key::APPENDONLY);
    let mut server = Server::new(config, now, seed);
    server.st.repl.pid = pid;
    server.st.host = process::host_facts();
    server.st.refresh_proc_title();
    if let Err(e) = server.st.apply_oom_score() {
        logger.write(LogLevel::Warning, &e);
    }
    server.st.apply_watchdog_period();
    // The host writes background saves on a thread of their own and says
    // when each file is in place.
    server.confirm_persist();
    // And runs a stand-in child process for each background job.
    server.host_forks();
    let aclfile = server.st.config.get(Key::ACLFILE).to_string();
    if !aclfile.is_empty() && !server.st.config.users.is_empty() {
        logger.write(LogLevel::Warning, "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.");
        return 1;
    }
    if !aclfile.is_empty() {
        let acl = std::fs::read_to_string(&aclfile)
            .map_err(|e| {
                format!(
                    "Error loading ACLs, opening file '{aclfile}': {}",
                    strerror(&e)
                )
            })
            .and_then(|text| server.load_acl_file(&text));
        if let Err(e) = acl {
            logger.write(
                LogLevel::Warning,
                &format!("Aborting Redis startup because of ACL errors: {e}"),
            );
            return 1;
        }
    }
    // loadDataFromDisk: with appendonly yes the AOF is the dataset, and
    // dump.rdb is not read. An RDB file loads while the node serves
    // (-LOADING); the node says "Ready to accept connections" after it.
    let mut ready_line = true;
    let loaded = if aof_on {
        server.load_aof(&mut |p| self::aof_files::read(p))
    } else {
        if let Ok(bytes) = std::fs::read(&dbfile) {
            server.start_rdb_load(bytes, LoadPurpose::Startup { ready_line: true });
            ready_line = false;
        }
        Ok(())
    };
    let mut files = self::aof_files::AofFiles::inline();
    while let Some(out) = crate::node::Node::poll_output(&mut server) {
        match out {
            crate::node::Output::Event(crate::node::Event::Persist { file, bytes }) => {
                let hold = crate::node::SaveHold::default();
                if let Err(crate::node::SaveFailure::Failed(e)) =
                    host::persist_now(&file, &bytes, hold)
                {
                    logger.write(LogLevel::Warning, &e);
                    return 1;
                }
            }
            crate::node::Output::Event(crate::node::Event::AofFile(op)) => {
                if let Err(e) = files.apply(op) {
                    logger.write(LogLevel::Warning, &e);
                    return 1;
                }
            }
            crate::node::Output::Event(crate::node::Event::Log { level, message }) => {
                logger.write(level, &message)
            }
            crate::node::Output::Event(crate::node::Event::RoleChanged { role }) => {
                logger.role_char = role.mark();
            }
            _ => {}
        }
    }
    if loaded.is_err() {
        return 1;
    }
    if ready_line {
        logger.write(LogLevel::Notice, "Ready to accept connections");
    }
    if unix.is_some() {
        let msg = format!("The server is now ready to accept connections at {unixsocket}");
        logger.write(LogLevel::Notice, &msg);
    }
    let (code, mut logger) = host::run(Box::new(server), listeners, unix, logger);
    if !pidfile.is_empty() {
        logger.write(LogLevel::Notice, "Removing the pid file.");
        let _ = std::fs::remove_file(&pidfile);
    }
    if !unixsocket.is_empty() {
        logger.write(LogLevel::Notice, "Removing the unix socket file.");
        if let Err(e) = std::fs::remove_file(&unixsocket) {
            let msg = format!("Error removing the unix socket file: {}", strerror(&e));
            logger.write(LogLevel::Warning, &msg);
        }
    }
    // The node's SHUTDOWN logged "Redis is now ready to exit, bye bye...".
    code
}

/// Bind every address of `bind`; a `-` prefix makes an address optional.
/// With `port 0` nothing listens on TCP, as in Redis.
pub(crate) fn bind_all(
    config: &crate::server::Config,
    port: u16,
    logger: &mut host::Logger,
) -> Option<Vec<TcpListener>> {
    let backlog = config.get_i64(Key::TCP_BACKLOG).clamp(1, i32::MAX as i64) as i32;
    listeners::bound_to(config.get(Key::BIND), port, backlog);
    match bind_addresses(config.get(Key::BIND), port, backlog) {
        Ok(listeners) => Some(listeners),
        Err(failure) => {
            if let Some((name, e)) = failure {
                logger.write(
                    LogLevel::Warning,
                    &format!(
                        "Warning: Could not create server TCP listening socket {name}:{port}: bind: {}",
                        strerror(&e)
                    ),
                );
            }
            logger.write(
                LogLevel::Warning,
                &format!("Failed listening on port {port} (TCP), aborting."),
            );
            None
        }
    }
}

/// The listeners of `bind` (space-separated; `-` makes one optional, `*`
/// and `::*` are every address) on `port`, none with port 0; the address
/// that failed and why, or `None` if no address could be bound at all.
pub(crate) fn bind_addresses(
    bind: &str,
    port: u16,
    backlog: i32,
) -> Result<Vec<TcpListener>, Option<(String, std::io::Error)>> {
    let mut listeners = Vec::new();
    // Port 0, or no address at all (`bind ""`): no TCP listener, as 7.0.
    if port == 0 || bind.trim().is_empty() {
        return Ok(listeners);
    }
    for b in bind.split_whitespace() {
        let optional = b.starts_with('-');
        let name = b.trim_start_matches('-');
        let host = match name {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        match listen_on(host, port, backlog) {
            Ok(l) => listeners.push(l),
            Err(_) if optional => {}
            Err(e) => return Err(Some((name.to_string(), e))),
        }
    }
    if listeners.is_empty() {
        return Err(None);
    }
    Ok(listeners)
}

/// One listening socket as 7.0's anetTcpServer makes it: SO_REUSEADDR, an
/// IPv6 socket for IPv6 only (the IPv4 addresses have their own), and
/// `tcp-backlog` pending connections.
fn listen_on(host: &str, port: u16, backlog: i32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let ip: std::net::IpAddr = match host.parse() {
        Ok(ip) => ip,
        Err(_) => std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?
            .next()
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::AddrNotAvailable))?
            .ip(),
    };
    let addr = std::net::SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}
