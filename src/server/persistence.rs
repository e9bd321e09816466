//! Persistence of a server node: RDB snapshots out (SAVE, BGSAVE, save points)
//! and in (the file's bytes handed over by the host at start).
//!
//! The core has no disk: a save emits [`Event::Persist`] with the file name
//! (`dbfilename`, relative to `dir`) and the bytes; the host writes them
//! atomically. The host reads the file at start and calls [`Server::load_rdb`].

use super::fork::{ChildKind, KeyPace};
use super::memory::{rdb_used_mem, rdb_used_mem_quick};
use super::{Server, ServerState};
#[cfg(test)] // used by the tests through `super::*`
use crate::keyspace::{Db, Value};
use crate::node::{ConnId, Event, LogLevel, Millis, PersistStep, SaveFailure, SaveHold};
#[allow(unused_imports)] // doc links
use crate::node::{Input, Node};
use crate::rdb::{self, Aux, EncodeOptions};
use crate::replication::ReplicaState;
use crate::server::config::Key;
use bytes::Bytes;

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
    /// Its child (see [`crate::server::fork`]).
    pub child: u64,
    /// `rdb-key-save-delay` when it began.
    pub pace: Option<KeyPace>,
    /// Replicas served by this save (a full sync), with the `$EOF:` mark of a
    /// socket transfer.
    pub replicas: Vec<(ConnId, Option<String>)>,
    /// The replication offset when the save began (their +FULLRESYNC offset).
    pub start_offset: u64,
    /// The file a disk save streams to (`dbfilename` when it began).
    pub file: String,
    /// The whole file of a disk save made for replicas: they get it at the end.
    pub bytes: Vec<u8>,
    /// Rounds with client input since the last slice (see [`SLICE_EVERY`]).
    pub waited: u32,
    /// Bytes of client input in those rounds (see [`SLICE_INPUT_BYTES`]).
    pub fed: usize,
    /// Every key written and the file handed over; the host confirms it is
    /// in place with its `n`th [`Input::Persisted`] (see
    /// [`PersistStats::host_confirms`]).
    pub finishing: Option<u64>,
}

/// How often a diskless transfer blocked by a slow replica looks again (ms).
const PIPE_RETRY_MS: Millis = 5;

/// Counters of INFO persistence.
#[derive(Clone, Debug)]
pub struct PersistStats {
    /// `rdb_saves`: successful saves since start.
    pub saves: u64,
    /// `rdb_last_bgsave_time_sec`.
    pub last_bgsave_secs: i64,
    /// `rdb_last_bgsave_status`: false after a save the host failed to write.
    pub last_bgsave_ok: bool,
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
    /// The file the last DEBUG RELOAD wrote: what DEBUG RELOAD NOSAVE loads
    /// (the core cannot read the disk).
    pub debug_reload_file: Option<Vec<u8>>,
}

impl Default for PersistStats {
    fn default() -> Self {
        PersistStats {
            saves: 0,
            last_bgsave_secs: -1,
            last_bgsave_ok: true,
            slice: BGSAVE_SLICE,
            slice_bytes: BGSAVE_SLICE_BYTES,
            host_confirms: false,
            finished: 0,
            confirmed: 0,
            debug_reload_file: None,
        }
    }
}

impl ServerState {
    /// The RDB bytes of the whole dataset (rdbSaveRio). `repl` is (stream db,
    /// replication id, offset) when replication info belongs in the file
    /// (a master with a backlog, or a replica), as rdbPopulateSaveInfo decides.
    pub fn rdb_snapshot(&self, repl: Option<(usize, String, i64)>) -> Vec<u8> {
        let mut aux = Aux::for_save(self.now / 1000, rdb_used_mem(&self.dbs), repl);
        aux.functions = self.scripting.library_codes();
        rdb::encode_with(&self.dbs, &aux, self.encode_options())
    }

    fn encode_options(&self) -> EncodeOptions {
        EncodeOptions {
            compression: self.config.get_bool(Key::RDBCOMPRESSION),
            checksum: self.config.get_bool(Key::RDBCHECKSUM),
        }
    }

