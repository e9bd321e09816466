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
    use crate::commands::testkit::Kit;
    use crate::node::Node;

    #[test]
    fn debug_sleep_pauses_the_node() {
        let mut k = Kit::new();
        assert_eq!(
            k.cmd(1, "DEBUG SLEEP 1"),
            format!("-{}\r\n", DEBUG_NOT_ALLOWED)
        );
        k.srv
            .st
            .config
            .set(Key::ENABLE_DEBUG_COMMAND, &["yes".into()])
            .unwrap();
        k.connect(2);
        // The reply to DEBUG SLEEP is held, and so is everything else.
        assert_eq!(k.cmd(1, "DEBUG SLEEP 0.5"), "");
        assert_eq!(k.srv.poll_timeout(), Some(k.now + 500));
        assert_eq!(k.cmd(2, "PING"), "");
        assert_eq!(k.cmd(1, "PING"), "");
        k.tick(499);
        assert!(k.inbox.is_empty());
        k.tick(1);
        assert_eq!(k.take(1), "+OK\r\n+PONG\r\n");
        assert_eq!(k.take(2), "+PONG\r\n");
        assert!(k.srv.poll_timeout().unwrap() <= k.now + 100);
        assert_eq!(k.cmd(1, "DEBUG SLEEP 0"), "+OK\r\n");
        assert_eq!(
            k.cmd(1, "DEBUG foo"),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(k.cmd(1, "DEBUG OBJECT nokey"), "-ERR no such key\r\n");
        k.put_str(0, "k", "v");
        assert!(k.cmd(1, "DEBUG OBJECT k").starts_with("+Value at:"));
    }
}
