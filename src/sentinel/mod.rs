//! Redis Sentinel 7.0 as a sans-IO node.
//!
//! As in Redis, a sentinel is a server with a different command table: the
//! [`Sentinel`] node owns an inner [`Server`] built with [`command_table`]
//! that serves inbound clients (PING, SENTINEL ..., INFO, ROLE, SUBSCRIBE,
//! ...). The sentinel state ([`SentinelState`]) lives in
//! `ServerState::sentinel`, where the SENTINEL command handlers reach it.
//! Connections the sentinel opens (ids with `OUTBOUND_BIT`) are its links to
//! the monitored instances: a command link and a pub/sub link per master and
//! replica, a command link per other sentinel, exactly as `sentinel.c` does.
//!
//! Module map: `mod.rs` (state, node, events), `monitor.rs` (links, PING /
//! INFO / hello), `failover.rs` (SDOWN/ODOWN, election, failover state
//! machine), `commands.rs` (the command table), `config.rs` (sentinel.conf
//! parsing and rewriting).

pub mod commands;
pub mod config;
pub mod event;
pub mod failover;
pub mod info;
pub mod monitor;
pub mod scripts;

use crate::node::{Addr, ConnId, Event, Input, LogLevel, Millis, Node, Output};
use crate::server::config::Key;
use crate::server::{Client, ClientTable, Config, Server, ServerState};
use crate::vecmap::VecMap;
pub use event::SentinelEvent;
use std::collections::VecDeque;

pub use commands::command_table;

// Instance flags (SRI_*), as sentinel.c.
pub const SRI_MASTER: u32 = 1 << 0;
pub const SRI_SLAVE: u32 = 1 << 1;
pub const SRI_SENTINEL: u32 = 1 << 2;
pub const SRI_S_DOWN: u32 = 1 << 3;
pub const SRI_O_DOWN: u32 = 1 << 4;
pub const SRI_MASTER_DOWN: u32 = 1 << 5;
pub const SRI_FAILOVER_IN_PROGRESS: u32 = 1 << 6;
pub const SRI_PROMOTED: u32 = 1 << 7;
pub const SRI_RECONF_SENT: u32 = 1 << 8;
pub const SRI_RECONF_INPROG: u32 = 1 << 9;
pub const SRI_RECONF_DONE: u32 = 1 << 10;
pub const SRI_FORCE_FAILOVER: u32 = 1 << 11;
pub const SRI_SCRIPT_KILL_SENT: u32 = 1 << 12;
pub const SRI_MASTER_REBOOT: u32 = 1 << 13;

/// Failover states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailoverState {
    None,
    WaitStart,
    SelectSlave,
    SendSlaveofNoone,
    WaitPromotion,
    ReconfSlaves,
    UpdateConfig,
}

impl FailoverState {
    pub fn name(self) -> &'static str {
        match self {
            FailoverState::None => "none",
            FailoverState::WaitStart => "wait_start",
            FailoverState::SelectSlave => "select_slave",
            FailoverState::SendSlaveofNoone => "send_slaveof_noone",
            FailoverState::WaitPromotion => "wait_promotion",
            FailoverState::ReconfSlaves => "reconf_slaves",
            FailoverState::UpdateConfig => "update_config",
        }
    }
}

pub const HELLO_CHANNEL: &str = "__sentinel__:hello";
pub const DEFAULT_SLAVE_PRIORITY: i64 = 100;
pub const DEFAULT_PARALLEL_SYNCS: i64 = 1;
pub const MAX_PENDING_COMMANDS: i64 = 100;
pub const MAX_DESYNC: u64 = 1000;
pub const DEFAULT_PORT: u16 = 26379;

/// The timing parameters SENTINEL DEBUG shows and sets (milliseconds).
#[derive(Clone, Debug)]
pub struct Timings {
    pub info_period: u64,
    pub ping_period: u64,
    pub ask_period: u64,
    pub publish_period: u64,
    pub default_down_after: u64,
    pub default_failover_timeout: u64,
    pub tilt_trigger: u64,
    pub tilt_period: u64,
    pub slave_reconf_timeout: u64,
    pub min_link_reconnect_period: u64,
    pub election_timeout: u64,
    pub script_max_runtime: u64,
    pub script_retry_delay: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            info_period: 10000,
            ping_period: 1000,
            ask_period: 1000,
            publish_period: 2000,
            default_down_after: 30000,
            default_failover_timeout: 180000,
            tilt_trigger: 2000,
            tilt_period: 30000,
            slave_reconf_timeout: 10000,
            min_link_reconnect_period: 15000,
            election_timeout: 10000,
            script_max_runtime: 60000,
            script_retry_delay: 30000,
        }
    }
}

