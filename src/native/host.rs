//! The tokio host: real TCP sockets and the system clock around a sans-IO node.
//!
//! Single-threaded like Redis: one current-thread runtime, every task local.
//! A reader task per connection feeds bytes to the node and immediately drains
//! its outputs; replies are written with `try_write` on the spot when the
//! socket accepts them, and only leftovers go through the connection's writer task.

use super::aof_files::{SyncFailure, WriteFailure};
use super::os_error::strerror;
use super::socket::{ReadHalf, Stream, WriteHalf};
use super::{busy_io, output_backlog};
use crate::calendar::log_time;
use crate::node::{
    Addr, ConnId, Event, Input, LogLevel, Millis, Node, Output, PersistStep, SaveFailure, SaveHold,
    Signal,
};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

pub fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Where log lines go and how they are prefixed (`pid:R dd Mon yyyy hh:mm:ss.mmm * msg`).
pub struct Logger {
    /// `C` while loading the config, `M` for a master, `S` replica, `X` sentinel.
    pub role_char: char,
    /// `logfile`, or stdout when `None`.
    pub file: Option<std::fs::File>,
    /// Lines below this level (`loglevel`) are dropped.
    pub min: LogLevel,
}

impl Logger {
    pub fn stdout(role_char: char, min: LogLevel) -> Logger {
        Logger {
            role_char,
            file: None,
            min,
        }
    }

    /// Log a host line if `loglevel` lets it through.
    pub fn write(&mut self, level: LogLevel, msg: &str) {
        if level >= self.min {
            self.line(level, msg);
        }
    }

    /// Log a line the node already filtered (its `loglevel` can change at run time).
    pub fn line(&mut self, level: LogLevel, msg: &str) {
        let line = format!(
            "{}:{} {} {} {}\n",
            std::process::id(),
            self.role_char,
            log_time(now_ms()),
            level.mark(),
            msg
        );
        self.raw(&line);
    }

    /// What Redis's signal handler logs: `pid:signal-handler (unixtime) msg`.
    pub fn signal_line(&mut self, msg: &str) {
        let line = format!(
            "{}:signal-handler ({}) {}\n",
            std::process::id(),
            now_ms() / 1000,
            msg
        );
        self.raw(&line);
    }

    pub fn raw(&mut self, line: &str) {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let fd = self
            .file
            .as_ref()
            .map_or(libc::STDOUT_FILENO, |f| f.as_raw_fd());
        super::crash_report::note_log_target(fd, self.role_char);
        match &mut self.file {
            Some(f) => {
                let _ = f.write_all(line.as_bytes());
            }
            None => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(line.as_bytes());
                let _ = out.flush();
            }
        }
    }
}

struct Conn {
    write: Option<WriteHalf>,
    queue: VecDeque<Vec<u8>>,
    closing: bool,
    notify: Rc<Notify>,
    /// The socket, to cut it off when its output is dropped.
    fd: std::os::fd::RawFd,
}

/// Connection ids are counters: a multiplication spreads them over the
/// table for much less than SipHash costs, and the map is looked up on
/// every read and every write.
#[derive(Default)]
struct ConnHasher(u64);

impl std::hash::Hasher for ConnHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

struct Shared {
    node: Box<dyn Node>,
    conns: HashMap<ConnId, Conn, BuildHasherDefault<ConnHasher>>,
    logger: Logger,
    exit: Option<i32>,
    /// Wakes the main loop: the node wants a tick earlier than armed, or to exit.
    timer: Rc<Notify>,
    /// The tick deadline the main loop is sleeping towards.
    armed: Millis,
    /// Writes the node's files off the event loop.
    files: FileWriter,
    /// The AOF's files: appends on the loop, fsyncs on a thread.
    aof: super::aof_files::AofFiles,
    /// Replies (and closes) waiting for the loop turn's AOF write (and sync).
    held: Option<Vec<(ConnId, Option<Vec<u8>>)>>,
    /// An owed append that failed while draining (before a rename), for
    /// the group commit to report before it releases the held replies.
    aof_failure: Option<super::aof_files::SyncFailure>,
    /// A sentinel's notification and reconfiguration scripts.
    scripts: super::scripts::ScriptRunner,
    /// The stand-in children of background jobs.
    children: super::children::Children,
    /// Children started while draining, to report to the node (id, pid).
    forked: Vec<(u64, u32)>,
    /// The last child's pid: the temp file of the save it stands for is
    /// named after it (`temp-<pid>.rdb`), 0 before any.
    child_pid: u32,
    /// The first bind address: outbound connections leave from it, as Redis's
    /// NET_FIRST_BIND_ADDR (so a replica shows up at its own address).
    source: Option<std::net::IpAddr>,
}

