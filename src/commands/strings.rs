//! String commands: GET, SET, INCR, APPEND, GETRANGE, LCS, ...
//!
//! Semantics, replies, errors and propagation follow Redis 7.0's `t_string.c`.

use super::{
    arg_i64, def, eq_ignore_case, err, flags::*, wrong_arity, CmdResult, CommandDef, Ctx, Error,
    Propagate,
};
use crate::keyspace::{InlineBytes, Object, Value};
use crate::server::config::Key;
use crate::server::notify::class as N;
use crate::server::ClientKind;
use bytes::Bytes;

/// Look a key up for reading, counting keyspace hits and misses as Redis's
/// `lookupKeyRead` does.
pub(crate) fn read_lookup<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c Object> {
    let now = ctx.now;
    let db = ctx.client.db;
    // One lookup: a second would count as a second access (LFU).
    let st = &mut *ctx.srv;
    let found = st.dbs[db].get(key, now);
    if found.is_some() {
        st.stats.keyspace_hits += 1;
    } else {
        st.stats.keyspace_misses += 1;
    }
    found
}

/// The string value at `key`: `Ok(None)` if missing, WRONGTYPE if not a string.
fn read_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Error> {
    match read_lookup(ctx, key) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Str(s) => Ok(Some(s.to_bytes())),
            _ => Err(err::WRONGTYPE.into()),
        },
    }
}

/// The string value at `key` for a write (no stats).
fn write_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Error> {
    match ctx.lookup_mut(key) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Str(s) => Ok(Some(s.to_bytes())),
            _ => Err(err::WRONGTYPE.into()),
        },
    }
}

/// The length of the string value at `key` for a write (no stats), or
/// WRONGTYPE: no copy of the string.
fn write_str_len(ctx: &mut Ctx, key: &[u8]) -> Result<Option<usize>, Error> {
    match ctx.lookup_mut(key) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Str(s) => Ok(Some(s.len())),
            _ => Err(err::WRONGTYPE.into()),
        },
    }
}

fn exists_for_write(ctx: &mut Ctx, key: &[u8]) -> bool {
    ctx.exists_for_write(key)
}

pub(crate) fn invalid_expire(cmd: &str) -> Error {
    Error::from(format!("ERR invalid expire time in '{}' command", cmd))
}

/// `checkStringLength`: the master link is exempt.
fn check_string_length(ctx: &mut Ctx, size: u64) -> CmdResult {
    let max = ctx.srv.config.get_i64(Key::PROTO_MAX_BULK_LEN).max(0) as u64;
    if ctx.client.kind != ClientKind::Master && size > max {
        return Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into());
    }
    Ok(())
}

fn bs(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

fn int_bytes(v: i64) -> Bytes {
    Bytes::from(itoa::Buffer::new().format(v).to_owned())
}

/// Propagated name of a deletion, depending on a lazyfree directive.
pub(crate) fn del_or_unlink(ctx: &Ctx, directive: Key) -> Bytes {
    if ctx.srv.config.get_bool(directive) {
        bs("UNLINK")
    } else {
        bs("DEL")
    }
}

// ---------------------------------------------------------------------------
// SET and friends

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum ExpKind {
    #[default]
    None,
    Ex,
    Px,
    ExAt,
    PxAt,
}

#[derive(Default)]
struct SetOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    exp: ExpKind,
    expire: Option<Bytes>,
}

