//! Stream commands, as 7.0's t_stream.c serves them: XADD, XRANGE,
//! XREVRANGE, XLEN, XDEL, XTRIM, XSETID here; reading (XREAD, XREADGROUP)
//! in `read.rs`, consumer groups (XGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM) in `groups.rs`, XINFO in `info.rs`. The type itself is
//! `keyspace::stream`.

mod groups;
mod info;
mod read;

use super::{
    arg_i64, def, err, flags::*, wrong_arity, CmdResult, CommandDef, Ctx, Error, Propagate,
};
use crate::keyspace::stream::{AppendError, NodeEntry, Trim};
use crate::keyspace::{Object, Stream, StreamId, Value};
use crate::resp::ReplyBuf;
use crate::server::client::ClientKind;
use crate::server::config::Key;
use crate::server::notify::class as N;
use bytes::Bytes;

pub(crate) use read::key_positions;

pub(super) const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// `string2ull` (strtoull's leniency beyond canonical decimals).
fn parse_u64(s: &[u8]) -> Option<u64> {
    let s = match s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        Some(i) => &s[i..],
        None => return None,
    };
    let (neg, digits) = match s.first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    // Negative numbers are out of range (string2ll catches them first).
    if neg && v != 0 {
        return None;
    }
    Some(v)
}

/// `<ms>` or `<ms>-<seq>` in plain digits, the form clients send: what
/// [`parse_id_full`] makes of it without its scans for the lenient forms.
/// None for anything else (the general parser decides).
fn parse_plain_id(b: &[u8], missing_seq: u64) -> Option<StreamId> {
    fn number(d: &[u8]) -> Option<u64> {
        if d.is_empty() || d.len() > 20 {
            return None;
        }
        let mut v: u64 = 0;
        for &c in d {
            let digit = c.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(digit))?;
        }
        Some(v)
    }
    match b.iter().position(|&c| c == b'-') {
        Some(i) => Some(StreamId::new(number(&b[..i])?, number(&b[i + 1..])?)),
        None => Some(StreamId::new(number(b)?, missing_seq)),
    }
}

