//! Hash commands: HSET, HGET, ...
//!
//! Small hashes are listpacks (`keyspace::hash`) and list their fields in
//! insertion order, as Redis does; big hashes (hashtable) iterate in bucket
//! order, the order HSCAN walks.

use super::scan::{self, ScanOpts};
use super::{arg_i64, def, err, flags::*, settle_notify, CmdResult, CommandDef, Ctx, Error};
use crate::keyspace::{HashValue, Object, Value};
use crate::server::notify::class as N;
use bytes::Bytes;

type Hash = HashValue;

fn read_hash<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a Object>, Error> {
    match ctx.lookup(key) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Hash(_) => Ok(Some(o)),
            _ => Err(super::wrongtype()),
        },
    }
}

/// The hash at `key` for writing, made empty when absent (Redis's
/// `hashTypeLookupWriteOrCreate`); WRONGTYPE if `key` holds something else.
fn write_hash<'a>(ctx: &'a mut Ctx, key: &Bytes) -> Result<&'a mut Hash, Error> {
    match write_hash_object(ctx, key)? {
        Object {
            value: Value::Hash(h),
            ..
        } => Ok(h),
        _ => unreachable!("a hash was just found or made at the key"),
    }
}

/// The object of [`write_hash`] (a hash, made if absent).
fn write_hash_object<'a>(ctx: &'a mut Ctx, key: &Bytes) -> Result<&'a mut Object, Error> {
    let now = ctx.now;
    let db = ctx.db();
    match db.get(key, now) {
        None => db.set(
            crate::keyspace::owned_key(key),
            Object::new(Value::Hash(HashValue::new())),
        ),
        Some(o) if !matches!(o.value, Value::Hash(_)) => return Err(super::wrongtype()),
        Some(_) => {}
    }
    let resize = ctx.srv.dict_resize();
    let o = ctx
        .db()
        .get_mut(key, now)
        .expect("a hash was just found or made at the key");
    if let Value::Hash(h) = &mut o.value {
        h.set_resize(resize);
    }
    Ok(o)
}

fn hash_of(o: &Object) -> &Hash {
    match &o.value {
        Value::Hash(h) => h,
        _ => unreachable!("checked by read_hash"),
    }
}

/// Entries in the order Redis would list them.
fn entries(o: &Object) -> Vec<(Bytes, Bytes)> {
    hash_of(o)
        .iter()
        .map(|(k, v)| (Bytes::copy_from_slice(k), Bytes::copy_from_slice(v)))
        .collect()
}

/// Remove `fields` from the hash at `key`; how many were there.
fn remove_fields(ctx: &mut Ctx, key: &Bytes, fields: &[Bytes]) -> Result<usize, Error> {
    let now = ctx.now;
    let resize = ctx.srv.dict_resize();
    let db = ctx.db();
    let Some(o) = db.get_mut(key, now) else {
        return Ok(0);
    };
    let Value::Hash(h) = &mut o.value else {
        return Err(super::wrongtype());
    };
    h.set_resize(resize);
    Ok(fields.iter().filter(|f| h.remove(f)).count())
}

// ---------------------------------------------------------------- writes

