//! MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw |
//! AUTH2 user pw] [KEYS key ...]: move keys to another instance with
//! RESTORE, as 7.0's cluster.c does.
//!
//! Redis blocks in MIGRATE while it talks to the target. The core does no
//! IO, so the command opens a connection (`Output::Connect`), the calling
//! client waits (`Client::migrating`), and the target's replies, a closed
//! connection or the timeout finish it: keys the target restored are then
//! deleted here (unless COPY) and their DEL replaces MIGRATE in the stream.
//! The payloads are taken when the command runs; other clients may run
//! commands while the transfer is under way (Redis would not). As in 7.0,
//! a connection is kept per target for 10 s after use and reused (with its
//! selected db), at most 64 of them.

use super::{def, eq_ignore_case, err, flags::*, CmdResult, CommandDef, Ctx, Error};
use crate::node::{Addr, ConnId, Millis, Output};
use crate::resp::Frame;
use crate::server::config::Key;
use crate::server::Server;
use bytes::Bytes;

/// MIGRATE_SOCKET_CACHE_TTL: an unused cached connection is closed after this.
const CACHE_TTL_MS: Millis = 10_000;
/// MIGRATE_SOCKET_CACHE_ITEMS.
const CACHE_ITEMS: usize = 64;

/// A connection kept to a target (migrateCachedSocket).
#[derive(Debug)]
pub struct CachedSocket {
    pub conn: ConnId,
    /// The db its last SELECT chose.
    pub last_db: Option<i64>,
    pub last_use: Millis,
    /// A MIGRATE is using it now.
    pub busy: bool,
}

/// One MIGRATE waiting for its target.
#[derive(Debug)]
pub struct Job {
    /// The client that ran MIGRATE.
    pub client: ConnId,
    pub db: usize,
    /// The keys sent, in order.
    keys: Vec<Bytes>,
    copy: bool,
    /// AUTH and SELECT replies come first.
    preamble: usize,
    request: Vec<u8>,
    buf: Vec<u8>,
    replies: Vec<Frame>,
    pub deadline: Millis,
    /// The target, "host:port" (the cache's key).
    target: String,
    /// The db the SELECT of this request chooses.
    select_db: i64,
}

const IOERR_CONNECT: &str = "IOERR error or timeout connecting to the client";
const IOERR_WRITE: &str = "IOERR error or timeout writing to target instance";
const IOERR_READ: &str = "IOERR error or timeout reading to target instance";

/// Why a transfer failed, for its IOERR.
pub use crate::node::ExchangeFailure as Failure;

fn ioerr(why: Failure) -> &'static str {
    match why {
        Failure::Connecting => IOERR_CONNECT,
        Failure::Writing => IOERR_WRITE,
        Failure::Reading => IOERR_READ,
    }
}

