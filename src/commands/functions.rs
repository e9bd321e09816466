//! FUNCTION (LOAD, DELETE, LIST, DUMP, RESTORE, FLUSH, KILL, STATS, HELP),
//! FCALL and FCALL_RO (`crate::scripting::functions`). FCALL runs through
//! the server like EVAL ([`super::eval`]).

use super::container::{help, subcommand, unknown_sub};
use super::{def, flags::*, CmdResult, CommandDef, Ctx};
use bytes::Bytes;

fn fcall_unavailable(_ctx: &mut Ctx, _args: &[Bytes]) -> CmdResult {
    Err(crate::scripting::UNAVAILABLE.into())
}

/// FCALL / FCALL_RO (fcallCommandGeneric).
#[cfg(not(target_arch = "wasm32"))]
pub fn run(
    server: &mut crate::server::Server,
    c: &mut crate::server::Client,
    name: &str,
    argv: &[Bytes],
) {
    use crate::scripting::run::{run, Invocation};
    let fail = |server: &mut crate::server::Server, c: &mut crate::server::Client, msg: &str| {
        server.st.count_error(msg);
        c.reply.error(msg);
    };
    let fname = String::from_utf8_lossy(&argv[1]).into_owned();
    let Some(f) = server.st.scripting.libraries.function(&fname) else {
        return fail(server, c, "ERR Function not found");
    };
    let (func, flags) = (f.func.clone(), f.flags);
    let Some(numkeys) = crate::resp::parse_i64(&argv[2]) else {
        return fail(server, c, "ERR Bad number of keys provided");
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
    let split = 3 + numkeys as usize;
    let inv = Invocation {
        func,
        flags,
        name: fname,
        keys: &argv[3..split],
        args: &argv[split..],
        ro: name == "fcall_ro",
        eval: false,
        argv,
    };
    run(server, c, inv);
}

fn function(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let sub = subcommand(args, "function")?;
    match sub.as_str() {
        "help" => help(ctx.out(), "FUNCTION", HELP),
        "kill" => {
            let Some(busy) = ctx.srv.busy.as_mut() else {
                return Err("NOTBUSY No scripts in execution right now.".into());
            };
            busy.kill(false)?;
            ctx.out().ok();
        }
        "stats" => stats(ctx),
        "flush" => {
            if args.len() > 3 {
                return Err(syntax_error(&args[1]));
            }
            let ok = args.get(2).is_none_or(|m| {
                m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async")
            });
            if !ok {
                return Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into());
            }
            flush(ctx);
            ctx.dirty(1);
            ctx.out().ok();
        }
        _ => return engine_subcommand(ctx, &sub, args),
    }
    Ok(())
}

/// addReplySubcommandSyntaxError: a known subcommand with arguments it
/// does not take.
fn syntax_error(sub: &[u8]) -> super::Error {
    format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        String::from_utf8_lossy(sub)
    )
    .into()
}

fn stats(ctx: &mut Ctx) {
    let (libs, funcs) = counts(ctx);
    // Only a busy script can be seen running from another client.
    let now_us = ctx.srv.monotonic_us();
    let running = ctx.srv.busy.as_ref().map(|b| {
        let ms = now_us.saturating_sub(b.started_us) / 1000;
        (b.name.clone(), b.command.clone(), ms)
    });
    let out = ctx.out();
    out.map(2);
    out.bulk(b"running_script");
    match running {
        Some((name, command, ms)) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name.as_bytes());
            out.bulk(b"command");
            out.array(command.len());
            for a in &command {
                out.bulk(a);
            }
            out.bulk(b"duration_ms");
            out.int(ms as i64);
        }
        None => out.null(),
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(libs as i64);
    out.bulk(b"functions_count");
    out.int(funcs as i64);
}

#[cfg(not(target_arch = "wasm32"))]
fn counts(ctx: &mut Ctx) -> (usize, usize) {
    let l = &ctx.srv.scripting.libraries;
    (l.libraries.len(), l.function_count())
}

#[cfg(target_arch = "wasm32")]
fn counts(_ctx: &mut Ctx) -> (usize, usize) {
    (0, 0)
}

#[cfg(not(target_arch = "wasm32"))]
fn flush(ctx: &mut Ctx) {
    ctx.srv.scripting.flush_functions();
}

#[cfg(target_arch = "wasm32")]
fn flush(ctx: &mut Ctx) {
    ctx.srv.scripting.replace_libraries(&[]);
}

