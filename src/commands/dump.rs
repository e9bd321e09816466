//! DUMP and RESTORE: a key's value as a self-checking RDB payload, and a key
//! created from one (see [`crate::rdb::payload`] for the bytes). Payloads
//! travel both ways between us and Redis 7.0.

use super::{arg_i64, def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx, Propagate};
use crate::keyspace::{Object, Value};
use crate::rdb::payload;
use crate::server::config::Key;
use crate::server::notify::class as N;
use bytes::Bytes;

/// RESTORE's flags; RESTORE-ASKING (MIGRATE's form for a cluster slot
/// being imported) adds `asking`.
const RESTORE_FLAGS: u32 = WRITE | DENYOOM;

pub static COMMANDS: &[CommandDef] = &[
    def(
        "dump",
        2,
        READONLY,
        (1, 1, 1),
        "generic",
        "2.6.0",
        "Return a serialized version of the value stored at the specified key.",
        dump,
    ),
    def(
        "restore",
        -4,
        RESTORE_FLAGS,
        (1, 1, 1),
        "generic",
        "2.6.0",
        "Create a key using the provided serialized value, previously obtained using DUMP.",
        restore,
    ),
    def(
        "restore-asking",
        -4,
        RESTORE_FLAGS | ASKING,
        (1, 1, 1),
        "server",
        "3.0.0",
        "An internal command for migrating keys in a cluster",
        restore,
    ),
];

fn dump(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let compress = ctx.srv.config.get_bool(Key::RDBCOMPRESSION);
    match ctx.lookup(&args[1]) {
        None => ctx.out().null(),
        Some(o) => {
            let bytes = payload::dump(&o.value, compress);
            ctx.out().bulk(&bytes);
        }
    }
    Ok(())
}

/// RESTORE's options after the payload.
#[derive(Default)]
struct RestoreOpts {
    replace: bool,
    absttl: bool,
    /// IDLETIME seconds / FREQ counter to give the restored object.
    idle: Option<u64>,
    freq: Option<u8>,
}