fn hset_generic(ctx: &mut Ctx, args: &[Bytes], reply_ok: bool) -> CmdResult {
    if args.len() % 2 == 1 {
        return Err(super::wrong_arity(ctx.cmd.name));
    }
    let key = &args[1];
    let limits = ctx.srv.encoding_limits;
    let resize = ctx.srv.dict_resize();
    let now = ctx.now;
    let db = ctx.db();
    // As `write_hash_object`, with one lookup of an existing key.
    let found = if db.expire_if_needed(key, now) {
        None
    } else {
        db.get_for_write(key, now)
    };
    let o = match found {
        Some(w) if !matches!(w.get().value, Value::Hash(_)) => return Err(super::wrongtype()),
        Some(w) => w.into_mut(),
        None => {
            db.set(
                crate::keyspace::owned_key(key),
                Object::new(Value::Hash(HashValue::new())),
            );
            db.get_mut(key, now)
                .expect("a hash was just made at the key")
        }
    };
    let Value::Hash(h) = &mut o.value else {
        unreachable!("checked or made a hash")
    };
    // 7.0's hashTypeTryConversion: a field or value too long for a
    // listpack converts first; past the entry limit converts (a big HSET
    // then does not grow a listpack quadratically).
    if h.is_packed() && args[2..].iter().any(|a| a.len() > limits.hash_value) {
        h.to_table();
    }
    h.set_resize(resize);
    let created = h.insert_pairs(&args[2..], limits.hash_entries);
    // The encoding is refreshed on the object in hand: HSET never empties
    // the hash, so `settle`'s second lookup of the key is not needed.
    o.update_encoding_with(&limits);
    ctx.notify(N::HASH, "hset", key);
    ctx.touch(key);
    ctx.dirty(((args.len() - 2) / 2) as u64);
    if reply_ok {
        ctx.out().ok();
    } else {
        ctx.out().int(created as i64);
    }
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let h = write_hash(ctx, key)?;
    if h.contains_key(&args[2][..]) {
        ctx.out().int(0);
        return Ok(());
    }
    h.insert(&args[2], &args[3]);
    settle_notify(ctx, key, N::HASH, "hset");
    ctx.dirty(1);
    ctx.out().int(1);
    Ok(())
}

fn hdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let n = remove_fields(ctx, key, &args[2..])?;
    if n > 0 {
        settle_notify(ctx, key, N::HASH, "hdel");
        ctx.dirty(n as u64);
    }
    ctx.out().int(n as i64);
    Ok(())
}

fn hincrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let incr = arg_i64(&args[3])?;
    let key = &args[1];
    let field = &args[2];
    let cur = match read_hash(ctx, key)? {
        Some(o) => hash_of(o).get(field).map(Bytes::copy_from_slice),
        None => None,
    };
    let cur = match cur {
        Some(v) => {
            crate::resp::parse_i64(&v).ok_or(Error::from("ERR hash value is not an integer"))?
        }
        None => 0,
    };
    let new = cur.checked_add(incr).ok_or(Error::from(err::OVERFLOW))?;
    let h = write_hash(ctx, key)?;
    h.insert(field, &Bytes::from(new.to_string()));
    settle_notify(ctx, key, N::HASH, "hincrby");
    ctx.dirty(1);
    ctx.out().int(new);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Redis does this in C `long double`, which `long_double` emulates exactly.
    use super::long_double;
    match long_double::classify(&args[3]) {
        None => return Err(err::NOT_FLOAT.into()),
        Some(false) => return Err("ERR value is NaN or Infinity".into()),
        Some(true) => {}
    }
    let key = &args[1];
    let field = &args[2];
    let cur = match read_hash(ctx, key)? {
        Some(o) => hash_of(o).get(field).map(Bytes::copy_from_slice),
        None => None,
    };
    let cur_bytes = cur.unwrap_or_else(|| Bytes::from_static(b"0"));
    // An infinite current value parses; the sum then fails as NaN/Infinity.
    if long_double::classify(&cur_bytes).is_none() {
        return Err("ERR hash value is not a float".into());
    }
    let text = long_double::incr_str(&cur_bytes, &args[3])?;
    let val = Bytes::from(text);
    let h = write_hash(ctx, key)?;
    h.insert(field, &val);
    settle_notify(ctx, key, N::HASH, "hincrbyfloat");
    ctx.dirty(1);
    ctx.out().bulk(&val);
    // Replicas get the result, not the increment (float formatting may differ).
    ctx.propagate = super::Propagate::Replace(vec![vec![
        Bytes::from_static(b"HSET"),
        key.clone(),
        field.clone(),
        val,
    ]]);
    Ok(())
}

// ---------------------------------------------------------------- reads

