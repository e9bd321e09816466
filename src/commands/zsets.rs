//! Sorted set commands.

use super::scan::{self, ScanOpts};
use super::sets::lookup_many;
use super::{def, eq_ignore_case, err, flags::*, index_range, CmdResult, CommandDef, Ctx, Error};
use crate::keyspace::{Db, Dict, Object, Value, ZSet};
use crate::node::Millis;
use crate::resp::{format_double, parse_i64, ReplyBuf};
use crate::server::notify::class as N;
use bytes::Bytes;

const NAN_ERR: &str = "ERR resulting score is not a number (NaN)";
const SCORE_RANGE_ERR: &str = "ERR min or max is not a float";
const LEX_RANGE_ERR: &str = "ERR min or max not valid string range item";

fn as_zset(o: &Object) -> Result<&ZSet, Error> {
    crate::typed!(o, Value::ZSet)
}

/// Read-only lookup with type check.
pub(crate) fn zget<'a>(db: &'a mut Db, key: &[u8], now: Millis) -> Result<Option<&'a ZSet>, Error> {
    match db.get(key, now) {
        None => Ok(None),
        Some(o) => Ok(Some(as_zset(o)?)),
    }
}

/// C's `strtod` over the whole argument, as `zslParseRange` uses it: leading
/// spaces allowed, the empty string is 0, NaN refused, overflow is ±inf.
fn strtod_all(b: &[u8]) -> Option<f64> {
    if b.is_empty() {
        return Some(0.0);
    }
    let s = std::str::from_utf8(b).ok()?;
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        let mut v = 0f64;
        for c in body[2..].chars() {
            v = v * 16.0 + c.to_digit(16)? as f64;
        }
        v
    } else {
        if body.starts_with(['+', '-']) {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    let v = if neg { -v } else { v };
    if v.is_nan() {
        None
    } else {
        Some(v)
    }
}

/// A score argument (ZADD, ZINCRBY, WEIGHTS): Redis's `getDoubleFromObject`,
/// which also refuses values that overflow or underflow.
pub(crate) fn score_arg(b: &[u8], msg: &'static str) -> Result<f64, Error> {
    if b.first()
        .is_none_or(|c| c.is_ascii_whitespace() || *c == b'\x0b')
    {
        return Err(msg.into());
    }
    let v = strtod_all(b).ok_or(Error::from(msg))?;
    // Only an infinity or a zero can be strtod's overflow or underflow: a
    // finite non-zero value needs no second look at the text.
    if v.is_infinite() {
        if !b.windows(3).any(|w| w.eq_ignore_ascii_case(b"inf")) {
            return Err(msg.into());
        }
    } else if v == 0.0 {
        let mantissa = b
            .split(|c| c.eq_ignore_ascii_case(&b'e'))
            .next()
            .unwrap_or(&[]);
        if mantissa.iter().any(|c| (b'1'..=b'9').contains(c)) {
            return Err(msg.into());
        }
    }
    Ok(v)
}

#[derive(Clone, Copy, Debug)]
struct ScoreRange {
    min: f64,
    minex: bool,
    max: f64,
    maxex: bool,
}

fn parse_score_bound(b: &[u8]) -> Option<(f64, bool)> {
    match b.first() {
        Some(b'(') => Some((strtod_all(&b[1..])?, true)),
        _ => Some((strtod_all(b)?, false)),
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Error> {
    let (Some((min, minex)), Some((max, maxex))) = (parse_score_bound(min), parse_score_bound(max))
    else {
        return Err(SCORE_RANGE_ERR.into());
    };
    Ok(ScoreRange {
        min,
        minex,
        max,
        maxex,
    })
}

fn score_iter(z: &ZSet, r: ScoreRange) -> impl DoubleEndedIterator<Item = (&[u8], f64)> {
    z.range_by_score(r.min, r.minex, r.max, r.maxex)
}

#[derive(Clone, Debug)]
enum Lex {
    Min,
    Max,
    Incl(Bytes),
    Excl(Bytes),
}

#[derive(Clone, Debug)]
struct LexRange {
    min: Lex,
    max: Lex,
}

fn parse_lex_bound(b: &Bytes) -> Option<Lex> {
    match b.first()? {
        b'+' if b.len() == 1 => Some(Lex::Max),
        b'-' if b.len() == 1 => Some(Lex::Min),
        b'(' => Some(Lex::Excl(b.slice(1..))),
        b'[' => Some(Lex::Incl(b.slice(1..))),
        _ => None,
    }
}

fn parse_lex_range(min: &Bytes, max: &Bytes) -> Result<LexRange, Error> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(min), Some(max)) => Ok(LexRange { min, max }),
        _ => Err(LEX_RANGE_ERR.into()),
    }
}

