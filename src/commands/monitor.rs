//! MONITOR: a client that asks sees every command the server runs, as
//! 7.0's replicationFeedMonitors writes it —
//! `+<secs>.<usecs> [<db> <peer>] "arg" "arg"` — after the command ran,
//! except admin commands and those flagged skip_monitor (and a blocked
//! command when it is served later: it was shown when it arrived).

use super::flags::*;
use super::{def, CmdResult, CommandDef, Ctx};
use crate::server::Client;
use bytes::Bytes;

fn monitor(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    // MULTI denies blocking; a MONITOR needs a reply per command.
    if ctx.client.in_exec || ctx.client.multi.is_some() {
        return Err("ERR MONITOR isn't allowed for DENY BLOCKING client".into());
    }
    if ctx.client.monitor || ctx.client.kind == crate::server::ClientKind::Replica {
        return Ok(());
    }
    ctx.client.monitor = true;
    let conn = ctx.client.conn;
    ctx.srv.monitors.insert(conn);
    ctx.out().ok();
    Ok(())
}

/// The line a monitor receives for `argv` run by `caller` in `db` at `now_ms`
/// (the core's clock has millisecond resolution: the microseconds end in 000).
pub fn line(now_ms: u64, db: usize, caller: &Client, argv: &[Bytes]) -> Vec<u8> {
    // The scripts' client shows as `lua`, as 7.0 prints it.
    let who = if caller.conn == crate::scripting::SCRIPT_CONN {
        "lua".to_string()
    } else {
        caller.addr.to_string()
    };
    let mut s = format!(
        "+{}.{:06} [{} {}] ",
        now_ms / 1000,
        now_ms % 1000 * 1000,
        db,
        who
    );
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&crate::resp::repr(a));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

pub static COMMANDS: &[CommandDef] = &[def(
    "monitor",
    1,
    ADMIN | NOSCRIPT | LOADING | STALE,
    (0, 0, 0),
    "server",
    "1.0.0",
    "Listen for all requests received by the server in real time",
    monitor,
)];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;

    #[test]
    fn monitors_see_commands_after_they_run_but_not_admin_ones() {
        let mut t = Kit::new();
        assert_eq!(t.cmd(1, "MONITOR"), "+OK\r\n");
        t.cmd(2, "SET k \"a b\"");
        t.cmd(2, "CONFIG GET maxmemory");
        t.cmd(2, "SELECT 3");
        let seen = t.take(1);
        let lines: Vec<&str> = seen.lines().collect();
        assert_eq!(lines.len(), 2, "{seen}");
        assert!(
            lines[0].starts_with('+') && lines[0].ends_with("] \"SET\" \"k\" \"a b\""),
            "{seen}"
        );
        assert!(lines[0].contains(" [0 127.0.0.1:"), "{seen}");
        assert!(
            lines[1].contains(" [3 127.0.0.1:") && lines[1].ends_with("\"SELECT\" \"3\""),
            "{seen}"
        );
        assert!(t.cmd(2, "CLIENT LIST").contains("flags=O"));
        // Inside a transaction it is refused when EXEC runs it; RESET ends it.
        t.cmd(3, "MULTI");
        assert_eq!(t.cmd(3, "MONITOR"), "+QUEUED\r\n");
        assert_eq!(
            t.cmd(3, "EXEC"),
            "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
        );
        // MULTI, then EXEC after the commands it ran (MONITOR itself is admin: not shown).
        let seen = t.take(1);
        assert!(
            seen.contains("\"MULTI\"\r\n") && seen.ends_with("\"EXEC\"\r\n"),
            "{seen}"
        );
        assert_eq!(t.cmd(1, "RESET"), "+RESET\r\n");
        t.cmd(2, "PING");
        assert_eq!(t.take(1), "");
    }
}
