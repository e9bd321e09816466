//! DEBUG, the subcommands Redis 7.0's test suites use, allowed as
//! `enable-debug-command` says. Replies and error texts follow 7.0's
//! debug.c. What concerns an internal layout we do not have (quicklist
//! nodes, listpacks, allocator tuning) is either accepted where the setting
//! has a meaning for us or left out; no figure is made up.

use super::container::{help, text};
use super::digest::{dataset_digest, value_digest};
use super::sha1::hex;
use super::{arg_i64, eq_ignore_case, err, lower, CmdResult, Ctx, Error, Propagate};
use crate::keyspace::{Db, Object, Value};
use crate::node::LogLevel;
use crate::server::config::Key;
use bytes::Bytes;

const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

pub(super) fn debug(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let allowed = match ctx.srv.config.get(Key::ENABLE_DEBUG_COMMAND) {
        "yes" => true,
        "local" => crate::server::is_loopback(&ctx.client.addr.host),
        _ => false,
    };
    if !allowed {
        return Err(DEBUG_NOT_ALLOWED.into());
    }
    // Nothing DEBUG does is fed to replicas (DEBUG REPLICATE feeds its own).
    ctx.propagate = Propagate::Nothing;
    let sub = lower(&args[1]);
    match (sub.as_str(), args.len()) {
        ("help", 2) => help(ctx.out(), "DEBUG", HELP),
        ("log", 3) => {
            let msg = format!("DEBUG LOG: {}", text(&args[2]));
            ctx.srv.log(LogLevel::Warning, msg);
            ctx.out().ok();
        }
        ("error", 3) => ctx.out().error(&text(&args[2])),
        // No reply: the process goes down (the host's crash report says why).
        ("segfault", 2) => ctx.srv.emit(crate::node::Event::Crash { report: None }),
        ("config-rewrite-force-all", 2) => {
            if let Err(e) = super::config_cmd::rewrite(ctx, true)? {
                return Err(format!("ERR CONFIG-REWRITE-FORCE-ALL failed: {e}").into());
            }
            ctx.out().ok();
        }
        ("reload", _) => reload(ctx, &args[2..])?,
        ("object", 3) => object(ctx, &args[2])?,
        ("populate", 3..=5) => populate(ctx, args)?,
        ("digest", 2) => {
            let d = dataset_digest(&ctx.srv.dbs);
            ctx.out().simple(&hex(&d));
        }
        ("digest-value", _) => {
            let db = ctx.client.db;
            let digests: Vec<String> = args[2..]
                .iter()
                .map(|k| hex(&value_digest(&ctx.srv.dbs[db], k)))
                .collect();
            let out = ctx.out();
            out.array(digests.len());
            digests.iter().for_each(|d| out.simple(d));
        }
        ("protocol", 3) => protocol(ctx, &args[2])?,
        ("sleep", 3) => {
            // Like Redis's strtod: junk reads as 0.
            let secs = crate::resp::parse_f64(&args[2]).unwrap_or(0.0);
            let ms = if secs.is_finite() && secs > 0.0 {
                (secs * 1000.0).min(1e15) as u64
            } else {
                0
            };
            if ms > 0 {
                // The whole node stops: nothing runs and nothing is sent until then.
                ctx.srv.paused_until = ctx.now.saturating_add(ms);
            }
            ctx.out().ok();
        }
        // The reply comes from the server once it has reloaded.
        ("loadaof", 2) => ctx.srv.aof.load_requested = true,
        ("aof-flush-sleep", 3) => {
            // Redis sleeps this many µs before each AOF write, for race
            // tests; the core cannot sleep, and the host writes at once.
            ctx.out().ok();
        }
        ("replybuffer", 4) => {
            let what = lower(&args[2]);
            let policy = &mut ctx.srv.reply_buffers;
            match what.as_str() {
                "peak-reset-time" => {
                    policy.peak_reset_ms = if eq_ignore_case(&args[3], "never") {
                        -1
                    } else if eq_ignore_case(&args[3], "reset") {
                        crate::server::reply_buffer::DEFAULT_PEAK_RESET_MS
                    } else {
                        arg_i64(&args[3])?
                    };
                }
                "resizing" => policy.resizing = atoi(&args[3]) != 0,
                _ => {
                    return Err(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                    text(&args[1])
                )
                    .into())
                }
            }
            ctx.out().ok();
        }
        ("pause-cron", 3) => {
            ctx.srv.pause_cron = atoi(&args[2]) != 0;
            ctx.out().ok();
        }
        ("set-disable-deny-scripts", 3) => {
            ctx.srv.scripting.allow_noscript = atoi(&args[2]) != 0;
            ctx.out().ok();
        }
        ("set-skip-checksum-validation", 3) => {
            ctx.srv.skip_checksum_validation = atoi(&args[2]) != 0;
            ctx.out().ok();
        }
        ("set-active-expire", 3) => {
            let on = atoi(&args[2]) != 0;
            ctx.srv
                .dbs
                .iter_mut()
                .for_each(|db| db.active_expire_off = !on);
            ctx.out().ok();
        }
        ("quicklist-packed-threshold", 3) => {
            // Where a quicklist stores an element in a node of its own. Our
            // lists keep every element alike, so no layout depends on it:
            // the value is checked as 7.0 checks it and has nothing to change.
            let size = crate::server::config::parse_memory(&text(&args[2]));
            if size.is_none_or(|s| s > (1 << 32) - (1 << 20)) {
                return Err(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb".into(),
                );
            }
            ctx.out().ok();
        }
        ("htstats", 3) => htstats(ctx, &args[2])?,
        ("htstats-key", 3) => htstats_key(ctx, &args[2])?,
        ("change-repl-id", 2) => {
            ctx.srv.log(
                LogLevel::Warning,
                "Changing replication IDs after receiving DEBUG change-repl-id",
            );
            let id = ctx.srv.rng.hex_id();
            let repl = &mut ctx.srv.repl;
            repl.replid = id;
            repl.replid2 = crate::replication::NULL_REPLID.into();
            repl.second_offset = -1;
            ctx.out().ok();
        }
        ("replicate", n) if n >= 3 => {
            // Fed to replicas as it is, whatever it does to their data.
            ctx.propagate = Propagate::Replace(vec![args[2..].to_vec()]);
            ctx.out().ok();
        }
        ("stringmatch-test", 2) => {
            stringmatch_fuzz(ctx);
            ctx.out()
                .simple("Apparently Redis did not crash: test passed");
        }
        _ => {
            return Err(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                text(&args[1])
            )
            .into())
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
];