/// `parseExtendedStringArgumentsOrReply` for SET (`is_set`) and GETEX.
fn parse_set_opts(args: &[Bytes], start: usize, is_set: bool) -> Result<SetOpts, Error> {
    let mut o = SetOpts::default();
    let mut j = start;
    while j < args.len() {
        let opt = &args[j][..];
        let has_next = j + 1 < args.len();
        let e = o.exp;
        if eq_ignore_case(opt, "nx") && !o.xx && is_set {
            o.nx = true;
        } else if eq_ignore_case(opt, "xx") && !o.nx && is_set {
            o.xx = true;
        } else if eq_ignore_case(opt, "get") && is_set {
            o.get = true;
        } else if eq_ignore_case(opt, "keepttl") && !o.persist && e == ExpKind::None && is_set {
            o.keepttl = true;
        } else if eq_ignore_case(opt, "persist") && !is_set && e == ExpKind::None && !o.keepttl {
            o.persist = true;
        } else if let Some(kind) = [
            ("ex", ExpKind::Ex),
            ("px", ExpKind::Px),
            ("exat", ExpKind::ExAt),
            ("pxat", ExpKind::PxAt),
        ]
        .iter()
        .find(|(n, _)| eq_ignore_case(opt, n))
        .map(|(_, k)| *k)
        .filter(|k| !o.keepttl && !o.persist && (e == ExpKind::None || e == *k) && has_next)
        {
            o.exp = kind;
            o.expire = Some(args[j + 1].clone());
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    Ok(o)
}

/// `getExpireMillisecondsOrReply`: the absolute unix time in ms.
fn expire_ms(ctx: &Ctx, expire: &[u8], kind: ExpKind) -> Result<i64, Error> {
    let mut ms = arg_i64(expire)?;
    let seconds = matches!(kind, ExpKind::Ex | ExpKind::ExAt);
    if ms <= 0 || (seconds && ms > i64::MAX / 1000) {
        return Err(invalid_expire(ctx.cmd.name));
    }
    if seconds {
        ms *= 1000;
    }
    if matches!(kind, ExpKind::Ex | ExpKind::Px) {
        ms = ms
            .checked_add(ctx.now as i64)
            .ok_or_else(|| invalid_expire(ctx.cmd.name))?;
    }
    if ms <= 0 {
        return Err(invalid_expire(ctx.cmd.name));
    }
    Ok(ms)
}

enum SetReply {
    Ok,
    Int,
}

/// `setGenericCommand`.
fn set_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    o: &SetOpts,
    key: &Bytes,
    val: &Bytes,
    reply: SetReply,
) -> CmdResult {
    let when = match &o.expire {
        Some(e) => Some(expire_ms(ctx, e, o.exp)?),
        None => None,
    };
    if o.get {
        match read_str(ctx, key)? {
            Some(v) => ctx.out().bulk(&v),
            None => ctx.out().null(),
        }
    }
    let found = if o.nx || o.xx {
        exists_for_write(ctx, key)
    } else {
        // Only NX / XX need to know; the lookup's lazy expiry still runs.
        let (db, now) = (ctx.client.db, ctx.now);
        ctx.srv.dbs[db].expire_if_needed(key, now);
        false
    };
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            match reply {
                SetReply::Ok => ctx.out().null(),
                SetReply::Int => ctx.out().int(0),
            }
        }
        return Ok(());
    }
    let obj = Object::new(Value::Str(val.into()));
    if o.keepttl {
        ctx.db().set_keep_ttl(key.clone(), obj);
    } else {
        ctx.db().set(key.clone(), obj);
    }
    ctx.dirty(1);
    ctx.notify(N::STRING, "set", key);
    if let Some(ms) = when {
        ctx.db().set_expire(key, ms.max(0) as u64);
        ctx.notify(N::GENERIC, "expire", key);
        ctx.propagate = Propagate::Replace(vec![vec![
            bs("SET"),
            key.clone(),
            val.clone(),
            bs("PXAT"),
            int_bytes(ms),
        ]]);
    } else if o.get {
        // Propagate without the GET argument(s).
        let argv: Vec<Bytes> = args
            .iter()
            .enumerate()
            .filter(|(j, a)| !(*j >= 3 && eq_ignore_case(a, "get")))
            .map(|(_, a)| a.clone())
            .collect();
        ctx.propagate = Propagate::Replace(vec![argv]);
    }
    if !o.get {
        match reply {
            SetReply::Ok => ctx.out().ok(),
            SetReply::Int => ctx.out().int(1),
        }
    }
    Ok(())
}

fn set(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = parse_set_opts(args, 3, true)?;
    set_generic(ctx, args, &o, &args[1], &args[2], SetReply::Ok)
}

fn setnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = SetOpts {
        nx: true,
        ..Default::default()
    };
    set_generic(ctx, args, &o, &args[1], &args[2], SetReply::Int)
}

fn setex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = SetOpts {
        exp: ExpKind::Ex,
        expire: Some(args[2].clone()),
        ..Default::default()
    };
    set_generic(ctx, args, &o, &args[1], &args[3], SetReply::Ok)
}

fn psetex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = SetOpts {
        exp: ExpKind::Px,
        expire: Some(args[2].clone()),
        ..Default::default()
    };
    set_generic(ctx, args, &o, &args[1], &args[3], SetReply::Ok)
}

fn get(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // Replied from where the value is stored (the lookup and the reply
    // borrow different parts of the context): no copy of the value.
    let (now, db) = (ctx.now, ctx.client.db);
    let st = &mut *ctx.srv;
    let found = st.dbs[db].get(&args[1], now);
    if found.is_some() {
        st.stats.keyspace_hits += 1;
    } else {
        st.stats.keyspace_misses += 1;
    }
    let out = &mut ctx.client.reply;
    match found.map(|o| &o.value) {
        Some(Value::Str(s)) => out.bulk(s),
        Some(_) => return Err(err::WRONGTYPE.into()),
        None => out.null(),
    }
    Ok(())
}

fn getset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read_str(ctx, &args[1])? {
        Some(v) => ctx.out().bulk(&v),
        None => ctx.out().null(),
    }
    ctx.db()
        .set(args[1].clone(), Object::new(Value::Str((&args[2]).into())));
    ctx.dirty(1);
    ctx.notify(N::STRING, "set", &args[1]);
    ctx.propagate = Propagate::Replace(vec![vec![bs("SET"), args[1].clone(), args[2].clone()]]);
    Ok(())
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read_str(ctx, &args[1])? {
        Some(v) => {
            ctx.out().bulk(&v);
            ctx.db().delete(&args[1]);
            ctx.dirty(1);
            ctx.notify(N::GENERIC, "del", &args[1]);
            let del = del_or_unlink(ctx, Key::LAZYFREE_LAZY_USER_DEL);
            ctx.propagate = Propagate::Replace(vec![vec![del, args[1].clone()]]);
        }
        None => ctx.out().null(),
    }
    Ok(())
}

