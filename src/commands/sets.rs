//! Set commands.
//!
//! Sets are `keyspace::SetValue`: an intset (iterated in ascending numeric
//! order, as Redis does) while small and all integers, else a hashtable.

use super::scan::{self, ScanOpts};
use super::{def, err, flags::*, CmdResult, CommandDef, Ctx, Error, Propagate};
use crate::keyspace::{Db, Dict, Object, SetValue, Value};
use crate::node::Millis;
use crate::resp::{parse_i64, ReplyBuf};
use crate::server::notify::class as N;
use bytes::Bytes;

type Set = SetValue;

/// Look up several keys for reading at once (lazy expiry first).
pub(crate) fn lookup_many<'a>(
    db: &'a mut Db,
    keys: &[Bytes],
    now: Millis,
) -> Vec<Option<&'a Object>> {
    let gone: Vec<bool> = keys.iter().map(|k| db.expire_if_needed(k, now)).collect();
    let db: &'a Db = db;
    keys.iter()
        .zip(gone)
        .map(|(k, g)| if g { None } else { db.keys().get(&k[..]) })
        .collect()
}

/// Members in the order Redis would iterate them: numeric order for intsets.
fn ordered(set: &Set) -> Vec<Bytes> {
    set.iter().collect()
}

fn as_set(obj: &Object) -> Result<&Set, Error> {
    crate::typed!(obj, Value::Set)
}

/// Read-only lookup with type check.
fn read_set<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a Set>, Error> {
    match ctx.lookup(key) {
        None => Ok(None),
        Some(o) => Ok(Some(as_set(o)?)),
    }
}

fn reply_members<'a>(out: &mut ReplyBuf, members: impl ExactSizeIterator<Item = &'a Bytes>) {
    out.set(members.len());
    for m in members {
        out.bulk(m);
    }
}

fn sadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let limits = ctx.srv.encoding_limits;
    let resize = ctx.srv.dict_resize();
    let key = &args[1];
    let db = ctx.db();
    // One lookup of the key (a new set is stored whole): an expired key
    // is gone first, as a read lookup finds it.
    let found = if db.expire_if_needed(key, now) {
        None
    } else {
        db.get_for_write(key, now)
    };
    let added = match found {
        Some(mut w) => {
            as_set(w.get())?;
            let o = w.get_mut();
            let Value::Set(s) = &mut o.value else {
                unreachable!("as_set checked the type");
            };
            let added = s.insert_many(&args[2..], limits.set_intset_entries, resize);
            o.update_encoding_with(&limits);
            added
        }
        None => {
            let mut s = SetValue::new();
            let added = s.insert_many(&args[2..], limits.set_intset_entries, resize);
            let mut o = Object::new(Value::Set(s));
            o.update_encoding_with(&limits);
            db.set(crate::keyspace::owned_key(key), o);
            added
        }
    } as u64;
    ctx.dirty(added);
    if added > 0 {
        ctx.notify(N::SET, "sadd", key);
    }
    ctx.out().int(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let resize = ctx.srv.dict_resize();
    super::remove_members(ctx, &args[1], (N::SET, "srem"), |obj| {
        let s = crate::typed_mut!(obj, Value::Set)?;
        let mut removed = 0;
        for m in &args[2..] {
            if s.remove(m, resize) {
                removed += 1;
                if s.is_empty() {
                    break;
                }
            }
        }
        Ok(removed)
    })
}

fn smembers(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    match db.get(&args[1], now) {
        None => out.set(0),
        Some(o) => {
            let s = as_set(o)?;
            reply_members(out, ordered(s).iter());
        }
    }
    Ok(())
}

fn sismember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let found = match read_set(ctx, &args[1])? {
        Some(s) => s.contains(&args[2]),
        None => false,
    };
    ctx.out().int(found as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let found: Vec<bool> = match read_set(ctx, &args[1])? {
        Some(s) => args[2..].iter().map(|m| s.contains(m)).collect(),
        None => vec![false; args.len() - 2],
    };
    let out = ctx.out();
    out.array(found.len());
    for f in found {
        out.int(f as i64);
    }
    Ok(())
}