    /// A foreground save of the dataset to `dbfilename` (rdbSave): the host
    /// writes it now if it can say how that went, else as an event; on
    /// success the change counter is reset and LASTSAVE stamped. `false`:
    /// it failed, and the reason is logged.
    pub fn save(&mut self) -> bool {
        let bytes = self.rdb_snapshot(self.repl_save_info());
        let file = self.config.get(Key::DBFILENAME).to_string();
        self.persist.saves += 1;
        let hold = SaveHold {
            us: self.save_key_delay_total(),
            // sigShutdownHandler with shutdown_asap set.
            insist_exits: self.shutdown.asap,
        };
        let outcome = self
            .host
            .probe
            .as_deref()
            .and_then(|p| p.persist_now(&file, &bytes, hold));
        match outcome {
            Some(Err(SaveFailure::Failed(e))) => {
                self.log(LogLevel::Warning, e);
                return false;
            }
            Some(Err(SaveFailure::Insisted)) => {
                self.shutdown_signal(crate::node::Signal::Int);
                return false;
            }
            Some(Ok(())) => {}
            None => self.emit(Event::Persist { file, bytes }),
        }
        self.log(LogLevel::Notice, "DB saved on disk");
        self.dirty = 0;
        self.lastsave = self.now / 1000;
        self.persist.last_bgsave_ok = true;
        true
    }

    /// rdbSaveKeyValuePair sleeps `rdb-key-save-delay` after each key, in
    /// foreground saves too: their sum, at what such a sleep really takes.
    fn save_key_delay_total(&self) -> u64 {
        let delay = self.config.get_i64(Key::RDB_KEY_SAVE_DELAY);
        match self.host.probe.as_deref() {
            Some(probe) if delay > 0 => {
                let keys: u64 = self.dbs.iter().map(|db| db.len() as u64).sum();
                keys.saturating_mul(probe.measured_sleep_us(delay as u64))
            }
            _ => 0,
        }
    }

    /// Start a snapshot job of the dataset as it is now: O(databases).
    pub fn start_snapshot(&mut self, repl: Option<(usize, String, i64)>) -> rdb::SnapshotJob {
        self.start_snapshot_of(repl, Default::default())
    }

    /// [`ServerState::start_snapshot`] leaving out what `filter` says (a
    /// replica's REPLCONF rdb-filter-only): no keys at all, or no functions.
    pub fn start_snapshot_of(
        &mut self,
        repl: Option<(usize, String, i64)>,
        filter: crate::replication::SnapshotFilter,
    ) -> rdb::SnapshotJob {
        let used = rdb_used_mem_quick(&self.dbs);
        let mut aux = Aux::for_save(self.now / 1000, used, repl);
        if !filter.exclude_functions {
            aux.functions = self.scripting.library_codes();
        }
        let opts = self.encode_options();
        let dbs: &mut [crate::keyspace::Db] = if filter.exclude_data {
            &mut []
        } else {
            &mut self.dbs
        };
        rdb::SnapshotJob::start(dbs, &aux, opts, self.dirty)
    }

    /// The first stream offset replicas waiting for the running save still
    /// need (it began there): the backlog keeps everything from it on.
    pub fn backlog_keep_from(&self) -> Option<u64> {
        let bg = self.bgsave_job.as_ref()?;
        bg.replicas
            .iter()
            .any(|(c, _)| {
                self.repl
                    .replicas
                    .get(c)
                    .is_some_and(|i| i.state == ReplicaState::WaitBgsaveEnd)
            })
            .then_some(bg.start_offset + 1)
    }

    /// BGSAVE: Redis forks a child and the child writes the snapshot. The core
    /// has no processes: the snapshot is copy-on-write per key (see
    /// [`rdb::SnapshotJob`]) and written a slice of keys at a time between
    /// other work, so clients keep being served while the file is written.
    pub fn bgsave(&mut self) -> Result<(), String> {
        if self.bgsave_job.is_some() {
            return Err("Background save already in progress".into());
        }
        // Without processes, a stable stand-in pid from the clock.
        let stand_in = 1000 + self.now % 30000;
        let child = self.fork_child(ChildKind::Rdb, "Background saving started by pid", stand_in);
        let job = self.start_snapshot(self.repl_save_info());
        self.begin_bgsave(job, SaveTarget::Disk, child, Vec::new());
        Ok(())
    }

