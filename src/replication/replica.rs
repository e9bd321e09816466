//! The replica side: the link to our master, from connect to streaming.

use super::{LinkState, MasterLink, Transfer};
use crate::node::{Addr, ConnId, Event, LogLevel, Millis, Output, Role};
use crate::resp::Frame;
use crate::server::config::Key;
use crate::server::{Client, ClientKind, ClientTable, Server, ServerState};

/// Retry a failed connection after this long (Redis's replicationCron runs every second).
const RETRY_MS: Millis = 1000;

/// Close the master link (if any), keeping the replica configuration.
fn drop_link(st: &mut ServerState, clients: &mut ClientTable) {
    let Some(link) = st.repl.link.as_mut() else {
        return;
    };
    let conn = link.conn.take();
    let was_streaming = link.state == LinkState::Connected;
    link.state = LinkState::Connect;
    link.buf.clear();
    if let Some(conn) = conn {
        st.out.push_back(Output::Close { conn });
        if was_streaming {
            if let Some(c) = clients.remove(&conn) {
                st.pending.remove(&c.conn);
                st.client_ids.remove(&c.id);
                // replicationCacheMaster: freeing the master client keeps
                // its state, with the database its stream selected.
                link.cached_master = Some(super::CachedMaster { id: c.id, db: c.db });
            }
        }
    }
}

/// disconnectSlaves: our replicas reconnect, and so learn a new replication
/// id (with a partial resync when our history allows it). They are closed at
/// once and forgotten when the server flushes pending clients.
fn disconnect_replicas(st: &mut ServerState, clients: &mut ClientTable) {
    let conns: Vec<ConnId> = st.repl.replicas.keys().copied().collect();
    for conn in conns {
        if let Some(c) = clients.get_mut(&conn) {
            c.close_after_reply = true;
            c.socket_closed = true;
            st.pending.insert(conn);
            st.out.push_back(Output::Close { conn });
        }
    }
}

/// replicationUnsetMaster over the state and the other clients, so a
/// command (PSYNC FAILOVER) can promote the node it runs on.
pub(crate) fn become_master(
    st: &mut ServerState,
    clients: &mut ClientTable,
    requested_by: Option<&str>,
) {
    if !st.repl.is_replica() {
        return;
    }
    drop_link(st, clients);
    st.repl.link = None;
    let _ = st.config.set(Key::REPLICAOF, &[]);
    let old = st.repl.replid.clone();
    let new_id = st.rng.hex_id();
    st.repl.shift_replid(new_id);
    st.log(
        LogLevel::Warning,
        format!(
            "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
            old, st.repl.second_offset, st.repl.replid
        ),
    );
    // Replicas of ours must see the new id: they reconnect.
    disconnect_replicas(st, clients);
    for db in &mut st.dbs {
        db.replica_mode = false;
    }
    if st.repl.backlog.is_none() {
        let size = st.config.get_i64(Key::REPL_BACKLOG_SIZE).max(16384) as usize;
        st.repl.backlog = Some(super::backlog::Backlog::new(size, st.repl.offset + 1));
    }
    st.repl.seldb = None;
    if let Err(e) = st.apply_oom_score() {
        st.log(LogLevel::Warning, e);
    }
    if let Some(who) = requested_by {
        st.log(
            LogLevel::Notice,
            format!("MASTER MODE enabled (user request from '{who}')"),
        );
    }
    st.emit(Event::RoleChanged { role: Role::Master });
}

impl Server {
    /// Become a replica of `addr` (REPLICAOF host port, or `replicaof` in the config).
    pub fn repl_set_master(&mut self, addr: Addr, requested_by: Option<String>) {
        self.repl_become_replica(addr.clone(), requested_by.is_some());
        if let Some(who) = requested_by {
            self.st.log(
                LogLevel::Notice,
                format!(
                    "REPLICAOF {}:{} enabled (user request from '{}')",
                    addr.host, addr.port, who
                ),
            );
        }
    }