/// C's atoi: leading blanks, a sign, digits; anything else ends the number.
fn atoi(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.wrapping_mul(10).wrapping_add((d - b'0') as i64)
        });
    if neg {
        -n
    } else {
        n
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the dataset to `dbfilename`
/// and load it back. The core has no disk: it loads the very bytes it hands
/// the host to write.
fn reload(ctx: &mut Ctx, opts: &[Bytes]) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for o in opts {
        match lower(o).as_str() {
            "merge" => merge = true,
            "noflush" => flush = false,
            "nosave" => save = false,
            _ => {
                return Err(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.".into(),
                )
            }
        }
    }
    const LOAD_FAILED: &str = "ERR Error trying to load the RDB dump";
    // NOFLUSH without MERGE meets every key (and library) twice, on which
    // 7.0 fails.
    let has_data = ctx.srv.total_keys() > 0 || !ctx.srv.scripting.library_codes().is_empty();
    if !flush && !merge && has_data {
        return Err(LOAD_FAILED.into());
    }
    let bytes = if save {
        let bytes = ctx.srv.rdb_snapshot(None);
        if !ctx.srv.save() {
            return Err("ERR".into());
        }
        ctx.srv.persist.debug_reload_file = Some(bytes.clone());
        bytes
    } else {
        // NOSAVE loads the file as it is on disk (a SYNC, redis-cli --rdb or
        // the user may have put it there). A host without files: the one the
        // last DEBUG RELOAD wrote stands in for it.
        let file = ctx.srv.config.get(Key::DBFILENAME).to_string();
        match ctx.srv.host.files.as_ref().map(|f| f.read(&file)) {
            Some(Some(b)) => b,
            Some(None) => return Err(LOAD_FAILED.into()),
            None => match &ctx.srv.persist.debug_reload_file {
                Some(b) => b.clone(),
                None => return Err(LOAD_FAILED.into()),
            },
        }
    };
    if !flush {
        // NOFLUSH MERGE: the file's keys and libraries replace the same
        // ones; the rest stays.
        let Ok(loaded) = crate::rdb::decode_with(&bytes, ctx.srv.dbs.len()) else {
            return Err(LOAD_FAILED.into());
        };
        for (i, db) in loaded.dbs.into_iter().enumerate() {
            let (keys, expires) = db.into_parts();
            for (k, o) in keys.iter() {
                ctx.srv.dbs[i].set(k.to_bytes(), o.clone());
                if let Some(&at) = expires.get(&k[..]) {
                    ctx.srv.dbs[i].set_expire(k, at);
                }
            }
        }
        ctx.srv.scripting.merge_libraries(&loaded.functions);
    } else if ctx.srv.load_rdb_quiet(&bytes).is_err() {
        return Err(LOAD_FAILED.into());
    }
    ctx.srv
        .log(LogLevel::Warning, "DB reloaded by DEBUG RELOAD");
    ctx.out().ok();
    Ok(())
}

