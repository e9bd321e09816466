//! A Redis server node: clients, command dispatch, blocking, WATCH, cron.

pub mod aof;
pub mod busy;
pub mod client;
pub mod client_eviction;
pub mod client_peaks;
pub mod clients;
pub mod cmdstats;
pub mod config;
pub mod disk_error;
pub mod eviction;
pub mod fork;
pub mod info;
pub mod latency;
pub mod lazyfree;
pub mod loading;
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod oom_score;
pub mod output_limits;
pub mod pause;
pub mod pending;
pub mod persistence;
pub mod proc_title;
pub mod query_buffer;
pub mod reply_buffer;
pub mod reply_pool;
pub mod shutdown;
pub mod slowlog;
pub mod tracking;
pub mod watchdog;

pub use client::{Blocked, Client, ClientKind, Multi, ReplyMode};
pub use clients::ClientTable;
pub use config::{Config, Key, MaxmemoryPolicy};
pub use persistence::{parse_save_points, save_points_due};

use crate::commands::{self, flags, CommandDef, CommandTable, Ctx, Propagate};
use crate::keyspace::corrupt::Access;
use crate::keyspace::{noted, Db};
use crate::node::{
    Addr, ConnId, Event, HostFacts, Input, LogLevel, Millis, Node, Output, INSPECT_CONN,
    OUTBOUND_BIT,
};
use crate::replication::commands::ReplAction;
use crate::replication::ReplState;
use crate::resp::{ProtocolError, Request, Sender};
use crate::rng::Rng;
use bytes::Bytes;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use std::sync::OnceLock;

/// The server's command table, built once.
pub fn command_table() -> &'static CommandTable {
    static TABLE: OnceLock<CommandTable> = OnceLock::new();
    TABLE.get_or_init(CommandTable::server)
}

/// Counters INFO stats reports.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    /// Clients disconnected by `maxmemory-clients`.
    pub evicted_clients: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub pubsub_messages: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Bytes read from our master and written to our replicas (7.0 counts them apart).
    pub net_repl_input_bytes: u64,
    pub net_repl_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    /// Inputs of bytes from clients (Redis counts each socket read).
    pub total_reads_processed: u64,
    /// Sends of bytes to clients (Redis counts each socket write).
    pub total_writes_processed: u64,
}

/// Everything of a server but its clients, so a handler can borrow both.
pub struct ServerState {
    pub config: Config,
    pub dbs: Vec<Db>,
    /// The databases that may have after-command work (`Db::notes`): one
    /// bit each, shared with them (see `keyspace::noted`).
    pub db_marks: Rc<Cell<u64>>,
    /// What `prepare_access` last set in every database (the policy,
    /// `now`, whether to touch): the same again needs no pass over them.
    pub access_prepared: Option<(crate::keyspace::lru::AccessPolicy, Millis, bool)>,
    /// Changes since the last save.
    pub dirty: u64,
    pub stats: Stats,
    pub run_id: String,
    /// When the node started (host clock, ms).
    pub start_time: Millis,
    pub rng: Rng,
    pub channels: BTreeMap<Bytes, BTreeSet<ConnId>>,
    pub patterns: BTreeMap<Bytes, BTreeSet<ConnId>>,
    /// Shard channels (SSUBSCRIBE) → subscribed connections.
    pub shard_channels: BTreeMap<Bytes, BTreeSet<ConnId>>,
    pub watched: BTreeMap<(usize, Bytes), BTreeSet<ConnId>>,
    /// Clients blocked on a key, in arrival order.
    pub blocked_on: BTreeMap<(usize, Bytes), VecDeque<ConnId>>,
    pub next_client_id: u64,
    /// Clients with output waiting to be handed to the host.
    pub pending: pending::PendingConns,
    /// Written reply buffers, reused by the next flushes.
    pub reply_pool: reply_pool::ReplyPool,
    /// Outputs other than client replies (logs, connects, closes).
    pub out: VecDeque<Output>,
    /// Writes to propagate to the AOF and replicas, in order.
    pub repl_feed: Vec<Propagated>,
    /// Unix time of the last successful save, seconds.
    pub lastsave: u64,
    /// The host's clock at the last handle() call.
    pub now: Millis,
    /// Active expire cursor per db.
    pub expire_cursor: Vec<u64>,
    next_cron: Millis,
    /// Set by SHUTDOWN; the node stops answering.
    pub shutting_down: bool,
    /// A signal's request, or a shutdown waiting for replicas.
    pub shutdown: shutdown::ShutdownState,
    next_outbound: u64,
    /// Replication state, both roles.
    pub repl: ReplState,
    /// Replication changes requested by commands, applied right after them.
    pub repl_actions: Vec<ReplAction>,
    /// Master link bytes received but not yet applied (for offsets and proxying).
    pub master_raw: crate::replication::unapplied::Unapplied,
    /// A command blocked a client since the last settle (see `settle_blocked`).
    pub block_pending: bool,
    /// Clients CLIENT UNBLOCK released: their pipelined input runs after the command.
    pub unblocked: Vec<ConnId>,
    /// Clients in MONITOR mode.
    pub monitors: BTreeSet<ConnId>,
    /// A BGSAVE being written, a slice at a time.
    pub bgsave_job: Option<Box<persistence::Bgsave>>,
    /// INFO persistence counters and the snapshot epoch.
    pub persist: persistence::PersistStats,
    /// The fork children of background jobs (`total_forks`, stand-ins).
    pub forks: fork::Forks,
    /// The append-only file (see [`aof`]).
    pub aof: aof::Aof,
    /// Every command propagated to replicas, kept for unit tests to inspect.
    #[cfg(test)]
    pub propagated: Vec<(usize, Vec<Bytes>)>,
    /// DEBUG SLEEP: until this time the node runs no commands and sends no
    /// replies; input is buffered (0 = not paused).
    pub paused_until: Millis,
    /// DEBUG PAUSE-CRON 1: the periodic work (serverCron) does not run.
    pub pause_cron: bool,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION 1: RESTORE payloads' CRC is not checked.
    /// A corrupt payload was kept (`sanitize-dump-payload no`) since the
    /// start: only then do commands look for one among their keys.
    pub corrupt_kept: bool,
    pub skip_checksum_validation: bool,
    /// The configured compact-encoding limits (kept in step by CONFIG SET).
    pub encoding_limits: crate::keyspace::EncodingLimits,
    /// INFO's instantaneous rates (see [`metrics`]).
    pub instantaneous: metrics::Instantaneous,
    /// Enabled keyspace-notification classes (0: none; see [`notify`]).
    pub notify_flags: u32,
    /// Keyspace notifications the running command queued.
    pub notes: Vec<notify::Note>,
    /// INFO sections; other modules may replace one (see `info::Sections`).
    pub info_sections: info::Sections,
    /// Sentinel state when this server runs as a sentinel (see `crate::sentinel`).
    pub sentinel: Option<Box<crate::sentinel::SentinelState>>,
    /// INFO commandstats, errorstats and latencystats.
    pub calls: cmdstats::CallStats,
    pub slowlog: slowlog::Slowlog,
    /// Client ids → connections, for the clients that exist.
    pub client_ids: BTreeMap<u64, ConnId>,
    /// The client whose command runs (NOLOOP tracking), if one does.
    pub current_client: Option<u64>,
    /// MIGRATEs waiting for their target, by outbound connection.
    pub migrations: crate::vecmap::VecMap<ConnId, crate::commands::migrate::Job>,
    /// MIGRATE's connections kept per target ("host:port").
    pub migrate_sockets: crate::vecmap::VecMap<String, crate::commands::migrate::CachedSocket>,
    /// Client-side caching: tracked keys, BCAST prefixes, invalidations.
    pub tracking: tracking::Tracking,
    /// CLIENT PAUSE / FAILOVER's pause of clients, expiry and eviction.
    pub pause: pause::ClientPause,
    /// DEBUG REPLYBUFFER's settings and the resize counts.
    pub reply_buffers: reply_buffer::ReplyBufPolicy,
    /// INFO's recent biggest client buffers.
    pub client_peaks: client_peaks::ClientPeaks,
    /// LATENCY's events (`latency-monitor-threshold`).
    pub latency: latency::LatencyMonitor,
    /// What the host told about the process (pid, clock, RSS, CPU).
    pub host: HostFacts,
    /// The command whose pre-run checks are being made, and its first
    /// argument when it has subcommands: a refusal counts as its rejected call.
    pub checking: Option<(&'static CommandDef, Option<Bytes>)>,
    /// The client whose EVAL / FCALL is running (`server.script_caller`):
    /// its script's writes are its own for tracking's NOLOOP.
    pub script_caller: Option<u64>,
    /// A dataset is being loaded (`server.loading`): commands without the
    /// `loading` flag get -LOADING (see [`loading`]).
    pub loading: bool,
    /// The load in progress is a replica's beside its old data
    /// (`repl-diskless-load swapdb` from the same master history): the old
    /// data is served meanwhile.
    pub async_loading: bool,
    /// INFO's `loading_*` figures of the load in progress.
    pub load_progress: loading::LoadProgress,
    /// An RDB load running in slices between the host's turns.
    pub load_job: Option<Box<loading::LoadJob>>,
    /// The running script, once past `busy-reply-threshold` (see [`busy`]).
    pub busy: Option<busy::BusyScript>,
    /// Input that arrived while the script ran and waits for its end.
    pub busy_deferred: Vec<crate::node::BusyInput>,
    /// Keys loaded and keys found expired by the last RDB load.
    pub last_load_keys: (u64, u64),
    /// `maxmemory` eviction's pool, pending round and metrics.
    pub eviction: eviction::Eviction,
    /// `used_memory_peak`.
    pub mem_peak: memory::Peak,
    /// Users, their permissions and the ACL LOG (see [`crate::acl`]).
    pub acl: crate::acl::Acl,
    /// Lua scripting: the VM and the script cache (see `crate::scripting`).
    pub scripting: crate::scripting::Scripting,
    /// The command table this server dispatches with: a sentinel has its
    /// own, and `rename-command` gives a server a renamed copy.
    pub table: &'static CommandTable,
    /// Values waiting to be freed after the reply (UNLINK).
    pub lazyfree: lazyfree::LazyFree,
}

/// A command propagated by a write, and where it goes: 7.0's
/// PROPAGATE_AOF and PROPAGATE_REPL targets (a script's `redis.set_repl`
/// picks them). One entry serves both consumers, so nothing is copied.
#[derive(Clone, Debug)]
pub struct Propagated {
    /// Its database (`usize::MAX`: none, replicas only).
    pub db: usize,
    pub argv: Vec<Bytes>,
    /// [`Propagated::AOF`] | [`Propagated::REPL`].
    pub target: u8,
}

impl Propagated {
    pub const AOF: u8 = 1;
    pub const REPL: u8 = 2;