/// `sdscmplex`: the special bounds sort before / after every string.
fn lex_cmp(a: &Lex, b: &Lex) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let key = |l: &Lex| -> (u8, Bytes) {
        match l {
            Lex::Min => (0, Bytes::new()),
            Lex::Incl(s) | Lex::Excl(s) => (1, s.clone()),
            Lex::Max => (2, Bytes::new()),
        }
    };
    let (ka, kb) = (key(a), key(b));
    if ka.0 != 1 || kb.0 != 1 {
        if ka.0 == kb.0 {
            return Equal;
        }
        return ka.0.cmp(&kb.0);
    }
    ka.1.cmp(&kb.1)
}

impl LexRange {
    fn is_empty(&self) -> bool {
        let ex = |l: &Lex| !matches!(l, Lex::Incl(_));
        match lex_cmp(&self.min, &self.max) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => ex(&self.min) || ex(&self.max),
            std::cmp::Ordering::Less => false,
        }
    }
    fn gte_min(&self, m: &[u8]) -> bool {
        match &self.min {
            Lex::Min => true,
            Lex::Max => false,
            Lex::Incl(s) => m >= &s[..],
            Lex::Excl(s) => m > &s[..],
        }
    }
    fn lte_max(&self, m: &[u8]) -> bool {
        match &self.max {
            Lex::Min => false,
            Lex::Max => true,
            Lex::Incl(s) => m <= &s[..],
            Lex::Excl(s) => m < &s[..],
        }
    }
}

/// Members in a lex range, walking as Redis does (first member >= min, then
/// while <= max; reversed: last member <= max, then while >= min).
fn lex_items<'a>(
    z: &'a ZSet,
    r: &'a LexRange,
    rev: bool,
) -> Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a> {
    if r.is_empty() {
        return Box::new(std::iter::empty());
    }
    // zzlIsInLexRange / zslIsInLexRange: Redis first checks the last member
    // against min and the first against max (in score order), which decides
    // the result when members have different scores.
    let first = z.iter().next().map(|(m, _)| m);
    let last = z.iter().next_back().map(|(m, _)| m);
    match (first, last) {
        (Some(f), Some(l)) if r.gte_min(l) && r.lte_max(f) => {}
        _ => return Box::new(std::iter::empty()),
    }
    if rev {
        Box::new(
            z.iter()
                .rev()
                .skip_while(move |(m, _)| !r.lte_max(m))
                .take_while(move |(m, _)| r.gte_min(m)),
        )
    } else {
        Box::new(
            z.iter()
                .skip_while(move |(m, _)| !r.gte_min(m))
                .take_while(move |(m, _)| r.lte_max(m)),
        )
    }
}

/// Reply with members and maybe scores: flat in RESP2, [member, score] pairs in RESP3.
fn reply_items(out: &mut ReplyBuf, items: &[(Bytes, f64)], withscores: bool) {
    let nested = withscores && out.is_resp3();
    out.array(if withscores && !nested {
        items.len() * 2
    } else {
        items.len()
    });
    for (m, s) in items {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(*s);
        }
    }
}

/// Store `items` at `dst` as a sorted set (or delete `dst` if empty); reply the count.
fn store_result(ctx: &mut Ctx, dst: &Bytes, items: Vec<(Bytes, f64)>) {
    let n = items.len();
    let mut z = ZSet::new_skip();
    for (m, s) in items {
        z.insert(m, s);
    }
    super::store_and_reply(ctx, dst, Value::ZSet(z), n, N::ZSET);
}

pub(crate) const NX: u8 = 1;
pub(crate) const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;
const INCR: u8 = 16;

enum AddOutcome {
    Added(f64),
    Updated(f64),
    Same(f64),
    Nop,
}

/// Redis's `zsetAdd`.
fn zset_add(z: &mut ZSet, mut score: f64, member: &Bytes, flags: u8) -> Result<AddOutcome, Error> {
    if score.is_nan() {
        return Err(NAN_ERR.into());
    }
    match z.score(member) {
        Some(cur) => {
            if flags & NX != 0 {
                return Ok(AddOutcome::Nop);
            }
            if flags & INCR != 0 {
                score += cur;
                if score.is_nan() {
                    return Err(NAN_ERR.into());
                }
            }
            if (flags & LT != 0 && score >= cur) || (flags & GT != 0 && score <= cur) {
                return Ok(AddOutcome::Nop);
            }
            let score = score + 0.0;
            if score != cur {
                z.insert(member.clone(), score);
                Ok(AddOutcome::Updated(score))
            } else {
                Ok(AddOutcome::Same(score))
            }
        }
        None if flags & XX == 0 => {
            // Stored as 0 (the listpack keeps no -0), but ZINCRBY / ZADD INCR
            // answer with the score as given, "-0" included, as Redis does.
            z.insert(member.clone(), score + 0.0);
            Ok(AddOutcome::Added(score))
        }
        None => Ok(AddOutcome::Nop),
    }
}