/// DEBUG OBJECT: 7.0's line. `Value at` is where the object lives,
/// `serializedlength` the size of the value as our RDB writer writes it.
/// `lru` is the object's access stamp and `lru_seconds_idle` the idle time
/// it gives (under LFU both read the stamp as an LRU clock, as 7.0 does).
/// A quicklist's node figures are left
/// out: our lists have no nodes.
fn object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now;
    let db = &ctx.srv.dbs[ctx.client.db];
    // Like Redis, the key is looked up without expiring it.
    let Some(obj) = db.keys().get(key) else {
        return Err(err::NO_SUCH_KEY.into());
    };
    let shared_int = obj.encoding() == "int"
        && matches!(&obj.value, Value::Str(s) if crate::resp::parse_i64(s).is_some_and(|v| (0..10000).contains(&v)));
    let policy = ctx.srv.config.maxmemory_policy();
    let no_shared = ctx.srv.config.maxmemory() != 0 && (policy.is_lfu() || policy.is_lru());
    let refcount = if shared_int && !no_shared {
        i32::MAX
    } else {
        1
    };
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        obj as *const Object,
        refcount,
        obj.encoding(),
        serialized_len(key, obj),
        obj.lru(),
        crate::keyspace::lru::idle_ms(obj.lru(), now) / 1000
    );
    ctx.out().simple(&line);
    Ok(())
}

/// The bytes the value of `key` takes in our RDB files: a one-key file less
/// the same file holding an empty string instead (whose value is one byte).
fn serialized_len(key: &[u8], obj: &Object) -> usize {
    let file = |o: Object| {
        let mut db = Db::default();
        db.set(Bytes::copy_from_slice(key), o);
        let aux = crate::rdb::Aux::for_save(0, 0, None);
        crate::rdb::encode(std::slice::from_ref(&db), &aux).len()
    };
    let empty = Object::new(Value::Str(Default::default()));
    file(obj.clone()) + 1 - file(empty)
}

/// DEBUG POPULATE count [prefix] [size]: string keys `prefix:N` holding
/// `value:N` (cut or padded with zero bytes to `size`), existing keys left
/// alone. Not propagated and not counted as changes, as in Redis.
fn populate(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let positive = |b: &Bytes| -> Result<u64, Error> {
        let n = arg_i64(b)?;
        u64::try_from(n).map_err(|_| err::NOT_POSITIVE.into())
    };
    let count = positive(&args[2])?;
    let size = match args.get(4) {
        Some(s) => Some(positive(s)? as usize),
        None => None,
    };
    let prefix = args.get(3).map_or(&b"key"[..], |p| &p[..]);
    let now = ctx.now;
    let dbi = ctx.client.db;
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{j}").as_bytes());
        // snprintf into Redis's 128-byte buffer.
        key.truncate(127);
        if ctx.srv.dbs[dbi].exists_for_write(&key, now) {
            continue;
        }
        let mut val = format!("value:{j}").into_bytes();
        if let Some(size) = size.filter(|&s| s > 0) {
            val.resize(size, 0);
        }
        let key = Bytes::from(key);
        ctx.srv.dbs[dbi].set(key.clone(), Object::new(Value::Str(val.into())));
        ctx.touch(&key);
    }
    ctx.out().ok();
    Ok(())
}

