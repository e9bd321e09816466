//! Loading a dataset while the node serves: 7.0's startLoading, its
//! progress callback (rdbLoadProgressCallback) and stopLoading.
//!
//! Redis loads an RDB file in one blocking call that re-enters its event
//! loop every `loading-process-events-interval-bytes` (commands without the
//! `loading` flag get -LOADING meanwhile) and sleeps `key-load-delay` µs
//! after each key. Here a load is a job ([`LoadJob`]): each round without
//! client input decodes up to the next multiple of the interval
//! ([`rdb::Decoder`]), then the host has its turn with the sockets. The
//! delay is the host's to carry out: the native host sleeps when asked
//! (`HostProbe::sleep_us`), blocking the node as usleep blocks Redis;
//! hosts that do not sleep pace keys by their clock ([`KeyPace`], as
//! `rdb-key-save-delay` paces a save), so a simulated node loads in
//! virtual time.

use super::fork::KeyPace;
use super::shutdown::ShutdownFlags;
use super::{Server, ServerState};
use crate::node::{Event, LogLevel, Millis, Output};
use crate::rdb;
use crate::replication::{LinkState, Transfer};
use crate::server::config::Key;

/// INFO's `loading_*` figures, meaningful while `ServerState::loading`.
#[derive(Clone, Debug, Default)]
pub struct LoadProgress {
    /// Unix seconds.
    pub start_time: u64,
    pub total_bytes: u64,
    /// The file's `used-mem` aux field, once read.
    pub rdb_used_mem: u64,
    pub loaded_bytes: u64,
}

/// What a load is for, which decides what happens when it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadPurpose {
    /// The RDB file at start (loadDataFromDisk); `ready_line`: log "Ready
    /// to accept connections" after it, as main() does.
    Startup { ready_line: bool },
    /// A replica's full-sync payload (readSyncBulkPayload). `diskless`:
    /// decoded as it arrives (`repl-diskless-load`); `swapdb`: beside the
    /// old data, which stays until the new one is complete.
    MasterSync { diskless: bool, swapdb: bool },
}

/// How `key-load-delay` slows a load.
#[derive(Clone, Copy, Debug)]
enum KeyDelay {
    None,
    /// The host sleeps `us` after every `every`th key, as debugDelay's
    /// usleep does (a negative delay `-n`: 1 µs once in `n` keys, where
    /// 7.0 draws it with probability 1/n).
    Sleep {
        us: u64,
        every: u64,
    },
    /// A host that does not sleep: keys are let in by its clock.
    Pace(KeyPace),
}

/// A running load.
pub struct LoadJob {
    pub dec: rdb::Decoder,
    pub purpose: LoadPurpose,
    delay: KeyDelay,
    /// `loading-process-events-interval-bytes` when the load began.
    interval: usize,
    /// When the load began (ms).
    started: Millis,
    /// The last newline sent to our master (replicationSendNewlineToMaster).
    newline_at: Millis,
    /// The aux fields' lines were logged (once the first key was read, as
    /// rdbLoad logs them while it reads the fields).
    aux_logged: bool,
}

impl ServerState {
    /// startLoading: INFO shows `loading:1` and the figures from now on.
    pub fn start_loading(&mut self, total_bytes: u64, async_loading: bool) {
        self.loading = true;
        self.async_loading = async_loading;
        self.load_progress = LoadProgress {
            start_time: self.now / 1000,
            total_bytes,
            ..LoadProgress::default()
        };
        self.last_load_keys = (0, 0);
    }

    /// stopLoading.
    pub fn stop_loading(&mut self) {
        self.loading = false;
        self.async_loading = false;
    }
}

impl Server {
    /// Load a whole file's `bytes` as a job, slice by slice between the
    /// host's turns, replacing the databases when it ends (see
    /// [`LoadPurpose`]). Nothing is decoded before the first round.
    pub fn start_rdb_load(&mut self, bytes: Vec<u8>, purpose: LoadPurpose) {
        let total = bytes.len() as u64;
        let mut dec = rdb::Decoder::new(self.st.dbs.len());
        dec.deep = self.st.load_deep_check();
        dec.feed(bytes);
        dec.end_of_input();
        self.begin_load(dec, total, false, purpose);
    }

