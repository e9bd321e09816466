//! String commands: GET, SET, INCR, APPEND, GETRANGE, LCS, ...
//!
//! Semantics, replies, errors and propagation follow Redis 7.0's `t_string.c`.

use super::{
    arg_i64, def, eq_ignore_case, err, flags::*, wrong_arity, CmdResult, CommandDef, Ctx, Error,
    Propagate,
};
use crate::keyspace::{Object, Value};
use crate::server::config::Key;
use crate::server::ClientKind;
use bytes::Bytes;

/// Look a key up for reading, counting keyspace hits and misses as Redis's
/// `lookupKeyRead` does.
pub(crate) fn read_lookup<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Option<&'c Object> {
    let now = ctx.now;
    let db = ctx.client.db;
    let found = ctx.srv.dbs[db].get(key, now).is_some();
    if found {
        ctx.srv.stats.keyspace_hits += 1;
    } else {
        ctx.srv.stats.keyspace_misses += 1;
    }
    ctx.srv.dbs[db].get(key, now)
}

/// The string value at `key`: `Ok(None)` if missing, WRONGTYPE if not a string.
fn read_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Error> {
    match read_lookup(ctx, key) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Str(s) => Ok(Some(s.clone())),
            _ => Err(err::WRONGTYPE.into()),
        },
    }
}

/// The string value at `key` for a write (no stats).
fn write_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Error> {
    match ctx.lookup_mut(key) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Str(s) => Ok(Some(s.clone())),
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
    let found = exists_for_write(ctx, key);
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            match reply {
                SetReply::Ok => ctx.out().null(),
                SetReply::Int => ctx.out().int(0),
            }
        }
        return Ok(());
    }
    let obj = Object::new(Value::Str(val.clone()));
    if o.keepttl {
        ctx.db().set_keep_ttl(key.clone(), obj);
    } else {
        ctx.db().set(key.clone(), obj);
    }
    ctx.dirty(1);
    if let Some(ms) = when {
        ctx.db().set_expire(key, ms.max(0) as u64);
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
    match read_str(ctx, &args[1])? {
        Some(v) => ctx.out().bulk(&v),
        None => ctx.out().null(),
    }
    Ok(())
}

fn getset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read_str(ctx, &args[1])? {
        Some(v) => ctx.out().bulk(&v),
        None => ctx.out().null(),
    }
    ctx.db()
        .set(args[1].clone(), Object::new(Value::Str(args[2].clone())));
    ctx.dirty(1);
    ctx.propagate = Propagate::Replace(vec![vec![bs("SET"), args[1].clone(), args[2].clone()]]);
    Ok(())
}

fn getdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    match read_str(ctx, &args[1])? {
        Some(v) => {
            ctx.out().bulk(&v);
            ctx.db().delete(&args[1]);
            ctx.dirty(1);
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
            let del = del_or_unlink(ctx, Key::LAZYFREE_LAZY_EXPIRE);
            ctx.propagate = Propagate::Replace(vec![vec![del, key.clone()]]);
        } else {
            ctx.db().set_expire(key, ms as u64);
            ctx.dirty(1);
            // Redis 7.0.15 rewrites every form, PXAT included.
            ctx.propagate =
                Propagate::Replace(vec![vec![bs("PEXPIREAT"), key.clone(), int_bytes(ms)]]);
        }
    } else if o.persist {
        if ctx.db().persist(key) {
            ctx.dirty(1);
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
            .set(pair[0].clone(), Object::new(Value::Str(pair[1].clone())));
    }
    ctx.dirty(((args.len() - 1) / 2) as u64);
    if nx {
        ctx.out().int(1);
    } else {
        ctx.out().ok();
    }
    Ok(())
}

fn mset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    mset_generic(ctx, args, false)
}

fn msetnx(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    mset_generic(ctx, args, true)
}

// ---------------------------------------------------------------------------
// Counters

/// Store a new string value, keeping the TTL (`dbOverwrite` / `dbAdd`).
fn overwrite(ctx: &mut Ctx, key: &Bytes, val: Bytes) {
    match ctx.lookup_mut(key) {
        Some(o) => {
            o.value = Value::Str(val);
            o.big = false;
        }
        None => {
            ctx.db().set(key.clone(), Object::new(Value::Str(val)));
        }
    }
}

fn incr_decr(ctx: &mut Ctx, key: &Bytes, incr: i64) -> CmdResult {
    let cur = write_str(ctx, key)?;
    let old = match &cur {
        Some(s) => arg_i64(s)?,
        None => 0,
    };
    let new = old.checked_add(incr).ok_or(Error::from(err::OVERFLOW))?;
    overwrite(ctx, key, int_bytes(new));
    ctx.dirty(1);
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
    let new = crate::commands::strings::long_double::incr_str(&cur, &args[2])?;
    let new = Bytes::from(new);
    overwrite(ctx, key, new.clone());
    ctx.dirty(1);
    ctx.out().bulk(&new);
    ctx.propagate = Propagate::Replace(vec![vec![bs("SET"), key.clone(), new, bs("KEEPTTL")]]);
    Ok(())
}