/// `streamGenericParseIDOrReply`: `-`, `+`, `<ms>` (with `missing_seq`),
/// `<ms>-<seq>`, and with `star` the `<ms>-*` form (second field false).
fn parse_id_full(
    b: &[u8],
    missing_seq: u64,
    strict: bool,
    star: bool,
) -> Result<(StreamId, bool), Error> {
    if let Some(id) = parse_plain_id(b, missing_seq) {
        return Ok((id, true));
    }
    let invalid = || Error::from(INVALID_ID);
    if b.len() > 127 || b.contains(&0) {
        return Err(invalid());
    }
    if b == b"-" || b == b"+" {
        if strict {
            return Err(invalid());
        }
        return Ok((
            if b == b"-" {
                StreamId::MIN
            } else {
                StreamId::MAX
            },
            true,
        ));
    }
    let (ms, seq) = match b.iter().position(|&c| c == b'-') {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let ms = parse_u64(ms).ok_or_else(invalid)?;
    match seq {
        Some(b"*") if star => Ok((StreamId::new(ms, 0), false)),
        Some(s) => Ok((StreamId::new(ms, parse_u64(s).ok_or_else(invalid)?), true)),
        None => Ok((StreamId::new(ms, missing_seq), true)),
    }
}

/// An ID where `-` and `+` are accepted.
pub(super) fn parse_id(b: &[u8], missing_seq: u64) -> Result<StreamId, Error> {
    parse_id_full(b, missing_seq, false, false).map(|r| r.0)
}

/// An ID where `-` and `+` are refused.
pub(super) fn parse_strict_id(b: &[u8]) -> Result<StreamId, Error> {
    parse_id_full(b, 0, true, false).map(|r| r.0)
}

/// A range bound: `(id` is exclusive (`streamParseIntervalIDOrReply`).
fn parse_interval(b: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Error> {
    if b.len() > 1 && b[0] == b'(' {
        Ok((parse_id_full(&b[1..], missing_seq, true, false)?.0, true))
    } else {
        Ok((parse_id(b, missing_seq)?, false))
    }
}

/// The start of a range, an exclusive one moved to the next ID.
pub(super) fn parse_range_start(b: &[u8]) -> Result<StreamId, Error> {
    let (id, ex) = parse_interval(b, 0)?;
    if ex {
        return id
            .incr()
            .ok_or_else(|| Error::from("ERR invalid start ID for the interval"));
    }
    Ok(id)
}

/// The end of a range, an exclusive one moved to the previous ID.
pub(super) fn parse_range_end(b: &[u8]) -> Result<StreamId, Error> {
    let (id, ex) = parse_interval(b, u64::MAX)?;
    if ex {
        return id
            .decr()
            .ok_or_else(|| Error::from("ERR invalid end ID for the interval"));
    }
    Ok(id)
}

pub(super) fn reply_id(out: &mut ReplyBuf, id: StreamId) {
    id.with_text(|t| out.bulk(t));
}

/// One entry: `[id, [field, value, ...]]`.
pub(super) fn reply_entry(out: &mut ReplyBuf, e: &NodeEntry) {
    out.array(2);
    reply_id(out, e.id);
    out.array(e.fields.len());
    for f in &e.fields {
        out.bulk(f);
    }
}

/// The stream at `key` for reading: None if absent, WRONGTYPE for another type.
pub(super) fn sget<'a>(
    db: &'a mut crate::keyspace::Db,
    key: &[u8],
    now: u64,
) -> Result<Option<&'a Stream>, Error> {
    match db.get(key, now) {
        None => Ok(None),
        Some(o) => match &o.value {
            Value::Stream(s) => Ok(Some(s)),
            _ => Err(super::wrongtype()),
        },
    }
}

/// Whether `key` holds a stream (Some(true)), another type (error) or nothing.
pub(super) fn check_write(ctx: &mut Ctx, key: &[u8]) -> Result<bool, Error> {
    let now = ctx.now;
    match ctx.db().get(key, now) {
        None => Ok(false),
        Some(o) if matches!(o.value, Value::Stream(_)) => Ok(true),
        Some(_) => Err(super::wrongtype()),
    }
}

/// The stream at `key` for changing (its existence checked before).
pub(super) fn smut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> &'a mut Stream {
    let now = ctx.now;
    match ctx.db().get_mut(key, now).map(|o| &mut o.value) {
        Some(Value::Stream(s)) => s,
        _ => unreachable!("stream checked before"),
    }
}

/// Redis wraps the several commands one call propagates in MULTI / EXEC.
pub(super) fn propagate(ctx: &mut Ctx, cmds: Vec<Vec<Bytes>>) {
    ctx.propagate = if cmds.len() > 1 && !ctx.client.in_exec {
        let mut all = vec![vec![Bytes::from_static(b"MULTI")]];
        all.extend(cmds);
        all.push(vec![Bytes::from_static(b"EXEC")]);
        Propagate::Replace(all)
    } else if cmds.is_empty() {
        Propagate::Nothing
    } else {
        Propagate::Replace(cmds)
    };
}

/// The node limits of `stream-node-max-bytes` / `stream-node-max-entries`.
fn node_limits(ctx: &Ctx) -> (usize, u64) {
    let cfg = &ctx.srv.config;
    (
        cfg.get_i64(Key::STREAM_NODE_MAX_BYTES).max(0) as usize,
        cfg.get_i64(Key::STREAM_NODE_MAX_ENTRIES).max(0) as u64,
    )
}

/// XADD / XTRIM options (`streamAddTrimArgs`).
#[derive(Default)]
struct TrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: i64,
    /// Where the MAXLEN / MINID value is, for the propagated rewrite.
    arg_idx: usize,
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
}

