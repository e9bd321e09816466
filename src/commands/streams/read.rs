//! XREAD and XREADGROUP (`xreadCommand`): serve what is there at once, or
//! block. A blocked client runs again when one of its keys changes; `$` is
//! rewritten to the ID it stood for when the client blocked, and `>` always
//! means "after the group's last delivered ID", as 7.0 serves them.

use super::groups::{consumer_argv, setid_argv, xclaim_argv};
use super::{parse_strict_id, propagate, reply_entry, reply_id, sget};
use crate::commands::blocking::retrying;
use crate::commands::{arg_i64, err, CmdResult, Ctx, Error};
use crate::keyspace::stream::{Consumer, Group, Pending};
use crate::keyspace::{Db, Stream, StreamId, Value};
use crate::resp::ReplyBuf;
use crate::server::client::Blocked;
use crate::server::notify::class as N;
use bytes::Bytes;

/// Entries a blocked read without COUNT gets at most (`XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// The key positions of XREAD / XREADGROUP: the first half of what follows STREAMS.
pub(crate) fn key_positions(argv: &[Bytes]) -> Vec<usize> {
    match argv
        .iter()
        .skip(1)
        .position(|a| a.eq_ignore_ascii_case(b"streams"))
    {
        Some(p) => {
            let first = p + 2;
            let n = (argv.len() - first) / 2;
            (first..first + n).collect()
        }
        None => Vec::new(),
    }
}

struct ReadArgs {
    block: Option<u64>,
    count: usize,
    streams_at: usize,
    group: Option<(Bytes, Bytes)>,
    noack: bool,
}

fn parse_args(args: &[Bytes], xreadgroup: bool, from_script: bool) -> Result<ReadArgs, Error> {
    let mut a = ReadArgs {
        block: None,
        count: 0,
        streams_at: 0,
        group: None,
        noack: false,
    };
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let o = &args[i][..];
        let is = |s: &str| o.eq_ignore_ascii_case(s.as_bytes());
        if is("block") && more > 0 {
            if from_script {
                // 7.0 keeps this error for scripts rather than the
                // generic non-blocking behaviour of MULTI.
                return Err(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(&args[0])
                )
                .into());
            }
            i += 1;
            let ms = crate::resp::parse_i64(&args[i])
                .ok_or(Error::from("ERR timeout is not an integer or out of range"))?;
            if ms < 0 {
                return Err(err::TIMEOUT_NEGATIVE.into());
            }
            a.block = Some(ms as u64);
        } else if is("count") && more > 0 {
            i += 1;
            a.count = arg_i64(&args[i])?.max(0) as usize;
        } else if is("streams") && more > 0 {
            a.streams_at = i + 1;
            if !(args.len() - a.streams_at).is_multiple_of(2) {
                return Err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.".into());
            }
            break;
        } else if is("group") && more >= 2 {
            if !xreadgroup {
                return Err(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
                        .into(),
                );
            }
            a.group = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 2;
        } else if is("noack") {
            if !xreadgroup {
                return Err(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
                        .into(),
                );
            }
            a.noack = true;
        } else {
            return Err(err::SYNTAX.into());
        }
        i += 1;
    }
    if a.streams_at == 0 {
        return Err(err::SYNTAX.into());
    }
    if xreadgroup && a.group.is_none() {
        return Err("ERR Missing GROUP option for XREADGROUP".into());
    }
    Ok(a)
}

