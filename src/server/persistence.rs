//! Persistence of a server node: RDB snapshots out (SAVE, BGSAVE, save points)
//! and in (the file's bytes handed over by the host at start).
//!
//! The core has no disk: a save emits [`Event::Persist`] with the file name
//! (`dbfilename`, relative to `dir`) and the bytes; the host writes them
//! atomically. The host reads the file at start and calls [`Server::load_rdb`].

use super::memory::{rdb_used_mem, rdb_used_mem_quick};
use super::{Server, ServerState};
#[cfg(test)] // used by the tests through `super::*`
use crate::keyspace::{Db, Value};
use crate::node::{ConnId, Event, LogLevel, Millis, PersistStep};
#[allow(unused_imports)] // doc links
use crate::node::{Input, Node};
use crate::rdb::{self, Aux, EncodeOptions};
use crate::replication::ReplicaState;

/// Parse the `save` directive ("3600 1 300 100 60 10000"; "" disables) into
/// (seconds, changes) pairs. Malformed pairs are ignored.
pub fn parse_save_points(save: &str) -> Vec<(u64, u64)> {
    let nums: Vec<&str> = save.split_whitespace().collect();
    nums.chunks_exact(2)
        .filter_map(|p| Some((p[0].parse().ok()?, p[1].parse().ok()?)))
        .collect()
}

/// serverCron's check: the first save point `(changes, seconds)` reached, if
/// any — at least `changes` writes and more than `seconds` since the last save.
pub fn save_points_due(
    points: &[(u64, u64)],
    dirty: u64,
    now_secs: u64,
    lastsave: u64,
) -> Option<(u64, u64)> {
    points
        .iter()
        .copied()
        .find(|&(secs, changes)| dirty >= changes && now_secs.saturating_sub(lastsave) > secs)
        .map(|(secs, changes)| (changes, secs))
}

/// Where a background save goes (Redis's `RDB_CHILD_TYPE_DISK` / `_SOCKET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveTarget {
    /// `dbfilename` (and replicas waiting for that file, if any).
    Disk,
    /// Straight to the replicas' sockets (diskless sync).
    Sockets,
}

/// A background save in progress: the snapshot job and who gets the result.
pub struct Bgsave {
    pub job: rdb::SnapshotJob,
    pub target: SaveTarget,
    /// Host time the save began.
    pub started: Millis,
    pub pid: u64,
    /// Replicas served by this save (a full sync), with the `$EOF:` mark of a
    /// socket transfer.
    pub replicas: Vec<(ConnId, Option<String>)>,
    /// The replication stream produced since the save began: what the
    /// replicas get after the snapshot.
    pub stream: Vec<u8>,
    /// The replication offset when the save began (their +FULLRESYNC offset).
    pub start_offset: u64,
    /// The file a disk save streams to (`dbfilename` when it began).
    pub file: String,
    /// The whole file of a disk save made for replicas: they get it at the end.
    pub bytes: Vec<u8>,
    /// Rounds with client input since the last slice (see [`SLICE_EVERY`]).
    pub waited: u32,
    /// Every key written and the file handed over; the host confirms it is
    /// in place with its `n`th [`Input::Persisted`] (see
    /// [`PersistStats::host_confirms`]).
    pub finishing: Option<u64>,
}

/// Counters of INFO persistence.
#[derive(Clone, Debug)]
pub struct PersistStats {
    /// `rdb_saves`: successful saves since start.
    pub saves: u64,
    /// `rdb_last_bgsave_time_sec`.
    pub last_bgsave_secs: i64,
    /// `rdb_last_bgsave_status`: false after a save the host failed to write.
    pub last_bgsave_ok: bool,
    /// The last snapshot epoch handed out (see `Db::begin_snapshot`).
    pub epoch: u32,
    /// Keys written per slice of a background save at most ([`BGSAVE_SLICE`]).
    pub slice: usize,
    /// Bytes encoded per slice, about ([`BGSAVE_SLICE_BYTES`]).
    pub slice_bytes: usize,
    /// The host writes streamed files in the background and confirms each
    /// with [`Input::Persisted`] (the native host; see
    /// [`Server::confirm_persist`]). Otherwise a part is taken to be applied
    /// before the host handles the node's next output (the simulator, wasm).
    pub host_confirms: bool,
    /// Files finished ([`PersistStep::Finish`]) and confirmed so far.
    pub finished: u64,
    pub confirmed: u64,
}

impl Default for PersistStats {
    fn default() -> Self {
        PersistStats {
            saves: 0,
            last_bgsave_secs: -1,
            last_bgsave_ok: true,
            epoch: 0,
            slice: BGSAVE_SLICE,
            slice_bytes: BGSAVE_SLICE_BYTES,
            host_confirms: false,
            finished: 0,
            confirmed: 0,
        }
    }
}

impl ServerState {
    /// The RDB bytes of the whole dataset (rdbSaveRio). `repl` is (stream db,
    /// replication id, offset) when replication info belongs in the file
    /// (a master with a backlog, or a replica), as rdbPopulateSaveInfo decides.
    pub fn rdb_snapshot(&self, repl: Option<(usize, String, i64)>) -> Vec<u8> {
        let aux = Aux::for_save(self.now / 1000, rdb_used_mem(&self.dbs), repl);
        rdb::encode_with(&self.dbs, &aux, self.encode_options())
    }

    fn encode_options(&self) -> EncodeOptions {
        EncodeOptions {
            compression: self.config.get_bool("rdbcompression"),
            checksum: self.config.get_bool("rdbchecksum"),
        }
    }

    /// Write the dataset to `dbfilename` (rdbSave): hand the bytes to the host,
    /// reset the change counter, stamp LASTSAVE.
    fn write_snapshot(&mut self) {
        let bytes = self.rdb_snapshot(None);
        let file = self.config.get("dbfilename").to_string();
        self.emit(Event::Persist { file, bytes });
        self.dirty = 0;
        self.lastsave = self.now / 1000;
        self.persist.saves += 1;
    }

    /// SAVE: a foreground save.
    pub fn save(&mut self) {
        self.write_snapshot();
        self.log(LogLevel::Notice, "DB saved on disk");
    }

    /// Start a snapshot job of the dataset as it is now: O(databases).
    pub fn start_snapshot(&mut self, repl: Option<(usize, String, i64)>) -> rdb::SnapshotJob {
        self.persist.epoch = self.persist.epoch.wrapping_add(1).max(1);
        let used = rdb_used_mem_quick(&self.dbs);
        let aux = Aux::for_save(self.now / 1000, used, repl);
        let opts = self.encode_options();
        rdb::SnapshotJob::start(&mut self.dbs, self.persist.epoch, &aux, opts, self.dirty)
    }

    /// BGSAVE: Redis forks a child and the child writes the snapshot. The core
    /// has no processes: the snapshot is copy-on-write per key (see
    /// [`rdb::SnapshotJob`]) and written a slice of keys at a time between
    /// other work, so clients keep being served while the file is written.
    pub fn bgsave(&mut self) -> Result<(), String> {
        if self.bgsave_job.is_some() {
            return Err("Background save already in progress".into());
        }
        // There is no child process: a stable stand-in pid from the clock.
        let pid = 1000 + self.now % 30000;
        self.log(
            LogLevel::Notice,
            format!("Background saving started by pid {}", pid),
        );
        let job = self.start_snapshot(None);
        self.begin_bgsave(job, SaveTarget::Disk, pid, Vec::new());
        Ok(())
    }

