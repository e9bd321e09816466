//! List commands, including the blocking BLPOP/BRPOP/BLMOVE.
//!
//! Blocking works by re-running: when the lists a blocking command waits on are
//! all empty, the handler records a [`Blocked`](crate::server::Blocked) on the client and writes no
//! reply; the server runs the same argv again when one of the keys is touched
//! and replies a null array when the deadline passes.

use super::blocking::{block_or_null, parse_timeout, retrying};
use super::{
    arg_i64, def, eq_ignore_case, err, flags::*, index_range, settle, settle_notify, CmdResult,
    CommandDef, Ctx, Error, Propagate,
};
use crate::keyspace::{Object, QuickList, Value};
use crate::node::Millis;
use crate::server::notify::class as N;
use bytes::Bytes;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    Left,
    Right,
}

impl End {
    fn parse(b: &[u8]) -> Result<End, Error> {
        if eq_ignore_case(b, "left") {
            Ok(End::Left)
        } else if eq_ignore_case(b, "right") {
            Ok(End::Right)
        } else {
            Err(err::SYNTAX.into())
        }
    }

    /// The keyspace events of a pop and a push at this end.
    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }

    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    fn pop_cmd(self) -> Bytes {
        Bytes::from_static(match self {
            End::Left => b"LPOP",
            End::Right => b"RPOP",
        })
    }
}

fn pop(l: &mut QuickList, end: End) -> Option<Bytes> {
    match end {
        End::Left => l.pop_front(),
        End::Right => l.pop_back(),
    }
}

fn push(l: &mut QuickList, end: End, v: &[u8]) {
    match end {
        End::Left => l.push_front(v),
        End::Right => l.push_back(v),
    }
}

/// The list at `key` for reading: `Ok(None)` if absent, WRONGTYPE if not a list.
fn read_list<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a QuickList>, Error> {
    match ctx.lookup(key) {
        None => Ok(None),
        Some(o) => crate::typed!(o, Value::List).map(Some),
    }
}

fn write_list<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut QuickList>, Error> {
    match ctx.lookup_mut(key) {
        None => Ok(None),
        Some(o) => crate::typed_mut!(o, Value::List).map(Some),
    }
}

