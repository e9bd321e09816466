//! Server configuration: the directives of redis.conf, CONFIG GET/SET/REWRITE, defaults.
//!
//! Values are kept as the text CONFIG GET prints; each directive has a kind that
//! validates and normalises what is set (memory units to bytes, yes/no, enums).
//! The table lists every directive Redis 7.0.15 prints for `CONFIG GET *`, in the
//! order it prints them, with the same limits, aliases and (im)mutability.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Bytes, accepting units like `1mb`, `64k`; stored as the byte count.
    Memory {
        min: i64,
        max: i64,
    },
    Str,
    Enum(&'static [&'static str]),
    /// Space separated list kept as is (e.g. `bind`).
    List,
    /// `save`: pairs of `<seconds> <changes>`, or empty.
    Save,
    /// `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>` groups.
    ClientOutputBufferLimit,
    /// `notify-keyspace-events`: flag characters.
    KeyspaceEvents,
}

/// Only settable at startup (config file / command line).
pub const IMMUTABLE: u8 = 1;
/// Settable at runtime only with `enable-protected-configs`.
pub const PROTECTED: u8 = 2;

#[derive(Debug)]
pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    /// Only settable at startup (config file / command line).
    pub immutable: bool,
    /// CONFIG SET refuses it unless `enable-protected-configs` allows.
    pub protected: bool,
}