type SharedRef = Rc<RefCell<Shared>>;

/// Feed one input and carry out everything the node asks for.
fn drive(sh: &SharedRef, input: Input<'_>) {
    let mut s = sh.borrow_mut();
    s.node.handle(now_ms(), input);
    drain(sh, &mut s);
}

fn drain(sh: &SharedRef, s: &mut Shared) {
    // Connections a busy script's rounds accepted join the loop, and the
    // replies they could not write go before the rest.
    for (conn, stream) in busy_io::take_accepted() {
        match TcpStream::from_std(stream) {
            Ok(stream) => register_in(sh, s, conn, stream),
            Err(e) => s.logger.line(LogLevel::Warning, &format!("accept: {e}")),
        }
    }
    for (conn, bytes) in busy_io::take_leftovers() {
        if let Some(c) = s.conns.get_mut(&conn) {
            send(conn, c, bytes);
        }
    }
    loop {
        drain_outputs(sh, s);
        if s.forked.is_empty() {
            break;
        }
        // The pids of children just started, before anything else happens.
        for (id, pid) in std::mem::take(&mut s.forked) {
            let status = crate::node::ScriptStatus::Started { pid };
            s.node.handle(now_ms(), Input::Child { id, status });
        }
    }
    // Only wake the main loop when the node wants a tick sooner than planned:
    // re-arming timers on every read is measurable on the hot path.
    if let Some(t) = s.node.poll_timeout() {
        if t < s.armed {
            s.armed = t;
            s.timer.notify_one();
        }
    }
}

fn drain_outputs(sh: &SharedRef, s: &mut Shared) {
    while let Some(out) = s.node.poll_output() {
        match out {
            // While an `appendfsync always` sync is pending, every reply
            // waits for it, in order (group commit, below).
            Output::Send { conn, bytes } if s.held.is_some() => {
                s.held.as_mut().expect("held").push((conn, Some(bytes)));
            }
            Output::Close { conn } if s.held.is_some() => {
                s.held.as_mut().expect("held").push((conn, None));
            }
            Output::Send { conn, bytes } => {
                if let Some(c) = s.conns.get_mut(&conn) {
                    if let Some(spent) = send(conn, c, bytes) {
                        s.node.recycle(spent);
                    }
                }
            }
            Output::Close { conn } => close(s, conn),
            Output::Connect { conn, addr, source } => {
                // bind-source-addr, else the first listener's own address.
                let source = source.and_then(|a| a.parse().ok()).or(s.source);
                tokio::task::spawn_local(connect(sh.clone(), conn, addr, source));
            }
            Output::Event(Event::Log { level, message }) => s.logger.line(level, &message),
            Output::Event(Event::SignalLog { message }) => s.logger.signal_line(&message),
            Output::Event(Event::Shutdown { exit_code }) => {
                busy_io::stop_listening();
                s.exit = Some(exit_code);
                s.timer.notify_one();
            }
            Output::Event(Event::Crash { report: None }) => super::crash_report::segfault(),
            Output::Event(Event::Crash {
                report: Some(report),
            }) => super::crash_report::bug_report(&report),
            // Structured sentinel events are for the UI; their log lines arrive as Log.
            Output::Event(Event::Sentinel { .. }) => {}
            Output::Event(Event::RoleChanged { role }) => {
                s.logger.role_char = role.mark();
            }
            // SAVE, SHUTDOWN, FLUSHALL: the node waits for the file (its
            // reply or exit comes after), and so does the loop.
            Output::Event(Event::Persist { file, bytes }) => {
                if let Err(e) = s.files.write_whole(&file, bytes) {
                    s.logger.line(LogLevel::Warning, &e);
                }
            }
            // A background save: written by the file thread as it comes.
            Output::Event(Event::PersistPart { file, bytes, step }) => {
                s.files.part(file, bytes, step, s.child_pid);
                if step == crate::node::PersistStep::Abort {
                    // The killed child's temp file is gone before anything
                    // else happens (a SHUTDOWN that follows closes the port).
                    s.files.sync();
                }
            }
            Output::Event(Event::Fork {
                id,
                title,
                oom_score,
            }) => {
                let sh = sh.clone();
                let exited = move |status| drive(&sh, Input::Child { id, status });
                match s.children.fork(id, &title, exited) {
                    Ok(pid) => {
                        s.child_pid = pid;
                        s.forked.push((id, pid));
                        // 7.0's child sets its own score (CONFIG_OOM_BGCHILD).
                        if let Some(score) = oom_score {
                            if let Err(e) = super::oom_score::set(score, Some(pid)) {
                                s.logger.line(LogLevel::Warning, &e);
                            }
                        }
                    }
                    Err(e) => {
                        s.child_pid = 0;
                        let msg = format!("Can't start the {title} child: {e}");
                        s.logger.line(LogLevel::Warning, &msg);
                    }
                }
            }
            Output::Event(Event::EndFork { id }) => s.children.end(id),
            Output::Event(Event::RunScript { id, argv }) => {
                let sh = sh.clone();
                s.scripts.run(id, argv, move |status| {
                    drive(&sh, Input::Script { id, status })
                });
            }
            Output::Event(Event::KillScript { id }) => s.scripts.kill(id),
            // Before any later output: replies go out after their writes
            // are in the file (and synced, with `appendfsync always`).
            Output::Event(Event::AofFile(op)) => match s.aof.apply_deferring_sync(op) {
                Ok(true) if s.held.is_none() => {
                    s.held = Some(Vec::new());
                    tokio::task::spawn_local(group_commit(sh.clone()));
                }
                Ok(_) => {}
                Err(SyncFailure::Other(e)) => s.logger.line(LogLevel::Warning, &e),
                // Owed appends exist only while a group commit is pending.
                Err(failure) => s.aof_failure = Some(failure),
            },
            Output::Event(Event::ChangeDir { dir }) => {
                if let Err(e) = std::env::set_current_dir(&dir) {
                    s.logger
                        .line(LogLevel::Warning, &format!("Can't chdir to '{dir}': {e}"));
                }
            }
            Output::Event(Event::ConfigRewrite { path, text }) => {
                if let Err(e) = write_atomically(&path, text.as_bytes()) {
                    s.logger
                        .line(LogLevel::Warning, &format!("CONFIG REWRITE failed: {e}"));
                }
            }
        }
    }
}