// ---------------------------------------------------------------------------
// Ranges and lengths

fn append(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let total = match write_str(ctx, key)? {
        None => {
            ctx.db()
                .set(key.clone(), Object::new(Value::Str(args[2].clone())));
            args[2].len()
        }
        Some(cur) => {
            check_string_length(ctx, cur.len() as u64 + args[2].len() as u64)?;
            let mut v = Vec::with_capacity(cur.len() + args[2].len());
            v.extend_from_slice(&cur);
            v.extend_from_slice(&args[2]);
            let n = v.len();
            if let Some(o) = ctx.lookup_mut(key) {
                o.value = Value::Str(Bytes::from(v));
                o.big = true;
            }
            n
        }
    };
    ctx.dirty(1);
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
    let cur = write_str(ctx, key)?;
    let cur = match cur {
        None => {
            if value.is_empty() {
                ctx.out().int(0);
                return Ok(());
            }
            check_string_length(ctx, offset.saturating_add(value.len() as u64))?;
            Bytes::new()
        }
        Some(cur) => {
            if value.is_empty() {
                ctx.out().int(cur.len() as i64);
                return Ok(());
            }
            check_string_length(ctx, offset.saturating_add(value.len() as u64))?;
            cur
        }
    };
    let off = offset as usize;
    let need = off + value.len();
    let mut v = Vec::with_capacity(need.max(cur.len()));
    v.extend_from_slice(&cur);
    if v.len() < need {
        v.resize(need, 0);
    }
    v[off..need].copy_from_slice(value);
    let n = v.len();
    let mut obj = Object::new(Value::Str(Bytes::from(v)));
    obj.big = true;
    match ctx.lookup_mut(key) {
        Some(o) => *o = obj,
        None => ctx.db().set(key.clone(), obj),
    }
    ctx.dirty(1);
    ctx.out().int(n as i64);
    Ok(())
}

