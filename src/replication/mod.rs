//! Master–replica replication (PSYNC2), both sides, as Redis 7.0 does it.
//!
//! - `master`: replicas registry, the backlog, feeding the stream, PSYNC/SYNC,
//!   REPLCONF, WAIT, full syncs.
//! - `replica`: the link to our master: handshake, RDB transfer, the command
//!   stream, ACKs, reconnects.
//! - `commands`: REPLICAOF/SLAVEOF, ROLE, PSYNC, SYNC, REPLCONF, WAIT.
//!
//! All state lives in [`ReplState`] inside `ServerState`, so INFO and the
//! command handlers can read it.

pub mod backlog;
pub mod commands;
pub mod failover;
pub mod info;
pub mod master;
pub mod rdb_info;
pub mod replica;
pub mod unapplied;

use crate::node::{Addr, ConnId, Millis};
use backlog::Backlog;

pub const NULL_REPLID: &str = "0000000000000000000000000000000000000000";

/// Where a replica we serve stands (Redis's `SLAVE_STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    WaitBgsaveStart,
    WaitBgsaveEnd,
    SendBulk,
    Online,
}

impl ReplicaState {
    pub fn name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

/// A replica connected to us, or a client in the middle of its handshake.
#[derive(Clone, Debug)]
pub struct ReplicaInfo {
    pub ip: String,
    pub listening_port: u16,
    pub state: ReplicaState,
    pub ack_offset: u64,
    /// Host time of the last REPLCONF ACK (or of attach).
    pub ack_time: Millis,
    pub capa_eof: bool,
    pub capa_psync2: bool,
    /// Host time its output buffer first reached the soft limit
    /// (`obuf_soft_limit_reached_time`), while it stays over it.
    pub obuf_soft_since: Option<Millis>,
    /// Over an output buffer limit: closed at the end of this round
    /// (Redis's `CLIENT_CLOSE_ASAP`).
    pub close_asap: bool,
    /// Attached with the old SYNC (Redis's `CLIENT_PRE_PSYNC`): no
    /// +FULLRESYNC line, no REPLCONF ACKs expected, never timed out.
    pub pre_psync: bool,
    /// While a diskless transfer waits for its socket to drain: since when
    /// (`repl_last_partial_write`), for repl-timeout.
    pub partial_write_since: Option<Millis>,
    /// What it asked the snapshot to leave out (REPLCONF rdb-filter-only,
    /// 7.0's `slave_req`): a filtered snapshot goes to sockets only.
    pub filter: SnapshotFilter,
}

/// Parts of a full sync's snapshot a replica (`redis-cli --functions-rdb`)
/// asked to leave out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SnapshotFilter {
    pub exclude_data: bool,
    pub exclude_functions: bool,
}

impl SnapshotFilter {
    pub fn any(self) -> bool {
        self.exclude_data || self.exclude_functions
    }
}

impl ReplicaInfo {
    /// Redis's replicationGetSlaveName.
    pub fn name(&self) -> String {
        let host = if self.ip.contains(':') {
            format!("[{}]", self.ip)
        } else {
            self.ip.clone()
        };
        if self.listening_port == 0 {
            format!("{}:<unknown-replica-port>", self.ip)
        } else {
            format!("{host}:{}", self.listening_port)
        }
    }
}