    /// To the AOF and the replicas, as most writes go.
    pub fn all(db: usize, argv: Vec<Bytes>) -> Propagated {
        Propagated {
            db,
            argv,
            target: Propagated::AOF | Propagated::REPL,
        }
    }
}

/// propagatePendingCommands' wrapping: more than one command since
/// `start` goes out as MULTI ... EXEC, to both targets as in 7.0.
pub fn wrap_in_transaction(feed: &mut Vec<Propagated>, start: usize) {
    if feed.len() > start + 1 {
        let first_db = feed[start].db;
        let last_db = feed[feed.len() - 1].db;
        let multi = Propagated::all(first_db, vec![Bytes::from_static(b"MULTI")]);
        feed.insert(start, multi);
        feed.push(Propagated::all(last_db, vec![Bytes::from_static(b"EXEC")]));
    }
}

impl ServerState {
    pub fn log(&mut self, level: LogLevel, message: impl Into<String>) {
        let min = LogLevel::parse(self.config.get(Key::LOGLEVEL)).unwrap_or(LogLevel::Notice);
        if level >= min {
            self.out.push_back(Output::Event(Event::Log {
                level,
                message: message.into(),
            }));
        }
    }

    /// Someone takes the commands a write propagates: the AOF, the
    /// backlog or replicas (a replica passes its master's stream on
    /// instead), or the unit tests' record. Otherwise copying a write's
    /// arguments into `repl_feed` is wasted work.
    pub fn propagation_wanted(&self) -> bool {
        cfg!(test)
            || self.aof_wants_feed()
            || (!self.repl.is_replica()
                && (self.repl.backlog.is_some() || !self.repl.replicas.is_empty()))
    }

    /// No database has after-command work pending (see [`Db::notes`]).
    /// Whether anyone reads which keys a command changed: WATCHes, blocked
    /// clients, client-side caching. Without them a touched key is no news.
    #[inline]
    pub fn someone_waits(&self) -> bool {
        !self.watched.is_empty() || !self.blocked_on.is_empty() || self.tracking.active()
    }

    pub fn dbs_quiet(&self) -> bool {
        self.refresh_marks() == 0
    }

    /// The databases marked as having work, each looked at: the marks of
    /// those with none are cleared. The rest are returned.
    pub fn refresh_marks(&self) -> u64 {
        self.pending_notes().0
    }

    /// [`ServerState::refresh_marks`], with what the databases still marked
    /// hold: their notes (`Db::notes`) and their expired or created keys,
    /// each or'ed together (non-zero: some).
    #[inline]
    pub fn pending_notes(&self) -> (u64, usize, usize) {
        let marks = self.db_marks.get();
        if marks == 0 {
            debug_assert!(
                self.dbs.iter().all(|d| d.notes() == 0),
                "a database noted work without its mark"
            );
            return (0, 0, 0);
        }
        let (mut left, mut notes, mut new_keys) = (0, 0, 0);
        noted::for_each_marked(marks, self.dbs.len(), |i| {
            let d = &self.dbs[i];
            let n = d.notes();
            if n != 0 {
                left |= noted::bit_of(i);
                notes |= n;
                new_keys |= d.expired.len() | d.created.len();
            }
        });
        self.db_marks.set(left);
        (left, notes, new_keys)
    }

    /// Count an error reply: INFO's `total_error_replies` and errorstats.
    pub fn count_error(&mut self, msg: &str) {
        self.stats.total_error_replies += 1;
        self.calls.error(msg);
    }

    /// Keys do not expire while clients are paused (reads still see them
    /// as gone); set each database's flag from the pause in force.
    pub fn set_expiry_paused(&mut self) {
        let paused = self.pause.is_paused();
        for db in &mut self.dbs {
            db.expire_paused = paused;
        }
    }

    /// Record `ms` for a latency-monitor event if it reached
    /// `latency-monitor-threshold`.
    /// The sample is dated when the event ended (`ended`, in ms).
    pub fn latency_sample(&mut self, event: &str, ms: u64, ended: Millis) {
        let threshold = self.config.get_i64(Key::LATENCY_MONITOR_THRESHOLD);
        self.latency
            .add_if_needed(threshold, event, ms, ended / 1000);
    }

    /// Keep the default user's password in step with `requirepass`.
    pub fn sync_acl(&mut self) {
        self.acl.sync_requirepass(self.config.get(Key::REQUIREPASS));
    }

    /// The host's monotonic clock in µs, 0 on a host without one.
    pub fn monotonic_us(&self) -> u64 {
        self.host.probe.as_ref().map_or(0, |p| p.monotonic_us())
    }

    pub fn emit(&mut self, ev: Event) {
        self.out.push_back(Output::Event(ev));
    }

    /// Stop as 7.0 does on a failed assertion or a panic.
    pub fn crash(&mut self, failure: &crate::keyspace::corrupt::Failure) {
        let exit = self.config.get_bool(config::Key::USE_EXIT_ON_PANIC);
        self.emit(Event::Crash {
            report: Some(crate::node::CrashReport {
                lines: failure.lines(),
                exit,
            }),
        });
    }

    /// What 7.0 does if `cmd` runs now on a key holding a corrupt payload
    /// (none: the command runs as usual): stops where it reads the
    /// contents, or answers a count its header keeps (HLEN, LLEN, ZCARD,
    /// XLEN).
    pub fn corrupt_read(
        &self,
        db: usize,
        cmd: &CommandDef,
        argv: &[Bytes],
    ) -> Option<crate::keyspace::corrupt::Access> {
        if !self.corrupt_kept {
            return None;
        }
        let db = self.dbs.get(db)?;
        cmd.keys_in(argv).into_iter().find_map(|i| {
            let obj = db.keys().get(&argv[i][..])?;
            match &obj.value {
                crate::keyspace::Value::Corrupt(c) if c.read_by(cmd.name, cmd.group) => {
                    Some(c.access(cmd.name))
                }
                _ => None,
            }
        })
    }

    /// Ask the host to open a connection; returns its id.
    pub fn connect(&mut self, addr: Addr) -> ConnId {
        self.next_outbound += 1;
        let conn = ConnId(OUTBOUND_BIT | self.next_outbound);
        let source = Some(self.config.get(Key::BIND_SOURCE_ADDR))
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        self.out.push_back(Output::Connect { conn, addr, source });
        conn
    }

    pub fn uptime_secs(&self) -> u64 {
        self.now.saturating_sub(self.start_time) / 1000
    }

    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(|d| d.len()).sum()
    }
}

pub struct Server {
    pub st: ServerState,
    pub clients: ClientTable,
}

/// Buckets a cron round's active rehashing moves (7.0 spends a
/// millisecond there: the node has no clock for that).
const ACTIVE_REHASH_BUCKETS: usize = 10_000;

/// The most input handled before running what is complete (Redis reads
/// PROTO_IOBUF_LEN at a time, more once a client's buffer has grown).
const READ_PIECE: usize = 64 * 1024;

/// How often the cron runs at most (Redis's `hz` 10 → every 100 ms).
const CRON_MS: Millis = 100;

impl Server {
    /// A server with this configuration; `seed` feeds its run id and randomness.
    pub fn new(config: Config, now: Millis, seed: u64) -> Server {
        // The config loader has checked the renames: an error cannot come.
        let table = crate::commands::rename::server_table(&config.renames)
            .unwrap_or_else(|_| command_table());
        Server::with_table(config, now, seed, table)
    }

    /// A server that dispatches with `table` (e.g. the sentinel's command table).
    pub fn with_table(
        config: Config,
        now: Millis,
        seed: u64,
        table: &'static CommandTable,
    ) -> Server {
        let ndb = config.get_i64(Key::DATABASES).max(1) as usize;
        let mut rng = Rng::new(seed);
        let run_id = rng.hex_id();
        let replid = rng.hex_id();
        let replicaof = config.get(Key::REPLICAOF).to_string();
        let encoding_limits = config.encoding_limits();
        let db_marks = Rc::new(Cell::new(0));
        let dbs = (0..ndb)
            .map(|i| {
                let mut db = Db::default();
                db.place(crate::keyspace::noted::NoteMark::new(db_marks.clone(), i));
                db
            })
            .collect();
        let mut server = Server {
            st: ServerState {
                config,
                dbs,
                db_marks,
                access_prepared: None,
                dirty: 0,
                stats: Stats::default(),
                run_id,
                start_time: now,
                rng,
                channels: BTreeMap::new(),
                patterns: BTreeMap::new(),
                shard_channels: BTreeMap::new(),
                watched: BTreeMap::new(),
                blocked_on: BTreeMap::new(),
                next_client_id: 1,
                pending: pending::PendingConns::default(),
                reply_pool: Default::default(),
                out: VecDeque::new(),
                repl_feed: Vec::new(),
                lastsave: now / 1000,
                now,
                expire_cursor: vec![0; ndb],
                next_cron: now,
                shutting_down: false,
                shutdown: Default::default(),
                next_outbound: 0,
                repl: ReplState::new(replid, now),
                repl_actions: Vec::new(),
                master_raw: Default::default(),
                block_pending: false,
                unblocked: Vec::new(),
                monitors: BTreeSet::new(),
                bgsave_job: None,
                persist: Default::default(),
                forks: Default::default(),
                aof: Default::default(),
                #[cfg(test)]
                propagated: Vec::new(),
                paused_until: 0,
                pause_cron: false,
                skip_checksum_validation: false,
                corrupt_kept: false,
                encoding_limits,
                instantaneous: Default::default(),
                notify_flags: 0,
                notes: Vec::new(),
                info_sections: info::Sections::default(),
                sentinel: None,
                calls: Default::default(),
                slowlog: Default::default(),
                latency: Default::default(),
                pause: Default::default(),
                reply_buffers: Default::default(),
                client_peaks: Default::default(),
                client_ids: BTreeMap::new(),
                current_client: None,
                migrations: crate::vecmap::VecMap::new(),
                migrate_sockets: crate::vecmap::VecMap::new(),
                tracking: Default::default(),
                host: HostFacts::default(),
                checking: None,
                script_caller: None,
                loading: false,
                async_loading: false,
                load_progress: Default::default(),
                load_job: None,
                busy: None,
                busy_deferred: Vec::new(),
                last_load_keys: (0, 0),
                eviction: Default::default(),
                mem_peak: Default::default(),
                // ACL rules name commands by their own names (7.0's orig_commands).
                acl: crate::acl::Acl::new(if table.is_renamed() {
                    command_table()
                } else {
                    table
                }),
                scripting: Default::default(),
                table,
                lazyfree: Default::default(),
            },
            clients: ClientTable::new(),
        };
        server.st.refresh_notify_flags();
        // `requirepass` first, then the `user` lines, which win (as in 7.0,
        // where the users load after the config file).
        server.st.sync_acl();
        let users = server.st.config.users.clone();
        if !users.is_empty() {
            let all = server.st.config.get(Key::ACL_PUBSUB_DEFAULT) == "allchannels";
            match server.st.acl.load_configured(&users, all) {
                Ok(disabled) => {
                    for name in disabled {
                        server.st.log(LogLevel::Notice, format!("The user '{name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error."));
                    }
                }
                Err(e) => server.st.log(LogLevel::Warning, e),
            }
        }
        let mut parts = replicaof.split_whitespace();
        if let (Some(h), Some(p)) = (
            parts.next(),
            parts.next().and_then(|p| p.parse::<u16>().ok()),
        ) {
            server.repl_set_master(Addr::new(h, p), None);
        }
        server
    }

