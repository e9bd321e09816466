//! What an image's entrypoint makes of its environment: the config it writes,
//! the lines it logs before the server starts, and when it refuses to start.
//!
//! bitnami/redis and bitnami/redis-sentinel as their READMEs and scripts
//! document them; the official `redis` image (and redis-stack-server-like
//! images) run their `command:`.
//!
//! Facts from bitnami's scripts (`redis-env.sh`, `libredis.sh`,
//! `redis-sentinel-env.sh`, `libredissentinel.sh`, `libbitnami.sh`,
//! `liblog.sh`) and the official image's `docker-entrypoint.sh`:
//!
//! - bitnami/redis writes its variables over Redis's redis.conf and runs
//!   `redis-server redis.conf --daemonize no $REDIS_EXTRA_FLAGS`. Without
//!   `REDIS_PASSWORD` it refuses to start unless `ALLOW_EMPTY_PASSWORD=yes`
//!   (a replica also wants `REDIS_MASTER_PASSWORD`). A replica waits for
//!   its master's port before starting, and every replicated node announces
//!   its own container address (`replica-announce-ip`).
//! - bitnami/redis-sentinel writes `sentinel monitor <set> <host> ...` with
//!   the host as given. Its 6.0 and older tags run Redis 6.0's sentinel,
//!   which resolved that name to an address while loading the file; from
//!   6.2 the image also writes `sentinel resolve-hostnames` (default yes)
//!   and the name stays a name. Its password becomes the sentinel's
//!   `requirepass`, which Redis also uses towards the other sentinels when
//!   `sentinel sentinel-pass` is unset, so the image writes no sentinel-pass.
//! - The official image runs its command; `redis-server` gets
//!   `--protected-mode no` unless a given config file sets protected-mode.

use super::plan::NodeKind;
use crate::server::config::args::parse_args;
use crate::server::config::lines::{conf_lines, repr};

/// Where a banner line's time goes; [`stamp`] fills it in.
pub const TIME: &str = "{time}";

/// The images we know, for messages.
pub const KNOWN_IMAGES: &str =
    "bitnami/redis, bitnami/redis-sentinel, redis, redis/redis-stack-server";

/// A config file named on the command line (`redis-server /etc/redis.conf`):
/// the host reads it through the service's mounts, then appends the
/// command line's options (see [`with_file`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigFile {
    /// The path inside the container.
    pub path: String,
    /// The official image adds `--protected-mode no` unless the file sets protected-mode.
    pub protected_mode_no: bool,
}

/// What an image's entrypoint does with a service's environment and command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entrypoint {
    pub kind: NodeKind,
    pub port: u16,
    /// The config text (with a config file: what follows the file's text).
    pub config: String,
    pub config_file: Option<ConfigFile>,
    pub data_dir: String,
    pub banner: Vec<String>,
    pub refusal: Option<Vec<String>>,
    /// Host names in `sentinel monitor` lines become addresses when the node starts.
    pub resolve_at_start: bool,
    /// The entrypoint waits until this `host:port` accepts connections before starting.
    pub wait_for: Option<(String, u16)>,
}

/// `bitnami/redis:6.0` → ("bitnami/redis", "6.0"): registry and `library/`
/// prefixes and digests dropped, no tag is `latest`.
pub fn image_name(image: &str) -> (String, String) {
    let image = image.split('@').next().unwrap_or(image);
    let (repo, tag) = match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (image, "latest"),
    };
    let mut repo = repo;
    for prefix in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] {
        repo = repo.strip_prefix(prefix).unwrap_or(repo);
    }
    let repo = repo.strip_prefix("library/").unwrap_or(repo);
    (repo.to_string(), tag.to_string())
}

/// `(major, minor)` of a tag such as `6.0`, `7.0.15-debian-11-r3`; `latest`
/// and anything else count as newer than every numbered tag.
fn tag_version(tag: &str) -> (u32, u32) {
    let mut parts = tag.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().and_then(|p| p.parse().ok());
    let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    match major {
        Some(major) => (major, minor),
        None => (u32::MAX, 0),
    }
}

