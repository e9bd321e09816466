//! The master side: feeding the stream to replicas and the backlog, full syncs,
//! pings, ACK bookkeeping, WAIT.

use super::{encode_command, ReplicaState, NULL_REPLID};
use crate::node::{ConnId, LogLevel, Output};
use crate::server::{ClientKind, Server, ServerState};
use bytes::Bytes;

/// What a full sync sends: the RDB snapshot of the dataset now.
pub fn snapshot(st: &ServerState) -> Vec<u8> {
    crate::replication::commands::rdb_snapshot(st)
}

impl Server {
    /// Turn the writes of the last commands into stream bytes for the backlog
    /// and every online replica.
    pub(crate) fn repl_feed_replicas(&mut self) {
        if self.st.repl_feed.is_empty() {
            return;
        }
        let feed = std::mem::take(&mut self.st.repl_feed);
        #[cfg(test)]
        self.st.propagated.extend(feed.iter().cloned());
        // A replica proxies its master's stream byte for byte instead.
        if self.st.repl.is_replica() {
            return;
        }
        if self.st.repl.backlog.is_none() && self.st.repl.replicas.is_empty() {
            return;
        }
        let mut bytes = Vec::new();
        for (db, argv) in feed {
            if db != usize::MAX && self.st.repl.seldb != Some(db) {
                let sel = [Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())];
                encode_command(&sel, &mut bytes);
                self.st.repl.seldb = Some(db);
            }
            encode_command(&argv, &mut bytes);
        }
        self.repl_stream(&bytes);
    }

    /// Append raw stream bytes: offset, backlog, online replicas.
    pub(crate) fn repl_stream(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let r = &mut self.st.repl;
        r.offset += bytes.len() as u64;
        if let Some(b) = r.backlog.as_mut() {
            b.append(bytes);
        }
        let online: Vec<ConnId> = r
            .replicas
            .iter()
            .filter(|(_, i)| i.state == ReplicaState::Online)
            .map(|(c, _)| *c)
            .collect();
        for conn in online {
            if let Some(c) = self.clients.get_mut(&conn) {
                c.reply.raw(bytes);
                self.st.pending.insert(conn);
            }
        }
    }

    /// Master-side periodic work, once a second: pings, newline keepalives,
    /// delayed full syncs, timeouts, WAIT deadlines.
    pub(crate) fn repl_master_cron(&mut self) {
        let now = self.st.now;
        if let Some(at) = self.st.repl.bgsave_at {
            if now >= at {
                self.repl_start_full_sync();
            }
        }
        // Replicas waiting for their snapshot get a newline each second.
        let waiting: Vec<ConnId> = self
            .st
            .repl
            .replicas
            .iter()
            .filter(|(_, i)| i.state == ReplicaState::WaitBgsaveStart)
            .map(|(c, _)| *c)
            .collect();
        for conn in waiting {
            if let Some(c) = self.clients.get_mut(&conn) {
                c.reply.raw(b"\n");
                self.st.pending.insert(conn);
            }
        }
        // PING the replicas every repl-ping-replica-period, through the stream.
        let period = self.st.config.get_i64("repl-ping-replica-period").max(1) as u64 * 1000;
        if now >= self.st.repl.next_ping {
            self.st.repl.next_ping = now + period;
            if !self.st.repl.is_replica() && !self.st.repl.replicas.is_empty() {
                let mut bytes = Vec::new();
                encode_command(&[Bytes::from_static(b"PING")], &mut bytes);
                self.repl_stream(&bytes);
            }
        }
        // Replicas that stopped ACKing.
        let timeout = self.st.config.get_i64("repl-timeout").max(1) as u64 * 1000;
        let dead: Vec<(ConnId, String)> = self
            .st
            .repl
            .replicas
            .iter()
            .filter(|(_, i)| {
                i.state == ReplicaState::Online && now.saturating_sub(i.ack_time) > timeout
            })
            .map(|(c, i)| (*c, i.name()))
            .collect();
        for (conn, name) in dead {
            self.st.log(
                LogLevel::Warning,
                format!("Disconnecting timedout replica (streaming sync): {name}"),
            );
            self.kill_client(conn);
        }
        self.repl_check_waiters();
        if self.st.repl.replicas.is_empty() {
            // Backlog TTL: a master without replicas frees it after repl-backlog-ttl.
            let ttl = self.st.config.get_i64("repl-backlog-ttl") as u64 * 1000;
            if ttl > 0
                && !self.st.repl.is_replica()
                && self.st.repl.backlog.is_some()
                && now.saturating_sub(self.st.repl.no_replicas_since) > ttl
            {
                self.st.repl.backlog = None;
                let newid = self.st.rng.hex_id();
                self.st.repl.replid = newid;
                self.st.repl.replid2 = NULL_REPLID.into();
                self.st.repl.second_offset = -1;
                self.st.log(
                    LogLevel::Notice,
                    format!(
                        "Replication backlog freed after {} seconds without connected replicas.",
                        ttl / 1000
                    ),
                );
            }
        } else {
            self.st.repl.no_replicas_since = now;
        }
    }

    /// Take the snapshot for every replica waiting for a full sync and send it.
    pub(crate) fn repl_start_full_sync(&mut self) {
        self.st.repl.bgsave_at = None;
        let waiting: Vec<ConnId> = self
            .st
            .repl
            .replicas
            .iter()
            .filter(|(_, i)| i.state == ReplicaState::WaitBgsaveStart)
            .map(|(c, _)| *c)
            .collect();
        if waiting.is_empty() {
            return;
        }
        let diskless = self.st.config.get_bool("repl-diskless-sync");
        let pid = self.st.repl.pid;
        if diskless {
            self.st.log(
                LogLevel::Notice,
                "Starting BGSAVE for SYNC with target: replicas sockets",
            );
            self.st.log(
                LogLevel::Notice,
                format!("Background RDB transfer started by pid {pid}"),
            );
        } else {
            self.st.log(
                LogLevel::Notice,
                "Starting BGSAVE for SYNC with target: disk",
            );
            self.st.log(
                LogLevel::Notice,
                format!("Background saving started by pid {pid}"),
            );
        }
        let rdb = snapshot(&self.st);
        let replid = self.st.repl.replid.clone();
        let offset = self.st.repl.offset;
        // Every write after this point is streamed: the snapshot holds what came before.
        self.st.repl.seldb = None;
        for conn in &waiting {
            let Some(info) = self.st.repl.replicas.get_mut(conn) else {
                continue;
            };
            let use_eof = diskless && info.capa_eof;
            info.state = ReplicaState::Online;
            info.ack_time = self.st.now;
            let name = info.name();
            let Some(c) = self.clients.get_mut(conn) else {
                continue;
            };
            c.reply
                .raw(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
            if use_eof {
                let mark = self.st.rng.hex_id();
                c.reply.raw(format!("$EOF:{mark}\r\n").as_bytes());
                c.reply.raw(&rdb);
                c.reply.raw(mark.as_bytes());
            } else {
                c.reply.raw(format!("${}\r\n", rdb.len()).as_bytes());
                c.reply.raw(&rdb);
            }
            self.st.pending.insert(*conn);
            if use_eof {
                self.st.log(
                    LogLevel::Notice,
                    format!("Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming"),
                );
            }
            self.st.log(
                LogLevel::Notice,
                format!("Synchronization with replica {name} succeeded"),
            );
        }
        if diskless {
            self.st.log(
                LogLevel::Notice,
                "Background RDB transfer terminated with success",
            );
        } else {
            self.st.log(LogLevel::Notice, "DB saved on disk");
            self.st.log(
                LogLevel::Notice,
                "Background saving terminated with success",
            );
        }
    }

    /// Reply to WAITers whose replicas acknowledged enough, or whose time is up.
    pub(crate) fn repl_check_waiters(&mut self) {
        if self.st.repl.waiters.is_empty() {
            return;
        }
        let now = self.st.now;
        let waiters = std::mem::take(&mut self.st.repl.waiters);
        for w in waiters {
            let acked = self
                .st
                .repl
                .replicas
                .values()
                .filter(|r| r.ack_offset >= w.offset)
                .count();
            let expired = w.deadline.is_some_and(|d| now >= d);
            if acked >= w.numreplicas || expired {
                if let Some(mut c) = self.clients.remove(&w.conn) {
                    c.blocked = None;
                    c.reply.int(acked as i64);
                    self.resume_client(&mut c);
                    self.clients.insert(w.conn, c);
                    self.st.pending.insert(w.conn);
                }
            } else {
                self.st.repl.waiters.push(w);
            }
        }
    }

    /// Ask every replica for an ACK now (WAIT does this).
    pub(crate) fn repl_request_acks(&mut self) {
        let mut bytes = Vec::new();
        encode_command(
            &[
                Bytes::from_static(b"REPLCONF"),
                Bytes::from_static(b"GETACK"),
                Bytes::from_static(b"*"),
            ],
            &mut bytes,
        );
        self.repl_stream(&bytes);
    }

    /// A client is going away: forget it as a replica or half-done handshake.
    pub(crate) fn repl_forget_client(&mut self, conn: ConnId, kind: ClientKind) {
        self.st.repl.handshakes.remove(&conn);
        if let Some(info) = self.st.repl.replicas.remove(&conn) {
            self.st.log(
                LogLevel::Warning,
                format!("Connection with replica {} lost.", info.name()),
            );
            if self.st.repl.replicas.is_empty() {
                self.st.repl.no_replicas_since = self.st.now;
            }
        }
        self.st.repl.waiters.retain(|w| w.conn != conn);
        if kind == ClientKind::Master {
            self.repl_master_link_lost();
        }
    }

    /// Close a client as CLIENT KILL would.
    pub(crate) fn kill_client(&mut self, conn: ConnId) {
        self.st.out.push_back(Output::Close { conn });
        self.free_client(conn);
    }
}