fn close(s: &mut Shared, conn: ConnId) {
    let dropped = output_backlog::take_dropped(conn);
    if let Some(c) = s.conns.get_mut(&conn) {
        c.closing = true;
        if dropped {
            // Freed with its replies unsent (7.0's freeClient): nothing
            // queued goes out, and a write the peer does not read ends now.
            c.queue.clear();
            output_backlog::forget(conn);
            // SAFETY: the descriptor is this connection's, still open (its
            // halves are dropped only once it leaves `conns`).
            unsafe { libc::shutdown(c.fd, libc::SHUT_RDWR) };
        }
        c.notify.notify_one();
    }
}

/// The AOF bytes of every request served since the first append are
/// written with one write(2) (and, under `appendfsync always`, synced once),
/// then their replies go out. The other connections with input ready run
/// first (a turn of the scheduler; two when a sync is owed, so that one
/// fsync covers more of them), as one write and one fsync cover a whole
/// event-loop iteration in Redis.
async fn group_commit(sh: SharedRef) {
    tokio::task::yield_now().await;
    if sh.borrow().aof.sync_owed() {
        tokio::task::yield_now().await;
    }
    let failure = {
        let mut s = sh.borrow_mut();
        match s.aof_failure.take() {
            Some(f) => Err(f),
            None => s.aof.sync_deferred(),
        }
    };
    if let Err(failure) = failure {
        report_aof_failure(&sh, failure);
    }
    let mut s = sh.borrow_mut();
    let held = s.held.take().unwrap_or_default();
    if s.exit.is_some() {
        // The AOF could not be made durable under `appendfsync always`: the
        // replies of the writes it lost never go out.
        return;
    }
    for (conn, out) in held {
        match out {
            Some(bytes) => {
                if let Some(c) = s.conns.get_mut(&conn) {
                    send(conn, c, bytes);
                }
            }
            None => close(&mut s, conn),
        }
    }
}

/// Tell the node what did not reach its AOF (it keeps the bytes and
/// refuses writes, or exits under `always`), or exit at once when a sync
/// under `always` failed.
fn report_aof_failure(sh: &SharedRef, failure: SyncFailure) {
    match failure {
        SyncFailure::Write(first, later) => {
            let error = first.error.clone();
            drive(sh, aof_write_failed(*first));
            for (file, unwritten) in later {
                drive(
                    sh,
                    Input::AofWriteFailed {
                        file,
                        unwritten,
                        partial: 0,
                        error: error.clone(),
                        truncate_error: None,
                    },
                );
            }
        }
        SyncFailure::Fatal(e) => {
            let mut s = sh.borrow_mut();
            s.logger.line(LogLevel::Warning, &e);
            busy_io::stop_listening();
            s.exit = Some(1);
            s.timer.notify_one();
        }
        SyncFailure::Other(e) => sh.borrow_mut().logger.line(LogLevel::Warning, &e),
    }
}

