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

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;

    #[test]
    fn ssubscribe_spublish_sunsubscribe() {
        let mut k = Kit::new();
        k.connect(1);
        k.connect(2);
        assert_eq!(
            k.cmd(1, "SSUBSCRIBE a b"),
            "*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\nb\r\n:2\r\n"
        );
        // A plain SUBSCRIBE of the same name is another namespace.
        assert_eq!(k.cmd(2, "PUBLISH a x"), ":0\r\n");
        assert_eq!(k.cmd(2, "SPUBLISH a hi"), ":1\r\n");
        assert_eq!(k.take(1), "*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$2\r\nhi\r\n");
        assert_eq!(
            k.cmd(2, "PUBSUB SHARDNUMSUB a z"),
            "*4\r\n$1\r\na\r\n:1\r\n$1\r\nz\r\n:0\r\n"
        );
        assert_eq!(
            k.cmd(2, "PUBSUB SHARDCHANNELS"),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            k.cmd(1, "SUNSUBSCRIBE a"),
            "*3\r\n$12\r\nsunsubscribe\r\n$1\r\na\r\n:1\r\n"
        );
        assert_eq!(
            k.cmd(1, "SUNSUBSCRIBE"),
            "*3\r\n$12\r\nsunsubscribe\r\n$1\r\nb\r\n:0\r\n"
        );
        assert_eq!(k.cmd(2, "SPUBLISH a hi"), ":0\r\n");
        // A closed subscriber leaves the registry.
        k.cmd(1, "SSUBSCRIBE c");
        k.close(1);
        assert_eq!(k.cmd(2, "PUBSUB SHARDNUMSUB c"), "*2\r\n$1\r\nc\r\n:0\r\n");
    }
}