pub(super) fn xread(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let xreadgroup = args[0].len() == 10;
    let from_script = ctx.client.conn == crate::scripting::SCRIPT_CONN;
    let a = parse_args(args, xreadgroup, from_script)?;
    let n = (args.len() - a.streams_at) / 2;
    let keys: Vec<Bytes> = args[a.streams_at..a.streams_at + n].to_vec();
    let retry = a.block.is_some() && retrying(ctx, &keys);
    let now = ctx.now;
    // Resolve the IDs (and check the groups) before serving anything.
    let mut ids = Vec::with_capacity(n);
    let mut present = Vec::with_capacity(n);
    for (i, key) in keys.iter().enumerate() {
        let idarg = &args[a.streams_at + n + i];
        let stream = match sget(ctx.db(), key, now) {
            Ok(s) => s,
            // A blocked XREADGROUP's key replaced by another type is gone
            // for it; a blocked XREAD waits on.
            Err(_) if retry && a.group.is_some() => {
                return Err("UNBLOCKED the stream key no longer exists".into());
            }
            Err(_) if retry => {
                ids.push(StreamId::MAX);
                present.push(false);
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some((g, _)) = &a.group {
            match stream {
                None if retry => {
                    return Err("UNBLOCKED the stream key no longer exists".into());
                }
                Some(s) if !s.groups.contains_key(g) && retry => {
                    return Err(
                        "NOGROUP the consumer group this client was blocked on no longer exists"
                            .into(),
                    );
                }
                Some(s) if s.groups.contains_key(g) => {}
                _ => {
                    return Err(format!(
                        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                        String::from_utf8_lossy(key),
                        String::from_utf8_lossy(g)
                    )
                    .into())
                }
            }
        }
        present.push(stream.is_some());
        let id = if &idarg[..] == b"$" {
            if xreadgroup {
                return Err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.".into());
            }
            stream.map_or(StreamId::MIN, |s| s.last_id)
        } else if &idarg[..] == b">" {
            if !xreadgroup {
                return Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.".into());
            }
            StreamId::MAX
        } else {
            parse_strict_id(idarg)?
        };
        ids.push(id);
    }
    let count = if retry && a.count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        a.count
    };
    let resp3 = ctx.client.reply.is_resp3();
    // The commands a group read propagates are built only for a taker.
    let wanted = ctx.srv.propagation_wanted();
    // One stream's part goes straight into the reply; several wait in
    // buffers of their own until they are counted.
    let direct = n == 1;
    let mut parts: Vec<Vec<u8>> = Vec::new();
    let mut served_any = false;
    let mut cmds = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if !present[i] {
            continue;
        }
        let mut own = ReplyBuf::new(if resp3 { 3 } else { 2 });
        let db = &mut ctx.srv.dbs[ctx.client.db];
        let out = if direct {
            &mut ctx.client.reply
        } else {
            &mut own
        };
        let part = Part {
            out,
            lead: direct,
            resp3,
        };
        let served = match &a.group {
            None => serve_plain(db, now, part, key, ids[i], count),
            Some((g, c)) => {
                let how = GroupRead {
                    count,
                    noack: a.noack,
                    wanted,
                };
                match serve_group(db, now, part, (key, g, c), ids[i], &how, &mut cmds) {
                    Some(created) => {
                        if created {
                            ctx.dirty(1);
                            ctx.notify(N::STREAM, "xgroup-createconsumer", key);
                        }
                        ctx.dirty(1);
                        true
                    }
                    None => false,
                }
            }
        };
        if served {
            served_any = true;
            if !direct {
                parts.push(own.take());
            }
        }
    }
    if !parts.is_empty() {
        let out = ctx.out();
        if resp3 {
            out.map(parts.len());
        } else {
            out.array(parts.len());
        }
        for p in parts {
            out.raw(&p);
        }
    }
    propagate(ctx, cmds);
    if served_any {
        return Ok(());
    }
    let Some(block) = a.block else {
        ctx.out().null_array();
        return Ok(());
    };
    if ctx.client.in_exec {
        ctx.out().null_array();
        return Ok(());
    }
    // Block: `$` becomes the ID it meant now, so later entries are served.
    let mut argv = args.to_vec();
    for (i, id) in ids.iter().enumerate() {
        if &args[a.streams_at + n + i][..] == b"$" {
            argv[a.streams_at + n + i] = id.to_bytes();
        }
    }
    ctx.client.blocked = Some(Blocked {
        argv,
        db: ctx.client.db,
        keys,
        deadline: (block > 0).then(|| now.saturating_add(block)),
    });
    Ok(())
}

/// Where one stream's part of the reply goes.
struct Part<'a> {
    out: &'a mut ReplyBuf,
    /// The part is the whole reply: it opens the one-element outer
    /// array (map in RESP3) itself, once it knows it is served.
    lead: bool,
    resp3: bool,
}

impl Part<'_> {
    /// Open the part of `key`, its outer header first if it leads.
    fn begin(&mut self, key: &[u8]) -> &mut ReplyBuf {
        if self.lead {
            if self.resp3 {
                self.out.map(1);
            } else {
                self.out.array(1);
            }
        }
        if !self.resp3 {
            self.out.array(2);
        }
        self.out.bulk(key);
        self.out
    }
}

/// XREAD of one stream: the entries after `gt`, if there are any (false
/// if there are none, nothing written).
fn serve_plain(
    db: &mut Db,
    now: u64,
    mut part: Part,
    key: &Bytes,
    gt: StreamId,
    count: usize,
) -> bool {
    let Ok(Some(s)) = sget(db, key, now) else {
        return false;
    };
    if s.length == 0 || s.last_valid_id() <= gt {
        return false;
    }
    let Some(start) = gt.incr() else {
        return false;
    };
    let limit = if count == 0 { usize::MAX } else { count };
    let picked: Vec<_> = s.range(start, StreamId::MAX).take(limit).collect();
    let out = part.begin(key);
    out.array(picked.len());
    for e in picked {
        reply_entry(out, e);
    }
    true
}

/// How an XREADGROUP reads each of its streams.
struct GroupRead {
    count: usize,
    noack: bool,
    /// Someone takes the propagated commands.
    wanted: bool,
}

