//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Queueing is done by the server (`Server::execute` pushes commands into
//! `client.multi` and flags `multi.aborted` when it rejects one). EXEC needs
//! the whole server to run the queued commands through `Server::call`, so the
//! server hands it to [`exec`] instead of calling the table's handler.

use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use crate::server::{unwatch_all, Client, Multi, Server, ServerState};
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
    c.watched_stale.clear();
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
        !c.watched_stale.iter().any(|(d, s)| d == dbi && s == k)
            && st
                .dbs
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
        server.st.count_error(EXEC_WITHOUT_MULTI);
        c.reply.error(EXEC_WITHOUT_MULTI);
        return;
    };
    if watched_key_expired(&server.st, c) {
        c.dirty_cas = true;
    }
    if multi.aborted {
        server.st.count_error(EXECABORT);
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
    let table = server.st.table;
    for argv in &multi.queue {
        match argv.first().and_then(|name| table.get(name)) {
            Some(cmd) => {
                // Rules may have changed since the command was queued.
                let denied = match c.kind {
                    crate::server::ClientKind::Master => Ok(()),
                    _ => server.st.acl.check(&c.user, cmd, argv),
                };
                match denied {
                    Ok(()) => server.call(c, cmd, argv),
                    Err(d) => {
                        let ctx = crate::acl::log::Context::Multi;
                        crate::acl::log::record_denial(&mut server.st, c, d, ctx, cmd, argv);
                        let msg = crate::acl::exec_denial_message(d);
                        server.st.count_error(&msg);
                        c.reply.error(&msg);
                    }
                }
            }
            None => {
                server.st.count_error("ERR unknown command");
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
    crate::server::wrap_in_transaction(&mut server.st.repl_feed, feed_start);
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

#[cfg(test)]
mod tests {
    use crate::commands::testkit::Kit;
    use crate::keyspace::{Object, Value};
    use crate::node::ConnId;
    use bytes::Bytes;

    /// Another party writes `key` (the write commands live in other families;
    /// here we change the db the way they do and let the server see the touch).
    fn write(k: &mut Kit, db: usize, key: &str) {
        let d = &mut k.srv.st.dbs[db];
        d.set(
            Bytes::copy_from_slice(key.as_bytes()),
            Object::new(Value::Str(Bytes::from_static(b"v").into())),
        );
        d.note_touched(Bytes::copy_from_slice(key.as_bytes()));
        k.tick(100);
    }

    fn set_with_ttl(k: &mut Kit, key: &str, ttl: u64) {
        let at = k.now + ttl;
        let d = &mut k.srv.st.dbs[0];
        d.set(
            Bytes::copy_from_slice(key.as_bytes()),
            Object::new(Value::Str(Bytes::from_static(b"v").into())),
        );
        d.set_expire(key.as_bytes(), at);
    }

    #[test]
    fn multi_exec_basics() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(k.cmd(1, "DISCARD"), "-ERR DISCARD without MULTI\r\n");
        assert_eq!(k.cmd(1, "MULTI"), "+OK\r\n");
        assert_eq!(k.cmd(1, "MULTI"), "-ERR MULTI calls can not be nested\r\n");
        assert_eq!(k.cmd(1, "PING"), "+QUEUED\r\n");
        assert_eq!(k.cmd(1, "ECHO hi"), "+QUEUED\r\n");
        assert_eq!(k.cmd(1, "SELECT 99"), "+QUEUED\r\n");
        assert_eq!(k.cmd(1, "SELECT 2"), "+QUEUED\r\n");
        assert_eq!(
            k.cmd(1, "EXEC"),
            "*4\r\n+PONG\r\n$2\r\nhi\r\n-ERR DB index is out of range\r\n+OK\r\n"
        );
        let c = &k.srv.clients[&ConnId(1)];
        assert!(c.multi.is_none() && !c.in_exec);
        assert_eq!(c.db, 2);
        assert_eq!(k.cmd(1, "EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(k.cmd(1, "MULTI"), "+OK\r\n");
        assert_eq!(k.cmd(1, "PING"), "+QUEUED\r\n");
        assert_eq!(k.cmd(1, "DISCARD"), "+OK\r\n");
        assert_eq!(k.cmd(1, "PING"), "+PONG\r\n");
        // An empty transaction.
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*0\r\n");
    }

    #[test]
    fn execabort_after_queueing_error() {
        let mut k = Kit::new();
        k.cmd(1, "MULTI");
        k.cmd(1, "PING");
        assert_eq!(
            k.cmd(1, "ECHO"),
            "-ERR wrong number of arguments for 'echo' command\r\n"
        );
        assert_eq!(
            k.cmd(1, "NOSUCH"),
            "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
        );
        assert_eq!(
            k.cmd(1, "EXEC"),
            "-EXECABORT Transaction discarded because of previous errors.\r\n"
        );
        assert!(k.srv.clients[&ConnId(1)].multi.is_none());
        // WATCH inside MULTI is refused but does not abort the transaction.
        k.cmd(1, "MULTI");
        assert_eq!(
            k.cmd(1, "WATCH x"),
            "-ERR WATCH inside MULTI is not allowed\r\n"
        );
        assert_eq!(k.cmd(1, "EXEC"), "*0\r\n");
        // Nested MULTI neither.
        k.cmd(1, "MULTI");
        k.cmd(1, "MULTI");
        k.cmd(1, "PING");
        assert_eq!(k.cmd(1, "EXEC"), "*1\r\n+PONG\r\n");
    }

    #[test]
    fn exec_in_resp3_and_hello_inside() {
        let mut k = Kit::new();
        k.cmd(1, "HELLO 3");
        k.cmd(1, "MULTI");
        k.cmd(1, "HELLO 2");
        k.cmd(1, "PING");
        let r = k.cmd(1, "EXEC");
        assert!(r.starts_with("*2\r\n*14\r\n$6\r\nserver"), "{r}");
        assert!(r.ends_with("+PONG\r\n"));
        // A WATCH failure is a null (RESP3 `_`).
        k.cmd(1, "HELLO 3");
        k.cmd(1, "WATCH k");
        write(&mut k, 0, "k");
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "_\r\n");
    }

    #[test]
    fn watch_by_other_client() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "WATCH k j"), "+OK\r\n");
        assert_eq!(k.srv.st.watched.len(), 2);
        write(&mut k, 0, "k");
        assert!(k.srv.clients[&ConnId(1)].dirty_cas);
        k.cmd(1, "MULTI");
        k.cmd(1, "PING");
        assert_eq!(k.cmd(1, "EXEC"), "*-1\r\n");
        // EXEC unwatched everything.
        assert!(k.srv.st.watched.is_empty());
        assert!(k.srv.clients[&ConnId(1)].watched.is_empty());
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*0\r\n");
        // Another db's key of the same name does not count.
        k.cmd(1, "WATCH k");
        write(&mut k, 1, "k");
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*0\r\n");
        // UNWATCH forgets, DISCARD too.
        k.cmd(1, "WATCH k");
        assert_eq!(k.cmd(1, "UNWATCH"), "+OK\r\n");
        write(&mut k, 0, "k");
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*0\r\n");
        k.cmd(1, "WATCH k");
        k.cmd(1, "MULTI");
        k.cmd(1, "DISCARD");
        assert!(k.srv.st.watched.is_empty());
        // A closed client's watches go away.
        k.cmd(2, "WATCH z");
        k.close(2);
        assert!(k.srv.st.watched.is_empty());
    }

    #[test]
    fn watch_sees_own_writes_and_flush() {
        let mut k = Kit::new();
        k.cmd(1, "WATCH k");
        // A write by the watching client itself, between its commands.
        let d = &mut k.srv.st.dbs[0];
        d.set(
            Bytes::from_static(b"k"),
            Object::new(Value::Str(Bytes::from_static(b"v").into())),
        );
        d.note_touched(Bytes::from_static(b"k"));
        // (not via tick: the next command of client 1 is what notices it)
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*-1\r\n");
        // A flush touches the keys that existed.
        k.cmd(1, "WATCH k nokey");
        k.srv.st.dbs[0].clear();
        k.tick(100);
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*-1\r\n");
        k.cmd(1, "WATCH nokey");
        k.srv.st.dbs[0].clear();
        k.tick(100);
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*0\r\n");
    }

    #[test]
    fn watch_and_expiry() {
        let mut k = Kit::new();
        // Watched while alive, then expires: EXEC fails even if nobody looked.
        set_with_ttl(&mut k, "k", 50);
        k.cmd(1, "WATCH k");
        k.now += 100;
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*-1\r\n");
        // Watched while alive, deleted by active expiry: fails too.
        set_with_ttl(&mut k, "k2", 50);
        k.cmd(1, "WATCH k2");
        k.tick(200);
        assert!(k.srv.st.dbs[0].keys().get(&b"k2"[..]).is_none());
        k.cmd(1, "MULTI");
        assert_eq!(k.cmd(1, "EXEC"), "*-1\r\n");
        // Already expired when watched: its deletion is no change...
        set_with_ttl(&mut k, "k3", 50);
        k.now += 100;
        k.cmd(2, "WATCH k3");
        k.tick(200);
        k.cmd(2, "MULTI");
        assert_eq!(k.cmd(2, "EXEC"), "*0\r\n");
        // ... but being written again is.
        set_with_ttl(&mut k, "k4", 50);
        k.now += 100;
        k.cmd(2, "WATCH k4");
        write(&mut k, 0, "k4");
        k.cmd(2, "MULTI");
        assert_eq!(k.cmd(2, "EXEC"), "*-1\r\n");
        // Clients that watched it alive see the expiry noticed by a later WATCH.
        set_with_ttl(&mut k, "k5", 50);
        k.cmd(1, "WATCH k5");
        k.now += 100;
        k.cmd(2, "WATCH k5");
        assert!(k.srv.clients[&ConnId(1)].dirty_cas);
        assert!(!k.srv.clients[&ConnId(2)].dirty_cas);
        // The expired key's DEL reached the replication feed.
        assert!(k.feed_with_db().contains(&"0 DEL k5".to_string()));
    }

    #[test]
    fn propagation_wraps_multiple_writes() {
        let mut k = Kit::new();
        // One propagated command: no MULTI/EXEC (as Redis 7.0).
        k.cmd(1, "MULTI");
        k.cmd(1, "PUBLISH c 1");
        k.cmd(1, "PING");
        k.cmd(1, "EXEC");
        assert_eq!(k.feed_with_db(), vec!["0 PUBLISH c 1"]);
        k.srv.st.propagated.clear();
        // Nothing propagated: nothing at all.
        k.cmd(1, "MULTI");
        k.cmd(1, "PING");
        k.cmd(1, "EXEC");
        assert!(k.feed_with_db().is_empty());
        // Several: wrapped, with the db of each command.
        k.cmd(1, "MULTI");
        k.cmd(1, "PUBLISH c 1");
        k.cmd(1, "SELECT 3");
        k.cmd(1, "PUBLISH c 2");
        assert_eq!(k.cmd(1, "EXEC"), "*3\r\n:0\r\n+OK\r\n:0\r\n");
        assert_eq!(
            k.feed_with_db(),
            vec!["0 MULTI", "0 PUBLISH c 1", "3 PUBLISH c 2", "3 EXEC"]
        );
        // Commands inside EXEC count in the stats, and MULTI and EXEC too
        // (queueing does not).
        assert_eq!(k.srv.st.stats.total_commands_processed, 12);
    }

    #[test]
    fn pubsub_inside_multi() {
        let mut k = Kit::new();
        k.cmd(1, "MULTI");
        k.cmd(1, "SUBSCRIBE a");
        assert_eq!(
            k.cmd(1, "EXEC"),
            "*1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
        );
        assert!(k.srv.clients[&ConnId(1)].in_pubsub());
        assert_eq!(k.cmd(2, "PUBLISH a x"), ":1\r\n");
    }
}