/// DEBUG PROTOCOL <type>: one reply of each RESP type.
fn protocol(ctx: &mut Ctx, name: &[u8]) -> CmdResult {
    let resp3 = ctx.client.reply.is_resp3();
    let out = ctx.out();
    match lower(name).as_str() {
        "string" => out.bulk(b"Hello World"),
        "integer" => out.int(12345),
        // Redis's test value, not pi.
        #[allow(clippy::approx_constant)]
        "double" => out.double(3.141),
        "bignum" => {
            let n = "1234567999999999999999999999999999999";
            if resp3 {
                out.raw(format!("({n}\r\n").as_bytes());
            } else {
                out.bulk(n.as_bytes());
            }
        }
        "null" => out.null(),
        "array" | "set" | "map" => {
            let kind = lower(name);
            match kind.as_str() {
                "array" => out.array(3),
                "set" => out.set(3),
                _ => out.map(3),
            }
            for j in 0..3 {
                out.int(j);
                if kind == "map" {
                    out.boolean(j == 1);
                }
            }
        }
        "attrib" => {
            if resp3 {
                out.raw(b"|1\r\n");
                out.bulk(b"key-popularity");
                out.array(2);
                out.bulk(b"key:123");
                out.int(90);
            }
            // An attribute is no reply of its own: a real one follows.
            out.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if !resp3 {
                return Err("ERR RESP2 is not supported by this command".into());
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.int(42);
            out.bulk(b"Some real reply following the push reply");
        }
        "true" => out.boolean(true),
        "false" => out.boolean(false),
        "verbatim" => out.verbatim(b"This is a verbatim\nstring"),
        _ => return Err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false".into()),
    }
    Ok(())
}

/// dictGetStats of 7.0: table 0, and table 1 while a rehash runs.
fn dict_stats<K: std::hash::Hash + Eq, V>(d: &crate::keyspace::Dict<K, V>) -> String {
    let mut s = table_stats(d, 0);
    if d.is_rehashing() {
        s.push_str(&table_stats(d, 1));
    }
    s
}

/// `_dictGetStatsHt`: one table's size, elements and chain lengths.
fn table_stats<K: std::hash::Hash + Eq, V>(d: &crate::keyspace::Dict<K, V>, t: usize) -> String {
    let name = match t {
        0 => "main hash table",
        _ => "rehashing target",
    };
    let used = d.table_len(t);
    if used == 0 {
        return format!(
            "Hash table {t} stats ({name}):\nNo stats available for empty dictionaries\n"
        );
    }
    // Chains of 49 and more share the last cell, which is not printed.
    const VECTLEN: usize = 50;
    let mut lengths = [0u64; VECTLEN];
    let (mut slots, mut max, mut total) = (0u64, 0, 0u64);
    for n in d.chain_lengths(t) {
        lengths[n.min(VECTLEN - 1)] += 1;
        if n > 0 {
            slots += 1;
            max = max.max(n);
            total += n as u64;
        }
    }
    let size = d.table_size(t);
    let mut s = format!(
        "Hash table {t} stats ({name}):\n table size: {size}\n number of elements: {used}\n different slots: {slots}\n max chain length: {max}\n avg chain length (counted): {:.2}\n avg chain length (computed): {:.2}\n Chain length distribution:\n",
        total as f32 / slots as f32,
        used as f32 / slots as f32
    );
    for (i, &n) in lengths[..VECTLEN - 1].iter().enumerate() {
        if n > 0 {
            s.push_str(&format!(
                "   {i}: {n} ({:.2}%)\n",
                n as f32 / size as f32 * 100.0
            ));
        }
    }
    s
}

/// DEBUG HTSTATS <dbid>: the key and expiry tables of a database.
fn htstats(ctx: &mut Ctx, dbid: &[u8]) -> CmdResult {
    let id = arg_i64(dbid)?;
    let Some(db) = usize::try_from(id).ok().and_then(|i| ctx.srv.dbs.get(i)) else {
        return Err("ERR Out of range database".into());
    };
    let stats = format!(
        "[Dictionary HT]\n{}[Expires HT]\n{}",
        dict_stats(db.keys()),
        dict_stats(db.expires())
    );
    ctx.out().verbatim(stats.as_bytes());
    Ok(())
}

/// DEBUG HTSTATS-KEY <key>: the hash table of a hashtable-encoded hash or
/// set, or of a skiplist zset.
fn htstats_key(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let Some(obj) = ctx.lookup(key) else {
        return Err(err::NO_SUCH_KEY.into());
    };
    let stats = match (&obj.value, obj.encoding()) {
        (Value::Hash(h), "hashtable") => h.table().map(dict_stats),
        (Value::Set(s), "hashtable") => s.table().map(dict_stats),
        (Value::ZSet(z), "skiplist") => z.dict().map(dict_stats),
        _ => None,
    };
    let Some(stats) = stats else {
        return Err(
            "ERR The value stored at the specified key is not represented using an hash table"
                .into(),
        );
    };
    ctx.out().verbatim(stats.as_bytes());
    Ok(())
}

/// DEBUG STRINGMATCH-TEST: 7.0's fuzzer of the glob matcher, random
/// patterns against random strings, where passing means not crashing.
fn stringmatch_fuzz(ctx: &mut Ctx) {
    let rng = &mut ctx.srv.rng;
    for _ in 0..1_000_000 / 100 {
        let mut random = |max: u64| {
            let len = (rng.next_u64() % max) as usize;
            (0..len).map(|_| rng.next_u64() as u8).collect::<Vec<u8>>()
        };
        let pattern = random(32);
        let s = random(32);
        super::glob_match(&pattern, &s, false);
        super::glob_match(&pattern, &s, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testkit::Kit;
    use crate::node::Node;

    #[test]
    fn debug_sleep_pauses_the_node() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "DEBUG SLEEP 1"),
            format!("-{}\r\n", DEBUG_NOT_ALLOWED)
        );
        k.srv
            .st
            .config
            .set(Key::ENABLE_DEBUG_COMMAND, &["yes".into()])
            .unwrap();
        k.connect(2);
        // The reply to DEBUG SLEEP is held, and so is everything else.
        assert_eq!(k.cmd(1, "DEBUG SLEEP 0.5"), "");
        assert_eq!(k.srv.poll_timeout(), Some(k.now + 500));
        assert_eq!(k.cmd(2, "PING"), "");
        assert_eq!(k.cmd(1, "PING"), "");
        k.tick(499);
        assert!(k.inbox.is_empty());
        k.tick(1);
        assert_eq!(k.take(1), "+OK\r\n+PONG\r\n");
        assert_eq!(k.take(2), "+PONG\r\n");
        assert!(k.srv.poll_timeout().unwrap() <= k.now + 100);
        assert_eq!(k.cmd(1, "DEBUG SLEEP 0"), "+OK\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG foo"),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(k.cmd(1, "DEBUG OBJECT nokey"), "-ERR no such key\r\n");
        k.put_str(0, "k", "v");
        assert!(k.cmd(1, "DEBUG OBJECT k").starts_with("+Value at:"));
    }

    /// A kit whose server allows DEBUG.
    fn kit() -> Kit {
        let mut k = Kit::new();
        k.srv
            .st
            .config
            .set(Key::ENABLE_DEBUG_COMMAND, &["yes".into()])
            .unwrap();
        k
    }

    fn simple(s: &str) -> String {
        format!("+{s}\r\n")
    }

    #[test]
    fn digests_are_redis_digests() {
        let mut k = kit();
        // Figures from Redis 7.0.15 for the same commands.
        assert_eq!(
            k.cmd(1, "DEBUG DIGEST"),
            simple("0000000000000000000000000000000000000000")
        );
        for c in [
            "SET s hello",
            "SET n 12345",
            "RPUSH l a b c 1 2",
            "SADD st x y 7 z",
            "SADD si 1 2 3",
            "ZADD z 1 a 2.5 b -3 c 1e300 d",
            "HSET h f1 v1 f2 v2",
            "SET e v EX 1000",
        ] {
            k.cmd(1, c);
        }
        k.cmd(2, "SELECT 3");
        k.cmd(2, "SET other 1");
        assert_eq!(
            k.cmd(1, "DEBUG DIGEST"),
            simple("e54d4df13ec1560d2c5df74b1e4b6265ca9eaae7")
        );
        let values = [
            "36b23a1456b2dce2c3ed252c456761301dba8060",
            "e1cf90774e995ae03de66e8109dc5cb9d9c2dc83",
            "f48a1249517530ff1906fc79ddbf9b687f71f06f",
            "9ff234b0f66c531ac2cc2d841fe223f412f843fe",
            "2a462a3f51a1db89738ebbeef0c47ce1bbc85246",
            "eca440e4e3e3872764fb1b2139140bfe8e72d657",
            "047cc60ea73a34cde6d08a2721a4a26d19ee6570",
            "311b17018163335616e089f6b951c82c477335ac",
            "0000000000000000000000000000000000000000",
        ];
        let expect: String = std::iter::once("*9\r\n".to_string())
            .chain(values.iter().map(|v| simple(v)))
            .collect();
        assert_eq!(
            k.cmd(1, "DEBUG DIGEST-VALUE s n l st si z h e nokey"),
            expect
        );
        assert_eq!(
            k.cmd(2, "DEBUG DIGEST-VALUE other"),
            "*1\r\n+b4fc66738120fba0b5aa500ab5c2bf89cea1c5da\r\n"
        );
        // Order matters in a list and nowhere else.
        k.cmd(1, "RPUSH l2 b a c 1 2");
        k.cmd(1, "SADD st2 z 7 y x");
        let d = k.cmd(1, "DEBUG DIGEST-VALUE l2 st2");
        assert!(!d.contains(values[2]) && d.contains(values[3]));
    }

    #[test]
    fn protocol_replies_each_type() {
        let mut k = kit();
        assert_eq!(k.cmd(1, "DEBUG PROTOCOL string"), "$11\r\nHello World\r\n");
        assert_eq!(k.cmd(1, "DEBUG PROTOCOL double"), "$5\r\n3.141\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG PROTOCOL attrib"),
            "$39\r\nSome real reply following the attribute\r\n"
        );
        assert_eq!(
            k.cmd(1, "DEBUG PROTOCOL push"),
            "-ERR RESP2 is not supported by this command\r\n"
        );
        assert_eq!(k.cmd(1, "DEBUG PROTOCOL true"), ":1\r\n");
        assert!(k
            .cmd(1, "DEBUG PROTOCOL nope")
            .starts_with("-ERR Wrong protocol type name."));
        k.resp3(1);
        assert_eq!(k.cmd(1, "DEBUG PROTOCOL double"), ",3.141\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG PROTOCOL bignum"),
            "(1234567999999999999999999999999999999\r\n"
        );
        assert_eq!(k.cmd(1, "DEBUG PROTOCOL null"), "_\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG PROTOCOL map"),
            "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"
        );
        assert_eq!(k.cmd(1, "DEBUG PROTOCOL set"), "~3\r\n:0\r\n:1\r\n:2\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG PROTOCOL attrib"),
            "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"
        );
        assert_eq!(
            k.cmd(1, "DEBUG PROTOCOL push"),
            ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n"
        );
        assert_eq!(
            k.cmd(1, "DEBUG PROTOCOL verbatim"),
            "=29\r\ntxt:This is a verbatim\nstring\r\n"
        );
    }

    #[test]
    fn set_active_expire_switches_the_expire_cycle() {
        let mut k = kit();
        assert_eq!(k.cmd(1, "DEBUG SET-ACTIVE-EXPIRE 0"), "+OK\r\n");
        k.cmd(1, "SET k v PX 10");
        k.tick(1000);
        assert_eq!(k.srv.st.dbs[0].len(), 1, "no background expiry");
        assert_eq!(k.cmd(1, "DEBUG SET-ACTIVE-EXPIRE 1"), "+OK\r\n");
        k.tick(1000);
        assert_eq!(k.srv.st.dbs[0].len(), 0);
    }

    #[test]
    fn reload_saves_and_loads_the_dataset() {
        let mut k = kit();
        k.cmd(1, "RPUSH l a b c");
        k.cmd(1, "SET t v EX 100");
        let before = k.cmd(1, "DEBUG DIGEST");
        k.events.clear();
        assert_eq!(k.cmd(1, "DEBUG RELOAD"), "+OK\r\n");
        assert!(k
            .events
            .iter()
            .any(|e| matches!(e, crate::node::Event::Persist { file, .. } if file == "dump.rdb")));
        assert_eq!(k.srv.st.dirty, 0);
        assert_eq!(k.cmd(1, "DEBUG DIGEST"), before);
        assert_eq!(k.cmd(1, "DEBUG RELOAD MERGE NOFLUSH"), "+OK\r\n");
        assert_eq!(k.cmd(1, "DEBUG DIGEST"), before);
        assert_eq!(
            k.cmd(1, "DEBUG RELOAD NOFLUSH"),
            "-ERR Error trying to load the RDB dump\r\n"
        );
        assert_eq!(
            k.cmd(1, "DEBUG RELOAD FOO"),
            "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
        );
    }

    #[test]
    fn populate_adds_missing_string_keys() {
        let mut k = kit();
        k.cmd(1, "SET key:1 mine");
        k.feed();
        assert_eq!(k.cmd(1, "DEBUG POPULATE 3"), "+OK\r\n");
        assert_eq!(k.cmd(1, "GET key:0"), "$7\r\nvalue:0\r\n");
        assert_eq!(k.cmd(1, "GET key:1"), "$4\r\nmine\r\n");
        assert_eq!(k.cmd(1, "DBSIZE"), ":3\r\n");
        assert_eq!(k.cmd(1, "DEBUG POPULATE 2 p 10"), "+OK\r\n");
        assert_eq!(k.cmd(1, "GET p:1"), "$10\r\nvalue:1\0\0\0\r\n");
        assert_eq!(k.cmd(1, "DEBUG POPULATE 1 q 3"), "+OK\r\n");
        assert_eq!(k.cmd(1, "GET q:0"), "$3\r\nval\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG POPULATE -1"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert!(k.feed().is_empty(), "not propagated");
        assert_eq!(k.cmd(1, "DEBUG REPLICATE SET x y"), "+OK\r\n");
        assert_eq!(k.feed(), ["SET x y"]);
        assert_eq!(k.cmd(1, "EXISTS x"), ":0\r\n");
    }

    #[test]
    fn settings_and_stats() {
        let mut k = kit();
        assert_eq!(k.cmd(1, "DEBUG QUICKLIST-PACKED-THRESHOLD 1b"), "+OK\r\n");
        assert_eq!(k.cmd(1, "DEBUG QUICKLIST-PACKED-THRESHOLD 0"), "+OK\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG QUICKLIST-PACKED-THRESHOLD 5gb"),
            "-ERR argument must be a memory value bigger than 1 and smaller than 4gb\r\n"
        );
        let id = k.srv.st.repl.replid.clone();
        assert_eq!(k.cmd(1, "DEBUG CHANGE-REPL-ID"), "+OK\r\n");
        assert_ne!(k.srv.st.repl.replid, id);
        k.cmd(1, "HSET small f v");
        assert_eq!(
            k.cmd(1, "DEBUG HTSTATS-KEY small"),
            "-ERR The value stored at the specified key is not represented using an hash table\r\n"
        );
        k.cmd(1, "SADD big a b c");
        let stats = k.cmd(1, "DEBUG HTSTATS-KEY big");
        assert!(stats.contains(" number of elements: 3\n"), "{stats}");
        // The fifth member finds the table full: 7.0 moves to a table of 8
        // a bucket per operation, the new member already there.
        k.cmd(1, "SADD big d e");
        let stats = k.cmd(1, "DEBUG HTSTATS-KEY big");
        assert!(
            stats.contains(" table size: 4\n number of elements: 4\n")
                && stats.contains("Hash table 1 stats (rehashing target):\n table size: 8\n number of elements: 1\n"),
            "{stats}"
        );
        let stats = k.cmd(1, "DEBUG HTSTATS 0");
        assert!(stats.starts_with("$") && stats.contains("[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"));
        // Three more keys fill the key table of 4: the cron finishes the
        // rehash a write began (activerehashing).
        k.cmd(1, "MSET k1 v k2 v k3 v");
        let stats = k.cmd(1, "DEBUG HTSTATS 0");
        assert!(
            stats.contains("(rehashing target):\n table size: 8\n"),
            "{stats}"
        );
        k.tick(1000);
        let stats = k.cmd(1, "DEBUG HTSTATS 0");
        assert!(
            !stats.contains("rehashing target")
                && stats.contains(" table size: 8\n number of elements: 5\n"),
            "{stats}"
        );
        assert_eq!(
            k.cmd(1, "DEBUG HTSTATS 99"),
            "-ERR Out of range database\r\n"
        );
        let obj = k.cmd(1, "DEBUG OBJECT small");
        assert!(
            obj.contains(" encoding:listpack serializedlength:"),
            "{obj}"
        );
        assert_eq!(
            k.cmd(1, "DEBUG STRINGMATCH-TEST"),
            "+Apparently Redis did not crash: test passed\r\n"
        );
        assert_eq!(k.cmd(1, "DEBUG ERROR boom"), "-boom\r\n");
    }
}
