//! The append-only file, Redis 7.0's multi-part AOF: a manifest naming a
//! base file (the dataset at the last rewrite, as RDB or as commands) and
//! incremental files (the writes since), all under `appenddirname`.
//!
//! The core owns the state and the bytes; the host owns the files. Writes
//! are gathered as they are propagated ([`writer`]) and handed to the host
//! as [`Event::AofFile`] ops just before the replies of the same round, so
//! with `appendfsync always` the host syncs before it sends them. A rewrite
//! ([`rewrite`]) walks a copy-on-write snapshot in slices like BGSAVE.
//! Loading ([`loader`]) reads the files through a function the host gives.

pub mod check;
pub mod loader;
pub mod manifest;
pub mod rewrite;
pub mod writer;

use super::ServerState;
use crate::node::{Event, FileOp, LogLevel, Millis};
use crate::server::config::Key;
use manifest::Manifest;

/// `server.aof_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AofState {
    Off,
    On,
    /// Turned on at run time: the first rewrite must finish before the
    /// files count (writes meanwhile go to a temp incr file).
    WaitRewrite,
}

/// `appendfsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    Always,
    EverySec,
    No,
}

/// Everything the server keeps about its AOF.
pub struct Aof {
    pub state: AofState,
    pub manifest: Manifest,
    /// Commands not handed to the host yet (`aof_buf`).
    pub buf: Vec<u8>,
    /// The db the last appended command ran in (`aof_selected_db`).
    pub selected_db: Option<usize>,
    /// The unix second of the last `#TS:` annotation.
    pub cur_timestamp: u64,
    /// `aof_current_size`: base + incr bytes.
    pub current_size: u64,
    /// `aof_rewrite_base_size`: the size after the last rewrite.
    pub base_size: u64,
    /// Bytes in the incr file being written, and how many of them are synced.
    pub last_incr_size: u64,
    pub last_incr_fsync_offset: u64,
    /// Unix second of the last fsync asked for.
    pub last_fsync: u64,
    /// Unix second a write was first postponed for a pending fsync (0: none).
    pub flush_postponed_start: u64,
    /// Background fsyncs asked for and not confirmed (hosts that confirm).
    pub pending_fsyncs: u32,
    /// `aof_delayed_fsync`.
    pub delayed_fsync: u64,
    pub rewrite_scheduled: bool,
    /// `aof_rewrites`, `aof_rewrites_consecutive_failures`.
    pub rewrites: u64,
    pub consecutive_failures: u64,
    /// `aof_last_rewrite_time_sec` (-1: none yet).
    pub last_rewrite_secs: i64,
    pub last_bgrewrite_ok: bool,
    /// Why the last append failed (`aof_last_write_status:err` and its
    /// errno), until a write succeeds again; writes are refused meanwhile.
    pub write_error: Option<String>,
    /// A background fsync failed (`aof_bio_fsync_status`), until one succeeds.
    pub fsync_error: Option<String>,
    /// The failed bytes were handed to the host again and no failure came
    /// back yet: the write error looks solved at the next cron.
    pub write_retry_sent: bool,
    /// When the failed bytes are tried again (every second, as 7.0's cron).
    pub write_retry_at: Millis,
    /// Unix second of the last write error logged (one per 30 s).
    pub write_error_logged: u64,
    /// The running rewrite.
    pub rewrite: Option<Box<rewrite::Rewrite>>,
    /// BGSAVE asked for while a rewrite ran (`rdb_bgsave_scheduled`).
    pub bgsave_scheduled: bool,
    /// aofRewriteLimited's state: the delay after repeated failures
    /// (minutes) and the unix second before which no automatic rewrite runs.
    pub limit_delay_minutes: u64,
    pub limit_until: u64,
    /// DEBUG LOADAOF ran: the server reloads after the handler (it needs
    /// the whole server to run the commands).
    pub load_requested: bool,
    /// The last incr file's path, with the `appenddirname` and file name
    /// it was made of: every write names its file, and formatting the path
    /// anew each time showed in the profile.
    incr_path: Option<(String, String, String)>,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            state: AofState::Off,
            manifest: Manifest::default(),
            buf: Vec::new(),
            selected_db: None,
            cur_timestamp: 0,
            current_size: 0,
            base_size: 0,
            last_incr_size: 0,
            last_incr_fsync_offset: 0,
            last_fsync: 0,
            flush_postponed_start: 0,
            pending_fsyncs: 0,
            delayed_fsync: 0,
            rewrite_scheduled: false,
            rewrites: 0,
            consecutive_failures: 0,
            last_rewrite_secs: -1,
            last_bgrewrite_ok: true,
            write_error: None,
            fsync_error: None,
            write_retry_sent: false,
            write_retry_at: 0,
            write_error_logged: 0,
            rewrite: None,
            bgsave_scheduled: false,
            load_requested: false,
            limit_delay_minutes: 0,
            limit_until: 0,
            incr_path: None,
        }
    }
}