pub(crate) fn zadd_generic(ctx: &mut Ctx, args: &[Bytes], mut flags: u8) -> CmdResult {
    let mut ch = false;
    let mut idx = 2;
    while idx < args.len() {
        let a = &args[idx];
        if eq_ignore_case(a, "nx") {
            flags |= NX;
        } else if eq_ignore_case(a, "xx") {
            flags |= XX;
        } else if eq_ignore_case(a, "ch") {
            ch = true;
        } else if eq_ignore_case(a, "incr") {
            flags |= INCR;
        } else if eq_ignore_case(a, "gt") {
            flags |= GT;
        } else if eq_ignore_case(a, "lt") {
            flags |= LT;
        } else {
            break;
        }
        idx += 1;
    }
    let pairs = &args[idx..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(err::SYNTAX.into());
    }
    let has = |f: u8| flags & f != 0;
    if has(NX) && has(XX) {
        return Err("ERR XX and NX options at the same time are not compatible".into());
    }
    if (has(GT) && has(NX)) || (has(LT) && has(NX)) || (has(GT) && has(LT)) {
        return Err("ERR GT, LT, and/or NX options at the same time are not compatible".into());
    }
    let incr = has(INCR);
    if incr && pairs.len() > 2 {
        return Err("ERR INCR option supports a single increment-element pair".into());
    }
    let mut items = Vec::with_capacity(pairs.len() / 2);
    for p in pairs.chunks(2) {
        items.push((score_arg(&p[0], err::NOT_FLOAT)?, &p[1]));
    }
    zadd_scored(ctx, &args[1], flags, ch, &items)
}

/// ZADD's work once its arguments are parsed: `items` are (score, member)
/// pairs, `flags` the checked NX / XX / GT / LT / INCR. GEOADD comes here
/// with the scores it computed (no text round trip).
pub(crate) fn zadd_scored(
    ctx: &mut Ctx,
    key: &Bytes,
    flags: u8,
    ch: bool,
    items: &[(f64, &Bytes)],
) -> CmdResult {
    let has = |f: u8| flags & f != 0;
    let incr = has(INCR);
    let now = ctx.now;
    let limits = ctx.srv.encoding_limits;
    let resize = ctx.srv.dict_resize();
    let db = ctx.db();
    // An existing key is looked up once; an expired one is gone first, as
    // a read lookup finds it.
    let found = if db.expire_if_needed(key, now) {
        None
    } else {
        db.get_for_write(key, now)
    };
    if let Some(w) = &found {
        as_zset(w.get())?;
    }
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut last = 0.0;
    let mut res = Ok(());
    let target = match found {
        Some(w) => Some(w.into_mut()),
        None if has(XX) => None,
        None => {
            db.set(
                crate::keyspace::owned_key(key),
                Object::new(Value::ZSet(ZSet::new())),
            );
            db.get_mut_now(&key[..])
        }
    };
    if let Some(obj) = target {
        if let Value::ZSet(z) = &mut obj.value {
            z.set_resize(resize);
            // zsetAdd converts a listpack before a member too long for
            // it; past the entry limit it converts as it goes (a big
            // ZADD then does not grow a listpack quadratically).
            if z.is_packed() && !has(XX) && items.iter().any(|(_, m)| m.len() > limits.zset_value) {
                z.to_skip();
            }
            for &(score, member) in items {
                match zset_add(z, score, member, flags) {
                    Err(e) => {
                        res = Err(e);
                        break;
                    }
                    Ok(AddOutcome::Added(s)) => {
                        added += 1;
                        processed += 1;
                        last = s;
                        if z.is_packed() && z.len() > limits.zset_entries {
                            z.to_skip();
                        }
                    }
                    Ok(AddOutcome::Updated(s)) => {
                        updated += 1;
                        processed += 1;
                        last = s;
                    }
                    Ok(AddOutcome::Same(s)) => {
                        processed += 1;
                        last = s;
                    }
                    Ok(AddOutcome::Nop) => {}
                }
            }
        }
        obj.update_encoding_with(&limits);
        // A key created for an add that failed is left empty: gone
        // (settle_collection's work, without its second lookup).
        if obj.value.is_empty_collection() {
            db.delete(key);
        }
    }
    ctx.dirty(added + updated);
    if added + updated > 0 {
        ctx.notify(N::ZSET, if incr { "zincr" } else { "zadd" }, key);
    }
    res?;
    let out = ctx.out();
    if incr {
        if processed > 0 {
            out.double(last);
        } else {
            out.null();
        }
    } else {
        out.int((if ch { added + updated } else { added }) as i64);
    }
    Ok(())
}

fn zrem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let resize = ctx.srv.dict_resize();
    super::remove_members(ctx, &args[1], (N::ZSET, "zrem"), |obj| {
        let z = crate::typed_mut!(obj, Value::ZSet)?;
        z.set_resize(resize);
        Ok(args[2..].iter().filter(|m| z.remove(m).is_some()).count() as u64)
    })
}