const fn dir_(
    name: &'static str,
    alias: Option<&'static str>,
    kind: Kind,
    default: &'static str,
    flags: u8,
) -> Directive {
    Directive {
        name,
        alias,
        kind,
        default,
        immutable: flags & IMMUTABLE != 0,
        protected: flags & PROTECTED != 0,
    }
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const U: Kind = Kind::Int {
    min: 0,
    max: INT_MAX,
};
const B: Kind = Kind::Bool;
const S: Kind = Kind::Str;
const LOGLEVEL: &[&str] = &["debug", "verbose", "notice", "warning"];
const MAXMEMORY_POLICY: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const PROTECTED_ENUM: &[&str] = &["no", "yes", "local"];
const SHUTDOWN_ENUM: &[&str] = &["default", "save", "nosave", "now", "force"];

/// Every directive we accept, in the order Redis 7.0.15 prints `CONFIG GET *`.
pub static DIRECTIVES: &[Directive] = &[
    dir_(
        "active-defrag-max-scan-fields",
        None,
        Kind::Int {
            min: 1,
            max: i64::MAX,
        },
        "1000",
        0,
    ),
    dir_(
        "proto-max-bulk-len",
        None,
        Kind::Memory {
            min: 1048576,
            max: i64::MAX,
        },
        "536870912",
        0,
    ),
    dir_(
        "maxmemory",
        None,
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "0",
        0,
    ),
    dir_("tls-cluster", None, B, "no", 0),
    dir_(
        "sanitize-dump-payload",
        None,
        Kind::Enum(&["no", "yes", "clients"]),
        "no",
        0,
    ),
    dir_("tls-auth-clients", None, B, "yes", 0),
    dir_(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "64",
        0,
    ),
    dir_(
        "acllog-max-len",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "128",
        0,
    ),
    dir_("appendonly", None, B, "no", 0),
    dir_(
        "enable-protected-configs",
        None,
        Kind::Enum(PROTECTED_ENUM),
        "no",
        IMMUTABLE,
    ),
    dir_(
        "busy-reply-threshold",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "5000",
        0,
    ),
    dir_(
        "tls-session-cache-size",
        None,
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "20480",
        0,
    ),
    dir_("stop-writes-on-bgsave-error", None, B, "yes", 0),
    dir_("set-proc-title", None, B, "yes", IMMUTABLE),
    dir_("appenddirname", None, S, "appendonlydir", IMMUTABLE),
    dir_("crash-memcheck-enabled", None, B, "yes", 0),
    dir_(
        "replica-announce-port",
        Some("slave-announce-port"),
        Kind::Int { min: 0, max: 65535 },
        "0",
        0,
    ),
    dir_("cluster-allow-pubsubshard-when-down", None, B, "yes", 0),
    dir_(
        "stream-node-max-bytes",
        None,
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "4096",
        0,
    ),
    dir_("replica-announce-ip", Some("slave-announce-ip"), S, "", 0),
    dir_(
        "active-defrag-threshold-upper",
        None,
        Kind::Int { min: 0, max: 1000 },
        "100",
        0,
    ),
    dir_("dbfilename", None, S, "dump.rdb", PROTECTED),
    dir_("tls-dh-params-file", None, S, "", 0),
    dir_(
        "active-defrag-ignore-bytes",
        None,
        Kind::Memory {
            min: 1,
            max: i64::MAX,
        },
        "104857600",
        0,
    ),
    dir_(
        "repl-diskless-load",
        None,
        Kind::Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
        0,
    ),
    dir_(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        Kind::Int {
            min: INT_MIN,
            max: INT_MAX,
        },
        "-2",
        0,
    ),
    dir_("unixsocket", None, S, "", IMMUTABLE),
    dir_("activedefrag", None, B, "no", 0),
    dir_("tls-protocols", None, S, "", 0),
    dir_("replica-ignore-disk-write-errors", None, B, "no", 0),
    dir_("loglevel", None, Kind::Enum(LOGLEVEL), "notice", 0),
    dir_(
        "slowlog-log-slower-than",
        None,
        Kind::Int {
            min: -1,
            max: i64::MAX,
        },
        "10000",
        0,
    ),
    dir_("io-threads-do-reads", None, B, "no", IMMUTABLE),
    dir_(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "64",
        0,
    ),
    dir_("masteruser", None, S, "", 0),
    dir_(
        "cluster-port",
        None,
        Kind::Int { min: 0, max: 65535 },
        "0",
        IMMUTABLE,
    ),
    dir_("tls-ca-cert-dir", None, S, "", 0),
    dir_("cluster-announce-hostname", None, S, "", 0),
    dir_(
        "slowlog-max-len",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "128",
        0,
    ),
    dir_(
        "maxmemory-clients",
        None,
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "0",
        0,
    ),
    dir_(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        B,
        "yes",
        0,
    ),
    dir_(
        "repl-backlog-ttl",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "3600",
        0,
    ),
    dir_("repl-disable-tcp-nodelay", None, B, "no", 0),
    dir_("protected-mode", None, B, "yes", 0),
    dir_("bio_cpulist", None, S, "", IMMUTABLE),
    dir_(
        "oom-score-adj",
        None,
        Kind::Enum(&["no", "yes", "relative", "absolute"]),
        "no",
        0,
    ),
    dir_(
        "hll-sparse-max-bytes",
        None,
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "3000",
        0,
    ),
    dir_("aof-load-truncated", None, B, "yes", 0),
    dir_("crash-log-enabled", None, B, "yes", 0),
    dir_(
        "appendfsync",
        None,
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
        0,
    ),
    dir_(
        "active-defrag-cycle-max",
        None,
        Kind::Int { min: 1, max: 99 },
        "25",
        0,
    ),
    dir_("tls-replication", None, B, "no", 0),
    dir_(
        "propagation-error-behavior",
        None,
        Kind::Enum(&["ignore", "panic", "panic-on-replicas"]),
        "ignore",
        0,
    ),
    dir_("rdbchecksum", None, B, "yes", IMMUTABLE),
    dir_(
        "active-expire-effort",
        None,
        Kind::Int { min: 1, max: 10 },
        "1",
        0,
    ),
    dir_(
        "maxmemory-eviction-tenacity",
        None,
        Kind::Int { min: 0, max: 100 },
        "10",
        0,
    ),
    dir_("repl-diskless-sync-max-replicas", None, U, "0", 0),
    dir_("tls-key-file", None, S, "", 0),
    dir_(
        "active-defrag-cycle-min",
        None,
        Kind::Int { min: 1, max: 99 },
        "1",
        0,
    ),
    dir_("no-appendfsync-on-rewrite", None, B, "no", 0),
    dir_("tls-session-caching", None, B, "yes", 0),
    dir_(
        "databases",
        None,
        Kind::Int {
            min: 1,
            max: INT_MAX,
        },
        "16",
        IMMUTABLE,
    ),
    dir_("replica-read-only", Some("slave-read-only"), B, "yes", 0),
    dir_("replica-lazy-flush", Some("slave-lazy-flush"), B, "no", 0),
    dir_("lazyfree-lazy-user-del", None, B, "no", 0),
    dir_(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        B,
        "yes",
        0,
    ),
    dir_("port", None, Kind::Int { min: 0, max: 65535 }, "6379", 0),
    dir_("tls-client-key-file-pass", None, S, "", 0),
    dir_("aclfile", None, S, "", IMMUTABLE),
    dir_("lazyfree-lazy-user-flush", None, B, "no", 0),
    dir_("rdb-save-incremental-fsync", None, B, "yes", 0),
    dir_(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        U,
        "10",
        0,
    ),
    dir_("aof-disable-auto-gc", None, B, "no", 0),
    dir_("syslog-ident", None, S, "redis", IMMUTABLE),
    dir_("activerehashing", None, B, "yes", 0),
    dir_("tls-ciphersuites", None, S, "", 0),
    dir_(
        "socket-mark-id",
        None,
        Kind::Int {
            min: 0,
            max: u32::MAX as i64,
        },
        "0",
        IMMUTABLE,
    ),
    dir_(
        "supervised",
        None,
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
        IMMUTABLE,
    ),
    dir_("masterauth", None, S, "", 0),
    dir_(
        "shutdown-timeout",
        None,
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "10",
        0,
    ),
    dir_(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        U,
        "10",
        0,
    ),
    dir_("save", None, Kind::Save, "3600 1 300 100 60 10000", 0),
    dir_("bind-source-addr", None, S, "", 0),
    dir_("cluster-migration-barrier", None, U, "1", 0),
    dir_(
        "enable-module-command",
        None,
        Kind::Enum(PROTECTED_ENUM),
        "no",
        IMMUTABLE,
    ),
    dir_(
        "io-threads",
        None,
        Kind::Int { min: 1, max: 128 },
        "1",
        IMMUTABLE,
    ),
    dir_(
        "repl-timeout",
        None,
        Kind::Int {
            min: 1,
            max: INT_MAX,
        },
        "60",
        0,
    ),
    dir_("lazyfree-lazy-expire", None, B, "no", 0),
    dir_(
        "syslog-facility",
        None,
        Kind::Enum(&[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ]),
        "local0",
        IMMUTABLE,
    ),
    dir_("repl-diskless-sync", None, B, "yes", 0),
    dir_(
        "repl-backlog-size",
        None,
        Kind::Memory {
            min: 1,
            max: i64::MAX,
        },
        "1048576",
        0,
    ),
    dir_("cluster-config-file", None, S, "nodes.conf", IMMUTABLE),
    dir_(
        "client-query-buffer-limit",
        None,
        Kind::Memory {
            min: 1048576,
            max: i64::MAX,
        },
        "1073741824",
        0,
    ),
    dir_(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "512",
        0,
    ),
    dir_("tls-client-key-file", None, S, "", 0),
    dir_("cluster-allow-replica-migration", None, B, "yes", 0),
    dir_("tls-client-cert-file", None, S, "", 0),
    dir_("ignore-warnings", None, S, "", 0),
    dir_("repl-diskless-sync-delay", None, U, "5", 0),
    dir_("jemalloc-bg-thread", None, B, "yes", 0),
    dir_(
        "maxclients",
        None,
        Kind::Int {
            min: 1,
            max: u32::MAX as i64,
        },
        "10000",
        0,
    ),
    dir_(
        "shutdown-on-sigterm",
        None,
        Kind::Enum(SHUTDOWN_ENUM),
        "default",
        0,
    ),
    dir_(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        B,
        "no",
        0,
    ),
    dir_(
        "hz",
        None,
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "10",
        0,
    ),
    dir_(
        "tcp-keepalive",
        None,
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "300",
        0,
    ),
    dir_("cluster-announce-ip", None, S, "", 0),
    dir_("lazyfree-lazy-eviction", None, B, "no", 0),
    dir_("daemonize", None, B, "no", IMMUTABLE),
    dir_("list-compress-depth", None, U, "0", 0),
    dir_("server_cpulist", None, S, "", IMMUTABLE),
    dir_("rdb-del-sync-files", None, B, "no", 0),
    dir_(
        "cluster-link-sendbuf-limit",
        None,
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "0",
        0,
    ),
    dir_("replica-priority", Some("slave-priority"), U, "100", 0),
    dir_("tcp-backlog", None, U, "511", IMMUTABLE),
    dir_("lfu-decay-time", None, U, "1", 0),
    dir_("dir", None, S, ".", PROTECTED),
    dir_(
        "cluster-preferred-endpoint-type",
        None,
        Kind::Enum(&["ip", "hostname", "unknown-endpoint"]),
        "ip",
        0,
    ),
    dir_("bgsave_cpulist", None, S, "", IMMUTABLE),
    dir_(
        "lua-time-limit",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "5000",
        0,
    ),
    dir_(
        "tracking-table-max-keys",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "1000000",
        0,
    ),
    dir_("syslog-enabled", None, B, "no", IMMUTABLE),
    dir_(
        "tls-session-cache-timeout",
        None,
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "300",
        0,
    ),
    dir_("dynamic-hz", None, B, "yes", 0),
    dir_("aof-rewrite-incremental-fsync", None, B, "yes", 0),
    dir_(
        "latency-tracking-info-percentiles",
        None,
        Kind::List,
        "50 99 99.9",
        0,
    ),
    dir_("pidfile", None, S, "", IMMUTABLE),
    dir_("aof-timestamp-enabled", None, B, "no", 0),
    dir_(
        "client-output-buffer-limit",
        None,
        Kind::ClientOutputBufferLimit,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        0,
    ),
    dir_("cluster-enabled", None, B, "no", IMMUTABLE),
    dir_("logfile", None, S, "", IMMUTABLE),
    dir_(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        Kind::Int {
            min: 1,
            max: INT_MAX,
        },
        "10",
        0,
    ),
    dir_("replicaof", Some("slaveof"), S, "", IMMUTABLE),
    dir_("notify-keyspace-events", None, Kind::KeyspaceEvents, "", 0),
    dir_(
        "acl-pubsub-default",
        None,
        Kind::Enum(&["allchannels", "resetchannels"]),
        "resetchannels",
        0,
    ),
    dir_("cluster-require-full-coverage", None, B, "yes", 0),
    dir_("aof_rewrite_cpulist", None, S, "", IMMUTABLE),
    dir_("appendfilename", None, S, "appendonly.aof", IMMUTABLE),
    dir_("lazyfree-lazy-server-del", None, B, "no", 0),
    dir_("tls-cert-file", None, S, "", 0),
    dir_("bind", None, Kind::List, "* -::*", 0),
    dir_("tls-ciphers", None, S, "", 0),
    dir_(
        "cluster-announce-bus-port",
        None,
        Kind::Int { min: 0, max: 65535 },
        "0",
        0,
    ),
    dir_(
        "timeout",
        None,
        Kind::Int {
            min: 0,
            max: INT_MAX,
        },
        "0",
        0,
    ),
    dir_(
        "enable-debug-command",
        None,
        Kind::Enum(PROTECTED_ENUM),
        "no",
        IMMUTABLE,
    ),
    dir_(
        "set-max-intset-entries",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "512",
        0,
    ),
    dir_(
        "stream-node-max-entries",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "100",
        0,
    ),
    dir_(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        U,
        "0",
        0,
    ),
    dir_(
        "proc-title-template",
        None,
        S,
        "{title} {listen-addr} {server-mode}",
        0,
    ),
    dir_("disable-thp", None, B, "yes", IMMUTABLE),
    dir_("tls-ca-cert-file", None, S, "", 0),
    dir_("tls-port", None, Kind::Int { min: 0, max: 65535 }, "0", 0),
    dir_("oom-score-adj-values", None, Kind::List, "0 200 800", 0),
    dir_("tls-key-file-pass", None, S, "", 0),
    dir_("auto-aof-rewrite-percentage", None, U, "100", 0),
    dir_(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "128",
        0,
    ),
    dir_("cluster-allow-reads-when-down", None, B, "no", 0),
    dir_("latency-tracking", None, B, "yes", 0),
    dir_("lfu-log-factor", None, U, "10", 0),
    dir_("aof-use-rdb-preamble", None, B, "yes", 0),
    dir_("rdbcompression", None, B, "yes", 0),
    dir_(
        "maxmemory-policy",
        None,
        Kind::Enum(MAXMEMORY_POLICY),
        "noeviction",
        0,
    ),
    dir_(
        "cluster-announce-port",
        None,
        Kind::Int { min: 0, max: 65535 },
        "0",
        0,
    ),
    dir_(
        "maxmemory-samples",
        None,
        Kind::Int {
            min: 1,
            max: INT_MAX,
        },
        "5",
        0,
    ),
    dir_(
        "active-defrag-threshold-lower",
        None,
        Kind::Int { min: 0, max: 1000 },
        "10",
        0,
    ),
    dir_(
        "cluster-node-timeout",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "15000",
        0,
    ),
    dir_(
        "latency-monitor-threshold",
        None,
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "0",
        0,
    ),
    dir_("tls-prefer-server-ciphers", None, B, "no", 0),
    dir_(
        "cluster-announce-tls-port",
        None,
        Kind::Int { min: 0, max: 65535 },
        "0",
        0,
    ),
    dir_(
        "auto-aof-rewrite-min-size",
        None,
        Kind::Memory {
            min: 0,
            max: i64::MAX,
        },
        "67108864",
        0,
    ),
    dir_("always-show-logo", None, B, "no", IMMUTABLE),
    dir_("requirepass", None, S, "", 0),
    dir_(
        "shutdown-on-sigint",
        None,
        Kind::Enum(SHUTDOWN_ENUM),
        "default",
        0,
    ),
    dir_(
        "unixsocketperm",
        None,
        Kind::Int { min: 0, max: 511 },
        "0",
        IMMUTABLE,
    ),
    dir_("replica-announced", None, B, "yes", 0),
];

pub fn find(name: &str) -> Option<&'static Directive> {
    DIRECTIVES.iter().find(|d| {
        d.name.eq_ignore_ascii_case(name) || d.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// Parse memory text like `1gb`, `64k`, `100` into bytes (Redis's `memtoull`).
pub fn parse_memory(s: &str) -> Option<i64> {
    let l = s.to_ascii_lowercase();
    let (num, mul): (&str, i64) = if let Some(n) = l.strip_suffix("gb") {
        (n, 1 << 30)
    } else if let Some(n) = l.strip_suffix("mb") {
        (n, 1 << 20)
    } else if let Some(n) = l.strip_suffix("kb") {
        (n, 1 << 10)
    } else if let Some(n) = l.strip_suffix('g') {
        (n, 1_000_000_000)
    } else if let Some(n) = l.strip_suffix('m') {
        (n, 1_000_000)
    } else if let Some(n) = l.strip_suffix('k') {
        (n, 1_000)
    } else if let Some(n) = l.strip_suffix('b') {
        (n, 1)
    } else {
        (l.as_str(), 1)
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = num.parse().ok()?;
    v.checked_mul(mul)
}

#[derive(Clone, Debug)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
    /// Absolute path of the config file the server was started with, if any
    /// (INFO `config_file`, CONFIG REWRITE).
    pub config_file: Option<String>,
    /// The text of that file as read at startup (CONFIG REWRITE edits it).
    pub config_text: Option<String>,
    /// Values the command path reads on every write, parsed once per change.
    hot: Hot,
}

#[derive(Clone, Debug, Default)]
struct Hot {
    maxmemory: i64,
    min_replicas_to_write: i64,
    /// `save` as (seconds, changes) pairs: serverCron asks every tick.
    save_points: Vec<(u64, u64)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: DIRECTIVES
                .iter()
                .map(|d| (d.name, d.default.to_string()))
                .collect(),
            config_file: None,
            config_text: None,
            hot: Hot::default(),
        }
        .refreshed()
    }
}

impl Config {
    /// Set a directive from its arguments (config file, command line, CONFIG SET).
    /// Immutability is not checked here (the config file may set anything); the
    /// error text is the part after "... - " in Redis's messages.
    pub fn set(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let d =
            find(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        let value = normalise(d, args, self.values.get(d.name).map(|s| s.as_str()))?;
        self.values.insert(d.name, value);
        self.refresh();
        Ok(())
    }

    fn refresh(&mut self) {
        self.hot = Hot {
            maxmemory: self.get_i64("maxmemory"),
            min_replicas_to_write: self.get_i64("min-replicas-to-write"),
            save_points: super::persistence::parse_save_points(self.get("save")),
        };
    }

    fn refreshed(mut self) -> Self {
        self.refresh();
        self
    }

    /// `maxmemory` in bytes (0: no limit), without a lookup.
    pub fn maxmemory(&self) -> i64 {
        self.hot.maxmemory
    }

    /// `min-replicas-to-write`, without a lookup.
    pub fn min_replicas_to_write(&self) -> i64 {
        self.hot.min_replicas_to_write
    }

    /// `save` parsed into (seconds, changes) pairs, without a lookup.
    pub fn save_points(&self) -> &[(u64, u64)] {
        &self.hot.save_points
    }

    pub fn get(&self, name: &str) -> &str {
        // Fast path for canonical names (the hot paths ask with those).
        if let Some(v) = self.values.get(name) {
            return v.as_str();
        }
        match find(name) {
            Some(d) => self.values.get(d.name).map(|s| s.as_str()).unwrap_or(""),
            None => "",
        }
    }

    pub fn get_i64(&self, name: &str) -> i64 {
        self.get(name).parse().unwrap_or(0)
    }

    pub fn get_bool(&self, name: &str) -> bool {
        self.get(name) == "yes"
    }

    /// All directives and their values, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Directive, &str)> {
        DIRECTIVES
            .iter()
            .map(move |d| (d, self.values.get(d.name).map(|s| s.as_str()).unwrap_or("")))
    }

    /// CONFIG SET with several `name value` pairs, all or nothing, with Redis's
    /// error texts (`ERR Unknown option ...`, `ERR CONFIG SET failed ...`).
    pub fn set_many(&mut self, pairs: &[(String, String)]) -> Result<(), String> {
        let mut seen: Vec<&'static str> = Vec::new();
        let mut new: Vec<(&'static str, String)> = Vec::new();
        let failed = |arg: &str, msg: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - {msg}")
        };
        // Redis first resolves every name, then validates every value.
        let mut resolved = Vec::new();
        for (name, value) in pairs {
            let Some(d) = find(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            };
            if d.immutable {
                return Err(failed(name, "can't set immutable config"));
            }
            if d.protected && self.get("enable-protected-configs") != "yes" {
                return Err(failed(name, "can't set protected config"));
            }
            if seen.contains(&d.name) {
                return Err(failed(name, "duplicate parameter"));
            }
            seen.push(d.name);
            resolved.push((d, name, value));
        }
        for (d, name, value) in resolved {
            let v = normalise(
                d,
                std::slice::from_ref(value),
                self.values.get(d.name).map(|s| s.as_str()),
            )
            .map_err(|e| failed(name, &e))?;
            new.push((d.name, v));
        }
        for (n, v) in new {
            self.values.insert(n, v);
        }
        self.refresh();
        Ok(())
    }

    /// CONFIG REWRITE: the new text of the config file, or `None` without one.
    pub fn rewrite(&self) -> Option<(String, String)> {
        let path = self.config_file.clone()?;
        let old = self.config_text.clone().unwrap_or_default();
        Some((path, rewrite_text(self, &old)))
    }
}

/// Quote a value for a config file line the way Redis's rewrite does.
fn conf_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\')
    {
        return s.to_string();
    }
    let mut o = String::from("\"");
    for b in s.bytes() {
        match b {
            b'\\' => o.push_str("\\\\"),
            b'"' => o.push_str("\\\""),
            b'\n' => o.push_str("\\n"),
            b'\r' => o.push_str("\\r"),
            b'\t' => o.push_str("\\t"),
            0x20..=0x7e => o.push(b as char),
            _ => o.push_str(&format!("\\x{b:02x}")),
        }
    }
    o.push('"');
    o
}