fn hget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let v = read_hash(ctx, &args[1])?
        .and_then(|o| hash_of(o).get(&args[2]).map(Bytes::copy_from_slice));
    match v {
        Some(v) => ctx.out().bulk(&v),
        None => ctx.out().null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let vals: Vec<Option<Bytes>> = match read_hash(ctx, &args[1])? {
        Some(o) => {
            let h = hash_of(o);
            args[2..]
                .iter()
                .map(|f| h.get(f).map(Bytes::copy_from_slice))
                .collect()
        }
        None => vec![None; args.len() - 2],
    };
    let out = ctx.out();
    out.array(vals.len());
    for v in &vals {
        match v {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
    }
    Ok(())
}

/// HGETALL / HKEYS / HVALS.
fn getall_generic(ctx: &mut Ctx, args: &[Bytes], keys: bool, vals: bool) -> CmdResult {
    let items = match read_hash(ctx, &args[1])? {
        Some(o) => entries(o),
        None => Vec::new(),
    };
    let out = ctx.out();
    if keys && vals {
        out.map(items.len());
    } else {
        out.array(items.len());
    }
    for (k, v) in &items {
        if keys {
            out.bulk(k);
        }
        if vals {
            out.bulk(v);
        }
    }
    Ok(())
}

fn hexists(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let e = read_hash(ctx, &args[1])?.is_some_and(|o| hash_of(o).contains_key(&args[2][..]));
    ctx.out().int(e as i64);
    Ok(())
}

fn hlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read_hash(ctx, &args[1])?.map_or(0, |o| hash_of(o).len());
    ctx.out().int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read_hash(ctx, &args[1])?
        .and_then(|o| hash_of(o).get(&args[2][..]).map(|v| v.len()))
        .unwrap_or(0);
    ctx.out().int(n as i64);
    Ok(())
}

fn hscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan::parse_cursor(&args[2])?;
    let Some(o) = read_hash(ctx, &args[1])? else {
        scan::reply(ctx.out(), 0, &[]);
        return Ok(());
    };
    let opts = ScanOpts::parse(&args[3..], false)?;
    let mut items: Vec<(Bytes, Bytes)> = Vec::new();
    let next = if let Some(d) = hash_of(o).table() {
        // A field and its value count as two against COUNT, as in Redis.
        scan::walk(d, cursor, opts.count, 2, |k, v| {
            items.push((k.clone(), v.clone()))
        })
    } else {
        items = entries(o);
        0
    };
    let flat: Vec<Bytes> = items
        .into_iter()
        .filter(|(k, _)| opts.matches(k))
        .flat_map(|(k, v)| [k, v])
        .collect();
    scan::reply(ctx.out(), next, &flat);
    Ok(())
}