fn zscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    match zget(db, &args[1], now)?.and_then(|z| z.score(&args[2])) {
        Some(s) => out.double(s),
        None => out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let z = zget(db, &args[1], now)?;
    out.array(args.len() - 2);
    for m in &args[2..] {
        match z.and_then(|z| z.score(m)) {
            Some(s) => out.double(s),
            None => out.null(),
        }
    }
    Ok(())
}

fn zcard(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let n = zget(db, &args[1], now)?.map_or(0, |z| z.len());
    out.int(n as i64);
    Ok(())
}

fn zcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let r = parse_score_range(&args[2], &args[3])?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let n = zget(db, &args[1], now)?.map_or(0, |z| score_iter(z, r).count());
    out.int(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let r = parse_lex_range(&args[2], &args[3])?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let n = zget(db, &args[1], now)?.map_or(0, |z| lex_items(z, &r, false).count());
    out.int(n as i64);
    Ok(())
}

fn rank_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let z = zget(db, &args[1], now)?;
    match z.and_then(|z| z.rank(&args[2]).map(|r| (r, z.len()))) {
        Some((r, n)) => out.int(if rev { n - 1 - r } else { r } as i64),
        None => out.null(),
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Auto,
    Fwd,
    Rev,
}

/// Apply LIMIT offset count as `genericZrangebyscoreCommand` does.
fn limited<'a>(
    it: impl Iterator<Item = (&'a [u8], f64)>,
    len: usize,
    offset: i64,
    limit: i64,
) -> Vec<(Bytes, f64)> {
    if offset < 0 || (offset > 0 && offset as u64 >= len as u64) {
        return Vec::new();
    }
    let take = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    it.skip(offset as usize)
        .take(take)
        .map(|(m, s)| (Bytes::copy_from_slice(m), s))
        .collect()
}

/// `zrangeGenericCommand`: ZRANGE and its older forms, and ZRANGESTORE (`store`).
fn zrange_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    start_idx: usize,
    store: bool,
    mut rt: RangeType,
    mut dir: Dir,
) -> CmdResult {
    let key = &args[start_idx];
    let mut minidx = start_idx + 1;
    let mut maxidx = start_idx + 2;
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = start_idx + 3;
    while j < args.len() {
        let a = &args[j];
        let left = args.len() - j - 1;
        if !store && eq_ignore_case(a, "withscores") {
            withscores = true;
        } else if eq_ignore_case(a, "limit") && left >= 2 {
            offset = super::arg_i64(&args[j + 1])?;
            limit = super::arg_i64(&args[j + 2])?;
            j += 2;
        } else if dir == Dir::Auto && eq_ignore_case(a, "rev") {
            dir = Dir::Rev;
        } else if rt == RangeType::Auto && eq_ignore_case(a, "bylex") {
            rt = RangeType::Lex;
        } else if rt == RangeType::Auto && eq_ignore_case(a, "byscore") {
            rt = RangeType::Score;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    if dir == Dir::Auto {
        dir = Dir::Fwd;
    }
    if rt == RangeType::Auto {
        rt = RangeType::Rank;
    }
    if limit != -1 && rt == RangeType::Rank {
        return Err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
                .into(),
        );
    }
    if withscores && rt == RangeType::Lex {
        return Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX".into());
    }
    let rev = dir == Dir::Rev;
    if rev && rt != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }
    enum Spec {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let spec = match rt {
        RangeType::Score => Spec::Score(parse_score_range(&args[minidx], &args[maxidx])?),
        RangeType::Lex => Spec::Lex(parse_lex_range(&args[minidx], &args[maxidx])?),
        _ => Spec::Rank(
            super::arg_i64(&args[minidx])?,
            super::arg_i64(&args[maxidx])?,
        ),
    };
    let now = ctx.now;
    let items: Vec<(Bytes, f64)> = match zget(ctx.db(), key, now)? {
        None => {
            if !store {
                ctx.out().array(0);
                return Ok(());
            }
            Vec::new()
        }
        Some(z) => match &spec {
            Spec::Rank(s, e) => match index_range(*s, *e, z.len()) {
                None => Vec::new(),
                Some((start, end)) => {
                    let n = end - start + 1;
                    let pick = |(m, s): (&[u8], f64)| (Bytes::copy_from_slice(m), s);
                    if rev {
                        z.iter().rev().skip(start).take(n).map(pick).collect()
                    } else {
                        z.iter().skip(start).take(n).map(pick).collect()
                    }
                }
            },
            Spec::Score(r) => {
                if rev {
                    limited(score_iter(z, *r).rev(), z.len(), offset, limit)
                } else {
                    limited(score_iter(z, *r), z.len(), offset, limit)
                }
            }
            Spec::Lex(r) => limited(lex_items(z, r, rev), z.len(), offset, limit),
        },
    };
    if store {
        store_result(ctx, &args[1], items);
    } else {
        reply_items(ctx.out(), &items, withscores);
    }
    Ok(())
}

fn zrangestore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, 2, true, RangeType::Auto, Dir::Auto)
}
fn zrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Score, Dir::Fwd)
}
fn zrangebylex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Lex, Dir::Fwd)
}