const BOTH: &str = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

/// `streamParseAddOrTrimArgsOrReply`: the options and the ID's position.
fn parse_trim_args(ctx: &Ctx, args: &[Bytes], xadd: bool) -> Result<(TrimArgs, usize), Error> {
    let mut a = TrimArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    let argc = args.len();
    while i < argc {
        let more = argc - 1 - i;
        let opt = &args[i][..];
        let is = |s: &str| opt.eq_ignore_ascii_case(s.as_bytes());
        if xadd && opt == b"*" {
            break;
        } else if (is("maxlen") || is("minid")) && more > 0 {
            if a.trim.is_some() {
                return Err(BOTH.into());
            }
            let maxlen = is("maxlen");
            a.approx = false;
            let next = &args[i + 1][..];
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            if maxlen {
                let n = arg_i64(&args[i + 1])?;
                if n < 0 {
                    return Err("ERR The MAXLEN argument must be >= 0.".into());
                }
                a.trim = Some(Trim::MaxLen(n as u64));
            } else {
                a.trim = Some(Trim::MinId(parse_strict_id(&args[i + 1])?));
            }
            i += 1;
            a.arg_idx = i;
        } else if is("limit") && more > 0 {
            a.limit = arg_i64(&args[i + 1])?;
            if a.limit < 0 {
                return Err("ERR The LIMIT argument must be >= 0.".into());
            }
            limit_given = true;
            i += 1;
        } else if xadd && is("nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            a.id = Some(parse_id_full(opt, 0, true, true)?);
            break;
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 1;
    }
    if a.limit != 0 && a.trim.is_none() {
        return Err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy".into(),
        );
    }
    if !xadd && a.trim.is_none() {
        return Err("ERR syntax error, XTRIM must be called with a trimming strategy".into());
    }
    if ctx.client.kind == ClientKind::Master {
        // The master rewrote the argument: trim exactly as told.
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            return Err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option".into(),
            );
        }
    } else if a.approx {
        let entries = ctx.srv.config.get_i64(Key::STREAM_NODE_MAX_ENTRIES);
        a.limit = entries.saturating_mul(100);
        if a.limit <= 0 {
            a.limit = 10000;
        }
        a.limit = a.limit.min(1_000_000);
    } else {
        a.limit = 0;
    }
    Ok((a, i))
}

/// Trim per `a`; with `~` rewrite the propagated arguments, if they are
/// wanted, to the exact effect (`MAXLEN = <len>` / `MINID = <first id>`).
/// Returns the count removed.
fn apply_trim(ctx: &mut Ctx, key: &Bytes, a: &TrimArgs, argv: Option<&mut [Bytes]>) -> u64 {
    let Some(how) = a.trim else {
        return 0;
    };
    let s = smut(ctx, key);
    let deleted = s.trim(how, a.approx, a.limit as u64);
    if let Some(argv) = argv.filter(|_| a.approx) {
        argv[a.arg_idx - 1] = Bytes::from_static(b"=");
        argv[a.arg_idx] = match how {
            Trim::MaxLen(_) => Bytes::from(s.length.to_string()),
            Trim::MinId(_) => s.first_edge(false).to_bytes(),
        };
    }
    deleted
}