fn getex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let o = parse_set_opts(args, 2, false)?;
    let key = &args[1];
    let Some(v) = read_str(ctx, key)? else {
        ctx.out().null();
        return Ok(());
    };
    let when = match &o.expire {
        Some(e) => Some(expire_ms(ctx, e, o.exp)?),
        None => None,
    };
    ctx.out().bulk(&v);
    let replica = ctx.db().replica_mode;
    let absolute = matches!(o.exp, ExpKind::ExAt | ExpKind::PxAt);
    if let Some(ms) = when {
        if absolute && ms as u64 <= ctx.now && !replica {
            ctx.db().delete(key);
            ctx.dirty(1);
            ctx.notify(N::GENERIC, "del", key);
            let del = del_or_unlink(ctx, Key::LAZYFREE_LAZY_EXPIRE);
            ctx.propagate = Propagate::Replace(vec![vec![del, key.clone()]]);
        } else {
            ctx.db().set_expire(key, ms as u64);
            ctx.dirty(1);
            ctx.notify(N::GENERIC, "expire", key);
            // Redis 7.0.15 rewrites every form, PXAT included.
            ctx.propagate =
                Propagate::Replace(vec![vec![bs("PEXPIREAT"), key.clone(), int_bytes(ms)]]);
        }
    } else if o.persist {
        if ctx.db().persist(key) {
            ctx.dirty(1);
            ctx.notify(N::GENERIC, "persist", key);
            ctx.propagate = Propagate::Replace(vec![vec![bs("PERSIST"), key.clone()]]);
        }
    } else {
        ctx.propagate = Propagate::Nothing;
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = args.len() - 1;
    ctx.out().array(n);
    for k in &args[1..] {
        let v = match read_lookup(ctx, k) {
            Some(Object {
                value: Value::Str(s),
                ..
            }) => Some(s.clone()),
            _ => None,
        };
        match v {
            Some(v) => ctx.out().bulk(&v),
            None => ctx.out().null(),
        }
    }
    Ok(())
}

fn mset_generic(ctx: &mut Ctx, args: &[Bytes], nx: bool) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(wrong_arity(ctx.cmd.name));
    }
    if nx {
        for pair in args[1..].chunks(2) {
            if exists_for_write(ctx, &pair[0]) {
                ctx.out().int(0);
                return Ok(());
            }
        }
    }
    for pair in args[1..].chunks(2) {
        ctx.db()
            .set(pair[0].clone(), Object::new(Value::Str((&pair[1]).into())));
        ctx.notify(N::STRING, "set", &pair[0]);
    }
    ctx.dirty(((args.len() - 1) / 2) as u64);
    if nx {
        ctx.out().int(1);
    } else {
        ctx.out().ok();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Counters

/// Store a new string value, keeping the TTL (`dbOverwrite` / `dbAdd`).
fn overwrite(ctx: &mut Ctx, key: &Bytes, val: &[u8]) {
    match ctx.lookup_mut(key) {
        Some(o) => {
            o.value = Value::Str(val.into());
            o.set_big(false);
        }
        None => {
            ctx.db()
                .set(key.clone(), Object::new(Value::Str(val.into())));
        }
    }
}

fn incr_decr(ctx: &mut Ctx, key: &Bytes, incr: i64) -> CmdResult {
    // Parsed and replaced where it is stored: one lookup, no copy.
    let new = match ctx.lookup_mut(key) {
        None => {
            ctx.db().set(
                key.clone(),
                Object::new(Value::Str(
                    itoa::Buffer::new().format(incr).as_bytes().into(),
                )),
            );
            incr
        }
        Some(o) => {
            let Value::Str(s) = &o.value else {
                return Err(err::WRONGTYPE.into());
            };
            let new = arg_i64(s)?
                .checked_add(incr)
                .ok_or(Error::from(err::OVERFLOW))?;
            o.value = Value::Str(itoa::Buffer::new().format(new).as_bytes().into());
            o.set_big(false);
            new
        }
    };
    ctx.dirty(1);
    ctx.notify(N::STRING, "incrby", key);
    ctx.out().int(new);
    Ok(())
}

fn incr(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    incr_decr(ctx, &args[1], 1)
}

fn decr(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    incr_decr(ctx, &args[1], -1)
}

fn incrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = arg_i64(&args[2])?;
    incr_decr(ctx, &args[1], n)
}

fn decrby(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = arg_i64(&args[2])?;
    if n == i64::MIN {
        return Err("ERR decrement would overflow".into());
    }
    incr_decr(ctx, &args[1], -n)
}