/// An instance address: the name it was given and the IP we connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SAddr {
    pub hostname: String,
    pub ip: String,
    pub port: u16,
}

impl SAddr {
    pub fn equal(&self, other: &SAddr) -> bool {
        self.port == other.port && self.ip.eq_ignore_ascii_case(&other.ip)
    }

    pub fn or_hostname_equal(&self, other: &SAddr) -> bool {
        self.port == other.port
            && (self.ip == other.ip || self.hostname.eq_ignore_ascii_case(&other.hostname))
    }
}

/// Is `s` an IPv4 or IPv6 literal? (The core has no resolver.)
pub fn is_ip(s: &str) -> bool {
    if s.contains(':') {
        return !s.is_empty()
            && s.len() <= 45
            && s.chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
            && s.matches("::").count() <= 1;
    }
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) && {
                p.parse::<u16>().map(|v| v <= 255).unwrap_or(false)
            }
        })
}

/// The link of an instance: a command connection and (for masters and
/// replicas) a pub/sub connection, with the ping bookkeeping.
#[derive(Clone, Debug)]
pub struct Link {
    pub disconnected: bool,
    pub cc: Option<ConnId>,
    pub pc: Option<ConnId>,
    pub pending_commands: i64,
    pub cc_conn_time: Millis,
    pub pc_conn_time: Millis,
    pub last_reconn_time: Millis,
    pub pc_last_activity: Millis,
    /// When the oldest unanswered PING was sent (0: none pending).
    pub act_ping_time: Millis,
    pub last_ping_time: Millis,
    pub last_avail_time: Millis,
    pub last_pong_time: Millis,
}

impl Link {
    pub fn new(now: Millis) -> Link {
        Link {
            disconnected: true,
            cc: None,
            pc: None,
            pending_commands: 0,
            cc_conn_time: 0,
            pc_conn_time: 0,
            last_reconn_time: 0,
            pc_last_activity: 0,
            act_ping_time: now,
            last_ping_time: 0,
            last_avail_time: now,
            last_pong_time: now,
        }
    }
}

/// A monitored master, one of its replicas, or another sentinel.
#[derive(Clone, Debug)]
pub struct Instance {
    pub flags: u32,
    pub name: String,
    pub runid: Option<String>,
    pub config_epoch: u64,
    pub addr: SAddr,
    pub link: Link,
    pub last_pub_time: Millis,
    pub last_hello_time: Millis,
    pub last_master_down_reply_time: Millis,
    pub s_down_since_time: Millis,
    pub o_down_since_time: Millis,
    pub down_after_period: u64,
    pub master_reboot_down_after_period: u64,
    pub master_reboot_since_time: Millis,
    pub info_refresh: Millis,
    pub role_reported: u32,
    pub role_reported_time: Millis,
    pub slave_conf_change_time: Millis,
    // Master specific. Boxed: the timer takes each instance out of its map
    // and puts it back, and moving the large struct itself through the
    // B-tree's nodes was a fifth of the simulator's time.
    pub sentinels: VecMap<String, Box<Instance>>,
    pub slaves: VecMap<String, Box<Instance>>,
    pub quorum: u32,
    pub parallel_syncs: i64,
    pub auth_pass: Option<String>,
    pub auth_user: Option<String>,
    pub renamed_commands: VecMap<String, String>,
    pub notification_script: Option<String>,
    pub client_reconfig_script: Option<String>,
    // Replica specific.
    pub master_link_down_time: u64,
    pub slave_priority: i64,
    pub replica_announced: i64,
    pub slave_reconf_sent_time: Millis,
    pub slave_master_host: Option<String>,
    pub slave_master_port: i64,
    pub slave_master_link_up: bool,
    pub slave_repl_offset: u64,
    // Failover.
    pub leader: Option<String>,
    pub leader_epoch: u64,
    pub failover_epoch: u64,
    pub failover_state: FailoverState,
    pub failover_state_change_time: Millis,
    pub failover_start_time: Millis,
    pub failover_timeout: u64,
    pub failover_delay_logged: Millis,
    /// Key (in `slaves`) of the replica selected for promotion.
    pub promoted_slave: Option<String>,
    /// Last INFO output.
    pub info: Option<String>,
}