    /// replicationSetMaster: `live` when asked at run time (REPLICAOF,
    /// FAILOVER), which connects at once; at startup the first cron does.
    pub(crate) fn repl_become_replica(&mut self, addr: Addr, live: bool) {
        let was_master = !self.st.repl.is_replica();
        self.repl_drop_link();
        // A replica moving to another master keeps its cached master (7.0's
        // server.cached_master outlives replicationSetMaster).
        let cached_master = self.st.repl.link.as_ref().and_then(|l| l.cached_master);
        self.disconnect_blocked_clients();
        if was_master {
            // A `replicaof` in the config sets the master without this step (and line).
            if live {
                self.st.log(
                    LogLevel::Notice,
                    "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
                );
            }
            self.st.emit(Event::RoleChanged { role: Role::Slave });
        }
        for db in &mut self.st.dbs {
            db.replica_mode = true;
        }
        // CONFIG GET / CONFIG REWRITE follow the live role, as in Redis.
        let _ = self
            .st
            .config
            .set(Key::REPLICAOF, &[addr.host.clone(), addr.port.to_string()]);
        let now = self.st.now;
        self.st.repl.link = Some(MasterLink {
            addr: addr.clone(),
            state: LinkState::Connect,
            conn: None,
            buf: Vec::new(),
            full_replid: String::new(),
            full_offset: 0,
            last_io: now,
            down_since: now,
            sync_started: now,
            retry_at: now,
            last_ack: now,
            was_connected: false,
            cached_master,
            stream_db: 0,
        });
        if let Err(e) = self.st.apply_oom_score() {
            self.st.log(LogLevel::Warning, e);
        }
        if live {
            self.repl_connect();
        }
    }

    /// Stop being a replica (REPLICAOF NO ONE).
    pub fn repl_unset_master(&mut self, requested_by: String) {
        self.repl_become_master(Some(&requested_by));
    }

    /// replicationUnsetMaster; `requested_by` names the REPLICAOF NO ONE
    /// caller in the log (a failover logs its own line).
    pub(crate) fn repl_become_master(&mut self, requested_by: Option<&str>) {
        become_master(&mut self.st, &mut self.clients, requested_by);
    }

    /// Close the master link (if any), keeping the replica configuration.
    fn repl_drop_link(&mut self) {
        drop_link(&mut self.st, &mut self.clients);
    }

    fn repl_connect(&mut self) {
        let now = self.st.now;
        let Some(link) = self.st.repl.link.as_ref() else {
            return;
        };
        let addr = link.addr.clone();
        let verb = if link.was_connected {
            "Reconnecting"
        } else {
            "Connecting"
        };
        self.st.log(
            LogLevel::Notice,
            format!("{verb} to MASTER {}:{}", addr.host, addr.port),
        );
        let conn = self.st.connect(addr);
        if let Some(link) = self.st.repl.link.as_mut() {
            link.conn = Some(conn);
            link.state = LinkState::Connecting;
            link.sync_started = now;
            link.buf.clear();
        }
        self.st
            .log(LogLevel::Notice, "MASTER <-> REPLICA sync started");
    }

    /// Is this connection our master link during handshake/transfer?
    pub(crate) fn repl_owns(&self, conn: ConnId) -> bool {
        self.st
            .repl
            .link
            .as_ref()
            .is_some_and(|l| l.conn == Some(conn) && l.state != LinkState::Connected)
    }

    fn send_link(&mut self, argv: &[&str]) {
        if let Some(conn) = self.st.repl.link.as_ref().and_then(|l| l.conn) {
            self.st.out.push_back(Output::Send {
                conn,
                bytes: Frame::command(argv.iter().map(|s| s.as_bytes())),
            });
        }
    }

    pub(crate) fn repl_link_connected(&mut self, conn: ConnId) {
        if !self.repl_owns(conn) {
            return;
        }
        self.st.log(
            LogLevel::Notice,
            "Non blocking connect for SYNC fired the event.",
        );
        if let Some(l) = self.st.repl.link.as_mut() {
            l.state = LinkState::ReceivePong;
            l.last_io = self.st.now;
        }
        self.send_link(&["PING"]);
    }

    pub(crate) fn repl_link_failed(&mut self, conn: ConnId, reason: &str) {
        if !self.repl_owns(conn) {
            return;
        }
        // A name that does not resolve fails before any connection: 7.0's
        // connectWithMaster logs it as a failed connect, not a socket error.
        let msg = if let Some(why) = reason.strip_prefix(crate::node::LOOKUP_FAILED) {
            let why = why.trim_start_matches(':').trim_start();
            format!("Unable to connect to MASTER: {why}")
        } else {
            format!("Error condition on socket for SYNC: {reason}")
        };
        self.st.log(LogLevel::Warning, msg);
        self.repl_link_reset_for_retry();
    }