    /// The users of the `aclfile` at startup (its contents from the host):
    /// Err with 7.0's error text if the file has errors.
    pub fn load_acl_file(&mut self, text: &str) -> Result<(), String> {
        let path = self.st.config.get(Key::ACLFILE).to_string();
        let all = self.st.config.get(Key::ACL_PUBSUB_DEFAULT) == "allchannels";
        let users = crate::acl::file::parse(&self.st.acl, &path, text, all)?;
        self.st.acl.users = users;
        Ok(())
    }

    fn accept(&mut self, conn: ConnId, peer: Addr, local: Addr) {
        let st = &mut self.st;
        st.stats.total_connections_received += 1;
        let maxclients = st.config.get_i64(Key::MAXCLIENTS) as usize;
        if self.clients.len() >= maxclients {
            st.stats.rejected_connections += 1;
            st.out.push_back(Output::Send {
                conn,
                bytes: b"-ERR max number of clients reached\r\n".to_vec(),
            });
            st.out.push_back(Output::Close { conn });
            return;
        }
        st.sync_acl();
        // 7.0: protected unless the default user has a password, whatever
        // `bind` says.
        if st.config.get_bool(Key::PROTECTED_MODE)
            && st.acl.default_user().nopass
            && !is_loopback(&peer.host)
            && !peer.is_unix_socket()
        {
            st.out.push_back(Output::Send {
                conn,
                bytes: PROTECTED_MODE_MSG.as_bytes().to_vec(),
            });
            st.out.push_back(Output::Close { conn });
            return;
        }
        // An out-of-band question takes no client id (ids show in log lines).
        let id = if conn == INSPECT_CONN {
            0
        } else {
            st.next_client_id += 1;
            st.next_client_id - 1
        };
        // Boxed: clients move in and out of the map around every command,
        // and a pointer moves cheaper than the whole struct.
        let mut c = Box::new(Client::new(id, conn, peer, local, st.now));
        c.authenticated = !st.acl.default_requires_auth();
        if id != 0 {
            st.client_ids.insert(id, conn);
        }
        self.clients.insert(conn, c);
    }

    pub(crate) fn data(&mut self, conn: ConnId, bytes: &[u8]) {
        let Some(mut c) = self.clients.take(&conn) else {
            return;
        };
        if c.kind == ClientKind::Master {
            self.st.stats.net_repl_input_bytes += bytes.len() as u64;
        } else {
            self.st.stats.net_input_bytes += bytes.len() as u64;
        }
        self.st.stats.total_reads_processed += 1;
        if c.kind == ClientKind::Master {
            self.st.master_raw.extend(bytes);
            if let Some(l) = self.st.repl.link.as_mut() {
                l.last_io = self.st.now;
            }
        }
        c.last_interaction = self.st.now;
        // Redis reads a piece at a time and runs what is complete before the
        // next read: the query buffer limit applies to what is left over,
        // not to a whole burst of pipelined requests. Our master has no limit
        // (and its raw stream is accounted against its whole query buffer).
        let piece = if c.kind == ClientKind::Master {
            bytes.len().max(1)
        } else {
            READ_PIECE
        };
        // Whether the last request run went through its after-command work.
        let mut settled = false;
        for piece in bytes.chunks(piece) {
            let master = c.kind == ClientKind::Master;
            c.query_size.read(c.query.len(), piece.len(), master);
            c.query.extend_from_slice(piece);
            if c.kind != ClientKind::Master
                && c.query.len() as i64 > self.st.config.get_i64(Key::CLIENT_QUERY_BUFFER_LIMIT)
            {
                self.close_over_query_limit(conn, c);
                return;
            }
            if let Some(s) = self.process_input(&mut c) {
                settled = s;
            }
            c.query_size.big_arg(c.parser.pending_big_arg());
            if c.close_after_reply || c.close_asap {
                break;
            }
        }
        if bytes.is_empty() {
            self.serve(conn, c);
        } else {
            // Its input has just been run as far as it can go.
            self.put_back(conn, c, settled);
        }
    }

    /// client-query-buffer-limit: the client is closed without a reply.
    fn close_over_query_limit(&mut self, conn: ConnId, c: Box<Client>) {
        let info = commands::client::client_line(&c, self.st.now, None, self.st.unsent(conn));
        let head = &c.query[..c.query.len().min(64)];
        self.st.log(
            LogLevel::Warning,
            format!(
                "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
                info.trim_end(),
                crate::resp::repr(head)
            ),
        );
        self.clients.insert(conn, c);
        self.st.out.push_back(Output::Close { conn });
        self.free_client(conn);
    }

    /// Run the client's complete requests, put it back among the clients
    /// and queue what it has to send.
    fn serve(&mut self, conn: ConnId, mut c: Box<Client>) {
        let settled = self.process_input(&mut c).unwrap_or(false);
        self.put_back(conn, c, settled);
    }

    /// Put a served client back among the clients and queue what it has to
    /// send. `settled`: its last request's after-command work ran, and
    /// nothing changed since (once per read, not once more per read).
    fn put_back(&mut self, conn: ConnId, c: Box<Client>, settled: bool) {
        let flush = !c.reply.is_empty() || c.close_after_reply || c.close_asap;
        // A client holding a big argument on its way counts for
        // maxmemory-clients now (7.0 counts the client being read too),
        // not only at the next command or cron.
        let big = c.parser.pending_big_arg().is_some();
        self.clients.put(conn, c);
        if flush {
            self.st.pending.insert(conn);
        }
        let evict =
            big && self.st.config.get_i64(Key::MAXMEMORY_CLIENTS) != 0 && self.st.busy.is_none();
        if evict {
            self.evict_clients();
        }
        if !settled || evict {
            self.after_command();
        }
    }

    /// Parse and run every complete request in the client's buffer. `None`
    /// when none ran, else whether the last one went through
    /// [`Server::after_command`] (a postponed one did not).
    pub(crate) fn process_input(&mut self, c: &mut Client) -> Option<bool> {
        self.st.sync_acl();
        let mut settled = None;
        loop {
            if c.close_after_reply
                || c.close_asap
                || c.blocked.is_some()
                || c.postponed.is_some()
                || c.migrating.is_some()
                || self.st.shutting_down
                || self.st.now < self.st.paused_until
            {
                return settled;
            }
            let from = Sender {
                auth_required: commands::connection::auth_required(&self.st, c),
                master: c.kind == ClientKind::Master,
                max_bulk_len: self.st.config.get_i64(Key::PROTO_MAX_BULK_LEN),
            };
            match c.parser.next(&mut c.query, from) {
                Ok(Some(Request::Command(argv))) => settled = Some(self.run_request(c, argv)),
                Ok(Some(Request::Newline)) => {
                    // A replica loading its snapshot pings with newlines.
                    if c.kind == ClientKind::Replica {
                        if let Some(info) = self.st.repl.replicas.get_mut(&c.conn) {
                            info.ack_time = self.st.now;
                        }
                    }
                }
                Ok(None) => return settled,
                Err(e) => {
                    self.protocol_error(c, e);
                    return settled;
                }
            }
        }
    }

    /// One parsed request: run it, settle its replies, and serve whoever it
    /// woke before the next. False when it was postponed (nothing settled).
    fn run_request(&mut self, c: &mut Client, mut argv: Vec<Bytes>) -> bool {
        let reply_before = c.reply.len();
        let outer = self.st.current_client.replace(c.id);
        let client_cmd = argv[0].eq_ignore_ascii_case(b"client");
        let was_replica = c.kind == ClientKind::Replica;
        // Our master's command failing here is logged (afterErrorReply).
        let from_master = (c.kind == ClientKind::Master).then(|| argv[0].clone());
        self.execute(c, &mut argv);
        // The vector (emptied, unless the command kept it) holds the next request's arguments.
        c.parser.recycle(argv);
        if was_replica && c.reply.len() > reply_before {
            self.repl_replica_replied(c, reply_before);
        }
        if let Some(name) = from_master {
            if c.reply.buf.get(reply_before) == Some(&b'-') {
                let known = self.st.table.get(&name).is_some();
                self.repl_error_to_master(c, reply_before, known);
            }
        }
        if c.postponed.is_some() {
            self.st.current_client = outer;
            return false;
        }
        // CLIENT CACHING applies to the next command (or transaction) only.
        if c.multi.is_none() && !client_cmd {
            if let Some(t) = c.tracking.as_mut() {
                t.caching = false;
            }
        }
        c.settle_replies(reply_before);
        c.command_done();
        // The reply may have pushed it over its output buffer limit (7.0
        // checks as the reply list grows): then nothing more of its input runs.
        self.st.obuf_limit_reached(c, true);
        // `c` is not in `self.clients`: check its own WATCHes here.
        commands::transactions::touch_own_watches(&self.st, c);
        if c.kind == ClientKind::Master {
            self.applied_from_master(c);
        }
        // Serve clients woken by this command before the next one runs.
        self.after_command();
        self.st.current_client = outer;
        if !self.st.tracking.outbox.is_empty() {
            self.deliver_tracking(Some(c));
        }
        true
    }