impl Instance {
    /// Enter a failover state, noting when (timeouts count from then).
    pub fn set_failover_state(&mut self, state: FailoverState, since: Millis) {
        self.failover_state = state;
        self.failover_state_change_time = since;
    }

    pub fn new(
        name: String,
        flags: u32,
        addr: SAddr,
        quorum: u32,
        master: Option<&Instance>,
        t: &Timings,
        now: Millis,
    ) -> Box<Instance> {
        Box::new(Instance {
            flags,
            name,
            runid: None,
            config_epoch: 0,
            addr,
            link: Link::new(now),
            last_pub_time: now,
            last_hello_time: now,
            last_master_down_reply_time: now,
            s_down_since_time: 0,
            o_down_since_time: 0,
            down_after_period: master
                .map(|m| m.down_after_period)
                .unwrap_or(t.default_down_after),
            master_reboot_down_after_period: 0,
            master_reboot_since_time: 0,
            info_refresh: 0,
            role_reported: flags & (SRI_MASTER | SRI_SLAVE),
            role_reported_time: now,
            slave_conf_change_time: now,
            sentinels: VecMap::new(),
            slaves: VecMap::new(),
            quorum,
            parallel_syncs: DEFAULT_PARALLEL_SYNCS,
            auth_pass: None,
            auth_user: None,
            renamed_commands: VecMap::new(),
            notification_script: None,
            client_reconfig_script: None,
            master_link_down_time: 0,
            slave_priority: DEFAULT_SLAVE_PRIORITY,
            replica_announced: 1,
            slave_reconf_sent_time: 0,
            slave_master_host: None,
            slave_master_port: 0,
            slave_master_link_up: false,
            slave_repl_offset: 0,
            leader: None,
            leader_epoch: 0,
            failover_epoch: 0,
            failover_state: FailoverState::None,
            failover_state_change_time: 0,
            failover_start_time: 0,
            failover_timeout: t.default_failover_timeout,
            failover_delay_logged: 0,
            promoted_slave: None,
            info: None,
        })
    }

    pub fn type_str(&self) -> &'static str {
        if self.flags & SRI_MASTER != 0 {
            "master"
        } else if self.flags & SRI_SLAVE != 0 {
            "slave"
        } else if self.flags & SRI_SENTINEL != 0 {
            "sentinel"
        } else {
            "unknown"
        }
    }

    pub fn is_master(&self) -> bool {
        self.flags & SRI_MASTER != 0
    }

    /// The current master address: the promoted replica's once it acknowledged.
    pub fn current_master_addr(&self) -> &SAddr {
        if self.flags & SRI_FAILOVER_IN_PROGRESS != 0
            && self.failover_state >= FailoverState::ReconfSlaves
        {
            if let Some(p) = self
                .promoted_slave
                .as_ref()
                .and_then(|k| self.slaves.get(k))
            {
                return &p.addr;
            }
        }
        &self.addr
    }

    /// No SDOWN/ODOWN in the latest `ms` milliseconds.
    pub fn no_down_for(&self, ms: u64, now: Millis) -> bool {
        let most_recent = self.s_down_since_time.max(self.o_down_since_time);
        most_recent == 0 || now.saturating_sub(most_recent) > ms
    }

    /// The name of `command` on this instance (`rename-command`).
    pub fn map_command<'a>(&'a self, master: Option<&'a Instance>, command: &'a str) -> &'a str {
        let m = master.unwrap_or(self);
        m.renamed_commands
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(command))
            .map(|(_, v)| v.as_str())
            .unwrap_or(command)
    }
}

/// Which instance a link connection belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    Master,
    Slave(String),
    Sentinel(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub master: String,
    pub who: Who,
}

/// What to do with the reply to a command sent on a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cb {
    Discard,
    Ping,
    Info,
    Publish,
    IsMasterDown,
}

/// One outbound connection of the sentinel.
#[derive(Debug)]
pub struct LinkConn {
    pub owner: Owner,
    pub pubsub: bool,
    pub connected: bool,
    pub local: Option<Addr>,
    /// Bytes queued before the connection is established.
    pub outq: Vec<u8>,
    /// Received bytes not yet parsed.
    pub buf: Vec<u8>,
    pub cbs: VecDeque<Cb>,
}