/// Does `key` hold a non-empty list? WRONGTYPE if it holds something else.
fn has_elements(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Error> {
    Ok(read_list(ctx, key)?.is_some_and(|l| !l.is_empty()))
}

/// Whether `key` can serve a blocked pop: WRONGTYPE on a first call, but a
/// retry treats a key of another type as empty.
fn ready(ctx: &mut Ctx, key: &[u8], retry: bool) -> Result<bool, Error> {
    match has_elements(ctx, key) {
        Err(_) if retry => Ok(false),
        r => r,
    }
}

// ---------------------------------------------------------------- push

fn push_generic(ctx: &mut Ctx, args: &[Bytes], end: End, only_existing: bool) -> CmdResult {
    let key = &args[1];
    let limits = ctx.srv.encoding_limits;
    // The encoding is refreshed on the object in hand: a push never
    // empties the list, so `settle`'s second lookup of the key is not needed.
    let len = match ctx.lookup_mut(key) {
        Some(o) => {
            let l = crate::typed_mut!(o, Value::List)?;
            for v in &args[2..] {
                push(l, end, v);
            }
            let n = l.len();
            o.update_encoding_with(&limits);
            n
        }
        None if only_existing => {
            ctx.out().int(0);
            return Ok(());
        }
        None => {
            let mut l = QuickList::new();
            for v in &args[2..] {
                push(&mut l, end, v);
            }
            let n = l.len();
            let mut o = Object::new(Value::List(l));
            o.update_encoding_with(&limits);
            ctx.db().set(crate::keyspace::owned_key(key), o);
            n
        }
    };
    ctx.notify(N::LIST, end.push_event(), key);
    ctx.touch(key);
    ctx.dirty((args.len() - 2) as u64);
    ctx.out().int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------- pop

/// Pop up to `count` elements from `key` (which must hold a non-empty list).
fn pop_n(ctx: &mut Ctx, key: &Bytes, end: End, count: usize) -> Vec<Bytes> {
    let mut out = Vec::new();
    if let Ok(Some(l)) = write_list(ctx, key) {
        while out.len() < count {
            match pop(l, end) {
                Some(v) => out.push(v),
                None => break,
            }
        }
    }
    if out.is_empty() {
        settle(ctx, key);
    } else {
        settle_notify(ctx, key, N::LIST, end.pop_event());
    }
    ctx.dirty(out.len() as u64);
    out
}

fn pop_generic(ctx: &mut Ctx, args: &[Bytes], end: End) -> CmdResult {
    if args.len() > 3 {
        return Err(super::wrong_arity(ctx.cmd.name));
    }
    let count = args.get(2).map(|c| super::arg_pop_count(c)).transpose()?;
    let key = &args[1];
    match read_list(ctx, key)? {
        None => {
            if count.is_some() {
                ctx.out().null_array();
            } else {
                ctx.out().null();
            }
            return Ok(());
        }
        Some(l) if l.is_empty() => {
            ctx.out().null();
            return Ok(());
        }
        Some(_) => {}
    }
    match count {
        Some(0) => ctx.out().array(0),
        Some(n) => {
            let vals = pop_n(ctx, key, end, n as usize);
            let out = ctx.out();
            out.array(vals.len());
            for v in &vals {
                out.bulk(v);
            }
        }
        None => pop_one(ctx, key, end),
    }
    Ok(())
}

/// LPOP / RPOP without a count on a non-empty list: the element goes from
/// its node straight into the reply, and the key is looked up once more
/// only when the pop empties it (a pop never changes a list's encoding).
fn pop_one(ctx: &mut Ctx, key: &Bytes, end: End) {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let left = db.get_mut(key, now).and_then(|o| match &mut o.value {
        Value::List(l) => l
            .pop_with(end == End::Right, |v| out.bulk(v))
            .map(|()| l.len()),
        _ => None,
    });
    match left {
        Some(0) => settle_notify(ctx, key, N::LIST, end.pop_event()),
        Some(_) => {
            ctx.notify(N::LIST, end.pop_event(), key);
            ctx.touch(key);
        }
        None => {
            // pop_generic found a non-empty list: not reached.
            ctx.out().null();
            return;
        }
    }
    ctx.dirty(1);
}

// ---------------------------------------------------------------- reads

fn llen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = read_list(ctx, &args[1])?.map_or(0, |l| l.len());
    ctx.out().int(n as i64);
    Ok(())
}

fn lrange(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    // The elements go from the packed nodes straight into the reply, as
    // 7.0's addListRangeReply: no copy of each element first.
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let l = match db.get(&args[1], now) {
        None => None,
        Some(o) => Some(crate::typed!(o, Value::List)?),
    };
    match l.and_then(|l| index_range(start, end, l.len()).map(|r| (l, r))) {
        None => out.array(0),
        Some((l, (s, e))) => {
            out.array(e - s + 1);
            for v in l.iter_from(s).take(e - s + 1) {
                out.bulk(v);
            }
        }
    }
    Ok(())
}

/// A Redis list index (negative from the tail) as a position, if in range.
fn index_of(idx: i64, len: usize) -> Option<usize> {
    let i = if idx < 0 {
        (len as i64).checked_add(idx)?
    } else {
        idx
    };
    if i < 0 || i as u64 >= len as u64 {
        None
    } else {
        Some(i as usize)
    }
}

fn lindex(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let Some(l) = read_list(ctx, &args[1])? else {
        ctx.out().null();
        return Ok(());
    };
    let len = l.len();
    let idx = arg_i64(&args[2])?;
    let v = index_of(idx, len).and_then(|i| l.get(i).map(Bytes::copy_from_slice));
    match v {
        Some(v) => ctx.out().bulk(&v),
        None => ctx.out().null(),
    }
    Ok(())
}

fn lpos(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let opt = &args[j];
        if eq_ignore_case(opt, "rank") && more {
            rank = arg_i64(&args[j + 1])?;
            if rank == 0 {
                return Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into());
            }
        } else if eq_ignore_case(opt, "count") && more {
            count = Some(
                crate::resp::parse_i64(&args[j + 1])
                    .filter(|&n| n >= 0)
                    .ok_or(Error::from("ERR COUNT can't be negative"))?,
            );
        } else if eq_ignore_case(opt, "maxlen") && more {
            maxlen = crate::resp::parse_i64(&args[j + 1])
                .filter(|&n| n >= 0)
                .ok_or(Error::from("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 2;
    }
    let elem = &args[2];
    let mut found: Vec<i64> = Vec::new();
    if let Some(l) = read_list(ctx, &args[1])? {
        // Redis 7.0 negates RANK in a long; LONG_MIN stays negative and then
        // behaves as "from the tail, every match" (its COUNT check overflows).
        let from_tail = rank < 0;
        let (skip, limit) = if rank == i64::MIN {
            (0u64, 0u64)
        } else {
            (rank.unsigned_abs() - 1, count.unwrap_or(1) as u64)
        };
        let len = l.len();
        let mut matches = 0u64;
        let elems: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
            Box::new(l.iter_rev())
        } else {
            Box::new(l.iter())
        };
        for (scanned, e) in elems.enumerate() {
            if maxlen != 0 && scanned as i64 >= maxlen {
                break;
            }
            let i = if from_tail {
                len - 1 - scanned
            } else {
                scanned
            };
            if e == &elem[..] {
                matches += 1;
                if matches > skip {
                    found.push(i as i64);
                    if limit != 0 && found.len() as u64 >= limit {
                        break;
                    }
                }
            }
        }
    }
    let out = ctx.out();
    if count.is_some() {
        out.array(found.len());
        for i in found {
            out.int(i);
        }
    } else {
        match found.first() {
            Some(&i) => out.int(i),
            None => out.null(),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- writes

fn lset(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let len = match read_list(ctx, key)? {
        None => return Err(err::NO_SUCH_KEY.into()),
        Some(l) => l.len(),
    };
    let idx = arg_i64(&args[2])?;
    let i = index_of(idx, len).ok_or(Error::from(err::INDEX_OUT_OF_RANGE))?;
    if let Some(l) = write_list(ctx, key)? {
        l.set(i, &args[3]);
    }
    settle_notify(ctx, key, N::LIST, "lset");
    ctx.dirty(1);
    ctx.out().ok();
    Ok(())
}

fn lrem(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let count = arg_i64(&args[2])?;
    let key = &args[1];
    let elem = &args[3];
    let Some(l) = write_list(ctx, key)? else {
        ctx.out().int(0);
        return Ok(());
    };
    let limit = if count == 0 {
        u64::MAX
    } else {
        count.unsigned_abs()
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let removed = l.remove_matching(limit, count < 0, |e| e == &elem[..]) as u64;
    if removed > 0 {
        settle_notify(ctx, key, N::LIST, "lrem");
        ctx.dirty(removed);
    }
    ctx.out().int(removed as i64);
    Ok(())
}

fn ltrim(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let key = &args[1];
    let Some(l) = write_list(ctx, key)? else {
        ctx.out().ok();
        return Ok(());
    };
    let len = l.len();
    let removed = match index_range(start, end, len) {
        None => {
            l.clear();
            len
        }
        Some((s, e)) => l.keep_range(s, e),
    };
    settle_notify(ctx, key, N::LIST, "ltrim");
    ctx.dirty(removed as u64);
    ctx.out().ok();
    Ok(())
}

fn linsert(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let after = if eq_ignore_case(&args[2], "after") {
        true
    } else if eq_ignore_case(&args[2], "before") {
        false
    } else {
        return Err(err::SYNTAX.into());
    };
    let key = &args[1];
    let Some(l) = write_list(ctx, key)? else {
        ctx.out().int(0);
        return Ok(());
    };
    let Some(pos) = l.iter().position(|e| e == &args[3][..]) else {
        ctx.out().int(-1);
        return Ok(());
    };
    l.insert(if after { pos + 1 } else { pos }, &args[4]);
    let len = l.len();
    settle_notify(ctx, key, N::LIST, "linsert");
    ctx.dirty(1);
    ctx.out().int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------- move

/// LMOVE's work once the source is known to hold elements: checks the
/// destination's type, moves one element and replies it.
fn move_one(ctx: &mut Ctx, src: &Bytes, dst: &Bytes, from: End, to: End) -> CmdResult {
    read_list(ctx, dst)?;
    let v = match write_list(ctx, src)?.and_then(|l| pop(l, from)) {
        Some(v) => v,
        None => {
            ctx.out().null();
            return Ok(());
        }
    };
    match write_list(ctx, dst)? {
        Some(l) => push(l, to, &v),
        None => {
            let mut l = QuickList::new();
            l.push_back(&v);
            ctx.db()
                .set(crate::keyspace::owned_key(dst), Object::new(Value::List(l)));
        }
    }
    // 7.0's order: the push on the destination, then the pop (and a `del`).
    settle_notify(ctx, dst, N::LIST, to.push_event());
    settle_notify(ctx, src, N::LIST, from.pop_event());
    ctx.dirty(1);
    ctx.out().bulk(&v);
    Ok(())
}

fn lmove_generic(ctx: &mut Ctx, src: &Bytes, dst: &Bytes, from: End, to: End) -> CmdResult {
    if !has_elements(ctx, src)? {
        ctx.out().null();
        return Ok(());
    }
    move_one(ctx, src, dst, from, to)
}

fn lmove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let from = End::parse(&args[3])?;
    let to = End::parse(&args[4])?;
    lmove_generic(ctx, &args[1], &args[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    lmove_generic(ctx, &args[1], &args[2], End::Right, End::Left)
}

fn blmove_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    from: End,
    to: End,
    timeout: &Bytes,
    rewrite: Vec<Bytes>,
) -> CmdResult {
    let deadline = parse_timeout(timeout, ctx.now)?;
    let (src, dst) = (&args[1], &args[2]);
    let retry = retrying(ctx, &args[1..2]);
    if !ready(ctx, src, retry)? {
        block_or_null(ctx, args, vec![src.clone()], deadline, true);
        return Ok(());
    }
    move_one(ctx, src, dst, from, to)?;
    ctx.propagate = Propagate::Replace(vec![rewrite]);
    Ok(())
}

fn blmove(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let from = End::parse(&args[3])?;
    let to = End::parse(&args[4])?;
    let rewrite = vec![
        Bytes::from_static(b"LMOVE"),
        args[1].clone(),
        args[2].clone(),
        args[3].clone(),
        args[4].clone(),
    ];
    blmove_generic(ctx, args, from, to, &args[5], rewrite)
}

fn brpoplpush(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let rewrite = vec![
        Bytes::from_static(b"RPOPLPUSH"),
        args[1].clone(),
        args[2].clone(),
    ];
    blmove_generic(ctx, args, End::Right, End::Left, &args[3], rewrite)
}

// ---------------------------------------------------------------- blocking pops

fn bpop_generic(ctx: &mut Ctx, args: &[Bytes], end: End) -> CmdResult {
    let deadline = parse_timeout(&args[args.len() - 1], ctx.now)?;
    let keys = &args[1..args.len() - 1];
    let retry = retrying(ctx, keys);
    for key in keys {
        if ready(ctx, key, retry)? {
            let vals = pop_n(ctx, key, end, 1);
            let out = ctx.out();
            out.array(2);
            out.bulk(key);
            out.bulk(&vals[0]);
            ctx.propagate = Propagate::Replace(vec![vec![end.pop_cmd(), key.clone()]]);
            return Ok(());
        }
    }
    block_or_null(ctx, args, keys.to_vec(), deadline, false);
    Ok(())
}

/// LMPOP / BLMPOP from `numkeys_idx` on: numkeys key... LEFT|RIGHT [COUNT n].
fn mpop_generic(
    ctx: &mut Ctx,
    args: &[Bytes],
    numkeys_idx: usize,
    deadline: Option<Option<Millis>>,
) -> CmdResult {
    let numkeys = crate::resp::parse_i64(&args[numkeys_idx])
        .filter(|&n| n > 0)
        .ok_or(Error::from("ERR numkeys should be greater than 0"))?;
    let first = numkeys_idx + 1;
    let where_idx = (numkeys as u64).saturating_add(first as u64);
    if where_idx >= args.len() as u64 {
        return Err(err::SYNTAX.into());
    }
    let where_idx = where_idx as usize;
    let end = End::parse(&args[where_idx])?;
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if eq_ignore_case(&args[j], "count") && j + 1 < args.len() && count.is_none() {
            count = Some(
                crate::resp::parse_i64(&args[j + 1])
                    .filter(|&n| n > 0)
                    .ok_or(Error::from("ERR count should be greater than 0"))?,
            );
            j += 2;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let count = count.unwrap_or(1) as usize;
    let keys = &args[first..where_idx];
    let retry = deadline.is_some() && retrying(ctx, keys);
    for key in keys {
        if ready(ctx, key, retry)? {
            let vals = pop_n(ctx, key, end, count);
            let out = ctx.out();
            out.array(2);
            out.bulk(key);
            out.array(vals.len());
            for v in &vals {
                out.bulk(v);
            }
            ctx.propagate = Propagate::Replace(vec![vec![
                end.pop_cmd(),
                key.clone(),
                Bytes::from(vals.len().to_string()),
            ]]);
            return Ok(());
        }
    }
    match deadline {
        Some(d) => block_or_null(ctx, args, keys.to_vec(), d, false),
        None => ctx.out().null_array(),
    }
    Ok(())
}

fn blmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let deadline = parse_timeout(&args[1], ctx.now)?;
    mpop_generic(ctx, args, 2, Some(deadline))
}

// ---------------------------------------------------------------- table

pub static COMMANDS: &[CommandDef] = &[
    def("lpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), "list", "1.0.0", "Prepend one or multiple elements to a list", |ctx, args| push_generic(ctx, args, End::Left, false)),
    def("rpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), "list", "1.0.0", "Append one or multiple elements to a list", |ctx, args| push_generic(ctx, args, End::Right, false)),
    def("lpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), "list", "2.2.0", "Prepend an element to a list, only if the list exists", |ctx, args| push_generic(ctx, args, End::Left, true)),
    def("rpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), "list", "2.2.0", "Append an element to a list, only if the list exists", |ctx, args| push_generic(ctx, args, End::Right, true)),
    def("lpop", -2, WRITE | FAST, (1, 1, 1), "list", "1.0.0", "Remove and get the first elements in a list", |ctx, args| pop_generic(ctx, args, End::Left)),
    def("rpop", -2, WRITE | FAST, (1, 1, 1), "list", "1.0.0", "Remove and get the last elements in a list", |ctx, args| pop_generic(ctx, args, End::Right)),
    def("lrange", 4, READONLY, (1, 1, 1), "list", "1.0.0", "Get a range of elements from a list", lrange),
    def("llen", 2, READONLY | FAST, (1, 1, 1), "list", "1.0.0", "Get the length of a list", llen),
    def("lindex", 3, READONLY, (1, 1, 1), "list", "1.0.0", "Get an element from a list by its index", lindex),
    def("lset", 4, WRITE | DENYOOM, (1, 1, 1), "list", "1.0.0", "Set the value of an element in a list by its index", lset),
    def("lrem", 4, WRITE, (1, 1, 1), "list", "1.0.0", "Remove elements from a list", lrem),
    def("ltrim", 4, WRITE, (1, 1, 1), "list", "1.0.0", "Trim a list to the specified range", ltrim),
    def("linsert", 5, WRITE | DENYOOM, (1, 1, 1), "list", "2.2.0", "Insert an element before or after another element in a list", linsert),
    def("lpos", -3, READONLY, (1, 1, 1), "list", "6.0.6", "Return the index of matching elements on a list", lpos),
    def("lmove", 5, WRITE | DENYOOM, (1, 2, 1), "list", "6.2.0", "Pop an element from a list, push it to another list and return it", lmove),
    def("rpoplpush", 3, WRITE | DENYOOM, (1, 2, 1), "list", "1.2.0", "Remove the last element in a list, prepend it to another list and return it", rpoplpush),
    def("lmpop", -4, WRITE, (0, 0, 0), "list", "7.0.0", "Pop elements from a list", |ctx, args| mpop_generic(ctx, args, 1, None)),
    def("blpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), "list", "2.0.0", "Remove and get the first element in a list, or block until one is available", |ctx, args| bpop_generic(ctx, args, End::Left)),
    def("brpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), "list", "2.0.0", "Remove and get the last element in a list, or block until one is available", |ctx, args| bpop_generic(ctx, args, End::Right)),
    def("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), "list", "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", blmove),
    def("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), "list", "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", brpoplpush),
    def("blmpop", -5, WRITE | BLOCKING, (0, 0, 0), "list", "7.0.0", "Pop elements from a list, or block until one is available", blmpop),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{Kit, WRONGTYPE};
    use crate::resp::ReplyBuf;

    #[test]
    fn push_pop_range() {
        let mut t = Kit::new();
        let c = t.connect(1);
        assert_eq!(t.cmd(c, "rpush l a b c"), ":3\r\n");
        assert_eq!(t.cmd(c, "lpush l z"), ":4\r\n");
        assert_eq!(
            t.cmd(c, "lrange l 0 -1"),
            "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(t.cmd(c, "lrange l -100 1"), "*2\r\n$1\r\nz\r\n$1\r\na\r\n");
        assert_eq!(t.cmd(c, "lrange l 5 2"), "*0\r\n");
        assert_eq!(
            t.cmd(c, "lrange l x 1"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.cmd(c, "llen l"), ":4\r\n");
        assert_eq!(t.cmd(c, "llen nokey"), ":0\r\n");
        assert_eq!(t.cmd(c, "lpushx nokey a"), ":0\r\n");
        assert_eq!(t.cmd(c, "rpushx l d e"), ":6\r\n");
        assert_eq!(t.cmd(c, "lpop l"), "$1\r\nz\r\n");
        assert_eq!(t.cmd(c, "rpop l 2"), "*2\r\n$1\r\ne\r\n$1\r\nd\r\n");
        assert_eq!(t.cmd(c, "lpop l 0"), "*0\r\n");
        assert_eq!(
            t.cmd(c, "lpop l -1"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            t.cmd(c, "lpop l abc"),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            t.cmd(c, "lpop l 1 2"),
            "-ERR wrong number of arguments for 'lpop' command\r\n"
        );
        assert_eq!(t.cmd(c, "lpop nokey"), "$-1\r\n");
        assert_eq!(t.cmd(c, "lpop nokey 0"), "*-1\r\n");
        assert_eq!(
            t.cmd(c, "rpop l 10"),
            "*3\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"
        );
        assert_eq!(t.encoding("l"), "none", "emptied list is deleted");
        assert_eq!(t.cmd(c, "hset h f v"), ":1\r\n");
        assert_eq!(t.cmd(c, "lpush h a"), WRONGTYPE);
        assert_eq!(t.cmd(c, "lrange h 0 1"), WRONGTYPE);
        assert_eq!(t.cmd(c, "lpop h"), WRONGTYPE);
    }

    #[test]
    fn encodings() {
        let mut t = Kit::new();
        let c = t.connect(1);
        t.cmd(c, "rpush l a");
        // Redis 7.0: always a quicklist.
        assert_eq!(t.encoding("l"), "quicklist");
        let big = "x".repeat(65);
        t.cmd(c, &format!("rpush l {big}"));
        assert_eq!(t.encoding("l"), "quicklist");
        for i in 0..129 {
            t.cmd(c, &format!("rpush m {i}"));
        }
        assert_eq!(t.encoding("m"), "quicklist");
    }

    #[test]
    fn index_set_insert_rem_trim() {
        let mut t = Kit::new();
        let c = t.connect(1);
        t.cmd(c, "rpush l a b c a b c a");
        assert_eq!(t.cmd(c, "lindex l -1"), "$1\r\na\r\n");
        assert_eq!(t.cmd(c, "lindex l 100"), "$-1\r\n");
        assert_eq!(
            t.cmd(c, "lindex l x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(t.cmd(c, "lindex nokey x"), "$-1\r\n");
        assert_eq!(t.cmd(c, "lset nokey 0 x"), "-ERR no such key\r\n");
        assert_eq!(t.cmd(c, "lset l 100 x"), "-ERR index out of range\r\n");
        assert_eq!(t.cmd(c, "lset l -1 last"), "+OK\r\n");
        assert_eq!(t.cmd(c, "linsert l middle a x"), "-ERR syntax error\r\n");
        assert_eq!(t.cmd(c, "linsert l before zz x"), ":-1\r\n");
        assert_eq!(t.cmd(c, "linsert nokey before a x"), ":0\r\n");
        assert_eq!(t.cmd(c, "linsert l AFTER a x"), ":8\r\n");
        assert_eq!(t.cmd(c, "lrem l -1 a"), ":1\r\n");
        assert_eq!(t.cmd(c, "lrem l 0 b"), ":2\r\n");
        assert_eq!(
            t.cmd(c, "lrange l 0 -1"),
            "*5\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\nc\r\n$1\r\nc\r\n$4\r\nlast\r\n"
        );
        assert_eq!(t.cmd(c, "ltrim l 1 -2"), "+OK\r\n");
        assert_eq!(
            t.cmd(c, "lrange l 0 -1"),
            "*3\r\n$1\r\nx\r\n$1\r\nc\r\n$1\r\nc\r\n"
        );
        assert_eq!(t.cmd(c, "ltrim l 5 1"), "+OK\r\n");
        assert_eq!(t.cmd(c, "llen l"), ":0\r\n");
        assert_eq!(t.encoding("l"), "none");
    }

    #[test]
    fn lpos() {
        let mut t = Kit::new();
        let c = t.connect(1);
        t.cmd(c, "rpush l a b c a b c a");
        assert!(t
            .cmd(c, "lpos l a rank 0")
            .starts_with("-ERR RANK can't be zero"));
        assert_eq!(
            t.cmd(c, "lpos l a count -1"),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            t.cmd(c, "lpos l a maxlen x"),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(t.cmd(c, "lpos l a rank"), "-ERR syntax error\r\n");
        assert_eq!(t.cmd(c, "lpos l a"), ":0\r\n");
        assert_eq!(t.cmd(c, "lpos l a rank -1"), ":6\r\n");
        assert_eq!(t.cmd(c, "lpos l a rank 2"), ":3\r\n");
        assert_eq!(t.cmd(c, "lpos l a count 0"), "*3\r\n:0\r\n:3\r\n:6\r\n");
        assert_eq!(
            t.cmd(c, "lpos l a count 0 rank -1"),
            "*3\r\n:6\r\n:3\r\n:0\r\n"
        );
        assert_eq!(t.cmd(c, "lpos l a count 2 maxlen 3"), "*1\r\n:0\r\n");
        assert_eq!(t.cmd(c, "lpos l a rank -9223372036854775808"), ":6\r\n");
        assert_eq!(t.cmd(c, "lpos nokey a count 2"), "*0\r\n");
        assert_eq!(t.cmd(c, "lpos l z"), "$-1\r\n");
    }

    #[test]
    fn lmove_and_lmpop() {
        let mut t = Kit::new();
        let c = t.connect(1);
        t.cmd(c, "rpush l a b c");
        assert_eq!(t.cmd(c, "lmove l l left right"), "$1\r\na\r\n");
        assert_eq!(
            t.cmd(c, "lrange l 0 -1"),
            "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"
        );
        assert_eq!(t.cmd(c, "lmove l l2 up left"), "-ERR syntax error\r\n");
        assert_eq!(t.cmd(c, "rpoplpush l l2"), "$1\r\na\r\n");
        assert_eq!(t.cmd(c, "rpoplpush nokey l2"), "$-1\r\n");
        t.cmd(c, "hset h f v");
        assert_eq!(t.cmd(c, "rpoplpush l h"), WRONGTYPE);
        assert_eq!(t.cmd(c, "lmove nokey h left left"), "$-1\r\n");
        assert_eq!(
            t.cmd(c, "lmpop 0 l left"),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(t.cmd(c, "lmpop 2 l left"), "-ERR syntax error\r\n");
        assert_eq!(
            t.cmd(c, "lmpop 1 l left count 0"),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(
            t.cmd(c, "lmpop 1 l left count 1 count 2"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(t.cmd(c, "lmpop 1 nokey left"), "*-1\r\n");
        t.feed();
        assert_eq!(
            t.cmd(c, "lmpop 2 nokey l right count 5"),
            "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
        );
        assert_eq!(t.feed(), vec!["RPOP l 2"]);
    }

    #[test]
    fn timeout_errors() {
        let mut t = Kit::new();
        let c = t.connect(1);
        let nf = "-ERR timeout is not a float or out of range\r\n";
        let neg = "-ERR timeout is negative\r\n";
        assert_eq!(t.cmd(c, "blpop k abc"), nf);
        assert_eq!(t.cmd(c, "blpop k nan"), nf);
        assert_eq!(t.cmd(c, "blpop k -1"), neg);
        assert_eq!(t.cmd(c, "blpop k inf"), neg);
        assert_eq!(t.cmd(c, "blpop k 1e300"), neg);
        assert_eq!(t.cmd(c, "blmove a b up left 0"), "-ERR syntax error\r\n");
        assert_eq!(t.cmd(c, "blmpop x 1 l left"), nf);
        assert_eq!(
            t.cmd(c, "blmpop 0 0 l left"),
            "-ERR numkeys should be greater than 0\r\n"
        );
    }

    #[test]
    fn blocked_client_is_served_by_a_push() {
        let mut t = Kit::new();
        let a = t.connect(1);
        let b = t.connect(2);
        assert_eq!(t.cmd(a, "blpop k1 k2 0"), "");
        assert_eq!(t.cmd(b, "rpush k2 v1 v2"), ":2\r\n");
        assert_eq!(t.take(a), "*2\r\n$2\r\nk2\r\n$2\r\nv1\r\n");
        assert_eq!(t.feed(), vec!["rpush k2 v1 v2", "LPOP k2"]);
        // Served immediately when there is data: propagated as RPOP.
        assert_eq!(t.cmd(a, "brpop k2 0"), "*2\r\n$2\r\nk2\r\n$2\r\nv2\r\n");
        assert_eq!(t.feed(), vec!["RPOP k2"]);
        assert_eq!(t.encoding("k2"), "none");
    }

    #[test]
    fn blocked_clients_are_served_in_order_and_time_out() {
        let mut t = Kit::new();
        let a = t.connect(1);
        let b = t.connect(2);
        let c = t.connect(3);
        // b blocks first though its id is higher than a's.
        assert_eq!(t.cmd(b, "brpop k 0"), "");
        assert_eq!(t.cmd(a, "blpop k 0.5"), "");
        // A key of another type does not wake anyone with an error.
        assert_eq!(t.cmd(c, "hset k f v"), ":1\r\n");
        assert_eq!(t.take(a), "");
        assert_eq!(t.take(b), "");
        assert_eq!(t.cmd(c, "hdel k f"), ":1\r\n");
        assert_eq!(t.cmd(c, "rpush k x"), ":1\r\n");
        assert_eq!(t.take(b), "*2\r\n$1\r\nk\r\n$1\r\nx\r\n");
        assert_eq!(t.take(a), "");
        t.tick(600);
        assert_eq!(t.take(a), "*-1\r\n");
        assert_eq!(t.cmd(c, "rpush k y"), ":1\r\n");
        assert_eq!(t.take(a), "");
        // A pipelined command behind a blocking one runs once it is served.
        assert_eq!(
            t.raw(
                a,
                b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n"
            ),
            ""
        );
        assert_eq!(t.cmd(c, "lpush q z"), ":1\r\n");
        assert_eq!(t.take(a), "*2\r\n$1\r\nq\r\n$1\r\nz\r\n+PONG\r\n");
    }

    #[test]
    fn blmove_chain_and_propagation() {
        let mut t = Kit::new();
        let a = t.connect(1);
        let b = t.connect(2);
        let c = t.connect(3);
        assert_eq!(t.cmd(a, "blmove src dst right left 0"), "");
        assert_eq!(t.cmd(b, "blpop dst 0"), "");
        assert_eq!(t.cmd(c, "rpush src v"), ":1\r\n");
        assert_eq!(t.take(a), "$1\r\nv\r\n");
        assert_eq!(t.take(b), "*2\r\n$3\r\ndst\r\n$1\r\nv\r\n");
        assert_eq!(
            t.feed(),
            vec!["rpush src v", "LMOVE src dst right left", "LPOP dst"]
        );
        assert_eq!(t.cmd(a, "brpoplpush src dst 0"), "");
        assert_eq!(t.cmd(c, "lpush src w"), ":1\r\n");
        assert_eq!(t.take(a), "$1\r\nw\r\n");
        assert_eq!(t.feed(), vec!["lpush src w", "RPOPLPUSH src dst"]);
        assert_eq!(
            t.cmd(a, "blmpop 0 2 x dst right count 3"),
            "*2\r\n$3\r\ndst\r\n*1\r\n$1\r\nw\r\n"
        );
        assert_eq!(t.feed(), vec!["RPOP dst 1"]);
        assert_eq!(t.cmd(a, "brpoplpush src dst 0.1"), "");
        t.tick(200);
        assert_eq!(t.take(a), "*-1\r\n");
    }

    #[test]
    fn blocking_inside_exec_answers_at_once() {
        let mut t = Kit::new();
        let a = t.connect(1);
        t.client(a).in_exec = true;
        assert_eq!(t.cmd(a, "blpop k 0"), "*-1\r\n");
        assert_eq!(t.cmd(a, "blmpop 0 1 k left"), "*-1\r\n");
        assert_eq!(t.cmd(a, "blmove k d left left 0"), "$-1\r\n");
        t.client(a).reply = ReplyBuf::new(3);
        assert_eq!(t.cmd(a, "brpop k 0"), "_\r\n");
    }
}