    /// Load a file whose bytes come later ([`Server::feed_load`]): `total`
    /// if known (0 if not), `trailer` bytes expected after it (the end mark).
    pub(crate) fn start_streaming_load(
        &mut self,
        total: u64,
        trailer: usize,
        async_loading: bool,
        purpose: LoadPurpose,
    ) {
        let mut dec = rdb::Decoder::new(self.st.dbs.len());
        dec.deep = self.st.load_deep_check();
        dec.expect_trailer(trailer);
        self.begin_load(dec, total, async_loading, purpose);
    }

    fn begin_load(
        &mut self,
        dec: rdb::Decoder,
        total: u64,
        async_loading: bool,
        purpose: LoadPurpose,
    ) {
        let now = self.st.now;
        self.st.start_loading(total, async_loading);
        let interval = self
            .st
            .config
            .get_i64(Key::LOADING_PROCESS_EVENTS_INTERVAL_BYTES)
            .max(1) as usize;
        self.st.load_job = Some(Box::new(LoadJob {
            dec,
            purpose,
            delay: self.key_load_delay(),
            interval,
            started: now,
            newline_at: now,
            aux_logged: false,
        }));
    }

    /// `key-load-delay` as this host carries it out.
    fn key_load_delay(&self) -> KeyDelay {
        let d = self.st.config.get_i64(Key::KEY_LOAD_DELAY);
        let sleeps = self.st.host.probe.as_deref().is_some_and(|p| p.sleeps());
        match d {
            0 => KeyDelay::None,
            d if sleeps && d > 0 => KeyDelay::Sleep {
                us: d as u64,
                every: 1,
            },
            d if sleeps => KeyDelay::Sleep {
                us: 1,
                every: d.unsigned_abs(),
            },
            d => KeyPace::new(d, self.st.now).map_or(KeyDelay::None, KeyDelay::Pace),
        }
    }

    /// More bytes of a streaming load's file; `last`: the file is complete.
    pub(crate) fn feed_load(&mut self, bytes: Vec<u8>, last: bool) {
        if let Some(job) = self.st.load_job.as_mut() {
            job.dec.feed(bytes);
            if last {
                job.dec.end_of_input();
            }
        }
    }

    /// Whether the host should stop reading `conn` for now: a diskless load
    /// reads its master's socket only as fast as it loads (rdbLoad reads
    /// the socket itself), so a slow replica slows its master's transfer.
    pub(crate) fn load_holds_input(&self, conn: crate::node::ConnId) -> bool {
        let Some(job) = self.st.load_job.as_ref() else {
            return false;
        };
        let streaming = matches!(job.purpose, LoadPurpose::MasterSync { diskless: true, .. });
        streaming
            && self.st.repl.link.as_ref().and_then(|l| l.conn) == Some(conn)
            && !job.dec.waiting()
            && job.dec.buffered() >= job.interval.max(64 * 1024)
    }

    /// When the running load wants its next slice: now, or when
    /// `key-load-delay` lets the next key in.
    pub(crate) fn loading_due(&self) -> Option<Millis> {
        let job = self.st.load_job.as_ref()?;
        if job.dec.waiting() {
            // A streaming load goes on when bytes come.
            return None;
        }
        Some(match job.delay {
            KeyDelay::Pace(p) => p.next_due(job.dec.keys()),
            _ => self.st.now,
        })
    }

