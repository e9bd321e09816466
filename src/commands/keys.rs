//! Keyspace commands: DEL, EXISTS, EXPIRE, SCAN, RENAME, OBJECT, ...
//!
//! Semantics, replies, errors and propagation follow Redis 7.0's `db.c`,
//! `expire.c` and `object.c`.

use super::scan::{self, ScanOpts};
use super::strings::{del_or_unlink, invalid_expire, read_lookup};
use super::{
    arg_i64, def, eq_ignore_case, err, flags::*, glob_match, unknown_subcommand, wrong_arity,
    CmdResult, CommandDef, Ctx, Error, Propagate,
};
use crate::keyspace::Value;
use crate::server::config::Key;
use crate::server::notify::class as N;
use bytes::Bytes;

fn bs(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

fn del_generic(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let lazy =
        eq_ignore_case(&args[0], "unlink") || ctx.srv.config.get_bool(Key::LAZYFREE_LAZY_USER_DEL);
    let mut n = 0;
    for k in &args[1..] {
        let db = ctx.db();
        db.expire_if_needed(k, now);
        let Some(value) = db.delete_taking(k) else {
            continue;
        };
        if let (true, Some(value)) = (lazy, value) {
            ctx.srv.lazyfree.free(value);
        }
        n += 1;
        ctx.notify(N::GENERIC, "del", k);
    }
    ctx.dirty(n as u64);
    ctx.out().int(n);
    Ok(())
}

/// EXISTS, and TOUCH: with no access times kept, touching a key is looking
/// it up.
fn exists(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut n = 0;
    for k in &args[1..] {
        if read_lookup(ctx, k).is_some() {
            n += 1;
        }
    }
    ctx.out().int(n);
    Ok(())
}

fn type_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let t = read_lookup(ctx, &args[1]).map_or("none", |o| o.type_name());
    ctx.out().simple(t);
    Ok(())
}

fn keys(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let pat = &args[1][..];
    let all = pat == b"*";
    let db = ctx.db();
    let found: Vec<Bytes> = db
        .keys()
        .keys()
        .filter(|k| all || glob_match(pat, k, false))
        .filter(|k| db.expires().get(&k[..]).is_none_or(|&at| at > now))
        .map(|k| k.to_bytes())
        .collect();
    ctx.out().array(found.len());
    for (i, k) in found.iter().enumerate() {
        // A client over its output buffer limit is being closed: the rest
        // of the reply would only be dropped.
        if i % 1024 == 0 && ctx.reply_over_limit() {
            break;
        }
        ctx.out().bulk(k);
    }
    Ok(())
}

fn scan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan::parse_cursor(&args[1])?;
    let opts = ScanOpts::parse(&args[2..], true)?;
    let mut found: Vec<Bytes> = Vec::new();
    let cursor = scan::walk(ctx.db().keys(), cursor, opts.count, 1, |k, _| {
        found.push(k.to_bytes())
    });
    let now = ctx.now;
    let mut keep = Vec::with_capacity(found.len());
    for k in found {
        if !opts.matches(&k) {
            continue;
        }
        if let Some(t) = &opts.type_name {
            let tn = ctx
                .db()
                .keys()
                .get(&k[..])
                .map_or("none", |o| o.type_name());
            if !t.eq_ignore_ascii_case(tn.as_bytes()) {
                continue;
            }
        }
        if ctx.db().expire_if_needed(&k, now) {
            continue;
        }
        keep.push(k);
    }
    scan::reply(ctx.out(), cursor, &keep);
    Ok(())
}