    /// Make `job` the running background save. A disk save hands the host
    /// its first bytes (the header) now: the temp file exists from the
    /// start, as the child's does.
    pub fn begin_bgsave(
        &mut self,
        mut job: rdb::SnapshotJob,
        target: SaveTarget,
        pid: u64,
        replicas: Vec<(ConnId, Option<String>)>,
    ) {
        let file = self.config.get("dbfilename").to_string();
        let mut bytes = Vec::new();
        if target == SaveTarget::Disk {
            let head = job.take_output();
            if !replicas.is_empty() {
                bytes.extend_from_slice(&head);
            }
            self.emit(Event::PersistPart {
                file: file.clone(),
                bytes: head,
                step: PersistStep::Start,
            });
        }
        self.bgsave_job = Some(Box::new(Bgsave {
            job,
            target,
            started: self.now,
            pid,
            replicas,
            stream: Vec::new(),
            start_offset: self.repl.offset,
            file,
            bytes,
            waited: 0,
            finishing: None,
        }));
    }

    /// Stop a background save as `killRDBChild` does (SIGUSR1: not an
    /// error). Returns what [`ServerState::bgsave_killed`] needs to log it and
    /// drop its replicas (Redis does that when it reaps the child, later).
    pub fn kill_bgsave(&mut self) -> Option<(SaveTarget, Vec<ConnId>)> {
        let bg = self.bgsave_job.take()?;
        bg.job.abort(&mut self.dbs);
        if bg.target == SaveTarget::Disk {
            // The child dies with its temp file (rdbRemoveTempFile). After a
            // Finish there is nothing left to drop: the host ignores this.
            self.emit(Event::PersistPart {
                file: bg.file.clone(),
                bytes: Vec::new(),
                step: PersistStep::Abort,
            });
        }
        self.persist.last_bgsave_secs = (self.now.saturating_sub(bg.started) / 1000) as i64;
        Some((bg.target, bg.replicas.into_iter().map(|(c, _)| c).collect()))
    }

    /// The end of a killed save: the log line, and its replicas dropped
    /// ("SYNC failed"), as backgroundSaveDoneHandler does.
    pub fn bgsave_killed(&mut self, (target, replicas): (SaveTarget, Vec<ConnId>)) {
        match target {
            SaveTarget::Disk => self.log(
                LogLevel::Warning,
                "Background saving terminated by signal 10",
            ),
            SaveTarget::Sockets => self.log(
                LogLevel::Warning,
                "Background transfer terminated by signal 10",
            ),
        }
        self.bgsave_killed_replicas(replicas);
    }

    /// Replicas of a save that failed: dropped ("SYNC failed").
    fn bgsave_killed_replicas(&mut self, replicas: Vec<ConnId>) {
        for conn in replicas {
            if self.repl.replicas.contains_key(&conn) {
                self.log(
                    LogLevel::Warning,
                    "SYNC failed. BGSAVE child returned an error",
                );
                self.repl_actions
                    .push(crate::replication::commands::ReplAction::DropReplica(conn));
            }
        }
    }
}

/// Keys encoded per slice of a background save, at most.
pub const BGSAVE_SLICE: usize = 250;
/// Bytes encoded per slice of a background save, about (a value is never
/// split, so one big value makes a slice of its own size).
pub const BGSAVE_SLICE_BYTES: usize = 8 * 1024;
/// A background save runs a slice in each `handle()` round without client
/// input (the host ticks as soon as [`Node::poll_timeout`] says, i.e. at once
/// while a save runs). Under a steady flow of client input it still gets a
/// slice every this many rounds, so that it finishes even on a host that
/// never ticks.
pub const SLICE_EVERY: u32 = 16;

impl Server {
    /// Tell the node its host writes streamed files ([`Event::PersistPart`])
    /// in the background and confirms each one with [`Input::Persisted`]
    /// once it is in place. Until then a finished background save still
    /// counts as running (INFO `rdb_bgsave_in_progress:1`, no "terminated
    /// with success"), as Redis's runs until it reaps the child that renamed
    /// the file.
    pub fn confirm_persist(&mut self) {
        self.st.persist.host_confirms = true;
    }

    /// One round of a background save: `client_input` says whether this
    /// `handle()` round served client input. Clients go first: a slice runs
    /// in rounds without client input, or when [`SLICE_EVERY`] rounds with
    /// client input went by without one.
    pub(crate) fn bgsave_round(&mut self, client_input: bool) {
        let Some(bg) = self.st.bgsave_job.as_mut() else {
            return;
        };
        if bg.finishing.is_some() {
            return;
        }
        if client_input {
            bg.waited += 1;
            if bg.waited < SLICE_EVERY {
                return;
            }
        }
        bg.waited = 0;
        self.bgsave_step();
        self.flush_pending();
    }

    /// Whether the running background save wants a slice (the host should
    /// tick at once).
    pub(crate) fn bgsave_wants_slice(&self) -> bool {
        self.st
            .bgsave_job
            .as_ref()
            .is_some_and(|bg| bg.finishing.is_none())
    }

    /// Write the next slice of a background save: a socket transfer sends it
    /// on at once, a disk save hands it to the host as the next part of the
    /// file. After the last one, the save ends (see [`Server::bgsave_done`]);
    /// a host that confirms writes ends it later, with [`Input::Persisted`].
    pub(crate) fn bgsave_step(&mut self) {
        if self.socket_transfer_orphaned() {
            // rdbPipeReadHandler finds no replica left to write to.
            self.st.log(
                LogLevel::Warning,
                "Diskless rdb transfer, last replica dropped, killing fork child.",
            );
            if let Some(k) = self.st.kill_bgsave() {
                self.st.bgsave_killed(k);
            }
            let waiting = self
                .st
                .repl
                .replicas
                .values()
                .any(|i| i.state == ReplicaState::WaitBgsaveStart);
            if waiting && self.st.repl.bgsave_at.is_none() {
                self.st.repl.bgsave_at = Some(self.st.now);
            }
            return;
        }
        let st = &mut self.st;
        let Some(bg) = st.bgsave_job.as_mut() else {
            return;
        };
        if bg.finishing.is_some() {
            return;
        }
        let (keys, bytes) = (st.persist.slice.max(1), st.persist.slice_bytes.max(1));
        let done = bg.job.step_bounded(&mut st.dbs, keys, bytes);
        let mut chunk = bg.job.take_output();
        if done {
            chunk.extend(bg.job.finish_output());
        }
        match bg.target {
            SaveTarget::Sockets => {
                let conns: Vec<ConnId> = bg.replicas.iter().map(|(c, _)| *c).collect();
                self.send_to_waiting(&conns, &chunk);
                if done {
                    self.bgsave_done(None);
                }
            }
            SaveTarget::Disk => {
                if !bg.replicas.is_empty() {
                    bg.bytes.extend_from_slice(&chunk);
                }
                let file = bg.file.clone();
                let step = if done {
                    PersistStep::Finish
                } else {
                    PersistStep::Append
                };
                if done {
                    st.persist.finished += 1;
                    bg.finishing = Some(st.persist.finished);
                }
                if !chunk.is_empty() || done {
                    st.emit(Event::PersistPart {
                        file,
                        bytes: chunk,
                        step,
                    });
                }
                if done && !st.persist.host_confirms {
                    // Applied before the host sees anything that follows.
                    st.persist.confirmed = st.persist.finished;
                    self.bgsave_done(None);
                }
            }
        }
    }