/// The whole sentinel state (`struct sentinelState` plus the masters).
#[derive(Debug)]
pub struct SentinelState {
    pub myid: String,
    pub current_epoch: u64,
    /// Boxed as `Instance::slaves` is.
    pub masters: VecMap<String, Box<Instance>>,
    pub tilt: bool,
    pub tilt_start_time: Millis,
    pub previous_time: Millis,
    pub announce_ip: Option<String>,
    pub announce_port: u16,
    pub simfailure_flags: u64,
    pub deny_scripts_reconfig: bool,
    pub sentinel_auth_pass: Option<String>,
    pub sentinel_auth_user: Option<String>,
    pub resolve_hostnames: bool,
    pub announce_hostnames: bool,
    pub t: Timings,
    pub conns: VecMap<ConnId, LinkConn>,
    /// The config file path and its current text (for rewriting).
    pub config_path: Option<String>,
    pub config_text: String,
    pub config_dirty: bool,
    /// Our listening port (announced in hello messages).
    pub port: u16,
    /// Notification and reconfiguration scripts to run or running.
    pub scripts: scripts::ScriptQueue,
    /// Whether a script path names an executable file (`access(X_OK)`):
    /// the native host checks the disk; hosts that run no scripts accept any.
    pub script_executable: fn(&str) -> bool,
    /// anetResolve for `resolve-hostnames yes`: a hostname's address, or
    /// None if it does not resolve. The native host asks the system; hosts
    /// without a resolver keep the name as its own address; the simulator
    /// installs its name table.
    pub resolve_host: crate::node::Resolver,
    /// Names [`SentinelState::create_addr`] failed to resolve since the node
    /// last logged them: createSentinelAddr logs each failure, and it is
    /// called where no log is at hand (config loading, `&self` lookups).
    pub unresolved: std::cell::RefCell<Vec<String>>,
}

pub const SIMFAILURE_CRASH_AFTER_ELECTION: u64 = 1 << 0;
pub const SIMFAILURE_CRASH_AFTER_PROMOTION: u64 = 1 << 1;

/// What sentinel code works with besides its own state: the inner server's
/// state (outputs, rng, pub/sub) and its clients (subscribers).
pub struct Env<'a> {
    pub srv: &'a mut ServerState,
    pub clients: &'a mut ClientTable,
    /// Scripts events asked for (argv), queued when the step ends.
    pub scripts: Vec<Vec<String>>,
}

impl<'a> Env<'a> {
    pub fn now(&self) -> Millis {
        self.srv.now
    }

    pub fn log(&mut self, level: LogLevel, msg: impl Into<String>) {
        self.srv.log(level, msg);
    }

    pub fn send(&mut self, conn: ConnId, bytes: Vec<u8>) {
        self.srv.out.push_back(Output::Send { conn, bytes });
    }

    pub fn close(&mut self, conn: ConnId) {
        self.srv.out.push_back(Output::Close { conn });
    }

    pub fn rand(&mut self, n: u64) -> u64 {
        self.srv.rng.below(n)
    }

    /// sentinelEvent: log, publish on the event's channel, tell the UI.
    pub fn event(&mut self, level: LogLevel, kind: SentinelEvent, msg: String) {
        self.srv.log(level, format!("{kind} {msg}"));
        if level != LogLevel::Debug {
            crate::commands::pubsub::publish(
                self.srv,
                self.clients,
                kind.channel().as_bytes(),
                msg.as_bytes(),
            );
        }
        self.srv.emit(Event::Sentinel { kind, detail: msg });
    }

    /// sentinelEvent about an instance of `master`: as [`event`](Self::event),
    /// and a warning also calls the master's notification script with
    /// `<event-type> <event-description>`.
    pub fn event_of(
        &mut self,
        level: LogLevel,
        kind: SentinelEvent,
        master: &Instance,
        msg: String,
    ) {
        if level == LogLevel::Warning {
            if let Some(path) = &master.notification_script {
                self.scripts
                    .push(vec![path.clone(), kind.channel().to_string(), msg.clone()]);
            }
        }
        self.event(level, kind, msg);
    }
}