fn lcs(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let a = read_lookup(ctx, &args[1]).map(|o| o.value.clone());
    let b = read_lookup(ctx, &args[2]).map(|o| o.value.clone());
    let a = match a {
        None => Bytes::new(),
        Some(Value::Str(s)) => s,
        Some(_) => return Err("ERR The specified keys must contain string values".into()),
    };
    let b = match b {
        None => Bytes::new(),
        Some(Value::Str(s)) => s,
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

pub mod long_double {
    //! INCRBYFLOAT arithmetic as Redis does it on x86-64: C `long double`
    //! (x87 80-bit, 64-bit mantissa) parsed with `strtold`, added with
    //! round-to-nearest-even, printed with `%.17Lf` and trailing zeros removed.
    //! Emulated in software with a tiny big integer so results match byte for byte.
    use super::Error;
    use std::cmp::Ordering;

    /// Little-endian base 2^32 magnitude, no trailing zero limbs.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    struct Big(Vec<u32>);

    impl Big {
        fn from_u128(mut v: u128) -> Big {
            let mut b = Big(Vec::new());
            while v > 0 {
                b.0.push(v as u32);
                v >>= 32;
            }
            b
        }
        fn is_zero(&self) -> bool {
            self.0.is_empty()
        }
        fn trim(&mut self) {
            while self.0.last() == Some(&0) {
                self.0.pop();
            }
        }
        fn bits(&self) -> u64 {
            match self.0.last() {
                None => 0,
                Some(&top) => (self.0.len() as u64 - 1) * 32 + (32 - top.leading_zeros()) as u64,
            }
        }
        fn bit(&self, i: u64) -> bool {
            let w = (i / 32) as usize;
            w < self.0.len() && (self.0[w] >> (i % 32)) & 1 == 1
        }
        fn mul_add_small(&mut self, m: u32, a: u32) {
            let mut carry = a as u64;
            for limb in self.0.iter_mut() {
                let v = *limb as u64 * m as u64 + carry;
                *limb = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                self.0.push(carry as u32);
            }
            self.trim();
        }
        /// Divide by a small number in place, returning the remainder.
        fn div_small(&mut self, d: u32) -> u32 {
            let mut rem = 0u64;
            for limb in self.0.iter_mut().rev() {
                let v = (rem << 32) | *limb as u64;
                *limb = (v / d as u64) as u32;
                rem = v % d as u64;
            }
            self.trim();
            rem as u32
        }
        fn shl(&self, n: u64) -> Big {
            if self.is_zero() {
                return Big::default();
            }
            let (w, b) = ((n / 32) as usize, (n % 32) as u32);
            let mut out = vec![0u32; w];
            let mut carry = 0u32;
            for &limb in &self.0 {
                if b == 0 {
                    out.push(limb);
                } else {
                    out.push((limb << b) | carry);
                    carry = limb >> (32 - b);
                }
            }
            if carry > 0 {
                out.push(carry);
            }
            Big(out)
        }
        fn cmp(&self, o: &Big) -> Ordering {
            self.0
                .len()
                .cmp(&o.0.len())
                .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
        }
        /// self -= o, requires self >= o.
        fn sub(&mut self, o: &Big) {
            let mut borrow = 0i64;
            for i in 0..self.0.len() {
                let v = self.0[i] as i64 - borrow - *o.0.get(i).unwrap_or(&0) as i64;
                if v < 0 {
                    self.0[i] = (v + (1i64 << 32)) as u32;
                    borrow = 1;
                } else {
                    self.0[i] = v as u32;
                    borrow = 0;
                }
            }
            self.trim();
        }
        fn add(&self, o: &Big) -> Big {
            let n = self.0.len().max(o.0.len());
            let mut out = Vec::with_capacity(n + 1);
            let mut carry = 0u64;
            for i in 0..n {
                let v =
                    *self.0.get(i).unwrap_or(&0) as u64 + *o.0.get(i).unwrap_or(&0) as u64 + carry;
                out.push(v as u32);
                carry = v >> 32;
            }
            if carry > 0 {
                out.push(carry as u32);
            }
            Big(out)
        }
        /// floor(self / d) and whether a remainder is left (binary long division).
        fn div(&self, d: &Big) -> (Big, bool) {
            let n = self.bits();
            let mut q = Big(vec![0; self.0.len()]);
            let mut r = Big::default();
            for i in (0..n).rev() {
                r = r.shl(1);
                if self.bit(i) {
                    if r.0.is_empty() {
                        r.0.push(1);
                    } else {
                        r.0[0] |= 1;
                    }
                }
                if r.cmp(d) != Ordering::Less {
                    r.sub(d);
                    q.0[(i / 32) as usize] |= 1 << (i % 32);
                }
            }
            q.trim();
            (q, !r.is_zero())
        }
        fn low_u128(&self) -> u128 {
            self.0
                .iter()
                .take(4)
                .enumerate()
                .fold(0u128, |acc, (i, &l)| acc | (l as u128) << (32 * i))
        }
        fn to_decimal(&self) -> String {
            if self.is_zero() {
                return "0".into();
            }
            let mut v = self.clone();
            let mut chunks = Vec::new();
            while !v.is_zero() {
                chunks.push(v.div_small(1_000_000_000));
            }
            let mut s = chunks.pop().unwrap_or(0).to_string();
            for c in chunks.iter().rev() {
                s.push_str(&format!("{:09}", c));
            }
            s
        }
    }

    /// A finite long double: (-1)^neg * m * 2^e, m normalised to 64 bits (or 0).
    #[derive(Clone, Copy, Debug, PartialEq)]
    pub struct Ld {
        neg: bool,
        m: u64,
        e: i64,
    }

    /// Smallest exponent of a normal long double's mantissa LSB, and the limit.
    const E_MIN: i64 = -16382 - 63;
    const E_MAX: i64 = 16383 - 63;

    enum Parsed {
        Finite(Ld),
        Inf,
    }

    /// Round num/den * 2^exp2 to a long double. None on overflow.
    fn round(num: &Big, den: &Big, exp2: i64) -> Option<(u64, i64)> {
        if num.is_zero() {
            return Some((0, 0));
        }
        let s = 66 - (num.bits() as i64 - den.bits() as i64);
        let (q, sticky) = if s >= 0 {
            num.shl(s as u64).div(den)
        } else {
            num.div(&den.shl((-s) as u64))
        };
        let q = q.low_u128();
        let qb = 128 - q.leading_zeros() as i64;
        let mut extra = qb - 64;
        let mut e = exp2 - s + extra;
        // Denormals: keep fewer mantissa bits below the normal range.
        if e < E_MIN {
            extra += E_MIN - e;
            e = E_MIN;
        }
        if extra >= 128 {
            return Some((0, 0));
        }
        let mut m = (q >> extra) as u64;
        if extra > 0 {
            let half = 1u128 << (extra - 1);
            let rest = q & ((1u128 << extra) - 1);
            if rest > half || (rest == half && (sticky || m & 1 == 1)) {
                let (nm, of) = m.overflowing_add(1);
                m = if of { 1 << 63 } else { nm };
                if of {
                    e += 1;
                }
            }
        }
        if e > E_MAX {
            return None;
        }
        Some((m, e))
    }

    fn parse(b: &[u8]) -> Option<Parsed> {
        if b.is_empty() || b.len() >= 5 * 1024 || b[0].is_ascii_whitespace() || b[0] == 0x0b {
            return None;
        }
        let (neg, rest) = match b[0] {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
            return Some(Parsed::Inf);
        }
        let hex = rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x';
        let (radix, body) = if hex { (16u32, &rest[2..]) } else { (10, rest) };
        let mut mant = Big::default();
        let mut ndig = 0usize;
        let mut frac = 0i64;
        let mut seen_point = false;
        let mut i = 0;
        while i < body.len() {
            let c = body[i];
            if c == b'.' && !seen_point {
                seen_point = true;
            } else if let Some(d) = (c as char).to_digit(radix) {
                mant.mul_add_small(radix, d);
                ndig += 1;
                if seen_point {
                    frac += 1;
                }
            } else {
                break;
            }
            i += 1;
        }
        if ndig == 0 {
            return None;
        }
        let mut exp: i64 = 0;
        if i < body.len() {
            let c = body[i] | 0x20;
            if c != if hex { b'p' } else { b'e' } {
                return None;
            }
            let mut j = i + 1;
            let eneg = match body.get(j) {
                Some(b'-') => {
                    j += 1;
                    true
                }
                Some(b'+') => {
                    j += 1;
                    false
                }
                _ => false,
            };
            if j >= body.len() || !body[j..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            for &d in &body[j..] {
                exp = (exp * 10 + (d - b'0') as i64).min(1 << 40);
            }
            if eneg {
                exp = -exp;
            }
        }
        let one = Big::from_u128(1);
        let (m, e) = if mant.is_zero() {
            (0, 0)
        } else if hex {
            round(&mant, &one, exp - 4 * frac)?
        } else {
            let e10 = exp - frac;
            let magnitude = e10 + mant.to_decimal().len() as i64;
            if magnitude > 4934 {
                return None;
            }
            if magnitude < -4955 {
                return None; // underflows to zero: ERANGE
            }
            let mut p = Big::from_u128(1);
            for _ in 0..e10.unsigned_abs() {
                p.mul_add_small(10, 0);
            }
            if e10 >= 0 {
                let mut n = Big::default();
                // mant * p
                for (k, &limb) in p.0.iter().enumerate() {
                    let mut t = mant.clone();
                    t.mul_add_small(limb, 0);
                    n = n.add(&t.shl(32 * k as u64));
                }
                round(&n, &one, 0)?
            } else {
                round(&mant, &p, 0)?
            }
        };
        if m == 0 && !mant.is_zero() {
            return None;
        }
        Some(Parsed::Finite(Ld { neg, m, e }))
    }

    fn add(a: Ld, b: Ld) -> Option<Ld> {
        if a.m == 0 {
            return Some(b);
        }
        if b.m == 0 {
            return Some(if a.m == 0 {
                Ld {
                    neg: a.neg && b.neg,
                    ..a
                }
            } else {
                a
            });
        }
        let (hi, lo) = if a.e >= b.e { (a, b) } else { (b, a) };
        // Far below half an ulp: only a sticky bit.
        let lo_e = lo.e.max(hi.e - 140);
        let lo_m = if lo.e < lo_e { 1u64 } else { lo.m };
        let bh = Big::from_u128(hi.m as u128).shl((hi.e - lo_e) as u64);
        let bl = Big::from_u128(lo_m as u128).shl((lo.e.max(lo_e) - lo_e) as u64);
        let (neg, sum) = if hi.neg == lo.neg {
            (hi.neg, bh.add(&bl))
        } else {
            match bh.cmp(&bl) {
                Ordering::Equal => {
                    return Some(Ld {
                        neg: false,
                        m: 0,
                        e: 0,
                    })
                }
                Ordering::Greater => {
                    let mut s = bh;
                    s.sub(&bl);
                    (hi.neg, s)
                }
                Ordering::Less => {
                    let mut s = bl;
                    s.sub(&bh);
                    (lo.neg, s)
                }
            }
        };
        let (m, e) = round(&sum, &Big::from_u128(1), lo_e)?;
        Some(Ld { neg, m, e })
    }

    /// `%.17Lf`, then Redis's trimming of trailing zeros.
    fn format(v: Ld) -> String {
        let mut n = Big::from_u128(v.m as u128);
        for _ in 0..17 {
            n.mul_add_small(10, 0);
        }
        let n = if v.e >= 0 {
            n.shl(v.e as u64)
        } else {
            let sh = (-v.e) as u64;
            let (q, _) = n.div(&Big::from_u128(1).shl(sh));
            // Round half to even on the exact remainder.
            let half_bit = sh - 1;
            let mut rounded = q.clone();
            if n.bit(half_bit) {
                let below = (0..half_bit).any(|i| n.bit(i));
                if below || q.bit(0) {
                    rounded = q.add(&Big::from_u128(1));
                }
            }
            rounded
        };
        let digits = format!("{:0>18}", n.to_decimal());
        let (int, frac) = digits.split_at(digits.len() - 17);
        let mut s = format!("{}{}.{}", if v.neg { "-" } else { "" }, int, frac);
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
        if s == "-0" {
            s = "0".into();
        }
        s
    }

    /// How a number text reads as a C `long double`: `None` if it is not a
    /// number, `Some(false)` if it is infinite, `Some(true)` if finite.
    pub fn classify(b: &[u8]) -> Option<bool> {
        parse(b).map(|p| matches!(p, Parsed::Finite(_)))
    }

    /// `cur + incr` formatted as Redis's INCRBYFLOAT result.
    pub fn incr_str(cur: &[u8], incr: &[u8]) -> Result<Vec<u8>, Error> {
        let nf = || Error::from(super::err::NOT_FLOAT);
        let a = parse(cur).ok_or_else(nf)?;
        let b = parse(incr).ok_or_else(nf)?;
        let naninf = || Error::from("ERR increment would produce NaN or Infinity");
        match (a, b) {
            (Parsed::Finite(a), Parsed::Finite(b)) => {
                let v = add(a, b).ok_or_else(naninf)?;
                Ok(format(v).into_bytes())
            }
            _ => Err(naninf()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::incr_str;

        fn f(a: &str, b: &str) -> String {
            String::from_utf8(incr_str(a.as_bytes(), b.as_bytes()).unwrap()).unwrap()
        }

        #[test]
        fn matches_x87() {
            assert_eq!(f("0.1", "0.2"), "0.3");
            assert_eq!(f("1000.1", "0.2"), "1000.29999999999999999");
            assert_eq!(f("123456.789", "0.001"), "123456.78999999999999915");
            assert_eq!(f("3000000000000000", "0.1"), "3000000000000000.10009765625");
            assert_eq!(f("10.5", "0.1"), "10.6");
            assert_eq!(f("5.0e3", "2.0e2"), "5200");
            assert_eq!(f("1.5", "-1.5"), "0");
            assert_eq!(f("0", "-0.0"), "0");
            assert_eq!(f("-1", "0.3"), "-0.7");
            assert_eq!(f("1e-20", "0"), "0");
            assert_eq!(f("0x10", "1"), "17");
            assert_eq!(f("1.", "1"), "2");
            assert_eq!(f(".5", "1"), "1.5");
            assert_eq!(f("1.5", "1e308"), "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048");
            assert!(incr_str(b"1e", b"1").is_err());
            assert!(incr_str(b" 1", b"1").is_err());
            assert!(incr_str(b"1", b"nan").is_err());
            assert!(incr_str(b"1", b"inf").is_err());
            assert!(incr_str(b"1", b"1e5000").is_err());
        }
    }
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
        mset,
    ),
    def(
        "msetnx",
        -3,
        WRITE | DENYOOM,
        (1, -1, 2),
        "string",
        "1.0.1",
        "Set multiple keys to multiple values, only if none of the keys exist",
        msetnx,
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
pub(crate) mod tests {
    use crate::node::{Addr, ConnId, Input, Node, Output};
    use crate::server::{Config, Server};

    pub const T0: u64 = 1_700_000_000_000;

    /// A server with one client; `cmd` returns the raw reply as text.
    pub struct T {
        pub srv: Server,
        pub now: u64,
    }

    impl T {
        pub fn new() -> T {
            let mut srv = Server::new(Config::default(), T0, 1);
            srv.handle(
                T0,
                Input::Accepted {
                    conn: ConnId(1),
                    peer: Addr::new("127.0.0.1", 5000),
                    local: Addr::new("127.0.0.1", 6379),
                },
            );
            while srv.poll_output().is_some() {}
            T { srv, now: T0 }
        }

        pub fn cmd(&mut self, args: &[&str]) -> String {
            let mut req = format!("*{}\r\n", args.len()).into_bytes();
            for a in args {
                req.extend_from_slice(format!("${}\r\n{}\r\n", a.len(), a).as_bytes());
            }
            self.srv.handle(
                self.now,
                Input::Data {
                    conn: ConnId(1),
                    bytes: &req,
                },
            );
            let mut out = Vec::new();
            while let Some(o) = self.srv.poll_output() {
                if let Output::Send { conn, bytes } = o {
                    if conn == ConnId(1) {
                        out.extend_from_slice(&bytes);
                    }
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        }

        /// What was fed to replicas since the last call, one string per command.
        pub fn feed(&mut self) -> Vec<String> {
            std::mem::take(&mut self.srv.st.propagated)
                .into_iter()
                .map(|(_, argv)| {
                    argv.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        }

        pub fn advance(&mut self, ms: u64) {
            self.now += ms;
        }
    }

    pub fn bulk(s: &str) -> String {
        format!("${}\r\n{}\r\n", s.len(), s)
    }

    pub const NULL: &str = "$-1\r\n";
    pub const OK: &str = "+OK\r\n";

    pub fn err(s: &str) -> String {
        format!("-{}\r\n", s)
    }

    #[test]
    fn set_get_and_options() {
        let mut t = T::new();
        assert_eq!(t.cmd(&["SET", "k", "v"]), OK);
        assert_eq!(t.cmd(&["GET", "k"]), bulk("v"));
        assert_eq!(t.cmd(&["GET", "nokey"]), NULL);
        assert_eq!(t.cmd(&["SET", "k", "v2", "NX"]), NULL);
        assert_eq!(t.cmd(&["SET", "k", "v2", "NX", "GET"]), bulk("v"));
        assert_eq!(t.cmd(&["SET", "k", "v3", "XX", "GET"]), bulk("v"));
        assert_eq!(t.cmd(&["SET", "new", "v", "XX"]), NULL);
        assert_eq!(
            t.cmd(&["SET", "k", "v", "XX", "NX"]),
            err("ERR syntax error")
        );
        assert_eq!(
            t.cmd(&["SET", "k", "v", "KEEPTTL", "EX", "1"]),
            err("ERR syntax error")
        );
        assert_eq!(t.cmd(&["SET", "k", "v", "EX"]), err("ERR syntax error"));
        assert_eq!(
            t.cmd(&["SET", "k", "v", "PERSIST"]),
            err("ERR syntax error")
        );
        assert_eq!(
            t.cmd(&["SET", "k", "v", "EX", "1", "PX", "1"]),
            err("ERR syntax error")
        );
        let inv = err("ERR invalid expire time in 'set' command");
        assert_eq!(t.cmd(&["SET", "k", "v", "EX", "0"]), inv);
        assert_eq!(t.cmd(&["SET", "k", "v", "PX", "-1"]), inv);
        assert_eq!(t.cmd(&["SET", "k", "v", "EX", "9223372036854775807"]), inv);
        assert_eq!(t.cmd(&["SET", "k", "v", "PX", "9223372036854775807"]), inv);
        assert_eq!(
            t.cmd(&["SET", "k", "v", "EX", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(t.cmd(&["SET", "k", "v", "EX", "10", "EX", "20"]), OK);
        assert_eq!(t.cmd(&["TTL", "k"]), ":20\r\n");
        assert_eq!(t.cmd(&["SET", "k", "w", "KEEPTTL"]), OK);
        assert_eq!(t.cmd(&["TTL", "k"]), ":20\r\n");
        assert_eq!(t.cmd(&["SET", "k", "w"]), OK);
        assert_eq!(t.cmd(&["TTL", "k"]), ":-1\r\n");
        assert_eq!(t.cmd(&["SETNX", "k", "x"]), ":0\r\n");
        assert_eq!(t.cmd(&["SETNX", "k9", "x"]), ":1\r\n");
        assert_eq!(
            t.cmd(&["SETEX", "k", "0", "v"]),
            err("ERR invalid expire time in 'setex' command")
        );
        assert_eq!(
            t.cmd(&["PSETEX", "k", "-5", "v"]),
            err("ERR invalid expire time in 'psetex' command")
        );
        assert_eq!(t.cmd(&["PSETEX", "k", "1500", "v"]), OK);
        assert_eq!(t.cmd(&["PTTL", "k"]), ":1500\r\n");
        t.advance(1500);
        assert_eq!(t.cmd(&["GET", "k"]), NULL);
        assert_eq!(
            t.cmd(&["SET", "k"]),
            err("ERR wrong number of arguments for 'set' command")
        );
    }

    #[test]
    fn set_propagation() {
        let mut t = T::new();
        t.cmd(&["SET", "k", "v", "EX", "100"]);
        assert_eq!(t.feed(), vec![format!("SET k v PXAT {}", T0 + 100_000)]);
        t.cmd(&["set", "k", "v", "xx", "exat", "4102444800", "get"]);
        assert_eq!(t.feed(), vec!["SET k v PXAT 4102444800000"]);
        t.cmd(&["set", "k", "v2", "get", "xx", "GET"]);
        assert_eq!(t.feed(), vec!["set k v2 xx"]);
        t.cmd(&["set", "k", "v2", "nx"]);
        assert!(t.feed().is_empty());
        t.cmd(&["SETEX", "k", "10", "v"]);
        assert_eq!(t.feed(), vec![format!("SET k v PXAT {}", T0 + 10_000)]);
        t.cmd(&["GETSET", "k", "v9"]);
        assert_eq!(t.feed(), vec!["SET k v9"]);
        t.cmd(&["GETDEL", "k"]);
        assert_eq!(t.feed(), vec!["DEL k"]);
        t.cmd(&["GETDEL", "k"]);
        assert!(t.feed().is_empty());
        t.cmd(&["SET", "f", "1.5"]);
        t.feed();
        assert_eq!(t.cmd(&["INCRBYFLOAT", "f", "1"]), bulk("2.5"));
        assert_eq!(t.feed(), vec!["SET f 2.5 KEEPTTL"]);
        t.cmd(&["SET", "e", "v", "PX", "1"]);
        t.feed();
        t.advance(5);
        assert_eq!(t.cmd(&["GET", "e"]), NULL);
        assert_eq!(t.feed(), vec!["DEL e"]);
    }

    #[test]
    fn getex_getdel_getset() {
        let mut t = T::new();
        assert_eq!(t.cmd(&["GETEX", "nokey", "EX", "0"]), NULL);
        t.cmd(&["SET", "k", "hello"]);
        assert_eq!(
            t.cmd(&["GETEX", "k", "EX", "0"]),
            err("ERR invalid expire time in 'getex' command")
        );
        assert_eq!(
            t.cmd(&["GETEX", "k", "PERSIST", "EX", "1"]),
            err("ERR syntax error")
        );
        assert_eq!(t.cmd(&["GETEX", "k", "NX"]), err("ERR syntax error"));
        assert_eq!(t.cmd(&["GETEX", "k", "EX"]), err("ERR syntax error"));
        assert_eq!(t.cmd(&["GETEX", "k"]), bulk("hello"));
        assert!(t.feed().iter().all(|c| !c.starts_with("GETEX")));
        assert_eq!(t.cmd(&["GETEX", "k", "EX", "100"]), bulk("hello"));
        assert_eq!(t.feed(), vec![format!("PEXPIREAT k {}", T0 + 100_000)]);
        assert_eq!(t.cmd(&["TTL", "k"]), ":100\r\n");
        assert_eq!(
            t.cmd(&["GETEX", "k", "PXAT", "4102444800000"]),
            bulk("hello")
        );
        assert_eq!(t.feed(), vec!["PEXPIREAT k 4102444800000"]);
        assert_eq!(t.cmd(&["GETEX", "k", "PERSIST"]), bulk("hello"));
        assert_eq!(t.feed(), vec!["PERSIST k"]);
        assert_eq!(t.cmd(&["GETEX", "k", "PERSIST"]), bulk("hello"));
        assert!(t.feed().is_empty());
        assert_eq!(t.cmd(&["GETEX", "k", "EXAT", "1"]), bulk("hello"));
        assert_eq!(t.feed(), vec!["DEL k"]);
        assert_eq!(t.cmd(&["EXISTS", "k"]), ":0\r\n");
        assert_eq!(t.cmd(&["GETSET", "k", "a"]), NULL);
        assert_eq!(t.cmd(&["GETSET", "k", "b"]), bulk("a"));
        assert_eq!(t.cmd(&["GETDEL", "k"]), bulk("b"));
        assert_eq!(t.cmd(&["GETDEL", "k"]), NULL);
    }

    #[test]
    fn wrongtype() {
        let mut t = T::new();
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
            assert_eq!(t.cmd(c), wt, "{c:?}");
        }
        assert_eq!(
            t.cmd(&["LCS", "l", "x"]),
            err("ERR The specified keys must contain string values")
        );
        assert_eq!(t.cmd(&["MGET", "l", "nokey"]), "*2\r\n$-1\r\n$-1\r\n");
        assert_eq!(t.cmd(&["SET", "l", "x"]), OK);
    }

    #[test]
    fn mset_msetnx_mget() {
        let mut t = T::new();
        assert_eq!(
            t.cmd(&["MSET", "a", "1", "b"]),
            err("ERR wrong number of arguments for 'mset' command")
        );
        assert_eq!(
            t.cmd(&["MSETNX", "a", "1", "b"]),
            err("ERR wrong number of arguments for 'msetnx' command")
        );
        assert_eq!(t.cmd(&["MSET", "a", "1", "b", "2"]), OK);
        assert_eq!(
            t.cmd(&["MGET", "a", "b", "c"]),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
        );
        assert_eq!(t.cmd(&["MSETNX", "a", "1", "c", "3"]), ":0\r\n");
        assert_eq!(t.cmd(&["MSETNX", "c", "3", "d", "4"]), ":1\r\n");
        assert_eq!(t.cmd(&["GET", "d"]), bulk("4"));
    }

    #[test]
    fn counters() {
        let mut t = T::new();
        assert_eq!(t.cmd(&["INCR", "n"]), ":1\r\n");
        assert_eq!(t.cmd(&["INCRBY", "n", "10"]), ":11\r\n");
        assert_eq!(t.cmd(&["DECRBY", "n", "2"]), ":9\r\n");
        assert_eq!(t.cmd(&["DECR", "n"]), ":8\r\n");
        let ni = err("ERR value is not an integer or out of range");
        assert_eq!(t.cmd(&["INCRBY", "n", "x"]), ni);
        assert_eq!(
            t.cmd(&["DECRBY", "n", "-9223372036854775808"]),
            err("ERR decrement would overflow")
        );
        t.cmd(&["SET", "n", "9223372036854775807"]);
        assert_eq!(
            t.cmd(&["INCR", "n"]),
            err("ERR increment or decrement would overflow")
        );
        t.cmd(&["SET", "n", " 1"]);
        assert_eq!(t.cmd(&["INCR", "n"]), ni);
        t.cmd(&["SET", "n", "5", "EX", "100"]);
        assert_eq!(t.cmd(&["INCR", "n"]), ":6\r\n");
        assert_eq!(t.cmd(&["TTL", "n"]), ":100\r\n");
        assert_eq!(t.cmd(&["INCRBYFLOAT", "n", "0.5"]), bulk("6.5"));
        assert_eq!(t.cmd(&["TTL", "n"]), ":100\r\n");
        assert_eq!(
            t.cmd(&["INCRBYFLOAT", "n", "x"]),
            err("ERR value is not a valid float")
        );
        assert_eq!(
            t.cmd(&["INCRBYFLOAT", "n", "inf"]),
            err("ERR increment would produce NaN or Infinity")
        );
        assert_eq!(t.cmd(&["INCRBYFLOAT", "nf", "3.0e3"]), bulk("3000"));
        t.cmd(&["SET", "s", "abc"]);
        assert_eq!(
            t.cmd(&["INCRBYFLOAT", "s", "1"]),
            err("ERR value is not a valid float")
        );
    }

    #[test]
    fn append_ranges_and_encodings() {
        let mut t = T::new();
        assert_eq!(t.cmd(&["APPEND", "a", "hello"]), ":5\r\n");
        assert_eq!(t.cmd(&["APPEND", "a", " world"]), ":11\r\n");
        assert_eq!(t.cmd(&["STRLEN", "a"]), ":11\r\n");
        assert_eq!(t.cmd(&["STRLEN", "nokey"]), ":0\r\n");
        assert_eq!(t.cmd(&["GETRANGE", "a", "0", "4"]), bulk("hello"));
        assert_eq!(t.cmd(&["GETRANGE", "a", "-5", "-1"]), bulk("world"));
        assert_eq!(t.cmd(&["GETRANGE", "a", "-1", "-5"]), bulk(""));
        assert_eq!(t.cmd(&["GETRANGE", "a", "5", "3"]), bulk(""));
        assert_eq!(
            t.cmd(&["GETRANGE", "a", "-100", "100"]),
            bulk("hello world")
        );
        assert_eq!(t.cmd(&["SUBSTR", "a", "0", "1"]), bulk("he"));
        assert_eq!(t.cmd(&["GETRANGE", "nokey", "0", "1"]), bulk(""));
        assert_eq!(t.cmd(&["SETRANGE", "s", "3", "hi"]), ":5\r\n");
        assert_eq!(t.cmd(&["GET", "s"]), bulk("\0\0\0hi"));
        assert_eq!(t.cmd(&["SETRANGE", "s", "0", "AB"]), ":5\r\n");
        assert_eq!(
            t.cmd(&["SETRANGE", "s", "-1", "x"]),
            err("ERR offset is out of range")
        );
        assert_eq!(
            t.cmd(&["SETRANGE", "s", "536870911", "xx"]),
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
        assert_eq!(t.cmd(&["SETRANGE", "s", "536870911", ""]), ":5\r\n");
        assert_eq!(t.cmd(&["SETRANGE", "none", "10", ""]), ":0\r\n");
        assert_eq!(t.cmd(&["EXISTS", "none"]), ":0\r\n");
        t.cmd(&["SET", "i", "12345"]);
        assert_eq!(t.cmd(&["OBJECT", "ENCODING", "i"]), bulk("int"));
        t.cmd(&["SET", "e", "hello"]);
        assert_eq!(t.cmd(&["OBJECT", "ENCODING", "e"]), bulk("embstr"));
        t.cmd(&["APPEND", "e", ""]);
        assert_eq!(t.cmd(&["OBJECT", "ENCODING", "e"]), bulk("raw"));
        t.cmd(&["SET", "j", "12"]);
        t.cmd(&["APPEND", "j", "3"]);
        assert_eq!(t.cmd(&["OBJECT", "ENCODING", "j"]), bulk("raw"));
        t.cmd(&["INCR", "j"]);
        assert_eq!(t.cmd(&["OBJECT", "ENCODING", "j"]), bulk("int"));
        t.cmd(&["SET", "r", &"x".repeat(45)]);
        assert_eq!(t.cmd(&["OBJECT", "ENCODING", "r"]), bulk("raw"));
    }

    #[test]
    fn lcs() {
        let mut t = T::new();
        t.cmd(&["MSET", "a", "ohmytext", "b", "mynewtext"]);
        assert_eq!(t.cmd(&["LCS", "a", "b"]), bulk("mytext"));
        assert_eq!(t.cmd(&["LCS", "a", "b", "LEN"]), ":6\r\n");
        assert_eq!(
            t.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"
        );
        assert_eq!(
            t.cmd(&["LCS", "a", "b", "IDX", "LEN"]),
            err("ERR If you want both the length and indexes, please just use IDX.")
        );
        assert_eq!(
            t.cmd(&["LCS", "a", "b", "MINMATCHLEN"]),
            err("ERR syntax error")
        );
        assert_eq!(t.cmd(&["LCS", "a", "nokey"]), bulk(""));
    }
}
