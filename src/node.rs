//! The node contract: how a host drives a sans-IO node.
//!
//! A node (a Redis server or a sentinel) never touches a socket, a clock or a
//! thread. The host feeds it [`Input`]s, each stamped with the current time in
//! milliseconds, and drains [`Output`]s with [`Node::poll_output`] until it
//! returns `None`. [`Node::poll_timeout`] says when the node next wants to be
//! woken with [`Input::Tick`] even if nothing else happens.
//!
//! Connection ids: the host numbers the connections it accepts with ids below
//! [`OUTBOUND_BIT`]; the node numbers the connections it asks the host to open
//! with that bit set. So both sides allocate without asking each other.

use crate::sentinel::event::SentinelEvent;
use std::fmt;

/// Milliseconds on the host's clock (wall clock natively, virtual in the simulator).
pub type Millis = u64;

/// Bit set in every connection id the node allocates for outbound connections.
pub const OUTBOUND_BIT: u64 = 1 << 63;

/// The connection a host asks a node a question on, out of band (the
/// simulator's `query`, the wasm `Node.query`): see [`inspect`]. Never handed
/// out for real traffic.
pub const INSPECT_CONN: ConnId = ConnId(OUTBOUND_BIT - 1);

/// One connection of a node, inbound or outbound.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ConnId(pub u64);

impl ConnId {
    pub fn is_outbound(self) -> bool {
        self.0 & OUTBOUND_BIT != 0
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0 & !OUTBOUND_BIT)
    }
}

/// A network address as the node sees it: host name or IP text, and a port.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Addr {
    pub host: String,
    pub port: u16,
}

impl Addr {
    pub fn new(host: impl Into<String>, port: u16) -> Addr {
        Addr {
            host: host.into(),
            port,
        }
    }

    /// A peer on the Unix socket: the host gives the socket's path with
    /// port 0 (no TCP peer has port 0), which Redis shows as `path:0`.
    pub fn is_unix_socket(&self) -> bool {
        self.port == 0 && !self.host.is_empty()
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// What the host tells a node.
#[derive(Debug)]
pub enum Input<'a> {
    /// A peer connected to the node's listening port.
    Accepted {
        conn: ConnId,
        peer: Addr,
        local: Addr,
    },
    /// An outbound connection the node asked for is established.
    Connected { conn: ConnId, local: Addr },
    /// An outbound connection the node asked for could not be established.
    ConnectFailed { conn: ConnId, reason: String },
    /// The peer closed the connection, or the link broke.
    Closed { conn: ConnId },
    /// Bytes arrived on a connection.
    Data { conn: ConnId, bytes: &'a [u8] },
    /// Time passed; nothing else happened.
    Tick,
    /// The host finished a file streamed with [`Event::PersistPart`] (the
    /// part with [`PersistStep::Finish`]): it is in place under `file`, or
    /// `error` says why not (the host logged the details). Sent only by hosts
    /// that write those parts in the background and told the node so (see
    /// `Server::confirm_persist`); the others apply each part as they drain
    /// the outputs, before any later output.
    Persisted { file: String, error: Option<String> },
    /// The host finished a background [`FileOp::Fsync`] of `file` (sent
    /// only by hosts that confirm, like `Persisted`); `error`: the OS's
    /// message when the fsync failed.
    Fsynced { file: String, error: Option<String> },
    /// An [`FileOp::Append`] to `file` failed (a full disk, an I/O error):
    /// `error` is the OS's message. `partial` bytes went in before the
    /// error; the host then cut them back off, or `truncate_error` says why
    /// it could not (they stay). `unwritten`: the bytes not in the file, for
    /// the node to keep and write again.
    AofWriteFailed {
        file: String,
        unwritten: Vec<u8>,
        partial: u64,
        error: String,
        truncate_error: Option<String>,
    },
    /// The process was asked to stop (SIGTERM / SIGINT): shut down as the
    /// SHUTDOWN command would (a final save when save points are set, with
    /// `shutdown-on-sigterm` / `shutdown-on-sigint`'s flags), then emit
    /// [`Event::Shutdown`]. Unlike SHUTDOWN it needs no client, so no
    /// password or ACL stands in the way.
    Terminate(Signal),
    /// What became of a script the node asked to run with
    /// [`Event::RunScript`] (the native host; hosts that only record the
    /// call report it exited with 0 at once).
    Script { id: u64, status: ScriptStatus },
    /// What became of the stand-in child asked for with [`Event::Fork`]:
    /// its pid, then its exit (a signal when something killed it).
    Child { id: u64, status: ScriptStatus },
}

/// A script's or child's progress, as a host reports it with
/// [`Input::Script`] or [`Input::Child`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ScriptStatus {
    /// The process runs with this pid.
    Started { pid: u32 },
    /// The process ended: its exit code, or the signal that ended it (0: none).
    Exited { code: i32, signal: i32 },
}

impl Input<'_> {
    /// Whether this input belongs to an out-of-band question ([`inspect`]).
    pub fn is_inspect(&self) -> bool {
        matches!(
            self,
            Input::Accepted {
                conn: INSPECT_CONN,
                ..
            } | Input::Data {
                conn: INSPECT_CONN,
                ..
            } | Input::Closed { conn: INSPECT_CONN }
        )
    }
}