/// Replica-side link states (Redis's `REPL_STATE_*`), for INFO and ROLE.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkState {
    /// Must connect (first time, or after a failure).
    Connect,
    /// Connection requested, not established yet.
    Connecting,
    /// PING sent, waiting for PONG.
    ReceivePong,
    /// AUTH / REPLCONF replies expected; the names of the commands in flight.
    ReceiveReplies(Vec<&'static str>),
    /// PSYNC sent.
    ReceivePsync,
    /// Receiving the RDB payload.
    Transfer(Transfer),
    /// Streaming commands from the master.
    Connected,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Transfer {
    /// `$<len>`: this many bytes remain.
    Len { total: usize },
    /// `$EOF:<mark>`: read until the 40-byte mark. `scanned` bytes of the
    /// buffer are known not to hold it, so each read searches only what is
    /// new (a payload arrives in thousands of reads).
    Eof { mark: Vec<u8>, scanned: usize },
    /// The whole payload arrived and is being loaded (a [`LoadJob`]); the
    /// master's bytes wait in the buffer, unread, as Redis stops reading
    /// the link while it loads.
    ///
    /// [`LoadJob`]: crate::server::loading::LoadJob
    Loading,
    /// `repl-diskless-load`: the payload is decoded as it arrives (a
    /// [`LoadJob`] fed from the link). `left`: bytes still to come of a
    /// `$<len>` payload; `mark`: the `$EOF:` mark that ends it instead.
    ///
    /// [`LoadJob`]: crate::server::loading::LoadJob
    Parser { mark: Option<Vec<u8>>, left: usize },
}

/// Our link to our master, while we are a replica.
#[derive(Clone, Debug)]
pub struct MasterLink {
    pub addr: Addr,
    pub state: LinkState,
    pub conn: Option<ConnId>,
    /// Bytes received during handshake / transfer not consumed yet.
    pub buf: Vec<u8>,
    /// Replication id and offset announced by +FULLRESYNC.
    pub full_replid: String,
    pub full_offset: u64,
    pub last_io: Millis,
    /// When the link went down (for master_link_down_since_seconds).
    pub down_since: Millis,
    pub sync_started: Millis,
    /// Next time to try connecting.
    pub retry_at: Millis,
    pub last_ack: Millis,
    /// Whether the link ever completed a sync (decides "Connecting"/"Reconnecting").
    pub was_connected: bool,
    /// The master client of the lost link (replicationCacheMaster): a
    /// partial resync resumes it, with its id and the database the stream
    /// had selected, since the backlog carries no new SELECT.
    pub cached_master: Option<CachedMaster>,
    /// The database the master's stream has selected, while connected.
    pub stream_db: usize,
}

/// What of the master client outlives its connection, for a partial resync.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CachedMaster {
    pub id: u64,
    pub db: usize,
}

/// A client waiting in WAIT.
#[derive(Clone, Debug)]
pub struct Waiter {
    pub conn: ConnId,
    pub offset: u64,
    pub numreplicas: usize,
    pub deadline: Option<Millis>,
}

#[derive(Debug)]
pub struct ReplState {
    pub replid: String,
    pub replid2: String,
    /// `master_repl_offset`: bytes of replication stream produced (or processed, on a replica).
    pub offset: u64,
    /// `second_repl_offset`, -1 when there is no second id.
    pub second_offset: i64,
    pub backlog: Option<Backlog>,
    /// Database the stream last SELECTed, so the next write knows whether to emit SELECT.
    pub seldb: Option<usize>,
    /// Replicas attached to us, by connection.
    pub replicas: crate::vecmap::VecMap<ConnId, ReplicaInfo>,
    /// REPLCONF data from clients that have not sent PSYNC yet.
    pub handshakes: crate::vecmap::VecMap<ConnId, ReplicaInfo>,
    /// When the pending full-sync snapshot should be taken.
    pub bgsave_at: Option<Millis>,
    pub link: Option<MasterLink>,
    pub waiters: Vec<Waiter>,
    /// Replication cron runs so far: PINGs go out when it is a multiple of
    /// repl-ping-replica-period, as 7.0 counts them (so a period raised to
    /// 3600 silences the stream at once).
    pub cron_loops: u64,
    pub next_cron: Millis,
    /// When we last had no replicas (for the backlog TTL).
    pub no_replicas_since: Millis,
    /// Fake process id printed in "started by pid" lines (the host's pid natively).
    pub pid: u32,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// A coordinated failover (FAILOVER) under way.
    pub failover: failover::Failover,
    /// The last fed commands' encoding, emptied: the next feed writes into
    /// it instead of a new buffer per write command.
    pub feed_buf: Vec<u8>,
}

impl ReplState {
    pub fn new(replid: String, now: Millis) -> ReplState {
        ReplState {
            replid,
            replid2: NULL_REPLID.to_string(),
            offset: 0,
            second_offset: -1,
            backlog: None,
            seldb: None,
            replicas: crate::vecmap::VecMap::new(),
            handshakes: crate::vecmap::VecMap::new(),
            bgsave_at: None,
            link: None,
            waiters: Vec::new(),
            cron_loops: 0,
            next_cron: now,
            no_replicas_since: now,
            pid: 1,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            failover: Default::default(),
            feed_buf: Vec::new(),
        }
    }