fn zremrange_generic(ctx: &mut Ctx, args: &[Bytes], rt: RangeType) -> CmdResult {
    enum Spec {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let spec = match rt {
        RangeType::Score => Spec::Score(parse_score_range(&args[2], &args[3])?),
        RangeType::Lex => Spec::Lex(parse_lex_range(&args[2], &args[3])?),
        _ => Spec::Rank(super::arg_i64(&args[2])?, super::arg_i64(&args[3])?),
    };
    let key = &args[1];
    let now = ctx.now;
    let limits = ctx.srv.encoding_limits;
    let resize = ctx.srv.dict_resize();
    let db = ctx.db();
    let victims: Vec<Bytes> = match zget(db, key, now)? {
        None => Vec::new(),
        Some(z) => match &spec {
            Spec::Rank(s, e) => match index_range(*s, *e, z.len()) {
                None => Vec::new(),
                Some((start, end)) => z
                    .iter()
                    .skip(start)
                    .take(end - start + 1)
                    .map(|(m, _)| Bytes::copy_from_slice(m))
                    .collect(),
            },
            Spec::Score(r) => score_iter(z, *r)
                .map(|(m, _)| Bytes::copy_from_slice(m))
                .collect(),
            Spec::Lex(r) => lex_items(z, r, false)
                .map(|(m, _)| Bytes::copy_from_slice(m))
                .collect(),
        },
    };
    if !victims.is_empty() {
        if let Some(obj) = db.get_mut_now(&key[..]) {
            if let Value::ZSet(z) = &mut obj.value {
                z.set_resize(resize);
                for m in &victims {
                    z.remove(m);
                }
            }
        }
        let deleted = db.settle_collection(key, &limits);
        // The event is the command's name (zremrangebyrank, ...byscore, ...bylex).
        let event = ctx.cmd.name;
        ctx.notify(N::ZSET, event, key);
        if deleted {
            ctx.notify(N::GENERIC, "del", key);
        }
    }
    ctx.dirty(victims.len() as u64);
    ctx.out().int(victims.len() as i64);
    Ok(())
}

fn zremrangebyscore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zremrange_generic(ctx, args, RangeType::Score)
}

fn zpop_generic(ctx: &mut Ctx, args: &[Bytes], max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(err::SYNTAX.into());
    }
    let count = args.get(2).map(|c| super::arg_pop_count(c)).transpose()?;
    let key = &args[1];
    let nested = ctx.client.reply.is_resp3() && count.is_some();
    let n = count.unwrap_or(1);
    let now = ctx.now;
    if zget(ctx.db(), key, now)?.is_none() || n == 0 {
        ctx.out().array(0);
        return Ok(());
    }
    let picked = pop_members(ctx, key, max, n);
    let out = ctx.out();
    out.array(if nested {
        picked.len()
    } else {
        picked.len() * 2
    });
    for (m, s) in &picked {
        if nested {
            out.array(2);
        }
        out.bulk(m);
        out.double(*s);
    }
    Ok(())
}

/// genericZpopCommand's work on a sorted set known to exist: take up to `n`
/// members from the low (or, with `max`, the high) end, with the events,
/// the deletion of an emptied key and the change count.
pub(crate) fn pop_members(ctx: &mut Ctx, key: &Bytes, max: bool, n: u64) -> Vec<(Bytes, f64)> {
    let now = ctx.now;
    let limits = ctx.srv.encoding_limits;
    let resize = ctx.srv.dict_resize();
    let db = ctx.db();
    let Some(Value::ZSet(z)) = db.get_mut(key, now).map(|o| &mut o.value) else {
        return Vec::new();
    };
    z.set_resize(resize);
    let n = n.min(z.len() as u64) as usize;
    let picked: Vec<(Bytes, f64)> = if max {
        z.iter()
            .rev()
            .take(n)
            .map(|(m, s)| (Bytes::copy_from_slice(m), s))
            .collect()
    } else {
        z.iter()
            .take(n)
            .map(|(m, s)| (Bytes::copy_from_slice(m), s))
            .collect()
    };
    for (m, _) in &picked {
        z.remove(m);
    }
    let deleted = db.settle_collection(key, &limits);
    ctx.notify(N::ZSET, if max { "zpopmax" } else { "zpopmin" }, key);
    if deleted {
        ctx.notify(N::GENERIC, "del", key);
    }
    ctx.touch(key);
    ctx.dirty(picked.len() as u64);
    picked
}

