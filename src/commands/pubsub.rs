//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.
//!
//! The server-wide registries are `srv.channels` / `srv.patterns` (name →
//! subscribed connections); each client keeps its own `channels` / `patterns`.
//! [`publish`] is the entry point other modules (Sentinel's event channels)
//! use to publish.

use super::{def, eq_ignore_case, flags::*, glob_match, CmdResult, CommandDef, Ctx, Error};
use crate::node::ConnId;
use crate::resp::ReplyBuf;
use crate::server::{Client, ClientTable, ServerState};
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};

/// The `subscribe` / `unsubscribe` style confirmation: `*3` (RESP2) or `>3` (RESP3).
pub(super) fn confirm(out: &mut ReplyBuf, kind: &[u8], name: Option<&[u8]>, count: usize) {
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
pub(super) fn reg_add(reg: &mut BTreeMap<Bytes, BTreeSet<ConnId>>, name: &Bytes, conn: ConnId) {
    reg.entry(name.clone()).or_default().insert(conn);
}

pub(super) fn reg_remove(reg: &mut BTreeMap<Bytes, BTreeSet<ConnId>>, name: &[u8], conn: ConnId) {
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
    for ch in std::mem::take(&mut c.shard_channels) {
        reg_remove(&mut srv.shard_channels, &ch, c.conn);
    }
}

/// Deliver `message` on `channel` to one client, as `message` and `pmessage`
/// pushes (channel first, then each matching pattern in order). Returns how
/// many pushes were written.
pub(crate) fn deliver(
    srv: &ServerState,
    c: &mut Client,
    conn: ConnId,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let mut n = 0;
    if srv.channels.get(channel).is_some_and(|s| s.contains(&conn)) {
        write_message(c.push_out(), channel, message);
        n += 1;
    }
    for (pat, subs) in &srv.patterns {
        if subs.contains(&conn) && glob_match(pat, channel, false) {
            write_pmessage(c.push_out(), pat, channel, message);
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
    clients: &mut ClientTable,
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
        confirm(ctx.client.push_out(), b"subscribe", Some(ch), n);
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
        confirm(ctx.client.push_out(), b"psubscribe", Some(p), n);
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
        confirm(ctx.client.push_out(), b"unsubscribe", None, n);
        return Ok(());
    }
    for ch in &names {
        if ctx.client.channels.remove(ch) {
            reg_remove(&mut ctx.srv.channels, ch, conn);
        }
        let n = ctx.client.subscription_count();
        confirm(ctx.client.push_out(), b"unsubscribe", Some(ch), n);
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
        confirm(ctx.client.push_out(), b"punsubscribe", None, n);
        return Ok(());
    }
    for p in &names {
        if ctx.client.patterns.remove(p) {
            reg_remove(&mut ctx.srv.patterns, p, conn);
        }
        let n = ctx.client.subscription_count();
        confirm(ctx.client.push_out(), b"punsubscribe", Some(p), n);
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
        let pat = args.get(2);
        let names: Vec<&Bytes> = ctx
            .srv
            .shard_channels
            .keys()
            .filter(|ch| pat.is_none_or(|p| glob_match(p, ch, false)))
            .collect();
        out.array(names.len());
        for n in names {
            out.bulk(n);
        }
    } else if eq_ignore_case(sub, "shardnumsub") {
        out.array((args.len() - 2) * 2);
        for ch in &args[2..] {
            out.bulk(ch);
            out.int(ctx.srv.shard_channels.get(ch).map_or(0, |s| s.len()) as i64);
        }
    } else {
        return Err(Error::from(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(sub)
        )));
    }
    Ok(())
}

/// Shared with the sentinel's command table.
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

/// Shared with the sentinel's command table.
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

/// Shared with the sentinel's command table.
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

/// Shared with the sentinel's command table.
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
    UNSUBSCRIBE,
    PSUBSCRIBE,
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

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;
    use crate::node::ConnId;

    fn sub(kind: &str, name: &str, n: usize, resp3: bool) -> String {
        format!(
            "{}3\r\n${}\r\n{}\r\n${}\r\n{}\r\n:{}\r\n",
            if resp3 { ">" } else { "*" },
            kind.len(),
            kind,
            name.len(),
            name,
            n
        )
    }

    #[test]
    fn subscribe_and_unsubscribe_resp2() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "SUBSCRIBE a b a"),
            sub("subscribe", "a", 1, false)
                + &sub("subscribe", "b", 2, false)
                + &sub("subscribe", "a", 2, false)
        );
        assert_eq!(k.cmd(1, "PSUBSCRIBE p*"), sub("psubscribe", "p*", 3, false));
        assert_eq!(
            k.cmd(1, "GET x"),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
        );
        assert_eq!(
            k.cmd(1, "ECHO x"),
            "-ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
        );
        assert_eq!(
            k.cmd(1, "UNSUBSCRIBE a z"),
            sub("unsubscribe", "a", 2, false) + &sub("unsubscribe", "z", 2, false)
        );
        assert_eq!(k.cmd(1, "UNSUBSCRIBE"), sub("unsubscribe", "b", 1, false));
        assert_eq!(
            k.cmd(1, "PUNSUBSCRIBE"),
            sub("punsubscribe", "p*", 0, false)
        );
        // Nothing left: a null name and a zero count.
        assert_eq!(
            k.cmd(1, "UNSUBSCRIBE"),
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(
            k.cmd(1, "PUNSUBSCRIBE"),
            "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(
            k.cmd(1, "SUBSCRIBE"),
            "-ERR wrong number of arguments for 'subscribe' command\r\n"
        );
        assert!(k.srv.st.channels.is_empty() && k.srv.st.patterns.is_empty());
        assert_eq!(k.cmd(1, "ECHO x"), "$1\r\nx\r\n");
    }

    #[test]
    fn silenced_replies_keep_pushes() {
        let mut k = Kit::new();
        k.cmd(1, "HELLO 3");
        assert_eq!(k.cmd(1, "CLIENT REPLY OFF"), "");
        assert_eq!(k.cmd(1, "SUBSCRIBE a"), sub("subscribe", "a", 1, true));
        assert_eq!(k.cmd(1, "ECHO x"), "");
        assert_eq!(
            k.cmd(1, "PUBLISH a hi"),
            ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
        );
        assert_eq!(k.cmd(1, "CLIENT REPLY ON"), "+OK\r\n");
        // SKIP silences the one command after it.
        assert_eq!(k.cmd(1, "CLIENT REPLY SKIP"), "");
        assert_eq!(k.cmd(1, "ECHO x"), "");
        assert_eq!(k.cmd(1, "ECHO y"), "$1\r\ny\r\n");
    }

    #[test]
    fn resp3_push_shapes() {
        let mut k = Kit::new();
        k.cmd(1, "HELLO 3");
        assert_eq!(
            k.cmd(1, "UNSUBSCRIBE"),
            ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"
        );
        assert_eq!(k.cmd(1, "SUBSCRIBE a"), sub("subscribe", "a", 1, true));
        assert_eq!(k.cmd(1, "PSUBSCRIBE a*"), sub("psubscribe", "a*", 2, true));
        // RESP3 clients may run anything while subscribed, including PUBLISH
        // to themselves: the pushes come before the reply.
        assert_eq!(
            k.cmd(1, "PUBLISH a hello"),
            ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nhello\r\n>4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$5\r\nhello\r\n:2\r\n"
        );
        assert_eq!(k.cmd(1, "ECHO x"), "$1\r\nx\r\n");
    }

    #[test]
    fn publish_delivers_to_others() {
        let mut k = Kit::new();
        k.cmd(1, "SUBSCRIBE news");
        k.cmd(2, "HELLO 3");
        k.cmd(2, "PSUBSCRIBE n* x*");
        k.cmd(3, "SUBSCRIBE other");
        assert_eq!(k.cmd(4, "PUBLISH news hi"), ":2\r\n");
        assert_eq!(
            k.take(1),
            "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            k.take(2),
            ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(k.take(3), "");
        assert_eq!(k.cmd(4, "PUBLISH zzz x"), ":0\r\n");
        // PUBLISH is always fed to replicas.
        assert_eq!(
            k.srv.st.propagated.last().map(|(_, a)| a[1].clone()),
            Some(bytes::Bytes::from_static(b"zzz"))
        );
        // A closed subscriber is forgotten.
        k.close(1);
        assert!(!k.srv.st.channels.contains_key(&b"news"[..]));
        assert_eq!(k.cmd(4, "PUBLISH news hi"), ":1\r\n");
        assert!(k.take(2).starts_with(">4\r\n$8\r\npmessage"));
    }

    #[test]
    fn publish_api_for_other_modules() {
        let mut k = Kit::new();
        k.cmd(1, "SUBSCRIBE __sentinel__:hello");
        k.cmd(2, "PSUBSCRIBE *");
        let srv = &mut k.srv;
        let n = super::publish(&mut srv.st, &mut srv.clients, b"__sentinel__:hello", b"m");
        assert_eq!(n, 2);
        assert!(srv.st.pending.contains(&ConnId(1)) && srv.st.pending.contains(&ConnId(2)));
        // The host gets the bytes at the next handle().
        k.tick(1);
        assert_eq!(
            k.take(1),
            "*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$1\r\nm\r\n"
        );
        assert_eq!(
            k.take(2),
            "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$18\r\n__sentinel__:hello\r\n$1\r\nm\r\n"
        );
    }

    #[test]
    fn pubsub_introspection() {
        let mut k = Kit::new();
        k.cmd(1, "SUBSCRIBE a b");
        k.cmd(2, "SUBSCRIBE a");
        k.cmd(2, "PSUBSCRIBE x* y*");
        k.cmd(3, "PSUBSCRIBE x*");
        assert_eq!(k.cmd(4, "PUBSUB CHANNELS"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        assert_eq!(k.cmd(4, "PUBSUB CHANNELS b*"), "*1\r\n$1\r\nb\r\n");
        assert_eq!(
            k.cmd(4, "PUBSUB NUMSUB a c"),
            "*4\r\n$1\r\na\r\n:2\r\n$1\r\nc\r\n:0\r\n"
        );
        assert_eq!(k.cmd(4, "PUBSUB NUMSUB"), "*0\r\n");
        assert_eq!(k.cmd(4, "PUBSUB NUMPAT"), ":2\r\n");
        assert_eq!(k.cmd(4, "PUBSUB SHARDCHANNELS"), "*0\r\n");
        assert_eq!(k.cmd(4, "PUBSUB SHARDNUMSUB a"), "*2\r\n$1\r\na\r\n:0\r\n");
        assert!(k.cmd(4, "PUBSUB HELP").starts_with(
            "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        ));
        assert_eq!(
            k.cmd(4, "PUBSUB HELP x"),
            "-ERR wrong number of arguments for 'pubsub|help' command\r\n"
        );
        assert_eq!(
            k.cmd(4, "PUBSUB NUMPAT x"),
            "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
        );
        assert_eq!(
            k.cmd(4, "PUBSUB CHANNELS x y"),
            "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\r\n"
        );
        assert_eq!(
            k.cmd(4, "PUBSUB foo"),
            "-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n"
        );
        assert_eq!(
            k.cmd(4, "PUBSUB"),
            "-ERR wrong number of arguments for 'pubsub' command\r\n"
        );
    }
}
