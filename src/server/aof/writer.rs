//! Appending: commands join the AOF buffer as they are propagated
//! (feedAppendOnlyFile), and the buffer goes to the host before the replies
//! of the same round (flushAppendOnlyFile), with the fsync policy's sync.

use super::{secs, AofState, FsyncPolicy};
use crate::node::{FileOp, LogLevel};
use crate::replication::encode_command;
use crate::server::config::Key;
use crate::server::{Propagated, ServerState};

/// AOF_WRITE_LOG_ERROR_RATE: one write error line per this many seconds.
const WRITE_ERROR_LOG_RATE: u64 = 30;

impl ServerState {
    /// The AOF takes the propagated commands now (it is on, or its
    /// rewrite gathers them while it is being turned on).
    pub fn aof_wants_feed(&self) -> bool {
        match self.aof.state {
            AofState::On => true,
            AofState::WaitRewrite => self.aof.rewrite.is_some(),
            AofState::Off => false,
        }
    }

    /// Append propagated commands (db, argv) to the AOF buffer, with a
    /// SELECT when the db changes and `#TS:` annotations when enabled.
    pub fn aof_feed(&mut self, feed: &[Propagated]) {
        if !self.aof_wants_feed() {
            return;
        }
        let stamp = self.config.get_bool(Key::AOF_TIMESTAMP_ENABLED);
        let now = secs(self.now);
        for Propagated { db, argv, target } in feed {
            // Commands without a db go to replicas only.
            if *db == usize::MAX || target & Propagated::AOF == 0 {
                continue;
            }
            if stamp && self.aof.cur_timestamp < now {
                self.aof.cur_timestamp = now;
                self.aof
                    .buf
                    .extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
            }
            if self.aof.selected_db != Some(*db) {
                let n = db.to_string();
                self.aof.buf.extend_from_slice(
                    format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{}\r\n", n.len(), n).as_bytes(),
                );
                self.aof.selected_db = Some(*db);
            }
            encode_command(argv, &mut self.aof.buf);
        }
    }

    /// Hand the buffer to the host (flushAppendOnlyFile). `force` writes even
    /// while a background fsync is pending. While a write error stands, the
    /// failed bytes are tried again by the cron only (once a second, as 7.0),
    /// not in every round.
    pub fn aof_flush(&mut self, force: bool) {
        if self.aof.state == AofState::Off || self.aof.write_error.is_some() {
            return;
        }
        self.aof_write_buffer(force);
    }

    /// Commands in the buffer wait for a pending background fsync
    /// (`everysec`'s postponed write): their replies wait with them, so a
    /// process crash never loses an acknowledged write. (7.0 replies at once
    /// and can lose up to two seconds of acknowledged writes here.)
    pub fn aof_write_postponed(&self) -> bool {
        self.aof.flush_postponed_start != 0 && !self.aof.buf.is_empty()
    }

