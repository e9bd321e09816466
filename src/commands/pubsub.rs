//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.
//!
//! The server-wide registries are `srv.channels` / `srv.patterns` (name →
//! subscribed connections); each client keeps its own `channels` / `patterns`.
//! [`publish`] is the entry point other modules (Sentinel's event channels)
//! use to publish.

use super::{def, eq_ignore_case, flags::*, glob_match, CmdResult, CommandDef, Ctx, Error};
use crate::node::ConnId;
use crate::resp::ReplyBuf;
use crate::server::{Client, ServerState};
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};

/// The `subscribe` / `unsubscribe` style confirmation: `*3` (RESP2) or `>3` (RESP3).
fn confirm(out: &mut ReplyBuf, kind: &[u8], name: Option<&[u8]>, count: usize) {
    out.push(3);
    out.bulk(kind);
    match name {
        Some(n) => out.bulk(n),
        None => out.null(),
    }
    out.int(count as i64);
}

fn write_message(out: &mut ReplyBuf, channel: &[u8], message: &[u8]) {
    out.push(3);
    out.bulk(b"message");
    out.bulk(channel);
    out.bulk(message);
}

fn write_pmessage(out: &mut ReplyBuf, pattern: &[u8], channel: &[u8], message: &[u8]) {
    out.push(4);
    out.bulk(b"pmessage");
    out.bulk(pattern);
    out.bulk(channel);
    out.bulk(message);
}

/// Register `conn` in a server-wide registry.
fn reg_add(reg: &mut BTreeMap<Bytes, BTreeSet<ConnId>>, name: &Bytes, conn: ConnId) {
    reg.entry(name.clone()).or_default().insert(conn);
}

fn reg_remove(reg: &mut BTreeMap<Bytes, BTreeSet<ConnId>>, name: &[u8], conn: ConnId) {
    if let Some(s) = reg.get_mut(name) {
        s.remove(&conn);
        if s.is_empty() {
            reg.remove(name);
        }
    }
}

/// Drop every channel and pattern subscription of `c` without replying (RESET).
pub fn unsubscribe_all(srv: &mut ServerState, c: &mut Client) {
    for ch in std::mem::take(&mut c.channels) {
        reg_remove(&mut srv.channels, &ch, c.conn);
    }
    for p in std::mem::take(&mut c.patterns) {
        reg_remove(&mut srv.patterns, &p, c.conn);
    }
}

/// Deliver `message` on `channel` to one client, as `message` and `pmessage`
/// pushes (channel first, then each matching pattern in order). Returns how
/// many pushes were written.
fn deliver(
    srv: &ServerState,
    c: &mut Client,
    conn: ConnId,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let mut n = 0;
    if srv.channels.get(channel).is_some_and(|s| s.contains(&conn)) {
        write_message(&mut c.reply, channel, message);
        n += 1;
    }
    for (pat, subs) in &srv.patterns {
        if subs.contains(&conn) && glob_match(pat, channel, false) {
            write_pmessage(&mut c.reply, pat, channel, message);
            n += 1;
        }
    }
    n
}

/// Publish `message` on `channel` to every subscribed client in `clients`
/// (channel subscribers and matching pattern subscribers), in connection-id
/// order, and mark them for flushing. Returns the number of receivers, counted
/// as Redis does (a client subscribed to the channel and to a matching pattern
/// counts twice). Clients not in `clients` (such as the caller of a command
/// handler) are skipped and not counted.
pub fn publish(
    srv: &mut ServerState,
    clients: &mut BTreeMap<ConnId, Client>,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let mut targets: BTreeSet<ConnId> = BTreeSet::new();
    if let Some(s) = srv.channels.get(channel) {
        targets.extend(s.iter().copied());
    }
    for (pat, subs) in &srv.patterns {
        if glob_match(pat, channel, false) {
            targets.extend(subs.iter().copied());
        }
    }
    let mut receivers = 0;
    for conn in targets {
        if let Some(c) = clients.get_mut(&conn) {
            let n = deliver(srv, c, conn, channel, message);
            if n > 0 {
                receivers += n;
                srv.pending.insert(conn);
            }
        }
    }
    srv.stats.pubsub_messages += 1;
    receivers
}

fn subscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    for ch in &args[1..] {
        if ctx.client.channels.insert(ch.clone()) {
            reg_add(&mut ctx.srv.channels, ch, conn);
        }
        let n = ctx.client.subscription_count();
        confirm(&mut ctx.client.reply, b"subscribe", Some(ch), n);
    }
    Ok(())
}

fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    for p in &args[1..] {
        if ctx.client.patterns.insert(p.clone()) {
            reg_add(&mut ctx.srv.patterns, p, conn);
        }
        let n = ctx.client.subscription_count();
        confirm(&mut ctx.client.reply, b"psubscribe", Some(p), n);
    }
    Ok(())
}

fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    let names: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.client.channels.iter().cloned().collect()
    };
    if names.is_empty() {
        let n = ctx.client.subscription_count();
        confirm(&mut ctx.client.reply, b"unsubscribe", None, n);
        return Ok(());
    }
    for ch in &names {
        if ctx.client.channels.remove(ch) {
            reg_remove(&mut ctx.srv.channels, ch, conn);
        }
        let n = ctx.client.subscription_count();
        confirm(&mut ctx.client.reply, b"unsubscribe", Some(ch), n);
    }
    Ok(())
}

fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    let names: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.client.patterns.iter().cloned().collect()
    };
    if names.is_empty() {
        let n = ctx.client.subscription_count();
        confirm(&mut ctx.client.reply, b"punsubscribe", None, n);
        return Ok(());
    }
    for p in &names {
        if ctx.client.patterns.remove(p) {
            reg_remove(&mut ctx.srv.patterns, p, conn);
        }
        let n = ctx.client.subscription_count();
        confirm(&mut ctx.client.reply, b"punsubscribe", Some(p), n);
    }
    Ok(())
}

fn publish_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (channel, message) = (&args[1], &args[2]);
    // The publisher itself may be subscribed (RESP3): its pushes come before
    // the reply, as in Redis.
    let me = ctx.client.conn;
    let mut n = deliver(ctx.srv, ctx.client, me, channel, message);
    n += publish(ctx.srv, ctx.clients, channel, message);
    ctx.out().int(n as i64);
    // Redis 7.0 always feeds PUBLISH to replicas (forceCommandPropagation).
    ctx.propagate = super::Propagate::Replace(vec![args.to_vec()]);
    Ok(())
}

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

fn pubsub(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    // Subcommand arities as Redis 7.0 declares them.
    let arity: i32 = if eq_ignore_case(sub, "help") || eq_ignore_case(sub, "numpat") {
        2
    } else if ["channels", "numsub", "shardchannels", "shardnumsub"]
        .iter()
        .any(|n| eq_ignore_case(sub, n))
    {
        -2
    } else {
        return Err(super::unknown_subcommand(sub, "pubsub"));
    };
    if (arity > 0 && args.len() != arity as usize) || args.len() < arity.unsigned_abs() as usize {
        return Err(Error::from(format!(
            "ERR wrong number of arguments for 'pubsub|{}' command",
            super::lower(sub)
        )));
    }
    let out = &mut ctx.client.reply;
    if eq_ignore_case(sub, "help") {
        out.array(PUBSUB_HELP.len());
        for l in PUBSUB_HELP {
            out.simple(l);
        }
    } else if eq_ignore_case(sub, "channels") && args.len() <= 3 {
        let pat = args.get(2);
        let names: Vec<&Bytes> = ctx
            .srv
            .channels
            .keys()
            .filter(|ch| pat.is_none_or(|p| glob_match(p, ch, false)))
            .collect();
        out.array(names.len());
        for n in names {
            out.bulk(n);
        }
    } else if eq_ignore_case(sub, "numsub") {
        out.array((args.len() - 2) * 2);
        for ch in &args[2..] {
            out.bulk(ch);
            out.int(ctx.srv.channels.get(ch).map_or(0, |s| s.len()) as i64);
        }
    } else if eq_ignore_case(sub, "numpat") {
        out.int(ctx.srv.patterns.len() as i64);
    } else if eq_ignore_case(sub, "shardchannels") && args.len() <= 3 {
        // Shard channels (SSUBSCRIBE) are not implemented: none are active.
        out.array(0);
    } else if eq_ignore_case(sub, "shardnumsub") {
        out.array((args.len() - 2) * 2);
        for ch in &args[2..] {
            out.bulk(ch);
            out.int(0);
        }
    } else {
        return Err(Error::from(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(sub)
        )));
    }
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        "pubsub",
        "2.0.0",
        "Listen for messages published to the given channels",
        subscribe,
    ),
    def(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        "pubsub",
        "2.0.0",
        "Stop listening for messages posted to the given channels",
        unsubscribe,
    ),
    def(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        "pubsub",
        "2.0.0",
        "Listen for messages published to channels matching the given patterns",
        psubscribe,
    ),
    def(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
        (0, 0, 0),
        "pubsub",
        "2.0.0",
        "Stop listening for messages posted to channels matching the given patterns",
        punsubscribe,
    ),
    def(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | SENTINEL,
        (0, 0, 0),
        "pubsub",
        "2.0.0",
        "Post a message to a channel",
        publish_cmd,
    ),
    CommandDef {
        subcommands: &[
            "channels",
            "help",
            "numpat",
            "numsub",
            "shardchannels",
            "shardnumsub",
        ],
        ..def(
            "pubsub",
            -2,
            0,
            (0, 0, 0),
            "pubsub",
            "2.8.0",
            "A container for Pub/Sub commands",
            pubsub,
        )
    },
];