fn aof_write_failed(f: WriteFailure) -> Input<'static> {
    Input::AofWriteFailed {
        file: f.file,
        unwritten: f.unwritten,
        partial: f.partial,
        error: f.error,
        truncate_error: f.truncate_error,
    }
}

fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// The temp file of a save, beside the file it replaces (`temp-<pid>.rdb`,
/// as Redis names it after the child; `pid` 0: our own).
fn temp_path(file: &str, pid: u32) -> std::path::PathBuf {
    let pid = if pid == 0 { std::process::id() } else { pid };
    let name = format!("temp-{pid}.rdb");
    match std::path::Path::new(file).parent() {
        Some(dir) => dir.join(name),
        None => name.into(),
    }
}

enum FileJob {
    Part {
        file: String,
        bytes: Vec<u8>,
        step: PersistStep,
        /// Names the temp file of a `Start`.
        pid: u32,
    },
    Whole {
        file: String,
        bytes: Vec<u8>,
        hold: SaveHold,
        done: std::sync::mpsc::Sender<Result<(), SaveFailure>>,
    },
    Barrier(std::sync::mpsc::Sender<()>),
}

/// A streamed file being written: its temp file, or the first error.
struct Streaming {
    tmp: std::path::PathBuf,
    out: Result<std::io::BufWriter<std::fs::File>, String>,
}

/// The thread that writes the node's RDB files, in the order the node asked
/// (so a SAVE never races a background save's rename). Parts of a streamed
/// file go to its temp file as they come; after the `Finish` part the file is
/// synced and renamed into place, then the loop hears of it (`done`), logs
/// any error and tells the node with [`Input::Persisted`]: only then does
/// the node log "Background saving terminated with success".
struct FileWriter {
    jobs: std::sync::mpsc::Sender<FileJob>,
    /// Appended bytes not handed to the thread yet: it is woken for 256 KB
    /// at a time, not for every slice.
    pending: Option<(String, Vec<u8>)>,
}

/// How many appended bytes the loop gathers before waking the file thread.
const WRITE_BATCH: usize = 256 * 1024;

/// A streamed file is in place (or the error to log).
type Finished = (String, Option<String>);

impl FileWriter {
    fn spawn(done: tokio::sync::mpsc::UnboundedSender<Finished>) -> FileWriter {
        let (jobs, rx) = std::sync::mpsc::channel::<FileJob>();
        WRITER.with(|w| *w.borrow_mut() = Some(jobs.clone()));
        std::thread::Builder::new()
            .name("rdb-writer".into())
            .spawn(move || {
                let mut cur: Option<Streaming> = None;
                for job in rx {
                    match job {
                        FileJob::Part {
                            file,
                            bytes,
                            step,
                            pid,
                        } => {
                            if let Some(r) = stream_part(&mut cur, &file, &bytes, step, pid) {
                                let _ = done.send((file, r.err()));
                            }
                        }
                        FileJob::Whole {
                            file,
                            bytes,
                            hold,
                            done,
                        } => {
                            let _ = done.send(write_rdb(&file, &bytes, hold));
                        }
                        FileJob::Barrier(ack) => {
                            let _ = ack.send(());
                        }
                    }
                }
            })
            .expect("spawn the RDB writer thread");
        FileWriter {
            jobs,
            pending: None,
        }
    }

    fn part(&mut self, file: String, mut bytes: Vec<u8>, step: PersistStep, pid: u32) {
        if step == PersistStep::Append {
            match &mut self.pending {
                Some((f, buf)) if *f == file => buf.extend_from_slice(&bytes),
                _ => {
                    self.flush();
                    self.pending = Some((file, bytes));
                }
            }
            if self
                .pending
                .as_ref()
                .is_some_and(|p| p.1.len() >= WRITE_BATCH)
            {
                self.flush();
            }
            return;
        }
        if step == PersistStep::Finish {
            if let Some((f, mut buf)) = self.pending.take() {
                if f == file {
                    buf.append(&mut bytes);
                    bytes = buf;
                } else {
                    self.pending = Some((f, buf));
                }
            }
        }
        self.flush();
        let _ = self.jobs.send(FileJob::Part {
            file,
            bytes,
            step,
            pid,
        });
    }

    /// Hand the gathered bytes to the thread.
    fn flush(&mut self) {
        if let Some((file, bytes)) = self.pending.take() {
            let step = PersistStep::Append;
            let _ = self.jobs.send(FileJob::Part {
                file,
                bytes,
                step,
                pid: 0,
            });
        }
    }