fn scard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read_set(ctx, &args[1])?.map_or(0, |s| s.len());
    ctx.out().int(n as i64);
    Ok(())
}

/// Remove and return one random member.
fn pop_random(ctx: &mut Ctx, key: &[u8]) -> Option<Bytes> {
    let now = ctx.now;
    let dbi = ctx.client.db;
    let srv = &mut *ctx.srv;
    let r = srv.rng.next_u64();
    let resize = srv.dict_resize();
    let obj = srv.dbs[dbi].get_mut(key, now)?;
    let Value::Set(s) = &mut obj.value else {
        return None;
    };
    let m = s.random_mut(r, resize)?;
    s.remove(&m, resize);
    Some(m)
}

fn spop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(err::SYNTAX.into());
    }
    if args.len() == 3 {
        return spop_count(ctx, args);
    }
    if read_set(ctx, &args[1])?.is_none() {
        ctx.out().null();
        return Ok(());
    }
    let Some(m) = pop_random(ctx, &args[1]) else {
        ctx.out().null();
        return Ok(());
    };
    super::settle_notify(ctx, &args[1], N::SET, "spop");
    ctx.dirty(1);
    ctx.propagate = Propagate::Replace(vec![vec![
        Bytes::from_static(b"SREM"),
        args[1].clone(),
        m.clone(),
    ]]);
    ctx.out().bulk(&m);
    Ok(())
}

fn spop_count(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let count = super::arg_pop_count(&args[2])?;
    let Some(s) = read_set(ctx, &args[1])? else {
        ctx.out().set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out().set(0);
        return Ok(());
    }
    let size = s.len() as u64;
    if count >= size {
        let all: Vec<Bytes> = ordered(s);
        ctx.db().delete(&args[1]);
        ctx.dirty(1);
        ctx.notify(N::SET, "spop", &args[1]);
        ctx.notify(N::GENERIC, "del", &args[1]);
        ctx.propagate = Propagate::Replace(vec![vec![Bytes::from_static(b"DEL"), args[1].clone()]]);
        reply_members(ctx.out(), all.iter());
        return Ok(());
    }
    let mut popped = Vec::with_capacity(count as usize);
    for _ in 0..count {
        match pop_random(ctx, &args[1]) {
            Some(m) => popped.push(m),
            None => break,
        }
    }
    super::settle_notify(ctx, &args[1], N::SET, "spop");
    ctx.dirty(popped.len() as u64);
    ctx.propagate = Propagate::Replace(
        popped
            .iter()
            .map(|m| vec![Bytes::from_static(b"SREM"), args[1].clone(), m.clone()])
            .collect(),
    );
    reply_members(ctx.out(), popped.iter());
    Ok(())
}

fn srandmember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 3 {
        return Err(err::SYNTAX.into());
    }
    let now = ctx.now;
    let dbi = ctx.client.db;
    let srv = &mut *ctx.srv;
    let resize = srv.dict_resize();
    let out = &mut ctx.client.reply;
    if args.len() == 2 {
        let r = srv.rng.next_u64();
        let m = match srv.dbs[dbi].get_for_layout(&args[1], now) {
            None => None,
            Some(o) => crate::typed_mut!(o, Value::Set)?.random_mut(r, resize),
        };
        match m {
            Some(m) => out.bulk(&m),
            None => out.null(),
        }
        return Ok(());
    }
    let (l, _) = super::random_count_args(args, None)?;
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    // Sampling steps the table's rehash, as 7.0's does.
    let Some(o) = srv.dbs[dbi].get_for_layout(&args[1], now) else {
        out.array(0);
        return Ok(());
    };
    let s = crate::typed_mut!(o, Value::Set)?;
    if count == 0 {
        out.array(0);
        return Ok(());
    }
    let size = s.len() as u64;
    if !uniq || count == 1 {
        if count > super::MAX_RANDOM_REPEAT {
            return Err("ERR value is out of range".into());
        }
        out.array(count as usize);
        for _ in 0..count {
            if let Some(k) = s.random_mut(srv.rng.next_u64(), resize) {
                out.bulk(&k);
            }
        }
        return Ok(());
    }
    if count >= size {
        let all = ordered(s);
        out.array(all.len());
        for m in &all {
            out.bulk(m);
        }
        return Ok(());
    }
    out.array(count as usize);
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // Most of the set: pick and remove from a copy of the candidates.
        let mut cands: Vec<Bytes> = s.iter().collect();
        for _ in 0..count {
            let i = srv.rng.below(cands.len() as u64) as usize;
            let m = cands.swap_remove(i);
            out.bulk(&m);
        }
        return Ok(());
    }
    // A big set: random members until `count` distinct ones.
    let mut picked: Dict<Bytes, ()> = Dict::new();
    picked.reserve(count as usize);
    while (picked.len() as u64) < count {
        let Some(m) = s.random_mut(srv.rng.next_u64(), resize) else {
            break;
        };
        if picked.insert(m.clone(), ()).is_none() {
            out.bulk(&m);
        }
    }
    Ok(())
}