    /// The host says a streamed file is in place (or failed): end the disk
    /// save waiting for it, if any.
    pub(crate) fn persisted(&mut self, error: Option<String>) {
        let p = &mut self.st.persist;
        p.confirmed = (p.confirmed + 1).min(p.finished);
        let confirmed = p.confirmed;
        let waiting = self
            .st
            .bgsave_job
            .as_ref()
            .and_then(|bg| bg.finishing)
            .is_some_and(|n| n <= confirmed);
        if waiting {
            self.bgsave_done(error);
        }
    }

    /// The end of a background save whose file is complete (and, for a disk
    /// save, in place unless `error`): what Redis's backgroundSaveDoneHandler
    /// does when it reaps the child. The snapshot and the stream since its
    /// start go to its replicas.
    fn bgsave_done(&mut self, error: Option<String>) {
        let Some(bg) = self.st.bgsave_job.take() else {
            return;
        };
        let Bgsave {
            job,
            target,
            started,
            replicas,
            stream,
            bytes,
            ..
        } = *bg;
        let st = &mut self.st;
        st.persist.last_bgsave_secs = (st.now.saturating_sub(started) / 1000) as i64;
        if error.is_some() {
            st.persist.last_bgsave_ok = false;
            st.log(LogLevel::Warning, "Background saving error");
            st.bgsave_killed_replicas(replicas.into_iter().map(|(c, _)| c).collect());
            return;
        }
        match target {
            SaveTarget::Disk => {
                // Changes made while the save ran are not in the file.
                st.dirty = st.dirty.saturating_sub(job.dirty_at_start);
                st.lastsave = st.now / 1000;
                st.persist.saves += 1;
                st.persist.last_bgsave_ok = true;
                st.log(LogLevel::Notice, "DB saved on disk");
                st.log(
                    LogLevel::Notice,
                    "Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB",
                );
                st.log(
                    LogLevel::Notice,
                    "Background saving terminated with success",
                );
                for (conn, _) in &replicas {
                    if self.waiting_replica(*conn) {
                        let mut out = format!("${}\r\n", bytes.len()).into_bytes();
                        out.extend_from_slice(&bytes);
                        out.extend_from_slice(&stream);
                        self.replica_synced(*conn, &out, false);
                    }
                }
            }
            SaveTarget::Sockets => {
                for (conn, mark) in &replicas {
                    if self.waiting_replica(*conn) {
                        let mut out = mark.as_deref().unwrap_or("").as_bytes().to_vec();
                        out.extend_from_slice(&stream);
                        self.replica_synced(*conn, &out, true);
                    }
                }
                self.st.log(
                    LogLevel::Notice,
                    "Background RDB transfer terminated with success",
                );
            }
        }
        // Replicas that came while this save ran get the next one
        // (Redis's updateSlavesWaitingBgsave).
        let waiting = self
            .st
            .repl
            .replicas
            .values()
            .any(|i| i.state == ReplicaState::WaitBgsaveStart);
        if waiting && self.st.repl.bgsave_at.is_none() {
            self.st.repl.bgsave_at = Some(self.st.now);
        }
    }

    /// A socket transfer none of whose replicas is still there to read it.
    fn socket_transfer_orphaned(&self) -> bool {
        self.st.bgsave_job.as_ref().is_some_and(|bg| {
            bg.target == SaveTarget::Sockets
                && bg.finishing.is_none()
                && !bg.replicas.iter().any(|(c, _)| self.waiting_replica(*c))
        })
    }

    /// A replica still attached and waiting for the end of the save.
    fn waiting_replica(&self, conn: ConnId) -> bool {
        self.st
            .repl
            .replicas
            .get(&conn)
            .is_some_and(|i| i.state == ReplicaState::WaitBgsaveEnd)
            && self.clients.contains_key(&conn)
    }

    /// Append bytes of a running transfer to the replicas that wait for it.
    fn send_to_waiting(&mut self, conns: &[ConnId], bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        for conn in conns {
            if !self.waiting_replica(*conn) {
                continue;
            }
            if let Some(c) = self.clients.get_mut(conn) {
                c.reply.raw(bytes);
                self.st.pending.insert(*conn);
            }
        }
    }