impl SentinelState {
    pub fn new(now: Millis) -> SentinelState {
        SentinelState {
            myid: String::new(),
            current_epoch: 0,
            masters: VecMap::new(),
            tilt: false,
            tilt_start_time: 0,
            previous_time: now,
            announce_ip: None,
            announce_port: 0,
            simfailure_flags: 0,
            deny_scripts_reconfig: true,
            sentinel_auth_pass: None,
            sentinel_auth_user: None,
            resolve_hostnames: false,
            announce_hostnames: false,
            t: Timings::default(),
            conns: VecMap::new(),
            config_path: None,
            config_text: String::new(),
            config_dirty: false,
            port: DEFAULT_PORT,
            scripts: scripts::ScriptQueue::default(),
            script_executable: |_| true,
            resolve_host: crate::node::Resolver::default(),
            unresolved: Default::default(),
        }
    }

    /// The address text we announce for an instance (IP, or hostname with announce-hostnames).
    pub fn announce<'b>(&self, a: &'b SAddr) -> &'b str {
        if self.announce_hostnames {
            &a.hostname
        } else {
            &a.ip
        }
    }

    pub fn announce_addr_port(&self, a: &SAddr) -> String {
        let h = self.announce(a);
        if h.contains(':') {
            format!("[{h}]:{}", a.port)
        } else {
            format!("{h}:{}", a.port)
        }
    }

    /// createSentinelAddr: fails (with the reason) if the host can't be used.
    pub fn create_addr(
        &self,
        host: &str,
        port: i64,
        accept_unresolved: bool,
    ) -> Result<SAddr, &'static str> {
        if !(0..=65535).contains(&port) {
            return Err("Invalid port number.");
        }
        let ip = if is_ip(host) {
            host.to_string()
        } else if let Some(ip) = self
            .resolve_hostnames
            .then(|| self.resolve_host.resolve(host))
            .flatten()
        {
            ip
        } else {
            // Without resolve-hostnames only addresses resolve (ANET_IP_ONLY).
            self.unresolved.borrow_mut().push(host.to_string());
            if self.resolve_hostnames && accept_unresolved {
                // Kept with an unusable address; resolved again on reconnection.
                "?".to_string()
            } else {
                return Err("Can't resolve instance hostname.");
            }
        };
        Ok(SAddr {
            hostname: host.to_string(),
            ip,
            port: port as u16,
        })
    }

    /// Run `f` on the master named `name`, taken out of `masters` meanwhile
    /// so that `f` can change the rest of the state too.
    pub fn with_master<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Self, &mut Instance) -> R,
    ) -> Option<R> {
        let mut m = self.masters.remove(name)?;
        let r = f(self, &mut m);
        self.masters.insert(name.to_string(), m);
        Some(r)
    }

    /// Log and publish an event about `ri`, described as [`at`](Self::at) does.
    pub fn event_at(
        &self,
        env: &mut Env,
        level: LogLevel,
        kind: SentinelEvent,
        ri: &Instance,
        master: Option<&Instance>,
    ) {
        let owner = match master {
            Some(m) if !ri.is_master() => m,
            _ => ri,
        };
        env.event_of(level, kind, owner, self.at(ri, master));
    }

    /// The `%@` part of an event: `<type> <name> <ip> <port> [@ <master> <ip> <port>]`.
    pub fn at(&self, ri: &Instance, master: Option<&Instance>) -> String {
        match master {
            Some(m) if !ri.is_master() => format!(
                "{} {} {} {} @ {} {} {}",
                ri.type_str(),
                ri.name,
                self.announce(&ri.addr),
                ri.addr.port,
                m.name,
                self.announce(&m.addr),
                m.addr.port
            ),
            _ => format!(
                "{} {} {} {}",
                ri.type_str(),
                ri.name,
                self.announce(&ri.addr),
                ri.addr.port
            ),
        }
    }

    /// sentinelCallClientReconfScript: `<master-name> <role> <state>
    /// <from-ip> <from-port> <to-ip> <to-port>`, `<state>` always `start`.
    pub fn call_client_reconf_script(
        &self,
        env: &mut Env,
        master: &Instance,
        leader: bool,
        from: &SAddr,
        to: &SAddr,
    ) {
        let Some(path) = &master.client_reconfig_script else {
            return;
        };
        env.scripts.push(vec![
            path.clone(),
            master.name.clone(),
            if leader { "leader" } else { "observer" }.to_string(),
            "start".to_string(),
            self.announce(from).to_string(),
            from.port.to_string(),
            self.announce(to).to_string(),
            to.port.to_string(),
        ]);
    }

    /// sentinelFlushConfig for a command that answers for the write (with
    /// every master in place): written at once when the host can (natively),
    /// so a failure is logged and answered; otherwise by the host at the end
    /// of this step. `Err`: the system's reason the write failed (logged already).
    pub fn try_flush_config(&mut self, env: &mut Env) -> Result<(), String> {
        let write_now = self.config_path.is_some() && env.srv.host.files.is_some();
        if !write_now {
            self.config_dirty = true;
            env.log(LogLevel::Notice, "Sentinel new configuration saved on disk");
            return Ok(());
        }
        self.config_dirty = false;
        let text = config::rewrite(self, &self.config_text);
        self.config_text = text.clone();
        let path = self.config_path.clone().unwrap_or_default();
        let written = match env.srv.host.files.as_ref() {
            Some(files) => files.write(&path, text.as_bytes()),
            None => Ok(()),
        };
        match written {
            Ok(()) => {
                env.log(LogLevel::Notice, "Sentinel new configuration saved on disk");
                Ok(())
            }
            Err(e) => {
                env.log(
                    LogLevel::Warning,
                    format!(
                        "WARNING: Sentinel was not able to save the new configuration on disk!!!: {e}"
                    ),
                );
                Err(e)
            }
        }
    }

    /// sentinelFlushConfig where 7.0 ignores the outcome: written at the end
    /// of the step, once the state is whole again (a caller may hold a
    /// master out of `masters` meanwhile, see `with_master`).
    pub fn flush_config(&mut self, env: &mut Env) {
        self.config_dirty = true;
        env.log(LogLevel::Notice, "Sentinel new configuration saved on disk");
    }

    /// sentinelFlushConfigAndReply: +OK, or the error 7.0 gives when the
    /// config file could not be written.
    pub fn flush_config_and_reply(
        &mut self,
        env: &mut Env,
        out: &mut crate::resp::ReplyBuf,
    ) -> crate::commands::CmdResult {
        match self.try_flush_config(env) {
            Ok(()) => {
                out.ok();
                Ok(())
            }
            Err(_) => Err("ERR Failed to save config file. Check server logs.".into()),
        }
    }

    /// Emit the rewritten config file if something changed.
    pub fn emit_config(&mut self, env: &mut Env) {
        if !self.config_dirty {
            return;
        }
        self.config_dirty = false;
        let text = config::rewrite(self, &self.config_text);
        self.config_text = text.clone();
        if let Some(path) = self.config_path.clone() {
            env.srv.emit(Event::ConfigRewrite { path, text });
        }
    }

    /// sentinelIsRunning: pick an id if needed, log it, generate +monitor events.
    pub fn start(&mut self, env: &mut Env) {
        if self.myid.is_empty() {
            self.myid = env.srv.rng.hex_id();
            self.flush_config(env);
        }
        env.log(LogLevel::Warning, format!("Sentinel ID is {}", self.myid));
        let names: Vec<String> = self.masters.keys().cloned().collect();
        for n in names {
            let m = &self.masters[&n];
            let msg = format!("{} quorum {}", self.at(m, None), m.quorum);
            env.event_of(LogLevel::Warning, SentinelEvent::Monitor, m, msg);
        }
    }
}

