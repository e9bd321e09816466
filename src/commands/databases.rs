//! Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB.

use super::{eq_ignore_case, err, CmdResult, Ctx, Error, Propagate};
use crate::server::config::Key;
use bytes::Bytes;

pub(super) fn dbsize(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    let n = ctx.db().len() as i64;
    ctx.out().int(n);
    Ok(())
}

fn flush_mode(args: &[Bytes]) -> CmdResult {
    match args.len() {
        1 => Ok(()),
        2 if eq_ignore_case(&args[1], "async") || eq_ignore_case(&args[1], "sync") => Ok(()),
        _ => Err(err::SYNTAX.into()),
    }
}

/// Persistence hook: FLUSHALL saves an (empty) RDB when save points are set.
/// Filled in by the persistence work.
pub fn save_after_flushall(ctx: &mut Ctx) {
    // Redis 7.0 saves right away after FLUSHALL when save points are set
    // (a failure is only logged).
    ctx.srv.save();
}

pub(super) fn flushall(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    flush_mode(args)?;
    // Redis kills a saving child (flushAllDataAndResetRDB): its snapshot is of
    // data that no longer exists. The end is logged when the child is reaped.
    let killed = ctx.srv.kill_bgsave();
    let mut n = 0;
    for db in ctx.srv.dbs.iter_mut() {
        n += db.len() as u64;
        db.clear();
    }
    ctx.dirty(n);
    super::tracking::signal_flush(ctx);
    if !ctx.srv.config.get(Key::SAVE).is_empty() {
        save_after_flushall(ctx);
    }
    if let Some(k) = killed {
        ctx.srv.bgsave_killed(k);
    }
    // 7.0 forces the propagation instead of counting a change: after the
    // save the dirty counter stays 0.
    ctx.propagate = Propagate::Replace(vec![args.to_vec()]);
    ctx.out().ok();
    Ok(())
}

pub(super) fn flushdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    flush_mode(args)?;
    let db = ctx.db();
    let n = db.len() as u64;
    db.clear();
    ctx.dirty(n);
    super::tracking::signal_flush(ctx);
    // Redis forces propagation even when the db was already empty.
    ctx.propagate = Propagate::Replace(vec![args.to_vec()]);
    ctx.out().ok();
    Ok(())
}

pub(super) fn swapdb(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let a = crate::resp::parse_i64(&args[1]).ok_or(Error::from("ERR invalid first DB index"))?;
    let b = crate::resp::parse_i64(&args[2]).ok_or(Error::from("ERR invalid second DB index"))?;
    let n = ctx.srv.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(err::DB_INDEX.into());
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        let dbs = &mut ctx.srv.dbs;
        dbs.swap(a, b);
        let (lo, hi) = dbs.split_at_mut(a.max(b));
        crate::keyspace::Db::swap_marks(&mut lo[a.min(b)], &mut hi[0]);
        let (ra, rb) = (dbs[a].replica_mode, dbs[b].replica_mode);
        dbs[a].replica_mode = rb;
        dbs[b].replica_mode = ra;
        // WATCHers of either db see a key of both as touched when it is
        // there, unexpired, on either side (touchAllWatchedKeysInDb: a
        // missing or stale key replaced with a stale one is no change);
        // blocked clients are woken for every key.
        let now = ctx.now;
        let live = |db: &crate::keyspace::Db, k: &Bytes| {
            db.expires().get(&k[..]).is_none_or(|&at| at > now)
        };
        let mut all: Vec<Bytes> = Vec::new();
        let mut stale: Vec<(usize, Bytes)> = Vec::new();
        for (x, y) in [(a, b), (b, a)] {
            for k in dbs[x].keys().keys() {
                let k = k.to_bytes();
                let stale_here = !live(&dbs[x], &k);
                let stale_there = !dbs[y].keys().contains_key(&k[..]) || !live(&dbs[y], &k);
                if !(stale_here && stale_there) {
                    all.push(k);
                } else {
                    stale.push((x, k));
                }
            }
        }
        for k in all {
            dbs[a].note_touched(k.clone());
            dbs[b].note_touched(k);
        }
        // The others still wake the clients blocked on them
        // (scanDatabaseForReadyKeys), who find them expired.
        for (_, k) in &stale {
            dbs[a].note_ready(k.clone());
            dbs[b].note_ready(k.clone());
        }
        // Their WATCHers: the expired key now there does not fail EXEC.
        for (dbi, k) in stale {
            let Some(conns) = ctx.srv.watched.get(&(dbi, k.clone())) else {
                continue;
            };
            for conn in conns {
                let c = if *conn == ctx.client.conn {
                    Some(&mut *ctx.client)
                } else {
                    ctx.clients.get_mut(conn).map(|c| &mut **c)
                };
                if let Some(c) = c {
                    c.watched_stale.push((dbi, k.clone()));
                }
            }
        }
        ctx.srv.expire_cursor.swap(a, b);
    }
    ctx.dirty(1);
    ctx.out().ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;

    #[test]
    fn keyspace_commands() {
        let mut k = Kit::new();
        k.put_str(0, "a", "1");
        assert_eq!(k.cmd(1, "DBSIZE"), ":1\r\n");
        assert_eq!(k.cmd(1, "SWAPDB 0 1"), "+OK\r\n");
        assert_eq!(k.cmd(1, "DBSIZE"), ":0\r\n");
        k.cmd(1, "SELECT 1");
        assert_eq!(k.cmd(1, "DBSIZE"), ":1\r\n");
        assert_eq!(k.cmd(1, "SWAPDB a 0"), "-ERR invalid first DB index\r\n");
        assert_eq!(k.cmd(1, "SWAPDB 0 a"), "-ERR invalid second DB index\r\n");
        assert_eq!(k.cmd(1, "SWAPDB 0 99"), "-ERR DB index is out of range\r\n");
        assert_eq!(k.cmd(1, "FLUSHDB foo"), "-ERR syntax error\r\n");
        assert_eq!(k.cmd(1, "FLUSHDB async"), "+OK\r\n");
        assert_eq!(k.cmd(1, "DBSIZE"), ":0\r\n");
        k.put_str(1, "b", "1");
        k.cmd(1, "SELECT 0");
        k.put_str(0, "c", "1");
        k.srv.st.propagated.clear();
        assert_eq!(k.cmd(1, "FLUSHALL SYNC"), "+OK\r\n");
        assert_eq!(k.srv.st.total_keys(), 0);
        assert_eq!(k.srv.st.propagated.len(), 1);
        assert_eq!(k.cmd(1, "FLUSHALL foo"), "-ERR syntax error\r\n");
    }
}