fn xadd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (a, idpos) = parse_trim_args(ctx, args, true)?;
    let field_pos = idpos + 1;
    if args.len() < field_pos + 2 || (args.len() - field_pos) % 2 == 1 {
        return Err(wrong_arity("xadd"));
    }
    if let Some((id, true)) = a.id {
        if id.is_zero() {
            return Err("ERR The ID specified in XADD must be greater than 0-0".into());
        }
    }
    let key = &args[1];
    let (max_bytes, max_entries) = node_limits(ctx);
    let now = ctx.now;
    let fields = &args[field_pos..];
    let append = |s: &mut Stream| {
        if s.last_id == StreamId::MAX {
            return Err(Error::from(
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            ));
        }
        s.append(fields, a.id, now, max_bytes, max_entries)
            .map_err(|e| match e {
                AppendError::NotGreater => Error::from(
                    "ERR The ID specified in XADD is equal or smaller than the target stream top item",
                ),
                AppendError::TooLarge => Error::from("ERR Elements are too large to be stored"),
            })
    };
    // One lookup for an existing stream (`streamTypeLookupWriteOrCreate`).
    let appended = match ctx.lookup_write(key) {
        Some(mut w) => {
            if !matches!(w.get().value, Value::Stream(_)) {
                return Err(super::wrongtype());
            }
            let Value::Stream(s) = &mut w.get_mut().value else {
                unreachable!("a stream above");
            };
            Some(append(s))
        }
        None => None,
    };
    let id = match appended {
        Some(r) => r?,
        None => {
            if a.no_mkstream {
                ctx.out().null();
                return Ok(());
            }
            ctx.db()
                .set(key.clone(), Object::new(Value::Stream(Box::default())));
            append(smut(ctx, key))?
        }
    };
    // Only what a replica or the AOF takes needs the rewritten arguments.
    let mut argv = ctx.srv.propagation_wanted().then(|| args.to_vec());
    id.with_text(|text| {
        ctx.client.reply.bulk(text);
        if let Some(argv) = argv.as_mut() {
            if !matches!(a.id, Some((_, true))) {
                argv[idpos] = Bytes::copy_from_slice(text);
            }
        }
    });
    ctx.touch(key);
    ctx.notify(N::STREAM, "xadd", key);
    ctx.dirty(1);
    if apply_trim(ctx, key, &a, argv.as_deref_mut()) > 0 {
        ctx.notify(N::STREAM, "xtrim", key);
    }
    ctx.propagate = match argv {
        Some(argv) => Propagate::Replace(vec![argv]),
        None => Propagate::Nothing,
    };
    Ok(())
}

fn xtrim(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (a, _) = parse_trim_args(ctx, args, false)?;
    let key = args[1].clone();
    if !check_write(ctx, &key)? {
        ctx.out().int(0);
        return Ok(());
    }
    let mut argv = args.to_vec();
    let deleted = apply_trim(ctx, &key, &a, Some(&mut argv));
    if deleted > 0 {
        ctx.notify(N::STREAM, "xtrim", &key);
        ctx.touch(&key);
        ctx.dirty(deleted);
        ctx.propagate = Propagate::Replace(vec![argv]);
    }
    ctx.out().int(deleted as i64);
    Ok(())
}