/// The temp incr file of [`AofState::WaitRewrite`] (getTempIncrAofName).
pub fn temp_incr_name(filename: &str) -> String {
    format!("temp-{filename}.incr")
}

impl ServerState {
    /// `appenddirname`.
    pub fn aof_dir(&self) -> String {
        self.config.get(Key::APPENDDIRNAME).to_string()
    }

    /// `appendfilename`.
    pub fn aof_filename(&self) -> String {
        self.config.get(Key::APPENDFILENAME).to_string()
    }

    /// A file of the AOF directory as the host names it (relative to `dir`).
    pub fn aof_path(&self, name: &str) -> String {
        format!("{}/{}", self.config.get(Key::APPENDDIRNAME), name)
    }

    pub fn aof_fsync_policy(&self) -> FsyncPolicy {
        match self.config.get(Key::APPENDFSYNC) {
            "always" => FsyncPolicy::Always,
            "no" => FsyncPolicy::No,
            _ => FsyncPolicy::EverySec,
        }
    }

    /// The incr file appends go to now.
    pub fn aof_current_incr(&self) -> String {
        match self.aof.state {
            AofState::WaitRewrite => self.aof_path(&temp_incr_name(&self.aof_filename())),
            _ => self
                .aof
                .manifest
                .incr
                .last()
                .map(|f| self.aof_path(&f.name))
                .unwrap_or_default(),
        }
    }

    /// [`ServerState::aof_current_incr`], kept while the directory and the
    /// last incr file stay the same.
    pub fn aof_current_incr_cached(&mut self) -> String {
        if self.aof.state == AofState::WaitRewrite {
            return self.aof_current_incr();
        }
        let Some(last) = self.aof.manifest.incr.last() else {
            return String::new();
        };
        let dir = self.config.get(Key::APPENDDIRNAME);
        match &self.aof.incr_path {
            Some((d, name, path)) if d == dir && *name == last.name => path.clone(),
            _ => {
                let path = self.aof_path(&last.name);
                self.aof.incr_path = Some((dir.to_string(), last.name.clone(), path.clone()));
                path
            }
        }
    }

    /// Write the manifest (persistAofManifest): atomically, by the host.
    pub fn aof_persist_manifest(&mut self) {
        let file = self.aof_path(&format!("{}.manifest", self.aof_filename()));
        let bytes = self.aof.manifest.to_text().into_bytes();
        self.emit(Event::Persist { file, bytes });
    }

    pub fn aof_file_op(&mut self, op: FileOp) {
        self.emit(Event::AofFile(op));
    }

    /// Delete the history files the manifest lists (aofDelHistoryFiles).
    pub fn aof_del_history_files(&mut self) {
        if self.config.get_bool(Key::AOF_DISABLE_AUTO_GC) || self.aof.manifest.history.is_empty() {
            return;
        }
        for f in std::mem::take(&mut self.aof.manifest.history) {
            self.log(
                LogLevel::Notice,
                format!("Removing the history file {} in the background", f.name),
            );
            let file = self.aof_path(&f.name);
            self.aof_file_op(FileOp::Delete { file });
        }
        self.aof_persist_manifest();
    }

