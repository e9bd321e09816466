//! Sharded pub/sub: SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH.
//!
//! Outside a cluster 7.0 serves them like SUBSCRIBE / PUBLISH over a namespace
//! of their own: `srv.shard_channels` (name → connections) and each client's
//! `shard_channels`, `smessage` pushes, no pattern matching, and the
//! subscription count in the confirmations counts shard channels only.

use super::pubsub::{confirm, reg_add, reg_remove};
use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use crate::resp::ReplyBuf;
use crate::server::{Client, ClientTable, ServerState};
use bytes::Bytes;

fn write_smessage(out: &mut ReplyBuf, channel: &[u8], message: &[u8]) {
    out.push(3);
    out.bulk(b"smessage");
    out.bulk(channel);
    out.bulk(message);
}

/// Deliver to every subscriber of the shard channel, the caller (`me`)
/// included; returns how many received it.
fn spublish_to(
    srv: &mut ServerState,
    me: &mut Client,
    clients: &mut ClientTable,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let Some(subs) = srv.shard_channels.get(channel) else {
        return 0;
    };
    let mut n = 0;
    for conn in subs.clone() {
        let c = if conn == me.conn {
            &mut *me
        } else if let Some(c) = clients.get_mut(&conn) {
            srv.pending.insert(conn);
            c
        } else {
            continue;
        };
        write_smessage(c.push_out(), channel, message);
        n += 1;
    }
    n
}

fn spublish(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let n = spublish_to(ctx.srv, ctx.client, ctx.clients, &args[1], &args[2]);
    ctx.srv.stats.pubsub_messages += 1;
    ctx.out().int(n as i64);
    // Without a cluster, 7.0 feeds SPUBLISH to replicas like PUBLISH.
    ctx.propagate = super::Propagate::Replace(vec![args.to_vec()]);
    Ok(())
}

fn ssubscribe(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    // MULTI denies blocking; subscribing needs a reply per message.
    if ctx.client.in_exec || ctx.client.multi.is_some() {
        return Err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client".into());
    }
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
        (1, 1, 1),
        "pubsub",
        "7.0.0",
        "Post a message to a shard channel",
        spublish,
    ),
    def(
        "ssubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (1, -1, 1),
        "pubsub",
        "7.0.0",
        "Listen for messages published to the given shard channels",
        ssubscribe,
    ),
    def(
        "sunsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (1, -1, 1),
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
    fn shard_channels_are_their_own_namespace() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "SSUBSCRIBE a b"),
            "*3\r\n$10\r\nssubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$10\r\nssubscribe\r\n$1\r\nb\r\n:2\r\n"
        );
        k.cmd(2, "SUBSCRIBE a");
        // Only the shard subscriber gets SPUBLISH, only the other PUBLISH.
        assert_eq!(k.cmd(3, "SPUBLISH a hi"), ":1\r\n");
        assert_eq!(k.take(1), "*3\r\n$8\r\nsmessage\r\n$1\r\na\r\n$2\r\nhi\r\n");
        assert_eq!(k.take(2), "");
        assert_eq!(k.cmd(3, "PUBLISH a x"), ":1\r\n");
        assert_eq!(k.take(1), "");
        assert_eq!(
            k.cmd(3, "PUBSUB SHARDCHANNELS"),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(k.cmd(3, "PUBSUB SHARDCHANNELS b*"), "*1\r\n$1\r\nb\r\n");
        assert_eq!(
            k.cmd(3, "PUBSUB SHARDNUMSUB a z"),
            "*4\r\n$1\r\na\r\n:1\r\n$1\r\nz\r\n:0\r\n"
        );
        assert_eq!(k.cmd(3, "PUBSUB CHANNELS"), "*1\r\n$1\r\na\r\n");
    }

    #[test]
    fn sunsubscribe_all_and_none() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "SUNSUBSCRIBE"),
            "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"
        );
        k.cmd(1, "SSUBSCRIBE a");
        // RESP2 subscriber context applies to shard subscriptions too.
        assert!(k.cmd(1, "GET x").starts_with("-ERR Can't execute 'get'"));
        assert_eq!(
            k.cmd(1, "SUNSUBSCRIBE"),
            "*3\r\n$12\r\nsunsubscribe\r\n$1\r\na\r\n:0\r\n"
        );
        assert_eq!(k.cmd(1, "GET x"), "$-1\r\n");
        assert!(k.srv.st.shard_channels.is_empty());
        k.cmd(1, "MULTI");
        k.cmd(1, "SSUBSCRIBE a");
        assert_eq!(
            k.cmd(1, "EXEC"),
            "*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
        );
    }

    #[test]
    fn spublish_is_propagated_and_a_closed_client_unsubscribed() {
        let mut k = Kit::new();
        k.cmd(1, "SSUBSCRIBE a");
        k.close(1);
        assert!(k.srv.st.shard_channels.is_empty());
        assert_eq!(k.cmd(2, "SPUBLISH a m"), ":0\r\n");
        assert_eq!(k.feed(), vec!["SPUBLISH a m"]);
    }
}