/// Log levels, as Redis names them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    /// The character Redis prints in its log lines (`.`, `-`, `*`, `#`).
    pub fn mark(self) -> char {
        match self {
            LogLevel::Debug => '.',
            LogLevel::Verbose => '-',
            LogLevel::Notice => '*',
            LogLevel::Warning => '#',
        }
    }

    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Some(LogLevel::Debug),
            "verbose" => Some(LogLevel::Verbose),
            "notice" => Some(LogLevel::Notice),
            "warning" => Some(LogLevel::Warning),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Verbose => "verbose",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
        }
    }
}

/// A server's replication role, as Redis names it in ROLE and INFO.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Master,
    Slave,
}

impl Role {
    /// `master` / `slave`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Slave => "slave",
        }
    }

    /// The character Redis prints in its log lines for the role (`M`, `S`).
    pub fn mark(self) -> char {
        match self {
            Role::Master => 'M',
            Role::Slave => 'S',
        }
    }
}

/// The signals that ask a node to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Term,
    Int,
}

/// What a failed assertion or a panic logs, and how the process ends.
#[derive(Clone, PartialEq, Debug)]
pub struct CrashReport {
    /// The lines after the bug report's start (the assertion or panic).
    pub lines: Vec<crate::keyspace::corrupt::ReportLine>,
    /// `use-exit-on-panic`: exit(1) rather than abort().
    pub exit: bool,
}

/// Structured things a node reports for logs and the UI.
#[derive(Clone, PartialEq, Debug)]
pub enum Event {
    /// A log line's message, without the pid/role/time prefix the host adds.
    Log { level: LogLevel, message: String },
    /// A line 7.0 logs from its signal handler (`pid:signal-handler
    /// (unixtime) message`).
    SignalLog { message: String },
    /// The node's role changed.
    RoleChanged { role: Role },
    /// The node wants to stop (SHUTDOWN); `exit_code` as a process would use.
    Shutdown { exit_code: i32 },
    /// The process goes down. `report` None: DEBUG SEGFAULT, an invalid
    /// memory access (the native host makes a real one, its signal
    /// handler's report follows). Some: a failed assertion or a panic
    /// (`serverAssert` / `serverPanic`): the host writes the bug report with
    /// these lines and exits as 7.0's `bugReportEnd` does. A simulated host
    /// stops the node as a killed process.
    Crash { report: Option<CrashReport> },
    /// Write `bytes` to `file` (the `dbfilename`, relative to the `dir`
    /// directive), atomically: a temp file then a rename, as Redis does.
    Persist { file: String, bytes: Vec<u8> },
    /// Part of `file` streamed as a background save produces it. The parts
    /// of one file come in order, one file at a time: [`PersistStep::Start`]
    /// creates a temp file (Redis's `temp-<pid>.rdb`) with `bytes`, `Append`
    /// adds to it, `Finish` adds the last bytes, syncs and renames it over
    /// `file`; `Abort` (no bytes) removes it: the save was stopped.
    PersistPart {
        file: String,
        bytes: Vec<u8>,
        step: PersistStep,
    },
    /// A sentinel event (`+sdown`, `+switch-master`, ...) and the message
    /// Redis publishes on its channel, for the UI.
    Sentinel { kind: SentinelEvent, detail: String },
    /// The node rewrote its configuration file; the host writes `text` to `path`.
    ConfigRewrite { path: String, text: String },
    /// Run the program `argv[0]` with the arguments `argv[1..]` (a
    /// sentinel's notification or client reconfiguration script) and report
    /// with [`Input::Script`] under `id`. A host that runs nothing records
    /// the call.
    RunScript { id: u64, argv: Vec<String> },
    /// Kill (SIGKILL) the script started for `id`: it ran too long.
    KillScript { id: u64 },
    /// CONFIG SET dir: Redis chdirs there, so the files named afterwards
    /// (dbfilename, ...) are relative to it. A host without a disk ignores it.
    ChangeDir { dir: String },
    /// An operation on a file of the append-only file (see [`FileOp`]),
    /// carried out in order with the other file events.
    AofFile(FileOp),
    /// A background save or AOF rewrite began: a host that runs stand-in
    /// children (see `Server::host_forks`) starts one titled `title` (7.0's
    /// process title) before it sends any later output, and reports it with
    /// [`Input::Child`] under `id`. Others ignore it.
    Fork {
        id: u64,
        title: String,
        /// The child's `oom_score_adj` (7.0's child sets its own).
        oom_score: Option<OomScore>,
    },
    /// The job of child `id` ended: its stand-in exits.
    EndFork { id: u64 },
}