    /// One slice of the running load: up to the next multiple of the
    /// interval (where Redis processes events), as many keys as the pace
    /// lets in. The last one installs the data.
    pub(crate) fn loading_round(&mut self) {
        let now = self.st.now;
        let Some(job) = self.st.load_job.as_mut() else {
            return;
        };
        let max_bytes = job.interval - job.dec.processed() % job.interval;
        let result = match job.delay {
            KeyDelay::None => job.dec.step(max_bytes, u64::MAX),
            KeyDelay::Pace(p) => match p.budget(now, job.dec.keys()) {
                0 => return,
                keys => job.dec.step(max_bytes, keys),
            },
            KeyDelay::Sleep { us, every } => {
                // Key by key, the host sleeping after each (rdbLoadRio's
                // debugDelay), up to the next multiple of the interval.
                let probe = self.st.host.probe.as_deref();
                let end = job.dec.processed() + max_bytes;
                loop {
                    let (at, keys) = (job.dec.processed(), job.dec.keys());
                    let r = job.dec.step(end.saturating_sub(at), 1);
                    if job.dec.keys() > keys && job.dec.keys() % every == 0 {
                        if let Some(p) = probe {
                            p.sleep_us(us);
                        }
                    }
                    let moved = job.dec.processed() > at;
                    if !matches!(r, Ok(false)) || !moved || job.dec.processed() >= end {
                        break r;
                    }
                }
            }
        };
        let purpose = job.purpose;
        self.st.load_progress.loaded_bytes = job.dec.processed() as u64;
        if let Some(m) = job.dec.aux().used_mem {
            self.st.load_progress.rdb_used_mem = m.max(0) as u64;
        }
        if !job.aux_logged && (job.dec.keys() > 0 || matches!(result, Ok(true))) {
            job.aux_logged = true;
            let aux = job.dec.aux().clone();
            self.st.log_rdb_aux(&aux);
        }
        let Some(job) = self.st.load_job.as_mut() else {
            return;
        };
        // A replica keeps its master from timing it out while it loads.
        let newline =
            matches!(purpose, LoadPurpose::MasterSync { .. }) && now >= job.newline_at + 1000;
        if newline {
            job.newline_at = now;
        }
        match result {
            Ok(false) => {
                if newline {
                    self.repl_newline_to_master();
                }
            }
            Ok(true) => self.finish_load(Ok(())),
            Err(e) => self.finish_load(Err(e)),
        }
    }

    fn repl_newline_to_master(&mut self) {
        if let Some(conn) = self.st.repl.link.as_ref().and_then(|l| l.conn) {
            self.st.out.push_back(Output::Send {
                conn,
                bytes: b"\n".to_vec(),
            });
        }
    }

    /// The load is over: decoded to the end, or failed with `err`.
    pub(crate) fn finish_load(&mut self, err: Result<(), rdb::RdbError>) {
        let Some(job) = self.st.load_job.take() else {
            return;
        };
        let secs = self.st.now.saturating_sub(job.started) as f64 / 1000.0;
        let LoadJob {
            dec,
            purpose,
            aux_logged,
            ..
        } = *job;
        let trailing = dec.unread().to_vec();
        let loaded = err.map(|_| dec.into_loaded());
        match purpose {
            LoadPurpose::Startup { ready_line } => {
                let result = self.install_startup_rdb(loaded, secs, aux_logged);
                self.st.stop_loading();
                if result.is_err() {
                    // main(): a file that does not load stops the server.
                    self.st.emit(Event::Shutdown { exit_code: 1 });
                    return;
                }
                if ready_line {
                    self.st.log(LogLevel::Notice, "Ready to accept connections");
                }
            }
            LoadPurpose::MasterSync {
                diskless: true,
                swapdb,
            } => {
                let loaded = match loaded {
                    Ok(l) => l,
                    Err(e) => {
                        self.st.stop_loading();
                        self.diskless_load_failed(&e, swapdb);
                        return;
                    }
                };
                if swapdb {
                    self.repl_attach_to_new_master();
                    self.st.log(
                        LogLevel::Notice,
                        "MASTER <-> REPLICA sync: Swapping active DB with loaded DB",
                    );
                }
                let result = self.st.install_rdb(Ok(loaded), false, false, aux_logged);
                if swapdb {
                    self.st.log(
                        LogLevel::Notice,
                        "MASTER <-> REPLICA sync: Discarding old DB in background",
                    );
                }
                // Nothing saved the new data: it is a change.
                self.st.dirty += 1;
                self.st.stop_loading();
                self.repl_payload_loaded(result.map(|(aux, _)| aux), trailing);
            }
            LoadPurpose::MasterSync { .. } => {
                let result = self.st.install_rdb(loaded, false, false, aux_logged);
                self.st.stop_loading();
                self.repl_payload_loaded(result.map(|(aux, _)| aux), trailing);
            }
        }
    }

