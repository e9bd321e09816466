//! A client connection's state on the server side.

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
    pub authenticated: bool,
    pub user: String,
    pub kind: ClientKind,
    pub multi: Option<Multi>,
    /// Keys WATCHed: (db, key).
    pub watched: Vec<(usize, Bytes)>,
    /// A WATCHed key changed: EXEC must fail.
    pub dirty_cas: bool,
    pub channels: BTreeSet<Bytes>,
    pub patterns: BTreeSet<Bytes>,
    pub blocked: Option<Blocked>,
    /// Close once the pending reply is written (QUIT, protocol errors, CLIENT KILL).
    pub close_after_reply: bool,
    pub created: Millis,
    pub last_interaction: Millis,
    /// Last command name, for CLIENT LIST `cmd=`.
    pub last_cmd: String,
    /// Replies suppressed (CLIENT REPLY OFF/SKIP; the master link never gets replies).
    pub no_reply: bool,
    /// Replication offset after this client's last write (for WAIT).
    pub woff: u64,
    /// Running inside EXEC: blocking commands must not block.
    pub in_exec: bool,
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
            authenticated: true,
            user: "default".into(),
            kind: ClientKind::Normal,
            multi: None,
            watched: Vec::new(),
            dirty_cas: false,
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            blocked: None,
            close_after_reply: false,
            created: now,
            last_interaction: now,
            last_cmd: "NULL".into(),
            no_reply: false,
            in_exec: false,
            woff: 0,
        }
    }

    /// Subscribed to at least one channel or pattern.
    pub fn in_pubsub(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty()
    }

    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}
