//! Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, and the
//! commands their effects propagate as (XCLAIM ... FORCE JUSTID LASTID,
//! XGROUP SETID ... ENTRIESREAD, XGROUP CREATECONSUMER), as 7.0 does.

use super::{
    check_write, parse_id, parse_range_end, parse_range_start, parse_strict_id, propagate,
    reply_entry, reply_id, sget, smut,
};
use crate::commands::container::{help, subcommand};
use crate::commands::{arg_i64, err, CmdResult, Ctx, Error};
use crate::keyspace::stream::{Consumer, Group, Pending, INVALID_ENTRIES_READ};
use crate::keyspace::{Object, StreamId, Value};
use crate::server::notify::class as N;
use bytes::Bytes;

fn b(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// `streamPropagateXCLAIM`.
pub(super) fn xclaim_argv(
    key: &Bytes,
    group: &Bytes,
    id: Bytes,
    p: &Pending,
    last: StreamId,
) -> Vec<Bytes> {
    vec![
        b("XCLAIM"),
        key.clone(),
        group.clone(),
        p.consumer.clone(),
        b("0"),
        id,
        b("TIME"),
        Bytes::from(p.delivery_time.to_string()),
        b("RETRYCOUNT"),
        Bytes::from(p.delivery_count.to_string()),
        b("FORCE"),
        b("JUSTID"),
        b("LASTID"),
        last.to_bytes(),
    ]
}

/// `streamPropagateGroupID`.
pub(super) fn setid_argv(key: &Bytes, group: &Bytes, g: &Group) -> Vec<Bytes> {
    vec![
        b("XGROUP"),
        b("SETID"),
        key.clone(),
        group.clone(),
        g.last_id.to_bytes(),
        b("ENTRIESREAD"),
        Bytes::from(g.entries_read.to_string()),
    ]
}

/// `streamPropagateConsumerCreation`.
pub(super) fn consumer_argv(key: &Bytes, group: &Bytes, consumer: &Bytes) -> Vec<Bytes> {
    vec![
        b("XGROUP"),
        b("CREATECONSUMER"),
        key.clone(),
        group.clone(),
        consumer.clone(),
    ]
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn nogroup(key: &[u8], group: &[u8]) -> Error {
    format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        text(key),
        text(group)
    )
    .into()
}

fn subcommand_syntax(sub: &[u8]) -> Error {
    format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
        text(sub)
    )
    .into()
}

const GROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

/// The group of a stream known to exist.
fn group_mut<'a>(ctx: &'a mut Ctx, key: &[u8], name: &[u8]) -> Option<&'a mut Group> {
    smut(ctx, key).groups.get_mut(name)
}