    /// A diskless load that failed (rdbReportError from the socket): a
    /// short read is a lost connection, the sync is tried again and the old
    /// data (swapdb) stays; a corrupt payload ends the server.
    fn diskless_load_failed(&mut self, e: &rdb::RdbError, swapdb: bool) {
        let at = self.st.load_progress.loaded_bytes;
        if e.is_truncation() {
            self.st.log(
                LogLevel::Warning,
                "Short read or OOM loading DB. Unrecoverable error, aborting now.",
            );
            self.st.log(
                LogLevel::Warning,
                format!(
                    "{}. Failure loading rdb format from socket, assuming connection error, resuming operation.",
                    crate::rdb::report::internal_error(at, "Unexpected EOF reading RDB file")
                ),
            );
        } else {
            self.st.log(
                LogLevel::Warning,
                format!(
                    "{}. Failure loading rdb format",
                    crate::rdb::report::internal_error(at, &e.msg)
                ),
            );
            self.st.log(
                LogLevel::Warning,
                "Terminating server after rdb file reading failure.",
            );
            self.st.emit(Event::Shutdown { exit_code: 1 });
            return;
        }
        self.st.log(
            LogLevel::Warning,
            "Failed trying to load the MASTER synchronization DB from socket: Resource temporarily unavailable",
        );
        self.repl_cancel_after_failed_load();
        if swapdb {
            self.st.log(
                LogLevel::Notice,
                "MASTER <-> REPLICA sync: Discarding temporary DB in background",
            );
        }
    }

    /// SIGTERM while loading (whileBlockedCron): shut down without saving a
    /// half-loaded dataset.
    pub(crate) fn terminate_while_loading(&mut self) {
        if self.st.prepare_for_shutdown(ShutdownFlags::NOSAVE) {
            self.st.load_job = None;
            self.st.stop_loading();
        } else {
            self.st.log(
                LogLevel::Warning,
                "SIGTERM received but errors trying to shut down the server, check the logs for more information",
            );
            self.st.shutdown.asap = false;
            self.st.shutdown.signal = None;
        }
    }