/// What the AOF asks of the host's disk. Paths are relative to `dir`
/// (`appenddirname/<file>`); the host creates the directory as needed.
#[derive(Clone, PartialEq, Debug)]
pub enum FileOp {
    /// Append `bytes` to `file`, creating it if missing (the bytes survive a
    /// process crash once done). With `fsync`, the file is synced before
    /// the host carries out any later output: the replies that follow
    /// (`appendfsync always`) are sent only once the bytes are durable.
    Append {
        file: String,
        bytes: Vec<u8>,
        fsync: bool,
    },
    /// Sync `file` in the background (`appendfsync everysec`); a host that
    /// confirms answers [`Input::Fsynced`].
    Fsync {
        file: String,
    },
    /// Cut `file` to `len` bytes, creating it empty if missing.
    Truncate {
        file: String,
        len: u64,
    },
    Rename {
        from: String,
        to: String,
    },
    Delete {
        file: String,
    },
}

/// How long a foreground save lasts beyond its writing, and whether a
/// SIGINT meanwhile ends the process (7.0's handler during the final save
/// of a shutdown a signal started: "You insist").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveHold {
    pub us: u64,
    pub insist_exits: bool,
}

/// Why a foreground save the host wrote did not complete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveFailure {
    /// The line 7.0 logs (open, write, fsync or rename failed).
    Failed(String),
    /// A SIGINT arrived while [`SaveHold::insist_exits`]: the temp file is
    /// gone and the process must exit at once.
    Insisted,
}

/// Where an [`Event::PersistPart`] stands in its file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PersistStep {
    /// The first bytes: a new temp file.
    Start,
    /// More bytes for the temp file.
    Append,
    /// The last bytes; then the temp file replaces `file`.
    Finish,
    /// The save stopped: drop the temp file.
    Abort,
}

/// What a node asks of its host.
#[derive(Debug)]
pub enum Output {
    /// Send these bytes on the connection, in order.
    Send { conn: ConnId, bytes: Vec<u8> },
    /// Open an outbound connection; the answer is `Connected` or `ConnectFailed`.
    /// Open a connection to `addr`, from the local address `source` if
    /// given (`bind-source-addr`).
    Connect {
        conn: ConnId,
        addr: Addr,
        source: Option<String>,
    },
    /// Close the connection after the bytes already sent on it are flushed
    /// (unless the node asked [`HostProbe::drop_output`] for it).
    Close { conn: ConnId },
    /// Something happened that the host may log or show.
    Event(Event),
}