    fn repl_link_reset_for_retry(&mut self) {
        let now = self.st.now;
        if let Some(l) = self.st.repl.link.as_mut() {
            if let Some(c) = l.conn.take() {
                self.st.out.push_back(Output::Close { conn: c });
            }
            l.state = LinkState::Connect;
            l.buf.clear();
            l.retry_at = now + RETRY_MS;
        }
    }

    /// Bytes on the master link before streaming starts.
    pub(crate) fn repl_link_data(&mut self, conn: ConnId, bytes: &[u8]) {
        let now = self.st.now;
        self.st.stats.net_repl_input_bytes += bytes.len() as u64;
        if let Some(l) = self.st.repl.link.as_mut() {
            l.buf.extend_from_slice(bytes);
            l.last_io = now;
        }
        loop {
            let Some(link) = self.st.repl.link.as_ref() else {
                return;
            };
            if link.conn != Some(conn) {
                return;
            }
            let progressed = match link.state.clone() {
                LinkState::Transfer(t) => self.repl_transfer(t),
                LinkState::Connected => return,
                _ => self.repl_handshake_step(),
            };
            if !progressed {
                return;
            }
        }
    }

    /// Read one reply line of the handshake; the master may send bare newlines
    /// as keepalives while it prepares a snapshot.
    fn take_line(&mut self) -> Option<String> {
        let link = self.st.repl.link.as_mut()?;
        loop {
            let pos = link.buf.iter().position(|&b| b == b'\n')?;
            let line: Vec<u8> = link.buf.drain(..=pos).collect();
            let s = String::from_utf8_lossy(&line)
                .trim_end_matches(['\r', '\n'])
                .to_string();
            if s.is_empty() {
                link.last_io = self.st.now;
                continue;
            }
            return Some(s);
        }
    }

    fn repl_handshake_step(&mut self) -> bool {
        let state = match self.st.repl.link.as_ref() {
            Some(l) => l.state.clone(),
            None => return false,
        };
        match state {
            LinkState::ReceivePong => {
                let Some(line) = self.take_line() else {
                    return false;
                };
                if line.starts_with('-')
                    && !line.starts_with("-NOAUTH")
                    && !line.starts_with("-NOPERM")
                    && !line.starts_with("-ERR operation not permitted")
                {
                    self.st.log(
                        LogLevel::Warning,
                        format!("Error reply to PING from master: '{}'", &line[1..]),
                    );
                    self.repl_link_reset_for_retry();
                    return false;
                }
                self.st.log(
                    LogLevel::Notice,
                    "Master replied to PING, replication can continue...",
                );
                let mut inflight = Vec::new();
                let auth = self.st.config.get(Key::MASTERAUTH).to_string();
                let user = self.st.config.get(Key::MASTERUSER).to_string();
                if !auth.is_empty() {
                    if user.is_empty() {
                        self.send_link(&["AUTH", &auth]);
                    } else {
                        self.send_link(&["AUTH", &user, &auth]);
                    }
                    inflight.push("auth");
                }
                let port = match self.st.config.get_i64(Key::REPLICA_ANNOUNCE_PORT) {
                    0 => self.st.config.get_i64(Key::PORT),
                    p => p,
                }
                .to_string();
                self.send_link(&["REPLCONF", "listening-port", &port]);
                inflight.push("port");
                let ip = self.st.config.get(Key::REPLICA_ANNOUNCE_IP).to_string();
                if !ip.is_empty() {
                    self.send_link(&["REPLCONF", "ip-address", &ip]);
                    inflight.push("ip");
                }
                self.send_link(&["REPLCONF", "capa", "eof", "capa", "psync2"]);
                inflight.push("capa");
                inflight.reverse();
                if let Some(l) = self.st.repl.link.as_mut() {
                    l.state = LinkState::ReceiveReplies(inflight);
                }
                true
            }
            LinkState::ReceiveReplies(mut inflight) => {
                let Some(line) = self.take_line() else {
                    return false;
                };
                let what = inflight.pop().unwrap_or("capa");
                if line.starts_with('-') {
                    // 7.0 logs the whole error reply, its '-' included.
                    let err = &line;
                    match what {
                        "auth" => {
                            self.st.log(LogLevel::Warning, format!("Unable to AUTH to MASTER: {err}"));
                            self.repl_link_reset_for_retry();
                            return false;
                        }
                        "port" => self.st.log(
                            LogLevel::Notice,
                            format!("(Non critical) Master does not understand REPLCONF listening-port: {err}"),
                        ),
                        "ip" => self.st.log(
                            LogLevel::Notice,
                            format!("(Non critical) Master does not understand REPLCONF ip-address: {err}"),
                        ),
                        _ => self.st.log(
                            LogLevel::Notice,
                            format!("(Non critical) Master does not understand REPLCONF capa: {err}"),
                        ),
                    }
                }
                if inflight.is_empty() {
                    self.send_psync();
                } else if let Some(l) = self.st.repl.link.as_mut() {
                    l.state = LinkState::ReceiveReplies(inflight);
                }
                true
            }
            LinkState::ReceivePsync => {
                let Some(line) = self.take_line() else {
                    return false;
                };
                self.on_psync_reply(&line)
            }
            _ => false,
        }
    }

