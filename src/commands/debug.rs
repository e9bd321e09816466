//! DEBUG: SLEEP, OBJECT, SET-ACTIVE-EXPIRE and HELP, allowed as
//! `enable-debug-command` says.

use super::container::{help, text};
use super::{err, lower, CmdResult, Ctx};
use crate::server::config::Key;
use bytes::Bytes;

const DEBUG_NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

pub(super) fn debug(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let allowed = match ctx.srv.config.get(Key::ENABLE_DEBUG_COMMAND) {
        "yes" => true,
        "local" => crate::server::is_loopback(&ctx.client.addr.host),
        _ => false,
    };
    if !allowed {
        return Err(DEBUG_NOT_ALLOWED.into());
    }
    let sub = lower(&args[1]);
    match (sub.as_str(), args.len()) {
        ("sleep", 3) => {
            // Like Redis's atof: junk reads as 0.
            let secs = crate::resp::parse_f64(&args[2]).unwrap_or(0.0);
            let ms = if secs.is_finite() && secs > 0.0 {
                (secs * 1000.0).min(1e15) as u64
            } else {
                0
            };
            if ms > 0 {
                // The whole node stops: nothing runs and nothing is sent until then.
                ctx.srv.paused_until = ctx.now.saturating_add(ms);
            }
            ctx.out().ok();
        }
        ("set-active-expire", 3) => ctx.out().ok(),
        ("object", 3) => {
            let key = args[2].clone();
            let now = ctx.now;
            let Some(o) = ctx.lookup(&key) else {
                return Err(err::NO_SUCH_KEY.into());
            };
            let len = match &o.value {
                crate::keyspace::Value::Str(s) => s.len() + 1,
                _ => 16,
            };
            let s = format!(
                "Value at:0x7f0000000000 refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:0",
                o.encoding(),
                len,
                (now / 1000) & ((1 << 24) - 1)
            );
            ctx.out().simple(&s);
        }
        ("help", 2) => help(
            ctx.out(),
            "DEBUG",
            &[
                "OBJECT <key>",
                "    Show low level info about the `key` and associated value.",
                "SET-ACTIVE-EXPIRE <0|1>",
                "    Setting it to 0 disables expiring keys in background when they are not",
                "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                "    default.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
            ],
        ),
        _ => {
            return Err(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
                text(&args[1])
            )
            .into())
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::server_testkit::*;

    #[test]
    fn debug_sleep_pauses_the_node() {
        let mut h = H::new();
        assert_eq!(
            h.cmd("DEBUG SLEEP 1"),
            format!("-{}\r\n", DEBUG_NOT_ALLOWED)
        );
        h.s.st
            .config
            .set(Key::ENABLE_DEBUG_COMMAND, &["yes".into()])
            .unwrap();
        h.connect(2);
        // The reply to DEBUG SLEEP is held, and so is everything else.
        assert_eq!(h.cmd("DEBUG SLEEP 0.5"), "");
        assert_eq!(h.s.poll_timeout(), Some(h.now + 500));
        assert_eq!(h.on(2, "PING"), "");
        assert_eq!(h.cmd("PING"), "");
        h.now += 499;
        h.s.handle(h.now, Input::Tick);
        assert!(h.drain().is_empty());
        h.now += 1;
        h.s.handle(h.now, Input::Tick);
        let out = h.drain();
        let mine: String = out
            .iter()
            .filter(|(c, _)| *c == 1)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert_eq!(mine, "+OK\r\n+PONG\r\n");
        assert!(out.iter().any(|(c, b)| *c == 2 && b == b"+PONG\r\n"));
        assert!(h.s.poll_timeout().unwrap() <= h.now + 100);
        assert_eq!(h.cmd("DEBUG SLEEP 0"), "+OK\r\n");
        assert_eq!(
            h.cmd("DEBUG foo"),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(h.cmd("DEBUG OBJECT nokey"), "-ERR no such key\r\n");
        h.set(0, "k", "v");
        assert!(h.cmd("DEBUG OBJECT k").starts_with("+Value at:"));
    }
}