/// What a host can measure about its own process, for INFO: a real host
/// (native) installs one with [`HostFacts`]; a simulated one (the simulator,
/// wasm) has none and INFO says what Redis 7.0 says when it cannot tell.
/// The core calls it only while it renders INFO or times a command, so it
/// does no IO itself and a run without a probe stays deterministic.
pub trait HostProbe {
    /// A monotonic clock in microseconds, to time commands (commandstats,
    /// latencystats, SLOWLOG) finer than the millisecond `now` of inputs.
    fn monotonic_us(&self) -> u64;
    /// The same clock as a shareable function, for code that must look at
    /// the time from inside a long computation (a script's timeout hook).
    fn clock(&self) -> Option<std::rc::Rc<dyn Fn() -> u64>> {
        None
    }
    /// The wall clock in microseconds (TIME's gettimeofday), read at the
    /// moment of asking; `None` where time is the inputs' `now` alone (the
    /// simulator).
    fn wall_us(&self) -> Option<u64> {
        None
    }
    /// The process's resident set size in bytes, if known.
    fn rss(&self) -> Option<u64>;
    /// The machine's memory in bytes, if known.
    fn total_system_memory(&self) -> Option<u64>;
    /// Bytes the process's allocator holds, if it counts them (the native
    /// binary's counting allocator). Shared by every node of the process.
    fn allocated(&self) -> Option<u64> {
        None
    }
    /// Reply bytes the host still holds for `conn` (its socket would not
    /// take them yet): part of the client's output buffer.
    fn unsent_output(&self, _conn: ConnId) -> u64 {
        0
    }
    /// The node frees `conn` without its pending replies (an output buffer
    /// limit, client eviction): the `Output::Close` that follows drops what
    /// the host still holds for it instead of flushing it.
    fn drop_output(&self, _conn: ConnId) {}
    /// CPU time used so far, if known.
    fn cpu(&self) -> Option<CpuTimes>;
    /// CONFIG SET `port` / `bind`: listen on `bind` (as the directive
    /// reads) and `port` instead of the current sockets, or say why not
    /// (the current ones stay). A host whose node has no sockets of its own
    /// (simulated) has nothing to change.
    fn listen(&self, _bind: &str, _port: u16) -> Result<(), String> {
        Ok(())
    }
    /// Set the `oom_score_adj` of this process, or of its child `pid`
    /// (7.0's setOOMScoreAdj); the error is for the log.
    fn set_oom_score_adj(&self, _score: OomScore, _pid: Option<u32>) -> Result<(), String> {
        Ok(())
    }
    /// The software watchdog (`watchdog-period`): fire in `period_ms`
    /// unless called again before (0 stops it). A host with no timer of
    /// its own to interrupt the node has none.
    fn arm_watchdog(&self, _period_ms: u64) {}
    /// Show `title` as the process's title (`ps`, /proc/<pid>/cmdline),
    /// as setproctitle does. A host that is no process of its own has none.
    fn set_proc_title(&self, _title: &str) {}
    /// Whether [`HostProbe::busy_poll`] looks at the connections.
    fn serves_while_busy(&self) -> bool {
        false
    }
    /// Whether [`HostProbe::sleep_us`] sleeps. Hosts that do not (the
    /// simulator and wasm) get such delays paced by their clock instead.
    fn sleeps(&self) -> bool {
        false
    }
    /// Sleep `us` microseconds now, blocking the node as 7.0's usleep
    /// blocks Redis (`key-load-delay`'s debugDelay), the OS's own overshoot
    /// included.
    fn sleep_us(&self, _us: u64) {}
    /// How long a sleep of `us` microseconds really takes on this host
    /// (usleep's overshoot: timer slack, the wake-up), as measured; a
    /// forked child that sleeps per key (`rdb-key-save-delay`) goes at
    /// that pace. A host without real sleeps answers `us`.
    fn measured_sleep_us(&self, us: u64) -> u64 {
        us
    }
    /// While a script runs past `busy-reply-threshold`: what the client
    /// connections sent since the last look, without waiting (7.0's
    /// processEventsWhileBlocked). `None`: this host cannot look (the
    /// simulator and wasm, which stay deterministic).
    fn busy_poll(&self) -> Option<Vec<BusyInput>> {
        None
    }
    /// Wait for what `conn` sends next (the Lua debugger's synchronous
    /// session blocks the server on its client, as 7.0's does); `None` when
    /// the connection is gone or the host cannot wait.
    fn read_waiting(&self, _conn: ConnId) -> Option<Vec<u8>> {
        None
    }
    /// Send a reply now, while a script runs (after anything still queued
    /// for `conn`); `false` if the host cannot, and it goes out as usual
    /// once the script ends.
    fn busy_send(&self, _conn: ConnId, _bytes: &[u8]) -> bool {
        false
    }
    /// Write `file` (the `dbfilename`) with `bytes` now, as rdbSave does (a
    /// temp file, fsync, rename), blocking the node, and say how it went: the
    /// error is the line 7.0 logs. The temp file stays in place for
    /// `hold.us` more (the sleeps of `rdb-key-save-delay`). `None`: this
    /// host writes files only through [`Event::Persist`] (the simulator and
    /// wasm, whose disks do not fail).
    fn persist_now(
        &self,
        _file: &str,
        _bytes: &[u8],
        _hold: SaveHold,
    ) -> Option<Result<(), SaveFailure>> {
        None
    }
    /// Talk to another server now, blocking the node as 7.0's MIGRATE
    /// blocks Redis (a blocking connect, syncWrite, syncReadLine, each
    /// bounded by `timeout_ms`): send `request` to `to` and read `replies`
    /// RESP replies. `None`: this host cannot block on the network (the
    /// simulator and wasm).
    fn exchange(
        &self,
        _to: &Addr,
        _request: &[u8],
        _replies: usize,
        _timeout_ms: u64,
    ) -> Option<Result<Vec<crate::resp::Frame>, ExchangeFailure>> {
        None
    }
}