    /// Make `job` the running background save. A disk save hands the host
    /// its first bytes (the header) now: the temp file exists from the
    /// start, as the child's does.
    pub fn begin_bgsave(
        &mut self,
        mut job: rdb::SnapshotJob,
        target: SaveTarget,
        (child, pid): (u64, u64),
        replicas: Vec<(ConnId, Option<String>)>,
    ) {
        let file = self.config.get(Key::DBFILENAME).to_string();
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
            child,
            pace: self.save_key_pace(),
            replicas,
            start_offset: self.repl.offset,
            file,
            bytes,
            waited: 0,
            fed: 0,
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
    pub fn bgsave_killed(&mut self, killed: (SaveTarget, Vec<ConnId>)) {
        // killRDBChild's SIGUSR1.
        self.bgsave_killed_by(killed, 10);
    }

    /// The end of a save whose child died by `signal`.
    pub fn bgsave_killed_by(&mut self, (target, replicas): (SaveTarget, Vec<ConnId>), signal: i32) {
        match target {
            SaveTarget::Disk => self.log(
                LogLevel::Warning,
                format!("Background saving terminated by signal {signal}"),
            ),
            SaveTarget::Sockets => self.log(
                LogLevel::Warning,
                format!("Background transfer terminated by signal {signal}"),
            ),
        }
        self.bgsave_killed_replicas(replicas);
    }

    /// Replicas of a save that failed: dropped ("SYNC failed").
    /// Replicas that came while a save ran get the next one, started at the
    /// next cron (Redis's updateSlavesWaitingBgsave).
    pub(crate) fn bgsave_for_waiting_replicas(&mut self) {
        let waiting = self
            .repl
            .replicas
            .values()
            .any(|i| i.state == ReplicaState::WaitBgsaveStart);
        if waiting && self.repl.bgsave_at.is_none() {
            self.repl.bgsave_at = Some(self.now);
        }
    }

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
/// Under a flood of client input (big reads, pipelines) a job also gets a
/// slice's worth of work per this many bytes of input served, so that it
/// keeps pace with the writes instead of waiting for a lull (Redis's child
/// runs beside the clients).
pub const SLICE_INPUT_BYTES: usize = 2 * 1024;
/// The most slices' worth a job does in one round.
const MAX_SLICES_PER_ROUND: usize = 32;

/// How many slices' worth of work a background job does this round (0:
/// none; clients first): one in a round without client input (`None`),
/// else one after [`SLICE_EVERY`] rounds, or one per [`SLICE_INPUT_BYTES`]
/// bytes of input.
pub(crate) fn slice_turn(waited: &mut u32, fed: &mut usize, client_input: Option<usize>) -> usize {
    if let Some(n) = client_input {
        *waited += 1;
        *fed += n;
        if *waited < SLICE_EVERY && *fed < SLICE_INPUT_BYTES {
            return 0;
        }
    }
    let slices = (*fed / SLICE_INPUT_BYTES).clamp(1, MAX_SLICES_PER_ROUND);
    *waited = 0;
    *fed = 0;
    slices
}

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

    /// One round of a background save: `client_input` is the client input
    /// this `handle()` round served (its bytes), if any. Clients go first
    /// (see [`slice_turn`]).
    pub(crate) fn bgsave_round(&mut self, client_input: Option<usize>) {
        let Some(bg) = self.st.bgsave_job.as_mut() else {
            return;
        };
        if bg.finishing.is_some() {
            return;
        }
        let slices = slice_turn(&mut bg.waited, &mut bg.fed, client_input);
        if slices == 0 {
            return;
        }
        self.bgsave_step(slices);
        self.flush_pending();
    }

    /// Whether the running background save wants a slice (the host should
    /// tick at once).
    #[cfg(test)]
    pub(crate) fn bgsave_wants_slice(&self) -> bool {
        self.bgsave_slice_due().is_some_and(|t| t <= self.st.now)
    }

    /// When the running background save wants its next slice: now, or
    /// when `rdb-key-save-delay` lets the next key be written.
    pub(crate) fn bgsave_slice_due(&self) -> Option<Millis> {
        let bg = self
            .st
            .bgsave_job
            .as_ref()
            .filter(|bg| bg.finishing.is_none())?;
        if self.socket_transfer_blocked() {
            // Waiting for a replica's socket to drain: look again soon.
            return Some(self.st.now + PIPE_RETRY_MS);
        }
        Some(match bg.pace {
            Some(p) => p.next_due(bg.job.keys_written),
            None => self.st.now,
        })
    }

    /// A diskless transfer whose replica sockets do not all take more yet
    /// (rdbPipeReadHandler stops reading the child's pipe until they do),
    /// noting since when each one lags (repl_last_partial_write).
    fn socket_transfer_blocked(&self) -> bool {
        let Some(bg) = self.st.bgsave_job.as_ref() else {
            return false;
        };
        let Some(probe) = self.st.host.probe.as_deref() else {
            return false;
        };
        bg.target == SaveTarget::Sockets
            && bg
                .replicas
                .iter()
                .any(|(c, _)| self.waiting_replica(*c) && probe.unsent_output(*c) > 0)
    }

    /// Note which replicas of a diskless transfer lag (see
    /// [`Server::socket_transfer_blocked`]).
    fn note_partial_writes(&mut self) {
        let now = self.st.now;
        let Some(bg) = self.st.bgsave_job.as_ref() else {
            return;
        };
        if bg.target != SaveTarget::Sockets {
            return;
        }
        let probe = self.st.host.probe.as_deref();
        for (conn, _) in &bg.replicas {
            let lags = probe.is_some_and(|p| p.unsent_output(*conn) > 0);
            if let Some(info) = self.st.repl.replicas.get_mut(conn) {
                info.partial_write_since = match info.partial_write_since {
                    Some(t) if lags => Some(t),
                    _ if lags => Some(now),
                    _ => None,
                };
            }
        }
    }

    /// Write the next slice of a background save: a socket transfer sends it
    /// on at once, a disk save hands it to the host as the next part of the
    /// file. After the last one, the save ends (see [`Server::bgsave_done`]);
    /// a host that confirms writes ends it later, with [`Input::Persisted`].
    pub(crate) fn bgsave_step(&mut self, slices: usize) {
        self.note_partial_writes();
        if self.socket_transfer_blocked() {
            return;
        }
        if self.socket_transfer_orphaned() {
            // rdbPipeReadHandler finds no replica left to write to.
            self.st.log(
                LogLevel::Warning,
                "Diskless rdb transfer, last replica dropped, killing fork child.",
            );
            if let Some(k) = self.st.kill_bgsave() {
                self.st.bgsave_killed(k);
            }
            self.st.bgsave_for_waiting_replicas();
            return;
        }
        let st = &mut self.st;
        let Some(bg) = st.bgsave_job.as_mut() else {
            return;
        };
        if bg.finishing.is_some() {
            return;
        }
        let mut keys = st.persist.slice.max(1) * slices;
        let bytes = st.persist.slice_bytes.max(1) * slices;
        if let Some(p) = bg.pace {
            keys = keys.min(p.budget(st.now, bg.job.keys_written) as usize);
            if keys == 0 {
                return;
            }
        }
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
                    // The child's last line, then the parent's.
                    self.st.end_cow(ChildKind::RdbToReplicas);
                    let up = conns.iter().filter(|c| self.waiting_replica(**c)).count();
                    self.st.log(
                        LogLevel::Warning,
                        format!("Diskless rdb transfer, done reading from pipe, {up} replicas still up."),
                    );
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
        } else if self.st.aof_rewrite_confirmed(confirmed) {
            self.st.aof_rewrite_done(error);
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
            start_offset,
            bytes,
            ..
        } = *bg;
        // The stream since the save began, which the backlog kept for them.
        let stream = match self.st.repl.backlog.as_mut() {
            Some(b) if !replicas.is_empty() => {
                let stream = b.since(start_offset + 1).unwrap_or_default();
                b.trim(None);
                stream
            }
            _ => Vec::new(),
        };
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
                st.end_cow(ChildKind::Rdb);
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
        self.st.bgsave_for_waiting_replicas();
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
        let loaded = rdb::decode_checked(bytes, self.st.dbs.len(), self.st.load_deep_check());
        self.install_startup_rdb(loaded, 0.0, false)
    }