fn restore_opts(args: &[Bytes]) -> Result<RestoreOpts, super::Error> {
    let mut o = RestoreOpts::default();
    // IDLETIME and FREQ exclude each other: the second is a syntax error.
    let mut j = 4;
    while j < args.len() {
        let more = j + 1 < args.len();
        let a = &args[j];
        if eq_ignore_case(a, "replace") {
            o.replace = true;
        } else if eq_ignore_case(a, "absttl") {
            o.absttl = true;
        } else if eq_ignore_case(a, "idletime") && more && o.freq.is_none() {
            let v = arg_i64(&args[j + 1])?;
            if v < 0 {
                return Err("ERR Invalid IDLETIME value, must be >= 0".into());
            }
            o.idle = Some(v as u64);
            j += 1;
        } else if eq_ignore_case(a, "freq") && more && o.idle.is_none() {
            let v = arg_i64(&args[j + 1])?;
            if !(0..=255).contains(&v) {
                return Err("ERR Invalid FREQ value, must be >= 0 and <= 255".into());
            }
            o.freq = Some(v as u8);
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    Ok(o)
}

/// Whether RESTORE makes 7.0's deep integrity check (`sanitize-dump-payload`
/// yes; with `clients`, unless the master sends it or the user has
/// `skip-sanitize-payload`).
fn deep_check(ctx: &Ctx) -> bool {
    match ctx.srv.config.get(Key::SANITIZE_DUMP_PAYLOAD) {
        "yes" => true,
        "clients" => {
            let skip = ctx.srv.loading
                || ctx.client.kind == crate::server::client::ClientKind::Master
                || ctx
                    .srv
                    .acl
                    .users
                    .get(&ctx.client.user)
                    .is_some_and(|u| u.skip_sanitize == Some(true));
            !skip
        }
        _ => false,
    }
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]. IDLETIME
/// sets the access clock under an LRU (or no LFU) policy, FREQ the counter
/// under an LFU one (`objectSetLRUOrLFU`); the other is ignored.
fn restore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let opts = restore_opts(args)?;
    let key = &args[1];
    if !opts.replace && ctx.exists_for_write(key) {
        return Err("BUSYKEY Target key name already exists.".into());
    }
    let ttl = arg_i64(&args[2])?;
    if ttl < 0 {
        return Err("ERR Invalid TTL value, must be >= 0".into());
    }
    let checksum = !ctx.srv.skip_checksum_validation;
    let deep = deep_check(ctx);
    let value = match payload::restore_checked(&args[3], checksum, deep) {
        Ok(v) => v,
        Err(e) => {
            if let payload::PayloadError::BadData {
                reason: Some(reason),
            } = &e
            {
                let line = crate::rdb::report::internal_error(0, reason);
                ctx.srv.log(crate::node::LogLevel::Verbose, line);
            }
            return Err(e.message().into());
        }
    };
    let mut value = value;
    // A value converted to a table stays one (7.0 does not pack it back).
    let mut converted_now = false;
    if let Value::Corrupt(c) = &value {
        // What 7.0 meets while loading it stops the server now; so does
        // a conversion to a table (more elements than the listpack limit)
        // that meets the corruption, and one that does not leaves a sound
        // value.
        let converts = c.converts(&ctx.srv.encoding_limits);
        let converted = match (&c.on_load, converts) {
            (Some(f), _) => Err(f.clone()),
            (None, true) => c.convert().map(Some),
            (None, false) => Ok(None),
        };
        match converted {
            Err(f) => {
                ctx.srv.crash(&f);
                return Ok(());
            }
            Ok(Some(v)) => {
                value = v;
                converted_now = true;
            }
            Ok(None) => ctx.srv.corrupt_kept = true,
        }
    }
    let deleted = opts.replace && ctx.db().delete(key);
    let at = match ttl {
        0 => None,
        t if opts.absttl => Some(t),
        t => Some(t.saturating_add(ctx.now as i64)),
    };
    // A replica keeps what its master restores; the master sends the DEL.
    let expired = at.is_some_and(|at| at <= ctx.now as i64) && !ctx.srv.repl.is_replica();
    if expired {
        if deleted {
            ctx.propagate = Propagate::Replace(vec![vec![Bytes::from_static(b"DEL"), key.clone()]]);
            ctx.touch(key);
            ctx.notify(N::GENERIC, "del", key);
            ctx.dirty(1);
        }
        ctx.out().ok();
        return Ok(());
    }
    let mut obj = Object::new(value);
    if !converted_now {
        obj.refit(&ctx.srv.encoding_limits);
    }
    ctx.db().set(key.clone(), obj);
    let lfu = ctx.srv.config.maxmemory_policy().is_lfu();
    let now = ctx.now;
    let stamp = match (lfu, opts.freq, opts.idle) {
        (true, Some(f), _) => Some(crate::keyspace::lru::lfu_stamp(f, now)),
        (false, _, Some(idle)) => Some(crate::keyspace::lru::lru_stamp_idle(idle, now)),
        _ => None,
    };
    if let Some(lru) = stamp {
        ctx.db().set_access_stamp(key, lru);
    }
    if let Some(at) = at {
        ctx.db().set_expire(key, at.max(0) as u64);
        if !opts.absttl {
            // Replicas get the absolute time, so they expire it together.
            let mut argv = args.to_vec();
            argv[2] = Bytes::from(at.to_string());
            argv.push(Bytes::from_static(b"ABSTTL"));
            ctx.propagate = Propagate::Replace(vec![argv]);
        }
    }
    ctx.touch(key);
    ctx.notify(N::GENERIC, "restore", key);
    ctx.out().ok();
    ctx.dirty(1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk, err, Kit, NULL, OK, T0, WRONGTYPE};
    use crate::rdb::payload;

    /// DUMP `key` on connection 1: the payload bytes (the kit's replies are
    /// text, so the bytes come from the value, checked against the reply).
    fn dumped(t: &mut Kit, key: &str) -> Vec<u8> {
        let obj = t.srv.st.dbs[0].keys().get(key.as_bytes()).expect("key");
        let p = payload::dump(&obj.value, true);
        let reply = t.argv(1, &["DUMP", key]);
        let want = format!("${}\r\n{}\r\n", p.len(), String::from_utf8_lossy(&p));
        assert_eq!(reply, want);
        p
    }

    fn restore(t: &mut Kit, args: &[&[u8]]) -> String {
        let mut frame = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            frame.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            frame.extend_from_slice(a);
            frame.extend_from_slice(b"\r\n");
        }
        t.raw(1, &frame)
    }

    /// A listpack hash whose second entry claims a byte it does not have:
    /// its header and size check out, its entries do not.
    fn corrupt_hash_payload() -> Vec<u8> {
        use crate::rdb::compact::{build_listpack, Entry};
        let mut lp = build_listpack(&[
            Entry::Str(b"f"),
            Entry::Str(b"v"),
            Entry::Str(b"g"),
            Entry::Str(b"w"),
        ]);
        lp[9] = 0x82;
        let mut body = vec![crate::rdb::types::HASH_LISTPACK, lp.len() as u8];
        body.extend_from_slice(&lp);
        payload::seal(body)
    }

    fn crash_lines(t: &Kit) -> Vec<String> {
        use crate::keyspace::corrupt::ReportLine;
        t.events
            .iter()
            .filter_map(|e| match e {
                crate::node::Event::Crash {
                    report: Some(report),
                } => Some(report.lines.clone()),
                _ => None,
            })
            .flatten()
            .map(|l| match l {
                ReportLine::Log(s) | ReportLine::Raw(s) => s,
            })
            .collect()
    }

    #[test]
    fn sanitize_no_keeps_a_corrupt_listpack_until_it_is_read() {
        let p = corrupt_hash_payload();
        let mut t = Kit::new();
        t.cmd(1, "CONFIG SET sanitize-dump-payload yes");
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"h", b"0", &p]),
            err("ERR Bad data format")
        );
        t.cmd(1, "CONFIG SET sanitize-dump-payload no");
        assert_eq!(restore(&mut t, &[b"RESTORE", b"h", b"0", &p]), OK);
        assert_eq!(t.cmd(1, "TYPE h"), "+hash\r\n");
        assert_eq!(t.cmd(1, "OBJECT ENCODING h"), bulk("listpack"));
        assert_eq!(t.cmd(1, "HLEN h"), ":2\r\n");
        assert_eq!(t.cmd(1, "GET h"), WRONGTYPE);
        assert_eq!(t.cmd(1, "RENAME h h2"), OK);
        // DUMP gives the bytes back as they came.
        let reply = t.argv(1, &["DUMP", "h2"]);
        assert!(reply.ends_with(&format!("{}\r\n", String::from_utf8_lossy(&p))));
        assert!(crash_lines(&t).is_empty());
        assert_eq!(t.cmd(1, "HGET h2 f"), "");
        assert_eq!(
            crash_lines(&t),
            vec![
                "=== ASSERTION FAILED ===",
                "==> listpack.c:1276 'lpValidateNext(lp, &p, lpbytes)' is not true"
            ]
        );
    }

    #[test]
    fn a_conversion_that_meets_no_corruption_leaves_a_sound_value() {
        use crate::rdb::compact::{build_listpack, Entry};
        let mut lp = build_listpack(&[
            Entry::Str(b"a"),
            Entry::Int(1),
            Entry::Str(b"b"),
            Entry::Int(2),
        ]);
        // The header claims 12 elements: more pairs than the limit of 5.
        lp[4] = 12;
        let mut body = vec![crate::rdb::types::ZSET_LISTPACK, lp.len() as u8];
        body.extend_from_slice(&lp);
        let p = payload::seal(body);
        let mut t = Kit::new();
        t.cmd(1, "CONFIG SET zset-max-listpack-entries 5");
        assert_eq!(restore(&mut t, &[b"RESTORE", b"z", b"0", &p]), OK);
        assert_eq!(t.cmd(1, "ZCARD z"), ":2\r\n");
        // Converted, it stays a skiplist.
        assert_eq!(t.cmd(1, "OBJECT ENCODING z"), bulk("skiplist"));
        assert_eq!(t.cmd(1, "ZSCORE z b"), bulk("2"));
        assert!(crash_lines(&t).is_empty());
    }

    #[test]
    fn dump_and_restore_every_type() {
        let mut t = Kit::new();
        t.cmd(1, "SET s bar");
        t.cmd(1, "RPUSH l a b 3");
        t.cmd(1, "HSET h f v g w");
        t.cmd(1, "SADD st 1 2 x");
        t.cmd(1, "ZADD z 1 a 2.5 b");
        assert_eq!(t.cmd(1, "DUMP nokey"), NULL);
        for (key, read) in [
            ("s", "GET s"),
            ("l", "LRANGE l 0 -1"),
            ("h", "HGETALL h"),
            ("st", "SORT st ALPHA"),
            ("z", "ZRANGE z 0 -1 WITHSCORES"),
        ] {
            let before = t.cmd(1, read);
            let p = dumped(&mut t, key);
            t.cmd(1, &format!("DEL {key}"));
            assert_eq!(restore(&mut t, &[b"RESTORE", key.as_bytes(), b"0", &p]), OK);
            assert_eq!(t.cmd(1, read), before, "{key}");
            assert_eq!(t.cmd(1, &format!("TTL {key}")), ":-1\r\n");
        }
    }

    #[test]
    fn restore_errors_in_redis_order() {
        let mut t = Kit::new();
        t.cmd(1, "SET foo bar");
        let p = dumped(&mut t, "foo");
        let busy = err("BUSYKEY Target key name already exists.");
        assert_eq!(restore(&mut t, &[b"RESTORE", b"foo", b"0", b"..."]), busy);
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"foo", b"0", b"...", b"bad"]),
            err("ERR syntax error")
        );
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"new", b"-1", &p]),
            err("ERR Invalid TTL value, must be >= 0")
        );
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"new", b"x", &p]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"new", b"0", b"..."]),
            err("ERR DUMP payload version or checksum are wrong")
        );
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"new", b"0", &p, b"IDLETIME", b"-1"]),
            err("ERR Invalid IDLETIME value, must be >= 0")
        );
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"new", b"0", &p, b"FREQ", b"256"]),
            err("ERR Invalid FREQ value, must be >= 0 and <= 255")
        );
        assert_eq!(
            restore(
                &mut t,
                &[
                    b"RESTORE",
                    b"new",
                    b"0",
                    &p,
                    b"FREQ",
                    b"1",
                    b"IDLETIME",
                    b"1"
                ]
            ),
            err("ERR syntax error")
        );
        assert_eq!(
            restore(
                &mut t,
                &[
                    b"RESTORE",
                    b"new",
                    b"0",
                    &p,
                    b"IDLETIME",
                    b"5",
                    b"FREQ",
                    b"1"
                ]
            ),
            err("ERR syntax error")
        );
        t.cmd(1, "SET foo bar2");
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"foo", b"0", &p, b"REPLACE"]),
            OK
        );
        assert_eq!(t.cmd(1, "GET foo"), bulk("bar"));
    }

    #[test]
    fn ttls_and_propagation() {
        let mut t = Kit::new();
        t.cmd(1, "SET foo bar");
        let p = dumped(&mut t, "foo");
        t.feed();
        assert_eq!(
            restore(&mut t, &[b"RESTORE", b"foo", b"5000", &p, b"REPLACE"]),
            OK
        );
        assert_eq!(t.cmd(1, "PTTL foo"), ":5000\r\n");
        let at = (T0 + 5000).to_string();
        let feed = t.feed();
        assert_eq!(feed.len(), 1);
        assert!(feed[0].contains(&format!("RESTORE foo {at} ")), "{feed:?}");
        assert!(feed[0].ends_with(" REPLACE ABSTTL"), "{feed:?}");
        // Absolute and already past: the replaced key is deleted, a DEL is sent.
        let past = (T0 - 1).to_string();
        assert_eq!(
            restore(
                &mut t,
                &[
                    b"RESTORE",
                    b"foo",
                    past.as_bytes(),
                    &p,
                    b"ABSTTL",
                    b"REPLACE"
                ]
            ),
            OK
        );
        assert_eq!(t.cmd(1, "EXISTS foo"), ":0\r\n");
        assert_eq!(t.feed(), vec!["DEL foo".to_string()]);
        // Nothing there to delete: nothing happens at all.
        assert_eq!(
            restore(
                &mut t,
                &[b"RESTORE", b"foo", past.as_bytes(), &p, b"ABSTTL"]
            ),
            OK
        );
        assert!(t.feed().is_empty());
        // An absolute time in the future is kept and propagated as is.
        let later = (T0 + 60_000).to_string();
        assert_eq!(
            restore(
                &mut t,
                &[b"RESTORE", b"foo", later.as_bytes(), &p, b"ABSTTL"]
            ),
            OK
        );
        assert_eq!(t.cmd(1, "PTTL foo"), ":60000\r\n");
        assert_eq!(t.feed().len(), 1);
    }
}
