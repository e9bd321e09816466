//! XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP.

use super::{reply_entry, reply_id, sget};
use crate::commands::container::{help, subcommand, unknown_sub};
use crate::commands::{arg_i64, err, CmdResult, Ctx, Error};
use crate::keyspace::stream::rax_nodes;
use crate::keyspace::{Stream, StreamId};
use crate::resp::ReplyBuf;
use bytes::Bytes;

const SUBS: &[&str] = &["consumers", "groups", "help", "stream"];

fn syntax(sub: &[u8]) -> Error {
    format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
        String::from_utf8_lossy(sub)
    )
    .into()
}

pub(super) fn xinfo(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "xinfo")?;
    if !SUBS.contains(&sub.as_str()) {
        return Err(unknown_sub(&args[1], "xinfo"));
    }
    if sub == "help" {
        if args.len() != 2 {
            return Err(syntax(&args[1]));
        }
        help(
            ctx.out(),
            "XINFO",
            &[
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
            ],
        );
        return Ok(());
    }
    if args.len() < 3 {
        return Err(syntax(&args[1]));
    }
    let now = ctx.now;
    let (db, out) = ctx.db_out();
    let Some(s) = sget(db, &args[2], now)? else {
        return Err(err::NO_SUCH_KEY.into());
    };
    match sub.as_str() {
        "consumers" if args.len() == 4 => {
            let Some(g) = s.groups.get(&args[3]) else {
                return Err(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    String::from_utf8_lossy(&args[3]),
                    String::from_utf8_lossy(&args[2])
                )
                .into());
            };
            out.array(g.consumers.len());
            for (name, c) in &g.consumers {
                out.map(3);
                out.bulk(b"name");
                out.bulk(name);
                out.bulk(b"pending");
                out.int(c.pel.len() as i64);
                out.bulk(b"idle");
                out.int((now as i64 - c.seen_time as i64).max(0));
            }
        }
        "groups" if args.len() == 3 => {
            out.array(s.groups.len());
            for (name, g) in &s.groups {
                out.map(6);
                out.bulk(b"name");
                out.bulk(name);
                out.bulk(b"consumers");
                out.int(g.consumers.len() as i64);
                out.bulk(b"pending");
                out.int(g.pel.len() as i64);
                out.bulk(b"last-delivered-id");
                reply_id(out, g.last_id);
                out.bulk(b"entries-read");
                entries_read(out, g.entries_read);
                out.bulk(b"lag");
                opt_int(out, s.lag(g));
            }
        }
        "stream" => stream_info(out, s, &args[3..], &args[1])?,
        _ => return Err(syntax(&args[1])),
    }
    Ok(())
}

fn opt_int(out: &mut ReplyBuf, v: Option<i64>) {
    match v {
        Some(v) => out.int(v),
        None => out.null(),
    }
}

fn entries_read(out: &mut ReplyBuf, v: i64) {
    opt_int(
        out,
        (v != crate::keyspace::stream::INVALID_ENTRIES_READ).then_some(v),
    );
}

fn stream_info(out: &mut ReplyBuf, s: &Stream, opts: &[Bytes], sub: &[u8]) -> CmdResult {
    let mut full = false;
    let mut count: i64 = 10;
    if !opts.is_empty() {
        if (opts.len() != 1 && opts.len() != 3) || !opts[0].eq_ignore_ascii_case(b"full") {
            return Err(syntax(sub));
        }
        full = true;
        if opts.len() == 3 {
            if !opts[1].eq_ignore_ascii_case(b"count") {
                return Err(syntax(sub));
            }
            count = arg_i64(&opts[2])?;
            if count < 0 {
                count = 10;
            }
        }
    }
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.length as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.nodes.len() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int(rax_nodes(s.nodes.keys()) as i64);
    out.bulk(b"last-generated-id");
    reply_id(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply_id(out, s.max_deleted_entry_id);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply_id(out, s.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        out.bulk(b"first-entry");
        match s.range(StreamId::MIN, StreamId::MAX).next() {
            Some(e) => reply_entry(out, e),
            None => out.null(),
        }
        out.bulk(b"last-entry");
        match s.range(StreamId::MIN, StreamId::MAX).next_back() {
            Some(e) => reply_entry(out, e),
            None => out.null(),
        }
        return Ok(());
    }
    let limit = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    out.bulk(b"entries");
    let entries: Vec<_> = s.range(StreamId::MIN, StreamId::MAX).take(limit).collect();
    out.array(entries.len());
    for e in entries {
        reply_entry(out, e);
    }
    out.bulk(b"groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g.entries_read);
        out.bulk(b"lag");
        opt_int(out, s.lag(g));
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let pel: Vec<_> = g.pel.iter().take(limit).collect();
        out.array(pel.len());
        for (id, p) in pel {
            out.array(4);
            reply_id(out, *id);
            out.bulk(&p.consumer);
            out.int(p.delivery_time as i64);
            out.int(p.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let pel: Vec<_> = c.pel.iter().take(limit).collect();
            out.array(pel.len());
            for id in pel {
                let p = &g.pel[id];
                out.array(3);
                reply_id(out, *id);
                out.int(p.delivery_time as i64);
                out.int(p.delivery_count as i64);
            }
        }
    }
    Ok(())
}
