//! INFO: the sections, fields and order of Redis 7.0.15.
//!
//! Each section is rendered by a [`SectionFn`] that appends `field:value\r\n`
//! lines (without the `# Title` header) from an [`InfoCtx`]. The table of
//! sections lives in [`ServerState::info_sections`], so another module can
//! supply its own rendering without touching this file:
//!
//! ```ignore
//! // e.g. in the replication module, when a node is built:
//! server.st.info_sections.replace("replication", my_replication_section);
//! ```
//!
//! `render_section(name, ctx)` renders a single section (header included) and
//! [`Sections::render`] does what `INFO [section ...]` does.

use super::memory::{buffer_memory, used_memory, AllocatorFigures, UsedMemory, STARTUP_MEMORY};
use super::{Client, ClientKind, ClientTable, ServerState};
use crate::keyspace::Db;
use crate::node::CpuTimes;
use crate::node::Millis;
use crate::server::config::Key;
use std::borrow::Cow;
use std::fmt::Write;

/// What a section renderer can see.
pub struct InfoCtx<'a> {
    pub srv: &'a ServerState,
    /// Every client but the caller.
    pub clients: &'a ClientTable,
    /// The client running INFO, if any (it is not in `clients` while it runs).
    pub caller: Option<&'a Client>,
    pub now: Millis,
}

impl<'a> InfoCtx<'a> {
    /// All clients, caller included.
    pub fn all_clients(&self) -> impl Iterator<Item = &'a Client> + '_ {
        self.clients.values().map(|c| &**c).chain(self.caller)
    }
}

/// Appends a section's lines (no header) to the string.
pub type SectionFn = fn(&InfoCtx, &mut String);

#[derive(Clone)]
pub struct Section {
    /// Lower-case name as given to INFO.
    pub name: &'static str,
    /// Header text after `# `.
    pub title: Cow<'static, str>,
    /// Part of plain `INFO` / `INFO default`.
    pub default: bool,
    /// Part of `INFO all` (everything is part of `INFO everything`).
    pub in_all: bool,
    pub render: SectionFn,
}

/// The ordered list of INFO sections of a node.
#[derive(Clone)]
pub struct Sections {
    pub list: Vec<Section>,
}

impl Section {
    /// A section that is part of `INFO`, `INFO default` and `INFO all` when
    /// `default` is set, of `INFO all` only otherwise.
    pub fn new(name: &'static str, title: &'static str, default: bool, render: SectionFn) -> Self {
        Section {
            name,
            title: Cow::Borrowed(title),
            default,
            in_all: true,
            render,
        }
    }
}

impl Default for Sections {
    fn default() -> Self {
        let s = Section::new;
        Sections {
            list: vec![
                s("server", "Server", true, server),
                s("clients", "Clients", true, clients),
                s("memory", "Memory", true, memory),
                s("persistence", "Persistence", true, persistence),
                s("stats", "Stats", true, stats),
                s("replication", "Replication", true, replication),
                s("cpu", "CPU", true, cpu),
                s("modules", "Modules", true, empty),
                s("commandstats", "Commandstats", false, commandstats),
                s("errorstats", "Errorstats", true, errorstats),
                s("latencystats", "Latencystats", false, latencystats),
                s("cluster", "Cluster", true, cluster),
                s("keyspace", "Keyspace", true, keyspace),
            ],
        }
    }
}

impl Sections {
    /// Replace (or add, before `keyspace`) the renderer of a section.
    pub fn replace(&mut self, name: &'static str, render: SectionFn) {
        if let Some(s) = self.list.iter_mut().find(|s| s.name == name) {
            s.render = render;
        } else {
            let mut title = name.to_string();
            if let Some(f) = title.get_mut(0..1) {
                f.make_ascii_uppercase();
            }
            let pos = self.list.len().saturating_sub(1);
            self.list.insert(
                pos,
                Section {
                    name,
                    title: Cow::Owned(title),
                    default: true,
                    in_all: true,
                    render,
                },
            );
        }
    }