fn zpopmax(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zpop_generic(ctx, args, true)
}

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq)]
enum Aggr {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, val: f64, a: Aggr) {
    match a {
        Aggr::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggr::Min => {
            if val < *target {
                *target = val
            }
        }
        Aggr::Max => {
            if val > *target {
                *target = val
            }
        }
    }
}

/// An input of ZUNION & co: a sorted set, or a plain set whose scores are 1.
enum Src<'a> {
    Z(&'a ZSet),
    S(&'a crate::keyspace::SetValue),
    Missing,
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
            Src::Missing => 0,
        }
    }
    fn find(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
            Src::Missing => None,
        }
    }
    fn items(&self) -> Vec<(Bytes, f64)> {
        match self {
            Src::Z(z) => z
                .iter()
                .map(|(m, s)| (Bytes::copy_from_slice(m), s))
                .collect(),
            Src::S(s) => s.iter().map(|k| (k, 1.0)).collect(),
            Src::Missing => Vec::new(),
        }
    }
}

/// `zunionInterDiffGenericCommand`.
fn zsetop_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    dst: Option<&Bytes>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let setnum = super::arg_i64(&args[numkeys_idx])?;
    if setnum < 1 {
        return Err(format!(
            "ERR at least 1 input key is needed for '{}' command",
            ctx.cmd.name
        )
        .into());
    }
    if setnum as u64 > (args.len() - numkeys_idx - 1) as u64 {
        return Err(err::SYNTAX.into());
    }
    let setnum = setnum as usize;
    let keys = &args[numkeys_idx + 1..numkeys_idx + 1 + setnum];
    let now = ctx.now;
    let objs = lookup_many(ctx.db(), keys, now);
    let mut srcs: Vec<(Src, f64)> = Vec::with_capacity(setnum);
    for o in &objs {
        srcs.push((
            match o {
                None => Src::Missing,
                Some(o) => match &o.value {
                    Value::ZSet(z) => Src::Z(z),
                    Value::Set(s) => Src::S(s),
                    _ => return Err(err::WRONGTYPE.into()),
                },
            },
            1.0,
        ));
    }
    let mut aggr = Aggr::Sum;
    let mut withscores = false;
    let mut limit = 0usize;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if op != SetOp::Diff && !card_only && remaining > setnum && eq_ignore_case(a, "weights") {
            j += 1;
            for src in srcs.iter_mut() {
                src.1 = score_arg(&args[j], "ERR weight value is not a float")?;
                j += 1;
            }
        } else if op != SetOp::Diff
            && !card_only
            && remaining >= 2
            && eq_ignore_case(a, "aggregate")
        {
            let v = &args[j + 1];
            aggr = if eq_ignore_case(v, "sum") {
                Aggr::Sum
            } else if eq_ignore_case(v, "min") {
                Aggr::Min
            } else if eq_ignore_case(v, "max") {
                Aggr::Max
            } else {
                return Err(err::SYNTAX.into());
            };
            j += 2;
        } else if dst.is_none() && !card_only && eq_ignore_case(a, "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && eq_ignore_case(a, "limit") {
            limit = match parse_i64(&args[j + 1]) {
                Some(n) if n >= 0 => n as usize,
                _ => return Err("ERR LIMIT can't be negative".into()),
            };
            j += 2;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let mut result = ZSet::new_skip();
    let mut card = 0usize;
    match op {
        SetOp::Inter => {
            crate::coldsort::sort_by_key(&mut srcs, |(s, _)| s.len());
            if srcs[0].0.len() > 0 {
                for (m, s0) in srcs[0].0.items() {
                    let mut score = srcs[0].1 * s0;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    let mut all = true;
                    for (src, w) in &srcs[1..] {
                        match src.find(&m) {
                            Some(v) => aggregate(&mut score, v * w, aggr),
                            None => {
                                all = false;
                                break;
                            }
                        }
                    }
                    if all {
                        card += 1;
                        if card_only {
                            if limit > 0 && card >= limit {
                                break;
                            }
                        } else {
                            result.insert(m.clone(), if score.is_nan() { 0.0 } else { score });
                        }
                    }
                }
            }
        }
        SetOp::Union => {
            crate::coldsort::sort_by_key(&mut srcs, |(s, _)| s.len());
            let mut acc: Dict<Bytes, f64> = Dict::new();
            for (src, w) in &srcs {
                for (m, s) in src.items() {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m[..]) {
                        Some(t) => aggregate(t, score, aggr),
                        None => {
                            acc.insert(m.clone(), score);
                        }
                    }
                }
            }
            for (m, s) in acc.iter() {
                result.insert(m.clone(), if s.is_nan() { 0.0 } else { *s });
            }
        }
        SetOp::Diff => {
            for (m, s) in srcs[0].0.items() {
                if !srcs[1..].iter().any(|(src, _)| src.find(&m).is_some()) {
                    result.insert(m.clone(), s);
                }
            }
        }
    }
    drop(srcs);
    drop(objs);
    if card_only {
        ctx.out().int(card as i64);
        return Ok(());
    }
    let items: Vec<(Bytes, f64)> = result
        .iter()
        .map(|(m, s)| (Bytes::copy_from_slice(m), s))
        .collect();
    match dst {
        Some(d) => store_result(ctx, d, items),
        None => reply_items(ctx.out(), &items, withscores),
    }
    Ok(())
}