/// The lines a directive's current value is written as in a config file.
fn conf_lines(d: &Directive, value: &str) -> Vec<String> {
    // A master has no `replicaof` line at all (Redis drops it on rewrite).
    if d.name == "replicaof" {
        let parts: Vec<&str> = value.split_whitespace().collect();
        if parts.is_empty() {
            return Vec::new();
        }
        let quoted: Vec<String> = parts.iter().map(|p| conf_quote(p)).collect();
        return vec![format!("replicaof {}", quoted.join(" "))];
    }
    match d.kind {
        Kind::Save => {
            let parts: Vec<&str> = value.split_whitespace().collect();
            if parts.is_empty() {
                return vec![format!("{} \"\"", d.name)];
            }
            parts
                .chunks(2)
                .map(|c| format!("{} {}", d.name, c.join(" ")))
                .collect()
        }
        Kind::List | Kind::ClientOutputBufferLimit if !value.is_empty() => {
            if d.kind == Kind::ClientOutputBufferLimit {
                let parts: Vec<&str> = value.split_whitespace().collect();
                parts
                    .chunks(4)
                    .map(|c| format!("{} {}", d.name, c.join(" ")))
                    .collect()
            } else {
                vec![format!("{} {}", d.name, value)]
            }
        }
        _ => vec![format!("{} {}", d.name, conf_quote(value))],
    }
}