    /// Write the queued invalidations (sendTrackingMessage). `current` is
    /// the client whose command just ran (out of `self.clients`); one for a
    /// client out of reach now stays queued for the next round.
    pub(crate) fn deliver_tracking(&mut self, mut current: Option<&mut Client>) {
        use tracking::Origin;
        let pending = std::mem::take(&mut self.st.tracking.outbox);
        let mut kept = Vec::new();
        for p in pending {
            let Some(&conn) = self.st.client_ids.get(&p.id) else {
                continue;
            };
            let t = match current.as_deref_mut() {
                Some(cur) if cur.conn == conn => Some(cur),
                _ => self.clients.get_mut(&conn).map(|c| &mut **c),
            };
            let Some(t) = t else {
                kept.push(p);
                continue;
            };
            let Some(opts) = t.tracking.as_mut() else {
                continue;
            };
            if let Origin::Table { by } = p.origin {
                // Keys read before switching to BCAST are not sent; NOLOOP
                // clients do not hear of their own changes.
                if opts.bcast || (opts.noloop && by == Some(p.id)) {
                    continue;
                }
            }
            let resp = t.reply.resp;
            if opts.redirect == 0 {
                if resp >= 3 {
                    tracking::write_invalidation(t.push_out(), &p.what, false, resp);
                    self.st.pending.insert(conn);
                }
                continue;
            }
            let redirect = opts.redirect;
            let Some(&rconn) = self.st.client_ids.get(&redirect) else {
                opts.broken_redirect = true;
                if resp >= 3 {
                    tracking::write_redirect_broken(t.push_out(), redirect);
                    self.st.pending.insert(conn);
                }
                continue;
            };
            let r = match current.as_deref_mut() {
                Some(cur) if cur.conn == rconn => Some(cur),
                _ => self.clients.get_mut(&rconn).map(|c| &mut **c),
            };
            let Some(r) = r else {
                kept.push(p);
                continue;
            };
            if r.reply.resp >= 3 {
                tracking::write_invalidation(r.push_out(), &p.what, false, resp);
            } else if r.in_pubsub() {
                tracking::write_invalidation(r.push_out(), &p.what, true, resp);
            } else {
                continue;
            }
            self.st.pending.insert(rconn);
        }
        self.st.tracking.outbox.extend(kept);
    }

    /// How many keys each database has noted as touched so far.
    fn touched_marks(&self) -> Vec<usize> {
        self.st.dbs.iter().map(|d| d.touched.len()).collect()
    }

    /// Invalidate, for tracking, the keys touched since `marks`, changed by
    /// client `by` (None: expiry, eviction).
    fn tracking_invalidate_touched(&mut self, marks: &[usize], by: Option<u64>) {
        let st = &mut self.st;
        for (db, &from) in st.dbs.iter().zip(marks) {
            for k in db.touched.iter().skip(from) {
                st.tracking.invalidate(k, by, true);
            }
        }
    }

    /// The BCAST round: each prefix's changed keys to its clients, then
    /// every queued invalidation that can be written.
    fn tracking_round(&mut self) {
        // Keys the cron expired (their invalidation was queued with the DEL).
        if self
            .st
            .dbs
            .iter()
            .any(|d| !d.expired.is_empty() || !d.touched.is_empty())
        {
            self.after_command();
        }
        if self.st.tracking.has_broadcast() {
            let clients = &self.clients;
            let ids = &self.st.client_ids;
            let noloop = |id: u64| {
                ids.get(&id)
                    .and_then(|conn| clients.get(conn))
                    .and_then(|c| c.tracking.as_ref())
                    .is_some_and(|t| t.noloop)
            };
            self.st.tracking.broadcast(noloop);
        }
        if !self.st.tracking.outbox.is_empty() {
            self.deliver_tracking(None);
        }
    }

    /// A pause ended or became less restrictive: postponed clients run their
    /// command again from the start (it may be postponed anew), then the
    /// rest of their input.
    fn rerun_postponed(&mut self) {
        if !self.st.pause.lifted {
            return;
        }
        self.st.pause.lifted = false;
        self.st.set_expiry_paused();
        for conn in std::mem::take(&mut self.st.pause.postponed) {
            let Some(mut c) = self.clients.take(&conn) else {
                continue;
            };
            if let Some(argv) = c.postponed.take() {
                self.run_request(&mut c, argv);
                self.process_input(&mut c);
            }
            self.clients.put(conn, c);
            self.st.pending.insert(conn);
        }
    }

    /// setProtocolError: log, answer (not our master), close after the reply.
    fn protocol_error(&mut self, c: &mut Client, e: ProtocolError) {
        let master = c.kind == ClientKind::Master;
        if master {
            self.st.log(
                LogLevel::Warning,
                "WARNING: Receiving inline protocol from master, master stream corruption? Closing the master connection and discarding the cached master.",
            );
        }
        let level = if master {
            LogLevel::Warning
        } else {
            LogLevel::Verbose
        };
        let info = commands::client::client_line(c, self.st.now, None, self.st.unsent(c.conn));
        let dump = crate::resp::query_dump(&c.query);
        self.st.log(
            level,
            format!(
                "Protocol error ({}) from client: {}. {}",
                e.reason,
                info.trim_end(),
                dump
            ),
        );
        if let Some(reply) = e.reply {
            c.reply.error_bytes(&reply);
            self.st.count_error(&String::from_utf8_lossy(&reply));
        }
        c.close_after_reply = true;
        c.query.clear();
    }

    /// processCommand: the checks Redis makes before running a command.
    /// A command that keeps its arguments (queued in MULTI, postponed)
    /// takes them out of `argv`.
    pub fn execute(&mut self, c: &mut Client, argv: &mut Vec<Bytes>) {
        let table = self.st.table;
        self.st.checking = None;
        let Some(cmd) = c.last_def.lookup(table, &argv[0]) else {
            self.reject_unknown(c, argv);
            return;
        };
        let sub = (!cmd.subcommands.is_empty()).then(|| argv.get(1).cloned());
        self.st.checking = Some((cmd, sub.flatten()));
        if (cmd.arity > 0 && argv.len() != cmd.arity as usize)
            || (argv.len() < cmd.arity.unsigned_abs() as usize)
        {
            self.reject(c, &commands::wrong_arity(cmd.name).0);
            return;
        }
        // A container's subcommand has its own flags (FUNCTION LOAD writes);
        // a script declares its own (EVAL with a shebang, FCALL).
        let mut f = commands::eval::command_flags(&self.st, cmd, argv);
        // EXEC writes (or may grow memory) if a command it holds does, and
        // is refused on a stale replica if one of them would be
        // (processCommand's mstate.cmd_flags / cmd_inv_flags).
        if let Some(m) = c.multi.as_ref().filter(|_| cmd.name == "exec") {
            for q in &m.queue {
                if let Some(qc) = table.get(&q[0]) {
                    let qf = commands::eval::command_flags(&self.st, qc, q);
                    f |= qf & (flags::WRITE | flags::DENYOOM);
                    if qf & flags::STALE == 0 {
                        f &= !flags::STALE;
                    }
                }
            }
        }
        if commands::connection::auth_required(&self.st, c) && !cmd.has(flags::NO_AUTH) {
            self.reject(c, "NOAUTH Authentication required.");
            return;
        }
        let queues = !matches!(
            cmd.name,
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        );
        if c.multi.is_some() && queues && cmd.has(flags::NO_MULTI) {
            self.reject(c, "ERR Command not allowed inside a transaction");
            return;
        }
        if c.kind != ClientKind::Master {
            if let Err(denial) = self.st.acl.check(&c.user, cmd, argv) {
                self.reject_denied(c, denial, cmd, argv);
                return;
            }
        }
        // Clients over `maxmemory-clients` go first; then performEvictions
        // before every command when a limit is set: a command that may grow
        // memory (or any queued in MULTI) is refused if nothing more can go.
        // Not while a script is busy: its propagation must not mix with DELs.
        let busy = self.st.busy.is_some();
        if !busy {
            self.evict_clients();
        }
        if c.kind != ClientKind::Master
            && self.st.config.maxmemory() != 0
            && !busy
            && self.refused_for_memory(c, cmd, f)
        {
            return;
        }
        if self.st.tracking.clients > 0 {
            self.limit_tracking_table(c);
        }
        // writeCommandsDeniedByDiskError: PING is refused too, so that
        // monitors see an instance that can't persist as failing.
        if (f & flags::WRITE != 0 || cmd.name == "ping") && c.kind != ClientKind::Master {
            if let Some(err) = self.st.disk_error() {
                let msg = err.command_error();
                self.reject(c, &msg);
                return;
            }
        }
        if f & flags::WRITE != 0 && c.kind != ClientKind::Master {
            if self.st.repl.is_replica() && self.st.config.get_bool(Key::REPLICA_READ_ONLY) {
                self.reject(c, "READONLY You can't write against a read only replica.");
                return;
            }
            let min = self.st.config.min_replicas_to_write();
            if min > 0 && !self.st.repl.is_replica() {
                let lag = self.st.config.get_i64(Key::MIN_REPLICAS_MAX_LAG).max(0) as u64;
                if (self.st.repl.good_replicas(self.st.now, lag) as i64) < min {
                    self.reject(c, "NOREPLICAS Not enough good replicas to write.");
                    return;
                }
            }
        }
        if self.st.repl.is_replica()
            && f & flags::STALE == 0
            && c.kind != ClientKind::Master
            && !self.st.config.get_bool(Key::REPLICA_SERVE_STALE_DATA)
            && self
                .st
                .repl
                .link
                .as_ref()
                .is_some_and(|l| l.state != crate::replication::LinkState::Connected)
        {
            self.reject(
                c,
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            );
            return;
        }
        // A replica may not touch the keyspace (it is exempt from client
        // pauses, which this would let it get around).
        if c.kind == ClientKind::Replica
            && (f & (flags::WRITE | flags::READONLY) != 0 || self.may_replicate(c, cmd, argv))
        {
            self.reject_replica_keyspace(c, cmd, argv);
            return;
        }
        // (The loader's own client runs its commands as a master's.)
        if self.st.loading
            && !self.st.async_loading
            && f & flags::LOADING == 0
            && c.kind != ClientKind::Master
        {
            self.reject(c, "LOADING Redis is loading the dataset in memory");
            return;
        }
        // A replica loading beside its old data serves it, but not what
        // would change or depend on the link being replaced.
        if self.st.async_loading && f & flags::NO_ASYNC_LOADING != 0 {
            self.reject(c, "LOADING Redis is loading the dataset in memory");
            return;
        }
        if let Some(b) = &self.st.busy {
            if f & flags::ALLOW_BUSY == 0 {
                let msg = busy::busy_error(b.eval);
                self.reject(c, msg);
                return;
            }
        }
        if c.kind != ClientKind::Replica
            && self.st.pause.is_paused()
            && self.st.pause.holds(self.may_replicate(c, cmd, argv))
        {
            // blockClient(BLOCKED_POSTPONE): the whole command waits.
            self.st.checking = None;
            c.postponed = Some(std::mem::take(argv));
            self.st.pause.postponed.push(c.conn);
            return;
        }
        if let Some(multi) = c.multi.as_mut().filter(|_| queues) {
            multi.queue.push(std::mem::take(argv));
            c.reply.simple("QUEUED");
            return;
        }
        if c.reply.resp == 2
            && c.in_pubsub()
            && !matches!(
                cmd.name,
                "ping"
                    | "subscribe"
                    | "ssubscribe"
                    | "unsubscribe"
                    | "sunsubscribe"
                    | "psubscribe"
                    | "punsubscribe"
                    | "quit"
                    | "reset"
            )
        {
            self.reject_in_pubsub(c, cmd);
            return;
        }
        self.st.checking = None;
        if cmd.name == "exec" {
            self.run_exec(c, argv);
            return;
        }
        self.call(c, cmd, argv);
    }

