//! ZMPOP and the blocking sorted-set pops (BZPOPMIN, BZPOPMAX, BZMPOP), as
//! 7.0's t_zset.c serves them: the first existing key decides (WRONGTYPE if
//! it is not a sorted set, except when a blocked client is retried), the
//! replies carry the key, and the pops propagate as ZPOPMIN / ZPOPMAX.

use super::blocking::{block_or_null, parse_timeout, retrying};
use super::flags::*;
use super::zsets::{pop_members, zget};
use super::{def, eq_ignore_case, err, CmdResult, CommandDef, Ctx, Error, Propagate};
use bytes::Bytes;

fn pop_cmd(max: bool) -> Bytes {
    Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" })
}

/// The first of `keys` holding a sorted set. A key of another type is
/// WRONGTYPE, unless a blocked client is being retried (it keeps waiting).
fn first_zset(ctx: &mut Ctx, keys: &[Bytes], retry: bool) -> Result<Option<Bytes>, Error> {
    let now = ctx.now;
    for key in keys {
        match zget(ctx.db(), key, now) {
            Ok(Some(_)) => return Ok(Some(key.clone())),
            Ok(None) => {}
            Err(_) if retry => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: `[key, member, score]`.
fn bzpop(ctx: &mut Ctx, args: &[Bytes], max: bool) -> CmdResult {
    let deadline = parse_timeout(&args[args.len() - 1], ctx.now)?;
    let keys = &args[1..args.len() - 1];
    let retry = retrying(ctx, keys);
    if let Some(key) = first_zset(ctx, keys, retry)? {
        let picked = pop_members(ctx, &key, max, 1);
        let out = ctx.out();
        out.array(3);
        out.bulk(&key);
        out.bulk(&picked[0].0);
        out.double(picked[0].1);
        ctx.propagate = Propagate::Replace(vec![vec![pop_cmd(max), key]]);
        return Ok(());
    }
    block_or_null(ctx, args, keys.to_vec(), deadline, false);
    Ok(())
}

/// ZMPOP / BZMPOP from `numkeys_idx` on: numkeys key... MIN|MAX [COUNT n].
fn mpop(
    ctx: &mut Ctx,
    args: &[Bytes],
    numkeys_idx: usize,
    deadline: Option<Option<u64>>,
) -> CmdResult {
    let numkeys = crate::resp::parse_i64(&args[numkeys_idx])
        .filter(|&n| n > 0)
        .ok_or(Error::from("ERR numkeys should be greater than 0"))?;
    let first = numkeys_idx + 1;
    let where_idx = (numkeys as u64).saturating_add(first as u64);
    if where_idx >= args.len() as u64 {
        return Err(err::SYNTAX.into());
    }
    let where_idx = where_idx as usize;
    let max = if eq_ignore_case(&args[where_idx], "max") {
        true
    } else if eq_ignore_case(&args[where_idx], "min") {
        false
    } else {
        return Err(err::SYNTAX.into());
    };
    let mut count: Option<i64> = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && eq_ignore_case(&args[j], "count") && j + 1 < args.len() {
            count = Some(
                crate::resp::parse_i64(&args[j + 1])
                    .filter(|&n| n > 0)
                    .ok_or(Error::from("ERR count should be greater than 0"))?,
            );
            j += 2;
        } else {
            return Err(err::SYNTAX.into());
        }
    }
    let count = count.unwrap_or(1) as u64;
    let keys = &args[first..where_idx];
    let retry = deadline.is_some() && retrying(ctx, keys);
    if let Some(key) = first_zset(ctx, keys, retry)? {
        let picked = pop_members(ctx, &key, max, count);
        let out = ctx.out();
        out.array(2);
        out.bulk(&key);
        out.array(picked.len());
        for (m, s) in &picked {
            out.array(2);
            out.bulk(m);
            out.double(*s);
        }
        let n = Bytes::from(picked.len().to_string());
        ctx.propagate = Propagate::Replace(vec![vec![pop_cmd(max), key, n]]);
        return Ok(());
    }
    match deadline {
        Some(d) => block_or_null(ctx, args, keys.to_vec(), d, false),
        None => ctx.out().null_array(),
    }
    Ok(())
}

fn bzmpop(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let deadline = parse_timeout(&args[1], ctx.now)?;
    mpop(ctx, args, 2, Some(deadline))
}

pub static COMMANDS: &[CommandDef] = &[
    def("zmpop", -4, WRITE, (0, 0, 0), "sorted-set", "7.0.0", "Remove and return members with scores in a sorted set", |ctx, args| mpop(ctx, args, 1, None)),
    def("bzmpop", -5, WRITE | BLOCKING, (0, 0, 0), "sorted-set", "7.0.0", "Remove and return members with scores in a sorted set or block until one is available", bzmpop),
    def("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, (1, -2, 1), "sorted-set", "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", |ctx, args| bzpop(ctx, args, false)),
    def("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, (1, -2, 1), "sorted-set", "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", |ctx, args| bzpop(ctx, args, true)),
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{Kit, WRONGTYPE};

    #[test]
    fn zmpop_replies_with_the_key_and_propagates_as_zpop() {
        let mut t = Kit::new();
        t.cmd(1, "ZADD z 1 a 2 b 3 c");
        t.feed();
        assert_eq!(
            t.cmd(1, "ZMPOP 2 nokey z MAX COUNT 2"),
            "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(t.feed(), ["ZPOPMAX z 2"]);
        assert_eq!(t.cmd(1, "ZMPOP 1 nokey MIN"), "*-1\r\n");
        assert_eq!(
            t.cmd(1, "ZMPOP 0 z MIN"),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(
            t.cmd(1, "ZMPOP 1 z MIN COUNT 0"),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(t.cmd(1, "ZMPOP 1 z LEFT"), "-ERR syntax error\r\n");
        t.cmd(1, "SET s x");
        assert_eq!(t.cmd(1, "ZMPOP 2 s z MIN"), WRONGTYPE);
    }

    #[test]
    fn bzpopmin_serves_at_once_or_wakes_on_zadd() {
        let mut t = Kit::new();
        t.cmd(1, "ZADD z 5 a");
        assert_eq!(
            t.cmd(1, "BZPOPMIN nokey z 0"),
            "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n5\r\n"
        );
        assert_eq!(t.cmd(1, "EXISTS z"), ":0\r\n");
        t.feed();
        // Nothing to pop: the client blocks until a ZADD.
        assert_eq!(t.cmd(2, "BZPOPMAX z 0"), "");
        t.cmd(1, "ZADD z 1 x 2 y");
        assert_eq!(t.take(2), "*3\r\n$1\r\nz\r\n$1\r\ny\r\n$1\r\n2\r\n");
        assert_eq!(t.feed(), ["ZADD z 1 x 2 y", "ZPOPMAX z"]);
        // Timeouts answer a null array.
        assert_eq!(t.cmd(3, "BZPOPMIN none 0.1"), "");
        t.tick(200);
        assert_eq!(t.take(3), "*-1\r\n");
    }
}