/// 7.0's SRANDMEMBER_SUB_STRATEGY_MUL: a count above a third of the set
/// takes members out of a copy rather than sampling until enough differ.
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

fn smove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (src, dst, m) = (&args[1], &args[2], &args[3]);
    let now = ctx.now;
    let limits = ctx.srv.encoding_limits;
    let resize = ctx.srv.dict_resize();
    let db = ctx.db();
    let src_member = match db.get(src, now) {
        None => {
            ctx.out().int(0);
            return Ok(());
        }
        Some(o) => as_set(o)?.contains(m),
    };
    let dst_exists = match db.get(dst, now) {
        None => false,
        Some(o) => {
            as_set(o)?;
            true
        }
    };
    if src == dst {
        ctx.out().int(src_member as i64);
        return Ok(());
    }
    if !src_member {
        ctx.out().int(0);
        return Ok(());
    }
    let mut dirty = 1;
    let mut src_deleted = false;
    if let Some(obj) = db.get_mut_now(&src[..]) {
        if let Value::Set(s) = &mut obj.value {
            s.remove(m, resize);
        }
        src_deleted = db.settle_collection(src, &limits);
    }
    ctx.notify(N::SET, "srem", src);
    if src_deleted {
        ctx.notify(N::GENERIC, "del", src);
    }
    let db = ctx.db();
    if !dst_exists {
        db.set(
            crate::keyspace::owned_key(dst),
            Object::new(Value::Set(SetValue::new())),
        );
    }
    if let Some(obj) = db.get_mut_now(&dst[..]) {
        if let Value::Set(s) = &mut obj.value {
            if s.insert(m, limits.set_intset_entries, resize) {
                dirty += 1;
            }
        }
        obj.update_encoding_with(&limits);
    }
    ctx.dirty(dirty);
    // The destination counts as modified (WATCH) only if the member was
    // new to it, as 7.0 signals it.
    ctx.signal_keys = false;
    ctx.touch(src);
    if dirty > 1 {
        ctx.touch(dst);
        ctx.notify(N::SET, "sadd", dst);
    }
    ctx.out().int(1);
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The result of SINTER/SUNION/SDIFF over `keys`, in Redis's reply order.
/// `limit` (SINTERCARD) stops an intersection early; 0 means no limit.
fn set_op(ctx: &mut Ctx, keys: &[Bytes], op: Op, limit: usize) -> Result<Vec<Bytes>, Error> {
    let now = ctx.now;
    let max_intset = ctx.srv.encoding_limits.set_intset_entries;
    let resize = ctx.srv.dict_resize();
    let objs = lookup_many(ctx.db(), keys, now);
    let mut sets: Vec<Option<&Set>> = Vec::with_capacity(objs.len());
    for o in &objs {
        sets.push(match o {
            None => None,
            Some(o) => Some(as_set(o)?),
        });
    }
    let mut res: Vec<Bytes> = Vec::new();
    match op {
        Op::Inter => {
            if sets.iter().any(|s| s.is_none()) {
                return Ok(res);
            }
            let mut sets: Vec<&Set> = sets.into_iter().flatten().collect();
            crate::coldsort::sort_by_key(&mut sets, |s| s.len());
            let (first, rest) = sets.split_first().ok_or(Error::from(err::SYNTAX))?;
            for m in first.iter() {
                if rest.iter().all(|s| s.contains(&m)) {
                    res.push(m);
                    if limit > 0 && res.len() >= limit {
                        break;
                    }
                }
            }
        }
        Op::Union => {
            // Gathered as 7.0 does, in a set that starts as an intset.
            let mut acc = Set::new();
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    acc.insert(&m, max_intset, resize);
                }
            }
            res = ordered(&acc);
        }
        Op::Diff => {
            let Some(Some(first)) = sets.first() else {
                return Ok(res);
            };
            let mut acc = Set::new();
            for m in first.iter() {
                if !sets[1..].iter().flatten().any(|s| s.contains(&m)) {
                    acc.insert(&m, max_intset, resize);
                }
            }
            res = ordered(&acc);
        }
    }
    Ok(res)
}