    pub fn is_replica(&self) -> bool {
        self.link.is_some()
    }

    /// `shiftReplicationId`: keep the old id valid up to our offset, take a new one.
    pub fn shift_replid(&mut self, new_id: String) {
        self.replid2 = std::mem::replace(&mut self.replid, new_id);
        self.second_offset = self.offset as i64 + 1;
    }

    /// Replicas whose last ACK is recent enough for min-replicas-to-write.
    pub fn good_replicas(&self, now: Millis, max_lag_secs: u64) -> usize {
        self.replicas
            .values()
            .filter(|r| {
                r.state == ReplicaState::Online
                    && now.saturating_sub(r.ack_time) / 1000 <= max_lag_secs
            })
            .count()
    }
}

/// Encode one command as the RESP multibulk the stream carries.
pub fn encode_command(argv: &[bytes::Bytes], out: &mut Vec<u8>) {
    let mut b = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(b.format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in argv {
        out.push(b'$');
        out.extend_from_slice(b.format(a.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod fuzz_tests {
    use crate::node::{Addr, ConnId, Input, Node, Output};
    use crate::rng::Rng;
    use crate::server::{Config, Key, Server};

    /// A replica fed arbitrary bytes by its "master" at every stage of the
    /// handshake and stream never panics (and keeps answering clients).
    #[test]
    fn replica_survives_garbage_from_its_master() {
        let mut rng = Rng::new(42);
        let prefixes: [&[u8]; 6] = [
            b"",
            b"+PONG\r\n",
            b"+PONG\r\n+OK\r\n+OK\r\n",
            b"+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n",
            b"+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC 0123456789012345678901234567890123456789 0\r\n$EOF:0123456789012345678901234567890123456789\r\n",
            b"+PONG\r\n+OK\r\n+OK\r\n+CONTINUE 0123456789012345678901234567890123456789\r\n",
        ];
        for round in 0..600 {
            let mut config = Config::default();
            config
                .set(Key::REPLICAOF, &["10.0.0.1".into(), "6379".into()])
                .unwrap();
            let mut s = Server::new(config, 1_000, round);
            s.handle(2_000, Input::Tick);
            let mut link = None;
            while let Some(o) = s.poll_output() {
                if let Output::Connect { conn, .. } = o {
                    link = Some(conn);
                }
            }
            let conn = link.expect("replica connects to its master");
            s.handle(
                2_001,
                Input::Connected {
                    conn,
                    local: Addr::new("10.0.0.2", 1234),
                },
            );
            let mut bytes = prefixes[round as usize % prefixes.len()].to_vec();
            let n = rng.below(300) as usize;
            for _ in 0..n {
                bytes.push(match rng.below(4) {
                    0 => b"\r\n*$+-:0123456789"[rng.below(17) as usize],
                    _ => rng.below(256) as u8,
                });
            }
            // Deliver in random pieces.
            let mut at = 0;
            while at < bytes.len() {
                let k = 1 + rng.below(64) as usize;
                let end = (at + k).min(bytes.len());
                s.handle(
                    2_002,
                    Input::Data {
                        conn,
                        bytes: &bytes[at..end],
                    },
                );
                while s.poll_output().is_some() {}
                at = end;
            }
            s.handle(70_000, Input::Tick);
            while s.poll_output().is_some() {}
            // Still serving clients.
            s.handle(
                70_001,
                Input::Accepted {
                    conn: ConnId(1),
                    peer: Addr::new("127.0.0.1", 5),
                    local: Addr::new("127.0.0.1", 6379),
                },
            );
            s.handle(
                70_002,
                Input::Data {
                    conn: ConnId(1),
                    bytes: b"PING\r\n",
                },
            );
            let mut pong = false;
            while let Some(o) = s.poll_output() {
                if let Output::Send {
                    conn: ConnId(1),
                    bytes,
                } = o
                {
                    pong |= bytes == b"+PONG\r\n";
                }
            }
            assert!(pong, "round {round}");
        }
    }
}
