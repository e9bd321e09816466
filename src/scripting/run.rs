//! One script run: 7.0's scriptPrepareForRun checks, the script's own
//! client, `redis.call` through the normal `Server::call` (scriptCall's
//! checks first), the reply, and the effects wrapped for replicas.

use super::convert::{error_table, error_text, frame_to_lua, lua_to_reply};
use super::shebang::flag;
use crate::acl::selector::Denial;
use crate::commands::{container, flags, Error};
use crate::node::{Addr, LogLevel};
use crate::replication::LinkState;
use crate::resp::Frame;
use crate::server::{command_table, Client, ClientKind, Key, Propagated, Server};
use bytes::Bytes;
use mlua::{Function, Lua, Table, Value};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::SCRIPT_CONN;

/// What the caller asked to run.
pub struct Invocation<'a> {
    pub func: Function,
    /// The script's flags (shebang or `register_function`).
    pub flags: u32,
    /// The name errors and logs give (`<sha>` for EVAL, the function's name).
    pub name: String,
    pub keys: &'a [Bytes],
    pub args: &'a [Bytes],
    /// EVAL_RO / EVALSHA_RO / FCALL_RO.
    pub ro: bool,
    /// EVAL (globals KEYS / ARGV) rather than FCALL (arguments).
    pub eval: bool,
    /// The whole EVAL / FCALL, for the ACL LOG's client-info.
    pub argv: &'a [Bytes],
}

/// The state of a running script that `redis.*` functions use.
struct RunState<'s> {
    server: &'s mut Server,
    vm: &'s super::engine::Vm,
    inv: &'s Invocation<'s>,
    /// The busy-script check of this run (none without a threshold).
    timeout: Option<Timeout>,
    /// Boxed: it moves in and out of the run's state.
    client: Box<Client>,
    read_only: bool,
    allow_oom: bool,
    /// A write command ran: later ones are not refused on server state.
    write_dirty: bool,
    /// `redis.set_repl` flags (1 AOF, 2 replicas).
    repl: u8,
    caller_is_master: bool,
    oom_at_start: bool,
    /// Commands ACL refused, logged once the script ends: the entries name
    /// the calling client, which the script does not hold.
    acl_denials: Vec<(Denial, &'static crate::commands::CommandDef, Vec<Bytes>)>,
    /// A read-only command ran: the caller tracks the script's keys.
    read_ran: bool,
    /// The Lua debugger's session (SCRIPT DEBUG SYNC), if the run is debugged.
    ldb: Option<Rc<RefCell<super::ldb::Session>>>,
}

/// The caller's replica state is stale (link down, stale data refused).
fn running_stale(server: &Server) -> bool {
    let st = &server.st;
    st.repl.is_replica()
        && !st.config.get_bool(Key::REPLICA_SERVE_STALE_DATA)
        && st
            .repl
            .link
            .as_ref()
            .is_some_and(|l| l.state != LinkState::Connected)
}

fn not_enough_replicas(server: &Server) -> bool {
    let st = &server.st;
    let min = st.config.min_replicas_to_write();
    let lag = st.config.get_i64(Key::MIN_REPLICAS_MAX_LAG);
    !st.repl.is_replica()
        && min > 0
        && lag > 0
        && (st.repl.good_replicas(st.now, lag as u64) as i64) < min
}

/// scriptPrepareForRun's refusals.
fn prepare(server: &mut Server, c: &Client, inv: &Invocation, oom: bool) -> Result<(), Error> {
    let obey = c.kind == ClientKind::Master;
    let stale = running_stale(server);
    if inv.flags & flag::EVAL_COMPAT_MODE != 0 {
        if stale {
            return Err(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
                    .into(),
            );
        }
        return Ok(());
    }
    if stale && inv.flags & flag::ALLOW_STALE == 0 {
        return Err("MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.".into());
    }
    if inv.flags & flag::NO_WRITES == 0 {
        let st = &server.st;
        if st.repl.is_replica() && st.config.get_bool(Key::REPLICA_READ_ONLY) && !obey {
            return Err("READONLY Can not run script with write flag on readonly replica".into());
        }
        if let Some(err) = server.st.disk_error().filter(|_| !obey) {
            return Err(err.script_error().into());
        }
        if inv.ro {
            return Err("ERR Can not execute a script with write flag using *_ro command.".into());
        }
        if not_enough_replicas(server) {
            return Err("NOREPLICAS Not enough good replicas to write.".into());
        }
    }
    if oom && inv.flags & (flag::ALLOW_OOM | flag::NO_WRITES) == 0 {
        return Err("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'".into());
    }
    Ok(())
}

/// Run `inv` for caller `c`, replying to `c`.
pub fn run(server: &mut Server, c: &mut Client, inv: Invocation) {
    let inv_argv = inv.argv;
    // processCommand evicts (and notes an OOM state) before any command
    // when maxmemory is set.
    let oom = server.st.config.maxmemory() > 0
        && server.perform_evictions() == crate::server::eviction::Evict::Fail;
    if let Err(e) = prepare(server, c, &inv, oom) {
        server.st.count_error(&e.0);
        c.reply.error(&e.0);
        return;
    }
    let Some(vm) = server.st.scripting.run_vm(inv.eval) else {
        c.reply.error("ERR scripting engine failed to start");
        return;
    };
    let compat = inv.flags & flag::EVAL_COMPAT_MODE != 0;
    let now = server.st.now;
    // The script's client lives on between runs, as 7.0's lua_client does
    // (making and dropping one cost more than a small script's run).
    let mut client = server
        .st
        .scripting
        .client
        .take()
        .filter(|cl| reusable(cl))
        .unwrap_or_else(|| {
            Box::new(Client::new(
                0,
                SCRIPT_CONN,
                Addr::new("lua", 0),
                Addr::new("lua", 0),
                now,
            ))
        });
    client.created = now;
    client.last_interaction = now;
    client.reply.resp = 2;
    client.db = c.db;
    // The script's commands run as the caller's user (ACL checks, ACL LOG).
    if client.user != c.user {
        client.user = c.user.clone();
    }
    client.in_exec = true;
    client.kind = ClientKind::Normal;
    let feed_start = server.st.repl_feed.len();
    let ldb = if inv.eval {
        server.st.scripting.ldb.clone()
    } else {
        None
    };
    let state = RefCell::new(RunState {
        server,
        vm: &vm,
        inv: &inv,
        timeout: None,
        client,
        read_only: inv.ro || (!compat && inv.flags & flag::NO_WRITES != 0),
        allow_oom: !compat && inv.flags & flag::ALLOW_OOM != 0,
        write_dirty: false,
        repl: 3,
        caller_is_master: c.kind == ClientKind::Master,
        oom_at_start: oom,
        acl_denials: Vec::new(),
        read_ran: false,
        ldb,
    });
    state.borrow_mut().server.st.script_caller = Some(c.id);
    let outcome = run_in_vm(&vm, &state, &inv);
    let mut state = state.into_inner();
    state.server.st.script_caller = None;
    state.server.st.busy = None;
    if state.read_ran {
        // 7.0's call(): a script's read makes its caller remember the keys
        // the EVAL / FCALL declared.
        let keys = inv.keys.iter().cloned();
        state.server.st.tracking.remember(c, keys);
    }
    let script_resp = state.client.reply.resp;
    for (denial, cmd, argv) in std::mem::take(&mut state.acl_denials) {
        crate::acl::log::record_script_denial(
            &mut state.server.st,
            c,
            inv_argv,
            denial,
            cmd,
            &argv,
        );
    }
    let server = state.server;
    state.client.reply.buf.clear();
    server.st.scripting.client = Some(state.client);
    let mut errors = Vec::new();
    let reply_before = c.reply.len();
    match outcome {
        Ok((true, v)) => {
            if let Err(e) = lua_to_reply(&v, &mut c.reply, script_resp, &mut errors) {
                c.reply
                    .error(&format!("ERR {}", super::engine::lua_message(&e)));
            }
        }
        Ok((false, err)) => {
            let (msg, counted) = failure_text(&err, &inv.name);
            c.reply.error(&msg);
            if counted {
                errors.push(msg);
            }
        }
        Err(e) => {
            let msg = format!(
                "ERR Error running script {}, {:.100}",
                inv.name,
                super::engine::lua_message(&e)
            );
            c.reply.error(&msg);
            errors.push(msg);
        }
    }
    if errors.is_empty() && c.reply.buf.get(reply_before) == Some(&b'-') {
        server.st.calls.force_failed = true;
    }
    for e in errors {
        server.st.count_error(&e);
    }
    // The effects go to replicas as one transaction (propagatePendingCommands);
    // inside MULTI the EXEC around the caller does it.
    if !c.in_exec {
        crate::server::wrap_in_transaction(&mut server.st.repl_feed, feed_start);
    }
}

