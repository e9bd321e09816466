//! SLOWLOG: there is no slow log yet, so it is always empty.

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
            if let Some(c) = args.get(2) {
                match crate::resp::parse_i64(c) {
                    Some(n) if n >= -1 => {}
                    _ => return Err("ERR count should be greater than or equal to -1".into()),
                }
            }
            ctx.out().array(0);
        }
        "len" => ctx.out().int(0),
        "reset" => ctx.out().ok(),
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
    fn slowlog_is_empty() {
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