/// XREADGROUP of one stream: the consumer's history (an explicit ID) or
/// new entries (`>`), which enter the PEL unless NOACK, with the commands
/// that propagates added to `cmds` (if wanted). None if nothing is served
/// (nothing written), else whether the consumer was created.
fn serve_group(
    db: &mut Db,
    now: u64,
    mut part: Part,
    (key, gname, cname): (&Bytes, &Bytes, &Bytes),
    gt: StreamId,
    how: &GroupRead,
    cmds: &mut Vec<Vec<Bytes>>,
) -> Option<bool> {
    let GroupRead {
        count,
        noack,
        wanted,
    } = *how;
    let history = gt != StreamId::MAX;
    // Taken for changing only once something is served.
    let mut w = db.get_for_write(key, now)?;
    let Value::Stream(s) = &w.get().value else {
        return None;
    };
    let g = s.groups.get(gname)?;
    if !history && (s.length == 0 || s.last_valid_id() <= g.last_id) {
        return None;
    }
    let Value::Stream(s) = &mut w.get_mut().value else {
        unreachable!("a stream above");
    };
    let mut created = false;
    // The group is changed while the stream's entries are read: the map
    // is moved out for that (a swap, not a removal by name).
    let mut groups = std::mem::take(&mut s.groups);
    let g = groups.get_mut(gname).expect("group checked");
    match g.consumers.get_mut(cname) {
        Some(c) => c.seen_time = now,
        None => {
            g.consumers.insert(
                cname.clone(),
                Consumer {
                    seen_time: now,
                    pel: Default::default(),
                },
            );
            created = true;
            if noack && wanted {
                cmds.push(consumer_argv(key, gname, cname));
            }
        }
    }
    let out = part.begin(key);
    if history {
        serve_history(
            s,
            g,
            cname,
            gt.incr().unwrap_or(StreamId::MAX),
            count,
            now,
            out,
        );
    } else {
        let names = (key, gname, cname);
        let cmds = wanted.then_some(cmds);
        serve_new(s, g, names, count, noack, now, out, cmds);
    }
    s.groups = groups;
    Some(created)
}

/// `streamReplyWithRangeFromConsumerPEL`.
fn serve_history(
    s: &Stream,
    g: &mut Group,
    cname: &Bytes,
    start: StreamId,
    count: usize,
    now: u64,
    out: &mut ReplyBuf,
) {
    let ids: Vec<StreamId> = g.consumers[cname]
        .pel
        .range(start..)
        .take(if count == 0 { usize::MAX } else { count })
        .copied()
        .collect();
    out.array(ids.len());
    for id in ids {
        match s.get(id) {
            Some(e) => {
                reply_entry(out, e);
                if let Some(p) = g.pel.get_mut(&id) {
                    p.delivery_time = now;
                    p.delivery_count += 1;
                }
            }
            None => {
                out.array(2);
                reply_id(out, id);
                out.null_array();
            }
        }
    }
}

/// `streamReplyWithRange` with a group: deliver entries after the group's
/// last ID, moving it, and record them as pending (propagated as XCLAIM
/// into `cmds`, if given).
#[allow(clippy::too_many_arguments)]
fn serve_new(
    s: &Stream,
    g: &mut Group,
    (key, gname, cname): (&Bytes, &Bytes, &Bytes),
    count: usize,
    noack: bool,
    now: u64,
    out: &mut ReplyBuf,
    mut cmds: Option<&mut Vec<Vec<Bytes>>>,
) {
    let Some(start) = g.last_id.incr() else {
        out.array(0);
        return;
    };
    let limit = if count == 0 { usize::MAX } else { count };
    let picked: Vec<_> = s.range(start, StreamId::MAX).take(limit).collect();
    let mut moved = false;
    out.array(picked.len());
    for e in picked {
        if s.advance_group(g, e.id) && noack {
            moved = true;
        }
        reply_entry(out, e);
        if !noack {
            let fresh = Pending {
                delivery_time: now,
                delivery_count: 1,
                consumer: cname.clone(),
            };
            if let Some(old) = g.pel.insert(e.id, fresh) {
                if let Some(c) = g.consumers.get_mut(&old.consumer) {
                    c.pel.remove(&e.id);
                }
            }
            g.consumers
                .get_mut(cname)
                .expect("consumer created")
                .pel
                .insert(e.id);
            if let Some(cmds) = cmds.as_deref_mut() {
                cmds.push(xclaim_argv(
                    key,
                    gname,
                    e.id.to_bytes(),
                    &g.pel[&e.id],
                    g.last_id,
                ));
            }
        }
    }
    if let Some(cmds) = cmds.filter(|_| moved) {
        cmds.push(setid_argv(key, gname, g));
    }
}
