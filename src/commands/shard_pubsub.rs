//! Shard channels: SPUBLISH, SSUBSCRIBE, SUNSUBSCRIBE. Without cluster mode
//! every shard channel is local: a namespace of its own beside the plain
//! channels, its messages are `smessage`s and no pattern matches them.

use super::pubsub::{confirm, reg_add, reg_remove};
use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use crate::server::Client;
use bytes::Bytes;
use std::collections::BTreeSet;

fn write_smessage(c: &mut Client, channel: &[u8], message: &[u8]) {
    let out = c.push_out();
    out.push(3);
    out.bulk(b"smessage");
    out.bulk(channel);
    out.bulk(message);
}

fn spublish(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (channel, message) = (&args[1], &args[2]);
    let targets: BTreeSet<_> = ctx
        .srv
        .shard_channels
        .get(&channel[..])
        .cloned()
        .unwrap_or_default();
    let mut n = 0;
    for conn in targets {
        if conn == ctx.client.conn {
            write_smessage(ctx.client, channel, message);
            n += 1;
        } else if let Some(c) = ctx.clients.get_mut(&conn) {
            write_smessage(c, channel, message);
            ctx.srv.pending.insert(conn);
            n += 1;
        }
    }
    ctx.srv.stats.pubsub_messages += 1;
    ctx.out().int(n);
    ctx.propagate = super::Propagate::Replace(vec![args.to_vec()]);
    Ok(())
}

fn ssubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    for ch in &args[1..] {
        if ctx.client.shard_channels.insert(ch.clone()) {
            reg_add(&mut ctx.srv.shard_channels, ch, conn);
        }
        let n = ctx.client.shard_channels.len();
        confirm(ctx.client.push_out(), b"ssubscribe", Some(ch), n);
    }
    Ok(())
}

fn sunsubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let conn = ctx.client.conn;
    let names: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        ctx.client.shard_channels.iter().cloned().collect()
    };
    if names.is_empty() {
        confirm(ctx.client.push_out(), b"sunsubscribe", None, 0);
        return Ok(());
    }
    for ch in &names {
        if ctx.client.shard_channels.remove(ch) {
            reg_remove(&mut ctx.srv.shard_channels, ch, conn);
        }
        let n = ctx.client.shard_channels.len();
        confirm(ctx.client.push_out(), b"sunsubscribe", Some(ch), n);
    }
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        (0, 0, 0),
        "pubsub",
        "7.0.0",
        "Post a message to a shard channel",
        spublish,
    ),
    def(
        "ssubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "7.0.0",
        "Listen for messages published to the given shard channels",
        ssubscribe,
    ),
    def(
        "sunsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "7.0.0",
        "Stop listening for messages posted to the given shard channels",
        sunsubscribe,
    ),
];