/// Whether the script client of the last run can serve the next as it is:
/// scripts cannot run the commands that would leave state on it (MULTI,
/// WATCH, SUBSCRIBE, CLIENT ... are `noscript`), but a fresh one is made
/// should anything be left.
fn reusable(cl: &Client) -> bool {
    cl.reply.buf.is_empty()
        && cl.pushes.buf.is_empty()
        && cl.name.is_none()
        && cl.multi.is_none()
        && cl.watched.is_empty()
        && cl.channels.is_empty()
        && cl.patterns.is_empty()
        && cl.shard_channels.is_empty()
        && cl.blocked.is_none()
        && cl.postponed.is_none()
        && cl.tracking.is_none()
        && !cl.monitor
        && !cl.dirty_cas
        && !cl.close_after_reply
        && !cl.no_reply
        && matches!(cl.reply_mode, crate::server::client::ReplyMode::On)
}

/// The text of a failed run (luaCallFunction) and whether it counts as a
/// new error (a failed `redis.call` was counted when its command failed).
fn failure_text(err: &Value, name: &str) -> (String, bool) {
    let Value::Table(t) = err else {
        let m = match err {
            Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            _ => "execution failure".into(),
        };
        return (format!("ERR Error running script {name}, {m:.100}"), true);
    };
    let get = |k: &str| -> Option<String> {
        match t.raw_get::<Value>(k).ok()? {
            Value::String(s) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Number(n) => Some(crate::resp::format_double(n)),
            _ => None,
        }
    };
    let mut msg = get("err").unwrap_or_default();
    if let (Some(source), Some(line)) = (get("source"), get("line")) {
        msg = format!("{msg} script: {name}, on {source}:{line}.");
    }
    let ignore = matches!(
        t.raw_get::<Value>("ignore_error_stats_update"),
        Ok(Value::Boolean(true))
    );
    (msg, !ignore)
}

/// The run in progress, where the VM's hook functions (`call`, `log`,
/// `acl_check_cmd`, `setresp`, `set_repl`, `running`; made once per VM by
/// [`install_hooks`]) find it: a pointer to the run's `RefCell<RunState>`,
/// null between runs. Made once rather than per run (7.0 also registers its
/// C functions once): building and dropping them for every run cost more
/// than a small script itself.
#[derive(Default)]
pub struct RunSlot {
    state: Cell<*const ()>,
    installed: Cell<bool>,
    /// Which hook the VM has now.
    hook: Cell<Hook>,
    /// The host's clock for the busy check, asked once.
    clock: std::cell::OnceCell<Option<Rc<dyn Fn() -> u64>>>,
    /// The VM's memory after its last full collection.
    gc_floor: Cell<usize>,
    /// `redis.call`'s recent arguments and commands.
    pub args: super::args::ArgCache,
    /// The address of the VM's main thread (a script's own; coroutines
    /// are others).
    pub main: Cell<usize>,
}

/// The hook a VM has installed.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Hook {
    #[default]
    None,
    /// The busy check ([`install_count_hook`]).
    Count,
    /// Another one (the debugger's, a killed script's, FUNCTION LOAD's).
    Other,
}

impl RunSlot {
    /// Someone else set or removed the VM's hook (FUNCTION LOAD's time limit).
    pub fn hook_replaced(&self) {
        self.hook.set(Hook::Other);
    }
}

/// Puts a run's state in the slot and takes it out again however the run
/// ends (the pointer must not outlive the state).
struct Entered<'a> {
    slot: &'a RunSlot,
    prev: *const (),
}