    /// `INFO [section ...]`: `args` are the section arguments (may be empty).
    pub fn render(&self, ctx: &InfoCtx, args: &[String]) -> String {
        let args: Vec<String> = args.iter().map(|a| a.to_ascii_lowercase()).collect();
        let everything = args.iter().any(|a| a == "everything");
        let all = everything || args.iter().any(|a| a == "all");
        let default = args.is_empty() || args.iter().any(|a| a == "default");
        let mut out = String::new();
        for s in &self.list {
            let wanted = everything
                || (all && s.in_all)
                || (default && s.default)
                || args.iter().any(|a| a == s.name);
            if !wanted {
                continue;
            }
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            let _ = write!(out, "# {}\r\n", s.title);
            (s.render)(ctx, &mut out);
        }
        out
    }

    /// One section with its header, e.g. for tests or other modules.
    pub fn render_section(&self, name: &str, ctx: &InfoCtx) -> Option<String> {
        let s = self.list.iter().find(|s| s.name == name)?;
        let mut out = format!("# {}\r\n", s.title);
        (s.render)(ctx, &mut out);
        Some(out)
    }
}

/// Render one built-in or registered section (header included).
pub fn render_section(name: &str, ctx: &InfoCtx) -> Option<String> {
    ctx.srv.info_sections.render_section(name, ctx)
}

macro_rules! field {
    ($out:expr, $name:expr, $($arg:tt)*) => {{
        let _ = write!($out, "{}:", $name);
        let _ = write!($out, $($arg)*);
        $out.push_str("\r\n");
    }};
}

/// Redis's `bytesToHuman`.
pub fn bytes_to_human(n: u64) -> String {
    let d = n as f64;
    if n < 1024 {
        format!("{n}B")
    } else if n < 1024 * 1024 {
        format!("{:.2}K", d / 1024.0)
    } else if n < 1024 * 1024 * 1024 {
        format!("{:.2}M", d / (1024.0 * 1024.0))
    } else if n < 1024u64.pow(4) {
        format!("{:.2}G", d / 1024f64.powi(3))
    } else if n < 1024u64.pow(5) {
        format!("{:.2}T", d / 1024f64.powi(4))
    } else {
        format!("{:.2}P", d / 1024f64.powi(5))
    }
}

/// The process id: the host's, or on a host without processes (the
/// simulator, wasm) a stand-in derived from the run id, stable for a run.
pub fn process_id(srv: &ServerState) -> u64 {
    if let Some(pid) = srv.host.pid {
        return pid as u64;
    }
    let h = srv.run_id.get(0..4).unwrap_or("0");
    1000 + u64::from_str_radix(h, 16).unwrap_or(0) % 30000
}

/// What a host without an OS to name (the simulator, wasm) reports as `os`.
pub const SIMULATED_OS: &str = "simulated";

/// The allocator this build really uses: Rust's default global allocator is
/// the C library's malloc natively and dlmalloc in wasm.
pub fn mem_allocator(srv: &ServerState) -> &str {
    match &srv.host.mem_allocator {
        Some(a) => a,
        None if cfg!(target_arch = "wasm32") => "dlmalloc",
        None => "libc",
    }
}

/// The `server` section's identity of a server (`standalone`) or a sentinel,
/// from what the host told about the process.
pub fn identity<'a>(
    srv: &'a ServerState,
    mode: &'a str,
    config_file: &'a str,
) -> ServerIdentity<'a> {
    ServerIdentity {
        build_id: "0",
        mode,
        os: srv.host.os.as_deref().unwrap_or(SIMULATED_OS),
        monotonic_clock: "POSIX clock_gettime",
        multiplexing_api: "epoll",
        gcc_version: "0.0.0",
        process_id: process_id(srv),
        executable: srv.host.executable.as_deref().unwrap_or(""),
        config_file,
    }
}

/// What INFO's `server` section says about the build and the process, which a
/// server and a sentinel report differently.
pub struct ServerIdentity<'a> {
    pub build_id: &'a str,
    /// `standalone` or `sentinel`.
    pub mode: &'a str,
    pub os: &'a str,
    pub monotonic_clock: &'a str,
    pub multiplexing_api: &'a str,
    pub gcc_version: &'a str,
    pub process_id: u64,
    pub executable: &'a str,
    pub config_file: &'a str,
}