fn xrange_generic(ctx: &mut Ctx, args: &[Bytes], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let start = parse_range_start(start_arg)?;
    let end = parse_range_end(end_arg)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < args.len() {
        if args[j].eq_ignore_ascii_case(b"count") && j + 1 < args.len() {
            count = arg_i64(&args[j + 1])?.max(0);
            j += 2;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(s) = sget(db, &args[1], now)? else {
        out.array(0);
        return Ok(());
    };
    if count == 0 {
        out.null_array();
        return Ok(());
    }
    let limit = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    let picked: Vec<&NodeEntry> = if rev {
        s.range(start, end).rev().take(limit).collect()
    } else {
        s.range(start, end).take(limit).collect()
    };
    out.array(picked.len());
    for e in picked {
        reply_entry(out, e);
    }
    Ok(())
}

fn xlen(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let n = sget(db, &args[1], now)?.map_or(0, |s| s.length);
    out.int(n as i64);
    Ok(())
}

fn xdel(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let key = args[1].clone();
    if !check_write(ctx, &key)? {
        ctx.out().int(0);
        return Ok(());
    }
    let ids = args[2..]
        .iter()
        .map(|a| parse_strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = smut(ctx, &key).delete_ids(&ids);
    if deleted > 0 {
        ctx.touch(&key);
        ctx.notify(N::STREAM, "xdel", &key);
        ctx.dirty(deleted);
    }
    ctx.out().int(deleted as i64);
    Ok(())
}

fn xsetid(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // 7.0 does not signal the key (WATCH holds).
    ctx.signal_keys = false;
    let id = parse_strict_id(&args[2])?;
    let mut entries_added: i64 = -1;
    let mut max_xdel = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args[i].eq_ignore_ascii_case(b"entriesadded") && more > 0 {
            entries_added = arg_i64(&args[i + 1])?;
            if entries_added < 0 {
                return Err("ERR entries_added must be positive".into());
            }
            i += 2;
        } else if args[i].eq_ignore_ascii_case(b"maxdeletedid") && more > 0 {
            max_xdel = parse_strict_id(&args[i + 1])?;
            if id < max_xdel {
                return Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id".into());
            }
            i += 2;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let key = args[1].clone();
    if !check_write(ctx, &key)? {
        return Err(err::NO_SUCH_KEY.into());
    }
    let s = smut(ctx, &key);
    if s.length > 0 {
        if id < s.last_valid_id() {
            return Err(
                "ERR The ID specified in XSETID is smaller than the target stream top item".into(),
            );
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            return Err("ERR The entries_added specified in XSETID is smaller than the target stream length".into());
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel.is_zero() {
        s.max_deleted_entry_id = max_xdel;
    }
    ctx.out().ok();
    ctx.dirty(1);
    ctx.notify(N::STREAM, "xsetid", &key);
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def("xadd", -5, WRITE | DENYOOM | FAST, (1, 1, 1), "stream", "5.0.0", "Appends a new entry to a stream", xadd),
    def("xrange", -4, READONLY, (1, 1, 1), "stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval", |ctx, args| xrange_generic(ctx, args, false)),
    def("xrevrange", -4, READONLY, (1, 1, 1), "stream", "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", |ctx, args| xrange_generic(ctx, args, true)),
    def("xlen", 2, READONLY | FAST, (1, 1, 1), "stream", "5.0.0", "Return the number of entries in a stream", xlen),
    def("xdel", -3, WRITE | FAST, (1, 1, 1), "stream", "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", xdel),
    def("xtrim", -4, WRITE, (1, 1, 1), "stream", "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size", xtrim),
    def("xsetid", -3, WRITE | DENYOOM | FAST, (1, 1, 1), "stream", "5.0.0", "An internal command for replicating stream values", xsetid),
    def("xread", -4, READONLY | BLOCKING | MOVABLE_KEYS, (0, 0, 0), "stream", "5.0.0", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", read::xread),
    def("xreadgroup", -7, WRITE | BLOCKING | MOVABLE_KEYS, (0, 0, 0), "stream", "5.0.0", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", read::xread),
    def("xack", -4, WRITE | FAST, (1, 1, 1), "stream", "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", groups::xack),
    def("xpending", -3, READONLY, (1, 1, 1), "stream", "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", groups::xpending),
    def("xclaim", -6, WRITE | FAST, (1, 1, 1), "stream", "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", groups::xclaim),
    def("xautoclaim", -6, WRITE | FAST, (1, 1, 1), "stream", "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", groups::xautoclaim),
    CommandDef {
        // In 7.0's order (its subcommand dict's).
        subcommands: &["create", "setid", "help", "delconsumer", "createconsumer", "destroy"],
        ..def("xgroup", -2, 0, (0, 0, 0), "stream", "5.0.0", "A container for consumer groups commands", groups::xgroup)
    },
    CommandDef {
        subcommands: &["stream", "consumers", "help", "groups"],
        ..def("xinfo", -2, 0, (0, 0, 0), "stream", "5.0.0", "A container for stream introspection commands", info::xinfo)
    },
];

#[cfg(test)]
mod tests;