    /// Whether the link to our master is waiting for its payload to load.
    pub(crate) fn repl_link_loading(&self) -> bool {
        self.st.repl.link.as_ref().is_some_and(|l| {
            matches!(
                l.state,
                LinkState::Transfer(Transfer::Loading | Transfer::Parser { .. })
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testkit::Kit;
    use crate::node::{Event, Input, Node};

    /// A file of `n` string keys, as SAVE writes it.
    fn file_of(n: usize) -> Vec<u8> {
        let mut k = Kit::new();
        for i in 0..n {
            k.put_str(0, &format!("key:{i}"), &"v".repeat(100));
        }
        assert_eq!(k.cmd(1, "SAVE"), "+OK\r\n");
        k.events
            .iter()
            .find_map(|e| match e {
                Event::Persist { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .expect("SAVE persisted")
    }

    fn info_field(k: &mut Kit, name: &str) -> String {
        let info = k.cmd(1, "INFO persistence");
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or("")
            .to_string()
    }

    #[test]
    fn a_paced_load_answers_loading_until_its_last_key() {
        let file = file_of(100);
        let mut k = Kit::new();
        let set = |k: &mut Kit, key, v: &str| k.srv.st.config.set(key, &[v.into()]).unwrap();
        set(&mut k, Key::KEY_LOAD_DELAY, "1000");
        set(&mut k, Key::LOADING_PROCESS_EVENTS_INTERVAL_BYTES, "1024");
        k.srv
            .start_rdb_load(file.clone(), LoadPurpose::Startup { ready_line: true });
        k.input(Input::Tick);
        assert_eq!(
            k.cmd(1, "PING"),
            "-LOADING Redis is loading the dataset in memory\r\n"
        );
        assert_eq!(info_field(&mut k, "loading"), "1");
        assert_eq!(
            info_field(&mut k, "loading_total_bytes"),
            file.len().to_string()
        );
        // One key per millisecond: half-way after 50 ms.
        for _ in 0..50 {
            k.tick(1);
        }
        assert_eq!(k.srv.st.load_job.as_ref().unwrap().dec.keys(), 51);
        let loaded: u64 = info_field(&mut k, "loading_loaded_bytes").parse().unwrap();
        assert!(loaded > 0 && loaded < file.len() as u64);
        assert_eq!(k.srv.poll_timeout(), Some(k.now + 1));
        for _ in 0..60 {
            k.tick(1);
        }
        assert!(k.srv.st.load_job.is_none());
        assert_eq!(k.cmd(1, "PING"), "+PONG\r\n");
        assert_eq!(k.cmd(1, "DBSIZE"), ":100\r\n");
        assert_eq!(info_field(&mut k, "loading"), "0");
        assert_eq!(info_field(&mut k, "rdb_last_load_keys_loaded"), "100");
        let logs: Vec<_> = k
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Log { message, .. } => Some(message.as_str()),
                _ => None,
            })
            .collect();
        assert!(logs.contains(&"DB loaded from disk: 0.100 seconds"));
        assert_eq!(logs.last(), Some(&"Ready to accept connections"));
    }

    #[test]
    fn without_delay_a_load_takes_one_interval_per_round() {
        let file = file_of(300);
        let mut k = Kit::new();
        k.srv
            .st
            .config
            .set(Key::LOADING_PROCESS_EVENTS_INTERVAL_BYTES, &["4096".into()])
            .unwrap();
        k.srv
            .start_rdb_load(file.clone(), LoadPurpose::Startup { ready_line: false });
        // Client input does not move the load; rounds without it do.
        k.cmd(1, "INFO");
        let rounds = file.len().div_ceil(4096);
        for _ in 0..rounds - 1 {
            assert!(k.srv.st.load_job.is_some());
            assert_eq!(k.srv.poll_timeout(), Some(k.now), "the next slice at once");
            k.input(Input::Tick);
        }
        assert!(k.srv.st.load_job.is_none());
        assert_eq!(k.cmd(1, "DBSIZE"), ":300\r\n");
    }

    #[test]
    fn sigterm_while_loading_exits_without_saving() {
        let file = file_of(10);
        let mut k = Kit::new();
        k.srv
            .st
            .config
            .set(Key::KEY_LOAD_DELAY, &["1000000".into()])
            .unwrap();
        k.srv
            .start_rdb_load(file, LoadPurpose::Startup { ready_line: true });
        k.input(Input::Tick);
        k.input(Input::Terminate(crate::node::Signal::Term));
        assert!(k.srv.st.load_job.is_none());
        assert!(k.events.contains(&Event::Shutdown { exit_code: 0 }));
        assert!(!k.events.iter().any(|e| matches!(e, Event::Persist { .. })));
    }

    #[test]
    fn shutdown_while_loading_does_not_save() {
        let file = file_of(10);
        let mut k = Kit::new();
        k.srv
            .st
            .config
            .set(Key::KEY_LOAD_DELAY, &["1000000".into()])
            .unwrap();
        k.srv
            .start_rdb_load(file, LoadPurpose::Startup { ready_line: true });
        k.input(Input::Tick);
        k.cmd(1, "SHUTDOWN SAVE");
        assert!(k.events.contains(&Event::Shutdown { exit_code: 0 }));
        assert!(!k.events.iter().any(|e| matches!(e, Event::Persist { .. })));
    }

    #[test]
    fn a_corrupt_file_at_start_stops_the_server() {
        let mut file = file_of(10);
        let n = file.len();
        file[n - 3] ^= 0xff; // the checksum
        let mut k = Kit::new();
        k.srv
            .start_rdb_load(file, LoadPurpose::Startup { ready_line: true });
        k.input(Input::Tick);
        assert!(k.events.contains(&Event::Shutdown { exit_code: 1 }));
    }
}
