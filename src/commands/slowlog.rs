//! SLOWLOG: read and reset the server's slow log (`server::slowlog`).

use super::container::{help, sub_arity, subcommand, unknown_sub};
use super::{CmdResult, Ctx};
use bytes::Bytes;

pub(super) fn slowlog(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "slowlog")?;
    match sub.as_str() {
        "get" => {
            if args.len() > 3 {
                return Err(sub_arity("slowlog", "get"));
            }
            let count = match args.get(2) {
                None => 10,
                Some(c) => match crate::resp::parse_i64(c) {
                    Some(-1) => usize::MAX,
                    Some(n) if n >= 0 => n as usize,
                    _ => return Err("ERR count should be greater than or equal to -1".into()),
                },
            };
            let entries: Vec<_> = ctx
                .srv
                .slowlog
                .entries
                .iter()
                .take(count)
                .cloned()
                .collect();
            let out = ctx.out();
            out.array(entries.len());
            for e in entries {
                out.array(6);
                out.int(e.id as i64);
                out.int(e.time as i64);
                out.int(e.duration_us as i64);
                out.array(e.args.len());
                for a in &e.args {
                    out.bulk(a);
                }
                out.bulk(e.peer.as_bytes());
                out.bulk(&e.name);
            }
        }
        "len" => {
            let n = ctx.srv.slowlog.entries.len();
            ctx.out().int(n as i64)
        }
        "reset" => {
            ctx.srv.slowlog.reset();
            ctx.out().ok()
        }
        "help" => help(
            ctx.out(),
            "SLOWLOG",
            &[
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
            ],
        ),
        _ => return Err(unknown_sub(&args[1], "slowlog")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;

    #[test]
    fn slowlog_starts_empty() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "SLOWLOG GET"), "*0\r\n");
        assert_eq!(k.cmd(1, "SLOWLOG LEN"), ":0\r\n");
        assert_eq!(k.cmd(1, "SLOWLOG RESET"), "+OK\r\n");
        assert_eq!(
            k.cmd(1, "SLOWLOG foo"),
            "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n"
        );
        assert!(k.cmd(1, "SLOWLOG HELP").starts_with("*12\r\n"));
    }
}
