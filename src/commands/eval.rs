//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (`crate::scripting`).
//!
//! A script calls back into the server (`redis.call`), so the server runs
//! the EVAL family through [`run`] with itself in hand, as it does EXEC;
//! the table's handlers only answer where that is not possible (the
//! browser build, which has no Lua).

use super::container::{help, subcommand, unknown_sub};
use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use bytes::Bytes;

/// The table's handler of the EVAL family: reached only without a Lua
/// engine (wasm); natively the server runs them through [`run`].
fn eval_unavailable(_ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    Err(crate::scripting::UNAVAILABLE.into())
}

#[cfg(not(target_arch = "wasm32"))]
const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// The key arguments of an EVAL / FCALL line: `numkeys` of them after it
/// (none if `numkeys` is not a valid count).
pub fn key_positions(argv: &[Bytes]) -> Vec<usize> {
    match argv.get(2).and_then(|n| crate::resp::parse_i64(n)) {
        Some(n) if n >= 0 && n <= argv.len() as i64 - 3 => (3..3 + n as usize).collect(),
        _ => Vec::new(),
    }
}

/// Commands whose key list may be empty (7.0's `no_mandatory_keys`).
pub fn may_have_no_keys(name: &str) -> bool {
    matches!(
        name,
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    )
}

/// The flags a command line is checked with before it runs: a container's
/// subcommand's own, and for EVAL / FCALL the script's declared flags
/// turned into command flags (evalGetCommandFlags, fcallGetCommandFlags,
/// scriptFlagsToCmdFlags).
pub fn command_flags(st: &crate::server::ServerState, cmd: &CommandDef, argv: &[Bytes]) -> u32 {
    use crate::scripting::shebang::flag;
    let base = super::container::effective_flags(cmd, argv);
    let script_flags = match cmd.name {
        "eval" | "eval_ro" => {
            let sha = st.scripting.sha_of(&argv[1]);
            match st.scripting.get(&sha) {
                Some(s) => Some(s.flags),
                None => crate::scripting::shebang::parse(&argv[1])
                    .ok()
                    .map(|(f, _)| f),
            }
        }
        "evalsha" | "evalsha_ro" => {
            let mut buf = [0u8; 40];
            sha_key(&argv[1], &mut buf)
                .and_then(|sha| st.scripting.get(sha))
                .map(|s| s.flags)
        }
        "fcall" | "fcall_ro" => function_flags(st, &argv[1]),
        _ => None,
    };
    match script_flags {
        Some(sf) if sf & flag::EVAL_COMPAT_MODE == 0 => {
            let mut f = base & !(STALE | DENYOOM | WRITE | MAY_REPLICATE);
            if sf & (flag::ALLOW_OOM | flag::NO_WRITES) == 0 {
                f |= DENYOOM;
            }
            if sf & flag::NO_WRITES == 0 {
                f |= WRITE;
            }
            if sf & flag::ALLOW_STALE != 0 {
                f |= STALE;
            }
            f
        }
        _ => base,
    }
}

/// An EVALSHA's SHA1 as the script cache names it (lowercase hex), made
/// in `buf`; `None` for what cannot name a cached script.
fn sha_key<'b>(arg: &[u8], buf: &'b mut [u8; 40]) -> Option<&'b str> {
    if arg.len() != buf.len() {
        return None;
    }
    buf.copy_from_slice(arg);
    buf.make_ascii_lowercase();
    std::str::from_utf8(buf).ok()
}

#[cfg(not(target_arch = "wasm32"))]
fn function_flags(st: &crate::server::ServerState, name: &[u8]) -> Option<u32> {
    let name = String::from_utf8_lossy(name);
    st.scripting.libraries.function(&name).map(|f| f.flags)
}

#[cfg(target_arch = "wasm32")]
fn function_flags(_st: &crate::server::ServerState, _name: &[u8]) -> Option<u32> {
    None
}

/// Whether the server must run `name` through [`run`].
pub fn runs_scripts(name: &str) -> bool {
    cfg!(not(target_arch = "wasm32"))
        && matches!(
            name,
            "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
        )
}

/// EVAL / EVALSHA and their _RO forms (evalGenericCommand).
#[cfg(not(target_arch = "wasm32"))]
pub fn run(
    server: &mut crate::server::Server,
    c: &mut crate::server::Client,
    name: &str,
    argv: &[Bytes],
) {
    use crate::scripting::run::{run, Invocation};
    if name.starts_with("fcall") {
        return super::functions::run(server, c, name, argv);
    }
    let evalsha = name.starts_with("evalsha");
    let fail = |server: &mut crate::server::Server, c: &mut crate::server::Client, msg: &str| {
        server.st.count_error(msg);
        c.reply.error(msg);
    };
    if evalsha && argv[1].len() != 40 {
        return fail(server, c, NOSCRIPT_ERR);
    }
    if evalsha && c.lua_debug_sync {
        return fail(
            server,
            c,
            "ERR Please use EVAL instead of EVALSHA for debugging",
        );
    }
    let Some(numkeys) = crate::resp::parse_i64(&argv[2]) else {
        return fail(server, c, super::err::NOT_INTEGER);
    };
    if numkeys > argv.len() as i64 - 3 {
        return fail(
            server,
            c,
            "ERR Number of keys can't be greater than number of args",
        );
    }
    if numkeys < 0 {
        return fail(server, c, "ERR Number of keys can't be negative");
    }
    let sha = if evalsha {
        let mut buf = [0u8; 40];
        match sha_key(&argv[1], &mut buf) {
            Some(sha) => sha.to_owned(),
            None => return fail(server, c, NOSCRIPT_ERR),
        }
    } else {
        server.st.scripting.sha_of(&argv[1])
    };
    let scripting = &mut server.st.scripting;
    if scripting.get(&sha).is_none() {
        if evalsha {
            return fail(server, c, NOSCRIPT_ERR);
        }
        if let Err(e) = scripting.create(&argv[1]) {
            return fail(server, c, &e);
        }
    }
    let script = scripting.get(&sha).expect("just cached");
    let split = 3 + numkeys as usize;
    let debug = c.lua_debug_sync;
    let inv = Invocation {
        func: script.func.clone(),
        flags: script.flags,
        name: sha,
        keys: &argv[3..split],
        args: &argv[split..],
        ro: name.ends_with("_ro"),
        eval: true,
        argv,
    };
    if debug {
        return crate::scripting::ldb::run_debugged(server, c, inv);
    }
    run(server, c, inv);
}