    /// [`Server::load_rdb`]'s work once the file is decoded (at once, or by
    /// a [`super::loading`] job).
    pub(crate) fn install_startup_rdb(
        &mut self,
        loaded: Result<rdb::Loaded, rdb::RdbError>,
        secs: f64,
        aux_logged: bool,
    ) -> Result<(), String> {
        // loadDataFromDisk: a master starts with a backlog, which takes the
        // DELs of the keys found expired (the restored offset counts them).
        if !self.st.repl.is_replica() && self.st.repl.backlog.is_none() {
            let size = self.st.config.get_i64(Key::REPL_BACKLOG_SIZE).max(16384) as usize;
            let next = self.st.repl.offset + 1;
            self.st.repl.backlog = Some(crate::replication::backlog::Backlog::new(size, next));
        }
        let (aux, _) = self.st.install_rdb(loaded, false, true, aux_logged)?;
        self.st.log(
            LogLevel::Notice,
            format!("DB loaded from disk: {secs:.3} seconds"),
        );
        self.repl_feed_replicas();
        self.st.repl_restore_from_rdb(&aux);
        Ok(())
    }

    /// Load without the startup-only "DB loaded from disk" line (a replica's sync).
    pub fn load_rdb_quiet(&mut self, bytes: &[u8]) -> Result<Aux, String> {
        self.st.load_rdb_quiet(bytes)
    }
}