    /// The unknown-command error (processCommand's): the name and the
    /// first arguments, each cut to 128 bytes.
    #[cold]
    #[inline(never)]
    fn reject_unknown(&mut self, c: &mut Client, argv: &[Bytes]) {
        let mut msg = format!(
            "ERR unknown command '{}', with args beginning with: ",
            trunc(&argv[0], 128)
        );
        for a in argv.iter().skip(1) {
            if msg.len() >= 128 + 60 {
                break;
            }
            msg.push_str(&format!("'{}' ", trunc(a, 128)));
        }
        self.reject(c, &msg);
    }

    /// An ACL denial: logged (ACL LOG), then refused.
    #[cold]
    #[inline(never)]
    fn reject_denied(
        &mut self,
        c: &mut Client,
        denial: crate::acl::selector::Denial,
        cmd: &'static CommandDef,
        argv: &[Bytes],
    ) {
        let context = if c.multi.is_some() {
            crate::acl::log::Context::Multi
        } else {
            crate::acl::log::Context::Toplevel
        };
        let msg = crate::acl::denial_message(&self.st.acl, denial, cmd, argv);
        crate::acl::log::record_denial(&mut self.st, c, denial, context, cmd, argv);
        self.reject(c, &msg);
    }

    /// performEvictions before a command under `maxmemory`; true when the
    /// command was refused (it may grow memory, or is queued in MULTI).
    #[inline(never)]
    fn refused_for_memory(&mut self, c: &mut Client, cmd: &'static CommandDef, f: u32) -> bool {
        let marks = self.st.tracking.active().then(|| self.touched_marks());
        let out_of_memory = self.perform_evictions() == eviction::Evict::Fail;
        if let Some(marks) = marks {
            // Evicted keys' invalidations go out before the reply.
            self.tracking_invalidate_touched(&marks, None);
            self.deliver_tracking(Some(c));
        }
        let queued =
            c.multi.is_some() && !matches!(cmd.name, "exec" | "discard" | "quit" | "reset");
        if out_of_memory && (f & flags::DENYOOM != 0 || queued) {
            self.reject(c, "OOM command not allowed when used memory > 'maxmemory'.");
            return true;
        }
        false
    }

    /// `tracking-table-max-keys`: keys over it are invalidated before the
    /// command runs.
    #[inline(never)]
    fn limit_tracking_table(&mut self, c: &mut Client) {
        let max = self.st.config.get_i64(Key::TRACKING_TABLE_MAX_KEYS).max(0) as u64;
        self.st.tracking.limit_keys(max);
        if !self.st.tracking.outbox.is_empty() {
            self.deliver_tracking(Some(c));
        }
    }

    #[cold]
    #[inline(never)]
    fn reject_replica_keyspace(
        &mut self,
        c: &mut Client,
        cmd: &'static CommandDef,
        argv: &[Bytes],
    ) {
        c.last_cmd = commands::container::full_name(cmd, argv);
        self.reject(c, "ERR Replica can't interact with the keyspace");
        crate::replication::master::log_error_to_replica(
            &mut self.st,
            c,
            "Replica can't interact with the keyspace",
        );
    }