pub(super) fn xgroup(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "xgroup")?;
    if !matches!(
        sub.as_str(),
        "create" | "createconsumer" | "delconsumer" | "destroy" | "help" | "setid"
    ) {
        return Err(crate::commands::unknown_subcommand(&args[1], "xgroup"));
    }
    let argc = args.len();
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut exists = false;
    let mut has_group = false;
    if argc >= 4 {
        let create = sub == "create";
        let setid = sub == "setid";
        let mut i = 5;
        while i < argc {
            if create && args[i].eq_ignore_ascii_case(b"mkstream") {
                mkstream = true;
                i += 1;
            } else if (create || setid)
                && args[i].eq_ignore_ascii_case(b"entriesread")
                && i + 1 < argc
            {
                entries_read = arg_i64(&args[i + 1])?;
                if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                    return Err("ERR value for ENTRIESREAD must be positive or -1".into());
                }
                i += 2;
            } else {
                return Err(subcommand_syntax(&args[1]));
            }
        }
        exists = check_write(ctx, &args[2])?;
        if exists {
            let now = ctx.now;
            has_group =
                sget(ctx.db(), &args[2], now)?.is_some_and(|s| s.groups.contains_key(&args[3]));
        }
        if !mkstream {
            if !exists {
                return Err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.".into());
            }
            if !has_group && matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer") {
                return Err(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    text(&args[3]),
                    text(&args[2])
                )
                .into());
            }
        }
    }
    let key = args.get(2).cloned().unwrap_or_default();
    let gname = args.get(3).cloned().unwrap_or_default();
    match sub.as_str() {
        "help" if argc == 2 => help(ctx.out(), "XGROUP", GROUP_HELP),
        "create" if (5..=8).contains(&argc) => {
            let id = if &args[4][..] == b"$" {
                if exists {
                    let now = ctx.now;
                    sget(ctx.db(), &key, now)?.map_or(StreamId::MIN, |s| s.last_id)
                } else {
                    StreamId::MIN
                }
            } else {
                parse_strict_id(&args[4])?
            };
            if !exists {
                ctx.db()
                    .set(key.clone(), Object::new(Value::Stream(Box::default())));
                ctx.touch(&key);
            }
            let s = smut(ctx, &key);
            if s.groups.contains_key(&gname) {
                return Err("BUSYGROUP Consumer Group name already exists".into());
            }
            s.groups.insert(gname, Group::new(id, entries_read));
            ctx.out().ok();
            ctx.dirty(1);
            ctx.notify(N::STREAM, "xgroup-create", &key);
        }
        "setid" if argc == 5 || argc == 7 => {
            let id = if &args[4][..] == b"$" {
                smut(ctx, &key).last_id
            } else {
                parse_id(&args[4], 0)?
            };
            let g = group_mut(ctx, &key, &gname).expect("group checked");
            g.last_id = id;
            g.entries_read = entries_read;
            ctx.out().ok();
            ctx.dirty(1);
            ctx.notify(N::STREAM, "xgroup-setid", &key);
        }
        "destroy" if argc == 4 => {
            if has_group {
                smut(ctx, &key).groups.remove(&gname);
                ctx.out().int(1);
                ctx.dirty(1);
                ctx.notify(N::STREAM, "xgroup-destroy", &key);
                // Blocked XREADGROUP clients of this group get -NOGROUP
                // (WATCHers are not told, as in 7.0).
                ctx.ready(&key);
            } else {
                ctx.out().int(0);
            }
        }
        "createconsumer" if argc == 5 => {
            let now = ctx.now;
            let g = group_mut(ctx, &key, &gname).expect("group checked");
            let created = !g.consumers.contains_key(&args[4]);
            if created {
                g.consumers.insert(
                    args[4].clone(),
                    Consumer {
                        seen_time: now,
                        pel: Default::default(),
                    },
                );
                ctx.dirty(1);
                ctx.notify(N::STREAM, "xgroup-createconsumer", &key);
            }
            ctx.out().int(created as i64);
        }
        "delconsumer" if argc == 5 => {
            let g = group_mut(ctx, &key, &gname).expect("group checked");
            let mut pending = 0;
            if let Some(c) = g.consumers.remove(&args[4]) {
                pending = c.pel.len();
                for id in &c.pel {
                    g.pel.remove(id);
                }
                ctx.dirty(1);
                ctx.notify(N::STREAM, "xgroup-delconsumer", &key);
            }
            ctx.out().int(pending as i64);
        }
        _ => return Err(subcommand_syntax(&args[1])),
    }
    Ok(())
}

pub(super) fn xack(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // 7.0 changes the PEL without signalling the key (WATCH holds).
    ctx.signal_keys = false;
    let group = match ctx.lookup_mut(&args[1]).map(|o| &mut o.value) {
        Some(Value::Stream(s)) => s.groups.get_mut(&args[2]),
        Some(_) => return Err(crate::commands::wrongtype()),
        None => None,
    };
    // No key or group: nothing to acknowledge, whatever the IDs.
    let Some(g) = group else {
        ctx.out().int(0);
        return Ok(());
    };
    // All or nothing: every ID is checked before any is acknowledged.
    for a in &args[3..] {
        parse_strict_id(a)?;
    }
    let mut acked = 0;
    for a in &args[3..] {
        let id = parse_strict_id(a)?;
        acked += u64::from(g.remove_pending(id).is_some());
    }
    ctx.dirty(acked);
    ctx.out().int(acked as i64);
    Ok(())
}

pub(super) fn xpending(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let argc = args.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(err::SYNTAX.into());
    }
    let mut range = None;
    let mut minidle = 0i64;
    let mut consumer = None;
    if argc >= 6 {
        let mut at = 3;
        if args[3].eq_ignore_ascii_case(b"idle") {
            minidle = arg_i64(&args[4])?;
            if argc < 8 {
                return Err(err::SYNTAX.into());
            }
            at += 2;
        }
        let count = arg_i64(&args[at + 2])?.max(0) as usize;
        let start = parse_range_start(&args[at])?;
        let end = parse_range_end(&args[at + 1])?;
        if at + 3 < argc {
            consumer = Some(args[at + 3].clone());
        }
        range = Some((start, end, count));
    }
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let s = sget(db, &args[1], now)?;
    let Some(g) = s.and_then(|s| s.groups.get(&args[2])) else {
        return Err(nogroup(&args[1], &args[2]));
    };
    if justinfo {
        out.array(4);
        out.int(g.pel.len() as i64);
        match (g.pel.keys().next(), g.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                reply_id(out, first);
                reply_id(out, last);
                let with: Vec<_> = g
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                out.array(with.len());
                for (name, c) in with {
                    out.array(2);
                    out.bulk(name);
                    out.bulk(c.pel.len().to_string().as_bytes());
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    }
    let (start, end, count) = range.expect("range parsed");
    let ids: Vec<StreamId> = match &consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) if start <= end => c.pel.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None if start <= end => g.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let picked: Vec<(StreamId, &Pending)> = ids
        .into_iter()
        .map(|id| (id, &g.pel[&id]))
        .filter(|(_, p)| minidle == 0 || now as i64 - p.delivery_time as i64 >= minidle)
        .take(count)
        .collect();
    out.array(picked.len());
    for (id, p) in picked {
        out.array(4);
        reply_id(out, id);
        out.bulk(&p.consumer);
        out.int((now as i64 - p.delivery_time as i64).max(0));
        out.int(p.delivery_count as i64);
    }
    Ok(())
}