    fn aof_write_buffer(&mut self, force: bool) {
        let policy = self.aof_fsync_policy();
        let now = secs(self.now);
        let sync_in_progress = self.aof.pending_fsyncs > 0;
        let file = self.aof_current_incr_cached();
        if file.is_empty() {
            return;
        }
        if self.aof.buf.is_empty() {
            // An fsync still owed for bytes written earlier.
            let owed = self.aof.last_incr_fsync_offset != self.aof.last_incr_size;
            let due = match policy {
                FsyncPolicy::EverySec => owed && now > self.aof.last_fsync && !sync_in_progress,
                FsyncPolicy::Always => owed,
                FsyncPolicy::No => false,
            };
            if due {
                self.aof_try_fsync(policy, &file, sync_in_progress);
            }
            return;
        }
        if policy == FsyncPolicy::EverySec && !force && sync_in_progress {
            if self.aof.flush_postponed_start == 0 {
                self.aof.flush_postponed_start = now;
                return;
            } else if now.saturating_sub(self.aof.flush_postponed_start) < 2 {
                return;
            }
            self.aof.delayed_fsync += 1;
            self.log(LogLevel::Notice, "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
        }
        self.aof.flush_postponed_start = 0;
        // The next round's buffer starts at this one's size: growing from
        // empty would reallocate several times for every command.
        let n = self.aof.buf.len();
        let bytes = std::mem::replace(&mut self.aof.buf, Vec::with_capacity(n));
        let sync_now = policy == FsyncPolicy::Always && !self.aof_no_fsync_now();
        self.aof.current_size += n as u64;
        self.aof.last_incr_size += n as u64;
        if sync_now {
            self.aof_file_op(FileOp::Append {
                file,
                bytes,
                fsync: true,
            });
            self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
            self.aof.last_fsync = now;
        } else {
            self.aof_file_op(FileOp::Append {
                file: file.clone(),
                bytes,
                fsync: false,
            });
            self.aof_try_fsync(policy, &file, sync_in_progress);
        }
    }

    /// `no-appendfsync-on-rewrite` with a save or rewrite running.
    fn aof_no_fsync_now(&self) -> bool {
        self.config.get_bool(Key::NO_APPENDFSYNC_ON_REWRITE)
            && (self.bgsave_job.is_some() || self.aof.rewrite.is_some())
    }

    /// The `try_fsync` part of flushAppendOnlyFile.
    fn aof_try_fsync(&mut self, policy: FsyncPolicy, file: &str, sync_in_progress: bool) {
        if self.aof_no_fsync_now() {
            return;
        }
        let now = secs(self.now);
        match policy {
            FsyncPolicy::Always => {
                // Bytes written before the policy became `always`.
                self.aof_file_op(FileOp::Append {
                    file: file.to_string(),
                    bytes: Vec::new(),
                    fsync: true,
                });
                self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                self.aof.last_fsync = now;
            }
            FsyncPolicy::EverySec if now > self.aof.last_fsync => {
                if !sync_in_progress {
                    self.aof_background_fsync(file);
                    self.aof.last_incr_fsync_offset = self.aof.last_incr_size;
                }
                self.aof.last_fsync = now;
            }
            _ => {}
        }
    }

    /// Ask the host for a background fsync (bio's BIO_AOF_FSYNC).
    pub fn aof_background_fsync(&mut self, file: &str) {
        if self.persist.host_confirms {
            self.aof.pending_fsyncs += 1;
        }
        self.aof_file_op(FileOp::Fsync {
            file: file.to_string(),
        });
    }

    /// The host finished a background fsync.
    pub fn aof_fsynced(&mut self, error: Option<String>) {
        self.aof.pending_fsyncs = self.aof.pending_fsyncs.saturating_sub(1);
        match error {
            // bio.c: logged when the status turns to error; writes are
            // refused until a later fsync succeeds.
            Some(e) => {
                if self.aof.fsync_error.is_none() {
                    self.log(
                        LogLevel::Warning,
                        format!("Fail to fsync the AOF file: {e}"),
                    );
                }
                self.aof.fsync_error = Some(e);
            }
            None => self.aof.fsync_error = None,
        }
    }

    /// The host could not append (see [`crate::node::Input::AofWriteFailed`]):
    /// flushAppendOnlyFile's error path. With `always` the server exits (the
    /// replies already went out and the writes cannot be undone); otherwise
    /// the bytes go back to the front of the buffer and writes are refused
    /// until they are written.
    pub fn aof_write_failed(
        &mut self,
        file: &str,
        unwritten: Vec<u8>,
        partial: u64,
        error: String,
        truncate_error: Option<String>,
    ) {
        let now = secs(self.now);
        if now.saturating_sub(self.aof.write_error_logged) > WRITE_ERROR_LOG_RATE {
            self.aof.write_error_logged = now;
            if partial == 0 {
                self.log(
                    LogLevel::Warning,
                    format!("Error writing to the AOF file: {error}"),
                );
            } else {
                let expected = match truncate_error {
                    Some(_) => partial + unwritten.len() as u64,
                    None => unwritten.len() as u64,
                };
                self.log(LogLevel::Warning, format!("Short write while writing to the AOF file: (nwritten={partial}, expected={expected})"));
                if let Some(e) = &truncate_error {
                    self.log(LogLevel::Warning, format!("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: {e}"));
                }
            }
        }
        // A short write is reported as ENOSPC, whatever write(2) said.
        let error = if partial == 0 {
            error
        } else {
            "No space left on device".to_string()
        };
        if self.aof_fsync_policy() == FsyncPolicy::Always {
            self.log(
                LogLevel::Warning,
                "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
            );
            self.emit(crate::node::Event::Shutdown { exit_code: 1 });
            return;
        }
        let n = unwritten.len() as u64;
        self.aof.current_size = self.aof.current_size.saturating_sub(n);
        self.aof.last_incr_size = self.aof.last_incr_size.saturating_sub(n);
        if file == self.aof_current_incr() {
            let later = std::mem::replace(&mut self.aof.buf, unwritten);
            self.aof.buf.extend_from_slice(&later);
        }
        self.aof.write_error = Some(error);
        self.aof.write_retry_sent = false;
        self.aof.write_retry_at = self.now + 1000;
    }

    /// The cron's part while a write error stands: the failed bytes are
    /// handed to the host again once a second; when one such try brings no
    /// failure back by the next cron, the error is over.
    pub fn aof_write_error_cron(&mut self) {
        if self.aof.write_error.is_none() {
            return;
        }
        if self.aof.state == AofState::Off {
            return;
        }
        if self.aof.write_retry_sent {
            self.aof.write_retry_sent = false;
            self.aof.write_error = None;
            self.log(
                LogLevel::Warning,
                "AOF write error looks solved, Redis can write again.",
            );
            return;
        }
        if self.now >= self.aof.write_retry_at {
            self.aof.write_retry_at = self.now + 1000;
            self.aof.write_retry_sent = true;
            self.aof_write_buffer(false);
        }
    }

    /// writeCommandsDeniedByDiskError's AOF part: why writes are refused.
    pub fn aof_write_denied(&self) -> Option<&str> {
        if self.aof.state == AofState::Off {
            return None;
        }
        self.aof
            .write_error
            .as_deref()
            .or(self.aof.fsync_error.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use crate::node::{Event, FileOp, Output};
    use crate::server::aof::AofState;
    use crate::server::config::Key;
    use crate::server::{Config, Propagated, Server};
    use bytes::Bytes;

    fn server() -> Server {
        let mut s = Server::new(Config::default(), 1_000_000, 1);
        s.st.aof.state = AofState::On;
        s.st.aof.manifest.last_incr_or_new("appendonly.aof");
        s
    }

    fn appended(s: &mut Server) -> Vec<(String, Vec<u8>, bool)> {
        let mut out = Vec::new();
        while let Some(o) = crate::node::Node::poll_output(s) {
            if let Output::Event(Event::AofFile(FileOp::Append { file, bytes, fsync })) = o {
                out.push((file, bytes, fsync));
            }
        }
        out
    }

    fn argv(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn select_is_written_when_the_db_changes_and_at_the_start() {
        let mut s = server();
        s.st.aof_feed(&[
            Propagated::all(0, argv(&["SET", "a", "1"])),
            Propagated::all(2, argv(&["SET", "b", "2"])),
        ]);
        s.st.aof_flush(false);
        let w = appended(&mut s);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, "appendonlydir/appendonly.aof.1.incr.aof");
        assert_eq!(
            String::from_utf8(w[0].1.clone()).unwrap(),
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert!(!w[0].2, "everysec does not sync with the write");
        assert_eq!(s.st.aof.current_size, w[0].1.len() as u64);
    }

    #[test]
    fn writes_follow_a_new_incr_file() {
        let mut s = server();
        s.st.aof_feed(&[Propagated::all(0, argv(&["SET", "a", "1"]))]);
        s.st.aof_flush(false);
        s.st.aof.manifest.new_incr("appendonly.aof");
        s.st.aof_feed(&[Propagated::all(0, argv(&["SET", "b", "2"]))]);
        s.st.aof_flush(false);
        let files: Vec<String> = appended(&mut s).into_iter().map(|w| w.0).collect();
        assert_eq!(
            files,
            [
                "appendonlydir/appendonly.aof.1.incr.aof",
                "appendonlydir/appendonly.aof.2.incr.aof"
            ]
        );
    }

    #[test]
    fn always_syncs_with_the_write_and_timestamps_annotate() {
        let mut s = server();
        s.st.config
            .set(Key::APPENDFSYNC, &["always".into()])
            .unwrap();
        s.st.config
            .set(Key::AOF_TIMESTAMP_ENABLED, &["yes".into()])
            .unwrap();
        s.st.aof_feed(&[Propagated::all(0, argv(&["DEL", "a"]))]);
        s.st.aof_flush(false);
        let w = appended(&mut s);
        assert!(w[0].2);
        assert!(String::from_utf8_lossy(&w[0].1).starts_with("#TS:1000\r\n*2\r\n$6\r\nSELECT"));
    }

    #[test]
    fn a_pending_background_fsync_postpones_an_everysec_write_for_two_seconds() {
        let mut s = server();
        s.st.persist.host_confirms = true;
        s.st.aof.pending_fsyncs = 1;
        s.st.aof_feed(&[Propagated::all(0, argv(&["SET", "a", "1"]))]);
        s.st.aof_flush(false);
        assert!(appended(&mut s).is_empty());
        s.st.now += 2000;
        s.st.aof_flush(false);
        assert_eq!(appended(&mut s).len(), 1);
        assert_eq!(s.st.aof.delayed_fsync, 1);
    }
}