/// What `image` does with `env`, `command` and its own address `ip`.
pub fn entrypoint(
    image: &str,
    env: &[(String, String)],
    command: Option<&[String]>,
    ip: &str,
) -> Result<Entrypoint, String> {
    let (repo, tag) = image_name(image);
    let env = Env(env);
    match repo.as_str() {
        "bitnami/redis" => bitnami_redis(&tag, &env, command, ip),
        "bitnami/redis-sentinel" => bitnami_sentinel(&tag, &env, command),
        "redis" => official(command.map(<[String]>::to_vec), None),
        "redis/redis-stack-server" => match command {
            Some(c) => official(Some(c.to_vec()), None),
            // Its entrypoint starts redis-server with these, then $REDIS_ARGS
            // (and modules, which this server does not load).
            None => {
                let mut args: Vec<String> = ["redis-stack-server"].map(String::from).to_vec();
                args.extend(env.get("REDIS_ARGS").split_whitespace().map(String::from));
                official(
                    Some(args),
                    Some("dir /data\nprotected-mode no\ndaemonize no"),
                )
            }
        },
        _ => Err(format!("unknown image {image:?} (known: {KNOWN_IMAGES})")),
    }
}

/// A service's environment as bash sees it: unset and empty are alike
/// (`${VAR:-default}`).
struct Env<'a>(&'a [(String, String)]);

impl Env<'_> {
    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    fn or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        match self.get(key) {
            "" => default,
            v => v,
        }
    }

    /// bitnami's `is_boolean_yes`: 1, yes or true, any case.
    fn yes(&self, key: &str, default: &str) -> bool {
        let v = self.or(key, default).to_ascii_lowercase();
        v == "1" || v == "yes" || v == "true"
    }

    fn port(&self, key: &str, default: &str) -> Result<u16, String> {
        let v = self.or(key, default);
        match v.parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err(format!("{key}={v:?} is not a port number (1 to 65535)")),
        }
    }

    /// Variables that need something this host does not have.
    fn refuse(&self, keys: &[(&str, &str)]) -> Result<(), String> {
        for (key, why) in keys {
            let set = if key.ends_with("TLS_ENABLED") {
                self.yes(key, "no")
            } else {
                !self.get(key).is_empty()
            };
            if set {
                return Err(format!("{key} is not supported ({why})"));
            }
        }
        Ok(())
    }
}

/// A config line: the directive and its value, quoted when Redis would need it.
fn line(out: &mut String, directive: &str, value: &str) {
    out.push_str(directive);
    out.push(' ');
    let simple = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\'));
    if simple {
        out.push_str(value);
    } else {
        out.push_str(&repr(value));
    }
    out.push('\n');
}

/// bitnami's log line: `redis 12:00:00.00 INFO  ==> text` (colours left out;
/// an empty level is the welcome page's bare `log`).
fn log(module: &str, level: &str, text: &str) -> String {
    match level {
        "" => format!("{module} {TIME} {text}"),
        _ => format!("{module} {TIME} {level:<5} ==> {text}"),
    }
}

/// The welcome page bitnami's images print first (`print_welcome_page`).
fn welcome(module: &str, tag: &str) -> Vec<String> {
    if tag_version(tag) < (7, 0) {
        // Images of the 6.x era: bare log lines, one repository per image.
        let url = format!("https://github.com/bitnami/bitnami-docker-{module}");
        vec![
            log(module, "", ""),
            log(
                module,
                "",
                &format!("Welcome to the Bitnami {module} container"),
            ),
            log(
                module,
                "",
                &format!("Subscribe to project updates by watching {url}"),
            ),
            log(
                module,
                "",
                &format!("Submit issues and feature requests at {url}/issues"),
            ),
            log(module, "", ""),
        ]
    } else {
        let url = "https://github.com/bitnami/containers";
        vec![
            log(module, "INFO", ""),
            log(
                module,
                "INFO",
                &format!("Welcome to the Bitnami {module} container"),
            ),
            log(
                module,
                "INFO",
                &format!("Subscribe to project updates by watching {url}"),
            ),
            log(
                module,
                "INFO",
                &format!("Submit issues and feature requests at {url}/issues"),
            ),
            log(module, "INFO", ""),
        ]
    }
}