    /// The last bytes of a full sync went out: the replica is online.
    fn replica_synced(&mut self, conn: ConnId, bytes: &[u8], socket: bool) {
        let now = self.st.now;
        let Some(info) = self.st.repl.replicas.get_mut(&conn) else {
            return;
        };
        info.state = ReplicaState::Online;
        info.ack_time = now;
        let name = info.name();
        if let Some(c) = self.clients.get_mut(&conn) {
            c.reply.raw(bytes);
            self.st.pending.insert(conn);
        }
        if socket {
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

    /// Load an RDB file's bytes into the databases (replacing their content),
    /// logging as Redis does at startup. On a master, keys already expired are
    /// dropped (and counted); a replica keeps them for its master's DEL.
    pub fn load_rdb(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.load_rdb_aux(bytes).map(|_| ())
    }

    /// [`Server::load_rdb`], returning the file's aux fields (the replication
    /// id and offset a restarted node may resume from).
    pub fn load_rdb_aux(&mut self, bytes: &[u8]) -> Result<Aux, String> {
        let aux = self.load_rdb_quiet(bytes)?;
        self.st
            .log(LogLevel::Notice, "DB loaded from disk: 0.000 seconds");
        Ok(aux)
    }

    /// Load without the startup-only "DB loaded from disk" line (a replica's sync).
    pub fn load_rdb_quiet(&mut self, bytes: &[u8]) -> Result<Aux, String> {
        let st = &mut self.st;
        let ndb = st.dbs.len();
        let loaded = match rdb::decode_with(bytes, ndb) {
            Ok(l) => l,
            Err(e) => {
                st.log(
                    LogLevel::Warning,
                    format!("Fatal error loading the DB: {}. Exiting.", e),
                );
                return Err(e.to_string());
            }
        };
        if let Some(v) = &loaded.aux.redis_ver {
            st.log(
                LogLevel::Notice,
                format!("Loading RDB produced by version {}", v),
            );
        }
        if let Some(ctime) = loaded.aux.ctime {
            let age = (st.now / 1000) as i64 - ctime;
            st.log(LogLevel::Notice, format!("RDB age {} seconds", age.max(0)));
        }
        if let Some(m) = loaded.aux.used_mem {
            st.log(
                LogLevel::Notice,
                format!(
                    "RDB memory usage when created {:.2} Mb",
                    m as f64 / 1024.0 / 1024.0
                ),
            );
        }
        if st.bgsave_job.is_some() {
            if st.repl.is_replica() {
                let pid = st.bgsave_job.as_ref().map_or(0, |b| b.pid);
                st.log(
                    LogLevel::Notice,
                    format!("Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process {pid} and removing its temp file to avoid any race"),
                );
            }
            if let Some(k) = st.kill_bgsave() {
                st.bgsave_killed(k);
            }
        }
        let master = !st.repl.is_replica();
        let now = st.now;
        let (mut keys_loaded, mut keys_expired) = (0u64, 0u64);
        for (i, mut db) in loaded.dbs.into_iter().enumerate() {
            if master && !db.expires().is_empty() {
                let expired: Vec<_> = db
                    .expires()
                    .iter()
                    .filter(|(_, &at)| at < now)
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in expired {
                    db.remove(&k);
                    keys_expired += 1;
                }
            }
            keys_loaded += db.len() as u64;
            let (keys, expires) = db.into_parts();
            st.dbs[i].replace_all(keys, expires);
        }
        let mut done = format!(
            "Done loading RDB, keys loaded: {}, keys expired: {}",
            keys_loaded, keys_expired
        );
        if loaded.empty_keys_skipped > 0 {
            done.push_str(&format!(
                ", empty keys skipped: {}",
                loaded.empty_keys_skipped
            ));
        }
        done.push('.');
        // Redis logs this as a warning when it had to skip empty keys.
        let level = if loaded.empty_keys_skipped > 0 {
            LogLevel::Warning
        } else {
            LogLevel::Notice
        };
        st.log(level, done);
        Ok(loaded.aux)
    }

    /// The save points of serverCron: if one is reached, take a background
    /// save (logging "N changes in S seconds. Saving..."). True if it saved.
    /// Meant to be called from the cron.
    pub fn save_cron(&mut self) -> bool {
        let st = &mut self.st;
        let now_secs = st.now / 1000;
        let Some((changes, secs)) =
            save_points_due(st.config.save_points(), st.dirty, now_secs, st.lastsave)
        else {
            return false;
        };
        st.log(
            LogLevel::Notice,
            format!("{} changes in {} seconds. Saving...", changes, secs),
        );
        st.bgsave().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Object;
    use crate::node::{Addr, ConnId, Input, Node, Output};
    use crate::server::Config;
    use bytes::Bytes;

    #[test]
    fn save_points() {
        assert_eq!(
            parse_save_points("3600 1 300 100 60 10000"),
            vec![(3600, 1), (300, 100), (60, 10000)]
        );
        assert!(parse_save_points("").is_empty());
        let s = "3600 1 300 100 60 10000";
        assert_eq!(save_points_due(&parse_save_points(s), 0, 10_000, 0), None);
        assert_eq!(save_points_due(&parse_save_points(s), 1, 3600, 0), None);
        assert_eq!(
            save_points_due(&parse_save_points(s), 1, 3601, 0),
            Some((1, 3600))
        );
        assert_eq!(
            save_points_due(&parse_save_points(s), 100, 301, 0),
            Some((100, 300))
        );
        assert_eq!(
            save_points_due(&parse_save_points(s), 20000, 61, 0),
            Some((10000, 60))
        );
        assert_eq!(
            save_points_due(&parse_save_points(""), 20000, 100_000, 0),
            None
        );
    }

    fn drain(s: &mut Server) -> (Vec<u8>, Vec<Event>) {
        let mut bytes = Vec::new();
        let mut evs = Vec::new();
        while let Some(o) = s.poll_output() {
            match o {
                Output::Send { bytes: b, .. } => bytes.extend(b),
                Output::Event(e) => evs.push(e),
                _ => {}
            }
        }
        (bytes, evs)
    }

    fn cmd(s: &mut Server, now: u64, args: &[&str]) -> (String, Vec<Event>) {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
        }
        s.handle(
            now,
            Input::Data {
                conn: ConnId(1),
                bytes: req.as_bytes(),
            },
        );
        let (b, e) = drain(s);
        (String::from_utf8_lossy(&b).into_owned(), e)
    }

    fn server(now: u64) -> Server {
        let mut s = Server::new(Config::default(), now, 1);
        s.handle(
            now,
            Input::Accepted {
                conn: ConnId(1),
                peer: Addr::new("127.0.0.1", 5000),
                local: Addr::new("127.0.0.1", 6379),
            },
        );
        drain(&mut s);
        s
    }

    fn persisted(evs: &[Event]) -> Vec<u8> {
        saved(evs).expect("a saved file")
    }

    /// The file these events save: a whole `Persist`, or the parts of a
    /// streamed one put together (None while it is not finished).
    fn saved(evs: &[Event]) -> Option<Vec<u8>> {
        let mut tmp: Option<Vec<u8>> = None;
        for e in evs {
            match e {
                Event::Persist { file, bytes } => {
                    assert_eq!(file, "dump.rdb");
                    return Some(bytes.clone());
                }
                Event::PersistPart { file, bytes, step } => {
                    assert_eq!(file, "dump.rdb");
                    match step {
                        PersistStep::Start => tmp = Some(bytes.clone()),
                        PersistStep::Append => tmp.as_mut().expect("started").extend(bytes),
                        PersistStep::Abort => tmp = None,
                        PersistStep::Finish => {
                            let mut f = tmp.take().expect("started");
                            f.extend(bytes);
                            return Some(f);
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn logs(evs: &[Event]) -> Vec<String> {
        evs.iter()
            .filter_map(|e| match e {
                Event::Log { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    fn put(s: &mut Server, db: usize, k: &str, v: Value) {
        s.st.dbs[db].set(
            Bytes::copy_from_slice(k.as_bytes()),
            crate::keyspace::Object::new(v),
        );
        s.st.dirty += 1;
    }

    fn str_val(v: &str) -> Value {
        Value::Str(Bytes::copy_from_slice(v.as_bytes()))
    }

    #[test]
    fn save_then_load_in_a_new_server() {
        let t0 = 1_700_000_000_000;
        let mut s = server(t0);
        put(&mut s, 0, "a", str_val("1"));
        put(
            &mut s,
            0,
            "l",
            Value::List(vec![Bytes::from_static(b"x"), Bytes::from_static(b"y")].into()),
        );
        put(&mut s, 0, "gone", str_val("v"));
        s.st.dbs[0].set_expire(b"gone", t0 + 500);
        put(&mut s, 3, "s3", str_val("three"));
        assert!(s.st.dirty > 0);
        let (r, evs) = cmd(&mut s, t0 + 2000, &["save"]);
        assert_eq!(r, "+OK\r\n");
        assert_eq!(s.st.dirty, 0);
        assert_eq!(logs(&evs), vec!["DB saved on disk"]);
        let (r, _) = cmd(&mut s, t0 + 2000, &["lastsave"]);
        assert_eq!(r, format!(":{}\r\n", (t0 + 2000) / 1000));
        let bytes = persisted(&evs);

        let mut s2 = server(t0 + 5000);
        s2.load_rdb(&bytes).unwrap();
        let (_, evs) = drain(&mut s2);
        assert_eq!(
            logs(&evs),
            vec![
                "Loading RDB produced by version 7.0.15".to_string(),
                "RDB age 3 seconds".to_string(),
                format!(
                    "RDB memory usage when created {:.2} Mb",
                    rdb_used_mem(&s.st.dbs) as f64 / 1048576.0
                ),
                "Done loading RDB, keys loaded: 3, keys expired: 1.".to_string(),
                "DB loaded from disk: 0.000 seconds".to_string(),
            ]
        );
        assert_eq!(s2.st.dirty, 0);
        let now = s2.st.now;
        let db0 = &mut s2.st.dbs[0];
        assert!(matches!(&db0.get(b"a", now).unwrap().value, Value::Str(v) if &v[..] == b"1"));
        assert!(matches!(&db0.get(b"l", now).unwrap().value, Value::List(l) if l.len() == 2));
        assert!(db0.get(b"gone", now).is_none());
        assert!(s2.st.dbs[3].get(b"s3", now).is_some());
    }

    #[test]
    fn bgsave_replies_and_logs() {
        let t0 = 1_700_000_000_000;
        let mut s = server(t0);
        put(&mut s, 0, "a", str_val("1"));
        let (r, mut evs) = cmd(&mut s, t0, &["bgsave"]);
        assert_eq!(r, "+Background saving started\r\n");
        // The first slice runs after the reply went out.
        assert_eq!(logs(&evs).len(), 1);
        s.handle(t0 + 1, Input::Tick);
        evs.extend(drain(&mut s).1);
        let l = logs(&evs);
        assert!(l[0].starts_with("Background saving started by pid "));
        assert_eq!(l[1], "DB saved on disk");
        assert_eq!(
            l.last().unwrap(),
            "Background saving terminated with success"
        );
        let bytes = persisted(&evs);
        assert_eq!(rdb::decode(&bytes).unwrap().total_keys(), 1);
        assert_eq!(
            cmd(&mut s, t0 + 1, &["bgsave", "schedule"]).0,
            "+Background saving started\r\n"
        );
        s.handle(t0 + 2, Input::Tick);
        assert_eq!(
            cmd(&mut s, t0, &["bgsave", "foo"]).0,
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            cmd(&mut s, t0, &["bgsave", "schedule", "x"]).0,
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            cmd(&mut s, t0, &["save", "x"]).0,
            "-ERR wrong number of arguments for 'save' command\r\n"
        );
        assert_eq!(
            cmd(&mut s, t0, &["lastsave", "x"]).0,
            "-ERR wrong number of arguments for 'lastsave' command\r\n"
        );
    }

    #[test]
    fn bgsave_is_written_in_slices_while_clients_are_served() {
        let t0 = 1_700_000_000_000;
        let mut s = server(t0);
        for i in 0..60_000 {
            put(&mut s, 0, &format!("k{i}"), str_val("v"));
        }
        s.st.dirty = 60_000;
        let (r, mut all) = cmd(&mut s, t0, &["bgsave"]);
        assert_eq!(r, "+Background saving started\r\n");
        assert!(saved(&all).is_none());
        assert!(s.st.bgsave_job.is_some());
        // Served in the middle of the save; the write is not in the file.
        assert_eq!(cmd(&mut s, t0 + 1, &["set", "late", "x"]).0, "+OK\r\n");
        assert_eq!(
            cmd(&mut s, t0 + 1, &["bgsave"]).0,
            "-ERR Background save already in progress\r\n"
        );
        let mut file = None;
        for t in 2..1000 {
            s.handle(t0 + t, Input::Tick);
            all.extend(drain(&mut s).1);
            if let Some(f) = saved(&all) {
                file = Some(f);
                break;
            }
        }
        let file = file.expect("the save finishes");
        let loaded = rdb::decode(&file).unwrap();
        assert_eq!(loaded.total_keys(), 60_000);
        assert!(loaded.dbs[0].keys().get(&b"late"[..]).is_none());
        // The change made during the save still counts.
        assert_eq!(s.st.dirty, 1);
    }

    /// The parts of a streamed file in these events: (step, bytes).
    fn parts(evs: &[Event]) -> Vec<(PersistStep, usize)> {
        evs.iter()
            .filter_map(|e| match e {
                Event::PersistPart { bytes, step, .. } => Some((*step, bytes.len())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_ping_during_a_big_bgsave_waits_for_no_slice() {
        let t0 = 1_700_000_000_000;
        let mut s = server(t0);
        let n = 200_000;
        for i in 0..n {
            put(
                &mut s,
                0,
                &format!("key:{i}"),
                str_val(&format!("value:{i}")),
            );
        }
        let (r, mut all) = cmd(&mut s, t0, &["bgsave"]);
        assert_eq!(r, "+Background saving started\r\n");
        // The reply's round runs no slice: only the header went to the host.
        assert_eq!(parts(&all), vec![(PersistStep::Start, parts(&all)[0].1)]);
        assert_eq!(s.st.bgsave_job.as_ref().unwrap().job.keys_written, 0);
        // While a save runs the node wants a tick at once.
        assert_eq!(s.poll_timeout(), Some(t0));
        let written = |s: &Server| s.st.bgsave_job.as_ref().map(|b| b.job.keys_written);
        let (mut slices, mut pongs, mut forced) = (0, 0, 0);
        let mut now = t0;
        while s.st.bgsave_job.is_some() {
            // The host ticks: one slice, bounded by keys and bytes.
            let before = written(&s).unwrap();
            s.handle(now, Input::Tick);
            let evs = drain(&mut s).1;
            let p = parts(&evs);
            assert_eq!(p.len(), 1);
            assert!(
                p[0].1 <= BGSAVE_SLICE_BYTES + 100,
                "slice of {} bytes",
                p[0].1
            );
            if let Some(after) = written(&s) {
                assert!(after - before <= BGSAVE_SLICE as u64 + 8);
            }
            all.extend(evs);
            slices += 1;
            if s.st.bgsave_job.is_none() {
                break;
            }
            // A client's PING: answered in its own round, with no slice before
            // it; after SLICE_EVERY such rounds in a row one carries a slice.
            let before = written(&s).unwrap();
            for _ in 0..3 {
                let (r, evs) = cmd(&mut s, now, &["ping"]);
                assert_eq!(r, "+PONG\r\n");
                pongs += 1;
                if written(&s) != Some(before) {
                    forced += 1;
                }
                all.extend(evs);
            }
            now += 1;
        }
        // The file was written in many small slices while the PINGs were
        // answered, none of them behind a slice of its own round.
        assert!(slices >= n / BGSAVE_SLICE, "{slices} slices");
        assert!(pongs >= 3 * (slices - 1), "{pongs} PINGs");
        assert_eq!(forced, 0);
        let file = saved(&all).expect("the file");
        assert_eq!(rdb::decode(&file).unwrap().total_keys(), n);
        let l = logs(&all);
        assert_eq!(
            l.last().unwrap(),
            "Background saving terminated with success"
        );
    }

    #[test]
    fn client_rounds_alone_still_finish_a_save() {
        let t0 = 1_700_000_000_000;
        let mut s = big_server(t0, 3000);
        s.st.persist.slice = 1000;
        let (_, mut all) = cmd(&mut s, t0, &["bgsave"]);
        let mut rounds = 0;
        while s.st.bgsave_job.is_some() {
            all.extend(cmd(&mut s, t0, &["ping"]).1);
            rounds += 1;
            assert!(rounds < 1000);
        }
        // Three slices of 1000 keys plus the end, one every SLICE_EVERY rounds.
        let slices = parts(&all).len() as u32 - 1;
        assert_eq!(rounds, slices * SLICE_EVERY - 1);
        assert_eq!(rdb::decode(&persisted(&all)).unwrap().total_keys(), 3000);
    }

    fn finish_unconfirmed(s: &mut Server, now: u64) -> Vec<Event> {
        let mut all = Vec::new();
        while s.bgsave_wants_slice() {
            s.handle(now, Input::Tick);
            all.extend(drain(s).1);
        }
        all
    }

    #[test]
    fn a_host_that_writes_in_the_background_confirms_the_file() {
        let t0 = 1_700_000_000_000;
        let mut s = big_server(t0, 1000);
        s.confirm_persist();
        s.st.dirty = 1000;
        let (_, mut all) = cmd(&mut s, t0, &["bgsave"]);
        all.extend(finish_unconfirmed(&mut s, t0 + 1));
        let file = persisted(&all);
        assert_eq!(rdb::decode(&file).unwrap().total_keys(), 1000);
        // The file is handed over, not yet in place: the save still runs.
        assert_eq!(logs(&all).len(), 1);
        assert_eq!(info_field(&mut s, t0 + 1, "rdb_bgsave_in_progress"), "1");
        assert_eq!(
            cmd(&mut s, t0 + 1, &["bgsave"]).0,
            "-ERR Background save already in progress\r\n"
        );
        assert_eq!(s.poll_timeout(), Some(s.st.next_cron));
        s.handle(
            t0 + 2000,
            Input::Persisted {
                file: "dump.rdb".into(),
                error: None,
            },
        );
        let l = logs(&drain(&mut s).1);
        assert_eq!(
            l,
            vec![
                "DB saved on disk",
                "Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB",
                "Background saving terminated with success"
            ]
        );
        assert_eq!(info_field(&mut s, t0 + 2000, "rdb_bgsave_in_progress"), "0");
        assert_eq!(
            info_field(&mut s, t0 + 2000, "rdb_last_bgsave_time_sec"),
            "2"
        );
        assert_eq!(
            info_field(&mut s, t0 + 2000, "rdb_changes_since_last_save"),
            "0"
        );

        // A failed write: Redis's "Background saving error", status err,
        // the changes still unsaved.
        s.st.dirty = 5;
        cmd(&mut s, t0 + 3000, &["bgsave"]);
        finish_unconfirmed(&mut s, t0 + 3000);
        s.handle(
            t0 + 3000,
            Input::Persisted {
                file: "dump.rdb".into(),
                error: Some("disk full".into()),
            },
        );
        assert_eq!(logs(&drain(&mut s).1), vec!["Background saving error"]);
        assert_eq!(
            info_field(&mut s, t0 + 3000, "rdb_last_bgsave_status"),
            "err"
        );
        assert_eq!(
            info_field(&mut s, t0 + 3000, "rdb_changes_since_last_save"),
            "5"
        );
        assert_eq!(info_field(&mut s, t0 + 3000, "rdb_saves"), "1");

        // A save killed after its last part: the late confirmation belongs to
        // it, not to the next save.
        cmd(&mut s, t0 + 4000, &["bgsave"]);
        finish_unconfirmed(&mut s, t0 + 4000);
        let (_, evs) = cmd(&mut s, t0 + 4000, &["flushall"]);
        assert!(parts(&evs).contains(&(PersistStep::Abort, 0)));
        put(&mut s, 0, "x", str_val("1"));
        cmd(&mut s, t0 + 4000, &["bgsave"]);
        finish_unconfirmed(&mut s, t0 + 4000);
        let done = |err: Option<String>| Input::Persisted {
            file: "dump.rdb".into(),
            error: err,
        };
        s.handle(t0 + 4000, done(None)); // the killed save's file
        assert_eq!(info_field(&mut s, t0 + 4000, "rdb_bgsave_in_progress"), "1");
        s.handle(t0 + 4000, done(None));
        assert_eq!(info_field(&mut s, t0 + 4000, "rdb_bgsave_in_progress"), "0");
        assert_eq!(
            info_field(&mut s, t0 + 4000, "rdb_last_bgsave_status"),
            "ok"
        );
    }

    #[test]
    fn rdbcompression_and_rdbchecksum_are_honoured() {
        let mut s = server(0);
        put(&mut s, 0, "long", str_val(&"abc".repeat(100)));
        let with = s.st.rdb_snapshot(None);
        s.st.config.set("rdbcompression", &["no".into()]).unwrap();
        s.st.config.set("rdbchecksum", &["no".into()]).unwrap();
        let without = s.st.rdb_snapshot(None);
        assert!(with.len() + 200 < without.len());
        assert_eq!(&without[without.len() - 8..], &[0u8; 8]);
        assert_eq!(rdb::decode(&without).unwrap().checksum, 0);
        let r = s.st.rdb_snapshot(Some((2, "f".repeat(40), 77)));
        let aux = rdb::decode(&r).unwrap().aux;
        assert_eq!(aux.repl_stream_db, Some(2));
        assert_eq!(aux.repl_offset, Some(77));
        assert_eq!(aux.repl_id.as_deref(), Some(&*"f".repeat(40)));
    }

    #[test]
    fn save_cron_follows_save_points() {
        let t0 = 1_700_000_000_000;
        let mut s = server(t0);
        put(&mut s, 0, "a", str_val("1"));
        assert!(!s.save_cron());
        s.st.now = t0 + 3_601_000;
        assert!(s.save_cron());
        while s.st.bgsave_job.is_some() {
            s.st.now += 1;
            s.bgsave_step();
        }
        let (_, evs) = drain(&mut s);
        assert_eq!(logs(&evs)[0], "1 changes in 3600 seconds. Saving...");
        persisted(&evs);
        assert_eq!(s.st.dirty, 0);
        assert!(!s.save_cron());
        s.st.config.set("save", &["".into()]).unwrap();
        put(&mut s, 0, "b", str_val("1"));
        s.st.now += 10_000_000;
        assert!(!s.save_cron());
    }

    #[test]
    fn load_errors_are_reported() {
        let mut s = server(0);
        let e = s.load_rdb(b"REDIS0009\xfe").unwrap_err();
        assert!(e.contains("unexpected end of file"), "{}", e);
        let (_, evs) = drain(&mut s);
        assert!(logs(&evs)[0].starts_with("Fatal error loading the DB: "));
    }

    #[test]
    fn replica_keeps_expired_keys_on_load() {
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
        dbs[0].set(
            bytes::Bytes::from_static(b"k"),
            crate::keyspace::Object::new(Value::Str(bytes::Bytes::from_static(b"v"))),
        );
        dbs[0].set_expire(b"k", 10);
        let file = rdb::encode(&dbs, &Aux::default());
        let mut cfg = Config::default();
        cfg.set("replicaof", &["127.0.0.1".into(), "6379".into()])
            .unwrap();
        let mut s = Server::new(cfg, 1000, 1);
        s.load_rdb(&file).unwrap();
        assert_eq!(s.st.dbs[0].len(), 1);
        let mut m = server(1000);
        m.load_rdb(&file).unwrap();
        assert_eq!(m.st.dbs[0].len(), 0);
    }

    /// A value in a canonical form (collections sorted) for comparisons.
    fn canon(v: &Value) -> String {
        match v {
            Value::Str(s) => format!("str {:?}", s),
            Value::List(l) => format!("list {:?}", l),
            Value::Hash(h) => {
                let mut e: Vec<_> = h.iter().collect();
                e.sort();
                format!("hash {:?}", e)
            }
            Value::Set(st) => {
                let mut e: Vec<_> = st.keys().collect();
                e.sort();
                format!("set {:?}", e)
            }
            Value::ZSet(z) => format!("zset {:?}", z.iter().collect::<Vec<_>>()),
        }
    }

    type Model = Vec<(usize, Bytes, String, Option<u64>)>;

    /// An independent deep copy of the dataset: every stored key (expired or
    /// not), value and TTL.
    fn model_of(dbs: &[Db]) -> Model {
        let mut m = Vec::new();
        for (i, db) in dbs.iter().enumerate() {
            for (k, o) in db.keys().iter() {
                m.push((i, k.clone(), canon(&o.value), db.ttl_at(k)));
            }
        }
        m.sort();
        m
    }

    fn model_of_file(file: &[u8]) -> Model {
        let l = rdb::decode(file).expect("a valid file");
        model_of(&l.dbs)
    }

    /// One random command of every kind the barrier must see.
    fn random_command(r: &mut crate::rng::Rng, now: u64, nkeys: u64) -> Vec<String> {
        let key = |r: &mut crate::rng::Rng| format!("k{}", r.below(nkeys));
        let k = key(r);
        let v = format!("v{}", r.below(1000));
        let s = |x: &str| x.to_string();
        match r.below(26) {
            0 | 1 => vec![s("set"), k, v],
            2 => vec![s("set"), k, v, s("px"), (1 + r.below(40)).to_string()],
            3 => vec![s("del"), k, key(r)],
            4 => vec![s("lpush"), k, v.clone(), v],
            5 => vec![s("rpop"), k],
            6 => vec![s("hset"), k, format!("f{}", r.below(5)), v],
            7 => vec![s("hdel"), k, format!("f{}", r.below(5))],
            8 => vec![s("sadd"), k, v, format!("m{}", r.below(5))],
            9 => vec![s("srem"), k, format!("m{}", r.below(5))],
            10 => vec![s("zadd"), k, r.below(10).to_string(), v],
            11 => vec![s("zrem"), k, v],
            12 => vec![s("pexpire"), k, (1 + r.below(30)).to_string()],
            13 => vec![s("pexpireat"), k, (now + r.below(30)).to_string()],
            14 => vec![s("persist"), k],
            15 => vec![s("rename"), k, key(r)],
            16 => vec![s("move"), k, r.below(4).to_string()],
            17 => vec![s("select"), r.below(4).to_string()],
            18 => vec![s("swapdb"), r.below(4).to_string(), r.below(4).to_string()],
            19 if r.below(4) == 0 => vec![s("flushdb")],
            20 => vec![s("get"), k], // lazy expiry on read
            21 => vec![s("append"), k, v],
            22 => vec![s("incr"), format!("n{}", r.below(5))],
            23 => vec![s("copy"), k, key(r), s("replace")],
            24 => vec![s("getdel"), k],
            _ => vec![s("exists"), k, key(r)],
        }
    }

    fn run(s: &mut Server, now: u64, argv: &[String]) -> Vec<Event> {
        let a: Vec<&str> = argv.iter().map(|x| x.as_str()).collect();
        cmd(s, now, &a).1
    }

    #[test]
    fn bgsave_is_the_dataset_at_its_start_whatever_happens_meanwhile() {
        let mut saves = 0;
        for seed in 1..=40u64 {
            let mut r = crate::rng::Rng::new(seed);
            let mut now = 1_700_000_000_000u64;
            let mut s = server(now);
            s.st.persist.slice = 1 + r.below(6) as usize;
            // Some data in four databases.
            for _ in 0..400 {
                let c = random_command(&mut r, now, 60);
                run(&mut s, now, &c);
                now += r.below(2);
            }
            for round in 0..4 {
                let want = model_of(&s.st.dbs);
                let (reply, mut all) = cmd(&mut s, now, &["bgsave"]);
                assert_eq!(reply, "+Background saving started\r\n");
                let mut file = saved(&all);
                let mut ops = 0;
                while file.is_none() {
                    let c = random_command(&mut r, now, 60);
                    let mut evs = run(&mut s, now, &c);
                    ops += 1;
                    // Slices run as the clock moves (one per millisecond at most).
                    now += r.below(2);
                    if r.below(3) == 0 {
                        // Time passes: keys expire, the cron's active expiry runs.
                        now += r.below(150);
                        s.handle(now, Input::Tick);
                        evs.extend(drain(&mut s).1);
                    }
                    all.extend(evs);
                    file = saved(&all);
                    assert!(ops < 100_000, "seed {seed}: the save never ends");
                }
                let got = model_of_file(&file.unwrap());
                if got != want {
                    let missing: Vec<_> = want.iter().filter(|e| !got.contains(e)).collect();
                    let extra: Vec<_> = got.iter().filter(|e| !want.contains(e)).collect();
                    panic!(
                        "seed {seed} round {round}: file differs from the dataset at BGSAVE\n missing {:?}\n extra {:?}",
                        missing, extra
                    );
                }
                // No copy-on-write state is left behind.
                assert!(s.st.dbs.iter().all(|d| d.snapshot_index().is_none()));
                saves += 1;
            }
        }
        assert_eq!(saves, 160);
    }

    /// Move bytes between a master and its replica until both are quiet;
    /// returns the master's events.
    struct Link {
        rconn: Option<ConnId>,
    }
    const MCONN: ConnId = ConnId(100);

    fn pump(m: &mut Server, r: &mut Server, link: &mut Link, now: u64) -> Vec<Event> {
        let mut evs = Vec::new();
        for _ in 0..50 {
            let mut quiet = true;
            while let Some(o) = r.poll_output() {
                match o {
                    Output::Connect { conn, .. } => {
                        quiet = false;
                        link.rconn = Some(conn);
                        m.handle(
                            now,
                            Input::Accepted {
                                conn: MCONN,
                                peer: Addr::new("127.0.0.1", 40000),
                                local: Addr::new("127.0.0.1", 6379),
                            },
                        );
                        r.handle(
                            now,
                            Input::Connected {
                                conn,
                                local: Addr::new("127.0.0.1", 40000),
                            },
                        );
                    }
                    Output::Send { conn, bytes } if Some(conn) == link.rconn => {
                        quiet = false;
                        m.handle(
                            now,
                            Input::Data {
                                conn: MCONN,
                                bytes: &bytes,
                            },
                        );
                    }
                    _ => {}
                }
            }
            while let Some(o) = m.poll_output() {
                match o {
                    Output::Send { conn, bytes } if conn == MCONN => {
                        quiet = false;
                        if let Some(rc) = link.rconn {
                            r.handle(
                                now,
                                Input::Data {
                                    conn: rc,
                                    bytes: &bytes,
                                },
                            );
                        }
                    }
                    Output::Event(e) => evs.push(e),
                    _ => {}
                }
            }
            if quiet {
                break;
            }
        }
        evs
    }

    fn send_master(m: &mut Server, now: u64, argv: &[String]) {
        let mut req = format!("*{}\r\n", argv.len());
        for a in argv {
            req.push_str(&format!("${}\r\n{}\r\n", a.len(), a));
        }
        m.handle(
            now,
            Input::Data {
                conn: ConnId(1),
                bytes: req.as_bytes(),
            },
        );
    }

    fn full_sync_during_writes(diskless: bool, seed: u64) {
        let mut now = 1_700_000_000_000u64;
        let mut cfg = Config::default();
        let yes = if diskless { "yes" } else { "no" };
        cfg.set("repl-diskless-sync", &[yes.into()]).unwrap();
        cfg.set("repl-diskless-sync-delay", &["0".into()]).unwrap();
        cfg.set("save", &["".into()]).unwrap();
        let mut m = Server::new(cfg, now, 1);
        m.handle(
            now,
            Input::Accepted {
                conn: ConnId(1),
                peer: Addr::new("127.0.0.1", 5000),
                local: Addr::new("127.0.0.1", 6379),
            },
        );
        m.st.persist.slice = 2;
        let mut r = crate::rng::Rng::new(seed);
        // Writes only (no short TTLs: both sides must hold the same keys at the end).
        let write = |r: &mut crate::rng::Rng, now: u64| loop {
            let c = random_command(r, now, 2000);
            if !matches!(c[0].as_str(), "pexpire" | "pexpireat" | "get" | "exists")
                && !c.iter().any(|a| a == "px")
            {
                return c;
            }
        };
        for _ in 0..3000 {
            let c = write(&mut r, now);
            send_master(&mut m, now, &c);
        }
        while m.poll_output().is_some() {}
        let mut rcfg = Config::default();
        rcfg.set("replicaof", &["127.0.0.1".into(), "6379".into()])
            .unwrap();
        let mut rep = Server::new(rcfg, now, 2);
        let mut link = Link { rconn: None };
        let mut during = 0;
        let mut saw_job = false;
        for i in 0..3000 {
            now += 1;
            rep.handle(now, Input::Tick);
            m.handle(now, Input::Tick);
            if i < 2500 {
                for _ in 0..3 {
                    let c = write(&mut r, now);
                    send_master(&mut m, now, &c);
                    if m.st.bgsave_job.is_some() {
                        saw_job = true;
                        during += 1;
                    }
                }
            }
            pump(&mut m, &mut rep, &mut link, now);
        }
        for _ in 0..20 {
            now += 200;
            rep.handle(now, Input::Tick);
            m.handle(now, Input::Tick);
            pump(&mut m, &mut rep, &mut link, now);
        }
        assert!(saw_job && during > 50, "writes during the sync: {during}");
        let role = rep.st.repl.link.as_ref().map(|l| l.state.clone());
        assert_eq!(role, Some(crate::replication::LinkState::Connected));
        assert_eq!(
            model_of(&m.st.dbs),
            model_of(&rep.st.dbs),
            "diskless {diskless}: replica differs from master"
        );
        assert_eq!(rep.st.repl.offset, m.st.repl.offset);
    }

    #[test]
    fn full_sync_during_writes_is_snapshot_plus_stream() {
        for seed in 1..=3 {
            full_sync_during_writes(true, seed);
            full_sync_during_writes(false, seed);
        }
    }

    fn big_server(t0: u64, n: usize) -> Server {
        let mut s = server(t0);
        for i in 0..n {
            put(&mut s, 0, &format!("k{i}"), str_val("v"));
        }
        s.st.persist.slice = 100;
        s
    }

    fn info_field(s: &mut Server, now: u64, name: &str) -> String {
        let (r, _) = cmd(s, now, &["info", "persistence"]);
        r.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
            .unwrap_or_default()
    }

    #[test]
    fn flushall_kills_a_running_bgsave_as_redis_does() {
        let t0 = 1_700_000_000_000;
        // With save points: the synchronous save, then the child's end.
        let mut s = big_server(t0, 1000);
        cmd(&mut s, t0, &["bgsave"]);
        assert_eq!(info_field(&mut s, t0, "rdb_bgsave_in_progress"), "1");
        let (r, evs) = cmd(&mut s, t0, &["flushall"]);
        assert_eq!(r, "+OK\r\n");
        assert_eq!(
            logs(&evs),
            vec![
                "DB saved on disk".to_string(),
                "Background saving terminated by signal 10".to_string()
            ]
        );
        assert_eq!(rdb::decode(&persisted(&evs)).unwrap().total_keys(), 0);
        assert!(s.st.bgsave_job.is_none());
        assert!(s.st.dbs.iter().all(|d| d.snapshot_index().is_none()));
        assert_eq!(info_field(&mut s, t0, "rdb_bgsave_in_progress"), "0");
        assert_eq!(info_field(&mut s, t0, "rdb_last_bgsave_status"), "ok");
        // Without save points: only the child's end.
        let mut s = big_server(t0, 1000);
        s.st.config.set("save", &["".into()]).unwrap();
        cmd(&mut s, t0, &["bgsave"]);
        let (_, evs) = cmd(&mut s, t0, &["flushall"]);
        assert_eq!(
            logs(&evs),
            vec!["Background saving terminated by signal 10"]
        );
        assert!(evs.iter().all(|e| !matches!(e, Event::Persist { .. })));
        // A new BGSAVE can start.
        assert_eq!(
            cmd(&mut s, t0, &["bgsave"]).0,
            "+Background saving started\r\n"
        );
    }

    #[test]
    fn shutdown_kills_a_running_bgsave_first() {
        let t0 = 1_700_000_000_000;
        let mut s = big_server(t0, 1000);
        cmd(&mut s, t0, &["bgsave"]);
        let (_, evs) = cmd(&mut s, t0, &["shutdown"]);
        let l = logs(&evs);
        assert_eq!(
            &l[..4],
            &[
                "User requested shutdown...",
                "There is a child saving an .rdb. Killing it!",
                "Saving the final RDB snapshot before exiting.",
                "DB saved on disk"
            ]
        );
        assert_eq!(rdb::decode(&persisted(&evs)).unwrap().total_keys(), 1000);
    }

    #[test]
    fn info_persistence_during_and_after_a_bgsave() {
        let t0 = 1_700_000_000_000;
        let mut s = big_server(t0, 1000);
        s.st.dirty = 1000;
        cmd(&mut s, t0, &["bgsave"]);
        assert_eq!(info_field(&mut s, t0, "current_save_keys_total"), "1000");
        assert_eq!(info_field(&mut s, t0, "rdb_last_bgsave_time_sec"), "-1");
        cmd(&mut s, t0 + 1, &["set", "k1", "changed"]);
        cmd(&mut s, t0 + 1, &["set", "new", "x"]);
        assert_eq!(
            info_field(&mut s, t0 + 2000, "rdb_current_bgsave_time_sec"),
            "2"
        );
        assert_eq!(
            info_field(&mut s, t0 + 2000, "rdb_changes_since_last_save"),
            "1002"
        );
        while s.st.bgsave_job.is_some() {
            s.handle(t0 + 3000, Input::Tick);
        }
        // Only the writes made since the start are left to save.
        assert_eq!(
            info_field(&mut s, t0 + 3000, "rdb_changes_since_last_save"),
            "2"
        );
        assert_eq!(info_field(&mut s, t0 + 3000, "rdb_bgsave_in_progress"), "0");
        assert_eq!(
            info_field(&mut s, t0 + 3000, "rdb_last_bgsave_time_sec"),
            "3"
        );
        assert_eq!(
            info_field(&mut s, t0 + 3000, "rdb_current_bgsave_time_sec"),
            "-1"
        );
        assert_eq!(info_field(&mut s, t0 + 3000, "rdb_saves"), "1");
        assert_eq!(
            info_field(&mut s, t0 + 3000, "rdb_last_save_time"),
            format!("{}", (t0 + 3000) / 1000)
        );
    }

    #[test]
    fn only_changed_keys_are_copied() {
        let mut db = Db::default();
        for i in 0..1000 {
            db.set(
                Bytes::from(format!("k{i}")),
                crate::keyspace::Object::new(Value::List(
                    vec![Bytes::from_static(b"a"); 10].into(),
                )),
            );
        }
        db.set_expire(b"k5", 10);
        db.begin_snapshot(1, 0);
        // Reads, existence checks for writes, lazy expiry checks of live keys: no copies.
        for i in 0..1000 {
            let k = format!("k{i}");
            db.get(k.as_bytes(), 0);
            db.exists_for_write(k.as_bytes(), 0);
        }
        // Changes: one in place twice, one replaced, one deleted, one TTL, one new key.
        db.get_mut(b"k1", 0);
        db.get_mut(b"k1", 0);
        db.set(Bytes::from_static(b"k2"), Object::new(str_val("x")));
        db.delete(b"k3");
        db.persist(b"k5");
        db.set(Bytes::from_static(b"new"), Object::new(str_val("x")));
        db.delete(b"new");
        // Half walked: keys already written are not copied when they change.
        let mut written = Vec::new();
        while written.len() < 500 {
            db.snapshot_walk(10, |k, _, _| written.push(k.clone()));
        }
        for k in &written {
            db.delete(k);
        }
        let preserved = {
            let mut d = db.clone();
            d.end_snapshot()
        };
        let mut names: Vec<_> = preserved.iter().map(|(k, _, _)| k.clone()).collect();
        names.sort();
        assert_eq!(names, vec!["k1", "k2", "k3", "k5"]);
        assert_eq!(preserved.iter().find(|e| e.0 == "k5").unwrap().2, Some(10));
    }
}