/// Where a blocking [`HostProbe::exchange`] failed (MIGRATE's IOERRs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExchangeFailure {
    /// The name did not resolve or the connect timed out.
    Connecting,
    /// The request could not be written (a refused connection shows here:
    /// Redis's connect only waits for the socket to be writable).
    Writing,
    /// Closed, garbled or timed out before every reply came.
    Reading,
}

/// What [`HostProbe::busy_poll`] found on a connection.
#[derive(Debug, Clone, PartialEq)]
pub enum BusyInput {
    Accepted {
        conn: ConnId,
        peer: Addr,
        local: Addr,
    },
    Data {
        conn: ConnId,
        bytes: Vec<u8>,
    },
    Closed {
        conn: ConnId,
    },
}

/// CPU seconds as `getrusage` reports them (INFO's `# CPU`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTimes {
    pub sys: f64,
    pub user: f64,
    pub sys_children: f64,
    pub user_children: f64,
    pub sys_main_thread: f64,
    pub user_main_thread: f64,
}

/// How a failed name lookup's reason begins in `Input::ConnectFailed`,
/// followed by `: <the resolver's words>` (the native host's getaddrinfo
/// errno text, the simulator's own); Redis logs only the resolver's words.
pub const LOOKUP_FAILED: &str = "failed to lookup address information";

/// How a host turns a host name into an address (`getaddrinfo` natively, a
/// simulation's name table in the simulator): handed to the nodes that
/// resolve names themselves (a sentinel with `resolve-hostnames yes`).
/// Cloning shares the same resolver, so a table the host changes later (a
/// stopped container's name dropped) is what every node sees next.
#[derive(Clone)]
pub struct Resolver(std::rc::Rc<ResolveFn>);

/// A name → its address, or `None`.
type ResolveFn = dyn Fn(&str) -> Option<String>;

impl Resolver {
    pub fn new(f: impl Fn(&str) -> Option<String> + 'static) -> Resolver {
        Resolver(std::rc::Rc::new(f))
    }

    /// The name's address, or `None` if it does not resolve.
    pub fn resolve(&self, name: &str) -> Option<String> {
        (self.0)(name)
    }
}

/// A host without a resolver: a name is its own address, handed on as it is.
impl Default for Resolver {
    fn default() -> Resolver {
        Resolver::new(|h| Some(h.to_string()))
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Resolver")
    }
}

/// What `oom-score-adj` asks of a process's OOM score (setOOMScoreAdj).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OomScore {
    /// `oom-score-adj no`: back to the score the process had before.
    Restore,
    /// This score, added to the score the process had before when `relative`.
    Set { value: i32, relative: bool },
}