    /// Write a whole file now (after every part queued before it).
    fn write_whole(&mut self, file: &str, bytes: Vec<u8>) -> Result<(), String> {
        self.flush();
        let (tx, rx) = std::sync::mpsc::channel();
        let job = FileJob::Whole {
            file: file.to_string(),
            bytes,
            hold: SaveHold::default(),
            done: tx,
        };
        if self.jobs.send(job).is_err() {
            return Err("the RDB writer thread is gone".into());
        }
        match rx.recv() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(SaveFailure::Failed(e))) => Err(e),
            Ok(Err(SaveFailure::Insisted)) | Err(_) => Err("the RDB writer thread is gone".into()),
        }
    }

    /// Wait until everything queued so far is done (before the process exits).
    fn sync(&mut self) {
        self.flush();
        let (tx, rx) = std::sync::mpsc::channel();
        if self.jobs.send(FileJob::Barrier(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

/// Apply one part of a streamed file; the outcome once the file is finished.
fn stream_part(
    cur: &mut Option<Streaming>,
    file: &str,
    bytes: &[u8],
    step: PersistStep,
    pid: u32,
) -> Option<Result<(), String>> {
    use std::io::Write;
    if step == PersistStep::Start {
        if let Some(old) = cur.take() {
            drop(old.out);
            let _ = std::fs::remove_file(&old.tmp);
        }
        let tmp = temp_path(file, pid);
        let _ = make_parent(file);
        let out = std::fs::File::create(&tmp)
            .map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| {
                format!(
                    "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
                    tmp.display(),
                    cwd(),
                    strerror(&e)
                )
            });
        *cur = Some(Streaming { tmp, out });
    }
    if step == PersistStep::Abort {
        if let Some(old) = cur.take() {
            drop(old.out);
            let _ = std::fs::remove_file(&old.tmp);
        }
        return None;
    }
    let Some(st) = cur.as_mut() else {
        // Parts without a start: nothing to write them to.
        return (step == PersistStep::Finish).then(|| {
            Err(format!(
                "Write error saving DB on disk: no temp file for {file}"
            ))
        });
    };
    if let Ok(w) = st.out.as_mut() {
        if let Err(e) = w.write_all(bytes) {
            st.out = Err(format!(
                "Write error saving DB on disk(rdbSaveRio): {}",
                strerror(&e)
            ));
        }
    }
    if step != PersistStep::Finish {
        return None;
    }
    let st = cur.take()?;
    let res = st.out.and_then(|w| {
        let f = w
            .into_inner()
            .map_err(|e| format!("Write error saving DB on disk(fflush): {}", strerror(e.error())))?;
        f.sync_all()
            .map_err(|e| format!("Write error saving DB on disk(fsync): {}", strerror(&e)))?;
        drop(f);
        std::fs::rename(&st.tmp, file).map_err(|e| {
            format!(
                "Error moving temp DB file {} on the final destination {file} (in server root dir {}): {}",
                st.tmp.display(),
                cwd(),
                strerror(&e)
            )
        })
    });
    if res.is_err() {
        let _ = std::fs::remove_file(&st.tmp);
    }
    Some(res)
}

/// Create the directory a file goes in (the AOF's `appenddirname`).
fn make_parent(file: &str) -> std::io::Result<()> {
    match std::path::Path::new(file).parent() {
        Some(p) if !p.as_os_str().is_empty() => std::fs::create_dir_all(p),
        _ => Ok(()),
    }
}

thread_local! {
    /// The file thread's queue, once the loop runs: a foreground save that
    /// must know its outcome at once goes through it, after what is queued.
    static WRITER: RefCell<Option<std::sync::mpsc::Sender<FileJob>>> = const { RefCell::new(None) };
}

/// Write a whole file now and say how it went (rdbSave for SAVE, the
/// final save of a shutdown, and before the loop runs).
pub fn persist_now(file: &str, bytes: &[u8], hold: SaveHold) -> Result<(), SaveFailure> {
    let Some(jobs) = WRITER.with(|w| w.borrow().clone()) else {
        return write_rdb(file, bytes, hold);
    };
    let (done, rx) = std::sync::mpsc::channel();
    let job = FileJob::Whole {
        file: file.to_string(),
        bytes: bytes.to_vec(),
        hold,
        done,
    };
    if jobs.send(job).is_err() {
        return write_rdb(file, bytes, hold);
    }
    rx.recv()
        .unwrap_or_else(|_| Err(SaveFailure::Failed("the RDB writer thread is gone".into())))
}

/// rdbSave's file handling: a temp file, fsync, rename over the target.
/// The temp file stays for `hold.us` before the rename (the per-key sleeps
/// of `rdb-key-save-delay`); a SIGINT then, when it ends the process,
/// removes it (rdbRemoveTempFile in the handler).
fn write_rdb(file: &str, bytes: &[u8], hold: SaveHold) -> Result<(), SaveFailure> {
    use std::io::Write;
    let sigints = super::insist::sigints();
    let tmp = temp_path(file, 0);
    let _ = make_parent(file);
    let mut f = std::fs::File::create(&tmp).map_err(|e| {
        SaveFailure::Failed(format!(
            "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
            tmp.display(),
            cwd(),
            strerror(&e)
        ))
    })?;
    let res = f
        .write_all(bytes)
        .map_err(|e| format!("Write error saving DB on disk(rdbSaveRio): {}", strerror(&e)))
        .map_err(SaveFailure::Failed)
        .and_then(|_| wait_out(hold, sigints))
        .and_then(|_| {
            f.sync_all()
                .map_err(|e| format!("Write error saving DB on disk(fsync): {}", strerror(&e)))
                .map_err(SaveFailure::Failed)
        })
        .and_then(|_| {
            std::fs::rename(&tmp, file).map_err(|e| {
                SaveFailure::Failed(format!(
                    "Error moving temp DB file {} on the final destination {file} (in server root dir {}): {}",
                    tmp.display(),
                    cwd(),
                    strerror(&e)
                ))
            })
        });
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Sleep through a save's hold in short steps, watching for a SIGINT that
/// ends the process (`Insisted`).
fn wait_out(hold: SaveHold, sigints_before: u64) -> Result<(), SaveFailure> {
    let end = std::time::Instant::now() + Duration::from_micros(hold.us);
    loop {
        if hold.insist_exits && super::insist::sigints() > sigints_before {
            return Err(SaveFailure::Insisted);
        }
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(Duration::from_millis(5)));
    }
}

/// Write a file as Redis does: a temp file, fsync, rename over the target.
pub fn write_atomically(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = format!("{path}.tmp-{}", std::process::id());
    let res = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Write now if the socket takes it; queue the rest for the writer task
/// (counted as the connection's unsent output, `output_backlog`). The
/// buffer comes back when it was written whole, for the node to reuse.
fn send(conn: ConnId, c: &mut Conn, bytes: Vec<u8>) -> Option<Vec<u8>> {
    if c.queue.is_empty() {
        if let Some(w) = &c.write {
            let rest = match w.try_write(&bytes) {
                Ok(n) if n == bytes.len() => return Some(bytes),
                Ok(n) => bytes[n..].to_vec(),
                Err(_) => bytes,
            };
            output_backlog::queued(conn, rest.len());
            c.queue.push_back(rest);
            c.notify.notify_one();
            return None;
        }
    }
    output_backlog::queued(conn, bytes.len());
    c.queue.push_back(bytes);
    c.notify.notify_one();
    None
}

async fn writer(sh: SharedRef, conn: ConnId, notify: Rc<Notify>) {
    loop {
        notify.notified().await;
        loop {
            let (w, chunk, closing) = {
                let mut s = sh.borrow_mut();
                let Some(c) = s.conns.get_mut(&conn) else {
                    return;
                };
                let chunk = c.queue.pop_front();
                (c.write.take(), chunk, c.closing)
            };
            let Some(w) = w else { return };
            let Some(chunk) = chunk else {
                let mut s = sh.borrow_mut();
                if closing {
                    output_backlog::forget(conn);
                    s.conns.remove(&conn);
                    drop(w);
                    return;
                }
                if let Some(c) = s.conns.get_mut(&conn) {
                    c.write = Some(w);
                }
                break;
            };
            let mut w = w;
            if w.write_all(&chunk).await.is_err() {
                output_backlog::forget(conn);
                return;
            }
            output_backlog::written(conn, chunk.len());
            let mut s = sh.borrow_mut();
            match s.conns.get_mut(&conn) {
                Some(c) => c.write = Some(w),
                None => return,
            }
        }
    }
}

async fn reader(sh: SharedRef, conn: ConnId, mut r: ReadHalf) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // The node reads this connection no faster than it can take: the
        // bytes wait in the socket (and its sender's), as in a blocking read.
        while sh.borrow().node.holds_input(conn) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => 0,
            Ok(n) => n,
        };
        if busy_io::closed_while_busy(conn) {
            // A busy script's round saw the end and the node heard of it.
            busy_io::forget(conn);
            output_backlog::forget(conn);
            sh.borrow_mut().conns.remove(&conn);
            return;
        }
        let gone = !sh.borrow().conns.contains_key(&conn);
        if gone {
            busy_io::forget(conn);
            return;
        }
        if n == 0 {
            busy_io::forget(conn);
            output_backlog::forget(conn);
            sh.borrow_mut().conns.remove(&conn);
            drive(&sh, Input::Closed { conn });
            return;
        }
        drive(
            &sh,
            Input::Data {
                conn,
                bytes: &buf[..n],
            },
        );
    }
}

