//! CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE; the pause itself
//! (what waits, expiry and eviction held) is `server::pause`.

use super::{eq_ignore_case, err, CmdResult, Ctx, Error};
use crate::server::pause::{PauseKind, PausePurpose};
use bytes::Bytes;

pub(super) fn pause(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if args.len() > 4 {
        return Err(err::SYNTAX.into());
    }
    let kind = match args.get(3) {
        None => PauseKind::All,
        Some(m) if eq_ignore_case(m, "write") => PauseKind::Write,
        Some(m) if eq_ignore_case(m, "all") => PauseKind::All,
        Some(_) => return Err("ERR CLIENT PAUSE mode must be WRITE or ALL".into()),
    };
    let ms = crate::resp::parse_i64(&args[2])
        .ok_or(Error::from("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(err::TIMEOUT_NEGATIVE.into());
    }
    // A timeout of 0 ends at once (an end of 0 is in the past).
    let end = if ms > 0 {
        ctx.now.saturating_add(ms as u64)
    } else {
        0
    };
    let now = ctx.now;
    ctx.srv
        .pause
        .pause(PausePurpose::ClientCommand, end, kind, now);
    ctx.srv.set_expiry_paused();
    ctx.out().ok();
    Ok(())
}

pub(super) fn unpause(ctx: &mut Ctx) -> CmdResult {
    let now = ctx.now;
    ctx.srv.pause.unpause(PausePurpose::ClientCommand, now);
    ctx.out().ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{err, Kit, OK};

    #[test]
    fn write_pause_holds_writes_and_may_replicate_commands_only() {
        let mut k = Kit::new();
        k.cmd(1, "PFADD h a");
        assert_eq!(k.cmd(1, "CLIENT PAUSE 100000 WRITE"), OK);
        assert_eq!(k.cmd(2, "GET foo"), "$-1\r\n");
        assert_eq!(k.cmd(2, "SET foo bar"), "");
        // Pipelined after the postponed command: waits behind it.
        assert_eq!(k.cmd(2, "GET foo"), "");
        assert_eq!(k.cmd(3, "PFCOUNT h"), "");
        assert_eq!(k.cmd(4, "PUBLISH ch m"), "");
        assert!(k.cmd(1, "INFO clients").contains("blocked_clients:3\r\n"));
        // Arity errors are answered at once.
        assert_eq!(
            k.cmd(5, "SET foo"),
            err("ERR wrong number of arguments for 'set' command")
        );
        assert_eq!(k.cmd(1, "CLIENT UNPAUSE"), OK);
        assert_eq!(k.take(2), "+OK\r\n$3\r\nbar\r\n");
        assert_eq!(k.take(3), ":1\r\n");
        assert_eq!(k.take(4), ":0\r\n");
        assert!(k.cmd(1, "INFO clients").contains("blocked_clients:0\r\n"));
    }

    #[test]
    fn all_pause_holds_everything_until_its_timeout() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "CLIENT PAUSE 500"), OK);
        assert_eq!(k.cmd(2, "PING"), "");
        k.tick(300);
        assert_eq!(k.take(2), "");
        k.tick(300);
        assert_eq!(k.take(2), "+PONG\r\n");
        assert_eq!(
            k.cmd(1, "CLIENT PAUSE 10 NONE"),
            err("ERR CLIENT PAUSE mode must be WRITE or ALL")
        );
        assert_eq!(k.cmd(1, "CLIENT PAUSE -1"), err("ERR timeout is negative"));
        assert_eq!(
            k.cmd(1, "CLIENT PAUSE x"),
            err("ERR timeout is not an integer or out of range")
        );
    }

    #[test]
    fn transactions_under_a_write_pause() {
        let mut k = Kit::new();
        k.cmd(1, "SET foo bar");
        k.cmd(1, "CLIENT PAUSE 100000 WRITE");
        k.cmd(2, "MULTI");
        assert_eq!(k.cmd(2, "GET foo"), "+QUEUED\r\n");
        assert_eq!(k.cmd(2, "EXEC"), "*1\r\n$3\r\nbar\r\n");
        k.cmd(1, "CLIENT UNPAUSE");
        k.cmd(3, "MULTI");
        k.cmd(3, "SET foo baz");
        k.cmd(1, "CLIENT PAUSE 100000 WRITE");
        assert_eq!(k.cmd(3, "EXEC"), "");
        k.cmd(1, "CLIENT UNPAUSE");
        assert_eq!(k.take(3), "*1\r\n+OK\r\n");
        // A pause started inside EXEC lets the rest of the transaction run.
        k.cmd(1, "MULTI");
        k.cmd(1, "SET a 1");
        k.cmd(1, "CLIENT PAUSE 100000 WRITE");
        k.cmd(1, "SET b 2");
        assert_eq!(k.cmd(1, "EXEC"), "*3\r\n+OK\r\n+OK\r\n+OK\r\n");
        assert_eq!(k.cmd(2, "SET c 3"), "");
        assert_eq!(
            k.cmd(1, "MGET a b c"),
            "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
        );
    }

    #[test]
    fn keys_do_not_expire_while_paused() {
        let mut k = Kit::new();
        k.cmd(1, "SET foo bar PX 10");
        k.cmd(1, "CLIENT PAUSE 50000 WRITE");
        k.tick(200);
        k.tick(200);
        assert_eq!(k.cmd(1, "GET foo"), "$-1\r\n");
        assert!(k.cmd(1, "INFO stats").contains("expired_keys:0\r\n"));
        k.cmd(1, "CLIENT UNPAUSE");
        assert_eq!(k.cmd(1, "GET foo"), "$-1\r\n");
        assert!(k.cmd(1, "INFO stats").contains("expired_keys:1\r\n"));
    }
}