fn migrate(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut copy, mut replace) = (false, false);
    let mut auth: Vec<Bytes> = Vec::new();
    let mut keys: &[Bytes] = &args[3..4];
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - j - 1;
        let a = &args[j];
        if eq_ignore_case(a, "copy") {
            copy = true;
        } else if eq_ignore_case(a, "replace") {
            replace = true;
        } else if eq_ignore_case(a, "auth") {
            if more == 0 {
                return Err(err::SYNTAX.into());
            }
            j += 1;
            auth = vec![args[j].clone()];
        } else if eq_ignore_case(a, "auth2") {
            if more < 2 {
                return Err(err::SYNTAX.into());
            }
            auth = vec![args[j + 1].clone(), args[j + 2].clone()];
            j += 2;
        } else if eq_ignore_case(a, "keys") {
            if !args[3].is_empty() {
                return Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string".into());
            }
            keys = &args[j + 1..];
            break;
        } else {
            return Err(err::SYNTAX.into());
        }
        j += 1;
    }
    let timeout = crate::resp::parse_i64(&args[5]).ok_or(Error::from(err::NOT_INTEGER))?;
    let db = crate::resp::parse_i64(&args[4]).ok_or(Error::from(err::NOT_INTEGER))?;
    let timeout = if timeout <= 0 { 1000 } else { timeout as u64 };
    let port = crate::resp::parse_i64(&args[2]).ok_or(Error::from(err::NOT_INTEGER))?;
    // The keys that exist, with their payloads and remaining TTLs.
    let compress = ctx.srv.config.get_bool(Key::RDBCOMPRESSION);
    let now = ctx.now;
    let mut sent = Vec::new();
    let mut restores = Vec::new();
    for k in keys {
        let Some(o) = ctx.lookup(k) else { continue };
        let payload = crate::rdb::payload::dump(&o.value, compress);
        let ttl = ctx
            .db()
            .ttl_at(k)
            .map_or(0, |at| at.saturating_sub(now).max(1));
        let mut cmd = vec![
            Bytes::from_static(b"RESTORE"),
            k.clone(),
            Bytes::from(ttl.to_string()),
            Bytes::from(payload),
        ];
        if replace {
            cmd.push(Bytes::from_static(b"REPLACE"));
        }
        restores.push(cmd);
        sent.push(k.clone());
    }
    if sent.is_empty() {
        ctx.out().simple("NOKEY");
        return Ok(());
    }
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    // Inside EXEC or a script the reply must be there when the command
    // returns: block on the target as Redis always does.
    if ctx.client.in_exec {
        return migrate_blocking(
            ctx,
            Addr::new(host, port as u16),
            auth,
            db,
            &restores,
            &sent,
            copy,
            timeout,
        );
    }
    let target = format!("{host}:{port}");
    // A cached connection to the target, if one is free.
    let cached = ctx
        .srv
        .migrate_sockets
        .get_mut(&target)
        .filter(|cs| !cs.busy)
        .map(|cs| {
            cs.busy = true;
            (cs.conn, cs.last_db)
        });
    let mut request = Vec::new();
    let mut preamble = encode_auth(auth, &mut request);
    if cached.is_none_or(|(_, last)| last != Some(db)) {
        crate::replication::encode_command(
            &[Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())],
            &mut request,
        );
        preamble += 1;
    }
    for cmd in &restores {
        crate::replication::encode_command(cmd, &mut request);
    }
    let conn = match cached {
        Some((conn, _)) => {
            ctx.srv.out.push_back(Output::Send {
                conn,
                bytes: std::mem::take(&mut request),
            });
            conn
        }
        None => ctx.srv.connect(Addr::new(host, port as u16)),
    };
    ctx.srv.migrations.insert(
        conn,
        Job {
            client: ctx.client.conn,
            db: ctx.client.db,
            keys: sent,
            copy,
            preamble,
            request,
            buf: Vec::new(),
            replies: Vec::new(),
            deadline: now.saturating_add(timeout),
            target,
            select_db: db,
        },
    );
    ctx.client.migrating = Some(conn);
    // Whatever is propagated is decided when the target answers.
    ctx.propagate = super::Propagate::Nothing;
    Ok(())
}

/// AUTH / AUTH2's command for the target, if credentials were given;
/// the number of replies it adds before the RESTOREs'.
fn encode_auth(auth: Vec<Bytes>, request: &mut Vec<u8>) -> usize {
    if auth.is_empty() {
        return 0;
    }
    let mut cmd = vec![Bytes::from_static(b"AUTH")];
    cmd.extend(auth);
    crate::replication::encode_command(&cmd, request);
    1
}

/// The target answered `preamble` (AUTH, SELECT) and one reply per key of
/// `keys`: delete in `db` what it restored (unless `copy`), returning the
/// DEL to propagate if any, and MIGRATE's outcome.
fn settle(
    st: &mut crate::server::ServerState,
    db: usize,
    keys: &[Bytes],
    copy: bool,
    preamble: &[Frame],
    replies: &[Frame],
) -> (Option<Vec<Bytes>>, Result<(), String>) {
    let error_text = |f: &Frame| match f {
        Frame::Error(e) => Some(format!("ERR Target instance replied with error: {e}")),
        _ => None,
    };
    let mut error = preamble.iter().find_map(error_text);
    let mut deleted = vec![Bytes::from_static(b"DEL")];
    if error.is_none() {
        for (k, reply) in keys.iter().zip(replies) {
            if let Some(e) = error_text(reply) {
                error.get_or_insert(e);
            } else if !copy && st.dbs[db].delete(k) {
                st.dbs[db].note_touched(k.clone());
                deleted.push(k.clone());
            }
        }
    }
    let deleted = (deleted.len() > 1).then(|| {
        st.dirty += (deleted.len() - 1) as u64;
        for k in &deleted[1..] {
            st.notify(crate::server::notify::class::GENERIC, "del", k, db);
        }
        deleted
    });
    (deleted, error.map_or(Ok(()), Err))
}