/// The extra arguments of a bitnami image's `command:` (`run.sh --maxmemory 1mb`).
fn bitnami_command(repo: &str, command: Option<&[String]>) -> Result<Vec<String>, String> {
    let run = format!("/opt/bitnami/scripts/{repo}/run.sh");
    match command {
        None => Ok(Vec::new()),
        Some([first, rest @ ..]) if *first == run || first.ends_with("/run.sh") => {
            Ok(rest.to_vec())
        }
        Some(c) => Err(format!(
            "command {:?}: bitnami/{repo} is run through its entrypoint here ({run} [flags])",
            c.join(" ")
        )),
    }
}

fn bitnami_redis(
    tag: &str,
    env: &Env,
    command: Option<&[String]>,
    ip: &str,
) -> Result<Entrypoint, String> {
    env.refuse(&[
        ("REDIS_TLS_ENABLED", "no TLS here"),
        (
            "REDIS_SENTINEL_HOST",
            "asking a sentinel for the master at start",
        ),
        ("REDIS_ACLFILE", "no ACL files here"),
    ])?;
    let extra = bitnami_command("redis", command)?;
    let m = "redis";
    let mut banner = welcome(m, tag);
    banner.push(log(m, "INFO", "** Starting Redis setup **"));

    // redis_validate: warnings and errors in the order it prints them.
    let mut checks = Vec::new();
    let mut failed = false;
    let empty_password = |var: &str| {
        format!(
            "The {var} environment variable is empty or not set. Set the environment variable \
             ALLOW_EMPTY_PASSWORD=yes to allow the container to be started with blank passwords. \
             This is recommended only for development."
        )
    };
    let allow_empty = env.yes("ALLOW_EMPTY_PASSWORD", "no");
    if allow_empty {
        checks.push(log(m, "WARN", &format!(
            "You set the environment variable ALLOW_EMPTY_PASSWORD={}. For safety reasons, do not use this flag in a production environment.",
            env.get("ALLOW_EMPTY_PASSWORD")
        )));
    } else if env.get("REDIS_PASSWORD").is_empty() {
        checks.push(log(m, "ERROR", &empty_password("REDIS_PASSWORD")));
        failed = true;
    }
    let mode = env.get("REDIS_REPLICATION_MODE");
    let replica = mode == "slave" || mode == "replica";
    let master_port = env.port("REDIS_MASTER_PORT_NUMBER", "6379")?;
    if replica {
        if !allow_empty && env.get("REDIS_MASTER_PASSWORD").is_empty() {
            checks.push(log(m, "ERROR", &empty_password("REDIS_MASTER_PASSWORD")));
            failed = true;
        }
    } else if !mode.is_empty() && mode != "master" {
        checks.push(log(
            m,
            "ERROR",
            "Invalid replication mode. Available options are 'master/replica'",
        ));
        failed = true;
    }
    let port = env.port("REDIS_PORT_NUMBER", "6379")?;
    let data_dir = env.or("REDIS_DATA_DIR", "/bitnami/redis/data").to_string();
    if failed {
        return Ok(Entrypoint {
            kind: NodeKind::Server,
            port,
            config: String::new(),
            config_file: None,
            data_dir,
            banner,
            refusal: Some(checks),
            resolve_at_start: false,
            wait_for: None,
        });
    }

    banner.extend(checks);
    // redis_configure_default, over Redis's own redis.conf (postunpack set dir and pidfile).
    banner.push(log(m, "INFO", "Initializing Redis"));
    banner.push(log(m, "INFO", "Setting Redis config file"));
    let mut c = String::new();
    if allow_empty {
        // What bitnami's images write since Redis 7.0 made protected mode
        // apply whatever `bind` says; this server is 7.0.
        line(&mut c, "protected-mode", "no");
    }
    if env.yes("REDIS_ALLOW_REMOTE_CONNECTIONS", "yes") {
        c.push_str("bind 0.0.0.0 ::\n");
    }
    line(&mut c, "appendonly", env.or("REDIS_AOF_ENABLED", "yes"));
    line(&mut c, "port", &port.to_string());
    line(&mut c, "dir", &data_dir);
    line(&mut c, "pidfile", "/opt/bitnami/redis/tmp/redis.pid");
    if !env.get("REDIS_PASSWORD").is_empty() {
        line(&mut c, "requirepass", env.get("REDIS_PASSWORD"));
    }
    for cmd in env
        .get("REDIS_DISABLE_COMMANDS")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
    {
        c.push_str(&format!("rename-command {cmd} \"\"\n"));
    }
    // redis_configure_replication.
    let mut wait_for = None;
    if !mode.is_empty() {
        banner.push(log(m, "INFO", "Configuring replication mode"));
        line(
            &mut c,
            "replica-announce-ip",
            env.or("REDIS_REPLICA_IP", ip),
        );
        line(
            &mut c,
            "replica-announce-port",
            env.or("REDIS_REPLICA_PORT", &master_port.to_string()),
        );
        if mode == "master" {
            if !env.get("REDIS_PASSWORD").is_empty() {
                line(&mut c, "masterauth", env.get("REDIS_PASSWORD"));
            }
        } else {
            let host = env.get("REDIS_MASTER_HOST");
            if host.is_empty() {
                return Err(
                    "REDIS_REPLICATION_MODE is a replica mode but REDIS_MASTER_HOST is not set"
                        .into(),
                );
            }
            wait_for = Some((host.to_string(), master_port));
            if !env.get("REDIS_MASTER_PASSWORD").is_empty() {
                line(&mut c, "masterauth", env.get("REDIS_MASTER_PASSWORD"));
            }
            c.push_str(&format!("replicaof {host} {master_port}\n"));
        }
    }
    banner.push(log(m, "INFO", "** Redis setup finished! **"));
    banner.push(String::new());
    banner.push(log(m, "INFO", "** Starting Redis **"));
    // run.sh: redis-server redis.conf --daemonize no $REDIS_EXTRA_FLAGS "$@".
    line(&mut c, "daemonize", "no");
    let mut args: Vec<String> = env
        .get("REDIS_EXTRA_FLAGS")
        .split_whitespace()
        .map(String::from)
        .collect();
    args.extend(extra);
    append_options(&mut c, &args);
    let port = port_in(&c, port);
    Ok(Entrypoint {
        kind: NodeKind::Server,
        port,
        config: c,
        config_file: None,
        data_dir,
        banner,
        refusal: None,
        resolve_at_start: false,
        wait_for,
    })
}

