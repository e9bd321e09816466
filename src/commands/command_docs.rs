//! Command metadata beyond the command table that dispatch, ACL and COMMAND
//! GETKEYS use: the subcommands' arity and flags, Redis 7.0.15's ACL
//! categories of every command, and the key-spec types and how GETKEYS reads
//! them. Docs, tips and the key specs themselves come from the JSON files
//! (`docs`); unit tests keep these tables equal to them.

use super::flags::*;

/// A subcommand of a container command: what dispatch checks.
pub struct SubDef {
    pub parent: &'static str,
    pub name: &'static str,
    pub arity: i32,
    pub flags: u32,
}

const fn sd(parent: &'static str, name: &'static str, arity: i32, flags: u32) -> SubDef {
    SubDef {
        parent,
        name,
        arity,
        flags,
    }
}

const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const NLS: u32 = NOSCRIPT | LOADING | STALE;
const LS: u32 = LOADING | STALE;

/// Subcommands whose details we know (others get generic entries).
pub static SUBCOMMANDS: &[SubDef] = &[
    sd("xgroup", "create", -5, WRITE | DENYOOM),
    sd("xgroup", "createconsumer", 5, WRITE | DENYOOM),
    sd("xgroup", "delconsumer", 5, WRITE),
    sd("xgroup", "destroy", 4, WRITE),
    sd("xgroup", "help", 2, LS),
    sd("xgroup", "setid", -5, WRITE),
    sd("xinfo", "consumers", 4, READONLY),
    sd("xinfo", "groups", 3, READONLY),
    sd("xinfo", "help", 2, LS),
    sd("xinfo", "stream", -3, READONLY),
    sd("acl", "cat", -2, NLS),
    sd("acl", "deluser", -3, ADM),
    sd("acl", "dryrun", -4, ADM),
    sd("acl", "genpass", -2, NLS),
    sd("acl", "getuser", 3, ADM),
    sd("acl", "help", 2, LS),
    sd("acl", "list", 2, ADM),
    sd("acl", "load", 2, ADM),
    sd("acl", "log", -2, ADM),
    sd("acl", "save", 2, ADM),
    sd("acl", "setuser", -3, ADM),
    sd("acl", "users", 2, ADM),
    sd("acl", "whoami", 2, NLS),
    sd("config", "get", -3, ADM),
    sd("config", "set", -4, ADM),
    sd("config", "resetstat", 2, ADM),
    sd("config", "rewrite", 2, ADM),
    sd("config", "help", 2, LS),
    sd("client", "caching", 3, NLS),
    sd("client", "getname", 2, NLS),
    sd("client", "getredir", 2, NLS),
    sd("client", "help", 2, LS),
    sd("client", "id", 2, NLS),
    sd("client", "info", 2, NLS),
    sd("client", "kill", -3, ADM),
    sd("client", "list", -2, ADM),
    sd("client", "no-evict", 3, ADM),
    sd("client", "reply", 3, NLS),
    sd("client", "setname", 3, NLS),
    sd("client", "unblock", -3, ADM),
    sd("client", "unpause", 2, ADM),
    sd("command", "count", 2, LS),
    sd("command", "docs", -2, LS),
    sd("command", "getkeys", -4, LS),
    sd("command", "help", 2, LS),
    sd("command", "info", -2, LS),
    sd("command", "list", -2, LS),
    sd("slowlog", "get", -2, ADMIN | LS),
    sd("slowlog", "help", 2, LS),
    sd("slowlog", "len", 2, ADMIN | LS),
    sd("slowlog", "reset", 2, ADMIN | LS),
    sd("memory", "usage", -3, READONLY),
    sd("memory", "doctor", 2, 0),
    sd("memory", "malloc-stats", 2, 0),
    sd("memory", "purge", 2, 0),
    sd("memory", "stats", 2, 0),
    sd("memory", "help", 2, LS),
    sd("cluster", "addslots", -3, ADMIN | STALE | NO_ASYNC_LOADING),
    sd(
        "cluster",
        "addslotsrange",
        -4,
        ADMIN | STALE | NO_ASYNC_LOADING,
    ),
    sd("cluster", "bumpepoch", 2, ADMIN | STALE | NO_ASYNC_LOADING),
    sd("cluster", "count-failure-reports", 3, ADMIN | STALE),
    sd("cluster", "countkeysinslot", 3, STALE),
    sd("cluster", "delslots", -3, ADMIN | STALE | NO_ASYNC_LOADING),
    sd(
        "cluster",
        "delslotsrange",
        -4,
        ADMIN | STALE | NO_ASYNC_LOADING,
    ),
    sd("cluster", "failover", -2, ADMIN | STALE | NO_ASYNC_LOADING),
    sd("cluster", "flushslots", 2, ADMIN | STALE | NO_ASYNC_LOADING),
    sd("cluster", "forget", 3, ADMIN | STALE | NO_ASYNC_LOADING),
    sd("cluster", "getkeysinslot", 4, STALE),
    sd("cluster", "help", 2, LOADING | STALE),
    sd("cluster", "info", 2, STALE),
    sd("cluster", "keyslot", 3, STALE),
    sd("cluster", "links", 2, STALE),
    sd("cluster", "meet", -4, ADMIN | STALE | NO_ASYNC_LOADING),
    sd("cluster", "myid", 2, STALE),
    sd("cluster", "nodes", 2, STALE),
    sd("cluster", "replicas", 3, ADMIN | STALE),
    sd("cluster", "replicate", 3, ADMIN | STALE | NO_ASYNC_LOADING),
    sd("cluster", "reset", -2, ADMIN | NOSCRIPT | STALE),
    sd("cluster", "saveconfig", 2, ADMIN | STALE | NO_ASYNC_LOADING),
    sd(
        "cluster",
        "set-config-epoch",
        3,
        ADMIN | STALE | NO_ASYNC_LOADING,
    ),
    sd("cluster", "setslot", -4, ADMIN | STALE | NO_ASYNC_LOADING),
    sd("cluster", "shards", 2, STALE),
    sd("cluster", "slaves", 3, ADMIN | STALE),
    sd("cluster", "slots", 2, STALE),
    sd("module", "help", 2, LOADING | STALE),
    sd("module", "list", 2, ADMIN | NOSCRIPT),
    sd("module", "load", -3, ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
    sd("module", "loadex", -3, ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
    sd("module", "unload", 3, ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
    sd("latency", "doctor", 2, ADMIN | NOSCRIPT | LOADING | STALE),
    sd("latency", "graph", 3, ADMIN | NOSCRIPT | LOADING | STALE),
    sd("latency", "help", 2, LOADING | STALE),
    sd(
        "latency",
        "histogram",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
    ),
    sd("latency", "history", 3, ADMIN | NOSCRIPT | LOADING | STALE),
    sd("latency", "latest", 2, ADMIN | NOSCRIPT | LOADING | STALE),
    sd("latency", "reset", -2, ADMIN | NOSCRIPT | LOADING | STALE),
    sd("client", "pause", -3, ADMIN | NOSCRIPT | LOADING | STALE),
    sd("client", "tracking", -3, NOSCRIPT | LOADING | STALE),
    sd("client", "trackinginfo", 2, NOSCRIPT | LOADING | STALE),
    sd("command", "getkeysandflags", -4, LOADING | STALE),
    sd("script", "flush", -2, NOSCRIPT),
    sd("script", "help", 2, LOADING | STALE),
    sd("script", "kill", 2, NOSCRIPT | ALLOW_BUSY),
    sd("script", "exists", -3, NOSCRIPT),
    sd("script", "debug", 3, NOSCRIPT),
    sd("script", "load", 3, NOSCRIPT | STALE),
    sd("function", "flush", -2, WRITE | NOSCRIPT),
    sd("function", "load", -3, WRITE | DENYOOM | NOSCRIPT),
    sd("function", "stats", 2, NOSCRIPT | ALLOW_BUSY),
    sd("function", "help", 2, LOADING | STALE),
    sd("function", "kill", 2, NOSCRIPT | ALLOW_BUSY),
    sd("function", "delete", 3, WRITE | NOSCRIPT),
    sd("function", "list", -2, NOSCRIPT),
    sd("function", "dump", 2, NOSCRIPT),
    sd("function", "restore", -3, WRITE | DENYOOM | NOSCRIPT),
    sd(
        "cluster",
        "addslotsrange",
        -4,
        ADMIN | STALE | NO_ASYNC_LOADING,
    ),
    sd(
        "cluster",
        "delslotsrange",
        -4,
        ADMIN | STALE | NO_ASYNC_LOADING,
    ),
    sd(
        "cluster",
        "set-config-epoch",
        3,
        ADMIN | STALE | NO_ASYNC_LOADING,
    ),
    sd(
        "latency",
        "histogram",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
    ),
    sd("object", "encoding", 3, READONLY),
    sd("object", "freq", 3, READONLY),
    sd("object", "help", 2, LOADING | STALE),
    sd("object", "idletime", 3, READONLY),
    sd("object", "refcount", 3, READONLY),
    sd("pubsub", "channels", -2, PUBSUB | LOADING | STALE),
    sd("pubsub", "help", 2, LOADING | STALE),
    sd("pubsub", "numpat", 2, PUBSUB | LOADING | STALE),
    sd("pubsub", "numsub", -2, PUBSUB | LOADING | STALE),
    sd("pubsub", "shardchannels", -2, PUBSUB | LOADING | STALE),
    sd("pubsub", "shardnumsub", -2, PUBSUB | LOADING | STALE),
];

/// ACL categories and tips of every Redis 7.0.15 command and subcommand, as
/// its `COMMAND` reply lists them (generated from the real binary), sorted by name.
#[rustfmt::skip]
pub(crate) static META: &[(&str, &[&str], &[&str])] = &[
    ("acl", &["@slow"], &[]),
    ("acl|cat", &["@slow"], &[]),
    ("acl|deluser", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|dryrun", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|genpass", &["@slow"], &[]),
    ("acl|getuser", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|help", &["@slow"], &[]),
    ("acl|list", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|load", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|log", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|save", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|setuser", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|users", &["@admin", "@slow", "@dangerous"], &[]),
    ("acl|whoami", &["@slow"], &[]),
    ("append", &["@write", "@string", "@fast"], &[]),
    ("asking", &["@fast", "@connection"], &[]),
    ("auth", &["@fast", "@connection"], &[]),
    ("bgrewriteaof", &["@admin", "@slow", "@dangerous"], &[]),
    ("bgsave", &["@admin", "@slow", "@dangerous"], &[]),
    ("bitcount", &["@read", "@bitmap", "@slow"], &[]),
    ("bitfield", &["@write", "@bitmap", "@slow"], &[]),
    ("bitfield_ro", &["@read", "@bitmap", "@fast"], &[]),
    ("bitop", &["@write", "@bitmap", "@slow"], &[]),
    ("bitpos", &["@read", "@bitmap", "@slow"], &[]),
    ("blmove", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("blmpop", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("blpop", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("brpop", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("brpoplpush", &["@write", "@list", "@slow", "@blocking"], &[]),
    ("bzmpop", &["@write", "@sortedset", "@slow", "@blocking"], &[]),
    ("bzpopmax", &["@write", "@sortedset", "@fast", "@blocking"], &[]),
    ("bzpopmin", &["@write", "@sortedset", "@fast", "@blocking"], &[]),
    ("client", &["@slow"], &[]),
    ("client|caching", &["@slow", "@connection"], &[]),
    ("client|getname", &["@slow", "@connection"], &[]),
    ("client|getredir", &["@slow", "@connection"], &[]),
    ("client|help", &["@slow", "@connection"], &[]),
    ("client|id", &["@slow", "@connection"], &[]),
    ("client|info", &["@slow", "@connection"], &["nondeterministic_output"]),
    ("client|kill", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|list", &["@admin", "@slow", "@dangerous", "@connection"], &["nondeterministic_output"]),
    ("client|no-evict", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|pause", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|reply", &["@slow", "@connection"], &[]),
    ("client|setname", &["@slow", "@connection"], &[]),
    ("client|tracking", &["@slow", "@connection"], &[]),
    ("client|trackinginfo", &["@slow", "@connection"], &[]),
    ("client|unblock", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("client|unpause", &["@admin", "@slow", "@dangerous", "@connection"], &[]),
    ("cluster", &["@slow"], &[]),
    ("cluster|addslots", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|addslotsrange", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|bumpepoch", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|count-failure-reports", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|countkeysinslot", &["@slow"], &[]),
    ("cluster|delslots", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|delslotsrange", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|failover", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|flushslots", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|forget", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|getkeysinslot", &["@slow"], &["nondeterministic_output"]),
    ("cluster|help", &["@slow"], &[]),
    ("cluster|info", &["@slow"], &["nondeterministic_output"]),
    ("cluster|keyslot", &["@slow"], &[]),
    ("cluster|links", &["@slow"], &["nondeterministic_output"]),
    ("cluster|meet", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|myid", &["@slow"], &[]),
    ("cluster|nodes", &["@slow"], &["nondeterministic_output"]),
    ("cluster|replicas", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|replicate", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|reset", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|saveconfig", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|set-config-epoch", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|setslot", &["@admin", "@slow", "@dangerous"], &[]),
    ("cluster|shards", &["@slow"], &["nondeterministic_output"]),
    ("cluster|slaves", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("cluster|slots", &["@slow"], &["nondeterministic_output"]),
    ("command", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("command|count", &["@slow", "@connection"], &[]),
    ("command|docs", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("command|getkeys", &["@slow", "@connection"], &[]),
    ("command|getkeysandflags", &["@slow", "@connection"], &[]),
    ("command|help", &["@slow", "@connection"], &[]),
    ("command|info", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("command|list", &["@slow", "@connection"], &["nondeterministic_output_order"]),
    ("config", &["@slow"], &[]),
    ("config|get", &["@admin", "@slow", "@dangerous"], &[]),
    ("config|help", &["@slow"], &[]),
    ("config|resetstat", &["@admin", "@slow", "@dangerous"], &[]),
    ("config|rewrite", &["@admin", "@slow", "@dangerous"], &[]),
    ("config|set", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("copy", &["@keyspace", "@write", "@slow"], &[]),
    ("dbsize", &["@keyspace", "@read", "@fast"], &["request_policy:all_shards", "response_policy:agg_sum"]),
    ("debug", &["@admin", "@slow", "@dangerous"], &[]),
    ("decr", &["@write", "@string", "@fast"], &[]),
    ("decrby", &["@write", "@string", "@fast"], &[]),
    ("del", &["@keyspace", "@write", "@slow"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("discard", &["@fast", "@transaction"], &[]),
    ("dump", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("echo", &["@fast", "@connection"], &[]),
    ("eval", &["@slow", "@scripting"], &[]),
    ("eval_ro", &["@slow", "@scripting"], &[]),
    ("evalsha", &["@slow", "@scripting"], &[]),
    ("evalsha_ro", &["@slow", "@scripting"], &[]),
    ("exec", &["@slow", "@transaction"], &[]),
    ("exists", &["@keyspace", "@read", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("expire", &["@keyspace", "@write", "@fast"], &[]),
    ("expireat", &["@keyspace", "@write", "@fast"], &[]),
    ("expiretime", &["@keyspace", "@read", "@fast"], &[]),
    ("failover", &["@admin", "@slow", "@dangerous"], &[]),
    ("fcall", &["@slow", "@scripting"], &[]),
    ("fcall_ro", &["@slow", "@scripting"], &[]),
    ("flushall", &["@keyspace", "@write", "@slow", "@dangerous"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("flushdb", &["@keyspace", "@write", "@slow", "@dangerous"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function", &["@slow"], &[]),
    ("function|delete", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|dump", &["@slow", "@scripting"], &[]),
    ("function|flush", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|help", &["@slow", "@scripting"], &[]),
    ("function|kill", &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:one_succeeded"]),
    ("function|list", &["@slow", "@scripting"], &["nondeterministic_output_order"]),
    ("function|load", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|restore", &["@write", "@slow", "@scripting"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("function|stats", &["@slow", "@scripting"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("geoadd", &["@write", "@geo", "@slow"], &[]),
    ("geodist", &["@read", "@geo", "@slow"], &[]),
    ("geohash", &["@read", "@geo", "@slow"], &[]),
    ("geopos", &["@read", "@geo", "@slow"], &[]),
    ("georadius", &["@write", "@geo", "@slow"], &[]),
    ("georadius_ro", &["@read", "@geo", "@slow"], &[]),
    ("georadiusbymember", &["@write", "@geo", "@slow"], &[]),
    ("georadiusbymember_ro", &["@read", "@geo", "@slow"], &[]),
    ("geosearch", &["@read", "@geo", "@slow"], &[]),
    ("geosearchstore", &["@write", "@geo", "@slow"], &[]),
    ("get", &["@read", "@string", "@fast"], &[]),
    ("getbit", &["@read", "@bitmap", "@fast"], &[]),
    ("getdel", &["@write", "@string", "@fast"], &[]),
    ("getex", &["@write", "@string", "@fast"], &[]),
    ("getrange", &["@read", "@string", "@slow"], &[]),
    ("getset", &["@write", "@string", "@fast"], &[]),
    ("hdel", &["@write", "@hash", "@fast"], &[]),
    ("hello", &["@fast", "@connection"], &[]),
    ("hexists", &["@read", "@hash", "@fast"], &[]),
    ("hget", &["@read", "@hash", "@fast"], &[]),
    ("hgetall", &["@read", "@hash", "@slow"], &["nondeterministic_output_order"]),
    ("hincrby", &["@write", "@hash", "@fast"], &[]),
    ("hincrbyfloat", &["@write", "@hash", "@fast"], &[]),
    ("hkeys", &["@read", "@hash", "@slow"], &["nondeterministic_output_order"]),
    ("hlen", &["@read", "@hash", "@fast"], &[]),
    ("hmget", &["@read", "@hash", "@fast"], &[]),
    ("hmset", &["@write", "@hash", "@fast"], &[]),
    ("hrandfield", &["@read", "@hash", "@slow"], &["nondeterministic_output"]),
    ("hscan", &["@read", "@hash", "@slow"], &["nondeterministic_output"]),
    ("hset", &["@write", "@hash", "@fast"], &[]),
    ("hsetnx", &["@write", "@hash", "@fast"], &[]),
    ("hstrlen", &["@read", "@hash", "@fast"], &[]),
    ("hvals", &["@read", "@hash", "@slow"], &["nondeterministic_output_order"]),
    ("incr", &["@write", "@string", "@fast"], &[]),
    ("incrby", &["@write", "@string", "@fast"], &[]),
    ("incrbyfloat", &["@write", "@string", "@fast"], &[]),
    ("info", &["@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("keys", &["@keyspace", "@read", "@slow", "@dangerous"], &["request_policy:all_shards", "nondeterministic_output_order"]),
    ("lastsave", &["@admin", "@fast", "@dangerous"], &["nondeterministic_output"]),
    ("latency", &["@slow"], &[]),
    ("latency|doctor", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|graph", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|help", &["@slow"], &[]),
    ("latency|histogram", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|history", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|latest", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"]),
    ("latency|reset", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("lcs", &["@read", "@string", "@slow"], &[]),
    ("lindex", &["@read", "@list", "@slow"], &[]),
    ("linsert", &["@write", "@list", "@slow"], &[]),
    ("llen", &["@read", "@list", "@fast"], &[]),
    ("lmove", &["@write", "@list", "@slow"], &[]),
    ("lmpop", &["@write", "@list", "@slow"], &[]),
    ("lolwut", &["@read", "@fast"], &[]),
    ("lpop", &["@write", "@list", "@fast"], &[]),
    ("lpos", &["@read", "@list", "@slow"], &[]),
    ("lpush", &["@write", "@list", "@fast"], &[]),
    ("lpushx", &["@write", "@list", "@fast"], &[]),
    ("lrange", &["@read", "@list", "@slow"], &[]),
    ("lrem", &["@write", "@list", "@slow"], &[]),
    ("lset", &["@write", "@list", "@slow"], &[]),
    ("ltrim", &["@write", "@list", "@slow"], &[]),
    ("memory", &["@slow"], &[]),
    ("memory|doctor", &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("memory|help", &["@slow"], &[]),
    ("memory|malloc-stats", &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("memory|purge", &["@slow"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("memory|stats", &["@slow"], &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ("memory|usage", &["@read", "@slow"], &[]),
    ("mget", &["@read", "@string", "@fast"], &["request_policy:multi_shard"]),
    ("migrate", &["@keyspace", "@write", "@slow", "@dangerous"], &["nondeterministic_output"]),
    ("module", &["@slow"], &[]),
    ("module|help", &["@slow"], &[]),
    ("module|list", &["@admin", "@slow", "@dangerous"], &["nondeterministic_output_order"]),
    ("module|load", &["@admin", "@slow", "@dangerous"], &[]),
    ("module|loadex", &["@admin", "@slow", "@dangerous"], &[]),
    ("module|unload", &["@admin", "@slow", "@dangerous"], &[]),
    ("monitor", &["@admin", "@slow", "@dangerous"], &[]),
    ("move", &["@keyspace", "@write", "@fast"], &[]),
    ("mset", &["@write", "@string", "@slow"], &["request_policy:multi_shard", "response_policy:all_succeeded"]),
    ("msetnx", &["@write", "@string", "@slow"], &["request_policy:multi_shard", "response_policy:agg_min"]),
    ("multi", &["@fast", "@transaction"], &[]),
    ("object", &["@slow"], &[]),
    ("object|encoding", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("object|freq", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("object|help", &["@keyspace", "@slow"], &[]),
    ("object|idletime", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("object|refcount", &["@keyspace", "@read", "@slow"], &["nondeterministic_output"]),
    ("persist", &["@keyspace", "@write", "@fast"], &[]),
    ("pexpire", &["@keyspace", "@write", "@fast"], &[]),
    ("pexpireat", &["@keyspace", "@write", "@fast"], &[]),
    ("pexpiretime", &["@keyspace", "@read", "@fast"], &[]),
    ("pfadd", &["@write", "@hyperloglog", "@fast"], &[]),
    ("pfcount", &["@read", "@hyperloglog", "@slow"], &[]),
    ("pfdebug", &["@write", "@hyperloglog", "@admin", "@slow", "@dangerous"], &[]),
    ("pfmerge", &["@write", "@hyperloglog", "@slow"], &[]),
    ("pfselftest", &["@hyperloglog", "@admin", "@slow", "@dangerous"], &[]),
    ("ping", &["@fast", "@connection"], &["request_policy:all_shards", "response_policy:all_succeeded"]),
    ("psetex", &["@write", "@string", "@slow"], &[]),
    ("psubscribe", &["@pubsub", "@slow"], &[]),
    ("psync", &["@admin", "@slow", "@dangerous"], &[]),
    ("pttl", &["@keyspace", "@read", "@fast"], &["nondeterministic_output"]),
    ("publish", &["@pubsub", "@fast"], &[]),
    ("pubsub", &["@slow"], &[]),
    ("pubsub|channels", &["@pubsub", "@slow"], &[]),
    ("pubsub|help", &["@slow"], &[]),
    ("pubsub|numpat", &["@pubsub", "@slow"], &[]),
    ("pubsub|numsub", &["@pubsub", "@slow"], &[]),
    ("pubsub|shardchannels", &["@pubsub", "@slow"], &[]),
    ("pubsub|shardnumsub", &["@pubsub", "@slow"], &[]),
    ("punsubscribe", &["@pubsub", "@slow"], &[]),
    ("quit", &["@fast", "@connection"], &[]),
    ("randomkey", &["@keyspace", "@read", "@slow"], &["request_policy:all_shards", "nondeterministic_output"]),
    ("readonly", &["@fast", "@connection"], &[]),
    ("readwrite", &["@fast", "@connection"], &[]),
    ("rename", &["@keyspace", "@write", "@slow"], &[]),
    ("renamenx", &["@keyspace", "@write", "@fast"], &[]),
    ("replconf", &["@admin", "@slow", "@dangerous"], &[]),
    ("replicaof", &["@admin", "@slow", "@dangerous"], &[]),
    ("reset", &["@fast", "@connection"], &[]),
    ("restore", &["@keyspace", "@write", "@slow", "@dangerous"], &[]),
    ("restore-asking", &["@keyspace", "@write", "@slow", "@dangerous"], &[]),
    ("role", &["@admin", "@fast", "@dangerous"], &[]),
    ("rpop", &["@write", "@list", "@fast"], &[]),
    ("rpoplpush", &["@write", "@list", "@slow"], &[]),
    ("rpush", &["@write", "@list", "@fast"], &[]),
    ("rpushx", &["@write", "@list", "@fast"], &[]),
    ("sadd", &["@write", "@set", "@fast"], &[]),
    ("save", &["@admin", "@slow", "@dangerous"], &[]),
    ("scan", &["@keyspace", "@read", "@slow"], &["nondeterministic_output", "request_policy:special"]),
    ("scard", &["@read", "@set", "@fast"], &[]),
    ("script", &["@slow"], &[]),
    ("script|debug", &["@slow", "@scripting"], &[]),
    ("script|exists", &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:agg_logical_and"]),
    ("script|flush", &["@slow", "@scripting"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("script|help", &["@slow", "@scripting"], &[]),
    ("script|kill", &["@slow", "@scripting"], &["request_policy:all_shards", "response_policy:one_succeeded"]),
    ("script|load", &["@slow", "@scripting"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("sdiff", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("sdiffstore", &["@write", "@set", "@slow"], &[]),
    ("select", &["@fast", "@connection"], &[]),
    ("set", &["@write", "@string", "@slow"], &[]),
    ("setbit", &["@write", "@bitmap", "@slow"], &[]),
    ("setex", &["@write", "@string", "@slow"], &[]),
    ("setnx", &["@write", "@string", "@fast"], &[]),
    ("setrange", &["@write", "@string", "@slow"], &[]),
    ("shutdown", &["@admin", "@slow", "@dangerous"], &[]),
    ("sinter", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("sintercard", &["@read", "@set", "@slow"], &[]),
    ("sinterstore", &["@write", "@set", "@slow"], &[]),
    ("sismember", &["@read", "@set", "@fast"], &[]),
    ("slaveof", &["@admin", "@slow", "@dangerous"], &[]),
    ("slowlog", &["@slow"], &[]),
    ("slowlog|get", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "nondeterministic_output"]),
    ("slowlog|help", &["@slow"], &[]),
    ("slowlog|len", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"]),
    ("slowlog|reset", &["@admin", "@slow", "@dangerous"], &["request_policy:all_nodes", "response_policy:all_succeeded"]),
    ("smembers", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("smismember", &["@read", "@set", "@fast"], &[]),
    ("smove", &["@write", "@set", "@fast"], &[]),
    ("sort", &["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"], &[]),
    ("sort_ro", &["@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"], &[]),
    ("spop", &["@write", "@set", "@fast"], &["nondeterministic_output"]),
    ("spublish", &["@pubsub", "@fast"], &[]),
    ("srandmember", &["@read", "@set", "@slow"], &["nondeterministic_output"]),
    ("srem", &["@write", "@set", "@fast"], &[]),
    ("sscan", &["@read", "@set", "@slow"], &["nondeterministic_output"]),
    ("ssubscribe", &["@pubsub", "@slow"], &[]),
    ("strlen", &["@read", "@string", "@fast"], &[]),
    ("subscribe", &["@pubsub", "@slow"], &[]),
    ("substr", &["@read", "@string", "@slow"], &[]),
    ("sunion", &["@read", "@set", "@slow"], &["nondeterministic_output_order"]),
    ("sunionstore", &["@write", "@set", "@slow"], &[]),
    ("sunsubscribe", &["@pubsub", "@slow"], &[]),
    ("swapdb", &["@keyspace", "@write", "@fast", "@dangerous"], &[]),
    ("sync", &["@admin", "@slow", "@dangerous"], &[]),
    ("time", &["@fast"], &["nondeterministic_output"]),
    ("touch", &["@keyspace", "@read", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("ttl", &["@keyspace", "@read", "@fast"], &["nondeterministic_output"]),
    ("type", &["@keyspace", "@read", "@fast"], &[]),
    ("unlink", &["@keyspace", "@write", "@fast"], &["request_policy:multi_shard", "response_policy:agg_sum"]),
    ("unsubscribe", &["@pubsub", "@slow"], &[]),
    ("unwatch", &["@fast", "@transaction"], &[]),
    ("wait", &["@slow", "@connection"], &["request_policy:all_shards", "response_policy:agg_min"]),
    ("watch", &["@fast", "@transaction"], &[]),
    ("xack", &["@write", "@stream", "@fast"], &[]),
    ("xadd", &["@write", "@stream", "@fast"], &["nondeterministic_output"]),
    ("xautoclaim", &["@write", "@stream", "@fast"], &["nondeterministic_output"]),
    ("xclaim", &["@write", "@stream", "@fast"], &["nondeterministic_output"]),
    ("xdel", &["@write", "@stream", "@fast"], &[]),
    ("xgroup", &["@slow"], &[]),
    ("xgroup|create", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|createconsumer", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|delconsumer", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|destroy", &["@write", "@stream", "@slow"], &[]),
    ("xgroup|help", &["@stream", "@slow"], &[]),
    ("xgroup|setid", &["@write", "@stream", "@slow"], &[]),
    ("xinfo", &["@slow"], &[]),
    ("xinfo|consumers", &["@read", "@stream", "@slow"], &["nondeterministic_output"]),
    ("xinfo|groups", &["@read", "@stream", "@slow"], &[]),
    ("xinfo|help", &["@stream", "@slow"], &[]),
    ("xinfo|stream", &["@read", "@stream", "@slow"], &[]),
    ("xlen", &["@read", "@stream", "@fast"], &[]),
    ("xpending", &["@read", "@stream", "@slow"], &["nondeterministic_output"]),
    ("xrange", &["@read", "@stream", "@slow"], &[]),
    ("xread", &["@read", "@stream", "@slow", "@blocking"], &[]),
    ("xreadgroup", &["@write", "@stream", "@slow", "@blocking"], &[]),
    ("xrevrange", &["@read", "@stream", "@slow"], &[]),
    ("xsetid", &["@write", "@stream", "@fast"], &[]),
    ("xtrim", &["@write", "@stream", "@slow"], &["nondeterministic_output"]),
    ("zadd", &["@write", "@sortedset", "@fast"], &[]),
    ("zcard", &["@read", "@sortedset", "@fast"], &[]),
    ("zcount", &["@read", "@sortedset", "@fast"], &[]),
    ("zdiff", &["@read", "@sortedset", "@slow"], &[]),
    ("zdiffstore", &["@write", "@sortedset", "@slow"], &[]),
    ("zincrby", &["@write", "@sortedset", "@fast"], &[]),
    ("zinter", &["@read", "@sortedset", "@slow"], &[]),
    ("zintercard", &["@read", "@sortedset", "@slow"], &[]),
    ("zinterstore", &["@write", "@sortedset", "@slow"], &[]),
    ("zlexcount", &["@read", "@sortedset", "@fast"], &[]),
    ("zmpop", &["@write", "@sortedset", "@slow"], &[]),
    ("zmscore", &["@read", "@sortedset", "@fast"], &[]),
    ("zpopmax", &["@write", "@sortedset", "@fast"], &[]),
    ("zpopmin", &["@write", "@sortedset", "@fast"], &[]),
    ("zrandmember", &["@read", "@sortedset", "@slow"], &["nondeterministic_output"]),
    ("zrange", &["@read", "@sortedset", "@slow"], &[]),
    ("zrangebylex", &["@read", "@sortedset", "@slow"], &[]),
    ("zrangebyscore", &["@read", "@sortedset", "@slow"], &[]),
    ("zrangestore", &["@write", "@sortedset", "@slow"], &[]),
    ("zrank", &["@read", "@sortedset", "@fast"], &[]),
    ("zrem", &["@write", "@sortedset", "@fast"], &[]),
    ("zremrangebylex", &["@write", "@sortedset", "@slow"], &[]),
    ("zremrangebyrank", &["@write", "@sortedset", "@slow"], &[]),
    ("zremrangebyscore", &["@write", "@sortedset", "@slow"], &[]),
    ("zrevrange", &["@read", "@sortedset", "@slow"], &[]),
    ("zrevrangebylex", &["@read", "@sortedset", "@slow"], &[]),
    ("zrevrangebyscore", &["@read", "@sortedset", "@slow"], &[]),
    ("zrevrank", &["@read", "@sortedset", "@fast"], &[]),
    ("zscan", &["@read", "@sortedset", "@slow"], &["nondeterministic_output"]),
    ("zscore", &["@read", "@sortedset", "@fast"], &[]),
    ("zunion", &["@read", "@sortedset", "@slow"], &[]),
    ("zunionstore", &["@write", "@sortedset", "@slow"], &[]),
];

/// Where a key spec's search for keys begins (`begin_search`).
#[derive(Debug, PartialEq)]
pub enum Begin {
    /// At this argument.
    Index(i32),
    /// After this keyword, searched from `startfrom` (negative: from the end,
    /// backwards).
    Keyword(&'static str, i32),
    /// Nowhere COMMAND can say (BY / GET patterns, a STORE anywhere).
    Unknown,
}

/// How a key spec's keys are found from there (`find_keys`).
#[derive(Debug, PartialEq)]
pub enum Find {
    /// `lastkey` (relative to the start, negative from the end), `keystep`, `limit`.
    Range(i32, i32, i32),
    /// The key count is at `keynumidx`, the keys start at `firstkey`
    /// (both relative to the start), every `keystep`.
    Keynum(i32, i32, i32),
    Unknown,
}

/// One key spec of a command (`docs` holds every command's).
#[derive(Debug, PartialEq)]
pub struct KeySpec {
    pub notes: &'static str,
    pub flags: &'static [&'static str],
    pub begin: Begin,
    pub find: Find,
}

pub(crate) const fn ks(
    notes: &'static str,
    flags: &'static [&'static str],
    begin: Begin,
    find: Find,
) -> KeySpec {
    KeySpec {
        notes,
        flags,
        begin,
        find,
    }
}

/// A command's key specs: 7.0.15's, from its JSON file.
pub(super) fn key_specs(name: &str) -> Option<&'static [KeySpec]> {
    super::docs::doc(name).map(|d| d.key_specs)
}

impl KeySpec {
    /// The argument positions this spec names in `argv`, as 7.0's
    /// getKeysUsingKeySpecs finds them: empty when its keyword is absent,
    /// None when the spec cannot say (unknown, out of bounds, an
    /// unparsable key count, or marked incomplete).
    pub fn positions(&self, argv: &[bytes::Bytes]) -> Option<Vec<usize>> {
        let argc = argv.len() as i64;
        let first = match self.begin {
            Begin::Index(i) => i as i64,
            Begin::Keyword(kw, from) => {
                let hit = |i: &i64| argv[*i as usize].eq_ignore_ascii_case(kw.as_bytes());
                // The keyword must be followed by something: the last
                // argument (forwards) or the first (backwards) is not tried.
                let found = if from > 0 {
                    (from as i64..argc - 1).find(hit)
                } else {
                    (2..=argc + from as i64).rev().find(hit)
                };
                match found {
                    Some(i) => i + 1,
                    None => return Some(Vec::new()),
                }
            }
            Begin::Unknown => return None,
        };
        let (first, last, step) = match self.find {
            Find::Range(lastkey, step, limit) => {
                let last = if lastkey >= 0 {
                    first + lastkey as i64
                } else if limit == 0 {
                    argc + lastkey as i64
                } else {
                    first + (argc - first) / limit as i64 + lastkey as i64
                };
                (first, last, step as i64)
            }
            Find::Keynum(idx, firstkey, step) => {
                let n = argv
                    .get((first + idx as i64) as usize)
                    .and_then(|a| crate::resp::parse_i64(a))
                    .filter(|n| *n >= 0)?;
                let start = first + firstkey as i64;
                (start, start + n - 1, step as i64)
            }
            Find::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || step <= 0 {
            return None;
        }
        let v = (first..=last)
            .step_by(step as usize)
            .map(|i| i as usize)
            .collect();
        if self.flags.contains(&"incomplete") {
            return None;
        }
        Some(v)
    }
}

/// getKeysUsingKeySpecs over a command's specs: each key's position and
/// flags, specs in order, `not_key` specs skipped; None when a spec cannot
/// say (the command's own key finder decides then).
pub(super) fn keys_by_specs(
    specs: &'static [KeySpec],
    argv: &[bytes::Bytes],
) -> Option<Vec<(usize, &'static [&'static str])>> {
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags.contains(&"not_key") {
            continue;
        }
        for i in spec.positions(argv)? {
            keys.push((i, spec.flags));
        }
    }
    Some(keys)
}

pub(super) fn meta(
    name: &str,
) -> Option<&'static (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
)> {
    META.binary_search_by(|m| m.0.cmp(name))
        .ok()
        .map(|i| &META[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_is_sorted() {
        assert!(META.windows(2).all(|w| w[0].0 < w[1].0));
    }

    /// META's tips are the JSON files' (COMMAND INFO prints those).
    #[test]
    fn tables_match_the_json() {
        use crate::commands::docs::doc;
        let mut wrong = Vec::new();
        for (name, _, tips) in META {
            match doc(name) {
                Some(d) if d.tips == *tips => {}
                Some(d) => wrong.push(format!("{name}: tips {tips:?}, JSON {:?}", d.tips)),
                None => wrong.push(format!("{name}: not in the JSON")),
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