/// MIGRATE where the client cannot wait (inside EXEC or a script): a
/// fresh connection, held by the host until every reply is in, the node
/// blocked meanwhile as Redis is. Hosts that cannot block refuse it.
#[allow(clippy::too_many_arguments)]
fn migrate_blocking(
    ctx: &mut Ctx,
    to: Addr,
    auth: Vec<Bytes>,
    db: i64,
    restores: &[Vec<Bytes>],
    keys: &[Bytes],
    copy: bool,
    timeout: u64,
) -> CmdResult {
    let mut request = Vec::new();
    // AUTH's reply, if any, then SELECT's.
    let preamble = encode_auth(auth, &mut request) + 1;
    crate::replication::encode_command(
        &[Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())],
        &mut request,
    );
    for cmd in restores {
        crate::replication::encode_command(cmd, &mut request);
    }
    let answer = ctx
        .srv
        .host
        .probe
        .as_deref()
        .and_then(|p| p.exchange(&to, &request, preamble + keys.len(), timeout));
    let replies = match answer {
        None => {
            return Err(
                "ERR MIGRATE cannot wait for its target inside MULTI / EXEC on this host".into(),
            )
        }
        Some(Err(why)) => return Err(ioerr(why).into()),
        Some(Ok(replies)) => replies,
    };
    let (pre, per_key) = replies.split_at(preamble.min(replies.len()));
    let (deleted, result) = settle(ctx.srv, ctx.client.db, keys, copy, pre, per_key);
    // The DEL of what left replaces MIGRATE in the stream; the keys were
    // touched by `settle` already.
    ctx.signal_keys = false;
    ctx.propagate = match deleted {
        Some(del) => super::Propagate::Replace(vec![del]),
        None => super::Propagate::Nothing,
    };
    result?;
    ctx.out().ok();
    Ok(())
}

impl Server {
    pub(crate) fn migrate_owns(&self, conn: ConnId) -> bool {
        self.st.migrations.contains_key(&conn)
    }

    /// Our connection to a target is up: cache it (making room by dropping
    /// a random one when full, as 7.0 does) and send the request.
    pub(crate) fn migrate_connected(&mut self, conn: ConnId) {
        let Some(job) = self.st.migrations.get_mut(&conn) else {
            return;
        };
        let bytes = std::mem::take(&mut job.request);
        let target = job.target.clone();
        self.st.out.push_back(Output::Send { conn, bytes });
        let cache = &mut self.st.migrate_sockets;
        if cache.len() >= CACHE_ITEMS {
            let idle = cache
                .iter()
                .find(|(_, cs)| !cs.busy)
                .map(|(k, _)| k.clone());
            if let Some(k) = idle {
                let cs = cache.remove(&k).expect("found above");
                self.st.out.push_back(Output::Close { conn: cs.conn });
            }
        }
        let now = self.st.now;
        self.st
            .migrate_sockets
            .entry(target)
            .or_insert(CachedSocket {
                conn,
                last_db: None,
                last_use: now,
                busy: true,
            });
    }

    /// A cached connection the target closed while idle.
    pub(crate) fn migrate_socket_closed(&mut self, conn: ConnId) -> bool {
        let k = self
            .st
            .migrate_sockets
            .iter()
            .find(|(_, cs)| cs.conn == conn)
            .map(|(k, _)| k.clone());
        match k {
            Some(k) => {
                self.st.migrate_sockets.remove(&k);
                true
            }
            None => false,
        }
    }

    /// A request is over: an error closes the connection, success keeps it
    /// for the next MIGRATE.
    fn migrate_release(&mut self, conn: ConnId, job: &Job, ok: bool) {
        let now = self.st.now;
        match self.st.migrate_sockets.get_mut(&job.target) {
            Some(cs) if cs.conn == conn && ok => {
                cs.busy = false;
                cs.last_use = now;
                cs.last_db = Some(job.select_db);
            }
            Some(cs) if cs.conn == conn => {
                self.st.migrate_sockets.remove(&job.target);
                self.st.out.push_back(Output::Close { conn });
            }
            _ => self.st.out.push_back(Output::Close { conn }),
        }
    }