    #[cold]
    #[inline(never)]
    fn reject_in_pubsub(&mut self, c: &mut Client, cmd: &'static CommandDef) {
        self.reject(
            c,
            &format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                cmd.name
            ),
        );
    }

    /// EXEC runs the queued commands through `call`, so it needs the server.
    #[inline(never)]
    fn run_exec(&mut self, c: &mut Client, argv: &[Bytes]) {
        let (started, reply_before) = (self.st.monotonic_us(), c.reply.len());
        commands::transactions::exec(self, c);
        // EXEC is timed and counted, but not slow-logged: its commands are.
        let failed = c.reply.buf.get(reply_before) == Some(&b'-');
        let usec = self.st.monotonic_us().saturating_sub(started);
        let track = self.st.config.get_bool(Key::LATENCY_TRACKING);
        self.st.calls.ran("exec", usec, failed, true, track);
        // Monitors see EXEC after the commands it ran, as 7.0's call() feeds it.
        if !self.st.monitors.is_empty() {
            self.feed_monitors(c, argv);
        }
        if !self.st.repl_feed.is_empty() {
            self.repl_feed_replicas();
            c.woff = self.st.repl.offset;
        }
    }

    /// A write or a command that may replicate (PUBLISH, PFCOUNT...), or an
    /// EXEC of a transaction holding one: what CLIENT PAUSE WRITE holds.
    fn may_replicate(&self, c: &Client, cmd: &'static CommandDef, argv: &[Bytes]) -> bool {
        // A script's own flags decide (a `no-writes` EVAL is a read).
        let replicating = |cmd: &CommandDef, argv: &[Bytes]| {
            commands::eval::command_flags(&self.st, cmd, argv)
                & (flags::WRITE | flags::MAY_REPLICATE)
                != 0
        };
        if replicating(cmd, argv) {
            return true;
        }
        match (&c.multi, cmd.name) {
            (Some(m), "exec") => m.queue.iter().any(|q| {
                self.st
                    .table
                    .get(&q[0])
                    .is_some_and(|qc| replicating(qc, q))
            }),
            _ => false,
        }
    }

    /// Reply with an error for a command that was refused before running.
    fn reject(&mut self, c: &mut Client, msg: &str) {
        // A refused EXEC ends its transaction (execCommandAbort).
        if matches!(self.st.checking, Some((cmd, _)) if cmd.name == "exec") {
            commands::transactions::discard_transaction(&mut self.st, c);
            let msg = format!(
                "EXECABORT Transaction discarded because of: {}",
                msg.strip_prefix('-').unwrap_or(msg)
            );
            self.st.checking = None;
            self.st.calls.rejected("exec");
            self.st.count_error(&msg);
            self.st.calls.error_mark = self.st.stats.total_error_replies;
            c.reply.error(&msg);
            return;
        }
        if let Some(m) = c.multi.as_mut() {
            m.aborted = true;
        }
        if let Some((cmd, sub)) = self.st.checking.take() {
            let argv: Vec<Bytes> = std::iter::once(Bytes::from_static(cmd.name.as_bytes()))
                .chain(sub)
                .collect();
            self.st
                .calls
                .rejected(&crate::commands::container::full_name(cmd, &argv));
        }
        self.st.count_error(msg);
        self.st.calls.error_mark = self.st.stats.total_error_replies;
        c.reply.error(msg);
    }

    /// Run a command: the handler, then propagation and bookkeeping.
    pub fn call(&mut self, c: &mut Client, cmd: &'static CommandDef, argv: &[Bytes]) {
        self.call_counted(c, cmd, argv, true);
    }

    /// [`Server::call`]; `first` is false when a blocked command runs again
    /// (its call was counted when it blocked).
    fn call_counted(
        &mut self,
        c: &mut Client,
        cmd: &'static CommandDef,
        argv: &[Bytes],
        first: bool,
    ) {
        self.st.checking = None;
        let started = self.st.monotonic_us();
        let errors_before = self.st.stats.total_error_replies;
        let paused_before = self.st.paused_until;
        let dirty_before = self.st.dirty;
        let reply_before = c.reply.len();
        let db_before = c.db;
        let now = self.st.now;
        self.prepare_access(eviction::command_touches(cmd.name));
        // A writable replica's own client: expired keys are gone for its
        // writes, and the TTLs it sets are the replica's to expire.
        let replica_write =
            cmd.has(flags::WRITE) && c.kind != ClientKind::Master && self.st.repl.is_replica();
        if replica_write {
            for &i in &cmd.key_indices(argv.len()) {
                self.st.dbs[db_before].expire_for_write(&argv[i], now);
            }
        }
        // A corrupt payload kept with `sanitize-dump-payload no` stops the
        // server when a command reads it, as 7.0's assertions do.
        match self.st.corrupt_read(db_before, cmd, argv) {
            Some(Access::Stop(failure)) => {
                self.st.crash(&failure);
                return;
            }
            Some(Access::Count(n)) => {
                c.reply.int(n);
                return;
            }
            None => {}
        }
        let touched_marks = self.st.tracking.active().then(|| self.touched_marks());
        #[cfg(not(target_arch = "wasm32"))]
        let script = commands::eval::runs_scripts(cmd.name);
        #[cfg(target_arch = "wasm32")]
        let script = false;
        let (propagate, signal_keys) = if script {
            // EVAL feeds monitors first, so a script's commands follow it.
            if first && !self.st.monitors.is_empty() {
                self.feed_monitors(c, argv);
            }
            #[cfg(not(target_arch = "wasm32"))]
            commands::eval::run(self, c, cmd.name, argv);
            // What the script ran is propagated, not the script; the keys
            // its commands touched were signalled as they ran.
            (Propagate::Nothing, true)
        } else {
            let mut ctx = Ctx {
                srv: &mut self.st,
                clients: &mut self.clients,
                client: c,
                now,
                propagate: Propagate::AsIs,
                signal_keys: true,
                cmd,
            };
            let res = (cmd.handler)(&mut ctx, argv);
            if let Err(e) = res {
                ctx.client.reply.error(&e.0);
                ctx.srv.count_error(&e.0);
            }
            (std::mem::take(&mut ctx.propagate), ctx.signal_keys)
        };
        self.st.stats.total_commands_processed += 1;
        if !cmd.subcommands.is_empty() {
            c.last_cmd = crate::commands::container::full_name(cmd, argv);
        } else if c.last_cmd != cmd.name {
            c.last_cmd.clear();
            c.last_cmd.push_str(cmd.name);
        }
        if replica_write {
            for &i in &cmd.key_indices(argv.len()) {
                self.st.dbs[c.db].remember_replica_ttl(&argv[i]);
            }
        }
        let total_errors = self.st.stats.total_error_replies;
        let failed = total_errors > errors_before.max(self.st.calls.error_mark)
            || std::mem::take(&mut self.st.calls.force_failed);
        self.st.calls.error_mark = total_errors;
        self.account_call(c, cmd, argv, started, paused_before, failed, first);
        if first && !self.st.monitors.is_empty() {
            let f = crate::commands::container::effective_flags(cmd, argv);
            if f & (flags::SKIP_MONITOR | flags::ADMIN) == 0 {
                self.feed_monitors(c, argv);
            }
        }
        // Keys the command found expired were deleted before it ran: their
        // DELs (and `expired` events) go first.
        // The databases marked as having notes decide whether the
        // per-database after-command work below has anything to do.
        // Only expired or created keys and notes make work for the two
        // calls below: a write that resized a key in place has none.
        let (_, pending, new_keys) = self.st.pending_notes();
        let quiet = pending == 0;
        let events = !self.st.notes.is_empty() || new_keys != 0;
        if events {
            let notes = std::mem::take(&mut self.st.notes);
            self.feed_expired_dels();
            self.st.notes.extend(notes);
            self.publish_notifications(Some(c));
        }
        let changed = self.st.dirty > dirty_before;
        // Only WATCHers and blocked clients care which keys changed.
        if changed && self.st.someone_waits() && signal_keys && cmd.has(flags::WRITE) {
            for &i in &cmd.key_indices(argv.len()) {
                self.st.dbs[db_before].note_touched(argv[i].clone());
            }
        }
        // signalModifiedKey's tracking half runs as the command ends, so a
        // key it changes and then reads (in a transaction) stays tracked.
        if let Some(marks) = touched_marks {
            let by = self.st.script_caller.unwrap_or(c.id);
            self.tracking_invalidate_touched(&marks, Some(by));
        }
        // The read-only script commands track only what their scripts read
        // (see `scripting::run`), as 7.0's call() leaves them out here.
        if c.tracking.is_some() && !matches!(cmd.name, "eval_ro" | "evalsha_ro" | "fcall_ro") {
            let f = crate::commands::container::effective_flags(cmd, argv);
            if f & flags::READONLY != 0 && f & flags::PUBSUB == 0 {
                let keys = cmd.keys_in(argv).into_iter().map(|i| argv[i].clone());
                self.st.tracking.remember(c, keys);
            }
        }
        match propagate {
            Propagate::AsIs if changed && self.st.propagation_wanted() => self
                .st
                .repl_feed
                .push(Propagated::all(db_before, argv.to_vec())),
            Propagate::Replace(cmds) => {
                for a in cmds {
                    self.st.repl_feed.push(Propagated::all(db_before, a));
                }
            }
            _ => {}
        }
        if !first {
            // A first call's replies are settled by `process_input`, with
            // the refusals and QUEUEDs that never reach here.
            c.settle_replies(reply_before);
        }
        if c.blocked.is_some() {
            self.st.block_pending = true;
        }
        // A script's commands leave the charges of what they changed in
        // place to the script's end (its caller's call settles them): a
        // key a script changes over and over is measured once.
        let settle =
            (!quiet || !self.st.repl_actions.is_empty()) && c.conn != crate::scripting::SCRIPT_CONN;
        if !self.st.repl_actions.is_empty() {
            self.apply_repl_actions();
        }
        if !self.st.shutdown.to_fail.is_empty() {
            self.fail_blocked_shutdowns();
        }
        if settle {
            // Most commands changed one database: only the marked ones are
            // looked at.
            let marks = self.st.db_marks.get();
            let dbs = &mut self.st.dbs;
            noted::for_each_marked(marks, dbs.len(), |i| dbs[i].settle_charges());
        }
        if std::mem::take(&mut self.st.aof.load_requested) {
            self.debug_loadaof(c);
        }
        // While a script is busy its writes so far wait to go out as one
        // transaction with the rest.
        if !c.in_exec && !self.st.repl_feed.is_empty() && self.st.busy.is_none() {
            self.repl_feed_replicas();
            c.woff = self.st.repl.offset;
        }
    }

    /// commandstats, latencystats and the slow log for a command that ran
    /// (Redis's `call` bookkeeping). A DEBUG SLEEP's pause counts as the
    /// command's time: Redis sleeps inside the command.
    #[allow(clippy::too_many_arguments)]
    fn account_call(
        &mut self,
        c: &Client,
        cmd: &'static CommandDef,
        argv: &[Bytes],
        started: u64,
        paused_before: Millis,
        failed: bool,
        first: bool,
    ) {
        let mut usec = self.st.monotonic_us().saturating_sub(started);
        let mut ended = self.st.now;
        if self.st.paused_until > paused_before {
            usec += self.st.paused_until.saturating_sub(self.st.now) * 1000;
            ended = ended.max(self.st.paused_until);
        }
        let blocked = c.blocked.is_some();
        let st = &mut self.st;
        let track = st.config.get_bool(Key::LATENCY_TRACKING) && !blocked;
        st.calls
            .ran_def(cmd, &c.last_cmd, usec, failed, first, track);
        if blocked {
            return;
        }
        let fast = crate::commands::container::effective_flags(cmd, argv) & flags::FAST != 0;
        let event = if fast { "fast-command" } else { "command" };
        st.latency_sample(event, usec / 1000, ended);
        let slower_than = st.config.get_i64(Key::SLOWLOG_LOG_SLOWER_THAN);
        let max_len = st.config.get_i64(Key::SLOWLOG_MAX_LEN).max(0) as usize;
        let caller = slowlog::Caller {
            peer: &c.addr,
            name: c.name.as_ref(),
            now_ms: st.now,
        };
        st.slowlog
            .push_if_needed(slower_than, max_len, argv, usec, caller);
    }

    /// REPLICAOF and friends, requested by the command that just ran.
    fn apply_repl_actions(&mut self) {
        if self.st.repl_actions.is_empty() {
            return;
        }
        for a in std::mem::take(&mut self.st.repl_actions) {
            match a {
                ReplAction::SetMaster(addr, who) => self.repl_set_master(addr, Some(who)),
                ReplAction::UnsetMaster(who) => self.repl_unset_master(who),
                ReplAction::RequestAcks => self.repl_request_acks(),
                ReplAction::DropReplica(conn) => self.kill_client(conn),
                ReplAction::AbortFailover => self.failover_abort("Failover manually aborted"),
            }
        }
    }

    /// A command from our master was applied: advance the offset and pass the
    /// exact bytes on to our own replicas and backlog (chained replication).
    fn applied_from_master(&mut self, c: &Client) {
        // Taken out while its bytes pass on (nothing there reads it).
        let mut raw = std::mem::take(&mut self.st.master_raw);
        raw.apply_all_but(c.query.len(), |bytes| {
            if let Some(l) = self.st.repl.link.as_mut() {
                l.stream_db = c.db;
            }
            self.repl_stream(bytes);
        });
        self.st.master_raw = raw;
    }

    /// disconnectAllBlockedClients: becoming a replica, blocked clients get
    /// an error and are closed (their command would act on a replica's data).
    pub(crate) fn disconnect_blocked_clients(&mut self) {
        let blocked: Vec<ConnId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.blocked.is_some())
            .map(|(k, _)| *k)
            .collect();
        for conn in blocked {
            let Some(mut c) = self.clients.take(&conn) else {
                continue;
            };
            if let Some(b) = c.blocked.take() {
                self.unregister_blocked(conn, &b);
            }
            let msg = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
            let from = c.reply.len();
            c.reply.error(msg);
            self.st.count_error(msg);
            c.settle_replies(from);
            c.close_after_reply = true;
            self.clients.put(conn, c);
            self.st.pending.insert(conn);
        }
    }

    /// Continue with a client's pipelined input after it was unblocked.
    pub(crate) fn resume_client(&mut self, c: &mut Client) {
        self.process_input(c);
    }

    /// After each command: expired keys become DELs for replicas, touched keys
    /// invalidate WATCHes and wake blocked clients.
    fn after_command(&mut self) {
        // A busy script's effects are half done: nothing is served off them
        // until it ends (the caller's own after_command does it then).
        if self.st.busy.is_some() {
            return;
        }
        if self.st.pause.lifted {
            self.rerun_postponed();
        }
        if self.st.unblocked.is_empty() && self.st.notes.is_empty() && self.st.dbs_quiet() {
            // Nothing expired, created, touched or made ready: no work below.
            return;
        }
        self.feed_expired_dels();
        self.publish_notifications(None);
        for conn in std::mem::take(&mut self.st.unblocked) {
            if let Some(mut c) = self.clients.take(&conn) {
                self.process_input(&mut c);
                self.clients.put(conn, c);
                self.st.pending.insert(conn);
            }
        }
        // Serving a blocked client can touch keys others wait on (BLMOVE's
        // destination, the popped list): repeat until nothing is left to serve.
        loop {
            let woken = self.collect_touched();
            if woken.is_empty() {
                break;
            }
            // A DEBUG SLEEP in the command (say inside EXEC) has passed by
            // the time 7.0 serves the blocked clients (it updates its
            // cached time first): keys that expired meanwhile are gone.
            let now = self.st.now;
            self.st.now = now.max(self.st.paused_until);
            for conn in woken {
                self.retry_blocked(conn);
            }
            self.st.now = now;
        }
    }

    /// Invalidate WATCHes on the touched keys; the blocked clients to wake, in order.
    fn collect_touched(&mut self) -> Vec<ConnId> {
        if self
            .st
            .dbs
            .iter()
            .all(|d| d.touched.is_empty() && d.ready.is_empty())
        {
            return Vec::new();
        }
        let mut woken: Vec<ConnId> = Vec::new();
        for dbi in 0..self.st.dbs.len() {
            if self.st.dbs[dbi].touched.is_empty() && self.st.dbs[dbi].ready.is_empty() {
                continue;
            }
            // Keys only made ready wake blocked clients, WATCHes stay.
            for k in std::mem::take(&mut self.st.dbs[dbi].ready) {
                if let Some(q) = self.st.blocked_on.get(&(dbi, k)) {
                    for b in q {
                        if !woken.contains(b) {
                            woken.push(*b);
                        }
                    }
                }
            }
            let touched = std::mem::take(&mut self.st.dbs[dbi].touched);
            for k in touched {
                let key = (dbi, k);
                if let Some(ws) = self.st.watched.get(&key) {
                    for w in ws {
                        if let Some(wc) = self.clients.get_mut(w) {
                            wc.dirty_cas = true;
                        }
                    }
                }
                if let Some(q) = self.st.blocked_on.get(&key) {
                    for b in q {
                        if !woken.contains(b) {
                            woken.push(*b);
                        }
                    }
                }
            }
        }
        woken
    }

    /// Keys deleted because they expired become DELs for replicas.
    fn feed_expired_dels(&mut self) {
        // The common case, checked cheaply: nothing expired.
        if self.st.dbs.iter().all(|d| d.expired.is_empty()) {
            return;
        }
        for dbi in 0..self.st.dbs.len() {
            if !self.st.dbs[dbi].expired.is_empty() {
                let expired = std::mem::take(&mut self.st.dbs[dbi].expired);
                self.st.stats.expired_keys += expired.len() as u64;
                for k in expired {
                    if self.st.tracking.active() {
                        self.st.tracking.invalidate(&k, None, true);
                    }
                    self.st.notify(notify::class::EXPIRED, "expired", &k, dbi);
                    self.st
                        .repl_feed
                        .push(Propagated::all(dbi, vec![Bytes::from_static(b"DEL"), k]));
                }
            }
        }
    }

    /// Copy a command that ran to the MONITOR clients (the caller too, if it is one).
    fn feed_monitors(&mut self, c: &mut Client, argv: &[Bytes]) {
        let argv = slowlog::redact(argv);
        let line = crate::commands::monitor::line(self.st.now, c.db, c, &argv);
        let monitors: Vec<ConnId> = self.st.monitors.iter().copied().collect();
        for conn in monitors {
            let target = if conn == c.conn {
                Some(&mut *c)
            } else {
                self.clients.get_mut(&conn).map(|c| &mut **c)
            };
            if let Some(m) = target {
                m.reply.raw(&line);
                self.st.pending.insert(conn);
            }
        }
    }

    /// Publish the keyspace notifications queued since the last call; the
    /// running command's client is not in `clients` and gets its own (RESP3
    /// pushes, before its reply).
    fn publish_notifications(&mut self, mut caller: Option<&mut Client>) {
        self.st.take_created_keys();
        if self.st.notes.is_empty() {
            return;
        }
        let notes = std::mem::take(&mut self.st.notes);
        let flags = self.st.notify_flags;
        for note in notes {
            for (channel, message) in note.messages(flags) {
                if let Some(c) = caller.as_deref_mut() {
                    let conn = c.conn;
                    if crate::commands::pubsub::deliver(&self.st, c, conn, &channel, &message) > 0 {
                        self.st.pending.insert(conn);
                    }
                }
                crate::commands::pubsub::publish(
                    &mut self.st,
                    &mut self.clients,
                    &channel,
                    &message,
                );
            }
        }
    }

    /// Run a blocked client's command again; if it blocks again it keeps waiting.
    fn retry_blocked(&mut self, conn: ConnId) {
        let Some(mut c) = self.clients.take(&conn) else {
            return;
        };
        if let Some(b) = c.blocked.take() {
            // The client stays registered in `blocked_on` while its command
            // runs again (a handler can tell a retry from a first call that
            // way); it leaves the queues only once served.
            let table = self.st.table;
            if let Some(cmd) = table.get(&b.argv[0]) {
                let saved_db = c.db;
                c.db = b.db;
                self.call_counted(&mut c, cmd, &b.argv, false);
                c.db = saved_db;
            }
            if c.blocked.is_some() {
                // Still waiting: keep its place in the queues and its deadline.
                c.blocked = Some(b);
            } else {
                self.unregister_blocked(conn, &b);
            }
        }
        let served = c.blocked.is_none();
        self.clients.put(conn, c);
        if served {
            self.st.pending.insert(conn);
            // It may have more requests pipelined behind the blocking one.
            if let Some(mut c) = self.clients.take(&conn) {
                self.process_input(&mut c);
                self.clients.put(conn, c);
            }
        }
    }

    /// Register a client as blocked on its keys (called after a handler set `blocked`).
    fn register_blocked(&mut self, conn: ConnId, b: &Blocked) {
        for k in &b.keys {
            self.st
                .blocked_on
                .entry((b.db, k.clone()))
                .or_default()
                .push_back(conn);
        }
    }

    fn unregister_blocked(&mut self, conn: ConnId, b: &Blocked) {
        for k in &b.keys {
            let key = (b.db, k.clone());
            if let Some(q) = self.st.blocked_on.get_mut(&key) {
                q.retain(|&x| x != conn);
                if q.is_empty() {
                    self.st.blocked_on.remove(&key);
                }
            }
        }
    }

    /// Close a client with its pending replies dropped, the host's too
    /// (freeClient of a client over a limit).
    pub(crate) fn close_dropping_output(&mut self, conn: ConnId) {
        let Some(c) = self.clients.get_mut(&conn) else {
            return;
        };
        c.reply.buf.clear();
        c.pushes.buf.clear();
        if !c.socket_closed {
            if let Some(p) = self.st.host.probe.as_deref() {
                p.drop_output(conn);
            }
            self.st.out.push_back(Output::Close { conn });
        }
        self.free_client(conn);
    }

    /// clientsCron's closeClientOnOutputBufferLimitReached: a client over
    /// its limit with nothing more written to it (a soft limit's seconds
    /// passed) is closed now; one flagged earlier goes too. Replies written
    /// this round are checked as they are handed over (7.0 checks them as
    /// they are appended, before its cron sees them).
    fn output_limits_cron(&mut self) {
        let mut over = Vec::new();
        for c in self.clients.values_mut() {
            let idle = c.reply.is_empty() && c.pushes.is_empty();
            if c.close_asap || (idle && self.st.obuf_limit_reached(c, false)) {
                over.push(c.conn);
            }
        }
        for conn in over {
            self.close_dropping_output(conn);
        }
    }

    /// Forget a client: its subscriptions, watches, blocks.
    pub(crate) fn free_client(&mut self, conn: ConnId) {
        let Some(mut c) = self.clients.remove(&conn) else {
            return;
        };
        if c.kind == ClientKind::Master {
            self.st.master_raw.clear();
        }
        self.st.monitors.remove(&conn);
        self.repl_forget_client(conn, &c);
        crate::commands::pubsub::unsubscribe_all(&mut self.st, &mut c);
        self.st.tracking.disable(&mut c);
        self.st.client_ids.remove(&c.id);
        if let Some(m) = c.migrating {
            self.st.migrations.remove(&m);
            self.st.out.push_back(Output::Close { conn: m });
        }
        unwatch_all(&mut self.st, conn, &c.watched);
        if let Some(b) = &c.blocked {
            self.unregister_blocked(conn, b);
        }
        self.st.pending.remove(&conn);
    }

    /// Periodic work: blocked timeouts, active expiry, idle clients.
    fn cron(&mut self) {
        self.st.rearm_watchdog();
        let now = self.st.now;
        if !self.st.shutting_down {
            let exiting = self.st.shutdown_cron();
            // A shutdown that starts waiting asks replicas for their offsets.
            self.apply_repl_actions();
            self.fail_blocked_shutdowns();
            if exiting {
                return;
            }
        }
        // Values UNLINK left for later: their commands have replied.
        self.st.lazyfree.drain();
        // Blocked clients whose timeout passed get a null reply.
        let timed_out: Vec<ConnId> = self
            .clients
            .iter()
            .filter(|(_, c)| {
                c.blocked
                    .as_ref()
                    .is_some_and(|b| b.deadline.is_some_and(|d| d <= now))
            })
            .map(|(k, _)| *k)
            .collect();
        for conn in timed_out {
            if let Some(mut c) = self.clients.take(&conn) {
                if let Some(b) = c.blocked.take() {
                    self.unregister_blocked(conn, &b);
                    let from = c.reply.len();
                    c.reply.null_array();
                    c.settle_replies(from);
                }
                self.process_input(&mut c);
                self.clients.put(conn, c);
                self.st.pending.insert(conn);
            }
        }
        self.output_limits_cron();
        // clientsCronResizeQueryBuffer, ResizeOutputBuffer, TrackExpansiveClients.
        self.st.client_peaks.begin(now);
        for c in self.clients.values_mut() {
            let idle = now.saturating_sub(c.last_interaction) / 1000;
            c.query_size.cron(c.query.len(), idle);
            c.reply_size
                .cron(now, c.reply.len(), &mut self.st.reply_buffers);
            let omem = self.st.output_use(c, false).omem;
            self.st.client_peaks.sample(c, omem);
        }
        // Active expiry: a bounded sample of keys with a TTL per database.
        let expire_started = self.st.monotonic_us();
        for dbi in 0..self.st.dbs.len() {
            let cur = self.st.expire_cursor[dbi];
            self.st.expire_cursor[dbi] = self.st.dbs[dbi].active_expire(now, cur, 200);
            if !self.st.dbs[dbi].active_expire_off && !self.st.dbs[dbi].expire_paused {
                self.st.dbs[dbi].expire_replica_written(now);
            }
        }
        let expire_ms = self.st.monotonic_us().saturating_sub(expire_started) / 1000;
        self.st.latency_sample("expire-cycle", expire_ms, now);
        // databasesCron's active rehashing: a key table left half moved by
        // its growth finishes without waiting for writes; one database a
        // round, none while a child runs.
        if self.st.config.get_bool(Key::ACTIVEREHASHING)
            && self.st.dict_resize() == crate::keyspace::Resize::Enable
        {
            for db in self.st.dbs.iter_mut() {
                if db.rehash_tables(ACTIVE_REHASH_BUCKETS) {
                    break;
                }
            }
        }
        if self.st.tracking.clients > 0 {
            let max = self.st.config.get_i64(Key::TRACKING_TABLE_MAX_KEYS).max(0) as u64;
            self.st.tracking.limit_keys(max);
        }
        if !self.st.migrations.is_empty() || !self.st.migrate_sockets.is_empty() {
            self.migrate_cron();
        }
        // Idle timeout for normal clients.
        let timeout = self.st.config.get_i64(Key::TIMEOUT) as u64 * 1000;
        if timeout > 0 {
            let idle: Vec<ConnId> = self
                .clients
                .iter()
                .filter(|(_, c)| {
                    c.kind == ClientKind::Normal
                        && c.blocked.is_none()
                        && c.migrating.is_none()
                        && !c.in_pubsub()
                        && now.saturating_sub(c.last_interaction) > timeout
                })
                .map(|(k, _)| *k)
                .collect();
            for conn in idle {
                self.st.out.push_back(Output::Close { conn });
                self.free_client(conn);
            }
        }
        let s = &self.st.stats;
        let readings = metrics::Readings {
            commands: s.total_commands_processed,
            net_input: s.net_input_bytes,
            net_output: s.net_output_bytes,
            repl_input: s.net_repl_input_bytes,
            repl_output: s.net_repl_output_bytes,
        };
        self.st.instantaneous.sample(now, readings);
        self.save_cron();
        self.st.aof_cron();
        self.st.aof_write_error_cron();
        self.st.sample_cow();
        if now >= self.st.repl.next_cron {
            self.st.repl.next_cron = now + 1000;
            self.repl_master_cron();
            self.repl_replica_cron();
            self.st.repl.cron_loops += 1;
        }
        // A round cut short by its time bound, or a limit lowered by CONFIG
        // SET, goes on here (evictionTimeProc); the peak is sampled too.
        self.evict_clients();
        self.prepare_access(false);
        self.perform_evictions();
        self.used_memory_now();
        self.after_command();
    }

    /// Hand pending client replies to the host.
    fn flush_pending(&mut self) {
        // The AOF is written (and with `always` synced) before the replies
        // of the writes it holds go out (beforeSleep's flushAppendOnlyFile).
        self.st.aof_flush(false);
        if self.st.aof_write_postponed() {
            return;
        }
        self.flush_replies();
    }

    /// The replies alone: an out-of-band question moves no AOF timer.
    fn flush_replies(&mut self) {
        if self.st.pending.is_empty() {
            return;
        }
        let pending = self.st.pending.take();
        for &conn in &pending {
            if let Some(c) = self.clients.get_mut(&conn) {
                // Replies written to it this round (messages, invalidations,
                // the replication stream) may have pushed it over its limit.
                if c.close_asap || self.st.obuf_limit_reached(c, true) {
                    self.close_dropping_output(conn);
                    continue;
                }
                if c.no_reply || c.socket_closed {
                    // Our master never gets replies (REPLCONF ACKs go out directly).
                    c.reply.buf.clear();
                    c.pushes.buf.clear();
                }
                c.settle_replies(c.reply.len());
                if !c.reply.is_empty() {
                    c.reply_size.filled(c.reply.len());
                    // Room for as much as this batch, up to a reply chunk.
                    let room = c.reply.len().min(crate::resp::REPLY_CHUNK);
                    let next = self.st.reply_pool.take(room);
                    let bytes = c.reply.swap_for_send(next);
                    if c.kind == ClientKind::Replica {
                        self.st.stats.net_repl_output_bytes += bytes.len() as u64;
                    } else {
                        self.st.stats.net_output_bytes += bytes.len() as u64;
                    }
                    self.st.stats.total_writes_processed += 1;
                    self.st.out.push_back(Output::Send { conn, bytes });
                }
                if c.close_after_reply {
                    if !c.socket_closed {
                        self.st.out.push_back(Output::Close { conn });
                    }
                    self.free_client(conn);
                }
            }
        }
        self.st.pending.recycle(pending);
    }

    /// DEBUG SLEEP ended: run what clients sent meanwhile, in client order.
    fn resume_after_pause(&mut self) {
        self.st.paused_until = 0;
        let waiting: Vec<ConnId> = self
            .clients
            .iter()
            .filter(|(_, c)| !c.query.is_empty())
            .map(|(k, _)| *k)
            .collect();
        for conn in waiting {
            if self.st.now < self.st.paused_until {
                break;
            }
            if let Some(c) = self.clients.take(&conn) {
                self.serve(conn, c);
            }
        }
    }

    /// Handle the blocked-state requests handlers leave behind.
    fn settle_blocked(&mut self) {
        if !std::mem::take(&mut self.st.block_pending) {
            return;
        }
        let newly: Vec<(ConnId, Blocked)> = self
            .clients
            .iter()
            .filter_map(|(k, c)| {
                c.blocked
                    .as_ref()
                    .filter(|b| !b.keys.is_empty())
                    .map(|b| (*k, b.clone()))
            })
            .filter(|(k, b)| {
                !self
                    .st
                    .blocked_on
                    .get(&(b.db, b.keys[0].clone()))
                    .is_some_and(|q| q.contains(k))
            })
            .collect();
        for (conn, b) in newly {
            self.register_blocked(conn, &b);
        }
    }
}