fn incrbyfloat(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let cur = write_str(ctx, key)?;
    let cur = cur.unwrap_or_else(|| Bytes::from_static(b"0"));
    let new = super::long_double::incr_str(&cur, &args[2])?;
    let new = Bytes::from(new);
    overwrite(ctx, key, &new);
    ctx.dirty(1);
    ctx.notify(N::STRING, "incrbyfloat", key);
    ctx.out().bulk(&new);
    ctx.propagate = Propagate::Replace(vec![vec![bs("SET"), key.clone(), new, bs("KEEPTTL")]]);
    Ok(())
}

// ---------------------------------------------------------------------------
// Ranges and lengths

fn append(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let total = match write_str_len(ctx, key)? {
        None => {
            ctx.db()
                .set(key.clone(), Object::new(Value::Str((&args[2]).into())));
            args[2].len()
        }
        Some(cur) => {
            check_string_length(ctx, cur as u64 + args[2].len() as u64)?;
            // Appended in place (the allocation grows where it can).
            if let Some(o) = ctx.lookup_mut(key) {
                if let Value::Str(s) = &mut o.value {
                    let mut v = std::mem::take(s).into_vec();
                    v.extend_from_slice(&args[2]);
                    *s = v.into();
                }
                o.set_big(true);
            }
            cur + args[2].len()
        }
    };
    ctx.dirty(1);
    ctx.notify(N::STRING, "append", key);
    ctx.out().int(total as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read_str(ctx, &args[1])?.map_or(0, |s| s.len());
    ctx.out().int(n as i64);
    Ok(())
}

fn getrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut start = arg_i64(&args[2])?;
    let mut end = arg_i64(&args[3])?;
    let Some(s) = read_str(ctx, &args[1])? else {
        ctx.out().bulk(b"");
        return Ok(());
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        ctx.out().bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start = len.saturating_add(start);
    }
    if end < 0 {
        end = len.saturating_add(end);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        ctx.out().bulk(b"");
    } else {
        ctx.out().bulk(&s[start as usize..=end as usize]);
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let value = &args[3];
    let offset = arg_i64(&args[2])?;
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let offset = offset as u64;
    let cur_len = write_str_len(ctx, key)?;
    if value.is_empty() {
        ctx.out().int(cur_len.unwrap_or(0) as i64);
        return Ok(());
    }
    check_string_length(ctx, offset.saturating_add(value.len() as u64))?;
    let off = offset as usize;
    let need = off + value.len();
    // Written in place (a long string's allocation is reused), as Redis
    // does: the cost is the range written, not the whole string.
    let edit = |s: InlineBytes| {
        let mut v = s.into_vec();
        if v.len() < need {
            v.resize(need, 0);
        }
        v[off..need].copy_from_slice(value);
        InlineBytes::from(v)
    };
    let n = match ctx.lookup_mut(key) {
        Some(o) => {
            o.set_big(true);
            match &mut o.value {
                Value::Str(s) => {
                    *s = edit(std::mem::take(s));
                    s.len()
                }
                _ => need,
            }
        }
        None => {
            let mut obj = Object::new(Value::Str(edit(InlineBytes::default())));
            obj.set_big(true);
            ctx.db().set(key.clone(), obj);
            need
        }
    };
    ctx.dirty(1);
    ctx.notify(N::STRING, "setrange", key);
    ctx.out().int(n as i64);
    Ok(())
}

fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let a = read_lookup(ctx, &args[1]).map(|o| o.value.clone());
    let b = read_lookup(ctx, &args[2]).map(|o| o.value.clone());
    let a = match a {
        None => Bytes::new(),
        Some(Value::Str(s)) => s.to_bytes(),
        Some(_) => return Err("ERR The specified keys must contain string values".into()),
    };
    let b = match b {
        None => Bytes::new(),
        Some(Value::Str(s)) => s.to_bytes(),
        Some(_) => return Err("ERR The specified keys must contain string values".into()),
    };
    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = args.len() - 1 - j;
        if eq_ignore_case(opt, "idx") {
            getidx = true;
        } else if eq_ignore_case(opt, "len") {
            getlen = true;
        } else if eq_ignore_case(opt, "withmatchlen") {
            withmatchlen = true;
        } else if eq_ignore_case(opt, "minmatchlen") && more > 0 {
            minmatchlen = arg_i64(&args[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    if getidx && getlen {
        return Err("ERR If you want both the length and indexes, please just use IDX.".into());
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1).saturating_mul(blen as u64 + 1);
    if cells > (1u64 << 27) {
        return Err("ERR Insufficient memory, failed allocating transient memory for LCS".into());
    }
    let w = blen + 1;
    let mut dp = vec![0u32; cells as usize];
    for i in 1..=alen {
        for jj in 1..=blen {
            dp[i * w + jj] = if a[i - 1] == b[jj - 1] {
                dp[(i - 1) * w + jj - 1] + 1
            } else {
                dp[(i - 1) * w + jj].max(dp[i * w + jj - 1])
            };
        }
    }
    let total = dp[alen * w + blen];
    let mut idx = total as usize;
    let computelcs = getidx || !getlen;
    let mut result = vec![0u8; if computelcs { idx } else { 0 }];
    let mut ranges: Vec<(usize, usize, usize, usize, usize)> = Vec::new();
    let (mut astart, mut aend, mut bstart, mut bend) = (alen, 0usize, 0usize, 0usize);
    let (mut i, mut jj) = (alen, blen);
    while computelcs && i > 0 && jj > 0 {
        let mut emit = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if astart == alen {
                astart = i - 1;
                aend = i - 1;
                bstart = jj - 1;
                bend = jj - 1;
            } else if astart == i && bstart == jj {
                astart -= 1;
                bstart -= 1;
            } else {
                emit = true;
            }
            if astart == 0 || bstart == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            let l1 = dp[(i - 1) * w + jj];
            let l2 = dp[i * w + jj - 1];
            if l1 > l2 {
                i -= 1;
            } else {
                jj -= 1;
            }
            if astart != alen {
                emit = true;
            }
        }
        if emit {
            let mlen = aend.wrapping_sub(astart).wrapping_add(1);
            if minmatchlen == 0 || mlen as i64 >= minmatchlen {
                ranges.push((astart, aend, bstart, bend, mlen));
            }
            astart = alen;
        }
    }
    let out = ctx.out();
    if getidx {
        out.map(2);
        out.bulk(b"matches");
        out.array(ranges.len());
        for (as_, ae, bs_, be, ml) in ranges {
            out.array(if withmatchlen { 3 } else { 2 });
            out.array(2);
            out.int(as_ as i64);
            out.int(ae as i64);
            out.array(2);
            out.int(bs_ as i64);
            out.int(be as i64);
            if withmatchlen {
                out.int(ml as i64);
            }
        }
        out.bulk(b"len");
        out.int(total as i64);
    } else if getlen {
        out.int(idx as i64);
    } else {
        out.bulk(&result);
    }
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "get",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Get the value of a key",
        get,
    ),
    def(
        "set",
        -3,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Set the string value of a key",
        set,
    ),
    def(
        "setnx",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Set the value of a key, only if the key does not exist",
        setnx,
    ),
    def(
        "setex",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "2.0.0",
        "Set the value and expiration of a key",
        setex,
    ),
    def(
        "psetex",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "2.6.0",
        "Set the value and expiration in milliseconds of a key",
        psetex,
    ),
    def(
        "getset",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Set the string value of a key and return its old value",
        getset,
    ),
    def(
        "getdel",
        2,
        WRITE | FAST,
        (1, 1, 1),
        "string",
        "6.2.0",
        "Get the value of a key and delete the key",
        getdel,
    ),
    def(
        "getex",
        -2,
        WRITE | FAST,
        (1, 1, 1),
        "string",
        "6.2.0",
        "Get the value of a key and optionally set its expiration",
        getex,
    ),
    def(
        "mget",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "string",
        "1.0.0",
        "Get the values of all the given keys",
        mget,
    ),
    def(
        "mset",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        "string",
        "1.0.1",
        "Set multiple keys to multiple values",
        |ctx, args| mset_generic(ctx, args, false),
    ),
    def(
        "msetnx",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        "string",
        "1.0.1",
        "Set multiple keys to multiple values, only if none of the keys exist",
        |ctx, args| mset_generic(ctx, args, true),
    ),
    def(
        "incr",
        2,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Increment the integer value of a key by one",
        incr,
    ),
    def(
        "decr",
        2,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Decrement the integer value of a key by one",
        decr,
    ),
    def(
        "incrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Increment the integer value of a key by the given amount",
        incrby,
    ),
    def(
        "decrby",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Decrement the integer value of a key by the given number",
        decrby,
    ),
    def(
        "incrbyfloat",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "2.6.0",
        "Increment the float value of a key by the given amount",
        incrbyfloat,
    ),
    def(
        "append",
        3,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        "string",
        "2.0.0",
        "Append a value to a key",
        append,
    ),
    def(
        "strlen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "string",
        "2.2.0",
        "Get the length of the value stored in a key",
        strlen,
    ),
    def(
        "getrange",
        4,
        READONLY,
        (1, 1, 1),
        "string",
        "2.4.0",
        "Get a substring of the string stored at a key",
        getrange,
    ),
    def(
        "substr",
        4,
        READONLY,
        (1, 1, 1),
        "string",
        "1.0.0",
        "Get a substring of the string stored at a key",
        getrange,
    ),
    def(
        "setrange",
        4,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "2.2.0",
        "Overwrite part of a string at key starting at the specified offset",
        setrange,
    ),
    def(
        "lcs",
        -3,
        READONLY,
        (1, 2, 1),
        "string",
        "7.0.0",
        "Find longest common substring",
        lcs,
    ),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk, err, Kit, NULL, OK, T0};

    #[test]
    fn set_get_and_options() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["SET", "k", "v"]), OK);
        assert_eq!(t.argv(1, &["GET", "k"]), bulk("v"));
        assert_eq!(t.argv(1, &["GET", "nokey"]), NULL);
        assert_eq!(t.argv(1, &["SET", "k", "v2", "NX"]), NULL);
        assert_eq!(t.argv(1, &["SET", "k", "v2", "NX", "GET"]), bulk("v"));
        assert_eq!(t.argv(1, &["SET", "k", "v3", "XX", "GET"]), bulk("v"));
        assert_eq!(t.argv(1, &["SET", "new", "v", "XX"]), NULL);
        assert_eq!(
            t.argv(1, &["SET", "k", "v", "XX", "NX"]),
            err("ERR syntax error")
        );
        assert_eq!(
            t.argv(1, &["SET", "k", "v", "KEEPTTL", "EX", "1"]),
            err("ERR syntax error")
        );
        assert_eq!(t.argv(1, &["SET", "k", "v", "EX"]), err("ERR syntax error"));
        assert_eq!(
            t.argv(1, &["SET", "k", "v", "PERSIST"]),
            err("ERR syntax error")
        );
        assert_eq!(
            t.argv(1, &["SET", "k", "v", "EX", "1", "PX", "1"]),
            err("ERR syntax error")
        );
        let inv = err("ERR invalid expire time in 'set' command");
        assert_eq!(t.argv(1, &["SET", "k", "v", "EX", "0"]), inv);
        assert_eq!(t.argv(1, &["SET", "k", "v", "PX", "-1"]), inv);
        assert_eq!(
            t.argv(1, &["SET", "k", "v", "EX", "9223372036854775807"]),
            inv
        );
        assert_eq!(
            t.argv(1, &["SET", "k", "v", "PX", "9223372036854775807"]),
            inv
        );
        assert_eq!(
            t.argv(1, &["SET", "k", "v", "EX", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.argv(1, &["SET", "k", "v", "EX", "10", "EX", "20"]), OK);
        assert_eq!(t.argv(1, &["TTL", "k"]), ":20\r\n");
        assert_eq!(t.argv(1, &["SET", "k", "w", "KEEPTTL"]), OK);
        assert_eq!(t.argv(1, &["TTL", "k"]), ":20\r\n");
        assert_eq!(t.argv(1, &["SET", "k", "w"]), OK);
        assert_eq!(t.argv(1, &["TTL", "k"]), ":-1\r\n");
        assert_eq!(t.argv(1, &["SETNX", "k", "x"]), ":0\r\n");
        assert_eq!(t.argv(1, &["SETNX", "k9", "x"]), ":1\r\n");
        assert_eq!(
            t.argv(1, &["SETEX", "k", "0", "v"]),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            t.argv(1, &["PSETEX", "k", "-5", "v"]),
            err("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(t.argv(1, &["PSETEX", "k", "1500", "v"]), OK);
        assert_eq!(t.argv(1, &["PTTL", "k"]), ":1500\r\n");
        t.advance(1500);
        assert_eq!(t.argv(1, &["GET", "k"]), NULL);
        assert_eq!(
            t.argv(1, &["SET", "k"]),
            err("ERR wrong number of arguments for 'set' command")
        );
    }

    #[test]
    fn set_propagation() {
        let mut t = Kit::new();
        t.argv(1, &["SET", "k", "v", "EX", "100"]);
        assert_eq!(t.feed(), vec![format!("SET k v PXAT {}", T0 + 100_000)]);
        t.argv(1, &["set", "k", "v", "xx", "exat", "4102444800", "get"]);
        assert_eq!(t.feed(), vec!["SET k v PXAT 4102444800000"]);
        t.argv(1, &["set", "k", "v2", "get", "xx", "GET"]);
        assert_eq!(t.feed(), vec!["set k v2 xx"]);
        t.argv(1, &["set", "k", "v2", "nx"]);
        assert!(t.feed().is_empty());
        t.argv(1, &["SETEX", "k", "10", "v"]);
        assert_eq!(t.feed(), vec![format!("SET k v PXAT {}", T0 + 10_000)]);
        t.argv(1, &["GETSET", "k", "v9"]);
        assert_eq!(t.feed(), vec!["SET k v9"]);
        t.argv(1, &["GETDEL", "k"]);
        assert_eq!(t.feed(), vec!["DEL k"]);
        t.argv(1, &["GETDEL", "k"]);
        assert!(t.feed().is_empty());
        t.argv(1, &["SET", "f", "1.5"]);
        t.feed();
        assert_eq!(t.argv(1, &["INCRBYFLOAT", "f", "1"]), bulk("2.5"));
        assert_eq!(t.feed(), vec!["SET f 2.5 KEEPTTL"]);
        t.argv(1, &["SET", "e", "v", "PX", "1"]);
        t.feed();
        t.advance(5);
        assert_eq!(t.argv(1, &["GET", "e"]), NULL);
        assert_eq!(t.feed(), vec!["DEL e"]);
    }

    #[test]
    fn getex_getdel_getset() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["GETEX", "nokey", "EX", "0"]), NULL);
        t.argv(1, &["SET", "k", "hello"]);
        assert_eq!(
            t.argv(1, &["GETEX", "k", "EX", "0"]),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(
            t.argv(1, &["GETEX", "k", "PERSIST", "EX", "1"]),
            err("ERR syntax error")
        );
        assert_eq!(t.argv(1, &["GETEX", "k", "NX"]), err("ERR syntax error"));
        assert_eq!(t.argv(1, &["GETEX", "k", "EX"]), err("ERR syntax error"));
        assert_eq!(t.argv(1, &["GETEX", "k"]), bulk("hello"));
        assert!(t.feed().iter().all(|c| !c.starts_with("GETEX")));
        assert_eq!(t.argv(1, &["GETEX", "k", "EX", "100"]), bulk("hello"));
        assert_eq!(t.feed(), vec![format!("PEXPIREAT k {}", T0 + 100_000)]);
        assert_eq!(t.argv(1, &["TTL", "k"]), ":100\r\n");
        assert_eq!(
            t.argv(1, &["GETEX", "k", "PXAT", "4102444800000"]),
            bulk("hello")
        );
        assert_eq!(t.feed(), vec!["PEXPIREAT k 4102444800000"]);
        assert_eq!(t.argv(1, &["GETEX", "k", "PERSIST"]), bulk("hello"));
        assert_eq!(t.feed(), vec!["PERSIST k"]);
        assert_eq!(t.argv(1, &["GETEX", "k", "PERSIST"]), bulk("hello"));
        assert!(t.feed().is_empty());
        assert_eq!(t.argv(1, &["GETEX", "k", "EXAT", "1"]), bulk("hello"));
        assert_eq!(t.feed(), vec!["DEL k"]);
        assert_eq!(t.argv(1, &["EXISTS", "k"]), ":0\r\n");
        assert_eq!(t.argv(1, &["GETSET", "k", "a"]), NULL);
        assert_eq!(t.argv(1, &["GETSET", "k", "b"]), bulk("a"));
        assert_eq!(t.argv(1, &["GETDEL", "k"]), bulk("b"));
        assert_eq!(t.argv(1, &["GETDEL", "k"]), NULL);
    }

    #[test]
    fn wrongtype() {
        let mut t = Kit::new();
        let wt = err(crate::keyspace::WRONGTYPE);
        t.srv.st.dbs[0].set(
            bytes::Bytes::from_static(b"l"),
            crate::keyspace::Object::new(crate::keyspace::Value::List(Default::default())),
        );
        for c in [
            &["GET", "l"][..],
            &["GETSET", "l", "x"],
            &["GETDEL", "l"],
            &["GETEX", "l"],
            &["SET", "l", "x", "GET"],
            &["INCR", "l"],
            &["INCRBYFLOAT", "l", "1"],
            &["APPEND", "l", "x"],
            &["STRLEN", "l"],
            &["GETRANGE", "l", "0", "1"],
            &["SETRANGE", "l", "0", "x"],
        ] {
            assert_eq!(t.argv(1, c), wt, "{c:?}");
        }
        assert_eq!(
            t.argv(1, &["LCS", "l", "x"]),
            err("ERR The specified keys must contain string values")
        );
        assert_eq!(t.argv(1, &["MGET", "l", "nokey"]), "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(t.argv(1, &["SET", "l", "x"]), OK);
    }

    #[test]
    fn mset_msetnx_mget() {
        let mut t = Kit::new();
        assert_eq!(
            t.argv(1, &["MSET", "a", "1", "b"]),
            err("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(
            t.argv(1, &["MSETNX", "a", "1", "b"]),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
        assert_eq!(t.argv(1, &["MSET", "a", "1", "b", "2"]), OK);
        assert_eq!(
            t.argv(1, &["MGET", "a", "b", "c"]),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
        );
        assert_eq!(t.argv(1, &["MSETNX", "a", "1", "c", "3"]), ":0\r\n");
        assert_eq!(t.argv(1, &["MSETNX", "c", "3", "d", "4"]), ":1\r\n");
        assert_eq!(t.argv(1, &["GET", "d"]), bulk("4"));
    }

    #[test]
    fn counters() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["INCR", "n"]), ":1\r\n");
        assert_eq!(t.argv(1, &["INCRBY", "n", "10"]), ":11\r\n");
        assert_eq!(t.argv(1, &["DECRBY", "n", "2"]), ":9\r\n");
        assert_eq!(t.argv(1, &["DECR", "n"]), ":8\r\n");
        let ni = err("ERR value is not an integer or out of range");
        assert_eq!(t.argv(1, &["INCRBY", "n", "x"]), ni);
        assert_eq!(
            t.argv(1, &["DECRBY", "n", "-9223372036854775808"]),
            err("ERR decrement would overflow")
        );
        t.argv(1, &["SET", "n", "9223372036854775807"]);
        assert_eq!(
            t.argv(1, &["INCR", "n"]),
            err("ERR increment or decrement would overflow")
        );
        t.argv(1, &["SET", "n", " 1"]);
        assert_eq!(t.argv(1, &["INCR", "n"]), ni);
        t.argv(1, &["SET", "n", "5", "EX", "100"]);
        assert_eq!(t.argv(1, &["INCR", "n"]), ":6\r\n");
        assert_eq!(t.argv(1, &["TTL", "n"]), ":100\r\n");
        assert_eq!(t.argv(1, &["INCRBYFLOAT", "n", "0.5"]), bulk("6.5"));
        assert_eq!(t.argv(1, &["TTL", "n"]), ":100\r\n");
        assert_eq!(
            t.argv(1, &["INCRBYFLOAT", "n", "x"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            t.argv(1, &["INCRBYFLOAT", "n", "inf"]),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(t.argv(1, &["INCRBYFLOAT", "nf", "3.0e3"]), bulk("3000"));
        t.argv(1, &["SET", "s", "abc"]);
        assert_eq!(
            t.argv(1, &["INCRBYFLOAT", "s", "1"]),
            err("ERR value is not a valid float")
        );
    }

    #[test]
    fn append_ranges_and_encodings() {
        let mut t = Kit::new();
        assert_eq!(t.argv(1, &["APPEND", "a", "hello"]), ":5\r\n");
        assert_eq!(t.argv(1, &["APPEND", "a", " world"]), ":11\r\n");
        assert_eq!(t.argv(1, &["STRLEN", "a"]), ":11\r\n");
        assert_eq!(t.argv(1, &["STRLEN", "nokey"]), ":0\r\n");
        assert_eq!(t.argv(1, &["GETRANGE", "a", "0", "4"]), bulk("hello"));
        assert_eq!(t.argv(1, &["GETRANGE", "a", "-5", "-1"]), bulk("world"));
        assert_eq!(t.argv(1, &["GETRANGE", "a", "-1", "-5"]), bulk(""));
        assert_eq!(t.argv(1, &["GETRANGE", "a", "5", "3"]), bulk(""));
        assert_eq!(
            t.argv(1, &["GETRANGE", "a", "-100", "100"]),
            bulk("hello world")
        );
        assert_eq!(t.argv(1, &["SUBSTR", "a", "0", "1"]), bulk("he"));
        assert_eq!(t.argv(1, &["GETRANGE", "nokey", "0", "1"]), bulk(""));
        assert_eq!(t.argv(1, &["SETRANGE", "s", "3", "hi"]), ":5\r\n");
        assert_eq!(t.argv(1, &["GET", "s"]), bulk("\0\0\0hi"));
        assert_eq!(t.argv(1, &["SETRANGE", "s", "0", "AB"]), ":5\r\n");
        assert_eq!(
            t.argv(1, &["SETRANGE", "s", "-1", "x"]),
            err("ERR offset is out of range")
        );
        assert_eq!(
            t.argv(1, &["SETRANGE", "s", "536870911", "xx"]),
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
        assert_eq!(t.argv(1, &["SETRANGE", "s", "536870911", ""]), ":5\r\n");
        assert_eq!(t.argv(1, &["SETRANGE", "none", "10", ""]), ":0\r\n");
        assert_eq!(t.argv(1, &["EXISTS", "none"]), ":0\r\n");
        t.argv(1, &["SET", "i", "12345"]);
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "i"]), bulk("int"));
        t.argv(1, &["SET", "e", "hello"]);
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "e"]), bulk("embstr"));
        t.argv(1, &["APPEND", "e", ""]);
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "e"]), bulk("raw"));
        t.argv(1, &["SET", "j", "12"]);
        t.argv(1, &["APPEND", "j", "3"]);
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "j"]), bulk("raw"));
        t.argv(1, &["INCR", "j"]);
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "j"]), bulk("int"));
        t.argv(1, &["SET", "r", &"x".repeat(45)]);
        assert_eq!(t.argv(1, &["OBJECT", "ENCODING", "r"]), bulk("raw"));
    }

    #[test]
    fn lcs() {
        let mut t = Kit::new();
        t.argv(1, &["MSET", "a", "ohmytext", "b", "mynewtext"]);
        assert_eq!(t.argv(1, &["LCS", "a", "b"]), bulk("mytext"));
        assert_eq!(t.argv(1, &["LCS", "a", "b", "LEN"]), ":6\r\n");
        assert_eq!(
            t.argv(1, &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            t.argv(1, &["LCS", "a", "b", "IDX", "LEN"]),
            err("ERR If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(
            t.argv(1, &["LCS", "a", "b", "MINMATCHLEN"]),
            err("ERR syntax error")
        );
        assert_eq!(t.argv(1, &["LCS", "a", "nokey"]), bulk(""));
    }
}