fn set_op_reply(ctx: &mut Ctx, args: &[Bytes], op: Op) -> CmdResult {
    let res = set_op(ctx, &args[1..], op, 0)?;
    reply_members(ctx.out(), res.iter());
    Ok(())
}

fn set_op_store(ctx: &mut Ctx, args: &[Bytes], op: Op) -> CmdResult {
    let res = set_op(ctx, &args[2..], op, 0)?;
    let dst = &args[1];
    let n = res.len();
    let max_intset = ctx.srv.encoding_limits.set_intset_entries;
    let resize = ctx.srv.dict_resize();
    let mut s = Set::new();
    for m in &res {
        s.insert(m, max_intset, resize);
    }
    super::store_and_reply(ctx, dst, Value::Set(s), n, N::SET);
    Ok(())
}

fn sunion(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op_reply(ctx, args, Op::Union)
}
fn sinterstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op_store(ctx, args, Op::Inter)
}
fn sdiffstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    set_op_store(ctx, args, Op::Diff)
}

fn sintercard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    const NUMKEYS: &str = "ERR numkeys should be greater than 0";
    let numkeys = match parse_i64(&args[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(NUMKEYS.into()),
    };
    if numkeys > (args.len() - 2) as u64 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let numkeys = numkeys as usize;
    let mut limit = 0usize;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if super::eq_ignore_case(&args[i], "limit") && i + 1 < args.len() {
            i += 1;
            limit = match parse_i64(&args[i]) {
                Some(n) if n >= 0 => n as usize,
                _ => return Err("ERR LIMIT can't be negative".into()),
            };
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 1;
    }
    let res = set_op(ctx, &args[2..2 + numkeys], Op::Inter, limit)?;
    ctx.out().int(res.len() as i64);
    Ok(())
}