fn rename_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    if !ctx.exists_for_write(src) {
        return Err(err::NO_SUCH_KEY.into());
    }
    if src == dst {
        if nx {
            ctx.out().int(0);
        } else {
            ctx.out().ok();
        }
        return Ok(());
    }
    let dst_exists = ctx.exists_for_write(dst);
    if dst_exists && nx {
        ctx.out().int(0);
        return Ok(());
    }
    let db = ctx.db();
    let expire = db.ttl_at(src);
    if let Some(obj) = db.remove(src) {
        db.delete(dst);
        db.set(dst.clone(), obj);
        if let Some(at) = expire {
            db.set_expire(dst, at);
        }
    }
    ctx.dirty(1);
    ctx.notify(N::GENERIC, "rename_from", src);
    ctx.notify(N::GENERIC, "rename_to", dst);
    if nx {
        ctx.out().int(1);
    } else {
        ctx.out().ok();
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let dbi = ctx.client.db;
    let mut tries = 100;
    loop {
        let r = ctx.srv.rng.next_u64();
        let db = &mut ctx.srv.dbs[dbi];
        let all_volatile = db.keys().len() == db.expires().len();
        let Some(key) = db.keys().random_entry(r).map(|(k, _)| k.clone()) else {
            ctx.out().null();
            return Ok(());
        };
        if db.expires().contains_key(&key[..]) {
            tries -= 1;
            if all_volatile && db.replica_mode && tries == 0 {
                ctx.out().bulk(&key);
                return Ok(());
            }
            if db.expire_if_needed(&key, now) {
                continue;
            }
        }
        ctx.out().bulk(&key);
        return Ok(());
    }
}

fn db_index(ctx: &Ctx, b: &[u8]) -> Result<usize, Error> {
    let id = arg_i64(b)?;
    if id < i32::MIN as i64 || id > i32::MAX as i64 {
        return Err(err::NOT_INTEGER.into());
    }
    if id < 0 || id as usize >= ctx.srv.dbs.len() {
        return Err(err::DB_INDEX.into());
    }
    Ok(id as usize)
}

const SAME_OBJECT: &str = "ERR source and destination objects are the same";

fn move_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let dst = db_index(ctx, &args[2])?;
    let src = ctx.client.db;
    if src == dst {
        return Err(SAME_OBJECT.into());
    }
    if !ctx.exists_for_write(key) {
        ctx.out().int(0);
        return Ok(());
    }
    let now = ctx.now;
    if ctx.srv.dbs[dst].exists_for_write(key, now) {
        ctx.out().int(0);
        return Ok(());
    }
    let expire = ctx.srv.dbs[src].ttl_at(key);
    if let Some(obj) = ctx.srv.dbs[src].remove(key) {
        let d = &mut ctx.srv.dbs[dst];
        d.set(key.clone(), obj);
        if let Some(at) = expire {
            d.set_expire(key, at);
        }
        d.note_touched(key.clone());
    }
    ctx.dirty(1);
    ctx.srv.notify(N::GENERIC, "move_from", key, src);
    ctx.srv.notify(N::GENERIC, "move_to", key, dst);
    ctx.out().int(1);
    Ok(())
}