    /// The connection failed or closed, or the timeout passed.
    pub(crate) fn migrate_failed(&mut self, conn: ConnId, why: Failure) {
        if let Some(job) = self.st.migrations.remove(&conn) {
            self.migrate_release(conn, &job, false);
            self.migrate_reply(job.client, Err(ioerr(why).to_string()));
        }
    }

    pub(crate) fn migrate_data(&mut self, conn: ConnId, bytes: &[u8]) {
        let Some(job) = self.st.migrations.get_mut(&conn) else {
            return;
        };
        job.buf.extend_from_slice(bytes);
        loop {
            match Frame::parse(&job.buf) {
                Ok(Some((f, n))) => {
                    job.buf.drain(..n);
                    job.replies.push(f);
                }
                Ok(None) => break,
                Err(_) => {
                    self.migrate_failed(conn, Failure::Reading);
                    return;
                }
            }
        }
        if job.replies.len() < job.preamble + job.keys.len() {
            return;
        }
        let job = self.st.migrations.remove(&conn).expect("checked above");
        self.migrate_release(conn, &job, true);
        self.migrate_finish(job);
    }

    /// Every reply is in: delete what the target restored (unless COPY),
    /// propagate it as DEL, answer the client.
    fn migrate_finish(&mut self, job: Job) {
        let (deleted, result) = settle(
            &mut self.st,
            job.db,
            &job.keys,
            job.copy,
            &job.replies[..job.preamble],
            &job.replies[job.preamble..],
        );
        if let Some(deleted) = deleted {
            self.st
                .repl_feed
                .push(crate::server::Propagated::all(job.db, deleted));
            self.repl_feed_replicas();
        }
        self.migrate_reply(job.client, result);
    }

    fn migrate_reply(&mut self, client: ConnId, result: Result<(), String>) {
        let Some(c) = self.clients.get_mut(&client) else {
            return;
        };
        c.migrating = None;
        match result {
            Ok(()) => c.reply.ok(),
            Err(e) => {
                c.reply.error(&e);
                self.st.count_error(&e);
            }
        }
        self.st.pending.insert(client);
        self.st.unblocked.push(client);
    }

    /// Transfers past their timeout fail as a read timeout; cached
    /// connections unused for 10 s are closed (migrateCloseTimedoutSockets).
    pub(crate) fn migrate_cron(&mut self) {
        let now = self.st.now;
        let stale: Vec<String> = self
            .st
            .migrate_sockets
            .iter()
            .filter(|(_, cs)| !cs.busy && now.saturating_sub(cs.last_use) > CACHE_TTL_MS)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some(cs) = self.st.migrate_sockets.remove(&k) {
                self.st.out.push_back(Output::Close { conn: cs.conn });
            }
        }
        let late: Vec<ConnId> = self
            .st
            .migrations
            .iter()
            .filter(|(_, j)| j.deadline <= now)
            .map(|(c, _)| *c)
            .collect();
        for conn in late {
            self.migrate_failed(conn, Failure::Reading);
        }
    }
}

pub static COMMANDS: &[CommandDef] = &[def(
    "migrate",
    -6,
    WRITE | MOVABLE_KEYS,
    (3, 3, 1),
    "generic",
    "2.6.0",
    "Atomically transfer a key from a Redis instance to another one.",
    migrate,
)];

