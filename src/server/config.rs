//! Server configuration: the directives of redis.conf, CONFIG GET/SET, defaults.
//!
//! Values are kept as the text CONFIG GET prints; each directive has a kind that
//! validates and normalises what is set (memory units to bytes, yes/no, enums).

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// Bytes, accepting units like `1mb`, `64k`.
    Memory,
    Str,
    Enum(&'static [&'static str]),
    /// Space separated list kept as is (e.g. `save`, `bind`).
    List,
}

#[derive(Debug)]
pub struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub default: &'static str,
    /// Only settable at startup (config file / command line).
    pub immutable: bool,
}

const fn d(name: &'static str, kind: Kind, default: &'static str) -> Directive {
    Directive {
        name,
        alias: None,
        kind,
        default,
        immutable: false,
    }
}

const fn imm(name: &'static str, kind: Kind, default: &'static str) -> Directive {
    Directive {
        name,
        alias: None,
        kind,
        default,
        immutable: true,
    }
}

const fn alias(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
) -> Directive {
    Directive {
        name,
        alias: Some(alias),
        kind,
        default,
        immutable: false,
    }
}

const I: Kind = Kind::Int {
    min: i64::MIN,
    max: i64::MAX,
};
const U: Kind = Kind::Int {
    min: 0,
    max: i64::MAX,
};
const B: Kind = Kind::Bool;
const S: Kind = Kind::Str;
const M: Kind = Kind::Memory;

/// Every directive we accept. Names as Redis 7.0 prints them in CONFIG GET.
pub static DIRECTIVES: &[Directive] = &[
    imm("port", Kind::Int { min: 0, max: 65535 }, "6379"),
    imm("bind", Kind::List, "* -::*"),
    d("protected-mode", B, "yes"),
    d("requirepass", S, ""),
    imm("dir", S, "."),
    imm("logfile", S, ""),
    d(
        "loglevel",
        Kind::Enum(&["debug", "verbose", "notice", "warning"]),
        "notice",
    ),
    imm("daemonize", B, "no"),
    imm(
        "databases",
        Kind::Int {
            min: 1,
            max: i32::MAX as i64,
        },
        "16",
    ),
    imm("pidfile", S, ""),
    d("timeout", U, "0"),
    d("tcp-keepalive", U, "300"),
    imm("tcp-backlog", U, "511"),
    d(
        "maxclients",
        Kind::Int {
            min: 1,
            max: i64::MAX,
        },
        "10000",
    ),
    d(
        "hz",
        Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        "10",
    ),
    d("dbfilename", S, "dump.rdb"),
    d("save", Kind::List, "3600 1 300 100 60 10000"),
    d("appendonly", B, "no"),
    d("appendfilename", S, "appendonly.aof"),
    d(
        "appendfsync",
        Kind::Enum(&["always", "everysec", "no"]),
        "everysec",
    ),
    d("rdbcompression", B, "yes"),
    d("rdbchecksum", B, "yes"),
    d("stop-writes-on-bgsave-error", B, "yes"),
    d("maxmemory", M, "0"),
    d(
        "maxmemory-policy",
        Kind::Enum(&[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ]),
        "noeviction",
    ),
    d("maxmemory-samples", U, "5"),
    d("proto-max-bulk-len", Kind::Memory, "536870912"),
    d("client-query-buffer-limit", M, "1073741824"),
    d("slowlog-log-slower-than", I, "10000"),
    d("slowlog-max-len", U, "128"),
    d("latency-monitor-threshold", U, "0"),
    d("notify-keyspace-events", S, ""),
    d("hash-max-listpack-entries", U, "128"),
    d("hash-max-listpack-value", U, "64"),
    d("list-max-listpack-size", I, "-2"),
    d("list-compress-depth", U, "0"),
    d("set-max-intset-entries", U, "512"),
    d("zset-max-listpack-entries", U, "128"),
    d("zset-max-listpack-value", U, "64"),
    d("activerehashing", B, "yes"),
    d("lazyfree-lazy-eviction", B, "no"),
    d("lazyfree-lazy-expire", B, "no"),
    d("lazyfree-lazy-server-del", B, "no"),
    d("lazyfree-lazy-user-del", B, "no"),
    d("lazyfree-lazy-user-flush", B, "no"),
    d("replica-lazy-flush", B, "no"),
    d("io-threads", Kind::Int { min: 1, max: 128 }, "1"),
    imm(
        "supervised",
        Kind::Enum(&["upstart", "systemd", "auto", "no"]),
        "no",
    ),
    d("always-show-logo", B, "no"),
    d("set-proc-title", B, "yes"),
    d("enable-debug-command", S, "no"),
    d("enable-protected-configs", S, "no"),
    d("enable-module-command", S, "no"),
    // Replication.
    alias("replicaof", "slaveof", S, ""),
    d("masterauth", S, ""),
    d("masteruser", S, ""),
    alias("replica-read-only", "slave-read-only", B, "yes"),
    alias(
        "replica-serve-stale-data",
        "slave-serve-stale-data",
        B,
        "yes",
    ),
    alias("replica-priority", "slave-priority", U, "100"),
    alias("replica-announce-ip", "slave-announce-ip", S, ""),
    alias(
        "replica-announce-port",
        "slave-announce-port",
        Kind::Int { min: 0, max: 65535 },
        "0",
    ),
    d("replica-announced", B, "yes"),
    d("repl-backlog-size", M, "1048576"),
    d("repl-backlog-ttl", U, "3600"),
    d(
        "repl-timeout",
        Kind::Int {
            min: 1,
            max: i64::MAX,
        },
        "60",
    ),
    alias(
        "repl-ping-replica-period",
        "repl-ping-slave-period",
        Kind::Int {
            min: 1,
            max: i64::MAX,
        },
        "10",
    ),
    d("repl-diskless-sync", B, "yes"),
    d("repl-diskless-sync-delay", U, "5"),
    d("repl-diskless-sync-max-replicas", U, "0"),
    d(
        "repl-diskless-load",
        Kind::Enum(&["disabled", "on-empty-db", "swapdb"]),
        "disabled",
    ),
    d("repl-disable-tcp-nodelay", B, "no"),
    alias("min-replicas-to-write", "min-slaves-to-write", U, "0"),
    alias("min-replicas-max-lag", "min-slaves-max-lag", U, "10"),
];

