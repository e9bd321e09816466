//! Pub/sub: SUBSCRIBE, PUBLISH, PUBSUB, ...
//!
//! Minimal version written for the sentinel branch (publish + (P)SUBSCRIBE /
//! (P)UNSUBSCRIBE); the full family replaces it on merge.

use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use crate::node::ConnId;
use crate::server::{Client, ServerState};
use bytes::Bytes;
use std::collections::BTreeMap;

fn push_header(c: &mut Client, n: usize) {
    if c.reply.is_resp3() {
        c.reply.push(n);
    } else {
        c.reply.array(n);
    }
}

/// Deliver `message` on `channel` to every subscriber (channels and matching
/// patterns) among `clients`; returns how many received it.
pub fn publish(
    srv: &mut ServerState,
    clients: &mut BTreeMap<ConnId, Client>,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let mut receivers = 0;
    if let Some(subs) = srv.channels.get(channel) {
        for conn in subs {
            if let Some(c) = clients.get_mut(conn) {
                push_header(c, 3);
                c.reply.bulk(b"message");
                c.reply.bulk(channel);
                c.reply.bulk(message);
                srv.pending.insert(*conn);
                receivers += 1;
            }
        }
    }
    for (pat, subs) in &srv.patterns {
        if !super::glob_match(pat, channel, false) {
            continue;
        }
        for conn in subs {
            if let Some(c) = clients.get_mut(conn) {
                push_header(c, 4);
                c.reply.bulk(b"pmessage");
                c.reply.bulk(pat);
                c.reply.bulk(channel);
                c.reply.bulk(message);
                srv.pending.insert(*conn);
                receivers += 1;
            }
        }
    }
    srv.stats.pubsub_messages += 1;
    receivers
}

fn reply_sub(c: &mut Client, kind: &[u8], name: Option<&[u8]>) {
    push_header(c, 3);
    c.reply.bulk(kind);
    match name {
        Some(n) => c.reply.bulk(n),
        None => c.reply.null(),
    }
    let n = c.subscription_count() as i64;
    c.reply.int(n);
}

fn subscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    for ch in &args[1..] {
        if ctx.client.channels.insert(ch.clone()) {
            ctx.srv.channels.entry(ch.clone()).or_default().insert(conn);
        }
        reply_sub(ctx.client, b"subscribe", Some(ch));
    }
    Ok(())
}

fn psubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    for p in &args[1..] {
        if ctx.client.patterns.insert(p.clone()) {
            ctx.srv.patterns.entry(p.clone()).or_default().insert(conn);
        }
        reply_sub(ctx.client, b"psubscribe", Some(p));
    }
    Ok(())
}

fn unsub_common(ctx: &mut Ctx, args: &[Bytes], pattern: bool) -> CmdResult {
    let conn = ctx.client.conn;
    let kind: &[u8] = if pattern {
        b"punsubscribe"
    } else {
        b"unsubscribe"
    };
    let names: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else if pattern {
        ctx.client.patterns.iter().cloned().collect()
    } else {
        ctx.client.channels.iter().cloned().collect()
    };
    if names.is_empty() {
        reply_sub(ctx.client, kind, None);
        return Ok(());
    }
    for n in names {
        let (mine, global) = if pattern {
            (&mut ctx.client.patterns, &mut ctx.srv.patterns)
        } else {
            (&mut ctx.client.channels, &mut ctx.srv.channels)
        };
        if mine.remove(&n) {
            if let Some(s) = global.get_mut(&n) {
                s.remove(&conn);
                if s.is_empty() {
                    global.remove(&n);
                }
            }
        }
        reply_sub(ctx.client, kind, Some(&n));
    }
    Ok(())
}

fn unsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    unsub_common(ctx, args, false)
}

fn punsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    unsub_common(ctx, args, true)
}

fn publish_cmd(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = publish(ctx.srv, ctx.clients, &args[1], &args[2]);
    ctx.out().int(n as i64);
    Ok(())
}

pub const SUBSCRIBE: CommandDef = def(
    "subscribe",
    -2,
    PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
    (0, 0, 0),
    "pubsub",
    "2.0.0",
    "Listen for messages published to the given channels",
    subscribe,
);
pub const PSUBSCRIBE: CommandDef = def(
    "psubscribe",
    -2,
    PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
    (0, 0, 0),
    "pubsub",
    "2.0.0",
    "Listen for messages published to channels matching the given patterns",
    psubscribe,
);
pub const UNSUBSCRIBE: CommandDef = def(
    "unsubscribe",
    -1,
    PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
    (0, 0, 0),
    "pubsub",
    "2.0.0",
    "Stop listening for messages posted to the given channels",
    unsubscribe,
);
pub const PUNSUBSCRIBE: CommandDef = def(
    "punsubscribe",
    -1,
    PUBSUB | NOSCRIPT | LOADING | STALE | SENTINEL,
    (0, 0, 0),
    "pubsub",
    "2.0.0",
    "Stop listening for messages posted to channels matching the given patterns",
    punsubscribe,
);

pub static COMMANDS: &[CommandDef] = &[
    SUBSCRIBE,
    PSUBSCRIBE,
    UNSUBSCRIBE,
    PUNSUBSCRIBE,
    def(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE | SENTINEL,
        (0, 0, 0),
        "pubsub",
        "2.0.0",
        "Post a message to a channel",
        publish_cmd,
    ),
];