fn hrandfield(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() == 2 {
        let pick = match read_hash(ctx, &args[1])? {
            None => None,
            Some(o) => {
                let items = entries(o);
                Some(items)
            }
        };
        match pick {
            Some(items) if !items.is_empty() => {
                let i = ctx.srv.rng.below(items.len() as u64) as usize;
                ctx.out().bulk(&items[i].0);
            }
            _ => ctx.out().null(),
        }
        return Ok(());
    }
    let (l, withvalues) = super::random_count_args(args, Some("withvalues"))?;
    let items = match read_hash(ctx, &args[1])? {
        None => Vec::new(),
        Some(o) => entries(o),
    };
    let size = items.len();
    if l < 0 && size > 0 {
        // Repetitions allowed: written as picked, and stopped when the
        // client goes over its output buffer limit (a huge count would
        // not fit in memory otherwise).
        let n = l.unsigned_abs();
        let resp3 = ctx.out().is_resp3();
        let per = if withvalues && !resp3 { 2 } else { 1 };
        ctx.out().array((n as usize).saturating_mul(per));
        for i in 0..n {
            if i % 1024 == 0 && ctx.reply_over_limit() {
                break;
            }
            let (k, v) = &items[ctx.srv.rng.below(size as u64) as usize];
            let out = &mut ctx.client.reply;
            if withvalues {
                if resp3 {
                    out.array(2);
                }
                out.bulk(k);
                out.bulk(v);
            } else {
                out.bulk(k);
            }
        }
        return Ok(());
    }
    let picked: Vec<usize> = if l <= 0 || size == 0 {
        Vec::new()
    } else if l as u64 >= size as u64 {
        (0..size).collect()
    } else {
        // Distinct fields: a partial Fisher-Yates, listed in hash order.
        let mut idx: Vec<usize> = (0..size).collect();
        let n = l as usize;
        for i in 0..n {
            let j = i + ctx.srv.rng.below((size - i) as u64) as usize;
            idx.swap(i, j);
        }
        let mut sel = idx[..n].to_vec();
        sel.sort_unstable();
        sel
    };
    let out = ctx.out();
    let resp3 = out.is_resp3();
    if withvalues && !resp3 {
        out.array(picked.len() * 2);
    } else {
        out.array(picked.len());
    }
    for &i in &picked {
        let (k, v) = &items[i];
        if withvalues {
            if resp3 {
                out.array(2);
            }
            out.bulk(k);
            out.bulk(v);
        } else {
            out.bulk(k);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- table

pub static COMMANDS: &[CommandDef] = &[
    def(
        "hset",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Set the string value of a hash field",
        |ctx, args| hset_generic(ctx, args, false),
    ),
    def(
        "hsetnx",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Set the value of a hash field, only if the field does not exist",
        hsetnx,
    ),
    def(
        "hget",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Get the value of a hash field",
        hget,
    ),
    def(
        "hmset",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Set multiple hash fields to multiple values",
        |ctx, args| hset_generic(ctx, args, true),
    ),
    def(
        "hmget",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Get the values of all the given hash fields",
        hmget,
    ),
    def(
        "hgetall",
        2,
        READONLY,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Get all the fields and values in a hash",
        |ctx, args| getall_generic(ctx, args, true, true),
    ),
    def(
        "hdel",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Delete one or more hash fields",
        hdel,
    ),
    def(
        "hexists",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Determine if a hash field exists",
        hexists,
    ),
    def(
        "hlen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Get the number of fields in a hash",
        hlen,
    ),
    def(
        "hkeys",
        2,
        READONLY,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Get all the fields in a hash",
        |ctx, args| getall_generic(ctx, args, true, false),
    ),
    def(
        "hvals",
        2,
        READONLY,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Get all the values in a hash",
        |ctx, args| getall_generic(ctx, args, false, true),
    ),
    def(
        "hincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "2.0.0",
        "Increment the integer value of a hash field by the given number",
        hincrby,
    ),
    def(
        "hincrbyfloat",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "hash",
        "2.6.0",
        "Increment the float value of a hash field by the given amount",
        hincrbyfloat,
    ),
    def(
        "hstrlen",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "hash",
        "3.2.0",
        "Get the length of the value of a hash field",
        hstrlen,
    ),
    def(
        "hscan",
        -3,
        READONLY,
        (1, 1, 1),
        "hash",
        "2.8.0",
        "Incrementally iterate hash fields and associated values",
        hscan,
    ),
    def(
        "hrandfield",
        -2,
        READONLY,
        (1, 1, 1),
        "hash",
        "6.2.0",
        "Get one or multiple random fields from a hash",
        hrandfield,
    ),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{Kit, WRONGTYPE};
    use crate::resp::ReplyBuf;

    #[test]
    fn set_get_and_listpack_order() {
        let mut t = Kit::new();
        let c = t.connect(1);
        assert_eq!(t.cmd(c, "hset h a 1 b 2 c 3"), ":3\r\n");
        assert_eq!(
            t.cmd(c, "hset h a"),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(
            t.cmd(c, "hmset h a 1 b"),
            "-ERR wrong number of arguments for 'hmset' command\r\n"
        );
        assert_eq!(t.cmd(c, "hmset h d 4"), "+OK\r\n");
        assert_eq!(t.cmd(c, "hdel h b"), ":1\r\n");
        assert_eq!(t.cmd(c, "hset h b 22 e 5"), ":2\r\n");
        // Insertion order, as a listpack keeps it.
        assert_eq!(
            t.cmd(c, "hkeys h"),
            "*5\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\nb\r\n$1\r\ne\r\n"
        );
        assert_eq!(
            t.cmd(c, "hvals h"),
            "*5\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n4\r\n$2\r\n22\r\n$1\r\n5\r\n"
        );
        assert_eq!(t.cmd(c, "hsetnx h a 9"), ":0\r\n");
        assert_eq!(t.cmd(c, "hsetnx h z 9"), ":1\r\n");
        assert_eq!(t.cmd(c, "hget h z"), "$1\r\n9\r\n");
        assert_eq!(t.cmd(c, "hget h nope"), "$-1\r\n");
        assert_eq!(t.cmd(c, "hmget h a nope"), "*2\r\n$1\r\n1\r\n$-1\r\n");
        assert_eq!(t.cmd(c, "hmget nokey a"), "*1\r\n$-1\r\n");
        assert_eq!(t.cmd(c, "hexists h a"), ":1\r\n");
        assert_eq!(t.cmd(c, "hlen h"), ":6\r\n");
        assert_eq!(t.cmd(c, "hstrlen h b"), ":2\r\n");
        assert_eq!(t.cmd(c, "hstrlen h q"), ":0\r\n");
        assert_eq!(t.encoding("h"), "listpack");
        assert_eq!(t.cmd(c, "hdel h a b c d e z q"), ":6\r\n");
        assert_eq!(t.encoding("h"), "none");
        assert_eq!(t.cmd(c, "hgetall h"), "*0\r\n");
        t.cmd(c, "rpush l x");
        assert_eq!(t.cmd(c, "hget l a"), WRONGTYPE);
        assert_eq!(t.cmd(c, "hset l a 1"), WRONGTYPE);
        assert_eq!(t.cmd(c, "hgetall l"), WRONGTYPE);
        assert_eq!(t.cmd(c, "hscan l 0"), WRONGTYPE);
        assert_eq!(t.cmd(c, "hrandfield l"), WRONGTYPE);
        t.client(c).reply = ReplyBuf::new(3);
        t.cmd(c, "hset m f v");
        assert_eq!(t.cmd(c, "hgetall m"), "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
        t.cmd(c, &format!("hset m big {}", "x".repeat(65)));
        assert_eq!(t.encoding("m"), "hashtable");
    }

    #[test]
    fn incr() {
        let mut t = Kit::new();
        let c = t.connect(1);
        assert_eq!(
            t.cmd(c, "hincrby h a x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.cmd(c, "hincrby h a 10"), ":10\r\n");
        assert_eq!(
            t.cmd(c, "hincrby h a 9223372036854775807"),
            "-ERR increment or decrement would overflow\r\n"
        );
        t.cmd(c, "hset h s hello f 1.5");
        assert_eq!(
            t.cmd(c, "hincrby h s 1"),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            t.cmd(c, "hincrby h f 1"),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            t.cmd(c, "hincrbyfloat h s 1"),
            "-ERR hash value is not a float\r\n"
        );
        assert_eq!(
            t.cmd(c, "hincrbyfloat h f abc"),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(
            t.cmd(c, "hincrbyfloat h f inf"),
            "-ERR value is NaN or Infinity\r\n"
        );
        t.feed();
        assert_eq!(t.cmd(c, "hincrbyfloat h f 1.1"), "$3\r\n2.6\r\n");
        assert_eq!(t.feed(), vec!["HSET h f 2.6"]);
        assert_eq!(t.cmd(c, "hincrbyfloat h n 0.1"), "$3\r\n0.1\r\n");
        assert_eq!(t.cmd(c, "hincrbyfloat h n 0.2"), "$3\r\n0.3\r\n");
        assert_eq!(t.cmd(c, "hincrbyfloat h e 3.0e3"), "$4\r\n3000\r\n");
        assert_eq!(t.cmd(c, "hset h big 9223372036854775807"), ":1\r\n");
        assert_eq!(
            t.cmd(c, "hincrbyfloat h big 1"),
            "$19\r\n9223372036854775808\r\n"
        );
        assert_eq!(
            t.cmd(c, "hincrbyfloat h pi 3.14159265358979323846"),
            "$19\r\n3.14159265358979324\r\n"
        );
    }

    #[test]
    fn scan_and_randfield() {
        let mut t = Kit::new();
        let c = t.connect(1);
        t.cmd(c, "hset h a 1 b 2 ab 3");
        assert_eq!(
            t.cmd(c, "hscan h 0 match a*"),
            "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$2\r\nab\r\n$1\r\n3\r\n"
        );
        assert_eq!(t.cmd(c, "hscan h x"), "-ERR invalid cursor\r\n");
        assert_eq!(t.cmd(c, "hscan h 0 count 0"), "-ERR syntax error\r\n");
        assert_eq!(
            t.cmd(c, "hscan h 0 count x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.cmd(c, "hscan h 0 foo bar"), "-ERR syntax error\r\n");
        assert_eq!(t.cmd(c, "hscan nokey 0 count 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(
            t.cmd(c, "hscan h 18446744073709551616"),
            "-ERR invalid cursor\r\n"
        );
        for i in 0..512 {
            t.cmd(c, &format!("hset big f{i} {i}"));
        }
        assert_eq!(
            t.encoding("big"),
            "listpack",
            "hash-max-listpack-entries is 512"
        );
        t.cmd(c, "hset big f512 512");
        assert_eq!(t.encoding("big"), "hashtable");
        let mut seen = std::collections::BTreeSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let r = t.cmd(c, &format!("hscan big {cursor} count 20"));
            let (frame, _) = crate::resp::Frame::parse(r.as_bytes())
                .expect("ok")
                .expect("frame");
            let parts = frame.as_array().expect("array").to_vec();
            cursor = parts[0].as_str().expect("cursor").to_string();
            for kv in parts[1].as_array().expect("items").chunks(2) {
                seen.insert(kv[0].as_str().expect("field").to_string());
            }
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 513);
        assert!(calls > 5, "a big hash is scanned in steps");

        assert_eq!(t.cmd(c, "hrandfield nokey"), "$-1\r\n");
        assert_eq!(t.cmd(c, "hrandfield nokey 5 withvalues"), "*0\r\n");
        assert_eq!(t.cmd(c, "hrandfield h 0"), "*0\r\n");
        assert_eq!(
            t.cmd(c, "hrandfield h 10"),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\nab\r\n"
        );
        assert_eq!(t.cmd(c, "hrandfield h 1 foo"), "-ERR syntax error\r\n");
        assert_eq!(
            t.cmd(c, "hrandfield h x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert!(t
            .cmd(c, "hrandfield h -9223372036854775808")
            .starts_with("-ERR value is out of range, value must between"));
        assert_eq!(
            t.cmd(c, "hrandfield h 9223372036854775807 withvalues"),
            "-ERR value is out of range\r\n"
        );
        let r = t.cmd(c, "hrandfield h -5 withvalues");
        assert!(r.starts_with("*10\r\n"), "{r}");
        let r = t.cmd(c, "hrandfield big 7");
        let (f, _) = crate::resp::Frame::parse(r.as_bytes())
            .expect("ok")
            .expect("frame");
        let names: std::collections::BTreeSet<_> = f
            .as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_str().expect("s").to_string())
            .collect();
        assert_eq!(names.len(), 7, "distinct fields");
        t.client(c).reply = ReplyBuf::new(3);
        assert_eq!(
            t.cmd(c, "hrandfield h 1 withvalues").lines().next(),
            Some("*1")
        );
    }
}