/// Make `name` a consumer of the group if it is not one (dirty, event).
fn ensure_consumer(g: &mut Group, name: &Bytes, now: u64) -> bool {
    match g.consumers.get_mut(name) {
        Some(c) => {
            c.seen_time = now;
            false
        }
        None => {
            g.consumers.insert(
                name.clone(),
                Consumer {
                    seen_time: now,
                    pel: Default::default(),
                },
            );
            true
        }
    }
}

pub(super) fn xclaim(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.signal_keys = false;
    let now = ctx.now;
    let has = sget(ctx.db(), &args[1], now)?.is_some_and(|s| s.groups.contains_key(&args[2]));
    if !has {
        return Err(nogroup(&args[1], &args[2]));
    }
    let minidle = crate::resp::parse_i64(&args[4])
        .ok_or(Error::from("ERR Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        match parse_strict_id(&args[j]) {
            Ok(id) => ids.push((id, args[j].clone())),
            Err(_) => break,
        }
        j += 1;
    }
    let (mut force, mut justid) = (false, false);
    let mut retrycount: i64 = -1;
    let mut deliverytime: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j][..];
        let is = |s: &str| opt.eq_ignore_ascii_case(s.as_bytes());
        let int_opt = |v: &[u8], what: &str| {
            crate::resp::parse_i64(v).ok_or_else(|| {
                Error::from(format!("ERR Invalid {what} option argument for XCLAIM"))
            })
        };
        if is("force") {
            force = true;
        } else if is("justid") {
            justid = true;
        } else if is("idle") && more > 0 {
            j += 1;
            deliverytime = now as i64 - int_opt(&args[j], "IDLE")?;
        } else if is("time") && more > 0 {
            j += 1;
            deliverytime = int_opt(&args[j], "TIME")?;
        } else if is("retrycount") && more > 0 {
            j += 1;
            retrycount = int_opt(&args[j], "RETRYCOUNT")?;
        } else if is("lastid") && more > 0 {
            j += 1;
            last_id = parse_strict_id(&args[j])?;
        } else {
            return Err(format!("ERR Unrecognized XCLAIM option '{}'", text(opt)).into());
        }
        j += 1;
    }
    if deliverytime != -1 {
        if deliverytime < 0 || deliverytime > now as i64 {
            deliverytime = now as i64;
        }
    } else {
        deliverytime = now as i64;
    }
    let (key, gname, cname) = (args[1].clone(), args[2].clone(), args[3].clone());
    let resp3 = ctx.client.reply.is_resp3();
    let mut body = crate::resp::ReplyBuf::new(if resp3 { 3 } else { 2 });
    let mut cmds = Vec::new();
    let mut claimed = 0;
    let mut dirty = 0;
    let mut created = false;
    let s = smut(ctx, &key);
    let mut g = s.groups.remove(&gname).expect("group checked");
    let mut propagate_last_id = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        propagate_last_id = true;
    }
    for (id, idarg) in ids {
        let exists = s.contains(id);
        if !exists {
            if let Some(p) = g.remove_pending(id) {
                cmds.push(xclaim_argv(&key, &gname, idarg, &p, g.last_id));
                propagate_last_id = false;
                dirty += 1;
            }
            continue;
        }
        let mut forced = false;
        if force && !g.pel.contains_key(&id) {
            g.pel.insert(
                id,
                Pending {
                    delivery_time: now,
                    delivery_count: 0,
                    consumer: Bytes::new(),
                },
            );
            forced = true;
        }
        let Some(p) = g.pel.get(&id) else {
            continue;
        };
        if !forced && minidle > 0 && (now as i64 - p.delivery_time as i64) < minidle {
            continue;
        }
        created |= ensure_consumer(&mut g, &cname, now);
        g.assign(id, &cname);
        let p = g.pel.get_mut(&id).expect("pending");
        p.delivery_time = deliverytime as u64;
        if retrycount >= 0 {
            p.delivery_count = retrycount as u64;
        } else if !justid {
            p.delivery_count += 1;
        }
        if justid {
            reply_id(&mut body, id);
        } else {
            reply_entry(&mut body, s.get(id).expect("entry exists"));
        }
        claimed += 1;
        cmds.push(xclaim_argv(&key, &gname, idarg, &g.pel[&id], g.last_id));
        propagate_last_id = false;
        dirty += 1;
    }
    if propagate_last_id {
        cmds.push(setid_argv(&key, &gname, &g));
        dirty += 1;
    }
    s.groups.insert(gname, g);
    if created {
        ctx.dirty(1);
        ctx.notify(N::STREAM, "xgroup-createconsumer", &key);
    }
    ctx.dirty(dirty);
    let out = ctx.out();
    out.array(claimed);
    out.raw(&body.take());
    propagate(ctx, cmds);
    Ok(())
}