/// Run `f` with the sentinel state taken out of the server state, then put it back
/// and emit the config file if it changed.
pub fn with_state<R>(
    srv: &mut ServerState,
    clients: &mut ClientTable,
    f: impl FnOnce(&mut SentinelState, &mut Env) -> R,
) -> Option<R> {
    let mut st = srv.sentinel.take()?;
    let mut env = Env {
        srv,
        clients,
        scripts: Vec::new(),
    };
    let r = f(&mut st, &mut env);
    for argv in std::mem::take(&mut env.scripts) {
        st.scripts.schedule(argv);
    }
    st.emit_config(&mut env);
    env.srv.sentinel = Some(st);
    Some(r)
}

/// A sentinel node: an inner server with the sentinel command table, plus the
/// monitoring state machine driven by the sentinel timer.
pub struct Sentinel {
    pub server: Server,
    next_timer: Millis,
}

impl Sentinel {
    /// Build a sentinel from its server config and its (already loaded) state.
    pub fn new(config: Config, mut state: SentinelState, now: Millis, seed: u64) -> Sentinel {
        let mut server = Server::with_table(config, now, seed, command_table());
        state.port = server.st.config.get_i64(Key::PORT).clamp(0, 65535) as u16;
        state.previous_time = now;
        server.st.sentinel = Some(Box::new(state));
        server.st.info_sections = info::sections();
        let mut s = Sentinel {
            server,
            next_timer: now,
        };
        s.log_unresolved();
        let Server { st, clients, .. } = &mut s.server;
        with_state(st, clients, |ss, env| ss.start(env));
        s.log_unresolved();
        s
    }