pub fn find(name: &str) -> Option<&'static Directive> {
    let n = name.to_ascii_lowercase();
    DIRECTIVES
        .iter()
        .find(|d| d.name == n || d.alias == Some(n.as_str()))
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
    let v: i64 = num.parse().ok()?;
    v.checked_mul(mul)
}

#[derive(Clone, Debug)]
pub struct Config {
    values: BTreeMap<&'static str, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: DIRECTIVES
                .iter()
                .map(|d| (d.name, d.default.to_string()))
                .collect(),
        }
    }
}

impl Config {
    /// Set a directive from its arguments (config file, command line, CONFIG SET).
    /// The error text is what follows "Bad directive or wrong number of arguments" style messages.
    pub fn set(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let d = find(name).ok_or_else(|| format!("Bad directive or wrong number of arguments"))?;
        let value = normalise(d, args)?;
        self.values.insert(d.name, value);
        Ok(())
    }

    pub fn get(&self, name: &str) -> &str {
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
}

/// Validate and normalise the arguments of a directive into the stored text.
pub fn normalise(d: &Directive, args: &[String]) -> Result<String, String> {
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
            let v: i64 = one()?
                .parse()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())?;
            if v < min || v > max {
                return Err(format!(
                    "argument must be between {min} and {max} inclusive"
                ));
            }
            Ok(v.to_string())
        }
        Kind::Memory => {
            let v = parse_memory(one()?)
                .ok_or_else(|| "argument must be a memory value".to_string())?;
            if v < 0 {
                return Err("argument must be a memory value".into());
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
    }
}