pub(super) fn xautoclaim(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.signal_keys = false;
    let minidle = crate::resp::parse_i64(&args[4])
        .ok_or(Error::from(
            "ERR Invalid min-idle-time argument for XAUTOCLAIM",
        ))?
        .max(0);
    let start = parse_range_start(&args[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args[j].eq_ignore_ascii_case(b"count") && more > 0 {
            let max = i64::MAX / 16;
            count = crate::resp::parse_i64(&args[j + 1])
                .filter(|n| (1..=max).contains(n))
                .ok_or(Error::from("ERR COUNT must be > 0"))?;
            j += 1;
        } else if args[j].eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    let now = ctx.now;
    let has = sget(ctx.db(), &args[1], now)?.is_some_and(|s| s.groups.contains_key(&args[2]));
    if !has {
        return Err(nogroup(&args[1], &args[2]));
    }
    let (key, gname, cname) = (args[1].clone(), args[2].clone(), args[3].clone());
    let resp3 = ctx.client.reply.is_resp3();
    let mut body = crate::resp::ReplyBuf::new(if resp3 { 3 } else { 2 });
    let mut cmds = Vec::new();
    let mut deleted_ids = Vec::new();
    let (mut claimed, mut dirty, mut created) = (0, 0, false);
    let s = smut(ctx, &key);
    let mut g = s.groups.remove(&gname).expect("group checked");
    let mut attempts = count.saturating_mul(10);
    let mut cursor = Some(start);
    let mut next = StreamId::MIN;
    while let Some(from) = cursor {
        let Some((&id, _)) = g.pel.range(from..).next() else {
            cursor = None;
            break;
        };
        if attempts == 0 || count == 0 {
            next = id;
            break;
        }
        attempts -= 1;
        cursor = id.incr();
        if !s.contains(id) {
            if let Some(p) = g.remove_pending(id) {
                cmds.push(xclaim_argv(&key, &gname, id.to_bytes(), &p, g.last_id));
            }
            dirty += 1;
            deleted_ids.push(id);
            count -= 1;
            continue;
        }
        let p = &g.pel[&id];
        if minidle > 0 && (now as i64 - p.delivery_time as i64) < minidle {
            continue;
        }
        created |= ensure_consumer(&mut g, &cname, now);
        g.assign(id, &cname);
        let p = g.pel.get_mut(&id).expect("pending");
        p.delivery_time = now;
        if !justid {
            p.delivery_count += 1;
        }
        if justid {
            reply_id(&mut body, id);
        } else {
            reply_entry(&mut body, s.get(id).expect("entry exists"));
        }
        claimed += 1;
        count -= 1;
        cmds.push(xclaim_argv(
            &key,
            &gname,
            id.to_bytes(),
            &g.pel[&id],
            g.last_id,
        ));
        dirty += 1;
    }
    if cursor.is_none() {
        next = StreamId::MIN;
    }
    s.groups.insert(gname, g);
    if created {
        ctx.dirty(1);
        ctx.notify(N::STREAM, "xgroup-createconsumer", &key);
    }
    ctx.dirty(dirty);
    let out = ctx.out();
    out.array(3);
    reply_id(out, next);
    out.array(claimed);
    out.raw(&body.take());
    out.array(deleted_ids.len());
    for id in deleted_ids {
        reply_id(out, id);
    }
    propagate(ctx, cmds);
    Ok(())
}