fn zinterstore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zsetop_generic(ctx, args, Some(&args[1]), 2, SetOp::Inter, false)
}
fn zunion(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zsetop_generic(ctx, args, None, 1, SetOp::Union, false)
}
fn zdiff(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    zsetop_generic(ctx, args, None, 1, SetOp::Diff, false)
}

fn zrandmember(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let dbi = ctx.client.db;
    if args.len() == 2 {
        let srv = &mut *ctx.srv;
        let out = &mut ctx.client.reply;
        match zget(&mut srv.dbs[dbi], &args[1], now)? {
            Some(z) if !z.is_empty() => {
                let i = srv.rng.below(z.len() as u64) as usize;
                match z.iter().nth(i) {
                    Some((m, _)) => out.bulk(m),
                    None => out.null(),
                }
            }
            _ => out.null(),
        }
        return Ok(());
    }
    let (l, withscores) = super::random_count_args(args, Some("withscores"))?;
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let srv = &mut *ctx.srv;
    let out = &mut ctx.client.reply;
    let Some(z) = zget(&mut srv.dbs[dbi], &args[1], now)? else {
        out.array(0);
        return Ok(());
    };
    if count == 0 || z.is_empty() {
        out.array(0);
        return Ok(());
    }
    let size = z.len() as u64;
    let all: Vec<(&[u8], f64)> = z.iter().collect();
    let picked: Vec<(Bytes, f64)> = if !uniq || count == 1 {
        if count > super::MAX_RANDOM_REPEAT {
            return Err("ERR value is out of range".into());
        }
        (0..count)
            .map(|_| {
                let (m, s) = all[srv.rng.below(size) as usize];
                (Bytes::copy_from_slice(m), s)
            })
            .collect()
    } else if count >= size {
        all.iter()
            .map(|(m, s)| (Bytes::copy_from_slice(m), *s))
            .collect()
    } else {
        let mut cands = all;
        (0..count)
            .map(|_| {
                let (m, s) = cands.swap_remove(srv.rng.below(cands.len() as u64) as usize);
                (Bytes::copy_from_slice(m), s)
            })
            .collect()
    };
    reply_items(out, &picked, withscores);
    Ok(())
}

/// Redis 7.0's `d2string` (ZSCAN's scores): integral values within
/// ±LLONG_MAX/2 print as integers, everything else as `%.17g`.
pub(crate) fn d2string(v: f64) -> String {
    const LIM: f64 = (i64::MAX / 2) as f64;
    if v.is_finite() && v != 0.0 && (-LIM..=LIM).contains(&v) && (v as i64) as f64 == v {
        (v as i64).to_string()
    } else {
        format_double(v)
    }
}