fn copy(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (key, newkey) = (&args[1], &args[2]);
    let src = ctx.client.db;
    let mut dst = src;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        let more = args.len() - j - 1;
        if eq_ignore_case(&args[j], "replace") {
            replace = true;
        } else if eq_ignore_case(&args[j], "db") && more >= 1 {
            dst = db_index(ctx, &args[j + 1])?;
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    if src == dst && key == newkey {
        return Err(SAME_OBJECT.into());
    }
    let Some(obj) = read_lookup(ctx, key).cloned() else {
        ctx.out().int(0);
        return Ok(());
    };
    let expire = ctx.srv.dbs[src].ttl_at(key);
    let now = ctx.now;
    if ctx.srv.dbs[dst].exists_for_write(newkey, now) && !replace {
        ctx.out().int(0);
        return Ok(());
    }
    let d = &mut ctx.srv.dbs[dst];
    // REPLACE deletes the old key and adds a new one (a `new` event), as 7.0 does.
    d.delete(newkey);
    d.set(newkey.clone(), obj);
    if let Some(at) = expire {
        d.set_expire(newkey, at);
    }
    d.note_touched(newkey.clone());
    ctx.dirty(1);
    ctx.srv.notify(N::GENERIC, "copy_to", newkey, dst);
    ctx.out().int(1);
    Ok(())
}

// ---------------------------------------------------------------------------
// Expiry

/// `expireGenericCommand`: `basetime` is 0 for the *AT forms.
fn expire_generic(ctx: &mut Ctx, args: &[Bytes], basetime: i64, seconds: bool) -> CmdResult {
    let key = &args[1];
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &args[3..] {
        if eq_ignore_case(opt, "nx") {
            nx = true;
        } else if eq_ignore_case(opt, "xx") {
            xx = true;
        } else if eq_ignore_case(opt, "gt") {
            gt = true;
        } else if eq_ignore_case(opt, "lt") {
            lt = true;
        } else {
            return Err(format!("ERR Unsupported option {}", String::from_utf8_lossy(opt)).into());
        }
    }
    if nx && (xx || gt || lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if gt && lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    let mut when = arg_i64(&args[2])?;
    let name = ctx.cmd.name;
    if seconds {
        when = when.checked_mul(1000).ok_or_else(|| invalid_expire(name))?;
    }
    when = when
        .checked_add(basetime)
        .ok_or_else(|| invalid_expire(name))?;
    if !ctx.exists_for_write(key) {
        ctx.out().int(0);
        return Ok(());
    }
    let current = ctx.db().ttl_at(key).map(|v| v as i64);
    if (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c))
    {
        ctx.out().int(0);
        return Ok(());
    }
    let replica = ctx.db().replica_mode;
    if when <= ctx.now as i64 && !replica {
        ctx.db().delete(key);
        ctx.dirty(1);
        ctx.notify(N::GENERIC, "del", key);
        let del = del_or_unlink(ctx, Key::LAZYFREE_LAZY_EXPIRE);
        ctx.propagate = Propagate::Replace(vec![vec![del, key.clone()]]);
    } else {
        ctx.db().set_expire(key, when.max(0) as u64);
        ctx.dirty(1);
        ctx.notify(N::GENERIC, "expire", key);
        // Rewritten as PEXPIREAT <abs ms>, keeping any NX/XX/GT/LT flags.
        if name != "pexpireat" {
            let mut argv = args.to_vec();
            argv[0] = bs("PEXPIREAT");
            argv[2] = Bytes::from(when.to_string());
            ctx.propagate = Propagate::Replace(vec![argv]);
        }
    }
    ctx.out().int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now as i64;
    expire_generic(ctx, args, now, true)
}

fn pexpire(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now as i64;
    expire_generic(ctx, args, now, false)
}

/// `ttlGenericCommand`.
fn ttl_generic(ctx: &mut Ctx, args: &[Bytes], ms: bool, abs: bool) -> CmdResult {
    if read_lookup(ctx, &args[1]).is_none() {
        ctx.out().int(-2);
        return Ok(());
    }
    let now = ctx.now as i64;
    match ctx.db().ttl_at(&args[1]) {
        None => ctx.out().int(-1),
        Some(at) => {
            let at = at as i64;
            let ttl = if abs { at } else { at - now }.max(0);
            ctx.out().int(if ms {
                ttl
            } else {
                ttl.saturating_add(500) / 1000
            });
        }
    }
    Ok(())
}

fn persist(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if !ctx.exists_for_write(&args[1]) {
        ctx.out().int(0);
        return Ok(());
    }
    if ctx.db().persist(&args[1]) {
        ctx.dirty(1);
        ctx.notify(N::GENERIC, "persist", &args[1]);
        ctx.out().int(1);
    } else {
        ctx.out().int(0);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// OBJECT

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

const LFU_TAIL: &str = "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

fn object(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    let name = ["help", "encoding", "refcount", "idletime", "freq"]
        .into_iter()
        .find(|n| eq_ignore_case(sub, n))
        .ok_or_else(|| unknown_subcommand(sub, "object"))?;
    let arity = if name == "help" { 2 } else { 3 };
    if args.len() != arity {
        return Err(wrong_arity(&format!("object|{name}")));
    }
    if name == "help" {
        let out = ctx.out();
        out.array(OBJECT_HELP.len());
        for l in OBJECT_HELP {
            out.simple(l);
        }
        return Ok(());
    }
    let policy = ctx.srv.config.maxmemory_policy();
    let lfu = policy.is_lfu();
    let no_shared = ctx.srv.config.maxmemory() != 0 && (lfu || policy.is_lru());
    let decay = ctx
        .srv
        .config
        .get_i64(crate::server::Key::LFU_DECAY_TIME)
        .max(0) as u64;
    let now = ctx.now;
    let Some(obj) = read_lookup(ctx, &args[2]) else {
        ctx.out().null();
        return Ok(());
    };
    let enc = obj.encoding();
    let shared_int = match &obj.value {
        Value::Str(s) if enc == "int" => {
            crate::resp::parse_i64(s).is_some_and(|v| (0..10000).contains(&v))
        }
        _ => false,
    };
    match name {
        "encoding" => ctx.out().bulk(enc.as_bytes()),
        "refcount" => ctx.out().int(if shared_int && !no_shared {
            i32::MAX as i64
        } else {
            1
        }),
        "idletime" => {
            if lfu {
                return Err(format!(
                    "ERR An LFU maxmemory policy is selected, idle time not tracked. {LFU_TAIL}"
                )
                .into());
            }
            let idle = crate::keyspace::lru::idle_ms(obj.lru(), now) / 1000;
            ctx.out().int(idle as i64)
        }
        _ => {
            if !lfu {
                return Err(format!(
                    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. {LFU_TAIL}"
                )
                .into());
            }
            let freq = crate::keyspace::lru::lfu_decayed(obj.lru(), decay, now);
            ctx.out().int(freq as i64)
        }
    }
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def("del", -2, WRITE, (1, -1, 1), "generic", "1.0.0", "Delete a key", del_generic),
    def("unlink", -2, WRITE | FAST, (1, -1, 1), "generic", "4.0.0", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", del_generic),
    def("exists", -2, READONLY | FAST, (1, -1, 1), "generic", "1.0.0", "Determine if a key exists", exists),
    def("type", 2, READONLY | FAST, (1, 1, 1), "generic", "1.0.0", "Determine the type stored at key", type_cmd),
    def("keys", 2, READONLY, (0, 0, 0), "generic", "1.0.0", "Find all keys matching the given pattern", keys),
    def("scan", -2, READONLY, (0, 0, 0), "generic", "2.8.0", "Incrementally iterate the keys space", scan),
    def("rename", 3, WRITE, (1, 2, 1), "generic", "1.0.0", "Rename a key", |ctx, args| rename_generic(ctx, args, false)),
    def("renamenx", 3, WRITE | FAST, (1, 2, 1), "generic", "1.0.0", "Rename a key, only if the new key does not exist", |ctx, args| rename_generic(ctx, args, true)),
    def("randomkey", 1, READONLY, (0, 0, 0), "generic", "1.0.0", "Return a random key from the keyspace", randomkey),
    def("move", 3, WRITE | FAST, (1, 1, 1), "generic", "1.0.0", "Move a key to another database", move_cmd),
    def("copy", -3, WRITE | DENYOOM, (1, 2, 1), "generic", "6.2.0", "Copy a key", copy),
    def("expire", -3, WRITE | FAST, (1, 1, 1), "generic", "1.0.0", "Set a key's time to live in seconds", expire),
    def("pexpire", -3, WRITE | FAST, (1, 1, 1), "generic", "2.6.0", "Set a key's time to live in milliseconds", pexpire),
    def("expireat", -3, WRITE | FAST, (1, 1, 1), "generic", "1.2.0", "Set the expiration for a key as a UNIX timestamp", |ctx, args| expire_generic(ctx, args, 0, true)),
    def("pexpireat", -3, WRITE | FAST, (1, 1, 1), "generic", "2.6.0", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", |ctx, args| expire_generic(ctx, args, 0, false)),
    def("ttl", 2, READONLY | FAST, (1, 1, 1), "generic", "1.0.0", "Get the time to live for a key in seconds", |ctx, args| ttl_generic(ctx, args, false, false)),
    def("pttl", 2, READONLY | FAST, (1, 1, 1), "generic", "2.6.0", "Get the time to live for a key in milliseconds", |ctx, args| ttl_generic(ctx, args, true, false)),
    def("expiretime", 2, READONLY | FAST, (1, 1, 1), "generic", "7.0.0", "Get the expiration Unix timestamp for a key", |ctx, args| ttl_generic(ctx, args, false, true)),
    def("pexpiretime", 2, READONLY | FAST, (1, 1, 1), "generic", "7.0.0", "Get the expiration Unix timestamp for a key in milliseconds", |ctx, args| ttl_generic(ctx, args, true, true)),
    def("persist", 2, WRITE | FAST, (1, 1, 1), "generic", "2.2.0", "Remove the expiration from a key", persist),
    def("touch", -2, READONLY | FAST, (1, -1, 1), "generic", "3.2.1", "Alters the last access time of a key(s). Returns the number of existing keys specified.", exists),
    CommandDef {
        subcommands: &["encoding", "freq", "help", "idletime", "refcount"],
        ..def("object", -2, 0, (0, 0, 0), "generic", "2.2.3", "A container for object introspection commands", object)
    },
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk, err, Kit, NULL, OK, T0};
    use crate::keyspace::{Object, Value};
    use bytes::Bytes;

    fn put_list(t: &mut Kit, db: usize, key: &'static str) {
        let mut l = crate::keyspace::QuickList::new();
        l.push_back(b"x");
        t.srv.st.dbs[db].set(
            Bytes::from_static(key.as_bytes()),
            Object::new(Value::List(l)),
        );
    }

    /// Parse `*2 $cursor *n keys...` into (cursor, sorted keys).
    fn scan_reply(r: &str) -> (String, Vec<String>) {
        let parts: Vec<&str> = r.split("\r\n").collect();
        let cursor = parts[2].to_string();
        let mut keys: Vec<String> = parts[4..]
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| c[1].to_string())
            .collect();
        keys.sort();
        (cursor, keys)
    }

    #[test]
    fn del_exists_type_touch() {
        let mut t = Kit::new();
        t.argv(1, &["MSET", "a", "1", "b", "2", "c", "3"]);
        assert_eq!(t.argv(1, &["DEL", "a", "b", "nokey"]), ":2\r\n");
        t.feed();
        assert_eq!(t.argv(1, &["DEL", "a"]), ":0\r\n");
        assert!(t.feed().is_empty());
        assert_eq!(t.argv(1, &["EXISTS", "c", "c", "a"]), ":2\r\n");
        assert_eq!(t.argv(1, &["UNLINK", "c"]), ":1\r\n");
        put_list(&mut t, 0, "l");
        t.argv(1, &["SET", "s", "v"]);
        assert_eq!(t.argv(1, &["TYPE", "l"]), "+list\r\n");
        assert_eq!(t.argv(1, &["TYPE", "s"]), "+string\r\n");
        assert_eq!(t.argv(1, &["TYPE", "nokey"]), "+none\r\n");
        assert_eq!(t.argv(1, &["TOUCH", "s", "l", "nokey", "s"]), ":3\r\n");
    }

    #[test]
    fn keys_and_scan() {
        let mut t = Kit::new();
        for i in 0..50 {
            t.argv(1, &["SET", &format!("key:{i}"), "v"]);
        }
        put_list(&mut t, 0, "list");
        t.argv(1, &["SET", "gone", "v", "PX", "10"]);
        t.advance(20);
        let r = t.argv(1, &["KEYS", "key:1?"]);
        assert!(r.starts_with("*10\r\n"), "{r}");
        assert!(t.argv(1, &["KEYS", "*"]).starts_with("*51\r\n"));
        // A full SCAN sees every live key once, and never the expired one.
        let mut cursor = "0".to_string();
        let mut seen = Vec::new();
        loop {
            let (c, ks) = scan_reply(&t.argv(1, &["SCAN", &cursor, "COUNT", "7"]));
            seen.extend(ks);
            cursor = c;
            if cursor == "0" {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 51);
        assert!(!seen.contains(&"gone".to_string()));
        let (c, ks) = scan_reply(&t.argv(1, &["SCAN", "0", "COUNT", "1000", "TYPE", "list"]));
        assert_eq!((c.as_str(), ks), ("0", vec!["list".to_string()]));
        let (_, ks) = scan_reply(&t.argv(1, &["SCAN", "0", "COUNT", "1000", "MATCH", "key:4*"]));
        assert_eq!(ks.len(), 11);
        let (_, ks) = scan_reply(&t.argv(1, &["SCAN", "0", "COUNT", "1000", "TYPE", "foo"]));
        assert!(ks.is_empty());
        assert_eq!(t.argv(1, &["SCAN", "0x"]), err("ERR invalid cursor"));
        assert_eq!(
            t.argv(1, &["SCAN", "18446744073709551616"]),
            err("ERR invalid cursor")
        );
        assert_eq!(
            t.argv(1, &["SCAN", "0", "COUNT", "0"]),
            err("ERR syntax error")
        );
        assert_eq!(t.argv(1, &["SCAN", "0", "MATCH"]), err("ERR syntax error"));
        assert_eq!(
            t.argv(1, &["SCAN", "0", "COUNT", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert!(t.argv(1, &["SCAN", "-1"]).starts_with("*2\r\n"));
        assert!(t.argv(1, &["SCAN", ""]).starts_with("*2\r\n"));
    }

    #[test]
    fn rename_move_copy() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["RENAME", "nokey", "x"]), err("ERR no such key"));
        assert_eq!(
            t.argv(1, &["RENAMENX", "nokey", "x"]),
            err("ERR no such key")
        );
        t.argv(1, &["SET", "src", "v", "EX", "100"]);
        assert_eq!(t.argv(1, &["RENAME", "src", "src"]), OK);
        assert_eq!(t.argv(1, &["RENAMENX", "src", "src"]), ":0\r\n");
        assert_eq!(t.argv(1, &["RENAME", "src", "dst"]), OK);
        assert_eq!(t.argv(1, &["TTL", "dst"]), ":100\r\n");
        assert_eq!(t.argv(1, &["EXISTS", "src"]), ":0\r\n");
        t.argv(1, &["SET", "other", "x"]);
        assert_eq!(t.argv(1, &["RENAMENX", "dst", "other"]), ":0\r\n");
        assert_eq!(t.argv(1, &["RENAME", "dst", "other"]), OK);
        assert_eq!(t.argv(1, &["GET", "other"]), bulk("v"));
        assert_eq!(t.argv(1, &["TTL", "other"]), ":100\r\n");

        let same = err("ERR source and destination objects are the same");
        assert_eq!(t.argv(1, &["MOVE", "other", "0"]), same);
        assert_eq!(
            t.argv(1, &["MOVE", "other", "99"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            t.argv(1, &["MOVE", "other", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.argv(1, &["MOVE", "nokey", "1"]), ":0\r\n");
        assert_eq!(t.argv(1, &["MOVE", "other", "1"]), ":1\r\n");
        assert_eq!(t.argv(1, &["EXISTS", "other"]), ":0\r\n");
        t.argv(1, &["SET", "other", "again"]);
        assert_eq!(t.argv(1, &["MOVE", "other", "1"]), ":0\r\n");
        assert_eq!(t.argv(1, &["SELECT", "1"]), OK);
        assert_eq!(t.argv(1, &["GET", "other"]), bulk("v"));
        assert_eq!(t.argv(1, &["TTL", "other"]), ":100\r\n");
        t.argv(1, &["SELECT", "0"]);

        t.argv(1, &["SET", "c1", "v"]);
        assert_eq!(t.argv(1, &["COPY", "c1", "c1"]), same);
        assert_eq!(t.argv(1, &["COPY", "c1", "c1", "DB", "0"]), same);
        assert_eq!(
            t.argv(1, &["COPY", "c1", "c2", "DB", "99", "REPLACE"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            t.argv(1, &["COPY", "c1", "c2", "foo"]),
            err("ERR syntax error")
        );
        assert_eq!(
            t.argv(1, &["COPY", "c1", "c2", "DB"]),
            err("ERR syntax error")
        );
        assert_eq!(t.argv(1, &["COPY", "c1", "c2"]), ":1\r\n");
        assert_eq!(t.argv(1, &["COPY", "c1", "c2"]), ":0\r\n");
        assert_eq!(t.argv(1, &["COPY", "c1", "c2", "REPLACE"]), ":1\r\n");
        assert_eq!(t.argv(1, &["COPY", "nokey", "c3"]), ":0\r\n");
        assert_eq!(t.argv(1, &["COPY", "c1", "c1", "DB", "1"]), ":1\r\n");
        t.argv(1, &["SELECT", "1"]);
        assert_eq!(t.argv(1, &["GET", "c1"]), bulk("v"));
    }

    #[test]
    fn expire_family() {
        let mut t = Kit::new();
        t.argv(1, &["SET", "e", "v"]);
        t.feed();
        assert_eq!(
            t.argv(1, &["EXPIRE", "e", "100", "NX", "XX"]),
            err("ERR NX and XX, GT or LT options at the same time are not compatible")
        );
        assert_eq!(
            t.argv(1, &["EXPIRE", "e", "x", "GT", "LT"]),
            err("ERR GT and LT options at the same time are not compatible")
        );
        assert_eq!(
            t.argv(1, &["EXPIRE", "e", "100", "foo"]),
            err("ERR Unsupported option foo")
        );
        assert_eq!(
            t.argv(1, &["EXPIRE", "e", "9223372036854775807"]),
            err("ERR invalid expire time in 'expire' command")
        );
        assert_eq!(
            t.argv(1, &["PEXPIRE", "e", "9223372036854775807"]),
            err("ERR invalid expire time in 'pexpire' command")
        );
        assert_eq!(t.argv(1, &["EXPIRE", "e", "100", "XX"]), ":0\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "e", "100", "GT"]), ":0\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "e", "100", "NX"]), ":1\r\n");
        assert_eq!(t.feed(), vec![format!("PEXPIREAT e {} NX", T0 + 100_000)]);
        assert_eq!(t.argv(1, &["EXPIRE", "e", "100", "NX"]), ":0\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "e", "50", "GT"]), ":0\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "e", "200", "GT"]), ":1\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "e", "300", "LT"]), ":0\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "e", "150", "LT"]), ":1\r\n");
        assert_eq!(t.argv(1, &["TTL", "e"]), ":150\r\n");
        assert_eq!(t.argv(1, &["PTTL", "e"]), ":150000\r\n");
        t.advance(400);
        assert_eq!(t.argv(1, &["TTL", "e"]), ":150\r\n");
        assert_eq!(t.argv(1, &["PTTL", "e"]), ":149600\r\n");
        let abs = (T0 + 150_000) / 1000;
        assert_eq!(t.argv(1, &["EXPIRETIME", "e"]), format!(":{abs}\r\n"));
        assert_eq!(
            t.argv(1, &["PEXPIRETIME", "e"]),
            format!(":{}\r\n", T0 + 150_000)
        );
        t.feed();
        assert_eq!(t.argv(1, &["PERSIST", "e"]), ":1\r\n");
        assert_eq!(t.feed(), vec!["PERSIST e"]);
        assert_eq!(t.argv(1, &["PERSIST", "e"]), ":0\r\n");
        assert_eq!(t.argv(1, &["PERSIST", "nokey"]), ":0\r\n");
        assert_eq!(t.argv(1, &["TTL", "e"]), ":-1\r\n");
        assert_eq!(t.argv(1, &["EXPIRETIME", "e"]), ":-1\r\n");
        assert_eq!(t.argv(1, &["TTL", "nokey"]), ":-2\r\n");
        assert_eq!(t.argv(1, &["PEXPIRETIME", "nokey"]), ":-2\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "e", "100", "LT"]), ":1\r\n");
        assert_eq!(t.argv(1, &["EXPIRE", "nokey", "100"]), ":0\r\n");
        t.feed();
        assert_eq!(t.argv(1, &["EXPIREAT", "e", "4102444800"]), ":1\r\n");
        assert_eq!(t.feed(), vec!["PEXPIREAT e 4102444800000"]);
        assert_eq!(
            t.argv(1, &["PEXPIREAT", "e", "4102444800123", "gt"]),
            ":1\r\n"
        );
        assert_eq!(t.feed(), vec!["PEXPIREAT e 4102444800123 gt"]);
        assert_eq!(t.argv(1, &["EXPIRETIME", "e"]), ":4102444800\r\n");
        // In the past: the key is deleted and the deletion propagated as DEL.
        assert_eq!(t.argv(1, &["EXPIRE", "e", "-1"]), ":1\r\n");
        assert_eq!(t.feed(), vec!["DEL e"]);
        assert_eq!(t.argv(1, &["EXISTS", "e"]), ":0\r\n");
        t.argv(1, &["SET", "e", "v"]);
        assert_eq!(t.argv(1, &["PEXPIREAT", "e", "1"]), ":1\r\n");
        assert_eq!(t.argv(1, &["EXISTS", "e"]), ":0\r\n");
        // Lazy expiry after time passes.
        t.argv(1, &["SET", "e", "v", "EX", "1"]);
        t.advance(1000);
        assert_eq!(t.argv(1, &["TTL", "e"]), ":-2\r\n");
    }

    #[test]
    fn randomkey_and_object() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["RANDOMKEY"]), NULL);
        t.argv(1, &["SET", "only", "v"]);
        t.argv(1, &["SET", "dead", "v", "PX", "5"]);
        t.advance(10);
        for _ in 0..10 {
            assert_eq!(t.argv(1, &["RANDOMKEY"]), bulk("only"));
        }
        t.argv(1, &["SET", "small", "100"]);
        assert_eq!(
            t.argv(1, &["OBJECT", "REFCOUNT", "small"]),
            ":2147483647\r\n"
        );
        assert_eq!(t.argv(1, &["OBJECT", "REFCOUNT", "only"]), ":1\r\n");
        assert_eq!(t.argv(1, &["OBJECT", "encoding", "small"]), bulk("int"));
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "nokey"]), NULL);
        assert_eq!(
            t.argv(1, &["OBJECT", "ENCODING"]),
            err("ERR wrong number of arguments for 'object|encoding' command")
        );
        assert_eq!(
            t.argv(1, &["OBJECT", "HELP", "x"]),
            err("ERR wrong number of arguments for 'object|help' command")
        );
        assert_eq!(
            t.argv(1, &["OBJECT", "foo"]),
            err("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
        );
        assert!(t.argv(1, &["OBJECT", "HELP"]).starts_with(
            "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        ));
        assert!(t.argv(1, &["OBJECT", "FREQ", "only"]).starts_with(
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked."
        ));
        assert_eq!(t.argv(1, &["OBJECT", "IDLETIME", "only"]), ":0\r\n");
        put_list(&mut t, 0, "l");
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "l"]), bulk("quicklist"));
    }
}