/// Redis's rewriteConfig: keep comments and unknown lines, replace each known
/// directive's first line with its current value (dropping repeated lines), and
/// append directives that differ from their default after a marker comment.
pub fn rewrite_text(config: &Config, old: &str) -> String {
    const MARKER: &str = "# Generated by CONFIG REWRITE";
    let mut out: Vec<String> = Vec::new();
    let mut done: Vec<&'static str> = Vec::new();
    for raw in old.lines() {
        let line = raw.trim();
        if line == MARKER {
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            out.push(raw.to_string());
            continue;
        }
        let name = line.split_whitespace().next().unwrap_or("");
        match find(name) {
            Some(d) => {
                if done.contains(&d.name) {
                    continue;
                }
                done.push(d.name);
                out.extend(conf_lines(d, config.get(d.name)));
            }
            None => out.push(raw.to_string()),
        }
    }
    let mut appended = false;
    for (d, value) in config.iter() {
        if done.contains(&d.name) || value == d.default {
            continue;
        }
        if !appended {
            // Redis drops trailing blank lines before its marker.
            while out.last().is_some_and(|l| l.trim().is_empty()) {
                out.pop();
            }
            out.push(MARKER.to_string());
            appended = true;
        }
        out.extend(conf_lines(d, value));
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fn int_error(min: i64, max: i64) -> String {
    format!("argument must be between {min} and {max} inclusive")
}

/// Validate and normalise the arguments of a directive into the stored text.
/// `current` is the directive's current value (some kinds merge into it).
pub fn normalise(d: &Directive, args: &[String], current: Option<&str>) -> Result<String, String> {
    let one = || -> Result<&String, String> {
        if args.len() == 1 {
            Ok(&args[0])
        } else {
            Err("wrong number of arguments".to_string())
        }
    };
    match d.kind {
        Kind::Bool => match one()?.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max } => {
            let v = crate::resp::parse_i64(one()?.as_bytes())
                .ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
            if v < min || v > max {
                return Err(int_error(min, max));
            }
            Ok(v.to_string())
        }
        Kind::Memory { min, max } => {
            let v = parse_memory(one()?)
                .ok_or_else(|| "argument must be a memory value".to_string())?;
            if v < min || v > max {
                return Err(int_error(min, max));
            }
            Ok(v.to_string())
        }
        Kind::Str => Ok(args.join(" ")),
        Kind::Enum(options) => {
            let v = one()?.to_ascii_lowercase();
            if options.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err("argument(s) must be one of the following: ".to_string() + &options.join(", "))
            }
        }
        Kind::List => Ok(args.join(" ")),
        Kind::Save => {
            let joined = args.join(" ");
            let parts: Vec<&str> = joined.split_whitespace().collect();
            if !parts.len().is_multiple_of(2) {
                return Err("Invalid save parameters".into());
            }
            let mut norm = Vec::new();
            for p in &parts {
                match crate::resp::parse_i64(p.as_bytes()) {
                    Some(v) if v >= 0 => norm.push(v.to_string()),
                    _ => return Err("Invalid save parameters".into()),
                }
            }
            Ok(norm.join(" "))
        }
        Kind::ClientOutputBufferLimit => {
            let joined = args.join(" ");
            let parts: Vec<&str> = joined.split_whitespace().collect();
            if parts.is_empty() || !parts.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let cur = current.unwrap_or(d.default);
            let mut classes: Vec<(String, [i64; 3])> = Vec::new();
            for c in cur.split_whitespace().collect::<Vec<_>>().chunks(4) {
                if c.len() == 4 {
                    let n = |s: &str| s.parse().unwrap_or(0);
                    classes.push((c[0].to_string(), [n(c[1]), n(c[2]), n(c[3])]));
                }
            }
            for c in parts.chunks(4) {
                let class = match c[0].to_ascii_lowercase().as_str() {
                    "normal" => "normal",
                    "slave" | "replica" => "slave",
                    "pubsub" => "pubsub",
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let hard = parse_memory(c[1]);
                let soft = parse_memory(c[2]);
                let secs = crate::resp::parse_i64(c[3].as_bytes());
                let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else {
                    return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
                };
                if hard < 0 || soft < 0 || secs < 0 {
                    return Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".into());
                }
                if let Some(e) = classes.iter_mut().find(|(n, _)| n == class) {
                    e.1 = [hard, soft, secs];
                }
            }
            Ok(classes
                .iter()
                .map(|(n, v)| format!("{} {} {} {}", n, v[0], v[1], v[2]))
                .collect::<Vec<_>>()
                .join(" "))
        }
        Kind::KeyspaceEvents => {
            let v = args.join("");
            let mut flags = std::collections::BTreeSet::new();
            for c in v.chars() {
                match c {
                    'A' => {
                        for f in "g$lshzxetd".chars() {
                            flags.insert(f);
                        }
                    }
                    'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 't' | 'm' | 'd' | 'n' | 'K'
                    | 'E' => {
                        flags.insert(c);
                    }
                    _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
                }
            }
            let mut out = String::new();
            if "g$lshzxetd".chars().all(|f| flags.contains(&f)) {
                out.push('A');
            } else {
                for f in "g$lshzxetd".chars() {
                    if flags.contains(&f) {
                        out.push(f);
                    }
                }
            }
            if flags.contains(&'n') {
                out.push('n');
            }
            for f in ['K', 'E', 'm'] {
                if flags.contains(&f) {
                    out.push(f);
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let c = Config::default();
        for d in DIRECTIVES {
            // Every default must pass its own validation.
            let args: Vec<String> = match d.kind {
                Kind::Str | Kind::List | Kind::Save | Kind::KeyspaceEvents => {
                    vec![d.default.to_string()]
                }
                _ => vec![d.default.to_string()],
            };
            assert!(
                normalise(d, &args, Some(d.default)).is_ok(),
                "default of {} rejected",
                d.name
            );
            assert_eq!(c.get(d.name), d.default);
        }
        let names: usize =
            DIRECTIVES.len() + DIRECTIVES.iter().filter(|d| d.alias.is_some()).count();
        assert_eq!(names, 192);
    }

    #[test]
    fn set_many_errors() {
        let mut c = Config::default();
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            c.set_many(&[p("foo", "1")]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            c.set_many(&[p("hz", "abc")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            c.set_many(&[p("daemonize", "yes")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
        );
        assert_eq!(
            c.set_many(&[p("dir", "/tmp")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            c.set_many(&[p("hz", "5"), p("hz", "6")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter"
        );
        assert!(c.set_many(&[p("hz", "5"), p("loglevel", "bad")]).is_err());
        assert_eq!(c.get("hz"), "10");
        c.set_many(&[
            p("hz", "5"),
            p("maxmemory", "1mb"),
            p("slave-read-only", "no"),
        ])
        .unwrap();
        assert_eq!(c.get("hz"), "5");
        assert_eq!(c.get("maxmemory"), "1048576");
        assert_eq!(c.get("replica-read-only"), "no");
        assert_eq!(
            c.set_many(&[p("proto-max-bulk-len", "10")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        assert_eq!(
            c.set_many(&[p("save", "1")]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
        );
        c.set_many(&[p("client-output-buffer-limit", "replica 1mb 2mb 3")])
            .unwrap();
        assert_eq!(
            c.get("client-output-buffer-limit"),
            "normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60"
        );
        c.set_many(&[p("notify-keyspace-events", "KEA")]).unwrap();
        assert_eq!(c.get("notify-keyspace-events"), "AKE");
    }

    #[test]
    fn rewrite() {
        let mut c = Config::default();
        c.config_file = Some("/tmp/x.conf".into());
        c.config_text =
            Some("# hello\nport 7000\nhz 10\nsave 900 1\nsave 300 10\nfoo-unknown 1\n\n".into());
        c.set("port", &["7000".into()]).unwrap();
        c.set("save", &["900 1 300 10".into()]).unwrap();
        c.set_many(&[
            ("hz".into(), "20".into()),
            ("maxmemory".into(), "1mb".into()),
        ])
        .unwrap();
        let (path, text) = c.rewrite().unwrap();
        assert_eq!(path, "/tmp/x.conf");
        assert_eq!(
            text,
            "# hello\nport 7000\nhz 20\nsave 900 1\nsave 300 10\nfoo-unknown 1\n# Generated by CONFIG REWRITE\nmaxmemory 1048576\n"
        );
    }
}