#[cfg(target_arch = "wasm32")]
fn engine_subcommand(_ctx: &mut Ctx, sub: &str, args: &[Bytes]) -> CmdResult {
    match sub {
        "load" | "delete" | "list" | "dump" | "restore" => {
            Err(crate::scripting::UNAVAILABLE.into())
        }
        _ => Err(unknown_sub(&args[1], "function")),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn engine_subcommand(ctx: &mut Ctx, sub: &str, args: &[Bytes]) -> CmdResult {
    match sub {
        "load" => {
            let mut replace = false;
            let mut i = 2;
            while i < args.len() - 1 {
                if !args[i].eq_ignore_ascii_case(b"replace") {
                    return Err(format!(
                        "ERR Unknown option given: {}",
                        String::from_utf8_lossy(&args[i])
                    )
                    .into());
                }
                replace = true;
                i += 1;
            }
            if i >= args.len() {
                return Err("ERR Function code is missing".into());
            }
            // From our master the load has no time limit (7.0: mustObeyClient).
            let clock = ctx.srv.host.probe.as_ref().and_then(|p| p.clock());
            let timed = ctx.client.kind != crate::server::ClientKind::Master;
            let name = if timed {
                ctx.srv.scripting.load_library(&args[i], replace, clock)?
            } else {
                ctx.srv.scripting.load_library(&args[i], replace, None)?
            };
            ctx.dirty(1);
            ctx.out().bulk(name.as_bytes());
        }
        "delete" if args.len() == 3 => {
            let name = String::from_utf8_lossy(&args[2]).into_owned();
            if !ctx.srv.scripting.libraries.delete(&name) {
                return Err("ERR Library not found".into());
            }
            ctx.dirty(1);
            ctx.out().ok();
        }
        "list" => list(ctx, args)?,
        "dump" if args.len() == 2 => {
            let codes = ctx.srv.scripting.library_codes();
            let compress = ctx.srv.config.get_bool(crate::server::Key::RDBCOMPRESSION);
            let payload = crate::rdb::payload::dump_functions(&codes, compress);
            ctx.out().bulk(&payload);
        }
        "restore" if args.len() > 4 => return Err(syntax_error(&args[1])),
        "restore" => restore(ctx, args)?,
        _ => return Err(unknown_sub(&args[1], "function")),
    }
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
fn list(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    let (mut with_code, mut pattern) = (false, None);
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i >= args.len() - 1 {
                return Err("ERR library name argument was not given".into());
            }
            i += 1;
            pattern = Some(args[i].clone());
        } else {
            return Err(format!("ERR Unknown argument {}", String::from_utf8_lossy(a)).into());
        }
        i += 1;
    }
    let libs: Vec<_> = ctx
        .srv
        .scripting
        .libraries
        .libraries
        .values()
        .filter(|l| {
            pattern
                .as_ref()
                .is_none_or(|p| super::glob_match(p, l.name.as_bytes(), true))
        })
        .map(|l| {
            let functions: Vec<_> = l
                .functions
                .values()
                .map(|f| (f.name.clone(), f.desc.clone(), f.flags))
                .collect();
            (l.name.clone(), l.code.clone(), functions)
        })
        .collect();
    let out = ctx.out();
    out.array(libs.len());
    for (name, code, functions) in libs {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(functions.len());
        for (fname, desc, flags) in functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(fname.as_bytes());
            out.bulk(b"description");
            match desc {
                Some(d) => out.bulk(d.as_bytes()),
                None => out.null(),
            }
            out.bulk(b"flags");
            let names: Vec<&str> = crate::scripting::shebang::flag::NAMES
                .iter()
                .filter(|(b, _)| flags & b != 0)
                .map(|(_, n)| *n)
                .collect();
            out.set(names.len());
            for n in names {
                out.simple(n);
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&code);
        }
    }
    Ok(())
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
#[cfg(not(target_arch = "wasm32"))]
fn restore(ctx: &mut Ctx, args: &[Bytes]) -> CmdResult {
    #[derive(PartialEq)]
    enum Policy {
        Flush,
        Append,
        Replace,
    }
    let policy =
        match args.get(3) {
            None => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
            Some(p) if p.eq_ignore_ascii_case(b"append") => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
            Some(_) => return Err(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
                    .into(),
            ),
        };
    let codes = crate::rdb::payload::restore_functions(&args[2])?;
    let scripting = &mut ctx.srv.scripting;
    // Load into a fresh set first: nothing changes unless all of it loads.
    let mut fresh = crate::scripting::functions::Libraries::default();
    {
        let vm = scripting
            .functions_vm()
            .ok_or("ERR scripting engine failed to start")?;
        for code in &codes {
            fresh
                .load(vm, code, false, None)
                .map_err(|e| format!("ERR {e}"))?;
        }
    }
    let current = &scripting.libraries;
    if policy != Policy::Flush {
        for lib in fresh.libraries.values() {
            if policy == Policy::Append && current.libraries.contains_key(&lib.name) {
                return Err(format!("ERR Library {} already exists", lib.name).into());
            }
        }
    }
    let mut merged: Vec<Bytes> = match policy {
        Policy::Flush => Vec::new(),
        _ => current
            .libraries
            .values()
            .filter(|l| !fresh.libraries.contains_key(&l.name))
            .map(|l| l.code.clone())
            .collect(),
    };
    // Function names must stay unique across libraries.
    for lib in fresh.libraries.values() {
        for f in lib.functions.keys() {
            let clash = current.libraries.values().any(|l| {
                policy != Policy::Flush
                    && !fresh.libraries.contains_key(&l.name)
                    && l.functions.contains_key(f)
            });
            if clash {
                return Err(format!("ERR Function {f} already exists").into());
            }
        }
    }
    merged.extend(codes);
    if let Some(e) = scripting.replace_libraries(&merged).into_iter().next() {
        return Err(e.into());
    }
    ctx.dirty(1);
    ctx.out().ok();
    Ok(())
}

const HELP: &[&str] = &[
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
];

const FCALL_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | MOVABLE_KEYS | MAY_REPLICATE;

pub static COMMANDS: &[CommandDef] = &[
    def(
        "fcall",
        -3,
        FCALL_FLAGS,
        (0, 0, 0),
        "scripting",
        "7.0.0",
        "Invoke a function",
        fcall_unavailable,
    ),
    def(
        "fcall_ro",
        -3,
        (FCALL_FLAGS & !MAY_REPLICATE) | READONLY,
        (0, 0, 0),
        "scripting",
        "7.0.0",
        "Invoke a read-only function",
        fcall_unavailable,
    ),
    CommandDef {
        // In the order 7.0's COMMAND INFO lists them.
        subcommands: &[
            "flush", "load", "stats", "help", "kill", "delete", "list", "dump", "restore",
        ],
        ..def(
            "function",
            -2,
            0,
            (0, 0, 0),
            "scripting",
            "7.0.0",
            "A container for function commands",
            function,
        )
    },
];

#[cfg(test)]
mod tests {
    use crate::commands::testkit::{bulk, err, Kit};

    const LIB: &str = "#!lua name=lib\nredis.register_function('setget', function(keys, args) redis.call('set', keys[1], args[1]); return redis.call('get', keys[1]) end)\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}";

    #[test]
    fn load_call_and_replicate() {
        let mut k = Kit::new();
        k.connect(1);
        assert_eq!(k.argv(1, &["FUNCTION", "LOAD", LIB]), bulk("lib"));
        // FUNCTION LOAD goes to replicas as it is.
        assert_eq!(k.feed(), vec![format!("FUNCTION LOAD {LIB}")]);
        assert_eq!(k.argv(1, &["FCALL", "SETGET", "1", "k", "v"]), bulk("v"));
        // FCALL is not propagated, its one write is.
        assert_eq!(k.feed(), vec!["set k v"]);
        assert_eq!(k.argv(1, &["FCALL_RO", "ro", "0"]), ":1\r\n");
        assert_eq!(
            k.argv(1, &["FCALL_RO", "setget", "1", "k", "v"]),
            err("ERR Can not execute a script with write flag using *_ro command.")
        );
        assert_eq!(
            k.argv(1, &["FCALL", "nope", "0"]),
            err("ERR Function not found")
        );
        assert_eq!(
            k.argv(1, &["FUNCTION", "LOAD", LIB]),
            err("ERR Library 'lib' already exists")
        );
        assert_eq!(k.argv(1, &["FUNCTION", "DELETE", "lib"]), "+OK\r\n");
        assert_eq!(
            k.argv(1, &["FCALL", "ro", "0"]),
            err("ERR Function not found")
        );
    }

    #[test]
    fn dump_and_restore() {
        let mut k = Kit::new();
        k.connect(1);
        k.argv(1, &["FUNCTION", "LOAD", LIB]);
        // The payload DUMP answers (binary, so built here rather than read
        // back through the kit's text replies).
        let codes = k.srv.st.scripting.library_codes();
        let payload = crate::rdb::payload::dump_functions(&codes, true);
        let dump = k.argv(1, &["FUNCTION", "DUMP"]);
        assert!(
            dump.starts_with(&format!("${}\r\n", payload.len())),
            "{dump}"
        );
        let restore = |k: &mut Kit, policy: Option<&str>| {
            let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", &payload];
            args.extend(policy.map(|p| p.as_bytes()));
            k.raw(1, &crate::resp::Frame::command(args))
        };
        assert_eq!(k.argv(1, &["FUNCTION", "FLUSH"]), "+OK\r\n");
        assert_eq!(restore(&mut k, None), "+OK\r\n");
        assert_eq!(k.argv(1, &["FCALL", "ro", "0"]), ":1\r\n");
        assert_eq!(restore(&mut k, None), err("ERR Library lib already exists"));
        assert_eq!(restore(&mut k, Some("REPLACE")), "+OK\r\n");
        assert_eq!(
            k.argv(1, &["FUNCTION", "RESTORE", "garbage"]),
            err("ERR DUMP payload version or checksum are wrong")
        );
    }
}