/// The `server` section's lines (no header), for a server or a sentinel.
pub fn server_section(srv: &ServerState, now: Millis, id: &ServerIdentity, out: &mut String) {
    let c = &srv.config;
    let up = srv.uptime_secs();
    field!(out, "redis_version", "{}", crate::REDIS_VERSION);
    field!(out, "redis_git_sha1", "00000000");
    field!(out, "redis_git_dirty", "0");
    field!(out, "redis_build_id", "{}", id.build_id);
    field!(out, "redis_mode", "{}", id.mode);
    field!(out, "os", "{}", id.os);
    field!(out, "arch_bits", "64");
    field!(out, "monotonic_clock", "{}", id.monotonic_clock);
    field!(out, "multiplexing_api", "{}", id.multiplexing_api);
    field!(out, "atomicvar_api", "c11-builtin");
    field!(out, "gcc_version", "{}", id.gcc_version);
    field!(out, "process_id", "{}", id.process_id);
    field!(out, "process_supervised", "no");
    field!(out, "run_id", "{}", srv.run_id);
    field!(out, "tcp_port", "{}", c.get(Key::PORT));
    field!(out, "server_time_usec", "{}", now.saturating_mul(1000));
    field!(out, "uptime_in_seconds", "{}", up);
    field!(out, "uptime_in_days", "{}", up / 86400);
    field!(out, "hz", "{}", c.get(Key::HZ));
    field!(out, "configured_hz", "{}", c.get(Key::HZ));
    field!(out, "lru_clock", "{}", (now / 1000) & ((1 << 24) - 1));
    field!(out, "executable", "{}", id.executable);
    field!(out, "config_file", "{}", id.config_file);
    field!(out, "io_threads_active", "0");
    if let Some(ms) = srv.shutdown_in_ms() {
        field!(out, "shutdown_in_milliseconds", "{ms}");
    }
}

fn server(ctx: &InfoCtx, out: &mut String) {
    let srv = ctx.srv;
    let config_file = srv.config.config_file.as_deref().unwrap_or("");
    server_section(srv, ctx.now, &identity(srv, "standalone", config_file), out);
}

/// Clients that INFO counts as connected (replicas are counted apart).
fn normal_clients(ctx: &InfoCtx) -> usize {
    ctx.all_clients()
        .filter(|c| c.kind != ClientKind::Replica)
        .count()
}

pub fn clients(ctx: &InfoCtx, out: &mut String) {
    let blocked = ctx
        .all_clients()
        .filter(|c| c.blocked.is_some() || c.postponed.is_some())
        .count();
    let in_timeout = ctx
        .all_clients()
        .filter(|c| c.blocked.as_ref().is_some_and(|b| b.deadline.is_some()))
        .count();
    field!(out, "connected_clients", "{}", normal_clients(ctx));
    field!(out, "cluster_connections", "0");
    field!(out, "maxclients", "{}", ctx.srv.config.get(Key::MAXCLIENTS));
    let (input, output) = ctx.srv.client_peaks.recent();
    field!(out, "client_recent_max_input_buffer", "{input}");
    field!(out, "client_recent_max_output_buffer", "{output}");
    field!(out, "blocked_clients", "{}", blocked);
    field!(out, "tracking_clients", "{}", ctx.srv.tracking.clients);
    field!(out, "clients_in_timeout_table", "{}", in_timeout);
}

