//! AOF rewrite (BGREWRITEAOF, automatic rewrites, the base written at start
//! or when the AOF is turned on). Redis forks a child that writes the new
//! base; here the base is a copy-on-write snapshot written a slice at a time
//! between client work, like BGSAVE (see `rdb::SnapshotJob`), streamed to
//! the host with [`Event::PersistPart`]. A new incr file takes the writes
//! from the start of the rewrite, as in 7.0, so nothing is buffered for it.

use super::{secs, temp_incr_name, AofState};
use crate::keyspace::stream::{Stream, StreamId};
use crate::keyspace::{Db, Value};
use crate::node::{Event, FileOp, LogLevel, Millis, PersistStep};
use crate::rdb::{self, Aux, EncodeOptions};
use crate::resp::format_double;
use crate::server::config::Key;
use crate::server::fork::{ChildKind, KeyPace};
use crate::server::memory::rdb_used_mem_quick;
use crate::server::{Server, ServerState};
use bytes::Bytes;

/// A rewrite in progress.
pub struct Rewrite {
    pub started: Millis,
    /// The child's pid the log lines name.
    pub pid: u64,
    /// Its child (see [`crate::server::fork`]).
    pub child: u64,
    /// `rdb-key-save-delay` when it began (an RDB base only).
    pub pace: Option<KeyPace>,
    /// The sliced RDB snapshot; `None` for a command-form base, written
    /// whole when the rewrite began.
    pub job: Option<rdb::SnapshotJob>,
    /// Whether the base is RDB (`aof-use-rdb-preamble`).
    pub rdb: bool,
    /// The base file it streams to, as the host names it.
    pub file: String,
    /// Bytes handed to the host so far.
    pub written: u64,
    /// Rounds with client input since the last slice, and its bytes.
    pub waited: u32,
    pub fed: usize,
    /// The whole base is handed over; the host confirms it with its `n`th
    /// `Input::Persisted`.
    pub finishing: Option<u64>,
}

/// Items per RPUSH / SADD / ZADD / HMSET of a command-form base
/// (`AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Commands that rebuild one key (rewriteAppendOnlyFileRio's per-key part).
fn key_commands(out: &mut Vec<u8>, key: &[u8], value: &Value, expire: Option<Millis>) {
    let mut batched = |name: &str, items: Vec<Vec<&[u8]>>, per_item: usize| {
        for chunk in items.chunks(ITEMS_PER_CMD) {
            out.extend_from_slice(format!("*{}\r\n", 2 + chunk.len() * per_item).as_bytes());
            bulk(out, name.as_bytes());
            bulk(out, key);
            for item in chunk {
                for part in item {
                    bulk(out, part);
                }
            }
        }
    };
    match value {
        Value::Str(s) => {
            out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n");
            bulk(out, key);
            bulk(out, s);
        }
        Value::List(l) => batched("RPUSH", l.iter().map(|v| vec![v]).collect(), 1),
        Value::Set(s) => {
            let members: Vec<bytes::Bytes> = s.iter().collect();
            batched("SADD", members.iter().map(|m| vec![&m[..]]).collect(), 1)
        }
        Value::Hash(h) => batched("HMSET", h.iter().map(|(f, v)| vec![f, v]).collect(), 2),
        Value::ZSet(z) => {
            let scores: Vec<(String, &[u8])> =
                z.iter().map(|(m, s)| (format_double(s), m)).collect();
            batched(
                "ZADD",
                scores.iter().map(|(s, m)| vec![s.as_bytes(), *m]).collect(),
                2,
            )
        }
        Value::Stream(st) => stream_commands(out, key, st),
        // 7.0's rewrite would walk it and its child stop; the payload as
        // received, restored, keeps the file loadable.
        Value::Corrupt(c) => {
            let mut payload = vec![c.rdb_type];
            payload.extend_from_slice(&c.body);
            let payload = crate::rdb::payload::seal(payload);
            out.extend_from_slice(b"*4\r\n$7\r\nRESTORE\r\n");
            bulk(out, key);
            bulk(out, b"0");
            bulk(out, &payload);
        }
    }
    if let Some(at) = expire {
        out.extend_from_slice(b"*3\r\n$9\r\nPEXPIREAT\r\n");
        bulk(out, key);
        bulk(out, at.to_string().as_bytes());
    }
}