    /// createSentinelAddr's line for each name that failed to resolve.
    fn log_unresolved(&mut self) {
        let names = match self.server.st.sentinel.as_ref() {
            Some(ss) => std::mem::take(&mut *ss.unresolved.borrow_mut()),
            None => return,
        };
        for name in names {
            self.server.st.log(
                LogLevel::Warning,
                format!("Failed to resolve hostname '{name}'"),
            );
        }
    }

    pub fn state(&self) -> &SentinelState {
        self.server.st.sentinel.as_ref().expect("sentinel state")
    }

    pub fn state_mut(&mut self) -> &mut SentinelState {
        self.server.st.sentinel.as_mut().expect("sentinel state")
    }

    fn link_input(&mut self, input: Input<'_>) {
        let Server { st, clients, .. } = &mut self.server;
        with_state(st, clients, |ss, env| match input {
            Input::Connected { conn, local } => ss.on_connected(env, conn, local),
            Input::ConnectFailed { conn, .. } | Input::Closed { conn } => {
                ss.on_link_error(env, conn)
            }
            Input::Data { conn, bytes } => ss.on_data(env, conn, bytes),
            Input::Script { id, status } => {
                let delay = ss.t.script_retry_delay;
                ss.scripts.report(env, id, status, delay);
            }
            _ => {}
        });
    }

    /// SIGTERM / SIGINT: the same goodbye as SHUTDOWN.
    fn terminate(&mut self, sig: crate::node::Signal) {
        let message = match sig {
            crate::node::Signal::Int => "Received SIGINT scheduling shutdown...",
            crate::node::Signal::Term => "Received SIGTERM scheduling shutdown...",
        };
        self.server.st.emit(crate::node::Event::SignalLog {
            message: message.into(),
        });
        if !self.server.st.shutting_down {
            commands::prepare_for_shutdown(&mut self.server.st);
        }
    }

    fn timer(&mut self) {
        let Server { st, clients, .. } = &mut self.server;
        with_state(st, clients, |ss, env| ss.timer(env));
        // server.hz = CONFIG_DEFAULT_HZ + rand() % CONFIG_DEFAULT_HZ
        let hz = 10 + self.server.st.rng.below(10);
        self.next_timer = self.server.st.now + 1000 / hz;
    }
}

impl Node for Sentinel {
    fn handle(&mut self, now: Millis, input: Input<'_>) {
        self.server.st.now = self.server.st.now.max(now);
        let outbound = match &input {
            Input::Accepted { conn, .. } => conn.is_outbound(),
            Input::Connected { conn, .. }
            | Input::ConnectFailed { conn, .. }
            | Input::Closed { conn }
            | Input::Data { conn, .. } => conn.is_outbound(),
            Input::Tick
            | Input::Persisted { .. }
            | Input::Fsynced { .. }
            | Input::AofWriteFailed { .. } => false,
            // A sentinel forks nothing.
            Input::Child { .. } => return,
            Input::Script { .. } => {
                // Not a client's input: no timer, no server step.
                self.link_input(input);
                return;
            }
            Input::Terminate(sig) => {
                self.terminate(*sig);
                return;
            }
        };
        let inspect = input.is_inspect();
        if inspect {
            // An out-of-band question (node::inspect): no timer runs for it.
            self.server.handle(now, input);
            return;
        }
        if outbound {
            self.link_input(input);
            if self.server.st.now >= self.next_timer {
                self.timer();
            }
            self.log_unresolved();
            self.server.handle(now, Input::Tick);
        } else {
            if self.server.st.now >= self.next_timer {
                self.timer();
            }
            self.log_unresolved();
            self.server.handle(now, input);
        }
        self.log_unresolved();
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.server.poll_output()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        let s = self.server.poll_timeout().unwrap_or(self.next_timer);
        Some(s.min(self.next_timer))
    }
}

#[cfg(test)]
mod tests;