fn memory(ctx: &InfoCtx, out: &mut String) {
    let c = &ctx.srv.config;
    let buffers = buffer_memory(ctx.all_clients(), ctx.srv);
    let UsedMemory {
        used,
        overhead,
        dataset,
        not_counted_for_evict,
    } = used_memory(&ctx.srv.dbs, &buffers);
    let peak = ctx.srv.mem_peak.bytes.max(used);
    let probe = ctx.srv.host.probe.as_deref();
    let AllocatorFigures {
        allocated,
        active,
        resident,
        rss,
    } = AllocatorFigures::of(used, probe);
    // 7.0 prints 0 when it cannot read the machine's memory.
    let system = probe.and_then(|p| p.total_system_memory()).unwrap_or(0);
    let backlog = buffers.backlog;
    let net = used.saturating_sub(STARTUP_MEMORY).max(1);
    let maxmemory = c.maxmemory();
    field!(out, "used_memory", "{}", used);
    field!(out, "used_memory_human", "{}", bytes_to_human(used));
    field!(out, "used_memory_rss", "{}", rss);
    field!(out, "used_memory_rss_human", "{}", bytes_to_human(rss));
    field!(out, "used_memory_peak", "{}", peak);
    field!(out, "used_memory_peak_human", "{}", bytes_to_human(peak));
    field!(
        out,
        "used_memory_peak_perc",
        "{:.2}%",
        used as f64 * 100.0 / peak as f64
    );
    field!(out, "used_memory_overhead", "{}", overhead);
    field!(out, "used_memory_startup", "{}", STARTUP_MEMORY);
    field!(out, "used_memory_dataset", "{}", dataset);
    field!(
        out,
        "used_memory_dataset_perc",
        "{:.2}%",
        dataset as f64 * 100.0 / net as f64
    );
    field!(out, "allocator_allocated", "{}", allocated);
    field!(out, "allocator_active", "{}", active);
    field!(out, "allocator_resident", "{}", resident);
    field!(out, "total_system_memory", "{}", system);
    field!(
        out,
        "total_system_memory_human",
        "{}",
        bytes_to_human(system)
    );
    let lua = ctx.srv.scripting.memory_figures();
    let vm_total = (lua.vm_eval + lua.vm_functions) as u64;
    let scripts = (lua.scripts_eval + lua.functions_memory) as u64;
    field!(out, "used_memory_lua", "{}", lua.vm_eval);
    field!(out, "used_memory_vm_eval", "{}", lua.vm_eval);
    field!(
        out,
        "used_memory_lua_human",
        "{}",
        bytes_to_human(lua.vm_eval as u64)
    );
    field!(out, "used_memory_scripts_eval", "{}", lua.scripts_eval);
    field!(out, "number_of_cached_scripts", "{}", lua.cached_scripts);
    field!(out, "number_of_functions", "{}", lua.functions);
    field!(out, "number_of_libraries", "{}", lua.libraries);
    field!(out, "used_memory_vm_functions", "{}", lua.vm_functions);
    field!(out, "used_memory_vm_total", "{}", vm_total);
    field!(
        out,
        "used_memory_vm_total_human",
        "{}",
        bytes_to_human(vm_total)
    );
    field!(out, "used_memory_functions", "{}", lua.functions_memory);
    field!(out, "used_memory_scripts", "{}", scripts);
    field!(
        out,
        "used_memory_scripts_human",
        "{}",
        bytes_to_human(scripts)
    );
    field!(out, "maxmemory", "{}", maxmemory);
    field!(out, "maxmemory_human", "{}", bytes_to_human(maxmemory));
    field!(out, "maxmemory_policy", "{}", c.get(Key::MAXMEMORY_POLICY));
    field!(
        out,
        "allocator_frag_ratio",
        "{:.2}",
        active as f64 / allocated as f64
    );
    field!(
        out,
        "allocator_frag_bytes",
        "{}",
        active as i64 - allocated as i64
    );
    field!(
        out,
        "allocator_rss_ratio",
        "{:.2}",
        resident as f64 / active as f64
    );
    field!(
        out,
        "allocator_rss_bytes",
        "{}",
        resident as i64 - active as i64
    );
    field!(
        out,
        "rss_overhead_ratio",
        "{:.2}",
        rss as f64 / resident as f64
    );
    field!(
        out,
        "rss_overhead_bytes",
        "{}",
        rss as i64 - resident as i64
    );
    field!(
        out,
        "mem_fragmentation_ratio",
        "{:.2}",
        rss as f64 / used as f64
    );
    field!(
        out,
        "mem_fragmentation_bytes",
        "{}",
        rss as i64 - used as i64
    );
    field!(
        out,
        "mem_not_counted_for_evict",
        "{}",
        not_counted_for_evict
    );
    field!(out, "mem_replication_backlog", "{}", backlog);
    field!(
        out,
        "mem_total_replication_buffers",
        "{}",
        backlog + buffers.replica_output
    );
    field!(out, "mem_clients_slaves", "{}", buffers.clients_replicas);
    field!(out, "mem_clients_normal", "{}", buffers.clients_normal);
    field!(out, "mem_cluster_links", "0");
    field!(out, "mem_aof_buffer", "{}", ctx.srv.aof.buf.len());
    field!(out, "mem_allocator", "{}", mem_allocator(ctx.srv));
    field!(out, "active_defrag_running", "0");
    field!(
        out,
        "lazyfree_pending_objects",
        "{}",
        ctx.srv.lazyfree.pending()
    );
    field!(out, "lazyfreed_objects", "{}", ctx.srv.lazyfree.freed);
}