/// MIGRATE's keys: the key argument, or those after KEYS.
pub fn key_positions(argv: &[Bytes]) -> Vec<usize> {
    // migrateGetKeys: the key argument, or what follows KEYS (none when
    // the key argument is not empty: MIGRATE itself reports that), skipping
    // AUTH's and AUTH2's values on the way.
    let mut i = 6;
    while i < argv.len() {
        let a = &argv[i];
        if eq_ignore_case(a, "keys") {
            if !argv[3].is_empty() {
                return Vec::new();
            }
            return (i + 1..argv.len()).collect();
        }
        if eq_ignore_case(a, "auth") {
            i += 1;
        } else if eq_ignore_case(a, "auth2") {
            i += 2;
        }
        i += 1;
    }
    if argv.len() > 3 {
        vec![3]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{err, Kit};
    use crate::node::Input;

    #[test]
    fn argument_errors_and_nokey() {
        let mut k = Kit::new();
        assert_eq!(k.cmd(1, "MIGRATE 127.0.0.1 1 nokey 0 100"), "+NOKEY\r\n");
        assert_eq!(
            k.cmd(1, "MIGRATE 127.0.0.1 1 k 0 100 KEYS a"),
            err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
        );
        assert_eq!(
            k.cmd(1, "MIGRATE 127.0.0.1 1 k 0 100 FOO"),
            err("ERR syntax error")
        );
        assert_eq!(
            k.cmd(1, "MIGRATE 127.0.0.1 1 k 0 100 AUTH"),
            err("ERR syntax error")
        );
        assert_eq!(
            k.cmd(1, "MIGRATE 127.0.0.1 1 k x 100"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            k.cmd(1, "COMMAND GETKEYS MIGRATE h 1 \"\" 0 100 KEYS a b"),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
    }

    #[test]
    fn keys_move_when_the_target_restores_them() {
        let mut k = Kit::new();
        k.cmd(1, "MSET a 1 b 2");
        k.cmd(1, "PEXPIRE b 50000");
        assert_eq!(
            k.cmd(1, "MIGRATE 10.0.0.9 6379 \"\" 3 1000 AUTH pw KEYS a b nope"),
            ""
        );
        let conn = *k.srv.st.migrations.keys().next().unwrap();
        k.input(Input::Connected {
            conn,
            local: crate::node::Addr::new("127.0.0.1", 1),
        });
        let sent = k.take(conn.0);
        let text = sent;
        assert!(text.starts_with("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*4\r\n$7\r\nRESTORE\r\n$1\r\na\r\n$1\r\n0\r\n"), "{text}");
        assert!(text.contains("$1\r\nb\r\n$5\r\n50000\r\n"), "{text}");
        k.input(Input::Data {
            conn,
            bytes: b"+OK\r\n+OK\r\n+OK\r\n-BUSYKEY Target key name already exists.\r\n",
        });
        assert_eq!(
            k.take(1),
            "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
        );
        assert_eq!(k.cmd(1, "EXISTS a b"), ":1\r\n");
        // The connection is kept (an error reply closes it only on IO
        // errors), and the next MIGRATE reuses it without SELECT.
        assert!(k
            .cmd(1, "INFO stats")
            .contains("migrate_cached_sockets:1\r\n"));
        k.cmd(1, "SET c 1");
        assert_eq!(k.cmd(1, "MIGRATE 10.0.0.9 6379 c 3 1000"), "");
        assert!(k
            .take(conn.0)
            .starts_with("*4\r\n$7\r\nRESTORE\r\n$1\r\nc\r\n"));
        k.input(Input::Data {
            conn,
            bytes: b"+OK\r\n",
        });
        assert_eq!(k.take(1), "+OK\r\n");
        k.tick(11_000);
        k.tick(1_000);
        assert!(k
            .cmd(1, "INFO stats")
            .contains("migrate_cached_sockets:0\r\n"));
        assert_eq!(
            k.feed(),
            vec![
                "MSET a 1 b 2",
                "PEXPIREAT b 1700000050000",
                "DEL a",
                "SET c 1",
                "DEL c"
            ]
        );
    }

    #[test]
    fn inside_exec_a_host_that_cannot_block_refuses() {
        let mut k = Kit::new();
        k.cmd(1, "SET a 1");
        k.cmd(1, "MULTI");
        k.cmd(1, "MIGRATE 10.0.0.9 6379 a 0 1000");
        k.cmd(1, "MIGRATE 10.0.0.9 6379 nokey 0 1000");
        assert_eq!(
            k.cmd(1, "EXEC"),
            "*2\r\n-ERR MIGRATE cannot wait for its target inside MULTI / EXEC on this host\r\n+NOKEY\r\n"
        );
    }

    #[test]
    fn a_refused_connection_is_an_ioerr() {
        let mut k = Kit::new();
        k.cmd(1, "SET a 1");
        assert_eq!(k.cmd(1, "MIGRATE 10.0.0.9 6379 a 0 1000"), "");
        let conn = *k.srv.st.migrations.keys().next().unwrap();
        k.input(Input::ConnectFailed {
            conn,
            reason: "refused".into(),
        });
        assert_eq!(
            k.take(1),
            err("IOERR error or timeout writing to target instance")
        );
        assert_eq!(k.cmd(1, "GET a"), "$1\r\n1\r\n");
    }
}