fn register(sh: &SharedRef, conn: ConnId, stream: impl Into<Stream>) {
    register_in(sh, &mut sh.borrow_mut(), conn, stream);
}

fn register_in(sh: &SharedRef, s: &mut Shared, conn: ConnId, stream: impl Into<Stream>) {
    let (r, w) = stream.into().into_split();
    let fd = r.raw_fd();
    if !conn.is_outbound() {
        busy_io::register(conn, fd);
    }
    let notify = Rc::new(Notify::new());
    s.conns.insert(
        conn,
        Conn {
            write: Some(w),
            queue: VecDeque::new(),
            closing: false,
            notify: notify.clone(),
            fd,
        },
    );
    tokio::task::spawn_local(writer(sh.clone(), conn, notify));
    tokio::task::spawn_local(reader(sh.clone(), conn, r));
}

fn addr_of(a: std::net::SocketAddr) -> Addr {
    Addr::new(a.ip().to_string(), a.port())
}

async fn connect(sh: SharedRef, conn: ConnId, addr: Addr, source: Option<std::net::IpAddr>) {
    // Names resolve through the Compose project's hosts file first, then the
    // system; a name that does not resolve fails the connect at once.
    let ip = match super::compose::hosts::resolve(&addr.host) {
        Ok(ip) => ip,
        Err(reason) => {
            let reason = format!("{}: {reason}", crate::node::LOOKUP_FAILED);
            drive(&sh, Input::ConnectFailed { conn, reason });
            return;
        }
    };
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        connect_from(std::net::SocketAddr::new(ip, addr.port), source),
    )
    .await;
    match res {
        Ok(Ok(stream)) => {
            let local = stream
                .local_addr()
                .map(addr_of)
                .unwrap_or(Addr::new("0.0.0.0", 0));
            register(&sh, conn, stream);
            drive(&sh, Input::Connected { conn, local });
        }
        Ok(Err(e)) => drive(
            &sh,
            Input::ConnectFailed {
                conn,
                reason: e.to_string(),
            },
        ),
        Err(_) => drive(
            &sh,
            Input::ConnectFailed {
                conn,
                reason: "Connection timed out".into(),
            },
        ),
    }
}

