//! The master side: feeding the stream to replicas and the backlog, full syncs,
//! pings, ACK bookkeeping, WAIT.

use super::{encode_command, ReplicaState, NULL_REPLID};
use crate::node::{ConnId, LogLevel, Millis, Output};
use crate::server::config::Key;
use crate::server::fork::ChildKind;
use crate::server::persistence::SaveTarget;
use crate::server::{ClientKind, Propagated, Server, ServerState};
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
        self.st.propagated.extend(
            feed.iter()
                .filter(|p| p.target & Propagated::REPL != 0)
                .map(|p| (p.db, p.argv.clone())),
        );
        // The AOF takes the same feed, a replica's included (its master's
        // writes are logged too), with its own SELECT tracking.
        self.st.aof_feed(&feed);
        // A replica proxies its master's stream byte for byte instead.
        if self.st.repl.is_replica()
            || (self.st.repl.backlog.is_none() && self.st.repl.replicas.is_empty())
        {
            self.reuse_repl_feed(feed);
            return;
        }
        let mut bytes = std::mem::take(&mut self.st.repl.feed_buf);
        for &Propagated {
            db,
            ref argv,
            target,
        } in feed.iter()
        {
            if target & Propagated::REPL == 0 {
                continue;
            }
            if db != usize::MAX && self.st.repl.seldb != Some(db) {
                let sel = [Bytes::from_static(b"SELECT"), Bytes::from(db.to_string())];
                encode_command(&sel, &mut bytes);
                self.st.repl.seldb = Some(db);
            }
            encode_command(argv, &mut bytes);
        }
        self.reuse_repl_feed(feed);
        self.repl_stream(&bytes);
        // Kept for the next feed (a big transaction's is let go).
        if bytes.capacity() <= 64 * 1024 {
            bytes.clear();
            self.st.repl.feed_buf = bytes;
        }
    }

    /// Give the fed entries' vector back, emptied, for the next commands:
    /// a fresh one would be allocated for every write (a big transaction's
    /// is let go, not kept).
    fn reuse_repl_feed(&mut self, mut feed: Vec<Propagated>) {
        if self.st.repl_feed.is_empty() && feed.capacity() <= 64 {
            feed.clear();
            self.st.repl_feed = feed;
        }
    }

    /// Append raw stream bytes: offset, backlog, online replicas.
    pub(crate) fn repl_stream(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        // Replicas waiting for a snapshot get this after it, from the backlog.
        let keep = self.st.backlog_keep_from();
        let r = &mut self.st.repl;
        r.offset += bytes.len() as u64;
        if let Some(b) = r.backlog.as_mut() {
            b.append(bytes, keep);
        }
        let online = r
            .replicas
            .iter()
            .filter(|(_, i)| i.state == ReplicaState::Online);
        for (&conn, _) in online {
            // A replica being closed (CLIENT KILL) takes no more output, as
            // prepareClientToWrite refuses clients flagged to close.
            if let Some(c) = self.clients.get_mut(&conn).filter(|c| !c.close_after_reply) {
                c.reply.raw(bytes);
                self.st.pending.insert(conn);
            }
        }
        if keep.is_some() {
            self.repl_check_output_limits();
        }
    }

    /// `client-output-buffer-limit` for the replicas waiting on a save: their
    /// output buffer holds the stream produced since it began (Redis's
    /// `closeClientOnOutputBufferLimitReached(c, 1)` as the stream is fed).
    /// A replica over the limit is logged and closed at the end of the round.
    ///
    /// Only this buffer is the core's to measure: what it hands the host in
    /// [`Output::Send`] leaves its accounting (the host owns the socket and
    /// does not report what is still unwritten).
    fn repl_check_output_limits(&mut self) {
        let Some(bg) = self.st.bgsave_job.as_ref() else {
            return;
        };
        let used = self.st.repl.offset.saturating_sub(bg.start_offset);
        let conns: Vec<ConnId> = bg.replicas.iter().map(|(c, _)| *c).collect();
        let limit =
            output_buffer_limit(self.st.config.get(Key::CLIENT_OUTPUT_BUFFER_LIMIT), "slave");
        let now = self.st.now;
        for conn in conns {
            let Some(info) = self.st.repl.replicas.get_mut(&conn) else {
                continue;
            };
            if info.state != ReplicaState::WaitBgsaveEnd || info.close_asap {
                continue;
            }
            if !over_output_limit(&mut info.obuf_soft_since, used, limit, now) {
                continue;
            }
            info.close_asap = true;
            let Some(c) = self.clients.get(&conn) else {
                continue;
            };
            // omem: the buffered stream (CLIENT LIST's line knows only replies).
            let line = crate::commands::client::client_line(c, now, None, 0).replacen(
                " omem=0 ",
                &format!(" omem={used} "),
                1,
            );
            self.st.log(
                LogLevel::Warning,
                format!(
                    "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    line.trim_end()
                ),
            );
            self.st
                .repl_actions
                .push(super::commands::ReplAction::DropReplica(conn));
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
        // PING the replicas every repl-ping-replica-period cron runs, through the stream.
        let period = self.st.config.get_i64(Key::REPL_PING_REPLICA_PERIOD).max(1) as u64;
        if self.st.repl.cron_loops.is_multiple_of(period)
            && !self.st.repl.is_replica()
            && !self.st.repl.replicas.is_empty()
        {
            let mut bytes = Vec::new();
            encode_command(&[Bytes::from_static(b"PING")], &mut bytes);
            self.repl_stream(&bytes);
        }
        // Replicas that stopped ACKing.
        let timeout = self.st.config.get_i64(Key::REPL_TIMEOUT).max(1) as u64 * 1000;
        let dead: Vec<(ConnId, String)> = self
            .st
            .repl
            .replicas
            .iter()
            .filter(|(_, i)| {
                i.state == ReplicaState::Online
                    && !i.pre_psync
                    && now.saturating_sub(i.ack_time) > timeout
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
        // Diskless transfers stuck on a replica that stopped reading.
        let stuck: Vec<(ConnId, String)> = self
            .st
            .repl
            .replicas
            .iter()
            .filter(|(_, i)| {
                i.state == ReplicaState::WaitBgsaveEnd
                    && i.partial_write_since
                        .is_some_and(|t| now.saturating_sub(t) > timeout)
            })
            .map(|(c, i)| (*c, i.name()))
            .collect();
        for (conn, name) in stuck {
            self.st.log(
                LogLevel::Warning,
                format!("Disconnecting timedout replica (full sync): {name}"),
            );
            self.kill_client(conn);
        }
        self.repl_check_waiters();
        // The stream kept for replicas that are gone or served goes
        // (7.0's incrementalTrimReplicationBacklog).
        let keep = self.st.backlog_keep_from();
        if let Some(b) = self.st.repl.backlog.as_mut() {
            b.trim(keep);
        }
        if self.st.repl.replicas.is_empty() {
            // Backlog TTL: a master without replicas frees it after repl-backlog-ttl.
            let ttl = self.st.config.get_i64(Key::REPL_BACKLOG_TTL) as u64 * 1000;
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
        let mut waiting: Vec<(ConnId, super::SnapshotFilter)> = self
            .st
            .repl
            .replicas
            .iter()
            .filter(|(_, i)| i.state == ReplicaState::WaitBgsaveStart)
            .map(|(c, i)| (*c, i.filter))
            .collect();
        // One snapshot serves the replicas that asked for the same parts
        // (the first one's); the others wait for the next.
        let Some(&(_, filter)) = waiting.first() else {
            return;
        };
        waiting.retain(|(_, f)| *f == filter);
        let waiting: Vec<ConnId> = waiting.into_iter().map(|(c, _)| c).collect();
        // Writes applied so far belong before the snapshot's offset.
        self.repl_feed_replicas();
        let replid = self.st.repl.replid.clone();
        if let Some(bg) = self.st.bgsave_job.as_ref() {
            // One save at a time (one child in Redis): attach to a disk save
            // made for replicas, or wait for the next one. A newcomer attaches
            // only with at least the capabilities of the replica the save
            // was made for.
            let capa = |i: &super::ReplicaInfo| (i.capa_eof, i.capa_psync2);
            let reference = bg
                .replicas
                .iter()
                .filter_map(|(c, _)| self.st.repl.replicas.get(c))
                .find(|i| i.state == ReplicaState::WaitBgsaveEnd)
                .map(capa);
            if let (SaveTarget::Disk, Some((eof, psync2)), false) =
                (bg.target, reference, filter.any())
            {
                let offset = bg.start_offset;
                for conn in waiting {
                    let has = self.st.repl.replicas.get(&conn).map(capa);
                    if !has.is_some_and(|(e, p)| (e || !eof) && (p || !psync2)) {
                        self.st.log(
                            LogLevel::Notice,
                            "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
                        );
                        continue;
                    }
                    if let Some(bg) = self.st.bgsave_job.as_mut() {
                        bg.replicas.push((conn, None));
                    }
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
        let diskless = (self.st.config.get_bool(Key::REPL_DISKLESS_SYNC) || filter.any())
            && waiting
                .iter()
                .all(|c| self.st.repl.replicas.get(c).is_some_and(|i| i.capa_eof));
        let pid = u64::from(self.st.repl.pid);
        let child = if diskless {
            self.st.log(
                LogLevel::Notice,
                "Starting BGSAVE for SYNC with target: replicas sockets",
            );
            self.st.fork_child(
                ChildKind::RdbToReplicas,
                "Background RDB transfer started by pid",
                pid,
            )
        } else {
            self.st.log(
                LogLevel::Notice,
                "Starting BGSAVE for SYNC with target: disk",
            );
            self.st
                .fork_child(ChildKind::Rdb, "Background saving started by pid", pid)
        };
        let offset = self.st.repl.offset;
        let job = self
            .st
            .start_snapshot_of(Some((0, replid.clone(), offset as i64)), filter);
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
        self.st.begin_bgsave(job, target, child, replicas);
    }

    /// +FULLRESYNC to a replica; it now waits for the end of the save.
    fn full_resync_reply(&mut self, conn: ConnId, replid: &str, offset: u64) {
        let Some(info) = self.st.repl.replicas.get_mut(&conn) else {
            return;
        };
        info.state = ReplicaState::WaitBgsaveEnd;
        let pre_psync = info.pre_psync;
        if let Some(c) = self.clients.get_mut(&conn) {
            if !pre_psync {
                c.reply
                    .raw(format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes());
            }
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
                if let Some(mut c) = self.clients.take(&w.conn) {
                    c.blocked = None;
                    c.reply.int(acked as i64);
                    self.resume_client(&mut c);
                    self.clients.put(w.conn, c);
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

    /// A replica's command produced a reply: the link carries the stream
    /// only, so the reply is dropped and the replica closed, as 7.0's
    /// logInvalidUseAndFreeClientAsync.
    pub(crate) fn repl_replica_replied(&mut self, c: &mut crate::server::Client, from: usize) {
        c.reply.buf.truncate(from);
        let info =
            crate::commands::client::client_line(c, self.st.now, None, self.st.unsent(c.conn));
        self.st.log(
            LogLevel::Warning,
            format!(
                "Replica generated a reply to command '{}', disconnecting it: {}",
                c.last_cmd,
                info.trim_end()
            ),
        );
        c.close_after_reply = true;
    }

    /// A client is going away: forget it as a replica or half-done handshake.
    pub(crate) fn repl_forget_client(&mut self, conn: ConnId, c: &crate::server::Client) {
        self.st.repl.handshakes.remove(&conn);
        if let Some(info) = self.st.repl.replicas.remove(&conn) {
            self.st.log(
                LogLevel::Warning,
                format!("Connection with replica {} lost.", info.name()),
            );
            // freeClient: a save to disk made only for replicas none of
            // which waits for it any more is useless (without save points).
            let useless = info.state == ReplicaState::WaitBgsaveEnd
                && self.st.config.save_points().is_empty()
                && self.st.bgsave_job.as_ref().is_some_and(|b| {
                    b.target == crate::server::persistence::SaveTarget::Disk
                        && b.finishing.is_none()
                })
                && !self
                    .st
                    .repl
                    .replicas
                    .values()
                    .any(|r| r.state == ReplicaState::WaitBgsaveEnd);
            if useless {
                if let Some(k) = self.st.kill_bgsave() {
                    self.st.bgsave_killed(k);
                }
            }
            // The stream kept for it alone goes with it.
            let keep = self.st.backlog_keep_from();
            if let Some(b) = self.st.repl.backlog.as_mut() {
                b.trim(keep);
            }
            if self.st.repl.replicas.is_empty() {
                self.st.repl.no_replicas_since = self.st.now;
            }
        }
        self.st.repl.waiters.retain(|w| w.conn != conn);
        if c.kind == ClientKind::Master {
            self.repl_master_link_lost(c.id, c.db);
        }
    }

    /// Close a client as CLIENT KILL would.
    pub(crate) fn kill_client(&mut self, conn: ConnId) {
        self.st.out.push_back(Output::Close { conn });
        self.free_client(conn);
    }
}

/// One class (`normal`, `slave`, `pubsub`) of the normalised
/// `client-output-buffer-limit` value: (hard bytes, soft bytes, soft seconds),
/// zeros for no limit.
pub fn output_buffer_limit(value: &str, class: &str) -> (u64, u64, u64) {
    let parts: Vec<&str> = value.split_whitespace().collect();
    parts
        .chunks_exact(4)
        .find(|c| c[0] == class)
        .map(|c| {
            let n = |s: &str| s.parse::<u64>().unwrap_or(0);
            (n(c[1]), n(c[2]), n(c[3]))
        })
        .unwrap_or((0, 0, 0))
}

/// Redis's `checkClientOutputBufferLimits`: `used` bytes are over the hard
/// limit, or over the soft limit for more than its seconds. `since` is the
/// client's `obuf_soft_limit_reached_time` (set the first time the soft limit
/// is seen reached, cleared once under it); seconds are counted on whole
/// seconds of the clock, as Redis's `server.unixtime`.
pub fn over_output_limit(
    since: &mut Option<Millis>,
    used: u64,
    (hard, soft, secs): (u64, u64, u64),
    now: Millis,
) -> bool {
    let hard_hit = hard > 0 && used >= hard;
    let mut soft_hit = soft > 0 && used >= soft;
    if soft_hit {
        match *since {
            None => {
                *since = Some(now);
                soft_hit = false;
            }
            Some(t) => {
                if (now / 1000).saturating_sub(t / 1000) <= secs {
                    soft_hit = false;
                }
            }
        }
    } else {
        *since = None;
    }
    hard_hit || soft_hit
}

/// afterErrorReply for a replica's command: an error on the replication
/// link means something is badly wrong, so it is logged.
pub(crate) fn log_error_to_replica(st: &mut ServerState, c: &crate::server::Client, msg: &str) {
    let msg = &msg[..msg.len().min(4096)];
    st.log(
        LogLevel::Warning,
        format!(
            "== CRITICAL == This master is sending an error to its replica: '{msg}' after processing the command '{}'",
            c.last_cmd
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Addr, Event, Input, Node};
    use crate::server::config::Config;

    const T0: u64 = 1_700_000_000_000;
    const WRITER: ConnId = ConnId(1);

    /// The outputs so far: (bytes sent, connections closed, log lines).
    fn drain(s: &mut Server) -> (usize, Vec<ConnId>, Vec<String>) {
        let (mut sent, mut closed, mut logs) = (0, Vec::new(), Vec::new());
        while let Some(o) = s.poll_output() {
            match o {
                Output::Send { bytes, .. } => sent += bytes.len(),
                Output::Close { conn } => closed.push(conn),
                Output::Event(Event::Log { message, .. }) => logs.push(message),
                _ => {}
            }
        }
        (sent, closed, logs)
    }

    fn req(args: &[&str]) -> Vec<u8> {
        let mut r = format!("*{}\r\n", args.len());
        for a in args {
            r.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
        }
        r.into_bytes()
    }

    fn accept(s: &mut Server, now: u64, conn: ConnId, port: u16) {
        s.handle(
            now,
            Input::Accepted {
                conn,
                peer: Addr::new("127.0.0.1", port),
                local: Addr::new("127.0.0.1", 6379),
            },
        );
    }

    /// A master with enough keys that its snapshot takes many slices, and
    /// these directives set.
    fn master(directives: &[(&str, &str)]) -> Server {
        let mut cfg = Config::default();
        for (k, v) in directives {
            cfg.set_by_name(k, &[v.to_string()]).unwrap();
        }
        let mut s = Server::new(cfg, T0, 1);
        for i in 0..2000 {
            s.st.dbs[0].set(
                Bytes::from(format!("k{i}")),
                crate::keyspace::Object::new(crate::keyspace::Value::Str(
                    Bytes::from_static(b"v").into(),
                )),
            );
        }
        s.st.persist.slice = 1;
        accept(&mut s, T0, WRITER, 5000);
        drain(&mut s);
        s
    }

    /// A replica on `conn` (announcing `port`) asks for a full sync.
    fn replica_syncs(s: &mut Server, now: u64, conn: ConnId, port: u16) -> Vec<String> {
        accept(s, now, conn, 40000 + port);
        let p = port.to_string();
        let mut bytes = req(&["REPLCONF", "listening-port", &p]);
        bytes.extend(req(&["REPLCONF", "capa", "eof", "capa", "psync2"]));
        // PSYNC once the REPLCONF replies are out, as a replica does (SYNC
        // and PSYNC are refused with replies pending).
        for bytes in [bytes, req(&["PSYNC", "?", "-1"])] {
            s.handle(
                now,
                Input::Data {
                    conn,
                    bytes: &bytes,
                },
            );
        }
        drain(s).2
    }

    fn write(s: &mut Server, now: u64, key: &str, len: usize) -> (Vec<ConnId>, Vec<String>) {
        let v = "x".repeat(len);
        let bytes = req(&["SET", key, &v]);
        s.handle(
            now,
            Input::Data {
                conn: WRITER,
                bytes: &bytes,
            },
        );
        let (_, closed, logs) = drain(s);
        (closed, logs)
    }

    fn tick(s: &mut Server, now: u64) -> Vec<String> {
        s.handle(now, Input::Tick);
        drain(s).2
    }

    /// What `conn` was sent, and the log lines.
    fn sent_to(s: &mut Server, conn: ConnId) -> (String, Vec<String>, bool) {
        let (mut out, mut logs, mut closed) = (Vec::new(), Vec::new(), false);
        while let Some(o) = s.poll_output() {
            match o {
                Output::Send { conn: c, bytes } if c == conn => out.extend(bytes),
                Output::Close { conn: c } if c == conn => closed = true,
                Output::Event(Event::Log { message, .. }) => logs.push(message),
                _ => {}
            }
        }
        (String::from_utf8_lossy(&out).into_owned(), logs, closed)
    }

    #[test]
    fn psync_with_a_bad_offset_is_refused() {
        let mut s = master(&[]);
        let conn = ConnId(9);
        accept(&mut s, T0, conn, 40001);
        let bytes = req(&["PSYNC", "someid", "offset_str"]);
        s.handle(
            T0,
            Input::Data {
                conn,
                bytes: &bytes,
            },
        );
        let (out, logs, _) = sent_to(&mut s, conn);
        assert_eq!(out, "-ERR value is not an integer or out of range\r\n");
        assert!(logs
            .iter()
            .any(|l| l.ends_with("asks for synchronization but with a wrong offset")));
        assert!(s.st.repl.replicas.is_empty());
    }

    #[test]
    fn a_replica_that_gets_a_reply_is_closed_without_it() {
        let mut s = master(&[("repl-diskless-sync", "no")]);
        let conn = ConnId(9);
        replica_syncs(&mut s, T0, conn, 7001);
        for (cmd, name) in [(&["PING"][..], "ping"), (&["GET", "foo"][..], "get")] {
            accept(&mut s, T0, conn, 40001);
            let bytes = req(&["PSYNC", "?", "-1"]);
            s.handle(
                T0,
                Input::Data {
                    conn,
                    bytes: &bytes,
                },
            );
            sent_to(&mut s, conn);
            let bytes = req(cmd);
            s.handle(
                T0,
                Input::Data {
                    conn,
                    bytes: &bytes,
                },
            );
            let (out, logs, closed) = sent_to(&mut s, conn);
            assert!(closed, "{name}");
            assert!(
                !out.contains("PONG") && !out.contains("-ERR"),
                "{name}: {out}"
            );
            let said = format!("Replica generated a reply to command '{name}', disconnecting it: ");
            assert!(
                logs.iter().any(|l| l.starts_with(&said)),
                "{name}: {logs:?}"
            );
            let keyspace = logs.iter().any(|l| l.starts_with("== CRITICAL == This master is sending an error to its replica: 'Replica can't interact with the keyspace' after processing the command 'get'"));
            assert_eq!(keyspace, name == "get");
        }
    }

    #[test]
    fn limits_parse_from_the_normalised_directive() {
        let v = Config::default()
            .get(Key::CLIENT_OUTPUT_BUFFER_LIMIT)
            .to_string();
        assert_eq!(output_buffer_limit(&v, "normal"), (0, 0, 0));
        assert_eq!(output_buffer_limit(&v, "slave"), (256 << 20, 64 << 20, 60));
        assert_eq!(output_buffer_limit(&v, "pubsub"), (32 << 20, 8 << 20, 60));
    }

    #[test]
    fn soft_limit_needs_its_seconds_and_resets_below_it() {
        let limit = (0, 100, 2);
        let mut since = None;
        assert!(!over_output_limit(&mut since, 99, limit, T0));
        assert_eq!(since, None);
        assert!(!over_output_limit(&mut since, 100, limit, T0 + 500));
        assert_eq!(since, Some(T0 + 500));
        assert!(!over_output_limit(&mut since, 150, limit, T0 + 2900));
        assert!(over_output_limit(&mut since, 150, limit, T0 + 3000));
        // Back under the soft limit: the clock starts again.
        assert!(!over_output_limit(&mut since, 10, limit, T0 + 3100));
        assert_eq!(since, None);
        assert!(!over_output_limit(&mut since, 150, limit, T0 + 3200));
        // The hard limit at once; zeros mean no limit.
        assert!(over_output_limit(&mut None, 1000, (1000, 0, 0), T0));
        assert!(!over_output_limit(&mut None, u64::MAX, (0, 0, 0), T0));
    }

    #[test]
    fn replica_over_the_hard_limit_during_a_diskless_sync_is_closed_and_the_transfer_stops() {
        let mut s = master(&[
            ("repl-diskless-sync-delay", "0"),
            ("client-output-buffer-limit", "replica 1000 0 0"),
        ]);
        let r = ConnId(10);
        let logs = replica_syncs(&mut s, T0, r, 6380);
        assert!(logs.contains(&"Starting BGSAVE for SYNC with target: replicas sockets".into()));
        // Under the limit: nothing happens.
        let (closed, logs) = write(&mut s, T0 + 10, "a", 500);
        assert!(closed.is_empty(), "{logs:?}");
        // Over it: the replica is dropped, as Redis logs it.
        let (closed, logs) = write(&mut s, T0 + 20, "b", 500);
        assert_eq!(closed, vec![r]);
        assert!(
            logs[0].starts_with("Client id=2 addr=127.0.0.1:46380 laddr=127.0.0.1:6379 "),
            "{logs:?}"
        );
        assert!(logs[0].contains(" flags=S "), "{logs:?}");
        assert!(logs[0].contains(" omem=1079 "), "{logs:?}");
        assert!(logs[0]
            .ends_with(" scheduled to be closed ASAP for overcoming of output buffer limits."));
        assert_eq!(logs[1], "Connection with replica 127.0.0.1:6380 lost.");
        assert!(s.st.repl.replicas.is_empty());
        // The transfer has nobody left to write to.
        let logs = tick(&mut s, T0 + 30);
        assert_eq!(
            logs,
            vec![
                "Diskless rdb transfer, last replica dropped, killing fork child.",
                "Background transfer terminated by signal 10",
            ]
        );
        assert!(s.st.bgsave_job.is_none());
        assert!(s.st.dbs.iter().all(|d| d.snapshot_index().is_none()));
        // The replica comes back and, without writes, gets its sync.
        let r2 = ConnId(12);
        replica_syncs(&mut s, T0 + 40, r2, 6380);
        let mut now = T0 + 50;
        while s.st.bgsave_job.is_some() && now < T0 + 100_000 {
            tick(&mut s, now);
            now += 1;
        }
        assert_eq!(
            s.st.repl.replicas.get(&r2).map(|i| i.state),
            Some(ReplicaState::Online)
        );
    }

    #[test]
    fn a_disk_save_outlives_its_dropped_replica_and_the_soft_limit_waits() {
        let mut s = master(&[
            ("repl-diskless-sync", "no"),
            ("client-output-buffer-limit", "replica 0 100 2"),
        ]);
        let r = ConnId(10);
        let logs = replica_syncs(&mut s, T0, r, 6380);
        assert!(logs.contains(&"Starting BGSAVE for SYNC with target: disk".into()));
        let (closed, _) = write(&mut s, T0 + 100, "a", 200);
        assert!(closed.is_empty());
        let (closed, _) = write(&mut s, T0 + 2100, "b", 1);
        assert!(closed.is_empty());
        let (closed, logs) = write(&mut s, T0 + 3000, "c", 1);
        assert_eq!(closed, vec![r]);
        assert!(logs[0].ends_with("for overcoming of output buffer limits."));
        // Not a transfer to sockets: the BGSAVE goes on.
        let logs = tick(&mut s, T0 + 3010);
        assert!(logs.iter().all(|l| !l.contains("killing")), "{logs:?}");
        assert!(s.st.bgsave_job.is_some());
    }

    #[test]
    fn diskless_transfer_stops_when_its_replicas_disconnect() {
        let mut s = master(&[("repl-diskless-sync-delay", "1")]);
        replica_syncs(&mut s, T0, ConnId(10), 6380);
        replica_syncs(&mut s, T0, ConnId(11), 6381);
        tick(&mut s, T0 + 1000);
        assert_eq!(s.st.bgsave_job.as_ref().map(|b| b.replicas.len()), Some(2));
        s.handle(T0 + 1010, Input::Closed { conn: ConnId(10) });
        let (_, _, logs) = drain(&mut s);
        assert_eq!(logs, vec!["Connection with replica 127.0.0.1:6380 lost."]);
        // One still reads: the transfer goes on.
        let logs = tick(&mut s, T0 + 1020);
        assert!(logs.is_empty(), "{logs:?}");
        s.handle(T0 + 1030, Input::Closed { conn: ConnId(11) });
        let (_, _, logs) = drain(&mut s);
        assert_eq!(logs, vec!["Connection with replica 127.0.0.1:6381 lost."]);
        // Noticed at the transfer's next slice (Redis: its next pipe read).
        assert_eq!(
            tick(&mut s, T0 + 1040),
            vec![
                "Diskless rdb transfer, last replica dropped, killing fork child.",
                "Background transfer terminated by signal 10",
            ]
        );
        assert!(s.st.bgsave_job.is_none());
    }

    #[test]
    fn diskless_sync_starts_early_when_max_replicas_wait() {
        let mut s = master(&[
            ("repl-diskless-sync-delay", "5"),
            ("repl-diskless-sync-max-replicas", "2"),
        ]);
        let logs = replica_syncs(&mut s, T0, ConnId(10), 6380);
        assert!(logs.contains(&"Delay next BGSAVE for diskless SYNC".into()));
        assert!(tick(&mut s, T0 + 1000).is_empty() || s.st.bgsave_job.is_none());
        assert!(s.st.bgsave_job.is_none());
        replica_syncs(&mut s, T0 + 1500, ConnId(11), 6381);
        // At the next replication cron, within a second, not after the delay.
        let mut logs = Vec::new();
        for t in (1600..=2500).step_by(100) {
            logs.extend(tick(&mut s, T0 + t));
        }
        assert!(
            logs.contains(&"Starting BGSAVE for SYNC with target: replicas sockets".into()),
            "{logs:?}"
        );
        let bg = s.st.bgsave_job.as_ref().expect("a transfer");
        assert_eq!(bg.replicas.len(), 2);
        // Without max-replicas the delay holds.
        let mut s = master(&[("repl-diskless-sync-delay", "5")]);
        replica_syncs(&mut s, T0, ConnId(10), 6380);
        replica_syncs(&mut s, T0 + 1500, ConnId(11), 6381);
        assert!(s.st.bgsave_job.is_none());
        tick(&mut s, T0 + 5000);
        assert_eq!(s.st.bgsave_job.as_ref().map(|b| b.replicas.len()), Some(2));
    }
}