/// Remove a client's WATCH registrations.
pub fn unwatch_all(st: &mut ServerState, conn: ConnId, watched: &[(usize, Bytes)]) {
    for key in watched {
        if let Some(s) = st.watched.get_mut(key) {
            s.remove(&conn);
            if s.is_empty() {
                st.watched.remove(key);
            }
        }
    }
}

fn trunc(b: &[u8], n: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(n)]).into_owned()
}

pub fn is_loopback(host: &str) -> bool {
    host.starts_with("127.") || host == "::1" || host == "localhost" || host.starts_with("unix")
}

const PROTECTED_MODE_MSG: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

impl Node for Server {
    fn handle(&mut self, now: Millis, input: Input<'_>) {
        self.st.now = self.st.now.max(now);
        if self.st.paused_until != 0 && self.st.now >= self.st.paused_until {
            self.resume_after_pause();
        }
        if self.st.pause.is_paused() && !input.is_inspect() {
            self.st.pause.check_timeout(self.st.now);
            self.rerun_postponed();
        }
        let client_input = !matches!(
            input,
            Input::Tick
                | Input::Persisted { .. }
                | Input::Fsynced { .. }
                | Input::AofWriteFailed { .. }
                | Input::Terminate(_)
                | Input::Script { .. }
                | Input::Child { .. }
        );
        let inspect = input.is_inspect();
        // The client input of this round, in bytes (background jobs' share).
        let served = client_input.then_some(match &input {
            Input::Data { bytes, .. } => bytes.len(),
            _ => 0,
        });
        match input {
            Input::Accepted { conn, peer, local } => self.accept(conn, peer, local),
            Input::Data { conn, bytes } => {
                if self.migrate_owns(conn) {
                    self.migrate_data(conn, bytes);
                } else if self.repl_owns(conn) {
                    self.repl_link_data(conn, bytes);
                } else {
                    self.data(conn, bytes);
                }
            }
            Input::Closed { conn } => {
                if self.migrate_owns(conn) {
                    self.migrate_socket_closed(conn);
                    self.migrate_failed(conn, crate::commands::migrate::Failure::Reading);
                } else if self.migrate_socket_closed(conn) {
                    // An idle cached MIGRATE connection: forgotten.
                } else if self.repl_owns(conn) {
                    self.repl_link_closed(conn);
                } else {
                    self.free_client(conn);
                }
            }
            Input::Connected { conn, .. } if self.migrate_owns(conn) => {
                self.migrate_connected(conn)
            }
            Input::Connected { conn, .. } => self.repl_link_connected(conn),
            Input::ConnectFailed { conn, reason } if self.migrate_owns(conn) => {
                use crate::commands::migrate::Failure;
                let why = if reason.starts_with(crate::node::LOOKUP_FAILED) {
                    Failure::Connecting
                } else {
                    Failure::Writing
                };
                self.migrate_failed(conn, why)
            }
            Input::ConnectFailed { conn, reason } => self.repl_link_failed(conn, &reason),
            // A server runs no scripts: only sentinels ask for them.
            Input::Tick | Input::Script { .. } => {}
            Input::Persisted { error, .. } => self.persisted(error),
            Input::Fsynced { error, .. } => self.st.aof_fsynced(error),
            Input::AofWriteFailed {
                file,
                unwritten,
                partial,
                error,
                truncate_error,
            } => self
                .st
                .aof_write_failed(&file, unwritten, partial, error, truncate_error),
            Input::Child { id, status } => self.child_status(id, status),
            // The signal handler only asks (shutdown_asap); the cron shuts
            // down, so SHUTDOWN ABORT can still cancel it meanwhile.
            Input::Terminate(sig) => {
                self.st.shutdown_signal(sig);
                if self.st.load_job.is_some() && !self.st.shutting_down {
                    self.terminate_while_loading();
                }
            }
        }
        self.replay_busy_deferred();
        if self.st.now < self.st.paused_until {
            // DEBUG SLEEP: nothing runs and nothing is sent until it ends.
            return;
        }
        if inspect {
            // An out-of-band question (node::inspect): answer it and nothing
            // else, so that asking does not move timers or background work.
            self.flush_replies();
            return;
        }
        if let Some(job) = &self.st.load_job {
            // Loading (processEventsWhileBlocked): clients are answered, no
            // timer runs. A round without client input loads a slice, and
            // so does the one that started the load, as rdbLoad begins at once.
            if !client_input || job.dec.processed() == 0 {
                self.loading_round();
            }
            if self.st.load_job.is_some() {
                self.flush_pending();
                return;
            }
        }
        if self.st.now >= self.st.next_cron && !self.st.pause_cron {
            self.cron();
            let hz = self.st.config.get_i64(Key::HZ).clamp(1, 500) as u64;
            self.st.next_cron = self.st.now + (1000 / hz).min(CRON_MS);
        } else if self.st.eviction.running && !client_input {
            // evictionTimeProc: a round cut short goes on at the next tick.
            self.prepare_access(false);
            self.perform_evictions();
            self.after_command();
        }
        self.apply_repl_actions();
        // A full sync's snapshot waits for a running AOF rewrite, as a
        // fork waits for the other child.
        if self.st.repl.bgsave_at.is_some_and(|t| t <= self.st.now) && self.st.aof.rewrite.is_none()
        {
            self.repl_start_full_sync();
        }
        self.repl_feed_replicas();
        // Replicas the stream pushed over their output buffer limit.
        self.apply_repl_actions();
        self.repl_check_waiters();
        self.settle_blocked();
        // updateFailoverStatus runs before every sleep: ACKs just read may
        // complete a failover's wait, and its timeout is checked as often.
        self.failover_cron();
        if self.st.tracking.active() {
            self.tracking_round();
        }
        self.flush_pending();
        // The next slice of a background save, clients first.
        self.bgsave_round(served);
        self.aof_rewrite_round(served);
        self.flush_pending();
        self.st.reap_children();
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.st.out.pop_front()
    }

    fn holds_input(&self, conn: ConnId) -> bool {
        self.load_holds_input(conn)
    }

    fn recycle(&mut self, bytes: Vec<u8>) {
        self.st.reply_pool.give(bytes);
    }

    fn poll_timeout(&self) -> Option<Millis> {
        if self.st.paused_until != 0 {
            return Some(self.st.paused_until);
        }
        if let Some(t) = self.loading_due() {
            return Some(t.max(self.st.now));
        }
        // The next slice of a background job: as soon as the host has
        // looked at its other work, or when `rdb-key-save-delay` lets it.
        let slice = [self.bgsave_slice_due(), self.aof_rewrite_slice_due()]
            .into_iter()
            .flatten()
            .min();
        if let Some(t) = slice.filter(|&t| t <= self.st.next_cron) {
            return Some(t.max(self.st.now));
        }
        if self.st.eviction.running {
            // The rest of an eviction round cut short by its time bound.
            return Some(self.st.now);
        }
        Some(self.st.next_cron)
    }
}