    fn send_psync(&mut self) {
        // PSYNC2: our own replid/offset stand for a cached master, whatever we were before.
        let has_history = self.st.repl.offset > 0 || self.st.repl.backlog.is_some();
        let (id, off) = if has_history {
            let id = self.st.repl.replid.clone();
            let off = (self.st.repl.offset + 1).to_string();
            self.st.log(
                LogLevel::Notice,
                format!("Trying a partial resynchronization (request {id}:{off})."),
            );
            (id, off)
        } else {
            self.st.log(
                LogLevel::Notice,
                "Partial resynchronization not possible (no cached master)",
            );
            ("?".to_string(), "-1".to_string())
        };
        if self.failover_in_progress() {
            self.send_link(&["PSYNC", &id, &off, "FAILOVER"]);
        } else {
            self.send_link(&["PSYNC", &id, &off]);
        }
        if let Some(l) = self.st.repl.link.as_mut() {
            l.state = LinkState::ReceivePsync;
        }
    }

    fn on_psync_reply(&mut self, line: &str) -> bool {
        // A failover under way ends here, one way or the other.
        let accepted = line.starts_with("+FULLRESYNC") || line.starts_with("+CONTINUE");
        if !self.failover_psync_answered(accepted) {
            return false;
        }
        if let Some(rest) = line.strip_prefix("+FULLRESYNC") {
            let mut it = rest.split_whitespace();
            let id = it.next().unwrap_or("").to_string();
            let off: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            self.st.log(
                LogLevel::Notice,
                format!("Full resync from master: {id}:{off}"),
            );
            if self.st.repl.offset > 0 {
                self.st.log(
                    LogLevel::Notice,
                    "Discarding previously cached master state.",
                );
            }
            if let Some(l) = self.st.repl.link.as_mut() {
                // replicationDiscardCachedMaster: the stream starts over.
                l.cached_master = None;
                l.full_replid = id;
                l.full_offset = off;
                // The payload header comes next.
                l.state = LinkState::Transfer(Transfer::Len { total: usize::MAX });
            }
            return true;
        }
        if let Some(rest) = line.strip_prefix("+CONTINUE") {
            let new_id = rest.trim().to_string();
            self.st.log(
                LogLevel::Notice,
                "Successful partial resynchronization with master.",
            );
            if !new_id.is_empty() && new_id != self.st.repl.replid {
                let old = std::mem::replace(&mut self.st.repl.replid, new_id.clone());
                self.st.repl.replid2 = old;
                self.st.repl.second_offset = self.st.repl.offset as i64 + 1;
                self.st.log(
                    LogLevel::Warning,
                    format!("Master replication ID changed to {new_id}"),
                );
                // Sub-replicas need to be told of the new id.
                disconnect_replicas(&mut self.st, &mut self.clients);
            }
            self.st.log(
                LogLevel::Notice,
                "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
            );
            // A replica restarted from its RDB file has no backlog yet.
            if self.st.repl.backlog.is_none() {
                let size = self.st.config.get_i64(Key::REPL_BACKLOG_SIZE).max(16384) as usize;
                let next = self.st.repl.offset + 1;
                self.st.repl.backlog = Some(super::backlog::Backlog::new(size, next));
            }
            self.repl_start_streaming(true);
            return true;
        }
        if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
            self.st.log(
                LogLevel::Notice,
                format!("Master is currently unable to PSYNC but should be in the future: {line}"),
            );
        } else {
            // PSYNC_NOT_SUPPORTED: 7.0 falls back to the old SYNC.
            self.st.log(
                LogLevel::Warning,
                format!("Unexpected reply to PSYNC from master: {line}"),
            );
            self.st.log(LogLevel::Notice, "Retrying with SYNC...");
            self.send_link(&["SYNC"]);
            if let Some(l) = self.st.repl.link.as_mut() {
                l.full_replid.clear();
                l.full_offset = 0;
                l.state = LinkState::Transfer(Transfer::Len { total: usize::MAX });
            }
            return true;
        }
        self.repl_link_reset_for_retry();
        false
    }

    /// readSyncBulkPayload's error path (cancelReplicationHandshake(1)):
    /// drop the link and connect again at once, not on the next cron run.
    fn repl_reconnect_after_failure(&mut self) {
        self.repl_drop_link();
        let Some(addr) = self.st.repl.link.as_ref().map(|l| l.addr.clone()) else {
            return;
        };
        self.st.log(
            LogLevel::Notice,
            format!(
                "Reconnecting to MASTER {}:{} after failure",
                addr.host, addr.port
            ),
        );
        let now = self.st.now;
        let conn = self.st.connect(addr);
        if let Some(link) = self.st.repl.link.as_mut() {
            link.conn = Some(conn);
            link.state = LinkState::Connecting;
            link.sync_started = now;
            link.buf.clear();
        }
        self.st
            .log(LogLevel::Notice, "MASTER <-> REPLICA sync started");
    }

    /// Receive the RDB payload (`$<len>` or `$EOF:<mark>` framing).
    fn repl_transfer(&mut self, t: Transfer) -> bool {
        match t {
            Transfer::Len { total } if total == usize::MAX => {
                let Some(line) = self.take_line() else {
                    return false;
                };
                if let Some(err) = line.strip_prefix('-') {
                    self.st.log(
                        LogLevel::Warning,
                        format!("MASTER aborted replication with an error: {err}"),
                    );
                    self.repl_reconnect_after_failure();
                    return false;
                }
                let Some(hdr) = line.strip_prefix('$') else {
                    self.st.log(
                        LogLevel::Warning,
                        format!("Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?"),
                    );
                    self.repl_reconnect_after_failure();
                    return false;
                };
                let diskless = self.use_diskless_load();
                let to = if diskless { "to parser" } else { "to disk" };
                let next = if let Some(mark) = hdr.strip_prefix("EOF:") {
                    self.st.log(
                        LogLevel::Notice,
                        format!("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF {to}"),
                    );
                    Transfer::Eof {
                        mark: mark.as_bytes().to_vec(),
                        scanned: 0,
                    }
                } else {
                    let n: usize = hdr.parse().unwrap_or(0);
                    self.st.log(
                        LogLevel::Notice,
                        format!("MASTER <-> REPLICA sync: receiving {n} bytes from master {to}"),
                    );
                    Transfer::Len { total: n }
                };
                let next = if diskless {
                    self.repl_start_diskless_load(next)
                } else {
                    next
                };
                if let Some(l) = self.st.repl.link.as_mut() {
                    l.state = LinkState::Transfer(next);
                }
                true
            }
            Transfer::Parser { mark, left } => {
                let Some(l) = self.st.repl.link.as_mut() else {
                    return false;
                };
                let n = left.min(l.buf.len());
                if n == 0 {
                    return false;
                }
                let bytes: Vec<u8> = l.buf.drain(..n).collect();
                let left = if mark.is_some() { left } else { left - n };
                l.state = LinkState::Transfer(Transfer::Parser { mark, left });
                self.feed_load(bytes, left == 0);
                false
            }
            Transfer::Len { total } => {
                let have = self.st.repl.link.as_ref().map(|l| l.buf.len()).unwrap_or(0);
                if have < total {
                    return false;
                }
                let payload: Vec<u8> = match self.st.repl.link.as_mut() {
                    Some(l) => l.buf.drain(..total).collect(),
                    None => return false,
                };
                self.repl_load_payload(payload)
            }
            Transfer::Loading => false,
            Transfer::Eof { mark, scanned } => {
                let Some(l) = self.st.repl.link.as_mut() else {
                    return false;
                };
                let width = mark.len().max(1);
                // A mark may straddle what was scanned and what is new.
                let from = scanned.saturating_sub(width - 1).min(l.buf.len());
                let Some(pos) = l.buf[from..]
                    .windows(width)
                    .position(|w| w == mark.as_slice())
                    .map(|p| p + from)
                else {
                    let scanned = l.buf.len();
                    l.state = LinkState::Transfer(Transfer::Eof { mark, scanned });
                    return false;
                };
                let payload: Vec<u8> = match self.st.repl.link.as_mut() {
                    Some(l) => {
                        let p = l.buf.drain(..pos).collect();
                        l.buf.drain(..mark.len());
                        p
                    }
                    None => return false,
                };
                self.repl_load_payload(payload)
            }
        }
    }

    /// The whole payload is here: the old data goes and the payload loads
    /// as a job ([`crate::server::loading`]), which ends in
    /// [`Server::repl_payload_loaded`].
    fn repl_load_payload(&mut self, payload: Vec<u8>) -> bool {
        // No AOF rewrite may run while the data is replaced; the AOF starts
        // again (with a rewrite) once the sync is done.
        if self.st.aof.state != crate::server::aof::AofState::Off {
            self.st.aof_stop();
        }
        self.st.kill_save_before_replica_load();
        // replicationAttachToNewMaster: our replicas resync with us too.
        disconnect_replicas(&mut self.st, &mut self.clients);
        self.st.log(
            LogLevel::Notice,
            "MASTER <-> REPLICA sync: Flushing old data",
        );
        for db in &mut self.st.dbs {
            db.clear();
        }
        self.st.log(
            LogLevel::Notice,
            "MASTER <-> REPLICA sync: Loading DB in memory",
        );
        if let Some(l) = self.st.repl.link.as_mut() {
            l.state = LinkState::Transfer(Transfer::Loading);
        }
        self.start_rdb_load(
            payload,
            crate::server::loading::LoadPurpose::MasterSync {
                diskless: false,
                swapdb: false,
            },
        );
        // The load runs in the rounds that follow.
        false
    }

    /// useDisklessLoad: `repl-diskless-load swapdb`, or `on-empty-db`
    /// with no key.
    fn use_diskless_load(&self) -> bool {
        match self.st.config.get(Key::REPL_DISKLESS_LOAD) {
            "swapdb" => true,
            "on-empty-db" => self.st.dbs.iter().all(|d| d.is_empty()),
            _ => false,
        }
    }

    /// readSyncBulkPayload with a diskless load: the load starts before
    /// the payload's first byte; `swapdb` keeps the old data beside it
    /// (served, with `async_loading`, when the master's history is ours).
    fn repl_start_diskless_load(&mut self, framing: Transfer) -> Transfer {
        if self.st.aof.state != crate::server::aof::AofState::Off {
            self.st.aof_stop();
        }
        if let Some(k) = self.st.kill_bgsave() {
            self.st.bgsave_killed(k);
        }
        let swapdb = self.st.config.get(Key::REPL_DISKLESS_LOAD) == "swapdb";
        if !swapdb {
            self.repl_attach_to_new_master();
            self.st.log(
                LogLevel::Notice,
                "MASTER <-> REPLICA sync: Flushing old data",
            );
            for db in &mut self.st.dbs {
                db.clear();
            }
        }
        self.st.log(
            LogLevel::Notice,
            "MASTER <-> REPLICA sync: Loading DB in memory",
        );
        let same_history = self
            .st
            .repl
            .link
            .as_ref()
            .is_some_and(|l| l.full_replid == self.st.repl.replid);
        let (mark, total) = match framing {
            Transfer::Eof { mark, .. } => (Some(mark), usize::MAX),
            Transfer::Len { total } => (None, total),
            _ => (None, 0),
        };
        let trailer = mark.as_ref().map_or(0, |m| m.len());
        let known = if mark.is_some() { 0 } else { total as u64 };
        self.start_streaming_load(
            known,
            trailer,
            swapdb && same_history,
            crate::server::loading::LoadPurpose::MasterSync {
                diskless: true,
                swapdb,
            },
        );
        Transfer::Parser { mark, left: total }
    }

    /// replicationAttachToNewMaster: our replicas resync with us too.
    pub(crate) fn repl_attach_to_new_master(&mut self) {
        disconnect_replicas(&mut self.st, &mut self.clients);
    }

    /// cancelReplicationHandshake after a load that failed.
    pub(crate) fn repl_cancel_after_failed_load(&mut self) {
        self.repl_reconnect_after_failure();
    }

    /// The payload's load ended: streaming starts, or the sync is retried.
    /// `trailing`: what followed the file (a diskless load's end mark, and
    /// the stream after it).
    pub(crate) fn repl_payload_loaded(
        &mut self,
        result: Result<crate::rdb::Aux, String>,
        trailing: Vec<u8>,
    ) {
        if let Err(e) = result {
            self.st.log(
                LogLevel::Warning,
                format!("Failed trying to load the MASTER synchronization DB from socket: {e}"),
            );
            self.repl_link_reset_for_retry();
            self.restart_aof_after_sync();
            return;
        }
        if !self.repl_link_loading() {
            // REPLICAOF changed the master meanwhile: the data stays, as
            // loaded, and the new link syncs again.
            return;
        }
        if let Some(l) = self.st.repl.link.as_mut() {
            let mut rest = trailing;
            if let LinkState::Transfer(Transfer::Parser { mark: Some(m), .. }) = &l.state {
                if !rest.starts_with(m) {
                    self.st
                        .log(LogLevel::Warning, "Replication stream EOF marker is broken");
                    self.repl_cancel_after_failed_load();
                    return;
                }
                rest.drain(..m.len());
            }
            rest.extend_from_slice(&l.buf);
            l.buf = rest;
        }
        let (id, off, conn) = match self.st.repl.link.as_ref() {
            Some(l) => (l.full_replid.clone(), l.full_offset, l.conn),
            None => return,
        };
        self.st.repl.replid = id;
        self.st.repl.offset = off;
        self.st.repl.replid2 = super::NULL_REPLID.into();
        self.st.repl.second_offset = -1;
        let size = self.st.config.get_i64(Key::REPL_BACKLOG_SIZE).max(16384) as usize;
        self.st.repl.backlog = Some(super::backlog::Backlog::new(size, off + 1));
        self.st.log(
            LogLevel::Notice,
            "MASTER <-> REPLICA sync: Finished with success",
        );
        if conn.is_some() {
            self.repl_start_streaming(false);
        } else {
            // The master left while we loaded: PSYNC from what we have.
            self.st.log(
                LogLevel::Warning,
                "Master closed the connection during the handshake.",
            );
            self.repl_link_reset_for_retry();
        }
        self.restart_aof_after_sync();
    }

    /// restartAOFAfterSYNC: with `appendonly yes`, a rewrite of the synced
    /// data, then appends to the new files.
    fn restart_aof_after_sync(&mut self) {
        if self.st.config.get_bool(Key::APPENDONLY)
            && self.st.aof.state == crate::server::aof::AofState::Off
            && self.st.aof_start(false).is_err()
        {
            self.st.log(LogLevel::Warning, "Failed enabling the AOF after successful master synchronization! Trying it again in one second.");
        }
    }

    /// The link becomes a client of kind Master; leftover bytes are commands.
    /// `resume` after +CONTINUE: the cached master client comes back
    /// (replicationResurrectCachedMaster), same id, same selected database.
    fn repl_start_streaming(&mut self, resume: bool) {
        let now = self.st.now;
        let Some(link) = self.st.repl.link.as_mut() else {
            return;
        };
        let Some(conn) = link.conn else {
            return;
        };
        link.state = LinkState::Connected;
        link.was_connected = true;
        link.last_io = now;
        let rest = std::mem::take(&mut link.buf);
        let addr = link.addr.clone();
        let cached = link.cached_master.take().filter(|_| resume);
        let id = match cached {
            Some(m) => m.id,
            None => {
                self.st.next_client_id += 1;
                self.st.next_client_id - 1
            }
        };
        let mut c = Box::new(Client::new(id, conn, addr, Addr::new("127.0.0.1", 0), now));
        c.kind = ClientKind::Master;
        c.db = cached.map_or(0, |m| m.db);
        if let Some(l) = self.st.repl.link.as_mut() {
            l.stream_db = c.db;
        }
        c.authenticated = true;
        c.no_reply = true;
        self.st.client_ids.insert(id, conn);
        self.clients.insert(conn, c);
        // Send an ACK right away, as Redis does after a sync.
        self.repl_send_ack();
        if !rest.is_empty() {
            self.data_from_master(conn, &rest);
        }
    }

    pub(crate) fn data_from_master(&mut self, conn: ConnId, bytes: &[u8]) {
        self.data(conn, bytes);
    }

    /// REPLCONF ACK <offset> to our master.
    pub(crate) fn repl_send_ack(&mut self) {
        let off = self.st.repl.offset.to_string();
        let Some(conn) = self
            .st
            .repl
            .link
            .as_ref()
            .filter(|l| l.state == LinkState::Connected)
            .and_then(|l| l.conn)
        else {
            return;
        };
        self.st.out.push_back(Output::Send {
            conn,
            bytes: Frame::command(["REPLCONF", "ACK", off.as_str()]),
        });
        if let Some(l) = self.st.repl.link.as_mut() {
            l.last_ack = self.st.now;
        }
    }

    /// afterErrorReply for our master's command: the error goes nowhere
    /// (our master gets no replies) but means the data may diverge, so it
    /// is logged with the end of the backlog (showLatestBacklog).
    pub(crate) fn repl_error_to_master(&mut self, c: &Client, from: usize, known: bool) {
        let reply = &c.reply.buf[from..];
        let end = reply
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(reply.len());
        // 7.0 logs messages it formatted without their "ERR " and shared
        // ones (other codes) as they are.
        let line = &reply[1..end.max(1)];
        let msg = line.strip_prefix(b"ERR ").unwrap_or(&reply[..end]);
        let msg = String::from_utf8_lossy(&msg[..msg.len().min(4096)]).into_owned();
        let cmd = if known {
            c.last_cmd.as_str()
        } else {
            "<unknown>"
        };
        self.st.log(
            LogLevel::Warning,
            format!("== CRITICAL == This replica is sending an error to its master: '{msg}' after processing the command '{cmd}'"),
        );
        if let Some(b) = self.st.repl.backlog.as_ref().filter(|b| b.histlen() > 0) {
            let n = b.histlen().min(256) as u64;
            let tail = b
                .since(b.first_offset + b.histlen() as u64 - n)
                .unwrap_or_default();
            let dump = crate::resp::repr(&tail);
            self.st
                .log(LogLevel::Warning, format!("Latest backlog is: '{dump}'"));
        }
    }

    /// The streaming link broke: cache the state and reconnect later.
    pub(crate) fn repl_master_link_lost(&mut self, id: u64, db: usize) {
        let now = self.st.now;
        let Some(l) = self.st.repl.link.as_mut() else {
            return;
        };
        if l.state != LinkState::Connected {
            return;
        }
        l.state = LinkState::Connect;
        l.conn = None;
        l.cached_master = Some(super::CachedMaster { id, db });
        l.down_since = now;
        l.retry_at = now;
        self.st
            .log(LogLevel::Warning, "Connection with master lost.");
        self.st
            .log(LogLevel::Notice, "Caching the disconnected master state.");
    }

    /// The handshake link closed before streaming.
    pub(crate) fn repl_link_closed(&mut self, conn: ConnId) {
        if !self.repl_owns(conn) {
            return;
        }
        let loading = self.repl_link_loading();
        let parsing = self
            .st
            .repl
            .link
            .as_ref()
            .is_some_and(|l| matches!(l.state, LinkState::Transfer(Transfer::Parser { .. })));
        if let Some(l) = self.st.repl.link.as_mut() {
            l.conn = None;
        }
        if parsing {
            // The socket ended inside the payload: a short read.
            let at = self.st.load_progress.loaded_bytes as usize;
            self.finish_load(Err(crate::rdb::RdbError::short_read(at)));
            return;
        }
        if loading {
            // Not read while the payload loads: seen when it is loaded.
            return;
        }
        self.st.log(
            LogLevel::Warning,
            "Master closed the connection during the handshake.",
        );
        self.repl_link_reset_for_retry();
    }

    /// Replica-side cron, once a second: reconnect, ACK, master timeout.
    pub(crate) fn repl_replica_cron(&mut self) {
        let now = self.st.now;
        let timeout = self.st.config.get_i64(Key::REPL_TIMEOUT).max(1) as u64 * 1000;
        let Some(l) = self.st.repl.link.as_ref() else {
            return;
        };
        let (state, retry_at, last_io, conn) = (l.state.clone(), l.retry_at, l.last_io, l.conn);
        match state {
            LinkState::Connect if now >= retry_at => self.repl_connect(),
            LinkState::Connect => {}
            LinkState::Connected => {
                if now.saturating_sub(last_io) > timeout {
                    self.st.log(
                        LogLevel::Warning,
                        "MASTER timeout: no data nor PING received...",
                    );
                    if let Some(conn) = conn {
                        self.kill_client(conn);
                    }
                } else {
                    self.repl_send_ack();
                }
            }
            _ => {
                if now.saturating_sub(last_io) > timeout {
                    self.st
                        .log(LogLevel::Warning, "Timeout connecting to the MASTER...");
                    self.repl_link_reset_for_retry();
                }
            }
        }
    }
}