impl ServerState {
    /// [`Server::load_rdb_quiet`] for a command handler (DEBUG RELOAD).
    pub fn load_rdb_quiet(&mut self, bytes: &[u8]) -> Result<Aux, String> {
        self.load_rdb_bytes(bytes, false, false).map(|(aux, _)| aux)
    }

    /// An AOF's RDB part (a base file or an old-style preamble): loaded with
    /// its expired keys kept, as rdbLoad does with RDBFLAGS_AOF_PREAMBLE.
    /// Returns how many bytes it took.
    pub fn load_rdb_preamble(&mut self, bytes: &[u8]) -> Result<usize, String> {
        self.load_rdb_bytes(bytes, true, false).map(|(_, n)| n)
    }

    /// `feed_repl` at startup (RDBFLAGS_FEED_REPL): a key found expired is
    /// deleted through the replication stream, not silently.
    fn load_rdb_bytes(
        &mut self,
        bytes: &[u8],
        preamble: bool,
        feed_repl: bool,
    ) -> Result<(Aux, usize), String> {
        let loaded = rdb::decode_checked(bytes, self.dbs.len(), self.load_deep_check());
        self.install_rdb(loaded, preamble, feed_repl, false)
    }

    /// Whether a load makes 7.0's deep integrity check: only with
    /// `sanitize-dump-payload yes` (`clients` skips it while loading).
    pub fn load_deep_check(&self) -> bool {
        self.config.get(Key::SANITIZE_DUMP_PAYLOAD) == "yes"
    }

    /// The lines rdbLoad logs as it reads the file's aux fields.
    pub(crate) fn log_rdb_aux(&mut self, aux: &Aux) {
        if let Some(v) = &aux.redis_ver {
            self.log(
                LogLevel::Notice,
                format!("Loading RDB produced by version {}", v),
            );
        }
        if let Some(ctime) = aux.ctime {
            let age = (self.now / 1000) as i64 - ctime;
            self.log(LogLevel::Notice, format!("RDB age {} seconds", age.max(0)));
        }
        if let Some(m) = aux.used_mem {
            self.log(
                LogLevel::Notice,
                format!(
                    "RDB memory usage when created {:.2} Mb",
                    m as f64 / 1024.0 / 1024.0
                ),
            );
        }
        if aux.aof_base == Some(1) {
            self.log(LogLevel::Notice, "RDB is base AOF");
        }
    }

    /// A replica loading its master's file stops its own save first
    /// (readSyncBulkPayload). Other loads (DEBUG RELOAD / LOADAOF) leave a
    /// running save alone: its snapshot keeps the data it started with, as
    /// the forked child's memory does.
    pub(crate) fn kill_save_before_replica_load(&mut self) {
        if self.bgsave_job.is_none() || !self.repl.is_replica() {
            return;
        }
        let pid = self.bgsave_job.as_ref().map_or(0, |b| b.pid);
        self.log(
            LogLevel::Notice,
            format!("Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process {pid} and removing its temp file to avoid any race"),
        );
        if let Some(k) = self.kill_bgsave() {
            self.bgsave_killed(k);
        }
    }

