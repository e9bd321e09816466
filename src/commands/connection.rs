//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET.

use super::{def, err, flags::*, CmdResult, CommandDef, Ctx, Error};
use bytes::Bytes;

fn ping(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        return Err(super::wrong_arity("ping"));
    }
    let resp2_pubsub = ctx.client.reply.resp == 2 && ctx.client.in_pubsub();
    let out = ctx.out();
    if resp2_pubsub {
        // In RESP2 pub/sub context PING answers with a "pong" message array.
        out.array(2);
        out.bulk(b"pong");
        out.bulk(args.get(1).map(|b| &b[..]).unwrap_or(b""));
    } else if let Some(msg) = args.get(1) {
        out.bulk(msg);
    } else {
        out.simple("PONG");
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    ctx.out().bulk(&args[1]);
    Ok(())
}

fn select(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let idx = crate::resp::parse_i64(&args[1]).ok_or(Error::from(err::NOT_INTEGER))?;
    if idx < 0 || idx as usize >= ctx.srv.dbs.len() {
        return Err(err::DB_INDEX.into());
    }
    ctx.client.db = idx as usize;
    ctx.out().ok();
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    ctx.out().ok();
    ctx.client.close_after_reply = true;
    Ok(())
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "ping",
        -1,
        FAST | SENTINEL,
        (0, 0, 0),
        "connection",
        "1.0.0",
        "Ping the server",
        ping,
    ),
    def(
        "echo",
        2,
        FAST,
        (0, 0, 0),
        "connection",
        "1.0.0",
        "Echo the given string",
        echo,
    ),
    def(
        "select",
        2,
        LOADING | STALE | FAST,
        (0, 0, 0),
        "connection",
        "1.0.0",
        "Change the selected database for the current connection",
        select,
    ),
    def(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        (0, 0, 0),
        "connection",
        "1.0.0",
        "Close the connection",
        quit,
    ),
];