    /// After loading at start with `appendonly yes` (aofOpenIfNeededOnServerStart):
    /// a base written now if there is no AOF yet, the incr file to append to,
    /// the manifest on disk.
    pub fn aof_open_on_start(&mut self) {
        if self.aof.state != AofState::On {
            return;
        }
        let filename = self.aof_filename();
        let had_incr = !self.aof.manifest.incr.is_empty();
        if self.aof.manifest.is_empty() {
            let rdb = self.config.get_bool(Key::AOF_USE_RDB_PREAMBLE);
            let base = self.aof.manifest.new_base(&filename, rdb);
            let bytes = self.aof_rewrite_now(rdb);
            self.aof.current_size = bytes.len() as u64;
            self.aof.base_size = bytes.len() as u64;
            let file = self.aof_path(&base);
            self.emit(Event::Persist { file, bytes });
            self.log(
                LogLevel::Notice,
                format!("Creating AOF base file {base} on server start"),
            );
        }
        let incr = self.aof.manifest.last_incr_or_new(&filename);
        // Opening with O_CREAT: an empty append makes sure the file exists.
        let file = self.aof_path(&incr);
        self.aof_file_op(FileOp::Append {
            file,
            bytes: Vec::new(),
            fsync: false,
        });
        self.aof_persist_manifest();
        self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
        self.aof.last_fsync = secs(self.now);
        let verb = if had_incr { "Opening" } else { "Creating" };
        self.log(
            LogLevel::Notice,
            format!("{verb} AOF incr file {incr} on server start"),
        );
    }

    /// CONFIG SET appendonly no (stopAppendOnly).
    pub fn aof_stop(&mut self) {
        if self.aof.state == AofState::Off {
            return;
        }
        self.aof_flush(true);
        let file = self.aof_current_incr();
        if !file.is_empty() {
            self.aof_file_op(FileOp::Fsync { file });
        }
        self.aof.last_fsync = self.now / 1000;
        self.aof.state = AofState::Off;
        self.aof.selected_db = None;
        self.aof.rewrite_scheduled = false;
        self.aof.last_incr_size = 0;
        self.aof.last_incr_fsync_offset = 0;
        self.aof_kill_rewrite();
        self.aof.buf.clear();
    }

    /// CONFIG SET appendonly yes (startAppendOnly): a rewrite writes the base
    /// first; until it ends the AOF is not in use. `in_exec`: asked inside a
    /// transaction, where the rewrite waits for the cron.
    pub fn aof_start(&mut self, in_exec: bool) -> Result<(), String> {
        if self.aof.state != AofState::Off {
            return Ok(());
        }
        self.aof.state = AofState::WaitRewrite;
        if self.bgsave_job.is_some() {
            self.aof.rewrite_scheduled = true;
            self.log(LogLevel::Warning, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        } else if in_exec {
            self.aof.rewrite_scheduled = true;
            self.log(LogLevel::Warning, "AOF was enabled during a transaction. An AOF background was scheduled to start when possible.");
        } else {
            if self.aof.rewrite.is_some() {
                self.log(LogLevel::Warning, "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
                self.aof_kill_rewrite();
            }
            if self.aof_rewrite_background().is_err() {
                self.aof.state = AofState::Off;
                self.log(LogLevel::Warning, "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
                return Err("ERR Background append only file rewriting failed".into());
            }
        }
        self.aof.last_fsync = self.now / 1000;
        if self.aof.write_error.take().is_some() {
            self.log(LogLevel::Warning, "AOF reopen, just ignore the last error.");
        }
        Ok(())
    }

    /// The INFO persistence `aof_*` lines.
    pub fn aof_info(&self, out: &mut String) {
        use std::fmt::Write;
        let a = &self.aof;
        let running = a.rewrite.as_ref();
        let current = running.map_or(-1, |r| (self.now.saturating_sub(r.started) / 1000) as i64);
        let ok = |b: bool| if b { "ok" } else { "err" };
        let _ = write!(
            out,
            "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\n\
             aof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{}\r\n\
             aof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_rewrites_consecutive_failures:{}\r\n\
             aof_last_write_status:{}\r\naof_last_cow_size:{}\r\n",
            (a.state != AofState::Off) as u8,
            running.is_some() as u8,
            a.rewrite_scheduled as u8,
            a.last_rewrite_secs,
            current,
            ok(a.last_bgrewrite_ok),
            a.rewrites,
            a.consecutive_failures,
            ok(a.write_error.is_none() && a.fsync_error.is_none()),
            self.forks.aof_last_cow,
        );
    }

    /// The lines INFO adds when the AOF is on.
    pub fn aof_info_sizes(&self, out: &mut String) {
        use std::fmt::Write;
        let a = &self.aof;
        if a.state == AofState::Off {
            return;
        }
        let _ = write!(
            out,
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\n\
             aof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
            a.current_size,
            a.base_size,
            a.rewrite_scheduled as u8,
            a.buf.len(),
            a.pending_fsyncs,
            a.delayed_fsync,
        );
    }
}

/// Unix seconds of a host time.
pub(crate) fn secs(now: Millis) -> u64 {
    now / 1000
}

#[cfg(test)]
mod tests;