/// Connect from `source` when it is of the target's family (best effort, as
/// anetTcpNonBlockBestEffortBindConnect: a failed bind connects unbound).
async fn connect_from(
    target: std::net::SocketAddr,
    source: Option<std::net::IpAddr>,
) -> std::io::Result<TcpStream> {
    if let Some(src) = source.filter(|s| s.is_ipv4() == target.is_ipv4()) {
        let socket = if target.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        if socket.bind(std::net::SocketAddr::new(src, 0)).is_ok() {
            return socket.connect(target).await;
        }
    }
    TcpStream::connect(target).await
}

async fn accept_loop(sh: SharedRef, listener: TcpListener) {
    {
        use std::os::fd::AsRawFd;
        busy_io::listen(listener.as_raw_fd());
    }
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let local = stream
            .local_addr()
            .map(addr_of)
            .unwrap_or(Addr::new("0.0.0.0", 0));
        let conn = busy_io::next_conn();
        register(&sh, conn, stream);
        drive(
            &sh,
            Input::Accepted {
                conn,
                peer: addr_of(peer),
                local,
            },
        );
    }
}

/// Clients on the Unix socket (`unixsocket`): their address is the
/// socket's path with port 0, as Redis shows it (`addr=/path:0`).
async fn accept_unix_loop(sh: SharedRef, listener: tokio::net::UnixListener, path: String) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let conn = busy_io::next_conn();
        register(&sh, conn, stream);
        let at = Addr::new(path.clone(), 0);
        drive(
            &sh,
            Input::Accepted {
                conn,
                peer: at.clone(),
                local: at,
            },
        );
    }
}

/// A single-threaded tokio runtime for a command of the binary, or `None`
/// after saying why on stderr.
pub fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("tokio: {e}");
            None
        }
    }
}