fn bitnami_sentinel(
    tag: &str,
    env: &Env,
    command: Option<&[String]>,
) -> Result<Entrypoint, String> {
    env.refuse(&[("REDIS_SENTINEL_TLS_ENABLED", "no TLS here")])?;
    let extra = bitnami_command("redis-sentinel", command)?;
    let m = "redis-sentinel";
    let version = tag_version(tag);
    let mut banner = welcome(m, tag);
    banner.push(log(m, "INFO", "** Starting Redis sentinel setup **"));

    let quorum = env.or("REDIS_SENTINEL_QUORUM", "2");
    let down_after = env.or("REDIS_SENTINEL_DOWN_AFTER_MILLISECONDS", "60000");
    let failover_timeout = env.or("REDIS_SENTINEL_FAILOVER_TIMEOUT", "180000");
    // is_positive_int: digits (an optional +), not zero; the size is the sentinel's to check.
    let positive = |v: &str| {
        let digits = v.strip_prefix('+').unwrap_or(v);
        !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && digits.bytes().any(|b| b != b'0')
    };
    let mut errors = Vec::new();
    for (value, what) in [
        (quorum, "quorum"),
        (down_after, "down-after-milliseconds"),
        (failover_timeout, "failover-timeout"),
    ] {
        if !positive(value) {
            errors.push(log(
                m,
                "ERROR",
                &format!("Invalid {what} value (only positive integers allowed)"),
            ));
        }
    }
    let port = env.port("REDIS_SENTINEL_PORT_NUMBER", "26379")?;
    let data_dir = "/bitnami/redis-sentinel/conf".to_string();
    if !errors.is_empty() {
        return Ok(Entrypoint {
            kind: NodeKind::Sentinel,
            port,
            config: String::new(),
            config_file: None,
            data_dir,
            banner,
            refusal: Some(errors),
            resolve_at_start: false,
            wait_for: None,
        });
    }
    banner.push(log(m, "INFO", "Initializing Redis Sentinel..."));
    // A sentinel.conf already in /bitnami/redis-sentinel/conf would be used as
    // it is ("Persisted files detected, restoring..."); this is the first start.
    banner.push(log(m, "INFO", "Configuring Redis Sentinel..."));

    // The image's sentinel.conf defaults (postunpack), then redis_initialize.
    let set = env.or("REDIS_MASTER_SET", "mymaster");
    let mut c = String::new();
    line(&mut c, "port", &port.to_string());
    line(&mut c, "bind", "0.0.0.0");
    line(
        &mut c,
        "pidfile",
        "/opt/bitnami/redis-sentinel/tmp/redis-sentinel.pid",
    );
    line(&mut c, "daemonize", "no");
    line(&mut c, "logfile", "");
    if !env.get("REDIS_SENTINEL_PASSWORD").is_empty() {
        line(&mut c, "requirepass", env.get("REDIS_SENTINEL_PASSWORD"));
    }
    let host = env.or("REDIS_MASTER_HOST", "redis");
    let master_port = env.port("REDIS_MASTER_PORT_NUMBER", "6379")?;
    c.push_str(&format!(
        "sentinel monitor {set} {host} {master_port} {quorum}\n"
    ));
    c.push_str(&format!(
        "sentinel down-after-milliseconds {set} {down_after}\n"
    ));
    c.push_str(&format!(
        "sentinel failover-timeout {set} {failover_timeout}\n"
    ));
    c.push_str(&format!("sentinel parallel-syncs {set} 1\n"));
    if !env.get("REDIS_MASTER_PASSWORD").is_empty() {
        c.push_str(&format!(
            "sentinel auth-pass {set} {}\n",
            repr_if_needed(env.get("REDIS_MASTER_PASSWORD"))
        ));
    }
    if !env.get("REDIS_MASTER_USER").is_empty() {
        c.push_str(&format!(
            "sentinel auth-user {set} {}\n",
            repr_if_needed(env.get("REDIS_MASTER_USER"))
        ));
    }
    // Hostname support came with Redis 6.2's sentinel; the 6.0 image has none of these.
    let hostnames = version >= (6, 2);
    if hostnames {
        if !env.get("REDIS_SENTINEL_ANNOUNCE_IP").is_empty() {
            line(
                &mut c,
                "sentinel announce-ip",
                env.get("REDIS_SENTINEL_ANNOUNCE_IP"),
            );
        }
        if !env.get("REDIS_SENTINEL_ANNOUNCE_PORT").is_empty() {
            line(
                &mut c,
                "sentinel announce-port",
                env.get("REDIS_SENTINEL_ANNOUNCE_PORT"),
            );
        }
        line(
            &mut c,
            "sentinel resolve-hostnames",
            env.or("REDIS_SENTINEL_RESOLVE_HOSTNAMES", "yes"),
        );
        line(
            &mut c,
            "sentinel announce-hostnames",
            env.or("REDIS_SENTINEL_ANNOUNCE_HOSTNAMES", "no"),
        );
    }
    if version >= (7, 0) {
        c.push_str(&format!(
            "sentinel master-reboot-down-after-period {set} {}\n",
            env.or("REDIS_SENTINEL_MASTER_REBOOT_DOWN_AFTER_PERIOD", "0")
        ));
    }
    banner.push(log(m, "INFO", "** Redis sentinel setup finished! **"));
    banner.push(String::new());
    banner.push(log(m, "INFO", "** Starting Redis Sentinel **"));
    // run.sh: redis-sentinel sentinel.conf --daemonize no "$@" (daemonize is no already).
    append_options(&mut c, &extra);
    let port = port_in(&c, port);
    Ok(Entrypoint {
        kind: NodeKind::Sentinel,
        port,
        config: c,
        config_file: None,
        data_dir,
        banner,
        refusal: None,
        // Redis 6.0's sentinel turned the monitored host's name into an
        // address while loading its config; a 7.0 sentinel without
        // resolve-hostnames would refuse the name, so the host resolves it.
        resolve_at_start: !hostnames,
        wait_for: None,
    })
}

