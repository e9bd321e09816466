//! What every blocking command shares (BLPOP, BLMPOP, BZPOPMIN, BZMPOP...):
//! the timeout argument, blocking the client (or the empty answer inside
//! EXEC), and telling a retry after a key changed from a first call. The
//! server keeps the queues and wakes the clients (`retry_blocked`).

use super::{err, Ctx, Error, Propagate};
use crate::node::Millis;
use crate::server::client::Blocked;
use bytes::Bytes;

/// The timeout argument of a blocking command, in seconds, as an absolute
/// deadline (None: wait forever). Mirrors `getTimeoutFromObjectOrReply`,
/// including the C cast: values whose milliseconds overflow a long long come
/// out as LLONG_MIN and are reported as negative.
pub(crate) fn parse_timeout(b: &[u8], now: Millis) -> Result<Option<Millis>, Error> {
    let secs = crate::resp::parse_f64(b).ok_or(Error::from(err::TIMEOUT_NOT_FLOAT))?;
    let ms = secs * 1000.0;
    if !(ms > -9.223_372_036_854_776e18 && ms < 9.223_372_036_854_776e18) {
        return Err(err::TIMEOUT_NEGATIVE.into());
    }
    let ms = ms as i64;
    if ms < 0 {
        return Err(err::TIMEOUT_NEGATIVE.into());
    }
    if ms == 0 {
        return Ok(None);
    }
    Ok(Some(now.saturating_add(ms as u64)))
}

/// Is this a blocked client's command running again after a key changed? (The
/// server keeps it in the `blocked_on` queues while it retries.) On a retry a
/// key of the wrong type is skipped rather than reported: Redis only serves a
/// blocked client from a list and leaves it waiting otherwise.
pub(crate) fn retrying(ctx: &mut Ctx, keys: &[Bytes]) -> bool {
    let conn = ctx.client.conn;
    keys.first().is_some_and(|k| {
        ctx.srv
            .blocked_on
            .get(&(ctx.client.db, k.clone()))
            .is_some_and(|q| q.contains(&conn))
    })
}

/// Either block the client on `keys` or, inside EXEC, give the empty answer now.
pub(crate) fn block_or_null(
    ctx: &mut Ctx,
    args: &[Bytes],
    keys: Vec<Bytes>,
    deadline: Option<Millis>,
    null_bulk: bool,
) {
    if ctx.client.in_exec {
        if null_bulk {
            ctx.out().null();
        } else {
            ctx.out().null_array();
        }
        return;
    }
    ctx.propagate = Propagate::Nothing;
    ctx.client.blocked = Some(Blocked {
        argv: args.to_vec(),
        db: ctx.client.db,
        keys,
        deadline,
    });
}