fn persistence(ctx: &InfoCtx, out: &mut String) {
    let srv = ctx.srv;
    field!(
        out,
        "loading",
        "{}",
        (srv.loading && !srv.async_loading) as u8
    );
    field!(out, "async_loading", "{}", srv.async_loading as u8);
    // A running job's copy-on-write figures and progress (the child's).
    let running = srv.bgsave_job.is_some() || srv.aof.rewrite.is_some();
    let cow = &srv.forks.cow;
    let (peak, size, age) = match running {
        true if cow.updated > 0 => (
            cow.peak,
            cow.current,
            srv.now.saturating_sub(cow.updated) / 1000,
        ),
        _ => (0, 0, 0),
    };
    field!(out, "current_cow_peak", "{}", peak);
    field!(out, "current_cow_size", "{}", size);
    field!(out, "current_cow_size_age", "{}", age);
    let job = srv
        .bgsave_job
        .as_ref()
        .map(|b| &b.job)
        .or_else(|| srv.aof.rewrite.as_ref().and_then(|r| r.job.as_ref()));
    let (processed, total) = job.map_or((0, 0), |j| (j.keys_written, j.keys_total));
    let perc = match total {
        0 => 0.0,
        t => processed as f64 * 100.0 / t as f64,
    };
    field!(out, "current_fork_perc", "{:.2}", perc);
    field!(out, "current_save_keys_processed", "{}", processed);
    field!(out, "current_save_keys_total", "{}", total);
    field!(out, "rdb_changes_since_last_save", "{}", srv.dirty);
    field!(
        out,
        "rdb_bgsave_in_progress",
        "{}",
        srv.bgsave_job.is_some() as u8
    );
    field!(out, "rdb_last_save_time", "{}", srv.lastsave);
    let status = if srv.persist.last_bgsave_ok {
        "ok"
    } else {
        "err"
    };
    field!(out, "rdb_last_bgsave_status", "{}", status);
    field!(
        out,
        "rdb_last_bgsave_time_sec",
        "{}",
        srv.persist.last_bgsave_secs
    );
    let current = srv
        .bgsave_job
        .as_ref()
        .map_or(-1, |b| (srv.now.saturating_sub(b.started) / 1000) as i64);
    field!(out, "rdb_current_bgsave_time_sec", "{}", current);
    field!(out, "rdb_saves", "{}", srv.persist.saves);
    field!(out, "rdb_last_cow_size", "{}", srv.forks.rdb_last_cow);
    let (loaded, expired) = srv.last_load_keys;
    field!(out, "rdb_last_load_keys_expired", "{}", expired);
    field!(out, "rdb_last_load_keys_loaded", "{}", loaded);
    srv.aof_info(out);
    field!(out, "module_fork_in_progress", "0");
    field!(out, "module_fork_last_cow_size", "0");
    srv.aof_info_sizes(out);
    if srv.loading {
        loading_info(srv, out);
    }
}