/// Command-line arguments after the config file, as redis-server appends them.
fn append_options(config: &mut String, args: &[String]) {
    if !args.is_empty() {
        for l in parse_args(args).options.lines() {
            config.push_str(l.trim_end());
            config.push('\n');
        }
    }
}

fn repr_if_needed(value: &str) -> String {
    let mut s = String::new();
    line(&mut s, "", value);
    s.trim_start().trim_end_matches('\n').to_string()
}

/// The official image: its `docker-entrypoint.sh`, then the command.
/// `preset` is config text an image's own entrypoint puts first.
fn official(command: Option<Vec<String>>, preset: Option<&str>) -> Result<Entrypoint, String> {
    let mut args = command.unwrap_or_else(|| vec!["redis-server".into()]);
    if args
        .first()
        .is_some_and(|a| a == "docker-entrypoint.sh" || a.ends_with("/docker-entrypoint.sh"))
    {
        args.remove(0);
    }
    // "first arg is `-f` or `--some-option` or `something.conf`"
    if args
        .first()
        .is_none_or(|a| a.starts_with('-') || a.ends_with(".conf"))
    {
        args.insert(0, "redis-server".into());
    }
    let program = args[0].rsplit('/').next().unwrap_or(&args[0]).to_string();
    let rest = &args[1..];
    let kind = match program.as_str() {
        "redis-sentinel" => NodeKind::Sentinel,
        "redis-server" | "redis-stack-server" if rest.iter().any(|a| a == "--sentinel") => {
            NodeKind::Sentinel
        }
        "redis-server" | "redis-stack-server" => NodeKind::Server,
        other => {
            return Err(format!(
                "command {:?}: only redis-server and redis-sentinel are run here, not {other:?}",
                args.join(" ")
            ))
        }
    };
    let parsed = parse_args(rest);
    let protected_mode_no = program == "redis-server";
    let mut config = String::new();
    if let Some(p) = preset {
        config.push_str(p);
        config.push('\n');
    }
    if protected_mode_no && parsed.config_file.is_none() {
        config.push_str("protected-mode no\n");
    }
    // `--sentinel` alone becomes a bare `sentinel` line, which Redis ignores.
    for l in parsed
        .options
        .lines()
        .map(str::trim_end)
        .filter(|l| *l != "sentinel")
    {
        config.push_str(l);
        config.push('\n');
    }
    if parsed.from_stdin {
        return Err("reading config from stdin (`-`) is not supported".into());
    }
    if kind == NodeKind::Sentinel && parsed.config_file.is_none() {
        // redis-server's own check: "Sentinel needs config file on disk to save state."
        return Err(
            "a sentinel needs a config file on disk to save its state, as Redis requires \
             (redis-sentinel /path/sentinel.conf, with the file mounted)"
                .into(),
        );
    }
    let default_port = if kind == NodeKind::Sentinel {
        26379
    } else {
        6379
    };
    Ok(Entrypoint {
        kind,
        port: port_in(&config, default_port),
        config,
        config_file: parsed.config_file.map(|path| ConfigFile {
            path,
            protected_mode_no,
        }),
        data_dir: "/data".into(),
        // The official entrypoint prints nothing of its own.
        banner: Vec::new(),
        refusal: None,
        resolve_at_start: false,
        wait_for: None,
    })
}