fn zscan(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let cursor = scan::parse_cursor(&args[2])?;
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(o) = db.get(&args[1], now) else {
        scan::reply(out, 0, &[]);
        return Ok(());
    };
    let z = as_zset(o)?;
    let opts = ScanOpts::parse(&args[3..], false)?;
    let mut pairs: Vec<(Bytes, f64)> = Vec::new();
    let next = match z.dict() {
        // Each member counts once against COUNT (Redis counts the score too).
        Some(d) => scan::walk(d, cursor, opts.count, 1, |m, s| pairs.push((m.clone(), *s))),
        None => {
            pairs.extend(z.iter().map(|(m, s)| (Bytes::copy_from_slice(m), s)));
            0
        }
    };
    let mut items = Vec::with_capacity(pairs.len() * 2);
    for (m, s) in pairs {
        if opts.matches(&m) {
            items.push(m);
            items.push(Bytes::from(d2string(s)));
        }
    }
    scan::reply(out, next, &items);
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def("zadd", -4, WRITE | DENYOOM | FAST, (1, 1, 1), "sorted-set", "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", |ctx, args| zadd_generic(ctx, args, 0)),
    def("zincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), "sorted-set", "1.2.0", "Increment the score of a member in a sorted set", |ctx, args| zadd_generic(ctx, args, INCR)),
    def("zrem", -3, WRITE | FAST, (1, 1, 1), "sorted-set", "1.2.0", "Remove one or more members from a sorted set", zrem),
    def("zscore", 3, READONLY | FAST, (1, 1, 1), "sorted-set", "1.2.0", "Get the score associated with the given member in a sorted set", zscore),
    def("zmscore", -3, READONLY | FAST, (1, 1, 1), "sorted-set", "6.2.0", "Get the score associated with the given members in a sorted set", zmscore),
    def("zcard", 2, READONLY | FAST, (1, 1, 1), "sorted-set", "1.2.0", "Get the number of members in a sorted set", zcard),
    def("zcount", 4, READONLY | FAST, (1, 1, 1), "sorted-set", "2.0.0", "Count the members in a sorted set with scores within the given values", zcount),
    def("zlexcount", 4, READONLY | FAST, (1, 1, 1), "sorted-set", "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", zlexcount),
    def("zrank", 3, READONLY | FAST, (1, 1, 1), "sorted-set", "2.0.0", "Determine the index of a member in a sorted set", |ctx, args| rank_generic(ctx, args, false)),
    def("zrevrank", 3, READONLY | FAST, (1, 1, 1), "sorted-set", "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", |ctx, args| rank_generic(ctx, args, true)),
    def("zrange", -4, READONLY, (1, 1, 1), "sorted-set", "1.2.0", "Return a range of members in a sorted set", |ctx, args| zrange_generic(ctx, args, 1, false, RangeType::Auto, Dir::Auto)),
    def("zrangestore", -5, WRITE | DENYOOM, (1, 2, 1), "sorted-set", "6.2.0", "Store a range of members from sorted set into another key", zrangestore),
    def("zrevrange", -4, READONLY, (1, 1, 1), "sorted-set", "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", |ctx, args| zrange_generic(ctx, args, 1, false, RangeType::Rank, Dir::Rev)),
    def("zrangebyscore", -4, READONLY, (1, 1, 1), "sorted-set", "1.0.5", "Return a range of members in a sorted set, by score", zrangebyscore),
    def("zrevrangebyscore", -4, READONLY, (1, 1, 1), "sorted-set", "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", |ctx, args| zrange_generic(ctx, args, 1, false, RangeType::Score, Dir::Rev)),
    def("zrangebylex", -4, READONLY, (1, 1, 1), "sorted-set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range", zrangebylex),
    def("zrevrangebylex", -4, READONLY, (1, 1, 1), "sorted-set", "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", |ctx, args| zrange_generic(ctx, args, 1, false, RangeType::Lex, Dir::Rev)),
    def("zremrangebyrank", 4, WRITE, (1, 1, 1), "sorted-set", "2.0.0", "Remove all members in a sorted set within the given indexes", |ctx, args| zremrange_generic(ctx, args, RangeType::Rank)),
    def("zremrangebyscore", 4, WRITE, (1, 1, 1), "sorted-set", "1.2.0", "Remove all members in a sorted set within the given scores", zremrangebyscore),
    def("zremrangebylex", 4, WRITE, (1, 1, 1), "sorted-set", "2.8.9", "Remove all members in a sorted set between the given lexicographical range", |ctx, args| zremrange_generic(ctx, args, RangeType::Lex)),
    def("zpopmin", -2, WRITE | FAST, (1, 1, 1), "sorted-set", "5.0.0", "Remove and return members with the lowest scores in a sorted set", |ctx, args| zpop_generic(ctx, args, false)),
    def("zpopmax", -2, WRITE | FAST, (1, 1, 1), "sorted-set", "5.0.0", "Remove and return members with the highest scores in a sorted set", zpopmax),
    def("zunionstore", -4, WRITE | DENYOOM, (1, 1, 1), "sorted-set", "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", |ctx, args| zsetop_generic(ctx, args, Some(&args[1]), 2, SetOp::Union, false)),
    def("zinterstore", -4, WRITE | DENYOOM, (1, 1, 1), "sorted-set", "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", zinterstore),
    def("zdiffstore", -4, WRITE | DENYOOM, (1, 1, 1), "sorted-set", "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", |ctx, args| zsetop_generic(ctx, args, Some(&args[1]), 2, SetOp::Diff, false)),
    def("zunion", -3, READONLY, (0, 0, 0), "sorted-set", "6.2.0", "Add multiple sorted sets", zunion),
    def("zinter", -3, READONLY, (0, 0, 0), "sorted-set", "6.2.0", "Intersect multiple sorted sets", |ctx, args| zsetop_generic(ctx, args, None, 1, SetOp::Inter, false)),
    def("zdiff", -3, READONLY, (0, 0, 0), "sorted-set", "6.2.0", "Subtract multiple sorted sets", zdiff),
    def("zintercard", -3, READONLY, (0, 0, 0), "sorted-set", "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", |ctx, args| zsetop_generic(ctx, args, None, 1, SetOp::Inter, true)),
    def("zrandmember", -2, READONLY, (1, 1, 1), "sorted-set", "6.2.0", "Get one or multiple random elements from a sorted set", zrandmember),
    def("zscan", -3, READONLY, (1, 1, 1), "sorted-set", "2.8.0", "Incrementally iterate sorted sets elements and associated scores", zscan),
];

#[cfg(test)]
mod tests;