impl<'a> Entered<'a> {
    fn new(slot: &'a RunSlot, state: &RefCell<RunState>) -> Entered<'a> {
        let prev = slot
            .state
            .replace(state as *const RefCell<RunState> as *const ());
        Entered { slot, prev }
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.slot.state.set(self.prev);
    }
}

/// `f` on the running script's state, or `None` between runs.
fn with_run<R>(slot: &RunSlot, f: impl FnOnce(&RefCell<RunState<'static>>) -> R) -> Option<R> {
    let p = slot.state.get();
    if p.is_null() {
        return None;
    }
    // SAFETY: only `Entered` sets the pointer, to a state that outlives it,
    // and resets it when dropped; the state is used only for this call and
    // its lifetime is not kept beyond it.
    let state = unsafe { &*(p as *const RefCell<RunState<'static>>) };
    Some(f(state))
}

/// The hook functions runs use, made once per VM.
fn install_hooks(lua: &Lua, hooks: &Table, slot: &Rc<RunSlot>) -> mlua::Result<()> {
    let s = slot.clone();
    hooks.raw_set(
        "call",
        lua.create_function(move |lua, argv: mlua::LightUserData| {
            // SAFETY: only `redis_call_raw` calls this hook, with its box.
            let argv = unsafe { super::engine::take_argv(argv) };
            match with_run(&s, |state| script_call(&mut state.borrow_mut(), lua, argv)) {
                Some(r) => r,
                None => Ok((
                    true,
                    Value::Table(error_table(
                        lua,
                        "redis.call/pcall can only be called inside a script invocation",
                    )?),
                )),
            }
        })?,
    )?;
    let s = slot.clone();
    hooks.raw_set(
        "log",
        lua.create_function(move |_, (level, msg): (i64, mlua::String)| {
            let level = match level {
                0 => LogLevel::Debug,
                1 => LogLevel::Verbose,
                2 => LogLevel::Notice,
                _ => LogLevel::Warning,
            };
            // Between runs (a library's load) nothing is logged.
            with_run(&s, |state| {
                let msg = String::from_utf8_lossy(&msg.as_bytes()).into_owned();
                state.borrow_mut().server.st.log(level, msg);
            });
            Ok(())
        })?,
    )?;
    let s = slot.clone();
    hooks.raw_set(
        "acl_check_cmd",
        lua.create_function(move |lua, parts: mlua::Variadic<Value>| {
            // luaRedisAclCheckCmdPermissionsCommand: the caller's user's
            // permission (a string is an error to raise).
            let mut argv = Vec::with_capacity(parts.len());
            for p in parts.iter() {
                match p {
                    Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
                    Value::Integer(n) => argv.push(Bytes::from(n.to_string())),
                    Value::Number(n) => argv.push(Bytes::from(crate::resp::format_double(*n))),
                    _ => {
                        return Ok(Value::String(lua.create_string(
                            "Lua redis lib command arguments must be strings or integers",
                        )?))
                    }
                }
            }
            let table = with_run(&s, |state| state.borrow().server.st.table);
            let Some(cmd) = table.unwrap_or_else(command_table).get(&argv[0]) else {
                return Ok(Value::String(lua.create_string(
                    "Invalid command passed to redis.acl_check_cmd()",
                )?));
            };
            let ok = with_run(&s, |state| {
                let st = state.borrow();
                st.server.st.acl.check(&st.client.user, cmd, &argv).is_ok()
            });
            Ok(Value::Boolean(ok.unwrap_or(false)))
        })?,
    )?;
    let s = slot.clone();
    hooks.raw_set(
        "setresp",
        lua.create_function(move |_, resp: u8| {
            with_run(&s, |state| state.borrow_mut().client.reply.resp = resp);
            Ok(())
        })?,
    )?;
    let s = slot.clone();
    hooks.raw_set(
        "set_repl",
        lua.create_function(move |_, repl: u8| {
            with_run(&s, |state| state.borrow_mut().repl = repl);
            Ok(())
        })?,
    )?;
    let s = slot.clone();
    hooks.raw_set(
        "running",
        lua.create_function(move |_, ()| Ok(!s.state.get().is_null()))?,
    )?;
    slot.installed.set(true);
    Ok(())
}

fn run_in_vm(
    vm: &super::engine::Vm,
    state: &RefCell<RunState>,
    inv: &Invocation,
) -> mlua::Result<(bool, Value)> {
    let (lua, hooks, globals, slot) = (&vm.lua, &vm.hooks, &vm.globals, &vm.run_slot);
    if !slot.installed.get() {
        install_hooks(lua, &vm.hooks, slot)?;
    }
    let debugged = state.borrow().ldb.is_some();
    if debugged {
        // A debugged script has the debugger's hook instead (its count
        // events stop the script past the time limit).
        install_ldb_hook(lua, hooks.clone())?;
        slot.hook.set(Hook::Other);
    } else {
        // The busy check's hook stays installed between runs (7.0 sets its
        // C hook per run, which costs nothing there; an mlua hook is a
        // boxed closure): only a change of threshold or another hook
        // (the debugger's, FUNCTION LOAD's) makes us set it again.
        let timeout = Timeout::new(&state.borrow(), slot);
        let wanted = timeout.is_some();
        state.borrow_mut().timeout = timeout;
        match (wanted, slot.hook.get()) {
            (true, Hook::Count) | (false, Hook::None) => {}
            (true, _) => {
                install_count_hook(lua, slot)?;
                slot.hook.set(Hook::Count);
            }
            (false, _) => {
                lua.remove_hook();
                slot.hook.set(Hook::None);
            }
        }
    }
    let args = super::engine::RunArgs {
        keys: inv.keys,
        args: inv.args,
        eval: inv.eval,
    };
    let result = {
        let _entered = Entered::new(slot, state);
        let call = || {
            let p = mlua::LightUserData(&args as *const super::engine::RunArgs as *mut _);
            vm.run_script
                .call::<(bool, Value)>((&vm.runner, &inv.func, globals, p))
        };
        if debugged {
            // The debugger's hook borrows this run's globals: made per
            // run (garbage until the next collection), only when debugged.
            lua.scope(|scope| {
                hooks.raw_set(
                    "ldb",
                    scope.create_function(|lua, (line, count): (i64, bool)| {
                        ldb_line(state, lua, globals, line, count)
                            .map_err(mlua::Error::RuntimeError)
                    })?,
                )?;
                call()
            })
        } else {
            call()
        }
    };
    if debugged {
        hooks.raw_set("ldb", Value::Nil)?;
    }
    if slot.hook.get() == Hook::Other {
        // The debugger's hook, or the one that stops a killed script.
        lua.remove_hook();
        slot.hook.set(Hook::None);
    }
    // 7.0 takes a collection step every 50 runs (LUA_GC_CYCLE_PERIOD). Our
    // sandbox's heap is larger than 7.0's (about 77 KB against 30 KB), so
    // Lua's own pacing (a cycle when the heap doubles) would show more in
    // used_memory_lua than 7.0 does: we collect fully once the garbage
    // since the last collection passes GC_SLACK, which a small script
    // reaches only after hundreds of runs.
    let used = lua.used_memory();
    if used > slot.gc_floor.get() + GC_SLACK {
        lua.gc_collect()?;
        slot.gc_floor.set(lua.used_memory());
    }
    let timeout = state.borrow_mut().timeout.take();
    if let Some(t) = timeout {
        let st = &mut state.borrow_mut().server.st;
        for line in t.logs.into_inner() {
            st.log(LogLevel::Warning, line);
        }
    }
    result
}

/// Garbage (bytes) the VM may hold before a collection.
const GC_SLACK: usize = 12 * 1024;

fn killed() -> mlua::Error {
    mlua::Error::RuntimeError("Script killed by user with SCRIPT KILL...".into())
}

/// Instructions between two looks at the clock (7.0's count hook period).
const HOOK_PERIOD: u32 = 100_000;

/// On a host that cannot serve other clients meanwhile, a script that has
/// not written runs at least this long before it is killed, whatever the
/// threshold says (see [`Timeout`]).
const KILL_FLOOR_MS: u64 = 5000;

/// The debugger's hook (luaLdbLineHook): every line of the script, and a
/// count event to notice a script running past the time limit.
fn install_ldb_hook(lua: &Lua, hooks: Table) -> mlua::Result<()> {
    lua.set_hook(
        mlua::HookTriggers::new()
            .every_line()
            .every_nth_instruction(HOOK_PERIOD),
        move |_, debug| {
            // Events outside the script (the sandbox's own code) do not stop.
            let ours = debug
                .source()
                .short_src
                .is_some_and(|s| s.contains("user_script"));
            if !ours {
                return Ok(mlua::VmState::Continue);
            }
            let count = matches!(debug.event(), mlua::DebugEvent::Count);
            let line = debug.current_line().map_or(0, |l| l as i64);
            let f: Function = hooks.raw_get("ldb")?;
            f.call::<()>((line, count))?;
            Ok(mlua::VmState::Continue)
        },
    )
}

/// One line of a debugged script (see `ldb::line_hook`).
fn ldb_line(
    state: &RefCell<RunState>,
    lua: &Lua,
    globals: &Table,
    line: i64,
    count: bool,
) -> Result<(), String> {
    let (ldb, conn, limit) = {
        let st = state.borrow();
        let Some(ldb) = st.ldb.clone() else {
            return Ok(());
        };
        let conn = ldb.borrow().conn;
        let busy = st.server.st.config.get_i64(Key::BUSY_REPLY_THRESHOLD);
        let limit = if busy > 0 { busy as u64 } else { 5000 };
        (ldb, conn, limit)
    };
    let io = super::ldb::ProbeIo {
        state,
        probe: |st: &RunState| st.server.st.host.probe.as_deref(),
        conn,
    };
    let now = || state.borrow().server.st.monotonic_us();
    super::ldb::line_hook(&ldb, lua, globals, &io, line, count, limit, &now)
}

/// What the timeout hook does after serving the other clients.
const BUSY_CONTINUE: u8 = 0;
/// SCRIPT KILL / FUNCTION KILL: the script stops.
const BUSY_KILLED: u8 = 1;
/// SHUTDOWN NOSAVE: the script stops, the node exits.
const BUSY_SHUTDOWN: u8 = 2;
/// The host cannot serve clients during a script.
const BUSY_UNSERVED: u8 = 3;

/// One round of the timed-out script mode (scriptInterrupt): the script is
/// marked busy and the other clients are served (`server::busy`).
fn serve_while_busy(state: &RefCell<RunState>, (started_us, elapsed_ms): (u64, u64)) -> u8 {
    // A hook inside a command the script runs: that command ends first.
    let Ok(mut guard) = state.try_borrow_mut() else {
        return BUSY_CONTINUE;
    };
    let st = &mut *guard;
    let inv = st.inv;
    let (wrote, caller_is_master) = (st.write_dirty, st.caller_is_master);
    let server = &mut *st.server;
    let serves = server
        .st
        .host
        .probe
        .as_ref()
        .is_some_and(|p| p.serves_while_busy());
    if !serves {
        return BUSY_UNSERVED;
    }
    if server.st.busy.is_none() {
        let command = if inv.eval {
            "SCRIPT KILL"
        } else {
            "FUNCTION KILL"
        };
        server.st.log(LogLevel::Warning, format!(
            "Slow script detected: still in execution after {elapsed_ms} milliseconds. You can try killing the script using the {command} command. Script name is: {}.",
            inv.name
        ));
    }
    let busy = server
        .st
        .busy
        .get_or_insert_with(|| crate::server::busy::BusyScript {
            eval: inv.eval,
            name: inv.name.clone(),
            command: inv.argv.to_vec(),
            started_us,
            wrote,
            caller_is_master,
            killed: false,
        });
    busy.wrote = wrote;
    // The other clients see the script's changes so far charged.
    settle_charges(server);
    server.serve_while_busy();
    if server.st.shutting_down {
        BUSY_SHUTDOWN
    } else if server.st.busy.as_ref().is_some_and(|b| b.killed) {
        server.st.log(
            LogLevel::Warning,
            "Lua script killed by user with SCRIPT KILL.",
        );
        BUSY_KILLED
    } else {
        BUSY_CONTINUE
    }
}

/// The busy-script check (luaMaskCountHook, scriptInterrupt). Past
/// `busy-reply-threshold` 7.0 logs the slow script and, every hook period,
/// serves the other clients (`-BUSY` but for SCRIPT KILL and the like) until
/// the script ends or is killed; so do we when the host can look at its
/// connections during a script (`HostProbe::busy_poll`). A host that cannot
/// (the simulator, wasm) would hang on a runaway loop: there, past the
/// threshold and [`KILL_FLOOR_MS`] both, the script is killed as SCRIPT KILL
/// would kill it (unless it already wrote, which 7.0 would refuse to kill
/// either).
struct Timeout {
    threshold_ms: u64,
    /// The host's clock; without one (the simulator) time is counted in
    /// instructions, one millisecond per hook period, so runs replay.
    clock: Option<Rc<dyn Fn() -> u64>>,
    /// The clock when the run started.
    start: u64,
    /// Hook periods so far.
    periods: Cell<u64>,
    slow_logged: Cell<bool>,
    kill_logged: Cell<bool>,
    /// Once the host could not serve clients it is not asked again.
    unserved: Cell<bool>,
    /// Log lines the hook made, written to the server's log after the run.
    logs: RefCell<Vec<String>>,
}

impl Timeout {
    fn new(st: &RunState, slot: &RunSlot) -> Option<Timeout> {
        let cfg = &st.server.st.config;
        let busy = cfg.get_i64(Key::BUSY_REPLY_THRESHOLD);
        // Two names for one setting in 7.0: whichever was changed.
        let threshold = if busy != 5000 {
            busy
        } else {
            cfg.get_i64(Key::LUA_TIME_LIMIT)
        };
        if threshold <= 0 {
            return None;
        }
        let clock = slot
            .clock
            .get_or_init(|| st.server.st.host.probe.as_ref().and_then(|p| p.clock()))
            .clone();
        Some(Timeout {
            threshold_ms: threshold as u64,
            start: clock.as_ref().map_or(0, |c| c()),
            clock,
            periods: Cell::new(0),
            slow_logged: Cell::new(false),
            kill_logged: Cell::new(false),
            unserved: Cell::new(false),
            logs: RefCell::new(Vec::new()),
        })
    }
}

/// The busy check's count hook, made once per VM: it finds the run in
/// progress in the slot (between runs it does nothing).
fn install_count_hook(lua: &Lua, slot: &Rc<RunSlot>) -> mlua::Result<()> {
    let s = slot.clone();
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(HOOK_PERIOD),
        move |lua, _| {
            with_run(&s, |state| busy_check(&s, state, lua)).unwrap_or(Ok(mlua::VmState::Continue))
        },
    )
}

/// One hook period of a run (luaMaskCountHook).
fn busy_check(slot: &RunSlot, state: &RefCell<RunState>, lua: &Lua) -> mlua::Result<mlua::VmState> {
    let (elapsed, start, unserved) = {
        // Inside a command the script runs: that command ends first.
        let Ok(st) = state.try_borrow() else {
            return Ok(mlua::VmState::Continue);
        };
        let Some(t) = &st.timeout else {
            return Ok(mlua::VmState::Continue);
        };
        t.periods.set(t.periods.get() + 1);
        let elapsed = match &t.clock {
            Some(c) => c().saturating_sub(t.start) / 1000,
            None => t.periods.get(),
        };
        if elapsed < t.threshold_ms {
            return Ok(mlua::VmState::Continue);
        }
        (elapsed, t.start, t.unserved.get())
    };
    let stop = |lua: &Lua| {
        // From now on every line raises, so a pcall cannot keep the
        // script alive (as 7.0's hook).
        slot.hook.set(Hook::Other);
        lua.set_hook(mlua::HookTriggers::EVERY_LINE, |_, _| Err(killed()))?;
        Err(killed())
    };
    let mut now_unserved = unserved;
    if !unserved {
        // The serving round logs the slow script itself, at once.
        match serve_while_busy(state, (start, elapsed)) {
            BUSY_CONTINUE => return Ok(mlua::VmState::Continue),
            BUSY_UNSERVED => now_unserved = true,
            _ => return stop(lua),
        }
    }
    let Ok(st) = state.try_borrow() else {
        return Ok(mlua::VmState::Continue);
    };
    let Some(t) = &st.timeout else {
        return Ok(mlua::VmState::Continue);
    };
    t.unserved.set(now_unserved);
    if !t.slow_logged.replace(true) {
        let command = if st.inv.eval {
            "SCRIPT KILL"
        } else {
            "FUNCTION KILL"
        };
        t.logs.borrow_mut().push(format!(
            "Slow script detected: still in execution after {elapsed} milliseconds. You can try killing the script using the {command} command. Script name is: {}.",
            st.inv.name
        ));
    }
    if st.write_dirty || elapsed < t.threshold_ms.max(KILL_FLOOR_MS) {
        return Ok(mlua::VmState::Continue);
    }
    if !t.kill_logged.replace(true) {
        t.logs
            .borrow_mut()
            .push("Lua script killed: it ran past busy-reply-threshold.".into());
    }
    drop(st);
    stop(lua)
}

/// A refusal of `redis.call` before the command runs: counted as the
/// command's rejected call, raised (or returned by pcall) as `{err=...}`.
fn refuse(
    st: &mut RunState,
    lua: &Lua,
    cmd: Option<&'static crate::commands::CommandDef>,
    argv: &[Bytes],
    msg: &str,
) -> mlua::Result<(bool, Value)> {
    if let Some(ldb) = st.ldb.as_ref().filter(|l| l.borrow().logging()) {
        ldb.borrow_mut().log(format!("<error> {msg}"));
    }
    let text = error_text(msg);
    st.server.st.count_error(&text);
    // Counted here, as 7.0's scriptCall does (incrCommandStatsOnError): the
    // EVAL fails only if its own reply is an error.
    st.server.st.calls.error_mark = st.server.st.stats.total_error_replies;
    if let Some(cmd) = cmd {
        st.server
            .st
            .calls
            .rejected(&container::full_name(cmd, argv));
    }
    let t = error_table(lua, msg)?;
    t.raw_set("ignore_error_stats_update", true)?;
    Ok((true, Value::Table(t)))
}

/// `redis.call` / `redis.pcall` through the hook (a call from a
/// coroutine): (is the reply an error, the Lua value).
fn script_call(st: &mut RunState, lua: &Lua, argv: Vec<Bytes>) -> mlua::Result<(bool, Value)> {
    if let Some(refused) = run_call(st, lua, &argv, None) {
        return refused;
    }
    // The buffer goes back emptied, so the next command reuses it.
    let mut reply = std::mem::take(&mut st.client.reply.buf);
    let resp = st.client.reply.resp;
    let is_err = reply.first() == Some(&b'-');
    log_reply(st, &reply);
    let value = reply_to_lua(lua, &reply, resp)?;
    reply.clear();
    st.client.reply.buf = reply;
    Ok((is_err, value))
}

/// The reply of a command as the debugger shows it.
fn log_reply(st: &RunState, reply: &[u8]) {
    if let Some(ldb) = st.ldb.as_ref().filter(|l| l.borrow().logging()) {
        let mut line = b"<reply> ".to_vec();
        super::ldb::reply_to_human(&mut line, reply);
        ldb.borrow_mut().log_trimmed(line);
    }
}

/// What [`direct_call`] leaves for `redis.call` to push: plain values
/// pointing into the script client's reply (which stays as it is until
/// the next call), or the value put in the call box.
#[derive(Clone, Copy)]
pub enum Pushed {
    Number(f64),
    Bulk(*const u8, usize),
    /// A status reply: `{ok = ...}`.
    Status(*const u8, usize),
    False,
    Nil,
    /// In the call box's slot 2.
    Boxed,
    /// No script runs (a library's load code called it).
    NotRunning,
}

/// [`direct_call`]'s answer: the value, whether it is an error reply
/// (redis.call raises it), whether it must be raised anyway (a failure of
/// the conversion itself).
#[derive(Clone, Copy)]
pub struct CallOutcome {
    pub value: Pushed,
    pub is_err: bool,
    pub raise: bool,
}

/// `redis.call` / `redis.pcall` from the script's own thread, without a
/// Lua-level call to the hook: the common replies go back as plain values
/// the C function pushes itself (as 7.0's redisProtocolToLuaType), the
/// others through the call box.
pub fn direct_call(slot: &RunSlot, argv: Vec<Bytes>) -> CallOutcome {
    let outcome = with_run(slot, |state| {
        let mut guard = state.borrow_mut();
        let st = &mut *guard;
        let vm = st.vm;
        let r = match run_call(st, &vm.lua, &argv, Some(&slot.args)) {
            Some(refused) => refused,
            None => {
                let reply = &st.client.reply.buf;
                log_reply(st, reply);
                let is_err = reply.first() == Some(&b'-');
                if let Some(value) = quick_reply(reply, st.client.reply.resp) {
                    return CallOutcome {
                        value,
                        is_err,
                        raise: false,
                    };
                }
                reply_to_lua(&vm.lua, reply, st.client.reply.resp).map(|v| (is_err, v))
            }
        };
        let (is_err, v, raise) = match r {
            Ok((is_err, v)) => (is_err, v, false),
            Err(e) => (true, Value::Error(Box::new(e)), true),
        };
        let stored = vm
            .call_box
            .raw_set(2, v)
            .or_else(|e| vm.call_box.raw_set(2, Value::Error(Box::new(e))));
        CallOutcome {
            value: Pushed::Boxed,
            is_err,
            raise: raise || stored.is_err(),
        }
    })
    .unwrap_or(CallOutcome {
        value: Pushed::NotRunning,
        is_err: true,
        raise: false,
    });
    slot.args.put_vec(argv);
    outcome
}

/// The replies [`direct_call`] hands back as plain values (the same
/// values [`reply_to_lua`] makes of them).
fn quick_reply(reply: &[u8], resp: u8) -> Option<Pushed> {
    let end = reply.windows(2).position(|w| w == b"\r\n")?;
    let line = &reply[1..end];
    match reply[0] {
        b':' if end + 2 == reply.len() => {
            crate::resp::parse_i64(line).map(|n| Pushed::Number(n as f64))
        }
        b'$' => {
            let len = crate::resp::parse_i64(line)?;
            if len == -1 && end + 2 == reply.len() {
                return Some(if resp == 2 {
                    Pushed::False
                } else {
                    Pushed::Nil
                });
            }
            let len = usize::try_from(len).ok()?;
            (end + 2 + len + 2 == reply.len()).then(|| Pushed::Bulk(reply[end + 2..].as_ptr(), len))
        }
        b'+' if end + 2 == reply.len() => Some(Pushed::Status(line.as_ptr(), line.len())),
        _ => None,
    }
}

/// Run a command for the script: 7.0's scriptCall checks, then the command
/// (its reply left in the script client's buffer). `Some` is a refusal,
/// as the value redis.call gives.
fn run_call(
    st: &mut RunState,
    lua: &Lua,
    argv: &[Bytes],
    cache: Option<&super::args::ArgCache>,
) -> Option<mlua::Result<(bool, Value)>> {
    // What the last call left for its caller to read.
    st.client.reply.buf.clear();
    if let Some(ldb) = st.ldb.as_ref().filter(|l| l.borrow().logging()) {
        // The debugger shows the command (its first ten arguments).
        let mut line = b"<redis>".to_vec();
        for (j, a) in argv.iter().enumerate() {
            if j == 10 {
                line.extend_from_slice(format!(" ... ({} more)", argv.len() - j - 1).as_bytes());
                break;
            }
            line.push(b' ');
            line.extend_from_slice(a);
        }
        ldb.borrow_mut().log(line);
    }
    let table = st.server.st.table;
    let cmd = match cache {
        Some(c) => c.command(table, &argv[0]),
        None => table.get(&argv[0]),
    };
    let Some(cmd) = cmd.filter(|cmd| {
        (cmd.arity <= 0 || argv.len() == cmd.arity as usize)
            && argv.len() >= cmd.arity.unsigned_abs() as usize
    }) else {
        let msg = if cmd.is_some() {
            "Wrong number of args calling Redis command from script"
        } else {
            "Unknown Redis command called from script"
        };
        return Some(refuse(st, lua, cmd, argv, msg));
    };
    let f = container::effective_flags(cmd, argv);
    // A script inside a script is never run, whatever DEBUG allows.
    if f & flags::NOSCRIPT != 0
        && (!st.server.st.scripting.allow_noscript || crate::commands::eval::runs_scripts(cmd.name))
    {
        return Some(refuse(
            st,
            lua,
            Some(cmd),
            argv,
            "This Redis command is not allowed from script",
        ));
    }
    if running_stale(st.server) && f & flags::STALE == 0 {
        return Some(refuse(
            st,
            lua,
            Some(cmd),
            argv,
            "Can not execute the command on a stale replica",
        ));
    }
    if let Err(denial) = st.server.st.acl.check(&st.client.user, cmd, argv) {
        st.acl_denials.push((denial, cmd, argv.to_vec()));
        let msg = match denial {
            Denial::Command => "The user executing the script can't run this command or subcommand",
            Denial::Key(_) => "The user executing the script can't access at least one of the keys mentioned in the command arguments",
            Denial::Channel(_) => "The user executing the script can't publish to the channel mentioned in the command",
        };
        return Some(refuse(st, lua, Some(cmd), argv, msg));
    }
    if st.read_only && f & (flags::WRITE | flags::MAY_REPLICATE) != 0 {
        return Some(refuse(
            st,
            lua,
            Some(cmd),
            argv,
            "Write commands are not allowed from read-only scripts.",
        ));
    }
    if f & flags::WRITE != 0 && !st.write_dirty {
        let srv = &st.server.st;
        if srv.repl.is_replica()
            && srv.config.get_bool(Key::REPLICA_READ_ONLY)
            && !st.caller_is_master
        {
            return Some(refuse(
                st,
                lua,
                Some(cmd),
                argv,
                "-READONLY You can't write against a read only replica.",
            ));
        }
        if let Some(err) = st.server.st.disk_error() {
            let msg = format!("-{}", err.command_error());
            return Some(refuse(st, lua, Some(cmd), argv, &msg));
        }
        if not_enough_replicas(st.server) {
            return Some(refuse(
                st,
                lua,
                Some(cmd),
                argv,
                "-NOREPLICAS Not enough good replicas to write.",
            ));
        }
    }
    if !st.allow_oom
        && st.oom_at_start
        && !st.caller_is_master
        && !st.write_dirty
        && f & flags::DENYOOM != 0
    {
        return Some(refuse(
            st,
            lua,
            Some(cmd),
            argv,
            "-OOM command not allowed when used memory > 'maxmemory'.",
        ));
    }
    if f & (flags::READONLY | flags::WRITE) == 0 {
        // What the script changed in place is charged at its end (see
        // `Server::call`): a command that may read memory figures (INFO,
        // MEMORY STATS) sees them charged.
        settle_charges(st.server);
    }
    if f & flags::READONLY != 0 {
        st.read_ran = true;
    }
    if f & flags::WRITE != 0 {
        st.write_dirty = true;
    }
    let feed_len = st.server.st.repl_feed.len();
    st.server.call(&mut st.client, cmd, argv);
    // redis.set_repl's targets (the flags are 7.0's PROPAGATE_AOF / _REPL).
    match st.repl & (Propagated::AOF | Propagated::REPL) {
        0 => st.server.st.repl_feed.truncate(feed_len),
        3 => {}
        target => {
            for p in &mut st.server.st.repl_feed[feed_len..] {
                p.target &= target;
            }
        }
    }
    None
}

/// Charge the keys the script's commands changed in place so far.
fn settle_charges(server: &mut Server) {
    for db in server
        .st
        .dbs
        .iter_mut()
        .filter(|d| d.has_unsettled_charges())
    {
        db.settle_charges();
    }
}

/// A command's reply as `redis.call` gives it (redisProtocolToLuaType): an
/// integer or bulk string reply directly (most replies), the others
/// through [`Frame`].
fn reply_to_lua(lua: &Lua, reply: &[u8], resp: u8) -> mlua::Result<Value> {
    let line_end = reply.windows(2).position(|w| w == b"\r\n");
    match (reply.first(), line_end) {
        (Some(b':'), Some(end)) if end + 2 == reply.len() => {
            if let Some(n) = crate::resp::parse_i64(&reply[1..end]) {
                return Ok(Value::Number(n as f64));
            }
        }
        (Some(b'$'), Some(end)) => {
            let len = crate::resp::parse_i64(&reply[1..end]).unwrap_or(-1);
            if len >= 0 && end + 2 + len as usize + 2 == reply.len() {
                let body = &reply[end + 2..end + 2 + len as usize];
                return Ok(Value::String(lua.create_string(body)?));
            }
        }
        _ => {}
    }
    let frame = match Frame::parse(reply) {
        Ok(Some((frame, _))) => frame,
        _ => Frame::Null,
    };
    frame_to_lua(lua, frame, resp)
}

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk, err, Kit};

    fn eval(k: &mut Kit, script: &str, args: &[&str]) -> String {
        let mut argv = vec!["EVAL", script];
        argv.extend_from_slice(args);
        k.argv(1, &argv)
    }

    #[test]
    fn replies_and_conversions() {
        let mut k = Kit::new();
        k.connect(1);
        assert_eq!(eval(&mut k, "return 1", &["0"]), ":1\r\n");
        assert_eq!(eval(&mut k, "return 3.99", &["0"]), ":3\r\n");
        assert_eq!(eval(&mut k, "return 'x'", &["0"]), bulk("x"));
        assert_eq!(
            eval(&mut k, "return {1,'a',nil,2}", &["0"]),
            "*2\r\n:1\r\n$1\r\na\r\n"
        );
        assert_eq!(eval(&mut k, "return true", &["0"]), ":1\r\n");
        assert_eq!(eval(&mut k, "return false", &["0"]), "$-1\r\n");
        assert_eq!(
            eval(&mut k, "return redis.status_reply('FINE')", &["0"]),
            "+FINE\r\n"
        );
        assert_eq!(
            eval(&mut k, "return redis.error_reply('MY err')", &["0"]),
            err("MY err")
        );
        assert_eq!(
            eval(&mut k, "return {KEYS[1], ARGV[1]}", &["1", "k", "a"]),
            "*2\r\n$1\r\nk\r\n$1\r\na\r\n"
        );
        k.resp3(1);
        assert_eq!(eval(&mut k, "return {double=1.5}", &["0"]), ",1.5\r\n");
        assert_eq!(
            eval(&mut k, "redis.setresp(3); return true", &["0"]),
            "#t\r\n"
        );
        assert_eq!(
            eval(&mut k, "return {map={a=1}}", &["0"]),
            "%1\r\n$1\r\na\r\n:1\r\n"
        );
    }

    #[test]
    fn redis_call_and_errors() {
        let mut k = Kit::new();
        k.connect(1);
        assert_eq!(
            eval(
                &mut k,
                "return redis.call('set', KEYS[1], 'v')",
                &["1", "k"]
            ),
            "+OK\r\n"
        );
        assert_eq!(
            eval(&mut k, "return redis.call('get', 'k')", &["0"]),
            bulk("v")
        );
        assert_eq!(
            eval(&mut k, "return redis.call('get', 'nokey')", &["0"]),
            "$-1\r\n"
        );
        assert_eq!(
            eval(&mut k, "return redis.call('incr', 'k')", &["0"]),
            err("ERR value is not an integer or out of range script: 0d7ac7a1ec5a2e6ca0ad9d8ae2fbb5ef24bd1a3c, on @user_script:1.")
                .replace("0d7ac7a1ec5a2e6ca0ad9d8ae2fbb5ef24bd1a3c", &crate::scripting::sha1hex(b"return redis.call('incr', 'k')"))
        );
        let sha = crate::scripting::sha1hex(b"return redis.call('nosuch')");
        assert_eq!(
            eval(&mut k, "return redis.call('nosuch')", &["0"]),
            err(&format!(
                "ERR Unknown Redis command called from script script: {sha}, on @user_script:1."
            ))
        );
        assert_eq!(
            eval(&mut k, "return redis.pcall('incr', 'k', 'x')", &["0"]),
            err("ERR Wrong number of args calling Redis command from script")
        );
        let sha = crate::scripting::sha1hex(b"x = 1");
        assert_eq!(
            eval(&mut k, "x = 1", &["0"]),
            err(&format!("ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."))
        );
        assert!(eval(&mut k, "return nope", &["0"])
            .contains("Script attempted to access nonexistent global variable 'nope'"));
        assert!(eval(&mut k, "redis.call('shutdown')", &["0"])
            .contains("This Redis command is not allowed from script"));
        assert!(eval(&mut k, "retur", &["0"])
            .starts_with("-ERR Error compiling script (new function): user_script:1:"));
        assert_eq!(
            k.argv(
                1,
                &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"]
            ),
            err("NOSCRIPT No matching script. Please use EVAL.")
        );
        assert_eq!(
            eval(&mut k, "return 1", &["2", "a"]),
            err("ERR Number of keys can't be greater than number of args")
        );
    }

    #[test]
    fn read_only_scripts_refuse_writes() {
        let mut k = Kit::new();
        k.connect(1);
        assert!(k
            .argv(1, &["EVAL_RO", "return redis.call('set','a','b')", "0"])
            .contains("Write commands are not allowed from read-only scripts."));
        assert_eq!(
            k.argv(1, &["EVAL_RO", "#!lua\nreturn 1", "0"]),
            err("ERR Can not execute a script with write flag using *_ro command.")
        );
        assert_eq!(
            k.argv(1, &["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"]),
            ":1\r\n"
        );
        assert_eq!(
            k.argv(1, &["EVAL", "#!lua flags=bogus\nreturn 1", "0"]),
            err("ERR Unexpected flag in script shebang: bogus")
        );
    }

    #[test]
    fn script_cache() {
        let mut k = Kit::new();
        k.connect(1);
        let sha = crate::scripting::sha1hex(b"return 7");
        assert_eq!(k.argv(1, &["SCRIPT", "LOAD", "return 7"]), bulk(&sha));
        assert_eq!(
            k.argv(1, &["SCRIPT", "EXISTS", &sha, "nope"]),
            "*2\r\n:1\r\n:0\r\n"
        );
        assert_eq!(k.argv(1, &["EVALSHA", &sha.to_uppercase(), "0"]), ":7\r\n");
        assert_eq!(k.argv(1, &["SCRIPT", "FLUSH"]), "+OK\r\n");
        assert_eq!(k.argv(1, &["SCRIPT", "EXISTS", &sha]), "*1\r\n:0\r\n");
        assert_eq!(
            k.argv(1, &["SCRIPT", "KILL"]),
            err("NOTBUSY No scripts in execution right now.")
        );
    }

    #[test]
    fn effects_are_replicated_in_a_transaction() {
        let mut k = Kit::new();
        k.connect(1);
        eval(
            &mut k,
            "redis.call('set','a','1'); redis.call('incr','a')",
            &["0"],
        );
        assert_eq!(k.feed(), vec!["MULTI", "set a 1", "incr a", "EXEC"]);
        // One write goes alone; reads and the script itself are not propagated.
        eval(
            &mut k,
            "redis.call('get','a'); redis.call('del','a')",
            &["0"],
        );
        assert_eq!(k.feed(), vec!["del a"]);
        eval(
            &mut k,
            "redis.set_repl(redis.REPL_NONE); redis.call('set','b','1')",
            &["0"],
        );
        assert!(k.feed().is_empty());
    }

    #[test]
    fn each_run_sees_only_its_own_keys_and_args() {
        let mut k = Kit::new();
        k.connect(1);
        // A script may change its KEYS / ARGV tables: the next run must not
        // see what it did (the tables are refilled only when left plain).
        eval(
            &mut k,
            "KEYS.x = 1; KEYS[5] = 'z'; return #KEYS",
            &["2", "a", "b"],
        );
        let count = "local n = 0 for _ in pairs(KEYS) do n = n + 1 end return n";
        assert_eq!(eval(&mut k, count, &["1", "a"]), ":1\r\n");
        eval(&mut k, "table.insert(KEYS, 'q'); return 1", &["1", "a"]);
        assert_eq!(eval(&mut k, count, &["1", "a"]), ":1\r\n");
        eval(
            &mut k,
            "setmetatable(ARGV, {__index = function() return 'm' end}) return 1",
            &["0"],
        );
        assert_eq!(eval(&mut k, "return ARGV[3]", &["0"]), "$-1\r\n");
        eval(&mut k, "return 1", &["3", "a", "b", "c", "x", "y"]);
        assert_eq!(
            eval(&mut k, "return {#KEYS, #ARGV, KEYS[1]}", &["1", "k"]),
            "*3\r\n:1\r\n:0\r\n$1\r\nk\r\n"
        );
    }

    #[test]
    fn redis_call_from_a_coroutine_and_every_reply_kind() {
        let mut k = Kit::new();
        k.connect(1);
        let co =
            "local f = coroutine.wrap(function() return redis.call('incr', 'c') end) return f()";
        assert_eq!(eval(&mut k, co, &["0"]), ":1\r\n");
        assert_eq!(
            eval(&mut k, "return redis.call('set', 'k', 'v')", &["0"]),
            "+OK\r\n"
        );
        assert_eq!(
            eval(&mut k, "return redis.call('get', 'k')", &["0"]),
            bulk("v")
        );
        assert_eq!(
            eval(&mut k, "return redis.call('get', 'none') == false", &["0"]),
            ":1\r\n"
        );
        assert_eq!(
            eval(
                &mut k,
                "redis.call('rpush', 'l', 'a', 'b') return redis.call('lrange', 'l', 0, -1)",
                &["0"]
            ),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            eval(&mut k, "return redis.pcall('incr', 'k')", &["0"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            eval(
                &mut k,
                "local r = redis.pcall('incr', 'k') return r['err']",
                &["0"]
            ),
            bulk("ERR value is not an integer or out of range")
        );
        k.resp3(1);
        assert_eq!(
            eval(
                &mut k,
                "redis.setresp(3) return redis.call('get', 'none') == nil",
                &["0"]
            ),
            "#t\r\n"
        );
    }

    #[test]
    fn set_repl_sends_to_the_aof_and_to_replicas_apart() {
        use crate::node::{Event, FileOp};
        let mut k = Kit::new();
        k.connect(1);
        k.srv.st.aof.state = crate::server::aof::AofState::On;
        k.srv.st.aof.manifest.last_incr_or_new("appendonly.aof");
        eval(
            &mut k,
            "redis.call('set','a','1'); redis.set_repl(redis.REPL_NONE); redis.call('set','b','2'); \
             redis.set_repl(redis.REPL_AOF); redis.call('set','c','3'); \
             redis.set_repl(redis.REPL_SLAVE); redis.call('set','d','4')",
            &["0"],
        );
        // Replicas: what is not AOF-only; the transaction counts them all.
        assert_eq!(k.feed(), vec!["MULTI", "set a 1", "set d 4", "EXEC"]);
        let aof: String = k
            .events
            .iter()
            .filter_map(|e| match e {
                Event::AofFile(FileOp::Append { bytes, .. }) => {
                    Some(String::from_utf8_lossy(bytes).into_owned())
                }
                _ => None,
            })
            .collect();
        let words: Vec<&str> = aof
            .split("\r\n")
            .filter(|w| !w.is_empty() && !w.starts_with(['*', '$']))
            .collect();
        assert_eq!(
            words,
            ["SELECT", "0", "MULTI", "set", "a", "1", "set", "c", "3", "EXEC"]
        );
    }

    #[test]
    fn a_script_past_the_busy_threshold_is_logged_and_goes_on() {
        let mut k = Kit::new();
        k.connect(1);
        k.cmd(1, "CONFIG SET busy-reply-threshold 2");
        // Without a host clock, time is one millisecond per 100000
        // instructions: this one runs past the threshold, under the floor.
        let reply = eval(
            &mut k,
            "local i = 0 while i < 1000000 do i = i + 1 end return i",
            &["0"],
        );
        assert_eq!(reply, ":1000000\r\n");
        let reply = eval(
            &mut k,
            "redis.call('set','w','1') local i = 0 while i < 1000000 do i = i + 1 end return i",
            &["0"],
        );
        assert_eq!(reply, ":1000000\r\n");
    }

    #[test]
    fn a_scripts_in_place_changes_are_charged_by_its_end() {
        use crate::keyspace::size;
        let mut k = Kit::new();
        k.connect(1);
        let sum = |k: &Kit| -> u64 {
            k.srv.st.dbs[0]
                .keys()
                .iter()
                .map(|(key, o)| size::key_bytes(key, o, size::CHARGE_SAMPLES))
                .sum()
        };
        k.cmd(1, "SET s abc");
        k.cmd(1, "RPUSH l a");
        let grow = "for i = 1, 50 do redis.call('append', 's', 'xxxxxxxxxx') \
                    redis.call('rpush', 'l', 'yyyyyyyyyyyyyyyy') end return 1";
        assert_eq!(eval(&mut k, grow, &["0"]), ":1\r\n");
        assert!(!k.srv.st.dbs[0].has_unsettled_charges());
        assert_eq!(k.srv.st.dbs[0].charged_bytes(), sum(&k));
        // A command that may read the figures sees the changes so far:
        // the dataset INFO gives inside the script is the one after it.
        let dataset = |info: &str| -> String {
            let at = info.find("used_memory_dataset:").expect("the field");
            info[at..].lines().next().unwrap_or_default().to_string()
        };
        let info = "redis.call('append', 's', 'zzzzzzzzzz') \
                    return redis.call('info', 'memory')";
        let inside = dataset(&eval(&mut k, info, &["0"]));
        assert_eq!(k.srv.st.dbs[0].charged_bytes(), sum(&k));
        assert_eq!(inside, dataset(&k.cmd(1, "INFO memory")));
    }

    #[test]
    fn math_random_follows_rand48() {
        let mut k = Kit::new();
        k.connect(1);
        // The first values a fresh 7.0.15 gives.
        assert_eq!(
            eval(&mut k, "return math.random(1000000000)", &["0"]),
            ":396464774\r\n"
        );
        assert_eq!(
            eval(&mut k, "return math.random(1000000000)", &["0"]),
            ":840485370\r\n"
        );
    }
}