/// The last `port` directive in config text, or `default`.
pub fn port_in(config: &str, default: u16) -> u16 {
    conf_lines(config)
        .filter_map(Result::ok)
        .filter(|l| l.args.len() == 2 && l.args[0].eq_ignore_ascii_case("port"))
        .filter_map(|l| l.args[1].parse::<u16>().ok())
        .last()
        .unwrap_or(default)
}

/// The whole config of a service started with a config file: the file's
/// text, then (official image) `protected-mode no` unless the file sets
/// it, then the command line's options, as redis-server reads them.
pub fn with_file(file: &ConfigFile, file_text: &str, options: &str) -> String {
    let mut out = file_text.to_string();
    out.push('\n');
    let sets_protected_mode = file_text.lines().any(|l| l.starts_with("protected-mode"));
    if file.protected_mode_no && !sets_protected_mode {
        out.push_str("protected-mode no\n");
    }
    out.push_str(options);
    out
}

/// Banner lines with their time: `millis_of_day` as bitnami's `date +%T.%2N`.
pub fn stamp(lines: &[String], millis_of_day: u64) -> Vec<String> {
    let ms = millis_of_day % 86_400_000;
    let time = format!(
        "{:02}:{:02}:{:02}.{:02}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000 / 10
    );
    lines.iter().map(|l| l.replace(TIME, &time)).collect()
}
