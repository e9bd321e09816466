//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing is done by the server (`Server::execute` pushes commands into
//! `client.multi` and flags `multi.aborted` when it rejects one). EXEC needs
//! the whole server to run the queued commands through `Server::call`, so the
//! server hands it to [`exec`] instead of calling the table's handler.

use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use crate::server::{command_table, unwatch_all, Client, Multi, Server, ServerState};
use bytes::Bytes;

const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";
const EXEC_WITHOUT_MULTI: &str = "ERR EXEC without MULTI";

fn multi(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    ctx.client.multi = Some(Multi::default());
    ctx.out().ok();
    Ok(())
}

/// Forget the transaction and every WATCH (discardTransaction).
pub fn discard_transaction(srv: &mut ServerState, c: &mut Client) {
    c.multi = None;
    unwatch_client(srv, c);
}

/// Drop all of a client's WATCHes and clear its dirty flag.
pub fn unwatch_client(srv: &mut ServerState, c: &mut Client) {
    let watched = std::mem::take(&mut c.watched);
    unwatch_all(srv, c.conn, &watched);
    c.dirty_cas = false;
}

fn discard(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err("ERR DISCARD without MULTI".into());
    }
    discard_transaction(ctx.srv, ctx.client);
    ctx.out().ok();
    Ok(())
}

fn watch(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    let dbi = ctx.client.db;
    let conn = ctx.client.conn;
    let now = ctx.now;
    for key in &args[1..] {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k)| *d == dbi && k == key)
        {
            continue;
        }
        // Redis remembers that a key was already expired when WATCHed, so its
        // later deletion is no change. We get the same by deleting it now,
        // without counting the deletion against this client; clients that
        // watched it while it was alive do see the change.
        let db = &mut ctx.srv.dbs[dbi];
        if !db.replica_mode && db.ttl_at(key).is_some_and(|at| at <= now) {
            let n = db.touched.len();
            db.expire_if_needed(key, now);
            db.touched.truncate(n);
            if let Some(ws) = ctx.srv.watched.get(&(dbi, key.clone())) {
                for w in ws {
                    if let Some(other) = ctx.clients.get_mut(w) {
                        other.dirty_cas = true;
                    }
                }
            }
        }
        ctx.srv
            .watched
            .entry((dbi, key.clone()))
            .or_default()
            .insert(conn);
        ctx.client.watched.push((dbi, key.clone()));
    }
    ctx.out().ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    unwatch_client(ctx.srv, ctx.client);
    ctx.out().ok();
    Ok(())
}

/// The table's EXEC handler. The server runs EXEC through [`exec`]; this only
/// answers when that interception is missing.
fn exec_handler(ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    if ctx.client.multi.is_none() {
        return Err(EXEC_WITHOUT_MULTI.into());
    }
    discard_transaction(ctx.srv, ctx.client);
    Err("ERR EXEC must be run by the server".into())
}

/// One of the keys `c` WATCHes has logically expired since (isWatchedKeyExpired).
fn watched_key_expired(st: &ServerState, c: &Client) -> bool {
    c.watched.iter().any(|(dbi, k)| {
        st.dbs
            .get(*dbi)
            .and_then(|db| db.ttl_at(k))
            .is_some_and(|at| at <= st.now)
    })
}

/// Mark `c` dirty if the command it just ran touched one of its own WATCHed
/// keys. The server calls this after each command of the client being served,
/// which is not in `Server::clients` while it runs.
pub fn touch_own_watches(st: &ServerState, c: &mut Client) {
    if c.watched.is_empty() || c.dirty_cas {
        return;
    }
    if c.watched.iter().any(|(dbi, k)| {
        st.dbs
            .get(*dbi)
            .is_some_and(|db| db.touched.iter().any(|t| t == k))
    }) {
        c.dirty_cas = true;
    }
}

/// EXEC: run the queued commands through `Server::call` (stats, keyspace
/// touches, propagation), replying with an array of their replies. A
/// transaction that fed more than one command to replicas is wrapped in
/// MULTI ... EXEC in `repl_feed`, as Redis 7.0 does.
pub fn exec(server: &mut Server, c: &mut Client) {
    server.st.stats.total_commands_processed += 1;
    c.last_cmd = "exec".into();
    let Some(multi) = c.multi.take() else {
        server.st.stats.total_error_replies += 1;
        c.reply.error(EXEC_WITHOUT_MULTI);
        return;
    };
    if watched_key_expired(&server.st, c) {
        c.dirty_cas = true;
    }
    if multi.aborted {
        server.st.stats.total_error_replies += 1;
        c.reply.error(EXECABORT);
        discard_transaction(&mut server.st, c);
        return;
    }
    if c.dirty_cas {
        c.reply.null_array();
        discard_transaction(&mut server.st, c);
        return;
    }
    unwatch_client(&mut server.st, c);
    let feed_start = server.st.repl_feed.len();
    let was_in_exec = c.in_exec;
    c.in_exec = true;
    c.reply.array(multi.queue.len());
    let table = command_table();
    for argv in &multi.queue {
        match argv.first().and_then(|name| table.get(name)) {
            Some(cmd) => server.call(c, cmd, argv),
            None => {
                server.st.stats.total_error_replies += 1;
                c.reply.error("ERR unknown command");
            }
        }
        // Blocking commands must not block inside a transaction.
        if c.blocked.take().is_some() {
            c.reply.null_array();
        }
    }
    c.in_exec = was_in_exec;
    c.last_cmd = "exec".into();
    let feed = &mut server.st.repl_feed;
    if feed.len() > feed_start + 1 {
        let first_db = feed[feed_start].0;
        let last_db = feed[feed.len() - 1].0;
        feed.insert(feed_start, (first_db, vec![Bytes::from_static(b"MULTI")]));
        feed.push((last_db, vec![Bytes::from_static(b"EXEC")]));
    }
}

pub static COMMANDS: &[CommandDef] = &[
    def(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        "transactions",
        "1.2.0",
        "Mark the start of a transaction block",
        multi,
    ),
    def(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        (0, 0, 0),
        "transactions",
        "1.2.0",
        "Execute all commands issued after MULTI",
        exec_handler,
    ),
    def(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        "transactions",
        "2.0.0",
        "Discard all commands issued after MULTI",
        discard,
    ),
    def(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (1, -1, 1),
        "transactions",
        "2.2.0",
        "Watch the given keys to determine execution of the MULTI/EXEC block",
        watch,
    ),
    def(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (0, 0, 0),
        "transactions",
        "2.2.0",
        "Forget about all watched keys",
        unwatch,
    ),
];