/// The progress of a load (the end of genRedisInfoString's persistence).
fn loading_info(srv: &ServerState, out: &mut String) {
    let p = &srv.load_progress;
    let (mut perc, mut remaining) = (0.0f64, 1i64);
    if p.total_bytes > 0 {
        perc = p.loaded_bytes as f64 / p.total_bytes as f64 * 100.0;
        remaining = p.total_bytes as i64 - p.loaded_bytes as i64;
    } else if p.rdb_used_mem > 0 {
        // used-mem only estimates the file's size: never past 100%.
        perc = (p.loaded_bytes as f64 / p.rdb_used_mem as f64 * 100.0).min(99.99);
        remaining = (p.rdb_used_mem as i64 - p.loaded_bytes as i64).max(1);
    }
    let elapsed = (srv.now / 1000).saturating_sub(p.start_time) as i64;
    let eta = if elapsed == 0 {
        1
    } else {
        elapsed * remaining / (p.loaded_bytes as i64 + 1)
    };
    field!(out, "loading_start_time", "{}", p.start_time);
    field!(out, "loading_total_bytes", "{}", p.total_bytes);
    field!(out, "loading_rdb_used_mem", "{}", p.rdb_used_mem);
    field!(out, "loading_loaded_bytes", "{}", p.loaded_bytes);
    field!(out, "loading_loaded_perc", "{:.2}", perc);
    field!(out, "loading_eta_seconds", "{}", eta);
}

fn stats(ctx: &InfoCtx, out: &mut String) {
    stats_section(ctx.srv, out);
}

/// The `stats` section's lines (no header), of a server or a sentinel.
pub fn stats_section(srv: &ServerState, out: &mut String) {
    macro_rules! stat {
        ($name:expr, $($arg:tt)*) => {
            field!(out, $name, $($arg)*);
        };
    }
    let s = &srv.stats;
    let r = &srv.repl;
    stat!(
        "total_connections_received",
        "{}",
        s.total_connections_received
    );
    stat!("total_commands_processed", "{}", s.total_commands_processed);
    let inst = &srv.instantaneous;
    let kbps = |m: &crate::server::metrics::Metric| m.per_sec() as f32 / 1024.0;
    stat!("instantaneous_ops_per_sec", "{}", inst.ops.per_sec());
    stat!(
        "total_net_input_bytes",
        "{}",
        s.net_input_bytes + s.net_repl_input_bytes
    );
    stat!(
        "total_net_output_bytes",
        "{}",
        s.net_output_bytes + s.net_repl_output_bytes
    );
    stat!("total_net_repl_input_bytes", "{}", s.net_repl_input_bytes);
    stat!("total_net_repl_output_bytes", "{}", s.net_repl_output_bytes);
    stat!("instantaneous_input_kbps", "{:.2}", kbps(&inst.net_input));
    stat!("instantaneous_output_kbps", "{:.2}", kbps(&inst.net_output));
    stat!(
        "instantaneous_input_repl_kbps",
        "{:.2}",
        kbps(&inst.repl_input)
    );
    stat!(
        "instantaneous_output_repl_kbps",
        "{:.2}",
        kbps(&inst.repl_output)
    );
    stat!("rejected_connections", "{}", s.rejected_connections);
    stat!("sync_full", "{}", r.sync_full);
    stat!("sync_partial_ok", "{}", r.sync_partial_ok);
    stat!("sync_partial_err", "{}", r.sync_partial_err);
    stat!("expired_keys", "{}", s.expired_keys);
    stat!("expired_stale_perc", "0.00");
    stat!("expired_time_cap_reached_count", "0");
    stat!("expire_cycle_cpu_milliseconds", "0");
    stat!("evicted_keys", "{}", s.evicted_keys);
    stat!("evicted_clients", "{}", s.evicted_clients);
    let now = srv.now;
    stat!(
        "total_eviction_exceeded_time",
        "{}",
        srv.eviction.total_exceeded_ms(now)
    );
    stat!(
        "current_eviction_exceeded_time",
        "{}",
        srv.eviction.current_exceeded_ms(now)
    );
    stat!("keyspace_hits", "{}", s.keyspace_hits);
    stat!("keyspace_misses", "{}", s.keyspace_misses);
    stat!("pubsub_channels", "{}", srv.channels.len());
    stat!("pubsub_patterns", "{}", srv.patterns.len());
    stat!("pubsubshard_channels", "0");
    stat!("latest_fork_usec", "0");
    stat!("total_forks", "{}", srv.forks.total);
    stat!("migrate_cached_sockets", "{}", srv.migrate_sockets.len());
    stat!("slave_expires_tracked_keys", "0");
    stat!("active_defrag_hits", "0");
    stat!("active_defrag_misses", "0");
    stat!("active_defrag_key_hits", "0");
    stat!("active_defrag_key_misses", "0");
    stat!("total_active_defrag_time", "0");
    stat!("current_active_defrag_time", "0");
    stat!("tracking_total_keys", "{}", srv.tracking.total_keys());
    stat!("tracking_total_items", "{}", srv.tracking.total_items());
    stat!(
        "tracking_total_prefixes",
        "{}",
        srv.tracking.total_prefixes()
    );
    stat!("unexpected_error_replies", "{}", s.unexpected_error_replies);
    stat!("total_error_replies", "{}", s.total_error_replies);
    stat!("dump_payload_sanitizations", "0");
    stat!("total_reads_processed", "{}", s.total_reads_processed);
    stat!("total_writes_processed", "{}", s.total_writes_processed);
    stat!("io_threaded_reads_processed", "0");
    stat!("io_threaded_writes_processed", "0");
    stat!("reply_buffer_shrinks", "{}", srv.reply_buffers.shrinks);
    stat!("reply_buffer_expands", "{}", srv.reply_buffers.expands);
}

