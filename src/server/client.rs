//! A client connection's state on the server side.

use super::query_buffer::QueryBufSize;
use crate::commands::{CommandDef, CommandTable};
use crate::node::{Addr, ConnId, Millis};
use crate::resp::{ReplyBuf, RequestParser};
use bytes::{Bytes, BytesMut};
use std::collections::BTreeSet;

/// What kind of peer this is, for CLIENT LIST / KILL TYPE and INFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    Normal,
    /// A replica connected to us (after SYNC/PSYNC).
    Replica,
    /// Our link to our master.
    Master,
}

/// A transaction being queued between MULTI and EXEC.
#[derive(Debug, Default)]
pub struct Multi {
    pub queue: Vec<Vec<Bytes>>,
    /// A queued command was rejected: EXEC answers EXECABORT.
    pub aborted: bool,
}

/// A client waiting in BLPOP & co.
#[derive(Debug, Clone)]
pub struct Blocked {
    /// The command to run again when one of its keys changes.
    pub argv: Vec<Bytes>,
    pub db: usize,
    pub keys: Vec<Bytes>,
    /// Absolute deadline, or None to wait forever.
    pub deadline: Option<Millis>,
}

#[derive(Debug)]
pub struct Client {
    pub id: u64,
    pub conn: ConnId,
    pub addr: Addr,
    pub laddr: Addr,
    pub name: Option<Bytes>,
    pub db: usize,
    pub reply: ReplyBuf,
    pub parser: RequestParser,
    pub query: BytesMut,
    /// What 7.0 would have allocated for `query` (CLIENT LIST's qbuf-free).
    pub query_size: QueryBufSize,
    /// What 7.0's reply buffer would be (CLIENT LIST's `rbs` / `rbp`).
    pub reply_size: super::reply_buffer::ReplyBufSize,
    pub authenticated: bool,
    pub user: String,
    pub kind: ClientKind,
    pub multi: Option<Multi>,
    /// Keys WATCHed: (db, key).
    pub watched: Vec<(usize, Bytes)>,
    /// WATCHed keys a SWAPDB replaced with a key already expired (7.0's
    /// `watchedKey.expired`): their expiry does not fail EXEC.
    pub watched_stale: Vec<(usize, Bytes)>,
    /// A WATCHed key changed: EXEC must fail.
    pub dirty_cas: bool,
    /// MONITOR: every command the server runs is copied to this client.
    pub monitor: bool,
    pub channels: BTreeSet<Bytes>,
    pub patterns: BTreeSet<Bytes>,
    /// Shard channels (SSUBSCRIBE), a namespace of their own.
    pub shard_channels: BTreeSet<Bytes>,
    pub blocked: Option<Blocked>,
    /// A client pause holds this command back: it runs again, checks and
    /// all, when the pause is lifted.
    pub postponed: Option<Vec<Bytes>>,
    /// CLIENT TRACKING ON: the mode and options (see `server::tracking`).
    pub tracking: Option<super::tracking::ClientTracking>,
    /// Waiting for MIGRATE's target on this outbound connection.
    pub migrating: Option<crate::node::ConnId>,
    /// CLIENT NO-EVICT ON.
    pub no_evict: bool,
    /// Close once the pending reply is written (QUIT, protocol errors, CLIENT KILL).
    pub close_after_reply: bool,
    /// Over its output buffer limit (CLIENT_CLOSE_ASAP): nothing more is
    /// run or written for it, and it is closed at the end of the round
    /// with whatever it had pending.
    pub close_asap: bool,
    /// When its output buffer was first seen over the soft limit, while it
    /// stays over (obuf_soft_limit_reached_time).
    pub obuf_soft_since: Option<Millis>,
    /// Its connection is closed already (freeClient at once, as CLIENT KILL
    /// of another client): nothing more goes out, it is only forgotten.
    pub socket_closed: bool,
    pub created: Millis,
    pub last_interaction: Millis,
    /// Last command name, for CLIENT LIST `cmd=`.
    pub last_cmd: String,
    /// The table entry of the last command this client sent.
    pub last_def: LastDef,
    /// The master link never gets replies (REPLCONF ACKs go out directly).
    pub no_reply: bool,
    /// SCRIPT DEBUG SYNC: this client's EVALs run in the Lua debugger.
    pub lua_debug_sync: bool,
    /// CLIENT REPLY ON / OFF / SKIP.
    pub reply_mode: ReplyMode,
    /// Pub/sub pushes written while replies are silenced: they still go out,
    /// as 7.0's CLIENT_PUSHING lets them through.
    pub pushes: ReplyBuf,
    /// Replication offset after this client's last write (for WAIT).
    pub woff: u64,
    /// Running inside EXEC: blocking commands must not block.
    pub in_exec: bool,
}