fn script(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "script")?;
    match sub.as_str() {
        "help" => help(
            ctx.out(),
            "SCRIPT",
            &[
                "DEBUG (YES|SYNC|NO)",
                "    Set the debug mode for subsequent scripts executed.",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache. Very dangerous on replicas.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the scripts cache.",
                "    * SYNC: Synchronously flush the scripts cache.",
                "KILL",
                "    Kill the currently executing Lua script.",
                "LOAD <script>",
                "    Load a script into the scripts cache without executing it.",
            ],
        ),
        "flush" => {
            let ok = match args.get(2) {
                None => true,
                Some(m) => {
                    args.len() == 3
                        && (m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async"))
                }
            };
            if !ok {
                return Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option".into());
            }
            ctx.srv.scripting.flush();
            ctx.out().ok();
        }
        "exists" => {
            let found: Vec<bool> = args[2..]
                .iter()
                .map(|sha| ctx.srv.scripting.exists(sha))
                .collect();
            let out = ctx.out();
            out.array(found.len());
            for f in found {
                out.int(f as i64);
            }
        }
        "load" if args.len() == 3 => load(ctx, &args[2])?,
        // Another client's command runs during a script only once it is
        // busy (`server::busy`).
        "kill" if args.len() == 2 => {
            let Some(busy) = ctx.srv.busy.as_mut() else {
                return Err("NOTBUSY No scripts in execution right now.".into());
            };
            busy.kill(true)?;
            ctx.out().ok();
        }
        // The forked debugger (YES) is not there; SYNC is
        // (`scripting::ldb`) where the host can wait on the client.
        "debug" if args.len() == 3 => {
            let waits = ctx.srv.host.probe.as_ref().is_some_and(|p| p.serves_while_busy());
            if args[2].eq_ignore_ascii_case(b"no") {
                ctx.client.lua_debug_sync = false;
                ctx.out().ok();
            } else if args[2].eq_ignore_ascii_case(b"sync") && waits {
                // The synchronous debugger (`scripting::ldb`) needs a host
                // that can wait on the client's socket.
                ctx.client.lua_debug_sync = true;
                ctx.out().ok();
            } else if args[2].eq_ignore_ascii_case(b"yes") || args[2].eq_ignore_ascii_case(b"sync") {
                return Err("ERR SCRIPT DEBUG is not supported by this server".into());
            } else {
                return Err("ERR Use SCRIPT DEBUG YES/SYNC/NO".into());
            }
        }
        _ => return Err(unknown_sub(&args[1], "script")),
    }
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
fn load(ctx: &mut Ctx, body: &Bytes) -> CmdResult {
    let sha = ctx.srv.scripting.create(body)?;
    ctx.out().bulk(sha.as_bytes());
    Ok(())
}

#[cfg(target_arch = "wasm32")]
fn load(_ctx: &mut Ctx, _body: &Bytes) -> CmdResult {
    Err(crate::scripting::UNAVAILABLE.into())
}

const EVAL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | MOVABLE_KEYS | MAY_REPLICATE;

pub static COMMANDS: &[CommandDef] = &[
    def(
        "eval",
        -3,
        EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "2.6.0",
        "Execute a Lua script server side",
        eval_unavailable,
    ),
    def(
        "evalsha",
        -3,
        EVAL_FLAGS,
        (0, 0, 0),
        "scripting",
        "2.6.0",
        "Execute a Lua script server side",
        eval_unavailable,
    ),
    def(
        "eval_ro",
        -3,
        (EVAL_FLAGS & !MAY_REPLICATE) | READONLY,
        (0, 0, 0),
        "scripting",
        "7.0.0",
        "Execute a read-only Lua script server side",
        eval_unavailable,
    ),
    def(
        "evalsha_ro",
        -3,
        (EVAL_FLAGS & !MAY_REPLICATE) | READONLY,
        (0, 0, 0),
        "scripting",
        "7.0.0",
        "Execute a read-only Lua script server side",
        eval_unavailable,
    ),
    CommandDef {
        subcommands: &["help", "flush", "kill", "exists", "debug", "load"],
        ..def(
            "script",
            -2,
            0,
            (0, 0, 0),
            "scripting",
            "2.6.0",
            "A container for Lua scripts management commands",
            script,
        )
    },
];