/// The replication section, rendered by the replication module.
pub fn replication(ctx: &InfoCtx, out: &mut String) {
    out.push_str(&crate::replication::info::section(ctx.srv));
}

/// `# CPU`: the host's getrusage figures; a host without a CPU to measure
/// (the simulator, wasm) reports zeros.
pub fn cpu(ctx: &InfoCtx, out: &mut String) {
    let t = ctx
        .srv
        .host
        .probe
        .as_ref()
        .and_then(|p| p.cpu())
        .unwrap_or_default();
    let CpuTimes {
        sys,
        user,
        sys_children,
        user_children,
        sys_main_thread,
        user_main_thread,
    } = t;
    field!(out, "used_cpu_sys", "{sys:.6}");
    field!(out, "used_cpu_user", "{user:.6}");
    field!(out, "used_cpu_sys_children", "{sys_children:.6}");
    field!(out, "used_cpu_user_children", "{user_children:.6}");
    field!(out, "used_cpu_sys_main_thread", "{sys_main_thread:.6}");
    field!(out, "used_cpu_user_main_thread", "{user_main_thread:.6}");
}

fn empty(_ctx: &InfoCtx, _out: &mut String) {}

fn commandstats(ctx: &InfoCtx, out: &mut String) {
    ctx.srv.calls.render_commands(out);
}

fn errorstats(ctx: &InfoCtx, out: &mut String) {
    ctx.srv.calls.render_errors(out);
}

fn latencystats(ctx: &InfoCtx, out: &mut String) {
    let text = ctx.srv.config.get(Key::LATENCY_TRACKING_INFO_PERCENTILES);
    let percentiles = super::cmdstats::parse_percentiles(text).unwrap_or_default();
    ctx.srv.calls.render_latency(&percentiles, out);
}

fn cluster(_ctx: &InfoCtx, out: &mut String) {
    field!(out, "cluster_enabled", "0");
}

/// Average remaining TTL (ms) of the keys with an expire, as Redis estimates it.
fn avg_ttl(db: &Db, now: Millis) -> u64 {
    let mut sum: u128 = 0;
    let mut n: u128 = 0;
    for (_, &at) in db.expires().iter() {
        if at > now {
            sum += (at - now) as u128;
            n += 1;
        }
    }
    sum.checked_div(n).unwrap_or(0) as u64
}

fn keyspace(ctx: &InfoCtx, out: &mut String) {
    for (i, db) in ctx.srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "db{}:keys={},expires={},avg_ttl={}\r\n",
            i,
            db.len(),
            db.expires().len(),
            avg_ttl(db, ctx.now)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human() {
        assert_eq!(bytes_to_human(200), "200B");
        assert_eq!(bytes_to_human(941088), "919.03K");
        assert_eq!(bytes_to_human(6615040), "6.31M");
        assert_eq!(bytes_to_human(25276063744), "23.54G");
    }
}