    /// What follows decoding a file (whole, or a [`super::loading`] job's):
    /// the errors logged as rdbLoad logs them, the keys found expired
    /// dropped on a master, the databases and libraries replaced.
    pub(crate) fn install_rdb(
        &mut self,
        loaded: Result<rdb::Loaded, rdb::RdbError>,
        preamble: bool,
        feed_repl: bool,
        aux_logged: bool,
    ) -> Result<(Aux, usize), String> {
        let st = self;
        let loaded = match loaded {
            Ok(l) => l,
            Err(e) if e.msg.starts_with("Wrong RDB checksum") => {
                // rdbLoad's checksum failure: its own line, then the
                // corruption report's.
                st.log(LogLevel::Warning, e.msg.clone());
                st.log(
                    LogLevel::Warning,
                    // 7.0 names the offset of its last loading progress
                    // report (server.loading_loaded_bytes).
                    crate::rdb::report::internal_error(
                        st.load_progress.loaded_bytes,
                        "RDB CRC error",
                    ),
                );
                return Err(e.to_string());
            }
            Err(e) => {
                if let Some(f) = &e.crash {
                    st.crash(f);
                } else if !e.is_truncation() {
                    // rdbReportError on a corrupt file: its line, then the
                    // file checked (redis-check-rdb's report), then exit.
                    let line =
                        crate::rdb::report::internal_error(st.load_progress.loaded_bytes, &e.msg);
                    st.log(LogLevel::Warning, line.clone());
                    st.log(LogLevel::Warning, "--- RDB ERROR DETECTED ---");
                    st.log(LogLevel::Warning, format!("[offset {}] {line}", e.offset));
                    st.log(
                        LogLevel::Warning,
                        "Terminating server after rdb file reading failure.",
                    );
                } else {
                    st.log(
                        LogLevel::Warning,
                        format!("Fatal error loading the DB: {}. Exiting.", e),
                    );
                }
                return Err(e.to_string());
            }
        };
        st.corrupt_kept |= loaded.corrupt_kept;
        if !aux_logged {
            st.log_rdb_aux(&loaded.aux);
        }
        if !preamble {
            st.kill_save_before_replica_load();
        }
        let master = !st.repl.is_replica() && !preamble;
        let now = st.now;
        let (mut keys_loaded, mut keys_expired) = (0u64, 0u64);
        for (i, mut db) in loaded.dbs.into_iter().enumerate() {
            if master && !db.expires().is_empty() {
                let expired: Vec<_> = db
                    .expires()
                    .iter()
                    .filter(|(_, &at)| at < now)
                    .map(|(k, _)| k.to_bytes())
                    .collect();
                let del: &'static [u8] = if st.config.get_bool(Key::LAZYFREE_LAZY_EXPIRE) {
                    b"UNLINK"
                } else {
                    b"DEL"
                };
                for k in expired {
                    db.remove(&k);
                    keys_expired += 1;
                    if feed_repl {
                        st.repl_feed
                            .push(super::Propagated::all(i, vec![Bytes::from_static(del), k]));
                    }
                }
            }
            keys_loaded += db.len() as u64;
            let (mut keys, expires) = db.into_parts();
            // rdbLoadObject picks each collection's encoding from its size
            // and the configured limits, whatever encoding the file stored.
            let limits = st.encoding_limits;
            for o in keys.values_mut() {
                // A corrupt hash or sorted set past the listpack limit is
                // converted as it loads: a sound value, or 7.0's stop.
                // It stays a table, as 7.0 does not pack it back.
                if let crate::keyspace::Value::Corrupt(c) = &o.value {
                    if c.converts(&limits) {
                        match c.convert() {
                            Ok(v) => {
                                o.value = v;
                                o.update_encoding_with(&limits);
                                continue;
                            }
                            Err(f) => {
                                st.crash(&f);
                                return Err("corrupt value met while loading".into());
                            }
                        }
                    }
                }
                o.refit(&limits);
            }
            // Loaded keys are stamped as accessed now (as rdbLoad creates them).
            st.dbs[i].access.now = st.now;
            st.dbs[i].access.policy = super::eviction::access_policy(&st.config);
            // (This database no longer holds what the others do.)
            st.access_prepared = None;
            st.dbs[i].replace_all(keys, expires);
        }
        st.last_load_keys = (keys_loaded, keys_expired);
        for e in st.scripting.replace_libraries(&loaded.functions) {
            st.log(LogLevel::Warning, format!("Failed loading library: {e}"));
        }
        for key in &loaded.empty_keys_skipped {
            st.log(
                LogLevel::Warning,
                format!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(key)
                ),
            );
        }
        let mut done = format!(
            "Done loading RDB, keys loaded: {}, keys expired: {}",
            keys_loaded, keys_expired
        );
        if !loaded.empty_keys_skipped.is_empty() {
            done.push_str(&format!(
                ", empty keys skipped: {}",
                loaded.empty_keys_skipped.len()
            ));
        }
        done.push('.');
        // Redis logs this as a warning when it had to skip empty keys.
        let level = if !loaded.empty_keys_skipped.is_empty() {
            LogLevel::Warning
        } else {
            LogLevel::Notice
        };
        st.log(level, done);
        Ok((loaded.aux, loaded.consumed))
    }
}

impl Server {
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
mod tests;
