//! The master side: feeding the stream to replicas and the backlog, full syncs,
//! pings, ACK bookkeeping, WAIT.

use super::{encode_command, ReplicaState, NULL_REPLID};
use crate::node::{ConnId, LogLevel, Output};
use crate::server::persistence::SaveTarget;
use crate::server::{ClientKind, Server};
use bytes::Bytes;

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
        // Replicas waiting for a snapshot get this after it.
        if let Some(bg) = self.st.bgsave_job.as_mut() {
            if !bg.replicas.is_empty() {
                bg.stream.extend_from_slice(bytes);
            }
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
        // Replicas waiting for their snapshot get a newline each second
        // (not in the middle of a socket transfer).
        let disk_save = self
            .st
            .bgsave_job
            .as_ref()
            .is_some_and(|b| b.target == SaveTarget::Disk);
        let waiting: Vec<ConnId> = self
            .st
            .repl
            .replicas
            .iter()
            .filter(|(_, i)| {
                i.state == ReplicaState::WaitBgsaveStart
                    || (disk_save && i.state == ReplicaState::WaitBgsaveEnd)
            })
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

    /// Start the snapshot for every replica waiting for a full sync: each gets
    /// +FULLRESYNC now, the RDB as the background save writes it, then the
    /// stream produced since it began (see `Server::bgsave_step`).
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
        // Writes applied so far belong before the snapshot's offset.
        self.repl_feed_replicas();
        let replid = self.st.repl.replid.clone();
        if let Some(bg) = self.st.bgsave_job.as_mut() {
            // One save at a time (one child in Redis): attach to a disk save
            // made for replicas, or wait for the next one.
            if bg.target == SaveTarget::Disk && !bg.replicas.is_empty() {
                let offset = bg.start_offset;
                for conn in &waiting {
                    bg.replicas.push((*conn, None));
                }
                for conn in waiting {
                    self.full_resync_reply(conn, &replid, offset);
                    self.st
                        .log(LogLevel::Notice, "Waiting for end of BGSAVE for SYNC");
                }
            } else if bg.target == SaveTarget::Disk {
                self.st.log(
                    LogLevel::Notice,
                    "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
                );
            } else {
                self.st.log(
                    LogLevel::Notice,
                    "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC",
                );
            }
            return;
        }
        // A socket target only if every replica reads `$EOF:` (startBgsaveForReplication).
        let diskless = self.st.config.get_bool("repl-diskless-sync")
            && waiting
                .iter()
                .all(|c| self.st.repl.replicas.get(c).is_some_and(|i| i.capa_eof));
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
        let offset = self.st.repl.offset;
        let job = self
            .st
            .start_snapshot(Some((0, replid.clone(), offset as i64)));
        // Every write after this point is streamed: the snapshot holds what came before.
        self.st.repl.seldb = None;
        let mut replicas = Vec::new();
        for conn in waiting {
            self.full_resync_reply(conn, &replid, offset);
            if diskless {
                let mark = self.st.rng.hex_id();
                if let Some(c) = self.clients.get_mut(&conn) {
                    c.reply.raw(format!("$EOF:{mark}\r\n").as_bytes());
                }
                replicas.push((conn, Some(mark)));
            } else {
                replicas.push((conn, None));
            }
        }
        let target = if diskless {
            SaveTarget::Sockets
        } else {
            SaveTarget::Disk
        };
        self.st.begin_bgsave(job, target, pid.into(), replicas);
    }

    /// +FULLRESYNC to a replica; it now waits for the end of the save.
    fn full_resync_reply(&mut self, conn: ConnId, replid: &str, offset: u64) {
        let Some(info) = self.st.repl.replicas.get_mut(&conn) else {
            return;
        };
        info.state = ReplicaState::WaitBgsaveEnd;
        if let Some(c) = self.clients.get_mut(&conn) {
            c.reply
                .raw(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
            self.st.pending.insert(conn);
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