/// Facts about the process a node runs in, given by its host once at start
/// (`Server::set_host_facts`). The defaults are a host that knows none of them.
#[derive(Default)]
pub struct HostFacts {
    /// The process id the host's log lines carry.
    pub pid: Option<u32>,
    /// The absolute path of the running program.
    pub executable: Option<String>,
    /// The program as it was started (`argv[0]`): the process title's `{title}`.
    pub argv0: Option<String>,
    /// `uname`'s system name, release and machine, space separated.
    pub os: Option<String>,
    /// The allocator the process really uses (Redis's `mem_allocator`).
    pub mem_allocator: Option<String>,
    pub probe: Option<Box<dyn HostProbe>>,
    /// The node's files, read and written at once: DEBUG LOADAOF (a test
    /// command that reloads the AOF the node wrote), ACL LOAD (the
    /// `aclfile`), and the config file, whose rewrite a command answers for
    /// (CONFIG REWRITE, SENTINEL SET ...). Without it (simulator, browser)
    /// config rewrites go out as `Event::ConfigRewrite` and cannot fail.
    pub files: Option<Box<dyn HostFiles>>,
}

/// A host's way to read or write one of the node's files, at once.
pub trait HostFiles {
    /// The file's bytes, or `None` if it is not there.
    fn read(&self, path: &str) -> Option<Vec<u8>>;
    /// Replace the file as Redis does (temp file, fsync, rename): the
    /// error's text is the system's (`strerror`), for the reply and the log.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String>;
}

impl fmt::Debug for HostFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostFacts")
            .field("pid", &self.pid)
            .field("executable", &self.executable)
            .field("os", &self.os)
            .field("mem_allocator", &self.mem_allocator)
            .field("probe", &self.probe.is_some())
            .field("files", &self.files.is_some())
            .finish()
    }
}

/// A sans-IO node, driven by a host.
pub trait Node {
    /// Feed one input to the node at time `now`.
    fn handle(&mut self, now: Millis, input: Input<'_>);
    /// The next thing the node wants done; call until `None` after each `handle`.
    fn poll_output(&mut self) -> Option<Output>;
    /// When the node next wants an [`Input::Tick`], if ever.
    fn poll_timeout(&self) -> Option<Millis>;
    /// True while the node wants no more bytes from `conn` (a replica's
    /// diskless load reads its master's payload only as fast as it loads
    /// it). A host that can leaves them in the socket and asks again after
    /// the next input; one that cannot deliver them anyway, which only
    /// costs memory.
    fn holds_input(&self, _conn: ConnId) -> bool {
        false
    }
    /// The bytes of an [`Output::Send`], written: the node may fill the
    /// buffer again with a later reply rather than allocate one. Optional
    /// for hosts (the buffer is simply dropped otherwise).
    fn recycle(&mut self, _bytes: Vec<u8>) {}
}

/// Ask `node` one command out of band at time `now`, on [`INSPECT_CONN`]:
/// the reply (if it came at once) and the node's other outputs, for the host
/// to handle as usual. Nodes answer such a question without running their
/// timers or background work, so asking changes nothing a run would show:
/// the simulator's trace is the same whether the page looks or not.
pub fn inspect(
    node: &mut dyn Node,
    now: Millis,
    argv: &[&str],
) -> (Option<crate::resp::Frame>, Vec<Output>) {
    use crate::resp::Frame;
    let bytes = Frame::command(argv.iter().map(|s| s.as_bytes()));
    let me = Addr::new("127.0.0.1", 1);
    let mut reply = Vec::new();
    let mut others = Vec::new();
    let inputs = [
        Input::Accepted {
            conn: INSPECT_CONN,
            peer: me.clone(),
            local: me,
        },
        Input::Data {
            conn: INSPECT_CONN,
            bytes: &bytes,
        },
        Input::Closed { conn: INSPECT_CONN },
    ];
    for input in inputs {
        node.handle(now, input);
        while let Some(out) = node.poll_output() {
            match out {
                Output::Send { conn, bytes } if conn == INSPECT_CONN => {
                    reply.extend_from_slice(&bytes)
                }
                Output::Close { conn } if conn == INSPECT_CONN => {}
                other => others.push(other),
            }
        }
    }
    let frame = match Frame::parse(&reply) {
        Ok(Some((f, _))) => Some(f),
        _ => None,
    };
    (frame, others)
}