/// Commands that rebuild a stream (rewriteStreamObject): its entries as
/// XADDs (an empty stream by the `XADD MAXLEN 0` trick), XSETID for the
/// IDs and counters, then each group, its pending entries as XCLAIMs and
/// its consumers without any as XGROUP CREATECONSUMER.
fn stream_commands(out: &mut Vec<u8>, key: &[u8], st: &Stream) {
    let command = |out: &mut Vec<u8>, parts: &[&[u8]]| {
        out.extend_from_slice(format!("*{}\r\n", parts.len()).as_bytes());
        for p in parts {
            bulk(out, p);
        }
    };
    if st.length > 0 {
        for e in st.range(StreamId::MIN, StreamId::MAX) {
            let id = e.id.to_bytes();
            let mut parts: Vec<&[u8]> = vec![b"XADD", key, &id];
            parts.extend(e.fields.iter().map(|f| &f[..]));
            command(out, &parts);
        }
    } else {
        command(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    let last = st.last_id.to_bytes();
    let added = st.entries_added.to_string();
    let max_deleted = st.max_deleted_entry_id.to_bytes();
    command(
        out,
        &[
            b"XSETID",
            key,
            &last,
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            &max_deleted,
        ],
    );
    for (name, group) in &st.groups {
        let last = group.last_id.to_bytes();
        let read = group.entries_read.to_string();
        command(
            out,
            &[
                b"XGROUP",
                b"CREATE",
                key,
                name,
                &last,
                b"ENTRIESREAD",
                read.as_bytes(),
            ],
        );
        for (consumer, c) in &group.consumers {
            if c.pel.is_empty() {
                command(out, &[b"XGROUP", b"CREATECONSUMER", key, name, consumer]);
                continue;
            }
            for id in &c.pel {
                let Some(nack) = group.pel.get(id) else {
                    continue;
                };
                let idb = id.to_bytes();
                let time = nack.delivery_time.to_string();
                let count = nack.delivery_count.to_string();
                command(
                    out,
                    &[
                        b"XCLAIM",
                        key,
                        name,
                        consumer,
                        b"0",
                        &idb,
                        b"TIME",
                        time.as_bytes(),
                        b"RETRYCOUNT",
                        count.as_bytes(),
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}

/// A command-form base of the whole dataset: `#TS:` first when enabled,
/// the function libraries (FUNCTION LOAD), then per non-empty db a SELECT
/// and its keys (rewriteAppendOnlyFileRio).
pub fn commands_of(dbs: &[Db], functions: &[Bytes], timestamp: Option<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(ts) = timestamp {
        out.extend_from_slice(format!("#TS:{ts}\r\n").as_bytes());
    }
    for code in functions {
        out.extend_from_slice(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n");
        bulk(&mut out, code);
    }
    for (i, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        out.extend_from_slice(b"*2\r\n$6\r\nSELECT\r\n");
        bulk(&mut out, i.to_string().as_bytes());
        for (k, o) in db.keys().iter() {
            let exp = db.expires().get(&k[..]).copied();
            key_commands(&mut out, k, &o.value, exp);
        }
    }
    out
}

impl ServerState {
    fn aof_rdb_aux(&self) -> Aux {
        let mut aux = Aux::for_save(secs(self.now), rdb_used_mem_quick(&self.dbs), None);
        aux.aof_base = Some(1);
        aux.functions = self.scripting.library_codes();
        aux
    }

    fn aof_encode_options(&self) -> EncodeOptions {
        EncodeOptions {
            compression: self.config.get_bool(Key::RDBCOMPRESSION),
            checksum: self.config.get_bool(Key::RDBCHECKSUM),
        }
    }

    /// The whole base now, in the foreground (rewriteAppendOnlyFile).
    pub fn aof_rewrite_now(&self, rdb: bool) -> Vec<u8> {
        if rdb {
            rdb::encode_with(&self.dbs, &self.aof_rdb_aux(), self.aof_encode_options())
        } else {
            let ts = self.config.get_bool(Key::AOF_TIMESTAMP_ENABLED);
            let functions = self.scripting.library_codes();
            commands_of(&self.dbs, &functions, ts.then(|| secs(self.now)))
        }
    }

    /// Open the incr file the writes go to from now (openNewIncrAofForAppend).
    fn aof_open_new_incr(&mut self) {
        let filename = self.aof_filename();
        let old = self.aof_current_incr();
        let name = match self.aof.state {
            AofState::Off => return,
            AofState::WaitRewrite => {
                let name = temp_incr_name(&filename);
                let file = self.aof_path(&name);
                self.aof_file_op(FileOp::Truncate { file, len: 0 });
                name
            }
            AofState::On => {
                let name = self.aof.manifest.new_incr(&filename);
                let file = self.aof_path(&name);
                self.aof_file_op(FileOp::Truncate { file, len: 0 });
                self.aof_persist_manifest();
                name
            }
        };
        self.log(
            LogLevel::Notice,
            format!("Creating AOF incr file {name} on background rewrite"),
        );
        if self.aof.state == AofState::On && !old.is_empty() {
            // The old file's last bytes get synced in the background.
            self.aof_background_fsync(&old);
            self.aof.last_fsync = secs(self.now);
        }
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
    }

    /// Start a background rewrite (rewriteAppendOnlyFileBackground). Fails
    /// while another save or rewrite runs.
    pub fn aof_rewrite_background(&mut self) -> Result<(), String> {
        if self.bgsave_job.is_some() || self.aof.rewrite.is_some() {
            return Err("another background operation runs".into());
        }
        self.aof.selected_db = None;
        self.aof_flush(true);
        self.aof_open_new_incr();
        self.aof.rewrites += 1;
        let rdb = self.config.get_bool(Key::AOF_USE_RDB_PREAMBLE);
        let base_seq = self.aof.manifest.base_seq + 1;
        let name = format!(
            "{}.{base_seq}.base.{}",
            self.aof_filename(),
            if rdb { "rdb" } else { "aof" }
        );
        let file = self.aof_path(&name);
        let (job, head) = if rdb {
            let aux = self.aof_rdb_aux();
            let opts = self.aof_encode_options();
            let mut job = rdb::SnapshotJob::start(&mut self.dbs, &aux, opts, self.dirty);
            let head = job.take_output();
            (Some(job), head)
        } else {
            (None, self.aof_rewrite_now(false))
        };
        // Without processes, a stable stand-in pid from the clock.
        let stand_in = 1000 + self.now % 30000;
        let (child, pid) = self.fork_child(
            ChildKind::AofRewrite,
            "Background append only file rewriting started by pid",
            stand_in,
        );
        self.aof.rewrite_scheduled = false;
        let written = head.len() as u64;
        self.emit(Event::PersistPart {
            file: file.clone(),
            bytes: head,
            step: PersistStep::Start,
        });
        self.aof.rewrite = Some(Box::new(Rewrite {
            started: self.now,
            pid,
            child,
            pace: self.save_key_pace(),
            job,
            rdb,
            file,
            written,
            waited: 0,
            fed: 0,
            finishing: None,
        }));
        Ok(())
    }

    /// Stop a running rewrite (killAppendOnlyChild).
    pub fn aof_kill_rewrite(&mut self) {
        let Some(rw) = self.aof.rewrite.take() else {
            return;
        };
        self.log(
            LogLevel::Notice,
            format!("Killing running AOF rewrite child: {}", rw.pid),
        );
        if let Some(job) = rw.job {
            job.abort(&mut self.dbs);
        }
        if rw.finishing.is_none() {
            self.emit(Event::PersistPart {
                file: rw.file,
                bytes: Vec::new(),
                step: PersistStep::Abort,
            });
        }
    }

    /// BGREWRITEAOF's decision (bgrewriteaofCommand).
    pub fn aof_bgrewriteaof(&mut self, in_exec: bool) -> Result<&'static str, String> {
        if self.aof.rewrite.is_some() {
            return Err("ERR Background append only file rewriting already in progress".into());
        }
        if self.bgsave_job.is_some() || in_exec {
            self.aof.rewrite_scheduled = true;
            self.aof.consecutive_failures = 0;
            return Ok("Background append only file rewriting scheduled");
        }
        self.aof_rewrite_background().map_err(|_| {
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".to_string()
        })?;
        Ok("Background append only file rewriting started")
    }

    /// aofRewriteLimited: after three failed rewrites in a row, automatic
    /// ones wait 1, 2, 4 ... up to 60 minutes (BGREWRITEAOF still runs).
    fn aof_rewrite_limited(&mut self) -> bool {
        if self.aof.consecutive_failures < 3 {
            self.aof.limit_delay_minutes = 0;
            self.aof.limit_until = 0;
            return false;
        }
        let now = secs(self.now);
        if self.aof.limit_until != 0 {
            if now < self.aof.limit_until {
                return true;
            }
            self.aof.limit_until = 0;
            return false;
        }
        let next = (self.aof.limit_delay_minutes * 2).clamp(1, 60);
        self.aof.limit_delay_minutes = next;
        self.aof.limit_until = now + next * 60;
        self.log(
            LogLevel::Warning,
            format!("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {next} minutes"),
        );
        true
    }

    /// serverCron's AOF part: a scheduled rewrite, an automatic one on
    /// growth, a postponed flush, a scheduled BGSAVE.
    pub fn aof_cron(&mut self) {
        let busy = self.bgsave_job.is_some() || self.aof.rewrite.is_some();
        if !busy && self.aof.rewrite_scheduled && !self.aof_rewrite_limited() {
            let _ = self.aof_rewrite_background();
        }
        let busy = self.bgsave_job.is_some() || self.aof.rewrite.is_some();
        let perc = self.config.get_i64(Key::AUTO_AOF_REWRITE_PERCENTAGE) as u64;
        let min = self.config.get_i64(Key::AUTO_AOF_REWRITE_MIN_SIZE) as u64;
        if self.aof.state == AofState::On && !busy && perc > 0 && self.aof.current_size > min {
            let base = self.aof.base_size.max(1);
            let growth = (self.aof.current_size * 100 / base) as i64 - 100;
            if growth >= perc as i64 && !self.aof_rewrite_limited() {
                self.log(
                    LogLevel::Notice,
                    format!("Starting automatic rewriting of AOF on {growth}% growth"),
                );
                let _ = self.aof_rewrite_background();
            }
        }
        if self.aof.state == AofState::On && self.aof.flush_postponed_start != 0 {
            self.aof_flush(false);
        }
        let busy = self.bgsave_job.is_some() || self.aof.rewrite.is_some();
        if !busy && self.aof.bgsave_scheduled {
            self.aof.bgsave_scheduled = false;
            let _ = self.bgsave();
        }
    }
}

impl Server {
    /// One round of a running rewrite, clients first (as `bgsave_round`).
    pub(crate) fn aof_rewrite_round(&mut self, client_input: Option<usize>) {
        let Some(rw) = self.st.aof.rewrite.as_mut() else {
            return;
        };
        if rw.finishing.is_some() {
            return;
        }
        let slices =
            crate::server::persistence::slice_turn(&mut rw.waited, &mut rw.fed, client_input);
        if slices == 0 {
            return;
        }
        self.aof_rewrite_step(slices);
    }

    /// When the running rewrite wants its next slice (as `bgsave_slice_due`).
    pub(crate) fn aof_rewrite_slice_due(&self) -> Option<Millis> {
        let rw = self
            .st
            .aof
            .rewrite
            .as_ref()
            .filter(|rw| rw.finishing.is_none())?;
        Some(match (rw.pace, rw.job.as_ref()) {
            (Some(p), Some(job)) => p.next_due(job.keys_written),
            _ => self.st.now,
        })
    }

    /// Write the next slice of the base; after the last, the host renames
    /// it into place and the rewrite ends (at once, or on `Input::Persisted`).
    fn aof_rewrite_step(&mut self, slices: usize) {
        let st = &mut self.st;
        let Some(rw) = st.aof.rewrite.as_mut() else {
            return;
        };
        let mut keys = st.persist.slice.max(1) * slices;
        let bytes = st.persist.slice_bytes.max(1) * slices;
        let (chunk, done) = match rw.job.as_mut() {
            Some(job) => {
                if let Some(p) = rw.pace {
                    keys = keys.min(p.budget(st.now, job.keys_written) as usize);
                    if keys == 0 {
                        return;
                    }
                }
                let done = job.step_bounded(&mut st.dbs, keys, bytes);
                let mut chunk = job.take_output();
                if done {
                    chunk.extend(job.finish_output());
                }
                (chunk, done)
            }
            None => (Vec::new(), true),
        };
        rw.written += chunk.len() as u64;
        let file = rw.file.clone();
        if done {
            // The walk has ended every database's snapshot itself.
            rw.job = None;
            st.persist.finished += 1;
            rw.finishing = Some(st.persist.finished);
        }
        let step = if done {
            PersistStep::Finish
        } else {
            PersistStep::Append
        };
        if !chunk.is_empty() || done {
            st.emit(Event::PersistPart {
                file,
                bytes: chunk,
                step,
            });
        }
        if done && !st.persist.host_confirms {
            st.persist.confirmed = st.persist.finished;
            st.aof_rewrite_done(None);
        }
    }
}

impl ServerState {
    /// Whether the file the host just confirmed is the rewrite's base.
    pub(crate) fn aof_rewrite_confirmed(&self, confirmed: u64) -> bool {
        self.aof
            .rewrite
            .as_ref()
            .and_then(|rw| rw.finishing)
            .is_some_and(|n| n <= confirmed)
    }

    /// The base is in place (or failed): backgroundRewriteDoneHandler.
    pub(crate) fn aof_rewrite_done(&mut self, error: Option<String>) {
        let Some(rw) = self.aof.rewrite.take() else {
            return;
        };
        self.aof.last_rewrite_secs = (self.now.saturating_sub(rw.started) / 1000) as i64;
        if error.is_some() {
            self.aof.last_bgrewrite_ok = false;
            self.aof.consecutive_failures += 1;
            self.log(
                LogLevel::Warning,
                "Background AOF rewrite terminated with error",
            );
            self.aof_rewrite_cleanup();
            return;
        }
        // The child's lines, as it exits.
        self.log(
            LogLevel::Notice,
            format!(
                "Successfully created the temporary AOF base file temp-rewriteaof-bg-{}.aof",
                rw.pid
            ),
        );
        self.end_cow(ChildKind::AofRewrite);
        self.log(
            LogLevel::Notice,
            "Background AOF rewrite terminated with success",
        );
        let filename = self.aof_filename();
        let base = self.aof.manifest.new_base(&filename, rw.rdb);
        self.log(
            LogLevel::Notice,
            format!(
                "Successfully renamed the temporary AOF base file temp-rewriteaof-bg-{}.aof into {base}",
                rw.pid
            ),
        );
        if self.aof.state == AofState::WaitRewrite {
            let temp = temp_incr_name(&filename);
            let incr = self.aof.manifest.new_incr(&filename);
            let (from, to) = (self.aof_path(&temp), self.aof_path(&incr));
            self.aof_file_op(FileOp::Rename { from, to });
            self.log(
                LogLevel::Notice,
                format!("Successfully renamed the temporary AOF incr file {temp} into {incr}"),
            );
        }
        let on = self.aof.state != AofState::Off;
        self.aof.manifest.mark_rewritten_incr_as_history(on);
        self.aof_persist_manifest();
        if on {
            self.aof.current_size = rw.written + self.aof.last_incr_size;
            self.aof.base_size = self.aof.current_size;
        }
        self.aof_del_history_files();
        self.aof.last_bgrewrite_ok = true;
        self.aof.consecutive_failures = 0;
        self.log(
            LogLevel::Notice,
            "Background AOF rewrite finished successfully",
        );
        if self.aof.state == AofState::WaitRewrite {
            self.aof.state = AofState::On;
        }
    }

    /// The rewrite's child died by `signal` (backgroundRewriteDoneHandler
    /// for a killed child): its temp base goes, and the rewrite failed
    /// unless the signal was SIGUSR1.
    pub(crate) fn aof_rewrite_killed(&mut self, signal: i32) {
        let Some(rw) = self.aof.rewrite.take() else {
            return;
        };
        if let Some(job) = rw.job {
            job.abort(&mut self.dbs);
        }
        self.emit(Event::PersistPart {
            file: rw.file,
            bytes: Vec::new(),
            step: PersistStep::Abort,
        });
        if signal != 10 {
            self.aof.last_bgrewrite_ok = false;
            self.aof.consecutive_failures += 1;
        }
        self.log(
            LogLevel::Warning,
            format!("Background AOF rewrite terminated by signal {signal}"),
        );
        self.aof.last_rewrite_secs = (self.now.saturating_sub(rw.started) / 1000) as i64;
        self.aof_rewrite_cleanup();
    }

    fn aof_rewrite_cleanup(&mut self) {
        if self.aof.state == AofState::WaitRewrite {
            self.aof.buf.clear();
            let name = temp_incr_name(&self.aof_filename());
            self.log(
                LogLevel::Notice,
                format!("Removing the temp incr aof file {name} in the background"),
            );
            let file = self.aof_path(&name);
            self.aof_file_op(FileOp::Delete { file });
            self.aof.rewrite_scheduled = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Object;
    use bytes::Bytes;

    #[test]
    fn repeated_failures_delay_automatic_rewrites() {
        let mut s = crate::server::Server::new(crate::server::Config::default(), 1_000_000, 1);
        let st = &mut s.st;
        assert!(!st.aof_rewrite_limited());
        st.aof.consecutive_failures = 3;
        assert!(st.aof_rewrite_limited(), "limited for a minute");
        st.now += 30_000;
        assert!(st.aof_rewrite_limited());
        st.now += 31_000;
        assert!(!st.aof_rewrite_limited(), "the minute is over");
        assert!(st.aof_rewrite_limited(), "then two minutes");
        assert_eq!(st.aof.limit_delay_minutes, 2);
    }

    #[test]
    fn command_form_base_rebuilds_each_type_with_expiries() {
        let mut dbs: Vec<Db> = (0..2).map(|_| Db::default()).collect();
        dbs[1].insert_loaded(
            Bytes::from_static(b"k"),
            Object::new(Value::Str(Bytes::from_static(b"v").into())),
            Some(1234),
        );
        let out = String::from_utf8(commands_of(&dbs, &[], Some(7))).unwrap();
        assert_eq!(
            out,
            "#TS:7\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
             *3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$4\r\n1234\r\n"
        );
    }
}