/// The command a client sent last: a client sends the same command over
/// and over more often than not, and comparing its name costs less than
/// a lookup in the table.
#[derive(Clone, Copy, Default)]
pub struct LastDef(Option<&'static CommandDef>);

impl LastDef {
    /// The command named `name` in `table` (any case).
    pub fn lookup(&mut self, table: &CommandTable, name: &[u8]) -> Option<&'static CommandDef> {
        // Names in the table are unique and lower case: an equal name is
        // the entry the table would give, unless `rename-command` moved it.
        if let Some(d) = self
            .0
            .filter(|d| !table.is_renamed() && d.name.as_bytes().eq_ignore_ascii_case(name))
        {
            return Some(d);
        }
        let found = table.get(name);
        if found.is_some() {
            self.0 = found;
        }
        found
    }
}

impl std::fmt::Debug for LastDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.map_or("-", |d| d.name))
    }
}

/// CLIENT REPLY state (7.0's CLIENT_REPLY_OFF / _SKIP_NEXT / _SKIP flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// CLIENT REPLY SKIP ran: the next command's reply is dropped.
    SkipNext,
    /// This command's reply is dropped.
    Skip,
}

impl Client {
    pub fn new(id: u64, conn: ConnId, addr: Addr, laddr: Addr, now: Millis) -> Client {
        Client {
            id,
            conn,
            addr,
            laddr,
            name: None,
            db: 0,
            reply: ReplyBuf::new(2),
            parser: RequestParser::new(),
            query: BytesMut::new(),
            query_size: QueryBufSize::default(),
            reply_size: super::reply_buffer::ReplyBufSize::new(now),
            authenticated: true,
            user: "default".into(),
            kind: ClientKind::Normal,
            multi: None,
            watched: Vec::new(),
            watched_stale: Vec::new(),
            dirty_cas: false,
            monitor: false,
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            shard_channels: BTreeSet::new(),
            blocked: None,
            postponed: None,
            tracking: None,
            no_evict: false,
            migrating: None,
            close_after_reply: false,
            close_asap: false,
            obuf_soft_since: None,
            socket_closed: false,
            created: now,
            last_interaction: now,
            last_cmd: "NULL".into(),
            last_def: LastDef::default(),
            no_reply: false,
            lua_debug_sync: false,
            reply_mode: ReplyMode::On,
            pushes: ReplyBuf::new(2),
            in_exec: false,
            woff: 0,
        }
    }

    /// Replies to this client are dropped now (the master link, CLIENT REPLY
    /// OFF, or the command after CLIENT REPLY SKIP).
    pub fn silenced(&self) -> bool {
        self.no_reply || matches!(self.reply_mode, ReplyMode::Off | ReplyMode::Skip)
    }

    /// Where a pub/sub push goes: the reply buffer, or while replies are
    /// silenced the pushes kept aside from them.
    pub fn push_out(&mut self) -> &mut ReplyBuf {
        if self.silenced() {
            self.pushes.resp = self.reply.resp;
            &mut self.pushes
        } else {
            &mut self.reply
        }
    }

    /// Drop the replies written since `from` if they are silenced, then
    /// append the pushes kept aside.
    pub fn settle_replies(&mut self, from: usize) {
        if self.silenced() {
            self.reply.buf.truncate(from);
        }
        if !self.pushes.is_empty() {
            let pushes = self.pushes.take();
            self.reply.raw(&pushes);
        }
    }

    /// resetClient: a SKIP silences only the command after CLIENT REPLY SKIP.
    pub fn command_done(&mut self) {
        self.reply_mode = match self.reply_mode {
            ReplyMode::Skip => ReplyMode::On,
            ReplyMode::SkipNext => ReplyMode::Skip,
            m => m,
        };
    }

    /// Subscribed to at least one channel, pattern or shard channel.
    pub fn in_pubsub(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty() || !self.shard_channels.is_empty()
    }

    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}