/// Run `node` on the given listeners until it asks to shut down or a SIGTERM /
/// SIGINT arrives; returns the exit code and the logger for the last lines.
pub fn run(
    node: Box<dyn Node>,
    listeners: Vec<std::net::TcpListener>,
    unix: Option<(std::os::unix::net::UnixListener, String)>,
    logger: Logger,
) -> (i32, Logger) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let local = tokio::task::LocalSet::new();
    let timer = Rc::new(Notify::new());
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Finished>();
    let files = FileWriter::spawn(done_tx);
    let (fsync_tx, mut fsync_rx) =
        tokio::sync::mpsc::unbounded_channel::<(String, Option<String>)>();
    let aof = super::aof_files::AofFiles::spawn(fsync_tx);
    let source = listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified());
    let sh = Rc::new(RefCell::new(Shared {
        node,
        conns: HashMap::default(),
        logger,
        exit: None,
        timer: timer.clone(),
        armed: 0,
        files,
        aof,
        held: None,
        aof_failure: None,
        scripts: Default::default(),
        children: Default::default(),
        forked: Vec::new(),
        child_pid: 0,
        source,
    }));
    let sh2 = sh.clone();
    let code = local.block_on(&rt, async move {
        let sh = sh2;
        let sh_l = sh.clone();
        super::listeners::install(
            listeners,
            Box::new(move |l| {
                let sh = sh_l.clone();
                tokio::task::spawn_local(async move {
                    let _ = l.set_nonblocking(true);
                    match TcpListener::from_std(l) {
                        Ok(l) => accept_loop(sh, l).await,
                        Err(e) => sh
                            .borrow_mut()
                            .logger
                            .write(LogLevel::Warning, &format!("listener: {e}")),
                    }
                })
            }),
        );
        if let Some((l, path)) = unix {
            let _ = l.set_nonblocking(true);
            match tokio::net::UnixListener::from_std(l) {
                Ok(l) => {
                    tokio::task::spawn_local(accept_unix_loop(sh.clone(), l, path));
                }
                Err(e) => sh
                    .borrow_mut()
                    .logger
                    .write(LogLevel::Warning, &format!("listener: {e}")),
            }
        }
        {
            let mut s = sh.borrow_mut();
            drain(&sh, &mut s);
        }
        use tokio::signal::unix::{signal, SignalKind};
        super::insist::install();
        let mut sigterm = signal(SignalKind::terminate()).ok();
        let mut sigint = signal(SignalKind::interrupt()).ok();
        loop {
            let exit = sh.borrow().exit;
            if let Some(code) = exit {
                // Give writers a moment to flush the last replies.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let mut s = sh.borrow_mut();
                // AOF bytes still waiting for a group commit go out too.
                match s.aof.sync_deferred() {
                    Err(SyncFailure::Write(f, _)) => s.logger.line(
                        LogLevel::Warning,
                        &format!("Error writing to the AOF file: {}", f.error),
                    ),
                    Err(SyncFailure::Fatal(e) | SyncFailure::Other(e)) => {
                        s.logger.line(LogLevel::Warning, &e)
                    }
                    Ok(()) => {}
                }
                s.files.sync();
                return code;
            }
            let now = now_ms();
            let wake = {
                let mut s = sh.borrow_mut();
                let wake = s.node.poll_timeout().unwrap_or(now + 1000).min(now + 1000);
                s.armed = wake;
                wake
            };
            let delay = wake.saturating_sub(now);
            let signalled = tokio::select! {
                _ = wait_for(delay) => {
                    drive(&sh, Input::Tick);
                    None
                }
                Some((file, error)) = done_rx.recv() => {
                    if let Some(e) = &error {
                        sh.borrow_mut().logger.line(LogLevel::Warning, e);
                    }
                    drive(&sh, Input::Persisted { file, error });
                    None
                }
                Some((file, error)) = fsync_rx.recv() => {
                    drive(&sh, Input::Fsynced { file, error });
                    None
                }
                _ = timer.notified() => None,
                _ = recv(&mut sigterm) => Some(Signal::Term),
                _ = recv(&mut sigint) => Some(Signal::Int),
            };
            if let Some(sig) = signalled {
                // Like Redis, a signal runs the node's own shutdown (a final
                // save when save points are set); no client is involved, so
                // requirepass or ACLs cannot refuse it. The node logs the
                // handler's line, then emits Shutdown and the top of the
                // loop exits.
                drive(&sh, Input::Terminate(sig));
            }
        }
    });
    drop(local);
    drop(rt);
    // The listeners' spawner holds the shared state too.
    super::listeners::uninstall();
    let logger = match Rc::try_unwrap(sh) {
        Ok(cell) => cell.into_inner().logger,
        Err(sh) => {
            // Tasks still hold the state: take the logger out and leave a stdout one.
            let mut s = sh.borrow_mut();
            let min = s.logger.min;
            let role = s.logger.role_char;
            std::mem::replace(&mut s.logger, Logger::stdout(role, min))
        }
    };
    (code, logger)
}

/// Sleep until the node's next tick. A tick due now (a background save's
/// next slice) waits two turns of the scheduler instead: the first polls the
/// sockets, the second lets the connections that have input run first, so a
/// request waits behind one slice at most.
async fn wait_for(delay: Millis) {
    if delay == 0 {
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
}

async fn recv(sig: &mut Option<tokio::signal::unix::Signal>) {
    match sig.as_mut() {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