fn sscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan::parse_cursor(&args[2])?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(o) = db.get(&args[1], now) else {
        scan::reply(out, 0, &[]);
        return Ok(());
    };
    let s = as_set(o)?;
    let opts = ScanOpts::parse(&args[3..], false)?;
    let mut items: Vec<Bytes> = Vec::new();
    let next = match s.table() {
        Some(d) => scan::walk(d, cursor, opts.count, 1, |k, _| items.push(k.clone())),
        None => {
            items = ordered(s);
            0
        }
    };
    items.retain(|m| opts.matches(m));
    scan::reply(out, next, &items);
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "sadd",
        -3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "set",
        "1.0.0",
        "Add one or more members to a set",
        sadd,
    ),
    def(
        "srem",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "set",
        "1.0.0",
        "Remove one or more members from a set",
        srem,
    ),
    def(
        "smembers",
        2,
        READONLY,
        (1, 1, 1),
        "set",
        "1.0.0",
        "Get all the members in a set",
        smembers,
    ),
    def(
        "sismember",
        3,
        READONLY | FAST,
        (1, 1, 1),
        "set",
        "1.0.0",
        "Determine if a given value is a member of a set",
        sismember,
    ),
    def(
        "smismember",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        "set",
        "6.2.0",
        "Returns the membership associated with the given elements for a set",
        smismember,
    ),
    def(
        "scard",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "set",
        "1.0.0",
        "Get the number of members in a set",
        scard,
    ),
    def(
        "spop",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "set",
        "1.0.0",
        "Remove and return one or multiple random members from a set",
        spop,
    ),
    def(
        "srandmember",
        -2,
        READONLY,
        (1, 1, 1),
        "set",
        "1.0.0",
        "Get one or multiple random members from a set",
        srandmember,
    ),
    def(
        "smove",
        4,
        WRITE | FAST,
        (1, 2, 1),
        "set",
        "1.0.0",
        "Move a member from one set to another",
        smove,
    ),
    def(
        "sinter",
        -2,
        READONLY,
        (1, -1, 1),
        "set",
        "1.0.0",
        "Intersect multiple sets",
        |ctx, args| set_op_reply(ctx, args, Op::Inter),
    ),
    def(
        "sunion",
        -2,
        READONLY,
        (1, -1, 1),
        "set",
        "1.0.0",
        "Add multiple sets",
        sunion,
    ),
    def(
        "sdiff",
        -2,
        READONLY,
        (1, -1, 1),
        "set",
        "1.0.0",
        "Subtract multiple sets",
        |ctx, args| set_op_reply(ctx, args, Op::Diff),
    ),
    def(
        "sinterstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        "set",
        "1.0.0",
        "Intersect multiple sets and store the resulting set in a key",
        sinterstore,
    ),
    def(
        "sunionstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        "set",
        "1.0.0",
        "Add multiple sets and store the resulting set in a key",
        |ctx, args| set_op_store(ctx, args, Op::Union),
    ),
    def(
        "sdiffstore",
        -3,
        WRITE | DENYOOM,
        (1, -1, 1),
        "set",
        "1.0.0",
        "Subtract multiple sets and store the resulting set in a key",
        sdiffstore,
    ),
    def(
        "sintercard",
        -3,
        READONLY,
        (0, 0, 0),
        "set",
        "7.0.0",
        "Intersect multiple sets and return the cardinality of the result",
        sintercard,
    ),
    def(
        "sscan",
        -3,
        READONLY,
        (1, 1, 1),
        "set",
        "2.8.0",
        "Incrementally iterate Set elements",
        sscan,
    ),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{Kit, WRONGTYPE};

    #[test]
    fn smove_signals_its_destination_only_when_the_member_is_new_there() {
        let mut k = Kit::new();
        k.cmd(1, "SADD src{t} a b");
        k.cmd(1, "SADD dst{t} a");
        k.cmd(1, "WATCH dst{t}");
        k.cmd(1, "MULTI");
        k.cmd(1, "SADD dst{t} c");
        assert_eq!(k.cmd(2, "SMOVE src{t} dst{t} a"), ":1\r\n");
        assert_eq!(k.cmd(1, "EXEC"), "*1\r\n:1\r\n");
        k.cmd(1, "WATCH dst{t}");
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(2, "SMOVE src{t} dst{t} b"), ":1\r\n");
        assert_eq!(k.cmd(1, "EXEC"), "*-1\r\n");
    }

    /// The table of the set at `key`: (table 0's size, table 1's or 0).
    fn tables(k: &Kit, key: &str) -> (usize, usize) {
        let o = k.srv.st.dbs[0].keys().get(key.as_bytes()).expect("the key");
        let crate::keyspace::Value::Set(s) = &o.value else {
            panic!("a set")
        };
        let d = s.table().expect("a table");
        (d.table_size(0), d.table_size(1))
    }

    #[test]
    fn a_set_shrinks_only_while_no_child_runs() {
        use crate::server::config::Key;
        let mut k = Kit::new();
        let ms: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
        k.cmd(1, &format!("SADD s {}", ms.join(" ")));
        while tables(&k, "s").1 != 0 {
            k.cmd(1, "SRANDMEMBER s");
        }
        assert_eq!(tables(&k, "s"), (128, 0));
        let delay = ["1000000".into()];
        k.srv
            .st
            .config
            .set(Key::RDB_KEY_SAVE_DELAY, &delay)
            .unwrap();
        k.cmd(1, "BGSAVE");
        assert!(k.srv.st.bgsave_job.is_some());
        // 5 members in 128 buckets: no resize while the child runs.
        k.cmd(1, &format!("SREM s {}", ms[5..].join(" ")));
        assert_eq!(tables(&k, "s"), (128, 0));
        k.srv.st.kill_bgsave();
        k.cmd(1, "SREM s m0");
        assert_eq!(tables(&k, "s"), (128, 4));
        // Sampling moves the rehash on, as 7.0's SRANDMEMBER does.
        for _ in 0..2 {
            k.cmd(1, "SRANDMEMBER s");
        }
        assert_eq!(tables(&k, "s"), (4, 0));
        assert_eq!(k.cmd(1, "SCARD s"), ":4\r\n");
    }

    #[test]
    fn sets_basic() {
        let mut t = Kit::new();
        assert_eq!(t.cmd(1, "SADD s 3 1 2 2"), ":3\r\n");
        assert_eq!(
            t.cmd(1, "SMEMBERS s"),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        assert_eq!(t.cmd(1, "SCARD s"), ":3\r\n");
        assert_eq!(t.cmd(1, "SISMEMBER s 2"), ":1\r\n");
        assert_eq!(t.cmd(1, "SISMEMBER s 9"), ":0\r\n");
        assert_eq!(t.cmd(1, "SMISMEMBER s 1 9"), "*2\r\n:1\r\n:0\r\n");
        assert_eq!(t.cmd(1, "SMISMEMBER nokey 1"), "*1\r\n:0\r\n");
        assert_eq!(t.cmd(1, "SREM s 1 9"), ":1\r\n");
        assert_eq!(t.cmd(1, "SREM s 2 3"), ":2\r\n");
        assert_eq!(t.cmd(1, "SCARD s"), ":0\r\n");
        assert_eq!(t.srv.st.dbs[0].len(), 0);
        assert_eq!(t.cmd(1, "SMEMBERS s"), "*0\r\n");
        assert_eq!(t.cmd(1, "SREM s 2"), ":0\r\n");
        assert_eq!(
            t.cmd(1, "SADD s"),
            "-ERR wrong number of arguments for 'sadd' command\r\n"
        );
        t.put_str(0, "str", "x");
        for c in [
            "SADD str a",
            "SREM str a",
            "SMEMBERS str",
            "SCARD str",
            "SISMEMBER str a",
            "SMISMEMBER str a",
            "SPOP str",
            "SPOP str 2",
            "SRANDMEMBER str",
            "SRANDMEMBER str 2",
            "SINTER str",
            "SUNION nokey str",
            "SINTER nokey str",
            "SINTERSTORE d nokey str",
            "SSCAN str 0",
            "SMOVE str x a",
            "SINTERCARD 1 str",
        ] {
            assert_eq!(t.cmd(1, c), WRONGTYPE, "{c}");
        }
        t.cmd(1, "SADD s a");
        assert_eq!(t.cmd(1, "SMOVE s str a"), WRONGTYPE);
        t.resp3(1);
        assert_eq!(t.cmd(1, "SMEMBERS nokey"), "~0\r\n");
        assert_eq!(t.cmd(1, "SMEMBERS s"), "~1\r\n$1\r\na\r\n");
    }

    #[test]
    fn sets_spop_srandmember() {
        let mut t = Kit::new();
        t.cmd(1, "SADD s 1 2 3 4 5");
        t.feed();
        let r = t.cmd(1, "SPOP s");
        assert!(r.starts_with("$1\r\n"), "{r}");
        let m = r[4..5].to_string();
        assert_eq!(t.feed(), vec![format!("SREM s {m}")]);
        assert_eq!(t.cmd(1, &format!("SISMEMBER s {m}")), ":0\r\n");
        assert!(t.cmd(1, "SPOP s 2").starts_with("*2\r\n"));
        assert_eq!(t.feed().len(), 2);
        assert_eq!(t.cmd(1, "SCARD s"), ":2\r\n");
        assert_eq!(t.cmd(1, "SPOP s 0"), "*0\r\n");
        let pos = "-ERR value is out of range, must be positive\r\n";
        assert_eq!(t.cmd(1, "SPOP s -1"), pos);
        assert_eq!(t.cmd(1, "SPOP s x"), pos);
        assert_eq!(t.cmd(1, "SPOP s 1 2"), "-ERR syntax error\r\n");
        assert!(t.cmd(1, "SPOP s 5").starts_with("*2\r\n"));
        assert_eq!(t.feed(), vec!["DEL s".to_string()]);
        assert_eq!(t.cmd(1, "SPOP s"), "$-1\r\n");
        assert_eq!(t.cmd(1, "SPOP s 3"), "*0\r\n");
        assert_eq!(t.feed().len(), 0);

        t.cmd(1, "SADD r 1 2 3");
        assert_eq!(
            t.cmd(1, "SRANDMEMBER r 5"),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        assert!(t.cmd(1, "SRANDMEMBER r -7").starts_with("*7\r\n"));
        assert!(t.cmd(1, "SRANDMEMBER r 2").starts_with("*2\r\n"));
        assert!(t.cmd(1, "SRANDMEMBER r").starts_with("$1\r\n"));
        assert_eq!(t.cmd(1, "SRANDMEMBER r 0"), "*0\r\n");
        assert_eq!(t.cmd(1, "SRANDMEMBER nokey 3"), "*0\r\n");
        assert_eq!(t.cmd(1, "SRANDMEMBER nokey"), "$-1\r\n");
        assert_eq!(
            t.cmd(1, "SRANDMEMBER r x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            t.cmd(1, "SRANDMEMBER r -9223372036854775808"),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(t.cmd(1, "SRANDMEMBER r 1 2"), "-ERR syntax error\r\n");
        assert_eq!(t.feed(), vec!["SADD r 1 2 3".to_string()]);
        // Distinct members for a positive count.
        t.cmd(1, "SADD big a b c d e f g h");
        for _ in 0..20 {
            let r = t.cmd(1, "SRANDMEMBER big 7");
            let mut v: Vec<&str> = r.split("\r\n").filter(|l| l.len() == 1).collect();
            v.sort();
            v.dedup();
            assert_eq!(v.len(), 7, "{r}");
        }
        t.resp3(1);
        assert!(t.cmd(1, "SPOP big 2").starts_with("~2\r\n"));
        assert_eq!(t.cmd(1, "SPOP nokey 2"), "~0\r\n");
        assert!(t.cmd(1, "SRANDMEMBER big 2").starts_with("*2\r\n"));
    }

    #[test]
    fn sets_smove() {
        let mut t = Kit::new();
        t.cmd(1, "SADD a 1 2");
        assert_eq!(t.cmd(1, "SMOVE a b 1"), ":1\r\n");
        assert_eq!(t.cmd(1, "SMOVE a b 9"), ":0\r\n");
        assert_eq!(t.cmd(1, "SMOVE nokey b 9"), ":0\r\n");
        assert_eq!(t.cmd(1, "SMOVE a a 2"), ":1\r\n");
        assert_eq!(t.cmd(1, "SMOVE a a 9"), ":0\r\n");
        assert_eq!(t.cmd(1, "SMOVE a b 2"), ":1\r\n");
        assert_eq!(t.cmd(1, "SCARD a"), ":0\r\n");
        assert_eq!(t.cmd(1, "SMEMBERS b"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(t.srv.st.dbs[0].len(), 1);
    }

    #[test]
    fn sets_algebra() {
        let mut t = Kit::new();
        t.cmd(1, "SADD a 1 2 3 4");
        t.cmd(1, "SADD b 3 4 5");
        t.cmd(1, "SADD c x 4");
        assert_eq!(t.cmd(1, "SINTER a b"), "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
        assert_eq!(t.cmd(1, "SINTER a b c"), "*1\r\n$1\r\n4\r\n");
        assert_eq!(t.cmd(1, "SINTER a nokey"), "*0\r\n");
        assert_eq!(
            t.cmd(1, "SUNION a b"),
            "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"
        );
        assert_eq!(t.cmd(1, "SDIFF a b"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(t.cmd(1, "SDIFF nokey a"), "*0\r\n");
        assert_eq!(t.cmd(1, "SINTERSTORE d a b"), ":2\r\n");
        assert_eq!(t.cmd(1, "SMEMBERS d"), "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
        assert_eq!(t.cmd(1, "SUNIONSTORE d a b c"), ":6\r\n");
        assert_eq!(t.cmd(1, "SDIFFSTORE d a b c"), ":2\r\n");
        assert_eq!(t.cmd(1, "SINTERSTORE d a nokey"), ":0\r\n");
        assert_eq!(t.cmd(1, "SCARD d"), ":0\r\n");
        assert_eq!(t.cmd(1, "SINTERCARD 2 a b"), ":2\r\n");
        assert_eq!(t.cmd(1, "SINTERCARD 2 a b LIMIT 1"), ":1\r\n");
        assert_eq!(t.cmd(1, "SINTERCARD 2 a b limit 0"), ":2\r\n");
        assert_eq!(t.cmd(1, "SINTERCARD 1 nokey"), ":0\r\n");
        for (c, e) in [
            ("SINTERCARD 0 a", "ERR numkeys should be greater than 0"),
            ("SINTERCARD x a", "ERR numkeys should be greater than 0"),
            (
                "SINTERCARD 3 a b",
                "ERR Number of keys can't be greater than number of args",
            ),
            ("SINTERCARD 1 a LIMIT -1", "ERR LIMIT can't be negative"),
            ("SINTERCARD 1 a LIMIT x", "ERR LIMIT can't be negative"),
            ("SINTERCARD 1 a LIMIT", "ERR syntax error"),
            ("SINTERCARD 1 a foo", "ERR syntax error"),
        ] {
            assert_eq!(t.cmd(1, c), format!("-{e}\r\n"), "{c}");
        }
        t.resp3(1);
        assert_eq!(t.cmd(1, "SINTER a nokey"), "~0\r\n");
        assert_eq!(t.cmd(1, "SDIFF a b"), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    }

    #[test]
    fn sets_sscan() {
        let mut t = Kit::new();
        t.cmd(1, "SADD s 3 1 2");
        assert_eq!(
            t.cmd(1, "SSCAN s 0"),
            "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            t.cmd(1, "SSCAN s 0 MATCH 2"),
            "*2\r\n$1\r\n0\r\n*1\r\n$1\r\n2\r\n"
        );
        assert_eq!(t.cmd(1, "SSCAN nokey x"), "-ERR invalid cursor\r\n");
        assert_eq!(t.cmd(1, "SSCAN nokey 0 foo"), "*2\r\n$1\r\n0\r\n*0\r\n");
        assert_eq!(t.cmd(1, "SSCAN s 0 COUNT 0"), "-ERR syntax error\r\n");
        assert_eq!(
            t.cmd(1, "SSCAN s 0 COUNT x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.cmd(1, "SSCAN s 0 TYPE string"), "-ERR syntax error\r\n");
        assert_eq!(t.cmd(1, "SSCAN s 0 MATCH"), "-ERR syntax error\r\n");
        // A big set is walked with a cursor and returns every member.
        let words: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
        let mut argv = vec!["SADD", "big"];
        argv.extend(words.iter().map(|s| s.as_str()));
        assert_eq!(t.argv(1, &argv), ":300\r\n");
        let mut seen = std::collections::BTreeSet::new();
        let mut cursor = "0".to_string();
        let mut rounds = 0;
        loop {
            let r = t.cmd(1, &format!("SSCAN big {cursor}"));
            let lines: Vec<&str> = r.split("\r\n").collect();
            cursor = lines[2].to_string();
            for l in &lines[4..] {
                if l.starts_with('m') {
                    seen.insert(l.to_string());
                }
            }
            rounds += 1;
            if cursor == "0" {
                break;
            }
        }
        assert!(rounds > 1);
        assert_eq!(seen.len(), 300);
    }
}
